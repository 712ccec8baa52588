"""Candidate ice sites from a thermal map: regions, areas, ranking, distances (against
pyproj's geodesic on the same sphere), the GeoTIFF round trip and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine
from pyproj import Geod

from ilrs.errors import InputError
from ilrs.exploration.targets import ThermalLayers, find_targets, great_circle_m
from ilrs.terrain import MOON_RADIUS_M, SOUTH_POLAR_STEREOGRAPHIC, latlon_from_polar_xy
from ilrs.terrain.geotiff import write_geotiff

PIXEL_M = 100.0
TRANSFORM = Affine(PIXEL_M, 0, -5_000.0, 0, -PIXEL_M, 5_000.0)  # 100 x 100 px about the pole


def _layers():
    depth = np.full((100, 100), np.nan)  # NaN: no stable ice in the column
    depth[10:20, 10:30] = 0.0  # 200 cells, surface ice
    depth[60:65, 60:65] = 0.0  # 25 cells, surface ice, near the landing site
    depth[80:90, 10:20] = 0.3  # 100 cells, ice below 30 cm
    depth[0:2, 98:100] = 0.0  # 4 cells
    depth[50, 50] = 0.0  # a single cell: below the minimum region
    max_k = np.where(depth == 0.0, 80.0, 250.0)
    return ThermalLayers(depth, max_k, TRANSFORM, SOUTH_POLAR_STEREOGRAPHIC, {})


def _cell_latlon(row, col):
    return latlon_from_polar_xy(-5_000.0 + (col + 0.5) * PIXEL_M, 5_000.0 - (row + 0.5) * PIXEL_M)


def test_regions_ranked_by_area_with_their_figures():
    landing = _cell_latlon(70, 70)
    targets, labels = find_targets(
        _layers(), landing_lat_deg=float(landing[0]), landing_lon_deg=float(landing[1])
    )
    assert [t.cells for t in targets] == [200, 25, 4]  # the 30 cm ice needs --max-depth-m
    # Stereographic cells near the pole are 1 - (rho / 2R)^2 smaller: within 1e-5 here.
    assert targets[0].area_km2 == pytest.approx(200 * 0.01, rel=1e-5)
    assert (labels == 1).sum() == 200 and labels[50, 50] == 0
    near = targets[1]
    geod = Geod(a=MOON_RADIUS_M, b=MOON_RADIUS_M)
    corner = _cell_latlon(64, 64)  # the region's nearest cell to (70, 70)
    _, _, expected_m = geod.inv(landing[1], landing[0], corner[1], corner[0])
    assert near.distance_km * 1000.0 == pytest.approx(expected_m, rel=1e-6)
    assert near.coldest_max_k == 80.0


def test_deeper_ice_and_other_rankings():
    landing = _cell_latlon(70, 70)
    kwargs = dict(landing_lat_deg=float(landing[0]), landing_lon_deg=float(landing[1]))
    targets, _ = find_targets(_layers(), max_depth_m=0.5, rank_by="distance", **kwargs)
    assert sorted(t.cells for t in targets) == [4, 25, 100, 200]
    assert targets[0].cells == 25
    distances = [t.distance_km for t in targets]
    assert distances == sorted(distances)
    by_depth, _ = find_targets(_layers(), max_depth_m=0.5, rank_by="depth")
    assert by_depth[-1].mean_ice_depth_m == pytest.approx(0.3)
    assert by_depth[-1].distance_km is None


def test_great_circle_matches_pyproj():
    geod = Geod(a=MOON_RADIUS_M, b=MOON_RADIUS_M)
    _, _, expected = geod.inv(222.69, -89.45, 123.4, -88.8)
    assert great_circle_m(-89.45, 222.69, -88.8, 123.4) == pytest.approx(expected, rel=1e-9)


def test_thermal_geotiff_round_trip_and_bad_input(tmp_path):
    layers = _layers()
    stack = np.stack([layers.max_k, layers.max_k, layers.max_k, layers.ice_depth_m])
    path = write_geotiff(
        tmp_path / "thermal.tif",
        stack,
        TRANSFORM,
        band_descriptions=["max_k", "mean_k", "min_k", "ice_depth_m"],
    )
    read = ThermalLayers.read(path)
    assert np.array_equal(np.isnan(read.ice_depth_m), np.isnan(layers.ice_depth_m))
    other = write_geotiff(tmp_path / "other.tif", layers.max_k, TRANSFORM, band_descriptions=["x"])
    with pytest.raises(InputError, match="no band described ice_depth_m, max_k"):
        ThermalLayers.read(other)
    with pytest.raises(InputError, match="no thermal map"):
        ThermalLayers.read(tmp_path / "missing.tif")
    with pytest.raises(InputError, match="needs a landing site"):
        find_targets(layers, rank_by="distance")
    with pytest.raises(InputError, match="unknown ranking"):
        find_targets(layers, rank_by="size")


def test_areas_far_from_the_pole_take_out_the_scale_factor():
    # 150 km from the pole the grid's cells are (1 + rho^2 / 4R^2)^2 = 1.0037 times too big.
    far = Affine(PIXEL_M, 0, -5_000.0, 0, -PIXEL_M, 155_000.0)
    layers = _layers()
    moved = ThermalLayers(layers.ice_depth_m, layers.max_k, far, SOUTH_POLAR_STEREOGRAPHIC, {})
    targets, _ = find_targets(moved)
    rows, cols = np.arange(10, 20), np.arange(10, 30)
    rho2 = (-5_000.0 + (cols[None, :] + 0.5) * PIXEL_M) ** 2 + (
        155_000.0 - (rows[:, None] + 0.5) * PIXEL_M
    ) ** 2
    expected_km2 = np.sum(0.01 / (1 + rho2 / (4 * MOON_RADIUS_M**2)) ** 2)
    assert targets[0].area_km2 == pytest.approx(expected_km2, rel=1e-9)
    assert targets[0].area_km2 < 200 * 0.01 * 0.997
