"""PDS3 polar DEMs: the label parser, the reader, its checks, and GDAL as an independent reader.

Authorities: GDAL's own PDS driver (through rasterio) reads the same files; the line/sample
to latitude/longitude equations of the LOLA catalogue file DSMAP_POLAR.CAT (2021 revision);
the extents that the real LOLA labels state (LDEM_80S_20M: 30400 x 30400 px of 20 m about
offsets 15199.5, MAXIMUM_LATITUDE -80; LDEM_875S_5M: 30336 px of 5 m about 15167.5,
MAXIMUM_LATITUDE -87.5).
"""

from __future__ import annotations

import math
import re
import tracemalloc

import numpy as np
import pytest
from affine import Affine

from ilrs.errors import DataFileError, InputError
from ilrs.terrain.grid import MOON_RADIUS_M, SOUTH_POLAR_STEREOGRAPHIC, Window
from ilrs.terrain.pds3 import (
    Pds3Source,
    Quantity,
    RadixInt,
    find_object,
    format_lola_label,
    image_from_label,
    parse_label,
    write_lola_product,
)


def heights(shape=(40, 50), seed=3, step_m=0.5) -> np.ndarray:
    """Random heights on the 0.5 m DN grid of the 16-bit products (so they survive exactly)."""
    rng = np.random.default_rng(seed)
    return np.round(rng.normal(0, 1500, shape) / step_m) * step_m


# --------------------------------------------------------------------------------------
# The label grammar
# --------------------------------------------------------------------------------------

LABEL = """PDS_VERSION_ID            = "PDS3"
/* A comment on its own line, and one that
   spans two lines */
MISSION_PHASE_NAME        = {"COMMISSIONING","SCIENCE
                              MISSION"}
START_TIME                = 2009-07-13T17:33:17
DESCRIPTION               = "First line
   second line."
object                    = UNCOMPRESSED_FILE
  RECORD_BYTES            = 16   /* a trailing comment */
  ^IMAGE                  = ("X.IMG", 1025 <BYTES>)
  OBJECT                  = IMAGE
    LINES                 = 30400
    OFFSET                = 1737400.
    SCALING_FACTOR        = 0.5
    MISSING_CONSTANT      = 16#FF7FFFFB#
    EXPONENT              = -1.5E+3
  END_OBJECT
END_OBJECT                = UNCOMPRESSED_FILE
GROUP                     = PARAMETERS
  A_AXIS_RADIUS           = 1737.4 <km>
  FIRST_STANDARD_PARALLEL = 'N/A'
  CORE_ITEMS              = (3, (1, 2))
  NOTE                    = A
  NOTE                    = B
END_GROUP                 = PARAMETERS
END
binary data after END is ignored = (
"""


def test_parser_reads_the_pds3_grammar():
    label = parse_label(LABEL, where="test.lbl")
    assert label["PDS_VERSION_ID"] == "PDS3"
    assert label["MISSION_PHASE_NAME"] == ("COMMISSIONING", "SCIENCE MISSION")
    assert label["START_TIME"] == "2009-07-13T17:33:17"
    assert label["DESCRIPTION"] == "First line second line."
    file_object = label["UNCOMPRESSED_FILE"]
    assert file_object["RECORD_BYTES"] == 16
    assert file_object["^IMAGE"] == ("X.IMG", Quantity(1025, "BYTES"))
    image = find_object(label, "image")
    assert image["LINES"] == 30400 and isinstance(image["LINES"], int)
    assert image["OFFSET"] == 1737400.0 and isinstance(image["OFFSET"], float)
    assert image["EXPONENT"] == -1500.0
    missing = image["MISSING_CONSTANT"]
    assert (
        isinstance(missing, RadixInt)
        and missing == 0xFF7FFFFB
        and missing.pds() == ("16#FF7FFFFB#")
    )
    group = label["PARAMETERS"]
    assert group["A_AXIS_RADIUS"] == Quantity(1737.4, "km")
    assert group["FIRST_STANDARD_PARALLEL"] == "N/A"
    assert group["CORE_ITEMS"] == (3, (1, 2))
    assert group["NOTE"] == ["A", "B"]  # a repeated keyword becomes a list


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('A = 1\nB = "never closed\n\n', 2, "never closed"),
        ("A = 1\nB 2\n", 2, "expected '='"),
        ("OBJECT = IMAGE\n  A = 1\nEND_OBJECT = TABLE\n", 3, "closes OBJECT = IMAGE"),
        ("A = 1\nOBJECT = IMAGE\n  A = 2\n", 2, "never closed"),
        ("A = 1\n/* open comment\nB = 2\n", 2, "comment"),
        ("A = (1, 2\nB = 3\n", 2, "expected ','"),
        ("A =\n", 2, "no value"),
    ],
)
def test_parser_errors_name_the_file_and_line(text, line, words):
    with pytest.raises(DataFileError, match=rf"bad\.lbl, line {line}: .*{re.escape(words)}"):
        parse_label(text, where="bad.lbl")


