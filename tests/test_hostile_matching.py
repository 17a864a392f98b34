"""Hostile glob patterns: matching must stay polynomial for every user of the matcher (KEYS,
SCAN/HSCAN/SSCAN/ZSCAN MATCH, PSUBSCRIBE, CONFIG GET, COMMAND LIST FILTERBY PATTERN) while
keeping Redis's exact stringmatchlen semantics.

The semantics are checked against a direct port of Redis 7.0's recursive stringmatchlen
(exponential, so small inputs only) with hypothesis, and against redis-server itself on a
corpus of quirky patterns. The pathological patterns of CVE-2022-36021 (``*a*a*...*b``
against a run of ``a``) grew 3-4x per extra ``*a`` before (twenty never returned); a 150 KB
class pattern took seconds to compile."""
from __future__ import annotations

import socket
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pickledbd.daemon.globmatch import glob_match, matcher


# ---------------------------------------------------------------- reference: Redis 7.0 util.c
def _lower(c: int) -> int:
    return c + 32 if 65 <= c <= 90 else c


def _sc(b: int) -> int:
    return b - 256 if b >= 128 else b


def stringmatch_ref(p: bytes, s: bytes, nocase: bool = False) -> bool:
    """Redis 7.0's stringmatchlen, ported line by line (char is signed; C tolower)."""

    def rec(pi: int, si: int) -> bool:
        plen, slen = len(p) - pi, len(s) - si
        while plen and slen:
            c = p[pi]
            if c == 0x2A:                                   # '*'
                while plen and pi + 1 < len(p) and p[pi + 1] == 0x2A:
                    pi += 1
                    plen -= 1
                if plen == 1:
                    return True
                while slen:
                    if rec(pi + 1, si):
                        return True
                    si += 1
                    slen -= 1
                return False
            elif c == 0x3F:                                 # '?'
                si += 1
                slen -= 1
            elif c == 0x5B:                                 # '['
                pi += 1
                plen -= 1
                neg = plen > 0 and p[pi] == 0x5E
                if neg:
                    pi += 1
                    plen -= 1
                match, sc = False, _sc(s[si])
                while True:
                    if plen >= 2 and p[pi] == 0x5C:
                        pi += 1
                        plen -= 1
                        if _sc(p[pi]) == sc:
                            match = True
                    elif plen > 0 and p[pi] == 0x5D:
                        break
                    elif plen == 0:
                        pi -= 1
                        plen += 1
                        break
                    elif plen >= 3 and p[pi + 1] == 0x2D:
                        start, end, cc = _sc(p[pi]), _sc(p[pi + 2]), sc
                        if start > end:
                            start, end = end, start
                        if nocase:
                            start, end, cc = _lower(start), _lower(end), _lower(cc)
                        pi += 2
                        plen -= 2
                        if start <= cc <= end:
                            match = True
                    elif not nocase:
                        if _sc(p[pi]) == sc:
                            match = True
                    elif _lower(_sc(p[pi])) == _lower(sc):
                        match = True
                    pi += 1
                    plen -= 1
                if neg:
                    match = not match
                if not match:
                    return False
                si += 1
                slen -= 1
            else:
                if c == 0x5C and plen >= 2:
                    pi += 1
                    plen -= 1
                a, b = _sc(p[pi]), _sc(s[si])
                if (a != b) if not nocase else (_lower(a) != _lower(b)):
                    return False
                si += 1
                slen -= 1
            pi += 1
            plen -= 1
            if slen == 0:
                while pi < len(p) and p[pi] == 0x2A:
                    pi += 1
                    plen -= 1
                break
        return plen == 0 and slen == 0

    return rec(0, 0)


