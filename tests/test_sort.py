"""SORT / SORT_RO against real processes: replies side by side with redis-server (RESP2 and
RESP3), keyspace events, propagation, waking BLPOP, persistence of a STORE result, and what
one client's huge or hostile SORT does to the others. protocol/sort.t holds the wire
contract; tests/diff_sort.py the generated differential."""
from __future__ import annotations

import random
import threading
import time

import pytest
import redis

import keyspace_events
import repl_stream
import servers


@pytest.fixture
def pair(redis_server, pickledbd_server):
    r, p = redis_server.client(), pickledbd_server.client()
    for c in (r, p):
        c.flushall()
    yield r, p
    r.close()
    p.close()


def both(pair, *args):
    out = []
    for c in pair:
        try:
            out.append(c.execute_command(*args))
        except redis.ResponseError as e:
            out.append(("error", str(e)))
    assert out[0] == out[1], (args, out)
    return out[0]


def test_random_lists_and_sets_sort_the_same(pair):
    """Numeric and ALPHA orders, ties included (duplicates, equal weights, NUL-truncated
    ALPHA ties), BY / GET patterns, LIMIT, DESC, STORE: byte-identical to redis-server."""
    rnd = random.Random(7)
    alphabet = ["1", "2", "10", "-1", "1.5", "01", "a", "b", "B", "", "\x00x", "\x00a", "inf",
                "-inf", "3e2", "7"]
    for el in alphabet:
        w, f = rnd.choice(["1", "2", "2", "-3", "0.5"]), rnd.choice(["b", "a", "a", "c"])
        for c in pair:
            c.set("w_" + el, w)
            c.hset("h_" + el, "f", f)
    for round_ in range(40):
        items = [rnd.choice(alphabet) for _ in range(rnd.randrange(0, 12))]
        for c in pair:
            c.delete("l", "s")
            if items:
                c.rpush("l", *items)
            # ALPHA ties (strcoll stops at a NUL) would leave a set's hash order: not in sets
            members = [x for x in items if "\x00" not in x]
            if members:
                c.sadd("s", *members)
        numeric = [x for x in items if x not in ("a", "b", "B", "", "\x00x", "\x00a")]
        for key in ("l", "s"):
            opts = []
            if rnd.random() < 0.5:
                opts += ["LIMIT", str(rnd.randrange(-2, 6)), str(rnd.randrange(-2, 6))]
            if rnd.random() < 0.5:
                opts += ["DESC"]
            gets = rnd.sample(["GET", "#", "GET", "w_*", "GET", "h_*->f"][::2], rnd.randrange(0, 3))
            get_opts = []
            for g in gets:
                get_opts += ["GET", {"GET": "#"}.get(g, g)]
            both(pair, "SORT", key, "ALPHA", *opts, *get_opts)
            both(pair, "SORT", key, "BY", "w_*", *opts, *get_opts)
            both(pair, "SORT", key, "ALPHA", *opts, "STORE", "dst")
            both(pair, "LRANGE", "dst", 0, -1)
            if key == "l":
                both(pair, "SORT", key, "BY", "h_*->f", "ALPHA", *opts)
                both(pair, "SORT", key, "BY", "nosort", *opts)
            if numeric == items:
                both(pair, "SORT", key, *opts, *get_opts)


def test_resp3_replies(redis_server, pickledbd_server):
    r = redis_server.client(protocol=3)
    p = pickledbd_server.client(protocol=3)
    pair = (r, p)
    for c in pair:
        c.flushall()
        c.rpush("l", 3, 1, 2)
        c.set("w_1", "x")
    assert both(pair, "SORT", "l", "GET", "#", "GET", "w_*") == [b"1", b"x", b"2", None, b"3", None]
    both(pair, "SORT", "l", "BY", "w_*")
    both(pair, "SORT_RO", "nokey")
    both(pair, "SORT", "l", "STORE", "d")


def test_keyspace_events(redis_server, pickledbd_server):
    setup = [["RPUSH", "l", "2", "1"], ["SET", "dst3", "x"]]
    cmds = [["SORT", "l", "STORE", "dst"], ["SORT", "l", "STORE", "dst"],
            ["SORT", "nokey", "STORE", "dst"], ["SORT", "nokey", "STORE", "dst"],
            ["SORT", "l", "BY", "w_*", "GET", "g_*"], ["SORT", "nokey"],
            ["SORT", "l", "STORE", "dst3"]]
    expected = keyspace_events.capture(redis_server, cmds, setup=setup)
    actual = keyspace_events.capture(pickledbd_server, cmds, setup=setup)
    assert actual == expected


def test_propagation(redis_server, pickledbd_server):
    """SORT ... STORE propagates as sent; SORT without STORE, and a STORE of nothing onto
    nothing, propagate nothing; an empty result deleting the destination propagates."""
    cmds = [("RPUSH", "l", "3", "1", "2"), ("SORT", "l"), ("SORT", "l", "STORE", "d"),
            ("SORT", "l", "BY", "nosort", "GET", "#", "STORE", "d"), ("SORT", "nokey", "STORE", "e"),
            ("SORT", "nokey", "STORE", "d"), ("SORT_RO", "l", "DESC")]
    r, p = repl_stream.compare(redis_server, pickledbd_server, cmds)
    assert repl_stream.streams_match(r, p), (repl_stream.show(r), repl_stream.show(p))


