# Server commands (issue 3): DBSIZE FLUSHDB FLUSHALL SWAPDB TIME COMMAND CONFIG GET ECHO.

# --- DBSIZE / FLUSHDB / FLUSHALL -----------------------------------------------------
> DBSIZE
:0

> MSET a 1 b 2 c 3
+OK

> DBSIZE
:3

> DBSIZE x
-ERR wrong number of arguments for 'dbsize' command

> SELECT 1
+OK

> DBSIZE
:0

> SET x 1
+OK

> DBSIZE
:1

> SELECT 0
+OK

# FLUSHDB only empties the current db
> FLUSHDB
+OK

> DBSIZE
:0

> SELECT 1
+OK

> DBSIZE
:1

> SELECT 0
+OK

> SET a 1
+OK

> FLUSHDB ASYNC
+OK

> DBSIZE
:0

> SET a 1
+OK

> FLUSHDB SYNC
+OK

> DBSIZE
:0

> FLUSHDB sync
+OK

> FLUSHDB FOO
-ERR syntax error

> FLUSHDB ASYNC SYNC
-ERR syntax error

> FLUSHDB SYNC SYNC
-ERR syntax error

# FLUSHALL empties every db
> SET a 1
+OK

> FLUSHALL
+OK

> DBSIZE
:0

> SELECT 1
+OK

> DBSIZE
:0

> SELECT 0
+OK

> FLUSHALL ASYNC
+OK

> FLUSHALL SYNC
+OK

> FLUSHALL FOO
-ERR syntax error

> FLUSHALL ASYNC SYNC
-ERR syntax error

# expired keys are not counted once they are gone
> SET e v PX 50
+OK

@sleep 0.2

> GET e
(nil)

> DBSIZE
:0

# --- SWAPDB ------------------------------------------------------------------------
> SET where db0
+OK

> SELECT 1
+OK

> SET where db1
+OK

> SET only1 x
+OK

> SELECT 0
+OK

> SWAPDB 0 1
+OK

> GET where
"db1"

> GET only1
"x"

> DBSIZE
:2

> SELECT 1
+OK

> GET where
"db0"

> DBSIZE
:1

> SELECT 0
+OK

> SWAPDB 1 0
+OK

> GET where
"db0"

> SWAPDB 0 0
+OK

> GET where
"db0"

> SWAPDB 2 0
+OK

> DBSIZE
:0

> SWAPDB 0 2
+OK

> DBSIZE
:1

# TTLs move with the db
> SET t v EX 100
+OK

> SWAPDB 0 3
+OK

> SELECT 3
+OK

> TTL t
:~90..100

> SELECT 0
+OK

> SWAPDB 0 3
+OK

> SWAPDB 0 16
-ERR DB index is out of range

> SWAPDB 16 0
-ERR DB index is out of range

> SWAPDB -1 0
-ERR DB index is out of range

> SWAPDB 0 -1
-ERR DB index is out of range

> SWAPDB foo 1
-ERR invalid first DB index

> SWAPDB 1 foo
-ERR invalid second DB index

> SWAPDB 1.5 1
-ERR invalid first DB index

> SWAPDB 0
-ERR wrong number of arguments for 'swapdb' command

> SWAPDB 0 1 2
-ERR wrong number of arguments for 'swapdb' command

> FLUSHALL
+OK

# --- TIME --------------------------------------------------------------------------
> TIME
*2
  ~/1[0-9]{9}/
  ~/[0-9]{1,6}/

> TIME x
-ERR wrong number of arguments for 'time' command

# --- ECHO --------------------------------------------------------------------------
> ECHO "hello world"
"hello world"

> ECHO 12
"12"

> ECHO
-ERR wrong number of arguments for 'echo' command

# --- COMMAND -------------------------------------------------------------------------
> COMMAND COUNT
:~50..

> COMMAND COUNT x
-ERR wrong number of arguments for 'command|count' command

> COMMAND INFO get
*1
  *10
    "get"
    :2
    *2
      +readonly
      +fast
    :1
    :1
    :1
    *3
      +@read
      +@string
      +@fast
    *?
    *?
    *?

