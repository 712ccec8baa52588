"""A station run written out: the time series (CSV or Parquet), the JSON summary and the
plots, into a folder (the CLI's is staged and swapped in whole: :mod:`ilrs.outfolder`)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from ilrs import __version__
from ilrs.environment.export import write_intervals_csv
from ilrs.errors import InputError
from ilrs.station.simulation import SERIES_COLUMNS, Simulation

__all__ = ["series_table", "write_run"]


def series_table(run: Simulation) -> dict[str, list | np.ndarray]:
    """Columns of the time series: time, the rates the links allowed, then the run's."""
    exposure = run.inputs.exposure
    table: dict[str, list | np.ndarray] = {"time_utc": exposure.times.utc_iso()}
    table["sunlit_fraction"] = exposure.sunlit_fraction
    table["downlink_rate_bps"] = exposure.downlink_rate_bps
    for name in SERIES_COLUMNS:
        table[name] = run.column(name)
    capacity = run.inputs.capacity_wh.sum()
    if capacity > 0:
        table["state_of_charge"] = run.column("stored_wh") / capacity
    return table


def write_run(
    run: Simulation,
    folder: Path,
    *,
    scenario_name: str,
    scenario_file: str,
    series_format: str = "csv",
    plots: bool = True,
) -> dict:
    """Write ``summary.json``, ``series.csv`` (or ``.parquet``), ``contacts.csv`` and the
    plots into ``folder`` (which exists); returns the summary written."""
    if series_format not in ("csv", "parquet"):
        raise InputError(f"series format must be csv or parquet, not {series_format!r}")
    summary = run.summary()
    summary["scenario"] = {"name": scenario_name, "file": scenario_file}
    summary["provenance"] = {
        "ilrs_version": __version__,
        "ephemeris": "JPL DE421",
        "terrain": run.inputs.exposure.horizon_source,
    }
    table = series_table(run)
    if series_format == "csv":
        _write_csv(folder / "series.csv", table)
    else:
        _write_parquet(folder / "series.parquet", table)
    write_intervals_csv(folder / "contacts.csv", run.inputs.exposure.contact_windows())
    with (folder / "summary.json").open("w", encoding="utf-8") as stream:
        json.dump(summary, stream, indent=1, allow_nan=False)
        stream.write("\n")
    if plots:
        _plot(run, folder)
    return summary


def _write_csv(path: Path, table: dict) -> None:
    names = list(table)
    columns = [table[name] for name in names]
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(names)
        for row in zip(*columns, strict=True):
            writer.writerow([value if isinstance(value, str) else f"{value:.6g}" for value in row])


def _write_parquet(path: Path, table: dict) -> None:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as error:
        raise InputError(
            "Parquet output needs pyarrow: pip install 'ilrs-planner[parquet]', or use CSV"
        ) from error
    arrays = {name: pa.array(np.asarray(values)) for name, values in table.items()}
    pq.write_table(pa.table(arrays), path)


def _plot(run: Simulation, folder: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    days = (run.inputs.exposure.times.tdb_s - run.inputs.exposure.times.tdb_s[0]) / 86400.0
    start = run.inputs.exposure.times.utc_iso()[0][:10]
    figure, axes = plt.subplots(3, 1, figsize=(11, 8.5), sharex=True, constrained_layout=True)
    power, storage, data = axes
    power.plot(days, run.column("generated_w") / 1e3, lw=0.6, label="generated")
    power.plot(days, run.column("demand_w") / 1e3, lw=0.6, label="demand")
    power.plot(days, run.column("served_w") / 1e3, lw=0.6, label="served", alpha=0.8)
    power.set_ylabel("power [kW]")
    power.legend(loc="upper right", fontsize=8)
    capacity = run.inputs.capacity_wh.sum()
    stored = run.column("stored_wh")
    storage.plot(days, stored / 1e3, lw=0.8, color="tab:green", label="stored")
    floor = np.sum(run.inputs.capacity_wh * (1 - run.inputs.depth_of_discharge))
    storage.axhline(floor / 1e3, color="tab:red", lw=0.8, ls="--", label="depth-of-discharge floor")
    failed = run.survival_failures
    if failed.any():
        storage.plot(days[failed], stored[failed] / 1e3, "r.", ms=2, label="survival failure")
    storage.set_ylabel("stored energy [kWh]")
    storage.set_ylim(0, max(capacity, stored.max(), 1.0) / 1e3 * 1.05)
    storage.legend(loc="lower right", fontsize=8)
    data.plot(days, run.column("buffer_bytes") / 1e9, lw=0.8, label="buffered")
    delivered_gb = np.cumsum(run.column("data_delivered_bytes")) / 1e9
    data.plot(days, delivered_gb, lw=0.8, label="delivered (cumulative)")
    data.set_ylabel("data [GB]")
    data.set_xlabel(f"days from {start}")
    data.legend(loc="upper left", fontsize=8)
    figure.suptitle("Station power, storage and data")
    figure.savefig(folder / "station.png", dpi=120)
    plt.close(figure)
