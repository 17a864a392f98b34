"""PickleDB: an in-memory key-value store persisted to one file, with one sync/async API.

Every method works plainly outside an event loop and awaited inside one. The in-memory
operation happens at call time in both cases (a forgotten await loses nothing); inside a
loop, set/get/... return an already-completed awaitable, and load/save run in a thread.
"""

from __future__ import annotations

import os
import threading
from asyncio.events import _get_running_loop  # C fast path; cheaper than get_running_loop()
from typing import Any, Iterator

import orjson

from .errors import PickleDBError, SaveError
from .storage import RESERVED_KEY, State, backend_for, open_storage
from .storage.jsonfile import encode_plain_db
from .storage.codec import SCALAR_TYPES, is_zset, plain_default

__all__ = ["PickleDB"]

_MISSING = object()
_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1  # what orjson can write
_PASSTHROUGH = orjson.OPT_PASSTHROUGH_SUBCLASS
_FAST_VALUES = frozenset((str, bool, type(None)))  # need no validation


class _Done:
    """An awaitable that already holds its result (what methods return inside a loop)."""

    __slots__ = ("_value",)

    def __init__(self, value: Any):
        self._value = value

    def __await__(self):
        return self._value
        yield  # noqa: unreachable - makes this a generator

    def __repr__(self) -> str:
        return f"<completed {self._value!r}>"


_TRUE, _FALSE = _Done(True), _Done(False)


def _not_serialisable(key: str, why: str) -> TypeError:
    return TypeError(f"value for key {key!r} is not JSON-serialisable: {why}")


def check_value(key: str, value: Any) -> None:
    """Raise TypeError unless the storage can write value (called by set() for non-scalars)."""
    if isinstance(value, (set, frozenset)):
        for m in value:
            if not isinstance(m, SCALAR_TYPES) or (type(m) is float and m - m != 0.0):
                raise _not_serialisable(key, f"set member {m!r} is not a JSON scalar")
        return
    if is_zset(value):
        for m, s in value.score_dict().items():
            if not isinstance(m, str) or not isinstance(s, (int, float)) or isinstance(s, bool) or s != s:
                raise _not_serialisable(key, f"sorted-set entry {m!r}: {s!r} is not str: number")
        return
    try:
        orjson.dumps(value, default=plain_default, option=_PASSTHROUGH)
    except TypeError as e:
        raise _not_serialisable(key, str(e)) from None


