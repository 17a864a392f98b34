"""Redis's own tools against pickledbd: redis-cli (one-shot commands and an interactive session
in a pty, whose argument hints come from COMMAND DOCS) and redis-benchmark."""
from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import shutil
import struct
import subprocess
import termios
import time

import pytest

pytestmark = pytest.mark.skipif(shutil.which("redis-cli") is None, reason="redis-cli not installed")


def cli(srv, *args, input=None):
    res = subprocess.run(["redis-cli", "-h", srv.host, "-p", str(srv.port), *args], input=input,
                         capture_output=True, text=True, timeout=30)
    return res.stdout


@pytest.fixture(params=["pickledbd", "redis"])
def srv(request):
    return request.getfixturevalue("pickledbd_server" if request.param == "pickledbd" else "redis_server")


def test_one_shot_commands(srv):
    assert cli(srv, "PING") == "PONG\n"
    assert cli(srv, "SET", "cli-key", "hello world") == "OK\n"
    assert cli(srv, "GET", "cli-key") == "hello world\n"
    assert cli(srv, "--no-raw", "GET", "nosuch") == "(nil)\n"
    assert cli(srv, "--no-raw", "ECHO", "x") == '"x"\n'
    assert cli(srv, "DBSIZE").strip().isdigit()
    assert cli(srv, "CONFIG", "GET", "databases") == "databases\n16\n"
    assert "redis_version:" in cli(srv, "INFO", "server")
    assert cli(srv, "--no-raw", "SELECT", "99").startswith("(error) ERR DB index is out of range")
    assert "cmd=client|list" in cli(srv, "CLIENT", "LIST")
    assert cli(srv, "-3", "--no-raw", "HELLO", "3").startswith("1# \"server\" => \"redis\"")
    assert cli(srv, "DEL", "cli-key") == "1\n"


def test_pipe_mode_and_stdin(srv):
    out = cli(srv, input="SET a 1\nINCR a\nGET a\n")
    assert out == "OK\n2\n2\n"


def test_cli_with_password(start_pickledbd):
    s = start_pickledbd()
    c = s.client()
    c.config_set("requirepass", "pw")
    out = subprocess.run(["redis-cli", "-p", str(s.port), "--no-raw", "GET", "x"], capture_output=True,
                         text=True, timeout=10).stdout
    assert out.startswith("(error) NOAUTH Authentication required.")
    out = subprocess.run(["redis-cli", "-p", str(s.port), "-a", "pw", "--no-auth-warning", "PING"],
                         capture_output=True, text=True, timeout=10).stdout
    assert out == "PONG\n"
    out = subprocess.run(["redis-cli", "-p", str(s.port), "-a", "bad", "--no-auth-warning", "PING"],
                         capture_output=True, text=True, timeout=10)
    assert "WRONGPASS" in out.stdout + out.stderr


class Pty:
    """redis-cli in a pseudo-terminal (200 columns), answering linenoise's cursor queries."""

    def __init__(self, port):
        self.m, s = pty.openpty()
        fcntl.ioctl(s, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
        self.p = subprocess.Popen(["redis-cli", "-p", str(port)], stdin=s, stdout=s, stderr=s,
                                  env=dict(os.environ, TERM="xterm"), close_fds=True)
        os.close(s)

    def read(self, until: bytes | None = None, timeout: float = 5.0) -> bytes:
        out = b""
        end = time.time() + timeout
        while time.time() < end:
            r, _, _ = select.select([self.m], [], [], 0.05)
            if r:
                try:
                    chunk = os.read(self.m, 65536)
                except OSError:
                    break
                out += chunk
                if b"\x1b[6n" in chunk:
                    os.write(self.m, b"\x1b[1;1R")
                if until is not None and until in out:
                    # let the line settle
                    time.sleep(0.1)
                    continue
            elif until is not None and until in out:
                break
        return out

    def type(self, data: bytes) -> None:
        os.write(self.m, data)

    def close(self):
        try:
            self.type(b"\x15exit\r")
            self.p.wait(5)
        except Exception:
            self.p.kill()
            self.p.wait()
        os.close(self.m)


def _strip(b: bytes) -> str:
    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", b.decode(errors="replace"))


def test_interactive_hints_from_command_docs(pickledbd_server):
    r = pickledbd_server.client(decode_responses=True)
    r.config_resetstat()
    t = Pty(pickledbd_server.port)
    try:
        prompt = f"127.0.0.1:{pickledbd_server.port}> ".encode()
        t.read(until=prompt)
        # redis-cli fetched COMMAND DOCS from the server at start-up
        assert r.info("commandstats").get("cmdstat_command|docs", {}).get("calls", 0) >= 1
        t.type(b"SET ")
        out = _strip(t.read(until=b"KEEPTTL", timeout=5))
        assert "SET key value [NX|XX] [GET] [EX seconds|PX milliseconds|" in out, out
        # a 7.2 subcommand unknown to redis-cli 7.0's built-in table: the hint can only come
        # from our COMMAND DOCS
        t.type(b"\x15CLIENT SETINFO ")
        out = _strip(t.read(until=b"LIB-VER", timeout=5))
        assert "LIB-NAME libname|LIB-VER libver" in out, out
        t.type(b"\x15PING hello\r")
        out = _strip(t.read(until=b'"hello"', timeout=5))
        assert '"hello"' in out
    finally:
        t.close()


def test_redis_benchmark(pickledbd_server):
    if shutil.which("redis-benchmark") is None:
        pytest.skip("redis-benchmark not installed")
    res = subprocess.run(["redis-benchmark", "-h", pickledbd_server.host, "-p", str(pickledbd_server.port),
                          "-t", "ping,set,get,incr,mset", "-n", "10000", "-q"],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    out = res.stdout + res.stderr
    assert "error" not in out.lower() and "ERR" not in out
    for name in ("PING_INLINE", "PING_MBULK", "SET", "GET", "INCR", "MSET (10 keys)"):
        assert re.search(re.escape(name) + r": [0-9.]+ requests per second", out), (name, out)
    assert pickledbd_server.client().ping()
