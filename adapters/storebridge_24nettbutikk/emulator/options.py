"""Switches for the behaviours the notes could not confirm ("inferred"), and other knobs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

__all__ = ["BOUNDS", "EMPTY_LIST", "ENCODINGS", "SORTS", "EmulatorOptions"]

EMPTY_LIST = ("empty", "404")
BOUNDS = ("inclusive", "exclusive")
SORTS = ("modified", "key", "newest")
ENCODINGS = ("utf-8", "latin-1")


def _one_of(choices: tuple[str, ...]) -> Any:
    def check(_i: object, a: attrs.Attribute[Any], value: str) -> None:
        if value not in choices:
            raise ValueError(f"{a.name} must be one of {', '.join(choices)}, got {value!r}")

    return check


def _cap(_i: object, a: attrs.Attribute[Any], value: int | None) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError(f"{a.name} must be a whole number of rows >= 1 or None, got {value!r}")


@attrs.frozen(kw_only=True)
class EmulatorOptions:
    """How the emulated shop behaves where the real one is unknown.

    Passed as keywords: ``NettbutikkEmulator(size, sort="key")`` or
    ``NettbutikkAdapter.sandbox(sort="key")``.

    * ``empty_list``: an empty list (or a page past the end) answers ``200 {"data": []}``
      (``"empty"``) or ``404`` (``"404"``, as the Airbyte connector expects).
    * ``bounds``: ``since``/``until`` compare inclusively or exclusively with ``modified_on``.
    * ``sort``: ``"modified"`` (modified_on then key, oldest first), ``"key"`` (key
      ascending), ``"newest"`` (modified_on descending).
    * ``encoding``: response bodies in ``"utf-8"`` or ``"latin-1"`` (ISO-8859-1).
    * ``string_scalars``: numbers and flags as strings (``"199.00"``, ``"1"``) or JSON numbers.
    * ``head_on_all``: ``HEAD`` works on every list root, or on ``/orders`` only.
    * ``customer_paging``: ``/customers/{limit}/{offset}`` pages like the other lists, or
      (False) answers 400 and only the bare ``GET /customers`` lists (everything at once).
    * ``currency``: the shop's currency (orders carry it; products are priced in it).
    * ``time_zone``: the zone ``modified_on`` is written in.
    * ``rate_limit`` / ``rate_burst``: a server-side token bucket per shop (None: off); over
      it the shop answers 429 with ``Retry-After`` (the real limit is undocumented).
      The bucket refills by the emulator's clock, so tests on fake time see the limit play
      out in fake time; ``limit_clock`` replaces that clock for the bucket alone.
    * ``page_cap``: the most rows one list page holds, whatever ``limit`` asks for (the shop
      caps silently; its links carry the capped limit). None: no cap.
    * ``token``: the shop's API token.
    """

    empty_list: str = attrs.field(default="empty", validator=_one_of(EMPTY_LIST))
    bounds: str = attrs.field(default="inclusive", validator=_one_of(BOUNDS))
    sort: str = attrs.field(default="modified", validator=_one_of(SORTS))
    encoding: str = attrs.field(default="utf-8", validator=_one_of(ENCODINGS))
    string_scalars: bool = True
    head_on_all: bool = True
    customer_paging: bool = True
    time_zone: str = "Europe/Oslo"
    currency: str = "NOK"
    rate_limit: float | None = None
    rate_burst: int = 20
    limit_clock: Callable[[], float] | None = None
    page_cap: int | None = attrs.field(default=50, validator=_cap)
    token: str = "sandbox-24nb-token-0000"
