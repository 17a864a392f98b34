"""Redis functions side by side with redis-server 7.0.15: FUNCTION LOAD/LIST/DELETE/FLUSH/DUMP/
RESTORE/STATS/KILL/HELP, FCALL/FCALL_RO, script flags (functions and EVAL shebangs), in RESP2
and RESP3; what reaches replicas; DUMP payloads restored across the two servers; busy
functions; and libraries kept with the data across restarts (JSON and SQLite), by the daemon
and by the PickleDB library."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson
import pytest
import redis

from diff_resp import RawClient, plain
from repl_stream import capture
from servers import REPO_ROOT, PickledbdServer, RedisServer, free_port, redis_server_binary, start_with_retry

from pickledbd import PickleDB
from pickledbd.daemon.persistence.rdb import crc64
from pickledbd.daemon.scripting.function_dump import dump_payload, library_codes, lzf_decompress
from pickledbd.storage import JSONStorage, SQLiteStorage, State

BOTH = ["redis_server", "pickledbd_server"]


def session(srv, commands, proto: int = 2) -> list:
    """``commands`` on a fresh connection after FUNCTION FLUSH: the tagged replies."""
    with RawClient(srv.host, srv.port) as c:
        if proto == 3:
            c.call("HELLO", "3")
        c.call("FUNCTION", "FLUSH")
        return [c.call(*cmd) for cmd in commands]


def load(code: str, *opts: str) -> tuple:
    return ("FUNCTION", "LOAD", *opts, code)


def lib(name: str, body: str) -> str:
    return "#!lua name=%s\n%s" % (name, body)


def reg(*calls: str) -> str:
    """A library named t registering ``calls`` (redis.register_function arguments)."""
    return lib("t", "\n".join("redis.register_function(%s)" % c for c in calls))


FN = "function() return 1 end"

LOAD_CASES = {
    "missing metadata": [load("lua name=x\nreturn 1")],
    "no newline": [load("#!lua name=x")],
    "no name": [load("#!lua\nx")],
    "name twice": [load("#!lua name=a name=b\nx")],
    "unknown option": [load("#!lua name=a foo=bar\nx")],
    "bad library name": [load("#!lua name=li-b\nx"), load("#!lua name=\nx")],
    "unknown engine": [load("#!js name=x\nx"), load("#! name=x\nx"), load("#!\nx")],
    "unbalanced quotes": [load('#!lua "name=x\nx')],
    "quoted and upper-case": [load('#!LUA "NAME=q1"\nredis.register_function("q", %s)' % FN),
                              ("FCALL", "q", "0")],
    "compile error": [load(lib("x", "return {"))],
    "redis.call at load": [load(lib("x", "redis.call('ping')"))],
    "global at load": [load(lib("x", "x = 1")), load(lib("x", "redis.x = 1"))],
    "runtime error at load": [load(lib("x", "local y = nil .. 'a'"))],
    "libraries at load": [load(lib("x", "local s = string.format('%d', 1)")),
                          load(lib("x", "local n = math.floor(1)")), load(lib("x", "error('boom')")),
                          load(lib("x", "redis.setresp(3)")), load(lib("x", "local t = tostring(1)"))],
    "no functions": [load(lib("x", "return 1")),
                     load(lib("x", "redis.log(redis.LOG_NOTICE, 'loading', 1)"))],
    "redis.log errors": [load(lib("x", "redis.log(redis.LOG_WARNING)")), load(lib("x", "redis.log(99, 'x')")),
                         load(lib("x", "redis.log('x', 'y')")), load(lib("x", "local v = redis.nosuch"))],
    "load api": [load(lib("x", "local v = {type(redis.REDIS_VERSION), type(redis.REDIS_VERSION_NUM)}")),
                 load(lib("x", "local v = redis.REDIS_VERSION .. redis.REDIS_VERSION_NUM\n"
                               "redis.register_function('v', function() return #v > 5 end)")),
                 ("FCALL", "v", "0")],
    "already exists": [load(reg("'a', %s" % FN)), load(reg("'b', %s" % FN)),
                       load(lib("u", "redis.register_function('a', %s)" % FN)),
                       load(lib("u", "redis.register_function('A', %s)" % FN)),
                       load(reg("'c', function() return 2 end"), "REPLACE"), ("FCALL", "c", "0"),
                       ("FCALL", "a", "0"), load(reg("'c', %s" % FN), "replace", "REPLACE")],
    "options": [("FUNCTION", "LOAD", "FOO", "x"), ("FUNCTION", "LOAD", "REPLACE"), ("FUNCTION", "LOAD")],
}

REGISTER_CASES = [
    "", "'a', 'b', 'c'", "'a', 'b'", "1, %s" % FN, "{}, %s" % FN, "'a-b', %s" % FN, "'', %s" % FN,
    "'a', %s) redis.register_function('a', %s" % (FN, FN),
    "'x'", "{}", "{function_name='a'}", "{callback=%s}" % FN, "{function_name={}, callback=%s}" % FN,
    "{function_name='a', callback=1}", "{function_name='a', callback=%s, flags='x'}" % FN,
    "{function_name='a', callback=%s, flags={'bad'}}" % FN, "{function_name='a', callback=%s, flags={1}}" % FN,
    "{function_name='a', callback=%s, flags={{}}}" % FN,
    "{function_name='a', callback=%s, flags={'no-writes', nil, 'bad'}}" % FN,
    "{function_name='a', callback=%s, description=1}" % FN,
    "{function_name='a', callback=%s, description={}}" % FN,
    "{function_name='a', callback=%s, foo=1}" % FN, "{function_name='a', callback=%s, [1]=1}" % FN,
    "{FUNCTION_NAME='a', CALLBACK=%s, FLAGS={'NO-WRITES', 'allow-oom'}, DESCRIPTION=''}" % FN,
    "{function_name=12.5, callback=%s}" % FN, "{function_name=7, callback=%s}" % FN,
]


@pytest.mark.parametrize("proto", [2, 3])
@pytest.mark.parametrize("case", sorted(LOAD_CASES))
def test_load_replies_match_redis(redis_server, pickledbd_server, case, proto):
    cmds = LOAD_CASES[case]
    assert session(pickledbd_server, cmds, proto) == session(redis_server, cmds, proto)


@pytest.mark.parametrize("args", REGISTER_CASES)
def test_register_function_errors_match_redis(redis_server, pickledbd_server, args):
    cmds = [load(reg(args)), ("FUNCTION", "LIST")]
    assert session(pickledbd_server, cmds) == session(redis_server, cmds)


def test_load_timeout(redis_server, pickledbd_server):
    cmds = [load(lib("inf", "local i = 0 while true do i = i + 1 end"))]
    t0 = time.monotonic()
    got = session(pickledbd_server, cmds)
    assert time.monotonic() - t0 < 2.0
    timeout = ("-", b"ERR Error registering functions: ERR FUNCTION LOAD timeout")
    assert got == session(redis_server, cmds) == [timeout]


CALLS = lib("calls", """
redis.register_function('echo', function(keys, args) return {keys, args} end)
redis.register_function{function_name='wr', callback=function(keys, args)
  redis.call('set', keys[1], args[1])
  local v = redis.call('get', keys[1])
  return v
end}
redis.register_function{function_name='rd', flags={'no-writes'},
                        callback=function(keys) local v = redis.call('get', keys[1]) return v end}
