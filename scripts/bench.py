#!/usr/bin/env python3
"""pickledbd vs redis-server, side by side, with redis-benchmark.

Starts both servers on free loopback ports, runs ``redis-benchmark -c 50 -n N -t TESTS -P P``
against each, alternating the two servers test by test and round by round, and prints the
median requests/second per server and the ratio pickledbd/redis.

    python scripts/bench.py                       # issue 3 + 4 tests, -P 1 and -P 16, 3 rounds
    python scripts/bench.py --tests set,get --pipeline 16 --rounds 5 -n 200000
    python scripts/bench.py --pubsub              # PUBLISH fan-out to 1, 10, 100 subscribers
    python scripts/bench.py --scripting           # EVALSHA of a 1-call and a 5-call script
    python scripts/bench.py --types               # issue 10: streams, bitmaps, HyperLogLog, geo
    python scripts/bench.py --aof                 # SET/INCR with appendonly yes: always, everysec, and no AOF
    python scripts/bench.py --full                # issue 12: the README table (rps, p50/p99, CPU, memory)
    python scripts/bench.py --memory --sets 10k   # only the memory table (data sets whose name has "10k")
    python scripts/bench.py --floor               # PING: a do-nothing uvloop server beside both

Pub/sub mode: ``redis-benchmark -P 16 PUBLISH ch <payload>`` publishes while one reader
(this process: raw sockets, large receive buffers, epoll, counting bytes of the fixed-size
``message`` frames) holds every subscriber; the clock stops when every subscriber has every
message. The figures are delivered messages per second (publishes x subscribers / time) and
per second of the server's own CPU time (steadier on a busy machine).

Scripting mode: both scripts are loaded with SCRIPT LOAD on both servers (same sha), then
``redis-benchmark ... EVALSHA <sha> <numkeys> <keys...>`` runs at each -P; a plain GET runs
beside them as the no-script reference.

Types mode (issue 10): XADD, XRANGE of 10 entries (a pre-filled stream), SETBIT (a key per
random int: redis-benchmark's ``__rand_int__`` is zero-padded, which Redis refuses as a bit
offset), BITCOUNT of a 1M-bit bitmap, PFADD of random elements, PFCOUNT, GEOADD of random
members, each through ``redis-benchmark ... <command>`` with ``-r 1000000``.

AOF mode (issue 11): three pairs of servers run side by side, configured the same: no AOF,
``appendonly yes`` + ``appendfsync always`` and + ``everysec`` (redis-server also gets
``aof-use-rdb-preamble no``, the format pickledbd writes); SET and INCR at each -P, the runs of
the three pairs interleaved so machine load hits them alike. The data directories are under
``--workdir`` (default: the system temp directory): put it on the disk you mean to measure,
never on a tmpfs, where fsync costs nothing.

Full mode (issue 12, the README table): 18 tests (redis-benchmark's SET GET INCR MSET LPUSH RPUSH
LPOP RPOP SADD HSET SPOP ZADD ZPOPMIN with ``-r --keyspace``; LRANGE_100/300 as ``LRANGE mylist 0
99/299``; PUBLISH with no subscriber, EVALSHA of a SCRIPT LOADed GET, XADD as commands) at each -P,
paired rounds; tables of requests/second, p50/p99 latency at -P 1, server CPU microseconds per
request (/proc/<pid>/task/*/schedstat), and bytes per key/element from INFO memory deltas (each
data set filled over one pipelined connection on a fresh pair of servers). The pops' structures are
topped up before every run and checked after it: one element gone per request, never empty.

Floor mode: what any Python server on uvloop pays per request before doing any work. A
protocol that answers ``+PONG`` to every request and does nothing else runs beside both servers
under ``redis-benchmark -t ping_mbulk``; its requests/second and CPU per request are the ceiling
pickledbd's event loop leaves it, at -P 1 (where the per-read cost dominates) and -P 16.

Everything runs on 127.0.0.1 and every process started is stopped at the end.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import io
import os
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

STRING_TESTS = "set,get,incr,mset"
TYPE_TESTS = "lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange_100,lrange_300"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port: int, proc: subprocess.Popen, timeout: float = 20.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server on port %d exited with %s" % (port, proc.returncode))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(64).startswith(b"+PONG"):
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server on port %d did not become ready" % port)


def start_servers(workdir: str, pickledbd_args: list[str], baseline: str | None = None,
                  redis_args: list[str] | None = None):
    """redis-server and pickledbd (this checkout); with ``baseline``, also the pickledbd of
    another checkout (e.g. ``git worktree add /tmp/base <rev>``), as "base". ``redis_args``
    replace redis-server's default ``--appendonly no``."""
    servers = {}
    rport = free_port()
    rdir = os.path.join(workdir, "redis")
    os.makedirs(rdir)
    servers["redis"] = (rport, subprocess.Popen(
        ["redis-server", "--port", str(rport), "--bind", "127.0.0.1", "--save", "", "--dir", rdir]
        + (["--appendonly", "no"] if redis_args is None else list(redis_args)),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    pport = free_port()
    pdir = os.path.join(workdir, "pickledbd")
    os.makedirs(pdir)
    servers["pickledbd"] = (pport, subprocess.Popen(
        [sys.executable, "-m", "pickledbd", "--port", str(pport), "--bind", "127.0.0.1", "--save", "",
         "--dir", pdir, "--loglevel", "warning"] + pickledbd_args,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    if baseline:
        bport = free_port()
        bdir = os.path.join(workdir, "base")
        os.makedirs(bdir)
        env = dict(os.environ, PYTHONPATH=os.path.abspath(baseline))
        servers["base"] = (bport, subprocess.Popen(
            [sys.executable, "-m", "pickledbd", "--port", str(bport), "--bind", "127.0.0.1", "--save", "",
             "--dir", bdir, "--loglevel", "warning"] + pickledbd_args,
            cwd=os.path.abspath(baseline), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    try:
        for port, proc in servers.values():
            wait_ready(port, proc)
    except BaseException:
        stop_servers(servers)       # one that failed to start must not leave the others running
        raise
    return servers


def stop_servers(servers) -> None:
    for port, proc in servers.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for port, proc in servers.values():
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def paired_runs(args, names, tests):
    """(test, -P, requests, server) in the order every mode runs them: rounds, then -P values,
    tests and servers, who goes first alternating from round to round (-P 1 runs n/2)."""
    pipelines = [int(p) for p in args.pipeline.split(",")]
    for rnd in range(args.rounds):
        order = sorted(names, reverse=rnd % 2 == 1)
        for p in pipelines:
            n = args.n if p > 1 else max(10000, args.n // 2)
            for test in tests:
                for name in order:
                    yield test, p, n, name
        print("round %d/%d done" % (rnd + 1, args.rounds), file=sys.stderr)


def run_benchmark(port: int, test: str, n: int, pipeline: int, clients: int, timeout: float,
                  keyspace: int = 0) -> float:
    cmd = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-c", str(clients), "-n", str(n),
           "-P", str(pipeline), "-t", test, "--csv"] + (["-r", str(keyspace)] if keyspace else [])
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout).stdout
    rows = list(csv.reader(io.StringIO(out)))
    for row in rows[1:]:
        if row and row[0].lower().startswith(test.lower()):
            return float(row[1])
    raise RuntimeError("no result for %s in: %r" % (test, out))


# name -> (script, keys, args) for --scripting; every call returns or writes fixed-size data
SCRIPTS = {
    "evalsha_get": ("return redis.call('GET', KEYS[1])", ["bench:str"], []),
    "evalsha_5calls": ("local v = redis.call('GET', KEYS[1])\n"
                       "redis.call('INCR', KEYS[2])\n"
                       "redis.call('HSET', KEYS[3], 'field', v)\n"
                       "redis.call('EXPIRE', KEYS[3], 3600)\n"
                       "return redis.call('GET', KEYS[1])",
                       ["bench:str", "bench:counter", "bench:hash"], []),
}


def command(port: int, *args: str) -> bytes:
    """One request on a new connection; the reply's first line (enough for SET / SCRIPT LOAD)."""
    req = b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a.encode()), a.encode()) for a in args)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(req)
        got = b""
        while got.count(b"\r\n") < (2 if got[:1] == b"$" else 1):
            chunk = s.recv(4096)
            if not chunk:
                break
            got += chunk
    return got


def load_scripts(port: int) -> dict:
    """SCRIPT LOAD every script (and the key they read); name -> EVALSHA arguments."""
    if not command(port, "SET", "bench:str", "xxx").startswith(b"+OK"):
        raise RuntimeError("SET failed on port %d" % port)
    evalsha = {}
    for name, (body, keys, argv) in SCRIPTS.items():
        sha = hashlib.sha1(body.encode()).hexdigest()
        got = command(port, "SCRIPT", "LOAD", body)
        if sha.encode() not in got:
            raise RuntimeError("SCRIPT LOAD on port %d: %r" % (port, got))
        evalsha[name] = ["EVALSHA", sha, str(len(keys))] + keys + argv
    return evalsha


def run_command_benchmark(port: int, argv: list, n: int, pipeline: int, clients: int, timeout: float,
                          keyspace: int = 0) -> float:
    """redis-benchmark of one arbitrary command (``keyspace``: -r for __rand_int__); its requests/second."""
    cmd = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-c", str(clients), "-n", str(n),
           "-P", str(pipeline), "--csv"] + (["-r", str(keyspace)] if keyspace else []) + argv
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout).stdout
    rows = [row for row in csv.reader(io.StringIO(out)) if row]
    if len(rows) < 2:
        raise RuntimeError("no result for %s in: %r" % (argv[0], out))
    return float(rows[1][1])


