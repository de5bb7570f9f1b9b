"""A short fingerprint of a model object's content, for telling two readings apart.

Used where a timestamp alone cannot say whether a record changed: two edits within one
second of a platform that stamps whole seconds carry the same ``updated_at``.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from storebridge.serialization import to_dict


def digest(record: Any) -> str:
    """A short fingerprint of a record's content (its ``raw`` payload left out).

    ``raw`` is left out: it is the platform's payload as it came, which may carry what no
    edit changes, while the model's fields are what a consumer holds. Keys are sorted, so
    equal content gives equal text.
    """
    data = orjson.dumps(to_dict(record), option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(data, digest_size=10).hexdigest()


__all__ = ["digest"]
