"""Incremental builds must equal clean builds, byte for byte, after any sequence of edits.

Each case applies a seeded random sequence of editor actions to a small site, rebuilding
incrementally (cache and output kept) after each, and compares the output with a clean build
of the same sources in a fresh folder.
"""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import pytest
from conftest import SiteFolder
from photos import make_photo

from portal.pipeline import BuildOptions, build

NOW = "2024-01-01 08:00"
CATEGORIES = ["Tin hoạt động", "Thông báo", "Kinh tế - Xã hội"]
TAGS = ["nông thôn mới", "chuyển đổi số", "y tế", "giáo dục", "đất đai"]
WORDS = [
    "huyện",
    "xã",
    "cải",
    "cách",
    "hành",
    "chính",
    "thi",
    "đua",
    "đường",
    "giao",
    "thông",
    "nông",
    "dân",
    "lúa",
    "thanh",
    "long",
]


def article_text(rng: random.Random, title: str) -> str:
    front = [
        f"title: {title}",
        f"date: 2023-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        f"category: {rng.choice(CATEGORIES)}",
        f"tags: [{', '.join(rng.sample(TAGS, rng.randint(0, 2)))}]",
    ]
    if rng.random() < 0.5:  # a fixed slug: a title edit then keeps the URL
        front.append(f"slug: bai-{rng.randint(0, 10**6)}")
    if rng.random() < 0.3:
        front.append("campaign: cai-cach")
    if rng.random() < 0.2:
        front.append("featured: true")
    body = "\n\n".join(
        " ".join(rng.choices(WORDS, k=rng.randint(8, 30))) + "." for _ in range(rng.randint(1, 4))
    )
    return "---\n" + "\n".join(front) + "\n---\n\n" + body + "\n"


