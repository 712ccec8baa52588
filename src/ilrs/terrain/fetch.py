"""Fetch a window of a LOLA polar product over HTTP range requests.

A full LOLA 5 m south-pole product is 1.8 GB; a site study needs a few thousand rows of
it. :func:`fetch_window` reads the product's PDS3 label, asks the server for only the bytes
of the window's rows (``Range:`` requests, consecutive rows coalesced into one request), and
writes a small local product (a new ``.LBL``/``.IMG`` pair whose projection offsets are
shifted by the window's origin, so that :class:`~ilrs.terrain.pds3.Pds3Source` reads it
back georeferenced) into a cache directory.

The download is

- resumable: rows are appended to ``<name>.IMG.partial`` and the plan (URLs, window, a
  SHA-256 of the label, the server's validator) is kept in ``<name>.progress.json``; a
  later run continues after the last whole row. A completed window is found in the cache
  without any network request;
- verified: every answer must be ``206 Partial Content`` with exactly the ``Content-Range``
  and ``Content-Length`` asked for, and the remote size must be the size the label
  describes; the final file must have the window's size; its SHA-256, the source URL, the
  window and the date go into a sidecar ``<name>.json``;
- atomic: nothing is written under the final names until the window is complete.

Only the Python standard library is used (``urllib.request``).
"""

from __future__ import annotations

import hashlib
import http.client
import json
import math
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from affine import Affine

from ilrs.errors import DataFileError, InputError
from ilrs.terrain.grid import MOON_RADIUS_M, Window, polar_xy_from_latlon
from ilrs.terrain.pds3 import (
    MAX_LABEL_BYTES,
    Pds3Image,
    Pds3Source,
    find_object,
    format_lola_label,
    image_from_label,
    parse_label,
)

__all__ = [
    "LOLA_POLAR_BASE_URL",
    "RemoteProduct",
    "default_cache_dir",
    "fetch_around",
    "fetch_label",
    "fetch_window",
    "lola_polar_label_url",
    "window_for_latlon_box",
    "window_for_radius",
]

# LOLA GDR polar products at the PDS Geosciences Node (data set LRO-L-LOLA-4-GDR-V1.0,
# volume LROLOL_1XXX): img/ holds the 16-bit products (ldem_80s_20m.img/.lbl …), float_img/
# the 32-bit ones (ldem_80s_20m_float.img/.lbl), jp2/ JPEG 2000 copies. File names are
# lower case on the server although the labels spell them in upper case.
LOLA_POLAR_BASE_URL = (
    "https://pds-geosciences.wustl.edu/lro/lro-l-lola-3-rdr-v1/lrolol_1xxx/data/lola_gdr/polar/"
)

DEFAULT_MAX_REQUEST_BYTES = 8 << 20  # one request per 8 MiB keeps resumption cheap
DEFAULT_MAX_GAP_BYTES = 256 << 10  # fetching a short gap costs less than another request

ProgressCallback = Callable[[int, int], None]


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("ilrs-planner")
    except Exception:  # an uninstalled checkout still fetches
        return "0"


USER_AGENT = f"ilrs-planner/{_version()} (Python urllib; HTTP range requests)"


class _InterruptedError(DataFileError):
    """A transfer that stopped early (connection dropped, timed out): worth resuming."""


class _RemoteChangedError(DataFileError):
    """The remote image is not the one the partial download began with."""


# --------------------------------------------------------------------------------------
# Names, URLs and the cache
# --------------------------------------------------------------------------------------


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/ilrs``, or ``~/.cache/ilrs`` (XDG Base Directory specification)."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".cache"
    return root / "ilrs"


