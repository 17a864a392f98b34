"""Hash commands: HSET, HGET, HMGET, HGETALL, HINCRBY(FLOAT), HRANDFIELD, HSCAN, ...

A hash is a ``dict`` field -> value. Values written here are ``str``; values the library
stored may be other JSON (int, float, nested dict, ...), read through ``as_str``.

Keyspace events (class h) as t_hash.c: ``hset`` (HSET, HMSET, HSETNX), ``hdel`` then ``del``
when the hash is emptied, ``hincrby``, ``hincrbyfloat`` (propagated as HSET of the result).
"""
from __future__ import annotations

from ..engine.command import command
from ..errors import RedisError
from ..keyspace import MISSING, as_str, byte_len, events
from ..keyspace.scan import members_added, members_removed, pool, sample_chunks, scan_step, tracked
from ..protocol.reply import OK
from .keys import CHUNK, chunked_array
from .longdouble import add_ld, format_ld, parse_ld
from .util import INT_MAX, INT_MIN, NOT_FLOAT, NOT_INT, OVERFLOW, SYNTAX, parse_cursor, parse_int, scan_options

_HASH = (dict,)
_H = events.HASH


def _sv(v) -> str:
    return v if type(v) is str else as_str(v)


def _get(c, key):
    return c.db.lookup_type(key, _HASH)


def _pairs_arity(args) -> None:
    if len(args) % 2:
        raise RedisError("ERR wrong number of arguments for '%s' command" % args[0].lower())


def _hset_pairs(c, key, args) -> int:
    db = c.db
    h = _get(c, key)
    if h is MISSING:
        h = {}
        for i in range(2, len(args), 2):
            h[args[i]] = args[i + 1]
        db.set(key, h)
        n = 0
    else:
        n = len(h)
        if tracked(c.ks, h) is not None:
            members_added(c.ks, h, {args[i] for i in range(2, len(args), 2) if args[i] not in h})
        for i in range(2, len(args), 2):
            h[args[i]] = args[i + 1]
        db.modified(key)
    if db.ks.notify_mask:       # one check when notifications are off (db.notify filters)
        db.notify(_H, "hset", key)
    return len(h) - n


@command("hset")
def hset(c, args):
    _pairs_arity(args)
    return _hset_pairs(c, args[1], args)


@command("hmset")
def hmset(c, args):
    _pairs_arity(args)
    _hset_pairs(c, args[1], args)
    return OK


@command("hsetnx")
def hsetnx(c, args):
    key, field = args[1], args[2]
    h = _get(c, key)
    if h is MISSING:
        c.db.set(key, {field: args[3]})
    elif field in h:
        return 0
    else:
        h[field] = args[3]
        members_added(c.ks, h, (field,))
        c.db.modified(key)
    c.db.notify(_H, "hset", key)
    return 1


@command("hget")
def hget(c, args):
    h = _get(c, args[1])
    if h is MISSING:
        return None
    v = h.get(args[2], MISSING)
    return None if v is MISSING else _sv(v)


@command("hmget")
def hmget(c, args):
    h = _get(c, args[1])
    if h is MISSING:
        return [None] * (len(args) - 2)
    out = []
    for f in args[2:]:
        v = h.get(f, MISSING)
        out.append(None if v is MISSING else _sv(v))
    return out


@command("hgetall")
def hgetall(c, args):
    h = _get(c, args[1])
    if h is MISSING:
        return {}
    return {f: (v if type(v) is str else as_str(v)) for f, v in h.items()}


@command("hkeys")
def hkeys(c, args):
    h = _get(c, args[1])
    return [] if h is MISSING else list(h)


@command("hvals")
def hvals(c, args):
    h = _get(c, args[1])
    return [] if h is MISSING else [_sv(v) for v in h.values()]


@command("hdel")
def hdel(c, args):
    key = args[1]
    h = _get(c, key)
    if h is MISSING:
        return 0
    n = 0
    gone = []
    for f in args[2:]:
        if f in h:
            del h[f]
            gone.append(f)
            n += 1
    if n:
        members_removed(c.ks, h, gone)
        c.db.removed_from(key, h, _H, "hdel")
    return n


@command("hexists")
def hexists(c, args):
    h = _get(c, args[1])
    return 0 if h is MISSING else int(args[2] in h)


@command("hlen")
def hlen(c, args):
    h = _get(c, args[1])
    return 0 if h is MISSING else len(h)


@command("hstrlen")
def hstrlen(c, args):
    h = _get(c, args[1])
    if h is MISSING:
        return 0
    v = h.get(args[2], MISSING)
    return 0 if v is MISSING else byte_len(_sv(v))


# ---------------------------------------------------------------- HINCRBY / HINCRBYFLOAT