class Editor:
    """Random editor actions on a site folder."""

    def __init__(self, site: SiteFolder, rng: random.Random):
        self.site = site
        self.rng = rng
        self.counter = 0

    def articles(self) -> list[Path]:
        return sorted((self.site.root / "content/articles").glob("*.md"))

    def create(self) -> None:
        self.counter += 1
        name = f"moi-{self.counter}-{self.rng.randint(0, 999)}.md"
        self.site.write(
            f"content/articles/{name}",
            article_text(self.rng, f"Bài mới {self.counter} {self.rng.random():.3f}"),
        )

    def edit_body(self) -> None:
        path = self.rng.choice(self.articles())
        path.write_text(
            path.read_text(encoding="utf-8") + "\nThêm một câu mới.\n", encoding="utf-8"
        )

    def edit_title(self) -> None:
        path = self.rng.choice(self.articles())
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("title: ", "title: Sửa ", 1), encoding="utf-8")

    def change_category(self) -> None:
        path = self.rng.choice(self.articles())
        lines = path.read_text(encoding="utf-8").split("\n")
        lines = [
            f"category: {self.rng.choice(CATEGORIES)}" if line.startswith("category:") else line
            for line in lines
        ]
        path.write_text("\n".join(lines), encoding="utf-8")

    def delete(self) -> None:
        if len(self.articles()) > 2:
            self.rng.choice(self.articles()).unlink()

    def rename(self) -> None:
        path = self.rng.choice(self.articles())
        path.rename(path.with_name(f"doi-ten-{self.rng.randint(0, 9999)}.md"))

    def toggle_draft(self) -> None:
        path = self.rng.choice(self.articles())
        text = path.read_text(encoding="utf-8")
        text = (
            text.replace("draft: true\n", "")
            if "draft: true\n" in text
            else text.replace("---\n", "---\ndraft: true\n", 1)
        )
        path.write_text(text, encoding="utf-8")

    def edit_template(self) -> None:
        theme = Path(__file__).resolve().parent.parent / "templates" / "article.html"
        marker = f"<!-- phiên bản {self.rng.randint(0, 99)} -->\n"
        self.site.write("templates/article.html", theme.read_text(encoding="utf-8") + marker)

    def edit_config(self) -> None:
        config = (self.site.root / "site.toml").read_text(encoding="utf-8")
        size = self.rng.choice([2, 3, 10])
        lines = [line for line in config.split("\n") if not line.startswith("page_size")]
        lines.insert(0, f"page_size = {size}")
        self.site.write("site.toml", "\n".join(lines))

    def edit_page(self) -> None:
        self.site.write(
            "content/pages/gioi-thieu.md",
            f"---\ntitle: Giới thiệu {self.rng.randint(0, 9)}\nmenu: 20\n---\n\n"
            f"{' '.join(self.rng.choices(WORDS, k=12))}.\n",
        )

    def album_text(self) -> str:
        folder = self.site.root / "content/albums/le-hoi"
        files = sorted(p.name for p in folder.glob("*.jpg"))
        captions = "".join(f"  - {{file: {name}, caption: Ảnh {self.rng.randint(0, 9)}}}\n"
                           for name in files)
        home = "home: true\n" if self.rng.random() < 0.5 else ""
        return f"---\ntitle: Lễ hội\ndate: 2023-06-01\n{home}photos:\n{captions}---\n\nx\n"

    def edit_album(self) -> None:
        """Add, replace (new size) or remove a photo, or change captions and ``home``."""
        folder = self.site.root / "content/albums/le-hoi"
        photos = sorted(folder.glob("*.jpg"))
        choice = self.rng.choice(["add", "replace", "remove", "text"])
        if choice == "add" or (choice == "remove" and len(photos) < 2):
            self.counter += 1
            make_photo(folder / f"anh-{self.counter}.jpg", (400, 300), self.counter)
        elif choice == "replace":
            make_photo(self.rng.choice(photos), self.rng.choice([(400, 300), (700, 400)]),
                       self.rng.randint(0, 99))
        elif choice == "remove":
            self.rng.choice(photos).unlink()
        self.site.write("content/albums/le-hoi/index.md", self.album_text())

    def show_album(self) -> None:
        path = self.rng.choice(self.articles())
        text = path.read_text(encoding="utf-8")
        text = (text.replace("album: le-hoi\n", "") if "album: le-hoi\n" in text
                else text.replace("---\n", "---\nalbum: le-hoi\n", 1))
        path.write_text(text, encoding="utf-8")

    def nothing(self) -> None:
        """A rebuild with nothing to do (the snapshot shortcut)."""

    def damage_output(self) -> None:
        pages = sorted(self.site.output.rglob("*.html"))
        self.rng.choice(pages).write_text("hỏng", encoding="utf-8")

    ACTIONS = (
        "nothing",
        "damage_output",
        "edit_album",
        "show_album",
        "create",
        "edit_body",
        "edit_title",
        "change_category",
        "delete",
        "rename",
        "toggle_draft",
        "edit_template",
        "edit_config",
        "edit_page",
    )


def clean_build(site: SiteFolder, scratch: Path) -> dict[str, bytes]:
    if scratch.exists():
        shutil.rmtree(scratch)
    shutil.copytree(
        site.root, scratch, ignore=shutil.ignore_patterns("_site", ".portal-cache", ".*.staging")
    )
    build(BuildOptions(site_dir=scratch, now=NOW), environ={})
    return SiteFolder(scratch).files()


def comparable(files: dict[str, bytes]) -> dict[str, bytes]:
    """Everything but Pagefind's filter/metadata files, whose byte order varies by run;
    its fragment files (named by content hash) are compared by name."""
    kept = {}
    for path, data in files.items():
        parts = path.split("/")
        if parts[0] == "pagefind" and (parts[2] == "filter" or parts[-1].startswith(
                ("pagefind.", "pagefind-entry"))):
            continue
        kept[path] = b"" if parts[0] == "pagefind" and parts[2] == "fragment" else data
    return kept


