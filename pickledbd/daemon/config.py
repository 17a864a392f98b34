"""Configuration: redis.conf-style directives from a file and/or ``--name value`` flags.

One table (``DIRECTIVES``) defines every directive, its default and how its value is
parsed; the same table serves the config file, the command line and CONFIG GET/SET.
"""
from __future__ import annotations

import os
import re
import shlex

from .errors import RedisError
from .keyspace import events


class ConfigError(Exception):
    """A bad config file line or flag; the message is what the user sees."""


LLONG_MAX = (1 << 63) - 1
ULLONG_MAX = (1 << 64) - 1
INT_MAX, INT_MIN, UINT_MAX = (1 << 31) - 1, -(1 << 31), (1 << 32) - 1


def _yesno(v: str) -> str:
    v = v.lower()
    if v not in ("yes", "no"):
        raise ValueError("argument must be 'yes' or 'no'")
    return v


_bool = _yesno


def _strict_int(v: str) -> int:
    """string2ll: an optional '-' and digits, no leading zero, no sign, space or unit."""
    if not re.fullmatch(r"-?[1-9][0-9]*|0", v) or v == "-0":
        raise ValueError("argument couldn't be parsed into an integer")
    n = int(v)
    if not -(1 << 63) <= n <= LLONG_MAX:
        raise ValueError("argument couldn't be parsed into an integer")
    return n


def _range(n: int, lo: int, hi: int) -> int:
    if n < lo or n > hi:
        raise ValueError("argument must be between %d and %d inclusive" % (lo, hi))
    return n


def _int(lo=-(1 << 63), hi=LLONG_MAX):
    return lambda v: _range(_strict_int(v), lo, hi)


_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000 ** 2, "mb": 1024 ** 2, "g": 1000 ** 3,
          "gb": 1024 ** 3}


def _memtoull(v: str) -> int:
    """Redis's memtoull: digits then an optional unit; C's unsigned wrap-around included."""
    m = re.fullmatch(r"([0-9]*)([a-zA-Z]*)", v)
    if m is None or m.group(2).lower() not in _UNITS or len(m.group(1)) >= 128:
        raise ValueError("argument must be a memory value")
    n = min(int(m.group(1) or "0"), ULLONG_MAX)
    return (n * _UNITS[m.group(2).lower()]) & ULLONG_MAX


def _mem(lo=0, hi=LLONG_MAX):
    def parse(v: str) -> int:
        n = _memtoull(v)
        if hi <= LLONG_MAX and n > LLONG_MAX:
            n -= 1 << 64              # stored in a signed long long, as Redis does
        return _range(n, lo, hi)
    return parse


_memsize = _mem


def _memory(v: str) -> int:
    """A memory value for the buffer limits (units allowed; a '-' sign too, rejected later)."""
    if v.startswith("-"):
        return -_memtoull(v[1:])
    return _memtoull(v)


def _mem_or_percent(v: str) -> int:
    """maxmemory-clients: bytes, or a percentage of maxmemory (kept negative, as Redis)."""
    if len(v) > 1 and v.endswith("%"):
        try:
            n = _strict_int(v[:-1])
        except ValueError:
            n = -1
        if n >= 0:
            return -n
    try:
        n = _memtoull(v)
    except ValueError:
        raise ValueError("argument must be a memory or percent value") from None
    if n > LLONG_MAX:
        n -= 1 << 64
    if n < 0:
        raise ValueError("argument must be a memory or percent value")
    return n


def _hz(v: str) -> int:
    """hz: 0..INT_MAX accepted, then kept within 1..500 (CONFIG GET shows the clamped value)."""
    return min(max(_range(_strict_int(v), 0, INT_MAX), 1), 500)


def _backlog_size(v: str) -> int:
    return max(_mem(1, LLONG_MAX)(v), 16 * 1024)      # CONFIG_REPL_BACKLOG_MIN_SIZE


def _save(v: str) -> str:
    parts = v.split()
    if len(parts) % 2:
        raise ValueError("Invalid save parameters")
    for p in parts:
        if not p.isdigit():
            raise ValueError("Invalid save parameters")
    return " ".join(parts)


def _enum(*choices):
    def parse(v: str) -> str:
        if v.lower() not in choices:
            raise ValueError("argument(s) must be one of the following: " + ", ".join(choices))
        return v.lower()
    return parse


_SHUTDOWN_FLAGS = ("default", "save", "nosave", "now", "force")


