"""The native GET, SET, INCR, MSET, LPUSH, RPUSH, LPOP, RPOP, SADD, HSET, SPOP, ZADD, ZPOPMIN,
ZPOPMAX and XADD of the compiled hot path (engine/call.py NATIVE, _speedups.c run_native and the runs of
native commands) do what their Python handlers do: one request sequence, run through the hot
path (run_batch) in a process with ``PICKLEDBD_PURE=1`` and in one on the compiled path, gives
the same replies and the same side effects (INFO stats and commandstats, keyspace hits/misses,
the dirty counter, propagation records, SLOWLOG, MONITOR lines, keyspace events, expiry,
remembered encodings), RESP2 and RESP3, binary keys and values, with and without propagation;
every precondition of the native code is crossed on the way (the compiled process checks that
both the native code and the fallback to the handler ran). A random sequence of them (and
their neighbours) gives the same results with the native commands on and off, read in the
middle of the batch too (INFO, SLOWLOG LEN, DBSIZE between them: a run of native commands
writes its effects back before they run).

Skipped when the extension is not built (a pure install).
"""
from __future__ import annotations

import contextlib
import gc
import os
import pickle
import random
import sys
from pathlib import Path

import pytest

_speedups = pytest.importorskip("pickledbd.daemon._speedups",
                                reason="the C extension is not built (pure install)")

from hypothesis import given, settings, strategies as st  # noqa: E402

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent

INT_EDGES = ["0", "1", "-1", "9223372036854775806", "9223372036854775807", "-9223372036854775808",
             "-9223372036854775807", "99999999999999999999", "-0", "+1", " 1", "1 ", "01", "-01", "1.0",
             "", "-", "1e3", "\u0661", "١٢", "12345678901234567890", "-12345678901234567890",
             "\udcff1", "0x10", "9" * 19, "-" + "9" * 19, "1" * 21]


