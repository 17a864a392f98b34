"""Pub/sub through real clients, against redis-server 7.0.15 and pickledbd: redis-py's PubSub
(get_message, listen, run_in_thread with channel and pattern handlers, redis.asyncio) in
RESP2 and RESP3, redis-cli's SUBSCRIBE/PSUBSCRIBE in a pty, and a kombu fanout exchange."""
from __future__ import annotations

import asyncio
import fcntl
import os
import pty
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import termios
import threading
import time

import pytest
import redis
import redis.asyncio as aioredis

from pubsub_client import wait_until

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(params=["pickledbd", "redis"])
def srv(request):
    return request.getfixturevalue("pickledbd_server" if request.param == "pickledbd" else "redis_server")


def wait_subscribers(srv, channel: str, n: int) -> None:
    r = srv.client()
    wait_until(lambda: r.pubsub_numsub(channel)[0][1] == n)


# ------------------------------------------------------------------ redis-py, sync
@pytest.mark.parametrize("protocol", [2, 3])
def test_redis_py_get_message(srv, protocol):
    r = srv.client(protocol=protocol)
    pub = srv.client()
    p = r.pubsub()
    p.subscribe("fw:a")
    assert p.get_message(timeout=5) == {"type": "subscribe", "pattern": None, "channel": b"fw:a", "data": 1}
    p.psubscribe("fw:*")
    assert p.get_message(timeout=5) == {"type": "psubscribe", "pattern": None, "channel": b"fw:*", "data": 2}
    assert pub.publish("fw:a", b"hello \x00\xff") == 2
    assert p.get_message(timeout=5) == {"type": "message", "pattern": None, "channel": b"fw:a",
                                        "data": b"hello \x00\xff"}
    assert p.get_message(timeout=5) == {"type": "pmessage", "pattern": b"fw:*", "channel": b"fw:a",
                                        "data": b"hello \x00\xff"}
    assert p.get_message(timeout=0.1) is None
    p.ping()
    assert p.get_message(timeout=5)["type"] == "pong"
    p.unsubscribe()
    p.punsubscribe()
    kinds = [p.get_message(timeout=5)["type"] for _ in range(2)]
    assert sorted(kinds) == ["punsubscribe", "unsubscribe"]
    assert not p.subscribed
    p.close()


@pytest.mark.parametrize("protocol", [2, 3])
def test_redis_py_listen(srv, protocol):
    r = srv.client(protocol=protocol, decode_responses=True)
    pub = srv.client()
    p = r.pubsub(ignore_subscribe_messages=True)
    p.subscribe("fw:listen")
    assert p.get_message(timeout=5) is None          # the confirmation, ignored
    wait_subscribers(srv, "fw:listen", 1)
    for i in range(100):
        pub.publish("fw:listen", "m%d" % i)
    pub.publish("fw:listen", "stop")
    got = []
    for msg in p.listen():
        if msg["type"] != "message":
            continue
        if msg["data"] == "stop":
            break
        got.append(msg["data"])
    assert got == ["m%d" % i for i in range(100)]
    p.close()


@pytest.mark.parametrize("protocol", [2, 3])
def test_redis_py_run_in_thread_with_handlers(srv, protocol):
    r = srv.client(protocol=protocol)
    pub = srv.client()
    seen, done = [], threading.Event()

    def on_channel(msg):
        seen.append(("c", msg["channel"], msg["data"]))

    def on_pattern(msg):
        seen.append(("p", msg["pattern"], msg["channel"], msg["data"]))
        if msg["data"] == b"last":
            done.set()

    p = r.pubsub()
    p.subscribe(**{"fw:th": on_channel})
    p.psubscribe(**{"fw:t*": on_pattern})
    t = p.run_in_thread(sleep_time=0.01, daemon=True)
    try:
        wait_subscribers(srv, "fw:th", 1)
        wait_until(lambda: pub.pubsub_numpat() >= 1)
        assert pub.publish("fw:th", "one") == 2
        assert pub.publish("fw:tx", "last") == 1
        assert done.wait(10)
    finally:
        t.stop()
        t.join(5)
        p.close()
    assert seen[0] == ("c", b"fw:th", b"one")
    assert sorted(seen[1:]) == [("p", b"fw:t*", b"fw:th", b"one"), ("p", b"fw:t*", b"fw:tx", b"last")]


# ------------------------------------------------------------------ redis-py, asyncio
@pytest.mark.parametrize("protocol", [2, 3])
def test_redis_py_asyncio_pubsub(srv, protocol):
    async def scenario():
        r = aioredis.Redis(host=srv.host, port=srv.port, protocol=protocol)
        pub = aioredis.Redis(host=srv.host, port=srv.port)
        p = r.pubsub()
        await p.subscribe("fw:aio")
        await p.psubscribe("fw:ai*")
        for want in ("subscribe", "psubscribe"):
            msg = await p.get_message(timeout=5)
            assert msg["type"] == want
        assert await pub.publish("fw:aio", "x") == 2
        msgs = [await p.get_message(timeout=5) for _ in range(2)]
        assert [m["type"] for m in msgs] == ["message", "pmessage"]
        assert msgs[0]["data"] == msgs[1]["data"] == b"x" and msgs[1]["pattern"] == b"fw:ai*"

        got = []

        async def consume():
            async for msg in p.listen():
                if msg["type"] == "message":
                    got.append(msg["data"])
                    if len(got) == 50:
                        return

        task = asyncio.create_task(consume())
        for i in range(50):
            await pub.publish("fw:aio", "n%d" % i)
        await asyncio.wait_for(task, 10)
        assert got == [b"n%d" % i for i in range(50)]
        await p.unsubscribe()
        await p.punsubscribe()
        await p.aclose()
        await r.aclose()
        await pub.aclose()

    asyncio.run(asyncio.wait_for(scenario(), 30))


