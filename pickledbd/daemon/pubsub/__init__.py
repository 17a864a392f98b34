"""Pub/sub (Redis's pubsub.c and notify.c) and client-side caching (tracking.c).

- ``hub.PubSub``: channels, patterns and shard channels, PUBLISH delivery in RESP2/RESP3,
  and keyspace notifications (it is the keyspace's ``notify_sink``);
- ``tracking.Tracking``: CLIENT TRACKING's tables and invalidation messages (it is the
  keyspace's ``tracking`` hook while any client tracks).

Messages go to a subscriber through its Context's output (``Context.write``), so they leave
in order with its replies, at the one flush point, under its output buffer limits.
"""
