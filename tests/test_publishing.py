"""Publishing to static hosting: a sub-path, hashed asset names, precompressed siblings, the
page-weight report and budget, and the link check of the built output."""

from __future__ import annotations

import gzip
import io
import os
import re
import select
import shlex
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urljoin, urlsplit
from urllib.request import Request, urlopen

import brotli
import pytest
import yaml
from browser import CONTENT_SECURITY_POLICY, PolicyHandler, serve
from conftest import NOW, REPO, SiteFolder

import portal.weight
from portal.assets import rewrite_css
from portal.cli import main, make_parser
from portal.compiled import engine_templates_dir
from portal.config import load_config
from portal.engine import engine_version
from portal.linkcheck import check_links, css_references, html_references
from portal.pipeline import BuildOptions, build
from portal.weight import KB, SIZES_FOLDER, PageWeight, gzip_size, measure_page

SUB_PATH = "/xa-cho-gao/"
PUBLIC = "https://example.gov.vn" + SUB_PATH
SEED = ("tin-tuc/cho-gao-phat-dong-chuyen-de-thi-dua-day-manh-cai-cach-hanh-chinh-nam-2023-"
        "tren-dia-ban-huyen-cho-gao/")
HASHED = re.compile(r"static/(?:css|js|fonts)/[^\"'\s/]+\.[0-9a-f]{8}\.(?:css|js|woff2)")


def copy_sample(target: Path) -> Path:
    """The repository's sample site (its sources; the theme comes from the repository)."""
    target.mkdir(parents=True)
    shutil.copytree(REPO / "content", target / "content")
    shutil.copy(REPO / "site.toml", target / "site.toml")
    return target


@pytest.fixture(scope="module")
def sub_path_output(tmp_path_factory) -> Path:
    """The sample site built for https://example.gov.vn/xa-cho-gao/ (search included)."""
    root = copy_sample(tmp_path_factory.mktemp("publishing") / "site")
    out = root / "_site"
    build(BuildOptions(site_dir=root, now=NOW, output_dir=out, base_url=PUBLIC), environ={})
    return out


class _SubPathHandler(PolicyHandler):
    """Serves the output folder under ``SUB_PATH`` only, with the documented policy, and the
    custom 404 page (status 404) for anything else, as the nginx example does."""

    def translate_path(self, path: str) -> str:
        route = urlsplit(path).path
        if not route.startswith(SUB_PATH):
            return str(Path(self.directory) / "\0missing")
        return super().translate_path("/" + route[len(SUB_PATH):])

    def send_head(self):
        target = Path(self.translate_path(self.path))
        if (urlsplit(self.path).path.endswith("/") and (target / "index.html").is_file()) or \
                target.is_file() or target.is_dir():
            return super().send_head()
        body = (Path(self.directory) / "404.html").read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


def serve_under_sub_path(folder: Path):
    return serve(folder, _SubPathHandler, SUB_PATH)


def fetch(url: str) -> tuple[int, bytes, str]:
    try:
        with urlopen(url, timeout=10) as response:
            return response.status, response.read(), response.headers.get_content_type()
    except HTTPError as exc:
        return exc.code, exc.read(), exc.headers.get_content_type()


def crawl(start: str) -> tuple[dict[str, int], set[str]]:
    """Follow every reference of every page and stylesheet on the loopback host, mapping the
    public address to it; return each URL's status and the pages seen."""
    origin = start[: -len(SUB_PATH)]
    statuses: dict[str, int] = {}
    pages: set[str] = set()
    queue = [start]
    while queue:
        url = queue.pop()
        if url in statuses:
            continue
        status, body, kind = fetch(url)
        statuses[url] = status
        if status != 200 or kind not in ("text/html", "text/css"):
            continue
        if kind == "text/html":
            pages.add(url)
        text = body.decode("utf-8")
        references = html_references(text) if kind == "text/html" else css_references(text)
        for ref in references:
            value = ref.value.replace(PUBLIC, origin + SUB_PATH)
            target = urljoin(url, value)
            parts = urlsplit(target)
            if target.startswith(origin) and parts.scheme in ("http", "https"):
                queue.append(parts._replace(query="", fragment="").geturl())
    return statuses, pages


