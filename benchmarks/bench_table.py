"""The table `make bench` ends with: every figure the benchmarks recorded (results.py),
beside its peer and its goal, as Markdown.

    .venv/bin/python benchmarks/bench_table.py [RESULTS.jsonl]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from results import results_path


def _number(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-2):
        return f"{value:.3g}"
    return f"{value:,.2f}" if isinstance(value, float) else str(value)


def table(lines: list[dict]) -> str:
    rows = ["| figure | value | peer | ratio | goal | met |", "|---|---:|---|---:|---|---|"]
    for line in lines:
        peer = line["peer"]
        if line.get("peer_value") is not None:
            peer += f" ({_number(line['peer_value'])} {line['unit']})"
        ratio = f"{_number(line['ratio'])}×" if line.get("ratio") is not None else ""
        met = {True: "yes", False: "**no**", None: ""}[line["met"]]
        value = f"{_number(line['value'])} {line['unit']}"
        if line.get("note"):
            value += f" ({line['note']})"
        rows.append(f"| {line['figure']} | {value} | {peer} | {ratio} | {line['goal']} | {met} |")
    return "\n".join(rows)


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else results_path()
    if not path.is_file():
        print(f"no results at {path}: run the benchmarks first (make bench)", file=sys.stderr)
        return 1
    lines = [json.loads(text) for text in path.read_text(encoding="utf-8").splitlines() if text]
    print(table(lines))
    if lines:
        print(
            f"\n{len(lines)} figures, {lines[0]['machine']}, {lines[0]['when_utc']} to "
            f"{lines[-1]['when_utc']}; {sum(line['met'] is False for line in lines)} goals not met"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
