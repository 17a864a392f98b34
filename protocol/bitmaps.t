# Bitmap commands on strings (issue 10): SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD,
# BITFIELD_RO.

# --- SETBIT / GETBIT ------------------------------------------------------------
> SETBIT bm 7 1
:0

> GET bm
"\x01"

> SETBIT bm 0 1
:0

> SETBIT bm 0 1
:1

> GET bm
"\x81"

> STRLEN bm
:1

> SETBIT bm 100 1
:0

> STRLEN bm
:13

> GETBIT bm 0
:1

> GETBIT bm 1
:0

> GETBIT bm 100
:1

> GETBIT bm 101
:0

> GETBIT bm 4294967295
:0

> GETBIT nokey 0
:0

> OBJECT ENCODING bm
"raw"

> SET small abc
+OK

> OBJECT ENCODING small
"embstr"

# a SETBIT that changes nothing still makes the value a raw string
> SETBIT small 1 1
:1

> OBJECT ENCODING small
"raw"

> SETBIT bm -1 1
-ERR bit offset is not an integer or out of range

> SETBIT bm 4294967296 1
-ERR bit offset is not an integer or out of range

> SETBIT bm x 1
-ERR bit offset is not an integer or out of range

> SETBIT bm 01 1
-ERR bit offset is not an integer or out of range

> SETBIT bm 0 2
-ERR bit is not an integer or out of range

> SETBIT bm 0 -1
-ERR bit is not an integer or out of range

> SETBIT bm 0 x
-ERR bit is not an integer or out of range

> GETBIT bm -1
-ERR bit offset is not an integer or out of range

> GETBIT bm 4294967296
-ERR bit offset is not an integer or out of range

> GETBIT bm 1.5
-ERR bit offset is not an integer or out of range

> SETBIT bm 0
-ERR wrong number of arguments for 'setbit' command

> GETBIT bm
-ERR wrong number of arguments for 'getbit' command

> LPUSH list a
:1

> SETBIT list 0 1
-WRONGTYPE Operation against a key holding the wrong kind of value

> GETBIT list 0
-WRONGTYPE Operation against a key holding the wrong kind of value

# an integer value: its text is the string
> SET num 255
+OK

> GETBIT num 2
:1

> GETBIT num 3
:1

> SETBIT num 7 0
:0

> GET num
"255"

# the binary bytes survive, including invalid UTF-8
> SET bin "\xff\x00\xc3\xa9"
+OK

> SETBIT bin 15 1
:0

> GET bin
"\xff\x01\xc3\xa9"

> SETBIT bin 16 0
:1

> GET bin
"\xff\x01C\xa9"

> GETBIT bin 17
:1

# a TTL is kept
> SET ttlkey a EX 100
+OK

> SETBIT ttlkey 7 0
:1

> TTL ttlkey
:~90..100

> GET ttlkey
"`"

# --- BITCOUNT -------------------------------------------------------------------
> SET s foobar
+OK

> BITCOUNT s
:26

> BITCOUNT s 0 0
:4

> BITCOUNT s 1 1
:6

> BITCOUNT s 1 -1
:22

> BITCOUNT s -2 -1
:7

> BITCOUNT s -1 -2
:0

> BITCOUNT s 0 100
:26

> BITCOUNT s 5 30 BIT
:17

> BITCOUNT s 5 30 BYTE
:4

> BITCOUNT s 0 -1 bit
:26

> BITCOUNT s -9 -1 BIT
:5

> BITCOUNT s 1 1 BIT
:1

> BITCOUNT s 3 3 BIT
:0

> BITCOUNT s 0
-ERR syntax error

> BITCOUNT s 0 1 foo
-ERR syntax error

> BITCOUNT s -1 -2 foo
:0

> BITCOUNT s a 1
-ERR value is not an integer or out of range

> BITCOUNT s 0 1 BIT extra
-ERR syntax error

> BITCOUNT nokey
:0

> BITCOUNT nokey 0
:0

> BITCOUNT nokey a b
:0

