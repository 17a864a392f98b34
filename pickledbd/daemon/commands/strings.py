"""String commands (Redis 7.0 t_string.c semantics, error texts and reply shapes).

Values are ``str`` (binary via surrogateescape); byte-oriented commands (STRLEN,
GETRANGE, SETRANGE, APPEND, LCS) work on the UTF-8/surrogateescape bytes.

Keyspace events and propagation follow t_string.c: relative expire times propagate as
absolute ones (``SET k v PXAT <ms>``, ``PEXPIREAT``), GETSET as SET, GETDEL as DEL,
INCRBYFLOAT as ``SET k <result> KEEPTTL``; the GET flag is not propagated.
"""
from __future__ import annotations

from ..keyspace import (MISSING, STRING_TYPES, WRONGTYPE, as_str, byte_len, events, from_bytes, now_ms,
                        to_bytes)
from ..errors import RedisError
from ..protocol.reply import OK
from ..engine.command import command
from .strings_lcs import lcs_reply
from .longdouble import add_ld, format_ld, parse_ld
from .util import INT_MAX, INT_MIN, NOT_FLOAT, OVERFLOW, SYNTAX, parse_int

LLONG_MAX = INT_MAX
EMBSTR_LIMIT = 44

# ---- remembered encodings ------------------------------------------------------------------
# Redis reports OBJECT ENCODING "raw" for a short string modified in place (APPEND, SETRANGE)
# and "embstr" for an INCRBYFLOAT result that looks like an integer; from its value alone the
# daemon would say embstr / int. So remember (db's data dict, key) -> (the str object,
# encoding); the object is kept alive so identity is reliable, and a value replaced since then
# no longer matches. Identity alone is not enough for CPython's shared strings ("" and the
# one-character Latin-1 strings), so string writes also forget the mark (``unmark``). The
# mark is keyed by the data dict, not the db index, so it follows the data through SWAPDB.
# Only short strings (<= 44 bytes) need remembering, so the memory held is small. The marks
# live in the keyspace (``ks.encodings``).
_ENC_LIMIT = 100_000


def mark_encoding(db, key: str, value: str, enc: str) -> None:
    marks = db.ks.encodings
    if len(value) <= EMBSTR_LIMIT:
        if len(marks) >= _ENC_LIMIT:
            marks.clear()
        marks[(id(db.data), key)] = (value, enc)
    elif marks:
        marks.pop((id(db.data), key), None)


def unmark(db, key: str) -> None:
    """Forget the remembered encoding of key: its value was replaced. The identity check in
    ``marked_encoding`` alone is not enough, because CPython shares some str objects (the
    empty string and every one-character Latin-1 string are singletons): INCRBYFLOAT k 0
    and then SET k 0 store the very same "0" object."""
    marks = db.ks.encodings
    if marks:
        marks.pop((id(db.data), key), None)


def mark_raw(db, key: str, value: str) -> None:
    mark_encoding(db, key, value, "raw")


def marked_encoding(db, key: str, value):
    """The remembered encoding of the string at key, or None."""
    marks = db.ks.encodings
    m = marks.get((id(db.data), key))
    if m is None:
        return None
    if m[0] is value:
        return m[1]
    del marks[(id(db.data), key)]
    return None


# ---- helpers ----------------------------------------------------------------------------
def _invalid_expire(name: str) -> RedisError:
    return RedisError("ERR invalid expire time in '%s' command" % name)


def _check_length(c, size: int) -> None:
    if size > c.config.proto_max_bulk_len:
        raise RedisError("ERR string exceeds maximum allowed size (proto-max-bulk-len)")


# SET/GETEX option flags
_STRING = events.STRING
_GENERIC = events.GENERIC

_NX, _XX, _GET, _KEEPTTL, _PERSIST, _EX, _PX, _EXAT, _PXAT = (1 << i for i in range(9))
_ANY_EXPIRE = _EX | _PX | _EXAT | _PXAT


