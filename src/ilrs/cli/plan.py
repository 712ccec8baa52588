"""``ilrs plan``: the main job, the reference ILRS scenario end to end with its report."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Annotated

import typer

from ilrs.cli.output import ForceFolderOption, write_json
from ilrs.errors import IlrsError, InputError

# Shared with `ilrs serve`, which runs plans too.
ScenarioOption = Annotated[
    Path | None,
    typer.Option("--scenario", help="Plan file (YAML; default: the embedded reference)."),
]
CacheOption = Annotated[
    Path, typer.Option("--cache", help="Folder of computed steps, reused while unchanged.")
]


def register(app: typer.Typer) -> None:
    app.command("plan")(plan_command)


def plan_command(
    scenario: ScenarioOption = None,
    out: Annotated[Path, typer.Option("--out", help="Folder for report.html and the data.")] = Path(
        "build/plan"
    ),
    cache: CacheOption = Path("build/cache"),
    force: ForceFolderOption = False,
) -> None:
    """Terrain, the site's lighting, the station and the campaign for a plan file
    (computed, or reused from the cache), and a self-contained HTML report with its data.
    Prints the plan's summary (JSON)."""
    import sys

    from ilrs.report.plan import run_plan
    from ilrs.report.scenario import load_plan

    clock = time.perf_counter()
    plan = load_plan(scenario)
    # On a terminal a live bar with the time left under the lines; else the lines alone.
    bar = None
    if sys.stderr.isatty():
        from ilrs.cli.progress import ProgressBar

        bar = ProgressBar()

    def progress(line: str) -> None:
        stamped = f"[{time.perf_counter() - clock:6.1f} s] ilrs plan: {line}"
        if bar is not None:
            bar.line(line, stamped)
        else:
            print(stamped, file=sys.stderr, flush=True)

    with bar if bar is not None else contextlib.nullcontext():
        progress(f"{plan.scenario.name} ({plan.source.path})")
        try:
            summary = run_plan(plan, out, cache, progress, force=force)
        except IlrsError:
            raise  # already one line naming its file (a DataFileError is an OSError too)
        except OSError as error:  # a disk full, a folder taken away meanwhile: one line
            where = error.filename or "ilrs plan"
            raise InputError(f"{where}: {error.strerror or error}") from None
        progress(f"wrote {summary['report']}")
    write_json(summary)
