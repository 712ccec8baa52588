"""The compiled core of lighting maps (numba). See :mod:`ilrs.environment.maps`.

Each pixel's horizon is first turned into the frame of its cell's centre (every node
rotated exactly) and laid onto a fine, even grid of azimuth there, so that one table of
the body's azimuth and elevation per instant serves every pixel of the cell.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from ilrs.environment.disk import disk_fraction

# Bands of the result, per pixel.
MEAN_DISK_FRACTION = 0
ANY_VISIBLE_FRACTION = 1
CENTRE_VISIBLE_FRACTION = 2
LONGEST_HIDDEN_STEPS = 3  # longest spell with no part of the disk visible [steps]
LONGEST_CENTRE_HIDDEN_STEPS = 4  # longest spell with the centre below the horizon [steps]
RESULT_BANDS = 5


@numba.njit(cache=True, error_model="numpy")
def _to_cell_frame(band_az_deg, band_el_deg, rotation, node_az_deg, node_el_deg):
    """The horizon's nodes, directions seen from the pixel, in the cell's frame: azimuth
    and elevation [deg] (exactly: ``rotation[i, j]`` = cell axis i . pixel axis j, axes
    east, north, up). Returns the index of the node with the smallest azimuth."""
    lowest = 0
    for b in range(band_az_deg.size):
        azimuth, elevation = math.radians(band_az_deg[b]), math.radians(band_el_deg[b])
        east = math.cos(elevation) * math.sin(azimuth)
        north = math.cos(elevation) * math.cos(azimuth)
        up = math.sin(elevation)
        d0 = rotation[0, 0] * east + rotation[0, 1] * north + rotation[0, 2] * up
        d1 = rotation[1, 0] * east + rotation[1, 1] * north + rotation[1, 2] * up
        d2 = rotation[2, 0] * east + rotation[2, 1] * north + rotation[2, 2] * up
        node_az_deg[b] = math.degrees(math.atan2(d0, d1)) % 360.0
        node_el_deg[b] = math.degrees(math.asin(min(1.0, max(-1.0, d2))))
        if node_az_deg[b] < node_az_deg[lowest]:
            lowest = b
    return lowest


@numba.njit(cache=True, error_model="numpy")
def _resample(node_az_deg, node_el_deg, lowest, out):
    """out[k]: the horizon, a closed polyline through the nodes (in azimuth order around
    the circle from node ``lowest``), at azimuth k * 360 / (out.size - 1)."""
    n_nodes = node_az_deg.size
    n_fine = out.size - 1
    fine_step_deg = 360.0 / n_fine
    # Node azimuths unwrapped from the lowest: increasing (a turn of the frame by a
    # fraction of a degree keeps the order of horizon nodes), so the segment holding the
    # fine azimuths only moves on; azimuths below the lowest node lie on the segment
    # from the last node across north.
    j = -1  # offset from ``lowest`` of the segment's first node
    start = node_az_deg[(lowest - 1) % n_nodes] - 360.0
    start_el = node_el_deg[(lowest - 1) % n_nodes]
    end, end_el = node_az_deg[lowest], node_el_deg[lowest]
    for k in range(n_fine + 1):
        azimuth = k * fine_step_deg
        while azimuth >= end and j < n_nodes - 1:
            j += 1
            start, start_el = end, end_el
            following = (lowest + j + 1) % n_nodes
            end = node_az_deg[following] + (360.0 if j + 1 == n_nodes else 0.0)
            end = max(end, start)  # a node out of order (near the zenith) leaves no gap
            end_el = node_el_deg[following]
        span = end - start
        fraction = (azimuth - start) / span if span > 0.0 else 0.0
        out[k] = start_el + fraction * (end_el - start_el)


# The running state of one pixel's scan, in one small array.
_DISK_SUM, _ANY_COUNT, _CENTRE_COUNT = 0, 1, 2
_LONGEST_HIDDEN, _LONGEST_CENTRE = 3, 4
_HIDDEN_START, _CENTRE_START = 5, 6  # where the current spell began [steps]; -1 outside one
_STATE_SIZE = 7

FINE_PER_COARSE = 20  # fine azimuth nodes per coarse bin (1 degree) of the block bounds


@numba.njit(cache=True, inline="always", error_model="numpy")
def _margins(horizon, fine_step_deg, t, epochs):
    """At instant t: the centre's height above the horizon [deg], the square of how much
    the tilted line stretches the perpendicular, and the disk's radius [deg]."""
    position = epochs[0, t]
    k = int(position)
    rise = horizon[k + 1] - horizon[k]
    vertical = epochs[1, t] - (horizon[k] + (position - k) * rise)
    sky_slope = rise / fine_step_deg * epochs[3, t]
    return vertical, 1.0 + sky_slope * sky_slope, epochs[2, t]


