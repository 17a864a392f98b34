"""Bitmap commands on strings (Redis 7.0 bitops.c): SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP,
BITFIELD, BITFIELD_RO, with Redis's error texts, argument order and 64-bit arithmetic.

Values stay ``str`` (binary via surrogateescape). A string this module writes is in
"one char per byte" form: ASCII bytes as themselves, every byte >= 0x80 as the lone
surrogate U+DC80+byte (``bytes.decode("ascii", "surrogateescape")``). Its UTF-8 /
surrogateescape encoding is the same bytes as the canonical decode, so every other command
sees the same value; but byte i is char i, so a bit is read with one ``ord`` and written by
splicing one char. A str is still immutable: each write copies the string (O(size)), see
``_Views`` for what is cached to keep the rest O(1).
"""
from __future__ import annotations

import re

from ..engine.command import command
from ..errors import RedisError
from ..keyspace import MISSING, STRING_TYPES, WRONGTYPE, as_str, events, to_bytes
from .strings import mark_raw
from .util import NOT_INT, SYNTAX, parse_int

BAD_OFFSET = RedisError("ERR bit offset is not an integer or out of range")
BAD_BIT = RedisError("ERR bit is not an integer or out of range")
BAD_BITPOS_BIT = RedisError("ERR The bit argument must be 1 or 0.")
BAD_TYPE = RedisError("ERR Invalid bitfield type. Use something like i16 u8. "
                      "Note that u64 is not supported but i64 is.")
BAD_OVERFLOW = RedisError("ERR Invalid OVERFLOW type specified")
RO_ONLY_GET = RedisError("ERR BITFIELD_RO only supports the GET subcommand")
NOT_SINGLE = RedisError("ERR BITOP NOT must be called with a single source key.")

_STRING = events.STRING
M64 = (1 << 64) - 1
_ALWAYS_IN_RANGE = 8 << 20     # bit offsets below proto-max-bulk-len's smallest value (1 MB)


def _i64(x: int) -> int:
    """x as C's int64_t after wrap-around."""
    x &= M64
    return x - (1 << 64) if x >> 63 else x


def _one_to_one(b) -> str:
    return b.decode("ascii", "surrogateescape")


def _char(byte: int) -> str:
    return chr(byte) if byte < 0x80 else chr(0xDC00 | byte)


# ---- the views cache ----------------------------------------------------------------------
class _Views:
    """Per key, the one-char-per-byte form of its current value and, once a read needed the
    whole content, its bytes (a bytearray the next SETBIT/BITFIELD patches in place) and its
    population count (kept up to date by the writes), so that GETBIT, BITCOUNT and the
    writes after the first do not re-encode a big value.

    Entries are (id of the db's data dict, key) -> [value, view, buf, count, cost]; an entry
    holds only while ``value`` *is* the object stored at the key (str objects are immutable,
    identity is exact). Only big values are cached, at most ``MAX_ENTRIES`` of them and
    ``MAX_BYTES`` (chars or bytes) of values, views and bufs together: what a stale entry (a
    key since overwritten or deleted) keeps alive is bounded."""

    MIN_LEN = 512
    MAX_ENTRIES = 16
    MAX_BYTES = 128 << 20

    def __init__(self):
        self.entries: dict = {}
        self.bytes = 0

    @staticmethod
    def _cost(e) -> int:
        value, view, buf = e[0], e[1], e[2]
        return ((len(value) if type(value) is str else 0) + (len(view) if view is not value else 0)
                + (len(buf) if buf is not None else 0))

    def get(self, db, key, value):
        e = self.entries.get((id(db.data), key))
        if e is None:
            return None
        if e[0] is value:
            return e
        self.drop(db, key)
        return None

    def drop(self, db, key) -> None:
        e = self.entries.pop((id(db.data), key), None)
        if e is not None:
            self.bytes -= e[4]

    def put(self, db, key, value, view, buf, count=None) -> list | None:
        self.drop(db, key)
        if len(view) < self.MIN_LEN:
            return None
        e = [value, view, buf, count, 0]
        cost = self._cost(e)
        if cost > self.MAX_BYTES:
            e[2] = None
            cost = self._cost(e)
            if cost > self.MAX_BYTES:
                return None
        e[4] = cost
        entries = self.entries
        while entries and (len(entries) >= self.MAX_ENTRIES or self.bytes + cost > self.MAX_BYTES):
            self.bytes -= entries.pop(next(iter(entries)))[4]
        entries[(id(db.data), key)] = e
        self.bytes += cost
        return e

    def set_buf(self, e, buf) -> None:
        if e[2] is None and len(buf) + self.bytes <= self.MAX_BYTES:
            e[2] = buf
            e[4] += len(buf)
            self.bytes += len(buf)


