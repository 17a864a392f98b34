"""Streams against real processes: pickledbd side by side with redis-server 7.0 where the
behaviour is subtle (blocking, propagation, keyspace events, node-granular ~ trimming,
entries-read/lag), persistence across restarts (JSON and SQLite), hostile inputs, flat cost
at 1M entries, and an RQ worker running a job end to end (RQ's queue bookkeeping uses streams).

The reply-by-reply contract is protocol/streams.t; random sequences are tests/diff_streams.py.
"""
from __future__ import annotations

import os
import sys
import time

import pytest
from diff_resp import RawClient, encode_command
from repl_stream import compare
from servers import send_pipelined

HERE = os.path.dirname(os.path.abspath(__file__))


def raw(server) -> RawClient:
    return RawClient(server.host, server.port, timeout=10)


def send(cl: RawClient, *args) -> None:
    cl.sock.sendall(encode_command([a.encode() if isinstance(a, str) else a for a in args]))


def both(redis_server, pickledbd_server, fn):
    """Run ``fn(server)`` on both (each from FLUSHALL); return (redis's, pickledbd's) results."""
    out = []
    for srv in (redis_server, pickledbd_server):
        with raw(srv) as c:
            c.call("FLUSHALL")
        out.append(fn(srv))
    return out


# ---------------------------------------------------------------------------- blocking
def _blocking_script(srv):
    out = []
    B, A, A2 = raw(srv), raw(srv), raw(srv)
    try:
        B.call("XADD", "s", "1-1", "f", "v")
        # two readers, "$" pinned when each blocked; served in blocking order
        send(A, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
        time.sleep(0.1)
        send(A2, "XREAD", "BLOCK", "0", "STREAMS", "s", "s2", "$", "0")
        time.sleep(0.1)
        B.call("XADD", "s", "2-1", "g", "w")
        out += [A.read_reply(), A2.read_reply()]
        # a blocked XREADGROUP creates no consumer; DEL and XGROUP DESTROY wake it with errors
        B.call("XGROUP", "CREATE", "s", "g", "$")
        send(A, "XREADGROUP", "GROUP", "g", "c1", "BLOCK", "0", "STREAMS", "s", ">")
        time.sleep(0.1)
        out.append(B.call("XINFO", "CONSUMERS", "s", "g"))
        B.call("DEL", "s")
        out.append(A.read_reply())
        B.call("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
        send(A, "XREADGROUP", "GROUP", "g", "c1", "BLOCK", "0", "STREAMS", "s", ">")
        time.sleep(0.1)
        B.call("XGROUP", "DESTROY", "s", "g")
        out.append(A.read_reply())
        # two consumers of one group: each XADD serves the first in line only
        B.call("XGROUP", "CREATE", "s", "g", "$")
        send(A, "XREADGROUP", "GROUP", "g", "c1", "BLOCK", "0", "STREAMS", "s", ">")
        time.sleep(0.1)
        send(A2, "XREADGROUP", "GROUP", "g", "c2", "BLOCK", "0", "STREAMS", "s", ">")
        time.sleep(0.1)
        B.call("XADD", "s", "3-1", "a", "b")
        out.append(A.read_reply())
        B.call("XADD", "s", "4-1", "a", "b")
        out.append(A2.read_reply())
        out.append(B.call("XPENDING", "s", "g"))
        # XREAD stays blocked while the key is another type or missing
        send(A, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
        time.sleep(0.1)
        B.call("SET", "s", "x")
        time.sleep(0.1)
        B.call("DEL", "s")
        B.call("XADD", "s", "5-1", "a", "b")
        out.append(A.read_reply())
        # timeouts, and MULTI never blocks
        out.append(B.call("XREAD", "BLOCK", "100", "STREAMS", "s", "$"))
        B.call("XGROUP", "CREATE", "s", "g", "$")
        out.append(B.call("XREADGROUP", "GROUP", "g", "c9", "BLOCK", "50", "STREAMS", "s", ">"))
        B.call("MULTI")
        B.call("XREAD", "BLOCK", "0", "STREAMS", "s", "$")
        out.append(B.call("EXEC"))
        # XADD + XDEL in one transaction: the blocked reader is served an empty batch
        send(A, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
        time.sleep(0.1)
        B.call("MULTI")
        B.call("XADD", "s", "6-1", "a", "b")
        B.call("XDEL", "s", "6-1")
        B.call("EXEC")
        out.append(A.read_reply())
        # a script may not block
        out.append(B.call("EVAL", "return redis.pcall('XREAD','BLOCK','0','STREAMS','s','$')", "0"))
    finally:
        for c in (A, A2, B):
            c.close()
    return out


def test_blocking_matches_redis(redis_server, pickledbd_server):
    r, p = both(redis_server, pickledbd_server, _blocking_script)
    assert r == p


def test_blocked_reader_huge_timeout_and_disconnect(pickledbd_server):
    """BLOCK beyond any timer range waits for ever; a blocked client that goes away leaves
    nothing behind (the next XADD serves nobody and the server stays responsive)."""
    with raw(pickledbd_server) as b:
        b.call("DEL", "hs")
        a = raw(pickledbd_server)
        send(a, "XREAD", "BLOCK", "9223372036854775807", "STREAMS", "hs", "$")
        time.sleep(0.1)
        assert b.call("XADD", "hs", "1-1", "f", "v") == ("$", b"1-1")
        assert a.read_reply()[0] == "*"
        send(a, "XREAD", "BLOCK", "0", "STREAMS", "hs", "$")
        time.sleep(0.1)
        a.close()
        time.sleep(0.1)
        assert b.call("XADD", "hs", "2-1", "f", "v") == ("$", b"2-1")
        assert b.call("PING") == ("+", b"PONG")


# ------------------------------------------------------------------------- propagation
PROP = [
    ("XADD", "s", "1-1", "f", "v"), ("XADD", "s", "5-*", "f", "v"),
    ("XADD", "s", "MAXLEN", "~", "1", "6-1", "f", "v"), ("XADD", "s", "MAXLEN", "=", "1", "7-1", "f", "v"),
    *[("XADD", "t", "%d-1" % i, "f", "v") for i in range(1, 260)],
    ("XADD", "t", "MAXLEN", "~", "50", "1000-1", "f", "v"), ("XTRIM", "t", "MINID", "~", "150"),
    ("XTRIM", "t", "MAXLEN", "~", "0", "LIMIT", "100"), ("XTRIM", "t", "MAXLEN", "5"), ("XDEL", "t", "1000-1", "9-9"),
    ("XGROUP", "CREATE", "s", "g", "0"), ("XGROUP", "CREATE", "s", "g2", "0"),
    ("XADD", "s", "8-1", "f", "v"), ("XADD", "s", "9-1", "f", "v"),
    ("XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "s", ">"),
    ("XREADGROUP", "GROUP", "g2", "c", "NOACK", "STREAMS", "s", ">"),
    ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "0"),
    ("XDEL", "s", "8-1"), ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"),
    ("XCLAIM", "s", "g", "d", "0", "8-1", "9-1", "JUSTID"), ("XCLAIM", "s", "g", "d", "0", "9-1", "LASTID", "10-1"),
    ("XCLAIM", "s", "g", "d", "0", "99-1", "LASTID", "11-1"),
    ("XAUTOCLAIM", "s", "g", "e", "0", "0"), ("XACK", "s", "g", "9-1"), ("XGROUP", "SETID", "s", "g", "$"),
    ("XGROUP", "CREATECONSUMER", "s", "g", "z"), ("XGROUP", "DELCONSUMER", "s", "g", "z"),
    ("XGROUP", "DESTROY", "s", "g2"), ("XSETID", "s", "100-1"), ("XGROUP", "CREATE", "n", "g", "$", "MKSTREAM"),
]


def _no_times(stream):
    out = []
    for cmd in stream:
        cmd = list(cmd)
        if cmd[0].upper() == b"XCLAIM" and b"TIME" in cmd:
            cmd[cmd.index(b"TIME") + 1] = b"<time>"
        out.append(cmd)
    return out


def test_propagation_matches_redis(redis_server, pickledbd_server):
    """XADD propagates its generated ID and the trim it did (``~`` as ``=`` plus the length
    or first ID reached); XREADGROUP/XCLAIM/XAUTOCLAIM propagate XCLAIM ... FORCE JUSTID
    LASTID and XGROUP SETID/CREATECONSUMER records, never themselves."""
    for srv in (redis_server, pickledbd_server):
        with raw(srv) as c:
            c.call("FLUSHALL")
    r, p = compare(redis_server, pickledbd_server, PROP)
    r, p = _no_times(r), _no_times(p)
    assert r == p
    assert any(c[0] == b"XCLAIM" for c in p) and [b"XADD", b"s", b"MAXLEN", b"=", b"3", b"6-1", b"f", b"v"] in p


def test_xadd_star_propagates_generated_id(pickledbd_server):
    with raw(pickledbd_server) as c:
        c.call("FLUSHALL")
    from repl_stream import capture
    cmds = capture(pickledbd_server, [("XADD", "auto", "*", "f", "v")], with_replies=False)
    xadd = [c for c in cmds if c[0] == b"XADD"]
    assert len(xadd) == 1 and xadd[0][2] != b"*" and b"-" in xadd[0][2]


# ---------------------------------------------------------------------- keyspace events
EVENTS = [
    ("XADD", "s", "1-1", "f", "v"), ("XADD", "s", "MAXLEN", "1", "2-1", "f", "v"), ("XDEL", "s", "2-1"),
    ("XDEL", "s", "9-9"), ("XADD", "s", "3-1", "f", "v"), ("XTRIM", "s", "MAXLEN", "0"),
    ("XGROUP", "CREATE", "s", "g", "0"), ("XGROUP", "CREATE", "m", "g", "$", "MKSTREAM"),
    ("XGROUP", "CREATECONSUMER", "s", "g", "c"), ("XGROUP", "CREATECONSUMER", "s", "g", "c"),
    ("XADD", "s", "4-1", "f", "v"), ("XREADGROUP", "GROUP", "g", "d", "STREAMS", "s", ">"),
    ("XGROUP", "SETID", "s", "g", "0"), ("XCLAIM", "s", "g", "e", "0", "4-1"), ("XAUTOCLAIM", "s", "g", "f", "0", "0"),
    ("XGROUP", "DELCONSUMER", "s", "g", "c"), ("XGROUP", "DELCONSUMER", "s", "g", "nobody"),
    ("XGROUP", "DESTROY", "s", "g"), ("XSETID", "s", "10-1"), ("XADD", "nomk", "NOMKSTREAM", "1-1", "f", "v"),
    ("DEL", "s"),
]


def _events(srv):
    with raw(srv) as c:
        c.call("CONFIG", "SET", "notify-keyspace-events", "KEA")
        sub = raw(srv)
        try:
            sub.call("PSUBSCRIBE", "__keyevent@0__:*")
            for cmd in EVENTS:
                c.call(*cmd)
            c.call("PUBLISH", "__keyevent@0__:end", "end")
            got = []
            while True:
                msg = sub.read_reply()[1]
                channel = msg[2][1]
                if channel.endswith(b":end"):
                    break
                got.append((channel.split(b":", 1)[1], msg[3][1]))
        finally:
            sub.close()
            c.call("CONFIG", "SET", "notify-keyspace-events", "")
    return got


def test_keyspace_events_match_redis(redis_server, pickledbd_server):
    r, p = both(redis_server, pickledbd_server, _events)
    assert r == p
    assert (b"xgroup-createconsumer", b"s") in p and (b"xtrim", b"s") in p


# ------------------------------------------------------------ nodes: "~" trims, XINFO
def _nodes(srv):
    out = []
    with raw(srv) as c:
        for i in range(1, 451):
            c.call("XADD", "s", "%d-1" % i, "f", "v" * (i % 13))
        big = b"x" * 700
        for i in range(1, 40):
            c.call("XADD", "b", "%d-1" % i, "field", big, "n", str(i))   # ~5 per 4 KB node
        c.call("XADD", "m", "1-1", "a", "1")
        c.call("XADD", "m", "2-1", "b", "2", "c", "3")                   # other fields than the master
        for cmd in [("XINFO", "STREAM", "s"), ("XINFO", "STREAM", "b"), ("XINFO", "STREAM", "m"),
                    ("XTRIM", "s", "MAXLEN", "~", "220"), ("XLEN", "s"), ("XTRIM", "s", "MINID", "~", "300"),
                    ("XINFO", "STREAM", "s"), ("XTRIM", "b", "MAXLEN", "~", "12"), ("XLEN", "b"),
                    ("XDEL", "s", *["%d-1" % i for i in range(301, 401)]), ("XINFO", "STREAM", "s"),
                    ("XADD", "s", "MAXLEN", "~", "10", "LIMIT", "10", "500-1", "f", "v"), ("XLEN", "s"),
                    ("XTRIM", "s", "MAXLEN", "=", "25"), ("XINFO", "STREAM", "s", "FULL", "COUNT", "2")]:
            out.append(c.call(*cmd))
    return out


def test_node_layout_matches_redis(redis_server, pickledbd_server):
    """``~`` trims whole listpack nodes (stream-node-max-entries 100 / -max-bytes 4096), so
    lengths after approximate trims and XINFO's radix-tree-keys/-nodes equal Redis's."""
    r, p = both(redis_server, pickledbd_server, _nodes)
    assert r == p


def test_groups_lag_and_entries_read_match_redis(redis_server, pickledbd_server):
    def run(srv):
        out = []
        with raw(srv) as c:
            for i in range(1, 21):
                c.call("XADD", "s", "%d-0" % i, "f", "v")
            c.call("XGROUP", "CREATE", "s", "a", "0")
            c.call("XGROUP", "CREATE", "s", "b", "$")
            c.call("XGROUP", "CREATE", "s", "c", "5-0", "ENTRIESREAD", "5")
            c.call("XGROUP", "CREATE", "s", "d", "3-0")
            for cmd in [("XREADGROUP", "GROUP", "a", "x", "COUNT", "4", "STREAMS", "s", ">"), ("XINFO", "GROUPS", "s"),
                        ("XDEL", "s", "10-0"), ("XINFO", "GROUPS", "s"),
                        ("XREADGROUP", "GROUP", "a", "x", "COUNT", "10", "STREAMS", "s", ">"), ("XINFO", "GROUPS", "s"),
                        ("XTRIM", "s", "MINID", "12"), ("XINFO", "GROUPS", "s"),
                        ("XREADGROUP", "GROUP", "d", "y", "NOACK", "STREAMS", "s", ">"), ("XINFO", "GROUPS", "s"),
                        ("XADD", "s", "30-0", "f", "v"), ("XSETID", "s", "40-0", "ENTRIESADDED", "50"),
                        ("XINFO", "GROUPS", "s"), ("XINFO", "STREAM", "s")]:
                out.append(c.call(*cmd))
        return out
    r, p = both(redis_server, pickledbd_server, run)
    assert r == p


# -------------------------------------------------------------------------- keyspace
def test_type_copy_rename_move_scan(pickledbd_server):
    with raw(pickledbd_server) as c:
        c.call("FLUSHALL")
        c.call("XADD", "s", "1-1", "f", "v")
        c.call("XGROUP", "CREATE", "s", "g", "0")
        c.call("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">")
        assert c.call("TYPE", "s") == ("+", b"stream")
        assert c.call("OBJECT", "ENCODING", "s") == ("$", b"stream")
        assert c.call("COPY", "s", "s2") == (":", 1)
        c.call("XADD", "s2", "2-1", "f", "v")
        c.call("XACK", "s2", "g", "1-1")
        assert c.call("XLEN", "s") == (":", 1)            # a deep copy
        assert c.call("XPENDING", "s", "g")[1][0] == (":", 1)
        assert c.call("RENAME", "s2", "s3") == ("+", b"OK")
        assert c.call("MOVE", "s3", "1") == (":", 1)
        c.call("SET", "str", "x")
        got = c.call("SCAN", "0", "TYPE", "stream", "COUNT", "100")
        assert sorted(x[1] for x in got[1][1][1]) == [b"s"]
        c.call("SELECT", "1")
        assert c.call("XLEN", "s3") == (":", 2)
        c.call("SELECT", "0")


# ------------------------------------------------------------------------ persistence
def _fill(c):
    for i in range(1, 350):
        c.call("XADD", "s", "%d-1" % i, "f", str(i), "g", "x" * (i % 7))
    c.call("XADD", "s", "400-1", b"\xff\x00bin", b"\xfe")
    c.call("XDEL", "s", "5-1", "200-1")
    c.call("XGROUP", "CREATE", "s", "g", "0")
    c.call("XGROUP", "CREATE", "s", b"g\xff", "$", "ENTRIESREAD", "3")
    c.call("XREADGROUP", "GROUP", "g", "c1", "COUNT", "10", "STREAMS", "s", ">")
    c.call("XREADGROUP", "GROUP", "g", b"c\xfe", "COUNT", "3", "STREAMS", "s", ">")
    c.call("XCLAIM", "s", "g", "c2", "0", "2-1", "RETRYCOUNT", "7", "TIME", "1234567")
    c.call("XGROUP", "CREATECONSUMER", "s", "g", "idle")
    c.call("XADD", "e", "1-1", "a", "b")
    c.call("XDEL", "e", "1-1")
    c.call("XSETID", "e", "5-5", "ENTRIESADDED", "9", "MAXDELETEDID", "4-4")
    c.call("XADD", "plain", "1-1", "a", "b")


def _snapshot(c):
    out = [c.call("XINFO", "STREAM", k, "FULL", "COUNT", "0") for k in ("s", "e", "plain")]
    return out + [c.call("XRANGE", "s", "-", "+"), c.call("XINFO", "GROUPS", "s"), c.call("TYPE", "s")]


@pytest.mark.parametrize("dbfilename", ["dump.json", "dump.sqlite3"])
def test_survives_save_and_restart(start_pickledbd, tmp_path, dbfilename):
    """Entries, groups, consumers, PELs (owners, delivery times and counts), last IDs,
    entries-added and max-deleted-entry-id survive SAVE + restart, binary names included."""
    d = tmp_path / "data"
    d.mkdir()
    srv = start_pickledbd("--dbfilename", dbfilename, dir=d)
    with raw(srv) as c:
        _fill(c)
        before = _snapshot(c)
        assert c.call("SAVE") == ("+", b"OK")
    srv.stop()
    srv = start_pickledbd("--dbfilename", dbfilename, dir=d)
    with raw(srv) as c:
        assert _snapshot(c) == before
        # still a working stream: the restored PEL and IDs keep going
        assert c.call("XADD", "s", "400-1", "f", "v")[0] == "-"
        assert c.call("XACK", "s", "g", "1-1", "2-1") == (":", 2)
        assert c.call("XADD", "e", "5-6", "f", "v") == ("$", b"5-6")


def test_storage_library_sees_plain_stream(tmp_path):
    """The library reads a saved stream as a documented plain value (StreamDict) and writes
    it back unchanged (docs/storage-contract.md)."""
    sys.path.insert(0, os.path.dirname(HERE))
    from pickledbd.daemon.keyspace.stream import Stream, make_id
    from pickledbd.storage import StreamDict, open_storage
    from pickledbd.storage.state import State
    s = Stream()
    s.append(make_id(1, 1), ("f", "v"))
    s.append(make_id(2, 0), ("\udcff", "x"))
    for name in ("a.json", "a.sqlite3"):
        st = open_storage(tmp_path / name)
        st.save(State(dbs={0: {"s": s}}))
        loaded = st.load().dbs[0]["s"]
        assert type(loaded) is StreamDict and loaded["entries"][1] == ["2-0", ["\udcff", "x"]]
        st.save(State(dbs={0: {"s": loaded}}))
        assert Stream.from_plain(st.load().dbs[0]["s"]) == s
        st.close()


# ------------------------------------------------------------------------------ hostile
def test_hostile_inputs_are_bounded(pickledbd_server):
    """Huge counts, IDs at the limits and malformed arguments answer fast with Redis's errors;
    a reply is only as big as the data."""
    with raw(pickledbd_server) as c:
        c.call("DEL", "h")
        for i in range(1, 201):
            c.call("XADD", "h", "%d-0" % i, "f", "v")
        c.call("XGROUP", "CREATE", "h", "g", "0")
        c.call("XREADGROUP", "GROUP", "g", "c", "STREAMS", "h", ">")
        t = time.perf_counter()
        assert len(c.call("XRANGE", "h", "-", "+", "COUNT", "9223372036854775807")[1]) == 200
        assert len(c.call("XREAD", "COUNT", "9223372036854775807", "STREAMS", "h", "0")[1][0][1][1][1]) == 200
        got = c.call("XAUTOCLAIM", "h", "g", "d", "0", "0", "COUNT", "576460752303423487", "JUSTID")
        assert len(got[1][1][1]) == 200
        assert c.call("XAUTOCLAIM", "h", "g", "d", "0", "0", "COUNT", "576460752303423488")[0] == "-"
        assert c.call("XPENDING", "h", "g", "-", "+", "9223372036854775807")[0] == "*"
        assert c.call("XINFO", "STREAM", "h", "FULL", "COUNT", "0")[0] == "*"
        assert c.call("XADD", "h", "18446744073709551615-18446744073709551615", "f", "v")[0] == "$"
        assert c.call("XADD", "h", "*", "f", "v") == (
            "-", b"ERR The stream has exhausted the last possible ID, unable to add more items")
        assert c.call("XRANGE", "h", "(18446744073709551615-18446744073709551615", "+") == (
            "-", b"ERR invalid start ID for the interval")
        assert c.call("XADD", "h", "1-" + "9" * 200, "f", "v")[0] == "-"
        assert c.call("XREAD", "BLOCK", "-1", "STREAMS", "h", "$") == ("-", b"ERR timeout is negative")
        assert c.call("XREAD", "BLOCK", "1.5", "STREAMS", "h", "$") == (
            "-", b"ERR timeout is not an integer or out of range")
        many = ["k%d" % i for i in range(5000)]
        assert c.call("XREAD", "STREAMS", *many, *["0"] * 5000) == ("*", None)
        assert time.perf_counter() - t < 5


def test_million_entries_flat_cost(pickledbd_server):
    """XADD and XRANGE COUNT 10 cost the same at 1k and 1M entries; memory per entry is
    measured from the server's RSS (reported in the README)."""
    r = pickledbd_server.client()
    r.delete("big", "small")

    def rss():
        with open("/proc/%d/status" % pickledbd_server.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def fill(key, n):
        replies = send_pipelined(pickledbd_server, (encode_command(["XADD", key, "%d-0" % i, "f", "v"])
                                                    for i in range(1, n + 1)))
        assert replies[-1] == b"%d-0" % n

    def per_op(key, n):
        best = None
        for _ in range(3):
            p = r.pipeline(transaction=False)
            for i in range(300):
                p.execute_command("XRANGE", key, "%d-0" % (n // 2 + i), "+", "COUNT", "10")
                p.execute_command("XREVRANGE", key, "+", "-", "COUNT", "10")
                p.execute_command("XDEL", key, "%d-0" % (n // 3 + i))
            t = time.perf_counter()
            p.execute()
            dt = (time.perf_counter() - t) / 300
            best = dt if best is None else min(best, dt)
        return best

    fill("small", 1000)
    before = rss()
    fill("big", 1_000_000)
    per_entry = (rss() - before) / 1_000_000
    assert r.xlen("big") == 1_000_000
    small, big = per_op("small", 1000), per_op("big", 1_000_000)
    print("stream memory per entry: %.0f bytes; op cost small %.1f us, big %.1f us"
          % (per_entry, small * 1e6, big * 1e6))
    assert big < 5 * small, (small, big)
    assert per_entry < 400, per_entry
    t = time.perf_counter()
    r.xtrim("big", maxlen=500_000, approximate=True)
    assert time.perf_counter() - t < 2
    r.delete("big", "small")


# ----------------------------------------------------------------------------------- RQ
def test_rq_job_runs_end_to_end(pickledbd_server):
    """An RQ worker (rq.SimpleWorker, in process) runs a job queued through pickledbd; the
    job ends FINISHED with its result (RQ 2+ records job completion with XADD inside the
    EXEC that finishes it)."""
    rq = pytest.importorskip("rq")
    from redis import Redis
    conn = Redis(host=pickledbd_server.host, port=pickledbd_server.port)
    conn.flushall()
    q = rq.Queue("streams-test", connection=conn)
    job = q.enqueue("operator.add", 2, 3)
    w = rq.SimpleWorker([q], connection=conn)
    assert w.work(burst=True)
    job.refresh()
    assert job.get_status() == "finished" and job.return_value() == 5
    assert any(conn.type(k) == b"stream" for k in conn.keys("*"))


def test_argument_errors_before_the_type_check_where_redis_has_them(redis_server, pickledbd_server):
    """XAUTOCLAIM parses every argument before it checks the key's type (a differential run
    found COUNT 0 on a string key answered WRONGTYPE); XCLAIM and XACK check the type first."""
    cases = [("XAUTOCLAIM", "a", "g", "c1", "0", "-", "COUNT", "0"),
             ("XAUTOCLAIM", "a", "g", "c1", "x", "-"), ("XAUTOCLAIM", "a", "g", "c1", "0", "zz"),
             ("XAUTOCLAIM", "a", "g", "c1", "0", "-", "FOO"), ("XAUTOCLAIM", "a", "g", "c1", "0", "-"),
             ("XAUTOCLAIM", "nokey", "g", "c1", "0", "-", "COUNT", "0"),
             ("XCLAIM", "a", "g", "c1", "x", "0-1"), ("XACK", "a", "g", "zz"),
             ("XPENDING", "a", "g", "zz", "+", "10")]

    def run(srv):
        with raw(srv) as c:
            c.call("SET", "a", "x")
            return [c.call(*args) for args in cases]
    theirs, ours = both(redis_server, pickledbd_server, run)
    assert ours == theirs
    assert theirs[0] == ("-", b"ERR COUNT must be > 0")


def test_stream_ids_do_not_share_hashes():
    """IDs key the entries and PEL dicts. CPython hashes an int modulo 2**61 - 1; with IDs
    encoded as ms << 64 | seq, ``ms-seq`` and ``ms+1-(seq-8)`` hashed alike: IDs of consecutive
    milliseconds collided by themselves, and a client choosing IDs made every lookup walk one
    chain. Neither family shares a hash now."""
    from pickledbd.daemon.keyspace.stream import id_parts, make_id
    t = 1_764_547_200_000
    natural = [make_id(t + ms, seq) for ms in range(200) for seq in range(300)]   # 300 IDs a ms
    hostile = [make_id(t + k, (1 << 40) - 8 * k) for k in range(20000)]
    for ids in (natural, hostile):
        assert len({hash(i) for i in ids}) == len(ids)
        assert ids == sorted(ids) and [make_id(*id_parts(i)) for i in ids] == ids


def test_chosen_colliding_ids_keep_their_order_and_replies(pickledbd_server):
    """The hostile family above, added by a client: every entry is there, in order, and found
    by ID (XRANGE of one, XDEL)."""
    c = pickledbd_server.client(decode_responses=True)
    c.delete("hd")
    t = 1_764_547_200_000
    ids = ["%d-%d" % (t + k, (1 << 40) - 8 * k) for k in range(3000)]
    p = c.pipeline(transaction=False)
    for i in ids:
        p.xadd("hd", {"f": "v"}, id=i)
    assert p.execute() == ids
    assert [e[0] for e in c.xrange("hd")] == ids
    assert c.xrange("hd", ids[1500], ids[1500]) == [(ids[1500], {"f": "v"})]
    assert c.xdel("hd", *ids[::2]) == 1500 and c.xlen("hd") == 1500
    c.delete("hd")


def _id_edges(srv):
    """IDs at the seq and ms limits, where an exclusive bound or the next ID crosses into the
    next millisecond (or would pass the last possible ID)."""
    M = "18446744073709551615"
    script = [
        ("XADD", "e", "1-" + M, "f", "a"), ("XADD", "e", "2-0", "f", "b"), ("XADD", "e", "2-5", "f", "c"),
        ("XADD", "e", "1-*", "f", "x"), ("XADD", "e", "2-*", "f", "d"),
        ("XRANGE", "e", "(1-" + M, "+"), ("XRANGE", "e", "-", "(2-0"), ("XRANGE", "e", "(0-" + M, "(2-6"),
        ("XREVRANGE", "e", "(2-6", "(1-" + M), ("XRANGE", "e", "1", "1"), ("XRANGE", "e", "2", "2", "COUNT", "2"),
        ("XREAD", "STREAMS", "e", "1-" + M), ("XREAD", "COUNT", "1", "STREAMS", "e", "0-0"),
        ("XGROUP", "CREATE", "e", "g", "0"), ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "e", ">"),
        ("XPENDING", "e", "g", "(1-" + M, "+", "10"), ("XPENDING", "e", "g", "-", "(2-0", "10"),
        ("XAUTOCLAIM", "e", "g", "c2", "0", "(1-" + M, "COUNT", "1"),
        ("XAUTOCLAIM", "e", "g", "c2", "0", "(2-6", "COUNT", "5"),
        ("XTRIM", "e", "MINID", "2-1"), ("XINFO", "STREAM", "e"),
        ("XADD", "m", M + "-" + M, "f", "v"), ("XADD", "m", "*", "f", "v"), ("XADD", "m", M + "-*", "f", "v"),
        ("XRANGE", "m", "(" + M + "-" + str(int(M) - 1), "+"), ("XRANGE", "m", "-", "(" + M + "-" + M),
        ("XSETID", "m", M + "-" + M), ("XINFO", "STREAM", "m"),
        ("XADD", "n", "9223372036854775807-" + M, "f", "v"), ("XADD", "n", "*", "f", "w"), ("XRANGE", "n", "-", "+"),
        ("XADD", "o", "9223372036854775808-" + M, "f", "v"), ("XADD", "o", "*", "f", "w"), ("XRANGE", "o", "-", "+"),
    ]
    out = []
    with raw(srv) as c:
        for cmd in script:
            r = c.call(*cmd)
            if cmd[0] == "XPENDING" and r[0] == "*":     # each entry's idle time is the clock's
                r = ("*", [("*", e[1][:2] + e[1][3:]) for e in r[1]])
            out.append(r)
    return out


def test_ids_at_their_limits_match_redis(redis_server, pickledbd_server):
    r, p = both(redis_server, pickledbd_server, _id_edges)
    for i, (a, b) in enumerate(zip(r, p)):
        assert a == b, "step %d: redis %r, pickledbd %r" % (i, a, b)
