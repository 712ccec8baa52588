"""The DEM grid: projection against PROJ, conversions, windows and GeoTIFF round trips."""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine

from ilrs.errors import DataFileError, InputError
from ilrs.terrain import (
    SOUTH_POLAR_STEREOGRAPHIC,
    Dem,
    Window,
    extent_km,
    grid_bearing_deg,
    latlon_from_polar_xy,
    moon_fixed_m,
    polar_xy_from_latlon,
)
from ilrs.terrain.geotiff import GeoTiffSource, write_geotiff


def test_projection_matches_proj():
    pyproj = pytest.importorskip("pyproj")
    rng = np.random.default_rng(5)
    lat = rng.uniform(-90, -60, 500)
    lon = rng.uniform(-180, 360, 500)
    geographic = "+proj=longlat +R=1737400 +no_defs"
    to_polar = pyproj.Transformer.from_crs(geographic, SOUTH_POLAR_STEREOGRAPHIC, always_xy=True)
    x_ref, y_ref = to_polar.transform(lon, lat)
    x, y = polar_xy_from_latlon(lat, lon)
    assert np.max(np.abs(x - x_ref)) < 1e-6
    assert np.max(np.abs(y - y_ref)) < 1e-6
    lat_back, lon_back = latlon_from_polar_xy(x, y)
    assert np.allclose(lat_back, lat, atol=1e-10)
    assert np.allclose((lon_back - lon + 180) % 360 - 180, 0, atol=1e-8)


def test_true_scale_at_the_pole_and_known_distance():
    # 1 degree of latitude from the pole is 1737.4 km * pi/180 = 30.32 km on the sphere;
    # stereographic stretches it by 1/cos^2(0.5 deg): ~2.3 m more.
    x, y = polar_xy_from_latlon(-89.0, 0.0)
    assert y == pytest.approx(2 * 1_737_400 * np.tan(np.radians(0.5)), rel=1e-12)
    assert abs(y - 30_323.6) < 5.0
    assert x == pytest.approx(0.0, abs=1e-9)


def test_local_north_turns_with_longitude():
    # At 90 deg east, north (away from the pole) is the +x direction: grid bearing 90.
    assert grid_bearing_deg(0.0, 90.0) == 90.0
    assert grid_bearing_deg(90.0, 300.0) == 30.0


def small_dem(shape=(40, 50), pixel=20.0) -> Dem:
    rng = np.random.default_rng(1)
    transform = Affine(pixel, 0, -shape[1] / 2 * pixel, 0, -pixel, shape[0] / 2 * pixel)
    return Dem(rng.normal(0, 100, shape), transform, metadata={"source": "test"})


def test_pixel_and_geographic_conversions_round_trip():
    dem = small_dem()
    rows, cols = np.array([0.0, 12.3, 39.0]), np.array([0.0, 7.7, 49.0])
    lat, lon = dem.latlon(rows, cols)
    back_rows, back_cols = dem.rowcol_of_latlon(lat, lon)
    assert np.allclose(back_rows, rows) and np.allclose(back_cols, cols)
    vectors = dem.moon_fixed_m(np.array([5]), np.array([6]))
    expected = moon_fixed_m(*dem.latlon(5, 6), dem.height_m[5, 6])
    assert np.allclose(vectors, expected)


def test_bilinear_sample_is_exact_on_a_plane():
    dem = small_dem()
    rows, cols = np.indices(dem.shape)
    dem.height_m[:] = 3.0 * rows - 2.0 * cols + 7.0
    assert dem.sample(10.25, 20.75) == pytest.approx(3 * 10.25 - 2 * 20.75 + 7)
    assert np.isnan(dem.sample(-1.0, 3.0))


def test_point_outside_the_grid_is_a_clear_error():
    with pytest.raises(InputError, match=r"point -80.00000°, 0.00000° lies outside the grid"):
        small_dem().height_at(-80.0, 0.0)


def test_window_and_geotiff_round_trip(tmp_path):
    dem = small_dem()
    path = write_geotiff(
        tmp_path / "dem.tif",
        dem.height_m,
        dem.transform,
        tags={"source": "test", "synthetic": "true"},
        dtype="float64",
    )
    source = GeoTiffSource(path)
    assert source.shape == dem.shape
    window = Window(5, 7, 10, 12)
    part = source.read(window)
    assert np.array_equal(part.height_m, dem.height_m[5:15, 7:19])
    assert np.allclose(part.xy(0, 0), dem.xy(5, 7))
    assert part.synthetic
    assert np.array_equal(dem.window(window).height_m, part.height_m)
    with pytest.raises(InputError, match="lies outside"):
        source.read(Window(35, 45, 10, 10))


def test_geotiff_without_crs_is_refused(tmp_path):
    import rasterio

    path = tmp_path / "nocrs.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=4,
        height=4,
        count=1,
        dtype="float32",
        transform=Affine(1, 0, 0, 0, -1, 4),
    ) as dataset:
        dataset.write(np.zeros((1, 4, 4), dtype="float32"))
    with pytest.raises(DataFileError, match="has no CRS"):
        GeoTiffSource(path)


def test_geotiff_in_another_projection_is_refused(tmp_path):
    import rasterio
    from rasterio.crs import CRS

    path = tmp_path / "equirect.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=4,
        height=4,
        count=1,
        dtype="float32",
        crs=CRS.from_proj4("+proj=eqc +R=1737400 +units=m +no_defs"),
        transform=Affine(1, 0, 0, 0, -1, 4),
    ) as dataset:
        dataset.write(np.zeros((1, 4, 4), dtype="float32"))
    with pytest.raises(DataFileError, match="is not the lunar south polar stereographic"):
        GeoTiffSource(path)


def test_extent_km_is_the_grid_outer_edges():
    # 5 columns and 10 rows of 20 m from (-1000 m, 2000 m): edges at x -1.0..-0.9 km,
    # y 1.8..2.0 km
    assert extent_km(Affine(20.0, 0.0, -1000.0, 0.0, -20.0, 2000.0), (10, 5)) == [
        -1.0,
        -0.9,
        1.8,
        2.0,
    ]
