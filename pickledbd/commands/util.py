"""Argument parsing shared by the command families, with Redis's exact error texts."""
from __future__ import annotations

import math

from ..resp import RedisError

SYNTAX = RedisError("ERR syntax error")
NOT_INT = RedisError("ERR value is not an integer or out of range")
NOT_FLOAT = RedisError("ERR value is not a valid float")
OVERFLOW = RedisError("ERR increment or decrement would overflow")
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
