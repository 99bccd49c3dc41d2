"""Building small sites end to end: what gets published, where, and how it links."""

import re
import unicodedata
import xml.etree.ElementTree as ET

import pytest
from PIL import Image

import portal.parallel
import portal.plan
from portal.errors import BuildError
from portal.parallel import PARALLEL_MINIMUM


def test_article_page_has_title_date_lead_body_byline(site):
    site.article("chao.md", """
        title: Chợ Gạo phát động chuyên đề thi đua
        date: 09/03/2023
        author: Ngọc Xuyên
        category: Cải cách hành chính
    """, "Đoạn mở đầu in đậm.\n\nThân bài thứ nhất.\n")
    site.build()
    html = site.read("tin-tuc/cho-gao-phat-dong-chuyen-de-thi-dua/index.html")
    assert '<html lang="vi"' in html
    assert html.count("<h1") == 1
    assert '<h1 id="article-title" class="article-title">Chợ Gạo phát động chuyên đề thi đua</h1>' \
        in html
    assert '<time datetime="2023-03-09">Thứ Năm, 09/03/2023</time>' in html
    assert '<p class="article-lead">Đoạn mở đầu in đậm.</p>' in html
    assert "<p>Thân bài thứ nhất.</p>" in html
    assert '<p class="article-byline">Ngọc Xuyên</p>' in html
    assert '<main id="main-content"' in html
    assert '<a class="skip-link" href="#main-content">Truy cập nội dung luôn</a>' in html


def test_drafts_and_scheduled_articles_are_left_out(site):
    site.article("cu.md", "title: Bài cũ\ndate: 2023-12-31\n")
    site.article("nhap.md", "title: Bài nháp\ndate: 2023-12-30\ndraft: true\n")
    site.article("hen-gio.md", "title: Bài hẹn giờ\ndate: 2024-01-01 09:00\n")
    site.build(now="2024-01-01 08:59")
    published = sorted(p.parent.name for p in (site.output / "tin-tuc").glob("*/index.html"))
    assert published == ["bai-cu"]
    assert "Bài hẹn giờ" not in site.read("rss.xml")

    site.build(now="2024-01-01 09:00")
    published = sorted(p.parent.name for p in (site.output / "tin-tuc").glob("*/index.html"))
    assert published == ["bai-cu", "bai-hen-gio"]

    site.build(now="2024-01-01 09:00", include_drafts=True)
    assert (site.output / "tin-tuc/bai-nhap/index.html").is_file()


def test_source_date_epoch_is_the_default_now(site):
    from portal.pipeline import BuildOptions, build
    site.article("hen-gio.md", "title: Bài hẹn giờ\ndate: 2023-11-15 05:00\n")
    before = build(BuildOptions(site_dir=site.root), environ={"SOURCE_DATE_EPOCH": "1699999000"})
    assert not (site.output / "tin-tuc/bai-hen-gio/index.html").exists()
    after = build(BuildOptions(site_dir=site.root), environ={"SOURCE_DATE_EPOCH": "1700000000"})
    assert (site.output / "tin-tuc/bai-hen-gio/index.html").is_file()
    assert before.now < after.now


def test_links_to_content_files_resolve_to_their_urls(site):
    site.write("content/pages/lien-he.md", "---\ntitle: Liên hệ\n---\n\n## Địa chỉ\n\nSố 1.\n")
    site.article("b.md", "title: Bài B\ndate: 2023-03-01\n")
    site.article("a.md", "title: Bài A\ndate: 2023-03-02\n", """
        Xem [bài B](b.md), [liên hệ](../pages/lien-he.md#dia-chi) và <a href="b.md">B thô</a>.

        Trang [gốc](/lien-he/) và [ngoài](https://chinhphu.vn/).
    """)
    site.build()
    html = site.read("tin-tuc/bai-a/index.html")
    assert '<a href="/tin-tuc/bai-b/">bài B</a>' in html
    assert '<a href="/lien-he/#dia-chi">liên hệ</a>' in html
    assert '<a href="/tin-tuc/bai-b/">B thô</a>' in html
    assert '<a href="https://chinhphu.vn/">ngoài</a>' in html
    assert '<h2 id="dia-chi">Địa chỉ</h2>' in site.read("lien-he/index.html")


