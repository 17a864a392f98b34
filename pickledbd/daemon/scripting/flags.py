"""Script flags (Redis's script.c / eval.c): what an EVAL script's ``#!lua flags=...`` shebang
or a function's ``flags={...}`` declares, and the checks they decide before a script runs.

A script without a shebang runs in EVAL's compatibility mode (``EVAL_COMPAT``): none of the
rules below apply, its commands are checked one by one as it runs. A script with flags is
judged before it runs, the way Redis's processCommand judges a command by its flags:

- without ``no-writes`` it counts as a write command: refused while the last background save
  failed (-MISCONF), refused by FCALL_RO / EVAL_RO, and also denied under OOM unless
  ``allow-oom``; with ``no-writes`` its commands may not write (a read-only run);
- ``allow-oom``: its commands run even above maxmemory;
- ``allow-stale``, ``no-cluster``, ``allow-cross-slot-keys``: accepted and listed; they change
  nothing here (no replica mode, no cluster).
"""
from __future__ import annotations

from ..errors import MISCONF, OOM, RedisError
from ..protocol.reader import ProtocolError, split_inline

NO_WRITES, ALLOW_OOM, ALLOW_STALE, NO_CLUSTER, ALLOW_CROSS_SLOT_KEYS = 1, 2, 4, 8, 16
EVAL_COMPAT = 1 << 10          # an EVAL script without a shebang

# scripts_flags_def's order: FUNCTION LIST lists a function's flags in this order
FLAG_NAMES = (("no-writes", NO_WRITES), ("allow-oom", ALLOW_OOM), ("allow-stale", ALLOW_STALE),
              ("no-cluster", NO_CLUSTER), ("allow-cross-slot-keys", ALLOW_CROSS_SLOT_KEYS))
FLAG_BITS = dict(FLAG_NAMES)

RO_WITH_WRITE_FLAG = RedisError("ERR Can not execute a script with write flag using *_ro command.")


def flag_names(flags: int) -> list[str]:
    return [name for name, bit in FLAG_NAMES if flags & bit]


def eval_shebang(body: bytes) -> tuple[int, int]:
    """(flags, where the Lua code starts) of an EVAL script (evalExtractShebangFlags). The
    shebang line is cut, its newline kept, so line numbers stay those of the script."""
    if not body.startswith(b"#!"):
        return EVAL_COMPAT, 0
    end = body.find(b"\n")
    if end < 0:
        raise RedisError("ERR Invalid script shebang")
    try:
        parts = split_inline(body[:end])
    except ProtocolError:
        parts = []
    if not parts:
        raise RedisError("ERR Invalid engine in script shebang")
    if parts[0] != "#!lua":
        raise RedisError("ERR Unexpected engine in script shebang: %s" % parts[0])
    flags = 0
    for part in parts[1:]:
        if not part.startswith("flags="):
            raise RedisError("ERR Unknown lua shebang option: %s" % part)
        names = part[6:]
        for name in names.split(",") if names else ():
            bit = FLAG_BITS.get(name)       # case-sensitive here, unlike register_function
            if bit is None:
                raise RedisError("ERR Unexpected flag in script shebang: %s" % name)
            flags |= bit
    return flags, end


def eval_flags_or_compat(body: bytes) -> int:
    """The flags processCommand judges an uncached EVAL by: a bad shebang counts as none
    (the error comes when the script is compiled)."""
    try:
        return eval_shebang(body)[0]
    except RedisError:
        return EVAL_COMPAT


def gate_error(engine, flags: int) -> RedisError | None:
    """processCommand's refusals of a script with flags, judged as a command whose flags are
    the script's (scriptFlagsToCmdFlags): OOM for a writer without allow-oom, MISCONF for a
    writer."""
    if flags & EVAL_COMPAT:
        return None
    if engine.oom and not flags & (ALLOW_OOM | NO_WRITES):
        return OOM
    if engine.misconf and not flags & NO_WRITES:
        return MISCONF
    return None


def prepare_error(flags: int, read_only_command: bool) -> RedisError | None:
    """scriptPrepareForRun's refusal: a script that may write, run by *_RO."""
    if read_only_command and not flags & (EVAL_COMPAT | NO_WRITES):
        return RO_WITH_WRITE_FLAG
    return None


def read_only_run(flags: int, read_only_command: bool) -> bool:
    """Whether the script's commands may not write."""
    return read_only_command or (not flags & EVAL_COMPAT and bool(flags & NO_WRITES))


def allow_oom_run(flags: int) -> bool:
    return not flags & EVAL_COMPAT and bool(flags & ALLOW_OOM)
