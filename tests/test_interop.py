"""Library <-> daemon interoperability through the shared file (docs/storage-contract.md).

- values written by the library (``PickleDB(path).set(...)``, ``save()``) read back over the
  wire by a daemon started on that file;
- data written over the wire, then SAVE (or SHUTDOWN SAVE), read by the library;
- a library load/save round trip of a daemon-written file keeps everything the library does
  not use (binary keys and values, TTLs, other databases, sets, sorted sets), checked by
  restarting the daemon on it.

Every test runs on both backends: the JSON file and the SQLite store (``--dbfilename
dump.sqlite3``).
"""
from __future__ import annotations

import json
import sqlite3
import time

import pytest
import redis

from diff_resp import RawClient, plain
from pickledbd import PickleDB
from pickledbd.storage import ScoreDict

BACKENDS = [pytest.param("dump.json", id="json"), pytest.param("dump.sqlite3", id="sqlite")]

INF = float("inf")


def start_on(start_pickledbd, directory, filename):
    return start_pickledbd("--dbfilename", filename, dir=directory)


def raw(c, *args):
    """One command over a raw RESP connection, reply without any redis-py post-processing."""
    kw = c.connection_pool.connection_kwargs
    with RawClient(kw["host"], kw["port"]) as rc:
        if kw.get("db"):
            rc.call("SELECT", kw["db"])
        return plain(rc.call(*args))


def shutdown_save(srv) -> None:
    """SHUTDOWN SAVE over the wire, then wait for the process to exit on its own."""
    c = srv.client()
    try:
        c.execute_command("SHUTDOWN", "SAVE")
    except redis.ConnectionError:
        pass  # the server closes the connection instead of replying
    rc = srv.proc.wait(15)
    assert rc == 0, srv.log_text()
    srv.stop()


def file_snapshot(path):
    """The file's contents in a comparable form: parsed JSON, or the SQLite kv rows."""
    if path.suffix == ".json":
        return json.loads(path.read_bytes())
    con = sqlite3.connect(str(path))
    try:
        return sorted(con.execute("SELECT db, key, type, value, expire_ms FROM kv").fetchall())
    finally:
        con.close()


