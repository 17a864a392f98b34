# MEMORY (issue 10). MEMORY USAGE is an estimate of what the key costs in Redis 7.0
# (its encodings sized with jemalloc's size classes): exact for strings, listpacks, intsets
# and quicklists; hash tables and skiplists depend on Redis's rehashing state, so those are
# checked within a range.

> MEMORY HELP
*14
  +MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:
  +DOCTOR
  +    Return memory problems reports.
  +MALLOC-STATS
  +    Return internal statistics report from the memory allocator.
  +PURGE
  +    Attempt to purge dirty pages for reclamation by the allocator.
  +STATS
  +    Return information about the memory usage of the server.
  +USAGE <key> [SAMPLES <count>]
  +    Return memory in bytes used by <key> and its value. Nested values are
  +    sampled up to <count> times (default: 5, 0 means sample all).
  +HELP
  +    Prints this help.
> MEMORY
-ERR wrong number of arguments for 'memory' command
> MEMORY FOO
-ERR unknown subcommand 'FOO'. Try MEMORY HELP.
> MEMORY USAGE
-ERR wrong number of arguments for 'memory|usage' command
> MEMORY USAGE nokey
(nil)
> SET s10 xxxxxxxxxx
+OK
> MEMORY USAGE s10
:64
> MEMORY USAGE s10 SAMPLES 0
:64
> MEMORY USAGE s10 SAMPLES 1 SAMPLES 2
:64
> MEMORY USAGE s10 SAMPLES
-ERR syntax error
> MEMORY USAGE s10 SAMPLES -1
-ERR syntax error
> MEMORY USAGE s10 SAMPLES x
-ERR value is not an integer or out of range
> MEMORY USAGE s10 FOO 1
-ERR syntax error
> SET s44 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
+OK
> MEMORY USAGE s44
:96
> SET s45 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
+OK
> MEMORY USAGE s45
:112
> SET i 12345
+OK
> MEMORY USAGE i
:48
> SET i 7
+OK
> MEMORY USAGE i
:48
> HSET h f1 v1 f2 v2 f3 v3
:3
> MEMORY USAGE h
:80
> RPUSH l a b c 1 2 3 hello
:7
> MEMORY USAGE l
:160
> SADD si 1 2 3 100000
:4
> MEMORY USAGE si
:80
> ZADD z 1 a 2.5 b 3 c
:3
> MEMORY USAGE z
:80
> SADD ss a b c d e f g h
:8
> MEMORY USAGE ss
:~300..600
> MEMORY STATS
*?
> MEMORY PURGE
+OK
> MEMORY PURGE x
-ERR wrong number of arguments for 'memory|purge' command
> MEMORY STATS x
-ERR wrong number of arguments for 'memory|stats' command
> MEMORY DOCTOR x
-ERR wrong number of arguments for 'memory|doctor' command
> MEMORY MALLOC-STATS x
-ERR wrong number of arguments for 'memory|malloc-stats' command
> MEMORY HELP x
-ERR wrong number of arguments for 'memory|help' command
> MEMORY DOCTOR
~/(Hi Sam|Sam, I detected).*/
> MEMORY MALLOC-STATS
~/(___ Begin jemalloc statistics ___|Stats not supported).*/

@resp3
> MEMORY USAGE s10
:64

> MEMORY STATS
%?

> MEMORY DOCTOR
=txt ~/(Hi Sam|Sam, I detected).*/
