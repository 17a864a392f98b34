"""The libraries Redis loads into its Lua interpreter besides Lua's own (string, table, math):
cjson, cmsgpack, bit, struct, with the behaviour of the C modules Redis 7.0 links
(deps/lua/src/lua_cjson.c, lua_cmsgpack.c, lua_bit.c, lua_struct.c).

``install(lua, set_library)`` puts each in the scripts' environment (``set_library(name,
table)`` makes it a read-only global). Scripts only ever see Lua functions and tables: the
Python callbacks doing the heavy work are upvalues of those functions, and give back
strings, numbers, booleans and Lua tables only.
"""
from __future__ import annotations

from . import lua_bit, lua_cjson, lua_cmsgpack, lua_struct
from .luaglue import load_helpers


def install(lua, set_library) -> None:
    helpers = load_helpers(lua)
    for lib in (lua_cjson, lua_struct, lua_cmsgpack, lua_bit):
        lib.install(lua, set_library, helpers)
