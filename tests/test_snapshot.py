"""The whole-build shortcut (``portal/snapshot.py``): a build with nothing to do stops at once,
and anything a build reads, any option, the clock and the output folder itself defeat it."""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import MINIMAL_CONFIG, NOW, SiteFolder
from test_incremental import clean_build, comparable

import portal.cache
import portal.model_store
import portal.pipeline
import portal.quick
import portal.snapshot
import portal.weight
from portal.cache import BuildCache
from portal.engine import engine_version
from portal.errors import BuildError, OutputError
from portal.pipeline import BuildResult
from portal.snapshot import OutputListing, list_output
from portal.theme import THEME_DIR


def shortcut(result: BuildResult) -> bool:
    return "snapshot" in result.stages


@pytest.fixture
def news(site: SiteFolder) -> SiteFolder:
    site.write("site.toml", MINIMAL_CONFIG + "\n[budget]\npage_kb = 20\n")
    site.article("a.md", "title: Bài A\ndate: 2023-12-30\ncategory: Tin hoạt động\n",
                 "Noi dung A. [Tệp](tep.txt)\n")
    site.write("content/articles/tep.txt", "phiên bản 1\n")
    site.article("sau.md", "title: Bài hẹn giờ\ndate: 2024-01-05 07:00\n")
    return site


def test_a_build_with_nothing_to_do_replays_the_last_report_and_writes_nothing(news):
    first = news.build()
    assert not shortcut(first) and first.warnings and first.schedule
    before = {p: (news.output / p).stat().st_mtime_ns for p in news.files()}
    second = news.build(now="2024-01-03 10:00")
    assert shortcut(second)
    assert second.site is None
    assert (second.written, second.removed, second.pages_rendered) == (0, 0, 0)
    assert second.pages == first.pages
    assert second.unchanged == first.written + first.unchanged
    assert second.warnings == first.warnings
    assert second.schedule == first.schedule
    assert second.page_weights == first.page_weights
    assert second.base_url == first.base_url == "https://xa.example.gov.vn/"
    assert {p: (news.output / p).stat().st_mtime_ns for p in news.files()} == before


def rewrite_in_the_same_tick(path: Path, old: str, new: str) -> None:
    """Same size, same modification time: what a second save within one clock tick of the
    listing looks like. Only the content shows it."""
    info = path.stat()
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))


def edit_body_same_size(site: SiteFolder) -> str:
    rewrite_in_the_same_tick(site.root / "content/articles/a.md", "Noi dung A", "Noi dung B")
    return "Noi dung B"


def edit_attachment_same_size(site: SiteFolder) -> str:
    rewrite_in_the_same_tick(site.root / "content/articles/tep.txt", "bản 1", "bản 2")
    return "phiên bản 2"


def override_template(site: SiteFolder) -> str:
    text = (THEME_DIR / "templates/partials/footer.html").read_text(encoding="utf-8")
    site.write("templates/partials/footer.html", text + "<!-- chân trang riêng -->\n")
    return "chân trang riêng"


def add_static_file(site: SiteFolder) -> str:
    site.write("static/css/rieng.css", "body { color: #111; }\n")
    return "__static__"


def edit_config(site: SiteFolder) -> str:
    site.write("site.toml", MINIMAL_CONFIG.replace("Thử Nghiệm\"", "Thử Nghiệm Mới\"", 1)
               + "\n[budget]\npage_kb = 20\n")
    return "Thử Nghiệm Mới"


def delete_output_page(site: SiteFolder) -> str:
    (site.output / "tin-tuc/bai-a/index.html").unlink()
    return "Noi dung A"


def add_stray_output_file(site: SiteFolder) -> str:
    (site.output / "tin-tuc/bai-a/la.html").write_text("lạ", encoding="utf-8")
    return "__stray__"


@pytest.mark.parametrize("change", [edit_body_same_size, edit_attachment_same_size,
                                    override_template, add_static_file, edit_config,
                                    delete_output_page, add_stray_output_file])
def test_any_change_to_what_a_build_reads_or_leaves_is_built(news, change: Callable):
    news.build()
    assert shortcut(news.build())
    expected = change(news)  # at once: same size, same clock tick, caught by content
    result = news.build()
    assert not shortcut(result)
    files = news.files()
    if expected == "__static__":
        assert any(p.startswith("static/css/rieng") for p in files)
    elif expected == "__stray__":
        assert "tin-tuc/bai-a/la.html" not in files
    else:
        assert any(expected.encode() in data for data in files.values())
    assert shortcut(news.build())


def test_the_shortcut_ends_at_the_next_scheduled_change(news):
    news.build()
    assert shortcut(news.build(now="2024-01-05 06:59"))
    result = news.build(now="2024-01-05 07:00")
    assert not shortcut(result)
    assert (news.output / "tin-tuc/bai-hen-gio/index.html").is_file()


def test_a_build_at_an_earlier_moment_is_built(news):
    news.build(now="2024-01-06 08:00")
    assert (news.output / "tin-tuc/bai-hen-gio/index.html").is_file()
    result = news.build(now=NOW)
    assert not shortcut(result)
    assert not (news.output / "tin-tuc/bai-hen-gio/index.html").exists()


@pytest.mark.parametrize("options", [{"search": False}, {"include_drafts": True},
                                     {"base_url": "https://thu.example.gov.vn/"},
                                     {"precompress": True}])