def test_sub_path_site_crawled_on_loopback_has_no_broken_link_or_asset(sub_path_output):
    with serve_under_sub_path(sub_path_output) as start:
        statuses, pages = crawl(start)
        missing_status, missing_body, _ = fetch(start + "khong/co/trang/nay/")
    broken = sorted(url for url, status in statuses.items() if status != 200)
    assert broken == []
    every_page = {start + p.relative_to(sub_path_output).as_posix().removesuffix("index.html")
                  for p in sub_path_output.rglob("*.html")} - {start + "404.html"}
    assert every_page - pages == set()
    assert any(HASHED.search(url) for url in statuses)
    # The not-found page is sent for a missing path at any depth: its links still work.
    assert missing_status == 404
    not_found_refs = [r.value for r in html_references(missing_body.decode())]
    assert not_found_refs and all(v.startswith(("/xa-cho-gao/", "https://", "#", "tel:", "mailto:"))
                                  for v in not_found_refs)


def test_sub_path_reaches_feeds_sitemap_canonical_json_ld_and_search(sub_path_output):
    article = (sub_path_output / SEED / "index.html").read_text(encoding="utf-8")
    assert f'<link rel="canonical" href="{PUBLIC}{SEED}">' in article
    assert f'<meta property="og:url" content="{PUBLIC}{SEED}">' in article
    assert f'"mainEntityOfPage": "{PUBLIC}{SEED}"' in article
    assert f'"url": "{PUBLIC}static/img/emblem.svg"' in article
    assert f"<loc>{PUBLIC}{SEED}</loc>" in (sub_path_output / "sitemap.xml").read_text()
    assert f"<link>{PUBLIC}{SEED}</link>" in (sub_path_output / "rss.xml").read_text()
    assert f"Sitemap: {PUBLIC}sitemap.xml" in (sub_path_output / "robots.txt").read_text()
    search = (sub_path_output / "tim-kiem" / "index.html").read_text(encoding="utf-8")
    assert 'data-bundle-root="/xa-cho-gao/pagefind/"' in search
    assert 'data-base-path="/xa-cho-gao/"' in search
    assert check_links(sub_path_output, PUBLIC) == []


@pytest.mark.browser
def test_browser_loads_home_and_article_under_sub_path_without_failed_request(
        browser, sub_path_output):
    result_fonts = {}
    for label, rel in (("home", ""), ("article", SEED)):
        weight = measure_page(sub_path_output, PUBLIC, rel + "index.html")
        result_fonts[label] = {f for f in weight.files if f.endswith(".woff2")}
    with serve_under_sub_path(sub_path_output) as start:
        for label, rel in (("home", ""), ("article", SEED)):
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            failed: list[str] = []
            requested: list[str] = []
            page.on("requestfailed", lambda r, f=failed: f.append(f"{r.url} {r.failure}"))
            page.on("response", lambda r, f=failed: r.status >= 400 and f.append(
                f"{r.url} {r.status}"))
            page.on("request", lambda r, q=requested: q.append(r.url))
            page.on("console", lambda m, f=failed: m.type == "error" and f.append(m.text))
            page.goto(start + rel, wait_until="networkidle")
            assert page.evaluate("document.fonts.ready.then(() => document.fonts.status)") \
                == "loaded"
            page.wait_for_load_state("networkidle")
            context.close()
            assert failed == [], label
            assert all(url.startswith(start) for url in requested), label
            fonts = {url[len(start):] for url in requested if url.endswith(".woff2")}
            # The page-weight report counts exactly the font files the browser fetched.
            assert fonts == result_fonts[label], label


@pytest.mark.browser
def test_browser_search_under_sub_path_loads_its_index_and_links_results(browser,
                                                                         sub_path_output):
    with serve_under_sub_path(sub_path_output) as start:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        failed: list[str] = []
        page.on("requestfailed", lambda r: failed.append(f"{r.url} {r.failure}"))
        page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.url} {r.status}"))
        page.on("console", lambda m: m.type == "error" and failed.append(m.text))
        page.goto(start + "tim-kiem/?q=cai+cach+hanh+chinh")
        first = page.locator(".search-results .result-title a").first
        first.wait_for()
        hrefs = page.locator(".search-results .result-title a").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))")
        first.click()
        page.wait_for_load_state("load")
        landed = page.url
        context.close()
    assert failed == []
    assert hrefs and all(h.startswith(SUB_PATH) for h in hrefs)
    assert landed == urljoin(start, hrefs[0]) and (sub_path_output / urlsplit(landed).path[
        len(SUB_PATH):] / "index.html").is_file()


