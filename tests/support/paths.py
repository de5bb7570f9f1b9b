"""Where the repository's files are, for tests at any depth."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
CASSETTES = REPO_ROOT / "cassettes"
SHARED = Path(os.environ.get("STOREBRIDGE_SHARED_DIR", REPO_ROOT.parent / "shared"))
"""The platform notes and vendor files, outside the repository (``../shared``)."""
