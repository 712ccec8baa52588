"""Rover routes on a grid while the shadows move, against independent references: scipy's
Dijkstra on the same static graph, the analytic 8-connected distance through a gap, an
exhaustive search of a corridor whose middle goes dark, and the rules replayed along the
returned path."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from ilrs.errors import InputError
from ilrs.exploration import _route_kernel as kernel
from ilrs.exploration.routes import RouteGrid, Rover, plan_route

STEPS = [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)]


def packed(states: np.ndarray) -> np.ndarray:
    return np.packbits(states, axis=-1, bitorder="little")


def make_grid(height_m, pixel_m, *, passable=None, lit=None, contact=None, n=8, step_s=3600.0):
    """A grid with light and contact everywhere unless given (rows, cols, n) states."""
    shape = (*height_m.shape, n)
    lit = np.ones(shape, bool) if lit is None else lit
    contact = np.ones(shape, bool) if contact is None else contact
    passable = np.isfinite(height_m) if passable is None else passable
    return RouteGrid(height_m, pixel_m, passable, packed(lit), packed(contact), n, step_s)


def ample_rover(speed_m_s=0.5, slope_deg=20.0):
    return Rover(speed_m_s, slope_deg, 1e6, 1e6, 100.0, 10.0, 200.0)


def static_graph(height_m, passable, pixel_m, slope_deg, weight):
    """The static graph built from the rules: q passable, |dz| / horizontal <= tan(slope)."""
    rows, cols = height_m.shape
    tan_slope = math.tan(math.radians(slope_deg))
    src, dst, w = [], [], []
    for r in range(rows):
        for c in range(cols):
            for dr, dc in STEPS:
                r2, c2 = r + dr, c + dc
                if not (0 <= r2 < rows and 0 <= c2 < cols) or not passable[r2, c2]:
                    continue
                horizontal = pixel_m * math.hypot(dr, dc)
                dz = height_m[r2, c2] - height_m[r, c]
                if abs(dz) / horizontal <= tan_slope:
                    src.append(r * cols + c)
                    dst.append(r2 * cols + c2)
                    w.append(weight(horizontal, dz))
    return csr_matrix((w, (src, dst)), shape=(rows * cols, rows * cols))


def assert_moves_legal(route, grid, slope_deg):
    tan_slope = math.tan(math.radians(slope_deg))
    for i in range(len(route.rows) - 1):
        dr, dc = route.rows[i + 1] - route.rows[i], route.cols[i + 1] - route.cols[i]
        assert max(abs(dr), abs(dc)) == 1
        assert grid.passable[route.rows[i + 1], route.cols[i + 1]]
        dz = (
            grid.height_m[route.rows[i + 1], route.cols[i + 1]]
            - grid.height_m[route.rows[i], route.cols[i]]
        )
        assert abs(dz) / (grid.pixel_m * math.hypot(dr, dc)) <= tan_slope


@pytest.fixture(scope="module")
def walled_terrain():
    """Smooth random hills (20 m pixels) and a ridge whose flanks no rover climbs, crossed
    by one pass; passable where the cell's own slope is within 20 deg."""
    rng = np.random.default_rng(3)
    height_m = gaussian_filter(rng.standard_normal((60, 60)), 4.0)
    height_m *= 12.0 / height_m.std()
    height_m[:, 29:32] += 150.0  # the ridge
    height_m[50:54, 29:32] -= 150.0  # its pass
    gy, gx = np.gradient(height_m, 20.0)
    passable = np.degrees(np.arctan(np.hypot(gx, gy))) <= 20.0
    passable[[5, 54], [5, 54]] = True
    return height_m, passable


