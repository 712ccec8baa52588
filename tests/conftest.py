"""Shared fixtures: the independent references (NAIF CSPICE through spiceypy, and skyfield)."""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings

import pytest

from ilrs.sky import default_kernels


def pytest_configure(config):
    """The commands the tests run keep their caches (the campaign's sky, fetched terrain)
    in a folder of the run's own, never in the user's ~/.cache (subprocesses inherit it)."""
    os.environ["XDG_CACHE_HOME"] = config._ilrs_cache = tempfile.mkdtemp(prefix="ilrs-test-cache-")


def pytest_unconfigure(config):
    folder = getattr(config, "_ilrs_cache", None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def spice():
    """spiceypy with the same kernel files loaded: an independent implementation (CSPICE)."""
    spiceypy = pytest.importorskip("spiceypy")
    kernels = default_kernels()
    for path in (kernels.spk, kernels.moon_pck, *kernels.frame_kernels):
        spiceypy.furnsh(str(path))
    yield spiceypy
    spiceypy.kclear()


@pytest.fixture(scope="session")
def skyfield_world():
    """skyfield's timescale, DE421 and the MOON_ME_DE421 frame, built by skyfield's own code."""
    api = pytest.importorskip("skyfield.api")
    from skyfield.planetarylib import PlanetaryConstants

    kernels = default_kernels()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # skyfield-data warns that its IERS table is old
        timescale = api.load.timescale(builtin=True)
    ephemeris = api.load_file(str(kernels.spk))
    constants = PlanetaryConstants()
    with open(kernels.frame_kernels[0], "rb") as stream:
        constants.read_text(stream)
    constants.read_binary(open(kernels.moon_pck, "rb"))  # noqa: SIM115 (skyfield keeps it open)
    constants.variables["BODY301_RADII"] = [1737.4, 1737.4, 1737.4]
    frame = constants.build_frame_named("MOON_ME_DE421")
    return {"ts": timescale, "eph": ephemeris, "pc": constants, "frame": frame, "api": api}


@pytest.fixture(scope="session")
def web_plan(tmp_path_factory):
    """A small plan (128 px terrain, one week) computed once: its file, folder and cache."""
    from ilrs.report.plan import run_plan
    from ilrs.report.scenario import load_plan
    from web_fixtures import write_small_plan

    folder = tmp_path_factory.mktemp("webplan")
    plan_file = write_small_plan(folder)
    run_plan(load_plan(plan_file), folder / "out", folder / "cache")
    return {"file": plan_file, "out": folder / "out", "cache": folder / "cache", "dir": folder}


@pytest.fixture(scope="session")
def real_web_plan(tmp_path_factory):
    """The small plan on the real south pole (a 120 km square of the LOLA cap)."""
    from ilrs.report.plan import run_plan
    from ilrs.report.scenario import load_plan
    from web_fixtures import REAL_PLAN_TEXT, write_small_plan

    folder = tmp_path_factory.mktemp("realwebplan")
    plan_file = write_small_plan(folder, REAL_PLAN_TEXT)
    run_plan(load_plan(plan_file), folder / "out", folder / "cache")
    return {"file": plan_file, "out": folder / "out", "cache": folder / "cache", "dir": folder}
