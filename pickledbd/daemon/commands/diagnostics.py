"""Diagnostics: TIME, MONITOR, ROLE, LOLWUT, SLOWLOG, LATENCY."""
from __future__ import annotations

import time

from ...version import REDIS_VERSION, __version__
from ..engine.command import command
from ..errors import RedisError
from ..protocol.reply import OK, Verbatim
from .util import help_reply, parse_int


@command("time")
def time_(c, args):
    t = time.time_ns() // 1000
    return [str(t // 1_000_000), str(t % 1_000_000)]


@command("monitor")
def monitor(c, args):
    c.clients.add_monitor(c)
    return OK


@command("role")
def role(c, args):
    return ["master", 0, []]


@command("lolwut")
def lolwut(c, args):
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
    s = c.stats
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
    return len(c.stats.slowlog)


@command("slowlog|reset")
def slowlog_reset(c, args):
    c.stats.slowlog.clear()
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
