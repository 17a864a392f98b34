"""Start and stop real server processes for the tests: a reference redis-server and pickledbd.

Every server runs on a free loopback port, in its own directory, with its output going to a
log file in that directory.  Start-up is bounded in time (a PING must get +PONG within
``READY_TIMEOUT`` seconds, else the start fails with the log contents) and ``stop()`` always
ends the process (SIGTERM, then SIGKILL after ``STOP_TIMEOUT`` seconds).  Processes still
running when the interpreter exits are killed by an ``atexit`` hook.

Used by tests/conftest.py; usable directly too::

    srv = PickledbdServer(tmp_dir); srv.start()
    try: ... srv.client().set(b"k", b"v") ...
    finally: srv.stop()
"""

from __future__ import annotations

import contextlib
import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import weakref
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
REFERENCE_REDIS_VERSION = "7.0.15"   # the version protocol/*.t are written against
READY_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0
HOST = "127.0.0.1"

_live: "weakref.WeakSet[ServerProcess]" = weakref.WeakSet()


def free_port(host: str = HOST) -> int:
    """A TCP port that was free a moment ago (bind to port 0, read it, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def ci_enabled() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no", "off")


def redis_server_binary() -> str | None:
    return shutil.which("redis-server")


class ServerStartError(RuntimeError):
    pass


def _ping(host: str, port: int, timeout: float = 1.0) -> bool:
    """True when a raw RESP PING on a new connection gets exactly +PONG."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.sendall(b"*1\r\n$4\r\nPING\r\n")
            buf = b""
            while not buf.endswith(b"\r\n"):
                chunk = s.recv(64)
                if not chunk:
                    return False
                buf += chunk
            return buf == b"+PONG\r\n"
    except OSError:
        return False


