# Geo commands (issue 10). A geo set is a sorted set of 52-bit geohash scores; distances are
# replied with 4 decimals, coordinates as %.17Lf text with trailing zeros cut.

# --- GEOADD -----------------------------------------------------------------------------
> GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania
:2

> GEOADD Sicily 13.361389 38.115556 Palermo
:0

> ZSCORE Sicily Palermo
"3479099956230698"

> ZRANGE Sicily 0 -1 WITHSCORES
*4
  "Palermo"
  "3479099956230698"
  "Catania"
  "3479447370796909"

> TYPE Sicily
+zset

> GEOADD Sicily CH 13.361389 38.115556 Palermo 15 37 Catania
:1

> GEOADD Sicily NX CH 1 1 Catania 13.583333 37.316667 Agrigento
:1

> GEOADD Sicily XX 1 1 Nowhere
:0

> GEOADD Sicily XX CH 15.087269 37.502669 Catania
:1

> GEOADD Sicily NX XX 1 1 x
-ERR syntax error

> GEOADD Sicily 1 1
-ERR wrong number of arguments for 'geoadd' command

> GEOADD Sicily NX 1 1
-ERR syntax error

> GEOADD Sicily GT 1 1 x
-ERR syntax error

> GEOADD Sicily 181 1 x
-ERR invalid longitude,latitude pair 181.000000,1.000000

> GEOADD Sicily 1 85.06 x
-ERR invalid longitude,latitude pair 1.000000,85.060000

> GEOADD Sicily -180.5 -86 x
-ERR invalid longitude,latitude pair -180.500000,-86.000000

> GEOADD Sicily inf 0 x
-ERR invalid longitude,latitude pair inf,0.000000

> GEOADD Sicily abc 0 x
-ERR value is not a valid float

> GEOADD Sicily 1 nan x
-ERR value is not a valid float

> GEOADD Sicily 1 1e400 x
-ERR value is not a valid float

> GEOADD Sicily 1 1 ok 200 1 bad
-ERR invalid longitude,latitude pair 200.000000,1.000000

> EXISTS ok
:0

> GEOADD edge 180 85.05112878 ne -180 -85.05112878 sw 0 0 zero
:3

> GEOADD
-ERR wrong number of arguments for 'geoadd' command

> GEOADD k 1 2
-ERR wrong number of arguments for 'geoadd' command

# --- GEOPOS / GEODIST / GEOHASH ------------------------------------------------------------
> GEOPOS Sicily Palermo Catania NonExisting
*3
  *2
    "13.36138933897018433"
    "38.11555639549629859"
  *2
    "15.08726745843887329"
    "37.50266842333162032"
  (nil-array)

> GEOPOS edge ne sw zero
*3
  *2
    "180"
    "85.0511287799999991"
  *2
    "-179.99999731779098511"
    "-85.05112751263942528"
  *2
    "0.00000268220901489"
    "0.00000126736058093"

> GEOPOS nokey a b
*2
  (nil-array)
  (nil-array)

> GEOPOS Sicily
*0

> GEODIST Sicily Palermo Catania
"166274.1516"

> GEODIST Sicily Palermo Catania km
"166.2742"

> GEODIST Sicily Palermo Catania MI
"103.3182"

> GEODIST Sicily Palermo Catania ft
"545518.8700"

> GEODIST Sicily Palermo Catania yd
-ERR unsupported unit provided. please use M, KM, FT, MI

> GEODIST Sicily Palermo Catania km extra
-ERR syntax error

> GEODIST Sicily Palermo Nowhere
(nil)

> GEODIST nokey a b
(nil)

> GEODIST edge ne sw
"18919844.5891"

> GEOHASH Sicily Palermo Catania Nowhere
*3
  "sqc8b49rny0"
  "sqdtr74hyu0"
  (nil)

> GEOHASH edge ne sw zero
*3
  "bp05b5048p0"
  "00bh0hbj200"
  "s0000000000"

> GEOHASH nokey a
*1
  (nil)

