# DUMP / RESTORE / MIGRATE (issue 10). Payloads are Redis 7.0 DUMP payloads: type byte,
# object, RDB version (2 bytes LE), CRC64 (8 bytes LE). The invalid ones are refused by
# redis-server whatever its sanitize-dump-payload setting.

# --- DUMP ------------------------------------------------------------------------------------
> DUMP nokey
(nil)

> SET s hello
+OK

> DUMP s
"\x00\x05hello\x0a\x00cr\xdfve4 \x0a"

> SET n 133
+OK

> DUMP n
"\x00\xc1\x85\x00\x0a\x00#\xb3\x00\xb9[J\x9d\x8c"

> DUMP
-ERR wrong number of arguments for 'dump' command

> DUMP a b
-ERR wrong number of arguments for 'dump' command

# --- RESTORE: every type Redis 7.0 loads --------------------------------------------------
> RESTORE r:string 0 "\x00\x05hello\x0a\x00cr\xdfve4 \x0a"
+OK

> TYPE r:string
+string

> GET r:string
"hello"

> RESTORE r:int8 0 "\x00\xc0\x85\x0a\x00b\x09\xcasTs\xeb\x80"
+OK

> TYPE r:int8
+string

> GET r:int8
"-123"

> RESTORE r:int32 0 "\x00\xc2@\xe2\x01\x00\x0a\x00C&G\xf4C\x19r\x83"
+OK

> TYPE r:int32
+string

> GET r:int32
"123456"

> RESTORE r:lzf 0 "\x00\xc3\x05\x06\x01ab@\x01\x0a\x00N\x9a\x9f,\xe4~)u"
+OK

> TYPE r:lzf
+string

> GET r:lzf
"ababab"

> RESTORE r:list 0 "\x01\x03\x01a\xc0\x07\x02\xff\x00\x0a\x00m\xdc\x5c\x92u\xa5c\xae"
+OK

> TYPE r:list
+list

> LRANGE r:list 0 -1
*3
  "a"
  "7"
  "\xff\x00"

> RESTORE r:set 0 "\x02\x03\x01a\x011@Fzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\x0a\x00+<\x272\xd8_|\xfe"
+OK

> TYPE r:set
+set

> SMEMBERS r:set
*3 unordered
  "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"
  "1"
  "a"

> RESTORE r:zset 0 "\x03\x02\x01a\x031.5\x01b\xfe\x0a\x00\x05\xed\x07o\xe4\xd5\x08\xea"
+OK

> TYPE r:zset
+zset

> ZRANGE r:zset 0 -1 WITHSCORES
*4
  "a"
  "1.5"
  "b"
  "inf"

> RESTORE r:hash 0 "\x04\x02\x01f\x01v\x01g\xc0\x01\x0a\x00\xb5>\xaf\xeaeNp4"
+OK

> TYPE r:hash
+hash

> HGETALL r:hash
*4 unordered-pairs
  "f"
  "v"
  "g"
  "1"

> RESTORE r:zset2 0 "\x05\x02\x01a\x00\x00\x00\x00\x00\x00\x04@\x01b\x00\x00\x00\x00\x00\x00\xf0\xbf\x0a\x00\xb8d\xab\xd7\x14\xf2\xc3X"
+OK

> TYPE r:zset2
+zset

> ZRANGE r:zset2 0 -1 WITHSCORES
*4
  "b"
  "-1"
  "a"
  "2.5"

> RESTORE r:zipmap 0 "\x09A>\x02\x02f1\x02\x00v1\x02f2\xfe,\x01\x00\x00\x00vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv\xff\x0a\x00\x12\xf9I\xc8Va\xff\xc3"
+OK

> TYPE r:zipmap
+hash

> HGETALL r:zipmap
*4 unordered-pairs
  "f2"
  "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"
  "f1"
  "v1"