class PickleDB:
    """A key-value store kept in memory and saved to `location` on save().

    Backend by suffix (.sqlite/.sqlite3/.db -> SQLite, else JSON) or backend="json"/"sqlite".
    The constructor does no I/O; call load() (or use `with`/`async with`) to read the file."""

    def __init__(self, location: str | os.PathLike, backend: str | None = None):
        self.location = os.path.expanduser(os.fspath(location))
        self.backend = backend_for(self.location, backend)
        self._storage = open_storage(self.location, self.backend)
        self._state = State()
        self._db: dict[str, Any] = self._state.dbs[0]
        self._exp: dict[str, int] = self._state.expires.setdefault(0, {})
        self._track = self._storage.incremental  # SQLite: remember which keys changed
        self._marks = self._track  # set()/remove() must also mark dirty keys or drop expiries
        # Changed keys. Never replaced, only mutated (add / difference_update are atomic under
        # the GIL), so writers need no lock; see _snapshot for why no mark is lost.
        self._dirty: set[str] = set()
        self._db0_replaced = False  # purge() since the last save
        self._full = True  # nothing loaded or saved yet: the next save writes everything
        self._load_error: BaseException | None = None
        self._lock = threading.Lock()  # purge/load/snapshot bookkeeping (not taken by set)
        self._io_lock = threading.RLock()  # one load/save at a time, in call order

    # ---------------------------------------------------------------- key/value API
    def set(self, key: Any, value: Any):
        """Store value under str(key). Returns True (awaitable inside an event loop)."""
        # The common case in as few bytecodes as possible: it runs at about dict speed.
        if type(key) is str and type(value) is str and key != RESERVED_KEY and not self._marks:
            self._db[key] = value
        else:
            self._set_checked(key, value)
        return True if _get_running_loop() is None else _TRUE

    def _mark(self, key: str) -> None:
        """After a change of key: drop its expiry, then mark it dirty (this order matters)."""
        if self._exp:
            self._exp.pop(key, None)
        if self._track:
            self._dirty.add(key)

    def _set_checked(self, key: Any, value: Any) -> None:
        if type(key) is not str:
            key = str(key)
        if key == RESERVED_KEY:
            raise ValueError(f"{RESERVED_KEY!r} is reserved for pickledbd's own metadata")
        t = type(value)
        if t is int:
            if not _INT_MIN <= value <= _INT_MAX:
                raise _not_serialisable(key, "integer exceeds the 64-bit range")
        elif t is float:
            if value - value != 0.0:
                raise _not_serialisable(key, f"{value} is not a JSON number")
        elif t not in _FAST_VALUES:
            check_value(key, value)
        self._db[key] = value
        if self._marks:
            self._mark(key)

    def get(self, key: Any, default: Any = None):
        """The value stored under str(key), or default."""
        if type(key) is not str:
            key = str(key)
        value = self._db.get(key, default)
        return value if _get_running_loop() is None else _Done(value)

    def remove(self, key: Any):
        """Delete str(key). Returns True if it existed, else False."""
        found = self._remove(key)
        if _get_running_loop() is None:
            return found
        return _TRUE if found else _FALSE

    def _remove(self, key: Any) -> bool:
        if type(key) is not str:
            key = str(key)
        found = self._db.pop(key, _MISSING) is not _MISSING
        if found and self._marks:
            self._mark(key)
        return found

    def all(self):
        """A list of all keys."""
        keys = list(self._db)
        return keys if _get_running_loop() is None else _Done(keys)

    def purge(self):
        """Delete every key (of database 0, the library's view; other databases a daemon
        stored in the same file are kept). Also allows saving over a file that failed to load."""
        with self._lock:
            self._db.clear()
            self._exp.clear()
            self._dirty.clear()
            self._db0_replaced = True  # the next save rewrites database 0 whole
            self._load_error = None
        return True if _get_running_loop() is None else _TRUE

    # ---------------------------------------------------------------- file I/O
    def load(self):
        """Read the file (missing or empty = empty database). Returns self.

        Raises CorruptDatabaseError if the file cannot be parsed; the file is then left alone
        and save() refuses to overwrite it until purge() or a successful load()."""
        if _get_running_loop() is None:
            return self._load_sync()
        return self._in_thread(self._load_sync)

    def save(self):
        """Write everything atomically and durably. Returns True; raises SaveError."""
        if _get_running_loop() is None:
            return self._save_sync()
        return self._in_thread(self._save_sync)

    @staticmethod
    def _in_thread(fn):
        # Started now, so even a forgotten await performs the I/O.
        return _get_running_loop().run_in_executor(None, fn)

    def _load_sync(self) -> "PickleDB":
        with self._io_lock:
            try:
                state = self._storage.load()
            except BaseException as e:
                if isinstance(e, (PickleDBError, OSError)):
                    self._load_error = e
                raise
            with self._lock:
                self._state = state
                self._db = state.dbs[0]
                self._exp = state.expires.setdefault(0, {})
                self._marks = self._track or bool(self._exp)
                self._dirty.clear()
                self._db0_replaced = False
                self._full = False
                self._load_error = None
        return self

    def _save_sync(self) -> bool:
        with self._io_lock:
            if self._load_error is not None:
                raise SaveError(
                    f"refusing to save {self._storage.path}: load() failed ({self._load_error}), "
                    "so saving would overwrite data that was never read. "
                    "Fix the file, or call purge() first to replace it deliberately.")
            if not self._track and self._save_plain():
                return True
            snapshot, dirty, marks = self._snapshot()
            try:
                self._storage.save(snapshot, dirty)
            except BaseException:
                self._restore_marks(marks)
                raise
        return True

    def _save_plain(self) -> bool:
        """JSON fast path: database 0 is all there is and holds only plain JSON values.

        Encodes the live dict in one orjson call that no other thread can interleave
        with, so no snapshot copy is made. False when the general path is needed."""
        state = self._state
        if (self._exp or state.functions or any(db for i, db in state.dbs.items() if i != 0)
                or any(state.expires.values())):
            return False
        data = encode_plain_db(self._db)
        if data is None:
            return False
        self._full = self._db0_replaced = False
        self._storage.write(data)
        return True

    def _snapshot(self):
        """A State the saver can read while other threads keep writing, and the dirty map."""
        # A writer changes the dict, then marks the key. We unmark keys first and read values
        # after, so a change whose mark we removed is in what we read; later marks stay.
        state = self._state
        with self._lock:
            keys = self._dirty.copy()
            self._dirty.difference_update(keys)
            marks = (keys, self._db0_replaced, self._full)
            self._db0_replaced = self._full = False
            db, exp = self._db, self._exp
            if self._track and not marks[1] and not marks[2]:
                db0, exp0 = {}, {}  # incremental: only the changed keys are read
                for k in keys:
                    v = db.get(k, _MISSING)
                    if v is not _MISSING:
                        db0[k] = v
                    t = exp.get(k)
                    if t is not None:
                        exp0[k] = t
                dirty = {0: keys}
            else:
                db0, exp0 = db.copy(), exp.copy()
                dirty = None if marks[2] else {0: None}
        dbs = dict(state.dbs)  # other databases are never touched by the library
        dbs[0] = db0
        expires = dict(state.expires)
        expires[0] = exp0
        # a daemon's function libraries are kept as loaded
        return State(dbs=dbs, expires=expires, functions=state.functions), dirty, marks

    def _restore_marks(self, marks) -> None:
        dirty, replaced, full = marks
        with self._lock:
            self._dirty |= dirty
            self._db0_replaced |= replaced
            self._full |= full

    def close(self) -> None:
        """Release the backend (closes the SQLite connection). Unsaved changes are not saved."""
        self._storage.close()

    # ---------------------------------------------------------------- context managers
    def __enter__(self) -> "PickleDB":
        return self._load_sync()

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self._save_sync()

    async def __aenter__(self) -> "PickleDB":
        return await self._in_thread(self._load_sync)

    async def __aexit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            await self._in_thread(self._save_sync)

    # ---------------------------------------------------------------- dict syntax
    @property
    def db(self) -> dict[str, Any]:
        """The live dict of database 0 (upstream exposes it as `db.db`)."""
        return self._db

    def __getitem__(self, key: Any) -> Any:
        value = self._db.get(key if type(key) is str else str(key), _MISSING)
        if value is _MISSING:
            raise KeyError(key)
        return value

    def __setitem__(self, key: Any, value: Any) -> None:
        self.set(key, value)

    def __delitem__(self, key: Any) -> None:
        if not self._remove(key):
            raise KeyError(key)

    def __contains__(self, key: Any) -> bool:
        return (key if type(key) is str else str(key)) in self._db

    def __len__(self) -> int:
        return len(self._db)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._db))

    def __repr__(self) -> str:
        return f"PickleDB({self.location!r}, backend={self.backend!r}, keys={len(self._db)})"
