"""Pub/sub on the wire: every scenario runs against redis-server 7.0.15 and pickledbd and
asserts the exact bytes each client receives (RESP2 arrays, RESP3 pushes), their order among
ordinary replies, PUBSUB introspection, keyspace notifications, and what a disconnect, RESET,
QUIT or CLIENT KILL leaves behind. protocol/pubsub.t has the single-connection RESP2 contract;
test_pubsub_limits.py the output buffer limits and hostile clients; test_pubsub_frameworks.py
redis-py, redis-cli and kombu."""
from __future__ import annotations

import time

import pytest

from pickledbd.daemon.inprocess import LocalServer
from pubsub_client import Conn, enc, frame, wait_until

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(params=["pickledbd", "redis"])
def srv(request):
    return request.getfixturevalue("pickledbd_server" if request.param == "pickledbd" else "redis_server")


def numsub(srv, channel) -> int:
    return srv.client().pubsub_numsub(channel)[0][1]


# ------------------------------------------------------------------ confirmations
def test_subscribe_confirmations_resp3(srv):
    c = Conn(srv, resp=3)
    c.send("SUBSCRIBE", "a", "b", "a")
    c.expect(frame("subscribe", "a", 1, resp=3) + frame("subscribe", "b", 2, resp=3)
             + frame("subscribe", "a", 2, resp=3))
    c.send("PSUBSCRIBE", "x*")
    c.expect(frame("psubscribe", "x*", 3, resp=3))
    c.send("SSUBSCRIBE", "s1")
    c.expect(frame("ssubscribe", "s1", 1, resp=3))
    # RESP3: anything goes while subscribed
    assert c.call("SET", "ps:k", "v") == ("+", b"OK")
    assert c.call("PING") == ("+", b"PONG")
    c.send("UNSUBSCRIBE", "b", "zz")
    c.expect(frame("unsubscribe", "b", 2, resp=3) + frame("unsubscribe", "zz", 2, resp=3))
    c.send("PUNSUBSCRIBE")
    c.expect(frame("punsubscribe", "x*", 1, resp=3))
    c.send("SUNSUBSCRIBE")
    c.expect(frame("sunsubscribe", "s1", 0, resp=3))
    c.send("UNSUBSCRIBE")
    c.expect(frame("unsubscribe", "a", 0, resp=3))
    c.send("UNSUBSCRIBE")
    c.expect(frame("unsubscribe", None, 0, resp=3))      # >3 unsubscribe _ :0
    c.send("PUNSUBSCRIBE")
    c.expect(frame("punsubscribe", None, 0, resp=3))
    c.send("SUNSUBSCRIBE")
    c.expect(frame("sunsubscribe", None, 0, resp=3))
    assert c.call("DEL", "ps:k") == (":", 1)
    c.quiet()
    c.close()


def test_subscribe_confirmations_resp2_nil(srv):
    c = Conn(srv)
    c.send("UNSUBSCRIBE")
    c.expect(b"*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n")
    c.send("SSUBSCRIBE", "s")
    c.expect(b"*3\r\n$10\r\nssubscribe\r\n$1\r\ns\r\n:1\r\n")
    c.send("UNSUBSCRIBE")            # shard channels do not count for UNSUBSCRIBE
    c.expect(b"*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n")
    c.send("GET", "k")
    c.expect(b"-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
             b"RESET are allowed in this context\r\n")
    c.close()


# ------------------------------------------------------------------ delivery
@pytest.mark.parametrize("resp", [2, 3])
def test_message_and_pmessage_frames(srv, resp):
    ch, msg = b"bin\x00\xff\r\nch", b"payload \x00\xff\r\n end"
    s = Conn(srv, resp=resp)
    s.send("SUBSCRIBE", ch)
    s.expect(frame("subscribe", ch, 1, resp=resp))
    s.send("PSUBSCRIBE", b"bin*")
    s.expect(frame("psubscribe", b"bin*", 2, resp=resp))
    p = Conn(srv)
    assert p.call("PUBLISH", ch, msg) == (":", 2)     # one per delivery: channel + pattern
    s.expect(frame("message", ch, msg, resp=resp) + frame("pmessage", b"bin*", ch, msg, resp=resp))
    assert p.call("PUBLISH", b"binary", b"x") == (":", 1)
    s.expect(frame("pmessage", b"bin*", b"binary", b"x", resp=resp))
    assert p.call("PUBLISH", b"other", b"x") == (":", 0)
    assert p.call("PUBLISH", ch, b"") == (":", 2)
    s.expect(frame("message", ch, b"", resp=resp) + frame("pmessage", b"bin*", ch, b"", resp=resp))
    s.quiet()
    s.close()
    p.close()


