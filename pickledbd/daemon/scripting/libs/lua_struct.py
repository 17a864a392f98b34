"""Roberto Ierusalimschy's struct library (``struct``) as Redis 7.0 links it
(deps/lua/src/lua_struct.c, with Redis's overflow fixes), on x86-64: native little endian,
``long``/``size_t`` 8 bytes, ``int`` 4, maximum alignment 8.

The format language: ``>`` ``<`` endianness, ``![n]`` alignment, ``x`` padding, ``b/B h/H
l/L T i[n]/I[n]`` integers (n up to 32 bytes), ``f`` ``d`` floats, ``c[n]`` fixed strings
(``c0``: all of it when packing, the previous number's length when unpacking), ``s``
zero-terminated strings, spaces ignored. C's conversions are kept, including their
undefined corners as x86-64 resolves them: out-of-range numbers packed as integers, the
sign extension of integers wider than 8 bytes, a format string ending at a NUL byte.
"""
from __future__ import annotations

import math
import struct

from .cnumbers import U64, double_to_long, double_to_ulong, lua_str2number, number2str
from .luaglue import load_chunk, lua_typename, unexpected

MAX_CSTACK = 8000
MAXINTSIZE = 32
MAXALIGN = 8
INT_MAX = 2147483647
_SIZES = {ord("B"): 1, ord("b"): 1, ord("H"): 2, ord("h"): 2, ord("L"): 8, ord("l"): 8,
          ord("T"): 8, ord("f"): 4, ord("d"): 8, ord("x"): 1}
_INTEGERS = frozenset(b"bBhHlLTiI")

STRUCT = rb"""
local H, py_pack, py_unpack, py_size = ...
local checkstring, optinteger, unpackn, raise = H.checkstring, H.optinteger, H.unpackn, H.raise
local select = select

-- the argument positions holding -0.0 (lupa hands it to Python as 0)
local function negzeros(...)
  local args, found = {...}, nil
  for i = 1, select('#', ...) do
    local v = args[i]
    if v == 0 and 1 / v < 0 then
      found = found or {}
      found[#found + 1] = i + 1
    end
  end
  return found
end

local M = {}

function M.pack(...)
  local nargs = select('#', ...)
  local fmt = checkstring(1, 1, (...), nargs)
  local ok, r, how = py_pack(negzeros(select(2, ...)), fmt, select(2, ...))
  if ok then return r end
  raise(r, how)
end

function M.unpack(...)
  local nargs = select('#', ...)
  local fmt, data, pos = ...
  fmt = checkstring(1, 1, fmt, nargs)
  data = checkstring(1, 2, data, nargs)
  pos = optinteger(1, 3, pos, nargs, 1)
  local ok, n, t = py_unpack(fmt, data, pos, nargs)
  if not ok then raise(n, t) end
  return unpackn(t, n)
end

function M.size(...)
  local nargs = select('#', ...)
  local fmt = checkstring(1, 1, (...), nargs)
  local ok, r, how = py_size(fmt)
  if ok then return r end
  raise(r, how)
end

return M
"""


class _Fail(Exception):
    def __init__(self, msg: str, how=None):
        self.msg = msg
        self.how = how          # None: luaL_error; a number: luaL_argerror on that argument


class _Header:
    __slots__ = ("little", "align")

    def __init__(self):
        self.little = True      # native
        self.align = 1


def _getnum(fmt: bytes, i: int, default: int):
    """getnum: (number, next index), Redis's overflow check included."""
    if i >= len(fmt) or not 0x30 <= fmt[i] <= 0x39:
        return default, i
    a = 0
    while i < len(fmt) and 0x30 <= fmt[i] <= 0x39:
        d = fmt[i] - 0x30
        if a > INT_MAX // 10 or a * 10 > INT_MAX - d:
            raise _Fail("integral size overflow")
        a = a * 10 + d
        i += 1
    return a, i


def _optsize(opt: int, fmt: bytes, i: int):
    size = _SIZES.get(opt)
    if size is not None:
        return size, i
    if opt == 0x63:                 # c
        return _getnum(fmt, i, 1)
    if opt == 0x69 or opt == 0x49:  # i I
        size, i = _getnum(fmt, i, 4)
        if size > MAXINTSIZE:
            raise _Fail("integral size %d is larger than limit of %d" % (size, MAXINTSIZE))
        return size, i
    return 0, i


