"""Decode Redis 7.0 RDB objects: DUMP payloads (RESTORE), and the start of loading Redis's files.

::

    decode_dump(data) -> value            # RESTORE: verify + load, RedisError with Redis's texts
    verify_payload(data) -> bool          # footer: RDB version <= 10 and CRC64 (verifyDumpPayload)
    load_payload(data) -> value           # type byte + object, as rdbLoadObjectType + rdbLoadObject
    load_object(rtype, reader) -> value   # one object of an RDB type from a Reader

Values come out in the daemon's data model (keyspace/database.py): ``str`` strings (bytes via
surrogateescape), ``deque`` lists, ``set`` sets, ``dict`` hashes, ``ZSet`` sorted sets,
``Stream`` streams (keyspace/stream.py; tombstones are dropped, the rest is kept as is).

Every type redis-server 7.0 writes or loads is read: STRING (plain, int-encoded, LZF), LIST
(1), SET (2), ZSET (3), ZSET_2 (5), HASH (4), HASH_ZIPMAP (9), LIST_ZIPLIST (10), SET_INTSET
(11), ZSET_ZIPLIST (12), HASH_ZIPLIST (13), LIST_QUICKLIST (14), STREAM_LISTPACKS (15),
HASH_LISTPACK (16), ZSET_LISTPACK (17), LIST_QUICKLIST_2 (18), STREAM_LISTPACKS_2 (19).
Module values (6, 7) are refused (``Corrupt``). Validation is what ``sanitize-dump-payload
yes`` does in Redis (deep ziplist / listpack / intset / zipmap / stream listpack checks,
duplicates, NaN scores, empty collections); any failure raises ``Corrupt`` and RESTORE
answers ``ERR Bad data format``. Stricter than Redis, where Redis would load an inconsistent
object: stream IDs out of order, a stream length or last ID that does not match its entries.
A zset listpack/ziplist whose members are not in score order is sorted (Redis trusts the
order and keeps a broken zset).

Memory: nothing is allocated from a claimed length before the bytes are there (a count of
2^32 elements is read element by element and fails at the end of the payload, each element
takes at least one byte); an LZF string's claimed size is capped by what its compressed bytes
can expand to.
"""
from __future__ import annotations

import math
import re
import struct
from collections import deque

from ..errors import RedisError
from ..keyspace.stream import INVALID_READ, Consumer, Group, Nack, Stream, id_parts, make_id
from ..keyspace.stream import backlen_size as _backlen_size
from ..keyspace.zset import ZSet
from .rdb import RDB_VERSION, crc64

(T_STRING, T_LIST, T_SET, T_ZSET, T_HASH, T_ZSET_2, T_MODULE, T_MODULE_2, _, T_HASH_ZIPMAP,
 T_LIST_ZIPLIST, T_SET_INTSET, T_ZSET_ZIPLIST, T_HASH_ZIPLIST, T_LIST_QUICKLIST,
 T_STREAM_LISTPACKS, T_HASH_LISTPACK, T_ZSET_LISTPACK, T_LIST_QUICKLIST_2,
 T_STREAM_LISTPACKS_2) = range(20)

_U16 = struct.Struct("<H").unpack_from
_U32 = struct.Struct("<I").unpack_from
_DOUBLE = struct.Struct("<d").unpack_from
_INTS = {1: "<b", 2: "<h", 4: "<i", 8: "<q"}


class Corrupt(Exception):
    """The payload does not decode to a valid object (Redis: ``ERR Bad data format``)."""


BAD_PAYLOAD = RedisError("ERR DUMP payload version or checksum are wrong")
BAD_DATA = RedisError("ERR Bad data format")


def decode_dump(data: bytes):
    """What RESTORE does with its payload argument: the footer check, then the object."""
    if not verify_payload(data):
        raise BAD_PAYLOAD
    try:
        return load_payload(data)
    except Corrupt:
        raise BAD_DATA from None
    except (IndexError, ValueError, OverflowError, MemoryError, struct.error):   # never crash
        raise BAD_DATA from None


def _s(b) -> str:
    return bytes(b).decode("utf-8", "surrogateescape")


def verify_payload(data: bytes) -> bool:
    """verifyDumpPayload: 2-byte little-endian RDB version (<= 10), then the CRC64 of all before."""
    if len(data) < 10 or _U16(data, len(data) - 10)[0] > RDB_VERSION:
        return False
    return crc64(memoryview(data)[:-8]) == int.from_bytes(data[-8:], "little")


