"""Serving clients while a script holds the event loop (Redis's processEventsWhileBlocked).

A script past ``busy-reply-threshold`` calls ``NetIO.serve_while_busy`` from its count hook.
The event loop is not running then, so this module reads the clients' sockets itself, runs
what they sent (the engine answers -BUSY to all but the allow-busy commands: SCRIPT KILL,
FUNCTION KILL, SHUTDOWN NOSAVE, ...), and accepts new connections on the listening
sockets. A connection accepted here talks through a ``RawTransport`` (plain non-blocking
socket I/O) until the loop is free again and adopts the socket (``adopt``).
"""
from __future__ import annotations

import os
import select
import socket

ACCEPT_MAX = 64          # new connections accepted per poll


class RawTransport:
    """The transport of a connection accepted while the loop is held: writes go straight to
    the socket, what it cannot take waits in ``pending`` for the loop's transport."""

    def __init__(self, sock: socket.socket, unix: bool):
        self.sock = sock
        self.pending = bytearray()
        self.closing = False
        peer = sock.getpeername() if not unix else ""
        self.extra = {"peername": peer, "sockname": sock.getsockname(), "socket": sock}

    def get_extra_info(self, name, default=None):
        return self.extra.get(name, default)

    def write(self, data: bytes) -> None:
        if self.closing:
            return
        self.pending += data
        self.send_some()

    def send_some(self) -> None:
        while self.pending and not self.closing:
            try:
                n = self.sock.send(self.pending)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                self.abort()
                return
            del self.pending[:n]

    def get_write_buffer_size(self) -> int:
        return len(self.pending)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def abort(self) -> None:
        self.closing = True
        self.pending.clear()


def listening_sockets(servers) -> list:
    """(socket, unix) for every listening socket of the asyncio servers (dup'ed: ours to
    accept on while the loop is held)."""
    out = []
    for srv in servers:
        for s in srv.sockets:
            dup = socket.socket(fileno=os.dup(s.fileno()))
            dup.setblocking(False)
            out.append((dup, dup.family == socket.AF_UNIX))
    return out


def accept_new(net) -> None:
    for lsock, unix in net.listening:
        for _ in range(ACCEPT_MAX):
            try:
                sock, _ = lsock.accept()
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                break
            sock.setblocking(False)
            conn = net.protocol(unix=unix)
            conn.connection_made(RawTransport(sock, unix))
            if conn.ctx.closing:       # refused (maxclients, protected mode): reply sent, close
                _close_raw(conn)


def serve(net, skip) -> None:
    """One pass: accept, read and run what clients sent, write what is queued."""
    if net.listening:
        accept_new(net)
    ready = {}
    poller = select.poll()
    for conn in list(net.conns.values()):
        ctx = conn.ctx
        if ctx is skip or ctx.closing or ctx.block is not None or ctx.pending or conn.reading_paused:
            continue
        if ctx.fd >= 0:
            poller.register(ctx.fd, select.POLLIN)
            ready[ctx.fd] = conn
    for fd, _ in poller.poll(0) if ready else ():
        conn = ready[fd]
        try:
            data = os.read(fd, 1 << 16)
        except (BlockingIOError, InterruptedError):
            continue
        except OSError:
            data = b""
        if data:
            conn.data_received(data)
        elif isinstance(conn.transport, RawTransport):
            _close_raw(conn)
        # a loop transport at EOF: the loop sees the closed socket once the script is over
    net.flush_all()
    for conn in list(net.conns.values()):
        if isinstance(conn.transport, RawTransport):
            conn.transport.send_some()


def _close_raw(conn) -> None:
    conn.transport.sock.close()
    conn.connection_lost(None)


def adopt(net) -> None:
    """The loop is free again: hand the connections accepted meanwhile to it."""
    for conn in list(net.conns.values()):
        t = conn.transport
        if isinstance(t, RawTransport):
            if t.closing and not t.pending:
                _close_raw(conn)
            else:
                net.loop.create_task(_adopt(net, conn, t))


async def _adopt(net, conn, raw: RawTransport) -> None:
    try:
        await net.loop.connect_accepted_socket(lambda: conn, raw.sock)
    except OSError:
        conn.connection_lost(None)
