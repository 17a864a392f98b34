"""DUMP, RESTORE and MIGRATE (Redis 7.0 cluster.c), in Redis's DUMP payload format.

Payloads are written by persistence/rdb.py and read by persistence/rdbload.py, reached through
the persistence service (``c.persistence.encode_dump`` / ``decode_dump``). Payloads are
validated as ``sanitize-dump-payload yes`` does: a bad one is ``ERR Bad data format`` and
changes nothing.

RESTORE propagates as sent, except that a relative TTL becomes absolute (``<ms> ... ABSTTL``)
and an already expired one that replaced a key becomes ``DEL key``. MIGRATE blocks the server
while it talks to the target (as Redis's does), every step bounded by its timeout; it
propagates ``DEL`` of the keys the target acknowledged (none with COPY).
"""
from __future__ import annotations

import socket
import time

from ..engine.command import command
from ..errors import SYNTAX, RedisError, formatted
from ..keyspace import MISSING, events, now_ms
from ..keyspace.evict import lfu_minutes
from ..keyspace.smallhash import pack as pack_hash
from ..keyspace.stream import Stream
from ..protocol.reply import OK, Status
from .util import parse_int

BUSYKEY = RedisError("BUSYKEY Target key name already exists.")
BAD_TTL = RedisError("ERR Invalid TTL value, must be >= 0")
BAD_IDLE = RedisError("ERR Invalid IDLETIME value, must be >= 0")
BAD_FREQ = RedisError("ERR Invalid FREQ value, must be >= 0 and <= 255")
KEYS_NOT_EMPTY = RedisError("ERR When using MIGRATE KEYS option, the key argument must be set to "
                            "the empty string")
IOERR_CONNECT = RedisError("IOERR error or timeout connecting to the client")
NOKEY = Status("NOKEY")
_INT64 = 1 << 64


def _wrap64(n: int) -> int:
    """C's long long addition wraps (RESTORE with a huge relative TTL)."""
    n &= _INT64 - 1
    return n - _INT64 if n >= 1 << 63 else n


