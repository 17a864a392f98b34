"""Lua scripting, differential: the corpus of tests/lua_corpus.py run on redis-server 7.0 and
pickledbd side by side (reply types and bytes, RESP2 and RESP3 callers), then what a corpus
cannot show: the busy-script hook inside coroutines, globals that do not survive a script,
math.random's sequence, MONITOR, propagation under redis.set_repl, errorstats, INFO's
scripting fields, hostile inputs, and the few differences pickledbd has on purpose."""
from __future__ import annotations

import hashlib
import re
import socket
import threading
import time

import pytest

from diff_resp import RawClient, encode_command
from lua_corpus import CORPUS, SETUP
from repl_stream import capture


def _case(c):
    return (c, "0") if isinstance(c, str) else (c[0], *[str(a) for a in c[1:]])


@pytest.fixture(scope="module")
def conns(redis_server, pickledbd_server):
    """One RESP2 and one RESP3 connection to each server, the corpus keys written."""
    out = {}
    for name, srv in (("redis", redis_server), ("pickledbd", pickledbd_server)):
        for proto in (2, 3):
            c = RawClient(srv.host, srv.port, timeout=30)
            if proto == 3:
                c.call("HELLO", "3")
            out[name, proto] = c
        for cmd in SETUP:
            out[name, 2].call(*cmd)
    yield out
    for c in out.values():
        c.close()


@pytest.mark.parametrize("proto", [2, 3])
@pytest.mark.parametrize("case", CORPUS, ids=["%03d:%s" % (i, _case(c)[0][:40]) for i, c in enumerate(CORPUS)])
def test_corpus(conns, case, proto):
    args = _case(case)
    want = conns["redis", proto].call("EVAL", *args)
    got = conns["pickledbd", proto].call("EVAL", *args)
    assert got == want


# ------------------------------------------------------------------ replies too deep to parse
DEEP = [
    "local t = {} local c = t for i = 1, 10000 do c[1] = {} c = c[1] end return t",
    "local t = {} t[1] = t return t",
    "local t = {} t.map = {} t.map.k = t return t",
    "local t = {} t.set = {} t.set[t] = true return t",
    "local t = {} local c = t for i = 1, 5000 do c.map = {x = {}} c = c.map.x end return t",
    "local t = {} local c = t for i = 1, 3000 do local n = {} c.set = {[n] = true} c = n end return t",
    "local t = {} for i = 1, 100000 do t[i] = i % 2 == 0 and i or tostring(i) end return t",
]


def _deep_reply(srv, proto, script) -> bytes:
    """The bytes of one reply, read without recursion (the nesting is deeper than Python's
    recursion limit): every aggregate adds its element count to what is still due."""
    with socket.create_connection((srv.host, srv.port), timeout=30) as s:
        f = s.makefile("rb")
        if proto == 3:
            s.sendall(encode_command(["HELLO", "3"]))
        s.sendall(encode_command(["EVAL", script, "0"]))
        replies = []
        for _ in range(2 if proto == 3 else 1):
            out, due = [], 1
            while due:
                line = f.readline()
                out.append(line)
                due -= 1
                kind, n = line[:1], line[1:-2]
                if kind in b"$=" and int(n) >= 0:
                    out.append(f.read(int(n) + 2))
                elif kind in b"*~>" and int(n) > 0:
                    due += int(n)
                elif kind == b"%":
                    due += 2 * int(n)
            replies.append(b"".join(out))
        return replies[-1]


@pytest.mark.parametrize("proto", [2, 3])
@pytest.mark.parametrize("script", DEEP, ids=[s[:50] for s in DEEP])
def test_deep_and_cyclic_replies_match_byte_for_byte(redis_server, pickledbd_server, script, proto):
    """Past Lua's C stack limit Redis answers '-ERR reached lua stack limit' at that depth
    (a cycle is just a deep table): pickledbd counts the same stack slots."""
    want = _deep_reply(redis_server, proto, script)
    assert b"reached lua stack limit" in want or want.startswith(b"*100000\r\n")
    assert _deep_reply(pickledbd_server, proto, script) == want


