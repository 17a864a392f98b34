"""Stream IDs as dict keys: time per XADD / XRANGE-of-one / XDEL for IDs a client chose to
share a hash under the old ``ms << 64 | seq`` encoding, beside ordinary IDs (300 a
millisecond, as a busy producer makes them). In process (inprocess.LocalServer), so the
figures are the keyspace's, not the network's.

    python scripts/bench_stream_ids.py [--n 20000] [--rounds 5]
    PYTHONPATH=<another tree> python scripts/bench_stream_ids.py     # the same on that tree
"""
from __future__ import annotations

import argparse
import statistics
import time

from pickledbd.daemon.inprocess import LocalServer

T = 1_764_547_200_000


def families(n: int) -> dict:
    return {
        "ordinary (300/ms)": ["%d-%d" % (T + k // 300, k % 300) for k in range(n)],
        "chosen (ms+1, seq-8)": ["%d-%d" % (T + k, (1 << 40) - 8 * k) for k in range(n)],
    }


def run(ids: list) -> dict:
    srv = LocalServer()
    c = srv.client()
    out = {}
    t0 = time.perf_counter()
    for k in range(0, len(ids), 100):
        srv.batch(c, [["XADD", "s", i, "f", "v"] for i in ids[k:k + 100]])
    out["XADD"] = (time.perf_counter() - t0) / len(ids)
    probe = ids[::10]
    t0 = time.perf_counter()
    for k in range(0, len(probe), 100):
        srv.batch(c, [["XRANGE", "s", i, i] for i in probe[k:k + 100]])
    out["XRANGE one"] = (time.perf_counter() - t0) / len(probe)
    t0 = time.perf_counter()
    for k in range(0, len(probe), 100):
        srv.batch(c, [["XDEL", "s", i] for i in probe[k:k + 100]])
    out["XDEL"] = (time.perf_counter() - t0) / len(probe)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    print("| IDs (%d) | XADD µs | XRANGE one µs | XDEL µs |" % a.n)
    print("|---|---:|---:|---:|")
    for name, ids in families(a.n).items():
        rounds = [run(ids) for _ in range(a.rounds)]
        med = {k: statistics.median(r[k] for r in rounds) * 1e6 for k in rounds[0]}
        print("| %s | %.2f | %.2f | %.2f |" % (name, med["XADD"], med["XRANGE one"], med["XDEL"]))


if __name__ == "__main__":
    main()