def _parse_extended(args: list, is_set: bool):
    """parseExtendedStringArgumentsOrReply: (flags, expire_arg)."""
    flags = 0
    expire = None
    j, n = 3 if is_set else 2, len(args)
    while j < n:
        opt = args[j].lower()
        has_next = j < n - 1
        if opt == "nx" and not flags & _XX and is_set:
            flags |= _NX
        elif opt == "xx" and not flags & _NX and is_set:
            flags |= _XX
        elif opt == "get" and is_set:
            flags |= _GET
        elif opt == "keepttl" and not flags & (_PERSIST | _ANY_EXPIRE) and is_set:
            flags |= _KEEPTTL
        elif opt == "persist" and not is_set and not flags & (_ANY_EXPIRE | _KEEPTTL):
            flags |= _PERSIST
        elif opt == "ex" and not flags & (_KEEPTTL | _PERSIST | _EXAT | _PX | _PXAT) and has_next:
            flags |= _EX
            expire = args[j + 1]
            j += 1
        elif opt == "px" and not flags & (_KEEPTTL | _PERSIST | _EX | _EXAT | _PXAT) and has_next:
            flags |= _PX
            expire = args[j + 1]
            j += 1
        elif opt == "exat" and not flags & (_KEEPTTL | _PERSIST | _EX | _PX | _PXAT) and has_next:
            flags |= _EXAT
            expire = args[j + 1]
            j += 1
        elif opt == "pxat" and not flags & (_KEEPTTL | _PERSIST | _EX | _EXAT | _PX) and has_next:
            flags |= _PXAT
            expire = args[j + 1]
            j += 1
        else:
            raise SYNTAX
        j += 1
    return flags, expire