VIEWS = _Views()


def _view(db, key, value) -> str:
    """The one-char-per-byte form of a string value (O(1) when ASCII or cached)."""
    s = value if type(value) is str else as_str(value)
    if s.isascii():
        return s
    e = VIEWS.get(db, key, value)
    if e is not None:
        return e[1]
    view = _one_to_one(to_bytes(s))
    VIEWS.put(db, key, value, view, None)
    return view


def _bytes(db, key, value, view: str):
    """The bytes of a string value: for a big one, a cached bytearray (made once)."""
    if len(view) >= VIEWS.MIN_LEN:
        e = VIEWS.get(db, key, value) or VIEWS.put(db, key, value, view, None)
        if e is not None:
            if e[2] is None:
                VIEWS.set_buf(e, bytearray(view.encode() if view.isascii() else to_bytes(view)))
            if e[2] is not None:
                return e[2]
    return view.encode() if view.isascii() else to_bytes(view)


def _read(c, key, read: bool = False):
    """(value, view) of a string key, (MISSING, "") when absent. ``read``: looked up as
    Redis's lookupKeyRead inside a write command (a miss is a keymiss event)."""
    db = c.db
    v = db.lookup_read(key) if read else db.lookup(key)
    if v is MISSING:
        return v, ""
    if type(v) not in STRING_TYPES:
        raise WRONGTYPE
    return v, _view(db, key, v)


def _unshared(db, key, value) -> None:
    """A write command that changed nothing still made the value a raw string in Redis
    (dbUnshareStringValue): OBJECT ENCODING says raw, not embstr/int."""
    if type(value) is str and len(value) <= 44:
        mark_raw(db, key, value)


def _store(c, key, old, new_view: str, buf=None, count=None) -> None:
    """Write the new value of a bit command's key (keeping its TTL) and cache its view.
    ``buf``, ``count``: the old value's cached bytes and bit count, already brought up to
    date with the new content."""
    db = c.db
    if old is MISSING:
        db.set(key, new_view)
    else:
        db.set(key, new_view, keep_ttl=True)
    mark_raw(db, key, new_view)
    VIEWS.put(db, key, new_view, new_view, buf, count)


def _splice(view: str, lo: int, chars: str, total: int) -> str:
    """view with chars written at byte lo, zero padded to at least ``total`` bytes."""
    n = len(view)
    end = lo + len(chars)
    if lo >= n:
        return "".join((view, "\x00" * (lo - n), chars, "\x00" * (total - end)))
    if end >= n:
        return "".join((view[:lo], chars, "\x00" * (total - end)))
    return "".join((view[:lo], chars, view[end:]))


# ---- argument parsing ----------------------------------------------------------------------
def _bit_offset(c, arg: str, hash_bits: int = 0) -> int:
    """getBitOffsetFromArgument: a bit offset (``#n`` = n * bits for BITFIELD), below
    proto-max-bulk-len bytes."""
    if len(arg) < 11 and arg.isdigit() and (arg[0] != "0" or arg == "0") and arg.isascii():
        n = int(arg)              # the common case, without parse_int's general checks
        if n < _ALWAYS_IN_RANGE:
            return n
        if (n >> 3) >= c.config.values["proto-max-bulk-len"]:
            raise BAD_OFFSET
        return n
    use_hash = hash_bits > 0 and arg[:1] == "#"
    try:
        n = parse_int(arg[1:] if use_hash else arg)
    except RedisError:
        raise BAD_OFFSET from None
    if use_hash:
        n = _i64(n * hash_bits)
    if n < 0 or (n >> 3) >= c.config.values["proto-max-bulk-len"]:
        raise BAD_OFFSET
    return n


def _unit(arg: str) -> bool:
    """BIT (True) or BYTE (False)."""
    u = arg.lower()
    if u == "bit":
        return True
    if u == "byte":
        return False
    raise SYNTAX