# ------------------------------------------------------------------ what pickledbd does differently
KNOWN_DIFFERENCES = [
    # an existing global can be reassigned for the rest of the script (put back when it ends)
    ("KEYS = 1 return type(KEYS)",
     ("-", b"ERR user_script:1: Attempt to modify a readonly table script: {sha}, on @user_script:1."),
     ("$", b"number")),
    # a builtin written in Lua here, called in tail position, loses the caller's position
    ("return math.random(0)",
     ("-", b"ERR user_script:1: bad argument #1 to 'random' (interval is empty) script: {sha}, on @user_script:1."),
     ("-", b"ERR bad argument #1 to '?' (interval is empty) script: {sha}, on =(tail call):-1.")),
    # -0 reaches Python as the integer 0
    ("redis.call('set', 'lc:w', -0) return redis.call('get', 'lc:w')", ("$", b"-0"), ("$", b"0")),
]


def _with_sha(reply, script):
    sha = hashlib.sha1(script.encode()).hexdigest().encode()
    return (reply[0], reply[1].replace(b"{sha}", sha)) if isinstance(reply[1], bytes) else reply


@pytest.mark.parametrize("script,redis_reply,pickledbd_reply", KNOWN_DIFFERENCES,
                         ids=[k[0][:40] for k in KNOWN_DIFFERENCES])
def test_known_differences(conns, script, redis_reply, pickledbd_reply):
    """The differences the README lists, asserted as they are (so the list stays true)."""
    assert conns["redis", 2].call("EVAL", script, "0") == _with_sha(redis_reply, script)
    assert conns["pickledbd", 2].call("EVAL", script, "0") == _with_sha(pickledbd_reply, script)


def test_version_fields(conns):
    """pickledbd reports Redis 7.2.4 everywhere, redis.REDIS_VERSION included."""
    script = "return {redis.REDIS_VERSION, redis.REDIS_VERSION_NUM}"
    assert conns["redis", 2].call("EVAL", script, "0") == ("*", [("$", b"7.0.15"), (":", 0x07000F)])
    assert conns["pickledbd", 2].call("EVAL", script, "0") == ("*", [("$", b"7.2.4"), (":", 0x070204)])


def test_an_error_table_without_err_is_answered(pickledbd_server):
    """Redis 7.0.15 crashes on error({}) (fixed in later versions); pickledbd answers."""
    with RawClient(pickledbd_server.host, pickledbd_server.port) as c:
        t, msg = c.call("EVAL", "error({})", "0")
        assert t == "-" and msg.startswith(b"ERR unknown error script: ")
        assert c.call("EVAL", "error({ok = 'x'})", "0")[0] == "-"
        assert c.call("PING") == ("+", b"PONG")


# ------------------------------------------------------------------ state between calls
def test_scripts_cannot_keep_state(conns):
    seq = [
        ("string = nil return 1", "0"), ("return type(string)", "0"),
        ("redis = nil return 1", "0"), ("return type(redis)", "0"),
        ("_G.pcall = 5 return 1", "0"), ("return type(pcall)", "0"),
        ("KEYS[1] = 'changed' ARGV[5] = 1 return 1", "1", "k"), ("return {#KEYS, #ARGV}", "0"),
        ("for i = 1, 100000 do KEYS[i] = i end return #KEYS", "0"), ("return #KEYS", "0"),
        ("collectgarbage('stop') return 1", "0"), ("return string.len('abc')", "0"),
    ]
    for name in ("redis", "pickledbd"):
        replies = [conns[name, 2].call("EVAL", *args) for args in seq]
        assert [r for i, r in enumerate(replies) if i % 2] == [
            ("$", b"table"), ("$", b"table"), ("$", b"function"), ("*", [(":", 0), (":", 0)]), (":", 0), (":", 3)], name


# ------------------------------------------------------------------ the busy hook in coroutines
KILLABLE = [
    "coroutine.wrap(function() while true do end end)()",
    "local co = coroutine.create(function() while true do end end) while true do coroutine.resume(co) end",
    "coroutine.wrap(function() coroutine.wrap(function() while true do end end)() end)()",
    "local co = coroutine.create(function() while true do end end) coroutine.resume(co)",
]


def _call(srv, *args):
    with RawClient(srv.host, srv.port, timeout=20) as c:
        return c.call(*args)


@pytest.mark.parametrize("script", KILLABLE, ids=[s[:40] for s in KILLABLE])
def test_endless_loops_in_coroutines_are_killable(redis_server, pickledbd_server, script):
    """Lua hooks are per coroutine: every coroutine a script creates gets the busy hook, so
    SCRIPT KILL stops a loop in one (the last case: the killed coroutine's error goes to its
    resume, and the script ends normally, as in Redis)."""
    results = []
    for srv in (redis_server, pickledbd_server):
        _call(srv, "CONFIG", "SET", "busy-reply-threshold", "200")
        try:
            out = {}
            t = threading.Thread(target=lambda: out.setdefault("reply", _call(srv, "EVAL", script, "0")),
                                 daemon=True)
            t.start()
            time.sleep(0.6)
            assert _call(srv, "PING")[0] == "-"            # busy
            results.append(_call(srv, "SCRIPT", "KILL"))
            t.join(10)
            assert not t.is_alive()
            results.append(out["reply"])
            assert _call(srv, "PING") == ("+", b"PONG")
        finally:
            _call(srv, "CONFIG", "SET", "busy-reply-threshold", "5000")
    assert results[2:] == results[:2]
    assert results[0] == ("+", b"OK")


