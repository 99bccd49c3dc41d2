"""The static search index, built with Pagefind from the rendered pages.

Only item pages are indexed (articles, campaigns, plain pages: their templates mark the
searchable part with ``data-pagefind-body``); listings would only repeat them. Pagefind folds
tone and vowel marks ("cai cach" finds "cải cách"); ``đ`` is a letter of its own, so the search
page's script also tries each typed "d" as "đ" (see ``static/js/search.js``).

The pages are written to a folder in memory and indexed by the binary that the
``pagefind[bin]`` package ships (its Python service wrapper polls for each answer every
0.1 s: ten pages a second), which writes the bundle in memory too; the bundle is then kept in
the cache (see :func:`_make_bundle`). The index files go to the write stage like any other
output: replaced atomically, stale ones removed.
"""

from __future__ import annotations

import errno
import hashlib
import importlib
import json
import os
import re
import shutil
import subprocess
import uuid
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from portal.errors import OutputError
from portal.plan import SEARCH_FOLDER, Output
from portal.scratch import held_folder, remove_abandoned

PAGEFIND_VERSION = version("pagefind")
INDEXED_TEMPLATES = ("article.html", "campaign.html", "page.html")
STAGING = ".staging-"
"""Prefix of a cached bundle being made (a held folder: ``scratch.py``)."""
ENTRY = "pagefind-entry.json"
"""The file Pagefind's script reads first: every bundle has one."""
TRASH = ".trash-"
"""Prefix of cached bundles on their way out (see ``build_search_index``)."""
SCRATCH = "portal-search-pages-"
"""Prefix of the folders Pagefind reads pages from (held folders: ``scratch.py``)."""
BUNDLE_SCRATCH = "portal-search-bundle-"
"""Prefix of the folders in memory Pagefind writes a bundle to (held folders)."""
BLOCK = 4096
"""What a small file takes in memory (``tmpfs``: a page)."""
FIXED_BYTES = 1 << 20
"""Pagefind's scripts, styles and WebAssembly in a bundle (about 570 KB in Pagefind 1.5)."""
MARGIN_BYTES = 8 << 20
MARGIN_FILES = 1000
"""Room left in memory besides what a run in memory needs (twice over): after the run,
less than this means memory ran out meanwhile."""
UNUSED = ("pagefind-ui.", "pagefind-modular-ui.", "pagefind-component-ui.")
"""Pagefind's ready-made interfaces: the theme has its own accessible search page."""


def searchable(output: Output) -> bool:
    if output.kind != "page" or output.template not in INDEXED_TEMPLATES:
        return False
    pagination = output.context.get("pagination")
    return pagination is None or pagination.number == 1


def search_keys(pages: Iterable[tuple[str, str]], known: Mapping[str, tuple[str, str]],
                load: Callable[[str], bytes]) -> dict[str, tuple[str, str]]:
    """For each searchable page, given as (output path, fingerprint): its fingerprint and the
    digest of what Pagefind reads of it (:func:`index_view`), taken from ``known`` while the
    fingerprint is the same, else read through ``load``.

    Shards are keyed by these digests, not by the pages' fingerprints: a template change that
    leaves the searchable part of every page as it was (the sidebar, the footer, the head…)
    re-renders the pages but does not re-index them."""
    keys = {}
    for path, fingerprint in pages:
        before = known.get(path)
        keys[path] = before if before is not None and before[0] == fingerprint else (
            fingerprint, hashlib.sha256(index_view(load(path))).hexdigest())
    return keys


@dataclass(frozen=True)
class SearchIndex:
    files: dict[str, str]
    """Output path → the file in the cache."""
    fresh: frozenset[str]
    """Output paths of the files this build made (not reused, not linked): the write stage
    compares them byte by byte with the output's, as Pagefind's names (28 bits of a hash)
    may clash across bundles."""


NO_INDEX = SearchIndex({}, frozenset())


