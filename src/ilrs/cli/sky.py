"""``ilrs sky`` and ``ilrs subpoint``: the Sun, the Earth and the planets from the Moon."""

from __future__ import annotations

from typing import Annotated

import typer

from ilrs.cli.output import (
    EndOption,
    FormatOption,
    HeightOption,
    LatOption,
    LonOption,
    OutputFormat,
    SiteOption,
    StartOption,
    StepOption,
    TimeOption,
    TimesFileOption,
    collect_times,
    resolve_site,
    rounded,
    write_table,
)
from ilrs.errors import InputError

BodyOption = Annotated[
    list[str] | None,
    typer.Option(
        "--body", "-b", help="sun, earth, or a planet (repeatable; default sun and earth)."
    ),
]


def register(app: typer.Typer) -> None:
    app.command("sky")(sky)
    app.command("subpoint")(subpoint_command)


def sky(
    lat: LatOption = None,
    lon: LonOption = None,
    height: HeightOption = 0.0,
    site: SiteOption = None,
    time: TimeOption = None,
    times_file: TimesFileOption = None,
    start: StartOption = None,
    end: EndOption = None,
    step: StepOption = None,
    body: BodyOption = None,
    output_format: FormatOption = OutputFormat.csv,
) -> None:
    """Apparent azimuth, elevation and distance of the Sun, the Earth or a planet from a point
    on the Moon (light time and stellar aberration; DE421 and its lunar librations).

    Prints per time and body: time, body, azimuth_deg (clockwise from local north),
    elevation_deg, distance_m, angular_radius_deg, illuminated_fraction (the body's phase
    seen from the site; empty for the Sun).
    """
    from ilrs.sky import angular_radius_deg, illuminated_fraction, topocentric

    lat_deg, lon_deg = resolve_site(site, lat, lon)
    bodies = _bodies(body)
    times = collect_times(time, times_file, start, end, step)
    iso = times.utc_iso()
    columns: dict[str, list] = {name: [] for name in _SKY_COLUMNS}
    per_body = []
    for name in bodies:
        position = topocentric(name, lat_deg, lon_deg, times, height)
        phase = (
            [None] * len(times)
            if name == "sun"
            else rounded(illuminated_fraction(name, lat_deg, lon_deg, times, height), 6)
        )
        per_body.append(
            (
                [name] * len(times),
                rounded(position.azimuth_deg, 6),
                rounded(position.elevation_deg, 6),
                rounded(position.distance_m, 1),
                rounded(angular_radius_deg(name, position.distance_m), 6),
                phase,
            )
        )
    # Rows ordered by time, then body, as the interface names them.
    for index in range(len(times)):
        for values in per_body:
            columns["time"].append(iso[index])
            for key, column in zip(_SKY_COLUMNS[1:], values, strict=True):
                columns[key].append(column[index])
    write_table(columns, output_format)


_SKY_COLUMNS = (
    "time",
    "body",
    "azimuth_deg",
    "elevation_deg",
    "distance_m",
    "angular_radius_deg",
    "illuminated_fraction",
)


def subpoint_command(
    time: TimeOption = None,
    times_file: TimesFileOption = None,
    start: StartOption = None,
    end: EndOption = None,
    step: StepOption = None,
    body: BodyOption = None,
    output_format: FormatOption = OutputFormat.csv,
) -> None:
    """The points on the Moon below the Sun (sub-solar) and the Earth (sub-Earth, i.e. the
    libration): time, body, lat_deg, lon_deg (east, -180..180)."""
    from ilrs.sky import subpoint

    bodies = _bodies(body)
    times = collect_times(time, times_file, start, end, step)
    iso = times.utc_iso()
    results = {name: subpoint(name, times) for name in bodies}
    order = [(index, name) for index in range(len(times)) for name in bodies]
    write_table(
        {
            "time": [iso[index] for index, _ in order],
            "body": [name for _, name in order],
            "lat_deg": [round(float(results[name][0][index]), 6) for index, name in order],
            "lon_deg": [round(float(results[name][1][index]), 6) for index, name in order],
        },
        output_format,
    )


def _bodies(body: list[str] | None) -> list[str]:
    from ilrs.sky import naif_id

    bodies = [name.strip().lower() for name in (body or ["sun", "earth"])]
    for name in bodies:
        naif_id(name)
        if name == "moon":
            raise InputError("--body moon: the observer stands on the Moon; choose another body")
    return list(dict.fromkeys(bodies))