# --------------------------------------------------------------------------------------
# Reading products back
# --------------------------------------------------------------------------------------


def test_int16_product_reads_back_exactly(tmp_path):
    h = heights()
    h[5, 7] = np.nan
    label_path = write_lola_product(tmp_path, "LDEM_TEST_20M", h, 20.0)
    source = Pds3Source(label_path)
    assert source.shape == (40, 50)
    assert source.crs == SOUTH_POLAR_STEREOGRAPHIC
    # Centred on the pole like the LOLA products: offsets N/2 - 0.5.
    assert source.transform == Affine(20.0, 0, -500.0, 0, -20.0, 400.0)
    assert source.metadata["source"] == "LDEM_TEST_20M"
    assert source.metadata["scaling_factor"] == "0.5"
    dem = source.read()
    np.testing.assert_array_equal(dem.height_m, h)  # NaN where NaN, exact elsewhere
    assert dem.transform == source.transform
    # The raw DNs are int16 heights over 0.5 m, -32768 where missing.
    raw = source.read_raw(Window(0, 0, 40, 50))
    assert raw.dtype == np.dtype("<i2")
    assert raw[5, 7] == -32768
    np.testing.assert_array_equal(raw[0, :5], (h[0, :5] / 0.5).astype(int))


def test_scaling_factor_is_honoured(tmp_path):
    h = heights(step_m=2.0) * 4  # beyond int16 at 0.5 m per DN
    with pytest.raises(InputError, match="do not fit 16-bit"):
        write_lola_product(tmp_path, "TOO_TALL", h, 20.0)
    source = Pds3Source(write_lola_product(tmp_path, "COARSE", h, 20.0, scaling_factor=2.0))
    np.testing.assert_array_equal(source.read().height_m, h)


def test_windows_read_only_their_block(tmp_path):
    h = heights((60, 70))
    source = Pds3Source(write_lola_product(tmp_path, "LDEM_WIN", h, 5.0))
    for window in (Window(0, 0, 1, 1), Window(10, 20, 15, 30), Window(59, 0, 1, 70)):
        dem = source.read(window)
        np.testing.assert_array_equal(dem.height_m, h[window.rows, window.cols])
        assert dem.transform == source.transform @ Affine.translation(
            window.col_off, window.row_off
        )
        assert dem.xy(0, 0) == source.read().xy(window.row_off, window.col_off)
    with pytest.raises(InputError, match="outside LDEM_WIN.LBL"):
        source.read(Window(50, 60, 20, 20))


