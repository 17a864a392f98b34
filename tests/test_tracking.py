"""Client-side caching: CLIENT TRACKING / CACHING / GETREDIR / TRACKINGINFO and invalidation
messages, side by side with redis-server 7.0.15, byte for byte.

Each differential scenario runs against both servers on raw sockets and returns a transcript
of labelled raw RESP bytes; the two transcripts must be equal. ``Conn.step`` sends a command
followed by ``PING <token>`` and returns every byte before the token's reply, so pushes that
arrive before or after a command's reply are captured in order. Client ids differ between
the servers: they are replaced by names where a reply shows them.

Where timing makes one server's behaviour unobservable (lazy expiry of a key the reader itself
tracks), Redis runs with ``DEBUG SET-ACTIVE-EXPIRE 0`` and pickledbd in process (no cron runs
there), and the bytes are compared the same way. Hostile cases (many keys, many prefixes,
redirect loops, a tracking client that never reads) run on real processes.
"""
from __future__ import annotations

import socket
import time

import pytest

from diff_resp import encode_command
from servers import RedisServer, redis_server_binary, start_with_retry


# ---------------------------------------------------------------------------- raw connection
def _frame_end(buf: bytes, i: int) -> int:
    """End offset of the RESP2/RESP3 frame starting at ``i``; -1 when incomplete."""
    j = buf.find(b"\r\n", i)
    if j < 0:
        return -1
    t, nxt = buf[i:i + 1], j + 2
    if t in (b"+", b"-", b":", b"_", b",", b"#", b"("):
        return nxt
    n = int(buf[i + 1:j])
    if t in (b"$", b"=", b"!"):
        if n < 0:
            return nxt
        return nxt + n + 2 if len(buf) >= nxt + n + 2 else -1
    if t in (b"*", b"~", b">", b"%", b"|"):
        if n < 0:
            return nxt
        for _ in range(2 * n if t in (b"%", b"|") else n):
            nxt = _frame_end(buf, nxt)
            if nxt < 0:
                return -1
        return nxt
    raise ValueError("bad RESP frame %r" % buf[i:i + 40])


