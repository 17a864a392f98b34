"""Channels, patterns and shard channels; PUBLISH; keyspace notifications.

The contract the rest of the daemon relies on (server.py wires it, commands/pubsub.py and
RESET/disconnect call it):

- ``publish(channel, message) -> int``: deliver to channel subscribers, then to matching
  pattern subscribers; the number of deliveries (PUBLISH's reply);
- ``spublish(channel, message) -> int``: the same for shard channels (SSUBSCRIBE);
- ``keyspace_event(cls, event, key, db)``: the keyspace's ``notify_sink`` (notifyKeyspaceEvent);
- ``reset_client(ctx)``: RESET and disconnect: drop every subscription of ``ctx``;
- ``channel_count()``, ``pattern_count()``, ``shard_channel_count()``: INFO stats.

For the commands (commands/pubsub.py): ``subscribe``/``unsubscribe`` (channels, patterns or
shard channels: ``kind`` is "subscribe", "psubscribe" or "ssubscribe") return the encoded
confirmations, one per name as Redis 7.0 sends them; ``publish_reply`` is PUBLISH/SPUBLISH's
whole reply for the publisher; ``channel_names`` and ``subscriber_count`` answer PUBSUB.

Delivery: each message is encoded once per protocol version (RESP2 and RESP3 frames differ
only in their first byte) and the same bytes object is queued on every subscriber's output
queue, behind what is already there (``engine.context.push_to_all``: ``Context.write``
for many clients at once, which checks the output limit per 16 KB queued rather than per
message), so a fan-out costs about one list append per subscriber. A publisher that receives its own message (a RESP3 subscriber, or
SUBSCRIBE inside MULTI) gets it inside its reply instead, so it sits where Redis puts it:
before the PUBLISH reply, and inside EXEC's array.
"""
from __future__ import annotations

from ..engine.context import push_to_all
from ..globmatch import matcher
from ..keyspace import events

CHANNELS, PATTERNS, SHARD = "subscribe", "psubscribe", "ssubscribe"
_UNSUB = {CHANNELS: b"$11\r\nunsubscribe\r\n", PATTERNS: b"$12\r\npunsubscribe\r\n",
          SHARD: b"$12\r\nsunsubscribe\r\n"}
_SUB = {CHANNELS: b"$9\r\nsubscribe\r\n", PATTERNS: b"$10\r\npsubscribe\r\n",
        SHARD: b"$10\r\nssubscribe\r\n"}
_HEAD3 = {2: b"*3\r\n", 3: b">3\r\n"}
# RESP2 frames; the RESP3 push differs only in its first byte (">")
_MESSAGE = b"*3\r\n$7\r\nmessage\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n"
_SMESSAGE = b"*3\r\n$8\r\nsmessage\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n"
_PMESSAGE = b"*4\r\n$8\r\npmessage\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n"
_NULL = {2: b"$-1\r\n", 3: b"_\r\n"}


def _bulk(s: str) -> bytes:
    e = s.encode("utf-8", "surrogateescape")
    return b"$%d\r\n%s\r\n" % (len(e), e)


