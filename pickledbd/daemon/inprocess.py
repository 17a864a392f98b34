"""A daemon without sockets: the real services and engine, driven from Python.

For fast handler tests, the engine's every-caller tests and the profiling script::

    srv = LocalServer()
    c = srv.client()                      # a real Context (output stays in c.out)
    srv.request(c, "SET", "k", "v")       # -> b"+OK\\r\\n", through the engine's full path
    srv.batch(c, [["GET", "k"]])          # -> the hot path (run_batch), encoded replies joined
"""
from __future__ import annotations

from .config import parse_args
from .engine.clients import NoIO
from .engine.context import Context
from .server import Server


class _Timer:
    def __init__(self, timers, fn, args):
        self.timers, self.fn, self.args = timers, fn, args

    def cancel(self):
        if self in self.timers:
            self.timers.remove(self)

    def fire(self):
        self.cancel()
        self.fn(*self.args)


class LocalServer:
    def __init__(self, *flags: str):
        self.server = Server(parse_args(["--save", "", *flags]))
        self.server.clients.io = NoIO()      # output stays queued on each Context
        self.timers: list = []
        self.server.engine.blocking.call_later = self._call_later

    def _call_later(self, delay, fn, *args):
        t = _Timer(self.timers, fn, args)
        self.timers.append(t)
        return t

    @property
    def engine(self):
        return self.server.engine

    @property
    def ks(self):
        return self.server.ks

    def client(self, resp: int = 2) -> Context:
        c = Context(self.server.services, self.server.clients.next_id(), "internal")
        c.addr = c.laddr = "127.0.0.1:0"
        self.server.clients.add(c)
        if resp == 3:
            c.set_protocol(3)
        return c

    def take_output(self, c: Context) -> bytes:
        data = b"".join(c.out)
        c.out.clear()
        c.out_bytes = 0
        return data

    def request(self, c: Context, *args: str) -> bytes:
        """One request through ``Engine.process`` (the full path): its encoded reply, plus
        anything else queued for ``c`` meanwhile (pushes)."""
        reply = self.engine.process(c, list(args))
        return self.take_output(c) + reply

    def batch(self, c: Context, reqs: list) -> bytes:
        """Requests through ``Engine.run_batch`` (the hot path), all of them."""
        while reqs:
            done = self.engine.run_batch(c, reqs)
            reqs = reqs[done:]
            if c.block is not None:
                c.pending.extend(reqs)
                break
        return self.take_output(c)
