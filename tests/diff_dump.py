"""DUMP / RESTORE for the differential test, plus encoders of Redis's compact blobs (ziplist,
listpack, intset, zipmap) and payload framing, shared with tests/test_dump.py.

The payloads given to RESTORE are valid ones of every type Redis 7.0 loads, and invalid ones
that redis-server refuses whatever its ``sanitize-dump-payload`` setting (checksum, version,
short reads, empty collections, NaN scores, duplicate members of plain sets, unknown types):
the reference server of the differential test runs with the default (``no``).
"""
from __future__ import annotations

import struct

from diff_commands import C, flags, k, opt
from hypothesis import strategies as st

from pickledbd.daemon.keyspace.stream import Consumer, Group, Nack, Stream, make_id
from pickledbd.daemon.persistence.rdb import crc64, dump_payload


# ---- encoders ---------------------------------------------------------------------------------
def rlen(n: int) -> bytes:
    if n < 64:
        return bytes((n,))
    if n < 16384:
        return bytes((0x40 | n >> 8, n & 0xFF))
    if n <= 0xFFFFFFFF:
        return b"\x80" + n.to_bytes(4, "big")
    return b"\x81" + n.to_bytes(8, "big")


def rstr(b: bytes) -> bytes:
    return rlen(len(b)) + b


def payload(rtype: int, body: bytes, version: int = 10, crc: bool = True) -> bytes:
    data = bytes((rtype,)) + body + version.to_bytes(2, "little")
    return data + (crc64(data) if crc else 0).to_bytes(8, "little")


def _zl_entry(prev: int, e) -> bytes:
    pl = bytes((prev,)) if prev < 254 else b"\xfe" + prev.to_bytes(4, "little")
    if isinstance(e, int):
        if 0 <= e <= 12:
            enc = bytes((0xF1 + e,))
        elif -128 <= e < 128:
            enc = b"\xfe" + e.to_bytes(1, "little", signed=True)
        elif -32768 <= e < 32768:
            enc = b"\xc0" + e.to_bytes(2, "little", signed=True)
        elif -2**23 <= e < 2**23:
            enc = b"\xf0" + e.to_bytes(3, "little", signed=True)
        elif -2**31 <= e < 2**31:
            enc = b"\xd0" + e.to_bytes(4, "little", signed=True)
        else:
            enc = b"\xe0" + e.to_bytes(8, "little", signed=True)
    else:
        n = len(e)
        if n < 64:
            enc = bytes((n,)) + e
        elif n < 16384:
            enc = bytes((0x40 | n >> 8, n & 0xFF)) + e
        else:
            enc = b"\x80" + n.to_bytes(4, "big") + e
    return pl + enc


def ziplist(entries, count=None) -> bytes:
    body, prev, tail = b"", 0, 10
    for e in entries:
        ent = _zl_entry(prev, e)
        tail = 10 + len(body)
        body += ent
        prev = len(ent)
    n = len(entries) if count is None else count
    return struct.pack("<IIH", 10 + len(body) + 1, tail, n) + body + b"\xff"


def _backlen(n: int) -> bytes:
    if n <= 127:
        return bytes((n,))
    if n < 16383:
        return bytes((n >> 7, (n & 127) | 128))
    return bytes((n >> 14, ((n >> 7) & 127) | 128, (n & 127) | 128))


def _lp_entry(e) -> bytes:
    if isinstance(e, int):
        if 0 <= e <= 127:
            enc = bytes((e,))
        elif -4096 <= e < 4096:
            u = e & 0x1FFF
            enc = bytes((0xC0 | u >> 8, u & 0xFF))
        elif -32768 <= e < 32768:
            enc = b"\xf1" + e.to_bytes(2, "little", signed=True)
        elif -2**23 <= e < 2**23:
            enc = b"\xf2" + e.to_bytes(3, "little", signed=True)
        elif -2**31 <= e < 2**31:
            enc = b"\xf3" + e.to_bytes(4, "little", signed=True)
        else:
            enc = b"\xf4" + e.to_bytes(8, "little", signed=True)
    else:
        n = len(e)
        if n < 64:
            enc = bytes((0x80 | n,)) + e
        elif n < 4096:
            enc = bytes((0xE0 | n >> 8, n & 0xFF)) + e
        else:
            enc = b"\xf0" + n.to_bytes(4, "little") + e
    return enc + _backlen(len(enc))


def listpack(entries, count=None) -> bytes:
    body = b"".join(_lp_entry(e) for e in entries)
    n = len(entries) if count is None else count
    return struct.pack("<IH", 6 + len(body) + 1, n) + body + b"\xff"


def intset(vals, width=None) -> bytes:
    if width is None:
        width = 2 if all(-32768 <= v < 32768 for v in vals) else 4 if all(-2**31 <= v < 2**31 for v in vals) else 8
    fmt = {2: "h", 4: "i", 8: "q"}.get(width, "h")     # another width: a corrupt header
    return struct.pack("<II", width, len(vals)) + struct.pack("<%d%s" % (len(vals), fmt), *vals)


def zipmap(pairs, count=None) -> bytes:
    def ln(n):
        return bytes((n,)) if n < 254 else b"\xfe" + n.to_bytes(4, "little")
    out = bytes((len(pairs) if count is None else count,))
    for f, v in pairs:
        out += ln(len(f)) + f + ln(len(v)) + b"\x00" + v
    return out + b"\xff"


