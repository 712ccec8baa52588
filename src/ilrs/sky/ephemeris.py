"""Positions of the bodies and the orientation of the Moon, vectorised over time.

Reads the JPL SPK (Chebyshev type 2 segments) and the binary lunar PCK (their file
structure with ``jplephem``, the polynomials with :mod:`ilrs.sky.chebyshev`),
and follows the text frame kernels from MOON_ME down to the PCK frame MOON_PA_DE421.
Vectors are in metres (and m/s) in the ICRF-aligned J2000 frame of the DE ephemerides.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import numpy as np
from jplephem.pck import PCK
from jplephem.spk import SPK

from ilrs.errors import TimeRangeError, UnknownNameError
from ilrs.sky.chebyshev import ChebyshevSegment
from ilrs.sky.constants import NAIF_ID
from ilrs.sky.kernels import KernelSet, default_kernels, frame_chain_to_pck, read_text_kernel
from ilrs.sky.timescale import Times

__all__ = ["Ephemeris", "default_ephemeris", "naif_id"]

_KM_M = 1000.0


def naif_id(body: str) -> int:
    """The NAIF id of a body by name (``"sun"``, ``"earth"``, ...), case-insensitive."""
    key = body.strip().lower()
    if key not in NAIF_ID:
        raise UnknownNameError(f"unknown body {body!r}; known bodies: {', '.join(NAIF_ID)}")
    return NAIF_ID[key]


class Ephemeris:
    """Body states from an SPK and the Moon's MOON_ME orientation from a lunar PCK."""

    def __init__(self, kernels: KernelSet | None = None):
        self.kernels = kernels or default_kernels()
        self._spk = SPK.open(str(self.kernels.spk))
        self._spk_segments = {
            (s.center, s.target): ChebyshevSegment.from_jplephem(s) for s in self._spk.segments
        }
        variables: dict[str, list] = {}
        for path in self.kernels.frame_kernels:
            variables.update(read_text_kernel(path))
        pck_frame_id, self._pck_to_me = frame_chain_to_pck("MOON_ME", variables)
        pck = PCK.open(str(self.kernels.moon_pck))
        self._pck_segment = ChebyshevSegment.from_jplephem(
            next(s for s in pck.segments if s.body == pck_frame_id)
        )
        self._span_tdb_s = self._common_span()

    @property
    def span_tdb_s(self) -> tuple[float, float]:
        """First and last TDB second past J2000 that every kernel used covers."""
        return self._span_tdb_s

    def _common_span(self) -> tuple[float, float]:
        used = [self._pck_segment]
        for body in ("sun", "earth", "moon"):
            used += [self._spk_segments[key] for key in self._chain(NAIF_ID[body])]
        return max(s.span_s[0] for s in used), min(s.span_s[1] for s in used)

    def check_span(self, tdb_s: np.ndarray) -> None:
        """Raise :class:`TimeRangeError` naming the first time outside the kernels' span."""
        start, end = self._span_tdb_s
        outside = (tdb_s < start) | (tdb_s > end) | ~np.isfinite(tdb_s)
        if np.any(outside):
            first = float(np.asarray(tdb_s)[outside][0])
            (first_text,) = Times([first]).utc_iso() if np.isfinite(first) else ("NaN",)
            valid = Times([start, end]).utc_iso()
            raise TimeRangeError(
                f"time {first_text} is outside the span of the ephemeris kernels "
                f"({self.kernels.spk.name}, {self.kernels.moon_pck.name}): "
                f"valid from {valid[0]} to {valid[1]}"
            )

    def _chain(self, target: int) -> list[tuple[int, int]]:
        """SPK segment keys from the solar-system barycentre (0) out to ``target``."""
        by_target = {t: (c, t) for (c, t) in self._spk_segments}
        chain: list[tuple[int, int]] = []
        body = target
        while body != 0:
            if body not in by_target:
                raise UnknownNameError(
                    f"body {target} is not in the ephemeris {self.kernels.spk.name}"
                )
            chain.append(by_target[body])
            body = by_target[body][0]
        return chain[::-1]

    def state_m(self, body: str | int, tdb_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Position [m] and velocity [m/s] of ``body`` from the solar-system barycentre.

        Arrays of shape ``tdb_s.shape + (3,)``.
        """
        target = naif_id(body) if isinstance(body, str) else int(body)
        return self._sum_segments(self._chain(target), tdb_s)

    def relative_state_m(
        self, body: str | int, center: str | int, tdb_s: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Position [m] and velocity [m/s] of ``body`` relative to ``center`` (geometric)."""
        body_pos, body_vel = self.state_m(body, tdb_s)
        center_pos, center_vel = self.state_m(center, tdb_s)
        return body_pos - center_pos, body_vel - center_vel

    def _sum_segments(self, keys: Iterable[tuple[int, int]], tdb_s: np.ndarray):
        tdb_s = np.asarray(tdb_s, dtype=float)
        flat = tdb_s.ravel()
        position_km = np.zeros((flat.size, 3))
        velocity_km_s = np.zeros((flat.size, 3))
        for key in keys:
            position, velocity = self._spk_segments[key].evaluate(flat)
            position_km += position
            velocity_km_s += velocity
        shape = tdb_s.shape + (3,)
        return (position_km * _KM_M).reshape(shape), (velocity_km_s * _KM_M).reshape(shape)

    def moon_me_to_icrf(self, tdb_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Matrices turning MOON_ME vectors into J2000 (ICRF) vectors, and their rates [1/s].

        Shapes ``tdb_s.shape + (3, 3)``. The PCK's Euler angles (phi, theta, psi) give
        J2000 -> MOON_PA as ``[psi]_3 [theta]_1 [phi]_3`` (SPICE PCK required reading).
        """
        tdb_s = np.asarray(tdb_s, dtype=float)
        angles, rates = (array.T for array in self._pck_segment.evaluate(tdb_s.ravel()))
        # psi grows past 4000 rad; reduced, the +-step below keeps its full precision.
        angles = np.mod(angles, 2 * np.pi)
        icrf_to_pa = _euler_313(angles)
        # The rate by a central difference along the angles' own rates: over +-10 s the
        # Moon turns 3e-5 rad, so the truncation error is 1e-10 of the rate (the 4.6 m/s of
        # an equatorial site to 5e-10 m/s), far below anything the rate feeds.
        step_s = 10.0
        icrf_to_pa_rate = (
            _euler_313(angles + rates * step_s) - _euler_313(angles - rates * step_s)
        ) / (2 * step_s)
        # Component-major (3, 3, N) arrays: the constant PA -> ME product is one BLAS call.
        icrf_to_me = np.tensordot(self._pck_to_me, icrf_to_pa, axes=1)
        icrf_to_me_rate = np.tensordot(self._pck_to_me, icrf_to_pa_rate, axes=1)
        shape = tdb_s.shape + (3, 3)
        # MOON_ME -> ICRF is the transpose: element [i, j] of it is [j, i] of ICRF -> ME.
        me_to_icrf = np.moveaxis(icrf_to_me, (0, 1), (-1, -2)).reshape(shape)
        me_to_icrf_rate = np.moveaxis(icrf_to_me_rate, (0, 1), (-1, -2)).reshape(shape)
        return me_to_icrf, me_to_icrf_rate


def _euler_313(angles: np.ndarray) -> np.ndarray:
    """``[psi]_3 [theta]_1 [phi]_3`` for angles ``(phi, theta, psi)`` of shape (3, N), written
    out element by element (shape (3, 3, N)): far faster than stacked matrix products."""
    phi, theta, psi = angles
    cos_phi, sin_phi = np.cos(phi), np.sin(phi)
    cos_theta, sin_theta = np.cos(theta), np.sin(theta)
    cos_psi, sin_psi = np.cos(psi), np.sin(psi)
    matrix = np.empty((3, 3) + phi.shape)
    matrix[0, 0] = cos_psi * cos_phi - sin_psi * cos_theta * sin_phi
    matrix[0, 1] = cos_psi * sin_phi + sin_psi * cos_theta * cos_phi
    matrix[0, 2] = sin_psi * sin_theta
    matrix[1, 0] = -sin_psi * cos_phi - cos_psi * cos_theta * sin_phi
    matrix[1, 1] = -sin_psi * sin_phi + cos_psi * cos_theta * cos_phi
    matrix[1, 2] = cos_psi * sin_theta
    matrix[2, 0] = sin_theta * sin_phi
    matrix[2, 1] = -sin_theta * cos_phi
    matrix[2, 2] = cos_theta
    return matrix


@functools.lru_cache(maxsize=1)
def default_ephemeris() -> Ephemeris:
    """The embedded default ephemeris (DE421 and its lunar librations), opened once."""
    return Ephemeris()
