"""The project's exceptions: one root, each subclass also a built-in exception.

Callers may catch :class:`IlrsError` for anything the project raises on purpose, or the
built-in base (``ValueError``, ``LookupError``, ``OSError``) they already handle.
Messages name the bad value, where it came from, and what would be accepted.
"""


class IlrsError(Exception):
    """Root of every error ILRS Planner raises on purpose."""


class InputError(IlrsError, ValueError):
    """A value given by the user is malformed or out of range."""


class TimeRangeError(InputError):
    """A time lies outside the span that the loaded kernels cover."""


class UnknownNameError(IlrsError, LookupError):
    """A name (body, station, site) is not known."""


class DataFileError(IlrsError, OSError):
    """A data or kernel file is missing, unreadable or malformed."""


class VersionConflictError(IlrsError):
    """A record changed since the version the caller read: reread it and reapply."""


class BusyError(IlrsError):
    """Busy: as much work of a kind queued as is taken, or a database held by another
    writer past the wait. Try again later."""
