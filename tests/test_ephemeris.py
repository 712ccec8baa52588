"""Kernels, positions and the Moon's frame, checked against NAIF CSPICE (spiceypy)."""

from __future__ import annotations

import numpy as np
import pytest

from ilrs.errors import DataFileError, TimeRangeError, UnknownNameError
from ilrs.sky import Ephemeris, Times, default_ephemeris, naif_id
from ilrs.sky.kernels import frame_chain_to_pck, read_text_kernel

EPOCHS_TDB_S = np.linspace(8.2e8, 1.42e9, 25)  # 2026 to 2045


def test_text_kernel_reader(tmp_path):
    path = tmp_path / "k.tf"
    path.write_text(
        "comment @begindata not data\n\\begindata\nA = ( 1.5D0, 2 )\nB = 'x''y'\nA += 3\n"
        "\\begintext\nC = 9\n"
    )
    assert read_text_kernel(path) == {"A": [1.5, 2.0, 3.0], "B": ["x'y"]}


def test_missing_frame_is_a_clear_error():
    with pytest.raises(DataFileError, match="frame MOON_XX is not defined"):
        frame_chain_to_pck("MOON_XX", {})


def test_pa_to_me_matrix_matches_spice(spice):
    ephemeris = default_ephemeris()
    variables = {}
    for path in ephemeris.kernels.frame_kernels:
        variables.update(read_text_kernel(path))
    frame_id, pa_to_me = frame_chain_to_pck("MOON_ME", variables)
    assert frame_id == 31006
    expected = np.array(spice.pxform("MOON_PA_DE421", "MOON_ME", 0.0))
    assert np.max(np.abs(pa_to_me - expected)) < 1e-15


@pytest.mark.parametrize("body", ["sun", "earth", "moon", "mars", "jupiter"])
def test_states_match_spice(spice, body):
    position_m, velocity_m_s = default_ephemeris().state_m(body, EPOCHS_TDB_S)
    for index, et in enumerate(EPOCHS_TDB_S):
        state, _ = spice.spkgeo(naif_id(body), et, "J2000", 0)
        # 5 cm: float rounding at 1e12 m
        assert position_m[index] == pytest.approx(np.array(state[:3]) * 1e3, abs=0.05)
        assert velocity_m_s[index] == pytest.approx(np.array(state[3:]) * 1e3, abs=1e-8)


def test_moon_frame_and_its_rate_match_spice(spice):
    me_to_icrf, rate = default_ephemeris().moon_me_to_icrf(EPOCHS_TDB_S)
    for index, et in enumerate(EPOCHS_TDB_S):
        expected = np.array(spice.sxform("MOON_ME", "J2000", et))
        assert np.max(np.abs(me_to_icrf[index] - expected[:3, :3])) < 1e-11  # 2 µm at the surface
        assert np.max(np.abs(rate[index] - expected[3:, :3])) < 1e-15  # 2 µm/s at the surface


def test_times_outside_the_kernels_name_the_span():
    ephemeris = default_ephemeris()
    late = Times([ephemeris.span_tdb_s[1] + 86400.0])
    with pytest.raises(
        TimeRangeError, match=r"outside the span .* valid from 1899-12-31.* to 2050"
    ):
        ephemeris.check_span(late.tdb_s)


def test_unknown_body():
    with pytest.raises(UnknownNameError, match="known bodies: sun"):
        naif_id("vulcan")


def test_ephemeris_is_built_from_the_named_kernels():
    ephemeris = Ephemeris(default_ephemeris().kernels)
    assert ephemeris.kernels.describe()["spk"] == "de421.bsp"
    assert ephemeris.span_tdb_s == default_ephemeris().span_tdb_s


@pytest.mark.parametrize("axis", [1, 2, 3])
def test_frame_rotation_is_spice_rotate(spice, axis):
    from ilrs.sky.rotation import frame_rotation

    assert np.allclose(frame_rotation(0.3, axis), np.array(spice.rotate(0.3, axis)), atol=1e-16)


