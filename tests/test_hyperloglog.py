"""HyperLogLog (PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST) against a real redis-server 7.0.

The HLL is a Redis string in Redis's own format, so the proof is byte equality: the same
commands give the same GET bytes (sparse opcodes, promotion, dense registers, the cached
cardinality in the header), the same counts, the same errors, the same propagation and keyspace
events. Values move between the two servers with GET/SET, through SAVE + restart (JSON and
SQLite) and through a real redis-server replica. Hostile inputs (huge elements, many keys,
corrupt and oversized "HLL" strings) stay bounded in time and memory.
"""
from __future__ import annotations

import random
import time

import keyspace_events
import pytest
from diff_resp import RawClient
from repl_stream import compare, streams_match
from servers import RedisServer, redis_server_binary, start_with_retry

HDR_SPARSE = b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80"


def plain(reply):
    t, v = reply
    if t == "*":
        return [plain(x) for x in v]
    return v


@pytest.fixture
def pair(redis_server, pickledbd_server):
    r = RawClient(redis_server.host, redis_server.port)
    p = RawClient(pickledbd_server.host, pickledbd_server.port)
    r.call("FLUSHALL")
    p.call("FLUSHALL")
    try:
        yield r, p
    finally:
        r.close()
        p.close()


def same(pair, *cmd):
    r, p = pair
    a, b = r.call(*cmd), p.call(*cmd)
    assert a == b, (cmd[:3], a, b)
    return a


def same_all(pair, cmds):
    r, p = pair
    a, b = r.pipeline(cmds), p.pipeline(cmds)
    for cmd, x, y in zip(cmds, a, b):
        assert x == y, (cmd[:3], str(x)[:200], str(y)[:200])
    return a


def elements(rnd, n):
    return [b"%d" % rnd.getrandbits(48) for _ in range(n)]


# ---------------------------------------------------------------------- the bytes Redis stores
def test_sparse_growth_promotion_and_dense_bytes_match_redis(pair):
    """Elements added a few at a time: after every batch the same reply, the same count, the
    same stored bytes, from the empty sparse HLL through promotion to dense and beyond."""
    rnd = random.Random(10)
    els = elements(rnd, 6000)
    step = 9
    for i in range(0, len(els), step):
        cmds = [["PFADD", "h", *els[i:i + step]], ["PFCOUNT", "h"], ["GET", "h"]]
        if i % 90:
            cmds = cmds[:1]
        same_all(pair, cmds)
    assert same(pair, "PFDEBUG", "ENCODING", "h") == ("+", b"dense")
    assert same(pair, "STRLEN", "h") == (":", 12304)
    count = same(pair, "PFCOUNT", "h")[1]
    assert abs(count - 6000) < 6000 * 0.05
    same(pair, "GET", "h")


def test_long_and_binary_elements_hash_like_redis(pair):
    rnd = random.Random(11)
    els = [bytes(rnd.getrandbits(8) for _ in range(n)) for n in (0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 127, 128,
                                                                  129, 200, 1000, 4099)]
    for e in els:
        same(pair, "PFADD", "h", e)
        same(pair, "PFADD", "d", e)
    same(pair, "PFDEBUG", "TODENSE", "d")
    same(pair, "PFADD", "d", b"\xff" * 100_003)
    same(pair, "GET", "h")
    same(pair, "GET", "d")
    same(pair, "PFCOUNT", "h", "d")


def test_merge_and_union_count_match_redis(pair):
    rnd = random.Random(12)
    sizes = {"s1": 30, "s2": 200, "s3": 900, "d1": 5000, "d2": 20000}
    for key, n in sizes.items():
        els = elements(rnd, n)
        for i in range(0, n, 500):
            same(pair, "PFADD", key, *els[i:i + 500])
    same_all(pair, [["PFDEBUG", "ENCODING", k] for k in sizes])
    for keys in (["s1"], ["s1", "s2"], ["s2", "s3", "nokey"], ["s1", "d1"], ["d1", "d2", "s3"], list(sizes)):
        same(pair, "PFCOUNT", *keys)
        dest = "m-" + "-".join(keys)
        same_all(pair, [["PFMERGE", dest, *keys], ["GET", dest], ["PFDEBUG", "ENCODING", dest],
                        ["PFCOUNT", dest], ["GET", dest]])
    # merging into an existing sparse destination: registers set one by one, maybe promoted
    same_all(pair, [["PFMERGE", "s1", "s2"], ["GET", "s1"], ["PFMERGE", "s1", "s3"], ["GET", "s1"],
                    ["PFMERGE", "s2", "d1"], ["GET", "s2"], ["PFMERGE", "d2", "s1"], ["GET", "d2"]])