def lola_polar_label_url(product_name: str, *, base_url: str = LOLA_POLAR_BASE_URL) -> str:
    """URL of a LOLA polar product's label from its name, e.g. ``LDEM_875S_5M``.

    ``_FLOAT`` products live in ``float_img/``, the others in ``img/``.
    """
    name = product_name.strip().lower()
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise InputError(
            f"{product_name!r} is not a LOLA product name such as LDEM_875S_5M or "
            "LDEM_80S_20M_FLOAT; give a URL to its .LBL or .IMG instead"
        )
    folder = "float_img" if name.endswith("_float") else "img"
    return urllib.parse.urljoin(base_url, f"{folder}/{name}.lbl")


def _product_urls(product_url: str) -> tuple[str, str | None]:
    """Label URL, and the image URL when the caller named the image."""
    if "://" not in product_url:
        return lola_polar_label_url(product_url), None
    parts = urllib.parse.urlsplit(product_url)
    if parts.scheme.lower() not in ("http", "https"):
        raise InputError(f"{product_url}: only http(s) URLs can be fetched")
    path = parts.path
    if path.lower().endswith(".lbl"):
        return product_url, None
    if path.lower().endswith(".img"):
        label_path = path[:-4] + (".lbl" if path[-4:].islower() else ".LBL")
        return urllib.parse.urlunsplit(parts._replace(path=label_path)), product_url
    raise InputError(f"{product_url}: expected the URL of a PDS3 .LBL label or .IMG image")


def _product_name(label_url: str) -> str:
    name = urllib.parse.unquote(urllib.parse.urlsplit(label_url).path.rsplit("/", 1)[-1])
    return name.rsplit(".", 1)[0].upper() or "PRODUCT"


def _product_dir(cache_dir: str | Path | None, label_url: str) -> Path:
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    # The URL's hash keeps windows of different servers' copies apart.
    digest = hashlib.sha256(label_url.encode()).hexdigest()[:10]
    return root / "lola" / f"{_product_name(label_url).lower()}-{digest}"


@dataclass(frozen=True)
class _Paths:
    label: Path
    image: Path
    sidecar: Path
    partial: Path
    progress: Path

    @classmethod
    def of(cls, directory: Path, stem: str) -> _Paths:
        return cls(
            label=directory / f"{stem}.LBL",
            image=directory / f"{stem}.IMG",
            sidecar=directory / f"{stem}.json",
            partial=directory / f"{stem}.IMG.partial",
            progress=directory / f"{stem}.progress.json",
        )


def _window_stem(product: str, window: Window) -> str:
    return f"{product}_W{window.row_off}_{window.col_off}_{window.height}X{window.width}".upper()


def _cached(paths: _Paths) -> bool:
    """A completed window: label, image and sidecar present, the image of recorded size."""
    if not (paths.sidecar.is_file() and paths.label.is_file() and paths.image.is_file()):
        return False
    try:
        record = json.loads(paths.sidecar.read_text())
        return paths.image.stat().st_size == int(record["size_bytes"])
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _write_atomic(path: Path, data: bytes) -> None:
    partial = path.with_name(path.name + ".tmp")
    try:
        partial.write_bytes(data)
        os.replace(partial, path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise DataFileError(f"cannot write {path}: {error}") from error


def _utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------------------


def _open(url: str, headers: dict[str, str], timeout_s: float) -> http.client.HTTPResponse:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **headers})
    try:
        return urllib.request.urlopen(request, timeout=timeout_s)  # http(s) only: see _product_urls
    except urllib.error.HTTPError as error:
        error.close()
        # A busy or failing server may answer the next attempt: let the caller retry.
        kind = _InterruptedError if error.code in (429, 500, 502, 503, 504) else DataFileError
        raise kind(
            f"{url}: the server answered {error.code} {error.reason}"
            + (" to a range request" if "Range" in headers else "")
        ) from error
    except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
        reason = getattr(error, "reason", error)
        raise _InterruptedError(f"cannot reach {url}: {reason}") from error


