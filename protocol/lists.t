# List commands (issue 4); blocking commands only where they do not block.

# --- LPUSH / RPUSH / LPUSHX / RPUSHX / LLEN / LRANGE ---------------------------------------
> LPUSH l a
:1

> LPUSH l b c
:3

> RPUSH l x y
:5

> LRANGE l 0 -1
*5
  "c"
  "b"
  "a"
  "x"
  "y"

> LLEN l
:5

> LLEN nokey
:0

> LPUSHX nokey a
:0

> RPUSHX nokey a b
:0

> EXISTS nokey
:0

> LPUSHX l first
:6

> RPUSHX l last1 last2
:8

> LRANGE l 0 0
*1
  "first"

> LRANGE l -2 -1
*2
  "last1"
  "last2"

> LRANGE l 1 3
*3
  "c"
  "b"
  "a"

> LRANGE l -100 100
*8
  "first"
  "c"
  "b"
  "a"
  "x"
  "y"
  "last1"
  "last2"

> LRANGE l 5 1
*0

> LRANGE l 100 200
*0

> LRANGE l -1 -2
*0

> LRANGE l 0 -100
*0

> LRANGE nokey 0 -1
*0

> LRANGE l foo 1
-ERR value is not an integer or out of range

> LRANGE l 0 1.5
-ERR value is not an integer or out of range

> LPUSH l
-ERR wrong number of arguments for 'lpush' command

> RPUSH
-ERR wrong number of arguments for 'rpush' command

> LPUSHX l
-ERR wrong number of arguments for 'lpushx' command

> LRANGE l 0
-ERR wrong number of arguments for 'lrange' command

> LPUSH bin "\x00\xff" ""
:2

> LRANGE bin 0 -1
*2
  ""
  "\x00\xff"

# --- LPOP / RPOP with and without COUNT -----------------------------------------------
> DEL l
:1

> RPUSH l a b c d e
:5

> LPOP l
"a"

> RPOP l
"e"

> LPOP l 2
*2
  "b"
  "c"

> LPOP l 0
*0

> RPOP l 10
*1
  "d"

# popping the last element deletes the key
> EXISTS l
:0

> LPOP nokey
(nil)

> RPOP nokey
(nil)

> LPOP nokey 0
(nil-array)

> LPOP nokey 3
(nil-array)

> RPOP nokey 1
(nil-array)

> RPUSH l a
:1

> LPOP l -1
-ERR value is out of range, must be positive

> RPOP l foo
-ERR value is out of range, must be positive

> LPOP l 1 2
-ERR wrong number of arguments for 'lpop' command

> LPOP
-ERR wrong number of arguments for 'lpop' command

# --- LINDEX / LSET ------------------------------------------------------------------
> RPUSH l b c
:3

> LINDEX l 0
"a"

> LINDEX l -1
"c"

> LINDEX l 2
"c"

> LINDEX l 3
(nil)

> LINDEX l -4
(nil)

> LINDEX nokey 0
(nil)

> LINDEX l foo
-ERR value is not an integer or out of range

> LSET l 0 A
+OK

> LSET l -1 C
+OK

> LRANGE l 0 -1
*3
  "A"
  "b"
  "C"

> LSET l 3 X
-ERR index out of range

> LSET l -4 X
-ERR index out of range

> LSET nokey 0 X
-ERR no such key

> LSET l foo X
-ERR value is not an integer or out of range

> LSET l 0
-ERR wrong number of arguments for 'lset' command

> LINDEX l
-ERR wrong number of arguments for 'lindex' command

# --- LINSERT -----------------------------------------------------------------------
> LINSERT l BEFORE b B
:4

> LINSERT l after b bb
:5

> LRANGE l 0 -1
*5
  "A"
  "B"
  "b"
  "bb"
  "C"

> LINSERT l BEFORE nopivot X
:-1

> LINSERT nokey BEFORE a b
:0

> EXISTS nokey
:0

> LINSERT l MIDDLE b X
-ERR syntax error

> LINSERT l BEFORE b
-ERR wrong number of arguments for 'linsert' command

# the first occurrence of the pivot is used
> RPUSH dup x y x
:3

> LINSERT dup AFTER x z
:4

> LRANGE dup 0 -1
*4
  "x"
  "z"
  "y"
  "x"

# --- LREM ---------------------------------------------------------------------------
> DEL l
:1

> RPUSH l a b c a b c a
:7

> LREM l 1 b
:1