def build_search_index(pages: list[tuple[str, str, str]], load: Callable[[str], bytes],
                       language: str, cache_dir: Path) -> SearchIndex:
    """Index the searchable pages, given as (output path, key, shard), the key a digest of
    what Pagefind reads of the page (:func:`search_keys`); return the index files (in the
    cache) by output path. HTML is read through ``load`` only for shards to rebuild.

    The index is split into shards of consecutive years (see ``plan.search_shards``), each a
    Pagefind bundle under ``pagefind/<shard>/``: an edit re-indexes one shard, and the search
    page searches recent years first, fetching older ones on request.

    Pagefind writes its filter and metadata files in a varying order (the same index, other
    bytes), so each shard's bundle is kept in the cache, keyed by the fingerprints of the pages
    it is made of, and reused while they do not change: rebuilds stay byte-identical and hosts
    do not re-upload an unchanged index.
    """
    groups: dict[str, list[tuple[str, str]]] = {}
    for path, key, shard in pages:
        groups.setdefault(shard, []).append((path, key))
    root = cache_dir / "search"
    root.mkdir(parents=True, exist_ok=True)
    kept: list[dict[str, str]] = []

    def kept_files() -> dict[str, str]:  # listed once, and only when a shard is rebuilt
        if not kept:
            kept.append(_kept_files(root))
        return kept[0]

    made = {shard: _bundle(root, group, language, load, kept_files)
            for shard, group in groups.items()}
    bundles = {shard: bundle for shard, (bundle, _) in made.items()}
    # What builds killed while Pagefind ran left: once a build, not once a shard.
    remove_abandoned(_scratch(), SCRATCH)
    remove_abandoned(_scratch(), BUNDLE_SCRATCH)
    remove_abandoned(root, STAGING)
    for old in root.iterdir():
        if old in bundles.values() or old.name.startswith(STAGING):
            continue
        if not old.name.startswith(TRASH):
            # Out of the way first, under a name no build looks up: a build killed while
            # deleting must not leave a partly deleted folder that passes for a bundle.
            old = old.rename(root / f"{TRASH}{old.name}-{uuid.uuid4().hex[:8]}")
        shutil.rmtree(old, ignore_errors=True)
    files = {f"{SEARCH_FOLDER}/{shard}/{rel}": os.path.join(folder, rel)
             for shard, folder in sorted((shard, str(bundle)) for shard, bundle in bundles.items())
             for rel in _files(Path(folder))}
    fresh = frozenset(f"{SEARCH_FOLDER}/{shard}/{rel}" for shard, (_, rels) in made.items()
                      for rel in rels)
    return SearchIndex(files, fresh)


def _files(bundle: Path) -> list[str]:
    """The bundle's files (relative, sorted), walked with plain strings: thousands of them."""
    found = []
    root = str(bundle)
    for folder, _, names in os.walk(root):
        prefix = os.path.relpath(folder, root).replace(os.sep, "/")
        prefix = "" if prefix == "." else prefix + "/"
        found.extend(prefix + name for name in names if not name.startswith(UNUSED))
    return sorted(found)


def is_content_named(path: str) -> bool:
    """Pagefind names its index, fragment, filter and metadata files by a hash of their
    content: one that already exists with the same name and size holds the same bytes."""
    return path.endswith((".pf_fragment", ".pf_index", ".pf_filter", ".pf_meta"))


def _bundle(root: Path, pages: list[tuple[str, str]], language: str,
            load: Callable[[str], bytes], kept: Callable[[], dict[str, str]]
            ) -> tuple[Path, frozenset[str]]:
    """The cached Pagefind bundle of one shard, built first when its pages changed, and the
    files this build made for it (none for a bundle reused)."""
    cached = root / _digest(pages, language)
    if cached.is_dir():
        return cached, frozenset()
    views = [(path, index_view(load(path))) for path, _ in pages]
    with held_folder(STAGING, root) as staging:
        fresh = _make_bundle(views, language, staging, kept)
        staging.rename(cached)
    return cached, fresh


