"""Value projection shared by the JSON and SQLite backends (docs/storage-contract.md, format 1).

A value is written either "plain" (its JSON form, plus a type tag for sets and sorted sets)
or, when it cannot be (a string that is not valid UTF-8 somewhere in it), as a "binary"
record whose strings are base64 of their surrogateescape bytes. Non-string items inside a
binary record are stored as themselves (JSON), so nothing becomes a string by accident.
"""

from __future__ import annotations

import base64
import math
from collections import deque
from typing import Any, Callable

import orjson

from .state import ScoreDict, StreamDict

NoneType = type(None)
# Types orjson writes natively and that need no type tag.
PLAIN_TYPES = frozenset((str, int, float, bool, NoneType, dict, list, tuple))
SCALAR_TYPES = (str, int, float, bool, NoneType)


class FormatError(ValueError):
    """Stored data does not follow the format; backends wrap it into CorruptDatabaseError."""


def plain_default(obj: Any) -> Any:
    """orjson `default` for plain writes: deques and container subclasses become plain.

    Sets and sorted sets raise, so the caller falls back to the slow path that tags them."""
    if type(obj) is deque:
        return list(obj)
    if is_hash(obj):
        return obj.hash_dict()
    if is_zset(obj) or is_stream(obj) or isinstance(obj, (set, frozenset)):
        raise TypeError(f"Type is not JSON serializable: {type(obj).__name__}")
    for base in (dict, list, tuple, str, int, float):
        if isinstance(obj, base):
            return base(obj)
    if isinstance(obj, deque):
        return list(obj)
    raise TypeError(f"Type is not JSON serializable: {type(obj).__name__}")


def is_zset(obj: Any) -> bool:
    return isinstance(obj, ScoreDict) or callable(getattr(type(obj), "score_dict", None))


def is_hash(obj: Any) -> bool:
    """A hash in another form than a dict: any object with ``hash_dict()`` (the daemon's
    packed small hashes), saved exactly as that dict."""
    return callable(getattr(type(obj), "hash_dict", None))


def is_stream(obj: Any) -> bool:
    """A stream: a StreamDict or any object with ``stream_plain()`` (the daemon's Stream)."""
    return isinstance(obj, StreamDict) or callable(getattr(type(obj), "stream_plain", None))


def stream_out(value: Any) -> dict:
    plain = value.stream_plain()
    return dict(plain) if type(plain) is not dict else plain


def _map_stream(plain: dict, f: Callable) -> dict:
    """The stream's plain form with ``f`` applied to every user string (field names and
    values, group and consumer names): base64 for a binary record, and back."""
    out = dict(plain)
    out["entries"] = [[i, [f(x) for x in fields]] for i, fields in plain.get("entries", ())]
    groups = []
    for g in plain.get("groups", ()):
        g = dict(g)
        g["name"] = f(g["name"])
        g["pel"] = [[i, f(cons), t, n] for i, cons, t, n in g.get("pel", ())]
        g["consumers"] = [dict(cd, name=f(cd["name"])) for cd in g.get("consumers", ())]
        groups.append(g)
    out["groups"] = groups
    return out


def stream_in(value: Any) -> StreamDict:
    if not isinstance(value, dict) or not isinstance(value.get("entries", []), list):
        raise FormatError(f"a stream must be stored as an object with an entries array, got {type(value).__name__}")
    return StreamDict(value)


def score_out(score: Any) -> Any:
    if type(score) is not float and type(score) is not int:
        if isinstance(score, bool) or not isinstance(score, (int, float)):
            raise TypeError(f"sorted-set score must be a number, not {type(score).__name__}")
        score = float(score)
    if score == math.inf:
        return "inf"
    if score == -math.inf:
        return "-inf"
    if score != score:
        raise TypeError("sorted-set score is NaN")
    return score


def score_in(raw: Any) -> float:
    if type(raw) is float or (type(raw) is int):
        return float(raw)
    if raw in ("inf", "+inf"):
        return math.inf
    if raw == "-inf":
        return -math.inf
    raise FormatError(f"invalid sorted-set score {raw!r}")


def _sorted_members(members) -> list:
    try:
        return sorted(members)
    except TypeError:  # mixed member types: any stable order will do
        return sorted(members, key=orjson.dumps)


def project(value: Any) -> tuple[str | None, Any]:
    """(type tag, JSON-ready value) of a value that has no binary strings."""
    t = type(value)
    if t in PLAIN_TYPES:
        return None, value
    if t is deque:
        return None, list(value)
    if t is set or t is frozenset or isinstance(value, (set, frozenset)):
        return "set", _sorted_members(value)
    if is_zset(value):
        return "zset", {m: score_out(s) for m, s in value.score_dict().items()}
    if is_stream(value):
        return "stream", stream_out(value)
    return None, plain_default(value)


