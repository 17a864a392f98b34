"""SQLite backend (format 1): one row per key, saves write only the keys changed since the last save.

All SQL is constant text with ? parameters; keys and values never become SQL."""

from __future__ import annotations

import gc
import os
import sqlite3
import threading
from typing import Any, Callable, Iterable, Iterator

import orjson

from ..errors import CorruptDatabaseError, SaveError
from .atomic import fsync_dir, remove_stale_temps, temp_name
from .codec import (FormatError, binary_value, contains_binary, decode_binary, decode_tagged,
                    plain_default, project_fast)
from .jsonfile import drop_expired
from .state import FORMAT_VERSION, ScoreDict, State

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS kv (db INTEGER NOT NULL, key BLOB NOT NULL, type TEXT,"
    " value BLOB NOT NULL, expire_ms INTEGER, PRIMARY KEY (db, key)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT)",
    "CREATE TABLE IF NOT EXISTS functions (position INTEGER PRIMARY KEY, code BLOB NOT NULL)",
)
KV_COLUMNS = ["db", "key", "type", "value", "expire_ms"]
UPSERT = "INSERT OR REPLACE INTO kv (db, key, type, value, expire_ms) VALUES (?, ?, ?, ?, ?)"


def encode_value(value: Any) -> tuple[str | None, bytes]:
    """(type column, value column) of one value."""
    try:
        tag, pv = project_fast(value)
        return tag, orjson.dumps(pv, default=plain_default)
    except TypeError:
        if not contains_binary(value):
            raise
    kind, enc = binary_value(value)
    return "binary:" + kind, orjson.dumps(enc)


def decode_value(tag: str | None, data: bytes, zset_factory: Callable) -> Any:
    value = orjson.loads(data)
    if tag is None:
        return value
    if tag.startswith("binary:"):
        return decode_binary(tag[7:], value, zset_factory)
    return decode_tagged(tag, value, zset_factory)


def _key_bytes(key: str) -> bytes:
    return key.encode("utf-8", "surrogateescape")


def _key_str(raw: Any) -> str:
    return raw.decode("utf-8", "surrogateescape") if type(raw) is bytes else str(raw)


