"""The sweep method for horizon maps: directions, analytic cases, the brute-force march and
the ray method, distance limits, tiles, and clear errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ilrs.errors import InputError
from ilrs.report.authorities import traced_horizon_deg as brute_force_horizon_deg
from ilrs.terrain.horizon import horizon_map, sweep_bearings_deg
from ilrs.terrain.sweep import snap_bearing
from test_terrain_horizon import grid, rough_dem, sampled_errors_deg, sphere_angle_deg

__all__ = ["rough_dem"]  # the fixture, shared with the ray method's tests


@pytest.mark.parametrize("bearing", [0.0, 7.0, 10.0, 45.0, 100.0, 200.0, 333.3])
@pytest.mark.parametrize("tolerance", [0.05, 0.5, 2.0])
def test_bearings_move_to_small_integer_steps_within_the_tolerance(bearing, tolerance):
    direction = snap_bearing(bearing, tolerance)
    assert math.gcd(direction.d_col, direction.d_row) == 1
    exact = math.degrees(math.atan2(direction.d_col, -direction.d_row)) % 360
    assert direction.bearing_deg == pytest.approx(exact)
    off = (direction.bearing_deg - bearing + 180) % 360 - 180
    assert abs(off) <= tolerance + 1e-9
    # No direction of smaller steps along the major axis would have done.
    major = max(abs(direction.d_col), abs(direction.d_row))
    slope = abs(math.tan(math.radians(bearing)))
    slope = min(slope, 1 / slope) if slope else 0.0
    for q in range(1, major):
        p = round(slope * q)
        assert abs(math.degrees(math.atan2(p, q) - math.atan(slope))) > tolerance


def test_grid_axes_and_diagonals_are_exact():
    assert list(sweep_bearings_deg(8)) == [0.0, 45.0, 90.0, 135.0, 180.0, 225.0, 270.0, 315.0]
    assert snap_bearing(90.0) == (90.0, 1, 0)
    assert snap_bearing(225.0) == (225.0, -1, 1)


def test_tilted_plane_shows_its_own_slope():
    # A plane seen from its own surface: the horizon is its slope along the bearing,
    # uphill and downhill alike (flat body, so the plane stays a plane).
    pixel_m, n = 30.0, 80
    rows, cols = np.indices((n, n)).astype(float)
    heights = 0.12 * cols * pixel_m - 0.05 * rows * pixel_m  # rising east and north
    dem = grid(heights, pixel_m, center_y_m=-40_000.0)
    bearings = sweep_bearings_deg(12)
    maps = horizon_map(
        dem,
        azimuths=12,
        max_distance_m=1_000.0,
        curvature=False,
        grid_azimuths=True,
        method="sweep",
    )
    for band, bearing in enumerate(np.radians(bearings)):
        slope = 0.12 * math.sin(bearing) + 0.05 * math.cos(bearing)
        inner = maps[band, 20:60, 20:60]
        assert np.max(np.abs(inner - math.degrees(math.atan(slope)))) < 1e-6


def test_flat_sphere_dips_by_the_curvature():
    dem = grid(np.zeros((240, 240)), 50.0, center_y_m=-25_000.0)
    far = horizon_map(
        dem,
        azimuths=16,
        height_above_ground_m=10.0,
        max_distance_m=8_000.0,
        grid_azimuths=True,
        method="sweep",
    )
    # From 10 m up the geometric horizon lies sqrt(2 R h) = 5.9 km away.
    expected = -math.degrees(math.acos(1737400.0 / (1737400.0 + 10.0)))
    assert np.max(np.abs(far[:, 110:130, 110:130] - expected)) < 0.01
    near = horizon_map(
        dem,
        azimuths=16,
        height_above_ground_m=10.0,
        max_distance_m=3_000.0,
        grid_azimuths=True,
        method="sweep",
    )
    # Within a shorter distance the farthest point sets it (to one step along the line).
    assert np.max(np.abs(near[:, 110:130, 110:130] - sphere_angle_deg(3_000.0, 0.0, 10.0))) < 0.01


def test_a_peak_counts_only_within_the_maximum_distance():
    # One tall pillar on flat ground: the pixels west of it on its row see it exactly
    # while it lies within the limit, and the flat ground beyond it.
    pixel_m, n = 20.0, 200
    heights = np.zeros((n, n))
    heights[100, 150] = 500.0
    dem = grid(heights, pixel_m, center_y_m=-40_000.0)
    limit_px = 37
    east = horizon_map(
        dem,
        azimuths=np.array([90.0]),
        max_distance_m=limit_px * pixel_m,
        curvature=False,
        grid_azimuths=True,
        method="sweep",
    )[0]
    for col in range(60, 150):
        distance_px = 150 - col
        expected = math.degrees(math.atan2(500.0, distance_px * pixel_m))
        assert east[100, col] == pytest.approx(expected if distance_px <= limit_px else 0.0)


@pytest.mark.parametrize("height_m", [0.0, 2.0])
@pytest.mark.parametrize("max_distance_m", [4_000.0, 900.0, 300.0])
def test_sweep_against_brute_force(rough_dem, height_m, max_distance_m):
    dem = rough_dem
    bearings = sweep_bearings_deg(16)
    horizons = horizon_map(
        dem,
        azimuths=16,
        max_distance_m=max_distance_m,
        height_above_ground_m=height_m,
        grid_azimuths=True,
        method="sweep",
        tile_px=64,
    )
    errors = sampled_errors_deg(
        dem,
        horizons,
        bearings,
        np.random.default_rng(3),
        samples=60,
        max_distance_m=max_distance_m,
        height_m=height_m,
        grid_bearings=True,
    )
    assert max(errors) <= 0.05
    assert np.mean(errors) < 0.01


@pytest.mark.parametrize("method", ["sweep", "rays", "fast"])
def test_far_from_the_pole_distances_are_true_distances(rough_dem, method):
    # 400 km from the pole grid metres are 1.3 % longer than true ones; slopes, distances
    # and limits are in true metres all the same.
    dem = grid(rough_dem.height_m, rough_dem.pixel_size_m, center_y_m=-400_000.0)
    bearings = sweep_bearings_deg(8)
    rng = np.random.default_rng(9)
    for height_m, max_distance_m in ((0.0, 3_000.0), (2.0, 600.0)):
        horizons = horizon_map(
            dem,
            azimuths=8 if method == "sweep" else bearings,
            max_distance_m=max_distance_m,
            height_above_ground_m=height_m,
            grid_azimuths=True,
            method=method,
        )
        errors = sampled_errors_deg(
            dem,
            horizons,
            bearings,
            rng,
            samples=25,
            max_distance_m=max_distance_m,
            height_m=height_m,
            grid_bearings=True,
        )
        assert max(errors) <= 0.05


def test_sweep_agrees_with_rays_on_the_same_bearings(rough_dem):
    bearings = sweep_bearings_deg(12)
    common = dict(max_distance_m=2_500.0, height_above_ground_m=0.0, grid_azimuths=True)
    sweep = horizon_map(rough_dem, azimuths=12, method="sweep", **common)
    rays = horizon_map(rough_dem, azimuths=bearings, method="rays", **common)
    difference = np.abs(sweep - rays)[:, 3:-3, 3:-3]
    assert np.nanmean(difference) < 0.005
    assert np.nanpercentile(difference, 99.9) < 0.1  # the rare crest beyond 16 columns
    # Inside the grid both find terrain wherever there is some ahead (on its very edge a
    # ray along the edge may leave it by a rounding, a grid line may not).
    assert np.array_equal(np.isnan(sweep[:, 1:-1, 1:-1]), np.isnan(rays[:, 1:-1, 1:-1]))


def test_tiles_do_not_change_the_sweep(rough_dem):
    common = dict(azimuths=8, max_distance_m=1_500.0, grid_azimuths=True, method="sweep")
    one_tile = horizon_map(rough_dem, tile_px=1024, **common)
    many_tiles = horizon_map(rough_dem, tile_px=37, **common)
    # Each line is laid in the plane of its own great circle, which depends a little on
    # where the line starts: up to about 0.001 degree.
    assert np.allclose(one_tile, many_tiles, atol=0.003, equal_nan=True)


def test_bad_sweep_requests(rough_dem):
    with pytest.raises(InputError, match="grid north"):
        horizon_map(rough_dem, azimuths=4, method="sweep")
    with pytest.raises(InputError, match="one grid"):
        horizon_map(rough_dem, azimuths=4, grid_azimuths=True, method="sweep", far_field=rough_dem)
    with pytest.raises(InputError, match="unknown horizon method"):
        horizon_map(rough_dem, azimuths=4, method="fastest")
    with pytest.raises(InputError, match="tolerance"):
        sweep_bearings_deg(4, bearing_tolerance_deg=0.0)
    with pytest.raises(InputError, match="larger tolerance"):
        sweep_bearings_deg(np.array([10.0]), bearing_tolerance_deg=1e-7)
    with pytest.raises(InputError, match="finite"):
        sweep_bearings_deg(np.array([np.nan]))
    with pytest.raises(InputError, match="maximum distance"):
        horizon_map(rough_dem, azimuths=4, max_distance_m=np.inf)


def test_nodata_is_no_terrain(rough_dem):
    # A hole in the DEM: its pixels have no horizon and nothing is seen in it. (At its rim
    # the rays drop a whole cell with a missing corner, the sweep keeps the grid lines
    # whose two ends exist, so the two differ a little along lines that graze it.)
    heights = rough_dem.height_m.copy()
    heights[60:90, 70:100] = np.nan
    holed = grid(heights, rough_dem.pixel_size_m, center_y_m=-33_000.0)
    bearings = sweep_bearings_deg(8)
    common = dict(max_distance_m=2_000.0, height_above_ground_m=2.0, grid_azimuths=True)
    sweep = horizon_map(holed, azimuths=8, method="sweep", **common)
    rays = horizon_map(holed, azimuths=bearings, method="rays", **common)
    # The fast rays take a point on the rim as the end of the whole cell beside it (the
    # limit the brute force's march comes to), where the reference drops it: they agree
    # but where the rim sets the horizon, and there the fast rays are the closer.
    fast = horizon_map(holed, azimuths=bearings, method="fast", **common)
    assert np.array_equal(np.isnan(fast), np.isnan(rays))
    differ = np.abs(fast - rays) > 0.01
    assert np.nanmedian(np.abs(fast - rays)) < 1e-4 and differ.mean() < 0.01
    rng = np.random.default_rng(4)
    fast_errors, rays_errors = [], []
    for band, row, col in rng.permutation(np.argwhere(differ))[:20]:
        azimuth = bearings[band] - float(holed.latlon(row, col)[1])
        truth = brute_force_horizon_deg(holed, row, col, azimuth, 2_000.0, 2.0)
        fast_errors.append(abs(fast[band, row, col] - truth))
        rays_errors.append(abs(rays[band, row, col] - truth))
    assert np.median(fast_errors) < 0.1 < np.median(rays_errors)
    assert np.isnan(sweep[:, 60:90, 70:100]).all()
    # The terrain beyond the hole is still seen: the pixels just west of it, looking east
    # across its 1.2 km, have a horizon (within the 2 km limit).
    east = list(bearings).index(90.0)
    assert np.isfinite(sweep[east, 60:90, 67:70]).all()
    assert np.isfinite(rays[east, 60:90, 67:70]).all()
    inner = (slice(None), slice(1, -1), slice(1, -1))
    assert np.array_equal(np.isnan(sweep[inner]), np.isnan(rays[inner]))
    assert np.nanmean(np.abs(sweep - rays)) < 0.01
