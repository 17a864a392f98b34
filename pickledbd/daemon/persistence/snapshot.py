"""Snapshots (Redis's rdb.c, with our JSON/SQLite files): SAVE, BGSAVE in a forked child,
the save rules, and loading at start.

Every save is atomic and durable (storage/atomic.py): a crash at any moment leaves the old
file or the new one. With an incremental backend (SQLite) only the keys changed since the
last successful save are written; a failed save marks them dirty again.
"""
from __future__ import annotations

import logging
import os
import signal
import sys
import time

from ...errors import CorruptDatabaseError
from ...storage import open_storage
from ..keyspace.zset import ZSet

log = logging.getLogger("pickledbd")


class Snapshots:
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
        if self.ks.dirty_keys is not None:
            self.ks.dirty_keys = {db.index: None for db in self.ks.dbs}
        self.ks.dirty += 1
        if old is not None:
            old.close()

    def load(self) -> None:
        t0 = time.time()
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
        try:
            self.storage.save(ks.state(), dirty_keys)
        except Exception as e:
            self.last_save_ok = False
            self.last_bgsave_ok = False
            if dirty_keys is not None:
                _merge_dirty(ks, dirty_keys)
            log.warning("Failed saving the DB: %s", e)
            self._status_changed()
            raise
        ks.dirty -= dirty_before
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
        self.last_bgsave_try = time.time()
        sys.stdout.flush()
        sys.stderr.flush()
        for h in log.handlers:
            h.flush()
        t_fork = time.perf_counter_ns()
        pid = os.fork()
        if pid == 0:  # child: write and leave, touching nothing of the parent's loop
            code = 1
            try:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                open_storage(self.storage.path).save(ks.state(), dirty_keys)
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
        log.info("Background saving started by pid %d", pid)
        return True

    def check_bgsave_child(self) -> None:
        if self.bgsave_child is None:
            return
        try:
            pid, status = os.waitpid(self.bgsave_child, os.WNOHANG)
        except ChildProcessError:
            pid, status = self.bgsave_child, 1 << 8
        if pid == 0:
            return
        ok = os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
        self.last_bgsave_seconds = int(time.time() - self.bgsave_started)
        self.bgsave_child = None
        if ok:
            self.ks.dirty -= self.bgsave_dirty_before
            self.lastsave = int(time.time())
            self.last_bgsave_ok = True
            self.saves += 1
            log.info("Background saving terminated with success")
        else:
            self.last_bgsave_ok = False
            if self.bgsave_dirty_keys is not None:
                _merge_dirty(self.ks, self.bgsave_dirty_keys)
            log.warning("Background saving error")
        self.bgsave_dirty_keys = None
        self._status_changed()
        if self.bgsave_scheduled:
            self.bgsave_scheduled = False
            self.bgsave()

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
                    self.bgsave()
                    break

    def _status_changed(self) -> None:
        if self.status_changed is not None:
            self.status_changed()

    def close(self) -> None:
        if self.storage is not None:
            self.storage.close()


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
