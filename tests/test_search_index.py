"""The search index is made from each page's searchable part (``search.index_view``); it must
be the index Pagefind makes from the whole pages."""

from __future__ import annotations

import errno
import fcntl
import os
import re
import time
from pathlib import Path

import pytest
from golden_site import build_sample
from test_incremental import clean_build, comparable

import portal.search as search_module
from portal.errors import OutputError
from portal.plan import search_shards, shard_names
from portal.search import _run_pagefind, index_view
from portal.theme import THEME_DIR


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sample") / "site"
    build_sample(out)
    return out


def searchable_pages(site: Path) -> list[tuple[str, bytes]]:
    pages = [(p.relative_to(site).as_posix(), p.read_bytes()) for p in sorted(site.rglob("*.html"))
             if not p.relative_to(site).as_posix().startswith("pagefind/")]
    return [(path, html) for path, html in pages if b'data-pagefind-filter="kind:' in html]


def content_named(bundle: Path) -> set[str]:
    """Index and fragment files are named by a hash of their bytes: equal names, equal bytes.
    (Filter and metadata files vary in byte order from run to run, whatever the input.)"""
    return {p.relative_to(bundle).as_posix() for p in bundle.rglob("*")
            if p.suffix in (".pf_fragment", ".pf_index")}


def test_the_searchable_part_makes_the_same_index_as_the_whole_page(sample, tmp_path):
    pages = searchable_pages(sample)
    kinds = {html.split(b'data-pagefind-filter="kind:', 1)[1].split(b'"', 1)[0].decode()
             for _, html in pages}
    assert {"Tin bài", "Chuyên đề", "Trang thông tin"} <= kinds  # every indexed template
    _run_pagefind(pages, "vi", tmp_path / "whole")
    views = [(path, index_view(html)) for path, html in pages]
    assert all(len(view) < len(html) / 2 for (_, view), (_, html) in zip(views, pages,
                                                                           strict=True))
    _run_pagefind(views, "vi", tmp_path / "view")
    whole = content_named(tmp_path / "whole")
    assert len([name for name in whole if name.endswith(".pf_fragment")]) == len(pages)
    assert content_named(tmp_path / "view") == whole


@pytest.mark.parametrize("html", [
    b"<html lang='vi'><body><main><p>no marked element</p></main></body></html>",
    b"<html lang='vi'><body><div data-pagefind-body><div>unclosed</div></body></html>",
])
def test_a_page_it_cannot_cut_is_indexed_whole(html):
    assert index_view(html) == html


def test_nested_elements_of_the_same_name_stay_inside():
    html = (b'<!DOCTYPE html><html lang="vi"><head><title>T</title><link rel="x"></head><body>'
            b'<nav>menu</nav><article data-pagefind-body><h1>T</h1><article>the</article>'
            b'<p>cuoi</p></article><aside>le</aside></body></html>')
    assert index_view(html) == (
        b'<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>T</title></head>'
        b'<body><article data-pagefind-body><h1>T</h1><article>the</article><p>cuoi</p>'
        b'</article></body></html>')


@pytest.fixture
def news(site):
    for index in range(3):
        site.article(f"a{index}.md", f"title: Bài {index}\ndate: 2023-03-0{index + 1}\n",
                     f"Nội dung bài {index}.\n")
    return site


def count_pagefind_runs(monkeypatch) -> list[int]:
    runs: list[int] = []
    real = search_module._run_pagefind

    def counted(pages, language, bundle, *rest):
        runs.append(len(pages))
        real(pages, language, bundle, *rest)

    monkeypatch.setattr(search_module, "_run_pagefind", counted)
    return runs


def test_a_template_change_outside_the_searchable_part_does_not_reindex(news, monkeypatch,
                                                                        tmp_path):
    news.build()
    runs = count_pagefind_runs(monkeypatch)
    footer = (THEME_DIR / "templates/partials/footer.html").read_text(encoding="utf-8")
    news.write("templates/partials/footer.html", footer + "<p>Chân trang mới</p>\n")
    result = news.build()
    assert result.pages_rendered > 3  # every page shows the footer
    assert runs == []
    assert "Chân trang mới" in news.read("tin-tuc/bai-1/index.html")
    assert comparable(news.files()) == comparable(clean_build(news, tmp_path / "clean"))


