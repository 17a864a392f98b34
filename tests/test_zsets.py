"""Sorted set commands against pickledbd: compared reply-for-reply (wire types included,
RESP2 and RESP3) with the reference redis-server, plus blocking pops, binary members,
ZSCAN's guarantee and a complexity check on a million members."""
from __future__ import annotations

import random
import threading
import time

import pytest

from test_transcripts import Connection, split_args


# ---------------------------------------------------------------- differential helper

def run_script(server, lines, proto=2):
    """Run commands (transcript syntax, one per line) on a fresh connection after FLUSHALL;
    returns the strictly parsed replies (wire types included)."""
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


def _key(x):
    return repr(x)


def _unordered(reply, pairs):
    kind = reply[0]
    if pairs == "scan" and kind == "array":      # [cursor, [elements]]: elements in any order
        cursor, elems = reply[1]
        return (kind, [cursor, _unordered(elems, False)])
    if kind in ("array", "set"):
        items = reply[1]
        if pairs:
            if items and items[0][0] == "array":          # RESP3 nested pairs
                return (kind, sorted(items, key=_key))
            return (kind, sorted(zip(items[::2], items[1::2]), key=_key))
        return (kind, sorted(items, key=_key))
    return reply


def assert_same(redis_server, pickledbd_server, script: str, protos=(2, 3)):
    """Each line is a command in transcript syntax; ``~`` first compares the reply ignoring
    element order, ``~~`` ignoring the order of (member, score) pairs, ``~s`` ignoring the
    order of a SCAN reply's elements."""
    lines, marks = [], []
    for ln in script.strip().splitlines():
        ln = ln.strip()
        if not ln or ln.startswith("#"):
            continue
        mark = ("~~" if ln.startswith("~~") else "~s" if ln.startswith("~s ")
                else "~" if ln.startswith("~") else "")
        lines.append(ln[len(mark):].strip())
        marks.append(mark)
    for proto in protos:
        want = run_script(redis_server, lines, proto)
        got = run_script(pickledbd_server, lines, proto)
        for i, mark in enumerate(marks):
            if mark:
                how = {"~": False, "~~": True, "~s": "scan"}[mark]
                want[i] = _unordered(want[i], how)
                got[i] = _unordered(got[i], how)
        diffs = ["RESP%d %s\n  redis:     %r\n  pickledbd: %r" % (proto, ln, w, g)
                 for ln, w, g in zip(lines, want, got) if w != g]
        assert not diffs, "\n".join(diffs)


# ---------------------------------------------------------------- differential cases

def test_zadd_flags_and_scores_match_redis(redis_server, pickledbd_server):
    assert_same(redis_server, pickledbd_server, r"""
        zadd z 1 a 2 b 3 c 0.1 d 1e17 e -inf f +inf g 1.5e-7 h 12345678901234567890 i
        zrange z 0 -1 withscores
        zscore z d
        zscore z i
        zmscore z a nope g f
        zincrby z 0.2 d
        zadd z incr -inf g
        zadd z incr +inf f
        zincrby z inf a
        zincrby z -inf a
        zadd z gt incr -1 b
        zadd z lt incr -1 b
        zadd z nx incr 1 b
        zadd z xx incr 1 nope
        zadd z lt ch 0.5 b 10 c 7 new
        zadd z gt ch 0.5 b 10 c 8 new2
        zadd z xx ch 100 new 100 nope
        zadd z ch 5 dup 6 dup 6 dup
        zscore z dup
        zadd z nx xx 1 a
        zadd z gt lt 1 a
        zadd z nx gt 1 a
        zadd z incr 1 a 2 b
        zadd z 1e-400 a
        zadd z 1e400 a
        zadd z 1e-320 tiny
        zscore z tiny
        zadd z -0 zero
        zscore z zero
        zadd z infinity inf2 -Infinity ninf2
        zrange z 0 -1 withscores
        zadd z "1 " a
        zadd z " 1" a
        zadd z 1_0 a
        zadd z nan a
        zadd z 1 a 2
        zadd z xx
        zadd z ch
        zadd nokey xx 1 a
        zadd nokey xx incr 1 a
        exists nokey
        zcard z
        zcard nokey
    """)


