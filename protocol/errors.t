# Error replies (issues 3 and 4): unknown commands, unknown subcommands, arity errors,
# WRONGTYPE. Arity errors name the command in lower case (subcommands as 'parent|sub'),
# whatever case was sent; unknown-command errors echo the name as sent.

# --- unknown commands -----------------------------------------------------------------
# The args preview quotes each argument and ends with a space; it stops adding arguments
# once it reaches 128 bytes (and truncates the argument that crosses that limit).
> FOO
-"ERR unknown command 'FOO', with args beginning with: "

> foo a b
-"ERR unknown command 'foo', with args beginning with: 'a' 'b' "

> NOSUCHCOMMAND 1 2 3
-"ERR unknown command 'NOSUCHCOMMAND', with args beginning with: '1' '2' '3' "

> FOO a b c d e f g h i j k l m n o p q r s t u v w x y z aa bb cc dd ee ff gg hh ii jj
-"ERR unknown command 'FOO', with args beginning with: 'a' 'b' 'c' 'd' 'e' 'f' 'g' 'h' 'i' 'j' 'k' 'l' 'm' 'n' 'o' 'p' 'q' 'r' 's' 't' 'u' 'v' 'w' 'x' 'y' 'z' 'aa' 'bb' 'cc' 'dd' 'ee' "

> FOO aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa b
-"ERR unknown command 'FOO', with args beginning with: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' "

> FOO 0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 0123456789 0123456789
-"ERR unknown command 'FOO', with args beginning with: '0123456789' '0123456789' '0123456789' '0123456789' '0123456789' '0123456789' '0123456789' '0123456789' '0123456789' '0123456789' "

> ""
-"ERR unknown command '', with args beginning with: "

> "" a
-"ERR unknown command '', with args beginning with: 'a' "

> "GET " k
-"ERR unknown command 'GET ', with args beginning with: 'k' "

> " GET" k
-"ERR unknown command ' GET', with args beginning with: 'k' "

> "GE" k
-"ERR unknown command 'GE', with args beginning with: 'k' "

> "GETX" k
-"ERR unknown command 'GETX', with args beginning with: 'k' "

> "FOO" "a b" "it's"
-"ERR unknown command 'FOO', with args beginning with: 'a b' 'it's' "

# CR and LF in an error message are replaced by spaces
> FOO "a\r\nb" c
-"ERR unknown command 'FOO', with args beginning with: 'a  b' 'c' "

> "FOO\nBAR" x
-"ERR unknown command 'FOO BAR', with args beginning with: 'x' "

> FOO "\xff\xfe"
-"ERR unknown command 'FOO', with args beginning with: '\xff\xfe' "

# the connection is still usable
> PING
+PONG

# --- unknown subcommands ---------------------------------------------------------------
> CLIENT FOO
-ERR unknown subcommand 'FOO'. Try CLIENT HELP.

> CLIENT foo bar
-ERR unknown subcommand 'foo'. Try CLIENT HELP.

> OBJECT FOO
-ERR unknown subcommand 'FOO'. Try OBJECT HELP.

> OBJECT foo key
-ERR unknown subcommand 'foo'. Try OBJECT HELP.

> COMMAND FOO
-ERR unknown subcommand 'FOO'. Try COMMAND HELP.

> CONFIG FOO
-ERR unknown subcommand 'FOO'. Try CONFIG HELP.

> CONFIG foo bar baz
-ERR unknown subcommand 'foo'. Try CONFIG HELP.

> CLIENT "ID "
-ERR unknown subcommand 'ID '. Try CLIENT HELP.

# a container command name with '|' is not a command
> "CLIENT|ID"
-"ERR unknown command 'CLIENT|ID', with args beginning with: "

> "client|setname" a
-"ERR unknown command 'client|setname', with args beginning with: 'a' "

# --- subcommand arity -------------------------------------------------------------------
> CLIENT SETNAME
-ERR wrong number of arguments for 'client|setname' command

> CLIENT GETNAME x
-ERR wrong number of arguments for 'client|getname' command