> RESTORE r:ziplist 0 "\x0a@\x8a\x8a\x00\x00\x00\x22\x00\x00\x00\x06\x00\x00\x01a\x03\xf6\x02\xc0\xd4\xfe\x04\xf0p\x11\x01\x05\xe0\x00\x00\x00\x00\x00\x01\x00\x00\x0a@dxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\xff\x0a\x00\x09\x95\x96y`\xcct\xfe"
+OK

> TYPE r:ziplist
+list

> LRANGE r:ziplist 0 -1
*6
  "a"
  "5"
  "-300"
  "70000"
  "1099511627776"
  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

> RESTORE r:intset 0 "\x0b\x18\x04\x00\x00\x00\x04\x00\x00\x00\xfb\xff\xff\xff\x01\x00\x00\x00\x02\x00\x00\x00p\x11\x01\x00\x0a\x00t\x9c\xce\x0a_d\xef\x0e"
+OK

> TYPE r:intset
+set

> SMEMBERS r:intset
*4 unordered
  "-5"
  "1"
  "2"
  "70000"

> RESTORE r:zset_ziplist 0 "\x0c\x1d\x1d\x00\x00\x00\x1a\x00\x00\x00\x06\x00\x00\x01a\x03\x031.5\x05\x01b\x03\xf3\x02\x01c\x03\xf4\xff\x0a\x00O\x01uAsy\x0av"
+OK

> TYPE r:zset_ziplist
+zset

> ZRANGE r:zset_ziplist 0 -1 WITHSCORES
*6
  "a"
  "1.5"
  "b"
  "2"
  "c"
  "3"

> RESTORE r:hash_ziplist 0 "\x0d\x16\x16\x00\x00\x00\x13\x00\x00\x00\x04\x00\x00\x01f\x03\x01v\x03\x011\x03\xf3\xff\x0a\x00\xb7\xe3\x8c\x1a\x14ux\x1f"
+OK

> TYPE r:hash_ziplist
+hash

> HGETALL r:hash_ziplist
*4 unordered-pairs
  "f"
  "v"
  "1"
  "2"

> RESTORE r:quicklist 0 "\x0e\x02\x11\x11\x00\x00\x00\x0d\x00\x00\x00\x02\x00\x00\x01a\x03\x01b\xff\x11\x11\x00\x00\x00\x0e\x00\x00\x00\x03\x00\x00\xf2\x02\xf3\x02\xf4\xff\x0a\x00o\xd1<\xc0\x8e1\x1a\x9e"
+OK

> TYPE r:quicklist
+list

> LRANGE r:quicklist 0 -1
*5
  "a"
  "b"
  "1"
  "2"
  "3"

> RESTORE r:hash_listpack 0 "\x10\x12\x12\x00\x00\x00\x04\x00\x81f\x02\x81v\x02\x81g\x02\x0c\x01\xff\x0a\x00\xde\x139\x93\xf7\x83\x81~"
+OK

> TYPE r:hash_listpack
+hash

> HGETALL r:hash_listpack
*4 unordered-pairs
  "f"
  "v"
  "g"
  "12"

> RESTORE r:zset_listpack 0 "\x11\x14\x14\x00\x00\x00\x04\x00\x81m\x02\x832.5\x04\x81n\x02\x03\x01\xff\x0a\x00\xa8:\xae\xa0\xc6`+<"
+OK

> TYPE r:zset_listpack
+zset

> ZRANGE r:zset_listpack 0 -1 WITHSCORES
*4
  "m"
  "2.5"
  "n"
  "3"

> RESTORE r:quicklist2 0 "\x12\x02\x02\x19\x19\x00\x00\x00\x04\x00\x81a\x02\x07\x01\xd80\x02\xf4\x00\x00\x00\x00\x00\x01\x00\x00\x09\xff\x01\x05plain\x0a\x00+\xa6\x86\xb3B1\x1cs"
+OK

> TYPE r:quicklist2
+list

> LRANGE r:quicklist2 0 -1
*5
  "a"
  "7"
  "-2000"
  "1099511627776"
  "plain"

