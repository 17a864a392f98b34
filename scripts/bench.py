#!/usr/bin/env python3
"""pickledbd vs redis-server, side by side, with redis-benchmark.

Starts both servers on free loopback ports, runs ``redis-benchmark -c 50 -n N -t TESTS -P P``
against each, alternating the two servers test by test and round by round, and prints the
median requests/second per server and the ratio pickledbd/redis.

    python scripts/bench.py                       # issue 3 + 4 tests, -P 1 and -P 16, 3 rounds
    python scripts/bench.py --tests set,get --pipeline 16 --rounds 5 -n 200000

Everything runs on 127.0.0.1 and every process started is stopped at the end.
"""
from __future__ import annotations

import argparse
import csv
import io
import os
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


def start_servers(workdir: str, pickledbd_args: list[str]):
    servers = {}
    rport = free_port()
    rdir = os.path.join(workdir, "redis")
    os.makedirs(rdir)
    servers["redis"] = (rport, subprocess.Popen(
        ["redis-server", "--port", str(rport), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", rdir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    pport = free_port()
    pdir = os.path.join(workdir, "pickledbd")
    os.makedirs(pdir)
    servers["pickledbd"] = (pport, subprocess.Popen(
        [sys.executable, "-m", "pickledbd", "--port", str(pport), "--bind", "127.0.0.1", "--save", "",
         "--dir", pdir, "--loglevel", "warning"] + pickledbd_args,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    for port, proc in servers.values():
        wait_ready(port, proc)
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


def run_benchmark(port: int, test: str, n: int, pipeline: int, clients: int, timeout: float) -> float:
    cmd = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-c", str(clients), "-n", str(n),
           "-P", str(pipeline), "-t", test, "--csv"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout).stdout
    rows = list(csv.reader(io.StringIO(out)))
    for row in rows[1:]:
        if row and row[0].lower().startswith(test.lower()):
            return float(row[1])
    raise RuntimeError("no result for %s in: %r" % (test, out))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tests", default=STRING_TESTS + "," + TYPE_TESTS)
    ap.add_argument("--pipeline", default="1,16", help="comma-separated -P values")
    ap.add_argument("-n", type=int, default=100000, help="requests per run (-P 1 uses n/2)")
    ap.add_argument("-c", "--clients", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per redis-benchmark run")
    ap.add_argument("--pickledbd-arg", action="append", default=[], help="extra flag for pickledbd")
    args = ap.parse_args()
    for binary in ("redis-server", "redis-benchmark"):
        if not shutil.which(binary):
            sys.exit("%s not found: apt-get install redis-server redis-tools" % binary)
    tests = [t.strip() for t in args.tests.split(",") if t.strip()]
    pipelines = [int(p) for p in args.pipeline.split(",")]
    results: dict = {}
    with tempfile.TemporaryDirectory() as workdir:
        servers = start_servers(workdir, args.pickledbd_arg)
        try:
            for rnd in range(args.rounds):
                order = ["pickledbd", "redis"] if rnd % 2 == 0 else ["redis", "pickledbd"]
                for p in pipelines:
                    n = args.n if p > 1 else max(10000, args.n // 2)
                    for test in tests:
                        for name in order:
                            rps = run_benchmark(servers[name][0], test, n, p, args.clients, args.timeout)
                            results.setdefault((test, p, name), []).append(rps)
                print("round %d/%d done" % (rnd + 1, args.rounds), file=sys.stderr)
        finally:
            stop_servers(servers)
    print("\nredis-benchmark -c %d, medians of %d rounds (requests/second), %s\n"
          % (args.clients, args.rounds, time.strftime("%Y-%m-%d %H:%M")))
    print("| test | -P | pickledbd | redis-server | ratio |")
    print("|---|---:|---:|---:|---:|")
    for p in pipelines:
        for test in tests:
            a = statistics.median(results[(test, p, "pickledbd")])
            b = statistics.median(results[(test, p, "redis")])
            print("| %s | %d | %.0f | %.0f | %.2fx |" % (test, p, a, b, a / b))
    return 0


if __name__ == "__main__":
    sys.exit(main())