@pytest.mark.parametrize("resp", [2, 3])
def test_shard_channels(srv, resp):
    s = Conn(srv, resp=resp)
    s.send("SSUBSCRIBE", "sh1", "sh2")
    s.expect(frame("ssubscribe", "sh1", 1, resp=resp) + frame("ssubscribe", "sh2", 2, resp=resp))
    s.send("PSUBSCRIBE", "sh*")
    s.expect(frame("psubscribe", "sh*", 1, resp=resp))       # channels + patterns only
    p = Conn(srv)
    assert p.call("SPUBLISH", "sh1", "m") == (":", 1)        # patterns never see shard messages
    s.expect(frame("smessage", "sh1", "m", resp=resp))
    assert p.call("PUBLISH", "sh1", "plain") == (":", 1)     # a plain channel of the same name
    s.expect(frame("pmessage", "sh*", "sh1", "plain", resp=resp))
    assert p.call("PUBSUB", "SHARDNUMSUB", "sh1", "sh2", "sh3") == (
        "*", [("$", b"sh1"), (":", 1), ("$", b"sh2"), (":", 1), ("$", b"sh3"), (":", 0)])
    assert p.call("PUBSUB", "NUMSUB", "sh1") == ("*", [("$", b"sh1"), (":", 0)])
    ch = p.call("PUBSUB", "SHARDCHANNELS", "sh*")
    assert sorted(x[1] for x in ch[1]) == [b"sh1", b"sh2"]
    assert p.call("PUBSUB", "SHARDCHANNELS", "*2") == ("*", [("$", b"sh2")])
    s.close()
    p.close()


def test_publish_to_self_resp3(srv):
    """A RESP3 subscriber's own message comes before its PUBLISH reply."""
    c = Conn(srv, resp=3)
    c.send("SUBSCRIBE", "me")
    c.expect(frame("subscribe", "me", 1, resp=3))
    c.send("PSUBSCRIBE", "m*")
    c.expect(frame("psubscribe", "m*", 2, resp=3))
    c.send("PUBLISH", "me", "hi")
    c.expect(frame("message", "me", "hi", resp=3) + frame("pmessage", "m*", "me", "hi", resp=3) + b":2\r\n")
    c.send("SPUBLISH", "me", "hi")
    c.expect(b":0\r\n")
    c.quiet()
    c.close()


def test_exec_puts_own_messages_inside_the_array(srv):
    """MULTI ... EXEC: SUBSCRIBE's confirmations and a message to the client itself are
    written inside EXEC's array (Redis 7.0 adds them to the reply as they happen)."""
    c = Conn(srv, resp=3)
    c.send("SUBSCRIBE", "tx")
    c.expect(frame("subscribe", "tx", 1, resp=3))
    assert c.pipeline([["MULTI"], ["PUBLISH", "tx", "m"], ["PING"]]) == [
        ("+", b"OK"), ("+", b"QUEUED"), ("+", b"QUEUED")]
    c.send("EXEC")
    c.expect(b"*2\r\n" + frame("message", "tx", "m", resp=3) + b":1\r\n+PONG\r\n")
    c.quiet()
    c.close()
    c = Conn(srv)
    assert c.pipeline([["MULTI"], ["SUBSCRIBE", "tx2", "tx3"], ["PUBLISH", "tx2", "m"]]) == [
        ("+", b"OK"), ("+", b"QUEUED"), ("+", b"QUEUED")]
    c.send("EXEC")
    c.expect(b"*2\r\n" + frame("subscribe", "tx2", 1) + frame("subscribe", "tx3", 2)
             + frame("message", "tx2", "m") + b":1\r\n")
    c.send("PING")
    c.expect(b"*2\r\n$4\r\npong\r\n$0\r\n\r\n")
    c.quiet()
    c.close()


