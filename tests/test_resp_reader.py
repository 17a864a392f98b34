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
