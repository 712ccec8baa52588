"""Time: UTC at the edges, TDB inside.

Every instant inside the engine is a count of TDB seconds past J2000 (what SPICE calls
"ephemeris time"), held in :class:`Times`. UTC strings come in and go out in ISO 8601 with
``Z``. Leap seconds come from the table built into ERFA (the IAU SOFA library); times after
its last entry assume no further leap second, as every ephemeris tool must until IERS
announces one. TDB − TT is the series of USNO Circular 179 (Kaplan 2005, eq. 2.6), good to
10 µs over 1600–2200 (the Moon moves 1 cm in that time) and 100× faster than ERFA's full
``dtdb``, against which the tests check it.
"""

from __future__ import annotations

import datetime as _dt
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import erfa
import numpy as np

from ilrs.errors import InputError
from ilrs.sky.constants import J2000_JD, SECONDS_PER_DAY

__all__ = [
    "Times",
    "as_times",
    "parse_duration_s",
    "parse_utc",
    "tdb_minus_tt_s",
    "tt_jd",
    "utc_jd",
    "utc_range",
]

_ISO_UTC = re.compile(
    r"""^\s*(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})
        (?:[T\s](?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}(?:\.\d*)?))?)?
        \s*(?P<zone>Z|UTC|[+-]\d{2}:?\d{2})?\s*$""",
    re.VERBOSE | re.IGNORECASE | re.ASCII,  # ISO 8601's digits only (not '２', '٢')
)
_MJD_ZERO = 2_400_000.5  # Julian date of MJD 0
# The most instants a range may hold unless a caller asks for more: 570 years at 1 h, 9.5
# years at 1 min (an 18.6-year nodal cycle at 1 h is 163,000); made in a few seconds and
# about 0.5 GB.
MAX_RANGE_INSTANTS = 5_000_000
_UTC_ZONES = {"Z", "UTC", "+00:00", "+0000", "-00:00", "-0000"}

_DURATION_UNITS_S = {
    "s": 1.0,
    "sec": 1.0,
    "second": 1.0,
    "seconds": 1.0,
    "m": 60.0,
    "min": 60.0,
    "minute": 60.0,
    "minutes": 60.0,
    "h": 3600.0,
    "hr": 3600.0,
    "hour": 3600.0,
    "hours": 3600.0,
    "d": 86400.0,
    "day": 86400.0,
    "days": 86400.0,
}
_DURATION = re.compile(
    r"^\s*(?P<value>\d+(?:\.\d*)?|\.\d+)\s*(?P<unit>[a-z]+)\s*$", re.IGNORECASE | re.ASCII
)
_ISO_DURATION = re.compile(
    r"^P(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<s>\d+(?:\.\d+)?)S)?)?$",
    re.IGNORECASE | re.ASCII,
)


@dataclass(frozen=True)
class Times:
    """A 1-D array of instants, as TDB seconds past J2000 (``tdb_s``)."""

    tdb_s: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "tdb_s", np.atleast_1d(np.asarray(self.tdb_s, dtype=float)))

    def __len__(self) -> int:
        return self.tdb_s.size

    def __getitem__(self, index) -> Times:
        return Times(self.tdb_s[index])

    def utc_iso(self, decimals: int | None = None) -> list[str]:
        """The instants as ISO 8601 UTC strings with ``Z``.

        ``decimals`` is the number of digits of the second kept; by default 0, or 3 when any
        instant has a fraction of a second (within a microsecond).
        """
        utc1, utc2 = utc_jd(self.tdb_s)
        if decimals is None:
            _, _, _, ihmsf = _d2dtf(6, utc1, utc2)
            decimals = 3 if np.any(ihmsf["f"] != 0) else 0
        year, month, day, ihmsf = _d2dtf(decimals, utc1, utc2)
        columns = zip(
            year.tolist(),
            month.tolist(),
            day.tolist(),
            ihmsf["h"].tolist(),
            ihmsf["m"].tolist(),
            ihmsf["s"].tolist(),
            ihmsf["f"].tolist(),
            strict=True,
        )
        return [
            f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}"
            + (f".{f:0{decimals}d}Z" if decimals else "Z")
            for y, mo, d, h, mi, s, f in columns
        ]


def parse_utc(
    texts: str | Iterable[str],
    *,
    source: str | None = None,
    line_numbers: Sequence[int] | None = None,
) -> Times:
    """Parse ISO 8601 UTC strings (``2026-08-01T12:00:00Z``) into :class:`Times`.

    Accepted: a date alone (midnight), ``T`` or a space before the time, seconds optional and
    fractional, ``23:59:60`` on a day that ends with a leap second, and the zone ``Z``
    (or none). ``source`` names where the strings came from (a file), for error messages,
    with ``line_numbers`` (one per string) giving each string's line there.
    """
    return Times(_utc_jd_to_tdb_s(*_parse_utc_jd(texts, source, line_numbers)))


