"""Horizons against analytic geometry and against a plain brute-force ray march."""

from __future__ import annotations

import math

import numpy as np
import pytest
from affine import Affine

from ilrs.errors import InputError
from ilrs.report.authorities import traced_horizon_deg as brute_force_horizon_deg
from ilrs.terrain import MOON_RADIUS_M, Dem, latlon_from_polar_xy
from ilrs.terrain.horizon import azimuths_deg, horizon_map, horizon_profile

R = MOON_RADIUS_M


def grid(heights: np.ndarray, pixel_m: float, center_x_m=0.0, center_y_m=0.0) -> Dem:
    rows, cols = heights.shape
    transform = Affine(
        pixel_m, 0, center_x_m - cols / 2 * pixel_m, 0, -pixel_m, center_y_m + rows / 2 * pixel_m
    )
    return Dem(np.asarray(heights, dtype=float), transform)


def sphere_angle_deg(distance_m: float, target_height_m: float, observer_height_m: float) -> float:
    """Elevation of a point at a surface distance and height, from an observer, on the sphere."""
    sigma = distance_m / R
    return math.degrees(
        math.atan2(
            (R + target_height_m) * math.cos(sigma) - (R + observer_height_m),
            (R + target_height_m) * math.sin(sigma),
        )
    )


def test_flat_sphere_horizon_dips_by_the_curvature():
    dem = grid(np.zeros((400, 400)), 50.0, center_y_m=-20_000.0)
    lat, lon = latlon_from_polar_xy(0.0, -20_000.0)
    # From 10 m up, the geometric horizon lies sqrt(2 R h) = 5.9 km away.
    profile = horizon_profile(
        dem, float(lat), float(lon), azimuths=12, height_above_ground_m=10.0, max_distance_m=9_000.0
    )
    expected = -math.degrees(math.acos(R / (R + 10.0)))
    assert np.max(np.abs(profile.elevation_deg - expected)) < 0.01
    # Within a shorter distance, the farthest point sets it.
    short = horizon_profile(
        dem, float(lat), float(lon), azimuths=12, height_above_ground_m=10.0, max_distance_m=3_000.0
    )
    assert np.max(np.abs(short.elevation_deg - sphere_angle_deg(3_000.0, 0.0, 10.0))) < 0.01


def test_pixels_on_the_grid_edge_see_the_terrain_inwards():
    # Edge pixels come back from the projection a rounding error outside the grid; their
    # rays inwards must still run (they once all stopped at once: no horizon at all).
    dem = grid(np.zeros((60, 60)), 50.0)
    horizons = horizon_map(dem, azimuths=24, max_distance_m=1_500.0)
    assert not np.all(np.isnan(horizons), axis=0).any()
    corner = horizons[:, 0, 0]  # the north-west corner: rays between south and east
    assert np.count_nonzero(~np.isnan(corner)) >= 5
    assert np.nanmax(np.abs(corner)) < 0.01


def test_cone_on_a_plane():
    pixel_m, n = 20.0, 301
    rows, cols = np.indices((n, n))
    r_m = np.hypot(rows - 150, cols - 150) * pixel_m
    height_m, radius_m = 1_500.0, 1_500.0  # 45° flanks
    dem = grid(np.maximum(0.0, height_m - r_m * height_m / radius_m), pixel_m, center_y_m=-30_000.0)
    # Observers on the plane looking at the apex: the apex sets the horizon.
    for offset_px in (100, 130):
        x, y = dem.xy(150 + offset_px, 150)  # south of the apex (rows grow to -y)
        lat, lon = latlon_from_polar_xy(x, y)
        profile = horizon_profile(
            dem,
            float(lat),
            float(lon),
            azimuths=np.array([0.0]),
            max_distance_m=8_000.0,
            curvature=True,
        )
        # Local north at this point is +y on the grid (longitude 0 meridian... at lon 180
        # north points to -y); pick the azimuth that looks at the apex instead:
        bearing_to_apex = 0.0  # grid +y
        local_azimuth = (bearing_to_apex - float(lon)) % 360
        profile = horizon_profile(
            dem, float(lat), float(lon), azimuths=np.array([local_azimuth]), max_distance_m=8_000.0
        )
        distance_m = offset_px * pixel_m
        expected = sphere_angle_deg(distance_m, height_m, 0.0)
        assert profile.elevation_deg[0] == pytest.approx(expected, abs=0.01)


