"""Replication, master side (Redis's replication.c): SYNC / PSYNC full resynchronisation,
then the propagation records of every write as a RESP command stream.

The contract the rest of the daemon relies on (server.py wires it):

- ``feed(records)``: a propagation feed (engine/propagation.py), registered while replicas exist;
- ``forget(ctx)``: a client disconnected (a replica or not);
- ``cron(now)``: called by the server's cron (hz times a second): pings, lag, timeouts;
- ``info()``: the fields of INFO replication, as (name, value) pairs.

A replica goes through three states, as in Redis: ``wait_bgsave`` (its snapshot is being
made), ``send_bulk`` (the RDB payload is being sent) and ``online`` (it gets the stream as it
is produced). Every resync is a full one: there is no backlog, so PSYNC always answers
``+FULLRESYNC``. One stream is produced for all replicas (one SELECT state, one offset:
``master_repl_offset`` counts its bytes); what a replica cannot take yet is buffered for it.

The snapshot is consistent with the stream: it is taken at the moment of SYNC, and every write
after it goes to the stream. A small dataset is encoded right away in the event loop; a
bigger one by a forked child (as BGSAVE), so a replica attaching does not freeze the other
clients: the child writes the RDB to an unlinked temporary file while the parent keeps serving
and buffers the stream for the replica. Replicas that SYNC while a child is at work share it.
The payload always carries its CRC64 (the replica checks it): inline it costs ~1.5 ms per
100 KB, in the child nothing to the parent.

The payload is not held to the output buffer limits (Redis sends the RDB file outside the
output buffer): it is written in chunks, a few MB in flight at most, as the replica reads.
The stream buffered meanwhile is, as in Redis: past the replica class of
``client-output-buffer-limit`` the replica is disconnected. Online, the stream goes out with
``Context.write``, where the network layer enforces the same limits.
"""
from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import sys
import tempfile
import time

from hiredis import pack_command as _pack

from .engine.clients import obuf_limit_reached
from .errors import NOT_INT, RedisError
from .persistence.rdb import encode_rdb
from .persistence.snapshot import reap

log = logging.getLogger("pickledbd")

WAIT_BGSAVE, SEND_BULK, ONLINE = "wait_bgsave", "send_bulk", "online"
INLINE_MAX_WEIGHT = 10_000   # keys + collection items + string bytes / 128 encoded in the loop, ~20 ms
IN_FLIGHT = 4 << 20          # payload bytes queued and unsent before the pump waits for the replica
MIN_IN_FLIGHT = 64 << 10
REPL_TIMEOUT = 60            # Redis's repl-timeout default: a silent PSYNC replica is dropped
PING = b"*1\r\n$4\r\nping\r\n"   # what replicationCron sends (shared.ping is lower case)
KNOWN_CAPA = ("eof", "psync2")
_SELECT = {}


def encode_command(args) -> bytes:
    """A propagated command as a RESP array of bulk strings."""
    try:
        return _pack(tuple(args))        # C, 3x faster; not for lone surrogates (binary data)
    except (UnicodeEncodeError, TypeError):
        pass
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if a.__class__ is str:
            a = a.encode("utf-8", "surrogateescape")
        elif not isinstance(a, (bytes, bytearray)):
            a = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def select_command(db: int) -> bytes:
    cmd = _SELECT.get(db)
    if cmd is None:
        cmd = _SELECT[db] = encode_command(["SELECT", str(db)])
    return cmd


def _max_fd() -> int:
    try:
        return os.sysconf("SC_OPEN_MAX")
    except (ValueError, OSError):
        return 1 << 16


class Replica:
    """One replica connection and where it is in its synchronisation."""

    __slots__ = ("ctx", "state", "psync", "rdb_only", "port", "ip", "capa", "ack_offset", "ack_time",
                 "child", "payload", "size", "sent", "pending", "pending_bytes", "soft_since",
                 "last_newline")

    def __init__(self, ctx, psync: bool, opts: dict):
        self.ctx = ctx
        self.state = WAIT_BGSAVE
        self.psync = psync
        self.rdb_only = opts.get("rdb-only", False)
        self.port = opts.get("listening-port", 0)
        self.ip = opts.get("ip-address")
        self.capa = opts.get("capa", set())
        self.ack_offset = 0
        self.ack_time = time.time()
        self.child = None            # the SnapshotChild whose file is the payload
        self.payload = None          # or the payload itself (encoded in the loop)
        self.size = self.sent = 0
        self.pending: list = []      # stream produced while the payload is being sent
        self.pending_bytes = 0
        self.soft_since = 0.0
        self.last_newline = 0.0

    def name(self) -> str:
        """replicationGetSlaveName: ip:listening-port."""
        return "%s:%s" % (self.address(), self.port or "<unknown-replica-port>")

    def address(self) -> str:
        if self.ip:
            return self.ip
        addr = self.ctx.addr
        return addr.rsplit(":", 1)[0] if ":" in addr else addr


