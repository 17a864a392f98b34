"""Stream consumer groups (Redis 7.0's t_stream.c): XGROUP, XREADGROUP, XACK, XPENDING,
XCLAIM, XAUTOCLAIM.

What they change is propagated as Redis does: XREADGROUP, XCLAIM and XAUTOCLAIM are never
propagated themselves; each PEL change goes out as an idempotent ``XCLAIM ... FORCE JUSTID
LASTID`` and a group's new last ID as ``XGROUP SETID ... ENTRIESREAD``.
"""
from __future__ import annotations

from itertools import islice

from ..engine.command import command
from ..errors import SYNTAX, WRONGTYPE, RedisError, cstr, formatted
from ..keyspace import MISSING
from ..keyspace.stream import (
    INVALID_READ,
    MAX_ID,
    Consumer,
    Group,
    Nack,
    Stream,
    id_incr,
    id_str,
)
from ..protocol.reply import NULL_ARRAY, Status
from .streams import (
    STREAM,
    _read_reply,
    block_on,
    get_stream,
    get_stream_read,
    interval_id,
    new_stream,
    now_ms,
    parse_id,
    parse_ll,
    parse_read,
    range_bounds,
    strict_id,
)

OK = b"+OK\r\n"


def persist_touch(c, key: str) -> None:
    """A change Redis makes without signalModifiedKey (PEL, consumers, group IDs): counted
    for the save rules and the incremental save, but WATCH and tracking are not touched."""
    ks = c.ks
    ks.dirty += 1
    if ks.dirty_keys is not None:
        keys = ks.dirty_keys.setdefault(c.db.index, set())
        if keys is not None:
            keys.add(key)


def create_consumer(c, g: Group, name: str, key: str):
    """streamCreateConsumer: None when it exists."""
    if name in g.consumers:
        return None
    cons = g.consumers[name] = Consumer(name, now_ms())
    persist_touch(c, key)
    c.db.notify(STREAM, "xgroup-createconsumer", key)
    return cons


def lookup_consumer(g: Group, name: str, refresh: bool = True):
    cons = g.consumers.get(name)
    if cons is not None and refresh:
        cons.seen_time = now_ms()
    return cons


def propagate_xclaim(c, key: str, g: Group, group: str, sid: str, nack: Nack) -> None:
    c.also_propagate(["XCLAIM", key, group, nack.consumer.name, "0", sid, "TIME", str(nack.delivery_time),
                      "RETRYCOUNT", str(nack.delivery_count), "FORCE", "JUSTID", "LASTID", id_str(g.last_id)])


def propagate_group_id(c, key: str, g: Group, group: str) -> None:
    c.also_propagate(["XGROUP", "SETID", key, group, id_str(g.last_id), "ENTRIESREAD", str(g.entries_read)])


def _drop_nack(g: Group, i: int, nack: Nack) -> None:
    del g.pel[i]
    del nack.consumer.pel[i]


# ---- XGROUP
_XGROUP_HELP = [
    "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a new consumer group. Options are:",
    "    * MKSTREAM",
    "      Create the empty stream if it does not exist.",
    "    * ENTRIESREAD entries_read",
    "      Set the group's entries_read counter (internal use).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Create a new consumer in the specified group.",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove the specified consumer.",
    "DESTROY <key> <groupname>",
    "    Remove the specified group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Set the current group ID and entries_read counter.",
    "HELP",
    "    Prints this help.",
]


@command("xgroup|help")
def xgroup_help(c, args):
    return [Status(x) for x in _XGROUP_HELP]


def _subcommand_syntax(args) -> RedisError:
    return formatted("ERR unknown subcommand or wrong number of arguments for '%s'. Try %s HELP."
                     % (cstr(args[1][:128]), args[0].upper()))


def _xgroup_target(c, args, mkstream: bool = False):
    """(stream or MISSING, group or None), with xgroupCommand's common checks."""
    s = c.db.lookup_type(args[2], (Stream,))
    g = None
    if not mkstream:
        if s is MISSING:
            raise RedisError("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may "
                             "want to use the MKSTREAM option to create an empty stream automatically.")
        g = s.groups.get(args[3])
        if g is None and args[1].lower() in ("setid", "createconsumer", "delconsumer"):
            raise formatted("NOGROUP No such consumer group '%s' for key name '%s'"
                            % (cstr(args[3]), cstr(args[2])))
    return s, g


