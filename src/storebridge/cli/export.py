"""``storebridge export``: stream a store's records to stdout or a file."""

from __future__ import annotations

import contextlib
import enum
import io
import logging
import os
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer

from storebridge._files import open_part, replacing
from storebridge.cli.interrupts import terminate_like_interrupt, whole_writes
from storebridge.cli.options import (
    STORE_HELP,
    ConfigOption,
    DebugOption,
    QuietOption,
    VerboseOption,
    apply_verbosity,
    open_store,
    profile_name,
    since_option,
    writable_file,
)
from storebridge.cli.output import (
    EXIT_INTERRUPTED,
    CliError,
    WriteFailed,
    note,
    usage_error,
    warning,
)
from storebridge.cli.progress import ProgressDisplay, terminal_wants_progress
from storebridge.errors import StorebridgeError
from storebridge.profiles import PROFILE_ENV, config_path

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

    # Loaded by an export that runs (it brings the model and its serialization), not by
    # every command line that defines this command.
    from storebridge.cli.records import RecordWriter


class Resource(enum.StrEnum):
    orders = "orders"
    customers = "customers"
    products = "products"


class Format(enum.StrEnum):
    jsonl = "jsonl"
    csv = "csv"


class _RequestMeter(logging.Handler):
    """Counts HTTP answers: the facade logs each one at DEBUG on ``storebridge.http``."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


@contextmanager
def _metered() -> Iterator[_RequestMeter]:
    logger = logging.getLogger("storebridge.http")
    meter = _RequestMeter()
    saved = logger.level
    logger.addHandler(meter)
    if logger.getEffectiveLevel() > logging.DEBUG:
        # Only this logger: the stderr handler keeps the level the user asked for.
        logger.setLevel(logging.DEBUG)
    try:
        yield meter
    finally:
        logger.removeHandler(meter)
        logger.setLevel(saved)


@contextmanager
def _destination(output: Path | None) -> Iterator[TextIO]:
    """stdout, or ``output`` written as a part file beside it (a new name every run, see
    :func:`storebridge._files.open_part`) and renamed over it only when complete and on
    disk (:func:`storebridge._files.replacing`); the file replaced keeps its permissions.

    Only a regular file (or a new one) is replaced that way: a device, a pipe or a socket
    (``/dev/null``, a FIFO a reader waits on) is written into, since renaming over it would
    replace it with a file; a symlink is followed (by ``open_part`` and ``replacing``), so
    the file it points at is the one replaced and the link stays. A write the system
    refuses (a full disk) is an error naming the output: WriteFailed from the writer, or
    an OSError here while the part file is closed, synced or renamed.
    """
    if output is None:
        with _naming("writing to stdout failed"), _utf8_stdout() as stream:
            yield stream
        return
    if output.exists() and not output.is_file():
        if output.is_dir():
            raise usage_error(f"-o {output} is a folder", hint="give a file path for -o")
        with _naming(f"-o {output}: writing to it failed"), _opened(output) as stream:
            yield stream
        return
    try:
        # A symlink is followed there: the file it points at is replaced, the link stays.
        handle, part = open_part(output, newline="")
    except OSError as exc:
        raise _unwritable(output, exc) from None
    failed = f"-o {output}: writing it failed"
    kept = f"nothing was written to {output}"
    written = False
    try:
        with _naming(failed, kept), replacing(output, handle, part):
            yield handle
            written = True
    except OSError as exc:
        if not written:
            raise  # not the file's: the records' source, say
        # Closing, syncing or renaming the part file: the file is the one that failed.
        raise _write_failed(failed, exc.strerror or str(exc), kept) from None


class _Lent(io.BufferedIOBase):
    """stdout's byte stream, lent to a text wrapper: writes and flushes go through until
    :meth:`give_back`, and closing the wrapper (or the garbage collector doing so) never
    closes stdout itself, which the interpreter and ``main()`` still flush at exit."""

    def __init__(self, target: Any) -> None:
        super().__init__()
        self._target: Any = target

    @property
    def name(self) -> Any:
        return getattr(self._target, "name", "<stdout>")

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        if self._target is None:
            return super().fileno()  # raises, as a stream without a file does
        fileno: int = self._target.fileno()
        return fileno

    def isatty(self) -> bool:
        return self._target is not None and bool(self._target.isatty())

    def write(self, data: ReadableBuffer, /) -> int:
        if self._target is None:
            raise ValueError("stdout was given back: write to sys.stdout")
        written: int = self._target.write(data)
        return written

    def flush(self) -> None:
        if self._target is not None:
            self._target.flush()

    def give_back(self) -> None:
        """From now on writes fail and flushes do nothing: stdout is its owner's again."""
        self._target = None


