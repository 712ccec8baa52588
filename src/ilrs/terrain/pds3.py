"""PDS3 polar gridded DEMs: the LOLA GDR polar products (a detached ``.LBL`` plus ``.IMG``).

The LOLA polar products (``LDEM_80S_20M``, ``LDEM_875S_5M``, ``LDEM_85S_10M`` …, and the
``_FLOAT`` variants) are raw row-major rasters described by a PDS3 label:

- ``OBJECT = UNCOMPRESSED_FILE`` holds ``RECORD_BYTES`` (one image line), ``FILE_RECORDS``
  (the lines) and ``^IMAGE = "LDEM_80S_20M.IMG"``; inside it ``OBJECT = IMAGE`` gives
  ``LINES``, ``LINE_SAMPLES``, ``SAMPLE_TYPE = LSB_INTEGER``, ``SAMPLE_BITS = 16``,
  ``UNIT = METER``, ``SCALING_FACTOR = 0.5``, ``OFFSET = 1737400.``; the label notes that
  ``HEIGHT = DN * SCALING_FACTOR`` and ``PLANETARY_RADIUS = DN * SCALING_FACTOR + OFFSET``.
  The float products (``polar/float_img/``) store ``PC_REAL`` 32-bit values with
  ``UNIT = KILOMETER``, ``SCALING_FACTOR = 1``, ``OFFSET = 1737.4``.
- ``OBJECT = IMAGE_MAP_PROJECTION`` gives ``MAP_PROJECTION_TYPE = "POLAR STEREOGRAPHIC"``,
  ``A/B/C_AXIS_RADIUS = 1737.4 <km>``, ``CENTER_LATITUDE = -90``, ``CENTER_LONGITUDE = 0``,
  ``MAP_SCALE = 20 <m/pix>``, ``LINE_/SAMPLE_PROJECTION_OFFSET = 15199.5 <pix>``
  (``N/2 - 0.5``), ``MAXIMUM_LATITUDE = -80``, ``MINIMUM_LATITUDE = -90`` and
  ``WESTERNMOST/EASTERNMOST_LONGITUDE = 'N/A'``.

Sources: the labels ``LDEM_80S_20M.LBL`` and ``LDEM_875S_5M.LBL`` of data set
LRO-L-LOLA-4-GDR-V1.0 (https://pds-geosciences.wustl.edu/lro/lro-l-lola-3-rdr-v1/lrolol_1xxx/
data/lola_gdr/polar/img/), and the LOLA catalogue file DSMAP_POLAR.CAT (2021-09-15 revision,
http://imbrium.mit.edu/CATALOG/DSMAP_POLAR.CAT): "In the south, Longitude 0 extends straight
up from the center, and Longitude 90 East extends to the right"; with 1-based sample ``I``
and line ``J`` of an ``N x N`` map, ``X = (I - N/2 - 0.5) * MAP_SCALE``,
``Y = (J - N/2 - 0.5) * MAP_SCALE``, ``LON = ATAN2(X, -Y)``,
``LAT = -90 + 2 ATAN(0.5 R / 1737400)`` in the south.

In this module's terms (0-based row ``r`` and column ``c``, ``L0``/``S0`` the line/sample
projection offsets, ``s`` the map scale in metres), the centre of pixel ``(r, c)`` is at
``x = (c - S0) s``, ``y = (L0 - r) s`` on the project's grid (``+y`` towards longitude 0):
the pixel-corner transform is ``Affine(s, 0, -(S0 + 0.5) s, 0, -s, (L0 + 0.5) s)``. This is
also what GDAL's PDS driver computes with its default ``PDS_SampleProjOffset_Shift = 0.5``
and ``PDS_LineProjOffset_Shift = 0.5``, which the tests check.

Reads are windowed through :class:`numpy.memmap`: a 30 336 x 30 336 product is never read
whole unless asked.
"""

from __future__ import annotations

import math
import os
import re
import textwrap
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from affine import Affine

from ilrs.errors import DataFileError, InputError
from ilrs.terrain.grid import (
    MOON_RADIUS_M,
    SOUTH_POLAR_STEREOGRAPHIC,
    Dem,
    Window,
    check_has_heights,
)
from ilrs.terrain.memory import READ_ADVICE, READ_BYTES_PER_PIXEL, check_memory
from ilrs.terrain.sources import check_dem_file

__all__ = [
    "Pds3Image",
    "Pds3Source",
    "Quantity",
    "RadixInt",
    "find_label",
    "find_object",
    "format_lola_label",
    "grid_extent",
    "image_from_label",
    "parse_label",
    "read_label",
    "write_lola_product",
]

# A label is text; anything this long is not one (the LOLA labels are about 5 kB).
MAX_LABEL_BYTES = 1 << 20

# Statements (keyword = value, OBJECT, END_OBJECT ...) in one label: the LOLA labels have
# about 80, a PDS3 table label with hundreds of COLUMN objects a few thousand.
MAX_LABEL_STATEMENTS = 50_000

# OBJECT and GROUP blocks inside each other: the LOLA labels nest two deep, PDS3 labels
# seldom more than four; the label's blocks are walked recursively.
MAX_LABEL_DEPTH = 16

# Sequences inside sequences: ODL values are sequences of one or two dimensions
# (PDS3 Standards Reference, chapter 12); a little more is tolerated.
MAX_VALUE_DEPTH = 4

# Characters of one number: a 64-bit value needs at most 20 digits, a float 17 significant
# digits with sign, point and exponent. Longer is not a label value (and Python's int()
# refuses more than 4300 digits on its own).
MAX_NUMBER_CHARS = 64

PDS_NULL_INT16 = -32768  # the PDS3 / GDAL null for 16-bit signed integers

# The largest pixel that makes sense: the projected distance from the south pole to the
# equator, 2R tan(45°) = 2R; a larger MAP_SCALE is a broken label.
MAX_MAP_SCALE_M = 2.0 * MOON_RADIUS_M

# Extent keywords are approximate in LOLA labels (DSMAP_POLAR.CAT: the 60-degree map reaches
# 59.996 degrees at its edges); this tolerance accepts that and still catches a wrong
# MAP_SCALE or projection offset.
EXTENT_TOLERANCE_DEG = 0.01


# --------------------------------------------------------------------------------------
# Label values
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quantity:
    """A label value with its unit, as in ``A_AXIS_RADIUS = 1737.4 <km>``."""

    value: Any
    unit: str


class RadixInt(int):
    """An integer written in PDS radix notation, e.g. ``16#FF7FFFFB#``.

    It behaves as the integer; ``radix`` and ``digits`` keep the spelling, which matters
    for a ``MISSING_CONSTANT`` of a real-valued image (there it is a bit pattern).
    """

    radix: int
    digits: str

    def __new__(cls, value: int, radix: int, digits: str) -> RadixInt:
        obj = super().__new__(cls, value)
        obj.radix = radix
        obj.digits = digits
        return obj

    def pds(self) -> str:
        """The value as PDS radix notation."""
        return f"{self.radix}#{self.digits}#"


# PDS3 null for 32-bit IEEE reals, written as its bit pattern (PDS3 Standards Reference,
# appendix on core data types; GDAL's PDS driver uses the same value, NULL3 = -3.4028226e38).
PDS_NULL_REAL32 = RadixInt(0xFF7FFFFB, 16, "FF7FFFFB")

_KEYWORD = re.compile(r"\^?[A-Za-z][A-Za-z0-9_:]*")
_INT = re.compile(r"[+-]?\d+")
_REAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_RADIX = re.compile(r"([+-]?)(\d+)#([0-9A-Za-z]+)#")