@pytest.mark.parametrize("seed", range(6))
def test_incremental_builds_equal_clean_builds(make_site, tmp_path, seed):
    rng = random.Random(seed)
    site = make_site(f"site-{seed}")
    site.write(
        "content/campaigns/cai-cach.md",
        "---\ntitle: Cải cách\nstart: 2023-01-01\nend: 2023-12-31\n"
        "banner: HƯỞNG ỨNG CẢI CÁCH\n---\n\nChuyên đề.\n",
    )
    site.write("content/pages/gioi-thieu.md", "---\ntitle: Giới thiệu\nmenu: 20\n---\n\nx\n")
    editor = Editor(site, rng)
    for _ in range(6):
        editor.create()
    make_photo(site.root / "content/albums/le-hoi/anh-0.jpg", (400, 300), 0)
    site.write("content/albums/le-hoi/index.md", editor.album_text())
    build(BuildOptions(site_dir=site.root, now=NOW), environ={})
    for step in range(10):
        action = rng.choice(Editor.ACTIONS)
        getattr(editor, action)()
        build(BuildOptions(site_dir=site.root, now=NOW), environ={})
        expected = comparable(clean_build(site, tmp_path / "clean"))
        actual = comparable(site.files())
        assert sorted(actual) == sorted(expected), f"step {step}: {action}: file sets differ"
        changed = [p for p in expected if actual[p] != expected[p]]
        assert changed == [], f"step {step}: {action}: differ: {changed[:5]}"


def test_no_change_rebuild_renders_nothing(site):
    for index in range(5):
        site.article(f"a{index}.md", f"title: Bài {index}\ndate: 2023-03-0{index + 1}\n")
    site.build()
    result = site.build()
    assert result.written == 0
    assert result.pages_rendered == 0


def test_editing_one_body_rewrites_only_that_page_and_the_search_index(site):
    paths = [
        site.article(
            f"a{index}.md",
            f"title: Bài {index}\ndate: 2023-03-0{index + 1}\n",
            f"Nội dung {index}.\n",
        )
        for index in range(5)
    ]
    site.build()
    before = {p: f.stat().st_mtime_ns for p, f in ((p, site.output / p) for p in site.files())}
    paths[0].write_text(paths[0].read_text(encoding="utf-8") + "\nCâu mới.\n", encoding="utf-8")
    assert site.build().pages_rendered == 1
    after = {p: (site.output / p).stat().st_mtime_ns for p in site.files()}
    rewritten = sorted(p for p in after if before.get(p) != after[p])
    html = [p for p in rewritten if not p.startswith("pagefind/")]
    assert html == ["atom.xml", "tin-tuc/bai-0/index.html"]


def test_a_page_changed_by_hand_is_repaired_by_the_next_build(site):
    site.article("a.md", "title: Bài A\ndate: 2023-03-02\n")
    site.build()
    page = site.output / "tin-tuc/bai-a/index.html"
    original = page.read_bytes()
    page.write_text("hỏng", encoding="utf-8")
    result = site.build()
    assert page.read_bytes() == original
    assert result.written == 1
    assert result.pages_rendered == 1


def test_clean_option_ignores_the_cache(site):
    site.article("a.md", "title: Bài A\ndate: 2023-03-02\n")
    site.build()
    page = site.output / "tin-tuc/bai-a/index.html"
    original, info = page.read_bytes(), page.stat()
    # Damaged by hand keeping size and time: neither the manifest nor the listing can know.
    page.write_bytes(b"x" * len(original))
    os.utime(page, ns=(info.st_atime_ns, info.st_mtime_ns))
    site.build()
    assert page.read_bytes() == b"x" * len(original)
    result = site.build(clean=True)
    assert page.read_bytes() == original
    assert result.written == 1


