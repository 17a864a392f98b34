"""Redis functions (functions.c, function_lua.c): Lua libraries loaded with FUNCTION LOAD, their
functions run by FCALL / FCALL_RO, saved with the data.

A library is Lua code behind a ``#!lua name=<lib>`` shebang. Loading runs the code once with
nothing but ``redis.register_function``, ``redis.log`` and the version fields reachable (any
other name is an error, as in Redis), within 500 ms for code a client sent (FUNCTION RESTORE's
libraries share one 500 ms: Redis gives them no limit, so a payload could hold it forever). The
callbacks it registers run later through ``Scripting.run_function`` as ``callback(keys, args)``,
with the scripts' API (``redis.call``, cjson, ...) as globals, but no KEYS/ARGV and no way to
create a global.

The libraries live in the scripts' Lua runtime, behind their own globals table (``P`` in the
loader below), so EVAL scripts and functions cannot see each other. The registry keeps each
library's source: it is what SAVE writes (``Keyspace.state()``), what start-up loads back and
what FUNCTION DUMP / RESTORE carry (scripting/function_dump.py).
"""
from __future__ import annotations

import logging
import math
import time

from ...errors import CorruptDatabaseError
from ..errors import RedisError
from ..globmatch import matcher
from ..protocol.reader import ProtocolError, split_inline
from ..protocol.reply import SetReply, Status
from . import flags as script_flags
from .function_dump import PayloadError, dump_payload, library_codes, verify

log = logging.getLogger("pickledbd")

ENGINE = "LUA"
LOAD_TIMEOUT = 0.5            # seconds a client's library may run at load (Redis: 500 ms)

FUNCTION_NOT_FOUND = RedisError("ERR Function not found")
BAD_NUMKEYS = RedisError("ERR Bad number of keys provided")
BAD_NAME = ("Library names can only contain letters, numbers, or underscores(_) and must be at "
            "least one character long")