def _zset_out(value: Any) -> dict:
    scores = value.score_dict()
    try:    # all numbers, all finite (a finite sum): the scores as they are, built in C
        if set(map(type, scores.values())) <= _NUMBER_TYPES and math.isfinite(sum(scores.values())):
            return dict(scores)
    except (TypeError, OverflowError):
        pass
    return {m: score_out(s) for m, s in scores.items()}


_NUMBER_TYPES = frozenset((float, int))
_FAST = {deque: lambda v: (None, list(v)),
         set: lambda v: ("set", _sorted_members(v)),
         frozenset: lambda v: ("set", _sorted_members(v))}
_zset_types: set = set()


def project_fast(value: Any) -> tuple[str | None, Any]:
    """project() for the daemon's value types, without its isinstance chain."""
    t = type(value)
    fast = _FAST.get(t)
    if fast is not None:
        return fast(value)
    if t in _zset_types or is_zset(value):
        _zset_types.add(t)
        return "zset", _zset_out(value)
    return project(value)


def is_binary_str(s: str) -> bool:
    if s.isascii():
        return False
    try:
        s.encode("utf-8")
        return False
    except UnicodeEncodeError:
        return True


def contains_binary(value: Any) -> bool:
    """True when any string inside value (dict keys included) is not valid UTF-8."""
    t = type(value)
    if t is str or isinstance(value, str):
        return is_binary_str(value)
    if t in (int, float, bool, NoneType):
        return False
    if is_zset(value):
        return any(is_binary_str(m) for m in value.score_dict())
    if is_stream(value):
        return contains_binary(dict(stream_out(value)))
    if is_hash(value):
        value = value.hash_dict()
    if isinstance(value, dict):
        return any((isinstance(k, str) and is_binary_str(k)) or contains_binary(v)
                   for k, v in value.items())
    if isinstance(value, (list, tuple, deque, set, frozenset)):
        return any(contains_binary(v) for v in value)
    return False


def b64e(s: str) -> str:
    return base64.b64encode(s.encode("utf-8", "surrogateescape")).decode("ascii")


def b64d(s: str) -> str:
    try:
        return base64.b64decode(s, validate=True).decode("utf-8", "surrogateescape")
    except (ValueError, TypeError) as e:
        raise FormatError(f"invalid base64 {s!r:.40}") from e


def _item_out(v: Any) -> Any:
    return b64e(v) if isinstance(v, str) else v


def _item_in(v: Any) -> Any:
    return b64d(v) if type(v) is str else v


def binary_value(value: Any) -> tuple[str, Any]:
    """(type, encoded) of a value stored as a binary record."""
    if isinstance(value, str):
        return "string", b64e(value)
    if isinstance(value, SCALAR_TYPES):
        return "string", value
    if is_zset(value):
        return "zset", [[_item_out(m), score_out(s)] for m, s in value.score_dict().items()]
    if is_stream(value):
        return "stream", _map_stream(stream_out(value), b64e)
    if is_hash(value):
        value = value.hash_dict()
    if isinstance(value, dict):
        return "hash", [[b64e(str(f)), _item_out(v)] for f, v in value.items()]
    if isinstance(value, (list, tuple, deque)):
        return "list", [_item_out(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return "set", _sorted_members([_item_out(v) for v in value])
    raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")


def decode_binary(kind: str, enc: Any, zset_factory: Callable) -> Any:
    try:
        if kind == "string":
            return _item_in(enc)
        if kind == "hash":
            return {b64d(f): _item_in(v) for f, v in enc}
        if kind == "list":
            return [_item_in(v) for v in enc]
        if kind == "set":
            return {_item_in(v) for v in enc}
        if kind == "zset":
            return zset_factory({_item_in(m): score_in(s) for m, s in enc})
        if kind == "stream":
            return stream_in(_map_stream(stream_in(enc), b64d))
    except (TypeError, ValueError) as e:
        if isinstance(e, FormatError):
            raise
        raise FormatError(f"malformed {kind} record: {e}") from e
    raise FormatError(f"unknown record type {kind!r}")


def decode_tagged(tag: str, value: Any, zset_factory: Callable) -> Any:
    """Rebuild a plain value stored with a type tag ("set" / "zset" / "stream")."""
    if tag == "set":
        if not isinstance(value, list):
            raise FormatError(f"a set must be stored as an array, got {type(value).__name__}")
        try:
            return set(value)
        except TypeError as e:
            raise FormatError(f"set member is not hashable: {e}") from e
    if tag == "zset":
        if not isinstance(value, dict):
            raise FormatError(f"a sorted set must be stored as an object, got {type(value).__name__}")
        return zset_factory({m: score_in(s) for m, s in value.items()})
    if tag == "stream":
        return stream_in(value)
    raise FormatError(f"unknown type tag {tag!r}")
