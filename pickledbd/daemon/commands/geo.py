"""Geo commands (Redis 7.0's geo.c): a geo set is a sorted set whose scores are 52-bit
geohashes (``keyspace/geohash.py``), so every zset command works on it and ZSCORE shows
the same integers as Redis.

GEOADD is a ZADD underneath: it replies, notifies (``zadd``) and propagates as the ZADD it
builds (``zadd key [NX|XX] [CH] <score> <member> ...``). Searches scan the sorted-set ranges
of the centre cell and its 8 neighbours as Redis does, sort like Redis (a stable full sort,
or Redis's own partial quicksort when COUNT cuts the result), print distances with 4
decimals (Redis 7.0's fixedpoint_d2string) and coordinates as ``%.17Lf`` trimmed.
GEORADIUS ... STORE / GEOSEARCHSTORE propagate verbatim (Redis 7.0 does not rewrite them)
and notify ``georadiusstore`` / ``geosearchstore``.
"""
from __future__ import annotations

import heapq
import math
import re

from ..errors import RedisError
from ..keyspace import MISSING, WRONGTYPE, events
from ..keyspace import geohash as gh
from ..keyspace.pqsort import pqsort
from ..keyspace.zset import ZSet
from ..engine.command import command
from .sets import store_result
from .util import SYNTAX, parse_int
from .zsets import _zadd_generic, add_one, parse_score

ZSET_EVENTS = events.ZSET
ZSET = (ZSet,)
UNITS = {"m": 1.0, "km": 1000.0, "ft": 0.3048, "mi": 1609.34}
UNIT_ERR = RedisError("ERR unsupported unit provided. please use M, KM, FT, MI")
RADIUS_NUM = RedisError("ERR need numeric radius")
RADIUS_NEG = RedisError("ERR radius cannot be negative")
WIDTH_NUM = RedisError("ERR need numeric width")
HEIGHT_NUM = RedisError("ERR need numeric height")
BOX_NEG = RedisError("ERR height or width cannot be negative")
COUNT_ERR = RedisError("ERR COUNT must be > 0")
ANY_ERR = RedisError("ERR the ANY argument requires COUNT argument")
MEMBER_ERR = RedisError("ERR could not decode requested zset member")

RADIUS_COORDS, RADIUS_MEMBER, NOSTORE, GEOSEARCH, GEOSEARCHSTORE = 1, 2, 4, 8, 16


# ---------------------------------------------------------------- argument helpers
_PLAIN_DECIMAL = re.compile(r"-?[0-9]{1,17}(?:\.[0-9]{1,17})?\Z", re.ASCII)


def _coordinate(s: str) -> float:
    """getDoubleFromObject; plain decimals (what clients send) skip the full strtod checks."""
    if _PLAIN_DECIMAL.match(s):
        return float(s)
    return parse_score(s)


def _lonlat(a: str, b: str):
    """extractLongLatOrReply."""
    lon, lat = _coordinate(a), _coordinate(b)
    if lon < gh.LONG_MIN or lon > gh.LONG_MAX or lat < gh.LAT_MIN or lat > gh.LAT_MAX:
        raise RedisError("ERR invalid longitude,latitude pair %f,%f" % (lon, lat))
    return lon, lat


def _unit(u: str) -> float:
    f = UNITS.get(u.lower()) if len(u) <= 2 and u.isascii() else None   # strcasecmp: ASCII only
    if f is None:
        raise UNIT_ERR
    return f


def _radius(a: str, unit: str):
    """extractDistanceOrReply: (radius, conversion)."""
    r = parse_score(a, RADIUS_NUM)
    if r < 0:
        raise RADIUS_NEG
    return r, _unit(unit)


def _box(w: str, h: str, unit: str):
    """extractBoxOrReply: (width, height, conversion)."""
    width = parse_score(w, WIDTH_NUM)
    height = parse_score(h, HEIGHT_NUM)
    if height < 0 or width < 0:
        raise BOX_NEG
    return width, height, _unit(unit)


def _geoset(c, key):
    z = c.db.lookup_read(key)
    if z is not MISSING and type(z) is not ZSet:
        raise WRONGTYPE
    return z