def _make_bundle(views: list[tuple[str, bytes]], language: str, staging: Path,
                 kept: Callable[[], dict[str, str]]) -> frozenset[str]:
    """Index the pages into ``staging`` (a folder of the cache, on the disk); return the
    files made there (not hard links).

    Pagefind writes its bundle in memory first where there is room, and only the files no
    cached bundle holds are copied to the disk; the others are hard links to the cached
    files with the same name and bytes. An edit changes a handful of its shard's thousand
    files, so an edit's bundle costs a handful of new files on the disk, and deleting the
    bundle it replaces frees almost none: creating a thousand files just after deleting as
    many is slow on some disks (ext4 without a journal looks long for an inode it may reuse:
    Pagefind took 1.8 s for a 1,000-page shard written there, 1.15 s in memory).

    Pagefind reports success when it could not write its files, leaving them empty or cut
    short: the run in memory counts only with room to spare before and after it, and with
    every file whole (:func:`_bundle_problem`); else, or when it fails or hangs there,
    Pagefind writes the bundle into the cache as before."""
    memory = _scratch()
    if memory is not None and _fits(memory, views):
        try:
            with held_folder(BUNDLE_SCRATCH, memory) as made:
                _run_pagefind(views, language, made, _memory_run(memory, views))
                data = _read_bundle(made)  # read once: checked, then compared and kept
                if _bundle_problem(made, data) is None:
                    return _keep_files(data, staging, kept())
        except (OSError, OutputError):
            pass  # memory ran out, or Pagefind failed there: on the disk it says why
        for left in staging.iterdir():  # the folder itself stays: it is the one held
            shutil.rmtree(left) if left.is_dir() else left.unlink()
    _run_pagefind(views, language, staging)
    problem = _bundle_problem(staging)
    if problem is not None:
        raise OutputError(f"{staging}: search index: expected the files of a Pagefind index, "
                          f"got {problem}: is the disk full?")
    return frozenset(_files(staging))


def _read_bundle(bundle: Path) -> dict[str, bytes]:
    """Every file of the bundle by its relative path, in :func:`_files`'s order (a shard's
    bundle is a few megabytes; plain strings: a thousand files)."""
    root = str(bundle)
    found = {}
    for rel in _files(bundle):
        with open(os.path.join(root, rel), "rb") as handle:
            found[rel] = handle.read()
    return found


def _bundle_problem(bundle: Path, data: dict[str, bytes] | None = None) -> str | None:
    """Pagefind reports success when it could not write its files (a full disk): they are
    left empty, or cut short. Such a bundle must fail the build, not be published and kept.
    (Its index files and WebAssembly are gzip streams, its entry file JSON: both tell a
    file cut short.) ``data``: the bundle as :func:`_read_bundle` read it."""
    files = _read_bundle(bundle) if data is None else data
    empty = [rel for rel, content in files.items() if not content]
    if empty:
        return f"{len(empty)} empty files ({empty[0]}…)"
    cut = [rel for rel, content in files.items() if _compressed(rel) and not _whole(content)]
    if cut:
        return f"{len(cut)} files cut short ({cut[0]}…)"
    if ENTRY not in files:
        return f"no {ENTRY}"
    try:
        json.loads(files[ENTRY])
    except ValueError:
        return f"{ENTRY} cut short"
    return None


def _compressed(rel: str) -> bool:
    return is_content_named(rel) or rel.endswith(".pagefind")


def _keep_files(data: dict[str, bytes], staging: Path, kept: dict[str, str]) -> frozenset[str]:
    """Put the bundle Pagefind made in memory (``data``, checked whole) into ``staging``: a
    hard link to a cached file of the same name and bytes where there is one, else a copy;
    return the copies. (Plain strings and one ``mkdir`` per folder: a thousand files.)"""
    fresh = []
    root = str(staging)
    folders: set[str] = set()
    for rel, content in data.items():
        target = _in_folder(root, rel, folders)
        old = kept.get(rel)
        if old is not None:
            try:
                with open(old, "rb") as handle:
                    same = handle.read() == content  # the name alone is 28 bits of a hash
                if same:
                    os.link(old, target)
                    continue
            except OSError:
                pass  # gone meanwhile, or a file system without hard links: a copy
        with open(target, "wb") as handle:
            handle.write(content)
        fresh.append(rel)
    return frozenset(fresh)


def _whole(data: bytes) -> bool:
    """A complete gzip stream (Pagefind compresses its index files): not cut short."""
    stream = zlib.decompressobj(wbits=31)
    try:
        stream.decompress(data)
    except zlib.error:
        return False
    return stream.eof


