"""CLIENT subcommands: ID SETNAME GETNAME SETINFO LIST INFO KILL NO-EVICT NO-TOUCH UNBLOCK
GETREDIR TRACKINGINFO HELP (texts as Redis 7.0.15 / 7.2 word them)."""
from __future__ import annotations

import time

from ..errors import RedisError
from ..protocol.reply import OK, Verbatim
from ..engine.command import command
from .util import SYNTAX, help_reply, parse_int

_CLIENT_TYPES = ("normal", "master", "replica", "slave", "pubsub")


def valid_name(name: str, what: str = "Client names") -> None:
    for ch in name:
        if ch < "!" or ch > "~":
            raise RedisError("ERR %s cannot contain spaces, newlines or special characters." % what)


@command("client|id")
def client_id(c, args):
    return c.id


@command("client|setname")
def client_setname(c, args):
    valid_name(args[2])
    c.name = args[2]
    return OK


@command("client|getname")
def client_getname(c, args):
    return c.name or None


@command("client|setinfo", arity=4, flags="noscript loading stale", keys=(0, 0, 0),
         acl="@slow @connection", group="connection", since="7.2.0", complexity="O(1)",
         summary="Set client or connection specific info",
         arguments=[{"name": "attr", "type": "oneof", "arguments": [
             {"name": "libname", "type": "string", "token": "LIB-NAME"},
             {"name": "libver", "type": "string", "token": "LIB-VER"}]}])
def client_setinfo(c, args):
    attr = args[2].lower()
    if attr not in ("lib-name", "lib-ver"):
        raise RedisError("ERR Unrecognized option '%s'" % args[2])
    valid_name(args[3], args[2])
    if attr == "lib-name":
        c.lib_name = args[3]
    else:
        c.lib_ver = args[3]
    return OK


BASE_MEM = 1024    # what a client costs before its buffers, for tot-mem


def client_line(x, now: float | None = None) -> str:
    """One CLIENT LIST / CLIENT INFO line (Redis 7.2's fields)."""
    now = time.time() if now is None else now
    io = x.clients.io
    qbuf = io.query_buffered(x)
    omem = io.output_pending(x)
    multi_mem = sum(sum(len(a) for a in args) for _, args in x.multi) if x.multi is not None else 0
    redir = x.tracking.redirect if x.tracking is not None else -1
    return ("id=%d addr=%s laddr=%s fd=%d name=%s age=%d idle=%d flags=%s db=%d sub=%d psub=%d ssub=%d "
            "multi=%d qbuf=%d qbuf-free=0 argv-mem=0 multi-mem=%d rbs=0 rbp=0 obl=0 oll=%d omem=%d "
            "tot-mem=%d events=r cmd=%s user=default redir=%d resp=%d lib-name=%s lib-ver=%s" % (
                x.id, x.addr, x.laddr, x.fd, x.name,
                int(now - x.created), int(now - x.last_interaction), x.flags(), x.db.index,
                len(x.subscriptions), len(x.psubscriptions), len(x.ssubscriptions),
                -1 if x.multi is None else len(x.multi), qbuf, multi_mem, len(x.out), omem,
                BASE_MEM + qbuf + omem + multi_mem, x.last_command.lower(), redir, x.resp,
                x.lib_name, x.lib_ver))


@command("client|list")
def client_list(c, args):
    clients = c.clients.all()
    if len(args) == 4 and args[2].lower() == "type":
        t = args[3].lower()
        if t not in _CLIENT_TYPES:
            raise RedisError("ERR Unknown client type '%s'" % args[3])
        if t == "slave":
            t = "replica"
        clients = [x for x in clients if x.client_type() == t]
    elif len(args) > 3 and args[2].lower() == "id":
        ids = []
        for a in args[3:]:
            try:
                n = parse_int(a)
            except RedisError:
                n = 0
            if n < 1:
                raise RedisError("ERR Invalid client ID")
            ids.append(n)
        wanted = set(ids)
        clients = [x for x in clients if x.id in wanted]
    elif len(args) != 2:
        raise SYNTAX
    now = time.time()
    return Verbatim("".join(client_line(x, now) + "\n" for x in clients))


@command("client|info")
def client_info(c, args):
    return Verbatim(client_line(c) + "\n")


