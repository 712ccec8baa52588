"""The compiled core of the lines horizon method (numba). See :mod:`ilrs.terrain.lines`.

The grid is presented in a canonical orientation: rays run towards increasing column and
climb ``s`` rows per column (0 <= s <= 1). Lines of that slope one row apart are sampled
once per column (on a column the bilinear surface is linear in the row, so each sample is
exact). Walking a line from its far end, the samples ahead of an observer within the
distance limit are kept as upper convex hulls, as the sweep keeps them: the current block
grows point by point, the next block's hull is built forwards once and undone as the limit
moves back. Each pixel asks the two lines that bracket its own ray and takes the tangent
interpolated across; its first ``near`` columns are sampled on its own ray.

With the Moon's curvature the heights are lowered by x^2/2R from a fixed origin: the
tangent from an observer at x0 is then the plane tangent plus x0/R (the parabola of the
sphere's drop, exact to (d/R)^2).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from ilrs.terrain._horizon_kernel import _bilinear
from ilrs.terrain._sweep_kernel import _cross, _tangent_nearest_first

_TAN_15_DEG = 2.0 - math.sqrt(3.0)
_TAN_30_DEG = 1.0 / math.sqrt(3.0)
# arctan u = sum (-1)^k u^(2k+1) / (2k+1): thirteen terms leave under 2e-17 rad for
# |u| <= tan 15 deg.
_ATAN_TERMS = 13


@numba.njit(cache=True, inline="always", error_model="numpy")
def _atan(x):
    """arctan x [rad] without branches or library calls, so that loops over it vectorise:
    reduced to |u| <= tan 15 deg (by 1/x beyond 1 and by a 30 deg turn beyond tan 15 deg),
    then the Taylor series. Within 3e-16 rad of ``math.atan``."""
    a = abs(x)
    beyond_45 = a > 1.0
    t = 1.0 / a if beyond_45 else a
    turned = t > _TAN_15_DEG
    u = (t - _TAN_30_DEG) / (1.0 + t * _TAN_30_DEG) if turned else t
    u2 = u * u
    series = 0.0
    for k in range(_ATAN_TERMS - 1, -1, -1):
        series = series * u2 + (1.0 - 2.0 * (k % 2)) / (2 * k + 1)
    angle = u * series + (math.pi / 6.0 if turned else 0.0)
    angle = math.pi / 2.0 - angle if beyond_45 else angle
    return math.copysign(angle, x)


@numba.njit(cache=True, inline="always", error_model="numpy")
def _sample(z, row_f, col):
    """Height [m] on column ``col`` at fractional row ``row_f`` (NaN off the grid)."""
    n_rows = z.shape[0]
    if row_f < 0.0 or row_f > n_rows - 1:
        return np.nan
    r0 = min(int(row_f), n_rows - 2)
    w = row_f - r0
    return z[r0, col] * (1.0 - w) + z[r0 + 1, col] * w


@numba.njit(cache=True, error_model="numpy")
def _walk_line(z, v, ray, origin, tile, work, tangents):
    """The far-field tangents, from line ``v`` (rows v + s*col of the whole grid, whose
    row and column ``origin`` this array starts at), of the tile's pixels whose ray runs
    just above it (side 0) or just below it (side 1); -inf where it has no terrain."""
    s, step_m, limit_cols, near, observer_height_m, inv_2r = ray
    n_rows, n_cols = z.shape
    r0, r1, c0, c1 = tile[0], tile[1], tile[2], tile[3]
    reach = int(math.floor(limit_cols))
    block_len = max(1, reach - near)  # the current block then never passes the limit
    c_top = min(n_cols - 1, c1 - 1 + reach)
    xs, ys = work[0], work[1]  # the line's samples by column
    ax, ay, bx, by = work[2], work[3], work[4], work[5]
    log_pos, log_x, log_y, log_size, log_col = work[6], work[7], work[8], work[9], work[10]
    row0, col0 = origin[0], origin[1]
    shift = v + s * col0 - row0  # the line's row in this array at column 0
    c_end = c0
    if s > 0.0:
        # Only where this line or the one below it crosses the grid: beyond, no samples;
        # before, no pixels.
        c_top = min(c_top, int(math.floor((n_rows - shift) / s)) + 1)
        c_end = max(c0, int(math.ceil((-1.0 - shift) / s)) - 1)
    n_a = n_b = n_log = 0
    hints = np.zeros(2, dtype=np.int64)
    b_top = -np.inf
    b_far = 0.0  # the farthest point of the next block [m]
    block = -1
    block_from = 1 << 62  # the first whole-grid column of the current block
    for c in range(c_top, c_end - 1, -1):
        ci = c + near
        if ci <= c_top:
            if ci + col0 < block_from:
                this_block = (ci + col0) // block_len
                block_from = this_block * block_len
                # Into a nearer block: the one just walked becomes the next block, its hull
                # built forwards (nearest first) with an undo log.
                n_b = n_log = 0
                b_top = -np.inf  # the highest point of the next block: a bound on its hull
                b_far = 0.0
                if block >= 0:
                    first = max(0, block * block_len - col0)
                    for j in range(first, min((block + 1) * block_len - col0, c_top + 1)):
                        px, py = xs[j], ys[j]
                        if py != py:
                            continue
                        b_top = max(b_top, py)
                        b_far = px
                        pos = n_b
                        if n_b >= 2:
                            lo, hi = 1, n_b  # the first vertex that falls below the new edge
                            while lo < hi:
                                mid = (lo + hi) // 2
                                if _cross(px, py, bx[mid], by[mid], bx[mid - 1], by[mid - 1]) > 0:
                                    lo = mid + 1
                                else:
                                    hi = mid
                            pos = lo
                        log_pos[n_log], log_x[n_log], log_y[n_log] = pos, bx[pos], by[pos]
                        log_size[n_log], log_col[n_log] = n_b, j
                        n_log += 1
                        bx[pos], by[pos] = px, py
                        n_b = pos + 1
                block = this_block
                n_a = 0
            x = (ci + col0) * step_m
            height = _sample(z, shift + s * ci, ci)
            xs[ci], ys[ci] = x, height - x * x * inv_2r
            if height == height:
                y = ys[ci]
                while (
                    n_a >= 2
                    and _cross(ax[n_a - 2], ay[n_a - 2], ax[n_a - 1], ay[n_a - 1], x, y) <= 0
                ):
                    n_a -= 1
                ax[n_a], ay[n_a] = x, y
                n_a += 1
        if c >= c1:
            continue
        while n_log > 0 and log_col[n_log - 1] > c + limit_cols:
            n_log -= 1
            pos = int(log_pos[n_log])
            bx[pos], by[pos] = log_x[n_log], log_y[n_log]
            n_b = int(log_size[n_log])
        ox = (c + col0) * step_m
        # In whole-grid rows, alike for every tiling: the pixel whose lower line this is
        # sits ceil(s * column) rows below it, the one whose upper line this is one less.
        lower_row = v + int(math.ceil(s * (c + col0))) - row0
        for side in range(2):
            row = lower_row - side
            if row < r0 or row >= r1 or row >= n_rows:
                continue
            ground = z[row, c]
            best = -np.inf
            if ground == ground:
                oy = ground + observer_height_m - ox * ox * inv_2r
                if n_a > 0:
                    # From the vertex the last pixel of this side touched: the next one
                    # usually touches the same or a neighbour (the hull is unimodal as
                    # seen from outside it).
                    j = min(max(hints[side], 0), n_a - 1)
                    while j > 0 and _cross(ax[j], ay[j], ax[j - 1], ay[j - 1], ox, oy) > 0.0:
                        j -= 1
                    while j < n_a - 1 and _cross(ax[j], ay[j], ax[j + 1], ay[j + 1], ox, oy) > 0.0:
                        j += 1
                    hints[side] = j
                    best = (ay[j] - oy) / (ax[j] - ox)
                # The next block's hull, unless even its highest point at its nearest
                # distance could not rise above what the current block gives.
                if n_b > 0:
                    rise = b_top - oy
                    if rise / ((bx[0] if rise > 0.0 else b_far) - ox) > best:
                        j = _tangent_nearest_first(bx, by, 0, n_b - 1, 1, ox, oy)
                        best = max(best, (by[j] - oy) / (bx[j] - ox))
            tangents[side, row - r0, c - c0] = best


@numba.njit(cache=True, parallel=True, error_model="numpy")
def lines_kernel(
    z, s, origin, step_m, limit_cols, near, observer_height_m, inv_2r, tile, n_chunks, out_deg
):
    """Horizons [deg] of the tile's pixels (rows tile[0]:tile[1], cols tile[2]:tile[3] of
    ``z``, canonical orientation) along the canonical direction, into ``out_deg``.
    ``origin``: the row and column of the whole grid (canonical) where ``z`` starts; the
    lines are laid on the whole grid, so every tiling gives the same numbers."""
    n_rows, n_cols = z.shape
    r0, r1, c0, c1 = tile[0], tile[1], tile[2], tile[3]
    # Per pixel, from its lower (0) and upper (1) line: the far-field tangent (-inf where
    # the line has no terrain ahead).
    tangents = np.full((2, r1 - r0, c1 - c0), -np.inf)
    row0, col0 = origin[0], origin[1]
    v_first = int(math.floor(r0 + row0 - s * (c1 - 1 + col0)))
    n_lines = int(math.ceil(r1 + row0 - s * (c0 + col0))) - v_first + 2
    n_chunks = max(1, min(n_lines, n_chunks))
    near = max(0, min(near, int(math.floor(limit_cols))))
    ray = (s, step_m, limit_cols, near, observer_height_m, inv_2r)
    for chunk in numba.prange(n_chunks):
        work = np.empty((11, n_cols + 1))
        for index in range(chunk, n_lines, n_chunks):
            _walk_line(z, v_first + index, ray, origin, tile, work, tangents)
    for row in numba.prange(r0, r1):
        _combine_row(z, row, ray, origin, tile, tangents, out_deg)


@numba.njit(cache=True, error_model="numpy")
def _combine_row(z, row, ray, origin, tile, tangents, out_deg):
    """One row of horizons: the far field of its two lines, interpolated across, the near
    field on each pixel's own ray, the terrain at the limit and the ground's own slope.
    Each step runs along the row with the same offsets for every pixel (the rays are
    parallel), so that the loops are straight and vectorise."""
    s, step_m, limit_cols, near, observer_height_m, inv_2r = ray
    n_rows, n_cols = z.shape
    r0, c0, c1 = tile[0], tile[2], tile[3]
    col0 = origin[1]
    width = c1 - c0
    best = np.empty(width)
    oy = np.empty(width)
    # Row views: slices index without the negative-index wrap, so the loops vectorise.
    lower_tangents, upper_tangents = tangents[0, row - r0], tangents[1, row - r0]
    ground = z[row, c0:c1]
    for i in range(width):
        whole_col = i + c0 + col0
        # The pixel lies this far past its lower line, towards its upper line.
        upper_weight = math.ceil(s * whole_col) - s * whole_col
        lower_t, upper_t = lower_tangents[i], upper_tangents[i]
        both = lower_t > -np.inf and upper_t > -np.inf
        alone = lower_t if upper_t == -np.inf or upper_weight == 0.0 else upper_t
        best[i] = lower_t + upper_weight * (upper_t - lower_t) if both else alone
        ox = whole_col * step_m
        oy[i] = ground[i] + observer_height_m - ox * ox * inv_2r
    # Near field: the pixel's own ray, column by column; on column j ahead the ray is
    # s * j rows down, the same fraction of a row for every pixel of the row.
    for j in range(1, near):
        offset = s * j
        k = int(math.floor(offset))
        w = offset - k
        top = row + k
        if top > n_rows - 1 or (top == n_rows - 1 and w > 0.0):
            break
        below = min(top + 1, n_rows - 1)
        inv_distance = 1.0 / (j * step_m)
        count = min(width, n_cols - j - c0)
        upper = z[top, c0 + j : c0 + j + count]
        lower = z[below, c0 + j : c0 + j + count]
        base = c0 + j + col0
        for i in range(count):
            x = (i + base) * step_m
            height = upper[i] * (1.0 - w) + lower[i] * w
            tangent = (height - x * x * inv_2r - oy[i]) * inv_distance
            best[i] = tangent if tangent > best[i] else best[i]
    # The terrain exactly at the limit on the pixel's own ray: where the ground still
    # rises there, it sets the horizon (the lines stop at the last whole column).
    far_row = row + s * limit_cols
    if far_row <= n_rows - 1:
        for i in range(max(0, min(width, int(math.floor(n_cols - 1 - limit_cols)) - c0 + 1))):
            far_col = i + c0 + limit_cols
            height = _bilinear(z, far_row, far_col)
            x = (far_col + col0) * step_m
            ox = (i + c0 + col0) * step_m
            tangent = (height - x * x * inv_2r - oy[i]) / (x - ox)
            best[i] = tangent if tangent > best[i] else best[i]
    if observer_height_m == 0.0:
        # On the ground: the ground's own slope along the ray, in the cell ahead.
        below = min(row + 1, n_rows - 1)
        climb = s if row + 1 < n_rows else 0.0
        count = min(width, n_cols - 1 - c0)
        here, ahead, down = (
            z[row, c0 : c0 + count],
            z[row, c0 + 1 : c0 + 1 + count],
            z[below, c0 : c0 + count],
        )
        for i in range(count):
            slope = ahead[i] - here[i] + climb * (down[i] - here[i])
            ox = (i + c0 + col0) * step_m
            tangent = slope / step_m - 2.0 * ox * inv_2r
            best[i] = tangent if tangent > best[i] else best[i]
    out_row = out_deg[row - r0]
    for i in range(width):
        lift = 2.0 * (i + c0 + col0) * step_m * inv_2r  # x0 / R: the sphere's tangent turns
        degrees = _atan(best[i] + lift) * (180.0 / math.pi)
        out_row[i] = np.nan if oy[i] != oy[i] or best[i] == -np.inf else degrees
