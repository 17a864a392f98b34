"""ZADD's fast paths (``ZADD key score member`` without options; plainly written integer
scores) against the general path they shortcut and against redis-server 7.0.

- parse_score's integer shortcut gives what the general strtod parse gives (value, sign,
  error), and exactly the documented strings take it;
- in process, two servers run the same random ZADD corpus, one through the ``zadd`` handler
  (fast paths), one forced through ``_zadd_generic``: same replies, contents (-0 included),
  encodings, dirty counter, keyspace events and memory accounting;
- on the wire, the corpus (every option combination, integer-looking strings that must not
  take the shortcut, huge integers, inf / nan, wrong types, binary members) side by side
  with redis-server, RESP2 and RESP3, replies and the resulting ZRANGE WITHSCORES / ZSCORE;
  then events, propagation and dirty counting of the fast-path forms.
"""
from __future__ import annotations

import itertools
import math
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from test_propagation_lists_sets_zsets import check as check_events_and_stream
from test_transcripts import Connection

from pickledbd.daemon.commands import zsets
from pickledbd.daemon.errors import RedisError
from pickledbd.daemon.inprocess import LocalServer
from pickledbd.daemon.keyspace.zset import ZSet

# plainly written integers: the only strings the shortcut takes
FAST = ["0", "1", "-1", "5", "-5", "123", "-123", "10", "100000", "999999999999999",
        "-999999999999999", "450359962737049", "-100000000000000"]
# integer-looking or otherwise tempting strings that must take the general parse
NOT_FAST = ["01", "00", "-0", "+0", "+1", "-01", "--1", "- 1", " 1", "1 ", "\t1", "1\n", "1e3",
            "1E3", "0x10", "0X1p4", "1.", "1.0", "-1.0", ".5", "1_0", "1,0", "", "-", "+",
            "1000000000000000", "-1000000000000000", "4503599627370496", "9007199254740993",
            "-9007199254740993",
            "9223372036854775807", "9223372036854775808", "-9223372036854775809",
            "18446744073709551617", "1" * 30, "1" * 310, "-" + "1" * 310, "inf", "-inf", "+inf",
            "Infinity", "-INFINITY", "nan", "-nan", "NaN", "1e-400", "1e400", "0e5", "0x0",
            "\u0661", "\u00b2", "\uff11", "1\u0660", "\udcff", "abc", "nx", "NX", "incr", "ch",
            "Gt", "lt", "xx"]
FLAGS = ["NX", "XX", "GT", "LT", "CH", "INCR"]


def _takes_shortcut(s: str) -> bool:
    """The documented set: "0" or -?[1-9][0-9]* of at most 15 digits, ASCII."""
    body = s[1:] if s.startswith("-") else s
    return (s.isascii() and body.isdigit() and len(body) <= 15
            and (body[0] != "0" or s == "0"))


def _outcome(fn, s):
    try:
        x = fn(s)
    except RedisError as e:
        return ("error", str(e))
    return ("value", x, math.copysign(1.0, x))


# ---------------------------------------------------------------- the score shortcut

def test_documented_strings_take_the_shortcut(monkeypatch):
    general = []
    real = zsets.strtod_score
    monkeypatch.setattr(zsets, "strtod_score",
                        lambda s, err=zsets.NOT_FLOAT: general.append(s) or real(s, err))
    for s in FAST + NOT_FAST:
        general.clear()
        _outcome(zsets.parse_score, s)
        assert (general == []) == _takes_shortcut(s), s
    assert all(_takes_shortcut(s) for s in FAST)
    assert not any(_takes_shortcut(s) for s in NOT_FAST)


def test_shortcut_agrees_with_general_parse_on_the_corpus():
    for s in FAST + NOT_FAST:
        assert _outcome(zsets.parse_score, s) == _outcome(zsets.strtod_score, s), s
    for n in list(range(-2000, 2000)) + [10 ** k + d for k in range(13, 17) for d in (-1, 0, 1)]:
        s = str(n)
        assert _outcome(zsets.parse_score, s) == _outcome(zsets.strtod_score, s), s
        assert zsets.parse_score(s) == float(n)


_SCORE_TEXT = st.one_of(
    st.integers(-10 ** 20, 10 ** 20).map(str),
    st.text(alphabet="0123456789-+. eExXpP_infa\t", max_size=20),
    st.text(max_size=6),
)


@settings(max_examples=3000, deadline=None)
@given(_SCORE_TEXT)
def test_shortcut_agrees_with_general_parse_random(s):
    assert _outcome(zsets.parse_score, s) == _outcome(zsets.strtod_score, s)


