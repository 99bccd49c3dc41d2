"""The in-memory site: typed, frozen records that templates read and never change.

URLs here are site paths without the leading slash (``tin-tuc/slug/``); templates turn them into
links under the site's base path, so a site served from a sub-path needs no other change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path

from portal.config import SiteConfig
from portal.dates import Timestamp
from portal.packed import PackedHtml
from portal.ratings.scores import Score


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
    referenced_by: str = ""
    """The content file that first named it, and the line: where a bad image is reported."""
    line: int = 0


@dataclass(frozen=True)
class Rendition:
    """One responsive copy of a published image (``portal/images``)."""

    url: str
    width: int
    height: int
    format: str
    """``webp``, ``jpeg`` or ``png`` (the fallback of images with transparency)."""
    file: Path
    """Where the image cache keeps it."""


@dataclass(frozen=True)
class Picture:
    """A published image after processing: the full-size file (same URL as the source, its
    metadata stripped) and its responsive copies, with the sizes pages need to reserve."""

    url: str
    width: int
    height: int
    file: Path
    renditions: tuple[Rendition, ...]

    def srcset(self, kind: str) -> tuple[Rendition, ...]:
        """The copies of one format (``webp`` or ``fallback``), narrowest first."""
        fallback = self.renditions[-1].format if self.renditions else ""
        wanted = fallback if kind == "fallback" else kind
        return tuple(r for r in self.renditions if r.format == wanted)

    def height_at(self, width: int) -> int:
        return max(1, round(self.height * width / self.width))


@dataclass(frozen=True)
class Photo:
    """One photo of an album, in the album's order."""

    file: str
    url: str
    caption: str | None
    alt: str
    """The text alternative: ``alt``, else the caption, else a generated "Ảnh n" label."""


@dataclass(frozen=True)
class Album:
    source: str
    slug: str
    url: str
    title: str
    date: Timestamp
    summary: str
    description_html: str
    cover: Photo | None
    home: bool
    draft: bool
    photos: tuple[Photo, ...]


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
    body_html: PackedHtml
    """The body after the lead, kept compressed (templates render it as it is)."""
    image: str | None
    image_alt: str | None
    featured: bool
    draft: bool
    attachments: tuple[Attachment, ...]
    album: str | None = None
    """The slug of an album shown as a gallery under the body."""

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
class CampaignDocument:
    """A document of a campaign (kế hoạch, thể lệ…): number, issue date, optional file."""

    title: str
    number: str | None
    issued: Timestamp | None
    file: Attachment | None


@dataclass(frozen=True)
class CallToAction:
    label: str
    url: str
    external: bool


@dataclass(frozen=True)
class Campaign:
    """A time-boxed drive. ``status`` is relative to the build's now; pages carry the dates so
    a script can correct a stale badge in the reader's browser."""

    source: str
    slug: str
    url: str
    title: str
    kind: str | None
    organizer: str | None
    start: Timestamp
    end: Timestamp
    participants: tuple[str, ...]
    criteria: tuple[str, ...]
    banner: str | None
    cta: CallToAction | None
    documents: tuple[CampaignDocument, ...]
    image: str | None
    image_alt: str | None
    summary: str
    body_html: str
    status: str
    days_to_start: int
    days_to_end: int
    articles: tuple[Article, ...] = ()

    @property
    def end_exclusive(self) -> datetime:
        """The first moment after the campaign."""
        return self.end.end_exclusive


@dataclass(frozen=True)
class Listing:
    """A term (or the whole news) with the articles it shows, newest first."""

    term: Term | None
    articles: tuple[Article, ...]


@dataclass(frozen=True, order=True)
class ScheduledChange:
    """One future moment at which a rebuild changes the site, and why."""

    moment: datetime
    source: str
    """The content file (site-relative) whose date causes it."""
    reason: str


@dataclass(frozen=True)
class Site:
    config: SiteConfig
    now: datetime
    articles: tuple[Article, ...]
    pages: tuple[Page, ...]
    categories: tuple[Listing, ...]
    tags: tuple[Listing, ...]
    campaigns: tuple[Campaign, ...] = ()
    assets: tuple[Asset, ...] = field(default=())
    schedule: tuple[ScheduledChange, ...] = ()
    """Future moments at which a rebuild changes the site (see ``schedule.py``)."""
    ratings: Mapping[str, Score] = field(default_factory=dict)
    """Scores baked in from the ratings database, by article slug (``[ratings] bake``)."""
    albums: tuple[Album, ...] = ()
    """Newest first."""
    pictures: tuple[Picture, ...] = ()
    """Every published image after processing (filled in by the image stage)."""

    @property
    def home_albums(self) -> tuple[Album, ...]:
        return tuple(a for a in self.albums if a.home)

    def album(self, slug: str) -> Album | None:
        return next((a for a in self.albums if a.slug == slug), None)

    @cached_property
    def _pictures(self) -> dict[str, Picture]:
        return {p.url: p for p in self.pictures}

    def picture(self, url: str | None) -> Picture | None:
        """The processed image published at ``url``, if it is one."""
        return self._pictures.get(url) if url else None

    @property
    def active_campaigns(self) -> tuple[Campaign, ...]:
        return tuple(c for c in self.campaigns if c.status == "active")

    def campaign(self, slug: str) -> Campaign | None:
        return next((c for c in self.campaigns if c.slug == slug), None)

