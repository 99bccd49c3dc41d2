"""The persistent build cache: parsed sources, rendered Markdown, and the output manifest.

It lives in ``cache_dir`` (outside the output folder, so CI can keep it between runs) as one
SQLite database: crash-safe (a killed build leaves the last committed state) and quick to open.

- ``sources``: each source file's parse result, reused while its size and modification time
  are unchanged (then the file is not even read);
- ``bodies``: each Markdown text's safe HTML and the link resolutions made while sanitising
  it, keyed by a hash of the text and the renderer settings (see ``bodies.py``);
- ``outputs``: per output folder, the fingerprint of every file of its last successful build,
  so a rebuild renders only what changed (the deploy folder and the preview folder of
  ``serve`` keep separate manifests and do not spoil each other's);
- ``search_keys``: per output folder, what Pagefind read of each searchable page, by the
  page's fingerprint (see ``search.search_keys``);
- ``snapshots``: per output folder, what the last successful build read and left behind, so a
  build with nothing to do stops at once (see ``snapshot.py``).

Everything is written at the end of a successful build, after its files are in place: a
failed build changes nothing here either. A full build stores its results in one transaction,
run in a thread (:meth:`BuildCache.commit`: SQLite writes without holding the interpreter,
while the build lists its output and saves its model), and its snapshot in a second one
(:meth:`PendingCommit.finish`), which also removes the mark :meth:`BuildCache.begin_writing`
left: a build stopped in between leaves no snapshot and that mark, so the next build renders
every page again and compares it with what is on disk, as after a build stopped while it moved
files in. Two builds of one folder at once (the cache is held only while each commits): a
snapshot is stored only over its own build's results (a token in ``meta``), so the one kept
always matches the fingerprints kept.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
import shutil
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from portal.discover import SourceFile
from portal.parse import ParsedSource
from portal.snapshot import Snapshot, load_snapshot

if TYPE_CHECKING:  # the Markdown side is imported by the build when it gets there
    from portal.bodies import SafeBody

FORMAT = "8"
TEMPLATE_CACHE = "templates"
"""Folder of the build cache holding compiled templates (``render.py``)."""
_PARSE_FIELDS = tuple(f.name for f in dataclasses.fields(ParsedSource) if f.name != "source")
"""What a cached parse keeps, in order: everything but its source file."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (rel TEXT PRIMARY KEY, stat TEXT NOT NULL, parsed BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS bodies (key TEXT PRIMARY KEY, body BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS outputs (dir TEXT NOT NULL, path TEXT NOT NULL,
                                    fingerprint TEXT NOT NULL, PRIMARY KEY (dir, path));
CREATE TABLE IF NOT EXISTS snapshots (dir TEXT PRIMARY KEY, snapshot BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS search_keys (dir TEXT NOT NULL, path TEXT NOT NULL,
                                        fingerprint TEXT NOT NULL, key TEXT NOT NULL,
                                        PRIMARY KEY (dir, path));
"""


def stat_key(info: os.stat_result) -> str:
    """What a cached parse is kept under: the file's modification time and size."""
    return f"{info.st_mtime_ns}:{info.st_size}"


def markdown_key(settings: str, digest: str) -> str:
    """A converted body's key: the renderer settings and the SHA-256 of its Markdown."""
    return hashlib.sha256(f"{settings}\0{digest}".encode()).hexdigest()


def forget_outputs(folder: Path, output_dir: str, paths: list[str]) -> None:
    """Drop the fingerprints of files about to be written outside a full build (the
    preview's quick path), so the next full build renders them again rather than trust a
    fingerprint that no longer describes them. Committed at once; cheap (no cache load)."""
    path = folder / "build.sqlite"
    if not path.is_file():
        return
    db = sqlite3.connect(path)
    try:
        _forget(db, output_dir, paths)
    except sqlite3.OperationalError:
        pass  # another layout: the next build starts afresh anyway
    finally:
        db.close()


def _forget(db: sqlite3.Connection, output_dir: str, paths: list[str]) -> None:
    with db:
        db.executemany("DELETE FROM outputs WHERE dir = ? AND path = ?",
                       [(output_dir, rel) for rel in paths])
        db.execute("DELETE FROM snapshots WHERE dir = ?", (output_dir,))


def pack_parse(parsed: ParsedSource) -> bytes:
    """A parse as the cache keeps it and as worker processes send it back: without its
    ``SourceFile`` (the build has found that already, and making path objects back from a
    pickle costs more than the rest of a parse's fields)."""
    return pickle.dumps(tuple(getattr(parsed, name) for name in _PARSE_FIELDS),
                        pickle.HIGHEST_PROTOCOL)


def unpack_parse(source: SourceFile, packed: bytes) -> ParsedSource:
    return ParsedSource(source, *pickle.loads(packed))


WAIT_SECONDS = 600.0
"""How long a build waits for another build of the same site to release the cache."""


def is_busy(exc: BaseException) -> bool:
    """Whether ``exc`` says another connection held the cache for the whole wait."""
    return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)


