"""The compiled request split (pickledbd/daemon/_speedups.c ``split_canonical``) takes exactly
what protocol/reader.py ``_by_split`` takes: the same requests and the same bytes, on any
stream (canonical requests, near-canonical headers, payloads holding CRLF or non-UTF-8
bytes, inline commands, RESP3 type bytes, every truncation). And the whole RequestReader
gives the same requests and errors with the compiled split hooked in as without it (where
the C split stops short at a ``*``, the reader's hiredis path reads on, as it did before).

Skipped when the extension is not built (a pure install).
"""
from __future__ import annotations

import random
import time

import pytest

_speedups = pytest.importorskip("pickledbd.daemon._speedups",
                                reason="the C extension is not built (pure install)")

from hypothesis import example, given, settings, strategies as st  # noqa: E402

from pickledbd.daemon.protocol import reader as R  # noqa: E402
from test_resp_reader import ELEMENTS, ExactOnly, _random_stream, _read, cmd  # noqa: E402

split = _speedups.split_canonical


def py_split(chunk: bytes):
    out: list = []
    return out, R._by_split(chunk, out)


def c_split(chunk, start: int = 0):
    out: list = []
    return out, split(chunk, out, start) if start else split(chunk, out)


# ------------------------------------------------------------------ stream generators

PAYLOAD_BYTES = b"ab\r\n\0\xff\xc3\xa9*$:+-0123456789 "
payloads = st.one_of(
    st.binary(max_size=12),
    st.lists(st.sampled_from(PAYLOAD_BYTES), max_size=12).map(bytes),
    st.sampled_from([b"", b"\r", b"\n", b"\r\n", b"a\r", b"\na", b"\r\r\n", b"x\r\ny",
                     b"\xe2\x82", b"\xe2\x82\xac", b"\xed\xa0\x80", "é€".encode()]),
)
canonical = st.lists(payloads, min_size=1, max_size=5).map(lambda a: cmd(*a))
ODD = [b"*01\r\n$1\r\nx\r\n", b"*1\r\n$01\r\nx\r\n", b"*1\r\n$+1\r\nx\r\n", b"*+1\r\n$1\r\nx\r\n",
       b"*1\r\n$-1\r\n", b"*0\r\n", b"*-1\r\n", b"*1024\r\n" + cmd(b"x")[4:] * 1024,
       b"*1023\r\n" + b"$1\r\nx\r\n" * 1023, b"*00\r\n", b"*1\r\n$ 1\r\nx\r\n",
       b"*1\r\n$1 \r\nx\r\n", b"*1 \r\n$1\r\nx\r\n", b"*1\r\r\n$1\r\nx\r\n", b"*1\n$1\r\nx\r\n",
       b"*1\r\n$1\r\nxx\r\n", b"*1\r\n$2\r\nx\r\n", b"*1\r\n$1\r\nx\n\r", b"*1\r\n$1\r\nx\r\r\n",
       b"*1\r\n$0\r\n\r\n", b"*1\r\n$00\r\n\r\n", b"*1\r\n$1\r\n\r\r\n", b"*1\r\n$1\r\n\n\r\n",
       b"*1\r\n$3\r\na\r\n\r\n", b"*1\r\n$99999999999999999999\r\n", b"*2\r\n$1\r\nx\r\n",
       b"PING\r\n", b"SET a 'b c'\r\n", b"\r\n", b"\n", b"*1\r\n*1\r\n$1\r\nx\r\n"] + ELEMENTS
frames = st.one_of(canonical, canonical, st.sampled_from(ODD), st.binary(max_size=8))
streams = st.lists(frames, max_size=8).map(b"".join)


# ------------------------------------------------------------------ C split == _by_split

@pytest.mark.both_paths
@settings(max_examples=1500, deadline=None)
@given(streams)
def test_c_split_takes_what_by_split_takes(stream):
    assert c_split(stream) == py_split(stream)
    assert c_split(bytearray(stream)) == py_split(stream)
    assert c_split(memoryview(stream)) == py_split(stream)


@pytest.mark.both_paths
@settings(max_examples=150, deadline=None)
@given(streams, st.data())
def test_c_split_at_every_truncation_and_offset(stream, data):
    for k in range(len(stream) + 1):
        assert c_split(stream[:k]) == py_split(stream[:k])
    start = data.draw(st.integers(0, len(stream)))
    assert c_split(stream, start) == py_split(stream[start:])


@pytest.mark.both_paths
@pytest.mark.parametrize("frame", ODD, ids=range(len(ODD)))
def test_odd_frames_alone_and_between_good_ones(frame):
    good = cmd(b"GET", b"k")
    for stream in (frame, good + frame, good + frame + good, frame + good * 2):
        assert c_split(stream) == py_split(stream)
        for k in range(len(stream) + 1):
            assert c_split(stream[:k]) == py_split(stream[:k])


def test_a_payload_holding_crlf_stops_the_split_as_by_split_does():
    stream = cmd(b"SET", b"k", b"v") + cmd(b"SET", b"k", b"a\r\nb") + cmd(b"GET", b"k")
    out, taken = c_split(stream)
    assert (out, taken) == py_split(stream) == ([["SET", "k", "v"]], len(cmd(b"SET", b"k", b"v")))


def test_values_are_str_with_surrogateescape():
    out, taken = c_split(cmd(b"\xff\xfe", "é".encode(), b"plain"))
    assert out == [["\udcff\udcfe", "é", "plain"]] and all(type(a) is str for a in out[0])


def test_bad_arguments():
    with pytest.raises(TypeError):
        split(b"*1\r\n$1\r\nx\r\n", ())
    with pytest.raises(TypeError):
        split("*1\r\n", [])
    with pytest.raises(ValueError):
        split(b"abc", [], 4)
    with pytest.raises(ValueError):
        split(b"abc", [], -1)


