"""DUMP / RESTORE / MIGRATE against a real redis-server 7.0 (the oracle), side by side.

- payloads Redis makes (every type, small and big encodings, LZF strings, intsets) restore here
  with the same content, and ours restore in Redis;
- hand-made payloads of the old encodings (zipmap, ziplist, quicklist 1) and corrupt ones are
  accepted or refused exactly as redis-server with ``sanitize-dump-payload yes`` does, and
  mutated payloads (a seeded fuzz) too;
- hostile input: forged lengths, LZF bombs, big payloads cost time and memory in proportion to
  the payload, not to what it claims; other clients keep being served;
- propagation (SYNC stream), keyspace events, OBJECT IDLETIME/FREQ, persistence (JSON and
  SQLite, a real Redis replica), MIGRATE between pickledbd and redis-server.
"""
from __future__ import annotations

import random
import socket
import struct
import threading
import time

import pytest
import redis
from diff_dump import (
    INVALID,
    VALID,
    intset,
    listpack,
    payload,
    rlen,
    rstr,
    ziplist,
    zipmap,
)
from repl_stream import capture, compare, show, streams_match
from servers import RedisServer, redis_server_binary, start_with_retry

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def pair(redis_server, pickledbd_server):
    r, p = redis_server.client(), pickledbd_server.client()
    r.config_set("sanitize-dump-payload", "yes")     # the validation pickledbd always does
    yield r, p
    r.config_set("sanitize-dump-payload", "no")
    r.close()
    p.close()


def content(c, key):
    t = c.type(key)
    if t == b"string":
        return t, c.get(key)
    if t == b"list":
        return t, c.lrange(key, 0, -1)
    if t == b"set":
        return t, sorted(c.smembers(key))
    if t == b"hash":
        return t, sorted(c.hgetall(key).items())
    if t == b"zset":
        return t, c.zrange(key, 0, -1, withscores=True)
    if t == b"stream":
        return t, c.execute_command("XINFO", "STREAM", key, "FULL")
    return t, None


def restore(c, key, data, *opts):
    try:
        c.delete(key)
        return c.execute_command("RESTORE", key, 0, data, *opts), content(c, key)
    except redis.ResponseError as e:
        return str(e), c.exists(key)


def fill(c):
    """Every type in its small and big encodings, as Redis 7.0 keeps them."""
    rnd = random.Random(7)
    c.flushall()
    c.set("s:short", "hello")
    c.set("s:int", "12345")
    c.set("s:bigint", "123456789012345")
    c.set("s:lzf", "abc" * 1000)                       # Redis writes it LZF-compressed
    c.set("s:bin", bytes(range(256)) * 4)
    c.set("s:rand", rnd.randbytes(5000))
    c.rpush("l:small", "a", "1", "-300", "70000", "x" * 70)
    c.rpush("l:big", *[str(i) * (i % 50) for i in range(1, 3000)])
    c.rpush("l:plain", "y" * 20000)                   # a PLAIN quicklist node
    c.sadd("i:small", 1, 2, 3, -5, 2**40)              # intset
    c.sadd("i:big", *range(1000))                      # past set-max-intset-entries
    c.sadd("set:small", "a", "b", "c")
    c.sadd("set:big", *[rnd.randbytes(8) for _ in range(500)])
    c.hset("h:small", mapping={"a": "1", "b": "2", "3": "x"})
    c.hset("h:big", mapping={str(i): "v" * i for i in range(300)})
    c.zadd("z:small", {"a": 1, "b": 2.5, "c": -3, "7": 1e300, "inf": float("inf")})
    c.zadd("z:big", {str(i) * 3: i / 3 for i in range(300)})
    return sorted(c.keys())


# ---- round trips --------------------------------------------------------------------------------
def test_redis_payloads_restore_here_and_ours_restore_in_redis(pair):
    r, p = pair
    keys = fill(r)
    p.flushall()
    encodings = set()
    for key in keys:
        encodings.add(r.object("encoding", key))
        assert p.restore(key, 0, r.dump(key)) in (True, b"OK")
        assert content(p, key) == content(r, key), key
        assert p.object("encoding", key) == r.object("encoding", key), key
    assert {b"listpack", b"quicklist", b"intset", b"hashtable", b"skiplist", b"int", b"raw",
            b"embstr"} <= encodings
    for key in keys:
        data = p.dump(key)
        assert r.restore(key + b":back", 0, data) in (True, b"OK")
        assert content(r, key + b":back") == content(r, key), key
    # integer-looking and short strings are written exactly as Redis writes them
    for key in (b"s:short", b"s:int", b"s:bigint"):
        assert p.dump(key) == r.dump(key)


