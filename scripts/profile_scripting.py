#!/usr/bin/env python3
"""What one EVALSHA costs inside pickledbd, without the network: instructions per request.

Runs requests through ``LocalServer`` (the real services and engine, no sockets) on the hot
path (``Engine.run_batch``, what a socket request takes): a plain GET for reference, EVALSHA
of ``return redis.call('GET', KEYS[1])`` and of the 5-call script of ``scripts/bench.py
--scripting``. Under callgrind the instruction counts are steady on a loaded machine; one
request's cost is the difference of two runs divided by the difference of their lengths.

    python3 scripts/profile_scripting.py             # callgrind: instructions per request
    python3 scripts/profile_scripting.py --time      # wall clock: microseconds per request
    python3 scripts/profile_scripting.py --profile evalsha_5calls   # cProfile of one test
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from pickledbd.daemon.inprocess import LocalServer  # noqa: E402

SCRIPTS = {      # the scripts of scripts/bench.py --scripting, and one without calls (the fixed cost)
    "evalsha_nocall": ("return 1", []),
    "evalsha_get": ("return redis.call('GET', KEYS[1])", ["bench:str"]),
    "evalsha_5calls": ("local v = redis.call('GET', KEYS[1])\n"
                       "redis.call('INCR', KEYS[2])\n"
                       "redis.call('HSET', KEYS[3], 'field', v)\n"
                       "redis.call('EXPIRE', KEYS[3], 3600)\n"
                       "return redis.call('GET', KEYS[1])",
                       ["bench:str", "bench:counter", "bench:hash"]),
}
TESTS = ["get"] + list(SCRIPTS)
# the real interpreter (python3 may be a pyenv shim, a shell script valgrind would measure)
PYTHON = os.path.realpath(sys.executable)


def setup(test: str):
    """A server with the data and the script; the request ``test`` repeats."""
    srv = LocalServer()
    c = srv.client()
    srv.request(c, "SET", "bench:str", "xxx")
    if test == "get":
        return srv, c, ["GET", "bench:str"]
    body, keys = SCRIPTS[test]
    sha = srv.request(c, "SCRIPT", "LOAD", body).split(b"\r\n")[1].decode()
    return srv, c, ["EVALSHA", sha, str(len(keys)), *keys]


def run(test: str, n: int, batch: int = 16) -> float:
    """``n`` requests in batches of ``batch`` (redis-benchmark -P 16); the seconds they took."""
    srv, c, req = setup(test)
    t0 = time.perf_counter()
    for _ in range(0, n, batch):
        srv.batch(c, [list(req) for _ in range(batch)])
    return time.perf_counter() - t0


def instructions(test: str, n: int) -> int:
    """Instructions callgrind counts for a whole run of ``n`` requests."""
    out = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                          PYTHON, os.path.abspath(__file__), "--run", test, "-n", str(n)],
                         capture_output=True, text=True, check=True).stderr
    return int(re.search(r"Collected : (\d+)", out).group(1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tests", default=",".join(TESTS))
    ap.add_argument("-n", type=int, default=2000, help="requests of the longer callgrind run (the other: 16)")
    ap.add_argument("--time", action="store_true", help="wall clock instead of callgrind")
    ap.add_argument("--profile", metavar="TEST", help="print a cProfile of this test")
    ap.add_argument("--run", metavar="TEST", help=argparse.SUPPRESS)     # one run, for valgrind
    args = ap.parse_args()
    tests = [t for t in args.tests.split(",") if t]
    if args.run:
        run(args.run, args.n)
    elif args.profile:
        prof = cProfile.Profile()
        prof.runcall(run, args.profile, args.n)
        pstats.Stats(prof).sort_stats("tottime").print_stats(20)
    elif args.time:
        for test in tests:
            seconds = min(run(test, args.n * 10) for _ in range(3))
            print("%-16s %8.2f us/request" % (test, seconds * 1e6 / (args.n * 10)))
    else:
        small = 16
        with ThreadPoolExecutor(max_workers=2) as pool:
            totals = {(t, n): pool.submit(instructions, t, n) for t in tests for n in (small, args.n)}
        for test in tests:
            per = (totals[test, args.n].result() - totals[test, small].result()) / (args.n - small)
            print("%-16s %10.0f instructions/request" % (test, per))


if __name__ == "__main__":
    main()
