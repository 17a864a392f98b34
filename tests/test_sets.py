"""Set commands against pickledbd: compared reply-for-reply (wire types included, RESP2 and
RESP3) with the reference redis-server where replies are deterministic, and checked for
their properties where Redis answers at random (SPOP, SRANDMEMBER) or in hash order (SSCAN)."""
from __future__ import annotations

import random

from test_zsets import assert_same


def test_basic_commands_match_redis(redis_server, pickledbd_server):
    assert_same(redis_server, pickledbd_server, r"""
        sadd s a b c
        sadd s a d d
        scard s
        scard nokey
        ~ smembers s
        smembers nokey
        sismember s a
        sismember s zz
        sismember nokey a
        smismember s a zz d
        smismember nokey a b
        srem s a zz a
        srem nokey a
        sadd bin "" "\x00\xff" "\xc3\xa9" "\r\n"
        ~ smembers bin
        sismember bin ""
        srem bin "" "\x00\xff" "\xc3\xa9" "\r\n"
        exists bin
        sadd ints 3 1 2 -5 10
        ~ smembers ints
        sismember ints 01
        srem s b c d
        exists s
    """)


def test_algebra_matches_redis(redis_server, pickledbd_server):
    assert_same(redis_server, pickledbd_server, r"""
        sadd k1 a b c d
        sadd k2 c d e
        sadd k3 a c e
        ~ sinter k1 k2
        ~ sinter k1 k2 k3
        sinter k1 nokey
        sinter nokey
        ~ sunion k1 k2 k3
        ~ sunion nokey k3
        sunion nokey
        ~ sdiff k1 k2
        ~ sdiff k1 k2 k3
        sdiff nokey k1
        ~ sdiff k1 nokey
        sdiff k1 k1
        sinterstore out k1 k2
        ~ smembers out
        sunionstore out k1 k2
        scard out
        sdiffstore out k1 k2
        ~ smembers out
        set out x
        sinterstore out k1 nokey
        exists out
        set out x
        expire out 100
        sunionstore out k1
        ttl out
        sdiffstore out k1 k1
        exists out
        sunionstore k1 k1 k2
        scard k1
        sintercard 2 k2 k3
        sintercard 2 k2 k3 limit 1
        sintercard 2 k2 k3 limit 0
        sintercard 3 k1 k2 k3 limit 100
        sintercard 2 k2 nokey
        sintercard 0 k2
        sintercard x k2
        sintercard 3 k2 k3
        sintercard 1 k2 limit -1
        sintercard 1 k2 limit x
        sintercard 1 k2 limit
        sintercard 1 k2 limit 1 limit 2
        zadd z 1 a
        sintercard 2 k2 z
        sinter nokey z
        sunion k1 z
        sdiff nokey z
        sunionstore out z
        sdiffstore out k1 z
    """)


def test_smove_spop_srandmember_errors_match_redis(redis_server, pickledbd_server):
    assert_same(redis_server, pickledbd_server, r"""
        sadd src a b
        smove src dst a
        smembers dst
        smove src dst zz
        smove nokey dst a
        sadd dst b
        smove src dst b
        exists src
        ~ smembers dst
        smove dst dst a
        smove dst dst zz
        set str x
        smove dst str a
        smove dst str zz
        smove str dst a
        smove nokey str a
        spop nokey
        spop nokey 0
        spop nokey 3
        spop dst 0
        spop dst -1
        spop dst x
        spop dst 1 1
        ~ spop dst 10
        exists dst
        sadd one x
        spop one
        exists one
        sadd r a b c
        srandmember r 0
        ~ srandmember r 3
        ~ srandmember r 10
        srandmember nokey
        srandmember nokey 3
        srandmember nokey -3
        srandmember r x
        srandmember r 1 2
        srandmember r -9223372036854775808
        srandmember str
        spop str
    """)


def test_sscan_matches_redis_on_small_sets(redis_server, pickledbd_server):
    assert_same(redis_server, pickledbd_server, r"""
        sadd k c d e
        sadd ints 1 10 11 2
        ~s sscan k 0 count 1000
        ~s sscan ints 0 match 1* count 1000
        sscan nokey 0
        sscan nokey 0 count 0
        sscan k x
        sscan k 0 count 0
        sscan k 0 count x
        sscan k 0 match
        sscan k 0 type string
        sscan k 0 foo bar
        set str x
        sscan str 0
    """)


def test_spop_srandmember_properties(pickledbd_server):
    r = pickledbd_server.client()
    r.delete("p")
    members = {b"m%d" % i for i in range(500)}
    r.sadd("p", *members)
    for count in (1, 7, 250, 499):
        got = r.srandmember("p", count)
        assert len(got) == count and len(set(got)) == count and set(got) <= members
    got = r.srandmember("p", -2000)
    assert len(got) == 2000 and set(got) <= members and len(set(got)) > 300
    assert r.srandmember("p") in members
    picks = {r.srandmember("p") for _ in range(200)}
    assert len(picks) > 100                        # random, not a fixed member
    popped = r.spop("p", 100)
    assert len(popped) == 100 and len(set(popped)) == 100 and set(popped) <= members
    assert r.scard("p") == 400
    assert not set(popped) & set(r.smembers("p"))
    one = r.spop("p")
    assert one in members and not r.sismember("p", one)
    rest = r.spop("p", 1000)
    assert len(rest) == 399
    assert r.exists("p") == 0


def test_sscan_returns_every_member_present_all_along(pickledbd_server):
    r = pickledbd_server.client()
    r.delete("sc")
    stable = {("s%d" % i).encode() for i in range(3000)}
    r.sadd("sc", *stable)
    seen, cursor, calls, n = set(), 0, 0, 0
    while True:
        cursor, items = r.sscan("sc", cursor, count=50)
        seen.update(items)
        calls += 1
        r.sadd("sc", *["t%d" % (n + k) for k in range(30)])
        r.srem("sc", *["t%d" % (n + k) for k in range(0, 30, 3)])
        n += 30
        if cursor == 0:
            break
    assert stable <= seen
    assert 10 < calls < 1000
    # MATCH filters what a step found
    cursor, items = r.sscan("sc", 0, match="s1*", count=100000)
    assert cursor == 0 and set(items) == {m for m in stable if m.startswith(b"s1")}


def test_binary_members_round_trip(pickledbd_server):
    r = pickledbd_server.client()
    r.delete("b1", "b2")
    blobs = [bytes(random.randrange(256) for _ in range(random.randrange(1, 20))) for _ in range(200)]
    blobs += [b"", b"\x00", b"\xff\xfe", "é€".encode()]
    r.sadd("b1", *blobs)
    assert r.smembers("b1") == set(blobs)
    r.sadd("b2", *blobs[:50])
    assert r.sinter("b1", "b2") == set(blobs[:50])
    assert r.sdiff("b1", "b2") == set(blobs) - set(blobs[:50])
    assert r.smove("b1", "b2", blobs[-1]) == 1
    assert r.sismember("b2", blobs[-1])