def test_delivery_order_and_pushes_among_replies(srv):
    """Messages arrive in publish order; a RESP3 subscriber's own replies stay in order
    with messages published before and after its commands."""
    s3 = Conn(srv, resp=3)
    s3.send("SUBSCRIBE", "ord")
    s3.expect(frame("subscribe", "ord", 1, resp=3))
    s2 = Conn(srv)
    s2.send("SUBSCRIBE", "ord")
    s2.expect(frame("subscribe", "ord", 1))
    p = Conn(srv)
    n = 3000
    p.send_raw(b"".join(enc("PUBLISH", "ord", "m%d" % i) for i in range(n)))
    assert [p.read_reply() for _ in range(n)] == [(":", 2)] * n
    s3.send("ECHO", "after")       # its reply is queued behind the n messages
    s3.expect(b"".join(frame("message", "ord", "m%d" % i, resp=3) for i in range(n)) + b"$5\r\nafter\r\n")
    p.call("PUBLISH", "ord", "last")
    s3.expect(frame("message", "ord", "last", resp=3))
    s2.expect(b"".join(frame("message", "ord", "m%d" % i) for i in range(n))
              + frame("message", "ord", "last"))
    s3.quiet()
    s2.quiet(0.05)
    for c in (s3, s2, p):
        c.close()


def test_two_publishers_interleave_in_publish_order(srv):
    s = Conn(srv)
    s.send("SUBSCRIBE", "two")
    s.expect(frame("subscribe", "two", 1))
    a, b = Conn(srv), Conn(srv)
    expected = []
    for i in range(200):
        pub = a if i % 3 else b
        assert pub.call("PUBLISH", "two", "%d" % i) == (":", 1)
        expected.append(frame("message", "two", "%d" % i))
    s.expect(b"".join(expected))
    for c in (s, a, b):
        c.close()


# ------------------------------------------------------------------ leaving
def test_disconnect_quit_reset_kill_drop_subscriptions(srv):
    r = srv.client()
    gone = Conn(srv)
    gone.send("SUBSCRIBE", "lv1", "lv2")
    gone.expect(frame("subscribe", "lv1", 1) + frame("subscribe", "lv2", 2))
    quitter = Conn(srv)
    quitter.send("PSUBSCRIBE", "lv*")
    quitter.expect(frame("psubscribe", "lv*", 1))
    resetter = Conn(srv)
    resetter.send("SSUBSCRIBE", "lvs")
    resetter.expect(frame("ssubscribe", "lvs", 1))
    killed = Conn(srv)
    kid = killed.call("CLIENT", "ID")[1]
    killed.send("SUBSCRIBE", "lv3")
    killed.expect(frame("subscribe", "lv3", 1))
    assert r.pubsub_numsub("lv1", "lv3") == [(b"lv1", 1), (b"lv3", 1)]
    assert r.pubsub_numpat() >= 1

    gone.close()
    wait_until(lambda: numsub(srv, "lv1") == 0)
    assert r.pubsub_numsub("lv2") == [(b"lv2", 0)]
    assert quitter.call("QUIT") == ("+", b"OK")
    wait_until(lambda: r.publish("lv9", "x") == 0)          # its pattern went with it
    assert resetter.call("RESET") == ("+", b"RESET")        # no unsubscribe confirmations
    assert resetter.call("GET", "nokey") == ("$", None)      # out of subscribed mode
    assert r.execute_command("PUBSUB", "SHARDNUMSUB", "lvs") == [b"lvs", 0]
    r.client_kill_filter(_id=kid)
    wait_until(lambda: numsub(srv, "lv3") == 0)
    assert r.publish("lv3", "x") == 0
    resetter.quiet(0.05)
    for c in (quitter, resetter, killed):
        c.close()


