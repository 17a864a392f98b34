# String commands (issue 3).

# --- GET / SET --------------------------------------------------------------
> GET foo
(nil)

> SET foo bar
+OK

> GET foo
"bar"

> SET foo "a b c"
+OK

> GET foo
"a b c"

> SET empty ""
+OK

> GET empty
""

> STRLEN empty
:0

> SET bin "\x00\x01\xff\xfe\r\n"
+OK

> GET bin
"\x00\x01\xff\xfe\r\n"

> STRLEN bin
:6

> SET "key with spaces" "\xe2\x82\xac"
+OK

> GET "key with spaces"
"\xe2\x82\xac"

> SET
-ERR wrong number of arguments for 'set' command

> SET k
-ERR wrong number of arguments for 'set' command

> GET
-ERR wrong number of arguments for 'get' command

> GET a b
-ERR wrong number of arguments for 'get' command

> SET k v foo
-ERR syntax error

# --- SET options --------------------------------------------------------------
> SET k v EX 100
+OK

> TTL k
:~90..100

> SET k v PX 100000
+OK

> PTTL k
:~90000..100000

> SET k v ex 100
+OK

> TTL k
:~90..100

# plain SET clears the TTL
> SET k v
+OK

> TTL k
:-1

> SET k v EXAT 4102444800
+OK

> EXPIRETIME k
:4102444800

> SET k v PXAT 4102444800123
+OK

> PEXPIRETIME k
:4102444800123

> SET k v2 KEEPTTL
+OK

> GET k
"v2"

> PEXPIRETIME k
:4102444800123

> SET k v3
+OK

> TTL k
:-1

# EXAT/PXAT in the past: the key is set and immediately expires
> SET k v EXAT 1
+OK

> EXISTS k
:0

> SET k v PXAT 1000
+OK

> GET k
(nil)

> SET k v EX 0
-ERR invalid expire time in 'set' command

> SET k v EX -1
-ERR invalid expire time in 'set' command

> SET k v PX 0
-ERR invalid expire time in 'set' command

> SET k v PX -100
-ERR invalid expire time in 'set' command

> SET k v EXAT 0
-ERR invalid expire time in 'set' command

> SET k v PXAT 0
-ERR invalid expire time in 'set' command

> SET k v EXAT -5
-ERR invalid expire time in 'set' command

# seconds * 1000 would overflow
> SET k v EX 9999999999999999
-ERR invalid expire time in 'set' command

> SET k v EX foo
-ERR value is not an integer or out of range

> SET k v EX 1.5
-ERR value is not an integer or out of range

> SET k v PX ""
-ERR value is not an integer or out of range

> SET k v EX
-ERR syntax error

> SET k v PX
-ERR syntax error

> SET k v EX 10 PX 10
-ERR syntax error

# repeating the same option is accepted
> SET k v EX 10 EX 10
+OK

> DEL k
:1

> SET k v EX 10 KEEPTTL
-ERR syntax error

> SET k v KEEPTTL PX 10
-ERR syntax error

> SET k v EXAT 4102444800 PXAT 4102444800000
-ERR syntax error

> SET k v NX XX
-ERR syntax error

> SET k v XX NX
-ERR syntax error

> GET k
(nil)

# NX / XX
> SET k v1 NX
+OK

> SET k v2 NX
(nil)

> GET k
"v1"

> SET k v3 XX
+OK

> GET k
"v3"

> SET nokey v XX
(nil)

> EXISTS nokey
:0

> SET k v4 nx
(nil)

> SET k v5 NX NX
(nil)

> SET k v5 xx ex 100
+OK

> TTL k
:~90..100

# GET option
> SET k new GET
"v5"

> TTL k
:-1

> SET fresh x GET
(nil)

> GET fresh
"x"

> SET k newer NX GET
"new"

> GET k
"new"

> SET k newest XX GET
"new"

> SET absent v XX GET
(nil)

> EXISTS absent
:0

> SET absent2 v NX GET
(nil)

> GET absent2
"v"

> SET k v GET EX 100 GET
"newest"

> TTL k
:~90..100

> SET k v KEEPTTL GET
"v"

> TTL k
:~90..100

# --- WRONGTYPE ----------------------------------------------------------------
> RPUSH list a
:1

