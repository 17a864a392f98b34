"""The engine is one code path for every caller: a command does the same thing - reply,
data, propagation records, keyspace events, statistics - whether it arrives on the hot
path (``run_batch``), the full path (``process``: what MONITOR, auth, MULTI and tracking
clients take), inside MULTI/EXEC, or as a blocked client served after a write.

In-process (``LocalServer``): the real services and engine without sockets.
"""
from __future__ import annotations

import random

import pytest

from pickledbd.daemon.inprocess import LocalServer
from pickledbd.daemon.keyspace import events

# (setup commands, command under test) per family; the setup runs the same way for every caller
CASES = {
    "strings": [
        ([], ["SET", "k", "v"]),
        ([], ["SET", "k", "v", "EX", "100"]),
        ([["SET", "k", "v"]], ["SET", "k", "w", "NX"]),
        ([["SET", "k", "v"]], ["GET", "k"]),
        ([["SET", "k", "v"]], ["GETDEL", "k"]),
        ([["SET", "k", "v"]], ["GETEX", "k", "PX", "5000"]),
        ([["SET", "n", "1"]], ["INCRBY", "n", "41"]),
        ([["SET", "n", "x"]], ["INCR", "n"]),
        ([["SET", "f", "1"]], ["INCRBYFLOAT", "f", "1.5"]),
        ([["SET", "k", "ab"]], ["APPEND", "k", "cd"]),
        ([], ["SETRANGE", "k", "3", "xy"]),
        ([], ["MSET", "a", "1", "b", "2"]),
        ([["SET", "a", "1"]], ["MSETNX", "a", "1", "b", "2"]),
        ([["SET", "a", "hello"], ["SET", "b", "hallo"]], ["LCS", "a", "b"]),
        ([["HSET", "h", "f", "v"]], ["GET", "h"]),
    ],
    "keys": [
        ([["SET", "k", "v"]], ["DEL", "k", "nokey"]),
        ([], ["DEL", "nokey"]),
        ([["SET", "k", "v"]], ["EXPIRE", "k", "100"]),
        ([["SET", "k", "v"]], ["EXPIRE", "k", "-1"]),
        ([["SET", "k", "v"]], ["PEXPIREAT", "k", "1"]),
        ([["SET", "k", "v", "EX", "100"]], ["PERSIST", "k"]),
        ([["SET", "k", "v"]], ["RENAME", "k", "k2"]),
        ([["SET", "k", "v"]], ["COPY", "k", "k2"]),
        ([["SET", "k", "v"]], ["MOVE", "k", "3"]),
        ([["SET", "k", "v"]], ["TYPE", "k"]),
        ([["SET", "k", "v"]], ["EXISTS", "k", "k", "x"]),
        ([["SET", "k", "v"]], ["OBJECT", "ENCODING", "k"]),
        ([["SET", "k", "v"]], ["TOUCH", "k"]),
    ],
    "hashes": [
        ([], ["HSET", "h", "a", "1", "b", "2"]),
        ([["HSET", "h", "a", "1"]], ["HDEL", "h", "a"]),
        ([["HSET", "h", "a", "1"]], ["HINCRBY", "h", "a", "5"]),
        ([["HSET", "h", "a", "1"]], ["HINCRBYFLOAT", "h", "a", "0.5"]),
        ([["HSET", "h", "a", "1"]], ["HGETALL", "h"]),
        ([["SET", "s", "x"]], ["HSET", "s", "a", "1"]),
    ],
    "lists": [
        ([], ["RPUSH", "l", "a", "b", "c"]),
        ([["RPUSH", "l", "a", "b"]], ["LPOP", "l"]),
        ([["RPUSH", "l", "a"]], ["RPOP", "l"]),
        ([["RPUSH", "l", "a", "b"]], ["LMOVE", "l", "m", "LEFT", "RIGHT"]),
        ([["RPUSH", "l", "a", "b", "c"]], ["LRANGE", "l", "0", "-1"]),
        ([["RPUSH", "l", "a", "b"]], ["BLPOP", "l", "0"]),
        ([["RPUSH", "l", "a", "b"]], ["BLMOVE", "l", "m", "LEFT", "LEFT", "0"]),
        ([], ["BLPOP", "empty", "1"]),
        ([["RPUSH", "l", "a", "b", "c"]], ["LTRIM", "l", "1", "1"]),
    ],
    "sets": [
        ([], ["SADD", "s", "a", "b"]),
        ([["SADD", "s", "a", "b"]], ["SREM", "s", "a", "x"]),
        ([["SADD", "s", "a"]], ["SPOP", "s"]),
        ([["SADD", "s", "a", "b"], ["SADD", "t", "b", "c"]], ["SINTERSTORE", "d", "s", "t"]),
        ([["SADD", "s", "a"]], ["SMOVE", "s", "t", "a"]),
        ([["SADD", "s", "a", "b"]], ["SISMEMBER", "s", "b"]),
    ],
    "zsets": [
        ([], ["ZADD", "z", "1", "a", "2", "b"]),
        ([["ZADD", "z", "1", "a"]], ["ZINCRBY", "z", "2", "a"]),
        ([["ZADD", "z", "1", "a", "2", "b"]], ["ZPOPMIN", "z"]),
        ([["ZADD", "z", "1", "a", "2", "b"]], ["BZPOPMAX", "z", "0"]),
        ([["ZADD", "z", "1", "a", "2", "b"]], ["ZRANGE", "z", "0", "-1", "WITHSCORES"]),
        ([["ZADD", "z", "1", "a", "2", "b"]], ["ZREMRANGEBYSCORE", "z", "0", "1"]),
        ([["ZADD", "z", "1", "a"], ["ZADD", "y", "2", "a"]], ["ZUNIONSTORE", "d", "2", "z", "y"]),
    ],
    "server": [
        ([["SET", "k", "v"]], ["FLUSHDB"]),
        ([], ["FLUSHDB"]),
        ([["SET", "k", "v"]], ["SWAPDB", "0", "1"]),
        ([["SET", "k", "v"]], ["DBSIZE"]),
        ([], ["ECHO", "hi"]),
        ([], ["NOSUCHCOMMAND", "x"]),
        ([], ["GET"]),
    ],
}

