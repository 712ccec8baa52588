"""Benchmark: a 20 km rover traverse on a 20 m grid over 14 days (issue 8: under a minute;
issue 21: the 3 kWh case under a minute too, with the same route).

The synthetic south pole around the Connecting Ridge at 20 m pixels, a start and a goal
20 km apart, the rover leaving 2026-12-01 with the lighting at 1 h steps for 14 days.
Timed from the DEM in memory to the route: the slopes, the Sun's and the Earth's
visibility of every cell of the region at every instant (horizon bands by the lines
method), and the time-dependent search. The peer for the search is scipy's Dijkstra
(compiled C) on the static graph of the same region: the plain shortest path, knowing
nothing of time, light, battery or contact.

Two rovers by default, the reference rover (`ilrs explore traverse`'s) with two batteries:
8 kWh, with which a route exists and the search is quick, and 3 kWh, with which the
start's two dark days and the goal's darkness after the first day make the battery bind
all the way (the search's hard case). The 3 kWh route is checked against its digest from
the code before issue 21's speed-ups (commit 0fbf3bf: 30.8 km in 251.5 h).

    .venv/bin/python benchmarks/bench_traverse.py [--battery-wh 8000 3000] [--labels-per-cell 8]
        [--energy-tolerance-wh WH]
"""

from __future__ import annotations

import argparse
import hashlib
import math
import time
from dataclasses import replace

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from ilrs.exploration.routes import REFERENCE_ROVER, Route
from ilrs.exploration.traverse import plan_traverse, traverse_region
from ilrs.sky import utc_range
from ilrs.terrain import latlon_from_polar_xy, polar_xy_from_latlon
from ilrs.terrain.slope import slope_aspect_deg
from ilrs.terrain.synthetic import synthesize_around
from results import at_defaults, record, report_peak_rss

ROVER = REFERENCE_ROVER
GOAL_S = 60.0  # for the 8 kWh rover (issue 8) and the 3 kWh one (issue 21)
GOAL_BATTERIES_WH = (8_000.0, 3_000.0)
# The 3 kWh case's route (cells, times, charges, waits) as the code before issue 21 found
# it (commit 0fbf3bf), digested by route_digest.
PINNED_ROUTE_DIGEST = {3_000.0: "fc236368b002bdb7"}
MOVES = [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)]


def route_digest(route: Route) -> str:
    """The route's cells, arrival times, charges and waits, digested (SHA-256, 16 digits)."""
    hasher = hashlib.sha256()
    for values in (route.rows, route.cols):
        hasher.update(np.ascontiguousarray(values, dtype=np.int64).tobytes())
    for values in (route.time_s, route.energy_wh, route.waited_s):
        hasher.update(np.ascontiguousarray(values, dtype=np.float64).tobytes())
    return hasher.hexdigest()[:16]