def test_zadd_bulk_path_matches_redis(redis_server, pickledbd_server):
    pairs = " ".join("%d m%d" % (i % 7, i % 40) for i in range(100))
    assert_same(redis_server, pickledbd_server, """
        zadd b %s
        zadd b ch %s
        zadd b ch 1 x 2 x 3 y %s
        zrange b 0 -1 withscores
    """ % (pairs, pairs, pairs))


def test_ranges_match_redis(redis_server, pickledbd_server):
    assert_same(redis_server, pickledbd_server, r"""
        zadd z 1 a 2 b 3 c 4 d 5 e -inf ninf +inf pinf 3 cc
        zrange z 0 -1 withscores
        zrange z -3 -1
        zrange z 2 1
        zrange z 0 -1 rev withscores
        zrange z (1 (inf byscore withscores
        zrange z -inf -inf byscore
        zrange z (-inf (inf byscore
        zrange z +inf -inf byscore rev withscores limit 1 3
        zrange z +inf -inf byscore rev limit 0 -1
        zrange z -inf +inf byscore limit -1 2
        zrange z -inf +inf byscore limit 7 10
        zrange z 3 3 byscore
        zrange z (3 3 byscore
        zrange z "" 2 byscore
        zrange z ( 2 byscore
        zrange z " 1" 2 byscore
        zrange z "1 " 2 byscore
        zrange z 0x1 2 byscore
        zrange z 1 2 bylex
        zrange z 0 -1 limit 0 -1
        zrange z 0 -1 limit 0 1
        zrange z 0 -1 rev rev
        zrangebyscore z -inf (2 withscores
        zrangebyscore z 2 4 limit 1 1 withscores
        zrangebyscore z 2 4 rev
        zrevrangebyscore z (inf -inf limit 2 2 withscores
        zrevrangebyscore z 2 4
        zrevrange z 0 2 withscores
        zrevrange z -2 -1
        zcount z (-inf (inf
        zcount z -inf -inf
        zcount z (1 1
        zcount z 1e400 +inf
        zcount z x 1
        zcount nokey 0 1
        zrank z cc
        zrevrank z cc
        zrank z nope
        zrangestore dst z 1 3 byscore
        zrange dst 0 -1 withscores
        zrangestore dst z +inf -inf byscore rev limit 0 2
        zrange dst 0 -1 withscores
        zrangestore dst z 5 1 byscore
        exists dst
        zrangestore dst z 0 -1 withscores
        set str x
        zrangestore str z 0 0
        type str
        zrange str 0 -1
    """)


def test_lex_ranges_and_binary_members_match_redis(redis_server, pickledbd_server):
    # bytewise order: "\x80" < "\xc3\xa9" (é) < "\xff", which code-point order would get wrong
    assert_same(redis_server, pickledbd_server, r"""
        zadd l 0 a 0 b 0 c 0 d 0 "\xff" 0 "\xc3\xa9" 0 "\x80" 0 A 0 "" 0 "a\x00b" 0 "\xe2\x82\xac"
        zrange l 0 -1
        zrangebylex l - +
        zrangebylex l (a [c
        zrangebylex l [a (a
        zrangebylex l "[\x80" +
        zrangebylex l "(\xc3" "[\xff"
        zrevrangebylex l + (b limit 1 2
        zrevrangebylex l + -
        zrange l [b [a bylex
        zrange l [b - bylex rev
        zrange l + - bylex
        zlexcount l - +
        zlexcount l (a +
        zlexcount l [ (b
        zlexcount l a b
        zrank l "\xc3\xa9"
        zscore l "\xff"
        zremrangebylex l "[\x80" "[\xc3\xa9"
        zrange l 0 -1
        zremrangebylex l - +
        exists l
        zadd bin 1 "\x00" 2 "\xff\xfe" 3 "\r\n"
        zrange bin 0 -1 withscores
        zpopmax bin
        zscan bin 0
    """)


