"""lua-cmsgpack 0.4.0 (``cmsgpack``) as Redis 7.0 links it (deps/lua/src/lua_cmsgpack.c).

Packing follows the C choices byte for byte: integers (every number equal to its int64
cast) take the smallest fixint/uint/int form, other numbers a float32 when exact and a
float64 otherwise; strings are str8/16/32 (never bin); a table is an array when its keys
are exactly 1..n (int-sized), else a map in ``lua_next`` order; tables nested 16 deep
become nil. Unpacking reads a stream of values with ``unpack``/``unpack_one``/
``unpack_limit`` offsets, uint64 beyond 2^63 wraps negative as in C, bin/ext types are a
bad format, and the Lua C stack limit (8000 slots) gives Redis's "stack overflow" errors.
"""
from __future__ import annotations

import struct

from .cnumbers import to_int32
from .luaglue import load_chunk, unexpected

MAX_CSTACK = 8000
MAX_NESTING = 16
# Work limits for one pack (Redis has none: a table referencing its subtables over and over
# makes an output exponential in its depth): beyond them, "not enough memory".
OUTPUT_LIMIT = 512 * 1024 * 1024    # bytes of strings
MAX_VALUES = 1 << 22
MAX_TABLES = 1 << 18
FAST_HEIGHT = MAX_CSTACK - 200     # below it, nesting up to FAST_DEPTH cannot reach the limit
FAST_DEPTH = 64
TOO_MANY_VALUES = "stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)"

CMSGPACK = rb"""
local H, py_pack, py_unpack = ...
local argerror, checkstring, optinteger, checkinteger, unpackn, raise =
  H.argerror, H.checkstring, H.optinteger, H.checkinteger, H.unpackn, H.raise
local select = select

local M = {}

function M.pack(...)
  local nargs = select('#', ...)
  if nargs == 0 then argerror(1, 0, 'MessagePack pack needs input.') end
  if nargs > 4000 then argerror(1, 0, 'Too many arguments for MessagePack pack.') end
  local ok, r, how = py_pack(...)
  if ok then return r end
  raise(r, how)
end

function M.unpack(...)
  local nargs = select('#', ...)
  local s = checkstring(1, 1, (...), nargs)
  local ok, n, t = py_unpack(s, 0, 0, nargs)
  if n == -1 then return t end
  if not ok then raise(n, t) end
  return unpackn(t, n)
end

function M.unpack_one(...)
  local nargs = select('#', ...)
  local s, offset = ...
  offset = optinteger(1, 2, offset, nargs, 0)
  s = checkstring(1, 1, s, nargs > 1 and 1 or nargs)
  local ok, n, t = py_unpack(s, 1, offset, 1)
  if not ok then raise(n, t) end
  return unpackn(t, n)
end

function M.unpack_limit(...)
  local nargs = select('#', ...)
  local s, limit, offset = ...
  limit = checkinteger(1, 2, limit, nargs)
  offset = optinteger(1, 3, offset, nargs, 0)
  s = checkstring(1, 1, s, nargs > 1 and 1 or nargs)
  local ok, n, t = py_unpack(s, limit, offset, 1)
  if not ok then raise(n, t) end
  return unpackn(t, n)
end

M._NAME = 'cmsgpack'
M._VERSION = 'lua-cmsgpack 0.4.0'
M._COPYRIGHT = 'Copyright (C) 2012, Salvatore Sanfilippo'
M._DESCRIPTION = 'MessagePack C implementation for Lua'
return M
"""

# a map whose keys Python cannot hold as a dict (non-strings, duplicates): set in order
FILL_MAP = rb"""
return function(keys, values, n)
  local t = {}
  for i = 1, n do t[keys[i]] = values[i] end
  return t
end
"""


class _Slow(Exception):
    """The fast decoder declines."""


class _Fail(Exception):
    def __init__(self, msg: str, how=None):
        self.msg = msg
        self.how = how          # None: luaL_error; -1: raw Lua error (no position)


