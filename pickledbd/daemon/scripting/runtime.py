"""The Lua 5.1 runtime (lupa), Redis's sandbox and ``redis`` API, the EVAL script cache.

A script runs atomically in the event loop, as in Redis: its ``redis.call``s go through the
engine's ``call()`` as the "lua" client (its own database and protocol, nothing blocks), so
statistics, MONITOR, keyspace events and propagation are those of any command; what it
wrote reaches replicas as the commands it ran (MULTI/EXEC when several).

Sandbox: scripts see only the libraries Redis loads; the Python side is reachable only
through the closures the prelude keeps as upvalues (no global, no attribute access on
Python objects: lupa's attribute filter refuses everything); globals cannot be created.

Busy scripts: a count hook runs every ``HOOK_EVERY`` Lua instructions. Past
``busy-reply-threshold`` it lets the network layer answer other clients (``-BUSY`` to all
but the few commands flagged allow-busy) and accepts SCRIPT KILL, FUNCTION KILL and
SHUTDOWN NOSAVE; a killed script raises an error on every following line (``pcall``
cannot swallow it).
"""
from __future__ import annotations

import hashlib
import logging
import time

from lupa import LuaError, lua51

from ...version import REDIS_VERSION
from ..errors import RedisError
from ..protocol.reply import Status
from . import libs
from .convert import ENCODER, ToLua, c_int, format_number, lua_string, lua_tonumber
from .flags import (EVAL_COMPAT, allow_oom_run, eval_flags_or_compat, eval_shebang, gate_error, prepare_error,
                    read_only_run)
from .functions import Functions

log = logging.getLogger("pickledbd")

HOOK_EVERY = 100_000          # Lua instructions between two busy checks (Redis: 100000)
SLOW_SCRIPT = ("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.",
               "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.")
KILLED = b"ERR Script killed by user with SCRIPT KILL..."      # FUNCTION KILL's too, as in Redis 7.0
SHUTDOWN_KILLED = b"ERR Script killed by user with SHUTDOWN NOSAVE..."
REPL_NONE, REPL_AOF, REPL_REPLICA, REPL_ALL = 0, 1, 2, 3

_LOG_LEVELS = {0: logging.DEBUG, 1: logging.INFO, 2: logging.INFO, 3: logging.WARNING}
_VERBOSITY = {"debug": 0, "verbose": 1, "notice": 2, "warning": 3, "nothing": 4}
LUA_MAX_MEMORY = 1 << 30     # the Lua heap's cap: past it scripts get "not enough memory" (Redis: none)
MAX_LUA_ARGS = 200           # keys and arguments passed on Lua's stack; more go as two tables


def _version_num(v: str) -> int:
    major, minor, patch = (int(x) for x in v.split("."))
    return (major << 16) | (minor << 8) | patch


