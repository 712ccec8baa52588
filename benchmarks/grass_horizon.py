"""GRASS GIS ``r.horizon`` as a benchmark peer for the terrain-horizon engine.

    run_r_horizon(dem_tif, bearings_deg, max_distance_m, workdir, *, flat=True, threads=1)
        -> (angles_deg[len(bearings), rows, cols], seconds_inside_r_horizon)

Conventions of the result (see benchmarks/README_grass.md for the evidence):

- ``bearings_deg`` are GRID bearings, clockwise from grid north (+y, up in the raster):
  0 = towards row 0 (up), 90 = towards the last column (right).  r.horizon wants
  directions counterclockwise from east, so ``grass_direction = (90 - bearing) mod 360``.
- Angles are elevation angles of the horizon in DEGREES (``r.horizon -d``), positive above
  the local horizontal, on exactly the grid of the input GeoTIFF (same rows, columns,
  orientation).  Cells where the DEM is nodata are NaN.  Where a ray leaves the raster
  before it meets any cell (the outer 1-2 rows/columns, for rays pointing outwards)
  r.horizon writes -90; no horizon is seen beyond the raster's edge (no buffer is added).
- r.horizon (GRASS 8.2.1) always applies an Earth-curvature drop of L**2 / (2 * 6371000 m)
  (hard-coded ``EARTHRADIUS``), it refuses to run in an XY location, and in a projected
  location it turns directions into TRUE geographic directions through the projection.
  This module therefore feeds it a similar copy of the DEM: horizontal coordinates AND
  heights multiplied by one factor ``s`` (angles are unchanged by a similarity), laid in a
  spherical Mercator location (meridians are grid columns, conformal, so true north is grid
  north) centred on the equator.  The curvature radius that r.horizon then effectively
  applies is ``6371000 / s`` metres of the original DEM:

  * ``flat=True``  -> ``s = 1e-4``: effective radius 6.4e10 m, i.e. a drop of 0.8 mm at
    10 km (4.5e-6 deg), a flat-terrain horizon for every practical purpose.  (GRASS keeps
    region bounds to 8 decimals, so ``s`` is not taken smaller: the scaled DEM must keep
    coordinates of order 1.)
  * ``flat=False`` -> ``s = 6371000 / body_radius_m`` (default body: the 1 737 400 m lunar
    sphere), i.e. r.horizon's own curvature term with the Moon's radius.

- The seconds returned are wall-clock seconds of the r.horizon process(es) only (they
  include r.horizon reading the DEM from the GRASS database and writing its output maps,
  which the module cannot skip), not the import (r.in.gdal) nor the export (r.out.gdal).
- ``threads``: r.horizon 8.2 is single-threaded (it has no ``nprocs`` option; 8.4 added one,
  which is used when present).  With ``threads > 1`` and no ``nprocs`` the directions are
  split into ``threads`` groups run as concurrent r.horizon processes, all timed together.

Requires the Debian package ``grass-core`` (``apt-get install -y grass-core``, GRASS 8.2.1
on Debian 12).  Run the self-check with::

    .venv/bin/python benchmarks/grass_horizon.py            # direction / unit self-check
    .venv/bin/python benchmarks/grass_horizon.py --timing   # plus the 500x500x36 timing
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import Affine

GRASS_EARTH_RADIUS_M = 6371000.0  # r.horizon's hard-coded EARTHRADIUS
MOON_RADIUS_M = 1737400.0
FLAT_SCALE = 1.0e-4  # similarity factor used for flat=True (effective radius 6.371e10 m)
# The location r.horizon runs in: a sphere Mercator, true north = grid north everywhere.
LOCATION_CRS = "+proj=merc +lon_0=0 +k=1 +x_0=0 +y_0=0 +R=6371000 +units=m +no_defs"
POLAR_STEREO_CRS = "+proj=stere +lat_0=-90 +lon_0=0 +k=1 +x_0=0 +y_0=0 +R=1737400 +units=m +no_defs"

_MAP_MSG = re.compile(
    r"Calculating map (\d+) of (\d+) \(angle ([-+0-9.eE]+), raster map <([^>]+)>\)"
)


# --------------------------------------------------------------------------- GRASS plumbing


def grass_executable() -> str:
    exe = os.environ.get("GRASS_EXECUTABLE") or shutil.which("grass")
    if not exe:
        raise RuntimeError(
            "GRASS GIS not found: install it with `apt-get install -y grass-core` "
            "(or set GRASS_EXECUTABLE)"
        )
    return exe


def grass_version() -> str:
    out = subprocess.run([grass_executable(), "--version"], capture_output=True, text=True)
    return (out.stdout or out.stderr).splitlines()[0].strip()


def _grass_env(gisbase: str, gisrc: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        GISBASE=gisbase,
        GISRC=str(gisrc),
        PATH=f"{gisbase}/bin:{gisbase}/scripts:{env.get('PATH', '')}",
        LD_LIBRARY_PATH=f"{gisbase}/lib:{env.get('LD_LIBRARY_PATH', '')}",
        GRASS_OVERWRITE="1",
        GRASS_MESSAGE_FORMAT="plain",  # parseable "Calculating map k of N" lines
        GRASS_VERBOSE="2",
        LC_ALL="C",
    )
    # the venv's Python must not leak into GRASS's own Python scripts
    for var in ("PYTHONHOME", "PYTHONPATH", "VIRTUAL_ENV"):
        env.pop(var, None)
    return env


def _run(cmd: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(
            f"GRASS command failed ({proc.returncode}): {' '.join(cmd)}\n"
            f"{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
        )
    return proc


class _GrassSession:
    """A throw-away GRASS database/location/mapset, driven by calling modules directly."""

    def __init__(self, root: Path, georef_tif: Path):
        self.root = root
        self.dbase = root / "grassdb"
        self.dbase.mkdir(parents=True, exist_ok=True)
        exe = grass_executable()
        gisbase = subprocess.run(
            [exe, "--config", "path"], capture_output=True, text=True, check=True
        ).stdout.strip()
        location = self.dbase / "loc"
        # non-interactive creation of a location with the CRS of georef_tif, then exit
        proc = subprocess.run(
            [exe, "-c", str(georef_tif), str(location), "-e"], capture_output=True, text=True
        )
        if proc.returncode != 0 or not (location / "PERMANENT").is_dir():
            raise RuntimeError(f"grass -c failed:\n{proc.stdout}\n{proc.stderr}")
        self.gisrc = root / "gisrc"
        self.gisrc.write_text(
            f"GISDBASE: {self.dbase}\nLOCATION_NAME: loc\nMAPSET: PERMANENT\nGUI: text\n"
        )
        self.env = _grass_env(gisbase, self.gisrc)
        self.gisbase = gisbase

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return _run(list(args), self.env)

    def module_has_option(self, module: str, option: str) -> bool:
        proc = subprocess.run(
            [module, "--interface-description"], env=self.env, capture_output=True, text=True
        )
        return f'name="{option}"' in proc.stdout


# --------------------------------------------------------------------------- direction plan


def bearing_to_grass(bearing_deg: float) -> float:
    """Grid bearing (clockwise from grid north) -> r.horizon direction (CCW from east)."""
    return (90.0 - bearing_deg) % 360.0


def _plan_calls(bearings: np.ndarray, n_groups: int) -> list[tuple[float, float, list[int]]]:
    """Split the requested bearings into r.horizon calls.

    Returns (grass_direction, step, [indices into bearings in output-map order]) per call;
    step 0 means a single direction.  Evenly spaced bearings go to one call (or ``n_groups``
    contiguous calls) with r.horizon's own ``direction=`` + ``step=`` loop: the DEM is then
    read once per call, as a user of r.horizon would do it.
    """
    n = len(bearings)
    b = np.mod(bearings, 360.0)
    order = np.argsort(b, kind="stable")
    if n >= 2:  # put the widest gap at the wrap, so that e.g. 350, 0, 10 is one sequence
        gaps = np.diff(np.append(b[order], b[order[0]] + 360.0))
        order = np.roll(order, -((int(np.argmax(gaps)) + 1) % n))
    bs = b[order]
    bs = bs[0] + np.mod(bs - bs[0], 360.0)  # unwrapped, increasing
    calls: list[tuple[float, float, list[int]]] = []
    if n >= 2:
        d = np.diff(bs)
        step = float(np.mean(d))
        even = step > 0 and np.all(np.abs(d - step) < 1e-9) and n * step <= 360.0 + 1e-9
    else:
        even = False
    if even:
        # grid bearings increase clockwise, r.horizon angles counterclockwise: start from
        # the largest bearing and go up in r.horizon angle with the same step.
        rev = order[::-1]
        g0 = bearing_to_grass(float(bs[-1]))
        chunks = np.array_split(np.arange(n), max(1, min(n_groups, n)))
        for ch in chunks:
            if len(ch) == 0:
                continue
            calls.append(((g0 + ch[0] * step) % 360.0, step, [int(rev[j]) for j in ch]))
    else:
        for i in range(n):
            calls.append((bearing_to_grass(float(b[i])), 0.0, [i]))
    return calls


def _fmt(x: float) -> str:
    return f"{x:.12f}".rstrip("0").rstrip(".") or "0"


def _fmt_step_down(step: float) -> str:
    """Step rounded DOWN at 1e-10 deg, so that r.horizon's int((end-start)/step) is not short."""
    return _fmt(math.floor(step * 1e10) / 1e10)


