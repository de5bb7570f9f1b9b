"""The SHOPLINE sandbox: an emulator and the connect settings that reach it.

``ShoplineEmulator(size, **options)`` with a :class:`~storebridge.sandbox.SandboxSize` and
:class:`~storebridge_shopline.emulator.options.ShoplineOptions` fields as keywords;
``ShoplineAdapter.sandbox(...)`` (or :func:`sandbox`) builds one with its settings.
"""

from __future__ import annotations

from typing import Any

from storebridge.sandbox import Sandbox, SandboxSize
from storebridge_shopline.emulator.app import ALL_SCOPES, ShoplineEmulator
from storebridge_shopline.emulator.options import ShoplineOptions


def sandbox(
    size: SandboxSize | None = None, *, private_app: bool = False, **options: Any
) -> Sandbox:
    """A seeded :class:`ShoplineEmulator` and ``settings(base_url)`` for ``connect``.

    ``options`` are :class:`ShoplineOptions` fields (``rate_limit=False`` or a rate per
    second, ``token_lifetime`` in seconds, ``currency``...). With ``private_app=True`` the
    settings use a private app's admin token instead of a refreshable OAuth token.
    """
    emulator = ShoplineEmulator(size, **options)
    token, expires = emulator.issue_token(private=private_app)

    def settings(base_url: str) -> dict[str, Any]:
        given: dict[str, Any] = {
            "base_url": base_url,
            "access_token": token,
            "token_expires_at": expires,
            "clock": emulator.clock,
        }
        if private_app:
            given["private_app"] = True
        else:
            given.update(app_key=emulator.app_key, app_secret=emulator.app_secret)
        return given

    return Sandbox(platform="shopline", emulator=emulator, settings=settings)


__all__ = ["ALL_SCOPES", "ShoplineEmulator", "ShoplineOptions", "sandbox"]
