"""MEMORY USAGE / STATS / DOCTOR / MALLOC-STATS / PURGE / HELP.

MEMORY USAGE answers what the key would cost in Redis 7.0, not what the Python objects
cost: the value's Redis encoding (the one OBJECT ENCODING reports) is sized as Redis's
objectComputeSize sizes it, with jemalloc's size classes: an embstr or raw sds string, a
listpack (entry by entry), an intset, a dict (slots plus a sampled average per element),
a quicklist (listpack nodes of list-max-listpack-size), a skiplist. Collections are sampled
like Redis: the first SAMPLES elements (5 by default, 0 = all) give the average that is
multiplied by the size, so the cost is O(SAMPLES), not O(N).

MEMORY STATS reports Redis's fields with the numbers INFO memory shows (the maxmemory
estimate of keyspace/evict.py when maxmemory is set, the process's resident size else).
"""
from __future__ import annotations

import re
import struct
from collections import deque
from itertools import islice

from ..engine.command import command
from ..errors import RedisError
from ..keyspace import MISSING
from ..keyspace.database import STRING_TYPES, as_str
from ..keyspace.evict import BASE_MEMORY
from ..keyspace.smallhash import SmallHash
from ..keyspace.zset import ZSet
from ..protocol.reply import OK, Verbatim
from .keys import object_encoding
from .util import SYNTAX, help_reply, parse_int

DEFAULT_SAMPLES = 5
ROBJ = 16                 # sizeof(robj)
DICT = 56                 # sizeof(dict)
DICT_ENTRY = 24           # sizeof(dictEntry)
QUICKLIST, QL_NODE = 40, 40
ZSET_FIXED = 16 + 32 + 640     # sizeof(zset) + sizeof(zskiplist) + the 32-level header node
ZSL_NODE = 56             # a skiplist node, averaged over its random level (24 + 16 per level)
LP_HEADER = 7             # listpack total bytes + count + end byte
_FILL_BYTES = {-1: 4096, -2: 8192, -3: 16384, -4: 32768, -5: 65536}
_INT = re.compile(r"-?[1-9][0-9]{0,18}|0")


def je(n: int) -> int:
    """The jemalloc size class serving an n-byte allocation (4 classes per power of two)."""
    if n <= 8:
        return 8
    if n <= 128:
        return (n + 15) & ~15
    step = 1 << ((n - 1).bit_length() - 3)
    return (n + step - 1) // step * step


def _blen(s: str) -> int:
    return len(s) if s.isascii() else len(s.encode("utf-8", "surrogateescape"))


def sds_size(n: int, type5: bool = True) -> int:
    """zmalloc size of an sds of n bytes (sdshdr5 only for the short ones that may use it)."""
    hdr = 1 if n < 32 and type5 else 3 if n < 256 else 5 if n < 65536 else 9
    return je(hdr + n + 1)


def _as_int(s: str):
    if len(s) <= 20 and _INT.fullmatch(s):
        n = int(s)
        if -(1 << 63) <= n < (1 << 63):
            return n
    return None


def lp_entry(s: str) -> int:
    """Bytes of one listpack entry: encoding, data and back-length."""
    n = _as_int(s)
    if n is not None:
        size = (1 if 0 <= n <= 127 else 2 if -4096 <= n <= 4095 else 3 if -32768 <= n <= 32767
                else 4 if -(1 << 23) <= n < (1 << 23) else 5 if -(1 << 31) <= n < (1 << 31) else 9)
    else:
        n = _blen(s)
        size = n + (1 if n <= 63 else 2 if n <= 4095 else 5)
    return size + (1 if size <= 127 else 2 if size < 16383 else 3 if size < 2097151 else 4 if size < 268435455 else 5)


def _score_text(x: float) -> str:
    if x.is_integer() and abs(x) < (1 << 53):
        return str(int(x))
    return "%.17g" % x


def _slots(n: int) -> int:
    return max(4, 1 << (n - 1).bit_length()) if n else 0


def _sampled(items, n: int, samples: int, size_of) -> float:
    total = k = 0
    for x in islice(items, samples):
        total += size_of(x)
        k += 1
    return total / k * n if k else 0


def string_size(v: str, enc: str) -> int:
    if enc == "int":
        return ROBJ
    n = _blen(v)
    if enc == "embstr":
        return je(ROBJ + 3 + n + 1)
    return ROBJ + sds_size(n, type5=False)