def test_another_option_is_another_build(news, options):
    news.build()
    assert not shortcut(news.build(**options))
    assert shortcut(news.build(**options))
    assert not shortcut(news.build())


def test_another_output_folder_has_its_own_snapshot(news, tmp_path):
    news.build()
    other = tmp_path / "khac"
    assert not shortcut(news.build(output_dir=other))
    assert shortcut(news.build(output_dir=other))
    assert shortcut(news.build())


def test_what_is_kept_for_a_deleted_output_folder_is_dropped(news, tmp_path):
    """A preview or a one-off ``--output`` folder, once deleted, leaves nothing behind in
    the cache: its fingerprints, snapshot and saved model go with the next build."""
    news.build()
    others = [tmp_path / "khac", tmp_path / "nua"]
    for other in others:
        news.build(output_dir=other)
    cache_dir = news.root / ".portal-cache"
    assert len(list(cache_dir.glob("model-*.pickle"))) == 3
    shutil.rmtree(others[0])
    unrecorded = cache_dir / "model-0000000000000000.pickle"  # another build's, not committed
    unrecorded.write_bytes(b"")
    news.article("a.md", "title: Bài A mới\ndate: 2023-12-30\n")
    news.build()
    assert unrecorded.exists()
    unrecorded.unlink()
    cache = BuildCache(cache_dir, engine_version())
    try:
        assert cache.output_folders() == {str(news.output), str(others[1])}
    finally:
        cache.close()
    assert len(list(cache_dir.glob("model-*.pickle"))) == 2
    assert shortcut(news.build(output_dir=others[1])) is False  # a.md changed since
    assert shortcut(news.build(output_dir=others[1]))
    news.build(clean=True)  # a cache started afresh keeps no model of the old one
    assert list(cache_dir.glob("model-*.pickle")) == []


def test_no_shortcut_after_a_build_stopped_while_moving_files_in(news):
    news.build()
    cache = BuildCache(news.root / ".portal-cache", engine_version())
    cache.begin_writing(str(news.output))  # what a build killed mid-write leaves
    cache.close()
    assert not shortcut(news.build())
    assert shortcut(news.build())


def test_a_build_stopped_between_its_results_and_its_snapshot_is_followed_by_a_right_one(
        news, tmp_path, monkeypatch):
    """The results are committed in a thread while the model is saved, the snapshot after:
    a build stopped in between leaves new fingerprints, no snapshot and its writing marker."""
    news.build()
    edit(news, "a.md", "Tin hoạt động", "Thông báo")  # a full build

    def stopped(self, snapshot):
        self.wait()
        raise KeyboardInterrupt

    monkeypatch.setattr(portal.cache.PendingCommit, "finish", stopped)
    with pytest.raises(KeyboardInterrupt):
        news.build()
    monkeypatch.undo()
    cache = BuildCache(news.root / ".portal-cache", engine_version())
    assert cache.outputs(str(news.output)) == {}  # the writing marker is still there
    assert cache.db.execute("SELECT count(*) FROM snapshots").fetchone() == (0,)
    assert cache.db.execute("SELECT count(*) FROM outputs WHERE path = ?",
                            ("chuyen-muc/thong-bao/index.html",)).fetchone() == (1,)
    cache.close()
    edit(news, "a.md", "Noi dung A", "Noi dung C")
    result = news.build()
    assert not shortcut(result) and not quick(result)
    assert "Noi dung C" in news.read("tin-tuc/bai-a/index.html")
    assert "Thông báo" in news.read("tin-tuc/bai-a/index.html")
    same_as_clean_build(news, tmp_path / "clean")
    assert shortcut(news.build())


def test_a_cache_started_afresh_never_shows_another_build_its_tables_missing(tmp_path):
    """``--clean`` (or a new version) drops and creates the tables in one transaction: a
    preview using the same cache meanwhile sees the old tables or the new ones."""
    BuildCache(tmp_path, engine_version()).close()
    reader = sqlite3.connect(tmp_path / "build.sqlite", timeout=30, check_same_thread=False)
    stop, failures = threading.Event(), []

    def read() -> None:
        while not stop.is_set():
            try:
                reader.execute("SELECT count(*) FROM bodies").fetchone()
            except sqlite3.Error as exc:
                failures.append(str(exc))
                return

    thread = threading.Thread(target=read)
    thread.start()
    try:
        for _ in range(100):
            BuildCache(tmp_path, engine_version(), fresh=True).close()
    finally:
        stop.set()
        thread.join()
        reader.close()
    assert failures == []


def test_a_file_changed_while_it_is_read_is_not_cached_under_its_old_stat(news, monkeypatch):
    """Its parse would come back the day the file had that size and time again."""
    path = news.root / "content/articles/a.md"
    old = 1_600_000_000_000_000_000
    for item in (news.root / "content").rglob("*"):
        if item.is_file():
            os.utime(item, ns=(old, old))
    first = path.read_text(encoding="utf-8")
    read = portal.pipeline.read_source

    def saved_meanwhile(source):
        if source.rel.endswith("a.md"):
            path.write_text(first.replace("Noi dung A", "Noi dung B dai hon"), encoding="utf-8")
        return read(source)

    monkeypatch.setattr(portal.pipeline, "read_source", saved_meanwhile)
    news.build()
    monkeypatch.undo()
    assert "Noi dung B dai hon" in news.read("tin-tuc/bai-a/index.html")
    path.write_text(first, encoding="utf-8")  # back as it was when the build listed it
    os.utime(path, ns=(old, old))
    news.build(shortcut=False)  # the parse cache alone (the snapshot: see the next tests)
    assert "Noi dung A" in news.read("tin-tuc/bai-a/index.html")