> CLIENT ID x
-ERR wrong number of arguments for 'client|id' command

> CONFIG GET
-ERR wrong number of arguments for 'config|get' command

> CONFIG SET a
-ERR wrong number of arguments for 'config|set' command

> CONFIG RESETSTAT x
-ERR wrong number of arguments for 'config|resetstat' command

> OBJECT ENCODING
-ERR wrong number of arguments for 'object|encoding' command

> OBJECT REFCOUNT a b
-ERR wrong number of arguments for 'object|refcount' command

> COMMAND COUNT a
-ERR wrong number of arguments for 'command|count' command

> COMMAND GETKEYS
-ERR wrong number of arguments for 'command|getkeys' command

> COMMAND GETKEYS get
-ERR wrong number of arguments for 'command|getkeys' command

> CLIENT
-ERR wrong number of arguments for 'client' command

> OBJECT
-ERR wrong number of arguments for 'object' command

> CONFIG
-ERR wrong number of arguments for 'config' command

# --- WRONGTYPE ------------------------------------------------------------------------
> SET s v
+OK

> RPUSH l a
:1

> HSET h f v
:1

> SADD set m
:1

> ZADD z 1 m
:1

> GET l
-WRONGTYPE Operation against a key holding the wrong kind of value

> GET h
-WRONGTYPE Operation against a key holding the wrong kind of value

> GET set
-WRONGTYPE Operation against a key holding the wrong kind of value

> GET z
-WRONGTYPE Operation against a key holding the wrong kind of value

> APPEND l x
-WRONGTYPE Operation against a key holding the wrong kind of value

> INCR h
-WRONGTYPE Operation against a key holding the wrong kind of value

> LPUSH s x
-WRONGTYPE Operation against a key holding the wrong kind of value

> LLEN h
-WRONGTYPE Operation against a key holding the wrong kind of value

> LRANGE set 0 -1
-WRONGTYPE Operation against a key holding the wrong kind of value

> HGET s f
-WRONGTYPE Operation against a key holding the wrong kind of value

> HSET l f v
-WRONGTYPE Operation against a key holding the wrong kind of value

> HGETALL z
-WRONGTYPE Operation against a key holding the wrong kind of value

> SADD h x
-WRONGTYPE Operation against a key holding the wrong kind of value

> SMEMBERS l
-WRONGTYPE Operation against a key holding the wrong kind of value

> SCARD z
-WRONGTYPE Operation against a key holding the wrong kind of value

> ZADD s 1 m
-WRONGTYPE Operation against a key holding the wrong kind of value

> ZRANGE h 0 -1
-WRONGTYPE Operation against a key holding the wrong kind of value

> ZCARD set
-WRONGTYPE Operation against a key holding the wrong kind of value

> STRLEN z
-WRONGTYPE Operation against a key holding the wrong kind of value

> SINTER set l
-WRONGTYPE Operation against a key holding the wrong kind of value

> SUNION set s
-WRONGTYPE Operation against a key holding the wrong kind of value

> ZUNION 2 z l
-WRONGTYPE Operation against a key holding the wrong kind of value

> LMOVE s l LEFT LEFT
-WRONGTYPE Operation against a key holding the wrong kind of value

> SMOVE set s m
-WRONGTYPE Operation against a key holding the wrong kind of value

# non-type-specific commands work on every type
> TYPE l
+list

> DEL l h set z s
:5

> EXISTS l
:0

# --- arity errors -----------------------------------------------------------------------

> ECHO
-ERR wrong number of arguments for 'echo' command

> ECHO a b
-ERR wrong number of arguments for 'echo' command

> SELECT
-ERR wrong number of arguments for 'select' command

> SELECT a b
-ERR wrong number of arguments for 'select' command

> AUTH
-ERR wrong number of arguments for 'auth' command

> RESET a
-ERR wrong number of arguments for 'reset' command

> GET
-ERR wrong number of arguments for 'get' command

> GET a b
-ERR wrong number of arguments for 'get' command

> SET a
-ERR wrong number of arguments for 'set' command

