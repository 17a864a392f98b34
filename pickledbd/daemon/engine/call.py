"""The engine: the one place where commands run (Redis's processCommand + call()).

Every caller goes through here: requests from a socket (``run_batch``/``process``), EXEC's
queue (``call``, from engine/transactions.py), blocked clients re-run when their keys are
written (``call_blocked``) and scripts. ``process`` makes the checks a request needs before
it runs (lookup, subcommand, arity, auth, MULTI queueing, RESP2 subscribed mode, the
command's flags); ``call`` runs a resolved command and does what follows every run:
statistics, SLOWLOG, MONITOR, propagation records, key tracking, and the no-block rule.

``run_batch`` is the hot path: a plain command for a plain client is run inline, with the
same steps as ``process`` + ``call`` in the same order, minus the checks that cannot apply
to it (``Context.special`` and ``monitors`` route every other case through ``process``).
tests/test_engine.py runs every family through each caller and compares what they did.
"""
from __future__ import annotations

import logging
import random
import time
from time import perf_counter_ns
from types import MethodType

from sortedcontainers import SortedList

from .. import speedups
from ..errors import MISCONF, NOAUTH, NOT_ALLOWED_IN_MULTI, OOM, RedisError, arity_error, unknown_command
from ..keyspace.database import Database
from ..keyspace.scan import Pool
from ..keyspace.smallhash import SmallHash
from ..keyspace.stream import ID_BASE, Node, Stream
from ..keyspace.zset import ZSet, unkey
from ..protocol.reply import OK
from .blocking import BlockOn
from .command import REGISTRY, CommandTable, resolve
from .propagation import Propagation

log = logging.getLogger("pickledbd")

OUT_CHUNK = 1 << 16          # queued output that makes run_batch hand back to the network layer
QUEUED = b"+QUEUED\r\n"
# commands a client in MULTI runs at once instead of queueing them
_MULTI_RUN_NOW = frozenset(("exec", "discard", "multi", "watch", "quit", "reset"))
# what a RESP2 client may send while subscribed
_SUBSCRIBED_OK = frozenset(("subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe",
                            "sunsubscribe", "ping", "quit", "reset"))


# Commands the compiled run_batch runs itself while its preconditions hold (values of the
# expected type, no expiry on the key, no events, tracking or access accounting: listed
# beside the code in _speedups.c), and through their Python handler otherwise. The handlers
# remain the semantics.
NATIVE = ("get", "set", "incr", "mset", "lpush", "rpush", "lpop", "rpop", "sadd", "hset", "spop", "zadd",
          "zpopmin", "zpopmax", "xadd")

if speedups.COMPILED:
    speedups.configure(RedisError, BlockOn, arity_error, OUT_CHUNK)
    speedups.configure_pools(Pool, random.random)       # SPOP picks as Pool.pick does
    speedups.configure_zsets(ZSet, unkey, SmallHash, SortedList)   # ZADD inserts as SortedList.add
    speedups.configure_streams(Stream, Node, ID_BASE)   # XADD appends as Stream.append


