"""HyperLogLog commands (Redis 7.0 hyperloglog.c): PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST.

The HLL is a Redis string in Redis's own format (keyspace/hll.py), so GET returns the bytes
Redis would store and a value copied from Redis with GET/SET counts the same.

As in Redis: PFADD notifies ``pfadd`` (string class) and propagates when a register changed
(or the key was created); PFMERGE always writes, notifies ``pfadd`` and propagates; PFCOUNT of
one key whose cached cardinality is stale stores the new cache in the value, a write without
an event that propagates the PFCOUNT itself; PFDEBUG GETREG/TODENSE convert a sparse HLL to
dense (propagated, no event).
"""
from __future__ import annotations

import random

from ..engine.command import command
from ..errors import RedisError
from ..keyspace import MISSING, STRING_TYPES, WRONGTYPE, events, hll, to_bytes
from ..protocol.reply import OK, Status
from .strings import mark_raw

_STRING = events.STRING
_SPARSE_MAX_DEFAULT = 3000


def _max_bytes(c) -> int:
    return c.config.values.get("hll-sparse-max-bytes", _SPARSE_MAX_DEFAULT)


def _state(db, key: str, v):
    """isHLLObjectOrReply: the HllState of the value at key."""
    if type(v) is not str:
        raise hll.NOT_HLL if type(v) in STRING_TYPES else WRONGTYPE
    return hll.state_of(db, key, v)


def _store(db, key: str, st) -> None:
    """The value changed in place (Redis edits the string): store the new str, TTL kept."""
    value = st.value()
    db.set(key, value, keep_ttl=True)
    hll.remember(db, key, st)
    mark_raw(db, key, value)


def _signed(card: int) -> int:
    return card - (1 << 64) if card >= 1 << 63 else card


@command("pfadd")
def pfadd(c, args):
    db = c.db
    key = args[1]
    v = db.lookup(key)
    if v is MISSING:
        st = hll.new_sparse()
        updated = 1
    else:
        st = _state(db, key, v)
        updated = 0
    max_bytes = _max_bytes(c)
    for ele in args[2:]:
        r = st.add(to_bytes(ele), max_bytes)
        if r < 0:
            if st.changed or st.s is not v:     # Redis keeps what the earlier elements did
                _store(db, key, st)
                db.ks.dirty -= 1                   # ... without counting it as a change
            raise hll.INVALID_HLL
        updated += r
    if not updated:
        return 0
    st.invalidate()
    _store(db, key, st)
    db.ks.dirty += updated - 1
    db.notify(_STRING, "pfadd", key)
    return 1


def _count_one(c, key: str):
    db = c.db
    v = db.lookup(key)
    if v is MISSING:
        return 0
    st = _state(db, key, v)
    if st.cache_valid():
        mark_raw(db, key, v)          # dbUnshareStringValue
        return _signed(st.cached_card())
    card = st.count()
    st.set_card(card)
    _store(db, key, st)               # a read command writing: propagated as PFCOUNT, no event
    return _signed(card)


@command("pfcount")
def pfcount(c, args):
    if len(args) == 2:
        return _count_one(c, args[1])
    db = c.db
    regs = None
    for key in args[1:]:
        v = db.lookup(key)
        if v is MISSING:
            continue
        raw = _state(db, key, v).registers()
        regs = raw if regs is None else hll.raw_max(regs, raw)
    if regs is None:
        return 0
    return _signed(hll.estimate(hll.raw_histogram(regs)))


@command("pfmerge")
def pfmerge(c, args):
    db = c.db
    regs = None
    use_dense = False
    for key in args[1:]:
        v = db.lookup_read(key)
        if v is MISSING:
            continue
        st = _state(db, key, v)
        if st.dense:
            use_dense = True
        raw = st.registers()
        regs = raw if regs is None else hll.raw_max(regs, raw)
    dest = args[1]
    v = db.lookup(dest)
    st = hll.new_sparse() if v is MISSING else _state(db, dest, v)
    if use_dense and not st.to_dense():
        raise hll.INVALID_HLL
    if regs is not None:
        if st.dense:
            st.set_registers(regs)
        else:
            have = st.registers()
            max_bytes = _max_bytes(c)
            for j in range(hll.REGISTERS):
                if regs[j] > have[j]:
                    st.set_register(j, regs[j], max_bytes)
    st.invalidate()
    _store(db, dest, st)
    db.notify(_STRING, "pfadd", dest)
    return OK


# ---- debugging ---------------------------------------------------------------------------
@command("pfdebug")
def pfdebug(c, args):
    sub = args[1]
    db = c.db
    key = args[2]
    v = db.lookup(key)
    if v is MISSING:
        raise RedisError("ERR The specified key does not exist")
    st = _state(db, key, v)
    mark_raw(db, key, v)
    name = sub.lower()
    if name == "getreg":
        if not st.dense:
            if not st.to_dense():
                raise hll.INVALID_HLL
            _store(db, key, st)
        return list(st.registers())
    if name == "decode":
        if st.dense:
            raise RedisError("ERR HLL encoding is not sparse")
        return hll.sparse_decode_text(st.sync())
    if name == "encoding":
        return Status("dense" if st.dense else "sparse")
    if name == "todense":
        if st.dense:
            return 0
        if not st.to_dense():
            raise hll.INVALID_HLL
        _store(db, key, st)
        return 1
    raise RedisError("ERR Unknown PFDEBUG subcommand '%s'" % sub)


@command("pfselftest")
def pfselftest(c, args):
    """Redis's two checks, scaled down to keep the server responsive (Redis adds 10 million
    elements): packed registers read back what was written, and dense and sparse agree and
    stay within the expected error up to 10000 elements."""
    rnd = random.Random()
    st = hll.HllState(None, bytearray(b"HYLL" + bytes(hll.DENSE_SIZE - 4)))
    for _ in range(3):
        values = bytes(rnd.getrandbits(6) for _ in range(hll.REGISTERS))
        st.buf[hll.HDR:] = hll.pack_dense(values)
        got = st.registers()
        for i in range(hll.REGISTERS):
            if got[i] != values[i]:
                raise RedisError("TESTFAILED Register %d should be %d but is %d" % (i, values[i], got[i]))
    dense = hll.HllState(None, bytearray(b"HYLL" + bytes(hll.DENSE_SIZE - 4)))
    sparse = hll.new_sparse()
    max_bytes = _max_bytes(c)
    relerr = 1.04 / hll.REGISTERS ** 0.5
    seed = rnd.getrandbits(64)
    checkpoint = 1
    for j in range(1, 10001):
        ele = ((j ^ seed) & ((1 << 64) - 1)).to_bytes(8, "little")
        index, count = hll.pat_len(ele)
        dense.set_register(index, count, max_bytes)
        sparse.set_register(index, count, max_bytes)
        if j == checkpoint:
            if j < max_bytes / 2 and sparse.dense:
                raise RedisError("TESTFAILED sparse encoding not used")
            card = dense.count()
            if card != sparse.count():
                raise RedisError("TESTFAILED dense/sparse disagree")
            maxerr = 1 if j == 10 else -(-relerr * 6 * checkpoint // 1)
            if abs(checkpoint - card) > maxerr:
                raise RedisError("TESTFAILED Too big error. card:%d abserr:%d" % (checkpoint, abs(checkpoint - card)))
            checkpoint *= 10
    return OK