def _read_exact(response: http.client.HTTPResponse, size: int, url: str) -> bytes:
    chunks = []
    remaining = size
    while remaining:
        try:
            chunk = response.read(min(remaining, 1 << 20))
        except (http.client.HTTPException, OSError) as error:
            raise _InterruptedError(f"{url}: transfer broke off ({error!r})") from error
        if not chunk:
            raise _InterruptedError(f"{url}: the connection closed {remaining:,} bytes early")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


@dataclass(frozen=True)
class RemoteProduct:
    """A product's label as fetched: its URLs, its text and what it describes."""

    label_url: str
    image_url: str
    label_text: str
    image: Pds3Image

    @property
    def shape(self) -> tuple[int, int]:
        return self.image.shape

    @property
    def transform(self) -> Affine:
        return self.image.transform

    @property
    def label_sha256(self) -> str:
        return hashlib.sha256(self.label_text.encode("ascii", "replace")).hexdigest()


def _label_from_text(label_url: str, image_url: str | None, text: str) -> RemoteProduct:
    if text.lstrip().startswith("<"):
        raise DataFileError(
            f"{label_url}: the server sent an HTML page, not a PDS3 label (a wrong URL, or a "
            "'not found' page served with status 200)"
        )
    label = parse_label(text, where=label_url)
    image = image_from_label(label, where=label_url, product_name=_product_name(label_url))
    if image.image_file is None:
        raise DataFileError(
            f"{label_url}: the image is attached to its label; only products with a detached "
            'image (^IMAGE = "FILE.IMG") can be fetched by window'
        )
    if image_url is None:
        # The PDS Geosciences Node serves lower-case names while the labels say upper case:
        # follow the spelling of the label's own URL.
        label_name = urllib.parse.urlsplit(label_url).path.rsplit("/", 1)[-1]
        name = image.image_file.lower() if label_name.islower() else image.image_file
        image_url = urllib.parse.urljoin(label_url, urllib.parse.quote(name))
    return RemoteProduct(label_url, image_url, text, image)


def fetch_label(
    product_url: str,
    *,
    cache_dir: str | Path | None = None,
    timeout_s: float = 60.0,
    refresh: bool = False,
) -> RemoteProduct:
    """Fetch (or take from the cache) and check the PDS3 label of a remote product.

    Parameters
    ----------
    product_url : str
        URL of the product's ``.LBL`` or ``.IMG``, or a LOLA product name such as
        ``LDEM_875S_5M`` (see :func:`lola_polar_label_url`).
    cache_dir : str or Path, optional
        Cache root (default :func:`default_cache_dir`); the label is kept there.
    timeout_s : float
        Network timeout [s].
    refresh : bool
        Fetch the label even when a copy is cached.

    Returns
    -------
    RemoteProduct

    Raises
    ------
    DataFileError
        When the server cannot be reached or refuses, or the label is not a south polar
        stereographic PDS3 image label with a detached image.
    """
    label_url, image_url = _product_urls(product_url)
    cached = _product_dir(cache_dir, label_url) / "source.LBL"
    if cached.is_file() and not refresh:
        return _label_from_text(label_url, image_url, cached.read_text("ascii", "replace"))
    with _open(label_url, {}, timeout_s) as response:
        raw = _read_all(response, label_url)
    remote = _label_from_text(label_url, image_url, raw.decode("ascii", "replace"))
    cached.parent.mkdir(parents=True, exist_ok=True)
    _write_atomic(cached, remote.label_text.encode("ascii", "replace"))
    return remote


def _read_all(response: http.client.HTTPResponse, url: str) -> bytes:
    try:
        raw = response.read(MAX_LABEL_BYTES + 1)
    except (http.client.HTTPException, OSError) as error:
        raise _InterruptedError(f"{url}: transfer broke off ({error!r})") from error
    if len(raw) > MAX_LABEL_BYTES:
        raise DataFileError(f"{url}: larger than {MAX_LABEL_BYTES:,} bytes; not a PDS3 label")
    return raw


