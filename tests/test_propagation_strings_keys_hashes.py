"""Strings, generic key commands and hashes, differential: the keyspace events each command
publishes and what it propagates (the stream a replica or the append-only file receives), on
redis-server 7.0 and on pickledbd, compared step by step; then the same cases in-process
through every caller (hot path, full path, EXEC), which must do the same.

Every command of the three families runs with representative arguments, no-op and error cases
included, and inside MULTI/EXEC. A case is (setup, steps): each server starts it from
FLUSHALL, the setup's events and propagation are left out. A step is a command (tuple),
``LAPSE`` (the keys the setup gave a TTL of a few ms are now due, still in the keyspace: the next
command meets them) or a float (sleep).

Keys that are due must be met by the commands, not by the active expiry cycle: the reference
server runs with ``DEBUG SET-ACTIVE-EXPIRE 0``; pickledbd runs its cron at 1 Hz and each case
starts right after one of its expiry cycles, so none runs during the case (and a case where
``expired_keys`` moved before a LAPSE command anyway is run again).
"""
from __future__ import annotations

import random
import time

import pytest

from diff_resp import RawClient
from keyspace_events import SENTINEL, EventStream
from pickledbd.daemon.inprocess import LocalServer
from pickledbd.daemon.keyspace import events as ev_classes
from repl_stream import ReplStream, relative, show, streams_match
from servers import RedisServer, redis_server_binary, start_with_retry

LAPSE = ("@lapse",)
FAR_S, FAR_MS = "4102444800", "4102444800000"     # 2100-01-01


def case(setup, *steps):
    return (list(setup), list(steps))


