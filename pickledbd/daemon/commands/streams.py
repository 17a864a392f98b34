"""Streams (Redis 7.0's t_stream.c): XADD, XLEN, XRANGE, XREVRANGE, XDEL, XTRIM, XSETID,
XREAD, XINFO. Consumer groups are in streams_groups.py. The value is keyspace/stream.py's
``Stream``; an emptied stream stays (Redis never deletes it on its own).
"""
from __future__ import annotations

import re
import time

from ..engine.blocking import BlockOn
from ..engine.command import command
from ..errors import SYNTAX, RedisError, cstr, formatted
from ..keyspace import MISSING, WRONGTYPE, events
from ..keyspace.stream import (INVALID_READ, MAX_ID, U64, Stream, byte_order, id_decr, id_incr, id_parts, id_str,
                               make_id)
from ..protocol.reply import NULL_ARRAY
from .util import parse_int

STREAM = events.STREAM
TYPES = (Stream,)
INVALID_ID = RedisError("ERR Invalid stream ID specified as stream command argument")
NO_SUCH_KEY = RedisError("ERR no such key")
XREAD_BLOCKED_DEFAULT_COUNT = 1000
_STRTOULL = re.compile(r"[ \t\n\v\f\r]*([+-]?)([0-9]+)\Z", re.ASCII)


def now_ms() -> int:
    return int(time.time() * 1000)


# ---- IDs (streamGenericParseIDOrReply)
def _string2ull(s: str):
    """Redis's string2ull: strict int64 first, then strtoull's leniency (spaces, sign)."""
    m = _STRTOULL.match(s)
    if m is None:
        return None
    sign, digits = m.groups()
    v = int(digits)
    if v > U64:
        return None
    if sign == "-":
        if s == "-" + digits and digits[0] != "0" and v <= (1 << 63):
            return None          # string2ll read a negative number: out of range
        v = (-v) & U64
    return v


def parse_id(s: str, missing_seq: int = 0, strict: bool = False, xadd: bool = False):
    """(id, seq_given). ``strict`` refuses ``-``/``+``; ``xadd`` accepts ``ms-*``."""
    if len(s) > 127:
        raise INVALID_ID
    if s == "-" or s == "+":
        if strict:
            raise INVALID_ID
        return (0 if s == "-" else MAX_ID), True
    if "\0" in s:
        s = s.split("\0", 1)[0]    # C string
    ms_s, dot, seq_s = s.partition("-")
    ms = _string2ull(ms_s)
    if ms is None:
        raise INVALID_ID
    if not dot:
        return make_id(ms, missing_seq), True
    if xadd and seq_s == "*":
        return make_id(ms, 0), False
    seq = _string2ull(seq_s)
    if seq is None:
        raise INVALID_ID
    return make_id(ms, seq), True


def strict_id(s: str, missing_seq: int = 0) -> int:
    return parse_id(s, missing_seq, strict=True)[0]


def interval_id(s: str, missing_seq: int):
    """streamParseIntervalIDOrReply: (id, exclusive)."""
    if len(s) > 1 and s[0] == "(":
        return strict_id(s[1:], missing_seq), True
    return parse_id(s, missing_seq)[0], False


def range_bounds(start_arg: str, end_arg: str):
    start, ex = interval_id(start_arg, 0)
    if ex:
        if start == MAX_ID:
            raise RedisError("ERR invalid start ID for the interval")
        start = id_incr(start)
    end, ex = interval_id(end_arg, U64)
    if ex:
        if end == 0:
            raise RedisError("ERR invalid end ID for the interval")
        end = id_decr(end)
    return start, end


def parse_ll(s: str, err: RedisError | None = None) -> int:
    return parse_int(s) if err is None else parse_int(s, err)


def node_limits(c):
    v = c.config.values
    return v.get("stream-node-max-entries", 100), v.get("stream-node-max-bytes", 4096)


def new_stream(c) -> Stream:
    return Stream(*node_limits(c))


def get_stream(c, key: str):
    return c.db.lookup_type(key, TYPES)


def get_stream_read(c, key: str):
    """As Redis's lookupKeyRead in a write command (XREADGROUP, XACK, XCLAIM, XAUTOCLAIM):
    a miss is a keymiss event and counts in keyspace_misses."""
    v = c.db.lookup_read(key)
    if v is not MISSING and type(v) not in TYPES:
        raise WRONGTYPE
    return v


def entry_reply(i: int, fields) -> list:
    return [id_str(i), list(fields)]


