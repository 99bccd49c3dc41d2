"""Hostile input: every text an editor or a file can give either comes out inert and escaped, or
fails the build with a ``path:line`` message; nothing runs, nothing is read from outside the
site folder or written outside the output folder, and the command never shows a traceback.

``tests/hostile/site`` is a site whose every editable text is an attack; the small cases below
are files that must be refused. The command runs in a subprocess, as an editor runs it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import unicodedata
import xml.etree.ElementTree as ET
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
HOSTILE = Path(__file__).resolve().parent / "hostile" / "site"
NOW = "2024-01-01 08:00"
TITLE = "Tiêu đề </title><script>alert('t')</script> \"ngoặc\" {{ 7*7 }} {% if 1 %}x{% endif %}"
SITE_TITLE = "Cổng <script>alert('title')</script> \"quoted\" {{ 7*7 }}"
ANALYTICS = "https://stats.example.gov.vn/t.js?\"></script><script>alert(14)</script>"
ACTIVE_TAGS = {"script", "iframe", "frame", "object", "embed", "applet", "base", "svg", "math",
               "style", "template"}
"""Elements that run or load something; the theme's own search form and buttons are checked
through their attributes like every other element."""
SCRIPT_SCHEMES = ("javascript:", "vbscript:", "data:")
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "srcset"}


def run_build(site_dir: Path, *extra: str) -> subprocess.CompletedProcess:
    """The command line in its own process, as an editor runs it."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("SOURCE_DATE_EPOCH", None)
    return subprocess.run([sys.executable, str(REPO / "build.py"), "build", "--site",
                           str(site_dir), "--now", NOW, *extra],
                          capture_output=True, text=True, env=env, timeout=120, check=False)


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> Path:
    """The hostile site built once; its output folder."""
    root = tmp_path_factory.mktemp("hostile") / "site"
    shutil.copytree(HOSTILE, root)
    sources = _tree(root.parent)
    done = run_build(root)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    # Nothing was written beside the sources: only the output folder and the build cache.
    assert {path: data for path, data in _tree(root.parent).items()
            if not path.startswith(("site/_site/", "site/.portal-cache/"))} == sources
    return root / "_site"


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


