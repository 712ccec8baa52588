"""The synthetic south-pole terrain: determinism, the named features measured on the grid
against the feature table, the crater population against its power law, roughness
statistics, provenance, extents and the GeoTIFF round trip."""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest
import rasterio

from ilrs.errors import InputError
from ilrs.terrain.geotiff import GeoTiffSource
from ilrs.terrain.synthetic import (
    SYNTHETIC_SOURCE,
    SYNTHETIC_TERRAIN_VERSION,
    complex_crater_floor_diameter_m,
    crater_population,
    equilibrium_cumulative_density_per_m2,
    fresh_crater_depth_m,
    fresh_crater_rim_height_m,
    roughness_heights_m,
    roughness_rms_slope_deg,
    south_pole_features,
    synthesize_south_pole,
    write_synthetic_south_pole,
)

FEATURES = {feature.name: feature for feature in south_pole_features()}


def rms_slope_deg(height_m: np.ndarray, pixel_m: float, lag_px: int = 1) -> float:
    """RMS slope [deg] over a baseline of ``lag_px`` pixels along rows and columns."""
    rise = np.concatenate(
        [
            (height_m[:, lag_px:] - height_m[:, :-lag_px]).ravel(),
            (height_m[lag_px:, :] - height_m[:-lag_px, :]).ravel(),
        ]
    )
    return math.degrees(math.atan(np.sqrt(np.mean(rise**2)) / (lag_px * pixel_m)))


def ring(dem, x_m, y_m, radius_m, count=72):
    """Bilinear heights [m] on a circle around a projected point."""
    angle = np.linspace(0.0, 2 * np.pi, count, endpoint=False)
    return dem.sample(*dem.rowcol(x_m + radius_m * np.sin(angle), y_m + radius_m * np.cos(angle)))


def rim_profile(dem, x_m, y_m, radius_m, azimuths=72):
    """Per azimuth: the radius [m] and height [m] of the highest point between 0.7 R and 1.3 R."""
    angle = np.linspace(0.0, 2 * np.pi, azimuths, endpoint=False)[:, None]
    radii = np.linspace(0.7 * radius_m, 1.3 * radius_m, 241)[None, :]
    heights = dem.sample(*dem.rowcol(x_m + radii * np.sin(angle), y_m + radii * np.cos(angle)))
    best = np.nanargmax(heights, axis=1)
    return radii[0, best], heights[np.arange(azimuths), best]


# --- the feature table -----------------------------------------------------------------------


def test_feature_table_has_every_named_feature_with_a_source():
    names = set(FEATURES)
    for needed in (
        "Shackleton",
        "de Gerlache",
        "Sverdrup",
        "Shoemaker",
        "Faustini",
        "Haworth",
        "Nobile",
        "Cabeus",
        "Amundsen",
        "Slater",
        "Malapert",
        "Mons Malapert",
        "Leibnitz Beta (Mons Mouton)",
        "Shackleton-de Gerlache Connecting Ridge",
    ):
        assert needed in names
    for feature in FEATURES.values():
        assert feature.source
        assert -90.0 <= feature.lat_deg <= -80.0
        assert 0.0 <= feature.lon_deg < 360.0
    shackleton = FEATURES["Shackleton"]  # shared/FACTS.md: 89.67°S 129.8°E, 21 km, 4.2 km
    assert (shackleton.lat_deg, shackleton.diameter_km, shackleton.depth_km) == (-89.67, 21.0, 4.2)
    assert shackleton.lon_deg == pytest.approx(129.8, abs=0.05)
    ridge = FEATURES["Shackleton-de Gerlache Connecting Ridge"]  # Mazarico et al. 2011
    assert (ridge.lat_deg, ridge.lon_deg) == (-89.45, 222.69)
    assert ridge.connects == ("Shackleton", "de Gerlache")


def test_morphometry_follows_pike():
    # Pike (1974): d = 0.196 D^1.010 (simple), 1.044 D^0.301 (complex), km; continuous.
    assert fresh_crater_depth_m(1000.0) == pytest.approx(196.0, rel=1e-9)
    assert fresh_crater_depth_m(50_000.0) == pytest.approx(1044.0 * 50**0.301, rel=1e-9)
    crossing_m = 1000.0 * (1.044 / 0.196) ** (1 / 0.709)
    below, above = fresh_crater_depth_m([crossing_m * 0.999, crossing_m * 1.001])
    assert abs(above - below) < 5.0
    # Pike (1977): rim 0.036 D^1.014 / 0.236 D^0.399; floors only from 15 km.
    assert fresh_crater_rim_height_m(1000.0) == pytest.approx(36.0, rel=1e-9)
    assert complex_crater_floor_diameter_m(10_000.0) == 0.0
    assert complex_crater_floor_diameter_m(50_000.0) == pytest.approx(187.0 * 50**1.249, rel=1e-9)
    assert equilibrium_cumulative_density_per_m2(1000.0) == pytest.approx(0.077e-6)


