"""What the four libraries share on the Lua side: loading their Lua code, and the lauxlib
error conventions they reproduce.

The libraries are Lua functions here where Redis has C functions, so a C function's error
rules are rebuilt in Lua: ``luaL_error`` prefixes the position of the *caller*
(``user_script:1: ``, nothing when the caller is C code such as ``pcall``), and
``luaL_argerror`` names the function as the caller spelled it (``bad argument #1 to
'decode' (...)``, ``calling 'band' on bad self`` for ``bit:band()``).

Every chunk is compiled under the name ``=redis``, the source the runtime's error handler
skips when it looks for the script's line (as it skips the ``redis`` API).
"""
from __future__ import annotations

import logging

from lupa import lua51

log = logging.getLogger("pickledbd")

CHUNK_NAME = b"=redis"

# Returns the helper table every library receives. ``fl`` arguments count frames: 1 means
# "the caller of this helper is the library function itself". Callers must not tail-call a
# helper that raises (a tail call would drop the frame the level counts on).
HELPERS = rb"""
local getinfo, error, format, type, tonumber, select, floor, ceil, unpack =
  debug.getinfo, error, string.format, type, tonumber, select, math.floor, math.ceil, unpack
local H = {}

-- luaL_argerror
function H.argerror(fl, narg, extramsg)
  local ar = getinfo(fl + 1, 'n')
  local name = ar and ar.name
  if ar and ar.namewhat == 'method' then
    narg = narg - 1
    if narg == 0 then
      error(format("calling '%s' on bad self (%s)", name or '?', extramsg), fl + 2)
    end
  end
  error(format("bad argument #%d to '%s' (%s)", narg, name or '?', extramsg), fl + 2)
end
local argerror = H.argerror

-- luaL_typerror: 'got' is the type name, or 'no value' past the last argument
function H.typeerror(fl, narg, expected, got)
  argerror(fl + 1, narg, expected .. ' expected, got ' .. got)
end
local typeerror = H.typeerror

-- lua_tointeger: truncation, INT64_MIN out of range (cvttsd2si)
local function tointeger(n)
  if n ~= n or n >= 9223372036854775808 or n < -9223372036854775808 then
    return -9223372036854775808
  end
  if n >= 0 then return floor(n) end
  return ceil(n)
end
H.tointeger = tointeger

-- luaL_checkinteger on argument 'narg' holding v ('nargs': how many were passed)
function H.checkinteger(fl, narg, v, nargs)
  local n = tonumber(v)
  if type(v) ~= 'number' and (type(v) ~= 'string' or n == nil) then
    typeerror(fl + 1, narg, 'number', narg > nargs and 'no value' or type(v))
  end
  return tointeger(n)
end

-- luaL_optinteger
function H.optinteger(fl, narg, v, nargs, default)
  if v == nil then return default end
  return H.checkinteger(fl + 1, narg, v, nargs)
end

-- luaL_checklstring: strings, and numbers as lua_tolstring writes them ('%.14g')
function H.checkstring(fl, narg, v, nargs)
  local t = type(v)
  if t == 'string' then return v end
  if t == 'number' then return format('%.14g', v) end
  typeerror(fl + 1, narg, 'string', narg > nargs and 'no value' or t)
end

-- (int) of a lua_Integer: the low 32 bits, signed
function H.int32(i)
  i = i % 4294967296
  if i >= 2147483648 then i = i - 4294967296 end
  return i
end

-- a failure a Python callback reported for the library function calling this: how == nil
-- is luaL_error (position of the function's caller), -1 a raw Lua error (no position),
-- a number the argument of a luaL_argerror
function H.raise(msg, how)
  if how == nil then error(msg, 3) end
  if how == -1 then error(msg, 0) end
  argerror(2, how, msg)
end

-- 'return unpack(t, 1, n)' for up to 7999 values: unpack itself counts its 3 arguments
-- against the 8000-slot C stack limit, a C function returning n values needs n + 1
function H.unpackn(t, n)
  if n > 7990 then return t[1], t[2], t[3], unpack(t, 4, n) end
  return unpack(t, 1, n)
end

return H
"""


def load_chunk(lua, source: bytes, *args):
    """Compile ``source`` as a ``=redis`` chunk and run it with ``args``; its results."""
    fn = lua.globals()[b"loadstring"](source, CHUNK_NAME)
    if isinstance(fn, tuple):           # nil, message
        raise RuntimeError("Lua library chunk does not compile: %r" % (fn[1],))
    return fn(*args)


def load_helpers(lua):
    return load_chunk(lua, HELPERS)


# lupa does not export the class: take it from a throwaway runtime, once
_COROUTINE_FUNCTION = type(lua51.LuaRuntime().eval("coroutine.create(function() end)"))


def lua_typename(v) -> str:
    """lua_typename of a value a Python callback received (lupa hands over a coroutine that
    has not started as its function: its class still tells)."""
    if v is None:
        return "nil"
    c = v.__class__
    if c is bytes:
        return "string"
    if c is int or c is float:
        return "number"
    if c is bool:
        return "boolean"
    if c is _COROUTINE_FUNCTION:
        return "thread"
    return lua51.lua_type(v) or "userdata"



def unexpected(name: str, exc: Exception):
    """What a Python callback returns for an exception it did not mean (a Python exception
    must not reach Lua): out of memory (lupa's LuaMemoryError is one) as Lua says it, else a
    bug, logged."""
    if isinstance(exc, MemoryError):
        return False, b"not enough memory", -1
    log.exception("%s failed", name)
    return False, b"%s: internal error" % name.encode(), None
