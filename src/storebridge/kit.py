"""Everything an adapter author imports: one namespace, pinned by a test.

An adapter (built-in or third-party) imports from here, from :mod:`storebridge.model`,
:mod:`storebridge.errors`, :mod:`storebridge.http` and, for its emulator,
:mod:`storebridge.sandbox` -- and from nothing else in storebridge. Names here are public
API: they change only with a deprecation period (see the version policy).

What they are for:

* the contract: :class:`Adapter`, its queries and :class:`RateLimit`;
* sans-I/O flows: :func:`build_request`, :class:`Batch`, :class:`Emit`,
  :func:`reconciled_write` for writes (:func:`read_back_rows` reads a listing whole to
  settle one; :func:`reconciled_update` for writes of absolute values; both ask past
  caches, as :func:`past_caches` makes a hand-written read-back do),
  :func:`expand_pages` / :func:`merge_parallel` to shape listings;
* the paging walk every listing goes through: :func:`walk` with a :class:`Page` reader or
  :class:`BodyNextUrl` / :class:`LinkHeader`;
* reading and writing the wire: :class:`Payload` (JSON-path errors), :func:`read_json`,
  :func:`read_payload` and :func:`platform_data` (what a platform sends is read leniently,
  and any bad value becomes a PayloadError with its path), :class:`AddressFields`,
  :func:`segment` for refs in URL paths; :class:`SeenKeys` for the records a listing has
  yielded (exact, and small for numeric ids); input checks live in :mod:`storebridge.validation`;
* fast paths for well-formed rows: :func:`read_plain` with :func:`plain_text`,
  :func:`plain_money`, :func:`plain_time`... (each the Payload accessor's result for plain
  values, :class:`NotPlain` for anything else, which sends the row the careful way) and
  :func:`plain_model` to build model objects from what they read without checking again;
* settings and auth: :func:`secret_field`, :func:`check_base_url`, :class:`BearerAuth`...,
  :func:`token_problem` to check a token an adapter obtains itself;
* sandboxes: :class:`Sandbox`, :class:`SandboxSize`;
* webhooks: :class:`WebhookRejected`, what ``parse_webhook`` raises for a delivery whose
  signature does not match, and :func:`read_delivery` to read a verified body so that
  anything unreadable becomes a PayloadError (answered 400), and :func:`delivered_change`
  for the Change it stands for.
"""

from __future__ import annotations

from storebridge._addresses import AddressFields, split_name
from storebridge._fast import (
    NotPlain,
    PlainStatus,
    plain_amount,
    plain_flag,
    plain_model,
    plain_money,
    plain_ref,
    plain_text,
    plain_time,
    read_plain,
)
from storebridge._json import parse_json, read_json
from storebridge._readback import (
    customer_matches,
    order_matches,
    product_matches,
    read_back_rows,
    stored_form,
    the_new_refund,
)
from storebridge._reconcile import reconciled_update
from storebridge._seen import SeenKeys
from storebridge.adapter import (
    OPERATIONS,
    Adapter,
    ListQuery,
    OrderQuery,
    RateLimit,
    error_from_response,
    parse_retry_after,
    platform_operation,
    within,
)
from storebridge.auth import (
    PROCESS_TOKENS,
    BearerAuth,
    FileTokenStore,
    MemoryTokenStore,
    QueryTokenAuth,
    RefreshingTokenAuth,
    Token,
    TokenAsBasicAuth,
    TokenRefresher,
    TokenStore,
    expiry_in,
    token_problem,
)
from storebridge.flow import (
    CONCURRENCY,
    Batch,
    Collect,
    Done,
    Emit,
    First,
    Flow,
    FlowStepper,
    ListFlow,
    Parallel,
    Start,
    Ticket,
    ask,
    build_request,
    derive_request,
    drive,
    expand_pages,
    just,
    map_flow,
    merge_parallel,
    past_caches,
    reconciled_write,
    relay,
    request_meta,
    unique_items,
    with_check,
)
from storebridge.model.money import exact_sum
from storebridge.pagination import (
    BodyNextUrl,
    LinkHeader,
    Page,
    PageReader,
    day_windows,
    repeated_rows,
    rows_at,
    same_origin,
    time_windows,
    walk,
)
from storebridge.payload import Payload, parse_iso_datetime
from storebridge.refs import check_query_value, check_ref, segment
from storebridge.sandbox.kit import Sandbox, SandboxSize
from storebridge.serialization import make_wire_converter, read_payload
from storebridge.settings import (
    Secret,
    SettingError,
    canonical_host,
    check_base_url,
    is_loopback_host,
    parse_settings,
    secret_field,
)
from storebridge.validation import platform_data
from storebridge.webhooks._receive import WebhookRejected, delivered_change, read_delivery
from storebridge.webhooks._signature import signature_digest

__all__ = [
    "CONCURRENCY",
    "OPERATIONS",
    "PROCESS_TOKENS",
    "Adapter",
    "AddressFields",
    "Batch",
    "BearerAuth",
    "BodyNextUrl",
    "Collect",
    "Done",
    "Emit",
    "FileTokenStore",
    "First",
    "Flow",
    "FlowStepper",
    "LinkHeader",
    "ListFlow",
    "ListQuery",
    "MemoryTokenStore",
    "NotPlain",
    "OrderQuery",
    "Page",
    "PageReader",
    "Parallel",
    "Payload",
    "PlainStatus",
    "QueryTokenAuth",
    "RateLimit",
    "RefreshingTokenAuth",
    "Sandbox",
    "SandboxSize",
    "Secret",
    "SeenKeys",
    "SettingError",
    "Start",
    "Ticket",
    "Token",
    "TokenAsBasicAuth",
    "TokenRefresher",
    "TokenStore",
    "WebhookRejected",
    "ask",
    "build_request",
    "canonical_host",
    "check_base_url",
    "check_query_value",
    "check_ref",
    "customer_matches",
    "day_windows",
    "delivered_change",
    "derive_request",
    "drive",
    "error_from_response",
    "exact_sum",
    "expand_pages",
    "expiry_in",
    "is_loopback_host",
    "just",
    "make_wire_converter",
    "map_flow",
    "merge_parallel",
    "order_matches",
    "parse_iso_datetime",
    "parse_json",
    "parse_retry_after",
    "parse_settings",
    "past_caches",
    "plain_amount",
    "plain_flag",
    "plain_model",
    "plain_money",
    "plain_ref",
    "plain_text",
    "plain_time",
    "platform_data",
    "platform_operation",
    "product_matches",
    "read_back_rows",
    "read_delivery",
    "read_json",
    "read_payload",
    "read_plain",
    "reconciled_update",
    "reconciled_write",
    "relay",
    "repeated_rows",
    "request_meta",
    "rows_at",
    "same_origin",
    "secret_field",
    "segment",
    "signature_digest",
    "split_name",
    "stored_form",
    "the_new_refund",
    "time_windows",
    "token_problem",
    "unique_items",
    "walk",
    "with_check",
    "within",
]