def test_hll_copied_from_redis_counts_and_grows_the_same(pair):
    """GET from redis-server, SET into pickledbd: the foreign bytes count and grow alike."""
    r, p = pair
    rnd = random.Random(13)
    r.call("PFADD", "sparse", *elements(rnd, 300))
    r.call("PFADD", "dense", *elements(rnd, 8000))
    for key in ("sparse", "dense"):
        value = r.call("GET", key)[1]
        assert p.call("SET", key, value) == ("+", b"OK")
        same(pair, "PFCOUNT", key)
        more = elements(rnd, 50)
        same_all(pair, [["PFADD", key, *more], ["GET", key], ["PFCOUNT", key], ["GET", key]])
        # and back: pickledbd's bytes into redis-server
        value = p.call("GET", key)[1]
        r.call("SET", key + "-back", value)
        p.call("SET", key + "-back", value)
        same_all(pair, [["PFCOUNT", key + "-back"], ["PFADD", key + "-back", "zz"], ["GET", key + "-back"]])


def test_writes_that_replace_the_string_are_seen(pair):
    """The daemon keeps a working copy of recent HLLs; any other write to the key (SET, APPEND,
    SETRANGE, COPY, RENAME, DEL) must be seen by the next HLL command."""
    rnd = random.Random(14)
    cmds = [["PFADD", "a", *elements(rnd, 3000)], ["PFCOUNT", "a"],
            ["COPY", "a", "b"], ["PFADD", "a", "x1", "x2"], ["GET", "a"], ["GET", "b"], ["PFCOUNT", "b"],
            ["RENAME", "b", "c"], ["PFADD", "c", "y"], ["GET", "c"], ["PFCOUNT", "a", "c"],
            ["SETRANGE", "a", "20", "\x01\x02"], ["PFCOUNT", "a"], ["GET", "a"], ["PFADD", "a", "z"],
            ["APPEND", "c", "x"], ["PFCOUNT", "c"], ["PFADD", "c", "w"],
            ["SET", "a", HDR_SPARSE + b"\x7f\xff"], ["PFADD", "a", "q"], ["GET", "a"],
            ["DEL", "a"], ["PFADD", "a", "q"], ["GET", "a"],
            ["PFADD", "e", "1"], ["SETRANGE", "e", "16", "\x7f\xfe"], ["PFCOUNT", "e"], ["PFADD", "e", "2"],
            ["GET", "e"], ["OBJECT", "ENCODING", "e"]]
    same_all(pair, cmds)


def test_pfcount_makes_an_embstr_raw_like_redis(pair):
    same_all(pair, [["SET", "h", HDR_SPARSE + b"\x7f\xff"], ["OBJECT", "ENCODING", "h"], ["PFCOUNT", "h"],
                    ["OBJECT", "ENCODING", "h"], ["GET", "h"], ["PFCOUNT", "h"], ["OBJECT", "ENCODING", "h"]])


CORRUPT = [
    HDR_SPARSE + b"\x7f",                 # XZERO cut by the end
    HDR_SPARSE + b"\x7f\xfe",             # a register short
    HDR_SPARSE + b"\x7f\xff\x80",         # a register too many
    HDR_SPARSE + b"\x00" * 300,           # 300 registers
    HDR_SPARSE + b"\xff" * 5000,          # VALs far past 16384 registers
    HDR_SPARSE + b"\x7f\xff" * 3000,      # XZEROs far past 16384 registers
    b"HYLL\x00" + b"\x00" * 11 + b"\xff" * 12288,   # dense, every register 63
    b"HYLL\x00" + b"\x00" * 11 + b"\x00" * 12287,   # dense, a byte short
    b"HYLL\x05" + b"\x00" * 20, b"HYL", b"HYLLHYLL", b"\xff" * 40,
]