@contextmanager
def _utf8_stdout() -> Iterator[TextIO]:
    """stdout as UTF-8 text, whatever the locale says (``PYTHONIOENCODING``, a Latin-1
    terminal, Windows' code page when redirected): an export is UTF-8 as an ``-o`` file
    is, rather than bytes in another encoding or a UnicodeEncodeError mid-way. Newlines are
    written as given (``newline=""``), so CSV rows end in ``\r\n`` on every system and JSON
    lines in ``\n``, again as in an ``-o`` file.

    The records written (and counted) stay in stdout's buffer when the block ends, however
    it ends, for ``main()`` to flush at exit as it always did: so a closed pipe (``| head``)
    still ends the run quietly with 141, and an interrupted export's count is what stdout
    got. A write that fails raises from the writer, which names it.
    """
    target = getattr(sys.stdout, "buffer", None)
    if target is None:
        # Not a real stdout (an application embedding the command put a text stream
        # there): it takes text, in whatever encoding it has.
        yield sys.stdout
        return
    sys.stdout.flush()  # anything printed to it already goes first
    lent = _Lent(target)
    stream = io.TextIOWrapper(
        lent, encoding="utf-8", newline="",
        # A terminal sees each record as it comes, as through sys.stdout itself.
        line_buffering=bool(sys.stdout.line_buffering),
        write_through=getattr(sys.stdout, "write_through", False),
    )  # fmt: skip
    try:
        yield stream
    finally:
        try:
            # Into stdout's buffer, and on to the output when it can. A success has
            # flushed already (the writer's flush, its errors named), so a failure here
            # is the one already on its way out (a closed pipe, a full disk): main()
            # meets it again at exit and handles it there.
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        finally:
            lent.give_back()
            with contextlib.suppress(OSError, ValueError):
                stream.close()  # the wrapper and `lent` only: stdout stays open


def _replaced(output: Path | None) -> bool:
    """Whether ``output`` is written through a part file (and so is left as it was when the
    export fails) rather than written into as it goes (stdout, a FIFO, a device)."""
    return output is not None and (output.is_file() or not output.exists())


def incomplete(exc: StorebridgeError, count: int, resource: str, output: Path | None) -> CliError:
    """The error of an export to a stream that failed after ``count`` records went out."""
    where = "stdout" if output is None else str(output)
    return CliError(
        f"{exc}; the output is incomplete: {count} {resource} were written to {where} "
        "before the failure",
        hint="discard that output and run the export again once the store answers (with -o "
        "FILE, a file appears only when the export is complete)",
    )


def interrupted(count: int, resource: str, output: Path | None, *, cut: bool) -> CliError:
    """The error (exit 130) of an export stopped by Ctrl-C or SIGTERM after ``count``
    records were written whole: they are what stdout (or a FIFO) got; a file's part file
    is gone and the file as it was. ``cut``: a second interrupt stopped the next record in
    the middle of its write."""
    message = f"interrupted after {count} {resource}"
    if _replaced(output):
        message += f"; nothing was written to {output}"
    elif cut:
        message += "; the one being written when Ctrl-C came again may be cut off"
    return CliError(message, code=EXIT_INTERRUPTED)


@contextmanager
def _naming(failed: str, kept: str | None = None) -> Iterator[None]:
    """WriteFailed from the block as a CliError saying what failed and what was kept."""
    try:
        yield
    except WriteFailed as exc:
        raise _write_failed(failed, exc.reason, kept) from None


def _write_failed(failed: str, reason: str, kept: str | None) -> CliError:
    return CliError(
        f"{failed} ({reason})" + (f"; {kept}" if kept else ""),
        hint="make room there (or fix the device) and run again, or write elsewhere with -o",
    )


