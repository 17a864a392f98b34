"""Index ranges as Redis normalises them for LRANGE, LTRIM, ZRANGE by rank, ZREMRANGEBYRANK."""
from __future__ import annotations


def index_range(start: int, end: int, n: int):
    """(start, end) inclusive over ``n`` elements (negative counts from the end), or None
    when the range is empty."""
    if start < 0:
        start += n
    if end < 0:
        end += n
    if start < 0:
        start = 0
    if start > end or start >= n:
        return None
    if end >= n:
        end = n - 1
    return start, end