# ------------------------------------------------------------------ PUBSUB / INFO / CLIENT LIST
def test_pubsub_introspection_info_and_client_list(srv):
    r = srv.client()
    before = r.info("stats")
    c = Conn(srv, resp=3)
    c.send("SUBSCRIBE", "in1", "in2")
    c.expect(frame("subscribe", "in1", 1, resp=3) + frame("subscribe", "in2", 2, resp=3))
    c.send("PSUBSCRIBE", "in*")
    c.expect(frame("psubscribe", "in*", 3, resp=3))
    c.send("SSUBSCRIBE", "ins")
    c.expect(frame("ssubscribe", "ins", 1, resp=3))
    d = Conn(srv)
    d.send("PSUBSCRIBE", "in*")              # the same pattern twice counts once (7.0)
    d.expect(frame("psubscribe", "in*", 1))
    stats = r.info("stats")
    assert stats["pubsub_channels"] == before["pubsub_channels"] + 2
    assert stats["pubsub_patterns"] == before["pubsub_patterns"] + 1
    assert stats["pubsubshard_channels"] == before["pubsubshard_channels"] + 1
    assert r.pubsub_numpat() == before["pubsub_patterns"] + 1
    assert set(r.pubsub_channels("in*")) == {b"in1", b"in2"}
    assert set(r.pubsub_channels("in?")) == {b"in1", b"in2"}
    assert set(r.pubsub_channels("in[1]")) == {b"in1"}
    my_id = c.call("CLIENT", "ID")[1]
    line = c.call("CLIENT", "INFO")[1].decode()
    assert " sub=2 psub=1 ssub=1 " in line and " flags=P " in line and "id=%d " % my_id in line
    entry = next(x for x in r.client_list() if int(x["id"]) == my_id)
    assert (entry["sub"], entry["psub"], entry["ssub"], entry["flags"]) == ("2", "1", "1", "P")
    assert any(int(x["id"]) == my_id for x in r.client_list(_type="pubsub"))
    c.close()
    d.close()
    wait_until(lambda: r.info("stats")["pubsub_channels"] == before["pubsub_channels"])
    wait_until(lambda: r.pubsub_numpat() == before["pubsub_patterns"])


# ------------------------------------------------------------------ keyspace notifications
@pytest.fixture
def notify(srv):
    r = srv.client()
    old = r.config_get("notify-keyspace-events")["notify-keyspace-events"]
    yield r
    r.config_set("notify-keyspace-events", old)


@pytest.mark.parametrize("value,shown", [
    ("KEA", "AKE"), ("AKEn", "AKE"), ("nxKm", "xnKm"), ("", ""), ("g$lshzxetd", "A"), ("AA", "A"),
    ("Ex", "xE"), ("Kn", "nK"), ("Em", "Em"), ("gK", "gK"),
    ("$lshzetdE", "$lshzetdE"),
])
def test_notify_keyspace_events_config_round_trip(srv, notify, value, shown):
    r = notify
    assert r.config_set("notify-keyspace-events", value)
    assert r.config_get("notify-keyspace-events") == {"notify-keyspace-events": shown}


def test_notify_keyspace_events_bad_letter(srv, notify):
    import redis
    with pytest.raises(redis.ResponseError) as e:
        notify.config_set("notify-keyspace-events", "Kq")
    assert str(e.value) == ("CONFIG SET failed (possibly related to argument 'notify-keyspace-events') "
                            "- Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")


@pytest.mark.parametrize("resp", [2, 3])
def test_keyspace_notifications_new_and_expired(srv, notify, resp):
    notify.config_set("notify-keyspace-events", "KEnx")
    s = Conn(srv, resp=resp)
    s.send("PSUBSCRIBE", "__key*@*__:*")
    s.expect(frame("psubscribe", "__key*@*__:*", 1, resp=resp))
    w = Conn(srv)

    def both(db, key, event):
        return (frame("pmessage", "__key*@*__:*", "__keyspace@%d__:%s" % (db, key), event, resp=resp)
                + frame("pmessage", "__key*@*__:*", "__keyevent@%d__:%s" % (db, event), key, resp=resp))

    assert w.call("SET", "ks:lazy", "v", "PX", "50") == ("+", b"OK")
    s.expect(both(0, "ks:lazy", "new"))
    assert w.call("SET", "ks:lazy", "v2", "PX", "50") == ("+", b"OK")    # not new any more
    time.sleep(0.15)
    assert w.call("GET", "ks:lazy") == ("$", None)          # lazy expiry
    s.expect(both(0, "ks:lazy", "expired"))
    assert w.call("SELECT", "3") == ("+", b"OK")
    assert w.call("SET", "ks:active", "v", "PX", "30") == ("+", b"OK")
    s.expect(both(3, "ks:active", "new"))
    s.expect(both(3, "ks:active", "expired"))                # the active cycle, nobody touched it
    s.quiet(0.1)
    s.close()
    w.close()