ALL = [(family, setup, cmd) for family, cases in CASES.items() for setup, cmd in cases]
IDS = ["%s:%s" % (family, " ".join(cmd)) for family, _, cmd in ALL]


class Run:
    """A fresh server with a propagation feed and a keyspace-event recorder."""

    def __init__(self):
        self.srv = LocalServer()
        self.c = self.srv.client()
        self.records: list = []
        self.events: list = []
        self.srv.engine.propagation.add_feed(self.records.extend)
        ks = self.srv.ks
        ks.notify_mask = events.ALL | events.NEW | events.KEYSPACE | events.KEYEVENT
        ks.notify_sink = lambda cls, event, key, db: self.events.append((event, key, db))

    def setup(self, cmds):
        for cmd in cmds:
            self.srv.request(self.c, *cmd)
        self.records.clear()
        self.events.clear()

    def outcome(self, reply: bytes, cmd):
        table = self.srv.engine.table
        command = table.lookup(cmd[0])
        stats = (command.calls, command.failed_calls) if command is not None else None
        data = {i: dict(db.data) for i, db in enumerate(self.srv.ks.dbs) if db.data}
        ttls = {i: sorted(db.expires) for i, db in enumerate(self.srv.ks.dbs) if db.expires}
        return {"reply": reply, "records": _times_masked(self.records), "events": list(self.events),
                "stats": stats, "data": repr(data), "ttls": ttls}


def _times_masked(records):
    """Absolute times differ between runs by a few ms: mask numbers of 13 digits."""
    out = []
    for db, args in records:
        out.append((db, [("<ms>" if isinstance(a, str) and a.isdigit() and len(a) == 13 else a) for a in args]))
    return out


def via_hot_path(setup, cmd):
    r = Run()
    r.setup(setup)
    random.seed(7)
    reply = r.srv.batch(r.c, [list(cmd)])
    _wake_if_blocked(r, cmd)
    return r.outcome(reply or r.srv.take_output(r.c), cmd)


def via_full_path(setup, cmd):
    r = Run()
    r.setup(setup)
    random.seed(7)
    reply = r.srv.request(r.c, *cmd)
    _wake_if_blocked(r, cmd)
    return r.outcome(reply or r.srv.take_output(r.c), cmd)


