"""SHOPLINE adapter (in progress)."""