def test_big_payloads_cost_linear_time_and_declared_sizes_cost_nothing():
    def cost(size: int, fill: bytes) -> float:
        stream = cmd(b"SET", b"k", fill * size) + cmd(b"GET", b"k")
        t = time.perf_counter()
        out, taken = c_split(stream)
        elapsed = time.perf_counter() - t
        assert taken == len(stream) and len(out[0][2]) == size
        return elapsed

    for fill in (b"x", b"\r", b"\n", b"\xff"):
        small = min(cost(1 << 20, fill) for _ in range(3))
        big = min(cost(8 << 20, fill) for _ in range(2))
        assert big < small * 30 + 0.05
    # an incomplete huge bulk is not scanned nor decoded: the headers decide at once
    assert c_split(b"*1\r\n$1000000000\r\n" + b"x" * 100) == ([], 0)
    assert c_split(b"*1023\r\n" + b"$1\r\nx\r\n" * 1022) == ([], 0)


# ------------------------------------------------------------------ the whole reader

class WithoutCompiledSplit(R.RequestReader):
    """The reader as it was before the hook (hiredis, then _by_split)."""

    def _fast(self, buf, pos, out):
        hook, R._split_compiled = R._split_compiled, None
        try:
            return super()._fast(buf, pos, out)
        finally:
            R._split_compiled = hook


def test_the_reader_uses_the_compiled_split():
    from pickledbd.daemon import speedups
    assert (R._split_compiled is split) == speedups.COMPILED


def test_the_reader_agrees_with_and_without_the_compiled_split_on_random_streams():
    rnd = random.Random(2024)
    for _ in range(1500):
        stream = _random_stream(rnd)
        cuts = sorted(rnd.sample(range(1, len(stream)), min(len(stream) - 1, rnd.choice([0, 1, 3, 20]))))
        got = _read(R.RequestReader, stream, cuts)
        assert got == _read(WithoutCompiledSplit, stream, cuts), stream
        assert got == _read(ExactOnly, stream, cuts), stream


@settings(max_examples=400, deadline=None)
@given(streams, st.lists(st.integers(1, 200), max_size=6))
# hiredis skips the two bytes after a payload unread: after a "\n\r" there, a set (or simple
# string, ...) it decodes like a request is an inline command to Redis (found by this test)
@example(b"*1\r\n$0\r\n\r\n*1\r\n$1\r\nx\n\r~1\r\n$1\r\nx\r\n", [])
@example(b"*1\r\n$1\r\nxAB+OK\r\n*1\r\n$1\r\ny\r\n", [])
@example(b"*2\r\n$1\r\nxAB+OK\r\n*1\r\n$1\r\ny\r\n", [])
@example(b"*1\r\n$1\r\nx\n\r>1\r\n$1\r\nx\r\n*1\r\n$1\r\nz\r\n", [])
def test_the_reader_agrees_on_generated_streams_split_anywhere(stream, cuts):
    cuts = sorted({c for c in cuts if c < len(stream)})
    got = _read(R.RequestReader, stream, cuts)
    assert got == _read(WithoutCompiledSplit, stream, cuts)
    assert got == _read(ExactOnly, stream, cuts)


@pytest.mark.parametrize("frame", ODD, ids=range(len(ODD)))
def test_the_reader_agrees_on_odd_frames_between_good_ones(frame):
    good, crlf = cmd(b"GET", b"k"), cmd(b"SET", b"k", b"a\r\nb")
    for stream in (frame + good, good + frame + good, good * 2 + frame + crlf + good,
                   good + crlf + frame + good, crlf + good + frame):
        for cuts in ([], [len(good) + 1], list(range(7, len(stream), 13))):
            got = _read(R.RequestReader, stream, cuts)
            assert got == _read(WithoutCompiledSplit, stream, cuts), (stream, cuts)
            assert got == _read(ExactOnly, stream, cuts), (stream, cuts)


def test_payloads_holding_crlf_stay_on_the_fast_path():
    """Where the C split stops at a payload holding CRLF, hiredis takes the rest as before:
    such a pipeline does not fall to the exact parser one request at a time."""
    class Counting(R.RequestReader):
        exact = 0

        def _one(self, buf, pos, n, out):
            Counting.exact += 1
            return super()._one(buf, pos, n, out)

    stream = cmd(b"GET", b"k") + cmd(b"SET", b"k", b"a\r\nb") * 40 + cmd(b"GET", b"k")
    assert len(Counting().feed(stream)) == 42 and Counting.exact == 0


def test_the_limits_hold_with_the_compiled_split():
    # max_bulk: a canonical request whose payload exceeds it is Redis's error, not taken
    for reader_cls in (R.RequestReader, WithoutCompiledSplit):
        reader = reader_cls(max_bulk=10)
        assert reader.feed(cmd(b"GET", b"k") + cmd(b"SET", b"k", b"x" * 11)) == [["GET", "k"]]
        assert str(reader.error) == "invalid bulk length"
        # client-query-buffer-limit counts an unfinished request
        reader = reader_cls(max_buffer=100)
        assert reader.feed(cmd(b"GET", b"k") + cmd(b"SET", b"k", b"x" * 200)[:150]) == [["GET", "k"]]
        assert str(reader.error) == "query buffer limit reached"
        # before AUTH the exact parser reads, with Redis's limits
        reader = reader_cls()
        reader.unauth = True
        stream = cmd(b"AUTH", b"pw") + cmd(b"SET", b"k", b"v" * 20000)
        assert reader.feed(stream) == [["AUTH", "pw"]] and reader.more
