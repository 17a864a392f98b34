"""Regenerate pickledbd/commands/redis_docs.json from a real redis-server.

COMMAND DOCS (summary, since, group, complexity, arguments: what redis-cli's hints are
built from) and COMMAND INFO (arity, flags, key positions, ACL categories) are Redis's
own metadata; we ship the entries of the commands we implement so that COMMAND replies
read exactly like Redis's. Usage: python scripts/gen_command_docs.py [redis-server path]
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

import hiredis


def call(sock, *args):
    """Send one command and read its reply with a raw RESP3 reader (no client-side parsing)."""
    sock.sendall(b"".join([b"*%d\r\n" % len(args)] +
                          [b"$%d\r\n%s\r\n" % (len(a), a.encode()) for a in args]))
    reader = hiredis.Reader(encoding="utf-8")
    while True:
        reader.feed(sock.recv(1 << 20))
        reply = reader.gets()
        if reply is not False:
            return reply


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def to_jsonable(x):
    if isinstance(x, bytes):
        return x.decode()
    if isinstance(x, dict):
        if len(x) == 0:
            return {}
        return {to_jsonable(k): to_jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple, set)):
        return [to_jsonable(v) for v in x]
    return x


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "redis-server"
    port = free_port()
    with tempfile.TemporaryDirectory() as d:
        proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                 "--dir", d], stdout=subprocess.DEVNULL)
        try:
            for _ in range(100):
                try:
                    sock = socket.create_connection(("127.0.0.1", port))
                    break
                except OSError:
                    time.sleep(0.05)
            call(sock, "HELLO", "3")
            docs = call(sock, "COMMAND", "DOCS")
            info = call(sock, "COMMAND", "INFO")
            version = dict(call(sock, "HELLO", "3"))["version"]
            sock.close()
        finally:
            proc.terminate()
            proc.wait(10)
    out = {"redis_version": version, "docs": to_jsonable(docs), "info": to_jsonable(info)}
    path = os.path.join(os.path.dirname(__file__), "..", "pickledbd", "commands", "redis_docs.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print("wrote", path, len(out["docs"]), "commands from redis", version)


if __name__ == "__main__":
    main()
