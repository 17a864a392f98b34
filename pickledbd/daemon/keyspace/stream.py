"""The stream value (Redis's t_stream.c data model): entries by ID, consumer groups, PELs.

An ID ``ms-seq`` is one int, ``ms * ID_BASE + seq`` (``make_id``): ordering and bisecting are
the int's. ``ID_BASE`` is above every seq (2**64) by a random amount, because CPython hashes an
int modulo 2**61 - 1, where 2**64 is 8: with ``ms << 64 | seq``, ``ms-seq`` and ``ms+1-(seq-8)``
hashed alike, so IDs of consecutive milliseconds collided in the dicts (entries, PELs) by
themselves, and a client adding chosen IDs could make every lookup walk one chain (a HashDoS).
Entries live in a dict ID -> tuple of field/value strings (``f1, v1, f2, v2, ...``) plus a
``SortedList`` of the live IDs, so XADD is O(log n) and XRANGE of k entries O(log n + k),
XDEL O(log n), flat from 1k to 1M entries (no tombstones to skip).

Redis keeps entries in listpack "nodes" of up to ``stream-node-max-entries`` entries /
``stream-node-max-bytes`` bytes: approximate trimming (``MAXLEN ~``, ``MINID ~``) removes
whole nodes only, and XINFO reports the node count. ``nodes`` mirrors that layout (each
node's first ID, size in listpack bytes, live and deleted counts) so ``~`` trims exactly
what Redis trims.

Public, stable API (used by persistence and the RDB encoder): ``items()`` (ID, fields) in
order, ``len(s)``, ``last_id``, ``first_id``, ``entries_added``, ``max_deleted_id``,
``groups`` (name -> Group with ``last_id``, ``entries_read`` (-1 = unknown), ``pel`` (ID ->
Nack: ``consumer``, ``delivery_time``, ``delivery_count``), ``consumers`` (name -> Consumer:
``name``, ``seen_time``, ``pel``)); ``to_plain()`` / ``Stream.from_plain()``: the documented
JSON form (docs/storage-contract.md).
"""
from __future__ import annotations

import secrets
from bisect import bisect_left, bisect_right
from itertools import islice

from sortedcontainers import SortedDict, SortedList

U64 = (1 << 64) - 1        # the largest ms and the largest seq
# a seq never reaches ID_BASE, so the encoding keeps the (ms, seq) order; the random part
# (secret, per process, below 2**60 so that the C path's 128-bit arithmetic holds realistic
# IDs) makes which IDs share a hash unpredictable
ID_BASE = (1 << 64) + 1 + secrets.randbelow(1 << 60)
MAX_ID = U64 * ID_BASE + U64
INVALID_READ = -1          # SCG_INVALID_ENTRIES_READ


def make_id(ms: int, seq: int) -> int:
    return ms * ID_BASE + seq


def id_parts(i: int) -> tuple:
    """(ms, seq)."""
    return divmod(i, ID_BASE)


def id_str(i: int) -> str:
    return "%d-%d" % divmod(i, ID_BASE)


def parse_id_str(s: str) -> int:
    """``ms-seq`` as written by ``id_str`` (stored data, not user input)."""
    ms, _, seq = s.partition("-")
    return int(ms) * ID_BASE + int(seq)