class PubSub:
    def __init__(self, ks, config, clients):
        self.ks = ks
        self.config = config
        self.clients = clients
        self.channels: dict = {}          # channel -> {ctx: None} (subscription order)
        self.patterns: dict = {}          # pattern -> (match fn compiled once, {ctx: None})
        self.shard_channels: dict = {}    # shard channel -> {ctx: None}

    # ------------------------------------------------------------------ publishing
    def publish(self, channel: str, message: str) -> int:
        return self._publish(channel, message, False, None, None)

    def spublish(self, channel: str, message: str) -> int:
        return self._publish(channel, message, True, None, None)

    def publish_reply(self, c, channel: str, message: str, shard: bool = False) -> bytes:
        """PUBLISH/SPUBLISH's reply for ``c``: its own copies of the message, then the count."""
        if not (c.subscriptions or c.psubscriptions or c.ssubscriptions):
            return b":%d\r\n" % self._publish(channel, message, shard, None, None)
        own: list = []
        own.append(b":%d\r\n" % self._publish(channel, message, shard, c, own))
        return b"".join(own)

    def _publish(self, channel: str, message: str, shard: bool, sender, own) -> int:
        n = 0
        ch = msg = None
        subs = (self.shard_channels if shard else self.channels).get(channel)
        if subs:
            ch = channel.encode("utf-8", "surrogateescape")
            msg = message.encode("utf-8", "surrogateescape")
            n = push_to_all(subs, (_SMESSAGE if shard else _MESSAGE) % (len(ch), ch, len(msg), msg),
                         sender, own)
        if self.patterns and not shard:
            for pattern, (match, psubs) in list(self.patterns.items()):
                if match(channel):
                    if ch is None:
                        ch = channel.encode("utf-8", "surrogateescape")
                        msg = message.encode("utf-8", "surrogateescape")
                    pat = pattern.encode("utf-8", "surrogateescape")
                    n += push_to_all(psubs, _PMESSAGE % (len(pat), pat, len(ch), ch, len(msg), msg),
                                  sender, own)
        return n

    def keyspace_event(self, cls: int, event: str, key: str, db: int) -> None:
        """notifyKeyspaceEvent: the class was checked by the keyspace; K and E pick the channels."""
        if not (self.channels or self.patterns):
            return               # nobody could receive it
        flags = self.ks.notify_mask
        if flags & events.KEYSPACE:
            self._publish("__keyspace@%d__:%s" % (db, key), event, False, None, None)
        if flags & events.KEYEVENT:
            self._publish("__keyevent@%d__:%s" % (db, event), key, False, None, None)

    # ------------------------------------------------------------------ subscriptions
    def subscribe(self, c, names: list, kind: str) -> bytes:
        """SUBSCRIBE / PSUBSCRIBE / SSUBSCRIBE: one confirmation per name (repeats included)."""
        mine, table = self._tables(c, kind)
        head = _HEAD3[c.resp] + _SUB[kind]
        out = []
        for name in names:
            if name not in mine:
                mine[name] = None
                entry = table.get(name)
                if entry is None:
                    if kind == PATTERNS:
                        entry = table[name] = (matcher(name), {})
                    else:
                        entry = table[name] = {}
                (entry[1] if kind == PATTERNS else entry)[c] = None
            out.append(b"%s%s:%d\r\n" % (head, _bulk(name), _count(c, kind)))
        c.update_special()
        return b"".join(out)

    def unsubscribe(self, c, names: list, kind: str) -> bytes:
        """(P|S)UNSUBSCRIBE: one confirmation per name; with no names, every subscription of
        that kind, or one ``nil`` confirmation when there is none."""
        mine, _ = self._tables(c, kind)
        head = _HEAD3[c.resp] + _UNSUB[kind]
        out = []
        if not names:
            names = list(mine)
            if not names:
                out.append(b"%s%s:%d\r\n" % (head, _NULL[c.resp], _count(c, kind)))
        for name in names:
            self._drop(c, name, kind)
            out.append(b"%s%s:%d\r\n" % (head, _bulk(name), _count(c, kind)))
        c.update_special()
        return b"".join(out)

    def reset_client(self, ctx) -> None:
        """RESET, QUIT, CLIENT KILL, disconnect: no confirmations (Redis's notify=0)."""
        for kind in (CHANNELS, PATTERNS, SHARD):
            for name in list(self._tables(ctx, kind)[0]):
                self._drop(ctx, name, kind)
        ctx.update_special()

    def _tables(self, c, kind: str):
        if kind == CHANNELS:
            return c.subscriptions, self.channels
        if kind == PATTERNS:
            return c.psubscriptions, self.patterns
        return c.ssubscriptions, self.shard_channels

    def _drop(self, c, name: str, kind: str) -> None:
        mine, table = self._tables(c, kind)
        if name not in mine:
            return
        del mine[name]
        entry = table[name]
        subs = entry[1] if kind == PATTERNS else entry
        del subs[c]
        if not subs:         # an unused channel costs nothing (as Redis frees it)
            del table[name]

    # ------------------------------------------------------------------ introspection
    def channel_count(self) -> int:
        return len(self.channels)

    def pattern_count(self) -> int:
        return len(self.patterns)

    def shard_channel_count(self) -> int:
        return len(self.shard_channels)

    def channel_names(self, pattern: str | None, shard: bool = False) -> list:
        names = self.shard_channels if shard else self.channels
        if pattern is None:
            return list(names)
        match = matcher(pattern)
        return [ch for ch in names if match(ch)]

    def subscriber_count(self, channel: str, shard: bool = False) -> int:
        return len((self.shard_channels if shard else self.channels).get(channel, ()))


def _count(c, kind: str) -> int:
    """The count a confirmation carries: channels + patterns, or shard channels alone."""
    if kind == SHARD:
        return len(c.ssubscriptions)
    return len(c.subscriptions) + len(c.psubscriptions)
