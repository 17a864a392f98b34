"""List commands against pickledbd: differential cases with redis-server (RESP2 and RESP3)
and a complexity check (push/pop stay O(1) at a million elements)."""
from __future__ import annotations

import time

from test_hashes import assert_same


def test_push_pop_range_match_redis(redis_server, pickledbd_server):
    assert_same(redis_server, pickledbd_server, r"""
        rpush l a b c d e f g h i j
        lpush l x y
        lpushx nokey a
        rpushx l z
        lrange l 0 -1
        lrange l 2 -3
        lrange l -3 -1
        lrange l 9 100
        lrange l -9223372036854775808 9223372036854775807
        lrange l 9223372036854775807 -9223372036854775808
        lrange l 0 9223372036854775808
        lrange l 0 foo
        lindex l -13
        lindex l -14
        lindex l 12
        lindex l 13
        lindex l 9223372036854775807
        lindex nokey foo
        lindex l foo
        lset nokey foo x
        lset l foo x
        lset l -13 first
        lset l 13 x
        lpop l
        rpop l
        lpop l 0
        lpop l -0
        lpop l 01
        lpop l 9223372036854775808
        lpop l 3
        rpop l 2
        lpop nokey
        lpop nokey 0
        rpop nokey 5
        rpop l 9223372036854775807
        exists l
        lpop l 1 2
        rpush bin "\x00\xff" "" "\xe2\x82\xac"
        lrange bin 0 -1
        set s v
        lpush s x
        lpushx s x
        rpushx s x
        lpop s
        rpop s 2
        llen s
        lrange s 0 -1
    """)


def test_edit_commands_match_redis(redis_server, pickledbd_server):
    assert_same(redis_server, pickledbd_server, r"""
        rpush l a b c
        ltrim l 0 -1
        ltrim l 1 1
        lrange l 0 -1
        ltrim l 1 0
        exists l
        ltrim nokey foo 1
        ltrim nokey 0 1
        rpush big 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19
        ltrim big 3 -5
        lrange big 0 -1
        ltrim big 7 12
        lrange big 0 -1
        ltrim big -100 100
        ltrim big -2 -1
        lrange big 0 -1
        rpush l a b c
        linsert l after b
        linsert l after zz x
        linsert l before a "\x00"
        linsert l AFTER c end
        lrange l 0 -1
        linsert nokey middle a b
        linsert nokey after a b
        linsert l middle zz x
        rpush r 1 2 1 2 1 2 1
        lrem r 2 1
        lrange r 0 -1
        lrem r -1 2
        lrange r 0 -1
        lrem r -10 2
        lrange r 0 -1
        lrem r 0 1
        exists r
        lrem r 9223372036854775808 a
        lrem nokey x a
        set s v
        ltrim s 0 1
        linsert s before a b
        lrem s 0 a
        lset s 0 a
        lindex s 0
        lindex s foo
        ltrim s foo 1
        lrem s foo a
        linsert s middle a b
    """)


def test_lpos_match_redis(redis_server, pickledbd_server):
    assert_same(redis_server, pickledbd_server, r"""
        rpush p a b c a b c a b c a
        lpos p a
        lpos p a rank 2
        lpos p a rank -2
        lpos p a rank 5
        lpos p a rank -5
        lpos p a count 0
        lpos p a count 2 rank -1
        lpos p a count 0 maxlen 4
        lpos p a count 0 maxlen 4 rank -1
        lpos p a rank 2 maxlen 3
        lpos p c rank -9223372036854775808
        lpos p c rank 9223372036854775807
        lpos p c rank 0
        lpos p c rank 1.5
        lpos p c rank 1 rank 2
        lpos p c count 1 count 0
        lpos p c count foo
        lpos p c count -1
        lpos p c maxlen foo
        lpos p c maxlen -1
        lpos p c foo 1
        lpos p c rank
        lpos nokey a rank 0
        lpos nokey a count -1
        lpos nokey a
        lpos nokey a count 3
        set s v
        lpos s a
        lpos s a rank 0
    """)


