"""Hash commands against pickledbd, most of them compared reply-for-reply (wire types
included, RESP2 and RESP3) with the reference redis-server."""
from __future__ import annotations

import random

import pytest

from test_transcripts import Connection, split_args


# ---------------------------------------------------------------- differential helper

def run_script(server, lines, proto=2):
    """Run commands (transcript syntax, one per line) on a fresh connection after FLUSHALL;
    returns the strictly parsed replies."""
    c = Connection(server.host, server.port)
    try:
        c.send_command([b"FLUSHALL"])
        c.read_reply()
        if proto == 3:
            c.send_command([b"HELLO", b"3"])
            c.read_reply()
        out = []
        for line in lines:
            c.send_command(split_args(line))
            out.append(c.read_reply())
        return out
    finally:
        c.close()


def _unordered(reply, pairs: bool):
    """A reply whose element order is not part of the contract, in a canonical order."""
    kind = reply[0]
    if kind == "map":
        return (kind, sorted(reply[1]))
    if kind in ("array", "set"):
        items = reply[1]
        if pairs:
            return (kind, sorted(zip(items[::2], items[1::2])))
        return (kind, sorted(items))
    return reply


def assert_same(redis_server, pickledbd_server, script: str, protos=(2, 3)):
    """Each line is a command in transcript syntax; a line starting with ``~`` compares its
    reply ignoring element order, ``~~`` ignoring the order of (field, value) pairs."""
    lines, marks = [], []
    for ln in script.strip().splitlines():
        ln = ln.strip()
        if not ln or ln.startswith("#"):
            continue
        mark = "~~" if ln.startswith("~~") else "~" if ln.startswith("~") else ""
        lines.append(ln[len(mark):].strip())
        marks.append(mark)
    for proto in protos:
        want = run_script(redis_server, lines, proto)
        got = run_script(pickledbd_server, lines, proto)
        for i, mark in enumerate(marks):
            if mark:
                want[i] = _unordered(want[i], mark == "~~")
                got[i] = _unordered(got[i], mark == "~~")
        diffs = ["RESP%d %s\n  redis:     %r\n  pickledbd: %r" % (proto, ln, w, g)
                 for ln, w, g in zip(lines, want, got) if w != g]
        assert not diffs, "\n".join(diffs)


# ---------------------------------------------------------------- differential cases

def test_basic_commands_match_redis(redis_server, pickledbd_server):
    assert_same(redis_server, pickledbd_server, r"""
        hset h a 1 b 2 c 3
        hset h a x d 4
        hsetnx h a z
        hsetnx h e 5
        hget h a
        hget h nofield
        hmget h a nofield e
        hmget nokey a b
        hmset h f 6 g 7
        hlen h
        hexists h a
        hexists h zz
        hstrlen h a
        hset u "\xe2\x82\xac" "\xe2\x82\xac\xff\x00"
        hstrlen u "\xe2\x82\xac"
        hget u "\xe2\x82\xac"
        ~~ hgetall u
        ~ hkeys u
        ~ hvals u
        hgetall nokey
        hdel h a b zz a
        hdel h c d e f g
        exists h
        hset h a
        hset h a 1 b
        hmset h a
        hset h
        set s v
        hset s a 1
        hgetall s
        hkeys s
        hvals s
        hlen s
        hstrlen s a
        hdel s a
        hmget s a
    """)


def test_hincrby_and_hincrbyfloat_match_redis(redis_server, pickledbd_server):
    assert_same(redis_server, pickledbd_server, r"""
        hincrby h n 5
        hincrby h n -7
        hincrby h n 9223372036854775807
        hincrby h big 9223372036854775807
        hincrby h big 1
        hincrby h small -9223372036854775808
        hincrby h small -1
        hincrby h n foo
        hincrby h n 1.0
        hincrby h n " 1"
        hset h s "1 " t 01 u -0 v +1 w ""
        hincrby h s 1
        hincrby h t 1
        hincrby h u 1
        hincrby h v 1
        hincrby h w 1
        hincrbyfloat h f 0.1
        hincrbyfloat h f 0.2
        hincrbyfloat h f 1e17
        hincrbyfloat h g 10.1
        hincrbyfloat h g 1500
        hincrbyfloat h x 3.0e-5
        hincrbyfloat h x -3.0e-5
        hincrbyfloat h y 1e308
        hincrbyfloat h y 1e308
        hincrbyfloat h z 0x1p-3
        hincrbyfloat h z .5
        hincrbyfloat h z 5.
        hincrbyfloat h z 1_0
        hincrbyfloat h z inf
        hincrbyfloat h z -infinity
        hincrbyfloat h z nan
        hincrbyfloat h z ""
        hincrbyfloat h z " 1"
        hincrbyfloat h z 1e5000
        hincrbyfloat h w2 1.18e4932
        hincrbyfloat h w2 1.18e4932
        hset h i inf j nan k "1.5 " l 1e10
        hincrbyfloat h i 1
        hincrbyfloat h j 1
        hincrbyfloat h k 1
        hincrbyfloat h l 1
        hincrbyfloat h n 0.5
        hincrbyfloat h m -0.0
        hincrbyfloat h big 1
        ~~ hgetall h
        set s v
        hincrby s f 1
        hincrbyfloat s f 1
        hincrby s f x
        hincrbyfloat s f x
    """)