def _quicklist_size(d, samples: int, fill: int) -> float:
    """Nodes are cut as Redis's quicklist cuts them (a byte budget, or a count with the 8 KB
    safety limit); the first ``samples`` nodes give the average node."""
    limit = _FILL_BYTES.get(fill, 8192) if fill < 0 else 8192
    max_count = fill if fill > 0 else None
    nodes_cost = nodes = elems_done = 0
    size, count = LP_HEADER, 0
    for e in d:
        es = lp_entry(e)
        if count and (size + es > limit or (max_count is not None and count >= max_count)):
            nodes_cost += QL_NODE + je(size)
            nodes += 1
            elems_done += count
            size, count = LP_HEADER, 0
            if nodes >= samples:
                break
        size += es
        count += 1
    else:
        if count:
            nodes_cost += QL_NODE + je(size)
            nodes += 1
            elems_done += count
    if not nodes:
        return ROBJ + QUICKLIST
    est_nodes = nodes if elems_done >= len(d) else -(-len(d) * nodes // elems_done)
    return ROBJ + QUICKLIST + nodes_cost / nodes * est_nodes


def value_size(db, key: str, v, cfg: dict, samples: int) -> int:
    """objectComputeSize for the Redis encoding of ``v``."""
    t = type(v)
    if t in STRING_TYPES:
        s = v if t is str else as_str(v)
        return string_size(s, object_encoding(db, key, v, cfg))
    enc = object_encoding(db, key, v, cfg)
    if t is deque or t is list:
        return int(_quicklist_size(v, samples, cfg.get("list-max-listpack-size", -2)))
    n = len(v)
    if t is dict or t is SmallHash:
        if enc == "listpack":
            return ROBJ + je(LP_HEADER + sum(lp_entry(f) + lp_entry(x if type(x) is str else as_str(x))
                                             for f, x in v.items()))
        return int(ROBJ + DICT + _slots(n) * 8 + _sampled(
            v.items(), n, samples,
            lambda fx: sds_size(_blen(fx[0])) + sds_size(_blen(fx[1] if type(fx[1]) is str else as_str(fx[1])))
            + DICT_ENTRY))
    if t is set:
        if enc == "intset":
            wide = max((abs(int(m)) for m in v), default=0)
            width = 2 if wide < (1 << 15) else 4 if wide < (1 << 31) else 8
            return ROBJ + je(8 + n * width)
        return int(ROBJ + DICT + _slots(n) * 8 + _sampled(v, n, samples,
                                                          lambda m: sds_size(_blen(m)) + DICT_ENTRY))
    if t is ZSet:
        if enc == "listpack":
            return ROBJ + je(LP_HEADER + sum(lp_entry(m) + lp_entry(_score_text(s)) for m, s in v.pairs()))
        return int(ROBJ + ZSET_FIXED + DICT + _slots(n) * 8 + _sampled(
            v.members(), n, samples, lambda m: sds_size(_blen(m)) + DICT_ENTRY + ZSL_NODE))
    if hasattr(v, "nodes") and hasattr(v, "groups"):
        return _stream_size(v, samples)
    sizer = getattr(v, "memory_usage", None)     # other value types may size themselves
    if sizer is not None:
        return int(sizer(samples))
    return ROBJ + 64 * len(v) if hasattr(v, "__len__") else ROBJ


STREAM = 80                  # sizeof(stream)
LP_PREALLOC = 4096           # STREAM_LISTPACK_MAX_PRE_ALLOCATE


def _rax_size(elements: int, nodes: int) -> int:
    """streamRadixTreeMemoryUsage: 16 bytes an element, 4 + 240 a node."""
    return elements * 16 + nodes * (4 + 8 * 30)


def _stream_size(st, samples: int) -> int:
    """objectComputeSize of a stream: its radix tree, its listpack nodes (the first SAMPLES
    averaged, the last one as allocated: preallocated to 4 KB until the next node starts),
    and the groups' and consumers' PELs."""
    nodes = st.nodes
    n = len(nodes)
    rax_nodes = st.rax_nodes() if n < 10_000 else n * 6 // 5 + 1
    size = ROBJ + STREAM + _rax_size(n, rax_nodes)
    prealloc = min(LP_PREALLOC, st.node_max_bytes) if st.node_max_bytes > 0 else LP_PREALLOC

    def alloc(node, last):
        b = node.bytes()
        return je(max(b, prealloc) if last else b)
    if n:
        if n <= samples:
            size += sum(alloc(node, i == n - 1) for i, node in enumerate(nodes))
        else:
            first = [alloc(node, False) for node in islice(nodes, samples)]
            size += sum(first) // len(first) * (n - 1) + alloc(nodes[-1], True)
    for g in st.groups.values():
        pel = len(g.pel)
        size += 40 + _rax_size(pel, pel * 6 // 5 + 1) + 24 * pel
        for consumer in g.consumers.values():
            own = len(consumer.pel)
            size += 24 + _blen(consumer.name) + _rax_size(own, own * 6 // 5 + 1)
    return size


def key_usage(db, key: str, v, cfg: dict, samples: int = DEFAULT_SAMPLES) -> int:
    """MEMORY USAGE: the value, the key's sds and its dict entry."""
    return value_size(db, key, v, cfg, samples) + sds_size(_blen(key)) + DICT_ENTRY


@command("memory|usage")
def memory_usage(c, args):
    samples = DEFAULT_SAMPLES
    j = 3
    while j < len(args):
        if args[j].lower() == "samples" and j + 1 < len(args):
            samples = parse_int(args[j + 1])
            if samples < 0:
                raise SYNTAX
            if samples == 0:
                samples = 1 << 62
            j += 2
        else:
            raise SYNTAX
    v = c.db.data.get(args[2], MISSING)    # dictFind: no expiry, no stats, no access update
    if v is MISSING:
        return None
    return key_usage(c.db, args[2], v, c.config.values, samples)


# ---- STATS / DOCTOR ----------------------------------------------------------------------
def _f32(x: float) -> float:
    """Redis keeps these ratios in C floats: the same digits as it prints them."""
    return struct.unpack("f", struct.pack("f", x))[0]


def _overview(c) -> dict:
    """getMemoryOverheadData, from what INFO memory reports."""
    from .info import _lua_memory, _section_memory
    info = dict(_section_memory(c))
    lua = dict(_lua_memory(c))
    total, peak, rss = info["used_memory"], info["used_memory_peak"], info["used_memory_rss"]
    peak = max(peak, total)
    io = c.clients.io
    replicas = normal = 0
    for x in c.clients.all():
        buffers = io.query_buffered(x) + io.output_pending(x)
        if x.kind == "replica":
            replicas += buffers
        else:
            normal += buffers
    dbs = []
    keys = 0
    for db in c.ks.dbs:
        n = len(db.data)
        if n:
            dbs.append((db.index, n * (DICT_ENTRY + 16) + _slots(n) * 8,
                        len(db.expires) * DICT_ENTRY + _slots(len(db.expires)) * 8))
            keys += n
    startup = BASE_MEMORY
    overhead = (startup + replicas + normal + lua["used_memory_scripts_eval"] + lua["used_memory_functions"]
                + sum(m + e for _, m, e in dbs))
    return {"total": total, "peak": peak, "rss": rss, "startup": startup, "replicas": replicas,
            "normal": normal, "lua": lua["used_memory_scripts_eval"], "functions": lua["used_memory_functions"],
            "dbs": dbs, "overhead": overhead, "keys": keys, "scripts": lua["number_of_cached_scripts"],
            "clients": len(c.clients.all())}


@command("memory|stats")
def memory_stats(c, args):
    m = _overview(c)
    total, startup, rss = m["total"], m["startup"], m["rss"]
    net = max(total - startup, 0)
    dataset = max(total - m["overhead"], 0)
    out = {
        "peak.allocated": m["peak"],
        "total.allocated": total,
        "startup.allocated": startup,
        "replication.backlog": 0,
        "clients.slaves": m["replicas"],
        "clients.normal": m["normal"],
        "cluster.links": 0,
        "aof.buffer": 0,
        "lua.caches": m["lua"],
        "functions.caches": m["functions"],
    }
    for index, main, expires in m["dbs"]:
        out["db.%d" % index] = {"overhead.hashtable.main": main, "overhead.hashtable.expires": expires,
                                "overhead.hashtable.slot-to-keys": 0}
    out.update({
        "overhead.total": m["overhead"],
        "keys.count": m["keys"],
        "keys.bytes-per-key": net // m["keys"] if m["keys"] else 0,
        "dataset.bytes": dataset,
        "dataset.percentage": _f32(dataset * 100.0 / net if net else 0.0),
        "peak.percentage": _f32(total * 100.0 / m["peak"] if m["peak"] else 0.0),
        "allocator.allocated": total,
        "allocator.active": total,
        "allocator.resident": rss,
        "allocator-fragmentation.ratio": _f32(1.0),
        "allocator-fragmentation.bytes": 0,
        "allocator-rss.ratio": _f32(rss / total if total else 1.0),
        "allocator-rss.bytes": rss - total,
        "rss-overhead.ratio": _f32(1.0),
        "rss-overhead.bytes": 0,
        "fragmentation": _f32(rss / total if total else 1.0),
        "fragmentation.bytes": rss - total,
    })
    return out


_EMPTY = ("Hi Sam, this instance is empty or is using very little memory, my issues detector can't be "
          "used in these conditions. Please, leave for your mission on Earth and fill it with some data. "
          "The new Sam and I will be back to our programming as soon as I finished rebooting.\n")
_FINE = ("Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs "
         "on this base.\n")
_REPORTS = {
    "big_peak": " * Peak memory: In the past this instance used more than 150% the memory that is currently "
                "using. The allocator is normally not able to release memory after a peak, so you can expect "
                "to see a big fragmentation ratio, however this is actually harmless and is only due to the "
                "memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than "
                "expected, the memory will be used as soon as you fill the Redis instance with more data. If "
                "the memory peak was only occasional and you want to try to reclaim memory, please try the "
                "MEMORY PURGE command, otherwise the only other option is to shutdown and restart the "
                "instance.\n\n",
    "big_client_buf": " * Big client buffers: The clients output buffers in this instance are greater than "
                      "200K per client (on average). This may result from different causes, like Pub/Sub "
                      "clients subscribed to channels bot not receiving data fast enough, so that data piles "
                      "on the Redis instance output buffer, or clients sending commands with large replies or "
                      "very large sequences of commands in the same pipeline. Please use the CLIENT LIST "
                      "command in order to investigate the issue if it causes problems in your instance, or "
                      "to understand better why certain clients are using a big amount of memory.\n\n",
    "many_scripts": " * Many scripts: There seem to be many cached scripts in this instance (more than 1000). "
                    "This may be because scripts are generated and `EVAL`ed, instead of being parameterized "
                    "(with KEYS and ARGV), `SCRIPT LOAD`ed and `EVALSHA`ed. Unless `SCRIPT FLUSH` is called "
                    "periodically, the scripts' caches may end up consuming most of your memory.\n\n",
}


def doctor_report(m: dict) -> str:
    """getMemoryDoctorReport, for the conditions pickledbd can tell (no allocator figures)."""
    if m["total"] < 5 * 1024 * 1024:
        return _EMPTY
    found = []
    if m["peak"] / m["total"] > 1.5:
        found.append("big_peak")
    if m["clients"] and m["normal"] / m["clients"] > 200 * 1024:
        found.append("big_client_buf")
    if m["scripts"] > 1000:
        found.append("many_scripts")
    if not found:
        return _FINE
    return ("Sam, I detected a few issues in this Redis instance memory implants:\n\n"
            + "".join(_REPORTS[f] for f in found)
            + "I'm here to keep you safe, Sam. I want to help you.\n")


@command("memory|doctor")
def memory_doctor(c, args):
    return Verbatim(doctor_report(_overview(c)))


@command("memory|malloc-stats")
def memory_malloc_stats(c, args):
    return Verbatim("Stats not supported for the current allocator")     # as Redis on libc malloc


@command("memory|purge")
def memory_purge(c, args):
    return OK


@command("memory|help")
def memory_help(c, args):
    return help_reply([
        "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DOCTOR",
        "    Return memory problems reports.",
        "MALLOC-STATS",
        "    Return internal statistics report from the memory allocator.",
        "PURGE",
        "    Attempt to purge dirty pages for reclamation by the allocator.",
        "STATS",
        "    Return information about the memory usage of the server.",
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value. Nested values are",
        "    sampled up to <count> times (default: 5, 0 means sample all).",
        "HELP",
        "    Prints this help.",
    ])


__all__ = ["key_usage", "value_size", "je", "RedisError"]