> GET list
-WRONGTYPE Operation against a key holding the wrong kind of value

> SET list v GET
-WRONGTYPE Operation against a key holding the wrong kind of value

> SET list v NX GET
-WRONGTYPE Operation against a key holding the wrong kind of value

> TYPE list
+list

# plain SET overwrites any type
> SET list v
+OK

> TYPE list
+string

> GET list
"v"

# --- SETNX / SETEX / PSETEX ---------------------------------------------------
> DEL k
:1

> SETNX k a
:1

> SETNX k b
:0

> GET k
"a"

> SETNX k
-ERR wrong number of arguments for 'setnx' command

> SETEX k 100 b
+OK

> GET k
"b"

> TTL k
:~90..100

> PSETEX k 100000 c
+OK

> GET k
"c"

> PTTL k
:~90000..100000

> SETEX k 0 v
-ERR invalid expire time in 'setex' command

> SETEX k -5 v
-ERR invalid expire time in 'setex' command

> PSETEX k 0 v
-ERR invalid expire time in 'psetex' command

> PSETEX k -1 v
-ERR invalid expire time in 'psetex' command

> SETEX k foo v
-ERR value is not an integer or out of range

> PSETEX k 1.5 v
-ERR value is not an integer or out of range

> SETEX k 10
-ERR wrong number of arguments for 'setex' command

> PSETEX k 10
-ERR wrong number of arguments for 'psetex' command

> SETEX k 10 v extra
-ERR wrong number of arguments for 'setex' command

> GET k
"c"

> SETEX list 100 v
+OK

> TYPE list
+string

# --- MGET / MSET / MSETNX -----------------------------------------------------
> FLUSHDB
+OK

> MSET a 1 b 2 c 3
+OK

> MGET a b c nokey
*4
  "1"
  "2"
  "3"
  (nil)

> MGET nokey
*1
  (nil)

> MSET a 10 a 11
+OK

> GET a
"11"

> RPUSH l x
:1

# MGET never fails with WRONGTYPE: non-strings are nil
> MGET a l b
*3
  "11"
  (nil)
  "2"

> MSET
-ERR wrong number of arguments for 'mset' command

> MSET a
-ERR wrong number of arguments for 'mset' command

> MSET a 1 b
-ERR wrong number of arguments for 'mset' command

> MGET
-ERR wrong number of arguments for 'mget' command

> MSETNX x 1 y 2
:1

> MSETNX y 3 z 4
:0

> MGET x y z
*3
  "1"
  "2"
  (nil)

> MSETNX x
-ERR wrong number of arguments for 'msetnx' command

> MSETNX x 1 y
-ERR wrong number of arguments for 'msetnx' command

> MSETNX n1 1 n1 2
:1

> GET n1
"2"

# MSET overwrites other types and clears TTLs
> SET t v EX 100
+OK

> MSET t w l w2
+OK

> TTL t
:-1

> TYPE l
+string

# --- GETSET / GETDEL / GETEX ------------------------------------------------
> GETSET a new
"11"

> GET a
"new"

> GETSET nokey v
(nil)

> GET nokey
"v"

> SET t v EX 100
+OK

> GETSET t w
"v"

> TTL t
:-1

> GETSET a
-ERR wrong number of arguments for 'getset' command

> RPUSH list2 x
:1

> GETSET list2 v
-WRONGTYPE Operation against a key holding the wrong kind of value

> GETDEL a
"new"

> EXISTS a
:0

> GETDEL a
(nil)

> GETDEL list2
-WRONGTYPE Operation against a key holding the wrong kind of value

> GETDEL
-ERR wrong number of arguments for 'getdel' command

> GETDEL a b
-ERR wrong number of arguments for 'getdel' command

> SET g hello
+OK

> GETEX g
"hello"

> TTL g
:-1

> GETEX g EX 100
"hello"

> TTL g
:~90..100

> GETEX g PX 50000
"hello"

> PTTL g
:~45000..50000

> GETEX g PERSIST
"hello"

> TTL g
:-1

> GETEX g EXAT 4102444800
"hello"

> EXPIRETIME g
:4102444800

> GETEX g PXAT 4102444800555
"hello"

