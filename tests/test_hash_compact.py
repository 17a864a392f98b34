"""Packed small hashes (keyspace/smallhash.py): the SmallHash type against a dict (hypothesis),
the listpack -> hashtable conversions side by side with redis-server (OBJECT ENCODING at each
step, replies compared), and save/restart round trips (JSON and SQLite) whose files must be
exactly those the same hashes held as dicts give."""
from __future__ import annotations

import json
import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import servers
from pickledbd.daemon.keyspace.smallhash import SmallHash, fits, pack


# ---------------------------------------------------------------------------------------------
# the type against a dict
# ---------------------------------------------------------------------------------------------

# special characters of the packed form, digits of its escapes, non-ASCII and a lone surrogate
# (a non-UTF-8 byte), so that names are prefixes / substrings of each other and of values
_ALPHABET = ["\0", "\1", "\2", "0", "1", "2", "a", "b", "é", "\udc80", "\U0001F600"]
_texts = st.text(alphabet=_ALPHABET, max_size=5)
_ops = st.lists(st.one_of(
    st.tuples(st.just("set"), _texts, _texts),
    st.tuples(st.just("del"), _texts),
    st.tuples(st.just("pop"), _texts),
    st.tuples(st.just("get"), _texts),
    st.tuples(st.just("copy")),
), max_size=60)


def _check(h: SmallHash, d: dict) -> None:
    assert len(h) == len(d) and bool(h) == bool(d)
    assert h.items() == list(d.items())          # insertion order, as a listpack and a dict
    assert h.keys() == list(d) and list(h) == list(d) and h.values() == list(d.values())
    assert h.to_dict() == d and h == d and h.hash_dict() == d
    for f in d:
        assert f in h and h[f] == d[f] and h.get(f) == d[f]
    assert SmallHash.from_dict(d) == h and SmallHash.from_dict(d).text == h.text


@settings(max_examples=400, deadline=None)
@given(_ops)
def test_smallhash_behaves_as_a_dict(ops):
    h, d = SmallHash(), {}
    for op in ops:
        if op[0] == "set":
            assert h.set(op[1], op[2]) == (op[1] not in d)
            d[op[1]] = op[2]
        elif op[0] == "del":
            assert h.delete(op[1]) == (op[1] in d)
            d.pop(op[1], None)
        elif op[0] == "pop":
            assert h.pop(op[1], None) == d.pop(op[1], None)
        elif op[0] == "get":
            assert h.get(op[1], "missing") == d.get(op[1], "missing")
            assert (op[1] in h) == (op[1] in d)
        else:
            c = h.copy()
            c.set("\0copy", "x")
            assert "\0copy" not in h or "\0copy" in d
        _check(h, d)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(_texts, _texts, max_size=20), _texts)
def test_lookup_never_matches_across_entries(d, probe):
    """Whatever the names (substrings of each other, of values, of the escapes), a lookup
    finds exactly the whole field."""
    h = SmallHash.from_dict(d)
    assert h.get(probe, None) == d.get(probe)
    for f in d:
        assert h.get(f + "\0", None) == d.get(f + "\0")
        assert h.get("\2" + f, None) == d.get("\2" + f)


def test_fits_counts_bytes():
    assert fits("x" * 64, 64) and not fits("x" * 65, 64)
    assert fits("é" * 32, 64) and not fits("é" * 33, 64)      # 2 bytes a character
    assert fits("\udcff" * 64, 64)                            # a raw byte is one byte
    assert not fits(5, 64)                                     # library-stored JSON number
    assert type(pack({"a": "b"})) is SmallHash
    assert type(pack({"a": 1})) is dict and type(pack({"a": "b" * 65})) is dict
    assert type(pack({str(i): "v" for i in range(3)}, entries=2)) is dict


def test_memory_per_field_is_small():
    h = SmallHash.from_dict({"member:%06d" % i: "v%d" % i for i in range(100)})
    assert h.nbytes() / 100 < 25        # a dict of str: ~165 bytes a field


# ---------------------------------------------------------------------------------------------
# side by side with redis-server
# ---------------------------------------------------------------------------------------------

