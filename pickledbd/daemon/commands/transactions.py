"""Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH (the state lives in engine/transactions.py)."""
from __future__ import annotations

from ..engine import transactions as tx
from ..engine.command import command
from ..errors import RedisError
from ..protocol.reply import NULL_ARRAY, OK

EXECABORT = RedisError("EXECABORT Transaction discarded because of previous errors.")


@command("multi")
def multi(c, args):
    if c.multi is not None:
        raise RedisError("ERR MULTI calls can not be nested")
    tx.begin(c)
    return OK


@command("discard")
def discard(c, args):
    if c.multi is None:
        raise RedisError("ERR DISCARD without MULTI")
    tx.end(c)
    tx.unwatch_all(c)
    return OK


@command("exec")
def exec_(c, args):
    if c.multi is None:
        raise RedisError("ERR EXEC without MULTI")
    queue, aborted = c.multi, c.multi_error
    tx.end(c)
    if c.watching:
        tx.touch_expired_watched(c)
    dirty = c.watch_dirty
    tx.unwatch_all(c)
    c.no_propagate()    # EXEC itself is never propagated: its commands are, as one unit
    if aborted:
        raise EXECABORT
    if dirty:
        return NULL_ARRAY
    return tx.run_queue(c, queue)


@command("watch")
def watch(c, args):
    if c.multi is not None:
        raise RedisError("ERR WATCH inside MULTI is not allowed")
    tx.watch(c, args[1:])
    return OK


@command("unwatch")
def unwatch(c, args):
    tx.unwatch_all(c)
    return OK
