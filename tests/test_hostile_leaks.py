"""Errors must not keep memory alive: many of them are shared RedisError instances, and
raising one again chains the new traceback (with its frames) onto the last one's."""
from __future__ import annotations

import gc

from pickledbd.daemon.inprocess import LocalServer


def _live_tracebacks() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if type(o).__name__ == "traceback")


def test_error_replies_do_not_accumulate_tracebacks():
    srv = LocalServer()
    c = srv.client()
    srv.request(c, "SET", "k", "v")
    for args in (("LPUSH", "k", "x"), ("INCR", "k"), ("SELECT", "99"), ("GET",)):
        srv.request(c, *args)                   # warm-up: first-use caches
    before = _live_tracebacks()
    for _ in range(2000):
        assert srv.request(c, "LPUSH", "k", "x").startswith(b"-WRONGTYPE")
        assert srv.request(c, "INCR", "k").startswith(b"-ERR value is not an integer")
        assert srv.request(c, "SELECT", "99").startswith(b"-ERR DB index is out of range")
        assert srv.request(c, "MULTI") == b"+OK\r\n"
        srv.request(c, "LPUSH", "k", "x")
        assert srv.request(c, "EXEC").startswith(b"*1\r\n-WRONGTYPE")
    assert _live_tracebacks() - before < 50
