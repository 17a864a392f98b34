"""Lua CJSON 2.1.0 (``cjson``) as Redis 7.0 links it (deps/lua/src/lua_cjson.c).

Lua side: argument checks and the configuration functions, with the C module's messages.
Python side (one ``JsonCodec`` per ``cjson.new()``): encoding walks the Lua table the way
the C code does (``lua_next`` order, which our Lua 5.1 shares with Redis's, so even key
order matches); decoding takes orjson's fast path for strict JSON and falls back to a port
of the C parser for everything else (NaN/Infinity/hex numbers, invalid UTF-8, control
characters, errors and their messages, depth limits), building tables in document order.

Quirks kept on purpose: ``%.14g`` numbers, ``\\/`` escaped, empty tables encode as ``{}``,
the sparse-array rule (with C's ``(int)`` cast of huge keys), nesting limits that include
the 8000-slot Lua C stack, ``cjson.null`` (a userdata; ``tostring`` gives ``userdata: (nil)``
as Redis's light userdata does), a NUL byte ends the JSON text.
"""
from __future__ import annotations

import json
import math
import re

import orjson

from .cnumbers import INT32_MIN, strtod, to_int32
from .luaglue import load_chunk, lua_typename, unexpected

MAX_CSTACK = 8000                   # LUAI_MAXCSTACK: lua_checkstack's limit in Redis's Lua
# Work limits for one encode. Redis has none: a table referencing its subtables over and
# over (output exponential in the depth), or an allowed sparse array of a billion nulls,
# exhausts its memory or loops in C for ever. Here they fail with "not enough memory".
OUTPUT_LIMIT = 512 * 1024 * 1024    # bytes (proto-max-bulk-len)
MAX_VALUES = 1 << 22                # values written (array slots included)
MAX_TABLES = 1 << 18                # tables opened
FAST_DEPTH = 200                    # deeper documents take the iterative parser

# ---------------------------------------------------------------------------- Lua side
CJSON = rb"""
local H, null, py_codec = ...
local argerror, checkinteger, int32, checkstring, raise =
  H.argerror, H.checkinteger, H.int32, H.checkstring, H.raise
local type, select, format = type, select, string.format

local BOOL_OPTIONS = {'off', 'on'}
local INVALID_OPTIONS = {'off', 'on', 'null'}

local new
new = function()
  local encode_py, decode_py, configure = py_codec()
  local cfg = {
    encode_sparse_convert = 0, encode_sparse_ratio = 2, encode_sparse_safe = 10,
    encode_max_depth = 1000, decode_max_depth = 1000, encode_number_precision = 14,
    encode_keep_buffer = 1, encode_invalid_numbers = 0, decode_invalid_numbers = 1,
  }
  local M = {}

  function M.encode(...)
    if select('#', ...) ~= 1 then argerror(1, 1, 'expected 1 argument') end
    local v = ...
    if v == 0 and 1 / v < 0 then return '-0' end   -- lupa hands -0.0 to Python as 0
    local ok, r, how = encode_py(v)
    if ok then return r end
    raise(r, how)
  end

  function M.decode(...)
    local nargs = select('#', ...)
    if nargs ~= 1 then argerror(1, 1, 'expected 1 argument') end
    local s = checkstring(1, 1, (...), nargs)
    local ok, r, how = decode_py(s)
    if ok then return r end
    raise(r, how)
  end

  -- json_arg_init
  local function arg_init(nargs, max)
    if nargs > max then argerror(2, max + 1, 'found too many arguments') end
  end

  -- json_integer_option (its range error always names argument #1, as in C)
  local function integer_option(v, narg, nargs, name, min, max)
    if v ~= nil then
      local i = int32(checkinteger(2, narg, v, nargs))
      if i < min or i > max then
        argerror(2, 1, format('expected integer between %d and %d', min, max))
      end
      cfg[name] = i
      configure(name, i)
    end
    return cfg[name]
  end

  -- json_enum_option: booleans, or one of the option names (luaL_checkoption)
  local function enum_option(v, narg, nargs, name, options)
    if v ~= nil then
      local setting
      if type(v) == 'boolean' then
        setting = v and 1 or 0
      else
        local s = checkstring(2, narg, v, nargs)
        for i = 1, #options do
          if options[i] == s then setting = i - 1 end
        end
        if setting == nil then argerror(2, narg, format("invalid option '%s'", s)) end
      end
      cfg[name] = setting
      configure(name, setting)
    end
    local setting = cfg[name]
    if setting == 0 or setting == 1 then return setting == 1 end
    return options[setting + 1]
  end

  function M.encode_sparse_array(...)
    local nargs = select('#', ...)
    arg_init(nargs, 3)
    local convert, ratio, safe = ...
    local r1 = enum_option(convert, 1, nargs, 'encode_sparse_convert', BOOL_OPTIONS)
    local r2 = integer_option(ratio, 2, nargs, 'encode_sparse_ratio', 0, 2147483647)
    local r3 = integer_option(safe, 3, nargs, 'encode_sparse_safe', 0, 2147483647)
    return r1, r2, r3
  end

  local function integer_setting(name, min, max)
    return function(...)
      local nargs = select('#', ...)
      arg_init(nargs, 1)
      local r = integer_option((...), 1, nargs, name, min, max)
      return r
    end
  end
  M.encode_max_depth = integer_setting('encode_max_depth', 1, 2147483647)
  M.decode_max_depth = integer_setting('decode_max_depth', 1, 2147483647)
  M.encode_number_precision = integer_setting('encode_number_precision', 1, 14)

  local function enum_setting(name, options)
    return function(...)
      local nargs = select('#', ...)
      arg_init(nargs, 1)
      local r = enum_option((...), 1, nargs, name, options)
      return r
    end
  end
  M.encode_keep_buffer = enum_setting('encode_keep_buffer', BOOL_OPTIONS)
  M.encode_invalid_numbers = enum_setting('encode_invalid_numbers', INVALID_OPTIONS)
  M.decode_invalid_numbers = enum_setting('decode_invalid_numbers', BOOL_OPTIONS)

  M.new = new
  M.null = null
  M._NAME = 'cjson'
  M._VERSION = '2.1.0'
  return M
end

return new()
"""