# ---- Hashed asset names ----

def names_in(output: Path) -> set[str]:
    return {p.relative_to(output).as_posix() for p in (output / "static").rglob("*")
            if p.is_file()}


def test_hashed_asset_names_are_stable_and_change_with_the_file(site: SiteFolder, tmp_path):
    site.article("a.md", "title: Bài A\ndate: 2023-03-02\n")
    site.build()
    first = names_in(site.output)
    assert {n for n in first if not HASHED.fullmatch(n)} == {
        "static/fonts/OFL.txt", "static/img/emblem.svg"}
    portal_css = next(n for n in first if n.startswith("static/css/portal."))
    site.build(clean=True)
    assert names_in(site.output) == first

    # A site's own font replaces the theme's: the font and the stylesheet loading it get new
    # names; the stylesheet's url() points at the new font, and pages at the new stylesheet.
    font = "be-vietnam-pro-latin-400-normal.woff2"
    (site.root / "static" / "fonts").mkdir(parents=True)
    (site.root / "static" / "fonts" / font).write_bytes(
        (REPO / "static" / "fonts" / font).read_bytes() + b"\0")
    site.build()
    second = names_in(site.output)
    changed = sorted(first - second)
    assert [n for n in changed if n.endswith((".woff2", ".css"))] == sorted([
        next(n for n in first if "latin-400" in n), portal_css])
    assert sorted(n for n in first - second if n.endswith(".js")) == []
    new_css = next(n for n in second if n.startswith("static/css/portal."))
    new_font = next(n for n in second if "latin-400" in n).removeprefix("static/fonts/")
    assert f'url("../fonts/{new_font}")' in site.read(new_css)
    assert f'href="/{new_css}"' in site.read("tin-tuc/bai-a/index.html")
    assert check_links(site.output, "https://xa.example.gov.vn/") == []

    # The incremental build equals a clean build of the same sources, byte for byte.
    clean = build(BuildOptions(site_dir=site.root, now=NOW, output_dir=tmp_path / "clean",
                               clean=True), environ={})
    assert clean.output_dir == (tmp_path / "clean").resolve()
    assert site.files() == {p.relative_to(clean.output_dir).as_posix(): p.read_bytes()
                            for p in sorted(clean.output_dir.rglob("*")) if p.is_file()}


def test_stylesheet_references_are_rewritten_relative_and_others_kept():
    names = {"static/fonts/a.woff2": "static/fonts/a.0123abcd.woff2",
             "static/img/logo.svg": "static/img/logo.svg"}
    css = (b'@font-face { src: url("../fonts/a.woff2?v=2#x") format("woff2"); }\n'
           b".a { background: url(../img/logo.svg) } .b { background: url('data:image/png;x') }"
           b" .c { background: url(https://cdn.example/x.png) } .d { background: url(/abs.png) }")
    assert rewrite_css(css, "static/css/site.css", names) == css.replace(
        b'url("../fonts/a.woff2?v=2#x")', b'url("../fonts/a.0123abcd.woff2?v=2#x")')


def test_base_url_option_overrides_site_toml_and_incremental_equals_clean(site, tmp_path):
    site.article("a.md", "title: Bài A\ndate: 2023-03-02\n")
    site.build()
    site.build(base_url="https://example.gov.vn/xa-thu")
    html = site.read("tin-tuc/bai-a/index.html")
    assert '<link rel="canonical" href="https://example.gov.vn/xa-thu/tin-tuc/bai-a/">' in html
    assert 'href="/xa-thu/tin-tuc/"' in html
    clean = build(BuildOptions(site_dir=site.root, now=NOW, output_dir=tmp_path / "clean",
                               base_url="https://example.gov.vn/xa-thu/"), environ={})
    assert site.files() == {p.relative_to(clean.output_dir).as_posix(): p.read_bytes()
                            for p in sorted(clean.output_dir.rglob("*")) if p.is_file()}


