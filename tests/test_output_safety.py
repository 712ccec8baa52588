"""No file a run did not create is ever deleted or overwritten (issue 18, class 1).

Each case drives the real CLI in a subprocess on a folder of the user's files, and checks
the refusal (one ``ilrs: error:`` line, no traceback) and that every file that was there
is byte-identical afterwards. The output folder's mechanism (marker, whole swap) is
checked directly below.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from ilrs.errors import InputError
from ilrs.outfolder import MARKER, OutputFolder, atomic_path, check_output_file

SMALL_PLAN = (
    "name: small\n"
    "terrain: {dem: terrain.tif}\n"
    "site: {lat_deg: -89.9, lon_deg: 0}\n"
    "lighting: {start: 2026-01-01T00:00:00Z, end: 2026-01-02T00:00:00Z, step: 6h}\n"
    "maps: false\n"
)


def ilrs(*args, cwd=None) -> subprocess.CompletedProcess:
    script = Path(sys.executable).with_name("ilrs")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "ilrs"]
    return subprocess.run(
        [*command, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300
    )


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones too) and its bytes."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def refused(result: subprocess.CompletedProcess, *words: str) -> None:
    """One ``ilrs: error:`` line holding ``words``, a failure status, no traceback."""
    lines = result.stderr.strip().splitlines()
    assert result.returncode != 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in lines if line.startswith("ilrs: error:")]
    assert len(errors) == 1, result.stderr
    for word in words:
        assert word in errors[0], errors[0]


@pytest.fixture(scope="module")
def dem(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("dem") / "terrain.tif"
    result = ilrs("terrain", "synth", "--out", path, "--size-px", 48, "--resolution-m", 240)
    assert result.returncode == 0, result.stderr
    return path


@pytest.fixture
def user_folder(tmp_path, dem) -> Path:
    """A folder as a planner keeps it: a plan, its DEM, and files of theirs that bear the
    names of a plan's outputs."""
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "terrain.tif").write_bytes(dem.read_bytes())
    (folder / "plan.yaml").write_text(SMALL_PLAN, encoding="utf-8")
    (folder / "report.html").write_text("<p>my own report</p>", encoding="utf-8")
    (folder / "slope.tif").write_bytes(b"my slope")
    (folder / "notes.txt").write_text("years of notes", encoding="utf-8")
    return folder


def test_a_plan_never_writes_over_its_own_inputs_or_a_users_folder(user_folder, tmp_path):
    before = snapshot(user_folder)
    # --out . beside the plan's own DEM (it deleted the DEM and other files, exit 0)
    result = ilrs("plan", "--scenario", "plan.yaml", "--out", ".", "--cache", tmp_path / "c",
                  cwd=user_folder)  # fmt: skip
    refused(result, "--out . holds the input", "plan.yaml")
    # even when told to
    result = ilrs("plan", "--scenario", "plan.yaml", "--out", ".", "--cache", tmp_path / "c",
                  "--force", cwd=user_folder)  # fmt: skip
    refused(result, "holds the input")
    # a folder of someone's files, as --out ~ was (it overwrote terrain.tif, report.html)
    home = tmp_path / "home"
    home.mkdir()
    for name in ("terrain.tif", "report.html", "slope.tif"):
        (home / name).write_bytes(b"the user's own " + name.encode())
    home_before = snapshot(home)
    plan = user_folder / "plan.yaml"
    for extra in ((), ("--force",)):
        result = ilrs("plan", "--scenario", plan, "--out", home, "--cache", tmp_path / "c", *extra)
        refused(result, "holds 3 entries that ILRS Planner did not write", "report.html")
    # a cache inside the output folder would be swapped away with it
    result = ilrs("plan", "--scenario", plan, "--out", tmp_path / "r", "--cache",
                  tmp_path / "r" / "cache")  # fmt: skip
    refused(result, "holds the input", "cache")
    assert snapshot(user_folder) == before
    assert snapshot(home) == home_before
    assert not (tmp_path / "r").exists()


