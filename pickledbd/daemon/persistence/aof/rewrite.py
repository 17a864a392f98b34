"""AOF rewrite (Redis 7.0 aof.c: rewriteAppendOnlyFileBackground, backgroundRewriteDoneHandler).

Multi-part: at the start the writer switches to a new increment at once (the manifest names
the old base, the old increments and the new one), and a forked child writes the dataset as
a new base to a temporary file. When the child succeeds, the parent renames it to the next
base name and writes a manifest naming only the new base and the new increment; the old
files are deleted after that. Every step is a rename or a manifest replaced atomically, so
a crash at any moment leaves a directory that loads the full dataset.
"""
from __future__ import annotations

import logging
import os
import signal
import sys
import time

from ..snapshot import detach_from_parent, reap
from . import format as aof_format
from .manifest import AofFile, Manifest, write_manifest
from .writer import OFF, ON, WAIT_REWRITE

log = logging.getLogger("pickledbd")


def temp_incr_name(filename: str) -> str:
    return "temp-%s.incr" % filename       # getTempIncrAofName


def start(aof) -> bool:
    """rewriteAppendOnlyFileBackground. False (logged, status err) when it cannot start."""
    if aof.child is not None or aof.snapshots.bgsave_child is not None:
        return False
    try:
        os.makedirs(aof.dirpath, exist_ok=True)
    except OSError as e:
        log.warning("Can't open or create append-only dir %s: %s", aof.dirpath, e.strerror)
        aof.last_bgrewrite_ok = False
        return False
    aof.flush(force=True)
    aof.release()
    if aof.buf_len:
        # records the child's base will hold must not land in the new increment too
        log.warning("Can't rewrite the append only file while its buffer cannot be written")
        aof.last_bgrewrite_ok = False
        return False
    try:
        _open_new_incr(aof)
    except OSError as e:
        log.warning("Can't open the append-only file: %s", e.strerror)
        aof.last_bgrewrite_ok = False
        return False
    aof.cur_db = -1
    aof.rewrites += 1
    tmp = os.path.join(os.path.dirname(aof.dirpath), "temp-rewriteaof-bg-%d.aof")
    for h in log.handlers:
        h.flush()
    sys.stdout.flush()
    sys.stderr.flush()
    parent = os.getpid()
    try:
        pid = os.fork()
    except OSError as e:
        aof.last_bgrewrite_ok = False
        log.warning("Can't rewrite append only file in background: fork: %s", e.strerror)
        return False
    if pid == 0:
        code = 1
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            detach_from_parent(parent)
            path = tmp % os.getpid()
            with open(path, "wb") as f:
                aof_format.write_base(f, aof.ks)
                f.flush()
                os.fsync(f.fileno())
            code = 0
        except BaseException as e:
            try:
                sys.stderr.write("pickledbd AOF rewrite failed: %s\n" % e)
            except Exception:
                pass
        finally:
            os._exit(code)
    aof.child = pid
    aof.child_tmp = tmp % pid
    aof.child_started = time.time()
    aof.rewrite_scheduled = False
    aof.snapshots.forks += 1
    log.info("Background append only file rewriting started by pid %d", pid)
    return True


