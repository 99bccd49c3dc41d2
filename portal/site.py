"""From parsed sources to the in-memory site: validation, publishing rules, URLs, taxonomies,
cross-links and Markdown bodies.

Publishing is relative to the build's ``now``: drafts and articles dated in the future are left
out. Two sources that would claim one URL are an error naming both, so an editor never loses a
page silently to a duplicate title.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from portal.albums import make_album
from portal.bodies import BodyStore, NoStore, SafeBody, make_bodies
from portal.campaigns import check_dates, make_campaign, sort_campaigns
from portal.config import SiteConfig
from portal.content_schema import ATTACHMENT_SCHEMA, SCHEMAS
from portal.discover import kind_folders_are_real
from portal.errors import Diagnostic, error, warning
from portal.links import Linker
from portal.markdown_render import (
    first_paragraph_text,
    plain_text,
)
from portal.model import Album, Article, Asset, Attachment, Campaign, Listing, Page, Site, Term
from portal.parse import ParsedSource
from portal.schedule import plan_schedule
from portal.schema import Context, Location, validate
from portal.vietnamese import collation_key, slugify

SUMMARY_MAX = 300


@dataclass(frozen=True)
class Entry:
    """One validated source with its URL, before its Markdown is rendered."""

    parsed: ParsedSource
    values: dict[str, Any]
    slug: str
    url: str
    published: bool
    reason: str

    @property
    def rel(self) -> str:
        return self.parsed.source.rel

    @property
    def kind(self) -> str:
        return self.parsed.source.kind


def build_site(config: SiteConfig, parsed: list[ParsedSource], now: datetime,
               include_drafts: bool = False,
               store: BodyStore | None = None) -> tuple[Site, list[Diagnostic]]:
    """Validate every source, decide what is published, and render bodies; collect all errors.

    ``store`` serves bodies from the build cache and converts the rest (see ``bodies.py``).
    """
    store = store or NoStore()
    diagnostics: list[Diagnostic] = []
    ctx = Context(zone=config.timezone)
    entries = [entry for p in parsed if (entry := _make_entry(config, p, ctx, now,
                                                              include_drafts, diagnostics))]
    published = [e for e in entries if e.published]
    diagnostics.extend(_check_unique_urls(published))
    diagnostics.extend(_check_references(published, "campaign", "the slug of a campaign",
                                         "files in content/campaigns/"))
    diagnostics.extend(_check_references(published, "album", "the name of an album",
                                         "folders in content/albums/"))
    categories = _category_terms(config, published, diagnostics)
    tags = _tag_terms(config, published)

    assets: dict[str, Asset] = {}
    # Source paths are already canonical: discover_sources walks the resolved site folder.
    by_path = {e.parsed.source.path: e for e in entries}
    content_dir = config.content_dir.resolve()
    canonical = kind_folders_are_real(config.site_dir.resolve())
    linkers = [Linker(config, entry, by_path, assets, diagnostics, content_dir, canonical)
               for entry in published]
    bodies = make_bodies(_Texts(published), [e.parsed.body_digest for e in published],
                         linkers, store, diagnostics)
    articles: list[Article] = []
    pages: list[Page] = []
    campaigns: list[Campaign] = []
    albums: list[Album] = []
    for entry, linker, body in zip(published, linkers, bodies, strict=True):
        if entry.kind == "article":
            articles.append(_make_article(entry, body, categories, tags, linker))
        elif entry.kind == "campaign":
            body_html = body.html
            summary = _shorten(entry.values["summary"] or first_paragraph_text(body_html))
            campaigns.append(make_campaign(entry, body_html, summary, linker, now, diagnostics))
        elif entry.kind == "album":
            summary = _shorten(entry.values["summary"] or first_paragraph_text(body.html))
            if album := make_album(entry, body.html, summary, linker, diagnostics):
                albums.append(album)
        else:
            pages.append(_make_page(config, entry, body.html))

    articles.sort(key=lambda a: (collation_key(a.title), a.source))
    articles.sort(key=lambda a: a.date.moment, reverse=True)  # the order of listed_before
    pages.sort(key=lambda p: (collation_key(p.title), p.source))
    albums.sort(key=lambda a: (collation_key(a.title), a.source))
    albums.sort(key=lambda a: a.date.moment, reverse=True)
    members: dict[str, list[Article]] = defaultdict(list)
    for article in articles:
        if article.campaign:
            members[article.campaign].append(article)
    campaigns = [replace(c, articles=tuple(members[c.slug])) for c in sort_campaigns(campaigns)]
    site = Site(
        config=config,
        now=now,
        articles=tuple(articles),
        pages=tuple(pages),
        categories=_listings(categories, articles, lambda a: [a.category] if a.category else [],
                             keep_empty={c.slug for c in categories.values()
                                         if _is_configured(config, c)}),
        tags=_listings(tags, articles, lambda a: list(a.tags), keep_empty=set(),
                       order=lambda t: collation_key(t.name)),
        campaigns=tuple(campaigns),
        assets=tuple(sorted(assets.values(), key=lambda a: a.url)),
        albums=tuple(albums),
        schedule=plan_schedule(
            [(e.values["date"].moment, e.rel, e.values["title"]) for e in entries
             if e.reason == "scheduled"], campaigns, now),
    )
    return site, diagnostics


@dataclass(frozen=True)
class _PublishedItem:
    """What a link to another item needs of it (see ``Linker``)."""

    rel: str
    url: str
    published: bool = True
    reason: str = ""


class _ItemsBySource(Mapping[Path, _PublishedItem]):
    """The published items by the path of their source, as a ``Linker`` looks them up, made
    only for the paths asked for: the one or two links of an edited body do not need ten
    thousand path objects."""

    def __init__(self, site_dir: Path, urls: dict[str, str]):
        self._prefix = f"{site_dir}{os.sep}"
        self._urls = urls  # source (relative to the site folder) → URL

    def _source(self, path: object) -> str | None:
        text = str(path)
        return text[len(self._prefix):] if text.startswith(self._prefix) else None

    def __getitem__(self, path: Path) -> _PublishedItem:
        source = self._source(path)
        if source is None or source not in self._urls:
            raise KeyError(path)
        return _PublishedItem(source, self._urls[source])

    def __iter__(self) -> Iterator[Path]:
        return (Path(self._prefix + source) for source in self._urls)

    def __len__(self) -> int:
        return len(self._urls)


def listed_before(first: Article, second: Article) -> bool:
    """Whether ``first`` comes before ``second`` in every listing: newest first, then by
    title (Vietnamese collation), then by source file (the two sorts in :func:`build_site`)."""
    if first.date.moment != second.date.moment:
        return first.date.moment > second.date.moment
    return (collation_key(first.title), first.source) < (collation_key(second.title),
                                                          second.source)


def remake_article(site: Site, parsed: ParsedSource, include_drafts: bool = False,
                   store: BodyStore | None = None) -> Article | None:
    """One edited article, made exactly as :func:`build_site` makes it, against the site of
    the last build; ``None`` whenever the edit needs the whole build instead (any finding, a
    link to an unpublished item, a newly referenced file, a new category or tag).

    This is what lets a live preview show a body edit without rebuilding the whole model.
    """
    config = site.config
    diagnostics: list[Diagnostic] = []
    entry = _make_entry(config, parsed, Context(zone=config.timezone), site.now,
                        include_drafts, diagnostics)
    if entry is None or diagnostics or not entry.published or entry.kind != "article":
        return None
    by_path = _ItemsBySource(config.site_dir.resolve(), {
        item.source: item.url for group in (site.articles, site.pages, site.campaigns)
        for item in group})
    assets = {asset.url: asset for asset in site.assets}
    known_assets = len(assets)
    linker = Linker(config, entry, by_path, assets, diagnostics,  # type: ignore[arg-type]
                    config.content_dir.resolve(), kind_folders_are_real(config.site_dir.resolve()))
    body = make_bodies([parsed.body], [parsed.body_digest], [linker],
                       store or NoStore(), diagnostics)[0]
    categories = {listing.term.slug: listing.term for listing in site.categories}
    tags = {listing.term.slug: listing.term for listing in site.tags}
    article = _make_article(
        entry, body,
        {n: categories[slugify(n)] for n in [entry.values["category"]] if n
         and slugify(n) in categories},
        {n: tags[slugify(n)] for n in entry.values["tags"] if slugify(n) in tags}, linker)
    if diagnostics or len(assets) != known_assets:
        return None
    return article


class _Texts(Sequence[str]):
    """The Markdown texts of entries, unpacked one at a time when read."""

    def __init__(self, entries: list[Entry]):
        self.entries = entries

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, index):  # type: ignore[override]
        return self.entries[index].parsed.body


def _make_entry(config: SiteConfig, parsed: ParsedSource, ctx: Context, now: datetime,
                include_drafts: bool, diagnostics: list[Diagnostic]) -> Entry | None:
    source = parsed.source
    result = validate(parsed.meta, SCHEMAS[source.kind], Location(source.rel, parsed.line_of),
                      ctx)
    diagnostics.extend(result.diagnostics)
    if result.diagnostics:
        return None
    values = result.values
    if source.kind == "campaign":
        date_errors = check_dates(source.rel, values, parsed.line_of)
        diagnostics.extend(date_errors)
        if date_errors:
            return None
    slug = values["slug"] or (slugify(values["title"]) if source.kind == "article"
                              else slugify(source.stem))
    if not slug:
        slug = slugify(source.stem)
    if not slug:
        diagnostics.append(error(source.rel, parsed.line_of("title"), "cannot make a URL",
                                 "a title or file name with letters or digits, or a 'slug' key",
                                 repr(values["title"])))
        return None
    if source.kind == "article":
        url = f"{config.urls.news}/{slug}/"
        future = values["date"].moment > now
    elif source.kind == "campaign":
        url = f"{config.urls.campaigns}/{slug}/"
        future = False
    elif source.kind == "album":
        url = f"{config.urls.albums}/{slug}/"
        future = values["date"].moment > now
    else:
        url = f"{slug}/"
        future = False
    reason = "draft" if values["draft"] and not include_drafts else \
        "scheduled" if future else ""
    return Entry(parsed, values, slug, url, published=not reason, reason=reason)


def _check_unique_urls(entries: list[Entry]) -> list[Diagnostic]:
    owners: dict[str, Entry] = {}
    found = []
    for entry in entries:
        if (first := owners.setdefault(entry.url, entry)) is not entry:
            found.append(error(
                entry.rel, entry.parsed.line_of("slug" if entry.values["slug"] else "title"),
                f"URL /{entry.url} is also produced by {first.rel}",
                "a unique title or 'slug'", f"'{entry.slug}' for both",
            ))
    return found


def _check_references(entries: list[Entry], kind: str, expected_name: str,
                      where: str) -> list[Diagnostic]:
    """``<kind>:`` of an article (``campaign``, ``album``) names a published item of that
    kind; every article naming another one is an error."""
    known = sorted(e.slug for e in entries if e.kind == kind)
    expected = ("one of " + ", ".join(f"'{slug}'" for slug in known) if known
                else expected_name) + f" ({where})"
    return [
        error(e.rel, e.parsed.line_of(kind), f"unknown {kind}", expected, repr(e.values[kind]))
        for e in entries
        if e.kind == "article" and e.values.get(kind) and e.values[kind] not in known
    ]


def _is_configured(config: SiteConfig, term: Term) -> bool:
    return any(c.name == term.name for c in config.categories)


def _category_terms(config: SiteConfig, entries: list[Entry],
                    diagnostics: list[Diagnostic]) -> dict[str, Term]:
    """Category name → term. With ``[[categories]]`` configured, other names are typos."""
    terms: dict[str, Term] = {}
    by_slug: dict[str, Term] = {}
    for item in config.categories:
        slug = item.slug or slugify(item.name)
        term = Term(item.name, slug, f"{config.urls.category}/{slug}/", item.description)
        terms[item.name] = by_slug[slug] = term
    for entry in entries:
        name = entry.values.get("category")
        if entry.kind != "article" or not name or name in terms:
            continue
        slug = slugify(name)
        if slug in by_slug:
            terms[name] = by_slug[slug]
        elif config.categories:
            diagnostics.append(error(
                entry.rel, entry.parsed.line_of("category"), "unknown category",
                "one of " + ", ".join(f"'{c.name}'" for c in config.categories)
                + " (the [[categories]] of site.toml)", repr(name)))
        elif slug:
            terms[name] = by_slug[slug] = Term(name, slug, f"{config.urls.category}/{slug}/")
    return terms


def _tag_terms(config: SiteConfig, entries: list[Entry]) -> dict[str, Term]:
    """Tag name → term; spellings that slug alike ("Nông thôn mới", "nông thôn mới") merge
    under the most used spelling."""
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    slug_of = cache(slugify)  # thousands of mentions of a few dozen names
    for entry in entries:
        for name in entry.values.get("tags") or ():
            if slug := slug_of(name):
                spellings[slug][name] += 1
    terms = {}
    for slug, counts in spellings.items():
        best = min(counts, key=lambda n: (-counts[n], collation_key(n), n))
        term = Term(best, slug, f"{config.urls.tag}/{slug}/")
        for name in counts:
            terms[name] = term
    return terms


def _listings(terms: dict[str, Term], articles: list[Article], terms_of, keep_empty: set[str],
              order=None) -> tuple[Listing, ...]:
    members: dict[str, list[Article]] = defaultdict(list)
    for article in articles:
        for term in terms_of(article):
            members[term.slug].append(article)
    unique = {t.slug: t for t in terms.values()}
    chosen = [t for t in unique.values() if t.slug in members or t.slug in keep_empty]
    if order:
        chosen.sort(key=order)
    return tuple(Listing(t, tuple(members.get(t.slug, ()))) for t in chosen)


def _make_article(entry: Entry, body: SafeBody, categories: dict[str, Term],
                  tags: dict[str, Term], linker: Linker) -> Article:
    values = entry.values
    lead_html = body.lead_html
    summary = values["summary"] or plain_text(lead_html) or first_paragraph_text(str(body.rest))
    image = None
    if values["image"]:
        image = linker.publish_file(values["image"], entry.parsed.line_of("image"), "image")
        if image and not values["image_alt"]:
            linker.diagnostics.append(warning(
                entry.rel, entry.parsed.line_of("image"),
                "image has no 'image_alt': readers who cannot see it get no description"))
    term_tags = tuple(dict.fromkeys(tags[name] for name in values["tags"] if name in tags))
    return Article(
        source=entry.rel,
        slug=entry.slug,
        url=entry.url,
        title=values["title"],
        date=values["date"],
        updated=values["updated"],
        author=values["author"],
        category=categories.get(values["category"]) if values["category"] else None,
        tags=term_tags,
        campaign=values["campaign"],
        summary=_shorten(summary),
        lead_html=lead_html,
        body_html=body.rest,
        image=image,
        image_alt=values["image_alt"],
        featured=values["featured"],
        draft=values["draft"],
        attachments=_attachments(entry, linker),
        album=values["album"],
    )


def _attachments(entry: Entry, linker: Linker) -> tuple[Attachment, ...]:
    found = []
    for index, item in enumerate(entry.values["attachments"]):
        where = Location(entry.rel, entry.parsed.line_of).nested(f"attachments[{index}].")
        result = validate(item, ATTACHMENT_SCHEMA, where, Context(linker.config.timezone))
        linker.diagnostics.extend(result.diagnostics)
        if not result.diagnostics and (attachment := linker.attachment(
                result.values["file"], result.values["title"],
                entry.parsed.line_of(f"attachments[{index}].file"), "attachment")):
            found.append(attachment)
    return tuple(found)


def _make_page(config: SiteConfig, entry: Entry, body_html: str) -> Page:
    values = entry.values
    return Page(
        source=entry.rel,
        slug=entry.slug,
        url=entry.url,
        title=values["title"],
        lang=values["lang"] or config.language,
        menu=values["menu"],
        summary=_shorten(values["summary"] or first_paragraph_text(body_html)),
        body_html=body_html,
        draft=values["draft"],
    )


def _shorten(text: str) -> str:
    if len(text) <= SUMMARY_MAX:
        return text
    cut = text[:SUMMARY_MAX].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"
