"""Where a run writes, without ever destroying what it did not write.

- An **output folder** (:class:`OutputFolder`) is new, empty, or one that ILRS Planner
  wrote before: such a folder holds :data:`MARKER`, which lists the files written there.
  Anything else is refused before any work is done. The new contents are written in a
  staging folder beside it and swapped in whole at the end (one atomic exchange where the
  system has one, ``renameat2``), so a reader sees the old folder or the new one, never a
  mix, and a failed run leaves the old one as it was. Files in a marked folder that the
  marker does not list are someone else's: a run refuses them unless ``force``, and then
  keeps them (moved into the new folder), replacing only what the marker lists.
- An **output file** (:func:`check_output_file`) may not be an input (the same file under
  any name), and is replaced only when the user said so (``force``); it is written under a
  unique temporary name beside it and renamed (:func:`atomic_path`), so nothing half
  written is ever seen under the final name and no other file is touched.
- No output may equal or hold one of the run's inputs, even with ``force``.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from ilrs.errors import InputError

__all__ = [
    "MARKER",
    "OutputFolder",
    "atomic_path",
    "check_output_file",
    "staging_folder",
]

MARKER = ".ilrs-output.json"
_SIGNATURE = "ILRS Planner output folder"
_SHOWN = 5  # foreign entries named in a refusal


def staging_folder(final: Path) -> Path:
    """A new empty folder beside ``final`` to be renamed to it, with the permissions a
    folder made by the user would have (mkdtemp's are private)."""
    staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".staging", dir=final.parent))
    os.chmod(staging, 0o777 & ~_umask())
    return staging


@functools.cache
def _umask() -> int:
    """The process's umask, read once: reading it means setting it, which would for an
    instant give other threads' new files (the web application's) no protection at all."""
    umask = os.umask(0)
    os.umask(umask)
    return umask


@contextmanager
def atomic_path(final: str | Path) -> Iterator[Path]:
    """A unique temporary path beside ``final`` to write; renamed to ``final`` when the
    block ends without error, removed otherwise. (A fixed name such as ``final.partial``
    could be a user's file.)"""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".partial", dir=final.parent)
    os.close(handle)
    partial = Path(name)
    try:
        yield partial
        os.chmod(partial, 0o666 & ~_umask())  # mkstemp's files are private
        os.replace(partial, final)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _real(path: str | Path) -> Path:
    return Path(os.path.realpath(path))


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return _real(a) == _real(b)


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check_output_file(
    path: str | Path,
    *,
    inputs: Iterable[str | Path | None] = (),
    force: bool = False,
    option: str = "--out",
) -> Path:
    """``path`` if a command may write it: not a folder, not one of ``inputs`` (under any
    name: links included), and, if it exists, replaced only with ``force``. Raises
    :class:`InputError` naming the option and what to do; nothing is touched."""
    path = Path(path)
    for source in inputs:
        if source is not None and path.exists() and _same_file(path, Path(source)):
            raise InputError(
                f"{option} {path} is the input {source} itself; write the result to another file"
            )
    if path.is_dir():
        raise InputError(f"{option} {path} is a folder; give a file name")
    if path.exists() or path.is_symlink():
        if not force:
            raise InputError(
                f"{option} {path} exists; give --force to replace it, or another file name"
            )
        if path.is_symlink():
            raise InputError(
                f"{option} {path} is a symbolic link; give the file it points to, or another name"
            )
    return path


