"""Connection commands and CLIENT *, through redis-py (sync + asyncio, RESP2 + RESP3),
compared with a real redis-server where the behaviour is the same."""
from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
import redis.asyncio as aioredis


def raw(srv, *cmds: bytes, wait: float = 0.2) -> bytes:
    """Send raw bytes, return everything the server answered within ``wait`` seconds."""
    with socket.create_connection((srv.host, srv.port), timeout=5) as s:
        for c in cmds:
            s.sendall(c)
        time.sleep(wait)
        s.settimeout(0.2)
        out = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
        except socket.timeout:
            pass
        return out


@pytest.fixture(params=["pickledbd", "redis"])
def srv(request):
    return request.getfixturevalue("pickledbd_server" if request.param == "pickledbd" else "redis_server")


# ------------------------------------------------------------------ PING / ECHO / SELECT / QUIT
@pytest.mark.parametrize("protocol", [2, 3])
def test_ping_echo_select(srv, protocol):
    r = srv.client(protocol=protocol)
    assert r.ping() is True
    assert r.echo(b"\x00\xff bin") == b"\x00\xff bin"
    r.select(3)
    r.set("where", "three")
    assert r.get("where") == b"three"
    r.select(0)
    assert r.get("where") is None
    with pytest.raises(redis.ResponseError, match="DB index is out of range"):
        r.select(16)
    r.select(3)
    r.delete("where")


def test_quit_closes(srv):
    out = raw(srv, b"PING hi\r\nQUIT\r\nPING\r\n")
    assert out == b"$2\r\nhi\r\n+OK\r\n"


# ------------------------------------------------------------------ HELLO
@pytest.mark.parametrize("protocol", [2, 3])
def test_hello_reply(srv, protocol):
    r = srv.client(protocol=protocol, decode_responses=True)
    h = r.execute_command("HELLO", str(protocol))
    if isinstance(h, list):
        h = dict(zip(h[::2], h[1::2]))
    assert h["server"] == "redis"
    assert h["proto"] == protocol
    assert h["mode"] == "standalone" and h["role"] == "master" and h["modules"] == []
    assert h["id"] == r.client_id()
    assert h["version"].startswith("7.")


def test_hello_wire_shapes(pickledbd_server):
    out = raw(pickledbd_server, b"HELLO 3\r\nGET nokey\r\nHELLO 2\r\nGET nokey\r\n")
    assert out.startswith(b"%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n")
    assert b"_\r\n" in out and out.endswith(b"$-1\r\n")


def test_hello_setname_and_errors(srv):
    r = srv.client(decode_responses=True)
    r.execute_command("HELLO", "2", "SETNAME", "myconn")
    assert r.client_getname() == "myconn"
    with pytest.raises(redis.ResponseError, match="NOPROTO"):
        r.execute_command("HELLO", "4")
    with pytest.raises(redis.ResponseError, match="Syntax error in HELLO option 'AUTH'"):
        r.execute_command("HELLO", "3", "AUTH", "default")
    # options apply in order (Redis 7.0): SETNAME sticks although AUTH then fails
    out = raw(srv, b"HELLO 3 SETNAME named2 AUTH nosuch pw FOO\r\nCLIENT GETNAME\r\n")
    assert out == b"-WRONGPASS invalid username-password pair or user is disabled.\r\n$6\r\nnamed2\r\n"


# ------------------------------------------------------------------ AUTH / requirepass
# The harness's readiness probe is a bare PING, which -NOAUTH would fail: start without a
# password, then set it (connections made afterwards must authenticate).
def _secure(srv):
    c = srv.client()
    c.config_set("requirepass", "s3cret")
    c.close()
    return srv


@pytest.fixture
def secured(start_pickledbd):
    return _secure(start_pickledbd())


@pytest.fixture
def secured_redis(tmp_path):
    import servers
    if servers.redis_server_binary() is None:
        pytest.skip("no redis-server")
    srv = servers.start_with_retry(lambda: servers.RedisServer(tmp_path))
    yield _secure(srv)
    srv.stop()


@pytest.fixture(params=["pickledbd", "redis"])
def secured_srv(request):
    return request.getfixturevalue("secured" if request.param == "pickledbd" else "secured_redis")


def test_noauth_wrongpass_texts(secured_srv):
    # raw socket: the test harness PING at start-up does not apply here
    out = raw(secured_srv, b"GET a\r\nAUTH wrong\r\nAUTH default wrong\r\nAUTH s3cret\r\nPING\r\n")
    assert out == (b"-NOAUTH Authentication required.\r\n"
                   b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
                   b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
                   b"+OK\r\n+PONG\r\n")
    out = raw(secured_srv, b"HELLO 3\r\n")
    assert out == (b"-NOAUTH HELLO must be called with the client already authenticated, otherwise the "
                   b"HELLO AUTH <user> <pass> option can be used to authenticate the client and "
                   b"select the RESP protocol version at the same time\r\n")
    out = raw(secured_srv, b"HELLO 3 AUTH default s3cret\r\nGET nokey\r\n")
    assert out.startswith(b"%7\r\n") and out.endswith(b"_\r\n")
    # AUTH, QUIT, RESET, HELLO are allowed before authenticating
    assert raw(secured_srv, b"RESET\r\nQUIT\r\n") == b"+RESET\r\n+OK\r\n"