def test_spherical_bowl():
    """A spherical cap crater: from the centre of the floor every azimuth sees the rim."""
    pixel_m, n = 25.0, 321
    rows, cols = np.indices((n, n))
    r_m = np.hypot(rows - 160, cols - 160) * pixel_m
    bowl_radius_m, depth_m = 3_000.0, 600.0
    sphere_r = (bowl_radius_m**2 + depth_m**2) / (2 * depth_m)
    inside = r_m < bowl_radius_m
    heights = np.where(
        inside, (sphere_r - depth_m) - np.sqrt(np.maximum(sphere_r**2 - r_m**2, 0)) + 0, 0.0
    )
    heights = np.where(
        inside, sphere_r - np.sqrt(sphere_r**2 - np.minimum(r_m, bowl_radius_m) ** 2) - depth_m, 0.0
    )
    dem = grid(heights, pixel_m, center_y_m=-40_000.0)
    lat, lon = dem.latlon(160, 160)
    profile = horizon_profile(dem, float(lat), float(lon), azimuths=24, max_distance_m=6_000.0)
    expected = sphere_angle_deg(bowl_radius_m, 0.0, -depth_m)
    # The rim lies 3 km away in every direction (to a pixel's discretisation of the circle).
    assert np.max(np.abs(profile.elevation_deg - expected)) < 0.05
    assert np.mean(np.abs(profile.elevation_deg - expected)) < 0.01


def sampled_errors_deg(
    dem: Dem,
    horizons: np.ndarray,
    azimuths_deg: np.ndarray,
    rng: np.random.Generator,
    *,
    samples: int,
    max_distance_m: float,
    height_m: float,
    grid_bearings: bool = False,
) -> np.ndarray:
    """|map - brute force| [deg] at random pixels (2 px in from the edge: rays leave the
    grid) and bands. With ``grid_bearings`` the bands' azimuths are grid bearings, turned
    into each pixel's local azimuth."""
    errors = []
    for _ in range(samples):
        row, col = (int(v) for v in rng.integers(2, dem.shape[0] - 2, 2))
        band = int(rng.integers(0, len(azimuths_deg)))
        azimuth = azimuths_deg[band]
        if grid_bearings:
            azimuth -= float(dem.latlon(row, col)[1])  # local azimuth = bearing - longitude
        expected = brute_force_horizon_deg(dem, row, col, azimuth, max_distance_m, height_m)
        errors.append(abs(horizons[band, row, col] - expected))
    return np.array(errors)


def rough_heights(n: int, pixel_m: float, seed: int) -> np.ndarray:
    """Craters and rough hills on n x n px."""
    rng = np.random.default_rng(seed)
    rows, cols = np.indices((n, n)).astype(float)
    heights = np.zeros((n, n))
    for _ in range(25):
        r0, c0 = rng.uniform(0, n, 2)
        radius = rng.uniform(3, 25)
        depth = radius * pixel_m * 0.2
        d = np.hypot(rows - r0, cols - c0) / radius
        heights += np.where(d < 1, depth * (d**2 - 1), 0.0)
        heights += np.where((d >= 1) & (d < 2), depth * 0.2 * (2 - d) ** 3, 0.0)
    for _ in range(8):
        r0, c0 = rng.uniform(0, n, 2)
        heights += rng.uniform(200, 800) * np.exp(
            -((rows - r0) ** 2 + (cols - c0) ** 2) / (2 * rng.uniform(5, 20) ** 2)
        )
    return heights + rng.normal(0, 3, (n, n))


@pytest.fixture(scope="module")
def rough_dem() -> Dem:
    """Craters and rough hills, 160 x 160 px of 40 m near 88.9°S."""
    return grid(rough_heights(160, 40.0, 42), 40.0, center_y_m=-33_000.0)


@pytest.mark.parametrize("method", ["fast", "rays"])
def test_map_against_brute_force(rough_dem, method):
    dem = rough_dem
    max_distance_m = 4_000.0
    horizons = horizon_map(
        dem,
        azimuths=16,
        max_distance_m=max_distance_m,
        height_above_ground_m=2.0,
        tile_px=64,
        method=method,
    )
    errors = sampled_errors_deg(
        dem,
        horizons,
        azimuths_deg(16),
        np.random.default_rng(7),
        samples=60,
        max_distance_m=max_distance_m,
        height_m=2.0,
    )
    assert max(errors) <= 0.05
    assert np.mean(errors) < 0.01