# --------------------------------------------------------------------------------------
# library -> daemon
@pytest.mark.parametrize("filename", BACKENDS)
def test_library_values_read_over_the_wire(start_pickledbd, tmp_path, filename):
    path = tmp_path / filename
    db = PickleDB(str(path))
    db.set("s", "hello")
    db.set("i", 42)
    db.set("neg", -7)
    db.set("f", 3.5)
    db.set("t", True)
    db.set("false", False)
    db.set("n", None)
    db.set("theme", {"color": "blue", "count": 5})
    db.set("tasks", ["a", "b"])
    db.set("price", 0.1)
    db.set("uni", "héllo ✓ 日本 🎉")
    db.set("ключ", "значение")
    db.set("empty", "")
    db.set("tags", {"x", "y", "z"})
    db.set("board", ScoreDict({"alice": 10.0, "bob": INF, "carol": -2.5}))
    db.set("nested", {"a": {"b": 1}, "l": [1, 2]})
    assert db.save() is True
    db.close()

    srv = start_on(start_pickledbd, tmp_path, filename)
    c = srv.client()
    assert c.dbsize() == 16
    assert c.get("price") == b"0.1"
    assert c.get("s") == b"hello"
    assert c.get("i") == b"42"
    assert c.type("i") == b"string"
    assert c.get("neg") == b"-7"
    assert c.get("f") == b"3.5"
    assert c.get("t") == b"true"
    assert c.get("false") == b"false"
    assert c.get("n") == b"null"
    assert c.strlen("i") == 2
    assert c.get("uni") == "héllo ✓ 日本 🎉".encode()
    assert c.get("ключ".encode()) == "значение".encode()
    assert c.get("empty") == b""
    assert c.type("theme") == b"hash"
    assert raw(c, "HGETALL", "theme") == [b"color", b"blue", b"count", b"5"]
    assert c.hget("theme", "count") == b"5"
    assert c.type("tasks") == b"list"
    assert c.lrange("tasks", 0, -1) == [b"a", b"b"]
    assert c.type("tags") == b"set"
    assert c.smembers("tags") == {b"x", b"y", b"z"}
    assert c.type("board") == b"zset"
    assert raw(c, "ZRANGE", "board", 0, -1, "WITHSCORES") == [
        b"carol", b"-2.5", b"alice", b"10", b"bob", b"inf"]
    assert c.type("nested") == b"hash"
    assert c.hget("nested", "a") == b'{"b":1}'
    assert c.ttl("s") == -1

    # Arithmetic on library-written numbers.
    assert c.incr("i") == 43
    assert c.incrbyfloat("f", 1) == 4.5
    assert c.hincrby("theme", "count", 2) == 7
    assert raw(c, "SAVE") == b"OK"

    db = PickleDB(str(path)).load()
    assert int(db.get("i")) == 43
    assert float(db.get("f")) == 4.5
    assert int(db.get("theme")["count"]) == 7
    # Keys the daemon did not modify keep their JSON types.
    assert db.get("neg") == -7 and type(db.get("neg")) is int
    assert db.get("t") is True and db.get("false") is False
    assert db.get("n") is None and "n" in db
    assert db.get("price") == 0.1
    assert db.get("nested") == {"a": {"b": 1}, "l": [1, 2]}
    assert db.get("tags") == {"x", "y", "z"} and isinstance(db.get("tags"), set)
    assert db.get("board") == {"alice": 10.0, "bob": INF, "carol": -2.5}
    assert isinstance(db.get("board"), ScoreDict)
    assert db.get("uni") == "héllo ✓ 日本 🎉"
    db.close()


@pytest.mark.parametrize("filename", BACKENDS)
def test_library_non_string_list_and_set_items_read_as_strings(start_pickledbd, tmp_path,
                                                                filename):
    """List items and set members the library stored as JSON numbers/booleans/null are Redis
    strings (their JSON text) over the wire, as hash field values already are: LRANGE must
    reply bulk strings (never RESP integers, nulls or nested arrays) and LPOS/LREM/SISMEMBER
    must find them by that text."""
    path = tmp_path / filename
    db = PickleDB(str(path))
    db.set("scores", [3, 1.5, True, None, "x"])
    db.set("ids", {1, 2, "x"})
    db.set("h", {"i": 5, "b": True, "n": None})
    db.save()
    db.close()

    srv = start_on(start_pickledbd, tmp_path, filename)
    c = srv.client()
    assert raw(c, "HGETALL", "h") == [b"i", b"5", b"b", b"true", b"n", b"null"]
    assert raw(c, "LRANGE", "scores", 0, -1) == [b"3", b"1.5", b"true", b"null", b"x"]
    assert raw(c, "LINDEX", "scores", 0) == b"3"
    assert raw(c, "LPOS", "scores", "3") == 0
    assert sorted(raw(c, "SMEMBERS", "ids")) == [b"1", b"2", b"x"]
    assert raw(c, "SISMEMBER", "ids", "1") == 1
    assert raw(c, "LREM", "scores", 0, "null") == 1
    assert raw(c, "RPOP", "scores") == b"x"


