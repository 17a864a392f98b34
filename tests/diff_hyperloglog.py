"""HyperLogLog commands for the differential test (tests/test_differential.py).

Replies, errors and the stored bytes (GET) must equal redis-server's: the HLL is a string in
Redis's own format, so GET after PFADD/PFMERGE/PFCOUNT compares the sparse and dense encodings
byte for byte. Elements come from a small alphabet plus bulk adds (hundreds of distinct
elements at once) so that sparse HLLs grow, merge VAL runs and get promoted to dense; SET puts
corrupt or foreign strings (a truncated HLL, a bad encoding byte, plain text) under the same
keys.
"""
from __future__ import annotations

from diff_commands import C, k, many
from hypothesis import strategies as st

ELEMENTS = [b"a", b"b", b"c", b"foo", b"bar", b"", b"\xff\x00", b"x" * 9, b"y" * 17, b"1", b"2", b"42"]
ele = st.sampled_from(ELEMENTS)

# element batches: n distinct elements from a seed (grows a sparse HLL, or promotes it)
batch = st.tuples(st.integers(0, 50), st.sampled_from([20, 150, 700, 2500])).map(
    lambda t: tuple(b"e%d-%d" % (t[0], i) for i in range(t[1])))

HEADER = b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80"
ODD_VALUES = [
    HEADER + b"\x7f\xff",                    # a valid empty sparse HLL, stale cache
    HEADER + b"\x7f",                        # an XZERO cut by the end
    HEADER + b"\x7f\xfe",                    # one register short
    HEADER + b"\x7f\xff\x00",                # one register too many
    HEADER + b"\x00" * 20,                   # 20 registers only
    b"HYLL\x02" + b"\x00" * 11 + b"\x7f\xff",   # unknown encoding
    b"HYLL\x00" + b"\x00" * 11 + b"\x7f\xff",   # dense of the wrong length
    b"HYLL", b"hello", b"",
]


def family():
    return st.one_of(
        C(b"PFADD", k, many(ele, 0, 4)),
        C(b"PFADD", k, batch),
        C(b"PFADD", k, batch),
        C(b"PFCOUNT", many(k, 1, 3)),
        C(b"PFCOUNT", k),
        C(b"PFMERGE", k, many(k, 0, 3)),
        C(b"GET", k),
        C(b"PFDEBUG", st.sampled_from([b"ENCODING", b"DECODE", b"TODENSE", b"nosuch"]), k),
        C(b"SET", k, st.sampled_from(ODD_VALUES)),
        C(b"STRLEN", k),
    )
