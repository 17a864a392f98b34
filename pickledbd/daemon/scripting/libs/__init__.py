"""The libraries Redis loads into its Lua interpreter besides Lua's own (string, table, math):
cjson, cmsgpack, bit, struct. ``install(lua, set_library)`` puts each in the scripts'
environment (``set_library(name, table)`` makes it a read-only global)."""
from __future__ import annotations


def install(lua, set_library) -> None:
    """Nothing yet: each library registers itself here."""
