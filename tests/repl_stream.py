"""Read a server's replication stream the way a replica does: the harness that compares what
pickledbd propagates with what a real redis-server propagates (its stream is the oracle).

::

    with ReplStream(server) as stream:              # SYNC, then reads past the RDB payload
        ...run writes on another connection...
        cmds = stream.catch_up()                    # every command up to a sentinel write

    capture(server, [("SET", "k", "v"), ("DEL", "k")])       # -> [[b"SELECT", b"0"], [b"SET", ...], ...]
    r, p = compare(redis_server, pickledbd_server, commands)  # the same on both
    assert streams_match(r, p)                      # equal, absolute times within a tolerance

A command is a list of bytes. Periodic ``PING``s of the master are dropped. ``catch_up`` knows
the stream has caught up by writing a sentinel (``SET __repl_sentinel__ <n>`` then ``DEL``) on
its own connection and reading until both arrive: what came before is returned (a ``SELECT``
that only led to the sentinel is dropped too). Every wait is bounded (``StreamTimeout``).

Items of a ``commands`` list: a tuple/list of str/bytes/int is sent as one request on a
plain connection (db 0, fresh for each capture) and its reply read; a float or int sleeps that
many seconds (for TTLs to pass); a callable gets that connection (a ``diff_resp.RawClient``).

redis-server 7.0 answers SYNC from a plain client with a disk-based ``$<len>`` payload: without
``REPLCONF capa eof`` diskless sync is not used even with ``repl-diskless-sync yes`` (the
default), so the reference server needs no extra flags. Newlines sent while the snapshot is
being made are skipped; an ``$EOF:<mark>`` payload is understood too.
"""
from __future__ import annotations

import socket
import time

from diff_resp import RawClient, encode_command

SENTINEL = b"__repl_sentinel__"
DEFAULT_TIMEOUT = 10.0


class StreamTimeout(AssertionError):
    """The stream did not deliver what was waited for in time."""


class StreamClosed(AssertionError):
    """The server closed the replication connection."""


def _address(server, port=None) -> tuple[str, int]:
    if port is not None:
        return server, port
    if isinstance(server, tuple):
        return server
    return server.host, server.port


