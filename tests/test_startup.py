"""Start-up under hostile or faulty conditions (issue 9), against real processes:

- bad command lines and config files fail at once with one line, no traceback: a bare
  ``--requirepass``, a log file that cannot be opened, a file that includes itself, a
  missing include (named); a config file that is not UTF-8 is read as bytes, as Redis does;
- ``daemonize yes`` detaches, writes the pidfile, and SHUTDOWN removes it;
- ``tcp-keepalive`` reaches the accepted sockets (the kernel's keepalive timer, /proc/net/tcp);
- maxclients is fitted to the open-file limit as Redis fits it, so a full client table
  leaves descriptors for the shutdown save: SIGTERM saves and exits.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

sys.path.insert(0, str(Path(__file__).resolve().parent))

from servers import (  # noqa: E402
    REPO_ROOT, PickledbdServer, RedisServer, free_port, redis_server_binary, start_with_retry)

CLI_TIMEOUT = 20


def _run(*args: str, cwd=None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    return subprocess.run([sys.executable, "-m", "pickledbd", *args], capture_output=True,
                          text=True, timeout=CLI_TIMEOUT, env=env, cwd=cwd or str(REPO_ROOT),
                          stdin=subprocess.DEVNULL)


def _one_line_error(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    err = proc.stderr.strip()
    assert "Traceback" not in err and "\n" not in err, err
    return err


# ------------------------------------------------------------------ bad input at start
def test_bare_requirepass_is_an_error(tmp_path):
    """redis-server: "wrong number of arguments"; never a server without a password."""
    err = _one_line_error(_run("--port", str(free_port()), "--dir", str(tmp_path), "--requirepass"))
    assert "--requirepass" in err and "wrong number of arguments" in err
    err = _one_line_error(_run("--port", str(free_port()), "--dir", str(tmp_path),
                               "--requirepass", "--save", ""))
    assert "--requirepass" in err


def test_bare_flags_rejected_as_redis_does(tmp_path):
    for flag in ("--notify-keyspace-events", "--daemonize"):
        err = _one_line_error(_run("--port", str(free_port()), "--dir", str(tmp_path), flag))
        assert flag in err


def test_unopenable_logfile(tmp_path):
    err = _one_line_error(_run("--port", str(free_port()), "--dir", str(tmp_path),
                               "--logfile", str(tmp_path / "no" / "such" / "x.log")))
    assert err.startswith("pickledbd: Can't open the log file") and "No such file or directory" in err


def test_self_include_and_include_loop(tmp_path):
    me = tmp_path / "me.conf"
    me.write_text("include %s\nport 1\n" % me)
    err = _one_line_error(_run(str(me)))
    assert "includes itself" in err and str(me) in err
    a, b = tmp_path / "a.conf", tmp_path / "b.conf"
    a.write_text("include %s\n" % b)
    b.write_text("include %s\n" % a)
    assert "includes itself" in _one_line_error(_run(str(a)))


def test_missing_include_names_the_missing_file(tmp_path):
    conf = tmp_path / "main.conf"
    conf.write_text("port 1\ninclude %s\n" % (tmp_path / "nope.conf"))
    want = "Fatal error, can't open config file '%s': No such file or directory" % (
        tmp_path / "nope.conf")
    assert _one_line_error(_run(str(conf))) == want
    assert _one_line_error(_run("--port", "1", "--include", str(tmp_path / "nope.conf"))) == want


def test_non_utf8_config_file_is_read_as_bytes(tmp_path):
    """Redis reads the file as bytes: a binary password works, byte for byte."""
    conf = tmp_path / "bin.conf"
    conf.write_bytes(b"# caf\xe9 (latin-1 comment)\nrequirepass \xff\xfepw\n")
    srv = PickledbdServer(tmp_path, extra_args=())
    srv.argv = lambda: ([sys.executable, "-m", "pickledbd", str(conf)] +
                        PickledbdServer.argv(srv)[3:])
    proc = subprocess.Popen(srv.argv(), cwd=srv.cwd(), env=srv.env(), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        r = _wait_client(srv.port, password=b"\xff\xfepw", proc=proc)
        assert r.ping()
        with pytest.raises(redis.AuthenticationError):
            redis.Redis(port=srv.port, password="pw", socket_timeout=5,
                        retry=Retry(NoBackoff(), 0)).ping()      # no back-off retries
        r.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(CLI_TIMEOUT)
        proc.stderr.close()


def _wait_client(port: int, proc=None, timeout: float = 15.0, **kw) -> redis.Redis:
    deadline = time.monotonic() + timeout
    while True:
        r = redis.Redis(port=port, socket_timeout=5, **kw)
        try:
            r.ping()
            return r
        except redis.ConnectionError:
            r.close()
            if proc is not None and proc.poll() is not None:
                raise AssertionError("server exited: %s" % proc.stderr.read())
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


# ------------------------------------------------------------------ daemonize
def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def test_daemonize_detaches_with_a_pidfile(tmp_path):
    port = free_port()
    pidfile = tmp_path / "pd.pid"
    t0 = time.monotonic()
    proc = _run("--port", str(port), "--dir", str(tmp_path), "--save", "", "--daemonize", "yes",
                "--pidfile", str(pidfile), "--logfile", str(tmp_path / "pd.log"))
    took = time.monotonic() - t0
    pid = int(pidfile.read_text())
    try:
        assert proc.returncode == 0, proc.stderr
        assert took < CLI_TIMEOUT / 2
        assert pid != os.getpid() and _alive(pid)
        assert os.getsid(pid) == pid          # its own session: no controlling terminal
        r = redis.Redis(port=port, socket_timeout=5, decode_responses=True)
        assert r.ping() and r.info("server")["process_id"] == pid
        assert r.config_get("daemonize") == {"daemonize": "yes"}
        try:
            r.shutdown(nosave=True)
        except redis.ConnectionError:
            pass
        deadline = time.monotonic() + 10
        while (_alive(pid) or pidfile.exists()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not pidfile.exists() and not _alive(pid)
        assert "Ready to accept connections" in (tmp_path / "pd.log").read_text()
    finally:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)


def test_daemonize_reports_a_failed_start(tmp_path):
    """The launcher waits for the daemon: a port in use is its exit status and stderr."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        proc = _run("--port", str(port), "--dir", str(tmp_path), "--save", "", "--daemonize", "yes",
                    "--pidfile", str(tmp_path / "pd.pid"))
    err = _one_line_error(proc)
    assert "Address already in use" in err
    assert not (tmp_path / "pd.pid").exists()


