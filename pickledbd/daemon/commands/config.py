"""CONFIG GET / SET / RESETSTAT / REWRITE / HELP over the directives table (config.py)."""
from __future__ import annotations

import os

from ..config import ALIASES, DIRECTIVES, fit_open_files, rewrite_file
from ..engine.command import command
from ..errors import RedisError
from ..globmatch import glob_match
from ..protocol.reply import OK
from .util import SYNTAX, help_reply


@command("config|get")
def config_get(c, args):
    cfg = c.config
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
    if len(args) % 2:
        raise SYNTAX
    pairs = []
    seen = set()
    for i in range(2, len(args), 2):
        name = args[i]
        key = name.lower()      # an alias and its name are two parameters here, as in Redis
        if key in seen:
            raise RedisError("ERR CONFIG SET failed (possibly related to argument '%s') - duplicate parameter"
                             % name)
        seen.add(key)
        pairs.append((name, args[i + 1]))
    cfg = c.config
    local = is_local(c)
    cfg.check_names(pairs, local)
    before = (cfg.values["dir"], cfg.values["dbfilename"])
    for name, value in pairs:
        key = ALIASES.get(name.lower(), name.lower())
        if key == "dir" and not os.path.isdir(os.path.expanduser(value)):
            raise RedisError("ERR CONFIG SET failed (possibly related to argument '%s') - "
                             "No such file or directory" % name)
        if key == "maxclients":
            _fit_maxclients(name, value)
        if key in _LISTENERS:
            _same_listener(cfg, key, name, value)
    cfg.config_set(pairs, local)
    if (cfg.values["dir"], cfg.values["dbfilename"]) != before:
        c.persistence.storage_path_changed()
    return OK


def is_local(c) -> bool:
    """islocalClient: a unix socket or a loopback peer (enable-*-command/configs "local")."""
    return c.unix or c.addr.rsplit(":", 1)[0] in ("127.0.0.1", "::1")


# port and bind are mutable in Redis (it re-listens); pickledbd's listeners are set up once,
# so only their current value is accepted
_LISTENERS = {"port": "Unable to listen on this port", "bind": "Failed to bind to specified addresses."}


def _same_listener(cfg, key: str, name: str, value: str) -> None:
    try:
        parsed = DIRECTIVES[key][1](value)
    except ValueError:
        return                  # config_set words the parse error
    same = parsed == cfg.values[key] if key == "port" else parsed.split() == cfg.values[key].split()
    if not same:
        raise RedisError("ERR CONFIG SET failed (possibly related to argument '%s') - %s"
                         % (name, _LISTENERS[key]))


def _fit_maxclients(name: str, value: str) -> None:
    """updateMaxclients: more clients than open files allow is refused, naming what fits."""
    try:
        wanted = DIRECTIVES["maxclients"][1](value)
    except ValueError:
        return                  # config_set words the parse error
    fitted, _ = fit_open_files(wanted)
    if fitted < wanted:
        raise RedisError("ERR CONFIG SET failed (possibly related to argument '%s') - The operating "
                         "system is not able to handle the specified number of clients, try with %d"
                         % (name, fitted))


@command("config|resetstat")
def config_resetstat(c, args):
    c.stats.reset(c.engine.table, c.ks)
    return OK


@command("config|rewrite")
def config_rewrite(c, args):
    cfg = c.config
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