def saved_while_read(monkeypatch, path: Path, module, reader: str, text: str) -> None:
    """The file is saved again (another size, time now) after the build listed it, before
    ``<module>.<reader>`` reads it."""
    read = getattr(module, reader)

    def reading(*args):
        path.write_text(text, encoding="utf-8")
        return read(*args)

    monkeypatch.setattr(module, reader, reading)


def restore(path: Path, text: str, info: os.stat_result) -> None:
    """The text as the build listed it, with that size and time (a restore keeping times)."""
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert path.stat().st_size == info.st_size


def settle(path: Path) -> None:
    """Modified long ago: its size and time vouch for it (not "racy", see snapshot.py)."""
    os.utime(path, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))


def test_a_snapshot_does_not_vouch_for_a_file_saved_while_the_build_read_it(news, monkeypatch):
    path = news.root / "content/articles/a.md"
    settle(path)
    listed, text = path.stat(), path.read_text(encoding="utf-8")
    saved_while_read(monkeypatch, path, portal.pipeline, "read_source",
                     text.replace("Noi dung A", "Noi dung B dai hon"))
    news.build()
    monkeypatch.undo()
    assert "Noi dung B dai hon" in news.read("tin-tuc/bai-a/index.html")
    restore(path, text, listed)
    assert not shortcut(news.build())
    assert "Noi dung A" in news.read("tin-tuc/bai-a/index.html")
    assert shortcut(news.build())


def test_a_quick_build_does_not_vouch_for_a_file_saved_while_it_read_it(news, monkeypatch):
    news.build()
    path = news.root / "content/articles/a.md"
    edit(news, "a.md", "Noi dung A", "Noi dung C")
    settle(path)
    listed, text = path.stat(), path.read_text(encoding="utf-8")
    saved_while_read(monkeypatch, path, portal.quick, "read_changed",
                     text.replace("Noi dung C", "Noi dung D dai hon"))
    assert quick(news.build())
    monkeypatch.undo()
    assert "Noi dung D dai hon" in news.read("tin-tuc/bai-a/index.html")
    restore(path, text, listed)
    assert not shortcut(news.build())
    assert "Noi dung C" in news.read("tin-tuc/bai-a/index.html")


def test_a_cache_that_cannot_store_the_results_fails_the_build(news, monkeypatch):
    news.build()
    edit(news, "a.md", "Tin hoạt động", "Thông báo")

    def full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(BuildCache, "_store_results", full)
    with pytest.raises(sqlite3.OperationalError, match="database or disk is full"):
        news.build()
    monkeypatch.undo()
    assert not shortcut(news.build())
    assert shortcut(news.build())


def test_clean_and_baked_ratings_always_build(news):
    news.build()
    assert not shortcut(news.build(clean=True))
    news.write("site.toml", MINIMAL_CONFIG + "\n[ratings]\nendpoint = \"/api/danh-gia\"\n"
               "bake = true\n")
    news.build()
    assert not shortcut(news.build())


def test_files_changed_long_after_the_listing_are_compared_by_size_and_time(news):
    """Old files are not read again (that is the point); a change moves their time."""
    old = 1_600_000_000
    for path in (news.root / "content").rglob("*"):
        if path.is_file():
            os.utime(path, (old, old))
    news.build()
    assert shortcut(news.build())
    page = news.root / "content/articles/a.md"
    page.write_text(page.read_text(encoding="utf-8").replace("Noi dung A", "Noi dung C"),
                    encoding="utf-8")
    os.utime(page, (old + 1, old + 1))
    assert not shortcut(news.build())
    assert "Noi dung C" in news.read("tin-tuc/bai-a/index.html")


def test_a_moved_site_folder_builds_again(news, tmp_path):
    news.build()
    moved = SiteFolder(tmp_path / "moved")
    shutil.copytree(news.root, moved.root, symlinks=True)
    assert not shortcut(moved.build())
    assert shortcut(moved.build())
    assert moved.files() == news.files()



def quick(result: BuildResult) -> bool:
    return "model" in result.stages


def same_as_clean_build(site: SiteFolder, scratch: Path) -> None:
    expected = comparable(clean_build(site, scratch))
    actual = comparable(site.files())
    assert sorted(actual) == sorted(expected)
    assert [p for p in expected if actual[p] != expected[p]] == []


