"""The network layer: one lean ``asyncio.Protocol`` per connection, and ``NetIO``, the side
of every connection the engine sees (``Clients.io``).

Output: everything for a client - replies, RESP3 pushes, pub/sub messages, MONITOR lines,
the reply of an unblocked command - is queued on its Context's ``out`` in the order it was
produced and leaves in one ``transport.write`` per flush: at the end of the client's own
batch of requests, or once per event-loop turn for output produced by other clients.

Flow control (net/flow_control.py has the limits):
- a client that does not read its replies, in a client class with no output limit (normal
  clients by default): when the transport's buffer passes its high-water mark, we stop
  running its requests and reading its socket until it drains, so it cannot make us buffer
  without bound (requests read but not run wait in order). Redis buffers without limit here;
- in a class with limits, it runs on and is disconnected past them, as Redis does;
- output other clients produce for it (pub/sub, MONITOR) cannot be held back: past
  ``client-output-buffer-limit`` it is disconnected, as Redis does.
"""
from __future__ import annotations

import asyncio
import logging
import socket
from types import MethodType

from .. import speedups
from ..engine.context import OUTPUT_CHECK_BYTES, Context
from ..errors import RedisError
from ..protocol.reader import QueryBufferLimit, RequestReader
from . import busy
from .flow_control import has_limits, over_limit, pending_output

log = logging.getLogger("pickledbd")

MAX_PENDING = 10000    # requests read while blocked or paused; beyond this we stop reading

DENIED = (
    "-DENIED Redis is running in protected mode because protected mode is enabled and no password "
    "is set for the default user. In this mode connections are only accepted from the loopback "
    "interface. If you want to connect from external computers to Redis you may adopt one of the "
    "following solutions: 1) Just disable protected mode sending the command 'CONFIG SET "
    "protected-mode no' from the loopback interface by connecting to Redis from the same host the "
    "server is running, however MAKE SURE Redis is not publicly accessible from internet if you do "
    "so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the "
    "protected mode by editing the Redis configuration file, and setting the protected mode option "
    "to 'no', and then restarting the server. 3) If you started the server manually just for "
    "testing, restart it with the '--protected-mode no' option. 4) Set up an authentication "
    "password for the default user. NOTE: You only need to do one of the above things in order for "
    "the server to start accepting connections from the outside.\r\n").encode()


