"""Generic key commands (Redis 7.0 db.c / expire.c / object.c semantics).

Keyspace events (class g) as db.c and expire.c emit them: ``del`` per deleted key,
``rename_from``/``rename_to``, ``move_from``/``move_to``, ``copy_to``, ``expire``,
``persist``, and ``del`` for an expire time already past. Relative expire times propagate as
``PEXPIREAT <ms>`` (options kept), a past one as ``DEL``.
"""
from __future__ import annotations

from collections import deque

from ..globmatch import matcher
from ..keyspace import MISSING, STRING_TYPES, TYPE_NAMES, as_str, byte_len, events, now_ms
from ..errors import RedisError, formatted
from ..protocol.reply import OK, Status
from ..keyspace.smallhash import SmallHash
from ..keyspace.stream import Stream
from ..keyspace.zset import ZSet
from . import strings as _strings
from ..keyspace.scan import random_key, scan_keys
from ..engine.command import command
from .util import INT_MAX, INT_MIN, SYNTAX, parse_cursor, parse_int, scan_options

LLONG_MAX = INT_MAX
_GENERIC = events.GENERIC
SAME_OBJECT = RedisError("ERR source and destination objects are the same")
DB_RANGE = RedisError("ERR DB index is out of range")
NO_SUCH_KEY = RedisError("ERR no such key")


def _parse_int32(s: str) -> int:
    n = parse_int(s)
    if n < -(1 << 31) or n > (1 << 31) - 1:
        raise RedisError("ERR value is out of range, value must between -2147483648 and 2147483647")
    return n


def _other_db(c, s: str):
    n = _parse_int32(s)
    if n < 0 or n >= len(c.ks.dbs):
        raise DB_RANGE
    return c.ks.dbs[n]


def copy_value(v):
    """A deep copy of a value (collections are new objects; strings are immutable)."""
    t = type(v)
    if t is dict:
        return dict(v)
    if t is SmallHash:          # stays packed, as Redis's COPY keeps a listpack
        return v.copy()
    if t is deque:
        return deque(v)
    if t is set:
        return set(v)
    if t is ZSet or t is Stream:
        return v.copy()
    if t is list:
        return deque(v)
    return v


def _move_marker(src_db, src_key, dst_db, dst_key, v):
    """Keep a short string's remembered encoding when it changes key or db."""
    enc = _strings.marked_encoding(src_db, src_key, v) if type(v) is str else None
    if enc is not None:
        _strings.mark_encoding(dst_db, dst_key, v, enc)
    else:
        _strings.unmark(dst_db, dst_key)   # a mark left from dst's old value is stale


# ---- DEL / UNLINK / EXISTS / TYPE / TOUCH --------------------------------------------------
def _delete_keys(db, keys) -> int:
    n = 0
    for key in keys:
        if db.delete(key):
            db.notify(_GENERIC, "del", key)
            n += 1
    return n


@command("del")
def del_(c, args):
    return _delete_keys(c.db, args[1:])


@command("unlink")
def unlink(c, args):
    return _delete_keys(c.db, args[1:])


@command("exists")
def exists(c, args):
    db = c.db
    return sum(1 for key in args[1:] if db.lookup(key) is not MISSING)


@command("touch")
def touch(c, args):
    db = c.db
    return sum(1 for key in args[1:] if db.lookup(key) is not MISSING)


@command("type")
def type_(c, args):
    v = c.db.lookup(args[1])
    return Status("none" if v is MISSING else TYPE_NAMES[type(v)])


# ---- KEYS / SCAN / RANDOMKEY --------------------------------------------------------------
@command("keys")
def keys(c, args):
    db = c.db
    pattern = args[1]
    data = db.data
    if pattern == "*":
        out = list(data)
    else:
        out = list(filter(matcher(pattern), data))
    expires = db.expires
    if expires and out:
        now = now_ms()
        expired = {k for k, w in expires.items() if w <= now}
        if expired:
            out = [k for k in out if k not in expired]
    return bulk_array(out)


def bulk_array(items: list) -> bytes:
    """A pre-encoded array of bulk strings (same in RESP2 and RESP3): one join instead of
    one encoder call per element, for replies of a million keys."""
    body = "".join([f"${len(k) if k.isascii() else byte_len(k)}\r\n{k}\r\n" for k in items])
    return b"*%d\r\n%s" % (len(items), body.encode("utf-8", "surrogateescape"))


CHUNK = 4096        # reply elements encoded at a time by chunked_array


def chunked_array(c, total: int, chunks, element=None) -> bytes:
    """A pre-encoded array of ``total`` elements given as lists of members (``chunks``),
    encoded a chunk at a time in the client's protocol: a reply of millions of elements never
    exists as millions of Python objects at once (SRANDMEMBER/HRANDFIELD/ZRANDMEMBER).
    ``element(m)``, when given, is the list of reply values for member ``m`` (a member and its
    value or score); their encoding is remembered for repeated members."""
    parts = [b"*%d\r\n" % total]
    encode = c.encode
    memo: dict = {}
    for chunk in chunks:
        if element is None:
            if chunk:
                parts.append(encode(chunk)[len(b"*%d\r\n" % len(chunk)):])
            continue
        out = []
        for m in chunk:
            e = memo.get(m)
            if e is None:
                vals = element(m)
                e = encode(vals)[len(b"*%d\r\n" % len(vals)):]
                if len(memo) < 65536:
                    memo[m] = e
            out.append(e)
        parts.append(b"".join(out))
    return b"".join(parts)


