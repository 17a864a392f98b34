"""Sorted set commands. The value is a ``keyspace.zset.ZSet`` (compact list + array while
small, dict + SortedList once big).

Scores are parsed and printed as Redis 7.0 does: strict ``strtod`` for scores, weights and
increments ("ERR value is not a valid float"; overflow/underflow rejected, hex accepted),
the looser ``strtod`` of range bounds ("(" exclusive, "" is 0, leading spaces allowed), and
replies as doubles (RESP2 bulk ``%.17g``, RESP3 ``,``), except ZSCAN (always bulk strings).

Keyspace events and propagation follow Redis 7.0's t_zset.c: an event only when something
changed (``zadd`` / ``zincr``, ``zrem``, ``zremrangeby*``, ``zpopmin`` / ``zpopmax``), then
``del`` when the set was emptied; the *STORE commands notify their event on the destination
or ``del`` when an empty result removed it. BZPOPMIN / BZPOPMAX propagate as ZPOPMIN /
ZPOPMAX key, ZMPOP / BZMPOP as ZPOPMIN / ZPOPMAX key <popped count>, served at once or later.
"""
from __future__ import annotations

import math
import random

from ..engine.blocking import BlockOn, parse_timeout
from ..keyspace import MISSING, WRONGTYPE, events
from ..errors import RedisError
from ..protocol.reply import NULL_ARRAY, format_double
from ..keyspace.zset import ZSet, mkey
from ..engine.command import command
from ..keyspace.scan import hash_order, hash_scan, new_tag, sample_chunks
from .keys import CHUNK, chunked_array
from .sets import store_result
from .util import INT_MAX, NOT_FLOAT, SYNTAX, parse_cursor, parse_int, scan_options

ZSET = (ZSet,)
ZSET_EVENTS, GENERIC = events.ZSET, events.GENERIC
INF = math.inf
_CSPACE = " \t\n\r\v\f"

MINMAX_FLOAT = RedisError("ERR min or max is not a float")
MINMAX_LEX = RedisError("ERR min or max not valid string range item")
NAN_RESULT = RedisError("ERR resulting score is not a number (NaN)")
POSITIVE = RedisError("ERR value is out of range, must be positive")
RANGE_ERR = RedisError("ERR value is out of range, value must between -9223372036854775807 "
                       "and 9223372036854775807")
WEIGHT_ERR = RedisError("ERR weight value is not a float")
COUNT_ERR = RedisError("ERR count should be greater than 0")
NUMKEYS_ERR = RedisError("ERR numkeys should be greater than 0")

RANK, SCORE, LEX = 0, 1, 2


# ---------------------------------------------------------------- parsing
def _strtod(t: str):
    """float(t) restricted to what C strtod accepts as a whole (no spaces handled here)."""
    if not t.isascii() or "_" in t:
        return None
    try:
        return float(t)
    except ValueError:
        if "x" in t or "X" in t:
            try:
                return float.fromhex(t)
            except (ValueError, OverflowError):
                return None
        return None


def parse_score(s: str, err: RedisError = NOT_FLOAT) -> float:
    """Redis's getDoubleFromObject (see strtod_score). Fast path: a plainly written integer,
    "0" or -?[1-9][0-9]* of at most 15 digits, is exact as a double (below 2^53) and read
    the same by strtod and float(), so it skips the general checks. "-0" ("-0.0"), "01",
    "+1" and the like take the general path."""
    if s.isascii():
        if s.isdigit():
            if len(s) <= 15 and (s[0] != "0" or len(s) == 1):
                return float(s)
        elif s[:1] == "-" and 2 <= len(s) <= 16 and s[1:].isdigit() and s[1] != "0":
            return float(s)
    return strtod_score(s, err)


def strtod_score(s: str, err: RedisError = NOT_FLOAT) -> float:
    """The general parse: a whole strtod, no NaN, no overflow / underflow to 0."""
    if not s or s[0] in _CSPACE or s[-1] in _CSPACE:
        raise err
    x = _strtod(s)
    if x is None or x != x:
        raise err
    if x == INF or x == -INF:
        if s.lstrip("+-").lower() not in ("inf", "infinity"):
            raise err           # overflow (ERANGE)
    elif x == 0.0:
        mant = s.lower().lstrip("+-")
        if mant.startswith("0x"):
            digits = "123456789abcdef"
            mant = mant[2:].split("p")[0]
        else:
            digits = "123456789"
            mant = mant.split("e")[0]
        if any(ch in digits for ch in mant):
            raise err           # underflow to zero (ERANGE)
    return x