redis.register_function{function_name='rdw', flags={'no-writes'}, description='reads only',
                        callback=function(keys) local r = redis.call('set', keys[1], 'x') return r end}
redis.register_function('keysglobal', function() local k = KEYS return k end)
redis.register_function('argvglobal', function() local a = ARGV return a end)
redis.register_function('boom', function() error('boom') end)
redis.register_function('tbl', function() error({err='MY custom'}) end)
redis.register_function('resp3', function(keys)
  redis.setresp(3) local r = redis.call('hgetall', keys[1]) return r
end)
redis.register_function('types', function()
  return {1, 'two', {3}, redis.status_reply('FINE'), 3.7, true, false}
end)
redis.register_function('setg', function() x = 1 end)
redis.register_function('rawg', function() rawset(_G, 'x', 1) end)
redis.register_function('metag', function() setmetatable(_G, {}) end)
redis.register_function('metaget', function() return getmetatable(_G) end)
redis.register_function('readg', function() local v = _G.nothing return v end)
redis.register_function('strmod', function() string.x = 1 end)
redis.register_function('nocall', function() local r = redis.call('nosuch') return r end)
redis.register_function('noreg', function() redis.register_function('q', function() end) end)
redis.register_function('selecting', function(keys)
  redis.call('select', 5) local r = redis.call('get', keys[1]) return r
end)
local counter = 0
redis.register_function('upvalue', function() counter = counter + 1 return counter end)
""")

FCALL_CASES = [
    ("FCALL", "echo", "2", "k1", "k2", "a1", "a2"), ("FCALL", "ECHO", "0"), ("fcall", "Echo", "1", "k"),
    ("FCALL", "nosuch", "0"), ("FCALL", "nosuch", "x"), ("FCALL", "echo", "x"), ("FCALL", "echo", "3", "a", "b"),
    ("FCALL", "echo", "-1"), ("FCALL", "echo", "01", "k"), ("FCALL", "echo", "+1", "k"),
    ("FCALL", "echo", "99999999999999999999"), ("FCALL", "echo"), ("FCALL",),
    ("FCALL", "wr", "1", "fk", "v"), ("FCALL_RO", "wr", "1", "fk", "v"), ("FCALL_RO", "rd", "1", "fk"),
    ("FCALL", "rd", "1", "fk"), ("FCALL", "rdw", "1", "fk"), ("FCALL_RO", "rdw", "1", "fk"),
    ("FCALL_RO", "nosuch", "0"), ("FCALL_RO", "rd", "x"),
    ("FCALL", "keysglobal", "1", "k"), ("FCALL", "argvglobal", "0", "a"), ("FCALL", "boom", "0"),
    ("FCALL", "tbl", "0"), ("FCALL", "resp3", "1", "nokey"), ("FCALL", "types", "0"), ("FCALL", "setg", "0"),
    ("FCALL", "rawg", "0"), ("FCALL", "metag", "0"), ("FCALL", "metaget", "0"), ("FCALL", "readg", "0"),
    ("FCALL", "strmod", "0"),
    ("FCALL", "nocall", "0"), ("FCALL", "noreg", "0"), ("FCALL", "selecting", "1", "fk"), ("GET", "fk"),
    ("FCALL", "upvalue", "0"), ("FCALL", "upvalue", "0"),
    ("FUNCTION", "LIST", "LIBRARYNAME", "nomatch*"),
    ("FUNCTION", "STATS"),
    ("FUNCTION", "DELETE", "CALLS"), ("FUNCTION", "DELETE", "calls"), ("FCALL", "echo", "0"),
    ("FUNCTION", "DELETE", "calls"), ("FUNCTION", "STATS"),
]


@pytest.mark.parametrize("proto", [2, 3])
def test_fcall_replies_match_redis(redis_server, pickledbd_server, proto):
    cmds = [("DEL", "fk"), load(CALLS), *FCALL_CASES]
    got, want = session(pickledbd_server, cmds, proto), session(redis_server, cmds, proto)
    for cmd, g, w in zip(cmds, got, want):
        assert g == w, cmd


LIST_LIB = lib("listed", """redis.register_function{function_name='only', callback=function() return 1 end,
  flags={'allow-cross-slot-keys', 'no-cluster', 'allow-stale', 'allow-oom', 'no-writes'},
  description='the one'}""")


@pytest.mark.parametrize("proto", [2, 3])
def test_list_and_stats_match_redis(redis_server, pickledbd_server, proto):
    cmds = [("FUNCTION", "LIST"), load(LIST_LIB), ("FUNCTION", "LIST"), ("FUNCTION", "LIST", "WITHCODE"),
            ("FUNCTION", "LIST", "LIBRARYNAME", "LIST*"),
            ("FUNCTION", "LIST", "libraryname", "l?sted", "withcode"),
            ("FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "x*"), ("FUNCTION", "LIST", "LIBRARYNAME"),
            ("FUNCTION", "LIST", "WITHCODE", "WITHCODE"),
            ("FUNCTION", "LIST", "LIBRARYNAME", "a", "LIBRARYNAME", "b"),
            ("FUNCTION", "LIST", "foo"), ("FUNCTION", "STATS"), ("FUNCTION", "STATS", "x"),
            ("FUNCTION", "DUMP", "x"), ("FUNCTION", "KILL"), ("FUNCTION", "KILL", "x"),
            ("FUNCTION", "DELETE"), ("FUNCTION", "DELETE", "nosuch"),
            ("FUNCTION", "FLUSH", "x"), ("FUNCTION", "FLUSH", "sync", "x"), ("FUNCTION", "FLUSH", "ASYNC"),
            ("FUNCTION", "FLUSH", "sync"), ("FUNCTION", "LIST"), ("FUNCTION", "STATS"),
            ("FUNCTION", "NOSUCH"), ("FUNCTION",), ("FUNCTION", "HELP"), ("FUNCTION", "HELP", "x"),
            ("FUNCTION", "RESTORE"), ("FUNCTION", "RESTORE", "x", "y", "z")]
    got, want = session(pickledbd_server, cmds, proto), session(redis_server, cmds, proto)
    for cmd, g, w in zip(cmds, got, want):
        assert g == w, cmd


def test_list_of_many_libraries_matches_redis(redis_server, pickledbd_server):
    """Redis lists libraries and functions in hash order: compared sorted."""
    libs = [lib("ma", "redis.register_function('ma1', %s)\nredis.register_function('ma2', %s)" % (FN, FN)),
            lib("mb", "redis.register_function{function_name='mb1', callback=%s, description='d'}" % FN),
            lib("other", "redis.register_function('o1', %s)" % FN)]

    def listed(srv, *args):
        got = session(srv, [load(x) for x in libs] + [("FUNCTION", "LIST", *args)])[-1]
        out = []
        for entry in plain(got):
            d = dict(zip(entry[::2], entry[1::2]))
            fns = [dict(zip(f[::2], f[1::2])) for f in d.pop(b"functions")]
            out.append((d, sorted(fns, key=lambda f: f[b"name"])))
        return sorted(out, key=lambda e: e[0][b"library_name"])

    for args in ((), ("WITHCODE",), ("LIBRARYNAME", "m*")):
        assert listed(pickledbd_server, *args) == listed(redis_server, *args)


EVAL_CASES = [
    ("EVAL", "#!lua\nlocal r = redis.call('set','k','1') return r", "0"),
    ("EVAL", "#!lua flags=no-writes\nlocal r = redis.call('set','k','1') return r", "0"),
    ("EVAL", "#!lua flags=no-writes\nlocal r = redis.call('get','k') return r", "0"),
    ("EVAL_RO", "#!lua\nreturn 1", "0"), ("EVAL_RO", "#!lua flags=no-writes\nreturn 2", "0"),
    ("EVAL_RO", "return 3", "0"),
    ("EVAL", "#!lua flags=bad\nreturn 1", "0"), ("EVAL", "#!lua flags=no-writes,bad\nreturn 1", "0"),
    ("EVAL", "#!lua flags=\nreturn 4", "0"), ("EVAL", "#!lua flags=no-writes,\nreturn 1", "0"),
    ("EVAL", "#!lua flags=NO-WRITES\nreturn 1", "0"), ("EVAL", "#!lua flags=allow-cross-slot-keys\nreturn 5", "0"),
    ("EVAL", "#!lua flags=no-writes,allow-oom,allow-stale,no-cluster\nreturn KEYS[1]", "1", "kk"),
    ("EVAL", "#!lua foo=bar\nreturn 1", "0"), ("EVAL", "#!lua name=x\nreturn 1", "0"),
    ("EVAL", "#!js\nreturn 1", "0"), ("EVAL", "#!LUA\nreturn 1", "0"), ("EVAL", "#!\nreturn 1", "0"),
    ("EVAL", "#! lua\nreturn 1", "0"), ("EVAL", '#!lua "flags=no-writes"\nreturn 6', "0"),
    ("EVAL", '#!lua "flags\nreturn 6', "0"),
    ("EVAL", "#!lua  flags=no-writes  \nreturn 7", "0"), ("EVAL", "#!lua\r\nreturn 8", "0"),
    ("EVAL", "#!lua\treturn 1\nreturn 2", "0"), ("EVAL", "#!lua", "0"),
    ("EVAL", "#!lua\nerror('x')", "0"), ("EVAL", "#!lua\nreturn {", "0"),
    ("SCRIPT", "LOAD", "#!lua flags=bad\nreturn 1"), ("SCRIPT", "LOAD", "#!lua flags=no-writes\nreturn 9"),
    ("EVALSHA_RO", "8aad8e5a4adc3ad3e1d9a6e8e8a8c5b8e7b5e5e0", "0"),
]


@pytest.mark.parametrize("proto", [2, 3])
def test_eval_shebang_flags_match_redis(redis_server, pickledbd_server, proto):
    got, want = session(pickledbd_server, EVAL_CASES, proto), session(redis_server, EVAL_CASES, proto)
    for cmd, g, w in zip(EVAL_CASES, got, want):
        assert g == w, cmd
    sha = plain(session(redis_server, [("SCRIPT", "LOAD", "#!lua flags=no-writes\nreturn 9")])[0]).decode()
    cmds = [("SCRIPT", "LOAD", "#!lua flags=no-writes\nreturn 9"), ("EVALSHA_RO", sha, "0"),
            ("SCRIPT", "LOAD", "#!lua\nreturn 10"), ("EVALSHA_RO", plain(session(
                redis_server, [("SCRIPT", "LOAD", "#!lua\nreturn 10")])[0]).decode(), "0")]
    assert session(pickledbd_server, cmds, proto) == session(redis_server, cmds, proto)


OOM_LIB = lib("oom", """
redis.register_function{function_name='rw',
                        callback=function(k) local r = redis.call('set', k[1], 'x') return r end}
