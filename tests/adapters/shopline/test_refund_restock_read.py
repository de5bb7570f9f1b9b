"""A refund line's ``restock_type`` is read as given, and as unknown when it is not given.

SHOPLINE documents three values (``no_restock``, ``cancel``, ``return``) and no default: a
line without one is ``RestockType.UNKNOWN``, never read as "not restocked" (which says the
stock stayed where it was, when it may have gone back on the shelf).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from storebridge import Money, RefundLine, RestockType, ValidationError, webhooks
from storebridge.model import Refund
from storebridge.testing import FaultTransport
from storebridge_shopline import sign_webhook
from tests.adapters.shopline.support import World, paid_order, world


def _refunded(w: World) -> tuple[str, dict[str, Any]]:
    """A paid order with one unit of its first line refunded; the refund as kept."""
    ref = paid_order(w)
    line = w.emulator.orders[ref]["line_items"][0]
    with w.connect() as store:
        quote = store.refunds.calculate(ref, lines=[RefundLine(line_ref=line["id"], quantity=1)])
        store.refunds.create(quote)
    stored: dict[str, Any] = w.emulator.orders[ref]["refunds"][-1]
    return ref, stored


def _set_restock(stored: dict[str, Any], value: Any) -> None:
    for line in stored["refund_line_items"]:
        if value is _MISSING:
            line.pop("restock_type", None)
        else:
            line["restock_type"] = value


_MISSING = object()
VALUES = [
    pytest.param(_MISSING, RestockType.UNKNOWN, id="missing"),
    pytest.param(None, RestockType.UNKNOWN, id="null"),
    pytest.param("", RestockType.UNKNOWN, id="blank"),
    pytest.param("no_restock", RestockType.NO_RESTOCK, id="no_restock"),
    pytest.param("cancel", RestockType.CANCEL, id="cancel"),
    pytest.param("return", RestockType.RETURN, id="return"),
    pytest.param("restocked_somewhere", RestockType.UNKNOWN, id="undocumented"),
]


@pytest.mark.parametrize(("value", "read"), VALUES)
def test_refunds_listed_read_restock_type_as_given(value: Any, read: RestockType) -> None:
    w = world(orders=3, currency="NOK", rate_limit=False)
    ref, stored = _refunded(w)
    _set_restock(stored, value)
    with w.connect() as store:
        [refund] = store.extra.list_refunds(ref)
    assert [line.restock for line in refund.lines] == [read]


@pytest.mark.parametrize(("value", "read"), VALUES)
def test_a_delivered_refund_reads_restock_type_as_given(value: Any, read: RestockType) -> None:
    w = world(orders=3, currency="NOK", rate_limit=False)
    ref, stored = _refunded(w)
    record = json.loads(json.dumps({**stored, "order_id": ref}))
    _set_restock(record, value)
    body = json.dumps(record).encode()
    headers = {"X-Shopline-Topic": "refunds/create", "X-Shopline-Webhook-Id": "r1",
               "X-Shopline-Hmac-Sha256": sign_webhook(w.settings["app_secret"], body)}  # fmt: skip
    with w.connect() as store:
        change = webhooks.receive(store, headers, body)
    assert change is not None and isinstance(change.object, Refund)
    assert [line.restock for line in change.object.lines] == [read]
    assert change.object.amount.currency == "NOK"


def test_an_order_read_through_faults_keeps_an_unknown_restock_unknown() -> None:
    w = world(orders=3, currency="NOK", rate_limit=False)
    ref, stored = _refunded(w)
    _set_restock(stored, _MISSING)
    kinds = ["server_error", "truncated", "wrong_shape"]

    def script(number: int, request: Any) -> str | None:
        return kinds.pop(0) if "orders.json" in request.url.path and kinds else None

    faulty = FaultTransport(w.emulator.transport(), script=script)
    with w.connect(transport=faulty) as store:
        order = store.orders.get(ref)
    assert faulty.injected == {"server_error": 1, "truncated": 1, "wrong_shape": 1}
    [refund] = order.refunds
    assert [line.restock for line in refund.lines] == [RestockType.UNKNOWN]
    assert refund.lines[0].amount is not None and refund.lines[0].amount.currency == "NOK"
    assert refund.amount > Money.zero("NOK")


def test_a_refund_line_whose_restock_is_unknown_is_refused_before_sending() -> None:
    """A line read back from a refund that did not say how its units were restocked is no
    instruction: sent, its restock type would be a guess."""
    w = world(orders=2, rate_limit=False)
    ref = paid_order(w)
    line = w.emulator.orders[ref]["line_items"][0]
    unknown = RefundLine(line_ref=line["id"], quantity=1, restock=RestockType.UNKNOWN)
    before = len(w.emulator.requests)
    with w.connect() as store:
        with pytest.raises(ValidationError) as err:
            store.refunds.calculate(ref, lines=[unknown])
        assert err.value.field == "lines[0].restock"
        posts = [r for r in w.emulator.requests[before:] if r.method == "POST"]
        assert posts == []
        kept = RefundLine(line_ref=line["id"], quantity=1, restock=RestockType.NO_RESTOCK)
        assert store.refunds.calculate(ref, lines=[kept]).lines[0].restock is RestockType.NO_RESTOCK
