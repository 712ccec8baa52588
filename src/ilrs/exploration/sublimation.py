"""Sublimation of water ice into vacuum: how fast exposed ice is lost at a temperature.

The vapour pressure of hexagonal ice is Murphy & Koop 2005 (Q. J. R. Meteorol. Soc. 131,
1539-1565, doi:10.1256/qj.04.94), eq. 7, valid above 110 K and the usual extrapolation
below it in lunar cold-trap work (Schorghofer & Williams 2020). Into vacuum, with no vapour
coming back, the mass lost per area and time is the Hertz-Knudsen flux of molecules that
leave the surface, E = p_sv(T) sqrt(m / (2 pi k T)) (a sticking coefficient of 1), and
E / rho_ice the retreat of the ice surface.

Because E grows about tenfold every 5 K near 110 K, a temperature history is judged by
the time mean of E(T(t)), not by E of the mean temperature (Schorghofer & Williams 2020,
PSJ 1:54, doi:10.3847/PSJ/abb6ff: cold traps are "defined by extremely low
time-integrated sublimation loss"). At 110 K, the peak-temperature criterion of
Vasavada et al. 1999 and Paige et al. 2010, the loss is 0.154 m/Gyr.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from ilrs.errors import InputError

__all__ = [
    "GYR_S",
    "ICE_DENSITY_KG_M3",
    "SIEGLER_MAX_LOSS_M_PER_GYR",
    "loss_rate_m_per_gyr",
    "mass_flux_kg_m2_s",
    "temperature_at_loss_k",
    "vapour_pressure_pa",
]

BOLTZMANN_J_K = 1.380649e-23  # exact since the 2019 SI redefinition
AVOGADRO_PER_MOL = 6.02214076e23  # exact since 2019
WATER_MOLAR_MASS_KG_MOL = 18.01528e-3  # IUPAC standard atomic weights (H 1.00794, O 15.9994)
WATER_MOLECULE_KG = WATER_MOLAR_MASS_KG_MOL / AVOGADRO_PER_MOL
# Ice Ih at 93-113 K: 933.2-932.6 kg/m3 (CRC Handbook of Chemistry and Physics, 97th ed.,
# p. 6-12, density of ice); 917 kg/m3 at 273 K would make the rates 2 % faster.
ICE_DENSITY_KG_M3 = 933.0
GYR_S = 1e9 * 365.25 * 86_400.0  # a billion Julian years
# The loss rate below which Siegler et al. 2016 (Nature 531:480, doi:10.1038/nature17166)
# count ice stable: 1 mm per billion years.
SIEGLER_MAX_LOSS_M_PER_GYR = 1e-3
# Murphy & Koop 2005 eq. 7: ln p = A + B/T + C ln T + D T [Pa, K].
_MK_A, _MK_B, _MK_C, _MK_D = 9.550426, -5723.265, 3.53068, -0.00728332
# E / rho in m/Gyr is exp(ln p) times this times T^-1/2.
_RATE_FACTOR = math.sqrt(WATER_MOLECULE_KG / (2.0 * math.pi * BOLTZMANN_J_K)) * GYR_S
_RATE_FACTOR /= ICE_DENSITY_KG_M3


def _temperatures(temperature_k) -> np.ndarray:
    t = np.asarray(temperature_k, dtype=float)
    if not np.all(np.isfinite(t) & (t > 0.0)):
        raise InputError("ice temperatures must be finite and > 0 K")
    return t


def vapour_pressure_pa(temperature_k):
    """Saturation vapour pressure of hexagonal ice [Pa], Murphy & Koop 2005 eq. 7."""
    t = _temperatures(temperature_k)
    return np.exp(_MK_A + _MK_B / t + _MK_C * np.log(t) + _MK_D * t)


def mass_flux_kg_m2_s(temperature_k):
    """Free sublimation into vacuum [kg/m2/s]: p_sv(T) sqrt(m / (2 pi k T))."""
    t = _temperatures(temperature_k)
    return vapour_pressure_pa(t) * np.sqrt(WATER_MOLECULE_KG / (2.0 * math.pi * BOLTZMANN_J_K * t))


def loss_rate_m_per_gyr(temperature_k):
    """Retreat of an exposed ice surface [m per billion years] at ``temperature_k``."""
    return mass_flux_kg_m2_s(temperature_k) / ICE_DENSITY_KG_M3 * GYR_S


def temperature_at_loss_k(loss_m_per_gyr: float) -> float:
    """The temperature [K] at which exposed ice loses ``loss_m_per_gyr`` (bisection on
    the monotonic rate, 30-400 K)."""
    if not (math.isfinite(loss_m_per_gyr) and loss_m_per_gyr > 0.0):
        raise InputError(f"a loss rate must be > 0 m/Gyr, got {loss_m_per_gyr!r}")
    low, high = 30.0, 400.0
    target = math.log(loss_m_per_gyr)
    for _ in range(60):
        middle = 0.5 * (low + high)
        if math.log(float(loss_rate_m_per_gyr(middle))) < target:
            low = middle
        else:
            high = middle
    return 0.5 * (low + high)


@numba.njit(cache=True, inline="always", error_model="numpy")
def _rate(t):
    """E / rho_ice [m/Gyr] at ``t`` [K] (the same formula, compiled)."""
    return (
        math.exp(_MK_A + _MK_B / t + _MK_C * math.log(t) + _MK_D * t) * _RATE_FACTOR / math.sqrt(t)
    )


# Below this the rate is under 1e-12 m/Gyr (1e-9 of the 1 mm/Gyr threshold): not summed.
_NEGLIGIBLE_K = 60.0


@numba.njit(cache=True, parallel=True, error_model="numpy")
def accumulate_loss(surface_k, temperature_k, sums):
    """Add each column's loss rates now [m/Gyr] to ``sums`` (columns, 1 + layers): the
    surface's in column 0, each layer's after it; for a time mean of E(T(t))."""
    n_columns, n_layers = temperature_k.shape
    for col in numba.prange(n_columns):
        t = surface_k[col]
        if t > _NEGLIGIBLE_K:
            sums[col, 0] += _rate(t)
        for j in range(n_layers):
            t = temperature_k[col, j]
            if t > _NEGLIGIBLE_K:
                sums[col, j + 1] += _rate(t)
