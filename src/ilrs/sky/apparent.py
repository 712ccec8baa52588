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

_LIGHT_TIME_ITERATIONS = 3  # converged to far below a micrometre for Sun, Earth and planets


def apparent_position(
    target_state: StateFunction,
    observer_position_m: np.ndarray,
    observer_velocity_m_s: np.ndarray,
    tdb_s: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The target's apparent position seen by the observer, and the one-way light time.

    ``target_state(tdb_s)`` gives the target's barycentric position [m] and velocity [m/s],
    each of shape ``tdb_s.shape + (3,)``. The observer's barycentric position and velocity
    have shape ``S + tdb_s.shape + (3,)`` for any leading site shape ``S``; the target is
    evaluated once per time (at the light time averaged over sites) and moved along its
    velocity to each site's own light time, exact to second order in the few-millisecond
    spread. Returns the position [m], shape ``S + tdb_s.shape + (3,)``, and the light time [s].
    """
    tdb_s = np.asarray(tdb_s, dtype=float)
    site_axes = observer_position_m.ndim - tdb_s.ndim - 1
    light_time_mean_s = np.zeros(tdb_s.shape)
    for _ in range(_LIGHT_TIME_ITERATIONS):
        target_position_m, target_velocity_m_s = target_state(tdb_s - light_time_mean_s)
        relative_m = target_position_m - observer_position_m
        light_time_s = np.linalg.norm(relative_m, axis=-1) / SPEED_OF_LIGHT_M_S
        light_time_mean_s = (
            light_time_s.mean(axis=tuple(range(site_axes))) if site_axes else (light_time_s)
        )
    # Each site's own light time, from the target moved along its velocity.
    for _ in range(2):
        relative_m = (
            target_position_m
            - target_velocity_m_s * (light_time_s - light_time_mean_s)[..., None]
            - observer_position_m
        )
        light_time_s = np.linalg.norm(relative_m, axis=-1) / SPEED_OF_LIGHT_M_S
    return stellar_aberration(relative_m, observer_velocity_m_s), light_time_s


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
