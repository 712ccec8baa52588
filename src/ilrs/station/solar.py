"""A solar array's output as a chain of named factors, from the cell's datasheet efficiency to
the power the station's bus receives.

    P = A * G * IAM(theta) * eta_BOL * packing * mismatch * f_T(T_cell) * ageing
          * eta_PCU * eta_cable,          G = S * (disk fraction) * cos(theta)

``S`` the solar flux at the Moon, ``theta`` the Sun's incidence on the panel. Each factor has a
default with its source (:data:`LOSS_SOURCES`); ``losses: none`` in a scenario turns the chain
off (an array whose ``cell_efficiency`` already is the system's). The cell temperature is that
of a thin panel in radiative balance (:func:`cell_temperature_k`): what it absorbs and gets
from the ground's glow leaves both faces as infrared or as electricity.

References
----------
Martin, N. and Ruiz, J. M. (2001). Calculation of the PV modules angular losses under field
conditions by means of an analytical model. Solar Energy Materials & Solar Cells 70:25-38.
Fetzer, C. et al. (2008). Production ready 30 % efficient triple junction space solar cells
(Spectrolab XTJ: 29.8 % average at AM0, 28 C, beginning of life). 33rd IEEE PVSC.
Wertz, J. R. and Larson, W. J. (eds.) (1999). Space Mission Analysis and Design, 3rd ed.,
section 11.4, table 11-34 (inherent degradation 0.77 nominal: design and assembly 0.85,
array temperature 0.89, shadowing 1.00).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "LOSS_SOURCES",
    "REFERENCE_CELL_TEMPERATURE_K",
    "STEFAN_BOLTZMANN_W_M2_K4",
    "array_power_w",
    "cell_temperature_k",
    "chain_factors",
    "incidence_modifier",
    "temperature_factor",
]

STEFAN_BOLTZMANN_W_M2_K4 = 5.670374419e-8  # CODATA 2018, exact from h, c and k
# Space cells are rated at AM0 and 28 C (the datasheets' and Fetzer et al.'s condition).
REFERENCE_CELL_TEMPERATURE_K = 301.15

# Where each default of ``ArrayLosses`` (station.scenario) comes from; printed beside the
# chain in the summary and the report.
LOSS_SOURCES = {
    "cell_efficiency": "beginning of life at AM0, 28 C: triple-junction GaInP/GaAs/Ge cells "
    "29.8-30.7 % (Spectrolab XTJ average 29.8 %, Fetzer et al., IEEE PVSC 2008)",
    "packing_factor": "cells over panel area, 0.90 (assumption; rigid panels run 0.85-0.92)",
    "mismatch_factor": "string mismatch and interconnects, 0.97 (assumption)",
    "temperature_coefficient_per_k": "-0.22 %/K of output relative to 28 C, the range of "
    "triple-junction datasheets (about -0.2 %/K; assumption within it)",
    "degradation_per_year": "radiation and UV darkening; no trapped belts at the Moon "
    "(assumption, the scenario's)",
    "pcu_efficiency": "power conditioning with peak-power tracking, 0.95 (assumption; "
    "converters run 0.93-0.97)",
    "cable_efficiency": "harness from the array to the bus, 0.98 (assumption)",
    "reflection_a_r": "angular loss of a glass-covered panel, a_r = 0.16 (Martin & Ruiz 2001, "
    "Sol. Energy Mater. Sol. Cells 70:25)",
    "thermal": "absorptance 0.91, emittance 0.85 front and back, ground at 200 K filling "
    "(1 - cos tilt)/2 of the front's view and the rest of the back's: half each for a vertical "
    "panel (assumptions)",
}


def incidence_modifier(cos_incidence, reflection_a_r: float | None) -> np.ndarray:
    """The share of the direct light a covered panel lets in at incidence ``theta`` against
    normal incidence (Martin & Ruiz 2001): ``(1 - exp(-cos/a_r)) / (1 - exp(-1/a_r))``.

    1 at normal incidence, 0 at grazing; ``reflection_a_r=None`` gives 1 everywhere."""
    cosine = np.clip(np.asarray(cos_incidence, dtype=float), 0.0, 1.0)
    if reflection_a_r is None:
        return np.ones_like(cosine)
    return -np.expm1(-cosine / reflection_a_r) / -np.expm1(-1.0 / reflection_a_r)


def cell_temperature_k(
    irradiance_w_m2,
    electric_w_m2,
    *,
    absorptance: float,
    emittance_front: float,
    emittance_back: float,
    ground_k: float,
    ground_view_front: float,
    ground_view_back: float,
) -> np.ndarray:
    """The steady temperature [K] of a thin panel: what it absorbs of the Sun (less what
    leaves as electricity) and of the ground's infrared leaves both faces as infrared,

        a G - P + sigma T_g^4 (e_f F_f + e_b F_b) = sigma (e_f + e_b) T^4

    with ``F`` the share of each face's view that is ground (the rest is cold sky)."""
    ground = (
        STEFAN_BOLTZMANN_W_M2_K4
        * ground_k**4
        * (emittance_front * ground_view_front + emittance_back * ground_view_back)
    )
    heat = absorptance * np.asarray(irradiance_w_m2, float) - electric_w_m2 + ground
    radiating = STEFAN_BOLTZMANN_W_M2_K4 * (emittance_front + emittance_back)
    return (np.maximum(heat, 0.0) / radiating) ** 0.25