class Both:
    """The same commands on redis-server and pickledbd; replies (or error texts) compared."""

    def __init__(self, redis_server, pickledbd_server):
        self.r = redis_server.client()
        self.p = pickledbd_server.client()

    def call(self, *args):
        out = []
        for cl in (self.r, self.p):
            try:
                out.append(cl.execute_command(*args))
            except Exception as e:          # the error text must match too
                out.append(("error", str(e)))
        return out

    def same(self, *args, unordered: bool = False):
        r, p = self.call(*args)
        if unordered:
            r, p = sorted(r), sorted(p)
        assert p == r, "%r: redis %r, pickledbd %r" % (args, r, p)
        return r

    def encoding(self, key, expected: bytes | None = None):
        r = self.same("OBJECT", "ENCODING", key)
        if expected is not None:
            assert r == expected, key
        return r

    def close(self):
        self.r.close()
        self.p.close()


@pytest.fixture
def both(redis_server, pickledbd_server):
    b = Both(redis_server, pickledbd_server)
    b.same("FLUSHALL")
    b.same("CONFIG", "SET", "hash-max-listpack-entries", "512")
    b.same("CONFIG", "SET", "hash-max-listpack-value", "64")
    yield b
    b.same("CONFIG", "SET", "hash-max-listpack-entries", "512")
    b.same("CONFIG", "SET", "hash-max-listpack-value", "64")
    b.close()


def _all(both, key, listpack: bool = True):
    """Every read of the hash at ``key``; in order while it is a listpack."""
    both.same("HLEN", key)
    both.same("HGETALL", key, unordered=not listpack)
    both.same("HKEYS", key, unordered=not listpack)
    both.same("HVALS", key, unordered=not listpack)
    if listpack:
        both.same("HSCAN", key, "0")
        both.same("HSCAN", key, "0", "MATCH", "*1*")
    fields = both.r.hkeys(key)
    for f in fields[:20]:
        both.same("HGET", key, f)
        both.same("HEXISTS", key, f)
        both.same("HSTRLEN", key, f)
    both.same("HMGET", key, *(fields[:5] + [b"nope"]))
    both.same("HGET", key, "nope")


def test_count_threshold_and_config(both):
    both.same("CONFIG", "SET", "hash-max-listpack-entries", "8")
    for i in range(10):
        both.same("HSET", "h", "f%d" % i, "v%d" % i)
        both.encoding("h", b"listpack" if i < 8 else b"hashtable")
        _all(both, "h", listpack=i < 8)
    both.same("HDEL", "h", *["f%d" % i for i in range(9)])      # never back to a listpack
    both.encoding("h", b"hashtable")
    both.same("HDEL", "h", "f9")
    both.same("EXISTS", "h")
    both.same("HSET", "h", "a", "1", "b", "2")
    both.encoding("h", b"listpack")
    # a lower limit converts an existing listpack at its next write, even an update
    both.same("HSET", "g", *[x for i in range(6) for x in ("f%d" % i, "v")])
    both.same("CONFIG", "SET", "hash-max-listpack-entries", "4")
    both.same("HDEL", "g", "f5")
    both.encoding("g", b"listpack")
    both.same("HSET", "g", "f0", "new")
    both.encoding("g", b"hashtable")
    both.same("HSET", "g2", *[x for i in range(6) for x in ("f%d" % i, "1")])
    both.same("HINCRBY", "g2", "f0", "1")               # an update by HINCRBY converts too
    both.encoding("g2", b"hashtable")
    both.same("CONFIG", "SET", "hash-max-listpack-entries", "8")
    both.same("HSET", "g3", *[x for i in range(6) for x in ("f%d" % i, "1")])
    both.same("CONFIG", "SET", "hash-max-listpack-entries", "4")
    both.same("HSETNX", "g3", "f0", "2")                 # nothing written: no conversion
    both.encoding("g3", b"listpack")
    both.same("HINCRBYFLOAT", "g3", "f1", "1.5")
    both.encoding("g3", b"hashtable")
    both.same("CONFIG", "SET", "hash-max-listpack-entries", "0")
    both.same("HSET", "z", "f", "v")
    both.encoding("z", b"hashtable")
    both.same("HSETNX", "z2", "f", "v")
    both.encoding("z2", b"hashtable")
    both.same("HINCRBY", "z3", "f", "1")
    both.encoding("z3", b"hashtable")
    both.same("CONFIG", "SET", "hash-max-listpack-entries", "512")
    both.same("HSET", "big", *[x for i in range(512) for x in ("member:%d" % i, "v")])
    both.encoding("big", b"listpack")
    _all(both, "big")
    both.same("HSET", "big", "one-more", "v")
    both.encoding("big", b"hashtable")
    both.same("HSET", "new", *[x for i in range(513) for x in ("member:%d" % i, "v")])
    both.encoding("new", b"hashtable")