def _open_new_incr(aof) -> None:
    """openNewIncrAofForAppend: ON - the next increment, named in the manifest at once;
    WAIT_REWRITE (turning on) - a temporary increment the rewrite's end renames in."""
    if aof.state == OFF:
        return                  # BGREWRITEAOF with appendonly no: a new base only
    if aof.state == WAIT_REWRITE:
        path = aof.path(temp_incr_name(aof.filename))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    else:
        am = _dup(aof.manifest)
        name = aof._new_incr(am)
        fd = os.open(aof.path(name), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            write_manifest(aof.dirpath, aof.filename, am)
        except OSError:
            os.close(fd)
            raise
        aof.manifest = am
    if aof.fd != -1:
        aof.fsyncer.submit("close", aof.fd)     # after any fsync still queued for it
    aof.fd = fd
    aof.incr_size = 0


def _dup(am: Manifest) -> Manifest:
    """aofManifestDup: changes go to a copy, adopted once it is on disk."""
    return Manifest(AofFile(am.base.name, am.base.seq, am.base.kind) if am.base else None,
                    [AofFile(f.name, f.seq, f.kind) for f in am.incrs],
                    [AofFile(f.name, f.seq, f.kind) for f in am.history])


def done(aof, ok: bool, signaled: int) -> None:
    """backgroundRewriteDoneHandler."""
    aof.last_rewrite_seconds = int(time.time() - aof.child_started)
    aof.child = None
    tmp, aof.child_tmp = aof.child_tmp, ""
    if ok:
        try:
            _switch_in(aof, tmp)
            aof.last_bgrewrite_ok = True
            aof.consecutive_failures = 0
            log.info("Background AOF rewrite finished successfully")
            if aof.state == WAIT_REWRITE:
                aof.state = ON
            return
        except OSError as e:
            log.warning("Error trying to rename the temporary AOF base file %s: %s", tmp, e.strerror)
    elif signaled:
        log.warning("Background AOF rewrite terminated by signal %d", signaled)
    else:
        log.warning("Background AOF rewrite terminated with error")
    _remove(tmp)
    aof.last_bgrewrite_ok = False
    aof.consecutive_failures += 1
    aof.last_failure = time.time()
    if aof.state == WAIT_REWRITE:       # a failed start: try again (Redis's aof_rewrite_scheduled)
        aof.rewrite_scheduled = True


def _switch_in(aof, tmp: str) -> None:
    am = _dup(aof.manifest)
    new_base = aof._new_base(am)
    os.rename(tmp, aof.path(new_base))
    if aof.state == WAIT_REWRITE:
        name = aof._new_incr(am)
        os.rename(aof.path(temp_incr_name(aof.filename)), aof.path(name))
    # every increment but the one being written (the last, when on) is history now
    keep = 1 if aof.fd != -1 else 0
    old = am.incrs[:len(am.incrs) - keep]
    for f in old:
        f.kind = "h"
        am.history.append(f)
    del am.incrs[:len(old)]
    try:
        write_manifest(aof.dirpath, aof.filename, am)
    except OSError:
        _remove(aof.path(new_base))
        raise
    aof.manifest = am
    if aof.fd != -1:
        aof.cur_db = -1
        aof.base_size = os.path.getsize(aof.path(new_base))
        aof.current_size = aof.base_size + aof.incr_size
        aof.fsync_offset = aof.current_size
        aof.last_fsync = int(time.time())
    aof.delete_history()


def kill_child(aof) -> None:
    """killAppendOnlyChild: the temporary files go too."""
    pid = aof.child
    if pid is None:
        return
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass
    aof.child = None
    _remove(aof.child_tmp)
    aof.child_tmp = ""


def _remove(path: str) -> None:
    if path:
        try:
            os.unlink(path)
        except OSError:
            pass


def check_child(aof) -> None:
    if aof.child is None:
        return
    end = reap(aof.child)
    if end is not None:
        done(aof, *end)


def limited(aof, now: float) -> bool:
    """aofRewriteLimited: after 3 failures in a row, wait before trying again (1 min here)."""
    return aof.consecutive_failures >= 3 and now - aof.last_failure < 60


def cron(aof, now: float) -> None:
    check_child(aof)
    snaps = aof.snapshots
    if aof.child is None and snaps.bgsave_child is None and snaps.bgsave_scheduled:
        snaps.bgsave_scheduled = False          # a BGSAVE SCHEDULE waited for our child
        try:
            snaps.bgsave()
        except OSError:
            pass
    if aof.child is not None or snaps.bgsave_child is not None:
        return
    if aof.rewrite_scheduled and not limited(aof, now):
        start(aof)
        return
    cfg = aof.config.values
    perc = cfg["auto-aof-rewrite-percentage"]
    if aof.state == ON and perc and aof.current_size > cfg["auto-aof-rewrite-min-size"]:
        base = aof.base_size or 1
        growth = aof.current_size * 100 // base - 100
        if growth >= perc and not limited(aof, now):
            log.info("Starting automatic rewriting of AOF on %d%% growth", growth)
            start(aof)

