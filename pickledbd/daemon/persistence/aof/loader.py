"""Loading a multi-part AOF directory (Redis 7.0 aof.c: loadAppendOnlyFiles, loadSingleAppendOnlyFile).

``load_aof(dirpath, appendfilename, replay, *, load_truncated, log)`` reads the manifest, checks
that every base/incr file it names exists, then replays the base and the increments in order,
command by command, through ``replay(args)``. The file is parsed the way Redis parses it:
``#`` lines are annotations, each command is ``*<argc>`` then ``$<len>`` + bytes + 2 bytes.

What Redis refuses is refused with its log text in an ``AofError`` (the server then exits, as
Redis does; the dataset may hold what was replayed before the error, so it must not be served):
a format error names the file and the offset of the bad command; an unknown command is refused
by ``replay`` itself. A file that ends in the middle of a command (a crash during an append) is
a "short read": with ``load_truncated`` the load keeps what came before, logs Redis's warnings
and truncates the file to the end of the last whole command (only the last file may be
truncated; elsewhere it is fatal, as in Redis); without it the load is refused.

Each file starts in db 0 (Redis replays each file with a new fake client): a ``SELECT 0`` is
replayed before a file's first command.

Transactions: the commands between MULTI and EXEC are held back and handed to ``replay`` only
when the EXEC is read, so an unterminated MULTI at the end of the last file replays nothing of
it and (``load_truncated``) the file is cut back to before the MULTI, as Redis's "Revert
incomplete MULTI/EXEC transaction" does. Redis cuts a short read *inside* a MULTI just after
the last whole command (leaving a dangling MULTI the next start reverts); here the cut goes to
before the MULTI at once, so later appends never land inside a stale transaction.

A base file in RDB format (``aof-use-rdb-preamble yes``, Redis's default, ``.base.rdb``) is
decoded with persistence/rdbload.py (the whole file in memory; CRC64 checked unless zero) and
replayed as the commands a rewrite would write for it (format.write_value, PEXPIREAT,
FUNCTION LOAD), so ``replay`` sees commands only.
"""
from __future__ import annotations

import logging
import mmap
import os
import re
import time

from ...protocol.reader import split_canonical
from .manifest import AofError, manifest_name, read_manifest

_PROGRESS_EVERY = 1024                 # reads between progress checks (loops % 1024)
_BLOCK = 256 * 1024                    # bytes split into canonical commands at once
_SLOW_RUN = 64                         # commands read one by one after a block took none
_PROGRESS_SECONDS = 1.0

_OK, _TRUNCATED = "ok", "truncated"


class _ShortRead(Exception):
    """The file ended inside a command."""


class _FormatError(Exception):
    def __init__(self, offset: int):
        self.offset = offset


def _atoi(b: bytes) -> int:
    """atoi / strtol on a header line: optional sign then digits; 0 when nothing parses."""
    if b"_" not in b:                  # int() takes "12\r\n" as atoi does, but also "1_2"
        try:
            return int(b)
        except ValueError:
            pass
    s = b.strip()
    j = 1 if s[:1] in (b"+", b"-") else 0
    k = j
    while k < len(s) and 48 <= s[k] <= 57:
        k += 1
    return int(s[:k]) if k > j else 0


_BULK = re.compile(rb"\$([0-9]{1,18})\r\n")


