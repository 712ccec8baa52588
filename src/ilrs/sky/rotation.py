"""Elementary frame rotations, vectorised over angles."""

from __future__ import annotations

import numpy as np

__all__ = ["frame_rotation"]

_PLANE = {1: (1, 2), 2: (2, 0), 3: (0, 1)}


def frame_rotation(angle_rad, axis: int) -> np.ndarray:
    """The matrix that turns coordinates into a frame rotated by ``angle_rad`` about ``axis``.

    As SPICE's ``rotate``: about axis 3, ``[[c, s, 0], [-s, c, 0], [0, 0, 1]]``. An array of
    angles gives matrices of shape ``angle.shape + (3, 3)``.
    """
    angle_rad = np.asarray(angle_rad, dtype=float)
    matrix = _in_plane(np.cos(angle_rad), np.sin(angle_rad), axis)
    matrix[..., axis - 1, axis - 1] = 1.0
    return matrix


def _in_plane(cos, sin, axis: int) -> np.ndarray:
    i, j = _PLANE[axis]
    matrix = np.zeros(np.shape(cos) + (3, 3))
    matrix[..., i, i] = cos
    matrix[..., j, j] = cos
    matrix[..., i, j] = sin
    matrix[..., j, i] = -sin
    return matrix