@command("xgroup|create")
def xgroup_create(c, args):
    mkstream = False
    entries_read = INVALID_READ
    i = 5
    n = len(args)
    while i < n:
        o = args[i].lower()
        if o == "mkstream":
            mkstream = True
            i += 1
        elif o == "entriesread" and i + 1 < n:
            entries_read = parse_ll(args[i + 1])
            if entries_read < 0 and entries_read != INVALID_READ:
                raise RedisError("ERR value for ENTRIESREAD must be positive or -1")
            i += 2
        else:
            raise _subcommand_syntax(args)
    s, _ = _xgroup_target(c, args, mkstream)
    if n > 8:
        raise _subcommand_syntax(args)
    key, name = args[2], args[3]
    if args[4] == "$":
        gid = s.last_id if s is not MISSING else 0
    else:
        gid = strict_id(args[4])
    if s is MISSING:
        s = new_stream(c)
        c.db.set(key, s)
    if name in s.groups:
        raise RedisError("BUSYGROUP Consumer Group name already exists")
    s.groups[name] = Group(name, gid, entries_read)
    persist_touch(c, key)
    c.db.notify(STREAM, "xgroup-create", key)
    return OK


@command("xgroup|setid")
def xgroup_setid(c, args):
    n = len(args)
    entries_read = INVALID_READ
    i = 5
    while i < n:        # options are read before the key is looked up, as 7.0 does
        if args[i].lower() == "entriesread" and i + 1 < n:
            entries_read = parse_ll(args[i + 1])
            if entries_read < 0 and entries_read != INVALID_READ:
                raise RedisError("ERR value for ENTRIESREAD must be positive or -1")
            i += 2
        else:
            raise _subcommand_syntax(args)
    s, g = _xgroup_target(c, args)
    if n not in (5, 7):
        raise _subcommand_syntax(args)
    if args[4] == "$":
        gid = s.last_id
    else:
        gid = parse_id(args[4])[0]
    g.last_id = gid
    g.entries_read = entries_read
    persist_touch(c, args[2])
    c.db.notify(STREAM, "xgroup-setid", args[2])
    return OK


@command("xgroup|destroy")
def xgroup_destroy(c, args):
    s, g = _xgroup_target(c, args)
    if g is None:
        return 0
    del s.groups[args[3]]
    persist_touch(c, args[2])
    c.db.notify(STREAM, "xgroup-destroy", args[2])
    _signal_ready(c, args[2])      # blocked XREADGROUP clients get -NOGROUP
    return 1


def _signal_ready(c, key: str) -> None:
    ks = c.ks
    if ks.blocked and (c.db.index, key) in ks.blocked:
        ks.ready_keys.append((c.db.index, key))


@command("xgroup|createconsumer")
def xgroup_createconsumer(c, args):
    _, g = _xgroup_target(c, args)
    return 0 if create_consumer(c, g, args[4], args[2]) is None else 1


@command("xgroup|delconsumer")
def xgroup_delconsumer(c, args):
    _, g = _xgroup_target(c, args)
    cons = g.consumers.get(args[4])
    if cons is None:
        return 0
    pending = len(cons.pel)
    for i in list(cons.pel):
        del g.pel[i]
    del g.consumers[args[4]]
    persist_touch(c, args[2])
    c.db.notify(STREAM, "xgroup-delconsumer", args[2])
    return pending