@numba.njit(cache=True, error_model="numpy")
def _exact_margins(horizon, fine_step_deg, t, epochs):
    """At instant t: the height [deg] of the disk's top above the tilted horizon line
    (perpendicular to it), and of its centre above the horizon."""
    vertical, stretch_sq, radius = _margins(horizon, fine_step_deg, t, epochs)
    return vertical / math.sqrt(stretch_sq) + radius, vertical


@numba.njit(cache=True, inline="always", error_model="numpy")
def _zero_between(t, before, now):
    """Where a margin, linear from instant t-1 to t, is zero [steps]."""
    return t - 1 + before / (before - now) if before != now else float(t)


@numba.njit(cache=True, inline="always", error_model="numpy")
def _step(horizon, fine_step_deg, t, epochs, state):
    """Take instant t exactly into the pixel's state."""
    vertical, stretch_sq, radius = _margins(horizon, fine_step_deg, t, epochs)
    if vertical * vertical >= radius * radius * stretch_sq:  # wholly above or below
        fraction = 1.0 if vertical > 0.0 else 0.0
        hidden = vertical < 0.0
    else:
        across = vertical / math.sqrt(stretch_sq)  # perpendicular to the tilted line
        fraction = disk_fraction(across / radius)
        hidden = across + radius <= 0.0
    state[_DISK_SUM] += fraction
    if not hidden:
        state[_ANY_COUNT] += 1.0
    centre_hidden = vertical <= 0.0
    if not centre_hidden:
        state[_CENTRE_COUNT] += 1.0
    if hidden != (state[_HIDDEN_START] >= 0.0) or centre_hidden != (state[_CENTRE_START] >= 0.0):
        _follow_spells(horizon, fine_step_deg, t, epochs, state, hidden, centre_hidden)


@numba.njit(cache=True, error_model="numpy")
def _follow_spells(horizon, fine_step_deg, t, epochs, state, hidden, centre_hidden):
    """Open or close the spells without any of the disk and with the centre hidden, as
    instant t finds them; their edges go where the margins, linear between instants, cross
    zero (taken exactly, at these rare changes)."""
    hidden_changes = hidden != (state[_HIDDEN_START] >= 0.0)
    centre_changes = centre_hidden != (state[_CENTRE_START] >= 0.0)
    if not (hidden_changes or centre_changes):
        return
    any_at, centre_at = 0.0, 0.0
    if t > 0:
        any_before, centre_before = _exact_margins(horizon, fine_step_deg, t - 1, epochs)
        any_now, centre_now = _exact_margins(horizon, fine_step_deg, t, epochs)
        any_at = _zero_between(t, any_before, any_now)
        centre_at = _zero_between(t, centre_before, centre_now)
    if hidden_changes:
        if hidden:
            state[_HIDDEN_START] = any_at
        else:
            state[_LONGEST_HIDDEN] = max(state[_LONGEST_HIDDEN], any_at - state[_HIDDEN_START])
            state[_HIDDEN_START] = -1.0
    if centre_changes:
        if centre_hidden:
            state[_CENTRE_START] = centre_at
        else:
            longest = max(state[_LONGEST_CENTRE], centre_at - state[_CENTRE_START])
            state[_LONGEST_CENTRE] = longest
            state[_CENTRE_START] = -1.0


@numba.njit(cache=True, error_model="numpy")
def _coarse_bounds(horizon, fine_step_deg, low, high, steepest):
    """Per coarse bin: the lowest and highest horizon node, and the steepest slope
    squared [per deg of azimuth], over the fine nodes the bin's segments use."""
    n_coarse = low.size
    for c in range(n_coarse):
        first = c * FINE_PER_COARSE
        low[c] = horizon[first]
        high[c] = horizon[first]
        steepest[c] = 0.0
        for k in range(first, first + FINE_PER_COARSE):
            low[c] = min(low[c], horizon[k + 1])
            high[c] = max(high[c], horizon[k + 1])
            slope = (horizon[k + 1] - horizon[k]) / fine_step_deg
            steepest[c] = max(steepest[c], slope * slope)


