"""Benchmark: `ilrs terrain horizon` as a whole command against GRASS GIS r.horizon.

The case of issue 21: the synthetic south pole around the Connecting Ridge, a grid of
N x N pixels of 20 m, 36 azimuths, 15 km, 2 m above the ground, the Moon's curvature, each
command in a fresh process as a user types it. Timed in the same run, medians of
``--repeats`` runs:

- the default method (``auto``: the fast rays) with local bearings, of this checkout;
- the reference rays (``--method rays``), of this checkout;
- with ``--against REV``, the rays and ``--method lines --bearings grid`` at another
  revision (e.g. the branch start), from ``git archive`` of its ``src``;
- GRASS 8 r.horizon on the same DEM (36 grid bearings, lunar curvature, distance=1, one
  process; r.horizon cannot turn its bearings with longitude): the seconds inside
  r.horizon, and its whole call (location, import, r.horizon, export).

Accuracy: at random pixels and bands, each map against an exact trace of the bilinear
surface (a plain march along the great circle in steps of 1/100 pixel near the observer
and 1/20 beyond, exact 3-D angles): median, 99th percentile and maximum |error|. Each
command's own peak RSS is printed. The default method's ratio and errors are recorded for
`make bench`'s table against issue 21's goals (>= 50x r.horizon at 500^2, >= 100x at
2048^2 and larger; p99 <= 0.05 deg, max <= 0.2 deg).

    .venv/bin/python benchmarks/bench_horizon_command.py [--size-px 500] [--repeats 3]
        [--against 0fbf3bf] [--samples 300] [--no-grass] [--no-reference]

Needs GRASS (Debian package grass-core) for the peer; see benchmarks/README_grass.md.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import rasterio

from ilrs.report.authorities import traced_horizon_deg
from ilrs.terrain.geotiff import write_geotiff
from ilrs.terrain.grid import MOON_RADIUS_M
from ilrs.terrain.synthetic import synthesize_around
from results import at_defaults, child_peak_mib, ilrs_with_peak, record

_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_RUN = "ilrs default: fast rays (local bearings)"


def run_command(src: Path, args: list[str]) -> tuple[float, float, float]:
    """One whole `ilrs` command in a fresh process: wall and CPU (user + system) seconds,
    and its own peak RSS [MiB]."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    before = os.times()
    start = time.perf_counter()
    done = subprocess.run(
        ilrs_with_peak(*args), env=env, check=True, capture_output=True, text=True
    )
    wall = time.perf_counter() - start
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return wall, cpu, child_peak_mib(done.stderr)


