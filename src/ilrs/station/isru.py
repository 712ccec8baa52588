"""The energy to win water from icy regolith by heating it: warm the dry regolith and the ice
from where they lie to the temperature the ice sublimes at, sublime the ice, and pay for
what the process loses.

Per kg of ice in the heated regolith (ice weight fraction ``w`` of the icy regolith):

    Q_ideal = (1 - w)/w * [H_reg(T_p) - H_reg(T_0)] + [H_ice(T_p) - H_ice(T_0)] + L_sub

with ``H_reg`` the regolith's enthalpy from Hayne et al. 2017's c(T)
(:func:`ilrs.exploration.regolith.enthalpy_j_kg`), ``H_ice`` ice Ih's, and ``L_sub`` the
latent heat of sublimation. The plant's electrical energy per kg of water collected divides
that by the heater's efficiency and by the share of the ice it collects: the ice it does
not collect is counted as heated and sublimed all the same, lost as vapour (the
conservative reading).

The station uses :mod:`ilrs.exploration.regolith` (regolith properties), one way only.
"""

from __future__ import annotations

from dataclasses import dataclass

from ilrs.errors import InputError
from ilrs.exploration.regolith import enthalpy_j_kg

__all__ = [
    "ICE_HEAT_CAPACITY_J_KG_K",
    "SUBLIMATION_HEAT_J_KG",
    "WaterExtraction",
    "ice_enthalpy_j_kg",
    "water_extraction",
]

# Latent heat of sublimation of ice Ih, 2.83 MJ/kg: 2.834 MJ/kg at 273 K, within 0.3 % from
# 150 K to 273 K (Feistel & Wagner 2007, Geochim. Cosmochim. Acta 71:36, IAPWS sublimation).
SUBLIMATION_HEAT_J_KG = 2.83e6
# Ice Ih's heat capacity, linear in T through 0.87 kJ/kg/K at 100 K and 2.10 kJ/kg/K at
# 273 K (Giauque & Stout 1936, J. Am. Chem. Soc. 58:1144; IAPWS R10-06): c = a + b T.
ICE_HEAT_CAPACITY_J_KG_K = (158.0, 7.11)
_WH_PER_J = 1.0 / 3600.0


def ice_enthalpy_j_kg(temperature_k: float) -> float:
    """Ice's heat content [J/kg] from 0 K (only differences matter)."""
    a, b = ICE_HEAT_CAPACITY_J_KG_K
    return a * temperature_k + b * temperature_k**2 / 2.0


@dataclass(frozen=True)
class WaterExtraction:
    """The energy per kg of water: the three parts of the ideal heat per kg of ice
    [Wh/kg] (all of it collected, every joule reaching it), their sum, and what the plant
    draws per kg of water it collects (the ideal over both efficiencies)."""

    regolith_wh_per_kg: float  # warming the dry regolith that holds 1 kg of ice
    ice_warming_wh_per_kg: float
    sublimation_wh_per_kg: float
    ideal_wh_per_kg: float  # the three above
    electric_wh_per_kg: float  # what the plant draws per kg collected

    def as_dict(self) -> dict[str, float]:
        return dict(self.__dict__)


def water_extraction(
    ice_weight_fraction: float,
    *,
    regolith_temperature_k: float,
    process_temperature_k: float,
    extraction_efficiency: float,
    heater_efficiency: float,
) -> WaterExtraction:
    """The energy to collect 1 kg of water from icy regolith (module doc).

    Parameters
    ----------
    ice_weight_fraction : float
        Mass of ice over mass of icy regolith, in (0, 1].
    regolith_temperature_k : float
        Where the regolith lies (a cold trap: 40-110 K).
    process_temperature_k : float
        What it is heated to; the ice sublimes there.
    extraction_efficiency : float
        The share of the ice collected, in (0, 1].
    heater_efficiency : float
        The share of the electrical energy that reaches the regolith as heat, in (0, 1].
    """
    if not 0.0 < ice_weight_fraction <= 1.0:
        raise InputError(f"ice_weight_fraction must be in (0, 1], got {ice_weight_fraction:g}")
    if process_temperature_k <= regolith_temperature_k:
        raise InputError(
            f"process_temperature_k {process_temperature_k:g} must be above "
            f"regolith_temperature_k {regolith_temperature_k:g}"
        )
    dry_per_ice = (1.0 - ice_weight_fraction) / ice_weight_fraction
    regolith = dry_per_ice * float(
        enthalpy_j_kg(process_temperature_k) - enthalpy_j_kg(regolith_temperature_k)
    )
    ice = ice_enthalpy_j_kg(process_temperature_k) - ice_enthalpy_j_kg(regolith_temperature_k)
    ideal = regolith + ice + SUBLIMATION_HEAT_J_KG
    return WaterExtraction(
        regolith_wh_per_kg=regolith * _WH_PER_J,
        ice_warming_wh_per_kg=ice * _WH_PER_J,
        sublimation_wh_per_kg=SUBLIMATION_HEAT_J_KG * _WH_PER_J,
        ideal_wh_per_kg=ideal * _WH_PER_J,
        electric_wh_per_kg=ideal * _WH_PER_J / (extraction_efficiency * heater_efficiency),
    )