@pytest.mark.parametrize("heuristic", [True, False])
def test_static_case_is_scipy_dijkstra(walled_terrain, heuristic):
    """Light and contact everywhere, an ample battery: the earliest arrival and the length
    are those of Dijkstra's shortest paths on the graph built here from the same rules."""
    height_m, passable = walled_terrain
    grid = make_grid(height_m, 20.0, passable=passable)
    rover = ample_rover()
    start, goal = (5, 5), (54, 54)
    route = plan_route(grid, rover, start, goal, heuristic=heuristic)

    start_i, goal_i = start[0] * 60 + start[1], goal[0] * 60 + goal[1]
    time_graph = static_graph(
        height_m, passable, 20.0, 20.0, lambda h, dz: math.hypot(h, dz) / rover.speed_m_s
    )
    length_graph = static_graph(height_m, passable, 20.0, 20.0, lambda h, dz: math.hypot(h, dz))
    best_s = dijkstra(time_graph, indices=start_i)[goal_i]
    best_m = dijkstra(length_graph, indices=start_i)[goal_i]
    reachable = np.isfinite(dijkstra(time_graph, indices=start_i)).sum()

    assert route.found and route.reason is None
    assert best_m > 1.15 * 20.0 * math.hypot(49, 49)  # the ridge makes it go round
    assert route.duration_s == pytest.approx(best_s, rel=1e-9)
    assert route.time_s[-1] == pytest.approx(best_s, rel=1e-9)
    assert route.length_m == pytest.approx(best_m, rel=1e-9)
    assert (route.rows[0], route.cols[0]) == start and (route.rows[-1], route.cols[-1]) == goal
    assert_moves_legal(route, grid, 20.0)
    assert np.all(route.waited_s == 0.0) and route.pruned["waits"] == 0
    assert route.labels_expanded <= reachable  # one label per cell
    if heuristic:  # the bound is the exact static time: only the path's cells are taken
        assert route.labels_expanded == len(route.rows)
    assert route.pruned["label_cap"] == 0


def test_time_to_goal_is_scipy_dijkstra_backwards(walled_terrain):
    """The search's lower bound, the static drive from every cell to the goal, equals
    scipy's Dijkstra run from the goal on the reversed graph (inf where cut off)."""
    height_m, passable = walled_terrain
    speed_m_s, slope_deg, goal = 0.5, 20.0, 54 * 60 + 54
    time_graph = static_graph(
        height_m, passable, 20.0, slope_deg, lambda h, dz: math.hypot(h, dz) / speed_m_s
    )
    expected_s = dijkstra(time_graph.T.tocsr(), indices=goal)
    got_s = kernel.time_to_goal(
        np.ascontiguousarray(height_m.ravel()),
        np.ascontiguousarray(passable.ravel()),
        60,
        20.0,
        math.tan(math.radians(slope_deg)),
        speed_m_s,
        goal,
    )
    # the graph's cells that reach the goal: passable ones (a start must be passable)
    expected_s[~passable.ravel()] = np.inf
    assert np.array_equal(np.isinf(got_s), np.isinf(expected_s))
    assert np.isinf(got_s).sum() > 100  # the cut-off cells exist
    finite = np.isfinite(expected_s)
    np.testing.assert_allclose(got_s[finite], expected_s[finite], rtol=1e-12)


def test_route_takes_the_gap_in_a_wall():
    """Flat ground, a wall of impassable cells with one gap: the route goes through the gap
    and is as long as the 8-connected (octile) distance through it."""
    height_m = np.zeros((41, 41))
    passable = np.ones((41, 41), bool)
    passable[:, 20] = False
    passable[30, 20] = True
    grid = make_grid(height_m, 10.0, passable=passable)
    route = plan_route(grid, ample_rover(), (20, 5), (20, 35))

    def octile(dr, dc):
        return max(dr, dc) + (math.sqrt(2) - 1) * min(dr, dc)

    assert route.found
    assert (30, 20) in set(zip(route.rows.tolist(), route.cols.tolist(), strict=True))
    assert route.length_m == pytest.approx(10.0 * 2 * octile(10, 15), rel=1e-12)
    assert route.duration_s == pytest.approx(route.length_m / 0.5, rel=1e-12)