class _Scanner:
    """A cursor over label text that knows its line numbers for error messages."""

    def __init__(self, text: str, where: str):
        self.text = text
        self.where = where
        self.pos = 0
        self.key = ""  # the keyword whose value is being read, for messages

    def line(self, pos: int | None = None) -> int:
        return self.text.count("\n", 0, self.pos if pos is None else pos) + 1

    def error(self, message: str, pos: int | None = None) -> DataFileError:
        return DataFileError(f"{self.where}, line {self.line(pos)}: {message}")

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def skip(self) -> None:
        """Skip white space and ``/* ... */`` comments (which may span lines)."""
        text = self.text
        while self.pos < len(text):
            if text[self.pos].isspace():
                self.pos += 1
            elif text.startswith("/*", self.pos):
                end = text.find("*/", self.pos + 2)
                if end < 0:
                    raise self.error("comment '/*' is never closed with '*/'")
                self.pos = end + 2
            else:
                return

    def skip_blanks(self) -> None:
        """Skip spaces and tabs on the current line only."""
        while self.pos < len(self.text) and self.text[self.pos] in " \t":
            self.pos += 1

    def keyword(self) -> str:
        match = _KEYWORD.match(self.text, self.pos)
        if not match:
            snippet = self.text[self.pos : self.pos + 20].splitlines()[0] if self.peek() else ""
            raise self.error(f"expected a keyword, found {snippet!r}")
        self.pos = match.end()
        return match.group()

    def value(self, depth: int = 0) -> Any:
        start = self.pos
        char = self.peek()
        if char == '"':
            # Line breaks inside a text value are formatting (PDS3 Standards, chapter 12):
            # MISSION_PHASE_NAME's "SCIENCE\n    MISSION" is "SCIENCE MISSION".
            value: Any = " ".join(self._quoted('"').split())
        elif char == "'":
            value = self._quoted("'")
        elif char in ("(", "{"):
            if depth >= MAX_VALUE_DEPTH:
                raise self.error(
                    f"{self.key}: sequences nested more than {MAX_VALUE_DEPTH} deep; a PDS3 "
                    "value is a sequence of one or two dimensions",
                    start,
                )
            value = self._sequence(")" if char == "(" else "}", depth + 1)
        elif char == "" or char in ",)}=":
            raise self.error("a keyword has no value after '='", start)
        else:
            try:
                value = _convert_bare(self._bare())
            except ValueError as error:
                raise self.error(f"{self.key} = {error}", start) from None
        save = self.pos
        self.skip_blanks()
        if self.peek() == "<":
            line_end = self.text.find("\n", self.pos)
            end = self.text.find(">", self.pos, len(self.text) if line_end < 0 else line_end)
            if end < 0:
                raise self.error("unit '<' is not closed with '>' on the same line")
            unit = self.text[self.pos + 1 : end].strip()
            self.pos = end + 1
            return Quantity(value, unit)
        self.pos = save
        return value

    def _quoted(self, quote: str) -> str:
        start = self.pos
        end = self.text.find(quote, start + 1)
        if end < 0:
            raise self.error(f"string opened with {quote} is never closed", start)
        self.pos = end + 1
        return self.text[start + 1 : end]

    def _sequence(self, close: str, depth: int) -> tuple:
        start = self.pos
        self.pos += 1
        items = []
        self.skip()
        if self.peek() == close:
            self.pos += 1
            return ()
        while True:
            self.skip()
            if self.at_end():
                raise self.error(f"'{self.text[start]}' is never closed with '{close}'", start)
            items.append(self.value(depth))
            self.skip()
            char = self.peek()
            if char == ",":
                self.pos += 1
            elif char == close:
                self.pos += 1
                return tuple(items)
            else:
                raise self.error(f"expected ',' or '{close}' in a list, found {char!r}")

    def _bare(self) -> str:
        text = self.text
        start = self.pos
        while (
            self.pos < len(text)
            and not text[self.pos].isspace()
            and text[self.pos] not in ",)}<="
            and not text.startswith("/*", self.pos)
        ):
            self.pos += 1
        return text[start : self.pos]


def _convert_bare(token: str) -> Any:
    """The value of a bare token: an integer, a real, a radix integer, or the text itself.
    A number too long to be one, or a real out of the 64-bit range, is a ValueError."""
    number = _INT.fullmatch(token) or _REAL.fullmatch(token) or _RADIX.fullmatch(token)
    if number and len(token) > MAX_NUMBER_CHARS:
        raise ValueError(
            f"{token[:12]}... is a number of {len(token):,} characters; a label's numbers "
            f"have at most {MAX_NUMBER_CHARS}"
        )
    if _INT.fullmatch(token):
        return int(token)
    if _REAL.fullmatch(token):
        value = float(token)
        if not math.isfinite(value):
            raise ValueError(f"{token} is out of the range of a 64-bit real (about 1.8e308)")
        return value
    radix = _RADIX.fullmatch(token)
    if radix:
        sign, base, digits = radix.groups()
        if not 2 <= int(base) <= 16:
            raise ValueError(f"{token}: radix {base} is not 2..16")
        value = int(digits, int(base))
        return RadixInt(-value if sign == "-" else value, int(base), digits)
    return token


def _store(block: dict, key: str, value: Any) -> None:
    # A keyword or object that repeats becomes a list (sequences are tuples, so a list in
    # the result always means repetition).
    if key in block:
        existing = block[key]
        if isinstance(existing, list):
            existing.append(value)
        else:
            block[key] = [existing, value]
    else:
        block[key] = value


def parse_label(text: str, *, where: str = "<label>") -> dict[str, Any]:
    """Parse PDS3 label text into nested dicts.

    Keywords become upper-case keys; ``OBJECT = NAME`` and ``GROUP = NAME`` blocks become
    nested dicts under ``NAME``; a repeated keyword or block becomes a list. Values are
    ``int``, ``float``, :class:`RadixInt`, ``str`` (quoted text has its line breaks
    folded to spaces), ``tuple`` for ``(...)`` sequences and ``{...}`` sets, or a
    :class:`Quantity` when a unit such as ``<KM>`` follows. Comments ``/* ... */`` are
    skipped; parsing stops at ``END`` (anything after it, such as attached binary data, is
    ignored).

    Parameters
    ----------
    text : str
        The label text.
    where : str
        Where the text came from (a file name or URL), used in error messages.

    Returns
    -------
    dict
        The label.

    Raises
    ------
    DataFileError
        On a syntax error, or past the parser's limits (:data:`MAX_LABEL_STATEMENTS`,
        :data:`MAX_LABEL_DEPTH`, :data:`MAX_VALUE_DEPTH`, :data:`MAX_NUMBER_CHARS`), naming
        ``where`` and the line.
    """
    scanner = _Scanner(text, where)
    root: dict[str, Any] = {}
    # (block, its name, "OBJECT"/"GROUP", position where it opened)
    stack: list[tuple[dict, str, str, int]] = [(root, "", "", 0)]
    statements = 0
    while True:
        scanner.skip()
        if scanner.at_end():
            _check_closed(scanner, stack)
            break  # a missing END is tolerated: the text simply ends
        statements += 1
        if statements > MAX_LABEL_STATEMENTS:
            raise scanner.error(
                f"more than {MAX_LABEL_STATEMENTS:,} statements; a PDS3 image label has a "
                "few hundred at most"
            )
        start = scanner.pos
        key = scanner.keyword().upper()
        scanner.key = key
        if key == "END":
            _check_closed(scanner, stack)
            break
        if key in ("END_OBJECT", "END_GROUP"):
            kind = key[4:]
            save = scanner.pos
            scanner.skip()
            name = None
            if scanner.peek() == "=":
                scanner.pos += 1
                scanner.skip()
                name = str(scanner.value()).upper()
            else:
                scanner.pos = save
            if len(stack) == 1:
                raise scanner.error(f"{key} without a matching {kind}", start)
            _, open_name, open_kind, _ = stack[-1]
            if open_kind != kind or (name is not None and name != open_name):
                raise scanner.error(
                    f"{key}{' = ' + name if name else ''} closes {open_kind} = {open_name}",
                    start,
                )
            stack.pop()
            continue
        scanner.skip()
        if scanner.peek() != "=":
            raise scanner.error(f"expected '=' after keyword {key}")
        scanner.pos += 1
        scanner.skip()
        value = scanner.value()
        if key in ("OBJECT", "GROUP"):
            if not isinstance(value, str) or not value:
                raise scanner.error(f"{key} needs a name, found {value!r}", start)
            if len(stack) > MAX_LABEL_DEPTH:
                raise scanner.error(
                    f"{key} = {value} is nested {len(stack)} deep; a label's OBJECT and GROUP "
                    f"blocks nest at most {MAX_LABEL_DEPTH} deep",
                    start,
                )
            block: dict[str, Any] = {}
            _store(stack[-1][0], value.upper(), block)
            stack.append((block, value.upper(), key, start))
        else:
            _store(stack[-1][0], key, value)
    return root


def _check_closed(scanner: _Scanner, stack: list) -> None:
    """Refuse a label that ends (at END or at the end of its text) inside a block."""
    if len(stack) > 1:
        _, name, kind, opened = stack[-1]
        raise scanner.error(f"{kind} = {name} is never closed (no END_{kind})", opened)