# --- determinism -----------------------------------------------------------------------------


def test_same_inputs_give_byte_identical_output_and_seeds_differ():
    first = synthesize_south_pole(96, 600.0, seed=3)
    second = synthesize_south_pole(96, 600.0, seed=3)
    assert first.height_m.tobytes() == second.height_m.tobytes()
    assert first.transform == second.transform
    assert first.metadata == second.metadata
    other = synthesize_south_pole(96, 600.0, seed=4)
    assert np.mean(other.height_m != first.height_m) > 0.9
    # The named features do not move with the seed: Shackleton is as deep in both.
    x_m, y_m = FEATURES["Shackleton"].xy_m
    depths = [
        np.median(ring(dem, x_m, y_m, 10_500.0)) - float(dem.sample(*dem.rowcol(x_m, y_m)))
        for dem in (first, other)
    ]
    assert abs(depths[0] - depths[1]) < 300.0


def test_output_does_not_depend_on_the_thread_count():
    threads = numba.get_num_threads()
    if threads < 2:
        pytest.skip("one thread only")
    many = synthesize_south_pole(128, 400.0, seed=11, center_x_m=-20_000.0, center_y_m=5_000.0)
    numba.set_num_threads(1)
    try:
        one = synthesize_south_pole(128, 400.0, seed=11, center_x_m=-20_000.0, center_y_m=5_000.0)
    finally:
        numba.set_num_threads(threads)
    assert many.height_m.tobytes() == one.height_m.tobytes()


def test_a_window_of_a_larger_grid_is_the_smaller_grid():
    big = synthesize_south_pole(128, 300.0, seed=5)
    # Rows 32..95 and columns 16..79 of the big grid: centre x = -19200 + 48 * 300 m, y = 0.
    small = synthesize_south_pole(64, 300.0, seed=5, center_x_m=-4_800.0, center_y_m=0.0)
    np.testing.assert_allclose(small.height_m, big.height_m[32:96, 16:80], rtol=0, atol=1e-6)
    assert tuple(small.transform)[:6] == pytest.approx(
        (300.0, 0.0, big.transform.c + 16 * 300.0, 0.0, -300.0, big.transform.f - 32 * 300.0)
    )


# --- the named features on the grid ----------------------------------------------------------


def test_shackleton_is_where_and_as_big_and_deep_as_the_table_says():
    shackleton = FEATURES["Shackleton"]
    x_m, y_m = shackleton.xy_m
    dem = synthesize_south_pole(200, 150.0, seed=0, center_x_m=x_m, center_y_m=y_m)
    radius_m = 500.0 * shackleton.diameter_km
    rim_radius_m, rim_height_m = rim_profile(dem, x_m, y_m, radius_m)
    assert 2 * np.median(rim_radius_m) == pytest.approx(1000.0 * shackleton.diameter_km, rel=0.03)
    # The rim crest is centred on the table's position (within a pixel).
    angle = np.linspace(0.0, 2 * np.pi, rim_radius_m.size, endpoint=False)
    centre_x = x_m + np.mean(rim_radius_m * np.sin(angle))
    centre_y = y_m + np.mean(rim_radius_m * np.cos(angle))
    assert math.hypot(centre_x - x_m, centre_y - y_m) < 150.0
    rows, cols = np.indices(dem.shape)
    px, py = dem.xy(rows, cols)
    floor = dem.height_m[np.hypot(px - x_m, py - y_m) < 0.15 * radius_m]
    depth_m = np.median(rim_height_m) - np.median(floor)
    assert depth_m == pytest.approx(1000.0 * shackleton.depth_km, rel=0.05)
    # Its floor is flat over the table's floor diameter: the lowest ground of the crater.
    assert np.median(floor) < np.median(ring(dem, x_m, y_m, 0.6 * radius_m)) - 500.0