# ---- SETBIT / GETBIT -----------------------------------------------------------------------
@command("setbit")
def setbit(c, args):
    offset = _bit_offset(c, args[2])
    on = args[3]
    if on == "1" or on == "0":
        on = on == "1"
    else:
        try:
            on = parse_int(on)
        except RedisError:
            raise BAD_BIT from None
        if on & ~1:
            raise BAD_BIT
    db = c.db
    key = args[1]
    old, view = _read(c, key)
    byte = offset >> 3
    mask = 0x80 >> (offset & 7)
    n = len(view)
    if byte < n:
        cur = ord(view[byte]) & 0xFF
        bitval = 1 if cur & mask else 0
        if bitval == on:       # nothing changes: no write, no event, nothing propagated
            _unshared(db, key, old)
            return bitval
        new = cur ^ mask
    else:
        bitval = 0
        new = mask if on else 0
    e = VIEWS.get(db, key, old) if old is not MISSING else None
    buf = count = None
    if e is not None:
        VIEWS.drop(db, key)       # its buf is patched below: never left describing ``old``
        buf, count = e[2], e[3]
        if buf is not None:
            if byte >= len(buf):
                buf.extend(bytes(byte + 1 - len(buf)))
            buf[byte] = new
        if count is not None:
            count += 1 if on else -bitval
    _store(c, key, old, _splice(view, byte, _char(new), byte + 1), buf, count)
    db.notify(_STRING, "setbit", key)
    return bitval


@command("getbit")
def getbit(c, args):
    offset = _bit_offset(c, args[2])
    _, view = _read(c, args[1])
    byte = offset >> 3
    if byte >= len(view):
        return 0
    return 1 if ord(view[byte]) & (0x80 >> (offset & 7)) else 0


# ---- BITCOUNT / BITPOS ---------------------------------------------------------------------
def _range_bytes(db, key, v, view: str, start: int, end: int):
    """(b, boff): bytes holding the string's bytes start..end, byte i at b[i - boff]. The
    whole of a big value comes from the views cache; a part of a small one is encoded on
    its own."""
    if (start == 0 and end == len(view) - 1) or len(view) >= VIEWS.MIN_LEN:
        return _bytes(db, key, v, view), 0      # big: the cached bytes, made once
    part = view[start:end + 1]
    return (part.encode() if part.isascii() else to_bytes(part)), start


def _popcount(b) -> int:
    return int.from_bytes(b, "big").bit_count()


def _byte_range(start: int, end: int, isbit: bool, strlen: int):
    """BITCOUNT/BITPOS ranges: clamped, and for BIT units the bytes they fall in plus the
    masks of the bits outside the range in the first and last byte."""
    start, end = _clamp(start, end, strlen << 3 if isbit else strlen)
    if isbit and start <= end:
        return (start >> 3, end >> 3, ~((1 << (8 - (start & 7))) - 1) & 0xFF,
                (1 << (7 - (end & 7))) - 1)
    return start, end, 0, 0


def _clamp(start: int, end: int, total: int):
    if start < 0:
        start += total
    if end < 0:
        end += total
    if start < 0:
        start = 0
    if end < 0:
        end = 0
    if end >= total:
        end = total - 1
    return start, end


@command("bitcount")
def bitcount(c, args):
    db = c.db
    key = args[1]
    v, view = _read(c, key)
    if v is MISSING:
        return 0
    n = len(args)
    strlen = len(view)
    first_neg = last_neg = 0
    if n in (4, 5):
        start = parse_int(args[2])
        end = parse_int(args[3])
        if start < 0 and end < 0 and start > end:
            return 0
        isbit = _unit(args[4]) if n == 5 else False
        start, end, first_neg, last_neg = _byte_range(start, end, isbit, strlen)
    elif n == 2:
        start, end = 0, strlen - 1
    else:
        raise SYNTAX
    if start > end:
        return 0
    whole = start == 0 and end == strlen - 1 and not first_neg and not last_neg
    if whole and strlen >= VIEWS.MIN_LEN:
        e = VIEWS.get(db, key, v)
        if e is not None and e[3] is not None:
            return e[3]
    b, boff = _range_bytes(db, key, v, view, start, end)
    if whole:
        count = _popcount(b)
        if strlen >= VIEWS.MIN_LEN:
            e = VIEWS.get(db, key, v)
            if e is not None:
                e[3] = count
        return count
    count = _popcount(b) if boff == start and len(b) == end - start + 1 else _popcount(b[start - boff:end + 1 - boff])
    if first_neg:
        count -= (b[start - boff] & first_neg).bit_count()
    if last_neg:
        count -= (b[end - boff] & last_neg).bit_count()
    return count