def _expire_ms(expire: str, flags: int, name: str) -> int:
    """getExpireMillisecondsOrReply: the absolute unix ms time."""
    ms = parse_int(expire)
    seconds = bool(flags & (_EX | _EXAT))
    if ms <= 0 or (seconds and ms > LLONG_MAX // 1000):
        raise _invalid_expire(name)
    if seconds:
        ms *= 1000
    if flags & (_EX | _PX):
        ms += now_ms()
        if ms > LLONG_MAX:
            raise _invalid_expire(name)
    return ms


def _drop_expired(db, key: str) -> None:
    """lookupKeyWrite before a blind overwrite: an expired key is deleted first (its
    ``expired`` event and propagated DEL come before the write, and the write is a ``new``)."""
    if db.expires and key in db.expires:
        db.lookup(key)


def _set_generic(c, name: str, key: str, value: str, flags: int, expire, ok_reply=OK, abort_reply=None,
                 args=None):
    db = c.db
    when = _expire_ms(expire, flags, name) if expire is not None else None
    old = None
    if flags & _GET:
        old = db.lookup_string(key, read=True)
    found = db.lookup(key) is not MISSING
    if (flags & _NX and found) or (flags & _XX and not found):
        return old if flags & _GET else abort_reply
    db.set(key, value, keep_ttl=bool(flags & _KEEPTTL))
    unmark(db, key)
    db.notify(_STRING, "set", key)
    if when is not None:
        db.set_expire(key, when)
        if c.engine.propagation.active:
            c.propagate_as(["SET", key, value, "PXAT", str(when)])
        db.notify(_GENERIC, "expire", key)
    elif flags & _GET and c.engine.propagation.active:    # the GET flag is not propagated
        c.propagate_as([a for j, a in enumerate(args) if j < 3 or a.lower() != "get"])
    return old if flags & _GET else ok_reply


# ---- GET / SET family -------------------------------------------------------------------
@command("get")
def get(c, args):
    v = c.db.lookup(args[1])
    if v is MISSING:
        return None
    if type(v) is str:
        return v
    if type(v) in STRING_TYPES:
        return as_str(v)
    raise WRONGTYPE


@command("set")
def set_(c, args):
    if len(args) == 3:
        db = c.db
        key = args[1]
        if db.expires and key in db.expires:
            db.lookup(key)       # lookupKeyWrite: an expired key goes first (expired, DEL)
        db.set(key, args[2])
        ks = db.ks
        if ks.encodings:
            unmark(db, key)
        if ks.notify_mask:          # one check when notifications are off (db.notify filters)
            db.notify(_STRING, "set", key)
        return OK
    flags, expire = _parse_extended(args, True)
    return _set_generic(c, "set", args[1], args[2], flags, expire, args=args)


@command("setnx")
def setnx(c, args):
    return _set_generic(c, "setnx", args[1], args[2], _NX, None, 1, 0)


@command("setex")
def setex(c, args):
    return _set_generic(c, "setex", args[1], args[3], _EX, args[2])


@command("psetex")
def psetex(c, args):
    return _set_generic(c, "psetex", args[1], args[3], _PX, args[2])


@command("mget")
def mget(c, args):
    db = c.db
    out = []
    for key in args[1:]:
        v = db.lookup(key)
        if v is MISSING:
            out.append(None)
        elif type(v) is str:
            out.append(v)
        elif type(v) in STRING_TYPES:
            out.append(as_str(v))
        else:
            out.append(None)
    return out


def _arity_error(name: str) -> RedisError:
    return RedisError("ERR wrong number of arguments for '%s' command" % name)


def _mset(db, args) -> None:
    for i in range(1, len(args), 2):
        key = args[i]
        _drop_expired(db, key)
        db.set(key, args[i + 1])
        unmark(db, key)
        db.notify(_STRING, "set", key)


@command("mset")
def mset(c, args):
    if len(args) % 2 == 0:
        raise _arity_error("mset")
    _mset(c.db, args)
    return OK


@command("msetnx")
def msetnx(c, args):
    if len(args) % 2 == 0:
        raise _arity_error("msetnx")
    db = c.db
    for i in range(1, len(args), 2):
        if db.lookup(args[i]) is not MISSING:
            return 0
    _mset(db, args)
    return 1


@command("getset")
def getset(c, args):
    db = c.db
    key = args[1]
    old = db.lookup_string(key, read=True)
    db.set(key, args[2])
    unmark(db, key)
    db.notify(_STRING, "set", key)
    c.propagate_as(["SET", key, args[2]])
    return old


@command("getdel")
def getdel(c, args):
    db = c.db
    key = args[1]
    old = db.lookup_string(key, read=True)
    if old is not None:
        db.delete(key)
        c.propagate_as(["DEL", key])
        db.notify(_GENERIC, "del", key)
    return old


@command("getex")
def getex(c, args):
    db = c.db
    flags, expire = _parse_extended(args, False)
    key = args[1]
    v = db.lookup_string(key, read=True)
    if v is None:
        return None
    when = _expire_ms(expire, flags, "getex") if expire is not None else None
    if flags & (_EXAT | _PXAT) and when <= now_ms():
        db.delete(key)
        c.propagate_as(["DEL", key])
        db.notify(_GENERIC, "del", key)
    elif when is not None:
        db.set_expire(key, when)
        c.propagate_as(["PEXPIREAT", key, str(when)])
        db.notify(_GENERIC, "expire", key)
    elif flags & _PERSIST and db.persist(key):
        c.propagate_as(["PERSIST", key])
        db.notify(_GENERIC, "persist", key)
    return v


# ---- APPEND / STRLEN / ranges ------------------------------------------------------------
@command("append")
def append(c, args):
    db = c.db
    key, extra = args[1], args[2]
    old = db.lookup_string(key)
    if old is None:
        db.set(key, extra)
        unmark(db, key)
        db.notify(_STRING, "append", key)
        return byte_len(extra)
    total = byte_len(old) + byte_len(extra)
    _check_length(c, total)
    new = old + extra if extra else old
    db.set(key, new, keep_ttl=True)
    mark_raw(db, key, new)
    db.notify(_STRING, "append", key)
    return total


@command("strlen")
def strlen(c, args):
    v = c.db.lookup_string(args[1])
    return 0 if v is None else byte_len(v)


def _getrange(c, args):
    start = parse_int(args[2])
    end = parse_int(args[3])
    v = c.db.lookup_string(args[1])
    if v is None:
        return ""
    if start < 0 and end < 0 and start > end:
        return ""
    b = v if v.isascii() else to_bytes(v)
    n = len(b)
    if start < 0:
        start += n
    if end < 0:
        end += n
    if start < 0:
        start = 0
    if end < 0:
        end = 0
    if end >= n:
        end = n - 1
    if start > end or n == 0:
        return ""
    part = b[start:end + 1]
    return part if type(part) is str else from_bytes(part)


@command("getrange")
def getrange(c, args):
    return _getrange(c, args)


@command("substr")
def substr(c, args):
    return _getrange(c, args)


@command("setrange")
def setrange(c, args):
    db = c.db
    key, value = args[1], args[3]
    offset = parse_int(args[2])
    if offset < 0:
        raise RedisError("ERR offset is out of range")
    vlen = byte_len(value)
    old = db.lookup_string(key)
    if old is None:
        if vlen == 0:
            return 0
        _check_length(c, offset + vlen)
        b = bytearray(offset)
        b += to_bytes(value)
        new = b.decode("utf-8", "surrogateescape")    # no bytes(b) copy: peak memory
        db.set(key, new)
        mark_raw(db, key, new)
        db.notify(_STRING, "setrange", key)
        return len(b)
    olen = byte_len(old)
    if vlen == 0:
        return olen
    _check_length(c, offset + vlen)
    # one result string and as few transient copies as possible (a big value is copied
    # whole on every SETRANGE: each extra copy is a memory spike of the value's size)
    if old.isascii() and value.isascii():
        if offset >= olen:
            new = "".join((old, "\x00" * (offset - olen), value))
        elif offset + vlen >= olen:
            new = "".join((old[:offset], value))
        else:
            new = "".join((old[:offset], value, old[offset + vlen:]))
        length = len(new)
    else:
        ob = to_bytes(old)
        vb = to_bytes(value)
        b = bytearray(max(len(ob), offset + len(vb)))    # sized once: growing it copies
        b[:len(ob)] = ob
        del ob
        b[offset:offset + len(vb)] = vb
        length = len(b)
        new = b.decode("utf-8", "surrogateescape")
        del b
    db.set(key, new, keep_ttl=True)
    mark_raw(db, key, new)
    db.notify(_STRING, "setrange", key)
    return length


# ---- counters ------------------------------------------------------------------------------
def _incr_by(c, key: str, delta: int) -> int:
    db = c.db
    v = db.lookup(key)
    if v is MISSING:
        n = 0
    elif type(v) is str:
        n = parse_int(v)
    elif type(v) is int:
        n = v
    elif type(v) in STRING_TYPES:
        n = parse_int(as_str(v))
    else:
        raise WRONGTYPE
    if (delta < 0 and n < 0 and delta < INT_MIN - n) or (delta > 0 and n > 0 and delta > INT_MAX - n):
        raise OVERFLOW
    n += delta
    db.set(key, str(n), keep_ttl=True)
    ks = db.ks
    if ks.encodings:
        unmark(db, key)
    if ks.notify_mask:
        db.notify(_STRING, "incrby", key)
    return n


@command("incr")
def incr(c, args):
    return _incr_by(c, args[1], 1)


@command("decr")
def decr(c, args):
    return _incr_by(c, args[1], -1)


@command("incrby")
def incrby(c, args):
    return _incr_by(c, args[1], parse_int(args[2]))


@command("decrby")
def decrby(c, args):
    n = parse_int(args[2])
    if n == INT_MIN:
        raise RedisError("ERR decrement would overflow")
    return _incr_by(c, args[1], -n)


@command("incrbyfloat")
def incrbyfloat(c, args):
    db = c.db
    key = args[1]
    v = db.lookup_string(key)
    cur = parse_ld(v) if v is not None else 0
    if cur is None:
        raise NOT_FLOAT
    inc = parse_ld(args[2])
    if inc is None:
        raise NOT_FLOAT
    total = add_ld(cur, inc)
    if total is None:
        raise RedisError("ERR increment would produce NaN or Infinity")
    out = format_ld(total)
    db.set(key, out, keep_ttl=True)
    if "." not in out:
        mark_encoding(db, key, out, "embstr")
    else:
        unmark(db, key)
    db.notify(_STRING, "incrbyfloat", key)
    # the result, not the increment: float formatting must not make replicas drift
    c.propagate_as(["SET", key, out, "KEEPTTL"])
    return out


# ---- LCS -----------------------------------------------------------------------------------
@command("lcs")
def lcs(c, args):
    db = c.db
    va, vb = db.lookup(args[1]), db.lookup(args[2])
    if ((va is not MISSING and type(va) not in STRING_TYPES)
            or (vb is not MISSING and type(vb) not in STRING_TYPES)):
        raise RedisError("ERR The specified keys must contain string values")
    a = b"" if va is MISSING else to_bytes(as_str(va))
    b = b"" if vb is MISSING else to_bytes(as_str(vb))
    getlen = getidx = withmatchlen = False
    minmatchlen = 0
    j, n = 3, len(args)
    while j < n:
        opt = args[j].lower()
        more = n - 1 - j
        if opt == "idx":
            getidx = True
        elif opt == "len":
            getlen = True
        elif opt == "withmatchlen":
            withmatchlen = True
        elif opt == "minmatchlen" and more:
            minmatchlen = parse_int(args[j + 1])
            if minmatchlen < 0:
                minmatchlen = 0
            j += 1
        else:
            raise SYNTAX
        j += 1
    if getidx and getlen:
        raise RedisError("ERR If you want both the length and indexes, please just use IDX.")
    if 4 * (len(a) + 1) * (len(b) + 1) > c.config.proto_max_bulk_len:
        raise RedisError("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
    return lcs_reply(a, b, getlen, getidx, withmatchlen, minmatchlen)


