"""One line per measured figure, for the table `make bench` ends with (bench_table.py).

Each benchmark calls :func:`record` for the figures the issues name: the value, the peer
measured in the same run (and the ratio against it), and the goal, all in the figure's own
terms. The lines go to ``build/bench/results.jsonl`` (``ILRS_BENCH_RESULTS`` overrides), one
JSON object each, appended: `make bench` empties the file first.
"""

from __future__ import annotations

import json
import os
import platform
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
