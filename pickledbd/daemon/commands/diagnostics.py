"""Diagnostics: TIME, MONITOR, LOLWUT, SLOWLOG, LATENCY."""
from __future__ import annotations

import logging
import re
import time

from ..engine.command import command
from ..errors import RedisError
from ..protocol.reply import OK, Verbatim
from .config import is_local
from .lolwut import lolwut as lolwut_art
from .util import help_reply, parse_int


@command("time")
def time_(c, args):
    t = time.time_ns() // 1000
    return [str(t // 1_000_000), str(t % 1_000_000)]


@command("monitor")
def monitor(c, args):
    c.clients.add_monitor(c)
    return OK


@command("lolwut")
def lolwut(c, args):
    return lolwut_art(args)     # Redis 7.0's computer art: commands/lolwut.py


# ------------------------------------------------------------------ DEBUG
DEBUG_NOT_ALLOWED = RedisError(
    "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you "
    "can run it from a local connection, otherwise you need to set this option in the "
    "configuration file, and then restart the server.")


@command("debug")
def debug(c, args):
    """A few of Redis's DEBUG subcommands; refused unless enable-debug-command allows it."""
    if not c.config.allows("enable-debug-command", is_local(c)):
        raise DEBUG_NOT_ALLOWED
    sub = args[1].lower()
    if sub == "help" and len(args) == 2:
        return help_reply([
            "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "ERROR <string>",
            "    Return a Redis protocol error with <string> as message. Useful for clients",
            "    unit tests to simulate Redis errors.",
            "LOG <message>",
            "    Write <message> to the server log.",
            "SET-ACTIVE-EXPIRE <0|1>",
            "    Setting it to 0 disables expiring keys in background when they are not",
            "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
            "    default.",
            "SLEEP <seconds>",
            "    Stop the server for <seconds>. Decimals allowed.",
            "HELP",
            "    Prints this help."])
    if sub == "sleep" and len(args) == 3:
        time.sleep(max(0.0, _strtod(args[2])))     # the whole server stops: that is the point
        return OK
    if sub == "set-active-expire" and len(args) == 3:
        c.ks.active_expire = _atoi(args[2]) != 0
        return OK
    if sub == "log" and len(args) == 3:
        logging.getLogger("pickledbd").warning("DEBUG LOG: %s", args[2])
        return OK
    if sub == "error" and len(args) == 3:
        raise RedisError(args[2])
    raise RedisError("ERR unknown subcommand or wrong number of arguments for '%s'. Try DEBUG HELP."
                     % args[1])


def _atoi(s: str) -> int:
    """atoi's leading integer ("abc" is 0), as DEBUG SET-ACTIVE-EXPIRE reads its argument."""
    m = re.match(r"\s*[-+]?\d+", s)
    return int(m.group(0)) if m else 0


def _strtod(s: str) -> float:
    """strtod's leading number ("abc" is 0), as DEBUG SLEEP reads its argument."""
    m = re.match(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", s)
    return float(m.group(0)) if m else 0.0


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


# ------------------------------------------------------------------ LATENCY
# Samples come from the engine: commands slower than latency-monitor-threshold (events
# "command" and "fast-command", by the command's fast flag); see Stats.latency_sample.
@command("latency|latest")
def latency_latest(c, args):
    st = c.stats
    return [[event, samples[-1][0], samples[-1][1], st.latency_max[event]]
            for event, samples in st.latency.items() if samples]


@command("latency|history")
def latency_history(c, args):
    return [[t, ms] for t, ms in c.stats.latency.get(args[2], ())]


@command("latency|reset")
def latency_reset(c, args):
    st = c.stats
    events = args[2:] or list(st.latency)
    n = 0
    for event in events:
        if st.latency.pop(event, None) is not None:
            st.latency_max.pop(event, None)
            n += 1
    return n


@command("latency|graph")
def latency_graph(c, args):
    st = c.stats
    event = args[2]
    samples = st.latency.get(event)
    if not samples:
        raise RedisError("ERR No samples available for event '%s'" % event)
    now = int(time.time())
    values = [ms for _, ms in samples]
    labels = [_ago(now - t) for t, _ in samples]
    graph = "%s - high %d ms, low %d ms (all time high %d ms)\n%s\n" % (
        event, max(values), min(values), st.latency_max[event], "-" * 80)
    return Verbatim(graph + sparkline(values, labels))


def _ago(elapsed: int) -> str:
    if elapsed < 60:
        return "%ds" % elapsed
    if elapsed < 3600:
        return "%dm" % (elapsed // 60)
    if elapsed < 86400:
        return "%dh" % (elapsed // 3600)
    return "%dd" % (elapsed // 86400)


def sparkline(values: list, labels: list, columns: int = 80, rows: int = 4) -> str:
    """Redis's ASCII sparkline as LATENCY GRAPH draws it (sparkline.c, fill mode): 4 rows of
    "_o#" per column with "|" below a peak, labels below."""
    lo, hi = min(values), max(values)
    out = []
    for start in range(0, len(values), columns):
        if start:
            out.append("\n")
        out.append(_sparkline_range(values[start:start + columns], labels[start:start + columns],
                                    lo, hi, rows, any(labels)))
    return "".join(out)


def _sparkline_range(values, labels, lo, hi, rows, has_labels) -> str:
    relmax = (hi - lo) or 1
    steps = 3 * rows
    out = []
    row = 0
    while True:
        more = False
        chars = [" "] * len(values)
        for j, value in enumerate(values):
            step = min(max(int(int((value - lo) * steps) / relmax), 0), steps - 1)
            if row < rows:
                more = True
                idx = step - (rows - row - 1) * 3
                if 0 <= idx < 3:
                    chars[j] = "_o#"[idx]
                elif idx >= 3:
                    chars[j] = "|"
            else:
                if has_labels and row - rows < 1:      # one blank line above the labels
                    more = True
                    break
                label = labels[j]
                if label and len(label) > row - rows - 1:
                    more = True
                    chars[j] = label[row - rows - 1]
        if not more:
            return "".join(out)
        row += 1
        out.append("".join(chars) + "\n")


@command("latency|histogram")
def latency_histogram(c, args):
    return {}          # latency-tracking is off (see the README)


@command("latency|doctor")
def latency_doctor(c, args):
    st = c.stats
    if not c.config.values["latency-monitor-threshold"]:
        return Verbatim(
            "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. "
            "You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. "
            "If we weren't in a deep space mission I'd suggest to take a look at "
            "https://redis.io/topics/latency-monitor.\n")
    events = [(e, s) for e, s in st.latency.items() if s]
    if not events:
        return Verbatim("Dave, no latency spike was observed during the lifetime of this Redis instance, "
                        "not in the slightest bit. I honestly think you ought to sleep better tonight.\n")
    lines = ["Dave, I have observed latency spikes in this Redis instance. "
             "You don't mind talking about it, do you Dave?", ""]
    now = int(time.time())
    for i, (event, samples) in enumerate(events, 1):
        values = [ms for _, ms in samples]
        avg = sum(values) // len(values)
        mad = sum(abs(v - avg) for v in values) // len(values)
        period = (now - samples[0][0]) / len(values)
        lines.append("%d. %s: %d latency spikes (average %dms, mean deviation %dms, period %.2f sec). "
                     "Worst all time event %dms." % (i, event, len(values), avg, mad, period,
                                                      st.latency_max[event]))
    return Verbatim("\n".join(lines) + "\n")


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
