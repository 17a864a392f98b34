"""The differential corpus for the Lua libraries (cjson, cmsgpack, bit, struct).

Hand-written cases live in ``corpus/scripting_libs.lua`` (``-- @@ name`` starts a case);
``generated()`` adds seeded random inputs (JSON texts, msgpack bytes, struct formats, bit
operands, floats). Every case is a script body run by EVAL with no keys, after ``PRELUDE``,
which gives it ``dump`` (a deterministic text of any Lua value: sorted keys, ``%.17g``
numbers, ``null`` for cjson.null) and ``hex``.
"""
from __future__ import annotations

import json
import random
import struct
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus" / "scripting_libs.lua"

PRELUDE = r"""
local function hex(s)
  return (string.gsub(s, '.', function(c) return string.format('%02x', string.byte(c)) end))
end
local function dump(v)
  local t = type(v)
  if t == 'string' then return string.format('%q', v) end
  if t == 'number' then return string.format('%.17g', v) end
  if t == 'table' then
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys, function(a, b)
      local ta, tb = type(a), type(b)
      if ta ~= tb then return ta < tb end
      if ta == 'number' or ta == 'string' then return a < b end
      return dump(a) < dump(b)       -- tables as keys: by content, not address
    end)
    local parts = {}
    for _, k in ipairs(keys) do parts[#parts + 1] = '[' .. dump(k) .. ']=' .. dump(v[k]) end
    return '{' .. table.concat(parts, ',') .. '}'
  end
  if v == cjson.null then return 'null' end
  if t == 'boolean' or t == 'nil' then return tostring(v) end
  return t
end
local function try(f, ...)
  local r = {pcall(f, ...)}
  for i = 2, table.maxn(r) do r[i] = dump(r[i]) end
  r[1] = tostring(r[1])
  return r
end
"""


def hand_written() -> list[tuple[str, str]]:
    cases = []
    name, lines = None, []
    for line in CORPUS.read_text().splitlines():
        if line.startswith("-- @@ "):
            if name is not None:
                cases.append((name, "\n".join(lines).strip() + "\n"))
            name, lines = line[6:].strip(), []
        elif name is not None:
            lines.append(line)
    if name is not None:
        cases.append((name, "\n".join(lines).strip() + "\n"))
    return cases


def _lua_bytes(b: bytes) -> str:
    """A Lua string literal for any bytes."""
    return '"' + "".join("\\%03d" % c if c < 32 or c > 126 or c in (34, 92) else chr(c) for c in b) + '"'


def _random_json(rng: random.Random, depth: int = 0):
    kind = rng.randrange(8 if depth < 4 else 5)
    if kind == 0:
        return rng.choice([None, True, False])
    if kind == 1:
        return rng.randint(-10**6, 10**6)
    if kind == 2:
        return rng.choice([rng.uniform(-1e6, 1e6), rng.random() * 10 ** rng.randint(-30, 30),
                           rng.randint(-2**60, 2**60), 0.1, 1e21, 123456789012345678])
    if kind in (3, 4):
        alphabet = "ab c/\\\"\u00e9\u20ac\U0001f600\n\t\x01"
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
    if kind == 5 or kind == 6:
        return {"k%d" % rng.randint(0, 30): _random_json(rng, depth + 1) for _ in range(rng.randint(0, 6))}
    return [_random_json(rng, depth + 1) for _ in range(rng.randint(0, 6))]


def _mutate(rng: random.Random, b: bytes) -> bytes:
    b = bytearray(b)
    for _ in range(rng.randint(1, 3)):
        op = rng.randrange(3)
        if op == 0 and b:
            b[rng.randrange(len(b))] = rng.randrange(256)
        elif op == 1 and b:
            del b[rng.randrange(len(b)):]
        else:
            b.insert(rng.randrange(len(b) + 1), rng.choice(b'[]{},:"\\-0eE.+nu\x00\xff '))
    return bytes(b)


def _random_msgpack(rng: random.Random, depth: int = 0) -> bytes:
    kind = rng.randrange(10 if depth < 3 else 7)
    if kind == 0:
        return bytes([rng.choice([0xC0, 0xC2, 0xC3, rng.randrange(0x80), rng.randrange(0xE0, 0x100)])])
    if kind == 1:
        t = rng.choice([0xCC, 0xCD, 0xCE, 0xCF, 0xD0, 0xD1, 0xD2, 0xD3])
        n = {0xCC: 1, 0xCD: 2, 0xCE: 4, 0xCF: 8, 0xD0: 1, 0xD1: 2, 0xD2: 4, 0xD3: 8}[t]
        return bytes([t]) + rng.randbytes(n)
    if kind == 2:
        return b"\xca" + struct.pack(">f", rng.uniform(-1e6, 1e6))
    if kind == 3:
        return b"\xcb" + rng.randbytes(8)
    if kind in (4, 5):
        s = rng.randbytes(rng.choice([0, 3, 31, 32, 40]))
        if len(s) < 32:
            return bytes([0xA0 | len(s)]) + s
        return bytes([0xD9, len(s)]) + s
    if kind == 6:
        return bytes([rng.choice([0xC1, 0xC4, 0xC7, 0xD4, 0xD8])]) + rng.randbytes(2)
    n = rng.randint(0, 5)
    if kind == 7:
        return bytes([0x90 | n]) + b"".join(_random_msgpack(rng, depth + 1) for _ in range(n))
    if kind == 8:
        return b"\xdc" + n.to_bytes(2, "big") + b"".join(_random_msgpack(rng, depth + 1) for _ in range(n))
    return bytes([0x80 | n]) + b"".join(_random_msgpack(rng, depth + 1) + _random_msgpack(rng, depth + 1)
                                        for _ in range(n))


