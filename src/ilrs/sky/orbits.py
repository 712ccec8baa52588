"""Relay orbits about the Moon: Keplerian elements, a numerical propagator, built-in orbits.

Where is the relay (Queqiao-2 and its successors) at each instant, so that the environment
layer can tell when a south-pole site sees it? The orbit is given as osculating Keplerian
elements in the lunar equatorial inertial frame of its epoch (the MOON_ME axes frozen at
the epoch) and integrated numerically, Moon-centred, in ICRF axes, under

- the Moon's point mass (GM of DE421, the ephemeris the rest of the engine reads);
- the Moon's J2, about its true pole (the MOON_ME z-axis of the DE421 librations), the
  leading term that turns the orbit's node;
- the Earth and the Sun as third bodies, from DE421, indirect term included. For these
  high elliptical orbits the Earth is the largest perturbation by far (its secular rates
  are tens of times J2's at a 24 h period): it is what makes the eccentricity and the
  argument of perilune wander (the Lidov–Kozai mechanism), and what a *frozen* orbit is
  chosen against.

Not modelled: the Moon's gravity beyond J2 (C22, the mascons: felt during the low perilune
passes; their effect on these orbits has not been measured here), solar radiation
pressure, manoeuvres, relativity. It is meant for visibility planning, not for orbit
determination.

Example::

    from ilrs.sky import utc_range
    from ilrs.sky.orbits import builtin_orbits, propagate
    track = propagate(builtin_orbits()["queqiao-2-24h"],
                      utc_range("2026-01-01", "2026-01-08", "10min"))
    track.position_me_m  # (n, 3), Moon-fixed
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from ilrs.errors import InputError
from ilrs.sky.constants import MOON_RADIUS_M
from ilrs.sky.ephemeris import Ephemeris, default_ephemeris
from ilrs.sky.timescale import Times, as_times, parse_utc

__all__ = [
    "EARTH_GM_M3_S2",
    "FORCES",
    "MOON_GM_M3_S2",
    "MOON_J2",
    "MOON_J2_REFERENCE_RADIUS_M",
    "OrbitElements",
    "RelayTrack",
    "SUN_GM_M3_S2",
    "StationKeeping",
    "builtin_orbits",
    "elements_from_state",
    "moon_orbit_plane_axes",
    "perilune_hold_delta_v_m_s",
    "propagate",
    "state_from_elements",
    "station_keeping",
]

# GMs of JPL DE421 (Folkner, Williams & Boggs 2009, "The Planetary and Lunar Ephemeris
# DE 421", IPN Progress Report 42-178), the ephemeris the positions come from:
# 4902.800076, 398600.436233 and 132712440040.944 km^3/s^2 (their Earth/Moon ratio is
# DE421's EMRAT, 81.30056907).
MOON_GM_M3_S2 = 4.902800076e12
EARTH_GM_M3_S2 = 3.98600436233e14
SUN_GM_M3_S2 = 1.32712440040944e20

# The Moon's undistorted J2 and its reference radius as used by the JPL ephemerides DE430/431
# (Folkner, Williams, Boggs, Park & Kuchynka 2014, IPN Progress Report 42-196, table 11:
# J2 = 2.0321568464952570e-4, R = 1738.0 km); the GRAIL field GL0660B (Konopliv et al.
# 2013, doi:10.1002/jgre.20097) agrees within 0.1%. The ephemerides refer it to the
# principal axes, whose pole is 79" (4e-4 rad) from the MOON_ME pole used here (DE421's
# PA -> ME rotation): a tilt of the J2 field far below what the Earth's pull does.
MOON_J2 = 2.0321568464952570e-4
MOON_J2_REFERENCE_RADIUS_M = 1_738_000.0

FORCES = ("j2", "earth", "sun")

# The third bodies and the pole are tabulated at this step and interpolated (cubic
# Hermite in position and rate): the error is h^4/384 |x''''|, about 1 cm for the Earth
# seen from the Moon at one hour (tests/test_sky_orbits.py checks it against DE421).
TABLE_STEP_S = 3600.0

# rtol 1e-13: over a year of the 24 h orbit with every force the position differs by 15 m
# from a run at 1e-14 (160 m at 1e-12); the Keplerian energy holds to 1e-10 over ten orbits.
# A year then takes about 0.25 s.
DEFAULT_RELATIVE_TOLERANCE = 1e-13
_ABSOLUTE_TOLERANCE_M = 1e-6
_MAX_STEPS = 50_000_000


def _spaced(value_m: float) -> str:
    """1700000.0 -> '1 700 000' (the SI thousands separator, as the rest of the messages)."""
    return f"{value_m:,.0f}".replace(",", " ")


@dataclass(frozen=True)
class OrbitElements:
    """Osculating Keplerian elements of an orbit about the Moon at an epoch.

    Angles are in the lunar equatorial inertial frame of the epoch: the MOON_ME axes (the
    Moon's mean-Earth/polar axes, DE421 librations) frozen at ``epoch_utc``. So the
    inclination is to the lunar equator, and a perilune argument of 90 deg puts the perilune
    over the northern hemisphere and the apolune over the southern one.

    Parameters
    ----------
    semi_major_axis_m : float
        Semi-major axis [m].
    eccentricity : float
        Eccentricity, in [0, 1).
    inclination_deg : float
        Inclination to the lunar equator [degrees].
    raan_deg : float
        Right ascension of the ascending node, from the MOON_ME x-axis (towards the mean
        Earth) at the epoch [degrees].
    arg_perilune_deg : float
        Argument of perilune, from the ascending node [degrees].
    mean_anomaly_deg : float
        Mean anomaly at the epoch [degrees].
    epoch_utc : str
        The epoch, ISO 8601 UTC with ``Z``.
    """

    semi_major_axis_m: float
    eccentricity: float
    inclination_deg: float
    raan_deg: float
    arg_perilune_deg: float
    mean_anomaly_deg: float
    epoch_utc: str

    def __post_init__(self) -> None:
        for name in (
            "semi_major_axis_m",
            "eccentricity",
            "inclination_deg",
            "raan_deg",
            "arg_perilune_deg",
            "mean_anomaly_deg",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise InputError(f"orbit: {name} must be a number, got {value!r}")
            if not math.isfinite(value):
                raise InputError(f"orbit: {name} must be finite, got {value!r}")
            object.__setattr__(self, name, float(value))
        if not 0.0 <= self.eccentricity < 1.0:
            raise InputError(
                f"orbit: eccentricity {self.eccentricity:g} is outside [0, 1); "
                "only closed (elliptical or circular) orbits are propagated"
            )
        if self.semi_major_axis_m <= 0.0:
            raise InputError(
                f"orbit: semi_major_axis_m must be positive, got {self.semi_major_axis_m:g} m"
            )
        if not 0.0 <= self.inclination_deg <= 180.0:
            raise InputError(
                f"orbit: inclination_deg {self.inclination_deg:g} is outside [0, 180] degrees"
            )
        if self.perilune_radius_m < MOON_RADIUS_M:
            raise InputError(
                f"orbit: the perilune (radius {_spaced(self.perilune_radius_m)} m, from "
                f"semi_major_axis_m and eccentricity) is below the lunar surface "
                f"({_spaced(MOON_RADIUS_M)} m); raise the semi-major axis or lower the "
                "eccentricity"
            )
        if not isinstance(self.epoch_utc, str):
            raise InputError(
                f"orbit: epoch_utc must be an ISO 8601 UTC string, got {self.epoch_utc!r}"
            )
        parse_utc(self.epoch_utc, source="orbit epoch_utc")

    @classmethod
    def from_altitudes(
        cls,
        perilune_altitude_m: float,
        apolune_altitude_m: float,
        inclination_deg: float,
        raan_deg: float,
        arg_perilune_deg: float,
        mean_anomaly_deg: float,
        epoch_utc: str,
    ) -> OrbitElements:
        """Elements from the perilune and apolune altitudes [m] above the 1 737 400 m sphere,
        the way mission descriptions give them ("200 x 16 000 km")."""
        if not perilune_altitude_m <= apolune_altitude_m:
            raise InputError(
                f"orbit: apolune_altitude_m ({apolune_altitude_m:g} m) must be at least "
                f"perilune_altitude_m ({perilune_altitude_m:g} m)"
            )
        perilune_radius_m = MOON_RADIUS_M + perilune_altitude_m
        apolune_radius_m = MOON_RADIUS_M + apolune_altitude_m
        return cls(
            semi_major_axis_m=(perilune_radius_m + apolune_radius_m) / 2.0,
            eccentricity=(apolune_radius_m - perilune_radius_m)
            / (apolune_radius_m + perilune_radius_m),
            inclination_deg=inclination_deg,
            raan_deg=raan_deg,
            arg_perilune_deg=arg_perilune_deg,
            mean_anomaly_deg=mean_anomaly_deg,
            epoch_utc=epoch_utc,
        )

    @property
    def period_s(self) -> float:
        """Keplerian period about the Moon's point mass [s]."""
        return 2.0 * math.pi * math.sqrt(self.semi_major_axis_m**3 / MOON_GM_M3_S2)

    @property
    def perilune_radius_m(self) -> float:
        """Distance from the Moon's centre at perilune [m]."""
        return self.semi_major_axis_m * (1.0 - self.eccentricity)

    @property
    def apolune_radius_m(self) -> float:
        """Distance from the Moon's centre at apolune [m]."""
        return self.semi_major_axis_m * (1.0 + self.eccentricity)

    @property
    def epoch_tdb_s(self) -> float:
        """The epoch as TDB seconds past J2000."""
        return float(parse_utc(self.epoch_utc).tdb_s[0])


def builtin_orbits() -> dict[str, OrbitElements]:
    """The relay orbits of the reference scenario, by name, at 2026-01-01T00:00:00Z.

    ``queqiao-2-24h``: Queqiao-2's frozen elliptical orbit, about 200 x 16 000 km altitude,
    24 h period (24.3 h Keplerian with R = 1 737.4 km), inclination 62.4 deg, as reported
    after its launch on 2024-03-20 (shared/FACTS.md). ``queqiao-2-12h``: the 12 h orbit it
    is to move to for Chang'e-7 and -8, about 300 x 8 600 km in its designers' 2021 paper.

    Why the elements below are not simply "62.4 deg": at these heights the Earth's pull
    dominates, and it acts about the normal of the Moon's orbit plane, which is 6.6 deg from
    the lunar pole. Averaged, it leaves an orbit frozen (e and the perilune argument fixed,
    the node circling, once a year at 24 h) at perilune argument 90 or 270 deg and
    ``cos^2 i = 3/5 (1 - e^2)`` (Kozai 1962, AJ 67:591, doi:10.1086/108790), with i the
    inclination *to that plane*: 62.5 deg for e = 0.803, the published 62.4. Read as an
    inclination to the lunar equator instead, 62.4 deg is not frozen in this model (with the
    node on the Moon's orbit node e falls by 0.14 and the perilune argument swings 16 deg
    within the year, tests/test_sky_orbits.py measures both; with most other nodes the
    orbit hits the Moon within the year). So the 24 h orbit is set at 62.4 deg to the
    Moon's orbit plane (DE421, osculating at the epoch) and expressed here in the lunar
    equatorial frame the elements use; its inclination to the equator then swings between
    about 56 and 70 deg over the year as the node circles.

    Assumptions (not published as far as we found), to be replaced when known:

    - perilune argument 90 deg: the frozen value that puts the perilune in the north and
      the apolune, where the relay dwells, over the south;
    - the node: the relay's node on the Moon's orbit plane is put at one of the nodes of
      that plane on the lunar equator (RAAN 93.28 deg at the epoch, DE421), which makes the
      perilune argument 90 deg in both frames; of the two choices, the one whose perilune
      stays higher over 2026-2035 without manoeuvres (24 h: the descending one, lowest
      perilune altitude 43 km; the 12 h: the ascending one, lowest 265 km). The Earth's
      semi-monthly tide moves e by +-0.015 (+-150 km of perilune at 24 h), so the phase
      matters: a node a quarter turn away brings the 24 h orbit down within 4 days;
    - the 12 h orbit's inclination: 54.5 deg to the Moon's orbit plane, where e and the
      perilune argument stay closest to constant in this model (the formula above gives
      54.9 deg for e = 0.671; the Moon's J2, stronger at 12 h, shifts it);
    - mean anomaly 0 (at perilune) at the epoch: the phase along the orbit is arbitrary.
    """
    epoch_utc = "2026-01-01T00:00:00Z"
    return {
        # 62.4 deg to the Moon's orbit plane, node at its descending node on the equator.
        "queqiao-2-24h": OrbitElements.from_altitudes(
            perilune_altitude_m=200_000.0,
            apolune_altitude_m=16_000_000.0,
            inclination_deg=55.82,
            raan_deg=273.28,
            arg_perilune_deg=90.0,
            mean_anomaly_deg=0.0,
            epoch_utc=epoch_utc,
        ),
        # 54.5 deg to the Moon's orbit plane, node at its ascending node on the equator.
        "queqiao-2-12h": OrbitElements.from_altitudes(
            perilune_altitude_m=300_000.0,
            apolune_altitude_m=8_600_000.0,
            inclination_deg=61.08,
            raan_deg=93.28,
            arg_perilune_deg=90.0,
            mean_anomaly_deg=0.0,
            epoch_utc=epoch_utc,
        ),
    }


def moon_orbit_plane_axes(epoch_utc: str, ephemeris: Ephemeris | None = None) -> np.ndarray:
    """Axes of the Moon's orbit plane in the lunar equatorial frame of ``epoch_utc``.

    Columns: the ascending node of the Moon's (osculating, geocentric) orbit plane on the
    lunar equator, the in-plane direction 90 deg ahead, and the orbit normal. Multiply
    vectors given in orbit-plane axes by it to get the elements' frame: the frame in which
    the Earth's secular pull, and hence frozen orbits, are simplest.
    """
    ephemeris = ephemeris or default_ephemeris()
    tdb_s = parse_utc(epoch_utc, source="epoch_utc").tdb_s
    earth_m, earth_m_s = ephemeris.relative_state_m("earth", "moon", tdb_s)
    me_to_icrf, _ = ephemeris.moon_me_to_icrf(tdb_s)
    # The Earth's motion about the Moon has the normal of the Moon's about the Earth.
    normal = me_to_icrf[0].T @ np.cross(earth_m[0], earth_m_s[0])
    normal /= np.linalg.norm(normal)
    node = np.cross([0.0, 0.0, 1.0], normal)
    node /= np.linalg.norm(node)
    return np.stack([node, np.cross(normal, node), normal], axis=1)


def _kepler_eccentric_anomaly(mean_anomaly_rad: np.ndarray, eccentricity: float) -> np.ndarray:
    """Solve M = E - e sin E by Newton's method from E = M + e sin M (to 1e-15 rad)."""
    mean_anomaly_rad = np.asarray(mean_anomaly_rad, dtype=float)
    wrapped = np.remainder(mean_anomaly_rad + np.pi, 2.0 * np.pi) - np.pi
    anomaly = wrapped + eccentricity * np.sin(wrapped)
    for _ in range(50):
        change = (anomaly - eccentricity * np.sin(anomaly) - wrapped) / (
            1.0 - eccentricity * np.cos(anomaly)
        )
        anomaly = anomaly - change
        if np.all(np.abs(change) < 1e-15):
            break
    return anomaly + (mean_anomaly_rad - wrapped)


def _perifocal_to_frame(
    inclination_rad: float, raan_rad: float, arg_perilune_rad: float
) -> np.ndarray:
    """Columns: the perilune direction, the in-plane normal to it, the orbit normal,
    in the frame of the elements: R3(-RAAN) R1(-i) R3(-omega)."""
    cos_o, sin_o = math.cos(raan_rad), math.sin(raan_rad)
    cos_i, sin_i = math.cos(inclination_rad), math.sin(inclination_rad)
    cos_w, sin_w = math.cos(arg_perilune_rad), math.sin(arg_perilune_rad)
    return np.array(
        [
            [
                cos_o * cos_w - sin_o * sin_w * cos_i,
                -cos_o * sin_w - sin_o * cos_w * cos_i,
                sin_o * sin_i,
            ],
            [
                sin_o * cos_w + cos_o * sin_w * cos_i,
                -sin_o * sin_w + cos_o * cos_w * cos_i,
                -cos_o * sin_i,
            ],
            [sin_w * sin_i, cos_w * sin_i, cos_i],
        ]
    )


def state_from_elements(
    elements: OrbitElements, *, gm_m3_s2: float = MOON_GM_M3_S2
) -> tuple[np.ndarray, np.ndarray]:
    """Position [m] and velocity [m/s] at the epoch in the frame of the elements (the
    lunar equatorial inertial frame of the epoch), from the two-body relations."""
    a, e = elements.semi_major_axis_m, elements.eccentricity
    eccentric = float(_kepler_eccentric_anomaly(math.radians(elements.mean_anomaly_deg), e))
    root = math.sqrt(1.0 - e * e)
    radius = a * (1.0 - e * math.cos(eccentric))
    position_pqw = np.array([a * (math.cos(eccentric) - e), a * root * math.sin(eccentric), 0.0])
    rate = math.sqrt(gm_m3_s2 * a) / radius  # a dE/dt
    velocity_pqw = np.array([-rate * math.sin(eccentric), rate * root * math.cos(eccentric), 0.0])
    rotation = _perifocal_to_frame(
        math.radians(elements.inclination_deg),
        math.radians(elements.raan_deg),
        math.radians(elements.arg_perilune_deg),
    )
    return rotation @ position_pqw, rotation @ velocity_pqw


def elements_from_state(
    position_m: np.ndarray, velocity_m_s: np.ndarray, *, gm_m3_s2: float = MOON_GM_M3_S2
) -> dict[str, np.ndarray]:
    """Osculating elements of states (arrays (n, 3) or (3,)) in the states' own frame.

    Keys: ``semi_major_axis_m``, ``eccentricity``, ``inclination_deg``, ``raan_deg``,
    ``arg_perilune_deg``, ``mean_anomaly_deg``, ``true_anomaly_deg`` (angles in [0, 360)).
    For a circular orbit the perilune is put at the node, for an equatorial one the node
    on the x-axis: the angles that stay meaningful are then continuous.
    """
    r = np.atleast_2d(np.asarray(position_m, dtype=float))
    v = np.atleast_2d(np.asarray(velocity_m_s, dtype=float))
    radius = np.linalg.norm(r, axis=1)
    speed2 = np.einsum("ij,ij->i", v, v)
    momentum = np.cross(r, v)
    momentum_norm = np.linalg.norm(momentum, axis=1)
    energy = speed2 / 2.0 - gm_m3_s2 / radius
    semi_major_axis_m = -gm_m3_s2 / (2.0 * energy)
    eccentricity_vector = np.cross(v, momentum) / gm_m3_s2 - r / radius[:, None]
    eccentricity = np.linalg.norm(eccentricity_vector, axis=1)
    inclination = np.arccos(np.clip(momentum[:, 2] / momentum_norm, -1.0, 1.0))
    node = np.stack([-momentum[:, 1], momentum[:, 0], np.zeros(len(r))], axis=1)
    node_norm = np.linalg.norm(node, axis=1)
    equatorial = node_norm < 1e-12 * momentum_norm
    node[equatorial] = [1.0, 0.0, 0.0]
    node_norm[equatorial] = 1.0
    node_unit = node / node_norm[:, None]
    raan = np.arctan2(node_unit[:, 1], node_unit[:, 0])
    # Angles in the orbit plane, measured from the node towards the motion.
    normal_unit = momentum / momentum_norm[:, None]
    across = np.cross(normal_unit, node_unit)

    def in_plane_angle(vector: np.ndarray) -> np.ndarray:
        return np.arctan2(
            np.einsum("ij,ij->i", vector, across), np.einsum("ij,ij->i", vector, node_unit)
        )

    circular = eccentricity < 1e-12
    arg_perilune = np.where(circular, 0.0, in_plane_angle(eccentricity_vector))
    true_anomaly = in_plane_angle(r) - arg_perilune
    eccentric = 2.0 * np.arctan2(
        np.sqrt(np.clip(1.0 - eccentricity, 0.0, None)) * np.sin(true_anomaly / 2.0),
        np.sqrt(1.0 + eccentricity) * np.cos(true_anomaly / 2.0),
    )
    mean_anomaly = eccentric - eccentricity * np.sin(eccentric)
    return {
        "semi_major_axis_m": semi_major_axis_m,
        "eccentricity": eccentricity,
        "inclination_deg": np.degrees(inclination),
        "raan_deg": np.degrees(raan) % 360.0,
        "arg_perilune_deg": np.degrees(arg_perilune) % 360.0,
        "mean_anomaly_deg": np.degrees(mean_anomaly) % 360.0,
        "true_anomaly_deg": np.degrees(true_anomaly) % 360.0,
    }


@dataclass(frozen=True, eq=False)
class RelayTrack:
    """A propagated relay orbit.

    Attributes
    ----------
    times : Times
        The instants asked for.
    position_icrf_m, velocity_icrf_m_s : numpy.ndarray
        Moon-centred position [m] and velocity [m/s], ICRF (J2000) axes, shape (n, 3).
    position_me_m : numpy.ndarray
        Moon-centred position [m] in the Moon-fixed MOON_ME axes, shape (n, 3): what a site
        on the lunar surface needs to tell whether it sees the relay.
    elements : OrbitElements
        The elements it was propagated from.
    forces : tuple of str
        The perturbations included, beyond the Moon's point mass.
    epoch_frame_to_icrf : numpy.ndarray
        The matrix (3, 3) turning vectors of the elements' frame (MOON_ME at the epoch,
        from the ephemeris used) into ICRF.
    """

    times: Times
    position_icrf_m: np.ndarray
    velocity_icrf_m_s: np.ndarray
    position_me_m: np.ndarray
    elements: OrbitElements
    forces: tuple[str, ...] = ()
    epoch_frame_to_icrf: np.ndarray | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.times)

    def osculating_elements(self) -> dict[str, np.ndarray]:
        """Osculating two-body elements at each instant, in the lunar equatorial inertial
        frame of the elements' epoch (the frame the input elements are given in), so they
        compare directly with the input: ``semi_major_axis_m``, ``eccentricity``,
        ``inclination_deg``, ``raan_deg``, ``arg_perilune_deg``, plus ``mean_anomaly_deg``
        and ``true_anomaly_deg``; arrays of length n, angles in [0, 360)."""
        rotation = self.epoch_frame_to_icrf
        if rotation is None:
            rotation = _epoch_frame_to_icrf(self.elements, default_ephemeris())
        # Row vectors: v_epoch = R^T v_icrf, i.e. v_icrf @ R.
        return elements_from_state(
            self.position_icrf_m @ rotation, self.velocity_icrf_m_s @ rotation
        )


