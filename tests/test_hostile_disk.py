"""Failing disks and crashed saves, side by side with redis-server 7.0 where it applies:

- a failed background save (full disk, killed child) turns writes into -MISCONF until a save
  succeeds; a failed foreground SAVE only answers -ERR (as Redis: it is not a bgsave status);
- a crash during BGSAVE frees the port at once (the child closes the parent's sockets) and
  the saver dies with its parent, so a restarted daemon owns the data file alone;
- a 0-byte data file refuses to start, as Redis refuses an empty RDB.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

sys.path.insert(0, str(Path(__file__).resolve().parent))
import servers  # noqa: E402
from servers import PickledbdServer, RedisServer, redis_server_binary, start_with_retry  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
KINDS = ["redis", "json", "sqlite"]
DBFILE = {"redis": "dump.rdb", "json": "dump.json", "sqlite": "dump.sqlite3"}


def _need(kind):
    if kind == "redis" and redis_server_binary() is None:
        pytest.skip("no redis-server")


def _server(kind, d, *args, port=None):
    if kind == "redis":
        return RedisServer(d, port=port, extra_args=list(args))
    return PickledbdServer(d, port=port, extra_args=list(args), dbfilename=DBFILE[kind])


def _error(fn, *args):
    try:
        fn(*args)
    except redis.ResponseError as e:
        return str(e)
    return None


def _wait_bgsave_done(r, timeout=30.0):
    deadline = time.monotonic() + timeout
    while r.info("persistence")["rdb_bgsave_in_progress"]:
        assert time.monotonic() < deadline, "BGSAVE did not finish"
        time.sleep(0.05)
    time.sleep(0.25)        # pickledbd's gate follows the reaped child within a cron tick


def _write_sets(path: Path, n: int) -> None:
    from pickledbd.storage import State, open_storage
    open_storage(str(path)).save(State(dbs={0: {f"key:{i}": {"a", "b", "c"} for i in range(n)}}))


def _children(pid: int) -> list[int]:
    """Live (non-zombie) children of pid, from /proc."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(name))
    return out


def _alive(pid: int) -> bool:
    return _state(pid) not in ("Z", "X", "gone")


def _sockets(pid: int) -> int:
    n = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            n += os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
        except OSError:
            pass
    return n


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


def _stop(pid: int) -> bool:
    """SIGSTOP pid; True once it is stopped (an exiting process never is)."""
    try:
        os.kill(pid, signal.SIGSTOP)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        st = _state(pid)
        if st in ("T", "t"):
            return True
        if st in ("Z", "X", "gone"):
            return False
        time.sleep(0.005)
    return False


def _stopped_saver(r, pid: int, watch_sockets: bool = True) -> int:
    """Start a BGSAVE, watch its child until it holds none of the parent's sockets, and stop
    it there (a child that keeps them until it exits fails the test). Redis's child closes
    the listening sockets but keeps its clients' (watch_sockets=False: stopped after 0.3 s)."""
    for _ in range(5):
        assert r.bgsave()
        child = None
        deadline = time.monotonic() + 2.0
        while child is None and time.monotonic() < deadline:
            kids = _children(pid)
            child = kids[0] if kids else None
        if child is not None and not watch_sockets:
            time.sleep(0.3)
            if _stop(child):
                return child
        while child is not None and watch_sockets and _alive(child):
            try:
                if not _sockets(child) and _stop(child):
                    return child
            except (ProcessLookupError, FileNotFoundError):
                break
        _wait_bgsave_done(r)
    pytest.fail("the BGSAVE child kept the parent's sockets until it exited")


def _raw(srv, *args) -> bytes:
    """One command on a fresh socket: its reply's first line, as sent."""
    with srv.connect() as s:
        s.sendall(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args))
        buf = b""
        while not buf.endswith(b"\r\n"):
            chunk = s.recv(4096)
            assert chunk, "connection closed"
            buf += chunk
        return buf


@pytest.fixture
def tiny_fs(tmp_path):
    """A real 1 MiB file system (tmpfs) to fill up; needs root and mount permission."""
    from servers import tiny_fs as mount
    with mount(tmp_path, "1m") as d:
        yield d


# ------------------------------------------------------------------ full disk, -MISCONF

