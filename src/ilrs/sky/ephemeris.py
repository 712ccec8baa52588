"""Positions of the bodies and the orientation of the Moon, vectorised over time.

Reads the JPL SPK (Chebyshev type 2 segments) and the binary lunar PCK with ``jplephem``,
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
from ilrs.sky.constants import J2000_JD, NAIF_ID, SECONDS_PER_DAY
from ilrs.sky.kernels import KernelSet, default_kernels, frame_chain_to_pck, read_text_kernel
from ilrs.sky.rotation import frame_rotation, frame_rotation_derivative
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
        self._spk_segments = {(s.center, s.target): s for s in self._spk.segments}
        variables: dict[str, list] = {}
        for path in self.kernels.frame_kernels:
            variables.update(read_text_kernel(path))
        pck_frame_id, self._pck_to_me = frame_chain_to_pck("MOON_ME", variables)
        pck = PCK.open(str(self.kernels.moon_pck))
        self._pck_segment = next(s for s in pck.segments if s.body == pck_frame_id)
        self._span_tdb_s = self._common_span()

    @property
    def span_tdb_s(self) -> tuple[float, float]:
        """First and last TDB second past J2000 that every kernel used covers."""
        return self._span_tdb_s

    def _common_span(self) -> tuple[float, float]:
        used = [self._pck_segment]
        for body in ("sun", "earth", "moon"):
            used += [self._spk_segments[key] for key in self._chain(NAIF_ID[body])]
        # jplephem's SPK segments give the span in Julian days, its PCK segments in seconds.
        starts = [(s.start_jd - J2000_JD) * SECONDS_PER_DAY for s in used[1:]]
        ends = [(s.end_jd - J2000_JD) * SECONDS_PER_DAY for s in used[1:]]
        return (
            max(starts + [used[0].initial_second]),
            min(ends + [used[0].final_second]),
        )

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
        days = tdb_s.ravel() / SECONDS_PER_DAY
        position_km = np.zeros((3, days.size))
        velocity_km_day = np.zeros((3, days.size))
        for key in keys:
            pos, vel = self._spk_segments[key].compute_and_differentiate(J2000_JD, days)
            position_km += pos
            velocity_km_day += vel
        shape = tdb_s.shape + (3,)
        position_m = (position_km * _KM_M).T.reshape(shape)
        velocity_m_s = (velocity_km_day * (_KM_M / SECONDS_PER_DAY)).T.reshape(shape)
        return position_m, velocity_m_s

    def moon_me_to_icrf(self, tdb_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Matrices turning MOON_ME vectors into J2000 (ICRF) vectors, and their rates [1/s].

        Shapes ``tdb_s.shape + (3, 3)``. The PCK's Euler angles (phi, theta, psi) give
        J2000 -> MOON_PA as ``[psi]_3 [theta]_1 [phi]_3`` (SPICE PCK required reading).
        """
        tdb_s = np.asarray(tdb_s, dtype=float)
        angles, rates = self._pck_segment.compute(
            J2000_JD, tdb_s.ravel() / SECONDS_PER_DAY, derivative=True
        )
        phi, theta, psi = angles
        rot_psi, rot_theta, rot_phi = (
            frame_rotation(psi, 3),
            frame_rotation(theta, 1),
            frame_rotation(phi, 3),
        )
        d_psi, d_theta, d_phi = (
            frame_rotation_derivative(psi, 3),
            frame_rotation_derivative(theta, 1),
            frame_rotation_derivative(phi, 3),
        )
        icrf_to_pa = rot_psi @ rot_theta @ rot_phi
        icrf_to_pa_rate = (
            d_psi @ rot_theta @ rot_phi * rates[2][:, None, None]
            + rot_psi @ d_theta @ rot_phi * rates[1][:, None, None]
            + rot_psi @ rot_theta @ d_phi * rates[0][:, None, None]
        )
        icrf_to_me = self._pck_to_me @ icrf_to_pa
        icrf_to_me_rate = self._pck_to_me @ icrf_to_pa_rate
        shape = tdb_s.shape + (3, 3)
        me_to_icrf = np.swapaxes(icrf_to_me, -1, -2).reshape(shape)
        me_to_icrf_rate = np.swapaxes(icrf_to_me_rate, -1, -2).reshape(shape)
        return me_to_icrf, me_to_icrf_rate


@functools.lru_cache(maxsize=1)
def default_ephemeris() -> Ephemeris:
    """The embedded default ephemeris (DE421 and its lunar librations), opened once."""
    return Ephemeris()
