"""The compiled core of the horizon engine (numba). See :mod:`ilrs.terrain.horizon`.

For each observer and azimuth the ray follows the great circle that leaves the observer at
that azimuth (the trace of the vertical plane on the sphere), projected into the grid. It
is walked in segments whose length adapts: a segment is skipped whole when the highest
terrain its cells can hold (a max-pyramid of the grid) cannot rise above the horizon found
so far, else halved, down to one pixel, where the height is sampled at every crossing of a
row or column line and at the segment's end. The bilinear surface is linear along grid
lines and its kinks lie on them, so sampling at the crossings finds the crest of every
ridge the ray crosses; the ray-march of the tests confirms it.
"""

from __future__ import annotations

import math

import numba
import numpy as np

_PREPASS_STRIDE = 4  # pixels between the samples of the first, sparse look along a ray
# Observers handled in a row by one thread: each ray starts from where its neighbour's
# horizon was (see ``horizon_kernel``), so only the first of a chunk needs the prepass.
_CHUNK = 128

# Layer arrays: heights (2-D), pyramid (flat), pyramid meta (level, 3: offset, rows, cols),
# transform (x_left, y_top, pixel_size). A stack of layers, finest first, is packed end to
# end with offsets (``horizon._pack``).


_EDGE_PX = 1e-6  # how far outside the grid a point may round and still count as on it


@numba.njit(cache=True, inline="always", error_model="numpy")
def _grid_position(u0, u1, u2, radius_m, x_left, y_top, pixel_m):
    # Inverse south polar stereographic of a unit vector: x = 2R u_y/(1-u_z), y = 2R u_x/(1-u_z).
    scale = 2.0 * radius_m / (1.0 - u2)
    x = scale * u1
    y = scale * u0
    return (y_top - y) / pixel_m - 0.5, (x - x_left) / pixel_m - 0.5


@numba.njit(cache=True, inline="always", error_model="numpy")
def _bilinear(z, row, col):
    n_rows, n_cols = z.shape
    # Clamped both ways: a point a rounding error outside the grid must not wrap round
    # to its far side.
    r0 = max(min(int(math.floor(row)), n_rows - 2), 0)
    c0 = max(min(int(math.floor(col)), n_cols - 2), 0)
    fr = row - r0
    fc = col - c0
    return (
        z[r0, c0] * (1.0 - fr) * (1.0 - fc)
        + z[r0, c0 + 1] * (1.0 - fr) * fc
        + z[r0 + 1, c0] * fr * (1.0 - fc)
        + z[r0 + 1, c0 + 1] * fr * fc
    )


@numba.njit(cache=True, inline="always", error_model="numpy")
def _range_max(pyramid, meta, level, r0, r1, c0, c1):
    offset, cols = meta[level, 0], meta[level, 2]
    best = -np.inf
    for i in range(r0 >> level, (r1 >> level) + 1):
        for j in range(c0 >> level, (c1 >> level) + 1):
            value = pyramid[offset + i * cols + j]
            if value > best:
                best = value
    return best


@numba.njit(cache=True, inline="always", error_model="numpy")
def _tan_elevation(sin_s, cos_s, target_radius_m, observer_radius_m, flat, distance_m):
    if flat:
        return (target_radius_m - observer_radius_m) / distance_m
    return (target_radius_m * cos_s - observer_radius_m) / (target_radius_m * sin_s)


@numba.njit(cache=True, inline="always", error_model="numpy")
def _position(k, start_cos, start_sin, cos_table, sin_table, o0, o1, o2, e0, e1, e2, layer):
    """Grid row, col and (cos, sin) of the angle travelled after k pixels from the start."""
    c = start_cos * cos_table[k] - start_sin * sin_table[k]
    s = start_sin * cos_table[k] + start_cos * sin_table[k]
    row, col = _grid_position(
        c * o0 + s * e0, c * o1 + s * e1, c * o2 + s * e2, layer[3], layer[0], layer[1], layer[2]
    )
    return row, col, c, s


