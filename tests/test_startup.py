"""Start-up: what a command line imports (issue 21: `ilrs --help` and `ilrs sky ...` under
0.5 s). Not timed: the property that keeps start-up fast is that the heavy libraries, and
the modules of other commands, are not imported at all. Each case runs in a fresh
interpreter, as a user's command does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import ilrs
from ilrs.cli import COMMAND_MODULES, build_app

# Libraries that cost a tenth of a second or more to import, or load compiled code.
HEAVY = {
    "astropy",
    "dask",
    "distributed",
    "fastapi",
    "itur",
    "jinja2",
    "llvmlite",
    "lunarsky",
    "matplotlib",
    "numba",
    "PIL",
    "pyarrow",
    "pyproj",
    "rasterio",
    "rich",
    "scipy",
    "skyfield",
    "spiceypy",
    "sqlalchemy",
    "starlette",
    "uvicorn",
}
# What every command line may load of ilrs itself besides its own command's modules.
BASE_ILRS = {"ilrs", "ilrs.cli", "ilrs.data", "ilrs.errors", "ilrs.outfolder", "ilrs.textfiles"}

PROBE = """
import contextlib, io, json, sys
from ilrs.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    status = main(json.loads(sys.argv[1]))
print(json.dumps({"status": status, "modules": sorted(sys.modules)}))
"""


def imported(*args: str) -> set[str]:
    """The modules loaded by ``ilrs ARGS`` run in a fresh interpreter (this checkout's ilrs)."""
    source = str(Path(ilrs.__file__).resolve().parents[1])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([source, os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(list(args))],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    out = json.loads(result.stdout.splitlines()[-1])
    assert out["status"] == 0, result.stderr
    return set(out["modules"])


def roots(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


def test_root_help_and_version_import_no_numpy_and_nothing_heavy():
    for args in (["--help"], ["--version"], []):
        modules = imported(*args)
        assert not roots(modules) & (HEAVY | {"numpy"}), args
        ours = {m for m in modules if m.startswith("ilrs.") and not m.startswith("ilrs.cli.")}
        assert ours <= BASE_ILRS, (args, sorted(ours - BASE_ILRS))


@pytest.mark.parametrize("command", sorted(COMMAND_MODULES))
def test_a_commands_help_loads_its_own_module_only(command):
    modules = imported(command, "--help")
    assert not roots(modules) & (HEAVY | {"numpy"})
    cli_modules = {m.removeprefix("ilrs.cli.") for m in modules if m.startswith("ilrs.cli.")}
    # its own module and the shared pieces it builds on (serve reuses plan's and registry's
    # options), never the other commands'
    allowed = {COMMAND_MODULES[command], "output"}
    if command == "serve":
        allowed |= {"plan", "registry"}
    assert cli_modules <= allowed, sorted(cli_modules - allowed)


def test_sky_computes_without_heavy_libraries_or_other_commands():
    modules = imported(
        "sky", "--lat", "-89.45", "--lon", "222.69", "--time", "2026-01-01T00:00:00Z"
    )
    assert not roots(modules) & HEAVY, sorted(roots(modules) & HEAVY)
    ours = {m for m in modules if m.startswith("ilrs.")}
    assert ours - BASE_ILRS - {"ilrs.cli.output", "ilrs.cli.sky"} <= {
        m for m in ours if m.startswith("ilrs.sky.") or m == "ilrs.sky"
    }
    # the orbit kernels (numba) stay out: the Sun and the Earth need none
    assert "ilrs.sky._orbit_kernel" not in modules


def test_the_command_map_names_every_command_the_full_app_has():
    import typer.main

    group = typer.main.get_group(build_app())
    assert list(group.commands) == list(COMMAND_MODULES) or set(group.commands) == set(
        COMMAND_MODULES
    )
    # and each module registers the commands the map gives it, no others
    for module in set(COMMAND_MODULES.values()):
        names = set(typer.main.get_group(build_app([module])).commands)
        assert names == {c for c, m in COMMAND_MODULES.items() if m == module}, module
