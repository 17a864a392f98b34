"""A raw RESP connection helper shared by the scenario tests (reply types stay exact)."""
from __future__ import annotations

from test_transcripts import Connection


def conn(server, proto: int = 2) -> Connection:
    c = Connection(server.host, server.port)
    if proto == 3:
        cmd(c, "HELLO", "3")
    return c


def cmd(c: Connection, *args):
    c.send_command([a if isinstance(a, bytes) else str(a).encode() for a in args])
    return c.read_reply()