class ReplStream:
    """One replication connection: ``SYNC`` (or ``PSYNC ? -1`` with ``psync=True``), the RDB
    payload in ``rdb``, then the command stream. ``offset`` is the replication offset of the
    next byte (from ``+FULLRESYNC``, 0 after a plain SYNC, counting every byte read since)."""

    def __init__(self, server, port=None, *, psync: bool = False, timeout: float = DEFAULT_TIMEOUT,
                 handshake: tuple = ()):
        self.host, self.port = _address(server, port)
        self.timeout = timeout
        self.sock = socket.create_connection((self.host, self.port), timeout=timeout)
        self.buf = bytearray()
        self.replid = None
        self.offset = 0
        self.pings = 0
        self._sentinels = 0
        self._client = None
        try:
            deadline = time.monotonic() + timeout
            for cmd in handshake:             # e.g. ("REPLCONF", "listening-port", "7000")
                self.sock.sendall(encode_command(list(cmd)))
                self.handshake_reply = self._line(deadline)
            if psync:
                self.sock.sendall(encode_command(["PSYNC", "?", "-1"]))
                line = self._line(deadline)
                if not line.startswith(b"+FULLRESYNC "):
                    raise AssertionError("PSYNC answered %r" % line)
                _, replid, offset = line.split()
                self.replid, self.offset = replid.decode(), int(offset)
            else:
                self.sock.sendall(encode_command(["SYNC"]))
            self.rdb = self._payload(deadline)
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ reading
    def _recv(self, deadline: float) -> None:
        left = deadline - time.monotonic()
        if left <= 0:
            raise StreamTimeout("nothing more from %s:%d in time" % (self.host, self.port))
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(1 << 20)
        except socket.timeout:
            raise StreamTimeout("nothing more from %s:%d in time" % (self.host, self.port)) from None
        if not chunk:
            raise StreamClosed("%s:%d closed the replication connection" % (self.host, self.port))
        self.buf += chunk

    def _line(self, deadline: float) -> bytes:
        """One CRLF line of the handshake, skipping the newlines a master sends as keepalive."""
        while True:
            while self.buf[:1] == b"\n":
                del self.buf[:1]
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line = bytes(self.buf[:i])
                del self.buf[:i + 2]
                return line
            self._recv(deadline)

    def _payload(self, deadline: float) -> bytes:
        head = self._line(deadline)
        if not head.startswith(b"$"):
            raise AssertionError("expected the RDB payload, got %r" % head[:200])
        if head.startswith(b"$EOF:"):             # diskless: ends with the 40-byte mark
            mark = head[5:]
            while True:
                i = self.buf.find(mark)
                if i >= 0:
                    data = bytes(self.buf[:i])
                    del self.buf[:i + len(mark)]
                    return data
                self._recv(deadline)
        n = int(head[1:])
        while len(self.buf) < n:
            self._recv(deadline)
        data = bytes(self.buf[:n])
        del self.buf[:n]
        return data

    def _parse(self):
        """One complete command from the buffer (a RESP array of bulk strings), or None."""
        buf = self.buf
        if not buf:
            return None
        if buf[0] != 0x2A:     # '*'
            raise AssertionError("not a RESP array in the stream: %r" % bytes(buf[:80]))
        i = buf.find(b"\r\n")
        if i < 0:
            return None
        n = int(buf[1:i])
        pos = i + 2
        args = []
        for _ in range(n):
            j = buf.find(b"\r\n", pos)
            if j < 0:
                return None
            if buf[pos] != 0x24:   # '$'
                raise AssertionError("not a bulk string in the stream: %r" % bytes(buf[pos:pos + 80]))
            size = int(buf[pos + 1:j])
            start = j + 2
            if len(buf) < start + size + 2:
                return None
            args.append(bytes(buf[start:start + size]))
            pos = start + size + 2
        del buf[:pos]
        self.offset += pos
        return args

    def next_command(self, timeout: float | None = None):
        """The next command (PINGs included), or raise StreamTimeout."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            cmd = self._parse()
            if cmd is not None:
                return cmd
            self._recv(deadline)

    def commands(self, timeout: float = 0.5) -> list:
        """Every command that arrives within ``timeout`` seconds (PINGs dropped)."""
        out = []
        deadline = time.monotonic() + timeout
        while True:
            cmd = self._parse()
            if cmd is None:
                try:
                    self._recv(deadline)
                except StreamTimeout:
                    return out
                continue
            if len(cmd) == 1 and cmd[0].upper() == b"PING":
                self.pings += 1
            else:
                out.append(cmd)

    def until(self, predicate, timeout: float | None = None) -> list:
        """Commands up to and including the first for which ``predicate(cmd)`` is true."""
        out = []
        while True:
            cmd = self.next_command(timeout)
            if len(cmd) == 1 and cmd[0].upper() == b"PING":
                self.pings += 1
                continue
            out.append(cmd)
            if predicate(cmd):
                return out

    def catch_up(self, client=None, timeout: float | None = None) -> list:
        """Everything propagated so far: writes a sentinel (on ``client``, else on a connection
        of its own, in db 0) and returns the commands that precede it."""
        self._sentinels += 1
        n = b"%d" % self._sentinels
        c = client or self._sentinel_client()
        c.pipeline([["SET", SENTINEL, n], ["DEL", SENTINEL]])
        got = self.until(lambda cmd: cmd[:2] == [b"DEL", SENTINEL], timeout)
        for i in range(len(got) - 1, -1, -1):
            if got[i] == [b"SET", SENTINEL, n]:
                cut = i - 1 if i and got[i - 1][:1] == [b"SELECT"] else i
                return got[:cut]
        raise AssertionError("sentinel write missing from the stream: %r" % got[-5:])

    def _sentinel_client(self) -> RawClient:
        if self._client is None:
            self._client = RawClient(self.host, self.port, timeout=self.timeout)
        return self._client

    # ------------------------------------------------------------------ lifecycle
    def close(self) -> None:
        for s in (self._client, self.sock):
            if s is not None:
                try:
                    s.close()
                except OSError:
                    pass
        self._client = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ---------------------------------------------------------------------- running commands
def run(client: RawClient, commands) -> list:
    """Run ``commands`` (see the module docstring) on ``client``; returns the replies."""
    replies = []
    for item in commands:
        if callable(item):
            replies.append(item(client))
        elif isinstance(item, (int, float)):
            time.sleep(item)
        else:
            replies.append(client.call(*item))
    return replies


def capture(server, commands, *, with_replies: bool = False, relative_times: bool = True,
            timeout: float = DEFAULT_TIMEOUT):
    """What ``server`` propagates for ``commands``, run on a fresh connection after a fresh SYNC.
    With ``relative_times`` absolute expiry times become ``<+Ns>`` (seconds from the start,
    see ``relative``). With ``with_replies`` returns (stream, replies)."""
    host, port = _address(server)
    with ReplStream(host, port, timeout=timeout) as stream, RawClient(host, port, timeout=timeout) as c:
        start = time.time() * 1000
        replies = run(c, commands)
        got = stream.catch_up()
    if relative_times:
        got = relative(got, start)
    return (got, replies) if with_replies else got


def compare(redis_server, pickledbd_server, commands, **kw) -> tuple[list, list]:
    """``capture`` on both servers: (redis's stream, pickledbd's stream)."""
    return capture(redis_server, commands, **kw), capture(pickledbd_server, commands, **kw)


# ---------------------------------------------------------------------- absolute times
def time_positions(cmd: list) -> list[tuple[int, int]]:
    """(index, ms per unit) of the absolute-time arguments of a propagated command."""
    name = cmd[0].upper() if cmd else b""
    if name in (b"PEXPIREAT", b"EXPIREAT") and len(cmd) > 2:
        return [(2, 1 if name == b"PEXPIREAT" else 1000)]
    out = []
    if name in (b"SET", b"GETEX"):
        for i, a in enumerate(cmd[:-1]):
            u = a.upper()
            if u in (b"PXAT", b"EXAT"):
                out.append((i + 1, 1 if u == b"PXAT" else 1000))
    if name == b"RESTORE" and any(a.upper() == b"ABSTTL" for a in cmd[4:]) and len(cmd) > 2:
        out.append((2, 1))
    return out


def relative(stream: list, start_ms: float, unit_ms: int = 1000) -> list:
    """Absolute times replaced by ``<+Ns>``: whole ``unit_ms`` from ``start_ms``, rounded."""
    out = []
    for cmd in stream:
        pos = time_positions(cmd)
        if pos:
            cmd = list(cmd)
            for i, scale in pos:
                try:
                    t = int(cmd[i]) * scale
                except ValueError:
                    continue
                cmd[i] = b"<%+ds>" % round((t - start_ms) / unit_ms)
        out.append(cmd)
    return out


def streams_match(a: list, b: list, tolerance_ms: int = 2000) -> bool:
    """Equal streams, absolute times (still absolute) equal within ``tolerance_ms``."""
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if len(x) != len(y):
            return False
        times = dict(time_positions(x))
        for i, (p, q) in enumerate(zip(x, y)):
            if p == q:
                continue
            if i not in times:
                return False
            try:
                if abs(int(p) - int(q)) * times[i] > tolerance_ms:
                    return False
            except ValueError:
                return False
    return True


def show(stream: list) -> str:
    """A stream as redis-cli-like lines (for assertion messages and reports)."""
    return "\n".join(" ".join(a.decode("utf-8", "backslashreplace") for a in cmd) for cmd in stream)
