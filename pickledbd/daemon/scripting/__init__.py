"""Lua scripting and functions (Redis's script.c, script_lua.c, eval.c, function_lua.c).

- ``runtime.Scripting``: the Lua 5.1 interpreter (lupa) with Redis's sandbox and ``redis``
  API, the EVAL script cache, running a script atomically through the engine's ``call()``,
  and the busy-script watch (a script past ``busy-reply-threshold`` lets the server answer
  other clients ``-BUSY`` and accept SCRIPT KILL / FUNCTION KILL / SHUTDOWN NOSAVE);
- ``convert``: replies to Lua values and Lua values to replies, as Redis converts them.
"""
