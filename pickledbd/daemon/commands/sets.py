"""Set commands. A set is a Python ``set`` of str.

Complexity notes. Python sets have no O(1) random access, so:
- SPOP and SRANDMEMBER pick uniformly from the set's ``Pool`` (keyspace/scan.py: a member
  list with lazy deletion that the commands here keep up to date), O(1) amortised per pick;
  replies of thousands of members are encoded in chunks.
- SSCAN walks the members in hash order with Redis-like small reverse-binary cursors, so a
  member present during the whole iteration is returned at least once whatever changes
  around it; the hash-ordered snapshot costs O(n log n) to build after the set gained
  members, then each call is O(log n + count). Sets of at most 128 members (and any set no
  larger than COUNT) are returned whole with cursor 0.

Keyspace events and propagation follow Redis 7.0's t_set.c: an event only for what changed
(``sadd``, ``srem``, ``spop``, ...), then ``del`` when the set was emptied. SPOP propagates
as SREM (one per member with a count, or DEL when it takes the whole set); the *STORE
commands notify their own event on the destination, or ``del`` when an empty result
removed it.
"""
from __future__ import annotations

from ..engine.command import command
from ..errors import RedisError
from ..keyspace import MISSING, WRONGTYPE, events
from ..keyspace.scan import members_added, members_removed, pool, sample_chunks, scan_step, tracked
from ..protocol.reply import SetReply
from .keys import CHUNK, chunked_array
from .util import INT_MAX, SYNTAX, parse_cursor, parse_int, scan_options

SET = (set,)
SET_EVENTS, GENERIC = events.SET, events.GENERIC
POSITIVE = RedisError("ERR value is out of range, must be positive")
SMALL_SCAN = 128


# ---------------------------------------------------------------- helpers
def _set_or_missing(c, key):
    return c.db.lookup_type(key, SET)


def store_result(db, dst: str, value, event: str, cls: int) -> int:
    """Write a *STORE result as Redis's setKey (the destination is looked up for writing
    first, so an expired one is expired with its event and DEL): the command's ``event``, or
    ``del`` when an empty result removed an existing key. Returns the result's size.
    Shared with the sorted-set *STORE commands."""
    db.lookup(dst)
    if value:
        db.set(dst, value)
        db.notify(cls, event, dst)
    elif db.delete(dst):
        db.notify(GENERIC, "del", dst)
    return len(value)


def _parse_count(arg: str) -> int:
    try:
        n = parse_int(arg)
    except RedisError:
        raise POSITIVE from None
    if n < 0:
        raise POSITIVE
    return n


# ---------------------------------------------------------------- commands
@command("sadd")
def sadd(c, args):
    db = c.db
    key = args[1]
    s = db.lookup_type(key, SET)
    if s is MISSING:
        s = set(args[2:])
        db.set(key, s)
        added = len(s)
    else:
        before = len(s)
        new = [m for m in args[2:] if m not in s] if tracked(c.ks, s) is not None else ()
        if len(args) == 3:
            s.add(args[2])
        else:
            s.update(args[2:])
        added = len(s) - before
        if not added:
            return 0
        if new:
            members_added(c.ks, s, set(new))
        db.modified(key)
    if c.ks.notify_mask & SET_EVENTS:     # one check on the hot path when notifications are off
        db.notify(SET_EVENTS, "sadd", key)
    return added


@command("srem")
def srem(c, args):
    db = c.db
    key = args[1]
    s = db.lookup_type(key, SET)
    if s is MISSING:
        return 0
    before = len(s)
    gone = [m for m in args[2:] if m in s] if tracked(c.ks, s) is not None else ()
    if len(args) == 3:
        s.discard(args[2])
    else:
        s.difference_update(args[2:])
    removed = before - len(s)
    if removed:
        members_removed(c.ks, s, gone)
        db.removed_from(key, s, SET_EVENTS, "srem")
    return removed


@command("smembers")
def smembers(c, args):
    s = c.db.lookup_type(args[1], SET)
    return SetReply(s if s is not MISSING else ())


@command("sismember")
def sismember(c, args):
    s = c.db.lookup_type(args[1], SET)
    return 1 if s is not MISSING and args[2] in s else 0


@command("smismember")
def smismember(c, args):
    s = c.db.lookup_type(args[1], SET)
    if s is MISSING:
        return [0] * (len(args) - 2)
    return [1 if m in s else 0 for m in args[2:]]


@command("scard")
def scard(c, args):
    s = c.db.lookup_type(args[1], SET)
    return 0 if s is MISSING else len(s)


@command("spop")
def spop(c, args):
    db = c.db
    key = args[1]
    if len(args) > 3:
        raise SYNTAX
    if len(args) == 3:
        count = _parse_count(args[2])
        s = db.lookup_type(key, SET)
        if s is MISSING or count == 0:
            return SetReply()
        if count >= len(s):
            db.notify(SET_EVENTS, "spop", key)
            db.delete(key)
            db.notify(GENERIC, "del", key)
            c.propagate_as(["DEL", key])
            return SetReply(s)
        p = pool(c.ks, s)
        picked = [m for part in sample_chunks(s, len(s), count, lambda k: p.picks(s, k)) for m in part]
        s.difference_update(picked)
        p.removed(picked)
        out = SetReply(picked)
        db.notify(SET_EVENTS, "spop", key)
        db.modified(key)
        if c.engine.propagation.active:   # Redis 7.0: one SREM per member, as one unit
            for m in out:
                c.also_propagate(["SREM", key, m])
        c.no_propagate()
        return out
    s = db.lookup_type(key, SET)
    if s is MISSING:
        return None
    p = pool(c.ks, s)
    m = p.pick(s)
    s.remove(m)
    p.removed((m,))
    c.propagate_as(["SREM", key, m])
    db.removed_from(key, s, SET_EVENTS, "spop")
    return m


