"""The preview's quick path for body edits: its output must equal a clean build's, and it must
decline every edit it cannot handle exactly."""

from __future__ import annotations

import random

import pytest
from PIL import Image

from portal.pipeline import BuildOptions, build
from portal.quick import PreviewState, rebuild_bodies

NOW = "2024-01-01 08:00"
CONFIG_EXTRA = '\n[[categories]]\nname = "Tin hoạt động"\n\n[[categories]]\nname = "Thông báo"\n'


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
    return site, PreviewState(result.site, result.outputs, output, False)


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
        quick = rebuild_bodies(state, edited)
        assert quick is not None
        assert quick.pages == len(edited)
        state = quick.state
        assert files_of(state.output_dir) == clean_build(site, tmp_path / str(step))


@pytest.mark.parametrize("change", [
    "title", "lead without summary", "new image", "link to a draft", "error", "other file",
])
def test_edits_that_need_the_full_build_are_declined(preview, change):
    site, state = preview
    rel = "content/articles/tin-3.md"
    if change == "title":
        site.write(rel, article(3).replace("title: Tin số 3", "title: Tin số ba"))
    elif change == "lead without summary":
        site.write(rel, article(3).replace("summary: Tóm tắt tin 3.\n", ""))
        state = PreviewState(*_rebuilt(site, state))
        site.write(rel, article(3).replace("summary: Tóm tắt tin 3.\n", "")
                   .replace("Đoạn đầu của tin 3.", "Đoạn đầu đã sửa."))
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
    assert rebuild_bodies(state, {rel}) is None


def _rebuilt(site, state):
    result = build(BuildOptions(site_dir=site.root, now=NOW, output_dir=state.output_dir,
                                search=False), environ={})
    return result.site, result.outputs, state.output_dir, False


def test_a_full_build_after_the_quick_path_never_trusts_a_stale_fingerprint(preview, tmp_path):
    """Body edited (quick path), then reverted together with a change the quick path
    declines: the full incremental build must put the original page back."""
    site, state = preview
    rel = "content/articles/tin-5.md"
    original = (site.root / rel).read_text(encoding="utf-8")
    site.write(rel, article(5, body="Nội dung tạm thời."))
    assert rebuild_bodies(state, {rel}) is not None
    site.write(rel, original)
    site.write("content/articles/tin-6.md", article(6, body="Xem [bản nháp](nhap.md)."))
    assert rebuild_bodies(state, {rel, "content/articles/tin-6.md"}) is None
    build(BuildOptions(site_dir=site.root, now=NOW, output_dir=state.output_dir, search=False),
          environ={})
    assert files_of(state.output_dir) == clean_build(site, tmp_path)