# --- RESTORE: errors ----------------------------------------------------------------------
# crc
> RESTORE bad 0 "\x00\x05hello\x0a\x00\x00\x00\x00\x00\x00\x00\x00\x00"
-ERR DUMP payload version or checksum are wrong

> EXISTS bad
:0

# version
> RESTORE bad 0 "\x00\x05hello\x0b\x00\x0a\xadb\x05\x98\xab\xc9\x83"
-ERR DUMP payload version or checksum are wrong

> EXISTS bad
:0

# short
> RESTORE bad 0 "\x00\x0a\x00\x00\x00\x00\x00\x00\x00"
-ERR DUMP payload version or checksum are wrong

> EXISTS bad
:0

# short_string
> RESTORE bad 0 "\x00\x80\xff\xff\xff\xffa\x0a\x00]\xd6\xa4Jk\x16i\x9d"
-ERR Bad data format

> EXISTS bad
:0

# huge_count
> RESTORE bad 0 "\x01\x81\x80\x00\x00\x00\x00\x00\x00\x00\x01a\x0a\x00\xd3\x92\x1e\x8c$\x27M\xf4"
-ERR Bad data format

> EXISTS bad
:0

# empty_list
> RESTORE bad 0 "\x01\x00\x0a\x00[\xf8%\xccl\x17CV"
-ERR Bad data format

> EXISTS bad
:0

# empty_ziplist
> RESTORE bad 0 "\x0a\x0b\x0b\x00\x00\x00\x0a\x00\x00\x00\x00\x00\xff\x0a\x00~\x1a\xcf\xd9+\xcaAq"
-ERR Bad data format

> EXISTS bad
:0

# empty_intset
> RESTORE bad 0 "\x0b\x08\x02\x00\x00\x00\x00\x00\x00\x00\x0a\x00ZC;\x1d\x95\xdb\x8d9"
-ERR Bad data format

> EXISTS bad
:0

# set_dup
> RESTORE bad 0 "\x02\x02\x01a\x01a\x0a\x00W\xbev/\xc2\xd6R:"
-ERR Bad data format

> EXISTS bad
:0

# nan
> RESTORE bad 0 "\x05\x01\x01a\x00\x00\x00\x00\x00\x00\xf8\x7f\x0a\x00\xf0\xf9)\xa9\x06TY\x27"
-ERR Bad data format

> EXISTS bad
:0

# zset_dup
> RESTORE bad 0 "\x05\x02\x01a\x00\x00\x00\x00\x00\x00\xf0?\x01a\x00\x00\x00\x00\x00\x00\x00@\x0a\x00\x86\xe6r\xe9\xa0o\xc4\xeb"
-ERR Bad data format

> EXISTS bad
:0

# type8
> RESTORE bad 0 "\x08\x00\x0a\x00\xc1\xce\xc9A^\xa5\xcd\x10"
-ERR Bad data format

> EXISTS bad
:0

# type20
> RESTORE bad 0 "\x14\x00\x0a\x00\xc0\x09+\x9b\xd6\x00\x13\x00"
-ERR Bad data format

> EXISTS bad
:0

# module
> RESTORE bad 0 "\x07p9\x0a\x00q\x8e\xc5\x92$B\xdf\x9d"
-ERR Bad data format

> EXISTS bad
:0

# lzf_bomb
> RESTORE bad 0 "\x00\xc3\x03\x80;\x9a\xca\x00\x00ab\x0a\x00\x0a\x09\x9f\x05\x22\x13\xd8\x89"
-ERR Bad data format

> EXISTS bad
:0

# ziplist_badcount
> RESTORE bad 0 "\x0a\x0e\x0e\x00\x00\x00\x0a\x00\x00\x00\x02\x00\x00\x01a\xff\x0a\x00\x08\xb5\xaa\xef\x82\x13Y\xb6"
-ERR Bad data format

> EXISTS bad
:0

# quicklist_container
> RESTORE bad 0 "\x12\x01\x03\x0a\x0a\x00\x00\x00\x01\x00\x81a\x02\xff\x0a\x000\x0c\x02\xe9\xb5/Q\xce"
-ERR Bad data format