# issue 10: name -> redis-benchmark command (``__rand_int__`` with -r 1000000)
TYPE10_TESTS = {
    "xadd": ["xadd", "bench:stream", "*", "f", "v"],
    "xrange_10": ["xrange", "bench:stream10", "-", "+", "count", "10"],
    "setbit": ["setbit", "bench:bm:__rand_int__", "7", "1"],
    "bitcount": ["bitcount", "bench:bitmap"],
    "pfadd": ["pfadd", "bench:hll", "__rand_int__"],
    "pfcount": ["pfcount", "bench:hll10k"],
    "geoadd": ["geoadd", "bench:geo", "13.36", "38.11", "m:__rand_int__"],
}


def prefill_types(port: int) -> None:
    """The keys the read tests read: a 20-entry stream, a 1M-bit bitmap, a 10k-element HLL."""
    for i in range(20):
        command(port, "XADD", "bench:stream10", "*", "f", str(i), "g", "v" * 16)
    command(port, "SET", "bench:bitmap", "\x55" * 125000)     # 1M bits, every other one set
    for start in range(0, 10000, 1000):
        command(port, "PFADD", "bench:hll10k", *["e%d" % i for i in range(start, start + 1000)])
    got = command(port, "BITCOUNT", "bench:bitmap")
    if not got.startswith(b":500000"):
        raise RuntimeError("bitmap prefill on port %d: %r" % (port, got))


