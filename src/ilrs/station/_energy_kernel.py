"""The compiled step loop of the station simulation (numba). See :mod:`ilrs.station.simulation`.

Each step, in watt-hours: the arrays and constant sources give energy; the loads ask for
theirs. A surplus charges the storage units in turn (each keeps sqrt(round trip) of what it
takes in, and no more than its charging power), then feeds the ISRU plant up to its power,
and the rest is curtailed. In a deficit the survival loads (priority 0) come first:
generation serves them first, and what they lack is drawn from the units down to their
depth-of-discharge floors; what the other loads lack is drawn only down to a survival
reserve above the floors (each unit gives out sqrt(round trip) of what it loses, and no
more than its discharging power). What is still missing is shed from the other loads,
highest priority number first, each in part if that suffices; survival demand unmet is a
survival failure. So at every step

    generated + arrived = served + isru + curtailed + losses + change in stored

to rounding, which the tests check ("arrived": the charge storage units bring when they
are installed after the start).
"""

from __future__ import annotations

import numba
import numpy as np

# Rows of the per-step result.
GENERATED, DEMAND, SERVED, SHED, UNMET_SURVIVAL, ISRU, CURTAILED, LOSS, STORED = range(9)
DATA_GENERATED, DATA_DELIVERED, DATA_DROPPED, BUFFER, WATER, ARRIVED = range(9, 15)
N_ROWS = 15


@numba.njit(cache=True, inline="always", error_model="numpy")
def _draw(stored, floor_wh, efficiency, given_left, need_wh):
    """Draw up to ``need_wh`` from the units in turn, each down to its floor and within
    the energy it may still give this step; returns what is still needed and the losses."""
    loss = 0.0
    for u in range(stored.size):
        if need_wh <= 0.0:
            break
        given = min(need_wh, (stored[u] - floor_wh[u]) * efficiency[u], given_left[u])
        if given > 0.0:
            drawn = given / efficiency[u]
            stored[u] -= drawn
            loss += drawn - given
            given_left[u] -= given
            need_wh -= given
    return need_wh, loss


@numba.njit(cache=True, error_model="numpy")
def simulate_steps(
    step_h,
    generation_w,
    load_w,
    shed_order,
    load_priority,
    load_running,
    load_data_bps,
    capacity_wh,
    floor_wh,
    efficiency,
    initial_wh,
    arrival_step,
    reserve_wh,
    charge_limit_w,
    discharge_limit_w,
    isru_max_w,
    isru_wh_per_kg,
    downlink_bps,
    buffer_bytes,
    out,
    served_fraction,
):
    """Run the steps; ``out`` [N_ROWS, n] gets powers [W] (mean over each step), stored
    energy [Wh] and data [bytes] at the step's end, water [kg] made in the step;
    ``served_fraction`` [loads, n] the part of each load's demand met."""
    n_steps = generation_w.size
    n_loads = load_w.shape[0]
    n_units = capacity_wh.size
    # A unit is absent before its arrival step and arrives with its initial charge.
    stored = np.where(arrival_step == 0, initial_wh, 0.0)
    buffer = 0.0
    step_s = step_h * 3600.0
    served_wh = np.empty(n_loads)
    given_left = np.empty(n_units)
    reserve_floor_wh = floor_wh + reserve_wh
    for t in range(n_steps):
        arrived = 0.0
        for u in range(n_units):
            if arrival_step[u] == t and t > 0:
                stored[u] = initial_wh[u]
                arrived += initial_wh[u]
        generated = generation_w[t] * step_h
        demand = 0.0
        for k in range(n_loads):
            served_wh[k] = load_w[k, t] * step_h
            demand += served_wh[k]
        net = generated - demand
        loss = 0.0
        isru = 0.0
        curtailed = 0.0
        unmet_survival = 0.0
        if net >= 0.0:
            for u in range(n_units):
                if net <= 0.0:
                    break
                if t < arrival_step[u]:
                    continue
                intake = min(net, (capacity_wh[u] - stored[u]) / efficiency[u])
                intake = min(intake, charge_limit_w[u] * step_h)
                if intake > 0.0:
                    stored[u] += intake * efficiency[u]
                    loss += intake * (1.0 - efficiency[u])
                    net -= intake
            isru = min(net, isru_max_w[t] * step_h)
            net -= isru
            curtailed = net
        else:
            # Generation serves the survival loads first; what they still lack is drawn
            # from storage down to the floors, what the others lack only down to the
            # survival reserve above them. Then the others are shed, survival last.
            survival_demand = 0.0
            for k in range(n_loads):
                if load_priority[k] == 0:
                    survival_demand += served_wh[k]
            survival_short = max(0.0, survival_demand - generated)
            other_short = -net - survival_short
            for u in range(n_units):
                # Absent units give nothing (their store is empty, below any floor).
                given_left[u] = discharge_limit_w[u] * step_h if t >= arrival_step[u] else 0.0
            survival_short, drawn_loss = _draw(
                stored, floor_wh, efficiency, given_left, survival_short
            )
            loss += drawn_loss
            other_short, drawn_loss = _draw(
                stored, reserve_floor_wh, efficiency, given_left, other_short
            )
            loss += drawn_loss
            for index in range(n_loads):
                k = shed_order[index]
                if load_priority[k] == 0:
                    cut = min(survival_short, served_wh[k])
                    survival_short -= cut
                    unmet_survival += cut
                else:
                    cut = min(other_short, served_wh[k])
                    other_short -= cut
                served_wh[k] -= cut
        served = 0.0
        data = 0.0
        for k in range(n_loads):
            served += served_wh[k]
            wanted = load_w[k, t] * step_h
            fraction = served_wh[k] / wanted if wanted > 0.0 else 1.0
            served_fraction[k, t] = fraction
            # Data flows while the load runs (its schedule, from its installation) and as far
            # as its power is served; a load that asks no power still makes data.
            data += fraction * load_running[k, t] * load_data_bps[k] * step_s / 8.0
        buffer += data
        delivered = min(buffer, downlink_bps[t] * step_s / 8.0)
        buffer -= delivered
        dropped = max(0.0, buffer - buffer_bytes)
        buffer -= dropped
        total_stored = 0.0
        for u in range(n_units):
            total_stored += stored[u]
        out[GENERATED, t] = generated / step_h
        out[DEMAND, t] = demand / step_h
        out[SERVED, t] = served / step_h
        out[SHED, t] = (demand - served) / step_h
        out[UNMET_SURVIVAL, t] = unmet_survival / step_h
        out[ISRU, t] = isru / step_h
        out[CURTAILED, t] = curtailed / step_h
        out[LOSS, t] = loss / step_h
        out[STORED, t] = total_stored
        out[DATA_GENERATED, t] = data
        out[DATA_DELIVERED, t] = delivered
        out[DATA_DROPPED, t] = dropped
        out[BUFFER, t] = buffer
        out[WATER, t] = isru / isru_wh_per_kg if isru_wh_per_kg > 0.0 else 0.0
        out[ARRIVED, t] = arrived
