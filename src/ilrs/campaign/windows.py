"""Landing windows: the touchdown dates at a site whose surface stay meets a lander's profile.

A lander must come down in sunlight, keep the Earth (or a ground station) in view for its
first days, and never sit in the dark longer than its batteries last. Each candidate landing
is judged from one environment series (:func:`ilrs.environment.analyze_site`) computed once
over the whole search plus one stay, so a year of candidates costs one analysis; the figures
are those the engine itself would give for that stay alone (its spells, edges placed where
the margin crosses zero, cut at the landing and at the end of the stay).

Public surface::

    from ilrs.campaign.windows import StayProfile, find_landing_windows, write_calendar_ics
    options = find_landing_windows(horizon, -89.45, 222.69, "2026-01-01", "2026-03-01",
                                   StayProfile(stay_days=14, earth_contact_days=2))
    write_calendar_ics("windows.ics", options, where="Connecting Ridge")
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ilrs.environment import HorizonLine, analyze_site
from ilrs.environment.export import write_icalendar, write_table_csv
from ilrs.environment.intervals import Interval
from ilrs.errors import InputError
from ilrs.numbers import finite_number
from ilrs.sky import Times, parse_duration_s, parse_utc, utc_range

__all__ = [
    "CALENDAR_COLUMNS",
    "LandingOption",
    "StayProfile",
    "feasible_windows",
    "find_landing_windows",
    "write_calendar_csv",
    "write_calendar_ics",
]

SECONDS_PER_HOUR = 3600.0
SECONDS_PER_DAY = 86400.0
_TOLERANCE_H = 1e-6  # a figure this close to its limit meets it (floating-point noise)
_CHUNK = 2048  # candidates judged together against the darkness spells (bounds memory)

CALENDAR_COLUMNS = (
    "landing_utc",
    "feasible",
    "reasons",
    "sunlit_fraction",
    "longest_darkness_h",
    "earth_contact_h",
    "sun_margin_at_landing_deg",
)


@dataclass(frozen=True)
class StayProfile:
    """What a lander's surface stay needs from its site (checked on construction).

    Parameters
    ----------
    stay_days : float
        The surface stay the lander must survive [days].
    sunlit_at_landing : bool
        Some part of the Sun's disk above the horizon line at touchdown (the lander lands on
        solar power and needs to see the ground).
    earth_contact_days : float
        The Earth's centre above the horizon continuously from touchdown for this long
        [days] (or ground contact, see ``require_ground_contact``); 0 asks nothing.
    require_ground_contact : bool
        Ask that some ground station reaches the site (the Earth above the site's horizon
        and the Moon above the station's mask) instead of the Earth merely being up.
    max_darkness_h : float
        The longest darkness (no part of the Sun up) within the stay the lander survives
        [h]; a spell running past the end of the stay counts only its part within it.
    min_sunlit_fraction : float
        The least mean visible fraction of the solar disk over the stay [0..1].
    """

    stay_days: float = 14.0
    sunlit_at_landing: bool = True
    earth_contact_days: float = 2.0
    require_ground_contact: bool = False
    max_darkness_h: float = 48.0
    min_sunlit_fraction: float = 0.0

    def __post_init__(self) -> None:
        stay = finite_number(self.stay_days, "stay_days")
        contact = finite_number(self.earth_contact_days, "earth_contact_days")
        darkness = finite_number(self.max_darkness_h, "max_darkness_h")
        fraction = finite_number(self.min_sunlit_fraction, "min_sunlit_fraction")
        if stay <= 0:
            raise InputError(f"stay_days must be positive, got {self.stay_days!r}")
        if not 0.0 <= contact <= stay:
            raise InputError(
                f"earth_contact_days must lie between 0 and stay_days ({stay:g}), "
                f"got {self.earth_contact_days!r}"
            )
        if darkness <= 0:
            raise InputError(f"max_darkness_h must be positive, got {self.max_darkness_h!r}")
        if not 0.0 <= fraction <= 1.0:
            raise InputError(
                f"min_sunlit_fraction must lie between 0 and 1, got {self.min_sunlit_fraction!r}"
            )

    @property
    def stay_h(self) -> float:
        return float(self.stay_days) * 24.0

    @property
    def earth_contact_h(self) -> float:
        return float(self.earth_contact_days) * 24.0


@dataclass(frozen=True)
class LandingOption:
    """One candidate touchdown and how its stay fares.

    ``reasons`` says why it is not feasible, one entry per unmet need, each with its figure.
    ``sunlit_fraction`` is the mean visible fraction of the solar disk over the stay;
    ``longest_darkness_h`` the longest darkness within the stay [h];
    ``earth_contact_h`` the continuous Earth (or ground) contact from touchdown [h], capped
    at the stay; ``sun_margin_at_landing_deg`` the height of the Sun's top edge above the
    horizon line at touchdown [deg] (positive where some of the disk shows).
    """

    landing_utc: str
    feasible: bool
    reasons: tuple[str, ...]
    sunlit_fraction: float
    longest_darkness_h: float
    earth_contact_h: float
    sun_margin_at_landing_deg: float = math.nan

    @property
    def sunlit_at_landing(self) -> bool:
        return bool(self.sun_margin_at_landing_deg > 0.0)


def _step_s(value, name: str) -> float:
    """A step given as a duration string ('6h') or seconds, checked positive."""
    if isinstance(value, str):
        try:
            step_s = parse_duration_s(value)
        except InputError as error:
            raise InputError(f"{name}: {error}") from None
    else:
        step_s = finite_number(value, name)
    if not (math.isfinite(step_s) and step_s > 0):
        raise InputError(f"{name} must be a positive duration (e.g. '6h'), got {value!r}")
    return step_s


def _instant_tdb_s(text, name: str) -> float:
    if not isinstance(text, str):
        raise InputError(f"{name} must be an ISO 8601 UTC string, got {text!r}")
    return float(parse_utc(text, source=name).tdb_s[0])


def _longest_within_h(starts, ends, window_start, window_end) -> np.ndarray:
    """The longest part of any spell (``starts``..``ends``, sorted) inside each window
    [h]: the spells are cut at each window's edges."""
    longest = np.zeros(window_start.size)
    if starts.size == 0:
        return longest
    for first in range(0, window_start.size, _CHUNK):
        part = slice(first, first + _CHUNK)
        lo, hi = window_start[part], window_end[part]
        # Only the spells that can overlap some window of this chunk.
        j0 = int(np.searchsorted(ends, lo[0], side="right"))
        j1 = int(np.searchsorted(starts, hi[-1], side="left"))
        if j1 <= j0:
            continue
        inside = np.minimum(ends[None, j0:j1], hi[:, None]) - np.maximum(
            starts[None, j0:j1], lo[:, None]
        )
        longest[part] = np.clip(inside, 0.0, None).max(axis=1) / SECONDS_PER_HOUR
    return longest


def find_landing_windows(
    horizon: HorizonLine,
    lat_deg: float,
    lon_deg: float,
    first_landing_utc: str,
    last_landing_utc: str,
    profile: StayProfile,
    *,
    landing_step: str | float = "6h",
    series_step: str | float = "1h",
    height_m: float = 0.0,
    stations: list[str] | None = None,
    ephemeris=None,
) -> list[LandingOption]:
    """Judge a touchdown every ``landing_step`` from the first to the last landing.

    Parameters
    ----------
    horizon : HorizonLine
        The site's horizon.
    lat_deg, lon_deg : float
        The site [degrees, planetocentric, east longitude].
    first_landing_utc, last_landing_utc : str
        The first and last candidate touchdowns (ISO 8601 UTC); the last is tried where a
        step lands on it.
    profile : StayProfile
        What the stay needs.
    landing_step : str or float
        Between candidates ('6h', or seconds); a whole multiple of ``series_step``, so that
        every candidate is an instant of the series.
    series_step : str or float
        The step of the environment series ('1h', or seconds): the figures are as good as
        this (the edges of spells are interpolated between its instants).
    height_m : float
        The observer's height above the 1 737 400 m sphere [m] (ground plus lander deck).
    stations : list of str, optional
        Ground stations for ``require_ground_contact`` (built-in names); None takes them all.
        Not analysed when the profile asks only for the Earth.

    Returns
    -------
    list of LandingOption
        One per candidate, in time order.

    Notes
    -----
    The series runs once over [first, last + stay]; each candidate's stay covers the
    instants from its touchdown to touchdown + stay, so its sunlit fraction is the mean over
    the instants an analysis of that stay alone would take, and its spells are the series'
    spells cut at the touchdown and the stay's end.
    """
    if not isinstance(profile, StayProfile):
        raise InputError(f"profile must be a StayProfile, got {type(profile).__name__}")
    landing_step_s = _step_s(landing_step, "landing_step")
    series_step_s = _step_s(series_step, "series_step")
    per_landing = landing_step_s / series_step_s
    if per_landing < 1.0 - 1e-9 or abs(per_landing - round(per_landing)) > 1e-6:
        raise InputError(
            f"landing_step ({landing_step_s:g} s) must be a whole multiple of series_step "
            f"({series_step_s:g} s), so that every candidate falls on an instant of the series"
        )
    per_landing = round(per_landing)
    first_tdb_s = _instant_tdb_s(first_landing_utc, "first_landing_utc")
    last_tdb_s = _instant_tdb_s(last_landing_utc, "last_landing_utc")
    if last_tdb_s < first_tdb_s:
        raise InputError(
            f"last_landing_utc {last_landing_utc!r} is before first_landing_utc "
            f"{first_landing_utc!r}"
        )
    ground = profile.require_ground_contact
    if ground and stations is not None and len(stations) == 0:
        raise InputError("stations: require_ground_contact needs at least one ground station")

    candidates = utc_range(first_landing_utc, last_landing_utc, landing_step_s)
    stay_s = profile.stay_days * SECONDS_PER_DAY
    # Instants in a stay alone (as utc_range(landing, landing + stay) gives) and those the
    # series needs past the last landing so that every stay's end lies within it.
    stay_samples = int(math.floor(stay_s / series_step_s + 1e-9))
    cover_samples = int(math.ceil(stay_s / series_step_s - 1e-9))
    series_end_tdb_s = candidates.tdb_s[-1] + (cover_samples + 0.5) * series_step_s
    series_end = Times(np.array([series_end_tdb_s])).utc_iso(3)[0]
    times = utc_range(first_landing_utc, series_end, series_step_s)
    analysis = analyze_site(
        horizon,
        lat_deg,
        lon_deg,
        times,
        height_m=height_m,
        stations=stations if ground else [],
        ephemeris=ephemeris,
    )

    tdb_s = times.tdb_s
    landing_index = np.arange(len(candidates)) * per_landing
    if landing_index[-1] + cover_samples >= tdb_s.size or np.any(
        np.abs(tdb_s[landing_index] - candidates.tdb_s) > 1.5  # a leap second at most
    ):
        raise AssertionError("the series does not hold every candidate and its stay")
    landing_tdb_s = tdb_s[landing_index]
    stay_end_tdb_s = landing_tdb_s + stay_s

    # Mean disk fraction over each stay's instants, by running sums.
    running = np.concatenate([[0.0], np.cumsum(analysis.sun.disk_fraction)])
    sunlit_fraction = (running[landing_index + stay_samples + 1] - running[landing_index]) / (
        stay_samples + 1
    )

    darkness = analysis.intervals("darkness")
    longest_darkness_h = _longest_within_h(
        np.array([spell.start_tdb_s for spell in darkness]),
        np.array([spell.end_tdb_s for spell in darkness]),
        landing_tdb_s,
        stay_end_tdb_s,
    )

    # Continuous contact from touchdown: the spell holding the landing instant, cut at the
    # stay's end; none when the landing instant is out of contact.
    spell = "contact" if ground else "earth"
    in_contact = analysis.margin_deg(spell)[landing_index] > 0.0
    contact = analysis.intervals(spell)
    contact_starts = np.array([c.start_tdb_s for c in contact])
    contact_ends = np.array([c.end_tdb_s for c in contact])
    holding = np.searchsorted(contact_starts, landing_tdb_s, side="right") - 1
    if contact:
        contact_end = np.where(in_contact, contact_ends[np.clip(holding, 0, None)], landing_tdb_s)
    else:
        contact_end = landing_tdb_s
    earth_contact_h = (
        np.clip(np.minimum(contact_end, stay_end_tdb_s) - landing_tdb_s, 0.0, None)
        / SECONDS_PER_HOUR
    )

    sun_margin_deg = analysis.sun.any_margin_deg[landing_index]
    return [
        _judge(profile, landing, *figures)
        for landing, *figures in zip(
            candidates.utc_iso(),
            sunlit_fraction.tolist(),
            longest_darkness_h.tolist(),
            earth_contact_h.tolist(),
            sun_margin_deg.tolist(),
            in_contact.tolist(),
            strict=True,
        )
    ]


def _judge(
    profile: StayProfile,
    landing_utc: str,
    sunlit_fraction: float,
    longest_darkness_h: float,
    earth_contact_h: float,
    sun_margin_deg: float,
    in_contact_at_landing: bool,
) -> LandingOption:
    """Hold one candidate's figures against the profile, with a reason for each miss."""
    reasons = []
    if profile.sunlit_at_landing and not sun_margin_deg > 0.0:
        reasons.append(
            f"Sun below the horizon at landing (its top edge {-sun_margin_deg:.2f} deg below "
            "the horizon line; the profile needs it sunlit)"
        )
    needed_h = profile.earth_contact_h
    if needed_h > 0 and earth_contact_h < needed_h - _TOLERANCE_H:
        if profile.require_ground_contact:
            what, kind = "no ground station reaches the site", "ground contact"
        else:
            what, kind = "Earth below the horizon", "contact"
        when = (
            "at landing" if not in_contact_at_landing else f"{earth_contact_h:.1f} h after landing"
        )
        reasons.append(f"{what} {when} (needs {needed_h:.1f} h of {kind})")
    if longest_darkness_h > profile.max_darkness_h + _TOLERANCE_H:
        reasons.append(
            f"darkness of {longest_darkness_h:.1f} h within the stay (the lander survives "
            f"{profile.max_darkness_h:.1f} h)"
        )
    if sunlit_fraction < profile.min_sunlit_fraction - 1e-9:
        reasons.append(
            f"mean sunlit fraction {sunlit_fraction:.3f} over the stay (needs at least "
            f"{profile.min_sunlit_fraction:.3f})"
        )
    return LandingOption(
        landing_utc=landing_utc,
        feasible=not reasons,
        reasons=tuple(reasons),
        sunlit_fraction=sunlit_fraction,
        longest_darkness_h=longest_darkness_h,
        earth_contact_h=earth_contact_h,
        sun_margin_at_landing_deg=sun_margin_deg,
    )


def write_calendar_csv(path: str | Path, options: list[LandingOption]) -> Path:
    """The feasibility calendar as CSV, one row per candidate (columns
    :data:`CALENDAR_COLUMNS`), written whole or not at all."""
    return write_table_csv(
        path,
        {
            "landing_utc": [o.landing_utc for o in options],
            "feasible": [o.feasible for o in options],
            "reasons": ["; ".join(o.reasons) for o in options],
            "sunlit_fraction": [round(o.sunlit_fraction, 4) for o in options],
            "longest_darkness_h": [round(o.longest_darkness_h, 3) for o in options],
            "earth_contact_h": [round(o.earth_contact_h, 3) for o in options],
            "sun_margin_at_landing_deg": [round(o.sun_margin_at_landing_deg, 3) for o in options],
        },
    )


def feasible_windows(options: list[LandingOption]) -> list[Interval]:
    """Runs of consecutive feasible candidates, each from its first to its last touchdown.

    A run at either end of the list is flagged open there: the window may have begun before
    the first candidate tried or last beyond the last one.
    """
    if not options:
        return []
    tdb_s = parse_utc([o.landing_utc for o in options], source="landing_utc").tdb_s
    feasible = np.array([o.feasible for o in options], dtype=bool)
    windows = []
    index = 0
    while index < feasible.size:
        if not feasible[index]:
            index += 1
            continue
        end = index
        while end + 1 < feasible.size and feasible[end + 1]:
            end += 1
        windows.append(
            Interval(
                float(tdb_s[index]),
                float(tdb_s[end]),
                open_start=index == 0,
                open_end=end == feasible.size - 1,
            )
        )
        index = end + 1
    return windows


def write_calendar_ics(path: str | Path, options: list[LandingOption], *, where: str) -> Path:
    """The landing windows as iCalendar events, one per run of consecutive feasible
    candidates, spanning its first to its last touchdown (an instant for a lone one);
    ``where`` names the site."""
    return write_icalendar(
        path,
        {"landing": feasible_windows(options)},
        where=where,
        titles={"landing": f"Landing window: {where}"},
    )
