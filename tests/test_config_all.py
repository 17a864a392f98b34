"""Every parameter of Redis 7.0.15's CONFIG GET *, side by side with a real redis-server: the
same names (aliases included) and default values, the same validation by CONFIG SET (types,
ranges, enums, units, immutable ones) with byte-identical errors, the same value read back,
and the same parameters accepted in a config file."""
from __future__ import annotations

import pytest
import redis

from servers import PickledbdServer, RedisServer, redis_server_binary, start_with_retry

# values that necessarily differ between the two processes
DIFFERENT = {"port", "dir", "dbfilename"}
# not probed with CONFIG SET: they would cut the test's own connection or move files
NOT_PROBED = {"port", "bind", "requirepass", "dir", "dbfilename", "timeout", "maxclients"}
# deviations (README): the unsigned wrap of a percent in C
KNOWN = {("maxmemory-clients", "99999999999999999999"), ("maxmemory-clients", "18446744073709551616")}
PROBES = ["abc", "-1", "0", "1", "7", "99999999999999999999", "1.5", "", "2147483648",
          "-2147483649", "1kb", "1K", "5mb", "1GB", "10%", "yes", "NO", "Yes",
          "9223372036854775807", "-9223372036854775808", "18446744073709551616", "01", "-0", " 5",
          "+5", "5 6 7", "0 200 800", "-3000 0 0", "nosave now", "save nosave", "NOW", "local",
          "allchannels", "everysec", "ALWAYS", "volatile-lru", "50 99.9", "KEA", "Ex", "x",
          "{title}", "{bad}", "normal 1 2 3", "pubsub 1mb 2mb 3", "slave 0 0 0", "3600 1",
          "debug", "swapdb", "hostname", "a.b-c"]


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    if redis_server_binary() is None:
        pytest.skip("redis-server binary not found on PATH")
    flags = ["--enable-protected-configs", "yes", "--enable-debug-command", "yes"]
    rd = start_with_retry(lambda: RedisServer(tmp_path_factory.mktemp("r"), extra_args=flags))
    pd = start_with_retry(lambda: PickledbdServer(tmp_path_factory.mktemp("p")))
    try:
        yield rd.client(decode_responses=True), pd.client(decode_responses=True)
    finally:
        rd.stop()
        pd.stop()


def _set(c, name, value):
    try:
        c.config_set(name, value)
    except redis.ResponseError as e:
        return "error: %s" % e
    return "OK -> %s" % c.config_get(name)[name]


def test_config_get_star_lists_the_same_parameters_and_defaults(pair):
    r, p = pair
    want, got = r.config_get("*"), p.config_get("*")
    assert sorted(want) == sorted(got)
    assert len(want) == 192
    diff = {k: (want[k], got[k]) for k in want if want[k] != got[k] and k not in DIFFERENT}
    assert diff == {}


@pytest.mark.parametrize("pattern", ["*max*", "slave*", "*-ziplist-*", "h?", "[a-c]*", "MAXMEMORY",
                                     "Hash-Max-Ziplist-Entries", "nosuch", "tls-*"])
def test_config_get_patterns(pair, pattern):
    r, p = pair
    want, got = r.config_get(pattern), p.config_get(pattern)
    assert sorted(want) == sorted(got)
    assert {k: v for k, v in want.items() if k not in DIFFERENT} == \
        {k: v for k, v in got.items() if k not in DIFFERENT}


def test_config_set_validates_every_parameter_like_redis(pair):
    r, p = pair
    defaults = r.config_get("*")
    mismatches = []
    for name in sorted(defaults):
        if name in NOT_PROBED:
            continue
        for value in PROBES:
            want, got = _set(r, name, value), _set(p, name, value)
            if want != got and (name, value) not in KNOWN:
                mismatches.append((name, value, want, got))
            for c in (r, p):
                try:
                    c.config_set(name, defaults[name])
                except redis.ResponseError:
                    pass
    assert mismatches == []
    assert r.config_get("*") == {**p.config_get("*"), **{k: defaults[k] for k in DIFFERENT}}


def test_immutable_and_listener_parameters(pair):
    r, p = pair
    for name in ("daemonize", "databases", "unixsocket", "io-threads", "cluster-enabled", "replicaof",
                 "slaveof", "syslog-ident", "rdbchecksum", "set-proc-title", "enable-debug-command"):
        value = r.config_get(name)[name]
        assert _set(p, name, value) == _set(r, name, value)
        assert "can't set immutable config" in _set(p, name, value)
    # the current port and bind are accepted (nothing changes); pickledbd does not re-listen
    port = p.config_get("port")["port"]
    assert _set(p, "port", port) == "OK -> %s" % port
    assert _set(p, "port", "1") == ("error: CONFIG SET failed (possibly related to argument 'port') "
                                    "- Unable to listen on this port")
    assert _set(p, "port", "x") == _set(r, "port", "x")
    assert _set(p, "bind", p.config_get("bind")["bind"]).startswith("OK")


