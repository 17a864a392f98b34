"""Replication, master side (Redis's replication.c): SYNC / PSYNC full resynchronisation,
then the propagation records of every write as a RESP command stream.

The contract the rest of the daemon relies on (server.py wires it):

- ``feed(records)``: a propagation feed (engine/propagation.py), registered while replicas exist;
- ``forget(ctx)``: a client disconnected (a replica or not);
- ``cron(now)``: called by the server's cron (hz times a second): pings, lag, timeouts;
- ``info()``: the fields of INFO replication, as (name, value) pairs.
"""
from __future__ import annotations


class Replication:
    def __init__(self, ks, config, clients, engine, lifecycle, persistence):
        self.ks = ks
        self.config = config
        self.clients = clients
        self.engine = engine
        self.lifecycle = lifecycle
        self.persistence = persistence

    def feed(self, records: list) -> None:
        pass

    def forget(self, ctx) -> None:
        pass

    def cron(self, now: float) -> None:
        pass

    def info(self) -> list:
        return [
            ("role", "master"),
            ("connected_slaves", 0),
            ("master_failover_state", "no-failover"),
            ("master_replid", self.lifecycle.run_id),
            ("master_replid2", "0" * 40),
            ("master_repl_offset", 0),
            ("second_repl_offset", -1),
            ("repl_backlog_active", 0),
            ("repl_backlog_size", 1048576),
            ("repl_backlog_first_byte_offset", 0),
            ("repl_backlog_histlen", 0),
        ]
