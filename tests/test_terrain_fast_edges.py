"""The fast horizon method at its edges: long rays, coarse pixels, grid nodes, the grid's
edge and nodata (each case once failed)."""

from __future__ import annotations

import numpy as np
import pytest

from ilrs.terrain import MOON_RADIUS_M as R
from ilrs.terrain.horizon import _cell_tops, _Layer, horizon_map
from test_terrain_horizon import grid, rough_dem, rough_heights, sphere_angle_deg

__all__ = ["rough_dem"]  # the fixture


def _fast_kernel(
    dem, rows, cols, azimuths_deg, max_distance_m, *, height_m=0.0, grid_az=True, flat=False
):
    from ilrs.terrain._fast_kernel import fast_horizon_kernel

    layer = _Layer.from_dem(dem)
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    ground_m = dem.height_m[rows, cols].astype(float)
    angles = np.radians(np.asarray(azimuths_deg, dtype=float))
    out = np.empty((rows.size, angles.size))
    fast_horizon_kernel(
        layer.heights_m, _cell_tops(layer.heights_m), layer.pyramid, layer.meta,
        layer.transform, rows, cols, R + ground_m + height_m, ground_m, angles,
        grid_az, R, float(max_distance_m), flat, out,
    )  # fmt: skip
    return out


@pytest.fixture(scope="module")
def cone_dem():
    pixel_m, n = 40.0, 301
    rows, cols = np.indices((n, n))
    r_m = np.hypot(rows - 150, cols - 150) * pixel_m
    return grid(np.maximum(0.0, 1500.0 - r_m), pixel_m, center_y_m=-33_000.0)


@pytest.mark.parametrize("max_distance_m", [6_000.0, 150_000.0, 300_000.0])
def test_a_cone_5_km_away_does_not_depend_on_the_max_distance(cone_dem, max_distance_m):
    # Observer 5 km grid-south of the 1500 m apex, looking at it along a radial ray (the
    # grid holds nothing higher): the horizon is the apex's whatever the maximum distance.
    # (One quadratic fitted over the whole ray, 0, L/2, L, put distances off by about
    # L^2 / 24 R^2 of themselves: 3e-4 at 150 km, 1.3e-3 at 300 km. The chords' ends are
    # now exact points of the great circle.)
    row, col = 150 + 125, 150
    expected = sphere_angle_deg(5_000.0 / 1.00009, 1500.0, 0.0)  # grid m -> true m
    fast = _fast_kernel(cone_dem, [row], [col], [0.0], max_distance_m)[0, 0]
    rays = horizon_map(
        cone_dem, azimuths=np.array([0.0]), max_distance_m=max_distance_m,
        grid_azimuths=True, method="rays",
    )[0, row, col]  # fmt: skip
    assert abs(rays - expected) < 2e-3
    assert abs(fast - rays) < 1e-3, (fast, rays)


def test_a_ray_does_not_depend_on_its_neighbours_to_the_bit(rough_dem):
    # A diagonal grid bearing on a flat body passes through grid nodes, where a crossing is
    # evaluated twice with values an ulp apart: compared as num / den > best (not the
    # rounded num > best * den), the same one is kept whatever the walk's order.
    rows, cols = np.array([52, 52, 52]), np.array([93, 94, 95])
    batch = _fast_kernel(rough_dem, rows, cols, [45.0], 1_280.0, flat=True)
    single = _fast_kernel(rough_dem, rows[2:], cols[2:], [45.0], 1_280.0, flat=True)
    assert batch[2, 0] == single[0, 0], (repr(batch[2, 0]), repr(single[0, 0]))


@pytest.fixture(scope="module")
def coarse_dem():
    """Rough hills, 120 x 120 px of 1600 m, 150 km from the pole."""
    return grid(rough_heights(120, 1600.0, 5), 1600.0, center_y_m=-150_000.0)


def test_a_longer_max_distance_never_lowers_the_horizon(coarse_dem):
    # 1600 m pixels: a chord of 4 px (6.4 km) from the observer was off near it, in
    # direction and scale, by ~kappa L / 2 (kappa = r / 2R^2); chords are now 1.28 km, at
    # least one pixel.
    one_px = _fast_kernel(coarse_dem, [119], [60], [45.0], 1_600.0, height_m=2.0)[0, 0]
    four_px = _fast_kernel(coarse_dem, [119], [60], [45.0], 6_400.0, height_m=2.0)[0, 0]
    assert four_px >= one_px, (one_px, four_px)


def test_an_observer_on_the_edge_sees_its_ground_along_the_edge(coarse_dem):
    # Corner pixel, grid bearing 180 (down the left edge): the first step's column is a
    # rounding error off the edge; the ground slope's look-ahead stays on the grid.
    rays = horizon_map(
        coarse_dem, azimuths=np.array([180.0]), max_distance_m=6_400.0,
        grid_azimuths=True, method="rays", tile_px=4096,
    )[0, 0, 0]  # fmt: skip
    fast = _fast_kernel(coarse_dem, [0], [0], [180.0], 6_400.0)[0, 0]
    assert abs(fast - rays) < 1e-3, (fast, rays)


def test_the_reference_rays_never_read_the_far_side_of_the_grid(rough_dem):
    # A ray leaving at the top-left edge rounds to row -1e-16: the reference's bilinear
    # once took floor -1 and z[-1] wrapped to the last row, so one NaN at the far corner
    # (159, 0) dropped the edge sample of pixel (1, 1)'s ray (0.57 deg off).
    from ilrs.report.authorities import traced_horizon_deg

    heights = rough_dem.height_m.copy()
    heights[159, 0] = np.nan
    holed = type(rough_dem)(heights, rough_dem.transform)
    common = dict(azimuths=np.array([135.0]), max_distance_m=1_280.0, height_above_ground_m=2.0)
    rays = horizon_map(holed, method="rays", **common)[0, 1, 1]
    truth = traced_horizon_deg(holed, 1, 1, 135.0, 1_280.0, 2.0)  # -13.815
    assert abs(rays - truth) < 0.02, (rays, truth)