def _coord(c, x: float):
    """addReplyHumanLongDouble: ``%.17Lf`` with trailing zeros cut; RESP3 sends it as a double."""
    s = "%.17f" % x
    s = s.rstrip("0").rstrip(".") if "." in s else s
    if s == "-0":
        s = "0"
    return s if c.resp == 2 else b",%s\r\n" % s.encode()


def _dist(d: float) -> str:
    """addReplyDoubleDistance: Redis 7.0's fixedpoint_d2string(d, 4), i.e. llrint(d * 10^4)
    (round half to even on the scaled double, not printf's rounding of the exact value)."""
    x = d * 10000.0
    if x != x or abs(x) >= 9.223372036854775807e18:
        v = -(1 << 63)               # llrint's FE_INVALID result
    else:
        v = round(x)
    sign = "-" if v < 0 else ""
    whole, frac = divmod(abs(v), 10000)
    return "%s%d.%04d" % (sign, whole, frac)


# ---------------------------------------------------------------- GEOADD
_GEOADD_FLAGS = ("nx", "xx", "ch")


@command("geoadd")
def geoadd(c, args):
    n = len(args)
    if n == 5 and (len(args[2]) != 2 or args[2].lower() not in _GEOADD_FLAGS):
        # the common case: one position, no options
        bits = gh.score_of(*_lonlat(args[2], args[3]))
        db = c.db
        key, member = args[1], args[4]
        added = add_one(db, key, db.lookup_type(key, ZSET), member, float(bits))
        if added < 0:
            return 0                    # nothing changed: no event, nothing propagated
        if c.ks.notify_mask & ZSET_EVENTS:
            db.notify(ZSET_EVENTS, "zadd", key)
        c.propagate_as(["zadd", key, str(bits), member])
        return int(added)
    i = 2
    xx = nx = False
    while i < n:
        o = args[i].lower()
        if o == "nx":
            nx = True
        elif o == "xx":
            xx = True
        elif o != "ch":
            break
        i += 1
    if (n - i) % 3 or (xx and nx):
        raise SYNTAX
    zargs = ["zadd"]         # propagated as Redis rewrites it (lower case)
    zargs.extend(args[1:i])
    for j in range(i, n, 3):
        lon, lat = _lonlat(args[j], args[j + 1])
        zargs.append(str(gh.score_of(lon, lat)))
        zargs.append(args[j + 2])
    reply = _zadd_generic(c, zargs, False)
    c.propagate_as(zargs)
    return reply


# ---------------------------------------------------------------- GEOPOS / GEODIST / GEOHASH
@command("geopos")
def geopos(c, args):
    z = _geoset(c, args[1])
    score = z.getter() if z is not MISSING else (lambda m: None)
    out = []
    for m in args[2:]:
        s = score(m)
        if s is None:
            out.append(None if c.resp == 3 else b"*-1\r\n")
        else:
            lon, lat = gh.decode_score(s)
            out.append([_coord(c, lon), _coord(c, lat)])
    return out


@command("geodist")
def geodist(c, args):
    to_meter = 1.0
    if len(args) == 5:
        to_meter = _unit(args[4])
    elif len(args) > 5:
        raise SYNTAX
    z = _geoset(c, args[1])
    if z is MISSING:
        return None
    score = z.getter()
    s1, s2 = score(args[2]), score(args[3])
    if s1 is None or s2 is None:
        return None
    a, b = gh.decode_score(s1), gh.decode_score(s2)
    return _dist(gh.distance(a[0], a[1], b[0], b[1]) / to_meter)


@command("geohash")
def geohash(c, args):
    z = _geoset(c, args[1])
    score = z.getter() if z is not MISSING else (lambda m: None)
    out = []
    for m in args[2:]:
        s = score(m)
        out.append(None if s is None else gh.standard_geohash(s))
    return out


# ---------------------------------------------------------------- searches
class Shape:
    __slots__ = ("lon", "lat", "kind", "radius", "width", "height", "conversion")

    def __init__(self):
        self.lon = self.lat = 0.0
        self.kind = 0
        self.radius = self.width = self.height = 0.0
        self.conversion = 1.0


