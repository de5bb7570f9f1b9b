"""Reading JSON request bodies the way a platform does, refusals included.

Every platform refuses an empty body, a body that is not JSON, and a body that is not an
object; what each refusal looks like (status, error body) is the platform's, so emulators
declare it once as :class:`BodyRefusals` and read bodies with :func:`read_json` /
:func:`read_object` / :func:`read_member`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

from storebridge.sandbox.problems import HTTPProblem

if TYPE_CHECKING:
    from storebridge.sandbox.emulator import EmulatorRequest

__all__ = ["DEFAULT_REFUSALS", "BodyRefusals", "read_json", "read_member", "read_object"]

Refusal = Callable[[], HTTPProblem]


@attrs.frozen(kw_only=True)
class BodyRefusals:
    """A platform's answers to a body it cannot use (factories, so each raise is fresh)."""

    empty: Refusal
    invalid: Refusal
    not_object: Refusal


def _detail(message: str) -> Refusal:
    return lambda: HTTPProblem(400, {"detail": message})


DEFAULT_REFUSALS = BodyRefusals(
    empty=_detail("request body is empty; JSON expected"),
    invalid=_detail("request body is not valid JSON"),
    not_object=_detail("request body must be a JSON object"),
)
"""``400 {"detail": ...}``: what :meth:`~storebridge.sandbox.EmulatorRequest.json` answers."""


def read_json(request: EmulatorRequest, refusals: BodyRefusals = DEFAULT_REFUSALS) -> Any:
    """The request body parsed as JSON (any JSON value)."""
    if not request.body:
        raise refusals.empty()
    try:
        return json.loads(request.body)
    except ValueError:
        raise refusals.invalid() from None


def read_object(
    request: EmulatorRequest, refusals: BodyRefusals = DEFAULT_REFUSALS
) -> dict[str, Any]:
    """The request body as a JSON object."""
    body = read_json(request, refusals)
    if not isinstance(body, dict):
        raise refusals.not_object()
    return body


def read_member(
    request: EmulatorRequest,
    name: str,
    missing: Refusal,
    refusals: BodyRefusals = DEFAULT_REFUSALS,
) -> dict[str, Any]:
    """The object under ``name`` in a wrapped body (``{"order": {...}}``); ``missing`` when
    it is absent or not an object."""
    member = read_object(request, refusals).get(name)
    if not isinstance(member, dict):
        raise missing()
    return member
