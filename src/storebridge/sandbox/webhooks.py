"""Webhooks sent by emulators: which writes raise which events, and delivering them.

A platform emulator declares :class:`EventRule` objects (a successful write to this path
raises these events about the record its path or its answer names) and builds each
:class:`Delivery` itself: the platform's envelope, headers and signature. What every
platform shares lives here:

* :class:`WebhookHub` matches each successful write against the rules and hands the events
  to the emulator's builder, so resource modules need no webhook code;
* :class:`DeliveryQueue` POSTs deliveries from a background thread with the HTTP library,
  in the order the events happened. A delivery that fails (an answer other than 2xx, or
  none) is sent again up to ``attempts`` times in all, after ``retry_delay`` seconds,
  doubling each time; a 410 answer ends it at once (the platforms' "gone"). With
  ``duplicates`` every delivery is sent twice, as platforms do now and then, so a
  receiver's de-duplication can be tested.

Deliveries go only to loopback addresses (``127.0.0.1``, ``localhost``, ``::1``), or to the
in-process ``transport`` given in :class:`WebhookOptions`; any other address is refused
when subscribing and never contacted.
"""

from __future__ import annotations

import heapq
import ipaddress
import itertools
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from storebridge import _http
from storebridge._json import parse_json
from storebridge.errors import PayloadError

__all__ = [
    "Delivery",
    "DeliveryAttempt",
    "DeliveryQueue",
    "EventRule",
    "RaisedEvent",
    "WebhookHub",
    "WebhookOptions",
    "answer_ref",
    "path_ref",
    "refused_target",
    "webhook_options",
]

GONE = 410
"""The answer that tells a platform to stop delivering to a subscription."""


def _at_least(minimum: float) -> Callable[[object, attrs.Attribute[Any], float], None]:
    def check(_i: object, a: attrs.Attribute[Any], value: float) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
            raise ValueError(f"webhooks {a.name} must be a number >= {minimum}, got {value!r}")

    return check


@attrs.frozen(kw_only=True)
class WebhookOptions:
    """How an emulator delivers webhooks (``sandbox(webhooks=WebhookOptions(...))`` or a
    dict of these fields).

    * ``attempts``: sends of one delivery in all, the first included (bounded retries);
    * ``retry_delay``: seconds before the first retry, doubled before each next one;
    * ``duplicates``: send every delivery twice (same event, same id);
    * ``transport``: an in-process transport (``storebridge.http.MockTransport``...) that
      receives every delivery instead of the network, whatever its URL;
    * ``timeout``: seconds to wait for a receiver's answer.
    """

    attempts: int = attrs.field(default=4, validator=_at_least(1))
    retry_delay: float = attrs.field(default=0.05, validator=_at_least(0))
    duplicates: bool = False
    transport: _http.BaseTransport | None = attrs.field(default=None, repr=False)
    timeout: float = attrs.field(default=5.0, validator=_at_least(0.001))


def webhook_options(value: WebhookOptions | Mapping[str, Any] | None) -> WebhookOptions:
    """The ``webhooks`` emulator option as :class:`WebhookOptions` (None: the defaults)."""
    if value is None:
        return WebhookOptions()
    if isinstance(value, WebhookOptions):
        return value
    if isinstance(value, Mapping):
        known = {field.name for field in attrs.fields(WebhookOptions)}
        unknown = sorted(set(value) - known)
        if unknown:
            raise ValueError(
                f"webhooks has no option {', '.join(unknown)}; it takes {', '.join(sorted(known))}"
            )
        return WebhookOptions(**value)
    raise ValueError(f"webhooks must be WebhookOptions or a dict, got {type(value).__name__}")


_LOOPBACK_NAMES = frozenset({"localhost"})


def refused_target(url: str, options: WebhookOptions) -> str | None:
    """Why an emulator will not deliver to ``url``; None when it will.

    With an in-process transport nothing leaves the process, so any http(s) URL is fine;
    otherwise only loopback hosts are.
    """
    try:
        parsed = _http.URL(url)
    except (_http.HTTPError, TypeError, ValueError):
        return "is not a URL"
    if parsed.scheme not in ("http", "https") or not parsed.host:
        return "must be an http:// or https:// URL"
    if options.transport is not None:
        return None
    host = parsed.host.lower()
    if host in _LOOPBACK_NAMES:
        return None
    try:
        if ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:
        pass
    return (
        "is not a loopback address: the sandbox delivers webhooks only to 127.0.0.1 or "
        "localhost (or to an in-process transport)"
    )


