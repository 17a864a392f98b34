"""Replication, master side: SYNC/PSYNC, the propagation stream, replicas and their limits.

The proof that the stream is right: a real redis-server 7.0 started with ``--replicaof`` our
port loads our dataset and follows hundreds of writes, key for key. The propagation rules are
compared stream against stream with redis-server's own replication stream
(tests/repl_stream.py), including the headline per-command rewrites Redis does (SET EX ->
SET PXAT, SPOP -> SREM, ...) in REWRITES.
"""
from __future__ import annotations

import os
import random
import re
import shutil
import socket
import subprocess
import threading
import time
from contextlib import contextmanager

import pytest

from diff_resp import RawClient, encode_command
from repl_stream import ReplStream, capture, compare, show, streams_match
from servers import RedisServer, ci_enabled, redis_server_binary, start_with_retry

pytestmark = pytest.mark.timeout(300)

HOST = "127.0.0.1"


def now_ms() -> int:
    return int(time.time() * 1000)


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.02, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(interval)


def info(server, section: str = "replication") -> dict:
    with RawClient(server.host, server.port) as c:
        text = c.call("INFO", section)[1].decode()
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


@pytest.fixture(scope="module")
def redis_ref(tmp_path_factory):
    """The reference redis-server, with DEBUG enabled (to switch off its active expiry)."""
    if redis_server_binary() is None:
        if ci_enabled():
            pytest.fail("redis-server binary not found on PATH (CI is set)", pytrace=False)
        pytest.skip("redis-server binary not found on PATH")
    d = tmp_path_factory.mktemp("redis-ref")
    srv = start_with_retry(lambda: RedisServer(d, extra_args=["--enable-debug-command", "yes"]))
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def both(redis_ref, pickledbd_server):
    for srv in (redis_ref, pickledbd_server):
        with RawClient(srv.host, srv.port) as c:
            c.call("FLUSHALL")
    return redis_ref, pickledbd_server


def set_pxat(key: str, ms_from_now: int):
    """SET key 1 PXAT <now + ms>, the time taken when it runs (PXAT propagates as is)."""
    return lambda c: c.call("SET", key, "1", "PXAT", str(now_ms() + ms_from_now))


def assert_same(r, p):
    assert streams_match(r, p), "redis:\n%s\n--- pickledbd:\n%s" % (show(r), show(p))


# ---------------------------------------------------------------------- propagation rules
RULES = {
    "nothing changed, nothing propagated": [
        ("DEL", "missing"), ("SET", "k", "1"), ("SET", "k", "2", "NX"), ("EXPIRE", "missing", "10"),
        ("SET", "missing2", "3", "XX"), ("LPUSHX", "nolist", "a"), ("SREM", "noset", "a"),
        ("HDEL", "k2", "f"), ("GETEX", "k"), ("PERSIST", "k")],
    "SELECT on every db change": [
        ("SET", "x", "1"), ("SELECT", "2"), ("SET", "x", "2"), ("SET", "y", "2"), ("SELECT", "0"),
        ("SET", "y", "1"), ("SELECT", "15"), ("DEL", "x")],
    "MULTI/EXEC with several writes": [
        ("MULTI",), ("SET", "m1", "1"), ("GET", "m1"), ("INCR", "m2"), ("EXEC",)],
    "MULTI/EXEC with one write: the bare command": [
        ("MULTI",), ("INCR", "m3"), ("GET", "m3"), ("EXEC",)],
    "MULTI/EXEC with reads only: nothing": [("MULTI",), ("GET", "m3"), ("EXEC",)],
    "EXEC spanning SELECTs": [
        ("MULTI",), ("SET", "s1", "1"), ("SELECT", "5"), ("SET", "s2", "2"), ("SELECT", "6"),
        ("DEL", "nope"), ("EXEC",), ("SET", "s3", "3")],
    "EXEC whose failing command drops out": [
        ("SET", "str", "x"), ("MULTI",), ("LPUSH", "str", "a"), ("SET", "q", "1"), ("EXEC",),
        ("MULTI",), ("LPUSH", "str", "a"), ("SET", "q", "2"), ("SET", "q2", "2"), ("EXEC",)],
    "FLUSHDB / FLUSHALL on empty dbs": [("SELECT", "9"), ("FLUSHDB",), ("FLUSHALL",)],
    "DISCARD: nothing": [("MULTI",), ("SET", "d", "1"), ("DISCARD",)],
    "EXECABORT: nothing": [("MULTI",), ("SET", "d", "1"), ("NOSUCHCMD",), ("EXEC",)],
    "WATCH failure: only the other client's write": [
        ("WATCH", "w"), lambda c: RawClient(*c.sock.getpeername()).call("SET", "w", "x"),
        ("MULTI",), ("SET", "w2", "1"), ("EXEC",)],
    "writes of every family": [
        ("RPUSH", "l", "a", "b", "c"), ("LPOP", "l"), ("LINSERT", "l", "BEFORE", "c", "x"),
        ("LREM", "l", "0", "zz"), ("HSET", "h", "f", "1", "g", "2"), ("HINCRBY", "h", "f", "2"),
        ("HDEL", "h", "f", "g"), ("SADD", "s", "a", "b"), ("SREM", "s", "a"), ("SMOVE", "s", "t", "b"),
        ("ZADD", "z", "1", "a", "2", "b"), ("ZINCRBY", "z", "2", "a"), ("ZPOPMIN", "z"),
        ("MSET", "a", "1", "b", "2"), ("RENAME", "a", "a2"), ("COPY", "a2", "a3"), ("MOVE", "a3", "4"),
        ("APPEND", "b", "x"), ("SETRANGE", "b", "3", "y"), ("SINTERSTORE", "dst", "nokey"),
        ("ZUNIONSTORE", "zd", "1", "z"), ("SWAPDB", "0", "1"), ("UNLINK", "a2", "b"),
        ("RPOPLPUSH", "l", "l2"), ("LMOVE", "l", "l2", "LEFT", "RIGHT"), ("FLUSHDB", "ASYNC")],
    "binary keys and values": [
        ("SET", b"k\xff\x00\r\n", b"\x80v\r\n"), ("RPUSH", b"\xfe", b"", b"\x00"),
        ("HSET", b"h\xc3", b"f\xff", b"\xff")],
}