class _Document(HTMLParser):
    """Elements, attributes, script bodies and visible text, as a browser would read them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.text: list[str] = []
        self._in_script: dict[str, str | None] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        if tag == "script":
            self._in_script = attributes

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = None

    def handle_data(self, data):
        if self._in_script is not None:
            self.scripts.append((self._in_script, data))
        else:
            self.text.append(data)


def read_document(path: Path) -> _Document:
    document = _Document()
    document.feed(path.read_text(encoding="utf-8"))
    document.close()
    return document


def is_script_url(value: str) -> bool:
    """What a browser would run: schemes compared after dropping controls and whitespace."""
    squeezed = "".join(ch for ch in unescape(value) if ch > " " and ch != "\x7f").lower()
    return squeezed.startswith(SCRIPT_SCHEMES)


def test_hostile_site_builds_into_inert_html(hostile_site):
    pages = sorted(hostile_site.rglob("*.html"))
    assert len(pages) >= 10
    for page in pages:
        document = read_document(page)
        where = page.relative_to(hostile_site).as_posix()
        for tag, attributes in document.elements:
            if tag == "script":
                source = attributes.get("src")
                assert source is None or source.startswith("/static/js/") or \
                    source == ANALYTICS, (where, attributes)
                continue
            if tag == "link":
                assert attributes.get("rel") in {"stylesheet", "alternate", "canonical", "icon",
                                                 "preload", "manifest", "search"}, where
            elif tag == "meta":
                assert attributes.get("http-equiv") is None, (where, attributes)
            else:
                assert tag not in ACTIVE_TAGS, (where, tag, attributes)
            for name, value in attributes.items():
                assert not name.startswith("on"), (where, tag, name)
                assert name != "style", (where, tag)
                if name in URL_ATTRIBUTES:
                    assert not is_script_url(value or ""), (where, tag, name, value)
        for attributes, body in document.scripts:
            # Only JSON-LD is inline, and it cannot close its own element.
            assert attributes.get("type") == "application/ld+json", (where, attributes)
            assert "<" not in body, where
            json.loads(body)


def test_hostile_article_texts_are_shown_literally(hostile_site):
    [article] = (hostile_site / "tin-tuc").glob("*/index.html")
    document = read_document(article)
    text = "".join(document.text)
    for literal in (TITLE, "Đoạn mở đầu {{ 7*7 }} và {% raw %} cùng  ${x}.",
                    "<img src=x onerror=alert('author')>", "Chuyên mục <script>alert(12)</script>",
                    "Tỉnh </script><script>alert(2)</script>", "{{ 7*7 }} {% for x in y %}",
                    "Ghi nguồn </footer><script>alert(7)</script>",
                    "Trang chủ <script>alert('label')</script> \"{{ 7*7 }}\""):
        assert literal in text, literal
    # The editor's Jinja-looking text is not evaluated: 7*7 stays 7*7. Raw script elements of
    # the body are removed with their content, not escaped.
    assert "49" not in text
    assert "<script>alert('body')" not in text
    [ld] = [json.loads(body) for _, body in document.scripts]
    assert ld["headline"] == TITLE
    alts = {attributes.get("alt") for tag, attributes in document.elements if tag == "img"}
    assert "Ảnh \" onerror=\"alert('alt')\" <script>alert('alt2')</script>" in alts
    assert "Kế hoạch \"số 1\" <img src=x onerror=alert('attachment')>" in text
    page = read_document(hostile_site / "gioi-thieu" / "index.html")
    assert "Trang giới thiệu {{ config }} {{ 7*7 }}." in "".join(page.text)


def test_hostile_titles_are_escaped_in_feeds_and_sitemap(hostile_site):
    rss = ET.parse(hostile_site / "rss.xml").getroot()
    assert rss.findtext("channel/title") == SITE_TITLE
    assert [item.findtext("title") for item in rss.iter("item")] == [TITLE]
    atom = ET.parse(hostile_site / "atom.xml").getroot()
    namespace = {"a": "http://www.w3.org/2005/Atom"}
    assert [entry.findtext("a:title", namespaces=namespace)
            for entry in atom.findall("a:entry", namespace)] == [TITLE]
    # Well-formed whatever the slugs were made from, and byte for byte what ElementTree
    # writes for the same tree (the sitemap is written as text for speed).
    sitemap = (hostile_site / "sitemap.xml").read_bytes()
    tree = ET.fromstring(sitemap)
    ET.register_namespace("", "http://www.sitemaps.org/schemas/sitemap/0.9")
    ET.indent(tree)
    assert ET.tostring(tree, encoding="utf-8", xml_declaration=True) + b"\n" == sitemap


def test_hostile_campaign_texts_are_escaped(hostile_site):
    [campaign] = [p for p in (hostile_site / "chuyen-de").glob("*/index.html")]
    document = read_document(campaign)
    text = "".join(document.text)
    for literal in ("<b>Loại</b> \"kind\" <script>alert('kind')</script>",
                    "<i onmouseover=alert('org')>UBND</i>",
                    "Tham gia \"ngay\" <script>alert('cta')</script>",
                    "Kế hoạch <script>alert('doc')</script>", "01/KH-<b>UBND</b>"):
        assert literal in text, literal
    banner = read_document(hostile_site / "index.html")
    assert "Biểu ngữ </div><script>alert('banner')</script>" in "".join(banner.text)


def test_hostile_body_keeps_its_safe_links_and_drops_script_urls(hostile_site):
    [article] = (hostile_site / "tin-tuc").glob("*/index.html")
    links = {attributes.get("href") for tag, attributes in read_document(article).elements
             if tag == "a"}
    assert "https://example.gov.vn/%22onmouseover=%22alert(1)" in links or \
        'https://example.gov.vn/"onmouseover="alert(1)' in links
    assert not any(is_script_url(link or "") for link in links)


def _site(tmp_path: Path, files: dict[str, bytes | str]) -> Path:
    root = tmp_path / "site"
    (root / "content" / "articles").mkdir(parents=True)
    (root / "site.toml").write_text('title = "T"\nbase_url = "https://x.example.gov.vn/"\n'
                                    '[body]\nname = "B"\n', encoding="utf-8")
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            data = data.encode("utf-8")
        path.write_bytes(data)
    return root


ARTICLE = "---\ntitle: A\ndate: 2023-01-01\n{front}---\n{body}\n"
REFUSED = {
    "slug-traversal": (ARTICLE.format(front="slug: ../../etc/passwd\n", body="x"),
                       "content/articles/a.md:4: wrong value for 'slug': expected a lowercase URL "
                       "segment of a-z, 0-9 and '-' (like 'lien-he'), got '../../etc/passwd'"),
    "image-traversal": (ARTICLE.format(front="image: ../../../../etc/passwd\nimage_alt: x\n",
                                       body="x"),
                        "content/articles/a.md:4: image outside the content folder: expected a "
                        "path inside content/, got '../../../../etc/passwd'"),
    "image-absolute": (ARTICLE.format(front="image: /etc/passwd\nimage_alt: x\n", body="x"),
                       "content/articles/a.md:4: wrong value for 'image': expected a relative "
                       "path to a file beside the Markdown file, like anh-bia.jpg, got "
                       "'/etc/passwd'"),
    "image-windows": (ARTICLE.format(front="image: 'C:\\Windows\\win.ini'\nimage_alt: x\n",
                                     body="x"),
                      "content/articles/a.md:4: wrong value for 'image': expected a relative "
                      "path to a file beside the Markdown file, like anh-bia.jpg, got "
                      "'C:\\\\Windows\\\\win.ini'"),
    "attachment-traversal": (
        ARTICLE.format(front="attachments:\n  - file: ../../../../etc/passwd\n    title: x\n",
                       body="x"),
        "content/articles/a.md:5: attachment outside the content folder: expected a path "
        "inside content/, got '../../../../etc/passwd'"),
    "markdown-image-traversal": (
        ARTICLE.format(front="", body="Ảnh ![x](../../../../etc/hostname.txt)."),
        "content/articles/a.md:5: linked file outside the content folder: expected a path "
        "inside content/, got '../../../../etc/hostname.txt'"),
    "markdown-link-windows": (
        ARTICLE.format(front="", body="Tệp [z](..\\\\..\\\\x.pdf)."),
        "content/articles/a.md:5: missing linked file: expected a file at "
        "content/articles/..\\..\\x.pdf, got no such file"),
    "nul-byte": (ARTICLE.format(front="author: A\x00B\n", body="x"),
                 "content/articles/a.md:4: invalid character: expected text without NUL "
                 "characters, got a NUL character"),
    "invalid-utf8": (ARTICLE.format(front="", body="x").encode() + b"\xff\xfe\n",
                     "content/articles/a.md:6: invalid text encoding: expected UTF-8 text, got "
                     "byte 0xff that is not UTF-8"),
    "enormous": (ARTICLE.format(front="", body="Đoạn văn. " * 600_000),
                 "content/articles/a.md:1: file too large: expected at most 5 MB, got 8.0 MB"),
    "nested-lists": (ARTICLE.format(front="", body="".join(
        "    " * level + "- mục\n" for level in range(300))),
        "content/articles/a.md:106: content nested too deeply: expected at most 100 levels of "
        "lists, quotes, brackets or emphasis marks, got 101 levels"),
    "nested-quotes": (ARTICLE.format(front="", body="> " * 5000 + "x"),
                      "content/articles/a.md:5: content nested too deeply: expected at most 100 "
                      "levels of lists, quotes, brackets or emphasis marks, got 5000 levels"),
    "nested-brackets": (ARTICLE.format(front="", body="[" * 20000 + "x" + "](y)" * 20000),
                        "content/articles/a.md:5: content nested too deeply: expected at most "
                        "100 levels of lists, quotes, brackets or emphasis marks, got 20000 "
                        "levels"),
    "nested-emphasis": (ARTICLE.format(front="", body="*" * 5000 + "x" + "*" * 5000),
                        "content/articles/a.md:5: content nested too deeply: expected at most "
                        "100 levels of lists, quotes, brackets or emphasis marks, got 5000 "
                        "levels"),
    "nested-yaml": (ARTICLE.format(front="tags: " + "[" * 5000 + "]" * 5000 + "\n", body="x"),
                    "content/articles/a.md:4: invalid front matter: expected values nested at "
                    "most a few hundred levels deep, got deeper nesting"),
    "yaml-python-tag": (ARTICLE.format(front="author: !!python/object/apply:os.system [id]\n",
                                       body="x"),
                        "content/articles/a.md:4: invalid front matter: expected valid YAML "
                        "'key: value' lines, got a YAML syntax error (could not determine a "
                        "constructor for the tag 'tag:yaml.org,2002:python/object/apply:os."
                        "system')"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_hostile_file_is_refused_with_its_line(case, tmp_path):
    text, message = REFUSED[case]
    root = _site(tmp_path, {"content/articles/a.md": text})
    done = run_build(root)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        message, "Build failed: 1 error, 0 warnings; the output folder was not changed."]
    assert not (root / "_site").exists()


def test_campaign_document_outside_content_is_refused(tmp_path):
    root = _site(tmp_path, {"content/campaigns/c.md": (
        "---\ntitle: C\nstart: 2023-01-01\nend: 2023-12-31\ndocuments:\n"
        "  - title: Kế hoạch\n    file: ../../../../etc/passwd\n---\nx\n")})
    done = run_build(root)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[0] == (
        "content/campaigns/c.md:7: document outside the content folder: expected a path "
        "inside content/, got '../../../../etc/passwd'")


def test_symlinks_out_of_content_are_never_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("MẬT-KHẨU-BÍ-MẬT", encoding="utf-8")
    root = _site(tmp_path, {"content/articles/a.md": ARTICLE.format(front="", body="x")})
    (root / "content" / "articles" / "secret.md").symlink_to(secret)
    (root / "content" / "articles" / "anh.txt").symlink_to(secret)
    done = run_build(root)
    assert done.returncode == 0, done.stderr
    published = b"".join(p.read_bytes() for p in (root / "_site").rglob("*") if p.is_file())
    assert "MẬT-KHẨU".encode() not in published
    (root / "content" / "articles" / "a.md").write_text(
        ARTICLE.format(front="", body="[tệp](anh.txt)"), encoding="utf-8")
    done = run_build(root)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[0] == (
        "content/articles/a.md:5: linked file outside the content folder: expected a path "
        "inside content/, got 'anh.txt'")


def test_symlinked_folders_are_not_entered_or_read_as_sources(tmp_path):
    """A symlink to a folder is skipped, even one named like a source or holding a bundle."""
    root = _site(tmp_path, {"content/articles/a.md": ARTICLE.format(front="", body="x"),
                            "content/pages/goi/index.md": "---\ntitle: Gói\n---\n\nNội dung.\n"})
    (root / "content" / "articles" / "thu-muc.md").symlink_to(root / "content" / "pages",
                                                             target_is_directory=True)
    (root / "content" / "articles" / "goi").symlink_to(root / "content" / "pages" / "goi",
                                                       target_is_directory=True)
    done = run_build(root)
    assert done.returncode == 0, done.stderr
    pages = sorted(p.relative_to(root / "_site").as_posix()
                   for p in (root / "_site").glob("*/*/index.html"))
    assert [p for p in pages if p.startswith("tin-tuc/") and "trang-" not in p] == [
        "tin-tuc/a/index.html"]


def test_a_kind_folder_linked_from_outside_content_is_not_read(tmp_path):
    outside = tmp_path / "ngoai" / "articles"
    outside.mkdir(parents=True)
    (outside / "mat.md").write_text(ARTICLE.format(front="", body="MẬT-KHẨU"), encoding="utf-8")
    root = _site(tmp_path, {"content/pages/gioi-thieu.md": "---\ntitle: Giới thiệu\n---\n\nx\n"})
    (root / "content" / "articles").rmdir()
    (root / "content" / "articles").symlink_to(outside, target_is_directory=True)
    done = run_build(root)
    assert done.returncode == 0, done.stderr
    published = b"".join(p.read_bytes() for p in (root / "_site").rglob("*") if p.is_file())
    assert "MẬT-KHẨU".encode() not in published


def test_links_from_a_kind_folder_linked_inside_content_resolve_as_the_file_system_says(
        tmp_path):
    """``content/articles`` a link to ``content/kho/tin``: a source's folder is then not its
    real folder, and ``../pages/`` from it climbs where the real folder's parent leads
    (``content/kho/pages/``, which does not exist), not where the text seems to lead."""
    root = _site(tmp_path, {
        "content/kho/tin/a.md": ARTICLE.format(front="", body="[gioi thieu](../pages/gt.md)"),
        "content/pages/gt.md": "---\ntitle: Giới thiệu\n---\n\nx\n"})
    (root / "content" / "articles").rmdir()
    (root / "content" / "articles").symlink_to(root / "content" / "kho" / "tin",
                                               target_is_directory=True)
    done = run_build(root)
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == (
        "content/articles/a.md:5: link to a missing file: expected a Markdown file of this "
        "site, got '../pages/gt.md'")


def test_bom_crlf_and_nfd_text_build_as_nfc(tmp_path):
    text = ("\ufeff---\r\ntitle: \"" + unicodedata.normalize("NFD", "Tiếng Việt đầy đủ")
            + "\"\r\ndate: 2023-01-01\r\ntags: [Chuyển đổi số]\r\n---\r\n\r\nĐoạn\r\nmột.\r\n")
    root = _site(tmp_path, {"content/articles/a.md": text})
    done = run_build(root)
    assert done.returncode == 0, done.stderr
    page = root / "_site" / "tin-tuc" / "tieng-viet-day-du" / "index.html"
    html = page.read_text(encoding="utf-8")
    assert ">Tiếng Việt đầy đủ</h1>" in html
    assert unicodedata.normalize("NFD", "Tiếng") not in html
    assert "\r" not in html and "\ufeff" not in html
    assert (root / "_site" / "the" / "chuyen-doi-so" / "index.html").is_file()


def test_output_folder_cannot_be_redirected_through_a_symlink(tmp_path):
    """A symlink planted inside the output folder is replaced, never written through."""
    root = _site(tmp_path, {"content/articles/a.md": ARTICLE.format(front="", body="x")})
    assert run_build(root).returncode == 0
    page = root / "_site" / "tin-tuc" / "a" / "index.html"
    for planted in ("tin-tuc", "tin-tuc/a"):  # the section's folder, then the page's own
        outside = tmp_path / f"outside-{planted.replace('/', '-')}"
        (outside / "a").mkdir(parents=True)  # where a write through the link would land
        for old in (outside / "a" / "index.html", outside / "index.html"):
            old.write_text("cũ", encoding="utf-8")
        shutil.rmtree(root / "_site" / planted)
        (root / "_site" / planted).symlink_to(outside, target_is_directory=True)
        (root / "content" / "articles" / "a.md").write_text(
            ARTICLE.format(front="", body=f"x {planted}"), encoding="utf-8")
        done = run_build(root)
        assert done.returncode == 0, done.stderr
        assert sorted(p.relative_to(outside).as_posix() for p in outside.rglob("*")) == [
            "a", "a/index.html", "index.html"]
        assert {p.read_text(encoding="utf-8") for p in outside.rglob("*.html")} == {"cũ"}
        assert not (root / "_site" / planted).is_symlink()
        assert f"x {planted}" in page.read_text(encoding="utf-8")


@pytest.mark.browser
def test_hostile_pages_run_no_injected_script(browser, tmp_path):
    """End to end: the hostile article in Chromium opens no dialog and logs no error (an
    injected inline script would also be refused by the policy, which logs one)."""
    from browser import serve

    root = tmp_path / "site"
    shutil.copytree(HOSTILE, root)
    config = (root / "site.toml").read_text(encoding="utf-8")
    # The external monitoring script would be refused by the test server's policy: leave it out.
    (root / "site.toml").write_text(config.split("[analytics]")[0], encoding="utf-8")
    assert run_build(root).returncode == 0
    [article] = (root / "_site" / "tin-tuc").glob("*/index.html")
    path = article.parent.relative_to(root / "_site").as_posix()
    context = browser.new_context()
    page = context.new_page()
    dialogs, errors = [], []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    # The body's harmless relative image "x" (its handler removed) is simply not found.
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" and not message.text.startswith("Failed to load resource")
            else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        with serve(root / "_site") as url:
            for target in (f"{url}{path}/", f"{url}", f"{url}chuyen-de/chien-dich/"):
                page.goto(target, wait_until="load")
                page.get_by_role("heading", level=1).first.wait_for()
    finally:
        context.close()
    assert dialogs == []
    assert errors == []


CONFIG = 'title = "T"\nbase_url = "https://x.example.gov.vn/"\n{extra}[body]\nname = "B"\n'
REFUSED_CONFIG = {
    "output-absolute": ('output_dir = "/etc"\n',
                        "site.toml:3: wrong value for 'output_dir': expected a folder name "
                        "inside the site folder, like _site, got '/etc'"),
    "output-parent": ('output_dir = "public/../../www"\n',
                      "site.toml:3: wrong value for 'output_dir': expected a folder name inside "
                      "the site folder, like _site, got 'public/../../www'"),
    "cache-windows": ("cache_dir = 'C:\\cache'\n",
                      "site.toml:3: wrong value for 'cache_dir': expected a folder name inside "
                      "the site folder, like _site, got 'C:\\\\cache'"),
    "menu-script-url": ('[[menu]]\nlabel = "x"\nurl = " JavaScript:alert(1)"\n',
                        "site.toml:5: wrong value for 'menu[0].url': expected a URL (https://…), "
                        "a site path (/lien-he/) or mailto:/tel:, got 'JavaScript:alert(1)'"),
    "analytics-http": ('[analytics]\nscript = "http://stats.example.vn/t.js"\n',
                       "site.toml:4: wrong value for 'analytics.script': expected an https URL "
                       "of a script, got 'http://stats.example.vn/t.js'"),
}


@pytest.mark.parametrize("case", sorted(REFUSED_CONFIG))
def test_hostile_site_toml_is_refused_with_its_line(case, tmp_path):
    """The build deletes what it did not write in its output folder: site.toml can never aim
    it (or the cache) outside the site folder, nor publish a script URL."""
    extra, message = REFUSED_CONFIG[case]
    root = _site(tmp_path, {"content/articles/a.md": ARTICLE.format(front="", body="x")})
    (root / "site.toml").write_text(CONFIG.format(extra=extra), encoding="utf-8")
    done = run_build(root)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        message, "Build failed: 1 error, 0 warnings; the output folder was not changed."]
