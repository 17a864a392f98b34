"""The in-memory model shared by the library and the daemon (see docs/storage-contract.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

RESERVED_KEY = "__pickledbd__"
FORMAT_VERSION = 1


class ScoreDict(dict):
    """A sorted set as loaded by default: member -> float score.

    A plain dict subclass so the library can hand it out directly; its own type tells
    the savers to write it as a zset rather than a hash."""

    __slots__ = ()

    def score_dict(self) -> dict:
        return self

    def __repr__(self) -> str:
        return f"ScoreDict({dict.__repr__(self)})"


class StreamDict(dict):
    """A stream as loaded by default: its documented plain form (docs/storage-contract.md,
    "stream"): ``entries`` [[id, [field, value, ...]], ...], ``last_id``, ``first_id``,
    ``entries_added``, ``max_deleted_id``, ``groups``. A dict subclass so the library can
    hand it out as is; its type tells the savers to write it back as a stream."""

    __slots__ = ()

    def stream_plain(self) -> dict:
        return self

    def __repr__(self) -> str:
        return f"StreamDict({dict.__repr__(self)})"


@dataclass
class State:
    dbs: dict[int, dict[str, Any]] = field(default_factory=lambda: {0: {}})
    expires: dict[int, dict[str, int]] = field(default_factory=dict)
    # the daemon's function libraries (FUNCTION LOAD's text, shebang included), in load order;
    # the library keeps them untouched
    functions: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if 0 not in self.dbs:
            self.dbs[0] = {}
