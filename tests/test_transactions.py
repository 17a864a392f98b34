"""MULTI / EXEC / DISCARD / WATCH / UNWATCH, run on pickledbd and redis-server alike."""
from __future__ import annotations

import time

import pytest

from test_hashes import assert_same
from raw_client import cmd, conn


@pytest.fixture(params=["pickledbd", "redis"])
def server(request):
    return request.getfixturevalue(request.param + "_server")


OK = ("status", b"OK")
QUEUED = ("status", b"QUEUED")


@pytest.fixture
def pair(server):
    a, b = conn(server), conn(server)
    cmd(a, "FLUSHALL")
    yield a, b
    a.close()
    b.close()


def test_errors_and_replies_match_redis(redis_server, pickledbd_server):
    assert_same(redis_server, pickledbd_server, r"""
        exec
        discard
        multi
        multi
        watch k
        set k v
        incr k
        lpush k x
        get k
        exec
        multi
        set a 1
        nosuchcommand
        get a
        exec
        get a
        multi
        set a 1
        get
        exec
        multi
        hset h f v
        hgetall h
        lrange nokey 0 -1
        lpop nokey 2
        discard
        exists h
        multi
        exec
        watch
        unwatch
        watch a b a
        multi
        unwatch
        exec
        multi
        ping
        echo x
        exec
    """)


def test_exec_runs_queue_in_order(pair):
    a, b = pair
    assert cmd(a, "MULTI") == OK
    assert cmd(a, "RPUSH", "l", "x") == QUEUED
    assert cmd(a, "RPUSH", "l", "y") == QUEUED
    assert cmd(a, "LRANGE", "l", 0, -1) == QUEUED
    assert cmd(b, "EXISTS", "l") == ("int", 0)          # nothing ran yet
    assert cmd(a, "EXEC") == ("array", [("int", 1), ("int", 2),
                                        ("array", [("bulk", b"x"), ("bulk", b"y")])])


def test_discard_and_execabort(pair):
    a, b = pair
    cmd(a, "MULTI")
    cmd(a, "SET", "k", "v")
    assert cmd(a, "DISCARD") == OK
    assert cmd(a, "EXISTS", "k") == ("int", 0)
    cmd(a, "MULTI")
    cmd(a, "SET", "k", "v")
    assert cmd(a, "SET", "k") == ("error", b"ERR wrong number of arguments for 'set' command")
    assert cmd(a, "EXEC") == ("error", b"EXECABORT Transaction discarded because of previous errors.")
    assert cmd(a, "EXISTS", "k") == ("int", 0)
    assert cmd(a, "EXEC") == ("error", b"ERR EXEC without MULTI")


def test_watch_conflict_aborts(pair):
    a, b = pair
    cmd(a, "SET", "k", "1")
    assert cmd(a, "WATCH", "k") == OK
    cmd(b, "SET", "k", "2")
    cmd(a, "MULTI")
    cmd(a, "SET", "k", "3")
    assert cmd(a, "EXEC") == ("nil-array",)
    assert cmd(a, "GET", "k") == ("bulk", b"2")
    # watches are gone after EXEC: the next transaction runs
    cmd(a, "MULTI")
    cmd(a, "SET", "k", "3")
    assert cmd(a, "EXEC") == ("array", [OK])


def test_watch_conflict_resp3_null(server):
    a, b = conn(server, proto=3), conn(server)
    cmd(a, "FLUSHALL")
    cmd(a, "WATCH", "k")
    cmd(b, "LPUSH", "k", "x")
    cmd(a, "MULTI")
    cmd(a, "PING")
    assert cmd(a, "EXEC") == ("null",)
    a.close()
    b.close()


def test_watch_without_change_and_own_writes(pair):
    a, b = pair
    cmd(a, "WATCH", "k", "h", "l")
    cmd(b, "GET", "k")                    # reads do not count
    cmd(b, "SET", "other", "x")
    cmd(a, "MULTI")
    cmd(a, "SET", "k", "1")
    assert cmd(a, "EXEC") == ("array", [OK])
    # in-place changes of collections count
    for write in (("HSET", "h", "f", "v"), ("RPUSH", "l", "x"), ("LPOP", "l"),
                  ("HDEL", "h", "f"), ("DEL", "k"), ("EXPIRE", "other", 100)):
        key = write[1]
        if write[0] == "LPOP":
            cmd(b, "RPUSH", "l", "y")
        cmd(a, "WATCH", key)
        cmd(b, *write)
        cmd(a, "MULTI")
        cmd(a, "PING")
        assert cmd(a, "EXEC") == ("nil-array",), write


def test_unwatch_and_discard_forget_watches(pair):
    a, b = pair
    cmd(a, "WATCH", "k")
    cmd(b, "SET", "k", "1")
    assert cmd(a, "UNWATCH") == OK
    cmd(a, "MULTI")
    cmd(a, "PING")
    assert cmd(a, "EXEC") == ("array", [("status", b"PONG")])
    cmd(a, "WATCH", "k")
    cmd(a, "MULTI")
    cmd(a, "DISCARD")
    cmd(b, "SET", "k", "2")
    cmd(a, "MULTI")
    cmd(a, "PING")
    assert cmd(a, "EXEC") == ("array", [("status", b"PONG")])