# ------------------------------------------------------------------ redis-cli in a pty
class CliPty:
    def __init__(self, *args):
        self.m, s = pty.openpty()
        fcntl.ioctl(s, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
        self.p = subprocess.Popen(["redis-cli", *args], stdin=s, stdout=s, stderr=s,
                                  env=dict(os.environ, TERM="xterm"), close_fds=True, start_new_session=True)
        os.close(s)
        self.out = b""

    def read_until(self, text: bytes, timeout: float = 5.0) -> str:
        end = time.time() + timeout
        while text not in self.out and time.time() < end:
            r, _, _ = select.select([self.m], [], [], 0.05)
            if r:
                try:
                    self.out += os.read(self.m, 65536)
                except OSError:
                    break
        assert text in self.out, "no %r in %r" % (text, self.out[-500:])
        return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", self.out.decode(errors="replace")).replace("\r", "")

    def close(self):
        if self.p.poll() is None:
            os.killpg(self.p.pid, signal.SIGINT)
            try:
                self.p.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait(5)
        os.close(self.m)


@pytest.mark.skipif(shutil.which("redis-cli") is None, reason="redis-cli not installed")
@pytest.mark.parametrize("proto", ["2", "3"])
def test_redis_cli_subscribe_and_psubscribe(srv, proto):
    pub = srv.client()
    sub = CliPty("-p", str(srv.port), "-%s" % proto, "subscribe", "cli:ch", "cli:other")
    psub = CliPty("-p", str(srv.port), "-%s" % proto, "psubscribe", "cli:*")
    try:
        text = sub.read_until(b'"cli:other"')
        assert "Reading messages... (press Ctrl-C to quit" in text
        assert '1) "subscribe"\n2) "cli:ch"\n3) (integer) 1' in text
        psub.read_until(b'"cli:*"')
        wait_subscribers(srv, "cli:ch", 1)
        wait_until(lambda: pub.pubsub_numpat() >= 1)
        assert pub.publish("cli:ch", "hello world") == 2
        text = sub.read_until(b'"hello world"')
        assert '1) "message"\n2) "cli:ch"\n3) "hello world"' in text
        text = psub.read_until(b'"hello world"')
        assert '1) "pmessage"\n2) "cli:*"\n3) "cli:ch"\n4) "hello world"' in text
        assert sub.p.poll() is None and psub.p.poll() is None    # still listening
    finally:
        sub.close()
        psub.close()
    wait_subscribers(srv, "cli:ch", 0)


# ------------------------------------------------------------------ kombu fanout
kombu = pytest.importorskip("kombu")


def _resp3_transport():
    """kombu's Redis transport speaking RESP3: its channels open redis-py connections with
    protocol=3 (kombu has no option for it, but takes a transport class)."""
    from kombu.transport import redis as kredis

    class Resp3Connection(redis.Connection):
        def __init__(self, *args, **kwargs):
            kwargs["protocol"] = 3
            super().__init__(*args, **kwargs)

    class Resp3Channel(kredis.Channel):
        connection_class = Resp3Connection

    class Transport(kredis.Transport):
        Channel = Resp3Channel

    return Transport


@pytest.mark.parametrize("protocol", [2, 3])
def test_kombu_fanout_exchange(srv, protocol):
    from kombu import Connection, Exchange, Queue

    url = "redis://%s:%d/0" % (srv.host, srv.port)
    transport = _resp3_transport() if protocol == 3 else None
    exchange = Exchange("fw-fanout-%d" % protocol, type="fanout", durable=False)
    received = {"one": [], "two": []}
    conns = [Connection(url, transport=transport) for _ in range(3)]
    try:
        consumers = []
        for name, conn in zip(("one", "two"), conns):
            q = Queue("fw-q-%s-%d" % (name, protocol), exchange, exclusive=True, auto_delete=True)

            def on_message(body, message, name=name):
                received[name].append(body)
                message.ack()

            consumer = conn.Consumer([q], callbacks=[on_message], accept=["json"])
            consumer.consume()
            consumers.append(consumer)
            try:
                conn.drain_events(timeout=0.3)     # the fanout subscription is made here
            except socket.timeout:
                pass
        r = srv.client()
        # both consumers listen (kombu PSUBSCRIBEs the exchange's channel pattern)
        wait_until(lambda: sum(int(c["sub"]) + int(c["psub"]) for c in r.client_list()) >= 2)
        with conns[2].Producer(serializer="json") as producer:
            for i in range(20):
                producer.publish({"n": i}, exchange=exchange, declare=[exchange])
        end = time.time() + 15
        while (len(received["one"]) < 20 or len(received["two"]) < 20) and time.time() < end:
            for conn in conns[:2]:
                try:
                    conn.drain_events(timeout=0.2)
                except socket.timeout:
                    pass
        want = [{"n": i} for i in range(20)]
        assert received == {"one": want, "two": want}
        if protocol == 3:
            listen = [c for c in r.client_list() if c["resp"] == "3" and c["flags"] == "P"]
            assert len(listen) >= 2
        for consumer in consumers:
            consumer.cancel()
    finally:
        for conn in conns:
            conn.release()
