"""The whole-build shortcut: when nothing a build reads has changed, there is nothing to do.

Each successful build records a *snapshot* of its inputs and its output folder:

- a digest of every file it reads (``site.toml``; everything under ``content/``, images and
  attachments included; the templates and static files of the site and of the theme) by
  path, size and modification time, plus the engine and the options that shape output;
- the window in which its output stays right: from its "now" to the first scheduled change
  (an article's publication, a campaign's start or end, a countdown's midnight);
- a digest of the output folder as the build left it (path, size, modification time).

A later build into the same folder whose inputs, options and output folder match, with its own
"now" inside that window, would write the same bytes: it replays the recorded warnings and
schedule and stops, at any archive size in about the time it takes to list the files (the
regular no-change path still reads every parse from the cache, builds the model, plans and
fingerprints every page).

Like make and git, the shortcut trusts size and modification time. A file modified within
:data:`RACY_SECONDS` of the listing could change again within the same clock tick without
either moving, so such files are also compared by content (git's "racy" rule). A file
modified in the output folder changes its listing, so the next build repairs it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import signal
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from portal.images.settings import ImageReport

RACY_SECONDS = 2.0
UNREAD = (-2, -2, b"changed while read")
"""The entry of a file that changed while a build read it: unlike any listed file."""


@dataclass(frozen=True)
class FileStat:
    rel: str
    """Path relative to the folder it was listed in, with the folder's label in front."""
    path: str
    mtime_ns: int
    size: int


@dataclass(frozen=True)
class Inputs:
    """What a build is about to read, listed before it reads any of it."""

    files: tuple[FileStat, ...]
    listed_ns: int
    """When the listing was taken (the clock, in nanoseconds)."""
    options: str
    """Everything besides the files that shapes the output (engine, options, library versions)."""
    _digests: dict[str, bytes] = field(default_factory=dict, compare=False, repr=False)
    """Content digests read so far: a build asks twice (to compare, then to record)."""

    def entries(self, racy_after_ns: int, moved: Iterable[str] = ()
                ) -> dict[str, tuple[int, int, bytes]]:
        """Size and time of every file; the content's digest too for files modified at or
        after ``racy_after_ns``, which their size and time alone cannot vouch for. Files
        ``moved`` while the build read them get an entry no file matches: the build may have
        read either version, and the listed size and time could come back with the other
        one (a copy that keeps times, a restore from a backup)."""
        again = set(moved)
        return {item.rel: (UNREAD if item.rel in again else (
                    item.mtime_ns, item.size,
                    self._digest(item) if item.mtime_ns >= racy_after_ns else b""))
                for item in self.files}

    def moved_since(self, later: Inputs) -> set[str]:
        """Files added, removed or changed (by size or time) between this listing and
        ``later``."""
        before = {item.rel: (item.mtime_ns, item.size) for item in self.files}
        after = {item.rel: (item.mtime_ns, item.size) for item in later.files}
        return {rel for rel in before.keys() | after.keys() if before.get(rel) != after.get(rel)}

    def stat_again(self, rels: Iterable[str]) -> set[str]:
        """Which of ``rels`` (listed files) are no longer as listed."""
        wanted = set(rels)
        return {item.rel for item in self.files if item.rel in wanted
                and _stat(item.rel, item.path) != item}

    def _digest(self, item: FileStat) -> bytes:
        if item.path not in self._digests:
            self._digests[item.path] = _content_digest(item.path)
        return self._digests[item.path]

    @property
    def racy_after_ns(self) -> int:
        return self.listed_ns - int(RACY_SECONDS * 1e9)


@dataclass(frozen=True)
class Report:
    """What a build told its caller, replayed as it was by a build the snapshot shortcuts."""

    pages: int
    files: int
    warnings: tuple
    """Warnings about the sources (the page-weight ones are in ``budget``)."""
    budget: tuple
    """Warnings about pages over the weight budget."""
    schedule: tuple
    page_weights: tuple
    images: ImageReport | None = None
    """What the image stage did; a replay reports every image as taken from the cache."""

    def replayed_images(self) -> ImageReport | None:
        if self.images is None:
            return None
        return ImageReport(0, self.images.encoded + self.images.reused, self.images.files)