# ---- XREADGROUP
def deliver(c, s: Stream, key: str, g: Group, group: str, cons: Consumer, start: int, count: int,
            noack: bool) -> list:
    """streamReplyWithRange with a group: new entries from ``start``, into the PELs."""
    out = []
    propagate_last = False
    now = now_ms()
    for i, fields in s.items(start):
        if i > g.last_id:
            if g.entries_read != INVALID_READ and not s.range_has_tombstones(i):
                g.entries_read += 1
            elif s.entries_added:
                g.entries_read = s.estimate_distance(i)
            g.last_id = i
            propagate_last = True
        out.append([id_str(i), list(fields)])
        if not noack:
            nack = g.pel.get(i)
            if nack is None:
                nack = Nack(cons, now, 1)
                g.pel[i] = nack
                cons.pel[i] = nack
            else:
                del nack.consumer.pel[i]
                nack.consumer = cons
                nack.delivery_time = now
                nack.delivery_count = 1
                cons.pel[i] = nack
            propagate_xclaim(c, key, g, group, id_str(i), nack)
            propagate_last = False      # the XCLAIM's LASTID carries it (7.0)
        if len(out) == count:
            break
    if propagate_last:
        propagate_group_id(c, key, g, group)
    return out


def history(s: Stream, cons: Consumer, start: int, count: int) -> list:
    """streamReplyWithRangeFromConsumerPEL: the consumer's own pending entries."""
    out = []
    now = now_ms()
    for i in cons.pel.irange(start):
        if count and len(out) >= count:
            break
        fields = s.entries.get(i)
        if fields is None:
            out.append([id_str(i), NULL_ARRAY])
        else:
            nack = cons.pel[i]
            nack.delivery_time = now
            nack.delivery_count += 1
            out.append([id_str(i), list(fields)])
    return out


@command("xreadgroup")
def xreadgroup(c, args):
    r = parse_read(c, args, True)
    rerun = c.block is not None
    ready = c.ready_key if rerun else None
    sa, ns = r.streams_arg, r.nstreams
    keys = args[sa:sa + ns]
    targets = []
    for k in range(ns):
        key = keys[k]
        if rerun:
            if key != ready:
                continue
            v = c.db.lookup_quiet(key)
            if type(v) is not Stream:
                raise RedisError("UNBLOCKED the stream key no longer exists")
            g = v.groups.get(r.group)
            if g is None:
                raise RedisError("NOGROUP the consumer group this client was blocked on no longer exists")
            targets.append((key, v, g, MAX_ID))
            continue
        s = get_stream_read(c, key)
        g = s.groups.get(r.group) if s is not MISSING else None
        if g is None:
            raise formatted("NOGROUP No such key '%s' or consumer group '%s' in XREADGROUP with GROUP option"
                            % (cstr(key), cstr(r.group)))
        a = args[sa + ns + k]
        if a == "$":
            raise RedisError("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the "
                             "history of this consumer by specifying a proper ID, or use the > ID to get new "
                             "messages. The $ ID would just return an empty result set.")
        targets.append((key, s, g, MAX_ID if a == ">" else strict_id(a)))
    out = []
    for key, s, g, gt in targets:
        hist = gt != MAX_ID
        if rerun:
            if s.last_id <= g.last_id:
                continue
            gt = g.last_id
        elif not hist:
            if not len(s) or s.last_valid_id() <= g.last_id:
                continue
            gt = g.last_id
        cons = lookup_consumer(g, r.consumer)
        if cons is None:
            cons = create_consumer(c, g, r.consumer, key)
            if r.noack:
                c.also_propagate(["XGROUP", "CREATECONSUMER", key, r.group, r.consumer])
        cons.seen_time = now_ms()
        start = id_incr(gt) if gt != MAX_ID else 0
        if hist:
            entries = history(s, cons, start, r.count)
        else:
            entries = deliver(c, s, key, g, r.group, cons, start, r.count, r.noack)
        persist_touch(c, key)
        out.append([key, entries])
    c.no_propagate()
    if out:
        return _read_reply(c, out)
    if rerun:
        return c.block
    if r.timeout == -1 or c.no_block:
        return NULL_ARRAY
    block_args = list(args)
    if not r.count:
        block_args[1:1] = ["COUNT", "1000"]
    return block_on(list(dict.fromkeys(keys)), r.timeout, block_args)


# ---- XACK
@command("xack")
def xack(c, args):
    s = get_stream_read(c, args[1])
    g = s.groups.get(args[2]) if s is not MISSING else None
    if g is None:
        return 0
    ids = [strict_id(a) for a in args[3:]]
    acked = 0
    for i in ids:
        nack = g.pel.get(i)
        if nack is not None:
            _drop_nack(g, i, nack)
            acked += 1
    if acked:
        persist_touch(c, args[1])
        c.ks.dirty += acked - 1
    return acked


