"""DEBUG subcommands side by side with redis-server (both with enable-debug-command yes)."""
from __future__ import annotations

import time

import pytest

from servers import RedisServer, redis_server_binary, start_with_retry


@pytest.fixture(scope="module")
def both(tmp_path_factory, pickledbd_server):
    if redis_server_binary() is None:
        pytest.skip("redis-server binary not found on PATH")
    ref = start_with_retry(lambda: RedisServer(tmp_path_factory.mktemp("redis-debug"),
                                               extra_args=("--enable-debug-command", "yes")))
    try:
        with ref.client() as r, pickledbd_server.client() as p:
            yield r, p
            p.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")
    finally:
        ref.stop()


def _run(clients, *args):
    out = []
    for c in clients:
        try:
            out.append(c.execute_command(*args))
        except Exception as e:          # the error text is part of the comparison
            out.append((type(e).__name__, str(e)))
    return out


def test_set_active_expire_leaves_expired_keys_to_lookups(both):
    for c in both:
        c.flushall()
    assert _run(both, "DEBUG", "SET-ACTIVE-EXPIRE", "0") == [b"OK", b"OK"]
    for c in both:
        c.set("k", "v", px=1)
    time.sleep(0.35)        # several active cycles at hz 10: none may run
    assert _run(both, "DBSIZE") == [1, 1]
    assert _run(both, "GET", "k") == [None, None]
    assert _run(both, "DBSIZE") == [0, 0]
    # atoi: a word is 0 (off), "1x" is 1 (on)
    assert _run(both, "DEBUG", "SET-ACTIVE-EXPIRE", "1x") == [b"OK", b"OK"]
    for c in both:
        c.set("k", "v", px=1)
    deadline = time.monotonic() + 5
    while _run(both, "DBSIZE") != [0, 0] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _run(both, "DBSIZE") == [0, 0]


@pytest.mark.parametrize("args", [("SET-ACTIVE-EXPIRE",), ("SET-ACTIVE-EXPIRE", "1", "2"),
                                  ("set-active-expire", "abc"), ("HELP",)])
def test_debug_replies_match_redis(both, args):
    try:
        a, b = _run(both, "DEBUG", *args)
        if args == ("HELP",):   # ours lists a subset of Redis's subcommands, in its words
            assert all(line in a for line in b)
        else:
            assert a == b
    finally:
        _run(both, "DEBUG", "SET-ACTIVE-EXPIRE", "1")
