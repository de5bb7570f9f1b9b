"""The ``storebridge`` command line."""

from storebridge.cli.app import app, main

__all__ = ["app", "main"]