def _read_command(buf, pos: int):
    """The command at ``pos`` of ``buf`` (an mmap or bytes of the whole file): (args as bytes,
    end offset), (None, pos) at a clean end, ("skip", end) for an annotation line. Raises
    _ShortRead / _FormatError(pos). Parsed like loadSingleAppendOnlyFile's fgets/fread loop;
    a claimed length beyond the end of the file is a short read, never an allocation."""
    size = len(buf)
    if pos >= size:
        return None, pos
    start = pos
    nl = buf.find(b"\n", pos)
    end = size if nl < 0 else nl + 1
    first = buf[pos]
    if first == 0x23:                  # '#': annotation (aof-timestamp-enabled)
        return "skip", end
    if first != 0x2A:                  # '*'
        raise _FormatError(start)
    if end - pos == 1 and nl < 0:
        raise _ShortRead
    argc = _atoi(buf[pos + 1:end])
    if argc < 1:
        raise _FormatError(start)
    pos = end
    args = []
    bulk = _BULK.match
    for _ in range(argc):
        m = bulk(buf, pos)             # the common "$<digits>\r\n" header, in C
        if m is not None:
            end = m.end()
            n = int(m.group(1))
        else:
            if pos >= size:
                raise _ShortRead
            if buf[pos] != 0x24:       # '$'
                raise _FormatError(start)
            nl = buf.find(b"\n", pos)
            end = size if nl < 0 else nl + 1
            n = _atoi(buf[pos + 1:end])
            if n < 0:
                raise _FormatError(start)
        if end + n + 2 > size:         # the value, then the CRLF Redis discards unread
            raise _ShortRead
        args.append(buf[end:end + n])
        pos = end + n + 2
    return args, pos


def _decode(args: list) -> list:
    return [a.decode("utf-8", "surrogateescape") for a in args]


class _Load:
    """The state of one load (progress accounting across files)."""

    def __init__(self, replay, log, total: int, load_truncated: bool, keys=None):
        self.replay, self.log, self.total, self.keys = replay, log, total, keys
        self.load_truncated = load_truncated
        self.commands = 0
        self.done_bytes = 0            # bytes of the files already finished
        self.started = time.monotonic()
        self.last_report = self.started

    def progress(self, name: str, pos: int) -> None:
        now = time.monotonic()
        if now - self.last_report < _PROGRESS_SECONDS:
            return
        self.last_report = now
        done = self.done_bytes + pos
        elapsed = now - self.started
        keys = ", %d keys" % self.keys() if self.keys else ""
        self.log.info("Loading AOF %s: %.1f MB of %.1f MB (%.0f%%), %d commands%s, %.1f MB/s",
                      name, done / 1e6, self.total / 1e6, 100.0 * done / max(self.total, 1),
                      self.commands, keys, done / 1e6 / max(elapsed, 1e-9))

    def file(self, dirpath: str, name: str, last: bool) -> str:
        path = os.path.join(dirpath, name)
        try:
            f = open(path, "rb")
        except OSError as e:
            raise AofError("Fatal error: can't open the append log file %s for reading: %s"
                           % (name, e.strerror)) from None
        with f:
            head = f.read(5)
            f.seek(0)
            if head == b"REDIS":
                self.log.info("Reading RDB base file on AOF loading...")
                try:
                    self.commands += _replay_rdb(f.read(), self.replay)
                except Exception as e:
                    raise AofError("Error reading the RDB base file %s, AOF loading aborted (%s)"
                                   % (name, e)) from None
                self.done_bytes += os.fstat(f.fileno()).st_size
                return _OK
            return self._commands(f, path, name, last)

    def _commands(self, f, path: str, name: str, last: bool) -> str:
        # mmap: finds and slices without a syscall per line (readline + tell cost 4 MB/s)
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            return self._parse(buf, path, name, last)

    def _parse(self, buf, path: str, name: str, last: bool) -> str:
        replay, pos, valid, before_multi = self.replay, 0, 0, 0
        replay(["SELECT", "0"])        # Redis loads each file with a fresh client (db 0)
        unit = None                    # the commands of an open MULTI, held back
        loops = 0
        slow = 0                       # commands to read one by one before taking blocks again
        status = _OK
        try:
            while True:
                loops += 1
                if not loops % _PROGRESS_EVERY:
                    self.progress(name, pos)
                reqs = None
                if slow <= 0:
                    # a block's canonical commands at once (as the network reader takes them);
                    # the first other one (an annotation, a payload with CRLF, the file's end)
                    # is read by Redis's rules below
                    reqs, ends = [], []
                    split_canonical(buf[pos:pos + _BLOCK], reqs, ends)
                    if reqs:
                        self.progress(name, pos)
                        base = pos
                        ends = [base + e for e in ends]
                    else:
                        slow = _SLOW_RUN
                if slow > 0:
                    slow -= 1
                    args, pos = _read_command(buf, pos)
                    if args is None:
                        break
                    if args == "skip":
                        valid = pos if unit is None else valid
                        continue
                    reqs, ends = [_decode(args)], [pos]
                for args, pos in zip(reqs, ends):
                    cmd = args[0].lower()
                    if cmd == "multi":
                        if unit is not None:
                            raise AofError("Bad file format reading the append only file %s: MULTI "
                                           "calls can not be nested (offset %d)" % (name, before_multi))
                        before_multi, unit = valid, [args]
                        continue
                    if unit is not None:
                        unit.append(args)
                        if cmd == "exec":
                            for a in unit:
                                replay(a)
                            self.commands += len(unit)
                            unit = None
                            valid = pos
                        continue
                    replay(args)
                    self.commands += 1
                    valid = pos
            if unit is not None:
                self.log.warning("Revert incomplete MULTI/EXEC transaction in AOF file %s", name)
                raise _ShortRead
        except _FormatError as e:
            raise AofError("Bad file format reading the append only file %s at offset %d: make a "
                           "backup of your AOF file, then use ./redis-check-aof --fix "
                           "<filename.manifest>" % (name, e.offset)) from None
        except _ShortRead:
            if unit is not None:
                valid = before_multi
            if not self.load_truncated:
                raise AofError(
                    "Unexpected end of file reading the append only file %s (last valid command "
                    "ends at offset %d). You can: 1) Make a backup of your AOF file, then use "
                    "./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set "
                    "the 'aof-load-truncated' configuration option to yes and restart the "
                    "server." % (name, valid)) from None
            if not last:
                raise AofError("Fatal error: the truncated file is not the last file "
                               "(%s, offset %d)" % (name, valid)) from None
            self.log.warning("!!! Warning: short read while loading the AOF file %s!!!", name)
            self.log.warning("!!! Truncating the AOF %s at offset %d !!!", name, valid)
            try:
                os.truncate(path, valid)
            except OSError as e:
                raise AofError("Error truncating the AOF file %s: %s" % (name, e.strerror)) from None
            self.log.warning("AOF %s loaded anyway because aof-load-truncated is enabled", name)
            status, pos = _TRUNCATED, valid
        self.done_bytes += pos
        return status


