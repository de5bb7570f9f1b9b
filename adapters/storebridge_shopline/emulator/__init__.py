"""The SHOPLINE sandbox: an emulator and the connect settings that reach it."""

from __future__ import annotations

from typing import Any

from storebridge.sandbox import Clock
from storebridge.sandbox.kit import Sandbox
from storebridge_shopline.emulator.app import ALL_SCOPES, ShoplineEmulator


def sandbox(
    *,
    seed: int = 1,
    orders: int = 25,
    customers: int | None = None,
    products: int | None = None,
    latency: float = 0.0,
    clock: Clock | None = None,
    private_app: bool = False,
    **options: Any,
) -> Sandbox:
    """A seeded :class:`ShoplineEmulator` and ``settings(base_url)`` for ``connect``.

    ``options`` go to the emulator (``rate_limit=False`` or a rate per second,
    ``token_lifetime`` in seconds, ``currency``...). With ``private_app=True`` the settings
    use a private app's admin token instead of a refreshable OAuth token.
    """
    emulator = ShoplineEmulator(
        seed=seed,
        orders=orders,
        customers=customers,
        products=products,
        latency=latency,
        clock=clock,
        **options,
    )
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


__all__ = ["ALL_SCOPES", "ShoplineEmulator", "sandbox"]
