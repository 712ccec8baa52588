"""Apparent positions: light time and stellar aberration (SPICE's ``LT+S``, converged).

References: SPICE ``spkapo``/``stelab`` required reading (NAIF); Explanatory Supplement to
the Astronomical Almanac, 3rd ed. (2013), section 7.2.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ilrs.sky.constants import SPEED_OF_LIGHT_M_S

__all__ = ["apparent_position", "stellar_aberration"]

StateFunction = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


def apparent_position(
    target_state: StateFunction,
    observer_position_m: np.ndarray,
    observer_velocity_m_s: np.ndarray,
    tdb_s: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The target's apparent position seen by the observer, and the one-way light time.

    ``target_state(tdb_s)`` gives the target's barycentric position [m] and velocity [m/s],
    each of shape ``tdb_s.shape + (3,)``. The observer's barycentric position and velocity
    have shape ``S + tdb_s.shape + (3,)`` for any leading site shape ``S``.

    The light time converges on the target moved along its velocity from the reception
    time, then once more on an exact evaluation at the emission time (averaged over sites),
    so the ephemeris is read twice per call. What is left is the target's acceleration
    over the spread of light times between the two readings: below a micrometre for the
    Sun, the Earth and the planets. Returns the position [m], shape ``S + tdb_s.shape +
    (3,)``, and the light time [s].
    """
    tdb_s = np.asarray(tdb_s, dtype=float)
    site_axes = tuple(range(observer_position_m.ndim - tdb_s.ndim - 1))
    position_m, velocity_m_s = target_state(tdb_s)
    light_time_s = _converge(position_m, velocity_m_s, observer_position_m, 0.0)
    emission_offset_s = light_time_s.mean(axis=site_axes) if site_axes else light_time_s
    position_m, velocity_m_s = target_state(tdb_s - emission_offset_s)
    light_time_s = _converge(position_m, velocity_m_s, observer_position_m, emission_offset_s)
    relative_m = (
        position_m
        - velocity_m_s * (light_time_s - emission_offset_s)[..., None]
        - observer_position_m
    )
    return stellar_aberration(relative_m, observer_velocity_m_s), light_time_s


def _converge(position_m, velocity_m_s, observer_position_m, offset_s, iterations: int = 3):
    """Light time for a target at ``position_m`` at ``tdb - offset_s``, moving linearly."""
    light_time_s = np.linalg.norm(position_m - observer_position_m, axis=-1) / SPEED_OF_LIGHT_M_S
    for _ in range(iterations):
        relative_m = (
            position_m - velocity_m_s * (light_time_s - offset_s)[..., None] - observer_position_m
        )
        light_time_s = np.linalg.norm(relative_m, axis=-1) / SPEED_OF_LIGHT_M_S
    return light_time_s


def stellar_aberration(position_m: np.ndarray, observer_velocity_m_s: np.ndarray) -> np.ndarray:
    """Rotate ``position_m`` towards the observer's velocity by the aberration angle.

    The angle is ``asin(|u × v/c|)`` for the unit vector ``u`` of the position, as SPICE's
    ``stelab``; the length is unchanged.
    """
    unit = position_m / np.linalg.norm(position_m, axis=-1, keepdims=True)
    axis = np.cross(unit, observer_velocity_m_s / SPEED_OF_LIGHT_M_S)
    sin_angle = np.linalg.norm(axis, axis=-1, keepdims=True)
    safe = np.where(sin_angle > 0, sin_angle, 1.0)
    axis_unit = axis / safe
    angle = np.arcsin(np.clip(sin_angle, 0.0, 1.0))
    # Rodrigues' rotation of the position about axis_unit by angle.
    cos, sin = np.cos(angle), np.sin(angle)
    cross = np.cross(axis_unit, position_m)
    along = np.sum(axis_unit * position_m, axis=-1, keepdims=True) * axis_unit
    return position_m * cos + cross * sin + along * (1.0 - cos)
