"""The real CLI in a child process that reports its own peak resident memory.

``ru_maxrss`` from ``wait4`` would count the parent's pages copied by ``fork``, which Linux
keeps across ``exec`` (a pytest process of a gigabyte makes every child "a gigabyte"): the
child reads its own high-water mark, VmHWM, and prints it last on standard error.
"""

from __future__ import annotations

import sys

CHILD_SCRIPT = (
    "import sys\n"
    "from ilrs.cli import main\n"
    "try:\n"
    "    status = main(sys.argv[1:])\n"
    "finally:\n"
    "    status_text = open('/proc/self/status').read()\n"
    "    peak = status_text.split('VmHWM:')[1].split()[0]\n"
    "    print(f'#peak-rss-kib {peak}', file=sys.stderr)\n"
    "sys.exit(status)\n"
)
PEAK_PREFIX = "#peak-rss-kib "


def child_command(*args: str) -> list[str]:
    """The command line that runs ``ilrs ARGS`` and reports its peak."""
    return [sys.executable, "-c", CHILD_SCRIPT, *args]


def split_peak(stderr: str) -> tuple[str, int | None]:
    """Standard error without the peak line, and the peak [bytes] (None if not reported)."""
    lines = stderr.splitlines(keepends=True)
    peaks = [line for line in lines if line.startswith(PEAK_PREFIX)]
    rest = "".join(line for line in lines if not line.startswith(PEAK_PREFIX))
    return rest, int(peaks[-1].split()[1]) * 1024 if peaks else None