def test_links_through_a_symlinked_folder_lead_where_the_file_system_says(site):
    """``lien-tat/../c.md`` climbs out of the folder the symlink points at, not out of the
    folder the text names: the link goes to ``tong-hop/c.md``, as ``realpath`` says."""
    site.article("c.md", "title: Bài C ngoài\ndate: 2023-03-01\n")
    site.article("tong-hop/c.md", "title: Bài C trong\ndate: 2023-03-01\n")
    site.write("content/articles/tong-hop/sau/ghi-chu.txt", "ghi chú\n")
    (site.root / "content/articles/loi-tat").symlink_to(
        site.root / "content/articles/tong-hop/sau", target_is_directory=True)
    site.article("a.md", "title: Bài A\ndate: 2023-03-02\n",
                 "Xem [C](loi-tat/../c.md) và [C ngoài](./tong-hop/../c.md).\n")
    site.build()
    html = site.read("tin-tuc/bai-a/index.html")
    assert '<a href="/tin-tuc/bai-c-trong/">C</a>' in html
    assert '<a href="/tin-tuc/bai-c-ngoai/">C ngoài</a>' in html


def test_bodies_made_in_worker_processes_equal_bodies_made_in_one(make_site, monkeypatch):
    """Enough articles to make their bodies in worker processes: the pages, the warnings (in
    the same order) and the files published (first publisher named) are what one process
    makes."""
    def write(site):
        site.article("nhap.md", "title: Nháp\ndate: 2023-03-01\ndraft: true\n")
        count = PARALLEL_MINIMUM + 30
        for i in range(count):
            links = f"[sau](bai-{(i + 1) % count:03d}.md) và [tệp](tep-{i % 3}.txt)"
            if i % 50 == 7:
                links += " và [nháp](nhap.md)"
            site.article(f"bai-{i:03d}.md", f"title: Bài {i}\ndate: 2023-03-02\n",
                         f"Mở đầu {i}.\n\nXem {links}.\n")
        for n in range(3):
            site.write(f"content/articles/tep-{n}.txt", f"tệp {n}\n")

    def outcome(site):
        result = site.build()
        assets = [(a.url, a.referenced_by, a.line, a.source.relative_to(site.root).as_posix())
                  for a in result.site.assets]
        return [str(w) for w in result.warnings], assets, site.files()

    parallel, single = make_site("song-song"), make_site("mot-tien-trinh")
    write(parallel)
    write(single)
    in_workers = outcome(parallel)
    monkeypatch.setattr(portal.parallel, "worker_count", lambda *args, **kwargs: 1)
    in_one = outcome(single)
    assert in_workers == in_one
    warnings, assets, _ = in_workers
    assert warnings[0] == ("content/articles/bai-007.md:8: warning: links to "
                           "content/articles/nhap.md, which is not published yet (draft)")
    assert len(warnings) == 5
    assert [a[:3] for a in assets] == [
        (f"media/articles/tep-{n}.txt", f"content/articles/bai-00{n}.md", 8) for n in range(3)]


def test_sub_path_base_url_prefixes_every_internal_link(site):
    config = (site.root / "site.toml").read_text(encoding="utf-8")
    site.write("site.toml", config.replace("https://xa.example.gov.vn/",
                                           "https://example.gov.vn/xa-thu/"))
    site.article("b.md", "title: Bài B\ndate: 2023-03-01\n")
    site.article("a.md", "title: Bài A\ndate: 2023-03-02\n", "[B](b.md) và [gốc](/lien-he/).\n")
    site.build()
    html = site.read("tin-tuc/bai-a/index.html")
    assert '<a href="/xa-thu/tin-tuc/bai-b/">B</a>' in html
    assert '<a href="/xa-thu/lien-he/">gốc</a>' in html
    assert re.search(r'href="/xa-thu/static/css/portal\.[0-9a-f]{8}\.css"', html)
    assert '<link rel="canonical" href="https://example.gov.vn/xa-thu/tin-tuc/bai-a/">' in html
    assert "<loc>https://example.gov.vn/xa-thu/tin-tuc/bai-a/</loc>" in site.read("sitemap.xml")


def test_link_to_missing_file_is_an_error_at_its_line(site):
    site.article("a.md", "title: Bài A\ndate: 2023-03-02\n", """
        Dòng một.

        Xem [bài cũ](khong-co.md) ở đây.
    """)
    with pytest.raises(BuildError) as info:
        site.build()
    assert [str(d) for d in info.value.diagnostics] == [
        "content/articles/a.md:8: link to a missing file: expected a Markdown file of this "
        "site, got 'khong-co.md'",
    ]