# ---------------------------------------------------------------------------- the cases
STRINGS = {
    "set-new": case([], ("SET", "k", "v")),
    "set-overwrite-keeps-nothing": case([("SET", "k", "v", "EX", "100")], ("SET", "k", "w"), ("TTL", "k")),
    "set-lowercase": case([], ("set", "k", "v")),
    "set-ex": case([], ("SET", "k", "v", "EX", "100")),
    "set-px": case([], ("SET", "k", "v", "PX", "100000")),
    "set-exat": case([], ("SET", "k", "v", "EXAT", FAR_S)),
    "set-pxat": case([], ("SET", "k", "v", "pxat", FAR_MS)),
    "set-pxat-past": case([], ("SET", "k", "v", "PXAT", "1"), ("GET", "k"), ("EXISTS", "k")),
    "set-keepttl": case([("SET", "k", "v", "EX", "100")], ("SET", "k", "w", "KEEPTTL")),
    "set-nx": case([("SET", "a", "1")], ("SET", "a", "2", "NX"), ("SET", "b", "2", "NX")),
    "set-xx": case([("SET", "a", "1")], ("SET", "a", "2", "XX"), ("SET", "b", "2", "XX")),
    "set-get": case([("SET", "a", "1")], ("SET", "a", "2", "GET"), ("SET", "b", "2", "get"),
                    ("SET", "b", "3", "GET", "KEEPTTL", "GET")),
    "set-get-ex": case([("SET", "a", "1")], ("SET", "a", "2", "GET", "EX", "100")),
    "set-nx-get": case([("SET", "a", "1")], ("SET", "a", "2", "NX", "GET"), ("SET", "b", "2", "NX", "GET")),
    "set-get-wrongtype": case([("HSET", "h", "f", "v")], ("SET", "h", "v", "GET")),
    "set-errors": case([], ("SET", "k", "v", "EX", "0"), ("SET", "k", "v", "EX", "x"),
                       ("SET", "k", "v", "NX", "XX"), ("SET", "k", "v", "EX", "10", "PX", "10"),
                       ("SET", "k", "v", "EX", "9223372036854775807")),
    "set-expired": case([("SET", "k", "v", "PX", "1")], LAPSE, ("SET", "k", "w")),
    "set-expired-options": case([("SET", "k", "v", "PX", "1"), ("SET", "j", "v", "PX", "1")], LAPSE,
                                ("SET", "k", "w", "XX"), ("SET", "j", "w", "EX", "100")),
    "setnx": case([("SET", "a", "1")], ("SETNX", "a", "2"), ("SETNX", "b", "2")),
    "setex-psetex": case([], ("SETEX", "a", "100", "v"), ("PSETEX", "b", "100000", "v"),
                         ("SETEX", "c", "0", "v"), ("PSETEX", "c", "-5", "v"), ("SETEX", "c", "x", "v")),
    "get": case([("SET", "a", "1"), ("HSET", "h", "f", "v")], ("GET", "a"), ("GET", "nokey"), ("GET", "h")),
    "get-expired": case([("SET", "k", "v", "PX", "1")], LAPSE, ("GET", "k")),
    "mget": case([("SET", "a", "1"), ("HSET", "h", "f", "v")], ("MGET", "a", "nokey", "h", "a")),
    "mset": case([("SET", "a", "1")], ("MSET", "a", "2", "b", "3"), ("MSET", "c", "1", "c", "2"),
                 ("MSET", "a", "1", "b")),
    "mset-expired": case([("SET", "a", "1", "PX", "1")], LAPSE, ("MSET", "b", "1", "a", "2")),
    "msetnx": case([("SET", "a", "1")], ("MSETNX", "a", "2", "b", "3"), ("MSETNX", "b", "3", "c", "4"),
                   ("MSETNX", "d", "1", "d", "2"), ("MSETNX", "e", "1", "f")),
    "getset": case([("SET", "a", "1"), ("HSET", "h", "f", "v")], ("GETSET", "a", "2"),
                   ("GETSET", "b", "2"), ("GETSET", "h", "2"), ("getset", "a", "3")),
    "getset-keeps-no-ttl": case([("SET", "a", "1", "EX", "100")], ("GETSET", "a", "2"), ("TTL", "a")),
    "getdel": case([("SET", "a", "1"), ("HSET", "h", "f", "v")], ("GETDEL", "a"), ("GETDEL", "a"),
                   ("GETDEL", "h")),
    "getex-no-option": case([("SET", "a", "1")], ("GETEX", "a"), ("GETEX", "nokey")),
    "getex-relative": case([("SET", "a", "1")], ("GETEX", "a", "EX", "100"), ("GETEX", "a", "PX", "200000")),
    "getex-absolute": case([("SET", "a", "1")], ("GETEX", "a", "EXAT", FAR_S), ("GETEX", "a", "PXAT", FAR_MS)),
    "getex-past": case([("SET", "a", "1"), ("SET", "b", "1")], ("GETEX", "a", "PXAT", "1"),
                       ("GETEX", "b", "EXAT", "1")),
    "getex-persist": case([("SET", "a", "1", "EX", "100"), ("SET", "b", "1")], ("GETEX", "a", "PERSIST"),
                          ("GETEX", "a", "PERSIST"), ("GETEX", "b", "PERSIST")),
    "getex-errors": case([("SET", "a", "1"), ("HSET", "h", "f", "v")], ("GETEX", "a", "EX", "0"),
                         ("GETEX", "a", "EX", "x"), ("GETEX", "a", "KEEPTTL"), ("GETEX", "a", "EX", "1", "PX", "1"),
                         ("GETEX", "h"), ("GETEX", "nokey", "EX", "0")),
    "append": case([("SET", "a", "1", "EX", "100"), ("HSET", "h", "f", "v")], ("APPEND", "a", "23"),
                   ("APPEND", "a", ""), ("APPEND", "b", "x"), ("APPEND", "c", ""), ("APPEND", "h", "x"),
                   ("TTL", "a")),
    "strlen-getrange": case([("SET", "a", "hello")], ("STRLEN", "a"), ("STRLEN", "nokey"),
                            ("GETRANGE", "a", "0", "2"), ("GETRANGE", "nokey", "0", "2"),
                            ("SUBSTR", "a", "1", "-1"), ("GETRANGE", "a", "x", "1")),
    "setrange": case([("SET", "a", "hello", "EX", "100"), ("HSET", "h", "f", "v")],
                     ("SETRANGE", "a", "1", "EL"), ("SETRANGE", "a", "1", ""), ("SETRANGE", "b", "3", "xy"),
                     ("SETRANGE", "c", "3", ""), ("SETRANGE", "a", "-1", "x"), ("SETRANGE", "h", "0", "x"),
                     ("SETRANGE", "a", "x", "y"), ("TTL", "a")),
    "incr-family": case([("SET", "n", "1", "EX", "100"), ("SET", "s", "x")], ("INCR", "n"), ("DECR", "n"),
                        ("INCRBY", "n", "10"), ("DECRBY", "n", "3"), ("INCR", "new"), ("DECRBY", "new2", "5"),
                        ("INCR", "s"), ("INCRBY", "n", "x"), ("TTL", "n")),
    "incr-overflow": case([("SET", "n", "9223372036854775807")], ("INCR", "n"), ("DECRBY", "n", "-9223372036854775808"),
                          ("INCRBY", "n", "0")),
    "incrbyfloat": case([("SET", "f", "10.5", "EX", "100"), ("SET", "s", "x")], ("INCRBYFLOAT", "f", "0.1"),
                        ("INCRBYFLOAT", "g", "3"), ("INCRBYFLOAT", "g", "1e3"), ("INCRBYFLOAT", "s", "1"),
                        ("INCRBYFLOAT", "f", "x"), ("INCRBYFLOAT", "f", "inf"), ("TTL", "f")),
    "incrbyfloat-expired": case([("SET", "f", "1", "PX", "1")], LAPSE, ("INCRBYFLOAT", "f", "2")),
    "lcs": case([("SET", "a", "ohmytext"), ("SET", "b", "mynewtext")], ("LCS", "a", "b"),
                ("LCS", "a", "nokey", "LEN"), ("LCS", "nokey", "other")),
}