def _member_pos(z, member):
    s = z.score(member)
    if s is None:
        raise MEMBER_ERR
    return gh.decode_score(s)


def _points(z, shape: Shape, limit: int):
    """membersOfAllNeighbors: [dist, lon, lat, score, member] in Redis's scan order; with
    ``limit`` (COUNT ANY) it stops once that many are found."""
    conv = shape.conversion
    cx, cy = shape.lon, shape.lat
    if shape.kind == gh.CIRCULAR:
        r = shape.radius * conv
        ranges = gh.search_ranges(cx, cy, conv * shape.radius, conv * shape.radius, r)
    else:
        w_m, h_m = shape.width * conv, shape.height * conv
        half_w = (shape.width / 2) * (shape.width / 2)
        half_h = (shape.height / 2) * (shape.height / 2)
        ranges = gh.search_ranges(cx, cy, conv * (shape.width / 2), conv * (shape.height / 2),
                                  math.sqrt(half_w + half_h) * conv)
    found = []
    append = found.append
    decode, distance = gh.decode_score, gh.distance
    circle = shape.kind == gh.CIRCULAR
    for lo, hi in ranges:
        i, j = z.score_bounds(lo, False, hi, True)
        if i == j:
            continue
        for member, score in z.iter_range(i, j):
            lon, lat = decode(score)
            if circle:
                d = distance(cx, cy, lon, lat)
                if d > r:
                    continue
            else:
                d = gh.within_rectangle(w_m, h_m, cx, cy, lon, lat)
                if d is None:
                    continue
            append([d, lon, lat, score, member])
            if limit and len(found) >= limit:
                return found
    return found


def _cmp_asc(a, b):
    da, db = a[0], b[0]
    return 1 if da > db else (0 if da == db else -1)


def _cmp_desc(a, b):
    return -_cmp_asc(a, b)


def _partial_sort(ga: list, k: int, desc: bool) -> None:
    """Put the ``k`` nearest (farthest) points first, in order, as Redis's pqsort does. When
    they hold no equal distances (up to the (k+1)-th) the answer is unique: a heap selection
    finds it in O(n log k); ties need pqsort itself, whose swaps decide their order."""
    sel = (heapq.nlargest if desc else heapq.nsmallest)(k + 1, ga, key=_distance_of)
    d = [p[0] for p in sel]
    if all(a > b for a, b in zip(d, d[1:])) if desc else all(a < b for a, b in zip(d, d[1:])):
        ga[:k] = sel[:k]
    else:
        pqsort(ga, _cmp_desc if desc else _cmp_asc, 0, k - 1)


def _distance_of(p):
    return p[0]