> PEXPIRETIME g
:4102444800555

> GETEX g persist
"hello"

> TTL g
:-1

> GETEX nokey2 EX 100
(nil)

> EXISTS nokey2
:0

> GETEX g EX 0
-ERR invalid expire time in 'getex' command

> GETEX g PX -1
-ERR invalid expire time in 'getex' command

> GETEX g EXAT 0
-ERR invalid expire time in 'getex' command

> GETEX g EX foo
-ERR value is not an integer or out of range

> GETEX g EX
-ERR syntax error

> GETEX g EX 10 PX 10
-ERR syntax error

> GETEX g PERSIST EX 10
-ERR syntax error

> GETEX g EX 10 PERSIST
-ERR syntax error

> GETEX g KEEPTTL
-ERR syntax error

> GETEX g FOO
-ERR syntax error

> GETEX
-ERR wrong number of arguments for 'getex' command

> GETEX list2
-WRONGTYPE Operation against a key holding the wrong kind of value

> TTL g
:-1

# an absolute time in the past deletes the key
> GETEX g EXAT 1
"hello"

> EXISTS g
:0

# --- APPEND / STRLEN ------------------------------------------------------------
> APPEND ap Hello
:5

> APPEND ap " World"
:11

> GET ap
"Hello World"

> APPEND ap ""
:11

> APPEND ap2 ""
:0

> EXISTS ap2
:1

> STRLEN ap
:11

> STRLEN nokey3
:0

> STRLEN list2
-WRONGTYPE Operation against a key holding the wrong kind of value

> APPEND list2 x
-WRONGTYPE Operation against a key holding the wrong kind of value

> APPEND ap
-ERR wrong number of arguments for 'append' command

> STRLEN
-ERR wrong number of arguments for 'strlen' command

> SET num 12
+OK

> APPEND num 34
:4

> GET num
"1234"

> INCR num
:1235

> STRLEN num
:4

# --- GETRANGE / SUBSTR / SETRANGE ------------------------------------------------
> SET s "This is a string"
+OK

> GETRANGE s 0 3
"This"

> GETRANGE s -3 -1
"ing"

> GETRANGE s 0 -1
"This is a string"

> GETRANGE s 10 100
"string"

> GETRANGE s 5 2
""

> GETRANGE s 100 200
""

> GETRANGE s -100 3
"This"

> GETRANGE s -1 -5
""

# Redis 7.0: a negative end that is still negative after adding the length is clamped to 0
> GETRANGE s 0 -100
"T"

> GETRANGE s 3 3
"s"

> GETRANGE nokey8 0 -1
""

> GETRANGE s 0 foo
-ERR value is not an integer or out of range

> GETRANGE s 0
-ERR wrong number of arguments for 'getrange' command

> GETRANGE list2 0 1
-WRONGTYPE Operation against a key holding the wrong kind of value

> SUBSTR s 0 3
"This"

> SUBSTR s -6 -1
"string"

> SUBSTR s 0
-ERR wrong number of arguments for 'substr' command

> SET s2 "Hello World"
+OK

> SETRANGE s2 6 Redis
:11

> GET s2
"Hello Redis"

> SETRANGE s2 11 "!!"
:13

> GET s2
"Hello Redis!!"

> SETRANGE s2 0 ""
:13

> SETRANGE pad 3 x
:4

> GET pad
"\x00\x00\x00x"

# an empty value on a missing key creates nothing
> SETRANGE nokey4 0 ""
:0

> EXISTS nokey4
:0

> SETRANGE nokey4 5 ""
:0

> EXISTS nokey4
:0

> SETRANGE s2 -1 x
-ERR offset is out of range

> SETRANGE s2 foo x
-ERR value is not an integer or out of range

> SETRANGE s2 536870912 x
-ERR string exceeds maximum allowed size (proto-max-bulk-len)

> SETRANGE s2 536870911 ""
:13

> SETRANGE s2 0
-ERR wrong number of arguments for 'setrange' command

> SETRANGE list2 0 x
-WRONGTYPE Operation against a key holding the wrong kind of value

> SET n 10
+OK

> SETRANGE n 1 5
:2

> GET n
"15"

> INCR n
:16

