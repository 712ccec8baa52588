"""The compiled core of the regolith heat model (numba). See :mod:`ilrs.exploration.regolith`.

Each column is solved on its own. The unknowns are the surface temperature ``Ts`` (a node
of no heat capacity at z = 0) and the temperature of each layer (finite volumes, a node
at each layer's centre). With K = Kc (1 + chi (T/350)^3) the flux is Kc d u(T)/dz for the
Kirchhoff temperature u(T) = T + chi T^4 / (4 * 350^3); with Kc constant within a layer,
the steady flux between two nodes is exactly ``link`` (u(T_below) - u(T_above)), ``link``
the conductance of the half-layers between them in series (Kc / thickness, no T in it).
One backward Euler step is the root of

- surface:  eps sigma Ts^4 - absorbed - link_0 (u(T_0) - u(Ts)) = 0;
- layer j:  m_j (E(T_j) - E(T_j_old)) / dt - G_j + G_{j-1} = 0, E the enthalpy per kg
  (c(T) integrated exactly), G_j the upward flux into layer j from below it (the
  geothermal flux under the last layer) and G_{-1} the flux to the surface node.

Newton's method with the exact (tridiagonal) Jacobian, solved by the Thomas algorithm.
Every flux leaves one volume and enters the next, so once the iteration has converged the
stored enthalpy changes by exactly dt (absorbed + geothermal - emitted); the running
totals kept here are those three terms.
"""

from __future__ import annotations

import math

import numba
import numpy as np

REFERENCE_K = 350.0  # temperature at which the radiative term equals chi (Hayne 2017 eq. A4)
FAST = {"contract", "arcp", "nsz", "reassoc", "afn"}
LANES = 8  # columns solved together, across which the inner loops vectorise (AVX2: 2 x 4)


@numba.njit(cache=True, inline="always", error_model="numpy", fastmath=FAST)
def _heat_capacity(t, cp):
    """c(T) [J/kg/K], the polynomial (Horner)."""
    return cp[0] + t * (cp[1] + t * (cp[2] + t * (cp[3] + t * cp[4])))


@numba.njit(cache=True, inline="always", error_model="numpy", fastmath=FAST)
def _enthalpy(t, cp):
    """Integral of c from 0 to T [J/kg], term by term."""
    return t * (cp[0] + t * (cp[1] / 2.0 + t * (cp[2] / 3.0 + t * (cp[3] / 4.0 + t * cp[4] / 5.0))))