@pytest.mark.parametrize("name", sorted(FEATURES))
def test_every_named_feature_appears_at_its_position(name):
    feature = FEATURES[name]
    x_m, y_m = feature.xy_m
    if feature.kind == "crater":
        radius_m = 500.0 * feature.diameter_km
        dem = synthesize_south_pole(96, 3.0 * radius_m / 48, seed=1, center_x_m=x_m, center_y_m=y_m)
        _, rim_height_m = rim_profile(dem, x_m, y_m, radius_m)
        centre = ring(dem, x_m, y_m, 0.1 * radius_m)
        expected_m = (
            1000.0 * feature.depth_km
            if feature.depth_km is not None
            else float(fresh_crater_depth_m(2 * radius_m))
        )
        depth_m = np.median(rim_height_m) - np.median(centre)
        assert 0.7 * expected_m < depth_m < 1.3 * expected_m
        # The lowest ground lies about the table's centre (a massif's flank can tilt a floor:
        # Malapert's lies on those of Mons Malapert and Mons Mouton).
        rows, cols = np.indices(dem.shape)
        px, py = dem.xy(rows, cols)
        inside = np.hypot(px - x_m, py - y_m) < 0.8 * radius_m
        low = inside & (dem.height_m < np.median(centre) + 0.25 * expected_m)
        assert math.hypot(px[low].mean() - x_m, py[low].mean() - y_m) < 0.3 * radius_m
    elif feature.kind == "massif":
        diameter_m = 1000.0 * feature.diameter_km
        dem = synthesize_south_pole(
            96, 2.0 * diameter_m / 96, seed=1, center_x_m=x_m, center_y_m=y_m
        )
        summit = np.median(ring(dem, x_m, y_m, 0.1 * diameter_m))
        surroundings = np.median(ring(dem, x_m, y_m, 0.8 * diameter_m))
        assert summit - surroundings > 0.7 * 1000.0 * feature.height_km
    else:
        width_m = 1000.0 * feature.width_km
        dem = synthesize_south_pole(160, 250.0, seed=1, center_x_m=x_m, center_y_m=y_m)
        crest = float(dem.sample(*dem.rowcol(x_m, y_m)))
        surroundings = np.median(ring(dem, x_m, y_m, 1.5 * width_m))
        assert crest - surroundings > 0.6 * 1000.0 * feature.height_km
        # Nothing within a ridge half-width rises above the crest (the best-lit point).
        near = ring(dem, x_m, y_m, 0.5 * width_m)
        assert crest > np.max(near) - 150.0


def test_regional_relief_is_lunar_south_polar():
    dem = synthesize_south_pole(256, 2400.0, seed=0)  # 80-90°S and a little more
    rows, cols = np.indices(dem.shape)
    lat_deg, _ = dem.latlon(rows, cols)
    heights = dem.height_m[lat_deg < -80.0]
    assert -6500.0 < heights.min() < -3000.0
    assert 5000.0 < heights.max() < 9000.0
    assert abs(np.median(heights)) < 1000.0


# --- the crater population -------------------------------------------------------------------


def test_crater_population_follows_the_equilibrium_power_law():
    # 400 km from the pole towards 180°E: no named feature nearby.
    size_px, pixel_m, centre_y_m = 2048, 100.0, -400_000.0
    population = crater_population(size_px, pixel_m, seed=2, center_y_m=centre_y_m)
    half_m = 0.5 * size_px * pixel_m
    inside = (np.abs(population.x_m) < half_m) & (np.abs(population.y_m - centre_y_m) < half_m)
    diameters = population.diameter_m[inside]
    area_m2 = (2 * half_m) ** 2
    assert diameters.min() >= 3 * pixel_m
    edges = 3 * pixel_m * 2.0 ** np.arange(8)
    counts = np.histogram(diameters, bins=edges)[0]
    expected = area_m2 * -np.diff(equilibrium_cumulative_density_per_m2(edges))
    for count, mean in zip(counts, expected, strict=True):
        if mean >= 10:
            assert abs(count - mean) < 4 * math.sqrt(mean) + 1
    # Cumulative N(>D) falls as D^-2.
    cumulative = np.array([np.sum(diameters >= d) for d in edges[:5]])
    slope = np.polyfit(np.log(edges[:5]), np.log(cumulative), 1)[0]
    assert slope == pytest.approx(-2.0, abs=0.1)
    # Depth and rim follow fresh morphometry, shallowed by degradation only.
    ratio = population.depth_m / fresh_crater_depth_m(population.diameter_m)
    assert ratio.min() > 0.34 and ratio.max() <= 1.0 + 1e-6


def test_crater_population_is_fixed_in_the_world():
    # Two overlapping grids at the same resolution hold the same craters where they overlap.
    a = crater_population(256, 200.0, seed=9)
    b = crater_population(256, 200.0, seed=9, center_x_m=10_000.0, center_y_m=-7_000.0)
    key_a = {(round(x, 3), round(y, 3)) for x, y in zip(a.x_m, a.y_m, strict=True)}
    key_b = {(round(x, 3), round(y, 3)) for x, y in zip(b.x_m, b.y_m, strict=True)}
    overlap = [(x, y) for x, y in key_a if -15_600.0 < x < 25_600.0 and -32_600.0 < y < 18_600.0]
    assert len(overlap) > 100
    assert all(point in key_b for point in overlap)


