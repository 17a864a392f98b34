"""Redis's glob rules (util.c ``stringmatchlen``) for KEYS, SCAN MATCH, CONFIG GET, PSUBSCRIBE
and COMMAND LIST FILTERBY PATTERN, exactly, quirks included, in time polynomial in
pattern x string for any pattern (the naive recursion, and a regex with one ``.*`` per
``*``, are exponential: ``*a*a*a*a*a*a*a*a*b`` against a run of ``a``\\ s; CVE-2022-36021).

Redis matches *bytes*: ``?`` and each bracket class consume one byte, and the C code
compares ``char`` values, which are signed on x86 (so a range such as ``[a-\\xff]`` is
really ``[\\xff-a]`` = bytes 0x00..0x61 and 0xff). Each token becomes the exact set of bytes
it accepts (a 256-bit mask, computed arithmetically, so a 150 KB pattern parses in
milliseconds), reproducing every quirk:

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

Why it is polynomial: every token but ``*`` has length one, so the pattern is
``head * mid1 * mid2 * ... * tail`` with fixed-length segments, and the leftmost place where
each middle segment fits is always as good as any later one. The regex we build says exactly
that with atomic groups, ``head(?>.*?mid1)(?>.*?mid2).*tail``: no backtracking into a placed
segment, so a match costs O(len(string) x len(pattern)) and runs in C. Identical adjacent
tokens compile as one counted repeat (``[a-z]{30000}``), and the regex is only compiled once
a string at least as long as the pattern's fixed part is met.
"""
from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["glob_match", "matcher"]

_ALL = (1 << 256) - 1
_UPPER = ((1 << 91) - 1) ^ ((1 << 65) - 1)           # bytes 'A'..'Z'
_LOWER_LETTERS = _UPPER << 32                          # bytes 'a'..'z'
_CACHE_MAX_LEN = 4096       # longer patterns are not cached (memory)


def _span(lo: int, hi: int) -> int:
    """Mask of bytes lo..hi (unsigned, inclusive)."""
    return ((1 << (hi + 1)) - 1) ^ ((1 << lo) - 1) if lo <= hi else 0


def _signed_span(start: int, end: int) -> int:
    """Mask of bytes b whose signed char value lies in start..end."""
    if start > end:
        return 0
    if start >= 0:
        return _span(start, end)
    if end < 0:
        return _span(start + 256, end + 256)
    return _span(0, end) | _span(start + 256, 255)


def _signed(b: int) -> int:
    return b - 256 if b >= 128 else b


def _lower(c: int) -> int:
    """C tolower in the C locale (ASCII only), on a signed char value."""
    return c + 32 if 65 <= c <= 90 else c


def _range_mask(a: int, b: int, nocase: bool) -> int:
    start, end = _signed(a), _signed(b)
    if start > end:
        start, end = end, start
    if not nocase:
        return _signed_span(start, end)
    start, end = _lower(start), _lower(end)
    hit = _signed_span(start, end)
    # a byte c matches when tolower(c) is in range: letters by their lower-case twin
    return (hit & ~_UPPER) | ((hit & _LOWER_LETTERS) >> 32)


def _literal_mask(b: int, nocase: bool) -> int:
    if nocase:
        if 65 <= b <= 90:
            return (1 << b) | (1 << (b + 32))
        if 97 <= b <= 122:
            return (1 << b) | (1 << (b - 32))
    return 1 << b


def _class(p: bytes, i: int, nocase: bool) -> tuple[int, int]:
    """The byte mask of the class whose content starts at p[i] (just after '['), and the index
    after it. Mirrors stringmatchlen's class loop."""
    n = len(p)
    negate = i < n and p[i] == 0x5E  # '^'
    if negate:
        i += 1
    mask = 0
    while True:
        rem = n - i
        if rem >= 2 and p[i] == 0x5C:  # backslash: the next byte, compared exactly
            i += 1
            mask |= 1 << p[i]
        elif rem > 0 and p[i] == 0x5D:  # ']'
            break
        elif rem == 0:
            i -= 1   # pattern--, so the common pattern++ lands on the end
            break
        elif rem >= 3 and p[i + 1] == 0x2D:  # 'x-y'
            mask |= _range_mask(p[i], p[i + 2], nocase)
            i += 2
        else:
            mask |= _literal_mask(p[i], nocase)
        i += 1
    return (mask ^ _ALL if negate else mask), i + 1