def test_watch_missing_key_then_created(pair):
    a, b = pair
    cmd(a, "WATCH", "k")
    cmd(b, "RPUSH", "k", "x")
    cmd(a, "MULTI")
    cmd(a, "PING")
    assert cmd(a, "EXEC") == ("nil-array",)


def test_watch_other_db(pair):
    a, b = pair
    cmd(a, "SELECT", 1)
    cmd(a, "WATCH", "k")
    cmd(b, "SET", "k", "db0")            # db 0: not the watched key
    cmd(a, "MULTI")
    cmd(a, "PING")
    assert cmd(a, "EXEC") == ("array", [("status", b"PONG")])
    cmd(a, "WATCH", "k")
    cmd(b, "SELECT", 1)
    cmd(b, "SET", "k", "db1")
    cmd(a, "MULTI")
    cmd(a, "PING")
    assert cmd(a, "EXEC") == ("nil-array",)
    cmd(a, "SELECT", 0)


def test_flushall_and_flushdb_touch_watchers(pair):
    a, b = pair
    for flush in ("FLUSHALL", "FLUSHDB"):
        cmd(a, "SET", "k", "v")
        cmd(a, "WATCH", "k")
        cmd(b, flush)
        cmd(a, "MULTI")
        cmd(a, "PING")
        assert cmd(a, "EXEC") == ("nil-array",), flush
    # flushing a db where the watched key does not exist is no change
    cmd(a, "WATCH", "k")
    cmd(b, "FLUSHALL")
    cmd(a, "MULTI")
    cmd(a, "PING")
    assert cmd(a, "EXEC") == ("array", [("status", b"PONG")])


def test_watched_key_expiring_counts(pair):
    a, b = pair
    cmd(a, "SET", "k", "v", "PX", 50)
    cmd(a, "WATCH", "k")
    time.sleep(0.12)
    cmd(a, "MULTI")
    cmd(a, "PING")
    assert cmd(a, "EXEC") == ("nil-array",)
    # a key already expired when watched is no change when it is then removed
    cmd(a, "SET", "k2", "v", "PX", 10)
    time.sleep(0.05)
    cmd(a, "WATCH", "k2")
    cmd(b, "GET", "k2")
    cmd(a, "MULTI")
    cmd(a, "PING")
    assert cmd(a, "EXEC") == ("array", [("status", b"PONG")])


def test_watch_inside_multi_and_nested_multi_do_not_abort(pair):
    a, _ = pair
    cmd(a, "MULTI")
    assert cmd(a, "WATCH", "k") == ("error", b"ERR WATCH inside MULTI is not allowed")
    assert cmd(a, "MULTI") == ("error", b"ERR MULTI calls can not be nested")
    cmd(a, "SET", "k", "v")
    assert cmd(a, "EXEC") == ("array", [OK])


def test_runtime_errors_inside_exec_are_replies(pair):
    a, _ = pair
    cmd(a, "SET", "s", "v")
    cmd(a, "MULTI")
    cmd(a, "LPUSH", "s", "x")
    cmd(a, "INCR", "s")
    cmd(a, "SET", "t", "1")
    assert cmd(a, "EXEC") == ("array", [
        ("error", b"WRONGTYPE Operation against a key holding the wrong kind of value"),
        ("error", b"ERR value is not an integer or out of range"), OK])
    assert cmd(a, "GET", "t") == ("bulk", b"1")


def test_select_inside_exec(pair):
    a, _ = pair
    cmd(a, "MULTI")
    cmd(a, "SELECT", 2)
    cmd(a, "SET", "k", "db2")
    assert cmd(a, "EXEC") == ("array", [OK, OK])
    assert cmd(a, "GET", "k") == ("bulk", b"db2")
    cmd(a, "SELECT", 0)
    assert cmd(a, "GET", "k") == ("nil",)


def test_reset_leaves_multi_and_watches(pair):
    a, b = pair
    cmd(a, "WATCH", "k")
    cmd(a, "MULTI")
    cmd(a, "SET", "k", "1")
    assert cmd(a, "RESET") == ("status", b"RESET")
    assert cmd(a, "EXEC") == ("error", b"ERR EXEC without MULTI")
    cmd(b, "SET", "k", "2")
    cmd(a, "MULTI")
    cmd(a, "PING")
    assert cmd(a, "EXEC") == ("array", [("status", b"PONG")])


def test_disconnect_forgets_watches(pickledbd_server):
    a, b = conn(pickledbd_server), conn(pickledbd_server)
    cmd(a, "FLUSHALL")
    for i in range(50):
        cmd(a, "WATCH", "w%d" % i)
    a.close()
    time.sleep(0.1)
    for i in range(50):
        cmd(b, "SET", "w%d" % i, "x")     # must not touch a dead client
    assert cmd(b, "PING") == ("status", b"PONG")
    b.close()
