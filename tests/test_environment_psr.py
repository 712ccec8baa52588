"""Permanently shadowed regions of the real south polar cap (the embedded LOLA LDEM_256,
1600 m): the Sun's envelope against brute force over the hourly nodal cycle, the named
craters against the published PSR maps, the cap's PSR area against Mazarico et al. 2011."""

from __future__ import annotations

import math

import numpy as np
import pytest
import rasterio

from ilrs.cli import main
from ilrs.data import LOLA_CAP_DEM, data_path
from ilrs.environment.psr import (
    PSR_NODATA,
    best_sun_clearance_deg,
    cap_window,
    psr_cap_map,
    sphere_pixel_area_km2,
    sun_envelope,
)
from ilrs.sky import angular_radius_deg, topocentric, utc_range
from ilrs.terrain import Window, latlon_from_polar_xy
from ilrs.terrain.grid import MOON_RADIUS_M, pixel_of_latlon
from ilrs.terrain.horizon import horizon_profile_from_source
from ilrs.terrain.sources import open_dem

# One whole nodal cycle (6798.38 d from 2020-01-01 ends 2038-08-12) at hourly steps.
CYCLE = utc_range("2020-01-01T00:00:00Z", "2038-08-15T00:00:00Z", "1h")
PROFILE_AZIMUTHS = 360  # rays every 1° from local north, an independent horizon engine
PROFILE_REACH_M = 300_000.0
FLOOR_SEARCH_PX = 2  # a crater floor: the lowest pixel within 2 px (3.2 km) of its centre

# Gazetteer centres (src/ilrs/data/south_pole_features.csv).
CRATERS = {
    "Shackleton": (-89.67, 129.78),
    "Haworth": (-87.45, 354.83),
    "Shoemaker": (-88.03, 39.85),
    "Faustini": (-87.18, 84.31),
    "Sverdrup": (-88.32, 206.61),
    "de Gerlache": (-88.48, 271.66),
    "Cabeus": (-85.28, 318.19),
}
CONNECTING_RIDGE = (-89.45, 222.69)  # Mazarico et al. 2011's best-lit point
MONS_MALAPERT = (-86.0, 0.0)  # the Artemis III candidate region on the massif
SUMMIT_SEARCH_PX = 6  # the massif's summit: the highest pixel within 6 px (9.6 km)

MAZARICO_2011_PSR_KM2 = 16_055  # south, poleward of 80°S, 240 m horizons to 75°S


@pytest.fixture(scope="module")
def dem():
    return open_dem(data_path(LOLA_CAP_DEM))


@pytest.fixture(scope="module")
def envelope():
    return sun_envelope(CYCLE)


def _pixel_centre(dem, row: int, col: int) -> tuple[float, float]:
    t = dem.transform
    lat, lon = latlon_from_polar_xy(t.c + (col + 0.5) * t.a, t.f + (row + 0.5) * t.e)
    return float(lat), float(lon)


def _extreme_pixel(dem, lat_deg, lon_deg, search_px: int, lowest: bool) -> tuple[int, int]:
    """The lowest (or highest) pixel within ``search_px`` of a point."""
    row, col = (int(math.floor(v)) for v in pixel_of_latlon(dem.transform, lat_deg, lon_deg))
    block = Window(row - search_px, col - search_px, 2 * search_px + 1, 2 * search_px + 1)
    heights = dem.read(block).height_m
    pick = np.argmin(heights) if lowest else np.argmax(heights)
    d_row, d_col = np.unravel_index(pick, heights.shape)
    return block.row_off + int(d_row), block.col_off + int(d_col)


def _envelope_clearance_deg(dem, envelope, row: int, col: int) -> float:
    """The upper limb's best clearance over the pixel's ray-traced horizon, envelope."""
    lat, lon = _pixel_centre(dem, row, col)
    profile = horizon_profile_from_source(
        dem, lat, lon, azimuths=PROFILE_AZIMUTHS, max_distance_m=PROFILE_REACH_M
    )
    return float(
        best_sun_clearance_deg(
            profile.elevation_deg[:, None],
            (profile.azimuth_deg + lon) % 360.0,  # grid bearing = local azimuth + longitude
            [lat],
            [lon],
            envelope.direction,
            envelope.radius_deg,
        )[0]
    )