@pytest.mark.parametrize("value", CORRUPT, ids=range(len(CORRUPT)))
def test_corrupt_and_foreign_strings_match_redis(pair, value):
    cmds = [["SET", "c", value], ["PFCOUNT", "c"], ["PFCOUNT", "c", "nokey"], ["PFADD", "c", "a", "b", "c"],
            ["GET", "c"], ["PFCOUNT", "c"], ["PFMERGE", "m", "c"], ["PFMERGE", "c", "nokey"], ["GET", "c"],
            ["PFDEBUG", "DECODE", "c"], ["PFDEBUG", "TODENSE", "c"], ["GET", "c"], ["PFDEBUG", "ENCODING", "c"]]
    same_all(pair, cmds)


# ---------------------------------------------------------------------- propagation and events
PROPAGATION = [
    ("PFADD", "h", "a", "b"), ("PFADD", "h", "a"), ("PFADD", "h"), ("PFCOUNT", "h"), ("PFCOUNT", "h"),
    ("PFADD", "h", "c"), ("PFCOUNT", "h", "nokey"), ("PFMERGE", "m", "h"), ("PFMERGE", "m"),
    ("PFCOUNT", "m"), ("PFDEBUG", "TODENSE", "m"), ("PFDEBUG", "TODENSE", "m"),
    ("PFDEBUG", "ENCODING", "h"), ("PFADD", "new"), ("PFMERGE", "d2", "zz", "yy"),
    ("SET", "s", "x"), ("PFADD", "s", "a"), ("EXPIRE", "h", "100"), ("PFADD", "h", "zzz"),
    ("MULTI",), ("PFADD", "t", "1"), ("PFCOUNT", "t"), ("EXEC",),
    ("EVAL", "redis.call('pfadd', KEYS[1], 'x') return redis.call('pfcount', KEYS[1])", "1", "lua"),
]


def test_propagation_matches_redis(redis_server, pickledbd_server):
    r, p = compare(redis_server, pickledbd_server, PROPAGATION)
    assert streams_match(r, p), (r, p)
    assert [b"PFCOUNT", b"h"] in p          # a stale cache refreshed is a write


def test_keyspace_events_match_redis(redis_server, pickledbd_server):
    cmds = [list(c) for c in PROPAGATION if c[0] not in ("MULTI", "EXEC")]
    r = keyspace_events.capture(redis_server, cmds)
    p = keyspace_events.capture(pickledbd_server, cmds)
    assert r[1] == p[1]
    assert (b"__keyevent@0__:pfadd", b"m") in p[1]


# ---------------------------------------------------------------------- persistence, replication
@pytest.mark.parametrize("dbfilename", ["dump.json", "dump.sqlite3"])
def test_save_and_restart_keep_the_bytes(start_pickledbd, dbfilename):
    srv = start_pickledbd("--dbfilename", dbfilename)
    rnd = random.Random(15)
    with RawClient(srv.host, srv.port) as c:
        c.call("PFADD", "sparse", *elements(rnd, 100))
        c.call("PFADD", "dense", *elements(rnd, 5000))
        c.call("PFCOUNT", "dense")
        c.call("SELECT", "3")
        c.call("PFADD", b"bin\xff", b"\xff\x00", *elements(rnd, 2000))
        before = [c.call("GET", b"bin\xff")]
        c.call("SELECT", "0")
        before += [c.call("GET", "sparse"), c.call("GET", "dense")]
        assert c.call("SAVE") == ("+", b"OK")
    srv.restart()
    with RawClient(srv.host, srv.port) as c:
        c.call("SELECT", "3")
        after = [c.call("GET", b"bin\xff")]
        c.call("SELECT", "0")
        after += [c.call("GET", "sparse"), c.call("GET", "dense")]
        assert after == before
        assert c.call("PFDEBUG", "ENCODING", "sparse") == ("+", b"sparse")
        assert c.call("PFDEBUG", "ENCODING", "dense") == ("+", b"dense")
        n = c.call("PFCOUNT", "dense")[1]
        assert abs(n - 5000) < 250
        assert c.call("PFADD", "dense", *elements(rnd, 100))[1] == 1


