"""The Lua libraries Redis loads (cjson, cmsgpack, bit, struct), side by side with
redis-server 7.0: a differential corpus (tests/corpus/scripting_libs.lua plus seeded random
inputs, see scripting_libs_cases.py) whose replies must be identical, error texts included;
the one known deviation (errors of a library call in tail position); hostile inputs that
would exhaust Redis but must leave pickledbd serving."""
from __future__ import annotations

import re
import time

import pytest
from diff_resp import RawClient
from scripting_libs_cases import PRELUDE, cases

CASES = cases()


@pytest.fixture(scope="module")
def clients(redis_server, pickledbd_server):
    with RawClient(redis_server.host, redis_server.port, timeout=60) as r, \
            RawClient(pickledbd_server.host, pickledbd_server.port, timeout=60) as p:
        yield r, p


@pytest.mark.parametrize("name,body", CASES, ids=[c[0] for c in CASES])
def test_corpus(clients, name, body):
    r, p = clients
    script = PRELUDE + body
    expected = r.call("EVAL", script, "0")
    got = p.call("EVAL", script, "0")
    assert got == expected


def test_corpus_is_substantial():
    names = [n for n, _ in CASES]
    assert len(names) == len(set(names))
    assert len(names) > 400
    for lib in ("json-", "msgpack-", "bit-", "struct-"):
        assert sum(n.startswith(lib) for n in names) >= 8


# A library function called in tail position (``return cjson.decode(x)``) replaces the
# script's frame: these libraries are Lua functions here, C functions in Redis, so the
# error loses the "user_script:N: " prefix and the runtime cannot name the line.
TAIL_CALLS = [
    "return cjson.decode('{')",
    "return cjson.encode(function() end)",
    "return cmsgpack.unpack('\\146')",
    "return struct.unpack('i', 'ab')",
    "return bit.band({})",
]


def _core(message: bytes) -> bytes:
    """An error text without Redis's position prefix and script suffix."""
    message = re.sub(rb" script: \w+, on .*$", b"", message)
    return re.sub(rb"^ERR user_script:\d+: ", b"ERR ", message)


@pytest.mark.parametrize("script", TAIL_CALLS)
def test_tail_call_errors_keep_their_message(clients, script):
    r, p = clients
    expected = r.call("EVAL", script, "0")
    got = p.call("EVAL", script, "0")
    assert expected[0] == got[0] == "-"
    core = _core(got[1]).replace(b"'?'", b"'%s'" % re.search(rb"\.(\w+)\(", script.encode()).group(1))
    assert core == _core(expected[1])


def test_config_is_per_instance_and_persists(clients):
    """The module's configuration lives with the interpreter, as in Redis: a change made by
    one script is seen by the next (restored here to keep the corpus independent)."""
    for c in clients:
        assert c.call("EVAL", "return cjson.encode_number_precision(3)", "0") == (":", 3)
        assert c.call("EVAL", "return cjson.encode(1/3)", "0") == ("$", b"0.333")
        assert c.call("EVAL", "return cjson.new().encode(1/3)", "0") == ("$", b"0.33333333333333")
        assert c.call("EVAL", "return cjson.encode_number_precision(14)", "0") == (":", 14)


# ---------------------------------------------------------------------------- hostile input
# Each of these would make Redis itself allocate gigabytes or loop for ever in C code; here
# they must fail fast (or finish) and leave the server answering other clients.
HOSTILE = [
    # sparse arrays allowed: an array of a billion nulls
    ("local cj = cjson.new() cj.encode_sparse_array(false, 0) return cj.encode({[1e9] = 1})",
     b"not enough memory"),
    # a table referencing its subtables many times over: exponential output
    ("local t = {} for i = 1, 30 do t = {t, t, t, t, t, t, t, t} end return #cjson.encode(t)",
     b"not enough memory"),
    ("local t = 'x' for i = 1, 15 do t = {t, t, t, t, t, t, t, t} end return #cmsgpack.pack(t)",
     b"not enough memory"),
    # wide instead of deep: 25 million values
    ("local x = {} for i = 1, 5000 do x[i] = i end local t = {} for i = 1, 5000 do t[i] = x end "
     "return #cjson.encode(t)", b"not enough memory"),
    ("local x = {} for i = 1, 5000 do x[i] = i end local t = {} for i = 1, 5000 do t[i] = x end "
     "return #cmsgpack.pack(t)", b"not enough memory"),
]