KEYS = {
    "del": case([("SET", "a", "1"), ("HSET", "h", "f", "v")], ("DEL", "a", "nokey", "h"), ("DEL", "nokey")),
    "del-duplicates": case([("SET", "a", "1")], ("DEL", "a", "a")),
    "unlink": case([("SET", "a", "1")], ("UNLINK", "a", "b"), ("unlink", "a")),
    "del-expired": case([("SET", "a", "1", "PX", "1"), ("SET", "b", "1")], LAPSE, ("DEL", "a", "b")),
    "exists-touch-type": case([("SET", "a", "1")], ("EXISTS", "a", "nokey"), ("TOUCH", "a", "nokey"),
                              ("TYPE", "a"), ("TYPE", "nokey")),
    "expire": case([("SET", "a", "1")], ("EXPIRE", "a", "100"), ("PEXPIRE", "a", "200000"),
                   ("EXPIREAT", "a", FAR_S), ("PEXPIREAT", "a", FAR_MS), ("pexpireat", "a", "4102444800001")),
    "expire-options": case([("SET", "a", "1"), ("SET", "b", "1", "EX", "100")],
                           ("EXPIRE", "a", "100", "XX"), ("EXPIRE", "a", "100", "nx"),
                           ("EXPIRE", "a", "50", "GT"), ("EXPIRE", "a", "500", "gt"),
                           ("PEXPIRE", "b", "1000", "LT"), ("EXPIRE", "b", "100", "NX"),
                           ("PEXPIREAT", "b", FAR_MS, "XX", "GT")),
    "expire-past": case([("SET", "a", "1"), ("SET", "b", "1"), ("SET", "c", "1"), ("SET", "d", "1")],
                        ("EXPIRE", "a", "-1"), ("PEXPIRE", "b", "0"), ("EXPIREAT", "c", "1"),
                        ("PEXPIREAT", "d", "1")),
    "expire-missing-and-errors": case([("SET", "a", "1")], ("EXPIRE", "nokey", "100"), ("EXPIRE", "a", "x"),
                                      ("EXPIRE", "a", "10", "NX", "XX"), ("EXPIRE", "a", "10", "GT", "LT"),
                                      ("EXPIRE", "a", "10", "foo"), ("EXPIRE", "a", "9223372036854775807"),
                                      ("PEXPIRE", "a", "9223372036854775807")),
    "expire-expired": case([("SET", "a", "1", "PX", "1")], LAPSE, ("EXPIRE", "a", "100")),
    "persist": case([("SET", "a", "1", "EX", "100"), ("SET", "b", "1")], ("PERSIST", "a"), ("PERSIST", "a"),
                    ("PERSIST", "b"), ("PERSIST", "nokey")),
    "ttl-family": case([("SET", "a", "1", "EXAT", FAR_S)], ("EXPIRETIME", "a"), ("PEXPIRETIME", "a"),
                       ("TTL", "nokey"), ("PTTL", "nokey"), ("EXPIRETIME", "nokey")),
    "rename": case([("SET", "a", "1", "EX", "100")], ("RENAME", "a", "b"), ("TTL", "b"), ("RENAME", "b", "b"),
                   ("RENAME", "nokey", "x")),
    "rename-over-existing": case([("SET", "a", "1"), ("HSET", "b", "f", "v")], ("RENAME", "a", "b"), ("TYPE", "b")),
    "renamenx": case([("SET", "a", "1"), ("SET", "b", "2")], ("RENAMENX", "a", "b"), ("RENAMENX", "a", "c"),
                     ("RENAMENX", "c", "c"), ("RENAMENX", "nokey", "d")),
    "rename-expired": case([("SET", "a", "1", "PX", "1"), ("SET", "b", "1")], LAPSE, ("RENAME", "a", "c"),
                           ("RENAME", "b", "c")),
    "copy": case([("SET", "a", "1", "EX", "100"), ("SET", "b", "2")], ("COPY", "a", "c"), ("COPY", "a", "b"),
                 ("COPY", "a", "b", "REPLACE"), ("COPY", "nokey", "x"), ("COPY", "a", "a"), ("TTL", "c")),
    "copy-db": case([("SET", "a", "1")], ("COPY", "a", "a", "DB", "1"), ("COPY", "a", "a", "DB", "1"),
                    ("COPY", "a", "a", "DB", "1", "REPLACE"), ("COPY", "a", "b", "DB", "16"),
                    ("COPY", "a", "b", "DB", "x"), ("COPY", "a", "b", "foo")),
    "move": case([("SET", "a", "1", "EX", "100"), ("SET", "b", "2"), ("SELECT", "2"), ("SET", "b", "3"),
                  ("SELECT", "0")],
                 ("MOVE", "a", "2"), ("MOVE", "b", "2"), ("MOVE", "nokey", "2"), ("MOVE", "b", "0"),
                 ("MOVE", "b", "16"), ("MOVE", "b", "x"), ("SELECT", "2"), ("TTL", "a"), ("SELECT", "0")),
    "object": case([("SET", "a", "1")], ("OBJECT", "ENCODING", "a"), ("OBJECT", "ENCODING", "nokey"),
                   ("OBJECT", "REFCOUNT", "nokey"), ("OBJECT", "IDLETIME", "nokey")),
    "keys-scan-randomkey-expired": case([("SET", "a", "1", "PX", "1")], LAPSE, ("KEYS", "*"), ("SCAN", "0"),
                                        ("RANDOMKEY",)),
    "randomkey-expired": case([("SET", "a", "1", "PX", "1")], LAPSE, ("RANDOMKEY",), ("RANDOMKEY",)),
    "other-db": case([], ("SELECT", "1"), ("SET", "a", "1"), ("EXPIRE", "a", "100"), ("SELECT", "0"),
                     ("SET", "a", "2"), ("SWAPDB", "0", "1"), ("GET", "a")),
}

