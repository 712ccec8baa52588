"""Interval tables out: CSV for spreadsheets, iCalendar (RFC 5545) for calendars."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from ilrs import __version__
from ilrs.environment.intervals import Interval
from ilrs.errors import DataFileError
from ilrs.outfolder import atomic_path
from ilrs.sky import Times

__all__ = [
    "INTERVAL_COLUMNS",
    "interval_rows",
    "write_icalendar",
    "write_intervals_csv",
    "write_table_csv",
]

INTERVAL_COLUMNS = ("kind", "start", "end", "duration_h", "open_start", "open_end")


def interval_rows(spells: dict[str, list[Interval]]) -> list[dict]:
    """One row per spell, kinds in the given order, UTC to the millisecond."""
    rows = []
    for kind, intervals in spells.items():
        if not intervals:
            continue
        edges = np.array([[i.start_tdb_s, i.end_tdb_s] for i in intervals])
        starts = Times(edges[:, 0]).utc_iso(3)
        ends = Times(edges[:, 1]).utc_iso(3)
        for interval, start, end in zip(intervals, starts, ends, strict=True):
            rows.append(
                {
                    "kind": kind,
                    "start": start,
                    "end": end,
                    "duration_h": round(interval.duration_h, 4),
                    "open_start": interval.open_start,
                    "open_end": interval.open_end,
                }
            )
    return rows


def _write_text(path: Path, text: str, newline: str) -> Path:
    path = Path(path)
    try:
        with atomic_path(path) as partial:
            partial.write_text(text, encoding="utf-8", newline=newline)
    except OSError as error:
        raise DataFileError(f"cannot write {path}: {error.strerror}") from error
    return path


def write_intervals_csv(path: str | Path, spells: dict[str, list[Interval]]) -> Path:
    """The spells as CSV with the columns of :data:`INTERVAL_COLUMNS`."""
    rows = interval_rows(spells)
    return write_table_csv(path, {name: [row[name] for row in rows] for name in INTERVAL_COLUMNS})


def write_table_csv(path: str | Path, columns: dict) -> Path:
    """Equal-length columns as CSV with a header, written whole or not at all."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(zip(*columns.values(), strict=True))
    return _write_text(Path(path), buffer.getvalue(), "")


def _ical_time(utc_iso: str) -> str:
    """2026-01-01T00:00:00.000Z -> 20260101T000000Z (whole seconds, as RFC 5545 has)."""
    return utc_iso[:19].replace("-", "").replace(":", "") + "Z"


def _fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545 3.1): continuation lines start with a
    space."""
    encoded = line.encode("utf-8")
    if len(encoded) <= 75:
        return line
    pieces, start, limit = [], 0, 75
    while start < len(encoded):
        end = min(start + limit, len(encoded))
        while end < len(encoded) and (encoded[end] & 0xC0) == 0x80:
            end -= 1  # never split a UTF-8 sequence
        pieces.append(encoded[start:end].decode("utf-8"))
        start, limit = end, 74
    return "\r\n ".join(pieces)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def write_icalendar(
    path: str | Path, spells: dict[str, list[Interval]], *, where: str, titles: dict[str, str]
) -> Path:
    """The spells as iCalendar events (one VEVENT each), e.g. contact windows to import
    into a team calendar. ``titles[kind]`` names the events; ``where`` the site."""
    rows = interval_rows(spells)
    stamp = _ical_time(rows[0]["start"]) if rows else "19700101T000000Z"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:-//ILRS Planner//ilrs-planner {__version__}//EN",
        "CALSCALE:GREGORIAN",
    ]
    for row in rows:
        start, end = _ical_time(row["start"]), _ical_time(row["end"])
        notes = [f"{row['duration_h']:g} h"]
        if row["open_start"]:
            notes.append("began before the period analysed")
        if row["open_end"]:
            notes.append("lasts beyond the period analysed")
        lines += [
            "BEGIN:VEVENT",
            f"UID:{row['kind'].replace(':', '-')}-{start}@ilrs-planner",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{start}",
            f"DTEND:{end}",
            f"SUMMARY:{_escape(titles.get(row['kind'], row['kind']))}",
            f"LOCATION:{_escape(where)}",
            f"DESCRIPTION:{_escape('; '.join(notes))}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return _write_text(Path(path), "".join(_fold(line) + "\r\n" for line in lines), "")