def _shutdown_flags(v: str) -> str:
    """shutdown-on-sigint / -sigterm: a set of flags ("default" alone means none)."""
    words = [w.lower() for w in v.split()]
    if not words or any(w not in _SHUTDOWN_FLAGS for w in words):
        raise ValueError("argument(s) must be one of the following: " + ", ".join(_SHUTDOWN_FLAGS))
    if "save" in words and "nosave" in words:
        raise ValueError("shutdown options SAVE and NOSAVE can't be used simultaneously")
    chosen = [f for f in _SHUTDOWN_FLAGS[1:] if f in words]
    return " ".join(chosen) or "default"


def _oom_values(v: str) -> str:
    words = v.split()
    if len(words) != 3:
        raise ValueError("wrong number of arguments")
    out = []
    for w in words:
        try:
            n = _strict_int(w)
        except ValueError:
            n = None
        if n is None or not -2000 <= n <= 2000:
            raise ValueError("Invalid oom-score-adj-values, elements must be between -2000 and 2000.")
        out.append(str(n))
    return " ".join(out)


_PCT = re.compile(r"[ \t\n\v\f\r]*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")


def _percentiles(v: str) -> str:
    """latency-tracking-info-percentiles: doubles within [0, 100], shown as %f without the
    trailing zeros."""
    out = []
    for w in v.split(" ") if v else ():       # split on each space, as Redis: " 5" is invalid
        if not _PCT.match(w) or w[0].isspace():
            raise ValueError("Invalid latency-tracking-info-percentiles parameters")
        x = float(w)
        if not 0.0 <= x <= 100.0:
            raise ValueError("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")
        text = "%f" % x
        out.append(text.rstrip("0").rstrip(".") if "." in text else text)
    return " ".join(out)


# what each variable of proc-title-template may expand to when empty ("" ones may be empty)
_TITLE_VARS = {"{title}": "", "{listen-addr}": "x", "{server-mode}": "", "{port}": "x",
               "{tls-port}": "x", "{unixsocket}": "", "{config-file}": ""}


def _title_template(v: str) -> str:
    """validateProcTitleTemplate: known variables only, and not blank once expanded with an
    empty title."""
    rest = v
    for var, sample in _TITLE_VARS.items():
        rest = rest.replace(var, sample)
    if "{" in rest or "}" in rest or not rest.strip(" "):
        raise ValueError("template format is invalid or contains unknown variables")
    return v


def _str(v: str) -> str:
    return v


def _appendonly(v: str) -> str:
    return _yesno(v)


def _aof_name(what: str, kind: str):
    """appendfilename / appenddirname: a name inside dir (isValidAOFfilename/dirname)."""
    def parse(v: str) -> str:
        if not v:
            raise ValueError("%s can't be empty" % what)
        if "/" in v or v in (".", ".."):
            raise ValueError("%s can't be a path, just a %s" % (what, kind))
        return v
    return parse


def _activedefrag(v: str) -> str:
    if _yesno(v) == "yes":      # as a Redis built without its own jemalloc answers
        raise ValueError("Active defragmentation cannot be enabled: it requires a Redis server compiled "
                         "with a modified Jemalloc like the one shipped by default with the Redis "
                         "source distribution")
    return "no"


_NO_TLS = "Unable to update TLS configuration. Check server logs."


def _no_tls(parser, off):
    """TLS settings that would start TLS: refused as Redis refuses them without TLS set up."""
    def parse(v: str):
        x = parser(v)
        if x != off:
            raise ValueError(_NO_TLS)
        return x
    return parse


def _hostname(v: str) -> str:
    if any(not (ch.isascii() and (ch.isalnum() or ch in "-.")) for ch in v):
        raise ValueError("Hostnames may only contain alphanumeric characters, hyphens or dots")
    return v


def _dbfilename(v: str) -> str:
    if os.path.basename(v) != v:
        raise ValueError("dbfilename can't be a path, just a filename")
    return v


def _octal(v: str) -> int:
    try:
        return int(v, 8)
    except ValueError:
        raise ValueError("argument couldn't be parsed into an integer") from None


def _notify_events(v: str) -> int:
    return events.parse_flags(v)


OBUF_CLASSES = ("normal", "replica", "pubsub")
OBUF_DEFAULT = {"normal": (0, 0, 0), "replica": (256 << 20, 64 << 20, 60), "pubsub": (32 << 20, 8 << 20, 60)}


