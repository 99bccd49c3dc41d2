"""The preview's quick path for body edits: its output must equal a clean build's, and it must
decline every edit it cannot handle exactly."""

from __future__ import annotations

import random

import pytest
from PIL import Image

from portal.pipeline import BuildOptions, build
from portal.quick import PreviewState, rebuild_edits

NOW = "2024-01-01 08:00"
CONFIG_EXTRA = '\n[[categories]]\nname = "Tin hoạt động"\n\n[[categories]]\nname = "Thông báo"\n' \
    '\n[ratings]\nendpoint = "/api/danh-gia"\n'  # its list of articles names every URL


def article(n: int, extra: str = "", body: str = "") -> str:
    category = "Tin hoạt động" if n % 2 else "Thông báo"
    return (f"---\ntitle: Tin số {n}\ndate: 2023-12-{n % 28 + 1:02} 08:00\n"
            f"category: {category}\ntags: [Thẻ {n % 3}, Chung]\nsummary: Tóm tắt tin {n}.\n"
            f"{extra}---\n\nĐoạn đầu của tin {n}.\n\n## Mục một\n\n"
            f"{body or f'Nội dung tin {n}, xem [tin 1](tin-1.md).'}\n")


@pytest.fixture
def preview(site):
    site.write("site.toml", (site.root / "site.toml").read_text(encoding="utf-8")
               + CONFIG_EXTRA)
    for n in range(1, 13):
        site.write(f"content/articles/tin-{n}.md", article(n))
    site.write("content/articles/nhap.md", article(99, "draft: true\n"))
    output = site.root / "preview"
    result = build(BuildOptions(site_dir=site.root, now=NOW, output_dir=output, search=False),
                   environ={})
    return site, PreviewState(result.site, result.outputs, output, False, result.structure,
                              result.linked)


def clean_build(site, tmp_path) -> dict[str, bytes]:
    target = tmp_path / "clean"
    build(BuildOptions(site_dir=site.root, now=NOW, output_dir=target, search=False,
                       clean=True), environ={})
    files = {p.relative_to(target).as_posix(): p.read_bytes()
             for p in sorted(target.rglob("*")) if p.is_file()}
    return files


def files_of(folder) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_random_body_edits_equal_clean_builds(preview, tmp_path):
    site, state = preview
    rng = random.Random(7)
    for step in range(6):
        chosen = rng.sample(range(1, 13), rng.randint(1, 3))
        edited = {f"content/articles/tin-{n}.md" for n in chosen}
        for rel in edited:
            n = int(rel.rsplit("-", 1)[1][:-3])
            words = " ".join(rng.choice(["thủ tục", "một cửa", "**rõ**", "*nghiêng*"])
                             for _ in range(rng.randint(3, 12)))
            site.write(rel, article(n, body=f"Bản sửa {step}: {words}\n\n- ý một\n- ý hai"))
        quick = rebuild_edits(state, edited)
        assert quick is not None
        assert quick.pages == len(edited)
        state = quick.state
        assert files_of(state.output_dir) == clean_build(site, tmp_path / str(step))


@pytest.mark.parametrize("change", ["title", "title and slug", "lead without summary",
                                    "summary", "author"])
def test_edits_of_what_cards_show_equal_clean_builds(preview, tmp_path, change):
    """A title (moving the page or not), a summary, a lead that makes the summary, an
    author: the pages listing the article change, and nothing else is rendered."""
    site, state = preview
    rel = "content/articles/tin-3.md"
    text = article(3)
    if change == "lead without summary":
        site.write(rel, article(3).replace("summary: Tóm tắt tin 3.\n", ""))
        state = PreviewState(*_rebuilt(site, state))
        text = article(3).replace("summary: Tóm tắt tin 3.\n", "").replace(
            "Đoạn đầu của tin 3.", "Đoạn đầu đã sửa.")
    elif change == "title and slug":
        site.write(rel, article(3, "slug: tin-ba\n"))
        state = PreviewState(*_rebuilt(site, state))
        text = article(3, "slug: tin-ba\n").replace("title: Tin số 3", "title: Tin số ba")
    else:
        text = text.replace({"title": "title: Tin số 3", "summary": "Tóm tắt tin 3.",
                             "author": "summary:"}[change],
                            {"title": "title: Tin số ba", "summary": "Tóm tắt mới.",
                             "author": "author: Thu Hà\nsummary:"}[change])
    site.write(rel, text)
    quick = rebuild_edits(state, {rel})
    assert quick is not None
    assert 1 < quick.pages < len([o for o in state.outputs if o.kind == "page"])
    assert files_of(state.output_dir) == clean_build(site, tmp_path)
    if change == "title":  # the page moved, its old folder went with it
        assert not (state.output_dir / "tin-tuc/tin-so-3").exists()
        assert (state.output_dir / "tin-tuc/tin-so-ba/index.html").is_file()


