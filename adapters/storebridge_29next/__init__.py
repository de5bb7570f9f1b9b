"""29 Next adapter (in progress)."""