def test_a_body_edit_renders_that_page_from_the_saved_model(news, tmp_path):
    for index in range(3):
        news.article(f"b{index}.md", f"title: Bài B{index}\ndate: 2023-11-0{index + 1}\n"
                     "category: Tin hoạt động\n", f"Đoạn đầu {index}.\n\nĐoạn sau.\n")
    news.build()
    page = news.root / "content/articles/b1.md"
    page.write_text(page.read_text(encoding="utf-8") + "\nĐoạn mới thêm, xem [B2](b2.md), "
                    "[A](a.md#muc) và [tệp](tep.txt).\n", encoding="utf-8")
    result = news.build()
    assert quick(result)
    assert result.pages_rendered == 1
    assert result.written + result.unchanged == len(news.files())
    html = news.read("tin-tuc/bai-b1/index.html")
    assert 'Đoạn mới thêm, xem <a href="/tin-tuc/bai-b2/">B2</a>, <a href="/tin-tuc/bai-a/' \
           '#muc">A</a> và <a href="/media/articles/tep.txt">tệp</a>.' in html
    assert shortcut(news.build())
    same_as_clean_build(news, tmp_path / "clean")
    assert result.warnings == news.build(clean=True).warnings


@pytest.mark.parametrize("edit", [
    ("category: Tin hoạt động", "category: Thông báo"),
    ("date: 2023-12-30", "date: 2023-12-29"),
    ("title: Bài A", "title: Bài A\nfeatured: true"),  # with a title: still where it's listed
    ("Noi dung A.", "Noi dung A. [Mới](moi.txt)"),  # a file published for the first time
    ("Noi dung A.", "Noi dung A. [Hẹn giờ](sau.md)"),  # a link to an unpublished article
])
def test_edits_beyond_the_body_are_built_the_usual_way(news, tmp_path, edit):
    news.write("content/articles/moi.txt", "tệp mới\n")
    news.build()
    path = news.root / "content/articles/a.md"
    path.write_text(path.read_text(encoding="utf-8").replace(*edit), encoding="utf-8")
    result = news.build()
    assert not quick(result) and not shortcut(result)
    same_as_clean_build(news, tmp_path / "clean")


def test_a_body_edit_that_settles_a_warning_drops_it(news, tmp_path):
    """The quick path replays the last build's warnings: one about the edited file may be
    the very thing the edit dealt with, so such an edit is built the usual way."""
    news.article("nhap.md", "title: Nháp\ndate: 2023-03-01\ndraft: true\n")
    news.article("b.md", "title: Bài B\ndate: 2023-11-01\n",
                 "Mở đầu.\n\nXem [bản nháp](nhap.md).\n")
    stale = ("content/articles/b.md:8: warning: links to content/articles/nhap.md, which is "
             "not published yet (draft)")
    assert stale in [str(w) for w in news.build().warnings]
    news.article("b.md", "title: Bài B\ndate: 2023-11-01\n", "Mở đầu.\n\nKhông còn nữa.\n")
    result = news.build()
    assert not quick(result)
    assert stale not in [str(w) for w in result.warnings]
    assert result.warnings == news.build().warnings  # replayed as they are now
    same_as_clean_build(news, tmp_path / "clean")
    news.article("b.md", "title: Bài B\ndate: 2023-11-01\n", "Mở đầu.\n\nVẫn không.\n")
    assert quick(news.build())  # no warning left about it: the quick path again
    assert result.warnings == news.build(clean=True).warnings


def edit(site: SiteFolder, name: str, old: str, new: str) -> None:
    path = site.root / "content/articles" / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture
def newsroom(news):
    """Articles in a category, a tag, a campaign, related to each other, two of them at the
    same moment (sorted by title), one with a fixed slug, one linking to another."""
    news.write("content/campaigns/cai-cach.md", "---\ntitle: Cải cách\nstart: 2023-01-01\n"
               "end: 2023-12-31\n---\n\nChuyên đề.\n")
    for index, (day, extra) in enumerate([("2023-11-01", ""), ("2023-11-02", ""),
                                          ("2023-11-02", ""), ("2023-11-03", "slug: co-dinh\n"),
                                          ("2023-11-04", "")]):
        news.article(f"b{index}.md", f"title: Bài B{index}\ndate: {day}\n"
                     f"category: Tin hoạt động\ntags: [chuyển đổi số]\ncampaign: cai-cach\n"
                     + extra, f"Đoạn đầu {index}.\n\nĐoạn sau.\n")
    news.article("lien-ket.md", "title: Bài có liên kết\ndate: 2023-10-01\n",
                 "Mở đầu.\n\nXem [B0](b0.md).\n")
    for index in range(4):  # with A, the newest five: what the sidebar shows on every page
        news.article(f"moi-{index}.md", f"title: Tin mới {index}\ndate: 2023-12-1{index}\n")
    news.build()
    return news


@pytest.mark.parametrize("change", [
    ("b1.md", "title: Bài B1", "title: Bài B1 đã sửa"),  # its URL moves
    ("b3.md", "title: Bài B3", "title: Bài B3 đã sửa"),  # a fixed slug: the URL stays
    ("b4.md", "title: Bài B4", "title: Bài B4 mới nhất\nsummary: Tóm tắt mới"),  # the sidebar
    ("b2.md", "Đoạn đầu 2.", "Đoạn đầu đã viết lại."),  # the lead, so the summary
    ("b1.md", "date: 2023-11-02", "date: 2023-11-02\nupdated: 2023-12-01\nauthor: Thu Hà"),
    ("a.md", "title: Bài A", "title: Bài A mới"),  # in the sidebar: every page changes
])
def test_an_edit_of_what_cards_show_renders_from_the_saved_model(newsroom, tmp_path, change):
    name, old, new = change
    before = newsroom.files()
    edit(newsroom, name, old, new)
    result = newsroom.build()
    assert quick(result)
    assert result.pages_rendered > 0
    assert (result.pages_rendered == result.pages) == (name == "a.md")
    same_as_clean_build(newsroom, tmp_path / "clean")
    assert result.warnings == newsroom.build(clean=True).warnings
    assert newsroom.files() != before