# The prelude runs once per runtime (chunk "=redis"). It receives the Python callbacks and keeps
# them as upvalues of the functions it builds, so no script can reach them.
PRELUDE = rb"""
local as_function, py, redis_version, version_num, hook_every, encode = ...
local G = _G
local error, type, tostring, tonumber, select, pairs, next, rawget, rawset, rawequal, pcall, xpcall =
      error, type, tostring, tonumber, select, pairs, next, rawget, rawset, rawequal, pcall, xpcall
local setmetatable, getmetatable, loadstring, load, setfenv, collectgarbage =
      setmetatable, getmetatable, loadstring, load, setfenv, collectgarbage
local string, table, math, coroutine = string, table, math, coroutine
local format, byte, sub, match, find, gsub = string.format, string.byte, string.sub, string.match,
      string.find, string.gsub
local floor, ceil = math.floor, math.ceil
local getinfo, sethook, dgetmetatable, dsetmetatable = debug.getinfo, debug.sethook, debug.getmetatable,
      debug.setmetatable
local INTERNAL = '=redis'               -- the chunk name of this code (and of the functions loader)

-- Errors raised by Python functions reach Lua as the Python exception (a userdata of lupa's);
-- every place a script can see an error value gets the Lua value it carries instead.
local py_mt = dgetmetatable(py.call)
local unwrap_py = py.unwrap
local function unwrap(e)
  if dgetmetatable(e) == py_mt then return unwrap_py(e) end
  return e
end

local function cstr(s) return (match(s, '^[^%z]*')) end     -- a Lua string as C sees it

-- luaL_argerror / luaL_typerror for the API function ``up`` levels above the caller of these
-- helpers: the name it was called by, the position of its caller
-- ``up``: the helper frames between the API function and argerror
local function argerror(narg, extramsg, up)
  up = up or 0
  local ar = getinfo(2 + up, 'n')
  local name = ar and ar.name
  if ar and ar.namewhat == 'method' then
    narg = narg - 1
    if narg == 0 then error(format("calling '%s' on bad self (%s)", tostring(name), extramsg), 3 + up) end
  end
  error(format("bad argument #%d to '%s' (%s)", narg, name or '?', extramsg), 3 + up)
end
local function typeerror(up, narg, tname, given, ...)   -- given: select('#', ...) of the API call
  local got = narg > given and 'no value' or type((select(narg, ...)))
  argerror(narg, tname .. ' expected, got ' .. got, up + 1)
end

-- the functions scripts get from this code: Lua functions that Redis has in C
local builtin = setmetatable({}, {__mode = 'k'})
local function is_c(f)
  if builtin[f] then return true end
  local info = getinfo(f, 'S')
  return info.what == 'C' or info.source == INTERNAL
end
local function api(f) builtin[f] = true return f end

-- Read-only tables: a library table is seen through an empty proxy, so that every write,
-- to a new name or an existing one, is an error. The globals table itself is a plain table
-- (so that `rawget(_G, name)` and `pairs(_G)` see the globals) whose metatable refuses new
-- names and reports unknown ones; what a script assigns to an existing global is put back
-- when it ends. Tables that pass through an API function are seen through their proxies.
local READONLY = 'Attempt to modify a readonly table'
local proxied = setmetatable({}, {__mode = 'k'})     -- proxy -> the table it shows
local env = {}
local function readonly_newindex() error(READONLY, 2) end
local function protect(t)
  local p = setmetatable({}, {__index = t, __newindex = readonly_newindex, __metatable = false})
  proxied[p] = t
  return p
end
local function is_readonly(t) return t == env or proxied[t] ~= nil end

-- luaProtectedTableError, the globals' __index
local function missing_global(...)
  if select('#', ...) ~= 2 then error('Wrong number of arguments to luaProtectedTableError', 2) end
  local _, k = ...
  local kt = type(k)
  if kt ~= 'string' and kt ~= 'number' then
    error('Second argument to luaProtectedTableError must be a string or number', 2)
  end
  error("Script attempted to access nonexistent global variable '" .. cstr(tostring(k)) .. "'", 2)
end
api(missing_global)
local globals_mt = protect({__index = missing_global})      -- what getmetatable(_G) shows
local string_mt = protect({})                              -- what getmetatable('') shows

-- Redis's error handler: the error as a table with the source and line of the script's code
-- that raised it (a C function's caller; this file's functions are C functions in Redis)
local function err_handler(err)
  err = unwrap(err)
  local level = 2
  local i = getinfo(level, 'nSl')
  if i and i.what == 'C' then
    level = 3
    i = getinfo(level, 'nSl')
  end
  -- a tail call in this file's code leaves a "(tail call)" level where its frame was: past
  -- it is the script's code that called in (the tail level stays when no Lua code is there)
  local tail
  while i and (i.source == INTERNAL or i.what == 'tail') do
    if i.what == 'tail' then tail = tail or i end
    level = level + 1
    i = getinfo(level, 'nSl')
  end
  if tail and (not i or i.what == 'C') then i = tail end
  if type(err) ~= 'table' then
    err = {err = 'ERR ' .. tostring(err)}
  end
  if i then
    err['source'] = i.source
    err['line'] = i.currentline
  end
  return err
end
api(err_handler)

-- The busy-script hook runs every hook_every instructions of every coroutine (Lua hooks are
-- per thread: each coroutine a script creates gets the current one). Killed, it errors on
-- every line of the script's own code, which pcall cannot swallow.
local pycheck = py.check
local hook_fn, hook_mask, hook_count        -- the hook of the running script, nil between runs
local killed_hook
local function count_hook()
  local msg = pycheck()
  if msg then
    hook_fn, hook_mask, hook_count = killed_hook, 'l', 0
    sethook(killed_hook, 'l')
    error({err = msg})
  end
end
killed_hook = function()
  local info = getinfo(2, 'S')
  if info and info.source == INTERNAL then return end
  local msg = pycheck()
  if msg then error({err = msg}) end
end

-- the redis API
local redis = {}
redis.call = as_function(py.call)
redis.pcall = as_function(py.pcall)
redis.sha1hex = as_function(py.sha1hex)
redis.log = as_function(py.log)
redis.setresp = as_function(py.setresp)
redis.set_repl = as_function(py.set_repl)
redis.acl_check_cmd = as_function(py.acl_check_cmd)
local function error_table(s)               -- luaPushErrorBuff
  local code, msg = 'ERR', s
  if byte(s, 1) == 45 then
    local sp = find(s, ' ', 1, true)
    if sp then code, msg = sub(s, 2, sp - 1), sub(s, sp + 1) else msg = sub(s, 2) end
  end
  msg = gsub(gsub(msg, '^[\r\n]+', ''), '[\r\n]+$', '')
  return {err = code .. ' ' .. msg}
end
redis.error_reply = api(function(...)
  local s = ...
  if select('#', ...) ~= 1 or type(s) ~= 'string' then return error_table('wrong number or type of arguments') end
  s = cstr(s)
  if byte(s, 1) ~= 45 then s = '-' .. s end
  return error_table(s)
end)
redis.status_reply = api(function(...)
  local s = ...
  if select('#', ...) ~= 1 or type(s) ~= 'string' then return error_table('wrong number or type of arguments') end
  return {ok = s}
end)
redis.replicate_commands = api(function() return true end)
redis.breakpoint = api(function() return false end)
redis.debug = api(function() end)
redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3
redis.REDIS_VERSION, redis.REDIS_VERSION_NUM = redis_version, version_num

-- math.random / math.randomseed as Redis has them: Lua's code over redisLrand48, a 48-bit
-- linear congruential generator (x = x * 0x5DEECE66D + 0xB) kept in three 16-bit words
local x0, x1, x2 = 0x330E, 0xABCD, 0x1234
local LRAND48_MAX = 2147483647
local function lrand48()
  local p = 0xE66D * x0 + 0xB
  local r0 = p % 65536
  p = 0xE66D * x1 + 0xDEEC * x0 + (p - r0) / 65536
  local r1 = p % 65536
  p = 0xE66D * x2 + 0xDEEC * x1 + 0x5 * x0 + (p - r1) / 65536
  x0, x1, x2 = r0, r1, p % 65536
  return x2 * 32768 + floor(x1 / 2)
end
local function int32(v)     -- (int)(lua_Integer)v
  if v ~= v or v >= 2^63 or v < -2^63 then return 0 end
  v = (v >= 0 and floor(v) or ceil(v)) % 4294967296
  if v >= 2147483648 then v = v - 4294967296 end
  return v
end
local function checkint(narg, given, ...)    -- luaL_checkint of the API function's argument
  local v = tonumber((select(narg, ...)))
  if v == nil then typeerror(1, narg, 'number', given, ...) end
  return int32(v)
end
local math_api = {}
for k, v in pairs(math) do math_api[k] = v end
math_api.random = api(function(...)
  local r = (lrand48() % LRAND48_MAX) / LRAND48_MAX
  local n = select('#', ...)
  if n == 0 then return r end
  if n == 1 then
    local u = checkint(1, n, ...)
    if not (1 <= u) then argerror(1, 'interval is empty') end
    return floor(r * u) + 1
  end
  if n == 2 then
    local l = checkint(1, n, ...)
    local u = checkint(2, n, ...)
    if not (l <= u) then argerror(2, 'interval is empty') end
    local span = (u - l + 1) % 4294967296
    if span >= 2147483648 then span = span - 4294967296 end
    return floor(r * span) + l
  end
  error('wrong number of arguments', 2)
end)
math_api.randomseed = api(function(...)
  local seed = checkint(1, select('#', ...), ...) % 4294967296
  x0, x1, x2 = 0x330E, seed % 65536, floor(seed / 65536)
end)

-- string.dump: not of the functions that are C in Redis
local string_api = {}
for k, v in pairs(string) do string_api[k] = v end
local real_dump = string.dump
string_api.dump = api(function(...)
  local f = ...
  if type(f) ~= 'function' then typeerror(0, 1, 'function', select('#', ...), ...) end
  if is_c(f) then error('unable to dump given function', 2) end
  return real_dump(f)
end)

-- table.insert writes raw: not into a read-only table
local table_api = {}
for k, v in pairs(table) do table_api[k] = v end
local real_insert = table.insert
table_api.insert = api(function(...)
  local t = ...
  local n = select('#', ...)
  if type(t) ~= 'table' then typeerror(0, 1, 'table', n, ...) end
  if n ~= 2 and n ~= 3 then error("wrong number of arguments to 'insert'", 2) end
  if n == 3 and tonumber((select(2, ...))) == nil then typeerror(0, 2, 'number', n, ...) end
  if is_readonly(t) then error(READONLY, 0) end
  return real_insert(...)
end)

-- coroutines get the running script's hook; errors they return are the scripts' values
local co_api = {}
for k, v in pairs(coroutine) do co_api[k] = v end
local real_create, real_wrap, real_resume = coroutine.create, coroutine.wrap, coroutine.resume
co_api.create = api(function(...)
  local f = ...
  if type(f) ~= 'function' or is_c(f) then argerror(1, 'Lua function expected') end
  local co = real_create(f)
  if hook_fn then sethook(co, hook_fn, hook_mask, hook_count) end
  return co
end)
co_api.wrap = api(function(...)
  local f = ...
  if type(f) ~= 'function' or is_c(f) then argerror(1, 'Lua function expected') end
  return real_wrap(function(...)
    if hook_fn then sethook(hook_fn, hook_mask, hook_count) end
    return f(...)
  end)
end)
local function resumed(ok, ...)
  if ok then return ok, ... end
  return false, unwrap((...))
end
co_api.resume = api(function(...)
  local co = ...
  if type(co) ~= 'thread' then argerror(1, 'coroutine expected') end
  return resumed(real_resume(...))
end)

-- The globals
for _, name in pairs({'assert', 'error', 'ipairs', 'tonumber', 'tostring', 'type', 'unpack',
                      'select', 'rawequal', 'gcinfo', '_VERSION'}) do
  env[name] = G[name]
end
-- a script that stops the collector gets it restarted when it ends (restarting it after every
-- script would force a collection step on each run)
local gc_stopped = false
env.collectgarbage = api(function(...)
  local ok, r = pcall(collectgarbage, ...)
  if not ok then        -- its argument errors, raised as from the script's call
    local narg, extramsg = match(type(r) == 'string' and r or '', "^bad argument #(%d+) to '[^']*' %((.*)%)$")
    if narg then argerror(tonumber(narg), extramsg) end
    error(r, 0)
  end
  if ... == 'stop' then gc_stopped = true end
  return r
end)
env._G = env
env.__redis__err__handler = err_handler
env.redis = protect(redis)
env.string, env.math, env.table, env.coroutine =
  protect(string_api), protect(math_api), protect(table_api), protect(co_api)

-- luaRedisPcall: an error table's ``err`` is the error pcall returns
local function pcalled(ok, ...)
  if ok then return ok, ... end
  local e = unwrap((...))
  if type(e) == 'table' then
    local m = e.err
    if type(m) == 'string' or type(m) == 'number' then e = m end
  end
  return false, e
end
env.pcall = api(function(...)
  if select('#', ...) == 0 then return false, 'attempt to call a boolean value' end  -- as luaRedisPcall
  return pcalled(pcall(...))
end)
env.xpcall = api(function(...)
  if select('#', ...) < 2 then argerror(2, 'value expected') end
  local f, h = ...
  if type(h) == 'function' then
    local handler = h
    h = function(e) return handler(unwrap(e)) end
  end
  return xpcall(f, h)
end)

-- loaded chunks run with these globals; a binary chunk is parsed as text, as Redis's Lua
-- (which has no undump) does
env.loadstring = api(function(...)
  local n = select('#', ...)
  local s, name = ...
  local ts = type(s)
  if ts ~= 'string' and ts ~= 'number' then typeerror(0, 1, 'string', n, ...) end
  local tn = type(name)
  if tn ~= 'nil' and tn ~= 'string' and tn ~= 'number' then typeerror(0, 2, 'string', n, ...) end
  s = tostring(s)
  if name == nil then name = s end
  if byte(s, 1) == 27 then s = ' ' .. s end
  local f, err = loadstring(s, name)
  if f then setfenv(f, env) end
  return f, err
end)
env.load = api(function(...)
  local n = select('#', ...)
  local reader, name = ...
  if type(reader) ~= 'function' then typeerror(0, 1, 'function', n, ...) end
  local tn = type(name)
  if tn ~= 'nil' and tn ~= 'string' and tn ~= 'number' then typeerror(0, 2, 'string', n, ...) end
  local first = true
  local f, err = load(function()
    local piece = reader()
    if first and type(piece) == 'string' and piece ~= '' then
      first = false
      if byte(piece, 1) == 27 then piece = ' ' .. piece end
    end
    return piece
  end, name)
  if f then setfenv(f, env) end
  return f, err
end)

-- the read-only rules for the raw-access functions; proxies show their tables
env.rawset = api(function(...)
  local n = select('#', ...)
  local t = ...
  if type(t) ~= 'table' then typeerror(0, 1, 'table', n, ...) end
  if n < 2 then argerror(2, 'value expected') end
  if n < 3 then argerror(3, 'value expected') end
  if is_readonly(t) then error(READONLY, 0) end
  return rawset(...)
end)
env.rawget = api(function(...)
  local n = select('#', ...)
  local t, k = ...
  if type(t) ~= 'table' then typeerror(0, 1, 'table', n, ...) end
  if n < 2 then argerror(2, 'value expected') end
  return rawget(proxied[t] or t, k)
end)
env.setmetatable = api(function(...)
  local n = select('#', ...)
  local t, mt = ...
  if type(t) ~= 'table' then typeerror(0, 1, 'table', n, ...) end
  if mt ~= nil and type(mt) ~= 'table' then argerror(2, 'nil or table expected') end
  if n < 2 then argerror(2, 'nil or table expected') end
  if is_readonly(t) then error(READONLY, 0) end
  local current = dgetmetatable(t)
  if current and rawget(current, '__metatable') ~= nil then error('cannot change a protected metatable', 2) end
  return setmetatable(t, mt)
end)
env.getmetatable = api(function(...)
  if select('#', ...) < 1 then argerror(1, 'value expected') end
  local v = ...
  if type(v) == 'string' then return string_mt end
  if proxied[v] then return nil end
  return getmetatable(v)
end)
local function next_of(...)
  local n = select('#', ...)
  local t, k = ...
  if type(t) ~= 'table' then typeerror(0, 1, 'table', n, ...) end
  return next(proxied[t] or t, k)
end
env.next = api(next_of)
env.pairs = api(function(...)
  local t = ...
  if type(t) ~= 'table' then typeerror(0, 1, 'table', select('#', ...), ...) end
  if proxied[t] then return next_of, t, nil end
  return next, t, nil
end)

proxied[string_mt].__index = env.string

local snapshot = {KEYS = true, ARGV = true}   -- env as it must be between scripts
local snapshot_version = 0
local function set_library(name, t)
  local p = protect(t)
  rawset(env, name, p)
  snapshot[name] = p
  snapshot_version = snapshot_version + 1
end
for k, v in pairs(env) do snapshot[k] = v end
env.KEYS, env.ARGV = {}, {}
local env_mt = {__index = missing_global, __newindex = readonly_newindex, __metatable = globals_mt}
setmetatable(env, env_mt)

local function restore_globals()
  for k in next, env do
    if snapshot[k] == nil then rawset(env, k, nil) end
  end
  for k, v in next, snapshot do
    if v ~= true and rawget(env, k) ~= v then rawset(env, k, v) end
  end
end

-- Whether a script changed a global: one comparison per global, compiled from the snapshot
-- (walking both tables after every script costs more than a short script). A script cannot
-- add a name (the metatable refuses new names, rawset and table.insert refuse env), only
-- change or clear one, which this sees.
local globals_changed, checked_snapshot
local function build_globals_check()
  local values, tests = {}, {}
  for k, v in next, snapshot do
    if v ~= true then
      if type(k) ~= 'string' then return function() return true end end
      values[#values + 1] = v
      tests[#tests + 1] = format('e[%q] ~= s[%d]', k, #values)
    end
  end
  local code = 'local e, s = ... return function() return ' .. (tests[1] and table.concat(tests, ' or ') or 'false')
               .. ' end'
  return loadstring(code, INTERNAL)(env, values)
end
local function globals_untouched()
  if checked_snapshot ~= snapshot_version then
    globals_changed, checked_snapshot = build_globals_check(), snapshot_version
  end
  dsetmetatable(env, nil)           -- plain reads: a cleared global is nil, not an error
  local changed = globals_changed()
  dsetmetatable(env, env_mt)
  return not changed
end

-- luaExtractErrorInformation (getfield: the error's metamethods may run, under the hook)
local function error_info(e)
  local msg, source, line, ignore = e.err, e.source, e.line, e.ignore_error_stats_update
  local function str(v)
    local t = type(v)
    if t == 'string' or t == 'number' then return tostring(v) end
    return nil
  end
  return str(msg), str(source), str(line), type(ignore) == 'boolean' and ignore
end

-- One script run, in three steps: prepare (KEYS and ARGV, as globals for EVAL, from the
-- arguments after ``nkeys``, or the two tables when nkeys is false; the hook) and return what
-- Python then runs under xpcall itself, so that the script's code is called from C as in Redis
-- (error('x', 2) and error('x', 3) have no position to show); then finish: the error's fields
-- (read under the hook: they may run the script's metamethods), the hook off, the globals put
-- back (``check_globals``: the code that ran may have changed them), and for a success the
-- reply encoded for the caller. finish returns the encoder's
-- result for a success, else false, 'table', msg, source, line, ignore_error_stats_update or
-- false, 'string', message.
local function prepare(f, is_eval, nkeys, ...)
  local keys, argv
  if not nkeys then
    keys, argv = ...
  elseif nkeys == select('#', ...) then
    keys, argv = {...}, {}
  elseif nkeys == 0 then
    keys, argv = {}, {...}
  else
    local all = {...}
    keys, argv = {}, {}
    for i = 1, nkeys do keys[i] = all[i] end
    for i = nkeys + 1, #all do argv[i - nkeys] = all[i] end
  end
  if is_eval then
    rawset(env, 'KEYS', keys)
    rawset(env, 'ARGV', argv)
  end
  hook_fn, hook_mask, hook_count = count_hook, '', hook_every
  sethook(count_hook, '', hook_every)
  if is_eval then return end         -- Python has the script's function
  return function() return f(keys, argv) end
end

local function finish(check_globals, ok, r, script_resp, caller_resp)
  local a, b, c, d, e
  if not ok then
    if type(r) == 'table' then
      local got, msg, source, line, ignore = pcall(error_info, r)
      if got then a, b, c, d, e = 'table', msg, source, line, ignore else a = 'table' end
    else
      a, b = 'string', (type(r) == 'string' or type(r) == 'number') and tostring(r) or 'execution failure'
    end
  end
  sethook()
  hook_fn = nil
  if check_globals and not globals_untouched() then restore_globals() end
  if gc_stopped then                          -- no script leaves the collector stopped
    gc_stopped = false
    collectgarbage('restart')
  end
  if ok then return encode(r, script_resp, caller_resp) end
  if a == 'string' and b == 'not enough memory' then collectgarbage('collect') end
  return false, a, b, c, d, e
end

-- EVAL's compiler: the body under the chunk name, with the scripts' globals
local function compile(body, chunkname)
  if byte(body, 1) == 27 then body = ' ' .. body end
  local f, err = loadstring(body, chunkname)
  if f then setfenv(f, env) end
  return f, err
end

local function lua_memory() return collectgarbage('count') end

-- nothing else of the real globals is needed; take away what no code here should reach
for _, name in pairs({'python', 'os', 'io', 'package', 'require', 'dofile', 'loadfile', 'module'}) do
  G[name] = nil
end
return prepare, finish, compile, set_library, lua_memory, err_handler
"""


