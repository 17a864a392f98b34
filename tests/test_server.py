"""Server commands: COMMAND, INFO, CONFIG, DBSIZE/FLUSH*/SWAPDB, SAVE/BGSAVE/LASTSAVE, SHUTDOWN,
TIME, MONITOR, SLOWLOG, LATENCY, ROLE -- redis-py (RESP2 and RESP3) against pickledbd, and
against redis-server where both must agree."""
from __future__ import annotations

import socket
import time

import pytest
import redis


@pytest.fixture(params=["pickledbd", "redis"])
def srv(request):
    return request.getfixturevalue("pickledbd_server" if request.param == "pickledbd" else "redis_server")


def raw(srv, data: bytes, wait: float = 0.2) -> bytes:
    with socket.create_connection((srv.host, srv.port), timeout=5) as s:
        s.sendall(data)
        time.sleep(wait)
        s.settimeout(0.3)
        out = b""
        try:
            while True:
                chunk = s.recv(1 << 20)
                if not chunk:
                    break
                out += chunk
        except socket.timeout:
            pass
        return out


def call(r, *args):
    """Send a command and return the reply as parsed by the protocol layer (no redis-py callback)."""
    conn = r.connection_pool.get_connection()
    try:
        conn.send_command(*args)
        return conn.read_response()
    finally:
        r.connection_pool.release(conn)


# ------------------------------------------------------------------ COMMAND
def test_command_count_and_list(srv):
    r = srv.client(decode_responses=True)
    n = call(r, "COMMAND", "COUNT")
    names = call(r, "COMMAND", "LIST")
    assert n >= 20
    assert "get" in names and "config|get" in names and "client|list" in names
    assert len([x for x in names if "|" not in x]) == n
    assert sorted(call(r, "COMMAND", "LIST", "FILTERBY", "PATTERN", "config*")) == \
        sorted(["config", "config|get", "config|set", "config|resetstat", "config|rewrite", "config|help"])
    conn = call(r, "COMMAND", "LIST", "FILTERBY", "ACLCAT", "connection")
    assert "ping" in conn and "get" not in conn
    assert call(r, "COMMAND", "LIST", "FILTERBY", "MODULE", "nosuch") == []
    with pytest.raises(redis.ResponseError, match="syntax error"):
        call(r, "COMMAND", "LIST", "FILTERBY", "FOO", "bar")


@pytest.mark.parametrize("protocol", [2, 3])
def test_command_all_entries_parse(pickledbd_server, protocol):
    r = pickledbd_server.client(protocol=protocol, decode_responses=True)
    table = r.command()            # redis-py parses every entry
    assert "get" in table and table["get"]["arity"] == 2
    assert set(table["get"]["flags"]) == {"readonly", "fast"}
    assert table["mset"]["step_count"] == 2
    assert len(table) == call(r, "COMMAND", "COUNT")


@pytest.mark.parametrize("protocol", [2, 3])
def test_command_docs(srv, protocol):
    r = srv.client(protocol=protocol, decode_responses=True)
    raw_docs = call(r, "COMMAND", "DOCS", "set", "nosuch", "client")
    docs = raw_docs if isinstance(raw_docs, dict) else dict(zip(raw_docs[::2], raw_docs[1::2]))
    assert set(docs) == {"set", "client"}
    d = docs["set"]
    if isinstance(d, list):
        d = dict(zip(d[::2], d[1::2]))
    assert d["summary"] == "Set the string value of a key" and d["group"] == "string"
    assert any((a.get("name") if isinstance(a, dict) else dict(zip(a[::2], a[1::2]))["name"]) == "condition"
               for a in d["arguments"])
    c = docs["client"]
    if isinstance(c, list):
        c = dict(zip(c[::2], c[1::2]))
    subs = c["subcommands"]
    subs = subs if isinstance(subs, dict) else dict(zip(subs[::2], subs[1::2]))
    assert "client|kill" in subs and "client|list" in subs


