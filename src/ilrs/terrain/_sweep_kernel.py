"""The compiled core of the sweep horizon method (numba). See :mod:`ilrs.terrain.sweep`.

The grid is presented in a canonical orientation: rays run towards increasing column and
climb ``p/q`` rows per column (0 <= p <= q, coprime). A line of that slope through one
pixel centre passes through another every ``q`` columns, so all the pixels on a line share
its terrain. Each line is walked once, from its far end back, through every point where the
bilinear surface bends (column and row crossings, and the crest of each cell where the
surface is concave along the line). The points ahead of an observer within the maximum
distance are kept as an upper convex hull and the horizon is the tangent from the observer
to it, found by bisection.

The distance limit splits a line into blocks as long as the limit: the points ahead of an
observer are the part of its own block already walked (a hull grown point by point) and a
prefix of the next block (a hull built forwards once, then undone point by point as the
limit moves back with the observer).

Points are 2-D: (distance along the line, height) on a plane, or, with the Moon's
curvature, the point's position in the plane of the great circle that best fits the line.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from ilrs.terrain._horizon_kernel import _bilinear

NEAR_FIELD_COLS = 16  # columns ahead of a pixel where the crests of cells are found exactly
_NEAR_COLS = 1e-5  # how far ahead of a pixel centre its ground slope is sampled [columns]


@numba.njit(cache=True, inline="always", error_model="numpy")
def _cross(ax, ay, bx, by, ox, oy):
    """z of (a - o) x (b - o): positive when b lies counterclockwise of a, seen from o."""
    return (ax - ox) * (by - oy) - (ay - oy) * (bx - ox)


@numba.njit(cache=True, inline="always", error_model="numpy")
def _unit_vector(t, row, geo):
    """Moon-fixed unit vector of the canonical grid point: inverse south polar
    stereographic, u = (y, x, s - 2R) / s with s = (rho^2 + 4R^2) / 4R."""
    x = geo[0] + geo[1] * t + geo[2] * row
    y = geo[3] + geo[4] * t + geo[5] * row
    radius = geo[6]
    s = (x * x + y * y + 4.0 * radius * radius) / (4.0 * radius)
    return y / s, x / s, (s - 2.0 * radius) / s


@numba.njit(cache=True, inline="always", error_model="numpy")
def _plane_point(t, row, height_m, flat, step_m, geo, work):
    """2-D coordinates [m] of the terrain point at column t, row ``row`` (canonical)."""
    if flat:
        return t * step_m, height_m
    u0, u1, u2 = _unit_vector(t, row, geo)
    radius = geo[6] + height_m
    p0, p1, p2 = u0 * radius, u1 * radius, u2 * radius
    return (
        p0 * work[0, 0] + p1 * work[0, 1] + p2 * work[0, 2],
        p0 * work[0, 3] + p1 * work[0, 4] + p2 * work[0, 5],
    )


@numba.njit(cache=True, error_model="numpy")
def _line_basis(t_near, row_near, t_far, row_far, geo, basis):
    """Along-line and up axes of the plane of the great circle through the line's ends,
    into the first row of ``basis``."""
    near = np.array(_unit_vector(t_near, row_near, geo))
    far = np.array(_unit_vector(t_far, row_far, geo))
    up = near + far
    up /= math.sqrt(np.sum(up * up))
    along = far - near
    along -= np.sum(along * up) * up
    norm = math.sqrt(np.sum(along * along))
    if norm > 0.0:
        along /= norm
    basis[0, 0:3] = along
    basis[0, 3:6] = up


@numba.njit(cache=True, inline="always", error_model="numpy")
def _tangent_nearest_first(hx, hy, first, last, step, ox, oy):
    """Index of the hull vertex seen highest from (ox, oy): the hull runs from index
    ``first`` (nearest) to ``last`` (farthest) in steps of ``step`` (+1 or -1)."""
    lo, hi = 0, (last - first) * step  # positions along the chain, nearest = 0
    while lo < hi:
        mid = (lo + hi) // 2
        a = first + mid * step
        b = a + step
        if _cross(hx[a], hy[a], hx[b], hy[b], ox, oy) > 0.0:
            lo = mid + 1  # farther still climbs
        else:
            hi = mid
    return first + lo * step


@numba.njit(cache=True, inline="always", error_model="numpy")
def _elevation_deg(px, py, ox, oy, flat):
    dx, dy = px - ox, py - oy
    if flat:
        return math.degrees(math.atan2(dy, dx))
    # Elevation above the observer's horizontal plane (normal to its radius).
    norm = math.sqrt(ox * ox + oy * oy)
    return math.degrees(math.asin((dx * ox + dy * oy) / (norm * math.sqrt(dx * dx + dy * dy))))


# Rows of a line's work array.
_BASIS, _HULL_X, _HULL_Y, _T, _X, _Y = 0, 1, 2, 3, 4, 5
_NEXT_X, _NEXT_Y, _LOG_POS, _LOG_X, _LOG_Y, _LOG_SIZE, _LOG_T, _QUERY = 6, 7, 8, 9, 10, 11, 12, 13
_ROW = 14
WORK_ROWS = 15
POINTS_PER_COLUMN = 5  # a column, a row crossing, two crests, a pixel's ground slope


@numba.njit(cache=True, inline="always", error_model="numpy")
def _add_point(work, n, t, row_f, height_m, query_col):
    work[_T, n] = t
    work[_ROW, n] = row_f
    work[_Y, n] = height_m  # NaN where there is no terrain: walked past, never on a hull
    work[_QUERY, n] = query_col
    return n + 1


@numba.njit(cache=True, error_model="numpy")
def _to_plane(n, flat, step_m, geo, work):
    """Turn the line's points (column, row, height) into plane coordinates, in place; a
    separate pass, so that the loops that list and walk the points have no branch on
    the geometry."""
    if flat:
        for k in range(n):
            work[_X, k] = work[_T, k] * step_m
        return
    for k in range(n):
        x, y = _plane_point(work[_T, k], work[_ROW, k], work[_Y, k], False, step_m, geo, work)
        work[_X, k] = x
        work[_Y, k] = y


@numba.njit(cache=True, inline="always", error_model="numpy")
def _cell_height(z00, z01, z10, z11, fc, fr):
    return (z00 * (1 - fc) + z01 * fc) * (1 - fr) + (z10 * (1 - fc) + z11 * fc) * fr


@numba.njit(cache=True, inline="always", error_model="numpy")
def _add_crest(z, c, cell_row, y_a, y_b, d_a, d_b, work, n):
    """The middle of the line's piece from column c + d_a to c + d_b (fractions of the cell
    below row ``cell_row``; y_a, y_b the fractional rows in it) where the surface is
    concave along the line, there rising above the chord by a quarter of its bulge."""
    if cell_row + 1 < z.shape[0]:
        z00, z01 = z[cell_row, c], z[cell_row, c + 1]
        z10, z11 = z[cell_row + 1, c], z[cell_row + 1, c + 1]
        if z00 - z01 - z10 + z11 < 0.0:
            fc, fr = 0.5 * (d_a + d_b), 0.5 * (y_a + y_b)
            height = _cell_height(z00, z01, z10, z11, fc, fr)
            n = _add_point(work, n, c + fc, cell_row + fr, height, -1.0)
    return n


@numba.njit(cache=True, error_model="numpy")
def _line_points(z, line, p, q, first, last, end, t_exit, tile, work):
    """The points of the line from its far end to its first pixel, farthest first, where
    the bilinear surface bends; a pixel centre carries its column as a query."""
    n_rows = z.shape[0]
    r0, r1 = tile[0], tile[1]
    inv_q = 1.0 / q
    n = 0
    numerator = line + p * end
    row = numerator // q  # the line's row at column c is row + frac / q
    frac = numerator - row * q
    if t_exit > end:
        w = t_exit - end
        height = z[n_rows - 1, end] * (1 - w) + z[n_rows - 1, end + 1] * w
        n = _add_point(work, n, t_exit, n_rows - 1.0, height, -1.0)
        n = _add_crest(z, end, row, frac * inv_q, 1.0, 0.0, w, work, n)
    for c in range(end, first - 1, -1):
        if c < end:
            frac -= p
            if frac < 0:
                frac += q
                row -= 1
            if p > 0:
                # Inside (c, c + 1), farthest first: the crest of each concave piece and
                # the row crossing between them.
                y_c = frac * inv_q
                y_next = y_c + p * inv_q
                if frac + p > q:
                    w = (q - frac) / p
                    n = _add_crest(z, c, row + 1, 0.0, y_next - 1.0, w, 1.0, work, n)
                    height = z[row + 1, c] * (1 - w) + z[row + 1, c + 1] * w
                    n = _add_point(work, n, c + w, row + 1.0, height, -1.0)
                    n = _add_crest(z, c, row, y_c, 1.0, 0.0, w, work, n)
                else:
                    n = _add_crest(z, c, row, y_c, y_next, 0.0, 1.0, work, n)
        query = frac == 0 and r0 <= row < r1 and c <= last
        if query and c < end:
            # Just ahead of the pixel centre: the ground's own slope, which an observer on
            # the ground sees as its horizon where the terrain ahead falls away.
            t = c + _NEAR_COLS
            row_f = row + p * _NEAR_COLS * inv_q
            n = _add_point(work, n, t, row_f, _bilinear(z, row_f, t), -1.0)
        w = frac * inv_q
        height = z[row, c] if frac == 0 else z[row, c] * (1 - w) + z[row + 1, c] * w
        n = _add_point(work, n, float(c), row + w, height, float(c) if query else -1.0)
    return n


@numba.njit(cache=True, error_model="numpy")
def _walk_points(
    n, z, line, p, q, tile, observer_height_m, window_cols, flat, step_m, geo, work, out_deg
):
    """Walk the points nearer and nearer, keeping the hulls, and answer each query."""
    r0, c0 = tile[0], tile[2]
    n_hull = n_next = n_log = 0
    block = 1 << 62
    block_start = 0  # index of the first point of the current block
    block_from = np.inf  # where the current block begins [columns]
    for k in range(n):
        t = work[_T, k]
        if t < block_from:
            new_block = int(math.floor(t / window_cols)) if window_cols < 1e300 else 0
            block_from = new_block * window_cols if window_cols < 1e300 else -np.inf
            # Into a new block: the one just walked becomes the next block, as a hull
            # built forwards whose far end is undone point by point as the limit moves
            # back with the observer.
            n_next = n_log = 0
            if new_block == block - 1:
                for j in range(k - 1, block_start - 1, -1):
                    ax, ay = work[_X, j], work[_Y, j]
                    if ay != ay:
                        continue
                    pos = n_next
                    if n_next >= 2:
                        lo, hi = 1, n_next  # the first vertex that falls below the new edge
                        while lo < hi:
                            mid = (lo + hi) // 2
                            keep = _cross(
                                ax,
                                ay,
                                work[_NEXT_X, mid],
                                work[_NEXT_Y, mid],
                                work[_NEXT_X, mid - 1],
                                work[_NEXT_Y, mid - 1],
                            )
                            if keep > 0.0:
                                lo = mid + 1
                            else:
                                hi = mid
                        pos = lo
                    work[_LOG_POS, n_log] = pos
                    work[_LOG_X, n_log] = work[_NEXT_X, pos]
                    work[_LOG_Y, n_log] = work[_NEXT_Y, pos]
                    work[_LOG_SIZE, n_log] = n_next
                    work[_LOG_T, n_log] = work[_T, j]
                    n_log += 1
                    work[_NEXT_X, pos] = ax
                    work[_NEXT_Y, pos] = ay
                    n_next = pos + 1
            block = new_block
            block_start = k
            n_hull = 0

        query_col = work[_QUERY, k]
        if query_col >= 0.0:
            c = int(query_col)
            row = (line + p * c) // q
            ground_m = z[row, c]
            best = np.nan
            if ground_m == ground_m:
                ox, oy = _plane_point(t, row, ground_m + observer_height_m, flat, step_m, geo, work)
                while n_log > 0 and work[_LOG_T, n_log - 1] > t + window_cols:
                    n_log -= 1
                    pos = int(work[_LOG_POS, n_log])
                    work[_NEXT_X, pos] = work[_LOG_X, n_log]
                    work[_NEXT_Y, pos] = work[_LOG_Y, n_log]
                    n_next = int(work[_LOG_SIZE, n_log])
                best = -np.inf
                if n_hull > 0:
                    j = _tangent_nearest_first(
                        work[_HULL_X], work[_HULL_Y], n_hull - 1, 0, -1, ox, oy
                    )
                    best = _elevation_deg(work[_HULL_X, j], work[_HULL_Y, j], ox, oy, flat)
                if n_next > 0:
                    j = _tangent_nearest_first(
                        work[_NEXT_X], work[_NEXT_Y], 0, n_next - 1, 1, ox, oy
                    )
                    best = max(
                        best, _elevation_deg(work[_NEXT_X, j], work[_NEXT_Y, j], ox, oy, flat)
                    )
                if best == -np.inf:
                    best = np.nan
            out_deg[row - r0, c - c0] = best

        ax, ay = work[_X, k], work[_Y, k]
        if ay == ay:
            while n_hull >= 2 and (
                _cross(
                    work[_HULL_X, n_hull - 2],
                    work[_HULL_Y, n_hull - 2],
                    work[_HULL_X, n_hull - 1],
                    work[_HULL_Y, n_hull - 1],
                    ax,
                    ay,
                )
                <= 0.0
            ):
                n_hull -= 1
            work[_HULL_X, n_hull] = ax
            work[_HULL_Y, n_hull] = ay
            n_hull += 1


@numba.njit(cache=True, error_model="numpy")
def _crest_elevation_deg(
    z, line, p, q, t_a, t_b, c, observer_m, ox, oy, best_deg, flat, step_m, geo, work
):
    """The highest elevation [deg] from the pixel at column c on the line's piece (t_a,
    t_b), where the surface is a quadratic of the distance, if above ``best_deg``."""
    z_a = _bilinear(z, (line + p * t_a) / q, t_a)
    z_b = _bilinear(z, (line + p * t_b) / q, t_b)
    t_m = 0.5 * (t_a + t_b)
    z_m = _bilinear(z, (line + p * t_m) / q, t_m)
    p1 = -3.0 * z_a + 4.0 * z_m - z_b  # height z_a + p1 u + p2 u^2, u in 0..1
    p2 = 2.0 * z_a - 4.0 * z_m + 2.0 * z_b
    s0 = (t_a - c) * step_m
    span = (t_b - t_a) * step_m
    # d/du [(height - observer)/s - s/2R] = 0 (the parabola locates the point; the angle
    # there is then computed exactly).
    inv_2r = 0.0 if flat else 0.5 / geo[6]
    qa = p2 * span - span**3 * inv_2r
    qb = 2.0 * p2 * s0 - 2.0 * s0 * span * span * inv_2r
    qc = p1 * s0 - (z_a - observer_m) * span - s0 * s0 * span * inv_2r
    roots = (-1.0, -1.0)
    if abs(qa) > 1e-12 * (abs(qb) + abs(qc) + 1e-300):
        disc = qb * qb - 4.0 * qa * qc
        if disc >= 0.0:
            root = math.sqrt(disc)
            roots = ((-qb + root) / (2.0 * qa), (-qb - root) / (2.0 * qa))
    elif qb != 0.0:
        roots = (-qc / qb, -1.0)
    for u in roots:
        if 0.0 < u < 1.0:
            t = t_a + u * (t_b - t_a)
            row_f = (line + p * t) / q
            x, y = _plane_point(t, row_f, _bilinear(z, row_f, t), flat, step_m, geo, work)
            best_deg = max(best_deg, _elevation_deg(x, y, ox, oy, flat))
    return best_deg


@numba.njit(cache=True, error_model="numpy")
def _refine_near(
    z, line, p, q, c, end, tile, observer_height_m, window_cols, flat, step_m, geo, work, out_deg
):
    """Exact crests of the concave pieces within NEAR_FIELD_COLS of the pixel at column c
    (and within the limit): there the hull's straight chords under them would cost the
    most angle."""
    row = (line + p * c) // q
    ground_m = z[row, c]
    if math.isnan(ground_m):
        return
    out_row, out_col = row - tile[0], c - tile[2]
    best_deg = out_deg[out_row, out_col]
    if math.isnan(best_deg):
        best_deg = -90.0
    observer_m = ground_m + observer_height_m
    ox, oy = _plane_point(float(c), float(row), observer_m, flat, step_m, geo, work)
    # On a plane tan(elevation) <= rise / distance; the Moon's curvature only lowers it.
    # Grid distances exceed true ones by the projection's scale factor (< 1.11 within 37°
    # of the pole), hence the margin.
    best_tan = math.tan(math.radians(best_deg))
    bound_step_m = step_m if flat else step_m * 0.9
    limit_t = c + window_cols
    for column in range(c, min(end, c + NEAR_FIELD_COLS, int(math.ceil(limit_t)))):
        numerator = line + p * column
        cell = numerator // q
        frac = numerator - cell * q
        t_cross = column + (q - frac) / p if frac + p > q else column + 1.0
        for t_a, t_b, cell_row in (
            (float(column), t_cross, cell),
            (t_cross, column + 1.0, cell + 1),
        ):
            t_b = min(t_b, limit_t)
            if t_b <= t_a or cell_row + 1 >= z.shape[0]:
                continue
            z00, z01 = z[cell_row, column], z[cell_row, column + 1]
            z10, z11 = z[cell_row + 1, column], z[cell_row + 1, column + 1]
            if z00 - z01 - z10 + z11 >= 0.0:
                continue  # convex along the line: the chord's ends hold the maximum
            # The surface in a cell is no higher than its highest corner.
            rise_m = max(max(z00, z01), max(z10, z11)) - observer_m
            distance_m = (t_a - c if rise_m >= 0.0 else t_b - c) * bound_step_m
            if distance_m > 0.0 and rise_m <= best_tan * distance_m:
                continue
            best_deg = _crest_elevation_deg(
                z, line, p, q, t_a, t_b, c, observer_m, ox, oy, best_deg, flat, step_m, geo, work
            )
            best_tan = math.tan(math.radians(best_deg))
    out_deg[out_row, out_col] = best_deg if best_deg > -90.0 else np.nan


@numba.njit(cache=True, error_model="numpy")
def _limit_point(z, line, p, q, c, t, tile, observer_height_m, flat, step_m, geo, work, out_deg):
    """The terrain exactly at the maximum distance from the pixel at column c: where the
    ground still rises there, it sets the horizon, and the line's points stop short."""
    row = (line + p * c) // q
    ground_m = z[row, c]
    row_f = (line + p * t) / q
    height_m = _bilinear(z, row_f, t)
    if math.isnan(ground_m) or math.isnan(height_m):
        return
    ox, oy = _plane_point(
        float(c), float(row), ground_m + observer_height_m, flat, step_m, geo, work
    )
    x, y = _plane_point(t, row_f, height_m, flat, step_m, geo, work)
    elevation = _elevation_deg(x, y, ox, oy, flat)
    best = out_deg[row - tile[0], c - tile[2]]
    if math.isnan(best) or elevation > best:
        out_deg[row - tile[0], c - tile[2]] = elevation