def types_main(args) -> int:
    pipelines = [int(p) for p in args.pipeline.split(",")]
    tests = list(TYPE10_TESTS)
    results: dict = {}
    with tempfile.TemporaryDirectory(dir=args.workdir) as workdir:
        servers = start_servers(workdir, args.pickledbd_arg, args.baseline)
        try:
            for port, proc in servers.values():
                prefill_types(port)
            for test, p, n, name in paired_runs(args, servers, tests):
                rps = run_command_benchmark(servers[name][0], TYPE10_TESTS[test], n, p, args.clients,
                                            args.timeout, keyspace=1000000)
                results.setdefault((test, p, name), []).append(rps)
        finally:
            stop_servers(servers)
    print_table(args, tests, pipelines, results,
                "redis-benchmark -c %d -r 1000000, issue-10 types (SETBIT: a key per random int, bit 7), "
                "medians of %d rounds (requests/second), %s\n"
                % (args.clients, args.rounds, time.strftime("%Y-%m-%d %H:%M")))
    return 0


AOF_MODES = ("no AOF", "always", "everysec")


def aof_main(args) -> int:
    """SET and INCR with the AOF on (always, everysec) and off, three server pairs side by side."""
    pipelines = [int(p) for p in args.pipeline.split(",")]
    tests = ["set", "incr"]
    results: dict = {}
    pairs: dict = {}
    with tempfile.TemporaryDirectory(dir=args.workdir) as workdir:
        try:
            for mode in AOF_MODES:
                sub = os.path.join(workdir, mode.replace(" ", "-"))
                os.makedirs(sub)
                if mode == "no AOF":
                    pairs[mode] = start_servers(sub, args.pickledbd_arg)
                    continue
                aof = ["--appendonly", "yes", "--appendfsync", mode]
                try:
                    pairs[mode] = start_servers(sub, args.pickledbd_arg + aof, None,
                                                aof + ["--aof-use-rdb-preamble", "no"])
                except RuntimeError as e:
                    sys.exit("could not start the servers with %s: %s (does this pickledbd accept "
                             "appendonly yes?)" % (" ".join(aof), e))
            runs = [(test, mode) for test in tests for mode in AOF_MODES]
            for (test, mode), p, n, name in paired_runs(args, ["pickledbd", "redis"], runs):
                port, proc = pairs[mode][name]
                cpu0 = cpu_seconds(proc.pid)
                rps = run_benchmark(port, test, n, p, args.clients, args.timeout)
                cpu = cpu_seconds(proc.pid) - cpu0
                results.setdefault((test, p, mode, name), []).append(rps)
                results.setdefault((test, p, mode, name, "cpu"), []).append(n / max(cpu, 1e-3))
        finally:
            for servers in pairs.values():
                stop_servers(servers)
    print("\nredis-benchmark -c %d, appendonly yes (both servers alike) vs no AOF, medians of %d rounds "
          "(requests/second), %s\n" % (args.clients, args.rounds, time.strftime("%Y-%m-%d %H:%M")))
    print("| test | -P | appendfsync | pickledbd | redis-server | ratio | target |")
    print("|---|---:|---|---:|---:|---:|---|")
    for p in pipelines:
        for test in tests:
            ratios = {}
            for mode in AOF_MODES:
                a = statistics.median(results[(test, p, mode, "pickledbd")])
                b = statistics.median(results[(test, p, mode, "redis")])
                ratios[mode] = a / b
                if mode == "always":
                    target = ">= 0.80x: %s" % ("met" if ratios[mode] >= 0.8 else "MISSED")
                elif mode == "everysec":
                    bar = ratios["no AOF"] - 0.10
                    target = ">= %.2fx (no-AOF ratio - 0.10): %s" % (bar, "met" if ratios[mode] >= bar else "MISSED")
                else:
                    target = ""
                print("| %s | %d | %s | %.0f | %.0f | %.2fx | %s |" % (test, p, mode, a, b, a / b, target))
    print("\nThe same runs per second of the server's own CPU time (requests per CPU-second, the "
          "fsync thread included: steadier on a busy machine)\n")
    print("| test | -P | appendfsync | pickledbd | redis-server | ratio |")
    print("|---|---:|---|---:|---:|---:|")
    for p in pipelines:
        for test in tests:
            for mode in AOF_MODES:
                a = statistics.median(results[(test, p, mode, "pickledbd", "cpu")])
                b = statistics.median(results[(test, p, mode, "redis", "cpu")])
                print("| %s | %d | %s | %.0f | %.0f | %.2fx |" % (test, p, mode, a, b, a / b))
    return 0


def scripting_main(args) -> int:
    pipelines = [int(p) for p in args.pipeline.split(",")]
    tests = ["get"] + list(SCRIPTS)
    results: dict = {}
    with tempfile.TemporaryDirectory() as workdir:
        servers = start_servers(workdir, args.pickledbd_arg, args.baseline)
        try:
            evalsha = {name: load_scripts(port) for name, (port, proc) in servers.items()}
            for test, p, n, name in paired_runs(args, servers, tests):
                port, proc = servers[name]
                cpu0 = cpu_seconds(proc.pid)
                if test == "get":
                    rps = run_benchmark(port, test, n, p, args.clients, args.timeout)
                else:
                    rps = run_command_benchmark(port, evalsha[name][test], n, p, args.clients, args.timeout)
                results.setdefault((test, p, name), []).append(rps)
                cpu = cpu_seconds(proc.pid) - cpu0
                results.setdefault((test, p, name, "cpu"), []).append(n / max(cpu, 1e-3))
        finally:
            stop_servers(servers)
    print_table(args, tests, pipelines, results,
                "redis-benchmark -c %d EVALSHA (scripts loaded with SCRIPT LOAD), GET for reference, "
                "medians of %d rounds (requests/second), %s\n"
                % (args.clients, args.rounds, time.strftime("%Y-%m-%d %H:%M")))
    cpu_results = {k[:3]: v for k, v in results.items() if k[-1] == "cpu"}
    print_table(args, tests, pipelines, cpu_results,
                "The same runs per second of the server's own CPU time (requests per CPU-second: "
                "steadier on a busy machine)\n")
    return 0