# ---- XADD / XTRIM arguments (streamParseAddOrTrimArgsOrReply)
class TrimArgs:
    __slots__ = ("maxlen", "minid", "approx", "limit", "strategy_idx", "id", "id_given",
                 "seq_given", "nomkstream", "idpos")

    def __init__(self):
        self.maxlen = -1
        self.minid = None
        self.approx = False
        self.limit = 0
        self.strategy_idx = 0
        self.id = 0
        self.id_given = self.seq_given = self.nomkstream = False
        self.idpos = 0

    @property
    def trims(self) -> bool:
        return self.strategy_idx != 0


def parse_add_trim(c, args: list, xadd: bool) -> TrimArgs:
    t = TrimArgs()
    i = 2
    n = len(args)
    limit_given = False
    while i < n:
        more = n - 1 - i
        opt = args[i]
        lo = opt.lower()
        if xadd and opt == "*":
            break
        if (lo == "maxlen" or lo == "minid") and more:
            if t.strategy_idx:
                raise RedisError("ERR syntax error, MAXLEN and MINID options at the same time are not compatible")
            t.approx = False
            nxt = args[i + 1]
            if more >= 2 and nxt == "~":
                t.approx = True
                i += 1
            elif more >= 2 and nxt == "=":
                i += 1
            if lo == "maxlen":
                t.maxlen = parse_ll(args[i + 1])
                if t.maxlen < 0:
                    raise RedisError("ERR The MAXLEN argument must be >= 0.")
            else:
                t.minid = strict_id(args[i + 1])
            i += 1
            t.strategy_idx = i
        elif lo == "limit" and more:
            t.limit = parse_ll(args[i + 1])
            if t.limit < 0:
                raise RedisError("ERR The LIMIT argument must be >= 0.")
            limit_given = True
            i += 1
        elif xadd and lo == "nomkstream":
            t.nomkstream = True
        elif xadd:
            t.id, t.seq_given = parse_id(opt, strict=True, xadd=True)
            t.id_given = True
            break
        else:
            raise SYNTAX
        i += 1
    t.idpos = i
    if t.limit and not t.strategy_idx:
        raise RedisError("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy")
    if not xadd and not t.strategy_idx:
        raise RedisError("ERR syntax error, XTRIM must be called with a trimming strategy")
    if c.kind == "replica":
        t.limit = 0                # mustObeyClient: trim exactly what the master did
    elif limit_given:
        if not t.approx:
            raise RedisError("ERR syntax error, LIMIT cannot be used without the special ~ option")
    elif t.approx:
        t.limit = 100 * node_limits(c)[0]
        if t.limit <= 0 or t.limit > 1000000:
            t.limit = 1000000
    else:
        t.limit = 0
    return t


def do_trim(c, s: Stream, t: TrimArgs, args: list) -> int:
    if t.maxlen >= 0 or t.minid is None:
        removed = s.trim(maxlen=t.maxlen, approx=t.approx, limit=t.limit)
    else:
        removed = s.trim(minid=t.minid, approx=t.approx, limit=t.limit)
    return removed


def rewrite_trim(s: Stream, t: TrimArgs, args: list) -> list:
    """The propagated form of an approximate trim: ``=`` and the length/first ID reached."""
    out = list(args)
    out[t.strategy_idx - 1] = "="
    out[t.strategy_idx] = str(len(s)) if t.minid is None else id_str(s.first_id)
    return out


_PLAIN_ADD = TrimArgs()
_PLAIN_ADD.idpos = 2


