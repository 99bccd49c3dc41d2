"""The static search index, built with Pagefind from the rendered pages.

Only item pages are indexed (articles, campaigns, plain pages: their templates mark the
searchable part with ``data-pagefind-body``); listings would only repeat them. Pagefind folds
tone and vowel marks ("cai cach" finds "cải cách"); ``đ`` is a letter of its own, so the search
page's script also tries each typed "d" as "đ" (see ``static/js/search.js``).

The pages are written to a staging folder and indexed by the binary that the ``pagefind[bin]``
package ships (its Python service wrapper polls for each answer every 0.1 s: ten pages a
second). The index files then go to the write stage like any other output: replaced
atomically, stale ones removed.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
import subprocess
import uuid
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
                       language: str, cache_dir: Path) -> dict[str, Path]:
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
    bundles = {shard: _bundle(root, group, language, load) for shard, group in groups.items()}
    # What builds killed while Pagefind ran left: once a build, not once a shard.
    remove_abandoned(_scratch(), SCRATCH)
    remove_abandoned(root, STAGING)
    for old in root.iterdir():
        if old in bundles.values() or old.name.startswith(STAGING):
            continue
        if not old.name.startswith(TRASH):
            # Out of the way first, under a name no build looks up: a build killed while
            # deleting must not leave a partly deleted folder that passes for a bundle.
            old = old.rename(root / f"{TRASH}{old.name}-{uuid.uuid4().hex[:8]}")
        shutil.rmtree(old, ignore_errors=True)
    return {f"{SEARCH_FOLDER}/{shard}/{rel}": bundle / rel
            for shard, bundle in sorted(bundles.items()) for rel in _files(bundle)}


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
            load: Callable[[str], bytes]) -> Path:
    """The cached Pagefind bundle of one shard, built first when its pages changed."""
    cached = root / _digest(pages, language)
    if not cached.is_dir():
        with held_folder(STAGING, root) as staging:
            _run_pagefind([(path, index_view(load(path))) for path, _ in pages], language,
                          staging)
            _check_bundle(staging)
            staging.rename(cached)
    return cached


def _check_bundle(bundle: Path) -> None:
    """Pagefind reports success when it could not write its files (a full disk): they are
    left empty. Such a bundle must fail the build, not be published and kept."""
    empty = [rel for rel in _files(bundle) if (bundle / rel).stat().st_size == 0]
    if empty or not (bundle / ENTRY).is_file():
        found = (f"{len(empty)} empty files ({empty[0]}…)" if empty else f"no {ENTRY}")
        raise OutputError(f"{bundle}: search index: expected the files of a Pagefind index, "
                          f"got {found}: is the disk full?")


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