def test_removal_and_pops_match_redis(redis_server, pickledbd_server):
    assert_same(redis_server, pickledbd_server, r"""
        zadd z 1 a 2 b 3 c 4 d 5 e 6 f 7 g
        zrem z a nope a
        zremrangebyrank z -2 -1
        zremrangebyrank z 5 10
        zremrangebyscore z (2 3
        zremrangebyscore z x 1
        zremrangebylex z a b
        zrange z 0 -1 withscores
        zpopmin z
        zpopmax z 0
        zpopmax z 5
        exists z
        zadd p 1 a 2 b 3 c
        zpopmin p 2
        zpopmin p -1
        zpopmin p x
        zpopmin p 1 1
        zadd p 5 x 6 y
        zmpop 2 nokey p max count 10
        zmpop 1 p min
        zmpop 1 p min count 1 count 1
        zmpop x p min
        zadd p 1 a
        bzpopmin nokey p 0
        bzpopmax p 0.01
        bzmpop 0.01 1 p min
        bzpopmin p -1
        bzpopmin p inf
        bzpopmin p 1e400
    """)


def test_set_operations_match_redis(redis_server, pickledbd_server):
    assert_same(redis_server, pickledbd_server, r"""
        zadd w 1 x 2 y 3 z inf i
        zadd v 10 x 20 q -inf i
        sadd sv x q r
        zunion 3 w v sv withscores
        zunion 3 w v sv weights 1 -1 0.5 aggregate max withscores
        zunion 2 w v weights 0 1 withscores
        zunion 2 w v aggregate min
        zinter 2 w v withscores
        zinter 3 w v sv weights 2 3 4 aggregate min withscores
        zinter 2 w v weights inf -inf withscores
        zdiff 2 w v withscores
        zdiff 2 sv w withscores
        zintercard 2 w sv limit 0
        zintercard 2 w v limit 1
        zunionstore dst 2 w v weights 2 0.5
        zrange dst 0 -1 withscores
        zinterstore dst 2 w sv
        zrange dst 0 -1 withscores
        zdiffstore dst 1 nokey
        exists dst
        zunion 1 w weights 1e400
        zunion 1 w weights x
        zunion 1 w aggregate
        zunion x w
        zunion -1 w
        zintercard 1 w limit 1 limit 2
        zintercard 1 w withscores
        zinterstore dst 1 w withscores
        set str x
        zinter 2 w str
    """)


def test_zrandmember_and_zscan_shapes_match_redis(redis_server, pickledbd_server):
    assert_same(redis_server, pickledbd_server, r"""
        zadd r 1 a 2.5 b 1e17 c -0 d 4611686018427387904 e 5e18 f
        ~~ zrandmember r 6 withscores
        ~~ zrandmember r 100 withscores
        ~ zrandmember r 6
        zrandmember r 0
        zrandmember nokey
        zrandmember nokey 3
        zrandmember r 4611686018427387904 withscores
        zrandmember r -9223372036854775808
        zrandmember r 1 foo
        zscan r 0
        zscan r 0 match [ab]
        zscan r 0 count 0
        zscan r 0 count x
        zscan r x
        zscan r -1
        zscan r 0 novalues
        zscan nokey 0 count 0
    """)


def test_wrongtype_matches_redis(redis_server, pickledbd_server):
    cmds = ["zadd k 1 a", "zincrby k 1 a", "zscore k a", "zmscore k a", "zcard k", "zcount k 0 1",
            "zlexcount k - +", "zrange k 0 -1", "zrank k a", "zrem k a", "zremrangebyrank k 0 1",
            "zpopmin k", "zmpop 1 k min", "bzpopmin k 0", "zrandmember k", "zscan k 0",
            "zcount k x 1", "zlexcount k x y", "zrangebyscore k x y", "zunion 1 k"]
    assert_same(redis_server, pickledbd_server, "set k v\n" + "\n".join(cmds))


# ---------------------------------------------------------------- properties

