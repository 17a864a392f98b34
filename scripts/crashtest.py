#!/usr/bin/env python3
"""Crash campaign for the append-only file: SIGKILL the server at random moments, restart
it, and check that every acknowledged write is still there.

    python scripts/crashtest.py                          # pickledbd, always then everysec, 50 rounds each
    python scripts/crashtest.py --server redis           # the same campaign against redis-server
    python scripts/crashtest.py --fsync always --rounds 5 --json
    python scripts/crashtest.py --tiny-fs                # full disk during appends and a rewrite (root)

One round: writers on several connections pipeline SET/INCR/RPUSH/HSET/ZADD/EXPIRE on their
own keys (and one more connection pipelines MULTI/EXEC transactions and EVAL scripts, each
of which must come back whole or not at all), each command numbered (its sequence number is
in the value it writes), and record every reply as it arrives; a control connection issues
BGREWRITEAOF / BGSAVE at random; the server (and any child it forked) gets SIGKILL at a
random moment, sometimes right after a BGREWRITEAOF; it restarts on the same directory (the
restart is timed up to the first +PONG) and the data is read back. Since one connection's
commands reach the AOF in order, what a writer finds after the restart must be exactly the
effect of its first k commands for some k: anything else is "inconsistent" (a torn or
reordered file). Acknowledged commands at or after k are lost; the loss window is the time
from the first lost acknowledgement to the kill. ``always`` must lose nothing; ``everysec``
at most ~2 s. Earlier rounds' keys are re-read too (a rewrite must not drop them); keys
older than --keep-rounds rounds are deleted, which bounds the dataset, and must stay deleted
after the next crash (a DEL is a write like any other); at the end redis-check-aof must
accept the directory.

A SIGKILL is a process crash, not a power cut: data the server wrote but did not fsync is
still in the page cache and survives.  So this measures what a crashing server loses (Redis:
nothing under either policy, except what everysec held back while an fsync was slow); the
power-cut bound of everysec (about 1 s) is not something a user-space test can observe.

Tiny-fs mode mounts a small tmpfs (needs root), fills it with a ballast file, and checks that
the server reports the write error (INFO aof_last_write_status:err), refuses writes with
-MISCONF, keeps serving reads, fails a BGREWRITEAOF that does not fit without damage, and
recovers when the ballast is removed; then a SIGKILL + restart loads every acknowledged write
and redis-check-aof accepts the files.

Loopback only; every process started (and every child the server forked) is stopped by PID.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import hiredis

HOST = "127.0.0.1"
KINDS = 6                       # seq % 6: SET, INCR, RPUSH, HSET, ZADD, EXPIRE
TTL_BASE = 10 ** 6              # EXPIRE key TTL_BASE + TTL_STEP * seq: the TTL names the command that set it
TTL_STEP = 1000


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def resp(*args) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        b = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


class Conn:
    """A raw RESP connection (hiredis parser): one request, one reply; errors are returned as
    hiredis.ReplyError values, not raised."""

    def __init__(self, port: int, timeout: float = 10.0):
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        self.reader = hiredis.Reader()

    def call(self, *args):
        self.sock.sendall(resp(*args))
        while True:
            r = self.reader.gets()
            if r is not False:
                return r
            data = self.sock.recv(1 << 16)
            if not data:
                raise ConnectionError("connection closed")
            self.reader.feed(data)

    def close(self):
        self.sock.close()


def info(conn: Conn, section: str = "persistence") -> dict:
    text = conn.call("INFO", section)
    if isinstance(text, hiredis.ReplyError):
        return {}
    out = {}
    for line in text.decode().splitlines():
        if ":" in line and not line.startswith("#"):
            k, v = line.split(":", 1)
            out[k] = v
    return out


# -- the server under test ------------------------------------------------------------------

class Server:
    def __init__(self, kind: str, datadir: str, fsync: str, extra: list[str], log_path: str):
        self.kind, self.dir, self.fsync, self.extra = kind, datadir, fsync, extra
        self.log_path = log_path
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def argv(self) -> list[str]:
        if self.kind == "redis":
            return ["redis-server", "--port", str(self.port), "--bind", HOST, "--dir", self.dir,
                    "--appendonly", "yes", "--appendfsync", self.fsync, "--aof-use-rdb-preamble", "no",
                    "--save", "", "--daemonize", "no"] + self.extra
        return [sys.executable, "-m", "pickledbd", "--port", str(self.port), "--bind", HOST, "--dir", self.dir,
                "--appendonly", "yes", "--appendfsync", self.fsync, "--save", ""] + self.extra

    def start(self, timeout: float) -> float:
        """Start and wait for +PONG (not -LOADING); the seconds it took. Raises on failure."""
        repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env = dict(os.environ, PYTHONPATH=repo + os.pathsep + os.environ.get("PYTHONPATH", ""))
        with open(self.log_path, "ab") as log:
            log.write(b"\n==== start %s ====\n" % time.strftime("%H:%M:%S").encode())
            log.flush()
            t0 = time.perf_counter()
            self.proc = subprocess.Popen(self.argv(), stdout=log, stderr=subprocess.STDOUT, cwd=repo, env=env)
        deadline = t0 + timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited with %s at start" % self.proc.returncode)
            try:
                c = Conn(self.port, timeout=2)
                try:
                    if c.call("PING") == b"PONG":
                        return time.perf_counter() - t0
                finally:
                    c.close()
            except OSError:
                pass
            time.sleep(0.02)
        raise RuntimeError("server not ready after %.0f s" % timeout)

    def children(self) -> list[int]:
        """PIDs of processes the server forked (rewrite / save children): its children, and
        any orphan of an earlier kill still carrying this server's port or directory."""
        found = []
        me = self.proc.pid if self.proc is not None else None
        marks = [("--dir\0%s\0" % self.dir).encode(), ("127.0.0.1:%d" % self.port).encode()]
        for name in os.listdir("/proc"):
            if not name.isdigit() or int(name) in (me, os.getpid()):
                continue
            try:
                with open("/proc/%s/stat" % name) as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                with open("/proc/%s/cmdline" % name, "rb") as f:
                    cmdline = f.read()
            except (OSError, ValueError, IndexError):
                continue
            ours = cmdline.startswith(b"redis-") or b"pickledbd" in cmdline
            if ppid == me or (ours and any(m in cmdline for m in marks)):
                found.append(int(name))
        return found

    def kill(self) -> None:
        """SIGKILL the server and whatever it forked (a machine-wide crash of the service)."""
        if self.proc is None:
            return
        kids = self.children()
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self._kill_children(kids)

    def stop(self) -> None:
        """Graceful stop (SIGTERM, then SIGKILL after 15 s), children too."""
        if self.proc is None:
            return
        kids = self.children()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._kill_children(kids)

    def _kill_children(self, kids: list) -> None:
        """SIGKILL what it had forked (a rewrite or save child may outlive it)."""
        for pid in kids + self.children():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc = None

    def log_tail(self, n: int = 15) -> str:
        try:
            with open(self.log_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-n:]).decode(errors="replace")
        except OSError:
            return ""