class OutputFolder:
    """A folder a command writes whole (``command`` names it in the marker and messages).

    Checked at once (before any work) and again when written: see the module's rules.
    ``inputs``: files and folders the run reads, which the folder may not hold.
    ``legacy``: tells whether an unmarked folder is one an earlier version wrote (its
    files all this command's, with its own summary), which is then taken as marked.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        command: str,
        inputs: Iterable[str | Path | None] = (),
        force: bool = False,
        option: str = "--out",
        legacy: Callable[[Path, list[str]], bool] | None = None,
    ):
        self.given = Path(path)
        self.path = _real(path)  # a link to a folder: the folder it names
        self.command = command
        self.inputs = [Path(each) for each in inputs if each is not None]
        self.force = force
        self.option = option
        self.legacy = legacy
        self.check()

    # --- the rules ------------------------------------------------------------------

    def check(self) -> list[str]:
        """The names in the folder now that the run may replace (those the marker lists);
        raises :class:`InputError` when the folder may not be written."""
        where = f"{self.option} {self.given}"
        for source in self.inputs:
            if _inside(_real(source), self.path):
                raise InputError(
                    f"{where} holds the input {source}: a run replaces the whole folder; "
                    "write the results to another folder"
                )
        for parent in [self.path, *self.path.parents]:
            if parent.exists() and not parent.is_dir():
                raise InputError(f"{where}: {parent} exists and is not a folder")
            if parent.exists():
                break
        if not self.path.exists():
            return []
        try:
            entries = sorted(os.listdir(self.path))
        except OSError as error:
            raise InputError(f"{where}: {error.strerror}") from None
        if not entries:
            return []
        owned = self._owned(entries)
        if owned is None:
            shown = ", ".join(entries[:_SHOWN]) + (", …" if len(entries) > _SHOWN else "")
            raise InputError(
                f"{where} holds {len(entries)} entr{'y' if len(entries) == 1 else 'ies'} that "
                f"ILRS Planner did not write ({shown}); give a new or empty folder (a folder "
                f"it wrote before, marked by {MARKER}, is replaced)"
            )
        # A listed name that is now a folder is not what a run wrote: someone else's.
        replaceable = [n for n in entries if n in owned and not _is_folder(self.path / n)]
        foreign = [name for name in entries if name not in replaceable and name != MARKER]
        if foreign and not self.force:
            shown = ", ".join(foreign[:_SHOWN]) + (", …" if len(foreign) > _SHOWN else "")
            raise InputError(
                f"{where} also holds files ILRS Planner did not write there ({shown}); move "
                "them away, or give --force to keep them and replace only its own files"
            )
        return replaceable

    def _owned(self, entries: list[str]) -> set[str] | None:
        """The names the marker lists (None: not a folder of ours)."""
        marker = self.path / MARKER
        if marker.is_file() and not marker.is_symlink():
            try:
                record = json.loads(marker.read_text(encoding="utf-8"))
                if record.get("written_by") == _SIGNATURE and isinstance(record["files"], list):
                    return {str(name) for name in record["files"]}
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                pass
            return None
        if self.legacy is not None and self.legacy(self.path, entries):
            return set(entries)
        return None

    # --- writing ----------------------------------------------------------------------

    @contextmanager
    def staged(self) -> Iterator[Path]:
        """A staging folder to write the results into; swapped in for the folder when the
        block ends without error (the marker added), removed otherwise. Others' files kept
        with ``force`` are linked into it before the swap, so that they are in the visible
        folder at every moment, whatever happens."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            staging = staging_folder(self.path)
        except OSError as error:
            raise InputError(f"{self.option} {self.given}: {error.strerror}") from None
        swapped = None
        try:
            yield staging
            self._mark(staging)
            owned = self.check()  # again: the folder may have changed during the run
            if not self.path.exists():
                try:
                    staging.rename(self.path)
                    return
                except OSError as error:
                    if error.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                        raise
                    owned = self.check()  # made meanwhile: replace it as any other
            kept = self._link_others(staging, set(owned))
            swapped = _swap(staging, self.path)
            _discard_old(swapped, set(owned), kept, self.path)
        except BaseException:
            if swapped is None:
                shutil.rmtree(staging, ignore_errors=True)
            else:  # the new folder is in place; the old one is never deleted whole
                _keep_in_sight(swapped, self.path)
            raise

    def _link_others(self, staging: Path, owned: set[str]) -> set[str]:
        """Others' entries of the folder (kept with ``force``) as hard links in the
        staging folder (folders as copies of links); their names."""
        kept = set()
        for name in sorted(os.listdir(self.path)):
            if name in owned or name == MARKER:
                continue
            if (staging / name).exists() or (staging / name).is_symlink():
                raise InputError(
                    f"{self.option} {self.given} holds {name}, which ILRS Planner did not "
                    "write, and a new result has that name; move it away and run again"
                )
            _link_into(self.path / name, staging / name)
            kept.add(name)
        return kept

    def _mark(self, staging: Path) -> None:
        record = {
            "written_by": _SIGNATURE,
            "command": self.command,
            "written_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "files": sorted(name for name in os.listdir(staging) if name != MARKER),
            "note": "ILRS Planner replaces this folder's listed files when it writes here "
            "again; other files are refused (or kept, with --force). Delete this file to "
            "keep the folder as it is.",
        }
        (staging / MARKER).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


