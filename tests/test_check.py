"""``check``: every finding with its exact message, and the exit status rules."""

from __future__ import annotations

import functools
import os
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image

from portal.check import CheckOptions, check_site, fetch_status
from portal.cli import main

NOW = "2024-01-01 08:00"
CATEGORY = '\n[[categories]]\nname = "Tin hoạt động"\n'


def findings(site, **options) -> list[str]:
    return [str(d) for d in check_site(CheckOptions(site_dir=site.root, now=NOW, **options))]


@pytest.fixture
def checked(site):
    site.write("site.toml", (site.root / "site.toml").read_text(encoding="utf-8") + CATEGORY)
    return site


def test_a_clean_site_has_no_findings(checked):
    checked.article("a.md", "title: Tin một\ndate: 2023-12-01\ncategory: Tin hoạt động",
                    "## Mục một\n\nXem [mục một](#muc-mot) và [tin hai](b.md#muc-hai), "
                    "[trang tin](/tin-tuc/).\n\n![Ảnh cầu Chợ Gạo](cau.png)\n")
    checked.article("b.md", "title: Tin hai\ndate: 2023-12-02\ncategory: Tin hoạt động",
                    "## Mục hai\n\nNội dung.\n")
    Image.new("RGB", (40, 30), "red").save(checked.root / "content/articles/cau.png")
    assert findings(checked) == []


def test_content_errors_are_findings_and_stop_the_other_checks(checked):
    checked.article("a.md", "date: 2023-12-01\ncategory: Tin hoạt động")
    assert findings(checked) == [
        "content/articles/a.md:1: missing required front-matter key 'title': expected a "
        "non-empty text, got nothing"]


def test_broken_internal_links_and_anchors(checked):
    checked.article("a.md", "title: Tin một\ndate: 2023-12-01\ncategory: Tin hoạt động",
                    "## Mục một\n\n"
                    "Xem [trang không có](/khong-co/).\n\n"
                    "Xem [mục không có](#muc-khong-co).\n\n"
                    "Xem [tin hai](b.md#muc-ba) và [mục đúng](b.md#muc-hai).\n\n"
                    "```\n[trong mã](/khong-phai-lien-ket/)\n```\n")
    checked.article("b.md", "title: Tin hai\ndate: 2023-12-02\ncategory: Tin hoạt động",
                    "## Mục hai\n\nNội dung.\n")
    assert findings(checked) == [
        "content/articles/a.md:9: warning: broken link '/khong-co/': no page at /khong-co/ "
        "in this site",
        "content/articles/a.md:11: warning: broken anchor '#muc-khong-co': no element with "
        "id 'muc-khong-co' on /tin-tuc/tin-mot/",
        "content/articles/a.md:13: warning: broken anchor 'b.md#muc-ba': no element with "
        "id 'muc-ba' on /tin-tuc/tin-hai/",
    ]


def test_images_without_text_alternative_and_oversized_images(checked):
    checked.article("a.md", "title: Tin một\ndate: 2023-12-01\ncategory: Tin hoạt động",
                    "Mở đầu.\n\n![](nho.png)\n\n<img src=\"nho.png\">\n\n"
                    "![Ảnh lớn chụp từ máy ảnh](lon.png)\n")
    folder = checked.root / "content/articles"
    Image.new("RGB", (40, 30), "red").save(folder / "nho.png")
    Image.frombytes("RGB", (900, 900), os.urandom(900 * 900 * 3)).save(folder / "lon.png")
    assert findings(checked) == [
        "content/articles/a.md:9: warning: image 'nho.png' has no text alternative: write "
        "what it shows between the brackets, ![like this](photo.jpg)",
        "content/articles/a.md:11: warning: image 'nho.png' has no text alternative: write "
        "what it shows between the brackets, ![like this](photo.jpg)",
        "content/articles/a.md:13: warning: image 'lon.png' is 2,3 MB: expected at most "
        "2 MB; resize it before publishing",
    ]


def test_articles_without_category_and_duplicate_titles(checked):
    checked.article("a.md", "date: 2023-12-01\ntitle: Thông báo lịch tiếp dân",
                    "Nội dung.\n")
    checked.article("b.md", "title: Thông báo  lịch tiếp dân\ndate: 2023-12-02\n"
                    "category: Tin hoạt động\nslug: thong-bao-2", "Nội dung khác.\n")
    assert findings(checked) == [
        "content/articles/a.md:3: warning: article has no 'category': it appears in no "
        "section of the portal; add one",
        "content/articles/b.md:2: warning: same title as content/articles/a.md: readers "
        "cannot tell them apart in listings and search",
    ]


def test_external_links_are_requested_only_on_request(checked):
    checked.article("a.md", "title: Tin một\ndate: 2023-12-01\ncategory: Tin hoạt động",
                    "Xem [cổng](https://cong.example/) và [hỏng](https://hong.example/x).\n")
    asked = []

    def fetch(url):
        asked.append(url)
        return "HTTP 404" if "hong" in url else None

    assert findings(checked) == []
    assert [str(d) for d in check_site(
        CheckOptions(site_dir=checked.root, now=NOW, external=True), fetch)] == [
        "content/articles/a.md:7: warning: external link 'https://hong.example/x' failed: "
        "HTTP 404"]
    assert sorted(asked) == ["https://cong.example/", "https://hong.example/x"]


def test_fetch_status_reads_a_real_server(tmp_path):
    (tmp_path / "co.html").write_text("ok", encoding="utf-8")
    handler = functools.partial(_QuietHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        assert fetch_status(base + "co.html") is None
        assert fetch_status(base + "khong-co.html") == "HTTP 404"
    finally:
        server.shutdown()
        server.server_close()


def test_cli_exit_status_follows_errors_and_strict(checked, capsys):
    checked.article("a.md", "title: Tin một\ndate: 2023-12-01", "Nội dung.\n")
    assert main(["check", "--site", str(checked.root), "--now", NOW]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "content/articles/a.md:2: warning: article has no 'category': it appears in no "
        "section of the portal; add one",
        "Check: 0 errors, 1 warning: ready to publish."]
    assert main(["check", "--site", str(checked.root), "--now", NOW, "--strict"]) == 1
    assert capsys.readouterr().out.splitlines()[-1] == (
        "Check: 0 errors, 1 warning: not ready to publish (--strict: warnings count).")
    checked.article("b.md", "title: Tin hai\ndate: 31/02/2023", "Nội dung.\n")
    assert main(["check", "--site", str(checked.root), "--now", NOW]) == 1
    assert capsys.readouterr().out.splitlines()[-1] == (
        "Check: 1 error, 0 warnings: not ready to publish.")
    assert not checked.output.exists(), "check never writes the deploy folder"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass
