"""JSON file backend (format 1): the whole state in one JSON object, replaced atomically."""

from __future__ import annotations

import time
from typing import Any, Callable

import orjson

from ..errors import CorruptDatabaseError, SaveError
from .atomic import write_atomic
from .codec import (PLAIN_TYPES, FormatError, b64d, b64e, binary_value, contains_binary, decode_binary,
                    decode_tagged, is_binary_str, plain_default, project)
from .state import FORMAT_VERSION, RESERVED_KEY, ScoreDict, State

_PASSTHROUGH = orjson.OPT_PASSTHROUGH_SUBCLASS


# ---------------------------------------------------------------- encoding

def _encode_db(db: dict, exp: dict, careful: bool):
    """Split one database into (plain, types, binary records, plain expiries).

    careful=False assumes no binary strings (tier 2); careful=True checks every key and
    value (tier 3) and moves the ones that need it to binary records."""
    plain = dict(db)
    types: dict[str, str] = {}
    binary: list = []
    for k, v in db.items():
        if careful and (k == RESERVED_KEY or is_binary_str(k) or contains_binary(v)):
            del plain[k]
            kind, enc = binary_value(v)
            binary.append([b64e(k), kind, enc, exp.get(k)])
            continue
        if type(v) in PLAIN_TYPES:
            continue
        tag, pv = project(v)
        plain[k] = pv
        if tag:
            types[k] = tag
    if not careful and RESERVED_KEY in plain:
        v = plain.pop(RESERVED_KEY)
        types.pop(RESERVED_KEY, None)
        kind, enc = binary_value(db[RESERVED_KEY])
        binary.append([b64e(RESERVED_KEY), kind, enc, exp.get(RESERVED_KEY)])
    plain_exp = {k: t for k, t in exp.items() if k in plain} if exp else {}
    return plain, types, binary, plain_exp


def _build_doc(state: State, careful: bool) -> dict:
    meta: dict[str, Any] = {"format": FORMAT_VERSION}
    doc: dict = {}
    for i in sorted(state.dbs):
        db = state.dbs[i]
        if not db and i != 0:
            continue
        plain, types, binary, plain_exp = _encode_db(db, state.expires.get(i) or {}, careful)
        name = str(i)
        if i == 0:
            doc = plain
        elif plain:
            meta.setdefault("dbs", {})[name] = plain
        if types:
            meta.setdefault("types", {})[name] = types
        if plain_exp:
            meta.setdefault("expires", {})[name] = plain_exp
        if binary:
            meta.setdefault("binary", {})[name] = binary
    if state.functions:
        meta["functions"] = [encode_function(code) for code in state.functions]
    if len(meta) > 1:
        doc[RESERVED_KEY] = meta
    return doc


def encode_function(code: str):
    """A library's code: the string, or {"b64": ...} when it is not valid UTF-8."""
    return {"b64": b64e(code)} if is_binary_str(code) else code


def decode_functions(items: Any) -> list[str]:
    if not isinstance(items, list):
        raise FormatError(f"functions section is {_kind(items)}, expected an array")
    out = []
    for item in items:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict) and list(item) == ["b64"] and isinstance(item["b64"], str):
            out.append(b64d(item["b64"]))
        else:
            raise FormatError(f"a function library is {_kind(item)}, expected a string")
    return out


def encode_plain_db(db: dict) -> bytes | None:
    """The file for a database 0 holding only natively-serialisable values, else None.

    No `default` hook, so orjson runs no Python code and holds the GIL throughout: other
    threads cannot change db mid-way, and the caller needs no snapshot copy."""
    if RESERVED_KEY in db:
        return None
    try:
        return orjson.dumps(db, option=_PASSTHROUGH)
    except TypeError:
        return None


def encode_state(state: State) -> bytes:
    """The file's bytes. One orjson.dumps call in the common case (database 0 only)."""
    db0 = state.dbs.get(0) or {}
    simple = (RESERVED_KEY not in db0 and not state.functions
              and not any(d for i, d in state.dbs.items() if i != 0)
              and not any(state.expires.get(i) for i in state.dbs))
    if simple:
        try:  # fast path; sets, zsets (dict subclasses) and binary strings make it raise
            return orjson.dumps(db0, default=plain_default, option=_PASSTHROUGH)
        except TypeError:
            pass
    try:
        return orjson.dumps(_build_doc(state, careful=False), default=plain_default)
    except TypeError:
        pass
    doc = _build_doc(state, careful=True)
    try:
        return orjson.dumps(doc, default=plain_default)
    except TypeError as e:
        raise TypeError(_find_bad_value(state) or str(e)) from None


def _find_bad_value(state: State) -> str | None:
    for i, db in state.dbs.items():
        for k, v in db.items():
            try:
                _, pv = project(v)
                orjson.dumps(pv, default=plain_default)
            except TypeError as e:
                if contains_binary(v):
                    continue
                return f"value of key {k!r} (db {i}) is not JSON-serialisable: {e}"
    return None


