"""The AOF command format (Redis 7.0 aof.c): RESP multibulk commands, and the base a rewrite writes.

``encode_command`` / ``encode_records`` make what feedAppendOnlyFile appends (a SELECT whenever
the database changes). ``write_base`` is rewriteAppendOnlyFileRio with ``aof-use-rdb-preamble
no``: FUNCTION LOAD per library, then per non-empty db a SELECT and each key as SET, RPUSH, SADD,
ZADD, HMSET (at most 64 items per command, AOF_REWRITE_ITEMS_PER_CMD), streams as XADD + XSETID
+ XGROUP CREATE + XCLAIM (or XGROUP CREATECONSUMER for a consumer with nothing pending), and
PEXPIREAT for a TTL. Scores are written as ``%.17g`` (rioWriteBulkDouble: ``inf``, ``-inf``).
"""
from __future__ import annotations

from collections import deque

import orjson

from ...keyspace.smallhash import SmallHash
from ...keyspace.stream import ID_BASE, Stream, byte_order

ITEMS_PER_CMD = 64                     # AOF_REWRITE_ITEMS_PER_CMD
_FLUSH_AT = 1 << 16                    # write the base in ~64 KiB chunks


def _json_default(obj):
    if isinstance(obj, (deque, set, frozenset)):
        return list(obj)
    raise TypeError(f"Type is not JSON serializable: {type(obj).__name__}")


def _b(v) -> bytes:
    """A Redis string's bytes: str via surrogateescape, a library-stored JSON value as its text."""
    if type(v) is str:
        return v.encode("utf-8", "surrogateescape")
    if isinstance(v, (bytes, bytearray)):
        return bytes(v)
    return orjson.dumps(v, default=_json_default)


def _bulk(b: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(b), b)


def encode_command(args: list) -> bytes:
    """One command as a RESP multibulk (catAppendOnlyGenericCommand)."""
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        b = _b(a)
        parts.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(parts)


def select_command(db: int) -> bytes:
    s = b"%d" % db
    return b"*2\r\n$6\r\nSELECT\r\n$%d\r\n%s\r\n" % (len(s), s)


def encode_records(records, db: int) -> tuple[bytes, int]:
    """Propagation records ``[(db or None, args)]`` as AOF bytes, with a SELECT before a record
    whose db differs from the current one (``db`` = -1: none selected yet). Returns the bytes
    and the db selected after them."""
    out = []
    for rdb, args in records:
        if rdb is not None and rdb != db:
            out.append(select_command(rdb))
            db = rdb
        out.append(encode_command(args))
    return b"".join(out), db


def _id(i: int) -> bytes:
    return b"%d-%d" % divmod(i, ID_BASE)


def _score(s: float) -> bytes:
    return b"%.17g" % s                # Python prints inf / -inf as C's %g does


class _Out:
    """Buffered writes to the file object ``f`` (a rewrite may be GBs: never all in memory)."""
    __slots__ = ("f", "parts", "size", "written")

    def __init__(self, f):
        self.f, self.parts, self.size, self.written = f, [], 0, 0

    def add(self, b: bytes) -> None:
        self.parts.append(b)
        self.size += len(b)
        if self.size >= _FLUSH_AT:
            self.flush()

    def flush(self) -> None:
        if self.parts:
            data = b"".join(self.parts)
            self.f.write(data)
            self.written += len(data)
            self.parts, self.size = [], 0


def _batched(out: _Out, name: bytes, key: bytes, items: list, per_item: int) -> None:
    """``name key item...`` commands of at most 64 items (items are pre-encoded bulks,
    ``per_item`` bulks per item)."""
    n = len(items) // per_item
    head = _bulk(name) + _bulk(key)
    for start in range(0, n, ITEMS_PER_CMD):
        k = min(ITEMS_PER_CMD, n - start)
        out.add(b"*%d\r\n" % (2 + k * per_item) + head
                + b"".join(items[start * per_item:(start + k) * per_item]))


def _bulks(values) -> list:
    return [_bulk(_b(v)) for v in values]