# One script run in one call from Python: prepare, the script under xpcall, finish (the
# prelude's). Loaded without line information, so that the script's caller has no position
# to show, as in Redis where C calls the script: error('x', 3) says "x", not "redis:N: x".
RUNNER = rb"""
local prepare, finish, err_handler = ...
local pcall, xpcall = pcall, xpcall
local script_resp = 2                 -- the script's protocol (redis.setresp)
local function run(f, check_globals, is_eval, caller_resp, nkeys, ...)
  script_resp = 2
  local ok, target = pcall(prepare, f, is_eval, nkeys, ...)
  local r
  if ok then ok, r = xpcall(target or f, err_handler) else r = target end
  return finish(check_globals, ok, r, script_resp, caller_resp)
end
local function set_resp(resp) script_resp = resp end
return run, set_resp
"""


class ScriptRun:
    """The script in execution (one object, reset by ``begin`` for each run)."""

    __slots__ = ("caller", "ctx", "name", "start", "read_only", "allow_oom", "is_eval", "dirty",
                 "busy", "killed", "repl")

    def begin(self, caller, ctx, name, read_only, allow_oom, is_eval, dirty):
        self.caller = caller
        self.ctx = ctx              # the "lua" client the script's commands run as
        self.name = name            # sha (EVAL) or function name (FCALL), for error texts
        self.start = time.monotonic()
        self.read_only = read_only
        self.allow_oom = allow_oom
        self.is_eval = is_eval
        self.dirty = dirty          # the keyspace's dirty counter at the start (UNKILLABLE)
        self.busy = False
        self.killed = None
        self.repl = REPL_ALL
        return self