# --- INCR family ------------------------------------------------------------------
> INCR counter
:1

> INCR counter
:2

> INCRBY counter 10
:12

> INCRBY counter -20
:-8

> DECR counter
:-9

> DECRBY counter 1
:-10

> DECRBY counter -15
:5

> GET counter
"5"

> INCRBY nokey5 7
:7

> DECR nokey6
:-1

> DECRBY nokey7 3
:-3

> SET sp " 1"
+OK

> INCR sp
-ERR value is not an integer or out of range

> SET sp "1 "
+OK

> INCR sp
-ERR value is not an integer or out of range

> SET sp "+1"
+OK

> INCR sp
-ERR value is not an integer or out of range

> SET sp "01"
+OK

> INCR sp
-ERR value is not an integer or out of range

> SET sp "1.0"
+OK

> INCR sp
-ERR value is not an integer or out of range

> SET sp ""
+OK

> INCR sp
-ERR value is not an integer or out of range

> SET sp "-0"
+OK

> INCR sp
-ERR value is not an integer or out of range

> SET sp "0"
+OK

> INCR sp
:1

> SET sp "-5"
+OK

> INCR sp
:-4

> SET sp abc
+OK

> INCR sp
-ERR value is not an integer or out of range

> DECR sp
-ERR value is not an integer or out of range

> INCRBY counter abc
-ERR value is not an integer or out of range

> INCRBY counter 1.5
-ERR value is not an integer or out of range

> INCRBY counter 9223372036854775808
-ERR value is not an integer or out of range

> DECRBY counter ""
-ERR value is not an integer or out of range

> INCR list2
-WRONGTYPE Operation against a key holding the wrong kind of value

> INCRBY list2 1
-WRONGTYPE Operation against a key holding the wrong kind of value

> DECR list2
-WRONGTYPE Operation against a key holding the wrong kind of value

> INCR
-ERR wrong number of arguments for 'incr' command

> INCR a b
-ERR wrong number of arguments for 'incr' command

> INCRBY counter
-ERR wrong number of arguments for 'incrby' command

> DECRBY counter
-ERR wrong number of arguments for 'decrby' command

> DECR
-ERR wrong number of arguments for 'decr' command

> SET big 9223372036854775807
+OK

> INCR big
-ERR increment or decrement would overflow

> INCRBY big 1
-ERR increment or decrement would overflow

> INCRBY big 0
:9223372036854775807

> DECRBY big -1
-ERR increment or decrement would overflow

> SET small -9223372036854775808
+OK

> DECR small
-ERR increment or decrement would overflow

> INCRBY small -1
-ERR increment or decrement would overflow

> DECRBY small -9223372036854775808
-ERR decrement would overflow

> DECRBY counter -9223372036854775808
-ERR decrement would overflow

> INCRBY small 9223372036854775807
:-1

> SET big 9223372036854775808
+OK

> INCR big
-ERR value is not an integer or out of range

# INCR keeps the TTL
> SET ct 1 EX 100
+OK

> INCR ct
:2

> TTL ct
:~90..100

# --- INCRBYFLOAT ------------------------------------------------------------------
> SET f 10.50
+OK

> INCRBYFLOAT f 0.1
"10.6"

> INCRBYFLOAT f -5
"5.6"

> SET f 5.0e3
+OK

> INCRBYFLOAT f 2.0e2
"5200"

> INCRBYFLOAT f 0
"5200"

> SET f 3.0
+OK

> INCRBYFLOAT f 0
"3"

> SET f 1e5
+OK

> INCRBYFLOAT f 0
"100000"

> INCRBYFLOAT newf 1.5
"1.5"

> INCRBYFLOAT newf2 -0.25
"-0.25"

> INCRBYFLOAT newf3 5
"5"

> SET f 1
+OK

> INCRBYFLOAT f 0.1
"1.1"

> SET f 10
+OK

> INCRBYFLOAT f 0.1
"10.1"

> INCRBYFLOAT f -10.1
"0"

> INCRBYFLOAT f -1.5
"-1.5"

> INCRBYFLOAT f 1.5
"0"

> SET i 17
+OK

> INCRBYFLOAT i 1
"18"

> INCR i
:19

> INCRBYFLOAT i " 1"
-ERR value is not a valid float

