"""The ``storebridge`` command line."""

from storebridge.cli.app import app, main, run

__all__ = ["app", "main", "run"]
