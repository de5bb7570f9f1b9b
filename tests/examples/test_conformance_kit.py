"""The conformance kit fails adapters that break a promise: each check, one broken adapter.

Each broken adapter is the example adapter with one method written the way a first draft
often is; the kit must name what is wrong.
"""

from __future__ import annotations

from datetime import timedelta
from types import ModuleType
from typing import Any

import attrs
import pytest

from storebridge.adapter import OPERATIONS, Adapter
from storebridge.errors import APIError, OutcomeUnknown, PayloadError
from storebridge.flow import Emit, Flow, ListFlow, build_request, reconciled_write
from storebridge.http import Response, read_json
from storebridge.kit import Payload, error_from_response, read_payload
from storebridge.model import Customer, CustomerDraft, Refund, RefundQuote
from storebridge.testing import conformance
from storebridge.testing.conformance import (
    check_all,
    check_error_parsing,
    check_filters,
    check_listings_under_faults,
    check_listings_whole,
    check_lost_answer_writes,
)
from storebridge.testing.conformance_round_trip import check_round_trip


def _broken(example: ModuleType, **methods: Any) -> type[Adapter]:
    broken: type[Adapter] = type("Broken", (example.ExampleAdapter,), methods)
    return broken


def test_the_kit_knows_how_to_call_every_operation() -> None:
    assert set(conformance._CALLS) == set(OPERATIONS)


def test_a_parse_error_that_trusts_the_body_to_be_json_is_caught(example: ModuleType) -> None:
    def parse_error(self: Adapter, response: Response) -> APIError:
        message = response.json()["error"]["message"]
        return error_from_response(self, response, message=message)

    with pytest.raises(AssertionError, match=r"parse_error of a 400 with an empty body raised"):
        check_error_parsing(_broken(example, parse_error=parse_error))


def test_a_parse_error_that_returns_the_wrong_class_is_caught(example: ModuleType) -> None:
    def parse_error(self: Adapter, response: Response) -> APIError:
        return APIError("failed", status=response.status_code, platform=self.display_name)

    with pytest.raises(AssertionError, match=r"is a APIError, not the .* of HTTP 401"):
        check_error_parsing(_broken(example, parse_error=parse_error))


def test_a_write_without_read_back_is_caught(example: ModuleType) -> None:
    def create_customer(self: Any, draft: CustomerDraft) -> Flow[Customer]:
        body = {"customer": {"email": draft.email}}
        url = f"{self.base_url}/customers"
        response = yield build_request("POST", url, operation="customers.create", json=body)
        customer: Customer = read_payload(
            Payload(read_json(response)).obj("customer"), example.converters.to_customer
        )
        return customer

    broken = _broken(example, create_customer=create_customer)
    writes = {"customers.create": conformance.create_customer}
    with pytest.raises(AssertionError, match=r"\(reset_after\) raised OutcomeUnknown"):
        check_lost_answer_writes(broken, writes)


def test_a_read_back_through_a_cache_is_caught(example: ModuleType) -> None:
    """A hand-written read-back that asks the URL it asked before the write, without
    ``Cache-Control: no-cache``: a cache answers with the store as it was."""

    def create_customer(self: Any, draft: CustomerDraft) -> Flow[Customer]:
        url = f"{self.base_url}/customers"
        params = {"email": draft.email, "limit": 1}

        def look() -> Flow[Customer | None]:
            response = yield build_request("GET", url, operation="customers.find", params=params)
            found = Payload(read_json(response)).objects("customers")
            return read_payload(found[0], example.converters.to_customer) if found else None

        if (yield from look()) is not None:
            raise OutcomeUnknown("taken", operation="customers.create")
        body = {"customer": {"email": draft.email}}
        request = build_request("POST", url, operation="customers.create", json=body)
        try:
            response = yield request
        except OutcomeUnknown:
            made = yield from look()  # the same request as before the write
            if made is None:
                raise
            return made
        customer: Customer = read_payload(
            Payload(read_json(response)).obj("customer"), example.converters.to_customer
        )
        return customer

    broken = _broken(example, create_customer=create_customer)
    writes = {"customers.create": conformance.create_customer}
    with pytest.raises(AssertionError, match=r"past caches"):
        check_lost_answer_writes(broken, writes, kinds=["reset_after"])