class ServerProcess:
    """One server process: ``start()``, ``stop()``, ``restart()``, ``client()``; host/port/dir."""

    name = "server"

    def __init__(self, dir: str | os.PathLike, port: int | None = None, host: str = HOST,
                 extra_args: tuple[str, ...] | list[str] = ()):
        self.dir = Path(dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.host = host
        self.port = port if port is not None else free_port(host)
        self.extra_args = list(extra_args)
        self.log_path = self.dir / f"{self.name}.log"
        self.proc: subprocess.Popen | None = None
        self._clients: list = []
        self._log_file = None

    # -- subclass hooks ---------------------------------------------------------------
    def argv(self) -> list[str]:  # pragma: no cover - abstract
        raise NotImplementedError

    def cwd(self) -> str:
        return str(self.dir)

    def env(self) -> dict[str, str]:
        return dict(os.environ)

    # -- lifecycle --------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"

    def start(self, timeout: float = READY_TIMEOUT) -> "ServerProcess":
        if self.running:
            raise ServerStartError(f"{self.name} already running (pid {self.proc.pid})")
        self._log_file = open(self.log_path, "ab")
        self._log_file.write(f"\n=== start: {' '.join(self.argv())}\n".encode())
        self._log_file.flush()
        try:
            self.proc = subprocess.Popen(
                self.argv(), cwd=self.cwd(), env=self.env(), stdin=subprocess.DEVNULL,
                stdout=self._log_file, stderr=subprocess.STDOUT, start_new_session=True)
        except OSError as e:
            self._close_log()
            raise ServerStartError(f"cannot run {self.argv()[0]}: {e}") from e
        _live.add(self)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                rc = self.proc.returncode
                self._close_log()
                self.proc = None
                raise ServerStartError(
                    f"{self.name} exited with code {rc} before answering PING on "
                    f"{self.host}:{self.port}\ncommand: {self.argv()}\n--- log ---\n{self.log_text()}")
            if _ping(self.host, self.port, timeout=min(1.0, max(0.05, deadline - time.monotonic()))):
                return self
            if time.monotonic() >= deadline:
                self.stop()
                raise ServerStartError(
                    f"{self.name} did not answer PING with +PONG on {self.host}:{self.port} within "
                    f"{timeout:.0f}s\ncommand: {self.argv()}\n--- log ---\n{self.log_text()}")
            time.sleep(0.05)

    def stop(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """SIGTERM, wait up to ``timeout`` s, then SIGKILL. Returns the exit code (None if not running)."""
        for c in self._clients:
            try:
                c.close()
            except Exception:
                pass
        self._clients.clear()
        proc, self.proc = self.proc, None
        rc = None
        if proc is not None:
            rc = proc.poll()
            if rc is None:
                self._signal(proc, signal.SIGTERM)
                try:
                    rc = proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    self._signal(proc, signal.SIGKILL)
                    rc = proc.wait(STOP_TIMEOUT)
            # Anything left in the process group it led (e.g. a forked saver child).
            self._signal(proc, signal.SIGKILL, group_only=True)
        self._close_log()
        _live.discard(self)
        return rc

    def restart(self, timeout: float = READY_TIMEOUT) -> "ServerProcess":
        """Stop (SIGTERM, wait) and start again on the same dir and port."""
        self.stop()
        # The port may linger briefly; start() keeps polling until the deadline.
        return self.start(timeout)

    @staticmethod
    def _signal(proc: subprocess.Popen, sig: int, group_only: bool = False) -> None:
        # start_new_session=True: the child leads its own process group, whose id is its pid.
        try:
            os.killpg(proc.pid, sig)
            return
        except (ProcessLookupError, PermissionError):
            pass
        if not group_only:
            try:
                proc.send_signal(sig)
            except ProcessLookupError:
                pass

    def _close_log(self) -> None:
        if self._log_file is not None:
            try:
                self._log_file.close()
            except OSError:
                pass
            self._log_file = None

    # -- clients ----------------------------------------------------------------------
    def client(self, **kwargs):
        """A redis-py client (bytes replies, RESP2) closed again by ``stop()``. No retries by
        default: redis-py retries connection and authentication errors with seconds of
        back-off, where a test wants to see the error (pass ``retry=`` to get them back)."""
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        opts = dict(host=self.host, port=self.port, decode_responses=False, protocol=2,
                    socket_timeout=10, socket_connect_timeout=5, retry=Retry(NoBackoff(), 0))
        opts.update(kwargs)
        c = redis.Redis(**opts)
        self._clients.append(c)
        return c

    def connect(self, timeout: float = 5.0) -> socket.socket:
        """A plain socket connected to the server."""
        return socket.create_connection(self.address, timeout=timeout)

    def __repr__(self) -> str:
        state = f"pid {self.proc.pid}" if self.running else "stopped"
        return f"<{type(self).__name__} {self.host}:{self.port} {state} dir={self.dir}>"

    def __enter__(self):
        if not self.running:
            self.start()
        return self

    def __exit__(self, *exc):
        self.stop()


class RedisServer(ServerProcess):
    """The reference implementation: a real redis-server, no persistence."""

    name = "redis-server"

    def __init__(self, dir, port=None, host=HOST, extra_args=(), binary: str | None = None):
        super().__init__(dir, port, host, extra_args)
        self.binary = binary or redis_server_binary() or "redis-server"

    @property
    def version(self) -> str:
        """The binary's version, e.g. "7.0.15" ("" if unknown)."""
        try:
            out = subprocess.run([self.binary, "--version"], capture_output=True, text=True,
                                 timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            return ""
        for word in out.split():
            if word.startswith("v="):
                return word[2:]
        return ""

    def argv(self) -> list[str]:
        return [self.binary, "--port", str(self.port), "--bind", self.host, "--save", "",
                "--appendonly", "no", "--dir", str(self.dir), *self.extra_args]


class PickledbdServer(ServerProcess):
    """``python -m pickledbd`` from this checkout (cwd = repo root)."""

    name = "pickledbd"

    def __init__(self, dir, port=None, host=HOST, extra_args=(), dbfilename: str = "dump.json"):
        super().__init__(dir, port, host, extra_args)
        self.dbfilename = dbfilename

    # as Redis's own test suite (tests/assets/default.conf): tests may CONFIG SET dir and use
    # DEBUG; extra_args come later and win (tests of the protection pass "no")
    TEST_DEFAULTS = ("--enable-protected-configs", "yes", "--enable-debug-command", "yes")

    def argv(self) -> list[str]:
        return [sys.executable, "-m", "pickledbd", "--port", str(self.port), "--bind", self.host,
                "--dir", str(self.dir), "--dbfilename", self.dbfilename, "--save", "",
                *self.TEST_DEFAULTS, *self.extra_args]

    def cwd(self) -> str:
        return str(REPO_ROOT)

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PYTHONUNBUFFERED"] = "1"
        pp = env.get("PYTHONPATH")
        env["PYTHONPATH"] = str(REPO_ROOT) + (os.pathsep + pp if pp else "")
        return env


def start_with_retry(make, attempts: int = 3) -> ServerProcess:
    """Start ``make()`` (a fresh unstarted server on a new free port each time); retry when the
    process dies at start-up, which is usually a lost race for the free port."""
    last: Exception | None = None
    for _ in range(attempts):
        srv = make()
        try:
            return srv.start()
        except ServerStartError as e:
            last = e
            if srv.running:
                srv.stop()
            if "in use" not in str(e).lower():
                break  # only a lost race for the port is worth another try
    assert last is not None
    raise last


def send_pipelined(server: ServerProcess, requests, batch: int = 20000) -> list:
    """Send pre-encoded requests (``diff_resp.encode_command``) over one socket, ``batch`` at a time, and
    read every reply: a bulk fill at a fraction of redis-py's per-command client cost.
    Returns the replies (error replies as ``hiredis.ReplyError`` objects)."""
    import hiredis
    requests = list(requests)
    out: list = []
    with server.connect(timeout=120.0) as sock:
        reader = hiredis.Reader()
        for start in range(0, len(requests), batch):
            chunk = requests[start:start + batch]
            sock.sendall(b"".join(chunk))
            want = len(out) + len(chunk)
            while len(out) < want:
                reply = reader.gets()
                if reply is False:
                    data = sock.recv(1 << 20)
                    if not data:
                        raise ConnectionError("the server closed the connection")
                    reader.feed(data)
                else:
                    out.append(reply)
    return out


@atexit.register
def _kill_leftovers() -> None:
    for srv in list(_live):
        try:
            srv.stop(timeout=2.0)
        except Exception:
            pass


@contextlib.contextmanager
def tiny_fs(parent, size: str):
    """A real tmpfs of ``size`` (e.g. "1m") mounted under ``parent``, to fill up; skips the
    test where mounting is not allowed (it needs root)."""
    import pytest
    d = Path(parent) / "tiny"
    d.mkdir()
    if os.name != "posix" or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", str(d)], capture_output=True)
    if r.returncode != 0:
        pytest.skip("cannot mount a tmpfs here: " + r.stderr.decode(errors="replace"))
    try:
        yield d
    finally:
        if subprocess.run(["umount", str(d)]).returncode != 0:
            subprocess.run(["umount", "-l", str(d)], check=True)
