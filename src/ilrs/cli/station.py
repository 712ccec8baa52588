"""``ilrs station``: simulate a station scenario, size its storage or arrays, and the
scenario file's JSON Schema."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ilrs.cli.output import (
    ForceFileOption,
    ForceFolderOption,
    FormatOption,
    OutputFormat,
    write_json,
    write_table,
)
from ilrs.errors import InputError
from ilrs.outfolder import OutputFolder, check_output_file

station_app = typer.Typer(
    help="A station scenario: power, storage, data and water over time; sizing."
)


def register(app: typer.Typer) -> None:
    app.add_typer(station_app, name="station")


class SeriesFormat(StrEnum):
    csv = "csv"
    parquet = "parquet"


class Sized(StrEnum):
    storage = "storage"
    array = "array"


ScenarioArgument = Annotated[
    Path | None,
    typer.Argument(help="Scenario YAML (default: the embedded reference station)."),
]


def _load(path: Path | None):
    from ilrs.data import data_path
    from ilrs.station.scenario import load_scenario

    path = path if path is not None else data_path("station_reference.yaml")
    return path, load_scenario(path)


def _prepared(path: Path | None, loaded=None):
    """The scenario's inputs to a run (its site's sky computed); ``loaded``: the
    ``(path, scenario)`` already read."""
    from ilrs.station.exposure import site_exposure
    from ilrs.station.simulation import prepare

    path, scenario = loaded or _load(path)
    print(f"ilrs station: {scenario.name}: computing the site's sky ...", file=sys.stderr)
    return path, scenario, prepare(scenario, site_exposure(scenario))


@station_app.command("simulate")
def simulate_command(
    scenario: ScenarioArgument = None,
    out: Annotated[
        Path, typer.Option("--out", help="Folder for summary.json, the series and the plot.")
    ] = Path("build/station"),
    series_format: Annotated[
        SeriesFormat, typer.Option("--series-format", help="Time series file format.")
    ] = SeriesFormat.csv,
    plots: Annotated[bool, typer.Option("--plots/--no-plots", help="Draw station.png.")] = True,
    force: ForceFolderOption = False,
) -> None:
    """Run the station over the scenario's period; print the summary (JSON)."""
    from ilrs.station.outputs import write_run
    from ilrs.station.simulation import simulate

    path, loaded = _load(scenario)
    output = OutputFolder(
        out,
        command="ilrs station simulate",
        inputs=[path, *loaded.referenced_files()],
        force=force,
    )
    path, loaded, inputs = _prepared(scenario, (path, loaded))
    run = simulate(inputs)
    with output.staged() as staging:
        summary = write_run(
            run,
            staging,
            scenario_name=loaded.name,
            scenario_file=str(path),
            series_format=series_format.value,
            plots=plots,
        )
    write_json(summary)


@station_app.command("size")
def size_command(
    scenario: ScenarioArgument = None,
    what: Annotated[
        Sized, typer.Option("--what", help="Scale the storage capacity or the array area.")
    ] = Sized.storage,
    tolerance: Annotated[
        float, typer.Option("--tolerance", help="Relative precision of the size found.")
    ] = 0.005,
    survival_only: Annotated[
        bool,
        typer.Option(
            "--survival-only/--all-loads",
            help="Size for the survival loads alone, or for every load as scheduled.",
        ),
    ] = False,
) -> None:
    """The smallest storage (or array) that keeps the survival loads alive over the period."""
    from ilrs.station.simulation import size

    if not 0 < tolerance < 0.5:
        raise InputError(f"--tolerance must lie between 0 and 0.5, got {tolerance}")
    _, _, inputs = _prepared(scenario)
    result, _ = size(inputs, what.value, tolerance=tolerance, survival_only=survival_only)
    write_json(result)


@station_app.command("links")
def links_command(
    scenario: ScenarioArgument = None,
    output_format: FormatOption = OutputFormat.csv,
) -> None:
    """Each link's budget at the farthest distance the period uses it."""
    from ilrs.station.budgets import worst_case_budgets
    from ilrs.station.exposure import site_exposure

    _, loaded = _load(scenario)
    rows = [row for row in worst_case_budgets(site_exposure(loaded)) if len(row) > 2]
    if not rows:
        raise InputError("the scenario has no link that is ever up")
    write_table({key: [row[key] for row in rows] for key in rows[0]}, output_format)


@station_app.command("schema")
def schema_command(
    out: Annotated[Path | None, typer.Option("--out", help="Write here instead of stdout.")] = None,
    force: ForceFileOption = False,
) -> None:
    """The scenario file's JSON Schema (for editors' completion and checks)."""
    from ilrs.station.scenario import scenario_json_schema

    if out is not None:
        check_output_file(out, force=force)
    write_json(scenario_json_schema(), out)


def element_figures(surface) -> list[str]:
    """What each array gives of the sunlight square on it, and the water plant's energy:
    the figures that a file's numbers turn into (``cell_efficiency`` is the cell's rating,
    the chain of losses follows it unless ``losses: none``)."""
    import numpy as np

    from ilrs.station.solar import array_power_w

    lines = []
    for array in surface.solar_arrays:
        one = np.ones(1)
        power_w, _ = array_power_w(array, 1361.0, one, one, one)
        share = float(power_w[0]) / (1361.0 * array.area_m2)
        chain = (
            "losses: none"
            if array.chain is None
            else "the default chain"
            if ("losses" not in array.model_fields_set)
            else "its own chain"
        )
        lines.append(
            f"array {array.name!r}: {share:.1%} of the sunlight square on it reaches the bus "
            f"(cells {array.cell_efficiency:.0%}, {chain}; 1361 W/m2, beginning of life)"
        )
    if surface.isru is not None:
        lines.append(
            f"water plant {surface.isru.name!r}: {surface.isru.wh_per_kg_water:,.0f} Wh per kg "
            "of water"
        )
    return lines


@station_app.command("check")
def check_command(scenario: ScenarioArgument = None) -> None:
    """Validate a scenario file; print what it holds."""
    path, loaded = _load(scenario)
    surface = loaded.surface
    print(
        f"{path}: {loaded.name}: {len(surface.solar_arrays)} arrays, {len(surface.storage)} "
        f"storage units, {len(surface.loads) + len(surface.rovers)} loads, "
        f"{len(loaded.orbital.relays)} relays, {len(loaded.ground.stations)} ground stations"
    )
    for line in element_figures(surface):
        print(f"  {line}")