def test_float_product_in_kilometres(tmp_path):
    h = heights() + 0.123  # not on the 0.5 m grid: only a float product keeps it
    h[0, 0] = np.nan
    source = Pds3Source(write_lola_product(tmp_path, "LDEM_TEST_20M_FLOAT", h, 20.0, floating=True))
    assert source.image.sample_type == "PC_REAL" and source.image.unit == "KILOMETER"
    assert source.image.offset == pytest.approx(1737.4)
    dem = source.read()
    assert np.isnan(dem.height_m[0, 0])  # the 16#FF7FFFFB# MISSING_CONSTANT
    # float32 kilometres keep a few tenths of a millimetre.
    np.testing.assert_allclose(dem.height_m, h, atol=1e-3, equal_nan=True)


def test_float_product_in_metres(tmp_path):
    h = heights() + 0.123
    path = write_lola_product(tmp_path, "M_FLOAT", h, 20.0, floating=True, float_unit="METER")
    source = Pds3Source(path)
    np.testing.assert_array_equal(source.read().height_m, h.astype(np.float32).astype(float))


def test_image_path_and_lower_case_files(tmp_path):
    # The PDS Geosciences Node serves lower-case names; the label spells them in upper case.
    h = heights((8, 10))
    write_lola_product(tmp_path, "LDEM_CASE", h, 20.0)
    (tmp_path / "LDEM_CASE.LBL").rename(tmp_path / "ldem_case.lbl")
    (tmp_path / "LDEM_CASE.IMG").rename(tmp_path / "ldem_case.img")
    for given in ("ldem_case.img", "ldem_case.lbl"):
        source = Pds3Source(tmp_path / given)
        assert source.label_path.name == "ldem_case.lbl"
        assert source.image_path.name == "ldem_case.img"
        np.testing.assert_array_equal(source.read().height_m, h)
    (tmp_path / "ldem_case.lbl").unlink()
    with pytest.raises(DataFileError, match="no PDS3 label found"):
        Pds3Source(tmp_path / "ldem_case.img")


def test_image_after_a_header_through_a_byte_pointer(tmp_path):
    h = heights((6, 8))
    write_lola_product(tmp_path, "HDR", h, 20.0)
    label = (tmp_path / "HDR.LBL").read_text()
    label = label.replace(
        '^IMAGE                    = "HDR.IMG"', '^IMAGE = ("HDR.IMG", 1025 <BYTES>)'
    )
    (tmp_path / "HDR.LBL").write_text(label)
    data = (tmp_path / "HDR.IMG").read_bytes()
    (tmp_path / "HDR.IMG").write_bytes(b"\0" * 1024 + data)
    source = Pds3Source(tmp_path / "HDR.LBL")
    assert source.image.image_offset_bytes == 1024
    np.testing.assert_array_equal(source.read().height_m, h)


# --------------------------------------------------------------------------------------
# Georeferencing against authorities
# --------------------------------------------------------------------------------------


def test_pixels_match_the_lola_catalogue_equations(tmp_path):
    # DSMAP_POLAR.CAT (LRO-L-LOLA-4-GDR-V1.0, 2021-09-15): for 1-based sample I and line J
    # of an N x N map, X = (I - N/2 - 0.5) * MAP_SCALE, Y = (J - N/2 - 0.5) * MAP_SCALE,
    # LON = ATAN2(X, -Y), LAT = -90 + 2 ATAN(0.5 R / 1737400) in the south.
    n, scale = 64, 20.0
    source = Pds3Source(write_lola_product(tmp_path, "LDEM_CAT", np.zeros((n, n)), scale))
    dem = source.read()
    rng = np.random.default_rng(0)
    line, sample = rng.integers(1, n + 1, (2, 200))
    x = (sample - n / 2 - 0.5) * scale
    y = (line - n / 2 - 0.5) * scale
    lon_deg = np.degrees(np.arctan2(x, -y)) % 360
    lat_deg = -90 + np.degrees(2 * np.arctan(0.5 * np.hypot(x, y) / 1_737_400))
    lat, lon = dem.latlon(line - 1, sample - 1)
    np.testing.assert_allclose(lat, lat_deg, atol=1e-12)
    np.testing.assert_allclose((lon - lon_deg + 180) % 360 - 180, 0, atol=1e-9)
    # ... and the four pixels round the pole are the central ones (the ODE GDR notes).
    rows, cols = dem.rowcol_of_latlon(-90.0, 0.0)
    assert (float(rows), float(cols)) == (n / 2 - 0.5, n / 2 - 0.5)