def _georadius(c, args, src: int, flags: int):
    z = _geoset(c, args[src])
    shape = Shape()
    storekey = None
    storedist = False
    if flags & RADIUS_COORDS:
        base = 6
        shape.kind = gh.CIRCULAR
        shape.lon, shape.lat = _lonlat(args[2], args[3])
        shape.radius, shape.conversion = _radius(args[4], args[5])
    elif flags & RADIUS_MEMBER:
        base = 5
        if z is not MISSING:     # a missing key: parse the options only, for the right reply
            shape.kind = gh.CIRCULAR
            shape.lon, shape.lat = _member_pos(z, args[2])
            shape.radius, shape.conversion = _radius(args[3], args[4])
    else:
        base = 2
        if flags & GEOSEARCHSTORE:
            base = 3
            storekey = args[1]
    withdist = withhash = withcoord = False
    frommember = fromloc = byradius = bybox = False
    sort = 0                      # 1 asc, -1 desc
    any_ = False
    count = 0
    n = len(args)
    i = base
    while i < n:
        o = args[i].lower()
        left = n - i - 1
        if o == "withdist":
            withdist = True
        elif o == "withhash":
            withhash = True
        elif o == "withcoord":
            withcoord = True
        elif o == "any":
            any_ = True
        elif o == "asc":
            sort = 1
        elif o == "desc":
            sort = -1
        elif o == "count" and left >= 1:
            count = parse_int(args[i + 1])
            if count <= 0:
                raise COUNT_ERR
            i += 1
        elif o in ("store", "storedist") and left >= 1 and not flags & (NOSTORE | GEOSEARCH):
            storekey = args[i + 1]
            storedist = o == "storedist"
            i += 1
        elif o == "storedist" and flags & GEOSEARCHSTORE:
            storedist = True
        elif o == "frommember" and left >= 1 and flags & GEOSEARCH and not fromloc:
            if z is not MISSING:
                shape.lon, shape.lat = _member_pos(z, args[i + 1])
            frommember = True
            i += 1
        elif o == "fromlonlat" and left >= 2 and flags & GEOSEARCH and not frommember:
            shape.lon, shape.lat = _lonlat(args[i + 1], args[i + 2])
            fromloc = True
            i += 2
        elif o == "byradius" and left >= 2 and flags & GEOSEARCH and not bybox:
            shape.radius, shape.conversion = _radius(args[i + 1], args[i + 2])
            shape.kind = gh.CIRCULAR
            byradius = True
            i += 2
        elif o == "bybox" and left >= 3 and flags & GEOSEARCH and not byradius:
            shape.width, shape.height, shape.conversion = _box(args[i + 1], args[i + 2], args[i + 3])
            shape.kind = gh.RECTANGLE
            bybox = True
            i += 3
        else:
            raise SYNTAX
        i += 1
    if storekey is not None and (withdist or withhash or withcoord):
        raise RedisError("ERR %s is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
                         % ("GEOSEARCHSTORE" if flags & GEOSEARCHSTORE else "STORE option in GEORADIUS"))
    if flags & GEOSEARCH and not (frommember or fromloc):
        raise RedisError("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for %s" % args[0])
    if flags & GEOSEARCH and not (byradius or bybox):
        raise RedisError("ERR exactly one of BYRADIUS and BYBOX can be specified for %s" % args[0])
    if any_ and not count:
        raise ANY_ERR
    db = c.db
    if z is MISSING:
        if storekey is not None:
            if db.delete(storekey):
                db.notify(events.GENERIC, "del", storekey)
            return 0
        return []
    if count and not sort and not any_:
        sort = 1
    ga = _points(z, shape, count if any_ else 0)
    if not ga and storekey is None:
        return []
    total = len(ga)
    returned = total if (count == 0 or total < count) else count
    if sort:
        if returned == total:
            ga.sort(key=lambda p: p[0], reverse=sort < 0)   # glibc qsort: a stable merge sort
        else:
            _partial_sort(ga, returned, sort < 0)
    conv = shape.conversion
    if storekey is None:
        out = []
        plain = not (withdist or withhash or withcoord)
        for p in ga[:returned]:
            if plain:
                out.append(p[4])
                continue
            item = [p[4]]
            if withdist:
                item.append(_dist(p[0] / conv))
            if withhash:
                item.append(int(p[3]))
            if withcoord:
                item.append([_coord(c, p[1]), _coord(c, p[2])])
            out.append(item)
        return out
    if storedist:
        result = {p[4]: p[0] / conv for p in ga[:returned]}
    else:
        result = {p[4]: p[3] for p in ga[:returned]}
    event = "geosearchstore" if flags & GEOSEARCH else "georadiusstore"
    return store_result(db, storekey, ZSet(result), event, ZSET_EVENTS)


@command("georadius")
def georadius(c, args):
    return _georadius(c, args, 1, RADIUS_COORDS)


@command("georadius_ro")
def georadius_ro(c, args):
    return _georadius(c, args, 1, RADIUS_COORDS | NOSTORE)


@command("georadiusbymember")
def georadiusbymember(c, args):
    return _georadius(c, args, 1, RADIUS_MEMBER)


@command("georadiusbymember_ro")
def georadiusbymember_ro(c, args):
    return _georadius(c, args, 1, RADIUS_MEMBER | NOSTORE)


@command("geosearch")
def geosearch(c, args):
    return _georadius(c, args, 1, GEOSEARCH)


@command("geosearchstore")
def geosearchstore(c, args):
    return _georadius(c, args, 2, GEOSEARCH | GEOSEARCHSTORE)