> LREM l -1 c
:1

> LRANGE l 0 -1
*5
  "a"
  "c"
  "a"
  "b"
  "a"

> LREM l 0 a
:3

> LRANGE l 0 -1
*2
  "c"
  "b"

> LREM l 0 nothere
:0

> LREM nokey 0 a
:0

> LREM l foo c
-ERR value is not an integer or out of range

> LREM l 0 c
:1

> LREM l -5 b
:1

> EXISTS l
:0

> LREM l 0
-ERR wrong number of arguments for 'lrem' command

# --- LTRIM --------------------------------------------------------------------------
> RPUSH l a b c d e
:5

> LTRIM l 1 -2
+OK

> LRANGE l 0 -1
*3
  "b"
  "c"
  "d"

> LTRIM l 0 100
+OK

> LLEN l
:3

> LTRIM l -2 -1
+OK

> LRANGE l 0 -1
*2
  "c"
  "d"

# an empty range deletes the key
> LTRIM l 5 2
+OK

> EXISTS l
:0

> LTRIM nokey 0 1
+OK

> LTRIM l foo 1
-ERR value is not an integer or out of range

> LTRIM l 0
-ERR wrong number of arguments for 'ltrim' command

# --- LPOS ---------------------------------------------------------------------------
> RPUSH p a b c a b c a
:7

> LPOS p a
:0

> LPOS p c
:2

> LPOS p z
(nil)

> LPOS p a RANK 2
:3

> LPOS p a RANK -1
:6

> LPOS p a RANK -2
:3

> LPOS p a RANK 4
(nil)

> LPOS p a COUNT 0
*3
  :0
  :3
  :6

> LPOS p a COUNT 2
*2
  :0
  :3

> LPOS p a COUNT 10
*3
  :0
  :3
  :6

> LPOS p a RANK -1 COUNT 0
*3
  :6
  :3
  :0

> LPOS p a RANK 2 COUNT 1
*1
  :3

> LPOS p a MAXLEN 3 COUNT 0
*1
  :0

> LPOS p a MAXLEN 4 COUNT 0
*2
  :0
  :3

> LPOS p a MAXLEN 0 COUNT 0
*3
  :0
  :3
  :6

> LPOS p c MAXLEN 2
(nil)

> LPOS p a RANK -1 MAXLEN 2 COUNT 0
*1
  :6

> LPOS p z COUNT 0
*0

> LPOS nokey a
(nil)

> LPOS nokey a COUNT 0
*0

> LPOS p a RANK 0
-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list

> LPOS p a COUNT -1
-ERR COUNT can't be negative

> LPOS p a MAXLEN -1
-ERR MAXLEN can't be negative

> LPOS p a RANK foo
-ERR value is not an integer or out of range

> LPOS p a FOO
-ERR syntax error

> LPOS p a RANK
-ERR syntax error

> LPOS p a COUNT
-ERR syntax error

> LPOS p
-ERR wrong number of arguments for 'lpos' command

# --- LMOVE / RPOPLPUSH ------------------------------------------------------------------
> RPUSH src a b c d
:4

> LMOVE src dst LEFT RIGHT
"a"

> LMOVE src dst RIGHT LEFT
"d"

> LMOVE src dst left left
"b"

> LRANGE dst 0 -1
*3
  "b"
  "d"
  "a"

> LMOVE src dst RIGHT RIGHT
"c"

> EXISTS src
:0

> LMOVE src dst LEFT LEFT
(nil)

> EXISTS src
:0

# rotation within one list
> LMOVE dst dst LEFT RIGHT
"b"

> LRANGE dst 0 -1
*4
  "d"
  "a"
  "c"
  "b"

> RPOPLPUSH dst dst
"b"

> LRANGE dst 0 -1
*4
  "b"
  "d"
  "a"
  "c"

> RPOPLPUSH dst new
"c"

> LRANGE new 0 -1
*1
  "c"

> RPOPLPUSH nokey new
(nil)

> LMOVE dst new UP DOWN
-ERR syntax error

> LMOVE dst new LEFT
-ERR wrong number of arguments for 'lmove' command

> RPOPLPUSH dst
-ERR wrong number of arguments for 'rpoplpush' command

> SET str v
+OK

> LMOVE dst str LEFT LEFT
-WRONGTYPE Operation against a key holding the wrong kind of value

> LMOVE str dst LEFT LEFT
-WRONGTYPE Operation against a key holding the wrong kind of value

