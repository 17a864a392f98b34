"""Stream commands for the differential test (tests/test_differential.py).

IDs are explicit (a small ms range, so XADD collides with the top item, partial ``ms-*`` IDs
and exclusive ranges meet real entries); ``*`` IDs and replies carrying times (idle, seen-time,
delivery times) are compared by shape only. Groups and consumers come from small alphabets
so XREADGROUP, XACK, XCLAIM, XAUTOCLAIM and XPENDING work on the same PELs; trims (exact and
``~``, with LIMIT) run on streams grown past a node (100 entries) by batches.
"""
from __future__ import annotations

from diff_commands import C, k, many, opt
from hypothesis import strategies as st

IDS = [b"0", b"1", b"1-1", b"2", b"2-*", b"3-0", b"5-5", b"10", b"0-0", b"-", b"+", b"$", b">",
       b"(1", b"(2-0", b"x", b"1-x", b"18446744073709551615-18446744073709551615", b"-1", b" 3"]
sid = st.sampled_from(IDS)
rid = st.sampled_from([b"-", b"+", b"0", b"1", b"2-0", b"(1-0", b"(2", b"3", b"(", b"5-5", b"x"])
grp = st.sampled_from([b"g", b"h", b"\xffg"])
cons = st.sampled_from([b"c1", b"c2", b"\xfec"])
fv = st.sampled_from([(b"f", b"v"), (b"f", b"1"), (b"g", b"w", b"f", b"v"), (b"", b""), (b"\xff", b"\x00"),
                      (b"n", b"-42"), (b"long", b"x" * 80)])
count = st.sampled_from([b"0", b"1", b"2", b"10", b"-1", b"x"])
trim = st.one_of(
    st.tuples(st.sampled_from([b"MAXLEN", b"maxlen"]), st.sampled_from([(), (b"~",), (b"=",)]),
              st.sampled_from([b"0", b"1", b"3", b"50", b"150", b"-1", b"x"])),
    st.tuples(st.just(b"MINID"), st.sampled_from([(), (b"~",), (b"=",)]),
              st.sampled_from([b"0", b"2", b"5-5", b"60", b"x", b"-"])),
).map(lambda t: (t[0], *t[1], t[2]))
limit = opt(b"LIMIT", st.sampled_from([b"0", b"10", b"100", b"-1"]))

# a batch of entries with increasing IDs, added by a script (grows streams past a listpack node)
BATCH = (b"for i = 0, tonumber(ARGV[2]) - 1 do redis.pcall('XADD', KEYS[1], "
         b"(tonumber(ARGV[1]) + math.floor(i / 4)) .. '-' .. (i % 4), 'f', i) end return redis.call('XLEN', KEYS[1])")
batch_start = st.sampled_from([b"0", b"20", b"60"])
batch_size = st.sampled_from([b"30", b"120", b"260"])


def family():
    return st.one_of(
        C(b"XADD", k, opt(b"NOMKSTREAM"), opt(trim), sid, fv),
        C(b"XADD", k, trim, limit, sid, fv),
        C(b"XADD", k, sid, b"f"),
        C(b"EVAL", BATCH, b"1", k, batch_start, batch_size),
        C(b"XLEN", k),
        C(st.sampled_from([b"XRANGE", b"XREVRANGE"]), k, rid, rid, opt(b"COUNT", count)),
        C(b"XDEL", k, many(sid, 1, 3)),
        C(b"XTRIM", k, trim, limit),
        C(b"XTRIM", k, st.sampled_from([b"FOO", b"LIMIT"]), b"1"),
        C(b"XSETID", k, sid, opt(b"ENTRIESADDED", st.sampled_from([b"0", b"5", b"1000", b"-1"])),
          opt(b"MAXDELETEDID", sid)),
        C(b"XREAD", opt(b"COUNT", count), b"STREAMS", many(k, 1, 2), many(sid, 1, 2)),
        C(b"XREAD", b"BLOCK", b"1", b"STREAMS", k, b"$"),
        C(b"XGROUP", b"CREATE", k, grp, sid, opt(b"MKSTREAM"),
          opt(b"ENTRIESREAD", st.sampled_from([b"0", b"3", b"-1", b"-2"]))),
        C(b"XGROUP", b"SETID", k, grp, sid, opt(b"ENTRIESREAD", st.sampled_from([b"1", b"-1", b"x"]))),
        C(b"XGROUP", st.sampled_from([b"CREATECONSUMER", b"DELCONSUMER"]), k, grp, cons),
        C(b"XGROUP", b"DESTROY", k, grp),
        C(b"XREADGROUP", b"GROUP", grp, cons, opt(b"COUNT", count), opt(b"NOACK"), b"STREAMS",
          many(k, 1, 2), many(st.sampled_from([b">", b">", b"0", b"1-1", b"$", b"x"]), 1, 2)),
        C(b"XACK", k, grp, many(sid, 1, 3)),
        C(b"XPENDING", k, grp),
        C(b"XPENDING", k, grp, rid, rid, count, opt(cons), mode="shape"),
        C(b"XPENDING", k, grp, b"IDLE", st.sampled_from([b"0", b"100000", b"x"]), rid, rid, count,
          mode="shape"),
        C(b"XCLAIM", k, grp, cons, st.sampled_from([b"0", b"100000", b"x"]), many(sid, 1, 3),
          opt(st.sampled_from([b"JUSTID", b"FORCE", b"FOO"])), opt(b"RETRYCOUNT", st.sampled_from([b"3", b"x"])),
          opt(b"LASTID", sid), mode="shape"),
        C(b"XAUTOCLAIM", k, grp, cons, st.sampled_from([b"0", b"100000", b"x"]), rid,
          opt(b"COUNT", st.sampled_from([b"1", b"2", b"0", b"x"])), opt(b"JUSTID")),
        C(b"XINFO", b"STREAM", k),
        C(b"XINFO", b"STREAM", k, b"FULL", opt(b"COUNT", count), mode="shape"),
        C(b"XINFO", b"GROUPS", k),
        C(b"XINFO", b"CONSUMERS", k, grp, mode="shape"),
        C(b"TYPE", k), C(b"OBJECT", b"ENCODING", k),
    )
