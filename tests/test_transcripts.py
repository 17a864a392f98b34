"""Replay the wire transcripts in protocol/*.t against redis-server and against pickledbd.

The format is specified in protocol/README.md.  Each transcript runs on a fresh plain-socket
connection after FLUSHALL; commands are sent as RESP arrays of bulk strings and replies are
parsed here (strictly, RESP2 and RESP3), so the exact wire type of every reply is checked.

Also a command-line tool, for writing and debugging transcripts::

    python tests/test_transcripts.py --port 6379 protocol/strings.t        # run, report mismatches
    python tests/test_transcripts.py --port 6379 --record protocol/x.t     # print x.t with the
        # server's actual replies filled in wherever the expectation is missing or does not match
"""

from __future__ import annotations

import math
import re
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
PROTOCOL_DIR = REPO_ROOT / "protocol"
REPLY_TIMEOUT = 3.0
MAX_TIMEOUTS = 3       # per transcript: after this many reply timeouts the rest is skipped
RAW_IDLE = 0.05        # after a raw send: wait this long for replies beyond the expected ones
TARGETS = ("redis", "pickledbd")


class TranscriptSyntaxError(Exception):
    pass


class WireError(Exception):
    """The server sent something that is not valid RESP, or the connection broke."""


# ----------------------------------------------------------------------------------------------
# Quoted strings (sdssplitargs-like) and their rendering
# ----------------------------------------------------------------------------------------------

_SIMPLE_ESCAPES = {"n": b"\n", "r": b"\r", "t": b"\t", "b": b"\b", "a": b"\a", "0": b"\0",
                   '"': b'"', "\\": b"\\", "'": b"'"}


def _read_dquoted(s: str, i: int) -> tuple[bytes, int]:
    """s[i] == '"'; returns (bytes, index after the closing quote)."""
    assert s[i] == '"'
    i += 1
    out = bytearray()
    while True:
        if i >= len(s):
            raise TranscriptSyntaxError(f"unterminated double quote in: {s}")
        c = s[i]
        if c == '"':
            return bytes(out), i + 1
        if c == "\\":
            if i + 1 >= len(s):
                raise TranscriptSyntaxError(f"dangling backslash in: {s}")
            n = s[i + 1]
            if n == "x":
                h = s[i + 2:i + 4]
                if len(h) != 2 or not all(ch in "0123456789abcdefABCDEF" for ch in h):
                    raise TranscriptSyntaxError(f"bad \\x escape in: {s}")
                out.append(int(h, 16))
                i += 4
                continue
            if n in _SIMPLE_ESCAPES:
                out += _SIMPLE_ESCAPES[n]
                i += 2
                continue
            raise TranscriptSyntaxError(f"unknown escape \\{n} in: {s}")
        out += c.encode()
        i += 1


def split_args(s: str) -> list[bytes]:
    """Split a command line: bare words are literal (UTF-8) up to whitespace; "..." takes the
    escapes \\xHH \\n \\r \\t \\b \\a \\0 \\" \\\\ \\'; '...' is literal except \\'."""
    args: list[bytes] = []
    i, n = 0, len(s)
    while True:
        while i < n and s[i] in " \t":
            i += 1
        if i >= n:
            return args
        if s[i] == '"':
            tok, i = _read_dquoted(s, i)
        elif s[i] == "'":
            j = i + 1
            buf = []
            while True:
                if j >= n:
                    raise TranscriptSyntaxError(f"unterminated single quote in: {s}")
                if s[j] == "\\" and j + 1 < n and s[j + 1] == "'":
                    buf.append("'")
                    j += 2
                    continue
                if s[j] == "'":
                    break
                buf.append(s[j])
                j += 1
            tok, i = "".join(buf).encode(), j + 1
        else:
            j = i
            while j < n and s[j] not in " \t":
                j += 1
            tok, i = s[i:j].encode(), j
            args.append(tok)
            continue
        if i < n and s[i] not in " \t":
            raise TranscriptSyntaxError(f"closing quote must be followed by a space in: {s}")
        args.append(tok)


def quote(b: bytes) -> str:
    """Render bytes as a double-quoted transcript string (redis-cli style)."""
    out = ['"']
    for ch in b:
        c = chr(ch)
        if c == '"':
            out.append('\\"')
        elif c == "\\":
            out.append("\\\\")
        elif c == "\n":
            out.append("\\n")
        elif c == "\r":
            out.append("\\r")
        elif c == "\t":
            out.append("\\t")
        elif 0x20 <= ch < 0x7F:
            out.append(c)
        else:
            out.append(f"\\x{ch:02x}")
    out.append('"')
    return "".join(out)


def render_command(args: list[bytes]) -> str:
    parts = []
    for a in args:
        if a and all(0x21 <= ch < 0x7F and chr(ch) not in "\"'\\" for ch in a):
            parts.append(a.decode())
        else:
            parts.append(quote(a))
    return " ".join(parts)


