# SORT / SORT_RO (issue 10): Redis 7.0 sort.c semantics.

# --- numeric sort of a list; ties break on the element's bytes ------------------------------
> RPUSH l 3 1 2 10 -1 1.5 01 1 inf -inf
:10
> SORT l
*10
  "-inf"
  "-1"
  "01"
  "1"
  "1"
  "1.5"
  "2"
  "3"
  "10"
  "inf"
> SORT l DESC
*10
  "inf"
  "10"
  "3"
  "2"
  "1.5"
  "1"
  "1"
  "01"
  "-1"
  "-inf"
> SORT l LIMIT 1 3
*3
  "-1"
  "01"
  "1"
> SORT l LIMIT -5 3
*3
  "-inf"
  "-1"
  "01"
> SORT l LIMIT 100 3
*0
> SORT l LIMIT 0 -5
*10
  "-inf"
  "-1"
  "01"
  "1"
  "1"
  "1.5"
  "2"
  "3"
  "10"
  "inf"
> SORT l LIMIT 2 0
*0
> SORT l LIMIT 9223372036854775807 9223372036854775807
*0
> SORT l LIMIT x 1
-ERR value is not an integer or out of range
> SORT l LIMIT 1
-ERR syntax error
> SORT l asc desc asc
*10
  "-inf"
  "-1"
  "01"
  "1"
  "1"
  "1.5"
  "2"
  "3"
  "10"
  "inf"

# --- ALPHA: bytes order, original order kept on ties --------------------------------------
> RPUSH la b a c B aa "" "\x00z" "\x00a" "\xc3\xa9" "\xff"
:10
> SORT la ALPHA
*10
  ""
  "\x00z"
  "\x00a"
  "B"
  "a"
  "aa"
  "b"
  "c"
  "\xc3\xa9"
  "\xff"
> SORT la ALPHA DESC
*10
  "\xff"
  "\xc3\xa9"
  "c"
  "b"
  "aa"
  "a"
  "B"
  ""
  "\x00z"
  "\x00a"
> SORT la
-ERR One or more scores can't be converted into double
> SORT la ALPHA LIMIT 2 3
*3
  "\x00a"
  "B"
  "a"

# --- sets and sorted sets ------------------------------------------------------------------
> SADD s 5 3 9 1 100
:5
> SORT s
*5
  "1"
  "3"
  "5"
  "9"
  "100"
> SORT s DESC LIMIT 1 2
*2
  "9"
  "5"
> SADD sa x y z a
:4
> SORT sa ALPHA
*4
  "a"
  "x"
  "y"
  "z"
> ZADD z 1 a 2 b 2 c 0 d 5 e
:5
> SORT z ALPHA
*5
  "a"
  "b"
  "c"
  "d"
  "e"
> SORT z
-ERR One or more scores can't be converted into double
> SORT z BY nosort
*5
  "d"
  "a"
  "b"
  "c"
  "e"
> SORT z BY nosort DESC
*5
  "e"
  "c"
  "b"
  "a"
  "d"
> SORT z BY nosort LIMIT 1 2
*2
  "a"
  "b"
> SORT z BY nosort DESC LIMIT 1 2
*2
  "c"
  "b"
> SORT z BY nosort LIMIT 10 2
*0

# --- BY nosort keeps a list's own order, DESC walks it backwards --------------------------
> SORT l BY nosort
*10
  "3"
  "1"
  "2"
  "10"
  "-1"
  "1.5"
  "01"
  "1"
  "inf"
  "-inf"
> SORT l BY nosort DESC
*10
  "-inf"
  "inf"
  "1"
  "01"
  "1.5"
  "-1"
  "10"
  "2"
  "1"
  "3"
> SORT l BY nosort LIMIT 2 3
*3
  "2"
  "10"
  "-1"
> SORT l BY nosort DESC LIMIT 2 3
*3
  "1"
  "01"
  "1.5"

# --- BY and GET patterns, hash fields ------------------------------------------------------
> RPUSH ws 1 2 3
:3
> MSET w_3 30 w_1 10 w_2 20 n_3 c n_1 a n_2 b wt_1 2 wt_2 2 wt_3 1
+OK
> HSET h_3 f 3 g z
:2
> HSET h_1 f 1 g y
:2
> SORT ws BY w_*
*3
  "1"
  "2"
  "3"
> SORT ws BY w_* DESC
*3
  "3"
  "2"
  "1"
> SORT ws BY n_* ALPHA
*3
  "1"
  "2"
  "3"
