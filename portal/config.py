"""Loading and validating ``site.toml``: everything about the public body is configuration.

The stdlib ``tomllib`` gives no positions, so a small scanner maps each dotted key
(``contact.email``, ``menu[2].url``) to its line; errors then point where the editor must look.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from portal import schema
from portal.errors import BuildError, Diagnostic, error
from portal.labels import LABEL_KEYS
from portal.schema import Context, Field, FieldValueError, Location, expects, validate

CONFIG_FILE = "site.toml"
_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\"']+)\s*=")


@dataclass(frozen=True)
class MenuItem:
    label: str
    url: str
    weight: int


@dataclass(frozen=True)
class LinkItem:
    label: str
    url: str


@dataclass(frozen=True)
class CategoryConfig:
    name: str
    slug: str | None
    description: str | None


@dataclass(frozen=True)
class Body:
    """The public body that publishes the portal."""

    name: str
    parent: str | None
    emblem: str | None


@dataclass(frozen=True)
class Contact:
    address: str | None
    phone: str | None
    fax: str | None
    email: str | None
    editor_in_chief: str | None
    licence: str | None
    republication: str | None


@dataclass(frozen=True)
class UrlScheme:
    """Path segments of generated pages; Vietnamese by default, configurable per site."""

    news: str
    category: str
    tag: str
    page: str
    sitemap: str
    campaigns: str
    search: str
    albums: str = "album"


@dataclass(frozen=True)
class RatingsConfig:
    """``[ratings]`` beyond ``endpoint``: what the ratings service and the build's baking use."""

    database: Path
    """The SQLite database of votes (absolute; ``database`` is relative to the site folder)."""
    origin: str
    """The only origin allowed to vote (default: that of ``base_url``)."""
    rate_limit: int
    """Requests a minute one client address may make."""
    bake: bool
    """Write the current scores from ``database`` into article pages and listings."""


@dataclass(frozen=True)
class SiteConfig:
    site_dir: Path
    title: str
    description: str | None
    base_url: str
    language: str
    timezone: ZoneInfo
    page_size: int
    feed_size: int
    output_dir: Path
    cache_dir: Path
    body: Body
    contact: Contact
    menu: tuple[MenuItem, ...]
    links: tuple[LinkItem, ...]
    categories: tuple[CategoryConfig, ...]
    urls: UrlScheme
    labels: dict[str, dict[str, str]]
    ratings_endpoint: str | None
    analytics_script: str | None
    search_first_pages: int
    """How many articles a search covers before the reader asks for older years."""
    search_shard_articles: int
    """How many articles one part of the search index gathers (whole years, or the months of a
    year holding more)."""
    budget_page_kb: int | None = None
    """Page weight (KB, gzip, first visit) above which the build warns."""
    ratings: RatingsConfig | None = None
    """``[ratings]``: the service's database, origin and limits, and baking."""

    @property
    def base_path(self) -> str:
        """The sub-path the site is served under, always with slashes: "/" or "/xa-cho-gao/"."""
        return urlsplit(self.base_url).path or "/"

    @property
    def content_dir(self) -> Path:
        return self.site_dir / "content"


@expects("an absolute http(s) URL like https://example.gov.vn/")
def _base_url(value: Any, ctx: Context) -> str:
    result = schema.text(value, ctx)
    parts = urlsplit(result)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise FieldValueError(_base_url.expected, repr(result))
    return result if result.endswith("/") else result + "/"


@expects("an IANA time zone name like Asia/Ho_Chi_Minh")
def _timezone(value: Any, ctx: Context) -> ZoneInfo:
    name = schema.text(value, ctx)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise FieldValueError(_timezone.expected, repr(name)) from None


@expects("a URL (https://…), a site path (/lien-he/) or mailto:/tel:")
def _link(value: Any, ctx: Context) -> str:
    result = schema.text(value, ctx)
    scheme = urlsplit(result).scheme
    if scheme not in ("", "http", "https", "mailto", "tel") or (not scheme and
                                                                not result.startswith("/")):
        raise FieldValueError(_link.expected, repr(result))
    return result


@expects("an https URL of a script")
def _script_url(value: Any, ctx: Context) -> str:
    result = schema.text(value, ctx)
    if urlsplit(result).scheme != "https":
        raise FieldValueError(_script_url.expected, repr(result))
    return result


@expects("an origin like https://example.gov.vn (scheme and host, no path)")
def _origin(value: Any, ctx: Context) -> str:
    result = schema.text(value, ctx)
    parts = urlsplit(result)
    if parts.scheme not in ("http", "https") or not parts.netloc or \
            parts.path not in ("", "/") or parts.query or parts.fragment:
        raise FieldValueError(_origin.expected, repr(result))
    return f"{parts.scheme}://{parts.netloc}"


@expects("a file path relative to the site folder, like ratings.sqlite3")
def _database(value: Any, ctx: Context) -> str:
    return schema.text(value, ctx)


