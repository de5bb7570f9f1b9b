"""Fixtures shared by the whole suite."""

from __future__ import annotations

import gc
import os
import signal
import sys
from collections.abc import Iterator

import pytest

import storebridge
from storebridge._concurrency import forget_pacers
from storebridge._ratelimit import forget_buckets
from storebridge.auth import PROCESS_TOKENS
from tests.support.toy import ToyAdapter

# Compiled bytecode is kept (in the usual, git-ignored __pycache__ folders) even where the
# environment says not to write it (PYTHONDONTWRITEBYTECODE): otherwise every xdist worker
# and every command-line run a test starts compiles storebridge, its adapters and the
# rewritten test modules again (about 0.4 s of CPU each, and the suite starts well over a
# hundred). Set while the suite's configuration loads, before any test module is collected;
# the processes tests start inherit it.
sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

# The cyclic garbage collector at its default thresholds runs thousands of times per worker
# and walks everything alive each full pass (imported modules, collected tests, seeded
# stores): a sixth of the CPU of the adapter and core tests. Raised as docs/fleet.md suggests
# for processes that read stores, it runs a tenth as often. Garbage with cycles still goes,
# a little later; pytest collects once more before it ends and reports any unraisable
# exception (an unclosed socket's ResourceWarning) then. The processes tests start keep the
# defaults.
gc.set_threshold(10_000, 20, 10)

# A shell starting the suite in the background (``pytest ... &`` in a script, some CI
# runners) ignores SIGINT, and every process the suite starts inherits that: the tests of
# Ctrl-C would then see commands that cannot be interrupted, and wait out their timeouts.
# A handler set here is reset to the default in processes started from this one, where
# Python turns SIGINT into KeyboardInterrupt again.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# Applies the xdist_group marks under --dist loadgroup (see the module for why).
pytest_plugins = ["tests.support.loadgroup"]

_SHARED_SCOPES = frozenset({"module", "package"})
"""Fixture scopes built once per xdist worker that runs any test needing them."""


# First: the groups must be set before xdist (or tests.support.loadgroup) reads them.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Keep each module that shares a module-scoped fixture on one xdist worker.

    Under ``--dist loadgroup`` the tests of a module are otherwise spread over the workers,
    and every worker that gets one of them builds the module's fixture again (a seeded
    100,000-order store, a toy benchmark run): one group builds it once. A test that already
    names its group keeps it.
    """
    for item in items:
        if not isinstance(item, pytest.Function) or item.get_closest_marker("xdist_group"):
            continue
        definitions = item._fixtureinfo.name2fixturedefs.values()
        if any(defs[-1].scope in _SHARED_SCOPES for defs in definitions if defs):
            module = item.nodeid.partition("::")[0]
            item.add_marker(pytest.mark.xdist_group(f"module:{module}"))


@pytest.fixture(autouse=True)
def _fresh_pacers() -> None:
    """Each test starts with no latency learned: a pacer is shared by credential, sandbox
    tokens are fixed, and what an earlier test on the same worker observed (a slow or a
    stalled sandbox) would otherwise decide how widely this one reads, and how many requests
    it sends."""
    forget_pacers()


@pytest.fixture(autouse=True)
def _fresh_tokens() -> None:
    """Each test starts with no token kept for the process: sandboxes of many tests share
    one shop address and app key, which is one credential to the process's token store, and
    a token an earlier test's sandbox issued would otherwise be taken up by this one."""
    PROCESS_TOKENS.clear()


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    """Each test starts with full client buckets, as a new process does: a bucket is shared
    by credential (and clock), sandboxes of many tests share one token, and the requests of
    an earlier test on the same worker would otherwise have emptied this one's. It then
    waited at the platform's documented rate for tokens it never spent (5 s of one dlt
    test's 6, behind another reading the same SHOPLINE sandbox). Stores built earlier keep
    the buckets they hold."""
    forget_buckets()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def toy_registered() -> Iterator[None]:
    storebridge.register_adapter(ToyAdapter)
    yield
    storebridge.unregister_adapter("toy")


@pytest.fixture(autouse=True, scope="session")
def _dlt_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """dlt keeps pipeline state under ~/.dlt (/var/dlt for root) unless told otherwise: a
    folder per test session keeps the suite off the user's own pipelines, and parallel
    workers off each other's."""
    saved = os.environ.get("DLT_DATA_DIR")
    os.environ["DLT_DATA_DIR"] = str(tmp_path_factory.mktemp("dlt"))
    yield
    if saved is None:
        os.environ.pop("DLT_DATA_DIR", None)
    else:
        os.environ["DLT_DATA_DIR"] = saved


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """``-n auto``: one worker more than the CPUs this process may use.

    A good part of the suite waits rather than computes (command-line runs in child
    processes, loopback servers, the demo at the platforms' real rate limits): one more
    worker keeps every CPU busy meanwhile. ``PYTEST_XDIST_AUTO_NUM_WORKERS`` still decides
    when set (xdist's own hook reads it).
    """
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    usable = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    return (len(usable) if usable else os.cpu_count() or 1) + 1
