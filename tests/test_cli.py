"""The ``ilrs`` command line, end to end: real processes for the interface DESIGN.md names,
in-process calls for the many error cases."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ilrs.cli import main
from ilrs.sky import parse_utc, topocentric
from ilrs.sky.stations import station_view


def run_ilrs(*args: str) -> subprocess.CompletedProcess:
    """Run the installed console script (beside this Python), or ``python -m ilrs``."""
    script = Path(sys.executable).with_name("ilrs")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "ilrs"]
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_sky_csv_interface():
    result = run_ilrs(
        "sky",
        "--lat",
        "-89.45",
        "--lon",
        "222.69",
        "--height",
        "2",
        "--time",
        "2026-08-01T00:00:00Z",
        "--time",
        "2026-08-02T06:30:00Z",
        "--body",
        "sun",
        "--body",
        "earth",
        "--format",
        "csv",
    )
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["time"], r["body"]) for r in rows] == [
        ("2026-08-01T00:00:00Z", "sun"),
        ("2026-08-01T00:00:00Z", "earth"),
        ("2026-08-02T06:30:00Z", "sun"),
        ("2026-08-02T06:30:00Z", "earth"),
    ]
    times = parse_utc(["2026-08-01T00:00:00Z", "2026-08-02T06:30:00Z"])
    for body in ("sun", "earth"):
        expected = topocentric(body, -89.45, 222.69, times, height_m=2.0)
        got = [r for r in rows if r["body"] == body]
        assert [float(r["azimuth_deg"]) for r in got] == pytest.approx(
            expected.azimuth_deg, abs=1e-6
        )
        assert [float(r["elevation_deg"]) for r in got] == pytest.approx(
            expected.elevation_deg, abs=1e-6
        )
        assert [float(r["distance_m"]) for r in got] == pytest.approx(expected.distance_m, abs=0.1)
    assert all(r["illuminated_fraction"] == "" for r in rows if r["body"] == "sun")
    assert all(0 <= float(r["illuminated_fraction"]) <= 1 for r in rows if r["body"] == "earth")


def test_sky_json_range_and_named_site(capsys):
    status = main(
        [
            "sky",
            "--site",
            "connecting-ridge",
            "--start",
            "2030-01-01T00:00:00Z",
            "--end",
            "2030-01-02T00:00:00Z",
            "--step",
            "6h",
            "--body",
            "earth",
            "-f",
            "json",
        ]
    )
    assert status == 0
    records = json.loads(capsys.readouterr().out)
    assert len(records) == 5
    assert set(records[0]) >= {"time", "body", "azimuth_deg", "elevation_deg", "distance_m"}
    assert records[-1]["time"] == "2030-01-02T00:00:00Z"


def test_times_file(tmp_path, capsys):
    path = tmp_path / "times.txt"
    path.write_text("# instants\n2032-02-29T12:00:00Z\n\n2032-03-01T00:00:00Z  # next\n")
    assert main(["sky", "--lat", "-88.8", "--lon", "123.4", "--times-file", str(path)]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["time"] for r in rows] == ["2032-02-29T12:00:00Z"] * 2 + ["2032-03-01T00:00:00Z"] * 2


def test_subpoint(capsys):
    assert main(["subpoint", "--time", "2030-01-01T00:00:00Z", "-f", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["body"] for r in records] == ["sun", "earth"]
    assert abs(records[0]["lat_deg"]) < 1.6 and abs(records[1]["lat_deg"]) < 7


def test_stations_view_and_lists(capsys):
    assert (
        main(
            [
                "stations",
                "view",
                "--station",
                "kashi",
                "--site",
                "shackleton-rim",
                "--time",
                "2030-01-01T00:00:00Z",
                "--time",
                "2030-01-01T12:00:00Z",
            ]
        )
        == 0
    )
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    expected = station_view(
        "kashi", -88.8, 123.4, parse_utc(["2030-01-01T00:00:00Z", "2030-01-01T12:00:00Z"])
    )
    assert [float(r["elevation_deg"]) for r in rows] == pytest.approx(
        expected.elevation_deg, abs=1e-6
    )
    assert [r["above_mask"] == "True" for r in rows] == expected.above_mask.tolist()
    assert main(["stations", "list", "-f", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 6
    assert main(["sites"]) == 0
    assert "connecting-ridge" in capsys.readouterr().out


BAD_INPUTS = [
    (
        ["sky", "--lat", "95", "--lon", "0", "--time", "2030-01-01T00:00:00Z"],
        "latitude 95 degrees is outside -90..90",
    ),
    (
        ["sky", "--lat", "-89", "--lon", "0", "--time", "2030-02-30T00:00:00Z"],
        "--time, item 1: '2030-02-30T00:00:00Z' is not a valid UTC time",
    ),
    (
        ["sky", "--lat", "-89", "--lon", "0", "--time", "next tuesday"],
        "cannot read time 'next tuesday'",
    ),
    (
        ["sky", "--lat", "-89", "--lon", "0", "--time", "2030-01-01", "--body", "vulcan"],
        "unknown body 'vulcan'",
    ),
    (
        ["sky", "--lat", "-89", "--lon", "0", "--time", "2051-06-01T00:00:00Z"],
        "outside the span of the ephemeris kernels",
    ),
    (["sky", "--lat", "-89", "--lon", "0"], "no times"),
    (["sky", "--lon", "0", "--time", "2030-01-01"], "give the site"),
    (["sky", "--site", "atlantis", "--time", "2030-01-01"], "unknown site 'atlantis'"),
    (["sky", "--lat", "north", "--lon", "0", "--time", "2030-01-01"], "Invalid value for '--lat'"),
    (["sky", "--lat", "-89", "--lon", "0", "--start", "2030-01-01"], "needs --end"),
    (
        [
            "sky",
            "--lat",
            "-89",
            "--lon",
            "0",
            "--start",
            "2030-01-01",
            "--end",
            "2030-01-02",
            "--step",
            "soon",
        ],
        "cannot read duration 'soon'",
    ),
    (
        [
            "stations",
            "view",
            "--station",
            "arecibo",
            "--lat",
            "-89",
            "--lon",
            "0",
            "--time",
            "2030-01-01",
        ],
        "unknown ground station 'arecibo'",
    ),
]


@pytest.mark.parametrize(("argv", "message"), BAD_INPUTS)
def test_bad_input_is_one_clear_line(capsys, argv, message):
    status = main(argv)
    captured = capsys.readouterr()
    assert status != 0
    assert captured.err.startswith("ilrs: error: ")
    assert message in captured.err
    assert captured.err.count("\n") == 1
    assert "Traceback" not in captured.err + captured.out


def test_bad_line_in_times_file_names_file_and_line(tmp_path, capsys):
    path = tmp_path / "epochs.txt"
    path.write_text("2030-01-01T00:00:00Z\n# comment\n2030-01-01T25:00:00Z\n")
    assert main(["sky", "--lat", "-89", "--lon", "0", "--times-file", str(path)]) == 1
    assert f"{path}, line 3:" in capsys.readouterr().err


def test_bad_input_in_a_real_process_has_no_traceback():
    result = run_ilrs("sky", "--lat", "-91", "--lon", "0", "--time", "2030-01-01T00:00:00Z")
    assert result.returncode == 1
    assert result.stderr.strip() == "ilrs: error: latitude -91 degrees is outside -90..90"
    assert result.stdout == ""


def test_a_long_range_is_vectorised_not_looped():
    """Two years hourly through the CLI: a real run of the main job's size class."""
    result = run_ilrs(
        "sky",
        "--site",
        "glaser-2m",
        "--height",
        "2",
        "--start",
        "2026-01-01T00:00:00Z",
        "--end",
        "2027-12-31T23:00:00Z",
        "--step",
        "1h",
        "--body",
        "sun",
    )
    assert result.returncode == 0, result.stderr
    elevations = np.loadtxt(io.StringIO(result.stdout), delimiter=",", skiprows=1, usecols=3)
    assert elevations.size == 2 * 365 * 24
    assert 1.0 < elevations.max() < 2.6  # 0.56 deg from the pole: the Sun tops out near 2.1