def test_old_encodings_and_corrupt_payloads_as_redis_with_deep_sanitization(pair):
    r, p = pair
    cases = dict(VALID)
    cases.update(INVALID)
    cases.update({
        "zipmap_dup": payload(9, rstr(zipmap([(b"f", b"1"), (b"f", b"2")]))),
        "zipmap_count": payload(9, rstr(zipmap([(b"f", b"1")], count=3))),
        "zipmap_big": payload(9, rstr(zipmap([(b"f" * 300, b"v" * 70000)]))),
        "intset_order": payload(11, rstr(intset([2, 1]))),
        "intset_dup": payload(11, rstr(intset([1, 1]))),
        "intset_width": payload(11, rstr(intset([1, 2], width=3))),
        "intset_64": payload(11, rstr(intset([-2**63, 2**63 - 1]))),
        "zl_zset_odd": payload(12, rstr(ziplist([b"a", b"1", b"b"]))),
        "zl_zset_dup": payload(12, rstr(ziplist([b"a", b"1", b"a", b"2"]))),
        "zl_hash_dup": payload(13, rstr(ziplist([b"1", b"v", 1, b"w"]))),
        "zl_long": payload(10, rstr(ziplist([b"q" * 300, b"r" * 20000, -2**63, 2**63 - 1]))),
        "zl_tail": payload(10, rstr(ziplist([b"a", b"b"])[:4] + b"\x0a\x00\x00\x00" + ziplist([b"a", b"b"])[8:])),
        "ql_empty_node": payload(14, rlen(2) + rstr(ziplist([])) + rstr(ziplist([1]))),
        "ql_all_empty": payload(14, rlen(1) + rstr(ziplist([]))),
        "ql2_empty_blob": payload(18, rlen(1) + rlen(2) + rstr(b"")),
        "lp_hash_dup": payload(16, rstr(listpack([b"f", b"v", b"f", 12]))),
        "lp_hash_count": payload(16, rstr(listpack([b"f", b"v"], count=3))),
        "lp_hash_unknown_count": payload(16, rstr(listpack([b"f", b"v"], count=0xFFFF))),
        "lp_long": payload(17, rstr(listpack([b"m" * 5000, -4096, b"n" * 100, b"1.5", b"o", 2**62]))),
        "lp_zset_text_score": payload(17, rstr(listpack([b"m", b"abc", b"n", b"2e3x"]))),
        "hash_dup": payload(4, rlen(2) + rstr(b"a") + rstr(b"1") + rstr(b"a") + rstr(b"2")),
        "zset_text": payload(3, rlen(2) + rstr(b"a") + b"\x031.5" + rstr(b"b") + b"\x02zz"),
        "zset_nan": payload(3, rlen(1) + rstr(b"a") + b"\xfd"),
        "trailing": payload(0, rstr(b"abc") + b"junk"),
        "into_footer": payload(0, b"\x05ab"),
        "v9": payload(0, rstr(b"abc"), version=9),
    })
    for name, data in cases.items():
        assert restore(p, "k", data) == restore(r, "k", data), name


def _mutations(seed: int, n: int, types=None):
    rnd = random.Random(seed)
    seeds = [v[:-10] for v in VALID.values() if types is None or v[0] in types]
    for _ in range(n):
        d = bytearray(rnd.choice(seeds))
        for _ in range(rnd.randint(1, 3)):
            if not d:
                break
            i = rnd.randrange(len(d))
            op = rnd.random()
            if op < 0.6:
                d[i] = rnd.randrange(256)
            elif op < 0.8:
                del d[i:i + rnd.randint(1, 4)]
            else:
                d[i:i] = rnd.randbytes(rnd.randint(1, 4))
        yield payload(d[0], bytes(d[1:])) if d else payload(0, b"")


