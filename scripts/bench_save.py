#!/usr/bin/env python3
"""Time the daemon's foreground save (SAVE, the shutdown save) and FLUSHALL on a mixed keyspace.

    python3 scripts/bench_save.py                     # 1M keys, JSON and SQLite
    python3 scripts/bench_save.py --n 200000 --backend json --profile

The keyspace is built in process with the daemon's own types (str, dict, deque, set, ZSet):
60% strings (some integer-like, some binary), 10% each hashes / lists / sets / zsets of 5
elements, 10% with a TTL, spread over 4 databases. Every save after the first rewrites all
keys (JSON always does; SQLite is given dirty=None, as after a FLUSHALL or a new file).
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import time
from collections import deque

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from pickledbd.daemon.config import parse_args  # noqa: E402
from pickledbd.daemon.keyspace import Keyspace  # noqa: E402
from pickledbd.daemon.keyspace.zset import ZSet  # noqa: E402
from pickledbd.daemon.persistence.snapshot import Snapshots  # noqa: E402


def populate(ks, n: int) -> None:
    far = int(time.time() * 1000) + 86_400_000
    for i in range(n):
        db = ks.dbs[i % 4]
        kind = i % 10
        key = "key:%d" % i
        if kind < 3:
            v = "value-%d" % i
        elif kind < 5:
            v = str(i)
        elif kind == 5:
            v = "bin\udcff\udc80-%d" % i if i % 20 == 5 else "v%d" % i
        elif kind == 6:
            v = {"f%d" % j: "v%d" % (i + j) for j in range(5)}
        elif kind == 7:
            v = deque("item%d" % (i + j) for j in range(5))
        elif kind == 8:
            v = {"m%d" % (i + j) for j in range(5)}
        else:
            v = ZSet({"m%d" % j: float(i + j) for j in range(5)})
        db.data[key] = v
        if i % 10 == 3:
            db.expires[key] = far
    ks.rebuild_expiry_heap()


def run(backend: str, n: int, runs: int, profile: bool) -> None:
    d = tempfile.mkdtemp(prefix="bench_save_")
    name = "dump.json" if backend == "json" else "dump.sqlite3"
    config = parse_args(["--save", "", "--dir", d, "--dbfilename", name])
    ks = Keyspace(config.databases)
    snap = Snapshots(ks, config)
    snap.open_storage()
    t0 = time.perf_counter()
    populate(ks, n)
    print(f"[{backend}] built {n} keys in {time.perf_counter() - t0:.2f} s", flush=True)
    times, cpu = [], []     # cpu: what a loaded machine's other processes do not inflate
    for r in range(runs):
        if snap.ks.dirty_keys is not None:
            snap.ks.dirty_keys = {db.index: None for db in snap.ks.dbs}   # a full rewrite
        prof = cProfile.Profile() if profile and r == runs - 1 else None
        t0, c0 = time.perf_counter(), time.process_time()
        if prof:
            prof.enable()
        snap.save()
        if prof:
            prof.disable()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        if prof:
            pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
    size = os.path.getsize(os.path.join(d, name))
    print(f"[{backend}] SAVE of {n} keys: wall " + ", ".join(f"{t:.2f}" for t in times)
          + f" s (best {min(times):.2f} s), cpu best {min(cpu):.2f} s, file {size / 1e6:.1f} MB",
          flush=True)
    t0 = time.perf_counter()
    for db in ks.dbs:               # FLUSHALL's work, then its save (with save rules)
        db.clear()
    snap.save()
    print(f"[{backend}] FLUSHALL + save: {time.perf_counter() - t0:.2f} s", flush=True)
    snap.close()
    for f in os.listdir(d):
        os.unlink(os.path.join(d, f))
    os.rmdir(d)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--backend", choices=["json", "sqlite", "both"], default="both")
    ap.add_argument("--profile", action="store_true", help="cProfile the last run")
    a = ap.parse_args()
    for b in (["json", "sqlite"] if a.backend == "both" else [a.backend]):
        run(b, a.n, a.runs, a.profile)


if __name__ == "__main__":
    main()
