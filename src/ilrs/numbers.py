"""Checking a number a user gave: one clear error naming the field for text, NaN or
infinity."""

from __future__ import annotations

import math

from ilrs.errors import InputError

__all__ = ["finite_number"]


def finite_number(value, field: str, where: str = "") -> float:
    """``value`` as a finite float, or an InputError naming ``field`` (after ``where``, a
    prefix such as ``"terminal 'Kashi': "``)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{where}{field} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise InputError(f"{where}{field} must be finite, got {value!r}")
    return number