def test_a_template_change_inside_it_reindexes(news, monkeypatch, tmp_path):
    news.build()
    runs = count_pagefind_runs(monkeypatch)
    article = (THEME_DIR / "templates/article.html").read_text(encoding="utf-8")
    news.write("templates/article.html",
               article.replace('data-pagefind-body', 'data-pagefind-body data-moi="1"', 1))
    news.build()
    assert runs and runs[0] >= 3
    assert comparable(news.files()) == comparable(clean_build(news, tmp_path / "clean"))


def test_a_bundle_half_deleted_by_a_killed_build_is_never_reused(news, monkeypatch, tmp_path):
    """An edit replaces its shard's cached bundle; a build killed while deleting the old
    one must not leave a folder that a later build, back at the old pages, takes for it."""
    news.build()
    path = news.root / "content/articles/a1.md"
    original = path.read_text(encoding="utf-8")
    path.write_text(original.replace("Nội dung bài 1.", "Nội dung mới."), encoding="utf-8")
    real_rmtree = search_module.shutil.rmtree

    def killed_while_deleting(folder, *args, **kwargs):
        folder = Path(folder)
        if folder.parent != news.root / ".portal-cache/search" or not folder.is_dir() \
                or folder.name.startswith(".staging-"):
            return real_rmtree(folder, *args, **kwargs)
        real_rmtree(Path(folder) / "fragment")  # the first part of a bundle gone, then SIGKILL
        raise KeyboardInterrupt

    monkeypatch.setattr(search_module.shutil, "rmtree", killed_while_deleting)
    with pytest.raises(KeyboardInterrupt):
        news.build()
    monkeypatch.undo()
    path.write_text(original, encoding="utf-8")
    news.build()
    assert comparable(news.files()) == comparable(clean_build(news, tmp_path / "clean"))


def test_page_folders_left_by_killed_builds_are_removed(news, monkeypatch, tmp_path):
    """Pagefind reads pages from a folder in memory (``/dev/shm``); a build killed meanwhile
    leaves it there, holding memory until the machine restarts. The next build removes it;
    a folder another build still holds, a new one and another program's stay."""
    scratch = tmp_path / "shm"
    scratch.mkdir()
    monkeypatch.setattr(search_module, "_scratch", lambda: str(scratch))
    names = {"dead": f"{search_module.SCRATCH}123-abcd1234",
             "old format": f"{search_module.SCRATCH}l_zfa_b7",
             "held": f"{search_module.SCRATCH}456-efgh5678",
             "new": f"{search_module.SCRATCH}789-ijkl9012",
             "dead bundle": f"{search_module.BUNDLE_SCRATCH}q1w2e3r4",
             "other": "another-program-1"}
    for name in names.values():
        (scratch / name / "tin-tuc/bai-1").mkdir(parents=True)
        (scratch / name / "tin-tuc/bai-1/index.html").write_text("<html></html>",
                                                                 encoding="utf-8")
        if name != names["new"]:
            os.utime(scratch / name, (1, 1))
    holder = os.open(scratch / names["held"], os.O_RDONLY)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)
        news.build()
    finally:
        os.close(holder)
    assert sorted(p.name for p in scratch.iterdir()) == sorted(
        [names["held"], names["new"], names["other"]])


def test_the_pagefind_binary_is_found_as_the_wrapper_finds_it(monkeypatch, tmp_path):
    from pagefind.service import get_executable

    monkeypatch.delenv("PAGEFIND_BINARY_PATH", raising=False)
    assert search_module.pagefind_executable() == get_executable() is not None
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(tmp_path / "pagefind"))
    assert search_module.pagefind_executable() == tmp_path / "pagefind" == get_executable()


