"""MONITOR shows the same lines, in the same order, as redis-server 7.0: a blocking command
when it blocks (not again when served), MULTI's commands when EXEC runs them, passwords
redacted, admin commands and refused commands hidden."""
from __future__ import annotations

import socket
import time

import pytest


def _conn(srv):
    s = socket.create_connection((srv.host, srv.port), timeout=5)
    s.settimeout(0.3)
    return s


def _send(s, *args):
    parts = [a if isinstance(a, bytes) else str(a).encode() for a in args]
    s.sendall(b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts))


def _drain(s) -> bytes:
    out = b""
    try:
        while True:
            data = s.recv(65536)
            if not data:
                break
            out += data
    except socket.timeout:
        pass
    return out


def monitor_lines(srv, script) -> list[bytes]:
    mon, a, b = _conn(srv), _conn(srv), _conn(srv)
    try:
        _send(mon, "MONITOR")
        assert _drain(mon) == b"+OK\r\n"
        _send(b, "BLPOP", "monq", "0")
        time.sleep(0.1)
        for cmd in script:
            _send(a, *cmd)
            time.sleep(0.03)
        _drain(a)
        time.sleep(0.2)
        assert _drain(b) == b"*2\r\n$4\r\nmonq\r\n$1\r\n1\r\n"
        lines = [line for line in _drain(mon).split(b"\r\n") if line]
        for line in lines:
            assert line.startswith(b"+") and b" [0 127.0.0.1:" in line
        return [line.split(b"] ", 1)[1] for line in lines]
    finally:
        for s in (mon, a, b):
            s.close()


SCRIPT = [
    ["SET", "monk", "v\x01\"q"],
    ["MULTI"], ["SET", "monx", "1"], ["GET", "monx"], ["EXEC"],
    ["RPUSH", "monq", "1"],
    ["GET"],                          # refused (arity): not shown
    ["NOSUCHCOMMAND"],                # refused (unknown): not shown
    ["AUTH", "secret"],               # shown redacted
    ["AUTH", "user", "secret"],
    ["HELLO", "2", "AUTH", "default", "secret"],
    ["CONFIG", "GET", "maxclients"],  # admin: hidden
    ["CLIENT", "SETNAME", "n"],
    ["HELLO", "2"],
    # MIGRATE to a closed port (an IOERR reply): its AUTH/AUTH2 arguments are redacted
    ["MIGRATE", "127.0.0.1", "1", "monk", "0", "100", "COPY", "AUTH2", "user", "secret"],
    ["MIGRATE", "127.0.0.1", "1", "", "0", "100", "REPLACE", "AUTH", "secret", "KEYS", "monk"],
    ["DEL", "monk", "monx", "monq"],
]


def test_monitor_lines_match_redis(redis_server, pickledbd_server):
    expected = monitor_lines(redis_server, SCRIPT)
    assert expected[0] == b'"BLPOP" "monq" "0"' and b'"AUTH" "(redacted)"' in expected
    assert sum(b'"MIGRATE"' in line and b"secret" not in line for line in expected) == 2
    assert monitor_lines(pickledbd_server, SCRIPT) == expected


@pytest.mark.parametrize("target", ["redis_server", "pickledbd_server"])
def test_monitor_of_a_client_that_never_reads_is_bounded(request, target):
    """A MONITOR client fed by others but never reading is disconnected at the pubsub
    class's output limit (pickledbd; Redis counts monitors as normal clients, unlimited by
    default, so there it only checks the feed keeps working)."""
    srv = request.getfixturevalue(target)
    r = srv.client()
    mon = _conn(srv)
    mon.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    _send(mon, "MONITOR")
    r.config_set("client-output-buffer-limit", "pubsub 1mb 0 0")
    try:
        value = b"x" * 10000
        pipe = r.pipeline(transaction=False)
        for i in range(1000):           # ~10 MB of MONITOR lines, never read
            pipe.set("monbig", value)
        pipe.execute()
        time.sleep(0.3)
        monitors = [c for c in r.client_list() if "O" in c["flags"]]
        if target == "pickledbd_server":
            assert monitors == []
            assert r.info("stats")["client_output_buffer_limit_disconnections"] >= 1
        else:
            assert len(monitors) == 1
        assert r.ping()
    finally:
        r.config_set("client-output-buffer-limit", "pubsub 33554432 8388608 60")
        r.delete("monbig")
        mon.close()