def sequence() -> list:
    """(label, [requests]): every native precondition, met and not."""
    seq = [("plain", [["GET", "k"], ["SET", "k", "v"], ["GET", "k"], ["INCR", "n"], ["INCR", "n"], ["GET", "n"],
                      ["set", "K", "\udcff\x00\r\nbin"], ["get", "K"], ["Get", "\udcfe\udcffkey"],
                      ["SET", "\udcfe\udcffkey", "é€"], ["GET", "\udcfe\udcffkey"], ["INCR", "\udcfe\udcffkey"],
                      ["SET", "e", ""], ["GET", "e"], ["INCR", "e"], ["GET"], ["SET", "k"], ["INCR"],
                      ["GET", "a", "b"], ["INCR", "a", "b"]])]
    for v in INT_EDGES:
        seq.append(("int " + repr(v), [["SET", "i", v], ["INCR", "i"], ["GET", "i"], ["INCR", "i"]]))
    seq += [
        ("sets", [["SADD", "s", "a"], ["SADD", "s", "a", "b", "b"], ["SADD", "s", "a"], ["SCARD", "s"],
                  ["SADD", "n", "x", "x"], ["SISMEMBER", "n", "x"], ["SET", "str", "1"], ["SADD", "str", "m"],
                  ["SADD", "s"], ["SPOP", "n"], ["SADD", "n", "y"], ["SADD", "s", "c"], ["SADD", "p", "a"],
                  ["SRANDMEMBER", "p"], ["SADD", "p", "b"], ["SCARD", "p"],
                  ["SADD", "s", "d", "\udcff"], ["SCARD", "s"], ["SISMEMBER", "s", "\udcff"],
                  ["SADD", "e", "1"], ["PEXPIREAT", "e", "99999999999999"], ["SADD", "e", "2"], ["SCARD", "e"],
                  ["SPOP", "nos"], ["SPOP", "str"], ["SADD", "sp", *"abcdefghijkl"], ["SPOP", "sp"],
                  *[["SPOP", "sp"]] * 4, ["SADD", "sp", "x", "\udcff"], ["SPOP", "sp"], ["SREM", "sp", "x"],
                  *[["SPOP", "sp"]] * 3, ["SPOP", "sp", "2"], ["SRANDMEMBER", "sp"], *[["SPOP", "sp"]] * 3,
                  ["SCARD", "sp"], ["EXISTS", "sp"], ["SADD", "q", *"abcdefghij"], ["SRANDMEMBER", "q"],
                  ["SADD", "q", "k", "k", "a"], *[["SPOP", "q"]] * 4, ["SADD", "q", *"abcdefghijk"], ["SSCAN", "q", "0"],
                  *[["SPOP", "q"]] * 6, ["SADD", "q", "z"], *[["SPOP", "q"]] * 3, ["SCARD", "q"]]),
        ("hashes", [["HSET", "h", "f", "1"], ["HSET", "h", "g", "2"], ["OBJECT", "ENCODING", "h"],
                    ["HSET", "h", "long", "x" * 100], ["OBJECT", "ENCODING", "h"], ["HSET", "h", "f", "3", "i", "4"],
                    ["HSET", "h", "f", "3"], ["HSET", "h", "odd"], ["HSET", "h", "a", "1", "b"], ["HGET", "h", "f"],
                    ["HLEN", "h"], ["HSET", "str", "f", "v"], ["HSET", "hp", "f", "x" * 100], ["HRANDFIELD", "hp"],
                    ["HSET", "hp", "j", "5"], ["HLEN", "hp"], ["HSET", "h", "j", "5"],
                    ["HLEN", "h"], ["HSET", "\udcfe", "k", "y" * 70], ["HSET", "\udcfe", "\udcff", "é"],
                    ["HGET", "\udcfe", "\udcff"], ["HINCRBY", "h", "n", "1"], ["HSET", "h", "n", "7"], ["HGET", "h", "n"]]),
        ("zsets", [["ZPOPMIN", "z"], ["ZPOPMAX", "z"],
                   ["ZADD", "z", *[x for i in range(140) for x in ("%d.5" % (i % 7), "m%d" % i)]], ["OBJECT", "ENCODING", "z"],
                   ["ZADD", "z", "-inf", "\udcff", "inf", "é", "0.1", "x"], ["ZPOPMIN", "z"], ["ZPOPMAX", "z"],
                   ["ZPOPMAX", "z"], ["ZPOPMIN", "z"], ["ZPOPMIN", "z", "2"], ["ZPOPMAX", "z", "0"], ["ZCARD", "z"],
                   ["ZSCORE", "z", "m3"], ["ZADD", "s", "1", "a", "2", "b"], ["ZPOPMIN", "s"], ["ZPOPMAX", "s"],
                   ["ZPOPMIN", "s"], ["SET", "str", "1"], ["ZPOPMIN", "str"], ["ZPOPMIN", "z", "1", "x"],
                   ["ZADD", "two", *[x for i in range(130) for x in ("1", "t%d" % i)]],
                   ["ZREMRANGEBYRANK", "two", "0", "127"], ["ZPOPMIN", "two"], ["ZPOPMIN", "two"], ["EXISTS", "two"],
                   ["ZPOPMIN", "two"], ["ZADD", "e", *[x for i in range(130) for x in ("1", "e%d" % i)]],
                   ["PEXPIREAT", "e", "99999999999999"], ["ZPOPMIN", "e"], ["ZCARD", "e"],
                   ["ZADD", "z", "7", "m3"], ["ZADD", "z", "7", "m3"], ["ZADD", "z", "0", "new"], ["ZADD", "z", "01", "n2"],
                   ["ZADD", "z", "1.5", "n3"], ["ZADD", "z", "-3", "n4"], ["ZADD", "z", "1234567890123456", "n5"], ["ZADD", "z", "000000012345", "n7"], ["ZADD", "z", "000", "n8"],
                   ["ZADD", "z", "0000000000000001", "n9"], ["ZSCORE", "z", "n7"], ["ZADD", "z", "012", "n7"],
                   ["ZADD", "z", "123456789012345", "n6"], ["ZADD", "z", "5", "\udcff"], ["ZADD", "z", "5", "é"],
                   ["ZADD", "z", "NX", "9"], ["ZADD", "z", "9", "m1", "10", "m2"], ["ZSCAN", "z", "0", "COUNT", "5"],
                   ["ZADD", "z", "3", "fresh"], ["ZRANGE", "z", "0", "-1", "WITHSCORES"], ["ZADD", "s", "1", "q"],
                   ["ZADD", "nz", "1", "q"], ["ZADD", "str", "1", "q"], ["ZSCORE", "z", "new"], ["ZCARD", "z"]]),
        # a big sorted set shrunk to one member (it stays big): re-scoring it empties the
        # SortedList for a moment, a pop takes the last but one
        ("one left", [["ZADD", "w", *[x for i in range(130) for x in (str(i), "w%d" % i)]],
                      ["ZREMRANGEBYRANK", "w", "0", "128"], ["ZADD", "w", "5", "w129"],
                      ["ZRANGE", "w", "0", "-1", "WITHSCORES"], ["ZADD", "w", "7", "w129"], ["ZADD", "w", "1", "w1"],
                      ["ZRANK", "w", "w129"], ["ZPOPMAX", "w"], ["ZADD", "w", "2", "w2"], ["ZPOPMIN", "w"],
                      ["ZADD", "w", "3", "w1"], ["ZRANGE", "w", "0", "-1", "WITHSCORES"], ["ZCARD", "w"],
                      ["OBJECT", "ENCODING", "w"]]),
        ("streams", _stream_requests()),
        ("mset", [["MSET", "a", "1", "b", "2"], ["MSET", "a", "x", "a", "y"], ["GET", "a"], ["MSET", "a"],
                  ["MSET", "a", "1", "b"], ["LPUSH", "l", "1"], ["MSET", "l", "now", "c", "3"], ["TYPE", "l"],
                  ["SET", "t", "1", "PXAT", "99999999999999"], ["MSET", "t", "2", "u", "\udcff"], ["PTTL", "t"],
                  ["INCRBYFLOAT", "f", "0"], ["OBJECT", "ENCODING", "f"], ["MSET", "f", "0"], ["OBJECT", "ENCODING", "f"], ["MGET", "a", "b", "u"],
                  ["MSET", "\udcfe", "é", "k", ""], ["MGET", "\udcfe", "k"], ["DBSIZE"]]),
        ("small hashes", [["HSET", "sh", "f", "1"], ["HSET", "sh", "ff", "2"], ["HSET", "sh", "f", "1"],
                          ["HSET", "sh", "f", "10"], ["HSET", "sh", "ff", ""], ["HSET", "sh", "", "e"],
                          ["HSET", "sh", "a\x00b", "1"], ["HSET", "sh", "c", "x\x01\x02"], ["HSET", "sh", "é", "1"],
                          ["HSET", "sh", "g", "v" * 64], ["OBJECT", "ENCODING", "sh"], ["HGETALL", "sh"],
                          ["HSET", "sh", "f", "2", "g", "3"], ["HSET", "sh", "h", "v" * 65], ["OBJECT", "ENCODING", "sh"],
                          ["CONFIG", "SET", "hash-max-listpack-entries", "3"], ["HSET", "s3", "a", "1"],
                          ["HSET", "s3", "b", "2"], ["HSET", "s3", "c", "3"], ["HSET", "s3", "c", "4"],
                          ["OBJECT", "ENCODING", "s3"], ["HSET", "s3", "d", "5"], ["OBJECT", "ENCODING", "s3"],
                          ["HSET", "s4", "a", "1", "b", "2", "c", "3"], ["CONFIG", "SET", "hash-max-listpack-entries", "2"],
                          ["HSET", "s4", "a", "9"], ["OBJECT", "ENCODING", "s4"],
                          ["CONFIG", "SET", "hash-max-listpack-entries", "512"], ["HGETALL", "s3"], ["HGETALL", "s4"],
                          ["CONFIG", "SET", "hash-max-listpack-value", "4"], ["HSET", "s5", "a", "1"],
                          ["HSET", "s5", "a", "12345"], ["OBJECT", "ENCODING", "s5"],
                          ["CONFIG", "SET", "hash-max-listpack-value", "64"]]),
        ("lists", [["LPUSH", "l", "a"], ["LPUSH", "l", "b", "c"], ["RPUSH", "l", "\udcff", "é"], ["LRANGE", "l", "0", "-1"],
                   ["LPOP", "l"], ["RPOP", "l"], ["LPOP", "l", "1"], ["RPOP", "l", "0"], ["LLEN", "l"], ["RPOP", "l"],
                   ["LPOP", "l"], ["EXISTS", "l"], ["LPOP", "l"], ["RPOP", "nol"], ["LPOP", "nol", "2"],
                   ["RPUSH", "r", "1"], ["RPOP", "r"], ["EXISTS", "r"], ["LPUSH", "s1", "x"], ["SET", "str", "v"],
                   ["LPUSH", "str", "x"], ["RPOP", "str"], ["LPOP", "l", "-1"], ["LPOP"], ["RPUSH", "l"],
                   ["LPUSH", "t", "1", "2", "3"], ["PEXPIREAT", "t", "99999999999999"], ["LPUSH", "t", "4"], ["RPOP", "t"],
                   ["LRANGE", "t", "0", "-1"], ["PERSIST", "t"], ["RPOP", "t"], ["OBJECT", "ENCODING", "t"]]),
        ("wrongtype", [["LPUSH", "l", "x"], ["GET", "l"], ["INCR", "l"], ["SET", "l", "now a string"], ["GET", "l"],
                       ["HSET", "h", "f", "1"], ["INCR", "h"], ["SADD", "s", "m"], ["GET", "s"]]),
        ("options", [["SET", "o", "1", "NX"], ["SET", "o", "2", "XX"], ["SET", "o", "3", "GET"],
                     ["SET", "o", "4", "KEEPTTL"], ["SET", "o", "5", "BOGUS"], ["GET", "o"], ["INCR", "o"]]),
        ("expiry", [["SET", "x", "1", "PXAT", "99999999999999"], ["GET", "x"], ["INCR", "x"], ["PEXPIRETIME", "x"], ["SET", "x", "2"],
                    ["PEXPIRETIME", "x"], ["SET", "y", "1", "PXAT", "1"], ["GET", "y"], ["SET", "y2", "5", "PXAT", "1"],
                    ["INCR", "y2"], ["SET", "y3", "5", "PXAT", "1"], ["SET", "y3", "6"], ["GET", "y3"],
                    ["EXPIREAT", "n", "99999999999"], ["INCR", "n"], ["EXPIRETIME", "n"], ["PERSIST", "n"], ["INCR", "n"]]),
        ("encodings", [["SET", "enc", "ab"], ["APPEND", "enc", "c"], ["OBJECT", "ENCODING", "enc"],
                       ["SET", "enc", "abc"], ["OBJECT", "ENCODING", "enc"], ["INCRBYFLOAT", "f", "1"],
                       ["OBJECT", "ENCODING", "f"], ["INCR", "f"], ["OBJECT", "ENCODING", "f"], ["SET", "g", "7"],
                       ["OBJECT", "ENCODING", "g"], ["INCR", "g"], ["OBJECT", "ENCODING", "g"],
                       ["SET", "big", "x" * 50], ["OBJECT", "ENCODING", "big"], ["GET", "big"]]),
        ("events on", [["CONFIG", "SET", "notify-keyspace-events", "KEA"], ["SET", "ev", "1"], ["INCR", "ev"],
                       ["GET", "ev"], ["GET", "nokey"], ["SET", "new", "1"]]),
        ("keymiss on", [["CONFIG", "SET", "notify-keyspace-events", "KEm"], ["GET", "nokey"], ["GET", "ev"]]),
        ("events off", [["CONFIG", "SET", "notify-keyspace-events", ""], ["SET", "ev", "2"], ["INCR", "ev"]]),
        ("other db", [["SELECT", "3"], ["SET", "k", "db3"], ["INCR", "c3"], ["GET", "k"], ["SWAPDB", "0", "3"],
                      ["GET", "k"], ["INCR", "c3"], ["SELECT", "0"], ["GET", "k"], ["GET", "c3"]]),
        ("lru", [["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"], ["CONFIG", "SET", "maxmemory", "100mb"],
                 ["SET", "m1", "1"], ["GET", "m1"], ["INCR", "m1"], ["OBJECT", "IDLETIME", "m1"],
                 ["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"], ["SET", "m2", "1"], ["GET", "m2"],
                 ["INCR", "m2"], ["TYPE", "m2"], ["CONFIG", "SET", "maxmemory", "0"],
                 ["CONFIG", "SET", "maxmemory-policy", "noeviction"], ["GET", "m1"], ["SET", "m3", "x"]]),
        ("dbsize", [["SET", "d1", "1"], ["INCR", "d2"], ["DBSIZE"]]),
    ]
    return seq


