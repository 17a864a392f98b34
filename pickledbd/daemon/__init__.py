"""The Redis-protocol daemon (nothing here is imported by the library)."""
