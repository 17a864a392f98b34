# Sorted set commands (issue 4). Scores are replied as printf("%.17g") text ("inf", "-inf").

# --- ZADD -----------------------------------------------------------------------------
> ZADD z 1 a 2 b 3 c
:3

> ZADD z 1 a
:0

> ZCARD z
:3

> ZADD z CH 5 a 2 b 9 d
:2

> ZRANGE z 0 -1 WITHSCORES
*8
  "b"
  "2"
  "c"
  "3"
  "a"
  "5"
  "d"
  "9"

> ZADD z NX 100 a 4 e
:1

> ZSCORE z a
"5"

> ZADD z XX 6 a 7 nope
:0

> ZSCORE z a
"6"

> ZSCORE z nope
(nil)

> ZADD z XX CH 7 a 7 nope
:1

> ZADD z GT CH 1 a 10 b
:1

> ZRANGE z 0 -1 WITHSCORES
*10
  "c"
  "3"
  "e"
  "4"
  "a"
  "7"
  "d"
  "9"
  "b"
  "10"

> ZADD z LT CH 0 a 20 b
:1

> ZSCORE z a
"0"

> ZSCORE z b
"10"

# GT/LT still add new members
> ZADD z GT 100 new1
:1

> ZADD z LT 100 new2
:1

> ZADD z GT XX 200 new1 1 nope
:0

> ZSCORE z new1
"200"

> ZREM z new1 new2
:2

# INCR makes ZADD behave like ZINCRBY and reply the new score (or nil when not applied)
> ZADD z INCR 1.5 a
"1.5"

> ZADD z INCR 1 brandnew
"1"

> ZADD z XX INCR 1 nosuch
(nil)

> ZADD z NX INCR 1 a
(nil)

> ZADD z GT INCR 1 a
"2.5"

> ZADD z GT INCR -1 a
(nil)

> ZADD z LT INCR -1 a
"1.5"

> ZADD z CH INCR 1 a
"2.5"

> ZREM z brandnew
:1

> ZADD z NX XX 1 a
-ERR XX and NX options at the same time are not compatible

> ZADD z GT LT 1 a
-ERR GT, LT, and/or NX options at the same time are not compatible

> ZADD z NX GT 1 a
-ERR GT, LT, and/or NX options at the same time are not compatible

> ZADD z NX LT 1 a
-ERR GT, LT, and/or NX options at the same time are not compatible

> ZADD z INCR 1 a 2 b
-ERR INCR option supports a single increment-element pair

> ZADD z foo a
-ERR value is not a valid float

> ZADD z nan a
-ERR value is not a valid float

> ZADD z " 1" a
-ERR value is not a valid float

> ZADD z "1 " a
-ERR value is not a valid float

> ZADD z "" a
-ERR value is not a valid float

> ZADD z 1e400 a
-ERR value is not a valid float

> ZADD z 1 a 2
-ERR syntax error

> ZADD z NX 1
-ERR syntax error

> ZADD z XX
-ERR wrong number of arguments for 'zadd' command

> ZADD z 1
-ERR wrong number of arguments for 'zadd' command

> ZADD z FOO 1 a
-ERR syntax error

> ZADD z FOO a
-ERR value is not a valid float

# a failed ZADD changes nothing
> ZCARD z
:5

# --- scores: formatting, infinities -------------------------------------------------------
> ZADD f +inf pinf -inf ninf +1.5 plus -2.5 minus inf pinf2 -Inf ninf2 INF pinf3
:7

> ZADD f -0 zero 0.1 p1 0.3 p3 1e-320 tiny 1e16 e16 12345678901234567890 big 3.14159265358979323846 pi 1.5e3 exp
:8

> ZRANGE f 0 -1 WITHSCORES
*30
  "ninf"
  "-inf"
  "ninf2"
  "-inf"
  "minus"
  "-2.5"
  "zero"
  "0"
  "tiny"
  "9.9998886718268301e-321"
  "p1"
  "0.10000000000000001"
  "p3"
  "0.29999999999999999"
  "plus"
  "1.5"
  "pi"
  "3.1415926535897931"
  "exp"
  "1500"
  "e16"
  "10000000000000000"
  "big"
  "1.2345678901234567e+19"
  "pinf"
  "inf"
  "pinf2"
  "inf"
  "pinf3"
  "inf"