# --------------------------------------------------------------------------------------
# daemon -> library -> daemon
def write_over_the_wire(c) -> None:
    c.set("greeting", "hello")
    c.set("uni", "héllo ✓ 日本".encode())
    c.set("bin", b"\x00\xff\xfe")                      # not UTF-8
    c.set(b"key\xff", b"binary key")                   # a non-UTF-8 key name
    c.set("__pickledbd__", "reserved name")            # the reserved key, as a Redis key
    c.hset("theme", mapping={"color": "blue", "size": "10"})
    c.hset("binhash", mapping={b"f\xff": b"v", b"g": b"\x80"})
    c.rpush("tasks", "a", "b")
    c.rpush("binlist", b"\xff", b"ok")
    c.sadd("tags", "x", "y")
    c.sadd("intset", 1, 2, 3)
    c.zadd("board", {"alice": 10, "bob": INF, "carol": -INF, "dave": 2.5})
    c.zadd("binz", {b"\xfe": 1})
    c.set("temp", "v", ex=1000)
    c.hset("temphash", "f", "v")
    c.pexpire("temphash", 2_000_000)
    c.execute_command("SELECT", 3)
    c.set("k3", "v3")
    c.rpush("l3", "x")
    c.execute_command("SELECT", 0)


def check_daemon_data(c, *, library_edits: bool) -> None:
    assert c.get("greeting") == (None if library_edits else b"hello")
    assert c.get("uni") == "héllo ✓ 日本".encode()
    assert c.get("bin") == b"\x00\xff\xfe"
    assert c.get(b"key\xff") == b"binary key"
    assert c.get("__pickledbd__") == b"reserved name"
    assert raw(c, "HGETALL", "theme") == [b"color", b"blue", b"size", b"10"]
    assert c.hgetall("binhash") == {b"f\xff": b"v", b"g": b"\x80"}
    assert c.lrange("tasks", 0, -1) == [b"a", b"b"]
    assert c.lrange("binlist", 0, -1) == [b"\xff", b"ok"]
    assert c.smembers("tags") == {b"x", b"y"}
    assert c.smembers("intset") == {b"1", b"2", b"3"}
    assert raw(c, "ZRANGE", "board", 0, -1, "WITHSCORES") == [
        b"carol", b"-inf", b"dave", b"2.5", b"alice", b"10", b"bob", b"inf"]
    assert raw(c, "ZRANGE", "binz", 0, -1, "WITHSCORES") == [b"\xfe", b"1"]
    assert 900 <= c.ttl("temp") <= 1000
    assert 1_900_000 <= c.pttl("temphash") <= 2_000_000
    assert c.ttl("greeting") in (-1, -2)
    assert c.ttl("tasks") == -1
    for key, typ in [("theme", b"hash"), ("tasks", b"list"), ("tags", b"set"),
                     ("board", b"zset"), ("bin", b"string"), ("binhash", b"hash")]:
        assert c.type(key) == typ, key
    if library_edits:
        assert c.hgetall("added") == {b"x": b"1"}
        assert c.lrange("added_list", 0, -1) == [b"p", b"q"]
        assert c.get("added_int") == b"7"
        assert c.incr("added_int") == 8
    c.execute_command("SELECT", 3)
    assert c.get("k3") == b"v3"
    assert c.lrange("l3", 0, -1) == [b"x"]
    assert c.dbsize() == 2
    c.execute_command("SELECT", 0)


@pytest.mark.parametrize("how", ["save", "shutdown"])
@pytest.mark.parametrize("filename", BACKENDS)
def test_daemon_data_read_by_library_and_round_trip(start_pickledbd, tmp_path, filename, how):
    path = tmp_path / filename
    srv = start_on(start_pickledbd, tmp_path, filename)
    c = srv.client()
    write_over_the_wire(c)
    if how == "save":
        assert raw(c, "SAVE") == b"OK"
        srv.stop()
    else:
        shutdown_save(srv)
    assert path.exists()

    # The library's view of database 0.
    db = PickleDB(str(path)).load()
    assert db.get("greeting") == "hello"
    assert db.get("uni") == "héllo ✓ 日本"
    assert db.get("theme") == {"color": "blue", "size": "10"}
    assert db.get("tasks") == ["a", "b"]
    assert db.get("tags") == {"x", "y"} and isinstance(db.get("tags"), set)
    assert db.get("intset") == {"1", "2", "3"}
    board = db.get("board")
    assert isinstance(board, ScoreDict)
    assert board == {"alice": 10.0, "bob": INF, "carol": -INF, "dave": 2.5}
    assert db.get("temp") == "v"
    assert db.get("temphash") == {"f": "v"}
    assert "k3" not in db  # database 3 is not the library's
    before = file_snapshot(path)

    # A plain load/save round trip changes nothing in the file.
    assert db.save() is True
    db.close()
    assert file_snapshot(path) == before

    # Library edits; everything else must survive.
    db = PickleDB(str(path)).load()
    assert db.remove("greeting") is True
    db.set("added", {"x": 1})
    db.set("added_list", ["p", "q"])
    db.set("added_int", 7)
    assert db.save() is True
    db.close()

    srv.restart()
    check_daemon_data(srv.client(), library_edits=True)


