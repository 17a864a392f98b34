#!/usr/bin/env python3
"""Where a request's time goes inside pickledbd, without the network.

Feeds RESP requests straight into a server connection with a null transport, so what is
measured is our Python per request: parsing glue, dispatch, the command, the reply.

    python scripts/profile_dispatch.py                 # us per request, -P 1 and -P 16 shapes
    python scripts/profile_dispatch.py --profile get   # cProfile of one test
    # deterministic instruction counts on a noisy machine (difference of two runs / requests):
    valgrind --tool=callgrind --callgrind-out-file=/dev/null python scripts/profile_dispatch.py -n 1
    valgrind --tool=callgrind --callgrind-out-file=/dev/null python scripts/profile_dispatch.py -n 3001
    # one test and one shape: --tests get --pipeline 16 (-n 16 and -n 3216; PYTHONHASHSEED=1)
    # with the append-only file on (in a temporary directory; one loop turn per read):
    python scripts/profile_dispatch.py --tests set,incr --aof everysec
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import shutil
import tempfile
import time

from pickledbd.daemon.config import Config
from pickledbd.daemon.server import Server


class Turns:
    """The loop as the AOF writer sees it: what it schedules runs at the end of each read,
    as the next event-loop iteration would."""

    def __init__(self):
        self.ready = []

    def call_soon(self, fn, *args):
        self.ready.append((fn, args))

    def run(self):
        while self.ready:
            ready, self.ready = self.ready, []
            for fn, args in ready:
                fn(*args)


class NullTransport:
    def write(self, data):
        pass

    def get_extra_info(self, name, default=None):
        return default

    def get_write_buffer_size(self):
        return 0

    def pause_reading(self):
        pass

    def resume_reading(self):
        pass

    def close(self):
        pass

    def is_closing(self):
        return False


def cmd(*args: bytes) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


def requests(name: str, n: int) -> list[bytes]:
    fixed = {
        "set": cmd(b"SET", b"key:000000000123", b"xxx"),
        "get": cmd(b"GET", b"key:000000000123"),
        "incr": cmd(b"INCR", b"counter:000000000123"),
        "lpush": cmd(b"LPUSH", b"mylist", b"xxx"),
        "hset": cmd(b"HSET", b"myhash", b"element:000000000123", b"xxx"),
        "sadd": cmd(b"SADD", b"myset", b"element:000000000123"),
        "mset": cmd(b"MSET", *[x for i in range(10) for x in (b"key:%012d" % i, b"xxx")]),
        "lrange_100": cmd(b"LRANGE", b"mylist", b"0", b"99"),
        "rpop": cmd(b"RPOP", b"mylist"),
        "spop": cmd(b"SPOP", b"myset"),
        "zpopmin": cmd(b"ZPOPMIN", b"myzset"),
        "ping": cmd(b"PING"),
        "publish": cmd(b"PUBLISH", b"bench:channel", b"xxx"),   # no subscriber, as bench.py --full
        "xadd": cmd(b"XADD", b"bench:stream", b"*", b"f", b"v"),
    }
    if name == "xadd_id":           # explicit IDs, 300 a millisecond: the handler's path
        return [cmd(b"XADD", b"bench:ids", b"%d-%d" % (1764547200000 + k // 300, k % 300), b"f", b"v")
                for k in range(n)]
    if name == "zadd":
        return [cmd(b"ZADD", b"myzset", b"0", b"element:%012d" % random.randrange(10 ** 6)) for _ in range(n)]
    if name == "zadd_rescore":      # redis-benchmark -r 100000 once the set is full: a member's new score
        return [cmd(b"ZADD", b"rescored", b"%d" % random.randrange(10 ** 5),
                    b"element:%012d" % random.randrange(50000)) for _ in range(n)]
    return [fixed[name]] * n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=20000, help="requests per test")
    ap.add_argument("--tests", default="set,get,incr,lpush,hset,sadd,zadd,zadd_rescore,mset,lrange_100,rpop,spop,zpopmin")
    ap.add_argument("--profile", metavar="TEST", help="print a cProfile of this test")
    ap.add_argument("--pipeline", default="1,16", help="request shapes: requests per read")
    ap.add_argument("--aof", choices=("always", "everysec", "no"),
                    help="appendonly yes with this appendfsync (files in a temporary directory)")
    args = ap.parse_args()
    config = Config()
    turns = Turns()
    if args.aof:
        tmp = tempfile.mkdtemp(prefix="profile-aof-")
        config.set("dir", tmp)
        config.set("appendonly", "yes")
        config.set("appendfsync", args.aof)
    server = Server(config)
    if args.aof:
        server.net.loop = server.aof.loop = turns
        server.aof.read_manifest_if_any()
        server.aof.open_on_start()
    client = server.net.protocol()
    client.connection_made(NullTransport())
    try:
        run(args, client, turns)
    finally:
        if args.aof:
            server.aof.close()
            shutil.rmtree(tmp, ignore_errors=True)


def fill(client, name: str, n: int) -> None:
    """What the pop tests take from: at least n elements (members numbered as in bench.py)."""
    rnd = random.Random(1)
    for i in range(0, n, 1000):
        if name == "rpop":
            client.data_received(cmd(b"RPUSH", b"mylist", *[b"xxx"] * 1000))
        elif name == "spop":
            client.data_received(cmd(b"SADD", b"myset", *[b"fill:%d" % (i + k) for k in range(1000)]))
        elif name == "zadd_rescore" and i < 50000:
            client.data_received(cmd(b"ZADD", b"rescored", *[x for k in range(1000) for x in
                                                             (b"%d" % rnd.randrange(10 ** 5),
                                                              b"element:%012d" % (i + k))]))
        elif name == "zpopmin":
            client.data_received(cmd(b"ZADD", b"myzset", *[x for k in range(1000) for x in
                                                           (b"%d" % rnd.randrange(10 ** 6), b"fill:%d" % (i + k))]))


def run(args, client, turns) -> None:
    client.data_received(cmd(b"RPUSH", b"mylist", *[b"xxx"] * 600))
    if args.profile:
        fill(client, args.profile, max(50000, args.n + 1000))
        reqs = requests(args.profile, args.n)
        prof = cProfile.Profile()
        prof.runcall(lambda: [(client.data_received(r), turns.run()) for r in reqs])
        pstats.Stats(prof).sort_stats("tottime").print_stats(15)
        return
    for name in args.tests.split(","):
        for pipeline in map(int, args.pipeline.split(",")):
            fill(client, name, max(50000, args.n + 1000))   # constant: instruction diffs stay per request
            reqs = requests(name, args.n)
            chunks = [b"".join(reqs[i:i + pipeline]) for i in range(0, len(reqs), pipeline)]
            t = time.perf_counter()
            for chunk in chunks:
                client.data_received(chunk)
                turns.run()
            dt = time.perf_counter() - t
            print("%-11s -P %-2d %6.2f us/request" % (name, pipeline, dt / len(reqs) * 1e6))


if __name__ == "__main__":
    main()
