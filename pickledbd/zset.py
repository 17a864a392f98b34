"""The sorted-set value: member -> score dict plus a sorted list of (score, member).

O(1) score lookup, O(log n) insert/delete/rank, O(log n + m) ranges, like Redis's
dict + skiplist. Equal scores order by member, as Redis orders them (bytewise; our
members are str whose code-point order matches UTF-8 byte order).
"""
from __future__ import annotations

from sortedcontainers import SortedList


class ZSet:
    __slots__ = ("scores", "order")

    def __init__(self, mapping=None):
        self.scores: dict[str, float] = {}
        self.order = SortedList()
        if mapping:
            self.scores = {m: float(s) for m, s in mapping.items()}
            self.order = SortedList((s, m) for m, s in self.scores.items())

    def score_dict(self) -> dict[str, float]:
        """The storage layer's view (see docs/storage-contract.md)."""
        return self.scores

    def __len__(self) -> int:
        return len(self.scores)

    def __bool__(self) -> bool:
        return bool(self.scores)

    def __contains__(self, member) -> bool:
        return member in self.scores

    def __eq__(self, other):
        return isinstance(other, ZSet) and self.scores == other.scores

    def copy(self) -> "ZSet":
        z = ZSet()
        z.scores = dict(self.scores)
        z.order = SortedList(self.order)
        return z

    def add(self, member: str, score: float) -> bool:
        """Set ``member``'s score; True when the member is new."""
        old = self.scores.get(member)
        if old is not None:
            if old == score:
                return False
            self.order.remove((old, member))
            self.scores[member] = score
            self.order.add((score, member))
            return False
        self.scores[member] = score
        self.order.add((score, member))
        return True

    def remove(self, member: str) -> bool:
        old = self.scores.pop(member, None)
        if old is None:
            return False
        self.order.remove((old, member))
        return True

    def score(self, member: str):
        return self.scores.get(member)

    def rank(self, member: str):
        """0-based rank by ascending score, or None."""
        s = self.scores.get(member)
        if s is None:
            return None
        return self.order.index((s, member))

    def by_rank(self, start: int, stop: int) -> list:
        """(score, member) pairs for ranks start..stop inclusive (already clamped)."""
        return self.order[start:stop + 1]

    def pop_min(self):
        score, member = self.order.pop(0)
        del self.scores[member]
        return member, score

    def pop_max(self):
        score, member = self.order.pop()
        del self.scores[member]
        return member, score

    def items(self):
        """(member, score) in rank order."""
        return [(m, s) for s, m in self.order]