_RANDOM_TABLE = """
local seed = %d
local function rand(n)
  seed = (seed * 1103515245 + 12345) %% 2147483648
  return seed %% n
end
local function value(depth)
  local k = depth == 0 and 8 or rand(depth < 3 and 9 or 6)
  if k == 0 then return rand(1000) - 500 end
  if k == 1 then return (rand(100000) - 50000) / 64 end
  if k == 2 then return 'str' .. rand(50) .. (rand(4) == 0 and '/"\\\\' or '') end
  if k == 3 then return rand(2) == 0 end
  if k == 4 then return rand(5) == 0 and cjson.null or 2 ^ rand(70) end
  if k == 5 then return '' end
  local t = {}
  local shape = rand(4)
  for j = 1, rand(8) + (depth == 0 and 4 or 0) do
    local key
    if shape == 0 then key = j
    elseif shape == 1 then key = rand(30) + 1
    elseif shape == 2 then key = 'k' .. rand(20)
    else
      local kk = rand(5)
      key = kk == 0 and rand(10) - 3 or kk == 1 and rand(100) / 8 or kk == 2 and 'x' .. rand(9) or j
    end
    t[key] = value(depth + 1)
  end
  return t
end
local t = value(0)
return {dump(try(cjson.encode, t)), dump(try(function(x) return hex(cmsgpack.pack(x)) end, t)),
        dump(try(function(x) return dump(cmsgpack.unpack(cmsgpack.pack(x))) end, t))}
"""


def generated(seed: int = 7) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    cases = []
    # cjson.decode of valid documents (orjson's fast path) and of mutated ones (the C parser)
    for i in range(60):
        doc = json.dumps(_random_json(rng), ensure_ascii=rng.random() < 0.5).encode()
        cases.append(("gen-json-valid-%d" % i,
                      "local s = %s\nreturn {dump(try(cjson.decode, s)), cjson.encode(cjson.decode(s))}"
                      % _lua_bytes(doc)))
    for i in range(120):
        doc = _mutate(rng, json.dumps(_random_json(rng)).encode())
        cases.append(("gen-json-mutated-%d" % i, "return dump(try(cjson.decode, %s))" % _lua_bytes(doc)))
    # floats: cjson's %.14g both ways, strtod against the oracle's
    floats = [rng.random() * 10 ** rng.randint(-320, 308) for _ in range(40)]
    floats += [struct.unpack(">d", rng.randbytes(8))[0] for _ in range(40)]
    texts = ["%.17g" % f for f in floats if f == f and abs(f) != float("inf")]
    texts += ["%d.%de%d" % (rng.randint(0, 10**18), rng.randint(0, 10**18), rng.randint(-330, 330))
              for _ in range(40)]
    for i in range(0, len(texts), 10):
        chunk = ", ".join(texts[i:i + 10])
        cases.append(("gen-float-%d" % i, "local t = cjson.decode('[%s]')\n"
                      "return {dump(t), cjson.encode(t), hex(cmsgpack.pack(t))}" % chunk))
    # cmsgpack.unpack of random and truncated streams
    for i in range(100):
        data = b"".join(_random_msgpack(rng) for _ in range(rng.randint(1, 3)))
        if rng.random() < 0.3:
            data = data[:rng.randrange(len(data) + 1)]
        cases.append(("gen-msgpack-%d" % i,
                      "local s = %s\nreturn {dump(try(cmsgpack.unpack, s)), dump(try(cmsgpack.unpack_one, s, 1)),"
                      " dump(try(cmsgpack.unpack_limit, s, 2))}" % _lua_bytes(data)))
    # struct formats: random option strings on random data
    opts = ["b", "B", "h", "H", "l", "L", "T", "i", "I", "i3", "I5", "i9", "I16", "f", "d", "x",
            "c2", "c0", "s", ">", "<", "!", "!2", "!4", " ", "z", "="]
    for i in range(60):
        fmt = "".join(rng.choice(opts) for _ in range(rng.randint(1, 5)))
        data = rng.randbytes(rng.randint(0, 24))
        cases.append(("gen-struct-%d" % i,
                      "local f, d = %s, %s\nreturn {dump(try(struct.unpack, f, d)), dump(try(struct.size, f)),"
                      " dump(try(struct.pack, f, 1, 2, 3, 4, 5))}" % (_lua_bytes(fmt.encode()), _lua_bytes(data))))
    # random Lua tables (built by the same code on both servers, so in the same order):
    # cjson's array/object/sparse rules, cmsgpack's array/map rule, on mixed keys and values
    for i in range(40):
        cases.append(("gen-table-%d" % i, _RANDOM_TABLE % rng.randrange(1, 2**31)))
    # bit: random operands, including big and fractional numbers
    vals = [rng.randint(-2**33, 2**33) for _ in range(10)] + [rng.uniform(-2**40, 2**40) for _ in range(5)]
    vals += [2**52 + 0.5, -2**52 - 1.5, 2**53 * 3, 1e17, -1e17, 0.5, 1.5, -0.5, 2**31, -2**31 - 1]
    for i, v in enumerate(vals):
        w = vals[(i * 7 + 3) % len(vals)]
        cases.append(("gen-bit-%d" % i,
                      "local a, b = %r, %r\nreturn {bit.tobit(a), bit.bnot(a), bit.band(a, b), bit.bor(a, b),"
                      " bit.bxor(a, b), bit.lshift(a, b), bit.rshift(a, b), bit.arshift(a, b), bit.rol(a, b),"
                      " bit.ror(a, b), bit.bswap(a), bit.tohex(a), bit.tohex(a, b)}" % (v, w)))
    return cases


def cases() -> list[tuple[str, str]]:
    return hand_written() + generated()