# ---- XPENDING
@command("xpending")
def xpending(c, args):
    n = len(args)
    justinfo = n == 3
    if n != 3 and (n < 6 or n > 9):
        raise SYNTAX
    consumer = None
    count = 0
    minidle = 0
    if n >= 6:
        si = 3
        if args[3].lower() == "idle":
            minidle = parse_ll(args[4])
            if n < 8:
                raise SYNTAX
            si += 2
        count = max(parse_ll(args[si + 2]), 0)
        start, end = range_bounds(args[si], args[si + 1])
        if si + 3 < n:
            consumer = args[si + 3]
    s = get_stream(c, args[1])
    g = s.groups.get(args[2]) if s is not MISSING else None
    if g is None:
        raise formatted("NOGROUP No such key '%s' or consumer group '%s'" % (cstr(args[1]), cstr(args[2])))
    if justinfo:
        if not g.pel:
            return [0, None, None, NULL_ARRAY]
        counts = []
        from ..keyspace.stream import byte_order
        for name in sorted(g.consumers, key=byte_order):
            cons = g.consumers[name]
            if cons.pel:
                counts.append([name, str(len(cons.pel))])
        return [len(g.pel), id_str(g.pel.keys()[0]), id_str(g.pel.keys()[-1]), counts]
    pel = g.pel
    if consumer is not None:
        cons = g.consumers.get(consumer)
        if cons is None:
            return []
        pel = cons.pel
    now = now_ms()
    out = []
    if count and start <= end:
        for i in pel.irange(start, end):
            nack = pel[i]
            if minidle and now - nack.delivery_time < minidle:
                continue
            out.append([id_str(i), nack.consumer.name, max(0, now - nack.delivery_time), nack.delivery_count])
            if len(out) >= count:
                break
    return out


# ---- XCLAIM / XAUTOCLAIM
def _try_id(s: str):
    try:
        return strict_id(s)
    except RedisError:
        return None


def _claim(nack, cons, i: int, delivery_time: int, retrycount: int, justid: bool) -> None:
    """Give the pending entry ``i`` to ``cons`` (XCLAIM and XAUTOCLAIM): its delivery time,
    its count (RETRYCOUNT, else +1 unless JUSTID), and the move between consumers' PELs."""
    if nack.consumer is not cons and nack.consumer is not None:
        del nack.consumer.pel[i]
    nack.delivery_time = delivery_time
    if retrycount >= 0:
        nack.delivery_count = retrycount
    elif not justid:
        nack.delivery_count += 1
    if nack.consumer is not cons:
        cons.pel[i] = nack
        nack.consumer = cons


@command("xclaim")
def xclaim(c, args):
    s = get_stream_read(c, args[1])
    g = s.groups.get(args[2]) if s is not MISSING else None
    if g is None:
        raise formatted("NOGROUP No such key '%s' or consumer group '%s'" % (cstr(args[1]), cstr(args[2])))
    minidle = max(parse_ll(args[4], RedisError("ERR Invalid min-idle-time argument for XCLAIM")), 0)
    n = len(args)
    ids = []
    j = 5
    while j < n:
        i = _try_id(args[j])
        if i is None:
            break
        ids.append(i)
        j += 1
    now = now_ms()
    retrycount = -1
    deliverytime = -1
    force = justid = False
    propagate_last = False
    key, group = args[1], args[2]
    while j < n:
        more = n - 1 - j
        o = args[j].lower()
        if o == "force":
            force = True
        elif o == "justid":
            justid = True
        elif o == "idle" and more:
            j += 1
            deliverytime = now - parse_ll(args[j], RedisError("ERR Invalid IDLE option argument for XCLAIM"))
        elif o == "time" and more:
            j += 1
            deliverytime = parse_ll(args[j], RedisError("ERR Invalid TIME option argument for XCLAIM"))
        elif o == "retrycount" and more:
            j += 1
            retrycount = parse_ll(args[j], RedisError("ERR Invalid RETRYCOUNT option argument for XCLAIM"))
        elif o == "lastid" and more:
            j += 1
            lid = strict_id(args[j])
            if lid > g.last_id:
                g.last_id = lid
                propagate_last = True
        else:
            raise formatted("ERR Unrecognized XCLAIM option '%s'" % cstr(args[j]))
        j += 1
    if deliverytime != -1:
        if deliverytime < 0 or deliverytime > now:
            deliverytime = now
    else:
        deliverytime = now
    cons = None
    out = []
    changed = propagate_last
    for i in ids:
        nack = g.pel.get(i)
        sid = id_str(i)
        if i not in s.entries:
            if nack is not None:
                propagate_xclaim(c, key, g, group, sid, nack)
                propagate_last = False
                _drop_nack(g, i, nack)
                changed = True
            continue
        if force and nack is None:
            nack = Nack(None, now, 0)
            g.pel[i] = nack
        if nack is None:
            continue
        if nack.consumer is not None and minidle and now - nack.delivery_time < minidle:
            continue
        if cons is None:
            cons = lookup_consumer(g, args[3]) or create_consumer(c, g, args[3], key)
        _claim(nack, cons, i, deliverytime, retrycount, justid)
        out.append(sid if justid else [sid, list(s.entries[i])])
        propagate_xclaim(c, key, g, group, sid, nack)
        propagate_last = False
        changed = True
    if propagate_last:
        propagate_group_id(c, key, g, group)
    if changed:
        persist_touch(c, key)
    c.no_propagate()
    return out


