"""Lua scripting, side by side with redis-server 7.0: EVAL and friends, the script cache,
atomicity and propagation, and a busy script that must not freeze the server."""
from __future__ import annotations

import socket
import threading
import time

import pytest
import redis

from repl_stream import capture

BOTH = ["redis_server", "pickledbd_server"]


def _raw(srv, *args) -> bytes:
    """One request on a fresh connection, the raw reply bytes."""
    with socket.create_connection((srv.host, srv.port), timeout=10) as s:
        parts = [a if isinstance(a, bytes) else str(a).encode() for a in args]
        s.sendall(b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts))
        time.sleep(0.05)
        s.settimeout(2)
        return s.recv(1 << 16)


CASES = [
    ("return redis.call('set', KEYS[1], ARGV[1])", ["1", "sk", "v"]),
    ("return redis.call('get', KEYS[1])", ["1", "sk"]),
    ("return {1, 2, {3, 'x'}, nil, 5}", ["0"]),
    ("return 3.99", ["0"]),
    ("return -3.99", ["0"]),
    ("return true", ["0"]),
    ("return false", ["0"]),
    ("return nil", ["0"]),
    ("return {err='MY error'}", ["0"]),
    ("return {ok='fine'}", ["0"]),
    ("return redis.error_reply('XX bad')", ["0"]),
    ("return redis.status_reply('YES')", ["0"]),
    ("return redis.pcall('nosuch')", ["0"]),
    ("local x = redis.call('nosuch') return x", ["0"]),
    ("local r = redis.call('get') return r", ["0"]),
    ("x = 5", ["0"]),
    ("return undefined_global", ["0"]),
    ("return os", ["0"]),
    ("error('boom')", ["0"]),
    ("error({err='TABLE boom'})", ["0"]),
    ("return {", ["0"]),
    ("local r = redis.call('subscribe', 'x') return r", ["0"]),
    ("local r = redis.call('blpop', 'l', 0) return r", ["0"]),
    ("return redis.sha1hex('')", ["0"]),
    ("return redis.call('incr', 'sn') + 1", ["0"]),
    ("return tostring(math.pi)", ["0"]),
    ("string.x = 1", ["0"]),
    ("rawset(_G, 'y', 1)", ["0"]),
    ("return #KEYS + #ARGV", ["2", "a", "b", "c"]),
    ("return ARGV", ["1", "k", "\xff", ""]),
]


@pytest.mark.parametrize("script,args", CASES, ids=[c[0][:40] for c in CASES])
@pytest.mark.parametrize("proto", [2, 3])
def test_eval_replies_match_redis(redis_server, pickledbd_server, script, args, proto):
    def run(srv):
        with socket.create_connection((srv.host, srv.port), timeout=10) as s:
            if proto == 3:
                s.sendall(b"HELLO 3\r\n")
                time.sleep(0.05)
                s.recv(1 << 16)
            parts = [x.encode("latin-1") for x in ["EVAL", script, *args]]
            s.sendall(b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts))
            time.sleep(0.05)
            s.settimeout(2)
            return s.recv(1 << 16)
    assert run(pickledbd_server) == run(redis_server)


@pytest.mark.parametrize("target", BOTH)
def test_script_cache(request, target):
    r = request.getfixturevalue(target).client()
    r.script_flush()
    sha = r.script_load("return ARGV[1]")
    assert sha == "1d1ce1ca6e3d8e8e0a9e5c0e2e9d5b8f4b3d3a1a" or len(sha) == 40
    assert r.script_exists(sha, "0" * 40) == [True, False]
    assert r.evalsha(sha, 0, "x") == b"x"
    assert r.evalsha(sha.upper(), 0, "y") == b"y"
    r.script_flush()
    with pytest.raises(redis.exceptions.NoScriptError):
        r.evalsha(sha, 0, "x")
    with pytest.raises(redis.ResponseError) as e:
        r.execute_command("EVAL", "return 1", "2", "a")
    assert "Number of keys can't be greater than number of args" in str(e.value)
    with pytest.raises(redis.ResponseError) as e:
        r.execute_command("EVAL", "return 1", "-1")
    assert "Number of keys can't be negative" in str(e.value)
    with pytest.raises(redis.ResponseError) as e:
        r.execute_command("EVAL_RO", "return redis.call('set', 'x', '1')", "0")
    assert str(e.value).startswith("Write commands are not allowed from read-only scripts.")