def test_tk_frames_by_matrix_and_by_angles_match_spice(spice, tmp_path):
    """Two made-up TK frames on top of MOON_PA_DE421, read by us and by CSPICE."""
    matrix = np.array(spice.eul2m(0.1, -0.2, 0.3, 3, 1, 2))  # some rotation, TK -> relative
    # One value a line: SPICE reads at most 132 characters of a kernel line.
    column_major = "\n".join(f"{value:.17E}" for value in matrix.T.ravel())
    text = f"""KPL/FK
\\begindata
FRAME_TEST_MATRIX = 1400001
FRAME_1400001_NAME = 'TEST_MATRIX'
FRAME_1400001_CLASS = 4
FRAME_1400001_CLASS_ID = 1400001
FRAME_1400001_CENTER = 301
TKFRAME_1400001_SPEC = 'MATRIX'
TKFRAME_1400001_RELATIVE = 'MOON_PA_DE421'
TKFRAME_1400001_MATRIX = ( {column_major} )
FRAME_TEST_ANGLES = 1400002
FRAME_1400002_NAME = 'TEST_ANGLES'
FRAME_1400002_CLASS = 4
FRAME_1400002_CLASS_ID = 1400002
FRAME_1400002_CENTER = 301
TKFRAME_1400002_SPEC = 'ANGLES'
TKFRAME_1400002_RELATIVE = 'TEST_MATRIX'
TKFRAME_1400002_ANGLES = ( 10.0, -25.0, 40.0 )
TKFRAME_1400002_AXES = ( 1, 3, 2 )
TKFRAME_1400002_UNITS = 'DEGREES'
\\begintext
"""
    path = tmp_path / "test_frames.tf"
    path.write_text(text)
    spice.furnsh(str(path))
    variables = {}
    for kernel in (*default_ephemeris().kernels.frame_kernels, path):
        variables.update(read_text_kernel(kernel))
    for name in ("TEST_MATRIX", "TEST_ANGLES"):
        frame_id, pa_to_frame = frame_chain_to_pck(name, variables)
        assert frame_id == 31006
        expected = np.array(spice.pxform("MOON_PA_DE421", name, 0.0))
        assert np.max(np.abs(pa_to_frame - expected)) < 1e-14
    spice.unload(str(path))


def test_compiled_and_numpy_chebyshev_paths_agree():
    """Both ways of summing the polynomials, on every segment the engine reads."""
    ephemeris = default_ephemeris()
    rng = np.random.default_rng(3)
    tdb_s = np.sort(rng.uniform(*ephemeris.span_tdb_s, 2000))
    tdb_s[0], tdb_s[-1] = ephemeris.span_tdb_s  # both ends of the coverage
    segments = [*ephemeris._spk_segments.values(), ephemeris._pck_segment]
    for segment in segments:
        compiled = segment.evaluate(tdb_s, compiled=True)
        plain = segment.evaluate(tdb_s, compiled=False)
        for fast, slow in zip(compiled, plain, strict=True):
            scale = np.max(np.abs(slow))
            assert np.max(np.abs(fast - slow)) <= 1e-13 * scale


def test_long_series_take_the_compiled_path_and_still_match_spice(spice):
    from ilrs.sky.chebyshev import COMPILED_THRESHOLD_EPOCHS

    tdb_s = np.linspace(8.2e8, 1.42e9, COMPILED_THRESHOLD_EPOCHS + 1)
    position_m, velocity_m_s = default_ephemeris().state_m("moon", tdb_s)
    for index in (0, 1234, COMPILED_THRESHOLD_EPOCHS):
        state, _ = spice.spkgeo(301, tdb_s[index], "J2000", 0)
        assert position_m[index] == pytest.approx(np.array(state[:3]) * 1e3, abs=0.05)
        assert velocity_m_s[index] == pytest.approx(np.array(state[3:]) * 1e3, abs=1e-8)