def via_exec(setup, cmd):
    r = Run()
    r.setup(setup)
    r.srv.request(r.c, "MULTI")
    queued = r.srv.request(r.c, *cmd)
    random.seed(7)
    reply = r.srv.request(r.c, "EXEC")
    if queued != b"+QUEUED\r\n":       # refused at queue time: EXEC aborts
        return r.outcome(queued, cmd)
    assert reply.startswith(b"*1\r\n"), reply
    return r.outcome(reply[4:], cmd)


def via_unblocked(setup, cmd):
    """Block first on empty keys, then run the setup from another client: the waiter is
    served through call() when the setup's write makes its key ready."""
    r = Run()
    random.seed(7)
    first = r.srv.request(r.c, *cmd)
    assert first == b"" and r.c.block is not None
    other = r.srv.client()
    for s in setup:
        r.srv.request(other, *s)
    assert r.c.block is None
    # the setup's own records and events are not the command's
    return r, r.srv.take_output(r.c)


def _wake_if_blocked(r, cmd):
    if r.c.block is not None:     # a blocking command on an empty key: its timeout fires now
        for t in list(r.srv.timers):
            t.fire()


@pytest.mark.parametrize("family,setup,cmd", ALL, ids=IDS)
def test_every_caller_does_the_same(family, setup, cmd):
    hot = via_hot_path(setup, cmd)
    full = via_full_path(setup, cmd)
    assert full == hot
    exe = via_exec(setup, cmd)
    if cmd[0].startswith("B") and not setup:
        # nothing blocks inside MULTI: the timeout reply at once, and nothing was counted as blocked
        assert exe["reply"] == hot["reply"]
        return
    assert exe == hot


BLOCKING = [(setup, cmd) for _, setup, cmd in ALL if cmd[0].startswith("B") and setup]


@pytest.mark.parametrize("setup,cmd", BLOCKING, ids=[" ".join(c) for _, c in BLOCKING])
def test_a_served_blocked_client_does_what_an_immediate_call_does(setup, cmd):
    direct = via_hot_path(setup, cmd)
    r, reply = via_unblocked(setup, cmd)
    assert reply == direct["reply"]
    # what the waiter's own run propagated is what the direct run propagated (Redis writes
    # BLMOVE's directions in lowercase when it serves a waiter later: compared without case)
    def folded(records):
        return [(db, [a.lower() for a in args]) for db, args in records]
    assert folded(_times_masked(r.records)[-len(direct["records"]):]) == folded(direct["records"])
    command = r.srv.engine.table.lookup(cmd[0])
    assert command.calls == 1          # counted once, when served (not when it blocked)


def test_hot_path_and_full_path_feed_monitors_the_same():
    srv = LocalServer()
    mon = srv.client()
    srv.request(mon, "MONITOR")
    srv.take_output(mon)
    c = srv.client()
    srv.batch(c, [["SET", "a", "1"], ["GET", "a"]])      # with a monitor, run_batch takes process()
    srv.request(c, "INCR", "a")
    lines = srv.take_output(mon).split(b"\r\n")
    assert [line.split(b"] ", 1)[1] for line in lines if line] == [b'"SET" "a" "1"', b'"GET" "a"', b'"INCR" "a"']


def test_no_block_rule_inside_multi_holds_for_every_blocking_command():
    srv = LocalServer()
    c = srv.client()
    table = srv.engine.table
    blocking = sorted(cmd.fullname for cmd in table.all_with_subcommands() if cmd.blocking)
    assert {"blpop", "brpop", "blmove", "brpoplpush", "blmpop", "bzpopmin", "bzpopmax", "bzmpop"} <= set(blocking)
    srv.request(c, "MULTI")
    for name in ("BLPOP", "BRPOP", "BZPOPMIN", "BZPOPMAX"):
        assert srv.request(c, name, "none", "0") == b"+QUEUED\r\n"
    assert srv.request(c, "BLMOVE", "none", "x", "LEFT", "LEFT", "0") == b"+QUEUED\r\n"
    reply = srv.request(c, "EXEC")
    assert reply == b"*5\r\n*-1\r\n*-1\r\n*-1\r\n*-1\r\n$-1\r\n"     # Redis 7.0's replies
    assert c.block is None
