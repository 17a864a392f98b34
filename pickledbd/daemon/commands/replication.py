"""Replication, master side: SYNC, PSYNC, REPLCONF, ROLE (the work is done by
daemon/replication.py). REPLICAOF / SLAVEOF are not implemented: pickledbd is never a replica,
so they stay unknown commands."""
from __future__ import annotations

from ..engine.command import command
from ..errors import SYNTAX, RedisError
from ..protocol.reply import OK
from .util import parse_int

NET_HOST_STR_LEN = 256       # what Redis keeps of a replica's announced address


def _is_int(s: str) -> bool:
    try:
        parse_int(s)
    except RedisError:
        return False
    return True


@command("sync")
def sync(c, args):
    return c.replication.sync(c, psync=False)


@command("psync")
def psync(c, args):
    failover = len(args) > 3 and args[3].lower() == "failover"
    return c.replication.sync(c, psync=True, offset_ok=_is_int(args[2]), failover=failover)


@command("replconf")
def replconf(c, args):
    if len(args) % 2 == 0:
        raise SYNTAX
    rep = c.replication
    for i in range(1, len(args), 2):
        opt, value = args[i], args[i + 1]
        name = opt.lower()
        if name == "listening-port":
            rep.set_option(c, name, parse_int(value))
        elif name == "ip-address":
            size = len(value.encode("utf-8", "surrogateescape"))
            if size >= NET_HOST_STR_LEN:
                raise RedisError("ERR REPLCONF ip-address provided by replica instance is too long: "
                                 "%d bytes" % size)
            rep.set_option(c, name, value)
        elif name == "capa":
            rep.set_option(c, name, value.lower())
        elif name == "ack":
            # no reply, whatever follows; a bad offset is ignored (replconfCommand)
            if _is_int(value):
                rep.ack(c, int(value))
            return b""
        elif name == "getack":
            return b""           # only a replica answers GETACK (with an ACK to its master)
        elif name == "rdb-only":
            n = parse_int(value)
            if n not in (0, 1):
                raise RedisError("ERR value is out of range, value must between 0 and 1")
            rep.set_option(c, name, bool(n))
        else:
            raise RedisError("ERR Unrecognized REPLCONF option: %s" % opt)
    return OK


@command("role")
def role(c, args):
    return c.replication.role()