def _txt(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


_PAT_BYTES = st.sampled_from(list(b"ab*?[]^-\\Az") + [0x80, 0xFF, 0x5B, 0x2A])
_STR_BYTES = st.sampled_from(list(b"abAz-]^\\*[") + [0x80, 0xFF])


@settings(max_examples=3000, deadline=None)
@given(st.lists(_PAT_BYTES, max_size=9).map(bytes), st.lists(_STR_BYTES, max_size=8).map(bytes),
       st.booleans())
def test_matcher_is_redis_stringmatchlen(pattern, string, nocase):
    want = stringmatch_ref(pattern, string, nocase)
    assert glob_match(_txt(pattern), _txt(string), nocase) is want
    if pattern != b"*":     # a lone '*' is KEYS's "all keys", empty key included
        assert bool(matcher(_txt(pattern), nocase)(_txt(string))) is want


def test_matcher_known_quirks():
    cases = [
        (b"h[e", b"he", True), (b"[a-]x]", b"]", True), (b"[a-]x]", b"x", True),
        (b"[]a]", b"a", False), (b"[^]", b"q", True), (b"[z-a]", b"m", True),
        (b"a\\", b"a\\", True), (b"*", b"", False), (b"", b"", True), (b"a*", b"a", True),
        (b"[a-\xff]", b"\xff", True), (b"[a-\xff]", b"\x80", False), (b"[a-\xff]", b"A", True), (b"[a-\xff]", b"b", False), (b"\\*x", b"*x", True),
    ]
    for p, s, want in cases:
        assert stringmatch_ref(p, s) is want, (p, s)
        assert glob_match(_txt(p), _txt(s)) is want, (p, s)
    assert glob_match("MAXMEMORY*", "maxmemory-policy", nocase=True)
    assert glob_match("[L-N]axmemory", "maxmemory", nocase=True)


def test_matching_is_polynomial_in_process():
    """40 a's against ``*a`` x N then ``*b``: the old regex took 3-4x longer per ``*a``."""
    key = "a" * 40
    t = time.perf_counter()
    for n in (10, 20, 40, 200):
        assert not glob_match("*a" * n + "*b", key)
        assert glob_match("*a" * 20 + "*", key)
    assert time.perf_counter() - t < 1.0
    t = time.perf_counter()
    assert not glob_match("*a" * 300 + "*b", "a" * 5000)     # O(n x m) still: 1.5M steps
    assert time.perf_counter() - t < 2.0


def test_long_class_pattern_compiles_fast():
    """150 KB of ``[a-z]``: computing each class by trying 256 bytes took ~7 s."""
    pat = "[a-z]" * 30000
    t = time.perf_counter()
    assert glob_match(pat, "q" * 30000)
    assert not glob_match(pat, "q" * 29999 + "Q")
    assert not glob_match(pat, "short")
    varied = "".join("[%s-%s]" % (chr(97 + i % 20), chr(100 + i % 20)) for i in range(30000))
    assert not matcher(varied)("abc")        # shorter than the pattern: not even compiled
    assert time.perf_counter() - t < 3.0


# ---------------------------------------------------------------- real servers
CORPUS_KEYS = ["a", "ab", "abc", "b", "aaa", "h[e", "he", "x*y", "x]", "\\", "a\\b",
               "hello", "hallo", "hxllo", "héllo", "Hello", "-", "^", "aXb"]
CORPUS_PATTERNS = ["*", "a*", "*b", "?", "??", "h?llo", "h*llo", "h[ae]llo", "h[^e]llo",
                   "h[a-b]llo", "h[b-a]llo", "h[e", "x\\*y", "x\\]", "*\\\\*", "[]]", "[^]",
                   "[a-]x]", "a*b*", "*a*a*", "H*", "[A-Z]*", "h\\[e", "[\\-]", "[\\^]",
                   "*?", "?*?", "h\xe9llo", "h??llo", "[a-z]X[a-z]"]


def test_keys_corpus_same_as_redis(redis_server, pickledbd_server):
    pairs = [srv.client() for srv in (redis_server, pickledbd_server)]
    for c in pairs:
        c.flushall()
        c.mset({k: 1 for k in CORPUS_KEYS})
    try:
        for pat in CORPUS_PATTERNS:
            got = [sorted(c.keys(pat)) for c in pairs]
            assert got[0] == got[1], pat
    finally:
        for c in pairs:
            c.flushall()
            c.close()


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


EVIL = "*a" * 25 + "*b"          # 25 stars against 40 a's: the old matcher never returned


def test_every_matcher_user_survives_evil_patterns(pickledbd_server):
    c = pickledbd_server.client()
    c.flushall()
    key = "a" * 40
    c.set(key, 1)
    c.hset("h", mapping={key: 1, **{"f%d" % i: 1 for i in range(200)}})
    c.sadd("s", key, *["m%d" % i for i in range(200)])
    c.zadd("z", {key: 1, **{"m%d" % i: i for i in range(200)}})
    deadline = 5.0
    assert _timed(lambda: c.keys(EVIL)) < deadline
    assert c.keys(EVIL) == [] and c.keys("*a" * 25 + "*") == [key.encode()]
    assert _timed(lambda: c.scan(0, match=EVIL, count=1000)) < deadline
    assert _timed(lambda: c.hscan("h", 0, match=EVIL, count=1000)) < deadline
    assert _timed(lambda: c.sscan("s", 0, match=EVIL, count=1000)) < deadline
    assert _timed(lambda: c.zscan("z", 0, match=EVIL, count=1000)) < deadline
    assert _timed(lambda: c.config_get(EVIL)) < deadline
    assert _timed(lambda: c.execute_command("COMMAND", "LIST", "FILTERBY", "PATTERN", EVIL)) < deadline
    # PSUBSCRIBE: every PUBLISH matches the channel against the pattern
    p = pickledbd_server.client()
    ps = p.pubsub()
    ps.psubscribe(EVIL, "*a" * 25 + "*")
    assert _timed(lambda: c.publish(key, "x")) < deadline
    deadline_at = time.monotonic() + 5
    got = []
    while time.monotonic() < deadline_at and not got:
        m = ps.get_message(timeout=0.5)
        if m and m["type"] == "pmessage":
            got.append(m)
    assert got and got[0]["data"] == b"x"
    ps.close()
    p.close()
    c.flushall()
    c.close()


def test_evil_pattern_does_not_stall_other_clients(pickledbd_server):
    """One client running KEYS with a huge class pattern and with many stars while another
    pings: every ping is answered promptly."""
    c = pickledbd_server.client()
    c.flushall()
    c.set("a" * 40, 1)
    c.set("q" * 30000, 1)
    stop = threading.Event()

    def hostile():
        h = pickledbd_server.client()
        while not stop.is_set():
            h.keys("[a-z]" * 30000)
            h.keys("*a" * 30 + "*b")
        h.close()

    t = threading.Thread(target=hostile, daemon=True)
    t.start()
    try:
        s = pickledbd_server.connect()
        s.settimeout(5)
        worst = 0.0
        for _ in range(20):
            t0 = time.perf_counter()
            s.sendall(b"PING\r\n")
            assert s.recv(64) == b"+PONG\r\n"
            worst = max(worst, time.perf_counter() - t0)
        s.close()
        assert worst < 2.0, worst
    finally:
        stop.set()
        t.join(timeout=30)
    c.flushall()
    c.close()


def test_huge_pattern_keys_reply_same_as_redis(redis_server, pickledbd_server):
    pat = "[a-z]" * 30000
    for srv in (redis_server, pickledbd_server):
        c = srv.client()
        c.flushall()
        c.set("q" * 30000, 1)
        c.set("q" * 29999 + "1", 1)
        assert _timed(lambda: c.keys(pat)) < 5.0
        assert c.keys(pat) == [b"q" * 30000]
        c.flushall()
        c.close()
