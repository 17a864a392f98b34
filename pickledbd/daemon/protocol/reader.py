"""RESP requests: a byte stream in, requests (lists of str) out, by Redis 7.0's rules
(networking.c processInlineBuffer / processMultibulkBuffer), byte for byte:

- a request starting with ``*`` is a multibulk, anything else an inline line;
- lines are found as Redis finds them (``strchr``): a NUL byte before the line end hides
  it, so the request waits, until 64 KB are buffered ("too big ..." errors);
- the byte after a header's ``\\r`` and the two bytes after a bulk are skipped unchecked;
- counts and lengths are parsed as ``string2ll`` does (no sign, no leading zero);
  a count <= 0 is skipped; nested arrays, RESP3 type bytes are refused;
- before AUTH, at most 10 arguments of at most 16 KB each.

Knows nothing of commands or replies.
"""
from __future__ import annotations

import re
from itertools import accumulate, chain, compress, count
from operator import ne

import hiredis
from hiredis import pack_command

from .. import speedups

__all__ = ["RequestReader", "ProtocolError", "QueryBufferLimit", "split_inline", "split_canonical"]


class ProtocolError(Exception):
    """A malformed request; the connection replies ``-ERR Protocol error: ...`` and closes."""


class QueryBufferLimit(ProtocolError):
    """An incomplete request outgrew client-query-buffer-limit: Redis closes without a reply."""


INT_MAX = 2**31 - 1
INLINE_MAX = 64 * 1024            # PROTO_INLINE_MAX_SIZE
UNAUTH_MAX_ARGS = 10
UNAUTH_MAX_BULK = 16384
BIG_ARG = 64 * 1024               # decoded from a view, not a copy
ARG_OVERHEAD = 64                 # a parsed argument's cost beyond its bytes (str + list slot)
_BLANKS = b" \t\n\r\v\f"          # isspace() in the C locale
_LINE_STOP = re.compile(rb"[ \t\n\r\"']")
_DQ_STOP = re.compile(rb'[\\"]')
_SQ_STOP = re.compile(rb"[\\']")
_NON_BLANK = re.compile(rb"[^ \t\n\v\f\r]")
_PLAIN_TOKEN = re.compile(rb"[^ \t\n\v\f\r][^ \t\n\r]*")
_ESCAPES = {0x6E: 10, 0x72: 13, 0x74: 9, 0x62: 8, 0x61: 7}
_HEX = b"0123456789abcdefABCDEF"


def split_inline(line: bytes) -> list[str]:
    """Split an inline command as Redis's sdssplitargs does (quotes, \\xNN escapes):
    blanks between tokens are any isspace(); a bare token ends at space, tab, CR or LF."""
    nul = line.find(b"\0")
    if nul >= 0:
        line = line[:nul]                  # a C string ends there
    if b'"' not in line and b"'" not in line:
        return [t.decode("utf-8", "surrogateescape") for t in _PLAIN_TOKEN.findall(line)]
    args: list[str] = []
    i, n = 0, len(line)
    while True:
        m = _NON_BLANK.search(line, i)
        if m is None:
            return args
        i = m.start()
        cur = bytearray()
        m = _LINE_STOP.search(line, i)    # a bare run, then maybe a quoted one ending the token
        j = n if m is None else m.start()
        cur += line[i:j]
        i = j
        if i < n and line[i] in b"\"'":
            i = _quoted(line, i + 1, cur, line[i] == 0x22)
        args.append(cur.decode("utf-8", "surrogateescape"))


def _quoted(line: bytes, i: int, cur: bytearray, double: bool) -> int:
    """Append a quoted run's bytes to ``cur``; return the offset after the closing quote,
    which ends the token."""
    n = len(line)
    stop = _DQ_STOP if double else _SQ_STOP
    while True:
        m = stop.search(line, i)
        if m is None:
            raise ProtocolError("unbalanced quotes in request")
        j = m.start()
        cur += line[i:j]
        i = j
        if line[i] == 0x5C:                # backslash
            if double:
                if i + 3 < n and line[i + 1] == 0x78 and line[i + 2] in _HEX and line[i + 3] in _HEX:
                    cur.append(int(line[i + 2:i + 4], 16))
                    i += 4
                elif i + 1 < n:
                    cur.append(_ESCAPES.get(line[i + 1], line[i + 1]))
                    i += 2
                else:
                    raise ProtocolError("unbalanced quotes in request")
            elif i + 1 < n and line[i + 1] == 0x27:
                cur.append(0x27)
                i += 2
            else:
                cur.append(0x5C)
                i += 1
            continue
        if i + 1 < n and line[i + 1] not in _BLANKS:    # closing quote glued to more text
            raise ProtocolError("unbalanced quotes in request")
        return i + 1