def test_population_craters_are_on_the_grid():
    # A population crater appears as a bowl at its centre: lower than its own rim.
    population = crater_population(256, 100.0, seed=4, center_y_m=-300_000.0)
    dem = synthesize_south_pole(256, 100.0, seed=4, center_y_m=-300_000.0)
    big = np.argsort(population.diameter_m)[::-1]
    checked = 0
    for index in big[:40]:
        x_m, y_m = population.x_m[index], population.y_m[index]
        radius_m = 0.5 * population.diameter_m[index]
        if max(abs(x_m), abs(y_m + 300_000.0)) + radius_m > 12_500.0:
            continue
        centre = float(dem.sample(*dem.rowcol(x_m, y_m)))
        rim = np.median(ring(dem, x_m, y_m, radius_m))
        assert rim - centre > 0.5 * population.depth_m[index]
        checked += 1
    assert checked >= 5


# --- roughness -------------------------------------------------------------------------------


def test_roughness_is_fractal_with_the_lunar_hurst_exponent():
    pixel_m = 5.0
    rough = roughness_heights_m(512, pixel_m, seed=0, center_x_m=50_000.0, center_y_m=20_000.0)
    slope = rms_slope_deg(rough, pixel_m)
    assert 0.7 < slope / float(roughness_rms_slope_deg(pixel_m)) < 1.3
    # RMS height difference grows as baseline^H (H = 0.95 nominal; the 4 km cut-off and the
    # two-pixel band limit lower the measured value a little).
    rise_1 = math.tan(math.radians(rms_slope_deg(rough, pixel_m, 1))) * pixel_m
    rise_8 = math.tan(math.radians(rms_slope_deg(rough, pixel_m, 8))) * 8 * pixel_m
    hurst = math.log(rise_8 / rise_1) / math.log(8)
    assert 0.8 < hurst < 1.0


def test_terrain_rms_slopes_are_plausible():
    dem = synthesize_south_pole(256, 240.0, seed=0)
    assert 4.0 < rms_slope_deg(dem.height_m, 240.0) < 20.0
    fine = synthesize_south_pole(256, 20.0, seed=0, center_x_m=-60_000.0, center_y_m=-80_000.0)
    assert 4.0 < rms_slope_deg(fine.height_m, 20.0) < 25.0


# --- provenance, extents, files, inputs ------------------------------------------------------


def test_metadata_marks_it_synthetic():
    dem = synthesize_south_pole(32, 1000.0, seed=7)
    assert dem.synthetic
    assert dem.metadata["synthetic"] == "true"
    assert dem.metadata["source"] == SYNTHETIC_SOURCE == "ilrs synthetic south pole"
    assert dem.metadata["seed"] == "7"
    assert dem.metadata["generator_version"] == SYNTHETIC_TERRAIN_VERSION
    assert "NOT real topography" in dem.metadata["note"]


@pytest.mark.parametrize(
    ("size_px", "pixel_m", "centre_m"),
    [
        (64, 5000.0, (0.0, 0.0)),
        (300, 20.0, FEATURES["Shackleton-de Gerlache Connecting Ridge"].xy_m),
    ],
)
def test_any_extent_and_resolution(size_px, pixel_m, centre_m):
    dem = synthesize_south_pole(
        size_px, pixel_m, seed=0, center_x_m=centre_m[0], center_y_m=centre_m[1]
    )
    assert dem.shape == (size_px, size_px)
    assert dem.pixel_size_m == pixel_m
    centre_x, centre_y = dem.xy((size_px - 1) / 2, (size_px - 1) / 2)
    assert (centre_x, centre_y) == pytest.approx(centre_m, abs=1e-6)
    assert np.all(np.isfinite(dem.height_m))
    assert dem.height_m.min() > -8000.0 and dem.height_m.max() < 10_000.0


def test_geotiff_round_trip_keeps_heights_and_provenance(tmp_path):
    path = write_synthetic_south_pole(tmp_path / "synthetic.tif", 64, 1000.0, seed=2)
    dem = synthesize_south_pole(64, 1000.0, seed=2)
    source = GeoTiffSource(path)
    read = source.read()
    assert read.synthetic
    assert read.metadata["seed"] == "2"
    assert read.transform == dem.transform
    np.testing.assert_array_equal(read.height_m, dem.height_m.astype(np.float32))
    with rasterio.open(path) as dataset:
        tags = dataset.tags()
        assert tags["SYNTHETIC"] == "true"
        assert tags["SOURCE"] == "ilrs synthetic south pole"
        assert "NOT real topography" in tags["NOTE"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"size_px": 1}, "size_px"),
        ({"size_px": 10.5}, "size_px"),
        ({"resolution_m": 0.0}, "resolution_m"),
        ({"resolution_m": float("nan")}, "resolution_m"),
        ({"seed": -1}, "seed"),
        ({"size_px": 8000, "resolution_m": 1000.0}, "equator"),
    ],
)
def test_bad_inputs_are_refused_before_any_work(arguments, message):
    with pytest.raises(InputError, match=message):
        synthesize_south_pole(**{"size_px": 16, "resolution_m": 100.0, **arguments})