def _separate_files(output: Path | None, report: Path | None, config: Path | None) -> None:
    """-o and --report must be neither each other nor the profile file the command reads
    (--config, $STOREBRIDGE_CONFIG or ./storebridge.toml): the profiles are read first and
    the export would then replace them with records."""
    profiles = config_path(config)
    for option, path, other, other_path in (
        ("-o", output, "--config", profiles),
        ("--report", report, "--config", profiles),
        ("--report", report, "-o", output),
    ):
        if path is None or other_path is None or not _same_file(path, other_path):
            continue
        if other == "--config":
            raise usage_error(
                f"{option} {path} is {other_path}, the profile file this command reads "
                "(--config); writing it would replace the profiles",
                hint=f"give {option} a path of its own",
            )
        raise usage_error(
            f"{option} {path} is the same file as {other} {other_path}",
            hint=f"give {option} a path of its own",
        )


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist yet
        pass
    try:
        return a.resolve() == b.resolve()
    except (OSError, RuntimeError):  # a loop of links (RuntimeError before Python 3.13)
        return False  # it names no file, so no other one; writing it fails clearly later


def _opened(path: Path) -> TextIO:
    """``path`` open for writing; a failure to open it is a usage error naming ``-o``."""
    try:
        return path.open("w", encoding="utf-8", newline="")
    except OSError as exc:
        raise _unwritable(path, exc) from None


def _unwritable(output: Path, exc: OSError) -> CliError:
    return usage_error(
        f"-o {output}: cannot write to it ({exc.strerror or exc})",
        hint="pick another path for -o",
    )


def _from_environment(ctx: typer.Context, name: str) -> bool:
    """Whether option ``name`` took its value from its environment variable (a store named
    on the command line as well as in ``$STOREBRIDGE_PROFILE`` is still a choice)."""
    source = ctx.get_parameter_source(name)
    return source is not None and source.name == "ENVIRONMENT"


def export_command(
    ctx: typer.Context,
    resource: Annotated[Resource, typer.Argument(help="What to export.", show_default=False)],
    store: Annotated[
        list[str] | None,
        typer.Option(
            "--store",
            "-s",
            envvar=PROFILE_ENV,
            help=f"{STORE_HELP} Repeat it to export several stores into one output.",
        ),
    ] = None,
    every: Annotated[
        bool, typer.Option("--all", help="Every profile in the profile file.")
    ] = False,
    tag: Annotated[
        str | None, typer.Option(help="Every profile with this tag (tags = [...]).")
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(
            dir_okay=False,
            help="Several stores: write each store's count, time and error here as JSON.",
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(help="Only records updated since this ISO date/time (with UTC offset)."),
    ] = None,
    fmt: Annotated[
        Format, typer.Option("--format", "-f", help="jsonl: one JSON object per line; csv.")
    ] = Format.jsonl,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            dir_okay=False,
            help="Write to this file instead of stdout; it appears only once complete.",
        ),
    ] = None,
    detail: Annotated[
        bool | None,
        typer.Option(
            "--detail/--no-detail",
            help="Orders and products (default on): complete records, orders with their "
            "lines, products with their description. Platforms whose lists leave those "
            "out need one more request per record for it.",
            show_default=False,
        ),
    ] = None,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
    debug: DebugOption = False,
    config: ConfigOption = None,
) -> None:
    """Stream orders, customers or products as JSON lines or CSV.

    Progress (records, rate, time) shows on stderr when it is a terminal; a summary with
    the number of requests it took ends the run. Several stores (--store repeated, --tag,
    --all) are read concurrently into one output, each record carrying its store.
    """
    apply_verbosity(verbose, debug)
    if (every or tag is not None) and _from_environment(ctx, "store"):
        store = None  # $STOREBRIDGE_PROFILE is the default store, not a choice of stores
    with terminate_like_interrupt():
        _export(resource, store, output, fmt, since, detail, every, tag, report, config,
                quiet)  # fmt: skip


_DETAILED = (Resource.orders, Resource.products)
"""What ``--detail`` reads whole: orders with their lines, products with their description."""