def test_search_shards_split_a_year_larger_than_a_shard_by_months(site):
    site.write("site.toml", (site.root / "site.toml").read_text(encoding="utf-8")
               + "\n[search]\nshard_articles = 2\n")
    dates = ["2021-06-01", "2022-06-01", "2023-01-05", "2023-01-20", "2023-03-05",
             "2023-03-20", "2023-07-01"]
    for when in dates:
        site.article(f"a{when}.md", f"title: Bài ngày {when}\ndate: {when}\n")
    result = site.build()
    shards = search_shards(result.site)
    general = len(result.site.pages) + len(result.site.campaigns)
    assert [(s.name, s.pages, s.years, s.months) for s in shards] == [
        ("2023.07", 1 + general, (), ((2023, 7),)),
        ("2023.03", 2, (), ((2023, 3),)),
        ("2023.01", 2, (), ((2023, 1),)),
        ("2021-2022", 2, (2021, 2022), ()),
    ]
    shard_of = shard_names(shards)
    assert {o.path: shard_of(o) for o in result.outputs if o.context.get("article")} == {
        f"tin-tuc/bai-ngay-{when}/index.html": shard for when, shard in zip(dates, [
            "2021-2022", "2021-2022", "2023.01", "2023.01", "2023.03", "2023.03", "2023.07"],
            strict=True)}
    fragments = {shard: len(list((site.output / "pagefind" / shard / "fragment").iterdir()))
                 for shard in ("2023.07", "2023.03", "2023.01", "2021-2022")}
    assert fragments == {"2023.07": 1 + general, "2023.03": 2, "2023.01": 2, "2021-2022": 2}
    assert 'data-shards="2023.07 2023.03 2023.01 2021-2022"' in site.read("tim-kiem/index.html")


def test_a_missing_pagefind_binary_stops_the_build_saying_how_to_install_it(
        news, monkeypatch):
    monkeypatch.setattr(search_module, "pagefind_executable", lambda: None)
    with pytest.raises(OutputError) as caught:
        news.build()
    assert str(caught.value) == ("search index: the Pagefind binary is missing: "
                                 "python -m pip install 'pagefind[bin]'")
    assert not news.output.exists()
    assert news.build(search=False).pages > 0  # a build without search needs none


def test_pagefind_hanging_on_the_disk_is_stopped_and_fails_the_build(news, monkeypatch,
                                                                     tmp_path):
    """A full disk: Pagefind retries a file it cannot create for ever."""
    news.build()
    before = news.files()
    edit_one_article(news)
    hanging = tmp_path / "pagefind"
    hanging.write_text("#!/bin/sh\nexec sleep 60\n")
    hanging.chmod(0o755)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(hanging))
    monkeypatch.setattr(search_module, "_scratch", lambda: None)  # no run in memory
    monkeypatch.setattr(search_module, "DISK_SECONDS", 1.0)
    monkeypatch.setattr(search_module, "DISK_SECONDS_PER_PAGE", 0.0)
    started = time.monotonic()
    with pytest.raises(OutputError) as caught:
        news.build()
    assert time.monotonic() - started < 30
    assert re.fullmatch(re.escape(str(news.root / ".portal-cache/search/.staging-"))
                        + r"[\w-]+: search index: expected Pagefind to finish within 1 s, got "
                        r"it still running: is the disk full or very slow\?",
                        str(caught.value)), str(caught.value)
    assert news.files() == before  # the previous output is untouched
    monkeypatch.undo()
    news.build()
    assert "Nội dung mới." in news.read("tin-tuc/bai-1/index.html")


def test_an_index_pagefind_could_not_write_fails_the_build_and_is_not_kept(
        news, monkeypatch, tmp_path):
    """A full disk: Pagefind exits with success and leaves its files empty."""

    def disk_full(bundle):
        for path in bundle.rglob("*.pf_fragment"):
            path.write_bytes(b"")

    before, error = edit_with_pagefind_damaging(news, monkeypatch, disk_full)
    fragments = len(list((news.output / "pagefind").rglob("*.pf_fragment")))
    assert re.fullmatch(re.escape(str(news.root / ".portal-cache/search/.staging-"))
                        + r"[\w-]+: search index: expected the files of a Pagefind index, got "
                        + f"{fragments}" + r" empty files \(fragment/vi_\w+\.pf_fragment…\): "
                        r"is the disk full\?", str(error)), str(error)
    assert news.files() == before  # the previous output is untouched
    monkeypatch.undo()
    news.build()
    assert comparable(news.files()) == comparable(clean_build(news, tmp_path / "clean"))


def test_pages_go_to_the_temporary_folder_when_memory_is_full(news, monkeypatch, tmp_path):
    scratch = tmp_path / "full-shm"
    scratch.mkdir()
    monkeypatch.setattr(search_module, "_scratch", lambda: str(scratch))
    write_bytes = Path.write_bytes

    def no_space(path, data):
        if str(path).startswith(str(scratch)):
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return write_bytes(path, data)

    monkeypatch.setattr(Path, "write_bytes", no_space)
    news.build()
    monkeypatch.undo()
    assert list(scratch.iterdir()) == []
    assert same_pages_and_fragments(news, tmp_path)
    assert any(path.startswith("pagefind/2023/index/") for path in news.files())


