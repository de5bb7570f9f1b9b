"""The pieces of ``benchmarks/run.py``: sandboxes hosted in a child process, the ways to
export a store (storebridge, a naive loop, dlt), and one module per measured section."""
