"""The server wiring: builds the services, listens, runs the cron, handles signals and
shutdown. Nothing here runs commands (engine/call.py does) or touches sockets' data
(net/connection.py does).
"""
from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import socket
import time

from ..version import REDIS_VERSION  # noqa: F401 (INFO and HELLO read it from version.py)
from . import speedups
from .commands import load_all
from .engine.blocking import Blocking
from .engine.call import Engine
from .engine.clients import Clients, Services
from .engine.context import Context
from .engine.stats import Stats
from .errors import RedisError
from .engine import transactions
from .keyspace import Keyspace, events
from .net.busy import listening_sockets
from .net.connection import NetIO
from ..errors import CorruptDatabaseError
from .persistence.aof.manifest import AofError
from .persistence.aof.writer import AppendOnly
from .persistence.snapshot import Snapshots
from .pubsub.hub import PubSub
from .pubsub.tracking import Tracking
from .replication import Replication
from .scripting.runtime import Scripting

log = logging.getLogger("pickledbd")


class Lifecycle:
    """What handlers may know of the process: uptime, run id, listening port; SHUTDOWN."""

    def __init__(self, server: "Server"):
        self._server = server
        self.start_time = time.time()
        self.run_id = os.urandom(20).hex()

    @property
    def port(self) -> int:
        return self._server.config.port

    def shutdown(self, save: bool | None = None, force: bool = False) -> bool:
        return self._server.shutdown(save=save, force=force)

    def shutting_down(self) -> bool:
        return self._server.shutting_down