# a last ID ahead of the clock: XADD * takes last + 1, the same in every run
FUTURE = "99999999999999"


def _stream_requests() -> list:
    values = ["v", "", "0", "7", "-1", "-0", "007", "12345", "-", "9223372036854775807", "9223372036854775808",
              "-9223372036854775808", "-9223372036854775809", "1" * 20, "1" * 21, "x" * 61, "x" * 62, "x" * 63,
              "x" * 64, "x" * 200, "é", "\udcff"]
    pairs = lambda n, prefix: [y for i in range(n) for y in ("%s%d" % (prefix, i), "v")]    # noqa: E731
    return [["XADD", "x", FUTURE + "-5", "f", "v"], *[["XADD", "x", "*", "f", v] for v in values],
            # an entry's own field names: their count's encoding at its limits; the master's
            # names, 124 and 125 of them
            *[["XADD", "x", "*", *pairs(n, "n")] for n in (61, 62, 63, 64)],
            *[req for n in (124, 125) for req in (["XADD", "w%d" % n, FUTURE + "-1", *pairs(n, "m")],
                                                  ["XADD", "w%d" % n, "*", *pairs(n, "m")])],
            ["MEMORY", "USAGE", "w124"], ["MEMORY", "USAGE", "w125"],
            ["XADD", "x", "*", "g", "v"], ["XADD", "x", "*", "f", "v", "f2", "v2"], ["XADD", "x", "*", "", ""],
            ["XADD", "x", "*", "f", "v", "g"], ["XADD", "x", "*", "é", "v"], ["XADD", "x", "*", "f"],
            *[["XADD", "x", "*", "f", str(i)] for i in range(120)], ["XLEN", "x"], ["XINFO", "STREAM", "x"],
            ["MEMORY", "USAGE", "x"], ["XRANGE", "x", "-", "+", "COUNT", "3"], ["XREVRANGE", "x", "+", "-", "COUNT", "2"],
            ["XDEL", "x", FUTURE + "-7"], ["XTRIM", "x", "MAXLEN", "~", "50"], ["XLEN", "x"],
            ["CONFIG", "SET", "stream-node-max-entries", "7"], *[["XADD", "x", "*", "f", "w"]] * 20,
            ["CONFIG", "SET", "stream-node-max-entries", "0"], ["CONFIG", "SET", "stream-node-max-bytes", "100"],
            *[["XADD", "x", "*", "f", "y" * 9]] * 20, ["XINFO", "STREAM", "x"], ["XTRIM", "x", "MAXLEN", "~", "10"],
            ["CONFIG", "SET", "stream-node-max-entries", "100"], ["CONFIG", "SET", "stream-node-max-bytes", "4096"],
            ["XLEN", "x"], ["XINFO", "STREAM", "x", "FULL"],
            # the sequence number at its limit carries into the milliseconds; the last ID possible
            ["XADD", "y", FUTURE + "-18446744073709551615", "f", "v"], ["XADD", "y", "*", "f", "v"], ["XRANGE", "y", "-", "+"],
            ["XADD", "z", "18446744073709551615-18446744073709551615", "f", "v"], ["XADD", "z", "*", "f", "v"],
            ["SET", "str", "1"], ["XADD", "str", "*", "f", "v"],
            ["XADD", "e", FUTURE + "-1", "f", "v"], ["PEXPIREAT", "e", "99999999999999"], ["XADD", "e", "*", "f", "v"],
            ["XDEL", "e", FUTURE + "-1", FUTURE + "-2"], ["XADD", "e", "*", "f", "v"], ["XLEN", "e"]]


