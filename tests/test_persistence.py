"""Persistence and lifecycle with real processes: SAVE + restart gives identical data (binary keys,
TTLs, all 16 databases, JSON and SQLite), SIGTERM saves, kill -9 during BGSAVE leaves a valid
file, a corrupt or unreadable file refuses to start (file untouched), a port in use fails."""
from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

sys.path.insert(0, str(Path(__file__).resolve().parent))
import servers  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def run_pickledbd(*args, cwd=None, timeout=20):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "pickledbd", *args], cwd=cwd or str(REPO), env=env,
                          capture_output=True, text=True, timeout=timeout)


def snapshot(r: redis.Redis) -> dict:
    """Every key of every db: (type, value, has_ttl)."""
    out = {}
    for dbi in range(16):
        r.select(dbi)
        for key in r.scan_iter(count=1000):
            t = r.type(key).decode()
            if t == "string":
                v = r.get(key)
            elif t == "hash":
                v = r.hgetall(key)
            elif t == "list":
                v = r.lrange(key, 0, -1)
            elif t == "set":
                v = sorted(r.smembers(key))
            elif t == "zset":
                v = r.zrange(key, 0, -1, withscores=True)
            else:
                v = None
            out[(dbi, key)] = (t, v, r.pttl(key) > 0)
    r.select(0)
    return out


def fill(r: redis.Redis) -> None:
    for dbi in range(16):
        r.select(dbi)
        r.set(f"db{dbi}", f"value-{dbi}")
    r.select(0)
    r.set(b"\x00\xffbin\x80key", b"\xfe\xff\x00value\r\n")
    r.set("utf8-\u00e9\u4e2d", "\u00fcnicode")
    r.set("ttl-key", "soon", ex=1000)
    r.set("__pickledbd__", "reserved name")
    r.hset("h", mapping={"f1": "v1", b"\xff": b"\x00"})
    r.rpush("l", "a", "b", b"\xc3")
    r.sadd("s", "x", "y")
    r.zadd("z", {"m1": 1.5, "m2": float("inf"), b"\xff": -2})
    r.set("num", 42)
    r.select(7)
    r.set("ttl7", "v", px=500000)
    r.select(0)


@pytest.mark.parametrize("dbfilename", ["dump.json", "dump.sqlite3"])
def test_save_restart_identical(tmp_path, dbfilename):
    srv = servers.start_with_retry(lambda: servers.PickledbdServer(tmp_path, dbfilename=dbfilename))
    try:
        r = srv.client()
        fill(r)
        before = snapshot(r)
        ttl_before = r.pttl("ttl-key")
        assert r.save()
        srv.restart()
        r = srv.client()
        after = snapshot(r)
        assert after == before
        assert 0 < r.pttl("ttl-key") <= ttl_before
        r.select(7)
        assert r.pttl("ttl7") > 400000
        assert "keys" in srv.log_text() and "DB loaded from disk" in srv.log_text()
    finally:
        srv.stop()


def test_sigterm_saves_with_save_rules(tmp_path):
    srv = servers.start_with_retry(lambda: servers.PickledbdServer(tmp_path, extra_args=["--save", "3600 1"]))
    try:
        r = srv.client()
        r.set("k", "saved-by-sigterm")
        assert not (tmp_path / "dump.json").exists()
        proc = srv.proc
        os.kill(proc.pid, signal.SIGTERM)
        assert proc.wait(10) == 0
        srv.proc = None
        assert json.loads((tmp_path / "dump.json").read_text())["k"] == "saved-by-sigterm"
        log = srv.log_text()
        assert "Received SIGTERM" in log and "DB saved on disk" in log
        srv.start()
        assert srv.client().get("k") == b"saved-by-sigterm"
    finally:
        srv.stop()


def test_sigterm_without_save_rules_does_not_save(tmp_path):
    srv = servers.start_with_retry(lambda: servers.PickledbdServer(tmp_path))
    r = srv.client()
    r.set("k", "v")
    assert srv.stop() == 0
    assert not (tmp_path / "dump.json").exists()


def test_sigint_exits_cleanly(tmp_path):
    srv = servers.start_with_retry(lambda: servers.PickledbdServer(tmp_path, extra_args=["--save", "3600 1"]))
    srv.client().set("k", "v")
    proc = srv.proc
    os.kill(proc.pid, signal.SIGINT)
    assert proc.wait(10) == 0
    srv.proc = None
    assert (tmp_path / "dump.json").exists()
    srv.stop()


def test_save_rules_trigger_bgsave(tmp_path):
    srv = servers.start_with_retry(lambda: servers.PickledbdServer(tmp_path, extra_args=["--save", "1 2"]))
    try:
        r = srv.client()
        r.set("a", "1")
        r.set("b", "2")
        deadline = time.time() + 10
        while time.time() < deadline:
            p = r.info("persistence")
            if p["rdb_changes_since_last_save"] == 0 and not p["rdb_bgsave_in_progress"]:
                break
            time.sleep(0.1)
        assert json.loads((tmp_path / "dump.json").read_text()) == {"a": "1", "b": "2"}
        assert "changes in 1 seconds. Saving..." in srv.log_text()
    finally:
        srv.stop()