def load_payload(data: bytes):
    """The object of a verified DUMP payload. Like Redis, the reader sees the whole buffer
    (footer included) and bytes left after the object are not checked."""
    r = Reader(data)
    rtype = r.byte()
    return load_object(rtype, r)


class Reader:
    """rio over a buffer: reads fail (Corrupt) past the end."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise Corrupt("short read")
        b = self.data[self.pos]
        self.pos += 1
        return b

    def take(self, n: int) -> bytes:
        if n > len(self.data) - self.pos:
            raise Corrupt("short read")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def length_ex(self) -> tuple[int, bool]:
        """rdbLoadLenByRef: (length, False) or (encoding type, True)."""
        first = self.byte()
        kind = first >> 6
        if kind == 0:
            return first & 0x3F, False
        if kind == 1:
            return ((first & 0x3F) << 8) | self.byte(), False
        if kind == 3:
            return first & 0x3F, True
        if first == 0x80:
            return int.from_bytes(self.take(4), "big"), False
        if first == 0x81:
            return int.from_bytes(self.take(8), "big"), False
        raise Corrupt("unknown length encoding")

    def length(self) -> int:
        return self.length_ex()[0]    # rdbLoadLen: an encoded byte reads as its 6-bit value

    def string(self) -> bytes:
        """rdbGenericLoadStringObject: raw, int8/16/32 or LZF."""
        n, encoded = self.length_ex()
        if not encoded:
            return self.take(n)
        if n <= 2:
            v = int.from_bytes(self.take(1 << n), "little", signed=True)
            return b"%d" % v
        if n == 3:
            clen = self.length()
            out_len = self.length()
            return lzf_decompress(self.take(clen), out_len)
        raise Corrupt("unknown string encoding")

    def binary_double(self) -> float:
        return _DOUBLE(self.take(8))[0]

    def text_double(self) -> float:
        """rdbLoadDoubleValue (ZSET type 3): length byte, 253 nan, 254 inf, 255 -inf, else text."""
        n = self.byte()
        if n == 253:
            return math.nan
        if n == 254:
            return math.inf
        if n == 255:
            return -math.inf
        m = _STRTOD.match(self.take(n))      # sscanf("%lg") must read a number
        if m is None:
            raise Corrupt("bad double")
        return float(m.group(1))


_STRTOD = re.compile(rb"\s*([+-]?(?:inf(?:inity)?|nan|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?))", re.I)


def _strtod(b: bytes) -> float:
    """strtod / sscanf("%lg") on a prefix: what is not a number reads as 0."""
    m = _STRTOD.match(bytes(b))
    return float(m.group(1)) if m else 0.0


# -- LZF ----------------------------------------------------------------------------------------
MAX_LZF_RATIO = 90    # a back reference of 2-3 bytes yields at most 264 bytes


def lzf_decompress(data: bytes, out_len: int) -> bytes:
    """liblzf's lzf_decompress; the output must be exactly ``out_len`` bytes. A claimed length
    the input cannot expand to is refused before any work."""
    if out_len > MAX_LZF_RATIO * len(data) + 64:
        raise Corrupt("lzf length")
    out = bytearray()
    i, n = 0, len(data)
    while i < n:
        ctrl = data[i]
        i += 1
        if ctrl < 32:
            run = ctrl + 1
            if i + run > n:
                raise Corrupt("lzf literal")
            out += data[i:i + run]
            i += run
        else:
            run = ctrl >> 5
            if run == 7:
                if i >= n:
                    raise Corrupt("lzf")
                run += data[i]
                i += 1
            if i >= n:
                raise Corrupt("lzf")
            back = ((ctrl & 0x1F) << 8) + data[i] + 1
            i += 1
            start = len(out) - back
            if start < 0:
                raise Corrupt("lzf back reference")
            run += 2
            if back >= run:
                out += out[start:start + run]
            else:                              # overlapping: the last `back` bytes repeat
                chunk = bytes(out[start:])
                out += (chunk * (run // back + 1))[:run]
        if len(out) > out_len:
            raise Corrupt("lzf overflow")
    if len(out) != out_len:
        raise Corrupt("lzf size")
    return bytes(out)


# -- ziplist (ziplist.c: ziplistValidateIntegrity with deep=1) ---------------------------------

def ziplist_entries(zl: bytes) -> list[bytes]:
    size = len(zl)
    if size < 11 or _U32(zl, 0)[0] != size or zl[-1] != 0xFF:
        raise Corrupt("ziplist header")
    tail = _U32(zl, 4)[0]
    if tail > size - 1:
        raise Corrupt("ziplist tail")
    header_count = _U16(zl, 8)[0]
    end = size - 1
    p, prev, prev_raw = 10, None, 0
    out = []
    while zl[p] != 0xFF:
        # prevlen
        if zl[p] < 254:
            prevlen, plen = zl[p], 1
        else:
            if p + 5 > end:
                raise Corrupt("ziplist prevlen")
            prevlen, plen = _U32(zl, p + 1)[0], 5
        q = p + plen
        if q >= end:
            raise Corrupt("ziplist entry")
        enc = zl[q]
        top = enc >> 6
        if top == 0:
            hlen, dlen = 1, enc & 0x3F
        elif top == 1:
            if q + 2 > end:
                raise Corrupt("ziplist entry")
            hlen, dlen = 2, ((enc & 0x3F) << 8) | zl[q + 1]
        elif top == 2:
            if q + 5 > end:
                raise Corrupt("ziplist entry")
            hlen, dlen = 5, int.from_bytes(zl[q + 1:q + 5], "big")
        elif enc == 0xC0:
            hlen, dlen = 1, 2
        elif enc == 0xD0:
            hlen, dlen = 1, 4
        elif enc == 0xE0:
            hlen, dlen = 1, 8
        elif enc == 0xF0:
            hlen, dlen = 1, 3
        elif enc == 0xFE:
            hlen, dlen = 1, 1
        elif 0xF1 <= enc <= 0xFD:
            hlen, dlen = 1, 0
        else:
            raise Corrupt("ziplist encoding")
        start = q + hlen
        stop = start + dlen
        if stop > end:
            raise Corrupt("ziplist entry overflow")
        if prevlen != prev_raw:
            raise Corrupt("ziplist prevlen mismatch")
        if top < 3:
            out.append(zl[start:stop])
        elif dlen == 0:
            out.append(b"%d" % ((enc & 0x0F) - 1))
        else:
            v = int.from_bytes(zl[start:stop], "little", signed=True)
            out.append(b"%d" % v)
        prev_raw = stop - p
        prev = p
        p = stop
    if p != end:
        raise Corrupt("ziplist end")
    if prev is not None and prev != tail:
        raise Corrupt("ziplist tail mismatch")
    if header_count != 0xFFFF and len(out) != header_count:
        raise Corrupt("ziplist count")
    return out


# -- listpack (listpack.c: lpValidateIntegrity with deep=1) ------------------------------------


def listpack_entries(lp: bytes) -> list[bytes]:
    size = len(lp)
    if size < 7 or _U32(lp, 0)[0] != size or lp[-1] != 0xFF:
        raise Corrupt("listpack header")
    numele = _U16(lp, 4)[0]
    last = size - 1          # OUT_OF_RANGE: p < 6 or p > last
    p = 6
    out = []
    while lp[p] != 0xFF:
        enc = lp[p]
        if enc < 0x80:                                   # 7-bit uint
            need, elen = 1, 1
            val = b"%d" % enc
        elif enc < 0xC0:                                 # 6-bit string
            need, elen = 1, 1 + (enc & 0x3F)
            val, hdr = None, 1
        elif enc < 0xE0:                                 # 13-bit int
            need, elen = 1, 2
            val = 13
        elif enc < 0xF0:                                 # 12-bit string
            need = 2
            val, hdr = None, 2
        elif enc == 0xF0:                                # 32-bit string
            need = 5
            val, hdr = None, 5
        elif 0xF1 <= enc <= 0xF4:
            need, elen = 1, {0xF1: 3, 0xF2: 4, 0xF3: 5, 0xF4: 9}[enc]
            val = enc
        else:
            raise Corrupt("listpack encoding")
        if p + need > last:
            raise Corrupt("listpack entry")
        if need == 2:
            slen = ((enc & 0x0F) << 8) | lp[p + 1]
            elen = 2 + slen
        elif need == 5:
            slen = _U32(lp, p + 1)[0]
            elen = 5 + slen
        bl = _backlen_size(elen)
        nxt = p + elen + bl
        if nxt > last:
            raise Corrupt("listpack entry overflow")
        # lpDecodeBacklen from the entry's last byte, backwards
        q, shift, got = nxt - 1, 0, 0
        while True:
            got |= (lp[q] & 127) << shift
            if not lp[q] & 128:
                break
            shift += 7
            q -= 1
            if shift > 28:
                raise Corrupt("listpack backlen")
        if got != elen:
            raise Corrupt("listpack backlen mismatch")
        if val is None:
            out.append(lp[p + hdr:p + elen])
        elif type(val) is bytes:
            out.append(val)
        elif val == 13:
            u = ((enc & 0x1F) << 8) | lp[p + 1]
            out.append(b"%d" % (u - 8192 if u >= 4096 else u))
        else:
            out.append(b"%d" % int.from_bytes(lp[p + 1:p + elen], "little", signed=True))
        p = nxt
    if p != last:
        raise Corrupt("listpack end")
    if numele != 0xFFFF and numele != len(out):
        raise Corrupt("listpack count")
    return out


# -- intset, zipmap ------------------------------------------------------------------------------

def intset_members(data: bytes) -> list[bytes]:
    if len(data) < 8:
        raise Corrupt("intset header")
    width = _U32(data, 0)[0]
    if width not in (2, 4, 8):
        raise Corrupt("intset encoding")
    count = _U32(data, 4)[0]
    if 8 + count * width != len(data) or count == 0:
        raise Corrupt("intset size")
    vals = struct.unpack_from("<%d%s" % (count, _INTS[width][1]), data, 8)
    prev = None
    for v in vals:
        if prev is not None and v <= prev:
            raise Corrupt("intset order")
        prev = v
    return [b"%d" % v for v in vals]


def zipmap_pairs(zm: bytes) -> list[tuple[bytes, bytes]]:
    size = len(zm)
    if size < 2 or zm[-1] != 0xFF:
        raise Corrupt("zipmap header")

    def out_of_range(p):
        return p < 2 or p > size - 1

    def length(p):
        return (zm[p], 1) if zm[p] < 254 else (_U32(zm, p + 1)[0], 5)

    pairs = []
    p = 1
    while zm[p] != 0xFF:
        s = 1 if zm[p] < 254 else 5
        if out_of_range(p + s):
            raise Corrupt("zipmap")
        n, s = length(p)
        p += s
        field = zm[p:p + n]
        p += n
        if out_of_range(p):
            raise Corrupt("zipmap")
        s = 1 if zm[p] < 254 else 5
        if out_of_range(p + s):
            raise Corrupt("zipmap")
        n, s = length(p)
        p += s
        free = zm[p]
        p += 1
        value = zm[p:p + n]
        p += n + free
        if out_of_range(p):
            raise Corrupt("zipmap")
        pairs.append((field, value))
    if not pairs or (zm[0] != 254 and zm[0] != len(pairs)):
        raise Corrupt("zipmap count")
    return pairs


# -- objects -------------------------------------------------------------------------------------

def _pairs(items: list[bytes]) -> list[tuple[bytes, bytes]]:
    """Field/value (member/score) pairs: an even count, no duplicate field (by bytes)."""
    if len(items) & 1:
        raise Corrupt("odd pair count")
    pairs = list(zip(items[0::2], items[1::2]))
    if len({bytes(f) for f, _ in pairs}) != len(pairs):
        raise Corrupt("duplicate field")
    return pairs


def _zset(pairs) -> ZSet:
    scores = {}
    for m, s in pairs:
        if math.isnan(s):
            raise Corrupt("NaN score")
        scores[_s(m)] = s
    return ZSet(scores)


def load_object(rtype: int, r: Reader):
    if rtype == T_STRING:
        return _s(r.string())
    if rtype == T_LIST:
        n = r.length()
        if n == 0:
            raise Corrupt("empty key")
        out = deque()
        for _ in range(n):
            out.append(_s(r.string()))
        return out
    if rtype == T_SET:
        n = r.length()
        if n == 0:
            raise Corrupt("empty key")
        out = set()
        for i in range(n):
            out.add(r.string())
            if len(out) != i + 1:
                raise Corrupt("duplicate set member")
        return {_s(m) for m in out}
    if rtype in (T_ZSET, T_ZSET_2):
        n = r.length()
        if n == 0:
            raise Corrupt("empty key")
        seen = {}
        read_score = r.binary_double if rtype == T_ZSET_2 else r.text_double
        for _ in range(n):
            m = r.string()
            s = read_score()
            if math.isnan(s):
                raise Corrupt("NaN score")
            if m in seen:
                raise Corrupt("duplicate zset member")
            seen[m] = s
        return _zset(seen.items())
    if rtype == T_HASH:
        n = r.length()
        if n == 0:
            raise Corrupt("empty key")
        h = {}
        for i in range(n):
            f = r.string()
            h[f] = r.string()
            if len(h) != i + 1:
                raise Corrupt("duplicate hash field")
        return {_s(f): _s(v) for f, v in h.items()}
    if rtype in (T_LIST_QUICKLIST, T_LIST_QUICKLIST_2):
        n = r.length()
        if n == 0:
            raise Corrupt("empty key")
        out = deque()
        for _ in range(n):
            container = 2
            if rtype == T_LIST_QUICKLIST_2:
                container = r.length()
                if container not in (1, 2):       # PLAIN, PACKED
                    raise Corrupt("quicklist container")
            blob = r.string()
            if not blob:
                raise Corrupt("empty quicklist node")
            if container == 1:
                out.append(_s(blob))
            else:
                nodes = listpack_entries(blob) if rtype == T_LIST_QUICKLIST_2 else ziplist_entries(blob)
                out.extend(map(_s, nodes))      # empty nodes are skipped, as Redis does
        if not out:
            raise Corrupt("empty key")
        return out
    if rtype in (T_HASH_ZIPMAP, T_LIST_ZIPLIST, T_SET_INTSET, T_ZSET_ZIPLIST, T_ZSET_LISTPACK,
                 T_HASH_ZIPLIST, T_HASH_LISTPACK):
        blob = r.string()
        if rtype == T_HASH_ZIPMAP:
            pairs = zipmap_pairs(blob)
            if len({f for f, _ in pairs}) != len(pairs):
                raise Corrupt("duplicate zipmap field")
            return {_s(f): _s(v) for f, v in pairs}
        if rtype == T_LIST_ZIPLIST:
            items = ziplist_entries(blob)
            if not items:
                raise Corrupt("empty key")
            return deque(map(_s, items))
        if rtype == T_SET_INTSET:
            return set(map(_s, intset_members(blob)))
        items = listpack_entries(blob) if rtype in (T_ZSET_LISTPACK, T_HASH_LISTPACK) else ziplist_entries(blob)
        pairs = _pairs(items)
        if not pairs:
            raise Corrupt("empty key")
        if rtype in (T_HASH_ZIPLIST, T_HASH_LISTPACK):
            return {_s(f): _s(v) for f, v in pairs}
        return _zset((m, _strtod(s[:127])) for m, s in pairs)
    if rtype in (T_STREAM_LISTPACKS, T_STREAM_LISTPACKS_2):
        return load_stream(r, rtype == T_STREAM_LISTPACKS_2)
    # Module values, unknown types.
    raise Corrupt("unsupported object type %d" % rtype)


# -- streams (rdbLoadObject's STREAM_LISTPACKS / _2, streamValidateListpackIntegrity) ---------
_U64 = (1 << 64) - 1
_LP_INT = re.compile(rb"0|-?[1-9][0-9]{0,18}")


def _int(b: bytes) -> int:
    """lpGetIntegerIfValid: an integer entry, or a string string2ll reads."""
    if not _LP_INT.fullmatch(b):
        raise Corrupt("not an integer")
    v = int(b)
    if not -(1 << 63) <= v < 1 << 63:
        raise Corrupt("integer out of range")
    return v


def _signed(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


def _stream_id(raw: bytes) -> int:
    if len(raw) != 16:
        raise Corrupt("stream ID size")
    return make_id(int.from_bytes(raw[:8], "big"), int.from_bytes(raw[8:], "big"))


def _length_id(r: Reader) -> int:
    """An ID written as two lengths (ms, then seq; each at most 64 bits)."""
    return make_id(r.length(), r.length())


def _stream_node(master: int, lp: bytes):
    """The (ID, fields) of the live entries of one node's listpack."""
    e = listpack_entries(lp)
    if not e:
        raise Corrupt("empty listpack inside stream")
    if len(e) < 4:
        raise Corrupt("stream master entry")
    count, deleted, nfields = _int(e[0]), _int(e[1]), _int(e[2])
    if nfields < 0 or 3 + nfields >= len(e):
        raise Corrupt("stream master fields")
    names = e[3:3 + nfields]
    p = 3 + nfields
    if _int(e[p]) != 0:
        raise Corrupt("stream master terminator")
    p += 1
    mms, mseq = id_parts(master)
    out = []
    for _ in range(count + deleted):
        if p + 3 > len(e):
            raise Corrupt("stream entry")
        flags, dms, dseq = _int(e[p]), _int(e[p + 1]), _int(e[p + 2])
        p += 3
        if flags & 2:                                        # SAMEFIELDS
            n, extra = nfields, 3
            if p + n >= len(e):
                raise Corrupt("stream entry")
            fields = [x for pair in zip(names, e[p:p + n]) for x in pair]
            p += n
        else:
            if p >= len(e):
                raise Corrupt("stream entry")
            n = _int(e[p])
            extra = 3 + n + 1
            p += 1
            if n < 0 or p + 2 * n >= len(e):
                raise Corrupt("stream entry")
            fields = e[p:p + 2 * n]
            p += 2 * n
            # validation reads n field names then n values: the same 2n elements
        if _int(e[p]) != n + extra:
            raise Corrupt("stream lp-count")
        p += 1
        if not flags & 1:                                    # not DELETED
            i = make_id((mms + dms) & _U64, (mseq + dseq) & _U64)
            out.append((i, tuple(map(_s, fields))))
    if p != len(e):
        raise Corrupt("stream listpack trailing entries")
    return out