# -- writers --------------------------------------------------------------------------------

class Writer(threading.Thread):
    """Pipelines numbered commands on its own keys and timestamps each reply."""

    def __init__(self, port: int, prefix: str, batch: int, stop: threading.Event):
        super().__init__(daemon=True)
        self.port, self.prefix, self.batch, self.stop_event = port, prefix, batch, stop
        self.sent = 0                       # commands handed to the socket
        self.ack: list[float | None] = []   # per seq: time of its OK reply, None for an error reply
        self.bad: list[str] = []            # replies that contradict the model (not crash damage)
        self.errors: dict[str, int] = {}

    def key(self, name: str) -> str:
        return self.prefix + name

    def command(self, seq: int) -> bytes:
        k = seq % KINDS
        if k == 0:
            return resp("SET", self.key("str"), seq)
        if k == 1:
            return resp("INCR", self.key("cnt"))
        if k == 2:
            return resp("RPUSH", self.key("list"), seq)
        if k == 3:
            return resp("HSET", self.key("hash"), "f%d" % seq, seq)
        if k == 4:
            return resp("ZADD", self.key("z"), seq, "m%d" % seq)
        return resp("EXPIRE", self.key("hash"), TTL_BASE + TTL_STEP * seq)

    @staticmethod
    def expected_reply(seq: int):
        k = seq % KINDS
        if k == 0:
            return b"OK"
        if k in (1, 2):                      # the counter / list length after this command
            return (seq - k) // KINDS + 1
        return 1

    def record(self, seq: int, reply, now: float) -> None:
        if isinstance(reply, hiredis.ReplyError):
            msg = str(reply).split(" ")[0]
            self.errors[msg] = self.errors.get(msg, 0) + 1
            self.ack.append(None)
            return
        if reply != self.expected_reply(seq):
            self.bad.append("seq %d: %r, expected %r" % (seq, reply, self.expected_reply(seq)))
        self.ack.append(now)

    def run(self) -> None:
        try:
            sock = socket.create_connection((HOST, self.port), timeout=5)
        except OSError:
            return
        reader = hiredis.Reader()
        seq = 0
        try:
            while not self.stop_event.is_set():
                sock.sendall(b"".join(self.command(s) for s in range(seq, seq + self.batch)))
                self.sent = seq + self.batch
                done = seq
                while done < seq + self.batch:
                    data = sock.recv(1 << 16)
                    if not data:
                        return
                    now = time.time()
                    reader.feed(data)
                    while done < seq + self.batch:
                        r = reader.gets()
                        if r is False:
                            break
                        self.record(done, r, now)
                        done += 1
                seq += self.batch
        except OSError:
            return
        finally:
            sock.close()


