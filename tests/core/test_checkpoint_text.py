"""Text that is not a checkpoint is refused by ``Checkpoint.from_json`` with a
ValidationError: before, some passed it and the feed failed later with a raw error."""

from __future__ import annotations

import json

import pytest

from storebridge.changes import Checkpoint
from storebridge.errors import ValidationError


def _text(watermark: object = "2025-12-31T23:50:00+00:00", pass_started: object = None,
          stamp: object = "2025-12-31T23:55:00+00:00") -> str:  # fmt: skip
    position = {"watermark": watermark, "pass_started": pass_started,
                "delivered": [["999", stamp, "digest"]]}  # fmt: skip
    return json.dumps({"version": 2, "platform": "shopline", "store": "acme.myshopline.com",
                       "positions": {"customers": position}})  # fmt: skip


def test_a_well_formed_checkpoint_reads_back() -> None:
    checkpoint = Checkpoint.from_json(_text())
    assert Checkpoint.from_json(checkpoint.to_json()) == checkpoint


@pytest.mark.parametrize(
    "text",
    [
        _text(stamp="2026-01-01T00:00:00"),  # a delivered time without its offset
        _text(stamp="yesterday"),
        _text(stamp=5),
        _text(pass_started="0001-01-01T00:00:00+00:00"),  # the feed subtracts its overlap
        _text(watermark="9999-12-31T23:59:59+00:00"),
        "[" * 100_000 + "]" * 100_000,  # nested past the parser's recursion
    ],
    ids=["naive-stamp", "word-stamp", "number-stamp", "year-1", "year-9999", "deep"],
)
def test_text_that_is_not_a_checkpoint_is_a_validation_error(text: str) -> None:
    with pytest.raises(ValidationError, match="not a storebridge change-feed checkpoint"):
        Checkpoint.from_json(text)
