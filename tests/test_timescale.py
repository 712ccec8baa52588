"""UTC in, TDB inside: checked against skyfield's own time scales and known leap seconds."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from ilrs.errors import InputError
from ilrs.sky import Times, as_times, parse_duration_s, parse_utc, utc_range


def test_utc_to_tdb_matches_skyfield(skyfield_world):
    rng = np.random.default_rng(7)
    seconds = rng.uniform(
        dt.datetime(1973, 1, 1).timestamp(), dt.datetime(2045, 12, 31).timestamp(), 200
    )
    moments = [dt.datetime.fromtimestamp(s, dt.UTC).replace(tzinfo=None) for s in seconds]
    ours = as_times(moments).tdb_s
    t = skyfield_world["ts"].utc(
        [m.year for m in moments],
        [m.month for m in moments],
        [m.day for m in moments],
        [m.hour for m in moments],
        [m.minute for m in moments],
        [m.second + m.microsecond / 1e6 for m in moments],
    )
    theirs = ((t.whole - 2451545.0) + t.tdb_fraction) * 86400.0  # two parts: full precision
    # Leap seconds and TT from ERFA against skyfield's own tables: to the microsecond.
    assert np.max(np.abs(ours - theirs)) < 2e-6


def test_leap_second_2016_is_a_real_second():
    before, leap, after = parse_utc(
        ["2016-12-31T23:59:59Z", "2016-12-31T23:59:60Z", "2017-01-01T00:00:00Z"]
    ).tdb_s
    assert leap - before == pytest.approx(1.0, abs=1e-6)
    assert after - leap == pytest.approx(1.0, abs=1e-6)
    assert Times([leap]).utc_iso() == ["2016-12-31T23:59:60Z"]


def test_second_60_without_a_leap_second_is_refused():
    with pytest.raises(InputError, match="2026-12-31T23:59:60Z"):
        parse_utc("2026-12-31T23:59:60Z")


def test_j2000_epoch():
    # J2000.0 is 2000-01-01T12:00:00 TT = 11:58:55.816 UTC (TAI-UTC = 32 s then).
    (tdb_s,) = parse_utc("2000-01-01T11:58:55.816Z").tdb_s
    assert tdb_s == pytest.approx(0.0, abs=2e-3)  # TDB-TT at that instant is below 2 ms


def test_round_trip_keeps_fractions():
    text = ["2030-06-15T08:30:12.250Z", "2040-02-29T00:00:00.001Z"]
    assert parse_utc(text).utc_iso() == text
    assert parse_utc("2030-06-15T08:30:12Z").utc_iso() == ["2030-06-15T08:30:12Z"]


def test_forms_accepted():
    forms = ["2031-03-04", "2031-03-04T00:00", "2031-03-04 00:00:00", "2031-03-04T00:00:00+00:00"]
    values = parse_utc(forms).tdb_s
    assert np.all(values == values[0])


def test_offsets_other_than_utc_are_refused():
    with pytest.raises(InputError, match=r"offset \+08:00"):
        parse_utc("2031-03-04T08:00:00+08:00")


def test_unreadable_time_names_its_place():
    with pytest.raises(InputError, match=r"times.txt, line 7: cannot read time 'yesterday'"):
        parse_utc(["2030-01-01", "yesterday"], source="times.txt", line_numbers=[3, 7])


def test_range_is_inclusive_and_stays_on_the_hour_across_a_leap_second():
    times = utc_range("2016-12-31T22:00:00Z", "2017-01-01T02:00:00Z", "1h")
    assert times.utc_iso() == [
        "2016-12-31T22:00:00Z",
        "2016-12-31T23:00:00Z",
        "2017-01-01T00:00:00Z",
        "2017-01-01T01:00:00Z",
        "2017-01-01T02:00:00Z",
    ]
    # The hour that holds the leap second lasts 3601 SI seconds.
    assert np.diff(times.tdb_s)[1] == pytest.approx(3601.0, abs=1e-5)
    assert np.diff(times.tdb_s)[2] == pytest.approx(3600.0, abs=1e-5)


def test_nodal_cycle_range_length():
    times = utc_range("2026-01-01T00:00:00Z", "2044-08-07T00:00:00Z", "1h")
    days = (dt.date(2044, 8, 7) - dt.date(2026, 1, 1)).days
    assert len(times) == days * 24 + 1


def test_range_errors():
    with pytest.raises(InputError, match="before start"):
        utc_range("2030-01-02", "2030-01-01", "1h")
    with pytest.raises(InputError, match="positive"):
        utc_range("2030-01-01", "2030-01-02", 0)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1h", 3600),
        ("30min", 1800),
        ("10 s", 10),
        ("2d", 172800),
        ("PT1H30M", 5400),
        ("1.5h", 5400),
    ],
)
def test_durations(text, seconds):
    assert parse_duration_s(text) == seconds


def test_bad_duration():
    with pytest.raises(InputError, match="cannot read duration '5 parsecs'"):
        parse_duration_s("5 parsecs")


def test_datetime64_input():
    values = np.array(["2035-01-01T00:00:00", "2035-01-01T06:00:00"], dtype="datetime64[s]")
    assert as_times(values).utc_iso() == ["2035-01-01T00:00:00Z", "2035-01-01T06:00:00Z"]


def test_tdb_minus_tt_series_against_the_full_erfa_series():
    import erfa

    from ilrs.sky.timescale import tdb_minus_tt_s

    days = np.linspace(-36525.0, 36525.0, 20001)  # 1900 to 2100
    full = erfa.dtdb(2451545.0, days, np.mod(days + 0.5, 1.0), 0.0, 0.0, 0.0)
    # Circular 179 claims 10 us; the geocentric full series differs by at most that.
    assert np.max(np.abs(tdb_minus_tt_s(days) - full)) < 1.5e-5
    assert np.max(np.abs(full)) > 1.6e-3  # the test data span the annual term