> SETNX a
-ERR wrong number of arguments for 'setnx' command

> SETNX a b c
-ERR wrong number of arguments for 'setnx' command

> SETEX a b
-ERR wrong number of arguments for 'setex' command

> SETEX a b c d
-ERR wrong number of arguments for 'setex' command

> PSETEX a b
-ERR wrong number of arguments for 'psetex' command

> PSETEX a b c d
-ERR wrong number of arguments for 'psetex' command

> MGET
-ERR wrong number of arguments for 'mget' command

> MSET a
-ERR wrong number of arguments for 'mset' command

> MSETNX a
-ERR wrong number of arguments for 'msetnx' command

> GETSET a
-ERR wrong number of arguments for 'getset' command

> GETSET a b c
-ERR wrong number of arguments for 'getset' command

> GETDEL
-ERR wrong number of arguments for 'getdel' command

> GETDEL a b
-ERR wrong number of arguments for 'getdel' command

> GETEX
-ERR wrong number of arguments for 'getex' command

> APPEND a
-ERR wrong number of arguments for 'append' command

> APPEND a b c
-ERR wrong number of arguments for 'append' command

> STRLEN
-ERR wrong number of arguments for 'strlen' command

> STRLEN a b
-ERR wrong number of arguments for 'strlen' command

> GETRANGE a b
-ERR wrong number of arguments for 'getrange' command

> GETRANGE a b c d
-ERR wrong number of arguments for 'getrange' command

> SUBSTR a b
-ERR wrong number of arguments for 'substr' command

> SUBSTR a b c d
-ERR wrong number of arguments for 'substr' command

> SETRANGE a b
-ERR wrong number of arguments for 'setrange' command

> SETRANGE a b c d
-ERR wrong number of arguments for 'setrange' command

> INCR
-ERR wrong number of arguments for 'incr' command

> INCR a b
-ERR wrong number of arguments for 'incr' command

> DECR
-ERR wrong number of arguments for 'decr' command

> DECR a b
-ERR wrong number of arguments for 'decr' command

> INCRBY a
-ERR wrong number of arguments for 'incrby' command

> INCRBY a b c
-ERR wrong number of arguments for 'incrby' command

> DECRBY a
-ERR wrong number of arguments for 'decrby' command

> DECRBY a b c
-ERR wrong number of arguments for 'decrby' command

> INCRBYFLOAT a
-ERR wrong number of arguments for 'incrbyfloat' command

> INCRBYFLOAT a b c
-ERR wrong number of arguments for 'incrbyfloat' command

> LCS a
-ERR wrong number of arguments for 'lcs' command

> DEL
-ERR wrong number of arguments for 'del' command

> UNLINK
-ERR wrong number of arguments for 'unlink' command

> EXISTS
-ERR wrong number of arguments for 'exists' command

> TYPE
-ERR wrong number of arguments for 'type' command

> TYPE a b
-ERR wrong number of arguments for 'type' command

> KEYS
-ERR wrong number of arguments for 'keys' command

> KEYS a b
-ERR wrong number of arguments for 'keys' command

> SCAN
-ERR wrong number of arguments for 'scan' command

> RANDOMKEY a
-ERR wrong number of arguments for 'randomkey' command

> RENAME a
-ERR wrong number of arguments for 'rename' command

> RENAME a b c
-ERR wrong number of arguments for 'rename' command

> RENAMENX a
-ERR wrong number of arguments for 'renamenx' command

> RENAMENX a b c
-ERR wrong number of arguments for 'renamenx' command

> COPY a
-ERR wrong number of arguments for 'copy' command

> MOVE a
-ERR wrong number of arguments for 'move' command

> MOVE a b c
-ERR wrong number of arguments for 'move' command

> EXPIRE a
-ERR wrong number of arguments for 'expire' command

> PEXPIRE a
-ERR wrong number of arguments for 'pexpire' command

> EXPIREAT a
-ERR wrong number of arguments for 'expireat' command

> PEXPIREAT a
-ERR wrong number of arguments for 'pexpireat' command

