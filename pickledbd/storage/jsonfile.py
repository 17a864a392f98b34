"""JSON file backend (format 1): the whole state in one JSON object, replaced atomically."""

from __future__ import annotations

import gc
import time
from itertools import islice
from typing import Any, Callable

import orjson

from ..errors import CorruptDatabaseError, SaveError
from .atomic import write_atomic
from .codec import (PLAIN_TYPES, FormatError, b64d, b64e, binary_value, contains_binary, decode_binary,
                    decode_tagged, is_binary_str, plain_default, project, project_fast)
from .state import FORMAT_VERSION, RESERVED_KEY, ScoreDict, State

_PASSTHROUGH = orjson.OPT_PASSTHROUGH_SUBCLASS


# ---------------------------------------------------------------- encoding

def _encode_db(db: dict, exp: dict) -> list:
    """[plain, types, binary records, plain expiries] of one database, every key plain but
    the reserved one (a binary record always); _plain_body then finds the keys holding a
    non-UTF-8 string while it encodes (checking every string up front would cost more)."""
    plain = dict(db)
    types: dict[str, str] = {}
    for k, v in db.items():
        if type(v) in PLAIN_TYPES:
            continue
        tag, pv = project_fast(v)
        plain[k] = pv
        if tag:
            types[k] = tag
    binary: list = []
    if RESERVED_KEY in plain:
        del plain[RESERVED_KEY]
        types.pop(RESERVED_KEY, None)
        kind, enc = binary_value(db[RESERVED_KEY])
        binary.append([b64e(RESERVED_KEY), kind, enc, exp.get(RESERVED_KEY)])
    plain_exp = {k: t for k, t in exp.items() if k in plain} if exp else {}
    return [plain, types, binary, plain_exp]


def _plain_body(enc: list, db: dict, exp: dict) -> bytes:
    """The JSON members (no braces) of the database's plain keys, encoded by orjson in
    chunks: a chunk that fails (a non-UTF-8 string somewhere) is looked at key by key, and
    the keys that need it become binary records (in the database's order)."""
    plain = enc[0]
    dumps = orjson.dumps
    bodies = []
    bad = []
    items = iter(plain.items())
    while True:
        part = list(islice(items, _CHUNK))
        if not part:
            break
        try:
            bodies.append(dumps(dict(part), default=plain_default)[1:-1])
            continue
        except TypeError:
            pass
        good = []
        for k, v in part:
            (bad if _has_binary(k, v) else good).append((k, v))
        bodies.append(dumps(dict(good), default=plain_default)[1:-1])
    if bad:
        _move_binary(enc, db, exp, {k for k, _ in bad})
    return b",".join(b for b in bodies if b)


def _move_binary(enc: list, db: dict, exp: dict, bad: set) -> None:
    """The bad keys (and the reserved one) become binary records, in the database's order."""
    plain, types = enc[0], enc[1]
    if RESERVED_KEY in db:
        bad.add(RESERVED_KEY)
    binary = []
    for k, value in db.items():
        if k in bad:
            plain.pop(k, None)
            types.pop(k, None)
            kind, v = binary_value(value)
            binary.append([b64e(k), kind, v, exp.get(k)])
    enc[2] = binary
    enc[3] = {k: t for k, t in exp.items() if k in plain} if exp else {}


_CHUNK = 256


def _has_binary(k: str, v: Any) -> bool:
    if not k.isascii() and is_binary_str(k):
        return True
    if type(v) is str:
        return not v.isascii() and is_binary_str(v)
    try:
        orjson.dumps(v, default=plain_default)
        return False
    except TypeError:
        return contains_binary(v)


_META_KEY = orjson.dumps(RESERVED_KEY) + b":"


def _assemble(encoded: dict, functions: list) -> bytes:
    """The file from the databases' encodings (db index -> [body, types, binary, expiries]):
    byte for byte what orjson.dumps would write for the whole document."""
    meta: dict[str, Any] = {"format": FORMAT_VERSION}
    top = b""
    for i, (body, types, binary, plain_exp) in encoded.items():
        name = str(i)
        if i == 0:
            top = body
        elif body:
            meta.setdefault("dbs", {})[name] = orjson.Fragment(b"{" + body + b"}")
        if types:
            meta.setdefault("types", {})[name] = types
        if plain_exp:
            meta.setdefault("expires", {})[name] = plain_exp
        if binary:
            meta.setdefault("binary", {})[name] = binary
    if functions:
        meta["functions"] = [encode_function(code) for code in functions]
    if len(meta) == 1:
        return b"{" + top + b"}"
    tail = _META_KEY + orjson.dumps(meta, default=plain_default)
    return b"".join((b"{", top, b"," if top else b"", tail, b"}"))


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
    # The projection allocates an object or more per key; the collector's full passes over
    # a big keyspace would then take most of the time (2x at 1M keys), and it frees nothing.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _encode_state(state)
    finally:
        if was_enabled:
            gc.enable()


def _encode_state(state: State) -> bytes:
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
        encoded = {}
        for i in sorted(state.dbs):
            db = state.dbs[i]
            if i == 0 or db:
                exp = state.expires.get(i) or {}
                enc = encoded[i] = _encode_db(db, exp)
                enc[0] = _plain_body(enc, db, exp)
        return _assemble(encoded, state.functions)
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
