"""Which hot path runs: the compiled one (``_speedups``, built from _speedups.c when the
package is installed with a C compiler) or the pure Python one, the reference.

``COMPILED`` is true when the extension imports and ``PICKLEDBD_PURE`` is unset, empty or
``0``. Both paths give the same bytes and the same side effects; the compiled one takes over
the per-request loop (engine/call.py ``Engine.run_batch``), a read of whole canonical
requests by a plain client (net/connection.py ``Connection.data_received``), the splitting of
canonical requests (protocol/reader.py) and the encoding of the common reply shapes
(protocol/reply.py), and runs the commands in engine/call.py ``NATIVE`` itself while their
preconditions hold (documented in _speedups.c); otherwise their Python handlers run.
"""
from __future__ import annotations

import os

try:
    from . import _speedups
except ImportError:          # not built: the pure package
    _speedups = None

COMPILED = _speedups is not None and os.environ.get("PICKLEDBD_PURE", "") in ("", "0")
HOT_PATH = "compiled" if COMPILED else "pure"

if COMPILED:
    Encoder = _speedups.Encoder           # Encoder(resp3, fallback): protocol/reply.py
    run_batch = _speedups.run_batch       # run_batch(engine, c, reqs): engine/call.py
    configure = _speedups.configure       # configure(RedisError, BlockOn, arity_error, OUT_CHUNK)
    configure_native = _speedups.configure_native   # (Database, {name: handler}, OK): NATIVE in call.py
    data_received = _speedups.data_received   # data_received(conn, data): net/connection.py
    configure_pools = _speedups.configure_pools     # (Pool, random.random): the native SPOP
    configure_zsets = _speedups.configure_zsets     # (ZSet, unkey, SmallHash, SortedList): ZPOPMIN/ZPOPMAX, HSET, ZADD
    configure_streams = _speedups.configure_streams     # (Stream, Node, ID_BASE): XADD
