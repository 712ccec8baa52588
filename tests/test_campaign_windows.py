"""Landing windows: the finder against the environment engine run plainly on each stay alone,
the Earth's monthly cycle at the pole, profiles that cannot be met, the calendar files, and
bad input."""

from __future__ import annotations

import csv

import icalendar
import numpy as np
import pytest

from ilrs.campaign.windows import (
    CALENDAR_COLUMNS,
    LandingOption,
    StayProfile,
    feasible_windows,
    find_landing_windows,
    write_calendar_csv,
    write_calendar_ics,
)
from ilrs.environment import analyze_site, read_horizon_csv
from ilrs.errors import InputError
from ilrs.sky import Times, parse_utc, utc_range

POLE = (-89.45, 222.69)  # near Shackleton's rim (Connecting Ridge)
LIMB_EQUATOR = (0.0, 90.0)  # the Earth rises and sets there with the libration
NEAR_EQUATOR = (0.0, 0.0)  # the Earth always up; a fortnight of night each month
FIRST, LAST = "2026-01-01T00:00:00Z", "2026-03-01T00:00:00Z"


def write_horizon(path, elevations_deg) -> object:
    """A horizon profile CSV at azimuths 0, 90, 180, 270, read back the way users give one."""
    rows = "".join(
        f"{azimuth},{elevation}\n"
        for azimuth, elevation in zip((0, 90, 180, 270), elevations_deg, strict=True)
    )
    path.write_text("azimuth_deg,elevation_deg\n" + rows)
    return read_horizon_csv(path)


@pytest.fixture(scope="module")
def horizons(tmp_path_factory):
    folder = tmp_path_factory.mktemp("horizons")
    return {
        "flat": write_horizon(folder / "flat.csv", (0, 0, 0, 0)),
        "uneven": write_horizon(folder / "uneven.csv", (0.5, 2.0, 0.5, 1.0)),
        "wall": write_horizon(folder / "wall.csv", (80, 80, 80, 80)),
    }


def plain_stay(horizon, site, landing_utc, stay_days, spell, stations):
    """The figures of one stay from its own analysis, the obvious way: a series over exactly
    [landing, landing + stay] at 1 h, its darkness spells, the margin of contact walked from
    the landing to the first instant out of contact (the crossing placed linearly)."""
    start_tdb_s = parse_utc(landing_utc).tdb_s[0]
    end = Times(np.array([start_tdb_s + stay_days * 86400.0])).utc_iso(3)[0]
    stay = analyze_site(horizon, *site, utc_range(landing_utc, end, "1h"), stations=stations)
    darkness = [spell.duration_h for spell in stay.intervals("darkness")]
    margin = stay.margin_deg(spell)
    tdb_s = stay.times.tdb_s
    if margin[0] <= 0:
        contact_h = 0.0
    else:
        out = np.flatnonzero(margin <= 0)
        if out.size == 0:
            contact_h = (tdb_s[-1] - tdb_s[0]) / 3600.0
        else:
            k = out[0]
            crossing = tdb_s[k - 1] + margin[k - 1] / (margin[k - 1] - margin[k]) * 3600.0
            contact_h = (crossing - tdb_s[0]) / 3600.0
    return {
        "sunlit_fraction": float(np.mean(stay.sun.disk_fraction)),
        "longest_darkness_h": max(darkness, default=0.0),
        "earth_contact_h": contact_h,
        "sunlit_at_landing": bool(stay.sun.any_margin_deg[0] > 0),
    }


CASES = {
    # horizon, site, stay [d], ground contact, candidates to check, tolerance on hours
    "pole uneven horizon": ("uneven", POLE, 14.0, False, (0, 25, 57, 96, 133, 205, 236), 1e-6),
    "limb equator": ("flat", LIMB_EQUATOR, 14.0, False, (0, 11, 40, 77, 150, 236), 1e-6),
    # A stay that is no whole number of steps: the finder cuts the spells at the stay's end,
    # the plain series at its last instant before it; they may differ by under a step.
    "pole, 10.3-day stay": ("uneven", POLE, 10.3, False, (3, 90, 120, 200), 1.0),
    "pole, ground contact": ("flat", POLE, 14.0, True, (0, 30, 95, 170, 200, 230), 1e-6),
}


