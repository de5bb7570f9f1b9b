"""Running the documentation's Python examples against the built-in sandboxes.

The examples are written as user code: ``storebridge.connect("29next", store="acme",
access_token=TOKEN)``. While a page runs, ``storebridge.connect`` and
``storebridge.connect_async`` first check the example's own settings exactly as the real
functions do (a bad or missing setting still raises ConfigurationError), then connect to an
emulator of that platform served on 127.0.0.1: the store's address (``store=``,
``handle=``, or a non-loopback ``base_url=``) and its credentials are replaced by the
sandbox's; every other setting and option is kept. Each distinct store named on a page gets
its own seeded emulator (``Adapter.sandbox()`` defaults: seed 1, 25 orders), started on
first use and stopped when the page is done. Settings that already point at a loopback
address, or come with a ``transport=`` (an example that starts its own sandbox), are passed
through untouched.

These emulators run at :data:`PACE` times the platforms' documented rate limits, and the
stores redirected to them are told so (``StoreOptions.rate_limit``, unless the example sets
one itself): the server still refuses what exceeds its limit and the client still paces
itself a little inside it, as against a real store, but a page that walks a whole store does
not spend half a minute waiting. What an example prints does not depend on the pace.

The blocks of one page run in order in one namespace, like a reader typing them into one
session, in a temporary working directory that is also ``$HOME``.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import traceback
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import attrs
import pytest

import storebridge
from storebridge.registry import adapter_class
from storebridge.sandbox import Sandbox
from storebridge.settings import is_loopback_host
from tests.docs.blocks import CodeBlock

ADDRESS_SETTINGS = ("store", "handle", "base_url")
"""Settings that say where a store is; the harness replaces them with the sandbox's URL."""

PRINTS = re.compile(r"#\s*prints:\s*(?P<text>.+?)\s*$")
"""``print(x)  # prints: 59.99 USD``: the text must appear in what the block printed."""

PACE = 25
"""How many times the platforms' documented rate limits the pages' sandboxes run at."""

SERVER_LIMITS: dict[str, dict[str, Any]] = {
    "29next": {"rate_limit": 4.0 * PACE},
    "shopline": {"rate_limit": 4.0 * PACE},
    "24nettbutikk": {"rate_limit": 20.0 * PACE},
}
"""Sandbox options for the emulators' server-side limits (their defaults, times PACE)."""

CLIENT_PACED = frozenset({"29next", "shopline"})
"""Platforms whose clients keep to the adapter's declared limit, which the harness raises
to match; a 24Nettbutikk sandbox's settings already pace the client inside its limit."""


def provided_names() -> dict[str, Any]:
    """Names the examples may use without defining them: placeholders for credentials.

    Their values only have to pass the settings checks; the sandbox's own credentials are
    sent.
    """
    expires = datetime.now(UTC) + timedelta(hours=10)
    return {
        "TOKEN": "example-access-token",
        "KEY": "example-app-key",
        "SECRET": "example-app-secret",
        "APP_KEY": "example-app-key",
        "APP_SECRET": "example-app-secret",
        "WHEN": expires,
        "EXPIRES_AT": expires,
    }


@attrs.frozen
class BlockOutcome:
    block: CodeBlock
    output: str
    error: str | None = None
    """The traceback when the block raised (or a printed claim was not met)."""