def _obuf_limits(v: str) -> dict:
    """client-output-buffer-limit: ``<class> <hard> <soft> <soft seconds>`` groups; the classes
    given replace theirs, the others keep their values (merged by Config.set)."""
    words = v.split()
    if not words and not v:
        return {}               # CONFIG SET with "": nothing changes, as in Redis
    if not words or len(words) % 4:
        raise ValueError("Wrong number of arguments in buffer limit configuration.")
    out = {}
    for i in range(0, len(words), 4):
        cls = words[i].lower()
        cls = "replica" if cls == "slave" else cls
        if cls not in OBUF_CLASSES:
            raise ValueError("Invalid client class specified in buffer limit configuration.")
        try:
            hard, soft = _memory(words[i + 1]), _memory(words[i + 2])
            secs = int(words[i + 3])
        except ValueError:
            raise ValueError("Error in hard, soft or soft_seconds setting in buffer limit configuration.") from None
        if hard < 0 or soft < 0 or secs < 0:
            raise ValueError("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
        out[cls] = (hard, soft, secs)
    return out


_MERGED = ("client-output-buffer-limit",)    # a new value updates the old one
# directives whose value is several words in a config file line
_MULTI_WORD = ("save", "bind", "client-output-buffer-limit", "oom-score-adj-values",
               "latency-tracking-info-percentiles", "shutdown-on-sigint", "shutdown-on-sigterm",
               "replicaof")


def _replicaof(v: str) -> str:
    """pickledbd is a master only: "replicaof" is listed, never set."""
    if v.split():
        raise ValueError("replicaof is not supported: pickledbd runs as a master only")
    return ""


# Every parameter of Redis 7.0.15's CONFIG GET *, with Redis's parser, range and default.
# name: (default, parser, settable at runtime). What pickledbd does with each one (many
# are accepted for compatibility only) is listed in the README.
DIRECTIVES: dict[str, tuple] = {
    "acl-pubsub-default": ("resetchannels", _enum("allchannels", "resetchannels"), True),
    "aclfile": ("", _str, False),
    "acllog-max-len": (128, _int(0, LLONG_MAX), True),
    "active-defrag-cycle-max": (25, _int(1, 99), True),
    "active-defrag-cycle-min": (1, _int(1, 99), True),
    "active-defrag-ignore-bytes": (104857600, _mem(1, LLONG_MAX), True),
    "active-defrag-max-scan-fields": (1000, _int(1, LLONG_MAX), True),
    "active-defrag-threshold-lower": (10, _int(0, 1000), True),
    "active-defrag-threshold-upper": (100, _int(0, 1000), True),
    "active-expire-effort": (1, _int(1, 10), True),
    "activedefrag": ("no", _activedefrag, True),
    "activerehashing": ("yes", _bool, True),
    "always-show-logo": ("no", _bool, False),
    "aof-disable-auto-gc": ("no", _bool, True),
    "aof-load-truncated": ("yes", _bool, True),
    "aof-rewrite-incremental-fsync": ("yes", _bool, True),
    "aof-timestamp-enabled": ("no", _bool, True),
    "aof-use-rdb-preamble": ("yes", _bool, True),
    "aof_rewrite_cpulist": ("", _str, False),
    "appenddirname": ("appendonlydir", _aof_name("appenddirname", "dirname"), False),
    "appendfilename": ("appendonly.aof", _aof_name("appendfilename", "filename"), False),
    "appendfsync": ("everysec", _enum("everysec", "always", "no"), True),
    "appendonly": ("no", _appendonly, True),
    "auto-aof-rewrite-min-size": (67108864, _mem(0, LLONG_MAX), True),
    "auto-aof-rewrite-percentage": (100, _int(0, INT_MAX), True),
    "bgsave_cpulist": ("", _str, False),
    "bind": ("127.0.0.1 -::1", _str, True),
    "bind-source-addr": ("", _str, True),
    "bio_cpulist": ("", _str, False),
    "busy-reply-threshold": (5000, _int(0, LLONG_MAX), True),
    "client-output-buffer-limit": (OBUF_DEFAULT, _obuf_limits, True),
    "client-query-buffer-limit": (1073741824, _mem(1048576, LLONG_MAX), True),
    "cluster-allow-pubsubshard-when-down": ("yes", _bool, True),
    "cluster-allow-reads-when-down": ("no", _bool, True),
    "cluster-allow-replica-migration": ("yes", _bool, True),
    "cluster-announce-bus-port": (0, _int(0, 65535), True),
    "cluster-announce-hostname": ("", _hostname, True),
    "cluster-announce-ip": ("", _str, True),
    "cluster-announce-port": (0, _int(0, 65535), True),
    "cluster-announce-tls-port": (0, _int(0, 65535), True),
    "cluster-config-file": ("nodes.conf", _str, False),
    "cluster-enabled": ("no", _enum("no"), False),
    "cluster-link-sendbuf-limit": (0, _mem(0, ULLONG_MAX), True),
    "cluster-migration-barrier": (1, _int(0, INT_MAX), True),
    "cluster-node-timeout": (15000, _int(0, LLONG_MAX), True),
    "cluster-port": (0, _int(0, 65535), False),
    "cluster-preferred-endpoint-type": ("ip", _enum("ip", "hostname", "unknown-endpoint"), True),
    "cluster-replica-no-failover": ("no", _bool, True),
    "cluster-replica-validity-factor": (10, _int(0, INT_MAX), True),
    "cluster-require-full-coverage": ("yes", _bool, True),
    "crash-log-enabled": ("yes", _bool, True),
    "crash-memcheck-enabled": ("yes", _bool, True),
    "daemonize": ("no", _bool, False),
    "databases": (16, _int(1, INT_MAX), False),
    "dbfilename": ("dump.json", _dbfilename, True),
    "dir": (".", _str, True),
    "disable-thp": ("yes", _bool, False),
    "dynamic-hz": ("yes", _bool, True),
    "enable-debug-command": ("no", _enum("no", "yes", "local"), False),
    "enable-module-command": ("no", _enum("no", "yes", "local"), False),
    "enable-protected-configs": ("no", _enum("no", "yes", "local"), False),
    "hash-max-listpack-entries": (512, _int(0, LLONG_MAX), True),
    "hash-max-listpack-value": (64, _mem(0, LLONG_MAX), True),
    "hll-sparse-max-bytes": (3000, _mem(0, LLONG_MAX), True),
    "hz": (10, _hz, True),
    "ignore-warnings": ("", _str, True),
    "io-threads": (1, _int(1, 128), False),
    "io-threads-do-reads": ("no", _bool, False),
    "jemalloc-bg-thread": ("yes", _bool, True),
    "latency-monitor-threshold": (0, _int(0, LLONG_MAX), True),
    "latency-tracking": ("yes", _bool, True),
    "latency-tracking-info-percentiles": ("50 99 99.9", _percentiles, True),
    "lazyfree-lazy-eviction": ("no", _bool, True),
    "lazyfree-lazy-expire": ("no", _bool, True),
    "lazyfree-lazy-server-del": ("no", _bool, True),
    "lazyfree-lazy-user-del": ("no", _bool, True),
    "lazyfree-lazy-user-flush": ("no", _bool, True),
    "lfu-decay-time": (1, _int(0, INT_MAX), True),
    "lfu-log-factor": (10, _int(0, INT_MAX), True),
    "list-compress-depth": (0, _int(0, INT_MAX), True),
    "list-max-listpack-size": (-2, _int(INT_MIN, INT_MAX), True),
    "logfile": ("", _str, False),
    "loglevel": ("notice", _enum("debug", "verbose", "notice", "warning"), True),
    "masterauth": ("", _str, True),
    "masteruser": ("", _str, True),
    "maxclients": (10000, _int(1, UINT_MAX), True),
    "maxmemory": (0, _mem(0, ULLONG_MAX), True),
    "maxmemory-clients": (0, _mem_or_percent, True),
    "maxmemory-eviction-tenacity": (10, _int(0, 100), True),
    "maxmemory-policy": ("noeviction", _enum("volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"), True),
    "maxmemory-samples": (5, _int(1, INT_MAX), True),
    "min-replicas-max-lag": (10, _int(0, INT_MAX), True),
    "min-replicas-to-write": (0, _int(0, INT_MAX), True),
    "no-appendfsync-on-rewrite": ("no", _bool, True),
    "notify-keyspace-events": (0, _notify_events, True),
    "oom-score-adj": ("no", _enum("no", "yes", "relative", "absolute"), True),
    "oom-score-adj-values": ("0 200 800", _oom_values, True),
    "pidfile": ("", _str, False),
    "port": (6379, _int(0, 65535), True),
    "proc-title-template": ("{title} {listen-addr} {server-mode}", _title_template, True),
    "propagation-error-behavior": ("ignore", _enum("ignore", "panic", "panic-on-replicas"), True),
    "protected-mode": ("yes", _bool, True),
    "proto-max-bulk-len": (536870912, _mem(1048576, LLONG_MAX), True),
    "rdb-del-sync-files": ("no", _bool, True),
    "rdb-save-incremental-fsync": ("yes", _bool, True),
    "rdbchecksum": ("yes", _bool, False),
    "rdbcompression": ("yes", _bool, True),
    "repl-backlog-size": (1048576, _backlog_size, True),
    "repl-backlog-ttl": (3600, _int(0, LLONG_MAX), True),
    "repl-disable-tcp-nodelay": ("no", _bool, True),
    "repl-diskless-load": ("disabled", _enum("disabled", "on-empty-db", "swapdb"), True),
    "repl-diskless-sync": ("yes", _bool, True),
    "repl-diskless-sync-delay": (5, _int(0, INT_MAX), True),
    "repl-diskless-sync-max-replicas": (0, _int(0, INT_MAX), True),
    "repl-ping-replica-period": (10, _int(1, INT_MAX), True),
    "repl-timeout": (60, _int(1, INT_MAX), True),
    "replica-announce-ip": ("", _str, True),
    "replica-announce-port": (0, _int(0, 65535), True),
    "replica-announced": ("yes", _bool, True),
    "replica-ignore-disk-write-errors": ("no", _bool, True),
    "replica-ignore-maxmemory": ("yes", _bool, True),
    "replica-lazy-flush": ("no", _bool, True),
    "replica-priority": (100, _int(0, INT_MAX), True),
    "replica-read-only": ("yes", _bool, True),
    "replica-serve-stale-data": ("yes", _bool, True),
    "replicaof": ("", _replicaof, False),
    "requirepass": ("", _str, True),
    "sanitize-dump-payload": ("no", _enum("no", "yes", "clients"), True),
    "save": ("3600 1 300 100 60 10000", _save, True),
    "server_cpulist": ("", _str, False),
    "set-max-intset-entries": (512, _int(0, LLONG_MAX), True),
    "set-proc-title": ("yes", _bool, False),
    "shutdown-on-sigint": ("default", _shutdown_flags, True),
    "shutdown-on-sigterm": ("default", _shutdown_flags, True),
    "shutdown-timeout": (10, _int(0, INT_MAX), True),
    "slowlog-log-slower-than": (10000, _int(-1, LLONG_MAX), True),
    "slowlog-max-len": (128, _int(0, LLONG_MAX), True),
    "socket-mark-id": (0, _int(0, UINT_MAX), False),
    "stop-writes-on-bgsave-error": ("yes", _bool, True),
    "stream-node-max-bytes": (4096, _mem(0, LLONG_MAX), True),
    "stream-node-max-entries": (100, _int(0, LLONG_MAX), True),
    "supervised": ("no", _enum("upstart", "systemd", "auto", "no"), False),
    "syslog-enabled": ("no", _bool, False),
    "syslog-facility": ("local0", _enum("user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"), False),
    "syslog-ident": ("redis", _str, False),
    "tcp-backlog": (511, _int(0, INT_MAX), False),
    "tcp-keepalive": (300, _int(0, INT_MAX), True),
    "timeout": (0, _int(0, INT_MAX), True),
    "tls-auth-clients": ("yes", _enum("no", "yes", "optional"), True),
    "tls-ca-cert-dir": ("", _str, True),
    "tls-ca-cert-file": ("", _str, True),
    "tls-cert-file": ("", _str, True),
    "tls-ciphers": ("", _str, True),
    "tls-ciphersuites": ("", _str, True),
    "tls-client-cert-file": ("", _str, True),
    "tls-client-key-file": ("", _str, True),
    "tls-client-key-file-pass": ("", _str, True),
    "tls-cluster": ("no", _no_tls(_bool, "no"), True),
    "tls-dh-params-file": ("", _str, True),
    "tls-key-file": ("", _str, True),
    "tls-key-file-pass": ("", _str, True),
    "tls-port": (0, _no_tls(_int(0, 65535), 0), True),
    "tls-prefer-server-ciphers": ("no", _bool, True),
    "tls-protocols": ("", _str, True),
    "tls-replication": ("no", _no_tls(_bool, "no"), True),
    "tls-session-cache-size": (20480, _int(0, INT_MAX), True),
    "tls-session-cache-timeout": (300, _int(0, INT_MAX), True),
    "tls-session-caching": ("yes", _bool, True),
    "tracking-table-max-keys": (1000000, _int(0, LLONG_MAX), True),
    "unixsocket": ("", _str, False),
    "unixsocketperm": (0, _octal, False),
    "zset-max-listpack-entries": (128, _int(0, LLONG_MAX), True),
    "zset-max-listpack-value": (64, _mem(0, LLONG_MAX), True),
}
# where the server writes files: CONFIG SET only when enable-protected-configs allows it
PROTECTED = ("dir", "dbfilename")
# Redis 7.0's alias names (CONFIG GET * lists them too)
ALIASES = {"lua-time-limit": "busy-reply-threshold",
           "hash-max-ziplist-entries": "hash-max-listpack-entries",
           "hash-max-ziplist-value": "hash-max-listpack-value",
           "zset-max-ziplist-entries": "zset-max-listpack-entries",
           "zset-max-ziplist-value": "zset-max-listpack-value",
           "list-max-ziplist-size": "list-max-listpack-size",
           "slaveof": "replicaof",
           "slave-serve-stale-data": "replica-serve-stale-data",
           "slave-read-only": "replica-read-only",
           "slave-ignore-maxmemory": "replica-ignore-maxmemory",
           "slave-lazy-flush": "replica-lazy-flush",
           "slave-priority": "replica-priority",
           "slave-announce-ip": "replica-announce-ip",
           "slave-announce-port": "replica-announce-port",
           "min-slaves-to-write": "min-replicas-to-write",
           "min-slaves-max-lag": "min-replicas-max-lag",
           "repl-ping-slave-period": "repl-ping-replica-period",
           "cluster-slave-validity-factor": "cluster-replica-validity-factor",
           "cluster-slave-no-failover": "cluster-replica-no-failover"}


class Config:
    """Current values by directive name. ``config.port`` style access for the common ones."""

    def __init__(self):
        self.values = {name: d[0] for name, d in DIRECTIVES.items()}
        self.config_file: str | None = None
        self.listeners: list = []     # called after every successful CONFIG SET

    def __getattr__(self, name):
        try:
            return self.__dict__["values"][name.replace("_", "-")]
        except KeyError:
            raise AttributeError(name) from None

    def set(self, name: str, value: str) -> None:
        name = ALIASES.get(name.lower(), name.lower())
        if name not in DIRECTIVES:
            raise KeyError(name)
        self._store(name, DIRECTIVES[name][1](value))

    def _store(self, name: str, parsed) -> None:
        if name in _MERGED:
            parsed = {**self.values[name], **parsed}
        self.values[name] = parsed

    def get_matching(self, pattern: str) -> dict[str, str]:
        from .globmatch import glob_match
        out = {}
        for name in DIRECTIVES:
            if glob_match(pattern.lower(), name):
                out[name] = self.render(name)
        for alias, name in ALIASES.items():
            if glob_match(pattern.lower(), alias) and pattern.lower() == alias:
                out[alias] = self.render(name)
        return out

    def render(self, name: str) -> str:
        v = self.values[name]
        if name == "unixsocketperm":
            return "%o" % v
        if name == "dir":
            return os.path.abspath(v)
        if name == "notify-keyspace-events":
            return events.format_flags(v)
        if name == "maxmemory-clients" and v < 0:
            return "%d%%" % -v
        if name == "client-output-buffer-limit":
            return " ".join("%s %d %d %d" % (("slave" if cls == "replica" else cls,) + v[cls])
                            for cls in OBUF_CLASSES)
        return str(v)

    def obuf_limits(self, cls: str) -> tuple[int, int, int]:
        """(hard, soft, soft seconds) of a client class: normal, replica or pubsub."""
        return self.values["client-output-buffer-limit"][cls]

    @property
    def save_rules(self) -> list[tuple[int, int]]:
        parts = [int(x) for x in self.values["save"].split()]
        return list(zip(parts[::2], parts[1::2]))

    @property
    def bind_addresses(self) -> list[tuple[str, bool]]:
        """(address, optional): Redis's ``-addr`` means 'skip if unavailable'."""
        out = []
        for a in self.values["bind"].split():
            out.append((a[1:], True) if a.startswith("-") else (a, False))
        return out

    def data_path(self) -> str:
        return os.path.join(os.path.abspath(os.path.expanduser(self.values["dir"])),
                            self.values["dbfilename"])

    def allows(self, directive: str, local: bool) -> bool:
        """enable-protected-configs / enable-debug-command: yes, no, or local connections only."""
        v = self.values[directive]
        return v == "yes" or (v == "local" and local)

    def config_set(self, pairs: list[tuple[str, str]], local: bool = False) -> None:
        """CONFIG SET: all or nothing, errors as Redis words them (every name is checked
        before any value is parsed, as Redis does). ``local``: the client is on loopback."""
        self.check_names(pairs, local)
        old = dict(self.values)
        try:
            for name, value in pairs:
                key = ALIASES.get(name.lower(), name.lower())
                try:
                    self._store(key, DIRECTIVES[key][1](value))
                except ValueError as e:
                    raise RedisError("ERR CONFIG SET failed (possibly related to argument '%s') - %s" % (name, e)) from None
        except RedisError:
            self.values = old
            raise
        for listener in self.listeners:
            listener()

    def check_names(self, pairs: list[tuple[str, str]], local: bool) -> None:
        """CONFIG SET's first pass: unknown, immutable and protected directives."""
        for name, _ in pairs:
            key = ALIASES.get(name.lower(), name.lower())
            if key not in DIRECTIVES:
                raise RedisError("ERR Unknown option or number of arguments for CONFIG SET - '%s'" % name)
            if not DIRECTIVES[key][2]:
                raise RedisError("ERR CONFIG SET failed (possibly related to argument '%s') - can't set immutable config" % name)
            if key in PROTECTED and not self.allows("enable-protected-configs", local):
                raise RedisError("ERR CONFIG SET failed (possibly related to argument '%s') - can't set protected config" % name)


# CONFIG_MIN_RESERVED_FDS: descriptors kept free of clients for listeners, the log, the
# store and the files a save opens (so SAVE and the shutdown save never hit EMFILE)
RESERVED_FDS = 32


def fit_open_files(maxclients: int) -> tuple[int, list[tuple[int, str]]]:
    """adjustOpenFilesLimit: raise the soft RLIMIT_NOFILE to maxclients + RESERVED_FDS when
    the hard limit allows, else lower maxclients to fit. Returns (maxclients, [(logging
    level, message)]); ValueError when not even one client fits."""
    import logging
    import resource
    wanted = maxclients + RESERVED_FDS
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return maxclients, []
    error = ""
    best = wanted
    while best > soft:          # as Redis: both limits, 16 lower at each refusal
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (best, best))
            break
        except (ValueError, OSError) as e:
            error = e.strerror if isinstance(e, OSError) else "Operation not permitted"
            if hard != resource.RLIM_INFINITY and best - 16 > hard:
                best -= -(-(best - hard) // 16) * 16   # where Redis's steps end, in one jump
            else:
                best = best - 16 if best >= 16 else soft
    best = max(best, soft)
    if best >= wanted:
        return maxclients, [(logging.INFO, "Increased maximum number of open files to %d (it was "
                                           "originally set to %d)." % (best, soft))]
    fitted = best - RESERVED_FDS
    if fitted < 1:
        raise ValueError("Your current 'ulimit -n' of %d is not enough for the server to start. "
                         "Please increase your open file limit to at least %d. Exiting."
                         % (soft, RESERVED_FDS + 1))
    return fitted, [
        (logging.WARNING, "You requested maxclients of %d requiring at least %d max file "
                          "descriptors." % (maxclients, wanted)),
        (logging.WARNING, "Server can't set maximum open files to %d because of OS error: %s."
                          % (wanted, error or "Operation not permitted")),
        (logging.WARNING, "Current maximum open files is %d. maxclients has been reduced to %d to "
                          "compensate for low ulimit. If you need higher maxclients increase "
                          "'ulimit -n'." % (best, fitted))]


INCLUDE_DEPTH = 16


def parse_file(path: str, config: Config, _including: tuple = ()) -> None:
    real = os.path.realpath(path)
    if real in _including or len(_including) >= INCLUDE_DEPTH:
        raise ConfigError("Fatal error, config file '%s' includes itself (or includes nest "
                          "deeper than %d)" % (path, INCLUDE_DEPTH))
    try:
        # bytes that are not UTF-8 ride as lone surrogates, like every other value
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            lines = f.read().split("\n")
    except OSError as e:
        raise ConfigError("Fatal error, can't open config file '%s': %s" % (path, e.strerror)) from None
    for lineno, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            words = shlex.split(line)
        except ValueError:
            _fatal(path, lineno, raw, "Unbalanced quotes in configuration line")
        name, args = words[0].lower(), words[1:]
        if name == "include":
            if len(args) != 1:
                _fatal(path, lineno, raw, "Bad directive or wrong number of arguments")
            parse_file(args[0], config, _including + (real,))
            continue
        _apply(config, name, args, lambda msg: _fatal(path, lineno, raw, msg))
    config.config_file = os.path.abspath(path)


def _apply(config: Config, name: str, args: list[str], fail) -> None:
    key = ALIASES.get(name, name)
    if key not in DIRECTIVES or (not args and key not in ("save", "bind")):
        fail("Bad directive or wrong number of arguments")
    value = " ".join(args) if key in _MULTI_WORD else (args[0] if args else "")
    if key not in _MULTI_WORD and len(args) > 1:
        fail("Bad directive or wrong number of arguments")
    if key == "save":
        # as redis.conf: several "save" lines add up; the first one replaces the defaults;
        # save "" clears
        value = " ".join(a for a in args if a)
        if value and config.__dict__.get("_save_seen"):
            value = (config.values["save"] + " " + value).strip()
        config.__dict__["_save_seen"] = True
    try:
        config.set(key, value)
    except ValueError as e:
        fail(str(e))


def _render_line(config: "Config", name: str) -> str:
    if name == "save":
        return 'save ""' if not config.values["save"] else "save %s" % config.values["save"]
    if name == "client-output-buffer-limit":
        return "\n".join("client-output-buffer-limit %s %d %d %d" % ((cls,) + config.obuf_limits(cls))
                         for cls in OBUF_CLASSES)
    value = config.values["bind"] if name == "bind" else config.render(name)
    if name == "bind":
        return "bind %s" % value
    if value == "" or any(ch.isspace() or ch in "\"'#" for ch in value):
        value = '"%s"' % value.replace("\\", "\\\\").replace('"', '\\"')
    return "%s %s" % (name, value)


def rewrite_file(config: "Config") -> None:
    """CONFIG REWRITE: keep the file's comments and layout, update the directives it has
    (the first occurrence; later duplicates are dropped), append the ones that differ from
    their defaults. Written atomically (temp file + rename)."""
    path = config.config_file
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    done: set = set()
    out = []
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            out.append(raw)
            continue
        try:
            name = shlex.split(line)[0].lower()
        except (ValueError, IndexError):
            out.append(raw)
            continue
        name = ALIASES.get(name, name)
        if name not in DIRECTIVES:
            out.append(raw)
            continue
        if name in done:
            continue
        done.add(name)
        out.append(_render_line(config, name))
    extra = [n for n in DIRECTIVES if n not in done and config.values[n] != DIRECTIVES[n][0]]
    if extra:
        out.append("# Generated by CONFIG REWRITE")
        out.extend(_render_line(config, n) for n in extra)
    data = ("\n".join(out) + "\n").encode("utf-8", "surrogateescape")
    d = os.path.dirname(path) or "."
    tmp = os.path.join(d, ".%s.rewrite.%d" % (os.path.basename(path), os.getpid()))
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            try:
                os.fchmod(fd, os.stat(path).st_mode & 0o7777)
            except OSError:
                pass
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _fatal(path, lineno, raw, msg):
    raise ConfigError("\n*** FATAL CONFIG FILE ERROR (pickledbd) ***\n"
                      "Reading the configuration file, at line %d\n>>> '%s'\n%s" % (lineno, raw.strip(), msg))


def parse_args(argv: list[str]) -> Config:
    """``pickledbd [/path/to/pickledbd.conf] [--directive value ...]``, as redis-server."""
    config = Config()
    args = list(argv)
    if args and not args[0].startswith("--"):
        parse_file(args.pop(0), config)
    i = 0
    while i < len(args):
        flag = args[i]
        if not flag.startswith("--"):
            raise ConfigError("Invalid argument '%s': options are --name value" % flag)
        name = flag[2:].lower()
        values = []
        i += 1
        while i < len(args) and not args[i].startswith("--"):
            values.append(args[i])
            i += 1
        if name == "include" and len(values) == 1:
            parse_file(values[0], config)
            continue
        if name in _MULTI_WORD and len(values) == 1:
            values = values[0].split() if values[0] else []
        _apply(config, name, values,
               lambda msg, f=flag: _raise(ConfigError("Bad option %s: %s" % (f, msg))))
    return config


def _raise(e):
    raise e


__all__ = ["Config", "ConfigError", "parse_args", "parse_file", "rewrite_file", "DIRECTIVES"]
