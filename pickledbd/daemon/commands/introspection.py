"""COMMAND and its subcommands: the server's command table, as Redis 7.0.15 shows it."""
from __future__ import annotations

from ..engine.command import _jsonish, command, spec_keys
from ..errors import RedisError
from ..globmatch import glob_match
from ..protocol.reply import SetReply, Status
from .util import SYNTAX, help_reply


@command("command")
def command_(c, args):
    return [cmd.info_reply() for cmd in c.engine.table.unique()]


@command("command|count")
def command_count(c, args):
    return len(c.engine.table.unique())


@command("command|info")
def command_info(c, args):
    if len(args) == 2:
        return [cmd.info_reply() for cmd in c.engine.table.unique()]
    out = []
    for name in args[2:]:
        cmd = c.engine.table.find(name)
        out.append(cmd.info_reply() if cmd is not None else None)
    return out


def _docs_of(cmd) -> dict:
    d = {k: _jsonish(v) for k, v in cmd.docs.items()}
    if cmd.subcommands:
        d["subcommands"] = {name: _docs_of(sub) for name, sub in cmd.subcommands.items()}
    return d


@command("command|docs")
def command_docs(c, args):
    if len(args) == 2:
        return {cmd.fullname: _docs_of(cmd) for cmd in c.engine.table.unique()}
    out = {}
    for name in args[2:]:
        cmd = c.engine.table.find(name)
        if cmd is not None:
            out[cmd.fullname] = _docs_of(cmd)
    return out


@command("command|list")
def command_list(c, args):
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
    for cmd in c.engine.table.unique():
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


def _getkeys(c, args: list):
    cmd = c.engine.table.lookup(args[2])
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
    if cmd.name == "sort":
        found = _sort_keys(cmd, sub_args)
    elif cmd.key_specs:
        found = spec_keys(cmd, sub_args)
    elif cmd.first_key:
        found = [(p, {}) for p in cmd.key_positions(sub_args)]
    else:
        raise RedisError("ERR The command has no key arguments")
    if not found:
        raise RedisError("ERR Invalid arguments specified for command")
    return [(sub_args[p], spec) for p, spec in found]


def _sort_keys(cmd, args: list) -> list:
    """Redis's sortGetKeys: the sorted key, then the last STORE destination (its key spec
    is incomplete, so it is found by walking the options, LIMIT/GET/BY skipped)."""
    specs = cmd.key_specs or [{}, {}]
    found = [(1, specs[0])]
    store = None
    i = 2
    while i < len(args):
        opt = args[i].lower()
        if opt == "limit":
            i += 2
        elif opt in ("get", "by"):
            i += 1
        elif opt == "store" and i + 1 < len(args):
            store = i + 1
        i += 1
    if store is not None:
        found.append((store, specs[1] if len(specs) > 1 else {}))
    return found


@command("command|getkeys")
def command_getkeys(c, args):
    return [k for k, _ in _getkeys(c, args)]


@command("command|getkeysandflags")
def command_getkeysandflags(c, args):
    out = []
    for k, spec in _getkeys(c, args):
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


# ---- OBJECT IDLETIME / FREQ: the access data maxmemory keeps (keyspace/evict.py) ---------

_LRU_LFU_NOTE = ("Please note that when switching between policies at runtime LRU and LFU data "
                 "will take some time to adjust.")
_NOT_LFU = RedisError("ERR An LFU maxmemory policy is not selected, access frequency not tracked. "
                      + _LRU_LFU_NOTE)
_IS_LFU = RedisError("ERR An LFU maxmemory policy is selected, idle time not tracked. " + _LRU_LFU_NOTE)


def _peek_access(c, key: str):
    """(present, access data) for ``key`` without touching it (LOOKUP_NOTOUCH|NONOTIFY)."""
    from ..keyspace import MISSING
    db = c.db
    access = db.access
    before = access.get(key) if access is not None else None
    present = db.lookup_quiet(key) is not MISSING
    if present and before is not None and db.access is access:
        access[key] = before
    return present, before


@command("object|idletime")
def object_idletime(c, args):
    c.ks.mem.want_access()       # access data are kept from the first use on (evict.py)
    present, t = _peek_access(c, args[2])
    if not present:
        return None
    if c.ks.lfu:
        raise _IS_LFU
    return c.ks.mem.idle_ms(c.db, args[2]) // 1000 if t is not None else 0


@command("object|freq")
def object_freq(c, args):
    present, t = _peek_access(c, args[2])
    if not present:
        return None
    if not c.ks.lfu:
        raise _NOT_LFU
    return 0 if t is None else c.ks.mem.lfu_decayed(t)