def same_pages_and_fragments(news, tmp_path) -> bool:
    """Pagefind numbers the pages in the order the file system lists them: another folder,
    another word index; the same pages and fragments."""
    built, clean = (
        {path: data for path, data in comparable(files).items()
         if not path.startswith("pagefind/") or "/fragment/" in path}
        for files in (news.files(), clean_build(news, tmp_path / "clean")))
    return built == clean


def edit_with_pagefind_damaging(news, monkeypatch, damage) -> tuple[dict[str, bytes], OutputError]:
    """Build; edit an article; build again with ``damage(bundle)`` after each Pagefind run (a
    full disk): the first build's output, and the error the second one raised."""
    real = search_module._run_pagefind

    def damaged(pages, language, bundle, *rest):
        real(pages, language, bundle, *rest)
        damage(bundle)

    news.build()
    before = news.files()
    edit_one_article(news)
    monkeypatch.setattr(search_module, "_run_pagefind", damaged)
    with pytest.raises(OutputError) as caught:
        news.build()
    return before, caught.value


def edit_one_article(news) -> None:
    source = news.root / "content/articles/a1.md"
    source.write_text(source.read_text(encoding="utf-8").replace("Nội dung bài 1.",
                                                                 "Nội dung mới."),
                      encoding="utf-8")


def cached_fragments(news) -> dict[str, int]:
    """The cached bundles' fragment files, by name: their inode numbers."""
    return {path.name: path.stat().st_ino
            for path in (news.root / ".portal-cache/search").glob("*/fragment/*.pf_fragment")}


def memory_runs(news, monkeypatch, tmp_path) -> list[Path]:
    """Where each Pagefind run of the next builds writes its bundle; "memory" is a folder of
    the test's own."""
    memory = tmp_path / "memory"
    memory.mkdir()
    monkeypatch.setattr(search_module, "_scratch", lambda: str(memory))
    runs: list[Path] = []
    real = search_module._run_pagefind

    def recorded(pages, language, bundle, *rest):
        runs.append(bundle)
        real(pages, language, bundle, *rest)

    monkeypatch.setattr(search_module, "_run_pagefind", recorded)
    return runs


def test_an_edit_keeps_the_unchanged_files_of_its_shard_as_they_are_in_the_cache(
        news, monkeypatch, tmp_path):
    """Pagefind writes the shard's bundle in memory; only the files no cached bundle holds
    are new files in the cache, the others are the cached files themselves (hard links)."""
    runs = memory_runs(news, monkeypatch, tmp_path)
    news.build()
    before = cached_fragments(news)
    edit_one_article(news)
    news.build()
    after = cached_fragments(news)
    assert [run.parent for run in runs] == [tmp_path / "memory"] * 2
    assert len(after) == len(before) == 3
    kept = set(before) & set(after)
    assert len(kept) == 2  # the two articles not edited
    assert all(after[name] == before[name] for name in kept)
    assert comparable(news.files()) == comparable(clean_build(news, tmp_path / "clean"))


def test_a_bundle_cut_short_in_memory_is_made_again_on_the_disk(news, monkeypatch, tmp_path):
    """Memory that runs out while Pagefind writes leaves a file cut short: it must not
    reach the cache; Pagefind writes the bundle again, into the cache."""
    runs = memory_runs(news, monkeypatch, tmp_path)
    real = search_module._run_pagefind

    def memory_runs_out(pages, language, bundle, *rest):
        real(pages, language, bundle, *rest)
        if bundle.parent == tmp_path / "memory":
            fragment = next(bundle.rglob("*.pf_fragment"))
            fragment.write_bytes(fragment.read_bytes()[:20])

    monkeypatch.setattr(search_module, "_run_pagefind", memory_runs_out)
    news.build()
    assert [run.parent for run in runs] == [tmp_path / "memory",
                                            news.root / ".portal-cache/search"]
    assert list((tmp_path / "memory").iterdir()) == []
    monkeypatch.undo()
    fragments = [path.read_bytes() for path in news.output.glob("pagefind/*/fragment/*")]
    assert len(fragments) == 3 and all(search_module._whole(data) for data in fragments)
    assert same_pages_and_fragments(news, tmp_path)