> GEOHASH Sicily
*0

# scores set by ZADD decode too (clamped to the valid area)
> ZADD weird -1 neg 4503599627370496 big 1e300 huge
:3

> GEOPOS weird neg big huge
*3
  *2
    "180"
    "85.0511287799999991"
  *2
    "-179.99999731779098511"
    "85.0511287799999991"
  *2
    "-179.99999731779098511"
    "-85.05112751263942528"

> GEOHASH weird neg big huge
*3
  "bp05b5048p0"
  "bp05b5048p0"
  "00bh0hbj200"

# --- GEORADIUS / GEORADIUSBYMEMBER -------------------------------------------------------
> GEOADD Sicily 12.758489 38.788135 edge1 17.241510 38.788135 edge2
:2

> GEORADIUS Sicily 15 37 200 km
*3
  "Agrigento"
  "Palermo"
  "Catania"

> GEORADIUS Sicily 15 37 200 km ASC WITHDIST WITHCOORD WITHHASH
*3
  *4
    "Catania"
    "56.4413"
    :3479447370796909
    *2
      "15.08726745843887329"
      "37.50266842333162032"
  *4
    "Agrigento"
    "130.4235"
    :3479030013248308
    *2
      "13.5833314061164856"
      "37.31666804993816555"
  *4
    "Palermo"
    "190.4424"
    :3479099956230698
    *2
      "13.36138933897018433"
      "38.11555639549629859"

> GEORADIUS Sicily 15 37 200 km DESC WITHDIST
*3
  *2
    "Palermo"
    "190.4424"
  *2
    "Agrigento"
    "130.4235"
  *2
    "Catania"
    "56.4413"

> GEORADIUS Sicily 15 37 200 km COUNT 2 WITHDIST
*2
  *2
    "Catania"
    "56.4413"
  *2
    "Agrigento"
    "130.4235"

> GEORADIUS Sicily 15 37 200 km COUNT 2 DESC
*2
  "Palermo"
  "Agrigento"

> GEORADIUS Sicily 15 37 400 km COUNT 1 ANY
*1
  "Agrigento"

> GEORADIUS Sicily 15 37 200 km ANY
-ERR the ANY argument requires COUNT argument

> GEORADIUS Sicily 15 37 200 km COUNT 0
-ERR COUNT must be > 0

> GEORADIUS Sicily 15 37 200 km COUNT -1
-ERR COUNT must be > 0

> GEORADIUS Sicily 15 37 200 km COUNT x
-ERR value is not an integer or out of range

> GEORADIUS Sicily 15 37 200 km COUNT
-ERR syntax error

> GEORADIUS Sicily 15 37 200 km BOGUS
-ERR syntax error

> GEORADIUS Sicily 15 37 -1 km
-ERR radius cannot be negative

> GEORADIUS Sicily 15 37 abc km
-ERR need numeric radius

> GEORADIUS Sicily 15 37 200 yd
-ERR unsupported unit provided. please use M, KM, FT, MI

> GEORADIUS Sicily 200 37 200 km
-ERR invalid longitude,latitude pair 200.000000,37.000000

> GEORADIUS Sicily 15 37 1 m
*0

> GEORADIUS nokey 15 37 200 km
*0

> GEORADIUS Sicily 15 37 200 km STORE dst WITHDIST
-ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options

> GEORADIUS Sicily 15 37 200 km STORE dst
:3

> ZRANGE dst 0 -1 WITHSCORES
*6
  "Agrigento"
  "3479030013248308"
  "Palermo"
  "3479099956230698"
  "Catania"
  "3479447370796909"

> GEORADIUS Sicily 15 37 200 km STOREDIST dst COUNT 2 DESC
:2

> ZRANGE dst 0 -1 WITHSCORES
*4
  "Agrigento"
  "130.42348706714702"
  "Palermo"
  "190.44242984775784"

> GEORADIUS Sicily 15 37 1 m STORE dst
:0

> EXISTS dst
:0