def print_table(args, tests, pipelines, results, title: str) -> None:
    print("\n" + title)
    if args.baseline:
        print("| test | -P | pickledbd | baseline | now/baseline | redis-server | ratio |")
        print("|---|---:|---:|---:|---:|---:|---:|")
    else:
        print("| test | -P | pickledbd | redis-server | ratio |")
        print("|---|---:|---:|---:|---:|")
    for p in pipelines:
        for test in tests:
            a = statistics.median(results[(test, p, "pickledbd")])
            b = statistics.median(results[(test, p, "redis")])
            if args.baseline:
                base = statistics.median(results[(test, p, "base")])
                print("| %s | %d | %.0f | %.0f | %.2fx | %.0f | %.2fx |" % (test, p, a, base, a / base, b, a / b))
            else:
                print("| %s | %d | %.0f | %.0f | %.2fx |" % (test, p, a, b, a / b))


# the floor: one +PONG per request (a multibulk request starts with "*", an inline PING is
# wait_ready's), nothing parsed, nothing stored
NULL_SERVER = """
import asyncio, sys, uvloop
class Null(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
    def data_received(self, data):
        n = data.count(b"*") or (1 if data.startswith(b"PING") else 0)
        self.transport.write(b"+PONG\\r\\n" * n)
async def main():
    server = await asyncio.get_running_loop().create_server(Null, "127.0.0.1", int(sys.argv[1]))
    await server.serve_forever()
uvloop.run(main())
"""


