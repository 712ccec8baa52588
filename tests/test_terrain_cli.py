"""``ilrs terrain`` end to end on small GeoTIFFs: horizon maps (local and on Dask),
profiles, slope, info, and clear errors."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
import rasterio
from affine import Affine

from ilrs.cli import main
from ilrs.terrain import Dem
from ilrs.terrain.geotiff import GeoTiffSource, write_geotiff
from ilrs.terrain.horizon import horizon_map, horizon_profile, sweep_bearings_deg


@pytest.fixture(scope="module")
def dem_path(tmp_path_factory):
    rng = np.random.default_rng(11)
    n, pixel_m = 96, 60.0
    rows, cols = np.indices((n, n)).astype(float)
    heights = np.zeros((n, n))
    for _ in range(12):
        r0, c0 = rng.uniform(0, n, 2)
        heights += rng.uniform(-300, 500) * np.exp(
            -((rows - r0) ** 2 + (cols - c0) ** 2) / (2 * rng.uniform(3, 12) ** 2)
        )
    transform = Affine(pixel_m, 0, 10_000.0, 0, -pixel_m, -20_000.0)
    path = tmp_path_factory.mktemp("dem") / "dem.tif"
    write_geotiff(
        path, heights, transform, tags={"source": "test", "synthetic": "true"}, dtype="float64"
    )
    return path


def read_bands(path):
    with rasterio.open(path) as dataset:
        return dataset.read(), dataset.descriptions, dataset.tags()


def test_horizon_map_file_matches_the_library(dem_path, tmp_path, capsys):
    out = tmp_path / "hor.tif"
    assert (
        main(
            [
                "terrain",
                "horizon",
                str(dem_path),
                "--azimuths",
                "8",
                "--max-distance-m",
                "2500",
                "--height-m",
                "2",
                "--tile-px",
                "32",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    bands, descriptions, tags = read_bands(out)
    assert bands.shape == (8, 96, 96)
    assert descriptions[1] == "azimuth_deg=45"
    assert tags["SYNTHETIC"] == "true" and tags["MAX_DISTANCE_M"] == "2500"
    expected = horizon_map(
        GeoTiffSource(dem_path).read(),
        azimuths=8,
        max_distance_m=2500,
        height_above_ground_m=2.0,
        tile_px=32,
    )
    assert np.array_equal(bands, expected, equal_nan=True)
    assert not list(tmp_path.glob("*.partial"))


@pytest.mark.parametrize("bearings", ["local", "grid"])
def test_dask_cluster_gives_identical_bytes(dem_path, tmp_path, bearings):
    pytest.importorskip("dask.distributed")
    local, on_dask = tmp_path / "local.tif", tmp_path / "dask.tif"
    common = ["--azimuths", "6", "--max-distance-m", "1500", "--tile-px", "32"]
    common += ["--bearings", bearings]
    assert main(["terrain", "horizon", str(dem_path), *common, "--out", str(local)]) == 0
    assert (
        main(
            [
                "terrain",
                "horizon",
                str(dem_path),
                *common,
                "--out",
                str(on_dask),
                "--scheduler",
                "local",
            ]
        )
        == 0
    )
    assert read_bands(local)[0].tobytes() == read_bands(on_dask)[0].tobytes()


def test_grid_bearings_by_default_are_exact_and_the_sweep_records_each_bearing(
    dem_path, tmp_path, capsys
):
    args = ["terrain", "horizon", str(dem_path), "--azimuths", "12", "--bearings", "grid"]
    # By default the bearings are taken as asked (the fast rays).
    exact = tmp_path / "fast.tif"
    assert main([*args, "--max-distance-m", "2000", "--out", str(exact)]) == 0
    assert "fast" in capsys.readouterr().out
    bands, descriptions, tags = read_bands(exact)
    assert descriptions[1] == "grid_bearing_deg=30" and tags["METHOD"] == "fast"
    expected = horizon_map(
        GeoTiffSource(dem_path).read(), azimuths=12, max_distance_m=2000, grid_azimuths=True
    )
    assert np.array_equal(bands, expected, equal_nan=True)
    # The sweep moves each to a direction of small integer steps and says which.
    out = tmp_path / "sweep.tif"
    assert main([*args, "--max-distance-m", "2000", "--method", "sweep", "--out", str(out)]) == 0
    assert "sweep" in capsys.readouterr().out
    bands, descriptions, tags = read_bands(out)
    bearings = sweep_bearings_deg(12)
    assert descriptions[1] == f"grid_bearing_deg={bearings[1]:.6f}"
    assert tags["METHOD"] == "sweep" and tags["AZIMUTH_REFERENCE"] == "grid north, clockwise"
    expected = horizon_map(
        GeoTiffSource(dem_path).read(),
        azimuths=12,
        max_distance_m=2000,
        grid_azimuths=True,
        method="sweep",
    )
    assert np.array_equal(bands, expected, equal_nan=True)
    # The sweep needs grid bearings and one grid; asked otherwise it says so.
    assert main(["terrain", "horizon", str(dem_path), "--method", "sweep", "--out", str(out)]) == 1
    assert "grid north" in capsys.readouterr().err


def test_profile_csv_matches_the_library(dem_path, capsys):
    source = GeoTiffSource(dem_path)
    dem = source.read()
    lat, lon = (float(v) for v in dem.latlon(40, 50))
    assert (
        main(
            [
                "terrain",
                "profile",
                str(dem_path),
                "--lat",
                str(lat),
                "--lon",
                str(lon),
                "--azimuths",
                "12",
                "--max-distance-m",
                "2000",
                "--height-m",
                "2",
            ]
        )
        == 0
    )
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    expected = horizon_profile(
        dem, lat, lon, azimuths=12, max_distance_m=2000, height_above_ground_m=2.0
    )
    assert [float(r["azimuth_deg"]) for r in rows] == pytest.approx(expected.azimuth_deg)
    assert [float(r["elevation_deg"]) for r in rows] == pytest.approx(
        expected.elevation_deg, abs=1e-6
    )


def test_info_and_slope(dem_path, tmp_path, capsys):
    assert main(["terrain", "info", str(dem_path)]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["rows"] == 96 and record["pixel_size_m"] == 60.0
    assert record["meta_synthetic"] == "true"
    out = tmp_path / "slope.tif"
    assert main(["terrain", "slope", str(dem_path), "--out", str(out)]) == 0
    bands, descriptions, _ = read_bands(out)
    assert descriptions == ("slope_deg", "aspect_deg")
    assert 0 < np.nanmax(bands[0]) < 90


def test_bad_terrain_inputs_are_one_line(tmp_path, capsys):
    no_crs = tmp_path / "nocrs.tif"
    with rasterio.open(
        no_crs,
        "w",
        driver="GTiff",
        width=4,
        height=4,
        count=1,
        dtype="float32",
        transform=Affine(1, 0, 0, 0, -1, 4),
    ) as dataset:
        dataset.write(np.zeros((1, 4, 4), dtype="float32"))
    cases = [
        (["terrain", "horizon", str(no_crs), "--out", str(tmp_path / "h.tif")], "has no CRS"),
        (["terrain", "info", str(tmp_path / "missing.tif")], "no such DEM file"),
        (["terrain", "info", str(tmp_path / "notes.txt")], "unknown DEM format"),
    ]
    for argv, message in cases:
        assert main(argv) != 0
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "h.tif").exists()


def test_dem_type_round_trip_is_what_the_cli_reads(dem_path):
    dem = GeoTiffSource(dem_path).read()
    assert isinstance(dem, Dem) and dem.synthetic


def test_synth_writes_a_marked_synthetic_dem(tmp_path, capsys):
    out = tmp_path / "pole.tif"
    assert (
        main(
            [
                "terrain",
                "synth",
                "--out",
                str(out),
                "--size-px",
                "64",
                "--resolution-m",
                "2000",
                "--seed",
                "3",
            ]
        )
        == 0
    )
    assert "synthetic" in capsys.readouterr().out
    source = GeoTiffSource(out)
    assert source.shape == (64, 64) and source.metadata["synthetic"] == "true"
    assert source.metadata["seed"] == "3"
    assert main(["terrain", "synth", "--out", str(out), "--size-px", "0"]) == 1
    assert "--size-px must be" in capsys.readouterr().err