@dataclass(frozen=True)
class Snapshot:
    options: str
    files: dict[str, tuple[int, int, bytes]]
    """:meth:`Inputs.entries` of the build's inputs."""
    racy_after_ns: int
    output: dict[str, tuple[int, int]]
    """The output folder as the build left it (:func:`list_output`)."""
    built_at: datetime
    valid_until: datetime | None
    report: Report
    model: str = ""
    """The token of the model saved with it (``model_store.py``), if any."""
    front_matter: dict[str, str] = field(default_factory=dict)
    """Each source's front matter digest (:func:`meta_digest`), by site-relative path."""
    structure: dict[str, str] = field(default_factory=dict)
    """Each source's front matter digest without the keys only cards and its page show
    (:func:`structure_digest`), by site-relative path."""

    def changed(self, inputs: Inputs, now: datetime, output: dict[str, tuple[int, int]]
                ) -> set[str] | None:
        """The input files that differ (added, removed or changed) when ``inputs`` are built
        at ``now`` into the ``output`` listed now; ``None`` when more than files differ:
        an option, the moment (outside the window) or the output folder itself. An empty set
        means a build would write exactly what is there."""
        if output != self.output:
            return None
        return self.changed_files(inputs, now)

    def changed_files(self, inputs: Inputs, now: datetime) -> set[str] | None:
        """:meth:`changed` without looking at the output folder."""
        if now < self.built_at or (self.valid_until is not None and now >= self.valid_until):
            return None
        if inputs.options != self.options:
            return None
        files = inputs.entries(self.racy_after_ns)
        return {rel for rel in files.keys() | self.files.keys()
                if files.get(rel) != self.files.get(rel)}

    def tampered(self, output: dict[str, tuple[int, int]]) -> set[str]:
        """Files the last build left that are no longer as it left them: changed by hand
        (or by another program), so their fingerprints no longer vouch for them."""
        return {path for path, entry in self.output.items() if output.get(path) != entry}

    def dumps(self) -> bytes:
        return pickle.dumps(self, pickle.HIGHEST_PROTOCOL)


def list_inputs(files: Iterable[tuple[str, Path]], folders: Iterable[tuple[str, Path]],
                options: str) -> Inputs:
    """List single files and whole folders (recursively, hidden entries included: a template
    or an image may be any name), each under its label so two folders never mix."""
    listed_ns = time.time_ns()
    found: list[FileStat] = []
    for label, path in files:
        found.append(_stat(f"{label}", str(path)))
    for label, folder in folders:
        found.extend(_walk(label, str(folder)))
    return Inputs(tuple(found), listed_ns, options)


def list_output(output_dir: Path) -> dict[str, tuple[int, int]]:
    """The output folder's listing (path → modification time, size): any file added,
    removed, replaced or touched since the last build shows."""
    return {rel: (mtime_ns, size) for rel, _, mtime_ns, size in _scan(str(output_dir))}


class OutputListing:
    """:func:`list_output` in a forked process, started before the build reads its inputs and
    its snapshot and loads its saved model: listing tens of thousands of files is mostly
    waiting on system calls, which the other core can do meanwhile. :meth:`result` waits
    for it (listed here instead where a process cannot be forked, or the listing failed)."""

    def __init__(self, output_dir: Path):
        self.output_dir = output_dir
        self._result: dict[str, tuple[int, int]] | None = None
        self._pid = 0
        self._pipe = -1
        if not hasattr(os, "fork"):
            return
        read_end, write_end = os.pipe()
        try:
            pid = os.fork()
        except OSError:  # no process to spare: listed here when asked
            os.close(read_end)
            os.close(write_end)
            return
        if pid == 0:  # the child: list, send, leave without running the parent's cleanups
            status = 1
            try:
                os.close(read_end)
                data = pickle.dumps(list_output(output_dir), pickle.HIGHEST_PROTOCOL)
                with os.fdopen(write_end, "wb") as pipe:
                    pipe.write(data)
                status = 0
            finally:
                os._exit(status)
        os.close(write_end)
        self._pid, self._pipe = pid, read_end

    def close(self) -> None:
        """Stop waiting for a listing no one asked for (its process ends at once)."""
        pid, pipe = self._pid, self._pipe
        self._pid, self._pipe = 0, -1
        if pid:
            os.close(pipe)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):  # SIGCHLD ignored: reaped already
                os.waitpid(pid, 0)

    def result(self) -> dict[str, tuple[int, int]]:
        if self._result is None:
            self._result = self._received()
        return self._result

    def _received(self) -> dict[str, tuple[int, int]]:
        pid, pipe = self._pid, self._pipe
        self._pid, self._pipe = 0, -1  # handed over: close() must not close the pipe again
        if not pid:
            return list_output(self.output_dir)
        status = 1
        try:
            with os.fdopen(pipe, "rb") as stream:
                data = stream.read()
        finally:
            try:
                _, status = os.waitpid(pid, 0)
            except ChildProcessError:  # SIGCHLD ignored: the child was reaped unseen
                status = 0
        if status != 0 or not data:
            return list_output(self.output_dir)
        return pickle.loads(data)