class Conn:
    """One raw connection; frames come back as their exact bytes."""

    _tokens = 0

    def __init__(self, srv, resp: int = 2, timeout: float = 10.0):
        self.sock = socket.create_connection((srv.host, srv.port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.id = int(self.reply("CLIENT", "ID")[1:-2])
        if resp == 3:
            self.reply("HELLO", "3")

    def close(self) -> None:
        self.sock.close()

    def send(self, *args) -> None:
        self.sock.sendall(encode_command(args))

    def frame(self) -> bytes:
        while True:
            end = _frame_end(self.buf, 0) if self.buf else -1
            if end >= 0:
                f, self.buf = self.buf[:end], self.buf[end:]
                return f
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError("closed by server")
            self.buf += chunk

    def reply(self, *args) -> bytes:
        """Send a command; its reply and the pushes that came before it."""
        self.send(*args)
        out = []
        while True:
            f = self.frame()
            out.append(f)
            if not f.startswith(b">"):
                return b"".join(out)

    def step(self, *args) -> bytes:
        """Send a command (or none), then PING <token>: every byte before the token's reply."""
        Conn._tokens += 1
        token = b"tok%d" % Conn._tokens
        bulk = b"$%d\r\n%s\r\n" % (len(token), token)
        ends = (bulk, b"*2\r\n$4\r\npong\r\n" + bulk)      # RESP2 subscribed mode answers an array
        data = encode_command(args) if args else b""
        self.sock.sendall(data + encode_command(["PING", token]))
        out = []
        while True:
            f = self.frame()
            if f in ends:
                return b"".join(out)
            out.append(f)

    def wait(self, timeout: float = 3.0) -> bytes:
        """What arrives within ``timeout`` (active expiry, evictions): polls with step()."""
        deadline = time.monotonic() + timeout
        got = b""
        while time.monotonic() < deadline:
            got += self.step()
            if got:
                time.sleep(0.15)      # anything else of the same batch
                return got + self.step()
            time.sleep(0.02)
        return got


def ids(data: bytes, **names) -> bytes:
    """Client ids in a reply replaced by names (the servers number clients differently)."""
    for name, cid in names.items():
        data = data.replace(b":%d\r\n" % cid, b":<%s>\r\n" % name.encode())
        data = data.replace(b"redir=%d " % cid, b"redir=<%s> " % name.encode())
    return data


def pushed_keys(data: bytes) -> list:
    """The keys named by the invalidation frames in ``data`` (None for a flush), in order."""
    out = []
    i = 0
    while i < len(data):
        end = _frame_end(data, i)
        frame = data[i:end]
        i = end
        if not frame.startswith(b">2\r\n$10\r\ninvalidate\r\n"):
            continue
        body = frame[len(b">2\r\n$10\r\ninvalidate\r\n"):]
        if not body.startswith(b"*"):
            out.append(None)
            continue
        j = body.index(b"\r\n") + 2
        for _ in range(int(body[1:j - 2])):
            k = body.index(b"\r\n", j)
            n = int(body[j + 1:k])
            out.append(body[k + 2:k + 2 + n])
            j = k + 4 + n
    return out


def info_fields(data: bytes, *fields: str) -> bytes:
    """Only some fields of a CLIENT INFO line (the rest differs between servers)."""
    text = data.decode()
    parts = dict(p.split("=", 1) for p in text[text.index("id="):].split() if "=" in p)
    return " ".join("%s=%s" % (f, parts[f]) for f in fields).encode()


def both(redis_server, pickledbd_server, scenario):
    want = scenario(redis_server)
    got = scenario(pickledbd_server)
    assert len(got) == len(want)
    for (label, g), (_, w) in zip(got, want):
        assert g == w, label
    return got


@pytest.fixture(scope="module")
def redis_debug(tmp_path_factory):
    """A redis-server whose active expiry can be switched off (DEBUG is off by default)."""
    if redis_server_binary() is None:
        pytest.skip("redis-server binary not found on PATH")
    d = tmp_path_factory.mktemp("redis-debug")
    srv = start_with_retry(lambda: RedisServer(d, extra_args=("--enable-debug-command", "yes")))
    try:
        yield srv
    finally:
        srv.stop()


def local():
    """pickledbd in process: the real engine without sockets or a cron (nothing expires
    actively); BCAST batches run when the test says so."""
    from pickledbd.daemon.inprocess import LocalServer
    srv = LocalServer()
    soon = []
    srv.server.tracking.call_soon = soon.append
    srv.soon = soon
    return srv


def run_soon(srv) -> None:
    while srv.soon:
        srv.soon.pop(0)()


# ---------------------------------------------------------------------------- subcommands
ERROR_CASES = [
    [["CLIENT", "TRACKING"]],
    [["CLIENT", "TRACKING", "maybe"]],
    [["CLIENT", "TRACKING", "on", "foo"]],
    [["CLIENT", "TRACKING", "on", "redirect"]],
    [["CLIENT", "TRACKING", "on", "redirect", "abc"]],
    [["CLIENT", "TRACKING", "on", "redirect", "-1"]],
    [["CLIENT", "TRACKING", "on", "redirect", "0"]],
    [["CLIENT", "TRACKING", "on", "redirect", "99999999"]],
    [["CLIENT", "TRACKING", "on", "redirect", "{other}", "redirect", "{other}"]],
    [["CLIENT", "TRACKING", "on", "redirect", "{other}", "redirect", "abc"]],
    [["CLIENT", "TRACKING", "maybe", "redirect", "99999999"]],
    [["CLIENT", "TRACKING", "maybe", "bcast"]],
    [["CLIENT", "TRACKING", "on", "prefix", "a"]],
    [["CLIENT", "TRACKING", "on", "prefix"]],
    [["CLIENT", "TRACKING", "on", "bcast", "prefix", "a", "prefix", "ab"]],
    [["CLIENT", "TRACKING", "on", "bcast", "prefix", "ab", "prefix", "a"]],
    [["CLIENT", "TRACKING", "on", "bcast", "prefix", "x", "prefix", "x"]],
    [["CLIENT", "TRACKING", "on", "bcast", "prefix", "", "prefix", "x"]],
    [["CLIENT", "TRACKING", "on", "bcast", "optin"]],
    [["CLIENT", "TRACKING", "on", "bcast", "optout"]],
    [["CLIENT", "TRACKING", "on", "optin", "optout"]],
    [["CLIENT", "TRACKING", "on", "bcast", "optin", "optout"]],
    [["CLIENT", "TRACKING", "on", "prefix", "a", "optin", "optout"]],
    [["CLIENT", "TRACKING", "ON", "BCAST", "PrEfIx", "a", "NOLOOP"], ["CLIENT", "TRACKINGINFO"]],
    [["CLIENT", "TRACKING", "on"], ["CLIENT", "TRACKING", "on", "bcast"]],
    [["CLIENT", "TRACKING", "on", "optin"], ["CLIENT", "TRACKING", "on", "optout"]],
    [["CLIENT", "TRACKING", "on", "optout"], ["CLIENT", "TRACKING", "on", "optin"]],
    [["CLIENT", "TRACKING", "on", "optin"], ["CLIENT", "TRACKING", "on"], ["CLIENT", "TRACKINGINFO"]],
    [["CLIENT", "TRACKING", "on", "optin"], ["CLIENT", "TRACKING", "on", "bcast", "optout"]],
    [["CLIENT", "TRACKING", "on", "bcast", "prefix", "a"], ["CLIENT", "TRACKING", "on", "bcast", "prefix", "ab"],
     ["CLIENT", "TRACKING", "on", "bcast", "prefix", "a"], ["CLIENT", "TRACKING", "on", "bcast", "prefix", "b"],
     ["CLIENT", "TRACKING", "on", "bcast"], ["CLIENT", "TRACKINGINFO"],
     ["CLIENT", "TRACKING", "on", "bcast", "prefix", "c"], ["CLIENT", "TRACKING", "on"],
     ["CLIENT", "TRACKING", "off"], ["CLIENT", "TRACKINGINFO"], ["CLIENT", "TRACKING", "on"]],
    [["CLIENT", "TRACKING", "off", "prefix", "a"]],
    [["CLIENT", "TRACKING", "off", "bcast", "optin", "optout", "noloop"]],
    [["CLIENT", "TRACKING", "off", "redirect", "99999999"]],
    [["CLIENT", "TRACKING", "off", "foo"]],
    [["CLIENT", "CACHING", "yes"]],
    [["CLIENT", "CACHING", "maybe"]],
    [["CLIENT", "CACHING"]],
    [["CLIENT", "CACHING", "yes", "no"]],
    [["CLIENT", "GETREDIR", "x"]],
    [["CLIENT", "TRACKINGINFO", "x"]],
    [["CLIENT", "TRACKING", "on"], ["CLIENT", "CACHING", "yes"], ["CLIENT", "CACHING", "no"],
     ["CLIENT", "CACHING", "maybe"]],
    [["CLIENT", "TRACKING", "on", "optin"], ["CLIENT", "CACHING", "no"], ["CLIENT", "CACHING", "YES"],
     ["CLIENT", "TRACKINGINFO"]],
    [["CLIENT", "TRACKING", "on", "optout"], ["CLIENT", "CACHING", "yes"], ["CLIENT", "CACHING", "No"],
     ["CLIENT", "TRACKINGINFO"]],
    [["CLIENT", "TRACKING", "on", "optin"], ["CLIENT", "CACHING", "yes"], ["CLIENT", "TRACKING", "off"],
     ["CLIENT", "TRACKING", "on", "optin"], ["CLIENT", "TRACKINGINFO"]],
    [["CLIENT", "TRACKING", "on", "redirect", "{self}"], ["CLIENT", "GETREDIR"], ["CLIENT", "TRACKINGINFO"]],
    [["CLIENT", "TRACKING", "on", "redirect", "{other}"], ["CLIENT", "TRACKING", "on"], ["CLIENT", "GETREDIR"]],
]


@pytest.mark.parametrize("resp", [2, 3])
def test_subcommands_and_errors(redis_server, pickledbd_server, resp):
    def scenario(srv):
        out = []
        other = Conn(srv)
        for case in ERROR_CASES:
            c = Conn(srv, resp)
            for cmd in case:
                cmd = [a.replace("{other}", str(other.id)).replace("{self}", str(c.id)) for a in cmd]
                out.append((" ".join(cmd), ids(c.reply(*cmd), other=other.id, me=c.id)))
            c.close()
        other.close()
        return out
    both(redis_server, pickledbd_server, scenario)


def test_overlap_later_in_list_is_refused(redis_server, pickledbd_server):
    """Redis 7.0 answers an error *and* +OK (and enables tracking) when the clash is not with the
    first prefix given: two replies to one request. We give the error only."""
    cmd = ["CLIENT", "TRACKING", "on", "bcast", "prefix", "x", "prefix", "ab", "prefix", "a"]
    err = (b"-ERR Prefix 'ab' overlaps with another provided prefix 'a'. "
           b"Prefixes for a single client must not overlap.\r\n")
    r = Conn(redis_server)
    assert r.step(*cmd) == err + b"+OK\r\n"
    p = Conn(pickledbd_server)
    assert p.step(*cmd) == err
    assert p.reply("CLIENT", "TRACKINGINFO").startswith(b"*6\r\n$5\r\nflags\r\n*1\r\n$3\r\noff\r\n")
    r.close()
    p.close()


def test_command_info_lists_the_subcommands(pickledbd_server):
    c = Conn(pickledbd_server)
    for name in ("tracking", "caching", "getredir", "trackinginfo"):
        assert c.reply("COMMAND", "INFO", "client|" + name).startswith(b"*1\r\n*10\r\n")
    c.close()


@pytest.mark.parametrize("resp", [2, 3])
def test_modes_in_trackinginfo_and_client_list(redis_server, pickledbd_server, resp):
    def scenario(srv):
        out = []
        other = Conn(srv, 3)
        setups = [
            [],
            [["CLIENT", "TRACKING", "on"]],
            [["CLIENT", "TRACKING", "on", "optin"], ["CLIENT", "CACHING", "yes"]],
            [["CLIENT", "TRACKING", "on", "optout"], ["CLIENT", "CACHING", "no"]],
            [["CLIENT", "TRACKING", "on", "noloop"]],
            [["CLIENT", "TRACKING", "on", "bcast", "prefix", "b", "prefix", "a", "prefix", "c"]],
            [["CLIENT", "TRACKING", "on", "bcast", "noloop"]],
            [["CLIENT", "TRACKING", "on", "redirect", str(other.id)]],
            [["CLIENT", "TRACKING", "on", "redirect", str(other.id)], ["CLIENT", "TRACKING", "off"]],
        ]
        for setup in setups:
            c = Conn(srv, resp)
            for cmd in setup:
                c.reply(*cmd)
            label = repr(setup)
            out.append((label + " info", ids(c.reply("CLIENT", "TRACKINGINFO"), other=other.id)))
            out.append((label + " getredir", ids(c.reply("CLIENT", "GETREDIR"), other=other.id)))
            out.append((label + " list", ids(info_fields(c.reply("CLIENT", "INFO"), "flags", "redir") + b" ",
                                               other=other.id)))
            c.close()
        # a redirect target that went away: R, broken_redirect
        c = Conn(srv, resp)
        gone = Conn(srv)
        c.reply("CLIENT", "TRACKING", "on", "redirect", str(gone.id))
        c.reply("GET", "modes:k")
        gone.close()
        time.sleep(0.1)
        out.append(("before", info_fields(c.reply("CLIENT", "INFO"), "flags")))
        other.reply("SET", "modes:k", "1")
        out.append(("broken push", ids(c.step(), gone=gone.id)))
        out.append(("broken info", ids(c.reply("CLIENT", "TRACKINGINFO"), gone=gone.id)))
        out.append(("broken list", ids(info_fields(c.reply("CLIENT", "INFO"), "flags", "redir") + b" ",
                                       gone=gone.id)))
        out.append(("re-enabled", c.reply("CLIENT", "TRACKING", "on") + c.reply("CLIENT", "TRACKINGINFO")))
        c.close()
        other.close()
        return out
    both(redis_server, pickledbd_server, scenario)


# ---------------------------------------------------------------------------- default mode
def test_default_mode_resp3(redis_server, pickledbd_server):
    def scenario(srv):
        out = []
        a, b = Conn(srv, 3), Conn(srv)
        b.reply("FLUSHALL")
        a.step()                                        # FLUSHALL's null is not ours to check here
        b.reply("DEL", "d:l", "d:s", "d:z", "d:h")
        b.reply("RPUSH", "d:l", "x")
        b.reply("SADD", "d:s", "x")
        b.reply("ZADD", "d:z", "1", "x")
        b.reply("HSET", "d:h", "f", "v")
        out.append(("on", a.step("CLIENT", "TRACKING", "on")))
        reads = [["GET", "d:k1"], ["MGET", "d:k2", "d:k3"], ["HGET", "d:h", "f"], ["EXISTS", "d:e1", "d:e2"],
                 ["STRLEN", "d:k4"], ["LRANGE", "d:l", "0", "-1"], ["SMEMBERS", "d:s"],
                 ["ZRANGE", "d:z", "0", "-1"], ["TYPE", "d:t"], ["GET", "d:k1"]]
        for r in reads:
            out.append((" ".join(r), a.step(*r)))
        writes = [["SET", "d:k1", "1"], ["MSET", "d:k2", "1", "d:k3", "1"], ["HSET", "d:h", "g", "v"],
                  ["SET", "d:e2", "1"], ["APPEND", "d:k4", "x"], ["LPUSH", "d:l", "y"], ["SREM", "d:s", "x"],
                  ["ZINCRBY", "d:z", "1", "x"], ["SET", "d:t", "1"], ["SET", "d:k1", "2"],
                  ["DEL", "d:nothing"], ["SET", "d:untracked", "1"]]
        for w in writes:
            out.append((" ".join(w), b.step(*w)))
            out.append(("-> a", a.step()))
        # own writes: the reply first, then the invalidation (pipelined: before the next reply)
        out.append(("own", a.step("GET", "d:o") + a.step("SET", "d:o", "1")))
        a.send("GET", "d:p")
        a.frame()
        a.sock.sendall(encode_command(["SET", "d:p", "x"]) + encode_command(["GET", "d:p"]) +
                       encode_command(["SET", "d:p", "y"]) + encode_command(["PING"]))
        out.append(("pipelined", b"".join(a.frame() for _ in range(6))))
        # keys are tracked by name: a write in another db invalidates too
        a.step("GET", "d:db")
        b.reply("SELECT", "1")
        out.append(("db1 write", b.step("SET", "d:db", "1") + a.step()))
        b.reply("SELECT", "0")
        # RENAME touches both names; a read of a missing key is tracked as well
        a.step("GET", "d:r1")
        a.step("GET", "d:r2")
        b.reply("SET", "d:r1", "v")
        a.step()
        a.step("GET", "d:r1")
        out.append(("rename", b.step("RENAME", "d:r1", "d:r2")))
        # both names (Redis signals the source first; keys.py writes the destination first)
        out.append(("rename keys", sorted(pushed_keys(a.step()))))
        a.close()
        b.close()
        return out
    both(redis_server, pickledbd_server, scenario)


def test_resp2_without_redirect_gets_nothing(redis_server, pickledbd_server):
    def scenario(srv):
        a, b = Conn(srv), Conn(srv)
        a.reply("CLIENT", "TRACKING", "on")
        a.reply("GET", "r2:k")
        out = [("write", b.step("SET", "r2:k", "1")), ("a", a.step()), ("own", a.step("SET", "r2:k", "2")),
               ("flush", b.step("FLUSHDB") + a.step())]
        a.close()
        b.close()
        return out
    both(redis_server, pickledbd_server, scenario)


def test_noloop_default_mode(redis_server, pickledbd_server):
    def scenario(srv):
        a, b = Conn(srv, 3), Conn(srv)
        a.reply("CLIENT", "TRACKING", "on", "NOLOOP")
        a.reply("GET", "nl:k")
        out = [("own write", a.step("SET", "nl:k", "1")),
               ("then other", b.step("SET", "nl:k", "2") + a.step())]   # the entry went with our write
        a.reply("GET", "nl:k")
        out.append(("other", b.step("SET", "nl:k", "3") + a.step()))
        a.close()
        b.close()
        return out
    both(redis_server, pickledbd_server, scenario)


def test_multi_exec(redis_server, pickledbd_server):
    def scenario(srv):
        out = []
        a, b = Conn(srv, 3), Conn(srv)
        a.reply("CLIENT", "TRACKING", "on")
        a.reply("GET", "mx:1")
        a.reply("GET", "mx:2")
        out.append(("own multi", a.reply("MULTI") + a.reply("SET", "mx:1", "1") + a.reply("GET", "mx:1") +
                    a.reply("SET", "mx:2", "1") + a.step("EXEC")))
        a.reply("GET", "mx:2")
        out.append(("other multi", b.reply("MULTI") + b.reply("SET", "mx:1", "x") + b.reply("SET", "mx:2", "x") +
                    b.step("EXEC") + a.step()))
        out.append(("flush in multi", a.reply("MULTI") + a.reply("FLUSHDB") + a.reply("SET", "mx:1", "1") +
                    a.step("EXEC")))
        # inside MULTI a read is tracked when the transaction runs
        a.reply("MULTI")
        a.reply("GET", "mx:3")
        out.append(("read in multi", a.step("EXEC") + b.step("SET", "mx:3", "1") + a.step()))
        a.close()
        b.close()
        return out
    both(redis_server, pickledbd_server, scenario)


def test_blocked_reader(redis_server, pickledbd_server):
    """A tracking client served after blocking: what its own command changed follows its
    reply; what the pusher changed came before."""
    def scenario(srv):
        a, b = Conn(srv, 3), Conn(srv)
        b.reply("DEL", "bl:src", "bl:dst")
        a.reply("CLIENT", "TRACKING", "on")
        out = [("read", a.step("LRANGE", "bl:dst", "0", "-1") + a.step("LRANGE", "bl:src", "0", "-1"))]
        a.send("BLMOVE", "bl:src", "bl:dst", "LEFT", "LEFT", "0")
        time.sleep(0.1)
        out.append(("push", b.step("LPUSH", "bl:src", "x") + a.step()))
        a.step("LRANGE", "bl:src", "0", "-1")
        a.send("BLPOP", "bl:src", "0")
        time.sleep(0.1)
        out.append(("pop", b.step("LPUSH", "bl:src", "y") + a.step()))
        a.close()
        b.close()
        return out
    both(redis_server, pickledbd_server, scenario)


# ---------------------------------------------------------------------------- redirection
def test_redirect_to_resp2_subscriber(redis_server, pickledbd_server):
    def scenario(srv):
        out = []
        s, b = Conn(srv), Conn(srv)
        out.append(("subscribe", s.step("SUBSCRIBE", "__redis__:invalidate")))
        a = Conn(srv)
        out.append(("on", a.step("CLIENT", "TRACKING", "on", "REDIRECT", str(s.id))))
        a.reply("GET", "rd:k")
        a.reply("MGET", "rd:k2", "rd:k3")
        out.append(("write", b.step("MSET", "rd:k", "1", "rd:k3", "1") + s.step() + a.step()))
        out.append(("flushall", b.step("FLUSHALL") + s.step()))
        out.append(("own flushdb", a.step("FLUSHDB") + s.step()))
        # any pub/sub mode will do (Redis checks the client's pub/sub flag, not the channel)
        s2 = Conn(srv)
        s2.reply("SUBSCRIBE", "elsewhere")
        a.reply("CLIENT", "TRACKING", "on", "REDIRECT", str(s2.id))
        a.reply("GET", "rd:k")
        out.append(("other channel", b.step("SET", "rd:k", "2") + s2.step()))
        # not subscribed: nowhere to go
        n = Conn(srv)
        a.reply("CLIENT", "TRACKING", "on", "REDIRECT", str(n.id))
        a.reply("GET", "rd:k")
        out.append(("not subscribed", b.step("SET", "rd:k", "3") + n.step()))
        # a RESP3 target gets pushes, even from a RESP2 tracker's flush ($-1, as Redis)
        t3 = Conn(srv, 3)
        a.reply("CLIENT", "TRACKING", "on", "REDIRECT", str(t3.id))
        a.reply("GET", "rd:k")
        out.append(("resp3 target", b.step("SET", "rd:k", "4") + t3.step()))
        out.append(("resp3 target flush", b.step("FLUSHALL") + t3.step()))
        for c in (a, b, s, s2, n, t3):
            c.close()
        return out
    both(redis_server, pickledbd_server, scenario)


def test_resp3_tracker_flush_to_resp2_subscriber(redis_server, pickledbd_server):
    """Redis sends a RESP3 tracker's null ``_`` to a RESP2 subscriber, which RESP2 cannot
    parse; we send ``$-1`` there."""
    def flush_message(srv):
        s, b = Conn(srv), Conn(srv)
        s.reply("SUBSCRIBE", "__redis__:invalidate")
        a = Conn(srv, 3)
        a.reply("CLIENT", "TRACKING", "on", "REDIRECT", str(s.id))
        b.reply("FLUSHALL")
        got = s.step()
        for c in (a, b, s):
            c.close()
        return got
    head = b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n"
    assert flush_message(redis_server) == head + b"_\r\n"
    assert flush_message(pickledbd_server) == head + b"$-1\r\n"


def test_redirect_target_disconnected(redis_server, pickledbd_server):
    def scenario(srv):
        out = []
        t, b = Conn(srv, 3), Conn(srv)
        a3, a2 = Conn(srv, 3), Conn(srv)
        for a in (a3, a2):
            a.reply("CLIENT", "TRACKING", "on", "REDIRECT", str(t.id))
            a.reply("GET", "bk:1")
            a.reply("GET", "bk:2")
        out.append(("alive", b.step("SET", "bk:1", "1") + t.step()))
        a3.reply("GET", "bk:1")
        a2.reply("GET", "bk:1")
        t.close()
        time.sleep(0.1)
        out.append(("gone", ids(b.step("SET", "bk:1", "2") + a3.step() + a2.step(), t=t.id)))
        out.append(("own write", ids(a3.step("SET", "bk:2", "1") + a2.step(), t=t.id)))
        out.append(("flush", ids(b.step("FLUSHALL") + a3.step() + a2.step(), t=t.id)))
        out.append(("flags", info_fields(a3.reply("CLIENT", "INFO"), "flags") + info_fields(
            a2.reply("CLIENT", "INFO"), "flags")))
        for c in (a3, a2, b):
            c.close()
        return out
    both(redis_server, pickledbd_server, scenario)


def test_redirect_loop(redis_server, pickledbd_server):
    """A redirects to B and B to A: each message goes one hop, nothing loops."""
    def scenario(srv):
        a, b, w = Conn(srv, 3), Conn(srv, 3), Conn(srv)
        a.reply("CLIENT", "TRACKING", "on", "REDIRECT", str(b.id))
        b.reply("CLIENT", "TRACKING", "on", "REDIRECT", str(a.id))
        me = Conn(srv, 3)
        me.reply("CLIENT", "TRACKING", "on", "REDIRECT", str(me.id))
        for c in (a, b, me):
            c.reply("GET", "loop:k")
        out = [("write", w.step("SET", "loop:k", "1")), ("a", a.step()), ("b", b.step()), ("self", me.step()),
               ("flush", w.step("FLUSHALL") + a.step() + b.step() + me.step())]
        for c in (a, b, w, me):
            c.close()
        return out
    both(redis_server, pickledbd_server, scenario)


# ---------------------------------------------------------------------------- BCAST
def test_bcast(redis_server, pickledbd_server):
    def scenario(srv):
        out = []
        b = Conn(srv)
        a, c2, c3 = Conn(srv, 3), Conn(srv, 3), Conn(srv, 3)
        out.append(("a", a.step("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "b:", "PREFIX", "a:")))
        out.append(("c2", c2.step("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a:", "NOLOOP")))
        out.append(("c3", c3.step("CLIENT", "TRACKING", "on", "BCAST")))
        # one batch: keys sorted, one message per prefix
        b.sock.sendall(b"".join(encode_command(x) for x in (
            ["SET", "a:2", "1"], ["SET", "a:1", "1"], ["SET", "b:1", "1"], ["SET", "zz", "1"],
            ["MSET", "a:1", "2", "a:0", "1"], ["DEL", "a:2"], ["DEL", "a:missing"])))
        out.append(("writes", b"".join(b.frame() for _ in range(7))))
        out.append(("-> a", a.step()))
        out.append(("-> c2", c2.step()))
        out.append(("-> c3", c3.step()))
        # NOLOOP: c2's own keys are left out of its message, the others get them
        c2.sock.sendall(encode_command(["SET", "a:5", "1"]) + encode_command(["SET", "a:6", "1"]))
        out.append(("c2 own", c2.frame() + c2.frame() + c2.step()))
        out.append(("-> a", a.step()))
        # a read does not track in BCAST mode
        out.append(("get", c3.step("GET", "q:1") + b.step("SET", "q:2", "1") + c3.step()))
        out.append(("flush", b.step("FLUSHDB") + a.step() + c2.step() + c3.step()))
        # "" added to a client that has prefixes (Redis does not check it): two messages
        a.reply("CLIENT", "TRACKING", "on", "BCAST")
        out.append(("info", a.step("CLIENT", "TRACKINGINFO")))
        out.append(("both prefixes", b.step("SET", "a:9", "1") + a.step()))
        for c in (a, b, c2, c3):
            c.close()
        return out
    both(redis_server, pickledbd_server, scenario)


def test_bcast_redirect_resp2(redis_server, pickledbd_server):
    def scenario(srv):
        s, b = Conn(srv), Conn(srv)
        s.reply("SUBSCRIBE", "__redis__:invalidate")
        a = Conn(srv)
        a.reply("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "br:", "REDIRECT", str(s.id))
        b.sock.sendall(encode_command(["SET", "br:y", "1"]) + encode_command(["SET", "br:x", "1"]))
        out = [("writes", b.frame() + b.frame()), ("sub", s.step())]
        for c in (a, b, s):
            c.close()
        return out
    both(redis_server, pickledbd_server, scenario)


# ---------------------------------------------------------------------------- OPTIN / OPTOUT
def test_optin_optout(redis_server, pickledbd_server):
    def scenario(srv):
        out = []
        b = Conn(srv)
        o = Conn(srv, 3)
        o.reply("CLIENT", "TRACKING", "on", "OPTIN")
        script = [["GET", "oi:1"], ["CLIENT", "CACHING", "yes"], ["GET", "oi:2"], ["GET", "oi:3"],
                  ["CLIENT", "CACHING", "yes"], ["CLIENT", "ID"], ["GET", "oi:4"],
                  ["CLIENT", "CACHING", "yes"], ["PING"], ["GET", "oi:5"],
                  ["CLIENT", "CACHING", "yes"], ["MULTI"], ["GET", "oi:6"], ["GET", "oi:7"], ["EXEC"],
                  ["GET", "oi:8"],
                  ["CLIENT", "CACHING", "yes"], ["NOSUCHCOMMAND"], ["GET", "oi:9"],
                  ["CLIENT", "CACHING", "yes"], ["GET"], ["GET", "oi:10"],
                  ["CLIENT", "CACHING", "yes"], ["CLIENT", "TRACKING", "on", "OPTIN"], ["GET", "oi:11"],
                  ["CLIENT", "CACHING", "yes"], ["CLIENT", "CACHING", "maybe"], ["GET", "oi:12"],
                  ["CLIENT", "CACHING", "yes"], ["HELLO", "3"], ["GET", "oi:13"],
                  ["CLIENT", "CACHING", "yes"], ["SET", "oi:14", "1"], ["GET", "oi:14"]]
        for cmd in script:
            r = o.reply(*cmd)
            out.append((" ".join(cmd), b"<hello>" if cmd[0] == "HELLO" else ids(r, o=o.id)))
        b.reply("MSET", *sum([["oi:%d" % i, "1"] for i in range(1, 15)], []))
        out.append(("optin pushes", o.step()))
        p = Conn(srv, 3)
        p.reply("CLIENT", "TRACKING", "on", "OPTOUT")
        for cmd in (["GET", "oo:1"], ["CLIENT", "CACHING", "no"], ["GET", "oo:2"], ["GET", "oo:3"],
                    ["CLIENT", "CACHING", "no"], ["MGET", "oo:4", "oo:5"], ["GET", "oo:6"]):
            out.append((" ".join(cmd), p.reply(*cmd)))
        b.reply("MSET", *sum([["oo:%d" % i, "1"] for i in range(1, 7)], []))
        out.append(("optout pushes", p.step()))
        for c in (o, p, b):
            c.close()
        return out
    both(redis_server, pickledbd_server, scenario)


# ---------------------------------------------------------------------------- FLUSHDB / FLUSHALL
@pytest.mark.parametrize("resp", [2, 3])
def test_flush_null_invalidation(redis_server, pickledbd_server, resp):
    def scenario(srv):
        out = []
        s = Conn(srv)
        s.reply("SUBSCRIBE", "__redis__:invalidate")
        a, b = Conn(srv, resp), Conn(srv)
        a.reply("CLIENT", "TRACKING", "on", *(["REDIRECT", str(s.id)] if resp == 2 else []))
        bc = Conn(srv, 3)
        bc.reply("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "fl:")
        a.reply("GET", "fl:k")
        out.append(("flushdb", b.step("FLUSHDB") + a.step() + s.step() + bc.step()))
        out.append(("empty db", b.step("SELECT", "5") + b.step("FLUSHDB") + a.step() + s.step()))
        out.append(("flushall async", b.step("FLUSHALL", "ASYNC") + a.step() + s.step() + bc.step()))
        out.append(("own", a.step("FLUSHALL") + s.step()))
        out.append(("swapdb", b.step("SWAPDB", "0", "1") + a.step() + s.step()))
        # the table went with the flush: a later write of a key read before invalidates nothing
        out.append(("after", b.step("SET", "fl:k", "1") + a.step() + s.step()))
        for c in (a, b, s, bc):
            c.close()
        return out
    both(redis_server, pickledbd_server, scenario)


# ---------------------------------------------------------------------------- expired keys
def test_expired_keys_other_reader_and_active(redis_server, pickledbd_server):
    def scenario(srv):
        a, b = Conn(srv, 3), Conn(srv)
        a.reply("CLIENT", "TRACKING", "on")
        b.reply("SET", "ex:1", "v", "PX", "300")
        b.reply("SET", "ex:2", "v", "PX", "200")
        b.reply("SET", "ex:3", "v", "PX", "100000")
        a.reply("MGET", "ex:1", "ex:2", "ex:3")
        time.sleep(0.35)
        out = [("read", b.step("GET", "ex:1"))]
        got = a.wait()
        deadline = time.monotonic() + 3
        while len(pushed_keys(got)) < 2 and time.monotonic() < deadline:
            got += a.wait(0.5)
        # lazily by the read or actively by the cron, in whatever order: each key once
        out.append(("invalidated", sorted(pushed_keys(got))))
        out.append(("ttl kept", b.step("PEXPIRE", "ex:3", "100000") + a.step()))
        a.close()
        b.close()
        return out
    both(redis_server, pickledbd_server, scenario)


EXPIRY_CASES = {
    # the reader expires a key it tracks: the reply first, then the invalidation
    "self": ["CLIENT", "TRACKING", "on"],
    # NOLOOP: the reader's own expiry is not reported to it
    "noloop": ["CLIENT", "TRACKING", "on", "NOLOOP"],
    # BCAST NOLOOP: an expiry has no author, so the reader hears of it (at the loop turn's end)
    "bcast noloop": ["CLIENT", "TRACKING", "on", "BCAST", "NOLOOP"],
}


@pytest.mark.parametrize("name", sorted(EXPIRY_CASES))
def test_lazy_expiry_by_the_reader(redis_debug, name):
    """The read that finds its own tracked key expired. Redis runs with active expiry off;
    pickledbd runs in process, where nothing expires but by lookup."""
    setup = EXPIRY_CASES[name]
    b, a = Conn(redis_debug), Conn(redis_debug, 3)
    assert b.reply("DEBUG", "SET-ACTIVE-EXPIRE", "0") == b"+OK\r\n"
    try:
        a.reply(*setup)
        b.reply("SET", "xs:k", "v", "PX", "100")
        a.step()
        a.reply("GET", "xs:k")
        time.sleep(0.15)
        # GET and PING in one packet: one loop turn, BCAST messages come after both replies
        a.sock.sendall(encode_command(["GET", "xs:k"]) + encode_command(["PING"]))
        want = a.frame() + a.frame() + a.step()
    finally:
        b.reply("DEBUG", "SET-ACTIVE-EXPIRE", "1")
        a.close()
        b.close()
    srv = local()
    a, b = srv.client(3), srv.client()
    srv.request(a, *setup)
    srv.request(b, "SET", "xs:k", "v", "PX", "100")
    run_soon(srv)
    srv.take_output(a)
    srv.request(a, "GET", "xs:k")
    time.sleep(0.15)
    got = srv.request(a, "GET", "xs:k") + srv.request(a, "PING")
    run_soon(srv)
    got += srv.take_output(a)
    assert got == want
    assert want.startswith(b"_\r\n")


# ---------------------------------------------------------------------------- table bounds
def test_tracking_table_max_keys(redis_server, pickledbd_server):
    def scenario(srv):
        a, b = Conn(srv, 3), Conn(srv)
        try:
            a.reply("CLIENT", "TRACKING", "on")
            a.reply("MGET", "mk:1", "mk:2", "mk:3", "mk:4", "mk:5")
            out = [("config", b.step("CONFIG", "SET", "tracking-table-max-keys", "2"))]
            evicted = a.wait()
            out.append(("evictions", evicted.count(b">2\r\n$10\r\ninvalidate\r\n")))
            out.append(("get", b.step("CONFIG", "GET", "tracking-table-max-keys")))
            out.append(("bad", b.step("CONFIG", "SET", "tracking-table-max-keys", "-1") +
                        b.step("CONFIG", "SET", "tracking-table-max-keys", "x")))
            out.append(("over", a.reply("MGET", "mk:6", "mk:7")))
            more = a.wait()
            out.append(("evictions 2", more.count(b">2\r\n$10\r\ninvalidate\r\n")))
            # every key still tracked is one we were told nothing about: no key is lost silently
            b.reply("CONFIG", "SET", "tracking-table-max-keys", "0")
            b.reply("MSET", *sum([["mk:%d" % i, "1"] for i in range(1, 8)], []))
            rest = a.step()
            told = {k for k in range(1, 8) if b"mk:%d\r\n" % k in evicted + more + rest}
            out.append(("all told", sorted(told)))
            return out
        finally:
            b.reply("CONFIG", "SET", "tracking-table-max-keys", "1000000")
            a.close()
            b.close()
    both(redis_server, pickledbd_server, scenario)


def test_counters_in_process():
    """INFO's tracking_total_keys/items/prefixes, and the table emptied when clients stop."""
    srv = local()
    tr = srv.server.tracking
    a, b, w = srv.client(3), srv.client(3), srv.client()
    srv.request(a, "CLIENT", "TRACKING", "on")
    srv.request(b, "CLIENT", "TRACKING", "on")
    srv.request(a, "MGET", "c1", "c2", "c3")
    srv.request(b, "MGET", "c2", "c3", "c4")
    assert (tr.total_keys(), tr.total_items(), tr.total_prefixes()) == (4, 6, 0)
    srv.request(w, "SET", "c2", "x")
    assert (tr.total_keys(), tr.total_items()) == (3, 4)
    srv.request(a, "CLIENT", "TRACKING", "off")
    assert (tr.total_keys(), tr.total_items()) == (2, 2)
    c = srv.client(3)
    srv.request(c, "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "x", "PREFIX", "y")
    srv.request(a, "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "x")
    assert tr.total_prefixes() == 2
    srv.request(c, "RESET")
    assert tr.total_prefixes() == 1
    srv.server.clients.forget(b)
    srv.server.clients.forget(a)
    assert (tr.total_keys(), tr.total_items(), tr.total_prefixes()) == (0, 0, 0)
    assert srv.ks.tracking is None and not tr.trackers


def test_eviction_reaches_noloop_reader_after_its_reply():
    """An evicted key is reported to its NOLOOP reader too (it changed nothing), after the
    reply of the read that pushed the table over its limit."""
    srv = local()
    a, w = srv.client(3), srv.client()
    srv.request(w, "CONFIG", "SET", "tracking-table-max-keys", "1")
    srv.request(a, "CLIENT", "TRACKING", "on", "NOLOOP")
    assert srv.request(a, "GET", "ev:x") == b"_\r\n"
    assert srv.request(a, "GET", "ev:y") == b"_\r\n>2\r\n$10\r\ninvalidate\r\n*1\r\n$4\r\nev:x\r\n"
    assert srv.server.tracking.total_keys() == 1
    srv.request(w, "CONFIG", "SET", "tracking-table-max-keys", "0")
    assert srv.request(a, "MGET", "ev:1", "ev:2", "ev:3") == b"*3\r\n_\r\n_\r\n_\r\n"
    assert srv.server.tracking.total_keys() == 4


# ---------------------------------------------------------------------------- redis-py's cache
@pytest.fixture
def cache_ok(monkeypatch):
    """redis-py 8 refuses client-side caching below Redis 7.4 (a policy check: 7.0 has
    everything it uses); lift it for both servers."""
    from redis.connection import CacheProxyConnection
    monkeypatch.setattr(CacheProxyConnection, "MIN_ALLOWED_VERSION", "7.0.0")


def _get_calls(w) -> int:
    stats = w.info("commandstats").get("cmdstat_get", {})
    return int(stats.get("calls", 0))


def _eventually(fn, want, timeout: float = 1.0):
    deadline = time.monotonic() + timeout
    while True:
        got = fn()
        if got == want or time.monotonic() > deadline:
            return got
        time.sleep(0.001)


@pytest.mark.parametrize("which", ["redis", "pickledbd"])
def test_redis_py_client_side_cache(redis_server, pickledbd_server, cache_ok, which):
    """The writer's reply and the reader's invalidation leave the server separately (in Redis
    too), so a read right after another client's write may still be served from the cache for
    a moment. A round trip on the reader's connection (PING) reads the invalidation first: after
    it the value is fresh."""
    import redis
    from redis.cache import CacheConfig
    srv = redis_server if which == "redis" else pickledbd_server
    w = srv.client()
    r = redis.Redis(host=srv.host, port=srv.port, protocol=3, cache_config=CacheConfig(),
                    socket_timeout=10)
    try:
        w.set("csc:k", "v1")
        w.delete("csc:h")
        w.hset("csc:h", "f", "1")
        assert r.get("csc:k") == b"v1"
        before = _get_calls(w)
        assert r.get("csc:k") == b"v1"          # from the cache: the server saw no GET
        assert _get_calls(w) == before
        assert r.hget("csc:h", "f") == b"1"
        for i in range(200):
            w.set("csc:k", "v%d" % i)
            w.hset("csc:h", "f", str(i))
            if i % 2:
                r.ping()
                assert r.get("csc:k") == b"v%d" % i
                assert r.hget("csc:h", "f") == str(i).encode()
            else:
                assert _eventually(lambda: r.get("csc:k"), b"v%d" % i) == b"v%d" % i
                assert _eventually(lambda: r.hget("csc:h", "f"), str(i).encode()) == str(i).encode()
        before = _get_calls(w)
        assert r.get("csc:k") == b"v199"
        assert _get_calls(w) == before           # cached again after the last re-read
        w.flushall()
        r.ping()
        assert r.get("csc:k") is None
    finally:
        r.close()


# ---------------------------------------------------------------------------- hostile clients
def _info_field(c: Conn, section: str, name: str):
    for line in c.reply("INFO", section).split(b"\r\n"):
        if line.startswith(name.encode() + b":"):
            return int(line.split(b":")[1])
    return None


def test_many_keys_then_disconnect(pickledbd_server):
    """A client tracking 100k keys disconnects: its entries leave the table (Redis keeps them
    until the keys change or tracking-table-max-keys evicts them)."""
    a, w = Conn(pickledbd_server, 3), Conn(pickledbd_server)
    w.reply("FLUSHALL")
    a.reply("CLIENT", "TRACKING", "on")
    keys = ["many:%d" % i for i in range(100_000)]
    for i in range(0, len(keys), 5000):
        a.reply("MGET", *keys[i:i + 5000])
    before = _info_field(w, "stats", "tracking_total_keys")
    a.close()
    t0 = time.monotonic()
    deadline = t0 + 10
    while True:
        n = _info_field(w, "stats", "tracking_total_keys")
        clients = _info_field(w, "clients", "tracking_clients")
        if clients == 0 and (n is None or n == 0) or time.monotonic() > deadline:
            break
        assert w.step() == b""            # the server keeps answering while it cleans up
        time.sleep(0.01)
    assert clients == 0
    if before is not None:                # INFO stats reports the table
        assert before == 100_000 and n == 0
    # writes of those keys cost nothing more and reach nobody
    assert w.step("MSET", "many:1", "x", "many:99999", "y") == b"+OK\r\n"


def test_many_keys_purge_in_process():
    from pickledbd.daemon.pubsub import tracking as mod
    srv = local()
    tr = srv.server.tracking
    a, b = srv.client(3), srv.client(3)
    srv.request(a, "CLIENT", "TRACKING", "on")
    srv.request(b, "CLIENT", "TRACKING", "on")
    keys = ["p:%d" % i for i in range(3 * mod.PURGE_CHUNK + 5)]
    srv.request(a, "MGET", *keys)
    srv.request(b, "GET", "p:7")
    assert tr.total_keys() == len(keys)
    t0 = time.perf_counter()
    srv.server.clients.forget(a)
    assert time.perf_counter() - t0 < 0.5
    assert len(srv.soon) == 1             # the rest is forgotten a chunk per loop turn
    steps = 0
    while srv.soon:
        srv.soon.pop(0)()
        steps += 1
    assert steps == 4
    assert (tr.total_keys(), tr.total_items()) == (1, 1)
    w = srv.client()
    assert srv.request(w, "SET", "p:7", "x") == b"+OK\r\n"
    assert srv.take_output(b) == b">2\r\n$10\r\ninvalidate\r\n*1\r\n$3\r\np:7\r\n"


def test_off_and_on_again_during_purge_keeps_new_reads():
    from pickledbd.daemon.pubsub import tracking as mod
    srv = local()
    tr = srv.server.tracking
    a, w = srv.client(3), srv.client()
    keys = ["q:%d" % i for i in range(2 * mod.PURGE_CHUNK)]
    srv.request(a, "CLIENT", "TRACKING", "on")
    srv.request(a, "MGET", *keys)
    srv.request(a, "CLIENT", "TRACKING", "off")
    srv.request(a, "CLIENT", "TRACKING", "on")
    srv.request(a, "GET", "q:5")              # read again before the purge reaches it
    run_soon(srv)
    assert (tr.total_keys(), tr.total_items()) == (1, 1)
    srv.request(w, "SET", "q:5", "x")
    assert srv.take_output(a) == b">2\r\n$10\r\ninvalidate\r\n*1\r\n$3\r\nq:5\r\n"


def test_ten_thousand_prefixes(redis_server, pickledbd_server):
    prefixes = ["pf:%05d:" % i for i in range(10_000)]
    cmd = ["CLIENT", "TRACKING", "on", "BCAST"] + sum([["PREFIX", p] for p in prefixes], [])
    clash = ["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "pf:00000:x"] + cmd[4:]

    def scenario(srv):
        a, w = Conn(srv, 3), Conn(srv)
        out = [("clash", a.step(*clash))]
        t0 = time.monotonic()
        out.append(("on", a.step(*cmd)))
        assert time.monotonic() - t0 < 2.0
        out.append(("info", a.step("CLIENT", "TRACKINGINFO")))
        t0 = time.monotonic()
        w.sock.sendall(b"".join(encode_command(["SET", "pf:%05d:k" % (i * 5), "1"]) for i in range(2000)))
        for i in range(2000):
            assert w.frame() == b"+OK\r\n"
        assert time.monotonic() - t0 < 5.0
        got = a.step()
        # how many loop turns the pipeline took differs: compare the keys
        out.append(("keys", sorted(pushed_keys(got))))
        out.append(("again", a.step("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "pf:00042:")))
        a.close()
        w.close()
        return out
    both(redis_server, pickledbd_server, scenario)


def test_ten_thousand_prefixes_late_clash(pickledbd_server):
    """A clash at the end of 10k prefixes is found without comparing every pair."""
    prefixes = ["pf:%05d:" % i for i in range(10_000)]
    cmd = ["CLIENT", "TRACKING", "on", "BCAST"] + sum([["PREFIX", p] for p in prefixes], [])
    a = Conn(pickledbd_server, 3)
    t0 = time.monotonic()
    assert a.step(*cmd, "PREFIX", "pf:09999:x") == (
        b"-ERR Prefix 'pf:09999:' overlaps with another provided prefix 'pf:09999:x'. "
        b"Prefixes for a single client must not overlap.\r\n")
    a.reply(*cmd)
    assert a.step(*cmd[:4], "PREFIX", "pf:", *cmd[4:]) == (
        b"-ERR Prefix 'pf:' overlaps with an existing prefix 'pf:00000:'. "
        b"Prefixes for a single client must not overlap.\r\n")
    assert time.monotonic() - t0 < 3.0
    a.close()


def test_prefix_overlap_reports_like_redis():
    """The O(n log n) overlap check names the pair Redis's pairwise loop names first."""
    import random
    from pickledbd.daemon.commands.tracking import prefix_overlap

    def redis_way(existing, given):
        for i, p in enumerate(given):
            for e in sorted(existing):
                if p.startswith(e) or e.startswith(p):
                    return "existing", p, e
            for q in given[i + 1:]:
                if p.startswith(q) or q.startswith(p):
                    return "another", p, q
        return None

    rng = random.Random(7)
    for _ in range(3000):
        alphabet = b"ab"
        existing = sorted({bytes(rng.choice(alphabet) for _ in range(rng.randint(1, 4)))
                           for _ in range(rng.randint(0, 3))})
        # existing prefixes of one client never overlap (but for the empty one)
        existing = [e for i, e in enumerate(existing) if not any(
            e.startswith(f) or f.startswith(e) for f in existing[:i])]
        given = [bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 4))) for _ in range(rng.randint(1, 5))]
        want = redis_way(existing, given)
        got = prefix_overlap(existing, given)
        if want is None:
            assert got is None
        else:
            kind, p, q = want
            assert got == ("ERR Prefix '%s' overlaps with %s prefix '%s'. Prefixes for a single client must "
                           "not overlap." % (p.decode(), "an existing" if kind == "existing" else "another provided",
                                             q.decode())), (existing, given)


def test_non_reading_tracker_hits_output_limit(redis_server, pickledbd_server):
    """A BCAST client that never reads while keys churn: its output buffer limit applies
    (the normal class has none by default, in Redis too: set one)."""
    for srv in (redis_server, pickledbd_server):
        w = Conn(srv)
        w.reply("CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 0 0")
        try:
            a = Conn(srv, 3)
            a.reply("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "churn:")
            a.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            name = "churn:" + "x" * 10_000
            gone = False
            for i in range(3000):
                w.send("SET", "%s%d" % (name, i), "1")
                if i % 100 == 99:
                    for _ in range(100):
                        assert w.frame() == b"+OK\r\n"
                    if b"id=%d " % a.id not in w.reply("CLIENT", "LIST"):
                        gone = True
                        break
            assert gone, srv
            assert w.step("PING") == b"+PONG\r\n"
            a.close()
        finally:
            w.reply("CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0")
            w.close()
