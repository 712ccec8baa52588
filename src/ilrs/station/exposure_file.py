"""An :class:`~ilrs.station.exposure.Exposure` as one ``.npz`` file, and back, exactly.

The exposure of a 20-year campaign takes half a minute to compute and a few tens of
milliseconds to read: what-ifs and plans keep it on disk (``ilrs.report.exposure_cache``).
The file holds the arrays bit for bit and the rest (names, link specs, the relays' upkeep)
as one JSON text; it is written beside its name and renamed, so it is never half there.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from ilrs.sky import Times
from ilrs.station.exposure import Exposure, LinkUse, SunOnArray
from ilrs.station.scenario import LinkSpec, TerminalSpec

__all__ = ["EXPOSURE_FILE_FORMAT", "UnreadableExposureError", "read_exposure", "write_exposure"]

EXPOSURE_FILE_FORMAT = 1  # raise when the layout below changes


class UnreadableExposureError(Exception):
    """The file is missing, truncated, corrupt or of another layout: compute it again."""


def write_exposure(exposure: Exposure, path: Path) -> Path:
    """Write ``exposure`` to ``path`` (``.npz``), atomically: a temporary file in the same
    folder, renamed over the name when complete."""
    path = Path(path)
    arrays = {
        "tdb_s": exposure.times.tdb_s,
        "solar_flux_w_m2": exposure.solar_flux_w_m2,
        "sun_elevation_deg": exposure.sun_elevation_deg,
        "sunlit_fraction": exposure.sunlit_fraction,
        "dte_rate_bps": exposure.dte_rate_bps,
    }
    # Dictionaries by position (names may hold any character): their names go in the JSON.
    for index, sun in enumerate(exposure.arrays.values()):
        arrays[f"array{index}_disk_fraction"] = sun.disk_fraction
        arrays[f"array{index}_incidence_cos"] = sun.incidence_cos
    for index, rate in enumerate(exposure.relay_rate_bps.values()):
        arrays[f"relay{index}_rate_bps"] = rate
    for index, available in enumerate(exposure.station_available.values()):
        arrays[f"station{index}_available"] = available
    for index, use in enumerate(exposure.links):
        arrays[f"link{index}_distance_m"] = use.distance_m
        if use.weather_db is not None:
            arrays[f"link{index}_weather_db"] = use.weather_db
    meta = {
        "format": EXPOSURE_FILE_FORMAT,
        "step_s": exposure.step_s,
        "lat_deg": exposure.lat_deg,
        "lon_deg": exposure.lon_deg,
        "horizon_source": exposure.horizon_source,
        "arrays": list(exposure.arrays),
        "relays": list(exposure.relay_rate_bps),
        "stations": list(exposure.station_available),
        "links": [
            {
                "name": use.name,
                "link": use.link.model_dump(mode="json"),
                "receiver": use.receiver.model_dump(mode="json"),
                "weather": use.weather_db is not None,
            }
            for use in exposure.links
        ],
        "relay_upkeep": exposure.relay_upkeep,
    }
    # JSON floats round-trip exactly (repr), so the scalars come back bit for bit too.
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            np.savez(stream, **arrays)  # uncompressed: reading is a copy, not a decompression
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def read_exposure(path: Path) -> Exposure:
    """The exposure written by :func:`write_exposure`; :class:`UnreadableExposureError` when the
    file is missing, truncated, corrupt or of another layout."""
    try:
        with np.load(Path(path), allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
        meta = json.loads(arrays.pop("meta").tobytes().decode())
        if meta.get("format") != EXPOSURE_FILE_FORMAT:
            raise UnreadableExposureError(f"{path}: layout {meta.get('format')!r}")
        links = [
            LinkUse(
                item["name"],
                LinkSpec.model_validate(item["link"]),
                TerminalSpec.model_validate(item["receiver"]),
                arrays[f"link{index}_distance_m"],
                arrays[f"link{index}_weather_db"] if item["weather"] else None,
            )
            for index, item in enumerate(meta["links"])
        ]
        return Exposure(
            times=Times(arrays["tdb_s"]),
            step_s=float(meta["step_s"]),
            lat_deg=float(meta["lat_deg"]),
            lon_deg=float(meta["lon_deg"]),
            horizon_source=meta["horizon_source"],
            solar_flux_w_m2=arrays["solar_flux_w_m2"],
            sun_elevation_deg=arrays["sun_elevation_deg"],
            sunlit_fraction=arrays["sunlit_fraction"],
            arrays={
                name: SunOnArray(
                    arrays[f"array{index}_disk_fraction"], arrays[f"array{index}_incidence_cos"]
                )
                for index, name in enumerate(meta["arrays"])
            },
            dte_rate_bps=arrays["dte_rate_bps"],
            relay_rate_bps={
                name: arrays[f"relay{index}_rate_bps"] for index, name in enumerate(meta["relays"])
            },
            station_available={
                name: arrays[f"station{index}_available"]
                for index, name in enumerate(meta["stations"])
            },
            links=links,
            relay_upkeep=meta["relay_upkeep"],
        )
    except UnreadableExposureError:
        raise
    # What a damaged file raises: a bad zip, a short read, bad JSON, a missing key, a
    # spec that no longer validates. Any of them means: compute it again.
    except (OSError, EOFError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as error:
        raise UnreadableExposureError(f"{path}: {error}") from None