def _bytes(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


@command("dump")
def dump(c, args):
    v = c.db.lookup_read(args[1])
    if v is MISSING:
        return None
    data = c.persistence.encode_dump(v)
    return b"$%d\r\n%s\r\n" % (len(data), data)       # a bulk string in RESP2 and RESP3 alike


@command("restore")
def restore(c, args):
    replace = absttl = False
    freq = idle = -1
    j, n = 4, len(args)
    while j < n:
        opt = args[j].lower()
        more = n - j - 1
        if opt == "replace":
            replace = True
        elif opt == "absttl":
            absttl = True
        elif opt == "idletime" and more >= 1 and freq == -1:
            idle = parse_int(args[j + 1])
            if idle < 0:
                raise BAD_IDLE
            j += 1
        elif opt == "freq" and more >= 1 and idle == -1:
            freq = parse_int(args[j + 1])
            if freq < 0 or freq > 255:
                raise BAD_FREQ
            j += 1
        else:
            raise SYNTAX
        j += 1
    db = c.db
    key = args[1]
    if not replace and db.lookup(key) is not MISSING:
        raise BUSYKEY
    ttl = parse_int(args[2])
    if ttl < 0:
        raise BAD_TTL
    value = c.persistence.decode_dump(_bytes(args[3]))
    if type(value) is dict:                   # a small hash loads as a listpack (rdbLoadObject)
        conf = c.config.values
        value = pack_hash(value, conf["hash-max-listpack-entries"], conf["hash-max-listpack-value"])
    if type(value) is Stream:                 # later XADDs fill nodes as configured
        conf = c.config.values
        value.node_max_entries = conf.get("stream-node-max-entries", 100)
        value.node_max_bytes = conf.get("stream-node-max-bytes", 4096)
    deleted = replace and db.delete(key)
    if ttl and not absttl:
        ttl = _wrap64(ttl + now_ms())
    if ttl and ttl <= now_ms():
        if deleted:
            c.propagate_as(["DEL", key])
            db.notify(events.GENERIC, "del", key)
        return OK
    db.set(key, value)
    if ttl:
        db.set_expire(key, ttl)
        if not absttl:
            c.propagate_as([args[0], key, str(ttl), *args[3:], "ABSTTL"])
    _set_access(c, key, freq, idle)
    db.notify(events.GENERIC, "restore", key)
    return OK


def _set_access(c, key: str, freq: int, idle: int) -> None:
    """objectSetLRUOrLFU: FREQ counts under an LFU policy, IDLETIME otherwise."""
    ks = c.ks
    if ks.lfu:
        if freq >= 0 and c.db.access is not None:
            c.db.access[key] = (lfu_minutes() << 8) | freq
    elif idle >= 0:
        ks.mem.want_access()        # idle times are kept from now on (as OBJECT IDLETIME does)
        access = c.db.access
        if access is not None:
            now = int(time.time())
            access[key] = now - _lru_idle(now, idle)


LRU_CLOCK_MAX = (1 << 24) - 1


def _c_div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def _lru_idle(now: int, idle: int) -> int:
    """The idle time OBJECT IDLETIME then shows in Redis: its 24-bit LRU clock (seconds) wraps,
    and idle * 1000 / 1000 is C arithmetic (objectSetLRUOrLFU, estimateObjectIdleTime)."""
    clock = now & LRU_CLOCK_MAX
    lru_abs = _wrap64(clock - _c_div(_wrap64(idle * 1000), 1000))
    if lru_abs < 0:
        lru_abs = _wrap64(lru_abs + LRU_CLOCK_MAX)
    field = lru_abs & 0xFFFFFF                                       # robj.lru is 24 bits
    return clock - field if clock >= field else clock + (LRU_CLOCK_MAX - field)


# ---- MIGRATE -----------------------------------------------------------------------------------

def _atoi(s: str) -> int:
    """C's atoi: leading spaces, a sign, digits; anything else stops it (0 if none)."""
    s = s.lstrip(" \t\n\v\f\r")
    i = 1 if s[:1] in ("-", "+") else 0
    while i < len(s) and "0" <= s[i] <= "9":
        i += 1
    try:
        v = int(s[:i])
    except ValueError:
        return 0
    v = max(-(1 << 63), min(v, (1 << 63) - 1))          # strtol saturates, then an int cast
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v >= 1 << 31 else v


def _bulk(*parts: bytes) -> bytes:
    out = [b"*%d\r\n" % len(parts)]
    for p in parts:
        out.append(b"$%d\r\n%s\r\n" % (len(p), p))
    return b"".join(out)


class _Target:
    """A blocking connection to the target; every operation bounded by ``timeout`` seconds."""

    def __init__(self, host: str, port: int, timeout: float):
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def send(self, data: bytes) -> None:
        for i in range(0, len(data), 1 << 16):
            self.sock.sendall(data[i:i + (1 << 16)])

    def line(self) -> bytes:
        """syncReadLine with a 1024-byte buffer: up to 1023 bytes, CRLF dropped. The whole line
        must arrive within the timeout (a target sending a byte at a time cannot stretch it)."""
        deadline = time.monotonic() + self.timeout
        while True:
            i = self.buf.find(b"\n", 0, 1023)
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 1:]
                line = line[:-1] if line.endswith(b"\r") else line
                if not line:
                    raise OSError("empty reply line")
                return line
            if len(self.buf) >= 1023:
                line, self.buf = self.buf[:1023], self.buf[1023:]
                return line
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("reading")
            self.sock.settimeout(left)
            chunk = self.sock.recv(4096)
            if not chunk:
                raise OSError("connection closed")
            self.buf += chunk

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