def test_propagated_as_the_commands_run(redis_server, pickledbd_server):
    cmds = [("EVAL", "return redis.call('set', 'pa', '1')", "0"),
            ("EVAL", "redis.call('set', 'pb', '1'); redis.call('incr', 'pb'); return 1", "0"),
            ("EVAL", "redis.call('select', 3); redis.call('set', 'pc', '1'); return 1", "0"),
            ("EVAL", "return redis.call('get', 'pa')", "0"),
            ("SET", "after", "x")]
    assert capture(pickledbd_server, cmds) == capture(redis_server, cmds)


@pytest.mark.parametrize("target", BOTH)
def test_select_inside_a_script_does_not_change_the_caller(request, target):
    r = request.getfixturevalue(target).client()
    r.set("sel", "db0")
    assert r.eval("redis.call('select', 2); return redis.call('get', 'sel')", 0) is None
    assert r.get("sel") == b"db0"


BUSY_ARGS = ["--busy-reply-threshold", "300"]


@pytest.fixture(params=["redis", "pickledbd"])
def busy_server(request, tmp_path):
    from servers import PickledbdServer, RedisServer, redis_server_binary, start_with_retry
    if request.param == "redis" and redis_server_binary() is None:
        pytest.skip("no redis-server")
    cls = RedisServer if request.param == "redis" else PickledbdServer
    srv = start_with_retry(lambda: cls(tmp_path, extra_args=BUSY_ARGS))
    try:
        yield srv
    finally:
        srv.stop()


def _run_in_thread(fn):
    out = {}

    def target():
        try:
            out["reply"] = fn()
        except Exception as e:  # noqa: BLE001 - the error is the result
            out["error"] = e
    t = threading.Thread(target=target, daemon=True)
    t.start()
    return t, out


def test_busy_script_answers_others_and_is_killed(busy_server):
    srv = busy_server
    r = srv.client()
    r.set("busy:k", "v")
    t, out = _run_in_thread(lambda: srv.client().eval("local i = 0 while true do i = i + 1 end", 0))
    time.sleep(0.8)
    # a new connection and an old one both get -BUSY; reads too
    assert _raw(srv, "GET", "busy:k").startswith(b"-BUSY Redis is busy running a script. You can only "
                                                  b"call SCRIPT KILL or SHUTDOWN NOSAVE.")
    with pytest.raises(redis.exceptions.BusyLoadingError if False else redis.ResponseError) as e:
        r.get("busy:k")
    assert str(e.value).startswith("Redis is busy running a script") or "BUSY" in str(e.value)
    assert _raw(srv, "SHUTDOWN").startswith(b"-BUSY")        # only SHUTDOWN NOSAVE may go
    assert _raw(srv, "FUNCTION", "KILL").startswith(b"-BUSY")   # the running script is no function
    assert _raw(srv, "SCRIPT", "KILL") == b"+OK\r\n"
    t.join(5)
    assert not t.is_alive()
    assert "Script killed by user with SCRIPT KILL" in str(out["error"])
    assert r.get("busy:k") == b"v"                       # back to normal
    assert _raw(srv, "SCRIPT", "KILL") == b"-NOTBUSY No scripts in execution right now.\r\n"


def test_a_script_that_wrote_is_unkillable_but_shutdown_nosave_works(busy_server):
    srv = busy_server
    # no retries: the client's error must come when the server goes, not after backoffs
    from redis.retry import Retry
    from redis.backoff import NoBackoff
    t, out = _run_in_thread(lambda: srv.client(retry=Retry(NoBackoff(), 0)).eval(
        "redis.call('set', 'busy:w', '1') local i = 0 while true do i = i + 1 end", 0))
    time.sleep(0.8)
    assert _raw(srv, "SCRIPT", "KILL").startswith(b"-UNKILLABLE Sorry the script already executed write "
                                                  b"commands against the dataset.")
    with socket.create_connection((srv.host, srv.port), timeout=10) as s:
        s.sendall(b"SHUTDOWN NOSAVE\r\n")
        s.settimeout(5)
        assert s.recv(100) == b""              # closed: the server is going away
    assert srv.proc.wait(10) == 0
    t.join(10)
    assert "error" in out


def test_a_killed_script_cannot_catch_the_kill(busy_server):
    srv = busy_server
    t, out = _run_in_thread(lambda: srv.client().eval(
        "while true do pcall(function() local i = 0 while true do i = i + 1 end end) end", 0))
    time.sleep(0.8)
    assert _raw(srv, "SCRIPT", "KILL") == b"+OK\r\n"
    t.join(5)
    assert not t.is_alive() and "Script killed" in str(out["error"])
