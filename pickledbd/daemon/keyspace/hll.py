"""HyperLogLog as Redis 7.0 stores it: a port of src/hyperloglog.c.

The value is a plain Redis string (``str``, bytes >= 0x80 as lone surrogates), byte for byte
what Redis stores, so GET/SET copies between servers, persistence and replication
need nothing special:

- a 16-byte header: ``HYLL``, the encoding (0 dense, 1 sparse), 3 unused bytes, the cached
  cardinality (uint64 little endian; bit 7 of its last byte set = must be recomputed);
- dense: 16384 registers of 6 bits, packed LSB first (12288 bytes);
- sparse: run-length opcodes ZERO ``00xxxxxx`` (1-64 zero registers), XZERO
  ``01xxxxxx yyyyyyyy`` (1-16384 zeros) and VAL ``1vvvvvxx`` (value 1-32, 1-4 registers),
  promoted to dense past ``hll-sparse-max-bytes`` or for a value above 32.

Speed: converting a 12 KB dense value str <-> bytes costs ~130 us each way, so the working
form of recently used HLLs is kept in ``_states`` (key -> HllState): the bytes, the register
histogram (PFCOUNT after PFADD is O(64)) and the value str as pieces decoded separately, so a
register change re-decodes ~128 bytes and joins the pieces instead of decoding 12 KB. A state
is used only while the key still holds the very str object it produced (identity: the state
keeps that object alive, so the id cannot be reused); any other write to the key (SET, APPEND,
RESTORE, a reload) makes a new object and the state is rebuilt from it.
"""
from __future__ import annotations

import math
import sys
from array import array
from bisect import bisect_right

from ..errors import RedisError

NOT_HLL = RedisError("WRONGTYPE Key is not a valid HyperLogLog string value.")
INVALID_HLL = RedisError("INVALIDOBJ Corrupted HLL object detected")

P = 14
Q = 64 - P
REGISTERS = 1 << P
P_MASK = REGISTERS - 1
HDR = 16
DENSE_SIZE = HDR + REGISTERS * 6 // 8
DENSE, SPARSE = 0, 1
VAL_MAX_VALUE = 32
VAL_MAX_LEN = 4
ZERO_MAX_LEN = 64
ALPHA_INF = 0.721347520444481703680
EMPTY_SPARSE = b"HYLL\x01" + bytes(11) + b"\x7f\xff"    # XZERO:16384

_M = 0xc6a4a7935bd1e995
_MASK = (1 << 64) - 1
_LITTLE = sys.byteorder == "little"
_from = int.from_bytes


_LANES = 1 << 14            # blocks mixed per big-int pass (256 KB of 128-bit lanes)
_LO = int.from_bytes((b"\xff" * 8 + b"\x00" * 8) * _LANES, "little")


def _mixed_blocks(data, nb: int):
    """k = mix(block) of each 8-byte block, all of a chunk at once: the blocks are spread into
    128-bit lanes of one big int, so k * m (< 2^128) never carries into the next lane and the
    shift's spill lands in the upper halves, masked off."""
    for start in range(0, nb, _LANES):
        n = min(_LANES, nb - start)
        lanes = array("Q", bytes(16 * n))
        lanes[0::2] = array("Q", data[start * 8:(start + n) * 8])
        lo = _LO if n == _LANES else _LO & ((1 << (128 * n)) - 1)
        x = (int.from_bytes(lanes, "little") * _M) & lo
        x = (((x ^ (x >> 47)) & lo) * _M) & lo
        yield from array("Q", x.to_bytes(16 * n, "little"))[0::2]


def murmur64a(data: bytes, seed: int = 0xadc83b19) -> int:
    """MurmurHash64A as Redis has it (blocks read little endian)."""
    n = len(data)
    h = (seed ^ (n * _M)) & _MASK
    nb = n >> 3
    if nb:
        if nb < 256 or not _LITTLE:       # short: plain Python beats setting up the lanes
            for i in range(0, nb << 3, 8):
                k = (_from(data[i:i + 8], "little") * _M) & _MASK
                k ^= k >> 47
                h = ((h ^ ((k * _M) & _MASK)) * _M) & _MASK
        else:
            for k in _mixed_blocks(data, nb):
                h = ((h ^ k) * _M) & _MASK
    if n & 7:
        h = ((h ^ _from(data[nb << 3:], "little")) * _M) & _MASK
    h ^= h >> 47
    h = (h * _M) & _MASK
    return h ^ (h >> 47)


