"""Cooperation: the ILRSCO registry of countries, organisations, researchers, agreements and
contributions, with its database and the 50 / 500 / 5,000 targets. Knows nothing of the
physics."""