@command("hincrby")
def hincrby(c, args):
    key, field = args[1], args[2]
    incr = parse_int(args[3])
    h = _get(c, key)
    cur = 0
    if h is not MISSING and field in h:
        v = h[field]
        if type(v) is int:
            cur = v
        else:
            cur = parse_int(_sv(v), HASH_NOT_INT)
    n = cur + incr
    if n < INT_MIN or n > INT_MAX:
        raise OVERFLOW
    if h is MISSING:
        c.db.set(key, {field: str(n)})
    else:
        if field not in h:
            members_added(c.ks, h, (field,))
        h[field] = str(n)
        c.db.modified(key)
    c.db.notify(_H, "hincrby", key)
    return n


HASH_NOT_INT = RedisError("ERR hash value is not an integer")
HASH_NOT_FLOAT = RedisError("ERR hash value is not a float")

@command("hincrbyfloat")
def hincrbyfloat(c, args):
    key, field = args[1], args[2]
    incr = parse_ld(args[3])
    if incr is None:
        raise NOT_FLOAT
    if type(incr) is tuple:
        raise RedisError("ERR value is NaN or Infinity")
    h = _get(c, key)
    cur = 0
    if h is not MISSING and field in h:
        cur = parse_ld(_sv(h[field]))
        if cur is None:
            raise HASH_NOT_FLOAT
    total = add_ld(cur, incr)
    if total is None:
        raise RedisError("ERR increment would produce NaN or Infinity")
    text = format_ld(total)
    if h is MISSING:
        c.db.set(key, {field: text})
    else:
        if field not in h:
            members_added(c.ks, h, (field,))
        h[field] = text
        c.db.modified(key)
    c.db.notify(_H, "hincrbyfloat", key)
    # the result, not the increment: float formatting must not make replicas drift
    c.propagate_as(["HSET", key, field, text])
    return text


# ---------------------------------------------------------------- HRANDFIELD

@command("hrandfield")
def hrandfield(c, args):
    if len(args) >= 3:
        try:
            count = parse_int(args[2])
        except RedisError:
            raise NOT_INT from None
        if count < -INT_MAX:
            raise RedisError("ERR value is out of range, value must between %d and %d"
                             % (-INT_MAX, INT_MAX))
        withvalues = False
        if len(args) > 4 or (len(args) == 4 and args[3].lower() != "withvalues"):
            raise SYNTAX
        if len(args) == 4:
            withvalues = True
            if count < -(INT_MAX // 2) or count > INT_MAX // 2:   # C division: -LONG_MAX/2
                raise RedisError("ERR value is out of range")
        return _hrandfield_count(c, args[1], count, withvalues)
    h = _get(c, args[1])
    if h is MISSING:
        return None
    return pool(c.ks, h).pick(h)


def _hrandfield_count(c, key, count, withvalues):
    h = _get(c, key)
    if h is MISSING or count == 0:
        return []
    n = len(h)
    p = pool(c.ks, h) if count < n else None
    chunks = sample_chunks(h, n, count, (lambda k: p.picks(h, k)) if p else None, CHUNK)
    total = n if count >= n else abs(count)
    if total <= CHUNK:          # one chunk
        fields = next(chunks, [])
        return _with_values(c, h, fields) if withvalues else fields
    if not withvalues:
        return chunked_array(c, total, chunks)
    if c.resp == 3:
        return chunked_array(c, total, chunks, lambda f: [[f, _sv(h[f])]])
    return chunked_array(c, total * 2, chunks, lambda f: [f, _sv(h[f])])


def _with_values(c, h, fields):
    """WITHVALUES: flat [f, v, ...] in RESP2, [[f, v], ...] in RESP3."""
    if c.resp == 3:
        return [[f, _sv(h[f])] for f in fields]
    out = []
    for f in fields:
        out.append(f)
        out.append(_sv(h[f]))
    return out


# ---------------------------------------------------------------- HSCAN
SMALL_HASH = 128          # like Redis's listpack: one call returns everything, cursor 0


@command("hscan")
def hscan(c, args):
    cursor = parse_cursor(args[2])
    h = _get(c, args[1])
    if h is MISSING:
        return ["0", []]
    count, match, _ = scan_options(args, 3)
    out = []
    if len(h) <= SMALL_HASH:
        for f, v in h.items():
            if match is None or match(f):
                out.append(f)
                out.append(_sv(v))
        return ["0", out]
    nxt, fields = scan_step(c.ks, h, cursor, count)
    for f in fields:
        v = h.get(f, MISSING)
        if v is not MISSING and (match is None or match(f)):
            out.append(f)
            out.append(_sv(v))
    return [str(nxt), out]