_FIXSTR = [bytes((0xA0 | n,)) for n in range(32)]
_FIXINT = [bytes((n,)) for n in range(128)]
_FIXARRAY = [bytes((0x90 | n,)) for n in range(16)]
_FIXMAP = [bytes((0x80 | n,)) for n in range(16)]
_pack_f = struct.Struct(">f").pack
_unpack_f = struct.Struct(">f").unpack
_pack_d = struct.Struct(">d").pack
_u16 = struct.Struct(">H").unpack_from
_i16 = struct.Struct(">h").unpack_from
_u32 = struct.Struct(">I").unpack_from
_i32 = struct.Struct(">i").unpack_from
_u64 = struct.Struct(">Q").unpack_from
_i64 = struct.Struct(">q").unpack_from
_f32 = struct.Struct(">f").unpack_from
_f64 = struct.Struct(">d").unpack_from


def _int(n: int) -> bytes:
    """mp_encode_int"""
    if n >= 0:
        if n <= 127:
            return _FIXINT[n]
        if n <= 0xFF:
            return b"\xcc" + bytes((n,))
        if n <= 0xFFFF:
            return b"\xcd" + n.to_bytes(2, "big")
        if n <= 0xFFFFFFFF:
            return b"\xce" + n.to_bytes(4, "big")
        return b"\xcf" + n.to_bytes(8, "big")
    if n >= -32:
        return bytes((n & 0xFF,))
    if n >= -128:
        return b"\xd0" + bytes((n & 0xFF,))
    if n >= -32768:
        return b"\xd1" + (n & 0xFFFF).to_bytes(2, "big")
    if n >= -2147483648:
        return b"\xd2" + (n & 0xFFFFFFFF).to_bytes(4, "big")
    return b"\xd3" + (n & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "big")


def _double(d: float) -> bytes:
    """mp_encode_double: float32 when the value survives the round trip."""
    try:
        f = _pack_f(d)
    except OverflowError:       # (float)d would be infinite: not equal to d
        return b"\xcb" + _pack_d(d)
    if _unpack_f(f)[0] == d:
        return b"\xca" + f
    return b"\xcb" + _pack_d(d)


def _str_header(n: int) -> bytes:
    if n < 32:
        return _FIXSTR[n]
    if n <= 0xFF:
        return b"\xd9" + bytes((n,))
    if n <= 0xFFFF:
        return b"\xda" + n.to_bytes(2, "big")
    return b"\xdb" + (n & 0xFFFFFFFF).to_bytes(4, "big")


def _array_header(n: int) -> bytes:
    if n <= 15:
        return _FIXARRAY[n]
    if n <= 0xFFFF:
        return b"\xdc" + n.to_bytes(2, "big")
    return b"\xdd" + (n & 0xFFFFFFFF).to_bytes(4, "big")


def _map_header(n: int) -> bytes:
    if n <= 15:
        return _FIXMAP[n]
    if n <= 0xFFFF:
        return b"\xde" + n.to_bytes(2, "big")
    return b"\xdf" + (n & 0xFFFFFFFF).to_bytes(4, "big")