@command("xadd")
def xadd(c, args):
    if args[2] == "*":
        t = _PLAIN_ADD          # XADD key * f v ...: nothing to parse
    else:
        t = parse_add_trim(c, args, True)
    field_pos = t.idpos + 1
    nf = len(args) - field_pos
    if nf < 2 or nf % 2:
        raise RedisError("ERR wrong number of arguments for 'xadd' command")
    if t.id_given and t.seq_given and t.id == 0:
        raise RedisError("ERR The ID specified in XADD must be greater than 0-0")
    db = c.db
    key = args[1]
    s = get_stream(c, key)
    created = False
    if s is MISSING:
        if t.nomkstream:
            return None
        s = new_stream(c)
        created = True
    last = s.last_id
    if last == MAX_ID:
        raise RedisError("ERR The stream has exhausted the last possible ID, unable to add more items")
    if not t.id_given:
        ms = now_ms()
        if ms > id_parts(last)[0]:
            new = make_id(ms, 0)
        else:
            new = id_incr(last)     # seq overflow carries into ms, as streamIncrID
    elif not t.seq_given:
        ms = id_parts(t.id)[0]
        lms, lseq = id_parts(last)
        if ms == lms:
            if lseq == U64:
                raise RedisError("ERR The ID specified in XADD is equal or smaller than the target stream top item")
            new = id_incr(last)
        elif ms > lms:
            new = t.id
        else:
            raise RedisError("ERR The ID specified in XADD is equal or smaller than the target stream top item")
    else:
        new = t.id
        if new <= last:
            raise RedisError("ERR The ID specified in XADD is equal or smaller than the target stream top item")
    if created:
        db.set(key, s)
    else:
        s.node_max_entries, s.node_max_bytes = node_limits(c)   # CONFIG SET applies at once
    s.append(new, tuple(args[field_pos:]))
    db.modified(key)
    sid = id_str(new)
    db.notify(STREAM, "xadd", key)
    prop = None
    if t.strategy_idx:
        if do_trim(c, s, t, args):
            db.notify(STREAM, "xtrim", key)
        if t.approx:
            prop = rewrite_trim(s, t, args)
    if not t.id_given or not t.seq_given:
        if prop is None:
            prop = list(args)
        prop[t.idpos] = sid
    if prop is not None:
        c.propagate_as(prop)
    return sid


@command("xtrim")
def xtrim(c, args):
    t = parse_add_trim(c, args, False)
    s = get_stream(c, args[1])
    if s is MISSING:
        return 0
    removed = do_trim(c, s, t, args)
    if removed:
        c.db.notify(STREAM, "xtrim", args[1])
        if t.approx:
            c.propagate_as(rewrite_trim(s, t, args))
        c.db.modified(args[1])
    return removed


@command("xlen")
def xlen(c, args):
    s = get_stream(c, args[1])
    return 0 if s is MISSING else len(s)


def _xrange(c, args, rev: bool):
    start_arg, end_arg = (args[3], args[2]) if rev else (args[2], args[3])
    start, end = range_bounds(start_arg, end_arg)
    count = -1
    j = 4
    while j < len(args):
        if args[j].lower() == "count" and j + 1 < len(args):
            count = parse_ll(args[j + 1])
            if count < 0:
                count = 0
            j += 2
        else:
            raise SYNTAX
    s = get_stream(c, args[1])
    if s is MISSING:
        return []
    if count == 0:
        return NULL_ARRAY
    return s.range_bytes(start, end, 0 if count == -1 else count, rev)


@command("xrange")
def xrange(c, args):
    return _xrange(c, args, False)


@command("xrevrange")
def xrevrange(c, args):
    return _xrange(c, args, True)


@command("xdel")
def xdel(c, args):
    s = get_stream(c, args[1])
    if s is MISSING:
        return 0
    ids = [strict_id(a) for a in args[2:]]
    deleted = 0
    first_entry = False
    for i in ids:
        if s.delete(i):
            if i == s.first_id:
                first_entry = True
            if i > s.max_deleted_id:
                s.max_deleted_id = i
            deleted += 1
    if deleted:
        if not len(s):
            s.first_id = 0
        elif first_entry:
            s.first_id = s.first_valid_id()
        c.db.modified(args[1])
        c.db.notify(STREAM, "xdel", args[1])
        c.ks.dirty += deleted - 1
    return deleted


@command("xsetid")
def xsetid(c, args):
    new = strict_id(args[2])
    entries_added = -1
    max_xdel = 0
    i = 3
    n = len(args)
    while i < n:
        more = n - 1 - i
        opt = args[i].lower()
        if opt == "entriesadded" and more:
            entries_added = parse_ll(args[i + 1])
            if entries_added < 0:
                raise RedisError("ERR entries_added must be positive")
            i += 2
        elif opt == "maxdeletedid" and more:
            max_xdel = strict_id(args[i + 1])
            if new < max_xdel:
                raise RedisError("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id")
            i += 2
        else:
            raise SYNTAX
    s = get_stream(c, args[1])
    if s is MISSING:
        raise NO_SUCH_KEY
    if len(s):
        if new < s.last_valid_id():
            raise RedisError("ERR The ID specified in XSETID is smaller than the target stream top item")
        if entries_added != -1 and len(s) > entries_added:
            raise RedisError("ERR The entries_added specified in XSETID is smaller than the target stream length")
    s.last_id = new
    if entries_added != -1:
        s.entries_added = entries_added
    if max_xdel:
        s.max_deleted_id = max_xdel
    c.db.modified(args[1])
    c.db.notify(STREAM, "xsetid", args[1])
    return b"+OK\r\n"