def _range_value(t: str) -> float:
    """strtod(t) for a range bound: leading spaces skipped, "" is 0, the rest must parse."""
    if t == "":
        return 0.0
    if t[0] in _CSPACE:
        t = t.lstrip(_CSPACE)
        if not t:
            raise MINMAX_FLOAT
    if t[-1] in _CSPACE:
        raise MINMAX_FLOAT
    x = _strtod(t)
    if x is None or x != x:
        raise MINMAX_FLOAT
    return x


def parse_score_bound(t: str):
    if t[:1] == "(":
        return _range_value(t[1:]), True
    return _range_value(t), False


def parse_score_range(lo: str, hi: str):
    a, aex = parse_score_bound(lo)
    b, bex = parse_score_bound(hi)
    return a, aex, b, bex


def parse_lex_bound(t: str):
    if t == "-":
        return ("-",)
    if t == "+":
        return ("+",)
    if t[:1] == "[" or t[:1] == "(":
        return (t[0], t[1:])
    raise MINMAX_LEX


def _zset(c, key):
    return c.db.lookup_type(key, ZSET)


def scan_score(x: float, small: bool) -> str:
    """ZSCAN's score text: listpack zsets print integral scores up to 2^62 as integers."""
    if small and x == x and abs(x) <= 4611686018427387904.0 and x == int(x):
        return "%d" % x
    return format_double(x)


def _pairs_reply(c, items):
    """WITHSCORES: flat [m, s, ...] in RESP2, [[m, s], ...] in RESP3."""
    if c.resp == 3:
        return [[m, s] for m, s in items]
    out = []
    for m, s in items:
        out.append(m)
        out.append(s)
    return out


# ---------------------------------------------------------------- ZADD / ZINCRBY
XX_NX = RedisError("ERR XX and NX options at the same time are not compatible")
GT_LT_NX = RedisError("ERR GT, LT, and/or NX options at the same time are not compatible")
INCR_PAIR = RedisError("ERR INCR option supports a single increment-element pair")
_ZADD_FLAGS = {"nx", "xx", "ch", "incr", "gt", "lt"}


def _zadd_generic(c, args, incr: bool):
    n = len(args)
    i = 2
    nx = xx = gt = lt = ch = False
    while i < n:
        o = args[i]
        if len(o) > 4 or o.lower() not in _ZADD_FLAGS:
            break
        o = o.lower()
        if o == "nx":
            nx = True
        elif o == "xx":
            xx = True
        elif o == "ch":
            ch = True
        elif o == "incr":
            incr = True
        elif o == "gt":
            gt = True
        else:
            lt = True
        i += 1
    elements = n - i
    if elements % 2 or not elements:
        raise SYNTAX
    if nx and xx:
        raise XX_NX
    if (gt and nx) or (lt and nx) or (gt and lt):
        raise GT_LT_NX
    if incr and elements > 2:
        raise INCR_PAIR
    scores = [parse_score(args[j]) for j in range(i, n, 2)]
    db = c.db
    key = args[1]
    zs = db.lookup_type(key, ZSET)
    created = False
    if zs is MISSING:
        if xx:
            return None if incr else 0
        zs = ZSet()
        created = True
    added = updated = processed = 0
    d = zs.big_scores       # zs.getter(), inline (a big set's dict.get)
    get = zs.score if d is None else d.get
    newscore = None
    if len(scores) >= 32 and not (nx or xx or gt or lt or incr):
        # bulk path: updates one by one, new members sorted in at once
        fresh: dict = {}
        for k, score in enumerate(scores):
            member = args[i + 2 * k + 1]
            cur = get(member)
            if cur is None:
                old = fresh.get(member)
                if old is None:
                    added += 1
                elif old != score:
                    updated += 1
                else:
                    continue        # an equal score keeps the first one's sign (-0 / 0)
                fresh[member] = score
            elif score != cur:
                zs.put(member, score)
                updated += 1
        zs.add_new(fresh)
        scores = ()
    for k, score in enumerate(scores):
        member = args[i + 2 * k + 1]
        cur = get(member)
        if cur is not None:
            if nx:
                continue
            if incr:
                score += cur
                if score != score:
                    if added or updated:
                        db.modified(key)
                    raise NAN_RESULT
            if (lt and score >= cur) or (gt and score <= cur):
                continue
            processed += 1
            newscore = score
            if score != cur:
                zs.put(member, score)
                updated += 1
        else:
            if xx:
                continue
            zs.put(member, score)
            added += 1
            processed += 1
            newscore = score
    if created:
        if zs:
            db.set(key, zs)
    elif added or updated:
        db.modified(key)
    if added + updated > 1:
        c.ks.dirty += added + updated - 1     # Redis counts each element (save points)
    if (added or updated) and c.ks.notify_mask & ZSET_EVENTS:   # one check on the hot path
        db.notify(ZSET_EVENTS, "zincr" if incr else "zadd", key)
    if incr:
        return newscore if processed else None
    return added + updated if ch else added


