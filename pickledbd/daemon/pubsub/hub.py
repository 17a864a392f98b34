"""Channels, patterns and shard channels; PUBLISH; keyspace notifications.

The contract the rest of the daemon relies on (server.py wires it, commands/pubsub.py and
RESET/disconnect call it):

- ``publish(channel, message) -> int``: deliver to channel subscribers, then to matching
  pattern subscribers; the number of deliveries (PUBLISH's reply);
- ``spublish(channel, message) -> int``: the same for shard channels (SSUBSCRIBE);
- ``keyspace_event(cls, event, key, db)``: the keyspace's ``notify_sink`` (notifyKeyspaceEvent);
- ``reset_client(ctx)``: RESET and disconnect: drop every subscription of ``ctx``;
- ``channel_count()``, ``pattern_count()``, ``shard_channel_count()``: INFO stats.
"""
from __future__ import annotations


class PubSub:
    def __init__(self, ks, config, clients):
        self.ks = ks
        self.config = config
        self.clients = clients

    def publish(self, channel: str, message: str) -> int:
        return 0

    def spublish(self, channel: str, message: str) -> int:
        return 0

    def keyspace_event(self, cls: int, event: str, key: str, db: int) -> None:
        pass

    def reset_client(self, ctx) -> None:
        pass

    def channel_count(self) -> int:
        return 0

    def pattern_count(self) -> int:
        return 0

    def shard_channel_count(self) -> int:
        return 0
