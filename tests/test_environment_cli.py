"""``ilrs site`` and ``ilrs map`` end to end: JSON and CSV out, interval tables, iCalendar
read back by an independent parser, maps and ranking, and one clear error per bad input."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
import rasterio

from ilrs.cli import main
from ilrs.environment import HorizonLine

icalendar = pytest.importorskip("icalendar")


def run(capsys, *args):
    status = main([str(a) for a in args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture(scope="module")
def flat_profile(tmp_path_factory):
    path = tmp_path_factory.mktemp("profile") / "flat.csv"
    return HorizonLine(np.arange(0.0, 360.0, 30.0), np.zeros(12)).write_csv(path)


def test_site_analyze_from_a_profile_with_intervals_and_calendar(capsys, flat_profile, tmp_path):
    status, out, _ = run(
        capsys,
        "site", "analyze", "--horizon", flat_profile, "--lat", -89.9, "--lon", 0,
        "--start", "2026-01-01", "--end", "2026-04-01", "--step", "2h",
        "--stations", "kashi,canberra",
        "--intervals-csv", tmp_path / "spells.csv", "--ical", tmp_path / "contact.ics",
        "--series-csv", tmp_path / "series.csv",
    )  # fmt: skip
    assert status == 0
    summary = json.loads(out)
    assert set(summary["stations"]) == {"kashi", "canberra"}
    assert 0 < summary["sunlit_fraction"] < 1 and summary["step_s"] == 7200.0
    assert summary["horizon"].endswith("flat.csv")
    with (tmp_path / "spells.csv").open() as stream:
        spells = list(csv.DictReader(stream))
    darkness = [row for row in spells if row["kind"] == "darkness"]
    assert max(float(row["duration_h"]) for row in darkness) == pytest.approx(
        summary["longest_darkness_h"], abs=1e-3
    )
    calendar = icalendar.Calendar.from_ical((tmp_path / "contact.ics").read_bytes())
    events = calendar.walk("VEVENT")
    sunlight = [row for row in spells if row["kind"] == "sunlight"]
    contact = [row for row in spells if row["kind"] == "contact"]
    assert len(events) == len(sunlight) + len(contact)
    first = events[0]
    assert first["DTSTART"].dt.isoformat() == sunlight[0]["start"][:19] + "+00:00"
    assert str(first["LOCATION"]).startswith("-89.9000°, 0.0000°")
    with (tmp_path / "series.csv").open() as stream:
        series = list(csv.DictReader(stream))
    assert len(series) == summary["samples"] and series[0]["time"] == "2026-01-01T00:00:00Z"


def test_site_analyze_from_a_dem_and_as_csv(capsys, tmp_path):
    dem = tmp_path / "dem.tif"
    assert (
        run(capsys, "terrain", "synth", "--out", dem, "--size-px", 64, "--resolution-m", 200)[0]
        == 0
    )
    status, out, err = run(
        capsys, "site", "analyze", "--dem", dem, "--site", "south-pole", "--start", "2026-01-01",
        "--end", "2027-01-10", "--step", "6h", "--stations", "none", "--format", "csv",
        "--max-distance-m", 8000,
    )  # fmt: skip
    assert status == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [row["year"] for row in rows] == ["all", "2026", "2027"]
    assert "contact_fraction" not in rows[0]
    assert float(rows[0]["longest_darkness_h"]) >= float(rows[2]["longest_darkness_h"])


def test_maps_and_ranking(capsys, tmp_path):
    dem, horizon = tmp_path / "dem.tif", tmp_path / "horizon.tif"
    run(capsys, "terrain", "synth", "--out", dem, "--size-px", 96, "--resolution-m", 200)
    status, _, err = run(
        capsys, "terrain", "horizon", dem, "--out", horizon, "--bearings", "grid",
        "--max-distance-m", 15000,
    )  # fmt: skip
    assert status == 0, err
    period = ("--start", "2026-01-01", "--end", "2027-01-01", "--step", "12h")
    for product in ("illumination", "earth", "psr", "darkness"):
        status, out, err = run(
            capsys, "map", product, horizon, "--out", tmp_path / f"{product}.tif", *period
        )
        assert status == 0, err
        assert f"({product}, 731 instants)" in out
    with (
        rasterio.open(tmp_path / "illumination.tif") as a,
        rasterio.open(tmp_path / "darkness.tif") as b,
    ):
        assert np.array_equal(a.read(3), b.read(1), equal_nan=True)
        assert a.tags()["SYNTHETIC"] == "true"
    with (
        rasterio.open(tmp_path / "psr.tif") as psr,
        rasterio.open(tmp_path / "illumination.tif") as a,
    ):
        assert np.array_equal(psr.read(1) == 1, a.read(2) == 0)
    status, out, err = run(
        capsys, "site", "rank", "--illumination", tmp_path / "illumination.tif",
        "--earth", tmp_path / "earth.tif", "--psr", tmp_path / "psr.tif", "--dem", dem,
        "--peaks", 3, "--format", "json",
    )  # fmt: skip
    assert status == 0, err
    rows = json.loads(out)
    assert [row["rank"] for row in rows] == list(range(1, len(rows) + 1))
    sunlit = [row["sunlit_fraction"] for row in rows]
    assert sunlit == sorted(sunlit, reverse=True)
    assert {"south-pole", "best-lit-1"} <= {row["name"] for row in rows}
    with rasterio.open(tmp_path / "illumination.tif") as a:
        assert rows[0]["sunlit_fraction"] == pytest.approx(np.nanmax(a.read(1)), abs=1e-6)
    for row in rows:
        assert row["psr_distance_m"] is None or row["psr_distance_m"] >= 0
        assert 0 <= row["slope_deg"] < 90


def test_clear_errors(capsys, flat_profile, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("azimuth_deg,elevation_deg\n0,1\n90,high\n")
    dem = tmp_path / "dem.tif"
    run(capsys, "terrain", "synth", "--out", dem, "--size-px", 32, "--resolution-m", 100)
    period = ("--start", "2026-01-01", "--end", "2026-01-02")
    cases = [
        (("--horizon", bad, "--lat", -89.9, "--lon", 0, *period), "bad.csv:3: elevation_deg"),
        (("--dem", dem, "--lat", -85.0, "--lon", 0, *period), "lies outside"),
        (("--horizon", flat_profile, "--lat", -89.9, "--lon", 0, "--start", "2051-01-01",
          "--end", "2051-01-02"), "outside"),
        (("--horizon", flat_profile, "--dem", dem, "--lat", -89.9, "--lon", 0, *period), "one of"),
        (("--horizon", flat_profile, "--lat", -89.9, "--lon", 0, *period, "--stations", "mars"),
         "unknown ground station"),
    ]  # fmt: skip
    for args, message in cases:
        status, _, err = run(capsys, "site", "analyze", *args)
        assert status == 1 and message in err and "Traceback" not in err, err
    status, _, err = run(
        capsys, "site", "analyze", "--horizon", flat_profile, "--lat", -89.9, "--lon", 0, *period,
        "--ical-spell", "moonlight", "--ical", tmp_path / "a.ics",
        "--intervals-csv", tmp_path / "a.csv",
    )  # fmt: skip
    assert status == 1 and "unknown kind of interval 'moonlight'" in err
    assert not (tmp_path / "a.csv").exists()  # checked before anything was written
    status, _, err = run(capsys, "site", "analyze", "--horizon", flat_profile, "--lat", -89.9,
                         "--lon", 0, *period, "--stations", ",")  # fmt: skip
    assert status == 1 and "names no station" in err


def test_maps_refuse_to_overwrite_or_misread_their_input(capsys, tmp_path):
    dem = tmp_path / "dem.tif"
    run(capsys, "terrain", "synth", "--out", dem, "--size-px", 32, "--resolution-m", 100)
    period = ("--start", "2026-01-01", "--end", "2026-01-03", "--step", "6h")
    before = dem.read_bytes()
    cases = [
        (("psr", dem, "--out", dem), "is the input"),
        (("psr", dem, "--out", tmp_path / "dem.tif.tif"), None),  # a fine name: works
        (("illumination", tmp_path / "dem.tif.tif", "--out", tmp_path / "again.tif"),
         "neither a horizon map nor a DEM"),
        (("psr", tmp_path / "notes.txt", "--out", tmp_path / "x.tif"), "unknown DEM format"),
        (("psr", dem, "--out", dem / "x.tif"), "cannot write"),
        (("psr", dem, "--out", tmp_path / "y.tif", "--tile-px", 8), "--tile-px must be"),
    ]  # fmt: skip
    (tmp_path / "notes.txt").write_text("not a map")
    for args, message in cases:
        status, _, err = run(capsys, "map", *args, *period)
        if message is None:
            assert status == 0, err
        else:
            assert status == 1 and message in err and "Traceback" not in err, err
    assert dem.read_bytes() == before
    assert not (tmp_path / "y.horizon.tif").exists()  # refused before any work


def test_a_map_straight_from_a_dem_keeps_its_horizon_map(capsys, tmp_path):
    dem = tmp_path / "dem.tif"
    run(capsys, "terrain", "synth", "--out", dem, "--size-px", 48, "--resolution-m", 100)
    period = ("--start", "2026-01-01", "--end", "2026-02-01", "--step", "6h")
    out = tmp_path / "maps" / "light.tif"
    status, _, err = run(capsys, "map", "illumination", dem, "--out", out, *period,
                         "--max-distance-m", 4000, "--height-m", 2)  # fmt: skip
    assert status == 0, err
    horizon = tmp_path / "maps" / "light.horizon.tif"
    with rasterio.open(horizon) as dataset:
        assert dataset.count == 36 and dataset.tags()["HEIGHT_ABOVE_GROUND_M"] == "2"
    again = tmp_path / "maps" / "again.tif"
    assert run(capsys, "map", "illumination", horizon, "--out", again, *period)[0] == 0
    with rasterio.open(out) as a, rasterio.open(again) as b:
        assert np.array_equal(a.read(), b.read(), equal_nan=True)


def test_a_site_without_terrain_given_stands_on_the_real_cap(capsys):
    """No --dem, no --horizon, no real profile of its own: the Chang'e-7 target area on
    the embedded LOLA cap, lit part of the year (not silently dark), its figures with
    their spread over the 1600 m pixel; a point whose 300 km of horizon leaves the cap is
    told where."""
    period = ("--start", "2026-01-01", "--end", "2026-04-01", "--step", "3h")
    status, out, err = run(capsys, "site", "analyze", "--site", "shackleton-rim", *period)
    assert status == 0, err
    answer = json.loads(out)
    assert answer["terrain"].startswith("LOLA LDEM_256 polar cap") and "(real)" in answer["terrain"]
    assert 0.2 < answer["sunlit_fraction"] < 0.95 and "horizon_note" not in answer
    low, high = answer["spread"]["sunlit_fraction"]
    assert low <= answer["sunlit_fraction"] <= high
    status, out, err = run(
        capsys, "site", "analyze", "--lat", "-75.5", "--lon", "0", *period, "--stations", "none"
    )
    assert status == 0, err
    assert json.loads(out)["horizon_note"].startswith("horizon truncated at 16")
