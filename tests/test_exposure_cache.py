"""The campaign's sky kept on disk: read back bit for bit, keyed by exactly what it is
computed from, a damaged file computed again, and what-ifs on it answering as without it."""

from __future__ import annotations

import dataclasses
import json
import shutil

import numpy as np
import pytest

from ilrs.campaign.buildup import build_up, campaign_exposure
from ilrs.campaign.scenario import load_campaign
from ilrs.campaign.whatif import Change, what_if
from ilrs.cli import main
from ilrs.data import data_path
from ilrs.report.exposure_cache import EXPOSURE_FILE, cached_campaign_exposure, exposure_inputs
from ilrs.report.steps import StepCache
from ilrs.station.exposure_file import UnreadableExposureError, read_exposure, write_exposure
from test_campaign import write_small_campaign


def checked(root, progress=None) -> StepCache:
    """A step cache as the command line and the web make one: checked, then used."""
    cache = StepCache(root, progress or (lambda line: None))
    cache.check()
    return cache


def assert_same_exposure(got, want) -> None:
    """Every field equal, arrays bit for bit (NaN where NaN)."""
    for field in dataclasses.fields(want):
        a, b = getattr(got, field.name), getattr(want, field.name)
        if field.name == "times":
            np.testing.assert_array_equal(a.tdb_s, b.tdb_s, strict=True)
        elif field.name == "arrays":
            assert list(a) == list(b)
            for name in b:
                np.testing.assert_array_equal(a[name].disk_fraction, b[name].disk_fraction)
                np.testing.assert_array_equal(a[name].incidence_cos, b[name].incidence_cos)
        elif field.name == "links":
            assert len(a) == len(b)
            for x, y in zip(a, b, strict=True):
                assert (x.name, x.link, x.receiver) == (y.name, y.link, y.receiver)
                np.testing.assert_array_equal(x.distance_m, y.distance_m, strict=True)
                assert (x.weather_db is None) == (y.weather_db is None)
                if y.weather_db is not None:
                    np.testing.assert_array_equal(x.weather_db, y.weather_db, strict=True)
        elif isinstance(b, dict) and b and isinstance(next(iter(b.values())), np.ndarray):
            assert list(a) == list(b)
            for name in b:
                np.testing.assert_array_equal(a[name], b[name], strict=True)
        elif isinstance(b, np.ndarray):
            np.testing.assert_array_equal(a, b, strict=True)
        else:
            assert a == b and type(a) is type(b), field.name


@pytest.fixture(scope="module")
def reference_fortnight():
    """The reference station (real terrain, Queqiao-2, three ground stations with weather)
    over a fortnight: every kind of array the exposure holds."""
    station, campaign = load_campaign(data_path("campaign_reference.yaml"))
    timeline = campaign.timeline.model_copy(
        update={"start": "2030-01-01T00:00:00Z", "end": "2030-01-15T00:00:00Z"}
    )
    campaign = campaign.model_copy(update={"timeline": timeline})
    return station, campaign, campaign_exposure(station, campaign)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    folder = tmp_path_factory.mktemp("small")
    path = write_small_campaign(folder)
    station, campaign = load_campaign(path)
    return path, station, campaign, campaign_exposure(station, campaign)


def test_an_exposure_reads_back_bit_for_bit(reference_fortnight, tmp_path):
    _, _, sky = reference_fortnight
    assert sky.links and any(use.weather_db is not None for use in sky.links)
    assert sky.relay_rate_bps and sky.station_available and sky.arrays
    # A relay's upkeep appears over months only: given here, so its JSON goes through too.
    upkeep = {"Queqiao-2": {"lowest_perilune_km": 299.5, "hold_delta_v_m_s_per_year": 0.1}}
    sky = dataclasses.replace(sky, relay_upkeep=upkeep)
    path = write_exposure(sky, tmp_path / "sky.npz")
    assert [each.name for each in tmp_path.iterdir()] == ["sky.npz"]  # no temporary left
    assert_same_exposure(read_exposure(path), sky)


