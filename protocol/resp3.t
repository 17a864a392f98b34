# Replies whose wire type differs under RESP3 (HELLO 3). Sections first show RESP2, then RESP3.

> SET s hello
+OK

> SET n 10
+OK

> RPUSH l a b c
:3

> HSET h f1 v1 f2 v2
:2

> SADD set x
:1

> ZADD z 1.5 a 2 b
:2

# --- RESP2 ------------------------------------------------------------------------------
> GET nokey
(nil)

> MGET s nokey
*2
  "hello"
  (nil)

> SET s x NX
(nil)

> LPOP nokey
(nil)

> LPOP nokey 2
(nil-array)

> LMPOP 1 nokey LEFT
(nil-array)

> HGET h nokey
(nil)

> HGETALL h
*4
  "f1"
  "v1"
  "f2"
  "v2"

> SMEMBERS set
*1
  "x"

> SINTER set
*1
  "x"

> SPOP nokey 2
*0

> ZADD zz 0.1 a 1e20 b inf c -inf d 3 e 1.25e-5 f 123456789.123 g
:7

# scores are formatted like printf("%.17g"); RESP2 sends them as bulk strings
> ZRANGE zz 0 -1 WITHSCORES
*14
  "d"
  "-inf"
  "f"
  "1.2500000000000001e-05"
  "a"
  "0.10000000000000001"
  "e"
  "3"
  "g"
  "123456789.123"
  "b"
  "1e+20"
  "c"
  "inf"

> ZPOPMIN zz 2
*4
  "d"
  "-inf"
  "f"
  "1.2500000000000001e-05"

> ZADD zz -inf d 1.25e-5 f
:2

> ZSCORE z a
"1.5"

> ZSCORE z nokey
(nil)

> ZMSCORE z a nokey b
*3
  "1.5"
  (nil)
  "2"

> ZINCRBY z 1 a
"2.5"

> ZADD z INCR 1 b
"3"

> ZADD z NX INCR 1 b
(nil)

> ZRANGE z 0 -1 WITHSCORES
*4
  "a"
  "2.5"
  "b"
  "3"

> ZPOPMIN z
*2
  "a"
  "2.5"

> ZADD z 1.5 a
:1

> ZRANK z nokey
(nil)

> INCRBYFLOAT n 1.5
"11.5"

> HINCRBYFLOAT h num 2.5
"2.5"

> EXISTS s
:1

> SISMEMBER set x
:1

> CLIENT GETNAME
(nil)

> OBJECT ENCODING nokey
(nil)

> COMMAND INFO nosuchcmd
*1
  (nil)

> CONFIG GET databases
*2
  "databases"
  "16"

> SCAN 0 MATCH s COUNT 1000
*2
  "0"
  *1
    "s"

> TIME
*2
  ~/1[0-9]{9}/
  ~/[0-9]{1,6}/

> LCS s s IDX
*4
  "matches"
  *1
    *2
      *2
        :0
        :4
      *2
        :0
        :4
  "len"
  :5

> INFO keyspace
~/# Keyspace\r\ndb0:keys=[0-9]+,expires=0,avg_ttl=[0-9]+\r\n/

@resp3

# --- RESP3 ------------------------------------------------------------------------------
> GET nokey
_

> MGET s nokey
*2
  "hello"
  _

> SET s x NX
_

> LPOP nokey
_

> LPOP nokey 2
_

> LMPOP 1 nokey LEFT
_

> HGET h nokey
_

> HGETALL h
%3
  "f1"
  "v1"
  "f2"
  "v2"
  "num"
  "2.5"

> SMEMBERS set
~1
  "x"

> SINTER set
~1
  "x"

> SUNION set nokey
~1
  "x"

> SDIFF set nokey
~1
  "x"

> SPOP nokey 2
~0

> SRANDMEMBER set 1
*1
  "x"

> SMISMEMBER set x y
*2
  :1
  :0

# doubles use the same "%.17g" text as RESP2 scores, inf as ",inf"
> ZRANGE zz 0 -1 WITHSCORES
*7
  *2
    "d"
    ,-inf
  *2
    "f"
    ,1.2500000000000001e-05
  *2
    "a"
    ,0.10000000000000001
  *2
    "e"
    ,3
  *2
    "g"
    ,123456789.123
  *2
    "b"
    ,1e+20
  *2
    "c"
    ,inf

