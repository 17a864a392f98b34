"""Server commands: COMMAND, INFO, CONFIG, DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, SAVE, BGSAVE,
LASTSAVE, SHUTDOWN, TIME, MONITOR, SLOWLOG, LATENCY, ROLE, LOLWUT.

Reply texts and shapes follow Redis 7.0.15 (checked against the real server).
"""
from __future__ import annotations

import os
import platform
import resource
import sys
import time

from ..resp import OK, RedisError, SetReply, Status, Verbatim
from .registry import command, lookup, unique_commands
from .util import SYNTAX, parse_int


def help_reply(lines: list[str]) -> list:
    return [Status(x) for x in lines]


def _server(c):
    return c.server


# ------------------------------------------------------------------ COMMAND
def _all_commands():
    return sorted(unique_commands(), key=lambda cmd: cmd.fullname)


@command("command")
def command_(c, args):
    return [cmd.info_reply() for cmd in _all_commands()]


@command("command|count")
def command_count(c, args):
    return len(unique_commands())


@command("command|info")
def command_info(c, args):
    if len(args) == 2:
        return [cmd.info_reply() for cmd in _all_commands()]
    out = []
    for name in args[2:]:
        cmd = _find_command(name)
        out.append(cmd.info_reply() if cmd is not None else None)
    return out


def _find_command(name: str):
    """``get`` or ``config|get`` (as COMMAND INFO/DOCS accept them)."""
    if "|" in name:
        parent, _, sub = name.lower().partition("|")
        p = lookup(parent)
        if p is None:
            return None
        return p.subcommands.get("%s|%s" % (p.name, sub))
    return lookup(name)


def _docs_of(cmd) -> dict:
    from .registry import _jsonish
    d = {k: _jsonish(v) for k, v in cmd.docs.items()}
    if cmd.subcommands:
        d["subcommands"] = {name: _docs_of(sub) for name, sub in cmd.subcommands.items()}
    return d


@command("command|docs")
def command_docs(c, args):
    if len(args) == 2:
        return {cmd.fullname: _docs_of(cmd) for cmd in _all_commands()}
    out = {}
    for name in args[2:]:
        cmd = _find_command(name)
        if cmd is not None:
            out[cmd.fullname] = _docs_of(cmd)
    return out


@command("command|list")
def command_list(c, args):
    from ..globmatch import glob_match
    if len(args) == 2:
        flt = None
    elif len(args) == 5 and args[2].lower() == "filterby":
        kind, value = args[3].lower(), args[4]
        if kind not in ("module", "aclcat", "pattern"):
            raise SYNTAX
        flt = (kind, value)
    else:
        raise SYNTAX
    out = []
    for cmd in _all_commands():
        for x in [cmd, *cmd.subcommands.values()]:
            if flt is None:
                out.append(x.fullname)
            elif flt[0] == "module":
                continue
            elif flt[0] == "aclcat":
                if ("@" + flt[1].lower()) in x.acl_categories:
                    out.append(x.fullname)
            elif glob_match(flt[1].lower(), x.fullname.lower()):
                out.append(x.fullname)
    return out