def tokens(pattern: str, nocase: bool = False) -> list:
    """The pattern as a list of byte masks (one byte each) and None for each run of ``*``."""
    p = pattern.encode("utf-8", "surrogateescape")
    out = []
    i, n = 0, len(p)
    while i < n:
        c = p[i]
        if c == 0x2A:  # '*'
            if not out or out[-1] is not None:
                out.append(None)
            i += 1
        elif c == 0x3F:  # '?'
            out.append(_ALL)
            i += 1
        elif c == 0x5B:  # '['
            mask, i = _class(p, i + 1, nocase)
            out.append(mask)
        elif c == 0x5C and n - i >= 2:  # backslash escape
            out.append(_literal_mask(p[i + 1], nocase))
            i += 2
        else:
            out.append(_literal_mask(c, nocase))
            i += 1
    return out


_ATOMS: dict = {}


def _atom(mask: int) -> str:
    """A regex accepting exactly the bytes of ``mask`` (text seen as latin-1)."""
    rx = _ATOMS.get(mask)
    if rx is not None:
        return rx
    if mask == 0:
        rx = "(?!)"
    elif mask == _ALL:
        rx = "."
    elif mask & (mask - 1) == 0:
        rx = re.escape(chr(mask.bit_length() - 1))
    else:
        parts, b = [], 0
        while mask >> b:
            if not (mask >> b) & 1:
                b += ((mask >> b) & -(mask >> b)).bit_length() - 1   # skip to the next set bit
                continue
            run = (~(mask >> b) & ((mask >> b) + 1)).bit_length() - 1  # length of this run of ones
            parts.append("\\x%02x" % b if run == 1 else "\\x%02x-\\x%02x" % (b, b + run - 1))
            b += run
        rx = "[%s]" % "".join(parts)
    if len(_ATOMS) < 65536:
        _ATOMS[mask] = rx
    return rx


def _segment(masks: list) -> str:
    out, i, n = [], 0, len(masks)
    while i < n:
        j = i
        while j < n and masks[j] == masks[i]:
            j += 1
        a = _atom(masks[i])
        out.append(a if j - i == 1 else "(?:%s){%d}" % (a, j - i))
        i = j
    return "".join(out)


def _regex(toks: list) -> str:
    segs, cur = [], []
    for t in toks:
        if t is None:
            segs.append(cur)
            cur = []
        else:
            cur.append(t)
    segs.append(cur)
    if len(segs) == 1:
        return _segment(segs[0])
    mids = "".join("(?>.*?%s)" % _segment(s) for s in segs[1:-1])
    return "%s%s.*%s" % (_segment(segs[0]), mids, _segment(segs[-1]))


class _Glob:
    """One compiled pattern: ``fullmatch(latin-1 text)``, compiled on first need."""

    __slots__ = ("toks", "min_len", "rx")

    def __init__(self, pattern: str, nocase: bool):
        self.toks = tokens(pattern, nocase)
        self.min_len = sum(1 for t in self.toks if t is not None)
        self.rx = None

    def fullmatch(self, text: str) -> bool:
        if len(text) < self.min_len:
            return False
        if self.rx is None:
            self.rx = re.compile(_regex(self.toks), re.DOTALL)
            self.toks = None
        return self.rx.fullmatch(text) is not None


@lru_cache(maxsize=512)
def _cached(pattern: str, nocase: bool) -> _Glob:
    return _Glob(pattern, nocase)


def _compiled(pattern: str, nocase: bool) -> _Glob:
    return _cached(pattern, nocase) if len(pattern) <= _CACHE_MAX_LEN else _Glob(pattern, nocase)


def _latin1(s: str) -> str:
    return s if s.isascii() else s.encode("utf-8", "surrogateescape").decode("latin-1")


def glob_match(pattern: str, s: str, nocase: bool = False) -> bool:
    """stringmatchlen(pattern, s, nocase) == 1."""
    if not s:
        return not pattern
    if pattern == "*":
        return True
    return _compiled(pattern, nocase).fullmatch(_latin1(s))


def matcher(pattern: str, nocase: bool = False):
    """A fast ``key -> bool`` for matching many strings against one pattern."""
    if pattern == "*":
        return bool
    if not pattern:
        return lambda s: not s
    full = _compiled(pattern, nocase).fullmatch

    def match(s: str) -> bool:
        if s.isascii():
            return bool(s) and full(s)
        return full(s.encode("utf-8", "surrogateescape").decode("latin-1"))

    return match
