"""Work forked ahead: children compute while the build's own process does something else.

A first build parses every source before anything else can start, and the build's process
still has the later stages' libraries to import (Jinja2, Python-Markdown, nh3, Pillow, ICU…,
tens of milliseconds on every start). :class:`ForkedMap` forks the parse first, and the imports
run meanwhile: the children and the importing process share the machine's cores.

A ``multiprocessing`` pool does not fit here: its result thread, woken by every finished task,
would compete with the imports for the interpreter's lock, and the workers, their pipe full,
would wait for it. Each child here computes its share (every ``workers``-th item), sends it in
a few large batches, and the build reads them only when it asks for the result. The children
are plain forks of the build's process: ``function`` and what it reads are inherited, nothing
is pickled but the results.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import select
import selectors
import signal
import struct
from collections.abc import Callable
from typing import Any, BinaryIO, Generic, TypeVar

R = TypeVar("R")
S = TypeVar("S")

MINIMUM = 200
"""Below this many items, forking costs more than it saves: the items are computed in the
build's own process, when the result is asked for."""
BATCH = 2000
"""Results per message: a child sends its first batch only after computing this many, by
when the build is reading (a child blocked on a full pipe is not computing)."""
_LENGTH = struct.Struct("<Q")


def worker_count(items: int, minimum: int | None = None) -> int:
    """Processes worth forking for ``items`` items (``minimum`` at least, :data:`MINIMUM` by
    default): one per core, at most 8; else 1."""
    if items < (MINIMUM if minimum is None else minimum) or not hasattr(os, "fork"):
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


class ForkedMap(Generic[R]):
    """``[function(i) for i in range(count)]``, started at once in forked children;
    :meth:`result` collects it in order. A child that fails or disappears has its share
    computed again in the build's process (where a real error then raises with its traceback);
    :meth:`close` stops children whose result is no longer wanted."""

    def __init__(self, function: Callable[[int], R], count: int, workers: int):
        self._function = function
        self._count = count
        self._children: list[tuple[int, int]] = []  # (pid, read end), one per share
        if count < MINIMUM or workers < 2 or not hasattr(os, "fork"):
            return
        frozen = gc.get_freeze_count() == 0
        gc.freeze()  # out of the children's collectors' sight: no copy of what they only read
        try:
            for share in range(workers):
                self._fork(share, workers)
        except OSError:  # no process to spare: the shares not forked are computed here
            pass
        finally:
            if frozen:
                gc.unfreeze()
        self._workers = workers

    def _fork(self, share: int, workers: int) -> None:
        read_end, write_end = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(read_end)
            os.close(write_end)
            raise
        if pid == 0:  # the child: compute, send, leave without running the parent's cleanups
            status = 1
            try:
                os.close(read_end)
                for _, other in self._children:
                    os.close(other)
                with os.fdopen(write_end, "wb") as pipe:
                    batch: list[R] = []
                    for index in range(share, self._count, workers):
                        batch.append(self._function(index))
                        if len(batch) == BATCH:
                            _send(pipe, batch)
                            batch = []
                    _send(pipe, batch)
                status = 0
            finally:
                os._exit(status)
        os.close(write_end)
        self._children.append((pid, read_end))

    @property
    def forked(self) -> bool:
        """Whether children compute it (else it is computed when asked for)."""
        return bool(self._children)

    def busy(self) -> bool:
        """Whether every child is still computing: none has sent anything yet (a small map's
        child sends its whole share when done; a large one's, its first batch)."""
        if not self._children:
            return False
        ready, _, _ = select.select([fd for _, fd in self._children], [], [], 0)
        return not ready

    def result(self, convert: Callable[[int, R], S] | None = None) -> list[S]:
        """The map, in order. ``convert(index, value)`` is applied to each value as it
        arrives: what a child sent (a large map's pickled parses) is freed at once, not held
        until the whole map is in."""
        function = self._function
        made: Callable[[int], S] = (  # type: ignore[assignment]
            function if convert is None else lambda index: convert(index, function(index)))
        if not self._children:
            return [made(index) for index in range(self._count)]
        received = self._receive(convert)
        workers = self._workers
        shares: list[list[S]] = []
        for share in range(workers):
            values = received.get(share)
            if values is None:  # failed, killed or not forked
                values = [made(index) for index in range(share, self._count, workers)]
            shares.append(values)
        ordered: list[S] = []
        for position in range(max(len(values) for values in shares)):
            ordered.extend(values[position] for values in shares if position < len(values))
        return ordered

    def _receive(self, convert: Callable[[int, R], S] | None) -> dict[int, list[S]]:
        """Read every child's pipe to its end (all at once: a child waits while its pipe is
        full), each batch unpickled as soon as it is whole (the pickles are not kept), then
        reap them; the shares of children that exited cleanly."""
        workers = len(self._children)
        frames = {fd: _Frames(share, workers, convert)
                  for share, (_, fd) in enumerate(self._children)}
        share_of = {fd: share for share, (_, fd) in enumerate(self._children)}
        with selectors.DefaultSelector() as selector:
            for fd in frames:
                selector.register(fd, selectors.EVENT_READ)
            open_ends = len(frames)
            while open_ends:
                for key, _ in selector.select():
                    data = os.read(key.fd, 1 << 20)
                    if data:
                        frames[key.fd].feed(data)
                    else:
                        selector.unregister(key.fd)
                        open_ends -= 1
        received: dict[int, list[S]] = {}
        for pid, fd in self._children:
            os.close(fd)
            try:
                _, status = os.waitpid(pid, 0)
            except ChildProcessError:  # SIGCHLD ignored: reaped unseen, judged by what it sent
                status = 0
            share = share_of[fd]
            values = frames[fd].values
            if status == 0 and len(values) == len(range(share, self._count, workers)):
                received[share] = values
        self._children = []
        return received

    def close(self) -> None:
        """Stop and reap children whose result was not collected (a failed build)."""
        for pid, fd in self._children:
            os.close(fd)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):  # SIGCHLD ignored: reaped already
                os.waitpid(pid, 0)
        self._children = []


def _send(pipe: BinaryIO, batch: list) -> None:
    data = pickle.dumps(batch, pickle.HIGHEST_PROTOCOL)
    pipe.write(_LENGTH.pack(len(data)))
    pipe.write(data)


class _Frames:
    """One child's stream: length-prefixed pickles of batches, unpickled (and converted) as
    they complete. The child computes items ``share``, ``share + step``, …"""

    def __init__(self, share: int = 0, step: int = 1,
                 convert: Callable[[int, Any], Any] | None = None) -> None:
        self.values: list = []
        self._pending = bytearray()
        self._next = share
        self._step = step
        self._convert = convert

    def feed(self, data: bytes) -> None:
        self._pending += data
        view = memoryview(self._pending)
        offset = 0
        while len(view) - offset >= _LENGTH.size:
            (length,) = _LENGTH.unpack_from(view, offset)
            end = offset + _LENGTH.size + length
            if end > len(view):
                break
            batch = pickle.loads(view[offset + _LENGTH.size:end])
            if self._convert is None:
                self.values.extend(batch)
            else:
                for value in batch:
                    self.values.append(self._convert(self._next, value))
                    self._next += self._step
                batch.clear()
            offset = end
        view.release()
        del self._pending[:offset]
