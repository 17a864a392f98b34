"""The compiled hot path (pickledbd/daemon/_speedups.c) does exactly what the pure Python one
does: the same reply bytes and the same side effects (command statistics, error statistics,
SLOWLOG, propagation records, keyspace notifications, data), for one request corpus run in
two processes, one with ``PICKLEDBD_PURE=1``. Its encoders give the bytes of
protocol/reply.py's for every reply shape (random ones too). A real daemon reports its path
in INFO server and answers a redis-py session the same way on both.

Skipped when the extension is not built (a pure install).
"""
from __future__ import annotations

import math
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

_speedups = pytest.importorskip("pickledbd.daemon._speedups",
                                reason="the C extension is not built (pure install)")

from hypothesis import given, settings, strategies as st  # noqa: E402

from pickledbd.daemon.errors import RedisError  # noqa: E402
from pickledbd.daemon.protocol import reply as R  # noqa: E402
from servers import PickledbdServer, start_with_retry  # noqa: E402

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent

# ------------------------------------------------------------------ the encoders

C2 = _speedups.Encoder(False, R.pure_encode2)
C3 = _speedups.Encoder(True, R.pure_encode3)


class MyError(RedisError):
    pass


class IntLike(int):
    pass


class StrLike(str):
    pass


SHAPES = [
    b"+OK\r\n", b"", "", "v", "héllo €", "\udcff\udc80bin\x00", "\ud800", "a\r\nb",
    0, -1, 7, 2 ** 63 - 1, -2 ** 63, 2 ** 63, -2 ** 200, None, R.NULL_ARRAY,
    [], (), ["a", "b"], ["a", None, 1, b"+OK\r\n"], ("x", ("y", ["z", []])), [["\udcff"], [1, [None]]],
    ["a"] * 1000, [str(i) * (i % 50) for i in range(500)], ["ok", "\ud800"],
    R.Status("OK"), R.SetReply(["a", "b"]), R.Push(["message", "ch", "x"]), R.Verbatim("txt"),
    R.BigNumber("12345678901234567890"), 1.5, -0.0, math.inf, -math.inf, math.nan, 1e300, True, False,
    {"a": 1, "b": [1, 2]}, RedisError("ERR boom\r\nline"), MyError("ERR sub"),
    ["a", R.Status("OK"), 1.5, True, {"k": "v"}, R.SetReply(["s"]), R.NULL_ARRAY, RedisError("ERR x")],
    [R.Push(["a", ["b", R.Verbatim("v")]])], IntLike(5), StrLike("s"), [IntLike(5)], [StrLike("s")],
    object(), [object()], bytearray(b"x"), [bytearray(b"x")],
]


def outcome(encode, value):
    try:
        return "ok", encode(value)
    except Exception as e:       # the same exception, with the same text
        return "raised", type(e), str(e)


@pytest.mark.both_paths
@pytest.mark.parametrize("value", SHAPES, ids=lambda v: type(v).__name__)
def test_encoders_give_the_python_bytes(value):
    assert outcome(C2, value) == outcome(R.pure_encode2, value)
    assert outcome(C3, value) == outcome(R.pure_encode3, value)


# any code point (lone surrogates included: some encode via surrogateescape, some raise)
TEXT = st.text(alphabet=st.characters(blacklist_categories=()), max_size=20)
SCALARS = st.one_of(st.none(), st.integers(), st.integers(min_value=-2 ** 70, max_value=2 ** 70), TEXT,
                    st.binary(max_size=10), st.floats(), st.booleans(), TEXT.map(R.Status),
                    TEXT.map(R.Verbatim), st.just(R.NULL_ARRAY), TEXT.map(lambda s: RedisError("ERR " + s)))
VALUES = st.recursive(SCALARS, lambda kids: st.one_of(
    st.lists(kids, max_size=6), st.lists(kids, max_size=6).map(tuple), st.lists(kids, max_size=4).map(R.SetReply),
    st.lists(kids, max_size=4).map(R.Push), st.dictionaries(TEXT, kids, max_size=4)), max_leaves=30)