class Scripting:
    """One server's Lua runtime and EVAL script cache."""

    def __init__(self, ks, config, clients, engine, lifecycle, lua_ctx):
        self.ks = ks
        self.config = config
        self.clients = clients
        self.engine = engine
        self.lifecycle = lifecycle
        self.lua_ctx = lua_ctx          # the Context redis.call runs commands as
        self.scripts: dict = {}         # sha -> compiled function
        self.scripts_mem = 0            # what Redis's lua_scripts_mem counts for them
        self.script_flags: dict = {}    # sha -> flags of the scripts with a shebang (scripting/flags.py)
        self.running: ScriptRun | None = None
        self.lua = lua51.LuaRuntime(encoding=None, unpack_returned_tuples=True, register_eval=False,
                                    register_builtins=True, attribute_filter=_no_attributes,
                                    max_memory=LUA_MAX_MEMORY)
        self.to_lua = ToLua(self.lua)
        lua_globals = self.lua.globals()
        as_function = lua_globals[b"python"][b"as_function"]    # Python callables as C functions
        api = self.lua.table_from({
            b"call": self._redis_call(False), b"pcall": self._redis_call(True), b"unwrap": self._unwrap,
            b"check": _lua_api(self._check), b"sha1hex": _lua_api(self._sha1hex), b"log": _lua_api(self._log),
            b"setresp": _lua_api(self._setresp), b"set_repl": _lua_api(self._set_repl),
            b"acl_check_cmd": _lua_api(self._acl_check_cmd)})
        encode = lua_globals[b"loadstring"](ENCODER, b"=redis")()
        chunk = lua_globals[b"loadstring"](PRELUDE, b"=redis")
        self._prepare, self._finish, self._compile, self._set_library, self._lua_memory, self._err_handler = chunk(
            as_function, api, REDIS_VERSION.encode(), _version_num(REDIS_VERSION), HOOK_EVERY, encode)
        self._xpcall = lua_globals[b"xpcall"]
        self._collect = lua_globals[b"collectgarbage"]
        self._dump = lua_globals[b"string"][b"dump"]
        runner = self._dump(lua_globals[b"loadstring"](RUNNER, b"=redis"))
        self._run_script, self._set_script_resp = lua_globals[b"loadstring"](strip_line_info(runner), b"=redis")(
            self._prepare, self._finish, self._err_handler)
        self._run = ScriptRun()          # the one run in execution, reused
        self.changes_globals: set = set()   # shas of the scripts that may change a global (may_change_globals)
        self.globals_clean = True       # no code but such scripts' ran since the globals were checked
        libs.install(self.lua, self._set_library)
        self.functions = Functions(self)    # FUNCTION LOAD's libraries, in this runtime

    # ------------------------------------------------------------------ EVAL
    def eval(self, c, args, nkeys: int, by_sha: bool, read_only: bool):
        """EVAL / EVALSHA / EVAL_RO / EVALSHA_RO: ``args`` the request, ``nkeys`` its keys'
        count (checked); the keys and arguments follow it."""
        params = args[3:]
        if by_sha:
            sha = args[1]
            fn = self.scripts.get(sha)
            if fn is None:
                sha = sha.lower()
                fn = self.scripts.get(sha)
                if fn is None:
                    raise RedisError("NOSCRIPT No matching script. Please use EVAL.")
        else:
            body = _b(args[1])
            sha = hashlib.sha1(body).hexdigest()
            fn = self.scripts.get(sha)
        flags = self.script_flags.get(sha, EVAL_COMPAT) if fn is not None else eval_flags_or_compat(body)
        if flags != EVAL_COMPAT:
            err = gate_error(self.engine, flags)     # processCommand judges a script by its flags
            if err is not None:
                raise err
        if fn is None:
            fn = self._create(body, sha)
        c.no_propagate()      # the script's commands are propagated, not the script
        return self.run_function(c, fn, sha, nkeys, params, read_only, True, flags)

    def load(self, body: str) -> str:
        """SCRIPT LOAD: compile and cache, return the sha."""
        b = _b(body)
        sha = hashlib.sha1(b).hexdigest()
        if sha not in self.scripts:
            self._create(b, sha)
        return sha

    def flush(self) -> None:
        self.scripts.clear()
        self.changes_globals.clear()
        self.scripts_mem = 0
        self._collect()           # Redis closes its Lua state: the memory goes back now
        self.script_flags.clear()

    def _create(self, body: bytes, sha: str):
        flags, start = eval_shebang(body)     # the shebang line is cut, its newline kept
        fn, err = self._compile(body[start:] if start else body, b"@user_script")
        if fn is None:
            raise RedisError("ERR Error compiling script (new function): %s" % _s(err))
        self.scripts[sha] = fn
        if may_change_globals(self._dump(fn)):
            self.changes_globals.add(sha)
        self.scripts_mem += _script_memory(len(body))
        if flags != EVAL_COMPAT:
            self.script_flags[sha] = flags
        return fn

    # ------------------------------------------------------------------ running
    def run_function(self, c, fn, name: str, nkeys: int, params: list, read_only: bool, is_eval: bool,
                     flags: int = EVAL_COMPAT):
        """Run an EVAL script or a function (``name``: its sha or function name) for ``c``;
        ``params``: its keys (the first ``nkeys``) then its arguments; ``read_only``: called by
        EVAL_RO/EVALSHA_RO/FCALL_RO; ``flags``: the script's (scripting/flags.py)."""
        if self.running is not None:
            raise RedisError("ERR recursive script call")   # cannot happen: noscript
        if flags == EVAL_COMPAT:
            allow_oom = False
        else:
            err = prepare_error(flags, read_only)
            if err is not None:
                raise err
            read_only, allow_oom = read_only_run(flags, read_only), allow_oom_run(flags)
        sc = self.lua_ctx
        sc.db = c.db
        if sc.resp != 2:
            sc.set_protocol(2)
        run = self.running = self._run.begin(c, sc, name, read_only, allow_oom, is_eval, self.ks.dirty)
        if is_eval:             # EVAL puts back what a script changed in the globals
            check_globals = not self.globals_clean or name in self.changes_globals
            self.globals_clean = True
        else:
            check_globals = False
            self.globals_clean = False
        try:
            params = [a.encode("utf-8", "surrogateescape") for a in params]
            if len(params) <= MAX_LUA_ARGS:
                result = self._run_script(fn, check_globals, is_eval, c.resp, nkeys, *params)
            else:
                table = self.lua.table_from
                result = self._run_script(fn, check_globals, is_eval, c.resp, False, table(params[:nkeys]),
                                          table(params[nkeys:]))
        except LuaError as e:             # the encoder's (out of memory)
            result = RedisError("ERR Error running script %s, %s" % (name, _one_line(str(e))[:100]))
        finally:
            params = None
            self.running = None
            if run.busy:
                self.engine.script_done()
                self.clients.io.busy_over()
                log.warning("Slow script detected: still in execution after %d milliseconds. "
                            "Finished now.", int((time.monotonic() - run.start) * 1000))
        cls = result.__class__
        if cls is bytes:                  # the reply, without errors
            return result
        if cls is not tuple:
            raise result
        if result[0] is False:
            err = _script_error(result[1:], name)
            if err.__class__ is CountedError:     # as a reply: the engine would count it again
                self._failed_calls(c, 1)
                return b"-%s\r\n" % _b(err.message)
            raise err
        # Errors in the reply: errorstats counts those of the script's own (an error reply of its
        # own: the engine does), not a command's error passed on (counted when it happened);
        # the EVAL fails once for the former, once for each of the latter (as in Redis).
        data, counted, passed = result
        n = len(counted)
        if data[:1] == b"-" and n:
            raise RedisError(_s(data[1:-2]))
        for i in range(1, n + 1):
            self.engine.stats.error_reply(RedisError(_s(counted[i][1:])))
        self._failed_calls(c, passed + (1 if n else 0))
        return data

    def _failed_calls(self, c, n: int) -> None:
        """The failed calls of the running EVAL / FCALL that the engine does not see (its reply
        is no RedisError): Redis's afterErrorReply counts one for each error reply errorstats
        does not count, incrCommandStatsOnError one for errors counted during the call."""
        cmd = self.engine.table.lookup(c.last_command)
        if cmd is not None:
            cmd.failed_calls += n

    # ------------------------------------------------------------------ callbacks from Lua
    # Lua calls these as C functions (python.as_function, through _lua_api). One that fails
    # returns a Failure; the wrapper raises it as a LuaRaise, which reaches Lua as a userdata
    # that every place a script sees errors unwraps into the error table (the prelude).
    def _command(self, *args):
        """redis.call (redis.pcall): the reply as a Lua value, or a Failure."""
        run = self.running
        if run is None:
            return Failure("ERR redis.call/pcall can only be called inside a script invocation")
        if not args:
            return Failure("ERR Please specify at least one argument for this redis lib call")
        argv = []
        for a in args:
            cls = a.__class__
            if cls is bytes:
                argv.append(a.decode("utf-8", "surrogateescape"))
            elif cls is int or cls is float:
                argv.append(format_number(a))
            else:
                return Failure("ERR Lua redis lib command arguments must be strings or integers")
        stats = self.engine.stats
        errors = stats.total_error_replies
        reply = self.engine.script_command(run, argv)
        if isinstance(reply, RedisError):
            if stats.total_error_replies == errors:     # refused before it ran: count it now
                stats.error_reply(reply)
            return Failure(reply.message, command_error=True)
        return self.to_lua.convert(reply, run.ctx.resp == 3)

    def _pcall(self, *args):
        r = self._command(*args)
        if r.__class__ is Failure:
            return self.to_lua.error(r.message, r.command_error)
        return r

    def _redis_call(self, protected: bool):
        """redis.call (``protected``: redis.pcall) as Lua calls it: the usual call (a script
        running, string arguments, a bulk string or integer reply) straight through, the rest
        through ``_command`` / ``_pcall`` (same steps, same results)."""
        general = _lua_api(self._pcall if protected else self._command)
        stats = self.engine.stats
        script_command = self.engine.script_command

        def call(*args):
            run = self.running
            argv = None
            if run is not None:
                argv = []
                for a in args:
                    if a.__class__ is not bytes:
                        argv = None
                        break
                    argv.append(a.decode("utf-8", "surrogateescape"))
            if not argv:
                a = None
                try:
                    return general(*args)
                finally:            # the traceback keeps this frame: no Lua value in it (see LuaRaise)
                    args = None     # noqa: F841
            errors = stats.total_error_replies
            try:
                reply = script_command(run, argv)
                cls = reply.__class__
                if cls is str:
                    return reply.encode("utf-8", "surrogateescape")
                if cls is int:
                    return reply
                if not isinstance(reply, RedisError):
                    return self.to_lua.convert(reply, run.ctx.resp == 3)
                if stats.total_error_replies == errors:     # refused before it ran: count it now
                    stats.error_reply(reply)
                if protected:
                    return self.to_lua.error(reply.message, True)
                r = Failure(reply.message, command_error=True)
            except MemoryError:
                r = Failure(None)
            except Exception:               # a bug: the script gets an error, the log the trace
                log.exception("Lua API function call failed")
                r = Failure("ERR internal error in %s" % ("pcall" if protected else "command"))
            raise LuaRaise(r.message, r.command_error)

        return call

    def _unwrap(self, e):
        """The Lua value of an error a Python function raised."""
        if e.__class__ is LuaRaise:
            if e.message is None:
                return b"not enough memory"
            return self.to_lua.error(e.message, e.command_error)
        return e

    def _sha1hex(self, *args):
        if len(args) != 1:
            return Failure("ERR wrong number of arguments")
        s = args[0]
        if s.__class__ is not bytes:
            s = lua_string(s) if s.__class__ is int or s.__class__ is float else b""
        return hashlib.sha1(s).hexdigest().encode()

    def _log(self, *args):
        if len(args) < 2:
            return Failure("ERR redis.log() requires two arguments or more.")
        level = lua_tonumber(args[0])
        if level is None:
            return Failure("ERR First argument must be a number (log level).")
        level = c_int(level)
        if not 0 <= level <= 3:
            return Failure("ERR Invalid debug level.")
        if level < _VERBOSITY.get(self.config.values["loglevel"], 2):
            return None
        text = []
        for j, a in enumerate(args[1:], 1):
            if a.__class__ is int or a.__class__ is float:
                a = lua_string(a)
            elif a.__class__ is not bytes:
                continue                    # not a string: left out, its separator too
            if j != 1:
                text.append(" ")
            text.append(_s(a))
        log.log(_LOG_LEVELS[level], "%s", "".join(text))
        return None

    def _setresp(self, *args):
        if len(args) != 1:
            return Failure("ERR redis.setresp() requires one argument.")
        resp = c_int(lua_tonumber(args[0]) or 0)
        if resp != 2 and resp != 3:
            return Failure("ERR RESP version must be 2 or 3.")
        self.running.ctx.set_protocol(resp)
        self._set_script_resp(resp)
        return None

    def _set_repl(self, *args):
        if len(args) != 1:
            return Failure("ERR redis.set_repl() requires two arguments.")
        flags = c_int(lua_tonumber(args[0]) or 0)
        if flags & ~REPL_ALL:
            return Failure("ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.")
        # no AOF here: what is propagated goes to replicas, so REPL_AOF alone is REPL_NONE
        self.running.repl = REPL_ALL if flags & REPL_REPLICA else REPL_NONE
        return None

    def _acl_check_cmd(self, *args):
        if self.running is None:
            return Failure("ERR redis.acl_check_cmd can only be called inside a script invocation")
        if not args:
            return Failure("ERR Please specify at least one argument for this redis lib call")
        if any(a.__class__ not in (bytes, int, float) for a in args):
            return Failure("ERR Lua redis lib command arguments must be strings or integers")
        argv = [_s(a) if a.__class__ is bytes else format_number(a) for a in args]
        cmd = self.engine.table.lookup(argv[0])
        if cmd is not None and cmd.subcommands and len(argv) > 1:
            cmd = cmd.subcommands.get("%s|%s" % (cmd.name, argv[1].lower()))
        if cmd is None:
            return Failure("ERR Invalid command passed to redis.acl_check_cmd()")
        return True          # one user with every permission: the default user's

    def lua_memory(self) -> int:
        """used_memory_lua: the Lua heap, as lua_gc(LUA_GCCOUNT) * 1024."""
        return int(self._lua_memory()) * 1024

    def scripts_memory(self) -> int:
        """used_memory_scripts_eval, as evalScriptsMemory() adds it up: each script's sha and
        body, a dict entry and a luaScript each, the dict's slots."""
        n = len(self.scripts)
        slots = max(4, 1 << (n - 1).bit_length()) if n else 0
        return self.scripts_mem + n * (24 + 16) + slots * 8

    def _check(self):
        """The count hook: kill requests, shutdown, and past the busy threshold, the rest of
        the world (other clients get -BUSY)."""
        run = self.running
        if run is None:
            return None
        if run.killed is not None:
            return run.killed
        elapsed_ms = (time.monotonic() - run.start) * 1000
        if elapsed_ms >= self.config.values["busy-reply-threshold"]:
            if not run.busy:
                run.busy = True
                log.warning("Slow script detected: still in execution after %d milliseconds. You can "
                            "try killing the script using the %s command.", int(elapsed_ms),
                            "SCRIPT KILL" if run.is_eval else "FUNCTION KILL")
                self.engine.script_busy(SLOW_SCRIPT[0] if run.is_eval else SLOW_SCRIPT[1])
            self.clients.io.serve_while_busy(run.caller)
            if run.killed is not None:
                return run.killed
            if self.lifecycle.shutting_down():
                run.killed = SHUTDOWN_KILLED
                return run.killed
        return None

    # ------------------------------------------------------------------ SCRIPT KILL / FUNCTION KILL
    def kill(self, is_eval: bool):
        run = self.running
        if run is None:
            raise RedisError("NOTBUSY No scripts in execution right now.")
        if self.ks.dirty != run.dirty:          # checked first, as scriptKill does
            raise RedisError("UNKILLABLE Sorry the script already executed write commands against the "
                             "dataset. You can either wait the script termination or kill the server in "
                             "a hard way using the SHUTDOWN NOSAVE command.")
        if run.is_eval != is_eval:      # FUNCTION KILL for an EVAL, or SCRIPT KILL for a function
            raise self.engine.busy_error or RedisError("NOTBUSY No scripts in execution right now.")
        run.killed = KILLED
        return Status("OK")