def test_goal_ringed_by_steep_slopes_is_cut_off():
    """The goal stands in a pit whose rim rises 50 m within one 10 m pixel (79 deg)."""
    height_m = np.zeros((30, 30))
    rows, cols = np.indices(height_m.shape)
    height_m[np.maximum(abs(rows - 20), abs(cols - 20)) == 3] = 50.0
    grid = make_grid(height_m, 10.0)
    route = plan_route(grid, ample_rover(), (3, 3), (20, 20))
    assert not route.found
    assert "cut off by slopes steeper than 20°" in route.reason
    assert route.labels_expanded == 0 and route.rows.size == 0
    assert math.isnan(route.duration_s)


# The corridor: 60 cells of 10 m in a row (the rows beside impassable), 10 s a move, 60 s
# instants; cells 20..39 dark during instants 2..7 (120 s to 480 s) in the light cases.
CORRIDOR_N, CORRIDOR_STEP_S, DARK = 30, 60.0, (slice(20, 40), slice(2, 8))


def corridor(*, dark=False, no_contact_cols=None):
    height_m = np.zeros((3, 60))
    passable = np.zeros((3, 60), bool)
    passable[1] = True
    lit = np.ones((3, 60, CORRIDOR_N), bool)
    if dark:
        lit[:, DARK[0], DARK[1]] = False
    contact = np.ones((3, 60, CORRIDOR_N), bool)
    if no_contact_cols is not None:
        contact[:, no_contact_cols, :] = False
    grid = make_grid(
        height_m,
        10.0,
        passable=passable,
        lit=lit,
        contact=contact,
        n=CORRIDOR_N,
        step_s=CORRIDOR_STEP_S,
    )
    return grid, lit[1], contact[1]


def corridor_rover(battery_wh, max_without_contact_h=math.inf):
    return Rover(1.0, 20.0, battery_wh, battery_wh, 100.0, 10.0, 150.0, 0.5, max_without_contact_h)


def exhaustive_corridor(lit, rover):
    """The earliest arrival at the corridor's end by the rules, found by trying every plan:
    all times are multiples of 10 s, and at a given cell and time more energy is never
    worse, so the most energy per (cell, time) decides (dynamic programming)."""
    tick, step, end = 10, int(CORRIDOR_STEP_S), CORRIDOR_N * int(CORRIDOR_STEP_S)
    best = {(0, 0): rover.start_charge_wh}
    for t in range(0, end, tick):
        k = t // step
        for col in range(60):
            e = best.get((col, t))
            if e is None:
                continue
            if col == 59:
                return t
            drive_ws = (rover.solar_power_w * lit[col, k] - rover.drive_power_w) * tick
            boundary = (k + 1) * step
            wait_ws = (rover.solar_power_w * lit[col, k] - rover.idle_power_w) * (boundary - t)
            plans = [(col + 1, t + tick, drive_ws), (col, boundary, wait_ws)]
            if col > 0:
                plans.append((col - 1, t + tick, drive_ws))
            for col2, t2, change_ws in plans:
                e2 = min(rover.battery_wh, e + change_ws / 3600.0)
                if t2 <= end and e2 >= rover.reserve_wh and e2 > best.get((col2, t2), -1.0):
                    best[(col2, t2)] = e2
    return None


