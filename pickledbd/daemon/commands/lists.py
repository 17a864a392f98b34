"""List commands, blocking ones included (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP).

A list is a ``collections.deque``: O(1) push/pop at both ends, O(min(i, n-i)) indexing.
An emptied list deletes its key. Blocking commands return ``BlockOn`` when nothing can be
served; the server re-runs them (``c.block`` is then set) when one of their keys is written.

Keyspace events and propagation follow Redis 7.0's t_list.c: each change notifies its event
(``lpush``, ``lpop``, ``ltrim``, ...) and then ``del`` when the list was emptied; LMOVE
notifies the push on the destination before the pop on the source. Blocking commands,
served at once or later, propagate as the plain command they ran (BLPOP -> LPOP key,
BLMOVE -> LMOVE, BLMPOP / LMPOP -> LPOP key <popped count>).
"""
from __future__ import annotations

from collections import deque
from itertools import islice

from ..engine.blocking import BlockOn, parse_timeout
from ..keyspace import MISSING, WRONGTYPE, events
from ..keyspace.ranges import index_range
from ..errors import RedisError
from ..protocol.reply import NULL_ARRAY, OK
from ..engine.command import command
from .util import INT_MAX, SYNTAX, parse_int

LIST, GENERIC = events.LIST, events.GENERIC
NO_SUCH_KEY = RedisError("ERR no such key")
POSITIVE = RedisError("ERR value is out of range, must be positive")


def _get(db, key):
    """The deque at ``key`` or MISSING; WRONGTYPE for other types."""
    v = db.lookup(key)
    if v is MISSING or type(v) is deque:
        return v
    if type(v) is list:             # a plain list (should not happen: loads convert)
        v = db.data[key] = deque(v)
        return v
    raise WRONGTYPE


def _where(s: str) -> bool:
    """LEFT -> True, RIGHT -> False, else syntax error."""
    u = s.lower()
    if u == "left":
        return True
    if u == "right":
        return False
    raise SYNTAX


# ---------------------------------------------------------------- push

def _push(c, args, left: bool, only_existing: bool):
    db, key = c.db, args[1]
    d = _get(db, key)
    if d is MISSING:
        if only_existing:
            return 0
        d = deque()
        if left:
            d.extendleft(args[2:])
        else:
            d.extend(args[2:])
        db.set(key, d)
    else:
        if left:
            d.extendleft(args[2:])
        else:
            d.extend(args[2:])
        db.modified(key)
    if c.ks.notify_mask & LIST:       # one check on the hot path when notifications are off
        db.notify(LIST, "lpush" if left else "rpush", key)
    return len(d)


@command("lpush")
def lpush(c, args):
    return _push(c, args, True, False)


@command("rpush")
def rpush(c, args):
    return _push(c, args, False, False)


@command("lpushx")
def lpushx(c, args):
    return _push(c, args, True, True)


@command("rpushx")
def rpushx(c, args):
    return _push(c, args, False, True)


# ---------------------------------------------------------------- pop

def _pop_n(d, n: int, left: bool) -> list:
    if n >= len(d):
        out = list(d) if left else list(reversed(d))
        d.clear()
        return out
    pop = d.popleft if left else d.pop
    return [pop() for _ in range(n)]


def _pop(c, args, left: bool):
    if len(args) > 3:
        raise RedisError("ERR wrong number of arguments for '%s' command" % args[0].lower())
    count = None
    if len(args) == 3:
        try:
            count = parse_int(args[2])
        except RedisError:
            raise POSITIVE from None
        if count < 0:
            raise POSITIVE
    db, key = c.db, args[1]
    d = _get(db, key)
    if d is MISSING:
        return None if count is None else NULL_ARRAY
    if count is None:
        v = d.popleft() if left else d.pop()
        db.removed_from(key, d, LIST, "lpop" if left else "rpop")
        return v
    if count == 0:
        return []
    out = _pop_n(d, count, left)
    db.removed_from(key, d, LIST, "lpop" if left else "rpop")
    return out


@command("lpop")
def lpop(c, args):
    return _pop(c, args, True)