HASHES = {
    "hset": case([], ("HSET", "h", "a", "1", "b", "2"), ("HSET", "h", "a", "3"), ("HSET", "h", "a", "3"),
                 ("hset", "h", "c", "1")),
    "hmset": case([], ("HMSET", "h", "a", "1"), ("HMSET", "h", "a", "2", "b", "1")),
    "hset-errors": case([("SET", "s", "x")], ("HSET", "h", "a"), ("HSET", "h", "a", "1", "b"),
                        ("HSET", "s", "a", "1"), ("HMSET", "h", "a", "1", "b")),
    "hset-expired": case([("HSET", "h", "a", "1"), ("PEXPIRE", "h", "5")], LAPSE, ("HSET", "h", "b", "2")),
    "hsetnx": case([("HSET", "h", "a", "1"), ("SET", "s", "x")], ("HSETNX", "h", "a", "2"),
                   ("HSETNX", "h", "b", "2"), ("HSETNX", "g", "a", "1"), ("HSETNX", "s", "a", "1")),
    "hash-reads": case([("HSET", "h", "a", "1", "b", "22")], ("HGET", "h", "a"), ("HGET", "nokey", "a"),
                       ("HMGET", "nokey", "a"), ("HGETALL", "nokey"), ("HKEYS", "nokey"), ("HVALS", "nokey"),
                       ("HLEN", "nokey"), ("HSTRLEN", "nokey", "a"), ("HEXISTS", "nokey", "a"),
                       ("HRANDFIELD", "nokey"), ("HRANDFIELD", "nokey", "2"), ("HSCAN", "nokey", "0"),
                       ("HLEN", "h"), ("HSTRLEN", "h", "b"), ("HEXISTS", "h", "x")),
    "hdel": case([("HSET", "h", "a", "1", "b", "2", "c", "3")], ("HDEL", "h", "x"), ("HDEL", "h", "a", "x"),
                 ("HDEL", "nokey", "a"), ("HDEL", "h", "b", "c", "b"), ("EXISTS", "h")),
    "hdel-wrongtype": case([("SET", "s", "x")], ("HDEL", "s", "a")),
    "hincrby": case([("HSET", "h", "n", "1", "s", "x", "big", "9223372036854775807")],
                    ("HINCRBY", "h", "n", "5"), ("HINCRBY", "h", "new", "-2"), ("HINCRBY", "g", "n", "1"),
                    ("HINCRBY", "h", "s", "1"), ("HINCRBY", "h", "big", "1"), ("HINCRBY", "h", "n", "x"),
                    ("HINCRBY", "h", "n", "0")),
    "hincrbyfloat": case([("HSET", "h", "f", "10.5", "s", "x")], ("HINCRBYFLOAT", "h", "f", "0.1"),
                         ("HINCRBYFLOAT", "h", "g", "3.0e2"), ("HINCRBYFLOAT", "k", "f", "1"),
                         ("HINCRBYFLOAT", "h", "s", "1"), ("HINCRBYFLOAT", "h", "f", "x"),
                         ("HINCRBYFLOAT", "h", "f", "inf")),
}