# --------------------------------------------------------------------------- main entry


def run_r_horizon(
    dem_tif: Path,
    bearings_deg: list[float],
    max_distance_m: float,
    workdir: Path,
    *,
    flat: bool = True,
    threads: int = 1,
    distance_coef: float = 1.0,
    body_radius_m: float = MOON_RADIUS_M,
    keep_files: bool = False,
) -> tuple[np.ndarray, float]:
    """Horizon elevation angles (degrees) from GRASS r.horizon on the grid of ``dem_tif``.

    Parameters
    ----------
    dem_tif: GeoTIFF DEM, north-up, heights and pixel sizes in metres (any projected CRS;
        the CRS itself is not used, only the pixel grid).
    bearings_deg: grid bearings, clockwise from grid north (+y, up in the raster).
    max_distance_m: r.horizon ``maxdistance`` in metres of the DEM.
    workdir: a scratch directory; a unique sub-directory is made and (unless
        ``keep_files``) removed afterwards.
    flat: True -> no curvature (see module docstring); False -> curvature of a sphere of
        ``body_radius_m`` (default the Moon).
    threads: see module docstring.
    distance_coef: r.horizon ``distance=`` (the ray sampling step as a multiple of the
        mean cell size, 0.5..1.5, GRASS default 1.0; 0.5 is the finest it allows).

    Returns (angles, seconds): angles has shape (len(bearings_deg), rows, cols), float64;
    seconds is the wall-clock time of the r.horizon run(s) only.
    """
    dem_tif = Path(dem_tif)
    bearings = np.asarray(list(bearings_deg), dtype=float)
    if bearings.ndim != 1 or len(bearings) == 0:
        raise ValueError("bearings_deg must be a non-empty list of numbers")
    if not (0.5 <= distance_coef <= 1.5):
        raise ValueError("r.horizon accepts distance (sampling step coefficient) 0.5..1.5")
    s = FLAT_SCALE if flat else GRASS_EARTH_RADIUS_M / float(body_radius_m)

    with rasterio.open(dem_tif) as ds:
        z = ds.read(1, masked=True).astype(np.float64).filled(np.nan)
        tr = ds.transform
    if tr.b != 0.0 or tr.d != 0.0:
        raise ValueError("rotated/sheared DEM transforms are not supported")
    flip_rows = tr.e > 0  # south-up raster: flip to north-up for GRASS, flip back after
    flip_cols = tr.a < 0
    if flip_rows:
        z = z[::-1, :]
    if flip_cols:
        z = z[:, ::-1]
    rows, cols = z.shape
    dx, dy = abs(tr.a), abs(tr.e)
    nodata = ~np.isfinite(z)

    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="r_horizon_", dir=workdir))
    try:
        # similar copy of the DEM, centred on (0, 0) of the Mercator location
        scaled = root / "dem_scaled.tif"
        sx, sy = dx * s, dy * s
        transform = Affine(sx, 0.0, -0.5 * cols * sx, 0.0, -sy, 0.5 * rows * sy)
        with rasterio.open(
            scaled,
            "w",
            driver="GTiff",
            height=rows,
            width=cols,
            count=1,
            dtype="float32",
            crs=LOCATION_CRS,
            transform=transform,
            nodata=np.nan,
        ) as out:
            out.write((z * s).astype(np.float32), 1)

        g = _GrassSession(root, scaled)
        g.run("r.in.gdal", f"input={scaled}", "output=dem", "memory=1024")
        g.run("g.region", "raster=dem")
        reg = dict(
            line.split("=", 1) for line in g.run("g.region", "-g").stdout.split() if "=" in line
        )
        if int(reg["rows"]) != rows or int(reg["cols"]) != cols:
            raise RuntimeError(f"GRASS region {reg} does not match the DEM {rows}x{cols}")

        has_nprocs = g.module_has_option("r.horizon", "nprocs")
        n_groups = 1 if (threads <= 1 or has_nprocs) else int(threads)
        calls = _plan_calls(bearings, n_groups)

        def cmd_for(k: int, direction: float, step: float, idx: list[int]) -> list[str]:
            cmd = [
                "r.horizon",
                "-d",
                "elevation=dem",
                f"output=h{k}",
                f"direction={_fmt(direction)}",
                f"maxdistance={_fmt(max_distance_m * s)}",
                f"distance={_fmt(distance_coef)}",
            ]
            if step > 0:
                cmd += [
                    f"step={_fmt_step_down(step)}",
                    "start=0",
                    f"end={_fmt(min(360.0, (len(idx) + 0.5) * step))}",
                ]
            else:
                cmd += ["step=0"]
            if has_nprocs and threads > 1:
                cmd += [f"nprocs={int(threads)}"]
            return cmd

        cmds = [cmd_for(k, *c) for k, c in enumerate(calls)]
        workers = 1 if has_nprocs else max(1, int(threads))
        t0 = time.perf_counter()
        if workers == 1:
            procs = [_run(c, g.env) for c in cmds]
        else:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                procs = list(pool.map(lambda c: _run(c, g.env), cmds))
        seconds = time.perf_counter() - t0

        result = np.full((len(bearings), rows, cols), np.nan)
        for (direction, step, idx), proc in zip(calls, procs, strict=True):
            found = _MAP_MSG.findall(proc.stderr + proc.stdout)
            if len(found) != len(idx):
                raise RuntimeError(
                    f"r.horizon made {len(found)} maps, expected {len(idx)}:\n{proc.stderr}"
                )
            for j, (_, _, angle_txt, name) in enumerate(found):
                expect = direction + j * step
                if abs(((float(angle_txt) - expect + 180.0) % 360.0) - 180.0) > 0.011:
                    raise RuntimeError(f"map {name}: angle {angle_txt}, expected {expect}")
                tif = root / f"{name}.tif"
                g.run(
                    "r.out.gdal",
                    "-c",
                    "-f",
                    f"input={name}",
                    f"output={tif}",
                    "format=GTiff",
                    "type=Float32",
                    "createopt=COMPRESS=NONE",
                    "--quiet",
                )
                with rasterio.open(tif) as hs:
                    a = hs.read(1).astype(np.float64)
                result[idx[j]] = a
        result[:, nodata] = np.nan
        if flip_rows:
            result = result[:, ::-1, :]
        if flip_cols:
            result = result[:, :, ::-1]
        return np.ascontiguousarray(result), seconds
    finally:
        if not keep_files:
            shutil.rmtree(root, ignore_errors=True)


