"""Each link's budget where it is hardest: at the farthest distance the period uses it,
at the highest rate step it still carries there (or its lowest step, with the shortfall)."""

from __future__ import annotations

import numpy as np

from ilrs.station.exposure import Exposure
from ilrs.station.links import link_budget, max_rate_bps

__all__ = ["worst_case_budgets"]


def worst_case_budgets(exposure: Exposure) -> list[dict]:
    """One row per link that is ever up: the itemised budget at its farthest use."""
    rows = []
    for use in exposure.links:
        distance = use.distance_m
        in_use = np.isfinite(distance)
        if not in_use.any():
            rows.append({"link": use.name, "in_view_fraction": 0.0})
            continue
        worst_m = float(np.nanmax(distance))
        transmitter, receiver = use.terminals()
        spec = use.link
        rate = float(
            max_rate_bps(
                transmitter,
                receiver,
                distance_m=worst_m,
                frequency_hz=spec.frequency_hz,
                rate_steps_bps=spec.rate_steps_bps,
                required_eb_n0_db=spec.required_eb_n0_db,
                margin_db=spec.margin_db,
            )
        )
        budget = link_budget(
            transmitter,
            receiver,
            distance_m=worst_m,
            frequency_hz=spec.frequency_hz,
            data_rate_bps=rate if rate > 0 else min(spec.rate_steps_bps),
            required_eb_n0_db=spec.required_eb_n0_db,
        )
        rows.append(
            {
                "link": use.name,
                "in_view_fraction": float(in_use.mean()),
                "worst_distance_km": worst_m / 1e3,
                "frequency_hz": spec.frequency_hz,
                "rate_bps": rate,
                "eirp_dbw": budget.eirp_dbw,
                "free_space_loss_db": budget.free_space_loss_db,
                "g_over_t_db_k": budget.g_over_t_db_k,
                "c_over_n0_dbhz": budget.c_over_n0_dbhz,
                "eb_n0_db": budget.eb_n0_db,
                "required_eb_n0_db": spec.required_eb_n0_db,
                "margin_db": budget.margin_db,
                "margin_wanted_db": spec.margin_db,
            }
        )
    return rows
