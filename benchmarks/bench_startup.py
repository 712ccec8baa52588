"""Benchmark: start-up of the ``ilrs`` command line (issue 21: `ilrs --help` and
`ilrs sky ...` under 0.5 s).

Each command runs in a fresh interpreter (as ``python -m ilrs ...``, which then reports
its peak memory), as a user's command does, ``--repeat`` times after one warm-up run (so
numba's on-disk cache and the file cache are warm); printed are the median wall time, the
median CPU time (user + system of the child: steadier than the wall on a shared machine)
and the peak resident memory of the child. Peers measured in the same run: the floor,
an interpreter that does nothing (``python -c pass``); and, with ``--against REV``, the
same commands on the source of that git revision (e.g. the commit before the start-up
work). ``terrain horizon`` runs on a 32 x 32 px DEM with 8 azimuths
out to 500 m, so that its kernel's work is nothing and its time is the command's
start-up: the imports, the DEM read and the compiled kernel's load.

    .venv/bin/python benchmarks/bench_startup.py [--repeat 11] [--against REV]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import ilrs
from results import CHILD_PEAK_CODE, child_peak_mib, ilrs_with_peak, record, report_peak_rss

GOAL_S = 0.5
SKY = ["sky", "--lat", "-89.45", "--lon", "222.69", "--time", "2026-01-01T00:00:00Z"]


def commands(folder: Path) -> list[tuple[str, list[str], float | None]]:
    """(label, arguments of ilrs, goal [s] or None)."""
    dem, out = folder / "tiny.tif", folder / "horizon.tif"
    return [
        ("ilrs --help", ["--help"], GOAL_S),
        ("ilrs --version", ["--version"], GOAL_S),
        ("ilrs sky --help", ["sky", "--help"], GOAL_S),
        ("ilrs sky (the Sun, one time)", [*SKY, "--body", "sun"], GOAL_S),
        ("ilrs sky (Sun and Earth)", SKY, GOAL_S),
        (
            "ilrs terrain horizon (32 px DEM)",
            ["terrain", "horizon", str(dem), "--out", str(out), "--azimuths", "8"]
            + ["--max-distance-m", "500", "--force"],
            None,
        ),
    ]


def run(argv: list[str], source: str | None) -> tuple[float, float, float]:
    """Wall [s], CPU [s] and peak resident memory [MiB] of one child."""
    env = dict(os.environ)
    if source is not None:
        env["PYTHONPATH"] = source
    clock = time.perf_counter()
    child = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = child.stderr.read().decode()
    _, status, usage = os.wait4(child.pid, 0)
    wall_s = time.perf_counter() - clock
    child.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {stderr[-500:]}")
    return wall_s, usage.ru_utime + usage.ru_stime, child_peak_mib(stderr)


def medians(argv: list[str], source: str | None, repeat: int) -> tuple[float, float, float]:
    run(argv, source)  # warm-up: caches on disk and in the page cache
    samples = [run(argv, source) for _ in range(repeat)]
    return tuple(statistics.median(column) for column in zip(*samples, strict=True))


def source_of(revision: str, folder: Path) -> str:
    """The ``src`` folder of a git revision of this checkout, unpacked into ``folder``."""
    top = Path(ilrs.__file__).resolve().parents[2]
    archive = subprocess.run(
        ["git", "-C", str(top), "archive", revision, "src"], capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return str(folder / "src")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=11)
    parser.add_argument("--against", help="a git revision to measure the same commands on")
    args = parser.parse_args()

    ours = str(Path(ilrs.__file__).resolve().parents[1])
    python = sys.executable
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        subprocess.run(
            [python, "-m", "ilrs", "terrain", "synth", "--out", str(folder / "tiny.tif")]
            + ["--size-px", "32", "--resolution-m", "20"],
            env=dict(os.environ, PYTHONPATH=ours),
            check=True,
            capture_output=True,
        )
        peer = source_of(args.against, folder / "peer") if args.against else None
        floor = medians([python, "-c", CHILD_PEAK_CODE], ours, args.repeat)
        print(
            f"{args.repeat} runs each, medians (the machine may be shared: CPU time is the "
            f"steadier figure); floor `python -c pass`: {floor[0]:.3f} s wall, "
            f"{floor[1]:.3f} s CPU, {floor[2]:.0f} MiB"
        )
        header = f"{'command':34} {'wall s':>7} {'CPU s':>6} {'peak MiB':>8} {'goal':>6}"
        if peer:
            header += f" {args.against + ' wall s':>16} {'CPU s':>6} {'speed-up':>8}"
        print(header)
        for label, arguments, goal in commands(folder):
            argv = ilrs_with_peak(*arguments)
            wall_s, cpu_s, peak_mib = medians(argv, ours, args.repeat)
            verdict = "" if goal is None else ("ok" if wall_s <= goal else "over")
            line = f"{label:34} {wall_s:7.3f} {cpu_s:6.3f} {peak_mib:8.0f} {verdict:>6}"
            if peer:
                old_wall_s, old_cpu_s, _ = medians(argv, peer, args.repeat)
                line += f" {old_wall_s:16.3f} {old_cpu_s:6.3f} {old_wall_s / wall_s:7.2f}x"
            print(line, flush=True)
            record(
                f"start-up: `ilrs {' '.join(arguments)}`"[:80],
                wall_s,
                "s",
                goal="" if goal is None else f"≤ {goal:g} s",
                met=None if goal is None else wall_s <= goal,
                peer="`python -c pass`" + (f", and {args.against}" if peer else ""),
                peer_value=floor[0],
                note=f"CPU {cpu_s:.3f} s, peak RSS {peak_mib:.0f} MiB",
            )
    report_peak_rss()


if __name__ == "__main__":
    main()