def test_a_refund_sent_again_after_a_blind_read_back_is_caught(example: ModuleType) -> None:
    def create_refund(
        self: Any, quote: RefundQuote, *, note: str | None, notify: bool
    ) -> Flow[Refund]:
        lines = [{"line_id": line.line_ref, "quantity": line.quantity} for line in quote.lines]
        url = f"{self.base_url}/orders/{quote.order_ref}/refunds"
        request = build_request("POST", url, operation="refunds.create", json={"lines": lines})

        def parse(response: Response) -> Refund:
            refund: Refund = read_payload(
                Payload(read_json(response)).obj("refund"),
                example.converters.to_refund, quote.order_ref, quote.total.currency,
            )  # fmt: skip
            return refund

        def find_nothing() -> Flow[Refund | None]:
            yield from ()
            return None

        # attempts=2 re-sends what an empty read-back did not find (the default never does)
        return (yield from reconciled_write(request, parse, find_nothing, attempts=2))

    broken = _broken(example, create_refund=create_refund)
    writes = {"refunds.create": conformance.refund_one_unit}
    with pytest.raises(AssertionError, match=r"accepted the write 2 times"):
        check_lost_answer_writes(broken, writes, kinds=["reset_after"])


def test_a_listing_that_stops_at_a_bad_page_is_caught(example: ModuleType) -> None:
    def list_customers(self: Any, query: Any) -> ListFlow[Customer]:
        url: str | None = f"{self.base_url}/customers?limit=7"
        while url:
            request = build_request("GET", url, operation="customers.list", expect_json=False)
            response = yield request
            try:
                body = read_json(response)
                rows = body["customers"]
            except (PayloadError, LookupError, TypeError):
                return  # ends quietly: every record after this page is lost
            to_customer = example.converters.to_customer
            yield Emit([read_payload(Payload(row), to_customer) for row in rows])
            url = body["next"]

    broken = _broken(example, list_customers=list_customers)
    with pytest.raises(AssertionError, match=r"customers at \d+% faults, seed \d+ .*: lost"):
        check_listings_under_faults(broken, seeds=range(1, 9))


def _customers_of_one_page(example: ModuleType, keep_last: bool = True) -> Any:
    """A customers listing that reads only its first page (``keep_last=False``: reads every
    page but drops the last one): the same records every time, so it agrees with itself."""

    def list_customers(self: Any, query: Any) -> ListFlow[Customer]:
        size = query.page_size or 50
        url: str | None = f"{self.base_url}/customers?limit={size}"
        while url:
            response = yield build_request("GET", url, operation="customers.list")
            body = read_json(response)
            to_customer = example.converters.to_customer
            rows = [read_payload(Payload(row), to_customer) for row in body["customers"]]
            url = body["next"]
            if keep_last or url:
                yield Emit(rows)
            if keep_last:
                return

    return list_customers


@pytest.mark.parametrize("keep_last", [True, False], ids=["first page only", "last page lost"])
def test_a_listing_short_the_same_way_every_time_is_caught(
    example: ModuleType, keep_last: bool
) -> None:
    # The fault check compares faulty reads with the adapter's own read, which this one
    # agrees with. The whole-listing check holds it to what the sandbox was seeded with.
    broken = _broken(example, list_customers=_customers_of_one_page(example, keep_last))
    with pytest.raises(AssertionError, match=r"customers.list with .* of the 11 its sandbox"):
        check_listings_whole(broken)


def test_a_listing_that_follows_a_next_link_anywhere_is_caught(example: ModuleType) -> None:
    # A hand-written walk following "next" wherever it points: a poisoned answer sends the
    # store's token to another host.
    def list_customers(self: Any, query: Any) -> ListFlow[Customer]:
        url: str | None = f"{self.base_url}/customers?limit={query.page_size or 50}"
        while url:
            response = yield build_request("GET", url, operation="customers.list")
            body = Payload(read_json(response))
            to_customer = example.converters.to_customer
            yield Emit([read_payload(row, to_customer) for row in body.objects("customers")])
            url = body.opt_string("next")

    broken = _broken(example, list_customers=list_customers)
    with pytest.raises(AssertionError, match=r"followed a next link to https://elsewhere"):
        check_listings_whole(broken)


def test_a_listing_that_skips_a_row_it_cannot_read_is_caught(example: ModuleType) -> None:
    def list_customers(self: Any, query: Any) -> ListFlow[Customer]:
        # The converter's PayloadError swallowed: the row is left out, nothing said.
        url: str | None = f"{self.base_url}/customers?limit={query.page_size or 50}"
        while url:
            response = yield build_request("GET", url, operation="customers.list")
            body = read_json(response)
            kept = []
            for row in body["customers"]:
                try:
                    kept.append(read_payload(Payload(row), example.converters.to_customer))
                except PayloadError:
                    continue
            yield Emit(kept)
            url = body["next"]

    broken = _broken(example, list_customers=list_customers)
    with pytest.raises(AssertionError, match=r"row that cannot be read must raise a PayloadErr"):
        check_listings_whole(broken)