@pytest.mark.parametrize("case", list(CASES))
def test_finder_agrees_with_the_engine_on_each_stay(horizons, case):
    name, site, stay_days, ground, picks, tolerance_h = CASES[case]
    profile = StayProfile(
        stay_days=stay_days, earth_contact_days=2.0, require_ground_contact=ground
    )
    stations = None if ground else []
    options = find_landing_windows(horizons[name], *site, FIRST, LAST, profile, stations=stations)
    assert len(options) == 59 * 4 + 1  # every 6 h, both ends included
    assert options[1].landing_utc == "2026-01-01T06:00:00Z"
    spell = "contact" if ground else "earth"
    seen = {"darkness": 0, "partial contact": 0, "no contact": 0, "dark landing": 0}
    for index in picks:
        option = options[index]
        plain = plain_stay(horizons[name], site, option.landing_utc, stay_days, spell, stations)
        # Same instants, same disk: the mean fraction agrees to rounding.
        assert option.sunlit_fraction == pytest.approx(plain["sunlit_fraction"], abs=1e-12)
        assert option.longest_darkness_h == pytest.approx(
            plain["longest_darkness_h"], abs=tolerance_h
        )
        assert option.earth_contact_h == pytest.approx(plain["earth_contact_h"], abs=tolerance_h)
        assert option.sunlit_at_landing == plain["sunlit_at_landing"]
        seen["darkness"] += option.longest_darkness_h > 0
        seen["partial contact"] += 0 < option.earth_contact_h < stay_days * 24 - 1
        seen["no contact"] += option.earth_contact_h == 0
        seen["dark landing"] += not option.sunlit_at_landing
    # The samples exercise the cuts: spells cut at the landing and at the stay's end.
    assert seen["darkness"] >= 2 and seen["partial contact"] >= 2, seen
    if case in ("pole uneven horizon", "limb equator"):
        assert seen["no contact"] >= 1 and seen["dark landing"] >= 1, seen


def test_equator_night_cannot_be_survived_for_an_hour(horizons):
    profile = StayProfile(stay_days=30.0, max_darkness_h=1.0, earth_contact_days=0.0)
    options = find_landing_windows(
        horizons["flat"], *NEAR_EQUATOR, FIRST, LAST, profile, landing_step="1d", stations=[]
    )
    assert len(options) == 60 and not any(o.feasible for o in options)
    for option in options:
        # A 30-day stay (one synodic month and a half-day) holds at least half a lunar
        # night (about 354 h) in one piece, a whole one when it lands in daylight.
        assert option.longest_darkness_h > 354 / 2
        if option.sunlit_at_landing:
            assert option.longest_darkness_h == pytest.approx(354, abs=2)
        assert option.earth_contact_h == pytest.approx(720.0)  # the near side: Earth always up
        assert f"darkness of {option.longest_darkness_h:.1f} h within the stay" in " ".join(
            option.reasons
        )
        assert "(the lander survives 1.0 h)" in option.reasons[-1]


def test_a_wall_horizon_fails_every_need_by_name(horizons):
    profile = StayProfile(min_sunlit_fraction=0.1)
    options = find_landing_windows(horizons["wall"], *POLE, FIRST, LAST, profile, stations=[])
    assert not any(o.feasible for o in options)
    for option in options:
        assert option.sunlit_fraction == 0.0 and option.earth_contact_h == 0.0
        assert option.longest_darkness_h == pytest.approx(336.0)  # the whole stay
        text = " ".join(option.reasons)
        assert "Sun below the horizon at landing" in text
        assert "Earth below the horizon at landing (needs 48.0 h of contact)" in text
        assert "darkness of 336.0 h within the stay (the lander survives 48.0 h)" in text
        assert "mean sunlit fraction 0.000 over the stay (needs at least 0.100)" in text
        assert len(option.reasons) == 4


def runs(flags) -> list[tuple[int, int]]:
    """(first, last) index of each run of True."""
    found, start = [], None
    for index, flag in enumerate([*flags, False]):
        if flag and start is None:
            start = index
        if not flag and start is not None:
            found.append((start, index - 1))
            start = None
    return found


@pytest.fixture(scope="module")
def pole_earth_cycle(horizons):
    """Two months at the pole, judged on five days of Earth contact alone."""
    profile = StayProfile(earth_contact_days=5.0, sunlit_at_landing=False, max_darkness_h=400)
    return find_landing_windows(horizons["flat"], *POLE, FIRST, LAST, profile, stations=[])


def test_pole_feasibility_follows_the_earths_monthly_cycle(pole_earth_cycle):
    options = pole_earth_cycle
    feasible = [o.feasible for o in options]
    assert any(feasible) and not all(feasible)
    for option in options:
        assert option.feasible == (option.earth_contact_h >= 120.0)
        if not option.feasible:
            assert option.reasons[0].endswith("(needs 120.0 h of contact)")
    found = runs(feasible)
    # The Earth is up about 12 days of each 27 at this site: a run of landings each month,
    # about (12 - 5) days long, the runs a sidereal month (27.3 d) apart.
    assert len(found) == 3
    starts_tdb_s = [parse_utc(options[first].landing_utc).tdb_s[0] for first, _ in found]
    assert (starts_tdb_s[2] - starts_tdb_s[1]) / 86400.0 == pytest.approx(27.3, abs=1.0)
    for first, last in found[1:]:
        assert 5.0 <= (last - first) / 4.0 <= 9.0  # days of candidates, 6 h apart


