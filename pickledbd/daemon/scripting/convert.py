"""Conversions between replies and Lua values, as Redis's script_lua.c does them.

Reply -> Lua (what ``redis.call`` returns), by the script's protocol (``redis.setresp``):
bulk string -> string, integer -> number, status -> ``{ok=...}``, error -> ``{err=...}``,
array -> table; null -> false (RESP2) or nil (RESP3); under RESP3 map -> ``{map={...}}``,
set -> ``{set={member=true}}``, double -> ``{double=n}``, boolean -> boolean, verbatim ->
``{verbatim_string={format=..., string=...}}``, big number -> ``{big_number=...}``.

Lua -> reply (what a script returns), by the caller's protocol: string -> bulk, number ->
integer (truncated), true -> 1 (RESP3: #t), false -> null (RESP3: #f), nil -> null,
``{err=...}`` -> error, ``{ok=...}`` -> status, ``{double=..}``/``{map=..}``/``{set=..}``/
``{big_number=..}``/``{verbatim_string=..}`` -> those types, any other table -> array of
its elements up to the first nil.
"""
from __future__ import annotations

import math

import hiredis
from lupa import lua51

from ..errors import RedisError
from ..protocol.reply import NULL_ARRAY, BigNumber, Push, SetReply, Status, Verbatim, format_double

lua_type = lua51.lua_type

_PREENCODED = {b"+OK\r\n": Status("OK"), b"+PONG\r\n": Status("PONG"), b"+QUEUED\r\n": Status("QUEUED")}


def _b(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


def _s(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


class ToLua:
    """Reply values -> Lua values for one Lua runtime."""

    def __init__(self, lua):
        self.table = lua.table_from

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
            return self.table({b"err": _b(v.message)})
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
            return _b(format_double(v))
        if cls is bool:
            return v if resp3 else int(v)
        if cls is Verbatim:
            if resp3:
                return self.table({b"verbatim_string": self.table({b"format": b"txt", b"string": _b(v)})})
            return _b(v)
        if cls is BigNumber:
            return self.table({b"big_number": _b(v)}) if resp3 else _b(v)
        raise TypeError("cannot convert a %s reply for Lua" % cls.__name__)


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


def to_reply(v, resp3: bool):
    """A script's Lua return value -> a reply value; ``resp3``: the script chose RESP3 with
    redis.setresp(3) (booleans then stay booleans; the caller's protocol encodes the rest)."""
    cls = v.__class__
    if cls is bytes:
        return _s(v)
    if cls is int:
        return v
    if cls is float:
        return _truncate(v)
    if v is None:
        return None
    if cls is bool:
        if resp3:
            return v
        return 1 if v else None
    if lua_type(v) == "table":
        return _table_to_reply(v, resp3)
    return None                 # functions, userdata, threads: nil (as Redis)


def _truncate(x: float) -> int:
    """(long long) of a double, as C on x86-64: NaN, infinities and out-of-range values give
    LLONG_MIN."""
    if math.isnan(x) or math.isinf(x) or not -9.223372036854775808e18 <= x < 9.223372036854775808e18:
        return -(1 << 63)
    return int(x)


def _table_to_reply(t, resp3: bool):
    err = t[b"err"]
    if err.__class__ is bytes:
        return RedisError(_s(err))
    ok = t[b"ok"]
    if ok.__class__ is bytes:
        return Status(_s(ok))
    double = t[b"double"]
    if double is not None and double.__class__ in (int, float):
        return float(double)
    m = t[b"map"]
    if m is not None and lua_type(m) == "table":
        return {_key(k, resp3): to_reply(x, resp3) for k, x in m.items()}
    s = t[b"set"]
    if s is not None and lua_type(s) == "table":
        return SetReply([_key(k, resp3) for k in s.keys()])
    big = t[b"big_number"]
    if big.__class__ is bytes:
        return BigNumber(_s(big))
    vs = t[b"verbatim_string"]
    if vs is not None and lua_type(vs) == "table":
        string = vs[b"string"]
        if string.__class__ is bytes:
            return Verbatim(_s(string))
    out = []
    i = 1
    while True:
        x = t[i]
        if x is None:
            return out
        out.append(to_reply(x, resp3))
        i += 1


def _key(k, resp3: bool):
    return to_reply(k, resp3)