def test_without_room_in_memory_pagefind_writes_into_the_cache(news, monkeypatch, tmp_path):
    runs = memory_runs(news, monkeypatch, tmp_path)
    monkeypatch.setattr(search_module, "_room", lambda folder: (1000, None))
    news.build()
    assert [run.parent for run in runs] == [news.root / ".portal-cache/search"]


def test_a_file_system_without_hard_links_gets_copies(news, monkeypatch, tmp_path):
    memory_runs(news, monkeypatch, tmp_path)
    news.build()

    def refused(source, target):
        raise OSError(errno.EPERM, "Operation not permitted", str(source))

    monkeypatch.setattr(search_module.os, "link", refused)
    edit_one_article(news)
    news.build()
    assert comparable(news.files()) == comparable(clean_build(news, tmp_path / "clean"))


@pytest.mark.parametrize("cut, whole", [(None, True), (20, False), (-1, False), (0, False)])
def test_a_gzip_stream_cut_short_is_not_whole(cut, whole):
    import gzip
    data = gzip.compress("Nội dung bài viết. ".encode() * 200)
    assert search_module._whole(data if cut is None else data[:cut]) is whole


def test_an_index_file_changed_by_hand_is_put_back_even_at_the_same_size(news):
    news.build()
    originals = {path: path.read_bytes()
                 for path in news.output.glob("pagefind/*/fragment/*.pf_fragment")}
    for path, data in originals.items():
        path.write_bytes(bytes(byte ^ 0xFF for byte in data))
    edit_one_article(news)
    news.build()
    kept = [path for path in originals if path.exists()]
    assert len(kept) == 2  # the edited article's fragment is replaced
    assert all(path.read_bytes() == originals[path] for path in kept)


def test_pagefind_failing_in_memory_runs_again_on_the_disk(news, monkeypatch, tmp_path):
    runs = memory_runs(news, monkeypatch, tmp_path)
    real = search_module._run_pagefind
    failed: list[Path] = []

    def fails_in_memory(pages, language, bundle, *rest):
        if bundle.parent == tmp_path / "memory":
            failed.append(bundle)
            raise OutputError("search index: Pagefind failed: Error: No space left on device")
        real(pages, language, bundle, *rest)

    monkeypatch.setattr(search_module, "_run_pagefind", fails_in_memory)
    news.build()
    assert len(failed) == 1
    assert [run.parent for run in runs] == [news.root / ".portal-cache/search"]
    assert len(list(news.output.glob("pagefind/*/fragment/*.pf_fragment"))) == 3


@pytest.mark.parametrize("cut", ["pagefind-entry.json", "wasm.unknown.pagefind", "fragment"])
def test_a_file_cut_short_in_memory_never_reaches_the_cache(cut, news, monkeypatch, tmp_path):
    """Pagefind's WebAssembly and index files are gzip streams, its entry file JSON: either
    tells a file cut short, and the bundle is made again on the disk."""
    runs = memory_runs(news, monkeypatch, tmp_path)
    real = search_module._run_pagefind

    def cuts(pages, language, bundle, *rest):
        real(pages, language, bundle, *rest)
        if bundle.parent == tmp_path / "memory":
            path = next(bundle.glob("fragment/*")) if cut == "fragment" else bundle / cut
            path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])

    monkeypatch.setattr(search_module, "_run_pagefind", cuts)
    news.build()
    assert [run.parent for run in runs] == [tmp_path / "memory",
                                            news.root / ".portal-cache/search"]
    bundle = news.output / "pagefind/2023"
    assert search_module._bundle_problem(bundle) is None


@pytest.mark.parametrize("timeout, ran_out", [(60, True), (0.001, False)],
                         ids=["memory short after the run", "Pagefind hanging"])
