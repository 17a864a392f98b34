"""INFO: the sections and fields of Redis 7.0's INFO, filled from the server's services."""
from __future__ import annotations

import os
import platform
import resource
import sys
import time

from ...version import REDIS_VERSION, __version__
from .. import speedups
from ..engine.command import command
from ..engine.stats import rss_bytes
from ..protocol.reply import Verbatim


def _human(n: float) -> str:
    if n < 1024:
        return "%dB" % n
    for unit, div in (("K", 1024), ("M", 1024 ** 2), ("G", 1024 ** 3), ("T", 1024 ** 4)):
        if n < div * 1024 or unit == "T":
            return "%.2f%s" % (n / div, unit)
    return "%dB" % n


def _total_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return 0


def _section_server(c):
    now = time.time()
    uptime = int(now - c.lifecycle.start_time)
    u = os.uname()
    cfg = c.config
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
        ("run_id", c.lifecycle.run_id),
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
        ("hot_path", speedups.HOT_PATH),     # compiled (_speedups) or pure: daemon/speedups.py
    ]


def _section_clients(c):
    clients = c.clients.all()
    return [
        ("connected_clients", sum(1 for x in clients if x.kind != "replica")),
        ("cluster_connections", 0),
        ("maxclients", c.config.maxclients),
        ("client_recent_max_input_buffer", max((c.clients.io.query_buffered(x) for x in clients), default=0)),
        ("client_recent_max_output_buffer", max((c.clients.io.output_pending(x) for x in clients), default=0)),
        ("blocked_clients", sum(1 for x in clients if x.block is not None)),
        ("tracking_clients", sum(1 for x in clients if x.tracking is not None)),
        ("clients_in_timeout_table", sum(1 for c in clients if c.block is not None and c.block.timeout > 0)),
    ]