def read_label(path: str | Path) -> dict[str, Any]:
    """Read and parse a PDS3 label file (detached, or attached at the start of a file).

    At most :data:`MAX_LABEL_BYTES` are read: a label must end (``END``) within them.
    """
    path = Path(path)
    check_dem_file(path, "PDS3 label")
    try:
        with open(path, "rb") as stream:
            raw = stream.read(MAX_LABEL_BYTES + 1)
    except OSError as error:
        raise DataFileError(f"cannot read the PDS3 label {path}: {error}") from error
    return parse_label(_decode_label(raw, str(path)), where=str(path))


# END alone on its line; [ \t] rather than \s, which would cross lines and make the search
# quadratic in a label of blank lines.
_END_LINE = re.compile(rb"(?m)^[ \t]*END[ \t]*\r?$")


def _decode_label(raw: bytes, where: str = "<label>") -> str:
    """The text of a label from the bytes of its file: up to ``END`` (an attached label is
    followed by binary data), which must come within :data:`MAX_LABEL_BYTES`; a NUL byte or
    bytes that are neither ASCII nor UTF-8 before it are refused with their line."""
    end = _END_LINE.search(raw, 0, MAX_LABEL_BYTES)
    if end:
        raw = raw[: end.end()]
    elif len(raw) > MAX_LABEL_BYTES:
        raise DataFileError(
            f"{where}: no END line within the first {MAX_LABEL_BYTES:,} bytes; a PDS3 label "
            f"is at most {MAX_LABEL_BYTES:,} bytes (MAX_LABEL_BYTES) of text"
        )
    nul = raw.find(b"\0")
    if nul >= 0:
        line = raw.count(b"\n", 0, nul) + 1
        raise DataFileError(
            f"{where}, line {line}: a NUL byte; a PDS3 label is ASCII "
            "text (is this the image rather than its label?)"
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        byte = raw[error.start : error.start + 1].hex().upper()
        raise DataFileError(
            f"{where}, line {line}: the byte 0x{byte} is not text; a PDS3 label is ASCII "
            "(UTF-8 is tolerated)"
        ) from None


def find_object(label: dict, name: str) -> dict | None:
    """The first block called ``name`` (depth first) anywhere in a label, or None."""
    name = name.upper()
    value = label.get(name)
    if isinstance(value, dict):
        return value
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return value[0]
    for child in label.values():
        children = child if isinstance(child, list) else [child]
        for item in children:
            if isinstance(item, dict):
                found = find_object(item, name)
                if found is not None:
                    return found
    return None


def _find_holder(label: dict, key: str) -> dict | None:
    """The first block (depth first, the root included) that has keyword ``key``."""
    if key in label:
        return label
    for child in label.values():
        for item in child if isinstance(child, list) else [child]:
            if isinstance(item, dict):
                found = _find_holder(item, key)
                if found is not None:
                    return found
    return None


# --------------------------------------------------------------------------------------
# What a label says: the image layout and the map projection
# --------------------------------------------------------------------------------------

_LENGTH_UNITS_M = {
    "M": 1.0,
    "METER": 1.0,
    "METERS": 1.0,
    "METRE": 1.0,
    "METRES": 1.0,
    "KM": 1000.0,
    "KILOMETER": 1000.0,
    "KILOMETERS": 1000.0,
    "KILOMETRE": 1000.0,
    "KILOMETRES": 1000.0,
    "CM": 0.01,
}

# SAMPLE_TYPE -> (numpy kind, byte order), PDS3 Standards Reference appendix C.
_SAMPLE_TYPES = {
    "LSB_INTEGER": ("i", "<"),
    "PC_INTEGER": ("i", "<"),
    "VAX_INTEGER": ("i", "<"),
    "LSB_UNSIGNED_INTEGER": ("u", "<"),
    "PC_UNSIGNED_INTEGER": ("u", "<"),
    "VAX_UNSIGNED_INTEGER": ("u", "<"),
    "MSB_INTEGER": ("i", ">"),
    "INTEGER": ("i", ">"),
    "SUN_INTEGER": ("i", ">"),
    "MAC_INTEGER": ("i", ">"),
    "MSB_UNSIGNED_INTEGER": ("u", ">"),
    "UNSIGNED_INTEGER": ("u", ">"),
    "SUN_UNSIGNED_INTEGER": ("u", ">"),
    "MAC_UNSIGNED_INTEGER": ("u", ">"),
    "PC_REAL": ("f", "<"),
    "IEEE_REAL": ("f", ">"),
    "REAL": ("f", ">"),
    "FLOAT": ("f", ">"),
    "SUN_REAL": ("f", ">"),
    "MAC_REAL": ("f", ">"),
}


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Quantity) else value


def _unit(value: Any) -> str | None:
    return value.unit if isinstance(value, Quantity) else None


def _number(block: dict, key: str, where: str, default: float | None = None) -> float:
    value = _plain(block.get(key))
    if value is None or (isinstance(value, str) and value.upper() in ("N/A", "UNK", "NULL")):
        if default is not None:
            return default
        raise DataFileError(f"{where}: the label has no numeric {key}")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DataFileError(f"{where}: {key} = {value!r} is not a number")
    return float(value)


def _integer(block: dict, key: str, where: str, default: int | None = None) -> int:
    value = _plain(block.get(key))
    if value is None and default is not None:
        return default
    if not isinstance(value, int) or isinstance(value, bool):
        raise DataFileError(f"{where}: {key} = {value!r} is not an integer")
    return int(value)


def _length_m(unit: str | None, default_unit: str, where: str, key: str) -> float:
    """Metres per unit of a length unit such as ``km``, ``METER`` or ``m/pix``."""
    name = (unit or default_unit).split("/")[0].strip().upper()
    if name not in _LENGTH_UNITS_M:
        raise DataFileError(
            f"{where}: unknown length unit <{unit}> on {key}; expected metres or kilometres"
        )
    return _LENGTH_UNITS_M[name]


def _latitude_at_rho_deg(rho_m: float) -> float:
    """Latitude [deg] of a point at projected distance ``rho_m`` from the south pole."""
    return -90.0 + math.degrees(2.0 * math.atan(rho_m / (2.0 * MOON_RADIUS_M)))


@dataclass(frozen=True)
class Pds3Image:
    """What a PDS3 label says about its image and its south polar stereographic grid.

    Built by :func:`image_from_label`, which checks the label; shared by the local reader
    (:class:`Pds3Source`) and the HTTP window fetcher (:mod:`ilrs.terrain.fetch`).

    Attributes
    ----------
    product_name : str
        ``PRODUCT_ID`` or, failing that, the label's file name without extension.
    image_file : str or None
        File named by the ``^IMAGE`` pointer; None when the image follows the label in the
        same file (an attached label).
    image_offset_bytes : int
        Bytes before the first image line in that file.
    lines, line_samples : int
        Rows and columns.
    sample_type : str
        ``SAMPLE_TYPE`` (e.g. ``LSB_INTEGER``, ``PC_REAL``).
    sample_bits : int
        ``SAMPLE_BITS``.
    line_prefix_bytes, line_suffix_bytes : int
        Bytes before and after the samples of each line.
    unit : str
        ``UNIT`` of the stored values.
    scaling_factor, offset : float
        ``value = OFFSET + SCALING_FACTOR * DN`` in ``unit`` (``OFFSET`` in the unit of its
        own ``<...>`` tag if it has one).
    height_scale_m : float
        Metres of height per DN.
    height_offset_m : float
        Height [m above the 1 737 400 m sphere] of DN 0. When ``OFFSET`` is a planetary
        radius, ``value`` is a radius and this is ``OFFSET - 1 737 400 m`` (zero for LOLA);
        when ``OFFSET`` is small, ``value`` is already a height above the reference sphere.
    missing_constant : int, float or None
        ``MISSING_CONSTANT``: DNs with this value become NaN.
    pixel_size_m : float
        ``MAP_SCALE`` [m].
    line_projection_offset_px, sample_projection_offset_px : float
        0-based row and column of the pole (the projection origin), as in the label.
    record_bytes, file_records : int or None
        ``RECORD_BYTES`` and ``FILE_RECORDS`` of the file holding the image.
    label : dict
        The parsed label.
    """

    product_name: str
    image_file: str | None
    image_offset_bytes: int
    lines: int
    line_samples: int
    sample_type: str
    sample_bits: int
    line_prefix_bytes: int
    line_suffix_bytes: int
    unit: str
    scaling_factor: float
    offset: float
    height_scale_m: float
    height_offset_m: float
    missing_constant: int | float | None
    pixel_size_m: float
    line_projection_offset_px: float
    sample_projection_offset_px: float
    record_bytes: int | None = None
    file_records: int | None = None
    label: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.lines, self.line_samples)

    @property
    def dtype(self) -> np.dtype:
        kind, order = _SAMPLE_TYPES[self.sample_type]
        return np.dtype(f"{order}{kind}{self.sample_bits // 8}")

    @property
    def sample_bytes(self) -> int:
        return self.sample_bits // 8

    @property
    def row_bytes(self) -> int:
        """Bytes from one line to the next in the file."""
        return (
            self.line_prefix_bytes
            + self.line_samples * self.sample_bytes
            + (self.line_suffix_bytes)
        )

    @property
    def image_bytes(self) -> int:
        return self.lines * self.row_bytes

    @property
    def expected_file_bytes(self) -> int:
        """Size of a detached image file as the label describes it."""
        return self.image_offset_bytes + self.image_bytes

    @property
    def transform(self) -> Affine:
        """North-up pixel-corner transform [m] on the project's south polar grid."""
        s = self.pixel_size_m
        return Affine(
            s,
            0.0,
            -(self.sample_projection_offset_px + 0.5) * s,
            0.0,
            -s,
            (self.line_projection_offset_px + 0.5) * s,
        )

    def row_offset_bytes(self, row: int, col: int = 0) -> int:
        """File offset of sample ``col`` of line ``row`` (both 0-based)."""
        return (
            self.image_offset_bytes
            + row * self.row_bytes
            + self.line_prefix_bytes
            + col * self.sample_bytes
        )

    def heights_m(self, raw: np.ndarray) -> np.ndarray:
        """Heights [m above the 1 737 400 m sphere] of raw DNs; missing DNs become NaN."""
        raw = np.asarray(raw)
        heights = raw.astype(np.float64)
        heights *= self.height_scale_m  # in place: one float64 array, not three
        heights += self.height_offset_m
        missing = self._missing_mask(raw)
        if missing is not None:
            heights[missing] = np.nan
        return heights

    def _missing_mask(self, raw: np.ndarray) -> np.ndarray | None:
        constant = self.missing_constant
        if constant is None:
            return None
        if raw.dtype.kind == "f":
            if isinstance(constant, RadixInt):
                # For a real image a radix constant is the bit pattern of the null value.
                bits = np.array(constant, dtype=f"u{raw.dtype.itemsize}")
                value = bits.view(raw.dtype.newbyteorder("="))
            else:
                value = np.array(constant, dtype=raw.dtype)
            return raw == value
        if float(constant) != int(constant):
            return None
        return raw == int(constant)


