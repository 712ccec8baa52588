"""Benchmark: one site, one 18.6-year nodal cycle at 1-hour steps, Sun and Earth.

Peer: a plain per-epoch loop over NAIF CSPICE through spiceypy (``azlcpo``, SPICE's own
azimuth/elevation of a target from an observer fixed on a body, with ``CN+S``), measured in
the same run on the same epochs. Prints timings, the speed ratio and the largest difference.

    .venv/bin/python benchmarks/bench_sky.py [--years 18.6] [--step-h 1] [--site glaser-2m]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import spiceypy

from ilrs.data import named_site
from ilrs.sky import LunarObserver, default_ephemeris, default_kernels, utc_range
from results import record, report_peak_rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=float, default=18.6)
    parser.add_argument("--step-h", type=float, default=1.0)
    parser.add_argument("--site", default="glaser-2m")
    parser.add_argument("--height-m", type=float, default=2.0)
    parser.add_argument("--repeat", type=int, default=3, help="best of N for the engine")
    args = parser.parse_args()

    site = named_site(args.site)
    end_day = int(round(args.years * 365.25))
    end = (np.datetime64("2026-01-01") + np.timedelta64(end_day, "D")).astype(str)
    default_ephemeris()  # open the kernels outside the timing, as a long-lived process would

    start_clock = time.perf_counter()
    times = utc_range("2026-01-01T00:00:00Z", f"{end}T00:00:00Z", f"{args.step_h}h")
    time_grid_s = time.perf_counter() - start_clock

    engine_s = []
    for _ in range(args.repeat):
        start_clock = time.perf_counter()
        observer = LunarObserver(site.lat_deg, site.lon_deg, times, args.height_m)
        ours = {body: observer.topocentric(body) for body in ("sun", "earth")}
        engine_s.append(time.perf_counter() - start_clock)
    engine_best_s = min(engine_s)

    kernels = default_kernels()
    for path in (kernels.spk, kernels.moon_pck, *kernels.frame_kernels):
        spiceypy.furnsh(str(path))
    spiceypy.pdpool("BODY301_RADII", [1737.4, 1737.4, 1737.4])
    radius_km = 1737.4 + args.height_m / 1e3
    lat, lon = np.radians(site.lat_deg), np.radians(site.lon_deg)
    site_km = spiceypy.latrec(radius_km, lon, lat)
    spice_az = {"SUN": np.empty(len(times)), "EARTH": np.empty(len(times))}
    spice_el = {"SUN": np.empty(len(times)), "EARTH": np.empty(len(times))}
    start_clock = time.perf_counter()
    for index, et in enumerate(times.tdb_s.tolist()):
        for body in ("SUN", "EARTH"):
            azlsta, _ = spiceypy.azlcpo(
                "ELLIPSOID", body, et, "CN+S", False, True, site_km, "MOON", "MOON_ME"
            )
            spice_az[body][index] = azlsta[1]
            spice_el[body][index] = azlsta[2]
    peer_s = time.perf_counter() - start_clock

    print(f"epochs: {len(times):,} ({args.years} years at {args.step_h} h), site {site.name}")
    print(f"time grid (UTC -> TDB):          {time_grid_s * 1e3:9.1f} ms")
    print(
        f"ilrs.sky LunarObserver, Sun+Earth: {engine_best_s * 1e3:9.1f} ms (best of {args.repeat})"
    )
    print(f"spiceypy azlcpo loop, Sun+Earth: {peer_s * 1e3:9.1f} ms")
    print(
        f"speed-up: {peer_s / engine_best_s:.1f}x "
        f"({peer_s / (engine_best_s + time_grid_s):.1f}x including the time grid)"
    )
    largest_error_deg = 0.0
    for body in ("SUN", "EARTH"):
        mine = ours[body.lower()]
        elevation_error = np.abs(mine.elevation_deg - np.degrees(spice_el[body]))
        azimuth_error = np.abs(
            (mine.azimuth_deg - np.degrees(spice_az[body]) + 180) % 360 - 180
        ) * np.cos(np.radians(mine.elevation_deg))
        print(
            f"{body.lower():5s} max |d elevation| {elevation_error.max():.2e} deg, "
            f"max |d azimuth|*cos(el) {azimuth_error.max():.2e} deg"
        )
        largest_error_deg = max(largest_error_deg, elevation_error.max(), azimuth_error.max())
    peak_note = report_peak_rss()
    record(
        f"sky: Sun and Earth from one site, {args.years:g} years at {args.step_h:g} h "
        f"({len(times):,} epochs)",
        engine_best_s,
        "s",
        goal="",
        met=None,
        peer="spiceypy `azlcpo` loop",
        peer_value=peer_s,
        ratio=peer_s / engine_best_s,
        note=f"largest difference {largest_error_deg:.1e} deg; {peak_note}",
    )


if __name__ == "__main__":
    main()
