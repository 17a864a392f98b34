# Stream commands (issue 10), Redis 7.0.15 semantics. Explicit IDs only: "*" IDs and
# times (idle, seen-time, delivery times) differ between runs and are matched loosely.

# --- XADD: explicit, partial and automatic IDs --------------------------------------------
> XADD s 1-1 f v
"1-1"

> XADD s 1-1 f v
-ERR The ID specified in XADD is equal or smaller than the target stream top item

> XADD s 1-* f v
"1-2"

> XADD s 5 f v g w
"5-0"

> XADD s 0-0 f v
-ERR The ID specified in XADD must be greater than 0-0

> XADD s 3-0 f
-ERR wrong number of arguments for 'xadd' command

> XADD s abc f v
-ERR Invalid stream ID specified as stream command argument

> XADD s 18446744073709551616 f v
-ERR Invalid stream ID specified as stream command argument

> XADD s NOMKSTREAM 6-0 f v
"6-0"

> XADD nokey NOMKSTREAM 6-0 f v
(nil)

> EXISTS nokey
:0

> XADD auto * f v
~/\d+-0/

> XADD top 18446744073709551615-18446744073709551615 f v
"18446744073709551615-18446744073709551615"

> XADD top * f v
-ERR The stream has exhausted the last possible ID, unable to add more items

# --- XADD options: MAXLEN / MINID, =, ~, LIMIT ----------------------------------------
> XADD s MAXLEN 1 MINID 1 7-0 f v
-ERR syntax error, MAXLEN and MINID options at the same time are not compatible

> XADD s LIMIT 10 7-0 f v
-ERR syntax error, LIMIT cannot be used without specifying a trimming strategy

> XADD s MAXLEN 3 LIMIT 10 7-0 f v
-ERR syntax error, LIMIT cannot be used without the special ~ option

> XADD s MAXLEN -1 7-0 f v
-ERR The MAXLEN argument must be >= 0.

> XADD s MAXLEN x 7-0 f v
-ERR value is not an integer or out of range

> XADD s LIMIT -1 MAXLEN ~ 1 7-0 f v
-ERR The LIMIT argument must be >= 0.

> XADD s MINID + 7-0 f v
-ERR Invalid stream ID specified as stream command argument

> XADD s MAXLEN = 3 7-0 f v
"7-0"

> XLEN s
:3

> XADD s MAXLEN ~ 1 8-0 f v
"8-0"

> XLEN s
:4

> XADD s MINID 6 9-0 f v
"9-0"

> XRANGE s - +
*4
  *2
    "6-0"
    *2
      "f"
      "v"
  *2
    "7-0"
    *2
      "f"
      "v"
  *2
    "8-0"
    *2
      "f"
      "v"
  *2
    "9-0"
    *2
      "f"
      "v"