@expects("a folder name inside the site folder, like _site")
def _folder(value: Any, ctx: Context) -> str:
    """The build deletes what it did not write in its output folder: site.toml may not point
    it (or the cache) outside the site folder; only ``--output`` may."""
    result = schema.text(value, ctx)
    if result and (result.startswith(("/", "\\")) or "\\" in result or ":" in result
                   or ".." in result.split("/")):
        raise FieldValueError(_folder.expected, repr(result))
    return result


def _table(name: str) -> schema.Converter:
    return schema.table(f"a [{name}] table")


def _table_list(noun: str) -> schema.Converter:
    return schema.table_list(f"a list of {noun} tables ([[{noun}]])")


TOP_SCHEMA: dict[str, Field] = {
    "title": Field(schema.text, required=True),
    "description": Field(schema.text),
    "base_url": Field(_base_url, required=True),
    "language": Field(schema.one_of(("vi", "en")), default="vi"),
    "timezone": Field(_timezone, default=ZoneInfo("Asia/Ho_Chi_Minh")),
    "page_size": Field(schema.positive_integer(100), default=10),
    "feed_size": Field(schema.positive_integer(500), default=20),
    "output_dir": Field(_folder, default="_site"),
    "cache_dir": Field(_folder, default=".portal-cache"),
    "body": Field(_table("body"), required=True),
    "contact": Field(_table("contact"), default={}),
    "menu": Field(_table_list("menu"), default=[]),
    "links": Field(_table_list("links"), default=[]),
    "categories": Field(_table_list("categories"), default=[]),
    "urls": Field(_table("urls"), default={}),
    "labels": Field(_table("labels"), default={}),
    "ratings": Field(_table("ratings"), default={}),
    "analytics": Field(_table("analytics"), default={}),
    "search": Field(_table("search"), default={}),
    "budget": Field(_table("budget"), default={}),
}
BODY_SCHEMA = {"name": Field(schema.text, required=True), "parent": Field(schema.text),
               "emblem": Field(schema.text)}
CONTACT_SCHEMA = {key: Field(schema.text) for key in (
    "address", "phone", "fax", "email", "editor_in_chief", "licence", "republication")}
MENU_SCHEMA = {"label": Field(schema.text, required=True), "url": Field(_link, required=True),
               "weight": Field(schema.integer)}
LINK_SCHEMA = {"label": Field(schema.text, required=True), "url": Field(_link, required=True)}
CATEGORY_SCHEMA = {"name": Field(schema.text, required=True), "slug": Field(schema.slug),
                   "description": Field(schema.text)}
URL_DEFAULTS = {"news": "tin-tuc", "category": "chuyen-muc", "tag": "the", "page": "trang",
                "sitemap": "so-do-cong", "campaigns": "chuyen-de",
                "search": "tim-kiem", "albums": "album"}
URLS_SCHEMA = {key: Field(schema.slug, default=value) for key, value in URL_DEFAULTS.items()}
RATINGS_SCHEMA = {"endpoint": Field(_link),
                  "database": Field(_database, default="ratings.sqlite3"),
                  "origin": Field(_origin),
                  "rate_limit": Field(schema.positive_integer(100_000), default=60),
                  "bake": Field(schema.boolean, default=False)}
ANALYTICS_SCHEMA = {"script": Field(_script_url)}
SEARCH_SCHEMA = {"first_pages": Field(schema.positive_integer(1_000_000), default=1000),
                 "shard_articles": Field(schema.positive_integer(1_000_000), default=1000)}
BUDGET_SCHEMA = {"page_kb": Field(schema.positive_integer(100_000))}
LABELS_SCHEMA = {lang: Field(_table(f"labels.{lang}"), default={}) for lang in ("vi", "en")}
LABEL_SCHEMA = {key: Field(schema.text) for key in LABEL_KEYS}


def toml_line_finder(text: str) -> Callable[[str], int]:
    """Map dotted keys (``contact.email``, ``menu[1].url``) to 1-based lines of ``text``.

    Falls back to the closest enclosing table, then to line 1, so every message has a line.
    """
    lines: dict[str, int] = {}
    counters: dict[str, int] = {}
    current = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        if header := _HEADER.match(raw):
            name = header.group(2).replace('"', "").replace(" ", "")
            if header.group(1) == "[[":
                index = counters.get(name, 0)
                counters[name] = index + 1
                current = f"{name}[{index}]"
            else:
                current = name
            lines.setdefault(current, number)
        elif key := _KEY.match(raw):
            name = key.group(1).strip("\"'")
            lines.setdefault(f"{current}.{name}" if current else name, number)

    def line_of(key: str) -> int:
        while key:
            if key in lines:
                return lines[key]
            key = re.sub(r"(\.[^.\[\]]+|\[\d+\])$", "", key) if re.search(r"[.\[]", key) else ""
        return 1

    return line_of