@pytest.mark.parametrize("protocol", [2, 3])
def test_redis_py_password(secured_srv, protocol):
    r = secured_srv.client(password="s3cret", protocol=protocol)
    assert r.ping()
    r.set("k", "v")
    assert r.get("k") == b"v"
    # no retries: redis-py retries an AuthenticationError with back-off (seconds per test)
    once = Retry(NoBackoff(), 0)
    bad = secured_srv.client(password="nope", protocol=protocol, retry=once)
    with pytest.raises(redis.AuthenticationError):
        bad.ping()
    anon = secured_srv.client(protocol=protocol, retry=once)
    with pytest.raises(redis.AuthenticationError):
        anon.get("k")


def test_reset_deauthenticates(secured):
    out = raw(secured, b"AUTH s3cret\r\nSELECT 2\r\nRESET\r\nGET a\r\n")
    assert out == b"+OK\r\n+OK\r\n+RESET\r\n-NOAUTH Authentication required.\r\n"


# ------------------------------------------------------------------ CLIENT
def test_client_id_name_info(srv):
    r = srv.client(decode_responses=True)
    cid = r.client_id()
    assert cid >= 1
    r.client_setname("named")
    info = r.client_info()
    assert int(info["id"]) == cid and info["name"] == "named" and int(info["db"]) == 0
    line = r.execute_command("CLIENT", "INFO")
    fields = [kv.split("=", 1)[0] for kv in line.strip().split(" ")]
    expected_prefix = ["id", "addr", "laddr", "fd", "name", "age", "idle", "flags", "db", "sub", "psub",
                       "ssub", "multi", "qbuf", "qbuf-free", "argv-mem", "multi-mem", "rbs", "rbp", "obl",
                       "oll", "omem", "tot-mem", "events", "cmd", "user", "redir", "resp"]
    assert fields[:len(expected_prefix)] == expected_prefix
    assert line.endswith("\n")
    assert "cmd=client|info" in line


def test_client_setinfo(pickledbd_server):
    # redis-py >= 5 sends CLIENT SETINFO on connect (Redis 7.2); pickledbd accepts it
    r = pickledbd_server.client(decode_responses=True, lib_name="mylib", lib_version="9.9")
    assert r.ping()
    line = r.execute_command("CLIENT", "INFO")
    assert "lib-name=mylib" in line and "lib-ver=9.9" in line
    with pytest.raises(redis.ResponseError, match="Unrecognized option 'foo'"):
        r.execute_command("CLIENT", "SETINFO", "foo", "x")
    with pytest.raises(redis.ResponseError, match="lib-name cannot contain spaces"):
        r.execute_command("CLIENT", "SETINFO", "lib-name", "a b")
    assert r.execute_command("CLIENT", "NO-TOUCH", "on") == "OK"
    assert "T" in r.client_info()["flags"]
    r.execute_command("CLIENT", "NO-TOUCH", "off")


def test_client_list_filters(srv):
    a = srv.client(decode_responses=True)
    b = srv.client(decode_responses=True)
    ida, idb = a.client_id(), b.client_id()
    ids = {int(c["id"]) for c in a.client_list()}
    assert {ida, idb} <= ids
    only = a.client_list(client_id=[idb])
    assert [int(c["id"]) for c in only] == [idb]
    assert a.execute_command("CLIENT", "LIST", "ID", "999999") == ""
    assert all(c["flags"] == "N" or "N" in c["flags"] for c in a.client_list(_type="normal"))
    assert a.client_list(_type="pubsub") == []
    with pytest.raises(redis.ResponseError, match="Unknown client type 'foo'"):
        a.execute_command("CLIENT", "LIST", "TYPE", "foo")
    with pytest.raises(redis.ResponseError, match="Invalid client ID"):
        a.execute_command("CLIENT", "LIST", "ID", "abc")
    with pytest.raises(redis.ResponseError, match="syntax error"):
        a.execute_command("CLIENT", "LIST", "foo")