def test_keyspace_notification_classes(srv, notify):
    """A class bit alone publishes nothing: K and E pick the channels."""
    s = Conn(srv)
    s.send("PSUBSCRIBE", "__key*")
    s.expect(frame("psubscribe", "__key*", 1))
    w = Conn(srv)
    space_new = frame("pmessage", "__key*", "__keyspace@0__:cls:k", "new")
    space_exp = frame("pmessage", "__key*", "__keyspace@0__:cls:k", "expired")
    event_exp = frame("pmessage", "__key*", "__keyevent@0__:expired", "cls:k")
    misses = (frame("pmessage", "__key*", "__keyspace@0__:cls:k", "keymiss")
              + frame("pmessage", "__key*", "__keyevent@0__:keymiss", "cls:k"))
    for flags, want in (("x", b""), ("n", b""), ("Kx", space_exp), ("Ex", event_exp),
                        ("Kn", space_new), ("KEm", misses), ("", b"")):
        notify.config_set("notify-keyspace-events", flags)
        w.call("SET", "cls:k", "v", "PX", "1")
        time.sleep(0.01)
        assert w.call("GET", "cls:k") == ("$", None)
        s.expect(want)
        s.quiet(0.05)
    s.close()
    w.close()


def test_keyspace_event_to_a_plain_channel_subscriber(srv, notify):
    notify.config_set("notify-keyspace-events", "Ex")
    s = Conn(srv, resp=3)
    s.send("SUBSCRIBE", "__keyevent@0__:expired")
    s.expect(frame("subscribe", "__keyevent@0__:expired", 1, resp=3))
    # its own command expires the key: the push precedes the reply
    assert s.call("SET", "own:k", "v", "PX", "1") == ("+", b"OK")
    time.sleep(0.01)
    s.send("GET", "own:k")
    s.expect(frame("message", "__keyevent@0__:expired", "own:k", resp=3) + b"_\r\n")
    s.close()


# ------------------------------------------------------------------ in-process checks
def test_encoded_once_per_protocol_version():
    """Fan-out to 100 subscribers builds one RESP2 and one RESP3 frame, shared by all."""
    srv = LocalServer()
    subs = [srv.client(resp=2 if i % 2 else 3) for i in range(100)]
    for c in subs:
        srv.request(c, "SUBSCRIBE", "fan")
    pub = srv.client()
    assert srv.request(pub, "PUBLISH", "fan", "m") == b":100\r\n"
    frames2 = {id(c.out[-1]) for c in subs if c.resp == 2}
    frames3 = {id(c.out[-1]) for c in subs if c.resp == 3}
    assert len(frames2) == 1 and len(frames3) == 1
    assert subs[1].out[-1] == frame("message", "fan", "m")
    assert subs[0].out[-1] == frame("message", "fan", "m", resp=3)


def test_pattern_compiled_once(monkeypatch):
    from pickledbd.daemon.pubsub import hub
    compiled = []
    real = hub.matcher

    def counting(p):
        compiled.append(p)
        return real(p)

    monkeypatch.setattr(hub, "matcher", counting)
    srv = LocalServer()
    a, b = srv.client(), srv.client()
    srv.request(a, "PSUBSCRIBE", "p.*")
    srv.request(b, "PSUBSCRIBE", "p.*")
    pub = srv.client()
    for i in range(50):
        assert srv.request(pub, "PUBLISH", "p.%d" % i, "m") == b":2\r\n"
    assert compiled == ["p.*"]


def test_publish_and_spublish_are_propagated():
    """Redis forces PUBLISH and SPUBLISH to replicas (forceCommandPropagation)."""
    srv = LocalServer()
    units = []
    srv.engine.propagation.add_feed(units.append)
    c = srv.client()
    srv.request(c, "PUBLISH", "ch", "m")
    srv.request(c, "SPUBLISH", "sch", "m")
    srv.request(c, "PUBSUB", "NUMSUB", "ch")
    assert units == [[(0, ["PUBLISH", "ch", "m"])], [(0, ["SPUBLISH", "sch", "m"])]]


def test_reset_and_disconnect_leave_no_trace():
    srv = LocalServer()
    hub = srv.server.pubsub
    c = srv.client()
    srv.request(c, "SUBSCRIBE", "a", "b")
    srv.request(c, "PSUBSCRIBE", "a*")
    srv.request(c, "SSUBSCRIBE", "s")
    assert (hub.channel_count(), hub.pattern_count(), hub.shard_channel_count()) == (2, 1, 1)
    assert srv.request(c, "RESET") == b"+RESET\r\n"
    assert (hub.channel_count(), hub.pattern_count(), hub.shard_channel_count()) == (0, 0, 0)
    assert not c.special and c.client_type() == "normal"
    srv.request(c, "SUBSCRIBE", "a")
    srv.server.clients.forget(c)          # what a disconnect does
    assert hub.channels == {} and c.subscriptions == {}
