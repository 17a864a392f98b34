# Set commands (issue 4). Member order of set replies is not part of the contract.

# --- SADD / SREM / SMEMBERS / SISMEMBER / SMISMEMBER / SCARD ------------------------------
> SADD s a b c
:3

> SADD s a d d
:1

> SCARD s
:4

> SCARD nokey
:0

> SMEMBERS s
*4 unordered
  "a"
  "b"
  "c"
  "d"

> SMEMBERS nokey
*0

> SISMEMBER s a
:1

> SISMEMBER s z
:0

> SISMEMBER nokey a
:0

> SMISMEMBER s a z d
*3
  :1
  :0
  :1

> SMISMEMBER nokey a
*1
  :0

> SREM s a z
:1

> SREM s a
:0

> SREM nokey a
:0

> SADD bin "" "\x00\xff"
:2

> SISMEMBER bin ""
:1

> SMEMBERS bin
*2 unordered
  ""
  "\x00\xff"

# removing the last member deletes the key
> SREM bin "" "\x00\xff"
:2

> EXISTS bin
:0

> SADD ints 3 1 2 -5 10
:5

> SMEMBERS ints
*5 unordered
  "-5"
  "1"
  "2"
  "3"
  "10"

> SISMEMBER ints 01
:0

> SADD s
-ERR wrong number of arguments for 'sadd' command

> SREM s
-ERR wrong number of arguments for 'srem' command

> SISMEMBER s
-ERR wrong number of arguments for 'sismember' command

> SMISMEMBER s
-ERR wrong number of arguments for 'smismember' command

> SMEMBERS
-ERR wrong number of arguments for 'smembers' command

> SCARD s x
-ERR wrong number of arguments for 'scard' command

# --- SPOP / SRANDMEMBER --------------------------------------------------------------
> DEL s
:1

> SADD r a b c
:3

> SRANDMEMBER r
~/[abc]/

> SRANDMEMBER r 0
*0

> SRANDMEMBER r 3
*3 unordered
  "a"
  "b"
  "c"

> SRANDMEMBER r 10
*3 unordered
  "a"
  "b"
  "c"

> SRANDMEMBER r 1
*1
  ~/[abc]/

> SRANDMEMBER r -5
*5
  ~/[abc]/
  ~/[abc]/
  ~/[abc]/
  ~/[abc]/
  ~/[abc]/

> SRANDMEMBER nokey
(nil)

> SRANDMEMBER nokey 3
*0

> SRANDMEMBER nokey -3
*0

> SRANDMEMBER r foo
-ERR value is not an integer or out of range

> SRANDMEMBER r 1 2
-ERR syntax error

> SRANDMEMBER r -9223372036854775808
-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807

> SCARD r
:3

> SPOP r
~/[abc]/

> SCARD r
:2

> SPOP r 0
*0

> SPOP r 10
*2 unordered
  ~/[abc]/
  ~/[abc]/

> EXISTS r
:0

> SPOP nokey
(nil)

> SPOP nokey 0
*0

> SPOP nokey 2
*0

> SADD r a b c
:3

> SPOP r 3
*3 unordered
  "a"
  "b"
  "c"

> SADD r a
:1

> SPOP r -1
-ERR value is out of range, must be positive

> SPOP r foo
-ERR value is out of range, must be positive

> SPOP r 1 2
-ERR syntax error

> SPOP
-ERR wrong number of arguments for 'spop' command

# --- SMOVE --------------------------------------------------------------------------
> SADD src a b
:2

> SMOVE src dst a
:1

> SMEMBERS dst
*1
  "a"

> SMOVE src dst zz
:0

> SMOVE nokey dst a
:0

> SADD dst b
:1

# already in the destination: removed from the source only
> SMOVE src dst b
:1

> EXISTS src
:0

> SMEMBERS dst
*2 unordered
  "a"
  "b"

> SMOVE dst dst a
:1

> SMOVE dst dst zz
:0

> SET str x
+OK

> SMOVE dst str a
-WRONGTYPE Operation against a key holding the wrong kind of value

> SMOVE dst str zz
-WRONGTYPE Operation against a key holding the wrong kind of value

> SMOVE str dst a
-WRONGTYPE Operation against a key holding the wrong kind of value

> SMOVE dst x
-ERR wrong number of arguments for 'smove' command

# --- SINTER / SUNION / SDIFF and *STORE -------------------------------------------------
> DEL dst
:1

> SADD k1 a b c d
:4

> SADD k2 c d e
:3

> SADD k3 a c e
:3

> SINTER k1 k2
*2 unordered
  "c"
  "d"

> SINTER k1 k2 k3
*1
  "c"

> SINTER k1
*4 unordered
  "a"
  "b"
  "c"
  "d"

> SINTER k1 nokey
*0

> SUNION k1 k2
*5 unordered
  "a"
  "b"
  "c"
  "d"
  "e"

> SUNION nokey k3
*3 unordered
  "a"
  "c"
  "e"

> SUNION nokey
*0

> SDIFF k1 k2
*2 unordered
  "a"
  "b"

> SDIFF k1 k2 k3
*1
  "b"

> SDIFF k2 k1
*1
  "e"