class Connection(asyncio.Protocol):
    """One client connection: reads requests, hands them to the engine, writes replies."""

    # the attributes the compiled data_received reads, as slots (a load, not a lookup);
    # __dict__ for the others (and the compiled data_received itself)
    __slots__ = ("net", "unix", "ctx", "transport", "reader", "reading_paused", "writing_paused",
                 "__dict__", "__weakref__")

    def __init__(self, net: "NetIO", unix: bool = False):
        self.net = net
        self.unix = unix
        self.ctx: Context | None = None
        self.transport = None
        cfg = net.config.values
        self.reader = RequestReader(max_bulk=cfg["proto-max-bulk-len"],
                                    max_buffer=cfg["client-query-buffer-limit"])
        self.reading_paused = False     # we stopped reading (blocked with a backlog, or output full)
        self.writing_paused = False     # the transport's buffer is over its high-water mark
        if speedups.COMPILED:           # the common read in C; this class's method is the reference
            self.data_received = MethodType(speedups.data_received, self)

    # ---- asyncio.Protocol
    def connection_made(self, transport) -> None:
        if self.ctx is not None:        # adopted by the loop after a busy script (net/busy.py)
            raw, self.transport = self.transport, transport
            if raw.pending:
                transport.write(bytes(raw.pending))
            if raw.closing or self.ctx.closing:
                transport.close()
            return
        self.transport = transport
        net = self.net
        ctx = self.ctx = Context(net.services, net.clients.next_id(), "unix" if self.unix else "tcp")
        peer = transport.get_extra_info("peername")
        sock = transport.get_extra_info("sockname")
        if self.unix:
            ctx.unix = True
            ctx.addr = ctx.laddr = "%s:0" % (sock or "")
        else:
            ctx.addr = _fmt_addr(peer)
            ctx.laddr = _fmt_addr(sock)
        s = transport.get_extra_info("socket")
        if s is not None:
            try:
                ctx.fd = s.fileno()
                if not self.unix:
                    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except (OSError, AttributeError):
                pass
        if len(net.clients) >= net.config.maxclients:
            net.stats.rejected_conn += 1
            transport.write(b"-ERR max number of clients reached\r\n")
            self._refuse()
            return
        if not self.unix and net.protected() and peer and not _is_loopback(peer[0]):
            transport.write(DENIED)
            self._refuse()
            return
        net.conns[ctx.id] = self
        net.clients.add(ctx)
        net.stats.connections += 1

    def _refuse(self) -> None:
        self.ctx.closing = True
        self.transport.close()

    def connection_lost(self, exc) -> None:
        ctx = self.ctx
        ctx.closing = True
        if self.net.conns.pop(ctx.id, None) is not None:
            self.net.clients.forget(ctx)

    def pause_writing(self) -> None:
        self.writing_paused = True

    def resume_writing(self) -> None:
        self.writing_paused = False
        ctx = self.ctx
        if ctx.block is None and not ctx.closing:
            if ctx.pending:
                self.net.loop.call_soon(self.run_pending)
            else:
                self.resume_reading()

    def data_received(self, data: bytes) -> None:
        ctx = self.ctx
        if ctx.closing:
            return
        reader = self.reader
        net = self.net
        ctx.last_interaction = net.clock
        net.stats.net_input += len(data)
        reader.unauth = not ctx.authenticated
        if reader.unauth and ctx.pending:
            reader.stash(data)          # an AUTH waiting to run may lift the limits
            if reader.error is not None and ctx.block is None:
                self.run_pending()
            return
        reqs = reader.feed(data)
        if ctx.block is not None or ctx.pending:
            ctx.pending.extend(reqs)
            if len(ctx.pending) > MAX_PENDING:
                self.pause_reading()   # bound what a blocked client may queue
            if reader.error is not None and ctx.block is None:
                self.run_pending()
            return
        self.run(reqs)
        if reader.more:
            self.read_held()

    def read_held(self) -> None:
        """Before AUTH the reader stops at a request past Redis's limits for unauthenticated
        clients until the ones before it ran (Redis parses each request after running the
        one before: an AUTH among them lifts the limits)."""
        ctx, reader = self.ctx, self.reader
        while reader.more and not ctx.closing and ctx.block is None and not ctx.pending:
            reader.unauth = not ctx.authenticated
            self.run(reader.feed(b""))

    # ---- running requests
    def run(self, reqs: list) -> None:
        """Run ``reqs`` through the engine, flushing as output accumulates. Stops when the
        client blocks or closes; and when it stops reading its replies, unless its client
        class has output limits (then, as in Redis, it runs on until it passes them)."""
        ctx = self.ctx
        done = 0
        if reqs:
            done = self.net.engine.run_batch(ctx, reqs)
            self.flush()
            if done >= len(reqs) and not ctx.closing and self.reader.error is None:
                return          # all ran: what run_rest would find (the usual end)
        self.run_rest(reqs, done)

    def run_rest(self, reqs: list, done: int) -> None:
        """``run`` after a batch that ran the first ``done`` of ``reqs`` and its flush
        (the compiled data_received runs the first batch itself)."""
        ctx = self.ctx
        while done < len(reqs) and not ctx.closing:
            reqs = reqs[done:]
            held = self.writing_paused and not has_limits(ctx, self.net.config)
            if ctx.out and ctx.block is None:
                # the replies wait for the turn's AOF write (flush held them): run the rest
                # after it (aof_written), or a client that never reads grows them unbounded
                ctx.pending[:0] = reqs
                self.pause_reading()
                break
            if ctx.block is not None or held:
                ctx.pending[:0] = reqs
                if held:
                    self.pause_reading()
                break
            done = self.net.engine.run_batch(ctx, reqs)
            self.flush()
        if ctx.closing:
            self.transport.close()
        elif self.reader.error is not None and ctx.block is None and not ctx.pending:
            self.protocol_error()

    def aof_written(self) -> None:
        """The turn's AOF write (and fsync) is done: the held replies leave, and requests
        held back behind them run on."""
        self.flush()
        ctx = self.ctx
        if ctx.pending and ctx.block is None and not ctx.closing:
            self.net.loop.call_soon(self.run_pending)

    def run_pending(self) -> None:
        """After an unblock or a drained output buffer: run what arrived meanwhile, then read on."""
        ctx = self.ctx
        if ctx.closing or ctx.block is not None or self.writing_paused:
            return
        reqs, ctx.pending = ctx.pending, []
        self.run(reqs)
        if self.reader.more:
            self.read_held()
        if ctx.block is None and not ctx.closing and not ctx.pending:
            if self.reader.error is not None:
                self.protocol_error()
            else:
                self.resume_reading()

    def protocol_error(self) -> None:
        """Redis replies the error (its byte as received) and closes after writing; past
        client-query-buffer-limit it logs and closes at once, without a reply."""
        err, ctx = self.reader.error, self.ctx
        if isinstance(err, QueryBufferLimit):
            log.warning("Closing client that reached max query buffer length: id=%d addr=%s",
                        ctx.id, ctx.addr)
            self.net.stats.qbuf_disconnects += 1
            ctx.closing = True
            ctx.out.clear()
            ctx.out_bytes = 0
            self.transport.abort()
            return
        msg = "ERR Protocol error: %s" % err
        self.net.stats.error_reply(RedisError(msg))       # counted as Redis counts it
        ctx.out.append(b"-%s\r\n" % msg.encode("latin-1"))
        self.flush()
        self.close()

    # ---- output
    def flush(self) -> None:
        """The one flush point: write everything queued for this client in one write."""
        ctx = self.ctx
        out = ctx.out
        if out:
            aof = self.net.aof_gate
            if aof is not None and aof.holding():
                # nothing leaves before the turn's AOF write (and fsync, under always)
                if not ctx.closing and self.net.engine.busy_error is None:
                    aof.hold(self)
                    return
                # closing (the transport would drop what came later), or a busy script holds
                # the loop (no turn ends until it does): write (and fsync) now
                aof.sync_now()
                if not out:         # written by the release of the held clients
                    return
            data = out[0] if len(out) == 1 else b"".join(out)
            out.clear()
            ctx.out_bytes = 0
            self.transport.write(data)
            self.net.stats.net_output += len(data)
            if self.writing_paused:
                self.check_output_limit()

    def check_output_limit(self) -> None:
        """After a write that left the transport's buffer past its high-water mark."""
        net = self.net
        if over_limit(self.ctx, self.transport, net.config, net.clock):
            net.drop(self, "overcoming of output buffer limits")

    def pause_reading(self) -> None:
        if not self.reading_paused:
            self.reading_paused = True
            self.transport.pause_reading()

    def resume_reading(self) -> None:
        if self.reading_paused:
            self.reading_paused = False
            self.transport.resume_reading()

    def close(self) -> None:
        """Close after the replies already queued are written (QUIT, errors, CLIENT KILL)."""
        self.ctx.closing = True
        if self.ctx.out and self.net.aof_gate is not None:
            self.flush()            # held for the AOF fsync: written (after it) before closing
        if self.transport is not None:
            self.transport.close()


