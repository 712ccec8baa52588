"""``ilrs explore`` end to end on a small synthetic south pole: each command's files and
figures, and bad input as one line naming the problem (no traceback, nothing written)."""

from __future__ import annotations

import csv
import json

import pytest
import rasterio

from ilrs.cli import main


def run(capsys, *args):
    status = main([str(a) for a in args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture(scope="module")
def dem(tmp_path_factory):
    path = tmp_path_factory.mktemp("dem") / "south_pole.tif"
    assert (
        main(["terrain", "synth", "--out", str(path), "--size-px", "200", "--resolution-m", "80"])
        == 0
    )
    return path


def test_flat_curve(capsys, tmp_path):
    status, out, _ = run(
        capsys, "explore", "thermal", "--flat", "--lat", "0", "--out", tmp_path / "eq"
    )
    assert status == 0
    summary = json.loads(out)
    assert abs(summary["noon_k"] - 385.0) < 10 and abs(summary["predawn_k"] - 95.0) < 10
    rows = list(csv.DictReader((tmp_path / "eq" / "diurnal.csv").open()))
    assert float(rows[0]["local_time_h"]) < 0.5 and len(rows) > 600
    assert (tmp_path / "eq" / "diurnal.png").stat().st_size > 10_000


def test_thermal_map_then_targets(capsys, dem, tmp_path):
    status, out, err = run(
        capsys,
        "explore",
        "thermal",
        "--dem",
        dem,
        "--lat",
        "-89.9",
        "--lon",
        "0",
        "--size-km",
        "4",
        "--start",
        "2026-12-01T00:00:00Z",
        "--end",
        "2026-12-15T00:00:00Z",
        "--step",
        "4h",
        "--max-distance-m",
        "4000",
        "--scatter-radius-m",
        "1000",
        "--out",
        tmp_path / "thermal",
    )
    assert status == 0, err
    summary = json.loads(out)
    assert 20.0 < summary["coldest_max_k"] < summary["centre"]["max_k"] < 420.0
    assert summary["loss_at_110k_m_per_gyr"] == pytest.approx(0.154, abs=0.001)
    assert summary["ice_criterion"] == "maximum temperature under 110 K"
    with rasterio.open(tmp_path / "thermal" / "thermal.tif") as dataset:
        assert dataset.descriptions == (
            "max_k",
            "mean_k",
            "min_k",
            "ice_depth_m",
            "sky_view",
            "loss_m_per_gyr",
        )
        assert dataset.tags()["SYNTHETIC"] == "synthetic"
    status, out, err = run(
        capsys,
        "explore",
        "targets",
        tmp_path / "thermal" / "thermal.tif",
        "--landing=-89.9,0",
        "--max-depth-m",
        "0.2",
        "--out",
        tmp_path / "targets",
    )
    assert status == 0, err
    rows = list(csv.DictReader(out.splitlines()))
    assert rows and rows[0]["rank"] == "1"
    with rasterio.open(tmp_path / "targets" / "targets.tif") as dataset:
        assert dataset.read(1).max() == len(rows)


def test_hop_and_traverse(capsys, dem, tmp_path):
    status, out, err = run(
        capsys,
        "explore",
        "hop",
        "--dem",
        dem,
        "--waypoint=-89.85,222",
        "--waypoint=-89.88,200",
        "--light-end",
        "2026-02-01T00:00:00Z",
        "--out",
        tmp_path / "hop",
    )
    assert status == 0, err
    plan = json.loads(out)
    assert plan["feasible"] and len(plan["hops"]) == 1 and len(plan["spots"]) == 2
    assert (tmp_path / "hop" / "hops.png").exists()
    status, out, err = run(
        capsys,
        "explore",
        "traverse",
        "--dem",
        dem,
        "--start=-89.93,30",
        "--goal=-89.9,300",
        "--days",
        "3",
        "--margin-m",
        "800",
        "--labels-per-cell",
        "4",
        "--energy-tolerance-wh",
        "0",
        "--earth-mask-deg",
        "1",
        "--out",
        tmp_path / "traverse",
    )
    assert status == 0, err
    assert json.loads(out)["found"] is True
    rows = list(csv.DictReader((tmp_path / "traverse" / "route.csv").open()))
    assert rows[0]["utc"].startswith("2026-12-01T00:00:00") and "battery_wh" in rows[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["traverse", "--start=-89.93,30", "--goal=-80,0"],
            "the goal (-80.0°, 0.0°) is off the map",
        ),
        (["traverse", "--start=abc", "--goal=-80,0"], "--start 'abc' is not LAT,LON"),
        (
            ["traverse", "--start=-89.93,30", "--goal=-89.9,300", "--earth-mask-deg", "nan"],
            "the Earth mask nan° must lie between -90° and 90°",
        ),
        (["hop", "--waypoint=-89.85,222"], "two waypoints"),
        (
            ["thermal", "--lat", "-89.9", "--lon", "0", "--size-km", "-1"],
            "--size-km must be positive",
        ),
        (
            ["thermal", "--lat", "-89.9", "--lon", "0", "--ice-criterion", "mean"],
            "--ice-criterion must be max-110K or sublimation, got 'mean'",
        ),
        (
            ["thermal", "--flat", "--lat", "-88", "--ice-criterion", "sublimation"],
            "--flat draws a flat surface's diurnal curve, which judges no ice",
        ),
    ],
)
def test_bad_input_is_one_line(capsys, dem, tmp_path, args, message):
    out_dir = tmp_path / "out"
    status, _, err = run(capsys, "explore", *args, "--dem", dem, "--out", out_dir)
    assert status == 1
    assert message in err and "Traceback" not in err
    assert not out_dir.exists()


@pytest.mark.parametrize(
    ("option", "value"), [("--labels-per-cell", "0"), ("--energy-tolerance-wh", "-1")]
)
def test_search_options_out_of_range(capsys, dem, tmp_path, option, value):
    out_dir = tmp_path / "out"
    status, _, err = run(
        capsys,
        "explore",
        "traverse",
        "--start=-89.93,30",
        "--goal=-89.9,300",
        "--dem",
        dem,
        option,
        value,
        "--out",
        out_dir,
    )
    assert status == 2 and f"Invalid value for '{option}'" in err and "Traceback" not in err
    assert not out_dir.exists()