@pytest.mark.parametrize("method", ["fast", "rays"])
@pytest.mark.parametrize("max_distance_m", [4_000.0, 900.0])
def test_observer_on_the_ground_and_the_distance_limit(rough_dem, max_distance_m, method):
    # On the ground a pixel sees at least its own slope (also from a grid node, where the
    # ray's first cell is the one it enters); on rising ground the terrain exactly at the
    # limit sets the horizon.
    dem = rough_dem
    horizons = horizon_map(
        dem, azimuths=16, max_distance_m=max_distance_m, tile_px=64, method=method
    )
    errors = sampled_errors_deg(
        dem,
        horizons,
        azimuths_deg(16),
        np.random.default_rng(5),
        samples=60,
        max_distance_m=max_distance_m,
        height_m=0.0,
    )
    assert max(errors) <= 0.05
    assert np.mean(errors) < 0.01


def test_map_equals_profiles_and_tiles_do_not_matter(rough_dem):
    dem = rough_dem
    one_tile = horizon_map(dem, azimuths=8, max_distance_m=2_000.0, tile_px=1024)
    many_tiles = horizon_map(dem, azimuths=8, max_distance_m=2_000.0, tile_px=37)
    interior = (slice(None), slice(50, 110), slice(50, 110))
    assert np.array_equal(one_tile[interior], many_tiles[interior], equal_nan=True)
    lat, lon = dem.latlon(80, 70)
    profile = horizon_profile(dem, float(lat), float(lon), azimuths=8, max_distance_m=2_000.0)
    assert np.allclose(profile.elevation_deg, one_tile[:, 80, 70], atol=1e-4)


def test_far_field_carries_rays_beyond_the_fine_grid():
    coarse = grid(np.zeros((200, 200)), 200.0, center_y_m=-30_000.0)
    rows, cols = np.indices(coarse.shape)
    # A 2 km mountain 12 km north-ish of the centre, only in the coarse DEM.
    coarse.height_m[:] = 2_000.0 * np.exp(-((rows - 40) ** 2 + (cols - 100) ** 2) / 8.0)
    fine = grid(np.zeros((100, 100)), 20.0, center_y_m=-30_000.0)
    lat, lon = fine.latlon(50, 50)
    bearing_local = (0.0 - float(lon)) % 360  # grid north
    without = horizon_profile(
        fine, float(lat), float(lon), azimuths=np.array([bearing_local]), max_distance_m=20_000.0
    )
    with_far = horizon_profile(
        fine,
        float(lat),
        float(lon),
        azimuths=np.array([bearing_local]),
        max_distance_m=20_000.0,
        far_field=coarse,
    )
    # On the ground of a flat sphere the horizon is the ground itself: 0 deg.
    assert without.elevation_deg[0] == pytest.approx(0.0, abs=1e-9)
    assert with_far.elevation_deg[0] > 5.0


def test_bad_requests():
    dem = grid(np.zeros((20, 20)), 10.0, center_y_m=-30_000.0)
    with pytest.raises(InputError, match="lies outside the grid"):
        horizon_profile(dem, -80.0, 0.0)
    lat, lon = dem.latlon(10, 10)
    with pytest.raises(InputError, match="maximum distance must be a positive number"):
        horizon_profile(dem, float(lat), float(lon), max_distance_m=0.0)