def add_one(db, key, zs, member, score: float) -> int:
    """One member into the sorted set at ``key`` (``zs``, or MISSING: a new set is stored):
    1 added, 0 score changed (the key is signalled modified), -1 unchanged."""
    if zs is MISSING:
        zs = ZSet()
        zs.put(member, score)
        db.set(key, zs)
        return 1
    added = zs.put(member, score)
    if added >= 0:
        db.modified(key)
    return added


@command("zadd")
def zadd(c, args):
    """ZADD; ``ZADD key score member`` (no options) takes a fast path: what _zadd_generic
    does for one pair without flags, in the same order (score parsed before the key's
    lookup, zset built before it is stored), without its option and pair loops."""
    if len(args) != 4:
        return _zadd_generic(c, args, False)
    s = args[2]
    if s.isascii() and s.isdigit() and len(s) <= 15 and (s[0] != "0" or len(s) == 1):
        score = float(s)        # parse_score's first case, inline
    else:
        try:
            score = parse_score(s)
        except RedisError:      # a bad score, or a flag leaving an odd count: the general error
            return _zadd_generic(c, args, False)
    db = c.db
    key = args[1]
    zs = db.lookup(key)         # db.lookup_type, inline
    if zs is not MISSING and type(zs) is not ZSet:
        raise WRONGTYPE
    added = add_one(db, key, zs, args[3], score)
    if added < 0:
        return 0                # unchanged: no event, nothing propagated
    if c.ks.notify_mask & ZSET_EVENTS:
        db.notify(ZSET_EVENTS, "zadd", key)
    return added


@command("zincrby")
def zincrby(c, args):
    return _zadd_generic(c, args, True)


# ---------------------------------------------------------------- reads
@command("zscore")
def zscore(c, args):
    zs = _zset(c, args[1])
    if zs is MISSING:
        return None
    d = zs.big_scores           # a big set's dict: no method call (zs.score does the same)
    return zs.score(args[2]) if d is None else d.get(args[2])


@command("zmscore")
def zmscore(c, args):
    zs = _zset(c, args[1])
    if zs is MISSING:
        return [None] * (len(args) - 2)
    d = zs.big_scores
    get = zs.score if d is None else d.get
    return [get(m) for m in args[2:]]


@command("zcard")
def zcard(c, args):
    zs = _zset(c, args[1])
    return 0 if zs is MISSING else len(zs)


@command("zcount")
def zcount(c, args):
    rng = parse_score_range(args[2], args[3])
    zs = _zset(c, args[1])
    if zs is MISSING:
        return 0
    i, j = zs.score_bounds(*rng)
    return j - i


@command("zlexcount")
def zlexcount(c, args):
    lo, hi = parse_lex_bound(args[2]), parse_lex_bound(args[3])
    zs = _zset(c, args[1])
    if zs is MISSING:
        return 0
    i, j = zs.lex_bounds(lo, hi)
    return j - i


def _rank(c, args, reverse):
    withscore = False
    if len(args) > 4:
        raise RedisError("ERR wrong number of arguments for '%s' command" % args[0].lower())
    if len(args) == 4:
        if args[3].lower() != "withscore":
            raise SYNTAX
        withscore = True
    zs = _zset(c, args[1])
    missing = NULL_ARRAY if withscore else None
    if zs is MISSING:
        return missing
    r = zs.rank(args[2])
    if r is None:
        return missing
    if reverse:
        r = len(zs) - 1 - r
    if withscore:
        return [r, zs.score(args[2])]
    return r