# --------------------------------------------------------------------------------------
# Windows from geography
# --------------------------------------------------------------------------------------


def _window_from_xy(grid, x_min: float, x_max: float, y_min: float, y_max: float, what: str):
    transform = grid.transform
    rows, cols = grid.shape
    size = transform.a
    left, top = transform.c, transform.f
    eps = 1e-9  # keep a bound that falls exactly on a pixel edge from taking one more pixel
    col0 = math.floor((x_min - left) / size + eps)
    col1 = math.ceil((x_max - left) / size - eps)
    row0 = math.floor((top - y_max) / size + eps)
    row1 = math.ceil((top - y_min) / size - eps)
    window = Window(row0, col0, max(row1 - row0, 1), max(col1 - col0, 1))
    if not window.inside((rows, cols)):
        right, bottom = left + cols * size, top - rows * size
        raise InputError(
            f"{what} needs x {x_min:.0f}..{x_max:.0f} m, y {y_min:.0f}..{y_max:.0f} m "
            f"({window}), outside the product's {rows} x {cols} px grid "
            f"(x {left:.0f}..{right:.0f} m, y {bottom:.0f}..{top:.0f} m); choose a smaller "
            "area or a product that reaches further from the pole"
        )
    return window


def window_for_latlon_box(
    grid, lat_min_deg: float, lat_max_deg: float, lon_west_deg: float, lon_east_deg: float
) -> Window:
    """The smallest window holding a latitude/longitude box on a south polar grid.

    Parameters
    ----------
    grid
        Anything with ``transform`` and ``shape`` on the project's south polar grid: a
        :class:`RemoteProduct`, a :class:`~ilrs.terrain.pds3.Pds3Source`, a
        :class:`~ilrs.terrain.grid.Dem`.
    lat_min_deg, lat_max_deg : float
        Latitude bounds [deg], ``-90 <= lat_min_deg < lat_max_deg < 90``.
    lon_west_deg, lon_east_deg : float
        East longitude bounds [deg]; the box runs eastward from west to east, across 0°
        when ``lon_east_deg < lon_west_deg``.

    Returns
    -------
    Window

    Raises
    ------
    InputError
        When the bounds are malformed or the box reaches outside the grid.
    """
    if not -90.0 <= lat_min_deg < lat_max_deg < 90.0:
        raise InputError(
            f"latitudes {lat_min_deg}..{lat_max_deg}: need -90 <= lat_min_deg < lat_max_deg < 90"
        )
    west = float(lon_west_deg)
    east = float(lon_east_deg)
    while east < west:
        east += 360.0
    if east - west > 360.0:
        raise InputError(f"longitudes {lon_west_deg}..{lon_east_deg} span more than 360°")
    # Parallels are circles about the pole and meridians radial lines, so the box's extreme
    # x and y lie at its corners or where a parallel crosses an axis (multiples of 90°).
    lons = [west, east] + [90.0 * k for k in range(math.ceil(west / 90), math.floor(east / 90) + 1)]
    lats = np.repeat([lat_min_deg, lat_max_deg], len(lons))
    x, y = polar_xy_from_latlon(lats, np.tile(lons, 2))
    what = f"the box {lat_min_deg}..{lat_max_deg}° N, {lon_west_deg}..{lon_east_deg}° E"
    return _window_from_xy(grid, x.min(), x.max(), y.min(), y.max(), what)