def _kept_files(root: Path) -> dict[str, str]:
    """The files of the cached bundles, by their path in a bundle (one of each; plain
    strings: ten thousand of them at 10,000 articles)."""
    found: dict[str, str] = {}
    for bundle in sorted(root.iterdir()):
        if bundle.name.startswith((STAGING, TRASH)):
            continue
        prefix = str(bundle) + os.sep
        for rel in _files(bundle):
            found.setdefault(rel, prefix + rel)
    return found


def _fits(memory: str, views: list[tuple[str, bytes]]) -> bool:
    """Room in memory for the pages and the bundle, twice over: bytes (the file system's
    blocks: a small file takes a whole one) and files."""
    room = _room(memory)
    if room is None:
        return False
    free_bytes, free_files = room
    blocks = sum(-(-len(html) // BLOCK) for _, html in views)
    # The pages, the bundle (about three quarters of their size, a fragment a page) and
    # Pagefind's scripts and WebAssembly.
    needed_bytes = blocks * BLOCK + (blocks + len(views) + 64) * BLOCK + FIXED_BYTES
    needed_files = 3 * len(views) + 64  # a page, its folder, its fragment; the rest
    return free_bytes > 2 * needed_bytes + MARGIN_BYTES and (
        free_files is None or free_files > 2 * needed_files + MARGIN_FILES)


def _memory_run(memory: str, views: list[tuple[str, bytes]]) -> _MemoryRun:
    """How long Pagefind may take in memory, and the check after it: room must be left
    (no write can have failed for want of it)."""
    def ran_out() -> bool:
        room = _room(memory)
        return room is None or room[0] < MARGIN_BYTES or (
            room[1] is not None and room[1] < MARGIN_FILES)
    return _MemoryRun(timeout=60 + 0.05 * len(views), ran_out=ran_out)


def _room(folder: str) -> tuple[int, int | None] | None:
    """Bytes and files free in ``folder``'s file system (files ``None``: no limit), or
    ``None`` when it cannot tell."""
    try:
        stats = os.statvfs(folder)
    except OSError:
        return None
    files = stats.f_favail if stats.f_files else None
    return stats.f_bavail * stats.f_frsize, files


_BODY = re.compile(rb"<([a-zA-Z][a-zA-Z0-9]*)\b[^>]*?\sdata-pagefind-body\b")
_HTML_TAG = re.compile(rb"<html\b[^>]*>", re.IGNORECASE)
_TITLE = re.compile(rb"<title>.*?</title>", re.IGNORECASE | re.DOTALL)


def index_view(html: bytes) -> bytes:
    """The part of a page Pagefind reads: its language (``<html lang>``), its title and the
    ``data-pagefind-body`` element, which holds every ``data-pagefind-meta``/``-filter``
    attribute and the text to index. Pagefind makes the same index from it as from the whole
    page (the tests compare both) with a third of the bytes to write and read: masthead, menu,
    sidebar and footer are most of a page (3.5 s → 3.2 s and 3.9 s → 2.7 s for a 2,000-page
    shard in two timings on a shared machine). A page it cannot cut (no marked element,
    unbalanced tags) is indexed whole."""
    body = _BODY.search(html)
    if body is None:
        return html
    tags = re.compile(rb"<(/?)" + re.escape(body.group(1)) + rb"\b", re.IGNORECASE)
    depth = 0
    for tag in tags.finditer(html, body.start()):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            end = html.find(b">", tag.end())
            break
    else:
        return html
    html_tag = _HTML_TAG.search(html, 0, body.start())
    title = _TITLE.search(html, 0, body.start())
    if end < 0 or html_tag is None:
        return html
    return b"".join((b"<!DOCTYPE html>", html_tag.group(0), b'<head><meta charset="utf-8">',
                     title.group(0) if title else b"", b"</head><body>",
                     html[body.start():end + 1], b"</body></html>"))


DISK_SECONDS = 300.0
DISK_SECONDS_PER_PAGE = 0.2
"""A run on the disk may take this long (a shard of 1,000 pages: 500 s, where it takes
about 2 s on a local disk) before it counts as hung."""


def disk_time_limit(pages: int) -> float:
    return DISK_SECONDS + DISK_SECONDS_PER_PAGE * pages


@dataclass(frozen=True)
class _MemoryRun:
    timeout: float
    ran_out: Callable[[], bool]


def pagefind_executable() -> Path | None:
    """The Pagefind binary, looked up as the ``pagefind`` wrapper does (``PAGEFIND_BINARY_PATH``,
    the extended binary's package, the binary's package, then the wrapper's own search of the
    ``PATH``), without importing the wrapper where a binary's package answers: its module
    brings asyncio and ssl along, 36 ms of every build that indexes."""
    configured = os.environ.get("PAGEFIND_BINARY_PATH")
    if configured:
        return Path(configured)
    for package in ("pagefind_bin_extended", "pagefind_bin"):
        try:
            found = importlib.import_module(package).get_executable()
        except ImportError:
            continue
        return Path(found)
    from pagefind.service import get_executable  # the wrapper's PATH search, asyncio and all

    return get_executable()


def _run_pagefind(pages: list[tuple[str, bytes]], language: str, bundle: Path,
                  memory: _MemoryRun | None = None) -> None:
    executable = pagefind_executable()
    if executable is None:
        raise OutputError("search index: the Pagefind binary is missing: "
                          "python -m pip install 'pagefind[bin]'")
    scratch = _scratch()
    try:
        result = _index_pages(executable, pages, language, bundle, scratch, memory)
    except OSError as exc:
        if scratch is None or exc.errno != errno.ENOSPC or memory is not None:
            raise
        # Memory is small here (a container's /dev/shm): the usual temporary folder. (Only
        # the pages were written, in the folder just removed: the bundle is still empty.)
        result = _index_pages(executable, pages, language, bundle, None)
    if result.returncode != 0:
        raise OutputError(f"search index: Pagefind failed: {result.stdout}{result.stderr}")


def _index_pages(executable: Path, pages: list[tuple[str, bytes]], language: str,
                 bundle: Path, scratch: str | None, memory: _MemoryRun | None = None
                 ) -> subprocess.CompletedProcess[str]:
    with held_folder(SCRATCH, scratch) as root:
        _write_pages(str(root), pages)
        command = [str(executable), "--site", str(root), "--output-path", str(bundle),
                   "--force-language", language, "--silent"]
        # Pagefind retries a file it cannot create for ever (memory out of files, a disk
        # full): a run has a time limit, generous on the disk, which may be slow.
        limit = memory.timeout if memory is not None else disk_time_limit(len(pages))
        try:
            result = subprocess.run(command, capture_output=True, text=True, check=False,
                                    timeout=limit)
        except subprocess.TimeoutExpired:
            if memory is not None:
                raise OutputError(f"search index: Pagefind did not finish within "
                                  f"{limit:.0f} s in memory") from None
            raise OutputError(f"{bundle}: search index: expected Pagefind to finish within "
                              f"{limit:.0f} s, got it still running: is the disk full or very "
                              "slow?") from None
        if memory is not None and memory.ran_out():  # checked with the pages still there
            raise OutputError("search index: memory ran out while Pagefind wrote")
        return result


def _write_pages(root: str, pages: list[tuple[str, bytes]]) -> None:
    """The pages as files under ``root`` (plain strings and one ``mkdir`` per folder: a
    shard is a thousand pages, each in a folder of its own)."""
    folders: set[str] = set()
    for path, html in pages:
        with open(_in_folder(root, path, folders), "wb") as handle:
            handle.write(html)


def _in_folder(root: str, rel: str, made: set[str]) -> str:
    """``root/rel``, its folder made first unless it is in ``made`` (folders made so far)."""
    target = os.path.join(root, rel)
    folder = os.path.dirname(target)
    if folder not in made:
        os.makedirs(folder, exist_ok=True)
        made.add(folder)
    return target


def _scratch() -> str | None:
    """Where the pages Pagefind reads are laid out for a moment: memory (``/dev/shm``) where
    the system offers it, as thousands of small files cost far more on a disk; else the usual
    temporary folder."""
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK) else None


def _digest(pages: list[tuple[str, str]], language: str) -> str:
    digest = hashlib.sha256(f"pagefind {PAGEFIND_VERSION} {language}\n".encode())
    for path, key in pages:
        digest.update(f"{path}\0{key}\n".encode())
    return digest.hexdigest()[:32]