def pat_len(ele: bytes):
    """hllPatLen: (register index, length of the 000..1 pattern after the index bits)."""
    h = murmur64a(ele)
    rest = (h >> P) | (1 << Q)
    return h & P_MASK, (rest & -rest).bit_length()


# ---- the register histogram and the estimator (hllCount) --------------------------------
def _sigma(x: float) -> float:
    if x == 1.0:
        return math.inf
    y = 1.0
    z = x
    while True:
        x *= x
        zp = z
        z += x * y
        y += y
        if zp == z:
            return z


def _tau(x: float) -> float:
    if x == 0.0 or x == 1.0:
        return 0.0
    y = 1.0
    z = 1 - x
    while True:
        x = math.sqrt(x)
        zp = z
        y *= 0.5
        z -= (1 - x) ** 2 * y
        if zp == z:
            return z / 3


def estimate(hist) -> int:
    """The 7.0 estimator (Ertl's) over the register histogram; the uint64 Redis computes
    (llroundl of an out-of-range value gives 2^63 on x86-64)."""
    m = float(REGISTERS)
    z = m * _tau((m - hist[Q + 1]) / m)
    for j in range(Q, 0, -1):
        z += hist[j]
        z *= 0.5
    z += m * _sigma(hist[0] / m)
    e = ALPHA_INF * m * m / z if z else math.inf
    if not e < 9.223372036854775e18:
        return 1 << 63
    f = math.floor(e)
    return int(f) + (1 if e - f >= 0.5 else 0)


def raw_histogram(raw) -> list:
    """Histogram of 16384 one-byte register values (counts of each value 0..63)."""
    hist = [0] * 64
    total = 0
    for v in range(64):
        n = raw.count(v)
        hist[v] = n
        total += n
        if total >= REGISTERS:
            break
    return hist


# ---- dense <-> one byte per register, byte-parallel (bytes.translate, big-int lanes) ------
def _table(f):
    return bytes(f(i) & 0xff for i in range(256))


_LOW6, _SHR6, _LOW4SHL2, _SHR4 = _table(lambda b: b & 63), _table(lambda b: b >> 6), \
    _table(lambda b: (b & 15) << 2), _table(lambda b: b >> 4)
_LOW2SHL4, _SHR2 = _table(lambda b: (b & 3) << 4), _table(lambda b: b >> 2)
_SHL6, _SHR2LOW4, _SHL4, _SHR4LOW2, _SHL2 = _table(lambda b: b << 6), _table(lambda b: (b >> 2) & 15), \
    _table(lambda b: b << 4), _table(lambda b: (b >> 4) & 3), _table(lambda b: b << 2)
_Q4 = REGISTERS // 4


def _or(a: bytes, b: bytes) -> bytes:
    return (int.from_bytes(a, "little") | int.from_bytes(b, "little")).to_bytes(len(a), "little")


def unpack_dense(regs) -> bytearray:
    """12288 bytes of packed registers -> 16384 bytes, one register each."""
    b0, b1, b2 = bytes(regs[0::3]), bytes(regs[1::3]), bytes(regs[2::3])
    out = bytearray(REGISTERS)
    out[0::4] = b0.translate(_LOW6)
    out[1::4] = _or(b0.translate(_SHR6), b1.translate(_LOW4SHL2))
    out[2::4] = _or(b1.translate(_SHR4), b2.translate(_LOW2SHL4))
    out[3::4] = b2.translate(_SHR2)
    return out