class NetIO:
    """Every connection of one server, and the ``Clients.io`` interface over them."""

    __slots__ = ("clock", "stats", "engine", "aof_gate", "__dict__", "__weakref__")  # read by _speedups.c

    def __init__(self, services, loop):
        self.services = services
        self.config = services.config
        self.clients = services.clients
        self.stats = services.stats
        self.engine = services.engine
        self.loop = loop
        self.conns: dict[int, Connection] = {}
        self.to_flush: dict = {}        # ctx id -> Connection with output from other clients
        self.flush_scheduled = False
        self.clock = 0.0                # unix time, refreshed by the cron: idle tracking
        self.protected = lambda: False  # set by the server (protected mode)
        self.listening: list = []       # (socket, unix) to accept on while a script holds the loop
        self.aof_gate = None            # the AOF writer when on (flush waits for its write)

    def config_changed(self) -> None:
        """After CONFIG SET: limits that apply to every connection from now on."""
        cfg = self.config.values
        for conn in self.conns.values():
            conn.reader.max_bulk = cfg["proto-max-bulk-len"]
            conn.reader.max_buffer = cfg["client-query-buffer-limit"]

    def protocol(self, unix: bool = False) -> Connection:
        return Connection(self, unix)

    # ---- Clients.io
    def schedule_flush(self, ctx) -> None:
        conn = self.conns.get(ctx.id)
        if conn is None:
            ctx.out.clear()
            ctx.out_bytes = 0
            return
        # the limits are checked once 16 KB or more are pending (Redis's reply-block size)
        if (ctx.out_bytes + conn.transport.get_write_buffer_size() >= OUTPUT_CHECK_BYTES
                and over_limit(ctx, conn.transport, self.config, self.clock)):
            self.drop(conn, "overcoming of output buffer limits")
            return
        self.to_flush[ctx.id] = conn
        if not self.flush_scheduled:
            self.flush_scheduled = True
            self.loop.call_soon(self.flush_all)

    def flush_all(self) -> None:
        self.flush_scheduled = False
        conns, self.to_flush = self.to_flush, {}
        for conn in conns.values():
            if not conn.ctx.closing or conn.ctx.out:
                conn.flush()

    def close(self, ctx) -> None:
        conn = self.conns.get(ctx.id)
        if conn is not None:
            conn.flush()
            conn.close()

    def resume(self, ctx) -> None:
        conn = self.conns.get(ctx.id)
        if conn is not None:
            self.loop.call_soon(conn.run_pending)

    def serve_while_busy(self, skip) -> None:
        """A script holds the loop past busy-reply-threshold: serve the others (net/busy.py);
        ``skip`` is the script's caller, in the middle of its own batch."""
        busy.serve(self, skip)

    def busy_over(self) -> None:
        busy.adopt(self)

    def output_pending(self, ctx) -> int:
        conn = self.conns.get(ctx.id)
        return pending_output(ctx, conn.transport if conn is not None else None)

    def query_buffered(self, ctx) -> int:
        conn = self.conns.get(ctx.id)
        return conn.reader.buffered() if conn is not None else 0

    def drop(self, conn: Connection, why: str) -> None:
        """Close at once, discarding queued output (freeClientAsync)."""
        ctx = conn.ctx
        if ctx.closing and conn.transport.is_closing():
            return
        log.warning("Client id=%d addr=%s closed for %s.", ctx.id, ctx.addr, why)
        self.stats.obuf_disconnects += 1
        ctx.closing = True
        ctx.out.clear()
        ctx.out_bytes = 0
        conn.transport.abort()


def _fmt_addr(a) -> str:
    if not a:
        return ""
    if isinstance(a, tuple):
        return "%s:%d" % (a[0], a[1])
    return str(a)


def _is_loopback(host: str) -> bool:
    return host.startswith("127.") or host in ("::1", "localhost") or host.startswith("::ffff:127.")