def test_the_cached_sky_is_reused_and_answers_the_same(reference_fortnight, tmp_path):
    station, campaign, sky = reference_fortnight
    first = checked(tmp_path / "cache")
    assert_same_exposure(cached_campaign_exposure(station, campaign, first), sky)
    assert first.computed == ["exposure"]
    again = checked(tmp_path / "cache")
    read = cached_campaign_exposure(station, campaign, again)
    assert again.reused == ["exposure"] and again.computed == []
    assert_same_exposure(read, sky)
    computed, cached = build_up(station, campaign, sky), build_up(station, campaign, read)
    assert computed.timeline_columns() == cached.timeline_columns()
    assert computed.milestones == cached.milestones


def test_a_what_if_on_the_cached_sky_is_the_same(small, tmp_path):
    _, station, campaign, sky = small
    cache = checked(tmp_path)
    cached_campaign_exposure(station, campaign, cache)
    read = cached_campaign_exposure(station, campaign, checked(tmp_path))
    changes = [Change("delay", "water", days=200.0), Change("drop", "scout")]
    for change in ([Change("drop", "energy")], changes):
        want = what_if(station, campaign, change, sky)
        got = what_if(station, campaign, change, read)
        for key in ("changes", "cancelled", "milestones", "findings", "years"):
            assert got[key] == want[key], key
        assert got["buildup"].timeline_columns() == want["buildup"].timeline_columns()
        assert want["milestones"][0]["passed_before"]  # a real comparison: it was met


def _variant(station, campaign, station_update=None, campaign_update=None):
    return exposure_inputs(
        station.model_copy(update=station_update or {}),
        campaign.model_copy(update=campaign_update or {}),
    )


def test_the_key_changes_with_what_the_sky_is_computed_from():
    station, campaign = load_campaign(data_path("campaign_reference.yaml"))
    base = exposure_inputs(station, campaign)
    surface, site = station.surface, station.site

    def arrays(**update):
        changed = [surface.solar_arrays[0].model_copy(update=update), *surface.solar_arrays[1:]]
        return {"surface": surface.model_copy(update={"solar_arrays": changed})}

    dte = surface.dte.model_copy(update={"frequency_hz": surface.dte.frequency_hz * 1.01})
    relay = station.orbital.relays[0]
    to_earth = relay.to_earth.model_copy(update={"margin_db": 6.0})
    relay = relay.model_copy(update={"to_earth": to_earth})
    kashi = station.ground.stations[0].model_copy(update={"hours_per_day": 6.0})
    changed = {
        "an array's height": _variant(station, campaign, arrays(height_m=10.0)),
        "an array's facing": _variant(station, campaign, arrays(azimuth_deg=45.0)),
        "the direct link's frequency": _variant(
            station, campaign, {"surface": surface.model_copy(update={"dte": dte})}
        ),
        "a relay's link": _variant(
            station, campaign, {"orbital": station.orbital.model_copy(update={"relays": [relay]})}
        ),
        "a ground station's hours": _variant(
            station,
            campaign,
            {"ground": station.ground.model_copy(update={"stations": [kashi]})},
        ),
        "the site": _variant(
            station, campaign, {"site": site.model_copy(update={"name": "shackleton-rim"})}
        ),
        "the horizon's reach": _variant(
            station, campaign, {"site": site.model_copy(update={"max_distance_m": 100_000.0})}
        ),
        "the step": _variant(
            station,
            campaign,
            campaign_update={"timeline": campaign.timeline.model_copy(update={"step": "1h"})},
        ),
    }
    for what, inputs in changed.items():
        assert inputs != base, what
    unchanged = {
        "an array's cells": _variant(station, campaign, arrays(cell_efficiency=0.2)),
        "an array's arrival": _variant(station, campaign, arrays(installed_utc="2040-01-01")),
        "a load's power": _variant(
            station,
            campaign,
            {
                "surface": surface.model_copy(
                    update={"loads": [surface.loads[0].model_copy(update={"power_w": 1.0})]}
                )
            },
        ),
        "the storage": _variant(
            station, campaign, {"surface": surface.model_copy(update={"storage": []})}
        ),
        "a mission's launch": _variant(
            station,
            campaign,
            campaign_update={
                "missions": [
                    campaign.missions[0].model_copy(update={"launch_utc": "2027-01-01T00:00:00Z"}),
                    *campaign.missions[1:],
                ]
            },
        ),
    }
    for what, inputs in unchanged.items():
        assert inputs == base, what


