"""The request reader on its own: any split of a valid stream into reads gives the same
requests, and malformed or hostile streams fail fast with Redis's error texts."""
from __future__ import annotations

import random
import resource

import pytest

from pickledbd.daemon.protocol.reader import RequestReader


def cmd(*args: bytes) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


STREAMS = {
    # bulk payloads that look like headers, CR/LF inside values, binary bytes
    "multibulk": b"".join(cmd(b"MSET", *[b"k%d\r\n*12345678\r\n$9\xff" % i for i in range(j)])
                          for j in range(1, 120)),
    "inline": b"PING\r\nSET a 'b c'\r\n\r\nECHO \"x\\ty\"\n" * 50,
    "empty and null multibulk": (cmd(b"PING") + b"*0\r\n" + b"*-1\r\n") * 40,
}


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_any_split_gives_the_same_requests(name):
    stream = STREAMS[name]
    whole = RequestReader()
    expected = whole.feed(stream)
    assert whole.error is None and expected
    rnd = random.Random(1234)
    for _ in range(150):
        reader, got, i = RequestReader(), [], 0
        while i < len(stream):
            n = rnd.choice([1, 2, 3, 5, 7, 64, 1000])
            got += reader.feed(stream[i:i + n])
            assert reader.error is None
            i += n
        assert got == expected


def test_inline_after_multibulk_in_one_read():
    reader = RequestReader()
    assert reader.feed(cmd(b"PING") + b"PING\r\n" + cmd(b"ECHO", b"x")) == [["PING"], ["PING"], ["ECHO", "x"]]
    assert reader.error is None


@pytest.mark.parametrize("chunks, message", [
    ([b"*3\r\n$3\r\nSET\r\n$2147483648\r\n"], "invalid bulk length"),
    ([b"*3\r\n$3\r\nSET\r\n$2147", b"483648\r\n"], "invalid bulk length"),
    ([b"*3000000000\r\n"], "invalid multibulk length"),
    ([cmd(b"PING") + b"*300", b"0000000\r\n"], "invalid multibulk length"),
    ([b"*abc\r\n"], "invalid multibulk length"),
    ([b"*1\r\n:5\r\n"], "expected '$', got ':'"),
    ([b"*1\r\n$-1\r\n"], "invalid bulk length"),
    ([b"SET \"a\r\n"], "unbalanced quotes in request"),
])
def test_malformed_streams_fail_at_once(chunks, message):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    reader = RequestReader()
    for chunk in chunks:
        reader.feed(chunk)
    assert reader.error is not None and str(reader.error) == message
    # nothing was allocated for the declared sizes
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50 * 1024


def test_requests_before_a_fault_are_kept():
    reader = RequestReader()
    assert reader.feed(cmd(b"PING") + b"*x\r\n") == [["PING"]]
    assert str(reader.error) == "invalid multibulk length"


def test_a_value_that_looks_like_a_huge_count_is_data():
    reader = RequestReader()
    value = b"*30000000000"
    assert reader.feed(cmd(b"ECHO", value)) == [["ECHO", value.decode()]]
    assert reader.error is None


# ---- the fast path (canonical requests) and the exact parser agree on any stream ----------
class ExactOnly(RequestReader):
    """The reader with its fast path off: every request by Redis's rules, one at a time."""

    def _fast(self, buf, pos, out):
        return pos

    def _fast_args(self, buf, pos, out):
        return pos


def _random_stream(rnd: random.Random) -> bytes:
    parts = []
    for _ in range(rnd.randint(1, 40)):
        args = [bytes(rnd.choice(b"ab\r\n\0\xff*$:%01") for _ in range(rnd.randint(0, 6)))
                for _ in range(rnd.choice([1, 2, 3, 4, 30]))]
        frame = cmd(*args)
        k = rnd.random()
        if k < 0.1:                       # damage it: a byte changed, cut, or doubled
            b = bytearray(frame)
            b[rnd.randrange(len(b))] = rnd.choice(b"*$:%(\r\n\0-+0x")
            frame = bytes(b)
        elif k < 0.15:
            frame = frame[:rnd.randrange(1, len(frame))]
        elif k < 0.2:
            frame = rnd.choice([b"*-3\r\n", b"*0\r\n", b"PING\r\n", b"ECHO 'a b'\n", b"\r\n",
                                b"*1\r\n%1\r\n*1\r\n$1\r\nx\r\n$1\r\ny\r\n", b"*2\r\n*1\r\n$1\r\nx\r\n"])
        parts.append(frame)
    return b"".join(parts)