# JSON null: a userdata standing for C's NULL light userdata; helpers Python asks about
# values lupa cannot tell apart (-0.0 arrives as 0, userdata as opaque objects).
SUPPORT = rb"""
local null = newproxy(true)
local mt = getmetatable(null)
mt.__tostring = function() return 'userdata: (nil)' end
mt.__metatable = false
local next, rawget = next, rawget
local function is_null(v) return v == null end
-- the keys of t whose values are -0.0 (nil when none)
local function negzero_values(t)
  local keys
  for k, v in next, t do
    if v == 0 and 1 / v < 0 then
      keys = keys or {}
      keys[#keys + 1] = k
    end
  end
  return keys
end
-- whether t's key equal to 0 is -0.0
local function negzero_key(t)
  for k in next, t do
    if k == 0 then return 1 / k < 0 end
  end
  return false
end
return null, is_null, negzero_values, negzero_key
"""


class _Fail(Exception):
    """A Lua error: luaL_error's (how None) or a raw one without position (how -1)."""

    def __init__(self, msg: str, how=None):
        self.msg = msg
        self.how = how


_NO_MEMORY = "not enough memory"


class _Fallback(Exception):
    """A fast decoder declines: the next way decodes."""


# ---------------------------------------------------------------------------- encoding
_ESCAPES = {bytes([i]): b"\\u%04x" % i for i in range(32)}
_ESCAPES.update({b"\b": b"\\b", b"\t": b"\\t", b"\n": b"\\n", b"\f": b"\\f", b"\r": b"\\r",
                 b'"': b'\\"', b"\\": b"\\\\", b"/": b"\\/", b"\x7f": b"\\u007f"})
_NEEDS_ESCAPE = re.compile(rb'[\x00-\x1f"\\/\x7f]')


def _escape(m):
    return _ESCAPES[m.group()]


def _quote(s: bytes) -> bytes:
    if _NEEDS_ESCAPE.search(s) is None:
        return b'"' + s + b'"'
    return b'"' + _NEEDS_ESCAPE.sub(_escape, s) + b'"'


