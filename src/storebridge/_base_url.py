"""Whether a URL stays under a store's API base URL, judged as the HTTP client will send it.

``Store.request`` sends the store's credentials with every request, so its target must be
the store: the same scheme, host and port as the base URL, and a path under the base
URL's path. A prefix test on the text is not enough: ``https://shop.example@evil.example/``
and ``https://shop.example.evil.example/`` both start with ``https://shop.example`` and go
to another host, and ``https://shop.example/api/../admin`` leaves the API root once the dot
segments are resolved.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from storebridge import _http

_PORTS = {"http": 80, "https": 443}


def within_base_url(url: str, base_url: str) -> bool:
    """True when ``url`` addresses the store of ``base_url``: same origin, no user info,
    a path at or under the base path, and no ``.``/``..`` segment (plain or escaped)."""
    if _has_dot_segment(url.split("?", 1)[0].split("#", 1)[0]):
        return False  # as given: the parser resolves "../x" away before the checks below
    try:
        target = _http.URL(url)
        base = _http.URL(base_url)
    except (_http.InvalidURL, ValueError, TypeError):
        return False
    if target.userinfo or not target.host:
        return False
    if (target.scheme, target.host, _port(target)) != (base.scheme, base.host, _port(base)):
        return False
    # The path decoded, as a server may read it: the parser has resolved plain dot
    # segments, but escaped ones (%2e%2e, ..%2f) survive it, and some servers also take
    # "\\" for a separator and drop ";" parameters before resolving them.
    path = unquote(_raw(target))
    if _has_dot_segment(path):
        return False
    root = unquote(_raw(base)).rstrip("/")
    return path == root or path.startswith(root + "/")


_SEPARATORS = re.compile(r"[/\\]")


def _has_dot_segment(path: str) -> bool:
    return any(part.split(";", 1)[0] in (".", "..") for part in _SEPARATORS.split(unquote(path)))


def _raw(url: _http.URL) -> str:
    return url.raw_path.split(b"?", 1)[0].decode("ascii", "replace")


def _port(url: _http.URL) -> int | None:
    return url.port or _PORTS.get(url.scheme)
