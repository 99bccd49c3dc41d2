"""``check``: everything a careful editor wants to know before publishing, without deploying.

The site is built into a scratch folder inside the cache (never the deploy folder), so every
content error the build finds is found here too; then the sources are read again for what a
build tolerates but readers suffer from: links to pages or anchors that do not exist, images
without a text alternative, articles without a category, two articles with one title, image
files too heavy for phones on slow links, and (on request) external links that fail.

Findings are :class:`Diagnostic` values, ``path:line: message``; warnings are marked as such.
"""

from __future__ import annotations

import posixpath
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from portal.config import CHECK_FOLDER, load_config
from portal.discover import discover_sources
from portal.errors import BuildError, Diagnostic, warning
from portal.model import Site
from portal.parse import ParsedSource, read_source
from portal.pipeline import BuildOptions, build
from portal.vietnamese import format_size

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".avif", ".tif", ".tiff", ".bmp"}
MAX_IMAGE_BYTES = 2 * 1024 * 1024
"""Larger photo files are almost always straight from a camera: resize before publishing."""
EXTERNAL_TIMEOUT = 10.0
USER_AGENT = "portal-publisher link check"

_INLINE = re.compile(r"(!?)\[((?:[^\]\\]|\\.)*)\]\(\s*<?([^)\s>]+)>?(?:\s+[\"'(][^)]*)?\)")
_REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)")
_HTML_ATTR = re.compile(r"""<(a|img)\b[^>]*?\b(href|src)\s*=\s*["']([^"']+)["'][^>]*>""",
                        re.IGNORECASE)
_HTML_ALT = re.compile(r"""\balt\s*=\s*["']\s*\S""", re.IGNORECASE)
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")


@dataclass(frozen=True)
class CheckOptions:
    site_dir: Path
    now: str | None = None
    include_drafts: bool = False
    external: bool = False
    """Also request every external link (needs the network; slow)."""


@dataclass(frozen=True)
class Reference:
    """A link or image written in a source's Markdown, with its line."""

    source: str
    line: int
    target: str
    is_image: bool
    has_alt: bool


def check_site(options: CheckOptions,
               fetch: Callable[[str], str | None] | None = None) -> list[Diagnostic]:
    """Every finding about the site, errors first then warnings, each group by file and line.

    ``fetch`` requests one external URL and returns why it failed, or ``None`` (tests pass
    their own; the default uses the network).
    """
    site_dir = options.site_dir.resolve()
    config = load_config(site_dir)
    scratch = config.cache_dir / CHECK_FOLDER
    try:
        result = build(BuildOptions(site_dir=site_dir, now=options.now, output_dir=scratch,
                                    include_drafts=options.include_drafts, search=False,
                                    shortcut=False))
    except BuildError as exc:
        return _ordered(exc.diagnostics)
    findings = list(result.warnings)
    site = result.site
    sources = read_published(site_dir, {item.source for item in _items(site)})
    references = [ref for parsed in sources.values() for ref in read_references(parsed)]
    findings += check_internal_links(site, references, scratch)
    findings += check_images(site_dir, references)
    findings += check_articles(site, {rel: p.line_of("title") for rel, p in sources.items()})
    if options.external:
        findings += check_external_links(references, fetch or fetch_status)
    return _ordered(findings)


def read_published(site_dir: Path, published: set[str]) -> dict[str, ParsedSource]:
    """The published sources, parsed again for their text and key lines."""
    found = {}
    for source in discover_sources(site_dir):
        if source.rel in published:
            parsed, _ = read_source(source)
            if parsed is not None:
                found[source.rel] = parsed
    return found


def read_references(parsed: ParsedSource) -> Iterator[Reference]:
    """Links and images of a source's Markdown body (not inside code blocks)."""
    source = parsed.source
    fenced = False
    for offset, text in enumerate(parsed.body.splitlines()):
        if _FENCE.match(text):
            fenced = not fenced
        if fenced:
            continue
        line = parsed.body_line + offset
        for match in _INLINE.finditer(text):
            is_image = match.group(1) == "!"
            yield Reference(source.rel, line, match.group(3), is_image,
                            has_alt=bool(match.group(2).strip()))
        if match := _REFERENCE.match(text):
            yield Reference(source.rel, line, match.group(1), False, True)
        for match in _HTML_ATTR.finditer(text):
            is_image = match.group(1).lower() == "img"
            yield Reference(source.rel, line, match.group(3), is_image,
                            has_alt=bool(_HTML_ALT.search(match.group(0))))
    if parsed.meta.get("image"):
        yield Reference(source.rel, parsed.line_of("image"), str(parsed.meta["image"]),
                        True, True)


