"""Hostile data files: every one answered by one clear refusal, in bounded time and memory.

The inputs are made here, in ``tmp_path``: PDS3 labels with absurd numbers, nesting and
sizes (class 1), rasters that declare more pixels than any memory holds or are broken
(class 2), a plan on a broken DEM (class 3), CSV and text files that are too large, not
text or not numbers (class 4). Most are checked in this process through the library; one
or a few of each class through the real CLI in a subprocess under an address-space limit,
with its time and peak memory measured.
"""

from __future__ import annotations

import os
import re
import resource
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from cli_peak import child_command, split_peak
from ilrs.errors import DataFileError, InputError
from ilrs.terrain.grid import SOUTH_POLAR_STEREOGRAPHIC, Window
from ilrs.terrain.memory import (
    MAX_READ_BYTES_ENV,
    READ_BYTES_PER_PIXEL,
    available_memory_bytes,
    check_memory,
    max_read_bytes,
)
from ilrs.terrain.pds3 import (
    MAX_LABEL_BYTES,
    MAX_LABEL_DEPTH,
    MAX_LABEL_STATEMENTS,
    MAX_NUMBER_CHARS,
    MAX_VALUE_DEPTH,
    Pds3Source,
    format_lola_label,
    parse_label,
    write_lola_product,
)
from ilrs.terrain.sources import open_dem, read_overview

# The bounds every CLI run is held to.
CLI_TIMEOUT_S = 60
CLI_ADDRESS_SPACE_BYTES = 3 << 30  # numba and GDAL start in well under this
CLI_MAX_RSS_BYTES = 1 << 30  # a refusal needs no more than the interpreter and its imports


# --------------------------------------------------------------------------------------
# Running the real CLI under bounds
# --------------------------------------------------------------------------------------


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    max_rss_bytes: int


def run_bounded(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Run:
    """``ilrs ARGS`` in a subprocess limited to :data:`CLI_ADDRESS_SPACE_BYTES` of address
    space (an over-allocation fails instead of swapping), killed after
    :data:`CLI_TIMEOUT_S`; its own peak resident memory as it reports it (``cli_peak``;
    ``wait4``'s only if it died before it could)."""
    import subprocess

    command = child_command()

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (CLI_ADDRESS_SPACE_BYTES, CLI_ADDRESS_SPACE_BYTES))

    environment = {key: value for key, value in os.environ.items() if key != MAX_READ_BYTES_ENV}
    environment.update(env or {})
    out_path, err_path = cwd / "cli.out", cwd / "cli.err"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        start = time.monotonic()
        process = subprocess.Popen(
            [*command, *args], cwd=cwd, stdout=out, stderr=err, env=environment, preexec_fn=limit
        )
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - start > CLI_TIMEOUT_S:
                process.kill()
                os.wait4(process.pid, 0)
                process.returncode = -9
                pytest.fail(f"ilrs {' '.join(args)} ran past {CLI_TIMEOUT_S} s")
            time.sleep(0.02)
        seconds = time.monotonic() - start
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    stderr, peak_bytes = split_peak(err_path.read_text(errors="replace"))
    return Run(
        process.returncode,
        out_path.read_text(errors="replace"),
        stderr,
        seconds,
        peak_bytes if peak_bytes is not None else usage.ru_maxrss * 1024,
    )


def assert_one_refusal(run: Run, *words: str, progress_lines: int = 0) -> str:
    """Exit 1 or 2, no traceback, within the bounds; standard error one ``ilrs: error:``
    line (after ``progress_lines`` lines of progress) holding every word."""
    assert run.returncode in (1, 2), (run.returncode, run.stderr[-2000:])
    assert "Traceback" not in run.stderr, run.stderr[-2000:]
    lines = run.stderr.splitlines()
    assert len(lines) == 1 + progress_lines, run.stderr[-2000:]
    line = lines[-1]
    assert line.startswith("ilrs: error: "), line
    for word in words:
        assert word in line, (word, line)
    assert run.seconds < CLI_TIMEOUT_S
    assert run.max_rss_bytes < CLI_MAX_RSS_BYTES, run.max_rss_bytes
    return line


# --------------------------------------------------------------------------------------
# Class 1: PDS3 labels
# --------------------------------------------------------------------------------------


@pytest.fixture
def product(tmp_path):
    """A small valid LOLA-layout product: its label path and label text."""
    label = write_lola_product(tmp_path, "DEM", np.zeros((8, 8)), 20.0)
    return label, label.read_text()


def set_keyword(text: str, key: str, value: str) -> str:
    new, count = re.subn(
        rf"(?m)^(\s*{re.escape(key)}\s*=).*$", lambda m: m.group(1) + " " + value, text, count=1
    )
    assert count == 1, key
    return new


def without_end(text: str) -> str:
    assert text.endswith("\nEND\n")
    return text[: -len("END\n")]


