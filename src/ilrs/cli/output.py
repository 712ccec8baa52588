"""Shared pieces of the CLI: reading times, and writing tables as CSV or JSON."""

from __future__ import annotations

import csv
import json
import math
import os
import socket
import sys
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ilrs.data import named_site
from ilrs.errors import InputError
from ilrs.outfolder import atomic_path
from ilrs.textfiles import read_text

if TYPE_CHECKING:  # numpy and the sky engine load with the commands that compute
    import numpy as np

    from ilrs.sky import Times


class OutputFormat(StrEnum):
    csv = "csv"
    json = "json"


# Options shared by the commands: the lunar site, the times, and the output format.
LatOption = Annotated[float | None, typer.Option(help="Latitude [deg], planetocentric.")]
LonOption = Annotated[float | None, typer.Option(help="East longitude [deg].")]
HeightOption = Annotated[
    float, typer.Option("--height", "--height-m", help="Height above the 1737.4 km sphere [m].")
]
SiteOption = Annotated[
    str | None, typer.Option(help="A named site instead of --lat/--lon (see 'ilrs sites').")
]
TimeOption = Annotated[
    list[str] | None, typer.Option("--time", "-t", help="UTC instant, ISO 8601 (repeatable).")
]
TimesFileOption = Annotated[
    Path | None, typer.Option("--times-file", help="File of UTC instants, one per line.")
]
StartOption = Annotated[str | None, typer.Option("--start", help="First UTC instant of a range.")]
EndOption = Annotated[str | None, typer.Option("--end", help="Last UTC instant of a range.")]
StepOption = Annotated[
    str | None, typer.Option("--step", help="Step of the range: 1h, 30min, 10s, 1d (default 1h).")
]
FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")]
ForceFolderOption = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Write into an output folder that also holds others' files: they are kept, "
        "only the files ILRS Planner wrote there before are replaced.",
    ),
]
ForceFileOption = Annotated[
    bool, typer.Option("--force", help="Replace the output file if it exists.")
]


def collect_times(
    time: Sequence[str] | None,
    times_file: Path | None,
    start: str | None,
    end: str | None,
    step: str | None,
) -> Times:
    """Times from ``--time`` values, a ``--times-file`` and a ``--start/--end/--step`` range,
    in that order."""
    import numpy as np

    from ilrs.sky import Times, parse_utc, utc_range

    parts: list[np.ndarray] = []
    if time:
        parts.append(parse_utc(list(time), source="--time").tdb_s)
    if times_file is not None:
        parts.append(read_times_file(times_file).tdb_s)
    if start or end or step:
        missing = [name for name, value in (("--start", start), ("--end", end)) if not value]
        if missing:
            raise InputError(f"a time range needs {' and '.join(missing)} as well")
        parts.append(utc_range(start, end, step or "1h").tdb_s)
    if not parts:
        raise InputError("no times: give --time ISO, --times-file FILE or --start/--end/--step")
    return Times(np.concatenate(parts))


def read_times_file(path: Path) -> Times:
    """One ISO UTC time per line; blank lines and ``#`` comments are skipped."""
    from ilrs.sky import parse_utc

    lines = read_text(path, "times", encoding="utf-8").splitlines()
    numbered = [
        (number, line.split("#", 1)[0].strip()) for number, line in enumerate(lines, start=1)
    ]
    numbered = [(number, text) for number, text in numbered if text]
    if not numbered:
        raise InputError(f"times file {path} holds no times")
    return parse_utc(
        [text for _, text in numbered],
        source=str(path),
        line_numbers=[number for number, _ in numbered],
    )


def resolve_site(site: str | None, lat: float | None, lon: float | None) -> tuple[float, float]:
    """Latitude and longitude from ``--site NAME`` or ``--lat/--lon``."""
    if site is not None:
        if lat is not None or lon is not None:
            raise InputError("give either --site or --lat/--lon, not both")
        found = named_site(site)
        return found.lat_deg, found.lon_deg
    if lat is None or lon is None:
        raise InputError("give the site: --lat DEG --lon DEG, or --site NAME (see 'ilrs sites')")
    if not (math.isfinite(lat) and math.isfinite(lon)):
        raise InputError(f"--lat {lat} --lon {lon}: both must be finite numbers of degrees")
    return lat, lon


def write_json(value, path: Path | None = None) -> None:
    """``value`` as indented JSON, to stdout or to ``path``, with a final newline. NaN is
    refused (JSON has none); dates and the like are written as text."""
    text = json.dumps(value, indent=1, allow_nan=False, default=str) + "\n"
    if path is None:
        sys.stdout.write(text)
    else:
        with atomic_path(path) as partial:
            partial.write_text(text, encoding="utf-8")


def write_table(columns: dict[str, Sequence], output_format: OutputFormat) -> None:
    """Write equal-length columns to stdout as CSV (a header row) or a JSON array of rows."""
    names = list(columns)
    rows = zip(*columns.values(), strict=True)
    if output_format == OutputFormat.json:
        records = [dict(zip(names, row, strict=True)) for row in rows]
        write_json(records)
        return
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(names)
    writer.writerows(["" if value is None else value for value in row] for row in rows)


def rounded(values: np.ndarray, decimals: int) -> list[float]:
    """Plain Python floats rounded for printing (µdeg for angles, mm for distances)."""
    import numpy as np

    return np.round(np.asarray(values, dtype=float), decimals).tolist()


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on ``host``:``port`` for a server to take, or one line saying
    why it cannot be (bound before the server starts, so a port in use is told at once
    and port 0's free port is known)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        listener = socket.create_server((host, port), family=family, backlog=128)
    except socket.gaierror as error:
        problem = f"not an address of this machine ({error.strerror})"
        raise InputError(f"--host {host}: {problem}") from None
    except OSError as error:
        reason = os.strerror(error.errno) if error.errno else str(error)
        raise InputError(f"cannot listen on {host} port {port}: {reason}") from None
    listener.set_inheritable(True)
    return listener
