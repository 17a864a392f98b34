"""AOF rewrite with real processes: BGREWRITEAOF switches in a new base and increment through
the manifest, writes made during the rewrite are kept, a SIGKILL at any moment of a rewrite
leaves a loadable directory, scheduling behind BGSAVE and the automatic rewrite, as Redis."""
from __future__ import annotations

import os
import random
import subprocess
import threading
import time

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from test_aof_writer import aof_files as files
from test_aof_writer import kill9, start


def wait_rewrite(r, timeout=20) -> dict:
    deadline = time.time() + timeout
    while time.time() < deadline:
        i = r.info("persistence")
        if not i["aof_rewrite_in_progress"] and not i["aof_rewrite_scheduled"]:
            return i
        time.sleep(0.05)
    raise AssertionError("rewrite did not finish")


def raw(srv, *args: str) -> bytes:
    """One request on a plain socket: the reply's first line as sent."""
    with srv.connect() as s:
        s.sendall(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a.encode()) for a in args))
        data = b""
        while not data.endswith(b"\r\n"):
            data += s.recv(4096)
        return data


def populate(r, n: int) -> None:
    """DEBUG POPULATE's keys (key:N = value:N), by MSET batches."""
    p = r.pipeline(transaction=False)
    for first in range(0, n, 1000):
        p.mset({"key:%d" % i: "value:%d" % i for i in range(first, min(n, first + 1000))})
    p.execute()


def check_aof(dir) -> None:
    out = subprocess.run(["redis-check-aof", os.path.join(dir, "appendonlydir", "appendonly.aof.manifest")],
                         capture_output=True, text=True, timeout=60)
    assert "All AOF files and manifest are valid" in out.stdout, out.stdout + out.stderr


def test_bgrewriteaof_switches_files_and_restart_loads(tmp_path):
    srv = start(tmp_path, "--appendonly", "yes")
    try:
        r = srv.client()
        r.set("a", "1")
        r.rpush("l", *range(200))
        r.incr("n")
        assert files(tmp_path) == ["appendonly.aof.1.base.aof", "appendonly.aof.1.incr.aof",
                                   "appendonly.aof.manifest"]
        assert r.bgrewriteaof()
        with pytest.raises(redis.ResponseError, match="^Background append only file rewriting already in progress$"):
            r.bgrewriteaof()
        i = wait_rewrite(r)
        assert i["aof_last_bgrewrite_status"] == "ok" and i["aof_rewrites"] == 1
        assert i["aof_base_size"] == i["aof_current_size"]
        assert files(tmp_path) == ["appendonly.aof.2.base.aof", "appendonly.aof.2.incr.aof",
                                   "appendonly.aof.manifest"]
        manifest = (tmp_path / "appendonlydir" / "appendonly.aof.manifest").read_text()
        assert manifest == ("file appendonly.aof.2.base.aof seq 2 type b\n"
                            "file appendonly.aof.2.incr.aof seq 2 type i\n")
        r.incr("n")
        check_aof(tmp_path)
        kill9(srv)
        srv.start()
        r = srv.client()
        assert r.get("a") == b"1" and r.llen("l") == 200 and r.get("n") == b"2"
    finally:
        srv.stop()


def test_writes_during_a_rewrite_are_kept(tmp_path):
    """The child writes a big dataset while clients write: the new increment gets what
    happened after the fork, the base what came before; nothing is lost or doubled."""
    srv = start(tmp_path, "--appendonly", "yes")
    try:
        r = srv.client()
        populate(r, 200000)
        r.bgrewriteaof()
        for i in range(2000):
            r.incr("during")
            r.rpush("dl", i)
        i = wait_rewrite(r, 60)
        assert i["aof_last_bgrewrite_status"] == "ok"
        kill9(srv)
        srv.start()
        r = srv.client()
        assert r.get("during") == b"2000" and r.llen("dl") == 2000
        assert r.dbsize() == 200002
    finally:
        srv.stop()


