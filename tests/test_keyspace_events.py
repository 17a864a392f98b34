"""Keyspace notifications, differential: random command sequences of every family run on
redis-server and on pickledbd with ``notify-keyspace-events KEAnm``; after each command
both must have published the same ``__keyspace@<db>__:<key>`` / ``__keyevent@<db>__:<event>``
messages, in the same order.

Generators come from tests/diff_commands.py; the capture from tests/keyspace_events.py.
``PICKLEDBD_DIFF_FAMILIES=strings,keys`` limits the families, as for test_differential.py.
"""
from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diff_commands import FAMILIES, load_extra_families, render, sequence_strategy
from keyspace_events import EventStream
from servers import RedisServer, ci_enabled, redis_server_binary, start_with_retry

load_extra_families()

EVENT_FAMILIES = [f for f in FAMILIES if f != "transactions"] + ["transactions"]
if os.environ.get("PICKLEDBD_DIFF_FAMILIES"):
    EVENT_FAMILIES = os.environ["PICKLEDBD_DIFF_FAMILIES"].split(",")

PROFILE = settings(derandomize=ci_enabled(), database=None if ci_enabled() else settings().database,
                   deadline=None, max_examples=40,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                          HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def streams(redis_server, pickledbd_server):
    ref = EventStream(redis_server.host, redis_server.port)
    dut = EventStream(pickledbd_server.host, pickledbd_server.port)
    yield ref, dut
    ref.close()
    dut.close()


def _fresh(streams) -> None:
    """A clean command connection (a sequence may end inside MULTI or in another db) and
    an empty keyspace on both servers."""
    for s in streams:
        s.call("RESET")
        s.call("FLUSHALL")
        s.events()


def _without_expired(evs):
    """A key given an expiry already past expires either at the next access (lazily) or by
    the active cycle between two commands, on either server, at 10 Hz: when its `expired`
    event comes is timing, not semantics (the scenarios below pin the lazy case)."""
    return [e for e in evs if e[1] != b"expired" and not e[0].endswith(b"__:expired")]


def run_and_compare(streams, commands) -> None:
    ref, dut = streams
    _fresh(streams)
    done = []
    for args, mode in commands:
        if args[0] == "SCANALL":
            continue
        a = ref.call(*args)
        b = dut.call(*args)
        done.append(render(args))
        expected, actual = _without_expired(ref.events()), _without_expired(dut.events())
        words = {(a.decode("latin-1") if isinstance(a, bytes) else str(a)).upper() for a in args}
        if {"SORT", "NOSORT", "LIMIT"} <= words or {"SORT_RO", "NOSORT", "LIMIT"} <= words:
            # BY nosort of a set takes its elements in the set's own (hash) order, which Redis
            # does not specify: with LIMIT, *which* elements' GET lookups run differs
            continue
        if mode != "exact" or args[0].upper() in (b"SORT", b"SORT_RO", "SORT", "SORT_RO"):
            # a reply compared without its order (a set's own order), and SORT, which looks
            # the weights of a set's elements up in the set's own (hash) order: the events of
            # those lookups come in that order, not part of what Redis specifies
            expected, actual = sorted(expected), sorted(actual)
        if expected != actual:
            pytest.fail("keyspace events differ after:\n  %s\nreplies: redis=%r pickledbd=%r\n"
                        "redis:     %r\npickledbd: %r" % ("\n  ".join(done), a, b, expected, actual),
                        pytrace=False)


_SEQUENCES: dict = {}


def _sequences(family):
    if family not in _SEQUENCES:
        fams = [family, "keys"] if family not in ("strings", "keys") else [family]
        _SEQUENCES[family] = sequence_strategy(fams, 25)
    return _SEQUENCES[family]


@pytest.mark.parametrize("family", EVENT_FAMILIES)
@PROFILE
@given(data=st.data())
def test_keyspace_events_match_redis(streams, family, data):
    run_and_compare(streams, data.draw(_sequences(family), label="commands"))


# Scenarios the generators reach rarely, replayed every run.
SCENARIOS = {
    "expired-lazily": [["SET", "k", "v", "PX", "1"], ["DEBUG-SLEEP"], ["GET", "k"]],
    "rename-over-existing": [["SET", "a", "1"], ["SET", "b", "2"], ["RENAME", "a", "b"]],
    "emptied-list": [["RPUSH", "l", "x"], ["LPOP", "l"]],
    "emptied-hash": [["HSET", "h", "f", "v"], ["HDEL", "h", "f"]],
    "emptied-set-by-spop": [["SADD", "s", "a", "b"], ["SPOP", "s", "5"]],
    "emptied-zset": [["ZADD", "z", "1", "a"], ["ZREM", "z", "a"]],
    "move-and-copy": [["SET", "a", "1"], ["COPY", "a", "b"], ["MOVE", "a", "3"]],
    "store-empty-result": [["SADD", "s", "a"], ["SINTERSTORE", "s", "s", "nokey"]],
    "keymiss-reads": [["GET", "nokey"], ["HGET", "nokey", "f"], ["EXISTS", "nokey"], ["TYPE", "nokey"]],
    # strings, keys, hashes
    "set-over-expired": [["SET", "k", "v", "PX", "1"], ["DEBUG-SLEEP"], ["SET", "k", "w"], ["MSET", "k", "x", "k", "y"]],
    "set-get-and-expire": [["SET", "k", "v", "GET", "EX", "100"], ["SET", "k", "w", "GET", "KEEPTTL"],
                           ["SET", "k", "x", "GET", "XX", "PX", "5000"]],
    "getex-variants": [["SET", "k", "v"], ["GETEX", "k", "EX", "100"], ["GETEX", "k", "PERSIST"],
                       ["GETEX", "k", "PERSIST"], ["GETEX", "k"], ["GETEX", "k", "PXAT", "1"]],
    "getset-getdel": [["GETSET", "k", "v"], ["GETSET", "k", "w"], ["GETDEL", "k"], ["GETDEL", "k"]],
    "string-edits": [["APPEND", "k", "ab"], ["APPEND", "k", ""], ["SETRANGE", "k", "1", ""], ["SETRANGE", "k", "1", "x"],
                     ["SETRANGE", "n", "0", ""], ["INCRBYFLOAT", "f", "1.5"], ["DECRBY", "i", "2"], ["INCR", "k"]],
    "msetnx-duplicates": [["MSETNX", "a", "1", "a", "2"], ["MSETNX", "a", "1", "b", "2"]],
    "keymiss-in-writes": [["GETSET", "nokey", "v"], ["GETDEL", "nokey"], ["GETEX", "nokey", "EX", "10"],
                          ["COPY", "nokey", "x"], ["SET", "nokey2", "v", "GET"], ["OBJECT", "ENCODING", "nokey"],
                          ["LCS", "nokey", "nokey3"]],
    "expire-variants": [["SET", "k", "v"], ["EXPIRE", "k", "100", "NX"], ["EXPIRE", "k", "50", "GT"],
                        ["PEXPIREAT", "k", "4102444800000", "XX"], ["PERSIST", "k"], ["PERSIST", "k"],
                        ["EXPIRE", "k", "-1"], ["EXPIRE", "k", "100"]],
    "rename-copy-move-other-db": [["SET", "a", "1", "EX", "100"], ["RENAME", "a", "b"], ["RENAMENX", "b", "b"],
                                  ["SELECT", "1"], ["SET", "b", "x"], ["SELECT", "0"],
                                  ["COPY", "b", "b", "DB", "1"], ["COPY", "b", "b", "DB", "1", "REPLACE"],
                                  ["MOVE", "b", "1"], ["MOVE", "b", "2"], ["SELECT", "2"], ["RENAME", "b", "c"],
                                  ["SELECT", "0"]],
    "randomkey-expired": [["SET", "k", "v", "PX", "1"], ["DEBUG-SLEEP"], ["RANDOMKEY"], ["KEYS", "*"]],
    "scan-expired": [["SET", "k", "v", "PX", "1"], ["DEBUG-SLEEP"], ["SCAN", "0"], ["KEYS", "*"]],
    "hash-writes": [["HSETNX", "h", "a", "1"], ["HSETNX", "h", "a", "2"], ["HMSET", "h", "b", "2"],
                    ["HINCRBY", "h", "n", "3"], ["HINCRBYFLOAT", "h", "x", "0.5"], ["HINCRBY", "h", "a", "x"],
                    ["HDEL", "h", "zz"], ["HDEL", "h", "a", "b", "n", "x", "a"]],
}


@pytest.fixture(scope="module")
def lazy_streams(tmp_path_factory, pickledbd_server):
    """Both servers with DEBUG SET-ACTIVE-EXPIRE 0: a key given 1 ms to live then expires
    only when a command meets it, which is what the scenarios below pin (with the active
    cycle on, either server could expire it between two commands)."""
    if redis_server_binary() is None:
        pytest.skip("redis-server binary not found on PATH")
    ref_srv = start_with_retry(lambda: RedisServer(tmp_path_factory.mktemp("redis-lazy"),
                                                   extra_args=("--enable-debug-command", "yes")))
    ref = EventStream(ref_srv.host, ref_srv.port)
    dut = EventStream(pickledbd_server.host, pickledbd_server.port)
    try:
        for s in (ref, dut):
            assert s.call("DEBUG", "SET-ACTIVE-EXPIRE", "0") == b"OK"
        yield ref, dut
    finally:
        dut.call("DEBUG", "SET-ACTIVE-EXPIRE", "1")
        ref.close()
        dut.close()
        ref_srv.stop()


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_keyspace_event_scenarios(lazy_streams, name):
    import time
    ref, dut = streams = lazy_streams
    _fresh(streams)
    for cmd in SCENARIOS[name]:
        if cmd == ["DEBUG-SLEEP"]:
            time.sleep(0.05)
            continue
        ref.call(*cmd)
        dut.call(*cmd)
        assert dut.events() == ref.events(), "after %s" % " ".join(cmd)