def _strict_int(s) -> int | None:
    """string2ll: optional '-', no leading zeros, no '+', no blanks, fits in 64 bits."""
    neg = s[:1] == b"-"
    digits = s[1:] if neg else s
    if not digits.isdigit() or len(digits) > 19 or (digits[0] == 48 and (len(digits) > 1 or neg)):
        return None
    v = -int(digits) if neg else int(digits)
    return v if -2**63 <= v < 2**63 else None


class _Headers(dict):
    """Bulk headers by length: ``$3`` for 3 (cached for short lengths)."""

    def __missing__(self, n: int) -> str:
        return "$%d" % n


_HEADERS = _Headers((n, "$%d" % n) for n in range(4096))
_COUNT_OF = {"*%d" % n: n for n in range(1, 1024)}


class RequestReader:
    """Turns a byte stream into requests, keeping the state Redis keeps (the unparsed bytes,
    the arguments read so far of an unfinished multibulk, the bulk length it waits for).

    Two parsers give the same requests: ``_fast`` takes runs of canonical multibulk
    requests (what clients send) with C-speed splitting; ``_one`` takes one request of any
    shape by Redis's rules, and every request ``_fast`` cannot vouch for.

    Nothing is allocated from a declared count or length, and an unfinished request's
    bytes (buffered and already parsed) are bounded by ``max_buffer``
    (client-query-buffer-limit). A bulk arriving in many reads is appended, never rescanned."""

    __slots__ = ("_buf", "_args", "_left", "_bulk", "_held", "error", "max_bulk",
                 "max_buffer", "unauth", "more")

    def __init__(self, max_bulk: int = 512 * 1024 * 1024, max_buffer: int = 1 << 30):
        self._buf = bytearray()        # bytes not parsed yet
        self._args: list = []          # arguments read of the unfinished multibulk
        self._left = 0                 # arguments it still needs (0: between requests)
        self._bulk = -1                # length of the bulk being read; -1: its header is next
        self._held = 0                 # bytes held by _args (counted in the buffer limit)
        self.error: ProtocolError | None = None   # set once the stream is malformed
        self.max_bulk = max_bulk
        self.max_buffer = max_buffer
        self.unauth = False            # AUTH required and not done: Redis's tighter limits
        self.more = False              # stopped short (before AUTH, see feed): call feed(b"")

    def buffered(self) -> int:
        """Bytes of an incomplete request held (CLIENT LIST qbuf)."""
        return len(self._buf)

    def feed(self, data: bytes) -> list:
        """Return the complete requests in ``data`` plus what was buffered before.
        On a malformed stream, returns the requests before the fault and sets ``error``
        (Redis runs those, then replies with the error and closes). While ``unauth``, a
        request past the limits Redis sets before AUTH stops the parse there with ``more``
        set: the caller runs the requests before it (an AUTH among them lifts the limits)
        and feeds ``b""``; only a first request past them is an error."""
        out: list = []
        self.more = False
        if self.error is not None:
            return out
        buf = self._buf
        if buf:
            buf += data
            if self._bulk >= 0 and len(buf) < self._bulk + 2:     # still inside a bulk
                self._check_limit()
                return out
        elif not data:
            return out
        else:
            buf = data
        n = len(buf)
        pos = 0
        fast_tries = 4     # each try copies the rest of the chunk: bound it
        try:
            while pos < n:
                if self.unauth:
                    pass                          # Redis's limits before AUTH: the exact parser
                elif fast_tries and not self._left and buf[pos] == 42:
                    fast_tries -= 1
                    pos = self._fast(buf, pos, out)
                    if pos >= n:
                        break
                elif fast_tries and self._left and self._bulk < 0 and buf[pos] == 36:
                    fast_tries -= 1
                    pos = self._fast_args(buf, pos, out)
                    if pos >= n:
                        break
                pos, complete = self._one(buf, pos, n, out)
                if not complete:
                    break
        except ProtocolError as e:
            self.error = e
            self._buf = bytearray()
            self._args = []
            self._held = 0
            return out
        if pos >= n:
            if buf is not data:
                self._buf = bytearray()
        elif buf is data:
            self._buf = bytearray(memoryview(data)[pos:])
        else:
            del buf[:pos]
        if self._left or self._buf:
            self._check_limit()
        return out

    def stash(self, data: bytes) -> None:
        """Keep ``data`` unparsed (requests read but not run yet may hold an AUTH); parse
        it with the next ``feed``."""
        if data:
            self._buf += data
            self.more = True
            self._check_limit()

    def _check_limit(self) -> None:
        if len(self._buf) + self._held > self.max_buffer:
            self.error = QueryBufferLimit("query buffer limit reached")
            self._buf = bytearray()
            self._args = []
            self._held = 0

    def _fast(self, buf, pos: int, out: list) -> int:
        """Parse the canonical requests (``*N\r\n`` then ``$len\r\npayload\r\n`` each) at
        ``pos``; stop at the first other one and return the offset reached. Only requests
        whose bytes are exactly their canonical encoding are taken: those Redis reads the
        same way, whatever their content."""
        if _split_compiled is not None and len(buf) - pos <= self.max_bulk:
            pos += _split_compiled(buf, out, pos)     # _by_split in C, on the buffer itself
            if pos >= len(buf) or buf[pos] != 42:     # below reads from a '*' only
                return pos
            # stopped short: at an unfinished or odd request, or at a payload holding CRLF
            # (which hiredis below takes, as it did before the C split)
        chunk = buf[pos:] if pos or buf.__class__ is not bytes else buf
        if len(chunk) > self.max_bulk:
            return pos
        if _BIG_ARRAY.search(chunk) is None:
            odd = chunk.translate(_ODD_BYTES).find(b"%") >= 0
            if not odd or _BIG_AGGREGATE.search(chunk) is None:
                taken = _by_hiredis(chunk, out, odd)
                if taken >= 0:
                    return pos + taken
        return pos + _by_split(chunk, out)

    def _fast_args(self, buf, pos: int, out: list) -> int:
        """Inside a long request (MSET, RPUSH of many values): take its canonical
        ``$len\r\npayload\r\n`` arguments at ``pos`` at once; return the offset reached."""
        chunk = buf[pos:] if pos or buf.__class__ is not bytes else buf
        if len(chunk) > self.max_bulk:
            return pos
        toks, lens = _tokens(chunk)
        k = min(self._left, (len(toks) - 1) // 2)     # pairs followed by CRLF
        heads = toks[0:2 * k:2]
        canon = list(map(_HEADERS.__getitem__, lens[1:2 * k:2]))
        if heads != canon:
            k = next(compress(count(), map(ne, heads, canon)))
        if not k:
            return pos
        self._args += toks[1:2 * k:2]
        self._left -= k
        size = sum(lens[:2 * k]) + 4 * k
        self._held += size + ARG_OVERHEAD * k
        if not self._left:
            out.append(self._args)
            self._args = []
            self._held = 0
        return pos + size

    def _one(self, buf, pos: int, n: int, out: list) -> tuple[int, bool]:
        """Parse one request (or what is left of the unfinished one) at ``pos`` by Redis's
        rules; return the offset reached and whether the request is complete (if not, the
        state is kept and the rest waits for more bytes)."""
        left, bulk, args, held = self._left, self._bulk, self._args, self._held
        try:
            if not left:
                if buf[pos] != 42:            # not '*': an inline command
                    end = self._inline(buf, pos, n, out)
                    return (pos, False) if end < 0 else (end, True)
                cr = buf.find(b"\r", pos)
                if cr < 0 or buf.find(b"\0", pos, cr) >= 0:
                    self._line_wait(buf, pos, n, "too big mbulk count string")
                    return pos, False
                if cr > n - 2:                    # the byte after it is not there yet
                    return pos, False
                count = _strict_int(buf[pos + 1:cr])
                if count is None or count > INT_MAX:
                    raise ProtocolError("invalid multibulk length")
                if count > UNAUTH_MAX_ARGS and self.unauth:
                    if out:                       # an AUTH before it may lift the limit
                        self.more = True
                        return pos, False
                    raise ProtocolError("unauthenticated multibulk length")
                pos = cr + 2
                if count <= 0:
                    return pos, True
                left, bulk, args, held = count, -1, [], 0
            while left:
                if bulk < 0:
                    cr = buf.find(b"\r", pos)
                    if cr < 0 or buf.find(b"\0", pos, cr) >= 0:
                        self._line_wait(buf, pos, n, "too big bulk count string")
                        return pos, False
                    if cr > n - 2:
                        return pos, False
                    c = buf[pos]
                    if c != 36:
                        raise ProtocolError("expected '$', got '%s'" % (" " if c in (10, 13) else chr(c)))
                    size = _strict_int(buf[pos + 1:cr])
                    if size is None or size < 0 or size > self.max_bulk:
                        raise ProtocolError("invalid bulk length")
                    if size > UNAUTH_MAX_BULK and self.unauth:
                        if out:
                            self.more = True
                            return pos, False
                        raise ProtocolError("unauthenticated bulk length")
                    bulk = size
                    pos = cr + 2
                if n - pos < bulk + 2:
                    return pos, False
                if bulk < BIG_ARG:
                    args.append(buf[pos:pos + bulk].decode("utf-8", "surrogateescape"))
                else:
                    with memoryview(buf) as mv:
                        args.append(str(mv[pos:pos + bulk], "utf-8", "surrogateescape"))
                pos += bulk + 2
                held += bulk + ARG_OVERHEAD
                bulk = -1
                left -= 1
            out.append(args)
            args, held = [], 0
            return pos, True
        finally:
            self._left, self._bulk, self._args, self._held = left, bulk, args, held

    @staticmethod
    def _line_wait(buf, pos: int, n: int, too_big: str) -> None:
        """No complete line at ``pos`` yet (Redis's strchr stops at a NUL): wait, up to 64 KB."""
        if n - pos > INLINE_MAX:
            raise ProtocolError(too_big)

    @staticmethod
    def _inline(buf, pos: int, n: int, out: list) -> int:
        """Parse the inline line at ``pos``; return the offset after it, or -1 to wait."""
        nl = buf.find(b"\n", pos)
        if nl < 0 or buf.find(b"\0", pos, nl) >= 0:
            if n - pos > INLINE_MAX:
                raise ProtocolError("too big inline request")
            return -1
        end = nl - 1 if nl > pos and buf[nl - 1] == 13 else nl
        args = split_inline(bytes(buf[pos:end]))
        if args:
            out.append(args)
        return nl + 1


# hiredis would allocate an aggregate's list on reading its count: with a large count
# anywhere (even inside a payload, rarely), the chunk is parsed in Python instead. The bytes
# that start the other aggregates are rare in requests (``_ODD_BYTES``): a character class
# has no fast scan, so the full search runs only when one is present.
_BIG_AGGREGATE = re.compile(rb"[*%~>|]\d{5}")
_BIG_ARRAY = re.compile(rb"\*\d{5}")     # a literal first byte: scanned at memchr speed
# The type bytes of aggregates other than arrays, and of the elements hiredis decodes to the
# same Python value as a bulk string or an array: simple string, verbatim string, big
# number, attribute, set, push (tests/test_resp_reader.py tries every type byte).
_ODD_BYTES = bytes.maketrans(b"~>|+=(", b"%%%%%%")    # mapped to "%", found with one find
_LIST, _STR = {list}, {str}


def _by_hiredis(chunk: bytes, out: list, odd: bool = True) -> int:
    """hiredis parses. A chunk it reads whole as plain requests is taken at once: each a
    non-empty list of strings (no nesting, nulls, numbers, errors, empty arrays), no element
    sent as another type that decodes the same (only looked for when ``odd``), and hiredis
    ended between requests (it may have taken every byte yet be inside an array: an empty
    array fed then comes back alone only at a boundary, leaving the reader as it was).
    Otherwise ``_by_packing`` decides. Returns the bytes taken, or -1 if the chunk holds
    non-UTF-8 text that is not plain (hiredis cannot re-encode it)."""
    reader = _hiredis[0]
    reader.feed(chunk)
    reqs: list = []
    try:
        req = reader.gets()
        while req is not False:
            reqs.append(req)
            req = reader.gets()
        if (not reader.has_data() and set(map(type, reqs)) == _LIST and all(reqs)
                and set(map(type, chain.from_iterable(reqs))) == _STR):
            reader.feed(b"*0\r\n")
            if reader.gets() == [] and not reader.has_data():
                if not odd:
                    out += reqs
                    return len(chunk)
                # a type byte hiredis decodes like a bulk or an array may start an element
                # anywhere: hiredis skips the two bytes after a payload unread, so in
                # "$1\r\nx\n\r~1\r\n..." it reads a set where Redis reads "~1" inline. Only
                # the chunk's own bytes tell (re-encoded, compared)
                return _by_packing(chunk, reqs, out, True)
            _hiredis[0] = _new_hiredis()
            return _by_packing(chunk, reqs, out, False)
    except Exception:      # ProtocolError; TypeError for a map keyed by a list: stop there
        _hiredis[0] = _new_hiredis()
        return _by_packing(chunk, reqs, out, False)
    return _by_packing(chunk, reqs, out, not reader.has_data())


def _by_packing(chunk: bytes, reqs: list, out: list, clean: bool) -> int:
    """The requests hiredis read, re-encoded: the longest prefix that gives back the
    chunk's own bytes is taken."""
    while reqs:
        try:
            packed = (pack_command(tuple(reqs[0])) if len(reqs) == 1
                      else b"".join(map(pack_command, map(tuple, reqs))))
        except UnicodeEncodeError:
            _hiredis[0] = _new_hiredis()
            return -1
        except TypeError:                  # not a list of strings: keep those before it
            reqs = reqs[:_first_odd(reqs)]
            continue
        if all(reqs) and chunk.startswith(packed):
            if not clean or len(packed) != len(chunk):
                _hiredis[0] = _new_hiredis()          # it holds part of a request
            out += reqs
            return len(packed)
        reqs = reqs[:len(reqs) // 2]       # find the canonical prefix (rare: a bad frame)
    _hiredis[0] = _new_hiredis()
    return 0


def _new_hiredis():
    return hiredis.Reader(encoding="utf-8", errors="surrogateescape")


_hiredis = [_new_hiredis()]        # reused while it ends each chunk between requests


def _first_odd(reqs: list) -> int:
    for i, r in enumerate(reqs):
        if r.__class__ is not list or any(a.__class__ is not str for a in r):
            return i
    return len(reqs)


def _tokens(chunk) -> tuple[list, list]:
    """The chunk split on CRLF, decoded, and each token's length in bytes."""
    if chunk.isascii():
        toks = chunk.decode("ascii").split("\r\n")
        return toks, list(map(len, toks))
    # CRLF bytes decode to CRLF and to nothing else: the two splits align
    return chunk.decode("utf-8", "surrogateescape").split("\r\n"), list(map(len, chunk.split(b"\r\n")))


def _by_split(chunk, out: list, ends: list | None = None) -> int:
    """The same in Python, for chunks with non-UTF-8 bytes: split on CRLF once, take each
    request whose tokens are exactly its canonical encoding; return the bytes taken. With
    ``ends``, each request's end offset in the chunk is appended to it (the AOF loader)."""
    toks, lens = _tokens(chunk)
    canon = list(map(_HEADERS.__getitem__, lens))    # each token's header, were it a payload
    last = len(toks) - 1                   # toks[last] is not followed by CRLF
    count_of = _COUNT_OF.get
    append = out.append
    if ends is not None:
        upto = list(accumulate(lens))         # bytes of the tokens up to each one
    i = 0
    while i < last:
        c = count_of(toks[i])
        if c is None:
            break
        j = i + 1 + c + c
        if j > last or toks[i + 1:j:2] != canon[i + 2:j + 1:2]:
            break
        append(toks[i + 2:j:2])
        if ends is not None:
            ends.append(upto[j - 1] + 2 * j)     # its tokens and their CRLFs
        i = j
    if i == 0:
        return 0
    return len(chunk) - sum(lens[i:]) - 2 * (last - i)


_split_compiled = getattr(speedups._speedups, "split_canonical", None) if speedups.COMPILED else None
split_canonical = _by_split     # the AOF loader reads its files' plain commands with it
