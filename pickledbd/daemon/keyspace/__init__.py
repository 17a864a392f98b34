"""The typed keyspace (layer 2): Redis types over the library's data, expiry, change signals."""
from .database import (MISSING, STRING_TYPES, TYPE_NAMES, Database, Keyspace, as_str, byte_len,  # noqa: F401
                       from_bytes, now_ms, to_bytes, type_name)
from ..errors import WRONGTYPE  # noqa: F401