@pytest.mark.parametrize("name", list(RULES))
def test_propagation_rules_match_redis(both, name):
    r, p = compare(*both, RULES[name])
    assert_same(r, p)


def test_first_command_after_sync_selects_its_db(both):
    """After a full sync the stream starts with SELECT, whatever the db."""
    for db in ("0", "3"):
        r, p = compare(*both, [("SELECT", db), ("SET", "k", db)])
        assert r[0] == [b"SELECT", db.encode()]
        assert_same(r, p)


@contextmanager
def lazy_expiry_only(redis, pickledbd):
    """No active expiry on redis (DEBUG SET-ACTIVE-EXPIRE 0); pickledbd's cron at 1 Hz, and a
    capture right after one of its expiry cycles: a key expiring now is met lazily."""
    with RawClient(redis.host, redis.port) as rc, RawClient(pickledbd.host, pickledbd.port) as pc:
        rc.call("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        pc.call("CONFIG", "SET", "hz", "1")
        time.sleep(0.15)           # the cron's current 1/10 s sleep ends

        def after_expiry_cycle():
            before = int(info(pickledbd, "stats")["expired_keys"])
            pc.call("SET", "__tick__", "1", "PX", "1")
            wait_for(lambda: int(info(pickledbd, "stats")["expired_keys"]) > before, timeout=5,
                     interval=0.005, what="an expiry cycle")
        try:
            yield after_expiry_cycle
        finally:
            rc.call("DEBUG", "SET-ACTIVE-EXPIRE", "1")
            pc.call("CONFIG", "SET", "hz", "10")


LAZY = {
    "GET of an expired key: DEL": [set_pxat("e", 20), 0.06, ("GET", "e")],
    "a write meeting an expired key: MULTI DEL SET EXEC": [set_pxat("e", 20), 0.06, ("SET", "e", "2")],
    "EXEC meeting an expired key: DEL inside the unit": [
        set_pxat("e", 20), 0.06, ("MULTI",), ("GET", "e"), ("SET", "z", "1"), ("EXEC",)],
    "EXISTS of an expired key in another db": [
        ("SELECT", "3"), set_pxat("e", 20), ("SELECT", "0"), ("SET", "x", "1"), 0.06,
        ("SELECT", "3"), ("EXISTS", "e")],
}


# SET does not look its key up (the strings family): Redis's lookupKeyWrite expires it first


@pytest.mark.parametrize("name", list(LAZY))
def test_lazy_expiry_propagates_del(both, name):
    redis, pickledbd = both
    with lazy_expiry_only(redis, pickledbd) as sync_to_cycle:
        r = capture(redis, LAZY[name])
        sync_to_cycle()
        p = capture(pickledbd, LAZY[name])
    assert_same(r, p)
    assert [b"DEL", b"e"] in r


def test_active_expiry_propagates_dels(both):
    cmds = [set_pxat("a1", 30), set_pxat("a2", 30), 1.5]
    r, p = compare(*both, cmds)
    assert sorted(r[3:]) == sorted(p[3:]) == [[b"DEL", b"a1"], [b"DEL", b"a2"]], (show(r), show(p))
    assert_same(r[:3], p[:3])


# Rewrites Redis 7.0 does at the write sites of the command families (each family's own
# test file compares every command; these are the headline ones, end to end).
REWRITES = {
    "SET EX -> SET PXAT": [("SET", "k", "v", "EX", "100")],
    "SET PX -> SET PXAT": [("SET", "k", "v", "PX", "100000")],
    "SET EXAT -> SET PXAT": [lambda c: c.call("SET", "k", "v", "EXAT", str(int(time.time()) + 100))],
    "SETEX -> SET PXAT": [("SETEX", "k", "100", "v")],
    "PSETEX -> SET PXAT": [("PSETEX", "k", "100000", "v")],
    "SET GET -> SET": [("SET", "k", "v"), ("SET", "k", "w", "GET")],
    "GETSET -> SET": [("GETSET", "k", "v")],
    "GETEX EX -> PEXPIREAT": [("SET", "k", "v"), ("GETEX", "k", "EX", "100")],
    "GETEX PERSIST -> PERSIST": [("SET", "k", "v", "PXAT", "9999999999999"), ("GETEX", "k", "PERSIST")],
    "GETDEL -> DEL": [("SET", "k", "v"), ("GETDEL", "k")],
    "EXPIRE -> PEXPIREAT": [("SET", "k", "v"), ("EXPIRE", "k", "100")],
    "PEXPIRE -> PEXPIREAT": [("SET", "k", "v"), ("PEXPIRE", "k", "100000")],
    "EXPIREAT -> PEXPIREAT": [("SET", "k", "v"), lambda c: c.call("EXPIREAT", "k", str(int(time.time()) + 100))],
    "EXPIRE in the past -> DEL": [("SET", "k", "v"), ("EXPIRE", "k", "-1")],
    "INCRBYFLOAT -> SET KEEPTTL": [("INCRBYFLOAT", "k", "1.5")],
    "HINCRBYFLOAT -> HSET": [("HINCRBYFLOAT", "h", "f", "1.5")],
    "SPOP -> SREM": [("SADD", "s", "a"), ("SPOP", "s")],
    "SPOP count -> MULTI SREM.. EXEC": [("SADD", "s", "a", "b", "c"), ("SPOP", "s", "2")],
    "SPOP count >= size -> DEL": [("SADD", "s", "a", "b"), ("SPOP", "s", "5")],
    "BLPOP (ready) -> LPOP": [("RPUSH", "l", "a"), ("BLPOP", "l", "1")],
    "BLMOVE (ready) -> LMOVE": [("RPUSH", "l", "a"), ("BLMOVE", "l", "m", "LEFT", "LEFT", "1")],
    "BRPOPLPUSH (ready) -> RPOPLPUSH": [("RPUSH", "l", "a"), ("BRPOPLPUSH", "l", "m", "1")],
    "BZPOPMIN (ready) -> ZPOPMIN": [("ZADD", "z", "1", "a"), ("BZPOPMIN", "z", "1")],
    "LMPOP -> LPOP count": [("RPUSH", "l", "a"), ("LMPOP", "1", "l", "LEFT")],
    "ZMPOP -> ZPOPMIN count": [("ZADD", "z", "1", "a"), ("ZMPOP", "1", "z", "MIN")],
}


@pytest.mark.parametrize("name", list(REWRITES))
def test_command_rewrites_match_redis(both, name):
    r, p = compare(*both, REWRITES[name])
    assert_same(popped_any(r), popped_any(p))


def popped_any(stream):
    """SPOP picks at random: which members its SREMs name is not compared."""
    return [cmd[:2] + [b"<member>"] if cmd[0] == b"SREM" else cmd for cmd in stream]


# ---------------------------------------------------------------------- a real replica
def fill(c, rnd: random.Random) -> None:
    """Several dbs, every type, binary keys and values, TTLs (RawClient ``c``)."""
    reqs = []
    for db in (0, 1, 5, 15):
        reqs.append(["SELECT", str(db)])
        for i in range(40):
            reqs.append(["SET", "str:%d" % i, "v%d" % rnd.randrange(10 ** 6)])
        reqs += [["SET", b"bin:\xff\x00\r\n", b"\x80\x81\x00value\r\n"], ["SET", "int", "12345"],
                 ["SET", "neg", "-7"], ["SET", "big", "x" * 70000],
                 ["RPUSH", "list", *("e%d" % i for i in range(300))], ["RPUSH", b"l\xfe", b"\x00", b""],
                 ["HSET", "hash", *[x for i in range(200) for x in ("f%d" % i, str(i))]],
                 ["HSET", b"h\xc3", b"\xff", b"\xfe"], ["SADD", "set", *map(str, range(600))],
                 ["SADD", "smallset", "a", "b", b"\xff"], ["SADD", "intset", "1", "2", "-3"],
                 ["ZADD", "zset", "1.5", "a", "-inf", "b", "inf", "c", "0", b"\xff"],
                 ["ZADD", "bigz", *[x for i in range(200) for x in (str(i / 7), "m%d" % i)]],
                 ["SET", "ttl", "v", "PXAT", str(now_ms() + 900_000)],
                 ["RPUSH", "ttl-list", "a"], ["PEXPIREAT", "ttl-list", str(now_ms() + 800_000)]]
    reqs.append(["SELECT", "0"])
    for reply in c.pipeline(reqs):
        assert reply[0] != "-", reply


KEYS = ["k%d" % i for i in range(12)] + [b"b\xff%d" % i for i in range(3)]


def random_write(rnd: random.Random):
    k, k2 = rnd.choice(KEYS), rnd.choice(KEYS)
    v = rnd.choice(["1", "22", "x", "-5", "hello world", b"\xfe\x00"])
    n = str(rnd.randrange(-3, 10))
    return rnd.choice([
        ["SET", k, v], ["SET", k, v, "NX"], ["SET", k, v, "XX"], ["SET", k, v, "EX", "500"],
        ["APPEND", k, v], ["INCR", k], ["INCRBY", k, n], ["DECRBY", k, n], ["SETRANGE", k, "2", v],
        ["GETSET", k, v], ["GETDEL", k], ["MSET", k, v, k2, v], ["DEL", k, k2], ["UNLINK", k],
        ["EXPIRE", k, "300"], ["PEXPIRE", k, "400000"], ["PERSIST", k], ["RENAME", k, k2],
        ["COPY", k, k2], ["MOVE", k, "1"], ["LPUSH", k, v, v], ["RPUSH", k, v], ["LPOP", k],
        ["RPOP", k, "2"], ["LSET", k, "0", v], ["LTRIM", k, "0", n], ["LINSERT", k, "AFTER", v, "ins"],
        ["LREM", k, "1", v], ["RPOPLPUSH", k, k2], ["LMOVE", k, k2, "RIGHT", "LEFT"],
        ["HSET", k, "f" + n, v], ["HDEL", k, "f1", "f2"], ["HINCRBY", k, "c", n], ["HSETNX", k, "f", v],
        ["SADD", k, n, v], ["SREM", k, n], ["SMOVE", k, k2, n], ["SINTERSTORE", k, k2, k],
        ["SUNIONSTORE", k, k2, k], ["ZADD", k, n, v], ["ZINCRBY", k, n, v], ["ZREM", k, v],
        ["ZPOPMIN", k], ["ZREMRANGEBYRANK", k, "0", "0"], ["ZUNIONSTORE", k, "2", k, k2],
        ["SET", k, v, "PXAT", str(now_ms() + rnd.choice([150, 900_000]))],
    ])


def run_mixed_writes(c, rnd: random.Random, n: int) -> None:
    db = 0
    i = 0
    while i < n:
        roll = rnd.random()
        if roll < 0.05:
            db = rnd.choice([0, 1, 5, 15])
            c.call("SELECT", str(db))
        elif roll < 0.12:
            block = [random_write(rnd) for _ in range(rnd.randrange(1, 4))]
            c.pipeline([["MULTI"], *block, ["EXEC"]])
            i += len(block)
        else:
            c.call(*random_write(rnd))
            i += 1
    c.call("SELECT", "0")


def dump(server, db: int) -> dict:
    """Every key of ``db``: (type, value, ttl ms or -1)."""
    r = server.client(db=db)
    keys = list(r.scan_iter(count=1000))
    pipe = r.pipeline(transaction=False)
    for k in keys:
        pipe.type(k)
        pipe.pttl(k)
    meta = pipe.execute()
    pipe = r.pipeline(transaction=False)
    for i, k in enumerate(keys):
        t = meta[2 * i]
        {b"string": lambda: pipe.get(k), b"list": lambda: pipe.lrange(k, 0, -1),
         b"hash": lambda: pipe.hgetall(k), b"set": lambda: pipe.smembers(k),
         b"zset": lambda: pipe.zrange(k, 0, -1, withscores=True)}[t]()
    values = pipe.execute()
    return {k: (meta[2 * i], values[i], meta[2 * i + 1]) for i, k in enumerate(keys)}


def assert_same_dataset(master, replica, dbs=(0, 1, 5, 15)) -> int:
    total = 0
    for db in dbs:
        m, r = dump(master, db), dump(replica, db)
        assert m.keys() == r.keys(), (db, sorted(m.keys() ^ r.keys())[:10])
        for k, (t, v, ttl) in m.items():
            rt, rv, rttl = r[k]
            assert (t, v) == (rt, rv), (db, k, t, rt)
            assert (ttl < 0) == (rttl < 0) and abs(ttl - rttl) < 3000, (db, k, ttl, rttl)
        total += len(m)
    return total


def wait_in_sync(master, replica, timeout: float = 20.0) -> None:
    def same():
        m = info(master)
        r = info(replica)
        return (r.get("master_link_status") == "up" and r.get("master_sync_in_progress") == "0"
                and m["master_repl_offset"] == r["master_repl_offset"])
    wait_for(same, timeout, 0.05, "the replica to catch up with master_repl_offset")


@pytest.fixture
def replica_of(tmp_path_factory):
    started = []

    def start(master):
        if redis_server_binary() is None:
            pytest.skip("redis-server binary not found on PATH")
        d = tmp_path_factory.mktemp("replica")
        srv = start_with_retry(lambda: RedisServer(d, extra_args=["--replicaof", master.host, str(master.port)]))
        started.append(srv)
        return srv

    try:
        yield start
    finally:
        for srv in started:
            srv.stop()


def test_a_real_redis_replica_loads_our_dataset_and_follows_every_write(start_pickledbd, replica_of):
    master = start_pickledbd()
    rnd = random.Random(20240607)
    with RawClient(master.host, master.port) as c:
        fill(c, rnd)
        replica = replica_of(master)
        wait_in_sync(master, replica)
        assert assert_same_dataset(master, replica) > 200
        m = info(master)
        assert m["connected_slaves"] == "1"
        assert re.fullmatch(r"ip=127\.0\.0\.1,port=%d,state=online,offset=\d+,lag=\d+" % replica.port,
                            m["slave0"]), m["slave0"]
        run_mixed_writes(c, rnd, 400)
        time.sleep(0.4)            # the 150 ms TTLs run out: the master's DELs follow
        wait_in_sync(master, replica)
        assert assert_same_dataset(master, replica) > 200
        assert int(info(master)["master_repl_offset"]) > 0
        log = replica.log_text()
        assert "MASTER <-> REPLICA sync: Finished with success" in log
        assert "Protocol error" not in log and "CRC" not in log.upper().replace("CRC64", "")


def test_a_replica_attaching_while_clients_write_gets_a_consistent_snapshot(start_pickledbd, replica_of):
    """A dataset big enough for the forked snapshot, written to while the replica attaches:
    everything written before the snapshot is in it, everything after is in the stream."""
    master = start_pickledbd()
    with RawClient(master.host, master.port) as c:
        c.pipeline([["SET", "key:%d" % i, "v%d" % i] for i in range(30000)])
        stop = threading.Event()

        def writer():
            with RawClient(master.host, master.port) as w:
                i = 0
                while not stop.is_set():
                    w.pipeline([["INCR", "counter"], ["RPUSH", "log", str(i)], ["SET", "key:%d" % (i % 30000), str(i)],
                                ["HINCRBY", "h", str(i % 50), "1"]])
                    i += 1
        t = threading.Thread(target=writer)
        t.start()
        try:
            time.sleep(0.2)
            replica = replica_of(master)
            wait_for(lambda: info(replica).get("master_link_status") == "up", 20, 0.05, "link up")
            time.sleep(0.5)
        finally:
            stop.set()
            t.join(10)
        wait_in_sync(master, replica)
        assert assert_same_dataset(master, replica, dbs=(0,)) == 30003
    assert "BGSAVE for SYNC" in master.log_text()      # the forked path was taken


# ---------------------------------------------------------------------- the replica connection
def exchange(server, script):
    """Run ``script`` (requests, or b"raw bytes") on one connection: each reply, or None when
    there is none within 0.3 s."""
    out = []
    with socket.create_connection((server.host, server.port), timeout=5) as s:
        for item in script:
            s.sendall(item if isinstance(item, bytes) else encode_command(list(item)))
            s.settimeout(0.3)
            data = b""
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        data += b"<closed>"
                        break
                    data += chunk
                    if data.endswith(b"\r\n"):
                        s.settimeout(0.05)
            except socket.timeout:
                pass
            out.append(data or None)
    return out


REPLCONF_SCRIPTS = {
    "replconf options": [("REPLCONF",), ("REPLCONF", "listening-port"), ("REPLCONF", "listening-port", "abc"),
                         ("REPLCONF", "listening-port", "6380"), ("REPLCONF", "LISTENING-PORT", "-1"),
                         ("REPLCONF", "foo", "bar"), ("REPLCONF", "capa", "eof", "capa", "psync2", "capa", "x"),
                         ("REPLCONF", "ip-address", "x" * 255), ("REPLCONF", "ip-address", "x" * 256),
                         ("REPLCONF", "rdb-only", "2"), ("REPLCONF", "rdb-only", "x"), ("REPLCONF", "rdb-only", "0"),
                         ("REPLCONF", "capa"), ("REPLCONF", "getack"), ("PING",)],
    "no reply to ACK / GETACK": [("REPLCONF", "ack", "100"), ("REPLCONF", "ACK", "5", "FACK", "4"),
                                 ("REPLCONF", "ack", "abc"), ("REPLCONF", "getack", "*"), ("PING",)],
    "sync arity and offset": [("SYNC", "x"), ("PSYNC", "?"), ("PSYNC", "?", "abc"), ("PSYNC", "?", "1.5"),
                              ("PSYNC", "x", "1", "FAILOVER"), ("PING",)],
    "sync inside MULTI": [("MULTI",), ("SYNC",), ("PSYNC", "?", "-1"), ("EXEC",)],
    "sync with pending output": [encode_command(["PING"]) + encode_command(["SYNC"]),
                                 encode_command(["PING"]) + encode_command(["PSYNC", "?", "-1"])],
}


@pytest.mark.parametrize("name", list(REPLCONF_SCRIPTS))
def test_replconf_sync_psync_replies_match_redis(both, name):
    r = exchange(both[0], REPLCONF_SCRIPTS[name])
    p = exchange(both[1], REPLCONF_SCRIPTS[name])
    assert r == p


def test_replicaof_is_an_unknown_command(pickledbd_server):
    """pickledbd is never a replica (out of scope): REPLICAOF / SLAVEOF are unknown."""
    with RawClient(pickledbd_server.host, pickledbd_server.port) as c:
        assert c.call("REPLICAOF", "127.0.0.1", "6379") == (
            "-", b"ERR unknown command 'REPLICAOF', with args beginning with: '127.0.0.1' '6379' ")
        assert c.call("SLAVEOF", "NO", "ONE")[1].startswith(b"ERR unknown command 'SLAVEOF'")


def replica_views(server):
    """(CLIENT LIST line of the replica, INFO replication, ROLE) with the replica attached."""
    with RawClient(server.host, server.port) as c:
        lines = c.call("CLIENT", "LIST", "TYPE", "replica")[1].decode().splitlines()
        role = c.call("ROLE")
    return lines, info(server), role


@pytest.mark.parametrize("psync", [False, True])
def test_a_replica_is_listed_and_forgotten_like_in_redis(both, psync):
    views = []
    for srv in both:
        with ReplStream(srv, psync=psync, handshake=[("REPLCONF", "listening-port", "7777")]) as s:
            s.sock.sendall(encode_command(["REPLCONF", "ACK", "123"]))
            wait_for(lambda: "offset=123" in info(srv).get("slave0", ""), 5, 0.02, "the ACK")
            lines, inf, role = replica_views(srv)
            assert len(lines) == 1 and " flags=S " in lines[0], lines
            assert re.search(r" cmd=replconf ", lines[0]), lines[0]
            assert inf["connected_slaves"] == "1"
            assert re.fullmatch(r"ip=127\.0\.0\.1,port=7777,state=online,offset=123,lag=[01]", inf["slave0"])
            assert role[0] == "*" and [x[1] for x in role[1][:2]] == [b"master", int(inf["master_repl_offset"])]
            assert [[y[1] for y in x[1]] for x in role[1][2][1]] == [[b"127.0.0.1", b"7777", b"123"]]
            if psync:
                assert s.replid == inf["master_replid"]
            views.append(sorted(inf))
        wait_for(lambda: info(srv)["connected_slaves"] == "0", 5, 0.02, "the replica to go away")
        with RawClient(srv.host, srv.port) as c:
            assert c.call("CLIENT", "LIST", "TYPE", "replica") == ("$", b"")
            assert c.call("ROLE")[1][2] == ("*", [])
    assert views[0] == views[1]          # the same INFO replication fields


def test_offsets_count_every_byte_of_the_stream(pickledbd_server):
    srv = pickledbd_server
    with ReplStream(srv, psync=True) as s, RawClient(srv.host, srv.port) as c:
        assert s.offset == int(info(srv)["master_repl_offset"])
        c.call("SET", "k", "v" * 1000)
        c.call("SELECT", "3")
        c.pipeline([["MULTI"], ["INCR", "n"], ["DEL", "k"], ["INCR", "n"], ["EXEC"]])
        s.catch_up()
        s.commands(0.1)
        assert s.offset == int(info(srv)["master_repl_offset"])


def test_pings_every_repl_ping_replica_period(both):
    for srv in both:
        with RawClient(srv.host, srv.port) as c:
            assert c.call("CONFIG", "SET", "repl-ping-replica-period", "1") == ("+", b"OK")
            try:
                assert c.call("CONFIG", "GET", "repl-ping-replica-period")[1][1] == ("$", b"1")
                with ReplStream(srv, psync=True) as s:
                    s.commands(2.6)
                    assert 1 <= s.pings <= 4, (srv, s.pings)
                    assert s.offset == int(info(srv)["master_repl_offset"])
            finally:
                c.call("CONFIG", "SET", "repl-ping-replica-period", "10")


def test_no_propagation_cost_without_replicas():
    """The propagation feed exists only while replicas do (in-process: the inline payload)."""
    from pickledbd.daemon.inprocess import LocalServer
    srv = LocalServer()
    prop = srv.engine.propagation
    c, r = srv.client(), srv.client()
    srv.request(c, "SET", "a", "1")
    assert not prop.active and not prop.feeds
    out = srv.request(r, "PSYNC", "?", "-1")
    head, rest = out.split(b"\r\n", 1)
    assert head.startswith(b"+FULLRESYNC ")
    size, rdb = rest.split(b"\r\n", 1)
    assert int(size[1:]) == len(rdb) and rdb.startswith(b"REDIS0010")
    assert prop.active and r.kind == "replica" and r.flags() == "S"
    srv.request(c, "SET", "b", "2")
    assert srv.take_output(r) == b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n"
    srv.server.clients.forget(r)
    assert not prop.active and not prop.feeds
    assert srv.server.replication.info()[1] == ("connected_slaves", 0)


# ---------------------------------------------------------------------- limits
def stalled_replica(server, rcvbuf: int = 4096) -> socket.socket:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect((server.host, server.port))
    s.sendall(encode_command(["SYNC"]))
    return s


def replica_count(server) -> int:
    return int(info(server)["connected_slaves"])


@pytest.mark.parametrize("which", ["redis", "pickledbd"])
def test_a_replica_that_stops_reading_is_disconnected_at_the_hard_limit(redis_ref, start_pickledbd, which):
    limit = ["--client-output-buffer-limit", "replica 2mb 0 0"]
    if which == "redis":
        srv = start_with_retry(lambda: RedisServer(redis_ref.dir / "limits", extra_args=limit))
    else:
        srv = start_pickledbd(*limit)
    try:
        with ReplStream(srv) as good:
            bad = stalled_replica(srv)
            try:
                wait_for(lambda: replica_count(srv) == 2, 5, 0.02, "both replicas")
                time.sleep(0.3)              # past the payload
                got = []
                reader = threading.Thread(target=lambda: got.extend(
                    good.until(lambda cmd: cmd == [b"SET", b"done", b"1"], timeout=30)))
                reader.start()
                with RawClient(srv.host, srv.port) as c:
                    for i in range(60):      # 6 MB of stream
                        c.call("SET", "big:%d" % (i % 3), "x" * 100_000)
                    c.call("SET", "done", "1")
                    reader.join(30)
                    wait_for(lambda: replica_count(srv) == 1, 10, 0.05, "the stalled replica to be dropped")
                    assert len(got) == 62                 # the reading replica got everything
                    assert c.call("PING") == ("+", b"PONG")
            finally:
                bad.close()
    finally:
        if which == "redis":
            srv.stop()


def test_the_payload_is_not_held_to_the_limit_but_the_stream_behind_it_is(start_pickledbd):
    """A payload far over the replica hard limit reaches a replica that reads; a replica that
    reads nothing is dropped once the stream buffered behind its payload passes the limit."""
    srv = start_pickledbd("--client-output-buffer-limit", "replica 2mb 0 0")
    with RawClient(srv.host, srv.port) as c:
        c.pipeline([["SET", "big:%d" % i, "x" * 100_000] for i in range(80)])      # 8 MB
        with ReplStream(srv) as s:
            assert len(s.rdb) > 8_000_000
            assert s.catch_up(c) == []
        bad = stalled_replica(srv)
        try:
            wait_for(lambda: replica_count(srv) == 1, 5, 0.02, "the replica")
            for i in range(40):                                   # 4 MB of stream
                c.call("SET", "new:%d" % (i % 3), "y" * 100_000)
            wait_for(lambda: replica_count(srv) == 0, 10, 0.05, "the stalled replica to be dropped")
            assert "closed for overcoming of output buffer limits" in srv.log_text()
            # closed at once (not after a drain that would never come): gone from CLIENT LIST
            wait_for(lambda: c.call("CLIENT", "LIST", "TYPE", "replica") == ("$", b""), 5, 0.05, "the close")
            assert info(srv, "stats")["client_output_buffer_limit_disconnections"] == "1"
        finally:
            bad.close()


def children_of(pid: int):
    path = "/proc/%d/task/%d/children" % (pid, pid)
    if not os.path.exists(path):
        pytest.skip("no /proc/<pid>/task/<pid>/children here")
    with open(path) as f:
        return f.read().split()


def test_the_snapshot_child_goes_when_its_replicas_go(start_pickledbd):
    srv = start_pickledbd()
    with RawClient(srv.host, srv.port) as c:
        c.pipeline([["RPUSH", "l:%d" % i, *map(str, range(200))] for i in range(2000)])
        bad = stalled_replica(srv)
        wait_for(lambda: children_of(srv.proc.pid), 5, 0.005, "the snapshot child")
        bad.close()
        wait_for(lambda: replica_count(srv) == 0, 5, 0.02, "the replica to go")
        wait_for(lambda: not children_of(srv.proc.pid), 5, 0.02, "the child to be reaped")
        # and new SYNCs work: two at once share one child
        forks = srv.log_text().count("Starting BGSAVE for SYNC")
        streams = []
        threads = [threading.Thread(target=lambda: streams.append(ReplStream(srv))) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        a, b = streams
        try:
            assert srv.log_text().count("Starting BGSAVE for SYNC") == forks + 1
            assert a.rdb == b.rdb
            c.call("SET", "after", "1")
            assert a.catch_up(c) == b.catch_up(c) == [[b"SELECT", b"0"], [b"SET", b"after", b"1"]]
        finally:
            a.close()
            b.close()


def test_a_replica_attaching_does_not_stall_other_clients(start_pickledbd):
    """200k keys: encoding them in the event loop would stop every client for ~0.5 s; the
    forked snapshot stops them for the fork only."""
    srv = start_pickledbd()
    with RawClient(srv.host, srv.port, timeout=60) as c:
        for start in range(0, 200_000, 20_000):
            c.pipeline([["SET", "key:%d" % i, "value-%d" % i] for i in range(start, start + 20_000)])
        stop = threading.Event()
        worst = []

        def probe():
            with RawClient(srv.host, srv.port) as p:
                while not stop.is_set():
                    t0 = time.perf_counter()
                    p.call("GET", "key:1")
                    worst.append(time.perf_counter() - t0)
        t = threading.Thread(target=probe)
        t.start()
        try:
            time.sleep(0.3)
            before = max(worst)
            n = len(worst)
            t0 = time.perf_counter()
            with ReplStream(srv, timeout=60) as s:
                took = time.perf_counter() - t0
                c.call("SET", "after", "1")
                assert s.catch_up(c) == [[b"SELECT", b"0"], [b"SET", b"after", b"1"]]
            time.sleep(0.2)
        finally:
            stop.set()
            t.join(10)
        during = max(worst[n:])
        print("\n200k keys: full sync %.3f s, RDB %d bytes; worst GET latency %.1f ms during the sync, "
              "%.1f ms before" % (took, len(s.rdb), during * 1000, before * 1000))
        assert during < 0.25, during


def test_redis_cli_rdb_takes_a_snapshot(pickledbd_server, tmp_path):
    """``redis-cli --rdb`` (REPLCONF rdb-only + SYNC) saves a file redis-check-rdb accepts."""
    cli, check = shutil.which("redis-cli"), shutil.which("redis-check-rdb")
    if cli is None or check is None:
        pytest.skip("redis-cli / redis-check-rdb not installed")
    r = pickledbd_server.client()
    r.set("rdb:k", "v")
    r.rpush("rdb:l", "a", "b")
    out = tmp_path / "snap.rdb"
    run = subprocess.run([cli, "-h", pickledbd_server.host, "-p", str(pickledbd_server.port), "--rdb", str(out)],
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stderr
    res = subprocess.run([check, str(out)], capture_output=True, text=True, timeout=30)
    assert res.returncode == 0 and "RDB looks OK" in res.stdout, res.stdout
    wait_for(lambda: replica_count(pickledbd_server) == 0, 5, 0.02, "redis-cli to go")