def _epoch_frame_to_icrf(elements: OrbitElements, ephemeris: Ephemeris) -> np.ndarray:
    """The matrix turning vectors of the elements' frame (MOON_ME at the epoch) into ICRF."""
    matrices, _ = ephemeris.moon_me_to_icrf(np.array([elements.epoch_tdb_s]))
    return matrices[0]


def _check_forces(forces) -> tuple[str, ...]:
    if isinstance(forces, str):
        forces = (forces,)
    if not isinstance(forces, Iterable):
        raise InputError(f"forces must be a collection of names among {FORCES}, got {forces!r}")
    chosen = []
    for name in forces:
        key = str(name).strip().lower()
        if key not in FORCES:
            raise InputError(
                f"unknown force {name!r}: choose any of {', '.join(FORCES)} "
                "(none at all for the Moon's point mass alone)"
            )
        if key not in chosen:
            chosen.append(key)
    return tuple(name for name in FORCES if name in chosen)


def _perturber_table(ephemeris: Ephemeris, start_tdb_s: float, end_tdb_s: float):
    """Earth and Sun (from the Moon) and the lunar pole, with rates, at uniform nodes about
    an hour apart that cover ``[start, end]`` with a node to spare at each end (where the
    kernels allow), as rows of the kernel's table; with the first node's time and the step."""
    span_start, span_end = ephemeris.span_tdb_s
    first = max(start_tdb_s - TABLE_STEP_S, span_start)
    last = min(end_tdb_s + TABLE_STEP_S, span_end)
    count = max(int(math.ceil((last - first) / TABLE_STEP_S)) + 1, 2)
    nodes = np.linspace(first, last, count)
    table = np.empty((count, 18))
    table[:, 0:3], table[:, 3:6] = ephemeris.relative_state_m("earth", "moon", nodes)
    table[:, 6:9], table[:, 9:12] = ephemeris.relative_state_m("sun", "moon", nodes)
    matrices, rates = ephemeris.moon_me_to_icrf(nodes)
    table[:, 12:15], table[:, 15:18] = matrices[:, :, 2], rates[:, :, 2]
    return np.ascontiguousarray(table), float(nodes[0]), float(nodes[1] - nodes[0])


