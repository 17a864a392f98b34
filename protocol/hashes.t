# Hash commands (issue 4). Field order of HGETALL/HKEYS/HVALS is not part of the contract.

# --- HSET / HGET / HMSET / HSETNX / HMGET ------------------------------------------------------
> HSET h f1 v1
:1

# returns the number of fields added (not updated)
> HSET h f1 v1b f2 v2 f3 v3
:2

> HGET h f1
"v1b"

> HGET h nofield
(nil)

> HGET nokey f
(nil)

> HSET h "" empty "bin\x00" "\xff\x00"
:2

> HGET h ""
"empty"

> HGET h "bin\x00"
"\xff\x00"

> HSET h f1 x f1 y
:0

> HGET h f1
"y"

> HMSET h f4 v4 f5 v5
+OK

> HMSET h f4 v4b
+OK

> HSETNX h f1 x
:0

> HGET h f1
"y"

> HSETNX h f6 v6
:1

> HSETNX newh f v
:1

> HGETALL newh
*2
  "f"
  "v"

> HMGET h f1 nofield f6
*3
  "y"
  (nil)
  "v6"

> HMGET nokey a b
*2
  (nil)
  (nil)

> HSET h f1
-ERR wrong number of arguments for 'hset' command

> HSET h f1 v1 f2
-ERR wrong number of arguments for 'hset' command

> HMSET h f4
-ERR wrong number of arguments for 'hmset' command

> HMSET h f4 v4 f5
-ERR wrong number of arguments for 'hmset' command

> HSETNX h f7
-ERR wrong number of arguments for 'hsetnx' command

> HMGET h
-ERR wrong number of arguments for 'hmget' command

> HGET h
-ERR wrong number of arguments for 'hget' command

# --- HLEN / HEXISTS / HSTRLEN ------------------------------------------------------------
> HLEN h
:8

> HLEN nokey
:0

> HEXISTS h f1
:1

> HEXISTS h nofield
:0

> HEXISTS nokey f
:0

> HSTRLEN h f2
:2

> HSTRLEN h ""
:5

> HSTRLEN h nofield
:0

> HSTRLEN nokey f
:0

> HSTRLEN h
-ERR wrong number of arguments for 'hstrlen' command

> HEXISTS h
-ERR wrong number of arguments for 'hexists' command

> HLEN
-ERR wrong number of arguments for 'hlen' command

# --- HGETALL / HKEYS / HVALS ----------------------------------------------------------------
> HGETALL h
*16 unordered-pairs
  "f1"
  "y"
  "f2"
  "v2"
  "f3"
  "v3"
  ""
  "empty"
  "bin\x00"
  "\xff\x00"
  "f4"
  "v4b"
  "f5"
  "v5"
  "f6"
  "v6"

> HKEYS h
*8 unordered
  "f1"
  "f2"
  "f3"
  ""
  "bin\x00"
  "f4"
  "f5"
  "f6"

> HVALS h
*8 unordered
  "y"
  "v2"
  "v3"
  "empty"
  "\xff\x00"
  "v4b"
  "v5"
  "v6"

> HGETALL nokey
*0

> HKEYS nokey
*0

> HVALS nokey
*0

> HGETALL
-ERR wrong number of arguments for 'hgetall' command

> HKEYS h x
-ERR wrong number of arguments for 'hkeys' command

> HVALS
-ERR wrong number of arguments for 'hvals' command

# --- HDEL -------------------------------------------------------------------------------------
> HDEL h f1 f2 nofield
:2

> HDEL h f1
:0

> HDEL nokey f
:0

> HDEL h "" "bin\x00" f3 f3
:3

> HLEN h
:3

# deleting the last field deletes the key
> HDEL h f4 f5 f6
:3

> EXISTS h
:0

> TYPE h
+none

> HDEL h
-ERR wrong number of arguments for 'hdel' command

# --- HINCRBY / HINCRBYFLOAT ------------------------------------------------------------------
> HINCRBY c n 5
:5

> HINCRBY c n -10
:-5

> HINCRBY c n 0
:-5

> HGET c n
"-5"

> HINCRBY c n foo
-ERR value is not an integer or out of range

> HINCRBY c n 1.5
-ERR value is not an integer or out of range

> HINCRBY c n 9223372036854775808
-ERR value is not an integer or out of range

> HSET c s abc big 9223372036854775807 small -9223372036854775808 flt 1.5 sp " 1" z 01
:6

> HINCRBY c s 1
-ERR hash value is not an integer

> HINCRBY c flt 1
-ERR hash value is not an integer

> HINCRBY c sp 1
-ERR hash value is not an integer

> HINCRBY c z 1
-ERR hash value is not an integer

> HINCRBY c big 1
-ERR increment or decrement would overflow

> HINCRBY c small -1
-ERR increment or decrement would overflow

> HINCRBY c big -1
:9223372036854775806

> HINCRBY c
-ERR wrong number of arguments for 'hincrby' command

> HINCRBY c n
-ERR wrong number of arguments for 'hincrby' command

> HINCRBYFLOAT c flt 1.5
"3"

> HINCRBYFLOAT c n 0.5
"-4.5"

> HINCRBYFLOAT c new 10
"10"

