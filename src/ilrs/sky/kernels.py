"""Where the SPICE kernels are, and a reader for SPICE text kernels.

The embedded default needs no download: JPL DE421 comes in the PyPI package
``skyfield-data`` and the DE421 lunar libration PCK with the Moon frame kernels in
``lunarsky``. Those packages are located, never imported (importing ``lunarsky`` would load
astropy for nothing).
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ilrs.errors import DataFileError
from ilrs.sky.rotation import frame_rotation

__all__ = ["KernelSet", "default_kernels", "frame_chain_to_pck", "read_text_kernel"]


@dataclass(frozen=True)
class KernelSet:
    """The kernel files the sky engine reads."""

    spk: Path  # planetary ephemeris (DE421)
    moon_pck: Path  # binary PCK of the Moon's orientation (DE421 librations)
    frame_kernels: tuple[Path, ...]  # text frame kernels: MOON_ME -> MOON_PA chain

    def describe(self) -> dict[str, str]:
        """Names of the files, for provenance records."""
        return {
            "spk": self.spk.name,
            "moon_pck": self.moon_pck.name,
            "frame_kernels": ", ".join(path.name for path in self.frame_kernels),
        }


def default_kernels() -> KernelSet:
    """The embedded default: DE421, its lunar libration PCK and the Moon frame kernels."""
    skyfield_data = _package_dir("skyfield_data", "skyfield-data")
    lunarsky = _package_dir("lunarsky", "lunarsky")
    kernels = KernelSet(
        spk=skyfield_data / "data" / "de421.bsp",
        moon_pck=lunarsky / "data" / "pck" / "moon_pa_de421_1900-2050.bpc",
        frame_kernels=(
            lunarsky / "data" / "fk" / "satellites" / "moon_080317.tf",
            lunarsky / "data" / "fk" / "satellites" / "moon_assoc_me.tf",
        ),
    )
    for path in (kernels.spk, kernels.moon_pck, *kernels.frame_kernels):
        if not path.is_file():
            raise DataFileError(
                f"kernel file missing: {path} (reinstall the package that ships it)"
            )
    return kernels


def _package_dir(module: str, distribution: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise DataFileError(
            f"the package {distribution!r}, which ships the default kernels, is not installed: "
            f"pip install {distribution}"
        )
    return Path(next(iter(spec.submodule_search_locations)))


_ASSIGNMENT = re.compile(r"([A-Za-z_][\w/.\-]*)\s*(\+?=)\s*")
_VALUE = re.compile(r"'((?:[^']|'')*)'|([^\s,()']+)")


def read_text_kernel(path: Path) -> dict[str, list]:
    """Read the data of a SPICE text kernel (``\\begindata`` blocks) into a dict.

    Values are lists of floats or strings; ``+=`` appends, as in SPICE.
    """
    try:
        text = Path(path).read_text(encoding="latin-1")
    except OSError as error:
        raise DataFileError(f"cannot read text kernel {path}: {error.strerror}") from error
    variables: dict[str, list] = {}
    in_data = False
    data_lines: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped == "\\begindata":
            in_data = True
        elif stripped == "\\begintext":
            in_data = False
        elif in_data:
            data_lines.append(line)
    data = "\n".join(data_lines)
    matches = list(_ASSIGNMENT.finditer(data))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(data)
        values = [
            _convert(quoted, bare) for quoted, bare in _VALUE.findall(data[match.end() : end])
        ]
        name, operator = match.group(1), match.group(2)
        if operator == "+=":
            variables.setdefault(name, []).extend(values)
        else:
            variables[name] = values
    return variables


def _convert(quoted: str, bare: str):
    if quoted or not bare:
        return quoted.replace("''", "'")
    try:
        return float(bare.replace("D", "E").replace("d", "e"))
    except ValueError as error:
        raise DataFileError(
            f"text kernel value {bare!r} is neither a number nor a string"
        ) from error


def frame_chain_to_pck(
    frame_name: str, kernel_variables: dict[str, list]
) -> tuple[int, np.ndarray]:
    """Follow text-kernel (TK) frames from ``frame_name`` down to a binary-PCK frame.

    Returns the PCK frame's class id and the constant matrix that turns vectors in the PCK
    frame into vectors in ``frame_name``.
    """
    matrix = np.eye(3)
    name = frame_name
    for _ in range(10):  # a chain longer than this is a cycle in the kernels
        frame_id = _frame_id(name, kernel_variables)
        frame_class = int(kernel_variables[f"FRAME_{frame_id}_CLASS"][0])
        if frame_class == 2:  # binary PCK frame
            return int(kernel_variables[f"FRAME_{frame_id}_CLASS_ID"][0]), matrix
        if frame_class != 4:
            raise DataFileError(f"frame {name} has class {frame_class}; only TK and PCK are read")
        relative_to_this = _tk_matrix(frame_id, kernel_variables)
        matrix = matrix @ relative_to_this
        name = str(kernel_variables[f"TKFRAME_{frame_id}_RELATIVE"][0])
    raise DataFileError(f"frame chain from {frame_name} does not end in a PCK frame")


def _frame_id(name: str, kernel_variables: dict[str, list]) -> int:
    key = f"FRAME_{name}"
    if key not in kernel_variables:
        raise DataFileError(f"frame {name} is not defined in the loaded frame kernels")
    return int(kernel_variables[key][0])


def _tk_matrix(frame_id: int, kernel_variables: dict[str, list]) -> np.ndarray:
    """Matrix turning vectors in a TK frame's RELATIVE frame into vectors in the TK frame."""
    prefix = f"TKFRAME_{frame_id}_"
    spec = str(kernel_variables[prefix + "SPEC"][0]).upper()
    if spec == "MATRIX":
        # SPICE stores the TK-to-relative matrix in column-major order.
        tk_to_relative = np.array(kernel_variables[prefix + "MATRIX"], dtype=float).reshape(3, 3).T
        return tk_to_relative.T
    if spec != "ANGLES":
        raise DataFileError(f"TK frame {frame_id} has SPEC {spec}; MATRIX and ANGLES are read")
    units = str(kernel_variables.get(prefix + "UNITS", ["RADIANS"])[0]).upper()
    per_unit_rad = {
        "RADIANS": 1.0,
        "DEGREES": np.pi / 180,
        "ARCMINUTES": np.pi / 180 / 60,
        "ARCSECONDS": np.pi / 180 / 3600,
    }[units]
    angles_rad = np.array(kernel_variables[prefix + "ANGLES"], dtype=float) * per_unit_rad
    axes = [int(axis) for axis in kernel_variables[prefix + "AXES"]]
    # SPICE frames required reading: relative -> TK is [-a3]_ax3 [-a2]_ax2 [-a1]_ax1.
    matrix = np.eye(3)
    for angle_rad, axis in zip(angles_rad, axes, strict=True):
        matrix = frame_rotation(-angle_rad, axis) @ matrix
    return matrix
