"""Every fenced code block in README.md and docs/ runs, or says why it does not.

Python blocks run against the built-in sandboxes (see :mod:`tests.docs.harness`); TOML and
JSON blocks must parse; shell blocks must be marked not-run for now. A block marked
``<!-- not-run: reason -->`` must still be valid (Python compiles, data parses) and short.
"""

from __future__ import annotations

import json
import tomllib
from functools import cache
from pathlib import Path

import pytest
from _pytest.mark import ParameterSet

from tests.docs import record
from tests.docs.blocks import JSON, KNOWN, PYTHON, SHELL, TOML, CodeBlock, code_blocks
from tests.docs.harness import BlockOutcome, run_page
from tests.support.paths import REPO_ROOT

MAX_NOT_RUN_LINES = 15
"""A block that is not run should be a fragment, not a hiding place for a long example."""


def markdown_files() -> list[Path]:
    return [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").rglob("*.md"))]


BLOCKS = [block for path in markdown_files() for block in code_blocks(path)]
RUNNABLE_PYTHON = [b for b in BLOCKS if b.language in PYTHON and b.not_run is None]
DATA = [b for b in BLOCKS if b.language in TOML | JSON and b.not_run is None]
NOT_RUN = [b for b in BLOCKS if b.not_run is not None]


def _id(block: CodeBlock) -> str:
    return block.label(REPO_ROOT)


def _check_valid(block: CodeBlock) -> None:
    if block.language in PYTHON:
        compile(block.source, _id(block), "exec")
    elif block.language in TOML:
        tomllib.loads(block.source)
    elif block.language in JSON:
        json.loads(block.source)


@cache
def _page_outcomes(path: Path, workdir: Path) -> dict[int, BlockOutcome]:
    """Runs a page's blocks once; each block's test then reports its own outcome."""
    blocks = [b for b in RUNNABLE_PYTHON if b.path == path]
    return {o.block.line: o for o in run_page(blocks, workdir, REPO_ROOT)}


@pytest.fixture(scope="session")
def docs_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("docs-examples")


def _on_one_worker_per_page(blocks: list[CodeBlock]) -> list[ParameterSet]:
    """A page's blocks run together (see ``_page_outcomes``): under xdist, on one worker,
    or every worker that gets one of them runs the whole page again."""
    return [
        pytest.param(b, marks=pytest.mark.xdist_group(f"docs:{_id(b).partition(':')[0]}"))
        for b in blocks
    ]


@pytest.mark.parametrize("block", _on_one_worker_per_page(RUNNABLE_PYTHON), ids=_id)
def test_python_example_runs(block: CodeBlock, docs_workdir: Path) -> None:
    page_dir = docs_workdir / block.path.relative_to(REPO_ROOT).as_posix().replace("/", "_")
    outcome = _page_outcomes(block.path, page_dir)[block.line]
    record.RAN[_id(block)] = outcome.error is None
    if outcome.error is not None:
        pytest.fail(f"{_id(block)} failed:\n{outcome.error}", pytrace=False)


@pytest.mark.parametrize("block", DATA, ids=_id)
def test_data_example_parses(block: CodeBlock) -> None:
    _check_valid(block)


@pytest.mark.parametrize("block", NOT_RUN, ids=_id)
def test_not_run_block_is_small_valid_and_explained(block: CodeBlock) -> None:
    assert block.not_run, f"{_id(block)}: say why it is not run"
    record.NOT_RUN[_id(block)] = block.not_run
    lines = block.source.strip().splitlines()
    assert len(lines) <= MAX_NOT_RUN_LINES, (
        f"{_id(block)} is {len(lines)} lines; a block that is not run must stay a fragment "
        f"(at most {MAX_NOT_RUN_LINES}); make it runnable or split it"
    )
    _check_valid(block)


def test_every_block_has_a_known_language_and_shell_blocks_are_marked() -> None:
    unknown = [f"{_id(b)} ({b.language or 'none'})" for b in BLOCKS if b.language not in KNOWN]
    assert not unknown, f"blocks need one of {sorted(KNOWN)} (`text` for output): {unknown}"
    shell = [_id(b) for b in BLOCKS if b.language in SHELL and b.not_run is None]
    assert not shell, f"shell blocks are not run yet: mark them not-run with a reason: {shell}"