def test_pixel_areas_on_the_sphere_add_up_to_the_spherical_cap(dem):
    window = cap_window(dem, -80.0)
    rows, cols = np.mgrid[window.rows, window.cols]
    t = dem.transform
    lat, _ = latlon_from_polar_xy(t.c + (cols + 0.5) * t.a, t.f + (rows + 0.5) * t.e)
    total_km2 = sphere_pixel_area_km2(lat[lat <= -80.0], t.a).sum()
    cap_km2 = 2 * math.pi * (MOON_RADIUS_M / 1000) ** 2 * (1 - math.cos(math.radians(10)))
    assert total_km2 == pytest.approx(cap_km2, rel=1e-3)  # 288 160 vs 288 100 km²
    # At the pole a pixel keeps its map area; at 80°S it covers 1/k² = 0.9849 of it.
    assert sphere_pixel_area_km2(-90.0, 1600.0) == pytest.approx(2.56)
    assert sphere_pixel_area_km2(-80.0, 1600.0) == pytest.approx(2.56 / 1.00765**2, rel=1e-4)


def test_the_envelope_holds_the_suns_furthest_south_at_every_longitude(envelope):
    assert envelope.instants == len(CYCLE)
    assert envelope.radius_deg.size == 1440  # every 0.25° bin of sub-solar longitude met
    # Over a cycle the Sun reaches 1.53-1.59°S at every sub-solar longitude (the Moon's
    # 1.54° obliquity plus librations); its radius is 0.261-0.272° (measured).
    assert np.all((envelope.subsolar_lat_deg > -1.60) & (envelope.subsolar_lat_deg < -1.52))
    assert np.all((envelope.radius_deg > 0.26) & (envelope.radius_deg < 0.273))


# Pixels (row, col) of the embedded DEM where the answer is close: a Shackleton floor
# pixel, its rim (-0.16°), Haworth's rim (-0.53°), a pixel on Sverdrup's rim lit by only
# 0.04° at a few instants, and the Connecting Ridge (lit by 6°).
BRUTE_FORCE_PIXELS = [(385, 385), (388, 382), (327, 371), (412, 369), (388, 373)]


def test_the_envelope_answers_as_brute_force_over_every_hour_of_the_cycle(dem, envelope):
    lat, lon = np.array([_pixel_centre(dem, r, c) for r, c in BRUTE_FORCE_PIXELS]).T
    ground_m = [dem.read(Window(r, c, 1, 1)).height_m[0, 0] for r, c in BRUTE_FORCE_PIXELS]
    # Brute force: the Sun from each pixel itself (apparent, local azimuth) at each hour.
    sun = topocentric("sun", lat, lon, CYCLE, height_m=np.array(ground_m))
    for i, (row, col) in enumerate(BRUTE_FORCE_PIXELS):
        profile = horizon_profile_from_source(
            dem, lat[i], lon[i], azimuths=PROFILE_AZIMUTHS, max_distance_m=PROFILE_REACH_M
        )
        horizon_deg = np.interp(
            sun.azimuth_deg[i], profile.azimuth_deg, profile.elevation_deg, period=360.0
        )
        upper_limb_deg = sun.elevation_deg[i] + angular_radius_deg("sun", sun.distance_m[i])
        brute_deg = float(np.max(upper_limb_deg - horizon_deg))
        envelope_deg = _envelope_clearance_deg(dem, envelope, row, col)
        # Measured: they agree to < 1e-4° at every pixel here.
        assert envelope_deg == pytest.approx(brute_deg, abs=2e-3), (row, col)
        assert (envelope_deg > 0) == (brute_deg > 0), (row, col)