def test_command_docs_wire_matches_redis(pickledbd_server, redis_server):
    q = b"COMMAND DOCS get\r\nHELLO 3\r\nCOMMAND DOCS get\r\n"
    a, b = raw(pickledbd_server, q), raw(redis_server, q)
    # the HELLO replies differ (server/version/id); the DOCS replies must not
    assert a.split(b"%7\r\n")[0] == b.split(b"%7\r\n")[0]
    assert a.rsplit(b"*0\r\n", 1)[1] == b.rsplit(b"*0\r\n", 1)[1]


def test_command_info_and_getkeys(srv):
    r = srv.client(decode_responses=True)
    info = call(r, "COMMAND", "INFO", "get", "nosuch")
    assert info[1] is None
    assert call(r, "COMMAND", "GETKEYS", "SET", "a", "b") == ["a"]
    assert call(r, "COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2") == ["a", "b"]
    # SORT's STORE key is found by walking its options (Redis's sortGetKeys)
    assert call(r, "COMMAND", "GETKEYS", "SORT", "s", "BY", "store", "LIMIT", "0", "1",
                "STORE", "d1", "GET", "#", "STORE", "d2") == ["s", "d2"]
    assert call(r, "COMMAND", "GETKEYS", "SORT", "s", "STORE") == ["s"]
    assert call(r, "COMMAND", "GETKEYSANDFLAGS", "SET", "a", "b") == [["a", ["OW", "update"]]]
    with pytest.raises(redis.ResponseError, match="Invalid command specified"):
        call(r, "COMMAND", "GETKEYS", "nosuch", "a")
    with pytest.raises(redis.ResponseError, match="The command has no key arguments"):
        call(r, "COMMAND", "GETKEYS", "PING", "x")
    with pytest.raises(redis.ResponseError, match="Invalid number of arguments"):
        call(r, "COMMAND", "GETKEYS", "GET", "a", "b")


# ------------------------------------------------------------------ INFO
@pytest.mark.parametrize("protocol", [2, 3])
def test_info_sections(pickledbd_server, protocol):
    r = pickledbd_server.client(protocol=protocol, decode_responses=True)
    r.flushall()
    r.set("k1", "v")
    r.set("k2", "v")
    info = r.info()
    for field in ("redis_version", "redis_mode", "arch_bits", "os", "process_id", "tcp_port",
                  "uptime_in_seconds", "connected_clients", "blocked_clients", "used_memory",
                  "rdb_changes_since_last_save", "rdb_bgsave_in_progress", "rdb_last_save_time",
                  "rdb_last_bgsave_status", "total_commands_processed", "keyspace_hits",
                  "keyspace_misses", "expired_keys", "role", "connected_slaves", "master_replid",
                  "cluster_enabled"):
        assert field in info, field
    assert info["redis_mode"] == "standalone" and info["role"] == "master"
    assert info["tcp_port"] == pickledbd_server.port
    assert info["cluster_enabled"] == 0 and info["used_memory"] > 0
    assert info["db0"] == {"keys": 2, "expires": 0, "avg_ttl": 0}
    assert set(r.info("keyspace")) == {"db0"}
    assert r.info("cluster") == {"cluster_enabled": 0}
    both = r.info("server", "clients")
    assert "redis_version" in both and "connected_clients" in both and "used_memory" not in both
    cs = r.info("commandstats")
    assert cs["cmdstat_set"]["calls"] >= 2
    assert "cmdstat_set" not in r.info()          # not a default section
    assert "cmdstat_set" in r.info("all") and "cmdstat_set" in r.info("everything")
    assert r.execute_command("INFO", "nosuchsection") in ("", b"", {})


def test_info_wire_format(srv):
    out = raw(srv, b"INFO cluster\r\nINFO server cluster\r\nHELLO 3\r\nINFO cluster\r\n")
    assert out.startswith(b"$30\r\n# Cluster\r\ncluster_enabled:0\r\n\r\n")
    assert b"\r\n\r\n# Cluster\r\ncluster_enabled:0\r\n\r\n" in out
    assert out.endswith(b"=34\r\ntxt:# Cluster\r\ncluster_enabled:0\r\n\r\n")