def test_zrandmember_counts(pickledbd_server):
    r = pickledbd_server.client()
    r.delete("rz")
    r.zadd("rz", {"m%d" % i: i for i in range(300)})
    for count in (1, 5, 150, 299):
        got = r.zrandmember("rz", count)
        assert len(got) == count and len(set(got)) == count
    got = r.zrandmember("rz", -1000)
    assert len(got) == 1000 and set(got) <= {b"m%d" % i for i in range(300)}
    assert len(set(got)) > 200          # uniform-ish, not one member repeated
    pairs = r.zrandmember("rz", -5, withscores=True)
    assert len(pairs) == 10
    for m, s in zip(pairs[::2], pairs[1::2]):
        assert int(m[1:]) == int(s)


def test_zscan_returns_every_member_present_all_along(pickledbd_server):
    r = pickledbd_server.client()
    r.delete("sc")
    stable = {("s%d" % i).encode() for i in range(2000)}
    r.zadd("sc", {m: random.random() for m in stable})
    seen, cursor, calls, extra = set(), 0, 0, 0
    while True:
        cursor, items = r.zscan("sc", cursor, count=37)
        seen.update(m for m, _ in items)
        calls += 1
        # churn: add, re-score and remove other members while scanning
        r.zadd("sc", {"t%d" % (extra + k): random.random() for k in range(20)})
        r.zadd("sc", {m: random.random() for m in random.sample(sorted(stable), 5)})
        r.zrem("sc", *["t%d" % (extra + k) for k in range(0, 20, 2)])
        extra += 20
        if cursor == 0:
            break
    assert stable <= seen
    assert 10 < calls < 1000          # really incremental on a large sorted set


def test_zrank_withscore_handler():
    """Redis 7.2's ZRANK ... WITHSCORE, called directly (the registered arity is 7.0's)."""
    from pickledbd.daemon.commands.zsets import zadd, zrank, zrevrank
    from pickledbd.daemon.inprocess import LocalServer
    from pickledbd.daemon.protocol.reply import NULL_ARRAY

    c = LocalServer().client()
    zadd(c, ["zadd", "z", "1", "a", "2.5", "b"])
    assert zrank(c, ["zrank", "z", "b", "WITHSCORE"]) == [1, 2.5]
    assert zrevrank(c, ["zrevrank", "z", "b", "withscore"]) == [0, 2.5]
    assert zrank(c, ["zrank", "z", "x", "WITHSCORE"]) is NULL_ARRAY
    assert zrank(c, ["zrank", "nokey", "x", "WITHSCORE"]) is NULL_ARRAY
    assert zrank(c, ["zrank", "z", "x"]) is None


# ---------------------------------------------------------------- blocking

@pytest.mark.parametrize("target", ["redis_server", "pickledbd_server"])
def test_bzpopmin_woken_by_zadd_from_another_client(request, target):
    srv = request.getfixturevalue(target)
    r = srv.client()
    r.delete("bk1", "bk2")
    waiter = srv.client()
    result = {}

    def wait():
        result["v"] = waiter.bzpopmin(["bk1", "bk2"], timeout=5)

    t = threading.Thread(target=wait)
    t.start()
    time.sleep(0.2)
    assert "v" not in result
    r.set("bk1", "not a zset")          # a wrong-type write does not serve (nor fail) the waiter
    time.sleep(0.1)
    assert "v" not in result
    t0 = time.time()
    r.zadd("bk2", {"m": 1.5, "n": 2})
    t.join(5)
    assert result["v"] == (b"bk2", b"m", 1.5)
    assert time.time() - t0 < 1
    assert r.zrange("bk2", 0, -1) == [b"n"]
    r.delete("bk1")


