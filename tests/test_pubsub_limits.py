"""Pub/sub under pressure, side by side with redis-server 7.0.15: output buffer limits for
subscribers that do not read (client-output-buffer-limit pubsub, hard and soft), CLIENT LIST
omem, and hostile clients (10k channels in one SUBSCRIBE, a 50 MB message, a pattern built
to backtrack, unsubscribing with messages queued, a subscriber killed mid-flood)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from pubsub_client import Conn, enc, frame, rss_kb, wait_until

pytestmark = pytest.mark.timeout(120)

MSG = b"x" * 1000
FRAME = len(frame("message", "flood", MSG))


@pytest.fixture(params=["pickledbd", "redis"])
def srv(request):
    return request.getfixturevalue("pickledbd_server" if request.param == "pickledbd" else "redis_server")


@pytest.fixture
def limits(srv):
    r = srv.client()
    old = r.config_get("client-output-buffer-limit")["client-output-buffer-limit"]
    yield r
    r.config_set("client-output-buffer-limit", old)


class Reader(threading.Thread):
    """Reads a socket as fast as it can, counting bytes, until EOF or ``stop``."""

    def __init__(self, conn: Conn):
        super().__init__(daemon=True)
        self.conn, self.bytes, self.eof, self.stop = conn, 0, False, False

    def run(self):
        s = self.conn.sock
        s.settimeout(0.2)
        while not self.stop:
            try:
                chunk = s.recv(1 << 20)
            except TimeoutError:
                continue
            except OSError:
                chunk = b""
            if not chunk:
                self.eof = True
                return
            self.bytes += len(chunk)


def publish_batch(pub: Conn, channel: str, n: int, msg: bytes = MSG) -> list:
    pub.send_raw(enc("PUBLISH", channel, msg) * n)
    return [pub.read_reply() for _ in range(n)]


def subscribe(conn: Conn, channel: str) -> None:
    conn.send("SUBSCRIBE", channel)
    conn.expect(frame("subscribe", channel, 1))


# ------------------------------------------------------------------ hard limit
def test_non_reading_subscriber_is_dropped_at_the_hard_limit(srv, limits):
    """Default limits (pubsub 32mb 8mb 60): a subscriber that never reads while a publisher
    floods is disconnected; the publisher and a reading subscriber carry on; the server's
    memory stays bounded."""
    r = limits
    dropped_before = r.info("stats").get("client_output_buffer_limit_disconnections")
    slow = Conn(srv, rcvbuf=4096)
    subscribe(slow, "flood")
    good = Conn(srv)
    subscribe(good, "flood")
    reader = Reader(good)
    reader.start()
    pub = Conn(srv)
    rss0 = rss_kb(srv.proc.pid)
    peak = rss0
    sent, counts = 0, []
    for _ in range(120):                   # up to 120 MB: far past the 32 MB hard limit
        counts = publish_batch(pub, "flood", 1000)
        sent += 1000
        peak = max(peak, rss_kb(srv.proc.pid))
        if counts[-1] == (":", 1):
            break
    assert counts[-1] == (":", 1), "the non-reading subscriber was never disconnected"
    for _ in range(5):                     # the flood goes on for the others
        assert publish_batch(pub, "flood", 1000)[-1] == (":", 1)
        sent += 1000
    wait_until(lambda: reader.bytes >= sent * FRAME, timeout=30)
    assert reader.bytes == sent * FRAME and not reader.eof
    assert pub.call("PING") == ("+", b"PONG")
    got = slow.closed()
    assert got < 48 << 20                  # what it was sent before the limit cut it off
    assert r.pubsub_numsub("flood") == [(b"flood", 1)]
    if dropped_before is not None:         # Redis 7.0 has no such INFO field (7.2 has)
        assert r.info("stats")["client_output_buffer_limit_disconnections"] == dropped_before + 1
    growth_mb = (peak - rss0) / 1024
    print("\n%s: RSS grew %.0f MB during the flood (%d messages of 1000 bytes)"
          % (type(srv).__name__, growth_mb, sent))
    assert growth_mb < 160
    reader.stop = True
    reader.join(5)
    good.close()
    pub.close()


def test_soft_limit_for_soft_seconds(srv, limits):
    """pubsub 0 1mb 2: over the soft limit for 2 seconds (checked as output is added)."""
    r = limits
    r.config_set("client-output-buffer-limit", "pubsub 0 1mb 2")
    slow = Conn(srv, rcvbuf=4096)
    subscribe(slow, "soft")
    pub = Conn(srv)
    assert publish_batch(pub, "soft", 10000)[-1] == (":", 1)     # ~10 MB: far over 1 MB
    t0 = time.monotonic()
    while True:
        n = pub.call("PUBLISH", "soft", "tick")[1]
        elapsed = time.monotonic() - t0
        if n == 0 or elapsed > 8:
            break
        time.sleep(0.05)
    assert n == 0, "still connected after %.1fs over the soft limit" % elapsed
    print("\n%s: dropped %.2fs after the burst" % (type(srv).__name__, elapsed))
    assert 0.8 <= elapsed <= 4.5
    slow.closed()
    pub.close()


def test_below_the_soft_limit_for_long_enough_is_kept(srv, limits):
    r = limits
    r.config_set("client-output-buffer-limit", "pubsub 0 64mb 1")
    slow = Conn(srv, rcvbuf=4096)
    subscribe(slow, "keep")
    pub = Conn(srv)
    publish_batch(pub, "keep", 4000)                 # 4 MB: under the soft limit
    time.sleep(1.3)
    assert pub.call("PUBLISH", "keep", "tick") == (":", 1)
    reader = Reader(slow)
    reader.start()
    wait_until(lambda: reader.bytes >= 4000 * len(frame("message", "keep", MSG))
               + len(frame("message", "keep", "tick")), timeout=20)
    reader.stop = True
    reader.join(5)
    slow.close()
    pub.close()


def test_omem_grows_for_a_slow_reader(srv, limits):
    r = limits
    slow = Conn(srv, rcvbuf=4096)
    sid = slow.call("CLIENT", "ID")[1]
    subscribe(slow, "omem")
    pub = Conn(srv)

    def omem():
        return int(next(c for c in r.client_list() if int(c["id"]) == sid)["omem"])

    publish_batch(pub, "omem", 8000)                 # 8 MB: more than the sockets hold
    first = wait_until(omem)
    publish_batch(pub, "omem", 4000)
    second = omem()
    print("\n%s: omem %d -> %d" % (type(srv).__name__, first, second))
    assert first > 1 << 20 and second > first + (2 << 20)
    entry = next(c for c in r.client_list() if int(c["id"]) == sid)
    assert entry["flags"] == "P" and entry["sub"] == "1"
    slow.close()
    pub.close()


# ------------------------------------------------------------------ hostile clients
def test_ten_thousand_channels_in_one_subscribe(srv):
    n = 10000
    names = ["c:%05d" % i for i in range(n)]
    c = Conn(srv)
    t = time.monotonic()
    c.send("SUBSCRIBE", *names)
    c.expect(b"".join(frame("subscribe", name, i + 1) for i, name in enumerate(names)))
    sub_time = time.monotonic() - t
    r = srv.client()
    assert r.pubsub_numsub("c:00000", "c:09999", "c:10000") == [(b"c:00000", 1), (b"c:09999", 1),
                                                                (b"c:10000", 0)]
    assert r.publish("c:04242", "m") == 1
    c.expect(frame("message", "c:04242", "m"))
    t = time.monotonic()
    c.send("UNSUBSCRIBE")
    replies = [c.read_reply() for _ in range(n)]
    unsub_time = time.monotonic() - t
    # the order of a bulk unsubscribe is the server's (Redis: hash order); counts go down
    assert sorted(x[1][1][1] for x in replies) == [name.encode() for name in names]
    assert [x[1][2][1] for x in replies] == list(range(n - 1, -1, -1))
    c.quiet(0.05)
    print("\n%s: SUBSCRIBE 10k %.3fs, UNSUBSCRIBE all %.3fs" % (type(srv).__name__, sub_time, unsub_time))
    assert sub_time < 5 and unsub_time < 5
    c.close()


def test_fifty_megabyte_message(srv, limits):
    r = limits
    big = os.urandom(25 << 20).hex().encode()        # 50 MB, binary-safe in the frame check
    # default limits: one 50 MB message is past the 32 MB hard limit: the subscriber goes
    s = Conn(srv)
    subscribe(s, "big")
    p = Conn(srv, timeout=60)
    assert p.call("PUBLISH", "big", big) == (":", 1)
    s.closed()
    # no limit: delivered intact, to RESP2 and RESP3 subscribers
    r.config_set("client-output-buffer-limit", "pubsub 0 0 0")
    s2, s3 = Conn(srv, timeout=60), Conn(srv, resp=3, timeout=60)
    subscribe(s2, "big")
    s3.send("SUBSCRIBE", "big")
    s3.expect(frame("subscribe", "big", 1, resp=3))
    t = time.monotonic()
    assert p.call("PUBLISH", "big", big) == (":", 2)
    for conn, resp in ((s2, 2), (s3, 3)):
        conn.expect(frame("message", "big", big, resp=resp))
    print("\n%s: 50 MB to 2 subscribers in %.2fs" % (type(srv).__name__, time.monotonic() - t))
    assert p.call("PING") == ("+", b"PONG")
    for conn in (s2, s3, p):
        conn.close()


def test_backtracking_pattern(srv):
    """``*a*a*a*a*a*a*a*a*a*b`` against channels of a's: Redis 7.0.15's matcher stops early;
    pickledbd's (a regular expression) backtracks, polynomially in the length with a high
    degree. Bounded here to lengths that finish; the timings are printed for the report."""
    pat = "*a*a*a*a*a*a*a*a*a*b"
    s = Conn(srv)
    s.send("PSUBSCRIBE", pat)
    s.expect(frame("psubscribe", pat, 1))
    p = Conn(srv, timeout=60)
    times = {}
    for n in (8, 16, 20, 24):
        t = time.monotonic()
        assert p.call("PUBLISH", "a" * n, "m") == (":", 0)
        times[n] = time.monotonic() - t
    assert p.call("PUBLISH", "a" * 30 + "b", "m") == (":", 1)
    s.expect(frame("pmessage", pat, "a" * 30 + "b", "m"))
    print("\n%s: PUBLISH time by channel length: %s" % (
        type(srv).__name__, ", ".join("%d: %.4fs" % kv for kv in times.items())))
    assert times[24] < 5
    if type(srv).__name__ == "RedisServer":
        assert max(times.values()) < 0.5
    s.close()
    p.close()


@pytest.mark.parametrize("resp", [2, 3])
def test_unsubscribe_with_messages_queued(srv, resp):
    """Messages queued before UNSUBSCRIBE are still delivered, then its confirmation, then
    nothing from that channel."""
    s = Conn(srv, resp=resp, rcvbuf=4096)
    s.send("SUBSCRIBE", "uq", "uq2")
    s.expect(frame("subscribe", "uq", 1, resp=resp) + frame("subscribe", "uq2", 2, resp=resp))
    p = Conn(srv)
    publish_batch(p, "uq", 500, b"m")                # queued: the subscriber is not reading
    s.send("UNSUBSCRIBE", "uq")
    r = srv.client()
    wait_until(lambda: r.pubsub_numsub("uq") == [(b"uq", 0)])
    assert publish_batch(p, "uq", 50, b"late")[-1] == (":", 0)
    assert p.call("PUBLISH", "uq2", "still") == (":", 1)
    s.expect(b"".join([frame("message", "uq", "m", resp=resp)] * 500)
             + frame("unsubscribe", "uq", 1, resp=resp) + frame("message", "uq2", "still", resp=resp))
    s.quiet(0.1)
    s.close()
    p.close()


SLOW_SUBSCRIBER = r"""
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.sendall(b"*2\r\n$9\r\nSUBSCRIBE\r\n$5\r\nflood\r\n")
print("ready", flush=True)
while True:
    s.recv(512)
    time.sleep(0.001)
"""


def test_subscriber_killed_mid_flood(srv):
    r = srv.client()
    good = Conn(srv)
    subscribe(good, "flood")
    reader = Reader(good)
    reader.start()
    proc = subprocess.Popen([sys.executable, "-c", SLOW_SUBSCRIBER, str(srv.port)], stdout=subprocess.PIPE)
    try:
        assert proc.stdout.readline() == b"ready\n"
        wait_until(lambda: r.pubsub_numsub("flood") == [(b"flood", 2)])
        pub = Conn(srv)
        sent = 0
        for i in range(20):
            counts = publish_batch(pub, "flood", 500)
            sent += 500
            if i == 5:
                os.kill(proc.pid, signal.SIGKILL)
        assert counts[-1] == (":", 1)
        wait_until(lambda: r.pubsub_numsub("flood") == [(b"flood", 1)])
        wait_until(lambda: reader.bytes >= sent * FRAME, timeout=30)
        assert reader.bytes == sent * FRAME
        assert pub.call("PING") == ("+", b"PONG")
        pub.close()
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
        proc.stdout.close()
        reader.stop = True
        reader.join(5)
        good.close()