def test_a_file_changed_while_it_was_parsed_is_not_cached_under_its_old_stat(site, monkeypatch):
    """The parse is cached under the file's size and time as listed; a file rewritten while it
    was read must not be, or a later copy keeping that size and time (``cp -p``, a restored
    backup) would bring back the parse of text the file no longer holds."""
    import portal.pipeline

    path = site.article("a.md", "title: Bài A\ndate: 2023-03-02\n", "Bản một.\n")
    old = path.stat().st_mtime_ns - 3_600 * 10**9  # settled: an hour old
    os.utime(path, ns=(old, old))
    real_read = portal.pipeline.read_source

    def read_then_rewrite(source):
        result = real_read(source)
        if source.path == path:  # an editor saves while the build reads
            path.write_text(path.read_text(encoding="utf-8").replace("Bản một", "Bản mớt"),
                            encoding="utf-8")
        return result

    monkeypatch.setattr(portal.pipeline, "read_source", read_then_rewrite)
    site.build(shortcut=False)
    monkeypatch.undo()
    os.utime(path, ns=(old, old))  # the new text (same length), with the time first listed
    site.build(shortcut=False)
    assert "Bản mớt." in site.read("tin-tuc/bai-a/index.html")


def test_damaged_compiled_templates_are_compiled_again(site, tmp_path, monkeypatch):
    """An entry of the compiled-template caches (the theme's, the site's own templates') that
    cannot be read is a miss, not a crash; ``--clean`` starts the site's afresh."""
    import jinja2.bccache

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    site.write("templates/partials/footer.html", "<footer>Chân trang riêng</footer>\n")
    site.article("a.md", "title: Bài A\ndate: 2023-03-02\n")
    site.build()
    compiled = site.root / ".portal-cache" / "templates"
    entries = list(compiled.iterdir()) + list((tmp_path / "user-cache").glob("*/*/__jinja2_*"))
    assert len(entries) > 1
    for entry in entries:
        entry.write_bytes(jinja2.bccache.bc_magic + b"\x80hong")
    site.article("a.md", "title: Bài A\ndate: 2023-03-02\n", "Đoạn mới.\n")
    site.build()
    page = site.read("tin-tuc/bai-a/index.html")
    assert "Đoạn mới." in page and "Chân trang riêng" in page
    stray = compiled / "khong-dung.cache"
    stray.write_bytes(b"x")
    site.build(clean=True)
    assert not stray.exists()


@pytest.mark.parametrize(("workers", "overlap"), [(True, True), (True, False), (False, True)])
def test_a_first_build_fingerprints_pages_as_a_rebuild_does(site, monkeypatch, workers,
                                                             overlap):
    """The fingerprints a first build records (rendering in worker processes for a large
    site, in the build process for a small one; taken while the pages render, or before for
    a site past ``OVERLAP_PAGES``) are the ones the next build computes to compare: otherwise
    every build after a first one would render every page again."""
    import portal.pipeline
    import portal.render

    if not overlap:
        monkeypatch.setattr(portal.pipeline, "OVERLAP_PAGES", 10)
    taken_while_rendering = []
    real_render = portal.render.render_outputs
    monkeypatch.setattr(portal.render, "render_outputs", lambda *a, meanwhile=None, **k: (
        taken_while_rendering.append(meanwhile is not None) or real_render(
            *a, meanwhile=meanwhile, **k)))

    count = portal.render.PARALLEL_MINIMUM if workers else 3
    for i in range(count):
        site.article(f"bai-{i:03d}.md", f"title: Bài {i}\ndate: 2023-03-02\ntags: [t{i % 7}]\n",
                     f"Mở đầu {i}.\n")
    started = []
    real_pool = portal.render.forked_pool
    monkeypatch.setattr(portal.render, "forked_pool",
                        lambda *a, **k: started.append(1) or real_pool(*a, **k))
    first = site.build()
    assert bool(started) == workers
    assert taken_while_rendering == [overlap]
    assert first.pages_rendered == first.pages
    again = site.build(shortcut=False)
    assert (again.pages, again.pages_rendered, again.written) == (first.pages, 0, 0)
