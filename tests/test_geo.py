"""Geo commands against pickledbd, side by side with the reference redis-server: random
geo sets (clusters, members at the same spot, the poles and the antimeridian) searched with
every option in RESP2 and RESP3, scores / coordinates / distances byte for byte, the order of
equal distances (Redis's stable full sort and its partial quicksort under COUNT), what GEOADD
and the STORE forms propagate and notify, blocked BZPOPMIN clients served by a STORE,
persistence (JSON, SQLite, DEBUG RELOAD, a real Redis replica) and hostile input (huge
counts and radii, a search over a big set while another client waits)."""
from __future__ import annotations

import random
import socket
import threading
import time

import pytest

from diff_resp import RawClient
from keyspace_events import capture as capture_events
from repl_stream import compare as compare_streams
from repl_stream import streams_match
from test_replication import replica_of, wait_in_sync  # noqa: F401  (fixture)

UNITS = {"m": 1.0, "km": 1000.0, "mi": 1609.34, "ft": 0.3048}


def _pair(redis_server, pickledbd_server, proto=2):
    r = RawClient(redis_server.host, redis_server.port)
    p = RawClient(pickledbd_server.host, pickledbd_server.port)
    for c in (r, p):
        c.call("FLUSHALL")
        if proto == 3:
            c.call("HELLO", "3")
    return r, p


def _same(r, p, *cmd):
    a, b = r.call(*cmd), p.call(*cmd)
    assert a == b, "%s\n  redis:     %r\n  pickledbd: %r" % (" ".join(map(str, cmd)), a, b)
    return a


def _fill(rnd, both, n, clon, clat, spread, dup):
    """GEOADD n members around (clon, clat); with ``dup`` two thirds share the centre."""
    for start in range(0, n, 100):
        args = []
        for j in range(start, min(n, start + 100)):
            if dup and j % 3:
                lon, lat = clon, clat
            else:
                lon = max(-180.0, min(180.0, clon + rnd.uniform(-spread, spread)))
                lat = max(-85.05, min(85.05, clat + rnd.uniform(-spread, spread)))
            args += ["%.6f" % lon, "%.6f" % lat, "m%d" % j]
        both("GEOADD", "g", *args)