def test_wrong_base_url_option_is_a_usage_error(site):
    err = io.StringIO()
    code = main(["build", "--site", str(site.root), "--base-url", "example.gov.vn/xa"],
                stdout=io.StringIO(), stderr=err)
    assert code == 2
    assert err.getvalue().splitlines()[0] == (
        "error: --base-url: expected an absolute http(s) URL like "
        "https://example.gov.vn/xa-cho-gao/, got 'example.gov.vn/xa'")


# ---- Precompressed siblings ----

def test_precompress_writes_siblings_that_decompress_to_the_same_bytes(site, tmp_path):
    site.article("a.md", "title: Bài A\ndate: 2023-03-02\n")
    site.build(precompress=True)
    files = site.files()
    for rel in ("index.html", "tin-tuc/bai-a/index.html", "rss.xml", "sitemap.xml",
                "static/img/emblem.svg", next(n for n in files if n.endswith(".css"))):
        assert gzip.decompress(files[rel + ".gz"]) == files[rel]
        assert brotli.decompress(files[rel + ".br"]) == files[rel]
    assert not [n for n in files if n.endswith((".woff2.gz", ".woff2.br", ".gz.gz"))]
    # Reproducible: a second output folder gets the same bytes.
    other = build(BuildOptions(site_dir=site.root, now=NOW, output_dir=tmp_path / "other",
                               precompress=True), environ={})
    assert {p.relative_to(other.output_dir).as_posix(): p.read_bytes()
            for p in sorted(other.output_dir.rglob("*")) if p.is_file()} == files

    # An edited article gets fresh siblings; a removed one takes its siblings along.
    site.article("a.md", "title: Bài A\ndate: 2023-03-02\n", "Nội dung mới.\n")
    site.article("b.md", "title: Bài B\ndate: 2023-03-03\n")
    site.build(precompress=True)
    page = site.output / "tin-tuc/bai-a/index.html"
    assert gzip.decompress(Path(f"{page}.gz").read_bytes()) == page.read_bytes()
    assert "Nội dung mới." in page.read_text(encoding="utf-8")
    (site.root / "content/articles/b.md").unlink()
    site.build(precompress=True)
    assert not list((site.output / "tin-tuc").glob("bai-b*"))
    site.build()
    assert [n for n in site.files() if n.endswith((".gz", ".br"))] == []


# ---- Page weight and budget ----

def test_page_weight_counts_html_css_js_and_the_font_subsets_the_page_needs(site):
    site.article("a.md", "title: Bài A\ndate: 2023-03-02\n", "Đoạn mở đầu.\n\n" + "Chữ. " * 900)
    site.article("b.md", "title: Bài B\ndate: 2023-03-03\n")
    result = site.build()
    home, article = result.page_weights
    assert (home.page, article.page) == ("index.html", "tin-tuc/bai-a/index.html")
    out = site.output
    files = site.files()
    css = sorted(n for n in files if n.endswith(".css"))
    scripts = sorted(n for n in files if n.endswith(".js") and ("/portal." in n or
                                                              "/theme-init." in n))
    fonts = sorted(n for n in files if re.search(r"-(latin|vietnamese)-(400|700)-", n))
    assert len(fonts) == 4  # no latin-ext: Vietnamese text needs latin + vietnamese only
    assert article.html == gzip_size(files["tin-tuc/bai-a/index.html"])
    assert article.css == sum(gzip_size(files[n]) for n in css)
    assert article.js == sum(gzip_size(files[n]) for n in scripts)
    assert article.fonts == sum((out / n).stat().st_size for n in fonts)
    assert sorted(article.files) == sorted(["tin-tuc/bai-a/index.html", *css, *scripts, *fonts])
    assert article.total < 100 * KB
    site.article("b.md", "title: Bài B\ndate: 2023-03-03\n", "Đoạn mở đầu đã sửa.\n")
    rebuilt = site.build()  # b's page is now the newest file, a's still the largest
    assert [w.page for w in rebuilt.page_weights] == ["index.html", "tin-tuc/bai-a/index.html"]
    assert rebuilt.page_weights[1] == article

    out_text = io.StringIO()
    assert main(["build", "--site", str(site.root), "--now", NOW], stdout=out_text,
                stderr=io.StringIO()) == 0
    assert out_text.getvalue().splitlines()[-1] == (
        "Page weight, first visit (gzip, without content images): "
        f"home /: {home.total / KB:.1f} KB (HTML {home.html / KB:.1f}, CSS {home.css / KB:.1f}, "
        f"JS {home.js / KB:.1f}, fonts {home.fonts / KB:.1f}; brotli {home.brotli / KB:.1f} KB); "
        f"article /tin-tuc/bai-a/: {article.total / KB:.1f} KB (HTML {article.html / KB:.1f}, "
        f"CSS {article.css / KB:.1f}, JS {article.js / KB:.1f}, fonts {article.fonts / KB:.1f}; "
        f"brotli {article.brotli / KB:.1f} KB).")