def _write_stream(out: _Out, key: bytes, s: Stream) -> None:
    kb = _bulk(key)
    if len(s):
        for i, fields in s.items():
            out.add(b"*%d\r\n$4\r\nXADD\r\n" % (3 + len(fields)) + kb + _bulk(_id(i))
                    + b"".join(_bulks(fields)))
    else:                               # the XADD MAXLEN 0 trick: an empty stream
        out.add(b"*7\r\n$4\r\nXADD\r\n" + kb + b"$6\r\nMAXLEN\r\n$1\r\n0\r\n$3\r\n0-1\r\n"
                b"$1\r\nx\r\n$1\r\ny\r\n")
    out.add(b"*7\r\n$6\r\nXSETID\r\n" + kb + _bulk(_id(s.last_id)) + b"$12\r\nENTRIESADDED\r\n"
            + _bulk(b"%d" % s.entries_added) + b"$12\r\nMAXDELETEDID\r\n" + _bulk(_id(s.max_deleted_id)))
    for name in s.group_names():
        g = s.groups[name]
        gb = _bulk(_b(name))
        out.add(b"*7\r\n$6\r\nXGROUP\r\n$6\r\nCREATE\r\n" + kb + gb + _bulk(_id(g.last_id))
                + b"$11\r\nENTRIESREAD\r\n" + _bulk(b"%d" % g.entries_read))
        for cname in sorted(g.consumers, key=byte_order):
            cons = g.consumers[cname]
            cb = _bulk(_b(cname))
            if not cons.pel:
                out.add(b"*5\r\n$6\r\nXGROUP\r\n$14\r\nCREATECONSUMER\r\n" + kb + gb + cb)
                continue
            for i, nack in cons.pel.items():
                out.add(b"*12\r\n$6\r\nXCLAIM\r\n" + kb + gb + cb + b"$1\r\n0\r\n" + _bulk(_id(i))
                        + b"$4\r\nTIME\r\n" + _bulk(b"%d" % int(nack.delivery_time))
                        + b"$10\r\nRETRYCOUNT\r\n" + _bulk(b"%d" % nack.delivery_count)
                        + b"$6\r\nJUSTID\r\n$5\r\nFORCE\r\n")


def write_value(out: _Out, key: bytes, value) -> bool:
    """The commands that rebuild one key; False for an empty collection (nothing written)."""
    if type(value) is str or isinstance(value, (int, float, bytes, bytearray)) or value is None:
        out.add(b"*3\r\n$3\r\nSET\r\n" + _bulk(key) + _bulk(_b(value)))
        return True
    if callable(getattr(type(value), "score_dict", None)):   # ZSet (before dict: ScoreDict)
        items = []
        for m, sc in value.score_dict().items():
            items += (_bulk(_score(sc)), _bulk(_b(m)))
        _batched(out, b"ZADD", key, items, 2)
        return bool(items)
    if isinstance(value, (dict, SmallHash)):
        items = []
        for f, v in value.items():
            items += (_bulk(_b(f)), _bulk(_b(v)))
        _batched(out, b"HMSET", key, items, 2)
        return bool(items)
    if isinstance(value, (deque, list)):
        _batched(out, b"RPUSH", key, _bulks(value), 1)
        return bool(value)
    if isinstance(value, (set, frozenset)):
        members = list({_b(m): None for m in value})      # one member per byte string
        _batched(out, b"SADD", key, [_bulk(m) for m in members], 1)
        return bool(members)
    if isinstance(value, Stream):
        _write_stream(out, key, value)
        return True
    raise TypeError(f"cannot write a {type(value).__name__} to the AOF")


def write_base(f, keyspace, functions=None) -> int:
    """The whole dataset as commands to the binary file object ``f``; returns the bytes written.
    ``functions``: the libraries' sources, or the Functions service (its ``codes()``); None:
    ``keyspace.functions``."""
    out = _Out(f)
    if functions is None:
        functions = keyspace.functions
    if hasattr(functions, "codes"):
        functions = functions.codes()
    for code in functions or ():
        out.add(b"*3\r\n$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n" + _bulk(_b(code)))
    for index, db in enumerate(keyspace.dbs):
        if not db.data:
            continue
        out.add(select_command(index))
        expires = db.expires
        seen: set = set()
        for key, value in list(db.data.items()):
            kb = key.encode("utf-8", "surrogateescape")
            if not key.isascii():       # two str spellings of the same bytes are one Redis key
                if kb in seen:
                    continue
                seen.add(kb)
            if not write_value(out, kb, value):
                continue
            ms = expires.get(key)
            if ms is not None:
                out.add(b"*3\r\n$9\r\nPEXPIREAT\r\n" + _bulk(kb) + _bulk(b"%d" % int(ms)))
    out.flush()
    return out.written