def test_a_moved_article_leaves_no_page_or_folder_behind(newsroom):
    edit(newsroom, "b1.md", "title: Bài B1", "title: Bài B1 đã sửa")
    result = newsroom.build()
    assert quick(result)
    assert not (newsroom.output / "tin-tuc/bai-b1").exists()
    assert "Bài B1 đã sửa" in newsroom.read("tin-tuc/bai-b1-da-sua/index.html")
    assert "/tin-tuc/bai-b1-da-sua/" in newsroom.read("sitemap.xml")
    assert "/tin-tuc/bai-b1/" not in newsroom.read("sitemap.xml")
    assert shortcut(newsroom.build())


def test_quick_paths_take_texts_converted_before_from_the_cache(newsroom, tmp_path,
                                                                monkeypatch):
    """A title edit leaves the text as it was, and an undone edit brings an earlier text
    back: neither converts Markdown again."""
    import portal.bodies

    converted: list[str] = []
    real = portal.bodies.convert_markdown
    monkeypatch.setattr(portal.bodies, "convert_markdown",
                        lambda text: converted.append(text) or real(text))
    edit(newsroom, "b1.md", "title: Bài B1", "title: Bài B1 đã sửa")
    assert quick(newsroom.build()) and converted == []
    edit(newsroom, "b1.md", "Đoạn sau.", "Đoạn sau, viết lại.")
    assert quick(newsroom.build()) and len(converted) == 1
    edit(newsroom, "b1.md", "Đoạn sau, viết lại.", "Đoạn sau.")
    assert quick(newsroom.build()) and len(converted) == 1
    monkeypatch.undo()
    same_as_clean_build(newsroom, tmp_path / "clean")


def test_a_card_edit_renders_the_feeds_showing_the_article_and_the_site_wide_files(
        newsroom, tmp_path, monkeypatch):
    """A new title (a new URL) reaches the feeds listing the article, the calendar of its
    campaign, the sitemap and the list of articles the ratings service accepts; another
    category's feeds, the campaigns feed and robots.txt are not made again."""
    import portal.render

    newsroom.write("site.toml", MINIMAL_CONFIG + '\n[ratings]\nendpoint = "/api/danh-gia"\n')
    newsroom.article("thong-bao.md", "title: Thông báo lịch họp\ndate: 2023-09-01\n"
                     "category: Thông báo\n")
    newsroom.build()
    rendered: list[str] = []
    real = portal.render.render_outputs

    def recording(site, outputs, *args, **kwargs):
        rendered.extend(o.path for o in outputs)
        return real(site, outputs, *args, **kwargs)

    monkeypatch.setattr(portal.render, "render_outputs", recording)
    edit(newsroom, "b1.md", "title: Bài B1", "title: Bài B1 đã sửa")
    result = newsroom.build()
    assert quick(result)
    assert (newsroom.output / "chuyen-muc/thong-bao/rss.xml").is_file()
    assert {p for p in rendered if not p.endswith(".html")} == {
        "rss.xml", "atom.xml", "chuyen-muc/tin-hoat-dong/rss.xml",
        "chuyen-muc/tin-hoat-dong/atom.xml", "chuyen-de/cai-cach/lich.ics", "sitemap.xml",
        "ratings-articles.json"}
    assert '"bai-b1-da-sua": "tin-tuc/bai-b1-da-sua/"' in newsroom.read("ratings-articles.json")
    monkeypatch.undo()
    same_as_clean_build(newsroom, tmp_path / "clean")


@pytest.mark.parametrize("change", [
    ("b1.md", "title: Bài B1", "title: Bài B9"),  # now after B2 among 2023-11-02 articles
    ("b0.md", "title: Bài B0", "title: Bài B0 đã sửa"),  # a body links to its URL
    ("b4.md", "title: Bài B4", "title: Bài B0"),  # B0's URL: taken
    ("b4.md", "tags: [chuyển đổi số]", "tags: [chuyển đổi số, y tế]"),
    ("b4.md", "title: Bài B4", "title: Bài B4 [Tệp](tep.txt)\nimage: tep.txt"),
])
def test_card_edits_a_full_build_must_make_are_declined(newsroom, tmp_path, change):
    name, old, new = change
    edit(newsroom, name, old, new)
    if new == "title: Bài B0":  # two articles at one URL: the full build says so
        with pytest.raises(BuildError) as caught:
            newsroom.build()
        assert str(caught.value) == (
            "content/articles/b4.md:2: URL /tin-tuc/bai-b0/ is also produced by "
            "content/articles/b0.md: expected a unique title or 'slug', got 'bai-b0' for both")
        return
    result = newsroom.build()
    assert not quick(result)
    same_as_clean_build(newsroom, tmp_path / "clean")