def test_a_real_redis_replica_gets_the_same_bytes(start_pickledbd, tmp_path_factory):
    if redis_server_binary() is None:
        pytest.skip("redis-server binary not found on PATH")
    master = start_pickledbd()
    rnd = random.Random(16)
    with RawClient(master.host, master.port) as c:
        c.call("PFADD", "synced", *elements(rnd, 4000))        # goes in the initial RDB
        d = tmp_path_factory.mktemp("hll-replica")
        replica = start_with_retry(lambda: RedisServer(d, extra_args=["--replicaof", master.host, str(master.port)]))
        try:
            for i in range(30):                                 # then through the stream
                c.call("PFADD", "streamed", *elements(rnd, 100))
                c.call("PFADD", "synced", *elements(rnd, 10))
                if i % 7 == 0:
                    c.call("PFCOUNT", "streamed")
            c.call("PFMERGE", "merged", "synced", "streamed")
            with RawClient(replica.host, replica.port) as rc:
                deadline = time.monotonic() + 20
                while True:
                    want = [c.call("GET", k) for k in ("synced", "streamed", "merged")]
                    got = [rc.call("GET", k) for k in ("synced", "streamed", "merged")]
                    if got == want:
                        break
                    assert time.monotonic() < deadline, "the replica did not catch up"
                    time.sleep(0.1)
                assert rc.call("PFCOUNT", "merged") == c.call("PFCOUNT", "merged")
        finally:
            replica.stop()


# ---------------------------------------------------------------------- hostile input
def timed(client, *cmd):
    t = time.monotonic()
    reply = client.call(*cmd)
    return reply, time.monotonic() - t


def test_hostile_inputs_stay_bounded_and_match_redis(pair, pickledbd_server):
    r, p = pair
    rnd = random.Random(17)
    # one PFADD with 100k elements
    many = elements(rnd, 100_000)
    a = r.call("PFADD", "big", *many)
    b, dt = timed(p, "PFADD", "big", *many)
    assert a == b and dt < 10, dt
    same(pair, "GET", "big")
    # a 30 MB element
    huge = b"\xab" * (30 << 20)
    a = r.call("PFADD", "big", huge)
    b, dt = timed(p, "PFADD", "big", huge)
    assert a == b and dt < 15, dt
    same(pair, "GET", "big")
    # a 20 MB "sparse HLL" of garbage opcodes: rejected quickly, as Redis does
    junk = HDR_SPARSE + b"\x00" * (20 << 20)
    for c in (r, p):
        c.call("SET", "junk", junk)
    for cmd in (["PFCOUNT", "junk"], ["PFCOUNT", "junk", "big"], ["PFMERGE", "m", "junk"]):
        a = r.call(*cmd)
        b, dt = timed(p, *cmd)
        assert a == b and dt < 5, (cmd, dt, b)
    # PFCOUNT / PFMERGE over 1000 keys
    cmds = [["PFADD", "k%d" % i, *elements(rnd, 3)] for i in range(1000)]
    r.pipeline(cmds)
    p.pipeline(cmds)
    keys = ["k%d" % i for i in range(1000)]
    a = r.call("PFCOUNT", *keys)
    b, dt = timed(p, "PFCOUNT", *keys)
    assert a == b and dt < 10, dt
    a = r.call("PFMERGE", "all", *keys)
    b, dt = timed(p, "PFMERGE", "all", *keys)
    assert a == b and dt < 10, dt
    same(pair, "GET", "all")
    # another client is answered right after
    with RawClient(pickledbd_server.host, pickledbd_server.port) as other:
        assert other.call("PING") == ("+", b"PONG")


def test_pfselftest_is_short(pickledbd_server):
    with RawClient(pickledbd_server.host, pickledbd_server.port) as c:
        reply, dt = timed(c, "PFSELFTEST")
    assert reply == ("+", b"OK") and dt < 5


# ---------------------------------------------------------------------- in-process checks
def test_working_copies_are_bounded_and_never_stale():
    from pickledbd.daemon.inprocess import LocalServer
    from pickledbd.daemon.keyspace import hll
    srv = LocalServer()
    c = srv.client()
    rnd = random.Random(18)
    for i in range(hll.MAX_STATES * 3):
        srv.request(c, "PFADD", "h%d" % i, *[str(rnd.getrandbits(40)) for _ in range(20)])
        if i % 2:
            srv.request(c, "PFDEBUG", "TODENSE", "h%d" % i)
            srv.request(c, "PFADD", "h%d" % i, *[str(rnd.getrandbits(40)) for _ in range(20)])
    assert len(hll._states) <= hll.MAX_STATES
    # every value decodes to what its working copy would produce
    for (dataid, key), st in list(hll._states.items()):
        db = next(d for d in srv.ks.dbs if id(d.data) == dataid)
        if db.data.get(key) is st.s:
            assert st.buf == st.s.encode("utf-8", "surrogateescape")