@command("rpop")
def rpop(c, args):
    return _pop(c, args, False)


# ---------------------------------------------------------------- read

@command("llen")
def llen(c, args):
    d = _get(c.db, args[1])
    return 0 if d is MISSING else len(d)


def range_of(d, start: int, end: int) -> list:
    """d[start..end] (inclusive, normalised indexes), walking from the nearer end."""
    n = len(d)
    if start == 0 and end == n - 1:
        return list(d)
    if start <= n - 1 - end:
        return list(islice(d, start, end + 1))
    out = list(islice(reversed(d), n - 1 - end, n - start))
    out.reverse()
    return out


@command("lrange")
def lrange(c, args):
    start, end = parse_int(args[2]), parse_int(args[3])
    d = _get(c.db, args[1])
    if d is MISSING:
        return []
    r = index_range(start, end, len(d))
    if r is None:
        return []
    return range_of(d, r[0], r[1])


@command("lindex")
def lindex(c, args):
    d = _get(c.db, args[1])
    if d is MISSING:
        return None
    i = parse_int(args[2])
    n = len(d)
    if i < 0:
        i += n
    if 0 <= i < n:
        return d[i]
    return None


@command("lset")
def lset(c, args):
    db, key = c.db, args[1]
    d = _get(db, key)
    if d is MISSING:
        raise NO_SUCH_KEY
    i = parse_int(args[2])
    n = len(d)
    if i < 0:
        i += n
    if not 0 <= i < n:
        raise RedisError("ERR index out of range")
    d[i] = args[3]
    db.modified(key)
    db.notify(LIST, "lset", key)
    return OK


@command("linsert")
def linsert(c, args):
    where = args[2].lower()
    if where not in ("before", "after"):
        raise SYNTAX
    db, key = c.db, args[1]
    d = _get(db, key)
    if d is MISSING:
        return 0
    try:
        i = d.index(args[3])
    except ValueError:
        return -1
    d.insert(i if where == "before" else i + 1, args[4])
    db.modified(key)
    db.notify(LIST, "linsert", key)
    return len(d)


@command("lrem")
def lrem(c, args):
    count = parse_int(args[2])
    db, key = c.db, args[1]
    d = _get(db, key)
    if d is MISSING:
        return 0
    v = args[3]
    if v not in d:
        return 0
    if count == 0:
        kept = [x for x in d if x != v]
        removed = len(d) - len(kept)
        d.clear()
        d.extend(kept)
    elif count > 0:
        removed = 0
        kept = []
        it = iter(d)
        for x in it:
            if x == v:
                removed += 1
                if removed == count:
                    break
            else:
                kept.append(x)
        kept.extend(it)
        d.clear()
        d.extend(kept)
    else:
        limit = -count
        removed = 0
        kept = []
        it = reversed(d)
        for x in it:
            if x == v:
                removed += 1
                if removed == limit:
                    break
            else:
                kept.append(x)
        kept.extend(it)
        kept.reverse()
        d.clear()
        d.extend(kept)
    db.removed_from(key, d, LIST, "lrem")
    return removed


@command("ltrim")
def ltrim(c, args):
    start, end = parse_int(args[2]), parse_int(args[3])
    db, key = c.db, args[1]
    d = _get(db, key)
    if d is MISSING:
        return OK
    n = len(d)
    r = index_range(start, end, n)
    if r is None:
        d.clear()
    else:
        start, end = r
        left, right, keep = start, n - 1 - end, end - start + 1
        if left == 0 and right == 0:
            # Redis signals the key (WATCH, tracking) and notifies even when nothing was
            # trimmed, but propagates nothing
            db.modified(key)
            c.no_propagate()
            db.notify(LIST, "ltrim", key)
            return OK
        if left + right > keep:
            kept = range_of(d, start, end)
            d.clear()
            d.extend(kept)
        else:
            for _ in range(left):
                d.popleft()
            for _ in range(right):
                d.pop()
    db.removed_from(key, d, LIST, "ltrim")
    return OK


