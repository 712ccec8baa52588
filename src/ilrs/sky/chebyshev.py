"""Chebyshev segments of SPICE kernels (SPK and binary PCK type 2), evaluated by a compiled
loop over epochs.

A type 2 segment is a run of equal-length records, each ``[MID, RADIUS, c_0..c_{n-1} of
component 1, ... of component 3]``, followed by ``INIT, INTLEN, RSIZE, N`` (SPK required
reading, "Type 2: Chebyshev (position only)"). The file structure is read with jplephem's
DAF reader; the polynomials are summed here. Long time series go to a numba loop over
epochs that reads each record in place instead of gathering large temporary arrays (4x
faster than the numpy gather at 10^5 epochs); short ones stay in numpy, so that a single
query does not wait for numba to load (about a second).
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["COMPILED_THRESHOLD_EPOCHS", "ChebyshevSegment"]

COMPILED_THRESHOLD_EPOCHS = 5_000  # from here on the compiled loop pays for its loading


class ChebyshevSegment:
    """The records of one type 2 segment, ready for fast evaluation."""

    def __init__(self, daf, start_i: int, end_i: int, span_s: tuple[float, float]):
        self.span_s = span_s  # the coverage the segment's descriptor declares
        init_s, interval_s, record_size, record_count = daf.read_array(end_i - 3, end_i)
        self.init_s = float(init_s)
        self.interval_s = float(interval_s)
        self.records = np.ascontiguousarray(
            daf.map_array(start_i, end_i - 4).reshape(int(record_count), int(record_size))
        )
        self.coefficient_count = (int(record_size) - 2) // 3

    @classmethod
    def from_jplephem(cls, segment) -> ChebyshevSegment:
        """Wrap a jplephem SPK or PCK segment of data type 2."""
        if segment.data_type != 2:
            raise ValueError(f"segment data type {segment.data_type}; only type 2 is read")
        if hasattr(segment, "start_second"):  # SPK
            span_s = (segment.start_second, segment.end_second)
        else:  # binary PCK
            span_s = (segment.initial_second, segment.final_second)
        return cls(
            segment.daf, segment.start_i, segment.end_i, (float(span_s[0]), float(span_s[1]))
        )

    def evaluate(
        self, tdb_s: np.ndarray, *, compiled: bool | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Components and their rates per second at ``tdb_s`` (1-D); arrays of shape (N, 3).

        Times must lie within ``span_s`` (the caller checks, with a clear message).
        ``compiled`` forces the numba (True) or numpy (False) path; by default the length
        of ``tdb_s`` decides.
        """
        tdb_s = np.ascontiguousarray(tdb_s, dtype=np.float64)
        if compiled is None:
            compiled = tdb_s.size >= COMPILED_THRESHOLD_EPOCHS
        if not compiled:
            return self._evaluate_numpy(tdb_s)
        values = np.empty((tdb_s.size, 3))
        rates = np.empty((tdb_s.size, 3))
        _compiled_kernel()(
            self.records,
            self.coefficient_count,
            self.init_s,
            self.interval_s,
            tdb_s,
            values,
            rates,
        )
        return values, rates

    def _evaluate_numpy(self, tdb_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        index = np.floor((tdb_s - self.init_s) / self.interval_s).astype(np.int64)
        records = self.records[np.clip(index, 0, self.records.shape[0] - 1)]
        radius = records[:, 1]
        s = (tdb_s - records[:, 0]) / radius
        count = self.coefficient_count
        coefficients = records[:, 2:].reshape(tdb_s.size, 3, count)
        # T_k(s), and d T_k / ds = k U_{k-1}(s), by their recurrences.
        chebyshev_t = np.empty((tdb_s.size, count))
        chebyshev_u = np.empty((tdb_s.size, count))  # U_{k-1}: column 0 holds U_{-1} = 0
        chebyshev_t[:, 0], chebyshev_t[:, 1] = 1.0, s
        chebyshev_u[:, 0], chebyshev_u[:, 1] = 0.0, 1.0
        for k in range(2, count):
            chebyshev_t[:, k] = 2.0 * s * chebyshev_t[:, k - 1] - chebyshev_t[:, k - 2]
            chebyshev_u[:, k] = 2.0 * s * chebyshev_u[:, k - 1] - chebyshev_u[:, k - 2]
        values = np.einsum("nck,nk->nc", coefficients, chebyshev_t)
        rates = np.einsum("nck,nk->nc", coefficients, chebyshev_u * np.arange(count))
        return values, rates / radius[:, None]


@functools.cache
def _compiled_kernel():
    """The numba-compiled loop, imported and loaded (from numba's cache) on first use."""
    import numba

    return numba.njit(cache=True, nogil=True)(_evaluate_loop)


def _evaluate_loop(
    records, coefficient_count, init_s, interval_s, tdb_s, values, rates
):  # pragma: no cover (compiled)
    last = records.shape[0] - 1
    for epoch in range(tdb_s.size):
        t = tdb_s[epoch]
        index = int(np.floor((t - init_s) / interval_s))
        index = min(max(index, 0), last)  # the final instant belongs to the last record
        record = records[index]
        radius = record[1]
        s = (t - record[0]) / radius
        for component in range(3):
            first = 2 + component * coefficient_count
            # T_k(s) for the value; d T_k / ds = k U_{k-1}(s) for the rate.
            t_previous, t_current = 1.0, s
            u_previous, u_current = 0.0, 1.0  # U_{-1}, U_0
            value = record[first] + record[first + 1] * s
            derivative = record[first + 1]
            for k in range(2, coefficient_count):
                t_next = 2.0 * s * t_current - t_previous
                u_next = 2.0 * s * u_current - u_previous
                value += record[first + k] * t_next
                derivative += record[first + k] * k * u_next
                t_previous, t_current = t_current, t_next
                u_previous, u_current = u_current, u_next
            values[epoch, component] = value
            rates[epoch, component] = derivative / radius
