"""The Earth's atmosphere on a link to a ground station: the attenuation it causes and the
noise it adds, not exceeded for a stated fraction of the time (the weather availability).

Attenuation is ITU-R P.618-13 section 2.5's total of gases (P.676), clouds (P.840), rain
(P.618 section 2.2.1.1, with P.837 rain rates and P.839 rain heights) and tropospheric
scintillation (P.618 section 2.4), at the station's place and height, exceeded for
``100 * (1 - availability)`` percent of an average year; it is computed by ITU-Rpy (the
``itur`` package, an implementation of these Recommendations checked by its authors against
ITU-R Study Group 3's validation examples; ``ilrs validate`` holds one of them).

The sky noise an absorbing medium of mean radiating temperature ``T_m`` adds at the
antenna is ``T_m (1 - 10^(-A/10))`` (P.618-13 section 3, with ``T_m`` = 275 K in rain
and cloud), ``A`` the absorption: gases, clouds and rain, not scintillation (which
redistributes power and radiates nothing). It is added to the station's stated system
noise temperature, which is therefore that of the receiving chain and antenna without the
sky: a figure quoted "at zenith, clear sky" already holds the gases' few kelvin at X band
but some 20-40 K at Ka, and counting them again would cost a power-limited Ka link about
1 dB.

Attenuation depends on the elevation; a station's table is computed once on a grid of
elevations and read by interpolation at every step of a year.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from ilrs.errors import InputError
from ilrs.sky.constants import SPEED_OF_LIGHT_M_S

__all__ = [
    "MEAN_RADIATING_TEMPERATURE_K",
    "AtmosphereTable",
    "atmosphere_table",
    "equivalent_dish_diameter_m",
    "sky_noise_increase_k",
    "slant_attenuation_db",
    "weather_penalty_db",
]

MEAN_RADIATING_TEMPERATURE_K = 275.0  # ITU-R P.618-13 section 3 (T_mr = 275 K)
LOWEST_AVAILABILITY = 0.95  # P.618's rain prediction holds for 0.001 % .. 5 % of the year
HIGHEST_AVAILABILITY = 0.99999
# Elevations of a station's table [deg]: P.618's scintillation holds above 5 deg; below, the
# 5 deg values are used (stations rarely work under their 5-10 deg masks anyway).
_GRID_DEG = np.concatenate([np.arange(5.0, 30.0, 0.5), np.arange(30.0, 90.01, 2.0)])


def _check_availability(availability: float) -> float:
    value = float(availability)
    if not LOWEST_AVAILABILITY <= value <= HIGHEST_AVAILABILITY:
        raise InputError(
            f"weather_availability must be between {LOWEST_AVAILABILITY} and "
            f"{HIGHEST_AVAILABILITY} (ITU-R P.618's rain model holds for 0.001 % .. 5 % of the "
            f"year), got {value:g}"
        )
    return value


def slant_attenuation_db(
    lat_deg: float,
    lon_deg: float,
    height_m: float,
    frequency_hz: float,
    elevation_deg,
    availability: float,
    *,
    antenna_diameter_m: float,
    antenna_efficiency: float = 0.6,
    polarization_tilt_deg: float = 45.0,
) -> dict[str, np.ndarray]:
    """Attenuation [dB] of the atmosphere on the slant path from a ground station, not
    exceeded for ``availability`` of an average year: ``gas``, ``cloud``, ``rain``,
    ``scintillation`` and their ``total`` (P.618-13 section 2.5), each of the shape of
    ``elevation_deg``.

    Parameters
    ----------
    lat_deg, lon_deg, height_m : float
        The station (geodetic latitude, east longitude, height above sea level).
    frequency_hz : float
        Carrier frequency [Hz], 1-55 GHz (P.618's range).
    elevation_deg : float or array_like
        Elevation of the path [deg].
    availability : float
        Fraction of the year the attenuation is not exceeded, 0.95 .. 0.99999.
    antenna_diameter_m, antenna_efficiency : float
        The station's dish, for scintillation's aperture averaging.
    polarization_tilt_deg : float
        Polarisation tilt to the horizontal [deg] for rain (P.838): 45 for circular, as
        deep-space links use; 0 horizontal, 90 vertical.
    """
    availability = _check_availability(availability)
    frequency_ghz = float(frequency_hz) / 1e9
    if not 1.0 <= frequency_ghz <= 55.0:
        raise InputError(
            f"the atmosphere model (ITU-R P.618) covers 1-55 GHz, got {frequency_ghz:g} GHz"
        )
    import itur  # imported here: it loads its global maps (a second or two)

    elevation = np.asarray(elevation_deg, dtype=float)
    with warnings.catch_warnings():
        # itur warns at the edge of P.618's validity (5 %), which the check above allows.
        warnings.simplefilter("ignore", RuntimeWarning)
        gas, cloud, rain, scintillation, total = itur.atmospheric_attenuation_slant_path(
            lat_deg,
            lon_deg,
            frequency_ghz,
            elevation,
            100.0 * (1.0 - availability),
            antenna_diameter_m,
            hs=max(float(height_m), 0.0) / 1000.0,
            eta=antenna_efficiency,
            tau=polarization_tilt_deg,
            return_contributions=True,
        )
    parts = {
        "gas": gas,
        "cloud": cloud,
        "rain": rain,
        "scintillation": scintillation,
        "total": total,
    }
    return {
        name: np.broadcast_to(np.asarray(value.value, dtype=float), elevation.shape).copy()
        for name, value in parts.items()
    }


def sky_noise_increase_k(attenuation_db, mean_radiating_temperature_k=MEAN_RADIATING_TEMPERATURE_K):
    """Noise temperature [K] an absorbing atmosphere of ``attenuation_db`` adds at the
    antenna: ``T_m (1 - 10^(-A/10))`` (ITU-R P.618-13 section 3)."""
    attenuation = np.asarray(attenuation_db, dtype=float)
    return mean_radiating_temperature_k * (1.0 - 10.0 ** (-attenuation / 10.0))


def weather_penalty_db(attenuation_db, system_noise_temperature_k: float, absorption_db=None):
    """How far the weather lowers C/N0 [dB]: the attenuation, plus the rise of the system
    noise temperature by the sky noise of the absorption (``absorption_db``; the whole
    attenuation when not given), ``10 log10((T_sys + T_sky) / T_sys)``."""
    if system_noise_temperature_k <= 0:
        raise InputError(
            f"system_noise_temperature_k must be positive, got {system_noise_temperature_k:g}"
        )
    attenuation = np.asarray(attenuation_db, dtype=float)
    absorption = attenuation if absorption_db is None else np.asarray(absorption_db, dtype=float)
    noise_rise_db = 10.0 * np.log10(
        1.0 + sky_noise_increase_k(absorption) / system_noise_temperature_k
    )
    return attenuation + noise_rise_db


@dataclass(frozen=True)
class AtmosphereTable:
    """A station's atmospheric attenuation against elevation, for one frequency and
    availability, read by interpolation."""

    availability: float
    frequency_hz: float
    elevation_deg: np.ndarray
    attenuation_db: np.ndarray  # total (P.618 section 2.5)
    absorption_db: np.ndarray  # gases, clouds and rain: what radiates noise

    def attenuation_at_db(self, elevation_deg) -> np.ndarray:
        """Total attenuation [dB] at ``elevation_deg`` (the lowest tabulated elevation's
        value below it)."""
        return np.interp(
            np.asarray(elevation_deg, dtype=float), self.elevation_deg, self.attenuation_db
        )

    def penalty_at_db(self, elevation_deg, system_noise_temperature_k: float) -> np.ndarray:
        """C/N0 lost [dB] at ``elevation_deg``: attenuation and sky noise (see
        :func:`weather_penalty_db`)."""
        elevation = np.asarray(elevation_deg, dtype=float)
        absorption = np.interp(elevation, self.elevation_deg, self.absorption_db)
        return weather_penalty_db(
            self.attenuation_at_db(elevation), system_noise_temperature_k, absorption
        )


def atmosphere_table(
    lat_deg: float,
    lon_deg: float,
    height_m: float,
    frequency_hz: float,
    availability: float,
    *,
    antenna_diameter_m: float,
    antenna_efficiency: float = 0.6,
) -> AtmosphereTable:
    """The station's :class:`AtmosphereTable` on the elevation grid (5-90 deg)."""
    parts = slant_attenuation_db(
        lat_deg,
        lon_deg,
        height_m,
        frequency_hz,
        _GRID_DEG,
        availability,
        antenna_diameter_m=antenna_diameter_m,
        antenna_efficiency=antenna_efficiency,
    )
    return AtmosphereTable(
        float(availability),
        float(frequency_hz),
        _GRID_DEG.copy(),
        parts["total"],
        parts["gas"] + parts["cloud"] + parts["rain"],
    )


def equivalent_dish_diameter_m(gain_dbi: float, frequency_hz: float, efficiency: float) -> float:
    """The dish diameter [m] that has ``gain_dbi`` at ``frequency_hz``: for scintillation's
    aperture averaging when a station gives its gain, not its dish."""
    wavelength_m = SPEED_OF_LIGHT_M_S / frequency_hz
    return wavelength_m / math.pi * math.sqrt(10.0 ** (gain_dbi / 10.0) / efficiency)
