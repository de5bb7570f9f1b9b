"""The examples harness itself: it finds every block, and a broken example fails."""

from __future__ import annotations

from pathlib import Path

import pytest

import storebridge
from tests.docs.blocks import code_blocks
from tests.docs.harness import run_page


def _page(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "page.md"
    path.write_text(text, encoding="utf-8")
    return path


def _run(tmp_path: Path, text: str) -> list[str | None]:
    path = _page(tmp_path, text)
    blocks = [b for b in code_blocks(path) if b.language == "python" and b.not_run is None]
    return [o.error for o in run_page(blocks, tmp_path / "work", tmp_path)]


def test_blocks_are_found_with_language_marks_and_indentation(tmp_path: Path) -> None:
    path = _page(
        tmp_path,
        "# Page\n\n```python\nx = 1\n```\n\n"
        "<!-- not-run: needs a real store -->\n```sh\nstorebridge demo\n```\n\n"
        "- item\n\n    ```toml\n    a = 1\n    ```\n\n"
        "<!-- other -->\n<!-- not-run: two comments -->\n<!-- marker -->\n```\nplain\n```\n",
    )
    blocks = list(code_blocks(path))
    assert [(b.line, b.language, b.not_run) for b in blocks] == [
        (3, "python", None),
        (8, "sh", "needs a real store"),
        (14, "toml", None),
        (21, "", "two comments"),
    ]
    assert blocks[0].source == "x = 1\n"
    assert blocks[2].source == "a = 1\n"


def test_a_mark_separated_by_a_blank_line_does_not_count(tmp_path: Path) -> None:
    path = _page(tmp_path, "<!-- not-run: far away -->\n\n```python\nx = 1\n```\n")
    assert [b.not_run for b in code_blocks(path)] == [None]


def test_an_unclosed_fence_is_an_error(tmp_path: Path) -> None:
    path = _page(tmp_path, "```python\nx = 1\n")
    with pytest.raises(ValueError, match="never closed"):
        list(code_blocks(path))


def test_blocks_of_a_page_share_names_and_failures_are_reported(tmp_path: Path) -> None:
    errors = _run(
        tmp_path,
        "```python\nvalue = 41\n```\n\n```python\nvalue += 1\nprint(value)  # prints: 42\n```\n\n"
        "```python\nprint(undefined_name)\n```\n\n```python\nprint(7)  # prints: 8\n```\n",
    )
    assert errors[:2] == [None, None]
    assert errors[2] is not None and "NameError" in errors[2]
    assert errors[3] is not None and "lacks ['8']" in errors[3]


def test_connect_reaches_an_emulator_on_loopback_with_the_examples_settings(
    tmp_path: Path,
) -> None:
    errors = _run(
        tmp_path,
        "```python\nimport storebridge\n"
        'store = storebridge.connect("29next", store="acme", access_token=TOKEN)\n'
        "print(store.adapter.base_url)  # prints: http://127.0.0.1:\n"
        'print(store.orders.get("100006").number)  # prints: 100006\n```\n\n'
        "```python\n"
        'storebridge.connect("29next", access_token=TOKEN)  # no store: refused\n```\n',
    )
    assert errors[0] is None
    assert errors[1] is not None and "ConfigurationError" in errors[1]
    assert storebridge.connect.__module__ == "storebridge.registry"


def test_each_store_named_on_a_page_gets_its_own_emulator(tmp_path: Path) -> None:
    errors = _run(
        tmp_path,
        "```python\nimport storebridge\n"
        'a = storebridge.connect("29next", store="a", access_token=TOKEN)\n'
        'b = storebridge.connect("29next", store="b", access_token=TOKEN)\n'
        'a.orders.cancel("100008", reason="test", refund=True)\n'
        'print(a.orders.get("100008").status, b.orders.get("100008").status)'
        "  # prints: cancelled open\n```\n",
    )
    assert errors == [None]