def _info(srv, c, section):
    """INFO lines that do not hold times or sizes of this process."""
    text = srv.request(c, "INFO", section).decode()
    skip = ("usec", "time", "_sec", "mem", "rss", "uptime", "cow", "_ms", "instantaneous", "io_thread",
            "total_net_input", "total_net_output", "rusage")
    return [line for line in text.splitlines()[1:] if not any(s in line for s in skip)]


def corpus() -> dict:
    """Run the sequence here (on this process's path); what it did, for comparison."""
    from pickledbd.daemon.inprocess import LocalServer

    random.seed(7)              # SPOP draws alike in both processes (PYTHONHASHSEED is fixed too)
    srv = LocalServer()
    eng = srv.engine
    records: list = []
    eng.propagation.add_feed(records.append)
    steps: list = []
    admin = srv.client()
    srv.batch(admin, [["CONFIG", "SET", "slowlog-log-slower-than", "0"],
                      ["CONFIG", "SET", "slowlog-max-len", "100000"]])
    events = srv.client(resp=3)
    srv.batch(events, [["PSUBSCRIBE", "__key*__:*"]])
    c2, c3 = srv.client(), srv.client(resp=3)
    for label, reqs in sequence():
        for c in (c2, c3):
            steps.append((label, c.resp, srv.batch(c, [["FLUSHALL"], *reqs]), srv.take_output(events)))
            steps.append((label, "dirty", srv.ks.dirty, srv.ks.hits, srv.ks.misses))
    # WATCH by another client (ks.watched), a blocked client (ks.blocked), tracking, MONITOR
    w = srv.client()
    steps.append(("watch", srv.batch(w, [["WATCH", "wk"]]), srv.batch(c2, [["SET", "wk", "1"], ["INCR", "wk"]]),
                  srv.batch(w, [["MULTI"], ["GET", "wk"], ["EXEC"]])))
    steps.append(("watch list", srv.batch(w, [["WATCH", "wl"]]), srv.batch(c2, [["RPUSH", "wl", "1"], ["LPOP", "wl"]]),
                  srv.batch(w, [["MULTI"], ["LLEN", "wl"], ["EXEC"]])))
    b = srv.client()
    steps.append(("blocked", srv.batch(b, [["BLPOP", "bq", "0"]]),
                  srv.batch(c2, [["SET", "k", "1"], ["INCR", "k"], ["GET", "k"]])))
    srv.batch(admin, [["CLIENT", "UNBLOCK", str(b.id)]])
    steps.append(("unblocked", srv.take_output(b)))
    steps.append(("blocked on a list", srv.batch(b, [["BLPOP", "bl", "0"]]),
                  srv.batch(c2, [["LPUSH", "other", "1"], ["RPUSH", "bl", "x", "y"], ["RPOP", "bl"]]),
                  srv.take_output(b)))
    t = srv.client(resp=3)
    steps.append(("tracking", srv.batch(t, [["CLIENT", "TRACKING", "on"], ["GET", "tk"], ["GET", "tk2"]]),
                  srv.batch(c2, [["SET", "tk", "1"], ["INCR", "tk2"], ["GET", "tk"]]), srv.take_output(t)))
    mon = srv.client()
    steps.append(("monitor", srv.batch(mon, [["MONITOR"]]),
                  srv.batch(c2, [["SET", "mk", "\udcff"], ["INCR", "mc"], ["GET", "mk"], ["LPUSH", "ml", "1"],
                                 ["RPOP", "ml"]]),
                  [line.split(b" ", 1)[1] for line in srv.take_output(mon).split(b"\r\n") if b" " in line]))
    srv.batch(admin, [["CLIENT", "KILL", "ID", str(mon.id)]])
    steps.append(("after monitor", srv.batch(c2, [["SET", "k", "2"], ["INCR", "k"], ["GET", "k"]])))
    steps.append(("multi", srv.batch(c2, [["MULTI"], ["SET", "k", "3"], ["INCR", "k"], ["GET", "k"], ["EXEC"]])))

    info = [_info(srv, admin, s) for s in ("stats", "commandstats", "errorstats", "keyspace", "persistence")]
    # again on a fresh server with nothing to propagate to (no replica, no AOF) and no SLOWLOG:
    # the natives' own runs, which propagation and SLOWLOG break up above
    quiet = LocalServer()
    q2, q3 = quiet.client(), quiet.client(resp=3)
    quiet.batch(q2, [["CONFIG", "SET", "slowlog-log-slower-than", "-1"]])
    for label, reqs in sequence():
        for c in (q2, q3):
            steps.append(("unpropagated " + label, c.resp, quiet.batch(c, [["FLUSHALL"], *reqs])))
            steps.append((label, "dirty", quiet.ks.dirty, quiet.ks.hits, quiet.ks.misses))
    info.append(_info(quiet, q2, "commandstats"))
    slowlog = [(e[0], e[3], e[4], e[5]) for e in eng.stats.slowlog]
    return {"steps": steps, "records": records, "info": info, "slowlog": slowlog,
            "data": {db.index: dict(db.data) for db in srv.ks.dbs if db.data}}


