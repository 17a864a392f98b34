"""Hash commands: HSET, HGET, HMGET, HGETALL, HINCRBY(FLOAT), HRANDFIELD, HSCAN, ...

A hash is a ``SmallHash`` (keyspace/smallhash.py: packed, Redis's listpack) while it has at
most hash-max-listpack-entries fields and every field and value written to it has at most
hash-max-listpack-value bytes, else a ``dict`` field -> value, for good (t_hash.c's
hashTypeTryConversion / hashTypeSet rules). Values written here are ``str``; values the
library stored in a dict may be other JSON (int, float, nested dict, ...), read through
``as_str``.

Keyspace events (class h) as t_hash.c: ``hset`` (HSET, HMSET, HSETNX), ``hdel`` then ``del``
when the hash is emptied, ``hincrby``, ``hincrbyfloat`` (propagated as HSET of the result).
"""
from __future__ import annotations

from random import choice, choices

from ..engine.command import command
from ..errors import RedisError
from ..keyspace import MISSING, as_str, byte_len, events
from ..keyspace.scan import members_added, members_removed, pool, sample_chunks, scan_step, tracked
from ..keyspace.smallhash import SmallHash, fits, pack
from ..protocol.reply import OK
from .keys import CHUNK, chunked_array
from .longdouble import add_ld, format_ld, parse_ld
from .util import INT_MAX, INT_MIN, NOT_FLOAT, NOT_INT, OVERFLOW, SYNTAX, parse_cursor, parse_int, scan_options

_HASH = (dict, SmallHash)
_H = events.HASH


def _sv(v) -> str:
    return v if type(v) is str else as_str(v)


def _get(c, key):
    return c.db.lookup_type(key, _HASH)


def _pairs_arity(args) -> None:
    if len(args) % 2:
        raise RedisError("ERR wrong number of arguments for '%s' command" % args[0].lower())


def _new_hash(c, d: dict, flat=None):
    """A new hash holding ``d``: packed when it is within the listpack limits."""
    conf = c.config.values
    return pack(d, conf["hash-max-listpack-entries"], conf["hash-max-listpack-value"], flat)


def _to_dict(db, key, h: SmallHash) -> dict:
    """hashTypeConvert(OBJ_ENCODING_HT): the hash at ``key`` becomes a dict, for good."""
    d = h.to_dict()
    if db.meta is not None:
        db.meta.on_set(key, d, db.data)
    db.data[key] = d
    return d


def _set_field(c, key, h, field, value):
    """``h[field] = value`` as hashTypeSet: a packed hash converts when the field or value is
    too long or it grows past the entries limit. Returns the hash (it may be a new dict)."""
    if type(h) is SmallHash:
        conf = c.config.values
        limit = conf["hash-max-listpack-value"]
        if (len(field) <= limit and len(value) <= limit and field.isascii() and value.isascii()
                or fits(field, limit) and fits(value, limit)):
            h.set(field, value)
            if h.n > conf["hash-max-listpack-entries"]:     # after an update too
                return _to_dict(c.db, key, h)
            return h
        h = _to_dict(c.db, key, h)
    elif field not in h:
        members_added(c.ks, h, (field,))
    h[field] = value
    return h


def _hset_pairs(c, key, args) -> int:
    db = c.db
    h = _get(c, key)
    if h is MISSING:
        h = {}
        for i in range(2, len(args), 2):
            h[args[i]] = args[i + 1]
        db.set(key, _new_hash(c, h, args[2:]))
        added = len(h)
    else:
        if type(h) is SmallHash:
            added = _hset_small(c, key, h, args)
        else:
            n = len(h)
            if tracked(c.ks, h) is not None:
                members_added(c.ks, h, {args[i] for i in range(2, len(args), 2) if args[i] not in h})
            for i in range(2, len(args), 2):
                h[args[i]] = args[i + 1]
            added = len(h) - n
        db.modified(key)
    if db.ks.notify_mask:       # one check when notifications are off (db.notify filters)
        db.notify(_H, "hset", key)
    return added