def test_a_plan_folder_is_replaced_whole_and_others_files_kept_only_when_told(user_folder):
    plan, out, cache = user_folder / "plan.yaml", user_folder.parent / "out", user_folder / "c"
    assert ilrs("plan", "--scenario", plan, "--out", out, "--cache", cache).returncode == 0
    marker = json.loads((out / MARKER).read_text(encoding="utf-8"))
    listed = sorted(p.name for p in out.iterdir() if p.name != MARKER)
    assert (
        marker["files"] == listed and "report.html" in listed and marker["command"] == "ilrs plan"
    )
    first_summary = (out / "plan.json").read_text(encoding="utf-8")
    # again: the folder is ours, replaced without asking
    assert ilrs("plan", "--scenario", plan, "--out", out, "--cache", cache).returncode == 0
    assert (out / "plan.json").read_text(encoding="utf-8") != first_summary  # a new run
    # a file of the user's put in it: refused, then kept with --force
    (out / "my notes.txt").write_text("keep me", encoding="utf-8")
    kept = snapshot(out)
    refused(ilrs("plan", "--scenario", plan, "--out", out, "--cache", cache),
            "did not write there", "my notes.txt", "--force")  # fmt: skip
    assert snapshot(out) == kept
    result = ilrs("plan", "--scenario", plan, "--out", out, "--cache", cache, "--force")
    assert result.returncode == 0, result.stderr
    assert (out / "my notes.txt").read_text(encoding="utf-8") == "keep me"
    assert "my notes.txt" not in json.loads((out / MARKER).read_text())["files"]
    leftovers = [p.name for p in out.parent.iterdir() if p.name.startswith(".out.")]
    assert leftovers == []  # no staging or old folder left beside it


def test_file_outputs_never_replace_an_input_and_replace_others_only_when_told(dem, tmp_path):
    folder = tmp_path / "dems"
    folder.mkdir()
    mine = folder / "mine.tif"
    mine.write_bytes(dem.read_bytes())
    os.link(mine, folder / "hard.tif")  # the same file under another name
    (folder / "link.tif").symlink_to(mine)
    (folder / "slope.tif").write_bytes(b"an older slope of mine")
    (folder / "slope.tif.partial").write_bytes(b"a file of mine with the old temporary name")
    before = snapshot(folder)
    for target in ("mine.tif", "hard.tif", "link.tif"):
        for extra in ((), ("--force",)):
            refused(ilrs("terrain", "slope", mine, "--out", folder / target, *extra),
                    "is the input")  # fmt: skip
    refused(ilrs("terrain", "slope", mine, "--out", folder / "slope.tif"), "exists", "--force")
    refused(ilrs("terrain", "synth", "--out", folder / "slope.tif", "--size-px", 16), "exists")
    refused(ilrs("terrain", "horizon", mine, "--out", mine, "--azimuths", 4), "is the input")
    refused(ilrs("map", "psr", mine, "--out", folder / "slope.tif"), "exists")
    (folder / "p.horizon.tif").write_bytes(b"someone's horizon map")
    refused(ilrs("map", "psr", mine, "--out", folder / "p.tif"), "horizon map", "exists")
    refused(ilrs("station", "schema", "--out", folder / "slope.tif"), "exists")
    assert snapshot(folder) == before | {"p.horizon.tif": b"someone's horizon map"}
    # told to: replaced, and nothing else touched
    result = ilrs("terrain", "slope", mine, "--out", folder / "slope.tif", "--force")
    assert result.returncode == 0, result.stderr
    after = snapshot(folder)
    assert after.pop("slope.tif").startswith(b"II*\x00")  # now a GeoTIFF
    assert after == {k: v for k, v in before.items() if k != "slope.tif"} | {
        "p.horizon.tif": b"someone's horizon map"
    }


def test_every_command_with_an_output_folder_refuses_a_users_folder(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "summary.json").write_text('{"mine": true}', encoding="utf-8")
    before = snapshot(folder)
    commands = [
        ("station", "simulate", "--out", folder),
        ("campaign", "timeline", "--out", folder),
        ("campaign", "whatif", "--drop", "ILRS-5", "--out", folder),
        ("campaign", "windows", "--mission", "ILRS-1", "--out", folder),
        ("explore", "thermal", "--flat", "--lat", -85, "--out", folder),
        ("explore", "hop", "-w", "-89.9,0", "-w", "-89.8,0", "--out", folder),
        ("explore", "traverse", "--start", "-89.9,0", "--goal", "-89.8,0", "--out", folder),
    ]
    for command in commands:
        refused(ilrs(*command), "ILRS Planner did not write", "summary.json")
    refused(ilrs("site", "analyze", "--site", "connecting-ridge", "--horizon", "h.csv",
                 "--start", "2026-01-01", "--end", "2026-01-02", "--ical",
                 folder / "summary.json"), "--ical", "exists")  # fmt: skip
    assert snapshot(folder) == before


def test_a_cache_folder_of_someone_elses_files_is_refused(user_folder, tmp_path):
    before = snapshot(user_folder)
    result = ilrs("plan", "--scenario", user_folder / "plan.yaml", "--out", tmp_path / "r",
                  "--cache", user_folder)  # fmt: skip
    refused(result, "cache folder", "not ILRS Planner's cache")
    assert snapshot(user_folder) == before


