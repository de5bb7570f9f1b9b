"""Whether a URL stays under a store's API base URL, judged as the HTTP client will send it.

``Store.request`` sends the store's credentials with every request, so its target must be
the store: the same scheme, host and port as the base URL, and a path under the base
URL's path. A prefix test on the text is not enough: ``https://shop.example@evil.example/``
and ``https://shop.example.evil.example/`` both start with ``https://shop.example`` and go
to another host, and ``https://shop.example/api/../admin`` leaves the API root once the dot
segments are resolved.
"""

from __future__ import annotations

from urllib.parse import unquote

from storebridge import _http

_PORTS = {"http": 80, "https": 443}


def within_base_url(url: str, base_url: str) -> bool:
    """True when ``url`` addresses the store of ``base_url``: same origin, no user info,
    a path at or under the base path, and no ``.``/``..`` segment (plain or escaped)."""
    try:
        target = _http.URL(url)
        base = _http.URL(base_url)
    except (_http.InvalidURL, ValueError, TypeError):
        return False
    if target.userinfo or not target.host:
        return False
    if (target.scheme, target.host, _port(target)) != (base.scheme, base.host, _port(base)):
        return False
    # Segments as written (the parser has already resolved plain dot segments; escaped ones
    # like %2e%2e survive it and a server may resolve them after all).
    path = target.raw_path.split(b"?", 1)[0].decode("ascii", "replace")
    if any(unquote(part) in (".", "..") for part in path.split("/")):
        return False
    root = base.path.rstrip("/")
    return path == root or path.startswith(root + "/")


def _port(url: _http.URL) -> int | None:
    return url.port or _PORTS.get(url.scheme)
