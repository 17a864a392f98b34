"""Hostile clients against the configuration and the secrets (issue 9), side by side with
redis-server 7.0 where the behaviour is subtle:

- protected configs: CONFIG SET dir / dbfilename refused (enable-protected-configs no), so a
  client can no longer point SAVE at another program's file;
- DEBUG refused unless enable-debug-command allows it;
- passwords never reach MONITOR or SLOWLOG (AUTH, HELLO AUTH), and are compared in constant
  time;
- CONFIG SET maxclients beyond what the open-file limit allows is refused, naming what fits.
"""
from __future__ import annotations

import re
import socket
import sys
import time
from pathlib import Path

import pytest
import redis

sys.path.insert(0, str(Path(__file__).resolve().parent))

from servers import PickledbdServer, RedisServer, redis_server_binary, start_with_retry  # noqa: E402

# as redis-py words them: without the "ERR " prefix
PROTECTED = "CONFIG SET failed (possibly related to argument '%s') - can't set protected config"
IMMUTABLE = "CONFIG SET failed (possibly related to argument '%s') - can't set immutable config"
DEBUG_REFUSED = ("DEBUG command not allowed. If the enable-debug-command option is set to \"local\", "
                 "you can run it from a local connection, otherwise you need to set this option in "
                 "the configuration file, and then restart the server.")


def _need_redis():
    if redis_server_binary() is None:
        pytest.skip("redis-server binary not found on PATH")


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """redis-server and pickledbd, both with their defaults for the protections and a password."""
    _need_redis()
    rd = start_with_retry(lambda: RedisServer(tmp_path_factory.mktemp("r")))
    pd = start_with_retry(lambda: PickledbdServer(
        tmp_path_factory.mktemp("p"), extra_args=["--enable-protected-configs", "no",
                                                  "--enable-debug-command", "no"]))
    for srv in (rd, pd):        # after the start: the readiness PING has no password
        srv.client().config_set("requirepass", "pw")
    try:
        yield rd, pd
    finally:
        pd.stop()
        rd.stop()


def _reply(srv, *args):
    r = srv.client(password="pw", decode_responses=True)
    try:
        return r.execute_command(*args)
    except redis.ResponseError as e:
        return "-" + str(e)


# ------------------------------------------------------------------ protected configs
@pytest.mark.parametrize("args", [
    ("CONFIG", "SET", "dir", "/tmp"),
    ("CONFIG", "SET", "dbfilename", "x.rdb"),
    ("CONFIG", "SET", "dbfilename", "/etc/passwd"),
    ("CONFIG", "SET", "dir", "/nonexistent"),
    ("CONFIG", "SET", "dir", "/tmp", "dbfilename", "y"),
    ("CONFIG", "SET", "hz", "10", "dbfilename", "y"),
    ("CONFIG", "SET", "nosuch", "1", "dir", "/tmp"),
    ("CONFIG", "SET", "pidfile", "/tmp/p"),
    ("CONFIG", "SET", "logfile", "/tmp/l"),
    ("CONFIG", "SET", "enable-protected-configs", "yes"),
    ("CONFIG", "SET", "enable-debug-command", "yes"),
    ("CONFIG", "GET", "enable-protected-configs"),
    ("CONFIG", "GET", "enable-debug-command"),
    ("DEBUG", "SLEEP", "0"),
    ("DEBUG", "nosuch"),
    ("DEBUG",),
])
def test_protections_match_redis(pair, args):
    rd, pd = pair
    want = _reply(rd, *args)
    assert _reply(pd, *args) == want
    assert want not in ("OK", b"OK", True)


def test_config_set_cannot_redirect_save(pair, tmp_path):
    """The attack of the issue: CONFIG SET dir + dbfilename + SAVE to overwrite another file."""
    _, pd = pair
    victim = tmp_path / "victim.conf"
    victim.write_text("important = true\n")
    r = pd.client(password="pw", decode_responses=True)
    r.set("payload", "\n*/1 * * * * evil\n")
    for name, value in (("dir", str(tmp_path)), ("dbfilename", "victim.conf")):
        with pytest.raises(redis.ResponseError) as e:
            r.config_set(name, value)
        assert str(e.value) == PROTECTED % name
    assert r.config_get("dir")["dir"] == str(pd.dir)
    r.save()
    assert victim.read_text() == "important = true\n"
    assert (pd.dir / "dump.json").exists()


