"""The ``pickledbd`` command: flags, config files, defaults, pidfile/logfile/unixsocket,
sd_notify, protected mode."""
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

REPO = Path(__file__).resolve().parent.parent


def env():
    return dict(os.environ, PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1")


def run(*args, cwd=None, timeout=20):
    return subprocess.run([sys.executable, "-m", "pickledbd", *args], cwd=cwd or str(REPO), env=env(),
                          capture_output=True, text=True, timeout=timeout)


class Proc:
    """A pickledbd started with an arbitrary argv; waits for PONG."""

    def __init__(self, args, cwd, port, extra_env=None):
        e = env()
        e.update(extra_env or {})
        self.port = port
        self.log = open(Path(cwd) / "out.log", "wb")
        self.p = subprocess.Popen([sys.executable, "-m", "pickledbd", *args], cwd=str(cwd), env=e,
                                  stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.p.poll() is not None:
                raise RuntimeError("exited: " + (Path(cwd) / "out.log").read_text())
            if servers._ping("127.0.0.1", port, 0.5):
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("no PONG")

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait()
        self.log.close()
        return self.p.returncode


def test_version_and_help():
    res = run("--version")
    assert res.returncode == 0 and "pickledbd v=" in res.stdout
    res = run("--help")
    assert res.returncode == 0 and "Usage: pickledbd" in res.stdout


def test_unknown_flag_rejected():
    res = run("--no-such-directive", "1")
    assert res.returncode != 0 and "no-such-directive" in res.stderr


def test_bad_flag_value_rejected():
    res = run("--port", "notaport")
    assert res.returncode != 0 and "--port" in res.stderr
    res = run("--save", "1 2 3")
    assert res.returncode != 0 and "Invalid save parameters" in res.stderr


def test_bad_directive_line_number(tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text("# comment\nport 7000\n\nbogus-directive yes\n")
    res = run(str(conf))
    assert res.returncode != 0
    assert "line 4" in res.stderr and "bogus-directive" in res.stderr
    assert "Bad directive or wrong number of arguments" in res.stderr
    conf.write_text("port 7000\ndatabases nope\n")
    res = run(str(conf))
    assert res.returncode != 0 and "line 2" in res.stderr


def test_missing_config_file(tmp_path):
    res = run(str(tmp_path / "nope.conf"))
    assert res.returncode != 0 and "can't open config file" in res.stderr


def test_example_config_parses():
    from pickledbd.daemon.config import parse_args
    cfg = parse_args([str(REPO / "systemd" / "pickledbd.conf")])
    assert cfg.port == 6379 and cfg.values["dir"] == "/var/lib/pickledbd"
    assert cfg.save_rules == [(3600, 1), (300, 100), (60, 10000)]
    assert cfg.bind_addresses == [("127.0.0.1", False), ("::1", True)]


def test_config_file_with_overrides(tmp_path):
    port = servers.free_port()
    conf = tmp_path / "p.conf"
    conf.write_text('port 1\nsave 900 1\nsave 300 10\ndatabases 4\nrequirepass ""\n'
                    f'dir {tmp_path}\ndbfilename "data.json"\n')
    p = Proc([str(conf), "--port", str(port), "--databases", "8"], tmp_path, port)
    try:
        r = redis.Redis(port=port, decode_responses=True)
        assert r.config_get("databases") == {"databases": "8"}
        assert r.config_get("save") == {"save": "900 1 300 10"}
        assert r.config_get("dbfilename") == {"dbfilename": "data.json"}
        assert r.info("server")["config_file"] == str(conf)
        r.close()
    finally:
        assert p.stop() == 0
    # save rules configured: SIGTERM saved
    assert (tmp_path / "data.json").exists()


def test_no_args_defaults(tmp_path):
    """`pickledbd` with no arguments: 127.0.0.1:6379, ./dump.json, default save rules."""
    if not _port_free(6379):
        pytest.skip("port 6379 is busy on this machine")
    p = Proc([], tmp_path, 6379)
    try:
        r = redis.Redis(port=6379, decode_responses=True)
        assert r.config_get("save") == {"save": "3600 1 300 100 60 10000"}
        assert r.config_get("dir") == {"dir": str(tmp_path)}
        assert r.config_get("bind")["bind"].split()[0] == "127.0.0.1"
        r.set("k", "v")
        r.close()
    finally:
        assert p.stop() == 0
    assert (tmp_path / "dump.json").read_text() == '{"k":"v"}'
    log = (tmp_path / "out.log").read_text()
    assert "DB loaded from disk" in log and "0 keys" in log


def _port_free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def test_load_log_line_gives_keys_and_time(tmp_path):
    (tmp_path / "dump.json").write_text('{"a": "1", "b": "2", "c": [1, 2]}')
    port = servers.free_port()
    p = Proc(["--port", str(port), "--dir", str(tmp_path)], tmp_path, port)
    p.stop()
    log = (tmp_path / "out.log").read_text()
    assert "DB loaded from disk:" in log and "seconds, 3 keys" in log


def test_pidfile_logfile_unixsocket(tmp_path):
    port = servers.free_port()
    pidfile, logfile, sock = tmp_path / "p.pid", tmp_path / "p.log", tmp_path / "p.sock"
    p = Proc(["--port", str(port), "--dir", str(tmp_path), "--pidfile", str(pidfile), "--logfile", str(logfile),
              "--unixsocket", str(sock), "--unixsocketperm", "700", "--loglevel", "verbose"], tmp_path, port)
    try:
        assert int(pidfile.read_text()) == p.p.pid
        assert "Ready to accept connections" in logfile.read_text()
        assert (sock.stat().st_mode & 0o777) == 0o700
        r = redis.Redis(unix_socket_path=str(sock))
        assert r.ping()
        r.set("via-unix", "1")
        assert "addr=" in r.execute_command("CLIENT", "INFO").decode()
        r.close()
    finally:
        assert p.stop() == 0
    assert not pidfile.exists() and not sock.exists()


def test_bind_several_addresses_and_ipv6(tmp_path):
    has_v6 = socket.has_ipv6
    if has_v6:
        try:
            with socket.socket(socket.AF_INET6) as s:
                s.bind(("::1", 0))
        except OSError:
            has_v6 = False
    port = servers.free_port()
    p = Proc(["--port", str(port), "--dir", str(tmp_path), "--save", "", "--bind", "127.0.0.1 -::1"], tmp_path, port)
    try:
        if has_v6:
            r = redis.Redis(host="::1", port=port)
            assert r.ping()
            r.close()
    finally:
        assert p.stop() == 0


def test_sd_notify_ready_and_stopping(tmp_path):
    path = str(tmp_path / "notify.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    s.settimeout(10)
    port = servers.free_port()
    p = Proc(["--port", str(port), "--dir", str(tmp_path), "--save", ""], tmp_path, port,
             extra_env={"NOTIFY_SOCKET": path})
    try:
        msg = s.recv(1000).decode()
        assert "READY=1" in msg and f"MAINPID={p.p.pid}" in msg
        info = redis.Redis(port=port).info("server")
        assert info["process_supervised"] == "systemd"
    finally:
        assert p.stop() == 0
    assert "STOPPING=1" in s.recv(1000).decode()
    s.close()


def test_shutdown_command_exit_code(tmp_path):
    port = servers.free_port()
    p = Proc(["--port", str(port), "--dir", str(tmp_path), "--save", ""], tmp_path, port)
    r = redis.Redis(port=port)
    try:
        r.shutdown()          # redis-py swallows the expected ConnectionError
    except redis.ConnectionError:
        pass
    assert p.p.wait(10) == 0
    p.stop()


# ------------------------------------------------------------------ protected mode
def _fake_connect(server, peer):
    class T:
        def __init__(self):
            self.written = b""
            self.closed = False

        def get_extra_info(self, name, default=None):
            return {"peername": peer, "sockname": ("0.0.0.0", 6379), "socket": None}.get(name, default)

        def write(self, data):
            self.written += data

        def close(self):
            self.closed = True

    t = T()
    conn = server.net.protocol()
    conn.connection_made(t)
    return conn.ctx, t


def test_protected_mode_logic():
    """No password + protected mode: a non-loopback peer gets -DENIED and is closed (the same
    check Redis makes). Driven in-process with a fake transport: a real non-loopback peer is
    not available in the test environment."""
    from pickledbd.daemon.config import parse_args
    from pickledbd.daemon.server import Server
    srv = Server(parse_args(["--save", ""]))
    c, t = _fake_connect(srv, ("10.1.2.3", 5555))
    assert t.written.startswith(b"-DENIED Redis is running in protected mode") and t.closed
    assert srv.clients.get(c.id) is None
    for peer in (("127.0.0.1", 1), ("::1", 1, 0, 0), ("::ffff:127.0.0.1", 1)):
        c, t = _fake_connect(srv, peer)
        assert t.written == b"" and not t.closed
    # a password, or protected-mode no, lets remote clients connect
    srv.config.config_set([("requirepass", "pw")])
    c, t = _fake_connect(srv, ("10.1.2.3", 5555))
    assert t.written == b"" and not t.closed and not c.authenticated
    srv.config.config_set([("requirepass", ""), ("protected-mode", "no")])
    c, t = _fake_connect(srv, ("10.1.2.3", 5555))
    assert t.written == b"" and not t.closed
