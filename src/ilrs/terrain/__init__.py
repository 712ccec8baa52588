"""Terrain: DEM grids and their polar stereographic CRS, readers, fetch, synthetic terrain,
slope and horizons. Imports only ``ilrs.errors`` and ``ilrs.data`` from the project."""
