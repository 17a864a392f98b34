"""Conversions between replies and Lua values, as Redis 7.0's script_lua.c does them.

Reply -> Lua (what ``redis.call`` returns), by the script's protocol (``redis.setresp``):
bulk string -> string, integer -> number, status -> ``{ok=...}``, error -> ``{err=...,
ignore_error_stats_update=true}``, array -> table; null -> false (RESP2) or nil (RESP3); under
RESP3 map -> ``{map={...}}``, set -> ``{set={member=true}}``, double -> ``{double=n}``, boolean ->
boolean, verbatim -> ``{verbatim_string={format=..., string=...}}``, big number ->
``{big_number=...}``; under RESP2 these arrive as their RESP2 forms.

Lua -> reply (what a script returns): ``ENCODER``, a Lua function that writes the RESP bytes
for the caller's protocol the way luaReplyToRedisReply does (raw reads, so no metamethod of
the script runs; ``{err=}``, ``{ok=}``, ``{double=}``, ``{big_number=}``,
``{verbatim_string=}``, ``{map=}``, ``{set=}`` in that order, else an array up to the first
nil; numbers truncated to integers; booleans by the script's protocol; nesting past Lua's C
stack limit answers ``-ERR reached lua stack limit`` at that depth, as Redis does).
"""
from __future__ import annotations

import ctypes
import math

import hiredis

from ..errors import RedisError
from ..protocol.reply import NULL_ARRAY, BigNumber, Push, SetReply, Status, Verbatim

_PREENCODED = {b"+OK\r\n": Status("OK"), b"+PONG\r\n": Status("PONG"), b"+QUEUED\r\n": Status("QUEUED")}


def _b(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


def _s(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


def error_text(message: str) -> str:
    """luaPushErrorBuff: the ``err`` text Lua gets for an error reply ``-<message>``: the text
    up to a NUL, ``CODE rest`` with the rest's CR/LF trimmed (``ERR <message>`` when there is
    no space to tell a code)."""
    message = message.split("\0", 1)[0]
    code, sep, rest = message.partition(" ")
    if not sep:
        code, rest = "ERR", message
    return "%s %s" % (code, rest.strip("\r\n"))


def format_number(x) -> str:
    """A Lua number as redis.call sends it (``%.17g``, C's spelling of inf and nan)."""
    if x.__class__ is int and -10 ** 17 < x < 10 ** 17:
        return str(x)
    x = float(x)
    if math.isnan(x):
        return "-nan" if math.copysign(1.0, x) < 0 else "nan"
    return "%.17g" % x


def lua_string(x) -> bytes:
    """lua_tostring of a number (``%.14g``, C's spelling of inf and nan)."""
    x = float(x)
    if math.isnan(x):
        return b"-nan" if math.copysign(1.0, x) < 0 else b"nan"
    return b"%.14g" % x


_libc = ctypes.CDLL(None)
_strtod = _libc.strtod
_strtod.restype = ctypes.c_double
_strtod.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p)]
_strtoul = _libc.strtoul
_strtoul.restype = ctypes.c_ulong
_strtoul.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int]


def lua_tonumber(v):
    """lua_tonumber: numbers as they are, strings Lua reads as numbers (luaO_str2d: strtod,
    hex, surrounding spaces), else None."""
    if v.__class__ is int or v.__class__ is float:
        return v
    if v.__class__ is not bytes:
        return None
    s = v.split(b"\0", 1)[0]             # the C string
    buf = ctypes.create_string_buffer(s)
    base = ctypes.addressof(buf)
    end = ctypes.c_char_p()
    x = _strtod(buf, ctypes.byref(end))
    pos = ctypes.cast(end, ctypes.c_void_p).value - base
    if pos == 0:
        return None
    if s[pos:pos + 1] in (b"x", b"X"):
        x = float(_strtoul(buf, ctypes.byref(end), 16))
        pos = ctypes.cast(end, ctypes.c_void_p).value - base
    if s[pos:].strip(b" \t\n\v\f\r"):
        return None
    return x


def c_int(x) -> int:
    """(int) of a lua_Number, as x86-64 casts it (out of range and NaN give INT_MIN)."""
    if x.__class__ is int and -(1 << 31) <= x < (1 << 31):
        return x
    x = float(x)
    if math.isnan(x) or not -2147483649.0 < x < 2147483648.0:
        return -(1 << 31)
    return int(x)


