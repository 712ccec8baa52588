"""How much memory one read of a raster (or one computation on a whole grid) may take,
checked before the array is allocated.

A GeoTIFF or a PDS3 label may declare any size: a header of 10^6 x 10^6 pixels costs a few
bytes, its float64 heights 7.3 TiB. Every read asks :func:`check_memory` first, which
refuses with one line naming the size, the limit and what to do instead.

The limit is :data:`MEMORY_FRACTION` of the memory this process can have (the machine's,
or less under a cgroup or an address-space limit), or the environment variable
``ILRS_MAX_READ_BYTES`` (bytes, or with a K, M, G or T suffix of powers of 1024).
"""

from __future__ import annotations

import contextlib
import os
import re

from ilrs.errors import InputError

__all__ = [
    "MAX_READ_BYTES_ENV",
    "MEMORY_FRACTION",
    "READ_ADVICE",
    "READ_BYTES_PER_PIXEL",
    "available_memory_bytes",
    "check_memory",
    "format_bytes",
    "max_read_bytes",
]

MAX_READ_BYTES_ENV = "ILRS_MAX_READ_BYTES"

# One array may take half of the memory: the caller works on what it read (a slope map,
# the report's figures) beside it, and the rest of the process needs room too.
MEMORY_FRACTION = 0.5

# A read makes float64 heights (8 bytes a pixel) and the boolean mask of the nodata
# pixels (1 byte); GDAL converts into that array directly, through its own bounded cache.
READ_BYTES_PER_PIXEL = 8 + 1

READ_ADVICE = (
    "read a window of it (a smaller area or --max-distance-m, or a tiled command with a "
    "smaller --tile-px), cut one out first (gdal_translate -srcwin), or raise the limit"
)

# When the machine's memory cannot be found (not a POSIX system): a small laptop's.
FALLBACK_MEMORY_BYTES = 4 << 30

_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
_SIZE = re.compile(r"([0-9]+)\s*([KMGT]?)(?:I?B)?", re.IGNORECASE)


def available_memory_bytes() -> int:
    """The memory this process can have [bytes]: the least of the machine's physical
    memory, its cgroup's limit and its address-space limit, whichever are known."""
    sizes = []
    with contextlib.suppress(AttributeError, ValueError, OSError):  # not POSIX
        sizes.append(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(path) as stream:
                text = stream.read(64).strip()
        except OSError:
            continue
        if text.isdigit():
            sizes.append(int(text))
    try:
        import resource

        for limit in (resource.RLIMIT_AS, resource.RLIMIT_DATA):
            soft = resource.getrlimit(limit)[0]
            if soft != resource.RLIM_INFINITY and soft > 0:
                sizes.append(soft)
    except (ImportError, ValueError, OSError):
        pass
    return min(sizes) if sizes else FALLBACK_MEMORY_BYTES


def max_read_bytes() -> int:
    """The most one array may take [bytes]: ``ILRS_MAX_READ_BYTES`` if it is set, else
    :data:`MEMORY_FRACTION` of :func:`available_memory_bytes`."""
    text = os.environ.get(MAX_READ_BYTES_ENV, "").strip()
    if not text:
        return int(MEMORY_FRACTION * available_memory_bytes())
    match = _SIZE.fullmatch(text)
    if not match or len(match.group(1)) > 20:
        raise InputError(
            f"{MAX_READ_BYTES_ENV}={text[:40]!r} is not a size; give bytes, such as "
            "8000000000 or 8G (K, M, G, T: powers of 1024)"
        )
    return int(match.group(1)) * _UNITS[match.group(2).upper()]


def format_bytes(count: float) -> str:
    """A byte count for people: ``3.6 TiB``, ``512 MiB``, ``900 bytes``."""
    for unit, size in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= size:
            return f"{count / size:.3g} {unit}"
    return f"{int(count)} bytes"


def check_memory(nbytes: int, what: str, advice: str) -> None:
    """Refuse (an :class:`InputError`) to allocate ``nbytes`` for ``what`` ("reading
    1000 x 1000 px of dem.tif") past :func:`max_read_bytes`; ``advice`` says what to do
    instead. Call it before allocating."""
    limit = max_read_bytes()
    if nbytes <= limit:
        return
    if os.environ.get(MAX_READ_BYTES_ENV, "").strip():
        origin = f"{MAX_READ_BYTES_ENV} sets it"
    else:
        origin = (
            f"{MEMORY_FRACTION:.0%} of the {format_bytes(available_memory_bytes())} this "
            f"process can have; {MAX_READ_BYTES_ENV} sets another"
        )
    raise InputError(
        f"{what} needs {format_bytes(nbytes)} of memory, more than the limit of "
        f"{format_bytes(limit)} ({origin}): {advice}"
    )