@pytest.mark.parametrize("kind", KINDS)
def test_full_disk_misconf_until_a_save_succeeds(tiny_fs, kind):
    _need(kind)
    srv = start_with_retry(lambda: _server(kind, tiny_fs, "--save", "3600 1"))
    try:
        r = srv.client()
        assert r.set("small", "1") and r.save()
        r.set("big", os.urandom(1_500_000))          # incompressible, larger than the disk
        # a foreground SAVE that fails: -ERR, and nothing else changes (writes go on)
        assert _raw(srv, b"SAVE") == b"-ERR\r\n"
        p = r.info("persistence")
        assert p["rdb_last_bgsave_status"] == "ok" and p["rdb_changes_since_last_save"] == 1
        assert r.set("k", "v")
        # a background save that fails: every write is refused until a save succeeds
        assert r.bgsave()
        _wait_bgsave_done(r)
        p = r.info("persistence")
        assert p["rdb_last_bgsave_status"] == "err" and p["rdb_changes_since_last_save"] == 2
        misconf = _error(r.set, "k", "w")
        assert misconf == (
            "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist "
            "to disk. Commands that may modify the data set are disabled, because this instance is "
            "configured to report errors during writes if RDB snapshotting fails "
            "(stop-writes-on-bgsave-error option). Please check the Redis logs for details about the "
            "RDB error.")
        assert _error(r.delete, "big") == misconf           # freeing space is a write too
        assert r.get("k") == b"v"                            # reads go on
        # the operator lets writes through, frees the space; still refused until a save works
        r.config_set("stop-writes-on-bgsave-error", "no")
        assert r.delete("big") == 1
        r.config_set("stop-writes-on-bgsave-error", "yes")
        assert _error(r.set, "k", "w") == misconf
        assert r.bgsave()
        _wait_bgsave_done(r)
        assert r.info("persistence")["rdb_last_bgsave_status"] == "ok"
        assert r.set("k", "after")
    finally:
        srv.stop()
    assert not [n for n in os.listdir(tiny_fs) if n.endswith(".pdbtmp") or n.startswith("temp-")]


@pytest.mark.parametrize("kind", ["json", "sqlite"])
def test_full_disk_shutdown_save_keeps_running(tiny_fs, kind):
    """SHUTDOWN cannot save: the server refuses to exit (as Redis), the old file is intact."""
    srv = start_with_retry(lambda: _server(kind, tiny_fs, "--save", "3600 1"))
    try:
        r = srv.client()
        r.set("small", "1")
        r.save()
        r.set("big", os.urandom(1_500_000))
        assert _error(r.shutdown) == "Errors trying to SHUTDOWN. Check logs."
        assert r.get("small") == b"1"
    finally:
        srv.stop()


# ------------------------------------------------------------------ a killed saver

@pytest.mark.parametrize("kind", KINDS)
def test_killed_bgsave_child_is_a_failed_save(tmp_path, kind):
    _need(kind)
    if kind == "json":
        _write_sets(tmp_path / DBFILE[kind], 200_000)
    srv = start_with_retry(lambda: _server(kind, tmp_path, "--save", "3600 1"))
    try:
        r = srv.client()
        if kind == "sqlite":
            r.config_set("dbfilename", "full.sqlite3")   # the next save writes every key
        if kind == "redis":
            pipe = r.pipeline(transaction=False)
            for i in range(3000):
                pipe.set(f"key:{i}", "x")
            pipe.execute()
            r.config_set("rdb-key-save-delay", "1000")    # 1 ms a key: a slow child
        elif kind == "sqlite":
            pipe = r.pipeline(transaction=False)
            for i in range(0, 200_000, 1000):
                pipe.mset({f"key:{j}": "x" * 40 for j in range(i, i + 1000)})
            pipe.execute()
        child = _stopped_saver(r, srv.proc.pid, watch_sockets=kind != "redis")
        os.kill(child, signal.SIGKILL)
        _wait_bgsave_done(r)
        assert r.info("persistence")["rdb_last_bgsave_status"] == "err"
        assert _error(r.set, "k", "v").startswith("MISCONF ")
        if kind == "redis":
            r.config_set("rdb-key-save-delay", "0")
        assert r.save()                      # a successful save lifts it
        assert r.info("persistence")["rdb_last_bgsave_status"] == "ok"
        assert r.set("k", "v")
    finally:
        srv.stop()


# ------------------------------------------------------------------ a crash during BGSAVE