def floor_main(args) -> int:
    pipelines = [int(p) for p in args.pipeline.split(",")]
    rps: dict = {}
    cpu: dict = {}
    with tempfile.TemporaryDirectory() as workdir:
        servers = start_servers(workdir, args.pickledbd_arg)
        port = free_port()
        servers["floor"] = (port, subprocess.Popen([sys.executable, "-c", NULL_SERVER, str(port)],
                                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        try:
            wait_ready(port, servers["floor"][1])
            for test, p, n, name in paired_runs(args, servers, ["ping_mbulk"]):
                port, proc = servers[name]
                cpu0 = cpu_ns(proc.pid)
                rps.setdefault((p, name), []).append(run_benchmark(port, test, n, p, args.clients, args.timeout))
                cpu.setdefault((p, name), []).append((cpu_ns(proc.pid) - cpu0) / 1000 / n)
        finally:
            stop_servers(servers)
    print("\nPING_MBULK, redis-benchmark -c %d, medians of %d rounds, %s: requests/second and server CPU "
          "us per request (ratios to redis-server)\n" % (args.clients, args.rounds, time.strftime("%Y-%m-%d %H:%M")))
    print("| -P | floor rps | pickledbd rps | redis rps | floor | pickledbd | floor CPU | pickledbd CPU "
          "| redis CPU | floor | pickledbd |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for p in pipelines:
        r = {name: statistics.median(rps[(p, name)]) for name in ("floor", "pickledbd", "redis")}
        c = {name: statistics.median(cpu[(p, name)]) for name in ("floor", "pickledbd", "redis")}
        print("| %d | %.0f | %.0f | %.0f | %s | %s | %.2f | %.2f | %.2f | %s | %s |"
              % (p, r["floor"], r["pickledbd"], r["redis"], ratio(r["floor"], r["redis"]),
                 ratio(r["pickledbd"], r["redis"]), c["floor"], c["pickledbd"], c["redis"],
                 ratio(c["floor"], c["redis"]), ratio(c["pickledbd"], c["redis"])))
    return 0


def connect_subscribers(port: int, count: int, channel: bytes) -> list:
    """``count`` raw sockets, each subscribed to ``channel`` (confirmation read)."""
    socks = []
    req = b"*2\r\n$9\r\nSUBSCRIBE\r\n$%d\r\n%s\r\n" % (len(channel), channel)
    confirm = b"*3\r\n$9\r\nsubscribe\r\n$%d\r\n%s\r\n:1\r\n" % (len(channel), channel)
    for _ in range(count):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        s.connect(("127.0.0.1", port))
        s.sendall(req)
        got = b""
        while len(got) < len(confirm):
            got += s.recv(len(confirm) - len(got))
        if got != confirm:
            raise RuntimeError("unexpected SUBSCRIBE reply %r" % got)
        s.setblocking(False)
        socks.append(s)
    return socks


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_pubsub(port: int, pid: int, subscribers: int, n: int, payload: int, pipeline: int,
               clients: int, timeout: float) -> tuple[float, float]:
    """Delivered messages per second and per second of the server's CPU: n PUBLISHes
    (redis-benchmark) x ``subscribers``, timed until the last subscriber has the last byte.
    The CPU figure is less sensitive to what else the machine runs."""
    channel = b"bench"
    frame = len(b"*3\r\n$7\r\nmessage\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n"
                % (len(channel), channel, payload, b"x" * payload))
    step = pipeline * clients            # redis-benchmark sends whole pipelines
    n = (n + step - 1) // step * step
    socks = connect_subscribers(port, subscribers, channel)
    want = n * frame
    got = {s.fileno(): 0 for s in socks}
    by_fd = {s.fileno(): s for s in socks}
    waiting = set(by_fd)
    ep = select.epoll()
    for fd in by_fd:
        ep.register(fd, select.EPOLLIN)
    buf = bytearray(4 << 20)
    view = memoryview(buf)
    cmd = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-c", str(clients), "-n", str(n),
           "-P", str(pipeline), "PUBLISH", channel.decode(), "x" * payload]
    cpu0 = cpu_seconds(pid)
    t0 = time.perf_counter()
    bench = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = t0 + timeout
        while waiting:
            if time.perf_counter() > deadline:
                raise RuntimeError("%d subscribers still missing messages after %.0fs"
                                   % (len(waiting), timeout))
            for fd, _ in ep.poll(1.0):
                s = by_fd[fd]
                while True:
                    try:
                        k = s.recv_into(view)
                    except BlockingIOError:
                        break
                    if not k:
                        raise RuntimeError("a subscriber was disconnected")
                    got[fd] += k
                    if k < len(buf):
                        break
                if got[fd] >= want and fd in waiting:
                    waiting.discard(fd)
        elapsed = time.perf_counter() - t0
        cpu = cpu_seconds(pid) - cpu0
        bench.wait(timeout)
    finally:
        if bench.poll() is None:
            bench.kill()
            bench.wait()
        ep.close()
        for s in socks:
            s.close()
    delivered = sum(got.values()) / frame
    return delivered / elapsed, delivered / max(cpu, 1e-3)


def pubsub_main(args) -> int:
    fanouts = [int(x) for x in args.fanout.split(",")]
    results: dict = {}
    with tempfile.TemporaryDirectory() as workdir:
        servers = start_servers(workdir, args.pickledbd_arg)
        try:
            for rnd in range(args.rounds):
                order = ["pickledbd", "redis"] if rnd % 2 == 0 else ["redis", "pickledbd"]
                for subs in fanouts:
                    n = max(args.n // subs, args.n // 10) if args.scale else args.n
                    for name in order:
                        port, proc = servers[name]
                        rate, per_cpu = run_pubsub(port, proc.pid, subs, n, args.payload, args.pubsub_pipeline,
                                                   args.pubsub_clients, args.timeout)
                        results.setdefault((subs, name), []).append(rate)
                        results.setdefault((subs, name, "cpu"), []).append(per_cpu)
                print("round %d/%d done" % (rnd + 1, args.rounds), file=sys.stderr)
        finally:
            stop_servers(servers)
    print("\nPUBLISH fan-out: redis-benchmark -c %d -P %d, %d-byte payloads, medians of %d rounds "
          "(delivered messages/second), %s\n" % (args.pubsub_clients, args.pubsub_pipeline, args.payload,
                                                 args.rounds, time.strftime("%Y-%m-%d %H:%M")))
    print("| subscribers | pickledbd | redis-server | ratio | pickledbd per CPU-s | redis per CPU-s | ratio |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for subs in fanouts:
        a = statistics.median(results[(subs, "pickledbd")])
        b = statistics.median(results[(subs, "redis")])
        ca = statistics.median(results[(subs, "pickledbd", "cpu")])
        cb = statistics.median(results[(subs, "redis", "cpu")])
        print("| %d | %.0f | %.0f | %.2fx | %.0f | %.0f | %.2fx |" % (subs, a, b, a / b, ca, cb, ca / cb))
    return 0


# ---- --full: issue 12's published table

# name -> redis-benchmark ``-t`` test (its own keys: key:__rand_int__, mylist, myset, myzset, ...)
FULL_BUILTIN = ["set", "get", "incr", "mset", "lpush", "rpush", "lpop", "rpop", "sadd", "hset", "spop",
                "zadd", "zpopmin"]
# name -> a command line (redis-benchmark's LRANGE_* is ``LRANGE mylist 0 99``; run as a command so
# its own LPUSH pre-fill stays out of the CPU figure); evalsha is filled in per server
FULL_CUSTOM = {
    "lrange_100": ["LRANGE", "mylist", "0", "99"],
    "lrange_300": ["LRANGE", "mylist", "0", "299"],
    "publish": ["PUBLISH", "bench:channel", "xxx"],     # no subscriber: the --pubsub mode does fan-out
    "evalsha": None,
    "xadd": ["XADD", "bench:stream", "*", "f", "v"],
}
FULL_TESTS = FULL_BUILTIN + list(FULL_CUSTOM)
# test -> (key, length command, fill command): what the pops and LRANGEs read, topped up before each run
POP_TARGETS = {"lpop": ("mylist", "LLEN", "RPUSH"), "rpop": ("mylist", "LLEN", "RPUSH"),
               "spop": ("myset", "SCARD", "SADD"), "zpopmin": ("myzset", "ZCARD", "ZADD"),
               "lrange_100": ("mylist", "LLEN", "RPUSH"), "lrange_300": ("mylist", "LLEN", "RPUSH")}


def run_benchmark_csv(port: int, n: int, pipeline: int, clients: int, timeout: float, test: str | None = None,
                      argv: list | None = None, keyspace: int = 0) -> dict:
    """One redis-benchmark run (``-t test`` or a command line); its --csv row as floats
    (rps, avg/min/p50/p95/p99/max_latency_ms). A server error reply fails the run."""
    cmd = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-c", str(clients), "-n", str(n),
           "-P", str(pipeline), "--csv"] + (["-r", str(keyspace)] if keyspace else [])
    cmd += ["-t", test] if test else list(argv)
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if "Error from server" in done.stderr or "Error from server" in done.stdout:
        raise RuntimeError("%s on port %d: %s" % (test or argv[0], port, (done.stderr or done.stdout).strip()))
    rows = [row for row in csv.reader(io.StringIO(done.stdout)) if row]
    if len(rows) >= 2 and rows[0][0] == "test":
        for row in rows[1:]:
            if test is None or row[0].lower().startswith(test.lower()):
                return {k: float(v) for k, v in zip(rows[0][1:], row[1:])}
    raise RuntimeError("no result for %s in: %r" % (test or argv[0], done.stdout + done.stderr))


def cpu_ns(pid: int) -> int:
    """CPU time of every thread of a process so far, in ns (/proc/<pid>/task/*/schedstat: the
    utime+stime of ``cpu_seconds`` counts 10 ms ticks, too coarse for a run of 20 ms)."""
    if not os.path.exists("/proc/self/schedstat"):     # a kernel without it: clock ticks, then
        return int(cpu_seconds(pid) * 1e9)
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass                                        # a thread that just exited
    return total


class Filler:
    """The structures the pop and LRANGE tests read, kept long enough, and the check that a pop
    run popped one element per request and never emptied its structure."""

    def __init__(self, client):
        self.r = client
        self.serial = 0

    def length(self, key: str, how: str) -> int:
        return int(self.r.execute_command(how, key))

    def ensure(self, key: str, how: str, fill: str, want: int) -> int:
        have = self.length(key, how)
        pipe = self.r.pipeline(transaction=False)
        while have < want:
            step = min(1000, want - have)
            if fill == "RPUSH":
                pipe.execute_command("RPUSH", key, *["xxx"] * step)   # redis-benchmark's LPUSH value
            else:
                members = ["fill:%d" % (self.serial + i) for i in range(step)]
                if fill == "SADD":
                    pipe.execute_command("SADD", key, *members)
                else:
                    pipe.execute_command("ZADD", key, *[x for m in members for x in ("0", m)])
            self.serial += step
            have += step
        pipe.execute()
        return self.length(key, how)


def full_rounds(args, servers, evalsha, fillers, results, pop_checks) -> None:
    for test, p, n, name in paired_runs(args, servers, FULL_TESTS):
        port, proc = servers[name]
        target = POP_TARGETS.get(test)
        if target:
            before = fillers[name].ensure(*target, want=n + 1000)
        cpu0 = cpu_ns(proc.pid)
        if test in FULL_BUILTIN:
            row = run_benchmark_csv(port, n, p, args.clients, args.timeout, test=test,
                                    keyspace=args.keyspace or FULL_KEYSPACE)
        else:
            argv = evalsha[name] if test == "evalsha" else FULL_CUSTOM[test]
            row = run_benchmark_csv(port, n, p, args.clients, args.timeout, argv=argv)
        cpu = cpu_ns(proc.pid) - cpu0
        if target and test not in ("lrange_100", "lrange_300"):
            after = fillers[name].length(*target[:2])
            ok = before - after == n and after > 0
            text = ("%s -P %d %s: %s %d -> %d (%d popped for %d requests)"
                    % (test, p, name, target[1], before, after, before - after, n))
            pop_checks.append((ok, text))
            print(("" if ok else "FAILED ") + text, file=sys.stderr)
        results.setdefault((test, p, name, "rps"), []).append(row["rps"])
        results.setdefault((test, p, name, "cpu"), []).append(cpu / 1000 / n)
        if p == 1:
            results.setdefault((test, p, name, "p50"), []).append(row["p50_latency_ms"])
            results.setdefault((test, p, name, "p99"), []).append(row["p99_latency_ms"])


FULL_KEYSPACE = 100000         # --full's -r

# (data set, elements, fill command) for the memory table; short strings everywhere
MEMORY_SETS = [("100k strings", 100000, "SET")]
MEMORY_SETS += [("10k %s x 100" % kind, 10000 * 100, cmd)
                for kind, cmd in (("hashes", "HSET"), ("lists", "RPUSH"), ("sets", "SADD"), ("zsets", "ZADD"))]
MEMORY_SETS += [("5 %s x 100k" % kind, 5 * 100000, cmd)
                for kind, cmd in (("hashes", "HSET"), ("lists", "RPUSH"), ("sets", "SADD"), ("zsets", "ZADD"))]
LENGTH_OF = {"HSET": "HLEN", "RPUSH": "LLEN", "SADD": "SCARD", "ZADD": "ZCARD"}


def fill_memory_set(r, name: str, count: int, cmd: str) -> int:
    """Fill one data set over one connection, pipelined; the elements the server then holds."""
    pipe = r.pipeline(transaction=False)
    if cmd == "SET":
        for i in range(count):
            pipe.execute_command("SET", "key:%06d" % i, "val:%06d" % i)
            if i % 1000 == 999:
                pipe.execute()
        pipe.execute()
        return int(r.dbsize())
    keys, per_key = (10000, 100) if name.startswith("10k") else (5, 100000)
    prefix = cmd.lower()
    for k in range(keys):
        key = "%s:%05d" % (prefix, k)
        for start in range(0, per_key, 1000):
            members = ["member:%06d" % i for i in range(start, min(per_key, start + 1000))]
            if cmd == "HSET":
                args = [x for i, m in enumerate(members) for x in (m, "v%d" % i)]
            elif cmd == "ZADD":
                args = [x for i, m in enumerate(members) for x in (str(start + i), m)]
            else:
                args = members
            pipe.execute_command(cmd, key, *args)
        if len(pipe) >= 100 or k == keys - 1:
            pipe.execute()
    for k in range(keys):
        pipe.execute_command(LENGTH_OF[cmd], "%s:%05d" % (prefix, k))
    return sum(pipe.execute())


def memory_used(r) -> tuple[int, int]:
    info = r.info("memory")
    return int(info["used_memory"]), int(info["used_memory_rss"])


def full_memory(args, results) -> None:
    """Each data set on a fresh pair of servers (after FLUSHALL, freed pages stay resident and
    would hide a later fill from the RSS delta): INFO memory before and after the fill."""
    import redis
    wanted = [w for w in (getattr(args, "sets", "") or "").split(",") if w]
    for name, count, cmd in MEMORY_SETS:
        if wanted and not any(w in name for w in wanted):
            continue
        with tempfile.TemporaryDirectory(dir=args.workdir) as workdir:
            servers = start_servers(workdir, args.pickledbd_arg)
            try:
                for server, (port, proc) in servers.items():
                    r = redis.Redis(host="127.0.0.1", port=port, socket_timeout=args.timeout)
                    try:
                        r.flushall()
                        time.sleep(0.2)
                        used0, rss0 = memory_used(r)
                        held = fill_memory_set(r, name, count, cmd)
                        if held != count:
                            raise RuntimeError("%s on %s: %d elements held, %d written" % (name, server, held, count))
                        time.sleep(0.2)
                        used1, rss1 = memory_used(r)
                    finally:
                        r.close()
                    results[(name, server)] = ((used1 - used0) / count, (rss1 - rss0) / count)
            finally:
                stop_servers(servers)
        print("memory: %s done" % name, file=sys.stderr)


def full_main(args) -> int:
    import redis
    pipelines = [int(p) for p in args.pipeline.split(",")]
    results: dict = {}
    pop_checks: list = []
    with tempfile.TemporaryDirectory(dir=args.workdir) as workdir:
        servers = start_servers(workdir, args.pickledbd_arg)
        clients = {}
        try:
            evalsha = {}
            for name, (port, proc) in servers.items():
                evalsha[name] = load_scripts(port)["evalsha_get"]
                got = command(port, *evalsha[name])        # a bulk "xxx", not an error, before timing
                if got != b"$3\r\nxxx\r\n":
                    raise RuntimeError("EVALSHA on %s: %r" % (name, got))
                clients[name] = redis.Redis(host="127.0.0.1", port=port, socket_timeout=args.timeout)
            fillers = {name: Filler(r) for name, r in clients.items()}
            full_rounds(args, servers, evalsha, fillers, results, pop_checks)
        finally:
            for r in clients.values():
                r.close()
            stop_servers(servers)
    memory: dict = {}
    full_memory(args, memory)
    print_full_tables(args, pipelines, results, pop_checks, memory)
    return 0 if all(ok for ok, _ in pop_checks) else 1


def memory_main(args) -> int:
    """Only the memory table (``--memory``; ``--sets hashes,zsets`` picks data sets by name)."""
    memory: dict = {}
    full_memory(args, memory)
    print_memory_table(memory)
    return 0


def print_memory_table(memory) -> None:
    print("\nMemory per key / element (bytes: INFO memory deltas over the fill, each data set on a fresh "
          "pair of servers; pickledbd's used_memory is its RSS when maxmemory is 0)\n")
    print("| data set | elements | used_memory pickledbd | used_memory redis | ratio "
          "| RSS pickledbd | RSS redis | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, count, _ in MEMORY_SETS:
        if (name, "pickledbd") not in memory:
            continue
        (ua, ra), (ub, rb) = memory[(name, "pickledbd")], memory[(name, "redis")]
        print("| %s | %d | %.0f | %.0f | %s | %.0f | %.0f | %s |" % (
            name, count, ua, ub, ratio(ua, ub), ra, rb, ratio(ra, rb)))


def print_full_tables(args, pipelines, results, pop_checks, memory) -> None:
    med = lambda test, p, name, what: statistics.median(results[(test, p, name, what)])  # noqa: E731
    print("\npickledbd vs redis-server %s, %s UTC: redis-benchmark -c %d -n %d (-P 1: %d), -r %d, "
          "medians of %d paired rounds (who goes first alternates), %d CPUs\n"
          % (redis_version(), time.strftime("%Y-%m-%d %H:%M", time.gmtime()), args.clients, args.n,
             max(10000, args.n // 2), args.keyspace or FULL_KEYSPACE, args.rounds, os.cpu_count() or 0))
    def ratio_rows(what: str, fmt: str) -> None:
        for test in FULL_TESTS:
            cells = []
            for p in pipelines:
                a, b = med(test, p, "pickledbd", what), med(test, p, "redis", what)
                cells.append((fmt + " | " + fmt + " | %.2fx") % (a, b, a / b))
            print("| %s | %s |" % (test, " | ".join(cells)))

    head = "| test | " + " | ".join("-P %d pickledbd | -P %d redis | ratio" % (p, p) for p in pipelines) + " |"
    rule = "|---|" + "---:|---:|---:|" * len(pipelines)
    print("Throughput (requests/second; ratio = pickledbd / redis-server)\n")
    print(head + "\n" + rule)
    ratio_rows("rps", "%.0f")
    bad = [text for ok, text in pop_checks if not ok]
    print("\nPops: %d of %d runs popped exactly one element per request and left the structure "
          "non-empty (length before and after each run)%s" % (len(pop_checks) - len(bad), len(pop_checks),
                                                                ": FAILED " + "; ".join(bad) if bad else "."))
    if 1 in pipelines:
        print("\nLatency at -P 1 (ms, redis-benchmark's p50 and p99)\n")
        print("| test | p50 pickledbd | p50 redis | p99 pickledbd | p99 redis |")
        print("|---|---:|---:|---:|---:|")
        for test in FULL_TESTS:
            print("| %s | %.3f | %.3f | %.3f | %.3f |" % (
                test, med(test, 1, "pickledbd", "p50"), med(test, 1, "redis", "p50"),
                med(test, 1, "pickledbd", "p99"), med(test, 1, "redis", "p99")))
    print("\nServer CPU time per request (microseconds, all threads; ratio = pickledbd / redis-server)\n")
    print(head + "\n" + rule)
    ratio_rows("cpu", "%.2f")
    print_memory_table(memory)


def ratio(a: float, b: float) -> str:
    return "%.2fx" % (a / b) if b > 0 else "-"


def redis_version() -> str:
    out = subprocess.run(["redis-server", "--version"], capture_output=True, text=True, timeout=10).stdout
    for word in out.split():
        if word.startswith("v="):
            return word[2:]
    return "?"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tests", default=STRING_TESTS + "," + TYPE_TESTS)
    ap.add_argument("--pipeline", default="1,16", help="comma-separated -P values")
    ap.add_argument("-n", type=int, default=100000, help="requests per run (-P 1 uses n/2)")
    ap.add_argument("-c", "--clients", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per redis-benchmark run")
    ap.add_argument("--pickledbd-arg", action="append", default=[], help="extra flag for pickledbd")
    ap.add_argument("--baseline", metavar="DIR",
                    help="also run the pickledbd of another checkout (a before/after column)")
    ap.add_argument("--pubsub", action="store_true", help="PUBLISH fan-out instead of --tests")
    ap.add_argument("--scripting", action="store_true",
                    help="EVALSHA of a 1-call and a 5-call Lua script (and GET) instead of --tests")
    ap.add_argument("--types", action="store_true",
                    help="issue 10: XADD, XRANGE, SETBIT, BITCOUNT, PFADD, PFCOUNT, GEOADD instead of --tests")
    ap.add_argument("--aof", action="store_true",
                    help="issue 11: SET and INCR with appendonly yes (always, everysec) and without")
    ap.add_argument("--full", action="store_true",
                    help="issue 12: the published table: 18 tests' throughput, latency, CPU per request, "
                    "and memory per element")
    ap.add_argument("--floor", action="store_true",
                    help="PING on a do-nothing uvloop server beside both: the event loop's own cost")
    ap.add_argument("--memory", action="store_true",
                    help="only --full's memory-per-element table")
    ap.add_argument("--sets", default="",
                    help="--memory: comma-separated parts of data set names (strings, hashes, 10k, ...)")
    ap.add_argument("--keyspace", type=int, default=None,
                    help="redis-benchmark -r for the tests that use random keys (--full: 100000 unless "
                         "given; plain mode: none unless given)")
    ap.add_argument("--workdir", default=None,
                    help="parent of the servers' data directories (--aof: a real disk, not a tmpfs)")
    ap.add_argument("--fanout", default="1,10,100", help="pub/sub: comma-separated subscriber counts")
    ap.add_argument("--payload", type=int, default=32, help="pub/sub: message size in bytes")
    ap.add_argument("--pubsub-pipeline", type=int, default=16, help="pub/sub: publisher's -P")
    ap.add_argument("--pubsub-clients", type=int, default=4, help="pub/sub: publisher's -c")
    ap.add_argument("--no-scale", dest="scale", action="store_false",
                    help="pub/sub: publish -n messages at every fan-out (default: n / subscribers, "
                    "at least n / 10)")
    args = ap.parse_args()
    # a plain kill must also reach the finally blocks that stop the servers
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    for binary in ("redis-server", "redis-benchmark"):
        if not shutil.which(binary):
            sys.exit("%s not found: apt-get install redis-server redis-tools" % binary)
    if args.pubsub:
        return pubsub_main(args)
    if args.scripting:
        return scripting_main(args)
    if args.types:
        return types_main(args)
    if args.aof:
        return aof_main(args)
    if args.memory:
        return memory_main(args)
    if args.floor:
        return floor_main(args)
    if args.full:
        if args.baseline:
            sys.exit("--full compares this pickledbd with redis-server only (no --baseline)")
        return full_main(args)
    tests = [t.strip() for t in args.tests.split(",") if t.strip()]
    pipelines = [int(p) for p in args.pipeline.split(",")]
    results: dict = {}
    per_cpu: dict = {}
    with tempfile.TemporaryDirectory() as workdir:
        servers = start_servers(workdir, args.pickledbd_arg, args.baseline)
        try:
            for test, p, n, name in paired_runs(args, servers, tests):
                port, proc = servers[name]
                cpu0 = cpu_ns(proc.pid)
                rps = run_benchmark(port, test, n, p, args.clients, args.timeout, args.keyspace or 0)
                cpu = cpu_ns(proc.pid) - cpu0
                results.setdefault((test, p, name), []).append(rps)
                per_cpu.setdefault((test, p, name), []).append(n / max(cpu / 1e9, 1e-6))
        finally:
            stop_servers(servers)
    print_table(args, tests, pipelines, results, "redis-benchmark -c %d, medians of %d rounds (requests/second), %s\n"
                % (args.clients, args.rounds, time.strftime("%Y-%m-%d %H:%M")))
    # steadier on a shared machine: the ratio is Redis's server CPU per request over ours
    print_table(args, tests, pipelines, per_cpu, "the same runs: requests per second of server CPU\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