redis.register_function{function_name='rd', flags={'no-writes'},
                        callback=function(k) local r = redis.call('get', k[1]) return r end}
redis.register_function{function_name='rwoom', flags={'allow-oom'},
                        callback=function(k) local r = redis.call('set', k[1], 'z') return r end}
""")


def test_flags_above_maxmemory_match_redis(redis_server, pickledbd_server):
    cmds = [("CONFIG", "SET", "maxmemory", "1"),
            ("FCALL", "rw", "1", "ok"), ("FCALL", "rd", "1", "ok"), ("FCALL", "rwoom", "1", "ok"),
            ("FCALL_RO", "rd", "1", "ok"), ("FCALL", "nosuch", "1", "ok"),
            ("EVAL", "local r = redis.call('set','ok','1') return r", "0"),
            ("EVAL", "local r = redis.call('del','ok') return r", "0"),
            ("EVAL", "#!lua\nlocal r = redis.call('del','ok') return r", "0"),
            ("EVAL", "#!lua flags=no-writes\nreturn 1", "0"),
            ("EVAL", "#!lua flags=allow-oom\nlocal r = redis.call('set','ok','1') return r", "0"),
            ("EVAL", "#!lua flags=bad\nreturn 1", "0"), load(lib("x", "redis.register_function('x', %s)" % FN))]

    def run(srv):
        with RawClient(srv.host, srv.port) as c:
            c.call("FUNCTION", "FLUSH")
            c.call("FUNCTION", "LOAD", OOM_LIB)
            try:
                return [c.call(*cmd) for cmd in cmds]
            finally:
                c.call("CONFIG", "SET", "maxmemory", "0")
    got, want = run(pickledbd_server), run(redis_server)
    for cmd, g, w in zip(cmds, got, want):
        assert g == w, cmd


# ---------------------------------------------------------------------- DUMP / RESTORE
def payload(body: bytes, version: int = 10) -> bytes:
    b = body + version.to_bytes(2, "little")
    return b + crc64(b).to_bytes(8, "little")


def rdb_string(b: bytes) -> bytes:
    return (bytes((len(b),)) if len(b) < 64 else bytes((0x40 | len(b) >> 8, len(b) & 0xFF))) + b


R1 = b"#!lua name=r1\nredis.register_function('rf1', function() return 1 end)"
R2 = b"#!lua name=r2\nredis.register_function('rf1', function() return 2 end)"
R1B = b"#!lua name=r1\nredis.register_function('rf1b', function() return 11 end)"
R3 = b"#!lua name=r3\nredis.register_function('rf3', function() return 3 end)"
PRE_GA = b"redis.register_function('pg', function() return 'pre-ga' end)"


def _f2(code: bytes) -> bytes:
    return b"\xf5" + rdb_string(code)


RESTORE_CASES = [
    payload(b""), b"short", b"", payload(b"", 11), payload(b"", 9), payload(_f2(R1))[:-1] + b"\x00",
    (payload(_f2(R1)), "BAD"), (payload(_f2(R1)), "APPEND", "x"), payload(_f2(R1)), ("FCALL", "rf1", "0"),
    payload(_f2(R1)), payload(_f2(R2)), (payload(_f2(R1B)), "REPLACE"), ("FCALL", "rf1b", "0"),
    ("FCALL", "rf1", "0"), (payload(_f2(R2)), "replace"), (payload(_f2(R2)), "flush"), ("FCALL", "rf1", "0"),
    payload(b"\x00" + rdb_string(R2)), payload(_f2(b"#!lua name=bad\nreturn")), payload(_f2(b"xx")),
    payload(b"\xf5\x50"), payload(b"\xf5"), payload(b"\xf5\xc0\x05"), payload(b"\xf5\xc3\x05\x05ab"),
    payload(_f2(R1) + _f2(R1)), payload(_f2(R1) + _f2(R1B)), payload(_f2(R1) + _f2(R2.replace(b"r2", b"r9"))),
    (payload(_f2(R1) + _f2(R3)), "FLUSH"), ("FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "r1"),
    (payload(_f2(R3) + b"\x00"), "FLUSH"), ("FCALL", "rf3", "0"),
    payload(b"\xf6" + rdb_string(b"pglib") + rdb_string(b"LUA") + b"\x01" + rdb_string(b"desc")
            + rdb_string(PRE_GA)),
    ("FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "pglib"), ("FCALL", "pg", "0"),
    payload(b"\xf6" + rdb_string(b"pglib3")), payload(b"\xf6"),
    payload(b"\xf6" + rdb_string(b"pglib3") + rdb_string(b"lua") + b"\x01"),
    payload(b"\xf6" + rdb_string(b"pglib3") + rdb_string(b"lua") + b"\x00"),
    b"\x00" * 10, b"\n\x00" + b"\x00" * 8, payload(_f2(R1)) + b"x",
]


def test_restore_time_limit(pickledbd_server):
    """redis-server 7.0 runs a restored library's code without a time limit (a payload can hold
    the server forever); here it gets FUNCTION LOAD's 500 ms."""
    code = lib("slow", "local i = 0 while true do i = i + 1 end").encode()
    t0 = time.monotonic()
    got = session(pickledbd_server, [("FUNCTION", "RESTORE", payload(_f2(R1) + _f2(code))), ("FUNCTION", "LIST")])
    assert time.monotonic() - t0 < 2.0
    assert got == [("-", b"ERR Error registering functions: ERR FUNCTION LOAD timeout"), ("*", [])]