def test_hrandfield_and_hscan_errors_match_redis(redis_server, pickledbd_server):
    assert_same(redis_server, pickledbd_server, r"""
        hset h a 1 b 2 c 3
        hrandfield nokey
        hrandfield nokey 3
        hrandfield nokey -3 withvalues
        hrandfield h 0
        hrandfield h 0 withvalues
        hrandfield h 1 withvalues x
        hrandfield h 1 values
        hrandfield h foo
        hrandfield h 1.5
        hrandfield h -9223372036854775808
        hrandfield h 4611686018427387904 withvalues
        hrandfield h -4611686018427387904 withvalues
        ~~ hrandfield h 4611686018427387903 withvalues
        ~ hrandfield h 9223372036854775807
        hdel h b c
        hscan h 0 count 100
        hscan h 0 match [ab]
        hscan h 0 match *
        hscan h -1
        hscan h ""
        hscan h +0
        hscan h " 0"
        hscan h 0x
        hscan h -
        hscan h 18446744073709551615
        hscan h 18446744073709551616
        hscan h 0 count 0
        hscan h 0 count -1
        hscan h 0 count foo
        hscan h 0 match
        hscan h 0 type string
        hscan h 0 novalues
        hscan nokey 0 count 0
        hscan nokey x
        set s v
        hrandfield s
        hrandfield s 0
        hrandfield s 1 foo
        hscan s 0
        hscan s x
    """)


# ---------------------------------------------------------------- HRANDFIELD properties

def test_hrandfield_shapes(pickledbd_server):
    r = pickledbd_server.client()
    r.flushall()
    fields = {b"f%d" % i: b"v%d" % i for i in range(300)}   # a big (hashtable-like) hash too
    r.hset("h", mapping=fields)
    one = r.hrandfield("h")
    assert one in fields
    picks = r.hrandfield("h", 50)
    assert len(picks) == 50 and len(set(picks)) == 50 and set(picks) <= set(fields)
    assert sorted(r.hrandfield("h", 1000)) == sorted(fields)
    rep = r.hrandfield("h", -1000)
    assert len(rep) == 1000 and set(rep) <= set(fields)
    flat = r.hrandfield("h", -7, withvalues=True)
    assert len(flat) == 14
    for f, v in zip(flat[::2], flat[1::2]):
        assert fields[f] == v
    # RESP3: WITHVALUES nests [field, value] pairs
    c = Connection(pickledbd_server.host, pickledbd_server.port)
    try:
        c.send_command([b"HELLO", b"3"])
        c.read_reply()
        for count in (b"5", b"-5", b"1000"):
            c.send_command([b"HRANDFIELD", b"h", count, b"WITHVALUES"])
            kind, items = c.read_reply()
            assert kind == "array" and items
            for item in items:
                assert item[0] == "array" and len(item[1]) == 2
                (_, f), (_, v) = item[1]
                assert fields[f] == v
        c.send_command([b"HGETALL", b"h"])
        kind, pairs = c.read_reply()
        assert kind == "map" and len(pairs) == 300
    finally:
        c.close()


# ---------------------------------------------------------------- HSCAN cursor

def _hscan_all(r, key, count=10, mutate=None):
    seen, cursor, calls = {}, 0, 0
    while True:
        cursor, chunk = r.hscan(key, cursor, count=count)
        seen.update(chunk)
        calls += 1
        if mutate is not None:
            mutate(calls)
        if cursor == 0:
            return seen, calls
        assert calls < 100000