def _quietly(ks, fn, *a):
    """Run ``fn`` with keymiss events off: SCAN and RANDOMKEY expire the keys they meet
    (expireIfNeeded: an ``expired`` event) but a key that is gone is no keymiss."""
    if not ks.reading:
        return fn(*a)
    ks.reading = False
    try:
        return fn(*a)
    finally:
        ks.reading = True


@command("scan")
def scan(c, args):
    cursor = parse_cursor(args[1])
    count, match, type_name = scan_options(args, 2, with_type=True)
    nxt, out = _quietly(c.ks, scan_keys, c.db, cursor, count, match, type_name)
    return [str(nxt), out]


@command("randomkey")
def randomkey(c, args):
    return _quietly(c.ks, random_key, c.db)


# ---- RENAME / RENAMENX / COPY / MOVE ------------------------------------------------------
def _rename(c, args, nx: bool):
    db = c.db
    src, dst = args[1], args[2]
    v = db.lookup(src)
    if v is MISSING:
        raise NO_SUCH_KEY
    if src == dst:
        return 0 if nx else OK
    when = db.expires.get(src)
    if db.lookup(dst) is not MISSING:
        if nx:
            return 0
        db.delete(dst)
    _move_marker(db, src, db, dst, v)
    db.set(dst, v)
    if when is not None:
        db.set_expire(dst, when)
    db.delete(src)
    db.notify(_GENERIC, "rename_from", src)
    db.notify(_GENERIC, "rename_to", dst)
    return 1 if nx else OK


@command("rename")
def rename(c, args):
    return _rename(c, args, False)


@command("renamenx")
def renamenx(c, args):
    return _rename(c, args, True)


@command("copy")
def copy(c, args):
    src = dst = c.db
    replace = False
    j, n = 3, len(args)
    while j < n:
        opt = args[j].lower()
        if opt == "replace":
            replace = True
        elif opt == "db" and n - j - 1 >= 1:
            dst = _other_db(c, args[j + 1])
            j += 1
        else:
            raise SYNTAX
        j += 1
    key, newkey = args[1], args[2]
    if src is dst and key == newkey:
        raise SAME_OBJECT
    v = src.lookup_read(key)
    if v is MISSING:
        return 0
    when = src.expires.get(key)
    if dst.lookup(newkey) is not MISSING:
        if not replace:
            return 0
        dst.delete(newkey)
    _move_marker(src, key, dst, newkey, v)
    dst.set(newkey, copy_value(v))
    if when is not None:
        dst.set_expire(newkey, when)
    dst.notify(_GENERIC, "copy_to", newkey)
    return 1


@command("move")
def move(c, args):
    src = c.db
    dst = _other_db(c, args[2])
    if src is dst:
        raise SAME_OBJECT
    key = args[1]
    v = src.lookup(key)
    if v is MISSING:
        return 0
    when = src.expires.get(key)
    if dst.lookup(key) is not MISSING:
        return 0
    _move_marker(src, key, dst, key, v)
    dst.set(key, v)
    if when is not None:
        dst.set_expire(key, when)
    src.delete(key)
    src.notify(_GENERIC, "move_from", key)
    dst.notify(_GENERIC, "move_to", key)
    return 1


