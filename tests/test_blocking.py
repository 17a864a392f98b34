"""Blocking list commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP): waiter order, timeouts,
wake-ups by other clients and by EXEC, disconnects, BLMOVE chains, CLIENT UNBLOCK.
The scenarios run against pickledbd and, where the outcome is deterministic, redis-server."""
from __future__ import annotations

import socket
import time

import pytest

from raw_client import cmd, conn
from test_transcripts import Connection


@pytest.fixture(params=["pickledbd", "redis"])
def server(request):
    return request.getfixturevalue(request.param + "_server")


def send(c: Connection, *args) -> None:
    c.send_command([a if isinstance(a, bytes) else str(a).encode() for a in args])


def blocked_clients(c: Connection) -> int:
    kind, text = cmd(c, "INFO", "clients")
    for line in text.decode().splitlines():
        if line.startswith("blocked_clients:"):
            return int(line.split(":")[1])
    raise AssertionError("no blocked_clients in INFO")


def wait_blocked(ctl: Connection, n: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while blocked_clients(ctl) != n:
        assert time.monotonic() < deadline, "expected %d blocked clients" % n
        time.sleep(0.005)


def no_reply(c: Connection, wait: float = 0.1) -> bool:
    """True when nothing arrives on ``c`` within ``wait`` seconds."""
    if c.buf:
        return False
    c.sock.settimeout(wait)
    try:
        c.sock.recv(1, socket.MSG_PEEK)     # data, or b"" when closed: either is not silence
        return False
    except socket.timeout:
        return True
    finally:
        c.sock.settimeout(5)


@pytest.fixture
def ctl(server):
    c = conn(server)
    cmd(c, "FLUSHALL")
    yield c
    c.close()


def bulk(s):
    return ("bulk", s.encode() if isinstance(s, str) else s)


def test_push_wakes_first_blocked_first(server, ctl):
    waiters = [conn(server) for _ in range(3)]
    for i, w in enumerate(waiters):
        send(w, "BLPOP", "q", 0)
        wait_blocked(ctl, i + 1)
    assert cmd(ctl, "RPUSH", "q", "a", "b") == ("int", 2)
    assert waiters[0].read_reply() == ("array", [bulk("q"), bulk("a")])
    assert waiters[1].read_reply() == ("array", [bulk("q"), bulk("b")])
    assert no_reply(waiters[2])
    wait_blocked(ctl, 1)
    assert cmd(ctl, "LPUSH", "q", "c") == ("int", 1)
    assert waiters[2].read_reply() == ("array", [bulk("q"), bulk("c")])
    assert cmd(ctl, "EXISTS", "q") == ("int", 0)
    for w in waiters:
        w.close()


def test_several_keys_and_directions(server, ctl):
    a, b = conn(server), conn(server)
    send(a, "BRPOP", "k1", "k2", 0)
    wait_blocked(ctl, 1)
    send(b, "BLMPOP", 0, 2, "k1", "k2", "LEFT", "COUNT", 5)
    wait_blocked(ctl, 2)
    cmd(ctl, "RPUSH", "k2", "x", "y", "z")
    assert a.read_reply() == ("array", [bulk("k2"), bulk("z")])
    assert b.read_reply() == ("array", [bulk("k2"), ("array", [bulk("x"), bulk("y")])])
    a.close()
    b.close()


def test_timeouts_and_null_shapes(server, ctl):
    c2, c3 = conn(server), conn(server, proto=3)
    for c, null in ((c2, ("nil-array",)), (c3, ("null",))):
        t0 = time.monotonic()
        assert cmd(c, "BLPOP", "nokey", 0.1) == null
        assert 0.08 <= time.monotonic() - t0 < 2
        assert cmd(c, "BLMOVE", "nokey", "x", "LEFT", "RIGHT", 0.05) == null
        assert cmd(c, "BRPOPLPUSH", "nokey", "x", 0.05) == null
        assert cmd(c, "BLMPOP", 0.05, 1, "nokey", "LEFT") == null
    # the connection goes on normally after a timeout, pipelined requests included
    send(c2, "BLPOP", "nokey", 0.05)
    send(c2, "PING")
    assert c2.read_reply() == ("nil-array",)
    assert c2.read_reply() == ("status", b"PONG")
    assert blocked_clients(ctl) == 0
    c2.close()
    c3.close()


def test_requests_sent_while_blocked_run_after(server, ctl):
    w = conn(server)
    send(w, "BLPOP", "q", 0)
    send(w, "RPUSH", "other", "1")
    send(w, "GET", "nokey")
    wait_blocked(ctl, 1)
    assert cmd(ctl, "EXISTS", "other") == ("int", 0)
    cmd(ctl, "RPUSH", "q", "v")
    assert w.read_reply() == ("array", [bulk("q"), bulk("v")])
    assert w.read_reply() == ("int", 1)
    assert w.read_reply() == ("nil",)
    w.close()


def test_disconnect_while_blocked_is_forgotten(server, ctl):
    gone, stays = conn(server), conn(server)
    send(gone, "BLPOP", "q", 0)
    wait_blocked(ctl, 1)
    send(stays, "BLPOP", "q", 0)
    wait_blocked(ctl, 2)
    gone.close()
    wait_blocked(ctl, 1)
    cmd(ctl, "RPUSH", "q", "v")
    assert stays.read_reply() == ("array", [bulk("q"), bulk("v")])
    assert cmd(ctl, "LLEN", "q") == ("int", 0)
    stays.close()


def test_wake_up_after_exec(server, ctl):
    w = conn(server)
    send(w, "BLPOP", "q", 0)
    wait_blocked(ctl, 1)
    assert cmd(ctl, "MULTI") == ("status", b"OK")
    cmd(ctl, "RPUSH", "q", "a")
    cmd(ctl, "RPUSH", "q", "b")
    cmd(ctl, "LPOP", "q")
    assert no_reply(w)
    assert cmd(ctl, "EXEC") == ("array", [("int", 1), ("int", 2), bulk("a")])
    # served after the whole transaction: it sees the state EXEC left
    assert w.read_reply() == ("array", [bulk("q"), bulk("b")])
    w.close()


def test_ready_key_order_inside_exec(server, ctl):
    w = conn(server)
    send(w, "BLPOP", "k1", "k2", 0)
    wait_blocked(ctl, 1)
    cmd(ctl, "MULTI")
    cmd(ctl, "RPUSH", "k2", "x")
    cmd(ctl, "RPUSH", "k1", "y")
    cmd(ctl, "EXEC")
    # Redis serves the key that became ready first
    assert w.read_reply() == ("array", [bulk("k2"), bulk("x")])
    w.close()


def test_blocking_inside_multi_returns_at_once(server, ctl):
    cmd(ctl, "MULTI")
    for args in (("BLPOP", "nokey", 0), ("BRPOP", "nokey", 0),
                 ("BLMOVE", "nokey", "d", "LEFT", "LEFT", 0), ("BRPOPLPUSH", "nokey", "d", 0),
                 ("BLMPOP", 0, 1, "nokey", "LEFT")):
        assert cmd(ctl, *args) == ("status", b"QUEUED")
    # BLMOVE/BRPOPLPUSH answer a null bulk here, though their timeout reply is a null array
    assert cmd(ctl, "EXEC") == ("array", [("nil-array",), ("nil-array",), ("nil",), ("nil",),
                                          ("nil-array",)])


def test_lmove_from_another_client_wakes(server, ctl):
    w = conn(server)
    send(w, "BLPOP", "dst", 0)
    wait_blocked(ctl, 1)
    cmd(ctl, "RPUSH", "src", "a")
    assert cmd(ctl, "LMOVE", "src", "dst", "LEFT", "RIGHT") == bulk("a")
    assert w.read_reply() == ("array", [bulk("dst"), bulk("a")])
    w.close()


def test_blmove_chain(server, ctl):
    a, b = conn(server), conn(server)
    send(a, "BLMOVE", "src", "dst", "LEFT", "RIGHT", 0)
    wait_blocked(ctl, 1)
    send(b, "BLPOP", "dst", 0)
    wait_blocked(ctl, 2)
    cmd(ctl, "RPUSH", "src", "v")
    assert a.read_reply() == bulk("v")
    assert b.read_reply() == ("array", [bulk("dst"), bulk("v")])
    assert cmd(ctl, "EXISTS", "src", "dst") == ("int", 0)
    wait_blocked(ctl, 0)
    # a longer chain: src -> mid -> dst -> BRPOPLPUSH into "end"
    c1, c2, c3 = conn(server), conn(server), conn(server)
    send(c1, "BRPOPLPUSH", "s", "m", 0)
    wait_blocked(ctl, 1)
    send(c2, "BLMOVE", "m", "d", "RIGHT", "LEFT", 0)
    wait_blocked(ctl, 2)
    send(c3, "BRPOPLPUSH", "d", "end", 0)
    wait_blocked(ctl, 3)
    cmd(ctl, "LPUSH", "s", "x")
    assert c1.read_reply() == bulk("x")
    assert c2.read_reply() == bulk("x")
    assert c3.read_reply() == bulk("x")
    assert cmd(ctl, "LRANGE", "end", 0, -1) == ("array", [bulk("x")])
    for c in (a, b, c1, c2, c3):
        c.close()


def test_blmove_same_list_rotation_wakes(server, ctl):
    w = conn(server)
    send(w, "BLMOVE", "r", "r", "LEFT", "RIGHT", 0)
    wait_blocked(ctl, 1)
    cmd(ctl, "RPUSH", "r", "a", "b")
    assert w.read_reply() == bulk("a")
    assert cmd(ctl, "LRANGE", "r", 0, -1) == ("array", [bulk("b"), bulk("a")])
    w.close()


def test_key_of_another_type_keeps_waiter_blocked(server, ctl):
    # Redis 7.0 only serves list waiters from lists: a SET on the key does not wake them
    w = conn(server)
    send(w, "BLPOP", "k", 0)
    wait_blocked(ctl, 1)
    cmd(ctl, "SET", "k", "str")
    assert no_reply(w)
    cmd(ctl, "DEL", "k")
    cmd(ctl, "RPUSH", "k", "v")
    assert w.read_reply() == ("array", [bulk("k"), bulk("v")])
    w.close()


def test_blmove_wrongtype_destination_when_served(server, ctl):
    w = conn(server)
    send(w, "BLMOVE", "src", "dst", "LEFT", "LEFT", 0)
    wait_blocked(ctl, 1)
    cmd(ctl, "SET", "dst", "str")
    cmd(ctl, "RPUSH", "src", "v")
    kind, msg = w.read_reply()
    assert kind == "error" and msg.startswith(b"WRONGTYPE")
    assert cmd(ctl, "LRANGE", "src", 0, -1) == ("array", [bulk("v")])
    w.close()


def test_client_unblock(server, ctl):
    w = conn(server)
    _, wid = cmd(w, "CLIENT", "ID")
    send(w, "BLPOP", "q", 0)
    wait_blocked(ctl, 1)
    assert cmd(ctl, "CLIENT", "UNBLOCK", wid) == ("int", 1)
    assert w.read_reply() == ("nil-array",)
    send(w, "BRPOP", "q", 0)
    wait_blocked(ctl, 1)
    assert cmd(ctl, "CLIENT", "UNBLOCK", wid, "ERROR") == ("int", 1)
    assert w.read_reply() == ("error", b"UNBLOCKED client unblocked via CLIENT UNBLOCK")
    assert cmd(ctl, "CLIENT", "UNBLOCK", wid) == ("int", 0)
    assert blocked_clients(ctl) == 0
    w.close()


def test_timeout_then_push_goes_to_next(server, ctl):
    short, long_ = conn(server), conn(server)
    send(short, "BLPOP", "q", 0.1)
    wait_blocked(ctl, 1)
    send(long_, "BLPOP", "q", 0)
    wait_blocked(ctl, 2)
    assert short.read_reply() == ("nil-array",)
    wait_blocked(ctl, 1)
    cmd(ctl, "RPUSH", "q", "v")
    assert long_.read_reply() == ("array", [bulk("q"), bulk("v")])
    short.close()
    long_.close()


def test_select_db_isolation(server, ctl):
    w = conn(server)
    cmd(w, "SELECT", 1)
    send(w, "BLPOP", "q", 0)
    wait_blocked(ctl, 1)
    cmd(ctl, "RPUSH", "q", "db0")
    assert no_reply(w)
    cmd(ctl, "SELECT", 1)
    cmd(ctl, "RPUSH", "q", "db1")
    assert w.read_reply() == ("array", [bulk("q"), bulk("db1")])
    cmd(ctl, "SELECT", 0)
    w.close()


def test_many_waiters_with_asyncio(server):
    import asyncio

    import redis.asyncio as aioredis

    async def main():
        pool = aioredis.ConnectionPool(host=server.host, port=server.port, max_connections=50)
        r = aioredis.Redis(connection_pool=pool)
        await r.flushall()
        tasks = []
        for i in range(20):
            tasks.append(asyncio.create_task(
                aioredis.Redis(host=server.host, port=server.port).blpop(["aq"], timeout=5)))
        for _ in range(200):
            if (await r.info("clients"))["blocked_clients"] == 20:
                break
            await asyncio.sleep(0.01)
        await r.rpush("aq", *range(20))
        got = await asyncio.gather(*tasks)
        assert sorted(int(v) for _, v in got) == list(range(20))
        await r.aclose() if hasattr(r, "aclose") else await r.close()

    asyncio.run(main())