def test_errors_of_api_functions_in_dead_coroutines_do_not_crash(pickledbd_server):
    """Errors raised by the Python side reach Lua as objects Lua's collector frees later,
    after the coroutine that raised them is gone: nothing of Lua's may hang on them."""
    script = """
      for i = 1, 300 do
        local co = coroutine.create(function()
          local t = {}
          pcall(redis.log, t, t)
          pcall(redis.call, t)
          pcall(redis.sha1hex, t, t)
          redis.setresp(t, t)
        end)
        coroutine.resume(co)
      end
      collectgarbage()
      return 1
    """
    with RawClient(pickledbd_server.host, pickledbd_server.port) as c:
        for _ in range(5):
            assert c.call("EVAL", script, "0") == (":", 1)
            assert c.call("EVAL", "collectgarbage() return 2", "0") == (":", 2)


# ------------------------------------------------------------------ math.random
def test_math_random_sequence_of_a_fresh_server(tmp_path, start_pickledbd):
    """redisLrand48 from its initial state, never reseeded by EVAL; randomseed(n) as Redis."""
    from servers import RedisServer, redis_server_binary, start_with_retry
    if redis_server_binary() is None:
        pytest.skip("no redis-server")
    script = "return {math.random(1000000), math.random(1000000), tostring(math.random()), math.random(3, 7)}"
    redis_srv = start_with_retry(lambda: RedisServer(tmp_path / "r"))
    try:
        pk = start_pickledbd()
        for args in [(script, "0"), (script, "0"), ("math.randomseed(99) return " + script[7:], "0"), (script, "0")]:
            assert _call(pk, "EVAL", *args) == _call(redis_srv, "EVAL", *args)
    finally:
        redis_srv.stop()


# ------------------------------------------------------------------ around the scripts
def _monitor_lines(srv, commands):
    m = socket.create_connection((srv.host, srv.port), timeout=5)
    m.sendall(encode_command(["MONITOR"]))
    time.sleep(0.2)
    m.recv(1000)
    with RawClient(srv.host, srv.port) as c:
        for cmd in commands:
            c.call(*cmd)
    time.sleep(0.3)
    m.settimeout(1)
    data = m.recv(1 << 16).decode(errors="replace")
    m.close()
    # drop the time and the caller's address, keep "[db lua]"
    return [re.sub(r"^\+[\d.]+ \[(\d+) ([^\]]+)\]", lambda g: "[%s %s]" % (g[1], "lua" if g[2] == "lua" else "c"), l)
            for l in data.split("\r\n") if l]


def test_monitor_shows_eval_then_its_calls(redis_server, pickledbd_server):
    cmds = [["SELECT", "2"],
            ["EVAL", "redis.call('set', KEYS[1], ARGV[1]) redis.call('select', 5) return redis.call('get', KEYS[1])",
             "1", "mk", "mv"],
            ["EVALSHA", "0" * 40, "0"], ["EVALSHA", "short", "0"], ["EVAL", "return redis.call('nosuch')", "0"],
            ["EVAL", "return redis.pcall('get')", "0"], ["EVAL", "return {", "0"], ["EVAL", "return 1", "x"],
            ["EVAL_RO", "return redis.call('get', 'x')", "0"]]
    assert _monitor_lines(pickledbd_server, cmds) == _monitor_lines(redis_server, cmds)


REPLICATION = [
    [("EVAL", "redis.set_repl(redis.REPL_NONE) redis.call('set','ra','1') redis.set_repl(redis.REPL_ALL) "
              "redis.call('set','rb','1') return 1", "0")],
    [("EVAL", "redis.set_repl(redis.REPL_AOF) redis.call('set','rc','1') return 1", "0")],
    [("EVAL", "redis.set_repl(redis.REPL_REPLICA) redis.call('set','rd','1') return 1", "0")],
    [("EVAL", "redis.set_repl(redis.REPL_SLAVE) redis.call('set','re','1') redis.set_repl(redis.REPL_NONE) "
              "redis.call('incr', 'rf') return 1", "0")],
    [("EVAL", "redis.call('set','rg','1') error('after write')", "0")],
    [("EVAL", "redis.call('set','rh','1') redis.call('select', 4) redis.call('set','ri','1') return 1", "0")],
    [("EVAL", "redis.set_repl(redis.REPL_NONE) redis.call('set','rj','1') return 1", "0"), ("SET", "rk", "1")],
    [("EVAL_RO", "return redis.call('get', 'rl')", "0")],
]


