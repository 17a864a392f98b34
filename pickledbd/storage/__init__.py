"""Storage backends shared by the PickleDB library and the daemon (docs/storage-contract.md).

    storage = open_storage("data.json")        # or .sqlite/.sqlite3/.db, or backend="sqlite"
    state = storage.load()                     # State(dbs={0: {...}, ...}, expires={...})
    storage.save(state, dirty)                 # dirty: {db: {keys} | None} | None (= everything)
"""

from __future__ import annotations

import os
from typing import Any, Callable, Protocol

from .jsonfile import JSONStorage
from .sqlite import SQLiteStorage
from .state import FORMAT_VERSION, RESERVED_KEY, ScoreDict, State, StreamDict

__all__ = ["open_storage", "Storage", "State", "ScoreDict", "StreamDict", "JSONStorage", "SQLiteStorage",
           "RESERVED_KEY", "FORMAT_VERSION", "SQLITE_SUFFIXES", "backend_for"]

SQLITE_SUFFIXES = (".sqlite", ".sqlite3", ".db")
BACKENDS = {"json": JSONStorage, "sqlite": SQLiteStorage}


class Storage(Protocol):
    path: str
    incremental: bool

    def load(self, zset_factory: Callable[[dict], Any] = ScoreDict) -> State: ...

    def save(self, state: State, dirty: dict[int, set[str] | None] | None = None) -> None: ...

    def close(self) -> None: ...


def backend_for(path: str, backend: str | None = None) -> str:
    if backend is None:
        return "sqlite" if str(path).lower().endswith(SQLITE_SUFFIXES) else "json"
    name = str(backend).lower()
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; expected one of {sorted(BACKENDS)}")
    return name


def open_storage(path: str | os.PathLike, backend: str | None = None) -> Storage:
    """A backend for path (no I/O happens until load/save)."""
    full = os.path.abspath(os.path.expanduser(os.fspath(path)))
    return BACKENDS[backend_for(full, backend)](full)
