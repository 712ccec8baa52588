"""Radio link budgets: how much signal crosses a link, and the highest data rate it carries.

A link from a transmitting :class:`Terminal` to a receiving one is summed in decibels, the way
link budgets are written in practice, so that each line can be printed and checked:

    C/N0 [dBHz] = EIRP [dBW] - free-space loss [dB] - other losses [dB] + G/T [dB/K] - k [dBW/Hz/K]
    Eb/N0 [dB]  = C/N0 - 10 log10(data rate [bit/s])
    margin [dB] = Eb/N0 - required Eb/N0

with ``k`` Boltzmann's constant. The losses of each end (line, pointing) belong to the terminal:
they lower the EIRP of a transmitter and the G/T of a receiver. ``other_losses_db`` holds what
lies between (atmosphere, polarisation, implementation) and is given per link.

Public surface::

    from ilrs.station.links import Terminal, link_budget, max_rate_bps
    lander = Terminal("lander", diameter_m=0.6, rf_power_w=20.0, losses_db=1.0)
    kashi = Terminal("Kashi 35 m", diameter_m=35.0, system_noise_temperature_k=40.0)
    budget = link_budget(lander, kashi, distance_m=3.844e8, frequency_hz=8.45e9,
                         data_rate_bps=2e6, required_eb_n0_db=2.5)

References
----------
Friis, H. T. (1946). A note on a simple transmission formula. Proc. IRE 34(5), 254-256.
doi:10.1109/JRPROC.1946.234568
Pratt, T., Bostian, C. W. and Allnutt, J. E. (2003). Satellite Communications, 2nd ed.,
chapter 4 (link budgets, aperture gain, G/T). Wiley.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ilrs.errors import InputError
from ilrs.numbers import finite_number
from ilrs.sky.constants import SPEED_OF_LIGHT_M_S

__all__ = [
    "BOLTZMANN_DBW_HZ_K",
    "BOLTZMANN_J_K",
    "Antenna",
    "LinkBudget",
    "RateMode",
    "Terminal",
    "best_rate_bps",
    "c_over_n0_dbhz",
    "combine_c_over_n0_dbhz",
    "free_space_loss_db",
    "link_budget",
    "max_rate_bps",
    "parabolic_gain_dbi",
]

BOLTZMANN_J_K = 1.380649e-23  # exact, SI definition of the kelvin (CGPM 2018, in force 2019)
# 10 log10(k) = -228.5992 dBW/Hz/K, the "-228.6" of every link budget table.
BOLTZMANN_DBW_HZ_K = 10.0 * math.log10(BOLTZMANN_J_K)

DEFAULT_APERTURE_EFFICIENCY = 0.55  # a typical front-fed dish (Pratt, Bostian & Allnutt, ch. 4)


# --- checks -------------------------------------------------------------------------------


def _positive(value, field: str, where: str = "") -> float:
    number = finite_number(value, field, where)
    if number <= 0.0:
        raise InputError(f"{where}{field} must be positive, got {number:g}")
    return number


def _not_negative(value, field: str, where: str = "") -> float:
    number = finite_number(value, field, where)
    if number < 0.0:
        raise InputError(f"{where}{field} must be zero or positive, got {number:g}")
    return number


def _efficiency(value, where: str = "") -> float:
    number = finite_number(value, "efficiency", where)
    if not 0.0 < number <= 1.0:
        raise InputError(f"{where}efficiency must be in (0, 1], got {number:g}")
    return number


def _positive_array(value, field: str) -> np.ndarray:
    """``value`` as a float array whose every element is positive and finite."""
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"{field} must be numbers, got {value!r}") from None
    bad = ~(np.isfinite(array) & (array > 0.0))
    if bad.any():
        index = int(np.flatnonzero(bad)[0])
        number = float(array.flat[index])
        what = "finite" if not math.isfinite(number) else "positive"
        at = f" at index {index}" if array.ndim else ""
        raise InputError(f"{field} must be {what}, got {number:g}{at}")
    return array


# --- the physics ---------------------------------------------------------------------------


def free_space_loss_db(distance_m, frequency_hz: float):
    """Free-space path loss between isotropic antennas, ``20 log10(4 pi d f / c)``.

    The spreading of the wave over a sphere of radius ``d``, measured against the capture
    area ``lambda^2 / 4 pi`` of an isotropic antenna (Friis 1946).

    Parameters
    ----------
    distance_m : float or array_like
        Distance between the antennas [m]; positive.
    frequency_hz : float
        Carrier frequency [Hz]; positive.

    Returns
    -------
    float or numpy.ndarray
        The loss [dB], positive; a float for a scalar distance, else an array of its shape.
    """
    distance = _positive_array(distance_m, "distance_m")
    frequency = _positive(frequency_hz, "frequency_hz")
    loss = 20.0 * np.log10(4.0 * math.pi * frequency / SPEED_OF_LIGHT_M_S * distance)
    return float(loss) if loss.ndim == 0 else loss


def parabolic_gain_dbi(
    diameter_m: float, frequency_hz: float, efficiency: float = DEFAULT_APERTURE_EFFICIENCY
) -> float:
    """On-axis gain of a circular aperture, ``efficiency * (pi D / lambda)^2``.

    The gain of an aperture of area ``A`` is ``4 pi A_eff / lambda^2``; for a dish of diameter
    ``D`` the effective area is the aperture efficiency times ``pi D^2 / 4``.

    Parameters
    ----------
    diameter_m : float
        Dish diameter [m]; positive.
    frequency_hz : float
        Frequency [Hz]; positive.
    efficiency : float
        Aperture efficiency, in (0, 1] (illumination, spillover, surface, blockage).

    Returns
    -------
    float
        Gain over an isotropic antenna [dBi].
    """
    diameter = _positive(diameter_m, "diameter_m")
    frequency = _positive(frequency_hz, "frequency_hz")
    eta = _efficiency(efficiency)
    wavelength_m = SPEED_OF_LIGHT_M_S / frequency
    return 10.0 * math.log10(eta * (math.pi * diameter / wavelength_m) ** 2)


def combine_c_over_n0_dbhz(*c_over_n0_dbhz):
    """C/N0 at the end of a chain of transparent (bent-pipe) hops, e.g. up to a relay and down.

    A transparent relay forwards the noise of each hop with its signal, so the noise-to-signal
    densities add: ``1 / (C/N0) = sum over hops of 1 / (C/N0)_i``. A regenerative relay
    (one that demodulates) does not add noise this way; its hops are budgeted separately.

    Parameters
    ----------
    *c_over_n0_dbhz : float or array_like
        C/N0 of each hop [dBHz]; arrays broadcast together.

    Returns
    -------
    float or numpy.ndarray
        The end-to-end C/N0 [dBHz], below the weakest hop.
    """
    if not c_over_n0_dbhz:
        raise InputError("combine_c_over_n0_dbhz needs at least one hop's C/N0, got none")
    hops = np.broadcast_arrays(*(np.asarray(value, dtype=float) for value in c_over_n0_dbhz))
    noise_to_signal = sum(10.0 ** (-hop / 10.0) for hop in hops)
    total = -10.0 * np.log10(noise_to_signal)
    return float(total) if total.ndim == 0 else total


# --- antennas and terminals ----------------------------------------------------------------


@dataclass(frozen=True)
class Antenna:
    """An antenna: a parabolic dish of ``diameter_m``, or any antenna of fixed ``gain_dbi``.

    A dish's gain grows with frequency as ``f^2``; a fixed gain (a patch, a horn, a measured
    value) is taken as is at every frequency. Give exactly one of the two.
    """

    diameter_m: float | None = None
    gain_dbi: float | None = None
    efficiency: float = DEFAULT_APERTURE_EFFICIENCY

    def __post_init__(self) -> None:
        _check_antenna(self.diameter_m, self.gain_dbi, self.efficiency, "antenna: ")

    def gain_at_dbi(self, frequency_hz: float) -> float:
        """On-axis gain at ``frequency_hz`` [Hz], in dBi."""
        frequency = _positive(frequency_hz, "frequency_hz")
        if self.gain_dbi is not None:
            return float(self.gain_dbi)
        return parabolic_gain_dbi(self.diameter_m, frequency, self.efficiency)


def _check_antenna(diameter_m, gain_dbi, efficiency, where: str) -> None:
    if diameter_m is None and gain_dbi is None:
        raise InputError(
            f"{where}give diameter_m (a parabolic dish) or gain_dbi (any antenna); "
            "neither was given"
        )
    if diameter_m is not None and gain_dbi is not None:
        raise InputError(
            f"{where}give diameter_m or gain_dbi, not both "
            f"(got diameter_m={diameter_m!r}, gain_dbi={gain_dbi!r})"
        )
    if diameter_m is not None:
        _positive(diameter_m, "diameter_m", where)
    else:
        finite_number(gain_dbi, "gain_dbi", where)
    _efficiency(efficiency, where)


@dataclass(frozen=True)
class Terminal:
    """One end of a radio link: an antenna with a transmitter, a receiver, or both.

    Parameters
    ----------
    name : str
        Shown in messages and tables, e.g. ``"Kashi 35 m"``.
    diameter_m : float, optional
        Diameter of a parabolic dish [m]; or give ``gain_dbi`` instead (one of the two).
    gain_dbi : float, optional
        Fixed antenna gain [dBi], for antennas that are not dishes or whose gain is measured.
    efficiency : float
        Aperture efficiency of the dish, in (0, 1]; unused with ``gain_dbi``.
    rf_power_w : float
        Transmitter RF output power [W]; 0 for a receive-only terminal.
    system_noise_temperature_k : float
        Receive system noise temperature [K] (sky, ground spill, feed and LNA); 0 for a
        transmit-only terminal.
    losses_db : float
        Losses at this end [dB] (lines, radome, pointing), zero or positive: subtracted from the
        EIRP when transmitting and from the G/T when receiving.
    """

    name: str
    diameter_m: float | None = None
    gain_dbi: float | None = None
    efficiency: float = DEFAULT_APERTURE_EFFICIENCY
    rf_power_w: float = 0.0
    system_noise_temperature_k: float = 0.0
    losses_db: float = 0.0

    def __post_init__(self) -> None:
        where = f"terminal {self.name!r}: "
        _check_antenna(self.diameter_m, self.gain_dbi, self.efficiency, where)
        _not_negative(self.rf_power_w, "rf_power_w", where)
        _not_negative(self.system_noise_temperature_k, "system_noise_temperature_k", where)
        _not_negative(self.losses_db, "losses_db", where)

    @property
    def antenna(self) -> Antenna:
        """The terminal's antenna alone."""
        return Antenna(self.diameter_m, self.gain_dbi, self.efficiency)

    def gain_at_dbi(self, frequency_hz: float) -> float:
        """Antenna gain at ``frequency_hz`` [Hz], in dBi (before this end's losses)."""
        return self.antenna.gain_at_dbi(frequency_hz)

    def eirp_dbw(self, frequency_hz: float) -> float:
        """Equivalent isotropically radiated power [dBW]: power + gain - losses."""
        power_w = self.rf_power_w
        if power_w <= 0.0:
            raise InputError(
                f"terminal {self.name!r}: rf_power_w must be positive to transmit, got {power_w:g}"
            )
        return 10.0 * math.log10(power_w) + self.gain_at_dbi(frequency_hz) - self.losses_db

    def g_over_t_db_k(self, frequency_hz: float) -> float:
        """Receive figure of merit G/T [dB/K]: gain - losses - 10 log10(system temperature)."""
        temperature_k = self.system_noise_temperature_k
        if temperature_k <= 0.0:
            raise InputError(
                f"terminal {self.name!r}: system_noise_temperature_k must be positive to "
                f"receive, got {temperature_k:g}"
            )
        return self.gain_at_dbi(frequency_hz) - self.losses_db - 10.0 * math.log10(temperature_k)