def test_calendar_csv_and_icalendar(pole_earth_cycle, tmp_path):
    options = pole_earth_cycle
    path = write_calendar_csv(tmp_path / "out" / "calendar.csv", options)
    with path.open(newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) == len(options)
    assert tuple(rows[0]) == CALENDAR_COLUMNS
    assert {"landing_utc", "feasible", "reasons", "longest_darkness_h"} <= set(rows[0])
    for row, option in zip(rows, options, strict=True):
        assert row["landing_utc"] == option.landing_utc
        assert row["feasible"] == str(option.feasible)
        assert row["reasons"] == "; ".join(option.reasons)
        assert float(row["earth_contact_h"]) == pytest.approx(option.earth_contact_h, abs=1e-3)
    assert not list((tmp_path / "out").glob("*.partial"))

    ics = write_calendar_ics(tmp_path / "windows.ics", options, where="Connecting Ridge")
    calendar = icalendar.Calendar.from_ical(ics.read_bytes())
    events = [c for c in calendar.walk() if c.name == "VEVENT"]
    found = runs([o.feasible for o in options])
    assert len(events) == len(found) == 3
    for event, (first, last) in zip(events, found, strict=True):
        start = event.decoded("DTSTART").strftime("%Y-%m-%dT%H:%M:%SZ")
        end = event.decoded("DTEND").strftime("%Y-%m-%dT%H:%M:%SZ")
        assert (start, end) == (options[first].landing_utc, options[last].landing_utc)
        assert str(event["LOCATION"]) == "Connecting Ridge"
    # The first run starts at the first candidate: the window may have opened earlier.
    assert "began before the period analysed" in str(events[0]["DESCRIPTION"])
    assert [w.open_start for w in feasible_windows(options)] == [True, False, False]


def test_a_lone_feasible_candidate_is_its_own_event(tmp_path):
    def option(utc, feasible):
        return LandingOption(utc, feasible, (), 1.0, 0.0, 48.0, 1.0)

    options = [
        option("2026-05-01T00:00:00Z", False),
        option("2026-05-01T06:00:00Z", True),
        option("2026-05-01T12:00:00Z", False),
        option("2026-05-01T18:00:00Z", True),
        option("2026-05-02T00:00:00Z", True),
    ]
    calendar = icalendar.Calendar.from_ical(
        write_calendar_ics(tmp_path / "w.ics", options, where="X").read_bytes()
    )
    events = [c for c in calendar.walk() if c.name == "VEVENT"]
    assert [(e.decoded("DTSTART").hour, e.decoded("DTEND").hour) for e in events] == [
        (6, 6),
        (18, 0),
    ]
    assert "lasts beyond the period analysed" in str(events[1]["DESCRIPTION"])
    empty = write_calendar_ics(tmp_path / "none.ics", options[:1], where="X")
    assert not [c for c in icalendar.Calendar.from_ical(empty.read_bytes()).walk("VEVENT")]


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"stay_days": 0}, "stay_days"),
        ({"stay_days": float("nan")}, "stay_days"),
        ({"stay_days": 3.0, "earth_contact_days": 4.0}, "earth_contact_days"),
        ({"earth_contact_days": -1.0}, "earth_contact_days"),
        ({"max_darkness_h": 0.0}, "max_darkness_h"),
        ({"min_sunlit_fraction": 1.5}, "min_sunlit_fraction"),
        ({"min_sunlit_fraction": -0.1}, "min_sunlit_fraction"),
    ],
)
def test_bad_profiles_name_the_field(fields, named):
    with pytest.raises(InputError, match=named):
        StayProfile(**fields)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"first": "2026-03-01", "last": "2026-01-01"}, "last_landing_utc"),
        ({"first": "2026-13-01"}, "first_landing_utc"),
        ({"landing_step": "0h"}, "landing_step"),
        ({"landing_step": "-6h"}, "landing_step"),
        ({"landing_step": -3600.0}, "landing_step"),
        ({"landing_step": "90min"}, "landing_step"),
        ({"series_step": "0s"}, "series_step"),
        ({"profile": {"stay_days": 14}}, "profile"),
        ({"profile": StayProfile(require_ground_contact=True), "stations": []}, "stations"),
    ],
)
def test_bad_searches_name_the_field(horizons, change, named):
    arguments = {"first": FIRST, "last": LAST, "profile": StayProfile(), "stations": []} | change
    first, last, profile = arguments.pop("first"), arguments.pop("last"), arguments.pop("profile")
    with pytest.raises(InputError, match=named):
        find_landing_windows(horizons["flat"], *POLE, first, last, profile, **arguments)


def test_a_year_of_hourly_landings_agrees_across_chunks(horizons):
    """Candidates are judged against the darkness spells in blocks; the blocks' edges must
    not show."""
    profile = StayProfile(stay_days=14.0)
    options = find_landing_windows(
        horizons["flat"], *LIMB_EQUATOR, "2026-01-01", "2027-01-01", profile, landing_step="1h"
    )
    assert len(options) == 8761
    for index in (2047, 2048, 4095, 4096, 6001, 8760):
        option = options[index]
        plain = plain_stay(horizons["flat"], LIMB_EQUATOR, option.landing_utc, 14.0, "earth", [])
        assert option.longest_darkness_h == pytest.approx(plain["longest_darkness_h"], abs=1e-6)
        assert option.earth_contact_h == pytest.approx(plain["earth_contact_h"], abs=1e-6)
        assert option.sunlit_fraction == pytest.approx(plain["sunlit_fraction"], abs=1e-12)
