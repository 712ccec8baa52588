"""Benchmark: a lighting map from its horizon map over one full nodal cycle, against the
direct per-epoch shadow ray march.

The synthetic south pole, 1000 x 1000 px of 20 m around the Connecting Ridge; its horizon
map (36 grid bearings by the sweep, to 20 km; built first, timed apart); then the
illumination map (sunlit fraction, any-lit fraction, longest darkness) over 18.6 years at
1 h steps (~163 000 instants), timed. The peer is the plain method: for each pixel and
instant, march from the pixel towards the Sun through the DEM (compiled with numba, one
sample per pixel length, bilinear heights). It is timed on a random subset of
pixel-instants and scaled to the whole map; on that subset the two must agree on whether
the Sun's centre is visible wherever it stands more than 0.1 deg from the horizon line.
The goal (the lighting issue's): the map of the default case under 10 minutes.

    .venv/bin/python benchmarks/bench_lighting.py [--size-px 1000] [--years 18.6] [--step 1h]
        [--subset 400]
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

import numba
import numpy as np

from ilrs.environment import _lighting_kernel as kernel
from ilrs.environment.maps import HorizonSource, body_track, lighting_for_tile, lighting_map
from ilrs.sky import LunarObserver, Times, parse_utc, utc_range
from ilrs.terrain import MOON_RADIUS_M, Window
from ilrs.terrain.horizon import write_horizon_map
from ilrs.terrain.synthetic import synthesize_around
from results import at_defaults, record, report_peak_rss

GOAL_S = 600.0  # the default case's map, under 10 minutes


@numba.njit(cache=True)
def march_is_clear(z, x_left, y_top, pixel_m, start, direction, max_distance_m):
    """True if nothing in the DEM blocks the ray start + s * direction, s up to the limit:
    the peer's whole work for one pixel and instant."""
    n_rows, n_cols = z.shape
    radius = MOON_RADIUS_M
    s = 0.5 * pixel_m
    while s < max_distance_m:
        px = start[0] + s * direction[0]
        py = start[1] + s * direction[1]
        pz = start[2] + s * direction[2]
        norm = math.sqrt(px * px + py * py + pz * pz)
        # South polar stereographic of the point's direction: x = 2R u_y / (1 - u_z) ...
        k = 2.0 * radius / (1.0 + (-pz / norm))
        x, y = k * py / norm, k * px / norm
        row = (y_top - y) / pixel_m - 0.5
        col = (x - x_left) / pixel_m - 0.5
        if row < 0.0 or col < 0.0 or row > n_rows - 1 or col > n_cols - 1:
            return True
        r0, c0 = min(int(row), n_rows - 2), min(int(col), n_cols - 2)
        fr, fc = row - r0, col - c0
        height = (1 - fr) * ((1 - fc) * z[r0, c0] + fc * z[r0, c0 + 1]) + fr * (
            (1 - fc) * z[r0 + 1, c0] + fc * z[r0 + 1, c0 + 1]
        )
        if norm < radius + height:
            return False
        s += pixel_m
    return True


