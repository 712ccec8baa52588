"""Compiled core of the relay-orbit propagator: the force model and the integrator.

Kept apart from :mod:`ilrs.sky.orbits` so that importing the orbit types does not load numba
(about a second); :func:`ilrs.sky.orbits.propagate` imports this module on first use, and
numba's on-disk cache spares the compilation after the first run.

The integrator is the embedded Runge–Kutta pair RK5(4)7M of Dormand and Prince (1980),
J. Comput. Appl. Math. 6:19–26, doi:10.1016/0771-050X(80)90013-3: a fifth-order solution
propagated (local extrapolation), its fourth-order partner only for the error estimate,
and the last stage reused as the first of the next step (FSAL). It steps exactly onto each
requested output time, so no dense-output interpolant adds its own error.

Time inside is seconds from the orbit's epoch (small numbers keep the step and the clock
consistent to 1e-9 s over a year); the Earth, Sun and lunar pole come from a table at
uniform nodes, interpolated by cubic Hermite polynomials in position and rate.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = [
    "DP_A",
    "DP_B",
    "DP_B_STAR",
    "DP_C",
    "FORCE_EARTH",
    "FORCE_J2",
    "FORCE_SUN",
    "STATUS_IMPACT",
    "STATUS_OK",
    "STATUS_STEP_LIMIT",
    "TABLE_COLUMNS",
    "hermite_table",
    "integrate",
]

# The Dormand–Prince RK5(4)7M tableau (Dormand & Prince 1980); tests check its order
# conditions.
DP_C = np.array([0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0])
DP_A = np.array(
    [
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        [1 / 5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        [3 / 40, 9 / 40, 0.0, 0.0, 0.0, 0.0, 0.0],
        [44 / 45, -56 / 15, 32 / 9, 0.0, 0.0, 0.0, 0.0],
        [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729, 0.0, 0.0, 0.0],
        [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656, 0.0, 0.0],
        [35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0.0],
    ]
)
DP_B = DP_A[6].copy()  # fifth order; the last row of A, hence FSAL
DP_B_STAR = np.array(
    [5179 / 57600, 0.0, 7571 / 16695, 393 / 640, -92097 / 339200, 187 / 2100, 1 / 40]
)
_DP_E = DP_B - DP_B_STAR  # the error estimate's weights

# Bits of the force selection.
FORCE_J2 = 1
FORCE_EARTH = 2
FORCE_SUN = 4

# Columns of the table of perturbers, per node: Earth position [m] and velocity [m/s]
# (from the Moon, ICRF), the Sun's likewise, the MOON_ME z-axis (the pole) and its rate
# [1/s]. Each quantity is followed by its rate, which the Hermite interpolation uses.
TABLE_COLUMNS = 18
_EARTH_COLUMN = 0
_SUN_COLUMN = 6
_POLE_COLUMN = 12

# params: GM of the Moon [m^3/s^2], J2 * R_ref^2 [m^2], GM of the Earth, GM of the Sun,
# radius below which the orbit has hit the Moon [m].
_GM_MOON, _J2_R2, _GM_EARTH, _GM_SUN, _SURFACE = range(5)

STATUS_OK = 0
STATUS_IMPACT = 1  # the orbit went below the surface radius
STATUS_STEP_LIMIT = 2  # more steps than allowed, or a step size collapsed


@numba.njit(cache=True, nogil=True)
def _hermite3(table, node, s, step_s, column):
    """One 3-vector of the table (columns ``column..column+2``, their rates at +3) by the
    cubic Hermite polynomial between ``node`` and ``node + 1`` at fraction ``s``."""
    one_minus = 1.0 - s
    h00 = (1.0 + 2.0 * s) * one_minus * one_minus
    h10 = s * one_minus * one_minus * step_s
    h01 = s * s * (3.0 - 2.0 * s)
    h11 = -s * s * one_minus * step_s
    a = table[node]
    b = table[node + 1]
    x = h00 * a[column] + h10 * a[column + 3] + h01 * b[column] + h11 * b[column + 3]
    y = h00 * a[column + 1] + h10 * a[column + 4] + h01 * b[column + 1] + h11 * b[column + 4]
    z = h00 * a[column + 2] + h10 * a[column + 5] + h01 * b[column + 2] + h11 * b[column + 5]
    return x, y, z


@numba.njit(cache=True, nogil=True)
def _locate(table, table_t0_s, step_s, t_s):
    """The table interval that holds ``t_s`` and the fraction of it elapsed."""
    u = (t_s - table_t0_s) / step_s
    node = int(np.floor(u))
    last = table.shape[0] - 2
    if node < 0:
        node = 0
    elif node > last:
        node = last
    return node, u - node


@numba.njit(cache=True, nogil=True)
def hermite_table(table, table_t0_s, step_s, t_s, column):
    """Interpolated 3-vectors at the times ``t_s`` (shape (n, 3)); for checking the table."""
    out = np.empty((t_s.size, 3))
    for k in range(t_s.size):
        node, s = _locate(table, table_t0_s, step_s, t_s[k])
        out[k, 0], out[k, 1], out[k, 2] = _hermite3(table, node, s, step_s, column)
    return out


@numba.njit(cache=True, nogil=True)
def _third_body(gm, bx, by, bz, x, y, z):
    """Acceleration by a distant body at ``b`` on a satellite at ``r``, both from the Moon,
    less the body's pull on the Moon (the indirect term): GM [(b - r)/|b - r|^3 - b/|b|^3]."""
    dx, dy, dz = bx - x, by - y, bz - z
    d2 = dx * dx + dy * dy + dz * dz
    b2 = bx * bx + by * by + bz * bz
    direct = gm / (d2 * np.sqrt(d2))
    indirect = gm / (b2 * np.sqrt(b2))
    return (
        direct * dx - indirect * bx,
        direct * dy - indirect * by,
        direct * dz - indirect * bz,
    )


