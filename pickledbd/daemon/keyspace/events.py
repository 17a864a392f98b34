"""Keyspace event classes (``notify-keyspace-events``), as Redis 7.0's notify.c numbers them.

Commands signal events with ``Database.notify(cls, event, key)``; the pub/sub layer turns
them into ``__keyspace@<db>__:<key>`` / ``__keyevent@<db>__:<event>`` messages.
"""
from __future__ import annotations

KEYSPACE = 1 << 0     # K
KEYEVENT = 1 << 1     # E
GENERIC = 1 << 2      # g
STRING = 1 << 3       # $
LIST = 1 << 4         # l
SET = 1 << 5          # s
HASH = 1 << 6         # h
ZSET = 1 << 7         # z
EXPIRED = 1 << 8      # x
EVICTED = 1 << 9      # e
STREAM = 1 << 10      # t
KEY_MISS = 1 << 11    # m (not part of A, as in Redis)
MODULE = 1 << 13      # d
NEW = 1 << 14         # n (not part of A)
ALL = GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE   # A

_LETTERS = (("g", GENERIC), ("$", STRING), ("l", LIST), ("s", SET), ("h", HASH), ("z", ZSET),
            ("x", EXPIRED), ("e", EVICTED), ("K", KEYSPACE), ("E", KEYEVENT), ("t", STREAM),
            ("m", KEY_MISS), ("d", MODULE), ("n", NEW))


def parse_flags(s: str) -> int:
    """keyspaceEventsStringToFlags: ValueError for an unknown letter."""
    flags = 0
    for ch in s:
        if ch == "A":
            flags |= ALL
            continue
        for letter, bit in _LETTERS:
            if ch == letter:
                flags |= bit
                break
        else:
            raise ValueError("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
    return flags


def format_flags(flags: int) -> str:
    """keyspaceEventsFlagsToString: what CONFIG GET shows (with A, Redis omits n too)."""
    if flags & ALL == ALL:
        out = "A"
    else:
        out = "".join(letter for letter, bit in (
            ("g", GENERIC), ("$", STRING), ("l", LIST), ("s", SET), ("h", HASH), ("z", ZSET),
            ("x", EXPIRED), ("e", EVICTED), ("t", STREAM), ("d", MODULE), ("n", NEW)) if flags & bit)
    return out + "".join(letter for letter, bit in (("K", KEYSPACE), ("E", KEYEVENT), ("m", KEY_MISS))
                         if flags & bit)