> ZSCORE f p1
"0.10000000000000001"

> ZSCORE f big
"1.2345678901234567e+19"

> ZINCRBY f 0.2 p1
"0.30000000000000004"

> ZADD f INCR 0.1 p1
"0.40000000000000002"

> ZINCRBY f 1 pinf
"inf"

> ZINCRBY f -inf pinf
-ERR resulting score is not a number (NaN)

> ZADD f INCR -inf pinf
-ERR resulting score is not a number (NaN)

> ZSCORE f pinf
"inf"

> ZINCRBY f foo a
-ERR value is not a valid float

> ZINCRBY f nan a
-ERR value is not a valid float

> ZINCRBY f 5 newm
"5"

> ZINCRBY f 5
-ERR wrong number of arguments for 'zincrby' command

> ZCARD f
:16

# strtod accepts hexadecimal in Redis
@redis-only
> ZADD f 0x10 hx
:1
> ZSCORE f hx
"16"
> ZREM f hx
:1

# --- ZSCORE / ZMSCORE / ZCARD ---------------------------------------------------------------
> ZSCORE nokey a
(nil)

> ZMSCORE f p1 nope pinf
*3
  "0.40000000000000002"
  (nil)
  "inf"

> ZMSCORE nokey a b
*2
  (nil)
  (nil)

> ZCARD nokey
:0

> ZSCORE f
-ERR wrong number of arguments for 'zscore' command

> ZMSCORE f
-ERR wrong number of arguments for 'zmscore' command

> ZCARD
-ERR wrong number of arguments for 'zcard' command

# --- ZCOUNT / ZLEXCOUNT --------------------------------------------------------------------
> DEL z f
:2

> ZADD sc 1 a 2 b 3 c 4 d 5 e
:5

> ZCOUNT sc -inf +inf
:5

> ZCOUNT sc 2 4
:3