def test_kill9_during_bgsave_leaves_valid_file(tmp_path):
    big = {f"key:{i}": "x" * 40 for i in range(300000)}
    big["old"] = "1"
    (tmp_path / "dump.json").write_text(json.dumps(big))
    good = (tmp_path / "dump.json").read_bytes()
    srv = servers.start_with_retry(lambda: servers.PickledbdServer(tmp_path))
    try:
        r = srv.client()
        r.set("new", "2")
        assert r.execute_command("BGSAVE")
        time.sleep(0.05)
        pid = srv.proc.pid
        os.killpg(pid, signal.SIGKILL)         # kill -9 the server and its saving child, mid-write
        srv.proc.wait(5)
    finally:
        srv.stop()
    data = (tmp_path / "dump.json").read_bytes()
    doc = json.loads(data)                     # a complete, valid file: the old one or the new one
    assert data == good or (doc["new"] == "2" and len(doc) == len(big) + 1)
    # and the server starts on it
    srv2 = servers.start_with_retry(lambda: servers.PickledbdServer(tmp_path))
    try:
        assert srv2.client().get("old") == b"1"
        assert srv2.client().dbsize() in (len(big), len(big) + 1)
    finally:
        srv2.stop()


def test_corrupt_file_refuses_to_start(tmp_path):
    bad = b'{"a": "1", "b": '
    (tmp_path / "dump.json").write_bytes(bad)
    res = run_pickledbd("--port", str(servers.free_port()), "--dir", str(tmp_path), "--save", "")
    assert res.returncode != 0
    assert "dump.json" in res.stderr
    assert len([x for x in res.stderr.splitlines() if x.strip()]) == 1, res.stderr
    assert (tmp_path / "dump.json").read_bytes() == bad


def test_corrupt_sqlite_refuses_to_start(tmp_path):
    bad = b"this is not a sqlite database" * 100
    (tmp_path / "dump.sqlite3").write_bytes(bad)
    res = run_pickledbd("--port", str(servers.free_port()), "--dir", str(tmp_path),
                        "--dbfilename", "dump.sqlite3", "--save", "")
    assert res.returncode != 0 and res.stderr.strip()
    assert (tmp_path / "dump.sqlite3").read_bytes() == bad


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read anything")
def test_unreadable_file_refuses_to_start(tmp_path):
    f = tmp_path / "dump.json"
    f.write_text('{"a": "1"}')
    f.chmod(0)
    res = run_pickledbd("--port", str(servers.free_port()), "--dir", str(tmp_path), "--save", "")
    assert res.returncode != 0 and "Permission denied" in res.stderr


def test_unreadable_file_is_a_directory(tmp_path):
    (tmp_path / "dump.json").mkdir()
    res = run_pickledbd("--port", str(servers.free_port()), "--dir", str(tmp_path), "--save", "")
    assert res.returncode != 0 and res.stderr.strip()


def test_missing_dir_refuses_to_start(tmp_path):
    res = run_pickledbd("--port", str(servers.free_port()), "--dir", str(tmp_path / "nope"))
    assert res.returncode != 0 and "nope" in res.stderr


def test_port_in_use(tmp_path):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        res = run_pickledbd("--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp_path), "--save", "")
    assert res.returncode != 0
    assert "Address already in use" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_data_file_hash_unchanged_without_writes(tmp_path):
    """Starting and stopping (with save rules) does not rewrite a file into something else."""
    (tmp_path / "dump.json").write_text('{"a": "1", "h": {"f": "v"}}')
    srv = servers.start_with_retry(lambda: servers.PickledbdServer(tmp_path, extra_args=["--save", "3600 1"]))
    assert srv.client().hgetall("h") == {b"f": b"v"}
    srv.stop()
    assert json.loads((tmp_path / "dump.json").read_text()) == {"a": "1", "h": {"f": "v"}}


def test_config_set_dir_moves_saves(tmp_path):
    srv = servers.start_with_retry(lambda: servers.PickledbdServer(tmp_path / "a"))
    try:
        (tmp_path / "b").mkdir()
        r = srv.client()
        r.set("k", "v")
        r.config_set("dir", str(tmp_path / "b"))
        r.config_set("dbfilename", "other.json")
        r.save()
        assert json.loads((tmp_path / "b" / "other.json").read_text()) == {"k": "v"}
        with pytest.raises(redis.ResponseError, match="No such file or directory"):
            r.config_set("dir", str(tmp_path / "missing"))
    finally:
        srv.stop()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_sqlite_config_set_dbfilename_then_writes(tmp_path):
    """A new SQLite file gets every key at the next save, and writes go on meanwhile."""
    srv = servers.start_with_retry(lambda: servers.PickledbdServer(tmp_path, dbfilename="a.sqlite3"))
    try:
        r = srv.client()
        r.set("old", "1")
        r.save()
        r.config_set("dbfilename", "b.sqlite3")
        assert r.set("new", "2") and r.hset("h", "f", "v") == 1     # once an internal error
        assert r.save()
        r.set("later", "3")
        assert r.save()                                              # incremental again
    finally:
        srv.stop()
    srv2 = servers.start_with_retry(lambda: servers.PickledbdServer(tmp_path, dbfilename="b.sqlite3"))
    try:
        r = srv2.client()
        assert r.mget("old", "new", "later") == [b"1", b"2", b"3"] and r.hget("h", "f") == b"v"
    finally:
        srv2.stop()


@pytest.mark.parametrize("wipe", [("FLUSHALL",), ("FLUSHDB",), ("SWAPDB", "0", "1")])
def test_sqlite_writes_after_a_whole_db_change_until_the_save(start_pickledbd, wipe):
    """A db marked for a full rewrite (None in the incremental save's key sets) took writes:
    every SET after FLUSHALL failed with an internal error until the next save."""
    srv = start_pickledbd("--dbfilename", "dump.sqlite3", "--save", "")
    r = srv.client()
    r.set("before", "1")
    r.execute_command(*wipe)
    assert r.set("a", "1") is True
    assert r.hset("h", "f", "v") == 1
    assert r.save() is True
    srv.restart()
    assert srv.client().get("a") == b"1"