def test_store_wakes_blpop(pair):
    r, p = pair
    for c in (r, p):
        c.rpush("src", "b", "a")
    results = {}

    def waiter(name, client):
        results[name] = client.blpop("dst", timeout=5)

    threads = []
    for name, c in (("redis", r), ("pickledbd", p)):
        blocked = redis.Redis(connection_pool=redis.ConnectionPool(**c.connection_pool.connection_kwargs))
        t = threading.Thread(target=waiter, args=(name, blocked))
        t.start()
        threads.append(t)
    time.sleep(0.3)
    for c in (r, p):
        assert c.sort("src", alpha=True, store="dst") == 2
    for t in threads:
        t.join(10)
    assert results["redis"] == results["pickledbd"] == (b"dst", b"a")
    assert r.lrange("dst", 0, -1) == p.lrange("dst", 0, -1) == [b"b"]


def test_stats_hits_and_misses(pair):
    """The sorted key and every BY / GET lookup count as keyspace hits or misses."""
    for c in pair:
        c.rpush("l", 1, 2, 3)
        c.set("w_1", 5)
        c.config_resetstat()
        c.sort("l", by="w_*", get=["#", "g_*"])
        c.sort("nokey")
    stats = [(c.info("stats")["keyspace_hits"], c.info("stats")["keyspace_misses"]) for c in pair]
    assert stats[0] == stats[1]


@pytest.mark.parametrize("dbfilename", ["dump.json", "dump.sqlite3"])
def test_store_result_survives_save_and_restart(tmp_path, dbfilename):
    srv = servers.start_with_retry(lambda: servers.PickledbdServer(tmp_path, dbfilename=dbfilename))
    try:
        r = srv.client()
        r.rpush("l", "b\xff", "a", "c")
        assert r.sort("l", alpha=True, store="dst") == 3
        assert r.save()
        srv.restart()
        r = srv.client()
        assert r.lrange("dst", 0, -1) == [b"a", b"b\xc3\xbf", b"c"]
        assert r.type("dst") == b"list"
        assert r.sort("dst", alpha=True, desc=True) == [b"c", b"b\xc3\xbf", b"a"]
    finally:
        srv.stop()


def test_a_redis_replica_gets_the_store(tmp_path, start_pickledbd):
    """A real redis-server replica of pickledbd loads a stored SORT result and follows the
    next SORT ... STORE (sorting on the replica gives the same again)."""
    if servers.redis_server_binary() is None:
        pytest.skip("redis-server binary not found on PATH")
    master = start_pickledbd()
    m = master.client()
    m.rpush("l", 3, 1, 2)
    m.sort("l", store="dst")
    replica = servers.start_with_retry(lambda: servers.RedisServer(
        tmp_path, extra_args=["--replicaof", master.host, str(master.port)]))
    try:
        rep = replica.client()
        m.sort("l", desc=True, store="dst2")
        deadline = time.monotonic() + 15
        while rep.lrange("dst2", 0, -1) != [b"3", b"2", b"1"]:
            assert time.monotonic() < deadline, rep.lrange("dst2", 0, -1)
            time.sleep(0.05)
        assert rep.lrange("dst", 0, -1) == [b"1", b"2", b"3"]
    finally:
        replica.stop()


# ---- hostile ------------------------------------------------------------------------------
def test_huge_limits_and_many_gets(pair):
    """LIMIT at the long extremes is clamped to the key's size (no huge allocation); a GET
    list as long as the request only multiplies the reply by the GETs given."""
    for c in pair:
        c.rpush("l", *range(100))
    both(pair, "SORT", "l", "LIMIT", "9223372036854775807", "9223372036854775807")
    both(pair, "SORT", "l", "LIMIT", "-9223372036854775808", "9223372036854775807")
    both(pair, "SORT", "l", "LIMIT", "5", "-9223372036854775808")
    both(pair, "SORT", "l", "LIMIT", "98", "9223372036854775807", "DESC")
    both(pair, "SORT", "l", "BY", "nosort", "LIMIT", "9223372036854775806", "9223372036854775807")
    both(pair, "SORT", "l", "LIMIT", "1", "9223372036854775808")
    gets = ["GET", "#"] * 500
    assert len(both(pair, "SORT", "l", "LIMIT", 0, 3, *gets)) == 1500


def test_big_sort_is_bounded_and_others_are_served(pickledbd_server):
    """Sorting 200k elements BY a pattern is one command of bounded time (O(n log n) in C
    speed sorts); a PING from another client waits for it only."""
    r = pickledbd_server.client()
    r.flushall()
    n = 200_000
    pipe = r.pipeline(transaction=False)
    for i in range(0, n, 10_000):
        pipe.rpush("big", *[str((j * 7919) % n) for j in range(i, i + 10_000)])
    pipe.execute()
    other = pickledbd_server.client()
    t = time.monotonic()
    assert r.sort("big", start=0, num=3) == [b"0", b"1", b"2"]
    assert r.sort("big", alpha=True, desc=True, start=0, num=1) == [b"99999"]
    assert r.sort("big", by="nosort", store="copy") == n
    took = time.monotonic() - t
    assert took < 20
    assert other.ping()
    r.delete("big", "copy")


def test_wrong_types_and_syntax(pair):
    for c in pair:
        c.set("s", "x")
        c.hset("h", "f", "v")
        c.rpush("l", 1)
    for args in (("SORT", "s"), ("SORT", "h"), ("SORT", "l", "STORE", "d", "FOO"), ("SORT_RO", "l", "STORE", "d"),
                 ("SORT", "l", "LIMIT", "a", "b"), ("SORT", "l", "LIMIT", "1"), ("SORT",), ("SORT_RO",),
                 ("SORT", "l", "BY", "w_*", "GET"), ("SORT", "s", "LIMIT", "x", "1")):
        both(pair, *args)