def test_stylesheets_and_scripts_compressed_sizes_are_kept_by_content(site, tmp_path,
                                                                      monkeypatch):
    site.article("a.md", "title: Bài A\ndate: 2023-03-02\n")
    result = site.build()
    kept = tmp_path / "kept"
    kept.mkdir()
    compressed: list[int] = []
    real = portal.weight.brotli_size
    monkeypatch.setattr(portal.weight, "brotli_size",
                        lambda data: compressed.append(len(data)) or real(data))

    def measure(folder: Path | None) -> PageWeight:
        portal.weight._compressed_sizes.cache_clear()  # as a new build's process starts
        compressed.clear()
        return measure_page(site.output, result.base_url, "index.html", folder)

    fresh = measure(None)
    linked = [rel for rel in fresh.files if rel.endswith((".css", ".js"))]
    assert len(compressed) == 1 + len(linked)  # the page, then each stylesheet and script
    assert measure(kept) == fresh
    entries = sorted(kept.iterdir())
    assert len(entries) == len(linked)
    assert sorted(e.read_text() for e in entries) == sorted(
        f"{gzip_size(d)} {real(d)}" for d in ((site.output / rel).read_bytes() for rel in linked))
    assert measure(kept) == fresh
    assert len(compressed) == 1  # the page alone: the rest was kept
    entries[0].write_text("12")  # damaged: compressed again, and kept right
    assert measure(kept) == fresh and len(compressed) == 2
    assert sorted(kept.iterdir()) == entries
    monkeypatch.setattr(portal.weight, "SIZES_KEPT", len(linked) - 2)
    entries[0].unlink()  # one to write into a folder already holding more than it may keep
    assert measure(kept) == fresh
    left = sorted(kept.iterdir())
    assert 0 < len(left) < len(linked) - 1  # emptied, then refilled by what was compressed
    blocked = tmp_path / "blocked"  # a cache that cannot be used changes nothing but the time
    blocked.write_text("a file where the folder should be")
    assert measure(blocked) == fresh and len(compressed) == 1 + len(linked)
    assert blocked.read_text() == "a file where the folder should be"


def test_a_build_keeps_compressed_sizes_in_the_engine_folder_of_the_user_cache(site):
    site.article("a.md", "title: Bài A\ndate: 2023-03-02\n")
    first = site.build().page_weights
    kept = engine_templates_dir(engine_version()) / SIZES_FOLDER
    entries = {e.name: e.read_text() for e in kept.iterdir()}
    assert len(entries) >= 3  # the stylesheets and scripts the two pages link
    portal.weight._compressed_sizes.cache_clear()
    site.article("b.md", "title: Bài B\ndate: 2023-03-03\n")
    assert site.build().page_weights[0].brotli > first[0].brotli  # a longer home page
    assert {e.name: e.read_text() for e in kept.iterdir()} == entries


def test_budget_warns_naming_each_page_over_it(site):
    site.write("site.toml", (site.root / "site.toml").read_text(encoding="utf-8")
               + "\n[budget]\npage_kb = 20\n")
    site.article("a.md", "title: Bài A\ndate: 2023-03-02\n")
    result = site.build()
    home, article = result.page_weights
    assert [str(w) for w in result.warnings] == [
        "site.toml:8: warning: page over the weight budget: expected at most 20 KB (gzip, "
        f"first visit, without content images) for /, got {home.total / KB:.1f} KB",
        "site.toml:8: warning: page over the weight budget: expected at most 20 KB (gzip, "
        f"first visit, without content images) for /tin-tuc/bai-a/, got "
        f"{article.total / KB:.1f} KB",
    ]
    site.write("site.toml", (site.root / "site.toml").read_text(encoding="utf-8")
               .replace("page_kb = 20", "page_kb = 100"))
    assert site.build().warnings == ()