> INCRBYFLOAT i abc
-ERR value is not a valid float

> INCRBYFLOAT i ""
-ERR value is not a valid float

> INCRBYFLOAT i nan
-ERR value is not a valid float

> INCRBYFLOAT i inf
-ERR increment would produce NaN or Infinity

> INCRBYFLOAT i -inf
-ERR increment would produce NaN or Infinity

> SET bad "1.5x"
+OK

> INCRBYFLOAT bad 1
-ERR value is not a valid float

> SET bad " 1.5"
+OK

> INCRBYFLOAT bad 1
-ERR value is not a valid float

> INCRBYFLOAT list2 1
-WRONGTYPE Operation against a key holding the wrong kind of value

> INCRBYFLOAT i
-ERR wrong number of arguments for 'incrbyfloat' command

> INCRBYFLOAT i 1 2
-ERR wrong number of arguments for 'incrbyfloat' command

# INCRBYFLOAT keeps the TTL
> SET ft 1 EX 100
+OK

> INCRBYFLOAT ft 1
"2"

> TTL ft
:~90..100

# Redis computes in x86 80-bit long double and prints with %.17Lf, trailing zeros trimmed,
# so results can differ from IEEE double arithmetic; and the sum may exceed DBL_MAX.
@redis-only
> SET ld 10.1
+OK
> INCRBYFLOAT ld 1500
"1510.09999999999999998"
> SET ld 1e308
+OK
> INCRBYFLOAT ld 1e308
~/19{19}[0-9]{289}/

# --- LCS ---------------------------------------------------------------------------
> MSET k1 ohmytext k2 mynewtext
+OK

> LCS k1 k2
"mytext"

> LCS k1 k2 LEN
:6

> LCS k1 k2 IDX
*4
  "matches"
  *2
    *2
      *2
        :4
        :7
      *2
        :5
        :8
    *2
      *2
        :2
        :3
      *2
        :0
        :1
  "len"
  :6

> LCS k1 k2 IDX MINMATCHLEN 4
*4
  "matches"
  *1
    *2
      *2
        :4
        :7
      *2
        :5
        :8
  "len"
  :6

> LCS k1 k2 IDX MINMATCHLEN 4 WITHMATCHLEN
*4
  "matches"
  *1
    *3
      *2
        :4
        :7
      *2
        :5
        :8
      :4
  "len"
  :6

> LCS k1 k2 IDX WITHMATCHLEN
*4
  "matches"
  *2
    *3
      *2
        :4
        :7
      *2
        :5
        :8
      :4
    *3
      *2
        :2
        :3
      *2
        :0
        :1
      :2
  "len"
  :6

> LCS k1 k2 idx minmatchlen -1
*4
  "matches"
  *2
    *2
      *2
        :4
        :7
      *2
        :5
        :8
    *2
      *2
        :2
        :3
      *2
        :0
        :1
  "len"
  :6

# WITHMATCHLEN / MINMATCHLEN without IDX are accepted and ignored
> LCS k1 k2 WITHMATCHLEN
"mytext"

> LCS k1 k2 MINMATCHLEN 2
"mytext"

> LCS k1 k2 LEN IDX
-ERR If you want both the length and indexes, please just use IDX.

> LCS k1 k2 FOO
-ERR syntax error

> LCS k1 k2 MINMATCHLEN
-ERR syntax error

> LCS k1 k2 MINMATCHLEN foo
-ERR value is not an integer or out of range

> LCS k1 nokey
""

> LCS nokey1 nokey2 LEN
:0

> LCS k1 nokey IDX
*4
  "matches"
  *0
  "len"
  :0

> LCS k1 list2
-ERR The specified keys must contain string values

> LCS k1
-ERR wrong number of arguments for 'lcs' command

> MSET a1 abcdef a2 xbxdxf
+OK

> LCS a1 a2
"bdf"

> LCS a1 a2 IDX
*4
  "matches"
  *3
    *2
      *2
        :5
        :5
      *2
        :5
        :5
    *2
      *2
        :3
        :3
      *2
        :3
        :3
    *2
      *2
        :1
        :1
      *2
        :1
        :1
  "len"
  :3

> LCS a1 a1 LEN
:6