@command("lpos")
def lpos(c, args):
    rank, count, maxlen = 1, None, 0
    i, n = 3, len(args)
    while i < n:
        opt = args[i].lower()
        more = n - 1 - i
        if opt == "rank" and more:
            rank = parse_int(args[i + 1])
            if rank < -INT_MAX:
                rank = -1           # Redis 7.0: -LLONG_MIN overflows, so "matches >= rank" always holds
            if rank == 0:
                raise RedisError("ERR RANK can't be zero: use 1 to start from the first match, 2 "
                                 "from the second ... or use negative to start from the end of "
                                 "the list")
        elif opt == "count" and more:
            count = _nonneg(args[i + 1], "ERR COUNT can't be negative")
        elif opt == "maxlen" and more:
            maxlen = _nonneg(args[i + 1], "ERR MAXLEN can't be negative")
        else:
            raise SYNTAX
        i += 2
    d = _get(c.db, args[1])
    if d is MISSING:
        return None if count is None else []
    v = args[2]
    size = len(d)
    want = count if count else (size if count == 0 else 1)
    found = []
    skip = abs(rank) - 1
    if rank > 0:
        it = enumerate(d if not maxlen else islice(d, maxlen))
        for idx, x in it:
            if x == v:
                if skip:
                    skip -= 1
                    continue
                found.append(idx)
                if len(found) >= want:
                    break
    else:
        it = enumerate(reversed(d) if not maxlen else islice(reversed(d), maxlen))
        for j, x in it:
            if x == v:
                if skip:
                    skip -= 1
                    continue
                found.append(size - 1 - j)
                if len(found) >= want:
                    break
    if count is None:
        return found[0] if found else None
    return found


def _nonneg(s: str, msg: str) -> int:
    try:
        n = parse_int(s)
    except RedisError:
        raise RedisError(msg) from None
    if n < 0:
        raise RedisError(msg)
    return n


# ---------------------------------------------------------------- move

def _move(c, src, dst, from_left: bool, to_left: bool, blocking: bool = False):
    """LMOVE's body: the moved element, or MISSING when ``src`` is empty. Events as
    lmoveGenericCommand: the push on ``dst`` (after its ``new``), then the pop on ``src``
    (then its ``del``)."""
    db = c.db
    if blocking and c.block is not None:
        # re-run of a blocked client: a source of another type is "not ready" (Redis 7.0)
        try:
            d = _get(db, src)
        except RedisError:
            return MISSING
    else:
        d = _get(db, src)
    if d is MISSING:
        return MISSING
    pushed = "lpush" if to_left else "rpush"
    popped = "lpop" if from_left else "rpop"
    if src == dst:
        if from_left != to_left:
            if from_left:
                d.rotate(-1)
                v = d[-1]
            else:
                d.rotate(1)
                v = d[0]
        else:
            v = d[0] if from_left else d[-1]
        db.modified(src)
        db.notify(LIST, pushed, dst)
        db.notify(LIST, popped, src)
        return v
    t = _get(db, dst)
    v = d.popleft() if from_left else d.pop()
    if t is MISSING:
        db.set(dst, deque((v,)))
    else:
        if to_left:
            t.appendleft(v)
        else:
            t.append(v)
        db.modified(dst)
    db.notify(LIST, pushed, dst)
    db.removed_from(src, d, LIST, popped)
    return v


@command("lmove")
def lmove(c, args):
    fl, tl = _where(args[3]), _where(args[4])
    v = _move(c, args[1], args[2], fl, tl)
    return None if v is MISSING else v


@command("rpoplpush")
def rpoplpush(c, args):
    v = _move(c, args[1], args[2], False, True)
    return None if v is MISSING else v


@command("blmove")
def blmove(c, args):
    fl, tl = _where(args[3]), _where(args[4])
    timeout = parse_timeout(args[5])
    v = _blmove(c, args[1], args[2], fl, tl, timeout)
    if v.__class__ is str:
        if c.block is None:
            c.propagate_as(["LMOVE", args[1], args[2], args[3], args[4]])     # as sent
        else:   # a waiter served later: Redis 7.0 writes the directions as lowercase words
            c.propagate_as(["LMOVE", args[1], args[2], "left" if fl else "right", "left" if tl else "right"])
    return v