class CountedError(RedisError):
    """An error reply errorstats already counted where it happened (a command's error a
    script passes on: Redis's ERR_REPLY_FLAG_NO_STATS_UPDATE); not to be counted again."""
    __slots__ = ()
    counted = True


class Failure:
    """What a Lua API function returns to raise ``message`` as an error table."""
    __slots__ = ("message", "command_error")

    def __init__(self, message, command_error: bool = False):
        self.message = message              # None: out of memory ("not enough memory")
        self.command_error = command_error  # a command's error reply (ignore_error_stats_update)


class LuaRaise(Exception):
    """The error a Lua API function raises. Lua owns it (a userdata its collector frees), so
    neither it nor its traceback may hold a Lua object: freed inside a collection, that
    object's unref would run on a Lua state that may be gone (a crash)."""

    def __init__(self, message, command_error: bool):
        super().__init__()
        self.message = message
        self.command_error = command_error


def _lua_api(method):
    """A Lua API function: the Python method as Lua calls it. It raises from this frame,
    whose locals hold no Lua value by then; a bug becomes an error, not a Python exception
    in Lua's hands."""
    def api(*args):
        try:
            r = method(*args)
        except MemoryError:
            r = Failure(None)
        except Exception:               # a bug: the script gets an error, the log the trace
            log.exception("Lua API function %s failed", method.__name__)
            r = Failure("ERR internal error in %s" % method.__name__.lstrip("_"))
        if r.__class__ is Failure:
            args = None                   # noqa: F841 - the traceback keeps this frame
            raise LuaRaise(r.message, r.command_error)
        return r
    api.__name__ = method.__name__
    return api


