"""The append-only file writer with real processes: the fsync policies survive SIGKILL, the
INFO fields and the -MISCONF refusal match redis-server 7.0, CONFIG SET appendonly at run
time, a full disk (a small tmpfs)."""
from __future__ import annotations

import os
import signal
import threading
import time

import pytest
import redis

from servers import PickledbdServer, RedisServer, free_port, tiny_fs


def start(dir, *args) -> PickledbdServer:
    return PickledbdServer(dir, port=free_port(), extra_args=args).start()


def kill9(srv) -> None:
    """SIGKILL, as a crash: nothing of the process runs after it."""
    os.killpg(srv.proc.pid, signal.SIGKILL)
    srv.proc.wait(10)
    srv.stop()


def aof_files(dir) -> list[str]:
    return sorted(os.listdir(os.path.join(dir, "appendonlydir")))


def fill_disk(fs) -> None:
    """Fill the small filesystem ``fs`` to the last byte (a file named filler)."""
    with open(fs / "filler", "wb") as f:
        try:
            while True:
                f.write(b"x" * 65536)
                f.flush()
        except OSError:
            pass


def info(r) -> dict:
    return r.info("persistence")


def writers(port: int, n_clients: int, per_client: int, acked: list) -> None:
    """Clients pipelining writes; each records what was acknowledged."""
    def run(i):
        r = redis.Redis(port=port, socket_timeout=10)
        mine = []
        try:
            for batch in range(per_client // 20):
                p = r.pipeline(transaction=False)
                for j in range(20):
                    k = batch * 20 + j
                    p.set("s:%d:%d" % (i, k), k)
                    p.incr("n:%d" % i)
                    p.rpush("l:%d" % i, k)
                p.execute()
                mine.append(batch * 20 + 19)
        finally:
            acked.append((i, mine[-1] if mine else -1))
            r.close()
    ts = [threading.Thread(target=run, args=(i,)) for i in range(n_clients)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)


@pytest.mark.parametrize("policy", ["always", "everysec", "no"])
def test_acknowledged_writes_survive_sigkill(tmp_path, policy):
    """Every reply leaves after its AOF write (and fsync under always), as in Redis: a kill -9
    right after the last reply loses nothing (the page cache keeps a written file)."""
    srv = start(tmp_path, "--appendonly", "yes", "--appendfsync", policy)
    try:
        acked: list = []
        writers(srv.port, 4, 200, acked)
        kill9(srv)
        srv.start()
        r = srv.client()
        for i, last in acked:
            assert last == 199
            assert int(r.get("n:%d" % i)) == 200
            assert r.llen("l:%d" % i) == 200
            assert r.get("s:%d:%d" % (i, last)) == str(last).encode()
        assert "DB loaded from append only file" in srv.log_text()
    finally:
        srv.stop()


def test_always_group_commit_under_many_clients(tmp_path):
    """Many pipelining clients under always: all acknowledged, fewer fsyncs than requests
    (one per loop turn): the AOF incr file holds every command."""
    srv = start(tmp_path, "--appendonly", "yes", "--appendfsync", "always")
    try:
        acked: list = []
        t0 = time.time()
        writers(srv.port, 8, 400, acked)
        elapsed = time.time() - t0
        assert all(last == 399 for _, last in acked)
        r = srv.client()
        assert info(r)["aof_buffer_length"] == 0
        # 8 x 400 x 3 writes acknowledged with fsync: group commit makes it quick
        assert elapsed < 30
    finally:
        srv.stop()


def test_info_fields_match_redis(tmp_path):
    """The aof_* fields of INFO persistence, in Redis's order, off and on."""
    rs = RedisServer(tmp_path / "r", port=free_port(),
                     extra_args=("--appendonly", "yes", "--aof-use-rdb-preamble", "no"))
    os.makedirs(rs.dir, exist_ok=True)
    rs.start()
    ours = start(tmp_path, "--appendonly", "yes")
    try:
        def aof_keys(srv):
            return [k for k in info(srv.client()) if k.startswith("aof_")]
        assert aof_keys(ours) == aof_keys(rs)
        r = ours.client()
        i = info(r)
        assert i["aof_enabled"] == 1 and i["aof_last_write_status"] == "ok"
        assert i["aof_base_size"] > 0 or i["aof_current_size"] >= 0
        r.set("k", "v")
        assert info(r)["aof_current_size"] > i["aof_current_size"]
        r.config_set("appendonly", "no")
        rs.client().config_set("appendonly", "no")
        assert aof_keys(ours) == aof_keys(rs)
        assert info(r)["aof_enabled"] == 0
    finally:
        ours.stop()
        rs.stop()


def test_config_set_appendonly_yes_at_run_time(tmp_path):
    """Like Redis: CONFIG SET appendonly yes starts a rewrite writing the dataset as a base;
    writes made meanwhile land in the increment; a restart loads everything."""
    srv = start(tmp_path)
    try:
        r = srv.client()
        for i in range(100):
            r.set("k%d" % i, i)
        assert info(r)["aof_enabled"] == 0
        assert r.config_set("appendonly", "yes")
        r.incr("counter")
        deadline = time.time() + 10
        while info(r)["aof_rewrite_in_progress"] and time.time() < deadline:
            time.sleep(0.05)
        r.incr("counter")
        i = info(r)
        assert i["aof_enabled"] == 1 and i["aof_rewrites"] == 1
        assert i["aof_last_bgrewrite_status"] == "ok"
        assert aof_files(tmp_path) == ["appendonly.aof.1.base.aof", "appendonly.aof.1.incr.aof",
                                       "appendonly.aof.manifest"]
        assert r.config_get("appendonly") == {"appendonly": "yes"}
        kill9(srv)
        srv = start(tmp_path, "--appendonly", "yes")     # CONFIG SET is not in a config file
        r = srv.client()
        assert r.dbsize() == 101 and r.get("counter") == b"2"
        # appendonly no: the writer stops; writes are no longer appended
        r.config_set("appendonly", "no")
        size = os.path.getsize(tmp_path / "appendonlydir" / "appendonly.aof.1.incr.aof")
        r.set("after", "off")
        time.sleep(0.1)
        assert os.path.getsize(tmp_path / "appendonlydir" / "appendonly.aof.1.incr.aof") == size
    finally:
        srv.stop()


def test_snapshot_then_first_base_on_start(tmp_path):
    """appendonly yes on a directory with only a snapshot: it is loaded, then written as the
    first AOF base (Redis's "Creating AOF base file ... on server start")."""
    srv = start(tmp_path)
    try:
        srv.client().set("from-snapshot", "1")
        srv.client().save()
    finally:
        srv.stop()
    srv = start(tmp_path, "--appendonly", "yes")
    try:
        assert srv.client().get("from-snapshot") == b"1"
        assert "Creating AOF base file appendonly.aof.1.base.aof on server start" in srv.log_text()
        srv.client().set("second", "2")
        kill9(srv)
        os.unlink(tmp_path / "dump.json")       # the AOF alone holds the dataset now
        srv.start()
        assert srv.client().mget("from-snapshot", "second") == [b"1", b"2"]
    finally:
        srv.stop()


def test_config_errors_as_redis(tmp_path):
    srv = start(tmp_path)
    try:
        r = srv.client()
        for name in ("appendfilename", "appenddirname"):
            with pytest.raises(redis.ResponseError, match="can't set immutable config"):
                r.config_set(name, "x")
        with pytest.raises(redis.ResponseError, match="argument must be 'yes' or 'no'"):
            r.config_set("appendonly", "maybe")
        assert r.config_set("aof-use-rdb-preamble", "no")
        assert r.config_set("appendfsync", "always")
    finally:
        srv.stop()


def test_full_disk_refuses_writes_and_recovers(tmp_path):
    """A full disk under everysec: aof_last_write_status:err, writes get Redis's -MISCONF,
    reads go on, and once space returns the write is retried and writes work again; the
    files load (nothing half written)."""
    with tiny_fs(tmp_path, "2m") as fs:
        srv = start(fs, "--appendonly", "yes", "--appendfsync", "everysec")
        try:
            r = srv.client()
            r.set("small", "1")
            filler = fs / "filler"
            fill_disk(fs)
            big = "v" * 200_000
            try:
                r.set("big", big)       # acknowledged: the write fails after it ran
            except redis.ResponseError:
                pass
            deadline = time.time() + 5
            while info(r)["aof_last_write_status"] == "ok" and time.time() < deadline:
                time.sleep(0.05)
            assert info(r)["aof_last_write_status"] == "err"
            with pytest.raises(redis.ResponseError) as e:
                r.set("refused", "1")
            assert str(e.value) == "MISCONF Errors writing to the AOF file: No space left on device"
            assert r.get("small") == b"1"
            os.unlink(filler)
            deadline = time.time() + 5
            while info(r)["aof_last_write_status"] == "err" and time.time() < deadline:
                time.sleep(0.1)
            assert info(r)["aof_last_write_status"] == "ok"
            assert "AOF write error looks solved, Redis can write again." in srv.log_text()
            r.set("after", "1")
            time.sleep(0.1)
            kill9(srv)
            srv.start()
            r = srv.client()
            assert r.get("after") == b"1" and r.get("small") == b"1"
            assert r.strlen("big") == 200_000
        finally:
            srv.stop()


def test_full_disk_matches_redis_error_text(tmp_path):
    """The same full disk on redis-server 7.0: the same -MISCONF text."""
    with tiny_fs(tmp_path, "2m") as fs:
        rs = RedisServer(fs, port=free_port(), extra_args=(
            "--appendonly", "yes", "--aof-use-rdb-preamble", "no", "--appendfsync", "everysec"))
        rs.start()
        try:
            r = rs.client()
            r.set("small", "1")
            fill_disk(fs)
            r.set("big", "v" * 200_000)
            deadline = time.time() + 5
            while info(r)["aof_last_write_status"] == "ok" and time.time() < deadline:
                time.sleep(0.05)
            with pytest.raises(redis.ResponseError) as e:
                r.set("refused", "1")
            assert str(e.value) == "MISCONF Errors writing to the AOF file: No space left on device"
        finally:
            rs.stop()


def test_full_disk_under_always_exits_as_redis(tmp_path):
    """Under always Redis cannot take back a write already applied in memory: it logs and
    exits (the files stay loadable: a short write is cut back)."""
    with tiny_fs(tmp_path, "2m") as fs:
        srv = start(fs, "--appendonly", "yes", "--appendfsync", "always")
        try:
            r = srv.client()
            r.set("small", "1")
            fill_disk(fs)
            with pytest.raises(redis.ConnectionError):
                r.set("big", "v" * 200_000)      # never acknowledged
            assert srv.proc.wait(10) == 1
            assert ("Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting..."
                    in srv.log_text())
            os.unlink(fs / "filler")
            srv.stop()
            srv.start()
            assert srv.client().get("small") == b"1"
        finally:
            srv.stop()


def test_busy_script_with_always_still_answers_others(tmp_path):
    """A script holding the loop: no turn ends, so held replies are written after a
    synchronous AOF write + fsync; others get -BUSY and SCRIPT KILL works, as without AOF."""
    srv = start(tmp_path, "--appendonly", "yes", "--appendfsync", "always", "--busy-reply-threshold", "300")
    try:
        r = srv.client()
        r.set("k", "v")
        out = {}

        def run():
            try:
                # SET and the loop in one pipeline: the SET's reply waits in the same batch
                p = srv.client().pipeline(transaction=False)
                p.set("before", "1")
                p.eval("local i = 0 while true do i = i + 1 end", 0)
                out["reply"] = p.execute(raise_on_error=False)
            except Exception as e:      # noqa: BLE001 - the error is the result
                out["error"] = e
        t = threading.Thread(target=run, daemon=True)
        t.start()
        time.sleep(0.8)
        with srv.connect() as s:
            s.sendall(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n")
            assert s.recv(100).startswith(b"-BUSY Redis is busy running a script.")
            s.sendall(b"*2\r\n$6\r\nSCRIPT\r\n$4\r\nKILL\r\n")
            assert s.recv(100) == b"+OK\r\n"
        t.join(5)
        assert out["reply"][0] is True and "Script killed" in str(out["reply"][1])
        kill9(srv)
        srv.start()
        assert srv.client().get("before") == b"1"
    finally:
        srv.stop()