@command("xautoclaim")
def xautoclaim(c, args):
    # xautoclaimCommand looks the key up first (a keymiss event) but checks its type only
    # after every argument: COUNT 0 on a string key is "COUNT must be > 0", not WRONGTYPE
    s = c.db.lookup_read(args[1])
    minidle = max(parse_ll(args[4], RedisError("ERR Invalid min-idle-time argument for XAUTOCLAIM")), 0)
    start, ex = interval_id(args[5], 0)
    if ex:
        if start == MAX_ID:
            raise RedisError("ERR invalid start ID for the interval")
        start = id_incr(start)
    count = 100
    justid = False
    n = len(args)
    j = 6
    max_count = ((1 << 63) - 1) // 16
    while j < n:
        more = n - 1 - j
        o = args[j].lower()
        if o == "count" and more:
            count = parse_ll(args[j + 1], RedisError("ERR COUNT must be > 0"))
            if count < 1 or count > max_count:
                raise RedisError("ERR COUNT must be > 0")
            j += 1
        elif o == "justid":
            justid = True
        else:
            raise SYNTAX
        j += 1
    if s is not MISSING and type(s) is not Stream:
        raise WRONGTYPE
    g = s.groups.get(args[2]) if s is not MISSING else None
    if g is None:
        raise formatted("NOGROUP No such key '%s' or consumer group '%s'" % (cstr(args[1]), cstr(args[2])))
    key, group = args[1], args[2]
    attempts = count * 10
    now = now_ms()
    cons = None
    out = []
    deleted = []
    changed = False
    # the IDs this call may visit (attempts, plus the next cursor), copied: the PEL changes
    it = iter(list(islice(g.pel.irange(start), attempts + 1)))
    pending = g.pel
    nxt = None
    while True:
        if not attempts:
            attempts -= 1
            nxt = next(it, None)
            break
        attempts -= 1
        if not count:
            nxt = next(it, None)
            break
        i = next(it, None)
        if i is None:
            break
        nack = pending.get(i)
        if nack is None:
            continue
        sid = id_str(i)
        if i not in s.entries:
            propagate_xclaim(c, key, g, group, sid, nack)
            _drop_nack(g, i, nack)
            deleted.append(sid)
            count -= 1
            changed = True
            continue
        if minidle and now - nack.delivery_time < minidle:
            continue
        if cons is None:
            cons = lookup_consumer(g, args[3]) or create_consumer(c, g, args[3], key)
        _claim(nack, cons, i, now, -1, justid)
        out.append(sid if justid else [sid, list(s.entries[i])])
        count -= 1
        propagate_xclaim(c, key, g, group, sid, nack)
        changed = True
    if changed:
        persist_touch(c, key)
    c.no_propagate()
    return [id_str(nxt) if nxt is not None else "0-0", out, deleted]