@numba.njit(cache=True, inline="always", error_model="numpy")
def _block_side(blocks, b, low, high, steepest):
    """+1 if the whole disk is above the horizon at every instant of block b, -1 if it is
    wholly below at every one, 0 if that cannot be told from the bounds."""
    n_coarse = low.size
    first, last = int(blocks[0, b]), int(blocks[1, b])
    lowest, highest, steepest_sq = 1e300, -1e300, 0.0
    for c in range(first, last + 1):
        index = c if c < n_coarse else c - n_coarse
        lowest = min(lowest, low[index])
        highest = max(highest, high[index])
        steepest_sq = max(steepest_sq, steepest[index])
    sec = blocks[5, b]
    reach = blocks[4, b] * math.sqrt(1.0 + steepest_sq * sec * sec)  # largest radius, stretched
    if blocks[2, b] - highest >= reach:
        return 1
    if lowest - blocks[3, b] >= reach:
        return -1
    return 0


@numba.njit(cache=True, error_model="numpy")
def _pixel(horizon, fine_step_deg, epochs, blocks, block_size, low, high, steepest, state, result):
    """Scan the instants for one pixel into ``result`` (RESULT_BANDS values). Blocks of
    instants where the bounds show the disk wholly above or below the horizon are counted
    at once (a spell may change only at their first instant)."""
    n = epochs.shape[1]
    state[:] = 0.0
    state[_HIDDEN_START] = -1.0
    state[_CENTRE_START] = -1.0
    _coarse_bounds(horizon, fine_step_deg, low, high, steepest)
    for b in range(blocks.shape[1]):
        t0 = b * block_size
        t1 = min(n, t0 + block_size)
        side = _block_side(blocks, b, low, high, steepest)
        if side == 0:
            for t in range(t0, t1):
                _step(horizon, fine_step_deg, t, epochs, state)
            continue
        if side > 0:
            state[_DISK_SUM] += t1 - t0
            state[_ANY_COUNT] += t1 - t0
            state[_CENTRE_COUNT] += t1 - t0
        if (side < 0) != (state[_HIDDEN_START] >= 0.0) or (side < 0) != (
            state[_CENTRE_START] >= 0.0
        ):
            _follow_spells(horizon, fine_step_deg, t0, epochs, state, side < 0, side < 0)
    if state[_HIDDEN_START] >= 0.0:
        state[_LONGEST_HIDDEN] = max(state[_LONGEST_HIDDEN], n - 1 - state[_HIDDEN_START])
    if state[_CENTRE_START] >= 0.0:
        state[_LONGEST_CENTRE] = max(state[_LONGEST_CENTRE], n - 1 - state[_CENTRE_START])
    result[MEAN_DISK_FRACTION] = state[_DISK_SUM] / n
    result[ANY_VISIBLE_FRACTION] = state[_ANY_COUNT] / n
    result[CENTRE_VISIBLE_FRACTION] = state[_CENTRE_COUNT] / n
    result[LONGEST_HIDDEN_STEPS] = state[_LONGEST_HIDDEN]
    result[LONGEST_CENTRE_HIDDEN_STEPS] = state[_LONGEST_CENTRE]


@numba.njit(cache=True, error_model="numpy")
def _pixel_scratch(n_bands, n_fine, n_coarse):
    """One thread's working arrays for :func:`_light_pixel`."""
    return (
        np.empty(n_fine + 1),  # the horizon on the fine azimuth grid
        np.empty(n_bands),  # the pixel's elevations, in azimuth order
        np.empty(n_bands),  # the nodes' azimuths in the cell's frame
        np.empty(n_bands),  # and their elevations
        np.empty(RESULT_BANDS),
        np.empty(_STATE_SIZE),
        np.empty(n_coarse),  # per coarse bin: the lowest horizon,
        np.empty(n_coarse),  # the highest,
        np.empty(n_coarse),  # and the steepest slope squared
    )