def test_mutated_payloads_are_accepted_or_refused_as_redis_does(pair):
    r, p = pair
    accepted = 0
    for data in _mutations(20261130, 600, types=set(range(19))):
        got = restore(p, "m", data)
        assert got == restore(r, "m", data), data
        accepted += got[0] in (True, b"OK")
    assert accepted > 50                 # the fuzz reaches valid objects too, not only errors


def test_mutated_stream_payloads_never_accepted_when_redis_refuses(pair):
    """Streams: what pickledbd accepts Redis accepts with the same content. pickledbd refuses
    more: IDs out of order, a length or last ID that does not match the entries (Redis 7.0
    trusts them and ends up with an inconsistent stream)."""
    r, p = pair
    accepted = 0
    for data in _mutations(7, 400, types={19}):
        got = restore(p, "m", data)
        theirs = restore(r, "m", data)
        if got[0] in (True, b"OK"):
            accepted += 1
            assert theirs == got, data
        else:
            assert got[0] == "Bad data format", got
    assert accepted > 10


# ---- errors, hostile input ------------------------------------------------------------------------
def test_a_bad_payload_changes_nothing(pair):
    r, p = pair
    for c in (r, p):
        c.set("keep", "v", px=100000)
        for data in INVALID.values():
            with pytest.raises(redis.ResponseError):
                c.restore("keep", 0, data, replace=True)
        assert c.get("keep") == b"v" and c.pttl("keep") > 90000


def _timed_restore(c, data):
    t = time.perf_counter()
    try:
        c.restore("h", 0, data, replace=True)
        out = "OK"
    except redis.ResponseError as e:
        out = str(e)
    return out, time.perf_counter() - t


def test_forged_lengths_cost_nothing(pickledbd_server):
    p = pickledbd_server.client()
    forged = [
        payload(1, b"\x81" + (2**64 - 1).to_bytes(8, "big") + rstr(b"a")),      # 2^64 elements
        payload(2, b"\x80\xff\xff\xff\xff" + rstr(b"a")),
        payload(0, b"\x81" + (2**62).to_bytes(8, "big") + b"x"),                 # a 4 EB string
        payload(0, b"\xc3" + rlen(4) + b"\x80\xff\xff\xff\xff" + b"\x03abcd"),   # LZF claims 4 GB
        payload(10, rstr(struct.pack("<IIH", 2**32 - 1, 10, 0xFFFF) + b"\xff")),
        payload(16, rstr(struct.pack("<IH", 2**32 - 1, 0xFFFF) + b"\xff")),
        payload(16, rstr(struct.pack("<IH", 12, 1) + b"\xf0\xff\xff\xff\xff\xff")),  # 4 GB entry
        payload(9, rstr(b"\x01\xfe\xff\xff\xff\x7fa\xff")),
        payload(11, rstr(struct.pack("<II", 8, 2**32 - 1))),
        payload(18, b"\x81" + (2**63).to_bytes(8, "big") + rlen(2)),
    ]
    for data in forged:
        out, dt = _timed_restore(p, data)
        assert out == "Bad data format" and dt < 0.5, (data, out, dt)
    assert p.exists("h") == 0


def test_an_lzf_bomb_is_bounded_by_its_size(pickledbd_server):
    """LZF expands at most ~88x: a claimed size beyond that is refused before decoding, and a
    real 8 MB expansion of a 100 KB payload is decoded at once."""
    p = pickledbd_server.client()
    # literal "a", then back references of 264 bytes: 3 bytes each
    run = b"\xe0\xff\x00"
    n = 30000
    body = b"\x00a" + run * n
    out_len = 1 + 264 * n
    data = payload(0, b"\xc3" + rlen(len(body)) + rlen(out_len) + body)
    out, dt = _timed_restore(p, data)
    assert out == "OK" and dt < 5, dt
    assert p.strlen("h") == out_len
    data = payload(0, b"\xc3" + rlen(len(body)) + rlen(out_len * 10) + body)
    out, dt = _timed_restore(p, data)
    assert out == "Bad data format" and dt < 0.5


