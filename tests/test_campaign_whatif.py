"""What-if's one rule: what depends on a dropped mission is dropped with it (or kept, and
said), and every reader (build-up, Gantt data, milestones, findings) sees that same
campaign. A change naming no mission is refused before any sky is computed."""

from __future__ import annotations

import json

import pytest

import ilrs.campaign.buildup
import ilrs.station.exposure
from ilrs.campaign.scenario import load_campaign
from ilrs.campaign.whatif import Change, what_if
from ilrs.cli import main
from ilrs.errors import InputError
from test_campaign import SMALL, small_buildup, write_small_campaign  # noqa: F401 (a fixture)


@pytest.fixture(scope="module")
def small_sky(small_buildup, tmp_path_factory):  # noqa: F811 (the fixture, used)
    """The small campaign's station, campaign, sky and build-up (test_campaign's, computed
    once), and its file for the command line."""
    return (*small_buildup, write_small_campaign(tmp_path_factory.mktemp("whatif")))


def _flown(result) -> set[str]:
    return set(result["buildup"].landings)


def test_dropping_a_mission_cancels_what_depends_on_it_transitively(small_sky):
    station, campaign, sky, planned, _ = small_sky
    result = what_if(station, campaign, [Change("drop", "scout")], sky, baseline=planned)
    changed = result["campaign"]
    # scout -> energy -> water: all three go, in the campaign the Gantt draws ...
    assert [m.status for m in changed.missions] == ["cancelled"] * 3
    # ... and in the build-up: nothing lands, no element is installed.
    assert _flown(result) == set()
    surface = result["buildup"].station.surface
    assert surface.solar_arrays == [] and surface.isru is None
    assert result["cancelled"] == {
        "scout": "dropped",
        "energy": "depends on 'scout', dropped",
        "water": "depends on 'energy', cancelled",
    }


def test_the_findings_agree_with_the_build_up(small_sky):
    station, campaign, sky, planned, _ = small_sky
    result = what_if(station, campaign, [Change("drop", "energy")], sky, baseline=planned)
    flown = _flown(result)
    assert flown == {"scout"}
    messages = [finding["message"] for finding in result["findings"]]
    # No finding says a mission is gone while the build-up still flies it.
    for name in flown:
        assert not any(f"{name!r}" in m and "dropped" in m for m in messages), messages
    assert (
        "mission 'water' is cancelled (depends on 'energy', dropped): left out of the "
        "build-up with it: ISRU plant 'plant'"
    ) in messages
    # Each element left out is said once, with the mission that would have brought it.
    assert sum("'station survival'" in m for m in messages) == 1
    basic = result["milestones"][0]
    assert basic["changed"] and "water per year 0 kg in 2032 < 100 kg" in basic["reasons_after"]


def test_a_kept_dependent_flies_and_says_so(small_sky):
    station, campaign, sky, planned, _ = small_sky
    changes = [Change("drop", "energy"), Change("keep", "water")]
    result = what_if(station, campaign, changes, sky, baseline=planned)
    assert _flown(result) == {"scout", "water"}
    assert result["cancelled"] == {"energy": "dropped"}
    assert result["campaign"].mission("water").depends_on == []
    assert any(
        f["mission"] == "water" and "kept though 'energy'" in f["message"]
        for f in result["findings"]
    )


def test_a_keep_must_name_a_mission_the_drop_would_cancel(small_sky):
    station, campaign, sky, planned, _ = small_sky
    with pytest.raises(InputError, match="depends on no dropped mission"):
        what_if(station, campaign, [Change("keep", "water")], sky, baseline=planned)


def test_survival_shortfalls_name_loads_that_are_there(small_sky):
    """A survival load left out with its mission cannot go short: the milestone names the
    survival loads that did, all of them on the station."""
    station, campaign, sky, planned, _ = small_sky
    text = SMALL.replace("capacity_wh: 5000}", "capacity_wh: 500}")  # a lander that fails
    path = small_sky[4].with_name("weak.yaml")
    path.write_text(text, encoding="utf-8")
    station, campaign = load_campaign(path)
    result = what_if(station, campaign, [Change("drop", "energy")], sky)
    installed = {load.name for load in result["buildup"].station.surface.loads}
    assert "station survival" not in installed
    [reason] = [
        r for r in result["milestones"][0]["reasons_after"] if r.startswith("survival loads")
    ]
    assert reason.endswith("(lander survival)"), reason


def test_a_misspelt_mission_is_refused_before_the_sky(small_sky, tmp_path, monkeypatch, capsys):
    def no_sky(*args, **kwargs):
        raise AssertionError("the sky was computed before the change was checked")

    monkeypatch.setattr(ilrs.campaign.buildup, "campaign_exposure", no_sky)
    monkeypatch.setattr(ilrs.station.exposure, "site_exposure", no_sky)
    out = tmp_path / "whatif"
    path = str(small_sky[4])
    assert main(["campaign", "whatif", path, "--drop", "energie", "--out", str(out)]) == 1
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1
    assert "no mission 'energie'" in error and "scout, energy, water" in error
    assert not out.exists()  # refused before the output folder too


def test_the_cli_reports_the_cancelled_missions(small_sky, tmp_path, capsys):
    out = tmp_path / "whatif"
    path = str(small_sky[4])
    cache = ["--cache", str(tmp_path / "cache")]
    assert main(["campaign", "whatif", path, "--drop", "energy", "--out", str(out), *cache]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["cancelled"] == {"energy": "dropped", "water": "depends on 'energy', dropped"}
    written = json.loads((out / "whatif.json").read_text())
    assert written["cancelled"] == report["cancelled"]
    assert (
        main(
            ["campaign", "whatif", path, "--drop", "energy", "--keep", "water", "--out", str(out)]
            + ["--force", *cache]
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out)["cancelled"] == {"energy": "dropped"}
