"""Benchmark: the horizon engine against GRASS GIS r.horizon, and both against brute force.

Same DEM (the synthetic south pole, 500 x 500 px of 20 m around the Connecting Ridge),
same 36 grid bearings (as the sweep moves them, within 0.1 deg of 0, 10, 20, ...), same
maximum distance (10 km), flat-body mode for all. The three ilrs methods (sweep, rays and
lines) are timed, lines (the sub-second one) best of five; r.horizon is timed on the same
bearings and on the even ones, and the faster time is the one compared. Prints the
wall-clock times, the ratios, and each engine's error against a plain brute-force march
(from 1e-5 pixel; steps of 1/100 pixel near the observer, 1/20 beyond) on random pixels
and bearings.

    .venv/bin/python benchmarks/bench_horizon.py [--size-px 500] [--samples 300]

Needs GRASS (Debian package grass-core) for the peer; see benchmarks/README_grass.md.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

import numpy as np

from grass_horizon import run_r_horizon
from ilrs.terrain.geotiff import write_geotiff
from ilrs.terrain.grid import Window
from ilrs.terrain.horizon import horizon_map, sweep_bearings_deg
from ilrs.terrain.synthetic import synthesize_around


def brute_force_flat_deg(dem, row, col, bearing_deg, max_distance_m, height_m=0.0) -> float:
    """Straight grid line at a grid bearing, flat body, tiny steps."""
    pixel = dem.pixel_size_m
    # From 1e-5 pixel: an observer on the ground sees at least the ground's own slope.
    steps = np.concatenate(
        [
            np.geomspace(1e-5, 0.01, 40, endpoint=False),
            np.arange(0.01, 20.0, 0.01),
            np.arange(20.0, max_distance_m / pixel, 0.05),
        ]
    )
    b = math.radians(bearing_deg)
    rows = row - np.cos(b) * steps
    cols = col + np.sin(b) * steps
    heights = dem.sample(rows, cols)
    ok = ~np.isnan(heights)
    if not ok.any():
        return float("nan")
    tangent = (heights[ok] - dem.height_m[row, col] - height_m) / (steps[ok] * pixel)
    return math.degrees(math.atan(tangent.max()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-px", type=int, default=500)
    parser.add_argument("--resolution-m", type=float, default=20.0)
    parser.add_argument("--max-distance-m", type=float, default=10_000.0)
    parser.add_argument("--azimuths", type=int, default=36)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument(
        "--tolerance-deg", type=float, default=0.1, help="how far the sweep may move a bearing"
    )
    parser.add_argument(
        "--grass-distance",
        type=float,
        default=1.0,
        help="r.horizon distance= (sampling step in cells; 0.5 finest)",
    )
    args = parser.parse_args()

    # Around the Connecting Ridge.
    dem = synthesize_around(-89.45, 222.69, args.size_px, args.resolution_m, seed=0)
    requested = 360.0 * np.arange(args.azimuths) / args.azimuths
    swept = sweep_bearings_deg(requested, args.tolerance_deg)
    with tempfile.TemporaryDirectory() as scratch:
        dem_path = write_geotiff(
            Path(scratch) / "dem.tif",
            dem.height_m,
            dem.transform,
            dtype="float64",
            tags={"synthetic": "true"},
        )
        # Compile both methods once, outside the timings.
        horizon_map(dem, azimuths=np.array([0.0]), max_distance_m=1000.0)
        horizon_map(
            dem.window(Window(0, 0, 20, 20)),
            azimuths=np.array([10.0]),
            max_distance_m=100.0,
            grid_azimuths=True,
            method="sweep",
        )
        timings = {}
        results = {}
        horizon_map(
            dem.window(Window(0, 0, 20, 20)),
            azimuths=np.array([10.0]),
            max_distance_m=100.0,
            grid_azimuths=True,
            method="lines",
        )
        medians = {}
        for method in ("sweep", "rays", "lines"):
            # The sub-second lines run is timed five times (its best and its median
            # reported): a single short run on a shared machine varies by a third.
            runs = []
            for _ in range(5 if method == "lines" else 1):
                start = time.perf_counter()
                results[method] = horizon_map(
                    dem,
                    azimuths=requested if method == "sweep" else swept,
                    max_distance_m=args.max_distance_m,
                    curvature=False,
                    grid_azimuths=True,
                    method=method,
                    bearing_tolerance_deg=args.tolerance_deg,
                )
                runs.append(time.perf_counter() - start)
            timings[method], medians[method] = min(runs), float(np.median(runs))
        # The peer on the very bearings swept (one r.horizon call per bearing) and on the
        # even bearings requested (one call for all): the faster is the time compared.
        results["r.horizon"], grass_same_s = run_r_horizon(
            dem_path,
            list(swept),
            args.max_distance_m,
            Path(scratch),
            flat=True,
            distance_coef=args.grass_distance,
        )
        _, grass_even_s = run_r_horizon(
            dem_path,
            list(requested),
            args.max_distance_m,
            Path(scratch),
            flat=True,
            distance_coef=args.grass_distance,
        )
    grass_s = min(grass_same_s, grass_even_s)

    rng = np.random.default_rng(1)
    margin = 2
    errors = {name: [] for name in results}
    for _ in range(args.samples):
        row, col = (int(v) for v in rng.integers(margin, args.size_px - margin, 2))
        band = int(rng.integers(0, args.azimuths))
        truth = brute_force_flat_deg(dem, row, col, swept[band], args.max_distance_m)
        if math.isnan(truth):
            continue
        for name, result in results.items():
            errors[name].append(abs(result[band, row, col] - truth))
    rays = args.size_px**2 * args.azimuths
    print(
        f"DEM: synthetic south pole, {args.size_px} x {args.size_px} px of "
        f"{args.resolution_m:g} m; {args.azimuths} bearings (moved at most "
        f"{np.max(np.abs((swept - requested + 180) % 360 - 180)):.3f} deg by the sweep, "
        f"tolerance {args.tolerance_deg:g}); max distance {args.max_distance_m:g} m; flat body"
    )
    for method in ("sweep", "rays", "lines"):
        print(
            f"ilrs {method:5s} (2 threads): {timings[method]:8.2f} s "
            f"({timings[method] / rays * 1e9:.0f} ns per pixel and bearing)"
        )
    print(
        f"GRASS r.horizon (distance={args.grass_distance:g}, 1 thread): {grass_same_s:8.2f} s "
        f"on the swept bearings, {grass_even_s:.2f} s on the even ones"
    )
    print(f"ilrs lines: median of five {medians['lines']:.2f} s")
    for method in ("sweep", "rays", "lines"):
        print(f"speed ratio r.horizon / ilrs {method}: {grass_s / timings[method]:.2f}x")
    print(f"speed ratio r.horizon / ilrs lines (median): {grass_s / medians['lines']:.2f}x")
    for name, err in errors.items():
        err = np.array(err)
        print(
            f"{name:10s} vs brute force on {err.size} rays: max {err.max():.4f} deg, "
            f"mean {err.mean():.5f}, 99th pct {np.percentile(err, 99):.4f}"
        )


if __name__ == "__main__":
    main()