@pytest.mark.both_paths
@settings(max_examples=400, deadline=None)
@given(VALUES)
def test_encoders_give_the_python_bytes_for_random_replies(value):
    assert outcome(C2, value) == outcome(R.pure_encode2, value)
    assert outcome(C3, value) == outcome(R.pure_encode3, value)


def test_the_selected_encoders_and_loop_follow_the_environment():
    from pickledbd.daemon import speedups
    from pickledbd.daemon.inprocess import LocalServer

    eng = LocalServer().engine
    if speedups.COMPILED:
        assert type(R.encode2) is _speedups.Encoder and eng.run_batch.__func__ is _speedups.run_batch
    else:
        assert R.encode2 is R.pure_encode2 and "run_batch" not in vars(eng)
    code = "from pickledbd.daemon import speedups; print(speedups.HOT_PATH)"
    for value, path in (("1", "pure"), ("yes", "pure"), ("0", "compiled"), ("", "compiled"), (None, "compiled")):
        env = dict(os.environ)
        env.pop("PICKLEDBD_PURE", None)
        if value is not None:
            env["PICKLEDBD_PURE"] = value
        out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True,
                             text=True, timeout=60, check=True).stdout.strip()
        assert out == path, value


# ------------------------------------------------------------------ one corpus, both paths