def test_point_conversions_on_an_off_centre_grid(tmp_path):
    # A grid whose pole lies outside: offsets -100.5 (line) and 20.5 (sample).
    h = heights((30, 40))
    path = write_lola_product(
        tmp_path,
        "OFF",
        h,
        10.0,
        line_projection_offset_px=-100.5,
        sample_projection_offset_px=20.5,
    )
    source = Pds3Source(path)
    image = source.image
    assert image.line_projection_offset_px == -100.5
    dem = source.read()
    # Pixel (r, c) centre: x = (c - S0) s, y = (L0 - r) s.
    x, y = dem.xy(7, 3)
    assert (x, y) == ((3 - 20.5) * 10.0, (-100.5 - 7) * 10.0)
    lat, lon = dem.latlon(7, 3)
    rows, cols = dem.rowcol_of_latlon(lat, lon)
    assert float(rows) == pytest.approx(7) and float(cols) == pytest.approx(3)
    assert float(dem.height_at(lat, lon)) == pytest.approx(h[7, 3])
    # The label's extent says where the grid is: all of it beyond the pole, towards 180°.
    projection = find_object(source.label, "IMAGE_MAP_PROJECTION")
    west = projection["WESTERNMOST_LONGITUDE"].value
    east = projection["EASTERNMOST_LONGITUDE"].value
    assert 90 < west < 180 < east < 270


def test_gdal_reads_the_same_grid_and_values(tmp_path):
    rasterio = pytest.importorskip("rasterio")
    h = heights((30, 44))
    h[3, 4] = np.nan
    for floating in (False, True):
        name = "LDEM_GDAL_FLOAT" if floating else "LDEM_GDAL"
        path = write_lola_product(tmp_path, name, h, 20.0, floating=floating)
        source = Pds3Source(path)
        with rasterio.open(path) as dataset:
            assert dataset.driver == "PDS"
            assert dataset.shape == source.shape
            assert dataset.transform.almost_equals(source.transform, precision=1e-9)
            params = dataset.crs.to_dict()
            assert params["proj"] == "stere" and params["lat_0"] == -90
            assert params.get("lon_0", 0) == 0 and params["R"] == MOON_RADIUS_M
            raw = dataset.read(1, masked=True)
            scale, offset = dataset.scales[0], dataset.offsets[0]
            unit_m = 1000.0 if floating else 1.0
            radius_m = (raw.astype(float) * scale + offset) * unit_m
            ours = source.read().height_m
            assert np.array_equal(raw.mask, np.isnan(ours))
            np.testing.assert_allclose(radius_m.filled(np.nan) - MOON_RADIUS_M, ours, atol=1e-6)
        window = Window(5, 6, 10, 12)
        with rasterio.open(path) as dataset:
            block = dataset.read(
                1, window=rasterio.windows.Window(6, 5, 12, 10), masked=True
            ).astype(float)
            transform = dataset.window_transform(rasterio.windows.Window(6, 5, 12, 10))
        dem = source.read(window)
        assert transform.almost_equals(dem.transform, precision=1e-9)
        np.testing.assert_allclose(
            ((block * scale + offset) * unit_m - MOON_RADIUS_M).filled(np.nan),
            dem.height_m,
            atol=1e-6,
        )