class JsonCodec:
    """One cjson instance: its configuration, encoder and decoder."""

    def __init__(self, lua, null, is_null, negzero_values, negzero_key):
        self.table_from = lua.table_from
        self.table_class = type(lua.table())
        self.null = null
        self.is_null = is_null
        self.negzero_values = negzero_values
        self.negzero_key = negzero_key
        self.encode_sparse_convert = 0
        self.encode_sparse_ratio = 2
        self.encode_sparse_safe = 10
        self.encode_max_depth = 1000
        self.decode_max_depth = 1000
        self.encode_number_precision = 14
        self.encode_invalid_numbers = 0
        self.decode_invalid_numbers = 1
        self.encode_keep_buffer = 1
        self.number_format = b"%.14g"
        self._budget = None         # work done by the encode in progress

    def configure(self, name, value):
        name = name.decode()
        setattr(self, name, int(value))
        if name == "encode_number_precision":
            self.number_format = b"%%.%dg" % int(value)

    # ------------------------------------------------------------------ encode
    def encode(self, value):
        try:
            return True, self._encode(value)
        except _Fail as e:
            return False, e.msg.encode(), e.how
        except Exception as e:         # a bug must not hand Lua a Python exception
            return unexpected("cjson.encode", e)

    def _number(self, v, frame=None, key=None) -> bytes:
        """json_append_number (a 0 from lupa may be -0.0: the table knows)."""
        if v != v or v == _INF or v == -_INF:
            mode = self.encode_invalid_numbers
            if mode == 0:
                raise _Fail("Cannot serialise number: must not be NaN or Inf")
            if mode == 1:
                return b"nan" if v != v else (b"inf" if v > 0 else b"-inf")
            return b"null"
        if v == 0 and v.__class__ is int and frame is not None:
            if self.negzero_key(frame[1]) if key is None else self._negzero_value(frame, key):
                return b"-0"
        return self.number_format % v

    def _array_length(self, items) -> int:
        """lua_array_length: the array size, or -1 for an object (C's int arithmetic)."""
        max_ = 0
        n = 0
        for k, _ in items:
            c = k.__class__
            if c is int:
                if k < 1:
                    return -1
            elif c is float:            # non-integral, or beyond int64 (inf counts: floor(inf) == inf)
                if not (k >= 1 and (k == math.inf or k.is_integer())):
                    return -1
            else:
                return -1
            n += 1
            if k > max_:
                max_ = k if k < 2147483648 else INT32_MIN
        ratio = self.encode_sparse_ratio
        if ratio > 0 and max_ > to_int32(n * ratio) and max_ > self.encode_sparse_safe:
            if not self.encode_sparse_convert:
                raise _Fail("Cannot serialise table: excessively sparse array")
            return -1
        return max_

    def _encode(self, root) -> bytes:
        """json_append_data over the whole value, with an explicit stack of open tables
        (frames: [is array, table, iterator over the rest, values by index, -0 keys]).
        Every element is written with a trailing comma, which the closing bracket replaces."""
        if root.__class__ is not self.table_class:
            out = []
            self._other(root, out.append)
            return out[0]
        out = []            # pieces, joined into ``blocks`` as they pile up
        blocks = []
        w = out.append
        search = _NEEDS_ESCAPE.search
        fmt = self.number_format
        digits = 10 ** self.encode_number_precision     # integers below it need no exponent
        table_class = self.table_class
        # C-stack slots used, values, tables, bytes of strings among the pieces, bytes in blocks
        budget = self._budget = [1, 0, 0, 0, 0]
        stack = []
        self._open(root, stack, w)
        while stack:
            f = stack[-1]
            strings = 0
            if f[0]:
                values = f[3]
                for i in f[2]:
                    v = values.get(i)
                    c = v.__class__
                    if c is bytes:
                        strings += len(v)
                        if search(v) is None:
                            w(b'"')
                            w(v)
                            w(b'",')
                        else:
                            w(_quote(v))
                            w(b",")
                    elif c is int:      # integral (lupa): %d spells it as %.14g does, 4x faster
                        w(b"%d" % v if v and -digits < v < digits else self._number(v, f, i))
                        w(b",")
                    elif c is float:
                        w(fmt % v if -_INF < v < _INF else self._number(v))
                        w(b",")
                    elif c is table_class:
                        self._open(v, stack, w)
                        break
                    else:
                        self._other(v, w)
                        w(b",")
                    if strings > 65536 or len(out) > 4096:
                        budget[3] += strings
                        strings = 0
                        self._compact(out, blocks)
                else:
                    self._close(stack, out, b"]")
            else:
                for k, v in f[2]:
                    c = k.__class__
                    if c is bytes:
                        strings += len(k)
                        if search(k) is None:
                            w(b'"')
                            w(k)
                            w(b'":')
                        else:
                            w(_quote(k))
                            w(b":")
                    elif c is int or c is float:
                        w(b'"')
                        w(self._number(k, f, None))
                        w(b'":')
                    else:
                        raise _Fail("Cannot serialise %s: table key must be a number or string" % lua_typename(k))
                    c = v.__class__
                    if c is bytes:
                        strings += len(v)
                        if search(v) is None:
                            w(b'"')
                            w(v)
                            w(b'",')
                        else:
                            w(_quote(v))
                            w(b",")
                    elif c is int:
                        w(b"%d" % v if v and -digits < v < digits else self._number(v, f, k))
                        w(b",")
                    elif c is float:
                        w(fmt % v if -_INF < v < _INF else self._number(v))
                        w(b",")
                    elif c is table_class:
                        self._open(v, stack, w)
                        break
                    else:
                        self._other(v, w)
                        w(b",")
                    if strings > 65536 or len(out) > 4096:
                        budget[3] += strings
                        strings = 0
                        self._compact(out, blocks)
                else:
                    self._close(stack, out, b"}")
            budget[3] += strings
            if budget[3] + budget[4] > OUTPUT_LIMIT:
                raise _Fail(_NO_MEMORY, -1)
            if len(out) > 4096:
                self._compact(out, blocks)
        blocks.extend(out)
        return b"".join(blocks)

    def _open(self, t, stack, w) -> None:
        """Start writing table ``t``: json_check_encode_depth, lua_array_length, the bracket."""
        budget = self._budget
        depth = len(stack) + 1
        if depth > self.encode_max_depth or budget[0] + 3 > MAX_CSTACK:
            raise _Fail("Cannot serialise, excessive nesting (%d)" % depth)
        items = list(t.items())
        length = self._array_length(items)
        budget[1] += max(length, len(items))
        budget[2] += 1
        if budget[1] > MAX_VALUES or budget[2] > MAX_TABLES or budget[3] + budget[4] > OUTPUT_LIMIT:
            raise _Fail(_NO_MEMORY, -1)
        if length > 0:
            w(b"[")
            stack.append([True, t, iter(range(1, length + 1)), dict(items), None])
            budget[0] += 1
        else:
            w(b"{")
            stack.append([False, t, iter(items), None, None])
            budget[0] += 2

    def _close(self, stack, out, bracket: bytes) -> None:
        """The closing bracket in place of the last element's comma; a comma after it unless
        this is the outermost table."""
        last = out[-1]
        if last[-1:] == b",":
            out[-1] = last[:-1] + bracket
        else:
            out.append(bracket)         # empty table: the last piece is its opening bracket
        stack.pop()
        self._budget[0] -= 1 if bracket == b"]" else 2
        if stack:
            out.append(b",")

    def _compact(self, out, blocks) -> None:
        """Join the pieces written so far into one block (the last one stays: a closing
        bracket may replace its comma), counting its bytes."""
        block = b"".join(out[:-1])
        del out[:-1]
        blocks.append(block)
        budget = self._budget
        budget[3] = 0
        budget[4] += len(block)
        if budget[4] > OUTPUT_LIMIT:
            raise _Fail(_NO_MEMORY, -1)

    def _other(self, v, w) -> None:
        """A value that is not a table (strings and numbers too, at the top level)."""
        c = v.__class__
        if c is bytes:
            w(_quote(v))
        elif c is int or c is float:
            w(self._number(v))
        elif c is bool:
            w(b"true" if v else b"false")
        elif v is None:
            w(b"null")
        else:
            kind = lua_typename(v)
            if kind == "userdata" and self.is_null(v):
                w(b"null")
            else:
                raise _Fail("Cannot serialise %s: type not supported" % kind)

    def _negzero_value(self, frame, key) -> bool:
        """Whether the value at ``key`` of the frame's table is -0.0 (asked once per table)."""
        keys = frame[4]
        if keys is None:
            found = self.negzero_values(frame[1])
            keys = frame[4] = set(found.values()) if found is not None else ()
        return key in keys

    # ------------------------------------------------------------------ decode
    def decode(self, s: bytes):
        """Three ways, each giving up on what it would not read exactly as the C parser:
        orjson (strict JSON in valid UTF-8), Python's json module (raw control characters,
        NaN/Infinity, bytes that are not UTF-8), and the port of the C parser."""
        try:
            if b"-0" not in s or _NEG_ZERO_INT.search(s) is None:       # strtod's -0.0
                try:
                    return True, self._from_python(orjson.loads(s), 1, _utf8)
                except (orjson.JSONDecodeError, _Fallback):
                    pass
                if b"\0" not in s and _SURROGATE_ESCAPE.search(s) is None:
                    decoder = _LENIENT if self.decode_invalid_numbers else _LENIENT_FINITE
                    try:
                        obj = decoder.decode(s.decode("utf-8", "surrogateescape"))
                        return True, self._from_python(obj, 1, _binary)
                    except (ValueError, RecursionError, _Fallback):
                        pass
            return True, _Parser(self, s).parse()
        except _Fail as e:
            return False, e.msg.encode("utf-8", "surrogateescape")
        except Exception as e:         # a bug must not hand Lua a Python exception
            return unexpected("cjson.decode", e)

    def _from_python(self, v, depth, enc):
        """A decoded JSON value -> Lua, tables built in document order like the C parser's;
        ``enc`` turns strings back into the bytes they were."""
        c = v.__class__
        if c is dict:
            if depth > FAST_DEPTH or depth > self.decode_max_depth:
                raise _Fallback
            out = {}
            for k, x in v.items():
                c = x.__class__
                if c is str:
                    x = enc(x)
                elif c is dict or c is list:
                    x = self._from_python(x, depth + 1, enc)
                elif x is None:
                    x = self.null
                elif c is int and not -_2_63 <= x < _2_63:
                    x = float(x)
                out[enc(k)] = x
            return self.table_from(out)
        if c is list:
            if depth > FAST_DEPTH or depth > self.decode_max_depth:
                raise _Fallback
            out = []
            append = out.append
            for x in v:
                c = x.__class__
                if c is str:
                    x = enc(x)
                elif c is dict or c is list:
                    x = self._from_python(x, depth + 1, enc)
                elif x is None:
                    x = self.null
                elif c is int and not -_2_63 <= x < _2_63:
                    x = float(x)
                append(x)
            return self.table_from(out)
        if c is str:
            return enc(v)
        if v is None:
            return self.null
        if c is int and not -_2_63 <= v < _2_63:
            return float(v)
        return v                            # float, bool, int