def test_link_to_an_unpublished_article_is_a_warning(site):
    site.article("nhap.md", "title: Nháp\ndate: 2023-03-01\ndraft: true\n")
    site.article("a.md", "title: Bài A\ndate: 2023-03-02\n", "Xem [nháp](nhap.md).\n")
    result = site.build()
    assert [str(w) for w in result.warnings] == [
        "content/articles/a.md:6: warning: links to content/articles/nhap.md, which is not "
        "published yet (draft)",
    ]


def test_bundle_files_are_published_beside_the_article(site):
    site.article("bai-co-anh/index.md", """
        title: Bài có ảnh
        date: 2023-03-02
        attachments:
          - file: ke-hoach.pdf
            title: Kế hoạch số 12
    """, "![Toàn cảnh hội nghị](hoi-nghi.png)\n")
    Image.new("RGB", (40, 30), "red").save(site.root / "content/articles/bai-co-anh/hoi-nghi.png")
    (site.root / "content/articles/bai-co-anh/ke-hoach.pdf").write_bytes(b"%PDF" + b"x" * 3000)
    site.build()
    html = site.read("tin-tuc/bai-co-anh/index.html")
    assert ('<img alt="Toàn cảnh hội nghị" src="/tin-tuc/bai-co-anh/hoi-nghi.png" width="40" '
            'height="30" loading="lazy" decoding="async">') in html
    assert ('<a href="/tin-tuc/bai-co-anh/ke-hoach.pdf" download>Kế hoạch số 12</a> '
            '<span class="file-info">(PDF, 3 KB)</span>') in html
    with Image.open(site.output / "tin-tuc/bai-co-anh/hoi-nghi.png") as published:
        assert (published.format, published.size) == ("PNG", (40, 30))


def test_two_sources_with_one_url_is_an_error_naming_both(site):
    site.article("a.md", "title: Đẩy mạnh cải cách\ndate: 2023-03-02\n")
    site.article("b.md", "title: Day manh cai cach\ndate: 2023-03-03\n")
    with pytest.raises(BuildError) as info:
        site.build()
    assert [str(d) for d in info.value.diagnostics] == [
        "content/articles/b.md:2: URL /tin-tuc/day-manh-cai-cach/ is also produced by "
        "content/articles/a.md: expected a unique title or 'slug', got 'day-manh-cai-cach' "
        "for both",
    ]


def test_page_that_would_overwrite_a_generated_page_is_an_error(site):
    site.write("content/pages/tin.md", "---\ntitle: Tin\nslug: tin-tuc\n---\n\nx\n")
    with pytest.raises(BuildError) as info:
        site.build()
    assert [str(d) for d in info.value.diagnostics] == [
        "content/pages/tin.md:1: two outputs would write tin-tuc/index.html: the news listing "
        "and content/pages/tin.md: expected one producer per file, got both",
    ]


def test_slug_key_overrides_the_title(site):
    site.article("a.md", "title: Đẩy mạnh cải cách\ndate: 2023-03-02\nslug: cai-cach-2023\n")
    site.build()
    assert (site.output / "tin-tuc/cai-cach-2023/index.html").is_file()


def test_raw_html_is_sanitised(site):
    site.article("a.md", "title: <b>Tiêu đề</b> \"nháy\"\ndate: 2023-03-02\n"
                 "summary: '<script>alert(1)</script>'\n", """
        Mở đầu <script>alert("x")</script><b onclick="steal()">đậm</b>.

        [bấm](javascript:alert(1)) ![ảnh](data:image/png;base64,AAAA)
        <iframe src="https://evil.example/"></iframe><style>body{display:none}</style>
        <img src="https://x.example/a.png" onerror=alert(1)> <a href="JaVaScRiPt:alert(2)">h</a>

        # Tiêu đề cấp một

        {{ 7*7 }} và {% raw %}
    """)
    site.build()
    html = site.read("tin-tuc/b-tieu-de-b-nhay/index.html")
    body = html.split('<main id="main-content"', 1)[1].split("</main>", 1)[0]
    for needle in ("<script>alert", "onclick", "onerror", "javascript:", "JaVaScRiPt",
                   "data:image", "<iframe", "<style"):
        assert needle not in body.lower() if needle.islower() else needle not in body
    assert "<b>đậm</b>" in body
    assert '<h2 id="tieu-de-cap-mot">Tiêu đề cấp một</h2>' in body
    assert '<img src="https://x.example/a.png">' in body
    assert "{{ 7*7 }} và {% raw %}" in body
    assert "<h1 id=\"article-title\" class=\"article-title\">&lt;b&gt;Tiêu đề&lt;/b&gt; " \
        "&#34;nháy&#34;</h1>" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_nfd_text_is_published_as_nfc(site):
    title = unicodedata.normalize("NFD", "Hội nghị tổng kết")
    site.article("a.md", f"title: {title}\ndate: 2023-03-02\n", "Đoạn " + title + "\n")
    site.build()
    html = site.read("tin-tuc/hoi-nghi-tong-ket/index.html")
    assert "Hội nghị tổng kết" in html
    assert unicodedata.normalize("NFC", html) == html