def _restore_cmd(case):
    if isinstance(case, bytes):
        return ("FUNCTION", "RESTORE", case)
    if isinstance(case[0], bytes):
        return ("FUNCTION", "RESTORE", *case)
    return case


def test_restore_replies_match_redis(redis_server, pickledbd_server):
    cmds = [_restore_cmd(x) for x in RESTORE_CASES]
    got, want = session(pickledbd_server, cmds), session(redis_server, cmds)
    for cmd, g, w in zip(cmds, got, want):
        assert g == w, cmd


DUMPED = [lib("d1", "redis.register_function{function_name='d1f', callback=function(keys, args) "
                    "return 'd1:' .. (args[1] or '') end, flags={'no-writes'}, description='first library'}\n"
                    "-- " + "padding that compresses well " * 20),
          lib("d2", "redis.register_function('d2f', function(keys) return redis.call('incr', keys[1]) end)")]


def _bulk(srv, *args) -> bytes:
    with RawClient(srv.host, srv.port) as c:
        t, v = c.call(*args)
    assert t == "$", v
    return v


@pytest.mark.parametrize("direction", ["redis->pickledbd", "pickledbd->redis"])
def test_dump_restores_on_the_other_server(redis_server, pickledbd_server, direction):
    src, dst = ((redis_server, pickledbd_server) if direction == "redis->pickledbd"
                else (pickledbd_server, redis_server))
    session(src, [load(x) for x in DUMPED])
    data = _bulk(src, "FUNCTION", "DUMP")
    if src is redis_server:
        assert b"\xc3" in data          # LZF-compressed by redis-server: decoded here
    assert sorted(library_codes(data)) == sorted(x.encode() for x in DUMPED)
    cmds = [("DEL", "dumpcount"), ("FUNCTION", "RESTORE", data), ("FCALL_RO", "d1f", "0", "x"),
            ("FCALL", "d2f", "1", "dumpcount"), ("FUNCTION", "RESTORE", data),
            ("FUNCTION", "RESTORE", data, "REPLACE"),
            ("FUNCTION", "LIST", "WITHCODE")]
    got = session(dst, cmds)
    assert got[1:4] == [("+", b"OK"), ("$", b"d1:x"), (":", 1)]
    assert got[4] in (("-", b"ERR Library d1 already exists"), ("-", b"ERR Library d2 already exists"))
    assert got[5] == ("+", b"OK")
    codes = sorted(dict(zip(e[::2], e[1::2]))[b"library_code"] for e in plain(got[6]))
    assert codes == sorted(x.encode() for x in DUMPED)