@pytest.mark.parametrize("cmds", REPLICATION, ids=[c[0][1][:50] for c in REPLICATION])
def test_what_scripts_propagate(redis_server, pickledbd_server, cmds):
    """redis.set_repl: REPL_NONE and REPL_AOF keep the following commands from replicas (no
    AOF here), REPL_REPLICA and REPL_ALL send them."""
    assert capture(pickledbd_server, cmds) == capture(redis_server, cmds)


ERRORSTATS = [
    "redis.pcall('incr', 'es') return 1",
    "return {err='MYERR x'}", "error('x')", "return {1, {err='NESTED y'}}", "return redis.error_reply('X y')",
    "error({err='TBL z'})", "local ok = pcall(redis.call, 'nosuch') return 1", "return {1, redis.pcall('incr', 'es')}",
    "return {redis.pcall('incr', 'es'), redis.pcall('incr', 'es'), {err='A b'}, {err='C d'}}",
    "local x = redis.pcall('incr', 'es') return 1",
]
# a command's error that the script passes on is counted once in Redis, where it happened: the
# EVAL's reply is then not counted again
ERRORSTATS_ENGINE = ["return redis.call('incr', 'es')", "return redis.pcall('incr', 'es')",
                     "return redis.pcall('nosuch')", "return redis.call('nosuch')", "return redis.call('set', 'k')"]


def _errorstats(srv, script):
    r = srv.client()
    r.config_resetstat()
    r.set("es", "v")
    try:
        r.eval(script, 0)
    except Exception:  # noqa: BLE001 - the error is what is counted
        pass
    calls = {k: v for k, v in r.info("commandstats").items() if k in ("cmdstat_eval", "cmdstat_incr")}
    return (r.info("errorstats"), r.info("stats")["total_error_replies"],
            {k: (v["calls"], v["failed_calls"], v["rejected_calls"]) for k, v in calls.items()})


@pytest.mark.parametrize("script", ERRORSTATS)
def test_errorstats(redis_server, pickledbd_server, script):
    assert _errorstats(pickledbd_server, script) == _errorstats(redis_server, script)


@pytest.mark.parametrize("script", ERRORSTATS_ENGINE)
def test_errorstats_of_errors_passed_on(redis_server, pickledbd_server, script):
    assert _errorstats(pickledbd_server, script) == _errorstats(redis_server, script)


LUA_FIELDS = ["used_memory_lua", "used_memory_vm_eval", "used_memory_lua_human", "used_memory_scripts_eval",
              "number_of_cached_scripts", "number_of_functions", "number_of_libraries", "used_memory_vm_functions",
              "used_memory_vm_total", "used_memory_vm_total_human", "used_memory_functions", "used_memory_scripts",
              "used_memory_scripts_human"]


def test_info_memory_scripting_fields(redis_server, pickledbd_server):
    """The fields and their order as Redis 7.0 prints them; the scripts cache's size computed
    as evalScriptsMemory() does (jemalloc's size classes included)."""
    scripts = ["return 1", "return 'a somewhat longer script body that is more than 44 bytes long'",
               "return '" + "x" * 300 + "'", "return '" + "y" * 70000 + "'"] + ["return %d" % i for i in range(40)]
    seen = {}
    for name, srv in (("redis", redis_server), ("pickledbd", pickledbd_server)):
        r = srv.client()
        r.function_flush()
        r.script_flush()
        for s in scripts:
            r.eval(s, 0)
        r.script_load("return 'loaded'")
        with RawClient(srv.host, srv.port) as raw:
            text = raw.call("INFO", "memory")[1].decode()
        keys = [line.split(":")[0] for line in text.split("\r\n") if line.split(":")[0] in LUA_FIELDS]
        assert keys == LUA_FIELDS, name
        seen[name] = r.info("memory")
    for field in ("used_memory_scripts_eval", "number_of_cached_scripts", "number_of_functions", "number_of_libraries"):
        assert seen["pickledbd"][field] == seen["redis"][field], field
    assert seen["pickledbd"]["used_memory_lua"] > 0


