"""LuaBitOp 1.0.2 (``bit``), as Redis links it (deps/lua/src/lua_bit.c), in pure Lua.

Every argument goes through C's ``barg``: a number or numeric string, its double plus
2^52+2^51, of which the low 32 bits of the IEEE representation are the operand (so
rounding is half-to-even and values wrap modulo 2^32). Results are signed 32-bit numbers.
Bit operations are done on 4-bit slices with a 256-entry AND table (or and xor follow
from it): about a microsecond per call, the cost of a Python callback, without one.
"""
from __future__ import annotations

from .luaglue import load_chunk

BIT = rb"""
local H = ...
local typeerror = H.typeerror
local type, tonumber, select, floor, frexp, format, huge =
  type, tonumber, select, math.floor, math.frexp, string.format, math.huge

local P2 = {}
for i = 0, 32 do P2[i] = 2 ^ i end
local TWO32, TWO31 = P2[32], P2[31]

-- barg on a number: the low 32 bits of the double n + 2^52 + 2^51, unsigned
local function tou32(n)
  local s = n + 6755399441055744.0
  if s >= 4503599627370496.0 and s < 9007199254740992.0 then
    return (s - 4503599627370496.0) % TWO32
  end
  if s ~= s or s == huge or s == -huge or s == 0 then return 0 end
  if s < 0 then s = -s end
  local m = frexp(s)
  return ((m * 2 - 1) * 4503599627370496.0) % TWO32   -- the mantissa field
end

-- barg on any argument (fl: frames up to the library function)
local function barg(fl, v, narg, nargs)
  if type(v) == 'number' then return tou32(v) end
  if type(v) == 'string' then
    local n = tonumber(v)
    if n then return tou32(n) end
  end
  typeerror(fl + 1, narg, 'number', narg > nargs and 'no value' or type(v))
end

local function signed(u)
  if u >= TWO31 then return u - TWO32 end
  return u
end

local AND4 = {}
for x = 0, 15 do
  for y = 0, 15 do
    local r, a, b = 0, x, y
    for i = 0, 3 do
      if a % 2 == 1 and b % 2 == 1 then r = r + P2[i] end
      a, b = floor(a / 2), floor(b / 2)
    end
    AND4[x * 16 + y + 1] = r
  end
end

local function and32(a, b)
  local r, p = 0, 1
  while a > 0 and b > 0 do
    local x, y = a % 16, b % 16
    r = r + AND4[x * 16 + y + 1] * p
    a, b, p = (a - x) / 16, (b - y) / 16, p * 16
  end
  return r
end
local function or32(a, b) return a + b - and32(a, b) end
local function xor32(a, b) return a + b - 2 * and32(a, b) end

-- band/bor/bxor of any arity: argument 1 first, then the last down to the second (as C)
local function fold(op, ...)
  local nargs = select('#', ...)
  local args = {...}
  local r = barg(2, args[1], 1, nargs)
  for i = nargs, 2, -1 do
    r = op(r, barg(2, args[i], i, nargs))
  end
  return r
end

-- the two operands of a shift
local function two(...)
  local nargs = select('#', ...)
  local b, n = ...
  return barg(2, b, 1, nargs), barg(2, n, 2, nargs) % 32
end

local bit = {}

function bit.tobit(...)
  local b = ...
  if type(b) == 'number' then return signed(tou32(b)) end
  b = barg(1, b, 1, select('#', ...))
  return signed(b)
end

function bit.bnot(...)
  local b = ...
  if type(b) == 'number' then return signed(TWO32 - 1 - tou32(b)) end
  b = barg(1, b, 1, select('#', ...))
  return signed(TWO32 - 1 - b)
end

local function multi(op)
  return function(...)
    local a, b = ...
    if type(a) == 'number' and type(b) == 'number' and select('#', ...) == 2 then
      return signed(op(tou32(a), tou32(b)))
    end
    local r = fold(op, ...)
    return signed(r)
  end
end
bit.band, bit.bor, bit.bxor = multi(and32), multi(or32), multi(xor32)

local function shift(fn)
  return function(...)
    local b, n = ...
    if type(b) == 'number' and type(n) == 'number' then
      b, n = tou32(b), tou32(n) % 32
    else
      b, n = two(...)
    end
    return signed(fn(b, n))
  end
end
bit.lshift = shift(function(b, n) return b * P2[n] % TWO32 end)
bit.rshift = shift(function(b, n) return floor(b / P2[n]) end)
bit.arshift = shift(function(b, n) return floor(signed(b) / P2[n]) % TWO32 end)
bit.rol = shift(function(b, n) return b * P2[n] % TWO32 + floor(b / P2[32 - n]) end)
bit.ror = shift(function(b, n) return b * P2[32 - n] % TWO32 + floor(b / P2[n]) end)

function bit.bswap(...)
  local b = ...
  if type(b) == 'number' then b = tou32(b) else b = barg(1, b, 1, select('#', ...)) end
  local b0 = b % 256; b = (b - b0) / 256
  local b1 = b % 256; b = (b - b1) / 256
  local b2 = b % 256
  local b3 = (b - b2) / 256
  return signed(((b0 * 256 + b1) * 256 + b2) * 256 + b3)
end

local HEXFMT, HEXFMT_UPPER = {}, {}
for n = 1, 8 do HEXFMT[n], HEXFMT_UPPER[n] = '%0' .. n .. 'x', '%0' .. n .. 'X' end

function bit.tohex(...)
  local nargs = select('#', ...)
  local b, n = ...
  b = barg(1, b, 1, nargs)
  if nargs < 2 then
    n = 8
  else
    n = signed(barg(1, n, 2, nargs))
  end
  if n == -2147483648 then n = -2147483647 end   -- Redis's fix (CVE-2024-31449)
  local fmt = HEXFMT
  if n < 0 then n, fmt = -n, HEXFMT_UPPER end
  if n > 8 then n = 8 end
  if n == 0 then return '' end
  return format(fmt[n], b % P2[4 * n])
end

return bit
"""


def install(lua, set_library, helpers) -> None:
    set_library(b"bit", load_chunk(lua, BIT, helpers))
