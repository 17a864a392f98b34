"""RESP requests: hiredis parses multibulk requests, inline commands are split here.

Knows nothing of commands or replies.
"""
from __future__ import annotations

import re

import hiredis

__all__ = ["RequestReader", "ProtocolError", "split_inline"]


class ProtocolError(Exception):
    """A malformed request; the connection replies ``-ERR Protocol error: ...`` and closes."""


PROTO_MAX_BULK_LEN = 512 * 1024 * 1024
MAX_MULTIBULK_LEN = 1024 * 1024 * 1024
INLINE_MAX = 64 * 1024


def split_inline(line: bytes) -> list[str]:
    """Split an inline command as Redis's sdssplitargs does (quotes, \\xNN escapes)."""
    args: list[str] = []
    i, n = 0, len(line)
    while True:
        while i < n and line[i] in b" \t\n\r\v\f":
            i += 1
        if i >= n:
            return args
        cur = bytearray()
        inq = insq = False
        while True:
            if inq:
                if i >= n:
                    raise ProtocolError("unbalanced quotes in request")
                c = line[i]
                if c == 0x5C and i + 3 < n and line[i + 1] == 0x78 and _ishex(line[i + 2]) and _ishex(line[i + 3]):
                    cur.append(int(line[i + 2:i + 4], 16))
                    i += 3
                elif c == 0x5C and i + 1 < n:
                    i += 1
                    cur.append({0x6E: 10, 0x72: 13, 0x74: 9, 0x62: 8, 0x61: 7}.get(line[i], line[i]))
                elif c == 0x22:
                    if i + 1 < n and line[i + 1] not in b" \t\n\r\v\f":
                        raise ProtocolError("unbalanced quotes in request")
                    inq = False
                    i += 1
                    break
                else:
                    cur.append(c)
            elif insq:
                if i >= n:
                    raise ProtocolError("unbalanced quotes in request")
                c = line[i]
                if c == 0x5C and i + 1 < n and line[i + 1] == 0x27:
                    i += 1
                    cur.append(0x27)
                elif c == 0x27:
                    if i + 1 < n and line[i + 1] not in b" \t\n\r\v\f":
                        raise ProtocolError("unbalanced quotes in request")
                    insq = False
                    i += 1
                    break
                else:
                    cur.append(c)
            else:
                if i >= n:
                    break
                c = line[i]
                if c in b" \t\n\r\v\f":
                    break
                if c == 0x22:
                    inq = True
                elif c == 0x27:
                    insq = True
                else:
                    cur.append(c)
            i += 1
        args.append(cur.decode("utf-8", "surrogateescape"))


def _ishex(c: int) -> bool:
    return c in b"0123456789abcdefABCDEF"


_BIG_HEADER = re.compile(rb"\n([*$])(\d{9,})")
_MAYBE_BIG_COUNT = re.compile(rb"\*\d{8}")    # literal prefix: a fast scan of every chunk
_BIG_COUNT = re.compile(rb"(?:^|\n)\*(\d{8,})\r")
_SCAN_WINDOW = 4096
MAX_COUNT_FOR_HIREDIS = 16 * 1024 * 1024