# Redis 7.2 added "ZRANK key member WITHSCORE" (arity -3); we advertise 7.2, so we take it.
@command("zrank", arity=-3)
def zrank(c, args):
    return _rank(c, args, False)


@command("zrevrank", arity=-3)
def zrevrank(c, args):
    return _rank(c, args, True)


# ---------------------------------------------------------------- ZRANGE family
LIMIT_RANK = RedisError("ERR syntax error, LIMIT is only supported in combination with either "
                        "BYSCORE or BYLEX")
WITHSCORES_LEX = RedisError("ERR syntax error, WITHSCORES not supported in combination with BYLEX")


def _zrange_generic(c, args, start: int, store: bool, rangetype, reverse):
    n = len(args)
    key = args[start]
    withscores = False
    offset, limit = 0, -1
    j = start + 3
    while j < n:
        o = args[j].lower()
        left = n - j - 1
        if not store and o == "withscores":
            withscores = True
        elif o == "limit" and left >= 2:
            offset = parse_int(args[j + 1])
            limit = parse_int(args[j + 2])
            j += 2
        elif reverse is None and o == "rev":
            reverse = True
        elif rangetype is None and o == "bylex":
            rangetype = LEX
        elif rangetype is None and o == "byscore":
            rangetype = SCORE
        else:
            raise SYNTAX
        j += 1
    if reverse is None:
        reverse = False
    if rangetype is None:
        rangetype = RANK
    if limit != -1 and rangetype == RANK:
        raise LIMIT_RANK
    if withscores and rangetype == LEX:
        raise WITHSCORES_LEX
    a, b = args[start + 1], args[start + 2]
    if reverse and rangetype != RANK:
        a, b = b, a
    if rangetype == RANK:
        r0, r1 = parse_int(a), parse_int(b)
    elif rangetype == SCORE:
        rng = parse_score_range(a, b)
    else:
        lo, hi = parse_lex_bound(a), parse_lex_bound(b)
    zs = c.db.lookup_read(key)      # lookupKeyRead: a miss notifies, ZRANGESTORE included
    if zs is not MISSING and type(zs) is not ZSet:
        raise WRONGTYPE
    if zs is MISSING:
        return store_result(c.db, args[1], (), "zrangestore", ZSET_EVENTS) if store else []
    if rangetype == RANK:
        i, j = zs.rank_bounds(r0, r1)
        if reverse:
            size = len(zs)
            i, j = size - j, size - i
        items = zs.slice(i, j, reverse)
    else:
        i, j = zs.score_bounds(*rng) if rangetype == SCORE else zs.lex_bounds(lo, hi)
        items = zs.slice(i, j, reverse, offset, limit)
    if store:
        return store_result(c.db, args[1], ZSet(dict(items)), "zrangestore", ZSET_EVENTS)
    if withscores:
        return _pairs_reply(c, items)
    return [m for m, _ in items]


@command("zrange")
def zrange(c, args):
    return _zrange_generic(c, args, 1, False, None, None)


@command("zrangestore")
def zrangestore(c, args):
    return _zrange_generic(c, args, 2, True, None, None)


@command("zrevrange")
def zrevrange(c, args):
    return _zrange_generic(c, args, 1, False, RANK, True)


@command("zrangebyscore")
def zrangebyscore(c, args):
    return _zrange_generic(c, args, 1, False, SCORE, False)


@command("zrevrangebyscore")
def zrevrangebyscore(c, args):
    return _zrange_generic(c, args, 1, False, SCORE, True)


@command("zrangebylex")
def zrangebylex(c, args):
    return _zrange_generic(c, args, 1, False, LEX, False)


@command("zrevrangebylex")
def zrevrangebylex(c, args):
    return _zrange_generic(c, args, 1, False, LEX, True)


# ---------------------------------------------------------------- removal
@command("zrem")
def zrem(c, args):
    zs = _zset(c, args[1])
    if zs is MISSING:
        return 0
    removed = 0
    for m in args[2:]:
        if zs.remove(m):
            removed += 1
    if removed:
        c.db.removed_from(args[1], zs, ZSET_EVENTS, "zrem")
    return removed