# ---- payloads -----------------------------------------------------------------------------------
def sample_stream() -> Stream:
    """Entries with the same and with other fields than their node's first, a deleted entry, a
    group with a PEL of two consumers, an empty group, a consumer without pending entries."""
    s = Stream()
    for n in range(1, 8):
        s.append(make_id(1000 + n // 2, n), ("f", str(n), "g", "x" * n) if n % 3 else ("other", "-%d" % n))
    s.delete(make_id(1001, 3))
    s.max_deleted_id = make_id(1001, 3)
    g = s.groups["g1"] = Group("g1", make_id(1002, 4), 4)
    s.groups["g2"] = Group("g2", make_id(1003, 7), -1)
    for cname, ids in (("alice", (make_id(1000, 1), make_id(1001, 2))), ("bob", (make_id(1002, 4),)), ("carol", ())):
        cons = g.consumers[cname] = Consumer(cname, 1700000000000)
        for i in ids:
            g.pel[i] = cons.pel[i] = Nack(cons, 1700000000123, 2)
    return s


VALID = {
    "string": payload(0, rstr(b"hello")),
    "int8": payload(0, b"\xc0\x85"),
    "int32": payload(0, b"\xc2" + (123456).to_bytes(4, "little")),
    "lzf": payload(0, b"\xc3" + rlen(5) + rlen(6) + b"\x01ab\x40\x01"),   # "ab" + "abab"
    "list": payload(1, rlen(3) + rstr(b"a") + b"\xc0\x07" + rstr(b"\xff\x00")),
    "set": payload(2, rlen(3) + rstr(b"a") + rstr(b"1") + rstr(b"z" * 70)),
    "zset": payload(3, rlen(2) + rstr(b"a") + b"\x031.5" + rstr(b"b") + b"\xfe"),
    "hash": payload(4, rlen(2) + rstr(b"f") + rstr(b"v") + rstr(b"g") + b"\xc0\x01"),
    "zset2": payload(5, rlen(2) + rstr(b"a") + struct.pack("<d", 2.5) + rstr(b"b") + struct.pack("<d", -1.0)),
    "zipmap": payload(9, rstr(zipmap([(b"f1", b"v1"), (b"f2", b"v" * 300)]))),
    "ziplist": payload(10, rstr(ziplist([b"a", 5, -300, 70000, 2**40, b"x" * 100]))),
    "intset": payload(11, rstr(intset([-5, 1, 2, 70000]))),
    "zset_ziplist": payload(12, rstr(ziplist([b"a", b"1.5", b"b", 2, b"c", 3]))),
    "hash_ziplist": payload(13, rstr(ziplist([b"f", b"v", b"1", 2]))),
    "quicklist": payload(14, rlen(2) + rstr(ziplist([b"a", b"b"])) + rstr(ziplist([1, 2, 3]))),
    "hash_listpack": payload(16, rstr(listpack([b"f", b"v", b"g", 12]))),
    "zset_listpack": payload(17, rstr(listpack([b"m", b"2.5", b"n", 3]))),
    "quicklist2": payload(18, rlen(2) + rlen(2) + rstr(listpack([b"a", 7, -2000, 2**40])) + rlen(1) + rstr(b"plain")),
    "stream": dump_payload(sample_stream()),
}
INVALID = {
    "crc": payload(0, rstr(b"hello"), crc=False),
    "version": payload(0, rstr(b"hello"), version=11),
    "short": b"\x00\x0a\x00" + b"\x00" * 6,
    "short_string": payload(0, b"\x80\xff\xff\xff\xff" + b"a"),
    "huge_count": payload(1, b"\x81" + (2**63).to_bytes(8, "big") + rstr(b"a")),
    "empty_list": payload(1, rlen(0)),
    "empty_ziplist": payload(10, rstr(ziplist([]))),
    "empty_intset": payload(11, rstr(intset([]))),
    "set_dup": payload(2, rlen(2) + rstr(b"a") + rstr(b"a")),
    "nan": payload(5, rlen(1) + rstr(b"a") + struct.pack("<d", float("nan"))),
    "zset_dup": payload(5, rlen(2) + rstr(b"a") + struct.pack("<d", 1) + rstr(b"a") + struct.pack("<d", 2)),
    "type8": payload(8, rlen(0)),
    "type20": payload(20, rlen(0)),
    "module": payload(7, rlen(12345)),
    "lzf_bomb": payload(0, b"\xc3" + rlen(3) + rlen(10**9) + b"\x00ab"),
    "ziplist_badcount": payload(10, rstr(ziplist([b"a"], count=2))),
    "quicklist_container": payload(18, rlen(1) + rlen(3) + rstr(listpack([b"a"]))),
}
PAYLOADS = list(VALID.values()) + list(INVALID.values())

pl = st.sampled_from(PAYLOADS)
ttl = st.sampled_from([b"0", b"100000", b"-1", b"x", b"4102444800000"])   # no 1 ms race


def family():
    return st.one_of(
        C(b"DUMP", k, mode="shape"),
        C(b"RESTORE", k, ttl, pl, flags(b"REPLACE", b"ABSTTL")),
        C(b"RESTORE", k, b"0", pl, b"REPLACE", opt(st.sampled_from([b"IDLETIME", b"FREQ"]),
                                                   st.sampled_from([b"10", b"-1", b"256", b"x"]))),
        C(b"RESTORE", k, b"0", pl, st.sampled_from([b"BAD", b"IDLETIME", b"FREQ"])),
        C(b"RESTORE", k, ttl, pl, b"REPLACE", b"IDLETIME", b"1", b"FREQ", b"1"),
        C(b"MIGRATE", b"", b"80", k, b"0", b"100", opt(st.sampled_from([b"COPY", b"REPLACE"]))),
        C(b"MIGRATE", b"127.0.0.1", b"80", k, st.sampled_from([b"0", b"x"]), st.sampled_from([b"100", b"x"]),
          st.sampled_from([b"KEYS", b"AUTH", b"AUTH2", b"BAD"])),
    )
