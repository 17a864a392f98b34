"""SORT and SORT_RO (Redis 7.0 sort.c semantics).

The elements of a list, set or sorted set are ordered numerically (each parsed as strtod
would, ``ERR One or more scores can't be converted into double`` otherwise) or with ALPHA
by their bytes, either by themselves or by a weight looked up with ``BY pattern`` (the first
``*`` replaced by the element; ``key->field`` reads a hash field). ``BY`` without ``*``
means no sorting. ``GET pattern`` (``#`` = the element) replaces each element by looked up
values. ``STORE dest`` writes the result as a list (an empty one deletes dest).

Order is Redis's exactly: numeric ties break on the element's bytes; ALPHA compares bytes
(strcoll in the C.UTF-8 locale Redis runs with: bytes up to the first NUL) and keeps the
original order on ties, as glibc's stable qsort does.
"""
from __future__ import annotations

import math
import re
from collections import deque
from itertools import islice

from ..engine.command import command
from ..errors import WRONGTYPE, RedisError
from ..keyspace import MISSING, events
from ..keyspace.database import STRING_TYPES, as_str, to_bytes
from ..keyspace.pqsort import pqsort
from ..keyspace.smallhash import SmallHash
from ..keyspace.zset import ZSet
from .sets import store_result
from .util import SYNTAX, parse_int

NOT_DOUBLE = RedisError("ERR One or more scores can't be converted into double")

# what C's strtod accepts as a whole (after leading white space)
_STRTOD = re.compile(
    r"[ \t\n\v\f\r]*([+-]?)(?:"
    r"(0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?)"
    r"|((?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
    r"|([iI][nN][fF](?:[iI][nN][iI][tT][yY])?)"
    r"|([nN][aA][nN](?:\([0-9A-Za-z_]*\))?))\Z")
_MIN_NORMAL = 2.2250738585072014e-308


_LEAD = frozenset("0123456789+-.")
_DIGITS = frozenset("0123456789")


def strtod_score(s: str):
    """The element's score as Redis's SORT reads it, or None: strtod must take the whole
    string (up to a NUL, where C strings end), and neither NaN nor ERANGE is accepted."""
    if s and s[-1] in _DIGITS and s[0] in _LEAD and s.isascii() and "_" not in s:
        # the common case: plain decimal text, which float() reads as strtod does
        try:
            x = float(s)
        except ValueError:
            pass
        else:
            if _MIN_NORMAL <= abs(x) < math.inf:
                return x
    if "\0" in s:
        s = s[:s.index("\0")]
    if not s:
        return 0.0          # strtod converts nothing and stops at the terminator: accepted
    m = _STRTOD.match(s)
    if m is None:
        return None
    sign, hexa, dec, inf, nan = m.groups()
    if nan is not None:
        return None
    if inf is not None:
        return -math.inf if sign == "-" else math.inf
    try:
        x = float.fromhex(hexa) if hexa is not None else float(dec)
    except (ValueError, OverflowError):
        return None
    if math.isinf(x):
        return None                     # overflow: ERANGE
    if x == 0.0 and _nonzero_digits(hexa or dec):
        return None                     # underflow to zero: ERANGE
    if 0.0 < x < _MIN_NORMAL:
        return None                     # denormal result: glibc sets ERANGE too
    return -x if sign == "-" else x


# what float() reads and strtod does not (trailing space, "_", NaN; "inf" goes the slow way)
_NOT_PLAIN = re.compile(r"[\s_nN]")


def _scores(elems: list) -> list:
    """strtod_score of every element (NOT_DOUBLE if one fails). ASCII decimal numbers in the
    normal double range, the common case, are converted and checked a whole list at a time."""
    try:
        xs = list(map(float, elems))
    except ValueError:
        xs = None
    if xs:
        joined = "".join(elems)
        if joined.isascii() and _NOT_PLAIN.search(joined) is None:
            magnitudes = list(map(abs, xs))
            if _MIN_NORMAL <= min(magnitudes) and max(magnitudes) < math.inf:
                return xs
    xs = [strtod_score(e) for e in elems]
    if None in xs:
        raise NOT_DOUBLE
    return xs


def _nonzero_digits(text: str) -> bool:
    mant = re.split(r"[eEpP]", text[2:] if text[:2] in ("0x", "0X") else text)[0]
    return any(ch not in "0." for ch in mant)


def _bytes_key(s: str):
    """A key ordering ``s`` by its bytes (ASCII str as is: same order, no copy)."""
    return s if s.isascii() else to_bytes(s).decode("latin-1")


def _coll_key(s: str):
    """strcoll in C.UTF-8: the bytes up to the first NUL."""
    if "\0" in s:
        s = s[:s.index("\0")]
    return _bytes_key(s)


def _lookup_by_pattern(db, pattern: str, subst: str):
    """lookupKeyByPattern: ``#`` is the element itself; the first ``*`` is replaced by the
    element; ``->field`` after it names a hash field. None when nothing is found (no ``*``,
    a missing key, a value of the wrong type, a missing field)."""
    if pattern == "#":
        return subst
    star = pattern.find("*")
    if star < 0:
        return None
    arrow = pattern.find("->", star + 1)
    field = None
    if arrow >= 0 and arrow + 2 < len(pattern):
        field = pattern[arrow + 2:]
        key = pattern[:star] + subst + pattern[star + 1:arrow]
    else:
        key = pattern[:star] + subst + pattern[star + 1:]
    v = db.lookup_read(key)
    if v is MISSING:
        return None
    if field is not None:
        if type(v) is not dict and type(v) is not SmallHash:
            return None
        x = v.get(field)
        return None if x is None else (x if type(x) is str else as_str(x))
    if type(v) is str:
        return v
    if type(v) in STRING_TYPES:
        return as_str(v)
    return None