> TTL
-ERR wrong number of arguments for 'ttl' command

> TTL a b
-ERR wrong number of arguments for 'ttl' command

> PTTL
-ERR wrong number of arguments for 'pttl' command

> PTTL a b
-ERR wrong number of arguments for 'pttl' command

> EXPIRETIME
-ERR wrong number of arguments for 'expiretime' command

> EXPIRETIME a b
-ERR wrong number of arguments for 'expiretime' command

> PEXPIRETIME
-ERR wrong number of arguments for 'pexpiretime' command

> PEXPIRETIME a b
-ERR wrong number of arguments for 'pexpiretime' command

> PERSIST
-ERR wrong number of arguments for 'persist' command

> PERSIST a b
-ERR wrong number of arguments for 'persist' command

> TOUCH
-ERR wrong number of arguments for 'touch' command

> OBJECT
-ERR wrong number of arguments for 'object' command

> DBSIZE a
-ERR wrong number of arguments for 'dbsize' command

> SWAPDB a
-ERR wrong number of arguments for 'swapdb' command

> SWAPDB a b c
-ERR wrong number of arguments for 'swapdb' command

> TIME a
-ERR wrong number of arguments for 'time' command

> CONFIG
-ERR wrong number of arguments for 'config' command

> LASTSAVE a
-ERR wrong number of arguments for 'lastsave' command

> SAVE a
-ERR wrong number of arguments for 'save' command

> HSET a b
-ERR wrong number of arguments for 'hset' command

> HSETNX a b
-ERR wrong number of arguments for 'hsetnx' command

> HSETNX a b c d
-ERR wrong number of arguments for 'hsetnx' command

> HGET a
-ERR wrong number of arguments for 'hget' command

> HGET a b c
-ERR wrong number of arguments for 'hget' command

> HMGET a
-ERR wrong number of arguments for 'hmget' command

> HMSET a b
-ERR wrong number of arguments for 'hmset' command

> HGETALL
-ERR wrong number of arguments for 'hgetall' command

> HGETALL a b
-ERR wrong number of arguments for 'hgetall' command

> HDEL a
-ERR wrong number of arguments for 'hdel' command

> HEXISTS a
-ERR wrong number of arguments for 'hexists' command

> HEXISTS a b c
-ERR wrong number of arguments for 'hexists' command

> HLEN
-ERR wrong number of arguments for 'hlen' command

> HLEN a b
-ERR wrong number of arguments for 'hlen' command

> HSTRLEN a
-ERR wrong number of arguments for 'hstrlen' command

> HSTRLEN a b c
-ERR wrong number of arguments for 'hstrlen' command

> HKEYS
-ERR wrong number of arguments for 'hkeys' command

> HKEYS a b
-ERR wrong number of arguments for 'hkeys' command

> HVALS
-ERR wrong number of arguments for 'hvals' command

> HVALS a b
-ERR wrong number of arguments for 'hvals' command

> HINCRBY a b
-ERR wrong number of arguments for 'hincrby' command

> HINCRBY a b c d
-ERR wrong number of arguments for 'hincrby' command

> HINCRBYFLOAT a b
-ERR wrong number of arguments for 'hincrbyfloat' command

> HINCRBYFLOAT a b c d
-ERR wrong number of arguments for 'hincrbyfloat' command

> HRANDFIELD
-ERR wrong number of arguments for 'hrandfield' command

> HSCAN a
-ERR wrong number of arguments for 'hscan' command

> LPUSH a
-ERR wrong number of arguments for 'lpush' command

> RPUSH a
-ERR wrong number of arguments for 'rpush' command

> LPUSHX a
-ERR wrong number of arguments for 'lpushx' command

> RPUSHX a
-ERR wrong number of arguments for 'rpushx' command

> LPOP
-ERR wrong number of arguments for 'lpop' command

> RPOP
-ERR wrong number of arguments for 'rpop' command

> LLEN
-ERR wrong number of arguments for 'llen' command

> LLEN a b
-ERR wrong number of arguments for 'llen' command

> LRANGE a b
-ERR wrong number of arguments for 'lrange' command