def test_dump_payload_of_pickledbd_is_redis_format(pickledbd_server):
    session(pickledbd_server, [load(x) for x in DUMPED])
    data = _bulk(pickledbd_server, "FUNCTION", "DUMP")
    assert data == dump_payload([x.encode() for x in DUMPED])
    assert data[-10:-8] == b"\x0a\x00" and crc64(data[:-8]) == int.from_bytes(data[-8:], "little")
    assert session(pickledbd_server, [("FUNCTION", "DUMP")])[0] == ("$", payload(b""))


def test_lzf_decoder_refuses_bad_streams():
    assert lzf_decompress(b"\x02abc", 3) == b"abc"
    assert lzf_decompress(b"\x00a\xe0\x00\x00", 10) == b"a" * 10     # an overlapping back reference
    assert lzf_decompress(b"\x01ab\x20\x01", 5) == b"ababa"
    assert lzf_decompress(b"\x02abc", 4) is None                      # wrong length
    assert lzf_decompress(b"\x05ab", 6) is None                       # truncated literal
    assert lzf_decompress(b"\x20\x05", 3) is None                     # reference before the start
    assert lzf_decompress(b"\x00a", 1 << 40) is None                  # a length no stream reaches


# ---------------------------------------------------------------------- replication
PROP_LIB = lib("plib", """
redis.register_function('pset', function(keys, args) return redis.call('set', keys[1], args[1]) end)
redis.register_function('pmulti', function(keys)
  redis.call('incr', keys[1]) redis.call('incr', keys[2]) return 1
end)
redis.register_function{function_name='pget', flags={'no-writes'},
                        callback=function(keys) return redis.call('get', keys[1]) end}
""")


