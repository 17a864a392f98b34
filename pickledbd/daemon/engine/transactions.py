"""MULTI state and WATCH bookkeeping (Redis's multi.c), shared by the transaction commands,
RESET and disconnects.

While ``c.multi`` is a list the engine queues commands and flags queue-time errors in
``c.multi_error``. WATCH registers the client in ``ks.watched``; any write to a watched key
(``Database.modified``, expiry and FLUSH included) sets ``c.watch_dirty``.
"""
from __future__ import annotations


def watch(c, keys: list) -> None:
    db = c.db
    watched = c.ks.watched
    for key in keys:
        k = (db.index, key)
        if k in c.watching:
            continue
        if db.expires and key in db.expires:
            db.lookup(key)      # an already expired key is deleted now, before we watch it
        watched.setdefault(k, set()).add(c)
        c.watching.add(k)


def unwatch_all(c) -> None:
    """Forget every key ``c`` watches (UNWATCH, EXEC, DISCARD, RESET, disconnect)."""
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


def touch_expired_watched(c) -> None:
    """A watched key whose time has come counts as modified, deleted or not yet (Redis 7.0's
    isWatchedKeyExpired): looking it up expires it, which touches its watchers."""
    dbs = c.ks.dbs
    for dbi, key in list(c.watching):
        db = dbs[dbi]
        if db.expires and key in db.expires:
            db.lookup(key)


def begin(c) -> None:
    c.multi = []
    c.multi_error = False
    c.update_special()


def end(c) -> None:
    c.multi = None
    c.multi_error = False
    c.update_special()


def run_queue(c, queue: list) -> list:
    """EXEC's body: every queued command through the engine's call(), where nothing blocks.
    What they propagate forms one unit (MULTI ... EXEC when more than one write)."""
    call = c.engine.call
    replies = []
    c.no_block = True
    try:
        for cmd, args in queue:
            replies.append(call(c, cmd, args))
            if c.closing:
                break
    finally:
        c.no_block = False
    return replies
