"""``python -m storebridge.cli``."""

from storebridge.cli import main

main()
