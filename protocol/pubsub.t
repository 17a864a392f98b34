# Pub/sub: (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PUBLISH, SPUBLISH, PUBSUB, RESP2 subscribed mode.
# Runs against redis-server 7.0.15 and pickledbd (see protocol/README.md for the format).
# One connection only: deliveries between clients and RESP3 pushes are in tests/test_pubsub.py.

# Introspection with nothing subscribed.
> PUBSUB CHANNELS
*0

> PUBSUB CHANNELS *
*0

> PUBSUB NUMSUB
*0

> PUBSUB NUMSUB a b
*4
  "a"
  :0
  "b"
  :0

> PUBSUB NUMPAT
:0

> PUBSUB SHARDCHANNELS
*0

> PUBSUB SHARDNUMSUB s
*2
  "s"
  :0

> pubsub numpat
:0

> PUBLISH nobody hello
:0

> SPUBLISH nobody hello
:0

# Errors: arity, unknown and malformed subcommands.
> PUBSUB
-ERR wrong number of arguments for 'pubsub' command

> PUBSUB foo
-ERR unknown subcommand 'foo'. Try PUBSUB HELP.

> PUBSUB CHANNELS a b
-ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.

> pubsub shardchannels a b
-ERR unknown subcommand or wrong number of arguments for 'shardchannels'. Try PUBSUB HELP.

> PUBSUB NUMPAT x
-ERR wrong number of arguments for 'pubsub|numpat' command

> PUBSUB HELP x
-ERR wrong number of arguments for 'pubsub|help' command

> SUBSCRIBE
-ERR wrong number of arguments for 'subscribe' command

> PSUBSCRIBE
-ERR wrong number of arguments for 'psubscribe' command

> SSUBSCRIBE
-ERR wrong number of arguments for 'ssubscribe' command

> PUBLISH a
-ERR wrong number of arguments for 'publish' command

> PUBLISH a b c
-ERR wrong number of arguments for 'publish' command

> SPUBLISH a
-ERR wrong number of arguments for 'spublish' command

> PUBSUB HELP
*14
  +"PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
  +"CHANNELS [<pattern>]"
  +"    Return the currently active channels matching a <pattern> (default: '*')."
  +"NUMPAT"
  +"    Return number of subscriptions to patterns."
  +"NUMSUB [<channel> ...]"
  +"    Return the number of subscribers for the specified channels, excluding"
  +"    pattern subscriptions(default: no channels)."
  +"SHARDCHANNELS [<pattern>]"
  +"    Return the currently active shard level channels matching a <pattern> (default: '*')."
  +"SHARDNUMSUB [<shardchannel> ...]"
  +"    Return the number of subscribers for the specified shard level channel(s)"
  +"HELP"
  +"    Prints this help."

# Unsubscribing with no subscriptions: one confirmation with a nil name and count 0.
> UNSUBSCRIBE
*3
  "unsubscribe"
  (nil)
  :0

> PUNSUBSCRIBE
*3
  "punsubscribe"
  (nil)
  :0

> SUNSUBSCRIBE
*3
  "sunsubscribe"
  (nil)
  :0

# Named ones that were never subscribed are confirmed all the same.
> UNSUBSCRIBE never
*3
  "unsubscribe"
  "never"
  :0

> PUNSUBSCRIBE nev*
*3
  "punsubscribe"
  "nev*"
  :0

# ... and do not enter subscribed mode.
> GET k
(nil)

# One confirmation per channel, repeats included; the count is channels + patterns.
>> "*4\r\n$9\r\nSUBSCRIBE\r\n$3\r\nch1\r\n$3\r\nch2\r\n$3\r\nch1\r\n"
*3
  "subscribe"
  "ch1"
  :1
*3
  "subscribe"
  "ch2"
  :2
*3
  "subscribe"
  "ch1"
  :2

> PSUBSCRIBE ch*
*3
  "psubscribe"
  "ch*"
  :3

# Shard channels are counted on their own.
>> "*3\r\n$10\r\nSSUBSCRIBE\r\n$2\r\ns1\r\n$2\r\ns2\r\n"
*3
  "ssubscribe"
  "s1"
  :1
*3
  "ssubscribe"
  "s2"
  :2

# RESP2 subscribed mode: only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET.
> GET k
-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context

> PUBLISH ch1 x
-ERR Can't execute 'publish': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context

> PUBSUB NUMSUB ch1
-ERR Can't execute 'pubsub|numsub': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context

> CLIENT ID
-ERR Can't execute 'client|id': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context

> HELLO 3
-ERR Can't execute 'hello': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context

> MULTI
-ERR Can't execute 'multi': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context

