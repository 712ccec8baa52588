"""``ilrs validate``: every model beside its published authority."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from ilrs.cli.output import FormatOption, OutputFormat, write_table


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)


def validate(
    area: Annotated[
        list[str] | None,
        typer.Option("--area", help="Only these areas (sky, terrain, lighting, regolith, ...)."),
    ] = None,
    output_format: FormatOption = OutputFormat.csv,
) -> None:
    """Run each model on cases with published answers (or against an independent
    implementation) and print model, reference, difference, tolerance and source per case;
    exit status 1 if any case is off its tolerance. A case shown but not held (the
    published figure needs what is not embedded) says why and never fails."""
    from ilrs.report.authorities import run_checks

    def progress(name: str) -> None:
        print(f"ilrs validate: {name} ...", file=sys.stderr)

    rows = run_checks(area, progress=progress)
    significant = 6  # digits: enough to see a difference at any tolerance here
    write_table(
        {
            "area": [row.area for row in rows],
            "case": [row.case for row in rows],
            "model": [float(f"{row.model:.{significant}g}") for row in rows],
            "reference": [row.reference for row in rows],
            "difference": [float(f"{row.difference:.3g}") for row in rows],
            "tolerance": [row.tolerance for row in rows],
            "unit": [row.unit for row in rows],
            "ok": [row.ok for row in rows],
            "held": [not row.not_held for row in rows],
            "source": [row.source for row in rows],
            "not_held_because": [row.not_held for row in rows],
        },
        output_format,
    )
    if any(row.ok is False for row in rows):
        raise typer.Exit(1)