def relist_output(listing: dict[str, tuple[int, int]], output_dir: Path,
                  written: Iterable[str], removed: Iterable[str]) -> dict[str, tuple[int, int]]:
    """The listing after writing and removing the given files, the rest as it was: what
    :func:`list_output` would find, without walking the whole folder again."""
    listing = dict(listing)
    for path in removed:
        listing.pop(path, None)
    root = str(output_dir)
    for path in written:
        info = os.stat(os.path.join(root, path))
        listing[path] = (info.st_mtime_ns, info.st_size)
    return listing


def meta_digest(meta: dict) -> str:
    """A digest of parsed front matter: equal for the same keys and values in the same
    order (another order reads as a change, which only costs the quick path)."""
    return hashlib.sha256(repr(meta).encode()).hexdigest()[:32]


CARD_KEYS = frozenset({"title", "summary", "author", "image_alt", "updated"})
"""Front-matter keys of an article that change what its page and its cards show, and its URL
when it has no ``slug``, but not where it is listed: the quick path for such edits
(``quick.plan_card_edits``) checks the rest."""


def structure_digest(meta: dict) -> str:
    """:func:`meta_digest` of the front matter without :data:`CARD_KEYS`: equal when an edit
    changed nothing else."""
    return meta_digest({key: value for key, value in meta.items() if key not in CARD_KEYS})


def load_snapshot(blob: bytes | None) -> Snapshot | None:
    """A stored snapshot, or ``None`` when there is none or it is from another layout."""
    if blob is None:
        return None
    try:
        snapshot = pickle.loads(blob)
    except Exception:  # any unreadable snapshot just means "build"
        return None
    return snapshot if isinstance(snapshot, Snapshot) else None


def _walk(label: str, root: str) -> list[FileStat]:
    """Every file under ``root`` in a stable order (sorted names), symlinks followed as the
    build follows them, broken ones listed as missing."""
    found = [FileStat(f"{label}/{rel}", path, mtime_ns, size)
             for rel, path, mtime_ns, size in _scan(root)]
    found.sort(key=lambda item: item.rel)
    return found


def _scan(root: str) -> Iterator[tuple[str, str, int, int]]:
    """(path relative to ``root``, path, modification time, size) of every file under
    ``root``, in no particular order; -1 for a file that cannot be read (a broken symlink).
    Plain tuples: the output folder of a large archive holds tens of thousands of files."""
    stack = [("", root)]
    while stack:
        prefix, folder = stack.pop()
        try:
            entries = os.scandir(folder)
        except (FileNotFoundError, NotADirectoryError):
            continue
        with entries:
            for entry in entries:
                rel = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    stack.append((rel + "/", entry.path))
                    continue
                try:
                    info = entry.stat()
                except OSError:
                    yield rel, entry.path, -1, -1
                    continue
                yield rel, entry.path, info.st_mtime_ns, info.st_size


def _stat(label: str, path: str) -> FileStat:
    try:
        info = os.stat(path)
    except OSError:
        return FileStat(label, path, -1, -1)
    return FileStat(label, path, info.st_mtime_ns, info.st_size)


def _content_digest(path: str) -> bytes:
    try:
        with open(path, "rb") as stream:
            return hashlib.file_digest(stream, "sha256").digest()
    except OSError:
        return b"unreadable"
