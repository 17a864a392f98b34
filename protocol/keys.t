# Generic key commands (issue 3).

# --- DEL / UNLINK / EXISTS / TYPE ------------------------------------------------
> MSET a 1 b 2 c 3
+OK

> EXISTS a
:1

> EXISTS nokey
:0

# duplicates are counted each time
> EXISTS a a b nokey
:3

> DEL a nokey
:1

> DEL a
:0

# duplicates are deleted once
> DEL b b
:1

> UNLINK c nokey
:1

> UNLINK c
:0

> DEL
-ERR wrong number of arguments for 'del' command

> UNLINK
-ERR wrong number of arguments for 'unlink' command

> EXISTS
-ERR wrong number of arguments for 'exists' command

> SET str v
+OK

> RPUSH list a
:1

> SADD set a
:1

> ZADD zset 1 a
:1

> HSET hash f v
:1

> TYPE str
+string

> TYPE list
+list

> TYPE set
+set

> TYPE zset
+zset

> TYPE hash
+hash

> TYPE nokey
+none

> TYPE
-ERR wrong number of arguments for 'type' command

> TYPE a b
-ERR wrong number of arguments for 'type' command

> DEL str list set zset hash
:5

> DBSIZE
:0

# --- KEYS ---------------------------------------------------------------------
> MSET hello 1 hallo 2 hxllo 3 hllo 4 heeeello 5 "h*llo" 6 "h\\llo" 7 hillo 8 Hello 9
+OK

> KEYS *
*9 unordered
  "hello"
  "hallo"
  "hxllo"
  "hllo"
  "heeeello"
  "h*llo"
  "h\\llo"
  "hillo"
  "Hello"

> KEYS h?llo
*6 unordered
  "hello"
  "hallo"
  "hxllo"
  "h*llo"
  "h\\llo"
  "hillo"

> KEYS h*llo
*8 unordered
  "hello"
  "hallo"
  "hxllo"
  "hllo"
  "heeeello"
  "h*llo"
  "h\\llo"
  "hillo"

> KEYS h[ae]llo
*2 unordered
  "hello"
  "hallo"

> KEYS h[^e]llo
*5 unordered
  "hallo"
  "hxllo"
  "h*llo"
  "h\\llo"
  "hillo"

> KEYS h[a-b]llo
*1
  "hallo"

# a reversed range matches like the forward one
> KEYS h[z-a]llo
*4 unordered
  "hello"
  "hallo"
  "hxllo"
  "hillo"

# only ^ negates a class; [!e] is the class of '!' and 'e'
> KEYS h[!e]llo
*1
  "hello"

> KEYS "h\\*llo"
*1
  "h*llo"

> KEYS "h\\\\llo"
*1
  "h\\llo"

> KEYS "h\\?llo"
*0

> KEYS [H]*
*1
  "Hello"

# case-sensitive
> KEYS HELLO
*0

> KEYS hello
*1
  "hello"

> KEYS he*o
*2 unordered
  "hello"
  "heeeello"

> KEYS *ll*
*9 unordered
  "hillo"
  "hello"
  "hallo"
  "hxllo"
  "hllo"
  "heeeello"
  "h*llo"
  "h\\llo"
  "Hello"

