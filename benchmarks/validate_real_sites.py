"""Validation against real terrain and published lighting: prints the README's table.

For the four named sites with an embedded real horizon (lunahorizon's LOLA-derived
profiles, ``src/ilrs/data/real_horizons/``):

1. the site analysis on the real 2 m and 10 m profiles over the year 2020 (1 h steps) and
   over 2017-2037 (2 h steps; the period of Glaser et al. 2018, a full 18.6-year nodal
   cycle), observer at the site's LOLA ground height plus the mast;
2. the horizon computed from the embedded 1.6 km LOLA cap alone (720 azimuths, 260 km)
   against the real 2 m profile: mean and 90th-percentile absolute elevation error, with
   the observer 2 m above the DEM's own ground and 2 m above the real (finer LOLA) ground.

Run:  PYTHONPATH=src python benchmarks/validate_real_sites.py   (about a minute)
"""

from __future__ import annotations

import time

import numpy as np

from ilrs.data import named_sites, real_horizon_path
from ilrs.environment import analyze_site, read_horizon_csv
from ilrs.sky import utc_range
from ilrs.terrain.stack import TerrainStack

PERIODS = {
    "2020 (1 h)": ("2020-01-01T00:00:00Z", "2020-12-31T23:00:00Z", "1h"),
    "2017–2037 (2 h)": ("2017-01-01T00:00:00Z", "2036-12-31T22:00:00Z", "2h"),
}
MASTS_M = (2.0, 10.0)
# Published lighting figures for comparison, each with its source (shared/data/README.md,
# shared/FACTS.md); the position is the named site of sites.csv the figure belongs to.
PUBLISHED = [
    (
        "bussey-shackleton",
        "86 % lit, 2020, Kaguya topography",
        "Bussey et al. 2010, Icarus 208:558",
    ),
    ("glaser-2m", "92.27 % at 2 m, 19-year cycle, LOLA 20 m", "Glaser et al. 2014, Icarus 243:78"),
    ("glaser-10m", "95.65 % at 10 m, 19-year cycle", "Glaser et al. 2014, Icarus 243:78"),
    (
        "connecting-ridge",
        "89.01 % at 0 m, 93.10 % at 10 m",
        "Mazarico et al. 2011, Icarus 211:1066",
    ),
]
DEM_AZIMUTHS = 720
DEM_MAX_DISTANCE_M = 260_000.0


def real_sites():
    """The named sites that have an embedded real horizon, in the file's order."""
    return [site for site in named_sites().values() if site.real_horizon]


def lighting_rows() -> list[dict]:
    """Site analysis on each real profile, per period and mast height."""
    rows = []
    for period, (start, end, step) in PERIODS.items():
        times = utc_range(start, end, step)
        for site in real_sites():
            for mast_m in MASTS_M:
                line = read_horizon_csv(real_horizon_path(site.name, mast_m))
                result = analyze_site(
                    line,
                    site.lat_deg,
                    site.lon_deg,
                    times,
                    height_m=site.ground_height_m + mast_m,
                    stations=[],
                )
                figures = result.summary()
                rows.append(
                    {
                        "period": period,
                        "site": site.name,
                        "mast_m": mast_m,
                        "sunlit_percent": 100 * figures["sunlit_fraction"],
                        "sun_any_percent": 100 * figures["sun_any_fraction"],
                        "longest_darkness_d": figures["longest_darkness_h"] / 24,
                        "earth_visible_percent": 100 * figures["earth_visible_fraction"],
                    }
                )
    return rows


def dem_horizon_errors(site, observer: str) -> dict:
    """Error of the horizon over the default terrain stack (the 1.6 km cap) against the
    real 2 m profile at one site; the observer 2 m above the cap's own (bilinear) ground
    (``"dem"``) or 2 m above the real, finer ground (``"real"``)."""
    stack = TerrainStack.default()
    dem_ground_m = stack.ground_height_m(site.lat_deg, site.lon_deg)
    above_dem_m = 2.0 if observer == "dem" else site.ground_height_m + 2.0 - dem_ground_m
    horizon = stack.horizon(
        site.lat_deg,
        site.lon_deg,
        azimuths=DEM_AZIMUTHS,
        height_above_ground_m=max(above_dem_m, 0.0),
        max_distance_m=DEM_MAX_DISTANCE_M,
    )
    real = read_horizon_csv(real_horizon_path(site.name, 2.0))
    computed = np.asarray(horizon.elevation_deg, dtype=float)
    error = np.abs(computed - real.elevation_at(horizon.azimuth_deg))
    error = error[np.isfinite(error)]
    return {
        "site": site.name,
        "observer": observer,
        "observer_m": horizon.ground_m + max(above_dem_m, 0.0),
        "dem_ground_m": dem_ground_m,
        "real_ground_m": site.ground_height_m,
        "mean_error_deg": float(np.mean(error)),
        "p90_error_deg": float(np.percentile(error, 90)),
        "azimuths": int(error.size),
    }


def nearest_real_site(name: str) -> tuple[str, float]:
    """The real-horizon site nearest a named site, and its distance [km]."""
    from ilrs.exploration.targets import great_circle_m

    point = named_sites()[name]
    distances = {
        site.name: float(great_circle_m(point.lat_deg, point.lon_deg, site.lat_deg, site.lon_deg))
        for site in real_sites()
    }
    nearest = min(distances, key=distances.get)
    return nearest, distances[nearest] / 1000


def main() -> None:
    began = time.perf_counter()
    print("Site analysis on the real horizons (lunahorizon, LOLA 5-240 m layered)\n")
    print(
        "| period | site | mast [m] | sunlit (disk) % | any of the Sun % "
        "| longest darkness [d] | Earth visible % |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    for row in lighting_rows():
        print(
            f"| {row['period']} | {row['site']} | {row['mast_m']:g} | "
            f"{row['sunlit_percent']:.1f} | {row['sun_any_percent']:.1f} | "
            f"{row['longest_darkness_d']:.1f} | {row['earth_visible_percent']:.1f} |"
        )
    print(
        "\nHorizon over the default terrain stack (the 1.6 km LOLA cap) vs the real 2 m "
        "profile (720 az, 260 km)\n"
    )
    print(
        "| site | observer 2 m above | cap ground [m] | real ground [m] | observer at [m] "
        "| mean error [deg] | 90th pct [deg] |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    for site in real_sites():
        for observer in ("dem", "real"):
            row = dem_horizon_errors(site, observer)
            where = "the cap's ground" if observer == "dem" else "the real ground"
            print(
                f"| {row['site']} | {where} | {row['dem_ground_m']:.0f} | "
                f"{row['real_ground_m']:.0f} | {row['observer_m']:.0f} | "
                f"{row['mean_error_deg']:.2f} | {row['p90_error_deg']:.2f} |"
            )
    print("\nPublished points and the nearest site with a real horizon\n")
    print("| published point | figure | source | nearest real-horizon site | distance [km] |")
    print("|---|---|---|---|---:|")
    for name, figure, source in PUBLISHED:
        nearest, distance_km = nearest_real_site(name)
        print(f"| {name} | {figure} | {source} | {nearest} | {distance_km:.1f} |")
    print(f"\n({time.perf_counter() - began:.0f} s)")


if __name__ == "__main__":
    main()