# Unknown commands, unknown subcommands and arity are checked first.
> NOSUCHCMD x
-"ERR unknown command 'NOSUCHCMD', with args beginning with: 'x' "

> CLIENT NOSUCH
-ERR unknown subcommand 'NOSUCH'. Try CLIENT HELP.

> GET
-ERR wrong number of arguments for 'get' command

> SUBSCRIBE
-ERR wrong number of arguments for 'subscribe' command

# PING answers as a message in RESP2 subscribed mode.
> PING
*2
  "pong"
  ""

> PING hello
*2
  "pong"
  "hello"

> ping "a\x00b"
*2
  "pong"
  "a\x00b"

> PING a b
-ERR wrong number of arguments for 'ping' command

> UNSUBSCRIBE ch2
*3
  "unsubscribe"
  "ch2"
  :2

>> "*3\r\n$12\r\nSUNSUBSCRIBE\r\n$2\r\ns2\r\n$4\r\nnope\r\n"
*3
  "sunsubscribe"
  "s2"
  :1
*3
  "sunsubscribe"
  "nope"
  :1

> PUNSUBSCRIBE
*3
  "punsubscribe"
  "ch*"
  :1

> UNSUBSCRIBE
*3
  "unsubscribe"
  "ch1"
  :0

# still subscribed to a shard channel: still in subscribed mode
> GET k
-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context

> SUNSUBSCRIBE
*3
  "sunsubscribe"
  "s1"
  :0

> GET k
(nil)

> PING
+PONG

# Binary-safe names.
> SUBSCRIBE "\x00\xff\r\n"
*3
  "subscribe"
  "\x00\xff\r\n"
  :1

> UNSUBSCRIBE "\x00\xff\r\n"
*3
  "unsubscribe"
  "\x00\xff\r\n"
  :0

# RESET leaves subscribed mode without confirmations.
> SUBSCRIBE r1
*3
  "subscribe"
  "r1"
  :1

> PSUBSCRIBE r*
*3
  "psubscribe"
  "r*"
  :2

> RESET
+RESET

> PUBSUB NUMSUB r1
*2
  "r1"
  :0

> PUBSUB NUMPAT
:0

# PUBSUB CHANNELS lists the channels with a subscriber; a pattern filters them (queued in
# MULTI, so that they run while subscribed).
> MULTI
+OK

> SUBSCRIBE news.tech
+QUEUED

> SUBSCRIBE news.art
+QUEUED

> SUBSCRIBE sport
+QUEUED

> SUBSCRIBE ""
+QUEUED

> PUBSUB CHANNELS
+QUEUED

> PUBSUB CHANNELS news.*
+QUEUED

> PUBSUB CHANNELS *
+QUEUED

> PUBSUB CHANNELS [sn]*[th]
+QUEUED

> PUBSUB NUMSUB sport news.art nope
+QUEUED

> PUBSUB SHARDCHANNELS
+QUEUED

# the empty channel is listed, but no pattern matches an empty name (not even *)
> EXEC
*10
  *3
    "subscribe"
    "news.tech"
    :1
  *3
    "subscribe"
    "news.art"
    :2
  *3
    "subscribe"
    "sport"
    :3
  *3
    "subscribe"
    ""
    :4
  *4 unordered
    "news.tech"
    "news.art"
    "sport"
    ""
  *2 unordered
    "news.tech"
    "news.art"
  *3 unordered
    "news.tech"
    "news.art"
    "sport"
  *3 unordered
    "news.tech"
    "news.art"
    "sport"
  *6
    "sport"
    :1
    "news.art"
    :1
    "nope"
    :0
  *0

> RESET
+RESET

> PUBSUB CHANNELS
*0

# MULTI: SUBSCRIBE and PSUBSCRIBE are allowed (confirmations inside EXEC's array),
# SSUBSCRIBE is refused.
> MULTI
+OK

> SUBSCRIBE m1
+QUEUED

> SSUBSCRIBE m2
+QUEUED

> PUBLISH m1 hello
+QUEUED

# the client is subscribed by the time PUBLISH runs: the message is inside the array too
>> "*1\r\n$4\r\nEXEC\r\n"
*3
  *3
    "subscribe"
    "m1"
    :1
  -ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client
  *3
    "message"
    "m1"
    "hello"
:1

> UNSUBSCRIBE
*3
  "unsubscribe"
  "m1"
  :0

> MULTI
+OK

> PSUBSCRIBE p*
+QUEUED

> EXEC
*1
  *3
    "psubscribe"
    "p*"
    :1

> PING
*2
  "pong"
  ""

# QUIT is allowed in subscribed mode and closes the connection.
> QUIT
+OK
(closed)

> PUBSUB NUMPAT
:0