TRANSACTIONS = {
    "multi-writes": case([], ("MULTI",), ("SET", "a", "1"), ("INCR", "a"), ("HSET", "h", "f", "v"), ("EXEC",)),
    "multi-single-write": case([], ("MULTI",), ("SET", "a", "1"), ("GET", "a"), ("EXEC",)),
    "multi-rewrites": case([("SET", "f", "1")], ("MULTI",), ("INCRBYFLOAT", "f", "1.5"), ("EXPIRE", "f", "100"),
                           ("SETEX", "g", "100", "v"), ("GETSET", "g", "w"), ("HINCRBYFLOAT", "h", "x", "2"),
                           ("GETEX", "f", "PX", "5000"), ("GETDEL", "f"), ("EXEC",)),
    "multi-expire-past": case([("SET", "a", "1")], ("MULTI",), ("EXPIRE", "a", "-1"), ("SET", "b", "1"), ("EXEC",)),
    "multi-runtime-error": case([("HSET", "h", "f", "v")], ("MULTI",), ("SET", "a", "1"), ("INCR", "h"),
                                ("HDEL", "h", "f"), ("EXEC",)),
    "multi-reads-only": case([("SET", "a", "1")], ("MULTI",), ("GET", "a"), ("GET", "nokey"), ("GETEX", "a"),
                             ("EXEC",)),
    "multi-no-op-writes": case([("SET", "a", "1")], ("MULTI",), ("SETNX", "a", "2"), ("HDEL", "nokey", "f"),
                               ("PERSIST", "a"), ("DEL", "nokey"), ("EXEC",)),
    "multi-discard": case([], ("MULTI",), ("SET", "a", "1"), ("DISCARD",), ("GET", "a")),
    "multi-execabort": case([], ("MULTI",), ("SET", "a"), ("SET", "b", "1"), ("EXEC",)),
    "multi-expired-key": case([("SET", "a", "1", "PX", "1")], LAPSE, ("MULTI",), ("SET", "b", "1"),
                              ("GET", "a"), ("EXEC",)),
    "multi-other-db": case([], ("MULTI",), ("SET", "a", "1"), ("SELECT", "3"), ("SET", "a", "2"),
                           ("MOVE", "a", "0"), ("SELECT", "0"), ("EXEC",)),
}

FAMILIES = {"strings": STRINGS, "keys": KEYS, "hashes": HASHES, "transactions": TRANSACTIONS}
CASES = [(f, name, *c) for f, cases in FAMILIES.items() for name, c in cases.items()]
IDS = ["%s:%s" % (f, name) for f, name, _, _ in CASES]


# ---------------------------------------------------------------------------- against redis
class Raced(Exception):
    """The active expiry cycle deleted a LAPSE key before the command could meet it."""


def _plain(r):
    """A RawClient reply as plain data (errors keep their text)."""
    t, v = r
    if t in "*~>" and v is not None:
        return [_plain(x) for x in v]
    return (t, v)


def _expired_keys(info_reply) -> int:
    for line in info_reply[1].decode().splitlines():
        if line.startswith("expired_keys:"):
            return int(line.split(":")[1])
    raise AssertionError("no expired_keys in INFO stats")


