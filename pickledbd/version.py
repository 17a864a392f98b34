"""Version numbers: the package's, and the Redis version the daemon reports (INFO, HELLO)."""

__version__ = "0.1.0"
REDIS_VERSION = "7.2.4"   # the Redis we are compatible with