@numba.njit(cache=True, error_model="numpy", fastmath=FAST)
def _solve_batch(
    x, e_old_flat, capacity, u, du, heat, gain, sub, diag, sup, rhs, scale, absorbed, n,
    link, chi_r, eps_sigma, geothermal, cp, max_iterations, tolerance_k,
):  # fmt: skip
    """Newton iterations on LANES columns at once; ``x`` (1 + layers, LANES) = [Ts, T_0 ..
    T_{n-1}] per lane, updated in place. The innermost loops run across the lanes, so
    the serial recurrences of one column (Thomas) overlap with those of the others.
    Returns the iterations used, or -1 when some lane did not converge."""
    quarter_chi = 0.25 * chi_r
    # Predictor: the surface's own balance with the first layer held, solved by Newton
    # from above the root (the residual is convex and increasing: no overshoot). Sunrise
    # on a cold column would otherwise send the first full iterate far off.
    for lane in range(LANES):
        t0 = x[1, lane]
        ts = max(t0, math.sqrt(math.sqrt(absorbed[lane] / eps_sigma)))
        x[0, lane] = ts
        rhs[0, lane] = t0 + quarter_chi * t0 * t0 * t0 * t0  # u(T_0), held
    for _ in range(max_iterations):
        largest = 0.0
        for lane in range(LANES):
            ts = x[0, lane]
            ts3 = ts * ts * ts
            u_s = ts + quarter_chi * ts3 * ts
            f = eps_sigma * ts3 * ts - absorbed[lane] - link[0] * (rhs[0, lane] - u_s)
            d = f / (4.0 * eps_sigma * ts3 + link[0] * (1.0 + chi_r * ts3))
            x[0, lane] = ts - d
            largest = max(largest, d)
        if largest <= tolerance_k:
            break
    for iteration in range(max_iterations):
        # Node by node properties first, in flat loops that vectorise: the Kirchhoff
        # temperature and its slope, and each layer's heat terms.
        xf = x.ravel()
        for k in range(xf.size):
            t = xf[k]
            t3 = t * t * t
            u[k] = t + quarter_chi * t3 * t
            du[k] = 1.0 + chi_r * t3
        for k in range(capacity.size):
            t = xf[k + LANES]
            heat[k] = capacity[k] * _heat_capacity(t, cp)
            gain[k] = capacity[k] * (_enthalpy(t, cp) - e_old_flat[k])
        for lane in range(LANES):
            ts = x[0, lane]
            ts3 = ts * ts * ts
            diag[0, lane] = 4.0 * eps_sigma * ts3
            rhs[0, lane] = absorbed[lane] - eps_sigma * ts3 * ts  # + the flux from below
        for j in range(n):
            for lane in range(LANES):
                above = j * LANES + lane
                below = above + LANES
                # Flux up from layer j to the node above it (the surface node for j = 0).
                flux = link[j] * (u[below] - u[above])
                rhs[j, lane] += flux
                diag[j, lane] += link[j] * du[above]
                sup[j, lane] = -link[j] * du[below]
                sub[j + 1, lane] = -link[j] * du[above]
                diag[j + 1, lane] = heat[above] + link[j] * du[below]
                rhs[j + 1, lane] = -gain[above] - flux
        for lane in range(LANES):
            rhs[n, lane] += geothermal
        # Thomas algorithm; diag keeps the reciprocal pivots for the back substitution.
        for lane in range(LANES):
            diag[0, lane] = 1.0 / diag[0, lane]
        for i in range(1, n + 1):
            for lane in range(LANES):
                w = sub[i, lane] * diag[i - 1, lane]
                diag[i, lane] = 1.0 / (diag[i, lane] - w * sup[i - 1, lane])
                rhs[i, lane] -= w * rhs[i - 1, lane]
        for lane in range(LANES):
            rhs[n, lane] *= diag[n, lane]
        for i in range(n - 1, -1, -1):
            for lane in range(LANES):
                rhs[i, lane] = (rhs[i, lane] - sup[i, lane] * rhs[i + 1, lane]) * diag[i, lane]
        # Updates that would more than halve or double a temperature are shortened (keeps
        # them positive, and the T^4 and T^5 terms from overshooting): rare, found first.
        largest = 0.0
        excess = -1.0
        for i in range(n + 1):
            for lane in range(LANES):
                d = rhs[i, lane]
                xi = x[i, lane]
                largest = max(largest, abs(d))
                excess = max(excess, max(d - xi, -d - 0.5 * xi))
        if not math.isfinite(largest):
            return -1
        if excess > 0.0:
            for lane in range(LANES):
                scale[lane] = 1.0
            for i in range(n + 1):
                for lane in range(LANES):
                    d = rhs[i, lane]
                    xi = x[i, lane]
                    if d > xi:
                        scale[lane] = min(scale[lane], xi / d)
                    elif d < -0.5 * xi:
                        scale[lane] = min(scale[lane], -0.5 * xi / d)
            for i in range(n + 1):
                for lane in range(LANES):
                    x[i, lane] += scale[lane] * rhs[i, lane]
        else:
            for i in range(n + 1):
                for lane in range(LANES):
                    x[i, lane] += rhs[i, lane]
            if largest <= tolerance_k:
                return iteration + 1
    return -1