class ToLua:
    """Reply values -> Lua values for one Lua runtime."""

    def __init__(self, lua):
        self.table = lua.table_from

    def error(self, message: str, command_error: bool = True):
        """The ``{err=...}`` table of an error; ``command_error``: a command's error reply,
        which Redis already counted (``ignore_error_stats_update``)."""
        if command_error:
            return self.table({b"err": _b(error_text(message)), b"ignore_error_stats_update": True})
        return self.table({b"err": _b(error_text(message))})

    def convert(self, v, resp3: bool):
        cls = v.__class__
        if cls is str:
            return _b(v)
        if cls is int:
            return v
        if cls is bytes:
            return self.convert(parse_preencoded(v), resp3)
        if v is None or v is NULL_ARRAY:
            return None if resp3 else False
        if cls is list or cls is tuple or cls is Push:
            return self.table([self.convert(x, resp3) for x in v])
        if cls is Status:
            return self.table({b"ok": _b(v)})
        if isinstance(v, RedisError):
            return self.error(v.message)
        if cls is dict:
            if resp3:
                return self.table({b"map": self.table({self.convert(k, True): self.convert(x, True)
                                                        for k, x in v.items()})})
            flat = []
            for k, x in v.items():
                flat.append(self.convert(k, False))
                flat.append(self.convert(x, False))
            return self.table(flat)
        if cls is SetReply:
            if resp3:
                return self.table({b"set": self.table({self.convert(x, True): True for x in v})})
            return self.table([self.convert(x, False) for x in v])
        if cls is float:
            if resp3:
                return self.table({b"double": v})
            return _b(_double_text(v))
        if cls is bool:
            return v if resp3 else int(v)
        if cls is Verbatim:
            if resp3:
                return self.table({b"verbatim_string": self.table({b"format": b"txt", b"string": _b(v)})})
            return _b(v)
        if cls is BigNumber:
            return self.table({b"big_number": _b(v)}) if resp3 else _b(v)
        if isinstance(v, str):
            return _b(v)
        raise TypeError("cannot convert a %s reply for Lua" % cls.__name__)


def _double_text(x: float) -> str:
    """addReplyDouble's text (``%.17g``; inf and nan as C prints them)."""
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if math.isnan(x):
        return "-nan" if math.copysign(1.0, x) < 0 else "nan"
    return "%.17g" % x


def parse_preencoded(data: bytes):
    """A reply a handler returned already encoded, back to a value (statuses stay statuses,
    which hiredis would not tell from bulk strings)."""
    known = _PREENCODED.get(data)
    if known is not None:
        return known
    if data[:1] == b"+":
        return Status(_s(data[1:-2]))
    if data[:1] == b"-":
        return RedisError(_s(data[1:-2]))
    reader = hiredis.Reader(encoding="utf-8", errors="surrogateescape")
    reader.feed(data)
    return _from_hiredis(reader.gets())


def _from_hiredis(v):
    if isinstance(v, list):
        return [_from_hiredis(x) for x in v]
    if isinstance(v, hiredis.ReplyError):
        return RedisError(str(v))
    return v