def _jemalloc_size(n: int) -> int:
    """The size class jemalloc serves ``n`` bytes from (four classes per power of two)."""
    if n <= 8:
        return 8
    if n <= 128:
        return (n + 15) & ~15
    step = 1 << ((n - 1).bit_length() - 3)
    return (n + step - 1) & ~(step - 1)


def _script_memory(body_len: int) -> int:
    """What one cached script adds to Redis's lua_scripts_mem: the sha's sds and the body's
    (an embedded string up to 44 bytes, else an sds with a header for its length)."""
    sha = _jemalloc_size(3 + 40 + 1)
    if body_len <= 44:
        return sha + _jemalloc_size(16 + 3 + body_len + 1) - 16
    header = 3 if body_len < 256 else 5 if body_len < 65536 else 9 if body_len < 1 << 32 else 17
    return sha + _jemalloc_size(header + body_len + 1)


_HEADER = b"\x1bLua\x51\x00\x01\x04\x08\x04\x08\x00"     # Lua 5.1, little-endian, 64-bit
# Globals through which a script may reach its globals table other than by assigning a global
# (SETGLOBAL): the table itself and what compiles code that runs with it.
_GLOBALS_REACHERS = frozenset((b"_G", b"loadstring", b"load", b"getfenv", b"setfenv", b"rawset", b"module",
                               b"require"))