def test_random_card_edits_equal_clean_builds(newsroom, tmp_path):
    """Titles (moving URLs or not, reordering or not), summaries, leads, authors, dates of
    update, and now and then an edit the quick path must decline: after each build, the
    output is a clean build's."""
    rng = random.Random(8)
    names = ["b0.md", "b1.md", "b2.md", "b3.md", "b4.md", "moi-1.md", "lien-ket.md"]
    quick_builds = 0
    for step in range(14):
        name = rng.choice(names)
        path = newsroom.root / "content/articles" / name
        text = path.read_text(encoding="utf-8")
        head, body = text.split("\n---\n", 1)
        choice = rng.choice(["title", "title", "summary", "lead", "author", "updated",
                             "category"])
        if choice == "title":
            title = rng.choice(["Bài", "Tin", "Ấp", "Đường"]) + f" {rng.randint(0, 99)}"
            head = "\n".join(f"title: {title}" if line.startswith("title:") else line
                             for line in head.split("\n"))
        elif choice == "category":
            head = "\n".join(line for line in head.split("\n")
                             if not line.startswith("category:")) + "\ncategory: Thông báo"
        else:
            key = {"summary": "summary", "author": "author", "updated": "updated"}.get(choice)
            if key:
                value = f"2023-12-{rng.randint(20, 28)}" if key == "updated" \
                    else f"Giá trị {rng.randint(0, 99)}"
                head = "\n".join(line for line in head.split("\n")
                                 if not line.startswith(key + ":")) + f"\n{key}: {value}"
            else:
                body = f"\nĐoạn đầu viết lại {step}.\n" + body.split("\n\n", 2)[-1]
        path.write_text(head + "\n---\n" + body, encoding="utf-8")
        try:
            result = newsroom.build()
        except BuildError:  # two titles that slug alike: put the file back
            path.write_text(text, encoding="utf-8")
            newsroom.build()
            continue
        quick_builds += quick(result)
        same_as_clean_build(newsroom, tmp_path / f"clean-{step}")
    assert quick_builds >= 5


def test_an_article_listed_elsewhere_is_not_swapped_whatever_the_caller_checked(newsroom):
    """``plan_card_edits`` also compares the remade article with the old one field by field:
    only what cards and the page show may differ."""
    from portal.discover import source_at
    from portal.model_store import load_model, model_path
    from portal.parse import read_source
    from portal.quick import plan_card_edits

    cache = BuildCache(newsroom.root / ".portal-cache", engine_version())
    token = cache.snapshot(str(newsroom.output)).model
    cache.close()
    model = load_model(model_path(newsroom.root / ".portal-cache", str(newsroom.output)), token)
    edit(newsroom, "b1.md", "category: Tin hoạt động", "category: Thông báo")
    parsed, _ = read_source(source_at(newsroom.root, "content/articles/b1.md"))
    assert plan_card_edits(model.site, model.outputs, {"content/articles/b1.md": parsed},
                           False, model.linked) is None
    edit(newsroom, "b1.md", "category: Thông báo", "category: Tin hoạt động")
    edit(newsroom, "b1.md", "title: Bài B1", "title: Bài B1 mới")
    parsed, _ = read_source(source_at(newsroom.root, "content/articles/b1.md"))
    edits = plan_card_edits(model.site, model.outputs, {"content/articles/b1.md": parsed},
                            False, model.linked)
    assert edits is not None
    assert edits.moved == {"tin-tuc/bai-b1/index.html": "tin-tuc/bai-b1-moi/index.html"}


@pytest.mark.parametrize("collecting", [True, False])
def test_loading_a_model_leaves_the_garbage_collector_as_it_found_it(news, collecting):
    """The collector is paused while a model loads (it would only scan the new objects)."""
    import gc

    from portal.model_store import load_model, model_path

    news.build()
    cache = BuildCache(news.root / ".portal-cache", engine_version())
    token = cache.snapshot(str(news.output)).model
    cache.close()
    path = model_path(news.root / ".portal-cache", str(news.output))
    was = gc.isenabled()
    try:
        if not collecting:
            gc.disable()
        assert load_model(path, token) is not None
        assert gc.isenabled() == collecting
        assert load_model(path, "another token") is None
        assert gc.isenabled() == collecting
        path.write_bytes(path.read_bytes()[:100])  # truncated
        assert load_model(path, token) is None
        assert gc.isenabled() == collecting
    finally:
        if was:
            gc.enable()


def test_quick_paths_measure_again_only_the_weights_of_rewritten_pages(news, monkeypatch):
    """Page weights (home page, heaviest article) are measured again when one of those pages
    was rewritten, else taken from the last build: a quick path changes no stylesheet."""
    news.article("lon.md", "title: Bài dài\ndate: 2023-11-01\n",
                 "Mở đầu.\n\n" + "Một câu khá dài về cải cách hành chính. " * 300 + "\n")
    news.article("ngan.md", "title: Bài ngắn\ndate: 2023-11-02\n", "Mở đầu.\n\nNgắn.\n")
    first = news.build()
    assert [w.page for w in first.page_weights] == ["index.html", "tin-tuc/bai-dai/index.html"]
    measured = []
    real = portal.weight.measure_page
    monkeypatch.setattr(portal.weight, "measure_page",
                        lambda out, base, page, *kept: measured.append(page) or real(out, base,
                                                                                   page, *kept))
    edit(news, "ngan.md", "Ngắn.", "Vẫn ngắn.")
    result = news.build()
    assert quick(result) and measured == []
    assert result.page_weights == first.page_weights
    edit(news, "lon.md", "Mở đầu.\n\n", "Mở đầu.\n\n" + "Thêm một câu nữa cho dài. " * 50)
    result = news.build()
    assert quick(result) and measured == ["tin-tuc/bai-dai/index.html"]
    assert result.page_weights == news.build(clean=True).page_weights
    assert result.page_weights[1].html > first.page_weights[1].html


