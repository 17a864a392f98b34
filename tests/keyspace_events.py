"""Capture keyspace notifications from a real server, for differential tests.

    events = capture(server, [["SET", "k", "v"], ["DEL", "k"]])
    # -> [(b"__keyspace@0__:k", b"set"), (b"__keyevent@0__:set", b"k"), ...]

A raw RESP2 connection enables ``notify-keyspace-events`` (KEA plus n and m unless given),
PSUBSCRIBEs to ``__key*__:*`` and to a sentinel channel, runs the commands on a second
connection, then PUBLISHes to the sentinel from a third one (the command connection may be
inside MULTI) and reads until the sentinel arrives: every event the commands caused arrived
before it, in order. Bounded in time.
"""
from __future__ import annotations

import socket
import time

import hiredis

SENTINEL = b"__events_sentinel__"


class EventStream:
    def __init__(self, host: str, port: int, flags: str = "KEAnm", timeout: float = 10.0):
        self.timeout = timeout
        self.sub = socket.create_connection((host, port), timeout=timeout)
        self.cmd = socket.create_connection((host, port), timeout=timeout)
        self.pub = socket.create_connection((host, port), timeout=timeout)
        self.sub_reader = hiredis.Reader()
        self.cmd_reader = hiredis.Reader()
        self.pub_reader = hiredis.Reader()
        self.call("CONFIG", "SET", "notify-keyspace-events", flags)
        self._send(self.sub, ["PSUBSCRIBE", "__key*__:*"])
        self._send(self.sub, ["SUBSCRIBE", SENTINEL])
        assert self._read(self.sub, self.sub_reader)[0] == b"psubscribe"
        assert self._read(self.sub, self.sub_reader)[0] == b"subscribe"
        self._mark = 0

    @staticmethod
    def _send(sock, args) -> None:
        parts = [a if isinstance(a, bytes) else str(a).encode("utf-8", "surrogateescape") for a in args]
        sock.sendall(b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts))

    def _read(self, sock, reader):
        deadline = time.monotonic() + self.timeout
        while True:
            reply = reader.gets()
            if reply is not False:
                return reply
            if time.monotonic() > deadline:
                raise TimeoutError("no reply within %.0fs" % self.timeout)
            data = sock.recv(1 << 16)
            if not data:
                raise ConnectionError("connection closed")
            reader.feed(data)

    def call(self, *args):
        """Run a command on the command connection; its reply (errors as Exception objects)."""
        self._send(self.cmd, args)
        return self._read(self.cmd, self.cmd_reader)

    def events(self) -> list[tuple[bytes, bytes]]:
        """(channel, message) of every event since the last call, in order."""
        self._mark += 1
        token = b"%d" % self._mark
        self._send(self.pub, ["PUBLISH", SENTINEL, token])
        self._read(self.pub, self.pub_reader)
        out = []
        while True:
            msg = self._read(self.sub, self.sub_reader)
            if msg[0] == b"message" and msg[1] == SENTINEL:
                if msg[2] == token:
                    return out
                continue
            assert msg[0] == b"pmessage", msg
            out.append((msg[2], msg[3]))

    def close(self) -> None:
        try:
            self.call("CONFIG", "SET", "notify-keyspace-events", "")
        finally:
            for sock in (self.sub, self.cmd, self.pub):
                sock.close()


def capture(server, commands, flags: str = "KEAnm", setup=()) -> tuple[list, list]:
    """(replies, events) of ``commands`` run on ``server`` after ``setup`` (whose events are
    dropped). Starts from FLUSHALL."""
    stream = EventStream(server.host, server.port, flags)
    try:
        stream.call("FLUSHALL")
        for cmd in setup:
            stream.call(*cmd)
        stream.events()
        replies = [stream.call(*cmd) for cmd in commands]
        return replies, stream.events()
    finally:
        stream.close()