@command("srandmember")
def srandmember(c, args):
    if len(args) > 3:
        raise SYNTAX
    if len(args) == 3:
        count = parse_int(args[2])
        if count < -INT_MAX:
            raise RedisError("ERR value is out of range, value must between -9223372036854775807 "
                             "and 9223372036854775807")
        s = c.db.lookup_type(args[1], SET)
        if s is MISSING or count == 0:
            return []
        n = len(s)
        if count >= n:
            return list(s) if n <= CHUNK else chunked_array(c, n, sample_chunks(s, n, n, None, CHUNK))
        p = pool(c.ks, s)
        chunks = sample_chunks(s, n, count, lambda k: p.picks(s, k), CHUNK)
        total = -count if count < 0 else count
        if total <= CHUNK:
            return next(chunks, [])
        return chunked_array(c, total, chunks)
    s = c.db.lookup_type(args[1], SET)
    if s is MISSING:
        return None
    return pool(c.ks, s).pick(s)


@command("smove")
def smove(c, args):
    db = c.db
    src_key, dst_key, member = args[1], args[2], args[3]
    src = db.lookup(src_key)
    dst = db.lookup(dst_key)
    if src is MISSING:
        return 0
    if type(src) is not set or (dst is not MISSING and type(dst) is not set):
        raise WRONGTYPE
    if src is dst:
        return 1 if member in src else 0
    if member not in src:
        return 0
    src.remove(member)
    members_removed(c.ks, src, (member,))
    db.removed_from(src_key, src, SET_EVENTS, "srem")
    if dst is MISSING:
        db.set(dst_key, {member})
    elif member not in dst:
        dst.add(member)
        members_added(c.ks, dst, (member,))
        db.modified(dst_key)
    else:
        return 1
    db.notify(SET_EVENTS, "sadd", dst_key)
    return 1


def _gather(c, keys):
    """The sets at ``keys`` (None for a missing key); any other type is WRONGTYPE. Read as
    lookupKeyRead: a missing key is a keymiss event, even in the *STORE commands."""
    out = []
    lookup = c.db.lookup_read
    for k in keys:
        v = lookup(k)
        if v is MISSING:
            out.append(None)
        elif type(v) is set:
            out.append(v)
        else:
            raise WRONGTYPE
    return out


def _inter(sets) -> set:
    if any(s is None for s in sets):
        return set()
    sets = sorted(sets, key=len)
    result = set(sets[0])
    for s in sets[1:]:
        if not result:
            break
        result.intersection_update(s)
    return result


def _union(sets) -> set:
    result = set()
    for s in sets:
        if s:
            result.update(s)
    return result


def _diff(sets) -> set:
    first = sets[0]
    if not first:
        return set()
    result = set(first)
    for s in sets[1:]:
        if not result:
            break
        if s:
            result.difference_update(s)
    return result


@command("sinter")
def sinter(c, args):
    return SetReply(_inter(_gather(c, args[1:])))


@command("sinterstore")
def sinterstore(c, args):
    return store_result(c.db, args[1], _inter(_gather(c, args[2:])), "sinterstore", SET_EVENTS)


@command("sunion")
def sunion(c, args):
    return SetReply(_union(_gather(c, args[1:])))


@command("sunionstore")
def sunionstore(c, args):
    return store_result(c.db, args[1], _union(_gather(c, args[2:])), "sunionstore", SET_EVENTS)


@command("sdiff")
def sdiff(c, args):
    return SetReply(_diff(_gather(c, args[1:])))


@command("sdiffstore")
def sdiffstore(c, args):
    return store_result(c.db, args[1], _diff(_gather(c, args[2:])), "sdiffstore", SET_EVENTS)


@command("sintercard")
def sintercard(c, args):
    try:
        numkeys = parse_int(args[1])
    except RedisError:
        numkeys = 0
    if numkeys < 1:
        raise RedisError("ERR numkeys should be greater than 0")
    if numkeys > len(args) - 2:
        raise RedisError("ERR Number of keys can't be greater than number of args")
    limit = 0
    i = 2 + numkeys
    while i < len(args):
        if args[i].lower() == "limit" and i + 1 < len(args):
            try:
                limit = parse_int(args[i + 1])
            except RedisError:
                limit = -1
            if limit < 0:
                raise RedisError("ERR LIMIT can't be negative")
            i += 2
        else:
            raise SYNTAX
    sets = _gather(c, args[2:2 + numkeys])
    if any(s is None for s in sets):
        return 0
    sets.sort(key=len)
    first, rest = sets[0], sets[1:]
    n = 0
    for m in first:
        for s in rest:
            if m not in s:
                break
        else:
            n += 1
            if n == limit:
                break
    return n


@command("sscan")
def sscan(c, args):
    cursor = parse_cursor(args[2])
    s = c.db.lookup_type(args[1], SET)
    if s is MISSING:
        return ["0", []]
    count, match, _ = scan_options(args, 3)
    if len(s) <= SMALL_SCAN or len(s) <= count:
        nxt, found = 0, list(s)
    else:
        nxt, found = scan_step(c.ks, s, cursor, count)
        found = [m for m in found if m in s]
    if match is not None:
        found = [m for m in found if match(m)]
    return [str(nxt), found]