@numba.njit(cache=True, inline="always", error_model="numpy")
def _ray_point(k, flat, ray, cos_table, sin_table, layer):
    """Row, col and (cos, sin) of the angle travelled, k pixels along a ray.

    ``ray`` holds (start_px, obs_row, obs_col, dir_row, dir_col, start_cos, start_sin,
    o0, o1, o2, e0, e1, e2): on a flat body the ray is a straight grid line; on the sphere,
    the great circle through the observer o with tangent e.
    """
    if flat:
        return ray[1] + ray[3] * (ray[0] + k), ray[2] + ray[4] * (ray[0] + k), 1.0, 0.0
    return _position(
        k,
        ray[5],
        ray[6],
        cos_table,
        sin_table,
        ray[7],
        ray[8],
        ray[9],
        ray[10],
        ray[11],
        ray[12],
        layer,
    )


@numba.njit(cache=True, inline="always", error_model="numpy")
def _next_crossing(start, delta, after_t):
    """The first t > after_t (t in 0..1) where start + t * delta is a whole number, else 2."""
    if delta == 0.0:
        return 2.0
    position = start + after_t * delta
    target = math.floor(position) + 1.0 if delta > 0.0 else math.ceil(position) - 1.0
    t = (target - start) / delta
    if t <= after_t:  # rounding put us on the line already: take the next one
        t = (target + (1.0 if delta > 0.0 else -1.0) - start) / delta
    return t if t < 1.0 else 2.0


@numba.njit(cache=True, inline="always", error_model="numpy")
def _angle_at(
    z, row_a, col_a, d_row, d_col, t, s_a, pixel_m, cos_a, sin_a, radius_m, observer_radius_m, flat
):
    height = _bilinear(z, row_a + t * d_row, col_a + t * d_col)
    # No data, or too close to the observer for an angle to mean anything: within a
    # thousandth of a pixel, rounding in the heights would swamp the distance.
    if height != height or s_a + t * pixel_m <= 1e-3 * pixel_m:
        return -np.inf, height
    # sin and cos of a fraction t of a pixel further (an angle below 1e-4 rad).
    delta_sigma = t * pixel_m / radius_m
    cos_d = 1.0 - 0.5 * delta_sigma * delta_sigma
    sin_d = delta_sigma * (1.0 - delta_sigma * delta_sigma / 6.0)
    value = _tan_elevation(
        sin_a * cos_d + cos_a * sin_d,
        cos_a * cos_d - sin_a * sin_d,
        radius_m + height,
        observer_radius_m,
        flat,
        s_a + t * pixel_m,
    )
    return value, height


@numba.njit(cache=True, inline="always", error_model="numpy")
def block_bound(target_radius_m, observer_radius_m, s_a_m, s_b_m, cos_a, sin_a, cos_b, sin_b, flat):
    """The highest tan(elevation) terrain no higher than ``target_radius_m`` (from the
    Moon's centre) can reach between distances s_a and s_b, whose angles at the centre
    have cosines and sines cos_a, sin_a and cos_b, sin_b."""
    if flat:
        rise_m = target_radius_m - observer_radius_m
        # (rise / s) peaks at the near end when rising, at the far end when falling.
        return rise_m / max(s_a_m, 1e-9) if rise_m >= 0.0 else rise_m / s_b_m
    # (target cos σ - r_obs) / (target sin σ) over σa..σb: falling in σ when the block can
    # rise above the observer; else peaking where cos σ = target / r_obs. Compared
    # through cosines, so no trig call is needed.
    cos_peak = target_radius_m / observer_radius_m
    if cos_peak >= 1.0 or cos_peak >= cos_a:
        cos_e, sin_e = cos_a, max(sin_a, 1e-300)
    elif cos_peak <= cos_b:
        cos_e, sin_e = cos_b, sin_b
    else:
        cos_e, sin_e = cos_peak, math.sqrt(1.0 - cos_peak * cos_peak)
    return (target_radius_m * cos_e - observer_radius_m) / (target_radius_m * sin_e)


