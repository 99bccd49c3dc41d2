"""The in-memory site: typed, frozen records that templates read and never change.

URLs here are site paths without the leading slash (``tin-tuc/slug/``); templates turn them into
links under the site's base path, so a site served from a sub-path needs no other change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from portal.config import SiteConfig
from portal.dates import Timestamp


@dataclass(frozen=True)
class Term:
    """A category or a tag."""

    name: str
    slug: str
    url: str
    description: str | None = None


@dataclass(frozen=True)
class Attachment:
    title: str
    url: str
    kind: str
    size: int


@dataclass(frozen=True)
class Asset:
    """A file from ``content/`` published as it is (an image, an attachment)."""

    source: Path
    url: str


@dataclass(frozen=True)
class Article:
    source: str
    slug: str
    url: str
    title: str
    date: Timestamp
    updated: Timestamp | None
    author: str | None
    category: Term | None
    tags: tuple[Term, ...]
    campaign: str | None
    summary: str
    lead_html: str
    body_html: str
    image: str | None
    image_alt: str | None
    featured: bool
    draft: bool
    attachments: tuple[Attachment, ...]

    @property
    def last_modified(self) -> Timestamp:
        return self.updated or self.date


@dataclass(frozen=True)
class Page:
    source: str
    slug: str
    url: str
    title: str
    lang: str
    menu: int | None
    summary: str
    body_html: str
    draft: bool


@dataclass(frozen=True)
class Listing:
    """A term (or the whole news) with the articles it shows, newest first."""

    term: Term | None
    articles: tuple[Article, ...]


@dataclass(frozen=True)
class Site:
    config: SiteConfig
    now: datetime
    articles: tuple[Article, ...]
    pages: tuple[Page, ...]
    categories: tuple[Listing, ...]
    tags: tuple[Listing, ...]
    assets: tuple[Asset, ...] = field(default=())

    def category_listing(self, slug: str) -> Listing | None:
        return next((c for c in self.categories if c.term and c.term.slug == slug), None)