@command("client|kill")
def client_kill(c, args):
    if len(args) == 3:   # old form: CLIENT KILL addr:port
        for x in c.clients.all():
            if x.addr == args[2]:
                _kill(c, x)
                return OK
        raise RedisError("ERR No such client")
    if len(args) % 2:
        raise SYNTAX
    cid = ctype = addr = laddr = None
    skipme = True
    for i in range(2, len(args), 2):
        opt, val = args[i].lower(), args[i + 1]
        if opt == "id":
            try:
                cid = parse_int(val)
            except RedisError:
                cid = 0
            if cid <= 0:
                raise RedisError("ERR client-id should be greater than 0")
        elif opt == "type":
            ctype = val.lower()
            if ctype not in _CLIENT_TYPES:
                raise RedisError("ERR Unknown client type '%s'" % val)
            if ctype == "slave":
                ctype = "replica"
        elif opt == "addr":
            addr = val
        elif opt == "laddr":
            laddr = val
        elif opt == "user":
            if val != "default":   # the only user there is: every client matches
                raise RedisError("ERR No such user '%s'" % val)
        elif opt == "skipme":
            low = val.lower()
            if low == "yes":
                skipme = True
            elif low == "no":
                skipme = False
            else:
                raise SYNTAX
        else:
            raise SYNTAX
    killed = 0
    for x in c.clients.all():
        if cid is not None and x.id != cid:
            continue
        if ctype is not None and x.client_type() != ctype:
            continue
        if addr is not None and x.addr != addr:
            continue
        if laddr is not None and x.laddr != laddr:
            continue
        if x is c and skipme:
            continue
        _kill(c, x)
        killed += 1
    return killed


def _kill(me, target) -> None:
    if target is me:
        me.closing = True     # reply first, then close (as Redis's CLIENT_CLOSE_AFTER_REPLY)
    else:
        target.close()


def _on_off(args) -> bool:
    v = args[2].lower()
    if v == "on":
        return True
    if v == "off":
        return False
    raise SYNTAX


@command("client|no-evict")
def client_no_evict(c, args):
    c.no_evict = _on_off(args)
    return OK


@command("client|no-touch", arity=3, flags="noscript loading stale", keys=(0, 0, 0),
         acl="@slow @connection", group="connection", since="7.2.0", complexity="O(1)",
         summary="Controls whether commands sent by the client will alter the LRU/LFU of the keys they access.",
         arguments=[{"name": "enabled", "type": "oneof", "arguments": [
             {"name": "on", "type": "pure-token", "token": "ON"},
             {"name": "off", "type": "pure-token", "token": "OFF"}]}])
def client_no_touch(c, args):
    c.no_touch = _on_off(args)
    return OK


@command("client|unblock")
def client_unblock(c, args):
    if len(args) > 4:
        raise RedisError("ERR wrong number of arguments for 'client|unblock' command")
    cid = parse_int(args[2])
    error = False
    if len(args) == 4:
        mode = args[3].lower()
        if mode == "error":
            error = True
        elif mode != "timeout":
            raise RedisError("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
    target = c.clients.get(cid)
    if target is None or target.block is None:
        return 0
    reply = (RedisError("UNBLOCKED client unblocked via CLIENT UNBLOCK") if error
             else target.block.timeout_reply)
    c.engine.blocking.unblock(target, reply)
    return 1


@command("client|help")
def client_help(c, args):
    return help_reply([
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CACHING (YES|NO)",
        "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
        "GETREDIR",
        "    Return the client ID we are redirecting to when tracking is enabled.",
        "GETNAME",
        "    Return the name of the current connection.",
        "ID",
        "    Return the ID of the current connection.",
        "INFO",
        "    Return information about the current client connection.",
        "KILL <ip:port>",
        "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]",
        "    Kill connections. Options are:",
        "    * ADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made from the specified address",
        "    * LADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made to specified local address",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Kill connections by type.",
        "    * USER <username>",
        "      Kill connections authenticated by <username>.",
        "    * SKIPME (YES|NO)",
        "      Skip killing current connection (default: yes).",
        "    * ID <client-id>",
        "      Kill connections by client id.",
        "LIST [options ...]",
        "    Return information about client connections. Options:",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Return clients of specified type.",
        "    * ID <client-id> [<client-id> ...]",
        "      Return clients with the specified IDs.",
        "SETNAME <name>",
        "    Assign the name <name> to the current connection.",
        "SETINFO <option> <value>",
        "    Set client meta attr. Options are:",
        "    * LIB-NAME: the client lib name.",
        "    * LIB-VER: the client lib version.",
        "UNBLOCK <clientid> [TIMEOUT|ERROR]",
        "    Unblock the specified blocked client.",
        "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
        "         [OPTIN] [OPTOUT] [NOLOOP]",
        "    Control server assisted client side caching.",
        "TRACKINGINFO",
        "    Report tracking status for the current connection.",
        "NO-EVICT (ON|OFF)",
        "    Protect current client connection from eviction.",
        "NO-TOUCH (ON|OFF)",
        "    Will not touch LRU/LFU stats when this mode is on.",
        "HELP",
        "    Prints this help.",
    ])