class SQLiteStorage:
    incremental = True
    backend = "sqlite"

    def __init__(self, path: str):
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.RLock()
        self._expired: list[tuple[int, str]] = []  # dropped at load, deleted at next save

    # ------------------------------------------------------------ connection
    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            if not os.path.exists(self.path):
                self._create_file()
            conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=FULL")  # a commit is durable when save() returns
            except BaseException:
                conn.close()
                raise
            self._conn = conn
        return self._conn

    def _create_file(self) -> None:
        """A new database appears whole (header, WAL mode, schema) or not at all: built under
        a temporary name and linked into place, so a crash cannot leave the 0-byte file that
        sqlite3.connect creates first (the daemon refuses to start on an empty data file)."""
        remove_stale_temps(self.path)
        tmp = temp_name(self.path)
        try:
            conn = sqlite3.connect(tmp, isolation_level=None)
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                self._create_schema(conn)
            finally:
                conn.close()                    # checkpoints and removes tmp's WAL
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            try:
                os.link(tmp, self.path)         # never over a file another process created
            except FileExistsError:
                pass
            except OSError:                     # no hard links on this file system
                if not os.path.exists(self.path):
                    os.replace(tmp, self.path)
            fsync_dir(os.path.dirname(self.path))
        finally:
            for suffix in ("", "-wal", "-shm", "-journal"):
                try:
                    os.unlink(tmp + suffix)
                except OSError:
                    pass

    def _create_schema(self, conn: sqlite3.Connection) -> None:
        for stmt in SCHEMA:
            conn.execute(stmt)
        conn.execute("INSERT OR IGNORE INTO meta (name, value) VALUES ('format', ?)", (str(FORMAT_VERSION),))

    # ------------------------------------------------------------ load
    def load(self, zset_factory: Callable = ScoreDict) -> State:
        with self._lock:
            try:
                if os.path.getsize(self.path) == 0:
                    self._expired = []
                    return State()
            except FileNotFoundError:
                self._expired = []
                return State()
            try:
                state = self._read(self._connect(), zset_factory)
            except sqlite3.DatabaseError as e:
                self.close()
                raise CorruptDatabaseError(f"{self.path} is not a readable SQLite database: {e}") from None
            except FormatError as e:
                raise CorruptDatabaseError(f"{self.path} is not a pickleDB database: {e}") from None
            self._expired = drop_expired(state)
            return state

    def _read(self, conn: sqlite3.Connection, zset_factory: Callable) -> State:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "kv" not in tables:
            if tables:
                raise FormatError(f"it has no kv table (tables: {', '.join(sorted(tables))})")
            return State()
        cols = [r[1] for r in conn.execute("PRAGMA table_info(kv)")]
        if cols != KV_COLUMNS:
            raise FormatError(f"table kv has columns {cols}, expected {KV_COLUMNS}")
        if "meta" in tables:
            row = conn.execute("SELECT value FROM meta WHERE name='format'").fetchone()
            if row is not None and row[0] != str(FORMAT_VERSION):
                raise FormatError(f"unsupported format {row[0]!r} (this version reads {FORMAT_VERSION})")
        loads = orjson.loads
        try:
            # The common rows (db 0, plain, no expiry) in one comprehension: it is most of a load.
            db0 = {k.decode("utf-8", "surrogateescape"): loads(v) for k, v in conn.execute(
                "SELECT CAST(key AS BLOB), value FROM kv"
                " WHERE db = 0 AND type IS NULL AND expire_ms IS NULL")}
            state = State(dbs={0: db0}, expires={})
            for i, k, tag, v, exp in conn.execute(
                    "SELECT db, key, type, value, expire_ms FROM kv"
                    " WHERE NOT (db = 0 AND type IS NULL AND expire_ms IS NULL)"):
                key = _key_str(k)
                db = state.dbs.get(i)
                if db is None:
                    db = state.dbs[i] = {}
                db[key] = decode_value(tag, v, zset_factory)
                if exp is not None:
                    state.expires.setdefault(i, {})[key] = int(exp)
        except orjson.JSONDecodeError as e:
            raise FormatError(f"a value is not valid JSON: {e}") from None
        if "functions" in tables:
            state.functions = [_key_str(code) for (code,) in
                               conn.execute("SELECT code FROM functions ORDER BY position")]
        return state

    # ------------------------------------------------------------ save
    def save(self, state: State, dirty: dict[int, set | None] | None = None) -> None:
        # one or more objects per row and nothing to free: the collector's full passes over
        # a big keyspace would only slow the save down
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            self._save(state, dirty)
        finally:
            if was_enabled:
                gc.enable()

    def _save(self, state: State, dirty: dict[int, set | None] | None) -> None:
        with self._lock:
            try:
                conn = self._connect()
                self._create_schema(conn)
                conn.execute("BEGIN IMMEDIATE")
                try:
                    self._write(conn, state, dirty)
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:     # SQLite rolls back itself on a full disk
                        try:
                            conn.execute("ROLLBACK")
                        except sqlite3.Error:
                            pass                # the cause is what the caller must see
                    raise
            except (sqlite3.Error, OSError) as e:
                if not os.path.exists(self.path):
                    self.close()
                raise SaveError(f"cannot save {self.path}: {e}; the file was left unchanged") from None
            except (TypeError, ValueError) as e:
                raise SaveError(f"cannot save {self.path}: a value is not JSON-serialisable: {e};"
                                " the file was left unchanged") from None
            self._expired = []

    def _write(self, conn: sqlite3.Connection, state: State, dirty: dict | None) -> None:
        # the function libraries are few and small: rewritten by every save
        conn.execute("DELETE FROM functions")
        conn.executemany("INSERT INTO functions (position, code) VALUES (?, ?)",
                         [(n, _key_bytes(code)) for n, code in enumerate(state.functions)])
        if dirty is None:
            conn.execute("DELETE FROM kv")
            for i, db in state.dbs.items():
                conn.executemany(UPSERT, self._rows(i, db, db.keys(), state.expires.get(i)))
            return
        for i, keys in dirty.items():
            db = state.dbs.get(i) or {}
            exp = state.expires.get(i)
            if keys is None:
                conn.execute("DELETE FROM kv WHERE db = ?", (i,))
                conn.executemany(UPSERT, self._rows(i, db, db.keys(), exp))
                continue
            present = [k for k in keys if k in db]
            gone = [(i, _key_bytes(k)) for k in keys if k not in db]
            conn.executemany(UPSERT, self._rows(i, db, present, exp))
            conn.executemany("DELETE FROM kv WHERE db = ? AND key = ?", gone)
        stale = [(i, _key_bytes(k)) for i, k in self._expired
                 if k not in (state.dbs.get(i) or {}) and (dirty.get(i, ()) is not None)]
        conn.executemany("DELETE FROM kv WHERE db = ? AND key = ?", stale)

    @staticmethod
    def _rows(i: int, db: dict, keys: Iterable[str], exp: dict | None) -> Iterator[tuple]:
        expiry = (exp or {}).get
        dumps = orjson.dumps
        for k in keys:
            v = db[k]
            tag = None
            if type(v) is str:  # most values: skip the general projection
                try:
                    data = dumps(v)
                except TypeError:  # a binary string
                    tag, data = encode_value(v)
            else:
                tag, data = encode_value(v)
            yield i, k.encode("utf-8", "surrogateescape"), tag, data, expiry(k)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                try:
                    self._conn.close()
                finally:
                    self._conn = None

    def __repr__(self) -> str:
        return f"SQLiteStorage({self.path!r})"