> GEORADIUS_RO Sicily 15 37 200 km STORE dst
-ERR syntax error

> GEORADIUS_RO Sicily 15 37 200 km WITHDIST
*3
  *2
    "Agrigento"
    "130.4235"
  *2
    "Palermo"
    "190.4424"
  *2
    "Catania"
    "56.4413"

> GEORADIUSBYMEMBER Sicily Agrigento 100 km WITHDIST
*2
  *2
    "Agrigento"
    "0.0000"
  *2
    "Palermo"
    "90.9778"

> GEORADIUSBYMEMBER Sicily Nowhere 100 km
-ERR could not decode requested zset member

> GEORADIUSBYMEMBER nokey Nowhere -100 yd WITHDIST
*0

> GEORADIUSBYMEMBER nokey Nowhere -100 yd STORE dst
:0

> GEORADIUSBYMEMBER_RO Sicily Agrigento 100 km WITHCOORD
*2
  *2
    "Agrigento"
    *2
      "13.5833314061164856"
      "37.31666804993816555"
  *2
    "Palermo"
    *2
      "13.36138933897018433"
      "38.11555639549629859"

> GEORADIUSBYMEMBER_RO Sicily Agrigento 100 km STORE x
-ERR syntax error

# --- GEOSEARCH / GEOSEARCHSTORE ----------------------------------------------------------
> GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ASC
*3
  "Catania"
  "Agrigento"
  "Palermo"

> GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km ASC WITHCOORD WITHDIST WITHHASH
*5
  *4
    "Catania"
    "56.4413"
    :3479447370796909
    *2
      "15.08726745843887329"
      "37.50266842333162032"
  *4
    "Agrigento"
    "130.4235"
    :3479030013248308
    *2
      "13.5833314061164856"
      "37.31666804993816555"
  *4
    "Palermo"
    "190.4424"
    :3479099956230698
    *2
      "13.36138933897018433"
      "38.11555639549629859"
  *4
    "edge2"
    "279.7403"
    :3481342659049484
    *2
      "17.24151045083999634"
      "38.78813451624225195"
  *4
    "edge1"
    "279.7405"
    :3479273021651468
    *2
      "12.7584877610206604"
      "38.78813451624225195"

> GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 200 100 mi DESC WITHDIST
*3
  *2
    "Catania"
    "103.3182"
  *2
    "edge1"
    "56.7939"
  *2
    "Palermo"
    "0.0000"

> GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 100 km COUNT 2 ANY
*2
  "Agrigento"
  "Palermo"

> GEOSEARCH Sicily FROMMEMBER Nowhere BYRADIUS 100 km
-ERR could not decode requested zset member

> GEOSEARCH nokey FROMMEMBER Nowhere BYRADIUS 100 km
*0

> GEOSEARCH Sicily FROMMEMBER Palermo FROMLONLAT 1 2 BYRADIUS 1 km
-ERR syntax error

> GEOSEARCH Sicily FROMLONLAT 1 2 FROMMEMBER Palermo BYRADIUS 1 km
-ERR syntax error

> GEOSEARCH Sicily FROMLONLAT 1 2 BYRADIUS 1 km BYBOX 1 1 km
-ERR syntax error

> GEOSEARCH Sicily BYRADIUS 1 km
-ERR wrong number of arguments for 'geosearch' command

> geosearch Sicily FROMLONLAT 1 2
-ERR wrong number of arguments for 'geosearch' command

> GEOSEARCH Sicily FROMLONLAT 1 2 BYBOX -1 1 km
-ERR height or width cannot be negative

> GEOSEARCH Sicily FROMLONLAT 1 2 BYBOX x 1 km
-ERR need numeric width

> GEOSEARCH Sicily FROMLONLAT 1 2 BYBOX 1 y km
-ERR need numeric height

> GEOSEARCH Sicily FROMLONLAT 1 2 BYBOX 1 1 parsec
-ERR unsupported unit provided. please use M, KM, FT, MI

> GEOSEARCH Sicily FROMLONLAT 1 2 BYRADIUS 1 km STORE dst
-ERR syntax error