@numba.njit(cache=True, error_model="numpy")
def _light_pixel(horizon, rotation, row, col, tables, scratch, out):
    """The lighting figures of pixel (row, col) into ``out`` (see :func:`lighting_kernel`):
    ``horizon`` (horizons_deg, band_order, band_az_deg, open_horizon_deg) of the tile, its
    frame turned into the cell's by ``rotation``, ``tables`` (fine_step_deg, epochs, blocks,
    block_size) of the cell."""
    horizons_deg, band_order, band_az_deg, open_horizon_deg = horizon
    fine_step_deg, epochs, blocks, block_size = tables
    fine, elevations, node_az, node_el, result, state, low, high, steepest = scratch
    known = 0
    for b in range(elevations.size):
        value = horizons_deg[band_order[b], row, col]
        if math.isnan(value):
            value = open_horizon_deg
        else:
            known += 1
        elevations[b] = value
    if known == 0:
        for band in range(RESULT_BANDS):
            out[band, row, col] = np.nan
        return
    lowest = _to_cell_frame(band_az_deg, elevations, rotation, node_az, node_el)
    _resample(node_az, node_el, lowest, fine)
    _pixel(fine, fine_step_deg, epochs, blocks, block_size, low, high, steepest, state, result)
    for band in range(RESULT_BANDS):
        out[band, row, col] = result[band]


@numba.njit(cache=True, parallel=True, error_model="numpy")
def lighting_kernel(
    horizons_deg,
    band_order,
    band_az_deg,
    rotations,
    fine_step_deg,
    epochs,
    blocks,
    block_size,
    open_horizon_deg,
    out,
):
    """Lighting figures of every pixel of a cell.

    ``horizons_deg`` (bands, rows, cols) at ``band_az_deg[band_order]`` (increasing) in
    each pixel's own frame; ``rotations`` (rows, cols, 3, 3) turn a pixel's frame into the
    cell's. ``epochs`` (4, T): per instant the body's position on the fine azimuth grid
    of the cell's frame [nodes], its elevation [deg], angular radius [deg] and
    sec(elevation). ``blocks`` (6, T / block_size): per block of instants the first and
    last coarse azimuth bin (unwrapped), the lowest and highest elevation, the largest
    radius and sec(elevation). Directions without terrain (NaN: off the grid) take
    ``open_horizon_deg``, the bare sphere's. Writes ``out`` (RESULT_BANDS, rows, cols);
    pixels without any horizon get NaN.
    """
    n_bands, n_rows, n_cols = horizons_deg.shape
    n_fine = int(round(360.0 / fine_step_deg))
    n_coarse = n_fine // FINE_PER_COARSE
    horizon = (horizons_deg, band_order, band_az_deg, open_horizon_deg)
    tables = (fine_step_deg, epochs, blocks, block_size)
    for row in numba.prange(n_rows):
        scratch = _pixel_scratch(n_bands, n_fine, n_coarse)
        for col in range(n_cols):
            _light_pixel(horizon, rotations[row, col], row, col, tables, scratch, out)


@numba.njit(cache=True, error_model="numpy")
def epoch_table(apparent_m, offset_m, axes, radius_deg, fine_step_deg, epochs):
    """``epochs`` (4, T) of a cell (see :func:`lighting_kernel`): the body seen from the
    cell's centre, ``offset_m`` from the point its track ``apparent_m`` (T, 3) was seen
    from, in the cell's ``axes`` (east, north, up as rows)."""
    n_fine = round(360.0 / fine_step_deg)
    for t in range(apparent_m.shape[0]):
        dx = apparent_m[t, 0] - offset_m[0]
        dy = apparent_m[t, 1] - offset_m[1]
        dz = apparent_m[t, 2] - offset_m[2]
        norm = math.sqrt(dx * dx + dy * dy + dz * dz)
        dx, dy, dz = dx / norm, dy / norm, dz / norm
        sin_elevation = dx * axes[2, 0] + dy * axes[2, 1] + dz * axes[2, 2]
        to_east = dx * axes[0, 0] + dy * axes[0, 1] + dz * axes[0, 2]
        to_north = dx * axes[1, 0] + dy * axes[1, 1] + dz * axes[1, 2]
        elevation_deg = math.degrees(math.asin(min(1.0, max(-1.0, sin_elevation))))
        azimuth_deg = math.degrees(math.atan2(to_east, to_north)) % 360.0
        epochs[0, t] = min(azimuth_deg / fine_step_deg, n_fine - 1e-9)
        epochs[1, t] = elevation_deg
        epochs[2, t] = radius_deg[t]
        epochs[3, t] = 1.0 / math.cos(math.radians(elevation_deg))


