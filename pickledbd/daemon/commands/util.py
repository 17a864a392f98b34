"""Argument parsing shared by the command families, with Redis's exact error texts."""
from __future__ import annotations

import math
import re

from ..errors import INVALID_CURSOR, NOT_FLOAT, NOT_INT, OVERFLOW, SYNTAX, RedisError  # noqa: F401
from ..globmatch import matcher
from ..protocol.reply import Status

INT_MIN, INT_MAX = -(1 << 63), (1 << 63) - 1


def parse_int(s: str, err: RedisError = NOT_INT) -> int:
    """A signed 64-bit integer in Redis's strict form (no spaces, no '+', no leading zeros)."""
    if not s or len(s) > 20 or not s.isascii() or not (s.isdigit() or (s[0] == "-" and s[1:].isdigit())):
        raise err
    if (s[0] == "0" and len(s) > 1) or s.startswith("-0"):
        raise err
    n = int(s)
    if n < INT_MIN or n > INT_MAX:
        raise err
    return n


def parse_nonneg(s: str, err: RedisError) -> int:
    n = parse_int(s)
    if n < 0:
        raise err
    return n


def parse_float(s: str, err: RedisError = NOT_FLOAT) -> float:
    """A double as Redis's strtod accepts it (inf/-inf allowed, nan and spaces rejected)."""
    if not s or s[0].isspace() or s[-1].isspace():
        raise err
    try:
        x = float(s)
    except ValueError:
        raise err from None
    if math.isnan(x) or "_" in s:
        raise err
    return x


def upper(s: str) -> str:
    return s.upper()


def help_reply(lines: list[str]) -> list:
    """A HELP reply: one simple string per line."""
    return [Status(x) for x in lines]


# ---- SCAN, HSCAN, SSCAN, ZSCAN
_CURSOR = re.compile(r"([+-]?)([0-9]*)\Z", re.ASCII)
ULONG_MAX = (1 << 64) - 1


def parse_cursor(s: str) -> int:
    """strtoul(s, 10) as Redis's parseScanCursorOrReply accepts it."""
    if s and s[0] in " \t\n\v\f\r":
        raise INVALID_CURSOR
    m = _CURSOR.match(s)
    if m is None:
        raise INVALID_CURSOR
    sign, digits = m.groups()
    if not digits:
        if s:
            raise INVALID_CURSOR
        return 0
    n = int(digits)
    if n > ULONG_MAX:
        raise INVALID_CURSOR
    if sign == "-":
        n = (-n) & ULONG_MAX
    return n


def scan_options(args: list, start: int, with_type: bool = False):
    """COUNT / MATCH (and SCAN's TYPE) options: (count, match function or None, type or None)."""
    count, match, type_name = 10, None, None
    i, n = start, len(args)
    while i < n:
        opt = args[i].lower()
        if opt == "count" and n - i >= 2:
            try:
                count = parse_int(args[i + 1])
            except RedisError:
                raise NOT_INT from None
            if count < 1:
                raise SYNTAX
            i += 2
        elif opt == "match" and n - i >= 2:
            pat = args[i + 1]
            match = None if pat == "*" else matcher(pat)
            i += 2
        elif with_type and opt == "type" and n - i >= 2:
            type_name = args[i + 1].lower()
            i += 2
        else:
            raise SYNTAX
    return count, match, type_name