# ---------------------------------------------------------------- fast path vs general path, in process

def _forced_general(srv: LocalServer) -> None:
    cmd = srv.engine.table.lookup("zadd")
    cmd.handler = lambda c, args: zsets._zadd_generic(c, args, False)


def _state(srv: LocalServer, events: list):
    """Everything ZADD may leave behind: contents (sign of zero, byte order), encodings,
    expiry, dirty counter, used-memory estimate, events."""
    db = srv.ks.dbs[0]
    data = {}
    for k, v in db.data.items():
        if isinstance(v, ZSet):
            data[k] = ([(m, s, math.copysign(1.0, s)) for m, s in v.items()],
                       {m: (s, math.copysign(1.0, s)) for m, s in v.score_dict().items()}, v.big)
        else:
            data[k] = v
    return data, dict(db.expires), srv.ks.dirty, srv.ks.mem.used, list(events)


def _local(flags):
    srv = LocalServer(*flags)
    events = []
    srv.ks.notify_sink = lambda cls, event, key, db: events.append((cls, event, key, db))
    srv.server.config.set("notify-keyspace-events", "KEAn")
    srv.ks.notify_mask = srv.server.config.values["notify-keyspace-events"]
    return srv, events


_MEMBERS = ["a", "b", "c", "", "\udcff\udcfe", "é", "m" * 65, "0"]


def _random_zadds(rng: random.Random, n: int) -> list:
    scores = FAST + NOT_FAST
    out = []
    for _ in range(n):
        r = rng.random()
        key = rng.choice(["z", "z2", "str", "gone"])
        if r < 0.6:          # the fast-path shape
            out.append(["ZADD", key, rng.choice(scores), rng.choice(_MEMBERS)])
        elif r < 0.8:        # several pairs, maybe options
            flags = [f if rng.random() < 0.5 else f.lower() for f in FLAGS if rng.random() < 0.2]
            pairs = [x for _ in range(rng.randint(1, 3)) for x in (rng.choice(scores), rng.choice(_MEMBERS))]
            out.append(["ZADD", key, *flags, *pairs])
        elif r < 0.85:
            out.append(["ZADD", key, *rng.sample(scores + FLAGS, rng.randint(1, 3))])
        elif r < 0.9:
            out.append(["ZREM", key, rng.choice(_MEMBERS)])
        elif r < 0.93:
            out.append(["SET", "str", "v"])
        elif r < 0.96:
            out.append(["DEL", key])
        else:
            out.append(["ZINCRBY", key, rng.choice(scores), rng.choice(_MEMBERS)])
    return out


@pytest.mark.parametrize("flags", [(), ("--maxmemory", "100mb")], ids=["plain", "maxmemory"])
def test_fast_path_leaves_what_the_general_path_leaves(flags):
    rng = random.Random(12)
    # a big zset first (skiplist encoding keeps -0), then random corpora
    big = [["ZADD", "z", *[x for i in range(130) for x in (str(i), "big%d" % i)]]]
    for round_ in range(30):
        reqs = (big if round_ % 3 == 0 else []) + _random_zadds(rng, 60)
        results = []
        for general in (False, True):
            srv, events = _local(flags)
            if general:
                _forced_general(srv)
            c, c3 = srv.client(), srv.client(resp=3)
            random.seed(round_)        # memory sampling draws from random
            replies = [srv.request(c if i % 2 else c3, *r) for i, r in enumerate(reqs)]
            hot = srv.batch(c, [list(r) for r in reqs[:10]])      # run_batch too
            results.append((replies, hot, _state(srv, events)))
        assert results[0] == results[1], "round %d: %r" % (round_, reqs)


def test_fast_path_is_taken(monkeypatch):
    """The shape the shortcut claims does not reach _zadd_generic (so the tests above
    really compare two paths)."""
    srv = LocalServer()
    c = srv.client()
    calls = []
    real = zsets._zadd_generic
    monkeypatch.setattr(zsets, "_zadd_generic", lambda *a: calls.append(a[1]) or real(*a))
    assert srv.request(c, "ZADD", "z", "1", "a") == b":1\r\n"
    assert srv.request(c, "ZADD", "z", "2.5", "b") == b":1\r\n"
    assert srv.request(c, "ZADD", "z", "-0", "c") == b":1\r\n"
    assert calls == []
    assert srv.request(c, "ZADD", "z", "nx", "a") == b"-ERR syntax error\r\n"
    assert srv.request(c, "ZADD", "z", "x", "a") == b"-ERR value is not a valid float\r\n"
    assert srv.request(c, "ZADD", "z", "1", "a", "2", "b") == b":0\r\n"
    assert len(calls) == 3