class Observer:
    """One server seen from outside: keyspace events (EventStream, whose sentinel goes out on
    a connection of its own, so events can be read while the command connection is in MULTI)
    and the replication stream (SYNC). ``cron_expiry``: the server expires keys in a 1 Hz
    cron, and each run starts just after a cycle."""

    QUIET = 0.6            # seconds after a 1 Hz expiry cycle that a case may start in

    def __init__(self, server, cron_expiry: bool = False):
        self.server = server
        self.cron_expiry = cron_expiry
        self.last_cycle = 0.0
        self.ev = EventStream(server.host, server.port)
        self.repl = ReplStream(server)

    def _after_expiry_cycle(self, c) -> None:
        if time.monotonic() - self.last_cycle < self.QUIET:
            return
        before = _expired_keys(c.call("INFO", "stats"))
        c.call("SET", "__tick__", "1", "PX", "1")
        deadline = time.monotonic() + 5
        while _expired_keys(c.call("INFO", "stats")) == before:
            assert time.monotonic() < deadline, "no expiry cycle within 5s"
            time.sleep(0.002)
        self.last_cycle = time.monotonic()

    def close(self) -> None:
        self.repl.close()
        self.ev.close()

    def run(self, setup, steps):
        """(replies, events per command, propagated stream); ``self.start`` is when the
        steps began (unix ms)."""
        with RawClient(self.server.host, self.server.port) as c:
            if self.cron_expiry:
                self._after_expiry_cycle(c)
            c.call("FLUSHALL")
            expired = _expired_keys(c.call("INFO", "stats"))
            for cmd in setup:
                c.call(*cmd)
            c.call("SELECT", "0")
            self.repl.catch_up()
            self.ev.events()
            replies, events = [], []
            lapse = False
            self.start = time.time() * 1000
            for step in steps:
                if isinstance(step, float):
                    time.sleep(step)
                elif step == LAPSE:
                    time.sleep(0.02)
                    lapse = True
                elif lapse:
                    # INFO and the command in one packet: nothing runs between them (on
                    # pickledbd the expiry cycle runs between batches)
                    info, reply = c.pipeline([["INFO", "stats"], list(step)])
                    if _expired_keys(info) != expired:
                        raise Raced()
                    lapse = False
                    replies.append(_plain(reply))
                    events.append(self.ev.events())
                else:
                    replies.append(_plain(c.call(*step)))
                    events.append(self.ev.events())
        return replies, events, _normalized(self.repl.catch_up())

    def run_settled(self, setup, steps, attempts: int = 8):
        for _ in range(attempts):
            try:
                return self.run(setup, steps)
            except Raced:
                continue
        raise AssertionError("the active expiry cycle won the race %d times" % attempts)


def _normalized(stream: list) -> list:
    """The stream minus EventStream's sentinel PUBLISHes (in db 0), with a SELECT only where
    the database of the next command changes (the stream starts in db 0: catch_up's
    sentinel is written there)."""
    out, db, emitted = [], b"0", b"0"
    for cmd in stream:
        if cmd[0].upper() == b"SELECT":
            db = cmd[1]
            continue
        if cmd[:2] == [b"PUBLISH", SENTINEL]:
            continue
        if db != emitted:
            out.append([b"SELECT", db])
            emitted = db
        out.append(cmd)
    return out


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """redis-server with DEBUG allowed, so its active expiry can be paused."""
    if redis_server_binary() is None:
        pytest.skip("redis-server binary not found on PATH")
    d = tmp_path_factory.mktemp("redis-debug")
    srv = start_with_retry(lambda: RedisServer(d, extra_args=("--enable-debug-command", "yes")))
    try:
        with srv.client() as r:
            r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def observers(reference, pickledbd_server):
    with RawClient(pickledbd_server.host, pickledbd_server.port) as c:
        c.call("CONFIG", "SET", "hz", "1")
        time.sleep(0.15)             # the cron's current 1/10 s sleep ends
        ref, dut = Observer(reference), Observer(pickledbd_server, cron_expiry=True)
        try:
            yield ref, dut
        finally:
            ref.close()
            dut.close()
            c.call("CONFIG", "SET", "hz", "10")


def _render(steps) -> str:
    return "\n".join("  " + (" ".join(s) if isinstance(s, tuple) and s != LAPSE else repr(s)) for s in steps)


