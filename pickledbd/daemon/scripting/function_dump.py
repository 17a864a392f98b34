"""FUNCTION DUMP / RESTORE payloads, byte-compatible with Redis 7.0 (functions.c, rdb.c).

A payload is what an RDB file holds for the libraries: for each library the opcode
``RDB_OPCODE_FUNCTION2`` (245) and its code as an RDB string; then the RDB version (2 bytes,
little-endian) and the CRC64 of everything before (8 bytes, little-endian). redis-server
compresses strings longer than 20 bytes with LZF: those are read here too (written plain, which
Redis reads). The pre-GA format of the 7.0 release candidates (opcode 246: name, engine,
optional description, code) is read as Redis reads it.
"""
from __future__ import annotations

from ..errors import RedisError
from ..persistence.rdb import crc64

RDB_VERSION = 10                    # what redis-server 7.0 writes
OPCODE_FUNCTION_PRE_GA = 246
OPCODE_FUNCTION2 = 245

BAD_PAYLOAD = RedisError("ERR DUMP payload version or checksum are wrong")


class PayloadError(Exception):
    """A malformed payload; the message is Redis's error text (without "ERR ")."""


def dump_payload(codes: list[bytes]) -> bytes:
    body = b"".join(b"\xf5" + _string(code) for code in codes) + RDB_VERSION.to_bytes(2, "little")
    return body + crc64(body).to_bytes(8, "little")


def _string(b: bytes) -> bytes:
    """rdbSaveRawString without compression (no library code is an integer: it starts "#!")."""
    n = len(b)
    if n < 64:
        return bytes((n,)) + b
    if n < 16384:
        return bytes((0x40 | n >> 8, n & 0xFF)) + b
    if n <= 0xFFFFFFFF:
        return b"\x80" + n.to_bytes(4, "big") + b
    return b"\x81" + n.to_bytes(8, "big") + b


def verify(data: bytes) -> None:
    """verifyDumpPayload: the footer's RDB version is one we read and the CRC64 matches."""
    if len(data) < 10 or int.from_bytes(data[-10:-8], "little") > RDB_VERSION:
        raise BAD_PAYLOAD
    if crc64(data[:-8]) != int.from_bytes(data[-8:], "little"):
        raise BAD_PAYLOAD


def library_codes(data: bytes) -> list[bytes]:
    """The library codes of a verified payload, in order (PayloadError as Redis words it)."""
    r = _Reader(data)
    codes = []
    while len(data) - r.pos > 10:          # the last 10 bytes are the footer
        opcode = r.byte()
        if opcode == OPCODE_FUNCTION2:
            code = r.string()
            if code is None:
                raise PayloadError("Failed loading library payload")
        elif opcode == OPCODE_FUNCTION_PRE_GA:
            code = _pre_ga(r)
        else:
            raise PayloadError("given type is not a function")
        codes.append(code)
    return codes


def _pre_ga(r: "_Reader") -> bytes:
    name = r.string()
    if name is None:
        raise PayloadError("Failed loading library name")
    engine = r.string()
    if engine is None:
        raise PayloadError("Failed loading engine name")
    has_desc = r.length()
    if has_desc is None:
        raise PayloadError("Failed loading library description indicator")
    if has_desc and r.string() is None:
        raise PayloadError("Failed loading library description")
    blob = r.string()
    if blob is None:
        raise PayloadError("Failed loading library blob")
    return b"#!%s name=%s\n%s" % (engine, name, blob)


class _Reader:
    __slots__ = ("data", "pos")

    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def byte(self) -> int:
        b = self.data[self.pos]
        self.pos += 1
        return b

    def take(self, n: int) -> bytes | None:
        if n > len(self.data) - self.pos:
            return None
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def _len(self) -> tuple[int | None, bool]:
        """(length or encoding, is_encoded) as rdbLoadLenByRef; (None, False) at a bad byte."""
        if self.pos >= len(self.data):
            return None, False
        first = self.byte()
        kind = first >> 6
        if kind == 0:
            return first & 0x3F, False
        if kind == 1:
            if self.pos >= len(self.data):
                return None, False
            return ((first & 0x3F) << 8) | self.byte(), False
        if kind == 3:
            return first & 0x3F, True
        if first == 0x80:
            raw = self.take(4)
        elif first == 0x81:
            raw = self.take(8)
        else:
            return None, False                  # Redis: "Unknown length encoding"
        return (None if raw is None else int.from_bytes(raw, "big")), False

    def length(self) -> int | None:
        n, encoded = self._len()
        return None if encoded else n

    def string(self) -> bytes | None:
        """rdbGenericLoadStringObject: plain, integer-encoded or LZF-compressed; None if bad."""
        n, encoded = self._len()
        if n is None:
            return None
        if not encoded:
            return self.take(n)
        if n in (0, 1, 2):                                      # int8, int16, int32
            raw = self.take(1 << n)
            return None if raw is None else b"%d" % int.from_bytes(raw, "little", signed=True)
        if n == 3:
            clen, out_len = self.length(), self.length()
            if clen is None or out_len is None:
                return None
            packed = self.take(clen)
            return None if packed is None else lzf_decompress(packed, out_len)
        return None


MAX_LZF_RATIO = 90    # LZF expands at most ~88x (a 3-byte back reference makes 264 bytes)


def lzf_decompress(data: bytes, out_len: int) -> bytes | None:
    """liblzf's lzf_decompress; None when the data does not decode to exactly out_len bytes.
    A claimed length no LZF stream of this size can reach is refused before any work."""
    if out_len > MAX_LZF_RATIO * len(data) + 64:
        return None
    out = bytearray()
    i, n = 0, len(data)
    while i < n:
        ctrl = data[i]
        i += 1
        if ctrl < 32:                            # a literal run of ctrl + 1 bytes
            run = ctrl + 1
            if i + run > n:
                return None
            out += data[i:i + run]
            i += run
        else:                                    # a back reference
            run = ctrl >> 5
            if run == 7:
                if i >= n:
                    return None
                run += data[i]
                i += 1
            if i >= n:
                return None
            back = ((ctrl & 0x1F) << 8) + data[i] + 1
            i += 1
            start = len(out) - back
            if start < 0:
                return None
            run += 2
            if back >= run:
                out += out[start:start + run]
            else:                                # overlapping: the last `back` bytes repeat
                chunk = bytes(out[start:])
                out += (chunk * (run // back + 1))[:run]
        if len(out) > out_len:
            return None
    return bytes(out) if len(out) == out_len else None