> COMMAND INFO set
*1
  *10
    "set"
    :-3
    *2
      +write
      +denyoom
    :1
    :1
    :1
    *3
      +@write
      +@string
      +@slow
    *?
    *?
    *?

> COMMAND INFO mset
*1
  *10
    "mset"
    :-3
    *2
      +write
      +denyoom
    :1
    :-1
    :2
    *3
      +@write
      +@string
      +@slow
    *?
    *?
    *?

> COMMAND INFO del
*1
  *10
    "del"
    :-2
    *1
      +write
    :1
    :-1
    :1
    *3
      +@keyspace
      +@write
      +@slow
    *?
    *?
    *?

> COMMAND INFO ping
*1
  *10
    "ping"
    :-1
    *1
      +fast
    :0
    :0
    :0
    *2
      +@fast
      +@connection
    *?
    *?
    *?

> COMMAND INFO nosuchcmd
*1
  (nil)

> COMMAND INFO GET nosuchcmd
*2
  *10
    "get"
    :2
    *2
      +readonly
      +fast
    :1
    :1
    :1
    *3
      +@read
      +@string
      +@fast
    *?
    *?
    *?
  (nil)

> COMMAND GETKEYS SET a b
*1
  "a"

> COMMAND GETKEYS get k
*1
  "k"

> COMMAND GETKEYS MSET a 1 b 2
*2
  "a"
  "b"

> COMMAND GETKEYS DEL a b c
*3
  "a"
  "b"
  "c"

> COMMAND GETKEYS RENAME a b
*2
  "a"
  "b"

> COMMAND GETKEYS ZUNIONSTORE d 2 a b WEIGHTS 1 2
*3
  "d"
  "a"
  "b"

> COMMAND GETKEYS LMPOP 2 a b LEFT
*2
  "a"
  "b"

> COMMAND GETKEYS GET
-ERR wrong number of arguments for 'command|getkeys' command

> COMMAND GETKEYS GET a b
-ERR Invalid number of arguments specified for command

> COMMAND GETKEYS nosuchcmd a
-ERR Invalid command specified

> COMMAND GETKEYS PING x
-ERR The command has no key arguments

> COMMAND FOO
-ERR unknown subcommand 'FOO'. Try COMMAND HELP.

> COMMAND
*?

> COMMAND HELP
*?

# --- CONFIG GET ----------------------------------------------------------------------
> CONFIG GET databases
*2
  "databases"
  "16"

> CONFIG GET maxmemory
*2
  "maxmemory"
  "0"

> CONFIG GET port
*2
  "port"
  ~/[0-9]+/

> CONFIG GET bind
*2
  "bind"
  "127.0.0.1"

> CONFIG GET appendonly
*2
  "appendonly"
  "no"

> CONFIG GET save
*2
  "save"
  ""

# an exact (non-glob) name is echoed back as given
> CONFIG GET DATABASES
*2
  "DATABASES"
  "16"

> CONFIG GET databases maxmemory
*4 unordered-pairs
  "databases"
  "16"
  "maxmemory"
  "0"

> CONFIG GET nosuchparam
*0

> CONFIG GET maxmemory-polic?
*2
  "maxmemory-policy"
  "noeviction"

> CONFIG GET
-ERR wrong number of arguments for 'config|get' command

> CONFIG FOO
-ERR unknown subcommand 'FOO'. Try CONFIG HELP.

> CONFIG
-ERR wrong number of arguments for 'config' command

> CONFIG SET nosuchparam 1
-ERR Unknown option or number of arguments for CONFIG SET - 'nosuchparam'

> CONFIG SET
-ERR wrong number of arguments for 'config|set' command

> CONFIG HELP
*?

# --- INFO: contents differ; the shape is a bulk string of "# Section" and "field:value" lines
> INFO
~/# Server\r\n.*redis_version:.*/

> INFO keyspace
~/# Keyspace\r\n.*/

@redis-only
> INFO server
~/# Server\r\nredis_version:7\.0\.15\r\n.*/