@numba.njit(cache=True, nogil=True)
def _derivative(t_s, state, params, forces, table, table_t0_s, step_s, out):
    """d/dt of (position, velocity): velocity, and the sum of the selected accelerations."""
    x, y, z = state[0], state[1], state[2]
    r2 = x * x + y * y + z * z
    r = np.sqrt(r2)
    central = -params[_GM_MOON] / (r2 * r)
    ax, ay, az = central * x, central * y, central * z
    if forces != 0:
        node, s = _locate(table, table_t0_s, step_s, t_s)
        if forces & FORCE_J2:
            px, py, pz = _hermite3(table, node, s, step_s, _POLE_COLUMN)
            norm = np.sqrt(px * px + py * py + pz * pz)
            px, py, pz = px / norm, py / norm, pz / norm
            # The gradient of the degree-2 zonal potential -GM J2 R^2 / r^3 P2(z / r) about
            # the pole p, z = r.p: a = -3/2 J2 GM R^2 / r^5 [(1 - 5 z^2 / r^2) r + 2 z p].
            height = x * px + y * py + z * pz
            factor = -1.5 * params[_GM_MOON] * params[_J2_R2] / (r2 * r2 * r)
            radial = factor * (1.0 - 5.0 * height * height / r2)
            polar = factor * 2.0 * height
            ax += radial * x + polar * px
            ay += radial * y + polar * py
            az += radial * z + polar * pz
        if forces & FORCE_EARTH:
            bx, by, bz = _hermite3(table, node, s, step_s, _EARTH_COLUMN)
            dx, dy, dz = _third_body(params[_GM_EARTH], bx, by, bz, x, y, z)
            ax, ay, az = ax + dx, ay + dy, az + dz
        if forces & FORCE_SUN:
            bx, by, bz = _hermite3(table, node, s, step_s, _SUN_COLUMN)
            dx, dy, dz = _third_body(params[_GM_SUN], bx, by, bz, x, y, z)
            ax, ay, az = ax + dx, ay + dy, az + dz
    out[0], out[1], out[2] = state[3], state[4], state[5]
    out[3], out[4], out[5] = ax, ay, az