def corpus() -> dict:
    """Run the corpus through LocalServer's hot path (run_batch) in this process; return what
    it did. Run as ``python tests/test_speedups.py`` by the tests, once per path."""
    from pickledbd.daemon.inprocess import LocalServer
    from test_engine import CASES

    srv = LocalServer()
    eng = srv.engine
    records: list = []
    eng.propagation.add_feed(records.append)
    steps: list = []

    def run(c, reqs, label=None):
        dones = []
        if c.block is not None:             # as the network layer: held until it unblocks
            c.pending.extend(reqs)
            reqs = []
        while reqs:
            done = eng.run_batch(c, reqs)
            dones.append(done)
            reqs = reqs[done:]
            if c.block is not None:
                c.pending.extend(reqs)
                break
        steps.append((label, c.id, dones, srv.take_output(c)))

    admin = srv.client()
    run(admin, [["CONFIG", "SET", "slowlog-log-slower-than", "0"], ["CONFIG", "SET", "slowlog-max-len", "100000"],
                ["CONFIG", "SET", "notify-keyspace-events", "KEA"]])
    watcher = srv.client(resp=3)            # keyspace notifications, as pushes
    run(watcher, [["PSUBSCRIBE", "__key*__:*"]])
    watcher2 = srv.client()                 # and as RESP2 arrays
    run(watcher2, [["SUBSCRIBE", "__keyevent@0__:set"]])

    c2, c3 = srv.client(), srv.client(resp=3)
    for family, cases in CASES.items():
        for setup, cmd in cases:
            for c in (c2, c3):
                run(c, [["FLUSHALL"], *setup, cmd], family)
                run(c, [[*cmd], ["GET"], ["NOSUCH"], ["SET", "k"], [cmd[0].lower(), *cmd[1:]]], family)
                for t in list(srv.timers):  # blocked ones time out
                    t.fire()
                if c.block is not None:     # blocked for ever (timeout 0)
                    run(admin, [["CLIENT", "UNBLOCK", str(c.id)]], "unblock")
                pending, c.pending = c.pending, []
                run(c, pending, family)
                run(watcher, [])
                run(watcher2, [])
    mixed = [
        ["SET", "bin", "\udcff\udc80abc\x00\r\n"], ["GET", "bin"], ["APPEND", "bin", "é€"], ["GET", "bin"],
        ["STRLEN", "bin"], ["GETRANGE", "bin", "0", "2"], ["SET", "n", "10"], ["INCR", "n"], ["DECRBY", "n", "3"],
        ["INCRBYFLOAT", "n", "0.25"], ["MSET", "a", "1", "b", "\udcfe"], ["MGET", "a", "b", "nokey", "bin"],
        ["SET", "k", "v", "XX", "NX"], ["SET", "t", "v", "PXAT", "99999999999999"], ["EXPIRETIME", "t"],
        ["EXPIREAT", "a", "99999999999"], ["PEXPIRETIME", "a"], ["GETDEL", "b"], ["TYPE", "bin"],
        ["HSET", "h", "f1", "1", "f2", "\udcff", "f3", "3.5"], ["HGETALL", "h"], ["HMGET", "h", "f1", "x"],
        ["HINCRBY", "h", "f1", "9"], ["HINCRBYFLOAT", "h", "f3", "1"], ["HKEYS", "h"], ["HVALS", "h"],
["SADD", "s", "b", "a", "c"], ["SMEMBERS", "s"], ["SMISMEMBER", "s", "a", "z"],
        ["SCARD", "s"], ["ZADD", "z", "1.5", "a", "2", "b", "-inf", "c"], ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
        ["ZSCORE", "z", "a"], ["ZMSCORE", "z", "a", "nope"], ["ZRANK", "z", "b"], ["ZPOPMIN", "z", "2"],
        ["XADD", "st", "1-1", "f", "v"], ["XADD", "st", "2-1", "g", "\udcff"], ["XRANGE", "st", "-", "+"],
        ["XLEN", "st"], ["XREAD", "COUNT", "5", "STREAMS", "st", "0"], ["SETBIT", "bm", "7", "1"],
        ["GETBIT", "bm", "7"], ["BITCOUNT", "bm"], ["PFADD", "hll", "a", "b"], ["PFCOUNT", "hll"],
        ["GEOADD", "g", "13.361389", "38.115556", "Palermo"], ["GEOPOS", "g", "Palermo", "x"],
        ["EVAL", "return {1, 'two', {3, false}, redis.call('get', KEYS[1])}", "1", "n"],
        ["EVAL", "return redis.call('incr', KEYS[1])", "1", "n"], ["EVAL", "return {err='ERR mine'}", "0"],
        ["EVAL", "return redis.status_reply('FINE')", "0"], ["EVAL", "return 3.99", "0"],
        ["EVAL", "local t = {} local c = t for i = 1, 3000 do c[1] = {i} c = c[1] end return t", "0"],
        ["PUBLISH", "chan", "hello"], ["PING"], ["PING", "\udcffx"], ["ECHO", ""], ["DBSIZE"],
        ["SELECT", "2"], ["SET", "in2", "x"], ["SWAPDB", "2", "3"], ["SELECT", "0"], ["OBJECT", "ENCODING", "h"],
        ["SORT", "s", "ALPHA"], ["KEYS", "*"], ["SCAN", "0", "COUNT", "100"], ["EXISTS", "a", "b", "bin"],
        ["LPUSH", "h", "x"], ["INCR", "bin"], ["ZADD", "z", "x", "y"], ["GET"], ["BOGUS", "\udcff"],
        ["CLIENT", "SETNAME", "me"], ["CLIENT", "GETNAME"], ["CLIENT", "ID"], ["CONFIG", "GET", "maxmemory"],
        ["COMMAND", "COUNT"], ["TOUCH", "a", "bin"], ["UNLINK", "a"], ["RENAME", "bin", "bin2"], ["COPY", "bin2", "b3"],
    ]
    for c in (c2, c3):
        run(c, [["FLUSHALL"]] + mixed, "mixed")
        run(watcher, [])
    # large arrays and output past OUT_CHUNK (run_batch hands back early: the counts are compared)
    big = [str(i) * (i % 7) for i in range(3000)]
    for c in (c2, c3):
        run(c, [["DEL", "big"], ["RPUSH", "big", *big], ["LRANGE", "big", "0", "-1"], ["SET", "v", "x" * 20000],
                *[["GET", "v"]] * 12, ["LRANGE", "big", "0", "99"], ["HSET", "bh", *big[:2000]], ["HGETALL", "bh"]],
            "big")
    # MULTI/EXEC: queued, aborted, WATCHed
    for c in (c2, c3):
        run(c, [["MULTI"], ["SET", "m", "1"], ["INCR", "m"], ["LPUSH", "m", "x"], ["GET", "m"], ["EXEC"],
                ["MULTI"], ["SET", "m"], ["INCR", "m"], ["EXEC"], ["MULTI"], ["GET", "m"], ["DISCARD"],
                ["WATCH", "m"], ["MULTI"], ["GET", "m"], ["EXEC"], ["EXEC"], ["DISCARD"], ["MULTI"], ["MULTI"],
                ["EXEC"]], "multi")
        d = srv.client()
        run(c, [["WATCH", "w"], ["MULTI"], ["INCR", "w"]], "watch")
        run(d, [["SET", "w", "5"]], "watch")
        run(c, [["EXEC"], ["GET", "w"]], "watch")
    # blocking pops: not blocking, blocking then served, blocking then timing out
    for c in (c2, c3):
        other = srv.client()
        run(c, [["RPUSH", "q", "a"], ["BLPOP", "q", "0"], ["BLPOP", "q", "0"], ["GET", "after"]], "block")
        run(other, [["LPUSH", "q", "x", "y"], ["SET", "after", "1"]], "block")
        steps.append(("served", c.id, [], srv.take_output(c)))
        pending, c.pending = c.pending, []
        run(c, pending, "block")
        run(c, [["BRPOP", "empty", "5"], ["PING"]], "timeout")
        for t in list(srv.timers):
            t.fire()
        steps.append(("timed out", c.id, [], srv.take_output(c)))
        pending, c.pending = c.pending, []
        run(c, pending, "timeout")
        run(c, [["BZPOPMIN", "zq", "0"]], "block")
        run(other, [["MULTI"], ["ZADD", "zq", "1", "m"], ["DEL", "zq"], ["ZADD", "zq", "2", "n"], ["EXEC"]], "block")
        steps.append(("served", c.id, [], srv.take_output(c)))
    # SUBSCRIBE (RESP2: the special path after it) and client tracking
    for c in (c2, c3):
        sub, pub = srv.client(resp=c.resp), srv.client()
        run(sub, [["SUBSCRIBE", "ch", "\udcffch"], ["PSUBSCRIBE", "c*"], ["GET", "k"], ["PING"]], "subscribe")
        run(pub, [["PUBLISH", "ch", "m1"], ["PUBLISH", "\udcffch", "\udcfe"], ["SPUBLISH", "ch", "s"]], "subscribe")
        run(sub, [["UNSUBSCRIBE"], ["PUNSUBSCRIBE"], ["PING"]], "subscribe")
        tr = srv.client(resp=3)
        run(tr, [["CLIENT", "TRACKING", "on"], ["GET", "tk"], ["MGET", "tk", "tk2"]], "tracking")
        run(pub, [["SET", "tk", "1"], ["MSET", "tk2", "2", "tk", "3"]], "tracking")
        run(tr, [["GET", "tk"]], "tracking")
    # a handler that fails (a bug): one reply, counted, logged
    eng.table.by_name["echo"].handler = lambda c, args: 1 // 0
    run(c2, [["ECHO", "x"], ["PING"]], "internal error")
    run(watcher, [], "events")
    run(watcher2, [], "events")

    info = srv.request(admin, "INFO", "commandstats").decode()
    commandstats = sorted((line.split(":")[0], [f for f in line.split(":")[1].split(",") if "usec" not in f])
                          for line in info.splitlines() if line.startswith("cmdstat_"))
    errorstats = srv.request(admin, "INFO", "errorstats")
    slowlog = [(e[0], e[3], e[4], e[5]) for e in srv.engine.stats.slowlog]   # not times, durations
    return {"steps": steps, "records": _times_masked(records), "commandstats": commandstats,
            "errorstats": errorstats, "slowlog": slowlog}