class RequestReader:
    """Turns a byte stream into requests (lists of str). hiredis does the parsing;
    inline commands (``PING\\r\\n``) are split here.

    Guards keep a client from making us wait for, buffer or allocate gigabytes:
    - hiredis allocates a multibulk's list as soon as it reads the count, so a huge
      count (``*3000000000``) is rejected before hiredis sees it; to see every count
      whole, an unfinished line that starts with ``*`` is held back until it ends;
    - a chunk that leaves a request incomplete has its edges checked for an absurd
      declared length (``$2147483648``), and an incomplete request's size is bounded."""

    __slots__ = ("_reader", "_inline", "_held", "_at_line_end", "_skipped", "_incomplete_bytes",
                 "_tail", "error", "max_bulk", "max_buffer")

    def __init__(self, max_bulk: int = PROTO_MAX_BULK_LEN, max_buffer: int = 1 << 30):
        self._reader = hiredis.Reader(encoding="utf-8", errors="surrogateescape")
        self._inline = b""             # an incomplete inline line
        self._held = b""               # an unfinished line starting with '*', not yet given to hiredis
        self._at_line_end = True       # the last bytes given to hiredis ended a line
        self._skipped = 0              # bytes of ignored *0 / *-1 requests in this chunk
        self._incomplete_bytes = 0     # fed since the last complete request
        self._tail = b"\n"             # end of the previous chunk, for headers split across chunks
        self.error: ProtocolError | None = None   # set once the stream is malformed
        self.max_bulk = max_bulk
        self.max_buffer = max_buffer

    def buffered(self) -> int:
        """Bytes of an incomplete request held (CLIENT LIST qbuf)."""
        return len(self._inline) + len(self._held) + self._incomplete_bytes

    def feed(self, data: bytes) -> list:
        """Return the complete requests in ``data`` plus what was buffered before.
        On a malformed stream, returns the requests before the fault and sets ``error``
        (Redis runs those, then replies with the error and closes)."""
        out: list = []
        reader = self._reader
        at_boundary = False
        first = 0
        try:
            if self._held:
                data = self._held + data
                self._held = b""
            # A new request may be inline. hiredis keeps no bytes (has_data() is False) at an
            # item boundary inside a request too, and after a lone type byte; but then either
            # the last chunk did not end a line, or the next item starts with '$'.
            if self._inline or (data[0] != 42 and data[0] != 36 and self._at_line_end
                                and not reader.has_data()):
                data = self._feed_inline(self._inline + data, out)
                if not data:
                    return out
            if data[-1] != 10:
                nl = data.rfind(b"\n") + 1
                if data[nl:nl + 1] == b"*" and len(data) - nl < 64:
                    self._held = data[nl:]
                    data = data[:nl]
                    if not data:
                        return out
            first = len(out)
            at_boundary = data[0] == 42 and self._at_line_end and not reader.has_data()
            if _MAYBE_BIG_COUNT.search(data) is None:
                reader.feed(data)
                self._drain(out)
            else:
                self._feed_checking_counts(data, out)
            self._at_line_end = data[-1] == 10
            self._skipped = 0
            if len(out) > first and not reader.has_data():
                if self._incomplete_bytes:
                    self._incomplete_bytes = 0
                    self._tail = b"\n"
                return out
            self._check_incomplete(data, len(out) > first)
        except ProtocolError as e:
            self.error = e
        except hiredis.ProtocolError as e:
            if at_boundary and "reply type byte" in str(e):
                self._resume_inline(data, out, first)
            else:
                self.error = ProtocolError(_hiredis_message(str(e)))
        return out

    def _drain(self, out: list) -> None:
        gets = self._reader.gets
        req = gets()
        while req is not False:
            if req.__class__ is not list or not req:
                if req is not None and req != []:      # *-1 and *0 are ignored, as Redis does
                    raise ProtocolError("expected '*', got '%s'" % _first_char(req))
                self._skipped += 5 if req is None else 4
                req = gets()
                continue
            for a in req:
                if a.__class__ is not str:
                    raise ProtocolError("invalid bulk length" if a is None
                                        else "expected '$', got '%s'" % _first_char(a))
            out.append(req)
            req = gets()

    def _feed_checking_counts(self, data: bytes, out: list) -> None:
        """Rare path: ``data`` holds a line like ``*12345678``. Feed up to each such line;
        when hiredis has consumed everything before it, it is a request's count (or a
        nested array, invalid anyway) rather than bytes inside a bulk."""
        reader, pos = self._reader, 0
        for m in _BIG_COUNT.finditer(data):
            if int(m.group(1)) <= MAX_COUNT_FOR_HIREDIS:
                continue
            star = m.start(1) - 1
            if star > pos:
                reader.feed(data[pos:star])
                self._drain(out)
                pos = star
            if not reader.has_data() and (star == 0 and self._at_line_end or data[star - 1] == 10):
                raise ProtocolError("invalid multibulk length")
        reader.feed(data[pos:])
        self._drain(out)

    def _resume_inline(self, data: bytes, out: list, first: int) -> None:
        """An inline command after multibulk ones in the same chunk: hiredis stops at it.
        Restart after the requests it did parse (rare, so their size is computed here)."""
        consumed = self._skipped + sum(_wire_size(r) for r in out[first:])
        self._skipped = 0
        rest = data[consumed:]
        self._reader = hiredis.Reader(encoding="utf-8", errors="surrogateescape")
        self._at_line_end = True
        if rest[:1] in (b"*", b"$", b""):
            self.error = ProtocolError("expected '$', got '%s'" % rest[:1].decode("latin-1"))
            return
        out.extend(self.feed(rest))

    def _check_incomplete(self, data: bytes, progressed: bool) -> None:
        """The stream ends inside a request: bound its size, check its visible headers."""
        self._incomplete_bytes = len(data) if progressed else self._incomplete_bytes + len(data)
        if self._incomplete_bytes > self.max_buffer:
            raise ProtocolError("query buffer limit reached")
        self._check_headers(self._tail + data[:_SCAN_WINDOW])
        if len(data) > _SCAN_WINDOW:
            self._check_headers(data[-_SCAN_WINDOW:])
        self._tail = data[-32:]

    def _check_headers(self, window: bytes) -> None:
        for m in _BIG_HEADER.finditer(window):
            n = int(m.group(2))
            if m.group(1) == b"$" and n > self.max_bulk:
                raise ProtocolError("invalid bulk length")
            if m.group(1) == b"*" and n > MAX_MULTIBULK_LEN:
                raise ProtocolError("invalid multibulk length")

    def _feed_inline(self, data: bytes, out: list) -> bytes:
        """Consume inline lines from ``data``; return the rest, which starts at a ``*``."""
        while data and data[:1] != b"*":
            nl = data.find(b"\n")
            if nl < 0:
                if len(data) > INLINE_MAX:
                    raise ProtocolError("too big inline request")
                self._inline = data
                return b""
            line, data = data[:nl], data[nl + 1:]
            if line.endswith(b"\r"):
                line = line[:-1]
            args = split_inline(line)
            if args:
                out.append(args)
        self._inline = b""
        return data


def _first_char(v) -> str:
    return {int: ":", list: "*", float: ",", bool: "#"}.get(type(v), "?")


def _wire_size(req: list) -> int:
    """Bytes of a request in canonical RESP (only used to resync after an inline command)."""
    n = len(b"*%d\r\n" % len(req))
    for a in req:
        la = len(a) if a.isascii() else len(a.encode("utf-8", "surrogateescape"))
        n += len(b"$%d\r\n" % la) + la + 2
    return n


def _hiredis_message(msg: str) -> str:
    low = msg.lower()
    if "multi-bulk" in low or "multibulk" in low:
        return "invalid multibulk length"
    if "bulk" in low and "length" in low:
        return "invalid bulk length"
    if "reply type byte" in low:
        c = msg.split('"')[1] if '"' in msg else "?"
        return "expected '$', got '%s'" % c
    return msg