@pytest.mark.parametrize("name", list(CRATERS))
def test_named_crater_floors_are_permanently_shadowed(dem, envelope, name):
    row, col = _extreme_pixel(dem, *CRATERS[name], FLOOR_SEARCH_PX, lowest=True)
    # Measured best clearances of the upper limb [deg]: Shackleton -15.5, Haworth -3.2,
    # Shoemaker -3.2, Faustini -4.5, Sverdrup -1.3, de Gerlache -5.6, Cabeus -1.1.
    assert _envelope_clearance_deg(dem, envelope, row, col) < -0.5, (name, row, col)


@pytest.mark.parametrize(
    "name, search_px, lowest",
    [("Connecting Ridge", 0, True), ("Mons Malapert", 0, True), ("Malapert summit", 6, False)],
)
def test_the_ridge_and_malapert_see_the_sun(dem, envelope, name, search_px, lowest):
    where = CONNECTING_RIDGE if name == "Connecting Ridge" else MONS_MALAPERT
    row, col = _extreme_pixel(dem, *where, search_px, lowest=lowest)
    # Measured: the ridge clears by 6.1°, Mons Malapert by 4.6°, its summit by 7.7°.
    assert _envelope_clearance_deg(dem, envelope, row, col) > 3.0, (name, row, col)


# Horizon parameters of the area test, lighter than the CLI's defaults (180 bearings,
# 300 km) to keep it fast. Measured PSR area poleward of 80°S on the embedded DEM
# (km², 2020-2038 hourly): 36 bearings 150 km 13 869; 36 / 300 km 13 869 (terrain beyond
# 150 km decides nothing here); 72 / 300 km 13 479; 180 / 300 km see README.
AREA_TEST_AZIMUTHS = 36
AREA_TEST_REACH_M = 150_000.0


def test_the_caps_psr_area_is_mazarico_2011s_less_what_1600_m_pixels_lose(dem):
    result = psr_cap_map(dem, CYCLE, azimuths=AREA_TEST_AZIMUTHS, max_distance_m=AREA_TEST_REACH_M)
    # 1.6 km pixels smooth crater rims (lower horizons) and fill the small craters whose
    # floors are PSRs at 240 m, so the area falls short of Mazarico's 16 055 km²; more
    # bearings find more notches in the horizons and shrink it a little further.
    assert result.psr_area_km2 == pytest.approx(13_869, rel=0.01)
    assert 0.75 < result.psr_area_km2 / MAZARICO_2011_PSR_KM2 < 0.95
    assert result.cap_area_km2 == pytest.approx(288_160, rel=1e-3)
    assert set(np.unique(result.psr)) == {0, 1, PSR_NODATA}


def test_cli_psr_cap_writes_the_map_with_its_provenance_and_prints_the_area(capsys, tmp_path):
    out = tmp_path / "psr.tif"
    status = main(
        ["map", "psr-cap", "--out", str(out), "--edge-lat", "-88", "--azimuths", "16",
         "--max-distance-m", "60000", "--start", "2026-01-01", "--end", "2026-03-01",
         "--step", "2h"]
    )  # fmt: skip
    printed = capsys.readouterr().out
    assert status == 0
    assert "PSR area poleward of 88°S:" in printed
    with rasterio.open(out) as dataset:
        tags = dataset.tags()
        assert dataset.descriptions == ("psr",)
        assert dataset.nodata == PSR_NODATA
        values = dataset.read(1)
    assert "LDEM_256" in tags["DEM_SOURCE"]
    assert tags["HORIZON_AZIMUTHS"] == "16"
    assert tags["HORIZON_MAX_DISTANCE_M"] == "60000"
    assert tags["SUN_START"].startswith("2026-01-01") and tags["SUN_STEP_S"] == "7200"
    assert f"{float(tags['PSR_AREA_KM2']):,.0f} km²" in printed
    assert {0, 1} <= set(np.unique(values))