def propagate(
    elements: OrbitElements,
    times,
    *,
    forces: Iterable[str] = FORCES,
    relative_tolerance: float = DEFAULT_RELATIVE_TOLERANCE,
    ephemeris: Ephemeris | None = None,
) -> RelayTrack:
    """Propagate an orbit about the Moon to the given instants.

    Parameters
    ----------
    elements : OrbitElements
        The osculating elements at their epoch.
    times
        The instants: anything :func:`ilrs.sky.as_times` accepts (a ``Times``, ISO UTC
        strings, datetimes); sorted, and may lie before or after the epoch.
    forces : collection of str
        Perturbations beyond the Moon's point mass, any of ``"j2"`` (the Moon's
        oblateness), ``"earth"``, ``"sun"`` (third bodies); ``()`` for a Keplerian orbit.
    relative_tolerance : float
        Local error allowed per step, relative to the radius and speed.
    ephemeris : Ephemeris, optional
        Where the Earth, Sun and Moon orientation come from (default: DE421).

    Returns
    -------
    RelayTrack
        Positions and velocities in ICRF axes and positions in MOON_ME axes.

    Raises
    ------
    InputError
        Unsorted times, an unknown force, a tolerance out of range, or an orbit that
        falls below the lunar surface within the span (the message gives when).
    TimeRangeError
        Times outside the ephemeris.
    """
    if not isinstance(elements, OrbitElements):
        raise InputError(f"elements must be an OrbitElements, got {type(elements).__name__}")
    times = as_times(times)
    chosen = _check_forces(forces)
    if not 1e-15 <= relative_tolerance <= 1e-3:
        raise InputError(
            f"relative_tolerance must lie in [1e-15, 1e-3], got {relative_tolerance!r}"
        )
    tdb_s = times.tdb_s
    if tdb_s.size == 0:
        raise InputError("no times given to propagate the orbit to")
    if not np.all(np.isfinite(tdb_s)) or np.any(np.diff(tdb_s) < 0):
        raise InputError("times must be sorted in increasing order (and finite)")
    ephemeris = ephemeris or default_ephemeris()
    epoch_tdb_s = elements.epoch_tdb_s
    start_tdb_s = min(epoch_tdb_s, float(tdb_s[0]))
    end_tdb_s = max(epoch_tdb_s, float(tdb_s[-1]))
    ephemeris.check_span(np.array([start_tdb_s, end_tdb_s]))

    from ilrs.sky import _orbit_kernel as kernel  # loads numba only when an orbit is flown

    frame_to_icrf = _epoch_frame_to_icrf(elements, ephemeris)
    position_m, velocity_m_s = state_from_elements(elements)
    state0 = np.concatenate([frame_to_icrf @ position_m, frame_to_icrf @ velocity_m_s])
    flags = 0
    for name, bit in (
        ("j2", kernel.FORCE_J2),
        ("earth", kernel.FORCE_EARTH),
        ("sun", kernel.FORCE_SUN),
    ):
        if name in chosen:
            flags |= bit
    if flags:
        table, table_t0_s, step_s = _perturber_table(ephemeris, start_tdb_s, end_tdb_s)
    else:
        table, table_t0_s, step_s = np.zeros((2, kernel.TABLE_COLUMNS)), epoch_tdb_s, 1.0
    params = np.array(
        [
            MOON_GM_M3_S2,
            MOON_J2 * MOON_J2_REFERENCE_RADIUS_M**2,
            EARTH_GM_M3_S2,
            SUN_GM_M3_S2,
            MOON_RADIUS_M,
        ]
    )
    relative_s = tdb_s - epoch_tdb_s
    states = np.empty((tdb_s.size, 6))
    after = relative_s >= 0.0
    # Forward from the epoch to the later times, backward to the earlier ones (reversed).
    for mask, reverse in ((after, False), (~after, True)):
        if not np.any(mask):
            continue
        targets = relative_s[mask][::-1] if reverse else relative_s[mask]
        out = np.empty((targets.size, 6))
        status, reached_s, _ = kernel.integrate(
            state0,
            np.ascontiguousarray(targets),
            params,
            flags,
            table,
            table_t0_s - epoch_tdb_s,
            step_s,
            relative_tolerance,
            _ABSOLUTE_TOLERANCE_M,
            _MAX_STEPS,
            out,
        )
        if status == kernel.STATUS_IMPACT:
            (when,) = Times([epoch_tdb_s + reached_s]).utc_iso()
            raise InputError(
                f"orbit: the relay reaches the lunar surface ({_spaced(MOON_RADIUS_M)} m) at "
                f"{when}: the perturbations lower its perilune within the span; choose a "
                "frozen orbit or a shorter span"
            )
        if status != kernel.STATUS_OK:
            (when,) = Times([epoch_tdb_s + reached_s]).utc_iso()
            raise InputError(
                f"orbit: the integration could not continue past {when} "
                "(too many steps); loosen relative_tolerance or shorten the span"
            )
        states[mask] = out[::-1] if reverse else out
    me_to_icrf, _ = ephemeris.moon_me_to_icrf(tdb_s)
    position_icrf_m = states[:, :3].copy()
    position_me_m = np.einsum("nji,nj->ni", me_to_icrf, position_icrf_m)
    return RelayTrack(
        times=times,
        position_icrf_m=position_icrf_m,
        velocity_icrf_m_s=states[:, 3:].copy(),
        position_me_m=position_me_m,
        elements=elements,
        forces=chosen,
        epoch_frame_to_icrf=frame_to_icrf,
    )


