"""Atomic file writes: a file is either the old one or the complete new one, never half.

    with atomic_write("model.leannet") as file:
        file.write(data)

The data goes to a temporary file in the same directory (so the final rename stays on one
file system), is flushed and fsync'ed, then ``os.replace`` puts it in place in one step,
and the directory is fsync'ed so that the rename itself survives a power cut. If anything
fails before the rename (an exception, a full disk), the temporary file is removed and the
old file is left untouched; a process killed outright (SIGKILL) can at worst leave a
``.<name>.*.tmp`` file next to an intact old file. Inside the block, ``file.name`` is the
temporary file's path (a download is checked against its checksum there, before the
rename).
"""

import contextlib
import os
import tempfile


@contextlib.contextmanager
def atomic_write(path, mode="wb", encoding=None):
    """Open a temporary file for writing; on a clean exit it replaces ``path`` atomically."""
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_write: mode must be 'wb' or 'w', got {mode!r}")
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory
    )
    os.close(descriptor)  # reopened by name, so that ``file.name`` is the temporary path
    try:
        with open(temporary, mode, encoding=encoding) as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, _permissions_for(path))
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise
    fsync_directory(directory)


def write_bytes(path, data):
    """Write ``data`` to ``path`` atomically."""
    with atomic_write(path) as file:
        file.write(data)


def fsync_directory(directory):
    """Make a rename inside ``directory`` durable (a no-op where directories can't be opened)."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    try:
        descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _permissions_for(path):
    """Keep an existing file's permissions; a new file gets the usual 0o666 minus umask."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)  # reading the umask means setting it: restored at once
        os.umask(umask)
        return 0o666 & ~umask