> EXISTS bad
:0

# --- RESTORE: existing keys, TTLs, options ----------------------------------------------------
> SET k old
+OK

> RESTORE k 0 "\x00\x05hello\x0a\x00cr\xdfve4 \x0a"
-BUSYKEY Target key name already exists.

> RESTORE k 0 "\x00\x05hello\x0a\x00cr\xdfve4 \x0a" REPLACE
+OK

> GET k
"hello"

> RESTORE k 0 "\x01\x03\x01a\xc0\x07\x02\xff\x00\x0a\x00m\xdc\x5c\x92u\xa5c\xae" REPLACE
+OK

> TYPE k
+list

# BUSYKEY comes before the TTL and the payload are looked at
> RESTORE k -1 garbage
-BUSYKEY Target key name already exists.

> RESTORE k x garbage REPLACE
-ERR value is not an integer or out of range

> RESTORE k -1 garbage REPLACE
-ERR Invalid TTL value, must be >= 0

> RESTORE k 0 garbage REPLACE
-ERR DUMP payload version or checksum are wrong

> RESTORE t 100000 "\x00\x05hello\x0a\x00cr\xdfve4 \x0a"
+OK

> PTTL t
:~99000..100000

> RESTORE t2 4102444800000 "\x00\x05hello\x0a\x00cr\xdfve4 \x0a" ABSTTL
+OK

> PEXPIRETIME t2
:4102444800000

> RESTORE t3 0 "\x00\x05hello\x0a\x00cr\xdfve4 \x0a" ABSTTL
+OK

> TTL t3
:-1

# an absolute time already past: OK, nothing is created
> RESTORE gone 1 "\x00\x05hello\x0a\x00cr\xdfve4 \x0a" ABSTTL
+OK

> EXISTS gone
:0

# ... and a key it replaces is deleted
> RESTORE t3 1000 "\x00\x05hello\x0a\x00cr\xdfve4 \x0a" ABSTTL REPLACE
+OK

> EXISTS t3
:0

# a relative TTL that overflows wraps (C arithmetic) into the past
> RESTORE wrap 9223372036854775807 "\x00\x05hello\x0a\x00cr\xdfve4 \x0a"
+OK

> EXISTS wrap
:0

# --- options -----------------------------------------------------------------------------------
> RESTORE o 0 "\x00\x05hello\x0a\x00cr\xdfve4 \x0a" IDLETIME -1
-ERR Invalid IDLETIME value, must be >= 0

> RESTORE o 0 "\x00\x05hello\x0a\x00cr\xdfve4 \x0a" IDLETIME x
-ERR value is not an integer or out of range

> RESTORE o 0 "\x00\x05hello\x0a\x00cr\xdfve4 \x0a" FREQ 256
-ERR Invalid FREQ value, must be >= 0 and <= 255

> RESTORE o 0 "\x00\x05hello\x0a\x00cr\xdfve4 \x0a" FREQ -1
-ERR Invalid FREQ value, must be >= 0 and <= 255

> RESTORE o 0 "\x00\x05hello\x0a\x00cr\xdfve4 \x0a" FREQ x
-ERR value is not an integer or out of range

> RESTORE o 0 "\x00\x05hello\x0a\x00cr\xdfve4 \x0a" IDLETIME 1 FREQ 1
-ERR syntax error

> RESTORE o 0 "\x00\x05hello\x0a\x00cr\xdfve4 \x0a" FREQ 1 IDLETIME 1
-ERR syntax error

> RESTORE o 0 "\x00\x05hello\x0a\x00cr\xdfve4 \x0a" IDLETIME
-ERR syntax error

> RESTORE o 0 "\x00\x05hello\x0a\x00cr\xdfve4 \x0a" FREQ
-ERR syntax error

> RESTORE o 0 "\x00\x05hello\x0a\x00cr\xdfve4 \x0a" foo
-ERR syntax error