class AtomicWriter(Writer):
    """Transactions and scripts: units alternately MULTI/INCR ta/INCR tb/RPUSH tl u/EXEC and
    EVAL of the same three calls; after a crash ta == tb == len(tl), tl == 0..k-1 (all of a
    unit or none of it: an unterminated MULTI at the end of the file is dropped)."""

    SCRIPT = ("redis.call('INCR', KEYS[1]) redis.call('INCR', KEYS[2]) "
              "return redis.call('RPUSH', KEYS[3], ARGV[1])")

    def command(self, seq: int) -> bytes:
        k, u = seq % 6, 2 * (seq // 6)
        if k == 0:
            return resp("MULTI")
        if k == 1:
            return resp("INCR", self.key("ta"))
        if k == 2:
            return resp("INCR", self.key("tb"))
        if k == 3:
            return resp("RPUSH", self.key("tl"), u)
        if k == 4:
            return resp("EXEC")
        return resp("EVAL", self.SCRIPT, 3, self.key("ta"), self.key("tb"), self.key("tl"), u + 1)

    def expected_reply(self, seq: int):
        k, u = seq % 6, 2 * (seq // 6)
        return [b"OK", b"QUEUED", b"QUEUED", b"QUEUED", [u + 1] * 3, u + 2][k]

    @staticmethod
    def unit(seq: int) -> int | None:
        """The unit a command's reply acknowledges (EXEC, EVAL), else None."""
        k = seq % 6
        return 2 * (seq // 6) + (k == 5) if k in (4, 5) else None


def keys_of(prefix: str) -> list[str]:
    return [prefix + k for k in ("str", "cnt", "list", "hash", "z", "ta", "tb", "tl")]


def check_atomic(conn: Conn, prefix: str, k_known: int | None):
    def d(v):
        return v.decode() if isinstance(v, bytes) else v
    ta, tb = d(conn.call("GET", prefix + "ta")), d(conn.call("GET", prefix + "tb"))
    tl = [d(x) for x in conn.call("LRANGE", prefix + "tl", 0, -1)]
    k = len(tl)
    problems = []
    if k_known is not None and k != k_known:
        problems.append("%s: held %d units, now %d" % (prefix, k_known, k))
    want = str(k) if k else None
    if ta != want or tb != want or tl != [str(i) for i in range(k)]:
        problems.append("%s: a transaction or script half applied: ta=%r tb=%r tl=%r..."
                        % (prefix, ta, tb, tl[-3:]))
    return k, problems


def expected_state(k: int) -> dict:
    """What a writer's keys hold after its first k commands."""
    seqs = range(k)
    sets = [s for s in seqs if s % KINDS == 0]
    incrs = [s for s in seqs if s % KINDS == 1]
    pushes = [s for s in seqs if s % KINDS == 2]
    hsets = [s for s in seqs if s % KINDS == 3]
    zadds = [s for s in seqs if s % KINDS == 4]
    expires = [s for s in seqs if s % KINDS == 5]
    return {"str": str(sets[-1]) if sets else None,
            "cnt": str(len(incrs)) if incrs else None,
            "list": [str(s) for s in pushes],
            "hash": {"f%d" % s: str(s) for s in hsets},
            "z": [("m%d" % s, float(s)) for s in zadds],
            "expire": expires[-1] if expires else None}


def read_state(conn: Conn, prefix: str) -> dict:
    def d(v):
        return v.decode() if isinstance(v, bytes) else v
    h = conn.call("HGETALL", prefix + "hash")
    z = conn.call("ZRANGE", prefix + "z", 0, -1, "WITHSCORES")
    for r in (h, z):
        if isinstance(r, hiredis.ReplyError):
            raise RuntimeError("read failed: %s" % r)
    return {"str": d(conn.call("GET", prefix + "str")),
            "cnt": d(conn.call("GET", prefix + "cnt")),
            "list": [d(x) for x in conn.call("LRANGE", prefix + "list", 0, -1)],
            "hash": {d(h[i]): d(h[i + 1]) for i in range(0, len(h), 2)},
            "z": [(d(z[i]), float(z[i + 1])) for i in range(0, len(z), 2)],
            "pttl": conn.call("PTTL", prefix + "hash"),
            "now": time.time()}


def recovered_prefix(st: dict) -> int:
    """1 + the highest command number whose effect is visible (0 if none)."""
    top = -1
    if st["str"] is not None:
        top = max(top, int(st["str"]))
    if st["cnt"] is not None:
        top = max(top, (int(st["cnt"]) - 1) * KINDS + 1)
    if st["list"]:
        top = max(top, int(st["list"][-1]))
    if st["hash"]:
        top = max(top, max(int(f[1:]) for f in st["hash"]))
    if st["z"]:
        top = max(top, int(st["z"][-1][1]))
    return top + 1


def expire_ran_at(st: dict, seq: int) -> float:
    """When EXPIRE #seq must have run for the key to have the TTL it has now."""
    return st["now"] + st["pttl"] / 1000.0 - (TTL_BASE + TTL_STEP * seq)


def check_writer(conn: Conn, prefix: str, k_known: int | None, t_start: float, t_kill: float):
    """(k, problems): the recovered prefix and every way the data is not the first k commands.
    ``k_known`` (a round verified before) must be found again exactly."""
    st = read_state(conn, prefix)
    k = recovered_prefix(st)
    if k % KINDS == 5 and isinstance(st["pttl"], int) and st["pttl"] > 0:
        # an EXPIRE right after the last visible command shows only in the TTL
        if t_start - 2 <= expire_ran_at(st, k) <= t_kill + 2:
            k += 1
    problems = []
    if k_known is not None and k != k_known:
        problems.append("%s: held the first %d commands, now %d" % (prefix, k_known, k))
    want = expected_state(k)
    for field in ("str", "cnt", "list", "hash", "z"):
        if st[field] != want[field]:
            got, exp = repr(st[field]), repr(want[field])
            problems.append("%s%s: not the effect of the first %d commands: %s != %s"
                            % (prefix, field, k, got[:120], exp[:120]))
    if want["expire"] is None:
        if st["pttl"] not in (-1, -2):
            problems.append("%shash: TTL %r but no EXPIRE among the first %d commands" % (prefix, st["pttl"], k))
    elif not isinstance(st["pttl"], int) or st["pttl"] < 0:
        problems.append("%shash: no TTL after EXPIRE #%d" % (prefix, want["expire"]))
    else:
        # the absolute expiry must be kept, not re-based at load time: the moment the
        # EXPIRE ran, derived from the TTL, lies within the round
        set_at = expire_ran_at(st, want["expire"])
        if not (t_start - 2 <= set_at <= t_kill + 2):
            problems.append("%shash: TTL implies the EXPIRE ran at %+.1f s from the kill"
                            % (prefix, set_at - t_kill))
    return k, problems


# -- the campaign ---------------------------------------------------------------------------

def prefill(port: int, count: int, size: int) -> None:
    s = socket.create_connection((HOST, port), timeout=30)
    reader = hiredis.Reader()
    try:
        val = "v" * size
        for start in range(0, count, 500):
            n = min(500, count - start)
            s.sendall(b"".join(resp("SET", "fill:%d" % i, "%d:%s" % (i, val)) for i in range(start, start + n)))
            got = 0
            while got < n:
                r = reader.gets()
                if r is False:
                    reader.feed(s.recv(1 << 16))
                    continue
                if r != b"OK":
                    raise RuntimeError("prefill SET: %r" % r)
                got += 1
    finally:
        s.close()


def check_prefill(conn: Conn, count: int, size: int, rng: random.Random) -> list[str]:
    if not count:
        return []
    problems = []
    for i in [0, count - 1] + [rng.randrange(count) for _ in range(30)]:
        v = conn.call("GET", "fill:%d" % i)
        if v != ("%d:%s" % (i, "v" * size)).encode():
            problems.append("fill:%d lost or wrong: %r" % (i, v if v is None else v[:40]))
    return problems


def run_campaign(args, fsync: str, workdir: str, rng: random.Random) -> dict:
    datadir = os.path.join(workdir, "data-" + fsync)
    os.makedirs(datadir)
    srv = Server(args.server, datadir, fsync, args.server_arg, os.path.join(workdir, "server-%s.log" % fsync))
    stats = {"server": args.server, "appendfsync": fsync, "rounds": 0, "writes_sent": 0, "writes_acked": 0,
             "units_acked": 0, "lost": 0, "loss_window_max_s": 0.0, "inconsistent": 0, "bad_replies": 0,
             "failed_restarts": 0,
             "restart_s": [], "kills_during_rewrite": 0, "kills_during_bgsave": 0, "bgrewriteaof": 0,
             "bgsave": 0, "aborted": None, "error_replies": {}, "problems": [], "check_aof": None}
    history: list[tuple[str, int, float, float]] = []   # verified writers: (prefix, k, start, kill)
    deletes: list[tuple[list[str], float]] = []         # key sets deleted since the last restart, when
    deadline = time.time() + args.max_seconds
    try:
        try:
            srv.start(args.start_timeout)
        except RuntimeError as e:
            stats["problems"].append("first start: %s\n%s" % (e, srv.log_tail()))
            stats["failed_restarts"] += 1
            return stats
        prefill(srv.port, args.prefill, args.value_size)
        if fsync != "always":
            time.sleep(2.0)        # the prefill is older than the everysec window from here on
        try:
            for rnd in range(1, args.rounds + 1):
                # ---- write, with random background jobs, until the kill
                stop = threading.Event()
                writers = [Writer(srv.port, "c%d:%d:" % (rnd, w), args.batch, stop) for w in range(args.writers)]
                writers.append(AtomicWriter(srv.port, "c%d:tx:" % rnd, args.batch, stop))
                t_start = time.time()
                for w in writers:
                    w.start()
                duration = rng.uniform(args.min_round, args.max_round)
                ctl = Conn(srv.port)
                jobs = []
                if rng.random() < args.p_rewrite:
                    jobs.append((rng.uniform(0, duration), "BGREWRITEAOF"))
                if rng.random() < args.p_bgsave:
                    jobs.append((rng.uniform(0, duration), "BGSAVE"))
                kill_after_rewrite = rng.random() < args.p_kill_in_rewrite
                if kill_after_rewrite:     # issue a rewrite shortly before the kill
                    jobs.append((max(0.0, duration - rng.uniform(0.0, 0.3)), "BGREWRITEAOF"))
                for at, cmd in sorted(jobs):
                    time.sleep(max(0.0, t_start + at - time.time()))
                    ctl.call(cmd)
                    stats["bgrewriteaof" if cmd == "BGREWRITEAOF" else "bgsave"] += 1
                time.sleep(max(0.0, t_start + duration - time.time()))
                state = info(ctl)
                ctl.close()
                t_kill = time.time()
                srv.kill()
                stop.set()
                for w in writers:
                    w.join(10)
                if state.get("aof_rewrite_in_progress") == "1":
                    stats["kills_during_rewrite"] += 1
                if state.get("rdb_bgsave_in_progress") == "1":
                    stats["kills_during_bgsave"] += 1
                stats["rounds"] = rnd
                # ---- restart and check this round and earlier ones
                try:
                    stats["restart_s"].append(srv.start(args.start_timeout))
                except RuntimeError as e:
                    stats["failed_restarts"] += 1
                    stats["problems"].append("round %d restart: %s\n%s" % (rnd, e, srv.log_tail()))
                    break
                conn = Conn(srv.port)
                try:
                    for w in writers:
                        acked = [s for s, t in enumerate(w.ack) if t is not None]
                        for e, n in w.errors.items():
                            stats["error_replies"][e] = stats["error_replies"].get(e, 0) + n
                        stats["bad_replies"] += len(w.bad)
                        stats["problems"] += ["round %d %s %s" % (rnd, w.prefix, b) for b in w.bad[:3]]
                        if isinstance(w, AtomicWriter):
                            k, problems = check_atomic(conn, w.prefix, None)
                            units = [(w.unit(s), w.ack[s]) for s in acked if w.unit(s) is not None]
                            stats["units_acked"] += len(units)
                            lost_at = [t for u, t in units if u >= k]
                            sent = 2 * (w.sent // 6) + (w.sent % 6 == 5)
                        else:
                            k, problems = check_writer(conn, w.prefix, None, t_start, t_kill)
                            lost_at = [w.ack[s] for s in acked if s >= k]
                            sent = w.sent
                            stats["writes_sent"] += w.sent
                            stats["writes_acked"] += len(acked)
                        if k > sent:
                            problems.append("%s: found %d commands, only %d sent" % (w.prefix, k, sent))
                        if problems:
                            stats["inconsistent"] += 1
                            stats["problems"] += ["round %d %s" % (rnd, p) for p in problems[:3]]
                        if lost_at:
                            stats["lost"] += len(lost_at)
                            stats["loss_window_max_s"] = max(stats["loss_window_max_s"], t_kill - lost_at[0])
                        history.append((w.prefix, k, t_start, t_kill))
                    # keys deleted in this round (acknowledged DELs) must stay deleted
                    for prefixes, t_del in deletes:
                        back = [p for p in prefixes if conn.call("EXISTS", *keys_of(p))]
                        if back:
                            stats["lost"] += len(back)
                            stats["loss_window_max_s"] = max(stats["loss_window_max_s"], t_kill - t_del)
                            stats["problems"].append("round %d: %d deleted key sets back after the restart, "
                                                     "DEL acknowledged %.2f s before the kill"
                                                     % (rnd, len(back), t_kill - t_del))
                    # earlier rounds: the previous one and a few at random must be unchanged
                    older = history[:-len(writers)]
                    sample = older[-len(writers):] + rng.sample(older, min(len(older), 3))
                    for prefix, k, t0, tk in sample:
                        if prefix.endswith(":tx:"):
                            _, problems = check_atomic(conn, prefix, k)
                        else:
                            _, problems = check_writer(conn, prefix, k, t0, tk)
                        if problems:
                            stats["inconsistent"] += 1
                            stats["problems"] += ["round %d (re-check) %s" % (rnd, p) for p in problems[:3]]
                    lost_fill = check_prefill(conn, args.prefill, args.value_size, rng)
                    stats["inconsistent"] += bool(lost_fill)
                    stats["problems"] += ["round %d %s" % (rnd, p) for p in lost_fill[:3]]
                    # bound the dataset (and so the restart time): drop rounds older than --keep-rounds
                    old = [h for h in history if int(h[0][1:].split(":")[0]) <= rnd - args.keep_rounds]
                    deletes = []
                    if old:
                        for h in old:
                            r = conn.call("DEL", *keys_of(h[0]))
                            if isinstance(r, hiredis.ReplyError):
                                raise RuntimeError("DEL refused: %s" % r)
                        deletes = [([h[0] for h in old], time.time())]
                        history = [h for h in history if h not in old]
                finally:
                    conn.close()
                if not args.quiet:
                    print("%s %s round %d/%d: %d acked, %d lost so far, restart %.2fs"
                          % (args.server, fsync, rnd, args.rounds, stats["writes_acked"], stats["lost"],
                             stats["restart_s"][-1]), file=sys.stderr)
                if time.time() > deadline:
                    stats["problems"].append("stopped after %d rounds: --max-seconds reached" % rnd)
                    break
        except (OSError, RuntimeError) as e:     # a hung or vanished server: the campaign failed
            stats["aborted"] = "round %d: %s: %s" % (stats["rounds"] + 1, type(e).__name__, e)
            stats["problems"].append(stats["aborted"] + "\n" + srv.log_tail())
    finally:
        srv.stop()
    stats["check_aof"] = check_aof(datadir)
    return stats


def check_aof(datadir: str) -> str:
    """redis-check-aof on the manifest (the server is stopped): 'ok' or its complaint."""
    if not shutil.which("redis-check-aof"):
        return "skipped (redis-check-aof not found)"
    aofdir = os.path.join(datadir, "appendonlydir")
    manifests = [f for f in os.listdir(aofdir) if f.endswith(".manifest")] if os.path.isdir(aofdir) else []
    if not manifests:
        return "no manifest in %s" % aofdir
    r = subprocess.run(["redis-check-aof", os.path.join(aofdir, manifests[0])],
                       capture_output=True, text=True, timeout=120, input="")
    out = (r.stdout + r.stderr).strip()
    if r.returncode == 0 and "is valid" in out:
        return "ok"
    return "rc=%d: %s" % (r.returncode, out[-400:])


def summarize(all_stats: list[dict]) -> str:
    lines = ["| server | appendfsync | rounds | writes acked | MULTI/EVAL units acked | lost "
             "| loss window max (s) | inconsistent | failed restarts | restart median / max (s) "
             "| kills in rewrite / bgsave | redis-check-aof |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for s in all_stats:
        rs = s["restart_s"]
        restart = "%.2f / %.2f" % (statistics.median(rs), max(rs)) if rs else "-"
        lines.append("| %s | %s | %d | %d | %d | %d | %.2f | %d | %d | %s | %d / %d | %s |" % (
            s["server"], s["appendfsync"], s["rounds"], s["writes_acked"], s["units_acked"], s["lost"],
            s["loss_window_max_s"],
            s["inconsistent"], s["failed_restarts"], restart, s["kills_during_rewrite"],
            s["kills_during_bgsave"], s["check_aof"]))
    return "\n".join(lines)


def verdict(s: dict, max_window: float) -> list[str]:
    """Why this campaign failed ([] = passed)."""
    why = []
    if s["aborted"]:
        why.append("aborted: %s" % s["aborted"])
    if s["failed_restarts"]:
        why.append("failed restarts: %d" % s["failed_restarts"])
    if s["inconsistent"] or s["bad_replies"]:
        why.append("inconsistent data: %d, wrong replies: %d" % (s["inconsistent"], s["bad_replies"]))
    if s["appendfsync"] == "always" and s["lost"]:
        why.append("always lost %d acknowledged writes" % s["lost"])
    if s["loss_window_max_s"] > max_window:
        why.append("loss window %.2f s > %.1f s" % (s["loss_window_max_s"], max_window))
    if s["check_aof"] not in ("ok",) and not str(s["check_aof"]).startswith("skipped"):
        why.append("redis-check-aof: %s" % s["check_aof"])
    if not s["writes_acked"]:
        why.append("no write was acknowledged")
    return why


# -- full disk ------------------------------------------------------------------------------

def mount_tmpfs(path: str, size: str) -> None:
    if os.geteuid() != 0:
        raise SystemExit("--tiny-fs mounts a tmpfs: run as root")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", path], capture_output=True, text=True)
    if r.returncode:
        raise SystemExit("cannot mount a tmpfs: %s" % r.stderr.strip())


def fill_disk(path: str, leave: int) -> None:
    """A ballast file that leaves about ``leave`` bytes free."""
    st = os.statvfs(path)
    free = st.f_bavail * st.f_frsize
    with open(os.path.join(path, "ballast"), "ab") as f:
        f.write(b"\0" * max(0, free - leave))


def write_until_refused(conn: Conn, prefix: str, start: int, value: str, limit: int, acked: dict) -> tuple[int, object]:
    """SET prefix<i> until the server refuses one; (next i, the refusal)."""
    i = start
    while i < start + limit:
        r = conn.call("SET", "%s%d" % (prefix, i), value)
        if isinstance(r, hiredis.ReplyError):
            return i, r
        acked["%s%d" % (prefix, i)] = value
        i += 1
    return i, None


def tiny_fs_campaign(args, fsync: str, workdir: str) -> dict:
    mnt = os.path.join(workdir, "tiny-" + fsync)
    os.makedirs(mnt)
    mount_tmpfs(mnt, args.tiny_size)
    res = {"server": args.server, "appendfsync": fsync, "checks": {}, "problems": [], "check_aof": None}
    chk = res["checks"]
    srv = Server(args.server, mnt, fsync, args.server_arg, os.path.join(workdir, "server-tinyfs-%s.log" % fsync))
    acked: dict[str, str] = {}
    value = "x" * 1000

    def expect(name: str, ok: bool, detail="") -> None:
        chk[name] = bool(ok)
        if not ok:
            res["problems"].append("%s: %s" % (name, detail))

    def wait_for(cond, seconds: float):
        end = time.time() + seconds
        while time.time() < end:
            v = cond()
            if v:
                return v
            time.sleep(0.1)
        return cond()

    try:
        srv.start(args.start_timeout)
        c = Conn(srv.port)
        # ---- phase 1: the disk fills during appends
        fill_disk(mnt, 64 * 1024)
        try:
            i, refusal = write_until_refused(c, "a:", 0, value, 5000, acked)
        except OSError:                 # the server closed the connection
            refusal = "connection closed"
        expect("appends: a write is refused when the disk is full", refusal is not None, "all writes accepted")
        if fsync == "always":
            # Redis cannot keep an acknowledged-means-on-disk promise any more: it exits
            # ("Can't recover from AOF write error when the AOF fsync policy is 'always'")
            exited = wait_for(lambda: srv.proc.poll() is not None, 10)
            expect("appends (always): the server exits, as Redis does", exited, "still running")
            log = srv.log_tail(60)
            expect("appends (always): the error is logged", "AOF" in log and "always" in log, log[-300:])
            srv.kill()
            os.unlink(os.path.join(mnt, "ballast"))
            srv.start(args.start_timeout)
            c = Conn(srv.port)
            missing = [k for k, v in acked.items() if c.call("GET", k) != v.encode()]
            expect("appends (always): restart with space loads every acknowledged write", not missing,
                   "%d of %d missing" % (len(missing), len(acked)))
        else:
            if srv.proc.poll() is not None:
                expect("appends: the server stays up", False, "exited with %s" % srv.proc.returncode)
                raise RuntimeError("server exited")
            text = str(refusal)
            # the failed write is noticed when the loop flushes, so the refusal may come a
            # command later: wait for the status, then check the refusal text
            st = wait_for(lambda: info(c).get("aof_last_write_status") == "err", 5)
            expect("appends: INFO aof_last_write_status:err", st, info(c).get("aof_last_write_status"))
            r = c.call("SET", "after-full", "x")
            expect("appends: writes refused with -MISCONF", isinstance(r, hiredis.ReplyError)
                   and str(r).startswith("MISCONF Errors writing to the AOF file"),
                   "%r (first refusal %r)" % (r, text))
            some = next(iter(acked)) if acked else None
            expect("appends: reads still served", some is None or c.call("GET", some) == acked[some].encode(),
                   "GET %s failed" % some)
            log = srv.log_tail(60)
            expect("appends: the error is logged",
                   any("write" in ln.lower() and ("aof" in ln.lower() or "append" in ln.lower())
                       for ln in log.splitlines()), log[-300:])
            res["first_refusal"] = text
            # ---- space returns
            os.unlink(os.path.join(mnt, "ballast"))
            ok = wait_for(lambda: info(c).get("aof_last_write_status") == "ok", 10)
            expect("appends: recovers when space returns (aof_last_write_status:ok)", ok, info(c))
        r = c.call("SET", "after-recovery", "y")
        expect("appends: writes accepted again", r == b"OK", repr(r))
        if r == b"OK":
            acked["after-recovery"] = "y"
        # ---- phase 2: a rewrite that does not fit
        for n in range(300):        # a dataset of ~300 KB more, then leave less than that free
            k = "b:%d" % n
            if c.call("SET", k, value) == b"OK":
                acked[k] = value
        time.sleep(1.5)             # let everysec flush what it has
        fill_disk(mnt, 100 * 1024)
        r = c.call("BGREWRITEAOF")
        expect("rewrite: BGREWRITEAOF accepted or refused cleanly", not isinstance(r, hiredis.ReplyError)
               or "rewriting" in str(r).lower(), repr(r))
        done = wait_for(lambda: info(c).get("aof_rewrite_in_progress") == "0"
                        and info(c).get("aof_rewrite_scheduled") == "0", 20)
        inf = info(c)
        expect("rewrite: finishes", done, inf)
        expect("rewrite: INFO aof_last_bgrewrite_status:err", inf.get("aof_last_bgrewrite_status") == "err", inf)
        expect("rewrite: reads still served", c.call("GET", "b:0") == value.encode(), "GET b:0")
        os.unlink(os.path.join(mnt, "ballast"))
        ok = wait_for(lambda: info(c).get("aof_last_write_status") == "ok", 10)
        r = c.call("SET", "after-rewrite-failure", "z")
        expect("rewrite: writes accepted once space returns", ok and r == b"OK", "%r %r" % (r, info(c)))
        if r == b"OK":
            acked["after-rewrite-failure"] = "z"
        c.call("BGREWRITEAOF")
        wait_for(lambda: info(c).get("aof_rewrite_in_progress") == "0"
                 and info(c).get("aof_rewrite_scheduled") == "0", 30)
        expect("rewrite: succeeds once space returns", info(c).get("aof_last_bgrewrite_status") == "ok", info(c))
        c.call("SET", "final", "f")
        acked["final"] = "f"
        time.sleep(1.5)
        c.close()
        # ---- a crash, then every acknowledged write is there
        srv.kill()
        srv.start(args.start_timeout)
        c = Conn(srv.port)
        missing = [k for k, v in acked.items() if c.call("GET", k) != v.encode()]
        expect("restart: every acknowledged write loaded", not missing,
               "%d of %d missing, e.g. %s" % (len(missing), len(acked), missing[:5]))
        c.close()
        res["acked"] = len(acked)
    except (RuntimeError, OSError) as e:
        res["problems"].append("aborted: %s\n%s" % (e, srv.log_tail()))
    finally:
        srv.stop()
        res["check_aof"] = check_aof(mnt)
        expect("no file left corrupt (redis-check-aof)", res["check_aof"] == "ok", res["check_aof"])
        if subprocess.run(["umount", mnt]).returncode != 0:
            subprocess.run(["umount", "-l", mnt])
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--server", choices=("pickledbd", "redis"), default="pickledbd")
    ap.add_argument("--fsync", default="always,everysec",
                    help="comma-separated appendfsync policies, one campaign each")
    ap.add_argument("--rounds", type=int, default=50, help="kill/restart rounds per policy")
    ap.add_argument("--writers", type=int, default=4, help="writer connections")
    ap.add_argument("--batch", type=int, default=16, help="commands per pipelined batch")
    ap.add_argument("--min-round", type=float, default=0.2, help="shortest time from writers' start to the kill (s)")
    ap.add_argument("--max-round", type=float, default=2.0, help="longest time from writers' start to the kill (s)")
    ap.add_argument("--p-rewrite", type=float, default=0.3, help="chance of a BGREWRITEAOF at a random moment")
    ap.add_argument("--p-bgsave", type=float, default=0.2, help="chance of a BGSAVE at a random moment")
    ap.add_argument("--p-kill-in-rewrite", type=float, default=0.25,
                    help="chance of a BGREWRITEAOF 0-300 ms before the kill")
    ap.add_argument("--prefill", type=int, default=20000, help="keys written before round 1 (rewrite and load work)")
    ap.add_argument("--value-size", type=int, default=100)
    ap.add_argument("--keep-rounds", type=int, default=4,
                    help="rounds whose keys stay; older ones are deleted (and must stay deleted)")
    ap.add_argument("--max-window", type=float, default=2.5, help="everysec: largest acceptable loss window (s)")
    ap.add_argument("--max-seconds", type=float, default=900, help="per policy: no new round after this")
    ap.add_argument("--start-timeout", type=float, default=60)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--server-arg", action="append", default=[], help="extra flag for the server (repeat)")
    ap.add_argument("--tiny-fs", action="store_true", help="full-disk checks on a small tmpfs instead (root)")
    ap.add_argument("--tiny-size", default="2m", help="tmpfs size for --tiny-fs")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (kept anyway on failure)")
    ap.add_argument("--json", action="store_true", help="print one JSON line of results last")
    ap.add_argument("--quiet", action="store_true", help="no per-round progress on stderr")
    args = ap.parse_args()
    needed = ["redis-server"] if args.server == "redis" else []
    for binary in needed:
        if not shutil.which(binary):
            sys.exit("%s not found: apt-get install redis-server" % binary)
    # a SIGTERM (timeout, Ctrl-C from a wrapper) unwinds through the finally blocks that stop the server
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    workdir = tempfile.mkdtemp(prefix="crashtest-")
    failed = []
    try:
        if args.tiny_fs:
            results = []
            for fsync in [f.strip() for f in args.fsync.split(",") if f.strip()]:
                res = tiny_fs_campaign(args, fsync, workdir)
                results.append(res)
                print("\nFull disk (%s, appendfsync %s, tmpfs %s):\n" % (args.server, fsync, args.tiny_size))
                print("| check | result |\n|---|---|")
                for name, ok in res["checks"].items():
                    print("| %s | %s |" % (name, "ok" if ok else "FAILED"))
                for p in res["problems"]:
                    print("  - " + p.replace("\n", "\n    "))
                failed += ["%s: %s" % (fsync, p) for p in res["problems"]]
            if args.json:
                print(json.dumps({"tiny_fs": results, "failed": failed}, default=str))
        else:
            all_stats = []
            for fsync in [f.strip() for f in args.fsync.split(",") if f.strip()]:
                s = run_campaign(args, fsync, workdir, rng)
                all_stats.append(s)
                failed += ["%s: %s" % (fsync, w) for w in verdict(s, args.max_window)]
            print("\nCrash campaign, seed %d, %s (SIGKILL at random moments; restart times to the first +PONG)\n"
                  % (seed, time.strftime("%Y-%m-%d %H:%M")))
            print(summarize(all_stats))
            for s in all_stats:
                if s["error_replies"]:
                    print("\n%s error replies (not counted as acknowledged): %s"
                          % (s["appendfsync"], s["error_replies"]))
                for p in s["problems"][:20]:
                    print("  - %s: %s" % (s["appendfsync"], p.replace("\n", "\n    ")))
            for f in failed:
                print("FAILED: " + f)
            if args.json:
                for s in all_stats:
                    rs = s.pop("restart_s")
                    s["restart_median_s"] = statistics.median(rs) if rs else None
                    s["restart_max_s"] = max(rs) if rs else None
                    s["problems"] = s["problems"][:20]
                print(json.dumps({"seed": seed, "campaigns": all_stats, "failed": failed}))
    finally:
        if failed or args.keep:
            print("work directory kept: %s" % workdir, file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
