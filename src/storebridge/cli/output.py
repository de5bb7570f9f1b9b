"""What the command line prints, how it fails, and its exit codes.

Results go to stdout and everything else (notes, errors, progress) to stderr, as plain
text: no Rich markup is ever applied to names or data the user gave, so ``[stores.NAME]``
or ``platform = "..."`` print literally, and nothing is wrapped, so pipes and redirects
(``storebridge stores | cut -f1``) see one record per line.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import typer

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_MISMATCH = 3
EXIT_INTERRUPTED = 130
EXIT_CLOSED_PIPE = 141
"""The reader of stdout left early (``| head``): the status a shell gives any Unix tool
that a closed pipe stops (128 + SIGPIPE), so ``set -o pipefail`` sees what it sees for
``cat`` or ``grep``; 1 would say that the store or the network failed."""

EXIT_CODES_HELP = """\b
Exit codes:
  0    success
  1    the work failed: the store, the network, the profile file or a
       platform refused (message on stderr)
  2    usage error: a bad option or argument (message on stderr names it)
  3    a migration or the demo finished, but records failed or
       verification found mismatches
  130  interrupted (Ctrl-C); a migration resumes with --resume
  141  stdout was closed early (| head): the output is cut there,
       and nothing is printed about it"""


class CliError(Exception):
    """A failure to report as one ``error:`` line (plus an optional hint) and an exit code."""

    def __init__(self, message: str, *, code: int = EXIT_FAILED, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.hint = hint


class WriteFailed(Exception):
    """Writing the command's output failed (a full disk, a device refusing data): raised in
    place of the ``OSError`` so the command can name its output, which other I/O errors
    (a profile file, a token cache) must not be taken for. ``error`` is that OSError."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error

    @property
    def reason(self) -> str:
        """What the system said (``No space left on device``)."""
        return self.error.strerror or str(self.error)


class OutputClosed(Exception):
    """The reader of the command's output left before the end (``| head``, a FIFO's reader
    stopping): not a failure to report, so the command ends quietly with
    :data:`EXIT_CLOSED_PIPE`. Raised in place of the ``BrokenPipeError`` so that no layer
    between the write and :func:`storebridge.cli.run` takes it for another I/O error (the
    command-line parser, which would exit 1, or the file errors of a command)."""


def usage_error(message: str, hint: str | None = None) -> CliError:
    """A bad option or argument (exit 2)."""
    return CliError(message, code=EXIT_USAGE, hint=hint)


def result(text: str) -> None:
    """One line of the command's result on stdout (:class:`OutputClosed` if its reader left)."""
    try:
        typer.echo(text)
    except BrokenPipeError:
        raise OutputClosed from None
    except OSError as exc:  # a full disk, stdout closed by the shell (>&-)
        raise CliError(f"writing to stdout failed ({exc.strerror or exc})") from None


def result_json(data: Any) -> None:
    """The command's result as JSON on stdout (:class:`OutputClosed` if its reader left)."""
    result(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def note(text: str) -> None:
    """Something for the person at the terminal (stderr, so results stay clean)."""
    typer.echo(text, err=True)


def _label(word: str, color: str) -> str:
    # Colour only for a person at a terminal who has not opted out (no-color.org).
    if sys.stderr.isatty() and not os.environ.get("NO_COLOR"):
        return typer.style(word, fg=color, bold=True)
    return word


def error(message: str, hint: str | None = None) -> None:
    """``error: message`` (and ``hint: ...``) on stderr."""
    typer.echo(f"{_label('error:', 'red')} {message}", err=True)
    if hint:
        typer.echo(f"{_label('hint:', 'yellow')} {hint}", err=True)


def warning(message: str) -> None:
    """``warning: message`` on stderr."""
    typer.echo(f"{_label('warning:', 'yellow')} {message}", err=True)


__all__ = [
    "EXIT_CLOSED_PIPE",
    "EXIT_CODES_HELP",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_MISMATCH",
    "EXIT_OK",
    "EXIT_USAGE",
    "CliError",
    "OutputClosed",
    "WriteFailed",
    "error",
    "note",
    "result",
    "result_json",
    "usage_error",
    "warning",
]