# The loader runs once per runtime (after the prelude, under its chunk name: its functions
# count as Redis's C functions) with the scripts' globals (``env``), a Python callback telling
# whether the load's time is up and the prelude's error unwrapper. It returns
# ``load(code, limited)`` and ``forget_eval_args()``.
LOADER = b"""
local env, time_is_up, unwrap = ...
local setmetatable, getmetatable, setfenv, loadstring, pcall, error, type, tostring, select, pairs, rawget,
      rawset = setmetatable, getmetatable, setfenv, loadstring, pcall, error, type, tostring, select, pairs,
      rawget, rawset
local lower, find, match = string.lower, string.find, string.match
local getinfo, sethook = debug.getinfo, debug.sethook
local env_rawset, env_setmetatable = rawget(env, 'rawset'), rawget(env, 'setmetatable')
local redis = rawget(env, 'redis')
local globals_mt = getmetatable(env)          -- what getmetatable(_G) shows

local function missing(k)
  error("Script attempted to access nonexistent global variable '" .. match(tostring(k), '^[^%z]*') .. "'", 3)
end

local loading          -- the library being loaded: {names = {...}, list = {...}}

local function fail(msg) error({err = 'ERR ' .. msg}) end

-- lua_isstring + lua_tostring: strings, and numbers as "%.14g"
local function as_string(v)
  local t = type(v)
  if t == 'string' then return v end
  if t == 'number' then return tostring(v) end
  return nil
end

local flag_bits = {['no-writes'] = 1, ['allow-oom'] = 2, ['allow-stale'] = 4, ['no-cluster'] = 8,
                   ['allow-cross-slot-keys'] = 16}

local function register_function(...)
  local lib = loading
  if lib == nil then fail('redis.register_function can only be called on FUNCTION LOAD command') end
  local argc = select('#', ...)
  if argc < 1 or argc > 2 then fail('wrong number of arguments to redis.register_function') end
  local name, callback, desc
  local flags = 0
  if argc == 1 then
    local named = ...
    if type(named) ~= 'table' then
      fail('calling redis.register_function with a single argument is only applicable to Lua table ' ..
           '(representing named arguments).')
    end
    for k, v in pairs(named) do
      local key = as_string(k)
      if key == nil then fail('named argument key given to redis.register_function is not a string') end
      key = lower(key)
      if key == 'function_name' then
        name = as_string(v)
        if name == nil then fail('function_name argument given to redis.register_function must be a string') end
      elseif key == 'description' then
        desc = as_string(v)
        if desc == nil then fail('description argument given to redis.register_function must be a string') end
      elseif key == 'callback' then
        if type(v) ~= 'function' then
          fail('callback argument given to redis.register_function must be a function')
        end
        callback = v
      elseif key == 'flags' then
        if type(v) ~= 'table' then
          fail('flags argument to redis.register_function must be a table representing function flags')
        end
        flags = 0
        local seen = {}
        local j = 1
        while true do
          local f = v[j]
          if f == nil then break end
          local s = as_string(f)
          local bit = s and flag_bits[lower(s)]
          if not bit then fail('unknown flag given') end
          if not seen[bit] then
            seen[bit] = true
            flags = flags + bit
          end
          j = j + 1
        end
      else
        fail('unknown argument given to redis.register_function')
      end
    end
    if name == nil then fail('redis.register_function must get a function name argument') end
    if callback == nil then fail('redis.register_function must get a callback argument') end
  else
    local n, cb = ...
    name = as_string(n)
    if name == nil then fail('first argument to redis.register_function must be a string') end
    if type(cb) ~= 'function' then fail('second argument to redis.register_function must be a function') end
    callback = cb
  end
  if not find(name, '^[A-Za-z0-9_]+$') then fail('BAD_NAME') end
  if lib.names[name] then fail('Function already exists in the library') end
  lib.names[name] = true
  lib.list[#lib.list + 1] = {name, callback, desc or false, flags}
end

-- a read-only view of t in which a missing name is an error (Redis's error metatable)
local function strict(t)
  return setmetatable({}, {
    __index = function(_, k)
      local v = t[k]
      if v == nil then missing(k) end
      return v
    end,
    __newindex = function() error('Attempt to modify a readonly table', 2) end,
    __metatable = false,
  })
end

-- what a library sees while it loads
local load_api = {redis = strict({
  register_function = register_function, log = redis.log,
  LOG_DEBUG = redis.LOG_DEBUG, LOG_VERBOSE = redis.LOG_VERBOSE, LOG_NOTICE = redis.LOG_NOTICE,
  LOG_WARNING = redis.LOG_WARNING, REDIS_VERSION = redis.REDIS_VERSION,
  REDIS_VERSION_NUM = redis.REDIS_VERSION_NUM,
})}

-- The functions' globals: the load API while loading, then the scripts' globals minus
-- KEYS/ARGV; read-only, rawset and setmetatable included.
local P = {}
local function p_rawset(t, k, v)
  if t == P then error('Attempt to modify a readonly table', 0) end
  return env_rawset(t, k, v)
end
local function p_setmetatable(t, mt)
  if t == P then error('Attempt to modify a readonly table', 0) end
  return env_setmetatable(t, mt)
end
local own = {_G = P, rawset = p_rawset, setmetatable = p_setmetatable, KEYS = false, ARGV = false}
setmetatable(P, {
  __index = function(_, k)
    local v
    if loading then
      v = load_api[k]
    else
      v = own[k]
      if v == nil then v = rawget(env, k) end
    end
    if v == nil or v == false then missing(k) end
    return v
  end,
  __newindex = function() error('Attempt to modify a readonly table', 2) end,
  __metatable = globals_mt,
})

-- past the time limit every line of the library errors, so nothing can catch it
local function timed_out_line()
  local info = getinfo(2, 'S')
  if info and info.source == '=redis' then return end
  error({err = 'ERR FUNCTION LOAD timeout'})
end
local function load_hook()
  if time_is_up() then
    sethook(timed_out_line, 'l')
    error({err = 'ERR FUNCTION LOAD timeout'})
  end
end

local function load(code, limited)
  local f, err = loadstring(code, '@user_function')
  if not f then return false, 'Error compiling function: ' .. tostring(err) end
  setfenv(f, P)
  local lib = {names = {}, list = {}}
  loading = lib
  if limited then sethook(load_hook, '', 100000) end
  local ok, e = pcall(f)
  sethook()
  loading = nil
  if ok then return true, lib.list end
  if type(e) == 'userdata' then e = unwrap(e) end    -- an error of a Python API function
  local msg
  if type(e) == 'string' or type(e) == 'number' then
    msg = 'ERR ' .. e
  elseif type(e) == 'table' and type(rawget(e, 'err')) == 'string' then
    msg = rawget(e, 'err')
  else
    msg = '(null)'
  end
  return false, 'Error registering functions: ' .. msg
end

-- code a function loads with loadstring runs with the scripts' globals: no EVAL's KEYS there
local function forget_eval_args()
  rawset(env, 'KEYS', {})
  rawset(env, 'ARGV', {})
end

return load, forget_eval_args
""".replace(b"BAD_NAME", BAD_NAME.encode())