# ---------------------------------------------------------------- side by side with redis-server

def _run(server, cmds, proto):
    """Pipelined, after FLUSHALL; the strictly parsed replies."""
    c = Connection(server.host, server.port, timeout=30)
    try:
        pre = [[b"FLUSHALL"]] + ([[b"HELLO", b"3"]] if proto == 3 else [])
        batch = pre + [[a if isinstance(a, bytes) else a.encode("utf-8", "surrogateescape") for a in cmd]
                       for cmd in cmds]
        for i in range(0, len(batch), 500):
            part = batch[i:i + 500]
            c.send(b"".join(b"*%d\r\n" % len(a) + b"".join(b"$%d\r\n%s\r\n" % (len(x), x) for x in a)
                            for a in part))
            out = [c.read_reply() for _ in part]
            if i == 0:
                out = out[len(pre):]
            yield from out
    finally:
        c.close()


def _same(redis_server, pickledbd_server, cmds, protos=(2, 3)):
    for proto in protos:
        want = list(_run(redis_server, cmds, proto))
        got = list(_run(pickledbd_server, cmds, proto))
        diffs = ["RESP%d %r\n  redis:     %r\n  pickledbd: %r" % (proto, cmd, w, g)
                 for cmd, w, g in zip(cmds, want, got) if w != g]
        assert not diffs, "%d differences, first ones:\n%s" % (len(diffs), "\n".join(diffs[:15]))


def _look(key, *members):
    return [["ZRANGE", key, "0", "-1", "WITHSCORES"], ["ZCARD", key], ["EXISTS", key],
            ["OBJECT", "ENCODING", key]] + [["ZSCORE", key, m] for m in members]


def test_single_pair_corpus_matches_redis(redis_server, pickledbd_server):
    cmds = [["SET", "str", "v"]]
    for i, s in enumerate(FAST + NOT_FAST):
        k = "k%d" % i
        cmds += [["ZADD", k, s, "m"]] + _look(k, "m")                        # creates the key
        cmds += [["ZADD", k, "7", "m"], ["ZADD", k, s, "m"], ["ZADD", k, s, "m"]] + _look(k, "m")
        cmds += [["ZADD", k, s, "other"]] + _look(k, "other")                 # new member
        cmds += [["ZADD", "str", s, "m"], ["ZADD", "big", s, "m%d" % i]]     # WRONGTYPE / error order
    cmds += _look("big")
    # -0 and 0 in a listpack and in a skiplist zset, through both paths
    for k, n in (("lp", 3), ("sl", 130)):
        cmds += [["ZADD", k, *[x for j in range(n) for x in (str(j), "e%d" % j)]]]
        cmds += [["ZADD", k, "-0", "nz"], ["ZADD", k, "0", "pz"], ["ZADD", k, "-0", "pz"],
                 ["ZADD", k, "0", "nz"], ["ZADD", k, "-0.0", "e1"], ["ZADD", k, "0", "e0"]]
        cmds += _look(k, "nz", "pz", "e0", "e1")
    # members: empty, binary, long (a 65-byte member turns the zset into a skiplist)
    for m in ["", "\udcff\udc80", "é", "x" * 64, "y" * 65, "\x00"]:
        cmds += [["ZADD", "mem", "3", m], ["ZADD", "mem", "3", m], ["ZADD", "mem", "-4", m]] + _look("mem", m)
    # flags where the score goes, arity
    for s in ["nx", "NX", "xx", "gt", "LT", "ch", "incr", "INCR", "Nx"]:
        cmds += [["ZADD", "z", s, "m"], ["ZADD", "str", s, "m"], ["ZADD", "z", s, "1", "m"],
                 ["ZADD", "z", "1", s]]
    cmds += [["ZADD", "z", "1"], ["ZADD", "z"], ["ZADD"]] + _look("z", "m", "nx")
    _same(redis_server, pickledbd_server, cmds)