@pytest.mark.parametrize("second", ["summary", "title"])
def test_a_card_edit_after_a_body_edit_reaches_every_page_showing_the_article(
        newsroom, tmp_path, second):
    """A body edit swaps the new article into every output holding it, not only its page:
    the next edit, of its card, finds it everywhere."""
    edit(newsroom, "b1.md", "Đoạn sau.", "Đoạn sau đã sửa.")
    assert quick(newsroom.build())
    if second == "summary":
        edit(newsroom, "b1.md", "title: Bài B1", "title: Bài B1\nsummary: Tóm tắt mới")
    else:
        edit(newsroom, "b1.md", "title: Bài B1", "title: Bài B1 mới")
    assert quick(newsroom.build())
    same_as_clean_build(newsroom, tmp_path / "clean")
    assert "Tóm tắt mới" in newsroom.read("tin-tuc/index.html") or second == "title"
    assert 'href="/tin-tuc/bai-b1/"' not in newsroom.read("tin-tuc/index.html") \
        or second == "summary"


@pytest.mark.parametrize("linking", ["another article", "itself"])
def test_a_link_written_now_to_an_article_moving_now_is_built_the_usual_way(
        newsroom, tmp_path, linking):
    """Bodies remade by the quick path resolve their links against the last build's URLs:
    a new link to an article that moves in the same edit would keep its old URL."""
    edit(newsroom, "b1.md", "title: Bài B1", "title: Bài B1 mới")
    if linking == "itself":
        edit(newsroom, "b1.md", "Đoạn sau.", "Xem [mục](b1.md#muc).")
    else:
        edit(newsroom, "b2.md", "Đoạn sau.", "Xem [B1](b1.md).")
    result = newsroom.build()
    assert not quick(result)
    same_as_clean_build(newsroom, tmp_path / "clean")
    page = "tin-tuc/bai-b1-moi/index.html" if linking == "itself" else "tin-tuc/bai-b2/index.html"
    assert 'href="/tin-tuc/bai-b1-moi/' in newsroom.read(page)


def test_a_replay_after_quick_builds_counts_the_files_there_are(newsroom):
    """The summary a no-change build replays counts the files the last build left, quick
    paths included (a page moved, a search shard re-indexed into other files)."""
    for name, old, new in [("b1.md", "Đoạn sau.", "Đoạn sau đã sửa."),
                           ("b2.md", "title: Bài B2", "title: Bài B2 mới"),
                           ("b4.md", "Đoạn đầu 4.", "Đoạn đầu viết lại.")]:
        edit(newsroom, name, old, new)
        result = newsroom.build()
        assert quick(result)
        assert result.written + result.unchanged == len(newsroom.files())
        replay = newsroom.build()
        assert shortcut(replay)
        assert replay.unchanged == len(newsroom.files())


def test_a_model_saved_by_another_build_is_not_used(news, tmp_path):
    news.build()
    models = list((news.root / ".portal-cache").glob("model-*.pickle"))
    assert len(models) == 1
    saved = models[0].read_bytes()
    path = news.root / "content/articles/a.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nThêm.\n", encoding="utf-8")
    assert quick(news.build())
    models[0].write_bytes(saved)  # the model of the build before: another token
    path.write_text(path.read_text(encoding="utf-8") + "\nThêm nữa.\n", encoding="utf-8")
    result = news.build()
    assert not quick(result) and not shortcut(result)
    same_as_clean_build(news, tmp_path / "clean")


def test_an_edit_beyond_the_cards_is_refused_before_the_model_is_loaded(news, monkeypatch):
    news.build()
    path = news.root / "content/articles/a.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Tin hoạt động", "Thông báo"),
                    encoding="utf-8")  # at once: its previous parse is not even cached

    def refuse(*args):
        raise AssertionError("the saved model was loaded for a front-matter edit")

    monkeypatch.setattr(portal.model_store, "load_model", refuse)
    assert not quick(news.build())
    assert "Thông báo" in news.read("tin-tuc/bai-a/index.html")


def test_an_edit_with_a_file_of_the_output_changed_by_hand_is_built_the_usual_way(
        news, tmp_path):
    news.build()
    edit(news, "a.md", "Noi dung A", "Noi dung E")
    (news.output / "media/articles/tep.txt").write_text("sửa tay", encoding="utf-8")
    assert not shortcut(news.build())
    assert "Noi dung E" in news.read("tin-tuc/bai-a/index.html")
    assert news.read("media/articles/tep.txt") == "phiên bản 1\n"
    same_as_clean_build(news, tmp_path / "clean")


def test_the_output_is_listed_aside_in_another_process(news):
    news.build()
    aside = OutputListing(news.output)
    child = aside._pid
    assert child not in (0, os.getpid())
    assert aside.result() == list_output(news.output) == aside.result()
    with pytest.raises(ChildProcessError):
        os.waitpid(child, os.WNOHANG)  # reaped