> RESTORE o 0 "\x00\x05hello\x0a\x00cr\xdfve4 \x0a" replace absttl replace
+OK

> RESTORE i 0 "\x00\x05hello\x0a\x00cr\xdfve4 \x0a" IDLETIME 1000
+OK

> OBJECT IDLETIME i
:~1000..1002

> RESTORE f 0 "\x00\x05hello\x0a\x00cr\xdfve4 \x0a" FREQ 100
+OK

> OBJECT FREQ f
-ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.

> RESTORE
-ERR wrong number of arguments for 'restore' command

> RESTORE a 0
-ERR wrong number of arguments for 'restore' command

# --- keyspace state after a bad payload: nothing changed -----------------------------------------
> SET keep v
+OK

> RESTORE keep 0 "\x01\x00\x0a\x00[\xf8%\xccl\x17CV" REPLACE
-ERR Bad data format

> GET keep
"v"

# --- RESP3: the payload is a bulk string in both protocols ---------------------------------------
@resp3
> DUMP s
"\x00\x05hello\x0a\x00cr\xdfve4 \x0a"

> DUMP nokey
_

@resp2
# --- MIGRATE (errors decided before connecting) ------------------------------------------------
> MIGRATE 127.0.0.1 1 nokey 0 100
+NOKEY

> MIGRATE 127.0.0.1 1 "" 0 100 KEYS nokey1 nokey2
+NOKEY

> MIGRATE 127.0.0.1 1 s 0 100 KEYS s
-ERR When using MIGRATE KEYS option, the key argument must be set to the empty string

> MIGRATE 127.0.0.1 1 s 0 100 AUTH
-ERR syntax error

> MIGRATE 127.0.0.1 1 s 0 100 AUTH2 user
-ERR syntax error

> MIGRATE 127.0.0.1 1 s 0 100 FOO
-ERR syntax error

> MIGRATE 127.0.0.1 1 s x 100
-ERR value is not an integer or out of range

> MIGRATE 127.0.0.1 1 s 0 x
-ERR value is not an integer or out of range

> MIGRATE 127.0.0.1 1 s 0 x FOO
-ERR syntax error

> MIGRATE "" 1 s 0 100
-IOERR error or timeout connecting to the client

> MIGRATE 127.0.0.1 -1 s 0 100
-IOERR error or timeout connecting to the client

> MIGRATE 127.0.0.1 1 s 0 100
-IOERR error or timeout writing to target instance

> EXISTS s
:1

> MIGRATE 127.0.0.1 1 s 0
-ERR wrong number of arguments for 'migrate' command

# --- streams (STREAM_LISTPACKS_2): entries, a deleted one, groups, PELs ---------------------------
> RESTORE st 0 "\x13\x01\x10\x00\x00\x00\x00\x00\x00\x03\xe8\x00\x00\x00\x00\x00\x00\x00\x01@xx\x00\x00\x00+\x00\x06\x01\x00\x01\x02\x01\x81f\x02\x81g\x02\x00\x01\x02\x01\x00\x01\x00\x01\x01\x01\x81x\x02\x05\x01\x02\x01\x01\x01\x01\x01\x02\x01\x82xx\x03\x05\x01\x02\x01\x02\x01\x03\x01\x04\x01\x84xxxx\x05\x05\x01\x02\x01\x02\x01\x04\x01\x05\x01\x85xxxxx\x06\x05\x01\x00\x01\x03\x01\x05\x01\x01\x01\x85other\x06\xdf\xfa\x02\x06\x01\x02\x01\x03\x01\x06\x01\x07\x01\x87xxxxxxx\x08\x05\x01\xff\x06C\xeb\x07C\xe8\x01C\xe9\x03\x07\x02\x02g1C\xea\x04\x04\x03\x00\x00\x00\x00\x00\x00\x03\xe8\x00\x00\x00\x00\x00\x00\x00\x01{h\xe5\xcf\x8b\x01\x00\x00\x02\x00\x00\x00\x00\x00\x00\x03\xe9\x00\x00\x00\x00\x00\x00\x00\x02{h\xe5\xcf\x8b\x01\x00\x00\x02\x00\x00\x00\x00\x00\x00\x03\xea\x00\x00\x00\x00\x00\x00\x00\x04{h\xe5\xcf\x8b\x01\x00\x00\x02\x03\x05alice\x00h\xe5\xcf\x8b\x01\x00\x00\x02\x00\x00\x00\x00\x00\x00\x03\xe8\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03\xe9\x00\x00\x00\x00\x00\x00\x00\x02\x03bob\x00h\xe5\xcf\x8b\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03\xea\x00\x00\x00\x00\x00\x00\x00\x04\x05carol\x00h\xe5\xcf\x8b\x01\x00\x00\x00\x02g2C\xeb\x07\x81\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00\x0a\x00)\x27B;R\xee\x9c-"
+OK