def _swap(staging: Path, final: Path) -> Path:
    """Put ``staging`` in ``final``'s place; returns where the old folder now is."""
    if _exchange(staging, final):
        return staging
    old = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".old", dir=final.parent))
    os.rmdir(old)
    os.rename(final, old)
    try:
        os.rename(staging, final)
    except OSError:
        os.rename(old, final)  # put it back as it was
        raise
    return old


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2(RENAME_EXCHANGE)``); False where the
    system or the file system has no such call."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    renameat2.argtypes += [ctypes.c_uint]
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _is_folder(path: Path) -> bool:
    return stat.S_ISDIR(os.lstat(path).st_mode)


def _link_into(source: Path, target: Path) -> None:
    """``source`` (a file, a link or a folder) at ``target`` too, sharing its files."""
    if _is_folder(source):
        shutil.copytree(source, target, symlinks=True, copy_function=os.link)
    elif source.is_symlink():
        os.symlink(os.readlink(source), target)
    else:
        os.link(source, target)


def _discard_old(old: Path, owned: set[str], kept: set[str], final: Path) -> None:
    """Empty the old folder, now beside the new one: what the run replaced is removed (a
    file it wrote, never a folder), others' entries already linked into the new folder
    lose their old name only where the new one is the same file, anything else (put there
    during the run) is moved into the new folder or, where a name is taken, kept beside it
    in plain sight."""
    if not _is_folder(old):
        return  # not a folder any more (a link put in its place): left alone
    for name in sorted(os.listdir(old)):
        entry = old / name
        if name == MARKER or (name in owned and not _is_folder(entry)):
            entry.unlink()
        elif name in kept:
            _unlink_twins(entry, final / name)
        elif not (final / name).exists() and not (final / name).is_symlink():
            os.rename(entry, final / name)
    if os.listdir(old):
        _keep_in_sight(old, final)
    else:
        old.rmdir()


def _unlink_twins(old: Path, new: Path) -> None:
    """Remove under ``old`` each file that ``new`` holds as the very same file (a hard
    link), and the folders that leaves empty; anything else stays."""
    if not _is_folder(old):
        same_link = old.is_symlink() and new.is_symlink() and os.readlink(old) == os.readlink(new)
        same_file = not old.is_symlink() and new.exists() and os.path.samefile(old, new)
        if same_link or same_file:
            old.unlink()
        return
    for name in os.listdir(old):
        _unlink_twins(old / name, new / name)
    with contextlib.suppress(OSError):
        old.rmdir()


def _keep_in_sight(old: Path, final: Path) -> None:
    """An old folder that still holds something not ours, renamed beside the output under
    a new visible name, never deleted."""
    if not old.exists():
        return
    target = Path(tempfile.mkdtemp(prefix=f"{final.name}.kept-", dir=final.parent))
    os.rename(old, target)  # onto the empty folder just made: a name no one else has