def _read(reader_cls, stream: bytes, cuts: list[int]):
    reader, got, last = reader_cls(), [], 0
    for c in cuts + [len(stream)]:
        got += reader.feed(stream[last:c])
        last = c
    return got, str(reader.error) if reader.error else None, reader.buffered()


def test_fast_path_and_exact_parser_agree_on_random_streams():
    rnd = random.Random(99)
    for _ in range(1500):
        stream = _random_stream(rnd)
        cuts = sorted(rnd.sample(range(1, len(stream)), min(len(stream) - 1, rnd.choice([0, 1, 3, 20]))))
        assert _read(RequestReader, stream, cuts) == _read(ExactOnly, stream, cuts), stream


def test_before_auth_redis_limits_wait_for_the_requests_before():
    reader = RequestReader()
    reader.unauth = True
    stream = cmd(b"AUTH", b"pw") + cmd(b"PING") + cmd(b"SET", b"k", b"v" * 20000)
    assert reader.feed(stream) == [["AUTH", "pw"], ["PING"]] and reader.more
    reader.unauth = False                 # AUTH succeeded: the next request has no such limit
    assert reader.feed(b"") == [["SET", "k", "v" * 20000]] and not reader.more
    reader = RequestReader()
    reader.unauth = True
    assert reader.feed(stream) == [["AUTH", "pw"], ["PING"]] and reader.more
    assert reader.feed(b"") == [] and str(reader.error) == "unauthenticated bulk length"
    reader = RequestReader()
    reader.unauth = True
    assert reader.feed(b"*11\r\n") == [] and str(reader.error) == "unauthenticated multibulk length"
    reader = RequestReader()
    reader.unauth = True
    assert reader.feed(b"*1\r\n$16385\r\n") == [] and str(reader.error) == "unauthenticated bulk length"


def test_a_nul_hides_the_line_end_until_64_kb():
    reader = RequestReader()
    assert reader.feed(b"PING\0\r\nPING\r\n") == [] and reader.error is None
    reader.feed(b"x" * 65536)
    assert str(reader.error) == "too big inline request"


def test_a_big_bulk_in_small_reads_costs_linear_time():
    """Each read of an unfinished bulk is appended, not rescanned: 8x the bytes, about 8x
    the time (a rescan would be 64x; the margin is for a loaded machine). CPU time, not wall
    time: a busy machine descheduling the test must not look like a rescan."""
    import time

    def cost(size: int) -> float:
        reader = RequestReader()
        reader.feed(b"*2\r\n$4\r\nECHO\r\n$%d\r\n" % size)
        chunk = b"x" * 4096
        t = time.process_time()
        for _ in range(size // 4096):
            reader.feed(chunk)
        out = reader.feed(b"\r\n")
        elapsed = time.process_time() - t
        assert len(out) == 1 and len(out[0][1]) == size
        return elapsed

    small = min(cost(1 << 20) for _ in range(5))
    big = min(cost(8 << 20) for _ in range(3))
    assert big < small * 30


def test_types_hiredis_cannot_hold_do_not_break_the_reader():
    reader = RequestReader()
    stream = cmd(b"PING") * 3 + b"*1\r\n%1\r\n*1\r\n$1\r\nx\r\n$1\r\ny\r\n"
    assert reader.feed(stream) == [["PING"]] * 3
    assert str(reader.error) == "expected '$', got '%'"


# Every type byte hiredis knows, where a bulk argument belongs and where a request belongs:
# some decode to the same Python value as a bulk string or an array (+ = ( | ~), so the
# fast path must not take them on hiredis's word.
ELEMENTS = [b"+OK\r\n", b"=8\r\ntxt:PING\r\n", b"(5\r\n", b",1.5\r\n", b"#t\r\n", b"_\r\n",
            b"!3\r\nERR\r\n", b"-ERR x\r\n", b":5\r\n", b"~1\r\n$1\r\nx\r\n",
            b"%1\r\n$1\r\nx\r\n$1\r\ny\r\n", b">1\r\n$1\r\nx\r\n",
            b"|1\r\n$1\r\nx\r\n$1\r\ny\r\n$1\r\nz\r\n", b"*0\r\n", b"*-1\r\n", b"$-1\r\n"]


@pytest.mark.parametrize("element", ELEMENTS, ids=lambda e: chr(e[0]))
def test_every_type_byte_is_read_as_redis_reads_it(element):
    good = cmd(b"GET", b"k")
    for stream in (b"*2\r\n$4\r\nECHO\r\n" + element + good, good + element + good,
                   good * 3 + b"*3\r\n$4\r\nECHO\r\n" + element + b"$1\r\nx\r\n" + good):
        assert _read(RequestReader, stream, []) == _read(ExactOnly, stream, []), stream
