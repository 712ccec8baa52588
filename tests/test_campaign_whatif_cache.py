"""A what-if's build-ups and charts kept on disk: read back equal (floats bit for bit),
keyed by everything they are computed from (a changed load, storage, mission date,
milestone or terrain file is a new key; the sky is still shared), a damaged file computed
again, and the command's outputs the same byte for byte whether computed or read back."""

from __future__ import annotations

import json

import pytest

import ilrs.campaign.buildup
import ilrs.campaign.charts
from ilrs.campaign.buildup import BuildupFigures, YearFigures, build_up
from ilrs.campaign.scenario import load_campaign
from ilrs.campaign.whatif import Change, what_if
from ilrs.cli import main
from ilrs.cli.output import write_json
from ilrs.report.exposure_cache import (
    BUILDUP_FILE,
    TIMELINE_FILES,
    CachedBuildups,
    buildup_inputs,
    cached_timeline_files,
)
from test_campaign import small_buildup, write_small_campaign  # noqa: F401 (a fixture)
from test_exposure_cache import checked


@pytest.fixture(scope="module")
def small_sky(small_buildup, tmp_path_factory):  # noqa: F811 (the fixture, used)
    """The small campaign's station, campaign, sky and build-up, and its file."""
    return (*small_buildup, write_small_campaign(tmp_path_factory.mktemp("cached")))


def test_build_up_figures_read_back_exactly(small_sky):
    _, _, _, planned, _ = small_sky
    # A float whose shortest text is long, and a tuple (JSON has lists only).
    odd = YearFigures(2099, 0.1 + 0.2, 1e-300, -2.5e-7, 3.0, 1 / 3, 4, 6.0, 365.0, ("a", "b"))
    figures = BuildupFigures([*planned.years, odd], planned.milestones, planned.landings)
    read = BuildupFigures.from_json(json.loads(json.dumps(figures.as_json())))
    assert read == figures
    assert read.years[-1].survival_short_loads == ("a", "b")
    assert read.years[-1].continuous_power_w == 0.30000000000000004
    plain = BuildupFigures.from_json(json.loads(json.dumps(planned.as_json())))
    assert plain.timeline_columns() == planned.timeline_columns()
    assert planned.as_figures() == BuildupFigures(
        planned.years, planned.milestones, planned.landings
    )


def test_a_cached_build_up_is_reused_and_answers_the_same(small_sky, tmp_path, monkeypatch):
    station, campaign, sky, planned, _ = small_sky
    first = checked(tmp_path)
    assert CachedBuildups(station, first)(campaign) == planned.as_figures()
    assert first.computed == ["exposure", "buildup"]  # the sky first, inside the build-up

    def no_simulation(*args, **kwargs):
        raise AssertionError("simulated again")

    monkeypatch.setattr(ilrs.campaign.buildup, "build_up", no_simulation)
    again = checked(tmp_path)
    assert CachedBuildups(station, again)(campaign) == planned.as_figures()
    assert again.reused == ["buildup"] and again.computed == []  # the sky not even read


def _variants(station, campaign):
    """The station or campaign with one thing a build-up depends on (and the sky does not)
    changed, by name."""
    surface = station.surface
    louder = [surface.loads[0].model_copy(update={"power_w": 400.0}), *surface.loads[1:]]
    smaller = [surface.storage[0].model_copy(update={"capacity_wh": 500.0}), *surface.storage[1:]]
    later = [
        campaign.missions[0].model_copy(update={"launch_utc": "2030-06-01T00:00:00Z"}),
        *campaign.missions[1:],
    ]
    basic = campaign.milestones[0]
    harder = basic.model_copy(
        update={"criteria": basic.criteria.model_copy(update={"continuous_power_w": 5000.0})}
    )
    return {
        "a load's power": (station.model_copy(update={"surface": surface.model_copy(
            update={"loads": louder})}), campaign),
        "the storage": (station.model_copy(update={"surface": surface.model_copy(
            update={"storage": smaller})}), campaign),
        "a mission's launch": (station, campaign.model_copy(update={"missions": later})),
        "a milestone's criteria": (station, campaign.model_copy(update={"milestones": [harder]})),
    }  # fmt: skip


def test_a_changed_input_is_a_new_build_up_on_the_same_sky(small_sky, tmp_path):
    station, campaign, sky, planned, _ = small_sky
    CachedBuildups(station, checked(tmp_path))(campaign)
    base_key = buildup_inputs(station, campaign)
    for what, (changed_station, changed_campaign) in _variants(station, campaign).items():
        assert buildup_inputs(changed_station, changed_campaign) != base_key, what
        cache = checked(tmp_path)
        got = CachedBuildups(changed_station, cache)(changed_campaign)
        assert cache.computed == ["buildup"] and cache.reused == ["exposure"], what
        # The same as simulating it directly, and not the plan's answer.
        want = build_up(changed_station, changed_campaign, sky).as_figures()
        assert got == want, what
        assert got != planned.as_figures(), what
        # Asked again: read back.
        again = checked(tmp_path)
        assert CachedBuildups(changed_station, again)(changed_campaign) == want, what
        assert again.reused == ["buildup"], what