class MsgPack:
    def __init__(self, lua, fill_map):
        self.table_from = lua.table_from
        self.table_class = type(lua.table())
        self.fill_map = fill_map

    # ------------------------------------------------------------------ pack
    def pack(self, *args):
        try:
            out = []
            self._size = self._values = self._tables = 0
            nargs = len(args)
            for i, v in enumerate(args):
                self._value(v, 0, nargs + i + 1, out)
            return True, b"".join(out)
        except _Fail as e:
            return False, e.msg.encode(), e.how
        except Exception as e:         # a bug must not hand Lua a Python exception
            return unexpected("cmsgpack.pack", e)

    def _value(self, v, level, height, out):
        """mp_encode_lua_type for the value on top of a Lua stack ``height`` slots high."""
        c = v.__class__
        if c is bytes:
            out.append(_str_header(len(v)))
            out.append(v)
            self._size += len(v)
            if self._size > OUTPUT_LIMIT:
                raise _Fail("not enough memory", -1)
        elif c is int:
            out.append(_int(v))
        elif c is float:            # lupa hands int64-exact numbers over as int
            out.append(_double(v))
        elif c is bool:
            out.append(b"\xc3" if v else b"\xc2")
        elif c is self.table_class and level < MAX_NESTING:
            self._table(v, level, height, out)
        else:
            out.append(b"\xc0")     # nil, functions, userdata (cjson.null), threads, too deep

    def _table(self, t, level, height, out):
        if height + 2 > MAX_CSTACK:
            raise _Fail("stack overflow (in function table_is_an_array)")
        items = list(t.items())
        self._values += len(items)
        self._tables += 1
        if self._values > MAX_VALUES or self._tables > MAX_TABLES:
            raise _Fail("not enough memory", -1)
        count = 0
        max_ = 0
        is_array = True
        for k, _ in items:                  # table_is_an_array
            if k.__class__ is not int or k <= 0 or k > 2147483647:
                is_array = False
                break
            count += 1
            if k > max_:
                max_ = k
        value = self._value
        w = out.append
        level += 1
        if is_array and max_ == count:
            if height + 1 > MAX_CSTACK:
                raise _Fail("stack overflow (in function mp_encode_lua_table_as_array)")
            w(_array_header(count))
            values = dict(items)
            for i in range(1, count + 1):
                v = values[i]
                c = v.__class__     # the common scalars inline, the rest through _value
                if c is bytes and len(v) < 32:
                    w(_FIXSTR[len(v)])
                    w(v)
                elif c is float:
                    w(_double(v))
                elif c is int and 0 <= v < 128:
                    w(_FIXINT[v])
                else:
                    value(v, level, height + 1, out)
        else:
            if height + 3 > MAX_CSTACK:
                raise _Fail("stack overflow (in function mp_encode_lua_table_as_map)")
            w(_map_header(len(items)))
            for k, v in items:
                if k.__class__ is bytes and len(k) < 32:
                    w(_FIXSTR[len(k)])
                    w(k)
                else:
                    value(k, level, height + 3, out)
                c = v.__class__
                if c is bytes and len(v) < 32:
                    w(_FIXSTR[len(v)])
                    w(v)
                elif c is float:
                    w(_double(v))
                elif c is int and 0 <= v < 128:
                    w(_FIXINT[v])
                else:
                    value(v, level, height + 2, out)

    # ------------------------------------------------------------------ unpack
    def unpack(self, data: bytes, limit: int, offset: int, base: int):
        """mp_unpack_full: (True, count, values) with the next offset first unless decoding
        all; (False, message, how) on error."""
        try:
            return self._unpack(data, limit, offset, base)
        except _Fail as e:
            return False, e.msg.encode(), e.how
        except Exception as e:         # a bug must not hand Lua a Python exception
            return unexpected("cmsgpack.unpack", e)

    def _unpack(self, data, limit, offset, base):
        n = len(data)
        decode_all = not limit and not offset
        if offset < 0 or limit < 0:
            raise _Fail("Invalid request to unpack with offset of %d and limit of %d."
                        % (to_int32(offset), to_int32(n)))
        if offset > n:
            raise _Fail("Start offset %d greater than input length %d." % (to_int32(offset), to_int32(n)))
        if decode_all:
            limit = 2147483647
        values = []
        pos = offset
        while pos < n and len(values) < limit:
            height = base + len(values)
            if height < FAST_HEIGHT:
                try:
                    value, pos = self._fast(data, pos, 0)
                except (_Slow, IndexError, struct.error):
                    value, pos = self._decode(data, pos, height)
            else:
                value, pos = self._decode(data, pos, height)
            values.append(value)
        if decode_all:
            if len(values) == 1:
                return True, -1, values[0]      # the usual case: no table to carry one value
            return True, len(values), self.table_from(values)
        if base + len(values) + 1 > MAX_CSTACK:
            raise _Fail("stack overflow (in function mp_unpack_full)")
        return True, len(values) + 1, self.table_from([-1 if pos == n else pos] + values)

    def _fast(self, data, pos, depth):
        """The common case of _decode, recursive and without the C-stack accounting (far
        from its limit): (value, next position). Anything unusual (an error, deep nesting)
        raises _Slow (or IndexError, struct.error), and _decode decodes the value again."""
        n = len(data)
        b = data[pos]
        if b <= 0x7F:
            return b, pos + 1
        if b >= 0xE0:
            return b - 256, pos + 1
        if b & 0xE0 == 0xA0:
            end = pos + 1 + (b & 0x1F)
            if end > n:
                raise _Slow
            return data[pos + 1:end], end
        if b & 0xE0 == 0x80:            # fixmap, fixarray
            length, is_map = b & 0x0F, b < 0x90
            pos += 1
        else:
            try:
                value, pos, length, is_map = self._other(data, pos, b, n)
            except _Fail:
                raise _Slow from None
            if length < 0:
                return value, pos
        if depth >= FAST_DEPTH:
            raise _Slow
        fast = self._fast
        depth += 1
        items = []              # array values, or keys and values alternately
        append = items.append
        plain = is_map          # map keys all strings
        for _ in range(length * 2 if is_map else length):
            b = data[pos]
            if b & 0xE0 == 0xA0:
                end = pos + 1 + (b & 0x1F)
                if end > n:
                    raise _Slow
                append(data[pos + 1:end])
                pos = end
                continue
            if b <= 0x7F:
                value = b
                pos += 1
            elif b == 0xCA:
                value = _f32(data, pos + 1)[0]
                pos += 5
            elif b == 0xCB:
                value = _f64(data, pos + 1)[0]
                pos += 9
            else:
                value, pos = fast(data, pos, depth)
            if plain and not len(items) & 1:   # a key that is not a string
                if value is None or value != value:
                    raise _Slow         # lua_settable's error
                plain = False
            append(value)
        if is_map:
            keys, values = items[0::2], items[1::2]
            if plain:
                d = dict(zip(keys, values))
                if len(d) == length:
                    return self.table_from(d), pos
            elif any(k is None or k != k for k in keys):
                raise _Slow
            return self.fill_map(self.table_from(keys), self.table_from(values), length), pos
        return self.table_from(items), pos

    def _decode(self, data, pos, height):
        """mp_decode_to_lua_type for one top-level value at ``pos``, the Lua stack ``height``
        slots high: (value, next position). Iterative, so nesting depth costs no recursion."""
        n = len(data)
        stack = []      # open containers: [is_map, remaining, keys or items, values, table height, have key]
        h = height      # stack height when the next value starts decoding
        while True:
            if pos >= n:
                raise _Fail("Missing bytes in input.")
            if h + 1 > MAX_CSTACK:
                raise _Fail(TOO_MANY_VALUES)
            b = data[pos]
            length = -1         # >= 0: a container of that many entries
            if b <= 0x7F:
                value = b
                pos += 1
            elif b >= 0xE0:
                value = b - 256
                pos += 1
            elif b & 0xE0 == 0xA0:
                end = pos + 1 + (b & 0x1F)
                if end > n:
                    raise _Fail("Missing bytes in input.")
                value = data[pos + 1:end]
                pos = end
            elif b & 0xF0 == 0x90:
                length, is_map = b & 0x0F, False
                pos += 1
            elif b & 0xF0 == 0x80:
                length, is_map = b & 0x0F, True
                pos += 1
            else:
                value, pos, length, is_map = self._other(data, pos, b, n)
            if length >= 0:
                if not is_map and h + 2 > MAX_CSTACK:
                    raise _Fail("stack overflow (in function mp_decode_to_lua_array)")
                if length == 0:
                    value = self.table_from()
                else:
                    stack.append([is_map, length, [], [], h + 1, False])
                    h += 1 if is_map else 2
                    continue
            # a value is complete: store it, close the containers it completes
            while stack:
                f = stack[-1]
                if not f[0]:
                    f[2].append(value)
                    f[1] -= 1
                    if f[1]:
                        h = f[4] + 1
                        break
                    stack.pop()
                    value = self.table_from(f[2])
                    continue
                if not f[5]:
                    f[2].append(value)
                    f[5] = True
                    h = f[4] + 1
                    break
                key = f[2][-1]
                if key is None:
                    raise _Fail("table index is nil", -1)
                if key != key:
                    raise _Fail("table index is NaN", -1)
                f[3].append(value)
                f[5] = False
                f[1] -= 1
                if f[1]:
                    h = f[4]
                    break
                stack.pop()
                value = self._map(f[2], f[3])
            else:
                return value, pos

    def _other(self, data, pos, b, n):
        """The first-byte types with a payload: (value, pos, container length, is map)."""
        if b == 0xC0:
            return None, pos + 1, -1, False
        if b == 0xC2:
            return False, pos + 1, -1, False
        if b == 0xC3:
            return True, pos + 1, -1, False
        size = _FIXED.get(b)
        if size is not None:
            if pos + size > n:
                raise _Fail("Missing bytes in input.")
            if b == 0xCC:
                return data[pos + 1], pos + 2, -1, False
            if b == 0xD0:
                v = data[pos + 1]
                return (v - 256 if v >= 128 else v), pos + 2, -1, False
            if b == 0xCD:
                return _u16(data, pos + 1)[0], pos + 3, -1, False
            if b == 0xD1:
                return _i16(data, pos + 1)[0], pos + 3, -1, False
            if b == 0xCE:
                return _u32(data, pos + 1)[0], pos + 5, -1, False
            if b == 0xD2:
                return _i32(data, pos + 1)[0], pos + 5, -1, False
            if b == 0xCF:       # pushed as a lua_Integer: beyond 2^63 it wraps negative
                v = _u64(data, pos + 1)[0]
                return (v - (1 << 64) if v >= 1 << 63 else v), pos + 9, -1, False
            if b == 0xD3:
                return _i64(data, pos + 1)[0], pos + 9, -1, False
            if b == 0xCA:
                return _f32(data, pos + 1)[0], pos + 5, -1, False
            if b == 0xCB:
                return _f64(data, pos + 1)[0], pos + 9, -1, False
            if b == 0xD9:
                end = pos + 2 + data[pos + 1]
            elif b == 0xDA:
                end = pos + 3 + _u16(data, pos + 1)[0]
            elif b == 0xDB:
                end = pos + 5 + _u32(data, pos + 1)[0]
            elif b == 0xDC or b == 0xDE:
                return None, pos + 3, _u16(data, pos + 1)[0], b == 0xDE
            else:               # 0xDD, 0xDF
                return None, pos + 5, _u32(data, pos + 1)[0], b == 0xDF
            if end > n:
                raise _Fail("Missing bytes in input.")
            return data[pos + size:end], end, -1, False
        raise _Fail("Bad data format in input.")

    def _map(self, keys, values):
        """The table lua_settable builds from these pairs in order."""
        if all(k.__class__ is bytes for k in keys):
            d = dict(zip(keys, values))
            if len(d) == len(keys):
                return self.table_from(d)
        return self.fill_map(self.table_from(keys), self.table_from(values), len(keys))


# first byte -> bytes needed before the payload can be read (mp_cur_need)
_FIXED = {0xCC: 2, 0xD0: 2, 0xCD: 3, 0xD1: 3, 0xCE: 5, 0xD2: 5, 0xCF: 9, 0xD3: 9, 0xCA: 5,
          0xCB: 9, 0xD9: 2, 0xDA: 3, 0xDB: 5, 0xDC: 3, 0xDD: 5, 0xDE: 3, 0xDF: 5}


def install(lua, set_library, helpers) -> None:
    mp = MsgPack(lua, load_chunk(lua, FILL_MAP))
    set_library(b"cmsgpack", load_chunk(lua, CMSGPACK, helpers, mp.pack, mp.unpack))