> KEYS h[e
*0

> KEYS nomatch*
*0

> KEYS
-ERR wrong number of arguments for 'keys' command

> KEYS a b
-ERR wrong number of arguments for 'keys' command

# --- SCAN (a COUNT larger than the keyspace returns everything with cursor 0) ---------
> SCAN 0 COUNT 1000
*2
  "0"
  *9 unordered
    "hello"
    "hallo"
    "hxllo"
    "hllo"
    "heeeello"
    "h*llo"
    "h\\llo"
    "hillo"
    "Hello"

> SCAN 0 MATCH h[ae]llo COUNT 1000
*2
  "0"
  *2 unordered
    "hello"
    "hallo"

> SCAN 0 COUNT 1000 MATCH *x*
*2
  "0"
  *1
    "hxllo"

> RPUSH mylist a
:1

> SADD myset a
:1

> SCAN 0 COUNT 1000 TYPE list
*2
  "0"
  *1
    "mylist"

> SCAN 0 COUNT 1000 TYPE set MATCH my*
*2
  "0"
  *1
    "myset"

> SCAN 0 COUNT 1000 TYPE string MATCH my*
*2
  "0"
  *0

> SCAN 0 COUNT 1000 type LIST
*2
  "0"
  *1
    "mylist"

> SCAN 0 COUNT 1000 TYPE hash
*2
  "0"
  *0

# a cursor other than 0 is an opaque integer; a small COUNT returns a partial page
> SCAN 0 COUNT 1
*2
  ~/[0-9]+/
  *?

> SCAN 0 COUNT 0
-ERR syntax error

> SCAN 0 COUNT -1
-ERR syntax error

> SCAN 0 COUNT foo
-ERR value is not an integer or out of range

> SCAN foo
-ERR invalid cursor

> SCAN 1.5
-ERR invalid cursor

> SCAN 18446744073709551616
-ERR invalid cursor

> SCAN 0 FOO
-ERR syntax error

> SCAN 0 MATCH
-ERR syntax error

> SCAN 0 COUNT
-ERR syntax error

> SCAN 0 TYPE
-ERR syntax error

> SCAN
-ERR wrong number of arguments for 'scan' command

> FLUSHDB
+OK

> SCAN 0
*2
  "0"
  *0

# --- RANDOMKEY ------------------------------------------------------------------------
> RANDOMKEY
(nil)

> SET only v
+OK

> RANDOMKEY
"only"

> SET other v
+OK

> RANDOMKEY
~/only|other/

> RANDOMKEY x
-ERR wrong number of arguments for 'randomkey' command

# --- RENAME / RENAMENX -------------------------------------------------------------
> FLUSHDB
+OK

> SET src hello
+OK

> RENAME src dst
+OK

> EXISTS src
:0

> GET dst
"hello"

> RENAME nokey x
-ERR no such key

> RENAME nokey nokey
-ERR no such key

> RENAME dst dst
+OK

> GET dst
"hello"

> RPUSH other a b
:2

# RENAME overwrites a destination of any type
> RENAME dst other
+OK

> TYPE other
+string

> GET other
"hello"

# the TTL moves with the key; the destination's TTL is dropped
> SET t1 v EX 100
+OK

> SET t2 w EX 500
+OK

> RENAME t1 t2
+OK

> TTL t2
:~90..100

> SET t3 v
+OK

> RENAME t3 t2
+OK

> TTL t2
:-1

> SET x 1
+OK

> SET y 2
+OK

> RENAMENX x y
:0

> GET y
"2"

> RENAMENX x z
:1

> GET z
"1"

> EXISTS x
:0

> RENAMENX z z
:0

> RENAMENX nokey q
-ERR no such key

> RENAME x
-ERR wrong number of arguments for 'rename' command

> RENAMENX x
-ERR wrong number of arguments for 'renamenx' command

> RENAME a b c
-ERR wrong number of arguments for 'rename' command

# --- COPY --------------------------------------------------------------------------
> FLUSHDB
+OK

> SET s hello EX 100
+OK

> COPY s s2
:1

> GET s2
"hello"

> TTL s2
:~90..100

> COPY s s2
:0

> SET s world
+OK

> COPY s s2 REPLACE
:1

> GET s2
"world"

> TTL s2
:-1

> COPY s s
-ERR source and destination objects are the same

> COPY nokey x
:0

> COPY s s3 DB 1
:1

> EXISTS s3
:0

> SELECT 1
+OK

> GET s3
"world"

> SELECT 0
+OK

> COPY s s3 DB 1
:0

> COPY s s3 DB 1 REPLACE
:1

# same key name in another db is allowed
> COPY s s DB 1 REPLACE
:1

> COPY s s DB 0
-ERR source and destination objects are the same

> COPY s x DB 16
-ERR DB index is out of range

> COPY s x DB -1
-ERR DB index is out of range

> COPY s x DB foo
-ERR value is not an integer or out of range

> COPY s x DB
-ERR syntax error

> COPY s x FOO
-ERR syntax error

> COPY s
-ERR wrong number of arguments for 'copy' command

# COPY of aggregates is a deep copy
> RPUSH l1 a b c
:3

> COPY l1 l2
:1

> RPUSH l2 d
:4

> LRANGE l1 0 -1
*3
  "a"
  "b"
  "c"

> LRANGE l2 0 -1
*4
  "a"
  "b"
  "c"
  "d"

> HSET h1 f v
:1

> COPY h1 h2
:1

> HGETALL h2
*2
  "f"
  "v"

> SADD set1 m
:1

> COPY set1 set2
:1

> SMEMBERS set2
*1
  "m"

> ZADD z1 1.5 m
:1

> COPY z1 z2
:1

> ZRANGE z2 0 -1 WITHSCORES
*2
  "m"
  "1.5"

# --- MOVE ----------------------------------------------------------------------------
> FLUSHALL
+OK

> SET mv hello EX 100
+OK

> MOVE mv 1
:1

> EXISTS mv
:0

> SELECT 1
+OK

> GET mv
"hello"

> TTL mv
:~90..100

> MOVE mv 0
:1

> SELECT 0
+OK

> GET mv
"hello"

> SELECT 1
+OK

> SET mv other
+OK

> SELECT 0
+OK

# destination exists: nothing moves
> MOVE mv 1
:0

> GET mv
"hello"

> MOVE nokey 1
:0

> MOVE mv 0
-ERR source and destination objects are the same

> MOVE mv 16
-ERR DB index is out of range

> MOVE mv -1
-ERR DB index is out of range

> MOVE mv foo
-ERR value is not an integer or out of range

> MOVE mv
-ERR wrong number of arguments for 'move' command

> FLUSHALL
+OK

# --- EXPIRE family --------------------------------------------------------------------
> SET k v
+OK

> TTL k
:-1

> PTTL k
:-1

> EXPIRETIME k
:-1

> PEXPIRETIME k
:-1

> TTL nokey
:-2

> PTTL nokey
:-2

> EXPIRETIME nokey
:-2

> PEXPIRETIME nokey
:-2

> EXPIRE k 100
:1

> TTL k
:~90..100

> PTTL k
:~90000..100000

> PEXPIRE k 200000
:1

> TTL k
:~190..200

> EXPIREAT k 4102444800
:1

> EXPIRETIME k
:4102444800

> PEXPIRETIME k
:4102444800000

> PEXPIREAT k 4102444800999
:1

# EXPIRETIME (and TTL) round to the nearest second
> EXPIRETIME k
:4102444801

> PEXPIRETIME k
:4102444800999

> PERSIST k
:1

> PERSIST k
:0

> PERSIST nokey
:0

> TTL k
:-1

> EXPIRE nokey 100
:0

> PEXPIRE nokey 100
:0

> EXPIREAT nokey 4102444800
:0

> PEXPIREAT nokey 4102444800000
:0

# a non-positive TTL or a past timestamp deletes the key (reply 1)
> EXPIRE k 0
:1

> EXISTS k
:0

> SET k v
+OK

> EXPIRE k -5
:1

> EXISTS k
:0

> SET k v
+OK

> PEXPIRE k -1
:1

> EXISTS k
:0

> SET k v
+OK

> EXPIREAT k 1
:1

> EXISTS k
:0

> SET k v
+OK

> PEXPIREAT k 0
:1

> EXISTS k
:0

# NX / XX / GT / LT; a key without TTL has an infinite TTL for GT/LT
> SET k v
+OK

> EXPIRE k 100 XX
:0

> EXPIRE k 100 GT
:0

> TTL k
:-1

> EXPIRE k 100 LT
:1

> TTL k
:~90..100

> EXPIRE k 200 NX
:0

> EXPIRE k 50 GT
:0

> EXPIRE k 150 GT
:1

> TTL k
:~140..150

> EXPIRE k 300 LT
:0

> EXPIRE k 50 LT
:1

> TTL k
:~45..50

> EXPIRE k 60 XX
:1

> TTL k
:~55..60

> EXPIRE k 70 xx gt
:1

> PERSIST k
:1

> EXPIRE k 100 NX
:1

> TTL k
:~90..100

> PEXPIRE k 50000 GT
:0

> PEXPIRE k 50000 LT
:1

> EXPIREAT k 4102444800 GT
:1

> EXPIREAT k 4102444801 LT
:0

> PEXPIREAT k 4102444800000 NX
:0

> PEXPIREAT k 4102444799000 LT
:1

> EXPIRETIME k
:4102444799

> EXPIRE k 10 NX NX
:0

> EXPIRE nokey 10 GT
:0

> EXPIRE k 100 NX XX
-ERR NX and XX, GT or LT options at the same time are not compatible

> EXPIRE k 100 NX GT
-ERR NX and XX, GT or LT options at the same time are not compatible

> EXPIRE k 100 NX LT
-ERR NX and XX, GT or LT options at the same time are not compatible

> EXPIRE k 100 GT LT
-ERR GT and LT options at the same time are not compatible

> PEXPIRE k 100 GT LT
-ERR GT and LT options at the same time are not compatible

> EXPIRE k 100 FOO
-ERR Unsupported option FOO

> EXPIRE k 100 1 2
-ERR Unsupported option 1

> EXPIRE k foo
-ERR value is not an integer or out of range

> EXPIRE k 1.5
-ERR value is not an integer or out of range

> PEXPIREAT k foo
-ERR value is not an integer or out of range

> EXPIRE k 9223372036854775807
-ERR invalid expire time in 'expire' command

> PEXPIRE k 9223372036854775807
-ERR invalid expire time in 'pexpire' command

> EXPIREAT k 9223372036854775807
-ERR invalid expire time in 'expireat' command

> EXPIRE k -9223372036854775808
-ERR invalid expire time in 'expire' command

> EXPIRE k
-ERR wrong number of arguments for 'expire' command

> PEXPIRE k
-ERR wrong number of arguments for 'pexpire' command

> EXPIREAT k
-ERR wrong number of arguments for 'expireat' command

> PEXPIREAT k
-ERR wrong number of arguments for 'pexpireat' command

> TTL
-ERR wrong number of arguments for 'ttl' command

> PTTL a b
-ERR wrong number of arguments for 'pttl' command

> EXPIRETIME
-ERR wrong number of arguments for 'expiretime' command

> PEXPIRETIME a b
-ERR wrong number of arguments for 'pexpiretime' command

> PERSIST
-ERR wrong number of arguments for 'persist' command

# the TTL still applies to other types
> RPUSH tl a
:1

> PEXPIRE tl 100
:1

@sleep 0.25

> EXISTS tl
:0

> TYPE tl
+none

> LLEN tl
:0

> SET ts v PX 100
+OK

@sleep 0.25

> GET ts
(nil)

> TTL ts
:-2

# --- TOUCH -----------------------------------------------------------------------
> MSET t1 a t2 b
+OK

> TOUCH t1 t2 nokey t1
:3

> TOUCH nokey
:0

> TOUCH
-ERR wrong number of arguments for 'touch' command

# --- OBJECT --------------------------------------------------------------------------
> SET int 12345
+OK

> OBJECT ENCODING int
"int"

> SET neg -5
+OK

> OBJECT ENCODING neg
"int"

> SET short hello
+OK

> OBJECT ENCODING short
"embstr"

> SET flt 1.5
+OK

> OBJECT ENCODING flt
"embstr"

> SET lead0 05
+OK

> OBJECT ENCODING lead0
"embstr"

> SET bigint 12345678901234567890
+OK

> OBJECT ENCODING bigint
"embstr"

> SET emp ""
+OK

> OBJECT ENCODING emp
"embstr"

# up to 44 bytes is embstr, longer is raw
> SET s44 12345678901234567890123456789012345678901234x
+OK

> OBJECT ENCODING s44
"raw"

> SET s44 1234567890123456789012345678901234567890123x
+OK

> OBJECT ENCODING s44
"embstr"

> SET long aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
+OK

> OBJECT ENCODING long
"raw"

# strings modified in place become raw
> APPEND short x
:6

> OBJECT ENCODING short
"raw"

> SETRANGE flt 0 2
:3

> OBJECT ENCODING flt
"raw"

> INCR lead0
-ERR value is not an integer or out of range

> SET c 10
+OK

> INCR c
:11

> OBJECT ENCODING c
"int"

> OBJECT ENCODING nokey
(nil)

> OBJECT REFCOUNT long
:1

> OBJECT REFCOUNT nokey
(nil)

> OBJECT IDLETIME long
:~0..10

> OBJECT IDLETIME nokey
(nil)

> OBJECT FREQ long
-ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.

> OBJECT FREQ nokey
(nil)

> OBJECT HELP
*?

> OBJECT FOO
-ERR unknown subcommand 'FOO'. Try OBJECT HELP.

> OBJECT foo bar
-ERR unknown subcommand 'foo'. Try OBJECT HELP.

> OBJECT
-ERR wrong number of arguments for 'object' command

> OBJECT ENCODING
-ERR wrong number of arguments for 'object|encoding' command

> OBJECT ENCODING a b
-ERR wrong number of arguments for 'object|encoding' command

> OBJECT REFCOUNT
-ERR wrong number of arguments for 'object|refcount' command

> OBJECT IDLETIME
-ERR wrong number of arguments for 'object|idletime' command

> OBJECT FREQ
-ERR wrong number of arguments for 'object|freq' command

> OBJECT HELP x
-ERR wrong number of arguments for 'object|help' command

# small integers (0..9999) are shared objects in Redis
@redis-only
> SET shared 42
+OK
> OBJECT REFCOUNT shared
:2147483647

@redis-only
> OBJECT HELP
*15
  +OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:
  +ENCODING <key>
  +    Return the kind of internal representation used in order to store the value
  +    associated with a <key>.
  +FREQ <key>
  +    Return the access frequency index of the <key>. The returned integer is
  +    proportional to the logarithm of the recent access frequency of the key.
  +IDLETIME <key>
  +    Return the idle time of the <key>, that is the approximated number of
  +    seconds elapsed since the last access to the key.
  +REFCOUNT <key>
  +    Return the number of references of the value associated with the specified
  +    <key>.
  +HELP
  +    Prints this help.