def _times_masked(records):
    """Absolute times (SET EX propagates as PXAT) differ between runs: mask 13-digit numbers."""
    return [[(db, [("<ms>" if isinstance(a, str) and a.isdigit() and len(a) == 13 else a) for a in args])
             for db, args in unit] for unit in records]


def run_corpus_script(script: str, pure: bool) -> dict:
    """Run ``script`` (a test module run as a program: it pickles its corpus results to stdout)
    in a process on the pure or the compiled path."""
    env = dict(os.environ, PYTHONHASHSEED="1", PYTHONPATH=str(ROOT))
    env.pop("PICKLEDBD_PURE", None)
    if pure:
        env["PICKLEDBD_PURE"] = "1"
    proc = subprocess.run([sys.executable, script], env=env, cwd=ROOT, capture_output=True, timeout=240)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-3000:]
    result = pickle.loads(proc.stdout)
    assert result.pop("hot_path") == ("pure" if pure else "compiled")
    return result


def run_corpus(pure: bool) -> dict:
    return run_corpus_script(__file__, pure)


@pytest.mark.both_paths
def test_corpus_gives_the_same_replies_and_effects_on_both_paths():
    compiled, pure = run_corpus(False), run_corpus(True)
    assert len(compiled["steps"]) > 500 and len(compiled["slowlog"]) > 800 and compiled["records"]
    assert any(b"internal error" in s[3] for s in pure["steps"])
    assert any(s[2][:1] != [len(s[2])] and len(s[2]) > 1 for s in pure["steps"])   # OUT_CHUNK stops
    for key in ("commandstats", "errorstats", "slowlog", "records"):
        assert compiled[key] == pure[key], key
    for a, b in zip(compiled["steps"], pure["steps"]):
        assert a == b
    assert len(compiled["steps"]) == len(pure["steps"])