def test_a_changed_terrain_file_is_a_new_build_up(tmp_path):
    path = write_small_campaign(tmp_path)
    station, campaign = load_campaign(path)
    base = buildup_inputs(station, campaign)
    horizon = tmp_path / "flat.csv"
    horizon.write_text(horizon.read_text(encoding="utf-8").replace(",-1.5\n", ",-1.0\n"))
    assert buildup_inputs(station, campaign) != base


@pytest.mark.parametrize("damage", ["truncated", "garbage", "missing", "other layout"])
def test_a_damaged_build_up_is_computed_again(small_sky, tmp_path, damage):
    station, campaign, _, planned, _ = small_sky
    CachedBuildups(station, checked(tmp_path))(campaign)
    (stored,) = tmp_path.glob(f"buildup-*/{BUILDUP_FILE}")
    whole = stored.read_text(encoding="utf-8")
    if damage == "truncated":
        stored.write_text(whole[: len(whole) // 2], encoding="utf-8")
    elif damage == "garbage":
        stored.write_bytes(b"\xff\xfe not JSON")
    elif damage == "missing":
        stored.unlink()
    else:
        stored.write_text(json.dumps({"years": [{"year": 2030}]}), encoding="utf-8")
    heard = []
    again = checked(tmp_path, heard.append)
    assert CachedBuildups(station, again)(campaign) == planned.as_figures()
    assert again.computed == ["buildup"]
    assert any("buildup: unreadable, computed again" in line for line in heard), heard
    assert stored.read_text(encoding="utf-8") == whole


def test_the_charts_are_drawn_once_per_build_up(small_sky, tmp_path, monkeypatch):
    station, campaign, sky, planned, _ = small_sky
    cache = checked(tmp_path)
    drawn = cached_timeline_files(campaign, planned, cache)
    assert sorted(each.name for each in drawn.iterdir()) == sorted(TIMELINE_FILES)
    first = {name: (drawn / name).read_bytes() for name in TIMELINE_FILES}
    # What the chart shows changed: drawn anew, in another folder.
    result = what_if(station, campaign, [Change("drop", "water")], sky, baseline=planned)
    for campaign_drawn, figures, cancelled in (
        (campaign, planned, {"water": "dropped"}),  # the cancellation's reason is drawn
        (result["campaign"], result["buildup"], result["cancelled"]),
    ):
        cache = checked(tmp_path)
        other = cached_timeline_files(campaign_drawn, figures, cache, cancelled_because=cancelled)
        assert other != drawn and cache.computed == ["timeline"]
    # The same again: read back, not drawn.

    def no_drawing(*args, **kwargs):
        raise AssertionError("drawn again")

    monkeypatch.setattr(ilrs.campaign.charts, "write_timeline_files", no_drawing)
    cache = checked(tmp_path)
    assert cached_timeline_files(campaign, planned, cache) == drawn
    assert cache.reused == ["timeline"]
    assert {name: (drawn / name).read_bytes() for name in TIMELINE_FILES} == first
    # A file gone from the folder: drawn again.
    monkeypatch.undo()
    (drawn / "gantt.png").unlink()
    cache = checked(tmp_path)
    assert cached_timeline_files(campaign, planned, cache) == drawn
    assert cache.computed == ["timeline"]
    assert (drawn / "gantt.png").read_bytes() == first["gantt.png"]


def test_the_cli_what_if_reads_back_what_it_computed_byte_for_byte(
    small_sky, tmp_path, capsys, monkeypatch
):
    station, campaign, sky, planned, path = small_sky
    args = ["campaign", "whatif", str(path), "--delay", "water:100", "--drop", "scout"]
    args += ["--keep", "energy", "--cache", str(tmp_path / "cache")]

    def run(name: str) -> dict:
        assert main([*args, "--out", str(tmp_path / name)]) == 0
        printed = capsys.readouterr()
        files = {each: (tmp_path / name / each).read_bytes() for each in TIMELINE_FILES}
        files["whatif.json"] = (tmp_path / name / "whatif.json").read_bytes()
        return {"stdout": printed.out, "stderr": printed.err, **files}

    cold = run("cold")
    assert "buildup: computing" in cold["stderr"] and "timeline: computing" in cold["stderr"]

    def not_again(*args, **kwargs):
        raise AssertionError("computed again")

    monkeypatch.setattr(ilrs.campaign.buildup, "build_up", not_again)
    monkeypatch.setattr(ilrs.campaign.buildup, "campaign_exposure", not_again)
    monkeypatch.setattr(ilrs.campaign.charts, "write_timeline_files", not_again)
    warm = run("warm")
    assert warm["stderr"].count("reused") == 3  # two build-ups, one set of charts
    assert {k: v for k, v in warm.items() if k != "stderr"} == {
        k: v for k, v in cold.items() if k != "stderr"
    }
    # And what was kept is what the what-if computes with no cache at all.
    monkeypatch.undo()
    changes = [Change("delay", "water", days=100.0), Change("drop", "scout")]
    direct = what_if(station, campaign, [*changes, Change("keep", "energy")], sky)
    direct.pop("buildup"), direct.pop("campaign")
    write_json(direct, tmp_path / "direct.json")
    assert (tmp_path / "direct.json").read_bytes() == warm["whatif.json"]
