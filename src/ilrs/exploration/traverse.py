"""A rover's traverse across a DEM while the shadows move: from latitudes and longitudes
and a period to the grid the route search takes (:mod:`ilrs.exploration.routes`), and
back to a timeline in latitude, longitude and UTC.

The search runs on a region of the DEM: the box around the start and the goal widened by
``margin_m`` on every side (the rover may detour that far). Its cells are passable where
their slope (on the sphere, :func:`ilrs.terrain.slope.slope_aspect_deg`) is within the
rover's limit. Sunlight and Earth contact come from the terrain around, out to
``max_distance_m`` beyond the region, seen from the rover's mast height: a cell is lit
when the Sun's centre stands above its horizon, in contact when the Earth's centre stands
more than ``earth_mask_deg`` above it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ilrs.environment.intervals import sampled_period
from ilrs.environment.maps import body_track
from ilrs.errors import InputError
from ilrs.exploration.routes import Route, RouteGrid, Rover, check_search_options, plan_route
from ilrs.exploration.visibility import HorizonBands, RegionAxes, visibility_bits
from ilrs.sky import Times
from ilrs.terrain import Dem, Window
from ilrs.terrain.slope import slope_aspect_deg

__all__ = ["Traverse", "plan_traverse", "traverse_region"]


@dataclass
class Traverse:
    """The planned route (or why there is none) with its timeline."""

    route: Route
    region: Window
    start_utc: str
    step_s: float
    lat_deg: np.ndarray = field(default_factory=lambda: np.empty(0))
    lon_deg: np.ndarray = field(default_factory=lambda: np.empty(0))
    utc: list[str] = field(default_factory=list)
    lit_fraction: float = float("nan")  # of the region's cell-instants, for the report
    timings_s: dict[str, float] = field(default_factory=dict)

    @property
    def found(self) -> bool:
        return self.route.found

    def summary(self) -> dict:
        route = self.route
        out = {
            "found": route.found,
            "reason": route.reason,
            "start_utc": self.start_utc,
            "region_cells": [self.region.height, self.region.width],
        }
        if route.found:
            out |= {
                "arrival_utc": self.utc[-1],
                "duration_h": float(route.duration_s) / 3600.0,
                "length_m": float(route.length_m),
                "waited_h": float(np.sum(route.waited_s)) / 3600.0,
                "lowest_charge_wh": float(np.min(route.energy_wh)),
                "longest_without_contact_h": float(np.max(route.since_contact_h)),
                "cells": len(self.lat_deg),
            }
        return out

    def timeline(self) -> dict[str, list]:
        """Columns of the timeline, one row per cell of the path."""
        route = self.route
        return {
            "utc": self.utc,
            "lat_deg": np.round(self.lat_deg, 7).tolist(),
            "lon_deg": np.round(self.lon_deg, 7).tolist(),
            "elapsed_h": np.round(route.time_s / 3600.0, 4).tolist(),
            "sunlit": [bool(v) for v in route.lit],
            "in_contact": [bool(v) for v in route.in_contact],
            "battery_wh": np.round(route.energy_wh, 3).tolist(),
            "since_contact_h": np.round(route.since_contact_h, 4).tolist(),
            "waited_h": np.round(route.waited_s / 3600.0, 4).tolist(),
        }


_POPCOUNT = np.array([bin(byte).count("1") for byte in range(256)], dtype=np.int64)


def _set_bits(bits: np.ndarray) -> int:
    """How many bits are set (the padding past the last instant never is)."""
    return int(np.bincount(bits.ravel(), minlength=256) @ _POPCOUNT)


def _cell(dem: Dem, lat_deg: float, lon_deg: float, what: str) -> tuple[int, int]:
    try:
        rows, cols = dem.rowcol_of_latlon(lat_deg, lon_deg)
    except InputError as error:
        raise InputError(f"the {what} ({lat_deg}°, {lon_deg}°) is off the map: {error}") from None
    return int(np.rint(rows)), int(np.rint(cols))


def traverse_region(
    dem: Dem, start_rc: tuple[int, int], goal_rc: tuple[int, int], margin_m: float
) -> Window:
    """The box around start and goal widened by the margin, within the DEM, leaving a
    one-cell rim for the slopes."""
    margin = int(np.ceil(margin_m / dem.pixel_size_m))
    top = max(min(start_rc[0], goal_rc[0]) - margin, 1)
    left = max(min(start_rc[1], goal_rc[1]) - margin, 1)
    bottom = min(max(start_rc[0], goal_rc[0]) + margin, dem.shape[0] - 2)
    right = min(max(start_rc[1], goal_rc[1]) + margin, dem.shape[1] - 2)
    return Window(top, left, bottom - top + 1, right - left + 1)


def _directions(body: str, times, axes: RegionAxes, ephemeris) -> np.ndarray:
    track = body_track(body, times, axes.centre_lat_deg, axes.centre_lon_deg, ephemeris=ephemeris)
    return track.apparent_m / np.linalg.norm(track.apparent_m, axis=1, keepdims=True)


def _check_on_passable(slope_deg, rc, region, rover, what, lat_deg, lon_deg) -> None:
    value = slope_deg[rc[0] - region.row_off, rc[1] - region.col_off]
    if not value <= rover.max_slope_deg:
        shown = "no data" if np.isnan(value) else f"a slope of {value:.1f}°"
        raise InputError(
            f"the {what} ({lat_deg}°, {lon_deg}°) lies on {shown}, steeper than the rover's "
            f"{rover.max_slope_deg:g}° limit: move it to passable ground"
        )


def plan_traverse(
    dem: Dem,
    start: tuple[float, float],
    goal: tuple[float, float],
    times,
    rover: Rover,
    *,
    margin_m: float = 3_000.0,
    mast_height_m: float = 1.5,
    earth_mask_deg: float = 0.0,
    bearing_step_deg: float = 2.0,
    max_distance_m: float = 50_000.0,
    max_labels_per_cell: int = 8,
    energy_tolerance_wh: float | None = None,
    ephemeris=None,
) -> Traverse:
    """The earliest-arriving route from ``start`` to ``goal`` (latitude, longitude [deg])
    within the evenly spaced ``times`` (the rover leaves at the first);
    ``max_labels_per_cell`` and ``energy_tolerance_wh`` as in
    :func:`ilrs.exploration.routes.plan_route`."""
    import time

    clock = time.perf_counter()
    times, step_s = sampled_period(times, "a traverse")
    if not (math.isfinite(margin_m) and margin_m >= 0):
        raise InputError(f"margin {margin_m} m must be zero or more")
    if not (math.isfinite(earth_mask_deg) and -90.0 < earth_mask_deg < 90.0):
        raise InputError(f"the Earth mask {earth_mask_deg}° must lie between -90° and 90°")
    check_search_options(max_labels_per_cell, energy_tolerance_wh)  # before the horizons
    start_rc = _cell(dem, *start, "start")
    goal_rc = _cell(dem, *goal, "goal")
    region = traverse_region(dem, start_rc, goal_rc, margin_m)
    for rc, what in ((start_rc, "start"), (goal_rc, "goal")):
        if not (region.row_off <= rc[0] < region.row_off + region.height) or not (
            region.col_off <= rc[1] < region.col_off + region.width
        ):
            raise InputError(f"the {what} lies on the map's outermost cells; move it inside")
    slope_deg = slope_aspect_deg(dem, region)[0]
    _check_on_passable(slope_deg, start_rc, region, rover, "start", *start)
    _check_on_passable(slope_deg, goal_rc, region, rover, "goal", *goal)
    timings = {"slopes": time.perf_counter() - clock}

    clock = time.perf_counter()
    axes = RegionAxes.of(dem, region)
    bands = HorizonBands(
        dem,
        region,
        bearing_step_deg=bearing_step_deg,
        max_distance_m=max_distance_m,
        height_above_ground_m=mast_height_m,
    )
    lit = visibility_bits(bands, axes, _directions("sun", times, axes, ephemeris))
    timings["sunlight"] = time.perf_counter() - clock
    clock = time.perf_counter()
    contact = visibility_bits(
        bands, axes, _directions("earth", times, axes, ephemeris), mask_deg=earth_mask_deg
    )
    timings["earth"] = time.perf_counter() - clock

    clock = time.perf_counter()
    grid = RouteGrid(
        height_m=np.ascontiguousarray(dem.height_m[region.rows, region.cols], dtype=np.float64),
        pixel_m=dem.pixel_size_m,
        passable=slope_deg <= rover.max_slope_deg,
        lit_bits=lit,
        contact_bits=contact,
        n_instants=len(times),
        step_s=step_s,
    )
    local = lambda rc: (rc[0] - region.row_off, rc[1] - region.col_off)  # noqa: E731
    route = plan_route(
        grid,
        rover,
        local(start_rc),
        local(goal_rc),
        max_labels_per_cell=max_labels_per_cell,
        energy_tolerance_wh=energy_tolerance_wh,
    )
    timings["search"] = time.perf_counter() - clock
    start_utc = Times(times.tdb_s[:1]).utc_iso()[0]
    lit_fraction = _set_bits(lit) / (region.height * region.width * len(times))
    traverse = Traverse(route, region, start_utc, step_s, lit_fraction=lit_fraction)
    traverse.timings_s = timings
    if route.found:
        lat, lon = dem.latlon(route.rows + region.row_off, route.cols + region.col_off)
        traverse.lat_deg, traverse.lon_deg = np.asarray(lat), np.asarray(lon)
        traverse.utc = Times(times.tdb_s[0] + np.asarray(route.time_s, dtype=float)).utc_iso()
    return traverse
