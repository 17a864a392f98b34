"""Geo commands for the differential test (tests/test_differential.py).

Positions come from a few clusters (so searches find several members, some at exactly the
same spot: equal distances exercise Redis's sort order), the edges of the valid area and
invalid pairs; members collide with the zset family's members and the keys with every other
type. Searches mix every option, in any order, including the invalid combinations; STORE /
STOREDIST results are compared through the destination's ZRANGE ... WITHSCORES.
"""
from __future__ import annotations

from hypothesis import strategies as st

from diff_commands import C, flags, k, many, mem, opt

LONS = [b"13.361389", b"15.087269", b"13.583333", b"13.4", b"0", b"-0.5", b"179.9999", b"-180",
        b"180", b"10", b"10.00001", b"181", b"abc", b"inf", b"1e400", b"-73.98"]
LATS = [b"38.115556", b"37.502669", b"37.316667", b"38", b"0", b"0.5", b"85.05112878",
        b"-85.05112878", b"10", b"10.00001", b"85.06", b"-90", b"nan", b"40.75", b"-33.9"]
RADII = [b"0", b"1", b"10", b"100", b"200", b"500", b"5000", b"20000", b"1e6", b"-1", b"x",
         b"inf", b"0.5"]
UNITS = [b"m", b"km", b"mi", b"ft", b"KM", b"yd"]
COUNTS = [b"1", b"2", b"3", b"10", b"0", b"-1", b"x"]

lon = st.sampled_from(LONS)
lat = st.sampled_from(LATS)
_good_rad = st.sampled_from([b"1", b"10", b"100", b"200", b"500", b"5000", b"20000"])
rad = st.one_of(_good_rad, _good_rad, _good_rad, st.sampled_from(RADII))
_good_unit = st.sampled_from([b"m", b"km", b"mi", b"ft"])
unit = st.one_of(_good_unit, _good_unit, st.sampled_from(UNITS))
member = st.one_of(mem, st.sampled_from([b"Palermo", b"Catania", b"p1", b"p2", b"p3"]))

# a cluster of valid positions (repeated spots give equal distances)
SPOTS = [(b"13.361389", b"38.115556"), (b"15.087269", b"37.502669"), (b"13.583333", b"37.316667"),
         (b"13.4", b"38"), (b"10", b"10"), (b"10.00001", b"10.00001"), (b"-73.98", b"40.75"),
         (b"179.9999", b"0"), (b"-180", b"-85.05112878"), (b"0", b"85.05112878")]
spot = st.sampled_from(SPOTS)
position = st.one_of(spot, spot, spot, st.tuples(lon, lat))


def _option():
    return st.one_of(
        st.sampled_from([(b"WITHDIST",), (b"WITHCOORD",), (b"WITHHASH",), (b"ASC",), (b"DESC",),
                         (b"ANY",)]),
        st.tuples(st.just(b"COUNT"), st.sampled_from(COUNTS[:4])),
        st.tuples(st.just(b"COUNT"), st.sampled_from(COUNTS), st.just(b"ANY")))


def _options(lo=0, hi=4):
    return st.lists(_option(), min_size=lo, max_size=hi)


def _store():
    return opt(st.sampled_from([b"STORE", b"STOREDIST"]), k)


def family():
    origin = st.one_of(st.tuples(st.just(b"FROMMEMBER"), member),
                       st.tuples(st.just(b"FROMLONLAT"), lon, lat),
                       st.just((b"FROMLONLAT", *SPOTS[0])))
    shape = st.one_of(st.tuples(st.just(b"BYRADIUS"), rad, unit),
                      st.tuples(st.just(b"BYBOX"), rad, rad, unit))
    search_parts = st.lists(st.one_of(origin, origin, shape, shape, _option()), min_size=1, max_size=5)
    return st.one_of(
        C(b"GEOADD", k, flags(b"NX", b"XX", b"CH", hi=2), many(st.tuples(*[position, member]).map(
            lambda t: (*t[0], t[1])), 1, 5)),
        C(b"GEOADD", k, many(st.tuples(spot, member).map(lambda t: (*t[0], t[1])), 1, 6)),
        C(b"GEOPOS", k, many(member, 0, 3)),
        C(b"GEODIST", k, member, member, opt(unit)),
        C(b"GEOHASH", k, many(member, 0, 3)),
        C(st.sampled_from([b"GEORADIUS", b"GEORADIUS_RO"]), k, position, rad, unit, _options(), _store()),
        C(b"GEORADIUS", k, spot, rad, unit, _options()),
        C(st.sampled_from([b"GEORADIUSBYMEMBER", b"GEORADIUSBYMEMBER_RO"]), k, member, rad, unit,
          _options(), _store()),
        C(b"GEOSEARCH", k, search_parts),
        C(b"GEOSEARCH", k, origin, shape, _options()),
        C(b"GEOSEARCHSTORE", k, k, origin, shape, _options(0, 2), opt(b"STOREDIST")),
        C(b"ZRANGE", k, b"0", b"-1", b"WITHSCORES"),
    )
