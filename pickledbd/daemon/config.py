"""Configuration: redis.conf-style directives from a file and/or ``--name value`` flags.

One table (``DIRECTIVES``) defines every directive, its default and how its value is
parsed; the same table serves the config file, the command line and CONFIG GET/SET.
"""
from __future__ import annotations

import os
import shlex

from .errors import RedisError
from .keyspace import events


class ConfigError(Exception):
    """A bad config file line or flag; the message is what the user sees."""


def _yesno(v: str) -> str:
    v = v.lower()
    if v not in ("yes", "no"):
        raise ValueError("argument must be 'yes' or 'no'")
    return v


def _int(lo=None, hi=None):
    def parse(v: str) -> int:
        n = _memory(v)
        if (lo is not None and n < lo) or (hi is not None and n > hi):
            raise ValueError("argument must be between %s and %s inclusive" % (lo, hi))
        return n
    return parse


_UNITS = {"k": 1000, "kb": 1024, "m": 1000 ** 2, "mb": 1024 ** 2, "g": 1000 ** 3, "gb": 1024 ** 3}


def _memsize(lo=None, hi=None):
    def parse(v: str) -> int:
        try:
            n = _memory(v)
        except ValueError:
            raise ValueError("argument must be a memory value") from None
        if (lo is not None and n < lo) or (hi is not None and n > hi):
            raise ValueError("argument must be between %s and %s inclusive" % (lo, hi))
        return n
    return parse


def _memory(v: str) -> int:
    low = v.lower()
    for unit in ("kb", "mb", "gb", "k", "m", "g"):
        if low.endswith(unit) and low[:-len(unit)].lstrip("-").isdigit():
            return int(low[:-len(unit)]) * _UNITS[unit]
    try:
        return int(v)
    except ValueError:
        raise ValueError("argument couldn't be parsed into an integer") from None


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


def _str(v: str) -> str:
    return v


def _dbfilename(v: str) -> str:
    if os.path.basename(v) != v:
        raise ValueError("dbfilename can't be a path, just a filename")
    return v


def _octal(v: str) -> int:
    return int(v, 8)


def _notify_events(v: str) -> int:
    return events.parse_flags(v)


OBUF_CLASSES = ("normal", "replica", "pubsub")
OBUF_DEFAULT = {"normal": (0, 0, 0), "replica": (256 << 20, 64 << 20, 60), "pubsub": (32 << 20, 8 << 20, 60)}


def _obuf_limits(v: str) -> dict:
    """client-output-buffer-limit: ``<class> <hard> <soft> <soft seconds>`` groups; the classes
    given replace theirs, the others keep their values (merged by Config.set)."""
    words = v.split()
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
_MULTI_WORD = ("save", "bind", "client-output-buffer-limit")


# name: (default, parser, settable at runtime)
DIRECTIVES: dict[str, tuple] = {
    "port": (6379, _int(0, 65535), False),
    "bind": ("127.0.0.1 -::1", _str, False),
    "unixsocket": ("", _str, False),
    "unixsocketperm": (0, _octal, False),
    "dir": (".", _str, True),
    "dbfilename": ("dump.json", _dbfilename, True),
    "save": ("3600 1 300 100 60 10000", _save, True),
    "databases": (16, _int(1, 1 << 16), False),
    "requirepass": ("", _str, True),
    "protected-mode": ("yes", _yesno, True),
    "maxclients": (10000, _int(1, 1 << 20), True),
    "timeout": (0, _int(0, 1 << 31), True),
    "tcp-keepalive": (300, _int(0, 1 << 31), True),
    "tcp-backlog": (511, _int(0, 1 << 16), False),
    "loglevel": ("notice", _enum("debug", "verbose", "notice", "warning", "nothing"), True),
    "logfile": ("", _str, False),
    "pidfile": ("", _str, False),
    "daemonize": ("no", _yesno, False),
    "hz": (10, _int(1, 500), True),
    "proto-max-bulk-len": (512 * 1024 * 1024, _memsize(1024 * 1024, 1 << 40), True),
    "client-query-buffer-limit": (1024 * 1024 * 1024, _memsize(1024 * 1024, 1 << 40), True),
    "slowlog-log-slower-than": (10000, _int(-1, 1 << 62), True),
    "slowlog-max-len": (128, _int(0, 1 << 31), True),
    "latency-monitor-threshold": (0, _int(0, 1 << 62), True),
    "latency-tracking": ("no", _enum("no"), True),     # per-command histograms: not kept
    "stop-writes-on-bgsave-error": ("yes", _yesno, True),
    "maxmemory": (0, _memsize(0, 1 << 62), True),
    "maxmemory-policy": ("noeviction", _enum("volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
                                             "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"), True),
    "maxmemory-samples": (5, _int(1, (1 << 31) - 1), True),
    "maxmemory-eviction-tenacity": (10, _int(0, 100), True),
    "lfu-log-factor": (10, _int(0, (1 << 31) - 1), True),
    "lfu-decay-time": (1, _int(0, (1 << 31) - 1), True),
    "appendonly": ("no", _enum("no"), True),
    "appendfsync": ("everysec", _enum("always", "everysec", "no"), True),
    "notify-keyspace-events": (0, _notify_events, True),
    "tracking-table-max-keys": (1000000, _int(0, (1 << 63) - 1), True),
    "client-output-buffer-limit": (OBUF_DEFAULT, _obuf_limits, True),
    "busy-reply-threshold": (5000, _int(0, 1 << 62), True),
    "list-max-listpack-size": (-2, _int(-5, 1 << 31), True),
    "hash-max-listpack-entries": (128, _int(0, 1 << 31), True),
    "hash-max-listpack-value": (64, _int(0, 1 << 31), True),
    "set-max-intset-entries": (512, _int(0, 1 << 31), True),
    "set-max-listpack-entries": (128, _int(0, 1 << 31), True),
    "zset-max-listpack-entries": (128, _int(0, 1 << 31), True),
    "zset-max-listpack-value": (64, _int(0, 1 << 31), True),
    "rdbcompression": ("yes", _yesno, True),
    "supervised": ("no", _enum("no", "systemd", "upstart", "auto"), False),
    "repl-ping-replica-period": (10, _int(1, (1 << 31) - 1), True),
    # "local": only from loopback / unix socket connections
    "enable-protected-configs": ("no", _enum("no", "yes", "local"), False),
    "enable-debug-command": ("no", _enum("no", "yes", "local"), False),
}
# where the server writes files: CONFIG SET only when enable-protected-configs allows it
PROTECTED = ("dir", "dbfilename")
ALIASES = {"lua-time-limit": "busy-reply-threshold",
           "hash-max-ziplist-entries": "hash-max-listpack-entries",
           "hash-max-ziplist-value": "hash-max-listpack-value",
           "zset-max-ziplist-entries": "zset-max-listpack-entries",
           "zset-max-ziplist-value": "zset-max-listpack-value",
           "list-max-ziplist-size": "list-max-listpack-size"}


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