def image_from_label(label: dict, *, where: str, product_name: str | None = None) -> Pds3Image:
    """Check a parsed label and describe its image and south polar grid.

    Parameters
    ----------
    label : dict
        A label from :func:`parse_label` or :func:`read_label`.
    where : str
        The label's file name or URL, for error messages.
    product_name : str, optional
        Name to use when the label has no ``PRODUCT_ID``.

    Returns
    -------
    Pds3Image

    Raises
    ------
    DataFileError
        When the label lacks the image keywords, the sample type is not supported, the
        projection is not polar stereographic about -90° with longitude 0 up on the
        1737.4 km sphere, or the projection disagrees with the label's own extent keywords.
    """
    holder = _find_holder(label, "^IMAGE")
    if holder is None:
        raise DataFileError(f"{where}: the label has no ^IMAGE pointer; is it a PDS3 image?")
    image = holder.get("IMAGE") if isinstance(holder.get("IMAGE"), dict) else None
    image = image or find_object(label, "IMAGE")
    if image is None:
        raise DataFileError(f"{where}: the label has no OBJECT = IMAGE")

    record_bytes = _plain(holder.get("RECORD_BYTES", label.get("RECORD_BYTES")))
    record_bytes = record_bytes if isinstance(record_bytes, int) else None
    file_records = _plain(holder.get("FILE_RECORDS", label.get("FILE_RECORDS")))
    file_records = file_records if isinstance(file_records, int) else None
    for key, value, least in (("RECORD_BYTES", record_bytes, 1), ("FILE_RECORDS", file_records, 0)):
        if value is not None and value < least:
            raise DataFileError(f"{where}: {key} = {value}; it must be {least} or more")
    image_file, image_offset = _image_pointer(holder["^IMAGE"], record_bytes, where)

    lines = _integer(image, "LINES", where)
    samples = _integer(image, "LINE_SAMPLES", where)
    bands = _integer(image, "BANDS", where, default=1)
    if lines <= 0 or samples <= 0:
        raise DataFileError(f"{where}: LINES = {lines} and LINE_SAMPLES = {samples} must be > 0")
    if bands != 1:
        raise DataFileError(f"{where}: BANDS = {bands}; only single-band DEMs are supported")
    sample_type = str(_plain(image.get("SAMPLE_TYPE", ""))).upper().replace(" ", "_")
    sample_bits = _integer(image, "SAMPLE_BITS", where)
    kind = _SAMPLE_TYPES.get(sample_type, ("?", ""))[0]
    bits_ok = sample_bits in ((32, 64) if kind == "f" else (8, 16, 32, 64))
    if kind == "?" or not bits_ok:
        raise DataFileError(
            f"{where}: SAMPLE_TYPE = {sample_type or '(none)'} with SAMPLE_BITS = {sample_bits}"
            " is not supported; expected LSB/MSB integers of 8-64 bits or IEEE/PC reals"
        )

    unit_value = str(_plain(image.get("UNIT", ""))).strip()
    if not unit_value or unit_value.upper() in ("N/A", "NONE"):
        raise DataFileError(
            f"{where}: the image has no UNIT; cannot tell whether its values are metres or "
            "kilometres (LOLA labels say UNIT = METER or KILOMETER)"
        )
    unit_m = _length_m(unit_value, "", where, "UNIT")
    scaling = _number(image, "SCALING_FACTOR", where, default=1.0)
    offset = _number(image, "OFFSET", where, default=0.0)
    offset_unit = _unit(image.get("OFFSET"))
    offset_m = offset * (_length_m(offset_unit, "", where, "OFFSET") if offset_unit else unit_m)
    # An OFFSET of planetary size is a reference radius and the values are radii (the LOLA
    # convention); a small one means the values are already heights above the sphere.
    radius_offset = abs(offset_m) > 1.0e6
    height_offset_m = round(offset_m - MOON_RADIUS_M, 6) if radius_offset else offset_m
    missing = _plain(image.get("MISSING_CONSTANT"))
    if missing is not None and not isinstance(missing, int | float):
        missing = None  # e.g. 'N/A'

    prefix_bytes = _integer(image, "LINE_PREFIX_BYTES", where, default=0)
    suffix_bytes = _integer(image, "LINE_SUFFIX_BYTES", where, default=0)
    if prefix_bytes < 0 or suffix_bytes < 0:
        raise DataFileError(
            f"{where}: LINE_PREFIX_BYTES = {prefix_bytes} and LINE_SUFFIX_BYTES = "
            f"{suffix_bytes}; they must be 0 or more"
        )

    scale_m, line0, sample0 = _check_projection(label, where, lines, samples)
    name = str(_plain(label.get("PRODUCT_ID", "")) or product_name or _stem(where)).upper()
    return Pds3Image(
        product_name=name,
        image_file=image_file,
        image_offset_bytes=image_offset,
        lines=lines,
        line_samples=samples,
        sample_type=sample_type,
        sample_bits=sample_bits,
        line_prefix_bytes=prefix_bytes,
        line_suffix_bytes=suffix_bytes,
        unit=unit_value.upper(),
        scaling_factor=scaling,
        offset=offset,
        height_scale_m=scaling * unit_m,
        height_offset_m=height_offset_m,
        missing_constant=missing,
        pixel_size_m=scale_m,
        line_projection_offset_px=line0,
        sample_projection_offset_px=sample0,
        record_bytes=record_bytes,
        file_records=file_records,
        label=label,
    )


def _stem(where: str) -> str:
    return re.split(r"[\\/]", where)[-1].rsplit(".", 1)[0]


def _image_pointer(pointer: Any, record_bytes: int | None, where: str) -> tuple[str | None, int]:
    """File name (None if attached) and byte offset of the image, from ``^IMAGE``.

    Forms (PDS3 Standards Reference, "Pointer Statements"): ``"FILE.IMG"``,
    ``("FILE.IMG", n)`` (record n, 1-based), ``("FILE.IMG", n <BYTES>)`` (byte n,
    1-based), ``n`` and ``n <BYTES>`` (same file as the label).
    """
    file_name = None
    location: Any = 1
    if isinstance(pointer, tuple):
        if not pointer or not isinstance(pointer[0], str):
            raise DataFileError(f"{where}: ^IMAGE = {pointer!r} is not a file pointer")
        file_name = pointer[0]
        location = pointer[1] if len(pointer) > 1 else 1
    elif isinstance(pointer, str):
        file_name = pointer
    else:
        location = pointer
    unit = (_unit(location) or "").upper()
    number = _plain(location)
    if not isinstance(number, int) or number < 1:
        raise DataFileError(f"{where}: ^IMAGE location {location!r} is not a positive integer")
    if unit == "BYTES":
        return file_name, number - 1
    if number == 1:
        return file_name, 0
    if not record_bytes:
        raise DataFileError(f"{where}: ^IMAGE points at record {number} but RECORD_BYTES is absent")
    return file_name, (number - 1) * record_bytes