# ------------------------------------------------------------------ tcp-keepalive
def _server_side_timer(port: int, client: socket.socket) -> str:
    """The timer field of the server's end of ``client``'s connection in /proc/net/tcp:
    "02:..." is the keepalive timer, "00:..." none."""
    cport = client.getsockname()[1]
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            if fields[1].endswith(":%04X" % port) and fields[2].endswith(":%04X" % cport):
                return fields[5]
    raise AssertionError("connection not found in /proc/net/tcp")


def _keepalive_state(srv) -> tuple[str, str]:
    out = []
    for value in (None, "0"):
        if value is not None:
            srv.client().config_set("tcp-keepalive", value)
        s = srv.connect()
        s.sendall(b"PING\r\n")
        assert s.recv(16) == b"+PONG\r\n"
        out.append(_server_side_timer(srv.port, s).split(":")[0])
        s.close()
    srv.client().config_set("tcp-keepalive", "300")
    return tuple(out)


@pytest.mark.skipif(not os.path.exists("/proc/net/tcp"), reason="needs Linux /proc/net/tcp")
def test_tcp_keepalive_applied_as_redis(start_pickledbd, tmp_path):
    srv = start_pickledbd()
    s = srv.connect()
    s.sendall(b"PING\r\n")
    assert s.recv(16) == b"+PONG\r\n"
    timer = _server_side_timer(srv.port, s)
    s.close()
    assert timer.startswith("02:")
    assert 29000 <= int(timer.split(":")[1], 16) <= 30000      # 300 s, in USER_HZ ticks
    got = _keepalive_state(srv)
    assert got == ("02", "00")
    if redis_server_binary():
        rd = start_with_retry(lambda: RedisServer(tmp_path / "redis"))
        try:
            assert _keepalive_state(rd) == got
        finally:
            rd.stop()


# ------------------------------------------------------------------ open files vs maxclients
NOFILE = 128


def _with_nofile(argv: list[str]) -> list[str]:
    return [sys.executable, "-c", "import os, resource, sys; "
            "resource.setrlimit(resource.RLIMIT_NOFILE, (%d, %d)); "
            "os.execvp(sys.argv[1], sys.argv[1:])" % (NOFILE, NOFILE), *argv]


class _LimitedPickledbd(PickledbdServer):
    def argv(self):
        return _with_nofile(super().argv() + ["--save", "3600 1"])


class _LimitedRedis(RedisServer):
    def argv(self):
        return _with_nofile(super().argv())


def _fill(srv, n: int) -> tuple[list, list, int]:
    """Open ``n`` connections: (served, left unanswered, refused for maxclients)."""
    served, stuck, refused = [], [], 0
    for _ in range(n):
        s = srv.connect(timeout=2)
        s.sendall(b"PING\r\n")
        try:
            got = s.recv(64)
        except (socket.timeout, ConnectionError):
            got = b""
        if not got:                 # dropped or never accepted: out of descriptors
            stuck.append(s)
            continue
        if got.startswith(b"-ERR max number of clients reached"):
            refused += 1
            s.close()
        else:
            assert got == b"+PONG\r\n", got
            served.append(s)
    return served, stuck, refused


def test_maxclients_fitted_to_the_open_file_limit_as_redis(tmp_path):
    pd = start_with_retry(lambda: _LimitedPickledbd(tmp_path / "p"))
    try:
        got = pd.client(decode_responses=True).config_get("maxclients")["maxclients"]
        log = pd.log_text()
    finally:
        pd.stop()
    assert got == str(NOFILE - 32)
    assert "You requested maxclients of 10000 requiring at least 10032 max file descriptors." in log
    assert ("Current maximum open files is %d. maxclients has been reduced to %d to compensate for "
            "low ulimit." % (NOFILE, NOFILE - 32)) in log
    if redis_server_binary():
        rd = start_with_retry(lambda: _LimitedRedis(tmp_path / "r"))
        try:
            assert rd.client(decode_responses=True).config_get("maxclients")["maxclients"] == got
        finally:
            rd.stop()


def test_sigterm_with_a_full_client_table_saves_and_exits(tmp_path):
    """More clients than descriptors: the extra ones are refused, and the shutdown save still
    has descriptors to write with (before: "Too many open files", SIGTERM could not exit)."""
    pd = start_with_retry(lambda: _LimitedPickledbd(tmp_path / "p"))
    served, stuck = [], []
    try:
        r = pd.client()
        r.set("k", "v")
        served, stuck, refused = _fill(pd, NOFILE + 8)
        proc = pd.proc
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(15)
        except subprocess.TimeoutExpired:
            rc = None
        assert rc == 0, pd.log_text()[-2000:]
        assert json.loads((pd.dir / "dump.json").read_text()) == {"k": "v"}
        assert (len(served), len(stuck)) == (NOFILE - 32 - 1, 0)   # redis-py holds one more
        assert refused == NOFILE + 8 - len(served)
    finally:
        for s in served + stuck:
            s.close()
        pd.stop()