# (name, how to change the label text, words the refusal must hold)
LABELS = [
    ("int of 5000 digits", lambda t: set_keyword(t, "LINES", "1" * 5000), ["LINES", "64"]),
    (
        "float of 5000 digits",
        lambda t: set_keyword(t, "MAP_SCALE", "1" * 5000 + ".5 <m/pix>"),
        ["MAP_SCALE", "5,002 characters"],
    ),
    (
        "real out of range",
        lambda t: set_keyword(t, "MAP_SCALE", "1e99999"),
        ["MAP_SCALE", "1.8e308"],
    ),
    (
        "offset of 5000 digits",
        lambda t: set_keyword(t, "LINE_PROJECTION_OFFSET", "9" * 5000),
        ["LINE_PROJECTION_OFFSET", "64"],
    ),
    (
        "radix of 5000 digits",
        lambda t: set_keyword(t, "OFFSET", "16#" + "F" * 5000 + "#"),
        ["OFFSET", "64"],
    ),
    (
        "10^5 nested OBJECTs",
        lambda t: without_end(t) + "OBJECT=X\n" * 100_000 + "END\n",
        ["OBJECT = X", f"at most {MAX_LABEL_DEPTH}"],
    ),
    (
        "10^5 nested GROUPs",
        lambda t: without_end(t) + "GROUP=G\n" * 100_000 + "END\n",
        ["GROUP = G", f"at most {MAX_LABEL_DEPTH}"],
    ),
    (
        "GROUP open at END",
        lambda t: without_end(t) + "GROUP = G\n" + "END\n",
        ["GROUP = G", "never closed"],
    ),
    (
        "10^5 nested sequences",
        lambda t: set_keyword(t, "OFFSET", "(" * 100_000 + "1" + ")" * 100_000),
        ["OFFSET", f"more than {MAX_VALUE_DEPTH}"],
    ),
    (
        "too many statements",
        lambda t: without_end(t) + "K = 1\n" * MAX_LABEL_STATEMENTS + "END\n",
        [f"{MAX_LABEL_STATEMENTS:,} statements"],
    ),
    (
        "label of 3 MB",
        lambda t: without_end(t) + "/* " + "x" * (3 << 20) + " */\nEND\n",
        ["no END", f"{MAX_LABEL_BYTES:,} bytes"],
    ),
    (
        "a MB of blank lines",
        lambda t: "\n" * (MAX_LABEL_BYTES + 10),
        ["no END", f"{MAX_LABEL_BYTES:,} bytes"],
    ),
    ("NUL byte", lambda t: t.replace("TARGET_NAME ", "TARGET\0NAME "), ["line 5", "NUL"]),
    ("Latin-1 byte", lambda t: t.replace("MOON", "MO\udce9N"), ["line 5", "0xE9"]),
    ("LINES negative", lambda t: set_keyword(t, "LINES", "-8"), ["LINES = -8", "> 0"]),
    ("LINE_SAMPLES zero", lambda t: set_keyword(t, "LINE_SAMPLES", "0"), ["LINE_SAMPLES = 0"]),
    ("SAMPLE_BITS of 7", lambda t: set_keyword(t, "SAMPLE_BITS", "7"), ["SAMPLE_BITS = 7"]),
    (
        "10^6 x 10^6 against the pixel range",
        lambda t: set_keyword(set_keyword(t, "LINES", "1000000"), "LINE_SAMPLES", "1000000"),
        ["LINES", "1000000"],
    ),
    (
        "record pointer 10^22",
        lambda t: set_keyword(t, "^IMAGE", '("DEM.IMG", 99999999999999999999999)'),
        ["^IMAGE", "byte 1,599,999,999,999,999,999,999,969", "has 128 bytes"],
    ),
    (
        "byte pointer 2^63",
        lambda t: set_keyword(t, "^IMAGE", '("DEM.IMG", 9223372036854775807 <BYTES>)'),
        ["^IMAGE", "has 128 bytes"],
    ),
    (
        "LINE_PREFIX_BYTES negative",
        lambda t: set_keyword(t, "SCALING_FACTOR", "0.5\n    LINE_PREFIX_BYTES = -16"),
        ["LINE_PREFIX_BYTES = -16", "0 or more"],
    ),
    (
        "LINE_SUFFIX_BYTES 10^20",
        lambda t: set_keyword(t, "SCALING_FACTOR", "0.5\n    LINE_SUFFIX_BYTES = " + "9" * 20),
        ["DEM.IMG", "LINES = 8", "truncated"],
    ),
    (
        "RECORD_BYTES negative",
        lambda t: set_keyword(set_keyword(t, "RECORD_BYTES", "-5"), "^IMAGE", '("DEM.IMG", 3)'),
        ["RECORD_BYTES = -5", "1 or more"],
    ),
    (
        "MAP_SCALE of 10^300 m",
        lambda t: set_keyword(t, "MAP_SCALE", "1e300 <m/pix>"),
        ["MAP_SCALE", "3474.8 km"],
    ),
]