def _spec_keys(cmd, args: list) -> list[tuple[int, dict]]:
    """Evaluate Redis key specs (begin_search / find_keys) over ``args``."""
    out = []
    argc = len(args)
    for spec in cmd.key_specs:
        bs = spec.get("begin_search", {})
        fk = spec.get("find_keys", {})
        if bs.get("type") == "index":
            start = bs["spec"]["index"]
        elif bs.get("type") == "keyword":
            kw = bs["spec"]["keyword"].lower()
            startfrom = bs["spec"]["startfrom"]
            rng = (range(startfrom, argc) if startfrom >= 0
                   else range(argc + startfrom, 0, -1))
            start = None
            for i in rng:
                if 0 < i < argc and args[i].lower() == kw:
                    start = i + 1
                    break
            if start is None:
                continue
        else:
            continue
        if start >= argc:
            continue
        positions = []
        if fk.get("type") == "range":
            s = fk["spec"]
            last, step, limit = s["lastkey"], s["keystep"] or 1, s["limit"]
            if last >= 0:
                end = start + last
            elif limit <= 1:
                end = argc + last
            else:
                end = start + ((argc - start) // limit) - 1
            positions = list(range(start, min(end, argc - 1) + 1, step))
        elif fk.get("type") == "keynum":
            s = fk["spec"]
            idx = start + s["keynumidx"]
            if idx >= argc:
                continue
            try:
                n = int(args[idx])
            except ValueError:
                raise RedisError("ERR Invalid arguments specified for command") from None
            if n < 0:
                raise RedisError("ERR Invalid arguments specified for command")
            first = start + s["firstkey"]
            positions = list(range(first, first + n * (s["keystep"] or 1), s["keystep"] or 1))
            if positions and positions[-1] >= argc:
                raise RedisError("ERR Invalid arguments specified for command")
        for p in positions:
            out.append((p, spec))
    return out


def _getkeys(args: list):
    cmd = lookup(args[2])
    if cmd is None:
        raise RedisError("ERR Invalid command specified")
    sub_args = args[2:]
    if cmd.subcommands:
        sub = cmd.subcommands.get("%s|%s" % (cmd.name, sub_args[1].lower())) if len(sub_args) > 1 else None
        if sub is None:
            raise RedisError("ERR Invalid command specified")
        cmd = sub
    n = len(sub_args)
    if (n != cmd.arity) if cmd.arity >= 0 else (n < -cmd.arity):
        raise RedisError("ERR Invalid number of arguments specified for command")
    if cmd.key_specs:
        found = _spec_keys(cmd, sub_args)
    elif cmd.first_key:
        found = [(p, {}) for p in cmd.key_positions(sub_args)]
    else:
        raise RedisError("ERR The command has no key arguments")
    if not found:
        raise RedisError("ERR Invalid arguments specified for command")
    return [(sub_args[p], spec) for p, spec in found]


@command("command|getkeys")
def command_getkeys(c, args):
    return [k for k, _ in _getkeys(args)]


@command("command|getkeysandflags")
def command_getkeysandflags(c, args):
    out = []
    for k, spec in _getkeys(args):
        flags = list(spec.get("flags", []))
        if "variable_flags" in flags and args[2].lower() == "set":
            # Redis's setGetKeys: plain SET overwrites (OW update); SET ... GET reads too
            flags = (["RW", "access", "update"] if any(a.lower() == "get" for a in args[5:])
                     else ["OW", "update"])
        out.append([k, SetReply([Status(f) for f in flags if f != "variable_flags"])])
    return out


@command("command|help")
def command_help(c, args):
    return help_reply([
        "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "(no subcommand)",
        "    Return details about all Redis commands.",
        "COUNT",
        "    Return the total number of commands in this Redis server.",
        "LIST",
        "    Return a list of all commands in this Redis server.",
        "INFO [<command-name> ...]",
        "    Return details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "DOCS [<command-name> ...]",
        "    Return documentation details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "GETKEYS <full-command>",
        "    Return the keys from a full Redis command.",
        "GETKEYSANDFLAGS <full-command>",
        "    Return the keys and the access flags from a full Redis command.",
        "HELP",
        "    Prints this help.",
    ])


# ------------------------------------------------------------------ INFO
def _human(n: float) -> str:
    if n < 1024:
        return "%dB" % n
    for unit, div in (("K", 1024), ("M", 1024 ** 2), ("G", 1024 ** 3), ("T", 1024 ** 4)):
        if n < div * 1024 or unit == "T":
            return "%.2f%s" % (n / div, unit)
    return "%dB" % n


def _rss() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _total_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return 0


def _section_server(s):
    from .. import __version__
    from ..server import REDIS_VERSION
    now = time.time()
    uptime = int(now - s.start_time)
    u = os.uname()
    cfg = s.config
    return [
        ("redis_version", REDIS_VERSION),
        ("redis_git_sha1", "00000000"),
        ("redis_git_dirty", 0),
        ("redis_build_id", "0"),
        ("redis_mode", "standalone"),
        ("os", "%s %s %s" % (u.sysname, u.release, u.machine)),
        ("arch_bits", 64 if sys.maxsize > 2 ** 32 else 32),
        ("monotonic_clock", "POSIX clock_gettime"),
        ("multiplexing_api", "epoll" if sys.platform.startswith("linux") else "kqueue"),
        ("atomicvar_api", "c11-builtin"),
        ("gcc_version", "0.0.0"),
        ("process_id", os.getpid()),
        ("process_supervised", "systemd" if os.environ.get("NOTIFY_SOCKET") else "no"),
        ("run_id", s.run_id),
        ("tcp_port", cfg.port),
        ("server_time_usec", int(now * 1_000_000)),
        ("uptime_in_seconds", uptime),
        ("uptime_in_days", uptime // 86400),
        ("hz", cfg.values["hz"]),
        ("configured_hz", cfg.values["hz"]),
        ("lru_clock", int(now) & ((1 << 24) - 1)),
        ("executable", os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] else ""),
        ("config_file", cfg.config_file or ""),
        ("io_threads_active", 0),
        ("pickledbd_version", __version__),
        ("python_version", platform.python_version()),
    ]


def _section_clients(s):
    clients = s.clients.values()
    return [
        ("connected_clients", len(s.clients)),
        ("cluster_connections", 0),
        ("maxclients", s.config.maxclients),
        ("client_recent_max_input_buffer", 0),
        ("client_recent_max_output_buffer", 0),
        ("blocked_clients", s.blocked_clients()),
        ("tracking_clients", 0),
        ("clients_in_timeout_table", sum(1 for c in clients if c.block is not None and c.block.timeout > 0)),
    ]


def _section_memory(s):
    rss = _rss()
    total = _total_memory()
    maxmem = s.config.values["maxmemory"]
    peak = max(rss, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    return [
        ("used_memory", rss),
        ("used_memory_human", _human(rss)),
        ("used_memory_rss", rss),
        ("used_memory_rss_human", _human(rss)),
        ("used_memory_peak", peak),
        ("used_memory_peak_human", _human(peak)),
        ("used_memory_peak_perc", "%.2f%%" % (100.0 * rss / peak if peak else 100.0)),
        ("total_system_memory", total),
        ("total_system_memory_human", _human(total)),
        ("maxmemory", maxmem),
        ("maxmemory_human", _human(maxmem)),
        ("maxmemory_policy", s.config.values["maxmemory-policy"]),
        ("mem_fragmentation_ratio", "1.00"),
        ("mem_allocator", "libc"),
        ("lazyfree_pending_objects", 0),
        ("lazyfreed_objects", 0),
    ]


def _section_persistence(s):
    now = time.time()
    in_progress = s.bgsave_child is not None
    return [
        ("loading", 0),
        ("async_loading", 0),
        ("rdb_changes_since_last_save", s.keyspace.dirty),
        ("rdb_bgsave_in_progress", 1 if in_progress else 0),
        ("rdb_last_save_time", s.lastsave),
        ("rdb_last_bgsave_status", "ok" if s.last_bgsave_ok else "err"),
        ("rdb_last_bgsave_time_sec", s.last_bgsave_seconds),
        ("rdb_current_bgsave_time_sec", int(now - s.bgsave_started) if in_progress else -1),
        ("rdb_saves", getattr(s, "stat_saves", 0)),
        ("rdb_last_load_keys_expired", 0),
        ("rdb_last_load_keys_loaded", getattr(s, "loaded_keys", 0)),
        ("aof_enabled", 0),
        ("aof_rewrite_in_progress", 0),
        ("aof_rewrite_scheduled", 0),
        ("aof_last_rewrite_time_sec", -1),
        ("aof_current_rewrite_time_sec", -1),
        ("aof_last_bgrewrite_status", "ok"),
        ("aof_last_write_status", "ok"),
        ("storage_backend", getattr(s.storage, "backend", "")),
        ("storage_file", getattr(s.storage, "path", "")),
    ]


def _section_stats(s):
    pubsub = s.pubsub
    channels = patterns = 0
    if pubsub is not None:
        channels = len(getattr(pubsub, "channels", ()) or ())
        patterns = len(getattr(pubsub, "patterns", ()) or ())
    errors = sum(cmd.failed_calls + sum(x.failed_calls for x in cmd.subcommands.values())
                 for cmd in unique_commands())
    return [
        ("total_connections_received", s.stat_connections),
        ("total_commands_processed", s.stat_commands),
        ("instantaneous_ops_per_sec", 0),
        ("total_net_input_bytes", s.stat_net_input),
        ("total_net_output_bytes", s.stat_net_output),
        ("rejected_connections", getattr(s, "stat_rejected_conn", 0)),
        ("sync_full", 0),
        ("sync_partial_ok", 0),
        ("sync_partial_err", 0),
        ("expired_keys", s.keyspace.expired_keys),
        ("expired_stale_perc", "0.00"),
        ("expired_time_cap_reached_count", 0),
        ("evicted_keys", 0),
        ("evicted_clients", 0),
        ("keyspace_hits", s.stat_keyspace_hits),
        ("keyspace_misses", s.stat_keyspace_misses),
        ("pubsub_channels", channels),
        ("pubsub_patterns", patterns),
        ("pubsubshard_channels", 0),
        ("latest_fork_usec", getattr(s, "stat_fork_usec", 0)),
        ("total_forks", getattr(s, "stat_forks", 0)),
        ("total_error_replies", errors + s.stat_rejected),
        ("unexpected_error_replies", 0),
    ]


def _section_replication(s):
    return [
        ("role", "master"),
        ("connected_slaves", 0),
        ("master_failover_state", "no-failover"),
        ("master_replid", s.run_id),
        ("master_replid2", "0" * 40),
        ("master_repl_offset", 0),
        ("second_repl_offset", -1),
        ("repl_backlog_active", 0),
        ("repl_backlog_size", 1048576),
        ("repl_backlog_first_byte_offset", 0),
        ("repl_backlog_histlen", 0),
    ]


def _section_cpu(s):
    me = resource.getrusage(resource.RUSAGE_SELF)
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    return [
        ("used_cpu_sys", "%.6f" % me.ru_stime),
        ("used_cpu_user", "%.6f" % me.ru_utime),
        ("used_cpu_sys_children", "%.6f" % ch.ru_stime),
        ("used_cpu_user_children", "%.6f" % ch.ru_utime),
        ("used_cpu_sys_main_thread", "%.6f" % me.ru_stime),
        ("used_cpu_user_main_thread", "%.6f" % me.ru_utime),
    ]


def _section_modules(s):
    return []


def _section_commandstats(s):
    out = []
    for cmd in _all_commands():
        for x in [cmd, *cmd.subcommands.values()]:
            if x.calls or x.failed_calls or x.rejected_calls:
                usec = x.ns // 1000
                out.append(("cmdstat_" + x.fullname,
                            "calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d"
                            % (x.calls, usec, usec / x.calls if x.calls else 0.0,
                               x.rejected_calls, x.failed_calls)))
    return out


def _section_errorstats(s):
    return []


def _section_cluster(s):
    return [("cluster_enabled", 0)]


def _section_keyspace(s):
    out = []
    for db in s.keyspace.dbs:
        if db.data:
            out.append(("db%d" % db.index, "keys=%d,expires=%d,avg_ttl=0" % (len(db.data), len(db.expires))))
    return out


SECTIONS = {
    "server": ("Server", _section_server),
    "clients": ("Clients", _section_clients),
    "memory": ("Memory", _section_memory),
    "persistence": ("Persistence", _section_persistence),
    "stats": ("Stats", _section_stats),
    "replication": ("Replication", _section_replication),
    "cpu": ("CPU", _section_cpu),
    "modules": ("Modules", _section_modules),
    "commandstats": ("Commandstats", _section_commandstats),
    "errorstats": ("Errorstats", _section_errorstats),
    "cluster": ("Cluster", _section_cluster),
    "keyspace": ("Keyspace", _section_keyspace),
}
DEFAULT_SECTIONS = ("server", "clients", "memory", "persistence", "stats", "replication", "cpu",
                    "modules", "errorstats", "cluster", "keyspace")
ALL_SECTIONS = ("server", "clients", "memory", "persistence", "stats", "replication", "cpu",
                "modules", "commandstats", "errorstats", "cluster", "keyspace")


def info_text(server, names: list[str]) -> str:
    wanted: list[str] = []
    if not names:
        wanted = list(DEFAULT_SECTIONS)
    for n in names:
        n = n.lower()
        if n == "default":
            group = DEFAULT_SECTIONS
        elif n in ("all", "everything"):
            group = ALL_SECTIONS
        elif n in SECTIONS:
            group = (n,)
        else:
            group = ()
        for g in group:
            if g not in wanted:
                wanted.append(g)
    wanted = [w for w in ALL_SECTIONS if w in wanted]
    parts = []
    for name in wanted:
        title, fn = SECTIONS[name]
        lines = ["# " + title]
        lines.extend("%s:%s" % (k, v) for k, v in fn(server))
        parts.append("\r\n".join(lines) + "\r\n")
    return "\r\n".join(parts)


@command("info")
def info(c, args):
    return Verbatim(info_text(c.server, args[1:]))


# ------------------------------------------------------------------ CONFIG
@command("config|get")
def config_get(c, args):
    from ..config import ALIASES, DIRECTIVES
    from ..globmatch import glob_match
    cfg = c.server.config
    out: dict = {}
    for pattern in args[2:]:
        if not any(ch in pattern for ch in "[*?"):
            low = pattern.lower()
            name = ALIASES.get(low, low)
            if name in DIRECTIVES and pattern not in out:
                out[pattern] = _config_value(cfg, name)
            continue
        pat = pattern.lower()
        for name in DIRECTIVES:
            if name not in out and glob_match(pat, name):
                out[name] = _config_value(cfg, name)
        for alias, name in ALIASES.items():
            if alias not in out and glob_match(pat, alias):
                out[alias] = _config_value(cfg, name)
    return out


def _config_value(cfg, name: str) -> str:
    if name == "bind":
        return cfg.values["bind"]
    return cfg.render(name)


@command("config|set")
def config_set(c, args):
    from ..config import ALIASES
    if len(args) % 2:
        raise SYNTAX
    pairs = []
    seen = set()
    for i in range(2, len(args), 2):
        name = args[i]
        key = ALIASES.get(name.lower(), name.lower())
        if key in seen:
            raise RedisError("ERR CONFIG SET failed (possibly related to argument '%s') - duplicate parameter"
                             % name)
        seen.add(key)
        pairs.append((name, args[i + 1]))
    server = c.server
    cfg = server.config
    before = (cfg.values["dir"], cfg.values["dbfilename"])
    for name, value in pairs:
        key = ALIASES.get(name.lower(), name.lower())
        if key == "dir" and not os.path.isdir(os.path.expanduser(value)):
            raise RedisError("ERR CONFIG SET failed (possibly related to argument '%s') - "
                             "No such file or directory" % name)
    cfg.config_set(pairs)
    if (cfg.values["dir"], cfg.values["dbfilename"]) != before:
        server.storage_path_changed()
    return OK


@command("config|resetstat")
def config_resetstat(c, args):
    s = c.server
    for cmd in unique_commands():
        for x in [cmd, *cmd.subcommands.values()]:
            x.calls = x.ns = x.failed_calls = x.rejected_calls = 0
    s.stat_connections = s.stat_rejected = 0
    s.stat_net_input = s.stat_net_output = 0
    s.stat_keyspace_hits = s.stat_keyspace_misses = 0
    s.keyspace.expired_keys = 0
    s.slowlog.clear()
    return OK


@command("config|rewrite")
def config_rewrite(c, args):
    from ..config import rewrite_file
    cfg = c.server.config
    if not cfg.config_file:
        raise RedisError("ERR The server is running without a config file")
    try:
        rewrite_file(cfg)
    except OSError as e:
        raise RedisError("ERR Rewriting config file: %s" % (e.strerror or e)) from None
    return OK


@command("config|help")
def config_help(c, args):
    return help_reply([
        "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET <pattern>",
        "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value>",
        "    Set the configuration <directive> to <value>.",
        "RESETSTAT",
        "    Reset statistics reported by the INFO command.",
        "REWRITE",
        "    Rewrite the configuration file.",
        "HELP",
        "    Prints this help.",
    ])


# ------------------------------------------------------------------ keyspace-wide
def _flush_flags(args):
    if len(args) > 2:
        raise SYNTAX
    if len(args) == 2 and args[1].lower() not in ("sync", "async"):
        raise SYNTAX


@command("dbsize")
def dbsize(c, args):
    return len(c.db.data)


@command("flushdb")
def flushdb(c, args):
    _flush_flags(args)
    c.db.clear()
    return OK


@command("flushall")
def flushall(c, args):
    _flush_flags(args)
    s = c.server
    for db in s.keyspace.dbs:
        db.clear()
    s.kill_bgsave_child()
    if s.config.save_rules:
        try:
            s.save()
        except Exception:
            pass
    s.keyspace.dirty += 1
    return OK


@command("swapdb")
def swapdb(c, args):
    ks = c.ks
    try:
        a = parse_int(args[1])
    except RedisError:
        raise RedisError("ERR invalid first DB index") from None
    try:
        b = parse_int(args[2])
    except RedisError:
        raise RedisError("ERR invalid second DB index") from None
    n = len(ks.dbs)
    if not (0 <= a < n and 0 <= b < n):
        raise RedisError("ERR DB index is out of range")
    if a == b:
        return OK
    ks.swap(a, b)
    # WATCHers of keys in either db see a change; clients blocked there may now be served
    for dbi, key in list(ks.watched):
        if dbi in (a, b):
            ks.touch_watchers(dbi, key)
    for dbi, key in list(ks.blocked):
        if dbi in (a, b) and key in ks.dbs[dbi].data:
            ks.ready_keys.append((dbi, key))
    return OK


# ------------------------------------------------------------------ persistence
@command("save")
def save(c, args):
    s = c.server
    if s.bgsave_child is not None:
        raise RedisError("ERR Background save already in progress")
    try:
        s.save()
    except Exception:
        raise RedisError("ERR") from None
    return OK


@command("bgsave")
def bgsave(c, args):
    schedule = False
    if len(args) > 1:
        if len(args) == 2 and args[1].lower() == "schedule":
            schedule = True
        else:
            raise SYNTAX
    s = c.server
    if s.bgsave_child is not None:
        raise RedisError("ERR Background save already in progress")
    if c.in_exec:
        s.bgsave_scheduled = True
        return Status("Background saving scheduled")
    try:
        ok = s.bgsave()
    except OSError as e:
        raise RedisError("ERR Background save failed: %s" % (e.strerror or e)) from None
    if not ok:
        if schedule:
            s.bgsave_scheduled = True
            return Status("Background saving scheduled")
        raise RedisError("ERR Background save already in progress")
    return Status("Background saving started")


@command("lastsave")
def lastsave(c, args):
    return c.server.lastsave


@command("shutdown")
def shutdown(c, args):
    nosave = save_ = now = force = abort = False
    for a in args[1:]:
        low = a.lower()
        if low == "nosave":
            nosave = True
        elif low == "save":
            save_ = True
        elif low == "now":
            now = True
        elif low == "force":
            force = True
        elif low == "abort":
            abort = True
        else:
            raise SYNTAX
    if (abort and (nosave or save_ or now or force)) or (nosave and save_):
        raise SYNTAX
    if abort:
        raise RedisError("ERR No shutdown in progress.")
    s = c.server
    save_flag = True if save_ else (False if nosave else None)
    if s.shutdown(save=save_flag, force=force):
        c.closing = True
        return b""
    raise RedisError("ERR Errors trying to SHUTDOWN. Check logs.")


# ------------------------------------------------------------------ misc
@command("time")
def time_(c, args):
    t = time.time_ns() // 1000
    return [str(t // 1_000_000), str(t % 1_000_000)]


@command("monitor")
def monitor(c, args):
    s = c.server
    if not c.monitor:
        c.monitor = True
        s.monitors.append(c)
    return OK


@command("role")
def role(c, args):
    return ["master", 0, []]


@command("lolwut")
def lolwut(c, args):
    from .. import __version__
    from ..server import REDIS_VERSION
    i = 1
    while i < len(args):
        if args[i].lower() == "version" and i + 1 < len(args):
            parse_int(args[i + 1])
            i += 2
        else:
            i += 1
    return Verbatim("pickledbd %s - a Redis-protocol server in Python.\nRedis ver. %s\n"
                    % (__version__, REDIS_VERSION))


# ------------------------------------------------------------------ SLOWLOG
@command("slowlog|get")
def slowlog_get(c, args):
    s = c.server
    count = 10
    if len(args) > 3:
        raise RedisError("ERR wrong number of arguments for 'slowlog|get' command")
    if len(args) == 3:
        try:
            count = parse_int(args[2])
        except RedisError:
            count = -2
        if count < -1:
            raise RedisError("ERR count should be greater than or equal to -1")
        if count == -1:
            count = len(s.slowlog)
    out = []
    for entry in list(s.slowlog)[:count]:
        out.append(list(entry))
    return out


@command("slowlog|len")
def slowlog_len(c, args):
    return len(c.server.slowlog)


@command("slowlog|reset")
def slowlog_reset(c, args):
    c.server.slowlog.clear()
    return OK


@command("slowlog|help")
def slowlog_help(c, args):
    return help_reply([
        "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET [<count>]",
        "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
        "    Entries are made of:",
        "    id, timestamp, time in microseconds, arguments array, client IP and port,",
        "    client name",
        "LEN",
        "    Return the length of the slowlog.",
        "RESET",
        "    Reset the slowlog.",
        "HELP",
        "    Prints this help.",
    ])


# ------------------------------------------------------------------ LATENCY (accepted, no samples)
@command("latency|latest")
def latency_latest(c, args):
    return []


@command("latency|history")
def latency_history(c, args):
    return []


@command("latency|reset")
def latency_reset(c, args):
    return 0


@command("latency|graph")
def latency_graph(c, args):
    raise RedisError("ERR No samples available for event '%s'" % args[2])


@command("latency|histogram")
def latency_histogram(c, args):
    return {}


@command("latency|doctor")
def latency_doctor(c, args):
    return Verbatim(
        "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. "
        "You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. "
        "If we weren't in a deep space mission I'd suggest to take a look at "
        "https://redis.io/topics/latency-monitor.\n")


@command("latency|help")
def latency_help(c, args):
    return help_reply([
        "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DOCTOR",
        "    Return a human readable latency analysis report.",
        "GRAPH <event>",
        "    Return an ASCII latency graph for the <event> class.",
        "HISTORY <event>",
        "    Return time-latency samples for the <event> class.",
        "LATEST",
        "    Return the latest latency samples for all events.",
        "RESET [<event> ...]",
        "    Reset latency data of one or more <event> classes.",
        "    (default: reset all data for all event classes)",
        "HISTOGRAM [COMMAND ...]",
        "    Return a cumulative distribution of latencies in the format of a histogram for the "
        "specified command names.",
        "    If no commands are specified then all histograms are replied.",
        "HELP",
        "    Prints this help.",
    ])