> BITCOUNT list
-WRONGTYPE Operation against a key holding the wrong kind of value

> BITCOUNT num
:11

> SET empty ""
+OK

> BITCOUNT empty 0 -1
:0

# --- BITPOS ---------------------------------------------------------------------
> SET p "\xff\xf0\x00"
+OK

> BITPOS p 0
:12

> BITPOS p 1
:0

> BITPOS p 1 2
:-1

> BITPOS p 0 0 0
:-1

> BITPOS p 0 0 -1
:12

> BITPOS p 1 2 -1
:-1

> BITPOS p 0 8 11 BIT
:-1

> BITPOS p 0 12 15 BIT
:12

> BITPOS p 1 7 15 bit
:7

> BITPOS p 1 17 23 BIT
:-1

> BITPOS p 0 0 7 BIT
:-1

> BITPOS p 0 2 1
:-1

> BITPOS p 0 3
:-1

> SET allones "\xff\xff"
+OK

> BITPOS allones 0
:16

> BITPOS allones 0 0
:16

> BITPOS allones 0 0 -1
:-1

> BITPOS allones 0 0 1 BYTE
:-1

> BITPOS allones 0 0 15 BIT
:-1

> BITPOS allones 0 5 BIT
-ERR value is not an integer or out of range

> SET zeros "\x00\x00"
+OK

> BITPOS zeros 1
:-1

> BITPOS zeros 0
:0

> BITPOS zeros 1 1 BIT
-ERR value is not an integer or out of range

> BITPOS nokey 0
:0

> BITPOS nokey 1
:-1

> BITPOS nokey 1 a
:-1

> BITPOS p 2
-ERR The bit argument must be 1 or 0.

> BITPOS p x
-ERR value is not an integer or out of range

> BITPOS p 1 x
-ERR value is not an integer or out of range

> BITPOS p 1 0 x
-ERR value is not an integer or out of range

> BITPOS p 1 0 1 foo
-ERR syntax error

> BITPOS p 1 0 1 BIT extra
-ERR syntax error

> BITPOS list 1
-WRONGTYPE Operation against a key holding the wrong kind of value

> BITPOS empty 0
:-1

> BITPOS empty 1
:-1

# --- BITOP ----------------------------------------------------------------------
> SET a "\xff\x0f"
+OK

> SET b "\xf0"
+OK

> BITOP AND dest a b
:2

> GET dest
"\xf0\x00"

> BITOP OR dest a b
:2

> GET dest
"\xff\x0f"

> BITOP XOR dest a b
:2

> GET dest
"\x0f\x0f"

> BITOP NOT dest a
:2

> GET dest
"\x00\xf0"

> BITOP and dest a nokey
:2

> GET dest
"\x00\x00"

> BITOP OR dest a nokey b
:2

> GET dest
"\xff\x0f"

> BITOP NOT dest a b
-ERR BITOP NOT must be called with a single source key.

> BITOP NAND dest a b
-ERR syntax error

> BITOP AND dest list
-WRONGTYPE Operation against a key holding the wrong kind of value

> SET dest x EX 100
+OK

> BITOP OR dest a
:2

> TTL dest
:-1

> BITOP OR dest nokey1 nokey2
:0

> EXISTS dest
:0

> BITOP NOT dest empty
:0

> LPUSH dest2 x
:1

> BITOP OR dest2 a
:2

> TYPE dest2
+string

> BITOP OR
-ERR wrong number of arguments for 'bitop' command

> BITOP OR d
-ERR wrong number of arguments for 'bitop' command

# --- BITFIELD -------------------------------------------------------------------
> BITFIELD bf SET u8 0 255 GET u8 0
*2
  :0
  :255

> BITFIELD bf GET i8 0 GET u4 0 GET u4 4 GET i4 0
*4
  :-1
  :15
  :15
  :-1

> BITFIELD bf INCRBY u8 0 1
*1
  :0

> BITFIELD bf INCRBY i8 0 127 INCRBY i8 0 1
*2
  :127
  :-128

