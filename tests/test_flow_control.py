"""A client that sends requests but does not read the replies cannot make pickledbd buffer
without bound: once its socket and a small transport buffer are full, its remaining
requests wait unread (in order) and its socket is not read, while every other client is
served. When it reads again, everything it asked for arrives, in order.

(redis-server, with the default ``client-output-buffer-limit normal 0 0 0``, buffers such a
client's replies in memory without limit; there is nothing to compare here.)"""
from __future__ import annotations

import socket
import time


def _rss(r) -> int:
    return r.info("memory")["used_memory_rss"]


def test_a_client_that_does_not_read_is_held_back_not_buffered(pickledbd_server):
    r = pickledbd_server.client()
    value = b"v" * (1 << 20)
    r.set("fc:big", value)
    hog = socket.create_connection((pickledbd_server.host, pickledbd_server.port))
    hog.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    try:
        before = _rss(r)
        n = 400                                   # 400 MB of replies asked for, none read
        hog.sendall(b"*2\r\n$3\r\nGET\r\n$6\r\nfc:big\r\n" * n)
        time.sleep(1.0)
        t0 = time.monotonic()
        assert r.ping()
        assert time.monotonic() - t0 < 0.5       # others are served at once
        grown = _rss(r) - before
        assert grown < 64 << 20, grown           # not the 400 MB the hog asked for
        hog_info = [c for c in r.client_list() if c["id"] != str(r.client_id())]
        assert len(hog_info) == 1
        assert 0 < int(hog_info[0]["omem"]) < 8 << 20     # about one reply waits in our buffers
        # now read everything: every reply arrives, complete and in order
        hog.settimeout(30)
        expected = b"$1048576\r\n" + value + b"\r\n"
        need = len(expected) * n
        got = 0
        buf = b""
        while got < need:
            chunk = hog.recv(1 << 20)
            assert chunk, "connection closed after %d of %d bytes" % (got, need)
            got += len(chunk)
            buf = (buf + chunk)[-len(expected) * 2:]
        assert got == need and buf.endswith(expected)
    finally:
        hog.close()
        r.delete("fc:big")


def test_pipelined_replies_leave_in_one_write_per_batch(pickledbd_server):
    """Small pipelined replies are not written one by one: a batch of 100 GETs arrives in
    (at most) a few reads of the socket."""
    r = pickledbd_server.client()
    r.set("fc:small", "x")
    s = socket.create_connection((pickledbd_server.host, pickledbd_server.port))
    try:
        s.sendall(b"*2\r\n$3\r\nGET\r\n$8\r\nfc:small\r\n" * 100)
        time.sleep(0.3)
        data = s.recv(1 << 20)
        assert data == b"$1\r\nx\r\n" * 100
    finally:
        s.close()
        r.delete("fc:small")


import pytest  # noqa: E402


@pytest.mark.parametrize("target", ["redis_server", "pickledbd_server"])
def test_normal_class_limit_when_configured_disconnects_as_redis(request, target):
    """``client-output-buffer-limit normal <hard> ...`` set: a client whose pending replies
    pass the hard limit is disconnected (Redis's semantics), on both servers."""
    srv = request.getfixturevalue(target)
    r = srv.client()
    r.set("fc:two", b"w" * (2 << 20))
    r.config_set("client-output-buffer-limit", "normal 1mb 0 0")
    hog = socket.create_connection((srv.host, srv.port))
    hog.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    try:
        hog.sendall(b"PING\r\n")
        assert hog.recv(64) == b"+PONG\r\n"           # the server knows the hog now
        hog.sendall(b"*2\r\n$3\r\nGET\r\n$6\r\nfc:two\r\n" * 20)     # 40 MB asked for, never read
        hog_addr = "%s:%d" % hog.getsockname()[:2]

        def hog_connected():
            return any(c["addr"] == hog_addr for c in r.client_list())

        deadline = time.time() + 10
        while time.time() < deadline and hog_connected():
            time.sleep(0.1)
        assert not hog_connected()
        assert r.ping()
    finally:
        r.config_set("client-output-buffer-limit", "normal 0 0 0")
        r.delete("fc:two")
        hog.close()


def test_with_the_aof_a_client_that_does_not_read_is_still_held_back(start_pickledbd):
    """With ``appendfsync always`` replies wait for the turn's AOF write before they leave:
    a client that writes and never reads must still be held back (not buffered), others
    served at once, and every acknowledged write be in the AOF."""
    srv = start_pickledbd("--appendonly", "yes", "--appendfsync", "always")
    r = srv.client()
    value = b"v" * (1 << 20)
    r.set("fc:big", value)
    hog = socket.create_connection((srv.host, srv.port))
    hog.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    try:
        before = _rss(r)
        n = 300                       # 300 MB of replies asked for, each after a write
        hog.sendall(b"*3\r\n$4\r\nINCR\r\n$6\r\nfc:ctr\r\n*2\r\n$3\r\nGET\r\n$6\r\nfc:big\r\n"
                    .replace(b"*3\r\n$4\r\nINCR", b"*2\r\n$4\r\nINCR") * n)
        time.sleep(1.0)
        t0 = time.monotonic()
        assert r.ping()
        assert time.monotonic() - t0 < 0.5
        assert _rss(r) - before < 64 << 20
        hog.settimeout(30)
        reply = b"$1048576\r\n" + value + b"\r\n"
        need = sum(len(b":%d\r\n" % i) + len(reply) for i in range(1, n + 1))
        got = 0
        while got < need:
            chunk = hog.recv(1 << 20)
            assert chunk, "connection closed after %d of %d bytes" % (got, need)
            got += len(chunk)
        assert got == need
        assert r.get("fc:ctr") == b"%d" % n
    finally:
        hog.close()
    srv.stop()
    srv.start()                       # the AOF is the source of truth at start
    assert srv.client().get("fc:ctr") == b"%d" % n