@command("migrate")
def migrate(c, args):
    copy = replace = False
    user = password = None
    first_key, keys = 3, [args[3]]
    j, n = 6, len(args)
    while j < n:
        opt = args[j].lower()
        more = n - 1 - j
        if opt == "copy":
            copy = True
        elif opt == "replace":
            replace = True
        elif opt == "auth":
            if not more:
                raise SYNTAX
            j += 1
            password = args[j]
        elif opt == "auth2":
            if more < 2:
                raise SYNTAX
            user, password = args[j + 1], args[j + 2]
            j += 2
        elif opt == "keys":
            if args[3]:
                raise KEYS_NOT_EMPTY
            first_key = j + 1
            keys = args[first_key:]
            break
        else:
            raise SYNTAX
        j += 1
    timeout = parse_int(args[5])
    dbid = parse_int(args[4])
    if timeout <= 0:
        timeout = 1000
    db = c.db
    found = []
    for key in keys:
        v = db.lookup_read(key)
        if v is not MISSING:
            found.append((key, v))
    if not found:
        return NOKEY
    host, port = args[1], _atoi(args[2])
    for attempt in (0, 1):
        result = _migrate_once(c, host, port, timeout / 1000.0, dbid, found, copy, replace,
                               user, password, may_retry=attempt == 0)
        if result is not _RETRY:
            return result


_RETRY = object()


def _migrate_once(c, host, port, timeout, dbid, found, copy, replace, user, password, may_retry):
    try:
        if port < 0 or not host or host == "<broadcast>" or "\0" in host:
            raise socket.gaierror("no such address")   # getaddrinfo refuses these in Redis
        target = _Target(host, port & 0xFFFF, timeout)  # glibc keeps a service number's low 16 bits
    except (socket.gaierror, OverflowError, ValueError, UnicodeError):
        raise IOERR_CONNECT from None         # the address does not resolve
    except OSError as e:
        # Redis's blocking connect reports success even when the connection is refused or
        # times out: the failure shows when the request is written.
        return _socket_error(True, e, may_retry)
    try:
        return _transfer(c, target, dbid, found, copy, replace, user, password, may_retry)
    finally:
        target.close()


def _transfer(c, target, dbid, found, copy, replace, user, password, may_retry):
    db = c.db
    parts = []
    if password is not None:
        auth = [b"AUTH", _bytes(password)] if user is None else [b"AUTH", _bytes(user), _bytes(password)]
        parts.append(_bulk(*auth))
    parts.append(_bulk(b"SELECT", b"%d" % dbid))
    sent = []
    now = now_ms()
    for key, v in found:
        ttl = 0
        when = db.expires.get(key)
        if when is not None:
            ttl = when - now
            if ttl < 0:
                continue
            ttl = max(ttl, 1)
        req = [b"RESTORE", _bytes(key), b"%d" % ttl, c.persistence.encode_dump(v)]
        if replace:
            req.append(b"REPLACE")
        parts.append(_bulk(*req))
        sent.append(key)
    try:
        target.send(b"".join(parts))
    except OSError as e:
        return _socket_error(True, e, may_retry)
    try:
        auth_reply = target.line() if password is not None else b""
        select_reply = target.line()
    except OSError as e:
        return _socket_error(False, e, may_retry)
    error = None
    socket_error = None
    failed_at = -1
    acked = []
    for i, key in enumerate(sent):
        try:
            reply = target.line()
        except OSError as e:
            socket_error, failed_at = e, i
            break
        if auth_reply[:1] == b"-" or select_reply[:1] == b"-" or reply[:1] == b"-":
            if error is None:
                bad = (auth_reply if auth_reply[:1] == b"-" else
                       select_reply if select_reply[:1] == b"-" else reply)
                text = bad[1:].split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
                error = formatted("ERR Target instance replied with error: " + text)
        elif not copy:
            db.delete(key)
            db.notify(events.GENERIC, "del", key)
            acked.append(key)
    # Redis retries once on a fresh connection when the very first reply failed (not a timeout).
    if error is None and failed_at == 0 and may_retry and not isinstance(socket_error, TimeoutError):
        return _RETRY
    if acked:
        c.propagate_as(["DEL", *acked])
    if error is not None:
        raise error
    if socket_error is not None:
        raise RedisError("IOERR error or timeout reading to target instance")
    return OK


def _socket_error(writing: bool, e: OSError, may_retry: bool):
    if may_retry and not isinstance(e, TimeoutError):
        return _RETRY
    raise RedisError("IOERR error or timeout %s to target instance" % ("writing" if writing else "reading"))