@pytest.mark.parametrize(
    ("lines", "scale_m", "offset_px", "label_max_lat"),
    [(30400, 20.0, 15199.5, -80.0), (30336, 5.0, 15167.5, -87.5), (30336, 10.0, 15167.5, -85.0)],
)
def test_real_lola_geometry_passes_the_extent_check(lines, scale_m, offset_px, label_max_lat):
    # The grid sizes, scales and offsets of LDEM_80S_20M, LDEM_875S_5M and LDEM_85S_10M,
    # with the round MAXIMUM_LATITUDE their labels state.
    text = format_lola_label(
        product_id="REAL",
        image_file="REAL.IMG",
        lines=lines,
        line_samples=lines,
        sample_type="LSB_INTEGER",
        sample_bits=16,
        unit="METER",
        scaling_factor=0.5,
        offset=1737400.0,
        pixel_size_m=scale_m,
        line_projection_offset_px=offset_px,
        sample_projection_offset_px=offset_px,
    )
    written = find_object(parse_label(text), "IMAGE_MAP_PROJECTION")["MAXIMUM_LATITUDE"].value
    assert written == pytest.approx(label_max_lat, abs=0.005)
    text = re.sub(r"MAXIMUM_LATITUDE( +)= \S+", rf"MAXIMUM_LATITUDE\1= {label_max_lat:g}", text)
    image = image_from_label(parse_label(text, where="REAL.LBL"), where="REAL.LBL")
    half_m = lines / 2 * scale_m
    assert image.transform == Affine(scale_m, 0, -half_m, 0, -scale_m, half_m)
    assert image.expected_file_bytes == lines * lines * 2  # e.g. 1 848 320 000 B for 80S 20 m


def test_a_full_size_product_is_read_by_window(tmp_path):
    # A sparse 30336 x 30336 LDEM_875S_5M-sized file: reading a window must not touch the rest.
    n = 30336
    text = format_lola_label(
        product_id="LDEM_875S_5M",
        image_file="LDEM_875S_5M.IMG",
        lines=n,
        line_samples=n,
        sample_type="LSB_INTEGER",
        sample_bits=16,
        unit="METER",
        scaling_factor=0.5,
        offset=1737400.0,
        pixel_size_m=5.0,
        line_projection_offset_px=15167.5,
        sample_projection_offset_px=15167.5,
    )
    (tmp_path / "LDEM_875S_5M.LBL").write_text(text)
    row, col = 20000, 12345
    with open(tmp_path / "LDEM_875S_5M.IMG", "wb") as stream:
        stream.truncate(n * n * 2)
        stream.seek((row * n + col) * 2)
        stream.write(np.arange(100, dtype="<i2").tobytes())
    source = Pds3Source(tmp_path / "LDEM_875S_5M.LBL")
    tracemalloc.start()
    dem = source.read(Window(row - 50, col, 100, 100))
    peak_bytes = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak_bytes < 2_000_000  # the window, not the 1.8 GB product
    np.testing.assert_array_equal(dem.height_m[50], np.arange(100) * 0.5)
    assert not dem.height_m[:50].any()
    lat, _ = dem.latlon(50, 0)
    assert -90 < float(lat) < -87.5


# --------------------------------------------------------------------------------------
# Refusing bad files and labels
# --------------------------------------------------------------------------------------


def test_truncated_image_is_one_clear_error(tmp_path):
    path = write_lola_product(tmp_path, "TRUNC", heights((20, 30)), 20.0)
    image = tmp_path / "TRUNC.IMG"
    image.write_bytes(image.read_bytes()[:-100])
    with pytest.raises(DataFileError) as caught:
        Pds3Source(path)
    message = str(caught.value)
    assert "TRUNC.IMG" in message and "1,200 bytes" in message and "1,100 bytes" in message
    assert "truncated" in message


@pytest.mark.parametrize(("old", "new"), [("= 20\n", "= 21\n"), ("= 20\n", "= 19\n")])
def test_label_that_lies_about_the_size(tmp_path, old, new):
    path = write_lola_product(tmp_path, "LIAR", heights((20, 30)), 20.0)
    text = path.read_text()
    # LINES and FILE_RECORDS and LINE_LAST_PIXEL all say 20: change them together.
    path.write_text(text.replace(old, new))
    with pytest.raises(DataFileError, match=r"LIAR\.IMG: the label LIAR\.LBL describes"):
        Pds3Source(path)