@pytest.mark.parametrize("script,error", HOSTILE)
def test_hostile_scripts_fail_fast(pickledbd_server, script, error):
    with RawClient(pickledbd_server.host, pickledbd_server.port, timeout=60) as c:
        t0 = time.monotonic()
        reply = c.call("EVAL", script, "0")
        elapsed = time.monotonic() - t0
        assert reply[0] == "-" and error in reply[1], reply
        assert elapsed < 30
        assert c.call("PING") == ("+", b"PONG")


def test_large_legitimate_values_pass(clients):
    """The work limits leave room for big data: a million-element array, 100,000 objects."""
    script = """
    local t = {}
    for i = 1, 1000000 do t[i] = i * 3 end
    local o = {}
    for i = 1, 100000 do o[i] = {id = i, name = 'n' .. i} end
    local a, b = cjson.encode(t), cmsgpack.pack(o)
    return {#a, redis.sha1hex(a), #b, #cjson.encode(cjson.decode(a)), #cmsgpack.pack(cmsgpack.unpack(b))}
    """
    r, p = clients
    assert p.call("EVAL", script, "0") == r.call("EVAL", script, "0")


def test_hostile_inputs_bounded(pickledbd_server):
    """Malformed input with huge declared sizes or nesting costs no more than its length."""
    scripts = [
        ("return cmsgpack.unpack('\\221\\127\\255\\255\\255')", b"Missing bytes in input."),
        ("return cmsgpack.unpack('\\219\\255\\255\\255\\255abc')", b"Missing bytes in input."),
        ("return struct.unpack('c2000000000', 'abc')", b"data string too short"),
        ("return struct.pack('c2000000000', 'x')", b"string too short"),
        ("return cjson.decode(string.rep('[', 1000000))", b"Found too many nested data structures (1001)"),
        ("local cj = cjson.new() cj.decode_max_depth(2^31 - 1) return cj.decode(string.rep('[', 1000000))",
         b"Found too many nested data structures (7999)"),
        ("return #cmsgpack.unpack(string.rep('\\145', 1000000))",
         b"stack overflow (in function mp_decode_to_lua_array)"),
        ("return struct.size(string.rep('i', 100000) .. 'i99999999999')", b"integral size overflow"),
    ]
    with RawClient(pickledbd_server.host, pickledbd_server.port, timeout=60) as c:
        for script, error in scripts:
            t0 = time.monotonic()
            reply = c.call("EVAL", script, "0")
            assert reply[0] == "-" and error in reply[1], (script, reply)
            assert time.monotonic() - t0 < 10, script


def test_scripts_cannot_reach_python(pickledbd_server):
    """The libraries hold only Lua functions, strings and cjson.null; what they give back is
    Lua data (a Python object would be a userdata with lupa's metatable)."""
    script = """
    local seen = {}
    for _, lib in ipairs({cjson, cmsgpack, bit, struct}) do
      for k, v in pairs(lib) do
        local t = type(v)
        if t ~= 'function' and t ~= 'string' and not (k == 'null' and v == cjson.null) then
          seen[#seen + 1] = k .. ':' .. t
        end
      end
    end
    local values = {cjson.decode('[1,"a",{"b":true},null]'), cmsgpack.unpack(cmsgpack.pack({1, {2}, 'x'})),
                    struct.unpack('>i', '\\0\\0\\0\\1'), bit.band(3, 1), cjson.encode({1}), cjson.new()}
    local function walk(v)
      local t = type(v)
      if t == 'userdata' and v ~= cjson.null then seen[#seen + 1] = 'userdata' end
      if t == 'function' and v ~= cjson.new and v ~= values[6].new then
        local ok = pcall(string.dump, v)
        if ok then seen[#seen + 1] = 'dumpable function' end
      end
      if t == 'table' then for k, x in pairs(v) do walk(k) walk(x) end end
    end
    walk(values)
    local ok = pcall(function() return cjson.null.x end)
    seen[#seen + 1] = tostring(ok)
    return seen
    """
    with RawClient(pickledbd_server.host, pickledbd_server.port) as c:
        assert c.call("EVAL", script, "0") == ("*", [("$", b"false")])
