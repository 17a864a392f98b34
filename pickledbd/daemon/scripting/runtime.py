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

from lupa import lua51

from ...version import REDIS_VERSION
from ..errors import RedisError
from ..protocol.reply import Status
from . import libs
from .convert import ToLua, to_reply

log = logging.getLogger("pickledbd")

HOOK_EVERY = 100_000          # Lua instructions between two busy checks (Redis: 100000)
SLOW_SCRIPT = ("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.",
               "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.")
KILLED = b"ERR Script killed by user with SCRIPT KILL..."
KILLED_FUNCTION = b"ERR Script killed by user with FUNCTION KILL..."
SHUTDOWN_KILLED = b"ERR Script killed by user with SHUTDOWN NOSAVE..."
REPL_NONE, REPL_AOF, REPL_REPLICA, REPL_ALL = 0, 1, 2, 3

_LOG_LEVELS = {0: logging.DEBUG, 1: logging.INFO, 2: logging.INFO, 3: logging.WARNING}


def _version_num(v: str) -> int:
    major, minor, patch = (int(x) for x in v.split("."))
    return (major << 16) | (minor << 8) | patch


# The prelude runs once per runtime. It receives the Python callbacks as arguments and keeps
# them as upvalues of the functions it builds, so no script can reach them.
PRELUDE = b"""
local pycall, pysha1, pylog, pysetresp, pysetrepl, pycheck, redis_version, version_num = ...
local G = _G
local error, type, tostring, select, setmetatable, ipairs = error, type, tostring, select, setmetatable, ipairs
local xpcall, loadstring, setfenv, rawset = xpcall, loadstring, setfenv, rawset
local string, table, math, coroutine = string, table, math, coroutine
local getinfo, sethook = debug.getinfo, debug.sethook

local redis = {}
redis.call = function(...)
  local ok, r = pycall(...)
  if ok then return r end
  error(r)
end
redis.pcall = function(...)
  local ok, r = pycall(...)
  return r
end
redis.error_reply = function(msg)
  if type(msg) ~= 'string' then error('wrong number or type of arguments') end
  return {err = msg}
end
redis.status_reply = function(msg)
  if type(msg) ~= 'string' then error('wrong number or type of arguments') end
  return {ok = msg}
end
redis.sha1hex = function(s)
  if select('#', s) ~= 1 then error('wrong number of arguments') end
  return pysha1(s)
end
redis.log = function(level, ...)
  if select('#', ...) < 1 then error('redis.log() requires two arguments or more.') end
  if type(level) ~= 'number' then error('First argument must be a number (log level).') end
  local msg = ''
  for i = 1, select('#', ...) do
    if i > 1 then msg = msg .. ' ' end
    msg = msg .. tostring((select(i, ...)))
  end
  local ok, err = pylog(level, msg)
  if not ok then error(err) end
end
redis.setresp = function(v)
  local ok, err = pysetresp(v)
  if not ok then error(err) end
end
redis.set_repl = function(v)
  local ok, err = pysetrepl(v)
  if not ok then error(err) end
end
redis.replicate_commands = function() return true end
redis.breakpoint = function() return false end
redis.debug = function() end
redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3
redis.REDIS_VERSION, redis.REDIS_VERSION_NUM = redis_version, version_num

-- Redis's error handler: an error becomes a table with the script's source and line
local function err_handler(err)
  local level = 2
  local info = getinfo(level, 'nSl')
  while info and (info.what == 'C' or info.source == '=redis') do
    level = level + 1
    info = getinfo(level, 'nSl')
  end
  if type(err) ~= 'table' then
    err = {err = 'ERR ' .. tostring(err)}
  end
  if info then
    err['source'] = info.source
    err['line'] = info.currentline
  end
  return err
end

-- the count hook: Python says whether to go on; a killed script errors on every line of
-- its own (never in this chunk's code, which must unwind it)
local hook
local function killed_hook()
  local info = getinfo(2, 'S')
  if info and info.source == '=redis' then return end
  local msg = pycheck()
  if msg then error({err = msg}) end
end
hook = function()
  local msg = pycheck()
  if msg then
    sethook(killed_hook, 'l')
    error({err = msg})
  end
end

-- The sandbox: scripts run with their own global table (setfenv), holding only what Redis
-- offers; the real globals (lupa's, debug's) stay out of reach. Globals cannot be created,
-- reading an undefined one is an error, library tables are read-only.
local env = {}
local readonly = setmetatable({}, {__mode = 'k'})    -- tables scripts may not change
local function protect(t)
  local proxy = setmetatable({}, {
    __index = t,
    __newindex = function() error('Attempt to modify a readonly table', 2) end,
    __metatable = false,
  })
  readonly[proxy] = true
  return proxy
end
local real_loadstring, real_setfenv, real_rawset = loadstring, setfenv, rawset
local function sandboxed_loadstring(s, chunkname)
  if type(s) == 'string' and s:byte(1) == 27 then
    return nil, 'attempt to load a binary chunk'
  end
  local f, err = real_loadstring(s, chunkname)
  if f then real_setfenv(f, env) end
  return f, err
end
for _, name in ipairs({'assert', 'error', 'ipairs', 'next', 'pairs', 'pcall', 'rawequal', 'rawget',
                       'select', 'tonumber', 'tostring', 'type', 'unpack', 'xpcall', 'getmetatable',
                       'setmetatable', '_VERSION'}) do
  env[name] = G[name]
end
env.rawset = function(t, k, v)
  if t == env or readonly[t] then error('Attempt to modify a readonly table', 0) end
  return real_rawset(t, k, v)
end
env.loadstring = sandboxed_loadstring
env.string, env.table, env.math, env.coroutine = protect(string), protect(table), protect(math), protect(coroutine)
env.redis = protect(redis)
env._G = env
local function set_library(name, t) env[name] = protect(t) end
readonly[env] = true
setmetatable(env, {
  __index = function(t, k)
    error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
  end,
  __newindex = function(t, k, v)
    error('Attempt to modify a readonly table', 2)
  end,
  __metatable = false,
})

-- one script run: KEYS and ARGV from the arguments (as globals for EVAL, as the two
-- arguments of a function for FCALL), the function under xpcall
local function run(f, nkeys, ...)
  local keys, argv = {}, {}
  for i = 1, nkeys do keys[i] = (select(i, ...)) end
  for i = nkeys + 1, select('#', ...) do argv[i - nkeys] = (select(i, ...)) end
  real_rawset(env, 'KEYS', keys)
  real_rawset(env, 'ARGV', argv)
  sethook(hook, '', HOOK_EVERY)
  local ok, r = xpcall(function() return f(keys, argv) end, err_handler)
  sethook()
  return ok, r
end

local function compile(body, chunkname)
  return sandboxed_loadstring(body, chunkname)
end
real_rawset(env, 'KEYS', {})
real_rawset(env, 'ARGV', {})
return run, compile, set_library
"""