# ------------------------------------------------------------------ real daemons

class _Daemon(PickledbdServer):
    def __init__(self, dir, pure: bool):
        super().__init__(dir)
        self.pure = pure

    def env(self):
        env = super().env()
        env.pop("PICKLEDBD_PURE", None)
        if self.pure:
            env["PICKLEDBD_PURE"] = "1"
        return env


def session(r) -> list:
    """A redis-py session: replies as redis-py parses them."""
    out = []
    p = r.pipeline(transaction=False)
    for i in range(50):
        p.set("k%d" % i, b"\xff\x00v%d" % i)
        p.get("k%d" % i)
        p.incr("n")
    p.rpush("l", *range(200))
    p.lrange("l", 0, -1)
    p.hset("h", mapping={"a": 1, "b": b"\xfe"})
    p.hgetall("h")
    p.zadd("z", {"a": 1.5, "b": 2})
    p.zrange("z", 0, -1, withscores=True)
    p.get("nokey")
    p.lpush("k1", "x")
    out.append(p.execute(raise_on_error=False))
    with r.pipeline() as t:
        t.set("m", 1).incr("m").get("m")
        out.append(t.execute())
    out.append(r.blpop(["l"], timeout=1))
    out.append(r.blpop(["emptyq"], timeout=0.1))
    out.append(r.eval("return {1, 'a', {2}}", 0))
    for cmd in (("GET",), ("NOSUCH",), ("INCR", "k1")):
        try:
            r.execute_command(*cmd)
        except Exception as e:
            out.append((type(e).__name__, str(e)))
    out.append(sorted((k, v["calls"], v["failed_calls"], v["rejected_calls"])    # not the times
                      for k, v in r.info("commandstats").items()))
    return [repr(x) for x in out]


def test_real_daemons_report_their_path_and_answer_alike(tmp_path):
    replies = {}
    for pure in (True, False):
        srv = start_with_retry(lambda: _Daemon(tmp_path / ("pure" if pure else "compiled"), pure))
        try:
            r = srv.client()
            assert r.info("server")["hot_path"] == ("pure" if pure else "compiled")
            assert list(r.info("server"))[-1] == "hot_path"
            r3 = srv.client(protocol=3)
            replies[pure] = session(r) + [repr(r3.hgetall("h")), repr(r3.zscore("z", "a"))]
        finally:
            srv.stop()
    assert replies[True] == replies[False]
    assert "cmdstat_get" in replies[True][-3] and "b'\\xff\\x00v1'" in replies[True][0]


# ------------------------------------------------------------------ reads, split every way

def _req(*args) -> bytes:
    args = [a if isinstance(a, bytes) else str(a).encode() for a in args]
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