def test_protected_configs_local_and_yes(start_pickledbd, tmp_path):
    """local: loopback clients may; yes: anyone may (a path still is refused as dbfilename)."""
    srv = start_pickledbd("--enable-protected-configs", "local", "--enable-debug-command", "local")
    r = srv.client(decode_responses=True)
    (tmp_path / "d").mkdir()
    assert r.config_set("dir", str(tmp_path / "d"))
    assert r.config_set("dbfilename", "other.json")
    with pytest.raises(redis.ResponseError, match="dbfilename can't be a path, just a filename"):
        r.config_set("dbfilename", "../escape.json")
    r.set("k", "v")
    r.save()
    assert (tmp_path / "d" / "other.json").exists()
    assert r.execute_command("DEBUG", "SLEEP", "0") == "OK"
    with pytest.raises(redis.ResponseError, match=re.escape(IMMUTABLE % "enable-protected-configs")):
        r.config_set("enable-protected-configs", "no")


def test_debug_local_refused_from_a_non_loopback_address(start_pickledbd):
    """"local" means 127.0.0.1, ::1 or a unix socket: a client on another address is refused."""
    addr = _non_loopback_address()
    if addr is None:
        pytest.skip("no non-loopback IPv4 address on this machine")
    srv = start_pickledbd("--bind", "127.0.0.1 %s" % addr, "--enable-debug-command", "local",
                          "--enable-protected-configs", "local", "--protected-mode", "no")
    far = redis.Redis(host=addr, port=srv.port, decode_responses=True, socket_timeout=10)
    try:
        with pytest.raises(redis.ResponseError) as e:
            far.execute_command("DEBUG", "SLEEP", "0")
        assert str(e.value) == DEBUG_REFUSED
        with pytest.raises(redis.ResponseError) as e:
            far.config_set("dir", "/tmp")
        assert str(e.value) == PROTECTED % "dir"
    finally:
        far.close()
    assert srv.client(decode_responses=True).execute_command("DEBUG", "SLEEP", "0") == "OK"


def test_local_includes_unix_socket_clients(start_pickledbd, tmp_path):
    sock_path = str(tmp_path / "pd.sock")
    srv = start_pickledbd("--unixsocket", sock_path, "--enable-debug-command", "local",
                          "--enable-protected-configs", "local")
    r = redis.Redis(unix_socket_path=sock_path, decode_responses=True, socket_timeout=10)
    try:
        assert r.execute_command("DEBUG", "SLEEP", "0") == "OK"
        assert r.config_set("dbfilename", "via-unix.json")
    finally:
        r.close()
    assert srv.client(decode_responses=True).config_get("dbfilename") == {"dbfilename": "via-unix.json"}


def _non_loopback_address() -> str | None:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.255.255.255", 1))       # no packet is sent: picks the route's address
            addr = s.getsockname()[0]
    except OSError:
        return None
    return None if addr.startswith("127.") else addr


# ------------------------------------------------------------------ secrets
SECRET_SCRIPT = [
    b"AUTH pw\r\n", b"AUTH default pw\r\n", b"AUTH wrong\r\n",
    b"HELLO 3 AUTH default pw SETNAME x\r\n", b"HELLO 2 AUTH default bad\r\n",
    b"HELLO 3 SETNAME auth AUTH default pw\r\n", b"HELLO 3 AUTH default pw AUTH x y\r\n",
    b"HELLO 3 AUTH default\r\n", b"PING\r\n",
]