> ZCOUNT sc (2 4
:2

> ZCOUNT sc (2 (4
:1

> ZCOUNT sc 2 2
:1

> ZCOUNT sc 2 (2
:0

> ZCOUNT sc 4 2
:0

> ZCOUNT sc (inf +inf
:0

> ZCOUNT sc -inf (-inf
:0

> ZCOUNT sc 1.5 2.5
:1

> ZCOUNT nokey -inf +inf
:0

> ZCOUNT sc foo 3
-ERR min or max is not a float

> ZCOUNT sc 1 (foo
-ERR min or max is not a float

> ZCOUNT sc [1 2
-ERR min or max is not a float

> ZCOUNT sc 1
-ERR wrong number of arguments for 'zcount' command

> ZADD n 0 a 0 b 0 c 0 aa 0 "" 0 B
:6

> ZLEXCOUNT n - +
:6

> ZLEXCOUNT n [a [b
:3

> ZLEXCOUNT n (a (b
:1

> ZLEXCOUNT n [a (c
:3

> ZLEXCOUNT n + -
:0

> ZLEXCOUNT n [ [a
:3

> ZLEXCOUNT nokey - +
:0

> ZLEXCOUNT n a b
-ERR min or max not valid string range item

> ZLEXCOUNT n [a b
-ERR min or max not valid string range item

> ZLEXCOUNT n - x
-ERR min or max not valid string range item

> ZLEXCOUNT n -
-ERR wrong number of arguments for 'zlexcount' command

# --- ZRANGE (index, BYSCORE, BYLEX, REV, LIMIT, WITHSCORES) -----------------------------------
> ZRANGE sc 0 -1
*5
  "a"
  "b"
  "c"
  "d"
  "e"

> ZRANGE sc 1 3
*3
  "b"
  "c"
  "d"

> ZRANGE sc -2 -1 WITHSCORES
*4
  "d"
  "4"
  "e"
  "5"

> ZRANGE sc 3 1
*0

> ZRANGE sc 10 20
*0

> ZRANGE sc -100 0
*1
  "a"

> ZRANGE sc 0 -1 REV
*5
  "e"
  "d"
  "c"
  "b"
  "a"

> ZRANGE sc 0 1 REV WITHSCORES
*4
  "e"
  "5"
  "d"
  "4"

> ZRANGE sc 2 4 BYSCORE
*3
  "b"
  "c"
  "d"

> ZRANGE sc (1 (3 BYSCORE
*1
  "b"

> ZRANGE sc -inf +inf BYSCORE LIMIT 1 2
*2
  "b"
  "c"

> ZRANGE sc -inf +inf BYSCORE LIMIT 1 -1
*4
  "b"
  "c"
  "d"
  "e"

> ZRANGE sc -inf +inf BYSCORE LIMIT -1 5
*0

> ZRANGE sc -inf +inf BYSCORE LIMIT 10 5
*0

> ZRANGE sc -inf +inf BYSCORE LIMIT 0 0
*0

> ZRANGE sc (1 5 BYSCORE LIMIT 1 2 WITHSCORES
*4
  "c"
  "3"
  "d"
  "4"

# with REV the range is given max first
> ZRANGE sc 5 (1 BYSCORE REV WITHSCORES LIMIT 0 2
*4
  "e"
  "5"
  "d"
  "4"

> ZRANGE sc 1 5 BYSCORE REV
*0

> ZRANGE sc 3 1 BYSCORE REV LIMIT 1 5
*2
  "b"
  "a"

> ZRANGE sc 5 1 BYSCORE
*0

> ZRANGE n - + BYLEX
*6
  ""
  "B"
  "a"
  "aa"
  "b"
  "c"

> ZRANGE n [a [b BYLEX
*3
  "a"
  "aa"
  "b"

> ZRANGE n (a + BYLEX LIMIT 0 2
*2
  "aa"
  "b"

> ZRANGE n + - BYLEX REV
*6
  "c"
  "b"
  "aa"
  "a"
  "B"
  ""

> ZRANGE n [b (a BYLEX REV
*2
  "b"
  "aa"

> ZRANGE nokey 0 -1
*0

> ZRANGE nokey - + BYLEX
*0

> ZRANGE sc 0 -1 BYLEX
-ERR min or max not valid string range item

> ZRANGE sc a b BYSCORE
-ERR min or max is not a float

> ZRANGE sc a b
-ERR value is not an integer or out of range

> ZRANGE sc 0 -1 LIMIT 0 1
-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX

> ZRANGE n - + BYLEX WITHSCORES
-ERR syntax error, WITHSCORES not supported in combination with BYLEX

> ZRANGE sc 0 -1 BYSCORE BYLEX
-ERR syntax error

> ZRANGE sc 0 -1 FOO
-ERR syntax error

> ZRANGE sc 0 -1 BYSCORE LIMIT 0
-ERR syntax error

> ZRANGE sc 0 -1 BYSCORE LIMIT a b
-ERR value is not an integer or out of range

> ZRANGE sc 0
-ERR wrong number of arguments for 'zrange' command

# --- ZRANGESTORE ------------------------------------------------------------------------
> ZRANGESTORE dst sc 0 -1
:5

> ZRANGE dst 0 -1 WITHSCORES
*10
  "a"
  "1"
  "b"
  "2"
  "c"
  "3"
  "d"
  "4"
  "e"
  "5"

> ZRANGESTORE dst sc 2 4 BYSCORE LIMIT 0 2
:2

> ZRANGE dst 0 -1
*2
  "b"
  "c"

> ZRANGESTORE dst n [a [b BYLEX
:3

> ZRANGE dst 0 -1
*3
  "a"
  "aa"
  "b"

> ZRANGESTORE dst sc 0 0 REV
:1

> ZRANGE dst 0 -1
*1
  "e"

# an empty result deletes the destination
> ZRANGESTORE dst nokey 0 -1
:0

> EXISTS dst
:0

> ZRANGESTORE dst sc 5 1 BYSCORE
:0

> EXISTS dst
:0

> ZRANGESTORE dst sc 0 -1 WITHSCORES
-ERR syntax error

> ZRANGESTORE dst sc 0
-ERR wrong number of arguments for 'zrangestore' command

# --- ZRANGEBYSCORE / ZREVRANGEBYSCORE / ZRANGEBYLEX / ZREVRANGEBYLEX / ZREVRANGE ---------------
> ZRANGEBYSCORE sc 2 4
*3
  "b"
  "c"
  "d"

> ZRANGEBYSCORE sc (2 (4
*1
  "c"

> ZRANGEBYSCORE sc -inf +inf LIMIT 1 1
*1
  "b"

> ZRANGEBYSCORE sc 2 4 WITHSCORES LIMIT 0 -1
*6
  "b"
  "2"
  "c"
  "3"
  "d"
  "4"

> ZRANGEBYSCORE sc 5 1
*0

> ZRANGEBYSCORE sc -inf +inf LIMIT 1
-ERR syntax error

> ZRANGEBYSCORE sc -inf +inf BYLEX
-ERR syntax error

> ZRANGEBYSCORE sc x 1
-ERR min or max is not a float

> ZREVRANGEBYSCORE sc 4 2
*3
  "d"
  "c"
  "b"

> ZREVRANGEBYSCORE sc 2 4
*0

> ZREVRANGEBYSCORE sc +inf -inf WITHSCORES LIMIT 0 2
*4
  "e"
  "5"
  "d"
  "4"

> ZREVRANGEBYSCORE sc (5 (1
*3
  "d"
  "c"
  "b"

> ZRANGEBYLEX n - +
*6
  ""
  "B"
  "a"
  "aa"
  "b"
  "c"

> ZRANGEBYLEX n (a +
*3
  "aa"
  "b"
  "c"

> ZRANGEBYLEX n - (b
*4
  ""
  "B"
  "a"
  "aa"

> ZRANGEBYLEX n [ [a
*3
  ""
  "B"
  "a"

> ZRANGEBYLEX n - + LIMIT 1 2
*2
  "B"
  "a"

> ZRANGEBYLEX n - + WITHSCORES
-ERR syntax error, WITHSCORES not supported in combination with BYLEX

> ZRANGEBYLEX n a b
-ERR min or max not valid string range item

> ZREVRANGEBYLEX n + -
*6
  "c"
  "b"
  "aa"
  "a"
  "B"
  ""

> ZREVRANGEBYLEX n + - LIMIT 0 1
*1
  "c"

> ZREVRANGEBYLEX n [b [a
*3
  "b"
  "aa"
  "a"

> ZREVRANGEBYLEX n - +
*0

> ZREVRANGE sc 0 1 WITHSCORES
*4
  "e"
  "5"
  "d"
  "4"

> ZREVRANGE sc 0 -1
*5
  "e"
  "d"
  "c"
  "b"
  "a"

> ZREVRANGE sc -1 -1
*1
  "a"

> ZREVRANGE sc 0 1 BYSCORE
-ERR syntax error

> ZREVRANGE nokey 0 -1
*0

# --- ZRANK / ZREVRANK ----------------------------------------------------------------------
> ZRANK sc a
:0

> ZRANK sc e
:4

> ZREVRANK sc a
:4

> ZREVRANK sc e
:0

> ZRANK sc nope
(nil)

> ZRANK nokey a
(nil)

> ZREVRANK nokey a
(nil)

# Redis 7.2 added WITHSCORE; the 7.0 oracle rejects it, pickledbd (advertising 7.2) answers
@redis-only
> ZRANK sc a WITHSCORE
-ERR wrong number of arguments for 'zrank' command

@pickledbd-only
> ZRANK sc a WITHSCORE
*2
  :0
  "1"

@pickledbd-only
> ZREVRANK sc a WITHSCORE
*2
  :4
  "1"

@pickledbd-only
> ZRANK sc a WITHSCORE x
-ERR wrong number of arguments for 'zrank' command

> ZRANK sc
-ERR wrong number of arguments for 'zrank' command

# --- ZREM / ZREMRANGEBY* --------------------------------------------------------------------
> ZREM sc a nope
:1

> ZREM sc a
:0

> ZREM nokey a
:0

> ZREM sc
-ERR wrong number of arguments for 'zrem' command

> ZADD sc 1 a 6 f 7 g
:3

> ZREMRANGEBYSCORE sc -inf (2
:1

> ZREMRANGEBYSCORE sc (6 +inf
:1

> ZREMRANGEBYSCORE sc 100 200
:0

> ZREMRANGEBYSCORE sc x 1
-ERR min or max is not a float

> ZRANGE sc 0 -1
*5
  "b"
  "c"
  "d"
  "e"
  "f"

> ZREMRANGEBYRANK sc -1 -1
:1

> ZREMRANGEBYRANK sc 10 20
:0

> ZREMRANGEBYRANK sc 0 0
:1

> ZREMRANGEBYRANK sc 2 1
:0

> ZREMRANGEBYRANK sc a 1
-ERR value is not an integer or out of range

> ZRANGE sc 0 -1
*3
  "c"
  "d"
  "e"

> ZREMRANGEBYLEX n [a [b
:3

> ZREMRANGEBYLEX n - (B
:1

> ZRANGE n 0 -1
*2
  "B"
  "c"

> ZREMRANGEBYLEX n a b
-ERR min or max not valid string range item

> ZREMRANGEBYLEX n - +
:2

> EXISTS n
:0

> ZREMRANGEBYLEX nokey - +
:0

> ZREMRANGEBYSCORE nokey -inf +inf
:0

> ZREMRANGEBYRANK nokey 0 -1
:0

> ZREMRANGEBYRANK sc 0
-ERR wrong number of arguments for 'zremrangebyrank' command

# --- ZPOPMIN / ZPOPMAX / ZMPOP / BZPOPMIN / BZPOPMAX / BZMPOP -------------------------------
> ZADD p 1 a 2 b 3 c 4 d 5 e
:5

> ZPOPMIN p
*2
  "a"
  "1"

> ZPOPMAX p
*2
  "e"
  "5"

> ZPOPMIN p 2
*4
  "b"
  "2"
  "c"
  "3"

> ZPOPMAX p 0
*0

> ZPOPMAX p 100
*2
  "d"
  "4"

> EXISTS p
:0

> ZPOPMIN nokey
*0

> ZPOPMAX nokey 5
*0

> ZPOPMIN p -1
-ERR value is out of range, must be positive

> ZPOPMAX p foo
-ERR value is out of range, must be positive

> ZPOPMIN p 1 2
-ERR syntax error

> ZADD p 1 a 2 b 3 c
:3

# ZMPOP replies [key, [[member, score], ...]]
> ZMPOP 1 p MIN
*2
  "p"
  *1
    *2
      "a"
      "1"

> ZMPOP 2 nokey p MAX COUNT 10
*2
  "p"
  *2
    *2
      "c"
      "3"
    *2
      "b"
      "2"

> ZMPOP 1 p MIN
(nil-array)

> ZMPOP 1 p MIN COUNT 0
-ERR count should be greater than 0

> ZMPOP 0 p MIN
-ERR numkeys should be greater than 0

> ZMPOP 2 p MIN
-ERR syntax error

> ZMPOP 1 p FOO
-ERR syntax error

> ZMPOP 1 p MIN COUNT
-ERR syntax error

> ZMPOP 1 p
-ERR wrong number of arguments for 'zmpop' command

> ZADD p 1 a 2 b 3 c
:3

# blocking variants on non-empty sorted sets
> BZPOPMIN nokey p 0
*3
  "p"
  "a"
  "1"

> BZPOPMAX p 0.5
*3
  "p"
  "c"
  "3"

> BZMPOP 0 1 p MIN COUNT 5
*2
  "p"
  *1
    *2
      "b"
      "2"

> BZPOPMIN p -1
-ERR timeout is negative

> BZPOPMIN p foo
-ERR timeout is not a float or out of range

> BZMPOP 0 0 p MIN
-ERR numkeys should be greater than 0

> BZPOPMIN nokey 0.01
(nil-array)

> BZMPOP 0.01 1 nokey MIN
(nil-array)

# --- ZRANDMEMBER ------------------------------------------------------------------------
> ZADD r 1 a 2 b 3 c
:3

> ZRANDMEMBER r
~/[abc]/

> ZRANDMEMBER nokey
(nil)

> ZRANDMEMBER nokey 5
*0

> ZRANDMEMBER r 0
*0

> ZRANDMEMBER r 10
*3 unordered
  "a"
  "b"
  "c"

> ZRANDMEMBER r 3 WITHSCORES
*6 unordered-pairs
  "a"
  "1"
  "b"
  "2"
  "c"
  "3"

> ZRANDMEMBER r 1
*1
  ~/[abc]/

> ZRANDMEMBER r -4
*4
  ~/[abc]/
  ~/[abc]/
  ~/[abc]/
  ~/[abc]/

> ZRANDMEMBER r -2 WITHSCORES
*4
  ~/[abc]/
  ~/[123]/
  ~/[abc]/
  ~/[123]/

> ZRANDMEMBER r foo
-ERR value is not an integer or out of range

> ZRANDMEMBER r 1 FOO
-ERR syntax error

> ZRANDMEMBER
-ERR wrong number of arguments for 'zrandmember' command

# --- ZUNION / ZINTER / ZDIFF and *STORE / ZINTERCARD ---------------------------------------
> ZADD a 1 x 2 y inf i
:3

> ZADD b -inf i 3 y 4 z
:3

# inf + -inf is taken as 0
> ZUNION 2 a b WITHSCORES
*8
  "i"
  "0"
  "x"
  "1"
  "z"
  "4"
  "y"
  "5"

> ZUNION 2 a b
*4
  "i"
  "x"
  "z"
  "y"

> ZINTER 2 a b WITHSCORES
*4
  "i"
  "0"
  "y"
  "5"

> ZUNION 2 a b WEIGHTS 2 0.5 WITHSCORES
*8
  "i"
  "0"
  "x"
  "2"
  "z"
  "2"
  "y"
  "5.5"

> ZUNION 2 a b AGGREGATE MIN WITHSCORES
*8
  "i"
  "-inf"
  "x"
  "1"
  "y"
  "2"
  "z"
  "4"

> ZUNION 2 a b AGGREGATE MAX WITHSCORES
*8
  "x"
  "1"
  "y"
  "3"
  "z"
  "4"
  "i"
  "inf"

> ZINTER 2 a b WEIGHTS 0 1 WITHSCORES
*4
  "i"
  "-inf"
  "y"
  "3"

> ZINTER 2 a b AGGREGATE sum weights 1 1
*2
  "i"
  "y"

> ZUNION 1 nokey
*0

> ZINTER 2 a nokey
*0

> ZDIFF 2 a b WITHSCORES
*2
  "x"
  "1"

> ZDIFF 1 a
*3
  "x"
  "y"
  "i"

> ZDIFF 2 nokey a
*0

# plain sets take part with score 1
> SADD s1 x y
:2

> ZUNION 2 a s1 WITHSCORES
*6
  "x"
  "2"
  "y"
  "3"
  "i"
  "inf"

> ZINTER 2 s1 a WITHSCORES
*4
  "x"
  "2"
  "y"
  "3"

> ZDIFF 2 s1 a
*0

> ZUNIONSTORE out 2 a b
:4

> ZRANGE out 0 -1 WITHSCORES
*8
  "i"
  "0"
  "x"
  "1"
  "z"
  "4"
  "y"
  "5"

> ZINTERSTORE out 2 a b WEIGHTS 2 3
:2

> ZRANGE out 0 -1 WITHSCORES
*4
  "i"
  "0"
  "y"
  "13"

> ZDIFFSTORE out 2 a b
:1

> ZRANGE out 0 -1 WITHSCORES
*2
  "x"
  "1"

> ZINTERSTORE out 2 a nokey
:0

> EXISTS out
:0

> ZUNIONSTORE out 1 s1
:2

> TYPE out
+zset

> ZINTERCARD 2 a b
:2

> ZINTERCARD 2 a b LIMIT 1
:1

> ZINTERCARD 2 a b LIMIT 0
:2

> ZINTERCARD 2 a nokey
:0

> ZINTERCARD 1 s1
:2

> ZUNION 0 a
-ERR at least 1 input key is needed for 'zunion' command

> ZINTER 0 a
-ERR at least 1 input key is needed for 'zinter' command

> ZDIFF 0 a
-ERR at least 1 input key is needed for 'zdiff' command

> ZUNIONSTORE out 0 a
-ERR at least 1 input key is needed for 'zunionstore' command

> ZINTERSTORE out 0 a
-ERR at least 1 input key is needed for 'zinterstore' command

> ZDIFFSTORE out 0 a
-ERR at least 1 input key is needed for 'zdiffstore' command

> ZUNION 2 a
-ERR syntax error

> ZUNION 1 a WEIGHTS
-ERR syntax error

> ZUNION 1 a WEIGHTS foo
-ERR weight value is not a float

> ZUNION 1 a AGGREGATE foo
-ERR syntax error

> ZUNION 1 a FOO
-ERR syntax error

> ZDIFF 1 a AGGREGATE SUM
-ERR syntax error

> ZDIFF 1 a WEIGHTS 1
-ERR syntax error

> ZUNIONSTORE out 1 a WITHSCORES
-ERR syntax error

> ZINTERCARD 0 a
-ERR at least 1 input key is needed for 'zintercard' command

> ZINTERCARD 3 a b
-ERR syntax error

> ZINTERCARD 1 a LIMIT -1
-ERR LIMIT can't be negative

> ZINTERCARD 1 a FOO
-ERR syntax error

> SET str v
+OK

> ZUNION 2 a str
-WRONGTYPE Operation against a key holding the wrong kind of value

> ZINTERCARD 2 a str
-WRONGTYPE Operation against a key holding the wrong kind of value

> ZUNIONSTORE out 1 str
-WRONGTYPE Operation against a key holding the wrong kind of value

# --- ZSCAN ------------------------------------------------------------------------------
> ZSCAN a 0 COUNT 1000
*2
  "0"
  *6 unordered-pairs
    "x"
    "1"
    "y"
    "2"
    "i"
    "inf"

> ZSCAN a 0 MATCH [xy] COUNT 1000
*2
  "0"
  *4 unordered-pairs
    "x"
    "1"
    "y"
    "2"

> ZSCAN nokey 0
*2
  "0"
  *0

> ZSCAN a foo
-ERR invalid cursor

> ZSCAN a 0 COUNT 0
-ERR syntax error

> ZSCAN a 0 MATCH
-ERR syntax error

> ZSCAN str 0
-WRONGTYPE Operation against a key holding the wrong kind of value

# options are not checked when the key does not exist
> ZSCAN nokey 0 COUNT 0
*2
  "0"
  *0

> ZSCAN a
-ERR wrong number of arguments for 'zscan' command

# --- WRONGTYPE -------------------------------------------------------------------------
> ZADD str 1 a
-WRONGTYPE Operation against a key holding the wrong kind of value

> ZINCRBY str 1 a
-WRONGTYPE Operation against a key holding the wrong kind of value

> ZSCORE str a
-WRONGTYPE Operation against a key holding the wrong kind of value

> ZRANGE str 0 -1
-WRONGTYPE Operation against a key holding the wrong kind of value

> ZCARD str
-WRONGTYPE Operation against a key holding the wrong kind of value

> ZRANK str a
-WRONGTYPE Operation against a key holding the wrong kind of value

> ZREM str a
-WRONGTYPE Operation against a key holding the wrong kind of value

> ZPOPMIN str
-WRONGTYPE Operation against a key holding the wrong kind of value

> ZRANGESTORE dst str 0 -1
-WRONGTYPE Operation against a key holding the wrong kind of value

> ZRANGESTORE str a 0 -1
:3

> TYPE str
+zset