> HINCRBYFLOAT c new -0.25
"9.75"

> HSET c e 5.0e3
:1

> HINCRBYFLOAT c e 0
"5000"

> HINCRBYFLOAT c e 1.5e2
"5150"

> HINCRBYFLOAT c s 1
-ERR hash value is not a float

> HINCRBYFLOAT c sp 1
-ERR hash value is not a float

> HINCRBYFLOAT c n foo
-ERR value is not a valid float

> HINCRBYFLOAT c n ""
-ERR value is not a valid float

> HINCRBYFLOAT c n nan
-ERR value is not a valid float

> HINCRBYFLOAT c n inf
-ERR value is NaN or Infinity

> HINCRBYFLOAT c n -inf
-ERR value is NaN or Infinity

> HINCRBYFLOAT c n
-ERR wrong number of arguments for 'hincrbyfloat' command

> HINCRBYFLOAT nokey2 f 1.5
"1.5"

> HINCRBY nokey3 f 7
:7

> SET str v
+OK

> HINCRBY str f 1
-WRONGTYPE Operation against a key holding the wrong kind of value

> HINCRBYFLOAT str f 1
-WRONGTYPE Operation against a key holding the wrong kind of value

# long double arithmetic (see strings.t)
@redis-only
> HINCRBYFLOAT c big 1
"9223372036854775807"

# --- HRANDFIELD ------------------------------------------------------------------------------
> DEL r
:0

> HSET r a 1 b 2 c 3
:3

> HRANDFIELD r
~/[abc]/

> HRANDFIELD nokey
(nil)

> HRANDFIELD nokey 5
*0

> HRANDFIELD nokey -5 WITHVALUES
*0

> HRANDFIELD r 0
*0

> HRANDFIELD r 0 WITHVALUES
*0

# a positive count returns distinct fields, at most the whole hash
> HRANDFIELD r 3
*3 unordered
  "a"
  "b"
  "c"

> HRANDFIELD r 10
*3 unordered
  "a"
  "b"
  "c"

> HRANDFIELD r 10 WITHVALUES
*6 unordered-pairs
  "a"
  "1"
  "b"
  "2"
  "c"
  "3"

> HRANDFIELD r 1
*1
  ~/[abc]/

> HRANDFIELD r 2 withvalues
*4
  ~/[abc]/
  ~/[123]/
  ~/[abc]/
  ~/[123]/

# a negative count may repeat fields and returns exactly -count of them
> HRANDFIELD r -5
*5
  ~/[abc]/
  ~/[abc]/
  ~/[abc]/
  ~/[abc]/
  ~/[abc]/

> HRANDFIELD r -2 WITHVALUES
*4
  ~/[abc]/
  ~/[123]/
  ~/[abc]/
  ~/[123]/

> HRANDFIELD r foo
-ERR value is not an integer or out of range

> HRANDFIELD r 1 foo
-ERR syntax error

> HRANDFIELD r 1 WITHVALUES x
-ERR syntax error

> HRANDFIELD str
-WRONGTYPE Operation against a key holding the wrong kind of value

> HRANDFIELD
-ERR wrong number of arguments for 'hrandfield' command

# --- HSCAN ----------------------------------------------------------------------------------
> HSCAN r 0 COUNT 1000
*2
  "0"
  *6 unordered-pairs
    "a"
    "1"
    "b"
    "2"
    "c"
    "3"

> HSCAN r 0 MATCH [ab] COUNT 1000
*2
  "0"
  *4 unordered-pairs
    "a"
    "1"
    "b"
    "2"

> HSCAN r 0 MATCH nomatch COUNT 1000
*2
  "0"
  *0

> HSCAN nokey 0
*2
  "0"
  *0

> HSCAN r foo
-ERR invalid cursor

> HSCAN r 0 COUNT 0
-ERR syntax error

> HSCAN r 0 COUNT foo
-ERR value is not an integer or out of range

> HSCAN r 0 MATCH
-ERR syntax error

> HSCAN r 0 FOO
-ERR syntax error

# TYPE is not an option of HSCAN
> HSCAN r 0 TYPE string
-ERR syntax error

> HSCAN str 0
-WRONGTYPE Operation against a key holding the wrong kind of value

> HSCAN r
-ERR wrong number of arguments for 'hscan' command

# --- WRONGTYPE -------------------------------------------------------------------------------
> HSET str f v
-WRONGTYPE Operation against a key holding the wrong kind of value

> HGET str f
-WRONGTYPE Operation against a key holding the wrong kind of value

> HMGET str f
-WRONGTYPE Operation against a key holding the wrong kind of value

> HGETALL str
-WRONGTYPE Operation against a key holding the wrong kind of value

> HLEN str
-WRONGTYPE Operation against a key holding the wrong kind of value

> HDEL str f
-WRONGTYPE Operation against a key holding the wrong kind of value

> HEXISTS str f
-WRONGTYPE Operation against a key holding the wrong kind of value

> HSETNX str f v
-WRONGTYPE Operation against a key holding the wrong kind of value

> HKEYS str
-WRONGTYPE Operation against a key holding the wrong kind of value

> HSTRLEN str f
-WRONGTYPE Operation against a key holding the wrong kind of value

> OBJECT ENCODING r
"listpack"