> SDIFF nokey k1
*0

> SDIFF k1 nokey
*4 unordered
  "a"
  "b"
  "c"
  "d"

> SDIFF k1 k1
*0

> SINTERSTORE out k1 k2
:2

> SMEMBERS out
*2 unordered
  "c"
  "d"

> SUNIONSTORE out k1 k2
:5

> SCARD out
:5

> SDIFFSTORE out k1 k2
:2

> SMEMBERS out
*2 unordered
  "a"
  "b"

# an empty result deletes the destination
> SINTERSTORE out k1 nokey
:0

> EXISTS out
:0

> SET out x
+OK

> SUNIONSTORE out nokey
:0

> EXISTS out
:0

> SET out x
+OK

> SDIFFSTORE out k1 k1
:0

> TYPE out
+none

# the destination is overwritten whatever its type
> SET out x
+OK

> SINTERSTORE out k1 k3
:2

> TYPE out
+set

# a source may be the destination
> SUNIONSTORE k1 k1 k2
:5

> SCARD k1
:5

# any source of the wrong type is an error, even next to a missing key
> SINTER k1 str
-WRONGTYPE Operation against a key holding the wrong kind of value

> SINTER nokey str
-WRONGTYPE Operation against a key holding the wrong kind of value

> SUNION k1 str
-WRONGTYPE Operation against a key holding the wrong kind of value

> SDIFF k1 str
-WRONGTYPE Operation against a key holding the wrong kind of value

> SDIFF nokey str
-WRONGTYPE Operation against a key holding the wrong kind of value

> SINTERSTORE out k1 str
-WRONGTYPE Operation against a key holding the wrong kind of value

> SUNIONSTORE out str
-WRONGTYPE Operation against a key holding the wrong kind of value

> SINTER
-ERR wrong number of arguments for 'sinter' command

> SINTERSTORE out
-ERR wrong number of arguments for 'sinterstore' command

> SUNIONSTORE out
-ERR wrong number of arguments for 'sunionstore' command

> SDIFFSTORE out
-ERR wrong number of arguments for 'sdiffstore' command

# --- SINTERCARD ---------------------------------------------------------------------
> SINTERCARD 2 k2 k3
:2

> SINTERCARD 1 k2
:3

> SINTERCARD 2 k2 nokey
:0

> SINTERCARD 2 k2 k3 LIMIT 1
:1

> SINTERCARD 2 k2 k3 LIMIT 0
:2

> SINTERCARD 2 k2 k3 LIMIT 10
:2

> SINTERCARD 0 k2
-ERR numkeys should be greater than 0

> SINTERCARD -1 k2
-ERR numkeys should be greater than 0

> SINTERCARD foo k2
-ERR numkeys should be greater than 0

> SINTERCARD 2 k2
-ERR Number of keys can't be greater than number of args

> SINTERCARD 1 k2 k3
-ERR syntax error

> SINTERCARD 1 k2 LIMIT -1
-ERR LIMIT can't be negative

> SINTERCARD 1 k2 LIMIT foo
-ERR LIMIT can't be negative

> SINTERCARD 1 k2 LIMIT
-ERR syntax error

> SINTERCARD 1 k2 FOO 1
-ERR syntax error

> SINTERCARD 2 k2 str
-WRONGTYPE Operation against a key holding the wrong kind of value

> SINTERCARD 1
-ERR wrong number of arguments for 'sintercard' command

# --- SSCAN ----------------------------------------------------------------------------
> SSCAN k2 0 COUNT 1000
*2
  "0"
  *3 unordered
    "c"
    "d"
    "e"

> SSCAN k2 0 MATCH [cd] COUNT 1000
*2
  "0"
  *2 unordered
    "c"
    "d"

> SSCAN ints 0 MATCH 1* COUNT 1000
*2
  "0"
  *2 unordered
    "1"
    "10"

> SSCAN nokey 0
*2
  "0"
  *0

> SSCAN k2 foo
-ERR invalid cursor

> SSCAN k2 0 COUNT 0
-ERR syntax error

> SSCAN k2 0 MATCH
-ERR syntax error

> SSCAN k2 0 FOO bar
-ERR syntax error

> SSCAN str 0
-WRONGTYPE Operation against a key holding the wrong kind of value

> SSCAN k2
-ERR wrong number of arguments for 'sscan' command

# --- WRONGTYPE -------------------------------------------------------------------------
> SADD str a
-WRONGTYPE Operation against a key holding the wrong kind of value

> SREM str a
-WRONGTYPE Operation against a key holding the wrong kind of value

> SMEMBERS str
-WRONGTYPE Operation against a key holding the wrong kind of value

> SISMEMBER str a
-WRONGTYPE Operation against a key holding the wrong kind of value

> SMISMEMBER str a
-WRONGTYPE Operation against a key holding the wrong kind of value

> SCARD str
-WRONGTYPE Operation against a key holding the wrong kind of value

> SPOP str
-WRONGTYPE Operation against a key holding the wrong kind of value

> SRANDMEMBER str
-WRONGTYPE Operation against a key holding the wrong kind of value

@redis-only
> OBJECT ENCODING ints
"intset"
> OBJECT ENCODING k2
"hashtable"