class Function:
    __slots__ = ("name", "callback", "description", "flags", "library")

    def __init__(self, name: str, callback, description: str | None, flags: int, library: "Library"):
        self.name = name
        self.callback = callback          # the Lua function
        self.description = description
        self.flags = flags
        self.library = library


class Library:
    __slots__ = ("name", "code", "functions")

    def __init__(self, name: str, code: str):
        self.name = name
        self.code = code                  # the whole FUNCTION LOAD text, shebang included
        self.functions: dict[str, Function] = {}


class Registry:
    """Libraries by name (case-sensitive) and their functions by lower-cased name (FCALL
    finds names case-insensitively, as Redis's function dict does)."""

    def __init__(self):
        self.libraries: dict[str, Library] = {}
        self.by_name: dict[str, Function] = {}

    def link(self, lib: Library) -> None:
        for f in lib.functions.values():
            self.by_name.setdefault(f.name.lower(), f)   # "a" and "A" in one library: the first
        self.libraries[lib.name] = lib

    def unlink(self, lib: Library) -> None:
        for f in lib.functions.values():
            key = f.name.lower()
            if self.by_name.get(key) is f:
                del self.by_name[key]
        del self.libraries[lib.name]

    def find(self, name: str) -> Function | None:
        return self.by_name.get(name.lower()) if name.isascii() else None

    def function_count(self) -> int:
        return sum(len(lib.functions) for lib in self.libraries.values())


