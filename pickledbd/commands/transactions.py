"""Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.

While ``c.multi`` is a list the server queues commands (``Server.gate``) and flags queue-time
errors in ``c.multi_error``. WATCH registers the client in ``keyspace.watched``; any write to
a watched key (``Database.modified``, expiry and FLUSH included) sets ``c.watch_dirty``.
"""
from __future__ import annotations

from ..blocking import BlockOn
from ..resp import NULL_ARRAY, OK, RedisError
from .registry import command

EXECABORT = RedisError("EXECABORT Transaction discarded because of previous errors.")


def unwatch_all(c) -> None:
    """Forget every key ``c`` watches (and the dirty flag)."""
    if c.watching:
        watched = c.ks.watched
        for k in c.watching:
            s = watched.get(k)
            if s is not None:
                s.discard(c)
                if not s:
                    del watched[k]
        c.watching = set()
    c.watch_dirty = False


def _unwatch(c) -> None:
    server = c.server
    if hasattr(server, "unwatch_all"):
        server.unwatch_all(c)
    else:
        unwatch_all(c)


def _end_multi(c) -> None:
    c.multi = None
    c.multi_error = False
    c.update_special()


@command("multi")
def multi(c, args):
    if c.multi is not None:
        raise RedisError("ERR MULTI calls can not be nested")
    c.multi = []
    c.multi_error = False
    c.update_special()
    return OK


@command("discard")
def discard(c, args):
    if c.multi is None:
        raise RedisError("ERR DISCARD without MULTI")
    _end_multi(c)
    _unwatch(c)
    return OK


def _watched_key_expired(c) -> None:
    """A watched key whose time has come counts as modified, deleted or not yet (Redis 7.0's
    isWatchedKeyExpired): looking it up expires it, which touches its watchers."""
    dbs = c.ks.dbs
    for dbi, key in list(c.watching):
        db = dbs[dbi]
        if db.expires and key in db.expires:
            db.lookup(key)


@command("exec")
def exec_(c, args):
    if c.multi is None:
        raise RedisError("ERR EXEC without MULTI")
    queue, aborted = c.multi, c.multi_error
    _end_multi(c)
    if c.watching:
        _watched_key_expired(c)
    dirty = c.watch_dirty
    _unwatch(c)
    if aborted:
        raise EXECABORT
    if dirty:
        return NULL_ARRAY
    server = c.server
    call = server.call
    replies = []
    c.in_exec = True
    try:
        for cmd, qargs in queue:
            reply = call(c, cmd, qargs)
            if reply.__class__ is BlockOn:
                reply = reply.timeout_reply
            replies.append(reply)
            if c.closing:
                break
    finally:
        c.in_exec = False
    return replies


@command("watch")
def watch(c, args):
    if c.multi is not None:
        raise RedisError("ERR WATCH inside MULTI is not allowed")
    db = c.db
    watched = c.ks.watched
    for key in args[1:]:
        k = (db.index, key)
        if k in c.watching:
            continue
        if db.expires and key in db.expires:
            db.lookup(key)      # an already expired key is deleted now, before we watch it
        watched.setdefault(k, set()).add(c)
        c.watching.add(k)
    return OK


@command("unwatch")
def unwatch(c, args):
    _unwatch(c)
    return OK