def _check_projection(label: dict, where: str, lines: int, samples: int) -> tuple[float, ...]:
    """Map scale [m] and projection offsets, after checking the projection is ours."""
    projection = find_object(label, "IMAGE_MAP_PROJECTION")
    if projection is None:
        raise DataFileError(
            f"{where}: the label has no IMAGE_MAP_PROJECTION; a south polar stereographic "
            f"grid ({SOUTH_POLAR_STEREOGRAPHIC}) is required"
        )
    kind = " ".join(
        str(_plain(projection.get("MAP_PROJECTION_TYPE", ""))).replace("_", " ").split()
    )
    center_lat = _number(projection, "CENTER_LATITUDE", where, default=math.nan)
    center_lon = _number(projection, "CENTER_LONGITUDE", where, default=0.0)
    wanted = f"the lunar south polar stereographic projection ({SOUTH_POLAR_STEREOGRAPHIC})"
    if kind.upper() not in ("POLAR STEREOGRAPHIC", "STEREOGRAPHIC"):
        raise DataFileError(
            f"{where}: MAP_PROJECTION_TYPE = {kind or '(none)'!r}; only {wanted} is supported"
        )
    if math.isnan(center_lat):
        raise DataFileError(f"{where}: the label has no CENTER_LATITUDE; {wanted} is required")
    if center_lat != -90.0:
        pole = "north polar" if center_lat == 90.0 else f"centred on latitude {center_lat:g}"
        raise DataFileError(f"{where}: the grid is {pole}; only {wanted} is supported")
    if (center_lon % 360.0) != 0.0:
        raise DataFileError(
            f"{where}: CENTER_LONGITUDE = {center_lon:g}; {wanted} has longitude 0 up"
        )
    rotation = _number(projection, "MAP_PROJECTION_ROTATION", where, default=0.0)
    direction = str(_plain(projection.get("POSITIVE_LONGITUDE_DIRECTION", "EAST"))).upper()
    if rotation != 0.0 or direction != "EAST":
        raise DataFileError(
            f"{where}: MAP_PROJECTION_ROTATION = {rotation:g} and POSITIVE_LONGITUDE_DIRECTION"
            f" = {direction}; {wanted} needs no rotation and east-positive longitudes"
        )
    for axis in ("A_AXIS_RADIUS", "B_AXIS_RADIUS", "C_AXIS_RADIUS"):
        if axis not in projection and axis != "A_AXIS_RADIUS":
            continue
        radius_m = _number(projection, axis, where) * _length_m(
            _unit(projection.get(axis)),
            "KM",
            where,
            axis,  # PDS3 radii default to km
        )
        if abs(radius_m - MOON_RADIUS_M) > 1.0:
            raise DataFileError(
                f"{where}: {axis} = {radius_m / 1000:g} km; {wanted} is on the "
                f"{MOON_RADIUS_M / 1000:g} km sphere"
            )
    scale_m = _number(projection, "MAP_SCALE", where) * _length_m(
        _unit(projection.get("MAP_SCALE")),
        "KM",
        where,
        "MAP_SCALE",  # PDS3 default km/pixel
    )
    if not 0 < scale_m <= MAX_MAP_SCALE_M:
        raise DataFileError(
            f"{where}: MAP_SCALE = {scale_m:g} m; a pixel is more than 0 and at most "
            f"{MAX_MAP_SCALE_M / 1000:g} km (the projected distance from the pole to the equator)"
        )
    line0 = _number(projection, "LINE_PROJECTION_OFFSET", where)
    sample0 = _number(projection, "SAMPLE_PROJECTION_OFFSET", where)

    for first, last, size, what in (
        ("LINE_FIRST_PIXEL", "LINE_LAST_PIXEL", lines, "LINES"),
        ("SAMPLE_FIRST_PIXEL", "SAMPLE_LAST_PIXEL", samples, "LINE_SAMPLES"),
    ):
        if first in projection and last in projection:
            span = _integer(projection, last, where) - _integer(projection, first, where) + 1
            if span != size:
                raise DataFileError(
                    f"{where}: {first}..{last} span {span} pixels but {what} = {size}; "
                    "the label is inconsistent"
                )

    transform = Affine(scale_m, 0, -(sample0 + 0.5) * scale_m, 0, -scale_m, (line0 + 0.5) * scale_m)
    _check_extent(projection, where, transform, (lines, samples))
    return scale_m, line0, sample0


def grid_extent(transform: Affine, shape: tuple[int, int]) -> dict[str, Any]:
    """Latitude/longitude extent of a south polar grid, in the terms of LOLA labels.

    Returns ``minimum_latitude_deg``, ``maximum_latitude_deg`` and (when the pole is
    outside the grid) ``westernmost_longitude_deg`` and ``easternmost_longitude_deg``; also
    ``pole_inside``. For a grid around the pole, the maximum latitude is that of its nearest
    edge, the latitude down to which it covers every longitude (the convention of the LOLA
    labels: ``MAXIMUM_LATITUDE = -80`` for LDEM_80S_20M, whose corners reach -75.9°);
    otherwise it is the farthest corner's.
    """
    left, top = transform.c, transform.f
    right = left + shape[1] * transform.a
    bottom = top + shape[0] * transform.e
    near_x = min(max(0.0, left), right)
    near_y = min(max(0.0, bottom), top)
    corners = [(x, y) for x in (left, right) for y in (bottom, top)]
    far_rho = max(math.hypot(x, y) for x, y in corners)
    pole_inside = left <= 0.0 <= right and bottom <= 0.0 <= top
    extent: dict[str, Any] = {"pole_inside": pole_inside}
    extent["minimum_latitude_deg"] = _latitude_at_rho_deg(math.hypot(near_x, near_y))
    extent["corner_latitude_deg"] = _latitude_at_rho_deg(far_rho)
    if pole_inside:
        extent["maximum_latitude_deg"] = _latitude_at_rho_deg(min(-left, right, top, -bottom))
    else:
        extent["maximum_latitude_deg"] = extent["corner_latitude_deg"]
        # Meridians are straight lines from the pole, so a rectangle without the pole
        # spans the longitudes between its extreme corners.
        angles = [math.degrees(math.atan2(x, y)) % 360.0 for x, y in corners]
        centre = math.degrees(math.atan2((left + right) / 2, (top + bottom) / 2)) % 360.0
        deltas = [(a - centre + 180.0) % 360.0 - 180.0 for a in angles]
        extent["westernmost_longitude_deg"] = (centre + min(deltas)) % 360.0
        extent["easternmost_longitude_deg"] = (centre + max(deltas)) % 360.0
        extent["nearest_rho_m"] = math.hypot(near_x, near_y)
    return extent


def _check_extent(projection: dict, where: str, transform: Affine, shape: tuple[int, int]):
    """Refuse a label whose projection puts the grid elsewhere than its extent keywords say."""
    extent = grid_extent(transform, shape)
    pixel_deg = math.degrees(transform.a / MOON_RADIUS_M)
    tolerance = max(EXTENT_TOLERANCE_DEG, 2.0 * pixel_deg)
    problems = []
    low = _optional_number(projection, "MINIMUM_LATITUDE")
    high = _optional_number(projection, "MAXIMUM_LATITUDE")
    if low is not None and abs(low - extent["minimum_latitude_deg"]) > tolerance:
        problems.append(
            f"MINIMUM_LATITUDE = {low:g} but the grid's point nearest the pole is at "
            f"{extent['minimum_latitude_deg']:.4f}°"
        )
    if high is not None:
        candidates = [extent["maximum_latitude_deg"], extent["corner_latitude_deg"]]
        if min(abs(high - value) for value in candidates) > tolerance:
            problems.append(
                f"MAXIMUM_LATITUDE = {high:g} but the grid's edge is at "
                f"{extent['maximum_latitude_deg']:.4f}° "
                f"(corners {extent['corner_latitude_deg']:.4f}°)"
            )
    west = _optional_number(projection, "WESTERNMOST_LONGITUDE")
    east = _optional_number(projection, "EASTERNMOST_LONGITUDE")
    if not extent["pole_inside"] and west is not None and east is not None:
        lon_tolerance = max(
            EXTENT_TOLERANCE_DEG, math.degrees(2.0 * transform.a / max(extent["nearest_rho_m"], 1))
        )
        for key, label_value, grid_value in (
            ("WESTERNMOST_LONGITUDE", west, extent["westernmost_longitude_deg"]),
            ("EASTERNMOST_LONGITUDE", east, extent["easternmost_longitude_deg"]),
        ):
            if abs((label_value - grid_value + 180.0) % 360.0 - 180.0) > lon_tolerance:
                problems.append(f"{key} = {label_value:g} but the grid's is {grid_value:.4f}°")
    if problems:
        raise DataFileError(
            f"{where}: the map projection (MAP_SCALE {transform.a:g} m, projection offsets) "
            f"disagrees with the label's own extent: {'; '.join(problems)}. The label is "
            "inconsistent; check MAP_SCALE and LINE_/SAMPLE_PROJECTION_OFFSET"
        )