def _can_bind(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((servers.HOST, port))
            s.listen()
            return True
        except OSError:
            return False


@pytest.mark.parametrize("kind", KINDS)
def test_crash_during_bgsave_frees_the_port_and_the_file(tmp_path, kind):
    _need(kind)
    n = 200_000
    if kind == "json":      # sets: a save long enough (0.3 s and more) to be caught in the act
        _write_sets(tmp_path / "dump.json", n)
    srv = start_with_retry(lambda: _server(kind, tmp_path))
    child = None
    try:
        r = srv.client()
        c = srv.connect()                               # a client of the crashed server
        if kind == "redis":
            pipe = r.pipeline(transaction=False)
            for i in range(3000):
                pipe.set(f"key:{i}", "x")
            pipe.execute()
            r.config_set("rdb-key-save-delay", "1000")
        elif kind == "sqlite":
            pipe = r.pipeline(transaction=False)
            for i in range(0, n, 1000):
                pipe.mset({f"key:{j}": "x" * 40 for j in range(i, i + 1000)})
            pipe.execute()
            r.save()
            r.config_set("dbfilename", "full.sqlite3")   # the child rewrites every key there
        parent = srv.proc.pid
        child = _stopped_saver(r, parent, watch_sockets=kind != "redis")
        os.kill(parent, signal.SIGKILL)                 # the crash, mid-save
        srv.proc.wait(10)
        srv.proc = None
        assert _can_bind(srv.port), "the saving child still holds the port"
        if kind != "redis":
            c.settimeout(5)
            assert c.recv(16) == b""                    # the client sees its connection end
        c.close()
        if kind != "redis":                             # ours dies with its parent
            deadline = time.monotonic() + 5
            while _alive(child) and time.monotonic() < deadline:
                time.sleep(0.02)
            assert not _alive(child), "the saving child outlived its parent"
        else:
            os.kill(child, signal.SIGKILL)              # Redis's would exit at its next report
        # a new server on the same port and the same file: starts, owns the file, saves
        name = "full.sqlite3" if kind == "sqlite" else DBFILE[kind]
        port = srv.port
        if kind == "redis":
            srv2 = RedisServer(tmp_path, port=port, extra_args=["--dbfilename", name])
        else:
            srv2 = PickledbdServer(tmp_path, port=port, dbfilename=name)
        srv2.start()
        try:
            r2 = srv2.client()
            if kind == "json":
                assert r2.dbsize() == n and r2.smembers("key:7") == {b"a", b"b", b"c"}
            elif kind == "sqlite":                      # the crashed save never committed
                assert r2.dbsize() in (0, n)
            assert r2.set("after", "1") and r2.save()
            srv2.restart()
            assert srv2.client().get("after") == b"1"
        finally:
            srv2.stop()
        if kind == "json":
            assert not [x for x in os.listdir(tmp_path) if x.endswith(".pdbtmp")]
    finally:
        if child is not None and _alive(child):
            os.kill(child, signal.SIGKILL)
        srv.stop()


# ------------------------------------------------------------------ an empty data file

def _run(*args, timeout=15):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "pickledbd", *args], cwd=str(REPO), env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("name", ["dump.json", "dump.sqlite3"])
def test_empty_data_file_refuses_to_start(tmp_path, name):
    f = tmp_path / name
    f.write_bytes(b"")
    res = _run("--port", str(servers.free_port()), "--dir", str(tmp_path), "--dbfilename", name)
    assert res.returncode != 0
    lines = [x for x in res.stderr.splitlines() if x.strip()]
    assert len(lines) == 1, res.stderr
    assert str(f) in lines[0] and "empty (0 bytes)" in lines[0] and "Remove it" in lines[0]
    assert f.read_bytes() == b"" and sorted(os.listdir(tmp_path)) == [name]


def test_empty_rdb_refuses_to_start_in_redis(tmp_path):
    if redis_server_binary() is None:
        pytest.skip("no redis-server")
    (tmp_path / "dump.rdb").write_bytes(b"")
    res = subprocess.run([redis_server_binary(), "--port", str(servers.free_port()), "--dir", str(tmp_path)],
                         capture_output=True, text=True, timeout=30)
    assert res.returncode != 0
    assert "Short read or OOM loading DB. Unrecoverable error, aborting now." in res.stdout


def test_library_still_reads_an_empty_file_as_empty(tmp_path):
    from pickledbd import PickleDB
    f = tmp_path / "lib.json"
    f.write_bytes(b"")
    db = PickleDB(str(f)).load()
    assert db.all() == []
    db.set("a", "1")
    db.save()
    assert PickleDB(str(f)).load().get("a") == "1"


# ------------------------------------------------------------------ fork failure

def test_fork_failure_is_a_failed_background_save(tmp_path, monkeypatch):
    """rdbSaveBackground: fork() failing sets lastbgsave_status err (so -MISCONF) and BGSAVE
    answers a bare -ERR; the cron's save rules go on (retried after 5 s) instead of raising."""
    from pickledbd.daemon.inprocess import LocalServer
    srv = LocalServer("--dir", str(tmp_path), "--save", "3600 1")
    srv.server.persistence.open_storage()
    c = srv.client()
    assert srv.request(c, "SET", "k", "v") == b"+OK\r\n"

    def no_fork():
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    assert srv.request(c, "BGSAVE") == b"-ERR\r\n"
    assert b"rdb_last_bgsave_status:err" in srv.request(c, "INFO", "persistence")
    assert srv.request(c, "SET", "k", "w").startswith(b"-MISCONF ")
    snap = srv.server.persistence
    snap.lastsave -= 7200
    snap.last_bgsave_try -= 10
    snap.cron(time.time())                  # a save rule due: the failed fork is not an exception
    assert snap.last_bgsave_try > time.time() - 5 and not snap.last_bgsave_ok
    monkeypatch.undo()
    assert srv.request(c, "SAVE") == b"+OK\r\n"
    assert b"rdb_last_bgsave_status:ok" in srv.request(c, "INFO", "persistence")
    assert srv.request(c, "SET", "k", "w") == b"+OK\r\n"
