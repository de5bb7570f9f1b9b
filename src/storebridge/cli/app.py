"""The ``storebridge`` command: its commands, global options, and how every run ends.

:func:`run` is the whole life of one invocation and never lets an exception out: a
storebridge error, a bad option or a file problem becomes one ``error:`` line on stderr
(with a hint where there is a fix) and the documented exit code; anything unexpected
is reported the same way, with the traceback only under ``--debug``. A reader of stdout
that leaves early (``| head``) ends the run quietly with exit code 141.
"""

from __future__ import annotations

import errno
import io
import os
import sys
import traceback
from collections.abc import Sequence
from typing import Annotated, Any, NoReturn

import typer

import storebridge
from storebridge._redact import registry as redactor
from storebridge.cli import logs
from storebridge.cli.demo import demo_command
from storebridge.cli.export import export_command
from storebridge.cli.init import init_command
from storebridge.cli.listen import listen_command
from storebridge.cli.listing import platforms_command, stores_command
from storebridge.cli.load import load_command
from storebridge.cli.migrate import migrate_command
from storebridge.cli.options import DebugOption, VerboseOption, apply_verbosity
from storebridge.cli.output import (
    EXIT_CLOSED_PIPE,
    EXIT_CODES_HELP,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    CliError,
    OutputClosed,
    error,
    note,
)
from storebridge.cli.sandbox import serve_command
from storebridge.errors import OutcomeUnknown, StorebridgeError, TransportError

PROG = "storebridge"

app = typer.Typer(
    name=PROG,
    help="""One facade over many commerce platforms: inspect, export and migrate stores.

Store profiles live in storebridge.toml, one [stores.NAME] table each (`storebridge init`
writes a starter). -v/--verbose and --debug also work after a command's name.""",
    epilog=EXIT_CODES_HELP,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help: Rich markup would eat bracketed text such as [stores.NAME].
    rich_markup_mode=None,
)
sandbox_app = typer.Typer(
    help="Run platform emulators on a loopback port (to try things, and for tests).",
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"{PROG} {storebridge.__version__}")
        raise typer.Exit(0)


@app.callback(invoke_without_command=True)
def _root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
    verbose: VerboseOption = False,
    debug: DebugOption = False,
) -> None:
    """Global options."""
    apply_verbosity(verbose, debug)
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(0)


@sandbox_app.callback(invoke_without_command=True)
def _sandbox(
    ctx: typer.Context, verbose: VerboseOption = False, debug: DebugOption = False
) -> None:
    """Sandbox commands."""
    apply_verbosity(verbose, debug)  # `sandbox -v serve`, as after any command's name
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(0)


for name, command in (
    ("platforms", platforms_command),
    ("stores", stores_command),
    ("init", init_command),
    ("export", export_command),
    ("load", load_command),
    ("migrate", migrate_command),
    ("demo", demo_command),
    ("listen", listen_command),
):
    app.command(name, epilog=EXIT_CODES_HELP)(command)
sandbox_app.command("serve", epilog=EXIT_CODES_HELP)(serve_command)
app.add_typer(sandbox_app, name="sandbox")


def _click_problem(exc: BaseException) -> tuple[str, int, str | None] | None:
    """(message, exit code, command path) of the parser's own errors, else None.

    Matched by shape rather than class: typer ships its own copy of click's exception
    classes in some versions and uses click's in others.
    """
    code = getattr(exc, "exit_code", None)
    message = getattr(exc, "format_message", None)
    if not isinstance(code, int) or not callable(message):
        return None
    ctx = getattr(exc, "ctx", None)
    path = getattr(ctx, "command_path", None)
    return str(message()), code, path if isinstance(path, str) else None


def run(argv: Sequence[str] | None = None) -> int:
    """Run one command line and return its exit code; never raises."""
    args = list(sys.argv[1:] if argv is None else argv)
    with logs.verbosity():
        try:
            value: Any = typer.main.get_command(app).main(
                args=args, prog_name=PROG, standalone_mode=False
            )
        except OutputClosed:
            # The reader left (| head): Unix tools end quietly then, with no message.
            return EXIT_CLOSED_PIPE
        except CliError as exc:
            error(exc.message, exc.hint)
            return exc.code
        except StorebridgeError as exc:
            error(str(exc), _hint_for(exc))
            return EXIT_FAILED
        except KeyboardInterrupt:
            note("interrupted")
            return EXIT_INTERRUPTED
        except SystemExit as exc:
            return exc.code if isinstance(exc.code, int) else EXIT_FAILED
        except Exception as exc:
            problem = _click_problem(exc)
            if problem is not None:
                message, code, path = problem
                error(message, f"`{path or PROG} --help` shows the options")
                return code
            return _unexpected(exc)
    if value == EXIT_INTERRUPTED:
        # Ctrl-C outside a command's own handling (choosing the stores, say): typer turns
        # it into this exit code, silently. Commands report their own interrupts as errors.
        note("interrupted")
    return value if isinstance(value, int) else 0


def _hint_for(exc: StorebridgeError) -> str | None:
    """What to check for a failure the message alone leaves open."""
    if isinstance(exc, TransportError) and not isinstance(exc, OutcomeUnknown):
        text = str(exc)
        if "ConnectError" in text or "Connection refused" in text:
            return (
                "nothing answered at that address: check the profile's base_url (or store "
                "name), and that the store (or sandbox) is running"
            )
    return None


def _unexpected(exc: Exception) -> int:
    text = redactor.redact(f"{type(exc).__name__}: {exc}")
    if logs.debugging():
        sys.stderr.write(redactor.redact("".join(traceback.format_exception(exc))))
        error(f"unexpected {text}", "this is a bug in storebridge; please report it")
    else:
        error(
            f"unexpected {text}",
            "this is a bug in storebridge; run again with --debug for the traceback",
        )
    return EXIT_FAILED


class _ClosedStdout(io.TextIOBase):
    """What ``sys.stdout`` is when the shell closed it (``>&-``): Python leaves None there,
    and writing would be an AttributeError. Here it is an OSError saying stdout is closed,
    which the commands report as a failed write (an export never passes for done)."""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "stdout is closed")


def main() -> NoReturn:
    """The ``storebridge`` console script."""
    if sys.stdout is None:
        sys.stdout = _ClosedStdout()
    code = run()
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader left early (| head): point stdout at nothing so the interpreter's
        # own flush at exit cannot complain (what the Python docs advise for SIGPIPE), and
        # a run that had nothing else to report says its output was cut.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = code or EXIT_CLOSED_PIPE
    sys.exit(code)


__all__ = ["app", "main", "run"]
