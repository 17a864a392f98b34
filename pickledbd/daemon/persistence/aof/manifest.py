"""The AOF manifest (Redis 7.0 aof.c): which base, history and increment files make up the AOF.

One line per file, ``file <name> seq <n> type <b|h|i>``, base first, then history, then
increments (getAofManifestAsString). Reading follows aofLoadManifestFromFile: ``#`` lines are
comments, lines are split like sdssplitargs (quotes and escapes), extra key/value pairs are
ignored (forward compatibility), and the errors carry Redis's texts.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from ...protocol.reader import ProtocolError, split_inline

BASE, INCR, HISTORY = "b", "i", "h"
MAX_LINE = 1024                       # MANIFEST_MAX_LINE


class AofError(Exception):
    """A manifest or AOF file Redis would refuse to load (the message is Redis's text)."""


@dataclass
class AofFile:
    name: str
    seq: int
    kind: str                          # 'b' base, 'i' incr, 'h' history


@dataclass
class Manifest:
    base: AofFile | None = None
    incrs: list[AofFile] = field(default_factory=list)
    history: list[AofFile] = field(default_factory=list)

    def to_text(self) -> str:
        files = ([self.base] if self.base else []) + self.history + self.incrs
        return "".join("file %s seq %d type %s\n" % (_repr_name(f.name), f.seq, f.kind) for f in files)

    @property
    def base_seq(self) -> int:
        """curr_base_file_seq: the last base's seq (0 when none)."""
        return self.base.seq if self.base else 0

    @property
    def incr_seq(self) -> int:
        """curr_incr_file_seq: the last increment's seq (0 when none)."""
        return self.incrs[-1].seq if self.incrs else 0

    def load_order(self) -> list[AofFile]:
        """The files loadAppendOnlyFiles replays: base, then increments in order."""
        return ([self.base] if self.base else []) + list(self.incrs)


def manifest_name(appendfilename: str) -> str:
    return appendfilename + ".manifest"


def base_name(appendfilename: str, seq: int, rdb: bool = False) -> str:
    return "%s.%d.base.%s" % (appendfilename, seq, "rdb" if rdb else "aof")


def incr_name(appendfilename: str, seq: int) -> str:
    return "%s.%d.incr.aof" % (appendfilename, seq)


def temp_manifest_name(appendfilename: str) -> str:
    return "temp-" + manifest_name(appendfilename)


# ---- sds helpers -------------------------------------------------------------------------
def _needs_repr(s: str) -> bool:
    """sdsneedsrepr: a name with spaces, quotes, backslashes or non-printables is quoted."""
    for ch in s.encode("utf-8", "surrogateescape"):
        if ch in b'\\"\n\r\t\a\b ' or not 0x21 <= ch <= 0x7E and ch != 0x20:
            return True
    return False


def _repr_name(s: str) -> str:
    if not _needs_repr(s):
        return s
    out = ['"']
    for ch in s.encode("utf-8", "surrogateescape"):
        c = chr(ch)
        if c in '\\"':
            out.append("\\" + c)
        elif c in "\n\r\t\a\b":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t", "\a": "\\a", "\b": "\\b"}[c])
        elif 0x20 <= ch <= 0x7E:
            out.append(c)
        else:
            out.append("\\x%02x" % ch)
    out.append('"')
    return "".join(out)


def split_args(line: bytes) -> list[bytes] | None:
    """sdssplitargs (the request reader's port of it); None for unbalanced quotes or a quote
    not followed by a space."""
    try:
        return [a.encode("utf-8", "surrogateescape") for a in split_inline(line)]
    except ProtocolError:
        return None


def _atoll(b: bytes) -> int:
    """atoll: leading spaces, sign, digits; 0 when nothing parses."""
    s = b.lstrip(b" \t\n\r\v\f")
    j = 1 if s[:1] in (b"+", b"-") else 0
    k = j
    while k < len(s) and 0x30 <= s[k] <= 0x39:
        k += 1
    return int(s[:k]) if k > j else 0


# ---- reading and writing ------------------------------------------------------------------
def parse_manifest(data: bytes) -> Manifest:
    """The manifest's content; AofError with Redis's text (and line) for what Redis refuses."""
    am = Manifest()
    maxseq = 0
    lines = [ln + b"\n" for ln in data.split(b"\n")]
    lines[-1] = lines[-1][:-1]
    if not lines[-1]:
        lines.pop()
    if not lines:
        raise AofError("Found an empty AOF manifest")
    for linenum, raw in enumerate(lines, 1):
        if raw[:1] == b"#":
            continue
        # fgets reads at most MAX_LINE bytes: a longer line has no newline in that buffer
        # (a last line without its newline too: Redis's strchr finds none in the buffer)
        if len(raw) > MAX_LINE or not raw.endswith(b"\n"):
            raise AofError("The AOF manifest file contains too long line")
        line = raw.strip(b" \t\r\n")

        def fail(msg: str, _line=line, _n=linenum):
            return AofError("%s (line %d: '%s')" % (msg, _n, _line.decode("utf-8", "surrogateescape")))

        if not line:
            raise fail("Invalid AOF manifest file format")
        argv = split_args(line)
        if argv is None or len(argv) < 6 or len(argv) % 2:
            raise fail("Invalid AOF manifest file format")
        name, seq, kind = None, 0, ""
        for k in range(0, len(argv), 2):
            key, val = argv[k].lower(), argv[k + 1]
            if key == b"file":
                name = val.decode("utf-8", "surrogateescape")
                if "/" in name:               # pathIsBaseName
                    raise fail("File can't be a path, just a filename")
            elif key == b"seq":
                seq = _atoll(val)
            elif key == b"type":
                kind = chr(val[0]) if val else ""
        if not name or not seq or not kind:
            raise fail("Invalid AOF manifest file format")
        info = AofFile(name, seq, kind)
        if kind == BASE:
            if am.base:
                raise fail("Found duplicate base file information")
            am.base = info
        elif kind == HISTORY:
            am.history.append(info)
        elif kind == INCR:
            if seq <= maxseq:
                raise fail("Found a non-monotonic sequence number")
            am.incrs.append(info)
            maxseq = seq
        else:
            raise fail("Unknown AOF file type")
    return am


def read_manifest(path) -> Manifest:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise AofError("Fatal error: can't open the AOF manifest file %s for reading: %s"
                       % (path, e.strerror)) from e
    return parse_manifest(data)


def fsync_dir(dirpath) -> None:
    fd = os.open(dirpath, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_manifest(dirpath, appendfilename: str, manifest: Manifest) -> None:
    """writeAofManifestFile: temp file, fsync, rename over the manifest, fsync the directory,
    so a crash leaves either the old or the new manifest, never a torn one."""
    tmp = os.path.join(dirpath, temp_manifest_name(appendfilename))
    final = os.path.join(dirpath, manifest_name(appendfilename))
    data = manifest.to_text().encode("utf-8", "surrogateescape")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.rename(tmp, final)
    fsync_dir(dirpath)
