"""Finding the fenced code blocks of the Markdown documentation, with their not-run marks.

A block is marked as deliberately not run by an HTML comment directly above its opening
fence (alone or among other comment lines there)::

    <!-- not-run: needs a real store -->
    ```python
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import attrs

FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`]*)$")
NOT_RUN = re.compile(r"^\s*<!--\s*not-run:\s*(?P<reason>.*?)\s*-->\s*$")
COMMENT = re.compile(r"^\s*<!--.*-->\s*$")

PYTHON = frozenset({"python", "py", "python3"})
SHELL = frozenset({"sh", "bash", "shell", "console", "zsh"})
TOML = frozenset({"toml"})
JSON = frozenset({"json"})
TEXT = frozenset({"text"})
"""Output, trees and synopses: shown as they are."""
KNOWN = PYTHON | SHELL | TOML | JSON | TEXT


@attrs.frozen
class CodeBlock:
    """One fenced block: where it is, its language, its text, and why it is not run."""

    path: Path
    line: int
    """1-based line of the opening fence."""
    language: str
    source: str
    not_run: str | None = None
    """The reason given in a ``<!-- not-run: ... -->`` mark, or None."""

    def label(self, root: Path) -> str:
        return f"{self.path.relative_to(root).as_posix()}:{self.line}"


def _mark_above(lines: list[str], fence_index: int) -> str | None:
    index = fence_index - 1
    while index >= 0 and COMMENT.match(lines[index]):
        found = NOT_RUN.match(lines[index])
        if found:
            return found.group("reason")
        index -= 1
    return None


def code_blocks(path: Path) -> Iterator[CodeBlock]:
    """The fenced blocks of one Markdown file, in order.

    Raises ValueError for a fence that is never closed, so a broken page cannot hide its
    examples from the test.
    """
    lines = path.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        indent, fence = opening.group("indent"), opening.group("fence")
        words = opening.group("info").strip().lstrip("{").split()
        language = words[0].lstrip(".").lower() if words else ""
        body: list[str] = []
        end = index + 1
        while end < len(lines):
            closing = lines[end].strip()
            if closing.startswith(fence[0] * len(fence)) and not closing.strip(fence[0]):
                break
            body.append(lines[end][len(indent) :] if lines[end].startswith(indent) else lines[end])
            end += 1
        else:
            raise ValueError(f"{path}:{index + 1}: code fence is never closed")
        yield CodeBlock(
            path=path,
            line=index + 1,
            language=language,
            source="\n".join(body) + "\n",
            not_run=_mark_above(lines, index),
        )
        index = end + 1