# --- the mechanism ------------------------------------------------------------------------


def test_a_reader_sees_the_old_folder_or_the_new_one_never_a_mix(tmp_path):
    """Two files written together always carry the same generation, for a reader that
    opens the folder and then its files, while the folder is replaced again and again (a
    whole swap; file by file, such a reader saw mixes)."""
    final = tmp_path / "report"
    generations = 60

    def write(generation: int) -> None:
        with OutputFolder(final, command="test").staged() as staging:
            for name in ("a.txt", "b.txt"):
                (staging / name).write_text(str(generation), encoding="utf-8")

    write(0)
    mixes, reads, done = [], [0], threading.Event()

    def read_in(folder_fd: int, name: str) -> str:
        handle = os.open(name, os.O_RDONLY, dir_fd=folder_fd)
        with open(handle, encoding="utf-8") as stream:
            return stream.read()

    def read() -> None:
        """As a reader of a folder does: open the folder, then its files in it."""
        while not done.is_set():
            try:
                folder_fd = os.open(final, os.O_RDONLY | os.O_DIRECTORY)
            except FileNotFoundError:
                continue  # (only where the system cannot exchange two folders at once)
            try:
                a, b = read_in(folder_fd, "a.txt"), read_in(folder_fd, "b.txt")
            except FileNotFoundError:
                continue  # an old folder emptied after the swap: gone whole, not mixed
            finally:
                os.close(folder_fd)
            reads[0] += 1
            if a != b:
                mixes.append((a, b))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for generation in range(1, generations):
            write(generation)
    finally:
        done.set()
        reader.join()
    assert reads[0] > 0 and mixes == []
    assert (final / "a.txt").read_text() == str(generations - 1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]  # nothing left beside


def test_a_failed_write_leaves_the_folder_as_it_was(tmp_path):
    final = tmp_path / "out"
    with OutputFolder(final, command="test").staged() as staging:
        (staging / "a.txt").write_text("first", encoding="utf-8")
    before = snapshot(final)
    with pytest.raises(RuntimeError), OutputFolder(final, command="test").staged() as staging:
        (staging / "a.txt").write_text("second", encoding="utf-8")
        raise RuntimeError("the run failed")
    assert snapshot(final) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_folder_changed_during_the_run_is_checked_again(tmp_path):
    final = tmp_path / "out"
    with OutputFolder(final, command="test").staged() as staging:
        (staging / "a.txt").write_text("first", encoding="utf-8")
    output = OutputFolder(final, command="test")  # checked: ours
    with pytest.raises(InputError, match="late.txt"), output.staged() as staging:
        (staging / "a.txt").write_text("second", encoding="utf-8")
        (final / "late.txt").write_text("put there meanwhile", encoding="utf-8")
    assert (final / "a.txt").read_text() == "first"
    assert (final / "late.txt").read_text() == "put there meanwhile"


def test_a_damaged_or_foreign_marker_is_not_ours(tmp_path):
    final = tmp_path / "out"
    final.mkdir()
    (final / "report.html").write_text("mine", encoding="utf-8")
    for text in ("not json", '{"files": ["report.html"]}', '{"written_by": 3}'):
        (final / MARKER).write_text(text, encoding="utf-8")
        with pytest.raises(InputError, match="did not write"):
            OutputFolder(final, command="test", force=True)
    (final / MARKER).unlink()
    (final / MARKER).symlink_to(tmp_path / "elsewhere.json")
    with pytest.raises(InputError, match="did not write"):
        OutputFolder(final, command="test", force=True)


def test_an_earlier_plan_folder_without_a_marker_is_recognised(tmp_path):
    from ilrs.report.plan import _written_by_an_earlier_plan

    folder = tmp_path / "plan"
    folder.mkdir()
    summary = {"plan": "x", "ilrs_version": "0.1.0", "steps_computed": []}
    (folder / "plan.json").write_text(json.dumps(summary), encoding="utf-8")
    (folder / "report.html").write_text("<p>", encoding="utf-8")
    assert _written_by_an_earlier_plan(folder, sorted(os.listdir(folder)))
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    assert not _written_by_an_earlier_plan(folder, sorted(os.listdir(folder)))
    (folder / "notes.txt").unlink()
    (folder / "plan.json").write_text("{}", encoding="utf-8")
    assert not _written_by_an_earlier_plan(folder, sorted(os.listdir(folder)))