@pytest.mark.parametrize("target", ["redis_server", "pickledbd_server"])
def test_bzmpop_blocking_order_timeout_and_multi(request, target):
    srv = request.getfixturevalue(target)
    r = srv.client()
    r.delete("bz", "nokey")
    a, b = srv.client(), srv.client()
    out = {}

    def pop(name, cl):
        out[name] = cl.bzmpop(5, 1, ["bz"], min=True, count=2)

    ta = threading.Thread(target=pop, args=("a", a))
    ta.start()
    time.sleep(0.15)
    tb = threading.Thread(target=pop, args=("b", b))
    tb.start()
    time.sleep(0.15)
    r.zadd("bz", {"x": 1, "y": 2, "z": 3})
    ta.join(5)
    tb.join(5)
    assert out["a"] == [b"bz", [[b"x", b"1"], [b"y", b"2"]]]      # first blocked, first served
    assert out["b"] == [b"bz", [[b"z", b"3"]]]
    t0 = time.time()
    assert r.bzpopmax("nokey", 0.2) is None
    assert 0.15 < time.time() - t0 < 2
    p = r.pipeline(transaction=True)
    p.bzpopmin("nokey", 0)
    p.bzmpop(0, 1, ["nokey"], min=True)
    assert p.execute() == [None, None]              # never blocks inside EXEC


def test_bzpopmin_resp3_reply(pickledbd_server, redis_server):
    assert_same(redis_server, pickledbd_server, """
        zadd q 1.5 a 2 b
        bzpopmin q 0
        bzmpop 0 1 q max
        bzpopmax nokey 0.01
    """)


# ---------------------------------------------------------------- complexity

def test_zadd_zrank_zrange_stay_flat_at_a_million_members(pickledbd_server):
    """O(log n) insert/rank and O(log n + m) ranges: the per-op cost at 1M members stays
    within a small factor of the cost at 1k members (an O(n) step would be ~1000x)."""
    r = pickledbd_server.client()
    r.delete("big", "small")
    rnd = random.Random(7)

    def fill(key, n):
        for base in range(0, n, 20000):
            args = []
            for i in range(base, min(n, base + 20000)):
                args += [rnd.random() * n, "m%d" % i]
            r.execute_command("ZADD", key, *args)

    def per_op(key, n, ops=2000):
        best = None
        for _ in range(2):
            p = r.pipeline(transaction=False)
            for i in range(ops):
                p.execute_command("ZADD", key, rnd.random() * n, "new%d" % rnd.randrange(10**9))
                p.execute_command("ZRANK", key, "m%d" % rnd.randrange(n))
                p.execute_command("ZRANGEBYSCORE", key, n / 2, "+inf", "LIMIT", 0, 5)
                p.execute_command("ZCOUNT", key, n / 3, n / 2)
                p.execute_command("ZRANGE", key, n // 2, n // 2 + 3)
            t = time.perf_counter()
            p.execute()
            dt = (time.perf_counter() - t) / ops
            best = dt if best is None else min(best, dt)
        return best

    fill("small", 1000)
    fill("big", 1_000_000)
    assert r.zcard("big") == 1_000_000
    small = per_op("small", 1000)
    big = per_op("big", 1_000_000)
    assert big < 5 * small, (small, big)
    t = time.perf_counter()
    r.zpopmin("big", 100)
    r.zremrangebyrank("big", 0, 99)
    assert time.perf_counter() - t < 0.5
    r.delete("big", "small")


def test_negative_zero_matches_redis(redis_server, pickledbd_server):
    """Redis 7.0 prints -0 as "-0" (%.17g) in computed replies and skiplist-encoded zsets,
    but a listpack-encoded (small) zset stores it as 0."""
    big = " ".join("%d m%d" % (i, i) for i in range(200))
    assert_same(redis_server, pickledbd_server, """
        zincrby a -0 m
        zadd b incr -0 m
        zscore a m
        zadd z 0 m
        zincrby z -0 m
        zunion 1 z weights -1 withscores
        zinter 1 z weights -1 withscores
        zunionstore d 1 z weights -1
        zscore d m
        zadd big %s
        zadd big -0 x
        zscore big x
        zrange big 0 0 withscores
        zincrby big -0 y
        zscore big y
        zunionstore d2 1 big weights -0
        zscore d2 m1
        zrangestore d3 big 0 1
        zrange d3 0 -1 withscores
        zscan d3 0
    """ % big)