@numba.njit(cache=True, error_model="numpy")
def _sweep_line(
    z, line, p, q, p_inverse, tile, observer_height_m, window_cols, flat, step_m, geo, work, out_deg
):
    """All the tile's pixels on line ``line`` (rows (line + p*col)/q)."""
    n_rows, n_cols = z.shape
    r0, r1, c0, c1 = tile[0], tile[1], tile[2], tile[3]
    # Columns of the line's pixel centres inside the tile.
    lo, hi = c0, c1 - 1
    if p > 0:
        lo = max(lo, -((line - q * r0) // p))  # ceil((q r0 - line) / p)
        hi = min(hi, (q * (r1 - 1) - line) // p)
    elif not (r0 <= line < r1):
        return
    residue = (-line * p_inverse) % q  # the columns where the row is a whole number
    first = lo + (residue - lo) % q
    if first > hi:
        return
    last = first + (hi - first) // q * q
    # From the far end: the window, no farther than the limit beyond the last pixel.
    end = min(n_cols - 1, last + int(min(math.ceil(window_cols), n_cols)) + 1)
    t_exit = -1.0  # where the line leaves through the last row, past the last whole column
    if p > 0 and (q * (n_rows - 1) - line) // p < end:
        end = (q * (n_rows - 1) - line) // p
        if (line + p * end) % q != 0:
            t_exit = (q * (n_rows - 1) - line) / p
    if not flat:
        far = max(t_exit, float(end))
        _line_basis(first, (line + p * first) / q, far, (line + p * far) / q, geo, work)
    n = _line_points(z, line, p, q, first, last, end, t_exit, tile, work)
    _to_plane(n, flat, step_m, geo, work)
    _walk_points(
        n, z, line, p, q, tile, observer_height_m, window_cols, flat, step_m, geo, work, out_deg
    )
    far_t = max(t_exit, float(end))
    for c in range(first, last + 1, q):
        if c + window_cols < far_t:
            _limit_point(
                z,
                line,
                p,
                q,
                c,
                c + window_cols,
                tile,
                observer_height_m,
                flat,
                step_m,
                geo,
                work,
                out_deg,
            )
        if p > 0:
            _refine_near(
                z,
                line,
                p,
                q,
                c,
                end,
                tile,
                observer_height_m,
                window_cols,
                flat,
                step_m,
                geo,
                work,
                out_deg,
            )


@numba.njit(cache=True, parallel=True, error_model="numpy")
def sweep_kernel(
    z, p, q, p_inverse, tile, observer_height_m, window_cols, step_m, flat, geo, n_chunks, out_deg
):
    """Horizons [deg] of the tile's pixels (rows tile[0]:tile[1], cols tile[2]:tile[3] of
    ``z``, canonical orientation) along the canonical direction, into ``out_deg``."""
    r0, r1, c0, c1 = tile[0], tile[1], tile[2], tile[3]
    line_first = q * r0 - p * (c1 - 1)
    n_lines = q * (r1 - 1) - p * c0 - line_first + 1
    capacity = POINTS_PER_COLUMN * (z.shape[1] + 4)
    n_chunks = max(1, min(n_lines, n_chunks))
    for chunk in numba.prange(n_chunks):
        work = np.empty((WORK_ROWS, capacity))
        for index in range(chunk, n_lines, n_chunks):
            _sweep_line(
                z,
                line_first + index,
                p,
                q,
                p_inverse,
                tile,
                observer_height_m,
                window_cols,
                flat,
                step_m,
                geo,
                work,
                out_deg,
            )
