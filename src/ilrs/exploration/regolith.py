"""Temperatures of the lunar regolith: the 1-D heat-conduction model of Hayne et al. 2017.

Hayne, P. O., et al. (2017), Global regolith thermophysical properties of the Moon from
the Diviner Lunar Radiometer Experiment, J. Geophys. Res. Planets, 122, 2371-2400,
doi:10.1002/2017JE005387, Appendix A (the "Diviner standard thermal model").

The regolith densifies with depth, rho(z) = rho_d - (rho_d - rho_s) exp(-z/H); its contact
conductivity follows the density, and radiation between grains adds a T^3 term,
K = Kc (1 + chi (T/350 K)^3); the heat capacity is a quartic in T. The surface radiates
as a grey body (eps sigma Ts^4) and absorbs what the caller gives it; a geothermal flux
enters from below.

Many independent columns (one per map pixel) advance together (:class:`Columns`): fully
implicit finite volumes in enthalpy form, Newton's method on the whole column (radiative
surface, T-dependent c and K, all at the new time), so steps of hours are stable and the
energy budget closes to round-off (:func:`energy_budget`). Under periodic forcing
:meth:`Columns.settle` lands the slow deep layers on their periodic state at once (the
mean flux through every depth is the geothermal flux). :func:`flat_surface_run` is the
classic check, a flat surface at a latitude through a lunation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numba
import numpy as np

from ilrs.errors import InputError
from ilrs.exploration import _heat_kernel

__all__ = [
    "HEAT_CAPACITY_COEFFICIENTS_J_KG_K",
    "SOLAR_CONSTANT_W_M2",
    "STEFAN_BOLTZMANN_W_M2_K4",
    "SYNODIC_MONTH_S",
    "Columns",
    "DiurnalCurve",
    "EnergyBudget",
    "EnergySnapshot",
    "Layers",
    "Regolith",
    "conductivity_w_m_k",
    "energy_budget",
    "enthalpy_j_kg",
    "flat_surface_run",
    "heat_capacity_j_kg_k",
    "kirchhoff_k",
    "layers_for",
    "skin_depth_m",
]

# CODATA 2018, exact since the 2019 SI redefinition (NIST SP 961, 2019).
STEFAN_BOLTZMANN_W_M2_K4 = 5.670374419e-8
# Total solar irradiance at 1 au; Kopp & Lean 2011, GRL 38, L01706, doi:10.1029/2010GL045777.
SOLAR_CONSTANT_W_M2 = 1361.0
# Mean synodic month, 29.530589 d (Meeus, Astronomical Algorithms, 2nd ed. 1998, ch. 49:
# 29.530588861 d), the period of the lunar day.
SYNODIC_MONTH_S = 29.530589 * 86_400.0
# c(T) = c0 + c1 T + c2 T^2 + c3 T^3 + c4 T^4 [J/kg/K]: Hayne et al. 2017 eq. A6 and
# Table A1, a fit to the lunar-sample data of Hemingway et al. (1981) and Ledlow et al.
# (1992); valid above ~10 K (negative below 1.3 K).
HEAT_CAPACITY_COEFFICIENTS_J_KG_K = (-3.6125, 2.7431, 2.3616e-3, -1.2340e-5, 8.9093e-9)
# Temperature at which the radiative conductivity equals chi * Kc (Hayne 2017 eq. A4).
RADIATIVE_REFERENCE_K = _heat_kernel.REFERENCE_K
# Heat capacity at which the grid's skin depths are reckoned: c(250 K), about the
# lunation-mean temperature of the low-latitude regolith below the top centimetres (this
# model: 215 K at the equator's surface, 255 K at 1.3 m).
_SKIN_DEPTH_REFERENCE_K = 250.0

_CP = np.array(HEAT_CAPACITY_COEFFICIENTS_J_KG_K)
_MAX_NEWTON_ITERATIONS = 50
_NEWTON_TOLERANCE_K = 1e-3  # last Newton update [K]; what is left is ~1e-8 K (quadratic)
_NOT_AVERAGING = np.zeros((0, 0))
_THREADS_FROM_COLUMNS = 4096  # fewer columns are stepped in one thread (no parallel region)


@dataclass(frozen=True)
class Regolith:
    """Thermophysical properties of a regolith column; defaults are Hayne et al. 2017's
    standard lunar model (Table A1, doi:10.1002/2017JE005387).

    Attributes
    ----------
    surface_density_kg_m3, deep_density_kg_m3 : float
        rho_s at z = 0 and rho_d at depth: 1100 and 1800 kg/m3 (Hayne 2017 Table A1;
        rho_d from Carrier et al. 1991, Lunar Sourcebook).
    h_parameter_m : float
        e-folding depth H of density and conductivity: 0.07 m, the global average found
        by Hayne 2017 (abstract: "On average, the scale height of these profiles is
        ~7 cm"). Their standard model's Table A1 lists 0.06 m, which gives an equatorial
        night 1 K warmer here (midnight 100.3 K against 99.2 K, noon unchanged).
    surface_conductivity_w_m_k, deep_conductivity_w_m_k : float
        Contact conductivity K_s at z = 0 and K_d at depth: 7.4e-4 and 3.4e-3 W/m/K
        (Hayne 2017 Table A1).
    radiative_chi : float
        chi of K = Kc (1 + chi (T/350 K)^3): 2.7 (Vasavada et al. 2012, JGR 117, E00H18,
        doi:10.1029/2011JE003987; Hayne 2017 eq. A4).
    normal_albedo, albedo_a, albedo_b : float
        A(theta) = A0 + a (theta/45 deg)^3 + b (theta/90 deg)^8 with A0 = 0.12 (highland
        average), a = 0.06, b = 0.25 (the form of Keihm 1984, Icarus 60, 568-589, as
        fitted by Vasavada 2012 and used by Hayne 2017 eq. A8).
    emissivity : float
        Infrared emissivity 0.95 (Hayne 2017 Table A1, after Logan et al. 1972).
    geothermal_flux_w_m2 : float
        Heat flow from the interior, 0.018 W/m2: Hayne 2017 Table A1, after Langseth et
        al. 1976 (Proc. Lunar Sci. Conf. 7, 3143), whose Apollo 15 and 17 values were 21
        and 14 mW/m2.
    """

    surface_density_kg_m3: float = 1100.0
    deep_density_kg_m3: float = 1800.0
    h_parameter_m: float = 0.07
    surface_conductivity_w_m_k: float = 7.4e-4
    deep_conductivity_w_m_k: float = 3.4e-3
    radiative_chi: float = 2.7
    normal_albedo: float = 0.12
    albedo_a: float = 0.06
    albedo_b: float = 0.25
    emissivity: float = 0.95
    geothermal_flux_w_m2: float = 0.018

    def __post_init__(self) -> None:
        for name in (
            "surface_density_kg_m3",
            "deep_density_kg_m3",
            "h_parameter_m",
            "surface_conductivity_w_m_k",
            "deep_conductivity_w_m_k",
        ):
            _check_positive(getattr(self, name), f"regolith {name}")
        for name in ("radiative_chi", "geothermal_flux_w_m2", "albedo_a", "albedo_b"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0.0):
                raise InputError(f"regolith {name} must be finite and >= 0, got {value!r}")
        if not 0.0 <= self.normal_albedo <= 1.0:
            raise InputError(
                f"regolith normal_albedo must lie in [0, 1], got {self.normal_albedo!r}"
            )
        if not 0.0 < self.emissivity <= 1.0:
            raise InputError(f"regolith emissivity must lie in (0, 1], got {self.emissivity!r}")

    def albedo(self, incidence_deg) -> np.ndarray:
        """Bond albedo A(theta) at solar incidence angles ``incidence_deg`` [deg].

        Parameters
        ----------
        incidence_deg : array_like
            Angle between the Sun and the surface normal [deg]; angles past 90 deg (Sun
            below the horizon, no light to reflect) take A(90 deg).

        Returns
        -------
        numpy.ndarray
            A(theta), clipped to [0, 1], of the shape of ``incidence_deg``.
        """
        theta = np.asarray(incidence_deg, dtype=float)
        if not np.all(np.isfinite(theta)):
            raise InputError("incidence angles must be finite (got NaN or infinity)")
        if np.any(theta < 0.0):
            raise InputError(f"incidence angles must be >= 0 deg, got {theta.min()!r}")
        theta = np.minimum(theta, 90.0)
        albedo = (
            self.normal_albedo
            + self.albedo_a * (theta / 45.0) ** 3
            + self.albedo_b * (theta / 90.0) ** 8
        )
        return np.clip(albedo, 0.0, 1.0)

    def density_kg_m3(self, depth_m) -> np.ndarray:
        """rho(z) = rho_d - (rho_d - rho_s) exp(-z/H) [kg/m3] (Hayne 2017 eq. A2)."""
        z = np.asarray(depth_m, dtype=float)
        drop = self.deep_density_kg_m3 - self.surface_density_kg_m3
        return self.deep_density_kg_m3 - drop * np.exp(-z / self.h_parameter_m)

    def contact_conductivity_w_m_k(self, density_kg_m3) -> np.ndarray:
        """Kc = K_d - (K_d - K_s) (rho_d - rho) / (rho_d - rho_s) [W/m/K] (Hayne 2017
        eq. A5); with rho_d = rho_s, K_s."""
        rho = np.asarray(density_kg_m3, dtype=float)
        span = self.deep_density_kg_m3 - self.surface_density_kg_m3
        k_s, k_d = self.surface_conductivity_w_m_k, self.deep_conductivity_w_m_k
        if span == 0.0:
            return np.full_like(rho, k_s)
        return k_d - (k_d - k_s) * (self.deep_density_kg_m3 - rho) / span


@dataclass(frozen=True, eq=False)
class Layers:
    """The vertical grid: finite volumes, from the surface down.

    Attributes
    ----------
    top_m : numpy.ndarray
        Depth of each layer's top [m]; the first is 0 and each layer starts where the one
        above ends.
    thickness_m : numpy.ndarray
        Thickness of each layer [m], > 0.
    centre_m : numpy.ndarray
        Depth of each layer's centre [m], where its temperature is reckoned.
    density_kg_m3 : numpy.ndarray
        Mean density of each layer [kg/m3] (rho(z) integrated over it).
    contact_conductivity_w_m_k : numpy.ndarray
        Contact conductivity of each layer [W/m/K] (Kc of its mean density).
    """

    top_m: np.ndarray
    thickness_m: np.ndarray
    centre_m: np.ndarray
    density_kg_m3: np.ndarray
    contact_conductivity_w_m_k: np.ndarray

    def __post_init__(self) -> None:
        arrays = {}
        for name in (
            "top_m",
            "thickness_m",
            "centre_m",
            "density_kg_m3",
            "contact_conductivity_w_m_k",
        ):
            try:
                value = np.array(getattr(self, name), dtype=float)
            except (TypeError, ValueError):
                raise InputError(f"layers {name} must be an array of numbers") from None
            if value.ndim != 1 or value.size == 0:
                raise InputError(
                    f"layers {name} must be a non-empty 1-D array, got shape {value.shape}"
                )
            if not np.all(np.isfinite(value)):
                raise InputError(f"layers {name} must be finite (got NaN or infinity)")
            value.flags.writeable = False
            arrays[name] = value
            object.__setattr__(self, name, value)
        n = arrays["top_m"].size
        for name, value in arrays.items():
            if value.size != n:
                raise InputError(f"layers {name} has {value.size} values, top_m has {n}")
        if np.any(arrays["thickness_m"] <= 0.0):
            raise InputError(
                f"layer thicknesses must be > 0 m, got {arrays['thickness_m'].min()!r}"
            )
        if arrays["top_m"][0] != 0.0:
            raise InputError(
                f"the first layer must start at the surface (0 m), got {arrays['top_m'][0]!r}"
            )
        bottoms = arrays["top_m"] + arrays["thickness_m"]
        if not np.allclose(arrays["top_m"][1:], bottoms[:-1], rtol=1e-9, atol=1e-12):
            raise InputError("each layer must start where the one above ends (top_m + thickness_m)")
        if not np.allclose(
            arrays["centre_m"], arrays["top_m"] + arrays["thickness_m"] / 2, rtol=1e-9, atol=1e-12
        ):
            raise InputError("layer centres must lie halfway through each layer")
        if np.any(arrays["density_kg_m3"] <= 0.0):
            raise InputError("layer densities must be > 0 kg/m3")
        if np.any(arrays["contact_conductivity_w_m_k"] <= 0.0):
            raise InputError("layer contact conductivities must be > 0 W/m/K")

    @property
    def n_layers(self) -> int:
        """Number of layers."""
        return int(self.top_m.size)

    @property
    def bottom_m(self) -> float:
        """Depth of the bottom of the grid [m]."""
        return float(self.top_m[-1] + self.thickness_m[-1])

    @cached_property
    def mass_kg_m2(self) -> np.ndarray:
        """Mass of each layer per unit area [kg/m2]."""
        return np.ascontiguousarray(self.density_kg_m3 * self.thickness_m)

    @cached_property
    def link_w_m2_k(self) -> np.ndarray:
        """Conductance [W/m2/K] from each layer's centre to the node above it (the surface
        for the first layer): the half-layers in series, of contact conductivity; times
        the difference of Kirchhoff temperatures it gives the flux (see
        :func:`kirchhoff_k`)."""
        resistance = self.thickness_m / 2.0 / self.contact_conductivity_w_m_k
        resistance[1:] += resistance[:-1].copy()
        return np.ascontiguousarray(1.0 / resistance)

    @classmethod
    def from_thicknesses(cls, regolith: Regolith, thickness_m) -> Layers:
        """Layers of the given thicknesses [m] from the surface down, each with the mean
        density of ``regolith`` over its span (rho(z) integrated exactly) and the contact
        conductivity of that density."""
        dz = np.array(thickness_m, dtype=float)
        if dz.ndim != 1 or dz.size == 0 or not np.all(np.isfinite(dz)):
            raise InputError("layer thicknesses must be a non-empty 1-D array of finite numbers")
        if np.any(dz <= 0.0):
            raise InputError(f"layer thicknesses must be > 0 m, got {dz.min()!r}")
        top = np.concatenate(([0.0], np.cumsum(dz)[:-1]))
        bottom = top + dz
        h = regolith.h_parameter_m
        drop = regolith.deep_density_kg_m3 - regolith.surface_density_kg_m3
        # Mean of exp(-z/H) over [top, bottom]; expm1 keeps thin layers exact.
        mean_exp = np.exp(-top / h) * (-np.expm1(-dz / h)) * h / dz
        density = regolith.deep_density_kg_m3 - drop * mean_exp
        return cls(
            top_m=top,
            thickness_m=dz,
            centre_m=(top + bottom) / 2.0,
            density_kg_m3=density,
            contact_conductivity_w_m_k=regolith.contact_conductivity_w_m_k(density),
        )


def heat_capacity_j_kg_k(temperature_k) -> np.ndarray:
    """Specific heat capacity c(T) [J/kg/K] of lunar regolith (Hayne 2017 eq. A6).

    Parameters
    ----------
    temperature_k : array_like
        Temperatures [K], > 0.

    Returns
    -------
    numpy.ndarray
        c0 + c1 T + c2 T^2 + c3 T^3 + c4 T^4, coefficients
        :data:`HEAT_CAPACITY_COEFFICIENTS_J_KG_K`.
    """
    t = _temperatures(temperature_k)
    c0, c1, c2, c3, c4 = HEAT_CAPACITY_COEFFICIENTS_J_KG_K
    return c0 + t * (c1 + t * (c2 + t * (c3 + t * c4)))


def enthalpy_j_kg(temperature_k) -> np.ndarray:
    """Heat content per kg [J/kg]: c(T) integrated exactly from 0 K to T, the measure of
    stored heat in :meth:`Columns.stored_heat_j_m2` (only its differences matter)."""
    t = _temperatures(temperature_k)
    c0, c1, c2, c3, c4 = HEAT_CAPACITY_COEFFICIENTS_J_KG_K
    return t * (c0 + t * (c1 / 2 + t * (c2 / 3 + t * (c3 / 4 + t * c4 / 5))))


def conductivity_w_m_k(contact_conductivity_w_m_k, temperature_k, radiative_chi) -> np.ndarray:
    """Thermal conductivity K = Kc (1 + chi (T / 350 K)^3) [W/m/K] (Hayne 2017 eq. A4).

    Parameters
    ----------
    contact_conductivity_w_m_k : array_like
        Kc [W/m/K], the conduction through grain contacts.
    temperature_k : array_like
        Temperatures [K] (broadcast against ``contact_conductivity_w_m_k``).
    radiative_chi : float
        chi, the radiative term's share at 350 K.

    Returns
    -------
    numpy.ndarray
        K at each temperature.
    """
    t = _temperatures(temperature_k)
    kc = np.asarray(contact_conductivity_w_m_k, dtype=float)
    return kc * (1.0 + radiative_chi * (t / RADIATIVE_REFERENCE_K) ** 3)


def kirchhoff_k(temperature_k, radiative_chi) -> np.ndarray:
    """Kirchhoff temperature u(T) = T + chi T^4 / (4 (350 K)^3) [K]: the integral of
    K / Kc, so that the heat flux is Kc du/dz (linear in u)."""
    t = _temperatures(temperature_k)
    return t + 0.25 * radiative_chi * t**4 / RADIATIVE_REFERENCE_K**3


def _from_kirchhoff(u_k, radiative_chi) -> np.ndarray:
    """T of a Kirchhoff temperature (Newton from T = u, above the root: no overshoot)."""
    u = np.asarray(u_k, dtype=float)
    a = 0.25 * radiative_chi / RADIATIVE_REFERENCE_K**3
    t = u.copy()
    for _ in range(60):
        step = (t + a * t**4 - u) / (1.0 + 4.0 * a * t**3)
        t -= step
        if np.all(np.abs(step) < 1e-12 * t):
            break
    return t


def skin_depth_m(
    conductivity_w_m_k: float,
    density_kg_m3: float,
    period_s: float = SYNODIC_MONTH_S,
    temperature_k: float = _SKIN_DEPTH_REFERENCE_K,
) -> float:
    """Thermal skin depth sqrt(kappa P / pi) [m], kappa = K / (rho c(T)): the depth over
    which a wave of period ``period_s`` decays by a factor e."""
    c = float(heat_capacity_j_kg_k(temperature_k))
    return math.sqrt(conductivity_w_m_k / (density_kg_m3 * c) * period_s / math.pi)


def layers_for(
    regolith: Regolith,
    *,
    period_s: float = SYNODIC_MONTH_S,
    layers_per_skin_depth: int = 10,
    growth: float = 1.2,
    skin_depths: float = 25.0,
) -> Layers:
    """A geometric grid for ``regolith`` forced with period ``period_s`` (Hayne 2017
    eqs. A31-A33).

    The first layer is the top skin depth (surface density, contact conductivity K_s and
    c(250 K): 2.85 cm for the Moon's lunation) divided by ``layers_per_skin_depth``;
    each layer is ``growth`` times thicker than the one above; layers are added until the
    bottom lies ``skin_depths`` deep skin depths down (deep density and K_d: 4.8 cm for
    the Moon). The defaults give 25 layers to 1.30 m: the diurnal wave is down by e^-25
    there (nothing reflects off the bottom), and the annual wave, 3.5 times deeper, is
    followed over 7 of its own skin depths.

    Parameters
    ----------
    regolith : Regolith
        Properties of the column.
    period_s : float
        Period of the forcing [s]; the lunar day by default.
    layers_per_skin_depth : int
        Layers within the top skin depth, at the first layer's thickness.
    growth : float
        Ratio of each layer's thickness to the one above, >= 1.
    skin_depths : float
        Depth of the bottom in deep skin depths.

    Returns
    -------
    Layers
    """
    _check_positive(period_s, "period_s")
    _check_positive(skin_depths, "skin_depths")
    if int(layers_per_skin_depth) != layers_per_skin_depth or layers_per_skin_depth < 1:
        raise InputError(
            f"layers_per_skin_depth must be a whole number >= 1, got {layers_per_skin_depth!r}"
        )
    if not (math.isfinite(growth) and 1.0 <= growth <= 3.0):
        raise InputError(f"growth must lie in [1, 3], got {growth!r}")
    top_skin = skin_depth_m(
        regolith.surface_conductivity_w_m_k, regolith.surface_density_kg_m3, period_s
    )
    deep_skin = skin_depth_m(
        regolith.deep_conductivity_w_m_k, regolith.deep_density_kg_m3, period_s
    )
    first = top_skin / layers_per_skin_depth
    bottom = skin_depths * deep_skin
    thicknesses = []
    depth, dz = 0.0, first
    while depth < bottom * (1.0 - 1e-12):
        thicknesses.append(dz)
        depth += dz
        dz *= growth
        if len(thicknesses) > 10_000:
            raise InputError(
                "the grid would need more than 10,000 layers: raise growth or lower skin_depths"
            )
    return Layers.from_thicknesses(regolith, thicknesses)


@dataclass(frozen=True, eq=False)
class EnergySnapshot:
    """Running energy totals of every column at one instant (copies), to difference with
    :func:`energy_budget`. All per unit area [J/m2], per column."""

    elapsed_s: float
    absorbed_j_m2: np.ndarray
    emitted_j_m2: np.ndarray
    geothermal_j_m2: np.ndarray
    stored_j_m2: np.ndarray


@dataclass(frozen=True, eq=False)
class EnergyBudget:
    """Energy of every column between two snapshots [J/m2 per column].

    ``residual_j_m2`` = absorbed + geothermal - emitted - change of stored heat: zero but
    for the Newton tolerance and round-off.
    """

    duration_s: float
    absorbed_j_m2: np.ndarray
    emitted_j_m2: np.ndarray
    geothermal_j_m2: np.ndarray
    stored_change_j_m2: np.ndarray

    @property
    def residual_j_m2(self) -> np.ndarray:
        """Energy in minus energy out minus heat gained [J/m2]."""
        return (
            self.absorbed_j_m2 + self.geothermal_j_m2 - self.emitted_j_m2 - self.stored_change_j_m2
        )

    @property
    def relative_residual(self) -> np.ndarray:
        """|residual| over the energy that went through the column (in + out)."""
        throughput = self.absorbed_j_m2 + self.geothermal_j_m2 + self.emitted_j_m2
        return np.abs(self.residual_j_m2) / throughput

    @property
    def mean_absorbed_w_m2(self) -> np.ndarray:
        """Mean absorbed flux over the stretch [W/m2]."""
        return self.absorbed_j_m2 / self.duration_s

    @property
    def mean_emitted_w_m2(self) -> np.ndarray:
        """Mean emitted flux over the stretch [W/m2]."""
        return self.emitted_j_m2 / self.duration_s

    @property
    def mean_geothermal_w_m2(self) -> np.ndarray:
        """Mean geothermal flux over the stretch [W/m2]."""
        return self.geothermal_j_m2 / self.duration_s


def energy_budget(start: EnergySnapshot, end: EnergySnapshot) -> EnergyBudget:
    """The energy budget of every column between two snapshots of the same columns.

    Parameters
    ----------
    start, end : EnergySnapshot
        From :meth:`Columns.snapshot`, ``start`` the earlier.

    Returns
    -------
    EnergyBudget
    """
    duration = end.elapsed_s - start.elapsed_s
    if not duration > 0.0:
        raise InputError(
            f"the end snapshot must come after the start, got {duration!r} s between them"
        )
    if end.stored_j_m2.shape != start.stored_j_m2.shape:
        raise InputError("the two snapshots are of different numbers of columns")
    return EnergyBudget(
        duration_s=duration,
        absorbed_j_m2=end.absorbed_j_m2 - start.absorbed_j_m2,
        emitted_j_m2=end.emitted_j_m2 - start.emitted_j_m2,
        geothermal_j_m2=end.geothermal_j_m2 - start.geothermal_j_m2,
        stored_change_j_m2=end.stored_j_m2 - start.stored_j_m2,
    )


class Columns:
    """The state of many independent regolith columns (one per map pixel).

    Parameters
    ----------
    temperature_k : array_like
        (n_columns, n_layers) layer temperatures [K], > 0.
    surface_k : array_like
        (n_columns,) surface temperatures [K], > 0.

    Attributes
    ----------
    temperature_k : numpy.ndarray
        (n_columns, n_layers) float64, C-contiguous, updated in place by :meth:`step`.
    absorbed_j_m2, emitted_j_m2, geothermal_j_m2 : numpy.ndarray
        (n_columns,) running totals since creation [J/m2]: sunlight absorbed, heat
        radiated from the surface, heat received from below.
    elapsed_s : float
        Time stepped since creation [s].
    newton_iterations : int
        The most Newton iterations any column needed in the last step (2 or 3 typically).
    """

    def __init__(self, temperature_k, surface_k) -> None:
        try:
            temperature = np.array(temperature_k, dtype=np.float64, order="C")
            surface = np.array(surface_k, dtype=np.float64)
        except (TypeError, ValueError):
            raise InputError("temperature_k and surface_k must be arrays of numbers") from None
        if temperature.ndim != 2 or temperature.shape[0] == 0 or temperature.shape[1] == 0:
            raise InputError(
                f"temperature_k must be (n_columns, n_layers), got shape {temperature.shape}"
            )
        if surface.shape != (temperature.shape[0],):
            raise InputError(
                f"surface_k must have one value per column, shape ({temperature.shape[0]},), "
                f"got {surface.shape}"
            )
        for name, value in (("temperature_k", temperature), ("surface_k", surface)):
            if not np.all(np.isfinite(value)) or np.any(value <= 0.0):
                raise InputError(f"{name} must be finite and > 0 K")
        self.temperature_k = temperature
        self._surface_k = surface
        n = temperature.shape[0]
        self.absorbed_j_m2 = np.zeros(n)
        self.emitted_j_m2 = np.zeros(n)
        self.geothermal_j_m2 = np.zeros(n)
        self.elapsed_s = 0.0
        self.newton_iterations = 0  # most iterations any column needed in the last step
        self._kirchhoff_sum = _NOT_AVERAGING
        self._averaged_s = 0.0

    @property
    def n_columns(self) -> int:
        """Number of columns."""
        return int(self.temperature_k.shape[0])

    @property
    def surface_k(self) -> np.ndarray:
        """Surface temperature of each column [K] (the skin at z = 0, of no heat capacity)."""
        return self._surface_k

    @classmethod
    def equilibrium(cls, layers: Layers, regolith: Regolith, mean_absorbed_w_m2) -> Columns:
        """Columns at the steady state of a constant absorbed flux: the standard spin-up
        start.

        The surface radiates what it absorbs plus the geothermal flux Q,
        eps sigma Ts^4 = mean + Q, and Q is carried up through every layer, dT/dz = Q / K
        (K with its T^3 term: the Kirchhoff temperature grows by Q times the resistance
        above each node). This is the model's own discrete steady state: under a constant
        ``mean_absorbed_w_m2`` :meth:`step` leaves it unchanged.

        Parameters
        ----------
        layers : Layers
        regolith : Regolith
        mean_absorbed_w_m2 : array_like
            (n_columns,) mean absorbed flux [W/m2], >= 0 (a scalar makes one column).

        Returns
        -------
        Columns
        """
        mean = np.atleast_1d(np.asarray(mean_absorbed_w_m2, dtype=float))
        if mean.ndim != 1:
            raise InputError(
                f"mean_absorbed_w_m2 must be 1-D (one per column), got shape {mean.shape}"
            )
        if not np.all(np.isfinite(mean)) or np.any(mean < 0.0):
            raise InputError("mean_absorbed_w_m2 must be finite and >= 0 W/m2")
        q = regolith.geothermal_flux_w_m2
        if np.any(mean + q <= 0.0):
            raise InputError("with no geothermal flux the mean absorbed flux must be > 0 W/m2")
        surface = ((mean + q) / (regolith.emissivity * STEFAN_BOLTZMANN_W_M2_K4)) ** 0.25
        u_surface = kirchhoff_k(surface, regolith.radiative_chi)
        u_layers = u_surface[:, None] + q * np.cumsum(1.0 / layers.link_w_m2_k)[None, :]
        return cls(_from_kirchhoff(u_layers, regolith.radiative_chi), surface)

    def step(self, layers: Layers, regolith: Regolith, absorbed_w_m2, dt_s: float) -> None:
        """Advance every column by ``dt_s`` (one backward Euler step), in place.

        Fully implicit finite volumes in enthalpy form: the surface radiates
        eps sigma Ts^4 at the end of the step, c(T) and K(T) are taken at the end of the
        step too, and Newton's method on each whole column (exact tridiagonal Jacobian)
        iterates until the last update is below 1e-3 K (what is left is ~1e-8 K), so the
        energy budget closes to round-off and steps of hours are stable.

        Parameters
        ----------
        layers : Layers
            The grid the columns were made for.
        regolith : Regolith
            Properties (emissivity, chi, geothermal flux).
        absorbed_w_m2 : array_like
            (n_columns,) flux absorbed by the surface at the end of the step [W/m2], >= 0:
            the incident flux already multiplied by (1 - albedo) by the caller (emission
            is the model's own, eps sigma Ts^4). A scalar applies to every column.
        dt_s : float
            Time step [s], > 0.
        """
        dt = float(dt_s) if np.isscalar(dt_s) and not isinstance(dt_s, str) else math.nan
        if not (math.isfinite(dt) and dt > 0.0):
            raise InputError(f"dt_s must be a finite number of seconds > 0, got {dt_s!r}")
        self._check_layers(layers)
        absorbed = np.asarray(absorbed_w_m2, dtype=np.float64)
        if absorbed.ndim == 0:
            absorbed = np.full(self.n_columns, float(absorbed))
        if absorbed.shape != (self.n_columns,):
            raise InputError(
                f"absorbed_w_m2 must have one value per column, shape ({self.n_columns},), "
                f"got {absorbed.shape}"
            )
        if not np.all(np.isfinite(absorbed)):
            raise InputError("absorbed_w_m2 must be finite (got NaN or infinity)")
        if np.any(absorbed < 0.0):
            raise InputError(f"absorbed_w_m2 must be >= 0 W/m2, got {absorbed.min()!r}")
        failures, most = _heat_kernel.step_columns(
            self.temperature_k,
            self._surface_k,
            np.ascontiguousarray(absorbed),
            dt,
            layers.mass_kg_m2,
            layers.link_w_m2_k,
            float(regolith.radiative_chi),
            float(regolith.emissivity) * STEFAN_BOLTZMANN_W_M2_K4,
            float(regolith.geothermal_flux_w_m2),
            _CP,
            self.absorbed_j_m2,
            self.emitted_j_m2,
            self.geothermal_j_m2,
            self._kirchhoff_sum,
            1 if self.n_columns < _THREADS_FROM_COLUMNS else 8 * numba.get_num_threads(),
            _MAX_NEWTON_ITERATIONS,
            _NEWTON_TOLERANCE_K,
        )
        self.elapsed_s += dt
        if self._kirchhoff_sum.shape[0] == self.n_columns:
            self._averaged_s += dt
        self.newton_iterations = int(most)
        if failures:
            raise InputError(
                f"the heat model did not converge in {failures} of {self.n_columns} columns "
                f"(counted in batches of {_heat_kernel.LANES}) with dt_s = {dt!r}: "
                "take shorter steps"
            )

    def start_period(self) -> None:
        """Start averaging the Kirchhoff temperatures for :meth:`settle` (from the next
        step on)."""
        self._kirchhoff_sum = np.zeros((self.n_columns, self.temperature_k.shape[1] + 1))
        self._averaged_s = 0.0

    def settle(self, layers: Layers, regolith: Regolith) -> None:
        """Speed up a spin-up under periodic forcing: call after one whole period stepped
        since :meth:`start_period`.

        In a periodic steady state the mean flux through every interface is the
        geothermal flux Q, so the time-mean Kirchhoff temperature of each node is that of
        the surface plus Q times the resistance above the node, exactly (in this
        discretization too). Each layer's Kirchhoff temperature is shifted by its
        departure from that mean profile. Deep layers, which would otherwise take
        hundreds of lunations to shed the heat of a warm start, land at once within a
        fraction of a kelvin of their periodic state; a few periods with a settle after
        each and one free period after the last give the periodic state.

        Heat is added or removed: take :meth:`snapshot` for an energy budget afterwards.
        """
        self._check_layers(layers)
        if self._kirchhoff_sum.shape[0] != self.n_columns or not self._averaged_s > 0.0:
            raise InputError("settle needs a period stepped since start_period()")
        chi = regolith.radiative_chi
        mean = self._kirchhoff_sum / self._averaged_s
        resistance = np.cumsum(1.0 / layers.link_w_m2_k)
        target = mean[:, :1] + regolith.geothermal_flux_w_m2 * resistance[None, :]
        shifted = kirchhoff_k(self.temperature_k, chi) + target - mean[:, 1:]
        self.temperature_k[...] = _from_kirchhoff(shifted, chi)
        self._kirchhoff_sum = _NOT_AVERAGING

    def _check_layers(self, layers: Layers) -> None:
        if layers.n_layers != self.temperature_k.shape[1]:
            raise InputError(
                f"the layers have {layers.n_layers} layers, "
                f"the columns {self.temperature_k.shape[1]}"
            )

    def stored_heat_j_m2(self, layers: Layers) -> np.ndarray:
        """Heat held by each column [J/m2]: sum over layers of mass times the enthalpy
        c(T) integrated exactly from 0 K (see :func:`enthalpy_j_kg`)."""
        self._check_layers(layers)
        return _heat_kernel.stored_heat(self.temperature_k, layers.mass_kg_m2, _CP)

    def snapshot(self, layers: Layers) -> EnergySnapshot:
        """The running totals and stored heat now (copies), for :func:`energy_budget`."""
        return EnergySnapshot(
            elapsed_s=self.elapsed_s,
            absorbed_j_m2=self.absorbed_j_m2.copy(),
            emitted_j_m2=self.emitted_j_m2.copy(),
            geothermal_j_m2=self.geothermal_j_m2.copy(),
            stored_j_m2=self.stored_heat_j_m2(layers),
        )


@dataclass(frozen=True, eq=False)
class DiurnalCurve:
    """One lunation of a flat surface in periodic steady state (:func:`flat_surface_run`).

    Attributes
    ----------
    latitude_deg : float
    local_time_h : numpy.ndarray
        (n_steps,) lunar local time of each sample [h], 0 (midnight) to 24, noon at 12.
    surface_k : numpy.ndarray
        (n_steps,) surface temperature [K].
    temperature_k : numpy.ndarray
        (n_steps, n_layers) layer temperatures [K], for depth profiles.
    layers : Layers
    budget : EnergyBudget
        The energy budget of the recorded lunation (one column).
    """

    latitude_deg: float
    local_time_h: np.ndarray
    surface_k: np.ndarray
    temperature_k: np.ndarray
    layers: Layers
    budget: EnergyBudget

    @property
    def max_k(self) -> np.ndarray:
        """Highest temperature of each layer over the lunation [K]."""
        return self.temperature_k.max(axis=0)

    @property
    def mean_k(self) -> np.ndarray:
        """Time-mean temperature of each layer over the lunation [K]."""
        return self.temperature_k.mean(axis=0)

    @property
    def min_k(self) -> np.ndarray:
        """Lowest temperature of each layer over the lunation [K]."""
        return self.temperature_k.min(axis=0)

    def surface_at(self, local_time_h) -> np.ndarray:
        """Surface temperature [K] at lunar local times [h] (linear, periodic)."""
        lt = np.asarray(local_time_h, dtype=float) % 24.0
        return np.interp(lt, self.local_time_h, self.surface_k, period=24.0)


def flat_surface_run(
    lat_deg: float,
    *,
    regolith: Regolith | None = None,
    hours_per_step: float = 1.0,
    lunations_spin_up: int = 6,
    free_lunations: int = 1,
    layers: Layers | None = None,
    solar_constant_w_m2: float = SOLAR_CONSTANT_W_M2,
    distance_au: float = 1.0,
) -> DiurnalCurve:
    """Temperatures of a flat surface at a latitude through one lunation.

    The Sun moves at the synodic rate with the Moon's obliquity ignored: the incidence
    angle is cos i = cos(lat) cos(hour angle), no light with the Sun below the horizon, and
    the absorbed flux S0 / r^2 (1 - A(i)) cos i. The column starts at the equilibrium of
    the lunation's mean absorbed flux (:meth:`Columns.equilibrium`), spins up
    ``lunations_spin_up`` lunations from local midnight, each but the last
    ``free_lunations`` followed by :meth:`Columns.settle`, then one more is recorded. The
    defaults reach the periodic state within 0.01 K at every depth (without settling, the
    deep layers would need hundreds of lunations).

    Parameters
    ----------
    lat_deg : float
        Latitude [deg], -90 to 90.
    regolith : Regolith, optional
        Defaults to Hayne et al. 2017's standard model.
    hours_per_step : float
        Time step [Earth hours, of 3600 s]; the lunation is cut into a whole number of
        steps of about this length.
    lunations_spin_up : int
        Lunations run before the recorded one.
    free_lunations : int
        How many of them, at the end, run without a settle.
    layers : Layers, optional
        The grid; :func:`layers_for` ``(regolith)`` by default.
    solar_constant_w_m2 : float
        Solar irradiance at 1 au [W/m2].
    distance_au : float
        Distance from the Sun [au].

    Returns
    -------
    DiurnalCurve
    """
    regolith = Regolith() if regolith is None else regolith
    try:
        lat = float(lat_deg)
    except (TypeError, ValueError):
        raise InputError(f"lat_deg must be a number, got {lat_deg!r}") from None
    if not (math.isfinite(lat) and -90.0 <= lat <= 90.0):
        raise InputError(f"lat_deg must lie in [-90, 90], got {lat_deg!r}")
    _check_positive(hours_per_step, "hours_per_step")
    _check_positive(solar_constant_w_m2, "solar_constant_w_m2")
    _check_positive(distance_au, "distance_au")
    for name, value in (
        ("lunations_spin_up", lunations_spin_up),
        ("free_lunations", free_lunations),
    ):
        if int(value) != value or value < 0:
            raise InputError(f"{name} must be a whole number >= 0, got {value!r}")
    layers = layers_for(regolith) if layers is None else layers
    n_steps = max(24, round(SYNODIC_MONTH_S / (hours_per_step * 3600.0)))
    dt = SYNODIC_MONTH_S / n_steps
    # Flux at the end of each step (backward Euler); step k ends at local time 24 (k+1)/n.
    local_time_end = 24.0 * np.arange(1, n_steps + 1) / n_steps
    hour_angle = np.radians(15.0 * (local_time_end - 12.0))
    cos_i = np.clip(math.cos(math.radians(lat)) * np.cos(hour_angle), 0.0, 1.0)
    incidence = np.degrees(np.arccos(cos_i))
    absorbed = solar_constant_w_m2 / distance_au**2 * cos_i * (1.0 - regolith.albedo(incidence))
    columns = Columns.equilibrium(layers, regolith, np.array([absorbed.mean()]))
    for lunation in range(int(lunations_spin_up)):
        settling = lunation < lunations_spin_up - free_lunations
        if settling:
            columns.start_period()
        for k in range(n_steps):
            columns.step(layers, regolith, absorbed[k : k + 1], dt)
        if settling:
            columns.settle(layers, regolith)
    start = columns.snapshot(layers)
    surface = np.empty(n_steps)
    temperature = np.empty((n_steps, layers.n_layers))
    for k in range(n_steps):
        surface[k] = columns.surface_k[0]  # sampled at local time 24 k / n
        temperature[k] = columns.temperature_k[0]
        columns.step(layers, regolith, absorbed[k : k + 1], dt)
    budget = energy_budget(start, columns.snapshot(layers))
    return DiurnalCurve(
        latitude_deg=lat,
        local_time_h=24.0 * np.arange(n_steps) / n_steps,
        surface_k=surface,
        temperature_k=temperature,
        layers=layers,
        budget=budget,
    )


def _check_positive(value, name: str) -> None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number, got {value!r}") from None
    if not (math.isfinite(number) and number > 0.0):
        raise InputError(f"{name} must be finite and > 0, got {value!r}")


def _temperatures(temperature_k) -> np.ndarray:
    t = np.asarray(temperature_k, dtype=float)
    if not np.all(np.isfinite(t)):
        raise InputError("temperatures must be finite (got NaN or infinity)")
    if np.any(t <= 0.0):
        raise InputError(f"temperatures must be > 0 K, got {t.min()!r}")
    return t