def perilune_hold_delta_v_m_s(elements: OrbitElements, eccentricity_change: float) -> float:
    """Velocity change [m/s] that undoes an eccentricity change at a fixed semi-major axis.

    The perturbations of these orbits (the Earth's tide above all) leave the semi-major axis
    alone on average and move the eccentricity: a rise by ``de`` lowers the perilune by
    ``a de`` and raises the apolune by as much. Two small tangential burns put both back: one
    at apolune raises the perilune, one at perilune lowers the apolune. From the vis-viva
    equation, a tangential ``dv`` at apolune moves the perilune by
    ``dr_p = 4 a (1 - e) dv / ((1 + e) v_a)``; with ``r_p v_p = r_a v_a`` that needs
    ``dv_a = v_p de / 4``, and likewise ``dv_p = v_a de / 4`` at perilune, so

        dv = (v_p + v_a) |de| / 4,

    to first order in ``de`` (Vallado, *Fundamentals of Astrodynamics and Applications*,
    4th ed., sec. 6.3, for the tangential-burn relations).

    Parameters
    ----------
    elements : OrbitElements
        The orbit to hold (its semi-major axis and eccentricity).
    eccentricity_change : float
        The drift to undo [dimensionless]; its sign does not matter.
    """
    mu = MOON_GM_M3_S2
    a_m, e = elements.semi_major_axis_m, elements.eccentricity
    perilune_speed_m_s = math.sqrt(mu / a_m * (1.0 + e) / (1.0 - e))
    apolune_speed_m_s = math.sqrt(mu / a_m * (1.0 - e) / (1.0 + e))
    return (perilune_speed_m_s + apolune_speed_m_s) * abs(eccentricity_change) / 4.0


