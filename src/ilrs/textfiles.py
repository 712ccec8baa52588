"""Reading a user's text file, with one clear error for a missing or unreadable file, one
too large to be what it claims, one that is not UTF-8 text; and the fields of its CSV lines
and their numbers, each fault named with the file and the line."""

from __future__ import annotations

import csv
import math
import os
import re
import stat
from pathlib import Path

from ilrs.errors import InputError

__all__ = [
    "DECIMAL_NUMBER",
    "DEFAULT_MAX_TEXT_BYTES",
    "MAX_NUMBER_CHARS",
    "MAX_TEXT_BYTES",
    "csv_fields",
    "parse_number",
    "read_text",
]

# The most a text file of an unlisted kind may hold: a scenario or plan file is a few kB,
# a CSV of 100 000 rows a few MB; past this it is a wrong file, read into memory whole.
DEFAULT_MAX_TEXT_BYTES = 16 << 20

# Per kind, where a real file can be larger than the default.
MAX_TEXT_BYTES = {
    # One ISO time (21 bytes) a line: 3 million instants, a century at 20 min steps.
    "times": 64 << 20,
    # A registry import of a million records of about 60 bytes.
    "import": 64 << 20,
}

# A float64 has 17 significant digits; with sign, point, exponent and some leading zeros a
# written number is far shorter than this. Longer is not a number (and Python's int() of
# more than 4300 digits fails on its own).
MAX_NUMBER_CHARS = 64

# A number as spreadsheets and people write it: ASCII digits, a point, an exponent.
DECIMAL_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NOT_FINITE = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)


def read_text(
    path: str | Path, kind: str, *, encoding: str = "utf-8-sig", max_bytes: int | None = None
) -> str:
    """The text of a ``kind`` file ("horizon", "times" ...); by default a leading byte-order
    mark is dropped, as spreadsheets write one.

    At most ``max_bytes`` are read (by default :data:`MAX_TEXT_BYTES` of the kind, else
    :data:`DEFAULT_MAX_TEXT_BYTES`): a larger file is refused from its size before it is
    read, and a pipe, a device or a file that grows while being read is cut off one byte
    past the limit and refused too; a named pipe is opened without waiting for a writer
    (with none, it reads as empty). A NUL byte or bytes that are not UTF-8 are refused
    with their line.
    """
    path = Path(path)
    limit = max_bytes if max_bytes is not None else MAX_TEXT_BYTES.get(kind, DEFAULT_MAX_TEXT_BYTES)
    try:
        # Without waiting for a writer: a named pipe that no one writes to reads as empty.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        raise InputError(f"cannot read {kind} file {path}: {error.strerror or error}") from error
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise InputError(f"{kind} file {path} is a directory")
        if stat.S_ISREG(info.st_mode) and info.st_size > limit:
            raise _too_large(path, kind, f"{info.st_size:,}", limit)
        if hasattr(os, "O_NONBLOCK"):
            os.set_blocking(fd, True)  # then read a pipe as it comes
        with os.fdopen(fd, "rb") as stream:
            fd = -1  # the stream closes it
            raw = stream.read(limit + 1)
    except OSError as error:
        raise InputError(f"cannot read {kind} file {path}: {error.strerror or error}") from error
    finally:
        if fd >= 0:
            os.close(fd)
    if len(raw) > limit:
        raise _too_large(path, kind, f"more than {limit:,}", limit)
    nul = raw.find(b"\0")
    if nul >= 0:
        raise InputError(
            f"{path}:{_line_at(raw, nul)}: a NUL byte; a {kind} file is UTF-8 text (one "
            "saved as UTF-16 has them: save it as UTF-8)"
        )
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as error:
        bad = raw[error.start : error.start + 1].hex().upper()
        raise InputError(
            f"{path}:{_line_at(raw, error.start)}: not UTF-8 text (the byte 0x{bad}); save the "
            f"{kind} file as UTF-8"
        ) from None


def _too_large(path: Path, kind: str, size: str, limit: int) -> InputError:
    return InputError(
        f"{kind} file {path} is too large: {size} bytes, where a {kind} file has at most "
        f"{limit:,} bytes (is it the right file?)"
    )


def _line_at(raw: bytes, index: int) -> int:
    return raw.count(b"\n", 0, index) + 1


def csv_fields(line: str, where: str) -> list[str]:
    """The fields of one CSV line; a line the csv module refuses (a field over its limit of
    128 KiB, an unclosed quote at the end) is an :class:`InputError` naming ``where``."""
    if '"' not in line:  # nothing quoted: the same fields, many times faster
        return line.rstrip("\r\n").split(",") if line.strip("\r\n") else []
    try:
        return next(csv.reader([line]), [])
    except csv.Error as error:
        raise InputError(f"{where}: not a CSV line: {error}") from None


def parse_number(text: str, where: str) -> float:
    """A finite number written in ASCII decimal (``12``, ``-0.5``, ``1e-3``) as spreadsheets
    write it; anything else (``nan``, ``inf``, ``1e999``, digits of other scripts, ``1_000``,
    more than :data:`MAX_NUMBER_CHARS` characters) is an :class:`InputError` that names
    ``where`` (the file, line and field)."""
    token = text.strip()
    if len(token) <= MAX_NUMBER_CHARS and DECIMAL_NUMBER.fullmatch(token):
        value = float(token)
        if math.isfinite(value):
            return value
        raise InputError(f"{where} must be finite, got {token!r}")
    if _NOT_FINITE.fullmatch(token):
        raise InputError(f"{where} must be finite, got {token!r}")
    if len(token) > MAX_NUMBER_CHARS:
        raise InputError(
            f"{where} is not a number: {token[:20]!r}... ({len(token):,} characters; a number "
            f"has at most {MAX_NUMBER_CHARS})"
        )
    raise InputError(f"{where} is not a number: {token!r}")
