"""Raw RESP connections for the pub/sub scenarios: exact bytes in, exact bytes out.

``Conn`` is diff_resp's RawClient (tagged replies) plus byte-exact reads, so a test can
assert the very frames a subscriber receives (RESP2 arrays, RESP3 pushes) in order.
"""
from __future__ import annotations

import socket
import time

from diff_resp import RawClient, encode_command

__all__ = ["Conn", "enc", "frame", "info_field", "rss_kb", "wait_until"]


def enc(*args) -> bytes:
    return encode_command(args)


def _bulk(x) -> bytes:
    if x is None:
        return b"$-1\r\n"
    if isinstance(x, int):
        return b":%d\r\n" % x
    if isinstance(x, str):
        x = x.encode()
    return b"$%d\r\n%s\r\n" % (len(x), x)


def frame(kind: str, *items, resp: int = 2) -> bytes:
    """A pub/sub frame: ``frame("message", b"ch", b"hi")``; ints are integers, None a null."""
    parts = [kind, *items]
    head = (b">%d\r\n" if resp == 3 else b"*%d\r\n") % len(parts)
    body = b"".join(b"_\r\n" if (p is None and resp == 3) else _bulk(p) for p in parts)
    return head + body


class Conn(RawClient):
    def __init__(self, srv, resp: int = 2, rcvbuf: int | None = None, timeout: float = 10.0):
        if rcvbuf is None:
            super().__init__(srv.host, srv.port, timeout)
        else:   # a small receive buffer must be set before connecting to bound the window
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            s.settimeout(timeout)
            s.connect((srv.host, srv.port))
            self.sock, self.buf, self.pos = s, b"", 0
        if resp == 3:
            assert self.call("HELLO", "3")[0] == "%"

    def send(self, *args) -> None:
        self.sock.sendall(encode_command(args))

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read_bytes(self, n: int) -> bytes:
        have = len(self.buf) - self.pos
        if have >= n:
            data = self.buf[self.pos:self.pos + n]
            self.pos += n
            return data
        out = bytearray(n)          # large reads go straight into place (no re-copying)
        out[:have] = self.buf[self.pos:]
        self.buf, self.pos = b"", 0
        view = memoryview(out)
        while have < n:
            got = self.sock.recv_into(view[have:], min(n - have, 1 << 22))
            if not got:
                raise ConnectionError("connection closed after %d of %d bytes" % (have, n))
            have += got
        return bytes(out)

    def expect(self, data: bytes) -> None:
        got = self.read_bytes(len(data))
        assert got == data, "expected %r\n     got %r" % (data[:300], got[:300])

    def quiet(self, wait: float = 0.2) -> None:
        """Nothing more arrives within ``wait`` seconds."""
        assert self.pos == len(self.buf), "unexpected %r" % self.buf[self.pos:self.pos + 200]
        self.sock.settimeout(wait)
        try:
            extra = self.sock.recv(65536)
        except socket.timeout:
            extra = None
        finally:
            self.sock.settimeout(10.0)
        assert extra is None, "unexpected %r" % (extra[:200] if extra else b"<closed>")

    def closed(self, timeout: float = 10.0) -> int:
        """Read until the server closes the connection; how many bytes came first."""
        n = len(self.buf) - self.pos
        self.buf, self.pos = b"", 0
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(1 << 20)
                if not chunk:
                    return n
                n += len(chunk)
        except ConnectionResetError:
            return n


def info_field(client, section: str, name: str):
    return client.info(section)[name]


def wait_until(fn, timeout: float = 5.0, interval: float = 0.02):
    """Poll ``fn`` until it returns something true; that value (AssertionError on timeout)."""
    end = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > end:
            raise AssertionError("condition not met within %.1fs" % timeout)
        time.sleep(interval)


def rss_kb(pid: int) -> int:
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0