def run_corpus(pure: bool) -> dict:
    from test_speedups import run_corpus_script
    return run_corpus_script(__file__, pure)


@pytest.mark.both_paths
def test_native_commands_give_the_handlers_replies_and_effects():
    compiled, pure = run_corpus(False), run_corpus(True)
    native = compiled.pop("native")
    assert pure.pop("native") is None
    for name in ("get", "set", "incr", "mset", "lpush", "rpush", "lpop", "rpop", "sadd", "hset", "spop",
                 "zadd", "zpopmin", "zpopmax", "xadd"):
        runs, fallbacks = native[name]
        assert runs >= 3 and fallbacks >= 1, (name, native)
    assert len(compiled["records"]) > 50 and len(compiled["slowlog"]) > 300
    for key in ("info", "slowlog", "records", "data"):
        assert compiled[key] == pure[key], key
    assert len(compiled["steps"]) == len(pure["steps"])
    for a, b in zip(compiled["steps"], pure["steps"]):
        assert a == b


# ------------------------------------------------------------------ random, natives on and off

KEYS = ["a", "b", "\udcff"]
VALUES = st.sampled_from(INT_EDGES + ["x", "\udcfe\x00", "é"])
REQS = st.lists(st.one_of(
    st.tuples(st.just("GET"), st.sampled_from(KEYS)),
    st.tuples(st.just("INCR"), st.sampled_from(KEYS)),
    st.tuples(st.just("SET"), st.sampled_from(KEYS), VALUES),
    st.tuples(st.just("SET"), st.sampled_from(KEYS), VALUES, st.sampled_from(["PXAT", "KEEPTTL", "NX"]))
    .map(lambda t: t if t[3] != "PXAT" else (*t, "99999999999999")),
    st.tuples(st.just("LPUSH"), st.sampled_from(KEYS), st.just("v")),
    st.tuples(st.sampled_from(["LPUSH", "RPUSH"]), st.sampled_from(KEYS), VALUES, VALUES),
    st.tuples(st.sampled_from(["LPOP", "RPOP"]), st.sampled_from(KEYS)),
    st.tuples(st.sampled_from(["LPOP", "RPOP"]), st.sampled_from(KEYS), st.sampled_from(["0", "1", "5"])),
    st.tuples(st.just("LRANGE"), st.sampled_from(KEYS), st.just("0"), st.just("-1")),
    st.tuples(st.just("SADD"), st.sampled_from(KEYS), VALUES, VALUES),
    st.tuples(st.sampled_from(["SCARD", "SPOP", "HLEN", "HRANDFIELD"]), st.sampled_from(KEYS)),
    st.tuples(st.just("HSET"), st.sampled_from(KEYS), VALUES, st.sampled_from(["v", "vv", "", "\x02", "w" * 65])),
    st.tuples(st.just("HGETALL"), st.sampled_from(KEYS)),
    st.tuples(st.just("HGET"), st.sampled_from(KEYS), VALUES),
    st.tuples(st.just("MSET"), st.sampled_from(KEYS), VALUES, st.sampled_from(KEYS), VALUES),
    st.tuples(st.just("ZADD"), st.sampled_from(KEYS), VALUES.filter(str.isdigit), VALUES),
    st.sampled_from(KEYS).map(lambda k: ("ZADD", k, *[x for i in range(130) for x in (str(i % 5), "b%d" % i)])),
    st.tuples(st.sampled_from(["ZPOPMIN", "ZPOPMAX", "ZCARD"]), st.sampled_from(KEYS)),
    st.tuples(st.just("APPEND"), st.sampled_from(KEYS), st.just("z")),
    st.tuples(st.just("DEL"), st.sampled_from(KEYS)),
    # what sees the effects of the native commands before it in the same batch
    st.sampled_from([("INFO", "stats"), ("INFO", "commandstats"), ("SLOWLOG", "LEN"), ("DBSIZE",),
                     ("CONFIG", "SET", "slowlog-log-slower-than", "0"),
                     ("CONFIG", "SET", "slowlog-log-slower-than", "-1")]),
), max_size=40)