def test_client_kill(srv):
    a = srv.client(decode_responses=True)
    victim = socket.create_connection((srv.host, srv.port))
    victim.sendall(b"CLIENT ID\r\n")
    vid = int(victim.recv(100)[1:].strip())
    addr = next(c["addr"] for c in a.client_list() if int(c["id"]) == vid)
    # old form
    assert a.execute_command("CLIENT", "KILL", addr) == "OK"
    victim.settimeout(2)
    assert victim.recv(100) == b""
    with pytest.raises(redis.ResponseError, match="No such client"):
        a.execute_command("CLIENT", "KILL", addr)
    # new form: ID, ADDR, LADDR, SKIPME
    v2 = socket.create_connection((srv.host, srv.port))
    v2.sendall(b"CLIENT ID\r\n")
    vid2 = int(v2.recv(100)[1:].strip())
    assert a.execute_command("CLIENT", "KILL", "ID", str(vid2)) == 1
    assert a.execute_command("CLIENT", "KILL", "ID", str(vid2)) == 0
    with pytest.raises(redis.ResponseError, match="client-id should be greater than 0"):
        a.execute_command("CLIENT", "KILL", "ID", "abc")
    with pytest.raises(redis.ResponseError, match="syntax error"):
        a.execute_command("CLIENT", "KILL", "SKIPME", "maybe")
    assert a.execute_command("CLIENT", "KILL", "ADDR", "1.2.3.4:5") == 0
    assert a.execute_command("CLIENT", "KILL", "LADDR", "1.2.3.4:5") == 0
    me = a.client_id()
    # SKIPME yes (default) spares the caller
    a.execute_command("CLIENT", "KILL", "ID", str(me))
    assert a.ping()
    v2.close()
    victim.close()


def test_client_kill_self_replies_first(srv):
    with socket.create_connection((srv.host, srv.port), timeout=3) as s:
        s.sendall(b"CLIENT ID\r\n")
        me = int(s.recv(100)[1:].strip())
        s.sendall(b"CLIENT KILL ID %d SKIPME no\r\n" % me)
        out = b""
        while True:
            chunk = s.recv(100)
            if not chunk:
                break
            out += chunk
        assert out == b":1\r\n"


def test_client_no_evict_and_errors(srv):
    r = srv.client(decode_responses=True)
    assert r.execute_command("CLIENT", "NO-EVICT", "on") == "OK"
    assert "e" in r.client_info()["flags"]
    assert r.execute_command("CLIENT", "NO-EVICT", "OFF") == "OK"
    with pytest.raises(redis.ResponseError, match="syntax error"):
        r.execute_command("CLIENT", "NO-EVICT", "maybe")
    with pytest.raises(redis.ResponseError, match="Try CLIENT HELP"):
        r.execute_command("CLIENT", "NOSUCH")
    help_lines = r.execute_command("CLIENT", "HELP")
    assert help_lines[0].startswith("CLIENT <subcommand>")
    assert r.execute_command("CLIENT", "UNBLOCK", "999999") == 0
    with pytest.raises(redis.ResponseError, match="reason should be TIMEOUT or ERROR"):
        r.execute_command("CLIENT", "UNBLOCK", "1", "foo")
    with pytest.raises(redis.ResponseError, match="value is not an integer or out of range"):
        r.execute_command("CLIENT", "UNBLOCK", "abc")


def _blocking_supported(srv) -> bool:
    return raw(srv, b"COMMAND INFO blpop\r\n") != b"*1\r\n$-1\r\n"


@pytest.mark.parametrize("mode", ["TIMEOUT", "ERROR"])
def test_client_unblock(srv, mode):
    r = srv.client()
    if not _blocking_supported(srv):
        pytest.skip("BLPOP not implemented yet")
    with socket.create_connection((srv.host, srv.port), timeout=5) as s:
        s.sendall(b"CLIENT ID\r\n")
        cid = int(s.recv(100)[1:].strip())
        s.sendall(b"BLPOP nosuchlist-unblock 0\r\n")
        deadline = time.time() + 5
        while int(r.info("clients")["blocked_clients"]) < 1 and time.time() < deadline:
            time.sleep(0.02)
        assert r.execute_command("CLIENT", "UNBLOCK", str(cid), mode) == 1
        out = s.recv(1000)
        if mode == "TIMEOUT":
            assert out == b"*-1\r\n"
        else:
            assert out == b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
        assert r.execute_command("CLIENT", "UNBLOCK", str(cid)) == 0


# ------------------------------------------------------------------ asyncio clients
@pytest.mark.parametrize("protocol", [2, 3])
def test_asyncio_client(pickledbd_server, protocol):
    async def main():
        r = aioredis.Redis(host=pickledbd_server.host, port=pickledbd_server.port, protocol=protocol,
                           decode_responses=True)
        try:
            assert await r.ping()
            await r.client_setname("aio")
            assert await r.client_getname() == "aio"
            assert await r.echo("x") == "x"
            info = await r.info("server")
            assert info["redis_mode"] == "standalone"
            results = await asyncio.gather(*[r.echo(str(i)) for i in range(50)])
            assert results == [str(i) for i in range(50)]
            cfg = await r.config_get("databases")
            assert cfg == {"databases": "16"}
        finally:
            await r.aclose()
    asyncio.run(main())


def test_many_threads(pickledbd_server):
    errors = []

    def work(i):
        try:
            r = redis.Redis(host=pickledbd_server.host, port=pickledbd_server.port)
            for j in range(50):
                assert r.echo(f"{i}-{j}") == f"{i}-{j}".encode()
            r.close()
        except Exception as e:  # pragma: no cover
            errors.append(e)
    ts = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors
