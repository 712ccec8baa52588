"""Fetch the LOLA polar products a site needs, finest first, and write a stack manifest.

A terrain stack is an ordered set of DEMs, finest first, each used out to a distance from
the site (its *reach*) where the next, coarser one takes over, as Mazarico et al. (2011,
Icarus 211:1066, doi:10.1016/j.icarus.2010.10.030) and Gläser et al. (2014, Icarus
243:78, doi:10.1016/j.icarus.2014.08.013) lay 5-20 m site data on 80-240 m regional data
for polar illumination. Beyond the last layer the embedded LOLA cap (1.6 km) is the far
field.

:func:`plan_stack` chooses the products from the catalogue alone (no network):

- the near field: the finest product whose grid holds the whole disc of ``near_radius_m``
  about the site;
- then coarser products, each at least :data:`COARSENING_FACTOR` times coarser than the
  one before. A layer hands over to the next where the next one's pixel subtends the angle
  that a pixel twice the finest subtends at the near radius (the angle of the first
  hand-over): with 5 m data to 10 km, 10 m to 20 km, 20 m to 40 km, 40 m to 80 km, 80 m
  beyond. Every layer is then a window of about the same number of pixels;
- the coarsest layer reaches ``far_radius_m``. A product whose grid cannot hold the disc
  of its reach is used as far as it holds, and the next takes over there; a product that
  would add nothing is skipped. For each pixel size the smaller grid is preferred when it
  reaches far enough.

:func:`fetch_stack` fetches each layer's window with :func:`~ilrs.terrain.fetch.fetch_window`
(resumable, cached: a second call makes no request) and writes ``stack.json``
(:func:`read_stack_manifest` reads it back; the format is in :func:`write_stack_manifest`).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ilrs.data import LOLA_CAP_DEM
from ilrs.errors import DataFileError, IlrsError, InputError
from ilrs.terrain.catalog import LOLA_SOUTH_POLAR_PRODUCTS, LolaPolarProduct
from ilrs.terrain.fetch import (
    LOLA_POLAR_BASE_URL,
    USER_AGENT,
    _utc_now,
    _write_atomic,
    default_cache_dir,
    fetch_label,
    fetch_window,
    lola_polar_label_url,
    window_for_radius,
)
from ilrs.terrain.grid import MOON_RADIUS_M, Window

__all__ = [
    "COARSENING_FACTOR",
    "DEFAULT_FAR_RADIUS_M",
    "DEFAULT_NEAR_RADIUS_M",
    "MANIFEST_KIND",
    "PlannedLayer",
    "FetchedLayer",
    "StackManifest",
    "fetch_stack",
    "largest_reach_m",
    "plan_stack",
    "read_stack_manifest",
    "stack_identity",
    "write_stack_manifest",
]

DEFAULT_NEAR_RADIUS_M = 10_000.0  # a site's own ridge or rim: Gläser 2014 used 5 m out to ~10 km
DEFAULT_FAR_RADIUS_M = 200_000.0  # past this no lunar relief rises above a polar horizon much
COARSENING_FACTOR = 2.0  # each layer at least twice as coarse as the one before it
MANIFEST_NAME = "stack.json"
MANIFEST_KIND = "ilrs-terrain-stack"
MANIFEST_FORMAT_VERSION = 1
CAP_PRODUCT = "LDEM_256"  # the embedded cap's PRODUCT_ID (data/lola/README.md)
CAP_PIXEL_SIZE_M = 1600.0

StackProgress = Callable[[str, int, int], None]  # (product, bytes_done, bytes_total)


# --------------------------------------------------------------------------------------
# Planning: which products, out to where (no network)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedLayer:
    """A product of the catalogue and the distance from the site it is used to [m]."""

    product: LolaPolarProduct
    reach_m: float


def _disc_fits(grid, lat_deg: float, lon_deg: float, radius_m: float) -> bool:
    try:
        window_for_radius(grid, lat_deg, lon_deg, radius_m)
    except InputError:
        return False
    return True


def largest_reach_m(grid, lat_deg: float, lon_deg: float) -> float:
    """The largest distance [m, along the ground] whose disc about a point a grid holds.

    ``grid`` has ``transform`` and ``shape`` (a :class:`LolaPolarProduct`, a fetched
    label). Zero when the point is outside the grid.
    """
    low, high = 0.0, math.pi * MOON_RADIUS_M / 2 * 0.999
    if not _disc_fits(grid, lat_deg, lon_deg, 1e-3):
        return 0.0
    if _disc_fits(grid, lat_deg, lon_deg, high):
        return high
    while high - low > 0.5:  # half a metre: far below any product's pixel
        middle = (low + high) / 2
        if _disc_fits(grid, lat_deg, lon_deg, middle):
            low = middle
        else:
            high = middle
    return math.floor(low)


def _check_site(lat_deg: float, lon_deg: float, near_radius_m: float, far_radius_m: float):
    if not (math.isfinite(lat_deg) and -90.0 <= lat_deg <= 0.0):
        raise InputError(
            f"latitude {lat_deg}° is not in the southern hemisphere (-90..0): the LOLA stack "
            "uses the south polar products"
        )
    if not math.isfinite(lon_deg):
        raise InputError(f"longitude {lon_deg} is not a number of degrees")
    if not (math.isfinite(near_radius_m) and near_radius_m > 0):
        raise InputError(f"near radius {near_radius_m} m must be positive")
    quarter_circle_m = math.pi * MOON_RADIUS_M / 2
    if not (math.isfinite(far_radius_m) and near_radius_m <= far_radius_m < quarter_circle_m):
        raise InputError(
            f"far radius {far_radius_m} m must be at least the near radius ({near_radius_m} m) "
            f"and below a quarter great circle ({quarter_circle_m:,.0f} m)"
        )


def plan_stack(
    lat_deg: float,
    lon_deg: float,
    *,
    near_radius_m: float = DEFAULT_NEAR_RADIUS_M,
    far_radius_m: float = DEFAULT_FAR_RADIUS_M,
    products: Sequence[LolaPolarProduct] = LOLA_SOUTH_POLAR_PRODUCTS,
) -> tuple[PlannedLayer, ...]:
    """The layers of a site's stack, finest first, from the catalogue alone.

    Parameters
    ----------
    lat_deg, lon_deg : float
        The site [deg, planetocentric latitude, east longitude].
    near_radius_m : float
        Radius of the near field [m along the ground], held whole by the finest layer.
    far_radius_m : float
        How far from the site the stack should reach [m along the ground].
    products : sequence of LolaPolarProduct
        The products to choose from (default: the node's south polar products).

    Returns
    -------
    tuple of PlannedLayer
        Finest first; reaches strictly increasing; the last reaches ``far_radius_m``
        unless no product covers that far (the embedded cap takes over beyond).

    Raises
    ------
    InputError
        When the site or radii are out of range, or no product holds the near field.
    """
    _check_site(lat_deg, lon_deg, near_radius_m, far_radius_m)
    layers: list[PlannedLayer] = []
    coverage_m: list[float] = []  # how far each chosen layer's grid reaches
    pixel_sizes_m = sorted({product.pixel_size_m for product in products})
    for pixel_size_m in pixel_sizes_m:
        if layers and pixel_size_m < COARSENING_FACTOR * layers[-1].product.pixel_size_m:
            continue
        # Of the products of this pixel size, the first in the catalogue (the smaller grid)
        # that reaches as far as this layer will likely be used, else the farthest reaching.
        coarsest = not any(size >= COARSENING_FACTOR * pixel_size_m for size in pixel_sizes_m)
        if not layers:
            likely_use_m = near_radius_m
        elif coarsest:
            likely_use_m = far_radius_m
        else:
            likely_use_m = near_radius_m * pixel_size_m / layers[0].product.pixel_size_m
        candidates = [
            (float(largest_reach_m(product, lat_deg, lon_deg)), product)
            for product in products
            if product.pixel_size_m == pixel_size_m
        ]
        enough = [c for c in candidates if c[0] >= min(likely_use_m, far_radius_m)]
        reach_m, product = enough[0] if enough else max(candidates, key=lambda c: c[0])
        if not layers:
            if reach_m >= near_radius_m:  # the near field must be whole
                layers.append(PlannedLayer(product, float(near_radius_m)))
                coverage_m.append(reach_m)
            continue
        # The layer before hands over where this one's pixel subtends the angle a pixel twice
        # the finest subtends at the near radius (or where its own grid ends).
        finest_pixel_m = layers[0].product.pixel_size_m
        handover_m = near_radius_m * pixel_size_m / (COARSENING_FACTOR * finest_pixel_m)
        previous_reach_m = layers[-1].reach_m
        if len(layers) > 1:
            previous_reach_m = min(coverage_m[-1], handover_m, far_radius_m)
        if reach_m <= previous_reach_m:
            continue  # covers no more than the layer before: adds nothing
        layers[-1] = PlannedLayer(layers[-1].product, previous_reach_m)
        if previous_reach_m >= far_radius_m:
            break
        layers.append(PlannedLayer(product, min(reach_m, far_radius_m)))
        coverage_m.append(reach_m)
    if not layers:
        widest = max(products, key=lambda product: product.covered_latitude_deg)
        raise InputError(
            f"no LOLA south polar product holds the {near_radius_m:g} m disc about "
            f"{lat_deg}° N, {lon_deg}° E: the widest, {widest.name}, covers the cap to "
            f"{widest.covered_latitude_deg:.2f}°; choose a site nearer the pole or a smaller "
            "near radius"
        )
    return tuple(layers)


# --------------------------------------------------------------------------------------
# The manifest
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FetchedLayer:
    """One fetched layer of a stack.

    Attributes
    ----------
    product : str
        Source product name, e.g. ``LDEM_875S_5M``.
    pixel_size_m : float
        Pixel size [m] (the label's ``MAP_SCALE``).
    reach_m : float
        Distance from the site [m along the ground] this layer is used to; its window holds
        the whole disc of that radius.
    label_path : Path
        The fetched window's ``.LBL`` (read it with :class:`~ilrs.terrain.pds3.Pds3Source`).
    window : Window
        Rows and columns of the source product the file holds.
    source : dict
        Provenance: ``label_url``, ``image_url``, ``fetched_utc``, ``sha256``,
        ``size_bytes`` and the source label's identity keywords when present.
    """

    product: str
    pixel_size_m: float
    reach_m: float
    label_path: Path
    window: Window
    source: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StackManifest:
    """A site's terrain stack as written to (or read from) ``stack.json``."""

    path: Path
    lat_deg: float
    lon_deg: float
    near_radius_m: float
    far_radius_m: float
    layers: tuple[FetchedLayer, ...]
    base_url: str
    created_utc: str
    site_name: str | None = None

    @property
    def reach_m(self) -> float:
        """How far the fetched layers reach [m]; the embedded cap takes over beyond."""
        return self.layers[-1].reach_m if self.layers else 0.0


def _relative(path: Path, start: Path) -> str:
    try:
        return Path(os.path.relpath(path, start)).as_posix()
    except ValueError:  # another drive (Windows): no relative path exists
        return path.resolve().as_posix()


def write_stack_manifest(manifest: StackManifest) -> Path:
    """Write ``manifest.path`` (JSON, atomically) and return it.

    The format (``kind`` ``ilrs-terrain-stack``, ``format_version`` 1)::

        {
          "kind": "ilrs-terrain-stack", "format_version": 1,
          "created_utc": "2026-01-01T00:00:00Z", "software": "ilrs-planner/...",
          "site": {"name": "connecting-ridge" | null, "lat_deg": -89.45, "lon_deg": 222.69},
          "near_radius_m": 10000.0, "far_radius_m": 200000.0,
          "base_url": "https://pds-geosciences.wustl.edu/.../lola_gdr/polar/",
          "synthetic": false,
          "layers": [                      # finest first; reach_m strictly increasing
            {"product": "LDEM_875S_5M", "pixel_size_m": 5.0, "reach_m": 10000.0,
             "path": "../../lola/ldem_875s_5m-<hash>/LDEM_875S_5M_W...LBL",
             "window": {"row_off": ..., "col_off": ..., "height": ..., "width": ...},
             "source": {"label_url": ..., "image_url": ..., "fetched_utc": ...,
                        "sha256": ..., "size_bytes": ..., "data_set_id": ...,
                        "product_version_id": ...}},
            ...
          ],
          "far_field": {"product": "LDEM_256", "pixel_size_m": 1600.0,
                        "data_name": "lola/lola_dem_south.tif", "embedded": true,
                        "from_m": <the last layer's reach_m>}
        }

    ``path`` is the layer's ``.LBL`` relative to the manifest's folder (POSIX separators);
    the far field is the DEM embedded in the package (``ilrs.data.data_path(data_name)``),
    used beyond the last layer.
    """
    folder = manifest.path.parent
    record = {
        "kind": MANIFEST_KIND,
        "format_version": MANIFEST_FORMAT_VERSION,
        "created_utc": manifest.created_utc,
        "software": USER_AGENT,
        "site": {
            "name": manifest.site_name,
            "lat_deg": manifest.lat_deg,
            "lon_deg": manifest.lon_deg,
        },
        "near_radius_m": manifest.near_radius_m,
        "far_radius_m": manifest.far_radius_m,
        "base_url": manifest.base_url,
        "synthetic": False,
        "layers": [
            {
                "product": layer.product,
                "pixel_size_m": layer.pixel_size_m,
                "reach_m": layer.reach_m,
                "path": _relative(layer.label_path, folder),
                "window": {
                    "row_off": layer.window.row_off,
                    "col_off": layer.window.col_off,
                    "height": layer.window.height,
                    "width": layer.window.width,
                },
                "source": layer.source,
            }
            for layer in manifest.layers
        ],
        "far_field": {
            "product": CAP_PRODUCT,
            "pixel_size_m": CAP_PIXEL_SIZE_M,
            "data_name": LOLA_CAP_DEM,
            "embedded": True,
            "from_m": manifest.reach_m,
        },
    }
    folder.mkdir(parents=True, exist_ok=True)
    _write_atomic(manifest.path, (json.dumps(record, indent=2) + "\n").encode())
    return manifest.path


def _field(record: dict, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    value = record.get(key) if isinstance(record, dict) else None
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise DataFileError(
            f"{where}: '{key}' is missing or not a {getattr(kind, '__name__', kind)}"
        )
    return value


def read_stack_manifest(path: str | Path) -> StackManifest:
    """Read a ``stack.json`` written by :func:`write_stack_manifest`.

    Layer paths are resolved against the manifest's folder and must exist.

    Raises
    ------
    DataFileError
        When the file is missing, not JSON, not a stack manifest of a known version, or a
        layer's file is missing.
    """
    path = Path(path)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise DataFileError(f"cannot read the stack manifest {path}: {error}") from None
    where = str(path)
    if not isinstance(record, dict) or record.get("kind") != MANIFEST_KIND:
        raise DataFileError(f"{where}: not a terrain stack manifest (kind {MANIFEST_KIND!r})")
    if record.get("format_version") != MANIFEST_FORMAT_VERSION:
        raise DataFileError(
            f"{where}: format_version {record.get('format_version')!r}; this ILRS Planner "
            f"reads version {MANIFEST_FORMAT_VERSION}"
        )
    number = (int, float)
    site = _field(record, "site", dict, where)
    layers = []
    for index, entry in enumerate(_field(record, "layers", list, where)):
        at = f"{where}: layers[{index}]"
        label_path = path.parent / _field(entry, "path", str, at)
        if not label_path.is_file():
            raise DataFileError(f"{at}: {label_path} does not exist; fetch the stack again")
        window = _field(entry, "window", dict, at)
        layers.append(
            FetchedLayer(
                product=_field(entry, "product", str, at),
                pixel_size_m=float(_field(entry, "pixel_size_m", number, at)),
                reach_m=float(_field(entry, "reach_m", number, at)),
                label_path=label_path.resolve(),
                window=Window(*(int(_field(window, key, int, at)) for key in _WINDOW_KEYS)),
                source=dict(_field(entry, "source", dict, at)),
            )
        )
    name = site.get("name")
    return StackManifest(
        path=path,
        lat_deg=float(_field(site, "lat_deg", number, where)),
        lon_deg=float(_field(site, "lon_deg", number, where)),
        near_radius_m=float(_field(record, "near_radius_m", number, where)),
        far_radius_m=float(_field(record, "far_radius_m", number, where)),
        layers=tuple(layers),
        base_url=str(record.get("base_url", "")),
        created_utc=str(record.get("created_utc", "")),
        site_name=name if isinstance(name, str) else None,
    )


_WINDOW_KEYS = ("row_off", "col_off", "height", "width")

# Identity keywords of the source label worth carrying into the manifest's provenance.
_SOURCE_KEYWORDS = ("DATA_SET_ID", "PRODUCT_VERSION_ID", "START_TIME", "STOP_TIME")


# --------------------------------------------------------------------------------------
# The fetch
# --------------------------------------------------------------------------------------


def _normalised_base_url(base_url: str) -> str:
    parts = urllib.parse.urlsplit(base_url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise InputError(
            f"base URL {base_url!r}: give the http(s) URL of the LOLA polar folder, e.g. "
            f"{LOLA_POLAR_BASE_URL}"
        )
    url = urllib.parse.urlunsplit(parts)
    return url if url.endswith("/") else url + "/"  # urljoin keeps the last segment then


def default_manifest_path(
    cache_dir: Path, lat_deg: float, lon_deg: float, near_m: float, far_m: float, base_url: str
) -> Path:
    """``<cache>/stacks/<site and radii>-<hash of the base URL>/stack.json``."""
    digest = hashlib.sha256(base_url.encode()).hexdigest()[:10]
    name = f"lat{lat_deg:.5f}_lon{lon_deg % 360.0:.5f}_near{near_m:g}m_far{far_m:g}m-{digest}"
    return cache_dir / "stacks" / name / MANIFEST_NAME


def fetch_stack(
    lat_deg: float,
    lon_deg: float,
    *,
    near_radius_m: float = DEFAULT_NEAR_RADIUS_M,
    far_radius_m: float = DEFAULT_FAR_RADIUS_M,
    base_url: str = LOLA_POLAR_BASE_URL,
    cache_dir: str | Path | None = None,
    manifest_path: str | Path | None = None,
    site_name: str | None = None,
    progress: StackProgress | None = None,
    timeout_s: float = 60.0,
    **fetch_options: Any,
) -> StackManifest:
    """Fetch the windows of the LOLA polar products a site's stack needs; write its manifest.

    Parameters
    ----------
    lat_deg, lon_deg : float
        The site [deg, planetocentric latitude, east longitude].
    near_radius_m : float
        Near-field radius [m along the ground], held whole by the finest layer.
    far_radius_m : float
        How far the stack reaches [m along the ground].
    base_url : str
        The LOLA polar folder (``img/`` and ``float_img/`` below it); default the PDS
        Geosciences Node (:data:`~ilrs.terrain.fetch.LOLA_POLAR_BASE_URL`).
    cache_dir : str or Path, optional
        Cache root (default :func:`~ilrs.terrain.fetch.default_cache_dir`).
    manifest_path : str or Path, optional
        Where to write the manifest; default under ``<cache>/stacks/``.
    site_name : str, optional
        A name recorded in the manifest.
    progress : callable, optional
        ``progress(product, bytes_done, bytes_total)`` as rows arrive.
    timeout_s : float
        Network timeout per request [s].
    **fetch_options
        ``retries``, ``retry_wait_s``, ``max_request_bytes``, ``max_gap_bytes`` for
        :func:`~ilrs.terrain.fetch.fetch_window`.

    Returns
    -------
    StackManifest

    Raises
    ------
    InputError
        When the site or radii are out of range, or no product holds the near field
        (before any network request).
    DataFileError
        When a server cannot be reached, refuses, or sends what its label does not
        describe (the message names the URL); the partial download is kept for the next
        call to resume, and no manifest is written.
    """
    planned = plan_stack(lat_deg, lon_deg, near_radius_m=near_radius_m, far_radius_m=far_radius_m)
    base = _normalised_base_url(base_url)
    cache_root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    layers = []
    for plan in planned:
        layers.append(
            _fetch_layer(
                plan, lat_deg, lon_deg, base, cache_root, progress, timeout_s, fetch_options
            )
        )
    path = (
        Path(manifest_path)
        if manifest_path is not None
        else default_manifest_path(cache_root, lat_deg, lon_deg, near_radius_m, far_radius_m, base)
    )
    manifest = StackManifest(
        path=path,
        lat_deg=float(lat_deg),
        lon_deg=float(lon_deg),
        near_radius_m=float(near_radius_m),
        far_radius_m=float(far_radius_m),
        layers=tuple(layers),
        base_url=base,
        created_utc=_utc_now(),
        site_name=site_name,
    )
    # A manifest already there for the same files is kept as it is (its time too), so
    # that what reads it (a plan's cached steps) sees it unchanged.
    try:
        kept = read_stack_manifest(path)
    except (OSError, IlrsError):
        kept = None
    if kept is not None and _same_stack(kept, manifest):
        return kept
    write_stack_manifest(manifest)
    return manifest


def _same_stack(kept: StackManifest, made: StackManifest) -> bool:
    """Whether two manifests name the same layers of the same bytes for the same site."""

    def key(manifest: StackManifest):
        return (
            manifest.lat_deg,
            manifest.lon_deg,
            manifest.near_radius_m,
            manifest.far_radius_m,
            manifest.base_url,
            manifest.site_name,
            stack_layers(manifest),
        )

    return key(kept) == key(made)


def stack_identity(manifest_path: str | Path) -> list:
    """A fetched stack as a cache input: each layer's product, reach and the SHA-256 of
    its bytes (recorded when fetched)."""
    return stack_layers(read_stack_manifest(manifest_path))


def stack_layers(manifest: StackManifest) -> list:
    """Each layer's product, reach and SHA-256, finest first."""
    return [[layer.product, layer.reach_m, layer.source.get("sha256")] for layer in manifest.layers]


def _fetch_layer(
    plan: PlannedLayer,
    lat_deg: float,
    lon_deg: float,
    base_url: str,
    cache_root: Path,
    progress: StackProgress | None,
    timeout_s: float,
    fetch_options: dict[str, Any],
) -> FetchedLayer:
    name = plan.product.name
    label_url = lola_polar_label_url(name, base_url=base_url)
    remote = fetch_label(label_url, cache_dir=cache_root, timeout_s=timeout_s)
    pixel_size_m = remote.image.pixel_size_m
    if not math.isclose(pixel_size_m, plan.product.pixel_size_m, rel_tol=1e-9):
        raise DataFileError(
            f"{label_url}: MAP_SCALE is {pixel_size_m:g} m, but {name} is catalogued at "
            f"{plan.product.pixel_size_m:g} m (ilrs.terrain.catalog); the stack was planned "
            "on the catalogue's pixel sizes"
        )
    try:
        window = window_for_radius(remote, lat_deg, lon_deg, plan.reach_m)
    except InputError as error:
        raise DataFileError(
            f"{label_url}: its grid ({remote.shape[0]} x {remote.shape[1]} px) does not hold "
            f"the {plan.reach_m:g} m disc planned from the catalogue ({error})"
        ) from error

    def layer_progress(done: int, total: int) -> None:
        if progress is not None:
            progress(name, done, total)

    label_path = fetch_window(
        label_url,
        window,
        cache_dir=cache_root,
        timeout_s=timeout_s,
        progress=layer_progress,
        **fetch_options,
    )
    try:
        sidecar = json.loads(label_path.with_suffix(".json").read_text())
    except (OSError, ValueError) as error:
        raise DataFileError(
            f"{label_path}: its provenance record is unreadable ({error})"
        ) from None
    source = {
        key: sidecar.get(key)
        for key in ("label_url", "source_url", "fetched_utc", "sha256", "size_bytes")
    }
    source["image_url"] = source.pop("source_url")
    for keyword in _SOURCE_KEYWORDS:
        value = remote.image.label.get(keyword)
        if isinstance(value, str | int | float):
            source[keyword.lower()] = value
    return FetchedLayer(
        product=name,
        pixel_size_m=pixel_size_m,
        reach_m=plan.reach_m,
        label_path=label_path,
        window=window,
        source=source,
    )