VALUE = b"v" * 100
# (name, chunks sent one after another on one connection): what a read can hold
STREAMS = [
    ("whole", [_req("SET", "a", "1") + _req("GET", "a") + _req("INCR", "n") + _req("LPUSH", "l", "x")]),
    ("split in a bulk", [_req("SET", "b", VALUE)[:12], _req("SET", "b", VALUE)[12:] + _req("GET", "b")]),
    ("split after a header", [_req("GET", "b")[:4], _req("GET", "b")[4:]]),
    ("whole then part", [_req("GET", "a") + _req("GET", "b")[:9], _req("GET", "b")[9:]]),
    ("inline after canonical", [_req("GET", "a") + b"GET b\r\n" + _req("INCR", "n")]),
    ("non-canonical header", [b"*2\r\n$03\r\nGET\r\n$1\r\na\r\n" + _req("GET", "a")]),
    ("quit in the middle", [_req("GET", "a") + _req("QUIT") + _req("SET", "after", "quit")]),
    ("protocol error after requests", [_req("INCR", "n") + b"*x\r\n" + _req("INCR", "n")]),
    ("multi", [_req("MULTI") + _req("SET", "m", "1") + _req("INCR", "m") + _req("EXEC") + _req("GET", "m")]),
    ("more than a reply chunk", [_req("SET", "big", VALUE * 10) + _req("GET", "big") * 100 + _req("INCR", "n")]),
    ("blocked in the middle", [_req("RPUSH", "q", "1") + _req("BLPOP", "q", "0") + _req("BLPOP", "q", "0.2")
                               + _req("GET", "a") + _req("INCR", "n")]),
    ("resp3", [_req("HELLO", "3") + _req("GET", "nokey") + _req("GET", "a") + _req("HGETALL", "nokey")]),
    ("select", [_req("SELECT", "2") + _req("SET", "a", "db2") + _req("GET", "a") + _req("SELECT", "0") + _req("GET", "a")]),
    ("auth", [_req("CONFIG", "SET", "requirepass", "pw") + _req("GET", "a")]),
    ("before auth", [_req("GET", "a") + _req("AUTH", "pw") + _req("GET", "a"), _req("GET", "a")]),
    ("auth in parts", [_req("AUTH", "pw")[:10], _req("AUTH", "pw")[10:] + _req("CONFIG", "SET", "requirepass", "")]),
    ("stats", [_req("CONFIG", "RESETSTAT") + _req("GET", "a") * 3, _req("INFO", "stats")]),
]


def _stream(srv, chunks: list) -> bytes:
    import socket
    import time

    s = socket.create_connection((srv.host, srv.port), timeout=5)
    try:
        got = b""
        for chunk in chunks:
            s.sendall(chunk)
            time.sleep(0.05)
        s.settimeout(0.5)
        while True:
            try:
                data = s.recv(65536)
            except socket.timeout:
                break
            if not data:
                break
            got += data
        return got
    finally:
        s.close()


def _masked(name: str, got: bytes) -> bytes:
    if name == "stats":     # INFO stats: only the counters the reads and requests move
        keep = (b"total_net_input_bytes", b"total_commands_processed", b"keyspace_hits", b"keyspace_misses")
        return b"\n".join(line for line in got.split(b"\r\n") if line.startswith(keep) or not line[:1].isalpha())
    return got


def test_reads_of_every_shape_answer_alike_on_both_paths(tmp_path):
    """The compiled data_received takes whole canonical reads by plain clients and hands every
    other read (and what follows a batch that stopped short) to the Python method: the same
    bytes come back on both paths, whatever the read holds."""
    results = {}
    for pure in (True, False):
        srv = start_with_retry(lambda: _Daemon(tmp_path / ("pure" if pure else "compiled"), pure))
        try:
            results[pure] = [(name, _masked(name, _stream(srv, chunks))) for name, chunks in STREAMS]
        finally:
            srv.stop()
    for (name, a), (_, b) in zip(results[True], results[False]):
        assert a == b, name
    got = dict(results[False])
    assert got["quit in the middle"].endswith(b"+OK\r\n") and b"after" not in got["quit in the middle"]
    assert got["more than a reply chunk"].count(VALUE * 10) == 100
    assert b"total_net_input_bytes:" in got["stats"]


if __name__ == "__main__":           # one corpus run on this process's path (see run_corpus)
    sys.path.insert(0, str(TESTS))
    from pickledbd.daemon import speedups

    result = corpus()
    result["hot_path"] = speedups.HOT_PATH
    sys.stdout.buffer.write(pickle.dumps(result))