def test_corridor_dark_for_a_while():
    """A large battery drives straight through the dark (590 s); a 3 Wh one cannot (the 20
    dark moves take 5.6 Wh): it waits in the light at the last lit cell (19) and sets off at
    360 s, 8 cells into the dark by 450 s, waits there for the light at 480 s: 790 s.

    Trying every plan (waits at any cell) finds 780 s: waiting at cell 17 instead, the
    rover reaches the dark 20 s later in the instant and one cell further before the light.
    The planner waits only where the light or contact changes nearby, so it may miss such
    a phase by up to an instant."""
    grid, lit, _ = corridor(dark=True)
    big = plan_route(grid, corridor_rover(100.0), (1, 0), (1, 59))
    assert big.found and big.duration_s == pytest.approx(590.0, abs=1e-9)
    assert big.waited_s.sum() == 0.0

    rover = corridor_rover(3.0)
    small = plan_route(grid, rover, (1, 0), (1, 59), energy_tolerance_wh=0.0)  # exact test
    assert small.found
    assert small.duration_s == pytest.approx(790.0, abs=1e-9)
    assert small.energy_wh.min() >= rover.reserve_wh
    longest = np.argmax(small.waited_s)
    assert small.cols[longest] == 19 and small.lit[longest]
    assert small.waited_s[longest] == pytest.approx(170.0)  # 190 s to 360 s
    assert set(small.cols[small.waited_s > 0]) == {19, 28}
    assert replay(small, grid, rover) == pytest.approx(790.0)
    # Charges within 5 % of the battery taken as equal: another plan, as early, as legal.
    tolerant = plan_route(grid, rover, (1, 0), (1, 59))
    assert tolerant.pruned["within_tolerance"] > 0
    assert tolerant.labels_created < small.labels_created
    assert tolerant.duration_s == pytest.approx(790.0, abs=1e-9)
    assert tolerant.energy_wh.min() >= rover.reserve_wh
    assert replay(tolerant, grid, rover) == pytest.approx(790.0)

    best_s = exhaustive_corridor(lit, rover)
    assert best_s == 780
    assert best_s <= small.duration_s <= best_s + CORRIDOR_STEP_S


def test_out_of_contact_too_long():
    """Cells 20..39 out of contact: crossing them takes 200 s without contact."""
    grid, _, _ = corridor(no_contact_cols=slice(20, 40))
    refused = plan_route(grid, corridor_rover(100.0, 0.05), (1, 0), (1, 59))
    assert not refused.found
    assert "out of contact longer than 0.05 h" in refused.reason
    # cell 37 at 370 s, 180 s out of contact: the limit; the move on would make it 190 s
    assert "closest approach 220 m from the goal at 0.10 h" in refused.reason

    route = plan_route(grid, corridor_rover(100.0, 0.06), (1, 0), (1, 59))
    assert route.found and route.duration_s == pytest.approx(590.0)
    assert route.since_contact_h.max() == pytest.approx(200.0 / 3600.0)
    assert not route.in_contact[route.cols == 30].any() and route.in_contact[-1]


def test_battery_and_period_reasons():
    grid, _, _ = corridor(dark=True)
    lit = np.ones((3, 60, CORRIDOR_N), bool)
    lit[:, 20:40, :] = False  # dark for the whole period
    grid = RouteGrid(
        grid.height_m,
        10.0,
        grid.passable,
        packed(lit),
        grid.contact_bits,
        CORRIDOR_N,
        CORRIDOR_STEP_S,
    )
    exhaustive = {"max_labels_per_cell": 127, "energy_tolerance_wh": 0.0}
    route = plan_route(grid, corridor_rover(3.0), (1, 0), (1, 59), **exhaustive)
    assert not route.found
    assert route.reason.startswith("the battery would fall below its 0.5 Wh reserve in shadow")
    assert route.closest_m == pytest.approx(300.0)  # 9 dark moves: from cell 19 to cell 29
    assert "may still exist" not in route.reason  # nothing was dropped but by the rules
    # A narrower search says what it dropped, and what would widen it.
    narrow = plan_route(grid, corridor_rover(3.0), (1, 0), (1, 59), max_labels_per_cell=1)
    assert not narrow.found and narrow.pruned["label_cap"] > 0
    assert f"{narrow.pruned['label_cap']} labels were dropped at cells already holding 1" in (
        narrow.reason
    )
    loose = plan_route(grid, corridor_rover(3.0), (1, 0), (1, 59), energy_tolerance_wh=1.0)
    assert not loose.found and loose.pruned["within_tolerance"] > 0
    assert "for charges within 1 Wh of others (a smaller energy tolerance)" in loose.reason

    short = make_grid(np.zeros((3, 60)), 10.0, n=5, step_s=100.0)  # 500 s for 590 s
    route = plan_route(short, corridor_rover(100.0), (1, 0), (1, 59))
    assert not route.found and route.reason.startswith("the period ends before the goal")
    assert "may still exist" not in route.reason