# luaReplyToRedisReply in Lua: ``encode(value, script_resp, caller_resp)`` -> the reply's
# RESP bytes, followed (only when the reply holds errors) by a table of the error replies in it
# that errorstats counts and the number of those it does not: a command's error the script
# passes on (``ignore_error_stats_update``), counted when it happened.
# ``h`` mirrors the height of Redis's Lua stack (what lua_checkstack(L, 4) sees): the value
# at the top with the error handler below it, one more slot per array level, and a map's
# key at +4 and value at +3, a set's member at +3 above their table.
ENCODER = b"""
local rawget, next, type, format, gsub, match, sub, floor = rawget, next, type, string.format,
      string.gsub, string.match, string.sub, math.floor
local concat, getmetatable = table.concat, debug.getmetatable
local function plain_get(t, i) return t[i] end       -- rawget, for a table without metatable
local MAXCSTACK = 8000                -- LUAI_MAXCSTACK
local INF = 1/0

-- one reply at a time (the encoder never yields): its state as upvalues
local out, n, counted, passed, null, sresp, cresp

-- numbers become text through sprintf, slow next to the rest: the headers of the usual
-- lengths and the small integers are made once
local heads = setmetatable({}, {__index = function(t, len)
  local s = '$' .. len .. '\\r\\n'
  if len < 65536 then t[len] = s end
  return s
end})
local integers = setmetatable({}, {__index = function(t, v)
  local s = format(':%d\\r\\n', v)
  if v >= -1024 and v < 65536 and v == floor(v) then t[v] = s end
  return s
end})
local function bulk(s)
  local len = #s
  if len < 512 then
    n = n + 1; out[n] = heads[len] .. s .. '\\r\\n'
  else
    out[n + 1] = heads[len]; out[n + 2] = s; out[n + 3] = '\\r\\n'
    n = n + 3
  end
end
local function integer(v)             -- (long long) of the number
  if v ~= v then return format(':%d\\r\\n', v) end          -- NaN: no table key
  return integers[v]
end
local function double(d)
  local s
  if d == INF then s = 'inf' elseif d == -INF then s = '-inf' else s = format('%.17g', d) end
  if cresp == 2 then bulk(s) else n = n + 1; out[n] = ',' .. s .. '\\r\\n' end
end
local function cstr(s) return (match(s, '^[^%z]*')) end        -- what C sees up to a NUL
local function oneline(s) return (gsub(s, '[\\r\\n]', ' ')) end

local enc
enc = function(v, h)
  if h + 4 > MAXCSTACK then
    n = n + 1; out[n] = '-ERR reached lua stack limit\\r\\n'
    return
  end
  local t = type(v)
  if t == 'string' then
    bulk(v)
  elseif t == 'number' then
    n = n + 1; out[n] = integer(v)
  elseif t == 'boolean' then
    n = n + 1
    if sresp == 2 then out[n] = v and ':1\\r\\n' or null
    elseif cresp == 3 then out[n] = v and '#t\\r\\n' or '#f\\r\\n'
    else out[n] = v and ':1\\r\\n' or ':0\\r\\n' end
  elseif t == 'table' then
    local f = rawget(v, 'err')
    if type(f) == 'string' then
      local line = oneline((gsub('-' .. cstr(f), '[\\r\\n]+$', '')))
      n = n + 1; out[n] = line .. '\\r\\n'
      if rawget(v, 'ignore_error_stats_update') ~= true then
        counted[#counted + 1] = line
      else
        passed = passed + 1
      end
      return
    end
    f = rawget(v, 'ok')
    if type(f) == 'string' then
      n = n + 1; out[n] = '+' .. oneline(cstr(f)) .. '\\r\\n'
      return
    end
    f = rawget(v, 'double')
    if type(f) == 'number' then double(f) return end
    f = rawget(v, 'big_number')
    if type(f) == 'string' then
      f = oneline(f)
      if cresp == 2 then bulk(f) else n = n + 1; out[n] = '(' .. f .. '\\r\\n' end
      return
    end
    f = rawget(v, 'verbatim_string')
    if type(f) == 'table' then
      local fmt, s = rawget(f, 'format'), rawget(f, 'string')
      if type(fmt) == 'string' and type(s) == 'string' then
        if cresp == 2 then
          bulk(s)
        else
          fmt = sub(cstr(fmt) .. '   ', 1, 3)
          n = n + 1; out[n] = '=' .. (#s + 4) .. '\\r\\n' .. fmt .. ':' .. s .. '\\r\\n'
        end
        return
      end
    end
    f = rawget(v, 'map')
    if type(f) == 'table' then
      n = n + 1
      local slot, count = n, 0
      local k, x = next(f)
      while k ~= nil do
        enc(k, h + 4)
        enc(x, h + 3)
        count = count + 1
        k, x = next(f, k)
      end
      out[slot] = cresp == 3 and '%' .. count .. '\\r\\n' or '*' .. count * 2 .. '\\r\\n'
      return
    end
    f = rawget(v, 'set')
    if type(f) == 'table' then
      n = n + 1
      local slot, count = n, 0
      local k = next(f)
      while k ~= nil do
        enc(k, h + 3)
        count = count + 1
        k = next(f, k)
      end
      out[slot] = (cresp == 3 and '~' or '*') .. count .. '\\r\\n'
      return
    end
    n = n + 1
    local slot, j = n, 1
    local get = getmetatable(v) == nil and plain_get or rawget
    local x = get(v, 1)
    if h + 5 <= MAXCSTACK then          -- the elements' level is not past the limit
      while x ~= nil do
        local tx = type(x)
        if tx == 'string' then
          local len = #x
          if len < 512 then n = n + 1; out[n] = heads[len] .. x .. '\\r\\n' else bulk(x) end
        elseif tx == 'number' and x == x then
          n = n + 1; out[n] = integers[x]
        else
          enc(x, h + 1)
        end
        j = j + 1
        x = get(v, j)
      end
    else
      while x ~= nil do
        enc(x, h + 1)
        j = j + 1
        x = get(v, j)
      end
    end
    out[slot] = '*' .. (j - 1) .. '\\r\\n'
  else
    n = n + 1; out[n] = null
  end
end

return function(value, script_resp, caller_resp)
  local t = type(value)             -- the usual results first, without the tables
  if t == 'string' then
    local len = #value
    if len < 512 then return heads[len] .. value .. '\\r\\n' end
  elseif t == 'number' and value == value then
    return integers[value]
  end
  out, n, counted, passed = {}, 0, {}, 0
  sresp, cresp = script_resp, caller_resp
  null = caller_resp == 3 and '_\\r\\n' or '$-1\\r\\n'
  enc(value, 2)
  local data, errors = concat(out, '', 1, n), counted
  out, counted = nil, nil
  if errors[1] == nil and passed == 0 then return data end
  return data, errors, passed
end
"""