@numba.njit(cache=True, error_model="numpy")
def block_bounds(epochs, block_size, n_coarse, blocks):
    """``blocks`` (6, B) of a cell's epochs (see :func:`lighting_kernel`): per block of
    instants the first and last coarse azimuth bin (unwrapped about the block's first
    instant, the first in 0 .. n_coarse - 1), lowest and highest elevation, largest
    radius and sec."""
    n = epochs.shape[1]
    for b in range(blocks.shape[1]):
        t0 = b * block_size
        t1 = min(n, t0 + block_size)
        reference = epochs[0, t0] / FINE_PER_COARSE
        lowest_bin, highest_bin = 1e300, -1e300
        low_el, high_el, radius, sec = 1e300, -1e300, -1e300, -1e300
        for t in range(t0, t1):
            coarse = epochs[0, t] / FINE_PER_COARSE
            unwrapped = coarse - n_coarse * np.rint((coarse - reference) / n_coarse)
            lowest_bin = min(lowest_bin, unwrapped)
            highest_bin = max(highest_bin, unwrapped)
            low_el = min(low_el, epochs[1, t])
            high_el = max(high_el, epochs[1, t])
            radius = max(radius, epochs[2, t])
            sec = max(sec, epochs[3, t])
        first, last = math.floor(lowest_bin), math.floor(highest_bin)
        turns = math.floor(first / n_coarse) * n_coarse
        blocks[0, b] = first - turns
        blocks[1, b] = min(last - turns, first - turns + n_coarse - 1)
        blocks[2, b] = low_el
        blocks[3, b] = high_el
        blocks[4, b] = radius
        blocks[5, b] = sec


@numba.njit(cache=True, parallel=True, error_model="numpy")
def cells_kernel(
    horizons_deg,
    band_order,
    band_az_deg,
    pixel_axes,
    parts,
    cell_axes,
    cell_offsets_m,
    apparent_m,
    radius_deg,
    fine_step_deg,
    block_size,
    open_horizon_deg,
    out,
):
    """:func:`lighting_kernel` for many frame cells at once, their tables made here.

    ``horizons_deg`` (bands, rows, cols) and ``pixel_axes`` (rows, cols, 3, 3: each
    pixel's east, north as its horizon's azimuths count them, up) of a tile; ``parts``
    (cells, 4): the part of the tile in each cell (first row, first col, rows, cols);
    ``cell_axes`` (cells, 3, 3) and ``cell_offsets_m`` (cells, 3): each cell centre's axes
    and its offset from where the body's track ``apparent_m`` (T, 3) was seen from. The
    cells' tables are made in parallel, then their pixels' rows are shared out to the
    threads (whether there are many small cells or a few large ones).
    """
    n_cells = parts.shape[0]
    n_times = apparent_m.shape[0]
    n_blocks = (n_times + block_size - 1) // block_size
    n_bands = horizons_deg.shape[0]
    n_fine = int(round(360.0 / fine_step_deg))
    n_coarse = n_fine // FINE_PER_COARSE
    horizon = (horizons_deg, band_order, band_az_deg, open_horizon_deg)
    epochs = np.empty((n_cells, 4, n_times))
    blocks = np.empty((n_cells, 6, n_blocks))
    for i in numba.prange(n_cells):
        epoch_table(
            apparent_m, cell_offsets_m[i], cell_axes[i], radius_deg, fine_step_deg, epochs[i]
        )
        block_bounds(epochs[i], block_size, n_coarse, blocks[i])
    row_starts = np.zeros(n_cells + 1, dtype=np.int64)
    for i in range(n_cells):
        row_starts[i + 1] = row_starts[i] + parts[i, 2]
    for job in numba.prange(row_starts[n_cells]):
        i = np.searchsorted(row_starts, job, side="right") - 1
        row = parts[i, 0] + job - row_starts[i]
        scratch = _pixel_scratch(n_bands, n_fine, n_coarse)
        tables = (fine_step_deg, epochs[i], blocks[i], block_size)
        rotation = np.empty((3, 3))
        for col in range(parts[i, 1], parts[i, 1] + parts[i, 3]):
            for a in range(3):  # cell axis a . pixel axis p
                for p in range(3):
                    rotation[a, p] = (
                        cell_axes[i, a, 0] * pixel_axes[row, col, p, 0]
                        + cell_axes[i, a, 1] * pixel_axes[row, col, p, 1]
                        + cell_axes[i, a, 2] * pixel_axes[row, col, p, 2]
                    )
            _light_pixel(horizon, rotation, row, col, tables, scratch, out)