def utc_range(
    start: str, end: str, step: str | float, *, max_instants: int = MAX_RANGE_INSTANTS
) -> Times:
    """Instants from ``start`` to ``end`` (inclusive where a step lands on it) at ``step``.

    ``step`` is a duration string (``1h``, ``30min``, ``PT10M``) or seconds. Steps are
    counted on the UTC clock, so hourly instants stay on the hour across a leap second
    (the hour that holds one lasts 3601 SI seconds). More than ``max_instants`` is an
    :class:`InputError`, told before any is made.
    """
    step_s = parse_duration_s(step) if isinstance(step, str) else float(step)
    if not np.isfinite(step_s) or step_s <= 0:
        raise InputError(f"step must be a positive duration, got {step!r}")
    start_day_mjd, start_clock_s = _utc_clock(start, "start")
    end_day_mjd, end_clock_s = _utc_clock(end, "end")
    span_s = (end_day_mjd - start_day_mjd) * SECONDS_PER_DAY + (end_clock_s - start_clock_s)
    if span_s < 0:
        raise InputError(f"end {end!r} is before start {start!r}")
    count = int(np.floor(span_s / step_s * (1 + 1e-12) + 1e-9)) + 1
    if count > max_instants:
        raise InputError(
            f"{start} to {end} at a step of {step_s:g} s is {count:,} instants, more than "
            f"{max_instants:,}; choose a longer step or a shorter period"
        )
    clock_s = start_clock_s + np.arange(count) * step_s
    day_offset = np.floor(clock_s / SECONDS_PER_DAY)
    clock_s -= day_offset * SECONDS_PER_DAY
    year, month, day, _ = erfa.jd2cal(_MJD_ZERO, start_day_mjd + day_offset)
    hour, rest_s = np.divmod(clock_s, 3600.0)
    minute, second = np.divmod(rest_s, 60.0)
    utc1, utc2 = _dtf2d(
        year.astype(float),
        month.astype(float),
        day.astype(float),
        hour,
        minute,
        second,
        [start] * count,
        "range",
        None,
    )
    return Times(_utc_jd_to_tdb_s(utc1, utc2))


def _utc_clock(text: str, where: str) -> tuple[float, float]:
    """The UTC calendar day (as MJD) and the seconds on the clock that day."""
    year, month, day, hour, minute, second = _parse_one(text, where)
    _parse_utc_jd(text, where)  # validates the date and a second 60
    _, day_mjd = erfa.cal2jd(int(year), int(month), int(day))
    return float(day_mjd), hour * 3600.0 + minute * 60.0 + second


def parse_duration_s(text: str) -> float:
    """Seconds in a duration such as ``1h``, ``30 min``, ``10s``, ``2d`` or ``PT1H30M``."""
    match = _DURATION.match(text)
    if match and match["unit"].lower() in _DURATION_UNITS_S:
        return float(match["value"]) * _DURATION_UNITS_S[match["unit"].lower()]
    match = _ISO_DURATION.match(text.strip())
    if match and any(match.groupdict().values()):
        parts = {k: float(v) if v else 0.0 for k, v in match.groupdict().items()}
        return parts["d"] * 86400 + parts["h"] * 3600 + parts["m"] * 60 + parts["s"]
    raise InputError(
        f"cannot read duration {text!r}: give a number and a unit (s, min, h, d), "
        "e.g. '1h' or '30min', or ISO 8601 such as 'PT1H'"
    )


def as_times(value) -> Times:
    """Coerce ``value`` into :class:`Times`.

    Accepts :class:`Times`, an ISO UTC string or a sequence of them, a
    :class:`datetime.datetime` (naive means UTC) or a sequence of them, and numpy
    ``datetime64`` arrays (taken as UTC).
    """
    if isinstance(value, Times):
        return value
    if isinstance(value, str):
        return parse_utc(value)
    if isinstance(value, _dt.datetime):
        value = [value]
    if isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.datetime64):
        value = np.datetime_as_string(value.astype("datetime64[us]").ravel(), unit="us")
        return parse_utc(value.tolist())
    if isinstance(value, Sequence | np.ndarray):
        items = list(value)
        if items and all(isinstance(item, _dt.datetime) for item in items):
            return parse_utc([_datetime_iso(item) for item in items])
        if all(isinstance(item, str) for item in items):
            return parse_utc(items)
    raise InputError(
        f"cannot read times from {type(value).__name__}: give ISO 8601 UTC strings, "
        "datetime objects, datetime64 values or ilrs.sky.Times"
    )


