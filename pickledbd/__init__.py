"""pickledbd: the pickleDB key-value library (and, in submodules, a Redis-protocol daemon).

    from pickledbd import PickleDB
    db = PickleDB("example.json").load()
    db.set("key", "value")
    db.save()

Importing this package does not import the daemon.
"""

from .core import PickleDB
from .errors import CorruptDatabaseError, PickleDBError, SaveError
from .version import __version__
__all__ = ["PickleDB", "PickleDBError", "CorruptDatabaseError", "SaveError", "__version__"]
