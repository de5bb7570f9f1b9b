"""24Nettbutikk adapter (in progress)."""