def load_config(site_dir: Path, output_override: Path | None = None) -> SiteConfig:
    """Read and validate ``site.toml``; raise :class:`BuildError` with every problem found."""
    path = site_dir / CONFIG_FILE
    rel = CONFIG_FILE
    try:
        raw_text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise BuildError([error(rel, 0, "missing configuration file",
                                f"{CONFIG_FILE} in the site folder {site_dir}",
                                "no such file")]) from None
    except UnicodeDecodeError as exc:
        raise BuildError([error(rel, 1, "unreadable configuration file", "UTF-8 text",
                                f"a byte that is not UTF-8 at offset {exc.start}")]) from None
    try:
        data = tomllib.loads(raw_text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        line = int(match.group(1)) if match else 1
        problem = re.sub(r"\s*\(at line.*\)$", "", str(exc))
        raise BuildError([error(rel, line, "invalid TOML", "valid TOML syntax",
                                problem[0].lower() + problem[1:])]) from None

    ctx = Context(zone=ZoneInfo("Asia/Ho_Chi_Minh"))
    where = Location(rel, toml_line_finder(raw_text), noun="setting")
    diagnostics: list[Diagnostic] = []

    def check(data: Any, table_schema: dict[str, Field], at: Location) -> dict[str, Any]:
        result = validate(data, table_schema, at, ctx)
        diagnostics.extend(result.diagnostics)
        return result.values

    top = check(data, TOP_SCHEMA, where)
    body = check(top["body"], BODY_SCHEMA, where.nested("body.")) if top["body"] else {}
    contact = check(top["contact"], CONTACT_SCHEMA, where.nested("contact."))
    urls = check(top["urls"], URLS_SCHEMA, where.nested("urls."))
    ratings = check(top["ratings"], RATINGS_SCHEMA, where.nested("ratings."))
    analytics = check(top["analytics"], ANALYTICS_SCHEMA, where.nested("analytics."))
    search = check(top["search"], SEARCH_SCHEMA, where.nested("search."))
    budget = check(top["budget"], BUDGET_SCHEMA, where.nested("budget."))
    labels_raw = check(top["labels"], LABELS_SCHEMA, where.nested("labels."))
    labels = {lang: check(labels_raw[lang], LABEL_SCHEMA, where.nested(f"labels.{lang}."))
              for lang in ("vi", "en")}
    menu = [check(item, MENU_SCHEMA, where.nested(f"menu[{i}].")) for i, item in
            enumerate(top["menu"])]
    links = [check(item, LINK_SCHEMA, where.nested(f"links[{i}].")) for i, item in
             enumerate(top["links"])]
    categories = [check(item, CATEGORY_SCHEMA, where.nested(f"categories[{i}]."))
                  for i, item in enumerate(top["categories"])]

    output_dir = output_override or (site_dir / (top["output_dir"] or "_site"))
    cache_dir = site_dir / (top["cache_dir"] or ".portal-cache")
    diagnostics.extend(_check_output_dir(output_dir, site_dir, cache_dir, where,
                                         str(output_override or top["output_dir"])))
    if diagnostics:
        raise BuildError(diagnostics)

    return SiteConfig(
        site_dir=site_dir,
        title=top["title"],
        description=top["description"],
        base_url=top["base_url"],
        language=top["language"],
        timezone=top["timezone"],
        page_size=top["page_size"],
        feed_size=top["feed_size"],
        output_dir=output_dir.resolve(),
        cache_dir=cache_dir.resolve(),
        body=Body(**body),
        contact=Contact(**contact),
        menu=tuple(MenuItem(m["label"], m["url"], m["weight"] if m["weight"] is not None
                            else 10 * (i + 1)) for i, m in enumerate(menu)),
        links=tuple(LinkItem(**link) for link in links),
        categories=tuple(CategoryConfig(**c) for c in categories),
        urls=UrlScheme(**urls),
        labels={lang: {k: v for k, v in values.items() if v is not None}
                for lang, values in labels.items()},
        ratings_endpoint=ratings["endpoint"],
        analytics_script=analytics["script"],
        search_first_pages=search["first_pages"],
        search_shard_articles=search["shard_articles"],
        budget_page_kb=budget["page_kb"],
        ratings=RatingsConfig(
            database=(site_dir / ratings["database"]).resolve(),
            origin=ratings["origin"] or "{}://{}".format(*urlsplit(top["base_url"])[:2]),
            rate_limit=ratings["rate_limit"],
            bake=ratings["bake"]),
    )


PREVIEW_FOLDER = "preview"
"""The folder inside ``cache_dir`` that ``serve`` builds into."""
CHECK_FOLDER = "check"
"""The folder inside ``cache_dir`` that ``check`` builds into."""


def _check_output_dir(output_dir: Path, site_dir: Path, cache_dir: Path, where: Location,
                      shown: str) -> list[Diagnostic]:
    """The publisher deletes what it did not write in its output folder: never point it at
    the sources."""
    out = output_dir.resolve()
    site = site_dir.resolve()
    cache = cache_dir.resolve()
    protected = [site, cache,
                 *(site / name for name in ("content", "templates", "static", "portal"))]
    # The folders inside the cache the publisher may own: those of ``serve`` and ``check``.
    allowed = {site, cache} if out in (cache / PREVIEW_FOLDER, cache / CHECK_FOLDER) else {site}
    if any(out == p or p.is_relative_to(out) or (out.is_relative_to(p) and p not in allowed)
           for p in protected):
        return [error(where.path, where.line_of("output_dir"), "unsafe output folder",
                      "a folder of its own that holds no sources (like _site)", repr(shown))]
    return []