@numba.njit(cache=True, inline="always", error_model="numpy")
def crest_roots(p1, p2, h0_m, s0_m, span_m, inv_2r):
    """Where (height - h_obs) / s - s / 2R can peak along a piece whose height above the
    eye is h0 + p1 u + p2 u^2 at distance s0 + span u (u in 0..1): the roots of its
    derivative times s^2 (-1 for none). The parabolic curvature only locates the point;
    the caller takes the angle there exactly."""
    qa = p2 * span_m - span_m**3 * inv_2r
    qb = 2.0 * p2 * s0_m - 2.0 * s0_m * span_m * span_m * inv_2r
    qc = p1 * s0_m - h0_m * span_m - s0_m * s0_m * span_m * inv_2r
    root_1 = root_2 = -1.0
    if abs(qa) > 1e-12 * (abs(qb) + abs(qc) + 1e-300):
        disc = qb * qb - 4.0 * qa * qc
        if disc >= 0.0:
            root = math.sqrt(disc)
            root_1 = (-qb + root) / (2.0 * qa)
            root_2 = (-qb - root) / (2.0 * qa)
    elif qb != 0.0:
        root_1 = -qc / qb
    return root_1, root_2


@numba.njit(cache=True, error_model="numpy")
def _best_inside_piece(
    z,
    row_a,
    col_a,
    d_row,
    d_col,
    t0,
    t1,
    z0,
    z1,
    s_a,
    pixel_m,
    cos_a,
    sin_a,
    radius_m,
    observer_radius_m,
    flat,
    best,
):
    """Highest tan(elevation) strictly inside the piece t0..t1 of a pixel segment, within
    one cell, whose end heights z0 and z1 the caller has already taken into ``best``."""
    _, zm = _angle_at(
        z,
        row_a,
        col_a,
        d_row,
        d_col,
        0.5 * (t0 + t1),
        s_a,
        pixel_m,
        cos_a,
        sin_a,
        radius_m,
        observer_radius_m,
        flat,
    )
    # Height along the piece: z0 + p1 u + p2 u^2 for u in 0..1; distance s0 + span u.
    p1 = -3.0 * z0 + 4.0 * zm - z1
    p2 = 2.0 * z0 - 4.0 * zm + 2.0 * z1
    s0 = s_a + t0 * pixel_m
    span = (t1 - t0) * pixel_m
    h0 = z0 - (observer_radius_m - radius_m)
    # A bound first: the quadratic rises above its chord by at most -p2/4, so no point of
    # the piece is higher than this; most pieces end here without the exact search.
    rise_m = max(z0, z1) + 0.25 * max(0.0, -p2) - (observer_radius_m - radius_m)
    if flat:
        bound = rise_m / s0 if rise_m >= 0.0 else rise_m / (s0 + span)
    elif (s0 + span) < 0.1 * radius_m:
        # On the sphere the elevation is (r_t cos σ - r_o) / (r_t sin σ), below the flat
        # (r_t - r_o) / (r_t sin σ); r_t sin σ is the distance within 2 % while heights
        # stay within 17 km and σ under 0.1 rad.
        bound = rise_m / (0.98 * s0) if rise_m >= 0.0 else rise_m / (1.02 * (s0 + span))
    else:
        bound = np.inf
    if bound <= best:
        return best
    inv_2r = 0.0 if flat else 0.5 / radius_m
    if p2 == 0.0 and inv_2r == 0.0:
        return best  # (a + b u) / (s0 + span u) is monotonic: the ends hold the maximum
    for u in crest_roots(p1, p2, h0, s0, span, inv_2r):
        if 0.0 < u < 1.0:
            value, _ = _angle_at(
                z,
                row_a,
                col_a,
                d_row,
                d_col,
                t0 + u * (t1 - t0),
                s_a,
                pixel_m,
                cos_a,
                sin_a,
                radius_m,
                observer_radius_m,
                flat,
            )
            if value > best:
                best = value
    return best


