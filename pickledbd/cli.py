"""The ``pickledbd`` command: ``pickledbd [config file] [--directive value ...]``."""
from __future__ import annotations

import asyncio
import logging
import os
import sys
import time

USAGE = """Usage: pickledbd [/path/to/pickledbd.conf] [--directive value ...]
       pickledbd --version
       pickledbd --help

Serves the Redis protocol on 127.0.0.1:6379, keeping data in ./dump.json.
Directives are redis.conf's: --port, --bind (several addresses), --dir,
--dbfilename (.json, or .sqlite3 for the SQLite store), --save "<secs> <changes> ...",
--databases, --requirepass, --maxclients, --timeout, --loglevel, --logfile,
--pidfile, --unixsocket, --protected-mode, ...

Examples:
       pickledbd
       pickledbd --port 7777 --dir /var/lib/pickledbd
       pickledbd /etc/pickledbd.conf --loglevel verbose
"""

_LEVELS = {"debug": logging.DEBUG, "verbose": logging.INFO, "notice": logging.INFO,
           "warning": logging.WARNING, "nothing": logging.CRITICAL + 10}


class _RedisStyle(logging.Formatter):
    """``pid:M 26 Nov 2026 16:46:04.123 * message``, as redis-server logs."""

    marks = {logging.DEBUG: ".", logging.INFO: "*", logging.WARNING: "#", logging.ERROR: "#"}

    def format(self, record):
        t = time.strftime("%d %b %Y %H:%M:%S", time.localtime(record.created))
        msg = "%d:M %s.%03d %s %s" % (os.getpid(), t, record.msecs, self.marks.get(record.levelno, "#"),
                                      record.getMessage())
        if record.exc_info:
            msg += "\n" + self.formatException(record.exc_info)
        return msg


def setup_logging(config) -> None:
    handler = (logging.FileHandler(config.logfile) if config.logfile
               else logging.StreamHandler(sys.stdout))
    handler.setFormatter(_RedisStyle())
    log = logging.getLogger("pickledbd")
    log.handlers[:] = [handler]
    log.setLevel(_LEVELS[config.loglevel])
    log.propagate = False


def _install_loop_policy() -> str:
    try:
        import uvloop
    except ImportError:
        return "asyncio"
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return "uvloop"


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    from .version import __version__
    if argv and argv[0] in ("-v", "--version"):
        print("pickledbd v=%s (Redis protocol, compatible with Redis 7.2)" % __version__)
        return
    if argv and argv[0] in ("-h", "--help"):
        print(USAGE)
        return
    from .daemon.config import ConfigError, fit_open_files, parse_args
    try:
        config = parse_args(argv)
    except ConfigError as e:
        sys.stderr.write("%s\n" % e)
        sys.exit(1)
    try:
        setup_logging(config)
    except OSError as e:
        _fail("Can't open the log file '%s': %s" % (config.logfile, e.strerror or e))
    log = logging.getLogger("pickledbd")
    try:
        fitted, messages = fit_open_files(config.maxclients)
    except ValueError as e:
        _fail(str(e))
    config.values["maxclients"] = fitted
    for level, msg in messages:
        log.log(level, "%s", msg)
    ready = daemonize(config) if config.daemonize == "yes" else None
    loop_name = _install_loop_policy()
    sys.exit(asyncio.run(_serve(config, loop_name, ready)))


def _fail(msg: str) -> None:
    """A start-up error: one line on stderr, exit status 1."""
    sys.stderr.write("pickledbd: %s\n" % msg)
    sys.exit(1)


DEFAULT_PIDFILE = "/var/run/pickledbd.pid"


def daemonize(config):
    """``daemonize yes``: fork, the child leaves the terminal's session and the launcher exits
    once the daemon serves (status 0) or failed to start (its error on stderr, status 1), so
    scripts and systemd's Type=forking see the outcome. Returns the child's reporter."""
    if not config.pidfile:
        config.values["pidfile"] = DEFAULT_PIDFILE     # as Redis: a daemon always has one
    sys.stdout.flush()
    sys.stderr.flush()
    r, w = os.pipe()
    if os.fork():
        os.close(w)
        with os.fdopen(r, "rb") as f:
            outcome = f.read()
        if outcome == b"ok":
            os._exit(0)
        sys.stderr.write(outcome.decode("utf-8", "replace") or
                         "pickledbd: the daemon exited during start-up (see its log)\n")
        sys.stderr.flush()
        os._exit(1)
    os.close(r)
    os.setsid()
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):        # the log goes to logfile, or nowhere (as Redis)
        os.dup2(null, fd)
    os.close(null)

    def report(error: str | None) -> None:
        try:
            os.write(w, b"ok" if error is None else
                     ("pickledbd: %s\n" % error).encode("utf-8", "backslashreplace"))
            os.close(w)
        except OSError:
            pass
    return report


def sd_notify(state: str) -> bool:
    """Tell systemd (Type=notify) about our state, when started with $NOTIFY_SOCKET."""
    import socket
    addr = os.environ.get("NOTIFY_SOCKET")
    if not addr:
        return False
    if addr[0] == "@":
        addr = "\0" + addr[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            s.connect(addr)
            s.sendall(state.encode())
        return True
    except OSError:
        return False


async def _serve(config, loop_name: str, ready=None) -> int:
    from .errors import PickleDBError
    from .daemon.server import Server
    from .version import __version__
    log = logging.getLogger("pickledbd")
    server = Server(config)
    log.info("pickledbd %s starting, pid=%d, event loop %s", __version__,
             os.getpid(), loop_name)
    try:
        await server.start()
    except (OSError, PickleDBError, ValueError) as e:
        # one line, then a non-zero exit: never serve an empty database instead of the real one
        msg = e.strerror if isinstance(e, OSError) and e.strerror and not e.filename else str(e)
        if config.logfile:
            log.error("%s", msg)
        sys.stderr.write("pickledbd: %s\n" % msg)
        sys.stderr.flush()
        if ready:
            ready(msg)
        return 1
    if config.pidfile:
        try:
            with open(config.pidfile, "w") as f:
                f.write("%d\n" % os.getpid())
        except OSError as e:
            log.warning("Failed to write PID file: %s", e)
    if ready:
        ready(None)
    sd_notify("READY=1\nSTATUS=Ready to accept connections\nMAINPID=%d" % os.getpid())
    try:
        await server.stopped
    finally:
        sd_notify("STOPPING=1")
        if config.pidfile:
            try:
                os.unlink(config.pidfile)
            except OSError:
                pass
    return 0
