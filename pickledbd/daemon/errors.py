"""Error replies and their Redis texts, below everything else in the daemon.

``RedisError.message`` is the whole text, prefix included: ``ERR syntax error``. Handlers
raise these; the codec writes them as ``-<message>``.
"""
from __future__ import annotations


class RedisError(Exception):
    __slots__ = ("message",)

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


WRONGTYPE = RedisError("WRONGTYPE Operation against a key holding the wrong kind of value")
SYNTAX = RedisError("ERR syntax error")
NOT_INT = RedisError("ERR value is not an integer or out of range")
NOT_FLOAT = RedisError("ERR value is not a valid float")
OVERFLOW = RedisError("ERR increment or decrement would overflow")
INVALID_CURSOR = RedisError("ERR invalid cursor")
NOT_ALLOWED_IN_MULTI = RedisError("ERR Command not allowed inside a transaction")
NOAUTH = RedisError("NOAUTH Authentication required.")
OOM = RedisError("OOM command not allowed when used memory > 'maxmemory'.")
MISCONF = RedisError(
    "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. "
    "Commands that may modify the data set are disabled, because this instance is configured to report "
    "errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check "
    "the Redis logs for details about the RDB error.")


def arity_error(name: str) -> RedisError:
    return RedisError("ERR wrong number of arguments for '%s' command" % name)


def cstr(s: str) -> str:
    """What C's %s prints of an argument: up to its first NUL."""
    return s.split("\0", 1)[0] if "\0" in s else s


def formatted(msg: str) -> RedisError:
    """addReplyErrorFormat: CR/LF trimmed at the end, the others turned into spaces."""
    return RedisError(msg.rstrip("\r\n").replace("\r", " ").replace("\n", " "))


def unknown_command(args: list) -> RedisError:
    preview = ""
    for a in args[1:]:
        if len(preview) >= 128:
            break
        preview += "'%s' " % cstr(a[:128 - len(preview)])
    return formatted("ERR unknown command '%s', with args beginning with: %s"
                     % (cstr(args[0][:128]), preview))
