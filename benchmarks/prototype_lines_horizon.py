"""Experiment, not part of the package: horizons along parallel grid lines with one
sample per column, for issue 3's speed target (50x r.horizon). Each pixel's far field is
the tangent to the upper hull of the two lines that bracket its own ray (one row apart,
interpolated across); its first ``near`` columns are sampled on its own ray.

Flat body, observer on the ground, no distance limit (the grid's edge ends the rays):
the three things a method built from this would still have to add. Measured on
2026-11-24 (2 cores), 500 x 500 px of 20 m, the 36 bearings the sweep uses:
0.49-0.71 s (r.horizon: 22-28 s, so 35-51x); errors against the brute force on 300
random pixel-bearings, max 1.27 deg, mean 0.022 deg (r.horizon: 14.9 / 0.79 deg).

    .venv/bin/python benchmarks/prototype_lines_horizon.py [near_cols]
"""

import math
import sys
import time

import numba
import numpy as np

from bench_horizon import brute_force_flat_deg
from ilrs.terrain import polar_xy_from_latlon
from ilrs.terrain._sweep_kernel import _cross
from ilrs.terrain.sweep import _Orientation, snap_bearing
from ilrs.terrain.synthetic import synthesize_south_pole


@numba.njit(cache=True, inline="always")
def _tangent(hx, hy, n, ox, oy):
    # hull stored farthest first (index 0 farthest), nearest at n-1; find vertex seen highest
    lo, hi = 0, n - 1  # positions from nearest: pos 0 = index n-1
    while lo < hi:
        mid = (lo + hi) // 2
        a = n - 1 - mid
        b = a - 1
        if _cross(hx[a], hy[a], hx[b], hy[b], ox, oy) > 0.0:
            lo = mid + 1
        else:
            hi = mid
    return n - 1 - lo


@numba.njit(cache=True, parallel=True)
def far_field(z, s, step_m, near, h_obs, tan_low, tan_up):
    n_rows, n_cols = z.shape
    v_first = -int(math.ceil(s * (n_cols - 1))) - 1
    n_lines = n_rows - v_first + 1
    for li in numba.prange(n_lines):
        v = v_first + li
        hx = np.empty(n_cols + 1)
        hy = np.empty(n_cols + 1)
        n = 0
        # only the columns where this line, or the one below it, is on the grid
        if s > 0.0:
            c_hi = min(n_cols - 1, int(math.floor((n_rows - v) / s)) + 1)
            c_lo = max(0, int(math.ceil((-1.0 - v) / s)) - 1)
        else:
            c_hi, c_lo = n_cols - 1, 0
            if v < -1 or v > n_rows:
                continue
        for c in range(min(n_cols - 1, c_hi + near), c_lo - 1, -1):
            # insert the sample at column c + near (lagged)
            ci = c + near
            if ci < n_cols:
                row_f = v + s * ci
                if 0.0 <= row_f <= n_rows - 1:
                    r0 = min(int(row_f), n_rows - 2)
                    w = row_f - r0
                    ay = z[r0, ci] * (1 - w) + z[r0 + 1, ci] * w
                    ax = ci * step_m
                    while (
                        n >= 2 and _cross(hx[n - 2], hy[n - 2], hx[n - 1], hy[n - 1], ax, ay) <= 0.0
                    ):
                        n -= 1
                    hx[n] = ax
                    hy[n] = ay
                    n += 1
            # queries: pixel with lower line v, pixel with upper line v
            for which in range(2):
                r = int(math.ceil(v - which + s * c))
                if 0 <= r < n_rows:
                    zp = z[r, c]
                    best = -np.inf
                    if n > 0:
                        ox, oy = c * step_m, zp + h_obs
                        j = _tangent(hx, hy, n, ox, oy)
                        best = (hy[j] - oy) / (hx[j] - ox)
                    if which == 0:
                        tan_low[r, c] = best
                    else:
                        tan_up[r, c] = best


@numba.njit(cache=True, parallel=True)
def combine(z, s, step_m, near, h_obs, tan_low, tan_up, out):
    n_rows, n_cols = z.shape
    for r in numba.prange(n_rows):
        for c in range(n_cols):
            zp = z[r, c] + h_obs
            w = (r - s * c) - math.floor(r - s * c)
            a, b = tan_low[r, c], tan_up[r, c]
            if w == 0.0:
                far = a
            elif a == -np.inf or b == -np.inf:
                far = max(a, b)
            else:
                far = (1 - w) * a + w * b
            best = far
            # near field along the pixel's own ray: columns c+1 .. c+near-1, and the ground slope
            for j in range(1, near):
                cj = c + j
                if cj >= n_cols:
                    break
                row_f = r + s * j
                if row_f > n_rows - 1:
                    break
                r0 = min(int(row_f), n_rows - 2)
                ww = row_f - r0
                h = z[r0, cj] * (1 - ww) + z[r0 + 1, cj] * ww
                best = max(best, (h - zp) / (j * step_m))
            if c + 1 < n_cols and r + 1 < n_rows:
                # ground slope: derivative along (s rows, 1 col) of the cell ahead
                dzdc = z[r, c + 1] - z[r, c]
                dzdr = z[r + 1, c] - z[r, c]
                best = max(best, (dzdc + s * dzdr) / step_m)
            out[r, c] = math.degrees(math.atan(best)) if best > -np.inf else np.nan


def horizons(heights, bearing, pixel_m, near=8, h_obs=0.0):
    d = snap_bearing(bearing, 0.1)
    turn = _Orientation.of(d)
    z = np.ascontiguousarray(turn.view(heights))
    s = turn.p / turn.q
    step_m = pixel_m * math.hypot(1.0, s)
    lo = np.full(z.shape, -np.inf)
    up = np.full(z.shape, -np.inf)
    out = np.empty(z.shape)
    far_field(z, s, step_m, near, h_obs, lo, up)
    combine(z, s, step_m, near, h_obs, lo, up, out)
    return d.bearing_deg, turn.unview(out)


def main() -> None:
    cx, cy = polar_xy_from_latlon(-89.45, 222.69)
    dem = synthesize_south_pole(500, 20.0, seed=0, center_x_m=float(cx), center_y_m=float(cy))
    hts = dem.height_m.astype(np.float64)
    near = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    horizons(hts[:50, :50].copy(), 10.0, 20.0, near)
    t = time.perf_counter()
    res = [horizons(hts, b, 20.0, near) for b in range(0, 360, 10)]
    print("36 bearings", time.perf_counter() - t)
    rng = np.random.default_rng(0)
    errs = []
    for _ in range(300):
        k = rng.integers(36)
        r, c = rng.integers(0, 500, 2)
        b, h = res[k]
        bf = brute_force_flat_deg(dem, int(r), int(c), b, 15000.0)
        if np.isnan(bf) or np.isnan(h[r, c]):
            continue
        errs.append(abs(h[r, c] - bf))
    errs = np.array(errs)
    print(
        f"errors vs brute force (no limit): max {errs.max():.3f} mean {errs.mean():.4f} "
        f"p99 {np.percentile(errs, 99):.3f} n={errs.size}"
    )


if __name__ == "__main__":
    main()