class Functions:
    """One server's libraries; ``scripting`` is its ``runtime.Scripting`` (the Lua runtime)."""

    def __init__(self, scripting):
        self.scripting = scripting
        self.current = Registry()
        self.running_args = None          # the FCALL request running (FUNCTION STATS)
        self._deadline = math.inf
        lua = scripting.lua
        probe, _ = scripting._compile(b"return", b"=probe")
        env = lua.globals()[b"getfenv"](probe)            # the scripts' globals
        chunk = lua.globals()[b"loadstring"](LOADER, b"=redis")
        if isinstance(chunk, tuple):                  # (nil, error)
            raise RuntimeError("functions loader: %s" % (chunk[1],))
        self._load, self._forget_eval_args = chunk(env, self._time_is_up, scripting._unwrap)
        scripting.ks.functions = self         # SAVE and start-up read and load the libraries here

    def _time_is_up(self) -> bool:
        return time.monotonic() > self._deadline

    # ------------------------------------------------------------------ libraries
    def load(self, code: str, replace: bool) -> str:
        """FUNCTION LOAD: the library's name."""
        return self._create(code, replace, self.current, time.monotonic() + LOAD_TIMEOUT).name

    def _create(self, code: str, replace: bool, reg: Registry, deadline: float) -> Library:
        """functionsCreateWithLibraryCtx: parse the shebang, run the code, link the library
        into ``reg`` unless a name collides."""
        name, engine, lua_code = library_metadata(code)
        if not valid_name(name):
            raise RedisError("ERR " + BAD_NAME)
        if not engine.isascii() or engine.upper() != ENGINE:
            raise RedisError("ERR Engine '%s' not found" % engine)
        old = reg.libraries.get(name)
        if old is not None and not replace:
            raise RedisError("ERR Library '%s' already exists" % name)
        lib = self._run_library(name, code, lua_code, deadline)
        if not lib.functions:
            raise RedisError("ERR No functions registered")
        for f in lib.functions.values():
            other = reg.find(f.name)
            if other is not None and other.library is not old:
                raise RedisError("ERR Function %s already exists" % f.name)
        if old is not None:
            reg.unlink(old)
        reg.link(lib)
        return lib

    def _run_library(self, name: str, code: str, lua_code: bytes, deadline: float) -> Library:
        """Run a library's code (until ``deadline``, time.monotonic()): its functions."""
        if time.monotonic() > deadline:          # a RESTORE of many libraries: the time is shared
            raise RedisError("ERR Error registering functions: ERR FUNCTION LOAD timeout")
        self._deadline = deadline
        try:
            self.scripting.globals_clean = False      # its code may change the scripts' globals
            ok, result = self._load(lua_code, deadline != math.inf)
        finally:
            self._deadline = math.inf
        if not ok:
            raise RedisError("ERR " + _s(result))
        lib = Library(name, code)
        for i in range(1, len(result) + 1):
            fname, callback, desc, flags = (result[i][j] for j in (1, 2, 3, 4))
            fname = _s(fname)
            lib.functions[fname] = Function(fname, callback, None if desc is False else _s(desc), int(flags),
                                            lib)
        return lib

    def delete(self, name: str) -> None:
        lib = self.current.libraries.get(name)
        if lib is None:
            raise RedisError("ERR Library not found")
        self.current.unlink(lib)

    def flush(self) -> None:
        self.current = Registry()

    # ------------------------------------------------------------------ DUMP / RESTORE
    def dump(self) -> bytes:
        return dump_payload([_b(lib.code) for lib in self.current.libraries.values()])

    def restore(self, payload: bytes, policy: str) -> None:
        """FUNCTION RESTORE with policy "flush", "append" or "replace" (functionRestoreCommand):
        everything is loaded aside first, then joined; any error leaves the libraries as
        they were."""
        verify(payload)
        try:
            codes = library_codes(payload)
        except PayloadError as e:
            raise RedisError("ERR %s" % e) from None
        loaded = Registry()
        deadline = time.monotonic() + LOAD_TIMEOUT     # for them all (Redis: no limit at all)
        for code in codes:
            self._create(_s(code), False, loaded, deadline)
        if policy == "flush":
            self.current = loaded
        else:
            _join(self.current, loaded, policy == "replace")

    # ------------------------------------------------------------------ persistence
    def codes(self) -> list[str]:
        """The libraries' sources in load order (what a snapshot saves)."""
        return [lib.code for lib in self.current.libraries.values()]

    def load_codes(self, codes: list[str]) -> None:
        """The libraries of a data file, at start (no time limit: each once loaded in time).
        CorruptDatabaseError names the library that cannot be loaded."""
        reg = Registry()
        for code in codes:
            try:
                self._create(code, False, reg, math.inf)
            except RedisError as e:
                first = code.split("\n", 1)[0][:200]
                raise CorruptDatabaseError("the function library %r cannot be loaded: %s"
                                           % (first, e.message.removeprefix("ERR "))) from None
        self.current = reg
        if codes:
            log.info("Loaded %d function librar%s", len(codes), "y" if len(codes) == 1 else "ies")

    # ------------------------------------------------------------------ FCALL
    def fcall(self, c, args: list, read_only: bool):
        """FCALL / FCALL_RO <function> <numkeys> key... arg... (fcallCommandGeneric)."""
        sc = self.scripting
        f = self.current.find(args[1])
        if f is not None:
            err = script_flags.gate_error(sc.engine, f.flags)    # processCommand's verdict
            if err is not None:
                raise err
        if sc.clients.monitors:
            sc.clients.feed_monitors(c, args)     # FCALL is skip_monitor: shown before its calls
        if f is None:
            raise FUNCTION_NOT_FOUND
        n = _numkeys(args[2])
        if n > len(args) - 3:
            raise RedisError("ERR Number of keys can't be greater than number of args")
        if n < 0:
            raise RedisError("ERR Number of keys can't be negative")
        c.no_propagate()          # the function's commands are propagated, not the FCALL
        self._forget_eval_args()
        self.running_args = args
        try:
            return sc.run_function(c, f.callback, f.name, n, args[3:], read_only, False,
                                   f.flags)
        finally:
            self.running_args = None

    def describe(self, pattern: str | None, with_code: bool) -> list:
        """FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE]: the pattern ignores case."""
        match = matcher(pattern, nocase=True) if pattern is not None else None
        out = []
        for lib in self.current.libraries.values():
            if match is not None and not match(lib.name):
                continue
            entry = {"library_name": lib.name, "engine": ENGINE,
                     "functions": [{"name": f.name, "description": f.description,
                                    "flags": SetReply([Status(x) for x in script_flags.flag_names(f.flags)])}
                                   for f in lib.functions.values()]}
            if with_code:
                entry["library_code"] = lib.code
            out.append(entry)
        return out

    def stats(self) -> dict:
        """FUNCTION STATS (functionStatsCommand)."""
        run = self.scripting.running
        if run is not None and run.is_eval:
            from .runtime import SLOW_SCRIPT
            raise RedisError(SLOW_SCRIPT[0])
        running = None
        if run is not None:
            running = {"name": run.name, "command": list(self.running_args or ()),
                       "duration_ms": int((time.monotonic() - run.start) * 1000)}
        reg = self.current
        return {"running_script": running,
                "engines": {ENGINE: {"libraries_count": len(reg.libraries),
                                     "functions_count": reg.function_count()}}}