def _hset_small(c, key, h: SmallHash, args) -> int:
    """HSET's pairs into a packed hash, converted to a dict when an argument is too long
    (hashTypeTryConversion checks them all first) or it grew too big. Returns fields added."""
    conf = c.config.values
    limit = conf["hash-max-listpack-value"]
    if len(args) == 4:          # one pair, short ASCII: the common case, without the loops
        f, v = args[2], args[3]
        if len(f) <= limit and len(v) <= limit and f.isascii() and v.isascii():
            if h.set(f, v):
                if h.n > conf["hash-max-listpack-entries"]:
                    _to_dict(c.db, key, h)
                return 1
            if h.n > conf["hash-max-listpack-entries"]:
                _to_dict(c.db, key, h)
            return 0
    for i in range(2, len(args)):
        a = args[i]
        if len(a) > limit or not (a.isascii() or fits(a, limit)):
            n = h.n
            h = _to_dict(c.db, key, h)
            for j in range(2, len(args), 2):
                h[args[j]] = args[j + 1]
            return len(h) - n
    n = h.n
    entries = conf["hash-max-listpack-entries"]
    for i in range(2, len(args), 2):
        if h.set(args[i], args[i + 1]) and h.n > entries:
            # converted at once (as hashTypeSet): a listpack never grows past the limit,
            # so a huge HSET costs no quadratic rewrites of the packed string
            d = _to_dict(c.db, key, h)
            for j in range(i + 2, len(args), 2):
                d[args[j]] = args[j + 1]
            return len(d) - n
    if h.n > entries:           # an update converts too once the limit was lowered
        _to_dict(c.db, key, h)
    return h.n - n


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
        c.db.set(key, _new_hash(c, {field: args[3]}))
    elif field in h:
        return 0
    else:
        _set_field(c, key, h, field, args[3])
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
    if type(h) is SmallHash:
        return h.to_dict()
    return {f: (v if type(v) is str else as_str(v)) for f, v in h.items()}


@command("hkeys")
def hkeys(c, args):
    h = _get(c, args[1])
    return [] if h is MISSING else list(h)


@command("hvals")
def hvals(c, args):
    h = _get(c, args[1])
    if h is MISSING:
        return []
    return h.values() if type(h) is SmallHash else [_sv(v) for v in h.values()]


@command("hdel")
def hdel(c, args):
    key = args[1]
    h = _get(c, key)
    if h is MISSING:
        return 0
    n = 0
    gone = []
    if type(h) is SmallHash:
        for f in args[2:]:
            if h.delete(f):
                n += 1
    else:
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
    if h is not MISSING:
        v = h.get(field, MISSING)
        if v is MISSING:
            pass
        elif type(v) is int:
            cur = v
        else:
            cur = parse_int(_sv(v), HASH_NOT_INT)
    n = cur + incr
    if n < INT_MIN or n > INT_MAX:
        raise OVERFLOW
    if h is MISSING:
        c.db.set(key, _new_hash(c, {field: str(n)}))
    else:
        _set_field(c, key, h, field, str(n))
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
    v = MISSING if h is MISSING else h.get(field, MISSING)
    if v is not MISSING:
        cur = parse_ld(_sv(v))
        if cur is None:
            raise HASH_NOT_FLOAT
    total = add_ld(cur, incr)
    if total is None:
        raise RedisError("ERR increment would produce NaN or Infinity")
    text = format_ld(total)
    if h is MISSING:
        c.db.set(key, _new_hash(c, {field: text}))
    else:
        _set_field(c, key, h, field, text)
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
    if type(h) is SmallHash:
        return choice(h.keys())
    return pool(c.ks, h).pick(h)


def _hrandfield_count(c, key, count, withvalues):
    h = _get(c, key)
    if h is MISSING or count == 0:
        return []
    n = len(h)
    if type(h) is SmallHash:        # packed (small): a dict of it for this call, no pool
        h = h.to_dict()
        fields = list(h)
        picks = lambda k: choices(fields, k=k)
    else:
        p = pool(c.ks, h) if count < n else None
        picks = (lambda k: p.picks(h, k)) if p else None
    chunks = sample_chunks(h, n, count, picks, CHUNK)
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
    if type(h) is SmallHash or len(h) <= SMALL_HASH:
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
