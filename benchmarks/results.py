"""One line per measured figure, for the table `make bench` ends with (bench_table.py).

Each benchmark calls :func:`record` for the figures the issues name: the value, the peer
measured in the same run (and the ratio against it), and the goal, all in the figure's own
terms. The lines go to ``build/bench/results.jsonl`` (``ILRS_BENCH_RESULTS`` overrides), one
JSON object each, appended: `make bench` empties the file first.

Every benchmark also prints its peak resident memory (:func:`report_peak_rss`): its own
process's, the largest child's it waited for, and, for a child that outlives the
measurement (a server), that child's own high-water mark read while it runs.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

RESULTS_ENV = "ILRS_BENCH_RESULTS"


def results_path() -> Path:
    return Path(os.environ.get(RESULTS_ENV, "build/bench/results.jsonl"))


def record(
    figure: str,
    value: float,
    unit: str,
    *,
    goal: str,
    met: bool | None,
    peer: str = "",
    peer_value: float | None = None,
    ratio: float | None = None,
    note: str = "",
) -> None:
    """Append one figure: ``met`` is the goal's verdict on this run (None: no verdict)."""
    path = results_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    line = {
        "figure": figure,
        "value": value,
        "unit": unit,
        "peer": peer,
        "peer_value": peer_value,
        "ratio": ratio,
        "goal": goal,
        "met": met,
        "note": note,
        "when_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
    }
    with path.open("a", encoding="utf-8") as stream:
        stream.write(json.dumps(line) + "\n")


def at_defaults(parser, options, *names: str) -> bool:
    """Whether the options ``names`` (argparse destinations) keep their defaults: a goal is
    set for the benchmark's own case, and judged only there."""
    return all(getattr(options, name) == parser.get_default(name) for name in names)


# A child process's own high-water mark, VmHWM, read by the child as it exits: wait4's and
# RUSAGE_CHILDREN's ru_maxrss count the parent's pages copied by fork, which Linux keeps
# across exec (a large parent makes every child as large; see tests/cli_peak.py).
CHILD_PEAK_CODE = (
    "import atexit, sys\n"
    "def peak():\n"
    "    status = open('/proc/self/status').read()\n"
    "    print('#peak-kib', status.split('VmHWM:')[1].split()[0], file=sys.stderr)\n"
    "atexit.register(peak)\n"
)


def ilrs_with_peak(*arguments: str) -> list[str]:
    """The command line of ``ilrs ARGUMENTS`` in this interpreter, as a user's command runs
    it, reporting its own peak (:func:`child_peak_mib` reads it)."""
    run_ilrs = "import runpy\nsys.argv[0] = 'ilrs'\nrunpy.run_module('ilrs', run_name='__main__')\n"
    return [sys.executable, "-c", CHILD_PEAK_CODE + run_ilrs, *arguments]


def child_peak_mib(stderr: str) -> float:
    """The peak [MiB] a child running :data:`CHILD_PEAK_CODE` wrote last on its stderr."""
    return int(stderr.rsplit("#peak-kib", 1)[1].split()[0]) / 1024


def running_peaks_mib(pid: int) -> list[float]:
    """VmHWM [MiB] of a running process and of each of its descendants (from /proc)."""
    peaks, pending = [], [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except OSError:  # gone meanwhile
            continue
        if "VmHWM:" in status:  # not in a zombie's
            peaks.append(int(status.split("VmHWM:")[1].split()[0]) / 1024)
    return peaks


def report_peak_rss(others_mib: dict[str, float] | None = None) -> str:
    """Print the benchmark's peak resident memory: this process's, the largest child's it
    waited for (ru_maxrss, KiB on Linux; a child's may include this process's pages copied
    at fork) and ``others_mib`` (a server's, say). Returns the largest, as a figure's note."""
    peaks_mib = {"this process": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    children_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if children_mib > 0:
        peaks_mib["largest child"] = children_mib
    peaks_mib |= others_mib or {}
    print("peak RSS: " + ", ".join(f"{name} {mib:.0f} MiB" for name, mib in peaks_mib.items()))
    return f"peak RSS {max(peaks_mib.values()):.0f} MiB"