def test_value_threshold(both):
    both.same("HSET", "h", "f", "x" * 64, "y" * 64, "v")
    both.encoding("h", b"listpack")
    both.same("HSET", "h", "g", "x" * 65)
    both.encoding("h", b"hashtable")
    _all(both, "h", listpack=False)
    both.same("HSET", "k", "f", "v")
    both.same("HSET", "k", "f" * 65, "v")
    both.encoding("k", b"hashtable")
    # every argument is checked before anything is set: a long value for an existing field
    both.same("HSET", "m", "a", "1", "b", "2")
    both.same("HSET", "m", "a", "z" * 70)
    both.encoding("m", b"hashtable")
    # bytes, not characters: 33 two-byte characters are 66 bytes
    both.same("HSET", "u", "é" * 32, "ü" * 32)
    both.encoding("u", b"listpack")
    both.same("HSET", "u", "x", "é" * 33)
    both.encoding("u", b"hashtable")
    # a lower value limit only looks at what is written next
    both.same("HSET", "w", "field-one", "value-one")
    both.same("CONFIG", "SET", "hash-max-listpack-value", "4")
    both.same("HSET", "w", "a", "b")
    both.encoding("w", b"listpack")
    both.same("HSET", "w", "a", "bbbbb")
    both.encoding("w", b"hashtable")


def test_binary_and_non_ascii_content(both):
    names = [b"\x00", b"\x00\x00", b"\x01", b"\x02", b"\x01" b"0", b"a\x00b", b"\xff\xfe", b"",
             "é".encode(), b"\xc3", "\U0001F600".encode(), b"\x00\x02", b"\x020", b"1\x01"]
    args = []
    for i, n in enumerate(names):
        args += [n, names[-1 - i] + b"\x00" + n]
    both.same("HSET", "b", *args)
    both.encoding("b", b"listpack")
    _all(both, "b")
    for n in names:
        both.same("HGET", "b", n)
        both.same("HGET", "b", n + b"\x00")
        both.same("HGET", "b", b"\x00" + n)
    both.same("HDEL", "b", b"\x00", b"\x01" b"0", b"")
    _all(both, "b")
    both.same("HSET", "b", b"\x02", b"\x00\x01\x02")
    both.same("HINCRBY", "b", b"\x00cnt", "5")
    both.same("HINCRBYFLOAT", "b", b"\x01fl", "1.25")
    _all(both, "b")
    both.same("HSET", "b", b"\xff" * 65, b"v")
    both.encoding("b", b"hashtable")
    _all(both, "b", listpack=False)


def test_incr_and_setnx(both):
    both.same("HSET", "h", "n", "10", "f", "1.5", "s", "abc")
    both.same("HINCRBY", "h", "n", "5")
    both.same("HINCRBY", "h", "s", "1")
    both.same("HINCRBY", "h", "n", "9223372036854775807")
    both.same("HINCRBYFLOAT", "h", "f", "2.25")
    both.same("HINCRBYFLOAT", "h", "s", "1")
    both.same("HINCRBY", "h", "new", "-3")
    both.encoding("h", b"listpack")
    _all(both, "h")
    both.same("HINCRBYFLOAT", "h", "f", "1e40")      # 41 bytes: still a listpack
    both.encoding("h", b"listpack")
    both.same("HINCRBYFLOAT", "h", "f", "1e70")      # the value grows past 64 bytes
    both.encoding("h", b"hashtable")
    _all(both, "h", listpack=False)
    both.same("HINCRBYFLOAT", "j", "f", "1e70")      # a new hash, created too long
    both.encoding("j", b"hashtable")
    both.same("HINCRBY", "k", "x" * 65, "1")
    both.encoding("k", b"hashtable")
    both.same("HSET", "k2", "x" * 65 + "z", "1")
    both.encoding("k2", b"hashtable")
    # HSETNX: an existing field is not written, so nothing converts; a new long one does
    both.same("HSETNX", "s", "f", "v")
    both.same("HSETNX", "s", "f", "x" * 65)
    both.encoding("s", b"listpack")
    both.same("HSETNX", "s", "g", "y")
    both.same("HSETNX", "s", "h", "x" * 65)
    both.encoding("s", b"hashtable")
    _all(both, "s", listpack=False)


