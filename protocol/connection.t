# Connection commands: PING ECHO SELECT HELLO CLIENT AUTH RESET QUIT.
# Runs against redis-server 7.0.15 and pickledbd (see protocol/README.md for the format).

> PING
+PONG

> PING hello
"hello"

> PING "a b\x00c"
"a b\x00c"

> PING a b
-ERR wrong number of arguments for 'ping' command

# Command names are case-insensitive.
> ping
+PONG

> PiNg x
"x"

> ECHO hello
"hello"

> ECHO ""
""

> ECHO "\x00\xff\r\n"
"\x00\xff\r\n"

> ECHO
-ERR wrong number of arguments for 'echo' command

> ECHO a b
-ERR wrong number of arguments for 'echo' command

# SELECT: 16 databases (0..15).
> SELECT 1
+OK

> SET where one
+OK

> GET where
"one"

> SELECT 0
+OK

> GET where
(nil)

> SELECT 15
+OK

> SELECT 16
-ERR DB index is out of range

> SELECT -1
-ERR DB index is out of range

> SELECT foo
-ERR value is not an integer or out of range

> SELECT 1.5
-ERR value is not an integer or out of range

> SELECT
-ERR wrong number of arguments for 'select' command

> SELECT 0 1
-ERR wrong number of arguments for 'select' command

# a failed SELECT keeps the current db
> SELECT 1
+OK

> SELECT 99
-ERR DB index is out of range

> GET where
"one"

> SELECT 0
+OK

# CLIENT SETNAME / GETNAME / ID
> CLIENT GETNAME
(nil)

> CLIENT SETNAME conn-1
+OK

> CLIENT GETNAME
"conn-1"

> CLIENT SETNAME "a b"
-ERR Client names cannot contain spaces, newlines or special characters.

> CLIENT SETNAME "a\nb"
-ERR Client names cannot contain spaces, newlines or special characters.

> CLIENT GETNAME
"conn-1"

> CLIENT SETNAME ""
+OK

> CLIENT GETNAME
(nil)

> CLIENT SETNAME
-ERR wrong number of arguments for 'client|setname' command

> CLIENT SETNAME a b
-ERR wrong number of arguments for 'client|setname' command

> CLIENT GETNAME x
-ERR wrong number of arguments for 'client|getname' command

> CLIENT ID
:~1..

> CLIENT ID x
-ERR wrong number of arguments for 'client|id' command

> client id
:~1..

> CLIENT FOO
-ERR unknown subcommand 'FOO'. Try CLIENT HELP.

> CLIENT
-ERR wrong number of arguments for 'client' command

> CLIENT HELP
*?

# AUTH with no password configured
> AUTH foo
-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?

# the default user has no password: any password is accepted for it
> AUTH default foo
+OK

> AUTH nosuchuser foo
-WRONGPASS invalid username-password pair or user is disabled.

> AUTH
-ERR wrong number of arguments for 'auth' command

> AUTH a b c
-ERR syntax error

# HELLO: server/version differ between implementations.
> HELLO 2
*14
  "server"
  ~/.+/
  "version"
  ~/[0-9]+\.[0-9]+\.[0-9]+/
  "proto"
  :2
  "id"
  :~1..
  "mode"
  "standalone"
  "role"
  "master"
  "modules"
  *0

> HELLO
*14
  "server"
  ~/.+/
  "version"
  ~/[0-9]+\.[0-9]+\.[0-9]+/
  "proto"
  :2
  "id"
  :~1..
  "mode"
  "standalone"
  "role"
  "master"
  "modules"
  *0

@redis-only
> HELLO 2
*14
  "server"
  "redis"
  "version"
  "7.0.15"
  "proto"
  :2
  "id"
  :~1..
  "mode"
  "standalone"
  "role"
  "master"
  "modules"
  *0

> HELLO 4
-NOPROTO unsupported protocol version

> HELLO 1
-NOPROTO unsupported protocol version

> HELLO 0
-NOPROTO unsupported protocol version

> HELLO foo
-ERR Protocol version is not an integer or out of range

> HELLO 3 AUTH nosuchuser foo
-WRONGPASS invalid username-password pair or user is disabled.

> HELLO 3 AUTH default
-ERR Syntax error in HELLO option 'AUTH'

> HELLO 3 SETNAME
-ERR Syntax error in HELLO option 'SETNAME'

> HELLO 3 FOO
-ERR Syntax error in HELLO option 'FOO'

> HELLO 2 SETNAME "bad name"
-ERR Client names cannot contain spaces, newlines or special characters.

# failed HELLOs do not switch protocol
> CLIENT GETNAME
(nil)

> HELLO 2 SETNAME hello-name
*?

> CLIENT GETNAME
"hello-name"

> HELLO 3
%7
  "server"
  ~/.+/
  "version"
  ~/[0-9]+\.[0-9]+\.[0-9]+/
  "proto"
  :3
  "id"
  :~1..
  "mode"
  "standalone"
  "role"
  "master"
  "modules"
  *0

# now RESP3: null is _
> GET nosuchkey
_

> CLIENT GETNAME
"hello-name"

> HELLO 3 SETNAME other
%?

> CLIENT GETNAME
"other"

> HELLO 2
*?

> GET nosuchkey
(nil)

# RESET: back to RESP2, db 0, no name
> HELLO 3
%?

> SELECT 1
+OK

> RESET
+RESET

> GET where
(nil)

> CLIENT GETNAME
(nil)

> SELECT 1
+OK

> GET where
"one"

> RESET
+RESET

> RESET x
-ERR wrong number of arguments for 'reset' command

# QUIT replies +OK and closes the connection (runner reconnects: RESP2, db 0)
> SELECT 1
+OK

> QUIT
+OK
(closed)

> GET where
(nil)
