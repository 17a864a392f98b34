"""The RDB encoder (pickledbd/daemon/persistence/rdb.py) against a real redis-server 7.0.

Redis is the oracle: a file from ``encode_rdb`` must load into redis-server with every key,
type, value and TTL intact, pass ``redis-check-rdb``, and hold the same dataset as the file
Redis itself SAVEs after being filled with the same data. ``encode_value`` + ``crc64`` are
checked as DUMP payloads through RESTORE.
"""
from __future__ import annotations

import math
import random
import shutil
import subprocess
import time
from collections import deque

import pytest
import redis

from pickledbd.daemon.persistence.rdb import crc64, encode_rdb, encode_value
from pickledbd.storage import ScoreDict
from servers import RedisServer, ServerStartError, ci_enabled, redis_server_binary, start_with_retry

from pickledbd.daemon.keyspace.zset import ZSet

pytestmark = pytest.mark.timeout(180)

INF = math.inf
HOUR = 3_600_000


def _need(binary: str) -> str:
    path = shutil.which(binary)
    if path is None:
        msg = f"{binary} not found on PATH (apt-get install -y redis-server redis-tools)"
        if ci_enabled():
            pytest.fail(msg + " (CI is set: the reference server is required)", pytrace=False)
        pytest.skip(msg)
    return path


@pytest.fixture(scope="module", autouse=True)
def _redis_binary():
    _need("redis-server")
    assert redis_server_binary()


def now_ms() -> int:
    return int(time.time() * 1000)