_INFO_KEEP = (b"keyspace_", b"total_commands", b"total_error", b"expired_keys", b"cmdstat_")


def _stable(out: bytes) -> list:
    """The replies, INFO's cut to the lines that hold no times or sizes."""
    import hiredis

    reader = hiredis.Reader()
    reader.feed(out)
    replies = []
    while (r := reader.gets()) is not False:
        if isinstance(r, bytes) and r.startswith(b"# "):
            r = [b",".join(f for f in line.split(b",") if b"usec" not in f)
                 for line in r.split(b"\r\n") if line.startswith(_INFO_KEEP)]
        elif isinstance(r, hiredis.ReplyError):      # equal by their text
            r = ("error", str(r))
        replies.append(r)
    return replies


@contextlib.contextmanager
def _natives(on: bool):
    """The native commands on or off (configure_native) until the block ends, then on again."""
    from pickledbd.daemon import speedups
    from pickledbd.daemon.engine import call
    from pickledbd.daemon.engine.command import REGISTRY
    from pickledbd.daemon.keyspace import Database
    from pickledbd.daemon.protocol.reply import OK

    handlers = {n: REGISTRY[n].handler for n in call.NATIVE}
    speedups.configure_native(Database, handlers if on else {}, OK)
    try:
        yield
    finally:
        speedups.configure_native(Database, handlers, OK)


def _run_random(reqs, native: bool, feed: bool):
    from pickledbd.daemon.inprocess import LocalServer

    random.seed(12345)          # SPOP and HRANDFIELD pick alike in both runs
    srv = LocalServer()
    with _natives(native):
        records: list = []
        if feed:                # a replica or the AOF: writes are propagated
            srv.engine.propagation.add_feed(records.append)
        c = srv.client()
        # SLOWLOG on (every command) or off, never by how long a command took on a busy machine
        srv.batch(c, [["CONFIG", "SET", "slowlog-log-slower-than", "-1"]])
        out = _stable(srv.batch(c, [list(r) for r in reqs]))
        info = _stable(srv.batch(c, [["INFO", "stats"], ["INFO", "commandstats"]]))
        slowlog = [(e[3], e[4]) for e in srv.engine.stats.slowlog]      # args, client
        return (out, info, records, slowlog, dict(srv.ks.dbs[0].data), srv.ks.dirty, srv.ks.hits,
                srv.ks.misses, c.last_command)


@pytest.mark.skipif(os.environ.get("PICKLEDBD_PURE", "") not in ("", "0"), reason="the pure path has no natives")
@settings(max_examples=150, deadline=None)
@given(REQS)
def test_random_sequences_are_the_same_with_natives_on_and_off(reqs):
    for feed in (False, True):
        assert _run_random(reqs, True, feed) == _run_random(reqs, False, feed)


# ------------------------------------------------------------- big sorted sets, natives on and off

def _run_big_zset(native: bool, seed: int):
    """Thousands of ZADDs (new members, re-scores, equal scores) into big sorted sets, with
    what builds the SortedList's position index (ZRANK, ZRANGE by rank) and what shrinks it
    (ZREM, ZPOPMIN) between them: the replies and the SortedList's own layout."""
    from pickledbd.daemon.inprocess import LocalServer

    rnd = random.Random(seed)
    srv = LocalServer()
    with _natives(native):
        c = srv.client()
        # big from the start: a ZADD into a small set goes to its handler, and then no
        # native ZADD is tried for the rest of that batch
        out = [srv.batch(c, [["ZADD", key, *[x for i in range(0, 7000, 2) for x in (str(i % 90), "m%d" % i)]]
                             for key in ("z", "y")])]
        # one score's neighbourhood grows past two sublists' worth: splits on the native path
        grown = rnd.randrange(2000, 4500)
        out.append(srv.batch(c, [["ZADD", "z", "45", "n%d" % i] for i in range(grown)]))
        # and shrinks again by native removals (new scores elsewhere): the sublists give memory back
        out.append(srv.batch(c, [["ZADD", "z", "99999", "n%d" % i] for i in range(0, grown, 3)]))
        out.append(srv.batch(c, [["ZADD", "z", "99998", "n%d" % i] for i in range(1, grown, 3)]))
        for _ in range(40):
            reqs = []
            for _ in range(rnd.choice([10, 200, 600])):
                x = rnd.random()
                key = rnd.choice(["z", "z", "y"])
                if x < 0.8:
                    score = str(rnd.randrange(rnd.choice([3, 50, 10 ** 6])))
                    reqs.append(["ZADD", key, score.zfill(rnd.choice([1, 8])), "m%d" % rnd.randrange(7000)])
                elif x < 0.86:
                    reqs.append(["ZRANK", key, "m%d" % rnd.randrange(7000)])
                elif x < 0.9:
                    reqs.append(["ZRANGE", key, str(rnd.randrange(3000)), str(rnd.randrange(3000))])
                elif x < 0.96:
                    reqs.append(["ZREM", key, *("m%d" % rnd.randrange(7000) for _ in range(rnd.choice([1, 20])))])
                else:
                    reqs.append([rnd.choice(["ZPOPMIN", "ZPOPMAX"]), key, *rnd.choice([[], [], ["1"], ["5"]])])
            out.append(srv.batch(c, reqs))
        layout = {}
        for key in ("z", "y"):
            o = srv.ks.dbs[0].data[key]._o
            # allocations too: a delete done here keeps or shrinks a sublist as `del` does
            layout[key] = (o._lists, o._maxes, o._index, o._len, o._offset, [sys.getsizeof(sub) for sub in o._lists])
        out.append(srv.batch(c, [["ZRANGE", "z", "0", "-1", "WITHSCORES"], ["ZRANGE", "y", "0", "-1", "WITHSCORES"]]))
        return out, layout, srv.ks.dirty