def _optional_number(block: dict, key: str) -> float | None:
    value = _plain(block.get(key))
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


# --------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------


def find_label(path: str | Path) -> Path:
    """The label of a product given its ``.LBL`` or its ``.IMG`` (sibling label, any case)."""
    path = Path(path)
    check_dem_file(path, "PDS3 file")
    if path.suffix.lower() == ".lbl":
        return path
    wanted = path.stem.lower() + ".lbl"
    for sibling in sorted(path.parent.iterdir()):
        if sibling.name.lower() == wanted and sibling.is_file():
            return sibling
    with open(path, "rb") as stream:
        head = stream.read(32)
    if head.lstrip().startswith((b"PDS_VERSION_ID", b"CCSD")):
        return path  # an attached label at the start of the image file
    raise DataFileError(
        f"{path}: no PDS3 label found beside it (looked for {path.stem}.LBL in any case)"
    )


def _find_case_insensitive(directory: Path, name: str) -> Path | None:
    exact = directory / name
    if exact.is_file():
        return exact
    # The PDS Geosciences Node serves lower-case names while the labels say upper case.
    for sibling in directory.iterdir():
        if sibling.name.lower() == name.lower() and sibling.is_file():
            return sibling
    return None


class Pds3Source:
    """A PDS3 polar DEM on disk (LOLA GDR polar layout), read by windows.

    Same surface as :class:`ilrs.terrain.geotiff.GeoTiffSource`: ``path``, ``shape``
    (rows, cols), ``transform`` (north-up, pixel corners, metres), ``crs`` and
    ``metadata``, and :meth:`read`, which returns heights in metres above the 1 737 400 m
    sphere.

    Parameters
    ----------
    path : str or Path
        The ``.LBL`` label, or the ``.IMG`` (its label is found beside it, in any case).

    Raises
    ------
    DataFileError
        When the label is malformed, the projection is not the lunar south polar
        stereographic one, or the image file is missing or not the size its label says.
    """

    def __init__(self, path: str | Path):
        given = Path(path)
        self.label_path = find_label(given)
        self.path = self.label_path
        self.label = read_label(self.label_path)
        self.image = image_from_label(
            self.label, where=str(self.label_path), product_name=self.label_path.stem
        )
        self.image_path = self._image_path(given)
        self._check_size()
        self.shape = self.image.shape
        self.transform = self.image.transform
        self.crs = SOUTH_POLAR_STEREOGRAPHIC
        self.nodata = self.image.missing_constant
        self.metadata = self._metadata()

    def _image_path(self, given: Path) -> Path:
        image = self.image
        if image.image_file is None:
            return self.label_path  # attached label
        directory = self.label_path.parent
        found = _find_case_insensitive(directory, image.image_file)
        if found is None and given.suffix.lower() != ".lbl":
            found = given  # the user named the image file itself (perhaps renamed)
        if found is None:
            found = _find_case_insensitive(directory, self.label_path.stem + ".img")
        if found is None:
            raise DataFileError(
                f"{self.label_path}: its image file {image.image_file} (^IMAGE) is not in "
                f"{directory}"
            )
        return found

    def _check_size(self) -> None:
        image = self.image
        check_dem_file(self.image_path, "PDS3 image")
        actual = self.image_path.stat().st_size
        if image.image_offset_bytes >= actual:
            raise DataFileError(
                f"{self.label_path}: ^IMAGE points at byte {image.image_offset_bytes + 1:,} of "
                f"{self.image_path.name}, which has {actual:,} bytes; the image must begin "
                "inside its file"
            )
        if image.image_file is None:
            ok = actual >= image.expected_file_bytes
        else:
            ok = actual == image.expected_file_bytes
            if not ok and image.record_bytes and image.file_records:
                # Fixed-length records may pad the last line to a whole record.
                ok = actual == image.record_bytes * image.file_records and (
                    actual >= image.expected_file_bytes
                )
        if not ok:
            how = "truncated" if actual < image.expected_file_bytes else "longer than described"
            framing = image.line_prefix_bytes + image.line_suffix_bytes
            raise DataFileError(
                f"{self.image_path}: the label {self.label_path.name} describes "
                f"{image.expected_file_bytes:,} bytes ({image.image_offset_bytes:,} before "
                f"^IMAGE, then LINES = {image.lines:,} lines of LINE_SAMPLES = "
                f"{image.line_samples:,} samples of SAMPLE_BITS = {image.sample_bits}"
                f"{f' and {framing:,} prefix/suffix bytes' if framing else ''}) but the file "
                f"has {actual:,} bytes: the file is {how}, or the label does not belong to it"
            )

    def _metadata(self) -> dict[str, str]:
        image = self.image
        metadata = {
            "source": image.product_name,
            "format": "PDS3",
            "label": self.label_path.name,
            "image": self.image_path.name,
            "units": "m above the 1737400 m sphere",
            "sample_type": f"{image.sample_type} {image.sample_bits} bit",
            "value_unit": image.unit,
            "scaling_factor": repr(image.scaling_factor),
            "offset": repr(image.offset),
        }
        for key in ("DATA_SET_ID", "PRODUCT_VERSION_ID", "PRODUCER_ID", "SOURCE_PRODUCT_ID"):
            value = _plain(self.label.get(key))
            if value not in (None, ""):
                metadata[key.lower()] = str(value)
        projection = find_object(self.label, "IMAGE_MAP_PROJECTION") or {}
        frame = _plain(projection.get("COORDINATE_SYSTEM_NAME"))
        if frame:
            metadata["coordinate_system"] = str(frame)
        return metadata

    def read(self, window: Window | None = None) -> Dem:
        """The DEM (or one window of it) as a :class:`Dem`; missing data become NaN.

        Only the lines of the window are touched (through a read-only memory map).
        """
        whole = window is None
        window = window or Window(0, 0, *self.shape)
        if not window.inside(self.shape):
            raise InputError(
                f"{window} lies outside {self.label_path.name} "
                f"({self.shape[0]} x {self.shape[1]} px)"
            )
        what = f"reading {window.height:,} x {window.width:,} px of {self.image_path}"
        per_pixel = READ_BYTES_PER_PIXEL + self.image.sample_bytes  # and the raw copy
        check_memory(window.height * window.width * per_pixel, what, READ_ADVICE)
        try:
            heights = self.image.heights_m(self.read_raw(window))
        except MemoryError:
            raise InputError(f"{what}: out of memory; {READ_ADVICE}") from None
        if whole:
            check_has_heights(heights, str(self.image_path))
        transform = self.transform @ Affine.translation(window.col_off, window.row_off)
        return Dem(heights, transform, self.crs, dict(self.metadata))

    def read_raw(self, window: Window) -> np.ndarray:
        """The stored DNs of a window, as the label's sample type (no scaling)."""
        image = self.image
        try:
            rows = np.memmap(
                self.image_path,
                dtype=np.uint8,
                mode="r",
                offset=image.image_offset_bytes,
                shape=(image.lines, image.row_bytes),
            )
            first = image.line_prefix_bytes + window.col_off * image.sample_bytes
            block = np.array(rows[window.rows, first : first + window.width * image.sample_bytes])
            del rows  # release the mapping now, not at garbage collection
        except (OSError, ValueError) as error:
            raise DataFileError(f"{self.image_path}: cannot read {window} ({error})") from error
        return block.view(image.dtype).reshape(window.height, window.width)


# --------------------------------------------------------------------------------------
# Writing (small products in the LOLA layout)
# --------------------------------------------------------------------------------------