def _join(dst: Registry, src: Registry, replace: bool) -> None:
    """libraryJoin: add src's libraries to dst; a library name collision replaces (``replace``)
    or aborts, a function name collision aborts; an abort leaves dst as it was."""
    replaced = []
    try:
        for lib in src.libraries.values():
            old = dst.libraries.get(lib.name)
            if old is not None:
                if not replace:
                    raise RedisError("ERR Library %s already exists" % lib.name)
                dst.unlink(old)
                replaced.append(old)
        for f in src.by_name.values():
            if dst.find(f.name) is not None:
                raise RedisError("ERR Function %s already exists" % f.name)
    except RedisError:
        for old in replaced:
            dst.link(old)
        raise
    for lib in src.libraries.values():
        dst.link(lib)


def library_metadata(code: str) -> tuple[str, str, bytes]:
    """(library name, engine, Lua code) of a library (functionExtractLibMetaData). The Lua code
    starts at the shebang's newline, so its line numbers are the library's."""
    if not code.startswith("#!"):
        raise RedisError("ERR Missing library metadata")
    end = code.find("\n")
    if end < 0:
        raise RedisError("ERR Invalid library metadata")
    try:
        parts = split_inline(_b(code[:end]))
    except ProtocolError:
        parts = []
    if not parts:
        raise RedisError("ERR Invalid library metadata")
    name = None
    for part in parts[1:]:
        if part[:5].lower() == "name=":
            if name is not None:
                raise RedisError("ERR Invalid metadata value, name argument was given multiple times")
            name = part[5:]
            continue
        raise RedisError("ERR Invalid metadata value given: %s" % part)
    if name is None:
        raise RedisError("ERR Library name was not given")
    return name, parts[0][2:], _b(code[end:])


def valid_name(name: str) -> bool:
    """functionsVerifyName: [a-zA-Z0-9_]+"""
    return bool(name) and name.isascii() and (name.replace("_", "a").isalnum())


def _numkeys(s: str) -> int:
    """getLongLongFromObject: a strict signed 64-bit integer."""
    digits = s[1:] if s[:1] == "-" else s
    if (not digits or len(s) > 20 or not digits.isascii() or not digits.isdigit()
            or (digits[0] == "0" and s != "0")):
        raise BAD_NUMKEYS
    n = int(s)
    if not -(1 << 63) <= n < (1 << 63):
        raise BAD_NUMKEYS
    return n


def _b(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


def _s(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")