def errors_deg(dem, path: Path, rng_seed: int, samples: int, args, grid_bearings: bool):
    """|map - exact trace| [deg] at random pixels (2 px in from the edge) and bands."""
    with rasterio.open(path) as dataset:
        maps = dataset.read()
    rng = np.random.default_rng(rng_seed)
    errors = []
    for _ in range(samples):
        row, col = (int(v) for v in rng.integers(2, args.size_px - 2, 2))
        band = int(rng.integers(0, args.azimuths))
        azimuth = 360.0 * band / args.azimuths
        if grid_bearings:
            azimuth -= float(dem.latlon(row, col)[1])  # local azimuth = bearing - longitude
        truth = traced_horizon_deg(dem, row, col, azimuth, args.max_distance_m, args.height_m)
        errors.append(abs(float(maps[band, row, col]) - truth))
    return np.array(errors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-px", type=int, default=500)
    parser.add_argument("--resolution-m", type=float, default=20.0)
    parser.add_argument("--azimuths", type=int, default=36)
    parser.add_argument("--max-distance-m", type=float, default=15_000.0)
    parser.add_argument("--height-m", type=float, default=2.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--against", help="a git revision to time beside this checkout")
    parser.add_argument("--no-grass", action="store_true")
    parser.add_argument(
        "--no-reference", action="store_true", help="skip the reference rays (large grids)"
    )
    args = parser.parse_args()
    if not args.no_grass and shutil.which(os.environ.get("GRASS_EXECUTABLE", "grass")) is None:
        print("GRASS not found (Debian: grass-core): timing without its peer", file=sys.stderr)
        args.no_grass = True

    dem = synthesize_around(-89.45, 222.69, args.size_px, args.resolution_m, seed=0)
    common = [
        "--azimuths",
        str(args.azimuths),
        "--max-distance-m",
        f"{args.max_distance_m:g}",
        "--height-m",
        f"{args.height_m:g}",
        "--force",
    ]
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        dem_path = write_geotiff(
            scratch / "dem.tif", dem.height_m, dem.transform, dtype="float64", tags={}
        )
        runs: dict[str, tuple[Path, list[str], bool]] = {
            DEFAULT_RUN: (_ROOT / "src", ["--bearings", "local"], False),
        }
        if not args.no_reference:
            runs["ilrs rays, the reference (local bearings)"] = (
                _ROOT / "src",
                ["--method", "rays", "--bearings", "local"],
                False,
            )
        if args.against:
            old = scratch / "old"
            old.mkdir()
            archive = subprocess.run(
                ["git", "-C", str(_ROOT), "archive", args.against, "src"],
                check=True,
                capture_output=True,
            ).stdout
            subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
            runs[f"ilrs rays at {args.against} (local bearings)"] = (
                old / "src",
                ["--method", "rays", "--bearings", "local"],
                False,
            )
            runs[f"ilrs lines at {args.against} (grid bearings)"] = (
                old / "src",
                ["--method", "lines", "--bearings", "grid"],
                True,
            )
        # Compile each revision's kernels into its cache once, outside the timings.
        for src, options, _ in runs.values():
            run_command(
                src,
                ["terrain", "horizon", str(dem_path), "--out", str(scratch / "w.tif")]
                + common
                + options,
            )
        times: dict[str, list[tuple[float, float, float]]] = {name: [] for name in runs}
        grass: list[tuple[float, float]] = []
        for _ in range(args.repeats):  # interleaved, so that load changes hit all alike
            for index, (name, (src, options, _)) in enumerate(runs.items()):
                out = scratch / f"out{index}.tif"
                times[name].append(
                    run_command(
                        src,
                        ["terrain", "horizon", str(dem_path), "--out", str(out)] + common + options,
                    )
                )
            if not args.no_grass:
                sys.path.insert(0, str(Path(__file__).parent))
                from grass_horizon import run_r_horizon

                start = time.perf_counter()
                _, inside_s = run_r_horizon(
                    dem_path,
                    list(360.0 * np.arange(args.azimuths) / args.azimuths),
                    args.max_distance_m,
                    scratch,
                    flat=False,
                    body_radius_m=MOON_RADIUS_M,
                )
                grass.append((inside_s, time.perf_counter() - start))
        accuracy = {
            name: errors_deg(dem, scratch / f"out{index}.tif", 1, args.samples, args, grid)
            for index, (name, (_, _, grid)) in enumerate(runs.items())
        }

    cells = args.size_px**2 * args.azimuths
    print(
        f"DEM: synthetic south pole, {args.size_px} x {args.size_px} px of "
        f"{args.resolution_m:g} m; {args.azimuths} azimuths, {args.max_distance_m:g} m, "
        f"{args.height_m:g} m above ground, Moon curvature; medians of {args.repeats} runs"
    )
    peer_s = float(np.median([inside for inside, _ in grass])) if grass else math.nan
    if grass:
        whole_s = float(np.median([whole for _, whole in grass]))
        print(
            f"GRASS r.horizon (1 process): {peer_s:.2f} s inside r.horizon, {whole_s:.2f} s "
            "with location, import and export"
        )
    print(
        f"{'command':48s} {'wall s':>8s} {'CPU s':>8s} {'ns/px-az':>9s} {'x r.horizon':>11s} "
        f"{'peak MiB':>9s}"
    )
    for name, triples in times.items():
        wall = float(np.median([w for w, _, _ in triples]))
        cpu = float(np.median([c for _, c, _ in triples]))
        peak = max(p for _, _, p in triples)
        print(
            f"{name:48s} {wall:8.2f} {cpu:8.2f} {wall / cells * 1e9:9.0f} "
            f"{peer_s / wall:10.2f}x {peak:9.0f}"
        )
    for name, err in accuracy.items():
        print(
            f"{name:48s} vs exact trace ({err.size} rays): median {np.median(err):.4f} deg, "
            f"p99 {np.percentile(err, 99):.4f}, max {err.max():.4f}"
        )
    if at_defaults(parser, args, "resolution_m", "azimuths", "max_distance_m", "height_m"):
        _record_default(args, times[DEFAULT_RUN], accuracy[DEFAULT_RUN], peer_s)


def _record_default(args, triples, errors, peer_s: float) -> None:
    """The default method's figures against issue 21's goals (its own case, any size), for
    make bench's table."""
    wall = float(np.median([w for w, _, _ in triples]))
    case = f"{args.size_px}² px × {args.azimuths} az, {args.max_distance_m / 1000:g} km"
    goal_ratio = 100.0 if args.size_px >= 2048 else 50.0
    if math.isfinite(peer_s):
        record(
            f"terrain horizon, default method, {case}: whole command",
            round(wall, 2),
            "s",
            peer="GRASS r.horizon (inside r.horizon)",
            peer_value=round(peer_s, 2),
            ratio=peer_s / wall,
            goal=f"≥ {goal_ratio:g}× r.horizon",
            met=peer_s / wall >= goal_ratio,
            note=f"peak RSS {max(p for _, _, p in triples):.0f} MiB",
        )
    p99, worst = float(np.percentile(errors, 99)), float(errors.max())
    record(
        f"terrain horizon, default method, {case}: error vs exact trace",
        round(p99, 4),
        "° p99",
        goal="p99 ≤ 0.05°, max ≤ 0.2°",
        met=p99 <= 0.05 and worst <= 0.2,
        note=f"max {worst:.4f}°, {errors.size} rays",
    )


if __name__ == "__main__":
    main()