# ------------------------------------------------------------------ hostile input
def test_a_10mb_script(redis_server, pickledbd_server):
    body = "return #'" + "x" * (10 << 20) + "'"
    for srv in (redis_server, pickledbd_server):
        with RawClient(srv.host, srv.port, timeout=60) as c:
            assert c.call("EVAL", body, "0") == (":", 10 << 20)
            assert c.call("SCRIPT", "FLUSH") == ("+", b"OK")


def test_a_huge_string_is_refused_and_the_server_lives(pickledbd_server):
    """string.rep('x', 1e9): Redis builds it (3.25 GB of Lua heap, a minute); pickledbd's Lua
    heap is capped (1 GB), so the script gets "not enough memory" and the heap is released."""
    with RawClient(pickledbd_server.host, pickledbd_server.port, timeout=60) as c:
        t, msg = c.call("EVAL", "local s = string.rep('x', 1e9) return #s", "0")
        assert t == "-" and msg.startswith(b"ERR Error running script") and msg.endswith(b"not enough memory")
        t, msg = c.call("EVAL", "local ok, e = pcall(string.rep, 'x', 2^30) return {tostring(ok), e}", "0")
        assert (t, msg) == ("*", [("$", b"false"), ("$", b"not enough memory")])
        assert c.call("EVAL", "return #string.rep('x', 1e6)", "0") == (":", 1000000)
        assert c.call("EVAL", "collectgarbage() collectgarbage() return 1", "0") == (":", 1)
        info = c.call("INFO", "memory")[1].decode()
        assert int(re.search(r"used_memory_lua:(\d+)", info).group(1)) < 256 << 20     # released


def test_a_big_reply_and_big_keys(redis_server, pickledbd_server):
    """A million-element reply and a script filling KEYS: same replies, KEYS fresh next time."""
    scripts = [("local t = {} for i = 1, 1000000 do t[i] = i end return t", "0"),
               ("for i = 1, 1000000 do KEYS[i] = i end return #KEYS", "1", "k"), ("return #KEYS", "0")]
    for args in scripts:
        with RawClient(redis_server.host, redis_server.port, timeout=60) as a, \
                RawClient(pickledbd_server.host, pickledbd_server.port, timeout=60) as b:
            assert b.call("EVAL", *args) == a.call("EVAL", *args)


def test_many_distinct_scripts(redis_server, pickledbd_server):
    """Redis 7.0 never evicts cached scripts: 16k SCRIPT LOADs, 16k entries, the same
    accounting on both (a count past which Redis has finished rehashing its scripts dict:
    while it rehashes it counts both tables' slots)."""
    seen = []
    for srv in (redis_server, pickledbd_server):
        with RawClient(srv.host, srv.port, timeout=60) as c:
            c.call("SCRIPT", "FLUSH")
            n = 16000
            replies = c.pipeline([["SCRIPT", "LOAD", "return %d" % i] for i in range(n)])
            assert all(t == "$" for t, _ in replies)
            info = c.call("INFO", "memory")[1].decode()
            seen.append([int(re.search(f + r":(\d+)", info).group(1))
                         for f in ("number_of_cached_scripts", "used_memory_scripts_eval")])
            c.call("SCRIPT", "FLUSH")
    assert seen[0] == seen[1] and seen[0][0] == 16000


def test_redis_log_writes_the_server_log(pickledbd_server):
    marker = "corpus-marker-%d" % time.time_ns()
    with RawClient(pickledbd_server.host, pickledbd_server.port) as c:
        assert c.call("EVAL", "redis.log(redis.LOG_WARNING, ARGV[1], 42, nil, 'end') return 1", "0", marker) == (":", 1)
        assert c.call("EVAL", "redis.log(redis.LOG_DEBUG, 'debug-' .. ARGV[1]) return 1", "0", marker) == (":", 1)
    time.sleep(0.2)
    log = pickledbd_server.log_text()
    assert "# %s 42 end" % marker in log
    assert "debug-" + marker not in log           # below the default loglevel (notice)


def test_deep_recursion_is_an_error_and_the_server_lives(redis_server, pickledbd_server):
    script = "local function f(n) return 1 + f(n + 1) end return f(1)"
    for srv in (redis_server, pickledbd_server):
        with RawClient(srv.host, srv.port) as c:
            t, msg = c.call("EVAL", script, "0")
            assert t == "-" and b"stack overflow" in msg
            assert c.call("PING") == ("+", b"PONG")

