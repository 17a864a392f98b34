"""Crash-safe replacement of a whole file."""

from __future__ import annotations

import os
import secrets

from ..errors import SaveError

TEMP_SUFFIX = ".pdbtmp"


def temp_name(path: str) -> str:
    """A unique sibling name; hidden, tagged with our pid so a leftover can be cleaned up."""
    d, base = os.path.split(path)
    return os.path.join(d, f".{base}.{os.getpid()}.{secrets.token_hex(6)}{TEMP_SUFFIX}")


def remove_stale_temps(path: str) -> None:
    """Delete temp files left by savers that were killed (their pid no longer exists).

    A live process's temp file is never touched, so concurrent savers stay safe."""
    if os.name != "posix":
        return
    d, base = os.path.split(path)
    prefix = f".{base}."
    me = os.getpid()
    try:
        names = [n for n in os.listdir(d or ".") if n.startswith(prefix) and n.endswith(TEMP_SUFFIX)]
    except OSError:
        return
    for name in names:
        try:
            pid = int(name[len(prefix):].split(".", 1)[0])
        except ValueError:
            continue
        if pid == me or _alive(pid):
            continue
        try:
            os.unlink(os.path.join(d, name))
        except OSError:
            pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: exists, belongs to someone else
        return True
    return True


def fsync_dir(directory: str) -> None:
    try:
        fd = os.open(directory or ".", os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # e.g. Windows cannot open directories; the rename is still atomic
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(path: str, data: bytes) -> None:
    """Write data to path so that a crash at any moment leaves the old or the new file.

    Unique temp file in the same directory, write, fsync, os.replace, fsync the directory.
    On failure the temp file is removed and SaveError (naming path and cause) is raised."""
    directory = os.path.dirname(path) or "."
    remove_stale_temps(path)  # before ours exists, so at most one leftover is ever around
    try:
        mode = os.stat(path).st_mode & 0o7777
    except OSError:
        mode = None
    while True:
        tmp = temp_name(path)
        try:
            # 0o666 lets the umask decide, like open(); mkstemp would force 0o600.
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
            break
        except FileExistsError:
            continue
        except OSError as e:
            raise SaveError(f"cannot save {path}: cannot create a temporary file in "
                            f"{directory}: {e.strerror or e}") from e
    try:
        try:
            if mode is not None and hasattr(os, "fchmod"):
                try:
                    os.fchmod(fd, mode)  # keep the permissions the user gave the file
                except OSError:
                    pass
            view = memoryview(data)
            while view:
                n = os.write(fd, view)
                view = view[n:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, OSError):
            raise SaveError(f"cannot save {path}: {e.strerror or e}") from e
        raise
    fsync_dir(directory)