_INF = math.inf
_2_63 = 1 << 63

# "-0" as a JSON number: orjson reads it as the integer 0, strtod as -0.0
_NEG_ZERO_INT = re.compile(rb"-0(?![0-9.eE])")
# an escaped UTF-16 surrogate: Python accepts a lone one, the C parser does not
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _utf8(s: str) -> bytes:
    return s.encode()


def _binary(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


def _no_constants(name):
    raise ValueError(name)


# strict=False: raw control characters in strings, as the C parser takes them
_LENIENT = json.JSONDecoder(strict=False)
_LENIENT_FINITE = json.JSONDecoder(strict=False, parse_constant=_no_constants)

# ---------------------------------------------------------------------------- the C parser
(T_OBJ_BEGIN, T_OBJ_END, T_ARR_BEGIN, T_ARR_END, T_STRING, T_NUMBER, T_BOOLEAN, T_NULL,
 T_COLON, T_COMMA, T_END, T_WHITESPACE, T_ERROR, T_UNKNOWN) = range(14)
_TOKEN_NAMES = ("T_OBJ_BEGIN", "T_OBJ_END", "T_ARR_BEGIN", "T_ARR_END", "T_STRING", "T_NUMBER",
                "T_BOOLEAN", "T_NULL", "T_COLON", "T_COMMA", "T_END", "T_WHITESPACE", "T_ERROR",
                "T_UNKNOWN")
_CH2TOKEN = [T_ERROR] * 256
for _c, _t in ((b"{", T_OBJ_BEGIN), (b"}", T_OBJ_END), (b"[", T_ARR_BEGIN), (b"]", T_ARR_END),
               (b",", T_COMMA), (b":", T_COLON), (b"\0", T_END), (b" ", T_WHITESPACE),
               (b"\t", T_WHITESPACE), (b"\n", T_WHITESPACE), (b"\r", T_WHITESPACE)):
    _CH2TOKEN[_c[0]] = _t
for _c in b'fiInNt"+-0123456789':
    _CH2TOKEN[_c] = T_UNKNOWN
_ESCAPE2CHAR = {ord('"'): b'"', ord("\\"): b"\\", ord("/"): b"/", ord("b"): b"\b", ord("t"): b"\t",
                ord("n"): b"\n", ord("f"): b"\f", ord("r"): b"\r"}
_PLAIN = re.compile(rb'[^"\\\0]*')
_HEX4 = re.compile(rb"[0-9a-fA-F]{4}")


class _Parser:
    """json_decode, token by token, with an explicit stack instead of C recursion."""

    def __init__(self, codec: JsonCodec, data: bytes):
        if len(data) >= 2 and (data[0] == 0 or data[1] == 0):
            raise _Fail("JSON parser does not support UTF-16 or UTF-32")
        self.codec = codec
        nul = data.find(b"\0")
        self.data = (data if nul < 0 else data[:nul]) + b"\0"      # a C string
        self.ptr = 0

    # ------------------------------------------------------------------ tokens
    def _token(self):
        """json_next_token: (type, value, index); errors carry their message as value."""
        data = self.data
        p = self.ptr
        while True:
            ch = data[p]
            t = _CH2TOKEN[ch]
            if t != T_WHITESPACE:
                break
            p += 1
        self.ptr = p
        if t == T_ERROR:
            return T_ERROR, "invalid token", p
        if t == T_END:
            return T_END, None, p
        if t != T_UNKNOWN:
            self.ptr = p + 1
            return t, None, p
        invalid_ok = self.codec.decode_invalid_numbers
        if ch == 0x22:
            return self._string(p)
        if ch == 0x2D or 0x30 <= ch <= 0x39:
            if not invalid_ok and self._invalid_number(p):
                return T_ERROR, "invalid number", p
            return self._number(p)
        if data.startswith(b"true", p):
            self.ptr = p + 4
            return T_BOOLEAN, True, p
        if data.startswith(b"false", p):
            self.ptr = p + 5
            return T_BOOLEAN, False, p
        if data.startswith(b"null", p):
            self.ptr = p + 4
            return T_NULL, None, p
        if invalid_ok and self._invalid_number(p):
            return self._number(p)
        return T_ERROR, "invalid token", p

    def _invalid_number(self, p) -> bool:
        """json_is_invalid_number"""
        data = self.data
        if data[p] == 0x2B:
            return True
        if data[p] == 0x2D:
            p += 1
        ch = data[p]
        if ch == 0x30:
            ch2 = data[p + 1] if p + 1 < len(data) else 0
            return (ch2 | 0x20) == 0x78 or 0x30 <= ch2 <= 0x39
        if ch <= 0x39:
            return False
        head = data[p:p + 3].lower()
        return head == b"inf" or head == b"nan"

    def _number(self, p):
        value, end = strtod(self.data, p)
        if end == p:
            return T_ERROR, "invalid number", p
        self.ptr = end
        return T_NUMBER, value, p

    def _string(self, start):
        data = self.data
        p = start + 1
        parts = []
        while True:
            m = _PLAIN.match(data, p)
            if m.end() > p:
                parts.append(m.group())
                p = m.end()
            ch = data[p]
            if ch == 0x22:
                self.ptr = p + 1
                return T_STRING, b"".join(parts), start
            if ch == 0:
                self.ptr = p
                return T_ERROR, "unexpected end of string", p
            esc = data[p + 1]             # after a backslash (at worst the final NUL)
            if esc == 0x75:
                utf8, length = self._unicode_escape(p)
                if utf8 is None:
                    self.ptr = p
                    return T_ERROR, "invalid unicode escape code", p
                parts.append(utf8)
                p += length
                continue
            char = _ESCAPE2CHAR.get(esc)
            if char is None:
                self.ptr = p
                return T_ERROR, "invalid escape code", p
            parts.append(char)
            p += 2

    def _unicode_escape(self, p):
        """json_append_unicode_escape at the backslash: (utf-8 bytes, escape length)."""
        data = self.data
        if not _HEX4.match(data, p + 2):
            return None, 0
        cp = int(data[p + 2:p + 6], 16)
        length = 6
        if cp & 0xF800 == 0xD800:
            if cp & 0x400:
                return None, 0
            if data[p + 6:p + 8] != b"\\u" or not _HEX4.match(data, p + 8):
                return None, 0
            low = int(data[p + 8:p + 12], 16)
            if low & 0xFC00 != 0xDC00:
                return None, 0
            cp = (((cp & 0x3FF) << 10) | (low & 0x3FF)) + 0x10000
            length = 12
        if cp <= 0x7F:
            return bytes((cp,)), length
        if cp <= 0x7FF:
            return bytes(((cp >> 6) | 0xC0, (cp & 0x3F) | 0x80)), length
        if cp <= 0xFFFF:
            return bytes(((cp >> 12) | 0xE0, ((cp >> 6) & 0x3F) | 0x80, (cp & 0x3F) | 0x80)), length
        return bytes(((cp >> 18) | 0xF0, ((cp >> 12) & 0x3F) | 0x80, ((cp >> 6) & 0x3F) | 0x80,
                      (cp & 0x3F) | 0x80)), length

    # ------------------------------------------------------------------ structure
    @staticmethod
    def _expected(what, token):
        t, value, index = token
        found = value if t == T_ERROR else _TOKEN_NAMES[t]
        raise _Fail("Expected %s but found %s at character %d" % (what, found, index + 1))

    def parse(self):
        codec = self.codec
        table_from = codec.table_from
        null = codec.null
        max_depth = codec.decode_max_depth
        stack = []          # open containers: [is_object, list or dict, pending key]
        used = 1            # Lua C-stack slots: the argument, a table per level, a key per object
        token = self._token()
        while True:
            # json_process_value
            t = token[0]
            if t == T_OBJ_BEGIN or t == T_ARR_BEGIN:
                is_object = t == T_OBJ_BEGIN
                depth = len(stack) + 1
                if depth > max_depth or used + (3 if is_object else 2) > MAX_CSTACK:
                    raise _Fail("Found too many nested data structures (%d) at character %d"
                                % (depth, self.ptr))
                token = self._token()
                if token[0] == (T_OBJ_END if is_object else T_ARR_END):
                    value = table_from()
                else:
                    if is_object:
                        stack.append([True, {}, self._key(token)])
                        used += 2
                        token = self._token()
                    else:
                        stack.append([False, [], None])
                        used += 1
                    continue
            elif t == T_STRING or t == T_NUMBER or t == T_BOOLEAN:
                value = token[1]
            elif t == T_NULL:
                value = null
            else:
                self._expected("value", token)
            # the value is complete: store it, close what ends here, find the next value
            while True:
                if not stack:
                    token = self._token()
                    if token[0] != T_END:
                        self._expected("the end", token)
                    return value
                frame = stack[-1]
                token = self._token()
                if frame[0]:
                    frame[1][frame[2]] = value
                    if token[0] == T_OBJ_END:
                        stack.pop()
                        used -= 2
                        value = table_from(frame[1])
                        continue
                    if token[0] != T_COMMA:
                        self._expected("comma or object end", token)
                    frame[2] = self._key(self._token())
                    token = self._token()
                    break
                frame[1].append(value)
                if token[0] == T_ARR_END:
                    stack.pop()
                    used -= 1
                    value = table_from(frame[1])
                    continue
                if token[0] != T_COMMA:
                    self._expected("comma or array end", token)
                token = self._token()
                break

    def _key(self, token):
        """An object key, then its colon."""
        if token[0] != T_STRING:
            self._expected("object key string", token)
        colon = self._token()
        if colon[0] != T_COLON:
            self._expected("colon", colon)
        return token[1]


# ---------------------------------------------------------------------------- install
def install(lua, set_library, helpers) -> None:
    null, is_null, negzero_values, negzero_key = load_chunk(lua, SUPPORT)

    def codec():
        c = JsonCodec(lua, null, is_null, negzero_values, negzero_key)
        return c.encode, c.decode, c.configure

    set_library(b"cjson", load_chunk(lua, CJSON, helpers, null, codec))
