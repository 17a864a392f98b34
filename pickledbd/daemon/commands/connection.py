"""Connection commands: PING, ECHO, QUIT, SELECT, HELLO, AUTH, RESET."""
from __future__ import annotations

import hashlib
import hmac

from ...version import REDIS_VERSION

from ..errors import RedisError
from ..protocol.reply import OK, PONG, Status
from ..engine import transactions as tx
from ..engine.command import command
from .client import valid_name
from .util import parse_int


@command("ping")
def ping(c, args):
    if len(args) > 2:
        raise RedisError("ERR wrong number of arguments for 'ping' command")
    if c.resp == 2 and c.subscribed():
        return ["pong", args[1] if len(args) == 2 else ""]
    return PONG if len(args) == 1 else args[1]


@command("echo")
def echo(c, args):
    return args[1]


@command("quit")
def quit_(c, args):
    c.closing = True
    return OK


@command("select")
def select(c, args):
    try:
        index = parse_int(args[1])
    except RedisError:
        raise RedisError("ERR value is not an integer or out of range") from None
    if not -2**31 <= index < 2**31:       # Redis reads the index as a C int first
        raise RedisError("ERR value is out of range, value must between -2147483648 and 2147483647")
    if not 0 <= index < len(c.ks.dbs):
        raise RedisError("ERR DB index is out of range")
    c.db = c.ks.dbs[index]
    return OK


def _check_password(c, user: str, password: str) -> None:
    required = c.config.requirepass
    if user != "default" or not required or not same_secret(password, required):
        if not required and user == "default":
            return
        raise RedisError("WRONGPASS invalid username-password pair or user is disabled.")


def same_secret(a: str, b: str) -> bool:
    """time_independent_strcmp: compare digests, so the time taken tells nothing of where
    the strings differ, nor of the password's length."""
    da = hashlib.sha256(a.encode("utf-8", "surrogateescape")).digest()
    db = hashlib.sha256(b.encode("utf-8", "surrogateescape")).digest()
    return hmac.compare_digest(da, db)


@command("auth")
def auth(c, args):
    if len(args) > 3:
        raise RedisError("ERR syntax error")
    if len(args) == 2 and not c.config.requirepass:
        raise RedisError("ERR AUTH <password> called without any password configured for the "
                         "default user. Are you sure your configuration is correct?")
    user, password = ("default", args[1]) if len(args) == 2 else (args[1], args[2])
    _check_password(c, user, password)
    c.authenticated = True
    c.update_special()
    return OK


@command("hello")
def hello(c, args):
    version = None
    i = 1
    if len(args) > 1:
        try:
            version = parse_int(args[1])
        except RedisError:
            raise RedisError("ERR Protocol version is not an integer or out of range") from None
        if version not in (2, 3):
            raise RedisError("NOPROTO unsupported protocol version")
        i = 2
    # options apply as they are met, as in Redis 7.0: "HELLO 3 SETNAME x AUTH bad pw" names the
    # connection and then fails with WRONGPASS
    while i < len(args):
        opt = args[i].upper()
        more = len(args) - 1 - i
        if opt == "AUTH" and more >= 2:
            _check_password(c, args[i + 1], args[i + 2])
            c.authenticated = True
            c.update_special()
            i += 3
        elif opt == "SETNAME" and more >= 1:
            valid_name(args[i + 1])
            c.name = args[i + 1]
            i += 2
        else:
            raise RedisError("ERR Syntax error in HELLO option '%s'" % args[i])
    if not c.authenticated:
        raise RedisError("NOAUTH HELLO must be called with the client already authenticated, "
                         "otherwise the HELLO AUTH <user> <pass> option can be used to "
                         "authenticate the client and select the RESP protocol version at the same time")
    if version is not None:
        c.set_protocol(version)
    c.update_special()
    return {"server": "redis", "version": REDIS_VERSION, "proto": c.resp, "id": c.id,
            "mode": "standalone", "role": "master", "modules": []}




@command("reset")
def reset(c, args):
    """clearClientConnectionState: everything a connection set up, undone."""
    if c.multi is not None:
        tx.end(c)
    tx.unwatch_all(c)
    c.pubsub.reset_client(c)
    c.tracker.forget(c)
    c.clients.remove_monitor(c)
    c.db = c.ks.dbs[0]
    c.set_protocol(2)
    c.name = ""
    c.no_evict = c.no_touch = False
    c.authenticated = not c.config.requirepass
    c.update_special()
    return Status("RESET")
