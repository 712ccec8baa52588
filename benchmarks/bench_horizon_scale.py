"""Benchmark: a whole horizon map of a large synthetic grid, tile by tile, with its peak
memory, then the same tiles on a local Dask cluster, checked byte for byte.

    .venv/bin/python benchmarks/bench_horizon_scale.py [--size-px 8192] [--resolution-m 20]
        [--azimuths 36] [--max-distance-m 2000] [--method fast|rays|sweep]
        [--tolerance-deg 0.1] [--no-dask]

Each step runs in a child process so that its peak resident memory is its own. Issue 21's
figure: 8192^2 with 36 azimuths by the default method finishes with peak RSS <= 2 GB.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import rasterio

from results import at_defaults, record

_REPORT_PEAK = (
    "; import resource, sys; "
    "print('peak_kib', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)"
)


def run_child(code: str) -> tuple[float, float]:
    """Run Python code in a child; return its wall seconds and its own peak memory [MiB]
    (the child reports it: the parent's view of its children keeps the largest so far)."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code + _REPORT_PEAK], check=True, stderr=subprocess.PIPE, text=True
    )
    seconds = time.perf_counter() - start
    peak_kib = next(
        int(line.split()[1]) for line in done.stderr.splitlines() if line.startswith("peak_kib")
    )
    return seconds, peak_kib / 1024


def digest(path: Path) -> str:
    """SHA-256 of the decoded pixels, band by band (file bytes differ by tile order)."""
    hasher = hashlib.sha256()
    with rasterio.open(path) as dataset:
        for band in range(1, dataset.count + 1):
            hasher.update(dataset.read(band).tobytes())
    return hasher.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-px", type=int, default=8192)
    parser.add_argument("--resolution-m", type=float, default=20.0)
    parser.add_argument("--azimuths", type=int, default=36)
    parser.add_argument("--max-distance-m", type=float, default=2000.0)
    parser.add_argument("--tile-px", type=int, default=512)
    parser.add_argument("--no-dask", action="store_true")
    parser.add_argument("--method", choices=("fast", "rays", "sweep"), default="fast")
    parser.add_argument("--tolerance-deg", type=float, default=0.1, help="sweep bearings")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        dem = Path(scratch) / "pole.tif"
        synth_s, synth_mib = run_child(
            "from ilrs.terrain.synthetic import write_synthetic_south_pole as w; "
            f"w({str(dem)!r}, {args.size_px}, {args.resolution_m}, 0)"
        )
        print(f"synthetic {args.size_px}^2 DEM: {synth_s:.1f} s, peak {synth_mib:.0f} MiB")
        outputs = {}
        for mode in ("local", "dask") if not args.no_dask else ("local",):
            out = Path(scratch) / f"horizon_{mode}.tif"
            scheduler = "'local'" if mode == "dask" else "None"
            seconds, peak = run_child(
                "from ilrs.terrain.sources import open_dem; "
                "from ilrs.terrain.horizon import write_horizon_map as w; "
                f"w(open_dem({str(dem)!r}), {str(out)!r}, azimuths={args.azimuths}, "
                f"max_distance_m={args.max_distance_m}, tile_px={args.tile_px}, "
                f"scheduler={scheduler}, method={args.method!r}, "
                f"grid_azimuths={args.method == 'sweep'}, "
                f"bearing_tolerance_deg={args.tolerance_deg})"
            )
            rays = args.size_px**2 * args.azimuths
            print(
                f"horizon map ({args.method}, {mode}): {seconds:.1f} s, "
                f"{rays / seconds / 1e6:.2f} M pixel-bearings/s, "
                f"peak {peak:.0f} MiB (client process; Dask workers are separate)"
            )
            outputs[mode] = digest(out)
            if mode == "local" and at_defaults(parser, args, "size_px", "azimuths", "method"):
                record(
                    f"horizon map {args.size_px}² × {args.azimuths} az, {args.method}, "
                    f"{args.max_distance_m:g} m: peak RSS",
                    round(peak),
                    "MiB",
                    goal="finishes, peak RSS ≤ 2 GB (1907 MiB)",
                    met=peak <= 2e9 / 2**20,
                    note=f"{seconds:.0f} s",
                )
        if len(outputs) == 2:
            same = outputs["local"] == outputs["dask"]
            print(f"local and Dask outputs identical: {same}")


if __name__ == "__main__":
    main()