# --- budgets -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkBudget:
    """The itemised budget of one link at one distance; every dB line named with its unit.

    The first eleven fields are the budget proper. The rest itemise it further and record
    the geometry; they are NaN when unknown and then left out of :meth:`as_rows`.
    """

    eirp_dbw: float
    free_space_loss_db: float
    other_losses_db: float
    receive_gain_dbi: float
    system_noise_temperature_db_k: float
    g_over_t_db_k: float
    c_over_n0_dbhz: float
    data_rate_dbhz: float
    eb_n0_db: float
    required_eb_n0_db: float
    margin_db: float
    transmit_power_dbw: float = math.nan
    transmit_gain_dbi: float = math.nan
    transmit_losses_db: float = math.nan
    receive_losses_db: float = math.nan
    distance_m: float = math.nan
    frequency_hz: float = math.nan
    data_rate_bps: float = math.nan

    def as_rows(self) -> list[tuple[str, float, str]]:
        """The budget as ``(item, value, unit)`` rows, top to bottom, for a printed table.

        Losses are shown as positive numbers that the budget subtracts, as in most tables.
        """
        rows = [
            ("frequency", self.frequency_hz, "Hz"),
            ("distance", self.distance_m, "m"),
            ("transmit power", self.transmit_power_dbw, "dBW"),
            ("transmit antenna gain", self.transmit_gain_dbi, "dBi"),
            ("transmit losses", self.transmit_losses_db, "dB"),
            ("EIRP", self.eirp_dbw, "dBW"),
            ("free-space loss", self.free_space_loss_db, "dB"),
            ("other losses", self.other_losses_db, "dB"),
            ("receive antenna gain", self.receive_gain_dbi, "dBi"),
            ("receive losses", self.receive_losses_db, "dB"),
            ("system noise temperature", self.system_noise_temperature_db_k, "dBK"),
            ("G/T", self.g_over_t_db_k, "dB/K"),
            ("Boltzmann constant", BOLTZMANN_DBW_HZ_K, "dBW/Hz/K"),
            ("C/N0", self.c_over_n0_dbhz, "dBHz"),
            ("data rate", self.data_rate_bps, "bit/s"),
            ("data rate", self.data_rate_dbhz, "dBHz"),
            ("Eb/N0", self.eb_n0_db, "dB"),
            ("required Eb/N0", self.required_eb_n0_db, "dB"),
            ("margin", self.margin_db, "dB"),
        ]
        return [(item, float(value), unit) for item, value, unit in rows if not math.isnan(value)]


