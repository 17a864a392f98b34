"""The daemon: one lean ``asyncio.Protocol`` per connection, the dispatcher, blocked
clients, background jobs (expiry, save rules, BGSAVE children) and signals.

Hot path (``Client.data_received`` -> ``Server.execute``): hiredis parses every request
in the chunk, each runs to completion, and all replies leave in one ``transport.write``.
"""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys
import time
from collections import deque
from time import perf_counter_ns

from . import __version__
from .blocking import BlockOn
from .commands import load_all
from .commands.registry import COMMANDS, lookup, resolve
from .keyspace import Keyspace
from .resp import NULL_ARRAY, RedisError, RequestReader, encode2, encode3
from .storage import open_storage

log = logging.getLogger("pickledbd")

REDIS_VERSION = "7.2.4"   # what INFO/HELLO advertise: the Redis we are compatible with

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

_SUBSCRIBED_OK = frozenset(("subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe",
                            "sunsubscribe", "ping", "quit", "reset"))
_NOT_MONITORED = frozenset(("admin", "skip_monitor"))
_MULTI_RUN_NOW = frozenset(("exec", "discard", "multi", "watch", "quit", "reset"))


def unknown_command_error(args: list) -> RedisError:
    preview = ""
    for a in args[1:]:
        if len(preview) >= 128:
            break
        preview += "'%s' " % a[:128 - len(preview)]
    msg = "ERR unknown command '%s', with args beginning with: %s" % (args[0][:128], preview)
    return RedisError(msg.replace("\r", " ").replace("\n", " "))


def arity_error(cmd) -> RedisError:
    return RedisError("ERR wrong number of arguments for '%s' command" % cmd.fullname)


class Client(asyncio.Protocol):
    """One connection and its state (db, protocol, auth, MULTI, subscriptions, blocking)."""

    def __init__(self, server: "Server", unix: bool = False):
        self.server = server
        self.ks = server.keyspace
        self.db = self.ks.dbs[0]
        self.reader = RequestReader()
        self.encode = encode2
        self.resp = 2
        self.transport = None
        self.id = server.next_client_id()
        self.name = ""
        self.lib_name = ""
        self.lib_ver = ""
        self.unix = unix
        self.addr = self.laddr = ""
        self.created = self.last_interaction = time.time()
        self.last_command = "NULL"
        self.authenticated = not server.config.requirepass
        self.multi: list | None = None       # queued (cmd, args) while in MULTI
        self.multi_error = False
        self.in_exec = False                  # running EXEC's queue: nothing may block
        self.watching: set = set()
        self.watch_dirty = False
        self.subscriptions: set = set()
        self.psubscriptions: set = set()
        self.block: BlockOn | None = None
        self.block_args: list | None = None
        self.block_timer = None
        self.pending: deque = deque()         # requests read while blocked
        self.paused = False
        self.closing = False
        self.monitor = False
        self.no_evict = self.no_touch = False
        self.special = not self.authenticated  # take the slow path in execute()

    def update_special(self) -> None:
        self.special = (not self.authenticated or self.multi is not None
                        or (self.resp == 2 and bool(self.subscriptions or self.psubscriptions)))

    def set_protocol(self, resp: int) -> None:
        self.resp = resp
        self.encode = encode3 if resp == 3 else encode2
        self.update_special()

    # ---- asyncio.Protocol
    def connection_made(self, transport) -> None:
        self.transport = transport
        server = self.server
        peer = transport.get_extra_info("peername")
        sock = transport.get_extra_info("sockname")
        if self.unix:
            self.addr, self.laddr = "%s:0" % (sock or ""), "%s:0" % (sock or "")
        else:
            self.addr = _fmt_addr(peer)
            self.laddr = _fmt_addr(sock)
            s = transport.get_extra_info("socket")
            if s is not None:
                try:
                    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                except OSError:
                    pass
        if len(server.clients) >= server.config.maxclients:
            transport.write(b"-ERR max number of clients reached\r\n")
            transport.close()
            self.closing = True
            return
        if (not self.unix and server.protected() and peer
                and not _is_loopback(peer[0])):
            transport.write(DENIED)
            transport.close()
            self.closing = True
            return
        server.clients[self.id] = self
        server.stat_connections += 1

    def connection_lost(self, exc) -> None:
        self.closing = True
        self.server.forget_client(self)

    def pause_writing(self) -> None:
        # the client is not reading its replies: stop reading its requests until it does
        self.transport.pause_reading()

    def resume_writing(self) -> None:
        if not self.paused:
            self.transport.resume_reading()

    def data_received(self, data: bytes) -> None:
        reqs = self.reader.feed(data)
        server = self.server
        self.last_interaction = server.clock
        server.stat_net_input += len(data)
        if self.block is not None or self.pending:
            self.pending.extend(reqs)
            if len(self.pending) > 10000:
                self.pause()   # bound what a blocked client may queue; reading on lets us see it go
            if self.reader.error is not None and self.block is None:
                self.run_pending()
            return
        out = server.run_batch(self, reqs)   # what run() does, inlined: every read comes here
        if out:
            self.transport.write(out[0] if len(out) == 1 else b"".join(out))
        if self.closing:
            self.transport.close()
        elif self.reader.error is not None and self.block is None and not self.pending:
            self.protocol_error()

    def run(self, reqs) -> None:
        out = self.server.run_batch(self, reqs)
        if out:
            self.transport.write(out[0] if len(out) == 1 else b"".join(out))
        if self.closing:
            self.transport.close()

    def run_pending(self) -> None:
        """After unblocking: run what arrived meanwhile, then read again."""
        if self.closing:
            return
        reqs, self.pending = list(self.pending), deque()
        self.run(reqs)
        if self.block is None and not self.closing:
            if self.reader.error is not None:
                self.protocol_error()
            else:
                self.resume()

    def protocol_error(self) -> None:
        self.transport.write(b"-ERR Protocol error: %s\r\n" % str(self.reader.error).encode())
        self.close()

    def pause(self) -> None:
        if not self.paused:
            self.paused = True
            self.transport.pause_reading()

    def resume(self) -> None:
        if self.paused:
            self.paused = False
            self.transport.resume_reading()

    def send(self, data: bytes) -> None:
        if not self.closing:
            self.transport.write(data)

    def close(self) -> None:
        """Close after the replies already written are flushed (QUIT, errors, CLIENT KILL)."""
        self.closing = True
        if self.transport is not None:
            self.transport.close()


