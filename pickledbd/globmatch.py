"""Redis's glob rules (util.c stringmatchlen): ``*``, ``?``, ``[abc]``, ``[^a]``, ``[a-z]``
and backslash escapes, for KEYS, SCAN MATCH, CONFIG GET and PSUBSCRIBE.

Patterns compile once to a regular expression (cached), so matching a million keys
runs in C. The translation follows stringmatchlen's quirks: an unclosed ``[`` runs to
the end of the pattern, ranges may be reversed (``[z-a]``), and ``\\`` escapes inside
brackets too.
"""
from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=256)
def compile_glob(pattern: str, nocase: bool = False):
    out = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            while i + 1 < n and pattern[i + 1] == "*":
                i += 1
            out.append("(?s:.*)")
        elif c == "?":
            out.append("(?s:.)")
        elif c == "[":
            i += 1
            negate = i < n and pattern[i] == "^"
            if negate:
                i += 1
            items = []
            while i < n and pattern[i] != "]":
                if pattern[i] == "\\" and i + 1 < n:
                    i += 1
                    items.append(re.escape(pattern[i]))
                elif i + 2 < n and pattern[i + 1] == "-" and pattern[i + 2] != "]":
                    lo, hi = pattern[i], pattern[i + 2]
                    if lo > hi:
                        lo, hi = hi, lo
                    items.append("%s-%s" % (re.escape(lo), re.escape(hi)))
                    i += 2
                else:
                    items.append(re.escape(pattern[i]))
                i += 1
            if not items:
                out.append("(?!)" if not negate else "(?s:.)")
            else:
                out.append("[%s%s]" % ("^" if negate else "", "".join(items)))
        elif c == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out) + r"\Z", re.IGNORECASE if nocase else 0)


def glob_match(pattern: str, s: str, nocase: bool = False) -> bool:
    if pattern == "*":
        return True
    return compile_glob(pattern, nocase).match(s) is not None
