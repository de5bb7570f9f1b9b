"""``storebridge listen`` receives a sandbox's webhook deliveries and prints each change once."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

import storebridge
from storebridge.sandbox.webhooks import WebhookOptions
from tests.cli.support import COMMAND, cli_env, profile_for, served


@pytest.mark.parametrize(
    ("platform", "options"),
    [("29next", {"rate_limit": None}), ("shopline", {"rate_limit": False})],
)
def test_listen_prints_a_sandbox_delivery_once(
    tmp_path: Path, platform: str, options: dict[str, object]
) -> None:
    twice = WebhookOptions(duplicates=True)
    with served(platform, orders=4, webhooks=twice, **options) as (kit, url):
        profile, env = profile_for("shop", kit, url)
        (tmp_path / "storebridge.toml").write_text(profile)
        proc = subprocess.Popen(  # noqa: S603 - our own CLI with arguments from the test
            [*COMMAND, "listen", "--store", "shop"], cwd=tmp_path, env=cli_env(env),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            assert proc.stderr is not None
            deadline = time.monotonic() + 60
            receiver = None
            while receiver is None:
                assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
                found = re.search(r"receiving shop webhooks at (\S+)", proc.stderr.readline())
                receiver = found.group(1) if found else None
            # The sandbox sets no limit: neither does the store making the change.
            unpaced = storebridge.StoreOptions(rate_limit=storebridge.RateLimit(1000, 1000))
            with storebridge.connect(platform, options=unpaced, **kit.settings(url)) as store:
                store.webhooks.subscribe(["orders.updated"], receiver)
                order = next(o for o in store.orders.list() if o.status.value != "cancelled")
                store.orders.cancel(order.ref, reason="customer")
            assert kit.emulator.webhooks is not None and kit.emulator.webhooks.flush(30)
        finally:
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    sent = kit.emulator.webhooks.attempts
    assert len(sent) == 2 and all(a.ok for a in sent)  # the same event, delivered twice
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert len(lines) == 1, out
    assert lines[0]["ref"] == order.ref and lines[0]["source"] == "webhook"
    assert lines[0]["resource"] == "orders" and lines[0]["kind"] == "updated"
    assert lines[0]["profile"] == "shop"
    assert lines[0]["object"]["status"] == "cancelled"
