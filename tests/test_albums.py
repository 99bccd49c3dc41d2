"""Albums: the model (photo order, captions, cover), their pages, the home strip, galleries in
articles, and ``new album``."""

from __future__ import annotations

import io
import re

import pytest
from photos import make_photo

from portal.cli import main
from portal.errors import BuildError


def album(site, name: str, front: str, files: list[str], body: str = "Giới thiệu.\n") -> None:
    site.write(f"content/albums/{name}/index.md", "---\n" + front.strip("\n") + "\n---\n\n"
               + body)
    for seed, file in enumerate(files):
        make_photo(site.root / "content/albums" / name / file, (400, 300), seed)


def photo_links(html: str) -> list[str]:
    return re.findall(r'<a href="([^"]+)" data-large=', html)


def test_listed_photos_keep_their_order_and_the_rest_follow_by_file_name(site):
    album(site, "hoi-thao", """
title: Hội thao
date: 2023-05-01
photos:
  - {file: d.jpg, caption: Khai mạc}
  - {file: b.jpg, alt: Vận động viên chạy}
  - {file: a.jpg, caption: Trao giải}
  - {file: c.jpg, caption: Bế mạc}
""", ["a.jpg", "b.jpg", "c.jpg", "d.jpg", "e.png"])
    site.write("content/albums/hoi-thao/ghi-chu.txt", "không phải ảnh")
    result = site.build()
    assert [p.file for p in result.site.albums[0].photos] == \
        ["d.jpg", "b.jpg", "a.jpg", "c.jpg", "e.png"]
    html = site.read("album/hoi-thao/index.html")
    assert photo_links(html) == [f"/album/hoi-thao/{f}" for f in
                                 ("d.jpg", "b.jpg", "a.jpg", "c.jpg", "e.png")]
    assert "<figcaption>Khai mạc</figcaption>" in html
    assert 'alt="Vận động viên chạy"' in html
    assert not (site.output / "album/hoi-thao/ghi-chu.txt").exists()


def test_album_index_is_paginated_with_cards(site):
    for number in range(14):
        album(site, f"album-{number:02d}", f"""
title: Album số {number}
date: 2023-01-{number + 1:02d}
photos:
  - {{file: a.jpg, caption: Ảnh}}
""", ["a.jpg"])
    site.build()
    first = site.read("album/index.html")
    second = site.read("album/trang-2/index.html")
    assert first.count('class="card album-card"') == 12
    assert second.count('class="card album-card"') == 2
    assert '<h2 class="card-title"><a href="/album/album-13/">Album số 13</a></h2>' in first
    assert '<p class="card-meta"><time datetime="2023-01-14">14/01/2023</time> · 1 ảnh</p>' \
        in first
    assert '<a href="/album/trang-2/" rel="next">' in first
    assert '<a href="/album/album-00/">Album số 0</a>' in site.read("so-do-cong/index.html")


def test_home_strip_shows_home_albums_only(site):
    album(site, "le-hoi", "title: Lễ hội\ndate: 2023-03-01\nhome: true\ncover: b.jpg\n"
          "photos:\n  - {file: a.jpg, caption: A}\n  - {file: b.jpg, caption: B}",
          ["a.jpg", "b.jpg"])
    album(site, "khac", "title: Album khác\ndate: 2023-03-02\n"
          "photos:\n  - {file: a.jpg, caption: A}", ["a.jpg"])
    site.build()
    home = site.read("index.html")
    strip = home[home.index('<section class="home-section album-strip"'):]
    strip = strip[: strip.index("</section>")]
    assert "Album trang chủ" in strip
    assert '<a href="/album/le-hoi/">Lễ hội</a>' in strip
    assert "/album/le-hoi/b-320w.webp" in strip
    assert "Album khác" not in strip
    assert "autoplay" not in home


