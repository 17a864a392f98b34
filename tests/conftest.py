"""Shared fixtures: real server processes on free loopback ports (see tests/servers.py).

- ``redis_server``     module scope: the reference redis-server (no persistence).  Skipped when
                       the binary is missing, unless CI is set (then that is a failure).
- ``pickledbd_server`` module scope: ``python -m pickledbd`` from this checkout, with
                       ``--dbfilename dump.json --save ""`` in its own directory; ``.restart()``, ``.dir``.
- ``start_pickledbd``  function scope factory: ``start_pickledbd(*args, dir=None)`` starts another
                       pickledbd with extra command-line flags (appended after the defaults, so
                       they win for argparse-style last-one-wins options); stopped after the test.

Each server object has ``host``, ``port``, ``dir``, ``client(**redis_kwargs)`` (redis.Redis,
bytes, RESP2), ``connect()`` (plain socket), ``stop()``, ``restart()`` and ``log_text()``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from servers import (  # noqa: E402
    PickledbdServer,
    RedisServer,
    ci_enabled,
    redis_server_binary,
    start_with_retry,
)


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    if redis_server_binary() is None:
        msg = "redis-server binary not found on PATH"
        if ci_enabled():
            pytest.fail(msg + " (CI is set: the reference server is required)", pytrace=False)
        pytest.skip(msg)
    d = tmp_path_factory.mktemp("redis-server")
    srv = start_with_retry(lambda: RedisServer(d))
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def pickledbd_server(tmp_path_factory):
    d = tmp_path_factory.mktemp("pickledbd")
    srv = start_with_retry(lambda: PickledbdServer(d))
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def start_pickledbd(tmp_path_factory):
    started: list[PickledbdServer] = []

    def start(*args: str, dir=None) -> PickledbdServer:
        d = Path(dir) if dir is not None else tmp_path_factory.mktemp("pickledbd-fn")
        srv = start_with_retry(lambda: PickledbdServer(d, extra_args=args))
        started.append(srv)
        return srv

    try:
        yield start
    finally:
        for srv in reversed(started):
            srv.stop()


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "both_paths: the test compares the compiled and the pure path itself (C against "
        "Python, or a process of each); the pure pass of scripts/test.sh (PICKLEDBD_PURE=1) "
        "skips it, as it would only repeat the same comparison")


def pytest_collection_modifyitems(config, items):
    if os.environ.get("PICKLEDBD_PURE", "") in ("", "0"):
        return
    skip = pytest.mark.skip(reason="compares both paths itself: run once, in the compiled pass")
    for item in items:
        if "both_paths" in item.keywords:
            item.add_marker(skip)