_NOT_ZERO = re.compile(b"[^\x00]")
_NOT_ONES = re.compile(b"[^\xff]")


def _first_bit(b, bit: int, lo: int = 0, hi: int | None = None) -> int:
    """redisBitpos over b[lo:hi]: the first bit equal to ``bit``, counted from lo; not
    found: -1 for a 1, the bit just past the end for a 0. A search, not a copy: the work
    stops at the first byte that has such a bit."""
    if hi is None:
        hi = len(b)
    m = (_NOT_ZERO if bit else _NOT_ONES).search(b, lo, hi)
    if m is None:
        return -1 if bit else (hi - lo) << 3
    i = m.start()
    x = b[i] if bit else ~b[i] & 0xFF
    return ((i - lo) << 3) + 8 - x.bit_length()


@command("bitpos")
def bitpos(c, args):
    try:
        bit = parse_int(args[2])
    except RedisError:
        raise NOT_INT from None
    if bit != 0 and bit != 1:
        raise BAD_BITPOS_BIT
    db = c.db
    key = args[1]
    v, view = _read(c, key)
    if v is MISSING:
        return -1 if bit else 0
    n = len(args)
    strlen = len(view)
    end_given = False
    first_neg = last_neg = 0
    if n in (4, 5, 6):
        start = parse_int(args[3])
        isbit = _unit(args[5]) if n == 6 else False
        if n >= 5:
            end = parse_int(args[4])
            end_given = True
        else:
            end = (strlen << 3) + 7 if isbit else strlen - 1
        start, end, first_neg, last_neg = _byte_range(start, end, isbit, strlen)
    elif n == 3:
        start, end = 0, strlen - 1
    else:
        raise SYNTAX
    if start > end:
        return -1
    b, boff = _range_bytes(db, key, v, view, start, end)
    nbytes = end - start + 1
    pos = None
    if first_neg:
        ch = b[start - boff] & ~first_neg & 0xFF if bit else b[start - boff] | first_neg
        if last_neg and nbytes == 1:
            ch = ch & ~last_neg & 0xFF if bit else ch | last_neg
        pos = _first_bit(bytes((ch,)), bit)
        if not (nbytes == 1 or (pos != -1 and pos != 8)):
            start += 1
            nbytes -= 1
            pos = None
    if pos is None:
        cur = nbytes - (1 if last_neg else 0)
        if cur > 0:
            pos = _first_bit(b, bit, start - boff, start - boff + cur)
            if not (nbytes == cur or (pos != -1 and pos != cur << 3)):
                start += cur
                nbytes -= cur
                pos = None
        if pos is None:
            ch = b[end - boff] & ~last_neg & 0xFF if bit else b[end - boff] | last_neg
            pos = _first_bit(bytes((ch,)), bit)
    if end_given and bit == 0 and pos == nbytes << 3:
        return -1
    if pos != -1:
        pos += start << 3
    return pos


# ---- BITOP ---------------------------------------------------------------------------------
@command("bitop")
def bitop(c, args):
    op = args[1].lower()
    if op not in ("and", "or", "xor", "not"):
        raise SYNTAX
    if op == "not" and len(args) != 4:
        raise NOT_SINGLE
    db = c.db
    srcs = []
    for key in args[3:]:
        v = db.lookup_read(key)
        if v is MISSING:
            srcs.append(b"")
            continue
        if type(v) not in STRING_TYPES:
            raise WRONGTYPE
        srcs.append(_bytes(db, key, v, _view(db, key, v)))
    maxlen = max(len(b) for b in srcs)
    dest = args[2]
    if not maxlen:
        if dest in db.data:
            if db.expires and dest in db.expires:
                db.persist(dest)      # dbDelete does not look at the TTL: "del", not "expired"
            db.delete(dest)
            db.notify(events.GENERIC, "del", dest)
        return 0
    if op == "not":
        res = (~int.from_bytes(srcs[0], "big") & ((1 << (maxlen << 3)) - 1))
    else:
        # shorter strings are zero padded on the right: shift them into place
        res = None
        for b in srcs:
            x = int.from_bytes(b, "big") << ((maxlen - len(b)) << 3)
            if res is None:
                res = x
            elif op == "and":
                res &= x
            elif op == "or":
                res |= x
            else:
                res ^= x
    out = res.to_bytes(maxlen, "big")
    if db.expires and dest in db.expires:
        db.lookup(dest)            # setKey's lookupKeyWrite: an expired key goes first
    VIEWS.drop(db, dest)
    new = _one_to_one(out)
    db.set(dest, new)
    mark_raw(db, dest, new)
    VIEWS.put(db, dest, new, new, None)
    db.notify(_STRING, "set", dest)
    return maxlen