> SORT ws BY n_*
-ERR One or more scores can't be converted into double
> SORT ws BY wt_*
*3
  "3"
  "1"
  "2"
> SORT ws BY wt_* DESC
*3
  "2"
  "1"
  "3"
> SORT ws BY missing_* DESC
*3
  "3"
  "2"
  "1"
> SORT ws BY missing_* ALPHA DESC
*3
  "1"
  "2"
  "3"
> SORT ws BY h_*->g ALPHA
*3
  "2"
  "1"
  "3"
> SORT ws BY h_*->f
*3
  "2"
  "1"
  "3"
> SORT ws BY h_*->
*3
  "1"
  "2"
  "3"
> SORT ws GET #
*3
  "1"
  "2"
  "3"
> SORT ws GET n_*
*3
  "a"
  "b"
  "c"
> SORT ws GET # GET n_* GET h_*->f GET h_*->g GET nokey GET w_*->x
*18
  "1"
  "a"
  "1"
  "y"
  (nil)
  (nil)
  "2"
  "b"
  (nil)
  (nil)
  (nil)
  (nil)
  "3"
  "c"
  "3"
  "z"
  (nil)
  (nil)
> SORT ws GET h_*->
*3
  (nil)
  (nil)
  (nil)
> SORT ws BY w_* GET # LIMIT 0 1
*1
  "1"
> SORT ws by w_* get # asc alpha desc
*3
  "3"
  "2"
  "1"
> SORT ws BY
-ERR syntax error
> SORT ws GET
-ERR syntax error
> SORT ws FOO
-ERR syntax error

# --- errors and types ----------------------------------------------------------------------
> RPUSH bad 1 x 2
:3
> SORT bad
-ERR One or more scores can't be converted into double
> SORT bad ALPHA
*3
  "1"
  "2"
  "x"
> RPUSH e "" 3
:2
> SORT e
*2
  ""
  "3"
> RPUSH hx 0x10 " 2" "1e3"
:3
> SORT hx
*3
  " 2"
  "0x10"
  "1e3"
> RPUSH nn nan
:1
> SORT nn
-ERR One or more scores can't be converted into double
> SET str x
+OK
> SORT str
-WRONGTYPE Operation against a key holding the wrong kind of value
> SORT str BY nosort
-WRONGTYPE Operation against a key holding the wrong kind of value
> SORT nokey
*0
> SORT nokey BY nosort
*0

# --- STORE: a list, an empty result deletes the destination --------------------------------
> SORT l STORE dst
:10
> LRANGE dst 0 -1
*10
  "-inf"
  "-1"
  "01"
  "1"
  "1"
  "1.5"
  "2"
  "3"
  "10"
  "inf"
> TYPE dst
+list
> SORT ws GET n_* GET missing_* STORE dst2
:6
> LRANGE dst2 0 -1
*6
  "a"
  ""
  "b"
  ""
  "c"
  ""
> SET dst3 was-a-string
+OK
> SORT s BY nosort STORE dst3
:5
> LRANGE dst3 0 -1
*5
  "1"
  "100"
  "3"
  "5"
  "9"
> SORT sa BY nosort DESC STORE dst3
:4
> LRANGE dst3 0 -1
*4
  "z"
  "y"
  "x"
  "a"
> SORT nokey STORE dst3
:0
> EXISTS dst3
:0
> SORT la ALPHA STORE dst4
:10
> LRANGE dst4 0 -1
*10
  ""
  "\x00a"
  "\x00z"
  "B"
  "a"
  "aa"
  "b"
  "c"
  "\xc3\xa9"
  "\xff"
> SORT l STORE
-ERR syntax error
> SORT str STORE dst4
-WRONGTYPE Operation against a key holding the wrong kind of value
> LRANGE dst4 0 -1
*10
  ""
  "\x00a"
  "\x00z"
  "B"
  "a"
  "aa"
  "b"
  "c"
  "\xc3\xa9"
  "\xff"

# --- SORT_RO refuses STORE -----------------------------------------------------------------
> SORT_RO l STORE x
-ERR syntax error
> SORT_RO l DESC LIMIT 0 2
*2
  "inf"
  "10"
> SORT_RO ws BY w_* GET n_*
*3
  "a"
  "b"
  "c"

# --- a set sorted inside a script is sorted even BY nosort ---------------------------------
> EVAL "return redis.call('sort', KEYS[1], 'by', 'nosort')" 1 sa
*4
  "a"
  "x"
  "y"
  "z"

@resp3
> SORT ws GET # GET nokey
*6
  "1"
  _
  "2"
  _
  "3"
  _
> SORT nokey
*0