@pytest.mark.skipif(os.environ.get("PICKLEDBD_PURE", "") not in ("", "0"), reason="the pure path has no natives")
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_zadd_and_zpop_keep_the_sorted_list_as_the_library_does(seed):
    before = _speedups.native_stats()
    gc.disable()            # a collection would untrack them anyway (as it does any such tuple)
    try:
        on = _run_big_zset(True, seed)
        # the pairs the native ZADD made (re-scored to 99999) are left to no collection: a
        # float and a str make no cycle
        native_pairs = [p for sub in on[1]["z"][0] for p in sub if p[0] == 99999.0]
        assert native_pairs and not any(gc.is_tracked(p) for p in native_pairs)
    finally:
        gc.enable()
    after = _speedups.native_stats()
    assert after["zadd"][0] - before["zadd"][0] > 5000          # the native ZADD ran (splits, merges, index)
    assert after["zpopmin"][0] - before["zpopmin"][0] > 20 and after["zpopmax"][0] - before["zpopmax"][0] > 20
    off = _run_big_zset(False, seed)
    assert on[1] == off[1]
    assert on == off
    from pickledbd.daemon.keyspace.zset import ORDER_LOAD
    assert max(len(sub) for sub in on[1]["z"][0]) > ORDER_LOAD and len(on[1]["z"][0]) > 2


# ------------------------------------------------------------------ streams, natives on and off

STREAM_VALUES = ["v", "", "0", "-1", "-0", "007", "42", "9223372036854775807", "9223372036854775808",
                 "-9223372036854775808", "-9223372036854775809", "x" * 61, "x" * 62, "x" * 63, "x" * 64, "x" * 300,
                 "9" * 20, "\udcff", "é"]