def test_a_refund_read_back_that_takes_any_refund_of_the_order_is_caught(
    example: ModuleType,
) -> None:
    # After a lost answer it returns the order's first refund, made before this call: the
    # caller is told of a refund that is not the one it asked for.
    def find_refund(self: Any, quote: RefundQuote) -> Flow[Refund | None]:
        found = yield from self._refunds(quote.order_ref)
        return found[0] if found else None

    broken = _broken(example, find_refund=find_refund)
    writes = {"refunds.create": conformance.refund_one_unit}
    with pytest.raises(AssertionError, match=r"returned refund \w+, made before this call"):
        check_lost_answer_writes(broken, writes, kinds=["reset_after"])


def test_a_credential_not_declared_secret_is_caught(example: ModuleType) -> None:
    # The token goes out in the Authorization header, so it is a credential whatever the
    # adapter declares; undeclared, logs, errors and cassettes would show it.
    broken = _broken(example, secrets=property(lambda self: ()))
    with pytest.raises(AssertionError, match=r"setting 'token' is sent with requests"):
        conformance.check_adapter(broken)


def test_a_credential_shown_by_a_repr_is_caught(example: ModuleType) -> None:
    def __repr__(self: Any) -> str:
        return f"ExampleAdapter(token={self.settings.token.reveal()!r})"

    broken = _broken(example, __repr__=__repr__)
    with pytest.raises(AssertionError, match=r"repr\(\) of the adapter shows setting 'token'"):
        conformance.check_adapter(broken)


@pytest.mark.parametrize("dropped", ["updated_since", "updated_until", "status"])
def test_a_filter_the_listing_ignores_is_caught(example: ModuleType, dropped: str) -> None:
    # Ignored, a filter lists every record: the caller gets those it meant to leave out.
    def list_orders(self: Any, query: Any) -> ListFlow[Any]:
        flow: ListFlow[Any] = example.ExampleAdapter.list_orders(
            self, attrs.evolve(query, **{dropped: None})
        )
        return flow

    broken = _broken(example, list_orders=list_orders)
    with pytest.raises(AssertionError, match=rf"orders.list\({dropped}=.*(applied|outside)"):
        check_filters(broken)


def test_an_exclusive_lower_bound_is_caught(example: ModuleType) -> None:
    # updated_since taken as "after" (a platform comparing whole seconds with ">"): the
    # order changed at the bound itself is lost.
    def list_orders(self: Any, query: Any) -> ListFlow[Any]:
        since = query.updated_since
        later = None if since is None else since + timedelta(seconds=1)
        flow: ListFlow[Any] = example.ExampleAdapter.list_orders(
            self, attrs.evolve(query, updated_since=later)
        )
        return flow

    broken = _broken(example, list_orders=list_orders)
    with pytest.raises(AssertionError, match=r"updated_since=.* left out .* in the window"):
        check_filters(broken)


def test_a_write_that_fakes_success_on_a_5xx_is_caught(example: ModuleType) -> None:
    # The platform did nothing; the caller is told the customer exists.
    def create_customer(self: Any, draft: CustomerDraft) -> Flow[Customer]:
        try:
            made: Customer = yield from example.ExampleAdapter.create_customer(self, draft)
        except (OutcomeUnknown, APIError):
            raw = {"id": "made-up", "email": draft.email}
            made = Customer(platform=self.name, ref="made-up", email=draft.email, raw=raw)
        return made

    broken = _broken(example, create_customer=create_customer)
    writes = {"customers.create": conformance.create_customer}
    with pytest.raises(AssertionError, match=r"a record the platform does not hold"):
        check_lost_answer_writes(broken, writes, kinds=conformance.UNPROCESSED)


def test_the_example_itself_passes_each_of_these_checks(example: ModuleType) -> None:
    adapter = example.ExampleAdapter
    assert check_listings_whole(adapter) == {"orders": 23, "customers": 11}
    assert check_filters(adapter)["orders"] > 0
    assert check_error_parsing(adapter) > 0
    assert check_listings_under_faults(adapter)["customers"]["exact"] > 0
    assert check_lost_answer_writes(adapter, kinds=["reset_after"])


def test_it_is_part_of_check_all(example: ModuleType) -> None:
    result = check_all(example.ExampleAdapter)
    assert set(result["check_round_trip"]) == {"times_checked", "customer"}


def _swap_names(customer: Any) -> Any:
    return attrs.evolve(customer, first_name=customer.last_name, last_name=customer.first_name)


def test_the_example_with_its_names_swapped_is_caught(example: ModuleType) -> None:
    base = example.ExampleAdapter

    def to_customer(self: Any, draft: Any) -> Any:
        return _swap_names((yield from base.create_customer(self, draft)))

    def get_customer(self: Any, ref: str) -> Any:
        return _swap_names((yield from base.get_customer(self, ref)))

    broken = type("Broken", (base,), {"create_customer": to_customer, "get_customer": get_customer})
    with pytest.raises(AssertionError, match="first_name, last_name"):
        check_round_trip(broken)
