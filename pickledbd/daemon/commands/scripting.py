"""Scripting commands: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT LOAD/EXISTS/FLUSH/KILL/HELP
(the runtime is scripting/runtime.py)."""
from __future__ import annotations

from ..engine.command import command
from ..errors import RedisError
from ..protocol.reply import OK
from .util import help_reply, parse_int


_SMALL = {str(n): n for n in range(10)}     # the usual numkeys, without parsing


def _numkeys(args) -> int:
    """The keys' count of ``<script> numkeys key... arg...``, with Redis's errors."""
    n = _SMALL.get(args[2])
    if n is None:
        n = parse_int(args[2])
        if n < 0:
            raise RedisError("ERR Number of keys can't be negative")
    if n > len(args) - 3:
        raise RedisError("ERR Number of keys can't be greater than number of args")
    return n


def _eval(c, args, by_sha: bool, read_only: bool):
    if c.clients.monitors:            # EVAL is skip_monitor: shown first, before its calls, even if refused
        c.clients.feed_monitors(c, args)
    if by_sha and len(args[1]) != 40:       # evalShaCommand: no such sha, before numkeys is read
        raise RedisError("NOSCRIPT No matching script. Please use EVAL.")
    return c.scripting.eval(c, args, _numkeys(args), by_sha, read_only)


@command("eval")
def eval_(c, args):
    return _eval(c, args, False, False)


@command("evalsha")
def evalsha(c, args):
    return _eval(c, args, True, False)


@command("eval_ro")
def eval_ro(c, args):
    return _eval(c, args, False, True)


@command("evalsha_ro")
def evalsha_ro(c, args):
    return _eval(c, args, True, True)


@command("script|load")
def script_load(c, args):
    return c.scripting.load(args[2])


@command("script|exists")
def script_exists(c, args):
    scripts = c.scripting.scripts
    return [1 if sha.lower() in scripts else 0 for sha in args[2:]]


@command("script|flush")
def script_flush(c, args):
    if len(args) > 3 or (len(args) == 3 and args[2].lower() not in ("sync", "async")):
        raise RedisError("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
    c.scripting.flush()
    return OK


@command("script|kill")
def script_kill(c, args):
    return c.scripting.kill(is_eval=True)


@command("script|debug")
def script_debug(c, args):
    mode = args[2].lower()
    if mode == "no":
        return OK                 # debugging off: what every script here gets
    if mode in ("yes", "sync"):
        raise RedisError("ERR The Lua debugger (LDB) is not available in pickledbd")
    raise RedisError("ERR Use SCRIPT DEBUG YES/SYNC/NO")


@command("script|help")
def script_help(c, args):
    return help_reply([
        "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DEBUG (YES|SYNC|NO)",
        "    Set the debug mode for subsequent scripts executed.",
        "EXISTS <sha1> [<sha1> ...]",
        "    Return information about the existence of the scripts in the script cache.",
        "FLUSH [ASYNC|SYNC]",
        "    Flush the Lua scripts cache. Very dangerous on replicas.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the scripts cache.",
        "    * SYNC: Synchronously flush the scripts cache.",
        "KILL",
        "    Kill the currently executing Lua script.",
        "LOAD <script>",
        "    Load a script into the scripts cache without executing it.",
        "HELP",
        "    Prints this help.",
    ])