# ---- an RDB base (rdb.c: rdbLoadRioWithLoadingCtx's opcodes) ------------------------------------
_RDB_FUNCTION2, _RDB_FUNCTION, _RDB_MODULE_AUX, _RDB_IDLE, _RDB_FREQ = 245, 246, 247, 248, 249
_RDB_AUX, _RDB_RESIZEDB, _RDB_EXPIRE_MS, _RDB_EXPIRE_S, _RDB_SELECTDB, _RDB_EOF = 250, 251, 252, 253, 254, 255


def _replay_rdb(data: bytes, replay) -> int:
    """Replay an RDB file as commands; returns how many. Raises on anything malformed."""
    import io

    from ..rdb import crc64
    from ..rdbload import Reader, load_object
    from .format import _Out, encode_command, write_value

    version = data[5:9]
    if not version.isdigit() or not 1 <= int(version) <= 10:
        raise ValueError("can't handle RDB format version %r" % version)
    r = Reader(data)
    r.pos = 9
    count, expire = 0, None
    buf = io.BytesIO()
    out = _Out(buf)

    def run(raw: bytes) -> None:
        nonlocal count
        pos = 0
        while True:
            args, pos = _read_command(raw, pos)
            if args is None:
                return
            replay(_decode(args))
            count += 1

    replay(["SELECT", "0"])
    while True:
        op = r.byte()
        if op == _RDB_EOF:
            if int(version) >= 5:
                stored = int.from_bytes(r.take(8), "little")
                if stored and stored != crc64(data[:r.pos - 8]):
                    raise ValueError("Wrong RDB checksum")
            return count
        if op == _RDB_AUX:
            r.string(), r.string()
        elif op == _RDB_RESIZEDB:
            r.length(), r.length()
        elif op == _RDB_SELECTDB:
            run(encode_command(["SELECT", str(r.length())]))
        elif op == _RDB_EXPIRE_MS:
            expire = int.from_bytes(r.take(8), "little", signed=True)
        elif op == _RDB_EXPIRE_S:
            expire = int.from_bytes(r.take(4), "little", signed=True) * 1000
        elif op == _RDB_IDLE:
            r.length()
        elif op == _RDB_FREQ:
            r.byte()
        elif op == _RDB_FUNCTION2:
            run(encode_command(["FUNCTION", "LOAD", r.string().decode("utf-8", "surrogateescape")]))
        elif op in (_RDB_FUNCTION, _RDB_MODULE_AUX):
            raise ValueError("unsupported RDB opcode %d" % op)
        else:
            key = r.string()
            value = load_object(op, r)
            buf.seek(0)
            buf.truncate()
            write_value(out, key, value)
            if expire is not None:
                out.add(encode_command(["PEXPIREAT", key.decode("utf-8", "surrogateescape"), str(expire)]))
                expire = None
            out.flush()
            run(buf.getvalue())