# The Earth's tide on a lunar orbit swings its eccentricity twice a synodic month; the
# secular drift a station keeper must answer shows once that swing is averaged out.
SEMI_MONTH_S = 29.530589 * 86400.0 / 2.0
_SAMPLES_PER_REVOLUTION = 24  # for the lowest perilune: each passage seen within 15°


@dataclass(frozen=True)
class StationKeeping:
    """What holding an orbit's perilune costs over a span, from :func:`station_keeping`.

    Attributes
    ----------
    floor_delta_v_m_s_per_year : float
        Velocity change a year [m/s/yr] to keep the perilune from sinking below its value
        at the start: burns of ``(v_p + v_a) de / 4`` that take back each rise of the
        eccentricity averaged over the semi-monthly tide beyond its starting value (falls
        give margin for later rises), summed over the span. The figure to plan with.
    restore_delta_v_m_s_per_year : float
        Velocity change a year [m/s/yr] to restore the eccentricity every revolution,
        semi-monthly tide included: an upper bound, not a strategy anyone would fly.
    lowest_perilune_altitude_m : float
        Lowest osculating perilune altitude over the span without manoeuvres [m], from
        samples every 1/24 of a revolution.
    start_perilune_altitude_m : float
        The lowest osculating perilune altitude of the span's first half synodic month [m]:
        where the orbit starts, on the same samples as the lowest.
    revolutions : int
        Revolutions summed.
    """

    floor_delta_v_m_s_per_year: float
    restore_delta_v_m_s_per_year: float
    lowest_perilune_altitude_m: float
    revolutions: int
    start_perilune_altitude_m: float = math.nan  # lowest of the first half synodic month