class PageSandboxes:
    """Emulators on 127.0.0.1 for the stores one page connects to."""

    def __init__(self, stack: ExitStack) -> None:
        self._stack = stack
        self._served: dict[tuple[str, str], tuple[Sandbox, str]] = {}
        self.opened: list[storebridge.Store] = []

    def settings(
        self, platform: str, given: Mapping[str, Any], *, own_transport: bool = False
    ) -> dict[str, Any]:
        """The settings to connect with: ``given``, redirected to this page's sandbox.

        Left as they are when the example chose where requests go itself: a loopback
        address, or a transport of its own (an emulator in-process).
        """
        adapter_class(platform).from_settings(**given)  # the example's own settings, checked
        if not _redirects(given, own_transport=own_transport):
            return dict(given)
        sandbox, url = self._sandbox(platform, _address(given))
        kept = {k: v for k, v in given.items() if k not in ADDRESS_SETTINGS}
        return {**kept, **sandbox.settings(url)}

    def _sandbox(self, platform: str, address: str) -> tuple[Sandbox, str]:
        key = (platform, address)
        if key not in self._served:
            sandbox = adapter_class(platform).sandbox(**SERVER_LIMITS.get(platform, {}))
            url = self._stack.enter_context(sandbox.emulator.serve())
            self._served[key] = (sandbox, url)
        return self._served[key]

    def _redirected(self, platform: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        facade: dict[str, Any] = {k: kwargs.pop(k) for k in ("options", "transport") if k in kwargs}
        own_transport = facade.get("transport") is not None
        settings = self.settings(platform, kwargs, own_transport=own_transport)
        if platform in CLIENT_PACED and _redirects(kwargs, own_transport=own_transport):
            facade["options"] = _paced(platform, facade.get("options"))
        return {**settings, **facade}

    # A call without a platform (say, a named profile) is not redirected: it runs as is.
    def connect(self, platform: str | None = None, /, **kwargs: Any) -> storebridge.Store:
        if platform is None:
            store = _real_connect(**kwargs)
        else:
            store = _real_connect(platform, **self._redirected(platform, kwargs))
        self.opened.append(store)
        return store

    def connect_async(
        self, platform: str | None = None, /, **kwargs: Any
    ) -> storebridge.AsyncStore:
        if platform is None:
            return _real_connect_async(**kwargs)
        return _real_connect_async(platform, **self._redirected(platform, kwargs))


_real_connect = storebridge.connect
_real_connect_async = storebridge.connect_async


def _paced(platform: str, options: storebridge.StoreOptions | None) -> storebridge.StoreOptions:
    """``options`` with the client's rate limit at :data:`PACE` times the platform's
    declared one; an example's own ``rate_limit`` is kept."""
    options = options or storebridge.StoreOptions()
    if options.rate_limit is not None:
        return options
    declared = adapter_class(platform).default_rate_limit
    return attrs.evolve(
        options, rate_limit=storebridge.RateLimit(declared.per_second * PACE, declared.burst)
    )


def _address(given: Mapping[str, Any]) -> str:
    return next((str(given[k]) for k in ADDRESS_SETTINGS if k in given), "")


def _redirects(given: Mapping[str, Any], *, own_transport: bool) -> bool:
    """Whether a connection with these settings goes to the page's sandbox (see above)."""
    return not own_transport and not _is_loopback_url(_address(given))


def _is_loopback_url(value: str) -> bool:
    host = urlsplit(value).hostname if "://" in value else None
    return host is not None and is_loopback_host(host)


@contextlib.contextmanager
def _page_environment(workdir: Path) -> Iterator[PageSandboxes]:
    with ExitStack() as stack, pytest.MonkeyPatch.context() as patch:
        sandboxes = PageSandboxes(stack)
        patch.setattr(storebridge, "connect", sandboxes.connect)
        patch.setattr(storebridge, "connect_async", sandboxes.connect_async)
        patch.setenv("HOME", str(workdir))
        patch.chdir(workdir)
        try:
            yield sandboxes
        finally:
            for store in sandboxes.opened:
                store.close()


def _unmet_claims(source: str, output: str) -> list[str]:
    printed = output.splitlines()
    return [
        found.group("text")
        for line in source.splitlines()
        if (found := PRINTS.search(line))
        and not any(found.group("text") in out_line for out_line in printed)
    ]


def run_page(blocks: list[CodeBlock], workdir: Path, root: Path) -> list[BlockOutcome]:
    """Run ``blocks`` (the runnable Python blocks of one page) in order, in one namespace."""
    outcomes: list[BlockOutcome] = []
    namespace: dict[str, Any] = {"__name__": "__main__", **provided_names()}
    os.makedirs(workdir, exist_ok=True)
    with _page_environment(workdir):
        for block in blocks:
            output = io.StringIO()
            error = None
            try:
                code = compile(block.source, block.label(root), "exec")
                with contextlib.redirect_stdout(output):
                    exec(code, namespace)  # noqa: S102 - running the documentation is the point
            except (Exception, SystemExit):  # any failure of an example is reported
                error = traceback.format_exc()
            else:
                unmet = _unmet_claims(block.source, output.getvalue())
                if unmet:
                    error = f"printed output lacks {unmet!r}; it was:\n{output.getvalue()}"
            outcomes.append(BlockOutcome(block=block, output=output.getvalue(), error=error))
    return outcomes
