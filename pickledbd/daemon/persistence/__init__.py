"""Persistence services: snapshots, RDB payloads, the append-only file."""
