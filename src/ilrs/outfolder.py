"""An output folder that appears whole or not at all: the files are written in a staging
folder beside it and moved in at the end; a failure leaves the folder as it was."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ilrs.errors import InputError

__all__ = ["staged_folder", "staging_folder"]


def staging_folder(final: Path) -> Path:
    """A new empty folder beside ``final`` to be renamed to it, with the permissions a
    folder made by the user would have (mkdtemp's are private)."""
    staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(staging, 0o777 & ~umask)
    return staging


@contextmanager
def staged_folder(out_dir: str | Path, owned: tuple[str, ...]) -> Iterator[Path]:
    """Yield a staging folder to write into; then move its files into ``out_dir``. Files
    named in ``owned`` (what such a run writes) that this run did not write are removed
    from ``out_dir``, so no earlier run's file is left beside the new ones; other files
    there are the user's and stay."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir} exists and is not a folder")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = staging_folder(out_dir)
    try:
        yield staging
        if out_dir.exists():
            for name in owned:
                if not (staging / name).exists():
                    (out_dir / name).unlink(missing_ok=True)
            for item in staging.iterdir():
                item.replace(out_dir / item.name)
            staging.rmdir()
        else:
            staging.rename(out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