@numba.njit(cache=True, error_model="numpy")
def _ground_slope(z, row, col, dir_row, dir_col, pixel_m):
    """The slope of the bilinear surface [m/m] leaving (row, col) along (dir_row, dir_col),
    taken in the cell the ray enters (an observer on a grid line or node belongs to the
    cells on both sides); NaN where the ray leaves the grid at once."""
    n_rows, n_cols = z.shape
    row_ahead = row + 1e-6 * dir_row
    col_ahead = col + 1e-6 * dir_col
    if row_ahead < 0.0 or col_ahead < 0.0 or row_ahead > n_rows - 1 or col_ahead > n_cols - 1:
        return np.nan
    r0 = min(int(math.floor(row_ahead)), n_rows - 2)
    c0 = min(int(math.floor(col_ahead)), n_cols - 2)
    fr, fc = row - r0, col - c0
    dz_drow = (1.0 - fc) * (z[r0 + 1, c0] - z[r0, c0]) + fc * (z[r0 + 1, c0 + 1] - z[r0, c0 + 1])
    dz_dcol = (1.0 - fr) * (z[r0, c0 + 1] - z[r0, c0]) + fr * (z[r0 + 1, c0 + 1] - z[r0 + 1, c0])
    return (dz_drow * dir_row + dz_dcol * dir_col) / pixel_m


@numba.njit(cache=True, inline="always", error_model="numpy")
def _edge_fraction(start, delta, upper):
    """The largest t in 0..1 with start + t * delta inside [0, upper]."""
    end = start + delta
    if end < 0.0:
        return (0.0 - start) / delta
    if end > upper:
        return (upper - start) / delta
    return 1.0


@numba.njit(cache=True, error_model="numpy")
def _sample_pixel(
    z,
    row_a,
    col_a,
    row_b,
    col_b,
    t_end,
    s_a,
    pixel_m,
    cos_a,
    sin_a,
    radius_m,
    observer_radius_m,
    flat,
    best,
):
    """One pixel of the ray (up to t_end of it): cut it where it crosses row and column
    lines (the kinks of the bilinear surface) and, in each piece, where the height is a
    quadratic of the distance, take the highest elevation angle exactly."""
    d_row = row_b - row_a
    d_col = col_b - col_a
    # Crossings come in increasing t along each axis; merge the two runs as we go. Each
    # crossing is evaluated once: it ends one piece and starts the next.
    next_row_t = _next_crossing(row_a, d_row, 0.0)
    next_col_t = _next_crossing(col_a, d_col, 0.0)
    t_prev = 0.0
    v_prev, z_prev = _angle_at(
        z,
        row_a,
        col_a,
        d_row,
        d_col,
        0.0,
        s_a,
        pixel_m,
        cos_a,
        sin_a,
        radius_m,
        observer_radius_m,
        flat,
    )
    if v_prev > best:
        best = v_prev
    while True:
        t_next = min(next_row_t, next_col_t, t_end)
        v_next, z_next = _angle_at(
            z,
            row_a,
            col_a,
            d_row,
            d_col,
            t_next,
            s_a,
            pixel_m,
            cos_a,
            sin_a,
            radius_m,
            observer_radius_m,
            flat,
        )
        if v_next > best:
            best = v_next
        if t_next - t_prev >= 1e-9 and z_prev == z_prev and z_next == z_next:
            best = _best_inside_piece(
                z,
                row_a,
                col_a,
                d_row,
                d_col,
                t_prev,
                t_next,
                z_prev,
                z_next,
                s_a,
                pixel_m,
                cos_a,
                sin_a,
                radius_m,
                observer_radius_m,
                flat,
                best,
            )
        if t_next >= t_end:
            return best
        if next_row_t == t_next:
            next_row_t = _next_crossing(row_a, d_row, t_next)
        if next_col_t == t_next:
            next_col_t = _next_crossing(col_a, d_col, t_next)
        t_prev, z_prev = t_next, z_next


