"""Exceptions shared by the library, the storage backends and the daemon."""


class PickleDBError(Exception):
    """Base class of every pickledbd error."""


class CorruptDatabaseError(PickleDBError, ValueError):
    """The database file exists but cannot be read; the message names the file and the problem.

    The file is never treated as empty and is left untouched."""


class SaveError(PickleDBError, OSError):
    """A save failed; the message names the file and the cause.

    The previous file is intact and no temporary file is left behind."""

    def __str__(self) -> str:  # OSError's str() would show only the first arg for (errno, msg)
        return self.args[0] if self.args else ""
