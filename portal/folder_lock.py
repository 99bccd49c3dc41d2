"""One build at a time per output folder.

A build compares the output folder with the record of the last build, stages its files beside
the folder (``.<name>.staging``, emptied when a build starts) and moves them in. Two builds of
the same folder at once (a deploy hook and an editor, two CI jobs on one volume) would empty
each other's staging folder and interleave their moves. Each build therefore holds an
exclusive lock for the folder from before it reads the record to after it has written it; a
second build waits for the first, then finds the folder as the first left it (usually nothing
to do). The lock is the kernel's (``flock``) on a file in the build cache named after the
folder's path (not beside the folder: that is often the site's own folder, under version
control). A build that is killed or crashes releases it with its process, so a stale lock file
is harmless and is never removed (removing it would let two builds lock two different files).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path

from portal.errors import OutputError
from portal.write import output_error

try:
    import fcntl
except ImportError:  # no flock (Windows): builds of one folder are not kept apart
    fcntl = None  # type: ignore[assignment]

LOCK_WAIT = 600.0
"""Seconds a build waits for another build of the same folder (the cache's own wait)."""
POLL = 0.1
LOCKS_FOLDER = "locks"


def lock_path(output_dir: Path, cache_dir: Path) -> Path:
    name = hashlib.blake2b(os.fsencode(output_dir.resolve()), digest_size=12).hexdigest()
    return cache_dir / LOCKS_FOLDER / f"output-{name}.lock"


def lock_folder(output_dir: Path, cache_dir: Path,
                waiting: Callable[[str], None] | None = None) -> int | None:
    """Hold the output folder's lock, waiting up to :data:`LOCK_WAIT` seconds for another
    build to release it (``waiting`` is told once, when there is a wait); the handle returned
    (None where the system has no ``flock``) goes to :func:`release_folder`. Raise
    :class:`OutputError` when the wait runs out."""
    if fcntl is None:
        return None
    path = lock_path(output_dir, cache_dir)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Not inherited by programs the build runs (Pagefind); forked workers share it.
        handle = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise output_error(exc, output_dir) from exc
    try:
        if not _try_lock(handle):
            if waiting is not None:
                waiting(f"waiting for another build writing {output_dir} to finish …")
            deadline = time.monotonic() + LOCK_WAIT
            while not _try_lock(handle):
                if time.monotonic() >= deadline:
                    raise OutputError(
                        f"{output_dir}: the output folder is in use: expected it free within "
                        f"{LOCK_WAIT:.0f} s, got another build still writing it (let it finish, "
                        "or build into another --output)")
                time.sleep(POLL)
    except BaseException:
        os.close(handle)
        raise
    return handle


def release_folder(handle: int | None) -> None:
    if handle is not None:
        os.close(handle)  # the lock goes with the last open handle


def _try_lock(handle: int) -> bool:
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