@pytest.mark.parametrize(("change", "words"), [c[1:] for c in LABELS], ids=[c[0] for c in LABELS])
def test_hostile_labels_are_one_clear_refusal(product, change, words):
    label, text = product
    label.write_bytes(change(text).encode("utf-8", "surrogateescape"))
    start = time.monotonic()
    with pytest.raises(DataFileError) as caught:
        Pds3Source(label)
    assert time.monotonic() - start < 10
    message = str(caught.value)
    assert str(label) in message or "DEM.IMG" in message
    assert "\n" not in message
    for word in words:
        assert word in message, (word, message)


@pytest.mark.parametrize(
    ("image", "words"),
    [
        (None, ["DEM.IMG (^IMAGE) is not in"]),
        (lambda raw: raw[: len(raw) // 2], ["describes 128 bytes", "has 64 bytes", "truncated"]),
        (lambda raw: raw + b"x", ["describes 128 bytes", "has 129 bytes", "longer"]),
    ],
    ids=["missing .IMG", "truncated .IMG", "longer .IMG"],
)
def test_missing_or_wrong_sized_images_are_refused(product, image, words):
    label, _ = product
    path = label.with_suffix(".IMG")
    raw = path.read_bytes()
    if image is None:
        path.unlink()
    else:
        path.write_bytes(image(raw))
    with pytest.raises(DataFileError) as caught:
        Pds3Source(label)
    for word in words:
        assert word in str(caught.value)


def test_label_limits_accept_what_is_just_under_them(product):
    label, text = product
    # A number of exactly MAX_NUMBER_CHARS characters (leading zeros) is read; one more is not.
    padded = "0" * (MAX_NUMBER_CHARS - 1) + "8"
    label.write_text(set_keyword(text, "LINES", padded))
    assert Pds3Source(label).shape == (8, 8)
    label.write_text(set_keyword(text, "LINES", "0" + padded))
    with pytest.raises(DataFileError, match=f"at most {MAX_NUMBER_CHARS}"):
        Pds3Source(label)
    # Blocks nested MAX_LABEL_DEPTH deep are read; one more level is not.
    nested = "GROUP = G\n" * MAX_LABEL_DEPTH + "END_GROUP\n" * MAX_LABEL_DEPTH
    label.write_text(without_end(text) + nested + "END\n")
    assert Pds3Source(label).shape == (8, 8)
    deeper = "GROUP = G\n" * (MAX_LABEL_DEPTH + 1) + "END_GROUP\n" * (MAX_LABEL_DEPTH + 1)
    label.write_text(without_end(text) + deeper + "END\n")
    with pytest.raises(DataFileError, match=f"nested {MAX_LABEL_DEPTH + 1} deep"):
        Pds3Source(label)
    # A label whose END ends at byte MAX_LABEL_BYTES is read; one byte longer is not.
    head = without_end(text) + "/* "
    tail = " */\nEND"
    label.write_text(head + "x" * (MAX_LABEL_BYTES - len(head) - len(tail)) + tail + "\n")
    assert Pds3Source(label).shape == (8, 8)
    label.write_text(head + "x" * (MAX_LABEL_BYTES + 1 - len(head) - len(tail)) + tail + "\n")
    with pytest.raises(DataFileError, match="no END line within"):
        Pds3Source(label)


def test_parser_limits_count_exactly():
    statements = "K = 1\n" * MAX_LABEL_STATEMENTS
    assert parse_label(statements)["K"][-1] == 1
    with pytest.raises(DataFileError, match=f"more than {MAX_LABEL_STATEMENTS:,} statements"):
        parse_label(statements + "K = 1\n")
    deep = "(" * MAX_VALUE_DEPTH + "1" + ")" * MAX_VALUE_DEPTH
    value = parse_label(f"K = {deep}\n")["K"]
    for _ in range(MAX_VALUE_DEPTH):
        value = value[0]
    assert value == 1
    with pytest.raises(DataFileError, match="line 1: K: sequences nested"):
        parse_label(f"K = ({deep})\n")


def test_a_label_that_is_a_fifo_or_a_directory_is_refused_at_once(tmp_path):
    fifo = tmp_path / "PIPE.LBL"
    os.mkfifo(fifo)
    with pytest.raises(DataFileError, match="not a regular file"):
        Pds3Source(fifo)  # without the check, open() would wait for a writer for ever
    (tmp_path / "DIR.LBL").mkdir()
    with pytest.raises(DataFileError, match="a directory"):
        Pds3Source(tmp_path / "DIR.LBL")


def test_cli_refuses_hostile_labels_in_one_line(tmp_path, product):
    label, text = product
    cases = [
        # int() of more than 4300 digits raised ValueError: a traceback.
        (set_keyword(text, "LINES", "1" * 5000), ["DEM.LBL, line 23", "LINES", "64"]),
        # Sequences nested 10^5 deep: RecursionError, a traceback.
        (set_keyword(text, "OFFSET", "(" * 100_000 + "1" + ")" * 100_000), ["OFFSET"]),
        # A MB of blank lines: the END search was quadratic (minutes).
        ("\n" * MAX_LABEL_BYTES + "END\n", ["DEM.LBL", "no END", "1,048,576"]),
    ]
    for label_text, words in cases:
        label.write_text(label_text)
        assert_one_refusal(run_bounded("terrain", "info", "DEM.LBL", cwd=tmp_path), *words)


# --------------------------------------------------------------------------------------
# Class 2: rasters against memory, and broken rasters
# --------------------------------------------------------------------------------------


def geotiff(path: Path, heights: np.ndarray, pixel_m=(1.0, 1.0), crs=SOUTH_POLAR_STEREOGRAPHIC):
    rows, cols = heights.shape
    profile = dict(
        driver="GTiff",
        width=cols,
        height=rows,
        count=1,
        dtype=str(heights.dtype),
        transform=from_origin(-cols / 2 * pixel_m[0], rows / 2 * pixel_m[1], *pixel_m),
        nodata=np.nan if heights.dtype.kind == "f" else None,
    )
    if crs is not None:
        profile["crs"] = rasterio.crs.CRS.from_user_input(crs)
    with rasterio.open(path, "w", **profile) as dataset:
        dataset.write(heights[None])
    return path


def sparse_geotiff(path: Path, side_px: int) -> Path:
    """A GeoTIFF that declares side_px x side_px float32 pixels and stores none of them
    (a few hundred kB of tile offsets)."""
    profile = dict(
        driver="GTiff",
        width=side_px,
        height=side_px,
        count=1,
        dtype="float32",
        crs=rasterio.crs.CRS.from_proj4(SOUTH_POLAR_STEREOGRAPHIC),
        transform=from_origin(-side_px / 2, side_px / 2, 1.0, 1.0),
        nodata=np.nan,
        tiled=True,
        blockxsize=4096,
        blockysize=4096,
        sparse_ok=True,
        BIGTIFF="YES",
    )
    with rasterio.open(path, "w", **profile):
        pass
    return path


def sparse_pds3(directory: Path, side_px: int) -> Path:
    """A LOLA-layout product of side_px x side_px 16-bit samples, its image a sparse file."""
    directory.mkdir(parents=True, exist_ok=True)
    label = directory / "BIG.LBL"
    label.write_text(
        format_lola_label(
            product_id="BIG",
            image_file="BIG.IMG",
            lines=side_px,
            line_samples=side_px,
            sample_type="LSB_INTEGER",
            sample_bits=16,
            unit="METER",
            scaling_factor=0.5,
            offset=1737400.0,
            pixel_size_m=20.0,
            line_projection_offset_px=side_px / 2 - 0.5,
            sample_projection_offset_px=side_px / 2 - 0.5,
        )
    )
    with open(directory / "BIG.IMG", "wb") as stream:
        stream.truncate(side_px * side_px * 2)
    return label


def test_declared_sizes_are_checked_against_memory_before_reading(tmp_path, monkeypatch):
    monkeypatch.setenv(MAX_READ_BYTES_ENV, "1G")
    huge = open_dem(sparse_geotiff(tmp_path / "huge.tif", 1_000_000))
    assert huge.shape == (1_000_000, 1_000_000)  # the header alone is fine
    with pytest.raises(InputError) as caught:
        huge.read()
    message = str(caught.value)
    assert "1,000,000 x 1,000,000 px of" in message and "huge.tif" in message
    assert "8.19 TiB" in message and "limit of 1 GiB" in message
    assert "ILRS_MAX_READ_BYTES" in message and "window" in message
    assert huge.read(Window(0, 0, 16, 16)).height_m.shape == (16, 16)  # windows still work
    # A horizon map is refused before its output is created, from its largest tile's halo.
    from ilrs.terrain.horizon import write_horizon_map

    with pytest.raises(InputError, match=r"tile of .*huge.tif .* \(102,516 x 102,516 px\)"):
        write_horizon_map(huge, tmp_path / "horizon.tif", max_distance_m=50_000.0)
    assert not list(tmp_path.glob("horizon.tif*"))
    big = open_dem(sparse_pds3(tmp_path / "pds", 100_000))
    with pytest.raises(InputError, match=r"100,000 x 100,000 px of .*BIG\.IMG needs 102 GiB"):
        big.read()
    assert np.all(big.read(Window(0, 0, 4, 4)).height_m == 0.0)


def test_a_read_just_under_the_limit_is_accepted(tmp_path, monkeypatch):
    source = open_dem(geotiff(tmp_path / "dem.tif", np.ones((50, 40), dtype="float32")))
    monkeypatch.setenv(MAX_READ_BYTES_ENV, str(50 * 40 * READ_BYTES_PER_PIXEL))
    assert source.read().height_m.shape == (50, 40)
    monkeypatch.setenv(MAX_READ_BYTES_ENV, str(50 * 40 * READ_BYTES_PER_PIXEL - 1))
    with pytest.raises(InputError, match="needs 17.6 KiB of memory"):
        source.read()


def test_the_memory_limit_and_its_setting(monkeypatch):
    monkeypatch.delenv(MAX_READ_BYTES_ENV, raising=False)
    assert max_read_bytes() == int(0.5 * available_memory_bytes())
    for text, expected in [("8G", 8 << 30), ("512m", 512 << 20), ("1000", 1000), ("2TiB", 2 << 40)]:
        monkeypatch.setenv(MAX_READ_BYTES_ENV, text)
        assert max_read_bytes() == expected
    for text in ("lots", "-5", "1e9", "9" * 40):
        monkeypatch.setenv(MAX_READ_BYTES_ENV, text)
        with pytest.raises(InputError, match="ILRS_MAX_READ_BYTES=.* is not a size"):
            max_read_bytes()
    # An address-space limit lowers what the process can have.
    monkeypatch.delenv(MAX_READ_BYTES_ENV)
    monkeypatch.setattr(resource, "getrlimit", lambda which: (1 << 30, resource.RLIM_INFINITY))
    assert available_memory_bytes() == 1 << 30
    with pytest.raises(InputError, match="50% of the 1 GiB this process can have"):
        check_memory(1 << 30, "reading it all", "read less")


def test_slopes_of_a_grid_too_large_or_too_small_are_refused(tmp_path, monkeypatch):
    from ilrs.terrain.slope import SLOPE_BYTES_PER_PIXEL, slope_aspect_deg

    dem = open_dem(geotiff(tmp_path / "dem.tif", np.ones((30, 30), dtype="float32"))).read()
    monkeypatch.setenv(MAX_READ_BYTES_ENV, str(30 * 30 * SLOPE_BYTES_PER_PIXEL))
    slope_deg, _ = slope_aspect_deg(dem)
    assert np.nanmax(slope_deg) < 1e-6  # flat
    monkeypatch.setenv(MAX_READ_BYTES_ENV, str(30 * 30 * SLOPE_BYTES_PER_PIXEL - 1))
    with pytest.raises(InputError, match="the slopes of 30 x 30 px of dem.tif"):
        slope_aspect_deg(dem)
    monkeypatch.delenv(MAX_READ_BYTES_ENV)
    one = open_dem(geotiff(tmp_path / "one.tif", np.ones((1, 1), dtype="float32"))).read()
    assert one.height_m.tolist() == [[1.0]]  # one pixel is a DEM ...
    with pytest.raises(InputError, match=r"at least 3 x 3 pixels .*; one.tif has 1 x 1"):
        slope_aspect_deg(one)  # ... without a slope


def test_overviews_of_rows_wider_than_a_block_read_one_row_at_a_time(tmp_path, monkeypatch):
    import ilrs.terrain.sources as sources

    heights = np.arange(90 * 70, dtype="float32").reshape(90, 70)
    source = open_dem(geotiff(tmp_path / "dem.tif", heights))
    by_blocks = read_overview(source, 20)
    monkeypatch.setattr(sources, "OVERVIEW_BLOCK_PIXELS", 30)  # narrower than 5 rows of 70
    reads = []
    original = type(source).read
    monkeypatch.setattr(type(source), "read", lambda s, w=None: reads.append(w) or original(s, w))
    by_rows = read_overview(source, 20)
    assert np.array_equal(by_rows.height_m, heights[::5, ::5])
    assert np.array_equal(by_blocks.height_m, by_rows.height_m)
    assert by_rows.transform == by_blocks.transform
    assert max(w.height * w.width for w in reads) <= 30


BROKEN_RASTERS = {
    "random bytes": (lambda p: p.write_bytes(os.urandom(5000)), ["not a readable GeoTIFF"]),
    "a directory": (lambda p: p.mkdir(), ["a directory, not a DEM file"]),
    "a FIFO": (lambda p: os.mkfifo(p), ["not a regular file"]),
    "missing": (lambda p: None, ["no such DEM file"]),
    "empty file": (lambda p: p.write_bytes(b""), ["not a readable GeoTIFF"]),
}


@pytest.mark.parametrize(("make", "words"), BROKEN_RASTERS.values(), ids=BROKEN_RASTERS.keys())
def test_broken_rasters_are_data_file_errors_naming_the_file(tmp_path, make, words):
    path = tmp_path / "x.tif"
    make(path)
    with pytest.raises(DataFileError) as caught:
        open_dem(path)
    assert str(path) in str(caught.value)
    for word in words:
        assert word in str(caught.value)


def test_unusable_rasters_are_refused_with_the_reason(tmp_path):
    cases = [
        (
            geotiff(tmp_path / "rect.tif", np.ones((5, 5), "float32"), pixel_m=(1.0, 2.0)),
            "the pixels are 1 x 2 m",
        ),
        (
            geotiff(tmp_path / "wgs.tif", np.ones((5, 5), "float32"), crs="EPSG:4326"),
            "CRS 'EPSG:4326' is not the lunar south polar stereographic",
        ),
        (geotiff(tmp_path / "nocrs.tif", np.ones((5, 5), "float32"), crs=None), "has no CRS"),
        (
            geotiff(tmp_path / "complex.tif", np.ones((5, 5), "complex64")),
            "band 1 holds complex64 values",
        ),
    ]
    for path, words in cases:
        with pytest.raises(DataFileError) as caught:
            open_dem(path)
        assert str(caught.value).startswith(f"{path}: ") and words in str(caught.value)
    # No heights at all: refused when the whole DEM is read; a window of it is just NaN.
    nan = open_dem(geotiff(tmp_path / "nan.tif", np.full((6, 6), np.nan, "float32")))
    with pytest.raises(DataFileError, match=r"nan.tif: holds no heights: all 36 pixels"):
        nan.read()
    assert np.isnan(nan.read(Window(0, 0, 2, 2)).height_m).all()


def test_a_zero_size_or_truncated_geotiff_is_refused_with_gdals_reason(tmp_path):
    good = geotiff(tmp_path / "good.tif", np.random.default_rng(0).random((60, 60), "float32"))
    raw = good.read_bytes()
    truncated = tmp_path / "truncated.tif"
    truncated.write_bytes(raw[: len(raw) // 2])
    source = open_dem(truncated)  # the header is intact
    with pytest.raises(DataFileError) as caught:
        source.read()
    message = str(caught.value)
    assert message.startswith(f"{truncated}: cannot read 60 x 60 px")
    assert "TIFFReadEncodedStrip" in message  # GDAL's own words, not "See previous exception"
    zero = tmp_path / "zero.tif"
    zero.write_bytes(_with_tiff_tags(raw, {256: 0, 257: 0}))  # ImageWidth, ImageLength
    with pytest.raises(DataFileError, match="zero.tif: not a readable GeoTIFF .*zero"):
        open_dem(zero)


def _with_tiff_tags(raw: bytes, values: dict[int, int]) -> bytes:
    """A classic little-endian TIFF with some SHORT/LONG tags of its first IFD changed."""
    import struct

    data = bytearray(raw)
    assert data[:4] == b"II*\0"
    ifd = struct.unpack_from("<I", data, 4)[0]
    for index in range(struct.unpack_from("<H", data, ifd)[0]):
        entry = ifd + 2 + 12 * index
        tag, kind = struct.unpack_from("<HH", data, entry)
        if tag in values:
            struct.pack_into("<H" if kind == 3 else "<I", data, entry + 8, values[tag])
    return bytes(data)


def test_cli_refuses_rasters_too_large_or_broken_in_one_line(tmp_path):
    sparse_geotiff(tmp_path / "huge.tif", 1_000_000)
    # Was numpy's "Unable to allocate 3.64 TiB" in a traceback. The limit comes from the
    # address-space limit the child runs under (half of 3 GiB).
    run = run_bounded("terrain", "slope", "huge.tif", "--out", "slope.tif", cwd=tmp_path)
    assert_one_refusal(run, "huge.tif", "8.19 TiB", "limit of", "ILRS_MAX_READ_BYTES")
    assert not (tmp_path / "slope.tif").exists()
    (tmp_path / "random.tif").write_bytes(os.urandom(5000))
    run = run_bounded("terrain", "info", "random.tif", cwd=tmp_path)
    assert_one_refusal(run, "random.tif", "not a readable GeoTIFF")
    os.mkfifo(tmp_path / "fifo.tif")
    run = run_bounded("terrain", "profile", "fifo.tif", "--lat", "-89", "--lon", "0", cwd=tmp_path)
    assert_one_refusal(run, "fifo.tif", "not a regular file")


# --------------------------------------------------------------------------------------
# Class 3: a plan on a broken DEM
# --------------------------------------------------------------------------------------


PLAN = """name: hostile
terrain:
  dem: {dem}
site:
  lat_deg: -89.999
  lon_deg: 0
  height_m: 2
lighting: {{start: 2026-01-01T00:00:00Z, end: 2026-01-01T06:00:00Z, step: 1h}}
maps: false
"""


def test_cli_plan_on_a_broken_dem_names_the_file_not_none(tmp_path):
    (tmp_path / "bad.tif").write_bytes(os.urandom(4096))
    (tmp_path / "plan.yaml").write_text(PLAN.format(dem="bad.tif"))
    run = run_bounded(
        "plan", "--scenario", "plan.yaml", "--out", "out", "--cache", "cache", cwd=tmp_path
    )
    # Was "ilrs: error: ilrs plan: None".
    line = assert_one_refusal(run, "bad.tif", "not a readable GeoTIFF", progress_lines=1)
    assert "None" not in line
    assert not (tmp_path / "out" / "report.html").exists()


def test_plan_on_a_truncated_dem_names_the_file_and_gdals_reason(tmp_path):
    from ilrs.report.plan import run_plan
    from ilrs.report.scenario import load_plan

    rng = np.random.default_rng(1)
    good = geotiff(tmp_path / "good.tif", rng.random((400, 400), "float32"))
    raw = good.read_bytes()
    (tmp_path / "cut.tif").write_bytes(raw[: len(raw) * 2 // 3])  # the site's rows survive
    (tmp_path / "plan.yaml").write_text(PLAN.format(dem="cut.tif"))
    with pytest.raises(DataFileError) as caught:
        run_plan(load_plan(tmp_path / "plan.yaml"), tmp_path / "out", tmp_path / "cache")
    message = str(caught.value)
    assert "cut.tif: cannot read" in message
    assert "TIFFReadEncodedStrip" in message
    assert isinstance(caught.value, OSError)  # still an OSError for callers that catch it


# --------------------------------------------------------------------------------------
# Class 4: CSV and text files
# --------------------------------------------------------------------------------------

HEADER = "azimuth_deg,elevation_deg\n0,1\n"

HORIZON_FILES = {
    "field over 128 KiB": (
        HEADER + '"' + "9" * 200_000 + '",2\n',
        ["h.csv:3", "field larger than field limit (131072)"],
    ),
    "NUL byte": (HEADER.encode() + b"10\x00,2\n", ["h.csv:3", "NUL"]),
    "invalid UTF-8": (HEADER.encode() + b"10,\xff2\n", ["h.csv:3", "0xFF", "UTF-8"]),
    "lone surrogate": (HEADER.encode() + b"10,\xed\xa0\x802\n", ["h.csv:3", "0xED", "UTF-8"]),
    "UTF-16": (("\ufeff" + HEADER + "10,2\n").encode("utf-16-le"), ["NUL", "UTF-16"]),
    "nan": (HEADER + "10,nan\n", ["h.csv:3: elevation_deg must be finite, got 'nan'"]),
    "-inf": (HEADER + "10,-inf\n", ["h.csv:3: elevation_deg must be finite, got '-inf'"]),
    "1e999": (HEADER + "10,1e999\n", ["h.csv:3: elevation_deg must be finite, got '1e999'"]),
    "Arabic-Indic digits": (HEADER + "\u0661\u0660,2\n", ["h.csv:3: azimuth_deg is not a number"]),
    "fullwidth digits": (HEADER + "\uff11\uff10,2\n", ["h.csv:3: azimuth_deg is not a number"]),
    "underscores": (HEADER + "1_0,2\n", ["h.csv:3: azimuth_deg is not a number: '1_0'"]),
    "5000 digits": (HEADER + "1" * 5000 + ",2\n", ["h.csv:3: azimuth_deg", "5,000 characters"]),
}


@pytest.mark.parametrize(("content", "words"), HORIZON_FILES.values(), ids=HORIZON_FILES.keys())
def test_hostile_horizon_files_are_refused_with_file_and_line(tmp_path, content, words):
    from ilrs.environment.profile import read_horizon_csv

    path = tmp_path / "h.csv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    with pytest.raises(InputError) as caught:
        read_horizon_csv(path)
    message = str(caught.value)
    assert str(tmp_path) in message and len(message) < 400
    for word in words:
        assert word in message, (word, message)


def test_horizon_rows_and_bytes_are_bounded_and_the_bound_is_reachable(tmp_path):
    from ilrs.environment.profile import MAX_HORIZON_ROWS, read_horizon_csv
    from ilrs.textfiles import DEFAULT_MAX_TEXT_BYTES

    step = 360.0 / MAX_HORIZON_ROWS
    rows = "".join(f"{i * step:.6f},{(i % 7) / 10}\n" for i in range(MAX_HORIZON_ROWS))
    path = tmp_path / "h.csv"
    path.write_text("# a comment\nazimuth_deg,elevation_deg\n" + rows)
    line = read_horizon_csv(path)
    assert line.azimuth_deg.size == MAX_HORIZON_ROWS and line.elevation_deg[6] == 0.6
    path.write_text("azimuth_deg,elevation_deg\n" + rows + "359.9999999,0\n")
    with pytest.raises(InputError, match=f"h.csv:{MAX_HORIZON_ROWS + 2}: more than 360,000 rows"):
        read_horizon_csv(path)
    with open(path, "r+b") as stream:  # a sparse gigabyte: refused from its size
        stream.truncate(1 << 30)
    limit = f"at most {DEFAULT_MAX_TEXT_BYTES:,}"
    with pytest.raises(InputError, match=f"1,073,741,824 bytes, .* {limit}"):
        read_horizon_csv(path)


def test_read_text_is_bounded_for_files_pipes_and_kinds(tmp_path):
    from ilrs.textfiles import MAX_TEXT_BYTES, read_text

    path = tmp_path / "t.txt"
    path.write_text("x" * 100)
    assert read_text(path, "times", max_bytes=100) == "x" * 100  # exactly the limit
    with pytest.raises(InputError, match="100 bytes, where a times file has at most 99 bytes"):
        read_text(path, "times", max_bytes=99)
    assert MAX_TEXT_BYTES["times"] == 64 << 20
    # A pipe that never ends is read to the limit and one byte more, then refused.
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    keeper = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # lets the writer open at once
    opened = threading.Event()

    def write_forever() -> None:
        try:
            with open(fifo, "wb") as stream:
                opened.set()
                for _ in range(10_000):
                    stream.write(b"0,1\n" * 1024)
        except BrokenPipeError:
            pass  # the readers stopped: what they should do

    writer = threading.Thread(target=write_forever, daemon=True)
    writer.start()
    assert opened.wait(10)
    try:
        with pytest.raises(InputError, match="more than 4,096 bytes"):
            read_text(fifo, "horizon", max_bytes=4096)
    finally:
        os.close(keeper)
    writer.join(timeout=10)
    assert not writer.is_alive()
    # A pipe no one writes to is not waited on: it reads as empty (the caller says so).
    from ilrs.environment.profile import read_horizon_csv

    start = time.monotonic()
    with pytest.raises(InputError, match="pipe.csv: empty"):
        read_horizon_csv(fifo)
    assert time.monotonic() - start < 5
    with pytest.raises(InputError, match="horizon file .* is a directory"):
        read_text(tmp_path, "horizon")
    with pytest.raises(InputError, match="/dev/zero is too large: more than 1,000 bytes"):
        read_text("/dev/zero", "horizon", max_bytes=1000)  # endless, and all NUL


def test_hostile_candidate_files_are_refused_with_file_and_line(tmp_path):
    from ilrs.environment.ranking import MAX_CANDIDATES, read_candidates

    path = tmp_path / "c.csv"
    cases = {
        'name,lat_deg,lon_deg\na,-89,0\nb,"' + "9" * 200_000 + '",0\n': "c.csv:3: not a CSV line",
        "name,lat_deg,lon_deg\na,-89,0\nb,nan,0\n": "c.csv:3: lat_deg must be finite",
        "name,lat_deg,lon_deg\na,-89,\u0661\n": "c.csv:2: lon_deg is not a number",
        "name,lat_deg,lon_deg\na,-89\n": "c.csv:2: lon_deg is missing",
        "name,lat_deg,lon_deg\na,-91,0\n": "c.csv:2: -91, 0 is not a place",
        "name,lat\n": "c.csv:1: the header lacks lat_deg, lon_deg",
    }
    for text, words in cases.items():
        path.write_text(text)
        with pytest.raises(InputError, match=re.escape(words)):
            read_candidates(path)
    rows = "".join(f"s{i},-89,{i % 360}\n" for i in range(MAX_CANDIDATES))
    path.write_text("name,lat_deg,lon_deg\n" + rows)
    assert len(read_candidates(path)) == MAX_CANDIDATES
    path.write_text("name,lat_deg,lon_deg\n" + rows + "one,-89,0\n")
    with pytest.raises(InputError, match=f"c.csv:{MAX_CANDIDATES + 2}: more than 10,000"):
        read_candidates(path)


def test_a_damaged_embedded_table_is_a_data_file_error(tmp_path, monkeypatch):
    import ilrs.data as data

    bad = tmp_path / "sites.csv"
    bad.write_bytes(b"name,label,lat_deg,lon_deg,source\nx,X,-89,\xff,s\n")
    monkeypatch.setattr(data, "data_path", lambda name: bad)
    with pytest.raises(DataFileError, match="embedded table .*sites.csv.*reinstall"):
        data.named_sites()
    bad.write_text("name,label,lat_deg,lon_deg,source\nx,X,-89,east,s\n")
    with pytest.raises(DataFileError, match=r"sites.csv:2: .*east"):
        data.named_sites()


def test_cli_refuses_hostile_horizon_files_in_one_line(tmp_path):
    site = ["--lat", "-89.45", "--lon", "222.69", "--start", "2026-01-01T00:00:00Z"]
    site += ["--end", "2026-01-01T06:00:00Z", "--step", "1h"]
    big = tmp_path / "big.csv"
    big.write_text(HEADER)
    with open(big, "r+b") as stream:
        stream.truncate(1 << 30)  # a gigabyte, sparse
    run = run_bounded("site", "analyze", "--horizon", "big.csv", *site, cwd=tmp_path)
    assert_one_refusal(run, "big.csv", "1,073,741,824 bytes", "16,777,216")
    (tmp_path / "wide.csv").write_text(HORIZON_FILES["field over 128 KiB"][0])
    run = run_bounded("site", "analyze", "--horizon", "wide.csv", *site, cwd=tmp_path)
    # Was _csv.Error in a traceback.
    assert_one_refusal(run, "wide.csv:3", "131072")