@command("brpoplpush")
def brpoplpush(c, args):
    timeout = parse_timeout(args[3])
    v = _blmove(c, args[1], args[2], False, True, timeout)
    if v.__class__ is str:
        c.propagate_as(["RPOPLPUSH", args[1], args[2]])
    return v


def _blmove(c, src, dst, fl, tl, timeout):
    v = _move(c, src, dst, fl, tl, blocking=True)
    if v is not MISSING:
        return v
    if c.no_block:
        return None             # Redis 7.0: a null bulk here, but a null array on timeout
    return BlockOn([src], timeout, NULL_ARRAY)


# ---------------------------------------------------------------- LMPOP / BLPOP / BRPOP / BLMPOP

def _mpop_args(args, numkeys_idx: int):
    try:
        numkeys = parse_int(args[numkeys_idx])
    except RedisError:
        numkeys = 0
    if numkeys < 1:
        raise RedisError("ERR numkeys should be greater than 0")
    where_idx = numkeys_idx + numkeys + 1
    if where_idx >= len(args):
        raise SYNTAX
    left = _where(args[where_idx])
    count = None
    j = where_idx + 1
    while j < len(args):
        if count is None and args[j].lower() == "count" and j + 1 < len(args):
            try:
                count = parse_int(args[j + 1])
            except RedisError:
                count = 0
            if count < 1:
                raise RedisError("ERR count should be greater than 0")
            j += 2
        else:
            raise SYNTAX
    return args[numkeys_idx + 1:where_idx], left, count or 1


def _first_nonempty(c, keys):
    """The first key holding a list, and its deque; WRONGTYPE stops the scan, except when a
    blocked client is re-run (Redis 7.0 only serves it from keys that hold a list)."""
    db = c.db
    rerun = c.block is not None
    ready = c.ready_key if rerun else None
    if ready is not None and ready in keys:
        keys = [ready] + [k for k in keys if k != ready]
    for key in keys:
        if rerun:
            try:
                d = _get(db, key)
            except RedisError:
                continue
        else:
            d = _get(db, key)
        if d is not MISSING:
            return key, d
    return None, None


def _mpop(c, key, d, left: bool, count: int) -> list:
    """Pop up to ``count`` from ``key``; propagated as [LR]POP key <popped>, as Redis 7.0."""
    out = _pop_n(d, count, left)
    c.db.removed_from(key, d, LIST, "lpop" if left else "rpop")
    c.propagate_as(["LPOP" if left else "RPOP", key, str(len(out))])
    return [key, out]


@command("lmpop")
def lmpop(c, args):
    keys, left, count = _mpop_args(args, 1)
    key, d = _first_nonempty(c, keys)
    if key is None:
        return NULL_ARRAY
    return _mpop(c, key, d, left, count)


@command("blmpop")
def blmpop(c, args):
    timeout = parse_timeout(args[1])
    keys, left, count = _mpop_args(args, 2)
    key, d = _first_nonempty(c, keys)
    if key is None:
        if c.no_block:
            return NULL_ARRAY
        return BlockOn(list(dict.fromkeys(keys)), timeout, NULL_ARRAY)
    return _mpop(c, key, d, left, count)


def _bpop(c, args, left: bool):
    timeout = parse_timeout(args[-1])
    keys = args[1:-1]
    key, d = _first_nonempty(c, keys)
    if key is None:
        if c.no_block:
            return NULL_ARRAY
        return BlockOn(list(dict.fromkeys(keys)), timeout, NULL_ARRAY)
    v = d.popleft() if left else d.pop()
    c.db.removed_from(key, d, LIST, "lpop" if left else "rpop")
    c.propagate_as(["LPOP" if left else "RPOP", key])
    return [key, v]


@command("blpop")
def blpop(c, args):
    return _bpop(c, args, True)


@command("brpop")
def brpop(c, args):
    return _bpop(c, args, False)