# ---- EXPIRE family ----------------------------------------------------------------------------
_NX, _XX, _GT, _LT = 1, 2, 4, 8
_LLONG_MIN_DIV_1000 = -(-INT_MIN // 1000)   # C division truncates toward zero


def _expire_generic(c, args, basetime: int, seconds: bool):
    flags = 0
    for opt in args[3:]:
        o = opt.lower()
        if o == "nx":
            flags |= _NX
        elif o == "xx":
            flags |= _XX
        elif o == "gt":
            flags |= _GT
        elif o == "lt":
            flags |= _LT
        else:
            raise formatted("ERR Unsupported option %s" % opt)
    if flags & _NX and flags & (_XX | _GT | _LT):
        raise RedisError("ERR NX and XX, GT or LT options at the same time are not compatible")
    if flags & _GT and flags & _LT:
        raise RedisError("ERR GT and LT options at the same time are not compatible")
    when = parse_int(args[2])
    invalid = RedisError("ERR invalid expire time in '%s' command" % args[0].lower())
    if seconds:
        if when > LLONG_MAX // 1000 or when < _LLONG_MIN_DIV_1000:
            raise invalid
        when *= 1000
    if when > LLONG_MAX - basetime:
        raise invalid
    when += basetime
    db = c.db
    key = args[1]
    if db.lookup(key) is MISSING:
        return 0
    if flags:
        current = db.expires.get(key, -1)
        if flags & _NX and current != -1:
            return 0
        if flags & _XX and current == -1:
            return 0
        if flags & _GT and (when <= current or current == -1):
            return 0
        if flags & _LT and current != -1 and when >= current:
            return 0
    if when <= now_ms():
        db.delete(key)
        c.propagate_as(["DEL", key])
        db.notify(_GENERIC, "del", key)
    else:
        db.set_expire(key, when)
        if c.engine.propagation.active and args[0].lower() != "pexpireat":   # else as sent
            c.propagate_as(["PEXPIREAT", key, str(when), *args[3:]])
        db.notify(_GENERIC, "expire", key)
    return 1


@command("expire")
def expire(c, args):
    return _expire_generic(c, args, now_ms(), True)


@command("pexpire")
def pexpire(c, args):
    return _expire_generic(c, args, now_ms(), False)


@command("expireat")
def expireat(c, args):
    return _expire_generic(c, args, 0, True)


@command("pexpireat")
def pexpireat(c, args):
    return _expire_generic(c, args, 0, False)


def _ttl(c, key: str, ms: bool, absolute: bool) -> int:
    db = c.db
    if db.lookup(key) is MISSING:
        return -2
    when = db.expires.get(key)
    if when is None:
        return -1
    if absolute:
        return when if ms else (when + 500) // 1000
    ttl = max(0, when - now_ms())
    return ttl if ms else (ttl + 500) // 1000


@command("ttl")
def ttl(c, args):
    return _ttl(c, args[1], False, False)


@command("pttl")
def pttl(c, args):
    return _ttl(c, args[1], True, False)


@command("expiretime")
def expiretime(c, args):
    return _ttl(c, args[1], False, True)


@command("pexpiretime")
def pexpiretime(c, args):
    return _ttl(c, args[1], True, True)


@command("persist")
def persist(c, args):
    db = c.db
    key = args[1]
    if db.lookup(key) is MISSING or not db.persist(key):
        return 0
    db.notify(_GENERIC, "persist", key)
    return 1


# ---- OBJECT ------------------------------------------------------------------------------------
SHARED_REFCOUNT = 2147483647
OBJ_SHARED_INTEGERS = 10000


def _int_value(s: str):
    if len(s) > 20:
        return None
    try:
        return parse_int(s)
    except RedisError:
        return None


def _string_encoding(db, key: str, v) -> str:
    if type(v) is str:
        enc = _strings.marked_encoding(db, key, v)
        if enc is not None:
            return enc
    s = v if type(v) is str else as_str(v)
    if _int_value(s) is not None:
        return "int"
    return "embstr" if byte_len(s) <= 44 else "raw"


def object_encoding(db, key: str, v, cfg: dict) -> str:
    """OBJECT ENCODING as Redis 7.0 reports it, from the value and the config thresholds
    (``cfg``: the config's values). 7.0 has no listpack lists or sets: lists are always
    quicklist, sets intset or hashtable. Redis never converts back to the compact encoding
    when a collection shrinks; we report from the current contents."""
    t = type(v)
    if t in STRING_TYPES:
        return _string_encoding(db, key, v)
    if t is deque or t is list:
        return "quicklist"
    if t is SmallHash:          # the commands convert a hash past the limits, once (hashes.py)
        return "listpack"
    if t is dict:
        return "hashtable"
    if t is set:
        if len(v) > cfg.get("set-max-intset-entries", 512):
            return "hashtable"
        for m in v:
            if _int_value(m) is None:
                return "hashtable"
        return "intset"
    if t is ZSet:
        # converted once (grown past the default limits, or sorted by SORT): Redis never
        # converts back; ``big`` follows the default limits only, so trust it under those
        if v.big and (cfg.get("zset-max-listpack-entries", 128) <= 128
                      and cfg.get("zset-max-listpack-value", 64) <= 64):
            return "skiplist"
        if len(v) > cfg.get("zset-max-listpack-entries", 128):
            return "skiplist"
        limit = cfg.get("zset-max-listpack-value", 64)
        for m in v.members():
            if byte_len(m) > limit:
                return "skiplist"
        return "listpack"
    if t is Stream:
        return "stream"
    return "raw"


def _lookup_object(c, key: str):
    v = c.db.lookup_quiet(key)      # LOOKUP_NONOTIFY: no keymiss
    return None if v is MISSING else v


@command("object|encoding")
def object_encoding_cmd(c, args):
    v = _lookup_object(c, args[2])
    if v is None:
        return None
    return object_encoding(c.db, args[2], v, c.config.values)


@command("object|refcount")
def object_refcount(c, args):
    v = _lookup_object(c, args[2])
    if v is None:
        return None
    if type(v) in STRING_TYPES and _string_encoding(c.db, args[2], v) == "int":
        n = _int_value(v if type(v) is str else as_str(v))
        if 0 <= n < OBJ_SHARED_INTEGERS:
            return SHARED_REFCOUNT
    return 1


_OBJECT_HELP = [
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
]


@command("object|help")
def object_help(c, args):
    return [Status(line) for line in _OBJECT_HELP]