# --- XRANGE / XREVRANGE ----------------------------------------------------------------
> XRANGE s (7-0 +
*2
  *2
    "8-0"
    *2
      "f"
      "v"
  *2
    "9-0"
    *2
      "f"
      "v"

> XRANGE s - (9-0
*3
  *2
    "6-0"
    *2
      "f"
      "v"
  *2
    "7-0"
    *2
      "f"
      "v"
  *2
    "8-0"
    *2
      "f"
      "v"

> XREVRANGE s + - COUNT 1
*1
  *2
    "9-0"
    *2
      "f"
      "v"

> XRANGE s - + COUNT 0
(nil-array)

> XRANGE s - + COUNT -5
(nil-array)

> XRANGE s - + COUNT
-ERR syntax error

> XRANGE s ( +
-ERR Invalid stream ID specified as stream command argument

> XRANGE s (- +
-ERR Invalid stream ID specified as stream command argument

> XRANGE s (18446744073709551615-18446744073709551615 +
-ERR invalid start ID for the interval

> XRANGE s - (0-0
-ERR invalid end ID for the interval

> XRANGE nokey - +
*0

> SET str x
+OK

> XRANGE str - +
-WRONGTYPE Operation against a key holding the wrong kind of value

> XLEN str
-WRONGTYPE Operation against a key holding the wrong kind of value

> XLEN nokey
:0

# --- XDEL, XTRIM, XSETID, XINFO STREAM ------------------------------------------------
> XDEL s 7-0 100-0
:1

> XDEL s bad
-ERR Invalid stream ID specified as stream command argument

> XTRIM s MAXLEN
-ERR wrong number of arguments for 'xtrim' command

> XTRIM s FOO 1
-ERR syntax error

> XTRIM s LIMIT 1
-ERR syntax error, LIMIT cannot be used without specifying a trimming strategy

> XTRIM s MAXLEN 0
:3

> XTRIM nokey MAXLEN 0
:0

> XINFO STREAM s
*20
  "length"
  :0
  "radix-tree-keys"
  :0
  "radix-tree-nodes"
  :1
  "last-generated-id"
  "9-0"
  "max-deleted-entry-id"
  "7-0"
  "entries-added"
  :7
  "recorded-first-entry-id"
  "0-0"
  "groups"
  :0
  "first-entry"
  (nil)
  "last-entry"
  (nil)

> XSETID s 1-0
+OK

> XSETID s 100-0 ENTRIESADDED 50 MAXDELETEDID 8-0
+OK

> XSETID s 10-0 MAXDELETEDID 20-0
-ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id

> XSETID nokey 1-1
-ERR no such key

> XINFO STREAM s
*20
  "length"
  :0
  "radix-tree-keys"
  :0
  "radix-tree-nodes"
  :1
  "last-generated-id"
  "100-0"
  "max-deleted-entry-id"
  "8-0"
  "entries-added"
  :50
  "recorded-first-entry-id"
  "0-0"
  "groups"
  :0
  "first-entry"
  (nil)
  "last-entry"
  (nil)

> XINFO STREAM s FULL COUNTX 1
-ERR unknown subcommand or wrong number of arguments for 'STREAM'. Try XINFO HELP.

> XINFO STREAM nokey
-ERR no such key

> TYPE s
+stream

> OBJECT ENCODING s
"stream"

# --- consumer groups --------------------------------------------------------------------
> XADD q 1-0 a 1
"1-0"

> XADD q 2-0 a 2
"2-0"

> XADD q 3-0 a 3
"3-0"

> XGROUP CREATE q g 0
+OK

> XGROUP CREATE q g 0
-BUSYGROUP Consumer Group name already exists

> XGROUP CREATE nokey g $
-ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.

> XGROUP CREATE mk g $ MKSTREAM
+OK

> XGROUP CREATE q late $ ENTRIESREAD -2
-ERR value for ENTRIESREAD must be positive or -1

> XGROUP CREATECONSUMER q g alice
:1

> XGROUP CREATECONSUMER q nog alice
-NOGROUP No such consumer group 'nog' for key name 'q'

> XREADGROUP GROUP g alice COUNT 2 STREAMS q >
*1
  *2
    "q"
    *2
      *2
        "1-0"
        *2
          "a"
          "1"
      *2
        "2-0"
        *2
          "a"
          "2"

> XREADGROUP GROUP g bob STREAMS q >
*1
  *2
    "q"
    *1
      *2
        "3-0"
        *2
          "a"
          "3"

> XREADGROUP GROUP g bob STREAMS q >
(nil-array)

> XREADGROUP GROUP g alice STREAMS q 0
*1
  *2
    "q"
    *2
      *2
        "1-0"
        *2
          "a"
          "1"
      *2
        "2-0"
        *2
          "a"
          "2"

> XREADGROUP GROUP g alice STREAMS q $
-ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.

> XREADGROUP GROUP nog alice STREAMS q >
-NOGROUP No such key 'q' or consumer group 'nog' in XREADGROUP with GROUP option

> XREADGROUP GROUP g alice STREAMS q
-ERR wrong number of arguments for 'xreadgroup' command

> XREAD STREAMS q 1-0
*1
  *2
    "q"
    *2
      *2
        "2-0"
        *2
          "a"
          "2"
      *2
        "3-0"
        *2
          "a"
          "3"

> XREAD COUNT 1 STREAMS q nokey 0 0
*1
  *2
    "q"
    *1
      *2
        "1-0"
        *2
          "a"
          "1"

> XREAD STREAMS q >
-ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.

> XREAD GROUP g a STREAMS q 0
-ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.

> XPENDING q g
*4
  :3
  "1-0"
  "3-0"
  *2
    *2
      "alice"
      "2"
    *2
      "bob"
      "1"

> XPENDING q g - + 10 nobody
*0

> XPENDING q g - + x
-ERR value is not an integer or out of range

> XPENDING nokey g
-NOGROUP No such key 'nokey' or consumer group 'g'

> XINFO GROUPS q
*1
  *12
    "name"
    "g"
    "consumers"
    :2
    "pending"
    :3
    "last-delivered-id"
    "3-0"
    "entries-read"
    :3
    "lag"
    :0

> XACK q g 1-0 9-0
:1

> XACK q g bad
-ERR Invalid stream ID specified as stream command argument

> XDEL q 2-0
:1

> XREADGROUP GROUP g alice STREAMS q 0
*1
  *2
    "q"
    *1
      *2
        "2-0"
        (nil-array)

> XCLAIM q g carol 0 2-0 3-0 JUSTID
*1
  "3-0"

> XCLAIM q g carol 0 3-0 FOO
-ERR Unrecognized XCLAIM option 'FOO'

> XCLAIM q g carol x 3-0
-ERR Invalid min-idle-time argument for XCLAIM

> XAUTOCLAIM q g dave 0 0 COUNT 0
-ERR COUNT must be > 0

> XAUTOCLAIM q g dave 0 0 JUSTID
*3
  "0-0"
  *1
    "3-0"
  *0

> XPENDING q g
*4
  :1
  "3-0"
  "3-0"
  *1
    *2
      "dave"
      "1"

> XGROUP DELCONSUMER q g dave
:1

> XGROUP DESTROY q g
:1

> XGROUP DESTROY q g
:0

> XINFO GROUPS q
*0

> XGROUP HELP
*17
  +XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:
  +CREATE <key> <groupname> <id|$> [option]
  +    Create a new consumer group. Options are:
  +    * MKSTREAM
  +      Create the empty stream if it does not exist.
  +    * ENTRIESREAD entries_read
  +      Set the group's entries_read counter (internal use).
  +CREATECONSUMER <key> <groupname> <consumer>
  +    Create a new consumer in the specified group.
  +DELCONSUMER <key> <groupname> <consumer>
  +    Remove the specified consumer.
  +DESTROY <key> <groupname>
  +    Remove the specified group.
  +SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]
  +    Set the current group ID and entries_read counter.
  +HELP
  +    Prints this help.

> XINFO HELP
*9
  +XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:
  +CONSUMERS <key> <groupname>
  +    Show consumers of <groupname>.
  +GROUPS <key>
  +    Show the stream consumer groups.
  +STREAM <key> [FULL [COUNT <count>]
  +    Show information about the stream.
  +HELP
  +    Prints this help.

# --- RESP3 --------------------------------------------------------------------------------
@resp3
> XREAD STREAMS q 0
%1
  "q"
  *2
    *2
      "1-0"
      *2
        "a"
        "1"
    *2
      "3-0"
      *2
        "a"
        "3"

> XINFO GROUPS mk
*1
  %6
    "name"
    "g"
    "consumers"
    :0
    "pending"
    :0
    "last-delivered-id"
    "0-0"
    "entries-read"
    _
    "lag"
    :0

> XRANGE q - + COUNT 0
_

> XREAD STREAMS nokey 0
_