# ----------------------------------------------------------------------------------------------
# Replies as read from the wire: (type, value) tuples
#   ("status", bytes) ("error", bytes) ("int", int) ("bulk", bytes) ("nil",) ("nil-array",)
#   ("array", [..]) ("map", [(k, v), ..]) ("set", [..]) ("double", bytes) ("bool", bool)
#   ("null",) ("bignum", bytes) ("verbatim", fmt_bytes, bytes) ("push", [..])
# ----------------------------------------------------------------------------------------------

_INT_RE = re.compile(rb"-?[0-9]+\Z")


class Connection:
    def __init__(self, host: str, port: int, timeout: float = REPLY_TIMEOUT):
        self.host, self.port, self.timeout = host, port, timeout
        self.sock: socket.socket | None = None
        self.buf = b""
        self.connect()

    def connect(self) -> None:
        self.close()
        self.sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def close(self) -> None:
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
            self.sock = None

    def send(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except OSError as e:
            raise WireError(f"send failed: {e}") from e

    def send_command(self, args: list[bytes]) -> None:
        parts = [b"*%d\r\n" % len(args)]
        for a in args:
            parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.send(b"".join(parts))

    def _fill(self) -> None:
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout as e:
            raise WireError(f"timed out after {self.timeout:.0f}s waiting for a reply") from e
        except OSError as e:
            raise WireError(f"receive failed: {e}") from e
        if not chunk:
            raise WireError("connection closed by the server")
        self.buf += chunk

    def _line(self) -> bytes:
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                if b"\n" in line or b"\r" in line:
                    raise WireError(f"bare CR or LF inside a reply line: {line!r}")
                return line
            if b"\n" in self.buf:
                raise WireError(f"reply line not terminated by CRLF: {self.buf[:80]!r}")
            self._fill()

    def _exact(self, n: int) -> bytes:
        while len(self.buf) < n + 2:
            self._fill()
        data, term, self.buf = self.buf[:n], self.buf[n:n + 2], self.buf[n + 2:]
        if term != b"\r\n":
            raise WireError(f"bulk payload of {n} bytes not followed by CRLF (got {term!r})")
        return data

    def _int(self, s: bytes, what: str) -> int:
        if not _INT_RE.match(s):
            raise WireError(f"bad {what}: {s!r}")
        return int(s)

    def read_reply(self):
        line = self._line()
        if not line:
            raise WireError("empty reply line")
        t, rest = line[:1], line[1:]
        if t == b"+":
            return ("status", rest)
        if t == b"-":
            return ("error", rest)
        if t == b":":
            return ("int", self._int(rest, "integer reply"))
        if t == b"$":
            n = self._int(rest, "bulk length")
            if n == -1:
                return ("nil",)
            if n < 0:
                raise WireError(f"bad bulk length {n}")
            return ("bulk", self._exact(n))
        if t in (b"*", b"~", b">"):
            n = self._int(rest, "aggregate length")
            if n == -1 and t == b"*":
                return ("nil-array",)
            if n < 0:
                raise WireError(f"bad aggregate length {n}")
            items = [self.read_reply() for _ in range(n)]
            return ({b"*": "array", b"~": "set", b">": "push"}[t], items)
        if t == b"%":
            n = self._int(rest, "map length")
            if n < 0:
                raise WireError(f"bad map length {n}")
            return ("map", [(self.read_reply(), self.read_reply()) for _ in range(n)])
        if t == b",":
            if not re.fullmatch(rb"-?(inf|nan|[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?)", rest):
                raise WireError(f"bad double: {rest!r}")
            return ("double", rest)
        if t == b"#":
            if rest not in (b"t", b"f"):
                raise WireError(f"bad boolean: {rest!r}")
            return ("bool", rest == b"t")
        if t == b"_":
            if rest:
                raise WireError(f"bad null: {line!r}")
            return ("null",)
        if t == b"(":
            self._int(rest, "big number")
            return ("bignum", rest)
        if t == b"=":
            n = self._int(rest, "verbatim length")
            data = self._exact(n)
            if len(data) < 4 or data[3:4] != b":":
                raise WireError(f"bad verbatim string: {data[:20]!r}")
            return ("verbatim", data[:3], data[4:])
        if t == b"!":
            n = self._int(rest, "blob error length")
            return ("error", self._exact(n))
        if t == b"|":
            raise WireError("attribute replies (|) are not supported by this runner")
        raise WireError(f"unknown reply type byte {t!r} in line {line[:80]!r}")

    def drain(self, idle: float) -> list:
        """Read replies until none arrives for ``idle`` seconds; a close is ("closed",) and
        reconnects."""
        out = []
        self.sock.settimeout(idle)
        try:
            while True:
                if not self.buf:
                    try:
                        chunk = self.sock.recv(65536)
                    except socket.timeout:
                        break
                    except OSError:
                        chunk = b""
                    if not chunk:
                        out.append(("closed",))
                        self.connect()
                        return out
                    self.buf += chunk
                self.sock.settimeout(self.timeout)
                out.append(self.read_reply())
                self.sock.settimeout(idle)
        finally:
            if self.sock is not None:
                self.sock.settimeout(self.timeout)
        return out

    def wait_closed(self) -> bool | bytes:
        """True when the server closes the connection (within the timeout); else the data it sent."""
        if self.buf:
            data, self.buf = self.buf, b""
            return data
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            return b""
        except OSError:
            return True
        return True if not chunk else chunk


def _line_text(b: bytes) -> str:
    """Status/error text: literal when plain printable ASCII, else the quoted form."""
    plain = (b and all(0x20 <= ch < 0x7F for ch in b) and not b.endswith(b" ")
             and not b.startswith(b'"') and not b.startswith(b"~/"))
    return b.decode() if plain else quote(b)


def render_reply(r, indent: int = 0) -> list[str]:
    pad = " " * indent
    t = r[0]
    if t == "status":
        return [pad + "+" + _line_text(r[1])]
    if t == "error":
        return [pad + "-" + _line_text(r[1])]
    if t == "int":
        return [pad + f":{r[1]}"]
    if t == "bulk":
        return [pad + quote(r[1])]
    if t == "nil":
        return [pad + "(nil)"]
    if t == "nil-array":
        return [pad + "(nil-array)"]
    if t == "null":
        return [pad + "_"]
    if t in ("array", "set", "push"):
        sig = {"array": "*", "set": "~", "push": ">"}[t]
        out = [pad + f"{sig}{len(r[1])}"]
        for item in r[1]:
            out += render_reply(item, indent + 2)
        return out
    if t == "map":
        out = [pad + f"%{len(r[1])}"]
        for k, v in r[1]:
            out += render_reply(k, indent + 2)
            out += render_reply(v, indent + 2)
        return out
    if t == "double":
        return [pad + "," + r[1].decode()]
    if t == "bool":
        return [pad + ("#t" if r[1] else "#f")]
    if t == "bignum":
        return [pad + "(" + r[1].decode()]
    if t == "verbatim":
        return [pad + "=" + r[1].decode("utf-8", "backslashreplace") + " " + quote(r[2])]
    if t == "closed":
        return [pad + "(closed)"]
    if t == "open":
        return [pad + "(connection still open" + (f"; unread: {r[1][:80]!r})" if r[1] else ")")]
    return [pad + repr(r)]


# ----------------------------------------------------------------------------------------------
# Expected replies
# ----------------------------------------------------------------------------------------------

@dataclass
class Exp:
    kind: str                   # see parse_expected
    value: object = None
    children: list = field(default_factory=list)
    mode: str = ""              # arrays: "" | "unordered" | "unordered-pairs"
    line: int = 0
    text: str = ""


_RANGE_RE = re.compile(r"(-?[0-9]+)?\.\.(-?[0-9]+)?\Z")
_FRANGE_RE = re.compile(r"([-+0-9.eEinf]+)?\.\.([-+0-9.eEinf]+)?\Z")


def _regex(body: str, lineno: int) -> re.Pattern:
    if len(body) < 2 or body[0] != "/" or body[-1] != "/":
        raise TranscriptSyntaxError(f"line {lineno}: regex must be written /.../: {body}")
    try:
        return re.compile(body[1:-1], re.DOTALL)
    except re.error as e:
        raise TranscriptSyntaxError(f"line {lineno}: bad regex {body}: {e}") from e


def parse_expected_line(text: str, lineno: int) -> tuple[Exp, int]:
    """Parse one expectation line; returns (node, number of child lines it needs)."""
    e = Exp(kind="", line=lineno, text=text)
    if text in ("(nil)", "(nil-array)", "(closed)", "_", "?", "#t", "#f"):
        e.kind = {"(nil)": "nil", "(nil-array)": "nil-array", "(closed)": "closed", "_": "null",
                  "?": "any", "#t": "bool", "#f": "bool"}[text]
        e.value = text == "#t"
        return e, 0
    sig, rest = text[:1], text[1:]
    if sig in "+-":
        kind = "status" if sig == "+" else "error"
        if rest.startswith("~/"):
            e.kind, e.value = kind + "~", _regex(rest[1:], lineno)
        elif rest.startswith('"'):
            v, end = _read_dquoted(rest, 0)
            if end != len(rest):
                raise TranscriptSyntaxError(f"line {lineno}: junk after quoted text: {text}")
            e.kind, e.value = kind, v
        else:
            if sig == "-" and not rest:
                raise TranscriptSyntaxError(f"line {lineno}: empty error")
            e.kind, e.value = kind, rest.encode()
        return e, 0
    if sig == ":":
        if rest.startswith("~"):
            m = _RANGE_RE.match(rest[1:])
            if not m:
                raise TranscriptSyntaxError(f"line {lineno}: integer range must be :~A..B: {text}")
            e.kind = "int~"
            e.value = (None if m.group(1) is None else int(m.group(1)),
                       None if m.group(2) is None else int(m.group(2)))
            return e, 0
        if not re.fullmatch(r"-?[0-9]+", rest):
            raise TranscriptSyntaxError(f"line {lineno}: bad integer: {text}")
        e.kind, e.value = "int", int(rest)
        return e, 0
    if sig == ",":
        if rest.startswith("~"):
            m = _FRANGE_RE.match(rest[1:])
            if not m:
                raise TranscriptSyntaxError(f"line {lineno}: double range must be ,~A..B: {text}")
            e.kind = "double~"
            e.value = (None if m.group(1) is None else float(m.group(1)),
                       None if m.group(2) is None else float(m.group(2)))
            return e, 0
        e.kind, e.value = "double", rest.encode()
        return e, 0
    if sig == '"':
        v, end = _read_dquoted(text, 0)
        if end != len(text):
            raise TranscriptSyntaxError(f"line {lineno}: junk after bulk string: {text}")
        e.kind, e.value = "bulk", v
        return e, 0
    if sig == "(":
        if not re.fullmatch(r"-?[0-9]+", rest):
            raise TranscriptSyntaxError(f"line {lineno}: bad big number: {text}")
        e.kind, e.value = "bignum", rest.encode()
        return e, 0
    if sig == "=":
        fmt, _, body = rest.partition(" ")
        if len(fmt) != 3:
            raise TranscriptSyntaxError(f"line {lineno}: verbatim must be =fmt \"...\": {text}")
        e.mode = fmt
        if body.startswith("~/"):
            e.kind, e.value = "verbatim~", _regex(body[1:], lineno)
        else:
            v, end = _read_dquoted(body, 0)
            if end != len(body):
                raise TranscriptSyntaxError(f"line {lineno}: junk after verbatim string: {text}")
            e.kind, e.value = "verbatim", v
        return e, 0
    if sig in "*%~":
        kind = {"*": "array", "%": "map", "~": "set"}[sig]
        if sig == "~" and rest.startswith("/"):
            e.kind, e.value = "bulk~", _regex(rest, lineno)
            return e, 0
        if rest == "?":
            e.kind = kind + "?"
            return e, 0
        count, _, mode = rest.partition(" ")
        if not re.fullmatch(r"[0-9]+", count):
            raise TranscriptSyntaxError(f"line {lineno}: bad aggregate length: {text}")
        mode = mode.strip()
        if mode and not (sig == "*" and mode in ("unordered", "unordered-pairs")):
            raise TranscriptSyntaxError(f"line {lineno}: unknown aggregate modifier {mode!r}")
        n = int(count)
        if mode == "unordered-pairs" and n % 2:
            raise TranscriptSyntaxError(f"line {lineno}: unordered-pairs needs an even length")
        e.kind, e.mode, e.value = kind, mode, n
        return e, (2 * n if sig == "%" else n)
    raise TranscriptSyntaxError(f"line {lineno}: cannot parse expected reply: {text}")


def parse_expected(lines: list[tuple[int, str]]) -> list[Exp]:
    """lines: (lineno, raw line) of one command's expectation; top level at indentation 0."""
    pos = 0

    def node(indent: int) -> Exp:
        nonlocal pos
        lineno, raw = lines[pos]
        ind = len(raw) - len(raw.lstrip(" "))
        if ind != indent:
            raise TranscriptSyntaxError(
                f"line {lineno}: expected indentation {indent}, found {ind}: {raw.strip()}")
        text = raw[ind:]
        if text != text.rstrip():
            raise TranscriptSyntaxError(
                f"line {lineno}: trailing whitespace in an expected reply (write text that ends "
                f"in spaces in the quoted form, e.g. -\"ERR ... \"): {raw!r}")
        e, nchild = parse_expected_line(text, lineno)
        pos += 1
        for _ in range(nchild):
            if pos >= len(lines):
                raise TranscriptSyntaxError(f"line {lineno}: {raw.strip()} is missing elements")
            e.children.append(node(indent + 2))
        return e

    out = []
    while pos < len(lines):
        out.append(node(0))
    return out


def matches(e: Exp, r) -> bool:
    k, t = e.kind, r[0]
    if k == "any":
        return t not in ("error", "closed")
    if k in ("status", "error", "bulk", "double", "bignum"):
        return t == k and r[1] == e.value
    if k in ("status~", "error~", "bulk~"):
        want = k[:-1]
        if want == "bulk" and t == "verbatim":
            return e.value.fullmatch(r[2].decode("utf-8", "surrogateescape")) is not None
        return t == want and e.value.fullmatch(r[1].decode("utf-8", "surrogateescape")) is not None
    if k == "verbatim":
        return t == "verbatim" and r[1] == e.mode.encode() and r[2] == e.value
    if k == "verbatim~":
        return (t == "verbatim" and r[1] == e.mode.encode()
                and e.value.fullmatch(r[2].decode("utf-8", "surrogateescape")) is not None)
    if k == "int":
        return t == "int" and r[1] == e.value
    if k == "int~":
        lo, hi = e.value
        return t == "int" and (lo is None or r[1] >= lo) and (hi is None or r[1] <= hi)
    if k == "double~":
        if t != "double":
            return False
        try:
            v = float(r[1])
        except ValueError:
            return False
        lo, hi = e.value
        return not math.isnan(v) and (lo is None or v >= lo) and (hi is None or v <= hi)
    if k in ("nil", "nil-array", "null", "closed"):
        return t == k
    if k == "bool":
        return t == "bool" and r[1] == e.value
    if k in ("array?", "map?", "set?"):
        return t == k[:-1]
    if k == "array":
        if t != "array" or len(r[1]) != e.value:
            return False
        if e.mode == "unordered":
            return _match_unordered(e.children, r[1], matches)
        if e.mode == "unordered-pairs":
            ep = [(e.children[i], e.children[i + 1]) for i in range(0, len(e.children), 2)]
            ap = [(r[1][i], r[1][i + 1]) for i in range(0, len(r[1]), 2)]
            return _match_unordered(ep, ap, _pair_matches)
        return all(matches(c, a) for c, a in zip(e.children, r[1]))
    if k == "set":
        return t == "set" and len(r[1]) == e.value and _match_unordered(e.children, r[1], matches)
    if k == "map":
        if t != "map" or len(r[1]) != e.value:
            return False
        ep = [(e.children[i], e.children[i + 1]) for i in range(0, len(e.children), 2)]
        return _match_unordered(ep, r[1], _pair_matches)
    raise AssertionError(f"unknown expectation kind {k}")


def _pair_matches(ep, ap) -> bool:
    return matches(ep[0], ap[0]) and matches(ep[1], ap[1])


def _match_unordered(exps, acts, fn) -> bool:
    """Bipartite matching (augmenting paths): every expectation gets a distinct actual item."""
    if len(exps) != len(acts):
        return False
    ok = [[fn(e, a) for a in acts] for e in exps]
    owner = [-1] * len(acts)

    def augment(i, seen) -> bool:
        for j in range(len(acts)):
            if ok[i][j] and not seen[j]:
                seen[j] = True
                if owner[j] < 0 or augment(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    return all(augment(i, [False] * len(acts)) for i in range(len(exps)))


# ----------------------------------------------------------------------------------------------
# Transcript files
# ----------------------------------------------------------------------------------------------

@dataclass
class Step:
    kind: str                     # "cmd" | "raw" | "resp3" | "resp2" | "sleep" | "reconnect"
    line: int
    text: str = ""
    args: list = field(default_factory=list)   # cmd: list[bytes]; raw: [bytes]; sleep: [float]
    expected: list = field(default_factory=list)
    exp_span: tuple = (0, 0)      # 0-based [start, end) line range of the expectation lines


@dataclass
class Block:
    line: int
    only: str | None = None       # "redis" | "pickledbd" | None
    steps: list = field(default_factory=list)


def is_comment(stripped: str) -> bool:
    return stripped == "#" or stripped.startswith("# ")


def parse_transcript(text: str, name: str = "<transcript>", allow_missing: bool = False) -> list[Block]:
    raw_lines = text.split("\n")
    blocks: list[Block] = []
    cur: Block | None = None
    i = 0

    def err(lineno, msg):
        return TranscriptSyntaxError(f"{name}:{lineno}: {msg}")

    while i < len(raw_lines):
        raw = raw_lines[i].rstrip("\r")
        lineno = i + 1
        stripped = raw.strip()
        if not stripped:
            cur = None
            i += 1
            continue
        if is_comment(stripped):
            i += 1
            continue
        if raw[0] == " ":
            raise err(lineno, f"indented line outside a reply: {raw}")
        if cur is None:
            cur = Block(line=lineno)
            blocks.append(cur)
        if raw.startswith("@"):
            word, _, arg = raw[1:].partition(" ")
            arg = arg.strip()
            if word in ("redis-only", "pickledbd-only"):
                if cur.steps:
                    raise err(lineno, f"@{word} must come before the block's first command")
                if cur.only is not None:
                    raise err(lineno, "a block can have only one @...-only")
                cur.only = word.split("-")[0]
            elif word in ("resp3", "resp2", "reconnect"):
                if arg:
                    raise err(lineno, f"@{word} takes no argument")
                cur.steps.append(Step(kind=word, line=lineno, text=raw))
            elif word == "sleep":
                try:
                    secs = float(arg)
                except ValueError:
                    raise err(lineno, f"@sleep needs seconds: {raw}") from None
                if not 0 <= secs <= 5:
                    raise err(lineno, "@sleep must be between 0 and 5 seconds")
                cur.steps.append(Step(kind="sleep", line=lineno, text=raw, args=[secs]))
            else:
                raise err(lineno, f"unknown directive: {raw}")
            i += 1
            continue
        if raw.startswith("> ") or raw.startswith(">> "):
            is_raw = raw.startswith(">> ")
            body = raw[3:] if is_raw else raw[2:]
            try:
                parts = split_args(body)
            except TranscriptSyntaxError as e:
                raise err(lineno, str(e)) from None
            if not parts:
                raise err(lineno, "empty command")
            step = Step(kind="raw" if is_raw else "cmd", line=lineno, text=raw,
                        args=[b"".join(parts)] if is_raw else parts)
            # Collect expectation lines: until blank line, next command/directive.
            j = i + 1
            exp_lines = []
            while j < len(raw_lines):
                r2 = raw_lines[j].rstrip("\r")
                s2 = r2.strip()
                if not s2 or r2.startswith("> ") or r2.startswith(">> ") or r2.startswith("@"):
                    break
                if not is_comment(s2):
                    exp_lines.append((j + 1, r2))
                j += 1
            try:
                step.expected = parse_expected(exp_lines)
            except TranscriptSyntaxError as e:
                raise err(lineno, str(e)) from None
            step.exp_span = (i + 1, j)
            nreplies = sum(1 for e in step.expected if e.kind != "closed")
            if (step.kind == "cmd" and nreplies != 1 and not (nreplies == 0 and step.expected)
                    and not (allow_missing and not step.expected)):
                raise err(lineno, f"a command needs exactly one top-level reply, got {nreplies}")
            for k, e in enumerate(step.expected):
                if e.kind == "closed" and k != len(step.expected) - 1:
                    raise err(e.line, "(closed) must be the last expected reply")
            cur.steps.append(step)
            i = j
            continue
        raise err(lineno, f"expected a command ('> ...'), a directive ('@...') or a comment: {raw}")
    return blocks


@dataclass
class Failure:
    file: str
    line: int
    command: str
    expected: list
    actual: list
    note: str = ""

    def format(self) -> str:
        out = [f"{self.file}:{self.line}: {self.command}"]
        if self.note:
            out.append(f"  ({self.note})")
        out.append("  expected:")
        out += ["    " + x for x in self.expected] or ["    (nothing)"]
        out.append("  actual:")
        out += ["    " + x for x in self.actual] or ["    (nothing)"]
        return "\n".join(out)


def _exp_source(step: Step, lines: list[str]) -> list[str]:
    a, b = step.exp_span
    return [ln.rstrip("\r") for ln in lines[a:b] if ln.strip() and not is_comment(ln.strip())]


def run_transcript(path: Path, host: str, port: int, target: str,
                   record: bool = False) -> tuple[list[Failure], int, dict]:
    """Run one transcript; returns (failures, number of commands run, {step line: actual replies})."""
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    blocks = parse_transcript(text, path.name, allow_missing=record)
    failures: list[Failure] = []
    actuals: dict[int, list] = {}
    ran = 0
    timeouts = 0
    conn = Connection(host, port)

    def hello(proto: int) -> None:
        conn.send_command([b"HELLO", str(proto).encode()])
        r = conn.read_reply()
        if r[0] not in ("map", "array"):
            raise WireError(f"HELLO {proto} failed: {render_reply(r)}")

    try:
        try:
            conn.send_command([b"FLUSHALL"])
            r = conn.read_reply()
        except WireError as e:
            r = ("error", str(e).encode())
            conn.connect()
        if r != ("status", b"OK"):
            failures.append(Failure(path.name, 0, "> FLUSHALL  (before the transcript)", ["+OK"],
                                    render_reply(r), "the transcript runs on whatever data is there"))
        for block in blocks:
            if block.only is not None and block.only != target:
                continue
            for step in block.steps:
                if step.kind == "sleep":
                    time.sleep(step.args[0])
                    continue
                if step.kind == "reconnect":
                    conn.connect()
                    continue
                if step.kind in ("resp3", "resp2"):
                    try:
                        hello(3 if step.kind == "resp3" else 2)
                    except WireError as e:
                        failures.append(Failure(path.name, step.line, step.text, [], [], str(e)))
                        conn.connect()
                    continue
                ran += 1
                got: list = []
                note = ""
                try:
                    if step.kind == "cmd":
                        conn.send_command(step.args)
                    else:
                        conn.send(step.args[0])
                    nexp = len(step.expected) or (1 if step.kind == "cmd" else 0)
                    for k in range(nexp):
                        if k < len(step.expected) and step.expected[k].kind == "closed":
                            c = conn.wait_closed()
                            if c is True:
                                got.append(("closed",))
                                conn.connect()
                            else:
                                got.append(("open", c if isinstance(c, bytes) else b""))
                                conn.connect()  # start the next step on a clean connection
                            break
                        got.append(conn.read_reply())
                    if step.kind == "raw" and not (got and got[-1][0] == "closed"):
                        # Raw sends may provoke any number of replies: collect stragglers.
                        extra = conn.drain(RAW_IDLE)
                        if record:
                            got += extra
                        elif extra:
                            note = "unexpected extra replies: " + " ".join(
                                render_reply(x)[0] for x in extra)
                    if conn.buf:
                        note = f"unexpected extra bytes after the reply: {conn.buf[:80]!r}"
                        conn.buf = b""
                except WireError as e:
                    note = f"{e}; reconnected"
                    if "timed out" in str(e):
                        timeouts += 1
                        if timeouts >= MAX_TIMEOUTS:
                            failures.append(Failure(path.name, step.line, step.text,
                                                    _exp_source(step, lines), [],
                                                    f"{e}; {timeouts} timeouts: rest of the file skipped"))
                            return failures, ran, actuals
                    try:
                        conn.connect()
                    except OSError as e2:
                        failures.append(Failure(path.name, step.line, step.text,
                                                _exp_source(step, lines), [render_reply(g)[0] for g in got],
                                                f"{e}; reconnect failed: {e2}"))
                        return failures, ran, actuals
                actuals[step.line] = got
                ok = (not note and len(got) == len(step.expected)
                      and all(matches(e, g) for e, g in zip(step.expected, got)))
                if not ok:
                    act = [ln for g in got for ln in render_reply(g)]
                    failures.append(Failure(path.name, step.line, step.text,
                                            _exp_source(step, lines), act, note))
    finally:
        conn.close()
    return failures, ran, actuals


def record_transcript(path: Path, host: str, port: int, target: str = "redis") -> str:
    """The transcript text with each mismatching (or missing) expectation replaced by the actual reply."""
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    failures, _, actuals = run_transcript(path, host, port, target, record=True)
    failed = {f.line for f in failures}
    blocks = parse_transcript(text, path.name, allow_missing=True)
    replace: dict[int, tuple[int, list[str]]] = {}
    for block in blocks:
        for step in block.steps:
            if step.line in failed and step.line in actuals:
                a, b = step.exp_span
                # keep comment lines inside the span at the end
                comments = [ln for ln in lines[a:b] if is_comment(ln.strip())]
                new = [ln for g in actuals[step.line] for ln in render_reply(g)] + comments
                replace[a] = (b, new)
    out: list[str] = []
    i = 0
    while i < len(lines):
        if i in replace:
            b, new = replace.pop(i)
            out += new
            if b > i:
                i = b
                continue
        out.append(lines[i])
        i += 1
    return "\n".join(out)


# ----------------------------------------------------------------------------------------------
# pytest
# ----------------------------------------------------------------------------------------------

MAX_SHOWN = 40


def _transcript_files() -> list[Path]:
    return sorted(PROTOCOL_DIR.glob("*.t"))


def _params():
    import pytest

    return [pytest.param(p, tgt, id=f"{p.name}-{tgt}") for p in _transcript_files() for tgt in TARGETS]


try:
    import pytest
except ImportError:  # the command-line tool works without pytest
    pytest = None

if pytest is not None:
    @pytest.mark.timeout(120)
    @pytest.mark.parametrize("path,target", _params())
    def test_transcript(path: Path, target: str, request):
        server = request.getfixturevalue("redis_server" if target == "redis" else "pickledbd_server")
        try:
            failures, ran, _ = run_transcript(path, server.host, server.port, target)
        except (OSError, WireError) as e:
            pytest.fail(f"{path.name} on {target}: {e}\n--- server log (tail) ---\n"
                        f"{server.log_text()[-3000:]}", pytrace=False)
        if failures:
            if target == "redis":
                from servers import REFERENCE_REDIS_VERSION

                v = server.version
                if v != REFERENCE_REDIS_VERSION:
                    failures.insert(0, Failure(path.name, 0, "(reference server)", [REFERENCE_REDIS_VERSION],
                                               [v or "unknown"], "the transcripts are written against "
                                               f"redis-server {REFERENCE_REDIS_VERSION}; other versions differ"))
            shown = "\n\n".join(f.format() for f in failures[:MAX_SHOWN])
            more = f"\n\n... and {len(failures) - MAX_SHOWN} more" if len(failures) > MAX_SHOWN else ""
            pytest.fail(f"{len(failures)} of {ran} commands in {path.name} did not match on "
                        f"{target}:\n\n{shown}{more}", pytrace=False)

    def test_transcripts_parse():
        """Every transcript is well-formed (independently of any server)."""
        files = _transcript_files()
        assert files, "no protocol/*.t files"
        for p in files:
            parse_transcript(p.read_text(encoding="utf-8"), p.name)

    # -- self-checks of the runner (no server needed unless named *_redis) -------------------
    def _exp(text: str) -> Exp:
        lines = [(i + 1, ln) for i, ln in enumerate(text.strip("\n").split("\n"))]
        (e,) = parse_expected(lines)
        return e

    def test_runner_split_args():
        assert split_args('SET k "a b"') == [b"SET", b"k", b"a b"]
        assert split_args(r'''X "\x00\xff\r\n" 'it\'s' ""''') == [b"X", b"\x00\xff\r\n", b"it's", b""]
        assert split_args(r"KEYS h\*llo") == [b"KEYS", b"h\\*llo"]
        with pytest.raises(TranscriptSyntaxError):
            split_args('ECHO "a"b')
        with pytest.raises(TranscriptSyntaxError):
            split_args('ECHO "abc')

    def test_runner_matching_is_strict():
        assert matches(_exp('"OK"'), ("bulk", b"OK"))
        assert not matches(_exp('"OK"'), ("status", b"OK"))
        assert not matches(_exp("+OK"), ("bulk", b"OK"))
        assert matches(_exp("(nil)"), ("nil",))
        assert not matches(_exp("(nil)"), ("null",))
        assert not matches(_exp("(nil)"), ("nil-array",))
        assert not matches(_exp("_"), ("nil",))
        assert not matches(_exp(":1"), ("bulk", b"1"))
        assert matches(_exp(":~5..10"), ("int", 7)) and not matches(_exp(":~5..10"), ("int", 11))
        assert matches(_exp(":~1.."), ("int", 10**9))
        assert matches(_exp(",1.5"), ("double", b"1.5")) and not matches(_exp(",1.5"), ("double", b"1.50"))
        assert matches(_exp("~/a.c/"), ("bulk", b"abc")) and not matches(_exp("~/a/"), ("bulk", b"ab"))
        assert matches(_exp('-"ERR x "'), ("error", b"ERR x "))
        assert matches(_exp("-~/ERR .*/"), ("error", b"ERR boom")) and not matches(_exp("-~/ERR .*/"), ("status", b"ERR x"))
        assert matches(_exp("?"), ("int", 1)) and not matches(_exp("?"), ("error", b"ERR"))
        arr = ("array", [("bulk", b"a"), ("bulk", b"b")])
        assert matches(_exp('*2\n  "a"\n  "b"'), arr)
        assert not matches(_exp('*2\n  "b"\n  "a"'), arr)
        assert matches(_exp('*2 unordered\n  "b"\n  "a"'), arr)
        assert not matches(_exp('*2 unordered\n  "a"\n  "a"'), arr)
        assert not matches(_exp('*1\n  "a"'), arr)
        assert matches(_exp("*?"), arr) and not matches(_exp("*?"), ("set", []))
        assert matches(_exp("*0"), ("array", [])) and not matches(_exp("*0"), ("nil-array",))
        pairs = ("array", [("bulk", b"f1"), ("bulk", b"1"), ("bulk", b"f2"), ("bulk", b"2")])
        assert matches(_exp('*4 unordered-pairs\n  "f2"\n  "2"\n  "f1"\n  "1"'), pairs)
        assert not matches(_exp('*4 unordered-pairs\n  "f2"\n  "1"\n  "f1"\n  "2"'), pairs)
        m = ("map", [(("bulk", b"a"), ("int", 1)), (("bulk", b"b"), ("int", 2))])
        assert matches(_exp('%2\n  "b"\n  :2\n  "a"\n  :1'), m)
        assert not matches(_exp('%2\n  "b"\n  :1\n  "a"\n  :2'), m)
        assert matches(_exp('~2\n  "y"\n  "x"'), ("set", [("bulk", b"x"), ("bulk", b"y")]))
        assert not matches(_exp('~2\n  "y"\n  "x"'), ("array", [("bulk", b"x"), ("bulk", b"y")]))
        # a matcher that fits several items still needs a distinct item each (bipartite matching)
        acts = ("array", [("bulk", b"ab"), ("bulk", b"a")])
        assert matches(_exp('*2 unordered\n  ~/a.*/\n  "a"'), acts)

    def test_runner_syntax_errors():
        for bad in ("> GET k\n:1 \n", "> GET k\n*2\n  :1\n", "> GET k\n:1\n:2\n", "@bogus\n",
                    "> GET k\n*1\n :1\n", "> GET k\n+OK\n@redis-only\n", "  > GET k\n"):
            with pytest.raises(TranscriptSyntaxError):
                parse_transcript(bad, "bad.t")

    def test_runner_reports_mismatch_on_redis(redis_server, tmp_path):
        t = tmp_path / "probe.t"
        t.write_text('> SET k v\n+OK\n\n> GET k\n"wrong"\n\n@pickledbd-only\n> GET k\n:1\n\n'
                     '> GET k\n"v"\n\n>> "PING\\r\\nPING\\r\\n"\n+PONG\n')
        failures, ran, _ = run_transcript(t, redis_server.host, redis_server.port, "redis")
        assert ran == 4
        assert [f.line for f in failures] == [4, 14]
        assert failures[0].actual == ['"v"'] and failures[0].expected == ['"wrong"']
        assert "unexpected extra replies: +PONG" in failures[1].note
        rec = record_transcript(t, redis_server.host, redis_server.port)
        assert '> GET k\n"v"\n\n@pickledbd-only\n> GET k\n:1\n' in rec
        assert rec.endswith('+PONG\n+PONG\n')


def main(argv=None) -> int:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="*", type=Path, help="transcripts (default: protocol/*.t)")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=6379)
    ap.add_argument("--target", choices=TARGETS, default="redis",
                    help="which @...-only blocks to run (default: redis)")
    ap.add_argument("--record", action="store_true",
                    help="print the transcript with actual replies filled in (one file)")
    args = ap.parse_args(argv)
    files = args.files or _transcript_files()
    if args.record:
        if len(files) != 1:
            ap.error("--record takes exactly one file")
        sys.stdout.write(record_transcript(files[0], args.host, args.port, args.target))
        return 0
    bad = 0
    for p in files:
        failures, ran, _ = run_transcript(p, args.host, args.port, args.target)
        print(f"{p.name}: {ran - len(failures)}/{ran} ok")
        for f in failures:
            print(f.format())
        bad += len(failures)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