def test_hdel_to_empty_and_types(both):
    both.same("HSET", "h", "a", "1", "b", "2", "c", "3")
    both.same("HDEL", "h", "a", "a", "x")
    both.same("HDEL", "h", "b", "c")
    both.same("EXISTS", "h")
    both.same("HDEL", "h", "a")
    both.same("HSET", "h", "a", "1")
    both.same("TYPE", "h")
    both.same("GET", "h")
    both.same("LPUSH", "h", "x")
    both.same("HSET", "s", "a", "1")
    both.same("HGET", "s", "a", "extra")
    both.same("HSET", "s", "a")
    r, p = both.call("SCAN", "0", "TYPE", "hash")
    assert sorted(r[1]) == sorted(p[1]) == [b"h", b"s"]


def test_hrandfield(both):
    both.same("HSET", "h", *[x for i in range(20) for x in ("f%d" % i, "v%d" % i)])
    fields = set(both.r.hkeys("h"))
    for cl in (both.r, both.p):
        assert cl.execute_command("HRANDFIELD", "h") in fields
        got = cl.execute_command("HRANDFIELD", "h", "5")
        assert len(got) == 5 and len(set(got)) == 5 and set(got) <= fields
        got = cl.execute_command("HRANDFIELD", "h", "-50")
        assert len(got) == 50 and set(got) <= fields
        got = cl.execute_command("HRANDFIELD", "h", "30")
        assert sorted(got) == sorted(fields)
        got = cl.execute_command("HRANDFIELD", "h", "-7", "WITHVALUES")
        assert len(got) == 14
        for f, v in zip(got[::2], got[1::2]):
            assert v == b"v" + f[1:]
        got = cl.execute_command("HRANDFIELD", "h", "3", "WITHVALUES")
        assert len(got) == 6 and len(set(got[::2])) == 3
    both.same("HRANDFIELD", "h", "0")
    both.same("HRANDFIELD", "nokey", "3")
    both.same("HRANDFIELD", "h", "x")
    both.encoding("h", b"listpack")


def test_keys_commands_keep_the_encoding(both):
    both.same("HSET", "h", "a", "1", "b", "2")
    both.same("COPY", "h", "h2")
    both.encoding("h2", b"listpack")
    both.same("HSET", "h2", "c", "3")
    _all(both, "h")                      # the copy is another object
    _all(both, "h2")
    both.same("RENAME", "h2", "h3")
    both.encoding("h3", b"listpack")
    both.same("HSET", "big", "x" * 70, "1", "a", "b")
    both.same("HDEL", "big", "x" * 70)
    both.encoding("big", b"hashtable")
    both.same("COPY", "big", "big2")
    both.encoding("big2", b"hashtable")
    for key in ("h", "big"):
        for cl in (both.r, both.p):           # each restores its own payload
            payload = cl.dump(key)
            cl.restore(key + ":r", 0, payload)
        both.encoding(key + ":r")                 # a small hash loads as a listpack
        _all(both, key + ":r")
    both.same("RPUSH", "ids", "1", "2", "3")
    for i in (1, 2, 3):
        both.same("HSET", "w_%d" % i, "weight", str(10 - i), "name", "n%d" % i)
    both.same("SORT", "ids", "BY", "w_*->weight", "GET", "w_*->name", "GET", "#")
    both.same("SORT", "ids", "BY", "w_*->nope", "GET", "w_*->name")


def test_memory_usage_and_object(both):
    both.same("HSET", "h", *[x for i in range(100) for x in ("member:%06d" % i, "v%d" % i)])
    r, p = both.call("MEMORY", "USAGE", "h")
    assert abs(p - r) <= r * 0.2, (r, p)
    both.same("OBJECT", "REFCOUNT", "h")
    both.same("HSET", "h", "long", "x" * 100)
    r, p = both.call("MEMORY", "USAGE", "h")
    assert abs(p - r) <= r * 0.3, (r, p)