def replay(route, grid, rover):
    """The path replayed by the rules, independently: times, energy and time since contact
    at each arrival, waits ending on instant boundaries, nothing below the reserve."""
    lit = np.unpackbits(grid.lit_bits, axis=-1, bitorder="little")[..., : grid.n_instants]
    contact = np.unpackbits(grid.contact_bits, axis=-1, bitorder="little")[..., : grid.n_instants]
    step, last = grid.step_s, grid.n_instants - 1
    limit_s = rover.max_without_contact_h * 3600.0
    t, e, c = route.time_s[0], rover.start_charge_wh, 0.0
    for i in range(route.rows.size):
        r, col = route.rows[i], route.cols[i]
        assert route.time_s[i] == pytest.approx(t, rel=1e-12)
        assert route.energy_wh[i] == pytest.approx(e, rel=1e-9, abs=1e-9)
        assert route.since_contact_h[i] * 3600.0 == pytest.approx(c, rel=1e-9, abs=1e-9)
        k = min(int(t // step), last)
        assert route.lit[i] == lit[r, col, k] and route.in_contact[i] == contact[r, col, k]
        leave = t + route.waited_s[i]
        while t < leave - 1e-6:  # waiting, to instant boundaries
            k = int(t // step)
            boundary = (k + 1) * step
            assert boundary <= leave + 1e-6
            e = min(
                rover.battery_wh,
                e
                + (rover.solar_power_w * lit[r, col, k] - rover.idle_power_w)
                * (boundary - t)
                / 3600,
            )
            c = 0.0 if contact[r, col, k + 1] else c + boundary - t
            assert e >= rover.reserve_wh and c <= limit_s
            t = boundary
        if i + 1 == route.rows.size:
            break
        r2, col2 = route.rows[i + 1], route.cols[i + 1]
        horizontal = grid.pixel_m * math.hypot(r2 - r, col2 - col)
        duration = (
            math.hypot(horizontal, grid.height_m[r2, col2] - grid.height_m[r, col])
            / rover.speed_m_s
        )
        k = int(t // step)
        e = min(
            rover.battery_wh,
            e + (rover.solar_power_w * lit[r, col, k] - rover.drive_power_w) * duration / 3600,
        )
        t += duration
        c = 0.0 if contact[r2, col2, min(int(t // step), last)] else c + duration
        assert e >= rover.reserve_wh and c <= limit_s and t <= grid.n_instants * step
    return t


def test_energy_and_contact_bookkeeping_along_the_path():
    """Moving shadow bands, a patch out of contact part of the time, a battery that cannot
    drive the whole way on its charge: the returned path obeys the rules step by step."""
    rng = np.random.default_rng(11)
    height_m = gaussian_filter(rng.standard_normal((40, 40)), 4.0)
    height_m *= 8.0 / height_m.std()
    n, step_s = 144, 600.0
    rows, cols = np.indices((40, 40))
    hours = np.arange(n) * step_s / 3600.0
    phase = (cols[..., None] + 0.5 * rows[..., None]) / 12.0 - hours / 3.0
    lit = np.sin(2 * np.pi * phase) > -0.2  # bands drifting across, a third of the hour dark
    contact = np.ones_like(lit)
    contact[10:30, 15:25, :] = (np.arange(n) % 12) < 4  # reached by a relay now and then
    grid = make_grid(height_m, 20.0, lit=lit, contact=contact, n=n, step_s=step_s)
    rover = Rover(0.2, 20.0, 30.0, 30.0, 120.0, 20.0, 100.0, 5.0, max_without_contact_h=0.6)
    route = plan_route(grid, rover, (2, 2), (37, 37))
    assert route.found
    assert route.waited_s.sum() > 0  # the battery alone would not last
    assert route.duration_s > route.length_m / rover.speed_m_s
    arrival_s = replay(route, grid, rover)
    assert arrival_s == pytest.approx(route.time_s[-1], rel=1e-12)
    assert route.length_m == pytest.approx(
        sum(
            math.hypot(
                20.0
                * math.hypot(route.rows[i + 1] - route.rows[i], route.cols[i + 1] - route.cols[i]),
                height_m[route.rows[i + 1], route.cols[i + 1]]
                - height_m[route.rows[i], route.cols[i]],
            )
            for i in range(route.rows.size - 1)
        ),
        rel=1e-12,
    )


def test_bad_inputs_are_named():
    height_m = np.zeros((40, 40))
    passable = np.ones((40, 40), bool)
    passable[7, 7] = False
    grid = make_grid(height_m, 10.0, passable=passable)
    rover = ample_rover()
    with pytest.raises(
        InputError, match=r"the start \(row 50, col 3\) lies outside the grid of 40 x 40 cells"
    ):
        plan_route(grid, rover, (50, 3), (1, 1))
    with pytest.raises(InputError, match=r"the goal \(row 1, col -1\) lies outside"):
        plan_route(grid, rover, (1, 1), (1, -1))
    with pytest.raises(
        InputError, match="the start lies on a slope steeper than the rover's 20° limit"
    ):
        plan_route(grid, rover, (7, 7), (1, 1))
    with pytest.raises(InputError, match="the goal lies on a slope steeper"):
        plan_route(grid, rover, (1, 1), (7, 7))
    with pytest.raises(InputError, match=r"passable has shape \(40, 39\)"):
        plan_route(
            RouteGrid(
                height_m, 10.0, passable[:, :39], grid.lit_bits, grid.contact_bits, 8, 3600.0
            ),
            rover,
            (1, 1),
            (2, 2),
        )
    with pytest.raises(InputError, match=r"lit_bits must be uint8 of shape \(40, 40, 2\)"):
        plan_route(
            RouteGrid(height_m, 10.0, passable, grid.lit_bits, grid.contact_bits, 9, 3600.0),
            rover,
            (1, 1),
            (2, 2),
        )
    with pytest.raises(InputError, match="speed_m_s must be positive, got 0"):
        plan_route(grid, Rover(0.0, 20.0, 100.0, 100.0, 10.0, 1.0, 20.0), (1, 1), (2, 2))
    with pytest.raises(InputError, match="the start charge 120 Wh exceeds the battery's 100 Wh"):
        plan_route(grid, Rover(0.5, 20.0, 100.0, 120.0, 10.0, 1.0, 20.0), (1, 1), (2, 2))
    with pytest.raises(InputError, match=r"start_s 28800 s lies outside the period \[0, 28800\) s"):
        plan_route(grid, rover, (1, 1), (2, 2), start_s=8 * 3600.0)
    with pytest.raises(InputError, match="max_labels_per_cell"):
        plan_route(grid, rover, (1, 1), (2, 2), max_labels_per_cell=0)
    for tolerance in (-1.0, math.nan):
        with pytest.raises(InputError, match="energy_tolerance_wh"):
            plan_route(grid, rover, (1, 1), (2, 2), energy_tolerance_wh=tolerance)
    nan_height = height_m.copy()
    nan_height[3, 3] = np.nan
    with pytest.raises(InputError, match="the goal lies on a cell with no height data"):
        plan_route(make_grid(nan_height, 10.0, passable=passable), rover, (1, 1), (3, 3))