def test_a_big_restore_does_not_starve_others_for_long(pickledbd_server):
    """A 4 MB payload of random bytes (the worst case: every non-UTF-8 byte is a surrogate in
    the daemon's str values, ~0.15 s per MB end to end on CPython): the work is linear in the
    payload and others wait for it only."""
    p = pickledbd_server.client()
    size = 4 << 20
    big = payload(0, rstr(random.Random(3).randbytes(size)))
    other = pickledbd_server.client()
    lat = []

    def ping():
        for _ in range(20):
            t = time.perf_counter()
            other.ping()
            lat.append(time.perf_counter() - t)
            time.sleep(0.01)

    th = threading.Thread(target=ping)
    th.start()
    out, dt = _timed_restore(p, big)
    th.join()
    assert out == "OK" and dt < 5, dt
    assert max(lat) < 5
    assert p.strlen("h") == size
    assert p.dump("h")[:-10].endswith(big[-1000 - 10:-10])
    p.delete("h")


# ---- propagation, events, access data -------------------------------------------------------------
def test_propagation_matches_redis(redis_server, pickledbd_server):
    s = VALID["string"]
    far = int(time.time() * 1000) + 10**8
    cmds = [("SET", "x", "1"), ("RESTORE", "k1", "0", s), ("RESTORE", "k2", "100000", VALID["list"]),
            ("RESTORE", "k3", str(far), s, "ABSTTL"), ("RESTORE", "k1", "1", s, "ABSTTL", "REPLACE"),
            ("RESTORE", "gone", "1", s, "ABSTTL"), ("RESTORE", "k4", "5000", s, "idletime", "10", "replace"),
            ("RESTORE", "k4", "0", s), ("RESTORE", "x", "0", INVALID["empty_list"], "REPLACE"),
            ("RESTORE", "wrap", "9223372036854775807", s), ("RESTORE", "x", "1", s, "ABSTTL", "REPLACE")]
    r, p = compare(redis_server, pickledbd_server, cmds, with_replies=True, relative_times=False)
    assert r[1] == p[1]
    assert streams_match(r[0], p[0]), show(r[0]) + "\n---\n" + show(p[0])
    assert any(c[0] == b"DEL" for c in p[0])


def test_keyspace_events_and_access_data(pair):
    r, p = pair
    s = VALID["string"]
    got = []
    for c in (r, p):
        c.flushall()
        c.config_set("notify-keyspace-events", "KEA")
        ps = c.pubsub()
        ps.psubscribe("__key*__:*")
        ps.get_message(timeout=1)
        c.set("k", "old")
        c.restore("k", 0, s, replace=True)
        c.restore("n", 0, s)
        c.restore("k", 1, s, replace=True, absttl=True)
        evs = []
        deadline = time.time() + 2
        while len(evs) < 8 and time.time() < deadline:
            m = ps.get_message(timeout=0.2)
            if m:
                evs.append((m["channel"], m["data"]))
        ps.close()
        c.config_set("notify-keyspace-events", "")
        c.restore("i", 0, s, idletime=1000)
        idle = c.object("idletime", "i")
        c.config_set("maxmemory-policy", "allkeys-lfu")
        try:
            c.restore("f", 0, s, frequency=200)
            c.restore("g", 0, s)
            freq = c.object("freq", "f"), c.object("freq", "g")
        finally:
            c.config_set("maxmemory-policy", "noeviction")
        got.append((evs, 1000 <= idle <= 1002, freq))
    assert got[0] == got[1]
    assert (b"__keyevent@0__:restore", b"n") in got[0][0]


# ---- persistence -------------------------------------------------------------------------------------
@pytest.mark.parametrize("dbfilename", ["dump.json", "dump.sqlite3"])
def test_restored_values_survive_save_and_restart(redis_server, start_pickledbd, dbfilename):
    r = redis_server.client()
    keys = fill(r)
    srv = start_pickledbd("--dbfilename", dbfilename)
    p = srv.client()
    for key in keys:
        p.restore(key, 0 if key != b"s:short" else 500000, r.dump(key))
    want = {k: content(r, k) for k in keys}
    assert {k: content(p, k) for k in keys} == want
    p.save()
    p.close()
    srv.restart()
    p = srv.client()
    assert {k: content(p, k) for k in keys} == want
    assert 400000 < p.pttl("s:short") <= 500000
    r.flushall()