def _fmt_addr(a) -> str:
    if not a:
        return ""
    if isinstance(a, tuple):
        host = a[0]
        return ("%s:%d" % (host, a[1])) if ":" not in host else ("%s:%d" % (host, a[1]))
    return str(a)


def _is_loopback(host: str) -> bool:
    return host.startswith("127.") or host in ("::1", "localhost") or host.startswith("::ffff:127.")


class Server:
    """Process-wide state and the dispatcher."""

    def __init__(self, config):
        load_all()
        self.config = config
        self.keyspace = Keyspace(config.databases)
        self.ready_keys = self.keyspace.ready_keys   # same list: checked after every command
        self.slowlog_ns = 0
        config.listeners.append(self.config_changed)
        self.config_changed()
        self.storage = None
        self.clients: dict[int, Client] = {}
        self._next_id = 0
        self.start_time = time.time()
        self.clock = self.start_time   # unix time, refreshed by cron: cheap for idle tracking
        self.run_id = os.urandom(20).hex()
        self.listeners: list = []
        self.monitors: list[Client] = []
        self.slowlog: deque = deque()
        self.slowlog_next_id = 0
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
        self.stat_connections = self.stat_rejected = 0
        self.stat_net_input = self.stat_net_output = 0
        self.stat_keyspace_hits = self.stat_keyspace_misses = 0
        self.shutting_down = False
        self.loop = None
        self.pubsub = None   # set by the pubsub commands module when loaded
        self.cron_task = None
        self.stopped = None

    def next_client_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def protected(self) -> bool:
        return self.config.values["protected-mode"] == "yes" and not self.config.requirepass

    # ---------------------------------------------------------------- dispatch
    def run_batch(self, c: Client, reqs: list) -> list:
        """Run requests in order and return their encoded replies. Stops when the client
        blocks (the rest wait in ``c.pending``) or is closing. The common case - a plain
        command, no MULTI/auth/monitor - runs inline in this loop: it is the hot path of
        every request, so it avoids calls and attribute lookups."""
        out = []
        get_command = COMMANDS.get
        done = 0
        t0 = perf_counter_ns()   # one clock read per command: each command's end starts the next
        for args in reqs:
            done += 1
            cmd = get_command(args[0])
            if cmd is None or cmd.subcommands or c.special or self.monitors:
                reply = self.execute_slow(c, args, cmd)
            else:
                n = len(args)
                arity = cmd.arity
                if (n != arity) if arity >= 0 else (n < -arity):
                    reply = self.reject(c, arity_error(cmd))
                else:
                    c.last_command = cmd.fullname
                    try:
                        reply = cmd.handler(c, args)
                    except RedisError as e:
                        reply = e
                        cmd.failed_calls += 1
                    except Exception as e:  # a bug must cost one reply, never the connection
                        reply = self.internal_error(cmd, e)
                    t1 = perf_counter_ns()
                    dt = t1 - t0
                    t0 = t1
                    cmd.calls += 1
                    cmd.ns += dt
                    if dt >= self.slowlog_ns:
                        self.slowlog_add(c, args, dt // 1000)
                    if self.ready_keys:
                        self.serve_blocked()
                    cls = reply.__class__
                    if cls is str:
                        e = reply.encode("utf-8", "surrogateescape")
                        reply = b"$%d\r\n%s\r\n" % (len(e), e)
                    elif cls is int:
                        reply = b":%d\r\n" % reply
                    elif cls is BlockOn:
                        self.block_client(c, cmd, args, reply)
                        reply = b""
                    elif cls is not bytes:
                        reply = c.encode(reply)
            if reply:
                out.append(reply)
            if c.block is not None:
                c.pending.extend(reqs[done:])   # reading goes on so a disconnect is noticed
                break
            if c.closing:
                break
        return out

    def execute_slow(self, c: Client, args: list, cmd) -> bytes:
        """Unknown commands, subcommands, MULTI/auth/subscribed gates, MONITOR feeds."""
        if cmd is None:
            cmd = lookup(args[0])
            if cmd is None:
                return self.reject(c, unknown_command_error(args))
        if cmd.subcommands:
            try:
                cmd = resolve(cmd, args)
            except RedisError as e:
                return self.reject(c, e)
        n = len(args)
        arity = cmd.arity
        if (n != arity) if arity >= 0 else (n < -arity):
            return self.reject(c, arity_error(cmd))
        if c.special:
            early = self.gate(c, cmd, args)
            if early is not None:
                return early
        if self.monitors and not (cmd.flags & _NOT_MONITORED):
            self.feed_monitors(c, args)
        reply = self.call(c, cmd, args)
        if reply.__class__ is BlockOn:
            self.block_client(c, cmd, args, reply)
            return b""
        if self.ready_keys:
            self.serve_blocked()
        return c.encode(reply)

    def call(self, c: Client, cmd, args: list):
        """Run a resolved command and account for it. Returns the reply value."""
        c.last_command = cmd.fullname
        t0 = perf_counter_ns()
        try:
            reply = cmd.handler(c, args)
        except RedisError as e:
            reply = e
            cmd.failed_calls += 1
        except Exception as e:
            reply = self.internal_error(cmd, e)
        dt = perf_counter_ns() - t0
        cmd.calls += 1
        cmd.ns += dt
        if dt >= self.slowlog_ns:
            self.slowlog_add(c, args, dt // 1000)
        return reply

    def internal_error(self, cmd, e: Exception) -> RedisError:
        log.exception("internal error running %s", cmd.fullname)
        cmd.failed_calls += 1
        return RedisError("ERR internal error: %s" % e)

    @property
    def stat_commands(self) -> int:
        from .commands.registry import unique_commands
        total = 0
        for cmd in unique_commands():
            total += cmd.calls + sum(sub.calls for sub in cmd.subcommands.values())
        return total

    def config_changed(self) -> None:
        """Refresh what the hot path caches from the config (called after CONFIG SET)."""
        us = self.config.values["slowlog-log-slower-than"]
        self.slowlog_ns = us * 1000 if us >= 0 else 1 << 62

    def reject(self, c: Client, err: RedisError) -> bytes:
        self.stat_rejected += 1
        if c.multi is not None:
            c.multi_error = True
        return c.encode(err)

    def gate(self, c: Client, cmd, args: list):
        """Auth, MULTI queueing and RESP2 subscribed mode: the rarely taken checks."""
        if not c.authenticated and "no_auth" not in cmd.flags:
            return self.reject(c, RedisError("NOAUTH Authentication required."))
        if c.multi is not None and cmd.fullname not in _MULTI_RUN_NOW:
            if "no_multi" in cmd.flags:
                return self.reject(c, RedisError("ERR Command not allowed inside a transaction"))
            c.multi.append((cmd, args))
            return b"+QUEUED\r\n"
        if (c.resp == 2 and (c.subscriptions or c.psubscriptions)
                and cmd.name not in _SUBSCRIBED_OK and (cmd.parent is None or cmd.parent.name not in _SUBSCRIBED_OK)):
            return self.reject(c, RedisError(
                "ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET "
                "are allowed in this context" % cmd.fullname))
        return None

    # ---------------------------------------------------------------- blocking
    def block_client(self, c: Client, cmd, args: list, block: BlockOn) -> None:
        c.block = block
        c.block_args = args
        blocked = self.keyspace.blocked
        key_db = c.db.index
        for key in block.keys:
            blocked.setdefault((key_db, key), deque()).append(c)
        if block.timeout > 0:
            c.block_timer = self.loop.call_later(block.timeout, self.unblock, c, block.timeout_reply)

    def unblock(self, c: Client, reply) -> None:
        """Release a blocked client with ``reply`` and run what it sent meanwhile."""
        block = c.block
        if block is None:
            return
        self._unpark(c)
        c.send(c.encode(reply))
        if self.ready_keys:
            self.serve_blocked()
        self.loop.call_soon(c.run_pending)

    def _unpark(self, c: Client) -> None:
        blocked = self.keyspace.blocked
        for key in c.block.keys:
            q = blocked.get((c.db.index, key))
            if q is not None:
                try:
                    q.remove(c)
                except ValueError:
                    pass
                if not q:
                    del blocked[(c.db.index, key)]
        if c.block_timer is not None:
            c.block_timer.cancel()
            c.block_timer = None
        c.block = None
        c.block_args = None

    def serve_blocked(self) -> None:
        """Serve clients blocked on keys that were just written, in the order they blocked."""
        ks = self.keyspace
        while ks.ready_keys:
            ready = list(ks.ready_keys)
            ks.ready_keys.clear()
            for dbi, key in dict.fromkeys(ready):
                queue = ks.blocked.get((dbi, key))
                while queue:
                    c = queue[0]
                    cmd = lookup(c.block_args[0])
                    cmd = resolve(cmd, c.block_args)
                    c.ready_key = key      # serve from the key that became ready, as Redis does
                    reply = self.call(c, cmd, c.block_args)
                    if reply.__class__ is BlockOn:
                        break
                    self._unpark(c)
                    c.send(c.encode(reply))
                    self.loop.call_soon(c.run_pending)
                    queue = ks.blocked.get((dbi, key))

    def unwatch_all(self, c: Client) -> None:
        """Forget every key ``c`` WATCHes (UNWATCH, EXEC, DISCARD, RESET)."""
        from .commands.transactions import unwatch_all
        unwatch_all(c)

    def blocked_clients(self) -> int:
        return sum(1 for c in self.clients.values() if c.block is not None)

    # ---------------------------------------------------------------- clients
    def forget_client(self, c: Client) -> None:
        if c.block is not None:
            self._unpark(c)
        if c.watching:
            for k in c.watching:
                s = self.keyspace.watched.get(k)
                if s is not None:
                    s.discard(c)
                    if not s:
                        del self.keyspace.watched[k]
            c.watching = set()
        if c.monitor and c in self.monitors:
            self.monitors.remove(c)
        if self.pubsub is not None:
            self.pubsub.forget(c)
        self.clients.pop(c.id, None)

    def feed_monitors(self, c: Client, args: list) -> None:
        line = "+%.6f [%d %s] %s\r\n" % (time.time(), c.db.index, "unix:" + c.addr if c.unix else c.addr,
                                          " ".join('"%s"' % _monitor_escape(a) for a in args))
        data = line.encode("utf-8", "surrogateescape")
        for m in self.monitors:
            if m is not c:
                m.send(data)

    def slowlog_add(self, c: Client, args: list, usec: int) -> None:
        entry = [self.slowlog_next_id, int(time.time()), usec,
                 [a if len(a) <= 128 else a[:128] + "... (%d more bytes)" % (len(a) - 128) for a in args[:31]]
                 + (["... (%d more arguments)" % (len(args) - 31)] if len(args) > 32 else []),
                 c.addr, c.name]
        self.slowlog_next_id += 1
        self.slowlog.appendleft(entry)
        while len(self.slowlog) > self.config.values["slowlog-max-len"]:
            self.slowlog.pop()

    # ---------------------------------------------------------------- persistence
    def open_storage(self):
        self.storage = open_storage(self.config.data_path())
        self.keyspace.dirty_keys = {} if self.storage.incremental else None

    def storage_path_changed(self) -> None:
        """CONFIG SET dir/dbfilename: the next save goes to the new file, in full."""
        if self.storage is not None and self.storage.path == self.config.data_path():
            return
        self.kill_bgsave_child()
        old = self.storage
        self.open_storage()
        if self.keyspace.dirty_keys is not None:
            self.keyspace.dirty_keys = {db.index: None for db in self.keyspace.dbs}
        self.keyspace.dirty += 1
        if old is not None:
            old.close()

    def load(self) -> None:
        from .zset import ZSet
        t0 = time.time()
        state = self.storage.load(zset_factory=ZSet)
        self.keyspace.load_state(state)
        keys = sum(len(db.data) for db in self.keyspace.dbs)
        expires = sum(len(db.expires) for db in self.keyspace.dbs)
        self.loaded_keys = keys
        log.info("DB loaded from disk: %.3f seconds, %d keys (%d with an expiry) from %s",
                 time.time() - t0, keys, expires, self.storage.path)
        self.keyspace.dirty = 0

    def save(self) -> None:
        """SAVE: write the snapshot now, in this process (atomic and durable)."""
        ks = self.keyspace
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
            raise
        ks.dirty -= dirty_before
        self.lastsave = int(time.time())
        self.last_save_ok = True
        self.last_bgsave_ok = True
        self.stat_saves = getattr(self, "stat_saves", 0) + 1
        log.info("DB saved on disk")

    def bgsave(self) -> bool:
        """Fork a child that writes the snapshot; the parent keeps serving."""
        if self.bgsave_child is not None:
            return False
        ks = self.keyspace
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
        self.stat_fork_usec = (time.perf_counter_ns() - t_fork) // 1000
        self.stat_forks = getattr(self, "stat_forks", 0) + 1
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
            self.keyspace.dirty -= self.bgsave_dirty_before
            self.lastsave = int(time.time())
            self.last_bgsave_ok = True
            self.stat_saves = getattr(self, "stat_saves", 0) + 1
            log.info("Background saving terminated with success")
        else:
            self.last_bgsave_ok = False
            if self.bgsave_dirty_keys is not None:
                _merge_dirty(self.keyspace, self.bgsave_dirty_keys)
            log.warning("Background saving error")
        self.bgsave_dirty_keys = None
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
                _merge_dirty(self.keyspace, self.bgsave_dirty_keys)
                self.bgsave_dirty_keys = None

    # ---------------------------------------------------------------- background jobs
    async def cron(self) -> None:
        """Redis's serverCron: expire keys, reap BGSAVE children, apply save rules, timeouts."""
        while True:
            await asyncio.sleep(1.0 / self.config.values["hz"])
            try:
                self.cron_once()
            except Exception:
                log.exception("cron job failed")

    def cron_once(self) -> None:
        self.clock = time.time()
        ks = self.keyspace
        if ks.expiry_heap:
            ks.active_expire_cycle()
            if ks.ready_keys:
                ks.ready_keys.clear()
        self.check_bgsave_child()
        now = time.time()
        if self.bgsave_child is None and ks.dirty:
            for seconds, changes in self.config.save_rules:
                if (ks.dirty >= changes and now - self.lastsave >= seconds
                        and (self.last_bgsave_ok or now - self.last_bgsave_try > 5)):
                    log.info("%d changes in %d seconds. Saving...", changes, seconds)
                    self.bgsave()
                    break
        timeout = self.config.values["timeout"]
        if timeout:
            for c in list(self.clients.values()):
                if (c.block is None and not c.subscriptions and not c.psubscriptions
                        and now - c.last_interaction > timeout):
                    c.close()

    # ---------------------------------------------------------------- lifecycle
    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.stopped = self.loop.create_future()
        cfg = self.config
        data_dir = os.path.abspath(os.path.expanduser(cfg.values["dir"]))
        if not os.path.isdir(data_dir):
            raise OSError(2, "Can't chdir to '%s': No such file or directory" % cfg.values["dir"])
        self.open_storage()
        # listen first (a port in use fails at once), then load: nothing is served before
        # load() returns, since it runs before the loop gets control back
        for addr, optional in (cfg.bind_addresses if cfg.port else ()):   # port 0: no TCP
            host = {"*": "0.0.0.0", "::*": "::"}.get(addr, addr)
            try:
                srv = await self.loop.create_server(
                    lambda: Client(self), host=host, port=cfg.port,
                    backlog=cfg.values["tcp-backlog"], reuse_address=True)
            except OSError as e:
                if optional and (isinstance(e, socket.gaierror) or e.errno in (99, 97, 22)):
                    # address not available / family unsupported (e.g. no IPv6)
                    log.info("Skipping optional bind %s: %s", addr, e.strerror)
                    continue
                for done in self.listeners:
                    done.close()
                why = os.strerror(e.errno) if isinstance(e.errno, int) and e.errno > 0 else e.strerror
                raise OSError(e.errno, "Could not create server TCP listening socket %s:%d: %s"
                              % (addr, cfg.port, why)) from None
            self.listeners.append(srv)
        if cfg.unixsocket:
            if os.path.exists(cfg.unixsocket):
                os.unlink(cfg.unixsocket)
            srv = await self.loop.create_unix_server(lambda: Client(self, unix=True), cfg.unixsocket)
            if cfg.values["unixsocketperm"]:
                os.chmod(cfg.unixsocket, cfg.values["unixsocketperm"])
            self.listeners.append(srv)
        if not self.listeners:
            raise OSError("no address to listen on")
        try:
            self.load()
        except BaseException:
            for srv in self.listeners:
                srv.close()
            raise
        for sig in (signal.SIGTERM, signal.SIGINT):
            self.loop.add_signal_handler(sig, self.on_signal, sig)
        self.cron_task = self.loop.create_task(self.cron())
        log.info("Ready to accept connections on port %d", cfg.port)

    def on_signal(self, sig) -> None:
        name = signal.Signals(sig).name
        if sig == signal.SIGINT and getattr(self, "shutdown_failed", False):
            log.warning("You insist... exiting now.")
            os._exit(1)
        log.warning("Received %s scheduling shutdown...", name)
        if not self.shutdown():
            self.shutdown_failed = True
            log.warning("%s received but errors trying to shut down the server, check the logs",
                        name)

    def shutdown(self, save: bool | None = None, force: bool = False) -> bool:
        """Save (if save rules exist, or ``save`` is True), close everything, stop the loop.
        Returns False (and keeps running) when the final save fails, as Redis does,
        unless ``force`` (SHUTDOWN FORCE)."""
        if self.shutting_down:
            return True
        log.warning("User requested shutdown...")
        self.kill_bgsave_child()
        if save is None:
            save = bool(self.config.save_rules)
        if save:
            log.info("Saving the final snapshot before exiting.")
            try:
                self.save()
            except Exception:
                if not force:
                    log.warning("Error trying to save the DB, can't exit.")
                    return False
                log.warning("Error trying to save the DB; exiting anyway (FORCE).")
        self.shutting_down = True
        for srv in self.listeners:
            srv.close()
        for c in list(self.clients.values()):
            c.close()
        if self.cron_task is not None:
            self.cron_task.cancel()
        if self.config.unixsocket and os.path.exists(self.config.unixsocket):
            os.unlink(self.config.unixsocket)
        if self.storage is not None:
            self.storage.close()
        log.warning("pickledbd is now ready to exit, bye bye...")
        if self.stopped is not None and not self.stopped.done():
            self.stopped.set_result(True)
        return True


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


def _monitor_escape(s: str) -> str:
    out = []
    for ch in s.encode("utf-8", "surrogateescape"):
        c = chr(ch)
        if c in '\\"':
            out.append("\\" + c)
        elif c == "\n":
            out.append("\\n")
        elif c == "\r":
            out.append("\\r")
        elif c == "\t":
            out.append("\\t")
        elif 32 <= ch < 127:
            out.append(c)
        else:
            out.append("\\x%02x" % ch)
    return "".join(out)


__all__ = ["Server", "Client", "REDIS_VERSION", "NULL_ARRAY", "__version__"]
