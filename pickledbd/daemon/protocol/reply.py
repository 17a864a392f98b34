"""RESP2/RESP3 replies: the reply types handlers return and their writers.

Knows nothing of commands. Handlers return plain Python values and the connection's
protocol version decides their wire form:

    bytes        already encoded, written as is (e.g. OK)
    str          bulk string (lone surrogates carry non-UTF-8 bytes)
    int          integer
    None         null bulk (RESP2 ``$-1``, RESP3 ``_``)
    NULL_ARRAY   null array (RESP2 ``*-1``, RESP3 ``_``)
    list/tuple   array
    dict         map (RESP2: flat array of key, value, ...)
    SetReply     set (RESP2: array)
    float        double (RESP2: bulk string, ``%.17g`` as Redis 7.0 prints it)
    bool         boolean (RESP2: integer 1/0)
    Status       simple string
    Verbatim     verbatim string (RESP2: bulk string)
    RedisError   error reply
"""
from __future__ import annotations

import math

from .. import speedups
from ..errors import RedisError

__all__ = [
    "OK", "PONG", "QUEUED", "NULL_ARRAY", "EMPTY_ARRAY",
    "Status", "SetReply", "Verbatim", "BigNumber", "Push", "RedisError",
    "encode", "encode2", "encode3", "encode_bulk", "format_double",
]

OK = b"+OK\r\n"
PONG = b"+PONG\r\n"
QUEUED = b"+QUEUED\r\n"
EMPTY_ARRAY = b"*0\r\n"


class _NullArray:
    __slots__ = ()

    def __repr__(self):
        return "NULL_ARRAY"


NULL_ARRAY = _NullArray()


class Status(str):
    """A simple-string reply (``+...``)."""


class SetReply(list):
    """An array that RESP3 sends as a set (``~``)."""


class Push(list):
    """An out-of-band message: RESP3 push (``>``), RESP2 array."""


class Verbatim(str):
    """A verbatim string (RESP3 ``=``, format ``txt``); RESP2 sends a bulk string."""


class BigNumber(str):
    """A big number (RESP3 ``(``, its digits); RESP2 sends a bulk string."""


def _b(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


def encode_bulk(s: str) -> bytes:
    e = s.encode("utf-8", "surrogateescape")
    return b"$%d\r\n%s\r\n" % (len(e), e)


def format_double(x: float) -> str:
    """Doubles as Redis 7.0 prints them (``%.17g``, ``inf``/``-inf``)."""
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == int(x) and abs(x) < 1e17:
        return "%d" % x if x or math.copysign(1.0, x) > 0 else "-0"   # %.17g keeps -0
    return "%.17g" % x


def _error_line(e: RedisError) -> bytes:
    msg = e.message.replace("\r", " ").replace("\n", " ")
    return b"-%s\r\n" % _b(msg)


_ALL_STR = {frozenset((str,)): (str,)}


def _make_encoder(resp3: bool):
    null = b"_\r\n" if resp3 else b"$-1\r\n"
    null_array = b"_\r\n" if resp3 else b"*-1\r\n"

    def enc_str(v):
        e = v.encode("utf-8", "surrogateescape")
        return b"$%d\r\n%s\r\n" % (len(e), e)

    def enc_int(v):
        return b":%d\r\n" % v

    def enc_list(v):
        if v and str in _ALL_STR.get(frozenset(map(type, v)), ()):
            # LRANGE, MGET, KEYS...: only plain strings, encoded in one comprehension
            parts = [x.encode("utf-8", "surrogateescape") for x in v]
            return b"*%d\r\n%s" % (len(v), b"".join([b"$%d\r\n%s\r\n" % (len(e), e) for e in parts]))
        parts = [b"*%d\r\n" % len(v)]
        parts.extend([encode_one(x) for x in v])
        return b"".join(parts)

    def enc_set(v):
        parts = [(b"~%d\r\n" if resp3 else b"*%d\r\n") % len(v)]
        parts.extend([encode_one(x) for x in v])
        return b"".join(parts)

    def enc_push(v):
        parts = [(b">%d\r\n" if resp3 else b"*%d\r\n") % len(v)]
        parts.extend([encode_one(x) for x in v])
        return b"".join(parts)

    def enc_dict(v):
        if resp3:
            parts = [b"%%%d\r\n" % len(v)]
        else:
            parts = [b"*%d\r\n" % (2 * len(v))]
        for k, x in v.items():
            parts.append(encode_one(k))
            parts.append(encode_one(x))
        return b"".join(parts)

    def enc_float(v):
        if resp3:
            if math.isinf(v):
                return b",inf\r\n" if v > 0 else b",-inf\r\n"
            return b",%s\r\n" % format_double(v).encode()
        return enc_str(format_double(v))

    def enc_bool(v):
        if resp3:
            return b"#t\r\n" if v else b"#f\r\n"
        return b":1\r\n" if v else b":0\r\n"

    def enc_status(v):
        return b"+%s\r\n" % _b(v)

    def enc_big(v):
        return b"(%s\r\n" % _b(v) if resp3 else enc_str(v)

    def enc_verbatim(v):
        if not resp3:
            return enc_str(v)
        e = _b(v)
        return b"=%d\r\ntxt:%s\r\n" % (len(e) + 4, e)

    table = {
        bytes: lambda v: v,
        str: enc_str,
        int: enc_int,
        type(None): lambda v: null,
        _NullArray: lambda v: null_array,
        list: enc_list,
        tuple: enc_list,
        dict: enc_dict,
        SetReply: enc_set,
        Push: enc_push,
        float: enc_float,
        bool: enc_bool,
        Status: enc_status,
        Verbatim: enc_verbatim,
        BigNumber: enc_big,
        RedisError: _error_line,
    }

    def encode_one(v):
        f = table.get(type(v))
        if f is None:
            if isinstance(v, RedisError):
                return _error_line(v)
            raise TypeError("cannot encode reply of type %s" % type(v).__name__)
        return f(v)

    return encode_one


encode2 = _make_encoder(False)
encode3 = _make_encoder(True)
# the reference encoders; the compiled ones (daemon/speedups.py) hand them every type they
# do not encode themselves, so the bytes are the same
pure_encode2, pure_encode3 = encode2, encode3
if speedups.COMPILED:
    encode2 = speedups.Encoder(False, pure_encode2)
    encode3 = speedups.Encoder(True, pure_encode3)


def encode(v, resp3: bool = False) -> bytes:
    return encode3(v) if resp3 else encode2(v)