def test_crlf_and_bom_sources_parse(site):
    (site.root / "content/articles").mkdir(parents=True)
    (site.root / "content/articles/a.md").write_bytes(
        "\ufeff---\r\ntitle: Bài CRLF\r\ndate: 2023-03-02\r\n---\r\n\r\nMở đầu.\r\n".encode())
    site.build()
    assert "Mở đầu." in site.read("tin-tuc/bai-crlf/index.html")


def test_listings_are_paginated_with_real_links(site):
    for day in range(1, 24):
        site.article(f"bai-{day:02}.md", f"title: Bài số {day}\ndate: 2023-03-{day:02}\n"
                     "category: Tin hoạt động\ntags: [nông thôn mới]\n")
    site.build()
    first = site.read("tin-tuc/index.html")
    assert first.index("Bài số 23") < first.index("Bài số 22")
    assert '<a href="/tin-tuc/trang-2/" rel="next">Trang sau</a>' in first
    third = site.read("tin-tuc/trang-3/index.html")
    assert '<a href="/tin-tuc/trang-2/" rel="prev">Trang trước</a>' in third
    assert "Bài số 1<" in third and "Bài số 4<" not in third
    assert not (site.output / "tin-tuc/trang-4").exists()
    assert (site.output / "chuyen-muc/tin-hoat-dong/trang-3/index.html").is_file()
    assert (site.output / "the/nong-thon-moi/trang-3/index.html").is_file()


def test_feeds_and_sitemap(site):
    site.article("a.md", "title: Bài A & B\ndate: 2023-03-02 08:30\ncategory: Thông báo\n"
                 "author: Lê Văn A\n", "Mở đầu <em>nhấn</em>.\n")
    site.build()
    rss = ET.fromstring(site.read("rss.xml"))
    item = rss.find("channel/item")
    assert item.findtext("title") == "Bài A & B"
    assert item.findtext("link") == "https://xa.example.gov.vn/tin-tuc/bai-a-b/"
    assert item.findtext("pubDate") == "Thu, 02 Mar 2023 08:30:00 +0700"
    assert item.findtext("description") == "Mở đầu nhấn ."
    atom = ET.fromstring(site.read("chuyen-muc/thong-bao/atom.xml"))
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert atom.findtext("a:entry/a:title", namespaces=ns) == "Bài A & B"
    assert atom.findtext("a:entry/a:published", namespaces=ns) == "2023-03-02T08:30:00+07:00"
    assert ET.fromstring(site.read("chuyen-muc/thong-bao/rss.xml")).find("channel/item")
    sitemap = ET.fromstring(site.read("sitemap.xml"))
    locs = [u.findtext("{http://www.sitemaps.org/schemas/sitemap/0.9}loc") for u in sitemap]
    assert "https://xa.example.gov.vn/tin-tuc/bai-a-b/" in locs
    assert "https://xa.example.gov.vn/404.html" not in locs
    assert site.read("robots.txt") == ("User-agent: *\nAllow: /\n\n"
                                       "Sitemap: https://xa.example.gov.vn/sitemap.xml\n")
    assert "Không tìm thấy trang" in site.read("404.html")