def window_for_radius(grid, lat_deg: float, lon_deg: float, radius_m: float) -> Window:
    """The smallest window holding every point within a distance of a centre.

    The distance is along the surface of the 1 737 400 m sphere. Stereographic projection
    maps circles on the sphere to circles (Snyder 1987, USGS PP 1395, chapter 21), so the disc
    becomes an exact circle on the grid whose diameter lies along the centre's meridian:
    the window is that circle's bounding box.

    Parameters
    ----------
    grid
        Anything with ``transform`` and ``shape`` (see :func:`window_for_latlon_box`).
    lat_deg, lon_deg : float
        Centre latitude and east longitude [deg].
    radius_m : float
        Radius [m] along the surface, less than a quarter of a great circle.

    Returns
    -------
    Window

    Raises
    ------
    InputError
        When the disc reaches outside the grid.
    """
    if not -90.0 <= lat_deg <= 0.0:
        raise InputError(f"latitude {lat_deg}° is not in the southern hemisphere (-90..0)")
    if not 0.0 < radius_m < math.pi * MOON_RADIUS_M / 2:
        raise InputError(f"radius_m {radius_m} must be positive and below a quarter great circle")
    angle_deg = math.degrees(radius_m / MOON_RADIUS_M)

    def rho(lat: float) -> float:
        return 2.0 * MOON_RADIUS_M * math.tan(math.radians(45.0 + lat / 2.0))

    far = rho(lat_deg + angle_deg)  # the disc's point nearest the equator
    near_lat = lat_deg - angle_deg
    # Past the pole the nearest boundary point lies on the opposite meridian.
    near = rho(near_lat) if near_lat >= -90.0 else -rho(-180.0 - near_lat)
    centre, radius = (far + near) / 2.0, (far - near) / 2.0
    lon = math.radians(lon_deg)
    x_c, y_c = centre * math.sin(lon), centre * math.cos(lon)
    what = f"the disc of {radius_m:g} m about {lat_deg}° N, {lon_deg}° E"
    return _window_from_xy(grid, x_c - radius, x_c + radius, y_c - radius, y_c + radius, what)


# --------------------------------------------------------------------------------------
# The download
# --------------------------------------------------------------------------------------