def strip_line_info(dump: bytes) -> bytes:
    """A compiled chunk (``string.dump``, Lua 5.1's format) without its line information:
    its functions' frames then show no position (luaL_where), like C functions'."""
    if dump[:12] != _HEADER:
        raise ValueError("not a Lua 5.1 chunk of this platform")
    out = [dump[:12]]
    pos = 12

    def take(n):
        nonlocal pos
        pos += n
        return dump[pos - n:pos]

    def u32():
        return int.from_bytes(take(4), "little")

    def function():
        nonlocal pos
        start = pos
        pos += 8 + int.from_bytes(dump[pos:pos + 8], "little")      # source
        pos += 8 + 4
        n = u32()
        pos += 4 * n                                                  # code
        for _ in range(u32()):                                        # constants
            kind = take(1)[0]
            pos += {0: 0, 1: 1, 3: 8}[kind] if kind != 4 else 8 + int.from_bytes(dump[pos:pos + 8], "little")
        out.append(dump[start:pos])
        n = u32()                                                     # nested functions
        out.append(n.to_bytes(4, "little"))
        for _ in range(n):
            function()
        n = u32()
        pos += 4 * n                                                  # line info: dropped
        out.append(b"\0\0\0\0")
        start = pos
        for _ in range(u32()):                                        # locals
            pos += 8 + int.from_bytes(dump[pos:pos + 8], "little") + 8
        for _ in range(u32()):                                        # upvalue names
            pos += 8 + int.from_bytes(dump[pos:pos + 8], "little")
        out.append(dump[start:pos])

    function()
    return b"".join(out)