def pack_dense(raw) -> bytes:
    """16384 register values (each < 64) -> 12288 packed bytes."""
    r0, r1, r2, r3 = bytes(raw[0::4]), bytes(raw[1::4]), bytes(raw[2::4]), bytes(raw[3::4])
    out = bytearray(REGISTERS * 6 // 8)
    out[0::3] = _or(r0, r1.translate(_SHL6))
    out[1::3] = _or(r1.translate(_SHR2LOW4), r2.translate(_SHL4))
    out[2::3] = _or(r2.translate(_SHR4LOW2), r3.translate(_SHL2))
    return bytes(out)


_H = int.from_bytes(b"\x80" * REGISTERS, "little")


def raw_max(a, b) -> bytes:
    """Register-wise max of two one-byte-per-register arrays (values < 128): in each byte
    lane (a | 0x80) - b keeps its top bit exactly when a >= b, with no borrow between lanes."""
    x = int.from_bytes(a, "little")
    y = int.from_bytes(b, "little")
    ge = ((((x | _H) - y) & _H) >> 7) * 255
    return ((x & ge) | (y & ~ge)).to_bytes(REGISTERS, "little")


# ---- sparse ---------------------------------------------------------------------------
_RUNS = [bytes((((op >> 2) & 0x1f) + 1,)) * ((op & 3) + 1) for op in range(128)]   # VAL op & 0x7f -> its registers


def sparse_registers(b, start: int = HDR):
    """Decode sparse opcodes into one byte per register; None when they do not cover
    exactly 16384 registers (stops as soon as they overrun: the answer cannot change)."""
    out = bytearray(REGISTERS)
    idx = 0
    p = start
    end = len(b)
    while p < end:
        op = b[p]
        if op < 0x40:
            idx += op + 1
            p += 1
        elif op < 0x80:
            idx += (((op & 0x3f) << 8) | (b[p + 1] if p + 1 < end else 0)) + 1
            p += 2
        else:
            run = (op & 3) + 1
            if idx + run > REGISTERS:
                return None
            out[idx:idx + run] = _RUNS[op & 0x7f]
            idx += run
            p += 1
        if idx > REGISTERS:
            return None
    return out if idx == REGISTERS else None


def sparse_histogram(b):
    """hllSparseRegHisto: (histogram, valid)."""
    hist = [0] * 64
    idx = 0
    p = HDR
    end = len(b)
    while p < end:
        op = b[p]
        if op < 0x40:
            run = op + 1
            hist[0] += run
            p += 1
        elif op < 0x80:
            run = (((op & 0x3f) << 8) | (b[p + 1] if p + 1 < end else 0)) + 1
            hist[0] += run
            p += 2
        else:
            run = (op & 3) + 1
            hist[((op >> 2) & 0x1f) + 1] += run
            p += 1
        idx += run
        if idx > REGISTERS:
            return hist, False      # overrun: invalid whatever follows
    return hist, idx == REGISTERS


def sparse_decode_text(b) -> str:
    """PFDEBUG DECODE."""
    out = []
    p = HDR
    end = len(b)
    while p < end:
        op = b[p]
        if op < 0x40:
            out.append("z:%d" % (op + 1))
            p += 1
        elif op < 0x80:
            out.append("Z:%d" % ((((op & 0x3f) << 8) | (b[p + 1] if p + 1 < end else 0)) + 1))
            p += 2
        else:
            out.append("v:%d,%d" % (((op >> 2) & 0x1f) + 1, (op & 3) + 1))
            p += 1
    return " ".join(out)


def _val(value: int, run: int) -> int:
    return 0x80 | ((value - 1) << 2) | (run - 1)


def _zeros(n: int) -> bytes:
    if n > ZERO_MAX_LEN:
        n -= 1
        return bytes((0x40 | (n >> 8), n & 0xff))
    return bytes((n - 1,))


PROMOTE = 2


def sparse_set(b: bytearray, index: int, count: int, max_bytes: int, firsts=None) -> int:
    """hllSparseSet on ``b`` in place: 1 updated, 0 no change, -1 corrupt, PROMOTE when the
    HLL must become dense first (a value > 32, or growing past ``max_bytes``). ``firsts``
    (parse_firsts), when given, finds the opcode and is kept up to date."""
    if count > VAL_MAX_VALUE:
        return PROMOTE
    end = len(b)
    if firsts is not None:
        return _indexed_set(b, firsts, index, count, max_bytes)
    p = HDR
    first = 0
    prev = -1
    span = 0
    while p < end:
        op = b[p]
        if op < 0x40:
            span = op + 1
            oplen = 1
        elif op >= 0x80:
            span = (op & 3) + 1
            oplen = 1
        else:
            span = (((op & 0x3f) << 8) | (b[p + 1] if p + 1 < end else 0)) + 1
            oplen = 2
        if index <= first + span - 1:
            break
        prev = p
        p += oplen
        first += span
    if span == 0 or p >= end:
        return -1
    return _edit(b, p, first, span, prev, end, index, count, max_bytes, None)


def _indexed_set(b: bytearray, firsts: list, index: int, count: int, max_bytes: int) -> int:
    k = bisect_right(firsts, index) - 1
    if k < 0:
        return -1
    if type(firsts[k]) is float:
        k -= 1
    p = HDR + k
    op = b[p]
    if op < 0x40:
        span = op + 1
    elif op < 0x80:
        span = (((op & 0x3f) << 8) | b[p + 1]) + 1
    else:
        span = (op & 3) + 1
    first = firsts[k]
    if index > first + span - 1:
        return -1
    prev = -1 if k == 0 else (p - 2 if type(firsts[k - 1]) is float else p - 1)
    return _edit(b, p, first, span, prev, len(b), index, count, max_bytes, firsts)


def _edit(b, p, first, span, prev, end, index, count, max_bytes, firsts) -> int:
    """Steps 2-4 of hllSparseSet, the opcode at ``p`` covering ``index``."""
    op = b[p]
    if op >= 0x80:
        if ((op >> 2) & 0x1f) + 1 >= count:
            return 0
        if op & 3 == 0:
            b[p] = _val(count, 1)
            return _merge(b, prev, end, firsts)
    elif op == 0:          # ZERO of length 1
        b[p] = _val(count, 1)
        return _merge(b, prev, end, firsts)
    last = first + span - 1
    seq = bytearray()
    seqf = []
    if op < 0x80:
        if index != first:
            z = _zeros(index - first)
            seq += z
            seqf += (first, first + 0.5) if len(z) == 2 else (first,)
        seq.append(_val(count, 1))
        seqf.append(index)
        if index != last:
            z = _zeros(last - index)
            seq += z
            seqf += (index + 1, index + 1.5) if len(z) == 2 else (index + 1,)
        oldlen = 1 if op < 0x40 else 2
    else:
        cur = ((op >> 2) & 0x1f) + 1
        if index != first:
            seq.append(_val(cur, index - first))
            seqf.append(first)
        seq.append(_val(count, 1))
        seqf.append(index)
        if index != last:
            seq.append(_val(cur, last - index))
            seqf.append(index + 1)
        oldlen = 1
    delta = len(seq) - oldlen
    if delta > 0 and end + delta > max_bytes:
        return PROMOTE
    if p + oldlen > end:      # an XZERO cut by the end: Redis overwrote its NUL terminator
        b[p:] = seq[:-1]
    else:
        b[p:p + oldlen] = seq
        if firsts is not None:
            firsts[p - HDR:p - HDR + oldlen] = seqf
    return _merge(b, prev, end + delta, firsts)


def _merge(b: bytearray, prev: int, end: int, firsts) -> int:
    """Step 4 of hllSparseSet: merge adjacent equal VALs, scanning up to 5 opcodes from the
    one before the change; then invalidate the cached cardinality."""
    p = prev if prev >= 0 else HDR
    scan = 5
    while p < end and scan:
        scan -= 1
        op = b[p]
        if op < 0x80:
            p += 1 if op < 0x40 else 2
            continue
        if p + 1 < end and b[p + 1] & 0x80:
            nxt = b[p + 1]
            if (op >> 2) & 0x1f == (nxt >> 2) & 0x1f:
                run = (op & 3) + (nxt & 3) + 2
                if run <= VAL_MAX_LEN:
                    b[p + 1] = _val(((op >> 2) & 0x1f) + 1, run)
                    del b[p]
                    if firsts is not None:
                        del firsts[p + 1 - HDR]
                    end -= 1
                    continue
        p += 1
    b[15] |= 0x80
    return 1


def parse_firsts(b):
    """For each byte of a sparse body, the first register its opcode covers (+ 0.5 on the
    second byte of an XZERO), so the opcode of a register is found by bisection; None when
    an XZERO is cut by the end (those go through the plain scan)."""
    firsts = []
    first = 0
    p = HDR
    end = len(b)
    while p < end:
        op = b[p]
        if op < 0x40:
            firsts.append(first)
            first += op + 1
            p += 1
        elif op < 0x80:
            if p + 1 >= end:
                return None
            firsts.append(first)
            firsts.append(first + 0.5)
            first += (((op & 0x3f) << 8) | b[p + 1]) + 1
            p += 2
        else:
            firsts.append(first)
            first += (op & 3) + 1
            p += 1
    return firsts


# ---- one HLL's working form -------------------------------------------------------------
_PIECE = 128          # bytes per separately decoded piece of a dense value


def _decode(b) -> str:
    return b.decode("utf-8", "surrogateescape")


def _is_cont(byte: int) -> bool:
    return 0x80 <= byte < 0xC0


class HllState:
    """The bytes of one HLL value and what makes its next str cheap. ``s`` is the str the
    key holds. Dense: ``hist`` (register histogram, built on demand, then kept up to date)
    and ``pieces``/``starts``: ``s`` as separately decoded pieces starting at byte offsets
    that are not UTF-8 continuation bytes (a decoder restarts at such a byte whatever came
    before, so decode(whole) == join(decode(piece)))."""

    __slots__ = ("s", "buf", "hist", "pieces", "starts", "touched", "firsts", "changed")

    def __init__(self, s, buf: bytearray):
        self.s = s
        self.buf = buf
        self.hist = None
        self.pieces = None
        self.starts = None
        self.touched = set()      # byte offsets changed since ``s`` was made
        self.firsts = None        # sparse: parse_firsts(buf), kept up to date
        self.changed = False      # bytes differ from ``s``

    def sync(self) -> bytearray:
        return self.buf

    # -- header
    @property
    def dense(self) -> bool:
        return self.buf[4] == DENSE

    def cache_valid(self) -> bool:
        return not self.buf[15] & 0x80

    def cached_card(self) -> int:
        return int.from_bytes(self.buf[8:16], "little")

    def set_card(self, card: int) -> None:
        self.buf[8:16] = card.to_bytes(8, "little")
        self.touched.update(range(8, 16))
        self.changed = True

    def invalidate(self) -> None:
        if not self.buf[15] & 0x80:
            self.buf[15] |= 0x80
            self.touched.add(15)
            self.changed = True

    # -- registers
    def add(self, ele: bytes, max_bytes: int) -> int:
        """Add one element: 1 when a register changed, 0 if not, -1 for a corrupt sparse."""
        index, count = pat_len(ele)
        if self.buf[4] == DENSE:          # the hot path, without the layers below
            if self._dense_set(index, count):
                self.changed = True
                return 1
            return 0
        return self.set_register(index, count, max_bytes)

    def set_register(self, index: int, count: int, max_bytes: int) -> int:
        r = self._set_register(index, count, max_bytes)
        if r == 1:
            self.changed = True
        return r

    def _set_register(self, index: int, count: int, max_bytes: int) -> int:
        b = self.buf
        if b[4] == DENSE:
            return self._dense_set(index, count)
        if self.firsts is None and len(b) > 64:
            self.firsts = parse_firsts(b)
        r = sparse_set(b, index, count, max_bytes, self.firsts)
        if r == PROMOTE:
            if not self.to_dense():
                return -1
            return self._dense_set(index, count)
        return r

    def _dense_set(self, index: int, count: int) -> int:
        b = self.buf
        i6 = index * 6
        at = HDR + (i6 >> 3)
        fb = i6 & 7
        nxt = at + 1 < DENSE_SIZE
        old = ((b[at] >> fb) | ((b[at + 1] << (8 - fb)) if nxt else 0)) & 63
        if count <= old:
            return 0
        b[at] = (b[at] & ~(63 << fb) & 0xff) | ((count << fb) & 0xff)
        self.touched.add(at)
        if nxt:
            fb8 = 8 - fb
            b[at + 1] = (b[at + 1] & ~(63 >> fb8) & 0xff) | (count >> fb8)
            self.touched.add(at + 1)
        hist = self.hist
        if hist is not None:
            hist[old] -= 1
            hist[count] += 1
        return 1

    def set_registers(self, raw) -> None:
        """Dense: every register to max(itself, raw[i]) at once (PFMERGE)."""
        b = self.buf
        merged = raw_max(unpack_dense(memoryview(b)[HDR:]), raw)
        b[HDR:] = pack_dense(merged)
        self.hist = None
        self.pieces = self.starts = None
        self.touched = set()
        self.changed = True

    def to_dense(self) -> bool:
        """hllSparseToDense: False when the sparse opcodes are corrupt."""
        b = self.sync()
        if b[4] == DENSE:
            return True
        raw = sparse_registers(b)
        if raw is None:
            return False
        head = bytearray(b[:HDR])
        head[4] = DENSE
        self.buf = head + pack_dense(raw)
        self.firsts = None
        self.changed = True
        self.pieces = self.starts = self.hist = None
        self.touched = set()
        return True

    def registers(self):
        """One byte per register (raises INVALID_HLL for a corrupt sparse)."""
        b = self.sync()
        if b[4] == DENSE:
            return unpack_dense(memoryview(b)[HDR:])
        raw = sparse_registers(b)
        if raw is None:
            raise INVALID_HLL
        return raw

    def count(self) -> int:
        """hllCount (raises INVALID_HLL for a corrupt sparse)."""
        b = self.sync()
        if b[4] == DENSE:
            if self.hist is None:
                self.hist = raw_histogram(unpack_dense(memoryview(b)[HDR:]))
            return estimate(self.hist)
        hist, valid = sparse_histogram(b)
        if not valid:
            raise INVALID_HLL
        return estimate(hist)

    # -- the str
    def value(self) -> str:
        """The str of the current bytes (and remember it as ``s``)."""
        b = self.sync()
        if b[4] != DENSE or len(b) != DENSE_SIZE:
            self.s = _decode(b)
        elif self.pieces is None:
            self.pieces, self.starts = _split(b, 0, len(b))
            self.s = "".join(self.pieces)
        elif self.touched:
            for pos in sorted(self.touched):
                self._redecode(pos)
            self.s = "".join(self.pieces)
        self.touched = set()
        self.changed = False
        return self.s

    def _redecode(self, pos: int) -> None:
        b = self.buf
        starts = self.starts
        pieces = self.pieces
        i = j = bisect_right(starts, pos) - 1
        while i > 0 and _is_cont(b[starts[i]]):      # a start that became a continuation byte
            i -= 1
        n = len(starts)
        while j + 1 < n and _is_cont(b[starts[j + 1]]):
            j += 1
        lo = starts[i]
        hi = starts[j + 1] if j + 1 < n else len(b)
        if i == j:
            pieces[i] = _decode(b[lo:hi])
        else:
            pieces[i:j + 1], starts[i:j + 1] = _split(b, lo, hi)


def _split(b, lo: int, hi: int):
    """Pieces of b[lo:hi] of about _PIECE bytes, each starting at a non-continuation byte."""
    pieces = []
    starts = []
    p = lo
    while p < hi:
        q = p + _PIECE
        if q >= hi:
            q = hi
        else:
            while q < hi and _is_cont(b[q]):
                q += 1
        starts.append(p)
        pieces.append(_decode(b[p:q]))
        p = q
    return pieces, starts


def parse(s: str, b: bytes | None = None):
    """The HllState of a string value, or raise NOT_HLL (isHLLObjectOrReply)."""
    if s[:4] != "HYLL":           # cheap reject before encoding a large string
        raise NOT_HLL
    if b is None:
        try:
            b = s.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:      # not a str the protocol can carry
            raise NOT_HLL from None
    if len(b) < HDR or b[4] > SPARSE or (b[4] == DENSE and len(b) != DENSE_SIZE):
        raise NOT_HLL
    return HllState(s, bytearray(b))


def new_sparse() -> HllState:
    return HllState(None, bytearray(EMPTY_SPARSE))


# ---- the states of recently used HLLs -----------------------------------------------------
MAX_STATES = 64               # about 60 KB each when dense: a few MB at most
_STATE_MAX_BYTES = 2 * DENSE_SIZE
_states: dict = {}


def state_of(db, key: str, value: str) -> HllState:
    """The working form of the HLL ``value`` held at ``key`` (raises NOT_HLL)."""
    slot = (id(db.data), key)
    st = _states.get(slot)
    if st is not None and st.s is value and not st.changed:    # changed: a command failed midway
        return st
    st = parse(value)
    remember(db, key, st)
    return st


def remember(db, key: str, st: HllState) -> None:
    """``st`` is what ``key`` now holds (its ``s`` is the stored str)."""
    slot = (id(db.data), key)
    if len(st.buf) > _STATE_MAX_BYTES:
        _states.pop(slot, None)
        return
    if slot not in _states and len(_states) >= MAX_STATES:
        del _states[next(iter(_states))]
    _states[slot] = st


def forget_all() -> None:
    _states.clear()
