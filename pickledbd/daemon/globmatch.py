"""Redis's glob rules (util.c ``stringmatchlen``) for KEYS, SCAN MATCH, CONFIG GET and
PSUBSCRIBE, exactly, quirks included.

Redis matches *bytes*: ``?`` and each bracket class consume one byte, and the C code
compares ``char`` values, which are signed on x86 (so a range such as ``[a-\\xff]`` is
really ``[\\xff-a]`` = bytes 0x00..0x61 and 0xff). Patterns compile once (cached) to a
regular expression over the string's bytes seen as latin-1 text, so matching a million
keys runs in C. Each bracket class is turned into the exact set of bytes it accepts by
running stringmatchlen's class loop for all 256 byte values, which reproduces every quirk:

- ``[^...]`` negates (``[!...]`` does not); ``[]...`` is an empty class (never matches) and
  ``[^]`` matches any byte;
- ``\\`` escapes inside and outside classes; a trailing lone ``\\`` is a literal backslash;
- ranges may be reversed (``[z-a]``); a range end may be ``]`` (``[a-]x]`` is the range
  ``]``..``a`` plus ``x``), because the C code looks two bytes ahead before checking for ``]``;
- an unclosed ``[`` runs to the end of the pattern (``h[e`` is ``h[e]``);
- with ``nocase`` (CONFIG GET) literals compare with ASCII tolower, ranges lower-case their
  ends and the byte, escaped bytes inside a class compare exactly;
- every non-``*`` token consumes one byte, so an empty string matches only the empty
  pattern - even ``*`` does not match it (KEYS and SCAN special-case a lone ``*`` as "all keys",
  which does include the empty key, before calling this).
"""
from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["compile_glob", "glob_match", "matcher"]


def _signed(b: int) -> int:
    return b - 256 if b >= 128 else b


def _lower(b: int) -> int:
    """C tolower in the C locale (ASCII only), on a signed char value."""
    return b + 32 if 65 <= b <= 90 else b


def _class(p: bytes, i: int, nocase: bool):
    """Parse the class whose content starts at p[i] (just after '['); return (regex, next i).

    Mirrors stringmatchlen's loop; the byte set is computed for every possible byte."""
    n = len(p)
    negate = i < n and p[i] == 0x5E  # '^'
    if negate:
        i += 1
    # collect the class items first (parsing does not depend on the string's byte)
    items = []  # ("lit", b) | ("esc", b) | ("range", lo, hi)
    while True:
        rem = n - i
        if rem >= 2 and p[i] == 0x5C:  # backslash
            i += 1
            items.append(("esc", p[i]))
        elif rem > 0 and p[i] == 0x5D:  # ']'
            break
        elif rem == 0:
            i -= 1   # pattern--, so the common pattern++ lands on the end
            break
        elif rem >= 3 and p[i + 1] == 0x2D:  # 'x-y'
            items.append(("range", p[i], p[i + 2]))
            i += 2
        else:
            items.append(("lit", p[i]))
        i += 1
    accepted = []
    for byte in range(256):
        c = _signed(byte)
        match = False
        for item in items:
            if item[0] == "esc":
                if _signed(item[1]) == c:
                    match = True
            elif item[0] == "range":
                start, end = _signed(item[1]), _signed(item[2])
                if start > end:
                    start, end = end, start
                cc = c
                if nocase:
                    start, end, cc = _lower(start), _lower(end), _lower(c)
                if start <= cc <= end:
                    match = True
            else:
                lit = _signed(item[1])
                if (lit == c) if not nocase else (_lower(lit) == _lower(c)):
                    match = True
        if negate:
            match = not match
        if match:
            accepted.append(byte)
    return _byte_set(accepted), i + 1


def _byte_set(accepted) -> str:
    if not accepted:
        return "(?!)"
    if len(accepted) == 256:
        return "."
    if len(accepted) == 1:
        return re.escape(chr(accepted[0]))
    # compress into runs
    parts, start, prev = [], accepted[0], accepted[0]
    for b in accepted[1:] + [None]:
        if b is not None and b == prev + 1:
            prev = b
            continue
        if start == prev:
            parts.append(_cls_char(start))
        else:
            parts.append("%s-%s" % (_cls_char(start), _cls_char(prev)))
        if b is not None:
            start = prev = b
    return "[%s]" % "".join(parts)


def _cls_char(b: int) -> str:
    return "\\x%02x" % b


def _literal(b: int, nocase: bool) -> str:
    if nocase:
        low = _lower(_signed(b)) & 0xFF
        same = [x for x in range(256) if (_lower(_signed(x)) & 0xFF) == low]
        return _byte_set(same)
    return re.escape(chr(b))


@lru_cache(maxsize=512)
def compile_glob(pattern: str, nocase: bool = False):
    """The compiled regex (over latin-1 text of the bytes) for a Redis glob pattern."""
    p = pattern.encode("utf-8", "surrogateescape")
    out = []
    i, n = 0, len(p)
    while i < n:
        c = p[i]
        if c == 0x2A:  # '*'
            while i + 1 < n and p[i + 1] == 0x2A:
                i += 1
            out.append(".*")
            i += 1
        elif c == 0x3F:  # '?'
            out.append(".")
            i += 1
        elif c == 0x5B:  # '['
            rx, i = _class(p, i + 1, nocase)
            out.append(rx)
        elif c == 0x5C and n - i >= 2:  # backslash escape
            out.append(_literal(p[i + 1], nocase))
            i += 2
        else:
            out.append(_literal(c, nocase))
            i += 1
    return re.compile("".join(out), re.DOTALL)


def _latin1(s: str) -> str:
    return s if s.isascii() else s.encode("utf-8", "surrogateescape").decode("latin-1")


def glob_match(pattern: str, s: str, nocase: bool = False) -> bool:
    """stringmatchlen(pattern, s, nocase) == 1."""
    if not s:
        return not pattern
    if pattern == "*":
        return True
    return compile_glob(pattern, nocase).fullmatch(_latin1(s)) is not None


def matcher(pattern: str, nocase: bool = False):
    """A fast ``key -> bool`` for matching many strings against one pattern."""
    if pattern == "*":
        return bool
    full = compile_glob(pattern, nocase).fullmatch
    if not pattern:
        return lambda s: not s

    def match(s: str) -> bool:
        if s.isascii():
            return bool(s) and full(s) is not None
        return full(s.encode("utf-8", "surrogateescape").decode("latin-1")) is not None

    return match