def test_a_redis_replica_gets_restored_values(start_pickledbd, tmp_path_factory):
    if redis_server_binary() is None:
        pytest.skip("redis-server binary not found on PATH")
    master = start_pickledbd()
    m = master.client()
    for name, data in VALID.items():
        m.restore("before:" + name, 0, data)
    d = tmp_path_factory.mktemp("replica")
    replica = start_with_retry(lambda: RedisServer(d, extra_args=["--replicaof", master.host, str(master.port)]))
    try:
        rc = replica.client()
        for name, data in VALID.items():
            m.restore("after:" + name, 100000, data)
        deadline = time.time() + 20
        while time.time() < deadline and rc.dbsize() < 2 * len(VALID):
            time.sleep(0.05)
        assert rc.dbsize() == 2 * len(VALID)
        for key in m.keys():
            assert content(rc, key) == content(m, key), key
        assert 90000 < rc.pttl("after:string") <= 100000
    finally:
        replica.stop()


# ---- MIGRATE -------------------------------------------------------------------------------------------
def _migrate(src, *args):
    try:
        return src.execute_command("MIGRATE", *args)
    except redis.ResponseError as e:
        return "ERR:" + str(e)


def _migrate_script(src, dst, dport, host="127.0.0.1"):
    src.flushall()
    dst.flushall()
    d3 = redis.Redis(host=host, port=dport, db=3)
    src.set("a", "1")
    src.rpush("l", "x", "y")
    src.set("t", "v", px=100000)
    out = [_migrate(src, host, dport, "a", 0, 1000), (src.exists("a"), dst.get("a")),
           _migrate(src, host, dport, "nokey", 0, 1000)]
    src.set("a", "2")
    out += [_migrate(src, host, dport, "a", 0, 1000), (src.exists("a"), dst.get("a")),
            _migrate(src, host, dport, "", 3, 1000, "COPY", "REPLACE", "KEYS", "a", "l", "t", "zz"),
            (src.exists("a", "l", "t"), d3.get("a"), d3.lrange("l", 0, -1), 90000 < d3.pttl("t") <= 100000),
            _migrate(src, host, dport, "", 3, 1000, "KEYS", "a", "l"),
            _migrate(src, host, dport, "", 3, 1000, "AUTH", "pw", "KEYS", "a", "l"),
            _migrate(src, host, dport, "", 3, 1000, "AUTH2", "u", "pw", "KEYS", "a", "l"),
            _migrate(src, host, dport, "a", 99, 1000),
            _migrate(src, host, dport, "", 3, 1000, "REPLACE", "KEYS", "a", "l", "t"),
            (src.exists("a", "l", "t"), d3.get("a"), d3.lrange("l", 0, -1), 90000 < d3.pttl("t") <= 100000)]
    d3.close()
    return out


def test_migrate_both_ways_as_redis(redis_server, pickledbd_server):
    r, p = redis_server.client(), pickledbd_server.client()
    from_redis = _migrate_script(r, p, pickledbd_server.port)
    from_us = _migrate_script(p, r, redis_server.port)
    assert from_us == from_redis
    assert from_us[0] == b"OK" and from_us[2] == b"NOKEY"
    assert from_us[3].startswith("ERR:Target instance replied with error: BUSYKEY")


def test_migrate_with_auth_to_a_protected_target(redis_server, start_pickledbd):
    target = start_pickledbd()
    target.client().config_set("requirepass", "sesame")
    t = target.client(password="sesame")
    for src in (redis_server.client(), start_pickledbd().client()):
        src.set("a", "1")
        assert _migrate(src, "127.0.0.1", target.port, "a", 0, 1000).startswith(
            "ERR:Target instance replied with error: NOAUTH")
        assert src.exists("a") == 1
        assert _migrate(src, "127.0.0.1", target.port, "a", 0, 1000, "AUTH", "bad").startswith(
            "ERR:Target instance replied with error: WRONGPASS")
        assert _migrate(src, "127.0.0.1", target.port, "a", 0, 1000, "AUTH", "sesame") == b"OK"
        assert src.exists("a") == 0 and t.get("a") == b"1"
        t.delete("a")