def _plan(
    image: Pds3Image, window: Window, first_row: int, max_request_bytes: int, max_gap_bytes: int
) -> list[tuple[int, int]]:
    """Requests as (first window row, row count): consecutive rows coalesced.

    A request for rows ``k`` rows spans ``(k - 1) * row stride + window row bytes``: the
    unwanted bytes between rows come along when that gap is small.
    """
    row_bytes = window.width * image.sample_bytes
    gap = image.row_bytes - row_bytes
    if gap > max_gap_bytes:
        per_request = 1
    else:
        per_request = max(1, (max_request_bytes - row_bytes) // image.row_bytes + 1)
    return [
        (row, min(per_request, window.height - row))
        for row in range(first_row, window.height, per_request)
    ]


_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")


def _check_response(
    response: http.client.HTTPResponse,
    url: str,
    first: int,
    last: int,
    remote: RemoteProduct,
    state: dict[str, Any],
) -> None:
    if response.status != 206:
        raise DataFileError(
            f"{url}: asked for bytes {first}-{last}, the server answered {response.status} "
            "instead of 206 Partial Content; it does not honour HTTP range requests, so a "
            "window cannot be fetched from it (download the whole product and read it with "
            "Pds3Source instead)"
        )
    content_type = response.headers.get("Content-Type", "")
    if content_type.lower().startswith("text/html"):
        raise DataFileError(f"{url}: the server sent an HTML page, not image bytes")
    content_range = response.headers.get("Content-Range", "")
    match = _CONTENT_RANGE.fullmatch(content_range.strip())
    if not match or (int(match[1]), int(match[2])) != (first, last):
        raise DataFileError(
            f"{url}: wrong bytes: asked for bytes {first}-{last}, the server sent "
            f"Content-Range {content_range or '(none)'!r}"
        )
    expected = remote.image.expected_file_bytes
    if match[3] != "*" and int(match[3]) != expected:
        raise DataFileError(
            f"{url}: the remote image has {int(match[3]):,} bytes but its label "
            f"{remote.label_url} describes {expected:,}; the label does not belong to it"
        )
    length = response.headers.get("Content-Length")
    if length is not None and int(length) != last - first + 1:
        raise DataFileError(
            f"{url}: wrong length: asked for {last - first + 1:,} bytes, the server announced "
            f"Content-Length {length}"
        )
    validator = response.headers.get("ETag") or response.headers.get("Last-Modified")
    if validator:
        if state.get("validator") is None:
            state["validator"] = validator
        elif state["validator"] != validator:
            raise _RemoteChangedError(
                f"{url}: the remote file changed during the download (validator "
                f"{state['validator']!r} became {validator!r})"
            )


def _resume_rows(partial: Path, row_bytes: int) -> int:
    """Whole rows in the partial file; a trailing part-row is cut off."""
    size = partial.stat().st_size
    rows = size // row_bytes
    if size != rows * row_bytes:
        with open(partial, "r+b") as stream:
            stream.truncate(rows * row_bytes)
    return rows


def _download(
    remote: RemoteProduct,
    window: Window,
    paths: _Paths,
    state: dict[str, Any],
    *,
    timeout_s: float,
    retries: int,
    retry_wait_s: float,
    progress: ProgressCallback | None,
    max_request_bytes: int,
    max_gap_bytes: int,
) -> int:
    """Fill the partial file with the window's rows; returns the number of requests."""
    image = remote.image
    row_bytes = window.width * image.sample_bytes
    total = window.height * row_bytes
    gap = image.row_bytes - row_bytes
    requests = 0
    failures = 0
    while True:
        done = _resume_rows(paths.partial, row_bytes)
        if progress is not None:
            progress(done * row_bytes, total)
        if done == window.height:
            return requests
        try:
            with open(paths.partial, "ab") as out:
                for row, count in _plan(image, window, done, max_request_bytes, max_gap_bytes):
                    first = image.row_offset_bytes(window.row_off + row, window.col_off)
                    last = first + (count - 1) * image.row_bytes + row_bytes - 1
                    headers = {"Range": f"bytes={first}-{last}", "Accept-Encoding": "identity"}
                    requests += 1
                    with _open(remote.image_url, headers, timeout_s) as response:
                        _check_response(response, remote.image_url, first, last, remote, state)
                        _save_state(paths.progress, state)
                        for index in range(count):
                            out.write(_read_exact(response, row_bytes, remote.image_url))
                            if index < count - 1 and gap:
                                _read_exact(response, gap, remote.image_url)
                            done += 1
                            if progress is not None:
                                progress(done * row_bytes, total)
                    out.flush()
            return requests
        except _InterruptedError as error:
            failures += 1
            if failures > retries:
                rows_kept = _resume_rows(paths.partial, row_bytes)
                raise DataFileError(
                    f"download of {window} from {remote.image_url} interrupted after "
                    f"{rows_kept} of {window.height} rows ({error}); the partial download is "
                    f"kept in {paths.partial}: run the same fetch again to resume"
                ) from error
            time.sleep(retry_wait_s * 2 ** (failures - 1))


def _save_state(path: Path, state: dict[str, Any]) -> None:
    _write_atomic(path, json.dumps(state, indent=2).encode())


def _start_or_resume(remote: RemoteProduct, window: Window, paths: _Paths) -> dict[str, Any]:
    """The download state: the saved one if it describes this same download, else new."""
    plan = {
        "label_url": remote.label_url,
        "image_url": remote.image_url,
        "window": [window.row_off, window.col_off, window.height, window.width],
        "label_sha256": remote.label_sha256,
        "row_bytes": window.width * remote.image.sample_bytes,
        "remote_size_bytes": remote.image.expected_file_bytes,
    }
    try:
        saved = json.loads(paths.progress.read_text())
    except (OSError, ValueError):
        saved = None
    if (
        isinstance(saved, dict)
        and all(saved.get(key) == value for key, value in plan.items())
        and paths.partial.is_file()
    ):
        return saved
    paths.partial.parent.mkdir(parents=True, exist_ok=True)
    paths.partial.write_bytes(b"")  # a new (or changed) download starts from nothing
    state = {**plan, "validator": None, "started_utc": _utc_now()}
    _save_state(paths.progress, state)
    return state


def _window_label(remote: RemoteProduct, window: Window, stem: str, fetched_utc: str) -> str:
    image = remote.image
    source = remote.image.label
    identity: dict[str, Any] = {}
    for key in (
        "PRODUCT_VERSION_ID",
        "DATA_SET_ID",
        "INSTRUMENT_HOST_NAME",
        "INSTRUMENT_NAME",
        "INSTRUMENT_ID",
        "MISSION_PHASE_NAME",
        "TARGET_NAME",
        "START_TIME",
        "STOP_TIME",
        "PRODUCER_ID",
        "PRODUCER_FULL_NAME",
        "PRODUCER_INSTITUTION_NAME",
    ):
        if key in source and not isinstance(source[key], dict | list):
            identity[key] = source[key]
    identity["SOURCE_PRODUCT_ID"] = image.product_name
    source_image = find_object(source, "IMAGE") or {}
    return format_lola_label(
        product_id=stem,
        image_file=f"{stem}.IMG",
        lines=window.height,
        line_samples=window.width,
        sample_type=image.sample_type,
        sample_bits=image.sample_bits,
        unit=image.unit,
        scaling_factor=image.scaling_factor,
        offset=source_image.get("OFFSET", image.offset),
        pixel_size_m=image.pixel_size_m,
        line_projection_offset_px=image.line_projection_offset_px - window.row_off,
        sample_projection_offset_px=image.sample_projection_offset_px - window.col_off,
        missing_constant=image.missing_constant,
        identity=identity,
        description=(
            f"Window of {image.product_name}: lines {window.row_off + 1}-"
            f"{window.row_off + window.height}, samples {window.col_off + 1}-"
            f"{window.col_off + window.width} (1-based) of its {image.lines} x "
            f"{image.line_samples} grid, fetched with HTTP range requests from "
            f"{remote.image_url} by ILRS Planner on {fetched_utc}. Values and sample type are "
            "unchanged; the projection offsets are shifted by the window's origin."
        ),
    )


def fetch_window(
    product_url: str,
    window: Window,
    *,
    cache_dir: str | Path | None = None,
    timeout_s: float = 60.0,
    progress: ProgressCallback | None = None,
    retries: int = 3,
    retry_wait_s: float = 1.0,
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
    max_gap_bytes: int = DEFAULT_MAX_GAP_BYTES,
) -> Path:
    """Download one window of a remote PDS3 polar product into the cache.

    Parameters
    ----------
    product_url : str
        URL of the product's ``.LBL`` (its image is found through ``^IMAGE``, spelled in
        the case of the label's URL) or ``.IMG`` (the label is beside it), or a LOLA product
        name such as ``LDEM_875S_5M`` (:data:`LOLA_POLAR_BASE_URL`).
    window : Window
        Rows and columns of the product to fetch.
    cache_dir : str or Path, optional
        Cache root; default :func:`default_cache_dir`.
    timeout_s : float
        Network timeout per request [s].
    progress : callable, optional
        Called as ``progress(bytes_done, bytes_total)`` as rows arrive.
    retries : int
        Times a broken transfer is resumed before giving up (the partial download is kept
        either way).
    retry_wait_s : float
        Wait before the first retry [s], doubled each time.
    max_request_bytes : int
        Largest range asked for in one request [bytes].
    max_gap_bytes : int
        Consecutive rows go in one request when the bytes between them are no more than
        this [bytes]; otherwise each row is its own request.

    Returns
    -------
    Path
        The local ``.LBL``; read it with :class:`~ilrs.terrain.pds3.Pds3Source`.

    Raises
    ------
    InputError
        When the window lies outside the product.
    DataFileError
        When the server does not answer range requests properly (not 206, wrong range or
        length, a remote size other than the label's) or the transfer stays broken; nothing
        is left under the final names.
    """
    label_url, _ = _product_urls(product_url)
    product_dir = _product_dir(cache_dir, label_url)
    stem = _window_stem(_product_name(label_url), window)
    paths = _Paths.of(product_dir, stem)
    if _cached(paths):
        return paths.label  # already complete: no network at all

    remote = fetch_label(product_url, cache_dir=cache_dir, timeout_s=timeout_s, refresh=True)
    if not window.inside(remote.shape):
        raise InputError(
            f"{window} lies outside {remote.image.product_name} "
            f"({remote.shape[0]} x {remote.shape[1]} px)"
        )
    if paths.image.is_file() and not paths.partial.exists():
        # A run that stopped between its final renames: finish it from the complete image.
        os.replace(paths.image, paths.partial)
    state = _start_or_resume(remote, window, paths)
    resumed = paths.partial.stat().st_size > 0
    try:
        requests = _download(
            remote,
            window,
            paths,
            state,
            timeout_s=timeout_s,
            retries=retries,
            retry_wait_s=retry_wait_s,
            progress=progress,
            max_request_bytes=max_request_bytes,
            max_gap_bytes=max_gap_bytes,
        )
    except _RemoteChangedError as error:
        paths.partial.unlink(missing_ok=True)
        paths.progress.unlink(missing_ok=True)
        raise DataFileError(f"{error}; the partial download was discarded: run again") from error
    return _finish(remote, window, paths, stem, state, requests, resumed)


def _finish(
    remote: RemoteProduct,
    window: Window,
    paths: _Paths,
    stem: str,
    state: dict[str, Any],
    requests: int,
    resumed: bool,
) -> Path:
    expected = window.height * window.width * remote.image.sample_bytes
    actual = paths.partial.stat().st_size
    if actual != expected:
        raise DataFileError(
            f"{paths.partial}: {actual:,} bytes after the download, expected {expected:,}"
        )
    digest = hashlib.sha256()
    with open(paths.partial, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    fetched_utc = _utc_now()
    os.replace(paths.partial, paths.image)
    _write_atomic(paths.label, _window_label(remote, window, stem, fetched_utc).encode("ascii"))
    try:
        Pds3Source(paths.label)  # the window must read back as a valid product
    except DataFileError:
        paths.label.unlink(missing_ok=True)
        paths.image.unlink(missing_ok=True)
        raise
    record = {
        "source_url": remote.image_url,
        "label_url": remote.label_url,
        "product": remote.image.product_name,
        "window": {
            "row_off": window.row_off,
            "col_off": window.col_off,
            "height": window.height,
            "width": window.width,
        },
        "fetched_utc": fetched_utc,
        "sha256": digest.hexdigest(),
        "size_bytes": expected,
        "source_label_sha256": remote.label_sha256,
        "remote_size_bytes": remote.image.expected_file_bytes,
        "validator": state.get("validator"),
        "requests": requests,
        "resumed": resumed,
        "software": USER_AGENT,
    }
    _write_atomic(paths.sidecar, json.dumps(record, indent=2).encode())
    paths.progress.unlink(missing_ok=True)
    return paths.label


def fetch_around(
    product_url: str,
    lat_deg: float,
    lon_deg: float,
    radius_m: float,
    *,
    cache_dir: str | Path | None = None,
    timeout_s: float = 60.0,
    **options: Any,
) -> Path:
    """Fetch the window of a product that holds a disc about a point.

    The label comes from the cache when it is there, so a repeated call makes no request.
    See :func:`window_for_radius` and :func:`fetch_window` (``options`` go to the latter).
    """
    remote = fetch_label(product_url, cache_dir=cache_dir, timeout_s=timeout_s)
    window = window_for_radius(remote, lat_deg, lon_deg, radius_m)
    return fetch_window(product_url, window, cache_dir=cache_dir, timeout_s=timeout_s, **options)