def _parse(args: list, readonly: bool):
    """Options: (desc, alpha, limit_start, limit_count, store, by, gets, dontsort)."""
    desc = alpha = dontsort = False
    start, count = 0, -1
    store = by = None
    gets: list = []
    j, n = 2, len(args)
    while j < n:
        opt = args[j].lower()
        left = n - j - 1
        if opt == "asc":
            desc = False
        elif opt == "desc":
            desc = True
        elif opt == "alpha":
            alpha = True
        elif opt == "limit" and left >= 2:
            start = parse_int(args[j + 1])
            count = parse_int(args[j + 2])
            j += 2
        elif not readonly and opt == "store" and left >= 1:
            store = args[j + 1]
            j += 1
        elif opt == "by" and left >= 1:
            by = args[j + 1]
            dontsort = "*" not in by
            j += 1
        elif opt == "get" and left >= 1:
            gets.append(args[j + 1])
            j += 1
        else:
            raise SYNTAX
        j += 1
    return desc, alpha, start, count, store, by, gets, dontsort


def _sort(c, args, readonly: bool):
    desc, alpha, limit_start, limit_count, store, by, gets, dontsort = _parse(args, readonly)
    db = c.db
    val = db.lookup_read(args[1])
    if val is MISSING:
        val = deque()
    else:
        t = type(val)
        if t is list:
            val = deque(val)
        elif t is not deque and t is not set and t is not ZSet:
            raise WRONGTYPE
    if type(val) is ZSet:
        val.to_skiplist()   # zsetConvert(SKIPLIST): SORT converts a sorted set for good
    is_set = type(val) is set
    if dontsort and is_set and (store is not None or c.kind == "lua"):
        # a set's own order is not the same on a replica or in a script: sort it
        dontsort, alpha, by = False, True, None

    vlen = len(val)
    start = min(max(limit_start, 0), vlen)
    limit_count = min(max(limit_count, -1), vlen)
    end = vlen - 1 if limit_count < 0 else start + limit_count - 1
    if start >= vlen:
        start, end = vlen - 1, vlen - 2
    if end >= vlen:
        end = vlen - 1

    if dontsort and not is_set:
        # lists and sorted sets keep their own order (DESC walks it backwards), LIMIT applied
        elems = _range_in_order(val, start, end, desc)
        start, end = 0, len(elems) - 1
    else:
        elems = list(val) if type(val) is not ZSet else list(val.members())
        if not dontsort:
            limited = start != 0 or end != len(elems) - 1
            elems = _sorted(db, elems, by, alpha, desc, store is not None, limited, start, end)

    chosen = elems[start:end + 1] if end >= start else []
    if store is None:
        if not gets:
            return chosen
        return [_lookup_by_pattern(db, g, e) for e in chosen for g in gets]
    if gets:
        out = deque()
        for e in chosen:
            for g in gets:
                x = _lookup_by_pattern(db, g, e)
                out.append("" if x is None else x)
    else:
        out = deque(chosen)
    return store_result(db, store, out, "sortstore", events.LIST)


def _range_in_order(val, start: int, end: int, desc: bool) -> list:
    if end < start:
        return []
    n = len(val)
    if type(val) is ZSet:
        if desc:
            return [m for m, _ in val.slice(n - 1 - end, n - start, reverse=True)]
        return [m for m, _ in val.slice(start, end + 1)]
    it = reversed(val) if desc else iter(val)
    return list(islice(it, start, end + 1))


def _sorted(db, elems: list, by, alpha: bool, desc: bool, storing: bool, limited: bool = False,
            lo: int = 0, hi: int = -1) -> list:
    if by is None:
        if alpha:
            key = _bytes_key if storing else _coll_key
            return sorted(elems, key=key, reverse=desc)
        scores = _scores(elems)
        keys = elems if "".join(elems).isascii() else [_bytes_key(e) for e in elems]
        scored = sorted(zip(scores, keys, elems), reverse=desc)
        return [x[2] for x in scored]
    weights = [_lookup_by_pattern(db, by, e) for e in elems]
    if alpha:
        conv = _bytes_key if storing else _coll_key
        # a missing weight sorts before every present one
        keys = [(0, "") if w is None else (1, conv(w)) for w in weights]
        order = list(range(len(elems)))
        if limited and len(set(keys)) < len(keys):
            # equal weights: their order is what Redis's partial quicksort leaves
            sign = -1 if desc else 1

            def cmp(i, j):
                a, b = keys[i], keys[j]
                return 0 if a == b else (sign if a > b else -sign)
            pqsort(order, cmp, lo, hi)
        else:
            order.sort(key=keys.__getitem__, reverse=desc)     # glibc's qsort is stable
        return [elems[i] for i in order]
    scored = []
    bad = False
    for w, e in zip(weights, elems):
        s = 0.0 if w is None else strtod_score(w)
        if s is None:
            bad = True
            s = 0.0
        scored.append((s, _bytes_key(e), e))
    if bad:
        raise NOT_DOUBLE
    scored.sort(reverse=desc)
    return [e for _, _, e in scored]


@command("sort")
def sort(c, args):
    return _sort(c, args, False)


@command("sort_ro")
def sort_ro(c, args):
    return _sort(c, args, True)