def load_stream(r: Reader, v2: bool) -> Stream:
    s = Stream()
    n = r.length()
    seen = set()
    prev = -1
    for _ in range(n):
        master = _stream_id(r.string())
        if master in seen:
            raise Corrupt("listpack re-added with existing key")
        seen.add(master)
        for i, fields in _stream_node(master, r.string()):
            if i <= prev:
                raise Corrupt("stream IDs out of order")     # Redis trusts the order; we cannot
            if not fields:
                raise Corrupt("stream entry without fields")
            prev = i
            s.append(i, fields)
    length = r.length()
    last_id = _length_id(r)
    if v2:
        first_id = _length_id(r)
        max_deleted = _length_id(r)
        entries_added = r.length()
    else:
        first_id = s.ids[0] if s.ids else 0
        max_deleted = 0
        entries_added = length
    if length != len(s) or (s.ids and last_id < s.ids[-1]):
        raise Corrupt("stream metadata does not match its entries")   # Redis trusts these
    s.last_id, s.first_id, s.max_deleted_id, s.entries_added = last_id, first_id, max_deleted, entries_added
    for _ in range(r.length()):
        name = _s(r.string())
        if name in s.groups:
            raise Corrupt("duplicated consumer group name")
        g_last = _length_id(r)
        read = _signed(r.length()) if v2 else INVALID_READ
        g = Group(name, g_last, read)
        if not v2:
            g.entries_read = s.estimate_distance(g_last)
        s.groups[name] = g
        for _ in range(r.length()):
            i = _stream_id(r.take(16))
            when = int.from_bytes(r.take(8), "little", signed=True)
            count = r.length()
            if i in g.pel:
                raise Corrupt("duplicated global PEL entry")
            g.pel[i] = Nack(None, when, count)
        for _ in range(r.length()):
            cname = _s(r.string())
            if cname in g.consumers:
                raise Corrupt("duplicate stream consumer")
            cons = g.consumers[cname] = Consumer(cname, int.from_bytes(r.take(8), "little", signed=True))
            for _ in range(r.length()):
                i = _stream_id(r.take(16))
                nack = g.pel.get(i)
                if nack is None:
                    raise Corrupt("consumer entry not found in group global PEL")
                if i in cons.pel:
                    raise Corrupt("duplicated consumer PEL entry")
                nack.consumer = cons
                cons.pel[i] = nack
        if any(nack.consumer is None for nack in g.pel.values()):
            raise Corrupt("stream CG PEL entry without consumer")
    return s
