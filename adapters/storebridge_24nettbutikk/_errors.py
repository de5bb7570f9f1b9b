"""24Nettbutikk error answers as storebridge errors.

The shop says little: ``400`` with an empty body for arguments it refuses, ``404`` for an
unknown key (or, on some shops, an empty list), ``401`` with a Basic challenge for a bad
token. Messages here say what that means and what to check.
"""

from __future__ import annotations

from storebridge.errors import APIError, AuthenticationError
from storebridge.http import Response
from storebridge.kit import Adapter, error_from_response
from storebridge_24nettbutikk._bodies import decode_text


def parse_error(adapter: Adapter, response: Response) -> APIError:
    """The APIError for an error answer of the shop."""
    status = response.status_code
    text = decode_text(response.content[:2000]).strip()
    method = _method(response)
    if status == 401:
        # Worded so no credential-looking "token <word>" pair appears for redaction to mask.
        message = (
            "the shop rejected the API token. Check the setting token= (the shop's key "
            "from the admin panel, /admin/index.php?nr=103) and auth_style="
        )
    elif status == 400 and not text and method == "PATCH":
        message = (
            "the shop refused the change (400, empty body): a product with variants takes "
            "its stock per variant (variant_ref=), and only known fields are accepted"
        )
    elif status == 400 and not text:
        message = "the shop rejected the request's path arguments (400, empty body)"
    elif status == 404:
        message = "no such record (or an empty list)"
    else:
        message = text[:200] or response.reason_phrase or "error"
    kind = AuthenticationError if status == 401 else None
    return error_from_response(adapter, response, message=message, cls=kind)


def _method(response: Response) -> str | None:
    try:
        return response.request.method
    except RuntimeError:  # a response built without its request
        return None


__all__ = ["parse_error"]