class SnapshotChild:
    """A forked child writing the RDB to an unlinked temporary file; the stream produced since
    the fork, for the replicas waiting on it."""

    __slots__ = ("pid", "file", "offset", "stream", "stream_bytes", "waiting", "readers", "size",
                 "started")

    def __init__(self, pid: int, file, offset: int):
        self.pid = pid
        self.file = file
        self.offset = offset
        self.stream: list = []
        self.stream_bytes = 0
        self.waiting: list = []
        self.readers = 0             # replicas sending the finished file
        self.size = 0
        self.started = time.time()

    def release(self) -> None:
        self.readers -= 1
        if self.readers <= 0 and self.pid is None:
            self.file.close()


class Replication:
    def __init__(self, ks, config, clients, engine, lifecycle, persistence):
        self.ks = ks
        self.config = config
        self.clients = clients
        self.engine = engine
        self.lifecycle = lifecycle
        self.persistence = persistence
        self.replid = os.urandom(20).hex()
        self.offset = 0              # master_repl_offset: bytes of stream produced
        self.seldb = -1              # the db the stream is in (-1: the next command SELECTs)
        self.replicas: list = []
        self.streaming = 0           # replicas that take the stream (not rdb-only)
        self.handshake: dict = {}    # ctx id -> REPLCONF options sent before SYNC
        self.child: SnapshotChild | None = None
        self.last_ping = 0.0
        self.loop = None
        self.timer = None
        self.delay = 0.001
        self.full_syncs = 0          # INFO stats sync_full

    # ------------------------------------------------------------------ the stream
    def feed(self, records: list) -> None:
        """One execution unit's records: SELECT when the db changes, then each command."""
        if len(records) == 1:
            db, args = records[0]
            if db is None or db == self.seldb:
                self._emit(encode_command(args))
                return
        parts = []
        for db, args in records:
            if db is not None and db != self.seldb:
                parts.append(select_command(db))
                self.seldb = db
            parts.append(encode_command(args))
        self._emit(b"".join(parts))

    def _emit(self, data: bytes) -> None:
        n = len(data)
        self.offset += n
        child = self.child
        if child is not None:
            child.stream.append(data)
            child.stream_bytes += n
        syncing = False
        for r in self.replicas:
            if r.rdb_only:
                continue
            if r.state == ONLINE:
                r.ctx.write(data)
                continue
            if r.state == SEND_BULK:
                r.pending.append(data)
                r.pending_bytes += n
            syncing = True
        if syncing:
            now = time.time()
            for r in [r for r in self.replicas if r.state != ONLINE and not r.rdb_only]:
                if self._over_limit(r, now, soft_ok=False):
                    self._over_limit_drop(r)

    # ------------------------------------------------------------------ SYNC / PSYNC
    def sync(self, c, psync: bool, offset_ok: bool = True, failover: bool = False) -> bytes:
        """SYNC / PSYNC for ``c`` (syncCommand): it becomes a replica, gets ``+FULLRESYNC``
        (PSYNC), the RDB payload, then the stream. Returns the reply: nothing, everything is
        written here, in order. ``offset_ok``: PSYNC's offset is an integer; ``failover``:
        ``PSYNC <replid> <offset> FAILOVER`` (for a replica, which we never are)."""
        if c.kind == "replica":
            return b""               # already a replica: ignored, as Redis does
        if failover:
            raise RedisError("ERR PSYNC FAILOVER can't be sent to a master.")
        if self.clients.io.output_pending(c):
            raise RedisError("ERR SYNC and PSYNC are invalid with pending output")
        r = Replica(c, psync, self.handshake.get(c.id, {}))
        log.info("Replica %s asks for synchronization", r.name())
        if not offset_ok:
            log.warning("Replica %s asks for synchronization but with a wrong offset", r.name())
            raise NOT_INT
        self.handshake.pop(c.id, None)
        c.kind = "replica"
        self.replicas.append(r)
        if not r.rdb_only:
            self.streaming += 1
            if self.streaming == 1:
                self.engine.propagation.add_feed(self.feed)
                self.last_ping = time.time()
        self.full_syncs += 1
        self.seldb = -1              # the first command after the snapshot SELECTs its db
        try:
            self.loop = asyncio.get_running_loop()
        except RuntimeError:
            self.loop = None         # in-process server: no loop, no child, no pacing
        if self.child is not None:
            self._join_child(r)
        elif self.loop is None or self._small() or not hasattr(os, "fork"):
            self._send_inline(r)
        else:
            self._start_child(r)
        return b""

    def _fullresync(self, r, offset: int) -> None:
        if r.psync:
            r.ctx.write(b"+FULLRESYNC %s %d\r\n" % (self.replid.encode(), offset))

    def _small(self) -> bool:
        """Whether the dataset encodes in a few ms (then the loop does it, no fork)."""
        budget = INLINE_MAX_WEIGHT
        for db in self.ks.dbs:
            budget -= len(db.data)
            if budget < 0:
                return False
        for db in self.ks.dbs:
            for v in db.data.values():
                if v.__class__ is str:
                    budget -= len(v) >> 7     # the CRC: ~2 us per 128 bytes
                elif hasattr(v, "__len__"):
                    budget -= len(v)
                if budget < 0:
                    return False
        return True

    def _snapshot(self, offset: int) -> bytes:
        dbs = self.ks.dbs
        return encode_rdb({db.index: db.data for db in dbs if db.data},
                          {db.index: db.expires for db in dbs if db.expires},
                          aux={"repl-stream-db": "0", "repl-id": self.replid, "repl-offset": str(offset)},
                          checksum=True)

    def _send_inline(self, r) -> None:
        self._fullresync(r, self.offset)
        try:
            payload = self._snapshot(self.offset)
        except (ValueError, TypeError) as e:
            log.warning("Cannot encode the dataset for replica %s: %s", r.name(), e)
            self._close(r)
            return
        self._begin_bulk(r, payload=payload)

    def _start_child(self, r) -> None:
        """Fork a child that encodes the dataset as it is now (BGSAVE for replication)."""
        offset = self.offset
        try:
            data_dir = os.path.abspath(os.path.expanduser(self.config.values["dir"]))
            try:
                f = tempfile.TemporaryFile(prefix="temp-repl-", dir=data_dir)
            except OSError:
                f = tempfile.TemporaryFile(prefix="temp-repl-")
            for h in log.handlers:
                h.flush()
            sys.stdout.flush()
            sys.stderr.flush()
            t_fork = time.perf_counter()
            pid = os.fork()
        except OSError as e:
            log.warning("Can't fork for replication (%s): encoding in the event loop", e)
            self._send_inline(r)
            return
        if pid == 0:                  # the child: write and leave, touching nothing of the loop
            code = 1
            try:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                gc.disable()          # fewer pages copied on write, and faster
                fd = f.fileno()
                # the listening and client sockets are the parent's: a port must not stay
                # bound, nor a closed client open, because this child still runs
                os.closerange(3, fd)
                os.closerange(fd + 1, _max_fd())
                view = memoryview(self._snapshot(offset))
                while view:
                    view = view[os.write(fd, view):]
                code = 0
            except BaseException as e:
                try:
                    sys.stderr.write("pickledbd replication snapshot failed: %s\n" % e)
                except Exception:
                    pass
            finally:
                os._exit(code)
        log.info("Starting BGSAVE for SYNC with target: disk (child pid %d, fork %.1f ms)",
                 pid, (time.perf_counter() - t_fork) * 1000)
        self.child = SnapshotChild(pid, f, offset)
        self._join_child(r)

    def _join_child(self, r) -> None:
        child = self.child
        self._fullresync(r, child.offset)
        r.child = child
        child.waiting.append(r)
        r.last_newline = time.time()
        self._schedule()

    def _check_child(self) -> None:
        """Reap the snapshot child; its replicas start receiving the payload."""
        child = self.child
        end = reap(child.pid)
        if end is None:
            return
        self.child = None
        child.pid = None
        if not end[0]:
            log.warning("SYNC failed. BGSAVE child returned an error")
            child.file.close()
            waiting, child.waiting = child.waiting, []
            for r in waiting:
                self._close(r)
            return
        child.size = os.fstat(child.file.fileno()).st_size
        log.info("Background RDB transfer terminated with success (%d bytes, %.3f s)",
                 child.size, time.time() - child.started)
        waiting, child.waiting = child.waiting, []
        child.readers = len(waiting)
        for r in waiting:
            r.pending = list(child.stream)
            r.pending_bytes = child.stream_bytes
            self._begin_bulk(r, child=child)
        if not waiting:
            child.file.close()
        child.stream = []

    def _kill_child(self) -> None:
        child, self.child = self.child, None
        try:
            os.kill(child.pid, signal.SIGKILL)
            os.waitpid(child.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        child.pid = None
        child.file.close()

    # ------------------------------------------------------------------ the payload
    def _begin_bulk(self, r, payload: bytes | None = None, child: SnapshotChild | None = None) -> None:
        r.state = SEND_BULK
        r.child, r.payload = child, payload
        r.size = len(payload) if payload is not None else child.size
        r.sent = 0
        r.ctx.write(b"$%d\r\n" % r.size)
        self._pump(r)
        if r.state == SEND_BULK:
            self._schedule()

    def _in_flight(self) -> int:
        """Payload bytes allowed queued and unsent: well below the replica limits, so the
        network layer never counts the payload as a replica that does not read."""
        hard, soft, _ = self.config.obuf_limits("replica")
        cap = IN_FLIGHT
        for lim in (hard, soft):
            if lim:
                cap = min(cap, lim // 4)
        return max(cap, MIN_IN_FLIGHT)

    def _pump(self, r) -> None:
        """Write the next payload chunks while the replica keeps up; online at the end."""
        ctx = self.clients.io
        c = r.ctx
        cap = self._in_flight() if self.loop is not None else 1 << 62
        chunk = max(cap // 2, 1)
        while r.sent < r.size:
            if c.closing:
                return
            if ctx.output_pending(c) >= cap:
                return
            n = min(chunk, r.size - r.sent)
            if r.payload is not None:
                data = r.payload[r.sent:r.sent + n] if (r.sent or n < r.size) else r.payload
            else:
                data = os.pread(r.child.file.fileno(), n, r.sent)
                if not data:
                    log.warning("Replication snapshot file truncated for replica %s", r.name())
                    self._close(r)
                    return
            c.write(data)
            r.sent += len(data)
        self._online(r)

    def _online(self, r) -> None:
        """The payload is out: the stream buffered meanwhile follows, then the live stream."""
        if r.child is not None:
            r.child.release()
        r.child = r.payload = None
        r.state = ONLINE
        r.ack_time = time.time()
        if r.pending and not r.rdb_only:
            r.ctx.write(b"".join(r.pending))
        r.pending = []
        r.pending_bytes = 0
        log.info("Synchronization with replica %s succeeded", r.name())

    def _schedule(self) -> None:
        if self.timer is None and self.loop is not None:
            self.timer = self.loop.call_later(self.delay, self._tick)

    def _tick(self) -> None:
        """Paced work while some replica is not online: reap the child, send payload."""
        self.timer = None
        if self.child is not None:
            self._check_child()
        progress = False
        busy = self.child is not None
        for r in [r for r in self.replicas if r.state == SEND_BULK]:
            before = r.sent
            self._pump(r)
            progress = progress or r.sent != before
            busy = busy or r.state == SEND_BULK
        if busy:
            self.delay = 0.001 if progress else min(self.delay * 2, 0.05)
            self._schedule()
        else:
            self.delay = 0.001

    # ------------------------------------------------------------------ limits
    def _buffered(self, r) -> int:
        if r.state == WAIT_BGSAVE:
            return r.child.stream_bytes if r.child is not None else 0
        return r.pending_bytes

    def _over_limit(self, r, now: float, soft_ok: bool = True) -> bool:
        """checkClientOutputBufferLimits for a replica that is not online yet: the stream
        buffered for it plus what it has not read. The soft limit is decided in the cron
        only, whose clock is the network layer's."""
        limits = self.config.obuf_limits("replica")
        if not limits[0] and not limits[1]:
            return False
        used = self._buffered(r) + self.clients.io.output_pending(r.ctx)
        reached, r.soft_since = obuf_limit_reached(used, limits, r.soft_since, now)
        if reached and not soft_ok and not (limits[0] and used >= limits[0]):
            return False          # the soft limit is decided in the cron only
        return reached

    def _over_limit_drop(self, r) -> None:
        """A replica past its limits before it is online: its buffered stream is handed to
        the network layer, whose own limit check (the same numbers) disconnects it at once,
        discarding what is queued, as for an online replica."""
        c = r.ctx
        backlog = b"".join(r.child.stream if r.state == WAIT_BGSAVE and r.child is not None else r.pending)
        self._remove(r)
        c.obuf_soft_since = r.soft_since
        c.write(backlog)
        if not c.closing:             # no network layer (in-process): close it ourselves
            log.warning("Client id=%d addr=%s closed for overcoming of output buffer limits.", c.id, c.addr)
            c.stats.obuf_disconnects += 1
            c.close()

    def _close(self, r) -> None:
        self._remove(r)
        r.ctx.close()

    # ------------------------------------------------------------------ REPLCONF
    def set_option(self, c, name: str, value) -> None:
        """REPLCONF listening-port / ip-address / capa / rdb-only, before or after SYNC."""
        if name == "capa" and value not in KNOWN_CAPA:
            return                    # ignored, as Redis does (and not kept: no memory to grow)
        r = self._replica(c)
        if r is None:
            opts = self.handshake.setdefault(c.id, {})
            if name == "capa":
                opts.setdefault("capa", set()).add(value)
            else:
                opts[name] = value
        elif name == "listening-port":
            r.port = value
        elif name == "ip-address":
            r.ip = value
        elif name == "capa":
            r.capa.add(value)

    def ack(self, c, offset: int) -> None:
        """REPLCONF ACK <offset>: what the replica processed (no reply)."""
        r = self._replica(c)
        if r is None:
            return
        if offset > r.ack_offset:
            r.ack_offset = offset
        r.ack_time = time.time()

    def _replica(self, c):
        if c.kind != "replica":
            return None
        for r in self.replicas:
            if r.ctx is c:
                return r
        return None

    # ------------------------------------------------------------------ the contract
    def forget(self, ctx) -> None:
        self.handshake.pop(ctx.id, None)
        if ctx.kind == "replica":
            r = self._replica(ctx)
            if r is not None:
                log.info("Connection with replica %s lost.", r.name())
                self._remove(r)

    def _remove(self, r) -> None:
        if r not in self.replicas:
            return
        self.replicas.remove(r)
        child = r.child
        if r.state == WAIT_BGSAVE and child is not None:
            if r in child.waiting:
                child.waiting.remove(r)
            if not child.waiting and self.child is child:
                self._kill_child()    # nobody waits for it any more
        elif child is not None:
            child.release()
        r.child = r.payload = None
        r.pending = []
        if not r.rdb_only:
            self.streaming -= 1
            if self.streaming == 0:
                self.engine.propagation.remove_feed(self.feed)

    def cron(self, now: float) -> None:
        if not self.replicas:
            return
        if self.streaming and now - self.last_ping >= self.config.values["repl-ping-replica-period"]:
            self.last_ping = now
            self._emit(PING)         # in the stream (counted in the offset), no SELECT
        for r in list(self.replicas):
            if r.state == WAIT_BGSAVE:
                if now - r.last_newline >= 1:
                    r.last_newline = now
                    r.ctx.write(b"\n")   # keepalive before the payload (not in the stream)
            elif (r.state == ONLINE and r.psync and not r.rdb_only
                  and now - r.ack_time > REPL_TIMEOUT):
                log.warning("Disconnecting timedout replica (streaming sync): %s", r.name())
                self._close(r)
                continue
            if r.state != ONLINE and self._over_limit(r, now):
                self._over_limit_drop(r)
        if self.child is not None or any(r.state == SEND_BULK for r in self.replicas):
            self._schedule()

    # ------------------------------------------------------------------ INFO / ROLE
    def info(self) -> list:
        now = time.time()
        fields = [("role", "master"), ("connected_slaves", len(self.replicas))]
        for i, r in enumerate(self.replicas):
            lag = int(now - r.ack_time) if r.state == ONLINE else 0
            fields.append(("slave%d" % i, "ip=%s,port=%d,state=%s,offset=%d,lag=%d"
                           % (r.address(), r.port, r.state, r.ack_offset, lag)))
        fields += [
            ("master_failover_state", "no-failover"),
            ("master_replid", self.replid),
            ("master_replid2", "0" * 40),
            ("master_repl_offset", self.offset),
            ("second_repl_offset", -1),
            ("repl_backlog_active", 0),
            ("repl_backlog_size", 1048576),
            ("repl_backlog_first_byte_offset", 0),
            ("repl_backlog_histlen", 0),
        ]
        return fields

    def role(self) -> list:
        """ROLE: master, offset, and [ip, port, acked offset] of each online replica."""
        return ["master", self.offset,
                [[r.address(), str(r.port), str(r.ack_offset)] for r in self.replicas if r.state == ONLINE]]