def test_a_hint_only_sets_where_the_walk_starts():
    # The kernel starts each ray where its neighbour found the horizon (a hint, or a sparse
    # look without one); only the walk's own samples decide the horizon, so any hint gives
    # the same answer, and the ray reports the pixel where its horizon lies. Flat body,
    # bearing 30° on rough ground with a hill 2 km out: a plain march in 1/200-pixel steps
    # (the bilinear surface, the same straight line) is the reference.
    from ilrs.terrain._horizon_kernel import _trace
    from ilrs.terrain.horizon import _Layer, _sigma_tables

    rng = np.random.default_rng(3)
    n, pixel_m, height_m = 200, 20.0, 2.0
    rows, cols = np.indices((n, n)).astype(float)
    heights = rng.normal(0.0, 2.0, (n, n)) + 0.03 * pixel_m * cols
    obs_row, obs_col, bearing = 150.0, 40.0, math.radians(30.0)
    dir_row, dir_col = -math.cos(bearing), math.sin(bearing)
    hill_row, hill_col = obs_row + 100 * dir_row, obs_col + 100 * dir_col
    heights += 180.0 * np.exp(-((rows - hill_row) ** 2 + (cols - hill_col) ** 2) / (2 * 6.0**2))
    layer = _Layer.from_dem(grid(heights, pixel_m))
    max_distance_m = 2_800.0
    cos_table, sin_table = _sigma_tables(layer, max_distance_m)
    params = np.array([*layer.transform, R])
    observer_radius_m = R + heights[int(obs_row), int(obs_col)] + height_m

    def trace(hint_px: int) -> tuple[float, int]:
        best, _, best_px = _trace(
            layer.heights_m, layer.pyramid, layer.meta, params, cos_table, sin_table,
            0.0, 0.0, -1.0, 1.0, 0.0, 0.0,  # unused on a flat body
            obs_row, obs_col, dir_row, dir_col, observer_radius_m,
            0.0, max_distance_m, -np.inf, True, hint_px,
        )  # fmt: skip
        return best, best_px

    steps_px = np.arange(1, 200 * max_distance_m / pixel_m + 1) / 200
    row_s, col_s = obs_row + dir_row * steps_px, obs_col + dir_col * steps_px
    inside = (row_s <= n - 1) & (col_s <= n - 1) & (row_s >= 0) & (col_s >= 0)
    r0 = np.minimum(np.floor(row_s[inside]).astype(int), n - 2)
    c0 = np.minimum(np.floor(col_s[inside]).astype(int), n - 2)
    fr, fc = row_s[inside] - r0, col_s[inside] - c0
    z = (
        heights[r0, c0] * (1 - fr) * (1 - fc)
        + heights[r0, c0 + 1] * (1 - fr) * fc
        + heights[r0 + 1, c0] * fr * (1 - fc)
        + heights[r0 + 1, c0 + 1] * fr * fc
    )
    tangents = (z - (observer_radius_m - R)) / (steps_px[inside] * pixel_m)
    expected = float(tangents.max())
    expected_px = int(math.floor(steps_px[inside][int(np.argmax(tangents))]))

    unhinted, found_px = trace(-1)
    assert expected_px > 50  # the hill, not the near ground
    assert found_px == expected_px
    # The walk takes the exact top of each piece; the march can only fall short of it, by
    # at most the slope times half its step (a few mm over 2 km here).
    assert expected <= unhinted <= expected + 1e-5
    for hint_px in (0, 1, 17, expected_px - 1, expected_px, 139, 10_000):
        assert trace(hint_px) == (unhinted, found_px)


def test_neighbours_hints_do_not_change_the_map(rough_dem):
    # Observers in reverse order meet other neighbours first, so every ray gets another
    # hint (and the first of each chunk none): the horizons are the same, to the float32
    # the maps hold (a rare sample a rounding error above a bound moves the last bit of
    # the float64).
    from ilrs.terrain.horizon import _Layer, _run_kernel

    dem = rough_dem
    rows, cols = np.meshgrid(np.arange(40, 100), np.arange(30, 90), indexing="ij")
    x_m, y_m = dem.xy(rows, cols)
    radius_m = R + dem.height_m[rows, cols] + 2.0
    layers = [_Layer.from_dem(dem)]
    angles = azimuths_deg(12)
    forward = _run_kernel(layers, x_m, y_m, radius_m, angles, 3_000.0, True, False)
    backward = _run_kernel(
        layers, x_m.ravel()[::-1], y_m.ravel()[::-1], radius_m.ravel()[::-1], angles, 3_000.0,
        True, False,
    )  # fmt: skip
    assert np.isfinite(forward).all()
    assert np.array_equal(forward.astype(np.float32), backward[::-1].astype(np.float32))
    assert np.max(np.abs(forward - backward[::-1])) < 1e-12


