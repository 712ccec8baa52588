"""Lighting maps: against a shadow ray march through the DEM, against the site analysis,
and the facts of the south pole (flat ground, deep crater floors)."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from affine import Affine

from ilrs.environment import HorizonLine, analyze_site
from ilrs.environment import _lighting_kernel as kernel
from ilrs.environment.maps import (
    HorizonSource,
    _frame_cells,
    body_track,
    frame_cell_px,
    lighting_for_tile,
    lighting_map,
    reference_lighting_for_tile,
    write_lighting_map,
    write_psr_from_illumination,
)
from ilrs.errors import InputError, TimeRangeError
from ilrs.sky import LunarObserver, Times, parse_utc, utc_range
from ilrs.terrain import Dem, Window, polar_xy_from_latlon
from ilrs.terrain.geotiff import write_geotiff
from ilrs.terrain.horizon import write_horizon_map
from ilrs.terrain.synthetic import synthesize_around, synthesize_south_pole

NODAL_CYCLE_DAYS = 6798.38  # the Moon's nodal precession period, 18.6 years


@pytest.fixture(scope="module")
def ridge(tmp_path_factory):
    """100 x 100 px of 20 m of the synthetic Connecting Ridge and its horizon map: 720 grid
    bearings as the sweep moves them (unevenly spaced), to 2 km."""
    folder = tmp_path_factory.mktemp("ridge")
    dem = synthesize_around(-89.45, 222.69, 100, 20.0, seed=3)
    path = write_horizon_map(
        dem,
        folder / "horizon.tif",
        azimuths=720,
        max_distance_m=2_000.0,
        grid_azimuths=True,
        method="sweep",
    )
    return dem, path


def shadow_ray_march(dem: Dem, row: int, col: int, time: Times, max_distance_m: float):
    """March from the pixel towards the Sun's centre through the DEM, plainly. Returns
    whether nothing blocks the ray, the Sun's elevation, and the highest terrain elevation
    under the ray (the horizon line at the Sun's azimuth) [deg]."""
    ground_m = float(dem.height_m[row, col])
    lat, lon = (float(v) for v in dem.latlon(row, col))
    observer = LunarObserver(lat, lon, time, ground_m)
    direction = observer.apparent_in_moon_frame("sun")[0]
    direction /= np.linalg.norm(direction)
    start = dem.moon_fixed_m(row, col)
    up = start / np.linalg.norm(start)
    steps_m = np.arange(0.5, max_distance_m, 1.0)
    points = start + steps_m[:, None] * direction
    radius = np.linalg.norm(points, axis=1)
    lat_deg = np.degrees(np.arcsin(points[:, 2] / radius))
    lon_deg = np.degrees(np.arctan2(points[:, 1], points[:, 0]))
    rows, cols = dem.rowcol(*polar_xy_from_latlon(lat_deg, lon_deg))
    heights = dem.sample(rows, cols)
    on_grid = ~np.isnan(heights)
    terrain = points[on_grid] / radius[on_grid, None] * (1_737_400.0 + heights[on_grid, None])
    to_terrain = terrain - start
    elevations = np.degrees(np.arcsin(to_terrain @ up / np.linalg.norm(to_terrain, axis=1)))
    clear = bool(np.all(radius[on_grid] > 1_737_400.0 + heights[on_grid]))
    sun_deg = float(np.degrees(np.arcsin(direction @ up)))
    return clear, sun_deg, float(elevations.max()) if elevations.size else -90.0


def test_sun_visibility_agrees_with_a_shadow_ray_march(ridge):
    dem, path = ridge
    source = HorizonSource.open(path)
    rng = np.random.default_rng(5)
    days = rng.uniform(0, 3 * 365.25, 12)
    compared = 0
    for day in days:
        start = parse_utc("2026-01-01").tdb_s[0] + day * 86400.0
        times = Times(np.array([start, start + 1.0]))
        track = body_track("sun", times, *source.centre_latlon())
        result = lighting_for_tile((source, track), Window(0, 0, 100, 100))
        centre = result[kernel.CENTRE_VISIBLE_FRACTION]
        for row, col in rng.integers(2, 98, size=(15, 2)):
            clear, sun_deg, horizon_deg = shadow_ray_march(dem, row, col, times[0], 2_000.0)
            if abs(sun_deg - horizon_deg) <= 0.1:
                continue  # the Sun's centre grazes the horizon line
            compared += 1
            assert clear == (sun_deg > horizon_deg)  # the march and its own horizon agree
            assert (centre[row, col] == 1.0) == clear, (day, row, col, sun_deg, horizon_deg)
            assert centre[row, col] in (0.0, 1.0)
    assert compared > 120


@pytest.fixture(scope="module")
def highland(tmp_path_factory):
    """25 x 25 km of the synthetic south pole at 100 m near 87.2°S, 15°E: three frame
    cells of 120 px a side, pixels tilted up to 0.007 rad from their cell's centre, the
    Earth rising and setting; horizon map on 72 grid bearings to 15 km."""
    folder = tmp_path_factory.mktemp("highland")
    dem = synthesize_around(-87.2, 15.0, 250, 100.0, seed=1)
    path = write_horizon_map(
        dem,
        folder / "horizon.tif",
        azimuths=72,
        max_distance_m=15_000.0,
        grid_azimuths=True,
        method="sweep",
    )
    return dem, path


def test_map_pixels_agree_with_the_site_analysis(highland):
    # The map turns each pixel's horizon into its cell's frame; the site analysis works in
    # the pixel's own. Leaving out the tilt would cost ~0.01 in the fractions and hours in
    # the spells at these pixels (cell corners and centres).
    dem, path = highland
    assert frame_cell_px(HorizonSource.open(path)) == 120
    times = utc_range("2026-01-01", "2026-07-01", "2h")
    sun = lighting_map(path, "illumination", times, tile_px=100)
    earth = lighting_map(path, "earth", times, tile_px=100)
    with rasterio.open(path) as dataset:
        cube = dataset.read()
    bearings = HorizonSource.open(path).azimuth_deg
    one_sample = 1.0 / len(times)
    partial_earth = 0
    for row, col in [(0, 0), (0, 119), (119, 119), (120, 120), (249, 249), (60, 200), (239, 5)]:
        lat, lon = (float(v) for v in dem.latlon(row, col))
        # Off the grid the map takes the bare sphere's horizon: 0 deg on the ground.
        local = HorizonLine((bearings - lon) % 360.0, np.nan_to_num(cube[:, row, col]))
        site = analyze_site(
            local, lat, lon, times, height_m=float(dem.height_m[row, col]), stations=[]
        ).summary()
        assert sun[0, row, col] == pytest.approx(site["sunlit_fraction"], abs=1e-4)
        assert sun[1, row, col] == pytest.approx(site["sun_any_fraction"], abs=one_sample)
        assert sun[2, row, col] == pytest.approx(site["longest_darkness_h"], abs=0.05)
        assert earth[0, row, col] == pytest.approx(site["earth_visible_fraction"], abs=one_sample)
        assert earth[1, row, col] == pytest.approx(site["earth_disk_fraction"], abs=2e-4)
        assert earth[2, row, col] == pytest.approx(site["longest_earth_loss_h"], abs=0.05)
        partial_earth += 0.1 < site["earth_visible_fraction"] < 0.9
    assert partial_earth >= 5


def flat_pole(folder, size_px=60, pixel_m=50.0):
    """Bare sphere around the pole and its horizon map (local azimuths, rays)."""
    half = size_px * pixel_m / 2
    dem = Dem(
        np.zeros((size_px, size_px)),
        Affine(pixel_m, 0, -half, 0, -pixel_m, half),
        metadata={"source": "bare sphere"},
    )
    return dem, write_horizon_map(dem, folder / "flat.tif", azimuths=24, max_distance_m=1_500.0)


def test_flat_sphere_has_no_psr_and_the_pole_is_lit_half_the_time(tmp_path):
    dem, path = flat_pole(tmp_path)
    times = utc_range("2026-01-01", "2044-08-12", "12h")  # one nodal cycle
    assert (times.tdb_s[-1] - times.tdb_s[0]) / 86400.0 == pytest.approx(NODAL_CYCLE_DAYS, abs=1)
    psr = lighting_map(path, "psr", times)
    assert psr.dtype == np.uint8 and not psr.any()
    light = lighting_map(path, "illumination", times)
    pole = light[:, 30, 30]
    assert 0.45 < pole[0] < 0.55  # about half the time (the disk's half-width adds a little)
    assert pole[1] > pole[0]  # a part of the disk shows longer than its average share
    assert np.nanmax(light[0]) - np.nanmin(light[0]) < 0.02  # 1.5 km from the pole: alike


@pytest.fixture(scope="module")
def south_pole(tmp_path_factory):
    """40 x 40 km of the synthetic south pole at 100 m around the pole: Shackleton and the
    Connecting Ridge, with the horizon to 30 km."""
    folder = tmp_path_factory.mktemp("pole")
    dem = synthesize_south_pole(400, 100.0, seed=0)
    path = write_horizon_map(
        dem,
        folder / "horizon.tif",
        azimuths=36,
        max_distance_m=30_000.0,
        grid_azimuths=True,
        method="sweep",
    )
    return dem, path


def test_shackleton_floor_is_permanently_shadowed_and_the_ridge_is_not(south_pole):
    dem, path = south_pole
    times = utc_range("2026-01-01", "2044-08-12", "1d")
    psr = lighting_map(path, "psr", times)[0]
    light = lighting_map(path, "illumination", times)
    floor = dem.rowcol_of_latlon(-89.67, 129.78)  # Shackleton's centre (FACTS.md)
    ridge = dem.rowcol_of_latlon(-89.45, 222.69)
    floor_rc = tuple(int(round(float(v))) for v in floor)
    ridge_rc = tuple(int(round(float(v))) for v in ridge)
    assert psr[floor_rc] == 1
    assert light[0][floor_rc] == 0.0
    assert psr[ridge_rc] == 0 and light[1][ridge_rc] > 0.3
    # Every PSR pixel is one the Sun never reaches: no part lit, darkness the whole period.
    period_h = (times.tdb_s[-1] - times.tdb_s[0]) / 3600.0
    in_psr = psr == 1
    assert np.all(light[1][in_psr] == 0.0)
    assert light[2][in_psr] == pytest.approx(period_h)


def test_psr_read_off_the_illumination_map_is_the_psr_product(south_pole, tmp_path):
    """The plan writes psr.tif from illumination.tif's sun_any_fraction band: the same
    pixels, nodata and period as the psr product computed on its own."""
    _, path = south_pole
    times = utc_range("2026-01-01", "2026-07-01", "6h")
    direct = write_lighting_map(path, tmp_path / "psr.tif", "psr", times, tile_px=128)
    light = write_lighting_map(path, tmp_path / "light.tif", "illumination", times)
    derived = write_psr_from_illumination(light, tmp_path / "derived.tif", tile_px=96)
    with rasterio.open(direct) as a, rasterio.open(derived) as b:
        assert np.array_equal(a.read(), b.read()) and a.read().sum() > 100  # real PSRs
        assert a.descriptions == b.descriptions == ("psr",) and a.nodata == b.nodata
        assert {k: a.tags()[k] for k in ("PRODUCT", "START", "END", "BAND_1")} == {
            k: b.tags()[k] for k in ("PRODUCT", "START", "END", "BAND_1")
        }


def test_tiles_and_dask_give_identical_files(highland, tmp_path):
    # Tiles cut across the frame cells (120 px) in different places; the numbers stay.
    _, path = highland
    times = utc_range("2026-01-01", "2026-02-01", "3h")
    whole = write_lighting_map(path, tmp_path / "a.tif", "illumination", times, tile_px=512)
    tiled = write_lighting_map(path, tmp_path / "b.tif", "illumination", times, tile_px=64)
    on_dask = write_lighting_map(
        path, tmp_path / "c.tif", "illumination", times, tile_px=90, scheduler="local"
    )
    with rasterio.open(whole) as a, rasterio.open(tiled) as b, rasterio.open(on_dask) as c:
        assert np.array_equal(a.read(), b.read(), equal_nan=True)
        assert np.array_equal(a.read(), c.read(), equal_nan=True)
        assert a.descriptions == ("sunlit_fraction", "sun_any_fraction", "longest_darkness_h")
        tags = a.tags()
    assert tags["BODY"] == "sun" and tags["START"] == "2026-01-01T00:00:00Z"
    assert tags["SYNTHETIC"] == "true" and tags["HORIZON_AZIMUTH_REFERENCE"].startswith("grid")


@pytest.fixture(scope="module")
def coarse_cap(tmp_path_factory):
    """70 x 70 px of 1600 m (the embedded cap's pixels) about the pole: frame cells of
    7 px, 100 of them, more than one call of the kernel takes."""
    folder = tmp_path_factory.mktemp("coarse")
    dem = synthesize_around(-89.9, 0.0, 70, 1600.0, seed=2)
    path = write_horizon_map(
        dem, folder / "horizon.tif", azimuths=36, max_distance_m=40_000.0, grid_azimuths=True
    )
    return path


@pytest.mark.parametrize("body", ["sun", "earth"])
@pytest.mark.parametrize("case", ["coarse_cap", "highland"])
def test_fast_kernel_gives_the_reference_numbers_exactly(body, case, request):
    # The compiled path (cells' tables made in the kernel, rows shared out over cells)
    # against the plain one (each cell's tables in NumPy): the same numbers but for the
    # order of a few sums (seen: 4e-16 in a fraction, 5e-13 h in a spell), on many small
    # cells (7 px) and on a few large ones (120 px) cut by the tile.
    path = request.getfixturevalue(case)
    path = path[1] if isinstance(path, tuple) else path
    source = HorizonSource.open(path)
    times = utc_range("2026-01-01", "2026-03-01", "1h")
    track = body_track(body, times, *source.centre_latlon())
    assert len(_frame_cells(source, Window(0, 0, *source.shape))) > 64 or case == "highland"
    for tile in (Window(0, 0, *source.shape), Window(3, 50, 61, 17)):
        fast = lighting_for_tile((source, track), tile)
        reference = reference_lighting_for_tile((source, track), tile)
        assert np.array_equal(np.isnan(fast), np.isnan(reference))
        np.testing.assert_allclose(fast, reference, rtol=0.0, atol=1e-9)
        assert np.isfinite(fast).all()  # every pixel has terrain in some direction
    # Not trivial: the figures vary over the map.
    assert np.ptp(fast[kernel.MEAN_DISK_FRACTION]) > 0.05


def test_bad_inputs(ridge, tmp_path):
    dem, path = ridge
    plain = write_geotiff(tmp_path / "dem.tif", dem.height_m, dem.transform)
    times = utc_range("2026-01-01", "2026-01-02", "1h")
    with pytest.raises(InputError, match="band 1 is described"):
        lighting_map(plain, "illumination", times)
    with pytest.raises(InputError, match="no horizon map"):
        lighting_map(tmp_path / "none.tif", "illumination", times)
    with pytest.raises(InputError, match="unknown map"):
        lighting_map(path, "moonlight", times)
    with pytest.raises(TimeRangeError):
        lighting_map(path, "psr", utc_range("2051-01-01", "2051-01-02", "1h"))
    with pytest.raises(InputError, match="at least two instants"):
        lighting_map(path, "psr", utc_range("2026-01-01", "2026-01-01", "1h"))