def test_an_article_shows_its_album_and_changes_with_it(site):
    album(site, "le-hoi", "title: Lễ hội\ndate: 2023-03-01\n"
          "photos:\n  - {file: a.jpg, caption: Múa lân}", ["a.jpg"])
    site.article("bai.md", "title: Bài lễ hội\ndate: 2023-03-02\nalbum: le-hoi")
    site.build()
    html = site.read("tin-tuc/bai-le-hoi/index.html")
    assert '<a href="/album/le-hoi/">Lễ hội</a></h2>' in html
    assert "<figcaption>Múa lân</figcaption>" in html
    assert "static/js/lightbox" in html
    album(site, "le-hoi", "title: Lễ hội\ndate: 2023-03-01\n"
          "photos:\n  - {file: a.jpg, caption: Múa rồng}", [])
    site.build()
    assert "<figcaption>Múa rồng</figcaption>" in site.read("tin-tuc/bai-le-hoi/index.html")


def test_an_unknown_album_is_an_error(site):
    album(site, "le-hoi", "title: Lễ hội\ndate: 2023-03-01", [])
    site.article("bai.md", "title: Bài\ndate: 2023-03-02\nalbum: le-hoi-2023")
    with pytest.raises(BuildError) as caught:
        site.build()
    assert [str(d) for d in caught.value.errors] == [
        "content/articles/bai.md:4: unknown album: expected one of 'le-hoi' (folders in "
        "content/albums/), got 'le-hoi-2023'"]


def test_album_mistakes_are_errors_with_their_line(site):
    site.write("content/albums/rieng.md", "---\ntitle: Không phải thư mục\ndate: 2023-01-01\n"
               "---\n")
    album(site, "le-hoi", "title: Lễ hội\ndate: 2023-03-01\nphotos:\n"
          "  - {file: khong-co.jpg, caption: A}\n  - {file: ghi-chu.txt, caption: B}", [])
    with pytest.raises(BuildError) as caught:
        site.build()
    assert [str(d) for d in caught.value.errors] == [
        "content/albums/le-hoi/index.md:5: missing photo: expected a file at "
        "content/albums/le-hoi/khong-co.jpg, got no such file",
        "content/albums/le-hoi/index.md:6: a photo that is not an image: expected a .jpg, "
        ".jpeg, .png or .webp file, got 'ghi-chu.txt'",
        "content/albums/rieng.md:1: an album is a folder: expected "
        "content/albums/rieng/index.md with the photos beside it, got content/albums/rieng.md"]


def test_album_urls_are_configurable(site):
    site.write("site.toml", site.root.joinpath("site.toml").read_text(encoding="utf-8")
               + '\n[urls]\nalbums = "thu-vien-anh"\n')
    album(site, "le-hoi", "title: Lễ hội\ndate: 2023-03-01\n"
          "photos:\n  - {file: a.jpg, caption: A}", ["a.jpg"])
    site.build()
    assert (site.output / "thu-vien-anh/index.html").is_file()
    assert (site.output / "thu-vien-anh/le-hoi/a-320w.webp").is_file()


def test_new_album_builds(site, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    out, err = io.StringIO(), io.StringIO()
    assert main(["new", "album", "Hội thi “Nét đẹp quê hương”", "--site", str(site.root)],
                stdout=out, stderr=err) == 0
    folder = site.root / "content/albums/hoi-thi-net-dep-que-huong"
    assert (folder / "index.md").read_text(encoding="utf-8").startswith(
        '---\ntitle: "Hội thi “Nét đẹp quê hương”"\ndate: 2023-11-15\n# home: true\n')
    make_photo(folder / "anh-01.jpg", (400, 300), 1)
    result = site.build(now="2023-11-16")
    assert (site.output / "album/hoi-thi-net-dep-que-huong/anh-01-320w.jpg").is_file()
    assert [w.message for w in result.warnings] == [
        "photo anh-01.jpg of album 'Hội thi “Nét đẹp quê hương”' has no text alternative: "
        "add 'alt' or 'caption' for it under 'photos'"]
