"""Benchmark: the horizon engine against GRASS GIS r.horizon, and both against brute force.

Same DEM (the synthetic south pole, 500 x 500 px of 20 m around the Connecting Ridge),
same 36 grid bearings, same maximum distance (10 km), flat-body mode for both. Prints the
wall-clock times, their ratio, and each engine's error against a plain brute-force march
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
from ilrs.terrain import polar_xy_from_latlon
from ilrs.terrain.geotiff import write_geotiff
from ilrs.terrain.horizon import horizon_map
from ilrs.terrain.synthetic import synthesize_south_pole


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
        "--grass-distance",
        type=float,
        default=1.0,
        help="r.horizon distance= (sampling step in cells; 0.5 finest)",
    )
    args = parser.parse_args()

    centre_x, centre_y = polar_xy_from_latlon(-89.45, 222.69)  # the Connecting Ridge
    dem = synthesize_south_pole(
        args.size_px,
        args.resolution_m,
        seed=0,
        center_x_m=float(centre_x),
        center_y_m=float(centre_y),
    )
    bearings = 360.0 * np.arange(args.azimuths) / args.azimuths
    with tempfile.TemporaryDirectory() as scratch:
        dem_path = write_geotiff(
            Path(scratch) / "dem.tif",
            dem.height_m,
            dem.transform,
            dtype="float64",
            tags={"synthetic": "true"},
        )
        horizon_map(dem, azimuths=np.array([0.0]), max_distance_m=1000.0)  # compile once
        start = time.perf_counter()
        ours = horizon_map(
            dem,
            azimuths=bearings,
            max_distance_m=args.max_distance_m,
            curvature=False,
            grid_azimuths=True,
        )
        ours_s = time.perf_counter() - start
        grass, grass_s = run_r_horizon(
            dem_path,
            list(bearings),
            args.max_distance_m,
            Path(scratch),
            flat=True,
            distance_coef=args.grass_distance,
        )

    rng = np.random.default_rng(1)
    margin = 2
    ours_err, grass_err = [], []
    for _ in range(args.samples):
        row, col = (int(v) for v in rng.integers(margin, args.size_px - margin, 2))
        band = int(rng.integers(0, args.azimuths))
        truth = brute_force_flat_deg(dem, row, col, bearings[band], args.max_distance_m)
        if math.isnan(truth):
            continue
        ours_err.append(abs(ours[band, row, col] - truth))
        grass_err.append(abs(grass[band, row, col] - truth))
    ours_err, grass_err = np.array(ours_err), np.array(grass_err)
    rays = args.size_px**2 * args.azimuths
    print(
        f"DEM: synthetic south pole, {args.size_px} x {args.size_px} px of "
        f"{args.resolution_m:g} m; {args.azimuths} bearings; max distance "
        f"{args.max_distance_m:g} m; flat body"
    )
    print(
        f"ilrs horizon_map (exact rays, 2 threads): {ours_s:8.2f} s "
        f"({ours_s / rays * 1e9:.0f} ns/ray)"
    )
    print(f"GRASS r.horizon (distance={args.grass_distance:g}, 1 thread): {grass_s:8.2f} s")
    print(f"speed ratio (r.horizon / ilrs): {grass_s / ours_s:.2f}x")
    for name, err in (("ilrs", ours_err), ("r.horizon", grass_err)):
        print(
            f"{name:10s} vs brute force on {err.size} rays: max {err.max():.4f} deg, "
            f"mean {err.mean():.4f}, 99th pct {np.percentile(err, 99):.4f}"
        )


if __name__ == "__main__":
    main()