def test_tag_spellings_changed_with_a_title_need_the_full_build(preview, tmp_path):
    """Tags that slug alike are shown in their most used spelling: an edit of the words of
    a tag changes no tag of any article, yet may change how the tag is written everywhere.
    Only the front matter, compared key by key, shows it."""
    site, state = preview
    for n in (3, 6, 9):  # three "thẻ 0" against one "Thẻ 0" (tin-12)
        site.write(f"content/articles/tin-{n}.md", article(n).replace("Thẻ 0", "thẻ 0"))
    state = PreviewState(*_rebuilt(site, state))
    assert "Thẻ 0" not in files_of(state.output_dir)["the/the-0/index.html"].decode()
    changed = set()
    for n in (3, 6):  # not among the five newest (the sidebar of every page)
        rel = f"content/articles/tin-{n}.md"
        site.write(rel, article(n).replace("title: Tin số", "title: Tin thứ"))
        changed.add(rel)
    assert rebuild_edits(state, changed) is None
    build(BuildOptions(site_dir=site.root, now=NOW, output_dir=state.output_dir, search=False),
          environ={})
    assert "Thẻ 0" in files_of(state.output_dir)["the/the-0/index.html"].decode()


def test_a_title_edit_after_a_body_edit_moves_the_article_everywhere(preview, tmp_path):
    site, state = preview
    rel = "content/articles/tin-3.md"
    site.write(rel, article(3, body="Nội dung mới."))
    state = rebuild_edits(state, {rel}).state
    site.write(rel, article(3, body="Nội dung mới.").replace("title: Tin số 3",
                                                              "title: Tin số ba"))
    quick = rebuild_edits(state, {rel})
    assert quick is not None and quick.pages > 1
    assert files_of(state.output_dir) == clean_build(site, tmp_path)


def test_a_new_link_to_an_article_moving_now_needs_the_full_build(preview):
    site, state = preview
    site.write("content/articles/tin-3.md",
               article(3).replace("title: Tin số 3", "title: Tin số ba"))
    site.write("content/articles/tin-4.md", article(4, body="Xem [tin 3](tin-3.md)."))
    assert rebuild_edits(state, {"content/articles/tin-3.md",
                                 "content/articles/tin-4.md"}) is None


@pytest.mark.parametrize("change", [
    "in the sidebar", "order", "category", "new image", "link to a draft", "error",
    "other file",
])
def test_edits_that_need_the_full_build_are_declined(preview, change):
    site, state = preview
    rel = "content/articles/tin-3.md"
    if change == "in the sidebar":  # the five newest are on every page
        rel = "content/articles/tin-12.md"
        site.write(rel, article(12).replace("title: Tin số 12", "title: Tin số mười hai"))
    elif change == "order":  # tin-3 and tin-31 share a moment: sorted by title
        site.write("content/articles/tin-31.md", article(31))
        state = PreviewState(*_rebuilt(site, state))
        site.write(rel, article(3).replace("title: Tin số 3", "title: Tin số 4"))
    elif change == "category":
        site.write(rel, article(3).replace("category: Tin hoạt động", "category: Thông báo"))
    elif change == "new image":
        Image.new("RGB", (20, 10), "blue").save(site.root / "content/articles/anh.png")
        site.write(rel, article(3, body="![Ảnh mới](anh.png)"))
    elif change == "link to a draft":
        site.write(rel, article(3, body="Xem [bản nháp](nhap.md)."))
    elif change == "error":
        site.write(rel, article(3).replace("2023-12-04 08:00", "31/02/2023"))
    else:
        rel = "content/articles/anh.txt"
        site.write(rel, "không phải bài viết")
    assert rebuild_edits(state, {rel}) is None


def _rebuilt(site, state):
    result = build(BuildOptions(site_dir=site.root, now=NOW, output_dir=state.output_dir,
                                search=False), environ={})
    return result.site, result.outputs, state.output_dir, False, result.structure, result.linked


def test_a_full_build_after_the_quick_path_never_trusts_a_stale_fingerprint(preview, tmp_path):
    """Body edited (quick path), then reverted together with a change the quick path
    declines: the full incremental build must put the original page back."""
    site, state = preview
    rel = "content/articles/tin-5.md"
    original = (site.root / rel).read_text(encoding="utf-8")
    site.write(rel, article(5, body="Nội dung tạm thời."))
    assert rebuild_edits(state, {rel}) is not None
    site.write(rel, original)
    site.write("content/articles/tin-6.md", article(6, body="Xem [bản nháp](nhap.md)."))
    assert rebuild_edits(state, {rel, "content/articles/tin-6.md"}) is None
    build(BuildOptions(site_dir=site.root, now=NOW, output_dir=state.output_dir, search=False),
          environ={})
    assert files_of(state.output_dir) == clean_build(site, tmp_path)