@numba.njit(cache=True, error_model="numpy")
def _advance(
    first_batch, last_batch, temperature, surface, absorbed, dt, mass, link, chi_r,
    eps_sigma, geothermal, cp, absorbed_total, emitted_total, geothermal_total,
    kirchhoff_sum, max_iterations, tolerance_k,
):  # fmt: skip
    """Batches ``first_batch`` to ``last_batch`` - 1 of LANES columns (see
    :func:`step_columns`). Returns the columns that did not converge and the most
    Newton iterations used."""
    n_columns, n_layers = temperature.shape
    averaging = kirchhoff_sum.shape[0] == n_columns
    # Scratch for one batch at a time.
    x = np.empty((n_layers + 1, LANES))
    e_old = np.empty(n_layers * LANES)
    capacity = np.empty(n_layers * LANES)  # m_j / dt, repeated across the lanes
    for k in range(capacity.size):
        capacity[k] = mass[k // LANES] / dt
    u = np.empty((n_layers + 1) * LANES)
    du = np.empty((n_layers + 1) * LANES)
    heat = np.empty(n_layers * LANES)
    gain = np.empty(n_layers * LANES)
    sub = np.empty((n_layers + 1, LANES))
    diag = np.empty((n_layers + 1, LANES))
    sup = np.empty((n_layers + 1, LANES))
    rhs = np.empty((n_layers + 1, LANES))
    scale = np.empty(LANES)
    flux_in = np.empty(LANES)
    failed = 0
    most = 0
    for batch in range(first_batch, last_batch):
        first = batch * LANES
        for lane in range(LANES):
            # Lanes past the last column repeat it and are not written back.
            col = min(first + lane, n_columns - 1)
            x[0, lane] = surface[col]
            flux_in[lane] = absorbed[col]
            for j in range(n_layers):
                x[j + 1, lane] = temperature[col, j]
        xf = x.ravel()
        for k in range(e_old.size):
            e_old[k] = _enthalpy(xf[k + LANES], cp)
        used = _solve_batch(
            x, e_old, capacity, u, du, heat, gain, sub, diag, sup, rhs, scale, flux_in,
            n_layers, link, chi_r, eps_sigma, geothermal, cp, max_iterations, tolerance_k,
        )  # fmt: skip
        lanes = min(LANES, n_columns - first)
        if used < 0:
            failed += lanes
        else:
            most = max(most, used)
        for lane in range(lanes):
            col = first + lane
            ts = x[0, lane]
            surface[col] = ts
            for j in range(n_layers):
                temperature[col, j] = x[j + 1, lane]
            absorbed_total[col] += flux_in[lane] * dt
            emitted_total[col] += eps_sigma * ts * ts * ts * ts * dt
            geothermal_total[col] += geothermal * dt
            if averaging:
                for i in range(n_layers + 1):
                    t = x[i, lane]
                    kirchhoff_sum[col, i] += dt * (t + 0.25 * chi_r * t * t * t * t)
    return failed, most


@numba.njit(cache=True, parallel=True, error_model="numpy")
def step_columns(
    temperature, surface, absorbed, dt, mass, link, chi, eps_sigma, geothermal, cp,
    absorbed_total, emitted_total, geothermal_total, kirchhoff_sum, n_chunks,
    max_iterations, tolerance_k,
):  # fmt: skip
    """Advance every column one backward Euler step of ``dt`` [s], in place.

    ``temperature`` (columns, layers) [K] and ``surface`` (columns,) [K]; ``absorbed``
    (columns,) [W/m2] at the end of the step; per layer ``mass`` [kg/m2] and ``link``
    [W/m2/K], the conductance from its node to the node above; ``cp`` the five
    coefficients of c(T). The totals (columns,) [J/m2] grow by this step's energies.
    ``kirchhoff_sum`` (columns, 1 + layers), unless empty, grows by dt u(T) of the surface
    and each layer at the end of the step. Columns go in batches of LANES, batches in
    ``n_chunks`` chunks shared among the threads (one chunk: no threads). Returns the
    number of columns that did not converge (left at their last iterate) and the most
    Newton iterations any batch used.
    """
    chi_r = chi / REFERENCE_K**3
    n_batches = (temperature.shape[0] + LANES - 1) // LANES
    n_chunks = max(1, min(n_chunks, n_batches))
    if n_chunks == 1:
        # Small problems: a parallel region would cost more than it saves.
        return _advance(
            0, n_batches, temperature, surface, absorbed, dt, mass, link, chi_r, eps_sigma,
            geothermal, cp, absorbed_total, emitted_total, geothermal_total, kirchhoff_sum,
            max_iterations, tolerance_k,
        )  # fmt: skip
    failed = np.zeros(n_chunks, dtype=np.int64)
    most = np.zeros(n_chunks, dtype=np.int64)
    for chunk in numba.prange(n_chunks):
        failed[chunk], most[chunk] = _advance(
            chunk * n_batches // n_chunks, (chunk + 1) * n_batches // n_chunks, temperature,
            surface, absorbed, dt, mass, link, chi_r, eps_sigma, geothermal, cp,
            absorbed_total, emitted_total, geothermal_total, kirchhoff_sum, max_iterations,
            tolerance_k,
        )  # fmt: skip
    return failed.sum(), most.max()


@numba.njit(cache=True, parallel=True, error_model="numpy")
def stored_heat(temperature, mass, cp):
    """Enthalpy of each column [J/m2]: sum over layers of m_j E(T_j)."""
    n_columns, n_layers = temperature.shape
    out = np.empty(n_columns)
    for col in numba.prange(n_columns):
        total = 0.0
        for j in range(n_layers):
            total += mass[j] * _enthalpy(temperature[col, j], cp)
        out[col] = total
    return out