# ---- XREAD / XREADGROUP
class ReadArgs:
    __slots__ = ("timeout", "count", "streams_arg", "nstreams", "group", "consumer", "noack")


def parse_read(c, args: list, group: bool) -> ReadArgs:
    r = ReadArgs()
    r.timeout = -1
    r.count = 0
    r.streams_arg = 0
    r.nstreams = 0
    r.group = r.consumer = None
    r.noack = False
    n = len(args)
    i = 1
    while i < n:
        more = n - i - 1
        o = args[i].lower()
        if o == "block" and more:
            if c.kind == "lua":
                raise formatted("ERR %s command is not allowed with BLOCK option from scripts" % args[0])
            i += 1
            try:
                r.timeout = parse_int(args[i])
            except RedisError:
                raise RedisError("ERR timeout is not an integer or out of range") from None
            if r.timeout < 0:
                raise RedisError("ERR timeout is negative")
        elif o == "count" and more:
            i += 1
            r.count = max(parse_ll(args[i]), 0)
        elif o == "streams" and more:
            r.streams_arg = i + 1
            cnt = n - r.streams_arg
            if cnt % 2:
                # 7.0's text, the same for XREADGROUP
                raise RedisError("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be "
                                 "specified.")
            r.nstreams = cnt // 2
            break
        elif o == "group" and more >= 2:
            if not group:
                raise RedisError("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.")
            r.group, r.consumer = args[i + 1], args[i + 2]
            i += 2
        elif o == "noack":
            if not group:
                raise RedisError("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.")
            r.noack = True
        else:
            raise SYNTAX
        i += 1
    if not r.streams_arg:
        raise SYNTAX
    if group and r.group is None:
        raise RedisError("ERR Missing GROUP option for XREADGROUP")
    return r


def _lookup_read(c, key: str, rerun: bool):
    """The stream at key; on a blocked client's re-run a non-stream counts as absent."""
    if rerun:
        v = c.db.lookup_quiet(key)
        return v if type(v) is Stream else MISSING
    return get_stream(c, key)


@command("xread")
def xread(c, args):
    r = parse_read(c, args, False)
    rerun = c.block is not None
    sa, ns = r.streams_arg, r.nstreams
    keys = args[sa:sa + ns]
    streams = []
    ids = []
    for k in range(ns):
        key = keys[k]
        s = _lookup_read(c, key, rerun)
        streams.append(s)
        a = args[sa + ns + k]
        if a == "$":
            ids.append(s.last_id if s is not MISSING else 0)
        elif a == ">":
            raise RedisError("ERR The > ID can be specified only when calling XREADGROUP using the GROUP "
                             "<group> <consumer> option.")
        else:
            ids.append(strict_id(a))
    out = []
    ready = c.ready_key if rerun else None
    for k in range(ns):
        # Redis's xreadCommand looks each key up again to serve it: a second keymiss event
        # (and hit) for the same key, which keyspace-event consumers see
        s = streams[k] if rerun else _lookup_read(c, keys[k], False)
        if s is MISSING:
            continue
        gt = ids[k]
        if rerun:
            if keys[k] != ready or s.last_id <= gt:
                continue
        elif not len(s) or s.last_valid_id() <= gt:
            continue
        if gt == MAX_ID:
            entries = b"*0\r\n"
        else:
            entries = s.range_bytes(id_incr(gt), MAX_ID, r.count)
        out.append([keys[k], entries])
        if rerun:
            break
    if out:
        return _read_reply(c, out)
    if rerun:
        return c.block
    if r.timeout == -1 or c.no_block:
        return NULL_ARRAY
    # block: '$' resolved now, and a default COUNT (XREAD_BLOCKED_DEFAULT_COUNT)
    block_args = ["xread", "COUNT", str(r.count or XREAD_BLOCKED_DEFAULT_COUNT), "STREAMS", *keys,
                  *(id_str(i) for i in ids)]
    return block_on(list(dict.fromkeys(keys)), r.timeout, block_args)


def block_on(keys, timeout_ms: int, block_args) -> BlockOn:
    seconds = timeout_ms / 1000
    if seconds > 10 * 365 * 86400:
        seconds = 0.0             # longer than this: never times out in practice
    return BlockOn(keys, seconds, NULL_ARRAY, block_args)