@pytest.mark.parametrize("family,name,setup,steps", CASES, ids=IDS)
def test_events_and_propagation_match_redis(observers, family, name, setup, steps):
    ref, dut = observers
    expected = ref.run_settled(setup, steps)
    actual = dut.run_settled(setup, steps)
    where = "setup: %r\nsteps:\n%s" % (setup, _render(steps))
    assert actual[0] == expected[0], "replies differ\n%s\nredis:     %r\npickledbd: %r" % (where, expected[0], actual[0])
    assert actual[1] == expected[1], "events differ\n%s\nredis:     %r\npickledbd: %r" % (where, expected[1], actual[1])
    # absolute times equal within a tolerance (the two runs do not start at the same ms)
    assert streams_match(expected[2], actual[2]), "streams differ\n%s\nredis:\n%s\npickledbd:\n%s" % (
        where, show(relative(expected[2], ref.start)), show(relative(actual[2], dut.start)))


def test_streams_are_not_empty_where_writes_happen(observers):
    """The comparison above is only worth something if writes show up: a sanity check of the
    harness on pickledbd's side."""
    _, dut = observers
    _, events, stream = dut.run_settled([], [("SET", "k", "v", "EX", "100"), ("INCRBYFLOAT", "n", "1")])
    stream = relative(stream, dut.start)
    assert [c[0] for c in stream] == [b"SET", b"SET"] and stream[0][3:] == [b"PXAT", b"<+100s>"], stream
    assert events[1] == [(b"__keyspace@0__:n", b"new"), (b"__keyevent@0__:new", b"n"),
                         (b"__keyspace@0__:n", b"incrbyfloat"), (b"__keyevent@0__:incrbyfloat", b"n")]


# ---------------------------------------------------------------------------- every caller
class Local:
    """An in-process server recording propagation and keyspace events (no keymiss: with
    class m every command takes the full path, and the hot path is what is checked here)."""

    def __init__(self):
        self.srv = LocalServer()
        self.c = self.srv.client()
        self.records: list = []
        self.events: list = []
        self.srv.engine.propagation.add_feed(self.records.extend)
        ks = self.srv.ks
        ks.notify_mask = ev_classes.ALL | ev_classes.NEW | ev_classes.KEYSPACE | ev_classes.KEYEVENT
        ks.notify_sink = lambda cls, event, key, db: self.events.append((event, key, db))

    def take(self):
        out = (_masked(self.records), list(self.events))
        self.records.clear()
        self.events.clear()
        return out


def _masked(records):
    """Absolute times (unix ms near now) differ between runs by a few ms."""
    now = time.time() * 1000

    def mask(a):
        return "<ms>" if isinstance(a, str) and a.isdigit() and abs(int(a) - now) < 86_400_000 else a
    return [(db, [mask(a) for a in args]) for db, args in records]


def _run_local(setup, steps, how: str):
    """Each step's (reply, records, events), run ``how``: "hot" (run_batch), "full"
    (process), "exec" (each command alone in MULTI/EXEC)."""
    loc = Local()
    random.seed(7)
    for cmd in setup:
        loc.srv.request(loc.c, *cmd)
    loc.srv.request(loc.c, "SELECT", "0")
    loc.take()
    out = []
    for step in steps:
        if step == LAPSE:
            time.sleep(0.02)      # no active expiry in-process: the command meets the key
            continue
        args = list(step)
        if how == "hot":
            reply = loc.srv.batch(loc.c, [args])
        elif how == "full" or args[0].upper() in ("SELECT", "MULTI", "EXEC", "DISCARD"):
            reply = loc.srv.request(loc.c, *args)
        else:
            loc.srv.request(loc.c, "MULTI")
            queued = loc.srv.request(loc.c, *args)
            reply = loc.srv.request(loc.c, "EXEC")
            if queued != b"+QUEUED\r\n":
                reply = queued        # refused when queued: EXEC aborted
            else:
                assert reply.startswith(b"*1\r\n"), reply
                reply = reply[4:]
        out.append((reply, *loc.take()))
    return out


@pytest.mark.parametrize("family,name,setup,steps", CASES, ids=IDS)
def test_every_caller_does_the_same(family, name, setup, steps):
    hot = _run_local(setup, steps, "hot")
    assert _run_local(setup, steps, "full") == hot
    if family != "transactions":
        assert _run_local(setup, steps, "exec") == hot