def test_propagation_matches_redis(redis_server, pickledbd_server):
    restore = payload(_f2(R3))
    cmds = [("FUNCTION", "FLUSH"), load(PROP_LIB), ("FCALL", "pset", "1", "pk", "v"),
            ("FCALL", "pmulti", "2", "pk1", "pk2"), ("FCALL_RO", "pget", "1", "pk"),
            ("SELECT", "3"), ("FCALL", "pset", "1", "pk", "db3"), ("SELECT", "0"),
            load(lib("bad", "return {")), ("FUNCTION", "DELETE", "nosuchlib"), ("FCALL", "nosuch", "0"),
            ("FUNCTION", "RESTORE", restore), ("FUNCTION", "RESTORE", restore),
            ("FUNCTION", "RESTORE", restore, "REPLACE"), ("FUNCTION", "DELETE", "r3"),
            load(PROP_LIB, "REPLACE"), ("MULTI",), ("FCALL", "pset", "1", "pm", "1"),
            ("FUNCTION", "DELETE", "plib"),
            load(PROP_LIB), ("FCALL", "pmulti", "2", "pm", "pm"), ("EXEC",),
            ("COMMAND", "GETKEYS", "FCALL", "pset", "2", "ka", "kb", "arg"),
            ("FUNCTION", "FLUSH", "ASYNC"), ("FUNCTION", "FLUSH"),
            ("DEL", "pk", "pk1", "pk2", "pm"), ("SELECT", "3"), ("DEL", "pk")]
    got, replies = capture(pickledbd_server, cmds, with_replies=True)
    want, want_replies = capture(redis_server, cmds, with_replies=True)
    assert got == want
    assert replies == want_replies


def test_monitor_shows_fcall_before_its_commands(pickledbd_server, redis_server):
    def watch(srv):
        session(srv, [load(PROP_LIB)])
        with RawClient(srv.host, srv.port) as m, RawClient(srv.host, srv.port) as c:
            m.call("MONITOR")
            c.call("FCALL", "pset", "1", "mk", "v")
            c.call("FCALL", "nosuch", "0")
            c.call("PING")
            lines = []
            while not lines or b'"PING"' not in lines[-1]:
                lines.append(m.read_reply()[1])
        return [line.split(b"] ", 1)[1] if b"] " in line else line for line in lines]
    assert watch(pickledbd_server) == watch(redis_server)


# ---------------------------------------------------------------------- clients
def test_redis_py_function_api(pickledbd_server):
    r = pickledbd_server.client()
    r.function_flush()
    assert r.function_load(PROP_LIB) == b"plib"
    assert r.fcall("pset", 1, "pyk", "v") == b"OK"
    assert r.fcall_ro("pget", 1, "pyk") == b"v"
    with pytest.raises(redis.ResponseError, match="Can not execute a script with write flag"):
        r.fcall_ro("pset", 1, "pyk", "w")
    listed = pickledbd_server.client(protocol=3).function_list(library="pl*", withcode=True)
    assert listed[0][b"library_name"] == b"plib" and listed[0][b"library_code"] == PROP_LIB.encode()
    dumped = r.function_dump()
    assert r.function_delete("plib") in (True, b"OK")
    assert r.function_restore(dumped) in (True, b"OK")
    assert r.function_stats() == [b"running_script", None, b"engines",
                                  [b"LUA", [b"libraries_count", 1, b"functions_count", 3]]]
    r3 = pickledbd_server.client(protocol=3)
    assert r3.function_stats() == {b"running_script": None,
                                   b"engines": {b"LUA": {b"libraries_count": 1, b"functions_count": 3}}}
    r.delete("pyk")


def test_misconf_refuses_writing_functions_in_process():
    """A failed background save (no redis-server oracle: it needs a disk error)."""
    from pickledbd.daemon.inprocess import LocalServer
    srv = LocalServer()
    c = srv.client()
    assert srv.request(c, "FUNCTION", "LOAD", OOM_LIB) == b"$3\r\noom\r\n"
    srv.engine.refresh_gates(True, False)
    assert srv.request(c, "FCALL", "rw", "1", "k").startswith(b"-MISCONF ")
    assert srv.request(c, "EVAL", "#!lua\nreturn 1", "0").startswith(b"-MISCONF ")
    assert srv.request(c, "FCALL", "rd", "1", "k") == b"$-1\r\n"
    assert srv.request(c, "EVAL", "#!lua flags=no-writes\nreturn 1", "0") == b":1\r\n"
    srv.engine.refresh_gates(False, False)
    assert srv.request(c, "FCALL", "rw", "1", "k") == b"+OK\r\n"


# ---------------------------------------------------------------------- busy functions
BUSY_LIB = lib("busy", """
redis.register_function('spin', function() local i = 0 while true do i = i + 1 end end)
redis.register_function('wspin', function(keys)
  redis.call('set', keys[1], '1') local i = 0 while true do i = i + 1 end
end)
redis.register_function('pspin', function()
  while true do pcall(function() local i = 0 while true do i = i + 1 end end) end
end)
""")