def b(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


# -- the dataset ---------------------------------------------------------------------------------

def make_dataset():
    """(dbs, expires, expected) - expected is Redis's view, written out by hand:
    {(db, key bytes): (type, value, absolute expiry ms or None)}."""
    rnd = random.Random(1234)
    t = now_ms()
    big = rnd.randbytes(100_000)                       # > 64 KB, arbitrary (non-UTF-8) bytes
    bin_key, bin_val = b"\xff\xfe key \x80", b"\x00\xc3(\xa0\xa1 \xff"
    nested = {"n": 7, "l": [1, "a", None], "s": "x"}

    dbs = {
        0: {
            "str": "hello",
            "": "empty key",
            "empty": "",
            "mid": "y" * 1001,                             # odd 14-bit length
            "unicode": "héllo wörld ✓",
            bin_key.decode("utf-8", "surrogateescape"): bin_val.decode("utf-8", "surrogateescape"),
            "big": big.decode("utf-8", "surrogateescape"),
            "j:int": 5, "j:neg": -42, "j:bigint": 2**40, "j:float": 1.5, "j:true": True,
            "j:false": False, "j:none": None,
            "j:hash": nested,
            # Strings that look like integers (integer encoding applies only to canonical ones).
            "i:0": "0", "i:-1": "-1", "i:127": "127", "i:128": "128", "i:-32768": "-32768",
            "i:32768": "32768", "i:max32": "2147483647", "i:min32": "-2147483648",
            "i:over32": "2147483648", "i:lead0": "007", "i:-0": "-0", "i:plus": "+5",
            "i:space": " 5", "i:11digits": "12345678901", "12345": "integer-looking key",
            "-7": "negative integer-looking key",
            "hash": {"f1": "v1", "": "empty field", "num": "10",
                     "\udcff": "\udcfe", "long": "x" * 300},
            "list": deque(["a", "", "b", "a", "1", "\udc80"]),
            "plainlist": ["x", 1, True, None, 2.5],
            "oddlist": deque(str(i) for i in range(129)),
            "set": {"a", "b", "", "\udcff"},
            "intset": {"1", "2", "-3", "100000"},
            "mixedset": {1, "two", 3.5, False, None},
            "zset": ZSet({"a": 1.0, "b": -2.5, "c": INF, "d": -INF, "e": 0.0, "\udcff": 3.0}),
            "scoredict": ScoreDict({"x": 1e300, "y": -1e-300, "z": 42.0}),
        },
        1: {
            "biglist": deque(f"item-{i}" for i in range(5000)),
            "bigset": {f"m{i}" for i in range(5000)},
            "bighash": {f"f{i}": f"v{i}" for i in range(5000)},
            "bigzset": ZSet({f"z{i}": float(i % 97) - 48.5 for i in range(5000)}),
            "bigintset": {str(i) for i in range(5000)},
        },
        5: {"ttl:str": "expiring", "ttl:hash": {"a": "b"}, "ttl:zset": ZSet({"m": 1.0}),
            "persist": "no ttl"},
        9: {},                                          # empty db: not written
        15: {"last": "db", "ttl:list": deque(["x"])},
    }
    expires = {
        0: {"str": t + 10 * HOUR, "big": t + 24 * HOUR, "not-a-key": t + HOUR},
        5: {"ttl:str": t + HOUR, "ttl:hash": t + 2 * HOUR, "ttl:zset": t + 3 * HOUR},
        15: {"ttl:list": t + 5 * HOUR},
    }

    expected = {}

    def add(db, key, typ, val):
        kb = b(key) if isinstance(key, str) else key
        expected[(db, kb)] = (typ, val, expires.get(db, {}).get(key if isinstance(key, str) else
                                                                   key.decode("utf-8", "surrogateescape")))

    d0 = dbs[0]
    add(0, "str", "string", b"hello")
    add(0, "", "string", b"empty key")
    add(0, "empty", "string", b"")
    add(0, "mid", "string", b"y" * 1001)
    add(0, "unicode", "string", "héllo wörld ✓".encode())
    add(0, bin_key, "string", bin_val)
    add(0, "big", "string", big)
    for k, v in [("j:int", b"5"), ("j:neg", b"-42"), ("j:bigint", b"1099511627776"),
                 ("j:float", b"1.5"), ("j:true", b"true"), ("j:false", b"false"),
                 ("j:none", b"null")]:
        add(0, k, "string", v)
    add(0, "j:hash", "hash", {b"n": b"7", b"l": b'[1,"a",null]', b"s": b"x"})
    for k, v in d0.items():
        if k.startswith("i:") or k in ("12345", "-7"):
            add(0, k, "string", b(v))
    add(0, "hash", "hash", {b"f1": b"v1", b"": b"empty field", b"num": b"10",
                            b"\xff": b"\xfe", b"long": b"x" * 300})
    add(0, "list", "list", [b"a", b"", b"b", b"a", b"1", b"\x80"])
    add(0, "plainlist", "list", [b"x", b"1", b"true", b"null", b"2.5"])
    add(0, "oddlist", "list", [b"%d" % i for i in range(129)])
    add(0, "set", "set", {b"a", b"b", b"", b"\xff"})
    add(0, "intset", "set", {b"1", b"2", b"-3", b"100000"})
    add(0, "mixedset", "set", {b"1", b"two", b"3.5", b"false", b"null"})
    add(0, "zset", "zset", {b"a": 1.0, b"b": -2.5, b"c": INF, b"d": -INF, b"e": 0.0, b"\xff": 3.0})
    add(0, "scoredict", "zset", {b"x": 1e300, b"y": -1e-300, b"z": 42.0})
    add(1, "biglist", "list", [b"item-%d" % i for i in range(5000)])
    add(1, "bigset", "set", {b"m%d" % i for i in range(5000)})
    add(1, "bighash", "hash", {b"f%d" % i: b"v%d" % i for i in range(5000)})
    add(1, "bigzset", "zset", {b"z%d" % i: float(i % 97) - 48.5 for i in range(5000)})
    add(1, "bigintset", "set", {b"%d" % i for i in range(5000)})
    add(5, "ttl:str", "string", b"expiring")
    add(5, "ttl:hash", "hash", {b"a": b"b"})
    add(5, "ttl:zset", "zset", {b"m": 1.0})
    add(5, "persist", "string", b"no ttl")
    add(15, "last", "string", b"db")
    add(15, "ttl:list", "list", [b"x"])
    assert len(expected) == sum(len(v) for v in dbs.values())
    return dbs, expires, expected


# -- servers -------------------------------------------------------------------------------------

def start_redis(dir, rdb: bytes | None = None) -> RedisServer:
    """A redis-server in ``dir`` that loads ``dir/dump.rdb`` at start (written from ``rdb``)."""
    dir.mkdir(parents=True, exist_ok=True)
    if rdb is not None:
        (dir / "dump.rdb").write_bytes(rdb)
    return start_with_retry(lambda: RedisServer(dir, extra_args=["--dbfilename", "dump.rdb"]))


@pytest.fixture
def servers():
    started: list[RedisServer] = []

    def start(dir, rdb=None):
        srv = start_redis(dir, rdb)
        started.append(srv)
        return srv

    try:
        yield start
    finally:
        for srv in started:
            srv.stop()


def read_all(srv: RedisServer, ndb: int = 16) -> dict:
    """{(db, key): (type, value, pttl)} read through redis-py (bytes)."""
    out = {}
    for db in range(ndb):
        c = srv.client(db=db)
        for key in c.scan_iter(count=1000):
            typ = c.type(key).decode()
            if typ == "string":
                val = c.get(key)
            elif typ == "hash":
                val = c.hgetall(key)
            elif typ == "list":
                val = c.lrange(key, 0, -1)
            elif typ == "set":
                val = c.smembers(key)
            elif typ == "zset":
                val = c.zrange(key, 0, -1, withscores=True)   # ordered: also checks ZRANGE order
            else:
                raise AssertionError(f"unexpected type {typ} for {key!r}")
            out[(db, key)] = (typ, val, c.pttl(key))
    return out


def assert_matches(loaded: dict, expected: dict, slack_ms: int = 60_000) -> None:
    assert set(loaded) == set(expected), (set(loaded) ^ set(expected))
    now = now_ms()
    for k, (typ, val, exp) in expected.items():
        ltyp, lval, pttl = loaded[k]
        assert ltyp == typ, k
        if typ == "zset":
            assert dict(lval) == val, k
            assert lval == sorted(val.items(), key=lambda ms: (ms[1], ms[0])), k
        else:
            assert lval == val, k
        if exp is None:
            assert pttl == -1, k
        else:
            assert 0 < pttl <= exp - now + 1000 and pttl >= exp - now - slack_ms, (k, pttl, exp - now)


def fill_like(srv: RedisServer, expected: dict) -> None:
    """Write ``expected`` into a running Redis with ordinary commands."""
    for (db, key), (typ, val, exp) in expected.items():
        c = srv.client(db=db)
        p = c.pipeline(transaction=False)
        if typ == "string":
            p.set(key, val)
        elif typ == "hash":
            p.hset(key, mapping=val)
        elif typ == "list":
            for i in range(0, len(val), 1000):
                p.rpush(key, *val[i:i + 1000])
        elif typ == "set":
            members = list(val)
            for i in range(0, len(members), 1000):
                p.sadd(key, *members[i:i + 1000])
        elif typ == "zset":
            p.zadd(key, val)
        if exp is not None:
            p.pexpireat(key, exp)
        p.execute()


# -- tests ---------------------------------------------------------------------------------------

def test_crc64_reference_vector():
    assert crc64(b"123456789") == 0xE9C6D914C4B8D9CA      # crc64.c's own test
    assert crc64(b"") == 0
    # The long-input folding path agrees with the byte-at-a-time table path, also when chained.
    rnd = random.Random(7)
    data = rnd.randbytes(300_000)
    for n in (0, 1, 7, 8, 255, 256, 257, 1000, 65535, 65536, 65537, 300_000):
        chunk = data[:n]
        by_bytes = 0
        for i in range(0, n, 200):                          # < 256 bytes: the table loop
            by_bytes = crc64(chunk[i:i + 200], by_bytes)
        assert crc64(chunk) == by_bytes, n
        init = rnd.getrandbits(64)
        assert crc64(chunk, init) == crc64(chunk[n // 3:], crc64(chunk[:n // 3], init)), n
    assert crc64(bytearray(b"123456789")) == crc64(memoryview(b"123456789")) == 0xE9C6D914C4B8D9CA


def test_encoder_loads_into_redis(tmp_path, servers):
    dbs, expires, expected = make_dataset()
    rdb = encode_rdb(dbs, expires)
    assert rdb.startswith(b"REDIS0010") and rdb[-9] == 0xFF
    assert int.from_bytes(rdb[-8:], "little") == crc64(rdb[:-8])
    srv = servers(tmp_path / "mine", rdb)
    log = srv.log_text()
    assert "Loading RDB produced by version 7.0.15" in log
    assert "Done loading RDB" in log and "empty keys skipped" not in log
    assert_matches(read_all(srv), expected)
    # The loader converts the plain types to Redis's compact encodings by itself.
    enc = {k: srv.client(db=db).object("encoding", k) for db, k in
           [(0, b"i:127"), (0, b"str"), (0, b"set"), (0, b"intset"), (0, b"list"), (0, b"zset"),
            (0, b"hash"), (5, b"ttl:hash"), (1, b"bigzset"), (1, b"bighash"), (1, b"bigintset")]}
    assert enc == {b"i:127": b"int", b"str": b"embstr", b"set": b"hashtable", b"intset": b"intset",
                   b"list": b"quicklist", b"zset": b"listpack", b"hash": b"hashtable",
                   b"ttl:hash": b"listpack", b"bigzset": b"skiplist", b"bighash": b"hashtable",
                   b"bigintset": b"hashtable"}


def test_redis_check_rdb_reports_ok(tmp_path):
    check = _need("redis-check-rdb")
    dbs, expires, expected = make_dataset()
    for checksum in (True, False):
        path = tmp_path / f"dump-{checksum}.rdb"
        path.write_bytes(encode_rdb(dbs, expires, checksum=checksum))
        r = subprocess.run([check, str(path)], capture_output=True, text=True, timeout=60)
        out = r.stdout + r.stderr
        assert r.returncode == 0, out
        assert "RDB looks OK" in out, out
        assert ("Checksum OK" if checksum else "checksum disabled") in out, out
        assert f"{len(expected)} keys read" in out, out


def test_checksum_is_verified(tmp_path, servers):
    dbs = {0: {"k": "v", "n": "1"}}
    good = encode_rdb(dbs, {})
    assert_matches(read_all(servers(tmp_path / "good", good)),
                   {(0, b"k"): ("string", b"v", None), (0, b"n"): ("string", b"1", None)})

    # Without a checksum: 8 zero bytes, Redis loads it and says the check was skipped.
    nock = encode_rdb(dbs, {}, checksum=False)
    assert nock[-8:] == bytes(8)
    srv = servers(tmp_path / "nock", nock)
    assert "checksum disabled" in srv.log_text()
    assert srv.client().get(b"k") == b"v"

    # A flipped checksum byte, or a flipped data byte: redis-server refuses to start.
    bad = bytearray(good)
    bad[-3] ^= 0x01
    assert "Wrong RDB checksum" in refused_log(tmp_path / "badsum", bytes(bad))
    bad = bytearray(good)
    bad[bad.index(b"\x00\x01k\x01v") + 4] ^= 0x20        # type, key "k", value "v" -> "V"
    assert "Wrong RDB checksum" in refused_log(tmp_path / "baddata", bytes(bad))


def refused_log(dir, rdb: bytes) -> str:
    """Start redis-server on ``rdb``, expect it to exit at load; its log."""
    dir.mkdir()
    (dir / "dump.rdb").write_bytes(rdb)
    srv = RedisServer(dir, extra_args=["--dbfilename", "dump.rdb"])
    try:
        with pytest.raises(ServerStartError):
            srv.start()
    finally:
        srv.stop()
    return srv.log_text()


def test_same_dataset_as_redis_own_save(tmp_path, servers):
    """Fill a real Redis with the same data, SAVE, reload it: both servers hold the same thing."""
    dbs, expires, expected = make_dataset()
    ref = servers(tmp_path / "ref")
    fill_like(ref, expected)
    assert ref.client().save()
    ref.stop()
    theirs_file = (tmp_path / "ref" / "dump.rdb").read_bytes()
    theirs = servers(tmp_path / "ref")                     # restarted: loads Redis's own file
    mine = servers(tmp_path / "mine", encode_rdb(dbs, expires))

    a, b_ = read_all(mine), read_all(theirs)
    assert set(a) == set(b_)
    for k in a:
        assert a[k][:2] == b_[k][:2], k
        assert (a[k][2] == -1) == (b_[k][2] == -1) and abs(a[k][2] - b_[k][2]) < 60_000, k
    assert_matches(b_, expected)                           # and the reference matches the spec
    assert theirs_file.startswith(b"REDIS0010")


def test_dump_payloads_restore(redis_server):
    """encode_value + crc64 make DUMP payloads that RESTORE accepts (it checks version and CRC)."""
    c = redis_server.client()
    cases = {
        b"r:str": ("x" * 70, b"x" * 70),
        b"r:int": (12345, b"12345"),
        b"r:hash": ({"a": "1", "b": [1, 2]}, {b"a": b"1", b"b": b"[1,2]"}),
        b"r:list": (deque(["a", "\udcff"]), [b"a", b"\xff"]),
        b"r:set": ({"a", "b"}, {b"a", b"b"}),
        b"r:zset": (ZSet({"a": 1.0, "b": INF}), [(b"a", 1.0), (b"b", INF)]),
    }
    for key, (value, want) in cases.items():
        rtype, ser = encode_value(value)
        body = bytes((rtype,)) + ser + (10).to_bytes(2, "little")
        payload = body + crc64(body).to_bytes(8, "little")
        c.restore(key, 0, payload, replace=True)
        got = {"string": c.get, "hash": c.hgetall, "set": c.smembers,
               "list": lambda k: c.lrange(k, 0, -1),
               "zset": lambda k: c.zrange(k, 0, -1, withscores=True)}[c.type(key).decode()](key)
        assert got == want, key
    rtype, ser = encode_value("v")
    body = bytes((rtype,)) + ser + (10).to_bytes(2, "little")
    with pytest.raises(redis.ResponseError, match="checksum"):
        c.restore(b"r:bad", 0, body + (crc64(body) ^ 1).to_bytes(8, "little"))


def test_collisions_empties_and_past_expiry(tmp_path, servers):
    """What the loader would reject or skip: the encoder leaves it out or merges it."""
    t = now_ms()
    dbs = {
        0: {
            "é": "valid utf-8 spelling",
            "\udcc3\udca9": "same bytes, escaped spelling",        # must not become a dup key
            "dupset": {5, "5", True, "true", 1.0, "1"},            # -> {"5", "true", "1"}
            "duphash": {"é": "a", "\udcc3\udca9": "b"},
            "dupzset": ZSet({"é": 1.0, "\udcc3\udca9": 2.0}),
            "emptyset": set(), "emptylist": deque(), "emptyhash": {}, "emptyzset": ZSet(),
            "past": "already expired",
            "future": "kept",
        },
        20: {},
    }
    expires = {0: {"past": t - 1000, "future": t + HOUR}}
    srv = servers(tmp_path / "x", encode_rdb(dbs, expires))
    log = srv.log_text()
    assert "empty key" not in log
    assert "keys expired: 1." in log                             # the master dropped "past"
    got = read_all(srv)
    assert set(got) == {(0, "é".encode()), (0, b"dupset"), (0, b"duphash"), (0, b"dupzset"),
                        (0, b"future")}
    assert got[(0, "é".encode())][1] in (b"valid utf-8 spelling", b"same bytes, escaped spelling")
    assert got[(0, b"dupset")][1] == {b"5", b"true", b"1"}       # True == 1.0 in a Python set
    c = srv.client()
    # HLEN, not len(HGETALL): a duplicate field in a small hash is not caught by the 7.0 loader
    # (no deep sanitization at load) and would leave a listpack with 2 entries for one field.
    assert c.hlen(b"duphash") == 1 and c.zcard(b"dupzset") == 1 and c.scard(b"dupset") == 3
    assert 0 < got[(0, b"future")][2] <= HOUR


def test_encode_value_types_and_errors():
    assert encode_value("") == (0, b"\x00")
    assert encode_value("a") == (0, b"\x01a")
    assert encode_value("5") == encode_value(5) == (0, b"\xc0\x05")
    assert encode_value("-129") == (0, b"\xc1\x7f\xff")
    assert encode_value("2147483647") == (0, b"\xc2\xff\xff\xff\x7f")
    assert encode_value("2147483648") == (0, b"\x0a2147483648")
    assert encode_value("007") == (0, b"\x03007")
    assert encode_value(True) == (0, b"\x04true")
    assert encode_value(None) == (0, b"\x04null")
    assert encode_value("x" * 63)[1][:1] == b"\x3f"                             # 6-bit length
    assert encode_value("x" * 64)[1][:2] == b"\x40\x40"                         # 14-bit length
    assert encode_value("x" * 16383)[1][:2] == b"\x7f\xff"
    assert encode_value("x" * 16384)[1][:5] == b"\x80\x00\x00\x40\x00"         # 32-bit length
    assert encode_value(ScoreDict({"a": 1.0}))[0] == 5                          # not a hash
    assert encode_value({"a": 1.0})[0] == 4
    assert encode_value(["a"])[0] == encode_value(deque(["a"]))[0] == 1
    assert encode_value(frozenset({"a"}))[0] == 2
    with pytest.raises(ValueError):
        encode_value(ScoreDict({"a": math.nan}))
    with pytest.raises(TypeError):
        encode_value(object())
    # aux fields: defaults plus the caller's (what a PSYNC payload carries)
    rdb = encode_rdb({0: {}}, {}, aux={"repl-id": "a" * 40, "repl-offset": "0", "repl-stream-db": "0"})
    for field in (b"redis-ver", b"redis-bits", b"ctime", b"used-mem", b"aof-base", b"repl-id",
                  b"repl-offset", b"repl-stream-db", b"7.0.15"):
        assert field in rdb
    # no SELECTDB for an empty dataset: EOF right after the last aux field (ctime and the
    # checksum may hold an 0xfe byte of their own)
    last = rdb.index(b"repl-stream-db") + len(b"repl-stream-db")
    assert rdb[last:last + 3] == b"\xc0\x00\xff"
    assert rdb[-9] == 0xFF


# -- the decoder (persistence/rdbload.py) --------------------------------------------------------

def _random_value(rnd: random.Random):
    def s():
        return rnd.choice(["", "a", "7", "-300", "70000", "1099511627776", "x" * 70, "\udcff\udc80",
                           "héllo", str(rnd.randrange(-10**6, 10**6)), "y" * rnd.randrange(200)])
    kind = rnd.randrange(5)
    n = rnd.choice([1, 2, 5, 130, 600])
    if kind == 0:
        return s()
    if kind == 1:
        return deque(s() for _ in range(n))
    if kind == 2:
        return {s() + str(i) for i in range(n)}
    if kind == 3:
        return {s() + str(i): s() for i in range(n)}
    return ZSet({s() + str(i): rnd.choice([0.0, -1.5, 1e300, INF, -INF, rnd.random()]) for i in range(n)})


def test_decoder_reads_what_the_encoder_writes():
    from pickledbd.daemon.persistence.rdb import dump_payload
    from pickledbd.daemon.persistence.rdbload import load_payload, verify_payload
    rnd = random.Random(99)
    for _ in range(300):
        v = _random_value(rnd)
        data = dump_payload(v)
        assert verify_payload(data)
        got = load_payload(data)
        assert type(got) is type(v) and got == v


def test_verify_payload_footer():
    from pickledbd.daemon.persistence.rdb import dump_payload
    from pickledbd.daemon.persistence.rdbload import verify_payload
    data = dump_payload("hello")
    assert verify_payload(data)
    assert not verify_payload(data[:-1] + bytes((data[-1] ^ 1,)))
    assert not verify_payload(b"\x00" * 9)
    body = data[:-10] + (11).to_bytes(2, "little")
    assert not verify_payload(body + crc64(body).to_bytes(8, "little"))       # version 11
    body = data[:-10] + (9).to_bytes(2, "little")
    assert verify_payload(body + crc64(body).to_bytes(8, "little"))           # older is fine


def test_decoder_fails_only_with_corrupt_and_in_bounded_time():
    """Mutated payloads of every type: the decoder either returns a value or raises Corrupt
    (never IndexError, struct.error, MemoryError ...), each in about a millisecond."""
    from diff_dump import VALID

    from pickledbd.daemon.persistence.rdbload import Corrupt, load_payload
    rnd = random.Random(5)
    seeds = [v[:-10] for v in VALID.values()]
    worst = 0.0
    for _ in range(20000):
        d = bytearray(rnd.choice(seeds))
        for _ in range(rnd.randint(1, 4)):
            if not d:
                break
            i = rnd.randrange(len(d))
            op = rnd.random()
            if op < 0.5:
                d[i] = rnd.randrange(256)
            elif op < 0.7:
                d[i] = rnd.choice([0x80, 0x81, 0xff, 0xfe, 0xc3, 0xf0])
            elif op < 0.85:
                del d[i:i + rnd.randint(1, 4)]
            else:
                d[i:i] = rnd.randbytes(rnd.randint(1, 4))
        t = time.perf_counter()
        try:
            load_payload(bytes(d) + b"\x0a\x00" + bytes(8))
        except Corrupt:
            pass
        worst = max(worst, time.perf_counter() - t)
    assert worst < 0.5, worst          # ~1 ms typical; slack for a loaded machine


def test_streams_in_an_rdb_file_load_into_redis(tmp_path):
    """encode_rdb writes streams as STREAM_LISTPACKS_2: redis-check-rdb accepts the file and
    redis-server loads entries, groups, PELs and consumers (what a full resync sends)."""
    from diff_dump import sample_stream

    from pickledbd.daemon.keyspace.stream import Stream, id_str
    check = _need("redis-check-rdb")
    s = sample_stream()
    path = tmp_path / "streams.rdb"
    path.write_bytes(encode_rdb({0: {"s": s, "empty": Stream()}}, {}))
    r = subprocess.run([check, str(path)], check=False, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "RDB looks OK" in r.stdout + r.stderr, r.stdout + r.stderr
    srv = start_redis(tmp_path, path.read_bytes())
    try:
        c = srv.client()
        assert c.xlen("s") == len(s) and c.xlen("empty") == 0
        full = c.execute_command("XINFO", "STREAM", "s", "FULL")
        info = dict(zip(full[0::2], full[1::2]))
        assert info[b"entries-added"] == s.entries_added
        assert info[b"max-deleted-entry-id"] == b"1001-3"
        assert [e[0] for e in info[b"entries"]] == [id_str(i).encode() for i in s.ids]
        groups = {dict(zip(g[0::2], g[1::2]))[b"name"]: dict(zip(g[0::2], g[1::2])) for g in info[b"groups"]}
        assert groups[b"g1"][b"pel-count"] == 3 and groups[b"g1"][b"entries-read"] == 4
        assert groups[b"g2"][b"entries-read"] is None
        assert [dict(zip(x[0::2], x[1::2]))[b"name"] for x in groups[b"g1"][b"consumers"]] == [b"alice", b"bob", b"carol"]
    finally:
        srv.stop()