def partial_warning(partial: int, count: int, name: str) -> str:
    """What to say when ``partial`` of ``count`` records are slim list rows."""
    missing = "lines, refunds or transactions" if name == "orders" else "the description"
    return (
        f"{partial} of {count} {name} are list rows without all their details ({missing}; "
        f'"partial": true); leave out --no-detail to fetch complete {name}'
    )


def _export(
    resource: Resource,
    store: list[str] | None,
    output: Path | None,
    fmt: Format,
    since: str | None,
    detail: bool | None,
    every: bool,
    tag: str | None,
    report: Path | None,
    config: Path | None,
    quiet: bool,
) -> None:
    name = resource.value
    if detail is not None and resource not in _DETAILED:
        raise usage_error("--detail/--no-detail applies to orders and products only")
    updated_since = since_option(since, allow_last_run=False)
    if output is not None:
        writable_file("-o", output)
    complete = detail is not False and resource in _DETAILED
    show_progress = (
        not quiet
        and terminal_wants_progress()
        and not (
            output is None and sys.stdout.isatty()  # rows and bars would share one screen
        )
    )
    stores = list(dict.fromkeys(store or []))  # a name given twice is one store
    _separate_files(output, report, config)
    if every or tag is not None or len(stores) > 1:
        if sum((every, tag is not None, bool(stores))) > 1:
            raise usage_error("name the stores one way: --store (repeated), --tag or --all")
        from storebridge.cli.export_fleet import choose_fleet, export_fleet

        if report is not None:
            writable_file("--report", report)
            # From here the run has begun: ended early or failed while choosing the stores,
            # it must not leave an earlier run's report looking current.
            report.unlink(missing_ok=True)
        export_fleet(
            choose_fleet(stores, tag, every, config), name, updated_since=updated_since,
            fmt=fmt.value, output=output, detail=complete, quiet=quiet,
            show_progress=show_progress, report_file=report,
        )  # fmt: skip
        return
    if report is not None:
        raise usage_error(
            "--report is written for several stores (--store repeated, --tag or --all)",
            hint="leave out --report: the exit code and the summary report one store",
        )
    profile = profile_name("--store", stores[0] if stores else None, config)
    started = time.monotonic()
    with ExitStack() as stack:
        opened = stack.enter_context(open_store(profile, config))
        meter = stack.enter_context(_metered())
        out = stack.enter_context(_destination(output))
        bars = stack.enter_context(ProgressDisplay(enabled=show_progress))
        step = bars.counter(f"{name} ({opened.platform})")
        query: dict[str, Any] = {"updated_since": updated_since}
        if resource in _DETAILED:
            query["detail"] = complete
        from storebridge.cli.records import RecordWriter

        gate = stack.enter_context(whole_writes())
        writer = RecordWriter(out, fmt.value, name, whole=gate)
        try:
            writer.write_all(getattr(opened, name).list(**query), step)
            writer.flush()
        except KeyboardInterrupt:
            bars.stop()
            raise interrupted(writer.count, name, output, cut=gate.cut) from None
        except StorebridgeError as exc:
            # The store failed part way (a 500, the network): what stdout (or a FIFO) got
            # is cut short, and must not pass for a whole export. A file is left as it was.
            bars.stop()
            if writer.count and not _replaced(output):
                raise incomplete(exc, writer.count, name, output) from None
            raise
    seconds = time.monotonic() - started
    if not quiet:
        _summary(writer, name, output, meter.count, seconds, complete)
    if writer.partial:
        # Even with --quiet: incomplete records must never pass silently.
        warning(partial_warning(writer.partial, writer.count, name) + " (one more request "
                "per record on this platform)")  # fmt: skip


def _summary(
    writer: RecordWriter,
    name: str,
    output: Path | None,
    requests: int,
    seconds: float,
    complete: bool,
) -> None:
    where = str(output) if output else "stdout"
    plural = "request" if requests == 1 else "requests"
    line = f"exported {writer.count} {name} to {where}: {requests} {plural} in {seconds:.1f} s"
    if complete and writer.count:
        extra = requests / writer.count
        what = "orders with lines" if name == "orders" else f"{name}"
        line += (
            f" (complete {what}; {extra:.2f} requests per {name[:-1]}"
            "; --no-detail reads list rows only)"
        )
    note(line)


__all__ = ["Format", "Resource", "export_command", "interrupted", "partial_warning"]