@attrs.frozen
class Delivery:
    """One webhook POST as the platform sends it: URL, raw body, headers (signature included).

    ``on_gone`` is called when the receiver answers 410 (29 Next then disables the
    subscription).
    """

    url: str
    body: bytes = attrs.field(repr=False)
    headers: Mapping[str, str] = attrs.field(repr=False)
    event: str
    event_id: str
    on_gone: Callable[[], None] | None = attrs.field(default=None, eq=False, repr=False)


@attrs.frozen
class DeliveryAttempt:
    """One send of a delivery and how it ended: the receiver's status, or why none came."""

    delivery: Delivery
    attempt: int
    status: int | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class DeliveryQueue:
    """Sends deliveries from one background thread, in order, with bounded retries.

    ``attempts`` (the log of every send) and :meth:`flush` are for tests and for anyone
    watching a sandbox; ``options`` may be replaced at any time (say, to turn duplicates on).
    """

    def __init__(self, options: WebhookOptions | None = None) -> None:
        self.options = options or WebhookOptions()
        self.attempts: list[DeliveryAttempt] = []
        self._due: list[tuple[float, int, Delivery, int]] = []
        self._order = itertools.count()
        self._busy = 0
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False

    def send(self, delivery: Delivery) -> None:
        """Queue ``delivery`` (twice with ``duplicates``); returns at once."""
        copies = 2 if self.options.duplicates else 1
        with self._cond:
            if self._closed:
                return
            now = time.monotonic()
            for _ in range(copies):
                heapq.heappush(self._due, (now, next(self._order), delivery, 1))
            self._start()
            self._cond.notify_all()

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until every queued delivery was delivered or given up; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._due or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def close(self) -> None:
        """Stop sending; deliveries not yet sent are dropped."""
        with self._cond:
            self._closed = True
            self._due.clear()
            self._cond.notify_all()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=10)

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
            self._thread.start()

    def _next(self) -> tuple[Delivery, int] | None:
        with self._cond:
            while True:
                if self._closed:
                    return None
                if self._due:
                    wait = self._due[0][0] - time.monotonic()
                    if wait <= 0:
                        _, _, delivery, attempt = heapq.heappop(self._due)
                        self._busy += 1
                        return delivery, attempt
                    self._cond.wait(wait)
                else:
                    self._cond.wait()

    def _run(self) -> None:
        client: _http.Client | None = None
        client_transport: _http.BaseTransport | None = None
        try:
            while (item := self._next()) is not None:
                delivery, attempt = item
                options = self.options
                if client is None or client_transport is not options.transport:
                    if client is not None:
                        client.close()
                    client_transport = options.transport
                    client = _http.Client(transport=options.transport, timeout=options.timeout)
                result = self._post(client, delivery, attempt, options)
                if result.status == GONE and delivery.on_gone is not None:
                    # Outside the queue's lock: the emulator takes its own lock here, and
                    # holds it while queueing new deliveries.
                    delivery.on_gone()
                with self._cond:
                    self.attempts.append(result)
                    if not result.ok and result.status != GONE and attempt < options.attempts:
                        due = time.monotonic() + options.retry_delay * 2 ** (attempt - 1)
                        heapq.heappush(self._due, (due, next(self._order), delivery, attempt + 1))
                    self._busy -= 1
                    self._cond.notify_all()
        finally:
            if client is not None:
                client.close()

    @staticmethod
    def _post(
        client: _http.Client, delivery: Delivery, attempt: int, options: WebhookOptions
    ) -> DeliveryAttempt:
        refused = refused_target(delivery.url, options)
        if refused is not None:
            return DeliveryAttempt(delivery, attempt, error=f"not sent: the target {refused}")
        try:
            response = client.post(
                delivery.url, content=delivery.body, headers=dict(delivery.headers)
            )
        except _http.HTTPError as exc:
            return DeliveryAttempt(delivery, attempt, error=f"{type(exc).__name__}: {exc}")
        return DeliveryAttempt(delivery, attempt, status=response.status_code)