def static_graph(heights, pixel_m, passable, max_slope_deg, speed_m_s) -> csr_matrix:
    """8-connected moves between passable cells within the slope limit, weighted by the
    3-D length over the speed (the rule of :mod:`ilrs.exploration.routes`)."""
    rows, cols = heights.shape
    index = np.arange(rows * cols).reshape(rows, cols)
    sources, targets, weights = [], [], []
    limit = math.tan(math.radians(max_slope_deg))
    for dr, dc in MOVES:
        a = (slice(max(-dr, 0), rows - max(dr, 0)), slice(max(-dc, 0), cols - max(dc, 0)))
        b = (slice(max(dr, 0), rows + min(dr, 0)), slice(max(dc, 0), cols + min(dc, 0)))
        horizontal = pixel_m * math.hypot(dr, dc)
        dz = heights[b] - heights[a]
        ok = passable[a] & passable[b] & (np.abs(dz) <= limit * horizontal)
        sources.append(index[a][ok])
        targets.append(index[b][ok])
        weights.append(np.hypot(horizontal, dz[ok]) / speed_m_s)
    return csr_matrix(
        (np.concatenate(weights), (np.concatenate(sources), np.concatenate(targets))),
        shape=(rows * cols, rows * cols),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-distance-m", type=float, default=20_000.0)
    parser.add_argument("--days", type=float, default=14.0)
    parser.add_argument("--battery-wh", type=float, nargs="+", default=[8_000.0, 3_000.0])
    parser.add_argument("--labels-per-cell", type=int, default=8)
    parser.add_argument("--energy-tolerance-wh", type=float, default=None)
    args = parser.parse_args()

    centre_lat, centre_lon = -89.45, 222.69
    size_px = int(2 * (10_000 + 3_000 + args.max_distance_m) / 20.0) + 4
    clock = time.perf_counter()
    dem = synthesize_around(centre_lat, centre_lon, size_px, 20.0, seed=7)
    print(f"DEM {dem.shape[0]} x {dem.shape[1]} px of 20 m: {time.perf_counter() - clock:.1f} s")
    x0, y0 = polar_xy_from_latlon(centre_lat, centre_lon)
    half = 10_000.0 / math.sqrt(2.0)
    start = tuple(float(v) for v in latlon_from_polar_xy(x0 - half, y0 - half))
    goal = tuple(float(v) for v in latlon_from_polar_xy(x0 + half, y0 + half))
    hours = round(args.days * 24)
    times = utc_range("2026-12-01T00:00:00Z", f"2026-12-{1 + hours // 24:02d}T00:00:00Z", "1h")

    # One warm-up on a small case, so that numba's compilation is not timed.
    plan_traverse(dem, start, start, times[:3], ROVER, margin_m=200.0, max_distance_m=2_000.0)

    # The goals and the pinned route are the benchmark's own case's.
    default_case = at_defaults(
        parser, args, "max_distance_m", "days", "labels_per_cell", "energy_tolerance_wh"
    )
    runs = []
    for battery_wh in args.battery_wh:
        rover = replace(ROVER, battery_wh=battery_wh, start_charge_wh=battery_wh)
        clock = time.perf_counter()
        traverse = plan_traverse(
            dem,
            start,
            goal,
            times,
            rover,
            max_distance_m=args.max_distance_m,
            max_labels_per_cell=args.labels_per_cell,
            energy_tolerance_wh=args.energy_tolerance_wh,
        )
        total_s = time.perf_counter() - clock
        region = traverse.region
        print(
            f"battery {battery_wh:g} Wh: region {region.height} x {region.width} cells, "
            f"{len(times)} instants; found {traverse.found}: {traverse.summary()}"
        )
        print("  effort:", traverse.route.labels_expanded, "labels taken;", traverse.route.pruned)
        print("  timings [s]:", {k: round(v, 2) for k, v in traverse.timings_s.items()})
        print(f"  traverse planned in {total_s:.1f} s (the issue asks for under 60 s)")
        digest = route_digest(traverse.route) if traverse.found else "none"
        pinned = PINNED_ROUTE_DIGEST.get(battery_wh) if default_case else None
        if pinned is not None:
            verdict = "the same" if digest == pinned else "DIFFERENT"
            print(f"  route digest {digest}, pinned {pinned}: {verdict}")
        runs.append((battery_wh, total_s, traverse.timings_s["search"], digest, pinned))

    start_rc = tuple(int(round(float(v))) for v in dem.rowcol_of_latlon(*start))
    goal_rc = tuple(int(round(float(v))) for v in dem.rowcol_of_latlon(*goal))
    assert traverse_region(dem, start_rc, goal_rc, 3_000.0) == region
    slope = slope_aspect_deg(dem, region)[0]
    heights = dem.height_m[region.rows, region.cols].astype(np.float64)
    graph = static_graph(heights, 20.0, slope <= ROVER.max_slope_deg, 20.0, ROVER.speed_m_s)
    local = (start_rc[0] - region.row_off) * region.width + start_rc[1] - region.col_off
    target = (goal_rc[0] - region.row_off) * region.width + goal_rc[1] - region.col_off
    clock = time.perf_counter()
    times_s = dijkstra(graph, indices=local)
    peer_s = time.perf_counter() - clock
    print(
        f"peer: scipy Dijkstra on the static graph, one source, all cells: {peer_s:.2f} s; "
        f"static time to the goal {times_s[target] / 3600:.1f} h; ours (time-dependent): "
        + ", ".join(
            f"{battery_wh:g} Wh {search_s:.2f} s = {peer_s / search_s:.3f}x the peer's speed"
            for battery_wh, _, search_s, _, _ in runs
        )
    )
    peak_note = report_peak_rss()
    for battery_wh, total_s, search_s, digest, pinned in runs:
        goal, met = "", None
        if default_case and battery_wh in GOAL_BATTERIES_WH:
            goal = f"< {GOAL_S:g} s" + (", same route" if pinned else "")
            met = total_s < GOAL_S and digest == (pinned or digest)
        record(
            f"traverse: 20 km, {args.days:g} days at 1 h, {battery_wh / 1000:g} kWh rover "
            "(whole plan)",
            total_s,
            "s",
            goal=goal,
            met=met,
            peer="scipy Dijkstra on the static graph (against our search)",
            peer_value=peer_s,
            ratio=peer_s / search_s,
            note=f"search {search_s:.1f} s, route {digest}; {peak_note}",
        )


if __name__ == "__main__":
    main()