def station_keeping(
    elements: OrbitElements,
    start_utc: str,
    end_utc: str,
    *,
    forces: Iterable[str] = FORCES,
    ephemeris: Ephemeris | None = None,
) -> StationKeeping:
    """Velocity change a year to hold an orbit's perilune against the modelled forces.

    The orbit is flown free (no manoeuvre is modelled by :func:`propagate`: the relay
    tracks of the station and campaign are *unmaintained* orbits). The eccentricity is
    averaged over each half synodic month (the Earth's tide swings it at that period, and
    no one fights that swing), and the burns that keep it from rising above its starting
    value are summed (see :class:`StationKeeping`). Over a span shorter than the orbit's
    slow (Lidov–Kozai) cycle the yearly figure depends on where in that cycle the span
    lies. Spans of at least a month (two tide periods) are needed.
    """
    start_tdb_s = float(parse_utc(start_utc, source="start_utc").tdb_s[0])
    end_tdb_s = float(parse_utc(end_utc, source="end_utc").tdb_s[0])
    period_s = elements.period_s
    if end_tdb_s - start_tdb_s < 2.0 * SEMI_MONTH_S:
        raise InputError(
            f"station keeping: the span {start_utc} .. {end_utc} must hold at least two "
            f"half synodic months ({2.0 * SEMI_MONTH_S / 86400.0:.1f} days), over which the "
            "tide's swing of the eccentricity averages out"
        )
    step_s = period_s / _SAMPLES_PER_REVOLUTION
    tdb_s = np.arange(start_tdb_s, end_tdb_s + 1.0, step_s)
    track = propagate(elements, Times(tdb_s), forces=forces, ephemeris=ephemeris)
    osculating = track.osculating_elements()
    eccentricity = osculating["eccentricity"]
    perilune_m = osculating["semi_major_axis_m"] * (1.0 - eccentricity) - MOON_RADIUS_M
    per_revolution = eccentricity[::_SAMPLES_PER_REVOLUTION]
    total_m_s = sum(
        perilune_hold_delta_v_m_s(elements, change) for change in np.diff(per_revolution)
    )
    years = (tdb_s[-1] - tdb_s[0]) / (365.25 * 86400.0)
    windows = np.floor((tdb_s - tdb_s[0]) / SEMI_MONTH_S).astype(int)
    whole = windows < windows.max()  # the last, partial window would bias the fit
    counts = np.bincount(windows[whole])
    mean_e = np.bincount(windows[whole], weights=eccentricity[whole]) / counts
    mean_t_s = np.bincount(windows[whole], weights=tdb_s[whole]) / counts
    # The floor strategy on the tide-averaged eccentricity: the orbit keeps the natural
    # changes (first order: the same for the held orbit as for the free one), a burn takes
    # back whatever would lift it above its value at the start, and falls give margin.
    held_e, burned_e = float(mean_e[0]), 0.0
    for change in np.diff(mean_e):
        held_e += float(change)
        if held_e > mean_e[0]:
            burned_e += held_e - float(mean_e[0])
            held_e = float(mean_e[0])
    span_years = (mean_t_s[-1] - mean_t_s[0]) / (365.25 * 86400.0)
    return StationKeeping(
        floor_delta_v_m_s_per_year=perilune_hold_delta_v_m_s(elements, burned_e)
        / max(span_years, 1e-9),
        restore_delta_v_m_s_per_year=float(total_m_s / years),
        lowest_perilune_altitude_m=float(perilune_m.min()),
        revolutions=int(per_revolution.size - 1),
        start_perilune_altitude_m=float(perilune_m[windows == 0].min()),
    )
