"""Differential generator for the bitmap commands (SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP,
BITFIELD, BITFIELD_RO): loaded by tests/diff_commands.py as the ``bitmaps`` family."""
from __future__ import annotations

from diff_commands import C, k, many, opt, seq, v
from hypothesis import strategies as st

BIT_OFFSETS = [b"0", b"1", b"7", b"8", b"9", b"15", b"23", b"31", b"63", b"100", b"-1", b"x",
               b"4294967296", b"01", b" 1"]
# a valid offset that would make both servers allocate 512 MB: reads only
READ_OFFSETS = BIT_OFFSETS + [b"4294967295"]
BITS = [b"0", b"1", b"2", b"-1", b"x"]
RANGES = [b"0", b"1", b"2", b"-1", b"-2", b"-3", b"5", b"7", b"8", b"9", b"15", b"17", b"100",
          b"-100", b"x"]
UNITS = [b"BIT", b"BYTE", b"bit", b"byte", b"foo"]
TYPES = [b"u1", b"u2", b"u7", b"u8", b"u13", b"u16", b"u63", b"u64", b"i1", b"i5", b"i8", b"i16",
         b"i63", b"i64", b"i65", b"I8", b"u0", b"x8", b"i", b"u08"]
FIELD_OFFSETS = [b"0", b"1", b"3", b"7", b"8", b"13", b"64", b"#0", b"#1", b"#2", b"#-1", b"-1",
                 b"x", b"#x", b"100"]
FIELD_VALUES = [b"0", b"1", b"-1", b"5", b"100", b"127", b"128", b"-128", b"255", b"256",
                b"-129", b"65535", b"9223372036854775807", b"-9223372036854775808",
                b"-9223372036854775700", b"4611686018427387904", b"x"]
GOOD_TYPES = [b"u1", b"u3", b"u8", b"u13", b"u16", b"u32", b"u63", b"i1", b"i4", b"i8", b"i16",
              b"i33", b"i63", b"i64"]
GOOD_OFFSETS = [b"0", b"1", b"3", b"7", b"8", b"13", b"31", b"64", b"#0", b"#1", b"#2", b"#3"]
OVERFLOWS = [b"WRAP", b"SAT", b"FAIL", b"wrap", b"fail", b"bogus"]


def family():
    off = st.sampled_from(BIT_OFFSETS)
    rng = st.sampled_from(RANGES)
    ftype = st.sampled_from(TYPES)
    foff = st.sampled_from(FIELD_OFFSETS)
    fval = st.sampled_from(FIELD_VALUES)
    sub = st.one_of(
        seq(b"GET", ftype, foff),
        seq(st.sampled_from([b"SET", b"INCRBY", b"set", b"incrby"]), ftype, foff, fval),
        seq(b"OVERFLOW", st.sampled_from(OVERFLOWS)),
        st.just((b"GET", b"u8")),           # too few arguments
        st.just((b"BOGUS",)))
    good = st.one_of(
        seq(b"GET", st.sampled_from(GOOD_TYPES), st.sampled_from(GOOD_OFFSETS)),
        seq(st.sampled_from([b"SET", b"INCRBY"]), st.sampled_from(GOOD_TYPES), st.sampled_from(GOOD_OFFSETS),
            fval),
        seq(b"OVERFLOW", st.sampled_from([b"WRAP", b"SAT", b"FAIL"])))
    return st.one_of(
        C(b"BITFIELD", k, st.lists(good, min_size=1, max_size=5)),
        C(b"BITFIELD", k, st.lists(good, min_size=1, max_size=5)),
        C(b"BITFIELD_RO", k, st.lists(seq(b"GET", st.sampled_from(GOOD_TYPES), st.sampled_from(GOOD_OFFSETS)),
                                      min_size=1, max_size=3)),
        C(b"SETBIT", k, off, st.sampled_from(BITS)),
        C(b"SETBIT", k, st.sampled_from([b"0", b"1", b"7", b"9", b"17", b"33"]), st.sampled_from([b"0", b"1"])),
        C(b"GETBIT", k, st.sampled_from(READ_OFFSETS)),
        C(b"BITCOUNT", k, opt(rng, rng, opt(st.sampled_from(UNITS)))),
        C(b"BITCOUNT", k, rng),
        C(b"BITPOS", k, st.sampled_from(BITS), opt(rng, opt(rng, opt(st.sampled_from(UNITS))))),
        C(b"BITOP", st.sampled_from([b"AND", b"OR", b"XOR", b"NOT", b"and", b"nand"]), k, many(k, 1, 3)),
        C(b"BITFIELD", k, st.lists(sub, min_size=0, max_size=4)),
        C(b"BITFIELD_RO", k, st.lists(st.one_of(seq(b"GET", ftype, foff), sub), min_size=0, max_size=3)),
        C(b"SET", k, v),
        C(b"APPEND", k, v),
        C(b"GET", k), C(b"STRLEN", k),
    )
