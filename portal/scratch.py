"""Temporary folders that outlive a killed build, found and removed by later builds.

A build makes such a folder with :func:`held_folder`: named with a prefix and locked (``flock``
on the folder) while in use. The kernel drops the lock when the process ends, however it
ends, and the lock is seen from every process of the machine, in other process namespaces
too (containers sharing ``/dev/shm`` or a cache volume, where a process number says nothing).
:func:`remove_abandoned` removes the folders with the prefix that no one holds. It leaves
alone those younger than :data:`MIN_AGE_SECONDS`: a folder is locked just after it is made,
and a build of an older release does not lock its folders at all.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # no flock: folders are made and removed, abandoned ones stay
    fcntl = None  # type: ignore[assignment]

MIN_AGE_SECONDS = 600


@contextmanager
def held_folder(prefix: str, parent: str | Path | None = None) -> Iterator[Path]:
    """A new folder under ``parent`` (the system's temporary folder when ``None``), locked
    while the block runs and removed after it (unless the block moved it elsewhere)."""
    folder = tempfile.mkdtemp(prefix=prefix, dir=parent)
    handle = -1
    try:
        if fcntl is not None:
            handle = os.open(folder, os.O_RDONLY)
            with contextlib.suppress(OSError):  # a file system without locks: unprotected
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # new: no one holds it
        yield Path(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if handle >= 0:
            os.close(handle)


def remove_abandoned(parent: str | Path | None, prefix: str) -> list[str]:
    """Remove the folders under ``parent`` named with ``prefix`` that no process holds and
    that are older than :data:`MIN_AGE_SECONDS`; return their names."""
    if fcntl is None:
        return []
    root = str(parent if parent is not None else tempfile.gettempdir())
    removed = []
    try:
        entries = [entry for entry in os.scandir(root)
                   if entry.name.startswith(prefix) and entry.is_dir(follow_symlinks=False)]
    except OSError:
        return []
    oldest = time.time() - MIN_AGE_SECONDS
    for entry in entries:
        try:
            if entry.stat(follow_symlinks=False).st_mtime > oldest:
                continue
            handle = os.open(entry.path, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # held: in use by a running build
            os.close(handle)
            continue
        try:
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(entry.name)
        finally:
            os.close(handle)
    return removed