@numba.njit(cache=True, error_model="numpy")
def _trace(
    z,
    pyramid,
    meta,
    layer,
    cos_table,
    sin_table,
    o0,
    o1,
    o2,
    e0,
    e1,
    e2,
    obs_row,
    obs_col,
    dir_row,
    dir_col,
    observer_radius_m,
    start_distance_m,
    max_distance_m,
    best,
    flat,
    hint_px,
):
    """Walk one ray through one layer from start_distance_m; returns (best tan, exit
    distance, or -1 when the ray ended inside the layer, and the pixel of the ray where
    the best was found in this layer, or -1).

    ``hint_px`` (-1 for none) is where a neighbouring ray found its horizon: the few
    pixels of this ray around it are looked at first, in place of the sparse prepass.
    Either only sets where the walk starts skipping; the walk's samples decide the result.

    Distances advance in whole pixels of the layer from the start, so the cosine and sine
    of the angle travelled come from tables (``cos_table[k]`` for k pixels), not trig calls.
    """
    pixel_m, radius_m = layer[2], layer[3]
    n_rows, n_cols = z.shape
    top = meta.shape[0] - 1
    reach_px = (max_distance_m - start_distance_m) / pixel_m
    last_k = int(math.ceil(reach_px))
    if last_k < 1:
        return best, -1.0, -1
    last_fraction = reach_px - (last_k - 1)  # of the last pixel, up to the limit exactly
    start_sigma = start_distance_m / radius_m
    start_cos, start_sin = math.cos(start_sigma), math.sin(start_sigma)
    k_a = 0
    ray = (
        start_distance_m / pixel_m,
        obs_row,
        obs_col,
        dir_row,
        dir_col,
        start_cos,
        start_sin,
        o0,
        o1,
        o2,
        e0,
        e1,
        e2,
    )
    row_a, col_a, cos_a, sin_a = _ray_point(0, flat, ray, cos_table, sin_table, layer)
    # An observer on the grid's edge may come back from the projection a rounding error
    # outside it: it still stands on the grid.
    row_a = (
        min(max(row_a, 0.0), n_rows - 1.0) if -_EDGE_PX < row_a < n_rows - 1 + _EDGE_PX else row_a
    )
    col_a = (
        min(max(col_a, 0.0), n_cols - 1.0) if -_EDGE_PX < col_a < n_cols - 1 + _EDGE_PX else col_a
    )
    if row_a < 0.0 or col_a < 0.0 or row_a > n_rows - 1 or col_a > n_cols - 1:
        return best, start_distance_m, -1
    best_k = -1
    if start_distance_m == 0.0:
        # An observer standing on the ground sees at least the ground's own slope along
        # the ray (the limit of the elevation angle at the observer).
        ground_m = _bilinear(z, row_a, col_a)
        if abs(observer_radius_m - radius_m - ground_m) < 1e-6:
            slope = _ground_slope(z, row_a, col_a, dir_row, dir_col, pixel_m)
            if not flat:
                # Per true metre: grid metres are the projection's scale factor longer.
                slope *= 2.0 / (1.0 - o2)
            if slope > best:
                best = slope
                best_k = 0
    # A first look along the ray, at points the full walk samples too, finds a horizon
    # close to the final one, so that the walk below can skip almost everything: it only
    # has to examine terrain that might rise above it. With a neighbour's hint, a few
    # pixels around it; else a sparse look every few pixels.
    if hint_px >= 0:
        first, last, stride = max(hint_px - 1, 1), min(hint_px + 2, int(reach_px)), 1
    else:
        first, last, stride = _PREPASS_STRIDE, int(reach_px), _PREPASS_STRIDE
    for k in range(first, last + 1, stride):
        row, col, cos_k, sin_k = _ray_point(k, flat, ray, cos_table, sin_table, layer)
        if row < 0.0 or col < 0.0 or row > n_rows - 1 or col > n_cols - 1:
            break
        height = _bilinear(z, row, col)
        if height == height:
            value = _tan_elevation(
                sin_k,
                cos_k,
                radius_m + height,
                observer_radius_m,
                flat,
                start_distance_m + k * pixel_m,
            )
            if value > best:
                best = value
                best_k = k
    # The first pixel is always sampled; start there rather than descending from the top.
    level = 0
    while k_a < last_k:
        k_b = min(k_a + (1 << level), last_k)
        row_b, col_b, cos_b, sin_b = _ray_point(k_b, flat, ray, cos_table, sin_table, layer)
        if row_b < 0.0 or col_b < 0.0 or row_b > n_rows - 1 or col_b > n_cols - 1:
            if level > 0:
                level -= 1  # find the last piece of the ray inside the layer
                continue
            # The last pixel: sample it up to the edge of the grid.
            t_edge = _edge_fraction(row_a, row_b - row_a, n_rows - 1)
            t_edge = min(t_edge, _edge_fraction(col_a, col_b - col_a, n_cols - 1))
            if k_b == last_k:
                t_edge = min(t_edge, last_fraction)
            if t_edge > 0.0:
                before = best
                best = _sample_pixel(
                    z,
                    row_a,
                    col_a,
                    row_b,
                    col_b,
                    t_edge,
                    start_distance_m + k_a * pixel_m,
                    pixel_m,
                    cos_a,
                    sin_a,
                    radius_m,
                    observer_radius_m,
                    flat,
                    best,
                )
                if best > before:
                    best_k = k_a
            return best, start_distance_m + k_a * pixel_m, best_k
        s_a = start_distance_m + k_a * pixel_m
        s_b = start_distance_m + k_b * pixel_m
        if k_a > 0:  # the first pixel is always sampled
            r0 = int(math.floor(min(row_a, row_b)))
            r1 = min(int(math.ceil(max(row_a, row_b))), n_rows - 1)
            c0 = int(math.floor(min(col_a, col_b)))
            c1 = min(int(math.ceil(max(col_a, col_b))), n_cols - 1)
            target = radius_m + _range_max(pyramid, meta, level, r0, r1, c0, c1)
            bound = block_bound(
                target, observer_radius_m, s_a, s_b, cos_a, sin_a, cos_b, sin_b, flat
            )
            if bound <= best:
                k_a, row_a, col_a, cos_a, sin_a = k_b, row_b, col_b, cos_b, sin_b
                level = min(level + 1, top)
                continue
            if level > 0:
                level -= 1
                continue
        before = best
        best = _sample_pixel(
            z,
            row_a,
            col_a,
            row_b,
            col_b,
            last_fraction if k_b == last_k else 1.0,
            s_a,
            pixel_m,
            cos_a,
            sin_a,
            radius_m,
            observer_radius_m,
            flat,
            best,
        )
        if best > before:
            best_k = k_a
        k_a, row_a, col_a, cos_a, sin_a = k_b, row_b, col_b, cos_b, sin_b
        level = 0
    return best, -1.0, best_k