> TYPE st
+stream

> XLEN st
:6

> XRANGE st - +
*6
  *2
    "1000-1"
    *4
      "f"
      "1"
      "g"
      "x"
  *2
    "1001-2"
    *4
      "f"
      "2"
      "g"
      "xx"
  *2
    "1002-4"
    *4
      "f"
      "4"
      "g"
      "xxxx"
  *2
    "1002-5"
    *4
      "f"
      "5"
      "g"
      "xxxxx"
  *2
    "1003-6"
    *2
      "other"
      "-6"
  *2
    "1003-7"
    *4
      "f"
      "7"
      "g"
      "xxxxxxx"

> XINFO STREAM st FULL
*18
  "length"
  :6
  "radix-tree-keys"
  :1
  "radix-tree-nodes"
  :2
  "last-generated-id"
  "1003-7"
  "max-deleted-entry-id"
  "1001-3"
  "entries-added"
  :7
  "recorded-first-entry-id"
  "1000-1"
  "entries"
  *6
    *2
      "1000-1"
      *4
        "f"
        "1"
        "g"
        "x"
    *2
      "1001-2"
      *4
        "f"
        "2"
        "g"
        "xx"
    *2
      "1002-4"
      *4
        "f"
        "4"
        "g"
        "xxxx"
    *2
      "1002-5"
      *4
        "f"
        "5"
        "g"
        "xxxxx"
    *2
      "1003-6"
      *2
        "other"
        "-6"
    *2
      "1003-7"
      *4
        "f"
        "7"
        "g"
        "xxxxxxx"
  "groups"
  *2
    *14
      "name"
      "g1"
      "last-delivered-id"
      "1002-4"
      "entries-read"
      :4
      "lag"
      :3
      "pel-count"
      :3
      "pending"
      *3
        *4
          "1000-1"
          "alice"
          :1700000000123
          :2
        *4
          "1001-2"
          "alice"
          :1700000000123
          :2
        *4
          "1002-4"
          "bob"
          :1700000000123
          :2
      "consumers"
      *3
        *8
          "name"
          "alice"
          "seen-time"
          :1700000000000
          "pel-count"
          :2
          "pending"
          *2
            *3
              "1000-1"
              :1700000000123
              :2
            *3
              "1001-2"
              :1700000000123
              :2
        *8
          "name"
          "bob"
          "seen-time"
          :1700000000000
          "pel-count"
          :1
          "pending"
          *1
            *3
              "1002-4"
              :1700000000123
              :2
        *8
          "name"
          "carol"
          "seen-time"
          :1700000000000
          "pel-count"
          :0
          "pending"
          *0
    *14
      "name"
      "g2"
      "last-delivered-id"
      "1003-7"
      "entries-read"
      (nil)
      "lag"
      :0
      "pel-count"
      :0
      "pending"
      *0
      "consumers"
      *0

> XPENDING st g1
*4
  :3
  "1000-1"
  "1002-4"
  *2
    *2
      "alice"
      "2"
    *2
      "bob"
      "1"

> DEL st
:1