def test_info_persistence_and_stats(pickledbd_server):
    r = pickledbd_server.client(decode_responses=True)
    before = r.info("stats")["total_commands_processed"]
    r.set("a", "1")
    after = r.info("stats")["total_commands_processed"]
    assert after >= before + 2
    p = r.info("persistence")
    assert p["rdb_changes_since_last_save"] >= 1 and p["rdb_bgsave_in_progress"] == 0
    assert p["rdb_last_bgsave_status"] == "ok"


# ------------------------------------------------------------------ CONFIG
@pytest.mark.parametrize("protocol", [2, 3])
def test_config_get_set(srv, protocol):
    r = srv.client(protocol=protocol, decode_responses=True)
    assert r.config_get("databases") == {"databases": "16"}
    got = r.execute_command("CONFIG", "GET", "databases", "maxmemory")
    got = got if isinstance(got, dict) else dict(zip(got[::2], got[1::2]))
    assert got == {"databases": "16", "maxmemory": "0"}
    assert r.config_get("maxmemory-polic?") == {"maxmemory-policy": "noeviction"}
    assert "slowlog-max-len" in r.config_get("slowlog-*")
    assert r.config_get("nosuchparam") == {}
    assert r.execute_command("CONFIG", "SET", "timeout", "10", "slowlog-max-len", "64") in ("OK", True)
    assert r.config_get("timeout") == {"timeout": "10"}
    assert r.config_get("slowlog-max-len") == {"slowlog-max-len": "64"}
    r.execute_command("CONFIG", "SET", "timeout", "0", "slowlog-max-len", "128")
    with pytest.raises(redis.ResponseError, match="duplicate parameter"):
        r.execute_command("CONFIG", "SET", "timeout", "1", "timeout", "2")
    with pytest.raises(redis.ResponseError, match="Unknown option or number of arguments for CONFIG SET - 'nope'"):
        r.config_set("nope", "1")
    with pytest.raises(redis.ResponseError, match="argument must be a memory value"):
        r.config_set("maxmemory", "abc")
    with pytest.raises(redis.ResponseError, match="Invalid save parameters"):
        r.config_set("save", "1 2 3")
    with pytest.raises(redis.ResponseError, match="syntax error"):
        r.execute_command("CONFIG", "SET", "timeout", "1", "hz")
    # all or nothing
    with pytest.raises(redis.ResponseError):
        r.execute_command("CONFIG", "SET", "timeout", "5", "maxmemory", "abc")
    assert r.config_get("timeout") == {"timeout": "0"}
    assert r.config_resetstat() is True


def test_config_rewrite_without_file(srv):
    r = srv.client()
    with pytest.raises(redis.ResponseError, match="The server is running without a config file"):
        r.config_rewrite()


def test_config_rewrite_in_place(tmp_path):
    conf = tmp_path / "p.conf"
    conf.write_text("# my comment\nhz 10\nsave 900 1\nsave 300 10\n\n# tail comment\nloglevel notice\n")
    # the config file must be the first argument (as for redis-server): build the argv by hand
    import servers
    s2 = servers.PickledbdServer(tmp_path / "data")
    s2.argv = lambda: [servers.sys.executable, "-m", "pickledbd", str(conf), "--port", str(s2.port),
                       "--bind", "127.0.0.1", "--dir", str(tmp_path / "data")]
    s2.start()
    try:
        r = s2.client(decode_responses=True)
        assert r.config_get("save") == {"save": "900 1 300 10"}
        r.config_set("hz", "20")
        r.config_set("slowlog-max-len", "77")
        r.config_set("save", "60 5")
        assert r.config_rewrite() in (True, "OK")
        text = conf.read_text()
        assert text.startswith("# my comment\nhz 20\nsave 60 5\n\n# tail comment\nloglevel notice\n")
        assert "slowlog-max-len 77" in text and text.count("save ") == 1
        # the rewritten file is loadable and gives the same values
        s2.stop()
        s2.start()
        r = s2.client(decode_responses=True)
        assert r.config_get("hz") == {"hz": "20"} and r.config_get("save") == {"save": "60 5"}
    finally:
        s2.stop()