@pytest.fixture(params=["redis", "pickledbd"])
def busy_server(request, tmp_path):
    if request.param == "redis" and redis_server_binary() is None:
        pytest.skip("no redis-server")
    cls = RedisServer if request.param == "redis" else PickledbdServer
    srv = start_with_retry(lambda: cls(tmp_path, extra_args=["--busy-reply-threshold", "300"]))
    try:
        assert srv.client().function_load(BUSY_LIB) == b"busy"
        yield srv
    finally:
        srv.stop()


def _one(srv, *args):
    with RawClient(srv.host, srv.port) as c:
        return c.call(*args)


def _in_thread(srv, *args):
    out = {}

    def target():
        with RawClient(srv.host, srv.port, timeout=20) as c:
            try:
                out["reply"] = c.call(*args)
            except Exception as e:  # noqa: BLE001 - the server went away
                out["error"] = e
    t = threading.Thread(target=target, daemon=True)
    t.start()
    time.sleep(0.8)
    return t, out


BUSY_FUNCTION = b"BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
BUSY_EVAL = b"BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."


def test_busy_function_answers_others_and_is_killed(busy_server):
    srv = busy_server
    t, out = _in_thread(srv, "FCALL", "spin", "0")
    assert _one(srv, "GET", "k") == ("-", BUSY_FUNCTION)
    assert _one(srv, "FUNCTION", "LOAD", "#!lua name=x\n") == ("-", BUSY_FUNCTION)
    stats = dict(zip(*[iter(plain(_one(srv, "FUNCTION", "STATS")))] * 2))
    running = dict(zip(*[iter(stats[b"running_script"])] * 2))
    assert running[b"name"] == b"spin" and running[b"command"] == [b"FCALL", b"spin", b"0"]
    assert running[b"duration_ms"] >= 300
    assert stats[b"engines"] == [b"LUA", [b"libraries_count", 1, b"functions_count", 3]]
    assert _one(srv, "SCRIPT", "KILL") == ("-", BUSY_FUNCTION)
    assert _one(srv, "FUNCTION", "KILL") == ("+", b"OK")
    t.join(5)
    assert not t.is_alive()
    assert out["reply"] == ("-", b"ERR Script killed by user with SCRIPT KILL... script: spin, "
                                 b"on @user_function:3.")
    assert _one(srv, "FUNCTION", "KILL") == ("-", b"NOTBUSY No scripts in execution right now.")
    assert _one(srv, "PING") == ("+", b"PONG")


def test_a_killed_function_cannot_catch_the_kill(busy_server):
    srv = busy_server
    t, out = _in_thread(srv, "FCALL", "pspin", "0")
    assert _one(srv, "FUNCTION", "KILL") == ("+", b"OK")
    t.join(5)
    assert not t.is_alive() and out["reply"][1].startswith(b"ERR Script killed by user with SCRIPT KILL...")


def test_busy_eval_and_function_stats(busy_server):
    srv = busy_server
    t, _ = _in_thread(srv, "EVAL", "local i = 0 while true do i = i + 1 end", "0")
    assert _one(srv, "FUNCTION", "STATS") == ("-", BUSY_EVAL)
    assert _one(srv, "FUNCTION", "KILL") == ("-", BUSY_EVAL)
    assert _one(srv, "SCRIPT", "KILL") == ("+", b"OK")
    t.join(5)
    assert not t.is_alive()


def test_a_function_that_wrote_is_unkillable(busy_server):
    srv = busy_server
    t, _ = _in_thread(srv, "FCALL", "wspin", "1", "busy:w")
    unkillable = ("-", b"UNKILLABLE Sorry the script already executed write commands against the dataset. You "
                       b"can either wait the script termination or kill the server in a hard way using the "
                       b"SHUTDOWN NOSAVE command.")
    assert _one(srv, "FUNCTION", "KILL") == unkillable
    assert _one(srv, "SCRIPT", "KILL") == unkillable
    with srv.connect() as s:
        s.sendall(b"SHUTDOWN NOSAVE\r\n")
        s.settimeout(5)
        assert s.recv(100) == b""
    assert srv.proc.wait(10) == 0
    t.join(5)


# ---------------------------------------------------------------------- saved with the data
SAVED = [lib("saved", "redis.register_function{function_name='sv', callback=function(keys, args) "
                      "return redis.call('incrby', keys[1], args[1]) end, description='kept'}"),
         lib("saved2", "redis.register_function{function_name='sv2', callback=function() return 'two' end, "
                       "flags={'no-writes'}}\n-- \xe9t\xe9")]


def _libraries(srv) -> list:
    return sorted(plain(_one(srv, "FUNCTION", "LIST", "WITHCODE")))


