"""Functions commands: FUNCTION LOAD/DELETE/FLUSH/LIST/STATS/DUMP/RESTORE/KILL/HELP, FCALL,
FCALL_RO (the libraries are scripting/functions.py's; they run in scripting/runtime.py).

LOAD, DELETE, FLUSH and RESTORE change the data set: they count as a change (dirty) for the
save rules and reach replicas as they were sent, as in Redis.
"""
from __future__ import annotations

from ..engine.command import command
from ..errors import RedisError
from ..protocol.reply import OK
from .util import help_reply


def _syntax_error(args) -> RedisError:
    """addReplySubcommandSyntaxError."""
    return RedisError("ERR unknown subcommand or wrong number of arguments for '%s'. Try FUNCTION HELP."
                      % args[1][:128])


@command("function|load")
def function_load(c, args):
    replace = False
    for opt in args[2:-1]:
        if opt.lower() != "replace":
            raise RedisError("ERR Unknown option given: %s" % opt)
        replace = True
    name = c.scripting.functions.load(args[-1], replace)
    c.ks.dirty += 1
    return name


@command("function|delete")
def function_delete(c, args):
    c.scripting.functions.delete(args[2])
    c.ks.dirty += 1
    return OK


@command("function|flush")
def function_flush(c, args):
    if len(args) > 3:
        raise _syntax_error(args)
    if len(args) == 3 and args[2].lower() not in ("sync", "async"):
        raise RedisError("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
    c.scripting.functions.flush()
    c.ks.dirty += 1
    return OK


@command("function|list")
def function_list(c, args):
    with_code = False
    pattern = None
    i = 2
    while i < len(args):
        arg = args[i].lower()
        if not with_code and arg == "withcode":
            with_code = True
        elif pattern is None and arg == "libraryname":
            if i >= len(args) - 1:
                raise RedisError("ERR library name argument was not given")
            i += 1
            pattern = args[i]
        else:
            raise RedisError("ERR Unknown argument %s" % args[i])
        i += 1
    return c.scripting.functions.describe(pattern, with_code)


@command("function|stats")
def function_stats(c, args):
    return c.scripting.functions.stats()


@command("function|dump")
def function_dump(c, args):
    return c.scripting.functions.dump().decode("utf-8", "surrogateescape")


@command("function|restore")
def function_restore(c, args):
    if len(args) > 4:
        raise _syntax_error(args)
    policy = "append"
    if len(args) == 4:
        policy = args[3].lower()
        if policy not in ("append", "replace", "flush"):
            raise RedisError("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
    c.scripting.functions.restore(args[2].encode("utf-8", "surrogateescape"), policy)
    c.ks.dirty += 1
    return OK


@command("function|kill")
def function_kill(c, args):
    return c.scripting.kill(is_eval=False)


@command("function|help")
def function_help(c, args):
    return help_reply([
        "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "LOAD [REPLACE] <FUNCTION CODE>",
        "    Create a new library with the given library name and code.",
        "DELETE <LIBRARY NAME>",
        "    Delete the given library.",
        "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
        "    Return general information on all the libraries:",
        "    * Library name",
        "    * The engine used to run the Library",
        "    * Library description",
        "    * Functions list",
        "    * Library code (if WITHCODE is given)",
        "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
        "STATS",
        "    Return information about the current function running:",
        "    * Function name",
        "    * Command used to run the function",
        "    * Duration in MS that the function is running",
        "    If no function is running, return nil",
        "    In addition, returns a list of available engines.",
        "KILL",
        "    Kill the current running function.",
        "FLUSH [ASYNC|SYNC]",
        "    Delete all the libraries.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the libraries.",
        "    * SYNC: Synchronously flush the libraries.",
        "DUMP",
        "    Return a serialized payload representing the current libraries, can be restored using "
        "FUNCTION RESTORE command",
        "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
        "    Restore the libraries represented by the given payload, it is possible to give a restore "
        "policy to",
        "    control how to handle existing libraries (default APPEND):",
        "    * FLUSH: delete all existing libraries.",
        "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
        "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
        "      libraries with the new libraries (notice that even on this option there is a chance of failure",
        "      in case of functions name collision with another library).",
        "HELP",
        "    Prints this help.",
    ])


@command("fcall")
def fcall(c, args):
    return c.scripting.functions.fcall(c, args, False)


@command("fcall_ro")
def fcall_ro(c, args):
    return c.scripting.functions.fcall(c, args, True)