@numba.njit(cache=True)
def march_all(z, x_left, y_top, pixel_m, starts, directions, max_distance_m, clear):
    """The march for many pixel-instants, one compiled call (no Python per ray)."""
    for k in range(starts.shape[0]):
        clear[k] = march_is_clear(
            z, x_left, y_top, pixel_m, starts[k], directions[k], max_distance_m
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-px", type=int, default=1000)
    parser.add_argument("--resolution-m", type=float, default=20.0)
    parser.add_argument("--years", type=float, default=18.6)
    parser.add_argument("--step", default="1h")
    parser.add_argument("--subset", type=int, default=400, help="pixel-instants for the peer")
    args = parser.parse_args()

    # Around the Connecting Ridge.
    dem = synthesize_around(-89.45, 222.69, args.size_px, args.resolution_m, seed=0)
    max_distance_m = args.size_px * args.resolution_m
    start_tdb = parse_utc("2026-01-01").tdb_s[0]
    end = Times([start_tdb + args.years * 365.25 * 86400.0]).utc_iso(0)[0]
    times = utc_range("2026-01-01", end, args.step)
    with tempfile.TemporaryDirectory() as scratch:
        begin = time.perf_counter()
        horizon_path = write_horizon_map(
            dem, Path(scratch) / "horizon.tif", azimuths=36, max_distance_m=max_distance_m,
            grid_azimuths=True, method="sweep",
        )  # fmt: skip
        horizon_s = time.perf_counter() - begin
        source = HorizonSource.open(horizon_path)
        # Compile outside the timing.
        lighting_map(horizon_path, "illumination", times[:2], tile_px=64)
        begin = time.perf_counter()
        result = lighting_map(horizon_path, "illumination", times)
        map_s = time.perf_counter() - begin

        # The peer, on random pixel-instants.
        rng = np.random.default_rng(0)
        pixels = rng.integers(0, args.size_px, size=(args.subset, 2))
        instants = rng.integers(0, len(times), size=args.subset)
        t = dem.transform
        starts = np.empty((args.subset, 3))
        directions = np.empty((args.subset, 3))
        sun_deg = np.empty(args.subset)
        centre = np.empty(args.subset)
        line_deg = np.empty(args.subset)
        order = np.argsort(source.azimuth_deg)
        for k, ((row, col), index) in enumerate(zip(pixels, instants, strict=True)):
            lat, lon = (float(v) for v in dem.latlon(row, col))
            when = times[int(index) : int(index) + 1]
            observer = LunarObserver(lat, lon, when, float(dem.height_m[row, col]))
            direction = observer.apparent_in_moon_frame("sun")[0]
            directions[k] = direction / np.linalg.norm(direction)
            starts[k] = dem.moon_fixed_m(row, col)
            sun_deg[k] = math.degrees(
                math.asin(directions[k] @ starts[k] / np.linalg.norm(starts[k]))
            )
            # The horizon method at this pixel and instant (2 instants, 1 s apart), and
            # its horizon line at the Sun's grid bearing.
            pair = Times(np.array([when.tdb_s[0], when.tdb_s[0] + 1.0]))
            track = body_track("sun", pair, *source.centre_latlon())
            tile = Window(int(row), int(col), 1, 1)
            result_bands = lighting_for_tile((source, track), tile)
            centre[k] = result_bands[kernel.CENTRE_VISIBLE_FRACTION, 0, 0]
            cube = source.read(tile)[:, 0, 0]
            bearing = np.degrees(np.arctan2(*_grid_en(directions[k], lat, lon))) % 360.0
            line_deg[k] = np.interp(bearing, source.azimuth_deg[order], cube[order], period=360.0)
        clear = np.empty(args.subset, dtype=np.bool_)
        march_all(
            dem.height_m, t.c, t.f, t.a, starts[:2], directions[:2], max_distance_m, clear[:2]
        )
        begin = time.perf_counter()
        march_all(dem.height_m, t.c, t.f, t.a, starts, directions, max_distance_m, clear)
        peer_s = time.perf_counter() - begin
        away = np.abs(sun_deg - line_deg) > 0.1
        compared = int(away.sum())
        agree = int(np.sum(((centre == 1.0) == clear)[away]))
        pixel_instants = args.size_px**2 * len(times)
        peer_total_s = peer_s / args.subset * pixel_instants
    print(
        f"DEM: synthetic south pole, {args.size_px} x {args.size_px} px of "
        f"{args.resolution_m:g} m (Connecting Ridge); horizon map: 36 grid bearings (sweep) "
        f"to {max_distance_m / 1000:g} km in {horizon_s:.1f} s"
    )
    print(f"period: {times.utc_iso(0)[0]} .. {times.utc_iso(0)[-1]}, {len(times):,} instants")
    print(
        f"illumination map: {map_s:.1f} s ({map_s / pixel_instants * 1e9:.2f} ns per pixel-instant)"
    )
    print(
        f"shadow ray march (numba, 1 sample per pixel length): {peer_s / args.subset * 1e6:.1f} us "
        f"per pixel-instant on {args.subset} of them -> {peer_total_s / 86400:.1f} days for the map"
    )
    print(f"ratio: {peer_total_s / map_s:,.0f}x faster than the direct march")
    print(f"agreement on the Sun's centre, > 0.1 deg from the horizon line: {agree}/{compared}")
    print(
        f"map means: sunlit {np.nanmean(result[0]):.4f}, any-lit {np.nanmean(result[1]):.4f}, "
        f"PSR share {np.mean(result[1] == 0):.4f}, longest darkness median "
        f"{np.nanmedian(result[2]):.1f} h"
    )
    peak_note = report_peak_rss()
    default_case = at_defaults(parser, args, "size_px", "resolution_m", "years", "step")
    record(
        f"lighting: illumination map, {args.size_px}² px of {args.resolution_m:g} m, "
        f"{len(times):,} instants",
        map_s,
        "s",
        goal=f"≤ {GOAL_S / 60:.0f} min (this size, 18.6 years at 1 h)" if default_case else "",
        met=map_s <= GOAL_S if default_case else None,
        peer="direct shadow ray march (numba), scaled from a subset",
        peer_value=peer_total_s,
        ratio=peer_total_s / map_s,
        note=f"agreement {agree}/{compared}; {peak_note}",
    )


def _grid_en(direction: np.ndarray, lat_deg: float, lon_deg: float) -> tuple[float, float]:
    """Grid-east and grid-north components of a direction at a point (grid bearing =
    local azimuth + longitude on the south polar grid)."""
    lat, lon = math.radians(lat_deg), math.radians(lon_deg)
    east = np.array([-math.sin(lon), math.cos(lon), 0.0])
    north = np.array(
        [-math.sin(lat) * math.cos(lon), -math.sin(lat) * math.sin(lon), math.cos(lat)]
    )
    e, n = direction @ east, direction @ north
    azimuth = math.atan2(e, n) + lon
    return math.sin(azimuth), math.cos(azimuth)


if __name__ == "__main__":
    main()
