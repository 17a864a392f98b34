"""Command families, one module each; ``load_all`` registers them in the command registry.

Handlers only import the keyspace, the engine's declared interfaces (command, context,
blocking), the reply types and the errors: never the network layer or the server wiring.
"""
from __future__ import annotations

import importlib
import importlib.util

FAMILIES = ("connection", "client", "introspection", "info", "config", "persistence", "diagnostics",
            "databases", "strings", "keys", "hashes", "lists", "sets", "zsets", "transactions",
            "pubsub", "tracking", "replication", "scripting", "functions",
            "bitmaps", "hyperloglog", "geo", "streams", "streams_groups", "sort", "dump", "memory")


def load_all() -> None:
    for name in FAMILIES:
        if importlib.util.find_spec("%s.%s" % (__name__, name)) is not None:
            importlib.import_module("%s.%s" % (__name__, name))