def _zremrange(c, args, rangetype):
    if rangetype == RANK:
        r0, r1 = parse_int(args[2]), parse_int(args[3])
    elif rangetype == SCORE:
        rng = parse_score_range(args[2], args[3])
    else:
        lo, hi = parse_lex_bound(args[2]), parse_lex_bound(args[3])
    zs = _zset(c, args[1])
    if zs is MISSING:
        return 0
    if rangetype == RANK:
        i, j = zs.rank_bounds(r0, r1)
    elif rangetype == SCORE:
        i, j = zs.score_bounds(*rng)
    else:
        i, j = zs.lex_bounds(lo, hi)
    removed = zs.delete_slice(i, j)
    if removed:
        c.db.removed_from(args[1], zs, ZSET_EVENTS, _ZREMRANGE_EVENTS[rangetype])
    return removed


_ZREMRANGE_EVENTS = {RANK: "zremrangebyrank", SCORE: "zremrangebyscore", LEX: "zremrangebylex"}


@command("zremrangebyrank")
def zremrangebyrank(c, args):
    return _zremrange(c, args, RANK)


@command("zremrangebyscore")
def zremrangebyscore(c, args):
    return _zremrange(c, args, SCORE)


@command("zremrangebylex")
def zremrangebylex(c, args):
    return _zremrange(c, args, LEX)


# ---------------------------------------------------------------- pops
def _pop_first(c, keys, count, highest, skip_wrongtype=False):
    """Pop from the first existing key: (key, [(member, score), ...]) or None."""
    db = c.db
    for key in keys:
        zs = db.lookup(key)
        if zs is MISSING:
            continue
        if type(zs) is not ZSet:
            if skip_wrongtype:
                continue
            raise WRONGTYPE
        items = zs.pop(count, highest)
        c.db.removed_from(key, zs, ZSET_EVENTS, "zpopmax" if highest else "zpopmin")
        return key, items
    return None


def _zpop(c, args, highest):
    if len(args) > 3:
        raise SYNTAX
    count = -1
    if len(args) == 3:
        try:
            count = parse_int(args[2])
        except RedisError:
            raise POSITIVE from None
        if count < 0:
            raise POSITIVE
        if count == 0:
            _zset(c, args[1])   # still WRONGTYPE for another type, as Redis
            return []
    got = _pop_first(c, [args[1]], 1 if count == -1 else count, highest)
    if got is None:
        return []
    items = got[1]
    if count != -1 and c.resp == 3:
        return [[m, s] for m, s in items]
    return [x for pair in items for x in pair]


@command("zpopmin")
def zpopmin(c, args):
    return _zpop(c, args, False)


@command("zpopmax")
def zpopmax(c, args):
    return _zpop(c, args, True)


def _parse_mpop(args, idx):
    """numkeys at args[idx], then keys, MIN|MAX, [COUNT n]: (keys, highest, count)."""
    try:
        numkeys = parse_int(args[idx])
    except RedisError:
        raise NUMKEYS_ERR from None
    if numkeys < 1:
        raise NUMKEYS_ERR
    where_idx = idx + numkeys + 1
    if where_idx >= len(args):
        raise SYNTAX
    where = args[where_idx].lower()
    if where not in ("min", "max"):
        raise SYNTAX
    count = -1
    j, n = where_idx + 1, len(args)
    while j < n:
        if args[j].lower() == "count" and j + 1 < n and count == -1:
            try:
                count = parse_int(args[j + 1])
            except RedisError:
                raise COUNT_ERR from None
            if count < 1:
                raise COUNT_ERR
            j += 2
        else:
            raise SYNTAX
    return args[idx + 1:where_idx], where == "max", (1 if count == -1 else count)


def _mpop_reply(c, got, highest):
    """ZMPOP / BZMPOP's reply; propagated as ZPOPMIN / ZPOPMAX key <popped count> (Redis 7.0)."""
    key, items = got
    c.propagate_as(["ZPOPMAX" if highest else "ZPOPMIN", key, str(len(items))])
    return [key, [[m, s] for m, s in items]]


@command("zmpop")
def zmpop(c, args):
    keys, highest, count = _parse_mpop(args, 1)
    got = _pop_first(c, keys, count, highest)
    return NULL_ARRAY if got is None else _mpop_reply(c, got, highest)


def _blocking_pop(c, keys, timeout, count, highest):
    # A re-run after a write (c.block is set) skips keys now holding another type, as Redis
    # only serves a blocked client from a key of the right type and otherwise keeps waiting.
    got = _pop_first(c, keys, count, highest, skip_wrongtype=c.block is not None)
    if got is not None:
        return got
    if c.no_block:
        return NULL_ARRAY
    return BlockOn(keys, timeout, NULL_ARRAY)


