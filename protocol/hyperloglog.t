# HyperLogLog (issue 10): PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST. The HLL is a string in
# Redis's own format, so GET shows the exact bytes (sparse opcodes, then dense registers).

# --- PFADD / PFCOUNT on a sparse HLL -----------------------------------------------
> PFADD h
:1

> PFADD h
:0

> GET h
"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff"

> PFCOUNT h
:0

> PFADD h a b c
:1

> PFADD h a b c
:0

> GET h
"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80`\xf3\x80P\xb1\x84K\xfb\x80BZ"

> PFCOUNT h
:3

# PFCOUNT stored the cardinality in the header (cache valid again)
> GET h
"HYLL\x01\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00`\xf3\x80P\xb1\x84K\xfb\x80BZ"

> OBJECT ENCODING h
"raw"

> STRLEN h
:27

> PFDEBUG ENCODING h
+sparse

> PFDEBUG DECODE h
"Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603"

> PFADD h foo bar "\xff\x00" ""
:1

> PFCOUNT h
:7

> PFDEBUG DECODE h
"Z:290 v:4,1 Z:5647 v:2,1 Z:1409 v:5,1 Z:1087 v:1,1 Z:1570 v:1,1 Z:2703 v:2,1 Z:3068 v:1,1 Z:603"

# --- missing keys, several keys ----------------------------------------------------
> PFCOUNT nokey
:0

> PFCOUNT nokey other
:0

> EXISTS nokey
:0

> PFADD h2 c d e f
:1

> PFCOUNT h h2
:10

> PFCOUNT h2 h h2 nokey
:10

# --- PFMERGE --------------------------------------------------------------------------
> PFMERGE m h h2
+OK

> PFCOUNT m
:10

> GET m
"HYLL\x01\x00\x00\x00\n\x00\x00\x00\x00\x00\x00\x00A!\x8cEJ\x80P\xc2\x84EH\x806\x90D>\x80F!\x80J\x8e\x84I\x8c\x80Bm\x80BZ"

> PFDEBUG ENCODING m
+sparse

> PFMERGE empty
+OK

> GET empty
"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff"

> PFMERGE m
+OK

> PFCOUNT m
:10

# --- dense ------------------------------------------------------------------------------
> PFDEBUG TODENSE h2
:1

> PFDEBUG TODENSE h2
:0

> PFDEBUG ENCODING h2
+dense

> STRLEN h2
:12304

> PFCOUNT h2
:4

> PFADD h2 c
:0

> PFADD h2 g
:1

> PFCOUNT h2
:5

> PFDEBUG DECODE h2
-ERR HLL encoding is not sparse

# a dense input makes the merge result dense
> PFMERGE m2 h h2
+OK

> PFDEBUG ENCODING m2
+dense

> PFCOUNT m2
:11

> GETRANGE m2 0 40
"HYLL\x00\x00\x00\x00\x0b\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"

# --- errors ---------------------------------------------------------------------------
> SET s hello
+OK

> PFADD s a
-WRONGTYPE Key is not a valid HyperLogLog string value.

> PFCOUNT s
-WRONGTYPE Key is not a valid HyperLogLog string value.

> PFCOUNT h s
-WRONGTYPE Key is not a valid HyperLogLog string value.

> PFMERGE s h
-WRONGTYPE Key is not a valid HyperLogLog string value.

> PFMERGE h s
-WRONGTYPE Key is not a valid HyperLogLog string value.

> PFDEBUG ENCODING s
-WRONGTYPE Key is not a valid HyperLogLog string value.

> LPUSH l a
:1

> PFADD l a
-WRONGTYPE Operation against a key holding the wrong kind of value

> PFCOUNT l
-WRONGTYPE Operation against a key holding the wrong kind of value

> PFMERGE d l
-WRONGTYPE Operation against a key holding the wrong kind of value

> EXISTS d
:0

> PFDEBUG ENCODING l
-WRONGTYPE Operation against a key holding the wrong kind of value

> PFDEBUG nosuch h
-ERR Unknown PFDEBUG subcommand 'nosuch'

> PFDEBUG nosuch nokey
-ERR The specified key does not exist

> PFDEBUG GETREG nokey
-ERR The specified key does not exist

> PFADD
-ERR wrong number of arguments for 'pfadd' command

> PFCOUNT
-ERR wrong number of arguments for 'pfcount' command

> PFMERGE
-ERR wrong number of arguments for 'pfmerge' command

> PFDEBUG ENCODING
-ERR wrong number of arguments for 'pfdebug' command

> PFSELFTEST x
-ERR wrong number of arguments for 'pfselftest' command

# --- corrupt and foreign strings ---------------------------------------------------------
# a sparse HLL one register short: PFCOUNT sees it, PFADD only if it needs that register
> SET c "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xfe"
+OK

> PFCOUNT c
-INVALIDOBJ Corrupted HLL object detected

> PFCOUNT c h
-INVALIDOBJ Corrupted HLL object detected

> PFMERGE c h
-INVALIDOBJ Corrupted HLL object detected

> PFADD c a
:1

> GET c
"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80q\xa6\x84NV"

# an unknown encoding byte, a dense HLL of the wrong length
> SET c2 "HYLL\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"
+OK

> PFADD c2 a
-WRONGTYPE Key is not a valid HyperLogLog string value.

> SET c3 "HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"
+OK

> PFCOUNT c3
-WRONGTYPE Key is not a valid HyperLogLog string value.

# a valid sparse HLL written with SET counts like one made by PFADD
> SET c4 "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff"
+OK

> PFCOUNT c4
:0

> GET c4
"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"

> PFADD c4 a
:1

> GET c4
"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80q\xa6\x84NW"

# --- a change keeps the TTL (Redis edits the string in place) ---------------------------
> EXPIRE h 1000
:1

> PFADD h brandnew
:1

> TTL h
:~990..1000

> PFSELFTEST
+OK

# --- RESP3: the same types --------------------------------------------------------------------
@resp3
> PFADD r3 x y
:1

> PFCOUNT r3
:2

> PFCOUNT r3 nokey
:2

> PFDEBUG ENCODING r3
+sparse

> PFMERGE r3
+OK
