"""A minimal raw RESP2/RESP3 client for differential tests.

Replies are parsed into tagged tuples so that reply *types* compare exactly (a status
``+OK`` is not a bulk ``$2 OK``, a RESP2 null bulk ``$-1`` is not a null array ``*-1``, a
RESP3 double is not a bulk string, ...):

    ("+", b"OK")            simple string
    ("-", b"ERR ...")       error
    (":", 5)                integer
    ("$", b"..." | None)    bulk string / RESP2 null bulk
    ("*", [..] | None)      array / RESP2 null array
    ("_", None)             RESP3 null
    (",", b"1.5")           RESP3 double (its text, compared byte for byte)
    ("#", True)             RESP3 boolean
    ("(", b"123")           RESP3 big number
    ("=", b"txt:...")       RESP3 verbatim string
    ("%", [(k, v), ...])    RESP3 map (ordered pairs)
    ("~", [..])             RESP3 set
    (">", [..])             RESP3 push
"""
from __future__ import annotations

import socket


class RespError(Exception):
    pass


def encode_command(args) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class RawClient:
    def __init__(self, host: str, port: int, timeout: float = 10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.pos = 0

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- I/O -------------------------------------------------------------------------
    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise RespError("connection closed by server")
        if self.pos:
            self.buf = self.buf[self.pos:]
            self.pos = 0
        self.buf += chunk

    def _line(self) -> bytes:
        while True:
            i = self.buf.find(b"\r\n", self.pos)
            if i >= 0:
                line = self.buf[self.pos:i]
                self.pos = i + 2
                return line
            self._fill()

    def _exact(self, n: int) -> bytes:
        while len(self.buf) - self.pos < n + 2:
            self._fill()
        data = self.buf[self.pos:self.pos + n]
        if self.buf[self.pos + n:self.pos + n + 2] != b"\r\n":
            raise RespError("bulk not terminated by CRLF")
        self.pos += n + 2
        return data

    def read_reply(self):
        line = self._line()
        if not line:
            raise RespError("empty reply line")
        t, rest = chr(line[0]), line[1:]
        if t in "+-":
            return (t, rest)
        if t == ":":
            return (":", int(rest))
        if t in "$=":
            n = int(rest)
            return (t, None if n < 0 else self._exact(n))
        if t in "*~>":
            n = int(rest)
            if n < 0:
                return (t, None)
            return (t, [self.read_reply() for _ in range(n)])
        if t == "%":
            n = int(rest)
            return ("%", [(self.read_reply(), self.read_reply()) for _ in range(n)])
        if t == "_":
            return ("_", None)
        if t in ",(":
            return (t, rest)
        if t == "#":
            return ("#", rest == b"t")
        raise RespError(f"unknown reply type {line[:40]!r}")

    def call(self, *args):
        self.sock.sendall(encode_command(args))
        return self.read_reply()

    def pipeline(self, commands):
        self.sock.sendall(b"".join(encode_command(c) for c in commands))
        return [self.read_reply() for _ in commands]


def plain(r):
    """A tagged reply as plain Python (bytes / int / list / None; errors as ("-", msg))."""
    t, v = r
    if t == "-":
        return r
    if t in "*~>":
        return None if v is None else [plain(x) for x in v]
    if t == "%":
        return [(plain(k), plain(x)) for k, x in v]
    return v