class _FnLog:
    def __init__(self, fn):
        self.fn = fn

    def info(self, msg, *args):
        self.fn(msg % args if args else msg)

    warning = info


def load_aof(dirpath, appendfilename: str, replay, *, load_truncated: bool = True,
             log=None, keys=None) -> dict:
    """Replay the AOF of ``dirpath`` (the appenddirname directory) through ``replay(args)``.
    ``log``: a logging.Logger (or a fn(message)); ``keys``: optional fn() -> key count, for the
    progress line and the stats.

    Returns stats: ``status`` ('not_exist' with no directory/manifest/files, 'empty', 'ok',
    'truncated'), ``files``, ``commands``, ``bytes``, ``seconds``, ``base_size``, ``total_size``
    (after any truncation), ``keys`` (with ``keys``).
    Raises AofError (Redis's texts) for what Redis would refuse to start with."""
    log = log or logging.getLogger("pickledbd")
    if not hasattr(log, "warning"):    # a plain fn(message) will do too
        log = _FnLog(log)
    dirpath = os.fspath(dirpath)
    stats = {"status": "not_exist", "files": 0, "commands": 0, "bytes": 0, "seconds": 0.0,
             "base_size": 0, "total_size": 0}
    mpath = os.path.join(dirpath, manifest_name(appendfilename))
    if not os.path.isdir(dirpath) or not os.path.exists(mpath):
        return stats
    am = read_manifest(mpath)
    files = am.load_order()
    if not files:
        return stats
    sizes = []
    for info in files:
        try:
            sizes.append(os.stat(os.path.join(dirpath, info.name)).st_size)
        except OSError as e:
            raise AofError("Unable to obtain the AOF file %s length. stat: %s"
                           % (info.name, e.strerror)) from None
    total = sum(sizes)
    stats.update(files=len(files), total_size=total, base_size=sizes[0] if am.base else 0)
    if total == 0:
        stats["status"] = "empty"
        return stats
    load = _Load(replay, log, total, load_truncated, keys)
    status = _OK
    for n, (info, size) in enumerate(zip(files, sizes)):
        if size == 0:                  # AOF_EMPTY: an empty increment counts as loaded
            continue
        started = time.monotonic()
        status = load.file(dirpath, info.name, n == len(files) - 1)
        log.info("DB loaded from %s file %s: %.3f seconds",
                 "base" if info is am.base else "incr", info.name, time.monotonic() - started)
    seconds = time.monotonic() - load.started
    after = sum(os.stat(os.path.join(dirpath, info.name)).st_size for info in files)
    stats.update(status=status, commands=load.commands, bytes=load.done_bytes, seconds=seconds,
                 total_size=after)
    if keys is not None:
        stats["keys"] = keys()
    if seconds >= _PROGRESS_SECONDS:
        log.info("AOF loaded: %d commands, %.1f MB in %.3f seconds (%.1f MB/s)", load.commands,
                 load.done_bytes / 1e6, seconds, load.done_bytes / 1e6 / seconds)
    return stats