class BuildCache:
    """Reads everything it may need up front; collects what to store; commits once."""

    def __init__(self, folder: Path, engine: str, fresh: bool = False):
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "build.sqlite"
        # Used by one thread at a time: the build's, or the one its commit runs in. Another
        # build of the site writing meanwhile (a preview and a build, two CI jobs on one
        # cache volume) is waited for: it holds the cache until its commit.
        self.db = sqlite3.connect(self.path, timeout=WAIT_SECONDS, check_same_thread=False)
        self._pending: PendingCommit | None = None
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, "
                        "value TEXT NOT NULL)")
        version = self.db.execute("SELECT value FROM meta WHERE key='version'").fetchone()
        if fresh or version is None or version[0] != f"{FORMAT}:{engine}":
            # Another engine (or another layout of this file) wrote it: nothing in it can be
            # trusted, not even the shape of its tables, nor the templates it compiled, nor
            # the models saved beside it (their snapshots go with the tables).
            shutil.rmtree(folder / TEMPLATE_CACHE, ignore_errors=True)
            for model in folder.glob("model-*.pickle"):
                model.unlink(missing_ok=True)
            # One transaction: another build using the cache meanwhile (a preview beside a
            # `--clean` build) sees the old tables or the new ones, never none.
            self.db.executescript(
                "BEGIN IMMEDIATE; DROP TABLE IF EXISTS sources; DROP TABLE IF EXISTS bodies; "
                "DROP TABLE IF EXISTS outputs; DROP TABLE IF EXISTS snapshots; "
                "DROP TABLE IF EXISTS search_keys;" + SCHEMA)
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)",
                            (f"{FORMAT}:{engine}",))
            self.db.commit()
        # Only the keys up front: the parses themselves are fetched one by one when still
        # valid, so a large archive's cache is never all in memory at once.
        self._sources = dict(self.db.execute("SELECT rel, stat FROM sources"))
        # New entries go straight into the open transaction (SQLite spills them to disk), so
        # a cold build of a large archive does not hold a second copy of it in memory; they
        # become visible only when commit() runs at the end of a successful build.

    def outputs(self, output_dir: str) -> dict[str, str]:
        """The fingerprints of the last successful build into ``output_dir``; none while a
        build into it was stopped after moving files in (see :meth:`begin_writing`)."""
        if self._writing_marker(output_dir).exists():
            return {}
        return dict(self.db.execute("SELECT path, fingerprint FROM outputs WHERE dir = ?",
                                    (output_dir,)))

    def search_keys(self, output_dir: str) -> dict[str, tuple[str, str]]:
        """Path → (fingerprint, key) of the searchable pages of the last build into
        ``output_dir``; none while a build into it was stopped after moving files in."""
        if self._writing_marker(output_dir).exists():
            return {}
        return {path: (fingerprint, key) for path, fingerprint, key in self.db.execute(
            "SELECT path, fingerprint, key FROM search_keys WHERE dir = ?", (output_dir,))}

    def snapshot(self, output_dir: str) -> Snapshot | None:
        """The last successful build's snapshot of ``output_dir``; none while a build into it
        was stopped after moving files in."""
        if self._writing_marker(output_dir).exists():
            return None
        row = self.db.execute("SELECT snapshot FROM snapshots WHERE dir = ?",
                              (output_dir,)).fetchone()
        return load_snapshot(row[0] if row else None)

    def parsed(self, source: SourceFile, stat: str) -> ParsedSource | None:
        """The cached parse of ``source`` while its file is as it was (``stat``)."""
        if self._sources.get(source.rel) != stat:
            return None
        row = self.db.execute("SELECT parsed FROM sources WHERE rel = ?",
                              (source.rel,)).fetchone()
        return unpack_parse(source, row[0]) if row else None

    def store_parsed(self, rel: str, stat: str, packed: bytes) -> None:
        """Keep a parse, as :func:`pack_parse` made it."""
        self.db.execute("INSERT OR REPLACE INTO sources VALUES (?, ?, ?)", (rel, stat, packed))

    def bodies(self, keys: list[str]) -> dict[str, SafeBody]:
        """Look up many bodies at once."""
        found: dict[str, SafeBody] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            marks = ",".join("?" * len(chunk))
            found.update((key, pickle.loads(blob)) for key, blob in self.db.execute(
                f"SELECT key, body FROM bodies WHERE key IN ({marks})", chunk))
        return found

    def store_body(self, key: str, body: SafeBody) -> None:
        self.db.execute("INSERT OR REPLACE INTO bodies VALUES (?, ?)",
                        (key, pickle.dumps(body, pickle.HIGHEST_PROTOCOL)))

    def begin_writing(self, output_dir: str) -> None:
        """Called before the first file moves into ``output_dir``. A build killed from here
        until :meth:`commit` leaves files the stored fingerprints do not describe (a page of
        the new sources, fingerprinted as the old): the marker makes the next build forget
        them, so it renders every page again and compares each with what is on disk."""
        self._writing_marker(output_dir).write_text(output_dir + "\n", encoding="utf-8")

    def _writing_marker(self, output_dir: str) -> Path:
        digest = hashlib.sha256(output_dir.encode()).hexdigest()[:16]
        return self.path.parent / f"writing-{digest}"

    def commit(self, live_sources: set[str], live_bodies: set[str],
               outputs: dict[str, str], output_dir: str,
               search_keys: dict[str, tuple[str, str]] | None = None) -> PendingCommit:
        """Start storing this build's results and forgetting what no current source uses,
        in a thread; the cache is not to be used until :meth:`PendingCommit.finish` (which
        stores the snapshot) returns."""
        token = os.urandom(8).hex()

        def store() -> list[str]:
            with self.db:
                self._store_results(live_sources, live_bodies, outputs, output_dir,
                                    search_keys or {})
                self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                                (_committing(output_dir), token))
                return self._drop_vanished(output_dir)

        self._pending = PendingCommit(self, output_dir, store, token)
        return self._pending

    def _store_results(self, live_sources: set[str], live_bodies: set[str],
                       outputs: dict[str, str], output_dir: str,
                       search_keys: dict[str, tuple[str, str]]) -> None:
        stale = [(rel,) for rel in self._sources if rel not in live_sources]
        self.db.executemany("DELETE FROM sources WHERE rel = ?", stale)
        self.db.execute("CREATE TEMP TABLE IF NOT EXISTS live (key TEXT PRIMARY KEY)")
        self.db.execute("DELETE FROM live")
        self.db.executemany("INSERT OR IGNORE INTO live VALUES (?)",
                            [(k,) for k in live_bodies])
        self.db.execute("DELETE FROM bodies WHERE key NOT IN (SELECT key FROM live)")
        self.db.execute("DELETE FROM outputs WHERE dir = ?", (output_dir,))
        self.db.executemany("INSERT INTO outputs VALUES (?, ?, ?)",
                            [(output_dir, path, fp) for path, fp in outputs.items()])
        self.db.execute("DELETE FROM search_keys WHERE dir = ?", (output_dir,))
        self._store_keys(output_dir, search_keys)
        self.db.execute("DELETE FROM snapshots WHERE dir = ?", (output_dir,))

    def _drop_vanished(self, output_dir: str) -> list[str]:
        vanished = self._vanished_folders(output_dir)
        for gone in vanished:
            for statement in ("DELETE FROM outputs WHERE dir = ?",
                              "DELETE FROM search_keys WHERE dir = ?",
                              "DELETE FROM snapshots WHERE dir = ?"):
                self.db.execute(statement, (gone,))
            self.db.execute("DELETE FROM meta WHERE key = ?", (_committing(gone),))
            self._writing_marker(gone).unlink(missing_ok=True)
        return vanished

    def output_folders(self) -> set[str]:
        """The output folders this cache describes (each has its own fingerprints)."""
        return {folder for (folder,) in self.db.execute(
            "SELECT dir FROM outputs UNION SELECT dir FROM snapshots")}

    def _vanished_folders(self, current: str) -> list[str]:
        """Output folders built into once and since deleted (a preview, a test's temporary
        folder, an old ``--output``): what the cache keeps for them would only grow."""
        return sorted(folder for folder in self.output_folders()
                      if folder != current and not os.path.isdir(folder))

    def forget(self, output_dir: str, paths: list[str]) -> None:
        """Drop the snapshot of ``output_dir`` and the fingerprints of ``paths`` at once
        (committed), before files outside a full build move in."""
        _forget(self.db, output_dir, paths)

    def commit_quick(self, output_dir: str, outputs: dict[str, str],
                     search_keys: dict[str, tuple[str, str]], snapshot: Snapshot) -> None:
        """Store what the quick path for body edits rendered, and its snapshot (which a full
        build that stored its results before, and not its snapshot yet, no longer replaces)."""
        with self.db:
            self.db.execute("DELETE FROM meta WHERE key = ?", (_committing(output_dir),))
            self._store_keys(output_dir, search_keys)
            self.db.executemany("INSERT OR REPLACE INTO outputs VALUES (?, ?, ?)",
                                [(output_dir, path, fp) for path, fp in outputs.items()])
            self.db.execute("INSERT OR REPLACE INTO snapshots VALUES (?, ?)",
                            (output_dir, snapshot.dumps()))

    def _store_keys(self, output_dir: str, keys: dict[str, tuple[str, str]]) -> None:
        self.db.executemany("INSERT OR REPLACE INTO search_keys VALUES (?, ?, ?, ?)",
                            [(output_dir, path, fingerprint, key)
                             for path, (fingerprint, key) in keys.items()])

    def close(self) -> None:
        if self._pending is not None:
            self._pending.wait()
        self.db.close()