def _datetime_iso(moment: _dt.datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone(_dt.UTC).replace(tzinfo=None)
    return moment.isoformat()


def _where(source: str | None, index: int, line_numbers: Sequence[int] | None = None) -> str:
    if source in ("start", "end"):
        return source
    if line_numbers is not None:
        return f"{source}, line {line_numbers[index]}"
    return f"{source}, item {index + 1}" if source else f"time #{index + 1}"


def _parse_one(text: str, where: str) -> tuple[float, ...]:
    match = _ISO_UTC.match(text) if isinstance(text, str) else None
    if match is None:
        raise InputError(
            f"{where}: cannot read time {text!r}: give ISO 8601 UTC such as 2026-08-01T12:00:00Z"
        )
    zone = (match["zone"] or "Z").upper()
    if zone not in _UTC_ZONES:
        raise InputError(f"{where}: time {text!r} has offset {zone}; give UTC, ending in Z")
    return (
        float(match["year"]),
        float(match["month"]),
        float(match["day"]),
        float(match["hour"] or 0),
        float(match["minute"] or 0),
        float(match["second"] or 0),
    )


def _dtf2d(year, month, day, hour, minute, second, items, source, line_numbers):
    """ERFA's calendar-to-JD for UTC, with its complaints turned into our errors."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", erfa.ErfaWarning)
        try:
            utc1, utc2 = erfa.dtf2d(
                "UTC",
                year.astype(int),
                month.astype(int),
                day.astype(int),
                hour.astype(int),
                minute.astype(int),
                second,
            )
        except erfa.ErfaError:
            utc1 = None
    serious = [w for w in caught if "dubious year" not in str(w.message)]
    if utc1 is None or serious:
        # Find the offending item so the message can point at it.
        for index in range(len(items)):
            with warnings.catch_warnings(record=True) as one:
                warnings.simplefilter("always", erfa.ErfaWarning)
                try:
                    erfa.dtf2d(
                        "UTC",
                        int(year[index]),
                        int(month[index]),
                        int(day[index]),
                        int(hour[index]),
                        int(minute[index]),
                        second[index],
                    )
                    bad = any("dubious year" not in str(w.message) for w in one)
                except erfa.ErfaError:
                    bad = True
            if bad:
                raise InputError(
                    f"{_where(source, index, line_numbers)}: {items[index]!r} is not a valid UTC "
                    "time "
                    "(check the day of the month, hour < 24, minute < 60, and that second 60 "
                    "falls on a leap second)"
                )
    return utc1, utc2


def _parse_utc_jd(
    texts: str | Iterable[str], source: str | None, line_numbers: Sequence[int] | None = None
):
    """UTC strings to ERFA's two-part UTC quasi-Julian dates."""
    items = [texts] if isinstance(texts, str) else list(texts)
    if not items:
        raise InputError(f"no times given{' in ' + source if source else ''}")
    fields = np.zeros((6, len(items)))
    for index, text in enumerate(items):
        fields[:, index] = _parse_one(text, _where(source, index, line_numbers))
    year, month, day, hour, minute, second = fields
    return _dtf2d(year, month, day, hour, minute, second, items, source, line_numbers)


def _utc_jd_to_tdb_s(utc1: np.ndarray, utc2: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*dubious year.*", category=erfa.ErfaWarning)
        tai1, tai2 = erfa.utctai(utc1, utc2)
    tt1, tt2 = erfa.taitt(tai1, tai2)
    tt_days = (tt1 - J2000_JD) + tt2
    return tt_days * SECONDS_PER_DAY + tdb_minus_tt_s(tt_days)


def tt_jd(tdb_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two-part TT Julian dates of TDB seconds past J2000."""
    days = np.asarray(tdb_s, dtype=float) / SECONDS_PER_DAY
    # TDB - TT is below 2 ms and changes by < 1e-9 s per ms: TDB may stand in for TT.
    return np.full_like(days, J2000_JD), days - tdb_minus_tt_s(days) / SECONDS_PER_DAY


# USNO Circular 179 (Kaplan 2005), eq. 2.6: TDB - TT = sum of A sin(B T + C) [s], T in Julian
# centuries of TT from J2000; the last term is multiplied by T.
_TDB_TT_TERMS = (
    (0.001657, 628.3076, 6.2401),
    (0.000022, 575.3385, 4.2970),
    (0.000014, 1256.6152, 6.1969),
    (0.000005, 606.9777, 4.0212),
    (0.000005, 52.9691, 0.4444),
    (0.000002, 21.3299, 5.5431),
)
_TDB_TT_SECULAR_TERM = (0.000010, 628.3076, 4.2490)


def tdb_minus_tt_s(tt_days_from_j2000) -> np.ndarray:
    """TDB − TT [s] for days of TT (or TDB) from J2000 (USNO Circular 179, eq. 2.6)."""
    centuries = np.asarray(tt_days_from_j2000, dtype=float) / 36525.0
    total = sum(a * np.sin(b * centuries + c) for a, b, c in _TDB_TT_TERMS)
    a, b, c = _TDB_TT_SECULAR_TERM
    return total + a * centuries * np.sin(b * centuries + c)


def utc_jd(tdb_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two-part UTC quasi-Julian dates (ERFA's convention) of TDB seconds past J2000."""
    tai1, tai2 = erfa.tttai(*tt_jd(tdb_s))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*dubious year.*", category=erfa.ErfaWarning)
        return erfa.taiutc(tai1, tai2)


def _d2dtf(decimals: int, utc1, utc2):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*dubious year.*", category=erfa.ErfaWarning)
        return erfa.d2dtf("UTC", decimals, utc1, utc2)