def test_budget_must_be_a_positive_whole_number(site):
    site.write("site.toml", (site.root / "site.toml").read_text(encoding="utf-8")
               + "\n[budget]\npage_kb = 0\n")
    err = io.StringIO()
    assert main(["build", "--site", str(site.root)], stdout=io.StringIO(), stderr=err) == 1
    assert err.getvalue().splitlines()[0] == (
        "site.toml:8: wrong value for 'budget.page_kb': expected a whole number from 1 to "
        "100000, got 0")


# ---- Link check of the output ----

def test_link_check_finds_planted_broken_links_with_exact_messages(site):
    site.write("site.toml", (site.root / "site.toml").read_text(encoding="utf-8")
               .replace("https://xa.example.gov.vn/", "https://example.gov.vn/xa-thu/"))
    site.article("a.md", "title: Bài A\ndate: 2023-03-02\n")
    site.build()
    assert check_links(site.output, "https://example.gov.vn/xa-thu/") == []
    page = site.output / "tin-tuc" / "bai-a" / "index.html"
    lines = page.read_text(encoding="utf-8").splitlines()
    lines[-3:-3] = ['<p><a href="/xa-thu/khong-co/">x</a> <img src="../anh.jpg" alt="">',
                    '<a href="/khac/">y</a> <a href="https://example.gov.vn/xa-thu/tin-tuc/">z'
                    '</a> <a href="https://other.example/">w</a> <a href="#main-content">v</a>'
                    '</p>']
    page.write_text("\n".join(lines) + "\n", encoding="utf-8")
    not_found = site.output / "404.html"
    text = not_found.read_text(encoding="utf-8")
    main_start = text.index("<main")
    text = text[:main_start] + text[main_start:].replace('href="/xa-thu/tin-tuc/"',
                                                          'href="tin-tuc/"', 1)
    not_found.write_text(text, encoding="utf-8")
    relative_line = text.count("\n", 0, text.index('href="tin-tuc/"')) + 1
    line = len(lines) - 5  # the first planted line is line + 1
    found = [str(d) for d in check_links(site.output, "https://example.gov.vn/xa-thu/")]
    assert found == [
        f"404.html:{relative_line}: relative link 'tin-tuc/' on the not-found page: expected an "
        "absolute path (the page is served for missing paths at any depth), got a path "
        "relative to the page",
        f"tin-tuc/bai-a/index.html:{line + 1}: broken link '/xa-thu/khong-co/': expected a file "
        "in the output, got nothing",
        f"tin-tuc/bai-a/index.html:{line + 1}: broken link '../anh.jpg': expected a file in the "
        "output, got nothing",
        f"tin-tuc/bai-a/index.html:{line + 2}: broken link '/khac/': expected a path under the "
        "base path /xa-thu/, got '/khac/'",
    ]

    out, err = io.StringIO(), io.StringIO()
    code = main(["build", "--site", str(site.root), "--now", NOW, "--check-links", "--clean"],
                stdout=out, stderr=err)
    assert code == 0
    assert out.getvalue().splitlines()[-1] == "Link check: 0 broken links in " + \
        _shown(site.output)


def _shown(path: Path) -> str:
    shown = os.path.relpath(path)
    return (str(path) if shown.startswith("..") else shown) + "."


# ---- The nginx example ----

def _nginx() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").is_file()
                                      else None)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("nginx is not installed: apt-get install -y nginx-light")
        pytest.skip("nginx is not installed (apt-get install -y nginx-light)")
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen) -> None:
    """Until nginx accepts connections (or has exited: then its log tells why)."""
    while process.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            select.select([], [], [], 0.05)
    raise AssertionError(f"nginx exited with status {process.returncode}")