@attrs.frozen
class RaisedEvent:
    """An event a write raised: the platform's event name, the record's key, and the
    ``origin`` (``scheme://host``) the write was sent to, for links in rendered records."""

    event: str
    ref: str
    origin: str
    host: str


RefReader = Callable[[Any, Mapping[str, str]], str | None]
"""``(answer JSON, path groups) -> ref``: which record a write was about."""


def path_ref(group: str) -> RefReader:
    """The ref is the write path's named group ``group`` (``/orders/(?P<number>...)``)."""

    def read(_answer: Any, params: Mapping[str, str]) -> str | None:
        return params.get(group)

    return read


def answer_ref(*keys: str) -> RefReader:
    """The ref is at ``keys`` in the write's JSON answer (``answer_ref("order", "id")``)."""

    def read(answer: Any, _params: Mapping[str, str]) -> str | None:
        node = answer
        for key in keys:
            if not isinstance(node, dict):
                return None
            node = node.get(key)
        if isinstance(node, bool) or not isinstance(node, str | int):
            return None
        return str(node)

    return read


@attrs.frozen
class EventRule:
    """A successful ``method`` to a path matching ``path`` (a regex over the whole path)
    raises ``events`` about the record ``ref`` reads."""

    method: str
    path: str
    events: tuple[str, ...]
    ref: RefReader
    _pattern: re.Pattern[str] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_pattern", re.compile(self.path))

    def match(self, method: str, path: str) -> Mapping[str, str] | None:
        if method != self.method:
            return None
        found = self._pattern.fullmatch(path)
        return None if found is None else found.groupdict()


Builder = Callable[[RaisedEvent], Sequence[Delivery]]
"""The platform's part: the deliveries (one per subscription that wants it) for an event."""


class WebhookHub:
    """Turns an emulator's successful writes into deliveries, and sends them.

    The emulator calls :meth:`observe` after each write it answered (under its lock, so the
    builder renders the record as that write left it); :meth:`raise_event` raises one
    directly (a test editing the store by hand).
    """

    def __init__(
        self,
        rules: Sequence[EventRule],
        build: Builder,
        options: WebhookOptions | None = None,
        *,
        subscribed: Callable[[], bool] = lambda: True,
    ) -> None:
        self.rules = tuple(rules)
        self.build = build
        self.subscribed = subscribed
        """False while nobody subscribed: writes then cost nothing more (migrations and
        benchmarks write thousands of records into sandboxes)."""
        self.queue = DeliveryQueue(options)

    @property
    def options(self) -> WebhookOptions:
        return self.queue.options

    @options.setter
    def options(self, value: WebhookOptions) -> None:
        self.queue.options = value

    @property
    def attempts(self) -> list[DeliveryAttempt]:
        """Every send so far (retries and duplicates included)."""
        return self.queue.attempts

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until every delivery so far was delivered or given up; False on timeout."""
        return self.queue.flush(timeout)

    def close(self) -> None:
        self.queue.close()

    def observe(self, method: str, url: _http.URL, response: _http.Response) -> None:
        """Raise the events of a write the emulator answered with ``response``."""
        if not 200 <= response.status_code < 300 or not self.subscribed():
            return
        answer: Any = None
        for rule in self.rules:
            params = rule.match(method, url.path)
            if params is None:
                continue
            if answer is None and response.content:
                try:
                    answer = parse_json(response.content)
                except PayloadError:
                    answer = {}
            ref = rule.ref(answer, params)
            if ref is None:
                continue
            origin = f"{url.scheme}://{url.host}" + (f":{url.port}" if url.port else "")
            for event in rule.events:
                self.raise_event(RaisedEvent(event, ref, origin, url.host))

    def raise_event(self, event: RaisedEvent) -> list[Delivery]:
        """Build and queue the deliveries of ``event``; returns them."""
        deliveries = list(self.build(event))
        for delivery in deliveries:
            self.queue.send(delivery)
        return deliveries