def check_internal_links(site: Site, references: list[Reference],
                         output: Path) -> list[Diagnostic]:
    """Site paths (``/tin-tuc/x/``) and anchors (``#muc-1``, ``bai.md#muc-1``) that lead
    nowhere in the built site. Links to missing files are already build errors."""
    url_of = {item.source: item.url for item in _items(site)}
    by_source = {Path(source): url for source, url in url_of.items()}
    found = []
    anchors = _AnchorIndex(output)
    for ref in references:
        parts = urlsplit(ref.target)
        if parts.scheme or parts.netloc or ref.is_image:
            continue
        path = unquote(parts.path)
        if not path:
            page = url_of[ref.source]
        elif path.endswith(".md"):
            target = (Path(ref.source).parent / path)
            page = by_source.get(Path(posixpath.normpath(target.as_posix())))
            if page is None:
                continue  # a missing Markdown file is a build error already
        elif path.startswith("/"):
            page = path.lstrip("/")
            if not anchors.exists(page):
                found.append(warning(ref.source, ref.line,
                                     f"broken link '{ref.target}': no page at /{page} "
                                     "in this site"))
                continue
        else:
            continue
        if parts.fragment and not anchors.has(page, unquote(parts.fragment)):
            found.append(warning(ref.source, ref.line,
                                 f"broken anchor '{ref.target}': no element with "
                                 f"id '{unquote(parts.fragment)}' on /{page}"))
    return found


def check_images(site_dir: Path, references: list[Reference]) -> list[Diagnostic]:
    """Images without a text alternative, and image files too heavy to publish as they are."""
    found = []
    for ref in references:
        if not ref.is_image:
            continue
        if not ref.has_alt:
            found.append(warning(ref.source, ref.line,
                                 f"image '{ref.target}' has no text alternative: write what "
                                 "it shows between the brackets, ![like this](photo.jpg)"))
        parts = urlsplit(ref.target)
        if parts.scheme or parts.netloc or Path(parts.path).suffix.lower() not in IMAGE_SUFFIXES:
            continue
        file = (site_dir / ref.source).parent / unquote(parts.path)
        if file.is_file() and (size := file.stat().st_size) > MAX_IMAGE_BYTES:
            found.append(warning(ref.source, ref.line,
                                 f"image '{ref.target}' is {format_size(size)}: expected at "
                                 f"most {format_size(MAX_IMAGE_BYTES)}; resize it before "
                                 "publishing"))
    return found


def check_articles(site: Site, title_lines: dict[str, int]) -> list[Diagnostic]:
    """Articles readers cannot find by section, and titles they cannot tell apart."""
    found = []
    first_with: dict[str, str] = {}
    for article in sorted(site.articles, key=lambda a: a.source):
        if article.category is None:
            found.append(warning(article.source, title_lines.get(article.source, 1),
                                 "article has no 'category': it appears in no section of "
                                 "the portal; add one"))
        key = " ".join(article.title.casefold().split())
        if (first := first_with.setdefault(key, article.source)) != article.source:
            found.append(warning(article.source, title_lines.get(article.source, 1),
                                 f"same title as {first}: readers cannot tell them apart in "
                                 "listings and search"))
    return found


def check_external_links(references: list[Reference],
                         fetch: Callable[[str], str | None]) -> list[Diagnostic]:
    """Request each distinct external URL once, a few at a time."""
    urls = sorted({r.target for r in references
                   if urlsplit(r.target).scheme in ("http", "https")})
    with ThreadPoolExecutor(max_workers=8) as pool:
        failures = dict(zip(urls, pool.map(fetch, urls), strict=True))
    return [warning(r.source, r.line, f"external link '{r.target}' failed: {failures[r.target]}")
            for r in references if failures.get(r.target)]


def fetch_status(url: str) -> str | None:
    """Why ``url`` fails, or ``None``: HEAD first, GET when a server refuses HEAD."""
    for method in ("HEAD", "GET"):
        request = urllib.request.Request(url, method=method,
                                         headers={"User-Agent": USER_AGENT})
        try:
            with urllib.request.urlopen(request, timeout=EXTERNAL_TIMEOUT):
                return None
        except urllib.error.HTTPError as exc:
            if method == "HEAD" and exc.code in (403, 405, 501):
                continue
            return f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            return f"no answer ({reason})"
    return None


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("id", "name") and value:
                self.ids.add(value)


class _AnchorIndex:
    """The ids of built pages, read once each."""

    def __init__(self, output: Path):
        self.output = output
        self.ids: dict[str, set[str]] = {}

    def _file(self, page: str) -> Path:
        file = self.output / page
        return file / "index.html" if page == "" or page.endswith("/") or file.is_dir() \
            else file

    def exists(self, page: str) -> bool:
        return self._file(page).is_file()

    def has(self, page: str, fragment: str) -> bool:
        if page not in self.ids:
            parser = _Ids()
            file = self._file(page)
            if file.suffix == ".html" and file.is_file():
                parser.feed(file.read_text(encoding="utf-8"))
            self.ids[page] = parser.ids
        return fragment in self.ids[page]


def _items(site: Site) -> Iterable:
    return (*site.articles, *site.pages, *site.campaigns)


def _ordered(findings: Iterable[Diagnostic]) -> list[Diagnostic]:
    return sorted(findings, key=lambda d: (not d.is_error, d.path, d.line, d.message))