@pytest.mark.parametrize("dbfilename", ["dump.json", "dump.sqlite3"])
@pytest.mark.parametrize("how", ["SAVE", "BGSAVE", "shutdown"])
def test_functions_survive_restart(start_pickledbd, tmp_path, dbfilename, how):
    flags = ["--dbfilename", dbfilename]
    if how == "shutdown":
        flags += ["--save", "3600 1"]
    srv = start_pickledbd(*flags, dir=tmp_path)
    r = srv.client()
    for code in SAVED:
        r.function_load(code)
    r.set("plain", "1")
    before = _libraries(srv)
    dumped = r.function_dump()
    if how == "SAVE":
        assert r.save()
    elif how == "BGSAVE":
        r.bgsave()
        deadline = time.monotonic() + 10
        while r.info("persistence")["rdb_saves"] == 0:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    srv.restart()
    r = srv.client()
    assert _libraries(srv) == before
    assert r.function_dump() == dumped                      # same libraries, same order
    assert r.fcall("sv", 1, "plain", 41) == 42
    assert r.fcall_ro("sv2", 0) == b"two"
    stats = srv.client(protocol=3).function_stats()
    assert stats[b"engines"][b"LUA"] == {b"libraries_count": 2, b"functions_count": 2}
    r.function_delete("saved")                             # a deletion is saved too
    r.save()
    srv.restart()
    assert [e[b"library_name"] for e in srv.client(protocol=3).function_list()] == [b"saved2"]


def test_function_changes_count_for_the_save_rules(start_pickledbd, tmp_path):
    srv = start_pickledbd("--save", "1 1", dir=tmp_path)
    r = srv.client()
    r.function_load(SAVED[1])
    deadline = time.monotonic() + 10
    while r.info("persistence")["rdb_changes_since_last_save"]:
        assert time.monotonic() < deadline, "no background save after FUNCTION LOAD"
        time.sleep(0.1)
    doc = orjson.loads((tmp_path / "dump.json").read_bytes())
    assert doc["__pickledbd__"]["functions"] == [SAVED[1]]


def _start_fails(tmp_path, dbfilename):
    res = subprocess.run([sys.executable, "-m", "pickledbd", "--port", str(free_port()), "--dir", str(tmp_path),
                          "--dbfilename", dbfilename, "--save", ""],
                         cwd=str(REPO_ROOT), capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert res.returncode != 0
    lines = [x for x in res.stderr.splitlines() if x.strip()]
    assert len(lines) == 1, res.stderr
    return lines[0]


BAD_LIB = lib("broken", "return {")


def test_a_corrupt_library_refuses_to_start_json(tmp_path):
    path = tmp_path / "dump.json"
    content = orjson.dumps({"k": "v", "__pickledbd__": {"format": 1, "functions": [SAVED[1], BAD_LIB]}})
    path.write_bytes(content)
    msg = _start_fails(tmp_path, "dump.json")
    assert "dump.json" in msg and "#!lua name=broken" in msg and "Error compiling function" in msg
    assert path.read_bytes() == content
    path.write_bytes(orjson.dumps({"__pickledbd__": {"format": 1, "functions": 5}}))
    assert "functions section is a number" in _start_fails(tmp_path, "dump.json")


def test_a_corrupt_library_refuses_to_start_sqlite(tmp_path):
    path = tmp_path / "dump.sqlite3"
    st = SQLiteStorage(str(path))
    st.save(State(dbs={0: {"k": "v"}}, functions=[lib("dup", "redis.register_function('d', %s)" % FN),
                                                  lib("dup2", "redis.register_function('d', %s)" % FN)]))
    st.close()
    before = path.read_bytes()
    msg = _start_fails(tmp_path, "dump.sqlite3")
    assert "dump.sqlite3" in msg and "#!lua name=dup2" in msg and "Function d already exists" in msg
    assert path.read_bytes() == before


BINARY_CODE = lib("bin", "redis.register_function('bin', function() return '\udcff\udcfe' end)")


@pytest.mark.parametrize("name", ["db.json", "db.sqlite3"])
def test_storage_round_trips_libraries(tmp_path, name):
    path = str(tmp_path / name)
    st = JSONStorage(path) if name.endswith(".json") else SQLiteStorage(path)
    st.save(State(dbs={0: {"a": "1"}}, functions=[SAVED[0], BINARY_CODE]))
    assert st.load().functions == [SAVED[0], BINARY_CODE]
    st.save(State(dbs={0: {"a": "1"}}))                    # none left: none saved
    assert st.load().functions == []
    st.close()
    if name.endswith(".json"):
        st.save(State(dbs={0: {"a": "1"}}, functions=[BINARY_CODE]))
        meta = orjson.loads(Path(path).read_bytes())["__pickledbd__"]
        assert list(meta["functions"][0]) == ["b64"]      # not UTF-8: base64
    else:
        with sqlite3.connect(path) as conn:
            assert conn.execute("SELECT count(*) FROM functions").fetchone() == (0,)


@pytest.mark.parametrize("name", ["lib.json", "lib.sqlite3"])
def test_pickledb_library_keeps_the_daemons_functions(tmp_path, name):
    path = str(tmp_path / name)
    st = JSONStorage(path) if name.endswith(".json") else SQLiteStorage(path)
    st.save(State(dbs={0: {"a": "1"}}, functions=list(SAVED)))
    st.close()
    db = PickleDB(path).load()
    db.set("b", "2")                # a plain database 0: the library's fast save path
    db.save()
    db.remove("a")
    db.save()
    db.close()
    st = JSONStorage(path) if name.endswith(".json") else SQLiteStorage(path)
    state = st.load()
    assert state.functions == SAVED and state.dbs[0] == {"b": "2"}
    st.close()


def test_daemon_loads_functions_a_library_user_kept(start_pickledbd, tmp_path):
    st = JSONStorage(str(tmp_path / "dump.json"))
    st.save(State(dbs={0: {"n": "1"}}, functions=[SAVED[0]]))
    db = PickleDB(str(tmp_path / "dump.json")).load()
    db.set("n", "5")
    db.save()
    srv = start_pickledbd(dir=tmp_path)
    assert srv.client().fcall("sv", 1, "n", 1) == 6