def test_every_option_combination_matches_redis(redis_server, pickledbd_server):
    rng = random.Random(5)
    scores = ["1", "-5", "7", "0", "01", "-0", "1.5", "1e3", "inf", "-inf", "nan", "x",
              "99999999999999999999"]
    cmds = []
    n = 0
    for size in range(len(FLAGS) + 1):
        for combo in itertools.combinations(FLAGS, size):
            for s in rng.sample(scores, 5):
                for npairs in (1, 2):
                    flags = [f if rng.random() < 0.5 else f.lower() for f in rng.sample(combo, len(combo))]
                    k = "o%d" % n
                    n += 1
                    cmds += [["ZADD", k, "1", "a", "5", "b"]]
                    pairs = [s, "a", "3", "b"][:2 * npairs]       # the score tested first or last
                    if rng.random() < 0.5:
                        pairs = ["7", "c", s, "a"][-2 * npairs:]
                    cmds += [["ZADD", k, *flags, *pairs], ["ZADD", "new%d" % n, *flags, *pairs]]
                    cmds += _look(k, "a", "b", "c") + _look("new%d" % n)
    _same(redis_server, pickledbd_server, cmds)


_WIRE_SCORE = st.one_of(st.sampled_from(FAST + NOT_FAST),
                        st.integers(-10 ** 17, 10 ** 17).map(str),
                        st.floats(allow_nan=False).map(repr))
_WIRE_CMD = st.one_of(
    st.tuples(st.just("ZADD"), st.sampled_from(["z", "y"]), _WIRE_SCORE, st.sampled_from(_MEMBERS)),
    st.tuples(st.just("ZADD"), st.sampled_from(["z", "y"]), st.sampled_from(FLAGS + ["ch", "nx", "gt"]),
              _WIRE_SCORE, st.sampled_from(_MEMBERS)),
    st.tuples(st.just("ZADD"), st.sampled_from(["z", "y"]), _WIRE_SCORE, st.sampled_from(_MEMBERS),
              _WIRE_SCORE, st.sampled_from(_MEMBERS)),
    st.tuples(st.just("ZREM"), st.sampled_from(["z", "y"]), st.sampled_from(_MEMBERS)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_WIRE_CMD, min_size=1, max_size=25))
def test_random_zadds_match_redis(redis_server, pickledbd_server, cmds):
    cmds = [list(c) for c in cmds] + _look("z", *_MEMBERS) + _look("y")
    _same(redis_server, pickledbd_server, cmds, protos=(2,))


def test_events_and_propagation_match_redis(redis_server, pickledbd_server):
    steps = [("ZADD", "z", "1", "a"), ("ZADD", "z", "1", "a"), ("ZADD", "z", "2", "a"),
             ("ZADD", "z", "-3", "b"), ("ZADD", "z", "-0", "c"), ("ZADD", "z", "0", "c"),
             ("ZADD", "z", "01", "d"), ("ZADD", "z", "1.5", "a"), ("ZADD", "z", "nan", "a"),
             ("ZADD", "z", "nx", "a"), ("ZADD", "str", "1", "a"), ("ZADD", "str", "x", "a"),
             ("ZADD", "z", "inf", "e"), ("ZADD", "z", "+inf", "e"), ("ZADD", "n2", "5", "x"),
             ("ZADD", "z", "XX", "9", "a"), ("ZADD", "z", "ch", "9", "a", "1", "b"),
             ("ZADD", "z", "INCR", "1", "a"), ("ZREM", "z", "a", "b", "c", "d", "e")]
    check_events_and_stream(redis_server, pickledbd_server, steps, setup=[("SET", "str", "v")])


def _dirty(conn) -> int:
    conn.send_command([b"INFO", b"persistence"])
    info = conn.read_reply()[1].decode()
    return int(info.split("rdb_changes_since_last_save:")[1].split()[0])


def test_dirty_counting_matches_redis(redis_server, pickledbd_server):
    steps = [["ZADD", "z", "1", "a"], ["ZADD", "z", "1", "a"], ["ZADD", "z", "2", "a"],
             ["ZADD", "z", "3", "b"], ["ZADD", "z", "-0", "c"], ["ZADD", "z", "0", "c"],
             ["ZADD", "z", "x", "a"], ["ZADD", "z", "nx", "a"], ["ZADD", "str", "1", "a"],
             ["ZADD", "z", "1", "a", "5", "b", "6", "q"], ["ZADD", "z", "nx", "1", "a"]]
    seen = []
    for server in (redis_server, pickledbd_server):
        conn = Connection(server.host, server.port)
        try:
            for cmd in [["FLUSHALL"], ["SET", "str", "v"]]:
                conn.send_command([a.encode() for a in cmd])
                conn.read_reply()
            before = _dirty(conn)
            deltas = []
            for cmd in steps:
                conn.send_command([a.encode() for a in cmd])
                conn.read_reply()
                now = _dirty(conn)
                deltas.append(now - before)
                before = now
            seen.append(deltas)
        finally:
            conn.close()
    assert seen[0] == seen[1]
