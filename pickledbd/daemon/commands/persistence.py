"""Persistence commands: SAVE, BGSAVE, LASTSAVE, SHUTDOWN (the work is persistence/snapshot.py's)."""
from __future__ import annotations

from ..engine.command import command
from ..errors import RedisError
from ..protocol.reply import OK, Status
from .util import SYNTAX


@command("save")
def save(c, args):
    s = c.persistence
    if s.bgsave_child is not None:
        raise RedisError("ERR Background save already in progress")
    try:
        s.save()
    except Exception:
        raise RedisError("ERR") from None
    return OK


@command("bgsave")
def bgsave(c, args):
    schedule = False
    if len(args) > 1:
        if len(args) == 2 and args[1].lower() == "schedule":
            schedule = True
        else:
            raise SYNTAX
    s = c.persistence
    if s.bgsave_child is not None:
        raise RedisError("ERR Background save already in progress")
    if s.aof.child is not None and not schedule:
        raise RedisError("ERR Another child process is active (AOF?): can't BGSAVE right now. "
                         "Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.")
    if c.no_block or s.aof.child is not None:
        s.bgsave_scheduled = True
        return Status("Background saving scheduled")
    try:
        ok = s.bgsave()
    except OSError:             # fork failed: logged; Redis replies a bare -ERR
        raise RedisError("ERR") from None
    if not ok:
        if schedule:
            s.bgsave_scheduled = True
            return Status("Background saving scheduled")
        raise RedisError("ERR Background save already in progress")
    return Status("Background saving started")


@command("bgrewriteaof")
def bgrewriteaof(c, args):
    aof = c.persistence.aof
    if aof.child is not None:
        raise RedisError("ERR Background append only file rewriting already in progress")
    if c.persistence.bgsave_child is not None or c.no_block:
        aof.rewrite_scheduled = True
        aof.consecutive_failures = 0        # a manual request is not held back by past failures
        return Status("Background append only file rewriting scheduled")
    if aof.start_rewrite():
        return Status("Background append only file rewriting started")
    raise RedisError("ERR Can't execute an AOF background rewriting. "
                     "Please check the server logs for more information.")


@command("lastsave")
def lastsave(c, args):
    return c.persistence.lastsave


@command("shutdown")
def shutdown(c, args):
    nosave = save_ = now = force = abort = False
    for a in args[1:]:
        low = a.lower()
        if low == "nosave":
            nosave = True
        elif low == "save":
            save_ = True
        elif low == "now":
            now = True
        elif low == "force":
            force = True
        elif low == "abort":
            abort = True
        else:
            raise SYNTAX
    if (abort and (nosave or save_ or now or force)) or (nosave and save_):
        raise SYNTAX
    if abort:
        raise RedisError("ERR No shutdown in progress.")
    if c.engine.busy_error is not None and not nosave:
        raise c.engine.busy_error     # a script holds the server: only SHUTDOWN NOSAVE goes
    save_flag = True if save_ else (False if nosave else None)
    if c.lifecycle.shutdown(save=save_flag, force=force):
        c.closing = True
        return b""
    raise RedisError("ERR Errors trying to SHUTDOWN. Check logs.")
