"""The AOF format and manifest (persistence/aof/format.py, manifest.py) against the real tools.

A dataset of every type is built in an in-process pickledbd; its base (write_base) and an
increment (the engine's own propagation records through encode_records: SELECT, MULTI/EXEC,
scripts) are written into an appendonlydir with our manifest. Then:
- ``redis-check-aof`` accepts the directory;
- a real redis-server 7.0 started on it loads the same dataset (every key, type, value, TTL,
  stream metadata, groups, PELs, consumers, function libraries).
Manifest parsing is compared with redis-check-aof's verdict on the same bad manifests.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess

import hiredis
import pytest
from servers import RedisServer, free_port, redis_server_binary, start_with_retry

from pickledbd.daemon.inprocess import LocalServer
from pickledbd.daemon.persistence.aof import format as aof_format
from pickledbd.daemon.persistence.aof.manifest import (
    AofError,
    AofFile,
    Manifest,
    base_name,
    incr_name,
    manifest_name,
    parse_manifest,
    read_manifest,
    write_manifest,
)

CHECK_AOF = shutil.which("redis-check-aof")
needs_redis = pytest.mark.skipif(redis_server_binary() is None or CHECK_AOF is None,
                                 reason="redis-server / redis-check-aof not installed")
FAR = 4102444800000                    # 2100-01-01 in unix ms: TTLs that never fire in a test
LIB = "#!lua name=mylib\nredis.register_function('myfunc', function(keys, args) return args[1] end)"

# ---- the dataset -------------------------------------------------------------------------------
BASE_COMMANDS = [
    ["FUNCTION", "LOAD", LIB],
    ["SET", "str", "hello"],
    ["SET", "bin\udcff", "\x00\udcff\udcfe\r\n$3\r\n"],    # binary key and value (surrogateescape)
    ["SET", "int", "12345"],
    ["SET", "neg", "-7"],
    ["SET", "big", "x" * 20000],
    ["SET", "empty", ""],
    ["SET", "ttl", "v"], ["PEXPIREAT", "ttl", str(FAR)],
    ["RPUSH", "list", *[str(i) for i in range(150)], "\udcff\x00"],
    ["RPUSH", "short", "a", "b"], ["PEXPIREAT", "short", str(FAR + 1)],
    ["SADD", "set", *["m%d" % i for i in range(100)]],
    ["SADD", "intset", "1", "2", "3", "-5"],
    ["HSET", "hash", *[x for i in range(70) for x in ("f%d" % i, "v%d" % i)]],
    ["HSET", "smallhash", "a", "1", "\udcff", "\x00"],
    ["ZADD", "zset", "inf", "pinf", "-inf", "ninf", "1.5", "c", "0", "d",
     "3.141592653589793", "pi", "-0.1", "e", "1e300", "huge"],
    ["ZADD", "bigz", *[x for i in range(130) for x in (str(i * 0.25), "z%d" % i)]],
    ["XADD", "s", "1-1", "f", "v"],
    ["XADD", "s", "1-2", "f", "v", "g", "w"],
    ["XADD", "s", "2-0", "a", "b"],
    ["XADD", "s", "3-0", "a", "c"],
    ["XDEL", "s", "1-2"],
    ["XGROUP", "CREATE", "s", "g1", "0"],
    ["XREADGROUP", "GROUP", "g1", "alice", "COUNT", "1", "STREAMS", "s", ">"],
    ["XREADGROUP", "GROUP", "g1", "bob", "STREAMS", "s", ">"],
    ["XGROUP", "CREATECONSUMER", "s", "g1", "carol"],
    ["XGROUP", "CREATE", "s", "g0", "$"],
    ["XGROUP", "CREATE", "empty_s", "g", "0", "MKSTREAM"],
    ["XADD", "gone_s", "5-0", "k", "v"], ["XDEL", "gone_s", "5-0"],
    ["SELECT", "1"],
    ["SET", "db1key", "one"],
    ["RPUSH", "db1list", "x"],
    ["SELECT", "3"],
    ["HSET", "\udcfe\udcfd", "k", "v"], ["PEXPIREAT", "\udcfe\udcfd", str(FAR + 2)],
    ["SELECT", "0"],
]

INCR_COMMANDS = [
    ["SET", "a", "1"],
    ["INCR", "a"],
    ["MULTI"], ["SET", "t1", "x"], ["RPUSH", "list2", "a", "b"], ["INCRBY", "a", "5"], ["EXEC"],
    ["SELECT", "2"],
    ["SET", "d2", "v"],
    ["EVAL", "redis.call('set', KEYS[1], '1'); redis.call('incr', KEYS[1])", "1", "ev"],
    ["XADD", "s2", "7-1", "f", "v"],
    ["SELECT", "0"],
    ["PEXPIREAT", "a", str(FAR + 3)],
    ["DEL", "str"],
    ["ZINCRBY", "zset", "2", "c"],
    ["XACK", "s", "g1", "1-1"],
    ["FUNCTION", "LOAD", LIB.replace("mylib", "lib2").replace("myfunc", "f2")],
]


def build_local() -> tuple[LocalServer, object]:
    srv = LocalServer()
    c = srv.client()
    for cmd in BASE_COMMANDS:
        reply = srv.request(c, *cmd)
        assert not reply.startswith(b"-"), (cmd, reply)
    return srv, c


# ---- reading a dataset back, the same way from every server ----------------------------------
class RespCaller:
    """``call(*args)`` over a socket (redis-server or a daemon), replies parsed by hiredis."""

    def __init__(self, host: str, port: int):
        self.sock = socket.create_connection((host, port), timeout=10)
        self.reader = hiredis.Reader()

    def __call__(self, *args):
        self.sock.sendall(aof_format.encode_command(list(args)))
        while True:
            reply = self.reader.gets()
            if reply is not False:
                return reply
            data = self.sock.recv(1 << 16)
            assert data, "connection closed"
            self.reader.feed(data)

    def close(self):
        self.sock.close()


def local_caller(srv: LocalServer):
    c = srv.client()

    def call(*args):
        r = hiredis.Reader()
        r.feed(srv.request(c, *[a.decode("utf-8", "surrogateescape") if isinstance(a, bytes) else a
                                for a in args]))
        return r.gets()
    return call


def _pairs(flat) -> dict:
    return {flat[i]: flat[i + 1] for i in range(0, len(flat), 2)}


def _stream(call, key) -> dict:
    full = _pairs(call("XINFO", "STREAM", key, "FULL"))
    groups = []
    for g in full[b"groups"]:
        g = _pairs(g)
        consumers = []
        for cons in g[b"consumers"]:
            cons = _pairs(cons)
            consumers.append((cons[b"name"], cons[b"pel-count"], cons[b"pending"]))
        groups.append((g[b"name"], g[b"last-delivered-id"], g[b"entries-read"], g[b"lag"],
                       g[b"pel-count"], g[b"pending"], consumers))
    return {"entries": full[b"entries"], "length": full[b"length"],
            "last": full[b"last-generated-id"], "maxdel": full[b"max-deleted-entry-id"],
            "added": full[b"entries-added"], "first": full[b"recorded-first-entry-id"],
            "groups": groups}


def dump_dataset(call, dbs: int = 16) -> dict:
    """Every key of every db: type, value (order-free where Redis's order is), absolute expiry;
    plus the function libraries with their code."""
    out = {}
    for db in range(dbs):
        assert call("SELECT", str(db)) == b"OK"
        for key in sorted(call("KEYS", "*")):
            t = call("TYPE", key)
            if t == b"string":
                v = call("GET", key)
            elif t == b"list":
                v = call("LRANGE", key, "0", "-1")
            elif t == b"set":
                v = sorted(call("SMEMBERS", key))
            elif t == b"hash":
                v = sorted(_pairs(call("HGETALL", key)).items())
            elif t == b"zset":
                v = call("ZRANGE", key, "0", "-1", "WITHSCORES")
            elif t == b"stream":
                v = _stream(call, key)
            else:
                raise AssertionError(f"unexpected type {t!r}")
            out[(db, key)] = (t, v, call("PEXPIRETIME", key))
    assert call("SELECT", "0") == b"OK"
    libs = call("FUNCTION", "LIST", "WITHCODE")
    out["functions"] = sorted(_pairs(lib)[b"library_code"] for lib in libs)
    return out


def dump_redis(srv) -> dict:
    call = RespCaller(srv.host, srv.port)
    try:
        return dump_dataset(call)
    finally:
        call.close()


def check_aof(dirpath) -> str:
    p = subprocess.run([CHECK_AOF, os.path.join(dirpath, manifest_name("appendonly.aof"))],
                       capture_output=True, text=True, timeout=60)
    return p.stdout + p.stderr


def start_redis_on(parent, *extra) -> RedisServer:
    return start_with_retry(lambda: RedisServer(
        parent, extra_args=["--appendonly", "yes", "--appenddirname", "appendonlydir",
                            "--aof-use-rdb-preamble", "no", "--appendfsync", "always", *extra]))


def write_dir(parent, srv: LocalServer, incr_commands=INCR_COMMANDS) -> str:
    """appendonlydir with the base of ``srv``'s dataset, then ``incr_commands`` run through its
    engine with their propagation records appended to the increment."""
    d = os.path.join(parent, "appendonlydir")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, base_name("appendonly.aof", 1)), "wb") as f:
        aof_format.write_base(f, srv.ks)
    records = []
    srv.engine.propagation.add_feed(records.append)
    c = srv.client()
    for cmd in incr_commands:
        reply = srv.request(c, *cmd)
        assert not reply.startswith(b"-"), (cmd, reply)
    srv.engine.propagation.remove_feed(records.append)
    db = -1
    with open(os.path.join(d, incr_name("appendonly.aof", 1)), "wb") as f:
        for unit in records:
            data, db = aof_format.encode_records(unit, db)
            f.write(data)
    write_manifest(d, "appendonly.aof", Manifest(AofFile(base_name("appendonly.aof", 1), 1, "b"),
                                                 [AofFile(incr_name("appendonly.aof", 1), 1, "i")]))
    return d


# ---- manifest -----------------------------------------------------------------------------------
def test_manifest_text_is_redis_layout(tmp_path):
    m = Manifest(AofFile("appendonly.aof.2.base.aof", 2, "b"),
                 [AofFile("appendonly.aof.3.incr.aof", 3, "i"), AofFile("appendonly.aof.4.incr.aof", 4, "i")],
                 [AofFile("appendonly.aof.1.base.aof", 1, "h")])
    text = m.to_text()
    assert text == ("file appendonly.aof.2.base.aof seq 2 type b\n"
                    "file appendonly.aof.1.base.aof seq 1 type h\n"
                    "file appendonly.aof.3.incr.aof seq 3 type i\n"
                    "file appendonly.aof.4.incr.aof seq 4 type i\n")
    write_manifest(tmp_path, "appendonly.aof", m)
    assert (tmp_path / "appendonly.aof.manifest").read_text() == text
    assert not (tmp_path / "temp-appendonly.aof.manifest").exists()
    back = read_manifest(tmp_path / "appendonly.aof.manifest")
    assert back == m and back.base_seq == 2 and back.incr_seq == 4
    assert [f.name for f in back.load_order()] == ["appendonly.aof.2.base.aof",
                                                   "appendonly.aof.3.incr.aof", "appendonly.aof.4.incr.aof"]


def test_manifest_quoted_names_round_trip():
    m = Manifest(AofFile("my file\udcff.1.base.aof", 1, "b"))
    text = m.to_text()
    assert text == 'file "my file\\xff.1.base.aof" seq 1 type b\n'
    assert parse_manifest(text.encode()) == m


def test_manifest_names():
    assert manifest_name("appendonly.aof") == "appendonly.aof.manifest"
    assert base_name("appendonly.aof", 3) == "appendonly.aof.3.base.aof"
    assert base_name("appendonly.aof", 3, rdb=True) == "appendonly.aof.3.base.rdb"
    assert incr_name("x.aof", 12) == "x.aof.12.incr.aof"


BAD_MANIFESTS = [
    (b"", "Found an empty AOF manifest"),
    (b"file a seq 1 type b", "The AOF manifest file contains too long line"),
    (b"file " + b"a" * 1100 + b" seq 1 type b\n", "The AOF manifest file contains too long line"),
    (b"\n", "Invalid AOF manifest file format"),
    (b"file a seq 1\n", "Invalid AOF manifest file format"),
    (b"file a seq 0 type b\n", "Invalid AOF manifest file format"),
    (b"file \"a seq 1 type b\n", "Invalid AOF manifest file format"),
    (b"file dir/a seq 1 type b\n", "File can't be a path, just a filename"),
    (b"file a seq 1 type b\nfile b seq 2 type b\n", "Found duplicate base file information"),
    (b"file a seq 2 type i\nfile b seq 2 type i\n", "Found a non-monotonic sequence number"),
    (b"file a seq 1 type x\n", "Unknown AOF file type"),
]


@pytest.mark.parametrize("data,err", BAD_MANIFESTS)
def test_bad_manifest_texts(data, err):
    with pytest.raises(AofError) as e:
        parse_manifest(data)
    assert str(e.value).startswith(err)


def test_manifest_tolerates_comments_and_extra_pairs():
    m = parse_manifest(b"# comment\nfile a seq 1 type b future 7\nFILE b SEQ 2 TYPE i\n")
    assert m.base == AofFile("a", 1, "b") and m.incrs == [AofFile("b", 2, "i")]


@needs_redis
@pytest.mark.parametrize("data,err", BAD_MANIFESTS)
def test_bad_manifests_as_redis_server_says(tmp_path, data, err):
    """redis-server refuses the same manifests at start, with the same text."""
    d = tmp_path / "appendonlydir"
    d.mkdir()
    (d / "appendonly.aof.manifest").write_bytes(data)
    for name in ("a", "b"):
        (d / name).write_bytes(b"")
    p = subprocess.run([redis_server_binary(), "--port", str(free_port()), "--bind", "127.0.0.1", "--dir", str(tmp_path), "--save", "",
                        "--appendonly", "yes", "--appenddirname", "appendonlydir"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode != 0
    assert err in p.stdout + p.stderr, p.stdout


# ---- commands --------------------------------------------------------------------------------------
def test_encode_command_and_records():
    assert aof_format.encode_command(["SET", "k", "\udcff"]) == b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\n\xff\r\n"
    data, db = aof_format.encode_records(
        [(0, ["MULTI"]), (0, ["SET", "a", "1"]), (5, ["INCR", "b"]), (None, ["EXEC"])], -1)
    assert db == 5
    assert data == (b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n"
                    b"$1\r\n1\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n5\r\n*2\r\n$4\r\nINCR\r\n$1\r\nb\r\n"
                    b"*1\r\n$4\r\nEXEC\r\n")
    same, db = aof_format.encode_records([(5, ["DEL", "x"])], 5)
    assert same == b"*2\r\n$3\r\nDEL\r\n$1\r\nx\r\n" and db == 5


def test_base_batches_64_items_per_command():
    import io
    srv = LocalServer()
    c = srv.client()
    srv.request(c, "RPUSH", "l", *[str(i) for i in range(130)])
    srv.request(c, "ZADD", "z", "inf", "a", "-inf", "b")
    f = io.BytesIO()
    aof_format.write_base(f, srv.ks, [])
    data = f.getvalue()
    assert data.startswith(b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n")
    assert data.count(b"$5\r\nRPUSH\r\n") == 3
    assert b"*66\r\n$5\r\nRPUSH\r\n" in data and b"*4\r\n$5\r\nRPUSH\r\n" in data
    assert b"$3\r\ninf\r\n$1\r\na\r\n" in data and b"$4\r\n-inf\r\n$1\r\nb\r\n" in data


# ---- real tools ------------------------------------------------------------------------------------
@needs_redis
def test_redis_check_aof_accepts_our_directory(tmp_path):
    srv, _ = build_local()
    d = write_dir(tmp_path, srv)
    out = check_aof(d)
    assert "is valid" in out and "not valid" not in out, out


@needs_redis
def test_redis_server_loads_our_directory(tmp_path):
    srv, _ = build_local()
    write_dir(tmp_path, srv)
    ours = dump_dataset(local_caller(srv))
    assert (0, b"a") in ours and (2, b"ev") in ours and (0, b"s") in ours
    assert len(ours["functions"]) == 2
    redis = start_redis_on(tmp_path)
    try:
        theirs = dump_redis(redis)
        log = redis.log_text()
    finally:
        redis.stop()
    assert "DB loaded from incr file appendonly.aof.1.incr.aof" in log, log
    assert set(theirs) == set(ours)
    for k in ours:
        assert theirs[k] == ours[k], k


@needs_redis
def test_redis_server_loads_our_base_alone(tmp_path):
    """Only a base (a fresh rewrite), no increment: Redis opens its own new increment."""
    srv, _ = build_local()
    d = tmp_path / "appendonlydir"
    d.mkdir()
    with open(d / base_name("appendonly.aof", 1), "wb") as f:
        aof_format.write_base(f, srv.ks)
    write_manifest(d, "appendonly.aof", Manifest(AofFile(base_name("appendonly.aof", 1), 1, "b")))
    ours = dump_dataset(local_caller(srv))
    redis = start_redis_on(tmp_path)
    try:
        assert dump_redis(redis) == ours
    finally:
        redis.stop()