@contextmanager
def _ratings_stub() -> Iterator[int]:
    class Handler(SimpleHTTPRequestHandler):
        def do_GET(self) -> None:
            body = f'{{"path": "{self.path}"}}'.encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_nginx_example_serves_the_output_with_headers_caching_404_and_api(site, tmp_path):
    nginx = _nginx()
    site.article("a.md", "title: Bài A\ndate: 2023-03-02\n")
    site.build(precompress=True)
    port = _free_port()
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    with _ratings_stub() as api_port:
        server = (REPO / "deploy" / "nginx.conf").read_text(encoding="utf-8")
        server = server.replace("listen 80;", f"listen 127.0.0.1:{port};").replace(
            "listen [::]:80;", "").replace("root /var/www/portal/_site;",
                                           f"root {site.output};").replace(
            "http://127.0.0.1:8001", f"http://127.0.0.1:{api_port}")
        (prefix / "site.conf").write_text(server, encoding="utf-8")
        (prefix / "nginx.conf").write_text(
            ("user root;\n" if os.geteuid() == 0 else "")
            + f"pid {prefix}/nginx.pid;\nerror_log {prefix}/error.log;\nevents {{}}\n"
            f"http {{ include /etc/nginx/mime.types; access_log off;\n"
            + "".join(f"{kind}_temp_path {prefix}/{kind};\n"
                      for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
            + f"include {prefix}/site.conf; }}\n", encoding="utf-8")
        checked = subprocess.run([nginx, "-t", "-p", str(prefix), "-c",
                                  str(prefix / "nginx.conf")], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        process = subprocess.Popen([nginx, "-p", str(prefix), "-c", str(prefix / "nginx.conf"),
                                    "-g", "daemon off;"], stderr=subprocess.DEVNULL)
        try:
            _wait_for_port(port, process)
            origin = f"http://127.0.0.1:{port}"
            home = _get(origin + "/")
            api = _get(origin + "/api/ratings/?page=1")
            css = next(n for n in site.files() if re.fullmatch(r"static/css/portal\.\w+\.css", n))
            asset = _get(f"{origin}/{css}", {"Accept-Encoding": "gzip"})
            missing = _get(origin + "/tin-tuc/khong-co/")
        finally:
            process.terminate()
            process.wait(timeout=10)
    assert home.status == 200 and home.body == (site.output / "index.html").read_bytes()
    assert home.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert home.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert home.headers["X-Content-Type-Options"] == "nosniff"
    assert home.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert home.headers["Cache-Control"] == "public, max-age=300"
    assert asset.status == 200
    assert asset.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert asset.headers["Content-Encoding"] == "gzip"
    assert asset.body == (site.output / (css + ".gz")).read_bytes()
    assert missing.status == 404 and missing.body == (site.output / "404.html").read_bytes()
    assert missing.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert (api.status, api.body) == (200, b'{"path": "/api/ratings/?page=1"}')
    assert "Cache-Control" not in api.headers


@dataclass(frozen=True)
class _Response:
    status: int
    headers: dict[str, str]
    body: bytes


def _get(url: str, headers: dict[str, str] | None = None) -> _Response:
    request = Request(url, headers=headers or {})
    try:
        with urlopen(request, timeout=10) as response:
            return _Response(response.status, dict(response.headers), response.read())
    except HTTPError as exc:
        return _Response(exc.code, dict(exc.headers), exc.read())


def test_ci_example_builds_with_real_options_and_keeps_the_cache_dir(site):
    workflow = yaml.safe_load((REPO / "deploy" / "github-actions.yml").read_text("utf-8"))
    steps = workflow["jobs"]["build"]["steps"]
    command = next(s["run"] for s in steps if s.get("name") == "Build")
    argv = shlex.split(command.replace("${{ steps.pages.outputs.base_url }}",
                                       "https://owner.github.io/portal"))
    assert argv[:2] == ["python", "build.py"]
    args = make_parser().parse_args(argv[2:])
    assert (args.command, args.base_url, args.check_links) == (
        "build", "https://owner.github.io/portal/", True)
    cache = next(s for s in steps if s.get("uses", "").startswith("actions/cache@"))
    assert cache["with"]["path"] == load_config(site.root).cache_dir.name == ".portal-cache"
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-pages"))
    assert upload["with"]["path"] == load_config(site.root).output_dir.name == "_site"