@numba.njit(cache=True, nogil=True)
def integrate(
    state0,
    t_out_s,
    params,
    forces,
    table,
    table_t0_s,
    step_s,
    relative_tolerance,
    absolute_tolerance_m,
    max_steps,
    out,
):
    """Integrate from ``state0`` at time 0 onto each of ``t_out_s`` (seconds from the epoch,
    monotonic, all on one side of 0), writing the states into ``out`` (shape (n, 6)).

    The error of a step is the RMS over the six components of the fourth/fifth-order
    difference, position components scaled by ``atol + rtol |r|`` and velocity components
    by ``atol / T + rtol |v|`` with ``T = |r| / |v|``: a scale that does not depend on how
    the orbit lies in the axes. Returns ``(status, time reached [s], accepted steps)``.
    """
    n_out = t_out_s.size
    direction = 1.0
    if n_out > 0 and t_out_s[n_out - 1] < 0.0:
        direction = -1.0
    y = state0.copy()
    y_new = np.empty(6)
    y_stage = np.empty(6)
    k = np.empty((7, 6))
    t = 0.0
    _derivative(t, y, params, forces, table, table_t0_s, step_s, k[0])
    speed = np.sqrt(y[3] * y[3] + y[4] * y[4] + y[5] * y[5])
    radius = np.sqrt(y[0] * y[0] + y[1] * y[1] + y[2] * y[2])
    h = direction * 1e-3 * radius / speed
    accepted = 0
    attempts = 0
    for j in range(n_out):
        target = t_out_s[j]
        while (target - t) * direction > 0.0:
            attempts += 1
            if attempts > max_steps:
                out[j:, :] = np.nan
                return STATUS_STEP_LIMIT, t, accepted
            h_step = h
            clipped = False
            # Land exactly on the output time; stretch by up to 1% rather than leave a sliver.
            if (t + 1.01 * h_step - target) * direction >= 0.0:
                h_step = target - t
                clipped = True
            for stage in range(1, 7):
                for c in range(6):
                    total = 0.0
                    for prior in range(stage):
                        total += DP_A[stage, prior] * k[prior, c]
                    y_stage[c] = y[c] + h_step * total
                _derivative(
                    t + DP_C[stage] * h_step,
                    y_stage,
                    params,
                    forces,
                    table,
                    table_t0_s,
                    step_s,
                    k[stage],
                )
            # Stage 7 is evaluated at the fifth-order solution itself (FSAL).
            for c in range(6):
                y_new[c] = y_stage[c]
            r_new = np.sqrt(y_new[0] ** 2 + y_new[1] ** 2 + y_new[2] ** 2)
            v_new = np.sqrt(y_new[3] ** 2 + y_new[4] ** 2 + y_new[5] ** 2)
            r_scale = absolute_tolerance_m + relative_tolerance * max(radius, r_new)
            v_scale = absolute_tolerance_m * v_new / r_new + relative_tolerance * max(speed, v_new)
            squares = 0.0
            for c in range(6):
                estimate = 0.0
                for stage in range(7):
                    estimate += _DP_E[stage] * k[stage, c]
                estimate *= h_step
                scale = r_scale if c < 3 else v_scale
                squares += (estimate / scale) ** 2
            error = np.sqrt(squares / 6.0)
            if error <= 1.0:
                t = target if clipped else t + h_step
                for c in range(6):
                    y[c] = y_new[c]
                    k[0, c] = k[6, c]
                radius, speed = r_new, v_new
                accepted += 1
                if radius < params[_SURFACE]:
                    out[j:, :] = np.nan
                    return STATUS_IMPACT, t, accepted
                grow = 5.0 if error < 1e-10 else min(5.0, 0.9 * error**-0.2)
                h_next = h_step * grow
                # A step shortened to meet an output says little about the natural step.
                h = max(abs(h), abs(h_next)) * direction if clipped else h_next
            else:
                h = h_step * max(0.2, 0.9 * error**-0.2)
                if abs(h) < 1e-9:
                    out[j:, :] = np.nan
                    return STATUS_STEP_LIMIT, t, accepted
        for c in range(6):
            out[j, c] = y[c]
    return STATUS_OK, t, accepted