_NOTE = (
    "NOTE:",
    "Conversion from Digital Number to HEIGHT, i.e. elevation in {unit}, is:",
    "HEIGHT = (DN * SCALING_FACTOR).",
    "The conversion from Digital Number to PLANETARY_RADIUS in {unit} is:",
    "PLANETARY_RADIUS = (DN * SCALING_FACTOR) + OFFSET",
    "where OFFSET is the radius of a reference sphere.",
)

# Keywords whose text values the LOLA labels write bare; every other text value is quoted.
_BARE_KEYS = {
    "TARGET_NAME",
    "PRODUCER_ID",
    "RECORD_TYPE",
    "NAME",
    "SAMPLE_TYPE",
    "UNIT",
    "OBJECT",
    "END_OBJECT",
    "START_TIME",
    "STOP_TIME",
    "PRODUCT_CREATION_TIME",
}

_IDENTITY_ORDER = (
    "PRODUCT_VERSION_ID",
    "DATA_SET_ID",
    "PRODUCT_ID",
    "SOURCE_PRODUCT_ID",
    "INSTRUMENT_HOST_NAME",
    "INSTRUMENT_NAME",
    "INSTRUMENT_ID",
    "MISSION_PHASE_NAME",
    "TARGET_NAME",
    "START_TIME",
    "STOP_TIME",
    "PRODUCT_CREATION_TIME",
    "PRODUCER_ID",
    "PRODUCER_FULL_NAME",
    "PRODUCER_INSTITUTION_NAME",
)


def _format_value(value: Any, bare: bool = False) -> str:
    if isinstance(value, Quantity):
        return f"{_format_value(value.value)} <{value.unit}>"
    if isinstance(value, RadixInt):
        return ("-" if value < 0 else "") + value.pds()
    if isinstance(value, bool):
        raise InputError(f"booleans are not PDS3 values: {value!r}")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, tuple | list):
        return "{" + ",".join(_format_value(item) for item in value) + "}"
    text = str(value).replace('"', "'")
    if bare and re.fullmatch(r"[A-Za-z0-9_:.+-]+", text):
        return text
    return f'"{text}"'


def _statement(key: str, value: Any, indent: int, width: int) -> str:
    return f"{' ' * indent}{key:<{width - indent}}= {_format_value(value, key in _BARE_KEYS)}"