def _random_search(rnd, n, clon, clat, spread):
    unit = rnd.choice(list(UNITS))
    rad = "%.3f" % (rnd.uniform(0, spread * 111000 * 1.5) / UNITS[unit])
    opts = []
    if rnd.random() < 0.5:
        opts.append(rnd.choice(("ASC", "DESC")))
    if rnd.random() < 0.5:
        opts += ["COUNT", str(rnd.randint(1, max(1, n // 2)))]
        if rnd.random() < 0.4:
            opts.append("ANY")
    withs = [w for w in ("WITHDIST", "WITHCOORD", "WITHHASH") if rnd.random() < 0.4]
    if rnd.random() < 0.5:
        origin = ["FROMMEMBER", "m%d" % rnd.randrange(n)]
    else:
        origin = ["FROMLONLAT", "%.5f" % clon, "%.5f" % clat]
    if rnd.random() < 0.5:
        shape = ["BYRADIUS", rad, unit]
    else:
        shape = ["BYBOX", rad, "%.3f" % (float(rad) * rnd.uniform(0.2, 3)), unit]
    return origin, shape, opts, withs


@pytest.mark.parametrize("proto", [2, 3])
def test_random_geo_sets_search_like_redis(redis_server, pickledbd_server, proto):
    rnd = random.Random(1000 + proto)
    r, p = _pair(redis_server, pickledbd_server, proto)
    try:
        for _ in range(8):
            _same(r, p, "FLUSHALL")
            n = rnd.choice((5, 60, 300))          # listpack and skiplist encodings
            clon, clat = rnd.uniform(-179, 179), rnd.uniform(-84, 84)
            if rnd.random() < 0.4:                # the antimeridian, the poles, the equator
                clon = rnd.choice((-179.99, 179.99, 0.0))
                clat = rnd.choice((-85.0, 85.0, 0.0, 67.0, -81.0))
            spread = rnd.choice((0.01, 0.5, 5, 60, 180))
            _fill(rnd, lambda *c: _same(r, p, *c), n, clon, clat, spread, rnd.random() < 0.4)
            for _ in range(12):
                origin, shape, opts, withs = _random_search(rnd, n, clon, clat, spread)
                _same(r, p, "GEOSEARCH", "g", *origin, *shape, *opts, *withs)
                if shape[0] == "BYRADIUS":
                    if origin[0] == "FROMMEMBER":
                        _same(r, p, "GEORADIUSBYMEMBER", "g", origin[1], *shape[1:], *opts, *withs)
                    else:
                        _same(r, p, "GEORADIUS_RO", "g", *origin[1:], *shape[1:], *opts, *withs)
                if rnd.random() < 0.3:            # STOREDIST shows distances to 17 digits
                    store = ["STOREDIST"] if rnd.random() < 0.6 else []
                    _same(r, p, "GEOSEARCHSTORE", "d", "g", *origin, *shape, *opts, *store)
                    _same(r, p, "ZRANGE", "d", "0", "-1", "WITHSCORES")
                a, b = "m%d" % rnd.randrange(n), "m%d" % rnd.randrange(n)
                _same(r, p, "GEODIST", "g", a, b, rnd.choice(list(UNITS)))
                _same(r, p, "GEOPOS", "g", a, b, "nosuch")
                _same(r, p, "GEOHASH", "g", a, b, "nosuch")
            _same(r, p, "ZRANGE", "g", "0", "-1", "WITHSCORES")
    finally:
        r.close()
        p.close()


def test_equal_distances_keep_redis_order(redis_server, pickledbd_server):
    """Ties: a full sort is glibc's stable merge sort, a COUNT cut is Redis's pqsort (which
    moves the pivot first); both must give Redis's exact order."""
    r, p = _pair(redis_server, pickledbd_server)
    try:
        args = []
        for i in range(50):
            args += ["10", "10", "s%02d" % i] if i % 4 else ["10.001", "10.001", "f%02d" % i]
        _same(r, p, "GEOADD", "g", *args)
        for tail in ([], ["ASC"], ["DESC"], ["COUNT", "49"], ["COUNT", "10"], ["COUNT", "3", "DESC"],
                     ["COUNT", "1"], ["COUNT", "7", "ANY"], ["COUNT", "7", "ANY", "ASC"]):
            _same(r, p, "GEOSEARCH", "g", "FROMLONLAT", "10", "10", "BYRADIUS", "500", "km", *tail)
            _same(r, p, "GEORADIUS", "g", "10", "10", "500", "km", "WITHDIST", *tail)
    finally:
        r.close()
        p.close()


def test_argument_errors_match_redis(redis_server, pickledbd_server):
    r, p = _pair(redis_server, pickledbd_server)
    try:
        _same(r, p, "GEOADD", "g", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania")
        _same(r, p, "SET", "s", "x")
        cases = [
            ("GEOADD", "g", "nx", "1", "2"), ("GEOADD", "g", "ch", "ch", "ch"), ("GEOADD", "g", "nx", "xx", "1", "2", "m"),
            ("GEOADD", "g", "1", "-85.06", "m"), ("GEOADD", "g", "-inf", "0", "m"), ("GEOADD", "g", "1", "0x10", "m"),
            ("GEOADD", "g", "1", "2", "m", "3"), ("GEOADD", "g", "+1", "2", "m"), ("GEOADD", "g", "1.", ".5", "m"),
            ("GEOADD", "g", " 1", "2", "m"), ("GEOADD", "g", "1e-400", "2", "m"), ("GEOADD", "s", "1", "2", "m"),
            ("GEODIST", "g", "Palermo", "Catania", "KM"), ("GEODIST", "g", "Palermo", "Catania", "Km"),
            ("GEODIST", "g", "Palermo", "Catania", "kilometers"), ("GEODIST", "g", "Palermo", "Catania", "\u212am"), ("GEODIST", "g", "a", "b", "m", "x"),
            ("GEORADIUS", "g", "15", "37", "200", "km", "COUNT", "9223372036854775807"),
            ("GEORADIUS", "g", "15", "37", "200", "km", "COUNT", "9223372036854775808"),
            ("GEORADIUS", "g", "15", "37", "200", "km", "STORE"), ("GEORADIUS", "g", "15", "37", "200", "km", "ANY"),
            ("GEORADIUS", "g", "15", "37", "1e400", "km"), ("GEORADIUS", "g", "15", "37", "nan", "km"),
            ("GEORADIUS", "s", "x", "37", "200", "km"), ("GEORADIUS", "nokey", "x", "37", "200", "km"),
            ("GEORADIUSBYMEMBER", "nokey", "x", "bad", "unit", "WITHDIST", "STORE", "d"),
            ("GEORADIUSBYMEMBER", "g", "nosuch", "bad", "unit"), ("GEORADIUSBYMEMBER", "g", "Palermo", "bad", "km"),
            ("GEORADIUSBYMEMBER_RO", "g", "Palermo", "1", "km", "STOREDIST", "d"),
            ("GEOSEARCH", "g", "FROMMEMBER", "nosuch", "BYBOX", "x", "y", "z"),
            ("GEOSEARCH", "nokey", "FROMMEMBER", "nosuch", "BYBOX", "1", "1", "km"),
            ("GEOSEARCH", "nokey", "FROMMEMBER", "nosuch"), ("GEOSEARCH", "g", "FROMLONLAT", "1", "2", "BYBOX", "1", "km"),
            ("GEOSEARCH", "g", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km", "COUNT", "1", "ANY", "STOREDIST"),
            ("GEOSEARCH", "g", "FROMMEMBER", "Palermo", "FROMMEMBER", "Catania", "BYRADIUS", "1", "km", "BYRADIUS", "500", "km"),
            ("GEOSEARCH", "g", "FROMLONLAT", "1", "2", "FROMLONLAT", "15", "37", "BYBOX", "1", "1", "m", "BYBOX", "900", "900", "km"),
            ("GeoSearch", "g", "BYRADIUS", "1", "km"), ("GEOSEARCHSTORE", "d", "g", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km", "WITHHASH"),
            ("GEOSEARCHSTORE", "d", "g", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km", "STORE", "x"),
            ("GEOSEARCHSTORE", "s", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "500", "km"), ("TYPE", "s"),
            ("GEOPOS", "s", "a"), ("GEOHASH", "s"), ("GEODIST", "s", "a", "b"),
        ]
        for cmd in cases:
            _same(r, p, *cmd)
    finally:
        r.close()
        p.close()


# ---------------------------------------------------------------- propagation, events, blocking

GEO_WRITES = [
    ("GEOADD", "g", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"),
    ("GEOADD", "g", "13.361389", "38.115556", "Palermo"),               # no change: not propagated
    ("GEOADD", "g", "CH", "XX", "13.361389", "38.115556", "Palermo", "15", "37", "Catania", "1", "1", "new"),
    ("GEOADD", "g", "1", "2", "solo"),
    ("GEOADD", "fresh", "1", "2", "m"),                                  # one member: a new key
    ("GEOADD", "fresh", "1", "2", "m"),                                  # same score: nothing
    ("GEOADD", "fresh", "1", "3", "m"),                                  # moved
    ("GEORADIUS", "g", "15", "37", "200", "km", "STORE", "dst"),
    ("GEORADIUS", "g", "15", "37", "200", "km", "STOREDIST", "dst", "COUNT", "1"),
    ("GEORADIUSBYMEMBER", "g", "Palermo", "1", "m", "STORE", "dst"),
    ("GEORADIUS", "g", "15", "37", "1", "m", "STORE", "dst"),          # empty: deletes dst
    ("GEORADIUS", "g", "15", "37", "1", "m", "STORE", "dst"),          # nothing to delete
    ("GEOSEARCHSTORE", "d2", "g", "FROMLONLAT", "15", "37", "BYBOX", "500", "500", "km", "STOREDIST"),
    ("GEOSEARCHSTORE", "d2", "nokey", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"),
    ("GEORADIUS", "g", "15", "37", "200", "km"),
    ("GEOSEARCH", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"),
]


def test_propagation_matches_redis_sync_stream(redis_server, pickledbd_server):
    """GEOADD goes out as the ZADD it became (lower-case ``zadd``, scores as integers); the
    STORE forms go out verbatim, only when they changed data."""
    want, got = compare_streams(redis_server, pickledbd_server, [("FLUSHALL",)] + GEO_WRITES)
    assert streams_match(want, got), "\nredis:     %r\npickledbd: %r" % (want, got)
    assert [b"zadd", b"g", b"3479099956230698", b"Palermo", b"3479447370796909", b"Catania"] in got


def test_propagation_inside_multi_and_scripts_matches_redis(redis_server, pickledbd_server):
    cmds = [("FLUSHALL",), ("MULTI",), ("GEOADD", "g", "13.361389", "38.115556", "Palermo"),
            ("GEORADIUS", "g", "13", "38", "100", "km", "STORE", "d"), ("EXEC",),
            ("EVAL", "redis.call('GEOADD', KEYS[1], 1, 2, 'x') "
                     "return redis.call('GEOSEARCHSTORE', 'd2', KEYS[1], 'FROMLONLAT', 1, 2, 'BYRADIUS', 10, 'km')",
             "1", "g"),
            ("EVAL_RO", "return redis.call('GEORADIUS', KEYS[1], 1, 2, 10, 'km')", "1", "g"),
            ("EVAL_RO", "return redis.call('GEORADIUS_RO', KEYS[1], 1, 2, 10, 'km', 'WITHDIST')", "1", "g"),
            ("EVAL", "return redis.call('GEOPOS', KEYS[1], 'x', 'nope')", "1", "g")]
    (want, want_replies), (got, got_replies) = compare_streams(redis_server, pickledbd_server, cmds,
                                                               with_replies=True)
    assert streams_match(want, got), "\nredis:     %r\npickledbd: %r" % (want, got)
    assert want_replies == got_replies


def test_keyspace_events_match_redis(redis_server, pickledbd_server):
    reads = [("GEOPOS", "nokey", "a"), ("GEOHASH", "nokey", "a"), ("GEODIST", "nokey", "a", "b"),
             ("GEOSEARCH", "nokey", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km")]
    want = capture_events(redis_server, GEO_WRITES + reads)
    got = capture_events(pickledbd_server, GEO_WRITES + reads)
    assert want == got


@pytest.mark.parametrize("store", [
    ("GEORADIUS", "g", "15", "37", "200", "km", "STORE", "q"),
    ("GEORADIUSBYMEMBER", "g", "Palermo", "200", "km", "STOREDIST", "q"),
    ("GEOSEARCHSTORE", "q", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ASC", "COUNT", "1"),
])
def test_store_serves_a_client_blocked_on_the_destination(redis_server, pickledbd_server, store):
    for server in (redis_server, pickledbd_server):
        with RawClient(server.host, server.port) as c, RawClient(server.host, server.port) as waiter:
            c.call("FLUSHALL")
            c.call("GEOADD", "g", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania")
            box = {}
            t = threading.Thread(target=lambda: box.setdefault("r", waiter.call("BZPOPMIN", "q", "5")))
            t.start()
            deadline = time.time() + 5
            while c.call("CLIENT", "LIST", "TYPE", "normal")[1].count(b"cmd=bzpopmin") == 0:
                assert time.time() < deadline, "the waiter never blocked"
                time.sleep(0.01)
            c.call(*store)
            t.join(6)
            assert not t.is_alive()
            box[server.name] = box.pop("r")
            if server is redis_server:
                want = box[server.name]
            else:
                assert box[server.name] == want


# ---------------------------------------------------------------- persistence and replication

def _geo_dataset(c):
    rnd = random.Random(7)
    args = []
    for i in range(300):                  # > 128 members: the skiplist encoding in Redis
        args += ["%.6f" % rnd.uniform(-180, 180), "%.6f" % rnd.uniform(-85, 85), "p%d" % i]
    c.call("GEOADD", "big", *args)
    c.call("GEOADD", "small", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania",
           "0", "0", "\xff\x00binary")
    c.call("GEORADIUS", "small", "15", "37", "300", "km", "STOREDIST", "stored")


def _geo_state(c):
    return [c.call("ZRANGE", k, "0", "-1", "WITHSCORES") for k in ("big", "small", "stored")] + [
        c.call("GEOSEARCH", "big", "FROMLONLAT", "0", "0", "BYRADIUS", "3000", "km", "ASC", "WITHDIST", "WITHCOORD"),
        c.call("GEOPOS", "small", "Palermo", "\xff\x00binary")]


@pytest.mark.parametrize("dbfilename", ["dump.json", "dump.sqlite3"])
def test_geo_sets_survive_save_restart_and_debug_reload(start_pickledbd, dbfilename):
    srv = start_pickledbd("--dbfilename", dbfilename)
    with RawClient(srv.host, srv.port) as c:
        _geo_dataset(c)
        before = _geo_state(c)
        reloaded = c.call("DEBUG", "RELOAD")       # not every build has DEBUG RELOAD
        if reloaded[0] == "+":
            assert _geo_state(c) == before
        else:
            assert b"unknown subcommand" in reloaded[1]
        assert c.call("SAVE") == ("+", b"OK")
    srv.restart()
    with RawClient(srv.host, srv.port) as c:
        assert _geo_state(c) == before
        assert c.call("OBJECT", "ENCODING", "big") == ("$", b"skiplist")


def test_a_real_redis_replica_follows_geo_writes(start_pickledbd, replica_of):  # noqa: F811
    master = start_pickledbd()
    with RawClient(master.host, master.port) as c:
        c.call("GEOADD", "before", "1", "2", "sync")
        replica = replica_of(master)
        wait_in_sync(master, replica)
        _geo_dataset(c)
        c.call("GEOSEARCHSTORE", "stored2", "big", "FROMMEMBER", "p1", "BYBOX", "5000", "3000", "km", "COUNT", "5")
        wait_in_sync(master, replica)
        with RawClient(replica.host, replica.port) as rc:
            assert _geo_state(rc) == _geo_state(c)
            for k in ("before", "stored2"):
                assert rc.call("ZRANGE", k, "0", "-1", "WITHSCORES") == c.call("ZRANGE", k, "0", "-1", "WITHSCORES")


# ---------------------------------------------------------------- hostile input

def test_hostile_counts_radii_and_a_big_search_do_not_starve_others(pickledbd_server):
    """A world-wide search over 20k members is O(N) as in Redis (one pass, no quadratic sort);
    huge COUNTs allocate nothing up front; another client is served right after."""
    with RawClient(pickledbd_server.host, pickledbd_server.port) as c:
        c.call("FLUSHALL")
        rnd = random.Random(3)
        for start in range(0, 20000, 2000):
            args = []
            for i in range(start, start + 2000):
                args += ["%.5f" % rnd.uniform(-180, 180), "%.5f" % rnd.uniform(-85, 85), "h%d" % i]
            assert c.call("GEOADD", "world", *args) == (":", 2000)
        t0 = time.monotonic()
        kind, items = c.call("GEOSEARCH", "world", "FROMLONLAT", "0", "0", "BYRADIUS", "30000", "km",
                             "COUNT", "9223372036854775807", "DESC", "WITHDIST")
        assert kind == "*" and len(items) == 20000
        assert c.call("GEOSEARCH", "world", "FROMLONLAT", "0", "0", "BYRADIUS", "30000", "km", "COUNT", "5")[0] == "*"
        assert time.monotonic() - t0 < 30
        assert c.call("GEOSEARCH", "world", "FROMLONLAT", "0", "0", "BYRADIUS", "inf", "km", "COUNT", "3",
                      "ANY")[0] == "*"
        assert c.call("GEOSEARCH", "world", "FROMLONLAT", "0", "0", "BYBOX", "1e308", "1e308", "m", "COUNT",
                      "2", "ANY")[0] == "*"
        # a request of 50k option words parses in linear time
        words = ["WITHDIST", "ASC", "COUNT", "1"] * 12500
        assert c.call("GEOSEARCH", "world", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km", *words)[0] == "*"
        assert time.monotonic() - t0 < 40
        # while one client runs a big search, another's PING is answered right after it
        other = socket.create_connection((pickledbd_server.host, pickledbd_server.port), timeout=30)
        try:
            c.sock.sendall(b"*9\r\n$9\r\nGEOSEARCH\r\n$5\r\nworld\r\n$10\r\nFROMLONLAT\r\n$1\r\n0\r\n$1\r\n0\r\n"
                           b"$8\r\nBYRADIUS\r\n$5\r\n30000\r\n$2\r\nkm\r\n$3\r\nASC\r\n")
            other.sendall(b"PING\r\n")
            assert other.recv(100) == b"+PONG\r\n"
            assert len(c.read_reply()[1]) == 20000
        finally:
            other.close()
        assert c.call("DEL", "world") == (":", 1)