def _toalign(length: int, h: _Header, opt: int, size: int) -> int:
    if size == 0 or opt == 0x63:
        return 0
    if size > h.align:
        size = h.align
    return (size - (length & (size - 1))) & (size - 1)


def _control(opt: int, fmt: bytes, i: int, h: _Header) -> int:
    """controloptions: returns the next format index."""
    if opt == 0x20:
        return i
    if opt == 0x3E:
        h.little = False
        return i
    if opt == 0x3C:
        h.little = True
        return i
    if opt == 0x21:
        a, i = _getnum(fmt, i, MAXALIGN)
        if a <= 0 or a & (a - 1):
            raise _Fail("alignment %d is not a power of 2" % a)
        h.align = a
        return i
    raise _Fail("invalid format option '%s'" % chr(opt), 1)


def _is_number(v) -> bool:
    """lua_isnumber"""
    c = v.__class__
    return c is int or c is float or (c is bytes and lua_str2number(v) is not None)


def _to_number(v) -> float:
    c = v.__class__
    if c is int or c is float:
        return float(v)
    return lua_str2number(v)


class StructLib:
    def __init__(self, lua):
        self.table_from = lua.table_from

    # ------------------------------------------------------------------ pack
    def pack(self, negzeros, fmt: bytes, *args):
        try:
            return True, self._pack(negzeros, fmt, args)
        except _Fail as e:
            return False, e.msg.encode("latin-1"), e.how
        except Exception as e:         # a bug must not hand Lua a Python exception
            return unexpected("struct.pack", e)

    def _pack(self, negzeros, fmt, args):
        negative_zero = set(negzeros.values()) if negzeros is not None else ()
        nargs = len(args) + 1
        fmt = fmt.split(b"\0", 1)[0]
        h = _Header()
        out = []
        arg = 2
        total = 0
        i = 0
        n = len(fmt)
        while i < n:
            opt = fmt[i]
            i += 1
            size, i = _optsize(opt, fmt, i)
            pad = _toalign(total, h, opt, size)
            total += pad
            if pad:
                out.append(b"\0" * pad)
            if opt in _INTEGERS:
                x = self._checknumber(args, arg, nargs, negative_zero)
                arg += 1
                value = double_to_long(x) & U64 if x < 0 else double_to_ulong(x)
                raw = value.to_bytes(8, "little") + bytes(max(0, size - 8))
                raw = raw[:size]
                out.append(raw if h.little else raw[::-1])
            elif opt == 0x78:           # x
                out.append(b"\0")
            elif opt == 0x66:           # f
                x = self._checknumber(args, arg, nargs, negative_zero)
                arg += 1
                try:
                    out.append(struct.pack("<f" if h.little else ">f", x))
                except OverflowError:   # (float) of a finite double beyond float's range
                    out.append(struct.pack("<f" if h.little else ">f", math.copysign(math.inf, x)))
            elif opt == 0x64:           # d
                x = self._checknumber(args, arg, nargs, negative_zero)
                arg += 1
                out.append(struct.pack("<d" if h.little else ">d", x))
            elif opt == 0x63 or opt == 0x73:    # c s
                s = self._checkstring(args, arg, nargs, negative_zero)
                arg += 1
                if size == 0:
                    size = len(s)
                if len(s) < size:
                    raise _Fail("string too short", arg)
                out.append(s[:size])
                if opt == 0x73:
                    out.append(b"\0")
                    size += 1
            else:
                i = _control(opt, fmt, i, h)
            total += size
        return b"".join(out)

    @staticmethod
    def _checknumber(args, arg, nargs, negative_zero) -> float:
        """luaL_checknumber on argument ``arg`` (1-based; args[0] is argument 2)."""
        if arg > nargs:                 # b_pack pushed a nil after its arguments
            raise _Fail("number expected, got nil", arg)
        v = args[arg - 2]
        c = v.__class__
        if c is int or c is float:
            if v == 0 and arg in negative_zero:
                return -0.0
            return float(v)
        if c is bytes:
            x = lua_str2number(v)
            if x is not None:
                return x
        raise _Fail("number expected, got %s" % lua_typename(v), arg)

    @staticmethod
    def _checkstring(args, arg, nargs, negative_zero) -> bytes:
        """luaL_checklstring: numbers become their '%.14g' text."""
        if arg > nargs:
            raise _Fail("string expected, got nil", arg)
        v = args[arg - 2]
        c = v.__class__
        if c is bytes:
            return v
        if c is int or c is float:
            return b"-0" if v == 0 and arg in negative_zero else number2str(v)
        raise _Fail("string expected, got %s" % lua_typename(v), arg)

    # ------------------------------------------------------------------ unpack
    def unpack(self, fmt: bytes, data: bytes, pos: int, nargs: int):
        try:
            results = self._unpack(fmt, data, pos, nargs)
            return True, len(results), self.table_from(results)
        except _Fail as e:
            return False, e.msg.encode("latin-1"), e.how
        except Exception as e:         # a bug must not hand Lua a Python exception
            return unexpected("struct.unpack", e)

    def _unpack(self, fmt, data, pos, nargs):
        fmt = fmt.split(b"\0", 1)[0]
        ld = len(data)
        pos = int(pos) & U64            # size_t
        if pos == 0:
            raise _Fail("offset must be 1 or greater", 3)
        pos -= 1
        h = _Header()
        results = []
        i = 0
        n = len(fmt)
        while i < n:
            opt = fmt[i]
            i += 1
            size, i = _optsize(opt, fmt, i)
            pos = (pos + _toalign(pos, h, opt, size)) & U64
            if not (size <= ld and pos <= ld - size):
                raise _Fail("data string too short", 2)
            if nargs + len(results) + 2 > MAX_CSTACK:
                raise _Fail("stack overflow (too many results)")
            if opt in _INTEGERS:
                results.append(self._getinteger(data[pos:pos + size], h.little, opt >= 0x61, size))
            elif opt == 0x78:           # x
                pass
            elif opt == 0x66:           # f
                results.append(struct.unpack("<f" if h.little else ">f", data[pos:pos + 4])[0])
            elif opt == 0x64:           # d
                results.append(struct.unpack("<d" if h.little else ">d", data[pos:pos + 8])[0])
            elif opt == 0x63:           # c
                if size == 0:
                    if not results or not _is_number(results[-1]):
                        raise _Fail("format 'c0' needs a previous size")
                    size = double_to_ulong(_to_number(results.pop()))
                    if not (size <= ld and pos <= ld - size):
                        raise _Fail("data string too short", 2)
                results.append(data[pos:pos + size])
            elif opt == 0x73:           # s
                end = data.find(b"\0", pos)
                if end < 0:
                    raise _Fail("unfinished string in data")
                size = end - pos + 1
                results.append(data[pos:end])
            else:
                i = _control(opt, fmt, i, h)
            pos = (pos + size) & U64
        nxt = (pos + 1) & U64           # pushed as a lua_Integer
        results.append(nxt - (1 << 64) if nxt >= 1 << 63 else nxt)
        return results

    @staticmethod
    def _getinteger(raw: bytes, little: bool, signed: bool, size: int) -> float:
        """getinteger: the last 8 bytes read count; x86 reduces the sign shift modulo 64."""
        value = 0
        for byte in (reversed(raw) if little else raw):
            value = ((value << 8) | byte) & U64
        if not signed:
            return float(value)
        mask = (U64 << ((size * 8 - 1) & 63)) & U64
        if value & mask:
            value |= mask
        return float(value - (1 << 64) if value >= 1 << 63 else value)

    # ------------------------------------------------------------------ size
    def size(self, fmt: bytes):
        try:
            return True, self._size(fmt)
        except _Fail as e:
            return False, e.msg.encode("latin-1"), e.how
        except Exception as e:         # a bug must not hand Lua a Python exception
            return unexpected("struct.size", e)

    def _size(self, fmt):
        fmt = fmt.split(b"\0", 1)[0]
        h = _Header()
        pos = 0
        i = 0
        n = len(fmt)
        while i < n:
            opt = fmt[i]
            i += 1
            size, i = _optsize(opt, fmt, i)
            pos += _toalign(pos, h, opt, size)
            if opt == 0x73:
                raise _Fail("option 's' has no fixed size", 1)
            if opt == 0x63 and size == 0:
                raise _Fail("option 'c0' has no fixed size", 1)
            if not (0x30 <= opt <= 0x39 or 0x41 <= opt <= 0x5A or 0x61 <= opt <= 0x7A):
                i = _control(opt, fmt, i, h)
            pos += size
        return pos & U64 if pos < 1 << 63 else pos - (1 << 64)


def install(lua, set_library, helpers) -> None:
    lib = StructLib(lua)
    set_library(b"struct", load_chunk(lua, STRUCT, helpers, lib.pack, lib.unpack, lib.size))