> LRANGE a b c d
-ERR wrong number of arguments for 'lrange' command

> LINDEX a
-ERR wrong number of arguments for 'lindex' command

> LINDEX a b c
-ERR wrong number of arguments for 'lindex' command

> LSET a b
-ERR wrong number of arguments for 'lset' command

> LSET a b c d
-ERR wrong number of arguments for 'lset' command

> LINSERT a b c
-ERR wrong number of arguments for 'linsert' command

> LINSERT a b c d e
-ERR wrong number of arguments for 'linsert' command

> LREM a b
-ERR wrong number of arguments for 'lrem' command

> LREM a b c d
-ERR wrong number of arguments for 'lrem' command

> LTRIM a b
-ERR wrong number of arguments for 'ltrim' command

> LTRIM a b c d
-ERR wrong number of arguments for 'ltrim' command

> LPOS a
-ERR wrong number of arguments for 'lpos' command

> LMOVE a b c
-ERR wrong number of arguments for 'lmove' command

> LMOVE a b c d e
-ERR wrong number of arguments for 'lmove' command

> RPOPLPUSH a
-ERR wrong number of arguments for 'rpoplpush' command

> RPOPLPUSH a b c
-ERR wrong number of arguments for 'rpoplpush' command

> LMPOP a b
-ERR wrong number of arguments for 'lmpop' command

> BLPOP a
-ERR wrong number of arguments for 'blpop' command

> BRPOP a
-ERR wrong number of arguments for 'brpop' command

> BLMOVE a b c d
-ERR wrong number of arguments for 'blmove' command

> BLMOVE a b c d e f
-ERR wrong number of arguments for 'blmove' command

> BRPOPLPUSH a b
-ERR wrong number of arguments for 'brpoplpush' command

> BRPOPLPUSH a b c d
-ERR wrong number of arguments for 'brpoplpush' command

> BLMPOP a b c
-ERR wrong number of arguments for 'blmpop' command

> SADD a
-ERR wrong number of arguments for 'sadd' command

> SREM a
-ERR wrong number of arguments for 'srem' command

> SMEMBERS
-ERR wrong number of arguments for 'smembers' command

> SMEMBERS a b
-ERR wrong number of arguments for 'smembers' command

> SISMEMBER a
-ERR wrong number of arguments for 'sismember' command

> SISMEMBER a b c
-ERR wrong number of arguments for 'sismember' command

> SMISMEMBER a
-ERR wrong number of arguments for 'smismember' command

> SCARD
-ERR wrong number of arguments for 'scard' command

> SCARD a b
-ERR wrong number of arguments for 'scard' command

> SPOP
-ERR wrong number of arguments for 'spop' command

> SRANDMEMBER
-ERR wrong number of arguments for 'srandmember' command

> SMOVE a b
-ERR wrong number of arguments for 'smove' command

> SMOVE a b c d
-ERR wrong number of arguments for 'smove' command

> SINTER
-ERR wrong number of arguments for 'sinter' command

> SINTERCARD a
-ERR wrong number of arguments for 'sintercard' command

> SINTERSTORE a
-ERR wrong number of arguments for 'sinterstore' command

> SUNION
-ERR wrong number of arguments for 'sunion' command

> SUNIONSTORE a
-ERR wrong number of arguments for 'sunionstore' command

> SDIFF
-ERR wrong number of arguments for 'sdiff' command

> SDIFFSTORE a
-ERR wrong number of arguments for 'sdiffstore' command

> SSCAN a
-ERR wrong number of arguments for 'sscan' command

> ZADD a b
-ERR wrong number of arguments for 'zadd' command

> ZINCRBY a b
-ERR wrong number of arguments for 'zincrby' command

> ZINCRBY a b c d
-ERR wrong number of arguments for 'zincrby' command

> ZSCORE a
-ERR wrong number of arguments for 'zscore' command

> ZSCORE a b c
-ERR wrong number of arguments for 'zscore' command

> ZMSCORE a
-ERR wrong number of arguments for 'zmscore' command