class ScriptRun:
    """One script in execution."""

    __slots__ = ("caller", "ctx", "name", "start", "read_only", "allow_oom", "is_eval", "dirty",
                 "busy", "killed", "repl")

    def __init__(self, caller, ctx, name, read_only, allow_oom, is_eval, dirty):
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
        self.running: ScriptRun | None = None
        self.lua = lua51.LuaRuntime(encoding=None, unpack_returned_tuples=True, register_eval=False,
                                    register_builtins=False, attribute_filter=_no_attributes)
        self.to_lua = ToLua(self.lua)
        chunk = self.lua.globals()[b"loadstring"](PRELUDE.replace(b"HOOK_EVERY", b"%d" % HOOK_EVERY),
                                                   b"=redis")
        self._run, self._compile, self._set_library = chunk(
            self._redis_call, _sha1hex, self._log, self._setresp, self._set_repl, self._check,
            REDIS_VERSION.encode(), _version_num(REDIS_VERSION))
        libs.install(self.lua, self._set_library)

    # ------------------------------------------------------------------ EVAL
    def eval(self, c, args, keys, argv, by_sha: bool, read_only: bool):
        """EVAL / EVALSHA / EVAL_RO / EVALSHA_RO: ``args`` the request (for MONITOR)."""
        if by_sha:
            sha = args[1].lower()
            fn = self.scripts.get(sha)
            if fn is None:
                raise RedisError("NOSCRIPT No matching script. Please use EVAL.")
        else:
            body = _b(args[1])
            sha = hashlib.sha1(body).hexdigest()
            fn = self.scripts.get(sha)
            if fn is None:
                fn = self._create(body, sha)
        if self.clients.monitors:
            self.clients.feed_monitors(c, args)     # EVAL is skip_monitor: shown before its calls
        c.no_propagate()      # the script's commands are propagated, not the script
        return self.run_function(c, fn, sha, keys, argv, read_only, True)

    def load(self, body: str) -> str:
        """SCRIPT LOAD: compile and cache, return the sha."""
        b = _b(body)
        sha = hashlib.sha1(b).hexdigest()
        if sha not in self.scripts:
            self._create(b, sha)
        return sha

    def flush(self) -> None:
        self.scripts.clear()

    def _create(self, body: bytes, sha: str):
        fn, err = self._compile(body, b"@user_script")
        if fn is None:
            raise RedisError("ERR Error compiling script (new function): %s" % _s(err))
        self.scripts[sha] = fn
        return fn

    # ------------------------------------------------------------------ running
    def run_function(self, c, fn, name: str, keys, argv, read_only: bool, is_eval: bool,
                     allow_oom: bool = False):
        if self.running is not None:
            raise RedisError("ERR recursive script call")   # cannot happen: noscript
        sc = self.lua_ctx
        sc.db = c.db
        sc.set_protocol(2)
        run = self.running = ScriptRun(c, sc, name, read_only, allow_oom, is_eval, self.ks.dirty)
        try:
            ok, result = self._run(fn, len(keys), *[_b(a) for a in keys], *[_b(a) for a in argv])
        finally:
            self.running = None
            if run.busy:
                self.engine.script_done()
                self.clients.io.busy_over()
                log.warning("Slow script detected: still in execution after %d milliseconds. "
                            "Finished now.", int((time.monotonic() - run.start) * 1000))
        if not ok:
            raise _script_error(result, name)
        return to_reply(result, sc.resp == 3)     # the script's protocol (redis.setresp) decides

    # ------------------------------------------------------------------ callbacks from Lua
    def _redis_call(self, *args):
        run = self.running
        if run is None:
            return False, self._error("ERR redis.call is not allowed here")   # FUNCTION LOAD time
        if not args:
            return False, self._error("ERR Please specify at least one argument for this redis lib call")
        argv = []
        for a in args:
            cls = a.__class__
            if cls is bytes:
                argv.append(a.decode("utf-8", "surrogateescape"))
            elif cls is int or cls is float:
                argv.append("%.14g" % a)
            else:
                return False, self._error("ERR Lua redis lib command arguments must be strings or integers")
        reply = self.engine.script_command(run, argv)
        if isinstance(reply, RedisError):
            return False, self._error(reply.message)
        return True, self.to_lua.convert(reply, run.ctx.resp == 3)

    def _error(self, message: str):
        return self.lua.table_from({b"err": _b(message)})

    def _log(self, level, msg):
        if level not in _LOG_LEVELS:
            return False, b"Invalid debug level."
        log.log(_LOG_LEVELS[level], "%s", _s(msg) if msg.__class__ is bytes else msg)
        return True, None

    def _setresp(self, v):
        if v not in (2, 3):
            return False, b"RESP version must be 2 or 3."
        self.running.ctx.set_protocol(v)
        return True, None

    def _set_repl(self, v):
        if v.__class__ is not int or not REPL_NONE <= v <= REPL_ALL:
            return False, b"Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE."
        self.running.repl = v
        return True, None

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
        if run.is_eval != is_eval:      # FUNCTION KILL for an EVAL, or SCRIPT KILL for a function
            raise self.engine.busy_error or RedisError("NOTBUSY No scripts in execution right now.")
        if self.ks.dirty != run.dirty:
            raise RedisError("UNKILLABLE Sorry the script already executed write commands against the "
                             "dataset. You can either wait the script termination or kill the server in "
                             "a hard way using the SHUTDOWN NOSAVE command.")
        run.killed = KILLED if is_eval else KILLED_FUNCTION
        return Status("OK")


def _no_attributes(obj, name, setting):
    raise AttributeError("not accessible from Lua")


def _sha1hex(s):
    if s.__class__ is bytes:
        return hashlib.sha1(s).hexdigest().encode()
    if s.__class__ in (int, float):
        return hashlib.sha1(("%.14g" % s).encode()).hexdigest().encode()
    return hashlib.sha1(b"").hexdigest().encode()


def _script_error(err, name: str) -> RedisError:
    """The reply of a script that raised: ``<msg> script: <name>, on <source>:<line>.``"""
    if err.__class__ is bytes:
        return RedisError("ERR " + _s(err))
    if lua51.lua_type(err) != "table":
        return RedisError("ERR Error running script (call to f_%s): unknown error" % name)
    msg = err[b"err"]
    msg = _s(msg) if msg.__class__ is bytes else "ERR unknown error"
    source, line = err[b"source"], err[b"line"]
    if source.__class__ is bytes and line is not None:
        return RedisError("%s script: %s, on %s:%s." % (msg, name, _s(source), "%.14g" % line))
    return RedisError(msg)


def _b(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


def _s(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")