def _read_reply(c, out: list):
    if c.resp == 3:
        return dict((k, v) for k, v in out)
    return out


# ---- XINFO
_XINFO_HELP = [
    "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CONSUMERS <key> <groupname>",
    "    Show consumers of <groupname>.",
    "GROUPS <key>",
    "    Show the stream consumer groups.",
    "STREAM <key> [FULL [COUNT <count>]",
    "    Show information about the stream.",
    "HELP",
    "    Prints this help.",
]


@command("xinfo|help")
def xinfo_help(c, args):
    from ..protocol.reply import Status
    return [Status(x) for x in _XINFO_HELP]


def _xinfo_stream_lookup(c, key):
    s = get_stream(c, key)
    if s is MISSING:
        raise NO_SUCH_KEY
    return s


def _subcommand_syntax(args) -> RedisError:
    return formatted("ERR unknown subcommand or wrong number of arguments for '%s'. Try XINFO HELP."
                     % args[1][:128])


@command("xinfo|stream")
def xinfo_stream(c, args):
    s = _xinfo_stream_lookup(c, args[2])
    full = True
    count = 10
    extra = args[3:]
    if not extra:
        full = False
    elif len(extra) in (1, 3):
        if extra[0].lower() != "full":
            raise _subcommand_syntax(args)
        if len(extra) == 3:
            if extra[1].lower() != "count":
                raise _subcommand_syntax(args)
            count = parse_ll(extra[2])
            if count < 0:
                count = 10
    else:
        raise _subcommand_syntax(args)
    r = {
        "length": len(s),
        "radix-tree-keys": len(s.nodes),
        "radix-tree-nodes": s.rax_nodes(),
        "last-generated-id": id_str(s.last_id),
        "max-deleted-entry-id": id_str(s.max_deleted_id),
        "entries-added": s.entries_added,
        "recorded-first-entry-id": id_str(s.first_id),
    }
    if not full:
        r["groups"] = len(s.groups)
        first = s.range(0, MAX_ID, 1)
        last = s.range(0, MAX_ID, 1, True)
        r["first-entry"] = first[0] if first else None
        r["last-entry"] = last[0] if last else None
    else:
        r["entries"] = s.range(0, MAX_ID, count)
        groups = []
        for name in s.group_names():
            g = s.groups[name]
            pel = []
            for i, nack in g.pel.items():
                if count and len(pel) >= count:
                    break
                pel.append([id_str(i), nack.consumer.name, nack.delivery_time, nack.delivery_count])
            consumers = []
            for cname in sorted(g.consumers, key=byte_order):
                cons = g.consumers[cname]
                cpel = []
                for i, nack in cons.pel.items():
                    if count and len(cpel) >= count:
                        break
                    cpel.append([id_str(i), nack.delivery_time, nack.delivery_count])
                consumers.append(_map(c, {"name": cname, "seen-time": cons.seen_time,
                                          "pel-count": len(cons.pel), "pending": cpel}))
            groups.append(_map(c, {
                "name": name, "last-delivered-id": id_str(g.last_id),
                "entries-read": g.entries_read if g.entries_read != INVALID_READ else None,
                "lag": s.lag(g), "pel-count": len(g.pel), "pending": pel, "consumers": consumers}))
        r["groups"] = groups
    return _map(c, r)


def _map(c, d: dict):
    if c.resp == 3:
        return d
    out = []
    for k, v in d.items():
        out.append(k)
        out.append(v)
    return out


@command("xinfo|groups")
def xinfo_groups(c, args):
    s = _xinfo_stream_lookup(c, args[2])
    out = []
    for name in s.group_names():
        g = s.groups[name]
        out.append(_map(c, {
            "name": name, "consumers": len(g.consumers), "pending": len(g.pel),
            "last-delivered-id": id_str(g.last_id),
            "entries-read": g.entries_read if g.entries_read != INVALID_READ else None,
            "lag": s.lag(g)}))
    return out


@command("xinfo|consumers")
def xinfo_consumers(c, args):
    s = _xinfo_stream_lookup(c, args[2])
    g = s.groups.get(args[3])
    if g is None:
        raise formatted("NOGROUP No such consumer group '%s' for key name '%s'" % (cstr(args[3]), cstr(args[2])))
    now = now_ms()
    out = []
    for cname in sorted(g.consumers, key=byte_order):
        cons = g.consumers[cname]
        out.append(_map(c, {"name": cname, "pending": len(cons.pel), "idle": max(0, now - cons.seen_time)}))
    return out