def test_sigkill_at_any_moment_of_a_rewrite_leaves_a_loadable_dir(tmp_path):
    """Rounds of: writes, BGREWRITEAOF, SIGKILL after a random delay (before, during or after
    the switch), restart: every acknowledged INCR is there."""
    srv = start(tmp_path, "--appendonly", "yes", "--appendfsync", "always")
    rng = random.Random(11)
    expected = 0
    try:
        r = srv.client()
        populate(r, 50000)
        for _ in range(8):
            for _ in range(50):
                expected = r.incr("counter")
            r.bgrewriteaof()
            stop = threading.Event()
            acked = [expected]

            def writer():
                # no retries: after the kill the writer must stop, not retry with back-off
                c = redis.Redis(port=srv.port, socket_timeout=5, retry=Retry(NoBackoff(), 0))
                try:
                    while not stop.is_set():
                        acked[0] = c.incr("counter")
                except (redis.ConnectionError, redis.TimeoutError, ConnectionError):
                    pass
                finally:
                    c.close()
            t = threading.Thread(target=writer)
            t.start()
            time.sleep(rng.uniform(0, 0.6))
            kill9(srv)
            stop.set()
            t.join(10)
            srv.start()
            r = srv.client()
            got = int(r.get("counter"))
            assert got >= acked[0]          # nothing acknowledged is lost
            assert got <= acked[0] + 1      # at most the one in flight
            assert r.dbsize() == 50001
            expected = got
            leftovers = [f for f in os.listdir(tmp_path) if f.startswith("temp-rewriteaof")]
            for f in leftovers:            # a killed child's temporary base: Redis leaves it too
                os.unlink(tmp_path / f)
        check_aof(tmp_path)
    finally:
        srv.stop()


def test_bgrewriteaof_while_bgsave_is_scheduled(tmp_path):
    srv = start(tmp_path, "--appendonly", "yes")
    try:
        r = srv.client()
        populate(r, 200000)
        assert r.bgsave()
        assert raw(srv, "BGREWRITEAOF") == b"+Background append only file rewriting scheduled\r\n"
        assert r.info("persistence")["aof_rewrite_scheduled"] == 1
        i = wait_rewrite(r, 60)
        assert i["aof_rewrites"] == 1 and i["aof_last_bgrewrite_status"] == "ok"
        # and a BGSAVE during an AOF rewrite is refused as Redis refuses it
        r.bgrewriteaof()
        assert raw(srv, "BGSAVE") == (b"-ERR Another child process is active (AOF?): can't BGSAVE right now. "
                                      b"Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.\r\n")
        assert raw(srv, "BGSAVE", "SCHEDULE") == b"+Background saving scheduled\r\n"
        wait_rewrite(r, 60)
        deadline = time.time() + 20
        while r.info("persistence")["rdb_saves"] < 2 and time.time() < deadline:
            time.sleep(0.1)
        assert r.info("persistence")["rdb_saves"] == 2      # the scheduled BGSAVE ran after it
    finally:
        srv.stop()


def test_automatic_rewrite_on_growth(tmp_path):
    srv = start(tmp_path, "--appendonly", "yes", "--auto-aof-rewrite-min-size", "10kb",
                "--auto-aof-rewrite-percentage", "100")
    try:
        r = srv.client()
        for i in range(400):
            r.set("k", "x" * 100)
        deadline = time.time() + 10
        while r.info("persistence")["aof_rewrites"] == 0 and time.time() < deadline:
            time.sleep(0.05)
        i = wait_rewrite(r)
        assert i["aof_rewrites"] >= 1
        assert "Starting automatic rewriting of AOF on" in srv.log_text()
        assert i["aof_current_size"] < 10 * 1024
    finally:
        srv.stop()


def test_bgrewriteaof_with_appendonly_no(tmp_path):
    """Redis writes a base (no increment) even with the AOF off; so do we."""
    srv = start(tmp_path)
    try:
        r = srv.client()
        r.set("k", "v")
        assert raw(srv, "BGREWRITEAOF") == b"+Background append only file rewriting started\r\n"
        wait_rewrite(r)
        assert files(tmp_path) == ["appendonly.aof.1.base.aof", "appendonly.aof.manifest"]
        # a later start with appendonly yes goes on from it
    finally:
        srv.stop()
    srv = start(tmp_path, "--appendonly", "yes")
    try:
        assert srv.client().get("k") == b"v"
        assert files(tmp_path) == ["appendonly.aof.1.base.aof", "appendonly.aof.1.incr.aof",
                                   "appendonly.aof.manifest"]
    finally:
        srv.stop()