def may_change_globals(dump: bytes) -> bool:
    """Whether a compiled script (``string.dump``, Lua 5.1's format) can change a global: it
    assigns one (SETGLOBAL) or reads one that reaches the globals table (``_G``, loadstring,
    ...), in any of its functions. Only then must a run check its globals afterwards."""
    if dump[:12] != _HEADER:
        return True                              # not the layout this reads: assume it can
    pos = 12

    def u32():
        nonlocal pos
        pos += 4
        return int.from_bytes(dump[pos - 4:pos], "little")

    def string():
        nonlocal pos
        n = int.from_bytes(dump[pos:pos + 8], "little")
        pos += 8 + n
        return dump[pos - n:pos - 1] if n else None

    def function() -> bool:
        nonlocal pos
        string()                                  # source
        pos += 8 + 4                              # linedefined, lastlinedefined, 4 bytes of sizes
        code = [u32() for _ in range(u32())]
        constants = []
        for _ in range(u32()):
            kind = dump[pos]
            pos += 1
            if kind == 4:
                constants.append(string())
            else:
                pos += {0: 0, 1: 1, 3: 8}[kind]
                constants.append(None)
        found = False
        for _ in range(u32()):
            found = function() or found
        for i in code:
            op = i & 0x3F
            if op == 7 or (op == 5 and constants[i >> 14] in _GLOBALS_REACHERS):   # SETGLOBAL, GETGLOBAL
                found = True
        n = u32()
        pos += 4 * n                              # line info
        for _ in range(u32()):                    # locals
            string()
            pos += 8
        for _ in range(u32()):                    # upvalue names
            string()
        return found

    try:
        return function()
    except (IndexError, KeyError):
        return True


def _no_attributes(obj, name, setting):
    raise AttributeError("not accessible from Lua")


def _one_line(s: str) -> str:
    return s.replace("\r", " ").replace("\n", " ")


def _cstr(s: bytes) -> str:
    """A Lua string as C's %s prints it: up to the first NUL."""
    return _s(s.split(b"\0", 1)[0])


def _script_error(failure, name: str) -> RedisError:
    """The reply of a script that raised (luaCallFunction): ``<err> script: <name>, on
    <source>:<line>.`` for an error table, ``ERR Error running script <name>, <msg>`` for
    an error the handler never saw (out of memory)."""
    kind, msg = failure[0], failure[1]
    if kind == b"string":
        return RedisError(_one_line(("ERR Error running script %s, %s" % (name, _cstr(msg)[:100])).rstrip("\r\n")))
    if msg is None:         # no err field: Redis 7.0 crashes here
        text = "ERR unknown error"
    else:
        text = _cstr(msg)
    source, line = failure[2], failure[3]
    if source is not None and line is not None:
        text += " script: %s, on %s:%s." % (name, _cstr(source), _cstr(line))
    return (CountedError if failure[4] else RedisError)(_one_line(text))


def _b(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


def _s(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")