@numba.njit(cache=True, parallel=True, error_model="numpy")
def horizon_kernel(
    heights,
    height_offsets,
    shapes,
    pyramids,
    pyramid_offsets,
    metas,
    meta_offsets,
    transforms,
    reaches_m,
    cos_tables,
    sin_tables,
    table_offsets,
    observer_x_m,
    observer_y_m,
    observer_radius_m,
    azimuths_rad,
    grid_azimuths,
    radius_m,
    max_distance_m,
    flat,
    out_deg,
    out_covered_m,
):
    """Horizon elevation [deg] for each observer (projected x, y and radius from the
    Moon's centre) and azimuth, into ``out_deg`` of shape (observers, azimuths), over a
    stack of layers, finest first (packed end to end; see ``horizon._pack``).

    A ray walks layer 0 until it leaves it or passes ``reaches_m[0]``, then layer 1 from
    there, and so on, up to ``max_distance_m``. ``out_covered_m`` (same shape, or empty to
    skip) receives how far the stack carried each ray: less than the maximum where the
    terrain ran out. ``grid_azimuths`` measures azimuths from grid north (+y) instead of
    local north.
    """
    n_observers = observer_x_m.size
    n_layers = transforms.shape[0]
    layer_params = np.empty((n_layers, 4))
    for layer in range(n_layers):
        layer_params[layer, 0] = transforms[layer, 0]
        layer_params[layer, 1] = transforms[layer, 1]
        layer_params[layer, 2] = transforms[layer, 2]
        layer_params[layer, 3] = radius_m
    keep_covered = out_covered_m.shape[0] == n_observers
    cos_az_table = np.cos(azimuths_rad)
    sin_az_table = np.sin(azimuths_rad)
    # Observers come row by row, so consecutive ones are neighbours: each thread takes a
    # chunk of them, and each ray is hinted where the previous observer's ray at the
    # same azimuth found its horizon (the results do not depend on the chunks).
    n_chunks = (n_observers + _CHUNK - 1) // _CHUNK
    for chunk in numba.prange(n_chunks):
        # Azimuth by azimuth along the chunk: neighbouring rays at one azimuth read the
        # same terrain, still in cache, and each is hinted by the one before.
        for a in range(azimuths_rad.size):
            hint_px = -1
            for index in range(chunk * _CHUNK, min((chunk + 1) * _CHUNK, n_observers)):
                if observer_radius_m[index] != observer_radius_m[index]:  # no ground
                    out_deg[index, a] = np.nan
                    if keep_covered:
                        out_covered_m[index, a] = 0.0
                    continue
                x = observer_x_m[index]
                y = observer_y_m[index]
                # Unit vector of the observer (inverse stereographic) and its local frame.
                rho2 = x * x + y * y
                four_r2 = 4.0 * radius_m * radius_m
                denominator = four_r2 + rho2
                o0 = 4.0 * radius_m * y / denominator
                o1 = 4.0 * radius_m * x / denominator
                o2 = -(four_r2 - rho2) / denominator
                lon = math.atan2(x, y)
                sin_lon, cos_lon = math.sin(lon), math.cos(lon)
                sin_lat = o2
                cos_lat = math.sqrt(max(0.0, 1.0 - o2 * o2))
                north0, north1, north2 = -sin_lat * cos_lon, -sin_lat * sin_lon, cos_lat
                east0, east1, east2 = -sin_lon, cos_lon, 0.0
                azimuth = azimuths_rad[a]
                if grid_azimuths:
                    azimuth = azimuth - lon  # local azimuth = grid bearing - longitude
                    sin_az, cos_az = math.sin(azimuth), math.cos(azimuth)
                else:
                    sin_az, cos_az = sin_az_table[a], cos_az_table[a]
                e0 = cos_az * north0 + sin_az * east0
                e1 = cos_az * north1 + sin_az * east1
                e2 = cos_az * north2 + sin_az * east2
                bearing = azimuth + lon
                dir_row, dir_col = -math.cos(bearing), math.sin(bearing)
                best = -np.inf
                start_m = 0.0
                found_px = -1
                for layer in range(n_layers):
                    if start_m >= max_distance_m:
                        break
                    z = heights[height_offsets[layer] : height_offsets[layer + 1]].reshape(
                        (shapes[layer, 0], shapes[layer, 1])
                    )
                    pixel_m = transforms[layer, 2]
                    limit_m = min(reaches_m[layer], max_distance_m)
                    if limit_m <= start_m:
                        continue
                    best, exit_m, layer_px = _trace(
                        z,
                        pyramids[pyramid_offsets[layer] : pyramid_offsets[layer + 1]],
                        metas[meta_offsets[layer] : meta_offsets[layer + 1]],
                        layer_params[layer],
                        cos_tables[table_offsets[layer] : table_offsets[layer + 1]],
                        sin_tables[table_offsets[layer] : table_offsets[layer + 1]],
                        o0,
                        o1,
                        o2,
                        e0,
                        e1,
                        e2,
                        (transforms[layer, 1] - y) / pixel_m - 0.5,
                        (x - transforms[layer, 0]) / pixel_m - 0.5,
                        dir_row,
                        dir_col,
                        observer_radius_m[index],
                        start_m,
                        limit_m,
                        best,
                        flat,
                        hint_px if layer == 0 else -1,
                    )
                    if layer_px >= 0:  # only a pixel of the first layer hints the next ray
                        found_px = layer_px if layer == 0 else -1
                    start_m = limit_m if exit_m < 0.0 else exit_m
                hint_px = found_px
                if keep_covered:
                    out_covered_m[index, a] = start_m
                out_deg[index, a] = math.degrees(math.atan(best)) if best > -np.inf else np.nan