class Server:
    """One daemon: its keyspace, services, listeners and background jobs."""

    def __init__(self, config):
        load_all()
        self.config = config
        self.ks = Keyspace(config.databases)
        self.clients = Clients()
        self.stats = Stats(config)
        self.persistence = Snapshots(self.ks, config)
        self.engine = Engine(self.ks, config, self.stats, self.clients)
        self.lifecycle = Lifecycle(self)
        self.pubsub = PubSub(self.ks, config, self.clients)
        self.tracking = Tracking(self.ks, config, self.clients, self.pubsub, self.engine)
        self.replication = Replication(self.ks, config, self.clients, self.engine, self.lifecycle,
                                       self.persistence)
        self.ks.notify_sink = self.pubsub.keyspace_event
        self.engine.track_reads = self.tracking.remember
        self.engine.request_done = self.tracking.request_done
        self.tracking.call_soon = self._call_soon
        self.services = Services(ks=self.ks, config=config, clients=self.clients, stats=self.stats,
                                 persistence=self.persistence, pubsub=self.pubsub, tracking=self.tracking,
                                 replication=self.replication, engine=self.engine, lifecycle=self.lifecycle)
        self.scripting = self.services.scripting = Scripting(
            self.ks, config, self.clients, self.engine, self.lifecycle, self._lua_client())
        self.net = NetIO(self.services, None)
        self.net.protected = self.protected
        self.clients.io = self.net
        self.engine.blocking = Blocking(self.ks, self.clients, self.engine, self._call_later)
        self.clients.on_disconnect.append(self._client_gone)
        self.persistence.status_changed = self.refresh_gates
        # the append-only file: handlers reach it as c.persistence.aof (BGREWRITEAOF, INFO)
        self.aof = self.persistence.aof = AppendOnly(self.ks, config, self.engine, self.persistence)
        self.aof.net = self.net
        self.aof.status_changed = self.refresh_gates
        self.appendonly = config.values["appendonly"]
        config.listeners.append(self.config_changed)
        self.config_changed()
        self.listeners: list = []
        self.shutting_down = False
        self.shutdown_failed = False
        self.loop = None
        self.cron_task = None
        self.stopped = None

    def _lua_client(self) -> Context:
        """The client scripts run their commands as (MONITOR shows it as "lua")."""
        return self._internal_client("lua", "lua")

    def _internal_client(self, kind: str, addr: str) -> Context:
        """A client of the server itself: authenticated, never blocking."""
        c = Context(self.services, 0, kind)
        c.addr = c.laddr = addr
        c.authenticated = True
        c.no_block = True
        c.update_special()
        return c

    def _call_later(self, delay, fn, *args):
        return self.loop.call_later(delay, fn, *args)

    def _call_soon(self, fn, *args):
        return self.loop.call_soon(fn, *args)

    def _client_gone(self, ctx) -> None:
        if ctx.block is not None:
            self.engine.blocking.forget(ctx)
        transactions.unwatch_all(ctx)
        self.pubsub.reset_client(ctx)
        self.tracking.forget(ctx)
        self.replication.forget(ctx)

    def protected(self) -> bool:
        return self.config.values["protected-mode"] == "yes" and not self.config.requirepass

    def config_changed(self) -> None:
        """Refresh what the hot paths cache from the config (after CONFIG SET)."""
        self.stats.config_changed()
        self.net.config_changed()
        self.ks.notify_mask = self.config.values["notify-keyspace-events"]
        self.appendonly_changed()
        self.refresh_gates()
        if getattr(self.net, "listening", None):
            self.apply_keepalive()

    def apply_keepalive(self) -> None:
        """tcp-keepalive (anetKeepAlive): set on the listening sockets, since Linux hands
        SO_KEEPALIVE and the TCP_KEEP* options down to every connection they accept; as in
        Redis, a CONFIG SET reaches new connections only."""
        secs = min(self.config.values["tcp-keepalive"], 32767)     # TCP_KEEPIDLE's maximum
        for sock, unix in self.net.listening:
            if unix:
                continue
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1 if secs else 0)
                if secs:
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, secs)
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, max(1, secs // 3))
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 3)
            except (OSError, AttributeError) as e:     # AttributeError: no TCP_KEEP* here
                log.warning("Unable to set tcp-keepalive: %s", e)

    def appendonly_changed(self) -> None:
        """CONFIG SET appendonly yes starts a rewrite (startAppendOnly), no stops the writer."""
        aof = getattr(self, "aof", None)
        if aof is None:
            return
        want = self.config.values["appendonly"]
        if want != self.appendonly and self.loop is not None:
            if want == "yes":
                try:
                    aof.start()
                except Exception:
                    self.config.values["appendonly"] = "no"
                    raise RedisError("ERR CONFIG SET failed (possibly related to argument "
                                     "'appendonly') - Unable to turn on AOF. Check server logs.") from None
            else:
                aof.stop()
        self.appendonly = self.config.values["appendonly"]
        aof.update_gate()

    def refresh_gates(self) -> None:
        """The server-wide conditions of processCommand: -MISCONF after a failed background save
        (stop-writes-on-bgsave-error) and keymiss events (which need to know whether the running
        command is a read); -OOM is the engine's, from the keyspace's memory estimate."""
        cfg = self.config.values
        misconf = (cfg["stop-writes-on-bgsave-error"] == "yes" and bool(self.config.save_rules)
                   and not self.persistence.last_bgsave_ok)
        aof = getattr(self, "aof", None)
        if not misconf and aof is not None:
            misconf = aof.disk_error() or False     # -MISCONF Errors writing to the AOF file
        keymiss = bool(cfg["notify-keyspace-events"] & events.KEY_MISS)
        self.engine.refresh_gates(misconf, keymiss)

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
        now = time.time()
        self.net.clock = now
        ks = self.ks
        if ks.expiry_heap and ks.active_expire:
            ks.active_expire_cycle(on_each=self.engine.propagation.flush)
            if ks.ready_keys:
                ks.ready_keys.clear()
        self.persistence.cron(now)
        self.aof.cron(now)
        self.replication.cron(now)
        self.refresh_gates()
        timeout = self.config.values["timeout"]
        if timeout:
            for c in self.clients.all():
                if (c.block is None and not c.subscribed() and c.kind != "replica"
                        and now - c.last_interaction > timeout):
                    c.close()

    # ---------------------------------------------------------------- lifecycle
    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.net.loop = self.loop
        self.net.clock = time.time()
        self.stopped = self.loop.create_future()
        cfg = self.config
        data_dir = os.path.abspath(os.path.expanduser(cfg.values["dir"]))
        if not os.path.isdir(data_dir):
            raise OSError(2, "Can't chdir to '%s': No such file or directory" % cfg.values["dir"])
        self.persistence.open_storage()
        # listen first (a port in use fails at once), then load: nothing is served before
        # load() returns, since it runs before the loop gets control back
        for addr, optional in (cfg.bind_addresses if cfg.port else ()):   # port 0: no TCP
            host = {"*": "0.0.0.0", "::*": "::"}.get(addr, addr)
            try:
                srv = await self.loop.create_server(
                    self.net.protocol, host=host, port=cfg.port,
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
            srv = await self.loop.create_unix_server(lambda: self.net.protocol(unix=True), cfg.unixsocket)
            if cfg.values["unixsocketperm"]:
                os.chmod(cfg.unixsocket, cfg.values["unixsocketperm"])
            self.listeners.append(srv)
        if not self.listeners:
            raise OSError("no address to listen on")
        self.net.listening = listening_sockets(self.listeners)
        self.apply_keepalive()
        try:
            self.load_data()
        except BaseException:
            for srv in self.listeners:
                srv.close()
            raise
        # the loaded dataset is long-lived and acyclic: keep it out of the collector's full
        # passes, which would otherwise walk every loaded container (seconds for millions)
        gc.freeze()
        for sig in (signal.SIGTERM, signal.SIGINT):
            self.loop.add_signal_handler(sig, self.on_signal, sig)
        self.cron_task = self.loop.create_task(self.cron())
        log.info("Hot path: %s (PICKLEDBD_PURE=1 selects the pure Python one)", speedups.HOT_PATH)
        log.info("Ready to accept connections on port %d", cfg.port)

    def load_data(self) -> None:
        """With appendonly yes and an AOF on disk, the AOF is the source of truth (the snapshot
        is not read, as in Redis); else the snapshot, then (appendonly yes) a first AOF base."""
        aof = self.aof
        aof.loop = self.loop
        aof.read_manifest_if_any()
        if self.config.values["appendonly"] == "yes" and aof.manifest_exists():
            t0 = time.time()
            try:
                aof.load(self._aof_client())
            except AofError as e:       # one line and exit 1, as Redis refuses to start
                raise CorruptDatabaseError(str(e)) from None
            self.ks.dirty = 0
            # the snapshot file is older than the dataset now: the next save writes all of it
            self.persistence.full_save = True
            self.persistence.loaded_keys = sum(len(db.data) for db in self.ks.dbs)
            log.info("DB loaded from append only file: %.3f seconds", time.time() - t0)
        else:
            self.persistence.load()
        aof.open_on_start()

    def _aof_client(self) -> Context:
        """Redis's fake AOF client: commands replayed at start run as it."""
        return self._internal_client("internal", "")

    def on_signal(self, sig) -> None:
        name = signal.Signals(sig).name
        if sig == signal.SIGINT and self.shutdown_failed:
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
        self.persistence.kill_bgsave_child()
        self.aof.close()
        if save is None:
            save = bool(self.config.save_rules)
        if save:
            log.info("Saving the final snapshot before exiting.")
            try:
                self.persistence.save()
            except Exception:
                if not force:
                    log.warning("Error trying to save the DB, can't exit.")
                    return False
                log.warning("Error trying to save the DB; exiting anyway (FORCE).")
        self.shutting_down = True
        for srv in self.listeners:
            srv.close()
        for sock, _ in self.net.listening:
            sock.close()
        self.net.listening = []
        for c in self.clients.all():
            c.close()
        if self.cron_task is not None:
            self.cron_task.cancel()
        if self.config.unixsocket and os.path.exists(self.config.unixsocket):
            os.unlink(self.config.unixsocket)
        self.persistence.close()
        log.warning("pickledbd is now ready to exit, bye bye...")
        if self.stopped is not None and not self.stopped.done():
            self.stopped.set_result(True)
        return True
