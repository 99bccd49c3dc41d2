"""The search index is made from each page's searchable part (``search.index_view``); it must
be the index Pagefind makes from the whole pages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from golden_site import build_sample
from test_incremental import clean_build, comparable

import portal.search as search_module
from portal.render import THEME_DIR
from portal.search import _run_pagefind, index_view


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

    def counted(pages, language, bundle):
        runs.append(len(pages))
        real(pages, language, bundle)

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
    leaves it there, holding memory until the machine restarts. The next build removes it."""
    scratch = tmp_path / "shm"
    scratch.mkdir()
    monkeypatch.setattr(search_module, "_scratch", lambda: str(scratch))
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)
    dead = scratch / f"{search_module.SCRATCH}{finished.stdout.strip()}-abcd1234"
    alive = scratch / f"{search_module.SCRATCH}{os.getppid()}-efgh5678"
    other = scratch / "another-program-1"
    for folder in (dead, alive, other):
        (folder / "tin-tuc/bai-1").mkdir(parents=True)
        (folder / "tin-tuc/bai-1/index.html").write_text("<html></html>", encoding="utf-8")
    news.build()
    assert sorted(p.name for p in scratch.iterdir()) == sorted([alive.name, other.name])
