"""Snapshots (Redis's rdb.c, with our JSON/SQLite files): SAVE, BGSAVE in a forked child,
the save rules, and loading at start.

Every save is atomic and durable (storage/atomic.py): a crash at any moment leaves the old
file or the new one. With an incremental backend (SQLite) only the keys changed since the
last successful save are written; a failed save marks them dirty again.
"""
from __future__ import annotations

import ctypes
import logging
import os
import signal
import stat
import sys
import time

from ...errors import CorruptDatabaseError
from ...storage import open_storage
from ..keyspace.zset import ZSet
from .rdb import dump_payload
from .rdbload import decode_dump

log = logging.getLogger("pickledbd")


class Snapshots:
    # DUMP / RESTORE / MIGRATE payloads (commands/dump.py): Redis's format, rdb.py / rdbload.py
    encode_dump = staticmethod(dump_payload)
    decode_dump = staticmethod(decode_dump)

    def __init__(self, ks, config):
        self.ks = ks
        self.config = config
        self.storage = None
        self.lastsave = int(time.time())
        self.last_bgsave_ok = True
        self.last_save_ok = True
        self.bgsave_child: int | None = None
        self.bgsave_started = 0.0
        self.bgsave_dirty_before = 0
        self.bgsave_dirty_keys = None
        self.bgsave_scheduled = False
        self.last_bgsave_try = 0.0
        self.last_bgsave_seconds = -1
        self.saves = 0
        self.forks = 0
        self.fork_usec = 0
        self.loaded_keys = 0
        self.status_changed = None   # fn(): a save succeeded or failed (the MISCONF gate)
        self.full_save = False       # the next save writes every key (a new file), not the changes
        self.bgsave_full = False

    def open_storage(self):
        self.storage = open_storage(self.config.data_path())
        self.ks.dirty_keys = {} if self.storage.incremental else None

    def storage_path_changed(self) -> None:
        """CONFIG SET dir/dbfilename: the next save goes to the new file, in full."""
        if self.storage is not None and self.storage.path == self.config.data_path():
            return
        self.kill_bgsave_child()
        old = self.storage
        self.open_storage()
        self.full_save = True
        self.ks.dirty += 1
        if old is not None:
            old.close()

    def load(self) -> None:
        t0 = time.time()
        _refuse_empty_file(self.storage.path)
        state = self.storage.load(zset_factory=ZSet)
        try:
            self.ks.load_state(state)
        except CorruptDatabaseError as e:       # a function library that cannot be loaded
            raise CorruptDatabaseError("%s: %s" % (self.storage.path, e)) from None
        keys = sum(len(db.data) for db in self.ks.dbs)
        expires = sum(len(db.expires) for db in self.ks.dbs)
        self.loaded_keys = keys
        log.info("DB loaded from disk: %.3f seconds, %d keys (%d with an expiry) from %s",
                 time.time() - t0, keys, expires, self.storage.path)
        self.ks.dirty = 0

    def save(self) -> None:
        """SAVE: write the snapshot now, in this process (atomic and durable)."""
        ks = self.ks
        dirty_before = ks.dirty
        dirty_keys = ks.dirty_keys
        if dirty_keys is not None:
            ks.dirty_keys = {}
        full = self.full_save
        try:
            self.storage.save(ks.state(), None if full else dirty_keys)
        except Exception as e:
            # as Redis's rdbSave: the caller gets the error; rdb_last_bgsave_status (and so
            # -MISCONF) stays the background saves' (a successful SAVE clears it, below)
            self.last_save_ok = False
            if dirty_keys is not None:
                _merge_dirty(ks, dirty_keys)
            log.warning("Failed saving the DB: %s", e)
            self._status_changed()
            raise
        ks.dirty -= dirty_before
        if full:
            self.full_save = False
        self.lastsave = int(time.time())
        self.last_save_ok = True
        self.last_bgsave_ok = True
        self.saves += 1
        self._status_changed()
        log.info("DB saved on disk")

    def bgsave(self) -> bool:
        """Fork a child that writes the snapshot; the parent keeps serving."""
        if self.bgsave_child is not None:
            return False
        ks = self.ks
        dirty_keys = ks.dirty_keys
        full = self.full_save
        self.last_bgsave_try = time.time()
        sys.stdout.flush()
        sys.stderr.flush()
        for h in log.handlers:
            h.flush()
        t_fork = time.perf_counter_ns()
        parent = os.getpid()
        try:
            pid = os.fork()
        except OSError as e:    # as Redis: a save that could not start is a failed save
            self.last_bgsave_ok = False
            log.warning("Can't save in background: fork: %s", e.strerror or e)
            self._status_changed()
            raise
        if pid == 0:  # child: write and leave, touching nothing of the parent's loop
            code = 1
            try:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                detach_from_parent(parent)
                open_storage(self.storage.path).save(ks.state(), None if full else dirty_keys)
                code = 0
            except BaseException as e:
                try:
                    sys.stderr.write("pickledbd background save failed: %s\n" % e)
                except Exception:
                    pass
            finally:
                os._exit(code)
        if dirty_keys is not None:
            ks.dirty_keys = {}
        self.fork_usec = (time.perf_counter_ns() - t_fork) // 1000
        self.forks += 1
        self.bgsave_child = pid
        self.bgsave_started = time.time()
        self.bgsave_dirty_before = ks.dirty
        self.bgsave_dirty_keys = dirty_keys
        self.bgsave_full = full
        log.info("Background saving started by pid %d", pid)
        return True

    def check_bgsave_child(self) -> None:
        if self.bgsave_child is None:
            return
        end = reap(self.bgsave_child)
        if end is None:
            return
        ok = end[0]
        self.last_bgsave_seconds = int(time.time() - self.bgsave_started)
        self.bgsave_child = None
        if ok:
            self.ks.dirty -= self.bgsave_dirty_before
            if self.bgsave_full:
                self.full_save = False
            self.lastsave = int(time.time())
            self.last_bgsave_ok = True
            self.saves += 1
            log.info("Background saving terminated with success")
        else:
            self.last_bgsave_ok = False
            if self.bgsave_dirty_keys is not None:
                _merge_dirty(self.ks, self.bgsave_dirty_keys)
            if end[1]:
                log.warning("Background saving terminated by signal %d", end[1])
            else:
                log.warning("Background saving error")
        self.bgsave_dirty_keys = None
        self._status_changed()
        if self.bgsave_scheduled:
            self.bgsave_scheduled = False
            try:
                self.bgsave()
            except OSError:
                pass

    def kill_bgsave_child(self) -> None:
        if self.bgsave_child is not None:
            try:
                os.kill(self.bgsave_child, signal.SIGKILL)
                os.waitpid(self.bgsave_child, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
            self.bgsave_child = None
            if self.bgsave_dirty_keys is not None:
                _merge_dirty(self.ks, self.bgsave_dirty_keys)
                self.bgsave_dirty_keys = None

    def cron(self, now: float) -> None:
        """Reap a finished BGSAVE child; start one when a save rule says so."""
        self.check_bgsave_child()
        ks = self.ks
        if self.bgsave_child is None and ks.dirty:
            for seconds, changes in self.config.save_rules:
                if (ks.dirty >= changes and now - self.lastsave >= seconds
                        and (self.last_bgsave_ok or now - self.last_bgsave_try > 5)):
                    log.info("%d changes in %d seconds. Saving...", changes, seconds)
                    try:
                        self.bgsave()
                    except OSError:
                        pass        # logged, and rdb_last_bgsave_status is err: retried in 5 s
                    break

    def _status_changed(self) -> None:
        if self.status_changed is not None:
            self.status_changed()

    def close(self) -> None:
        if self.storage is not None:
            self.storage.close()


def reap(pid: int):
    """A forked child's end, without waiting: None while it runs, else (exited with 0, the
    signal that killed it or 0). A child already reaped elsewhere counts as failed."""
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return False, 0
    if done == 0:
        return None
    return (os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0,
            os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0)


def detach_from_parent(parent: int) -> None:
    """In a forked saver: close the parent's sockets, so that a crashed parent's port is free
    at once and its clients see the connection end, and die with the parent, so that a saver
    outliving it cannot replace the file a restarted daemon has loaded (or saved) since."""
    _die_with_parent()
    if os.getppid() != parent:      # the parent died before the line above
        os._exit(1)
    try:
        fds = [int(n) for n in os.listdir("/proc/self/fd")]
    except OSError:
        return
    for fd in fds:
        if fd > 2:
            try:
                if stat.S_ISSOCK(os.fstat(fd).st_mode):
                    os.close(fd)
            except OSError:
                pass


def _die_with_parent() -> None:
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


_PR_SET_PDEATHSIG = 1
try:    # loaded up front: a forked child should not import
    _prctl = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None
except (OSError, AttributeError):
    _prctl = None


def _refuse_empty_file(path: str) -> None:
    """A 0-byte data file is what a failed write or a truncation leaves, never a snapshot we
    wrote (an empty dataset is "{}", an SQLite file has its header): refuse to start, as
    Redis refuses an empty RDB, rather than serve it as an empty dataset and overwrite it."""
    try:
        if os.path.getsize(path):
            return
    except OSError:     # missing: start empty (an unreadable one fails in load)
        return
    try:
        if os.path.getsize(path + "-wal"):
            return      # SQLite would find its pages there
    except OSError:
        pass
    raise CorruptDatabaseError(
        "%s is empty (0 bytes), which no save ever writes: refusing to start on it. "
        "Remove it to start with an empty dataset." % path)


def _merge_dirty(ks, dirty_keys) -> None:
    """A failed save: its keys are dirty again (None = the whole db)."""
    if ks.dirty_keys is None:
        return
    for db, keys in dirty_keys.items():
        cur = ks.dirty_keys.get(db, set())
        if keys is None or cur is None:
            ks.dirty_keys[db] = None
        else:
            cur |= keys
            ks.dirty_keys[db] = cur