def test_tags_are_listed_in_vietnamese_order_and_spellings_merge(site):
    site.article("a.md", "title: A\ndate: 2023-03-02\ntags: [Đường sá, dân số, ăn uống]\n")
    site.article("b.md", "title: B\ndate: 2023-03-03\ntags: [an ninh, đường sá, Đường sá]\n")
    site.build()
    html = site.read("so-do-cong/index.html")
    tags = html.split('<ul class="tag-list">', 1)[1].split("</ul>", 1)[0]
    names = [part.split("</a>")[0].split(">")[-1] for part in tags.split("<li>")[1:]]
    assert names == ["an ninh", "ăn uống", "dân số", "Đường sá"]


def test_english_page_gets_english_interface(site):
    site.write("content/pages/english.md", "---\ntitle: About us\nlang: en\nmenu: 90\n---\n\nHi\n")
    site.build()
    html = site.read("english/index.html")
    assert '<html lang="en"' in html
    assert '<a class="skip-link" href="#main-content">Skip to main content</a>' in html
    assert '<a href="/english/" class="is-active" aria-current="page">About us</a>' in html
    vi = site.read("index.html")
    assert '<a href="/english/" lang="en">About us</a>' in vi


def test_a_folder_gone_while_sources_are_listed_is_skipped(site, monkeypatch):
    """An editor (or a checkout) removes a folder while the build lists the sources: the
    build goes on with what is there, as a walk of the folder would."""
    import portal.discover
    from portal.discover import discover_sources

    site.article("a.md", "title: Bài A\ndate: 2023-03-02\n")
    site.article("cu/b.md", "title: Bài B\ndate: 2023-03-02\n")
    gone = str(site.root / "content/articles/cu")
    real_scandir = portal.discover.os.scandir

    def scandir(path):
        if str(path) == gone:
            raise FileNotFoundError(2, "No such file or directory", path)
        return real_scandir(path)

    monkeypatch.setattr(portal.discover.os, "scandir", scandir)
    assert [s.rel for s in discover_sources(site.root.resolve())] == ["content/articles/a.md"]


def _collector_on(_: int) -> bool:
    import gc

    return gc.isenabled()


def test_the_build_pauses_the_garbage_collector_and_its_workers_do_not(site, monkeypatch):
    """The build's own process keeps its model to the end (``collector.py``): the collector
    is paused while it builds and put back as it was; forked workers run with it on."""
    import gc

    import portal.pipeline
    from portal.collector import collector_paused
    from portal.parallel import PARALLEL_MINIMUM, map_in_processes

    site.article("a.md", "title: Bài A\ndate: 2023-03-02\n")
    seen = []
    real_plan = portal.plan.plan_outputs
    monkeypatch.setattr(portal.plan, "plan_outputs",
                        lambda *a: seen.append(gc.isenabled()) or real_plan(*a))
    was = gc.isenabled()
    try:
        gc.enable()
        site.build()
        assert seen == [False] and gc.isenabled()
        gc.disable()
        site.build(clean=True)
        assert seen == [False, False] and not gc.isenabled()
        with collector_paused():
            assert set(map_in_processes(_collector_on, range(PARALLEL_MINIMUM),
                                        PARALLEL_MINIMUM)) == {True}
            assert not gc.isenabled()
    finally:
        if was:
            gc.enable()


def test_pages_and_bodies_made_in_the_build_process_run_the_collector(site, monkeypatch):
    """A small site renders and converts in the build's own process: that work makes cyclic
    garbage (Jinja2's contexts), so it runs with the collector on, as a worker would."""
    import gc

    import portal.bodies
    import portal.render

    site.article("a.md", "title: Bài A\ndate: 2023-03-02\n")
    seen: dict[str, list[bool]] = {"render": [], "body": []}
    real_chunk, real_body = portal.render._render_chunk, portal.bodies._make_body
    monkeypatch.setattr(portal.render, "_render_chunk", lambda *a: seen["render"].append(
        gc.isenabled()) or real_chunk(*a))
    monkeypatch.setattr(portal.bodies, "_make_body", lambda *a: seen["body"].append(
        gc.isenabled()) or real_body(*a))
    was = gc.isenabled()
    try:
        gc.disable()
        site.build()
        assert seen == {"render": [True], "body": [True]}
        assert not gc.isenabled()
    finally:
        if was:
            gc.enable()


def test_work_started_in_a_thread_gives_its_result_or_its_error():
    from portal.parallel import start_thread

    assert start_thread(sorted, [3, 1, 2])() == [1, 2, 3]
    failed = start_thread(int, "không phải số")
    with pytest.raises(ValueError, match="không phải số"):
        failed()
