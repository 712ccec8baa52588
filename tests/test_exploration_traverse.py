"""Traverses on a DEM: the glue from latitudes, longitudes and UTC to the route search and
back, the errors a user meets, and a goal walled in by slopes."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import numpy as np
import pytest
from affine import Affine

from ilrs.errors import InputError
from ilrs.exploration.routes import REFERENCE_ROVER
from ilrs.exploration.traverse import plan_traverse
from ilrs.sky import parse_utc, utc_range
from ilrs.terrain import Dem, latlon_from_polar_xy

PIXEL_M = 20.0
SIZE_PX = 200
CENTRE_Y_M = 30_000.0  # about 89 deg S
ROVER = replace(REFERENCE_ROVER, battery_wh=1e9, start_charge_wh=1e9, reserve_wh=0.0)


def _dem(wall_radius_m: float | None = None) -> Dem:
    """A plain on the sphere; optionally a ring wall 200 m high, 60 m wide, around the
    centre."""
    half = SIZE_PX * PIXEL_M / 2
    transform = Affine(PIXEL_M, 0, -half, 0, -PIXEL_M, CENTRE_Y_M + half)
    rows, cols = np.indices((SIZE_PX, SIZE_PX))
    x = -half + (cols + 0.5) * PIXEL_M
    y = CENTRE_Y_M + half - (rows + 0.5) * PIXEL_M
    height = np.zeros((SIZE_PX, SIZE_PX))
    if wall_radius_m is not None:
        r = np.hypot(x, y - CENTRE_Y_M)
        height = 200.0 * np.clip(1.0 - np.abs(r - wall_radius_m) / 60.0, 0.0, 1.0)
    return Dem(height, transform, metadata={"source": "test plain", "synthetic": "true"})


def _latlon(x_m: float, y_m: float) -> tuple[float, float]:
    lat, lon = latlon_from_polar_xy(x_m, CENTRE_Y_M + y_m)
    return float(lat), float(lon)


TIMES = utc_range("2026-12-01T00:00:00Z", "2026-12-04T00:00:00Z", "1h")


def test_a_straight_run_across_a_plain():
    start, goal = _latlon(-1_500.0, 0.0), _latlon(1_500.0, 0.0)
    traverse = plan_traverse(
        _dem(), start, goal, TIMES, ROVER, margin_m=500.0, max_distance_m=2_000.0
    )
    assert traverse.found
    route = traverse.route
    # Along a grid row the 8-connected path is the straight line (3 km of 20 m moves).
    assert route.length_m == pytest.approx(3_000.0, abs=PIXEL_M)
    assert route.duration_s == pytest.approx(route.length_m / ROVER.speed_m_s, rel=1e-9)
    assert traverse.lat_deg[0] == pytest.approx(start[0], abs=1e-3)
    assert traverse.lat_deg[-1] == pytest.approx(goal[0], abs=1e-3)
    # The two ends lie at the same latitude: the longitudes tell them apart.
    assert traverse.lon_deg[0] == pytest.approx(start[1], abs=0.05)
    assert traverse.lon_deg[-1] == pytest.approx(goal[1], abs=0.05)
    assert abs(start[1] - goal[1]) > 2.0
    arrival = parse_utc(traverse.utc[-1]).tdb_s[0] - parse_utc(traverse.start_utc).tdb_s[0]
    assert arrival == pytest.approx(route.duration_s, abs=1e-3)
    timeline = traverse.timeline()
    assert len(timeline["utc"]) == len(timeline["lat_deg"]) == route.rows.size


def test_a_goal_walled_in_by_slopes_is_unreachable_with_the_reason():
    # A wall rising 200 m over 60 m (73 degrees) all round the goal.
    start, goal = _latlon(-1_500.0, 0.0), _latlon(0.0, 0.0)
    traverse = plan_traverse(
        _dem(wall_radius_m=600.0), start, goal, TIMES, ROVER, margin_m=500.0, max_distance_m=2_000.0
    )
    assert not traverse.found
    assert "slope" in traverse.route.reason and "20" in traverse.route.reason
    assert traverse.summary()["found"] is False


def test_a_start_on_a_steep_wall_and_a_goal_off_the_map_are_errors():
    dem = _dem(wall_radius_m=600.0)
    on_wall = _latlon(630.0, 0.0)
    with pytest.raises(
        InputError, match=r"the start .* lies on a slope of .* steeper than the rover's 20° limit"
    ):
        plan_traverse(dem, on_wall, _latlon(-1_500.0, 0.0), TIMES, ROVER)
    with pytest.raises(InputError, match=r"the goal .* is off the map"):
        plan_traverse(dem, _latlon(-1_500.0, 0.0), _latlon(9_000.0, 0.0), TIMES, ROVER)
    with pytest.raises(InputError, match="margin"):
        plan_traverse(
            dem, _latlon(-1_500.0, 0.0), _latlon(0.0, -1_500.0), TIMES, ROVER, margin_m=-1
        )


def _digest(*arrays: np.ndarray) -> str:
    h = hashlib.sha256()
    for array in arrays:
        h.update(np.ascontiguousarray(array).tobytes())
    return h.hexdigest()[:16]


def test_a_battery_bound_traverse_keeps_the_route_the_search_found_before():
    # The synthetic south pole by the benchmark's start (benchmarks/bench_traverse.py), 2 km
    # to go with a 1.2 kWh battery and 2 labels per cell: the battery binds (waits, moves
    # refused in shadow, labels dropped at full cells and within the energy tolerance).
    # Speed-ups of the horizons, the visibility bits and the search (issue 21) must not
    # change a bit of it: the figures are those of the code before them (commit 0fbf3bf).
    from ilrs.terrain import polar_xy_from_latlon
    from ilrs.terrain.synthetic import synthesize_around

    rover = replace(REFERENCE_ROVER, battery_wh=1_200.0, start_charge_wh=1_200.0, reserve_wh=120.0)
    x0_m, y0_m = polar_xy_from_latlon(-89.45, 222.69)
    sx_m, sy_m = x0_m - 10_000.0 / np.sqrt(2.0), y0_m - 10_000.0 / np.sqrt(2.0)
    d_m = 2_000.0 / np.sqrt(2.0)
    centre = latlon_from_polar_xy(sx_m + d_m / 2, sy_m + d_m / 2)
    dem = synthesize_around(float(centre[0]), float(centre[1]), 434, 20.0, seed=7)
    start = tuple(float(v) for v in latlon_from_polar_xy(sx_m, sy_m))
    goal = tuple(float(v) for v in latlon_from_polar_xy(sx_m + d_m, sy_m + d_m))
    times = utc_range("2026-12-01T00:00:00Z", "2026-12-07T00:00:00Z", "1h")
    traverse = plan_traverse(
        dem,
        start,
        goal,
        times,
        rover,
        margin_m=300.0,
        max_distance_m=3_000.0,
        max_labels_per_cell=2,
    )
    route = traverse.route
    assert route.found and route.rows.size == 140
    assert _digest(route.rows.astype(np.int64), route.cols.astype(np.int64)) == "1b638e6bb760840c"
    assert _digest(route.time_s.astype(np.float64)) == "9409baa436a493a0"
    assert _digest(route.energy_wh, route.waited_s) == "54e565e1b3a23719"
    assert route.duration_s == 39681.99664785762
    assert (route.labels_expanded, route.labels_created) == (12364, 22635)
    assert route.pruned == {
        "battery_dark": 5900,
        "battery_lit": 0,
        "contact": 0,
        "period": 0,
        "dominated": 78209,
        "label_cap": 6669,
        "within_tolerance": 10451,
        "waits": 379,
    }


def test_the_reference_rover_is_the_commands_default():
    # The benchmark and these tests use REFERENCE_ROVER as the rover of `ilrs explore
    # traverse` with no options.
    import inspect
    from dataclasses import fields

    from ilrs.cli.explore import traverse_command

    defaults = inspect.signature(traverse_command).parameters
    assert defaults["start_charge_wh"].default is None  # the battery's capacity
    compared = [field.name for field in fields(REFERENCE_ROVER) if field.name != "start_charge_wh"]
    assert {name: defaults[name].default for name in compared} == {
        name: getattr(REFERENCE_ROVER, name) for name in compared
    }
    assert REFERENCE_ROVER.start_charge_wh == REFERENCE_ROVER.battery_wh
