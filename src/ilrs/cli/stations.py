"""``ilrs stations`` and ``ilrs sites``: the built-in ground stations and reference sites,
and whether a station sees a point on the Moon."""

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
from ilrs.data import named_sites

stations_app = typer.Typer(
    help="Ground stations on Earth: list them, or see whether they see a lunar site.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(stations_app, name="stations")
    app.command("sites")(sites)


@stations_app.command("list")
def list_stations(output_format: FormatOption = OutputFormat.csv) -> None:
    """The built-in ground stations: position (WGS84), dish, elevation mask, source."""
    from ilrs.sky.stations import ground_stations

    stations = list(ground_stations().values())
    geodetic = [station.geodetic for station in stations]
    write_table(
        {
            "name": [s.name for s in stations],
            "label": [s.label for s in stations],
            "operator": [s.operator for s in stations],
            "lat_deg": [round(g[0], 5) for g in geodetic],
            "lon_deg": [round(g[1], 5) for g in geodetic],
            "height_m": [round(g[2], 1) for g in geodetic],
            "dish_diameter_m": [s.dish_diameter_m for s in stations],
            "elevation_mask_deg": [s.elevation_mask_deg for s in stations],
            "source": [s.source for s in stations],
        },
        output_format,
    )


@stations_app.command("view")
def view(
    station: Annotated[
        list[str] | None,
        typer.Option("--station", "-s", help="Station name (repeatable; default all)."),
    ] = None,
    lat: LatOption = None,
    lon: LonOption = None,
    height: HeightOption = 0.0,
    site: SiteOption = None,
    time: TimeOption = None,
    times_file: TimesFileOption = None,
    start: StartOption = None,
    end: EndOption = None,
    step: StepOption = None,
    output_format: FormatOption = OutputFormat.csv,
) -> None:
    """Where a point on the Moon stands in each ground station's sky, and whether it clears
    the station's elevation mask: time, station, azimuth_deg, elevation_deg, distance_m,
    elevation_mask_deg, above_mask."""
    from ilrs.sky.stations import ground_station, ground_stations, station_view

    lat_deg, lon_deg = resolve_site(site, lat, lon)
    chosen = (
        [ground_station(name) for name in station] if station else list(ground_stations().values())
    )
    times = collect_times(time, times_file, start, end, step)
    iso = times.utc_iso()
    views = {s.name: station_view(s, lat_deg, lon_deg, times, height) for s in chosen}
    order = [(index, s) for index in range(len(times)) for s in chosen]
    columns = {
        "time": [iso[index] for index, _ in order],
        "station": [s.name for _, s in order],
        "azimuth_deg": [],
        "elevation_deg": [],
        "distance_m": [],
        "elevation_mask_deg": [s.elevation_mask_deg for _, s in order],
        "above_mask": [bool(views[s.name].above_mask[index]) for index, s in order],
    }
    rounded_views = {
        name: (rounded(v.azimuth_deg, 6), rounded(v.elevation_deg, 6), rounded(v.distance_m, 1))
        for name, v in views.items()
    }
    for index, s in order:
        azimuth, elevation, distance = rounded_views[s.name]
        columns["azimuth_deg"].append(azimuth[index])
        columns["elevation_deg"].append(elevation[index])
        columns["distance_m"].append(distance[index])
    write_table(columns, output_format)


def sites(output_format: FormatOption = OutputFormat.csv) -> None:
    """The named reference sites near the south pole, with the source of each position, the
    LOLA ground height where the source gives one, and the embedded real horizon (if any)."""
    found = list(named_sites().values())
    write_table(
        {
            "name": [s.name for s in found],
            "label": [s.label for s in found],
            "lat_deg": [s.lat_deg for s in found],
            "lon_deg": [s.lon_deg for s in found],
            "ground_height_m": [s.ground_height_m for s in found],
            "horizon": [s.real_horizon for s in found],
            "source": [s.source for s in found],
        },
        output_format,
    )
