"""``storebridge sandbox serve``: a seeded platform emulator on a loopback port.

stdout carries only a TOML profile for the running sandbox (so ``>> storebridge.toml``
works), with its secrets as ``${ENV}`` references; stderr carries the ``export`` lines
that set them, and where the sandbox listens.
"""

from __future__ import annotations

import errno
import re
import shlex
import sys
import threading
from contextlib import ExitStack
from typing import Annotated, Any

import typer

from storebridge.cli.options import DebugOption, VerboseOption, apply_verbosity, finite
from storebridge.cli.output import CliError, note, usage_error
from storebridge.cli.profile_toml import profile_lines, secret_settings, toml_value
from storebridge.cli.raised_limits import RateLimitOption, limit_to_keep, sandbox_options
from storebridge.errors import ConfigurationError
from storebridge.profiles import RATE_LIMIT_KEY

_CURRENCY = re.compile(r"^[A-Za-z]{3}$")


def serve_command(
    platform: Annotated[
        str, typer.Argument(help="Platform to emulate (`storebridge platforms` lists them).")
    ],
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="Loopback port; 0 picks a free one.")
    ] = 0,
    name: Annotated[
        str | None,
        typer.Option(
            help="Profile name (default sandbox-PLATFORM); its secrets' variables start "
            "with it, e.g. SANDBOX_SHOPLINE_ACCESS_TOKEN.",
            show_default=False,
        ),
    ] = None,
    orders: Annotated[
        int | None, typer.Option(min=0, help="Seeded orders [default: 25].", show_default=False)
    ] = None,
    customers: Annotated[
        int | None,
        typer.Option(min=0, help="Seeded customers [default: in proportion to orders]."),
    ] = None,
    products: Annotated[
        int | None,
        typer.Option(min=0, help="Seeded products [default: in proportion to orders]."),
    ] = None,
    empty: Annotated[
        bool, typer.Option("--empty", help="No seeded data: a store to migrate into.")
    ] = False,
    currency: Annotated[
        str | None,
        typer.Option(
            help="The store's currency (ISO 4217, e.g. NOK), for sandboxes of platforms "
            "whose stores have one (24nettbutikk, shopline).",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the generated data.")] = 1,
    latency: Annotated[float, typer.Option(min=0.0, help="Seconds added to every answer.")] = 0.0,
    rate_limit: RateLimitOption = None,
    webhook_attempts: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Sends of each webhook delivery in all, retries included [default: 4], for "
            "sandboxes of platforms that send webhooks (29next, shopline).",
            show_default=False,
        ),
    ] = None,
    webhook_duplicates: Annotated[
        bool,
        typer.Option(
            "--webhook-duplicates",
            help="Send every webhook delivery twice (same event id), as platforms sometimes "
            "do: to test that a receiver handles each event once.",
        ),
    ] = False,
    verbose: VerboseOption = False,
    debug: DebugOption = False,
) -> None:
    """Serve a seeded emulator of PLATFORM on 127.0.0.1 until Ctrl-C.

    Prints a storebridge.toml profile for it on stdout (secrets as ${ENV} references)
    and, on stderr, the export lines that set those variables.
    """
    apply_verbosity(verbose, debug)
    finite("--latency", latency)
    # Loaded here, not with every command line: the registry brings the HTTP client.
    from storebridge.registry import adapter_class, platforms
    from storebridge.sandbox import hold_for_serving

    installed = platforms()
    if platform not in installed:
        raise usage_error(
            f"no platform {platform!r}; installed: {', '.join(installed)}",
            hint="`storebridge platforms` lists them",
        )
    size: dict[str, Any] = {"seed": seed, "latency": latency, "orders": 25}
    if empty:
        if orders or customers or products:
            raise usage_error("--empty cannot be combined with --orders/--customers/--products")
        size.update(orders=0, customers=0, products=0)
    else:
        size.update(_counts(orders, customers, products))
    options: dict[str, Any] = {}
    options.update(sandbox_options(rate_limit))
    if currency is not None:
        if not _CURRENCY.match(currency):
            raise usage_error(f"--currency {currency!r} is not a 3-letter ISO 4217 code")
        options["currency"] = currency.upper()
    delivery: dict[str, Any] = {}
    if webhook_attempts is not None:
        delivery["attempts"] = webhook_attempts
    if webhook_duplicates:
        delivery["duplicates"] = True
    if delivery:
        options["webhooks"] = delivery
    adapter = adapter_class(platform)
    try:
        kit = adapter.sandbox(**size, **options)
    except NotImplementedError:
        raise usage_error(f"{platform} ships no sandbox") from None
    except ConfigurationError as exc:
        # Built-in sandboxes name the option they do not take or refused.
        if exc.setting is not None and exc.setting in _OPTION_FLAGS:
            raise _option_refused(platform, exc.setting) from None
        raise usage_error(f"the {platform} sandbox refused an option: {exc}") from None
    except TypeError as exc:
        # A plugin's build_sandbox or emulator without an option the CLI passes fails with
        # Python's own message, which names the keyword: say which option to leave out.
        refused = _refused_keyword(exc, options)
        if refused is None:
            raise
        raise _option_refused(platform, refused) from None
    except ValueError as exc:
        raise usage_error(f"the {platform} sandbox refused an option: {exc}") from None
    profile = name or f"sandbox-{platform}"
    with ExitStack() as stack:
        try:
            url = stack.enter_context(kit.emulator.serve(port))
        except OSError as exc:
            raise _port_problem(port, exc) from None
        # This process only serves the sandbox from here on: keep its seeded store out of
        # the collector's full passes, which stall the server and bunch requests into 429s.
        hold_for_serving()
        settings = kit.settings(url)
        lines, env = profile_lines(profile, platform, settings, secret_settings(adapter))
        kept = limit_to_keep(adapter, kit, settings) if rate_limit is not None else None
        if kept is not None:
            table = {"per_second": kept.per_second, "burst": kept.burst}
            lines.append(f"{RATE_LIMIT_KEY} = {toml_value(table)}")
        typer.echo(f"# {platform} sandbox on {url}; stop it with Ctrl-C")
        typer.echo("\n".join(lines) + "\n")
        # Whoever reads stdout through a pipe needs the profile now, not at exit.
        sys.stdout.flush()
        picked = "" if port else " (a free port; --port N picks one)"
        note(f"{platform} sandbox on {url}{picked}")
        if env:
            note(f"set the secrets of profile {profile} in your shell:")
            for variable, value in env.items():
                note(f"export {variable}={shlex.quote(value)}")
        note("Ctrl-C stops it")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            note("stopped")


