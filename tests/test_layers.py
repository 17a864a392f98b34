"""The layers, read from the imports: each part of the package may import only the parts
below it. Fails when a module imports one above it (the README's architecture section
describes the same order)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "pickledbd"

# Lowest first. A module may import modules of its own layer or of layers listed before it.
LAYERS = [
    ("library", ["version", "errors", "storage", "core", "__init__"]),
    ("daemon.base", ["daemon.errors", "daemon.globmatch", "daemon.protocol", "daemon.keyspace",
                     "daemon.config", "daemon.speedups", "daemon._speedups"]),
    ("engine", ["daemon.engine"]),
    ("services", ["daemon.commands", "daemon.pubsub", "daemon.replication", "daemon.persistence",
                  "daemon.scripting"]),
    ("wiring", ["daemon.net", "daemon.server", "daemon.inprocess", "daemon.__init__", "cli", "__main__"]),
]
# Finer rules inside a layer
FORBIDDEN = [
    ("daemon.protocol", ["daemon.keyspace", "daemon.config", "daemon.engine", "daemon.commands"]),
    ("daemon.keyspace", ["daemon.protocol", "daemon.config"]),
    ("daemon.commands", ["daemon.net", "daemon.server", "daemon.replication", "daemon.pubsub",
                         "daemon.persistence", "daemon.scripting"]),
    ("daemon.pubsub", ["daemon.commands", "daemon.replication"]),
    ("daemon.replication", ["daemon.commands", "daemon.pubsub"]),
    ("daemon.persistence", ["daemon.commands", "daemon.pubsub", "daemon.replication"]),
    ("daemon.scripting", ["daemon.commands", "daemon.pubsub", "daemon.replication", "daemon.net"]),
]


def module_name(path: Path) -> str:
    rel = path.relative_to(PKG).with_suffix("")
    parts = list(rel.parts)
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Absolute names (relative to the package) of every pickledbd module ``path`` imports,
    at module level or inside functions."""
    tree = ast.parse(path.read_text())
    me = module_name(path).split(".")
    package = me[:-1] if path.name != "__init__.py" else me[:-1]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - (node.level - 1)] if node.level > 1 else package
                target = base + (node.module.split(".") if node.module else [])
                if node.module is None:
                    for alias in node.names:
                        out.add(".".join(target + [alias.name]))
                else:
                    out.add(".".join(target))
            elif node.module and node.module.split(".")[0] == "pickledbd":
                out.add(".".join(node.module.split(".")[1:]))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "pickledbd":
                    out.add(".".join(alias.name.split(".")[1:]))
    return {m for m in out if m}


def layer_of(name: str) -> int:
    best, best_len = None, -1
    for i, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            if (name == p or name.startswith(p + ".")) and len(p) > best_len:
                best, best_len = i, len(p)
    assert best is not None, "module %s is in no layer: add it to LAYERS" % name
    return best


def _in(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


MODULES = sorted(PKG.rglob("*.py"))


def violations(me: str, targets) -> list[str]:
    mine = layer_of(me)
    out = []
    for target in sorted(targets):
        if layer_of(target) > mine:
            out.append("%s (%s) imports %s (%s)" % (me, LAYERS[mine][0], target, LAYERS[layer_of(target)][0]))
        for owner, banned in FORBIDDEN:
            if _in(me, owner):
                out.extend("%s must not import %s" % (me, target) for b in banned if _in(target, b))
    return out


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_imports_only_lower_layers(path):
    assert violations(module_name(path), imports_of(path)) == []


def test_library_import_does_not_load_the_daemon():
    import subprocess
    import sys
    code = ("import sys, pickledbd; from pickledbd import PickleDB; "
            "print(sorted(m for m in sys.modules if m.startswith('pickledbd.daemon')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         cwd=str(PKG.parent)).stdout.strip()
    assert out == "[]"


def test_the_checker_reads_relative_imports_and_reports_violations():
    names = imports_of(PKG / "daemon" / "keyspace" / "database.py")
    assert "daemon.errors" in names and "daemon.keyspace.events" in names
    assert violations("daemon.keyspace.database", {"daemon.engine.call"})       # upward
    assert violations("core", {"daemon.server"})                                # library -> daemon
    assert violations("daemon.commands.strings", {"daemon.net.connection"})     # handler -> network
    assert violations("daemon.protocol.reply", {"daemon.commands.util"})        # codec -> commands
    assert not violations("daemon.commands.strings", {"daemon.keyspace.database", "daemon.engine.command"})
