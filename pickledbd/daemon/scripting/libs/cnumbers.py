"""C number conversions as Redis's Lua libraries perform them on x86-64 (glibc): strtod,
Lua's string->number rule, and the double->integer casts whose out-of-range results the
libraries expose (lua_tointeger, (int), (long), (unsigned long))."""
from __future__ import annotations

import math
import re

INT32_MIN = -(1 << 31)
INT64_MIN = -(1 << 63)
U64 = (1 << 64) - 1
TWO63 = 9.223372036854775808e18
TWO64 = 1.8446744073709551616e19

_SPACE = b" \t\n\v\f\r"
_DECIMAL = re.compile(rb"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_HEX = re.compile(rb"([+-]?)0[xX]((?:[0-9a-fA-F]+(?:\.[0-9a-fA-F]*)?|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?)")
_INF_NAN = re.compile(rb"([+-]?)(?:(infinity|inf)|(nan)(\([0-9A-Za-z_]*\))?)", re.IGNORECASE)


def strtod(buf: bytes, pos: int = 0):
    """glibc strtod in the C locale: ``(value, end)``; ``end == pos`` when nothing converts."""
    i = pos
    n = len(buf)
    while i < n and buf[i] in _SPACE:
        i += 1
    m = _INF_NAN.match(buf, i)
    if m:
        neg = m.group(1) == b"-"
        if m.group(2):
            return (-math.inf if neg else math.inf), m.end()
        return (-math.nan if neg else math.nan), m.end()
    m = _HEX.match(buf, i)
    if m:
        try:
            v = float.fromhex("0x" + m.group(2).decode())
        except OverflowError:
            v = math.inf
        return (-v if m.group(1) == b"-" else v), m.end()
    m = _DECIMAL.match(buf, i)
    if m:
        return float(m.group()), m.end()
    return 0.0, pos


def lua_str2number(s: bytes):
    """Lua 5.1's luaO_str2d (what lua_tonumber does to a string): the number, or None."""
    nul = s.find(b"\0")
    if nul >= 0:
        s = s[:nul]                 # C string
    v, end = strtod(s)
    if end == 0:
        return None
    if s[end:].strip(_SPACE):
        return None
    return v


def tointeger(x) -> int:
    """lua_tointeger: (ptrdiff_t) of the double, truncating; cvttsd2si gives INT64_MIN out of range."""
    if x.__class__ is int:
        return x
    if x != x or not -TWO63 <= x < TWO63:
        return INT64_MIN
    return int(x)


def to_int32(i: int) -> int:
    """(int) of a 64-bit integer: its low 32 bits, signed."""
    i &= 0xFFFFFFFF
    return i - (1 << 32) if i >= 1 << 31 else i


def double_to_int32(x) -> int:
    """(int) of a double: cvttsd2si with a 32-bit result, INT_MIN when out of range."""
    if x != x or not -2147483648.0 <= x < 2147483648.0:
        return INT32_MIN
    return int(x)


def double_to_ulong(x) -> int:
    """(unsigned long) / (size_t) of a double as gcc compiles it on x86-64: below 2^63 (and
    NaN) the signed cvttsd2si, wrapped; from 2^63 a conversion biased by 2^63, which
    overflows to 0 from 2^64 on."""
    if x != x or x < TWO63:
        return double_to_long(x) & U64
    if x < TWO64:
        return int(x)
    return 0


def double_to_long(x) -> int:
    """(long) of a double: INT64_MIN when out of range or NaN."""
    if x != x or not -TWO63 <= x < TWO63:
        return INT64_MIN
    return int(x)


def number2str(x) -> bytes:
    """lua_number2str: ``%.14g`` (callers deal with -0, which lupa hands over as int 0)."""
    return b"%.14g" % x