_OPTION_FLAGS = {
    "rate_limit": "--rate-limit",
    "currency": "--currency",
    "webhooks": "--webhook-attempts/--webhook-duplicates",
}
"""The options ``serve`` may pass to a platform's ``build_sandbox``, and their flags."""

_UNEXPECTED = re.compile(r"unexpected keyword argument '(?P<name>\w+)'")


def _refused_keyword(exc: TypeError, options: dict[str, Any]) -> str | None:
    """The option of ``options`` that ``exc`` says a function does not take, if any."""
    found = _UNEXPECTED.search(str(exc))
    name = found.group("name") if found else None
    return name if name in options and name in _OPTION_FLAGS else None


def _option_refused(platform: str, option: str) -> CliError:
    flags = _OPTION_FLAGS[option]
    if option == "webhooks":
        return usage_error(f"the {platform} sandbox sends no webhooks", hint=f"leave out {flags}")
    if option == "currency":
        return usage_error(
            f"the {platform} sandbox has no --currency option: its store uses one fixed currency",
            hint="leave out --currency",
        )
    return usage_error(f"the {platform} sandbox has no {flags} option", hint=f"leave out {flags}")


def _counts(orders: int | None, customers: int | None, products: int | None) -> dict[str, int]:
    given = {"orders": orders, "customers": customers, "products": products}
    return {k: v for k, v in given.items() if v is not None}


def _port_problem(port: int, exc: OSError) -> Exception:
    if exc.errno == errno.EADDRINUSE:
        return usage_error(
            f"--port {port}: the port is in use (another sandbox?)",
            hint="pick another with --port N, or leave --port out to take a free port",
        )
    if exc.errno == errno.EACCES:
        return usage_error(
            f"--port {port}: not allowed to listen there (ports below 1024 need privileges)",
            hint="pick a port above 1023, or leave --port out to take a free port",
        )
    return usage_error(f"--port {port}: cannot listen on 127.0.0.1 ({exc.strerror or exc})")


__all__ = ["serve_command"]