def _committing(output_dir: str) -> str:
    """The ``meta`` key of the token of the last build that stored results for the folder
    and has not stored its snapshot yet."""
    return f"committing {output_dir}"


class PendingCommit:
    """A build's results being stored in a thread (see :meth:`BuildCache.commit`)."""

    def __init__(self, cache: BuildCache, output_dir: str, store: Callable[[], list[str]],
                 token: str):
        self._cache = cache
        self._output_dir = output_dir
        self._token = token
        self._vanished: list[str] = []
        self._error: BaseException | None = None

        def run() -> None:
            try:
                self._vanished = store()
            except BaseException as exc:  # raised again by finish(), in the build's thread
                self._error = exc

        self._thread = threading.Thread(target=run, name="portal-cache-commit")
        self._thread.start()

    def wait(self) -> None:
        self._thread.join()
        self._cache._pending = None

    def finish(self, snapshot: Snapshot | None) -> list[str]:
        """Wait for the results, then store ``snapshot`` (the model it names is saved by
        now); return the output folders, gone since, whose records were dropped (their
        saved models go too)."""
        self.wait()
        if self._error is not None:
            raise self._error
        cache = self._cache
        key = _committing(self._output_dir)
        with cache.db:
            # Only over this build's own results: another build of the folder that stored
            # its results since (two builds at once: the cache is held only while each
            # commits) stores its own snapshot with them; a snapshot over another build's
            # fingerprints would vouch for pages it did not write.
            if snapshot is not None:
                cache.db.execute("INSERT OR REPLACE INTO snapshots SELECT ?, ? WHERE "
                                 "(SELECT value FROM meta WHERE key = ?) = ?",
                                 (self._output_dir, snapshot.dumps(), key, self._token))
            cache.db.execute("DELETE FROM meta WHERE key = ? AND value = ?",
                             (key, self._token))
        cache._writing_marker(self._output_dir).unlink(missing_ok=True)
        return self._vanished