# ---- BITFIELD ------------------------------------------------------------------------------
_WRAP, _SAT, _FAIL = 0, 1, 2
_GET, _SET, _INCRBY = 0, 1, 2


_TYPES: dict = {}      # "u8" -> (False, 8): the valid types only (127 of them)


def _field_type(arg: str):
    """getBitfieldTypeFromArgument: (signed, bits); i1..i64, u1..u63 (lower-case only)."""
    t = _TYPES.get(arg)
    if t is not None:
        return t
    sign = arg[:1]
    if sign not in ("i", "u"):
        raise BAD_TYPE
    rest = arg[1:]
    if "\x00" in rest:
        rest = rest[:rest.index("\x00")]     # parsed as a C string
    try:
        bits = parse_int(rest)
    except RedisError:
        raise BAD_TYPE from None
    if bits < 1 or (sign == "i" and bits > 64) or (sign == "u" and bits > 63):
        raise BAD_TYPE
    t = (sign == "i", bits)
    if len(arg) <= 3:
        _TYPES[arg] = t       # "i<bits>" / "u<bits>" exactly: at most 127 entries
    return t


def _parse_ops(c, args):
    ops = []
    owtype = _WRAP
    readonly = True
    highest = 0
    j, n = 2, len(args)
    while j < n:
        rem = n - j - 1
        sub = args[j].lower()
        if sub == "get" and rem >= 2:
            opcode = _GET
        elif sub == "set" and rem >= 3:
            opcode = _SET
        elif sub == "incrby" and rem >= 3:
            opcode = _INCRBY
        elif sub == "overflow" and rem >= 1:
            ow = args[j + 1].lower()
            if ow == "wrap":
                owtype = _WRAP
            elif ow == "sat":
                owtype = _SAT
            elif ow == "fail":
                owtype = _FAIL
            else:
                raise BAD_OVERFLOW
            j += 2
            continue
        else:
            raise SYNTAX
        signed, bits = _field_type(args[j + 1])
        offset = _bit_offset(c, args[j + 2], bits)
        value = 0
        if opcode != _GET:
            readonly = False
            highest = max(highest, offset + bits - 1)
            value = parse_int(args[j + 3])
        ops.append((opcode, signed, bits, offset, value, owtype))
        j += 3 if opcode == _GET else 4
    return ops, readonly, highest


def _check_unsigned(value: int, incr: int, bits: int, owtype: int):
    """checkUnsignedBitfieldOverflow: (overflow, limit); value is a uint64, incr an int64."""
    mx = (1 << bits) - 1
    maxincr = _i64(mx - value)
    minincr = _i64(-value)
    if value > mx or (incr > 0 and incr > maxincr):
        over, limit = 1, mx
    elif incr < 0 and incr < minincr:
        over, limit = -1, 0
    else:
        return 0, 0
    if owtype == _WRAP:
        limit = (value + incr) & mx
    return over, limit


def _check_signed(value: int, incr: int, bits: int, owtype: int):
    """checkSignedBitfieldOverflow, with its int64 wrap-arounds."""
    mx = (1 << 63) - 1 if bits == 64 else (1 << (bits - 1)) - 1
    mn = -mx - 1
    maxincr = _i64(mx - value)
    minincr = _i64(mn - value)
    if value > mx or (bits != 64 and incr > maxincr) or (value >= 0 and incr > 0 and incr > maxincr):
        over, limit = 1, mx
    elif value < mn or (bits != 64 and incr < minincr) or (value < 0 and incr < 0 and incr < minincr):
        over, limit = -1, mn
    else:
        return 0, 0
    if owtype == _WRAP:
        u = (value + incr) & M64
        if bits < 64:
            mask = (M64 << bits) & M64
            u = u | mask if u & (1 << (bits - 1)) else u & ~mask
        limit = _i64(u)
    return over, limit


def _get_field(b, base: int, offset: int, bits: int, signed: bool) -> int:
    """The field at bit ``offset`` of the bytes b (b[0] is byte ``base``; missing bytes are 0)."""
    lo = (offset >> 3) - base
    hi = ((offset + bits - 1) >> 3) - base
    nb = hi - lo + 1
    chunk = bytes(b[lo:hi + 1])
    if len(chunk) < nb:
        chunk += bytes(nb - len(chunk))
    x = (int.from_bytes(chunk, "big") >> ((nb << 3) - (offset & 7) - bits)) & ((1 << bits) - 1)
    if signed and x >> (bits - 1):
        x -= 1 << bits
    return x