def test_huge_hset_into_a_small_hash_converts_at_once(both):
    """A listpack never grows past the entries limit: the packed string is not rewritten once
    per field of a huge HSET (that would be quadratic)."""
    import time
    both.same("HSET", "h", "a", "1")
    args = [x for i in range(100000) for x in ("f%d" % i, "v%d" % i)]
    t = time.monotonic()
    both.same("HSET", "h", *args)
    assert time.monotonic() - t < 20
    both.encoding("h", b"hashtable")
    both.same("HLEN", "h")
    both.same("HGET", "h", "f99999")


# ---------------------------------------------------------------------------------------------
# save / restart
# ---------------------------------------------------------------------------------------------

_FILL = [
    ("HSET", "small", "a", "1", "b", "2", "é", "ü"),
    ("HSET", "bin", b"\x00\x01\x02", b"\xff\xfe", b"k", b"\x00"),
    ("HSET", "wide", "f", "\U0001F600"),
    ("HSET", "long", "f", "x" * 100),
    ("HSET", "many", *[x for i in range(600) for x in ("m%d" % i, "v%d" % i)]),
    ("HINCRBY", "ctr", "n", "41"),
    ("SELECT", "3"),
    ("HSET", "db3", "f", "v"),
    ("PEXPIREAT", "db3", "4102444800000"),      # the same instant on both servers
    ("SELECT", "0"),
]


def _fill(r):
    for cmd in _FILL:
        r.execute_command(*cmd)


def _dump_state(r) -> dict:
    out = {}
    for db in (0, 3):
        r.execute_command("SELECT", db)
        for k in sorted(r.keys()):
            out[(db, k)] = (r.hgetall(k), r.object("ENCODING", k))
    r.execute_command("SELECT", 0)
    return out


@pytest.mark.parametrize("dbfilename", ["dump.json", "dump.sqlite3"])
def test_save_restart_round_trip(tmp_path, dbfilename):
    """Compact hashes save exactly as dicts do (a server with hash-max-listpack-entries 0 holds
    them all as dicts) and load back compact."""
    files = {}
    states = {}
    for name, extra in (("dicts", ["--hash-max-listpack-entries", "0"]), ("packed", [])):
        d = tmp_path / name
        d.mkdir()
        srv = servers.start_with_retry(
            lambda: servers.PickledbdServer(d, dbfilename=dbfilename, extra_args=extra))
        try:
            r = srv.client()
            _fill(r)
            assert r.object("ENCODING", "small") == (b"hashtable" if name == "dicts" else b"listpack")
            before = _dump_state(r)
            assert r.save()
            files[name] = d / dbfilename
            if name == "packed":
                srv.stop()
                saved = files[name].read_bytes()
                srv.start()
                r = srv.client()
                after = _dump_state(r)
                assert {k: v[0] for k, v in after.items()} == {k: v[0] for k, v in before.items()}
                assert after[(0, b"small")][1] == b"listpack"
                assert after[(0, b"bin")][1] == b"listpack"
                assert after[(0, b"many")][1] == b"hashtable"
                assert after[(3, b"db3")][1] == b"listpack"
                r.execute_command("SELECT", 3)
                assert r.pttl("db3") > 0
                r.execute_command("SELECT", 0)
                assert r.hget("bin", b"\x00\x01\x02") == b"\xff\xfe"
                r.hset("small", "c", "3")
                r.hdel("small", "c")
                assert r.save()
                assert files[name].read_bytes() == saved or dbfilename.endswith("sqlite3")
            states[name] = before
        finally:
            srv.stop()
    assert {k: v[0] for k, v in states["dicts"].items()} == {k: v[0] for k, v in states["packed"].items()}
    if dbfilename.endswith(".json"):
        a, b = files["dicts"].read_bytes(), files["packed"].read_bytes()
        assert a == b
        doc = json.loads(b)
        assert doc["small"] == {"a": "1", "b": "2", "é": "ü"}
    else:
        rows = []
        for name in ("dicts", "packed"):
            with sqlite3.connect(files[name]) as conn:
                rows.append(sorted(conn.execute("SELECT db, key, type, value FROM kv").fetchall()))
        assert rows[0] == rows[1]