def test_what_the_key_leaves_out_does_not_change_the_sky(small):
    """Independently of the key: the sky computed again with a load's power, an array's
    cells, the storage and a mission's date changed is the same, bit for bit."""
    _, station, campaign, sky = small
    surface = station.surface
    changed_station = station.model_copy(
        update={
            "surface": surface.model_copy(
                update={
                    "loads": [surface.loads[0].model_copy(update={"power_w": 4000.0})],
                    "storage": [],
                    "solar_arrays": [
                        array.model_copy(update={"cell_efficiency": 0.1})
                        for array in surface.solar_arrays
                    ],
                }
            )
        }
    )
    moved = [campaign.missions[0].model_copy(update={"launch_utc": "2030-06-01T00:00:00Z"})]
    changed_campaign = campaign.model_copy(update={"missions": moved + campaign.missions[1:]})
    assert exposure_inputs(changed_station, changed_campaign) == exposure_inputs(station, campaign)
    assert_same_exposure(campaign_exposure(changed_station, changed_campaign), sky)


def test_a_changed_terrain_file_is_a_new_key(small):
    path, station, campaign, _ = small
    base = exposure_inputs(station, campaign)
    horizon = path.parent / "flat.csv"
    text = horizon.read_text(encoding="utf-8")
    try:
        horizon.write_text(text.replace(",-1.5\n", ",-1.0\n"), encoding="utf-8")
        assert exposure_inputs(station, campaign) != base
    finally:
        horizon.write_text(text, encoding="utf-8")
    assert exposure_inputs(station, campaign) == base


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty", "missing"])
def test_a_damaged_cache_file_is_computed_again(small, tmp_path, damage):
    _, station, campaign, sky = small
    cache = checked(tmp_path)
    cached_campaign_exposure(station, campaign, cache)
    (folder,) = [each for each in tmp_path.iterdir() if each.name.startswith("exposure-")]
    stored = folder / EXPOSURE_FILE
    whole = stored.read_bytes()
    if damage == "truncated":
        stored.write_bytes(whole[: len(whole) // 2])
    elif damage == "garbage":
        stored.write_bytes(b"not a zip file" * 100)
    elif damage == "empty":
        stored.write_bytes(b"")
    else:
        stored.unlink()
    with pytest.raises(UnreadableExposureError):
        read_exposure(stored)
    heard = []
    again = checked(tmp_path, heard.append)
    assert_same_exposure(cached_campaign_exposure(station, campaign, again), sky)
    assert again.computed == ["exposure"] and again.reused == []
    assert any("unreadable, computed again" in line for line in heard), heard
    assert stored.read_bytes() == whole  # written whole again


def test_the_cli_what_if_reuses_the_sky_and_answers_the_same(small, tmp_path, capsys, monkeypatch):
    path = str(small[0])
    cache = tmp_path / "cache"
    outputs = []
    for run in ("first", "second"):
        out = tmp_path / run
        for kept in [*cache.glob("buildup-*"), *cache.glob("timeline-*")]:
            shutil.rmtree(kept)  # (kept too; here only the sky is to be read back)
        args = ["campaign", "whatif", path, "--drop", "energy", "--out", str(out)]
        assert main([*args, "--cache", str(cache)]) == 0
        err = capsys.readouterr().err
        assert ("exposure: computing" if run == "first" else "exposure: reused") in err, err
        outputs.append(json.loads((out / "whatif.json").read_text(encoding="utf-8")))
    assert outputs[0] == outputs[1]
    # Without --cache: the user's cache folder (XDG Base Directory), under steps/.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home-cache"))
    args = ["campaign", "whatif", path, "--drop", "energy", "--out", str(tmp_path / "default")]
    assert main(args) == 0
    capsys.readouterr()
    steps = tmp_path / "home-cache" / "ilrs" / "steps"
    assert [each.name[:9] for each in steps.glob("exposure-*")] == ["exposure-"]
    # A folder of someone else's files is not taken for a cache.
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("x", encoding="utf-8")
    args = ["campaign", "whatif", path, "--drop", "energy", "--out", str(tmp_path / "third")]
    assert main([*args, "--cache", str(tmp_path / "mine")]) == 1
    assert "not ILRS Planner's cache" in capsys.readouterr().err
