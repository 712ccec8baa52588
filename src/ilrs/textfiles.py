"""Reading a user's text file, with one clear error for a missing or unreadable file or
one that is not UTF-8."""

from __future__ import annotations

from pathlib import Path

from ilrs.errors import InputError

__all__ = ["read_text"]


def read_text(
    path: str | Path, kind: str, *, encoding: str = "utf-8-sig", max_bytes: int | None = None
) -> str:
    """The text of a ``kind`` file ("horizon", "times" ...); by default a leading byte-order
    mark is dropped, as spreadsheets write one. With ``max_bytes``, a longer file is
    refused, and no more than that is ever read (a file that grows, a pipe)."""
    try:
        if Path(path).exists() and not Path(path).is_file():  # a folder, a pipe, a device
            raise InputError(f"{kind} file {path} is not a regular file")
        if max_bytes is None:
            return Path(path).read_text(encoding=encoding)
        with open(path, "rb") as stream:
            raw = stream.read(max_bytes + 1)
        if len(raw) > max_bytes:
            raise InputError(
                f"{kind} file {path} is larger than {max_bytes:,} bytes, the limit for such a file"
            )
        return raw.decode(encoding)
    except OSError as error:
        raise InputError(f"cannot read {kind} file {path}: {error.strerror}") from error
    except UnicodeDecodeError as error:
        raise InputError(f"{kind} file {path} is not UTF-8 text") from error