def test_migrate_propagates_del_of_acknowledged_keys(redis_server, pickledbd_server, start_pickledbd):
    target = start_pickledbd()
    tc = target.client()
    cmds_for = lambda: [("SET", "a", "1"), ("SET", "b", "2"), ("SET", "c", "3"),
                        lambda c: tc.set("b", "busy"),
                        ("MIGRATE", "127.0.0.1", str(target.port), "", "0", "1000", "KEYS", "a", "b", "zz"),
                        ("MIGRATE", "127.0.0.1", str(target.port), "c", "0", "1000", "COPY")]
    tc.flushall()
    rs, rr = capture(redis_server, cmds_for(), with_replies=True, relative_times=False)
    tc.flushall()
    ps, pr = capture(pickledbd_server, cmds_for(), with_replies=True, relative_times=False)
    assert rr == pr
    assert streams_match(rs, ps), show(rs) + "\n---\n" + show(ps)
    assert [b"DEL", b"a"] in ps


def _silent_listener():
    """A socket that accepts and never answers: MIGRATE must give up after its timeout."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    return srv


def test_migrate_to_a_silent_target_times_out_and_blocks_only_that_long(pair, pickledbd_server):
    r, p = pair
    lst = _silent_listener()
    try:
        port = lst.getsockname()[1]
        for c in (r, p):
            c.set("a", "1")
            t = time.perf_counter()
            assert _migrate(c, "127.0.0.1", port, "a", 0, 300) == \
                "ERR:IOERR error or timeout reading to target instance"
            dt = time.perf_counter() - t
            assert 0.25 < dt < 2.0, dt
            assert c.get("a") == b"1"
    finally:
        lst.close()


def test_migrate_to_a_target_that_closes(pair):
    r, p = pair
    lst = _silent_listener()
    stop = threading.Event()

    def closer():
        lst.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = lst.accept()
            except OSError:
                continue
            conn.close()

    th = threading.Thread(target=closer)
    th.start()
    try:
        port = lst.getsockname()[1]
        got = []
        for c in (r, p):
            c.set("a", "1")
            got.append((_migrate(c, "127.0.0.1", port, "a", 0, 1000), c.get("a")))
        assert got[0] == got[1]
        assert got[0][0].startswith("ERR:IOERR error or timeout")
    finally:
        stop.set()
        th.join()
        lst.close()


# ---- streams ------------------------------------------------------------------------------------------
def _fill_stream(c, key="s"):
    c.delete(key)
    for i in range(1, 251):
        fields = {"f": i, "g": "x" * (i % 7)} if i % 5 else {"other": "v", "n": -i}
        c.xadd(key, fields, id="%d-%d" % (1000 + i // 3, i % 3))
    c.xdel(key, "1001-0", "1010-1", "1083-1")
    c.xgroup_create(key, "g1", id="0")
    c.xgroup_create(key, "g2", id="$")
    c.execute_command("XGROUP", "CREATE", key, "g3", "1010-0", "ENTRIESREAD", "20")
    c.xreadgroup("g1", "alice", {key: ">"}, count=3)
    c.xreadgroup("g1", "bob", {key: ">"}, count=2)
    c.xgroup_createconsumer(key, "g1", "carol")
    c.xack(key, "g1", "1000-2")


def _stream_views(c, key):
    info = c.execute_command("XINFO", "STREAM", key)
    return (info, c.execute_command("XINFO", "STREAM", key, "FULL"), c.xinfo_groups(key),
            c.xrange(key), c.xlen(key))


def test_streams_restore_both_ways_with_groups_pels_and_tombstones(pair):
    r, p = pair
    _fill_stream(r)
    r.delete("empty", "setid")
    r.xadd("empty", {"a": "1"})
    r.xtrim("empty", maxlen=0)
    r.xadd("setid", {"k": "v"}, id="5-5")
    r.execute_command("XSETID", "setid", "10-0", "ENTRIESADDED", "7", "MAXDELETEDID", "6-0")
    for key in ("s", "empty", "setid"):
        data = r.dump(key)
        assert data[0] == 19                                    # STREAM_LISTPACKS_2
        p.delete(key)
        assert p.restore(key, 0, data) in (True, b"OK")
        assert _stream_views(p, key) == _stream_views(r, key), key
        back = p.dump(key)
        assert back[0] == 19
        r.restore(key + ":back", 0, back, replace=True)
        # the same radix tree too (nodes follow the stream's own layout); tombstones are not
        # written, so the deleted entries only leave max-deleted-entry-id behind
        assert _stream_views(r, key + ":back") == _stream_views(r, key), key
    # the stream works on after a restore (delivery and seen times differ: not compared)
    got = []
    for c in (r, p):
        c.xadd("s", {"new": "1"}, id="2000-0")
        got.append((c.xreadgroup("g1", "dave", {"s": ">"}, count=2), c.execute_command("XINFO", "STREAM", "s"),
                    c.execute_command("XPENDING", "s", "g1"), c.xinfo_groups("s")))
    assert got[0] == got[1]


def _stream_v1(s) -> bytes:
    """STREAM_LISTPACKS (15, Redis 5/6): no first ID, max deleted ID, entries added or
    entries read."""
    from pickledbd.daemon.keyspace.stream import id_bytes, id_parts
    from pickledbd.daemon.persistence import rdb
    nodes = [(s.ids[0], list(s.items()))]
    out = [rdb._len(1), rdb._str(id_bytes(nodes[0][0])), rdb._str(rdb._stream_node(*nodes[0]))]
    out += [rdb._len(len(s)), *map(rdb._len, id_parts(s.last_id))]
    out.append(rdb._len(len(s.groups)))
    for name in s.group_names():
        g = s.groups[name]
        out += [rdb._str(name.encode()), *map(rdb._len, id_parts(g.last_id)),
                rdb._len(len(g.pel))]
        for i, nack in g.pel.items():
            out += [id_bytes(i), rdb._MS(nack.delivery_time), rdb._len(nack.delivery_count)]
        out.append(rdb._len(len(g.consumers)))
        for cname in sorted(g.consumers):
            cons = g.consumers[cname]
            out += [rdb._str(cname.encode()), rdb._MS(cons.seen_time), rdb._len(len(cons.pel))]
            out += [id_bytes(i) for i in cons.pel]
    return payload(15, b"".join(out))


def test_old_stream_format_loads_as_redis_does(pair):
    from diff_dump import sample_stream
    r, p = pair
    data = _stream_v1(sample_stream())
    for c in (r, p):
        c.delete("old")
        assert c.restore("old", 0, data) in (True, b"OK")
    assert _stream_views(p, "old") == _stream_views(r, "old")
    assert p.dump("old")[0] == 19


def test_streams_survive_save_and_restart(start_pickledbd, redis_server):
    r = redis_server.client()
    _fill_stream(r)
    srv = start_pickledbd("--dbfilename", "dump.sqlite3")
    p = srv.client()
    p.restore("s", 0, r.dump("s"))
    want = _stream_views(r, "s")
    p.save()
    p.close()
    srv.restart()
    assert _stream_views(srv.client(), "s") == want


def test_restore_wakes_blocked_clients_as_redis(pair):
    """dbAdd signals the key as ready: BLPOP and XREAD BLOCK are served by a RESTORE."""
    got = []
    for c in pair:
        port = c.connection_pool.connection_kwargs["port"]
        c.delete("bl", "bs")
        res = {}
        def blpop(res=res, port=port):
            res["l"] = redis.Redis(port=port).blpop("bl", timeout=5)

        def xread(res=res, port=port):
            res["x"] = redis.Redis(port=port).xread({"bs": "$"}, block=5000)

        waiters = [threading.Thread(target=blpop), threading.Thread(target=xread)]
        for t in waiters:
            t.start()
        deadline = time.time() + 5
        while int(c.info("clients")["blocked_clients"]) < 2 and time.time() < deadline:
            time.sleep(0.02)
        c.restore("bl", 0, VALID["list"])
        c.restore("bs", 0, VALID["stream"])
        for t in waiters:
            t.join(10)
        got.append((res, c.lrange("bl", 0, -1)))
    assert got[0] == got[1]
    assert got[0][0]["l"] == (b"bl", b"a") and got[0][0]["x"]


def test_idletime_wraps_like_redis_24_bit_lru_clock(pair):
    """RESTORE ... IDLETIME n then OBJECT IDLETIME: Redis's LRU clock is 24 bits of seconds, so
    big idle times wrap (objectSetLRUOrLFU, estimateObjectIdleTime)."""
    s = VALID["string"]
    want = {1000: 1000, 16777215: 0, 16777216: 1, 16777300: 85, 10**9: 10144256,
            50331648: 1, 10**8: 16113920}
    for c in pair:
        for idle, expect in want.items():
            c.restore("idle", 0, s, replace=True, idletime=idle)
            assert c.object("idletime", "idle") in (expect, expect + 1), (c, idle)