def _run_streams(native: bool, seed: int):
    """Thousands of XADD * (the fields of the node's master entry or others, values of every
    listpack encoding) with XDEL, XTRIM and the node limits changed between them: the replies
    and the stream's whole layout (nodes with their listpack bytes, the ID sublists)."""
    from pickledbd.daemon.inprocess import LocalServer

    rnd = random.Random(seed)
    srv = LocalServer()
    with _natives(native):
        c = srv.client()
        out = [srv.batch(c, [["XADD", k, FUTURE + "-0", "f", "v"] for k in ("s", "t")])]
        for _ in range(60):
            reqs = []
            for _ in range(rnd.choice([5, 100, 300])):
                x, key = rnd.random(), rnd.choice(["s", "s", "t"])
                if x < 0.9:
                    names = rnd.choice([["f"], ["f"], ["f", "g"], ["g"], ["h" * rnd.randrange(1, 70)],
                                        ["n%d" % i for i in range(rnd.choice([61, 62, 63]))]])
                    reqs.append(["XADD", key, "*", *[y for n in names for y in (n, rnd.choice(STREAM_VALUES))]])
                elif x < 0.95:
                    reqs.append(["XDEL", key, *("%s-%d" % (FUTURE, rnd.randrange(3000)) for _ in range(rnd.choice([1, 30])))])
                elif x < 0.97:
                    reqs.append(["XTRIM", "t", "MAXLEN", rnd.choice(["~", "="]), str(rnd.randrange(2000))])
                else:
                    reqs.append(["CONFIG", "SET", rnd.choice(["stream-node-max-entries", "stream-node-max-bytes"]),
                                 str(rnd.choice([0, 3, 50, 100, 300, 4096, 10 ** 6]))])
            out.append(srv.batch(c, reqs))
            s = srv.ks.dbs[0].data["s"]
            n = len(s.ids)
            # by position: builds the index that appends clear (a stale one answers wrongly)
            out.append([s.ids[i] for i in (n // 3, n // 2, n - 2)])
            # the node limits the stream holds (COPY and MEMORY USAGE read them): the config's
            # as of its last XADD, native or not
            out.append([(v.node_max_entries, v.node_max_bytes) for v in map(srv.ks.dbs[0].data.get, "st")])
        layout = {}
        for key in ("s", "t"):
            s = srv.ks.dbs[0].data[key]
            ids = s.ids
            layout[key] = ([(n.key, n.fields, n.live, n.deleted, n.size, n.last) for n in s.nodes], s.node_keys,
                           s.entries, ids._lists, ids._maxes, ids._index, ids._len, s.last_id, s.first_id,
                           s.entries_added, s.max_deleted_id, s.node_max_entries, s.node_max_bytes)
        return out, layout, srv.ks.dirty


@pytest.mark.skipif(os.environ.get("PICKLEDBD_PURE", "") not in ("", "0"), reason="the pure path has no natives")
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_xadd_keeps_the_stream_as_the_handler_does(seed):
    before = _speedups.native_stats()
    on = _run_streams(True, seed)
    after = _speedups.native_stats()
    runs, fallbacks = (after["xadd"][k] - before["xadd"][k] for k in (0, 1))
    assert runs > 3000 and fallbacks > 50          # and new nodes, non-ASCII values: the handler's
    off = _run_streams(False, seed)
    assert on[1] == off[1]
    assert on == off
    assert len(on[1]["s"][0]) > 20 and len(on[1]["s"][3]) > 1       # new nodes; a sublist split


@pytest.mark.skipif(os.environ.get("PICKLEDBD_PURE", "") not in ("", "0"), reason="the pure path has no natives")
def test_native_xadd_takes_its_id_from_the_clock():
    import time

    from pickledbd.daemon.inprocess import LocalServer

    srv = LocalServer()
    c = srv.client()
    srv.batch(c, [["XADD", "s", "1-1", "f", "v"]])
    before = _speedups.native_stats()["xadd"][0]
    t0 = int(time.time() * 1000)
    ids = [r.decode() for r in srv.batch(c, [["XADD", "s", "*", "f", "v"]] * 200).split(b"\r\n")[1::2]]
    t1 = int(time.time() * 1000)
    assert _speedups.native_stats()["xadd"][0] - before >= 195        # (a new node every 100: the handler)
    parsed = [tuple(map(int, i.split("-"))) for i in ids]
    assert parsed == sorted(set(parsed)) and all(t0 <= ms <= t1 for ms, _ in parsed)
    # a new millisecond starts at sequence 0, the same one counts up
    assert parsed[0][1] == 0 and all(b[1] == (a[1] + 1 if a[0] == b[0] else 0) for a, b in zip(parsed, parsed[1:]))



@pytest.mark.skipif(os.environ.get("PICKLEDBD_PURE", "") not in ("", "0"), reason="the pure path has no natives")
@pytest.mark.parametrize("last, expected, native", [
    ("99999999999999-18446744073709551615", "100000000000000-0", True),    # seq overflow carries into ms
    ("9223372036854775807-18446744073709551615", "9223372036854775808-0", True),  # the last ms below 2**63
    ("9223372036854775808-0", "9223372036854775808-1", False),                   # from 2**63: the handler's
    ("18446744073709551615-7", "18446744073709551615-8", False),
    ("18446744073709551615-18446744073709551615", "exhausted", False)])
def test_native_xadd_ids_at_the_limits(last, expected, native):
    """Behind a last ID ahead of the clock, ``*`` is the last ID + 1 on both paths; the native
    XADD's 128-bit arithmetic takes a last ms below 2**63 and leaves the rest to the handler."""
    from pickledbd.daemon.inprocess import LocalServer

    srv = LocalServer()
    c = srv.client()
    srv.batch(c, [["XADD", "s", last, "f", "v"]])
    before = _speedups.native_stats()["xadd"]
    reply = srv.batch(c, [["XADD", "s", "*", "f", "v"]])
    after = _speedups.native_stats()["xadd"]
    if expected == "exhausted":
        assert reply == b"-ERR The stream has exhausted the last possible ID, unable to add more items\r\n"
    else:
        assert reply == b"$%d\r\n%s\r\n" % (len(expected), expected.encode())
        assert srv.batch(c, [["XRANGE", "s", "-", "+"]]).count(expected.encode()) == 1
    assert (after[0] - before[0], after[1] - before[1]) == ((1, 0) if native else (0, 1))



@pytest.mark.skipif(os.environ.get("PICKLEDBD_PURE", "") not in ("", "0"), reason="the pure path has no natives")
def test_dict_warming_knows_this_pythons_dict_layout():
    """A batch's key lookups are warmed where the extension's check finds CPython's private
    dict layout as it expects (3.11 to 3.13): here it must, or the warming is silently off."""
    import sysconfig
    expected = sys.version_info[:2] in ((3, 11), (3, 12), (3, 13)) and not sysconfig.get_config_var("Py_GIL_DISABLED")
    assert _speedups.set_dict_warming(True) is expected


@pytest.mark.skipif(os.environ.get("PICKLEDBD_PURE", "") not in ("", "0"), reason="the pure path has no natives")
def test_warmed_batches_answer_as_unwarmed_ones():
    """Warming only loads and prefetches: batches over a keyspace with deleted slots, missing
    keys, keys with a TTL, big hashes, sets and sorted sets (their members warmed too, deleted
    ones among them), non-key second arguments and short requests give the same replies and
    leave the same data with the warming on and off."""
    from pickledbd.daemon.inprocess import LocalServer

    def run(on):
        _speedups.set_dict_warming(on)
        rnd = random.Random(7)
        srv = LocalServer()
        c = srv.client()
        out = []
        for k in range(0, 30000, 1000):
            srv.batch(c, [["SET", "k:%d" % i, "v%d" % i] for i in range(k, k + 1000)])
        srv.batch(c, [["DEL", *("k:%d" % i for i in range(j, j + 100, 3))] for j in range(0, 30000, 100)])
        srv.batch(c, [["EXPIRE", "k:%d" % i, "1000"] for i in range(1, 30000, 97)])
        for i in range(0, 3000, 500):          # big collections (past the listpack limits)
            srv.batch(c, [["HSET", "h", *(x for j in range(i, i + 500) for x in ("f%d" % j, "v"))],
                          ["SADD", "s", *("m%d" % j for j in range(i, i + 500))],
                          ["ZADD", "z", *(x for j in range(i, i + 500) for x in (str(j), "m%d" % j))]])
        srv.batch(c, [["HDEL", "h", *("f%d" % j for j in range(0, 3000, 7))],
                      ["SREM", "s", *("m%d" % j for j in range(0, 3000, 7))]])
        for _ in range(400):
            batch = []
            for _ in range(16):
                key = "k:%d" % rnd.randrange(32000)
                f, m = "f%d" % rnd.randrange(3500), "m%d" % rnd.randrange(3500)
                batch.append(rnd.choice([["GET", key], ["SET", key, "w"], ["INCR", key], ["PING"],
                                         ["LPUSH", key, "x"], ["GET"], ["ECHO", key], ["EXISTS", key, key],
                                         ["HSET", "h", f, "w"], ["HGET", "h", f], ["SADD", "s", m],
                                         ["SISMEMBER", "s", m], ["ZADD", "z", str(rnd.randrange(99)), m],
                                         ["ZSCORE", "z", m], ["HSET", key, f, "w"], ["SADD", "h", m]]))
            out.append(srv.batch(c, batch))
        out.append(srv.batch(c, [["KEYS", "*"], ["HGETALL", "h"], ["SMEMBERS", "s"], ["ZRANGE", "z", "0", "-1", "WITHSCORES"]]))
        out.append([(k, repr(v)) for k, v in sorted(srv.ks.dbs[0].data.items()) if k not in ("h", "s", "z")])
        return out

    try:
        assert run(True) == run(False)
    finally:
        _speedups.set_dict_warming(True)


if __name__ == "__main__":           # one corpus run on this process's path (see run_corpus)
    sys.path.insert(0, str(TESTS))
    from pickledbd.daemon import speedups

    result = corpus()
    result["hot_path"] = speedups.HOT_PATH
    result["native"] = _speedups.native_stats() if speedups.COMPILED else None
    sys.stdout.buffer.write(pickle.dumps(result))
