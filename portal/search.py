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

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterable, Mapping
from importlib.metadata import version
from pathlib import Path

from portal.errors import OutputError
from portal.plan import SEARCH_FOLDER, Output

PAGEFIND_VERSION = version("pagefind")
INDEXED_TEMPLATES = ("article.html", "campaign.html", "page.html")
BUNDLE = "@"
"""Between a cached bundle's shard and its digest (``2020-2021@…``)."""
STAGING = ".staging-"
"""Prefix of a cached bundle being copied, followed by the building process's id."""
TRASH = ".trash-"
"""Prefix of cached bundles on their way out (see ``build_search_index``)."""
SCRATCH = "portal-search-pages-"
"""Prefix of the folders Pagefind reads pages from, followed by the building process's id."""
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
    bundles = {shard: _bundle(root, shard, group, language, load)
               for shard, group in groups.items()}
    for old in root.iterdir():
        if old in bundles.values() or (old.name.startswith(STAGING)
                                       and not _abandoned(old.name[len(STAGING):])):
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


def _bundle(root: Path, shard: str, pages: list[tuple[str, str]], language: str,
            load: Callable[[str], bytes]) -> Path:
    """The cached Pagefind bundle of one shard, built first when its pages changed.

    Pagefind writes the bundle in memory (see :func:`_scratch`): on a disk, its threads
    creating some 2,000 files at once took a second more for a 2,000-page shard than the
    indexing alone (3.4 s instead of 2.4 s), while copying them afterwards takes 0.1 s. Files
    named by their content that the shard's previous bundle already holds are linked, not
    copied: after an edit, nearly all of them."""
    cached = root / f"{shard}{BUNDLE}{_digest(pages, language)}"
    if cached.is_dir():
        return cached
    scratch = _scratch()
    with tempfile.TemporaryDirectory(prefix=f"{SCRATCH}{os.getpid()}-", dir=scratch) as made:
        _run_pagefind([(path, index_view(load(path))) for path, _ in pages], language,
                      Path(made))
        staging = Path(tempfile.mkdtemp(prefix=f"{STAGING}{os.getpid()}-", dir=root))
        try:
            _copy_bundle(Path(made), staging, _previous_bundle(root, shard))
            staging.rename(cached)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return cached


def _previous_bundle(root: Path, shard: str) -> Path | None:
    """The shard's bundle of an earlier build, if still in the cache."""
    for entry in os.scandir(root):
        if entry.name.startswith(f"{shard}{BUNDLE}"):
            return Path(entry.path)
    return None


def _copy_bundle(made: Path, target: Path, previous: Path | None) -> None:
    """Copy a bundle Pagefind made into the cache, linking the content-named files that
    ``previous`` holds with the same name and size (so the same bytes)."""
    for rel in _files(made):
        source, copy = made / rel, target / rel
        copy.parent.mkdir(parents=True, exist_ok=True)
        if previous is not None and is_content_named(rel):
            try:
                old = previous / rel
                if old.stat().st_size == source.stat().st_size:
                    os.link(old, copy)
                    continue
            except OSError:
                pass  # not there, or no hard links on this file system: copied
        shutil.copyfile(source, copy)


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
    remove_abandoned_scratch(scratch)
    with tempfile.TemporaryDirectory(prefix=f"{SCRATCH}{os.getpid()}-", dir=scratch) as folder:
        root = Path(folder)
        for path, html in pages:
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(html)
        result = subprocess.run(
            [str(executable), "--site", str(root), "--output-path", str(bundle),
             "--force-language", language, "--silent"],
            capture_output=True, text=True, check=False,
        )
    if result.returncode != 0:
        raise OutputError(f"search index: Pagefind failed: {result.stdout}{result.stderr}")


def remove_abandoned_scratch(scratch: str | None) -> None:
    """Remove the page folders of builds killed while Pagefind ran (their process is gone).

    A killed process cannot clean up after itself, and in ``/dev/shm`` what it leaves holds
    memory until the machine restarts: each build sweeps what dead builds left. A folder is
    named after the process that made it; one whose process still runs (or whose number was
    given to another process) is left alone."""
    root = Path(scratch if scratch is not None else tempfile.gettempdir())
    try:
        names = [entry.name for entry in os.scandir(root) if entry.name.startswith(SCRATCH)]
    except OSError:
        return
    for name in names:
        if _abandoned(name[len(SCRATCH):]):
            shutil.rmtree(root / name, ignore_errors=True)


def _abandoned(suffix: str) -> bool:
    """Whether a temporary folder named ``<prefix><process id>-…`` outlived its process."""
    pid = suffix.partition("-")[0]
    return pid.isdigit() and not _running(int(pid))


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: not ours to judge
    return True


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
