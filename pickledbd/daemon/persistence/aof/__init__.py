"""Redis 7.0's multi-part append-only file: manifest (manifest.py), the command format and the
base rewrite (format.py), loading (loader.py); the writer and rewrite live beside them."""
from .manifest import (  # noqa: F401
    AofError,
    AofFile,
    Manifest,
    base_name,
    incr_name,
    manifest_name,
    read_manifest,
    write_manifest,
)
