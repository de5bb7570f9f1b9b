"""Serve a seeded 29 Next emulator on 127.0.0.1: ``python -m storebridge_29next.emulator``."""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading

from storebridge.sandbox import SandboxSize
from storebridge_29next.emulator.app import TwentyNineNextEmulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m storebridge_29next.emulator",
        description="Serve a seeded 29 Next Admin API emulator on 127.0.0.1.",
    )
    parser.add_argument("--port", type=int, default=8029, help="0 picks a free port")
    parser.add_argument("--orders", type=int, default=25)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per request")
    parser.add_argument(
        "--rate-limit", type=float, default=4.0, help="requests/second per token; 0 turns it off"
    )
    parser.add_argument("--page-size", type=int, default=20)
    args = parser.parse_args(argv)
    emulator = TwentyNineNextEmulator(
        SandboxSize(seed=args.seed, orders=args.orders, latency=args.latency),
        rate_limit=args.rate_limit or None,
        page_size=args.page_size,
    )
    with emulator.serve(port=args.port) as url:
        root = f"{url}/api/admin"
        sys.stdout.write(
            f"29 Next sandbox at {root}/\n"
            f'connect: storebridge.connect("29next", base_url="{root}", '
            f'access_token="{emulator.token}")\n'
        )
        sys.stdout.flush()
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
