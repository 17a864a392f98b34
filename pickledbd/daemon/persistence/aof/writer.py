"""The append-only file service (Redis 7.0 aof.c: feedAppendOnlyFile, flushAppendOnlyFile,
startAppendOnly/stopAppendOnly, aofOpenIfNeededOnServerStart).

The engine's propagation records of each execution unit are encoded into ``buf``; the buffer
is written once per event-loop turn (Redis's beforeSleep), so one write (and, under
``appendfsync always``, one fsync) covers every client of the turn: group commit. Under
``always`` the network layer holds every reply while ``buf`` has bytes (``hold``), and lets
them go right after the write and fsync (``release``): no reply leaves before the records
of the writes it acknowledges, or has observed, are on disk. ``everysec`` fsyncs in a
background thread (``Fsyncer``); ``no`` leaves it to the kernel.
"""
from __future__ import annotations

import errno
import logging
import os
import queue
import threading
import time

from ...errors import RedisError
from . import format as aof_format
from .manifest import (
    AofFile,
    Manifest,
    base_name,
    incr_name,
    manifest_name,
    read_manifest,
    write_manifest,
)

log = logging.getLogger("pickledbd")

OFF, ON, WAIT_REWRITE = "off", "on", "wait_rewrite"
WRITE_ERROR_LOG_RATE = 30          # AOF_WRITE_LOG_ERROR_RATE: seconds between repeated logs


class Fsyncer:
    """Redis's BIO_AOF_FSYNC thread: fsyncs (and closes retired files) in order, off the loop."""

    def __init__(self, on_result):
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        # aof_pending_bio_fsync = submitted - completed: each counter has one writer thread
        self.submitted = 0
        self.completed = 0
        self.on_result = on_result     # fn(ok, errno) from the thread (plain attribute writes)
        self.thread = None

    def submit(self, kind: str, fd: int) -> None:
        if self.thread is None:
            self.thread = threading.Thread(target=self._run, name="aof-fsync", daemon=True)
            self.thread.start()
        self.submitted += 1
        self.jobs.put((kind, fd))

    @property
    def pending(self) -> int:
        return self.submitted - self.completed

    def busy(self) -> bool:
        return self.submitted != self.completed

    def _run(self) -> None:
        while True:
            kind, fd = self.jobs.get()
            try:
                if kind == "fsync":
                    try:
                        os.fsync(fd)
                        self.on_result(True, 0)
                    except OSError as e:
                        if e.errno not in (errno.EBADF, errno.EINVAL):
                            self.on_result(False, e.errno)
                else:
                    try:
                        os.close(fd)
                    except OSError:
                        pass
            finally:
                self.completed += 1