def temperature_factor(cell_temperature, coefficient_per_k: float) -> np.ndarray:
    """Output relative to the rating at 28 C: ``1 + coefficient (T - 301.15 K)`` when warmer,
    and 1 when colder: a panel in dim, partly hidden light runs cold, but at low intensity
    and temperature multi-junction cells lose fill factor, so no gain is credited."""
    warmer_k = np.maximum(np.asarray(cell_temperature) - REFERENCE_CELL_TEMPERATURE_K, 0.0)
    return 1.0 + coefficient_per_k * warmer_k


def chain_factors(losses) -> dict[str, float]:
    """The constant factors of the chain (those that depend neither on the Sun's incidence
    nor on the cell's temperature nor on age), by name."""
    return {
        "packing_factor": losses.packing_factor,
        "mismatch_factor": losses.mismatch_factor,
        "pcu_efficiency": losses.pcu_efficiency,
        "cable_efficiency": losses.cable_efficiency,
    }


def array_power_w(array, flux_w_m2, disk_fraction, incidence_cos, ageing):
    """Per step, the power [W] an array (``station.scenario.SolarArray``) gives the bus and
    its cells' temperature [K] (NaN while unlit)."""
    irradiance = np.asarray(flux_w_m2 * disk_fraction * incidence_cos, dtype=float)
    losses = array.chain
    if losses is None:  # losses: none, the cell efficiency is the system's
        return irradiance * array.area_m2 * array.cell_efficiency * ageing, np.full(
            irradiance.shape, np.nan
        )
    admitted = irradiance * incidence_modifier(incidence_cos, losses.reflection_a_r)
    # What the cells would make at 28 C, per m2 of panel. The light the cover reflects
    # does not heat the panel; the electricity that leaves it does not either (mismatch
    # losses stay in the panel as heat).
    rated = admitted * array.cell_efficiency * losses.packing_factor * ageing
    tilt = np.pi / 2 if array.mount == "vertical-tracking" else np.radians(array.tilt_deg)

    def temperature_with(factor):
        return cell_temperature_k(
            admitted,
            rated * factor * losses.mismatch_factor,
            absorptance=losses.absorptance,
            emittance_front=losses.emittance_front,
            emittance_back=losses.emittance_back,
            ground_k=losses.ground_temperature_k,
            ground_view_front=(1.0 - np.cos(tilt)) / 2.0,
            ground_view_back=(1.0 + np.cos(tilt)) / 2.0,
        )

    # The output depends on the temperature and the temperature on the output taken
    # away; each round shrinks the gap some fifteen-fold: five settle it below 1e-5 K.
    factor = np.ones_like(admitted)
    for _ in range(5):
        temperature = temperature_with(factor)
        factor = temperature_factor(temperature, losses.temperature_coefficient_per_k)
    after_cells = losses.mismatch_factor * losses.pcu_efficiency * losses.cable_efficiency
    power = array.area_m2 * rated * factor * after_cells
    return power, np.where(irradiance > 0.0, temperature, np.nan)