# ------------------------------------------------------------------ keyspace-wide commands
def test_dbsize_flush_swapdb(srv):
    r = srv.client(decode_responses=True)
    r.flushall()
    r.mset({"a": "1", "b": "2"})
    assert r.dbsize() == 2
    r.select(1)
    r.set("x", "db1")
    r.select(0)
    assert r.swapdb(0, 1)
    assert r.dbsize() == 1 and r.get("x") == "db1"
    r.swapdb(0, 1)
    assert r.flushdb(asynchronous=True)
    assert r.dbsize() == 0
    r.select(1)
    assert r.dbsize() == 1
    r.select(0)
    assert r.flushall()
    r.select(1)
    assert r.dbsize() == 0
    r.select(0)
    with pytest.raises(redis.ResponseError, match="invalid first DB index"):
        r.execute_command("SWAPDB", "x", "1")
    with pytest.raises(redis.ResponseError, match="DB index is out of range"):
        r.swapdb(0, 16)
    with pytest.raises(redis.ResponseError, match="syntax error"):
        r.execute_command("FLUSHALL", "FOO")


def test_swapdb_wakes_watchers(srv):
    r = srv.client(decode_responses=True)
    r.flushall()
    r.set("w", "1")
    p = r.pipeline()
    p.watch("w")
    other = srv.client()
    other.swapdb(0, 2)
    p.multi()
    p.set("w", "2")
    with pytest.raises(redis.WatchError):
        p.execute()
    other.swapdb(0, 2)
    r.flushall()


# ------------------------------------------------------------------ persistence commands
def test_save_bgsave_lastsave(pickledbd_server):
    r = pickledbd_server.client(decode_responses=True)
    r.set("persist-me", "1")
    t0 = r.lastsave()
    time.sleep(1.05)
    assert r.save() is True
    assert r.lastsave() > t0
    assert (pickledbd_server.dir / "dump.json").exists()
    assert r.info("persistence")["rdb_changes_since_last_save"] == 0
    assert call(r, "BGSAVE") == "Background saving started"
    # a second one while the child runs (it may already be done: both outcomes are Redis's)
    try:
        reply = call(r, "BGSAVE")
        assert reply == "Background saving started"
    except redis.ResponseError as e:
        assert str(e) == "Background save already in progress"
    deadline = time.time() + 10
    while r.info("persistence")["rdb_bgsave_in_progress"] and time.time() < deadline:
        time.sleep(0.05)
    assert r.info("persistence")["rdb_last_bgsave_status"] == "ok"
    assert call(r, "BGSAVE", "SCHEDULE") in ("Background saving started",
                                                       "Background saving scheduled")
    with pytest.raises(redis.ResponseError, match="syntax error"):
        call(r, "BGSAVE", "FOO")
    with pytest.raises(redis.ResponseError, match="wrong number of arguments for 'save'"):
        r.execute_command("SAVE", "x")


def test_bgsave_in_multi_is_scheduled(pickledbd_server):
    r = pickledbd_server.client(decode_responses=True)
    deadline = time.time() + 10
    while r.info("persistence")["rdb_bgsave_in_progress"] and time.time() < deadline:
        time.sleep(0.05)
    p = r.pipeline(transaction=True)
    p.execute_command("ECHO", "x")
    p.execute_command("BGSAVE")
    out = p.execute()
    assert out[0] == "x" and out[1] in (True, "Background saving scheduled")
    assert raw(pickledbd_server, b"MULTI\r\nBGSAVE\r\nEXEC\r\n", wait=0.3).endswith(
        b"*1\r\n+Background saving scheduled\r\n")
    deadline = time.time() + 10
    while time.time() < deadline:
        info = r.info("persistence")
        if info["rdb_changes_since_last_save"] == 0 and not info["rdb_bgsave_in_progress"]:
            break
        time.sleep(0.05)


def test_shutdown_arg_errors(srv):
    r = srv.client()
    with pytest.raises(redis.ResponseError, match="syntax error"):
        r.execute_command("SHUTDOWN", "FOO")
    with pytest.raises(redis.ResponseError, match="syntax error"):
        r.execute_command("SHUTDOWN", "NOSAVE", "SAVE")
    with pytest.raises(redis.ResponseError, match="No shutdown in progress."):
        r.execute_command("SHUTDOWN", "ABORT")