def _section_memory(c):
    rss = rss_bytes()
    total = _total_memory()
    maxmem = c.config.values["maxmemory"]
    mem = c.ks.mem
    # with maxmemory set, used_memory is the estimate eviction compares (keyspace/evict.py);
    # without it nothing is counted and the resident size stands in
    used = mem.used_memory() if mem.accounting else rss
    if mem.accounting:
        mem.peak = peak = max(mem.peak, used)
    else:
        peak = max(rss, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    return [
        ("used_memory", used),
        ("used_memory_human", _human(used)),
        ("used_memory_rss", rss),
        ("used_memory_rss_human", _human(rss)),
        ("used_memory_peak", peak),
        ("used_memory_peak_human", _human(peak)),
        ("used_memory_peak_perc", "%.2f%%" % (100.0 * used / peak if peak else 100.0)),
        ("total_system_memory", total),
        ("total_system_memory_human", _human(total)),
        *_lua_memory(c),
        ("maxmemory", maxmem),
        ("maxmemory_human", _human(maxmem)),
        ("maxmemory_policy", c.config.values["maxmemory-policy"]),
        ("mem_fragmentation_ratio", "%.2f" % (rss / used if used else 1.0)),
        ("mem_allocator", "libc"),
        ("lazyfree_pending_objects", 0),
        ("lazyfreed_objects", 0),
    ]


def _lua_memory(c):
    """The scripting fields. One Lua VM runs EVAL scripts and functions here (Redis has one
    each): its heap is reported as the EVAL VM's, the functions VM's as 0."""
    sc = c.scripting
    lua = sc.lua_memory()
    scripts = sc.scripts_memory()
    functions = getattr(sc, "functions", None)
    libraries = functions.current.libraries if functions is not None else {}
    nfunctions = sum(len(lib.functions) for lib in libraries.values())
    fslots = max(4, 1 << (nfunctions - 1).bit_length()) if nfunctions else 0
    # functionsMemoryOverhead, estimated: the engine, the functions dict, each library's code
    fmem = 200 + nfunctions * 24 + fslots * 8 + sum(len(lib.code) + 64 for lib in libraries.values())
    return [
        ("used_memory_lua", lua),
        ("used_memory_vm_eval", lua),
        ("used_memory_lua_human", _human(lua)),
        ("used_memory_scripts_eval", scripts),
        ("number_of_cached_scripts", len(sc.scripts)),
        ("number_of_functions", nfunctions),
        ("number_of_libraries", len(libraries)),
        ("used_memory_vm_functions", 0),
        ("used_memory_vm_total", lua),
        ("used_memory_vm_total_human", _human(lua)),
        ("used_memory_functions", fmem),
        ("used_memory_scripts", scripts + fmem),
        ("used_memory_scripts_human", _human(scripts + fmem)),
    ]


def _section_persistence(c):
    s = c.persistence
    now = time.time()
    in_progress = s.bgsave_child is not None
    aof_head, aof_tail = s.aof.info(now)
    return [
        ("loading", 0),
        ("async_loading", 0),
        ("rdb_changes_since_last_save", c.ks.dirty),
        ("rdb_bgsave_in_progress", 1 if in_progress else 0),
        ("rdb_last_save_time", s.lastsave),
        ("rdb_last_bgsave_status", "ok" if s.last_bgsave_ok else "err"),
        ("rdb_last_bgsave_time_sec", s.last_bgsave_seconds),
        ("rdb_current_bgsave_time_sec", int(now - s.bgsave_started) if in_progress else -1),
        ("rdb_saves", s.saves),
        ("rdb_last_load_keys_expired", 0),
        ("rdb_last_load_keys_loaded", s.loaded_keys),
        *aof_head,
        *aof_tail,
        ("storage_backend", s.storage.backend if s.storage is not None else ""),
        ("storage_file", s.storage.path if s.storage is not None else ""),
    ]


def _section_stats(c):
    st = c.stats
    ps = c.pubsub
    return [
        ("total_connections_received", st.connections),
        ("total_commands_processed", c.engine.table.total_calls()),
        ("instantaneous_ops_per_sec", 0),
        ("total_net_input_bytes", st.net_input),
        ("total_net_output_bytes", st.net_output),
        ("rejected_connections", st.rejected_conn),
        ("sync_full", c.replication.full_syncs),
        ("sync_partial_ok", 0),
        ("sync_partial_err", 0),
        ("expired_keys", c.ks.expired_keys),
        ("expired_stale_perc", "0.00"),
        ("expired_time_cap_reached_count", 0),
        ("evicted_keys", c.ks.mem.evicted),
        ("evicted_clients", 0),
        ("keyspace_hits", c.ks.hits),
        ("keyspace_misses", c.ks.misses),
        ("pubsub_channels", ps.channel_count()),
        ("pubsub_patterns", ps.pattern_count()),
        ("pubsubshard_channels", ps.shard_channel_count()),
        ("latest_fork_usec", c.persistence.fork_usec),
        ("total_forks", c.persistence.forks),
        ("tracking_total_keys", c.tracker.total_keys()),
        ("tracking_total_items", c.tracker.total_items()),
        ("tracking_total_prefixes", c.tracker.total_prefixes()),
        ("total_error_replies", st.total_error_replies),
        ("unexpected_error_replies", 0),
        ("client_query_buffer_limit_disconnections", st.qbuf_disconnects),
        ("client_output_buffer_limit_disconnections", st.obuf_disconnects),
    ]


def _section_replication(c):
    return c.replication.info()


def _section_cpu(c):
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


def _section_modules(c):
    return []


def _section_commandstats(c):
    out = []
    for x in c.engine.table.all_with_subcommands():
        if x.calls or x.failed_calls or x.rejected_calls:
            usec = x.ns // 1000
            out.append(("cmdstat_" + x.fullname,
                        "calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d"
                        % (x.calls, usec, usec / x.calls if x.calls else 0.0,
                           x.rejected_calls, x.failed_calls)))
    return out


def _section_errorstats(c):
    return [("errorstat_" + prefix, "count=%d" % n) for prefix, n in sorted(c.stats.errors.items())]


def _section_cluster(c):
    return [("cluster_enabled", 0)]


def _section_keyspace(c):
    out = []
    for db in c.ks.dbs:
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


def info_text(c, names: list[str]) -> str:
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
        lines.extend("%s:%s" % (k, v) for k, v in fn(c))
        parts.append("\r\n".join(lines) + "\r\n")
    return "\r\n".join(parts)


@command("info")
def info(c, args):
    return Verbatim(info_text(c, args[1:]))