@pytest.mark.parametrize(
    ("grid_azimuths", "height_m", "curvature", "max_distance_m"),
    [
        (False, 2.0, True, 6_000.0),
        (True, 2.0, True, 6_000.0),
        (False, 0.0, True, 1_300.0),
        (True, 10.0, False, 3_000.0),
    ],
)
def test_the_fast_rays_give_the_reference_rays(
    rough_dem, grid_azimuths, height_m, curvature, max_distance_m
):
    # The default method walks the same bilinear surface along a quadratic path in the
    # grid (its great circle to well under a millimetre here) with its own, leaner walk:
    # every pixel and band agrees with the reference rays, edges and limits included.
    common = dict(
        azimuths=24,
        max_distance_m=max_distance_m,
        height_above_ground_m=height_m,
        curvature=curvature,
        grid_azimuths=grid_azimuths,
        tile_px=64,
    )
    # Not the outermost pixels: a ray along the grid's edge line (grid bearings 0, 90, ...)
    # leaves it or not by a rounding error, in one method or the other.
    inside = (slice(None), slice(1, -1), slice(1, -1))
    fast = horizon_map(rough_dem, method="fast", **common)[inside]
    rays = horizon_map(rough_dem, method="rays", **common)[inside]
    assert np.array_equal(np.isnan(fast), np.isnan(rays))
    # On the ground (0 m) the reference's own slope at the observer strays from the
    # brute force by up to 0.012° on steep downhills, where the fast rays keep within
    # 0.001° (test_observer_on_the_ground_and_the_distance_limit).
    tolerance_deg = 2e-3 if height_m > 0 else 0.015
    assert np.nanmax(np.abs(fast.astype(float) - rays)) < tolerance_deg
    assert np.nanmedian(np.abs(fast.astype(float) - rays)) < 1e-4


def test_the_fast_rays_do_not_depend_on_hints_tiles_or_neighbours(rough_dem):
    # Each ray starts where its neighbour's horizon was (none for the first of a chunk):
    # observers in reverse order meet other neighbours, single observers none; the walk
    # takes whole pieces of the surface, the same ones however the ray was cut, so every
    # value is the same to the last bit of the float64.
    from ilrs.terrain._fast_kernel import fast_horizon_kernel
    from ilrs.terrain.horizon import _cell_tops, _Layer

    dem = rough_dem
    layer = _Layer.from_dem(dem)
    rows, cols = (v.ravel() for v in np.mgrid[40:100, 30:90])
    ground_m = dem.height_m[rows, cols]
    angles = np.radians(azimuths_deg(12))

    def kernel(rows, cols, ground_m):
        out = np.empty((rows.size, angles.size))
        fast_horizon_kernel(
            layer.heights_m, _cell_tops(layer.heights_m), layer.pyramid, layer.meta,
            layer.transform, rows, cols,
            R + ground_m + 2.0, ground_m, angles, False, R, 3_000.0, False, out,
        )  # fmt: skip
        return out

    forward = kernel(rows, cols, ground_m)
    backward = kernel(rows[::-1], cols[::-1], ground_m[::-1])[::-1]
    assert np.isfinite(forward).all()
    assert np.array_equal(forward, backward)
    for index in (0, 777, 2_345, 3_599):
        one = kernel(rows[index : index + 1], cols[index : index + 1], ground_m[index : index + 1])
        assert np.array_equal(one[0], forward[index])
    one_tile = horizon_map(dem, azimuths=12, max_distance_m=3_000.0, tile_px=1024)
    many_tiles = horizon_map(dem, azimuths=12, max_distance_m=3_000.0, tile_px=23)
    assert np.array_equal(one_tile, many_tiles, equal_nan=True)


def test_the_fast_rays_on_a_bare_sphere_dip_by_the_curvature():
    # From 10 m up on a bare sphere the horizon lies sqrt(2 R h) = 5.9 km away and dips
    # by acos(R / (R + h)); within 3 km the farthest point sets it.
    dem = grid(np.zeros((300, 300)), 50.0, center_y_m=-20_000.0)
    far = horizon_map(dem, azimuths=12, max_distance_m=9_000.0, height_above_ground_m=10.0)
    centre = far[:, 150, 150]
    assert np.max(np.abs(centre - -math.degrees(math.acos(R / (R + 10.0))))) < 0.005
    near = horizon_map(dem, azimuths=12, max_distance_m=3_000.0, height_above_ground_m=10.0)
    assert np.max(np.abs(near[:, 150, 150] - sphere_angle_deg(3_000.0, 0.0, 10.0))) < 0.005


def test_the_fast_method_takes_one_grid():
    dem = grid(np.zeros((20, 20)), 10.0, center_y_m=-30_000.0)
    with pytest.raises(InputError, match="works on one grid"):
        horizon_map(dem, method="fast", far_field=dem)
    # "auto" takes the reference rays over a far field.
    assert np.isfinite(horizon_map(dem, azimuths=4, max_distance_m=150.0, far_field=dem)).any()
