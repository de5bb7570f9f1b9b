"""A dlt source for warehouses: orders, customers and products of many stores
(``pip install 'storebridge[dlt]'``).

::

    import dlt
    import storebridge.dlt

    pipeline = dlt.pipeline("shops", destination="duckdb", dataset_name="shops")
    pipeline.run(storebridge.dlt.source(["shop-a", "shop-b"]))   # again: only the changes

Rows carry their ``store``; the primary key is ``(store, ref)`` and rows are merged, so a
changed record replaces its row and its child rows (``orders__lines``,
``customers__addresses``, ``products__variants``...). Loads are incremental per store by
``updated_at``. :func:`load` runs a pipeline for you (DuckDB by default) and returns each
store's counts and errors; :class:`LoadJob` loads store by store on a fleet or on Dask.
"""

from __future__ import annotations

try:
    import dlt as _dlt  # noqa: F401 - fails early, with the fix, when the extra is missing
except ImportError as exc:  # pragma: no cover - depends on what is installed
    from storebridge.errors import ConfigurationError

    raise ConfigurationError(
        "storebridge.dlt needs the dlt extra: pip install 'storebridge[dlt]'",
        setting="dlt",
    ) from exc

from storebridge.dlt.cursor import DEFAULT_OVERLAP, UpdatedAtCursor
from storebridge.dlt.load import (
    DEFAULT_DATABASE,
    DEFAULT_DATASET,
    LoadJob,
    LoadResult,
    destination,
    load,
)
from storebridge.dlt.rows import row
from storebridge.dlt.source import RESOURCES, source

__all__ = [
    "DEFAULT_DATABASE",
    "DEFAULT_DATASET",
    "DEFAULT_OVERLAP",
    "RESOURCES",
    "LoadJob",
    "LoadResult",
    "UpdatedAtCursor",
    "destination",
    "load",
    "row",
    "source",
]
