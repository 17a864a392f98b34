"""Command families, one module each; ``load_all`` registers them in the table."""
from __future__ import annotations

import importlib
import importlib.util

from .registry import COMMANDS, command, lookup  # noqa: F401

FAMILIES = ("connection", "server", "client", "strings", "keys", "hashes", "lists", "sets", "zsets",
            "transactions", "pubsub")


def load_all() -> None:
    for name in FAMILIES:
        if importlib.util.find_spec("%s.%s" % (__name__, name)) is not None:
            importlib.import_module("%s.%s" % (__name__, name))