def test_move_and_mpop_match_redis(redis_server, pickledbd_server):
    assert_same(redis_server, pickledbd_server, r"""
        rpush r a b c d
        lmove r r left left
        lmove r r right right
        lmove r r left right
        lrange r 0 -1
        lmove r r right left
        lrange r 0 -1
        rpoplpush r r
        lrange r 0 -1
        lmove r d right left
        lmove r d left right
        lrange d 0 -1
        lmove nokey r left foo
        lmove r nokey foo left
        lmove nokey x left left
        exists x
        set s v
        lmove r s left left
        lmove s r left left
        lmove nokey s left left
        rpoplpush r s
        lrange r 0 -1
        lmpop 1 r left count 9223372036854775807
        lmpop 9223372036854775807 r left
        lmpop 1 r left count 1 foo
        lmpop 1 r LEFT COUNT 2 COUNT 3
        rpush m1 a b c
        lmpop 3 nokey m1 s right count 2
        lmpop 2 s m1 left
        lmpop 2 nokey m1 left
        lmpop 2 m1 nokey left
        lmpop 1 nokey left
        lmpop 0 a left
        lmpop 1 a middle
        lmpop 1 a left count 0
        rpush m2 v w
        blmpop 0 2 m1 m2 left
        blmpop 0.001 1 nokey left count 0
        blmpop foo 1 nokey left
        blmpop 0.001 2 nokey left
        blmpop 0.01 1 nokey left count 2
        brpoplpush nokey dst 0.001
        rpush q x y z
        brpoplpush q s 0
        blmove q s left left 0
        blmpop 0 2 s q left
        blpop q s 0
        blpop s q 0
        brpop nokey q 0
        blmove q d2 right left 0
        lrange d2 0 -1
        blpop nokey 0.001
        blpop nokey -0.5
        blpop nokey 1e400
        blpop nokey inf
        blpop nokey nan
        blpop nokey 1e5000
        blpop nokey 0x1p-8
        blpop nokey " 1"
        blmove nokey r left right foo
        blmove r x left right -1
        blmove r x foo right -1
    """)


def test_lists_are_deques_and_wrongtype_leaves_nothing_half_done(pickledbd_server):
    r = pickledbd_server.client()
    r.flushall()
    r.rpush("src", "a", "b")
    r.set("str", "v")
    try:
        r.lmove("src", "str", "LEFT", "LEFT")
    except Exception as e:
        assert "WRONGTYPE" in str(e)
    assert r.lrange("src", 0, -1) == [b"a", b"b"]


def _op_time(r, cmds, reps: int) -> float:
    """Best-of-3 wall time of ``reps`` pipelined rounds of ``cmds`` (server work dominates)."""
    best = float("inf")
    for _ in range(3):
        p = r.pipeline(transaction=False)
        for _ in range(reps):
            for cmd in cmds:
                p.execute_command(*cmd)
        t0 = time.perf_counter()
        p.execute()
        best = min(best, time.perf_counter() - t0)
    return best


def test_push_pop_stay_constant_time_at_a_million(pickledbd_server):
    r = pickledbd_server.client()
    r.flushall()
    r.rpush("small", *range(1000))
    # build a 1M list server-side in big batches
    p = r.pipeline(transaction=False)
    for start in range(0, 1_000_000, 50_000):
        p.rpush("big", *range(start, start + 50_000))
    p.execute()
    assert r.llen("big") == 1_000_000
    cmds_small = [("LPUSH", "small", "x"), ("RPOP", "small"), ("RPUSH", "small", "y"),
                  ("LPOP", "small"), ("LINDEX", "small", 500), ("LLEN", "small")]
    cmds_big = [(c[0], "big") + tuple(c[2:]) for c in cmds_small]
    reps = 2000
    t_small = _op_time(r, cmds_small, reps)
    t_big = _op_time(r, cmds_big, reps)
    print("push/pop 1k vs 1M: %.4fs %.4fs" % (t_small, t_big))
    assert t_big < 5 * t_small, (t_small, t_big)
    # LRANGE near either end is O(S+N), not O(size)
    t_head = _op_time(r, [("LRANGE", "small", 0, 9), ("LRANGE", "small", -10, -1)], 500)
    t_big_ends = _op_time(r, [("LRANGE", "big", 0, 9), ("LRANGE", "big", -10, -1)], 500)
    assert t_big_ends < 5 * t_head, (t_head, t_big_ends)
    assert r.llen("big") == 1_000_000
    r.delete("big")
