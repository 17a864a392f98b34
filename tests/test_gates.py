"""The server-wide refusals and the latency monitor, which read the commands' flags:
-MISCONF for write commands after a failed background save (``write``), -OOM above
maxmemory (``denyoom``), latency samples as "command" or "fast-command" (``fast``). Each
scenario runs on redis-server and on pickledbd."""
from __future__ import annotations

import os
import shutil
import time

import pytest
import redis

from servers import PickledbdServer, RedisServer, redis_server_binary, start_with_retry

BOTH = ["redis_server", "pickledbd_server"]


def _error(fn, *args):
    """The error reply as sent (redis-py strips some prefixes into exception classes)."""
    try:
        fn(*args)
    except redis.OutOfMemoryError as e:
        return "OOM " + str(e)
    except redis.ResponseError as e:
        return str(e)
    return None


@pytest.fixture(params=["redis", "pickledbd"])
def saving_server(request, tmp_path):
    """A server that saves into ``tmp_path/gone`` (removed by the test to make saves fail)."""
    if request.param == "redis" and redis_server_binary() is None:
        pytest.skip("no redis-server")
    gone = tmp_path / "gone"
    gone.mkdir()
    cls = RedisServer if request.param == "redis" else PickledbdServer
    srv = start_with_retry(lambda: cls(gone, extra_args=["--save", "3600 1"]))
    try:
        yield srv, gone
    finally:
        gone.mkdir(exist_ok=True)
        try:     # no shutdown save: redis-server's directory is gone for good, it would refuse to exit
            srv.client().config_set("save", "")
        except Exception:
            pass
        srv.stop()


def test_misconf_after_a_failed_background_save(saving_server):
    srv, gone = saving_server
    r = srv.client()
    try:
        r.set("gate:k", "v")
        shutil.rmtree(gone)                  # the next background save cannot write its file
        r.bgsave()
        deadline = time.time() + 10
        while r.info("persistence")["rdb_bgsave_in_progress"] and time.time() < deadline:
            time.sleep(0.05)
        assert r.info("persistence")["rdb_last_bgsave_status"] == "err"
        time.sleep(0.2)                      # pickledbd's gate follows within a cron tick
        err = _error(r.set, "gate:k", "w")
        assert err is not None and err.startswith("MISCONF Redis is configured to save RDB snapshots")
        assert _error(r.ping) is not None                 # PING too, as Redis
        assert r.get("gate:k") == b"v"                    # reads go on
        pipe = r.pipeline()                               # a queued write fails the transaction
        pipe.set("gate:k", "x")
        with pytest.raises(redis.ResponseError):
            pipe.execute()
        r.config_set("stop-writes-on-bgsave-error", "no")
        assert r.set("gate:k", "w")                       # writes allowed again
        r.config_set("stop-writes-on-bgsave-error", "yes")
        time.sleep(0.2)
        assert _error(r.set, "gate:k", "w").startswith("MISCONF")
        if isinstance(srv, RedisServer):
            return      # redis-server saves relative to the directory it chdir'ed into: gone for good
        gone.mkdir()
        r.bgsave()
        deadline = time.time() + 10
        while r.info("persistence")["rdb_last_bgsave_status"] != "ok" and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)
        assert r.set("gate:k", "z")                       # a good save lifts the refusal
    finally:
        os.makedirs(gone, exist_ok=True)


@pytest.mark.parametrize("target", BOTH)
def test_oom_refuses_denyoom_commands_only(request, target):
    srv = request.getfixturevalue(target)
    r = srv.client()
    r.set("gate:o", "v")
    r.config_set("maxmemory", "1")
    try:
        assert _error(r.set, "gate:o", "w") == "OOM command not allowed when used memory > 'maxmemory'."
        assert _error(r.rpush, "gate:l", "x").startswith("OOM")
        assert r.get("gate:o") == b"v"            # readonly
        assert r.delete("gate:o") == 1            # DEL is not denyoom: it frees memory
        pipe = r.pipeline()
        pipe.set("gate:o", "x")
        with pytest.raises(redis.ResponseError) as e:
            pipe.execute()
        assert "maxmemory" in str(e.value) or "EXECABORT" in str(e.value)
    finally:
        r.config_set("maxmemory", "0")
    assert r.set("gate:o", "w")
    r.delete("gate:o")


@pytest.mark.parametrize("target", BOTH)
def test_latency_monitor_events(request, target):
    srv = request.getfixturevalue(target)
    r = srv.client()
    assert r.execute_command("LATENCY", "DOCTOR").startswith(b"I'm sorry, Dave, I can't do that.")
    r.execute_command("LATENCY", "RESET")
    with pytest.raises(redis.ResponseError) as e:
        r.execute_command("LATENCY", "GRAPH", "command")
    assert str(e.value) == "No samples available for event 'command'"
    r.config_set("latency-monitor-threshold", "1")
    try:
        r.delete("gate:big")
        r.rpush("gate:big", *range(200000))              # RPUSH is a fast command
        for _ in range(3):
            r.lrange("gate:big", 0, -1)                  # LRANGE is not
        latest = {row[0]: row[1:] for row in r.execute_command("LATENCY", "LATEST")}
        assert b"command" in latest
        when, last_ms, max_ms = latest[b"command"]
        assert abs(when - time.time()) < 5 and 1 <= last_ms <= max_ms
        history = r.execute_command("LATENCY", "HISTORY", "command")
        assert history and all(len(h) == 2 and h[1] >= 1 for h in history)
        graph = r.execute_command("LATENCY", "GRAPH", "command").decode()
        assert graph.startswith("command - high ") and "\n" + "-" * 80 + "\n" in graph
        assert r.execute_command("LATENCY", "DOCTOR").startswith(b"Dave, I have observed latency spikes")
        assert r.execute_command("LATENCY", "RESET", "command", "nosuchevent") == 1
        assert r.execute_command("LATENCY", "HISTORY", "command") == []
    finally:
        r.config_set("latency-monitor-threshold", "0")
        r.execute_command("LATENCY", "RESET")
        r.delete("gate:big")