> ZCARD
-ERR wrong number of arguments for 'zcard' command

> ZCARD a b
-ERR wrong number of arguments for 'zcard' command

> ZCOUNT a b
-ERR wrong number of arguments for 'zcount' command

> ZCOUNT a b c d
-ERR wrong number of arguments for 'zcount' command

> ZLEXCOUNT a b
-ERR wrong number of arguments for 'zlexcount' command

> ZLEXCOUNT a b c d
-ERR wrong number of arguments for 'zlexcount' command

> ZRANGE a b
-ERR wrong number of arguments for 'zrange' command

> ZRANGESTORE a b c
-ERR wrong number of arguments for 'zrangestore' command

> ZRANGEBYSCORE a b
-ERR wrong number of arguments for 'zrangebyscore' command

> ZREVRANGEBYSCORE a b
-ERR wrong number of arguments for 'zrevrangebyscore' command

> ZRANGEBYLEX a b
-ERR wrong number of arguments for 'zrangebylex' command

> ZREVRANGEBYLEX a b
-ERR wrong number of arguments for 'zrevrangebylex' command

> ZREVRANGE a b
-ERR wrong number of arguments for 'zrevrange' command

> ZRANK a
-ERR wrong number of arguments for 'zrank' command

# 7.2 (which pickledbd follows) takes a 3rd argument, WITHSCORE; anything else is a syntax error
@redis-only
> ZRANK a b c
-ERR wrong number of arguments for 'zrank' command

@pickledbd-only
> ZRANK a b c
-ERR syntax error

> ZREVRANK a
-ERR wrong number of arguments for 'zrevrank' command

# 7.2 (which pickledbd follows) takes a 3rd argument, WITHSCORE; anything else is a syntax error
@redis-only
> ZREVRANK a b c
-ERR wrong number of arguments for 'zrevrank' command

@pickledbd-only
> ZREVRANK a b c
-ERR syntax error

> ZREM a
-ERR wrong number of arguments for 'zrem' command

> ZREMRANGEBYSCORE a b
-ERR wrong number of arguments for 'zremrangebyscore' command

> ZREMRANGEBYSCORE a b c d
-ERR wrong number of arguments for 'zremrangebyscore' command

> ZREMRANGEBYRANK a b
-ERR wrong number of arguments for 'zremrangebyrank' command

> ZREMRANGEBYRANK a b c d
-ERR wrong number of arguments for 'zremrangebyrank' command

> ZREMRANGEBYLEX a b
-ERR wrong number of arguments for 'zremrangebylex' command

> ZREMRANGEBYLEX a b c d
-ERR wrong number of arguments for 'zremrangebylex' command

> ZPOPMIN
-ERR wrong number of arguments for 'zpopmin' command

> ZPOPMAX
-ERR wrong number of arguments for 'zpopmax' command

> ZMPOP a b
-ERR wrong number of arguments for 'zmpop' command

> BZPOPMIN a
-ERR wrong number of arguments for 'bzpopmin' command

> BZPOPMAX a
-ERR wrong number of arguments for 'bzpopmax' command

> BZMPOP a b c
-ERR wrong number of arguments for 'bzmpop' command

> ZRANDMEMBER
-ERR wrong number of arguments for 'zrandmember' command

> ZUNION a
-ERR wrong number of arguments for 'zunion' command

> ZINTER a
-ERR wrong number of arguments for 'zinter' command

> ZDIFF a
-ERR wrong number of arguments for 'zdiff' command

> ZUNIONSTORE a b
-ERR wrong number of arguments for 'zunionstore' command

> ZINTERSTORE a b
-ERR wrong number of arguments for 'zinterstore' command

> ZDIFFSTORE a b
-ERR wrong number of arguments for 'zdiffstore' command

> ZINTERCARD a
-ERR wrong number of arguments for 'zintercard' command

> ZSCAN a
-ERR wrong number of arguments for 'zscan' command

# the command name in the message is cut at 128 bytes
> aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaabbbbbbbbbb x
-"ERR unknown command 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', with args beginning with: 'x' "