def test_hscan_small_hash_in_one_call(pickledbd_server):
    r = pickledbd_server.client()
    r.flushall()
    r.hset("h", mapping={"a": 1, "b": 2})
    assert r.hscan("h", 0, count=1) == (0, {b"a": b"1", b"b": b"2"})


def test_hscan_large_hash_real_cursor(pickledbd_server):
    r = pickledbd_server.client()
    r.flushall()
    n = 5000
    r.hset("h", mapping={"f%d" % i: i for i in range(n)})
    seen, calls = _hscan_all(r, "h", count=100)
    assert calls > 10          # really paginated
    assert len(seen) == n and seen[b"f123"] == b"123"
    # MATCH filters within pages
    cursor, matched = 0, {}
    while True:
        cursor, chunk = r.hscan("h", cursor, match="f1??", count=500)
        matched.update(chunk)
        if cursor == 0:
            break
    assert set(matched) == {b"f%d" % i for i in range(100, 200)}


def test_hscan_returns_fields_present_all_along_under_writes(pickledbd_server):
    r = pickledbd_server.client()
    r.flushall()
    stable = {"s%d" % i: "v" for i in range(2000)}
    r.hset("h", mapping=stable)
    r.hset("h", mapping={"t%d" % i: "x" for i in range(2000)})
    rnd = random.Random(7)

    def mutate(call):
        # delete some transient fields, add new ones, overwrite stable values
        r.hdel("h", *["t%d" % rnd.randrange(2000) for _ in range(30)])
        r.hset("h", mapping={"n%d_%d" % (call, i): "y" for i in range(30)})
        r.hset("h", "s%d" % rnd.randrange(2000), "changed")

    seen, _ = _hscan_all(r, "h", count=50, mutate=mutate)
    missing = {f.encode() for f in stable} - set(seen)
    assert not missing


def test_hscan_restarted_or_unknown_cursor_still_complete(pickledbd_server):
    r = pickledbd_server.client()
    r.flushall()
    r.hset("h", mapping={"f%d" % i: i for i in range(1000)})
    # an unknown cursor (e.g. from before a restart) must not lose fields: it starts over
    cursor, seen = 123456789, {}
    while True:
        cursor, chunk = r.hscan("h", cursor, count=100)
        seen.update(chunk)
        if cursor == 0:
            break
    assert len(seen) == 1000
    # the hash deleted and recreated in the middle of a scan
    cursor, chunk = r.hscan("h", 0, count=100)
    r.delete("h")
    r.hset("h", mapping={"g%d" % i: i for i in range(500)})
    seen = {}
    while True:
        cursor, chunk = r.hscan("h", cursor, count=100)
        seen.update(chunk)
        if cursor == 0:
            break
    assert {f for f in seen if f.startswith(b"g")} == {b"g%d" % i for i in range(500)}


# ---------------------------------------------------------------- library-stored values

def test_library_values_read_as_strings(start_pickledbd, tmp_path):
    from pickledbd.storage import State, open_storage
    st = open_storage(str(tmp_path / "dump.json"))
    st.save(State(dbs={0: {"h": {"i": 42, "f": 1.5, "b": True, "n": None, "d": {"x": [1, 2]},
                              "s": "str"}}}, expires={}))
    st.close()
    srv = start_pickledbd(dir=tmp_path)
    r = srv.client()
    assert r.hget("h", "i") == b"42"
    assert r.hget("h", "f") == b"1.5"
    assert r.hget("h", "b") == b"true"
    assert r.hget("h", "n") == b"null"
    assert r.hget("h", "d") == b'{"x":[1,2]}'
    assert r.hstrlen("h", "i") == 2
    assert r.hmget("h", "i", "s") == [b"42", b"str"]
    assert r.hgetall("h")[b"d"] == b'{"x":[1,2]}'
    assert sorted(r.hvals("h"))[0] == b"1.5"
    assert r.hincrby("h", "i", 1) == 43
    assert r.hincrbyfloat("h", "f", 1) == 2.5
    with pytest.raises(Exception, match="hash value is not an integer"):
        r.hincrby("h", "d", 1)
    fields = dict(zip(*[iter(r.hrandfield("h", 10, withvalues=True))] * 2))
    assert fields[b"n"] == b"null"
    assert dict(r.hscan("h", 0)[1])[b"b"] == b"true"