def test_value_pieces_decode_like_the_whole_string():
    """A dense value is kept as separately decoded pieces; random register edits must always
    give the str a full decode gives (splitting only before a non-continuation byte)."""
    from pickledbd.daemon.keyspace import hll
    rnd = random.Random(19)
    for _ in range(60):
        raw = bytes(rnd.choice([0, 1, 2, 3, 5, 10, 20, 40, 63]) for _ in range(hll.REGISTERS))
        st = hll.HllState(None, bytearray(b"HYLL" + bytes(12)) + hll.pack_dense(raw))
        assert bytes(st.registers()) == raw
        st.value()
        for _ in range(rnd.choice([1, 40, 300])):
            st.set_register(rnd.randrange(hll.REGISTERS), rnd.randrange(1, 64), 3000)
            if rnd.random() < 0.1:
                st.invalidate()
            if rnd.random() < 0.2:
                assert st.value() == bytes(st.buf).decode("utf-8", "surrogateescape")
        assert st.value() == bytes(st.buf).decode("utf-8", "surrogateescape")


def test_indexed_sparse_edits_equal_the_plain_scan():
    """Sparse edits find their opcode by bisection (parse_firsts); the result must be the bytes
    of Redis's own scan-from-the-start algorithm, promotion included."""
    from pickledbd.daemon.keyspace import hll
    rnd = random.Random(20)
    for _ in range(120):
        plain_b = bytearray(hll.EMPTY_SPARSE)
        st = hll.new_sparse()
        max_bytes = rnd.choice([100, 300, 3000, 20000])
        for _ in range(rnd.choice([10, 200, 2000])):
            index = rnd.randrange(hll.REGISTERS) if rnd.random() < 0.5 else rnd.randrange(40) * rnd.choice([1, 7, 400])
            count = rnd.choice([1, 1, 2, 3, 4, 8, 20, 32, 33])
            if plain_b[4] == hll.SPARSE:
                r1 = hll.sparse_set(plain_b, index, count, max_bytes)
                if r1 == hll.PROMOTE:
                    ref = hll.HllState(None, plain_b)
                    assert ref.to_dense()
                    plain_b = ref.buf
                    r1 = ref.set_register(index, count, max_bytes)
            else:
                ref = hll.HllState(None, plain_b)
                r1 = ref.set_register(index, count, max_bytes)
                plain_b = ref.buf
            assert st.set_register(index, count, max_bytes) == r1
        assert bytes(st.buf) == bytes(plain_b)


@pytest.mark.parametrize("max_bytes", [0, 40, 500, 5000])
def test_hll_sparse_max_bytes_promotes_where_redis_does(redis_server, max_bytes):
    """The promotion threshold comes from ``hll-sparse-max-bytes`` (set here in-process: the
    directive is read from the config values when present, 3000 otherwise)."""
    from pickledbd.daemon.inprocess import LocalServer
    srv = LocalServer()
    srv.server.config.values["hll-sparse-max-bytes"] = max_bytes
    c = srv.client()
    rnd = random.Random(21)
    with RawClient(redis_server.host, redis_server.port) as r:
        r.call("FLUSHALL")
        old = plain(r.call("CONFIG", "GET", "hll-sparse-max-bytes"))[1]
        r.call("CONFIG", "SET", "hll-sparse-max-bytes", str(max_bytes))
        try:
            for _ in range(60):
                els = [e.decode() for e in elements(rnd, 7)]
                for cmd in (["PFADD", "h", *els], ["PFDEBUG", "ENCODING", "h"], ["GET", "h"]):
                    want = r.call(*cmd)
                    got = srv.request(c, *cmd)
                    assert got == encode(want), (cmd[:2], want, got)
            for cmd in (["PFMERGE", "m", "h"], ["PFADD", "s", "a"], ["PFMERGE", "s", "h"], ["GET", "s"]):
                assert srv.request(c, *cmd) == encode(r.call(*cmd)), cmd
        finally:
            r.call("CONFIG", "SET", "hll-sparse-max-bytes", old)


def encode(reply) -> bytes:
    t, v = reply
    if t in "+-":
        return b"%s%s\r\n" % (t.encode(), v)
    if t == ":":
        return b":%d\r\n" % v
    if t == "$":
        return b"$-1\r\n" if v is None else b"$%d\r\n%s\r\n" % (len(v), v)
    raise AssertionError(reply)
