"""Whole-database commands: DBSIZE, FLUSHDB, FLUSHALL, SWAPDB."""
from __future__ import annotations

from ..engine.command import command
from ..errors import RedisError
from ..protocol.reply import OK
from .util import SYNTAX, parse_int


def _flush_flags(args):
    if len(args) > 2:
        raise SYNTAX
    if len(args) == 2 and args[1].lower() not in ("sync", "async"):
        raise SYNTAX


@command("dbsize")
def dbsize(c, args):
    return len(c.db.data)


@command("flushdb")
def flushdb(c, args):
    _flush_flags(args)
    c.db.clear()
    c.tracker.flushed()
    c.force_propagate()     # replicas and the AOF flush too, even an empty db
    return OK


@command("flushall")
def flushall(c, args):
    _flush_flags(args)
    for db in c.ks.dbs:
        db.clear()
    c.tracker.flushed()
    snapshots = c.persistence
    snapshots.kill_bgsave_child()
    if c.config.save_rules:
        try:
            snapshots.save()
        except Exception:
            pass
    c.ks.dirty += 1
    c.force_propagate()
    return OK


@command("swapdb")
def swapdb(c, args):
    ks = c.ks
    try:
        a = parse_int(args[1])
    except RedisError:
        raise RedisError("ERR invalid first DB index") from None
    try:
        b = parse_int(args[2])
    except RedisError:
        raise RedisError("ERR invalid second DB index") from None
    n = len(ks.dbs)
    if not (0 <= a < n and 0 <= b < n):
        raise RedisError("ERR DB index is out of range")
    c.force_propagate()      # Redis counts every successful SWAPDB as a change, 0 0 included
    if a == b:
        return OK
    ks.swap(a, b)
    # WATCHers of keys in either db see a change; clients blocked there may now be served
    for dbi, key in list(ks.watched):
        if dbi in (a, b):
            ks.touch_watchers(dbi, key)
    for dbi, key in list(ks.blocked):
        if dbi in (a, b) and key in ks.dbs[dbi].data:
            ks.ready_keys.append((dbi, key))
    return OK