# --------------------------------------------------------------------------- self-check


def _write_dem(
    path: Path, z: np.ndarray, res: float, x0: float = -250000.0, y0: float = 250000.0
) -> None:
    """Write z (row 0 = north/up) as a GeoTIFF in the lunar polar stereographic CRS."""
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=z.shape[0],
        width=z.shape[1],
        count=1,
        dtype="float32",
        crs=POLAR_STEREO_CRS,
        transform=Affine(res, 0, x0, 0, -res, y0),
        nodata=np.nan,
    ) as out:
        out.write(z.astype(np.float32), 1)


def test_dem(path: Path, n: int = 500, res: float = 20.0, seed: int = 1) -> None:
    """A few Gaussian hills and a crater on a 500 x 500 grid of 20 m pixels."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:n, 0:n] * res
    z = np.zeros((n, n))
    for _ in range(6):
        cx, cy = rng.uniform(0, n * res, 2)
        h, w = rng.uniform(100, 600), rng.uniform(500, 2000)
        z += h * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * w * w))
    cx, cy, rc = 0.55 * n * res, 0.45 * n * res, 2000.0
    r = np.hypot(x - cx, y - cy) / rc
    z += np.where(r < 1, 120 - 400 * (1 - r**2), 120 * np.exp(-((r - 1) ** 2) / 0.05))
    _write_dem(path, z, res)


def _self_check(timing: bool) -> int:
    print(grass_version())
    ok = True
    with tempfile.TemporaryDirectory(prefix="grass_selfcheck_") as tmp:
        tmp = Path(tmp)

        # 1. A 100 m wall along the top (north) of a flat plain.
        n, res, H = 200, 20.0, 100.0
        z = np.zeros((n, 2 * n))
        z[:10, :] = H
        _write_dem(tmp / "wall.tif", z, res)
        bearings = [0.0, 45.0, 90.0, 135.0, 180.0, 225.0, 270.0, 315.0]
        ang, sec = run_r_horizon(tmp / "wall.tif", bearings, 10000.0, tmp)
        r0, c0 = 150, 200  # a plain cell 141 rows south of the wall's last row (row 9)
        L = (r0 - 9) * res
        print(
            f"\n[wall] 100 m wall in rows 0-9 (north/up); cell (row {r0}, col {c0}); "
            f"r.horizon {sec:.2f} s"
        )
        for b, a in zip(bearings, ang[:, r0, c0], strict=True):
            print(f"  bearing {b:5.1f}: horizon {a:8.4f} deg")
        want = math.degrees(math.atan(H / L))
        ok &= _check("bearing 0 sees the wall: atan(100/L)", ang[0, r0, c0], want, 1e-3)
        want45 = math.degrees(math.atan(H / (L * math.sqrt(2))))
        ok &= _check(
            "bearing 45 and 315 see it at L*sqrt(2) (nearest-cell)",
            ang[[1, 7], r0, c0],
            want45,
            0.02,
        )
        ok &= _check("bearings 90..270 see the flat plain: 0", ang[2:7, r0, c0], 0.0, 1e-6)
        # the whole plain (rows 10.., away from the outer 2 rows/columns where r.horizon
        # writes -90 for rays that leave the raster at once): positive ONLY towards bearing 0
        plain = ang[:, 10:-2, 2:-2]
        ok &= _check("whole plain, bearing 0: min > 0", float(plain[0].min() > 0.05), 1.0, 0)
        ok &= _check(
            "whole plain, bearings 90..270: max |angle|", float(np.abs(plain[2:7]).max()), 0.0, 1e-6
        )
        # same maps from uneven bearings (one r.horizon call each) and from 2 processes
        ang2, _ = run_r_horizon(tmp / "wall.tif", [315.0, 0.0, 12.5], 10000.0, tmp, threads=2)
        ok &= _check(
            "uneven bearings / threads=2 give the same maps",
            float(np.nanmax(np.abs(ang2[:2] - ang[[7, 0]]))),
            0.0,
            0,
        )

        # 2. A cone (apex 500 m, radius 1000 m, slope 26.6 deg) on a plane; the observer
        #    stands on the plane due east of the apex at 3 km: horizon towards bearing 270
        #    is atan(500 / 3000) = 9.46 deg (the apex hides the flanks since slope > angle).
        n, res = 801, 10.0
        yy, xx = np.mgrid[0:n, 0:n]
        ca = 400  # apex at the centre cell
        rr = np.hypot(yy - ca, xx - ca) * res
        cone = np.clip(500.0 * (1 - rr / 1000.0), 0, None)
        _write_dem(tmp / "cone.tif", cone, res)
        bearings = [0.0, 90.0, 180.0, 270.0]
        cases = {  # observer (row, col), bearing index expected to see the apex
            "east of apex, look W (270)": ((ca, ca + 300), 3),
            "south of apex, look N (0)": ((ca + 300, ca), 0),
            "west of apex, look E (90)": ((ca, ca - 300), 1),
            "north of apex, look S (180)": ((ca - 300, ca), 2),
        }
        ang, sec = run_r_horizon(tmp / "cone.tif", bearings, 10000.0, tmp)
        want = math.degrees(math.atan(500.0 / 3000.0))
        print(
            f"\n[cone] apex 500 m at (row {ca}, col {ca}), observers 3000 m away; "
            f"r.horizon {sec:.2f} s; expected {want:.4f} deg towards the apex"
        )
        for label, ((r, c), k) in cases.items():
            print(
                f"  {label}: "
                + ", ".join(
                    f"b{int(b)}={a:7.3f}" for b, a in zip(bearings, ang[:, r, c], strict=True)
                )
            )
            ok &= _check(f"{label}: towards apex", ang[k, r, c], want, 1e-3)
            others = [i for i in range(4) if i != k]
            ok &= _check(f"{label}: other directions flat", ang[others, r, c], 0.0, 1e-6)

        # 3. Curvature: flat=False uses the lunar sphere (1737.4 km).
        z = np.zeros((n, n))
        z[:5, :] = 300.0
        _write_dem(tmp / "wall2.tif", z, 20.0)
        r0 = n - 1
        L = (r0 - 4) * 20.0
        a_flat, _ = run_r_horizon(tmp / "wall2.tif", [0.0], 20000.0, tmp, flat=True)
        a_moon, _ = run_r_horizon(tmp / "wall2.tif", [0.0], 20000.0, tmp, flat=False)
        print(
            f"\n[curvature] 300 m wall at L = {L:.0f} m: flat {a_flat[0, r0, ca]:.5f}, "
            f"moon {a_moon[0, r0, ca]:.5f} deg"
        )
        ok &= _check("flat: atan(H/L)", a_flat[0, r0, ca], math.degrees(math.atan(300.0 / L)), 1e-3)
        ok &= _check(
            "moon: atan((H - L^2/2R)/L)",
            a_moon[0, r0, ca],
            math.degrees(math.atan((300.0 - L * L / (2 * MOON_RADIUS_M)) / L)),
            1e-3,
        )

        if timing:
            test_dem(tmp / "hills.tif")
            bearings = list(np.arange(36) * 10.0)
            ang, sec = run_r_horizon(tmp / "hills.tif", bearings, 10000.0, tmp)
            print(
                f"\n[timing] 500x500 px of 20 m, 36 directions, maxdistance 10 km, "
                f"distance=1.0: r.horizon {sec:.2f} s "
                f"(horizon range {np.nanmin(ang):.2f}..{np.nanmax(ang):.2f} deg)"
            )
    print("\nALL CHECKS PASSED" if ok else "\nSOME CHECKS FAILED")
    return 0 if ok else 1


def _check(label: str, got, want: float, tol: float) -> bool:
    got = np.atleast_1d(np.asarray(got, dtype=float))
    err = float(np.max(np.abs(got - want)))
    good = err <= tol
    print(
        f"  {'ok  ' if good else 'FAIL'} {label}: got {np.round(got, 5).tolist()}, "
        f"want {want:.5f} (|err| {err:.2e} <= {tol:g})"
    )
    return good


if __name__ == "__main__":
    sys.exit(_self_check(timing="--timing" in sys.argv[1:]))
