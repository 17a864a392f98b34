"""Differential generator for SORT / SORT_RO: loaded by tests/diff_commands.py as the ``sort``
family. It fills lists, sets and sorted sets on the shared keys plus weight strings (``w_*``)
and hashes (``h_*``) named after the members, then sorts them every way.

Orders that Redis leaves to a set's hash order are compared by shape only: BY nosort on a
set, and ALPHA by a weight pattern (missing weights tie). Values that make strtod report
ERANGE are left out: Redis 7.0 never clears errno before its strtod, so after one of them
every numeric SORT on that connection fails until something else resets errno (see README).
"""
from __future__ import annotations

from hypothesis import strategies as st

from diff_commands import C, k, many, mem, opt, seq, v

WEIGHTS = [b"1", b"2", b"-1", b"0", b"3.5", b"10", b"abc", b"", b"inf", b"1e3", b"01"]
LIMITS = [b"0", b"1", b"2", b"-1", b"-5", b"100", b"x", b"9223372036854775807",
          b"-9223372036854775808"]
BY_NUMERIC = [b"w_*", b"h_*->f", b"missing_*", b"w_*->", b"*"]
GETS = [b"#", b"w_*", b"h_*->f", b"h_*->g", b"missing_*", b"nostar", b"h_*->"]


def family():
    weight = st.sampled_from(WEIGHTS)
    limit = opt(b"LIMIT", st.sampled_from(LIMITS), st.sampled_from(LIMITS))
    order = opt(st.sampled_from([b"ASC", b"DESC", b"asc", b"desc"]))
    gets = st.lists(seq(b"GET", st.sampled_from(GETS)), max_size=2)
    store = opt(b"STORE", k)
    by_num = opt(b"BY", st.sampled_from(BY_NUMERIC))
    members = st.sampled_from([b"a", b"b", b"c", b"1", b"2", b"10", b"-1", b"1.5", b"", b"z"])
    return st.one_of(
        # data to sort, weights and hashes named after the elements
        C(b"RPUSH", k, many(v, 1, 5)),
        C(b"RPUSH", k, many(members, 1, 5)),
        C(b"SADD", k, many(mem, 1, 5)),
        C(b"ZADD", k, many(seq(st.sampled_from([b"1", b"2", b"0", b"-1", b"2.5"]), mem), 1, 4)),
        C(b"SET", members.map(lambda m: b"w_" + m), weight),
        C(b"HSET", members.map(lambda m: b"h_" + m), st.sampled_from([b"f", b"g"]), weight),
        C(b"LRANGE", k, b"0", b"-1"),
        # deterministic orders: numeric (ties on the element), ALPHA on the elements
        C(b"SORT", k, by_num, limit, gets, order, store),
        C(b"SORT", k, limit, gets, order, b"ALPHA", store),
        C(b"SORT_RO", k, by_num, limit, gets, order),
        C(b"SORT_RO", k, limit, order, b"ALPHA", opt(b"STORE", k)),
        # a set's own order, ties of missing weights: compared by shape
        C(b"SORT", k, b"BY", b"nosort", limit, gets, order, mode="shape"),
        C(b"SORT", k, b"BY", b"w_*", b"ALPHA", limit, gets, order, mode="shape"),
        # STORE of a set BY nosort sorts it (ALPHA): deterministic again
        C(b"SORT", k, b"BY", b"nosort", order, b"STORE", k),
        # bad syntax
        C(st.sampled_from([b"SORT", b"SORT_RO"]), k,
          st.sampled_from([(b"LIMIT", b"1"), (b"BY",), (b"GET",), (b"FOO",), (b"STORE",)])),
    )
