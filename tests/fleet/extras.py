"""The optional extras some fleet tests need (dlt and duckdb, dask): skipped when absent.

Importing dlt and duckdb costs about a second of CPU, distributed a third of one. The modules
using them only check at collection that they are installed, and import them when a test
runs; a group mark keeps those tests on one xdist worker, so one worker pays the imports
instead of every worker that collects the modules.
"""

from __future__ import annotations

import importlib.util

import pytest

__all__ = ["DASK", "DLT", "require"]

DLT = pytest.mark.xdist_group("extra:dlt")
"""Tests that import dlt or duckdb."""

DASK = pytest.mark.xdist_group("extra:dask")
"""Tests that start a Dask cluster (importing distributed)."""


def require(*modules: str, extra: str) -> None:
    """Skip the calling test module unless every one of ``modules`` is installed."""
    missing = [name for name in modules if importlib.util.find_spec(name) is None]
    if missing:
        reason = f"the {extra} extra (in .[dev]) is not installed: no {', '.join(missing)}"
        pytest.skip(reason, allow_module_level=True)
