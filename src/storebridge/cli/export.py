"""Streaming records out as JSON lines or CSV."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import Any, TextIO

from storebridge.serialization import to_dict


def _flat(record: dict[str, Any]) -> dict[str, Any]:
    """Scalar columns for CSV: money as amount + currency, lists as counts."""
    row: dict[str, Any] = {}
    for key, value in record.items():
        if isinstance(value, dict) and set(value) == {"amount", "currency"}:
            row[key] = value["amount"]
            row[f"{key}_currency"] = value["currency"]
        elif isinstance(value, dict):
            continue
        elif isinstance(value, list):
            if value and all(isinstance(v, str) for v in value):
                row[key] = " ".join(value)
            else:
                row[f"{key}_count"] = len(value)
        else:
            row[key] = value
    return row


def write_records(records: Iterable[Any], out: TextIO, fmt: str) -> int:
    """Write every record as it arrives; returns how many were written."""
    count = 0
    writer: csv.DictWriter[str] | None = None
    for record in records:
        data = to_dict(record)
        if fmt == "jsonl":
            out.write(json.dumps(data, ensure_ascii=False) + "\n")
        else:
            row = _flat(data)
            if writer is None:
                writer = csv.DictWriter(out, fieldnames=list(row), extrasaction="ignore")
                writer.writeheader()
            writer.writerow(row)
        count += 1
    return count