def c_over_n0_dbhz(
    transmitter: Terminal,
    receiver: Terminal,
    *,
    distance_m,
    frequency_hz: float,
    other_losses_db: float = 0.0,
):
    """Carrier-to-noise-density ratio C/N0 [dBHz] at the receiver, vectorised over distance.

    Parameters
    ----------
    transmitter, receiver : Terminal
        The transmitting end (``rf_power_w`` > 0) and the receiving end
        (``system_noise_temperature_k`` > 0).
    distance_m : float or array_like
        Distance between them [m]; positive.
    frequency_hz : float
        Carrier frequency [Hz].
    other_losses_db : float
        Losses on the path besides free space [dB] (atmosphere, polarisation, ...); >= 0.

    Returns
    -------
    float or numpy.ndarray
        C/N0 [dBHz]; a float for a scalar distance, else an array of its shape.
    """
    frequency = _positive(frequency_hz, "frequency_hz")
    other = _not_negative(other_losses_db, "other_losses_db")
    path_db = free_space_loss_db(distance_m, frequency)
    fixed_db = (
        transmitter.eirp_dbw(frequency)
        - other
        + receiver.g_over_t_db_k(frequency)
        - BOLTZMANN_DBW_HZ_K
    )
    return fixed_db - path_db


def link_budget(
    transmitter: Terminal,
    receiver: Terminal,
    *,
    distance_m: float,
    frequency_hz: float,
    data_rate_bps: float,
    required_eb_n0_db: float,
    other_losses_db: float = 0.0,
) -> LinkBudget:
    """The itemised budget of the link from ``transmitter`` to ``receiver`` at one distance.

    Parameters
    ----------
    transmitter, receiver : Terminal
        The two ends; the transmitter needs ``rf_power_w`` > 0, the receiver
        ``system_noise_temperature_k`` > 0.
    distance_m : float
        Distance between the antennas [m]; positive. For many distances use
        :func:`c_over_n0_dbhz` or :func:`max_rate_bps`.
    frequency_hz : float
        Carrier frequency [Hz]; positive.
    data_rate_bps : float
        Information bit rate [bit/s]; positive.
    required_eb_n0_db : float
        Eb/N0 [dB] that the modulation and coding need for the wanted error rate, including
        any implementation loss of the demodulator.
    other_losses_db : float
        Losses on the path besides free space [dB]; zero or positive.

    Returns
    -------
    LinkBudget
    """
    if np.ndim(distance_m) != 0:
        raise InputError(
            "link_budget takes one distance_m; for many use c_over_n0_dbhz or max_rate_bps"
        )
    distance = _positive(distance_m, "distance_m")
    frequency = _positive(frequency_hz, "frequency_hz")
    rate = _positive(data_rate_bps, "data_rate_bps")
    required = finite_number(required_eb_n0_db, "required_eb_n0_db", "")
    other = _not_negative(other_losses_db, "other_losses_db")

    eirp = transmitter.eirp_dbw(frequency)
    g_over_t = receiver.g_over_t_db_k(frequency)
    path = free_space_loss_db(distance, frequency)
    c_n0 = eirp - path - other + g_over_t - BOLTZMANN_DBW_HZ_K
    rate_dbhz = 10.0 * math.log10(rate)
    eb_n0 = c_n0 - rate_dbhz
    return LinkBudget(
        eirp_dbw=eirp,
        free_space_loss_db=path,
        other_losses_db=other,
        receive_gain_dbi=receiver.gain_at_dbi(frequency),
        system_noise_temperature_db_k=10.0 * math.log10(receiver.system_noise_temperature_k),
        g_over_t_db_k=g_over_t,
        c_over_n0_dbhz=c_n0,
        data_rate_dbhz=rate_dbhz,
        eb_n0_db=eb_n0,
        required_eb_n0_db=required,
        margin_db=eb_n0 - required,
        transmit_power_dbw=10.0 * math.log10(transmitter.rf_power_w),
        transmit_gain_dbi=transmitter.gain_at_dbi(frequency),
        transmit_losses_db=float(transmitter.losses_db),
        receive_losses_db=float(receiver.losses_db),
        distance_m=distance,
        frequency_hz=frequency,
        data_rate_bps=rate,
    )


