"""Spreading CPU-bound work over the machine's cores.

Worker processes are forked, so they start with everything the parent loaded and only the
inputs and results cross process boundaries. Small batches stay in the parent: starting
processes costs more than it saves.
"""

from __future__ import annotations

import gc
import multiprocessing
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from multiprocessing.pool import Pool
from typing import TypeVar

from portal import ahead
from portal.collector import collector_running

PARALLEL_MINIMUM = ahead.MINIMUM
T = TypeVar("T")
R = TypeVar("R")


def worker_count(items: int, minimum: int | None = None) -> int:
    """Worker processes for ``items`` items (``ahead.worker_count``), at least
    ``PARALLEL_MINIMUM`` by default."""
    return ahead.worker_count(items, PARALLEL_MINIMUM if minimum is None else minimum)


@contextmanager
def forked_pool(workers: int, **options) -> Iterator[Pool]:
    """A pool of forked workers that do not copy the parent's memory page by page.

    Forked children share the parent's pages until they write to them, and the cyclic
    garbage collector of a child writes to every object it scans: over a long build each
    worker would end up with its own copy of the whole site model. Freezing the parent's
    objects first (``gc.freeze``) keeps them out of every collector's sight, children's
    included, for the life of the pool.
    """
    gc.freeze()
    try:
        # With the collector on in each worker, even when the build's process paused it
        # (``collector.py``): a worker's garbage is its own, and nothing shows it is free of
        # cycles.
        with multiprocessing.get_context("fork").Pool(workers, initializer=gc.enable,
                                                      **options) as pool:
            yield pool
    finally:
        gc.unfreeze()


def map_in_processes(function: Callable[[T], R], items: Iterable[T], count: int) -> Iterator[R]:
    """``map(function, items)`` over forked workers when ``count`` items make it worth it:
    streamed and in order, items handed out as they are needed and results yielded as they
    are ready. ``function`` must be a module-level function (it is sent by name)."""
    workers = worker_count(count)
    if workers == 1:
        with collector_running():  # as a worker would (collector.py)
            yield from map(function, items)
        return
    with forked_pool(workers) as pool:
        yield from pool.imap(function, items, chunksize=max(1, min(64, count // (workers * 8))))


def start_thread(function: Callable[..., R], *args: object) -> Callable[[], R]:
    """Run ``function(*args)`` in a thread; the callable returned waits for the result (or
    raises what the function raised). For work that runs without the interpreter's lock
    (compression, file system calls) while the build goes on (``concurrent.futures`` would
    add 7 ms of imports to every build)."""
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append((True, function(*args)))
        except BaseException as exc:  # handed to the waiting thread
            outcome.append((False, exc))

    thread = threading.Thread(target=run, name=getattr(function, "__name__", "work"))
    thread.start()

    def result() -> R:
        thread.join()
        done, value = outcome[0]
        if not done:
            raise value
        return value

    return result