class AppendOnly:
    def __init__(self, ks, config, engine, snapshots):
        self.ks = ks
        self.config = config
        self.engine = engine
        self.snapshots = snapshots
        self.loop = None
        self.net = None                    # NetIO: the ``aof_gate`` it checks before each flush
        self.state = OFF
        self.manifest: Manifest | None = None
        self.fd = -1
        self.recs: list = []               # the turn's records, encoded at flush (one pass)
        self.buf: list = []                # encoded bytes not yet written (aof_buf)
        self.buf_len = 0
        self.cur_db = -1                   # -1: the next record starts with a SELECT
        self.flush_scheduled = False
        self.held: dict = {}               # ctx id -> Connection whose output waits for the fsync
        self.incr_size = 0                 # aof_last_incr_size (the current incr file)
        self.current_size = 0              # aof_current_size (base + incrs)
        self.base_size = 0                 # aof_rewrite_base_size
        self.fsync_offset = 0
        self.last_fsync = 0
        self.postponed_start = 0
        self.delayed_fsync = 0
        self.last_write_ok = True
        self.last_write_errno = 0
        self.last_write_error_log = 0
        self.bio_ok = True
        self.bio_errno = 0
        self.fsyncer = Fsyncer(self._bio_result)
        self.policy = "everysec"           # appendfsync (update_gate, after each CONFIG SET)
        self.always = False
        # rewrite (rewrite.py)
        self.child: int | None = None
        self.child_started = 0.0
        self.child_tmp = ""
        self.rewrite_scheduled = False
        self.last_rewrite_seconds = -1
        self.last_bgrewrite_ok = True
        self.rewrites = 0
        self.consecutive_failures = 0
        self.last_failure = 0.0
        self.status_changed = None         # fn(): the -MISCONF gate may have changed

    # ------------------------------------------------------------------ paths
    @property
    def dirpath(self) -> str:
        return os.path.join(os.path.abspath(os.path.expanduser(self.config.values["dir"])),
                            self.config.values["appenddirname"])

    @property
    def filename(self) -> str:
        return self.config.values["appendfilename"]

    def path(self, name: str) -> str:
        return os.path.join(self.dirpath, name)

    def manifest_exists(self) -> bool:
        return os.path.exists(self.path(manifest_name(self.filename)))

    def read_manifest_if_any(self) -> None:
        """aofLoadManifestFromDisk: known at start even with appendonly no, so that a rewrite
        at run time goes on from the sequence numbers already on disk."""
        if self.manifest_exists():
            self.manifest = read_manifest(self.path(manifest_name(self.filename)))
        else:
            self.manifest = Manifest()

    # ------------------------------------------------------------------ start / stop
    def open_on_start(self) -> None:
        """aofOpenIfNeededOnServerStart: with appendonly yes, make sure a base exists (from the
        dataset just loaded) and open the last increment for appending."""
        if self.config.values["appendonly"] != "yes":
            return
        os.makedirs(self.dirpath, exist_ok=True)
        am = self.manifest
        if am.base is None and not am.incrs:
            name = self._new_base(am)
            tmp = self.path("temp-" + name)
            with open(tmp, "wb") as f:
                aof_format.write_base(f, self.ks)
                f.flush()
                os.fsync(f.fileno())
            os.rename(tmp, self.path(name))
            log.info("Creating AOF base file %s on server start", name)
        if am.incrs:
            name = am.incrs[-1].name
        else:
            name = self._new_incr(am)
        self.fd = os.open(self.path(name), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        write_manifest(self.dirpath, self.filename, am)
        self.delete_history()
        self.incr_size = os.fstat(self.fd).st_size
        self.base_size = self.current_size = self.files_size()
        self.fsync_offset = self.current_size
        self.last_fsync = int(time.time())
        self._turn_on(ON)

    def _turn_on(self, state: str) -> None:
        self.state = state
        self.cur_db = -1
        if self.feed not in self.engine.propagation.feeds:
            self.engine.propagation.add_feed(self.feed)
        self.update_gate()

    def update_gate(self) -> None:
        if self.net is not None:
            self.net.aof_gate = self if self.state != OFF else None
        self.policy = self.config.values["appendfsync"]
        self.always = self.policy == "always"

    def holding(self) -> bool:
        """Whether replies wait for this turn's AOF write (and fsync under always), as Redis
        sends replies only after beforeSleep's flushAppendOnlyFile. Not while an everysec
        write is postponed or failing: Redis sends the replies then too."""
        return bool(self.recs or self.buf_len) and (self.always or (not self.postponed_start and self.last_write_ok))

    def _new_base(self, am: Manifest) -> str:
        """getNewBaseFileNameAndMarkPreAsHistory."""
        if am.base is not None:
            am.base.kind = "h"
            am.history.append(am.base)
        seq = am.base_seq + 1 if am.base else 1
        for f in am.history:
            if f.name == base_name(self.filename, seq):
                seq += 1
        am.base = AofFile(base_name(self.filename, seq), seq, "b")
        return am.base.name

    def _new_incr(self, am: Manifest) -> str:
        seq = am.incr_seq + 1
        name = incr_name(self.filename, seq)
        am.incrs.append(AofFile(name, seq, "i"))
        return name

    def files_size(self) -> int:
        total = 0
        for f in self.manifest.load_order():
            try:
                total += os.path.getsize(self.path(f.name))
            except OSError:
                pass
        return total

    def delete_history(self) -> None:
        """aofDelHistoryFiles: once a manifest naming the new files is on disk, the history
        files go, then the manifest is written again without them."""
        if not self.manifest.history or self.config.values["aof-disable-auto-gc"] == "yes":
            return
        for f in self.manifest.history:
            try:
                os.unlink(self.path(f.name))
                log.info("Removing the history file %s in the background", f.name)
            except FileNotFoundError:
                pass
            except OSError as e:
                log.warning("Failed to remove the history file %s: %s", f.name, e.strerror)
                return
        self.manifest.history.clear()
        try:
            write_manifest(self.dirpath, self.filename, self.manifest)
        except OSError as e:      # harmless: history entries are never loaded
            log.warning("Failed to persist the AOF manifest: %s", e.strerror)

    def start(self) -> None:
        """CONFIG SET appendonly yes (startAppendOnly): a rewrite writes the base of the dataset;
        writes meanwhile go to a temporary increment that the rewrite's end switches in."""
        from . import rewrite
        if self.state != OFF:
            return
        self.state = WAIT_REWRITE
        if self.snapshots.bgsave_child is not None:
            self.rewrite_scheduled = True
            log.warning("AOF was enabled but there is already another background operation. "
                        "An AOF background was scheduled to start when possible.")
        else:
            if self.child is not None:
                log.warning("AOF was enabled but there is already an AOF rewriting in background. "
                            "Stopping background AOF and starting a rewrite now.")
                rewrite.kill_child(self)
            if not rewrite.start(self):
                self.state = OFF
                log.warning("Redis needs to enable the AOF but can't trigger a background AOF rewrite "
                            "operation. Check the above logs for more info about the error.")
                raise OSError("Unable to turn on AOF")
        self.last_fsync = int(time.time())
        self._turn_on(WAIT_REWRITE)

    def start_rewrite(self) -> bool:
        """BGREWRITEAOF: fork the rewrite child now (False: it could not start)."""
        from . import rewrite
        return rewrite.start(self)

    def stop(self) -> None:
        """CONFIG SET appendonly no (stopAppendOnly)."""
        from . import rewrite
        if self.state == OFF:
            return
        self._flush_and_fsync()
        if self.fd != -1:
            os.close(self.fd)
            self.fd = -1
        self.recs.clear()
        self.buf.clear()
        self.buf_len = 0
        if self.child is not None:
            log.info("Killing running AOF rewrite child: %d", self.child)
            rewrite.kill_child(self)
        self.rewrite_scheduled = False
        self.state = OFF
        self.engine.propagation.remove_feed(self.feed)
        self.last_write_ok = self.bio_ok = True
        self.release()
        self.update_gate()
        self._status_changed()

    def close(self) -> None:
        """Shutdown: write and fsync what is buffered (Redis's prepareForShutdown)."""
        from . import rewrite
        if self.child is not None:
            rewrite.kill_child(self)
        if self.state == OFF:
            return
        self._flush_and_fsync()

    def _flush_and_fsync(self) -> None:
        """Write what is buffered and fsync it (stopping or shutting down)."""
        self.flush(force=True)
        if self.fd != -1:
            try:
                os.fsync(self.fd)
            except OSError as e:
                log.warning("Fail to fsync the AOF file: %s", e.strerror)

    # ------------------------------------------------------------------ feeding
    def feed(self, records) -> None:
        if self.fd == -1:
            return      # turning on, the rewrite not started yet: its base will hold this
        self.recs.append(records)
        if not self.flush_scheduled and self.loop is not None:
            self.flush_scheduled = True
            self.loop.call_soon(self.before_sleep)

    def _encode_pending(self) -> None:
        """catAppendOnlyGenericCommand for the turn's records in one pass (a SELECT where the
        database changes). Fast path: one format per command, lengths in characters, checked
        once for the whole text (all ASCII: characters are bytes); else the exact encoder."""
        recs, self.recs = self.recs, []
        db = self.cur_db
        try:
            text, end_db = _encode_ascii(recs, db)
            data = text.encode("ascii") if text.isascii() else None
        except (TypeError, ValueError):     # a non-str argument
            data = None
        if data is None:
            parts = []
            for records in recs:
                chunk, db = aof_format.encode_records(records, db)
                parts.append(chunk)
            data, end_db = b"".join(parts), db
        self.cur_db = end_db
        self.buf.append(data)
        self.buf_len += len(data)

    def before_sleep(self) -> None:
        self.flush_scheduled = False
        self.flush(False)
        if self.held:
            self.release()

    # ---- the network layer's hook (appendfsync always)
    def hold(self, conn) -> None:
        """A connection's output waits for before_sleep (net/connection.py)."""
        self.held[conn.ctx.id] = conn

    def sync_now(self) -> None:
        """A connection about to close must not wait for the turn's end: write and fsync now."""
        self.flush(force=True)
        self.release()

    def release(self) -> None:
        if not self.held or self.holding():
            return
        held, self.held = self.held, {}
        for conn in held.values():
            if not conn.transport.is_closing():     # else the peer is gone (or dropped)
                conn.aof_written()

    # ------------------------------------------------------------------ flushAppendOnlyFile
    def flush(self, force: bool) -> None:
        if self.fd == -1:
            return
        if self.recs:
            self._encode_pending()
        policy = self.policy
        now = int(time.time())
        sync_in_progress = False
        if not self.buf_len:
            # an everysec fsync owed for bytes already written
            if (policy == "everysec" and self.fsync_offset != self.current_size
                    and now > self.last_fsync and not self.fsyncer.busy()):
                self._try_fsync(policy, now, False)
            return
        if policy == "everysec":
            sync_in_progress = self.fsyncer.busy()
        if policy == "everysec" and not force and sync_in_progress:
            if not self.postponed_start:
                self.postponed_start = now
                return
            if now - self.postponed_start < 2:
                return
            self.delayed_fsync += 1
            log.info("Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF "
                     "buffer without waiting for fsync to complete, this may slow down Redis.")
        self.postponed_start = 0
        data = b"".join(self.buf) if len(self.buf) > 1 else self.buf[0]
        written, err = _write_all(self.fd, data)
        if written != len(data):
            self._write_failed(data, written, err, policy, now)
            return
        if not self.last_write_ok:
            log.warning("AOF write error looks solved, Redis can write again.")
            self.last_write_ok = True
            self._status_changed()
        self.buf.clear()
        self.buf_len = 0
        self.current_size += written
        self.incr_size += written
        self._try_fsync(policy, now, sync_in_progress)

    def _try_fsync(self, policy: str, now: int, sync_in_progress: bool) -> None:
        if (self.config.values["no-appendfsync-on-rewrite"] == "yes"
                and (self.child is not None or self.snapshots.bgsave_child is not None)):
            return
        if policy == "always":
            try:
                os.fsync(self.fd)
            except OSError as e:
                log.warning("Can't persist AOF for fsync error when the AOF fsync policy is 'always': "
                            "%s. Exiting...", e.strerror)
                os._exit(1)
            self.fsync_offset = self.current_size
            self.last_fsync = now
        elif policy == "everysec" and now > self.last_fsync:
            if not sync_in_progress:
                self.fsyncer.submit("fsync", self.fd)
                self.fsync_offset = self.current_size
            self.last_fsync = now

    def _write_failed(self, data: bytes, written: int, err: int, policy: str, now: int) -> None:
        can_log = now - self.last_write_error_log > WRITE_ERROR_LOG_RATE
        if can_log:
            self.last_write_error_log = now
        if written:
            if can_log:
                log.warning("Short write while writing to the AOF file: (nwritten=%d, expected=%d)",
                            written, len(data))
            try:   # never leave half a command: cut back to the last complete write
                os.ftruncate(self.fd, self.incr_size)
                written = 0
            except OSError as e:
                if can_log:
                    log.warning("Could not remove short write from the append-only file.  Redis may "
                                "refuse to load the AOF the next time it starts.  ftruncate: %s",
                                e.strerror)
            self.last_write_errno = errno.ENOSPC
        else:
            if can_log:
                log.warning("Error writing to the AOF file: %s", os.strerror(err))
            self.last_write_errno = err
        if policy == "always":
            # the data is already visible in memory and cannot be rolled back (Redis's rule)
            log.warning("Can't recover from AOF write error when the AOF fsync policy is 'always'. "
                        "Exiting...")
            os._exit(1)
        if written:
            self.current_size += written
            self.incr_size += written
            self.buf = [data[written:]]
            self.buf_len = len(data) - written
        else:
            self.buf = [data]
        was_ok = self.last_write_ok
        self.last_write_ok = False
        if was_ok:
            self._status_changed()

    def _bio_result(self, ok: bool, err: int) -> None:
        # from the fsync thread: plain attribute writes; the cron refreshes the gates
        self.bio_ok = ok
        if not ok:
            self.bio_errno = err
            log.warning("Fail to fsync the AOF file: %s", os.strerror(err))

    # ------------------------------------------------------------------ status
    def write_ok(self) -> bool:
        return self.last_write_ok and self.bio_ok

    def disk_error(self) -> RedisError | None:
        """writeCommandsDeniedByDiskError's AOF half: the -MISCONF writes get."""
        if self.state == OFF or self.write_ok():
            return None
        code = self.last_write_errno if not self.last_write_ok else self.bio_errno
        return RedisError("MISCONF Errors writing to the AOF file: %s" % os.strerror(code))

    def _status_changed(self) -> None:
        if self.status_changed is not None:
            self.status_changed()

    def cron(self, now: float) -> None:
        """serverCron's AOF part: reap the rewrite child, start a scheduled or automatic
        rewrite, retry a failed write, owe an everysec fsync."""
        from . import rewrite
        rewrite.cron(self, now)
        if self.state == ON and (self.postponed_start or not self.last_write_ok
                                 or self.config.values["appendfsync"] == "everysec"):
            self.flush(force=False)
            self.release()
        if not self.bio_ok and self.state != OFF and self.fd != -1 and not self.fsyncer.busy():
            self.fsyncer.submit("fsync", self.fd)       # retried: a success clears the error

    def info(self, now: float) -> list:
        """The aof_* fields of INFO persistence, in Redis's order (the rest follow when on)."""
        running = self.child is not None
        if self.recs and self.fd != -1:
            self._encode_pending()
        head = [
            ("aof_enabled", 0 if self.state == OFF else 1),
            ("aof_rewrite_in_progress", 1 if running else 0),
            ("aof_rewrite_scheduled", 1 if self.rewrite_scheduled else 0),
            ("aof_last_rewrite_time_sec", self.last_rewrite_seconds),
            ("aof_current_rewrite_time_sec", int(now - self.child_started) if running else -1),
            ("aof_last_bgrewrite_status", "ok" if self.last_bgrewrite_ok else "err"),
            ("aof_rewrites", self.rewrites),
            ("aof_rewrites_consecutive_failures", self.consecutive_failures),
            ("aof_last_write_status", "ok" if self.write_ok() else "err"),
            ("aof_last_cow_size", 0),
        ]
        tail = []
        if self.state != OFF:
            tail = [
                ("aof_current_size", self.current_size),
                ("aof_base_size", self.base_size),
                ("aof_pending_rewrite", 1 if self.rewrite_scheduled else 0),
                ("aof_buffer_length", self.buf_len),
                ("aof_pending_bio_fsync", self.fsyncer.pending),
                ("aof_delayed_fsync", self.delayed_fsync),
            ]
        return head, tail

    # ------------------------------------------------------------------ loading
    def load(self, replay_client) -> dict:
        """loadAppendOnlyFiles through A1's loader, each command run as Redis's fake AOF client
        runs it: its handler called directly (cmd->proc: no call(), so no command statistics,
        no propagation, replies and errors discarded)."""
        from ...engine.command import resolve
        from .loader import load_aof
        engine = self.engine
        c = replay_client
        table = engine.table
        prop = engine.propagation
        plain: dict = {}               # the name as written -> its command, when no subcommand

        def replay(args: list) -> None:
            cmd = plain.get(args[0])
            if cmd is None:
                if args[0].lower() in ("multi", "exec"):
                    return
                cmd = table.lookup(args[0])
                if cmd is None:
                    raise _aof_error("Unknown command '%s' reading the append only file" % args[0])
                if not cmd.subcommands:
                    plain[args[0]] = cmd
                try:
                    cmd = resolve(cmd, args)
                except RedisError:
                    raise _aof_error("Unknown command '%s' reading the append only file"
                                     % " ".join(args[:2])) from None
            c.last_command = cmd.fullname
            try:
                cmd.handler(c, args)
            except RedisError:
                pass
            except Exception as e:     # a bug: logged, the load goes on as Redis's would
                engine.internal_error(cmd, e)
            c.prop = None
            if prop.pending:
                prop.pending.clear()

        stats = load_aof(self.dirpath, self.filename, replay,
                         load_truncated=self.config.values["aof-load-truncated"] == "yes", log=log)
        self.read_manifest_if_any()    # a truncated file may have been cut
        return stats


class _Tags(dict):
    """``tags[n]`` is "$n" (or "*n"): a lookup instead of a format per argument; lengths
    past the table are formatted (and not kept: the table stays small)."""

    def __init__(self, mark: str, size: int):
        super().__init__((i, "%s%d" % (mark, i)) for i in range(size))
        self.mark = mark

    def __missing__(self, n: int) -> str:
        return "%s%d" % (self.mark, n)


_LEN = _Tags("$", 4096)
_COUNT = _Tags("*", 64)
_C2, _C3, _C4 = _COUNT[2], _COUNT[3], _COUNT[4]


def _encode_ascii(recs: list, db: int) -> tuple[str, int]:
    """The RESP text of the records, taking each argument's length in characters: right when
    the whole text is ASCII (the caller checks). The pieces are joined by CRLF once."""
    parts = []
    ext = parts.extend
    L = _LEN
    for records in recs:
        for rdb, args in records:
            if rdb is not None and rdb != db:
                d = str(rdb)
                ext((_C2, "$6", "SELECT", L[len(d)], d))
                db = rdb
            n = len(args)
            if n == 3:
                a, b, c = args
                ext((_C3, L[len(a)], a, L[len(b)], b, L[len(c)], c))
            elif n == 2:
                a, b = args
                ext((_C2, L[len(a)], a, L[len(b)], b))
            elif n == 4:
                a, b, c, d = args
                ext((_C4, L[len(a)], a, L[len(b)], b, L[len(c)], c, L[len(d)], d))
            else:
                parts.append(_COUNT[n])
                for a in args:
                    ext((L[len(a)], a))
    parts.append("")
    return "\r\n".join(parts), db


def _aof_error(msg: str):
    from .manifest import AofError
    return AofError(msg)


def _write_all(fd: int, data: bytes) -> tuple[int, int]:
    """aofWrite: (bytes written, errno of the failure or 0). (os.write retries on EINTR.)"""
    try:
        done = os.write(fd, data)      # the usual case: all of it at once
    except OSError as e:
        return 0, e.errno or errno.EIO
    if done == len(data):
        return done, 0
    if done == 0:
        return 0, errno.ENOSPC
    view = memoryview(data)
    while done < len(data):
        try:
            n = os.write(fd, view[done:])
        except OSError as e:
            return done, e.errno or errno.EIO
        if n == 0:
            return done, errno.ENOSPC
        done += n
    return done, 0