@dataclass(frozen=True)
class RateMode:
    """One way a radio can send: a modulation and code needing ``required_eb_n0_db``, at no
    more than ``ceiling_bps`` (the allocated bandwidth times the scheme's bit/s per Hz;
    infinite where no bandwidth is given)."""

    name: str
    required_eb_n0_db: float
    ceiling_bps: float = math.inf


def best_rate_bps(
    c_over_n0_dbhz,
    modes: Sequence[RateMode],
    *,
    margin_db: float = 3.0,
    rate_steps_bps: Sequence[float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The highest rate a link carries at each C/N0, and the mode that carries it.

    Each mode carries ``R`` when ``Eb/N0 = C/N0 - 10 log10(R)`` reaches its requirement plus
    ``margin_db`` and ``R`` is within its ceiling (the bandwidth). With ``rate_steps_bps``
    (the rates a radio offers) the rate is the highest listed one that both allow. With
    several modes (adaptive coding and modulation) the best is chosen at each C/N0.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        The rate [bit/s] (0.0 where none is carried) and the index of the mode in ``modes``
        (-1 where none), each of the shape of ``c_over_n0_dbhz``.
    """
    if not modes:
        raise InputError("best_rate_bps needs at least one mode (modulation and code)")
    c_n0 = np.asarray(c_over_n0_dbhz, dtype=float)
    margin = finite_number(margin_db, "margin_db", "")
    steps = None
    if rate_steps_bps is not None:
        steps = _positive_array(rate_steps_bps, "rate_steps_bps")
        if steps.ndim != 1 or steps.size == 0:
            raise InputError(
                f"rate_steps_bps must be a non-empty sequence of rates, got {rate_steps_bps!r}"
            )
        steps = np.unique(steps)
    elif any(math.isinf(mode.ceiling_bps) for mode in modes):
        raise InputError(
            "a link without rate_steps_bps needs a bandwidth to bound its rate "
            "(give bandwidth_hz, or the radio's rate_steps_bps)"
        )
    best = np.zeros(c_n0.shape)
    chosen = np.full(c_n0.shape, -1)
    for index, mode in enumerate(modes):
        required = finite_number(mode.required_eb_n0_db, "required_eb_n0_db", "")
        # Eb/N0 >= required + margin  <=>  10 log10(R) <= C/N0 - required - margin.
        power_limited_bps = 10.0 ** ((c_n0 - required - margin) / 10.0)
        rate = np.minimum(power_limited_bps, mode.ceiling_bps)
        if steps is not None:
            highest = np.searchsorted(steps, rate * (1.0 + 1e-12), side="right") - 1
            rate = np.where(highest >= 0, steps[np.maximum(highest, 0)], 0.0)
        better = rate > best
        best = np.where(better, rate, best)
        chosen = np.where(better, index, chosen)
    return best, chosen


def max_rate_bps(
    transmitter: Terminal,
    receiver: Terminal,
    *,
    distance_m,
    frequency_hz: float,
    rate_steps_bps: Sequence[float] | None = None,
    required_eb_n0_db: float | None = None,
    margin_db: float = 3.0,
    other_losses_db: float = 0.0,
    modes: Sequence[RateMode] | None = None,
) -> np.ndarray:
    """The highest data rate the link carries, at each distance.

    A rate ``R`` is carried when ``Eb/N0 = C/N0 - 10 log10(R)`` reaches the requirement plus
    ``margin_db`` and ``R`` is within the bandwidth's ceiling (see :func:`best_rate_bps`);
    radios that switch among fixed rates give ``rate_steps_bps``, and the answer is then one
    of them, or 0.0 where none is carried.

    Parameters
    ----------
    transmitter, receiver : Terminal
        The two ends of the link.
    distance_m : float or array_like
        Distances [m]; positive.
    frequency_hz : float
        Carrier frequency [Hz].
    rate_steps_bps : sequence of float, optional
        The data rates the radio offers [bit/s], in any order; positive. Needed unless every
        mode has a ceiling.
    required_eb_n0_db : float, optional
        Eb/N0 [dB] the modulation and coding need: one mode without ceiling. Give this or
        ``modes``.
    margin_db : float
        Margin [dB] held above the requirement.
    other_losses_db : float
        Losses on the path besides free space [dB]; zero or positive.
    modes : sequence of RateMode, optional
        The modulations and codes the radio may use, each with its ceiling.

    Returns
    -------
    numpy.ndarray
        Rate [bit/s] per distance, of the shape of ``distance_m`` (0-d for a scalar).
    """
    if (modes is None) == (required_eb_n0_db is None):
        raise InputError("give required_eb_n0_db (one code) or modes (with ceilings), not both")
    if modes is None:
        modes = [RateMode("custom", finite_number(required_eb_n0_db, "required_eb_n0_db", ""))]
    c_n0 = c_over_n0_dbhz(
        transmitter,
        receiver,
        distance_m=distance_m,
        frequency_hz=frequency_hz,
        other_losses_db=other_losses_db,
    )
    rate, _ = best_rate_bps(c_n0, modes, margin_db=margin_db, rate_steps_bps=rate_steps_bps)
    return rate