> BITFIELD bf OVERFLOW SAT INCRBY u8 8 300 INCRBY i8 16 -200
*2
  :255
  :-128

> BITFIELD bf OVERFLOW FAIL INCRBY u8 8 1 INCRBY u8 8 -1
*2
  (nil)
  :254

> BITFIELD bf OVERFLOW WRAP SET u8 #3 -1 GET u8 #3 SET i16 #2 40000 GET i16 #2
*4
  :0
  :255
  :0
  :-25536

> BITFIELD bf OVERFLOW SAT SET u8 0 -1 SET i8 8 -9223372036854775808 SET i8 16 9223372036854775807
*3
  :128
  :-2
  :-128

> BITFIELD bf SET i64 0 -1 GET i64 0 GET u63 0 GET u63 1
*4
  :-36169536180846592
  :-1
  :9223372036854775807
  :9223372036854775807

> BITFIELD bf INCRBY i64 0 -9223372036854775808
*1
  :9223372036854775807

> BITFIELD bf OVERFLOW SAT INCRBY i64 0 -9223372036854775808
*1
  :-1

> BITFIELD bf OVERFLOW FAIL INCRBY i64 0 -9223372036854775808
*1
  (nil)

> BITFIELD bf GET u1 7 GET i1 7 GET u13 3
*3
  :1
  :-1
  :8191

> BITFIELD bf GET u8 1000
*1
  :0

> STRLEN bf
:8

> BITFIELD bf SET u8 #100 1
*1
  :0

> STRLEN bf
:101

> BITFIELD bf
*0

> BITFIELD nokey GET u8 0
*1
  :0

> EXISTS nokey
:0

> BITFIELD_RO bf GET u8 0 GET i16 #1
*2
  :255
  :-1

> BITFIELD_RO bf SET u8 0 1
-ERR BITFIELD_RO only supports the GET subcommand

> BITFIELD_RO nokey GET u8 0
*1
  :0

> BITFIELD_RO bf
*0

> BITFIELD bf GET u64 0
-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.

> BITFIELD bf GET i65 0
-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.

> BITFIELD bf GET I8 0
-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.

> BITFIELD bf GET u0 0
-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.

> BITFIELD bf GET x8 0
-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.

> BITFIELD bf GET i08 0
-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.

> BITFIELD bf GET u8 -1
-ERR bit offset is not an integer or out of range

> BITFIELD bf GET u8 #-1
-ERR bit offset is not an integer or out of range

> BITFIELD bf GET u8 x
-ERR bit offset is not an integer or out of range

> BITFIELD bf GET i64 #144115188075855872
-ERR bit offset is not an integer or out of range

> BITFIELD bf GET u8 #1152921504606846976
-ERR bit offset is not an integer or out of range

> BITFIELD bf SET u8 0 x
-ERR value is not an integer or out of range

> BITFIELD bf OVERFLOW bogus GET u8 0
-ERR Invalid OVERFLOW type specified

> BITFIELD bf GET u8
-ERR syntax error

> BITFIELD bf FOO u8 0
-ERR syntax error

> BITFIELD bf OVERFLOW
-ERR syntax error

> BITFIELD bf SET u8 0 1 GET x 0
-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.

> BITFIELD list GET u8 0
-WRONGTYPE Operation against a key holding the wrong kind of value

> BITFIELD list SET u8 0 1
-WRONGTYPE Operation against a key holding the wrong kind of value

# FAIL on a missing key: the key is still created
> BITFIELD created OVERFLOW FAIL SET u8 0 256
*1
  (nil)

> GET created
"\x00"

> BITFIELD
-ERR wrong number of arguments for 'bitfield' command

# --- RESP3: a FAIL overflow is a null ------------------------------------------
@resp3
> BITFIELD r3 OVERFLOW FAIL SET u8 0 256 SET u8 0 1 GET i8 0
*3
  _
  :0
  :1

> BITFIELD_RO r3 GET u8 0
*1
  :1
