"""Rover routes on a grid while the shadows move: earliest arrival within battery and
contact limits.

The rover drives between 8-connected cells of a raster (square pixels of ``pixel_m``);
the lighting and contact of every cell are given per instant, instant k covering
[k * step_s, (k + 1) * step_s) from the period's start.

Rules
-----
- A move from cell p to neighbour q takes hypot(horizontal, dz) / speed seconds. It is
  allowed only if q is passable (its own slope is within the rover's limit, its height
  known) and |dz| / horizontal <= tan(max_slope).
- The move's lighting is p's at the instant the move starts (floor(t / step_s)); energy
  changes by (solar_power_w * lit - drive_power_w) * duration / 3600, capped at
  battery_wh, and the move is refused if the energy would fall below reserve_wh (energy
  is linear along a move, so checking its end suffices).
- Contact: arriving at a cell in contact at the arrival instant sets the time since
  contact to zero; otherwise it grows by the move's duration. A state whose time since
  contact exceeds max_without_contact_h is refused. The rover leaves the start as if just
  in contact (time since contact zero).
- The rover may wait at its cell until an instant boundary: energy changes by
  (solar * lit - idle_power_w) * wait / 3600 (capped, refused below the reserve) and the
  contact rule applies at the boundary. A longer wait is a sequence of such waits.
- Nothing may end after the period (n_instants * step_s): such moves and waits are refused.

Search
------
Label-setting over labels (time, energy, time since contact) per cell, taken in order of
priority: the arrival time plus, with ``heuristic``, a lower bound of the time still
needed: the shortest drive from the cell to the goal on the static graph (full speed,
slopes only: a Dijkstra backwards from the goal, computed once) and, when driving drains
the battery even in sunlight (drive power above solar), the time the rover would have to
recharge in sunlight to cover that drain below what it has left. The bound is admissible
and consistent (the static drive is exact for the static graph, waits only add time, no
hour is better than lit), so the first goal label taken is the earliest arrival the kept
labels allow; labels whose bound passes the period's end are dropped. On a 20 km
traverse the static drive is a third longer than the straight line, and the search does
a third of the work it does with the straight line.

Dominance: label a drops label b at the same cell when a, waiting at the cell until the
start of b's instant, is no later and has no less energy and no longer time since
contact (within one instant: time <=, energy >=, since-contact <=). Waiting there can
run a down in the dark, so a later arrival with more energy survives. Energies closer
than ``energy_tolerance_wh`` count as equal; by default it is what the array gives
(gross) in 20 minutes of sunlight (150 Wh for a 450 W array), or 5 % of the battery if
less: a heuristic, not a bound on what it costs (a dropped near-copy's charge may be
missed until the Sun returns, and drops can add up along a route). Where the battery
binds, every detour through sunlight reaches a cell a little later with a little more
charge, and the exact test keeps each of these near-copies, which then spread over
everything the rover can reach: on the 20 km benchmark the tolerance takes the search
with an 8 kWh battery from 26 s to 7-8 s (arriving 5 minutes later than the exact
search), and with a 3 kWh battery from over 100 s without a route to about a minute with
one. Energy beyond what the rest of the period could use, or time out of contact that
could not reach the limit, is no advantage: with an ample battery and no binding contact
limit labels compare on time alone. At most ``max_labels_per_cell`` labels are kept per
cell: when the cell is full, the most energetic label is kept and the latest of the
others is dropped (ties: the new one). Both make the search inexact where the battery
binds: a route it returns obeys every rule, but it may arrive later than the best one,
or miss a route that needs the last few percent of the battery; the reason given for no
route then says how many labels each dropped. Each label kept at a cell takes 64 bytes:
8 per cell on a 1000 x 1000 region take 512 MB.

Waits continue the arrival they come from, and are worked out only when their turn comes:
one instant at a time at the edge of a shadow or a contact zone (the cell lit or in
contact while a reachable neighbour is not: there the moment to set off matters) or to
recharge in sunlight when a move lacked energy; elsewhere straight to the next instant at
which the light or contact of the cell or a reachable neighbour changes, since setting off
later into unchanged surroundings gains nothing. A label with energy and time out of
contact to spare for the rest of the period does not wait at all (a move takes the same
time whenever it starts). So with a large battery and light and contact everywhere each
cell keeps one label and the search is exactly Dijkstra's (or A*) on the static graph.
When the lighting changes the route obeys the rules but is not a proven optimum: waits
start only where the neighbourhood gives a reason (in the tests' dark corridor the route
arrives 10 s after the best plan, which waits a few cells earlier and so meets the light
at a better moment), and a full cell drops labels.

Without a route, the reason is the goal cut off by slopes (the backward Dijkstra never
reaches the start), else what refused the label that came nearest the goal, with that
closest approach.

Arrays in (grid of heights, passability, packed light and contact bits), a :class:`Route`
out; turning a DEM and the Sun/Earth into these arrays, and the route into latitudes and
longitudes, is the caller's part.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ilrs.errors import InputError
from ilrs.exploration import _route_kernel as kernel

__all__ = [
    "DEFAULT_TOLERANCE_H",
    "DEFAULT_TOLERANCE_OF_BATTERY",
    "REFERENCE_ROVER",
    "Rover",
    "Route",
    "RouteGrid",
    "check_search_options",
    "plan_route",
]

# Charges closer than what the array gives in this time (the rover would make up the
# difference in sunlight within it), and than this part of the battery, count as equal
# when labels are compared.
DEFAULT_TOLERANCE_H = 1.0 / 3.0
DEFAULT_TOLERANCE_OF_BATTERY = 0.05


@dataclass(frozen=True)
class RouteGrid:
    """The terrain and its lighting and contact over a period.

    Attributes
    ----------
    height_m : numpy.ndarray
        (rows, cols) float64 terrain heights [m]; NaN (no data) is impassable.
    pixel_m : float
        Pixel side [m].
    passable : numpy.ndarray
        (rows, cols) bool: the cell's own slope is within the rover's limit.
    lit_bits, contact_bits : numpy.ndarray
        (rows, cols, ceil(n_instants / 8)) uint8: ``np.packbits(state, axis=-1,
        bitorder="little")`` of (rows, cols, n_instants) bool states: the cell is in
        sunlight, or in contact (Earth or relay), at instant k.
    n_instants : int
        Number of instants.
    step_s : float
        Length of an instant [s]; instant k covers [k * step_s, (k + 1) * step_s).
    """

    height_m: np.ndarray
    pixel_m: float
    passable: np.ndarray
    lit_bits: np.ndarray
    contact_bits: np.ndarray
    n_instants: int
    step_s: float


@dataclass(frozen=True)
class Rover:
    """The rover's mobility and power.

    Attributes
    ----------
    speed_m_s : float
        Driving speed along the ground (3-D length) [m/s].
    max_slope_deg : float
        Steepest slope it drives, also applied to each move (|dz| / horizontal) [deg].
    battery_wh, start_charge_wh, reserve_wh : float
        Capacity, charge at the start, and the floor never to go below [Wh].
    drive_power_w, idle_power_w : float
        Power drawn while driving, and while waiting [W].
    solar_power_w : float
        Power generated while the rover's cell is lit [W].
    max_without_contact_h : float
        Longest allowed spell out of contact [h].
    """

    speed_m_s: float
    max_slope_deg: float
    battery_wh: float
    start_charge_wh: float
    drive_power_w: float
    idle_power_w: float
    solar_power_w: float
    reserve_wh: float = 0.0
    max_without_contact_h: float = math.inf


# The rover of `ilrs explore traverse`'s defaults, of the traverse benchmark and of the
# traverse tests (which change its battery).
REFERENCE_ROVER = Rover(
    speed_m_s=0.1,
    max_slope_deg=20.0,
    battery_wh=3_000.0,
    start_charge_wh=3_000.0,
    drive_power_w=250.0,
    idle_power_w=80.0,
    solar_power_w=450.0,
    reserve_wh=300.0,
)


@dataclass(frozen=True)
class Route:
    """A planned route, or why there is none.

    Attributes
    ----------
    found : bool
        Whether the goal is reached within the rules.
    reason : str or None
        Why no route was found (None when found).
    rows, cols : numpy.ndarray
        Cells along the path, start first, goal last (empty when not found).
    time_s : numpy.ndarray
        Arrival at each cell [s from the period's start].
    energy_wh : numpy.ndarray
        Energy on arrival at each cell [Wh].
    since_contact_h : numpy.ndarray
        Time since contact on arrival at each cell [h].
    lit, in_contact : numpy.ndarray
        The cell's light and contact at the arrival instant.
    waited_s : numpy.ndarray
        Time waited at each cell before leaving it [s].
    length_m : float
        Driven length (3-D) [m]; NaN when not found.
    duration_s : float
        Arrival at the goal minus the start time [s]; NaN when not found.
    closest_m, closest_time_s : float
        Closest approach to the goal (horizontal) [m] and when it was first reached [s].
    labels_expanded, labels_created : int
        Search effort: labels taken from the queue and expanded, arrival labels kept.
    pruned : dict of str to int
        Labels refused or dropped, by cause: ``battery_dark``, ``battery_lit``,
        ``contact``, ``period``, ``dominated`` (of which ``within_tolerance`` only
        thanks to the energy tolerance), ``label_cap``; and ``waits`` generated.
    """

    found: bool
    reason: str | None
    rows: np.ndarray
    cols: np.ndarray
    time_s: np.ndarray
    energy_wh: np.ndarray
    since_contact_h: np.ndarray
    lit: np.ndarray
    in_contact: np.ndarray
    waited_s: np.ndarray
    length_m: float
    duration_s: float
    closest_m: float
    closest_time_s: float
    labels_expanded: int
    labels_created: int
    pruned: dict[str, int]


def plan_route(
    grid: RouteGrid,
    rover: Rover,
    start_rc: tuple[int, int],
    goal_rc: tuple[int, int],
    *,
    start_s: float = 0.0,
    heuristic: bool = True,
    max_labels_per_cell: int = 8,
    energy_tolerance_wh: float | None = None,
) -> Route:
    """The earliest-arriving route from ``start_rc`` to ``goal_rc`` (see the module's rules).

    Parameters
    ----------
    grid : RouteGrid
        Heights, passability, and light and contact per instant.
    rover : Rover
        Mobility and power.
    start_rc, goal_rc : tuple of int
        (row, col) of the start and the goal.
    start_s : float
        Departure [s from the period's start], within the period.
    heuristic : bool
        Order the search by the lower bound of the arrival (A*; see the module's notes)
        rather than by time alone (Dijkstra). The same earliest arrival in the static
        case, with far less work; when the light changes, the labels a full cell keeps
        may differ, and so may the result.
    max_labels_per_cell : int
        Labels kept per cell, 1 to 127 (see the module's notes for which).
    energy_tolerance_wh : float, optional
        Energies closer than this count as equal in the dominance test [Wh]; by default
        the smaller of what the array gives in 20 minutes of sunlight and 5 % of the
        battery (see the module's notes); 0 for the exact test.

    Returns
    -------
    Route
        The route, or ``found=False`` with the reason: the goal cut off by slopes (the
        static graph, checked first), else what stopped the label that came nearest
        the goal (the battery in shadow or in sunlight, the time out of contact, the
        period's end), the closest approach and when, and the refusals by cause.

    Raises
    ------
    InputError
        Inconsistent shapes or numbers, a start or goal outside the grid or not passable.
    """
    height_m, passable, lit, contact = _checked(grid, rover, start_rc, goal_rc, start_s)
    check_search_options(max_labels_per_cell, energy_tolerance_wh)
    if energy_tolerance_wh is None:
        energy_tolerance_wh = min(
            DEFAULT_TOLERANCE_H * rover.solar_power_w,
            DEFAULT_TOLERANCE_OF_BATTERY * rover.battery_wh,
        )
    n_cols = grid.height_m.shape[1]
    start = int(start_rc[0]) * n_cols + int(start_rc[1])
    goal = int(goal_rc[0]) * n_cols + int(goal_rc[1])
    tan_slope = math.tan(math.radians(rover.max_slope_deg))
    pixel_m = float(grid.pixel_m)

    to_goal_s = kernel.time_to_goal(
        height_m, passable, n_cols, pixel_m, tan_slope, float(rover.speed_m_s), goal
    )
    if not math.isfinite(to_goal_s[start]):
        return _none(
            f"the goal is cut off by slopes steeper than {rover.max_slope_deg:g}°"
            " (or by cells without height data)",
            math.nan,
            math.nan,
            np.zeros(kernel.N_COUNTERS, dtype=np.int64),
        )

    prm = np.empty(kernel.N_PARAMS)
    prm[kernel.BATTERY_WH] = rover.battery_wh
    prm[kernel.DRIVE_W] = rover.drive_power_w
    prm[kernel.IDLE_W] = rover.idle_power_w
    prm[kernel.SOLAR_W] = rover.solar_power_w
    prm[kernel.RESERVE_WH] = rover.reserve_wh
    prm[kernel.MAX_CONTACT_S] = rover.max_without_contact_h * 3600.0
    prm[kernel.STEP_S] = grid.step_s
    prm[kernel.SPEED_M_S] = rover.speed_m_s
    prm[kernel.N_INSTANTS] = grid.n_instants
    prm[kernel.ENERGY_TOLERANCE_WH] = energy_tolerance_wh
    found, goal_label, lf, li, lk, counters, closest_m, closest_s, stop = kernel.search(
        height_m,
        passable,
        n_cols,
        lit,
        contact,
        prm,
        pixel_m,
        tan_slope,
        start,
        goal,
        float(start_s),
        float(rover.start_charge_wh),
        to_goal_s if heuristic else np.zeros_like(to_goal_s),
        int(max_labels_per_cell),
    )
    if not found:
        return _none(
            _why(
                stop,
                counters,
                rover,
                closest_m,
                closest_s,
                max_labels_per_cell,
                energy_tolerance_wh,
            ),
            closest_m,
            closest_s,
            counters,
        )
    return _route(
        grid,
        height_m,
        lit,
        contact,
        goal_label,
        lf,
        li,
        lk,
        counters,
        closest_m,
        closest_s,
        start_s,
    )


def check_search_options(max_labels_per_cell, energy_tolerance_wh) -> None:
    """Refuse labels per cell outside [1, 127] and a negative or NaN energy tolerance
    (None, the default, is allowed)."""
    if not (isinstance(max_labels_per_cell, int | np.integer) and 1 <= max_labels_per_cell <= 127):
        raise InputError(
            f"max_labels_per_cell must be a whole number in [1, 127], got {max_labels_per_cell!r}"
        )
    if energy_tolerance_wh is not None and not (
        math.isfinite(energy_tolerance_wh) and energy_tolerance_wh >= 0
    ):
        raise InputError(
            f"energy_tolerance_wh must be zero or positive, got {energy_tolerance_wh!r}"
        )


def _checked(grid, rover, start_rc, goal_rc, start_s):
    """The flat arrays the kernel takes, after checking every input."""
    height_m = np.asarray(grid.height_m, dtype=np.float64)
    if height_m.ndim != 2 or min(height_m.shape) < 1:
        raise InputError(f"height_m must be a (rows, cols) array; got shape {height_m.shape}")
    shape = height_m.shape
    passable = np.asarray(grid.passable)
    if passable.shape != shape:
        raise InputError(f"passable has shape {passable.shape}, the heights {shape}")
    n_instants = int(grid.n_instants)
    if n_instants != grid.n_instants or n_instants < 1:
        raise InputError(f"n_instants must be a positive whole number, got {grid.n_instants}")
    n_bytes = (n_instants + 7) // 8
    for name in ("lit_bits", "contact_bits"):
        bits = np.asarray(getattr(grid, name))
        if bits.dtype != np.uint8 or bits.shape != (*shape, n_bytes):
            raise InputError(
                f"{name} must be uint8 of shape {(*shape, n_bytes)} (bits of {n_instants}"
                f" instants packed along the last axis); got {bits.dtype} {bits.shape}"
            )
    for name, value in (("pixel_m", grid.pixel_m), ("step_s", grid.step_s)):
        if not (math.isfinite(value) and value > 0):
            raise InputError(f"{name} must be positive, got {value:g}")
    _check_rover(rover)
    end_s = n_instants * grid.step_s
    if not (0.0 <= start_s < end_s):
        raise InputError(f"start_s {start_s:g} s lies outside the period [0, {end_s:g}) s")
    for what, (row, col) in (("start", start_rc), ("goal", goal_rc)):
        if not (0 <= row < shape[0] and 0 <= col < shape[1]):
            raise InputError(
                f"the {what} (row {row}, col {col}) lies outside the grid of"
                f" {shape[0]} x {shape[1]} cells"
            )
        if not math.isfinite(height_m[row, col]):
            raise InputError(f"the {what} lies on a cell with no height data")
        if not passable[row, col]:
            raise InputError(
                f"the {what} lies on a slope steeper than the rover's"
                f" {rover.max_slope_deg:g}° limit"
            )
    return (
        np.ascontiguousarray(height_m.ravel()),
        np.ascontiguousarray(passable.ravel(), dtype=np.bool_),
        np.ascontiguousarray(grid.lit_bits).reshape(height_m.size, n_bytes),
        np.ascontiguousarray(grid.contact_bits).reshape(height_m.size, n_bytes),
    )


def _check_rover(rover: Rover) -> None:
    positive = ("speed_m_s", "battery_wh")
    non_negative = (
        "start_charge_wh",
        "drive_power_w",
        "idle_power_w",
        "solar_power_w",
        "reserve_wh",
    )
    for name in positive:
        value = getattr(rover, name)
        if not (math.isfinite(value) and value > 0):
            raise InputError(f"the rover's {name} must be positive, got {value:g}")
    for name in non_negative:
        value = getattr(rover, name)
        if not (math.isfinite(value) and value >= 0):
            raise InputError(f"the rover's {name} must be zero or positive, got {value:g}")
    slope_deg = rover.max_slope_deg
    if not 0 < slope_deg < 90:
        raise InputError(f"the rover's max_slope_deg must be in (0, 90), got {slope_deg:g}")
    limit_h = rover.max_without_contact_h
    if not limit_h > 0:
        raise InputError(f"the rover's max_without_contact_h must be positive, got {limit_h:g}")
    if rover.start_charge_wh > rover.battery_wh:
        raise InputError(
            f"the start charge {rover.start_charge_wh:g} Wh exceeds the battery's"
            f" {rover.battery_wh:g} Wh"
        )
    if rover.reserve_wh > rover.start_charge_wh:
        raise InputError(
            f"the start charge {rover.start_charge_wh:g} Wh is below the reserve"
            f" {rover.reserve_wh:g} Wh"
        )


def _pruned(counters: np.ndarray) -> dict[str, int]:
    return {
        "battery_dark": int(counters[kernel.BATTERY_DARK]),
        "battery_lit": int(counters[kernel.BATTERY_LIT]),
        "contact": int(counters[kernel.CONTACT]),
        "period": int(counters[kernel.PERIOD]),
        "dominated": int(counters[kernel.DOMINATED]),
        "label_cap": int(counters[kernel.EVICTED]),
        "within_tolerance": int(counters[kernel.TOLERATED]),
        "waits": int(counters[kernel.WAITS]),
    }


def _why(stop_cause, counters, rover, closest_m, closest_s, cap, tolerance_wh) -> str:
    """What stopped the label that came nearest the goal (else the cause that refused most
    labels), the closest approach, and the refusals by cause."""
    causes = {
        kernel.BATTERY_DARK: f"the battery would fall below its {rover.reserve_wh:g} Wh"
        " reserve in shadow",
        kernel.BATTERY_LIT: f"the battery would fall below its {rover.reserve_wh:g} Wh"
        " reserve even in sunlight",
        kernel.CONTACT: "the rover would be out of contact longer than"
        f" {rover.max_without_contact_h:g} h",
        kernel.PERIOD: "the period ends before the goal is reached",
    }
    if stop_cause == kernel.OK:
        stop_cause = max(causes, key=lambda cause: counters[cause])
    if counters[stop_cause] == 0:
        cause = f"no route within {cap} labels per cell"
    else:
        cause = causes[stop_cause]
    tally = ", ".join(
        f"{counters[index]} {name}"
        for index, name in (
            (kernel.BATTERY_DARK, "battery in shadow"),
            (kernel.BATTERY_LIT, "battery in sunlight"),
            (kernel.CONTACT, "contact"),
            (kernel.PERIOD, "period"),
        )
        if counters[index]
    )
    reason = (
        f"{cause}; closest approach {closest_m:.0f} m from the goal at"
        f" {closest_s / 3600.0:.2f} h" + (f" (moves and waits refused: {tally})" if tally else "")
    )
    # Where the search was not exhaustive, say how, and what would widen it.
    widen = []
    if counters[kernel.EVICTED]:
        widen.append(
            f"{counters[kernel.EVICTED]} labels were dropped at cells already holding {cap}"
            " (more labels per cell)"
        )
    if counters[kernel.TOLERATED]:
        widen.append(
            f"{counters[kernel.TOLERATED]} were dropped for charges within"
            f" {tolerance_wh:g} Wh of others (a smaller energy tolerance)"
        )
    if widen:
        reason += "; a route may still exist: " + "; ".join(widen)
    return reason


def _none(reason, closest_m, closest_s, counters) -> Route:
    empty_f, empty_i, empty_b = np.empty(0), np.empty(0, np.int64), np.empty(0, bool)
    return Route(
        False,
        reason,
        empty_i,
        empty_i,
        empty_f,
        empty_f,
        empty_f,
        empty_b,
        empty_b,
        empty_f,
        math.nan,
        math.nan,
        float(closest_m),
        float(closest_s),
        int(counters[kernel.EXPANDED]),
        int(counters[kernel.CREATED]),
        _pruned(counters),
    )


def _instants(time_s: np.ndarray, step_s: float, n_instants: int) -> np.ndarray:
    """floor(t / step) as the kernel takes it (exact at boundaries ``k * step_s``)."""
    k = np.floor(time_s / step_s).astype(np.int64)
    k += (k + 1) * step_s <= time_s
    k -= k * step_s > time_s
    return np.minimum(k, n_instants - 1)


def _route(
    grid, height_m, lit, contact, goal_label, lf, li, lk, counters, closest_m, closest_s, start_s
) -> Route:
    """Follow the parents from the goal label; waits add to their cell's waited time."""
    chain = []
    label = goal_label
    while label >= 0:
        chain.append(label)
        label = li[label, 1]
    chain.reverse()
    cells, times, energies, since, waited = [], [], [], [], []
    for label in chain:
        if lk[label] == kernel.WAIT:
            waited[-1] += lf[label, 0] - lf[li[label, 1], 0]
            continue
        cells.append(li[label, 0])
        times.append(lf[label, 0])
        energies.append(lf[label, 1])
        since.append(lf[label, 2] / 3600.0)
        waited.append(0.0)
    cells = np.asarray(cells, dtype=np.int64)
    time_s = np.asarray(times)
    n_cols = grid.height_m.shape[1]
    instant = _instants(time_s, grid.step_s, grid.n_instants)
    lit_on = (lit[cells, instant >> 3] >> (instant & 7)) & 1
    contact_on = (contact[cells, instant >> 3] >> (instant & 7)) & 1
    rows, cols = cells // n_cols, cells % n_cols
    horizontal = grid.pixel_m * np.hypot(np.diff(rows), np.diff(cols))
    length_m = float(np.hypot(horizontal, np.diff(height_m[cells])).sum())
    return Route(
        True,
        None,
        rows,
        cols,
        time_s,
        np.asarray(energies),
        np.asarray(since),
        lit_on.astype(bool),
        contact_on.astype(bool),
        np.asarray(waited),
        length_m,
        float(time_s[-1] - start_s),
        float(closest_m),
        float(closest_s),
        int(counters[kernel.EXPANDED]),
        int(counters[kernel.CREATED]),
        _pruned(counters),
    )