def test_a_listing_no_one_asks_for_leaves_no_process(news, tmp_path):
    for index in range(3000):  # more than a pipe holds: the child waits to be read
        (tmp_path / f"f{index:04}-{'x' * 40}").write_bytes(b"")
    aside = OutputListing(tmp_path)
    child = aside._pid
    assert child
    aside.close()
    with pytest.raises(ChildProcessError):
        os.waitpid(child, os.WNOHANG)  # reaped


def test_the_output_is_listed_in_the_build_when_no_process_can_be_made(news, monkeypatch):
    news.build()
    parent = os.getpid()
    listed = portal.snapshot.list_output

    def failing_in_the_child(folder):
        if os.getpid() != parent:
            raise OSError("no space left on device")
        return listed(folder)

    monkeypatch.setattr(portal.snapshot, "list_output", failing_in_the_child)
    assert OutputListing(news.output).result() == listed(news.output)

    def no_fork():
        raise OSError("Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    assert OutputListing(news.output).result() == listed(news.output)
    edit(news, "a.md", "Noi dung A", "Noi dung F")
    assert quick(news.build())
    assert shortcut(news.build())


def test_the_output_is_listed_when_children_are_reaped_unseen(news):
    """A launcher that ignores SIGCHLD passes that on: waiting for the child then fails."""
    import signal
    news.build()
    before = signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    try:
        assert OutputListing(news.output).result() == list_output(news.output)
        aside = OutputListing(news.output)
        aside.close()
        aside.close()
        assert shortcut(news.build())
    finally:
        signal.signal(signal.SIGCHLD, before)


def test_a_build_waits_for_another_holding_the_cache(news, monkeypatch, tmp_path):
    """A preview and a build of one site, or two CI jobs on one cache volume: the second
    build waits until the first commits, then builds."""
    import threading

    news.build()
    holder = sqlite3.connect(news.root / ".portal-cache/build.sqlite", check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # another build writing
    release = threading.Timer(0.5, holder.rollback)
    release.start()
    try:
        edit(news, "a.md", "Noi dung A", "Noi dung G")
        result = news.build()
    finally:
        release.join()
        holder.close()
    assert quick(result)
    same_as_clean_build(news, tmp_path / "clean")


def test_a_cache_held_too_long_is_a_clear_error(news, monkeypatch):
    news.build()
    before = news.files()
    monkeypatch.setattr(portal.cache, "WAIT_SECONDS", 0.2)
    cache_file = news.root / ".portal-cache/build.sqlite"
    holder = sqlite3.connect(cache_file)
    holder.execute("BEGIN IMMEDIATE")
    try:
        for change in ("Noi dung H", "Noi dung H <b>"):  # the quick path, then a full build
            edit(news, "a.md", "Noi dung A" if change == "Noi dung H" else "Noi dung H",
                 change)
            with pytest.raises(OutputError) as caught:
                news.build(clean=change != "Noi dung H")
            assert str(caught.value) == (
                f"{cache_file}: the build cache is in use: expected it free within 0.2 s, got "
                "another build of this site still holding it (let it finish, or give this "
                "build another cache_dir)")
            assert news.files() == before
    finally:
        holder.close()


@pytest.mark.parametrize("finishing", [(0, 1), (1, 0)], ids=["in order", "crossed"])
def test_two_builds_committing_at_once_leave_a_snapshot_matching_the_results(news,
                                                                           finishing):
    """Two full builds of one output folder hold the cache only while they commit: the
    results of one, then of the other, then each one's snapshot, in either order. The
    snapshot kept is the one of the results kept (before: a crash on the second insert, and
    in the crossed order a snapshot over the other build's fingerprints)."""
    import dataclasses
    from datetime import timedelta

    news.build()
    folder = news.root / ".portal-cache"
    caches = [BuildCache(folder, engine_version()), BuildCache(folder, engine_version())]
    try:
        output = str(news.output)
        snapshot = caches[0].snapshot(output)
        outputs = caches[0].outputs(output)
        snapshots = [snapshot, dataclasses.replace(snapshot,
                                                   built_at=snapshot.built_at + timedelta(1))]
        pending = []
        for cache in caches:  # the second build's results are the ones stored last
            pending.append(cache.commit(set(), set(), outputs, output))
            pending[-1].wait()
        for index in finishing:
            pending[index].finish(snapshots[index])
        assert caches[0].snapshot(output) == snapshots[1]
        assert caches[0].db.execute("SELECT count(*) FROM meta WHERE key LIKE 'committing %'"
                                    ).fetchone() == (0,)
    finally:
        for cache in caches:
            cache.close()


def test_a_quick_build_committing_between_a_full_builds_results_and_snapshot_stands(news):
    import dataclasses
    from datetime import timedelta

    news.build()
    folder = news.root / ".portal-cache"
    full, quick_cache = BuildCache(folder, engine_version()), BuildCache(folder, engine_version())
    try:
        output = str(news.output)
        snapshot = full.snapshot(output)
        pending = full.commit(set(), set(), full.outputs(output), output)
        pending.wait()
        later = dataclasses.replace(snapshot, built_at=snapshot.built_at + timedelta(1))
        quick_cache.commit_quick(output, {}, {}, later)
        pending.finish(snapshot)
        assert full.snapshot(output) == later
    finally:
        full.close()
        quick_cache.close()