def _set_field(b: bytearray, base: int, offset: int, bits: int, value: int) -> None:
    lo = (offset >> 3) - base
    hi = ((offset + bits - 1) >> 3) - base
    nb = hi - lo + 1
    shift = (nb << 3) - (offset & 7) - bits
    mask = ((1 << bits) - 1) << shift
    x = int.from_bytes(b[lo:hi + 1], "big")
    x = (x & ~mask) | ((value << shift) & mask)
    b[lo:hi + 1] = x.to_bytes(nb, "big")


def _bitfield(c, args, ro: bool):
    ops, readonly, highest = _parse_ops(c, args)
    db = c.db
    key = args[1]
    if readonly:
        _, view = _read(c, key, read=True)
        out = []
        for _, signed, bits, offset, _, _ in ops:
            lo = offset >> 3
            part = view[lo:lo + 9]
            out.append(_get_field(part.encode() if part.isascii() else to_bytes(part), lo, offset, bits, signed))
        return out
    if ro:
        raise RO_ONLY_GET
    old, view = _read(c, key)
    n = len(view)
    total = max((highest >> 3) + 1, n)     # Redis grows the string first
    grown = old is MISSING or total > n
    # a window over the bytes the writes touch: [lo, hi]
    writes = [op for op in ops if op[0] != _GET]
    lo = min(op[3] for op in writes) >> 3
    hi = max((op[3] + op[2] - 1) >> 3 for op in writes)
    part = view[lo:hi + 1]
    win = bytearray(part.encode() if part.isascii() else to_bytes(part))
    if len(win) < hi + 1 - lo:
        win.extend(bytes(hi + 1 - lo - len(win)))
    win_count = _popcount(win)
    out = []
    changes = 0
    for opcode, signed, bits, offset, value, owtype in ops:
        if opcode == _GET:
            blo, bhi = offset >> 3, (offset + bits - 1) >> 3
            chunk = bytearray(bhi - blo + 1)
            for i in range(blo, bhi + 1):
                if lo <= i <= hi:
                    chunk[i - blo] = win[i - lo]
                elif i < n:
                    chunk[i - blo] = ord(view[i]) & 0xFF
            out.append(_get_field(chunk, blo, offset, bits, signed))
            continue
        oldval = _get_field(win, lo, offset, bits, signed)
        if signed:
            if opcode == _INCRBY:
                over, wrapped = _check_signed(oldval, value, bits, owtype)
                newval = wrapped if over else oldval + value
                ret = newval
            else:
                newval = value
                over, wrapped = _check_signed(newval, 0, bits, owtype)
                if over:
                    newval = wrapped
                ret = oldval
        else:
            if opcode == _INCRBY:
                newval = (oldval + value) & M64
                over, wrapped = _check_unsigned(oldval, value, bits, owtype)
                if over:
                    newval = wrapped
                ret = newval
            else:
                newval = value & M64
                over, wrapped = _check_unsigned(newval, 0, bits, owtype)
                if over:
                    newval = wrapped
                ret = oldval
        if over and owtype == _FAIL:
            out.append(None)
            continue
        out.append(ret)
        _set_field(win, lo, offset, bits, newval & M64)
        if grown or oldval != newval:
            changes += 1
    if grown or changes:
        e = VIEWS.get(db, key, old) if old is not MISSING else None
        buf = count = None
        if e is not None:
            VIEWS.drop(db, key)
            buf, count = e[2], e[3]
            if buf is not None:
                if len(buf) < total:
                    buf.extend(bytes(total - len(buf)))
                buf[lo:hi + 1] = win
            if count is not None:
                count += _popcount(win) - win_count
        _store(c, key, old, _splice(view, lo, _one_to_one(win), total), buf, count)
    else:
        _unshared(db, key, old)
    if changes:
        db.notify(_STRING, "setbit", key)
    elif grown:
        # Redis created or grew the key but, as no operation wrote, neither signals nor
        # propagates it
        c.no_propagate()
    return out


@command("bitfield")
def bitfield(c, args):
    return _bitfield(c, args, False)


@command("bitfield_ro")
def bitfield_ro(c, args):
    return _bitfield(c, args, True)