def test_a_run_in_memory_that_ran_short_or_hung_is_made_again_on_the_disk(
        timeout, ran_out, news, monkeypatch, tmp_path):
    """A script cut short cannot be told from its bytes: memory that is short after the run
    (another program took it meanwhile) is enough to make the bundle again. Pagefind retries
    for ever a file it cannot create (memory out of files): it is stopped."""
    runs = memory_runs(news, monkeypatch, tmp_path)
    monkeypatch.setattr(search_module, "_memory_run", lambda memory, views:
                        search_module._MemoryRun(timeout=timeout, ran_out=lambda: ran_out))
    news.build()
    assert [run.parent for run in runs] == [tmp_path / "memory",
                                            news.root / ".portal-cache/search"]
    assert list((tmp_path / "memory").iterdir()) == []
    assert len(list(news.output.glob("pagefind/*/fragment/*.pf_fragment"))) == 3


def test_memory_that_refuses_the_bundle_folder_sends_it_to_the_disk(news, monkeypatch,
                                                                   tmp_path):
    runs = memory_runs(news, monkeypatch, tmp_path)
    real = search_module.held_folder

    def refused(prefix, parent=None):
        if prefix == search_module.BUNDLE_SCRATCH:
            raise OSError(errno.ENOSPC, "No space left on device", str(parent))
        return real(prefix, parent)

    monkeypatch.setattr(search_module, "held_folder", refused)
    news.build()
    assert [run.parent for run in runs] == [news.root / ".portal-cache/search"]


@pytest.mark.parametrize("room, fits", [((10**9, None), True), ((10**9, 10**6), True),
                                        ((10**9, 30), False), ((10**6, None), False),
                                        (None, False)])
def test_a_run_in_memory_needs_room_for_bytes_and_files(room, fits, monkeypatch):
    monkeypatch.setattr(search_module, "_room", lambda folder: room)
    views = [(f"tin-tuc/bai-{i}/index.html", b"<p>x</p>" * 100) for i in range(20)]
    assert search_module._fits("/memory", views) is fits


def test_a_cached_file_of_the_same_name_but_other_bytes_is_neither_linked_nor_kept(
        news, monkeypatch, tmp_path):
    """Pagefind names a file with 28 bits of a hash of its bytes: another bundle may hold
    another file of that name, and the output folder too (put there by hand, here)."""
    memory_runs(news, monkeypatch, tmp_path)
    news.build()
    source = news.root / "content/articles/a1.md"
    original = source.read_text(encoding="utf-8")
    before = set(news.files())
    edit_one_article(news)
    news.build()
    made = {path: data for path, data in news.files().items()
            if path not in before and path.endswith(".pf_fragment")}
    assert len(made) == 1
    [(path, data)] = made.items()
    source.write_text(original, encoding="utf-8")
    news.build()
    assert path not in news.files()
    wrong = bytes(byte ^ 0xFF for byte in data)  # same size, other bytes
    rel = path.split("/", 2)[2]
    planted = news.root / ".portal-cache/search/0123456789abcdef0123456789abcdef" / rel
    planted.parent.mkdir(parents=True)
    planted.write_bytes(wrong)
    (news.output / path).write_bytes(wrong)
    edit_one_article(news)
    news.build()
    assert news.files()[path] == data
    cached = list((news.root / ".portal-cache/search").glob(f"*/{rel}"))
    assert [file.read_bytes() for file in cached] == [data]


@pytest.mark.parametrize("damage, found", [
    ("fragments", r"3 files cut short \(fragment/vi_\w+\.pf_fragment…\)"),
    ("entry", r"pagefind-entry\.json cut short"),
])
def test_an_index_cut_short_on_the_disk_fails_the_build_and_is_not_kept(
        damage, found, news, monkeypatch, tmp_path):
    """A full disk may also leave Pagefind's files cut short, not empty."""

    def cut_short(bundle):
        paths = list(bundle.rglob("*.pf_fragment")) if damage == "fragments" \
            else [bundle / "pagefind-entry.json"]
        for path in paths:
            path.write_bytes(path.read_bytes()[:10])

    before, error = edit_with_pagefind_damaging(news, monkeypatch, cut_short)
    assert re.fullmatch(re.escape(str(news.root / ".portal-cache/search/.staging-"))
                        + r"[\w-]+: search index: expected the files of a Pagefind index, got "
                        + found + r": is the disk full\?", str(error)), str(error)
    assert news.files() == before
    assert [path.name for path in (news.root / ".portal-cache/search").iterdir()
            if path.name.startswith(".staging-")] == []
    monkeypatch.undo()
    news.build()
    assert same_pages_and_fragments(news, tmp_path)