class Engine:
    # read by the compiled run_batch for every request: slots (see _speedups.c cattr)
    __slots__ = ("ks", "table", "propagation", "stats", "monitors", "gated", "blocking",
                 "__dict__", "__weakref__")

    def __init__(self, ks, config, stats, clients, table: CommandTable | None = None):
        self.ks = ks
        self.config = config
        self.stats = stats
        self.clients = clients
        self.table = table if table is not None else CommandTable()
        self.propagation = Propagation()
        self.blocking = None          # a Blocking, set when the server is wired (needs the loop)
        self.monitors = clients.monitors   # the same list: read on the hot path
        self.nesting = 0              # call() depth: records are handed on when it returns to 0
        self.current = None           # the client whose command is running (tracking NOLOOP)
        self.track_reads = None       # fn(ctx, cmd, args) after a read by a tracking client
        self.request_done = None      # fn(ctx, cmd or None) after each request of a tracking client
        # Server-wide conditions, refreshed by the cron and CONFIG SET (refresh_gates): every
        # command takes the full path while one holds.
        self.oom = False              # used memory > maxmemory: denyoom commands get -OOM
        self.misconf = False          # the last background save (or AOF write) failed: writes get
        #                               -MISCONF (a RedisError here: that error's text)
        self.keymiss = False          # "m" keyspace events: misses of readonly commands notify
        self.busy_error = None        # a script past busy-reply-threshold: the -BUSY error
        self.gated = False
        ks.on_expired = self._expired
        ks.mem.on_evict = self._expired          # an evicted key is deleted downstream too
        ks.mem.on_over = self._memory_over
        if speedups.COMPILED:       # the same loop in C (daemon/_speedups.c); this class's is the reference
            self.run_batch = MethodType(speedups.run_batch, self)
            speedups.configure_native(Database, {name: REGISTRY[name].handler for name in NATIVE
                                                 if name in REGISTRY}, OK)

    # ------------------------------------------------------------------ the hot path
    def run_batch(self, c, reqs: list) -> int:
        """Run requests in order, queueing their encoded replies on ``c.out``. Returns how
        many were consumed: it stops early when the client blocks or is closing, and when a
        lot of output is queued (the network layer writes it and decides whether to go on)."""
        out = c.out
        by_name = self.table.by_name
        ks = self.ks
        prop = self.propagation
        stats = self.stats
        monitors = self.monitors
        done = 0
        t0 = perf_counter_ns()   # one clock read per command: each command's end starts the next
        for args in reqs:
            done += 1
            cmd = by_name.get(args[0])
            if cmd is None or cmd.subcommands or c.special or monitors or self.gated:
                reply = self.process(c, args, cmd)
                t0 = perf_counter_ns()
            else:
                n = len(args)
                arity = cmd.arity
                if (n != arity) if arity >= 0 else (n < -arity):
                    reply = self.reject(c, cmd, arity_error(cmd.fullname))
                else:
                    c.last_command = cmd.fullname
                    dirty = ks.dirty
                    ks.read_cmd = cmd.readonly      # lookups count keyspace hits/misses
                    try:
                        reply = cmd.handler(c, args)
                    except RedisError as e:
                        reply = e.with_traceback(None)     # see call(): shared error instances
                        cmd.failed_calls += 1
                        stats.error_reply(e)
                    except Exception as e:  # a bug must cost one reply, never the connection
                        reply = self.internal_error(cmd, e)
                    t1 = perf_counter_ns()
                    cls = reply.__class__
                    if cls is BlockOn:
                        self.blocking.park(c, args, reply)
                        reply = b""
                    else:
                        dt = t1 - t0
                        cmd.calls += 1
                        cmd.ns += dt
                        if dt >= stats.slow_ns:
                            stats.slow_command(c, cmd, args, dt)
                        if ks.dirty != dirty or c.prop is not None:
                            if c.prop is None and not prop.pending:
                                if prop.active:     # the request as it came, a unit of its own
                                    prop.unit([(c.db.index, args)])
                            else:
                                self._record(c, args, ks.dirty != dirty)
                        if prop.pending:
                            prop.flush()
                        if ks.ready_keys:
                            self.blocking.serve()
                        if cls is str:
                            e = reply.encode("utf-8", "surrogateescape")
                            reply = b"$%d\r\n%s\r\n" % (len(e), e)
                        elif cls is int:
                            reply = b":%d\r\n" % reply
                        elif cls is not bytes:
                            reply = c.encode(reply)
                    t0 = t1
            if reply:
                out.append(reply)
                c.out_bytes += len(reply)
            if c.block is not None or c.closing or c.out_bytes > OUT_CHUNK:
                break
        return done

    # ------------------------------------------------------------------ processCommand
    def process(self, c, args: list, cmd=None) -> bytes:
        """One request with every check (the path of all but the plainest requests).
        Returns the encoded reply (b"" when the client blocked), followed by what must
        come after it (``Context.after_reply``)."""
        reply, cmd = self._process(c, args, cmd)
        if c.tracking is not None and self.request_done is not None:
            self.request_done(c, cmd)      # resetClient: CLIENT CACHING lasts one command
        if c.after_reply:
            reply += b"".join(c.after_reply)
            c.after_reply.clear()
        return reply

    def _process(self, c, args: list, cmd):
        if cmd is None:
            cmd = self.table.lookup(args[0])
            if cmd is None:
                return self.reject(c, None, unknown_command(args)), None
        if cmd.subcommands:
            try:
                cmd = resolve(cmd, args)
            except RedisError as e:
                return self.reject(c, cmd, e.with_traceback(None)), cmd
        n = len(args)
        arity = cmd.arity
        if (n != arity) if arity >= 0 else (n < -arity):
            return self.reject(c, cmd, arity_error(cmd.fullname)), cmd
        if c.special or self.gated:
            early = self._gate(c, cmd, args)
            if early is not None:
                return early, cmd
        reply = self.call(c, cmd, args)
        if reply.__class__ is BlockOn:
            self.blocking.park(c, args, reply)
            return b"", cmd
        self.after_command()
        return c.encode(reply), cmd

    def after_command(self) -> None:
        """The end of a top-level command: hand on its records, serve blocked clients."""
        if self.propagation.pending:
            self.propagation.flush()
        if self.ks.ready_keys:
            self.blocking.serve()

    def _gate(self, c, cmd, args: list):
        """The rarely taken checks, in processCommand's order: auth, memory, disk errors,
        RESP2 subscribed mode, MULTI queueing."""
        if not c.authenticated and not cmd.no_auth:
            return self.reject(c, cmd, NOAUTH)
        if self.oom or self.misconf:
            queued = c.multi if cmd.name == "exec" and c.multi is not None else ()
            # performEvictions before the command; in MULTI, queueing anything is refused too
            if self.oom and not self._evict() and (
                    cmd.denyoom or any(q.denyoom for q, _ in queued)
                    or (c.multi is not None and cmd.name not in ("exec", "discard", "quit", "reset"))):
                return self.reject(c, cmd, OOM)
            if self.misconf and (cmd.write or cmd.name == "ping" or any(q.write for q, _ in queued)):
                return self.reject(c, cmd, self.misconf_error())
        if c.multi is not None and cmd.fullname not in _MULTI_RUN_NOW:
            if cmd.no_multi:
                return self.reject(c, cmd, NOT_ALLOWED_IN_MULTI)
            c.multi.append((cmd, args))
            return QUEUED
        if (c.resp == 2 and c.subscribed() and cmd.name not in _SUBSCRIBED_OK
                and (cmd.parent is None or cmd.parent.name not in _SUBSCRIBED_OK)):
            return self.reject(c, cmd, RedisError(
                "ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET "
                "are allowed in this context" % cmd.fullname))
        if self.busy_error is not None and not cmd.allow_busy:
            return self.reject(c, cmd, self.busy_error)
        return None

    def reject(self, c, cmd, err: RedisError) -> bytes:
        """A command refused before it ran (rejectCommand): flags a MULTI as failed."""
        self.stats.error_reply(err)
        if cmd is not None:
            cmd.rejected_calls += 1
            if cmd.name == "exec":      # execCommandAbort, with or without a MULTI
                if c.multi is not None:
                    from . import transactions
                    transactions.end(c)
                    transactions.unwatch_all(c)
                err = RedisError("EXECABORT Transaction discarded because of: " + err.message.split(" ", 1)[1])
        if c.multi is not None:
            c.multi_error = True
        return c.encode(err)

    def refresh_gates(self, misconf: bool, keymiss: bool) -> None:
        # -OOM follows the keyspace's memory estimate, not the resident size: RSS does not
        # shrink when keys go, so eviction could never get under it
        mem = self.ks.mem
        mem.configure(self.config.values)
        self.ks.lru_clock = int(time.time())
        self.oom = oom = mem.over()
        self.misconf = misconf
        self.keymiss = keymiss
        self.gated = oom or misconf or keymiss or self.busy_error is not None

    def misconf_error(self) -> RedisError:
        """The snapshot's -MISCONF, or the AOF's (refresh_gates may be given its error)."""
        return self.misconf if isinstance(self.misconf, RedisError) else MISCONF

    def _memory_over(self) -> None:
        """A write took used memory above maxmemory: the next commands take the gate."""
        self.oom = self.gated = True

    def _evict(self) -> bool:
        """Evict by maxmemory-policy. False when still above maxmemory and nothing more can
        go (noeviction, no candidate): denyoom commands get -OOM."""
        mem = self.ks.mem
        ok = mem.evict()
        if self.propagation.pending:
            self.propagation.flush()
        if not mem.over():
            self.refresh_gates(self.misconf, self.keymiss)
        return ok

    def script_busy(self, message: str) -> None:
        """A script runs past busy-reply-threshold: other clients get -BUSY (but for the
        allow-busy commands) until it ends."""
        self.busy_error = RedisError(message)
        self.gated = True

    def script_done(self) -> None:
        self.busy_error = None
        self.refresh_gates(self.misconf, self.keymiss)
    # ------------------------------------------------------------------ call()
    def call(self, c, cmd, args: list, reprocess: bool = False):
        """Run a resolved command for ``c`` and account for it. Returns the reply value; a
        BlockOn when the command must wait (never when ``c.no_block``). ``reprocess``: a
        blocked client's command run again (MONITOR saw it the first time)."""
        ks = self.ks
        dirty = ks.dirty
        prev = self.current
        self.current = c
        outer_prop = c.prop       # a nested call (EXEC's queue, a script) keeps the caller's rewrite
        c.prop = None
        self.nesting += 1
        c.last_command = cmd.fullname
        keymiss = self.keymiss
        if keymiss:
            outer_reading = ks.reading
            ks.reading = cmd.readonly
        outer_read_cmd = ks.read_cmd
        ks.read_cmd = cmd.readonly
        t0 = perf_counter_ns()
        try:
            reply = cmd.handler(c, args)
        except RedisError as e:
            # many errors are shared constants: each raise would chain its traceback (and the
            # frames) onto the last one's, keeping them alive for ever
            reply = e.with_traceback(None)
            cmd.failed_calls += 1
            self.stats.error_reply(e)
        except Exception as e:
            reply = self.internal_error(cmd, e)
        finally:
            self.nesting -= 1
            self.current = prev
            ks.read_cmd = outer_read_cmd
            if keymiss:
                ks.reading = outer_reading
        dt = perf_counter_ns() - t0
        if self.monitors and cmd.monitored and not reprocess:
            self.clients.feed_monitors(c, args)
        if reply.__class__ is BlockOn:
            c.prop = outer_prop
            if not c.no_block:
                return reply            # counted when it is served or times out, as Redis does
            reply = reply.timeout_reply
        cmd.calls += 1
        cmd.ns += dt
        if dt >= self.stats.slow_ns:
            self.stats.slow_command(c, cmd, args, dt)
        if ks.dirty != dirty or c.prop is not None:
            self._record(c, args, ks.dirty != dirty)
        c.prop = outer_prop
        if c.tracking is not None and cmd.readonly and self.track_reads is not None:
            self.track_reads(c, cmd, args)
        return reply

    def script_command(self, run, args: list):
        """A ``redis.call`` of a running script (Redis's scriptCall): the checks a script's
        command gets, then ``call()`` as the script's client. Returns the reply value (a
        RedisError for an error, which the script raises or gets from redis.pcall)."""
        sc = run.ctx
        cmd = self.table.lookup(args[0])
        if cmd is not None and cmd.subcommands and len(args) > 1:
            cmd = cmd.subcommands.get("%s|%s" % (cmd.name, args[1].lower()))
        if cmd is None:
            return RedisError("ERR Unknown Redis command called from script")
        n = len(args)
        if (n != cmd.arity) if cmd.arity >= 0 else (n < -cmd.arity):
            return RedisError("ERR Wrong number of args calling Redis command from script")
        if cmd.noscript:
            return RedisError("ERR This Redis command is not allowed from script")
        if cmd.write:
            if run.read_only:
                return RedisError("ERR Write commands are not allowed from read-only scripts.")
            if self.misconf:
                return self.misconf_error()
        if self.oom and cmd.denyoom and not run.allow_oom:
            return OOM
        if run.repl == 3:            # REPL_ALL: the usual propagation
            return self.call(sc, cmd, args)
        prop = self.propagation
        active = prop.active
        prop.active = active and run.repl != 0    # REPL_NONE: this call is not propagated
        try:
            return self.call(sc, cmd, args)
        finally:
            prop.active = active

    def call_blocked(self, c):
        """Re-run a blocked client's command after one of its keys was written."""
        args = c.block_args
        cmd = resolve(self.table.lookup(args[0]), args)
        reply = self.call(c, cmd, args, reprocess=True)
        if reply.__class__ is not BlockOn and self.propagation.pending:
            self.propagation.flush()
        return reply

    def count_unblocked(self, c) -> None:
        """A blocked command timed out or was unblocked: it counts as one call now."""
        args = c.block_args
        cmd = self.table.lookup(args[0])
        if cmd is not None:
            try:
                cmd = resolve(cmd, args)
            except RedisError:
                return
            cmd.calls += 1

    # ------------------------------------------------------------------ propagation
    def _record(self, c, args: list, changed: bool) -> None:
        """What the command just run propagates (see engine/propagation.py)."""
        p = c.prop
        c.prop = None
        prop = self.propagation
        if not prop.active:
            return
        if p is None:
            if changed:
                prop.add(c.db.index, args)
        elif p is True:
            prop.add(c.db.index, args)
        elif changed and p:
            prop.add(c.db.index, p)

    def _expired(self, dbi: int, key: str) -> None:
        """A key expired (lazily, inside a command, or by the active cycle): replicas and the
        append-only file delete it too."""
        self.propagation.add(dbi, ["DEL", key])

    def internal_error(self, cmd, e: Exception) -> RedisError:
        log.exception("internal error running %s", cmd.fullname)
        cmd.failed_calls += 1
        err = RedisError("ERR internal error: %s" % e)
        self.stats.error_reply(err)
        return err