> ZRANGEBYSCORE zz 1 +inf WITHSCORES
*4
  *2
    "e"
    ,3
  *2
    "g"
    ,123456789.123
  *2
    "b"
    ,1e+20
  *2
    "c"
    ,inf

> ZUNION 1 zz WITHSCORES
*7
  *2
    "d"
    ,-inf
  *2
    "f"
    ,1.2500000000000001e-05
  *2
    "a"
    ,0.10000000000000001
  *2
    "e"
    ,3
  *2
    "g"
    ,123456789.123
  *2
    "b"
    ,1e+20
  *2
    "c"
    ,inf

> ZRANGE zz 0 0
*1
  "d"

# ZSCAN keeps sending scores as bulk strings
> ZSCAN zz 0 MATCH [a-e] COUNT 1000
*2
  "0"
  *10 unordered-pairs
    "d"
    "-inf"
    "a"
    "0.10000000000000001"
    "e"
    "3"
    "b"
    "1e+20"
    "c"
    "inf"

# ZPOPMIN/ZPOPMAX: one [member, score] pair without COUNT, a list of pairs with it
> ZPOPMIN zz 2
*2
  *2
    "d"
    ,-inf
  *2
    "f"
    ,1.2500000000000001e-05

> ZPOPMAX zz
*2
  "c"
  ,inf

> ZPOPMAX zz 1
*1
  *2
    "b"
    ,1e+20

> ZINCRBY zz 0.1 e
,3.1000000000000001

> ZMPOP 1 zz MIN
*2
  "zz"
  *1
    *2
      "a"
      ,0.10000000000000001

> ZMPOP 1 nokey MIN
_

> ZRANDMEMBER zz 1 WITHSCORES
*1
  *2
    ~/e|g/
    ,~3..123456790

> ZRANDMEMBER nokey
_

> HRANDFIELD h 1 WITHVALUES
*1
  *2
    ~/f1|f2|num/
    ?

> HRANDFIELD nokey
_

> HMGET h f1 nope
*2
  "v1"
  _

> HSCAN h 0 COUNT 1000
*2
  "0"
  *6 unordered-pairs
    "f1"
    "v1"
    "f2"
    "v2"
    "num"
    "2.5"

> LPOS l nope
_

> LINDEX l 100
_

> RPOPLPUSH nokey x
_

> LMOVE nokey x LEFT LEFT
_

> SRANDMEMBER nokey
_

> SPOP nokey
_

# non-blocking BLPOP on a non-empty list
> BLPOP l 0
*2
  "l"
  "a"

> KEYS s
*1
  "s"

> ZADD zz 1 x 2 y
:2

> ZRANGESTORE dst zz 0 -1
:4

> ZINTERCARD 1 zz
:4

> SETNX s v
:0

> EXPIRE s 100 XX
:0

> TYPE s
+string

> PING
+PONG

> PING x
"x"

> ECHO x
"x"

> DEL nokey
:0

> ZSCORE z a
,1.5

> ZSCORE z nokey
_

> ZMSCORE z a nokey b
*3
  ,1.5
  _
  ,3

> ZINCRBY z 1 a
,2.5

> ZADD z INCR 1 b
,4

> ZADD z NX INCR 1 b
_

> ZRANGE z 0 -1 WITHSCORES
*2
  *2
    "a"
    ,2.5
  *2
    "b"
    ,4

> ZPOPMIN z
*2
  "a"
  ,2.5

> ZADD z 1.5 a
:1

> ZRANK z nokey
_

> INCRBYFLOAT n 1.5
"13"

> HINCRBYFLOAT h num 2.5
"5"

> EXISTS s
:1

> SISMEMBER set x
:1

> CLIENT GETNAME
_

> OBJECT ENCODING nokey
_

> COMMAND INFO nosuchcmd
*1
  _

> CONFIG GET databases
%1
  "databases"
  "16"

> SCAN 0 MATCH s COUNT 1000
*2
  "0"
  *1
    "s"

> TIME
*2
  ~/1[0-9]{9}/
  ~/[0-9]{1,6}/

> LCS s s IDX
%2
  "matches"
  *1
    *2
      *2
        :0
        :4
      *2
        :0
        :4
  "len"
  :5

> INFO keyspace
=txt ~/# Keyspace\r\ndb0:keys=[0-9]+,expires=0,avg_ttl=[0-9]+\r\n/

# back to RESP2
> HELLO 2
*?

> ZSCORE zz e
"3.1000000000000001"

> GET nokey
(nil)
