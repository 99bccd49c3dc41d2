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
import os
import re
import shutil
import subprocess
import uuid
import zlib
from collections.abc import Callable, Iterable, Mapping
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
ROOM_FACTOR = 3
"""Pagefind writes its bundle in memory when the memory file system has this many times the
pages' bytes free: the pages, a bundle of about three quarters of their size, and a margin."""
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


def build_search_index(pages: list[tuple[str, str, str]], load: Callable[[str], bytes],
                       language: str, cache_dir: Path) -> dict[str, str]:
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
    kept: list[dict[str, Path]] = []

    def kept_files() -> dict[str, Path]:  # listed once, and only when a shard is rebuilt
        if not kept:
            kept.append(_kept_files(root))
        return kept[0]

    bundles = {shard: _bundle(root, group, language, load, kept_files)
               for shard, group in groups.items()}
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
    return {f"{SEARCH_FOLDER}/{shard}/{rel}": os.path.join(folder, rel)
            for shard, folder in sorted((shard, str(bundle)) for shard, bundle in bundles.items())
            for rel in _files(Path(folder))}


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
            load: Callable[[str], bytes], kept: Callable[[], dict[str, Path]]) -> Path:
    """The cached Pagefind bundle of one shard, built first when its pages changed."""
    cached = root / _digest(pages, language)
    if not cached.is_dir():
        views = [(path, index_view(load(path))) for path, _ in pages]
        with held_folder(STAGING, root) as staging:
            _make_bundle(views, language, staging, kept)
            staging.rename(cached)
    return cached


def _make_bundle(views: list[tuple[str, bytes]], language: str, staging: Path,
                 kept: Callable[[], dict[str, Path]]) -> None:
    """Index the pages into ``staging`` (a folder of the cache, on the disk).

    Pagefind writes its bundle in memory first where there is room, and only the files no
    cached bundle holds are copied to the disk; the others are hard links to the cached
    files of the same name (their names are hashes of their bytes). An edit changes a
    handful of its shard's thousand files, so an edit's bundle costs a handful of new files
    on the disk, and deleting the bundle it replaces frees almost none: creating a thousand
    files just after deleting as many is slow on some disks (ext4 without a journal looks
    long for an inode it may reuse: Pagefind took 1.8 s for a 1,000-page shard written
    there, 1.15 s in memory). Memory that runs out meanwhile (Pagefind then leaves files
    empty) sends the bundle to the disk, written by Pagefind as before."""
    memory = _scratch()
    if memory is not None and _room(memory) > ROOM_FACTOR * sum(len(html) for _, html in views):
        with held_folder(BUNDLE_SCRATCH, memory) as made:
            try:
                _run_pagefind(views, language, made)
            except OutputError:
                pass  # perhaps for want of memory: on the disk it says what went wrong
            else:
                if _bundle_problem(made) is None and _keep_files(made, staging, kept()):
                    return
        for left in staging.iterdir():  # the folder itself stays: it is the one held
            shutil.rmtree(left) if left.is_dir() else left.unlink()
    _run_pagefind(views, language, staging)
    problem = _bundle_problem(staging)
    if problem is not None:
        raise OutputError(f"{staging}: search index: expected the files of a Pagefind index, "
                          f"got {problem}: is the disk full?")


def _bundle_problem(bundle: Path) -> str | None:
    """Pagefind reports success when it could not write its files (a full disk): they are
    left empty. Such a bundle must fail the build, not be published and kept."""
    empty = [rel for rel in _files(bundle) if (bundle / rel).stat().st_size == 0]
    if empty:
        return f"{len(empty)} empty files ({empty[0]}…)"
    return None if (bundle / ENTRY).is_file() else f"no {ENTRY}"


def _keep_files(made: Path, staging: Path, kept: dict[str, Path]) -> bool:
    """Put the bundle Pagefind made in memory into ``staging``: a hard link to the cached
    file of the same name and size where there is one, else a copy. ``False`` when a file
    made is cut short (memory ran out while Pagefind wrote it)."""
    for rel in _files(made):
        source, target = made / rel, staging / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        old = kept.get(rel)
        if old is not None:
            try:
                if old.stat().st_size == source.stat().st_size:
                    os.link(old, target)
                    continue
            except OSError:
                pass  # gone meanwhile, or a file system without hard links: a copy
        data = source.read_bytes()
        if is_content_named(rel) and not _whole(data):
            return False
        target.write_bytes(data)
    return True


def _whole(data: bytes) -> bool:
    """A complete gzip stream (Pagefind compresses its index files): not cut short."""
    stream = zlib.decompressobj(wbits=31)
    try:
        stream.decompress(data)
    except zlib.error:
        return False
    return stream.eof


def _kept_files(root: Path) -> dict[str, Path]:
    """The content-named files of the cached bundles, by their path in a bundle."""
    found: dict[str, Path] = {}
    for bundle in root.iterdir():
        if bundle.name.startswith((STAGING, TRASH)):
            continue
        for rel in _files(bundle):
            if is_content_named(rel):
                found.setdefault(rel, bundle / rel)
    return found


def _room(folder: str) -> int:
    """Bytes free in ``folder``'s file system (0 when it cannot tell)."""
    try:
        stats = os.statvfs(folder)
    except OSError:
        return 0
    return stats.f_bavail * stats.f_frsize


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


def _run_pagefind(pages: list[tuple[str, bytes]], language: str, bundle: Path) -> None:
    # Imported here: the wrapper brings asyncio with it, and most builds index nothing.
    from pagefind.service import get_executable

    executable = get_executable()
    if executable is None:
        raise OutputError("search index: the Pagefind binary is missing: "
                          "python -m pip install 'pagefind[bin]'")
    scratch = _scratch()
    try:
        result = _index_pages(executable, pages, language, bundle, scratch)
    except OSError as exc:
        if scratch is None or exc.errno != errno.ENOSPC:
            raise
        # Memory is small here (a container's /dev/shm): the usual temporary folder. (Only
        # the pages were written, in the folder just removed: the bundle is still empty.)
        result = _index_pages(executable, pages, language, bundle, None)
    if result.returncode != 0:
        raise OutputError(f"search index: Pagefind failed: {result.stdout}{result.stderr}")


def _index_pages(executable: Path, pages: list[tuple[str, bytes]], language: str,
                 bundle: Path, scratch: str | None) -> subprocess.CompletedProcess[str]:
    with held_folder(SCRATCH, scratch) as root:
        for path, html in pages:
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(html)
        return subprocess.run(
            [str(executable), "--site", str(root), "--output-path", str(bundle),
             "--force-language", language, "--silent"],
            capture_output=True, text=True, check=False,
        )


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