def id_incr(i: int) -> int:
    """The next ID (streamIncrID: a full seq carries into ms); not for MAX_ID."""
    return i + 1 if i % ID_BASE != U64 else (i // ID_BASE + 1) * ID_BASE


def id_decr(i: int) -> int:
    """The previous ID (streamDecrID: seq 0 borrows from ms); not for 0-0."""
    return i - 1 if i % ID_BASE else i - ID_BASE + U64


def id_bytes(i: int) -> bytes:
    """streamEncodeID: ms then seq, 8 bytes each, big-endian (memcmp order is ID order)."""
    ms, seq = divmod(i, ID_BASE)
    return ms.to_bytes(8, "big") + seq.to_bytes(8, "big")


def encode_entry(i: int, fields) -> bytes:
    """One [id, [field, value, ...]] reply element."""
    sid = "%d-%d" % divmod(i, ID_BASE)
    if len(fields) == 2:
        f, v = fields
        if f.isascii() and v.isascii():       # the common case, formatted in one go
            return ("*2\r\n$%d\r\n%s\r\n*2\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n"
                    % (len(sid), sid, len(f), f, len(v), v)).encode()
    parts = [b"*2\r\n$%d\r\n%s\r\n*%d\r\n" % (len(sid), sid.encode(), len(fields))]
    for f in fields:
        e = f.encode("utf-8", "surrogateescape")
        parts.append(b"$%d\r\n%s\r\n" % (len(e), e))
    return b"".join(parts)


def blen(s: str) -> int:
    return len(s) if s.isascii() else len(s.encode("utf-8", "surrogateescape"))


# ---- listpack sizes (listpack.c), to place node boundaries exactly where Redis does
def _int_size(v: int) -> int:
    if 0 <= v <= 127:
        return 1
    if -4096 <= v <= 4095:
        return 2
    if -32768 <= v <= 32767:
        return 3
    if -8388608 <= v <= 8388607:
        return 4
    if -2147483648 <= v <= 2147483647:
        return 5
    return 9


def backlen_size(n: int) -> int:
    if n <= 127:
        return 1
    if n < 16383:
        return 2
    if n < 2097151:
        return 3
    if n < 268435455:
        return 4
    return 5


def lp_int(v: int) -> int:
    s = _int_size(v)
    return s + backlen_size(s)


def lp_str(s: str) -> int:
    """An element's bytes: strings that read as an int64 are stored as integers."""
    n = len(s)
    if n < 62 and s.isascii() and not s[:1].isdigit() and s[:1] != "-":
        return n + 2            # the common case: a short text
    if 0 < n < 21 and s.isascii() and (s.isdigit() or (s[0] == "-" and s[1:].isdigit())):
        if (s[0] != "0" or n == 1) and not s.startswith("-0") and s != "-":
            v = int(s)
            if -(1 << 63) <= v < (1 << 63):
                return lp_int(v)
    n = blen(s)
    size = (1 + n) if n < 64 else (2 + n) if n < 4096 else (5 + n)
    return size + backlen_size(size)


class Node:
    """One listpack of Redis's layout: ``key`` its master ID, ``fields`` the master entry's
    field names, ``live``/``deleted`` entry counts, ``size`` its listpack bytes."""
    __slots__ = ("key", "fields", "live", "deleted", "size", "last")

    def __init__(self, key: int, fields: tuple, size: int):
        self.key = key
        self.fields = fields
        self.live = 0
        self.deleted = 0
        self.size = size
        self.last = key

    def bytes(self) -> int:
        live, deleted = self.live, self.deleted
        return (self.size + (2 if live <= 127 else lp_int(live))
                + (2 if deleted <= 127 else lp_int(deleted)))


class Nack:
    __slots__ = ("consumer", "delivery_time", "delivery_count")

    def __init__(self, consumer, delivery_time: int, delivery_count: int = 1):
        self.consumer = consumer
        self.delivery_time = delivery_time
        self.delivery_count = delivery_count


class Consumer:
    __slots__ = ("name", "seen_time", "pel")

    def __init__(self, name: str, seen_time: int):
        self.name = name
        self.seen_time = seen_time
        self.pel = SortedDict()       # ID -> Nack (the same objects as the group's PEL)


class Group:
    __slots__ = ("name", "last_id", "entries_read", "pel", "consumers")

    def __init__(self, name: str, last_id: int, entries_read: int = INVALID_READ):
        self.name = name
        self.last_id = last_id
        self.entries_read = entries_read
        self.pel = SortedDict()       # ID -> Nack
        self.consumers: dict = {}     # name -> Consumer


def byte_order(name: str):
    """Sort key for names in Redis's rax (memcmp) order."""
    return name.encode("utf-8", "surrogateescape")


class Stream:
    __slots__ = ("entries", "ids", "nodes", "node_keys", "last_id", "first_id", "entries_added",
                 "max_deleted_id", "groups", "node_max_entries", "node_max_bytes")

    def __init__(self, node_max_entries: int = 100, node_max_bytes: int = 4096):
        self.entries: dict = {}        # ID -> (f1, v1, f2, v2, ...)
        self.ids = SortedList()        # live IDs in order
        self.nodes: list = []          # Node, in ID order
        self.node_keys: list = []      # their master IDs (bisect)
        self.last_id = 0
        self.first_id = 0              # "recorded-first-entry-id" (maintained as Redis does)
        self.entries_added = 0
        self.max_deleted_id = 0
        self.groups: dict = {}         # name -> Group
        self.node_max_entries = node_max_entries
        self.node_max_bytes = node_max_bytes

    def __len__(self) -> int:
        return len(self.entries)

    def __bool__(self) -> bool:       # an empty stream is still a value (never auto-deleted)
        return True

    # ---- reads
    def items(self, start: int = 0, end: int = MAX_ID, reverse: bool = False):
        """(ID, fields) in ID order within [start, end], lazily."""
        entries = self.entries
        for i in self.ids.irange(start, end, reverse=reverse):
            yield i, entries[i]

    def range(self, start: int, end: int, count: int = 0, reverse: bool = False) -> list:
        out = []
        if start > end:
            return out
        entries = self.entries
        for i in self.ids.irange(start, end, reverse=reverse):
            out.append([id_str(i), list(entries[i])])
            if len(out) == count:
                break
        return out

    def range_bytes(self, start: int, end: int, count: int = 0, reverse: bool = False) -> bytes:
        """``range`` already encoded (the same in RESP2 and RESP3): an array of [id, fields]."""
        if start > end:
            return b"*0\r\n"
        entries = self.entries
        parts = [b""]
        n = 0
        for i in self.ids.irange(start, end, reverse=reverse):
            parts.append(encode_entry(i, entries[i]))
            n += 1
            if n == count:
                break
        parts[0] = b"*%d\r\n" % n
        return b"".join(parts)

    def last_valid_id(self) -> int:
        return self.ids[-1] if self.ids else 0

    def first_valid_id(self) -> int:
        return self.ids[0] if self.ids else 0

    # ---- writes
    def append(self, i: int, fields: tuple) -> None:
        """Add an entry whose ID is above ``last_id`` (checked by the caller)."""
        node = self.nodes[-1] if self.nodes else None
        if node is not None:
            total = 0
            for f in fields:
                total += len(f) if f.isascii() else blen(f)
            max_bytes = self.node_max_bytes
            if max_bytes <= 0 or max_bytes > (1 << 30):
                max_bytes = 1 << 30
            if node.bytes() + total >= max_bytes or (
                    self.node_max_entries and node.live + node.deleted >= self.node_max_entries):
                node = None
        if node is None:
            names = fields[0::2]
            # header + terminator, master count/deleted (added by bytes()), num-fields,
            # the field names, the master terminator "0"
            size = 7 + lp_int(len(names)) + sum(map(lp_str, names)) + 1 + 1
            node = Node(i, names, size)
            self.nodes.append(node)
            self.node_keys.append(i)
        n = len(fields) // 2
        ms, seq = divmod(i, ID_BASE)
        kms, kseq = divmod(node.key, ID_BASE)
        dms, dseq = ms - kms, seq - kseq
        size = (6 if 0 <= dms <= 127 and 0 <= dseq <= 127 else 2 + lp_int(dms) + lp_int(dseq))
        if fields[0::2] == node.fields:
            for v in fields[1::2]:
                size += lp_str(v)
            size += 2 if n < 125 else lp_int(n + 3)
        else:
            size += lp_int(n)
            for f in fields:
                size += lp_str(f)
            size += lp_int(2 * n + 4)
        node.size += size
        node.live += 1
        node.last = i
        self.entries[i] = fields
        ids = self.ids
        lists = ids._lists
        if lists and len(lists[-1]) < ids._load << 1:
            # IDs only grow: append to the last sublist (SortedList.add without its bisect)
            lists[-1].append(i)
            ids._maxes[-1] = i
            ids._len += 1
            if ids._index:
                del ids._index[:]
        else:
            ids.add(i)
        self.last_id = i
        self.entries_added += 1
        if len(self.entries) == 1:
            self.first_id = i

    def _node_of(self, i: int) -> int:
        return bisect_right(self.node_keys, i) - 1

    def _drop_entry(self, i: int) -> None:
        del self.entries[i]
        self.ids.remove(i)

    def delete(self, i: int) -> bool:
        """XDEL of one ID (marks it deleted in its node; an emptied node goes)."""
        if i not in self.entries:
            return False
        self._drop_entry(i)
        k = self._node_of(i)
        node = self.nodes[k]
        node.live -= 1
        node.deleted += 1
        if not node.live:
            del self.nodes[k]
            del self.node_keys[k]
        return True

    def trim(self, maxlen: int = -1, minid: int | None = None, approx: bool = False, limit: int = 0) -> int:
        """streamTrim: MAXLEN (``maxlen`` >= 0) or MINID; ``approx`` removes whole nodes only;
        ``limit`` caps the entries removed (0 = none). Returns the number removed."""
        deleted = 0
        nodes = self.nodes
        while nodes:
            if minid is None and len(self.entries) <= maxlen:
                break
            node = nodes[0]
            live = node.live
            if limit and deleted + live > limit:
                break
            if minid is None:
                remove = len(self.entries) - live >= maxlen
            else:
                remove = node.last < minid
            if remove:
                for i in list(islice(self.ids, live)):
                    self._drop_entry(i)
                del nodes[0]
                del self.node_keys[0]
                deleted += live
                continue
            if approx:
                break
            # exact: mark entries of this node deleted, from its first
            ids = list(islice(self.ids, live))
            for i in ids:
                if minid is None:
                    if len(self.entries) <= maxlen:
                        break
                elif i >= minid:
                    break
                self._drop_entry(i)
                node.live -= 1
                node.deleted += 1
                deleted += 1
            break
        self.first_id = self.ids[0] if self.ids else 0
        return deleted

    # ---- 7.0's logical read counters (entries-read, lag)
    def range_has_tombstones(self, start: int = 0, end: int = MAX_ID) -> bool:
        mdel = self.max_deleted_id
        if not self.entries or not mdel:
            return False
        if self.first_id > mdel:
            return False
        return start <= mdel <= end

    def estimate_distance(self, i: int) -> int:
        """streamEstimateDistanceFromFirstEverEntry."""
        if not self.entries_added:
            return 0
        if not self.entries and i <= self.last_id:
            return self.entries_added
        if i == self.last_id:
            return self.entries_added
        if i > self.last_id:
            return INVALID_READ
        mdel = self.max_deleted_id
        if not mdel or mdel < self.first_id:
            if i < self.first_id:
                return self.entries_added - len(self.entries)
            if i == self.first_id:
                return self.entries_added - len(self.entries) + 1
        return INVALID_READ

    def lag(self, g: Group):
        """streamReplyWithCGLag: the group's lag, or None when it cannot be known."""
        if not self.entries_added:
            return 0
        if g.entries_read != INVALID_READ and not self.range_has_tombstones(g.last_id):
            return self.entries_added - g.entries_read
        er = self.estimate_distance(g.last_id)
        if er != INVALID_READ:
            return self.entries_added - er
        return None

    # ---- groups
    def group_names(self) -> list:
        return sorted(self.groups, key=byte_order)

    def rax_nodes(self) -> int:
        """The radix tree's node count (XINFO STREAM radix-tree-nodes): a compressed trie of
        the nodes' 16-byte big-endian master IDs, as rax builds it."""
        keys = [id_bytes(k) for k in self.node_keys]
        if not keys:
            return 1
        return _trie_nodes(keys, 0, 16)

    # ---- copy / plain form
    def copy(self) -> "Stream":
        return Stream.from_plain(self.to_plain(), self.node_max_entries, self.node_max_bytes)

    def to_plain(self) -> dict:
        """The documented JSON form (docs/storage-contract.md, "stream")."""
        groups = []
        for name in self.group_names():
            g = self.groups[name]
            groups.append({
                "name": name, "last_id": id_str(g.last_id), "entries_read": g.entries_read,
                "pel": [[id_str(i), n.consumer.name, n.delivery_time, n.delivery_count]
                        for i, n in g.pel.items()],
                "consumers": [{"name": cn, "seen_time": g.consumers[cn].seen_time}
                              for cn in sorted(g.consumers, key=byte_order)],
            })
        return {
            "entries": [[id_str(i), list(f)] for i, f in self.items()],
            "last_id": id_str(self.last_id),
            "first_id": id_str(self.first_id),
            "entries_added": self.entries_added,
            "max_deleted_id": id_str(self.max_deleted_id),
            "groups": groups,
        }

    stream_plain = to_plain       # what the storage layer calls (storage/codec.py is_stream)

    @classmethod
    def from_plain(cls, d: dict, node_max_entries: int = 100, node_max_bytes: int = 4096) -> "Stream":
        s = cls(node_max_entries, node_max_bytes)
        for sid, fields in d.get("entries", ()):
            s.append(parse_id_str(sid), tuple(fields))
        s.last_id = parse_id_str(d.get("last_id", "0-0"))
        s.first_id = parse_id_str(d.get("first_id", "0-0"))
        s.entries_added = int(d.get("entries_added", len(s.entries)))
        s.max_deleted_id = parse_id_str(d.get("max_deleted_id", "0-0"))
        for gd in d.get("groups", ()):
            g = Group(gd["name"], parse_id_str(gd["last_id"]), int(gd.get("entries_read", INVALID_READ)))
            for cd in gd.get("consumers", ()):
                g.consumers[cd["name"]] = Consumer(cd["name"], int(cd.get("seen_time", 0)))
            for sid, cname, when, count in gd.get("pel", ()):
                cons = g.consumers.get(cname)
                if cons is None:
                    cons = g.consumers[cname] = Consumer(cname, 0)
                i = parse_id_str(sid)
                nack = Nack(cons, int(when), int(count))
                g.pel[i] = nack
                cons.pel[i] = nack
            s.groups[g.name] = g
        return s

    def __eq__(self, other) -> bool:
        return isinstance(other, Stream) and self.to_plain() == other.to_plain()

    __hash__ = None

    def __repr__(self) -> str:
        return "<Stream len=%d last=%s groups=%d>" % (len(self.entries), id_str(self.last_id), len(self.groups))


def _trie_nodes(keys: list, depth: int, length: int) -> int:
    """Nodes of a compressed trie over sorted, distinct, equal-length ``keys`` from ``depth``."""
    if len(keys) == 1:
        return 1 if depth == length else 2
    # the common prefix from depth (a compressed node), then a branching node
    first, last = keys[0], keys[-1]
    d = depth
    while first[d] == last[d]:
        d += 1
    n = 1 if d > depth else 0
    n += 1          # the branching node
    start = 0
    while start < len(keys):
        c = keys[start][d]
        end = start + 1
        while end < len(keys) and keys[end][d] == c:
            end += 1
        n += _trie_nodes(keys[start:end], d + 1, length)
        start = end
    return n


__all__ = ["Stream", "Group", "Consumer", "Nack", "Node", "make_id", "id_str", "parse_id_str",
           "id_parts", "id_bytes", "id_incr", "id_decr", "MAX_ID", "U64", "ID_BASE", "INVALID_READ", "bisect_left"]
