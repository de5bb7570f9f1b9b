"""What the examples test did, for the summary printed at the end of the run."""

from __future__ import annotations

RAN: dict[str, bool] = {}
"""Label (``path:line``) of each block run, and whether it passed."""
NOT_RUN: dict[str, str] = {}
"""Label of each block marked not-run, and the reason given."""