@pytest.mark.parametrize("filename", BACKENDS)
def test_library_drops_expired_keys_and_keeps_live_ttls(start_pickledbd, tmp_path, filename):
    path = tmp_path / filename
    srv = start_on(start_pickledbd, tmp_path, filename)
    c = srv.client()
    c.set("short", "gone", px=300)
    c.set("long", "stays", ex=5000)
    c.set("plain", "p")
    assert raw(c, "SAVE") == b"OK"
    srv.stop()
    time.sleep(0.4)

    db = PickleDB(str(path)).load()
    assert "short" not in db
    assert db.get("long") == "stays"
    db.set("plain", "p2")      # a set drops nothing but that key's own expiry (it has none)
    assert db.save() is True
    db.close()

    srv.restart()
    c = srv.client()
    assert c.exists("short") == 0
    assert 4900 <= c.ttl("long") <= 5000
    assert c.get("plain") == b"p2"
    assert c.ttl("plain") == -1


@pytest.mark.parametrize("filename", BACKENDS)
def test_library_set_drops_expiry_of_that_key(start_pickledbd, tmp_path, filename):
    path = tmp_path / filename
    srv = start_on(start_pickledbd, tmp_path, filename)
    c = srv.client()
    c.set("session", "old", ex=1000)
    c.set("other", "o", ex=1000)
    assert raw(c, "SAVE") == b"OK"
    srv.stop()

    db = PickleDB(str(path)).load()
    db.set("session", "new")
    db.save()
    db.close()

    srv.restart()
    c = srv.client()
    assert c.get("session") == b"new"
    assert c.ttl("session") == -1
    assert 900 <= c.ttl("other") <= 1000


@pytest.mark.parametrize("filename", BACKENDS)
def test_library_purge_keeps_other_databases(start_pickledbd, tmp_path, filename):
    path = tmp_path / filename
    srv = start_on(start_pickledbd, tmp_path, filename)
    c = srv.client()
    c.set("a", "1")
    c.execute_command("SELECT", 5)
    c.set("b", "2")
    assert raw(c, "SAVE") == b"OK"
    srv.stop()

    db = PickleDB(str(path)).load()
    assert db.all() == ["a"]
    db.purge()
    db.save()
    db.close()

    srv.restart()
    c = srv.client()
    assert c.dbsize() == 0
    c.execute_command("SELECT", 5)
    assert c.get("b") == b"2"


def test_json_file_written_by_library_only_stays_plain(start_pickledbd, tmp_path):
    """A daemon loading and saving a library-only file (no sets, TTLs, ...) keeps it a plain
    JSON object that upstream pickleDB reads."""
    path = tmp_path / "dump.json"
    db = PickleDB(str(path))
    db.set("user:1", {"name": "Alice", "age": 30})
    db.set("tasks", ["Write code", "Deploy"])
    db.set("count", 3)
    db.save()
    db.close()
    original = json.loads(path.read_bytes())

    srv = start_on(start_pickledbd, tmp_path, "dump.json")
    c = srv.client()
    assert c.hget("user:1", "name") == b"Alice"
    assert raw(c, "SAVE") == b"OK"
    srv.stop()
    assert json.loads(path.read_bytes()) == original