def _monitor_and_slowlog(srv) -> tuple[list[str], list[list[str]]]:
    r = srv.client(password="pw", decode_responses=True)
    r.config_set("slowlog-log-slower-than", "0")
    r.slowlog_reset()
    mon = srv.connect()
    mon.sendall(b"AUTH pw\r\nMONITOR\r\n")
    _read_until(mon, b"+OK\r\n+OK\r\n")
    cl = srv.connect()
    for line in SECRET_SCRIPT:
        cl.sendall(line)
        time.sleep(0.02)
    got = _read_until(mon, b'"PING"\r\n')
    mon.close()
    cl.close()
    lines = [re.sub(r"^\+[0-9.]+ \[0 [^\]]+\] ", "", x) for x in got.decode().split("\r\n") if x]
    r.config_set("slowlog-log-slower-than", "-1")
    entries = [e["command"].decode() for e in r.slowlog_get(-1)][::-1]
    r.config_set("slowlog-log-slower-than", "10000")
    return lines, [e for e in entries if not e.startswith(("CONFIG", "SLOWLOG"))]


def _read_until(sock, end: bytes, timeout: float = 5.0) -> bytes:
    sock.settimeout(timeout)
    buf = b""
    deadline = time.monotonic() + timeout
    while not buf.endswith(end) and time.monotonic() < deadline:
        chunk = sock.recv(65536)
        if not chunk:
            break
        buf += chunk
    return buf


def test_passwords_redacted_in_monitor_and_slowlog_as_redis(pair):
    rd, pd = pair
    want_mon, want_slow = _monitor_and_slowlog(rd)
    got_mon, got_slow = _monitor_and_slowlog(pd)
    assert got_mon == want_mon
    assert got_slow == want_slow
    joined = "\n".join(got_mon + got_slow)
    assert "pw" not in joined.replace("(redacted)", "") and "bad" not in joined
    assert '"AUTH" "(redacted)" "(redacted)"' in got_mon


def test_auth_syntax_error_redacted_too(pair):
    """Deviation, on the safe side: Redis 7.0 shows "AUTH a b c" (a syntax error) as typed;
    pickledbd redacts every argument of AUTH."""
    _, pd = pair
    mon = pd.connect()
    mon.sendall(b"AUTH pw\r\nMONITOR\r\n")
    _read_until(mon, b"+OK\r\n+OK\r\n")
    cl = pd.connect()
    cl.sendall(b"AUTH pw\r\nAUTH user pw extra\r\nPING\r\n")
    got = _read_until(mon, b'"PING"\r\n')
    mon.close()
    cl.close()
    assert b'"AUTH" "(redacted)" "(redacted)" "(redacted)"' in got and b"pw" not in got


def test_password_compare_is_digest_based():
    """Equal-time comparison: digests of both sides, whatever their lengths."""
    from pickledbd.daemon.commands.connection import same_secret
    assert same_secret("pw", "pw") and same_secret("\udcff", "\udcff")
    assert not same_secret("pw", "pw2") and not same_secret("", "pw")


# ------------------------------------------------------------------ maxclients vs open files
class _Limited(PickledbdServer):
    """pickledbd under ``ulimit -n`` = NOFILE (soft and hard)."""

    NOFILE = 128

    def argv(self):
        return _with_nofile(super().argv(), self.NOFILE)


def _with_nofile(argv: list[str], n: int) -> list[str]:
    return [sys.executable, "-c", "import os, resource, sys; "
            "resource.setrlimit(resource.RLIMIT_NOFILE, (%d, %d)); "
            "os.execvp(sys.argv[1], sys.argv[1:])" % (n, n), *argv]


def test_config_set_maxclients_beyond_the_open_file_limit(tmp_path):
    _need_redis()

    class LimitedRedis(RedisServer):
        def argv(self):
            return _with_nofile(super().argv(), _Limited.NOFILE)

    rd = start_with_retry(lambda: LimitedRedis(tmp_path / "r"))
    pd = start_with_retry(lambda: _Limited(tmp_path / "p"))
    try:
        for args in (("CONFIG", "GET", "maxclients"), ("CONFIG", "SET", "maxclients", "500"),
                     ("CONFIG", "SET", "maxclients", "50"), ("CONFIG", "GET", "maxclients")):
            want = rd.client(decode_responses=True)
            got = pd.client(decode_responses=True)
            try:
                w = want.execute_command(*args)
            except redis.ResponseError as e:
                w = str(e)
            try:
                g = got.execute_command(*args)
            except redis.ResponseError as e:
                g = str(e)
            assert g == w, args
    finally:
        pd.stop()
        rd.stop()