def format_lola_label(
    *,
    product_id: str,
    image_file: str,
    lines: int,
    line_samples: int,
    sample_type: str,
    sample_bits: int,
    unit: str,
    scaling_factor: float,
    offset: float | int,
    pixel_size_m: float,
    line_projection_offset_px: float,
    sample_projection_offset_px: float,
    missing_constant: int | float | None = None,
    derived_minimum: float | int | None = None,
    derived_maximum: float | int | None = None,
    identity: dict[str, Any] | None = None,
    description: str | None = None,
) -> str:
    """PDS3 label text in the layout of the LOLA GDR polar products.

    The image is described inside ``OBJECT = UNCOMPRESSED_FILE`` and the grid in
    ``OBJECT = IMAGE_MAP_PROJECTION`` exactly as in ``LDEM_80S_20M.LBL``; the extent
    keywords (``MINIMUM/MAXIMUM_LATITUDE``, and the longitudes when the pole is outside the
    grid) are computed from the grid, so the label passes the checks of
    :func:`image_from_label`.

    Parameters
    ----------
    product_id, image_file : str
        ``PRODUCT_ID`` and the detached image file name (``^IMAGE``).
    lines, line_samples : int
        Grid size [px].
    sample_type : str
        ``LSB_INTEGER``, ``PC_REAL`` … (any type :func:`image_from_label` reads).
    sample_bits : int
        Bits per sample.
    unit : str
        ``METER`` or ``KILOMETER``: unit of ``OFFSET + SCALING_FACTOR * DN``.
    scaling_factor, offset : float
        As in the LOLA labels (0.5 and 1737400. for the 16-bit products).
    pixel_size_m : float
        ``MAP_SCALE`` [m].
    line_projection_offset_px, sample_projection_offset_px : float
        0-based row and column of the pole.
    missing_constant : int or float, optional
        ``MISSING_CONSTANT`` (a :class:`RadixInt` is written in radix notation).
    derived_minimum, derived_maximum : float, optional
        ``DERIVED_MINIMUM``/``MAXIMUM`` (DN).
    identity : dict, optional
        Top-level keywords (``DATA_SET_ID``, ``PRODUCT_VERSION_ID``, ``START_TIME``, …).
    description : str, optional
        ``DESCRIPTION`` text.

    Returns
    -------
    str
    """
    nbytes = sample_bits // 8
    width = 26
    top = dict(identity or {})
    top["PRODUCT_ID"] = product_id
    top.setdefault("TARGET_NAME", "MOON")
    top.setdefault("PRODUCT_CREATION_TIME", datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"))
    out = [_statement("PDS_VERSION_ID", "PDS3", 0, width)]
    ordered = [key for key in _IDENTITY_ORDER if key in top]
    ordered += [key for key in top if key not in _IDENTITY_ORDER and key != "DESCRIPTION"]
    for key in ordered:
        out.append(_statement(key, top[key], 0, width))
    text = (description or top.get("DESCRIPTION") or "").replace('"', "'")
    if text:
        wrapped = textwrap.fill(text, 72, initial_indent=" " * 3, subsequent_indent=" " * 3)
        out.append(f'{"DESCRIPTION":<{width}}= "{wrapped.strip()}"')
    out.append("")

    out.append(_statement("OBJECT", "UNCOMPRESSED_FILE", 0, width))
    out.append(_statement("FILE_NAME", image_file, 0, width))
    out.append(_statement("RECORD_TYPE", "FIXED_LENGTH", 0, width))
    out.append(_statement("FILE_RECORDS", lines, 0, width))
    out.append(_statement("RECORD_BYTES", line_samples * nbytes, 0, width))
    out.append(_statement("^IMAGE", image_file, 0, width))
    out.append(_statement("OBJECT", "IMAGE", 2, width))
    out.append(_statement("NAME", "HEIGHT", 4, width))
    out.append(
        f'{"    DESCRIPTION":<{width}}= "Each sample represents height relative to a\n'
        '      reference radius (OFFSET)."'
    )
    image_keys: list[tuple[str, Any]] = [("LINES", lines), ("LINE_SAMPLES", line_samples)]
    if derived_minimum is not None and derived_maximum is not None:
        image_keys += [("DERIVED_MINIMUM", derived_minimum), ("DERIVED_MAXIMUM", derived_maximum)]
    image_keys += [
        ("SAMPLE_TYPE", sample_type),
        ("SAMPLE_BITS", sample_bits),
        ("UNIT", unit),
        ("SCALING_FACTOR", scaling_factor),
        ("OFFSET", offset),
    ]
    if missing_constant is not None:
        image_keys.append(("MISSING_CONSTANT", missing_constant))
    out += [_statement(key, value, 4, width) for key, value in image_keys]
    out.append("")
    unit_word = "meters" if _LENGTH_UNITS_M.get(unit.upper()) == 1.0 else "kilometers"
    out += [f"/* {line.format(unit=unit_word):<71} */" for line in _NOTE]
    out.append("")
    out.append(_statement("END_OBJECT", "IMAGE", 2, width))
    out.append(_statement("END_OBJECT", "UNCOMPRESSED_FILE", 0, width))
    out.append("")

    scale = float(pixel_size_m)
    transform = Affine(
        scale,
        0,
        -(sample_projection_offset_px + 0.5) * scale,
        0,
        -scale,
        (line_projection_offset_px + 0.5) * scale,
    )
    extent = grid_extent(transform, (lines, line_samples))
    na = "N/A"
    longitudes: tuple[Any, Any] = (na, na)
    if not extent["pole_inside"]:
        longitudes = (
            Quantity(round(extent["westernmost_longitude_deg"], 6), "deg"),
            Quantity(round(extent["easternmost_longitude_deg"], 6), "deg"),
        )
    projection: list[tuple[str, Any]] = [
        ("^DATA_SET_MAP_PROJECTION", "DSMAP_POLAR.CAT"),
        ("MAP_PROJECTION_TYPE", "POLAR STEREOGRAPHIC"),
        ("KEYWORD_LATITUDE_TYPE", "PLANETOCENTRIC"),
        ("MAP_RESOLUTION", Quantity(round(math.pi * MOON_RADIUS_M / 180 / scale, 2), "pix/deg")),
        ("A_AXIS_RADIUS", Quantity(MOON_RADIUS_M / 1000, "km")),
        ("B_AXIS_RADIUS", Quantity(MOON_RADIUS_M / 1000, "km")),
        ("C_AXIS_RADIUS", Quantity(MOON_RADIUS_M / 1000, "km")),
        ("FIRST_STANDARD_PARALLEL", na),
        ("SECOND_STANDARD_PARALLEL", na),
        ("POSITIVE_LONGITUDE_DIRECTION", "EAST"),
        ("CENTER_LATITUDE", Quantity(-90, "deg")),
        ("CENTER_LONGITUDE", Quantity(0, "deg")),
        ("REFERENCE_LATITUDE", na),
        ("REFERENCE_LONGITUDE", na),
        ("LINE_FIRST_PIXEL", 1),
        ("LINE_LAST_PIXEL", lines),
        ("SAMPLE_FIRST_PIXEL", 1),
        ("SAMPLE_LAST_PIXEL", line_samples),
        ("MAP_PROJECTION_ROTATION", 0.0),
        ("MAP_SCALE", Quantity(int(scale) if scale.is_integer() else scale, "m/pix")),
        ("MAXIMUM_LATITUDE", Quantity(round(extent["maximum_latitude_deg"], 6), "deg")),
        ("MINIMUM_LATITUDE", Quantity(round(extent["minimum_latitude_deg"], 6), "deg")),
        ("WESTERNMOST_LONGITUDE", longitudes[0]),
        ("EASTERNMOST_LONGITUDE", longitudes[1]),
        ("LINE_PROJECTION_OFFSET", Quantity(float(line_projection_offset_px), "pix")),
        ("SAMPLE_PROJECTION_OFFSET", Quantity(float(sample_projection_offset_px), "pix")),
        ("COORDINATE_SYSTEM_TYPE", "BODY-FIXED ROTATING"),
        ("COORDINATE_SYSTEM_NAME", "MEAN EARTH/POLAR AXIS OF DE421"),
    ]
    out.append(_statement("OBJECT", "IMAGE_MAP_PROJECTION", 0, 30))
    for key, value in projection:
        if value == na:
            out.append(f" {key:<29}= 'N/A'")  # the LOLA labels' own spelling
        else:
            out.append(_statement(key, value, 1, 30))
    out.append(_statement("END_OBJECT", "IMAGE_MAP_PROJECTION", 0, 30))
    out.append("")
    out.append("END")
    return "\n".join(out) + "\n"


def _write_atomic(path: Path, data: bytes) -> None:
    partial = path.with_name(path.name + ".partial")
    try:
        with open(partial, "wb") as stream:
            stream.write(data)
        os.replace(partial, path)  # nothing half-written under the final name
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise DataFileError(f"cannot write {path}: {error}") from error


def write_lola_product(
    directory: str | Path,
    name: str,
    heights_m: np.ndarray,
    pixel_size_m: float,
    *,
    floating: bool = False,
    scaling_factor: float = 0.5,
    line_projection_offset_px: float | None = None,
    sample_projection_offset_px: float | None = None,
    float_unit: str = "KILOMETER",
    identity: dict[str, Any] | None = None,
) -> Path:
    """Write a small DEM as a ``NAME.LBL`` + ``NAME.IMG`` pair in the LOLA polar layout.

    The 16-bit form mirrors ``LDEM_80S_20M``: ``LSB_INTEGER`` DNs with
    ``height = DN * SCALING_FACTOR`` [m] and ``OFFSET = 1737400.``. The floating form
    mirrors the ``_FLOAT`` products: ``PC_REAL`` 32-bit heights in kilometres with
    ``SCALING_FACTOR = 1`` and ``OFFSET = 1737.4`` (or metres with ``float_unit="METER"``).
    NaN heights are written as ``MISSING_CONSTANT`` (-32768, or the PDS real null).

    Parameters
    ----------
    directory : str or Path
        Where to write (created if needed).
    name : str
        Product name, used for the file names and ``PRODUCT_ID``.
    heights_m : ndarray
        2-D heights [m above the 1 737 400 m sphere], north up, NaN where missing.
    pixel_size_m : float
        Pixel size [m] (``MAP_SCALE``).
    floating : bool
        Write 32-bit reals instead of scaled 16-bit integers.
    scaling_factor : float
        Metres per DN of the 16-bit form.
    line_projection_offset_px, sample_projection_offset_px : float, optional
        0-based row and column of the pole; by default the grid is centred on it like the
        LOLA products (``N/2 - 0.5``).
    float_unit : str
        ``KILOMETER`` (as LOLA) or ``METER``, for the floating form.
    identity : dict, optional
        Top-level label keywords to add or override.

    Returns
    -------
    Path
        The label path.

    Raises
    ------
    InputError
        When the heights are not 2-D, or do not fit 16-bit DNs at this scaling factor.
    """
    heights = np.asarray(heights_m, dtype=np.float64)
    if heights.ndim != 2 or 0 in heights.shape:
        raise InputError(f"heights_m must be a non-empty 2-D grid; got shape {heights.shape}")
    if not pixel_size_m > 0:
        raise InputError(f"pixel_size_m must be positive; got {pixel_size_m}")
    if np.isinf(heights).any():
        raise InputError("heights_m holds infinities; use NaN for missing data")
    lines, samples = heights.shape
    missing = np.isnan(heights)
    if floating:
        unit = float_unit.upper()
        unit_m = _LENGTH_UNITS_M.get(unit)
        if unit_m not in (1.0, 1000.0):
            raise InputError(f"float_unit must be KILOMETER or METER; got {float_unit!r}")
        values = (heights / unit_m).astype("<f4")
        null = PDS_NULL_REAL32
        values[missing] = np.array(null, dtype="<u4").view("<f4")
        sample_type, bits, scaling = "PC_REAL", 32, 1.0
        offset: float = MOON_RADIUS_M / unit_m
        finite = values[~missing]
        # str() of a float32 is its shortest round-trip spelling (-0.005, not -0.00499999…).
        derived = (
            (float(str(finite.min())), float(str(finite.max()))) if finite.size else (None,) * 2
        )
        missing_constant: Any = null if missing.any() else None
    else:
        if not scaling_factor > 0:
            raise InputError(f"scaling_factor must be positive; got {scaling_factor}")
        dn = np.round(np.where(missing, 0.0, heights) / scaling_factor)
        low, high = np.iinfo(np.int16).min + 1, np.iinfo(np.int16).max
        if dn.min() < low or dn.max() > high:
            raise InputError(
                f"heights {np.nanmin(heights):g}..{np.nanmax(heights):g} m do not fit 16-bit "
                f"DNs at {scaling_factor} m per DN; use a larger scaling_factor or floating=True"
            )
        values = dn.astype("<i2")
        values[missing] = PDS_NULL_INT16
        sample_type, bits, scaling, unit = "LSB_INTEGER", 16, float(scaling_factor), "METER"
        offset = MOON_RADIUS_M
        finite = values[~missing]
        derived = (int(finite.min()), int(finite.max())) if finite.size else (None, None)
        missing_constant = PDS_NULL_INT16 if missing.any() else None
    line0 = (lines / 2 - 0.5) if line_projection_offset_px is None else line_projection_offset_px
    sample0 = (
        (samples / 2 - 0.5) if sample_projection_offset_px is None else sample_projection_offset_px
    )
    base_identity = {
        "PRODUCT_VERSION_ID": "V1.0",
        "DATA_SET_ID": "ILRS-PLANNER-LOLA-GDR-LAYOUT",
        "TARGET_NAME": "MOON",
        "PRODUCER_ID": "ILRS_PLANNER",
    }
    base_identity.update(identity or {})
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    image_name = f"{name}.IMG"
    text = format_lola_label(
        product_id=name,
        image_file=image_name,
        lines=lines,
        line_samples=samples,
        sample_type=sample_type,
        sample_bits=bits,
        unit=unit,
        scaling_factor=scaling,
        offset=offset,
        pixel_size_m=float(pixel_size_m),
        line_projection_offset_px=line0,
        sample_projection_offset_px=sample0,
        missing_constant=missing_constant,
        derived_minimum=derived[0],
        derived_maximum=derived[1],
        identity=base_identity,
        description=(
            f"Height map of {lines} x {samples} pixels of {pixel_size_m:g} m, polar "
            "stereographic (spherical) about the south pole, written by ILRS Planner in the "
            "layout of the LOLA GDR polar products. Map values are relative to a radius of "
            "1737.4 km."
        ),
    )
    _write_atomic(directory / image_name, values.tobytes())
    label_path = directory / f"{name}.LBL"
    _write_atomic(label_path, text.encode("ascii"))
    return label_path
