"""Orders and their lines: wire rows, line reads, and the PATCHes the shop allows."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from storebridge.sandbox import EmulatorRequest, Endpoint, HTTPProblem
from storebridge_24nettbutikk.emulator.state import Record, ShopState
from storebridge_24nettbutikk.emulator.wire import Response, Wire, bad_request, patch_body

__all__ = ["Orders"]

Handler = Callable[[EmulatorRequest], Response]
_ORDER = r"orders/(?P<no>[^/]+)"
_LINE = rf"{_ORDER}/lines/(?P<line>[^/]+)"


class Orders:
    """``/orders``: rows with their lines, ``/orders/{no}/lines[/{id}]``, status and line
    PATCHes."""

    name = "orders"

    def __init__(self, state: ShopState, wire: Wire, now: Callable[[], float]) -> None:
        self.state = state
        self.wire = wire
        self.now = now

    def endpoints(self) -> list[Endpoint[Handler]]:
        return [
            Endpoint("GET", rf"{_ORDER}/lines/?", self.get_lines),
            Endpoint("GET", rf"{_LINE}/?", self.get_line),
            Endpoint("PATCH", rf"{_LINE}/?", self.patch_line),
            Endpoint("PATCH", rf"{_ORDER}/?", self.patch_order),
        ]

    # Rows ------------------------------------------------------------------------------
    def rows(self, order: Record, flat: bool) -> list[dict[str, Any]]:
        placed = datetime.fromtimestamp(order["placed"], self.state.zone)
        skip = {"placed", "lines", "modified"}
        row = self.wire.row({k: v for k, v in order.items() if k not in skip})
        row.update(
            order_date=placed.strftime("%Y-%m-%d"),
            order_time=placed.strftime("%H:%M:%S"),
            sent_date=_sent_date(order),
            deletion_date=None,
            deleted_by=None,
            effecting_date=placed.strftime("%Y-%m-%d") if order["effected"] else None,
            tracking_number=None,
            modified_on=self.state.local(order["modified"]),
            order_lines=[self.line_row(order, line) for line in order["lines"]],
        )
        return [row]

    def line_row(self, order: Record, line: Record) -> dict[str, Any]:
        row = self.wire.row({k: v for k, v in line.items() if k != "attributes"})
        row["order_no"] = self.wire.scalar(order["order_no"])
        if line.get("attributes"):
            row["attributes"] = dict(line["attributes"])
        return row

    # Reads -----------------------------------------------------------------------------
    def _order(self, req: EmulatorRequest) -> Record:
        order = self.state.find("orders", req.params["no"])
        if order is None:
            raise HTTPProblem(404, None)
        return order

    @staticmethod
    def _line(order: Record, line_id: str) -> Record:
        lines: list[Record] = order["lines"]
        for line in lines:
            if str(line["id"]) == line_id:
                return line
        raise HTTPProblem(404, None)

    def get_lines(self, req: EmulatorRequest) -> Response:
        order = self._order(req)
        rows = [self.line_row(order, line) for line in order["lines"]]
        return self.wire.encode(req, {"data": rows})

    def get_line(self, req: EmulatorRequest) -> Response:
        order = self._order(req)
        line = self._line(order, req.params["line"])
        return self.wire.encode(req, {"data": [self.line_row(order, line)]})

    # Writes ----------------------------------------------------------------------------
    def patch_order(self, req: EmulatorRequest) -> Response:
        order = self._order(req)
        body = patch_body(req, {"status"})
        if not isinstance(body["status"], str | int) or isinstance(body["status"], bool):
            raise bad_request()
        order["status"] = str(body["status"])
        self.state.modify("orders", order, self.now())
        return self.wire.encode(req, {"data": self.rows(order, False)})

    def patch_line(self, req: EmulatorRequest) -> Response:
        order = self._order(req)
        line = self._line(order, req.params["line"])
        body = patch_body(req, {"sent", "sent_date", "extra_field"})
        if "sent" in body:
            flag = str(body["sent"]).strip().lower()
            if flag not in ("0", "1", "true", "false"):
                raise bad_request()
            line["sent"] = flag in ("1", "true")
            line["quantity_sent"] = line["quantity"] if line["sent"] else 0
        if "sent_date" in body:
            value = body["sent_date"]
            if value is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(value)):
                raise bad_request()
            line["sent_date"] = value
        if "extra_field" in body:
            line["extra_field"] = None if body["extra_field"] is None else str(body["extra_field"])
        self.state.modify("orders", order, self.now())
        return self.wire.encode(req, {"data": [self.line_row(order, line)]})


def _sent_date(order: Record) -> str | None:
    dates = [line["sent_date"] for line in order["lines"] if line["sent_date"]]
    return max(dates) if dates and all(line["sent"] for line in order["lines"]) else None
