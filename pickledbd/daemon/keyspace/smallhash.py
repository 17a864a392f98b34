"""Small hashes packed in one string, in the spirit of Redis's listpack.

A Python dict costs ~165 bytes per field of a small hash (two str objects and a slot);
Redis's listpack ~21. ``SmallHash`` keeps every field and value in one ``str``::

    "\\0" field "\\2" value  "\\0" field "\\2" value ...

in insertion order (as a listpack; updates keep their place), so a field costs its
characters plus two. Fields and values holding the three special characters are escaped
(``\\1`` followed by a digit), so ``\\0`` only ever starts an entry and ``\\2`` only ever ends
a field: a lookup is one ``str.find`` of ``"\\0" field "\\2"``, which can only match the whole
field at the start of an entry, whatever the field names (no loop in Python, no false hits).
The value runs to the next ``\\0``. Writes rebuild the string (a memcpy of a few KB at
most, as a listpack's memmove).

The commands keep a hash in this form while it has at most hash-max-listpack-entries fields
and every field and value written has at most hash-max-listpack-value bytes; past that they
convert it once to a plain ``dict``, for good (one-way, as Redis). OBJECT ENCODING follows
the type: ``listpack`` for a ``SmallHash``, ``hashtable`` for a ``dict``.

Values are always ``str`` here (a library-stored hash with other JSON values stays a dict).
The savers see it through ``hash_dict()`` (duck-typed, as a sorted set's ``score_dict()``),
so a saved file is exactly what the same dict would give.
"""
from __future__ import annotations

from itertools import chain

LISTPACK_ENTRIES = 512     # redis-server 7.0's defaults without a config file
LISTPACK_VALUE = 64

_NONE = object()


def _escape(s: str) -> str:
    return s.replace("\1", "\1" "1").replace("\0", "\1" "0").replace("\2", "\1" "2")


def _unescape(s: str) -> str:
    # every \1 starts a two-character token, so each replace matches whole tokens only
    return s.replace("\1" "0", "\0").replace("\1" "2", "\2").replace("\1" "1", "\1")


def _esc(s: str) -> str:
    """``s`` as stored: escaped only when it holds a special character (rare)."""
    if "\0" in s or "\1" in s or "\2" in s:
        return _escape(s)
    return s


def fits(s, limit: int) -> bool:
    """A str of at most ``limit`` bytes (UTF-8, surrogateescape)?"""
    return (type(s) is str and len(s) <= limit
            and (s.isascii() or len(s.encode("utf-8", "surrogateescape")) <= limit))


def pack(d: dict, entries: int = LISTPACK_ENTRIES, limit: int = LISTPACK_VALUE, flat=None):
    """``d`` as a SmallHash when it fits the thresholds (all str), else ``d`` itself.
    ``flat``: [field, value, ...] of ``d`` if the caller has it (HSET's arguments; all str),
    used when it has no repeated field. A few C-level passes, no Python loop per field."""
    n = len(d)
    if not n or n > entries:
        return d
    if flat is None or len(flat) != 2 * n:
        flat = tuple(chain.from_iterable(d.items()))
        if set(map(type, flat)) != _STR:            # library-stored JSON numbers, ...
            return d
    if max(map(len, flat)) > limit:
        return d
    text = ("\0%s\2%s" * n) % tuple(flat)
    if not text.isascii() and not all(fits(x, limit) for x in flat):
        return d
    if text.count("\0") != n or text.count("\2") != n or "\1" in text:
        text = "".join(["\0%s\2%s" % (_esc(f), _esc(v)) for f, v in d.items()])
    return SmallHash(text, n)


_STR = {str}