# nothing moved on WRONGTYPE
> LLEN dst
:3

> RPOPLPUSH nokey str
(nil)

# --- LMPOP --------------------------------------------------------------------------
> DEL dst new
:2

> RPUSH m1 a b c
:3

> LMPOP 2 nokey m1 LEFT
*2
  "m1"
  *1
    "a"

> LMPOP 1 m1 RIGHT COUNT 10
*2
  "m1"
  *2
    "c"
    "b"

> EXISTS m1
:0

> LMPOP 2 nokey m1 LEFT
(nil-array)

> RPUSH m2 x y
:2

> RPUSH m3 z
:1

> LMPOP 2 m2 m3 left count 1
*2
  "m2"
  *1
    "x"

> LMPOP 0 a LEFT
-ERR numkeys should be greater than 0

> LMPOP -1 a LEFT
-ERR numkeys should be greater than 0

> LMPOP foo a LEFT
-ERR numkeys should be greater than 0

> LMPOP 2 a LEFT
-ERR syntax error

> LMPOP 1 a UP
-ERR syntax error

> LMPOP 1 a LEFT COUNT 0
-ERR count should be greater than 0

> LMPOP 1 a LEFT COUNT -1
-ERR count should be greater than 0

> LMPOP 1 a LEFT COUNT
-ERR syntax error

> LMPOP 1 a LEFT COUNT 1 COUNT 1
-ERR syntax error

> LMPOP 1 a LEFT foo
-ERR syntax error

> LMPOP 1 str LEFT
-WRONGTYPE Operation against a key holding the wrong kind of value

> LMPOP 1 a
-ERR wrong number of arguments for 'lmpop' command

# --- blocking commands on non-empty lists (no blocking happens) --------------------------
> RPUSH b1 x y
:2

> BLPOP nokey b1 0
*2
  "b1"
  "x"

> BRPOP b1 0.5
*2
  "b1"
  "y"

> EXISTS b1
:0

> RPUSH b1 x y z
:3

> BLMOVE b1 b2 LEFT LEFT 0
"x"

> BRPOPLPUSH b1 b2 0
"z"

> BLMPOP 0 1 b1 LEFT
*2
  "b1"
  *1
    "y"

> BLMPOP 0 2 nokey b2 RIGHT COUNT 5
*2
  "b2"
  *2
    "x"
    "z"

> BLPOP b1 -1
-ERR timeout is negative

> BLPOP b1 foo
-ERR timeout is not a float or out of range

> BRPOP b1 1 x
-ERR timeout is not a float or out of range

> BLMOVE b1 b2 LEFT LEFT -1
-ERR timeout is negative

> BLMPOP -1 1 b1 LEFT
-ERR timeout is negative

> BLMPOP 0 0 b1 LEFT
-ERR numkeys should be greater than 0

> BLPOP str 0
-WRONGTYPE Operation against a key holding the wrong kind of value

# an empty list with a short timeout: null array after the timeout
> BLPOP nokey 0.01
(nil-array)

# BRPOPLPUSH and BLMOVE time out with a null ARRAY (RPOPLPUSH/LMOVE give a null bulk)
> BRPOPLPUSH nokey x 0.01
(nil-array)

> BLMOVE nokey x LEFT RIGHT 0.01
(nil-array)

> BLMPOP 0.01 1 nokey LEFT
(nil-array)

# --- WRONGTYPE -------------------------------------------------------------------------
> LPUSH str a
-WRONGTYPE Operation against a key holding the wrong kind of value

> RPUSHX str a
-WRONGTYPE Operation against a key holding the wrong kind of value

> LPOP str
-WRONGTYPE Operation against a key holding the wrong kind of value

> LLEN str
-WRONGTYPE Operation against a key holding the wrong kind of value

> LRANGE str 0 -1
-WRONGTYPE Operation against a key holding the wrong kind of value

> LINDEX str 0
-WRONGTYPE Operation against a key holding the wrong kind of value

> LSET str 0 x
-WRONGTYPE Operation against a key holding the wrong kind of value

> LINSERT str BEFORE a b
-WRONGTYPE Operation against a key holding the wrong kind of value

> LREM str 0 a
-WRONGTYPE Operation against a key holding the wrong kind of value

> LTRIM str 0 1
-WRONGTYPE Operation against a key holding the wrong kind of value

> LPOS str a
-WRONGTYPE Operation against a key holding the wrong kind of value
