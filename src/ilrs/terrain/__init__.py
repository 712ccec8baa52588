"""Terrain: DEM grids and their polar stereographic CRS, terrain stacks (the embedded real
LOLA cap by default), readers, fetch, synthetic terrain, slope and horizons. Imports only
``ilrs.errors`` and ``ilrs.data`` from the project."""

from ilrs.terrain.grid import (
    MOON_RADIUS_M,
    SOUTH_POLAR_STEREOGRAPHIC,
    Dem,
    Window,
    extent_km,
    grid_bearing_deg,
    latlon_from_polar_xy,
    moon_fixed_m,
    polar_xy_from_latlon,
)
from ilrs.terrain.stack import StackLayer, TerrainStack

__all__ = [
    "MOON_RADIUS_M",
    "SOUTH_POLAR_STEREOGRAPHIC",
    "Dem",
    "StackLayer",
    "TerrainStack",
    "Window",
    "extent_km",
    "grid_bearing_deg",
    "latlon_from_polar_xy",
    "moon_fixed_m",
    "polar_xy_from_latlon",
]