def test_atomic_path_uses_a_fresh_name_and_cleans_up(tmp_path):
    final = tmp_path / "a.csv"
    (tmp_path / "a.csv.partial").write_text("mine", encoding="utf-8")
    with pytest.raises(ValueError), atomic_path(final) as partial:
        partial.write_text("half", encoding="utf-8")
        raise ValueError
    assert not final.exists()
    with atomic_path(final) as partial:
        partial.write_text("whole", encoding="utf-8")
    assert final.read_text() == "whole" and oct(final.stat().st_mode & 0o777) != "0o600"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "a.csv.partial"]
    assert (tmp_path / "a.csv.partial").read_text() == "mine"


def test_check_output_file_refuses_a_folder(tmp_path):
    with pytest.raises(InputError, match="is a folder"):
        check_output_file(tmp_path, force=True)


# --- found by an independent review -------------------------------------------------------


def test_a_folder_under_a_listed_name_is_someone_elses(tmp_path):
    """A marked folder whose listed file became a folder of the user's: refused, and kept
    with --force (it was deleted before)."""
    final = tmp_path / "out"
    with OutputFolder(final, command="test").staged() as staging:
        (staging / "summary.json").write_text("{}", encoding="utf-8")
    (final / "summary.json").unlink()
    (final / "summary.json").mkdir()
    (final / "summary.json" / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(InputError, match="did not write there .summary.json"):
        OutputFolder(final, command="test")
    output = OutputFolder(final, command="test", force=True)
    with pytest.raises(InputError, match="a new result has that name"), output.staged() as new:
        (new / "summary.json").write_text("{}", encoding="utf-8")
    assert (final / "summary.json" / "notes.txt").read_text() == "mine"
    with OutputFolder(final, command="test", force=True).staged() as staging:
        (staging / "other.json").write_text("{}", encoding="utf-8")
    assert (final / "summary.json" / "notes.txt").read_text() == "mine"
    assert (final / "other.json").exists()


def test_kept_files_stay_in_the_folder_whatever_fails_after_the_swap(tmp_path, monkeypatch):
    """Others' files kept with --force are linked into the new folder before the swap: a
    failure (or an interruption) after it never leaves them only in a hidden folder, and
    the old folder is never deleted whole."""
    import ilrs.outfolder as outfolder

    final = tmp_path / "out"
    with OutputFolder(final, command="test").staged() as staging:
        (staging / "a.csv").write_text("first", encoding="utf-8")
    (final / "mine").mkdir()
    (final / "mine" / "notes.txt").write_text("years of notes", encoding="utf-8")
    (final / "c.csv").write_text("a file of mine", encoding="utf-8")

    def interrupted(*_args):
        raise KeyboardInterrupt

    monkeypatch.setattr(outfolder, "_discard_old", interrupted)
    output = OutputFolder(final, command="test", force=True)
    with pytest.raises(KeyboardInterrupt), output.staged() as staging:
        (staging / "a.csv").write_text("second", encoding="utf-8")
    assert (final / "a.csv").read_text() == "second"  # the swap happened
    assert (final / "c.csv").read_text() == "a file of mine"
    assert (final / "mine" / "notes.txt").read_text() == "years of notes"
    beside = sorted(p.name for p in tmp_path.iterdir())
    assert beside[0] == "out" and all(name.startswith("out.kept-") for name in beside[1:])
    monkeypatch.undo()
    # Twice in the same second: each leftover gets its own name.
    for run in range(2):
        with OutputFolder(final, command="test", force=True).staged() as staging:
            (staging / "a.csv").write_text(f"run {run}", encoding="utf-8")
    assert (final / "c.csv").read_text() == "a file of mine"
    assert (final / "mine" / "notes.txt").read_text() == "years of notes"


def test_neither_half_of_a_pds3_dem_is_ever_an_output(tmp_path):
    from ilrs.terrain.pds3 import write_lola_product

    label = write_lola_product(tmp_path, "LDEM_T", np.zeros((40, 40)), 240.0)
    image = label.with_suffix(".IMG")
    before = snapshot(tmp_path)
    period = ("--start", "2026-01-01", "--end", "2026-01-02", "--azimuths", 8)
    for given, out in ((image, label), (label, image)):
        refused(ilrs("terrain", "slope", given, "--out", out, "--force"), "is the input")
        refused(ilrs("terrain", "horizon", given, "--out", out, "--force"), "is the input")
        refused(ilrs("map", "illumination", given, "--out", out, "--force", *period),
                "is the input")  # fmt: skip
    assert snapshot(tmp_path) == before


def test_an_output_folder_inside_the_cache_is_refused(user_folder, tmp_path):
    result = ilrs("plan", "--scenario", user_folder / "plan.yaml", "--out",
                  tmp_path / "c" / "report", "--cache", tmp_path / "c")  # fmt: skip
    refused(result, "inside the cache")
