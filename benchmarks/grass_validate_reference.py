"""Regenerate ``src/ilrs/data/grass_horizons.csv``: GRASS GIS r.horizon's horizons on the
embedded LOLA cap, the reference ``ilrs validate`` holds the terrain engine against.

The DEM is a window of the embedded LOLA LDEM_256 cap (1600 m pixels) about the pole, as
it is in the package (int16 metres above the 1 737 400 m sphere, same rows and columns).
The observers are the cell centres nearest a few named sites, on the ground (r.horizon has
no observer height). r.horizon runs through ``grass_horizon.run_r_horizon`` with the
Moon's curvature (``flat=False``: r.horizon's own drop L**2 / 2R with R = 1 737 400 m),
``distance=1`` (its default step) and grid bearings clockwise from grid north (turned into
r.horizon's counter-clockwise-from-east directions by the wrapper). See
benchmarks/README_grass.md for how the wrapper drives GRASS and how r.horizon samples.

Needs GRASS (``apt-get install -y grass-core``; not in CI: the CSV is the stored answer).

    .venv/bin/python benchmarks/grass_validate_reference.py
"""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import numpy as np

from grass_horizon import grass_version, run_r_horizon
from ilrs.data import LOLA_CAP_DEM, data_path, named_site
from ilrs.terrain.geotiff import write_geotiff
from ilrs.terrain.grid import Window, latlon_from_polar_xy
from ilrs.terrain.sources import open_dem

OUT = Path(__file__).resolve().parents[1] / "src" / "ilrs" / "data" / "grass_horizons.csv"
# The window: 190 x 190 cells of the cap (304 km) about the pole. Every observer lies
# within 45 km of the pole, so a 100 km ray never leaves the window.
WINDOW = Window(286, 286, 190, 190)
MAX_DISTANCE_M = 100_000.0
BEARINGS_DEG = [22.5 * k for k in range(16)]
SITES = (
    "shackleton-floor",
    "connecting-ridge-lola",
    "peak-near-shackleton",
    "de-gerlache-rim-2",
    "bussey-shackleton",
)
# r.horizon never looks beyond (zmax - z_obs) / tan(0.5 deg) (its TANMINANGLE), see
# README_grass.md; the observers are kept where that reach exceeds the maximum distance.
TAN_MIN_ANGLE = 0.008727


def main() -> None:
    dem = open_dem(data_path(LOLA_CAP_DEM)).read(WINDOW)
    cells = []
    for name in SITES:
        site = named_site(name)
        row, col = (int(round(float(v))) for v in dem.rowcol_of_latlon(site.lat_deg, site.lon_deg))
        ground_m = float(dem.height_m[row, col])
        reach_m = (float(np.nanmax(dem.height_m)) - ground_m) / TAN_MIN_ANGLE
        if reach_m < MAX_DISTANCE_M:
            raise SystemExit(f"{name}: r.horizon would stop at {reach_m:.0f} m (TANMINANGLE)")
        cells.append((name, row, col, ground_m))
    with tempfile.TemporaryDirectory(prefix="grass_validate_") as tmp:
        tif = Path(tmp) / "cap_window.tif"
        write_geotiff(tif, dem.height_m.astype(np.float32), dem.transform)
        angles, _ = run_r_horizon(tif, BEARINGS_DEG, MAX_DISTANCE_M, Path(tmp), flat=False)
    version = grass_version()
    with OUT.open("w", encoding="utf-8", newline="") as stream:
        stream.write(
            f"# GRASS GIS r.horizon ({version}) on the embedded LOLA LDEM_256 cap "
            "(data/lola/lola_dem_south.tif, 1600 m),\n"
            f"# window rows {WINDOW.row_off}..{WINDOW.row_off + WINDOW.height - 1}, "
            f"cols {WINDOW.col_off}..{WINDOW.col_off + WINDOW.width - 1} of the cap "
            "(row/col below are in the window).\n"
            "# r.horizon -d elevation=dem direction=<90 - bearing> step=22.5 "
            f"maxdistance={MAX_DISTANCE_M:g} m distance=1, the Moon's curvature\n"
            "# (benchmarks/grass_horizon.py run_r_horizon flat=False: a similar copy of the "
            "DEM in a spherical Mercator location,\n"
            "# so that r.horizon's hard-coded L^2/2R drop is the Moon's and grid north is "
            "true north).\n"
            "# Observers: the cell centre nearest each named site, on the ground. "
            "Bearings: grid, clockwise from grid north (+y).\n"
            "# Regenerate: .venv/bin/python benchmarks/grass_validate_reference.py\n"
        )
        writer = csv.writer(stream)
        writer.writerow(
            [
                "site",
                "row",
                "col",
                "lat_deg",
                "lon_deg",
                "ground_m",
                "grid_bearing_deg",
                "grass_deg",
            ]
        )
        for name, row, col, ground_m in cells:
            x_m, y_m = dem.xy(row, col)
            lat_deg, lon_deg = (float(v) for v in latlon_from_polar_xy(x_m, y_m))
            for k, bearing in enumerate(BEARINGS_DEG):
                writer.writerow(
                    [
                        name,
                        row,
                        col,
                        f"{lat_deg:.6f}",
                        f"{lon_deg:.6f}",
                        f"{ground_m:.1f}",
                        f"{bearing:g}",
                        f"{float(angles[k, row, col]):.5f}",
                    ]
                )
    print(f"wrote {OUT} ({version}, {len(cells)} observers x {len(BEARINGS_DEG)} bearings)")


if __name__ == "__main__":
    main()
