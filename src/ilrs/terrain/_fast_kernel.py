"""The compiled core of the default horizon method (numba); see :mod:`ilrs.terrain.fast`.

The same exact answer as the reference rays (:mod:`ilrs.terrain._horizon_kernel`) on one
grid, at a fraction of the cost per sample:

- the ray is a chain of straight chords in the grid between exact points of its great
  circle 1.28 km apart (on a polar stereographic grid a great circle bends by r / 2R^2
  per metre: 300 km from the pole a chord strays from it by a centimetre);
- each chord is cut where it crosses grid lines by an incremental walk from cell
  to cell (no floor or projection per sample); each cell's four heights serve both ends of
  its piece and the twist that bends the bilinear surface between them;
- each piece of the bilinear surface is bounded by its chord plus its bulge before the
  exact maximum inside it is solved for (rarely needed).

Segments are skipped whole where a max-pyramid shows they cannot rise above the horizon
found so far, and each ray starts where its neighbour's horizon lay, as in the reference.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from ilrs.terrain._horizon_kernel import (
    _bilinear,
    _ground_slope,
    _range_max,
    _tan_elevation,
    block_bound,
    crest_roots,
)

# Observers handled in a row by one thread: each ray starts from where its neighbour's
# horizon was, so only the first of a chunk needs the sparse prepass.
_CHUNK = 128
_PREPASS_STRIDE = 4
_NEAR_PX = 64  # pixels next to the observer walked in one go
_WALK_LEVEL = 4  # segments of up to 2^4 pixels are walked whole where their bound fails
# The ray is a chain of straight chords between its exact points, 1.28 km apart (in 1 to
# 64 pixels): 300 km from the pole a chord strays from the great circle by 1 cm.
_CHORD_M = 1280.0


@numba.njit(cache=True, inline="always", error_model="numpy")
def _sigma_terms(distance_m, radius_m):
    """cos and sin of the angle at the Moon's centre after ``distance_m`` (series to
    sigma^6 and sigma^7: exact to 1e-12 m at 50 km, 0.1 mm at 300 km)."""
    sigma = distance_m / radius_m
    s2 = sigma * sigma
    cos_s = 1.0 - s2 * (0.5 - s2 * (1.0 / 24.0 - s2 / 720.0))
    sin_s = sigma * (1.0 - s2 * (1.0 / 6.0 - s2 * (1.0 / 120.0 - s2 / 5040.0)))
    return cos_s, sin_s


@numba.njit(cache=True, inline="always", error_model="numpy")
def _tan_at(height_m, distance_m, radius_m, observer_radius_m, flat):
    """tan(elevation) of terrain ``height_m`` (above the sphere) ``distance_m`` away."""
    cos_s, sin_s = _sigma_terms(distance_m, radius_m)
    return _tan_elevation(sin_s, cos_s, radius_m + height_m, observer_radius_m, flat, distance_m)


@numba.njit(cache=True, error_model="numpy")
def _best_in_piece(z0, z1, p2, s0_m, span_m, radius_m, observer_radius_m, flat, best):
    """The highest tan(elevation) strictly inside one piece of the bilinear surface: a
    quadratic z0 + (z1 - z0 - p2) u + p2 u^2 of u in 0..1, at distance s0 + span u. The
    caller has bounded it already (_may_rise on its chord plus its bulge)."""
    p1 = z1 - z0 - p2
    h0 = z0 - (observer_radius_m - radius_m)
    inv_2r = 0.0 if flat else 0.5 / radius_m
    if p2 == 0.0 and inv_2r == 0.0:
        return best  # (a + b u) / (s0 + span u) is monotonic: the ends hold the maximum
    for u in crest_roots(p1, p2, h0, s0_m, span_m, inv_2r):
        if 0.0 < u < 1.0:
            height = z0 + p1 * u + p2 * u * u
            value = _tan_at(height, s0_m + span_m * u, radius_m, observer_radius_m, flat)
            if value > best:
                best = value
    return best


@numba.njit(cache=True, inline="always", error_model="numpy")
def _ray_position(path, k, pixel_m, radius_m):
    """Grid row and column of the ray after k pixels of distance. ``path`` holds (row0,
    col0, the observer's unit vector o (3), the tangent e (3) of its great circle, the
    grid direction per pixel (2) of a flat body's straight ray, x_left, y_top, flat):
    on the sphere the point cos σ o + sin σ e, projected (south polar stereographic)."""
    if k == 0.0:
        return path[0], path[1]
    if path[12] != 0.0:
        return path[0] + k * path[8], path[1] + k * path[9]
    cos_s, sin_s = _sigma_terms(k * pixel_m, radius_m)
    u0 = cos_s * path[2] + sin_s * path[5]
    u1 = cos_s * path[3] + sin_s * path[6]
    u2 = cos_s * path[4] + sin_s * path[7]
    scale = 2.0 * radius_m / (1.0 - u2)
    return (path[11] - scale * u0) / pixel_m - 0.5, (scale * u1 - path[10]) / pixel_m - 0.5


@numba.njit(cache=True, inline="always", error_model="numpy")
def _may_rise(rise_m, best, near_m, far_m):
    """Whether terrain ``rise_m`` above the eye, between distances near and far (under
    0.1 R), might stand above tan(elevation) ``best``: _best_in_piece's bound, compared
    without a division."""
    if rise_m >= 0.0:
        # At the observer (near 0) nothing bounds it: -inf * 0 would be NaN.
        return near_m <= 0.0 or rise_m > best * 0.98 * near_m
    return rise_m > best * 1.02 * far_m


# What a piece of a chord starts or ends on: its first point, a row line, a column line
# or its last point.
_CHORD_START, _ROW_LINE, _COLUMN_LINE, _CHORD_END = 0, 1, 2, 3


@numba.njit(cache=True, inline="always", error_model="numpy")
def _height_on(z, cell_top, kind, line, t, chord):
    """The height where a chord is at fraction t, on what ``kind`` says (a grid line:
    linear along it), and whether it counts as terrain: the reference and the brute force
    take a point's height from the cell below and right of it, which must be whole."""
    row_s, col_s, row_e, col_e, _, _ = chord
    n_rows, n_cols = z.shape
    if kind in (_CHORD_START, _CHORD_END):
        row, col = (row_s, col_s) if kind == _CHORD_START else (row_e, col_e)
        # The bilinear height from the cell below and right of the point: the one value
        # a chord's end point gets, whichever walk reaches it.
        height = _bilinear(z, row, col)
        return height, height == height
    if kind == _ROW_LINE:
        along = col_s + t * (col_e - col_s)
        c0 = min(max(int(math.floor(along)), 0), n_cols - 2)
        height = z[line, c0] + (along - c0) * (z[line, c0 + 1] - z[line, c0])
        whole = cell_top[min(line, n_rows - 2), c0] < np.inf
    else:
        along = row_s + t * (row_e - row_s)
        r0 = min(max(int(math.floor(along)), 0), n_rows - 2)
        height = z[r0, line] + (along - r0) * (z[r0 + 1, line] - z[r0, line])
        whole = cell_top[r0, min(line, n_cols - 2)] < np.inf
    return height, height == height and whole


@numba.njit(cache=True, inline="always", error_model="numpy")
def _first_line(start, delta, inv_delta, t_from):
    """The grid line crossed last at or before t_from along start + t * delta (t > 0), or
    the line at or behind the start if none, and the line crossed next."""
    if delta > 0.0:
        line = int(math.floor(start + t_from * delta))
        if line > start and (line - start) * inv_delta > t_from:
            line -= 1  # rounding put us past it
        if line <= start:
            line = int(math.floor(start))  # none crossed yet
        return line, line + 1
    line = int(math.ceil(start + t_from * delta))
    if line < start and (line - start) * inv_delta > t_from:
        line += 1
    if line >= start:
        line = int(math.ceil(start))
    return line, line - 1


@numba.njit(cache=True, inline="always", error_model="numpy")
def _cell_before(next_line, delta, start, size):
    """The cell index along one axis before the line a chord crosses next."""
    if delta > 0.0:
        return next_line - 1
    if delta < 0.0:
        return next_line
    return min(int(math.floor(start)), size - 2)


@numba.njit(cache=True, error_model="numpy")
def _walk_chord(z, chord, t_from, t_to, ray, best):
    """Every piece of the bilinear surface along the straight chord from (row_s, col_s),
    k_s pixels out, to (row_e, col_e), k_s + k_len out, that overlaps the fractions
    t_from..t_to of it: each crossing of a grid line and the exact maximum between.

    Whole pieces, each from the crossing before it: a piece and its heights are the same
    whichever walk reaches it, so that the horizon does not depend on how the ray was
    cut. A cell whose highest corner cannot rise above the best so far is passed over
    with one look at its top, its heights never computed. ``chord`` is (row_s, col_s,
    row_e, col_e, k_s, k_len), ``ray`` as _walk_range's. Returns (best, t where best was
    raised or -1, whether the ray left the grid)."""
    row_s, col_s, row_e, col_e, k_s, k_len = chord
    _, pixel_m, radius_m, observer_radius_m, flat, cell_top, _ = ray
    n_rows, n_cols = z.shape
    d_row = row_e - row_s
    d_col = col_e - col_s
    # Where the chord crosses line L is (L - start) * inverse, the same product for every
    # walk of the chord (a multiplication: no division on the walk's critical path).
    inv_d_row = 1.0 / d_row if d_row != 0.0 else 0.0
    inv_d_col = 1.0 / d_col if d_col != 0.0 else 0.0
    s_s_m = k_s * pixel_m
    span_m = k_len * pixel_m
    observer_height_m = observer_radius_m - radius_m
    inv_2r = 0.0 if flat else 0.5 / radius_m
    # Where the piece holding t_from starts: the later of the last row and column line
    # crossed before it (or the chord's start), and the lines crossed next.
    t_start = 0.0
    start_kind, start_line = _CHORD_START, -1
    if d_row != 0.0:
        row_line, next_row = _first_line(row_s, d_row, inv_d_row, t_from)
        t_line = (row_line - row_s) * inv_d_row
        if t_line > 0.0:
            t_start, start_kind, start_line = t_line, _ROW_LINE, row_line
        step_row = 1 if d_row > 0.0 else -1
        t_row = (next_row - row_s) * inv_d_row
    else:
        next_row, step_row, t_row = 0, 0, np.inf
    if d_col != 0.0:
        col_line, next_col = _first_line(col_s, d_col, inv_d_col, t_from)
        t_line = (col_line - col_s) * inv_d_col
        if t_line > t_start:
            t_start, start_kind, start_line = t_line, _COLUMN_LINE, col_line
        step_col = 1 if d_col > 0.0 else -1
        t_col = (next_col - col_s) * inv_d_col
    else:
        next_col, step_col, t_col = 0, 0, np.inf
    # The cell of that piece, tracked from the lines crossed next.
    ir = _cell_before(next_row, d_row, row_s, n_rows)
    ic = _cell_before(next_col, d_col, col_s, n_cols)
    t_found = -1.0
    # The piece's start: its height once computed (NaN until then), whether it counts
    # as terrain, and whether it has been looked at or bounded. A point on the edge of a
    # cell with a missing corner counts as the end of the whole cell beside it.
    z_start = np.nan
    start_ok = False
    start_counted = t_start == 0.0 and k_s == 0  # the observer itself
    while True:
        if ir < 0 or ic < 0 or ir > n_rows - 2 or ic > n_cols - 2:
            return best, t_found, True
        crossing_row = t_row <= t_col
        t_next = t_row if crossing_row else t_col
        if t_next >= 1.0:
            t_next, next_kind, next_line = 1.0, _CHORD_END, -1
        elif crossing_row:
            next_kind, next_line = _ROW_LINE, next_row
        else:
            next_kind, next_line = _COLUMN_LINE, next_col
        s_prev_m = s_s_m + t_start * span_m
        s_next_m = s_s_m + t_next * span_m
        # The bilinear surface inside a cell stays below its corners: the bound of
        # _best_in_piece, at the piece's nearest and farthest distance. A cell with a
        # missing corner (top +inf) bounds nothing: what it ends on may still be terrain.
        top = cell_top[ir, ic]
        complete = top < np.inf
        far = s_next_m >= 0.1 * radius_m
        if not complete or far or _may_rise(top - observer_height_m, best, s_prev_m, s_next_m):
            if z_start != z_start:
                z_start, start_ok = _height_on(z, cell_top, start_kind, start_line, t_start, chord)
            z_next, next_ok = _height_on(z, cell_top, next_kind, next_line, t_next, chord)
            if not start_counted and (start_ok or complete) and z_start == z_start:
                value = _tan_at(z_start, s_prev_m, radius_m, observer_radius_m, flat)
                if value > best:
                    best = value
                    t_found = t_start
            if (next_ok or complete) and z_next == z_next:
                value = _tan_at(z_next, s_next_m, radius_m, observer_radius_m, flat)
                if value > best:
                    best = value
                    t_found = t_next
            # Inside a whole cell, the piece between (its ends' heights from its corners).
            dt = t_next - t_start
            if complete and dt > 0.0:
                twist = z[ir, ic] - z[ir, ic + 1] - z[ir + 1, ic] + z[ir + 1, ic + 1]
                p2 = twist * dt * dt * d_row * d_col
                span_piece_m = dt * span_m
                # It rises above its chord by at most -p2 / 4 (_best_in_piece's bound);
                # and where its height less the sphere's drop (s^2 / 2R) is convex, its
                # tan(elevation) peaks at an end (the derivative turns from - to + at most).
                rise_m = max(z_start, z_next) + 0.25 * max(0.0, -p2) - observer_height_m
                may_rise = far or _may_rise(rise_m, best, s_prev_m, s_next_m)
                if may_rise and p2 < span_piece_m * span_piece_m * inv_2r:
                    before = best
                    best = _best_in_piece(
                        z_start,
                        z_next,
                        p2,
                        s_prev_m,
                        span_piece_m,
                        radius_m,
                        observer_radius_m,
                        flat,
                        best,
                    )
                    if best > before:
                        t_found = 0.5 * (t_start + t_next)
            start_counted = next_ok or complete
        else:
            z_next = np.nan  # computed only if the next piece is looked at
            start_counted = True  # bounded with this whole cell
        if t_next >= t_to:
            return best, t_found, False
        if t_row == t_next:
            ir += step_row
            next_row += step_row
            t_row = (next_row - row_s) * inv_d_row
        if t_col == t_next:
            ic += step_col
            next_col += step_col
            t_col = (next_col - col_s) * inv_d_col
        t_start, start_kind, start_line = t_next, next_kind, next_line
        z_start = z_next
        start_ok = next_ok if z_next == z_next else False


@numba.njit(cache=True, error_model="numpy")
def _walk_range(z, path, ray, k_from, k_to, best):
    """Every piece overlapping k_from..k_to pixels out along the ray, on the chain of
    chords between its exact points (every ``chord_px``, and at its end). ``ray`` is
    (reach_px, pixel_m, radius_m, observer_radius_m, flat, cell_top, chord_px). Returns
    (best, pixel where best was raised or -1, whether the ray left the grid)."""
    reach_px = ray[0]
    best_k = -1
    chord_px = ray[6]
    chord = int(k_from // chord_px)
    while True:
        k_s = chord * chord_px
        if k_s >= reach_px or k_s > k_to:
            return best, best_k, False
        k_e = min(k_s + chord_px, reach_px)
        row_s, col_s = _ray_position(path, float(k_s), ray[1], ray[2])
        row_e, col_e = _ray_position(path, k_e, ray[1], ray[2])
        k_len = k_e - k_s
        best, t_found, left = _walk_chord(
            z,
            (row_s, col_s, row_e, col_e, k_s, k_len),
            max(0.0, (k_from - k_s) / k_len),
            min(1.0, (k_to - k_s) / k_len),
            ray,
            best,
        )
        if t_found >= 0.0:
            best_k = k_s + int(t_found * k_len)
        if left:
            return best, best_k, True
        chord += 1


@numba.njit(cache=True, inline="always", error_model="numpy")
def _inside(row, col, n_rows, n_cols):
    return 0.0 <= row <= n_rows - 1 and 0.0 <= col <= n_cols - 1


@numba.njit(cache=True, inline="always", error_model="numpy")
def _segment_bound(target_radius_m, observer_radius_m, s_a_m, s_b_m, radius_m, flat):
    """The highest tan(elevation) terrain no higher than ``target_radius_m`` can reach
    between distances s_a and s_b."""
    cos_a, sin_a = _sigma_terms(s_a_m, radius_m)
    cos_b, sin_b = _sigma_terms(s_b_m, radius_m)
    return block_bound(
        target_radius_m, observer_radius_m, s_a_m, s_b_m, cos_a, sin_a, cos_b, sin_b, flat
    )


@numba.njit(cache=True, error_model="numpy")
def _trace(
    z,
    pyramid,
    meta,
    path,
    observer_radius_m,
    pixel_m,
    radius_m,
    max_distance_m,
    flat,
    cell_top,
    best,
    hint_px,
):
    """The best tan(elevation) along one ray (``path`` as _ray_position's); returns (best,
    pixel where it was found or -1)."""
    reach_px = max_distance_m / pixel_m
    chord_px = min(max(int(_CHORD_M / pixel_m), 1), 64)
    ray = (reach_px, pixel_m, radius_m, observer_radius_m, flat, cell_top, chord_px)
    best_k = -1
    # A first look along the ray finds a horizon close to the final one, so that the walk
    # below can skip almost everything: with a neighbour's hint, the pieces around it;
    # else one piece every few pixels. Either only sets where skipping starts.
    if hint_px >= 1:
        best, found, _ = _walk_range(z, path, ray, hint_px - 1.0, hint_px + 1.0, best)
        if found >= 0:
            best_k = found
    else:
        for k in range(_NEAR_PX, int(reach_px), _PREPASS_STRIDE):
            best, found, left = _walk_range(z, path, ray, float(k), float(k), best)
            if found >= 0:
                best_k = found
            if left:
                break
    best, best_k = _walk_far(z, pyramid, meta, path, ray, best, best_k)
    # The near field last, walked whole: close to the observer the pyramid's bound rarely
    # holds, and with the best of the rest most of its cells are passed over at once.
    best, found, _ = _walk_range(z, path, ray, 0.0, float(min(_NEAR_PX, reach_px)), best)
    if found >= 0:
        best_k = found
    return best, best_k


@numba.njit(cache=True, error_model="numpy")
def _walk_far(z, pyramid, meta, path, ray, best, best_k):
    """The ray beyond the near field: segments skipped whole where the pyramid shows they
    cannot rise above the best so far, halved where they might, walked where short."""
    reach_px, pixel_m, radius_m, observer_radius_m, flat, _, _ = ray
    n_rows, n_cols = z.shape
    top = meta.shape[0] - 1
    last_k = int(math.ceil(reach_px))
    k_a = _NEAR_PX
    if k_a >= last_k:
        return best, best_k
    row_a, col_a = _ray_position(path, float(k_a), pixel_m, radius_m)
    if not _inside(row_a, col_a, n_rows, n_cols):
        return best, best_k
    level = 0
    while k_a < last_k:
        k_b = min(k_a + (1 << level), last_k)
        row_b, col_b = _ray_position(path, float(k_b), pixel_m, radius_m)
        inside = _inside(row_b, col_b, n_rows, n_cols)
        if not inside and level > 0:
            level -= 1  # find the last piece of the ray inside the grid
            continue
        if inside:
            # The chain of chords strays from the ends' box by far less than 1e-6 px.
            r0 = max(int(math.floor(min(row_a, row_b) - 1e-6)), 0)
            r1 = min(int(math.ceil(max(row_a, row_b) + 1e-6)), n_rows - 1)
            c0 = max(int(math.floor(min(col_a, col_b) - 1e-6)), 0)
            c1 = min(int(math.ceil(max(col_a, col_b) + 1e-6)), n_cols - 1)
            target = radius_m + _range_max(pyramid, meta, level, r0, r1, c0, c1)
            bound = _segment_bound(
                target, observer_radius_m, k_a * pixel_m, k_b * pixel_m, radius_m, flat
            )
            if bound <= best:
                k_a, row_a, col_a = k_b, row_b, col_b
                level = min(level + 1, top)
                continue
            if level > _WALK_LEVEL:
                level -= 1
                continue
        best, found, left = _walk_range(z, path, ray, float(k_a), float(k_b), best)
        if found >= 0:
            best_k = found
        if left:
            return best, best_k
        k_a, row_a, col_a = k_b, row_b, col_b
        level = min(level, _WALK_LEVEL)
    return best, best_k


@numba.njit(cache=True, parallel=True, error_model="numpy")
def fast_horizon_kernel(
    z,
    cell_top,
    pyramid,
    meta,
    transform,
    observer_rows,
    observer_cols,
    observer_radius_m,
    ground_m,
    azimuths_rad,
    grid_azimuths,
    radius_m,
    max_distance_m,
    flat,
    out_deg,
):
    """Horizon elevation [deg] of each observer (a pixel of ``z``: its row, column, radius
    from the Moon's centre and ground height) at each azimuth, into ``out_deg`` of shape
    (observers, azimuths). ``transform`` is (x_left, y_top, pixel_size) of ``z``;
    ``cell_top`` holds each cell's highest corner, +inf where one is missing."""
    n_observers = observer_rows.size
    x_left, y_top, pixel_m = transform[0], transform[1], transform[2]
    n_chunks = (n_observers + _CHUNK - 1) // _CHUNK
    sin_az_table = np.sin(azimuths_rad)
    cos_az_table = np.cos(azimuths_rad)
    four_r2 = 4.0 * radius_m * radius_m
    for chunk in numba.prange(n_chunks):
        path = np.empty(13)
        first = chunk * _CHUNK
        count = min(_CHUNK, n_observers - first)
        # Each observer's unit vector (inverse stereographic), local north, and the sine
        # and cosine of its longitude (east is (-sin, cos, 0)), once for all its azimuths.
        frame = np.empty((count, 8))
        for i in range(count):
            x = x_left + (observer_cols[first + i] + 0.5) * pixel_m
            y = y_top - (observer_rows[first + i] + 0.5) * pixel_m
            rho2 = x * x + y * y
            denominator = four_r2 + rho2
            o2 = -(four_r2 - rho2) / denominator
            rho = math.sqrt(rho2)
            sin_lon, cos_lon = (x / rho, y / rho) if rho > 0.0 else (0.0, 1.0)
            cos_lat = math.sqrt(max(0.0, 1.0 - o2 * o2))
            frame[i, 0] = 4.0 * radius_m * y / denominator
            frame[i, 1] = 4.0 * radius_m * x / denominator
            frame[i, 2] = o2
            frame[i, 3] = -o2 * cos_lon
            frame[i, 4] = -o2 * sin_lon
            frame[i, 5] = cos_lat
            frame[i, 6] = sin_lon
            frame[i, 7] = cos_lon
        for a in range(azimuths_rad.size):
            hint_px = -1
            for i in range(count):
                index = first + i
                row0 = float(observer_rows[index])
                col0 = float(observer_cols[index])
                sin_lon, cos_lon = frame[i, 6], frame[i, 7]
                sin_az, cos_az = sin_az_table[a], cos_az_table[a]
                if grid_azimuths:  # local azimuth = grid bearing - longitude
                    sin_az, cos_az = (
                        sin_az * cos_lon - cos_az * sin_lon,
                        cos_az * cos_lon + sin_az * sin_lon,
                    )
                path[0], path[1] = row0, col0
                # The grid bearing is the local azimuth plus the longitude.
                path[8] = -(cos_az * cos_lon - sin_az * sin_lon)
                path[9] = sin_az * cos_lon + cos_az * sin_lon
                path[10], path[11], path[12] = x_left, y_top, 1.0 if flat else 0.0
                if not flat:
                    # The great circle leaving the observer at the azimuth.
                    path[2], path[3], path[4] = frame[i, 0], frame[i, 1], frame[i, 2]
                    path[5] = cos_az * frame[i, 3] - sin_az * sin_lon
                    path[6] = cos_az * frame[i, 4] + sin_az * cos_lon
                    path[7] = cos_az * frame[i, 5]
                observer_r = observer_radius_m[index]
                if observer_r != observer_r:  # no ground under the observer
                    out_deg[index, a] = np.nan
                    continue
                best = -np.inf
                if abs(observer_r - radius_m - ground_m[index]) < 1e-6:
                    # An observer standing on the ground sees at least the ground's own
                    # slope along the ray (the limit of the elevation angle there), along
                    # its first pixel; a direction a rounding error off a grid line is on
                    # it (a ray along the grid's edge would look off the grid).
                    row_1, col_1 = _ray_position(path, 1.0, pixel_m, radius_m)
                    dir_row, dir_col = row_1 - row0, col_1 - col0
                    dir_row = 0.0 if abs(dir_row) < 1e-9 else dir_row
                    dir_col = 0.0 if abs(dir_col) < 1e-9 else dir_col
                    best = _ground_slope(z, row0, col0, dir_row, dir_col, pixel_m)
                    if best != best:
                        best = -np.inf
                best, found_px = _trace(
                    z,
                    pyramid,
                    meta,
                    path,
                    observer_r,
                    pixel_m,
                    radius_m,
                    max_distance_m,
                    flat,
                    cell_top,
                    best,
                    hint_px,
                )
                hint_px = found_px
                out_deg[index, a] = math.degrees(math.atan(best)) if best > -np.inf else np.nan