> GEOSEARCH Sicily FROMLONLAT 1 2 BYRADIUS 1 km STOREDIST
-ERR syntax error

> GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS inf km WITHDIST
*5
  *2
    "Agrigento"
    "130.4235"
  *2
    "Palermo"
    "190.4424"
  *2
    "edge1"
    "279.7405"
  *2
    "Catania"
    "56.4413"
  *2
    "edge2"
    "279.7403"

> GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km
:3

> ZRANGE dst 0 -1 WITHSCORES
*6
  "Agrigento"
  "3479030013248308"
  "Palermo"
  "3479099956230698"
  "Catania"
  "3479447370796909"

> GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYBOX 400 400 km STOREDIST COUNT 2
:2

> ZRANGE dst 0 -1 WITHSCORES
*4
  "Catania"
  "56.441257870158204"
  "Agrigento"
  "130.42348706714702"

> GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km WITHDIST
-ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options

> GEOSEARCHSTORE dst nokey FROMLONLAT 15 37 BYRADIUS 200 km
:0

> EXISTS dst
:0

# --- equal distances: a full sort is stable, COUNT uses Redis's partial quicksort --------
> GEOADD same 10 10 m00 10 10 m01 10 10 m02 10 10 m03 10 10 m04 10 10 m05 10 10 m06 10 10 m07 10 10 m08 10 10 m09
:10

> GEOSEARCH same FROMLONLAT 10 10 BYRADIUS 1 km ASC
*10
  "m00"
  "m01"
  "m02"
  "m03"
  "m04"
  "m05"
  "m06"
  "m07"
  "m08"
  "m09"

> GEOSEARCH same FROMLONLAT 10 10 BYRADIUS 1 km COUNT 9
*9
  "m09"
  "m01"
  "m02"
  "m03"
  "m04"
  "m05"
  "m06"
  "m07"
  "m08"

> GEOSEARCH same FROMLONLAT 10 10 BYRADIUS 1 km COUNT 3 DESC
*3
  "m09"
  "m01"
  "m02"

# --- wrong types ---------------------------------------------------------------------------
> SET str x
+OK

> GEOADD str 1 1 m
-WRONGTYPE Operation against a key holding the wrong kind of value

> GEOPOS str m
-WRONGTYPE Operation against a key holding the wrong kind of value

> GEODIST str a b
-WRONGTYPE Operation against a key holding the wrong kind of value

> GEOHASH str a
-WRONGTYPE Operation against a key holding the wrong kind of value

> GEORADIUS str 1 1 1 km
-WRONGTYPE Operation against a key holding the wrong kind of value

> GEOSEARCH str FROMLONLAT 1 1 BYRADIUS 1 km
-WRONGTYPE Operation against a key holding the wrong kind of value

> GEOSEARCHSTORE dst str FROMLONLAT 1 1 BYRADIUS 1 km
-WRONGTYPE Operation against a key holding the wrong kind of value

> GEORADIUS Sicily 15 37 200 km STORE str
:3

> TYPE str
+zset

# --- RESP3 ---------------------------------------------------------------------------------
@resp3
> GEOPOS Sicily Palermo Nowhere
*2
  *2
    ,13.36138933897018433
    ,38.11555639549629859
  _

> GEODIST Sicily Palermo Catania
"166274.1516"

> GEOHASH Sicily Palermo Nowhere
*2
  "sqc8b49rny0"
  _

> GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ASC WITHCOORD WITHDIST WITHHASH
*3
  *4
    "Catania"
    "56.4413"
    :3479447370796909
    *2
      ,15.08726745843887329
      ,37.50266842333162032
  *4
    "Agrigento"
    "130.4235"
    :3479030013248308
    *2
      ,13.5833314061164856
      ,37.31666804993816555
  *4
    "Palermo"
    "190.4424"
    :3479099956230698
    *2
      ,13.36138933897018433
      ,38.11555639549629859

> GEODIST nokey a b
_