@pytest.mark.parametrize(
    ("pattern", "replacement", "words"),
    [
        (r"MAP_SCALE( +)= 20", r"MAP_SCALE\1= 40", "MAXIMUM_LATITUDE"),
        (
            r"LINE_PROJECTION_OFFSET( +)= 19.5",
            r"LINE_PROJECTION_OFFSET\1= 60.5",
            "MINIMUM_LATITUDE",
        ),
        (r"MAXIMUM_LATITUDE( +)= \S+", r"MAXIMUM_LATITUDE\1= -80", "MAXIMUM_LATITUDE"),
        (r"LINE_LAST_PIXEL( +)= 40", r"LINE_LAST_PIXEL\1= 41", "LINE_FIRST_PIXEL"),
    ],
)
def test_inconsistent_projection_is_refused(tmp_path, pattern, replacement, words):
    path = write_lola_product(tmp_path, "BENT", heights(), 20.0)
    text, count = re.subn(pattern, replacement, path.read_text())
    assert count == 1
    path.write_text(text)
    with pytest.raises(DataFileError, match=rf"BENT\.LBL: .*{words}"):
        Pds3Source(path)


@pytest.mark.parametrize(
    ("pattern", "replacement", "words"),
    [
        ('"POLAR STEREOGRAPHIC"', '"EQUIRECTANGULAR"', "MAP_PROJECTION_TYPE"),
        ("CENTER_LATITUDE( +)= -90", r"CENTER_LATITUDE\1= 90", "north polar"),
        ("CENTER_LONGITUDE( +)= 0", r"CENTER_LONGITUDE\1= 180", "CENTER_LONGITUDE"),
        (r"A_AXIS_RADIUS( +)= 1737.4", r"A_AXIS_RADIUS\1= 3396.19", "1737.4 km sphere"),
        ("LSB_INTEGER", "VAX_REAL", "SAMPLE_TYPE"),
        ("UNIT                  = METER", "UNIT                  = DEGREE", "unknown length"),
    ],
)
def test_anything_but_the_lunar_south_polar_grid_is_refused(tmp_path, pattern, replacement, words):
    path = write_lola_product(tmp_path, "OTHER", heights(), 20.0)
    text, count = re.subn(pattern, replacement, path.read_text())
    assert count == 1
    path.write_text(text)
    with pytest.raises(DataFileError, match=words):
        Pds3Source(path)


def test_missing_files_are_data_file_errors(tmp_path):
    with pytest.raises(DataFileError, match="no such PDS3 file"):
        Pds3Source(tmp_path / "NOPE.LBL")
    path = write_lola_product(tmp_path, "ALONE", heights((4, 4)), 20.0)
    (tmp_path / "ALONE.IMG").unlink()
    with pytest.raises(DataFileError, match="ALONE.IMG"):
        Pds3Source(path)


def test_extent_of_a_grid_about_the_pole_follows_the_lola_convention():
    from ilrs.terrain.pds3 import grid_extent

    # LDEM_80S_20M: edges at -80 (its MAXIMUM_LATITUDE), corners at about -75.9.
    extent = grid_extent(Affine(20, 0, -304000, 0, -20, 304000), (30400, 30400))
    assert extent["pole_inside"]
    assert extent["maximum_latitude_deg"] == pytest.approx(-80.0, abs=1e-3)
    corner = -90 + math.degrees(2 * math.atan(304000 * math.sqrt(2) / (2 * MOON_RADIUS_M)))
    assert extent["corner_latitude_deg"] == pytest.approx(corner)
    assert extent["minimum_latitude_deg"] == -90.0
