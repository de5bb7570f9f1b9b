"""``storebridge sandbox serve``: a free port, a profile with ${ENV} references, --currency."""

from __future__ import annotations

import shlex
import subprocess
import threading
import time
import tomllib
import types
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import storebridge
import storebridge.cli.sandbox as sandbox_command
import storebridge.sandbox as sandboxes
from tests.cli.conftest import Cli
from tests.cli.support import COMMAND, assert_clean_failure, cli_env, run_storebridge


@contextmanager
def serving(args: list[str], cwd: Path) -> Iterator[tuple[str, dict[str, str], list[str]]]:
    """Run ``storebridge sandbox serve ARGS``: (stdout profile, exported env, stderr lines)."""
    proc = subprocess.Popen(  # noqa: S603 - our own CLI with arguments from the test
        [*COMMAND, "sandbox", "serve", *args], cwd=cwd, env=cli_env(),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    watchdog = threading.Timer(60, proc.kill)  # never hang the suite on a silent server
    watchdog.start()
    try:
        assert proc.stdout is not None and proc.stderr is not None
        profile = "".join(iter(proc.stdout.readline, "\n"))
        notes = list(iter(proc.stderr.readline, "Ctrl-C stops it\n"))
        env = {}
        for line in notes:
            if line.startswith("export "):
                name, _, value = line.removeprefix("export ").strip().partition("=")
                env[name] = shlex.split(value)[0]
        yield profile, env, notes
    finally:
        watchdog.cancel()
        proc.terminate()
        proc.communicate(timeout=10)


@pytest.mark.parametrize("platform", ["29next", "shopline", "24nettbutikk"])
def test_profile_has_env_references_and_connects(
    platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serving([platform, "--orders", "4"], tmp_path) as (profile, env, notes):
        assert profile.startswith(f"# {platform} sandbox on http://127.0.0.1:")
        assert notes[0].startswith(f"{platform} sandbox on http://127.0.0.1:")
        assert "a free port" in notes[0]
        table = tomllib.loads(profile)["stores"][f"sandbox-{platform}"]
        assert table["platform"] == platform
        assert "rate_limit" not in table  # the platform's documented limit: nothing to say
        # Every secret is a reference, and its value is only in the export lines.
        assert env and all(f'"${{{name}}}"' in profile for name in env)
        assert all(value not in profile for value in env.values())
        assert all(name.startswith(f"SANDBOX_{platform.upper()}_") for name in env)
        config = tmp_path / "storebridge.toml"
        config.write_text(profile)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        with storebridge.connect(profile=f"sandbox-{platform}", config=config) as store:
            assert len(list(store.orders.list())) == 4


def test_two_sandboxes_get_two_ports_and_a_taken_port_is_a_clean_error(tmp_path: Path) -> None:
    with (
        serving(["shopline", "--orders", "1"], tmp_path) as (first, _, _),
        serving(["shopline", "--orders", "1", "--name", "second"], tmp_path) as (second, _, _),
    ):
        port = tomllib.loads(first)["stores"]["sandbox-shopline"]["base_url"].rsplit(":", 1)[1]
        assert f":{port}" not in second and "[stores.second]" in second
        proc = run_storebridge(["sandbox", "serve", "shopline", "--port", port], tmp_path)
        line = assert_clean_failure(proc, 2)
        assert f"--port {port}" in line and "in use" in line
        assert "leave --port out" in proc.stderr


# SHOPLINE's printed limit is used by the demo pair below.
@pytest.mark.parametrize(("platform", "own_settings"), [("29next", False), ("24nettbutikk", True)])
def test_a_raised_rate_limit_is_in_the_printed_profile_once(
    platform: str, own_settings: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serving([platform, "--orders", "2", "--rate-limit", "50"], tmp_path) as (profile, env, _):
        table = tomllib.loads(profile)["stores"][f"sandbox-{platform}"]
        config = tmp_path / "storebridge.toml"
        config.write_text(profile)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        with storebridge.connect(profile=f"sandbox-{platform}", config=config) as store:
            if own_settings:
                # The platform's own rate settings already keep to the sandbox's limit.
                assert "rate_limit" not in table and store.options.rate_limit is None
                assert 0.5 * 50 <= store.adapter.rate_limit.per_second < 50
            else:
                # The sandbox's own limit, which the client keeps a margin inside.
                assert table["rate_limit"]["per_second"] == 50
                assert store.options.rate_limit == storebridge.RateLimit(
                    50, table["rate_limit"]["burst"]
                )
            assert len(list(store.orders.list())) == 2


def test_currency_reproduces_the_demo_pair(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Raised limits, as on plans that allow more: the pair's currencies are the point here.
    raised = ["--rate-limit", "100"]
    with (
        serving(["24nettbutikk", "--seed", "7", "--orders", "3", "--name", "old", *raised],
                tmp_path) as (old, old_env, _),
        serving(["shopline", "--currency", "NOK", "--empty", "--name", "new", *raised], tmp_path)
        as (new, new_env, _),
    ):  # fmt: skip
        config = tmp_path / "storebridge.toml"
        config.write_text(old + new)
        for name, value in {**old_env, **new_env}.items():
            monkeypatch.setenv(name, value)
        with (
            storebridge.connect(profile="old", config=config) as source,
            storebridge.connect(profile="new", config=config) as target,
        ):
            assert {o.currency for o in source.orders.list()} == {"NOK"}
            assert list(target.orders.list()) == []
            report = storebridge.migrate(source, target, ledger=tmp_path / "l.sqlite")
            assert report.status == "PASS", report.summary()
            assert {o.currency for o in target.orders.list()} == {"NOK"}


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["29next", "--port", "-1"], "'--port'"),
        (["29next", "--currency", "EUR"], "no --currency option"),
        (["shopline", "--currency", "euro"], "not a 3-letter ISO 4217 code"),
        (["nosuch"], "no platform 'nosuch'"),
        (["29next", "--latency", "nan"], "--latency"),
        (["29next", "--orders", "-3"], "'--orders'"),
        (["29next", "--empty", "--orders", "3"], "--empty cannot be combined"),
        (["24nettbutikk", "--webhook-duplicates"], "the 24nettbutikk sandbox sends no webhooks"),
        (["shopline", "--webhook-attempts", "0"], "'--webhook-attempts'"),
        (["29next", "--rate-limit", "0"], "--rate-limit must be a number of requests per second"),
        (["shopline", "--rate-limit", "-5"], "--rate-limit must be a number of requests per"),
        (["24nettbutikk", "--rate-limit", "nan"], "--rate-limit must be a number"),
        (["29next", "--rate-limit", "fast"], "'--rate-limit'"),
    ],
)
def test_bad_options_are_one_error_line(cli: Cli, args: list[str], fragment: str) -> None:
    code, out, err = cli("sandbox", "serve", *args)
    assert (code, out) == (2, "")
    assert err.startswith("error: ") and fragment in err.splitlines()[0], err


@contextmanager
def counting_receiver() -> Iterator[tuple[str, list[dict[str, str]]]]:
    """A receiver on 127.0.0.1 that answers 200 and keeps each delivery's headers."""
    received: list[dict[str, str]] = []

    class Receive(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            received.append({k.lower(): v for k, v in self.headers.items()})
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receive)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks", received
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("platform", "event_header"), [("29next", None), ("shopline", "x-shopline-webhook-id")]
)
def test_webhook_duplicates_deliver_each_event_twice(
    platform: str, event_header: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A raised limit (the profile printed says so): 29 Next's documented 4 requests a second,
    # one at a time, would only make the store's three requests wait.
    args = [platform, "--orders", "3", "--rate-limit", "100",
            "--webhook-duplicates", "--webhook-attempts", "2"]  # fmt: skip
    with serving(args, tmp_path) as (profile, env, _), counting_receiver() as (url, received):
        config = tmp_path / "storebridge.toml"
        config.write_text(profile)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        with storebridge.connect(profile=f"sandbox-{platform}", config=config) as store:
            # 29 Next signs with a secret the subscriber picks; SHOPLINE with its app secret.
            secret = "a-long-test-secret" if platform == "29next" else None
            store.webhooks.subscribe(["orders.updated"], url, secret=secret)
            order = next(o for o in store.orders.list() if o.status.value != "cancelled")
            store.orders.cancel(order.ref, reason="customer")
        deadline = time.monotonic() + 30
        while len(received) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # a third delivery, if one were coming, would be in by now
    assert len(received) == 2, received
    if event_header is not None:
        assert received[0][event_header] == received[1][event_header]


def test_sandbox_serve_holds_its_store_once_it_serves(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    held: list[bool] = []
    monkeypatch.setattr(sandboxes, "hold_for_serving", lambda: held.append(True))

    class Interrupted:
        def wait(self) -> None:
            raise KeyboardInterrupt

    monkeypatch.setattr(
        sandbox_command, "threading", types.SimpleNamespace(Event=lambda: Interrupted())
    )
    code, out, err = cli("sandbox", "serve", "29next", "--orders", "3")
    assert code == 0, err
    assert "stopped" in err and "[stores.sandbox-29next]" in out
    assert held == [True]
