"""The proof of format: a real redis-server 7.0 started on pickledbd's appendonlydir (written
by appends and a rewrite) loads the same dataset, redis-check-aof accepts it, and pickledbd
loads the appendonlydir a real redis-server wrote (aof-use-rdb-preamble no)."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess

import pytest

from servers import PickledbdServer, RedisServer, free_port

REDIS_AOF = ("--appendonly", "yes", "--aof-use-rdb-preamble", "no")


def wait_rewrite(r) -> None:
    import time
    deadline = time.time() + 30
    while time.time() < deadline:
        i = r.info("persistence")
        if not i["aof_rewrite_in_progress"] and not i["aof_rewrite_scheduled"]:
            return
        time.sleep(0.05)
    raise AssertionError("rewrite did not finish")


def fill(r, phase: str) -> None:
    """Every core type, binary data, TTLs, several databases, a transaction."""
    r.set(b"bin\xff\x00key" + phase.encode(), b"\x00\xfe\xff value")
    r.set("s:" + phase, "plain")
    r.set("ttl:" + phase, "x", px=500_000)
    r.rpush("l:" + phase, *[str(i) for i in range(150)])
    r.lpush("l:" + phase, "head")
    r.hset("h:" + phase, mapping={"f%d" % i: "v%d" % i for i in range(100)})
    r.sadd("si:" + phase, *range(80))
    r.sadd("ss:" + phase, *["m%d" % i for i in range(70)])
    r.zadd("z:" + phase, {"a": 1.5, "b": -2, "c": float("inf"), "d": 0.1, **{"m%d" % i: i for i in range(90)}})
    r.incrbyfloat("f:" + phase, 1.25)
    p = r.pipeline(transaction=True)
    p.incr("tx:" + phase)
    p.rpush("txl:" + phase, "a", "b")
    p.execute()
    r.execute_command("SELECT", 3)
    r.set("db3:" + phase, "three")
    r.expire("db3:" + phase, 100_000)
    r.execute_command("SELECT", 0)


def dataset(r) -> dict:
    """Every key of every database: type, value, and TTL to the minute."""
    out = {}
    for db in range(16):
        r.execute_command("SELECT", db)
        for key in r.keys("*"):
            t = r.type(key).decode()
            if t == "string":
                v = r.get(key)
            elif t == "list":
                v = r.lrange(key, 0, -1)
            elif t == "hash":
                v = sorted(r.hgetall(key).items())
            elif t == "set":
                v = sorted(r.smembers(key))
            elif t == "zset":
                v = r.zrange(key, 0, -1, withscores=True)
            elif t == "stream":
                v = r.xrange(key)
            else:
                v = None
            pttl = r.pttl(key)
            out[(db, key)] = (t, v, pttl if pttl < 0 else round(pttl / 60000))
    r.execute_command("SELECT", 0)
    return out


def start_pickledbd(dir, *args) -> PickledbdServer:
    return PickledbdServer(dir, port=free_port(), extra_args=args).start()


def test_redis_server_loads_our_appendonlydir(tmp_path):
    ours = tmp_path / "ours"
    ours.mkdir()
    srv = start_pickledbd(ours, "--appendonly", "yes")
    try:
        r = srv.client()
        fill(r, "before")
        assert r.bgrewriteaof()
        fill(r, "during")
        wait_rewrite(r)
        fill(r, "after")
        r.delete("s:before")
        expected = dataset(r)
        assert len(expected) > 30
    finally:
        os.killpg(srv.proc.pid, signal.SIGKILL)     # as a crash: the files as they are
        srv.stop()
    aofdir = ours / "appendonlydir"
    check = subprocess.run(["redis-check-aof", str(aofdir / "appendonly.aof.manifest")],
                           capture_output=True, text=True, timeout=60)
    assert "All AOF files and manifest are valid" in check.stdout, check.stdout
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    shutil.copytree(aofdir, theirs / "appendonlydir")
    rs = RedisServer(theirs, port=free_port(), extra_args=REDIS_AOF).start()
    try:
        assert dataset(rs.client()) == expected
        assert "DB loaded from append only file" in rs.log_text()
    finally:
        rs.stop()


def test_we_load_redis_servers_appendonlydir(tmp_path):
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    rs = RedisServer(theirs, port=free_port(), extra_args=REDIS_AOF).start()
    try:
        r = rs.client()
        fill(r, "before")
        r.bgrewriteaof()
        wait_rewrite(r)
        fill(r, "after")
        expected = dataset(r)
    finally:
        rs.stop()
    ours = tmp_path / "ours"
    ours.mkdir()
    shutil.copytree(theirs / "appendonlydir", ours / "appendonlydir")
    srv = start_pickledbd(ours, "--appendonly", "yes")
    try:
        r = srv.client()
        assert dataset(r) == expected
        # and we append to their files: a further restart still loads all of it
        r.set("ours", "1")
        expected2 = dataset(r)
        srv.stop()
        srv.start()
        assert dataset(srv.client()) == expected2
    finally:
        srv.stop()


@pytest.mark.parametrize("policy", ["always", "everysec"])
def test_redis_check_aof_accepts_appends_of_each_policy(tmp_path, policy):
    srv = start_pickledbd(tmp_path, "--appendonly", "yes", "--appendfsync", policy)
    try:
        fill(srv.client(), "x")
    finally:
        srv.stop()
    check = subprocess.run(["redis-check-aof", str(tmp_path / "appendonlydir" / "appendonly.aof.manifest")],
                           capture_output=True, text=True, timeout=60)
    assert "All AOF files and manifest are valid" in check.stdout, check.stdout
