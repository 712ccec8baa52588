"""Each link's budget where it is hardest: at the step the period uses it where the path
(distance and weather) takes most, at the highest rate it still carries there (or, where it
carries none, at its lowest, with the shortfall)."""

from __future__ import annotations

import numpy as np

from ilrs.station.exposure import Exposure
from ilrs.station.links import best_rate_bps, free_space_loss_db, link_budget

__all__ = ["worst_case_budgets"]


def worst_case_budgets(exposure: Exposure) -> list[dict]:
    """One row per link that is ever up: the itemised budget at its hardest use."""
    rows = []
    for use in exposure.links:
        distance = use.distance_m
        in_use = np.isfinite(distance)
        if not in_use.any():
            rows.append({"link": use.name, "in_view_fraction": 0.0})
            continue
        spec = use.link
        weather = np.zeros(distance.shape) if use.weather_db is None else use.weather_db
        path_db = np.where(
            in_use,
            free_space_loss_db(np.where(in_use, distance, 1.0), spec.frequency_hz) + weather,
            -np.inf,
        )
        worst = int(np.argmax(path_db))
        worst_m = float(distance[worst])
        weather_db = float(weather[worst])
        transmitter, receiver = use.terminals()
        modes = spec.rate_modes()
        clear = link_budget(
            transmitter,
            receiver,
            distance_m=worst_m,
            frequency_hz=spec.frequency_hz,
            data_rate_bps=1.0,
            required_eb_n0_db=0.0,
        )
        rate, chosen = best_rate_bps(
            clear.c_over_n0_dbhz - weather_db,
            modes,
            margin_db=spec.margin_db,
            rate_steps_bps=spec.rate_steps_bps,
        )
        rate, chosen = float(rate), int(chosen)
        mode = modes[chosen] if chosen >= 0 else min(modes, key=lambda m: m.required_eb_n0_db)
        if rate <= 0:
            rate_shown = min(spec.rate_steps_bps) if spec.rate_steps_bps else 1.0
        else:
            rate_shown = rate
        budget = link_budget(
            transmitter,
            receiver,
            distance_m=worst_m,
            frequency_hz=spec.frequency_hz,
            data_rate_bps=rate_shown,
            required_eb_n0_db=mode.required_eb_n0_db,
            other_losses_db=weather_db,
        )
        rows.append(
            {
                "link": use.name,
                "in_view_fraction": float(in_use.mean()),
                "worst_distance_km": worst_m / 1e3,
                "frequency_hz": spec.frequency_hz,
                "rate_bps": rate,
                **spec.describe(),
                "scheme": mode.name,
                "rate_ceiling_bps": None if np.isinf(mode.ceiling_bps) else mode.ceiling_bps,
                "eirp_dbw": budget.eirp_dbw,
                "free_space_loss_db": budget.free_space_loss_db,
                "weather_db": weather_db,
                "g_over_t_db_k": budget.g_over_t_db_k,
                "c_over_n0_dbhz": budget.c_over_n0_dbhz,
                "eb_n0_db": budget.eb_n0_db,
                "required_eb_n0_db": mode.required_eb_n0_db,
                "margin_db": budget.margin_db,
                "margin_wanted_db": spec.margin_db,
            }
        )
    return rows