# ---------------------------------------------------------------- decoding

def _decode_plain_db(plain: dict, types: dict | None, zset_factory: Callable) -> None:
    if types:
        if not isinstance(types, dict):
            raise FormatError("types section is not an object")
        for k, tag in types.items():
            if k not in plain:
                raise FormatError(f"types names key {k!r}, which is missing")
            plain[k] = decode_tagged(tag, plain[k], zset_factory)


def decode_document(doc: Any, zset_factory: Callable = ScoreDict, now_ms: int | None = None) -> State:
    if not isinstance(doc, dict):
        raise FormatError(f"top-level JSON value is {_kind(doc)}, expected an object")
    meta = doc.pop(RESERVED_KEY, None)
    if meta is None:
        return State(dbs={0: doc}, expires={})  # plain object: it IS database 0, no copy
    if not isinstance(meta, dict):
        raise FormatError(f"{RESERVED_KEY!r} section is {_kind(meta)}, expected an object")
    fmt = meta.get("format")
    if fmt != FORMAT_VERSION:
        raise FormatError(f"unsupported format {fmt!r} (this version reads format {FORMAT_VERSION})")
    try:
        state = State(dbs={0: doc}, expires={})
        for name, plain in (meta.get("dbs") or {}).items():
            if not isinstance(plain, dict):
                raise FormatError(f"dbs[{name!r}] is {_kind(plain)}, expected an object")
            state.dbs[_db_index(name)] = plain
        types = meta.get("types") or {}
        for name, t in types.items():
            i = _db_index(name)
            if i not in state.dbs:
                raise FormatError(f"types names database {name}, which has no plain keys")
            _decode_plain_db(state.dbs[i], t, zset_factory)
        for name, exp in (meta.get("expires") or {}).items():
            i = _db_index(name)
            db = state.dbs.get(i, {})
            state.expires[i] = {k: int(t) for k, t in exp.items() if k in db}
        for name, records in (meta.get("binary") or {}).items():
            i = _db_index(name)
            db = state.dbs.setdefault(i, {})
            for key_b64, kind, enc, exp_ms in records:
                key = b64d(key_b64)
                db[key] = decode_binary(kind, enc, zset_factory)
                if exp_ms is not None:
                    state.expires.setdefault(i, {})[key] = int(exp_ms)
        if "functions" in meta:
            state.functions = decode_functions(meta["functions"])
    except FormatError:
        raise
    except (TypeError, ValueError, AttributeError) as e:
        raise FormatError(f"malformed {RESERVED_KEY!r} section: {e}") from e
    drop_expired(state, now_ms)
    return state


def drop_expired(state: State, now_ms: int | None = None) -> list[tuple[int, str]]:
    """Remove keys whose expiry has passed; returns the (db, key) pairs removed."""
    now = int(time.time() * 1000) if now_ms is None else now_ms
    dropped = []
    for i, exp in list(state.expires.items()):
        for k, t in list(exp.items()):
            if t <= now:
                del exp[k]
                state.dbs.get(i, {}).pop(k, None)
                dropped.append((i, k))
        if not exp:
            del state.expires[i]
    return dropped


def _db_index(name: Any) -> int:
    try:
        i = int(name)
    except (TypeError, ValueError):
        raise FormatError(f"database name {name!r} is not an integer") from None
    if i < 0:
        raise FormatError(f"database index {i} is negative")
    return i


def _kind(v: Any) -> str:
    return {list: "an array", str: "a string", int: "a number", float: "a number",
            bool: "a boolean", type(None): "null", dict: "an object"}.get(type(v), type(v).__name__)


# ---------------------------------------------------------------- backend

class JSONStorage:
    """One JSON document per database file. `dirty` is ignored: every save writes it all."""

    incremental = False
    backend = "json"

    def __init__(self, path: str):
        self.path = path

    def load(self, zset_factory: Callable = ScoreDict) -> State:
        try:
            with open(self.path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return State()
        if not data:
            return State()
        try:
            doc = orjson.loads(data)
        except orjson.JSONDecodeError as e:
            raise CorruptDatabaseError(f"{self.path} is not valid JSON: {e}") from None
        try:
            return decode_document(doc, zset_factory)
        except FormatError as e:
            raise CorruptDatabaseError(f"{self.path} is not a pickleDB database: {e}") from None

    def save(self, state: State, dirty: dict | None = None) -> None:
        try:
            data = encode_state(state)
        except (TypeError, ValueError) as e:
            raise SaveError(f"cannot save {self.path}: {e}; the file was left unchanged") from None
        self.write(data)

    def write(self, data: bytes) -> None:
        """Atomically replace the file with already-encoded bytes (see encode_state)."""
        write_atomic(self.path, data)

    def close(self) -> None:
        pass

    def __repr__(self) -> str:
        return f"JSONStorage({self.path!r})"