class SmallHash:
    """A hash of str fields -> str values packed in one string (see the module doc)."""

    __slots__ = ("text", "n")

    def __init__(self, text: str = "", n: int = 0):
        self.text = text
        self.n = n

    @classmethod
    def from_dict(cls, d: dict) -> "SmallHash":
        """``d`` (str -> str) packed, whatever its size."""
        if not d:
            return cls()
        h = pack(d, len(d), max(map(len, chain.from_iterable(d.items()))) * 4)
        if type(h) is not cls:
            raise TypeError("a SmallHash holds str fields and values")
        return h

    # ---- reads
    def _parts(self) -> list:
        """[field, value, field, value, ...] in order."""
        text = self.text
        if not text:
            return []
        parts = text[1:].replace("\2", "\0").split("\0")
        if "\1" in text:
            parts = [_unescape(p) if "\1" in p else p for p in parts]
        return parts

    def get(self, field, default=None):
        if "\0" in field or "\1" in field or "\2" in field:
            field = _escape(field)
        text = self.text
        p = text.find(f"\0{field}\2")
        if p < 0:
            return default
        p += len(field) + 2
        e = text.find("\0", p)
        v = text[p:e] if e >= 0 else text[p:]
        return _unescape(v) if "\1" in v else v

    def __getitem__(self, field):
        v = self.get(field, _NONE)
        if v is _NONE:
            raise KeyError(field)
        return v

    def __contains__(self, field) -> bool:
        return self.text.find(f"\0{_esc(field)}\2") >= 0

    def __len__(self) -> int:
        return self.n

    def __iter__(self):
        return iter(self.keys())

    def keys(self) -> list:
        return self._parts()[0::2]

    def values(self) -> list:
        return self._parts()[1::2]

    def items(self) -> list:
        parts = self._parts()
        return list(zip(parts[0::2], parts[1::2]))

    def to_dict(self) -> dict:
        it = iter(self._parts())
        return dict(zip(it, it))

    hash_dict = to_dict          # what the savers call (storage/codec.py duck-types it)

    def copy(self) -> "SmallHash":
        return SmallHash(self.text, self.n)     # str is immutable: sharing it is a copy

    def __eq__(self, other) -> bool:
        if type(other) is SmallHash:
            return self.to_dict() == other.to_dict()
        if isinstance(other, dict):
            return self.to_dict() == other
        return NotImplemented

    __hash__ = None

    def __repr__(self) -> str:
        return "SmallHash(%r)" % self.to_dict()

    def nbytes(self) -> int:
        """Python bytes held: this object (48 with its GC header) and its string."""
        text = self.text
        return 48 + (49 + len(text) if text.isascii() else text.__sizeof__())

    # ---- writes (the caller keeps the thresholds: see commands/hashes.py)
    def set(self, field: str, value: str) -> bool:
        """Set ``field``; True when it is new (appended, as a listpack does)."""
        if "\0" in field or "\1" in field or "\2" in field:       # (memchr: cheaper than
            field = _escape(field)                                  # str.isprintable)
        if "\0" in value or "\1" in value or "\2" in value:
            value = _escape(value)
        text = self.text
        p = text.find(f"\0{field}\2")
        if p < 0:
            self.text = f"{text}\0{field}\2{value}"
            self.n += 1
            return True
        p += len(field) + 2
        e = text.find("\0", p)
        if e < 0:
            e = len(text)
        if e - p != len(value) or not text.startswith(value, p):     # else: unchanged
            self.text = f"{text[:p]}{value}{text[e:]}"
        return False

    __setitem__ = set

    def delete(self, field) -> bool:
        """Remove ``field``; True when it was there."""
        text = self.text
        p = text.find(f"\0{_esc(field)}\2")
        if p < 0:
            return False
        e = text.find("\0", p + 1)
        self.text = text[:p] + text[e:] if e >= 0 else text[:p]
        self.n -= 1
        return True

    def __delitem__(self, field) -> None:
        if not self.delete(field):
            raise KeyError(field)

    def pop(self, field, default=_NONE):
        v = self.get(field, _NONE)
        if v is _NONE:
            if default is _NONE:
                raise KeyError(field)
            return default
        self.delete(field)
        return v

    def clear(self) -> None:
        self.text, self.n = "", 0
