"""Addresses to and from a platform's wire shape, declared once per platform.

Every platform spells the same address differently (``line1``/``address1``,
``postcode``/``zip``...). An adapter declares its spelling as :class:`AddressFields` and gets
both directions from it, with the JSON path kept in every error::

    ADDRESS = AddressFields(line1="address1", line2="address2", postal_code="zip",
                            region=("province", "province_code"), country=("country_code",
                            "country"))
    ADDRESS.read(payload)          # -> Address
    ADDRESS.write(address)         # -> {"address1": ..., "zip": ...}
    ADDRESS.replacement(address)   # -> every field, a None one as "" (replaces the old)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from storebridge.errors import PayloadError
from storebridge.model import Address
from storebridge.payload import Payload

WireNames = str | tuple[str, ...] | None
"""One wire name, several (read: first present wins; write: the first), or None (absent)."""

_FIELDS = tuple(a.name for a in attrs.fields(Address))


def _names(value: WireNames) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


@attrs.frozen(kw_only=True)
class AddressFields:
    """The wire names of each :class:`~storebridge.model.Address` field on one platform.

    Defaults are the model's own names; pass None for a field the platform does not have.
    """

    first_name: WireNames = "first_name"
    last_name: WireNames = "last_name"
    company: WireNames = "company"
    line1: WireNames = "line1"
    line2: WireNames = "line2"
    city: WireNames = "city"
    region: WireNames = "region"
    postal_code: WireNames = "postal_code"
    country: WireNames = "country"
    phone: WireNames = "phone"
    full_name: str | None = None
    """A wire field holding the whole name, split at its last space when the address has
    no first and last name of its own (so the person to deliver to is not lost)."""
    more_lines: tuple[str, ...] = ()
    """Further address lines the platform has and the model does not (``line3``): read
    onto ``line2``, after it, so an apartment or a floor is not lost, and written as blank
    whenever ``line2`` is written (it holds them)."""

    def read(self, payload: Payload) -> Address:
        """The address in ``payload`` (blank strings read as None)."""
        values: dict[str, str | None] = {}
        for field in _FIELDS:
            found = None
            for name in _names(getattr(self, field)):
                found = payload.opt_string(name)
                if found is not None:
                    break
            values[field] = found
        if self.full_name and values["first_name"] is None and values["last_name"] is None:
            values["first_name"], values["last_name"] = split_name(
                payload.opt_string(self.full_name)
            )
        extra = [line for name in self.more_lines if (line := payload.opt_string(name))]
        if extra:
            values["line2"] = ", ".join(filter(None, [values["line2"], *extra]))
        return Address(**values)

    def read_optional(self, payload: Payload, key: str) -> Address | None:
        """The address at ``payload[key]``, or None when it is missing, null or empty."""
        inner = payload.opt_obj(key)
        if inner is None:
            return None
        address = self.read(inner)
        return None if address == Address() else address

    def write(self, address: Address, *, keep_empty: bool = False) -> dict[str, Any]:
        """``address`` in the platform's names; fields left None are not sent."""
        body: dict[str, Any] = {}
        for field in _FIELDS:
            names = _names(getattr(self, field))
            value = getattr(address, field)
            if names and (value is not None or keep_empty):
                body[names[0]] = value
        line2 = _names(self.line2)
        if line2 and line2[0] in body:
            # ``line2`` holds what was read from them: sent again there, they are cleared
            # (kept, the next read would add them once more).
            body.update(dict.fromkeys(self.more_lines, ""))
        return body

    def replacement(
        self, address: Address, *, empty: str | None = "", clear: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """``address`` as a whole new address: every field the platform has is sent, those
        left None as ``empty`` (the platform's own value for "none"), and ``more_lines``
        and ``clear`` (other spellings the write takes, a region's code beside its name)
        as ``empty`` too.

        Platforms update only the fields they are sent: a field left out keeps the old
        address's value, and the order ends up at a mixture of the two addresses.
        """
        body = self.write(address)
        for field in _FIELDS:
            names = _names(getattr(self, field))
            if names:
                body.setdefault(names[0], empty)
        body.update(dict.fromkeys((*self.more_lines, *clear), empty))
        return body

    def holds(self, stored: Any, sent: Mapping[str, Any]) -> bool:
        """True when ``stored`` (an address object read back) is the address ``sent`` (a
        :meth:`replacement`): every field sent is there as sent, a cleared one blank (empty,
        null or missing), and it reads as the address sent, so no other spelling of a
        field (a full name, a region's code) still holds the old address's value."""
        if not isinstance(stored, Mapping):
            return False
        if any(_blank(stored.get(key)) != _blank(sent[key]) for key in self._own(sent)):
            return False
        return self.read(Payload(stored)) == self.read(Payload(sent))

    def _own(self, sent: Mapping[str, Any]) -> list[str]:
        """The keys of ``sent`` compared as sent: each field's own name and the further
        lines. Other spellings sent blank beside them (a country's name beside its code)
        the platform may fill in from the one written: they are judged by the address
        they read as."""
        own = {names[0] for f in _FIELDS if (names := _names(getattr(self, f)))}
        return [key for key in sent if key in own or key in self.more_lines]

    def check_answer(self, stored: Any, sent: Mapping[str, Any], *, platform: str) -> None:
        """PayloadError unless ``stored``, the address in a write's 2xx answer, is the
        :meth:`replacement` ``sent``: a platform that ignores a blank field keeps the old
        address's value there, and the order would ship to a mixture of the two."""
        if not self.holds(stored, sent):
            kept = sorted(
                key
                for key in self._own(sent)
                if isinstance(stored, Mapping) and _blank(stored.get(key)) != _blank(sent[key])
            )
            raise PayloadError(
                "the address in the answer is not the one sent (fields "
                f"{', '.join(kept) or 'read differently'}): the platform kept part of the "
                "old address; read the order and send the whole address again",
                path="$.shipping_address",
                platform=platform,
            )


def _blank(value: Any) -> Any:
    return None if value == "" else value


def split_name(name: str | None) -> tuple[str | None, str | None]:
    """A whole name as (first name, last name), split at the last space; a name of one
    word is a first name."""
    if not name:
        return None, None
    first, _, last = name.strip().rpartition(" ")
    return (first or None, last or None) if first else (last or None, None)


__all__ = ["AddressFields", "WireNames", "split_name"]