@command("bzpopmin")
def bzpopmin(c, args):
    timeout = parse_timeout(args[-1])
    got = _blocking_pop(c, args[1:-1], timeout, 1, False)
    if type(got) is tuple:
        key, items = got
        c.propagate_as(["ZPOPMIN", key])
        return [key, items[0][0], items[0][1]]
    return got


@command("bzpopmax")
def bzpopmax(c, args):
    timeout = parse_timeout(args[-1])
    got = _blocking_pop(c, args[1:-1], timeout, 1, True)
    if type(got) is tuple:
        key, items = got
        c.propagate_as(["ZPOPMAX", key])
        return [key, items[0][0], items[0][1]]
    return got


@command("bzmpop")
def bzmpop(c, args):
    timeout = parse_timeout(args[1])
    keys, highest, count = _parse_mpop(args, 2)
    got = _blocking_pop(c, keys, timeout, count, highest)
    if type(got) is tuple:
        return _mpop_reply(c, got, highest)
    return got


# ---------------------------------------------------------------- ZRANDMEMBER
@command("zrandmember")
def zrandmember(c, args):
    n_args = len(args)
    if n_args >= 3:
        count = parse_int(args[2])
        if count < -INT_MAX:
            raise RANGE_ERR
        withscores = False
        if n_args > 4 or (n_args == 4 and args[3].lower() != "withscores"):
            raise SYNTAX
        if n_args == 4:
            withscores = True
            if count < -(INT_MAX // 2) or count > INT_MAX // 2:
                raise RedisError("ERR value is out of range")
        zs = _zset(c, args[1])
        if zs is MISSING or count == 0:
            return []
        size = len(zs)
        scores, ranks, at = zs.score_dict(), range(size), zs.at

        def picks(k):
            return [at(i)[0] for i in random.choices(ranks, k=k)]

        if count >= size:
            chunks = sample_chunks(zs.ranked_members(), size, size, None, CHUNK)
        else:
            chunks = sample_chunks(scores, size, count, picks, CHUNK)
        total = size if count >= size else abs(count)
        if total <= CHUNK:          # one chunk
            members = next(chunks, [])
            return _pairs_reply(c, [(m, scores[m]) for m in members]) if withscores else members
        if not withscores:
            return chunked_array(c, total, chunks)
        if c.resp == 3:
            return chunked_array(c, total, chunks, lambda m: [[m, scores[m]]])
        return chunked_array(c, total * 2, chunks, lambda m: [m, scores[m]])
    zs = _zset(c, args[1])
    if zs is MISSING:
        return None
    return zs.at(random.randrange(len(zs)))[0]


# ---------------------------------------------------------------- ZUNION / ZINTER / ZDIFF
UNION, INTER, DIFF = 0, 1, 2


def _source_items(src):
    if type(src) is ZSet:
        return src.pairs()
    return ((m, 1.0) for m in src)


def _score_getter(src):
    """``member -> score or None`` of a source (a set's members score 1); None: no key."""
    if src is None:
        return None
    if type(src) is ZSet:
        return src.getter()
    return lambda member: 1.0 if member in src else None


def _aggregate(target, val, agg):
    if agg == "sum":
        target = target + val
        return 0.0 if target != target else target
    if agg == "min":
        return val if val < target else target
    return val if val > target else target


def _setop(c, args, idx, op, store, card_only=False):
    """Z{UNION,INTER,DIFF}[STORE], ZINTERCARD. ``idx``: position of numkeys."""
    name = args[0].lower()
    numkeys = parse_int(args[idx])
    if numkeys < 1:
        raise RedisError("ERR at least 1 input key is needed for '%s' command" % name)
    n = len(args)
    if numkeys > n - (idx + 1):
        raise SYNTAX
    lookup = c.db.lookup_read       # lookupKeyRead: a miss notifies, the *STORE forms included
    srcs = []
    j = idx + 1
    for key in args[j:j + numkeys]:
        v = lookup(key)
        if v is MISSING:
            srcs.append(None)
        elif type(v) is ZSet or type(v) is set:
            srcs.append(v)
        else:
            raise WRONGTYPE
    j += numkeys
    weights = [1.0] * numkeys
    agg = "sum"
    withscores = False
    limit = 0
    while j < n:
        remaining = n - j
        o = args[j].lower()
        if op != DIFF and not card_only and remaining >= numkeys + 1 and o == "weights":
            j += 1
            for k in range(numkeys):
                weights[k] = parse_score(args[j], WEIGHT_ERR)
                j += 1
        elif op != DIFF and not card_only and remaining >= 2 and o == "aggregate":
            a = args[j + 1].lower()
            if a not in ("sum", "min", "max"):
                raise SYNTAX
            agg = a
            j += 2
        elif not store and not card_only and o == "withscores":
            withscores = True
            j += 1
        elif card_only and remaining >= 2 and o == "limit":
            try:
                limit = parse_int(args[j + 1])
            except RedisError:
                limit = -1
            if limit < 0:
                raise RedisError("ERR LIMIT can't be negative")
            j += 2
        else:
            raise SYNTAX

    result: dict = {}
    if op == INTER:
        pairs = sorted(zip(srcs, weights), key=lambda p: 0 if p[0] is None else len(p[0]))
        first, w0 = pairs[0]
        if first:
            rest = [(_score_getter(src), w) for src, w in pairs[1:]]
            card = 0
            for m, s in _source_items(first):
                score = w0 * s
                if score != score:
                    score = 0.0
                for get, w in rest:
                    if get is None:
                        break
                    v = get(m)
                    if v is None:
                        break
                    score = _aggregate(score, v * w, agg)
                else:
                    if card_only:
                        card += 1
                        if limit and card >= limit:
                            break
                    else:
                        result[m] = score
            if card_only:
                return card
        elif card_only:
            return 0
    elif op == UNION:
        pairs = sorted(zip(srcs, weights), key=lambda p: 0 if p[0] is None else len(p[0]))
        for src, w in pairs:
            if not src:
                continue
            for m, s in _source_items(src):
                score = w * s
                if score != score:
                    score = 0.0
                old = result.get(m)
                result[m] = score if old is None else _aggregate(old, score, agg)
    else:
        first = srcs[0]
        if first:
            others = [s for s in srcs[1:] if s]
            for m, s in _source_items(first):
                for o in others:
                    if m in o:
                        break
                else:
                    result[m] = s
    if store:
        return store_result(c.db, args[1], ZSet(result), _STORE_EVENTS[op], ZSET_EVENTS)
    items = sorted(result.items(), key=lambda kv: (kv[1], mkey(kv[0])))
    if withscores:
        return _pairs_reply(c, items)
    return [m for m, _ in items]


_STORE_EVENTS = {UNION: "zunionstore", INTER: "zinterstore", DIFF: "zdiffstore"}


@command("zunion")
def zunion(c, args):
    return _setop(c, args, 1, UNION, False)


@command("zinter")
def zinter(c, args):
    return _setop(c, args, 1, INTER, False)


@command("zdiff")
def zdiff(c, args):
    return _setop(c, args, 1, DIFF, False)


@command("zunionstore")
def zunionstore(c, args):
    return _setop(c, args, 2, UNION, True)


@command("zinterstore")
def zinterstore(c, args):
    return _setop(c, args, 2, INTER, True)


@command("zdiffstore")
def zdiffstore(c, args):
    return _setop(c, args, 2, DIFF, True)


@command("zintercard")
def zintercard(c, args):
    return _setop(c, args, 1, INTER, False, card_only=True)


# ---------------------------------------------------------------- ZSCAN
@command("zscan")
def zscan(c, args):
    cursor = parse_cursor(args[2])
    zs = _zset(c, args[1])
    if zs is MISSING:
        return ["0", []]
    count, match, _ = scan_options(args, 3)
    small = not zs.big
    if small:
        found = zs.items()
        if match is not None:
            found = [(m, s) for m, s in found if match(m)]
        return ["0", [x for m, s in found for x in (m, scan_score(s, True))]]
    scores = zs.score_dict()
    if len(zs) <= count:
        nxt, found = 0, list(scores)
    else:
        if zs.scan_snapshot is None or len(zs.scan_snapshot[0]) < len(zs):
            zs.scan_snapshot = hash_order(scores)
        if not zs.scan_tag:
            zs.scan_tag = new_tag()
        nxt, found = hash_scan(zs.scan_snapshot, cursor, count, zs.scan_tag)
        found = [m for m in found if m in scores]
    if match is not None:
        found = [m for m in found if match(m)]
    out = []
    for m in found:
        out.append(m)
        out.append(scan_score(scores[m], small))
    return [str(nxt), out]
