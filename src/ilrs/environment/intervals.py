"""Intervals of a condition sampled in time: sunlit spells, nights, contact windows, gaps.

A condition is sampled at instants; where a continuous margin goes with it (the Sun's
height above the horizon line, say), the edges are placed where the margin, taken as
linear between samples, crosses zero. Without one, a spell runs from its first sample to
the first sample after it. Spells cut by the start or the end of the period are flagged
as open there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ilrs.errors import InputError
from ilrs.sky import Times, as_times

__all__ = ["Interval", "intervals_where", "longest_interval", "sampled_period"]

SECONDS_PER_HOUR = 3600.0


@dataclass(frozen=True)
class Interval:
    """A spell from ``start_tdb_s`` to ``end_tdb_s`` (TDB seconds past J2000)."""

    start_tdb_s: float
    end_tdb_s: float
    open_start: bool = False  # the spell began before the period did
    open_end: bool = False  # the spell outlasts the period

    @property
    def duration_h(self) -> float:
        return (self.end_tdb_s - self.start_tdb_s) / SECONDS_PER_HOUR


def _crossing_s(tdb_s: np.ndarray, margin: np.ndarray, before: np.ndarray) -> np.ndarray:
    """Where the margin, linear between samples ``before`` and ``before + 1``, is zero."""
    m0, m1 = margin[before], margin[before + 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        fraction = np.where(m0 != m1, m0 / (m0 - m1), 0.5)
    fraction = np.clip(np.nan_to_num(fraction, nan=0.5), 0.0, 1.0)
    return tdb_s[before] + fraction * (tdb_s[before + 1] - tdb_s[before])


def intervals_where(tdb_s, holds, margin=None) -> list[Interval]:
    """The spells during which ``holds`` is true.

    Parameters
    ----------
    tdb_s : array
        Increasing sample instants [TDB s].
    holds : bool array
        The condition at each instant.
    margin : array, optional
        A continuous quantity that is positive where the condition holds and negative where
        it does not; the edges go where it crosses zero between samples.
    """
    tdb_s = np.asarray(tdb_s, dtype=float)
    holds = np.asarray(holds, dtype=bool)
    if tdb_s.ndim != 1 or holds.shape != tdb_s.shape:
        raise InputError("intervals need one condition value per instant")
    if tdb_s.size and np.any(np.diff(tdb_s) <= 0):
        raise InputError("the instants of a series must increase")
    if not holds.any():
        return []
    flips = np.flatnonzero(np.diff(holds.astype(np.int8)))  # a change after sample i
    rises = flips[~holds[flips]]
    falls = flips[holds[flips]]
    if margin is not None:
        margin = np.asarray(margin, dtype=float)
        starts = _crossing_s(tdb_s, margin, rises)
        ends = _crossing_s(tdb_s, margin, falls)
    else:
        starts = tdb_s[rises + 1]
        ends = tdb_s[falls + 1]
    open_start = bool(holds[0])
    open_end = bool(holds[-1])
    if open_start:
        starts = np.insert(starts, 0, tdb_s[0])
    if open_end:
        ends = np.append(ends, tdb_s[-1])
    count = starts.size
    return [
        Interval(
            float(start),
            float(end),
            open_start=open_start and index == 0,
            open_end=open_end and index == count - 1,
        )
        for index, (start, end) in enumerate(zip(starts, ends, strict=True))
    ]


def longest_interval(intervals: list[Interval]) -> Interval | None:
    """The longest of the spells (the first of equals), or None for none."""
    if not intervals:
        return None
    return max(intervals, key=lambda spell: spell.duration_h)


def sampled_period(times, purpose: str) -> tuple[Times, float]:
    """The instants of a period (at least two, increasing) and their usual step [s]."""
    times = as_times(times)
    if len(times) < 2:
        raise InputError(f"{purpose} needs at least two instants (a start, an end and a step)")
    steps_s = np.diff(times.tdb_s)
    if np.any(steps_s <= 0):
        raise InputError(f"the instants of {purpose} must increase")
    step_s = float(np.median(steps_s))
    # Every instant weighs alike in the fractions: the steps must be equal (a leap second
    # may lengthen one by a second).
    uneven = np.flatnonzero(np.abs(steps_s - step_s) > 1.001)
    if uneven.size:
        at = Times(times.tdb_s[uneven[:1]]).utc_iso()[0]
        raise InputError(
            f"the instants of {purpose} must be evenly spaced (a start, an end and a step); "
            f"the step after {at} is {steps_s[uneven[0]]:g} s, not {step_s:g} s"
        )
    return times, round(step_s, 3)