def test_shutdown_nosave_and_save(start_pickledbd):
    srv = start_pickledbd()
    r = srv.client()
    r.set("k", "v")
    with pytest.raises(redis.ConnectionError):
        r.execute_command("SHUTDOWN", "NOSAVE")
    assert srv.proc.wait(10) == 0
    assert not (srv.dir / "dump.json").exists()
    srv.proc = None
    srv.start()
    r = srv.client()
    r.set("k", "v")
    with pytest.raises(redis.ConnectionError):
        r.execute_command("SHUTDOWN", "SAVE")
    assert srv.proc.wait(10) == 0
    assert (srv.dir / "dump.json").exists()
    srv.proc = None
    srv.start()
    assert srv.client().get("k") == b"v"


# ------------------------------------------------------------------ misc
def test_time_role_lolwut(srv):
    r = srv.client(decode_responses=True)
    sec, usec = r.execute_command("TIME")
    assert abs(int(sec) - time.time()) < 5 and 0 <= int(usec) < 1_000_000
    assert r.execute_command("ROLE") == ["master", 0, []]
    assert "Redis ver." in r.execute_command("LOLWUT")


def test_monitor(srv):
    r = srv.client()
    with socket.create_connection((srv.host, srv.port), timeout=5) as m:
        m.sendall(b"MONITOR\r\n")
        assert m.recv(100) == b"+OK\r\n"
        r.set("mon-key", "a b\x00")
        r.config_get("hz")     # admin commands are not shown
        r.get("mon-key")
        time.sleep(0.2)
        data = m.recv(10000).decode()
    lines = [x for x in data.split("\r\n") if x]
    assert any('"set" "mon-key" "a b\\x00"' in x.lower() for x in lines), lines
    assert any('"get" "mon-key"' in x.lower() for x in lines)
    assert not any("config" in x.lower() for x in lines)
    assert all(x.startswith("+") and " [0 127.0.0.1:" in x for x in lines)


def test_slowlog(srv):
    r = srv.client(decode_responses=True)
    r.slowlog_reset()
    r.config_set("slowlog-log-slower-than", "0")
    try:
        r.client_setname("slowpoke")
        r.set("slow", "1")
        entries = r.slowlog_get(2)
        assert r.slowlog_len() >= 2
        cmd = entries[0]["command"]
        assert (cmd.decode() if isinstance(cmd, bytes) else cmd) == "SET slow 1"
        name = entries[0]["client_name"]
        assert (name.decode() if isinstance(name, bytes) else name) == "slowpoke"
        assert str(entries[0]["client_address"]).find("127.0.0.1:") >= 0
        assert entries[0]["id"] > entries[1]["id"]
        assert len(r.slowlog_get(-1)) >= 3
    finally:
        r.config_set("slowlog-log-slower-than", "10000")
    with pytest.raises(redis.ResponseError, match="count should be greater than or equal to -1"):
        r.execute_command("SLOWLOG", "GET", "-5")
    r.slowlog_reset()
    assert r.slowlog_len() == 0
    assert r.execute_command("SLOWLOG", "HELP")[0].startswith("SLOWLOG <subcommand>")


def test_latency(srv):
    r = srv.client(decode_responses=True)
    assert r.execute_command("LATENCY", "LATEST") == []
    assert r.execute_command("LATENCY", "HISTORY", "command") == []
    assert r.execute_command("LATENCY", "RESET") == 0
    assert "Latency monitoring is disabled" in r.execute_command("LATENCY", "DOCTOR")
    assert r.execute_command("LATENCY", "HELP")[0].startswith("LATENCY <subcommand>")
    with pytest.raises(redis.ResponseError, match="Try LATENCY HELP"):
        r.execute_command("LATENCY", "FOO")


def test_help_texts_match_redis(pickledbd_server, redis_server):
    for cmd in (b"CONFIG", b"COMMAND", b"SLOWLOG", b"LATENCY"):
        q = cmd + b" HELP\r\n"
        assert raw(pickledbd_server, q) == raw(redis_server, q), cmd