def test_multi_parameter_set_is_all_or_nothing(pair):
    r, p = pair
    for args in (("hz", "20", "maxmemory-samples", "0"), ("hz", "20", "hz", "30"),
                 ("hz", "20", "lua-time-limit", "100", "busy-reply-threshold", "200"),
                 ("hz", "20", "nosuch", "1"), ("hz", "20", "daemonize", "no"),
                 ("list-compress-depth", "3", "stream-node-max-entries", "50")):
        out = []
        for c in (r, p):
            try:
                out.append(c.execute_command("CONFIG", "SET", *args))
            except redis.ResponseError as e:
                out.append(str(e))
            out.append((c.config_get("hz")["hz"], c.config_get("list-compress-depth")))
        assert out[:2] == out[2:], (args, out)
    for c in (r, p):
        c.config_set("hz", 10)
        c.config_set("list-compress-depth", 0)
        c.config_set("stream-node-max-entries", 100)


def test_a_config_file_may_set_every_parameter(tmp_path, pair):
    """A redis.conf naming every mutable parameter with its default starts pickledbd and reads
    back the same values; a wrong value stops it with Redis's reason."""
    r, _ = pair
    defaults = r.config_get("*")
    lines = []
    for name, value in sorted(defaults.items()):
        if name in DIFFERENT | {"bind", "enable-protected-configs", "enable-debug-command", "save",
                                "unixsocketperm", "replicaof", "slaveof"}:
            continue
        if name == "client-output-buffer-limit":
            words = value.split()
            lines += ["client-output-buffer-limit %s" % " ".join(words[i:i + 4]) for i in range(0, 12, 4)]
            continue
        lines.append('%s "%s"' % (name, value) if " " in value or not value else "%s %s" % (name, value))
    conf = tmp_path / "all.conf"
    conf.write_text("\n".join(lines) + "\n")
    (tmp_path / "d").mkdir()
    srv = _with_config_file(PickledbdServer(tmp_path / "d"), conf)
    srv.start()
    try:
        got = srv.client(decode_responses=True).config_get("*")
        assert {k: v for k, v in got.items() if k not in DIFFERENT} == \
            {k: v for k, v in defaults.items() if k not in DIFFERENT}
    finally:
        srv.stop()
    for line, reason in (("active-defrag-cycle-max 100", "argument must be between 1 and 99 inclusive"),
                         ("appendfsync sometimes", "argument(s) must be one of the following: everysec, "
                                                   "always, no"),
                         ("replicaof 127.0.0.1 6379", "pickledbd runs as a master only"),
                         ("tls-port 6380", "Unable to update TLS configuration")):
        bad = tmp_path / "bad.conf"
        bad.write_text(line + "\n")
        d = tmp_path / ("bad%d" % abs(hash(line)))
        d.mkdir()
        srv = _with_config_file(PickledbdServer(d), bad)
        with pytest.raises(Exception):
            srv.start(timeout=10)
        srv.stop()
        assert reason in srv.log_text(), line


def _with_config_file(srv, conf):
    """``python -m pickledbd <conf> --port ...``: the file first, as redis-server takes it."""
    base = srv.argv
    srv.argv = lambda: base()[:3] + [str(conf)] + base()[3:]
    return srv


def test_config_rewrite_keeps_the_new_parameters(tmp_path):
    """CONFIG REWRITE writes the parameters that differ from their defaults in a form the
    config file reads back (multi-word values, percentages, flags)."""
    conf = tmp_path / "p.conf"
    conf.write_text("# mine\nhz 15\n")
    (tmp_path / "d").mkdir()
    srv = _with_config_file(PickledbdServer(tmp_path / "d"), conf)
    srv.start()
    values = {"list-compress-depth": "3", "oom-score-adj-values": "1 2 3", "maxmemory-clients": "5%",
              "shutdown-on-sigint": "nosave now", "latency-tracking-info-percentiles": "50 99.5",
              "proc-title-template": "{title} {port}", "acllog-max-len": "7", "hz": "20",
              "stream-node-max-bytes": "8192", "replica-priority": "5", "ignore-warnings": "ARM64-COW-BUG"}
    try:
        c = srv.client(decode_responses=True)
        for k, v in values.items():
            c.config_set(k, v)
        assert c.config_rewrite()
        text = conf.read_text()
        assert text.startswith("# mine\nhz 20\n")
        srv.restart()
        c = srv.client(decode_responses=True)
        assert {k: c.config_get(k)[k] for k in values} == values
    finally:
        srv.stop()
