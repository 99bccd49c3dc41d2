"""Planning: every file the build will produce, with what it shows, before anything is rendered.

The plan is plain data. Rendering and writing only follow it, so a collision between two
producers (a page whose slug is ``tin-tuc``, say) is found here, before the output is touched.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from portal.errors import Diagnostic, error
from portal.model import Article, Listing, Site
from portal.ratings.settings import PUBLISHED_FILE

SEARCH_FOLDER = "pagefind"
SEARCH_GENERAL_SHARD = "chung"
"""The search shard's name when a site has no articles, only campaigns and pages."""
RELATED_COUNT = 5
RELATED_WINDOW = 12
OTHER_COUNT = 5
HOME_LATEST = 8
HOME_FEATURED = 5
HOME_PER_CATEGORY = 4
HOME_ALBUMS = 6
ALBUM_PAGE_SIZE = 12


@dataclass(frozen=True)
class Pagination:
    number: int
    total: int
    urls: tuple[str, ...]

    @property
    def previous_url(self) -> str | None:
        return self.urls[self.number - 2] if self.number > 1 else None

    @property
    def next_url(self) -> str | None:
        return self.urls[self.number] if self.number < self.total else None

    @property
    def window(self) -> list[int | None]:
        """Page numbers to link: the first, the last, and two on each side of the current one;
        ``None`` marks a gap. A listing of a thousand pages gets a dozen links, not a thousand."""
        shown = sorted({1, self.total, *range(max(1, self.number - 2),
                                              min(self.total, self.number + 2) + 1)})
        result: list[int | None] = []
        for number in shown:
            if result and number - (result[-1] or 0) > 1:
                result.append(None)
            result.append(number)
        return result


@dataclass(frozen=True)
class Output:
    """One file of the output folder and how to produce it.

    ``kind`` is ``page`` (a template), ``feed-rss``, ``feed-atom``, ``feed-campaigns``,
    ``ics``, ``sitemap``, ``robots``, ``ratings-list`` or ``copy`` (a file published as it is,
    from ``source``).
    """

    path: str
    kind: str
    producer: str
    template: str | None = None
    context: dict[str, Any] = field(default_factory=dict)
    source: Path | None = None

    @property
    def url(self) -> str:
        """The site path readers see: ``tin-tuc/`` for ``tin-tuc/index.html``."""
        return self.path[: -len("index.html")] if self.path.endswith("index.html") else self.path


@dataclass(frozen=True)
class SearchShard:
    """Part of the search index: consecutive years of articles, or consecutive months of a
    year too large for one part (the newest part also holds campaigns and pages). Each part is
    a Pagefind bundle of its own, named after its first and last year (``2019-2022``) or month
    (``2023.01-2023.02``)."""

    name: str
    pages: int
    years: tuple[int, ...]
    """The whole years in this part."""
    months: tuple[tuple[int, int], ...] = ()
    """(year, month) of the months in this part, for years split by month."""


Unit = tuple[int, int | None]
"""A year (month None) or one month of a year: what a shard is made of."""


def search_shards(site: Site) -> list[SearchShard]:
    """Group years, oldest first, until a group holds ``[search] shard_articles`` articles;
    return the groups newest first. A year holding more articles than that is grouped by its
    months instead: a part stays near the size asked for (at 100,000 articles over ten years,
    whole years would make parts of 10,000 pages, each re-indexed by an edit).

    Grouping from the oldest year keeps the groups stable: new articles only ever change the
    newest group, so an edit re-indexes one group, not the whole archive.
    """
    size = site.config.search_shard_articles
    months: dict[tuple[int, int], int] = defaultdict(int)
    years: dict[int, int] = defaultdict(int)
    for article in site.articles:
        moment = article.date.moment
        months[moment.year, moment.month] += 1
        years[moment.year] += 1
    units: list[tuple[Unit, int]] = []
    for year in sorted(years):
        if years[year] > size:
            units += [((year, month), months[year, month]) for month in range(1, 13)
                      if (year, month) in months]
        else:
            units.append(((year, None), years[year]))
    groups: list[list[Unit]] = [[]]
    count = 0
    for unit, articles in units:
        if count >= size:
            groups.append([])
            count = 0
        groups[-1].append(unit)
        count += articles
    general = len(site.pages) + len(site.campaigns)
    shards = []
    for group in reversed(groups):
        pages = sum(years[y] if m is None else months[y, m] for y, m in group)
        name = (_unit_name(group[0]) + ("-" + _unit_name(group[-1]) if len(group) > 1 else "")
                if group else SEARCH_GENERAL_SHARD)
        if not shards:
            pages += general
        if pages:
            shards.append(SearchShard(name, pages, tuple(y for y, m in group if m is None),
                                      tuple((y, m) for y, m in group if m is not None)))
    return shards


def _unit_name(unit: Unit) -> str:
    year, month = unit
    return str(year) if month is None else f"{year}.{month:02d}"


def shard_names(shards: list[SearchShard]) -> Callable[[Output], str]:
    """Which shard a searchable output belongs to."""
    by_unit: dict[Unit, str] = {}
    for shard in shards:
        by_unit.update(((year, None), shard.name) for year in shard.years)
        by_unit.update((month, shard.name) for month in shard.months)
    newest = shards[0].name if shards else SEARCH_GENERAL_SHARD

    def name(output: Output) -> str:
        article = output.context.get("article")
        if article is None:
            return newest
        moment = article.date.moment
        return by_unit.get((moment.year, moment.month)) or by_unit[moment.year, None]

    return name


def page_path(url: str) -> str:
    return f"{url}index.html"


def paginate(base_url: str, items: Sequence[Any], size: int,
             segment: str) -> Iterator[tuple[Pagination, Sequence[Any]]]:
    """Split a listing into pages at ``base/``, ``base/trang-2/`` …; an empty listing still has
    its first page."""
    total = max(1, -(-len(items) // size))
    urls = tuple(base_url if n == 1 else f"{base_url}{segment}-{n}/" for n in range(1, total + 1))
    for number in range(1, total + 1):
        yield Pagination(number, total, urls), items[(number - 1) * size: number * size]


def plan_outputs(site: Site, static_files: list[tuple[str, Path]]) -> tuple[list[Output],
                                                                               list[Diagnostic]]:
    config = site.config
    outputs: list[Output] = []
    add = outputs.append

    add(Output("index.html", "page", "the home page", "home.html", _home_context(site)))
    outputs.extend(_listing_outputs(site, Listing(None, site.articles), config.urls.news + "/",
                                    "the news listing"))
    for listing in site.categories:
        assert listing.term is not None
        outputs.extend(_listing_outputs(site, listing, listing.term.url,
                                        f"the category '{listing.term.name}'"))
        for kind, name in (("feed-rss", "rss.xml"), ("feed-atom", "atom.xml")):
            add(Output(listing.term.url + name, kind, f"the feed of '{listing.term.name}'",
                       context={"listing": listing}))
    for listing in site.tags:
        assert listing.term is not None
        outputs.extend(_listing_outputs(site, listing, listing.term.url,
                                        f"the tag '{listing.term.name}'"))

    related = _related_index(site)
    for index, article in enumerate(site.articles):
        shown = {id(article), *(id(a) for a in related[index])}
        others = [a for a in site.articles[: OTHER_COUNT + len(shown)]
                  if id(a) not in shown][:OTHER_COUNT]
        context = {"article": article, "related": related[index], "others": others}
        if article.album and (album := site.album(article.album)):
            context["album"] = album  # the gallery block: its page changes with the album
        add(Output(page_path(article.url), "page", article.source, "article.html", context))
    if site.campaigns:
        campaigns_url = config.urls.campaigns + "/"
        add(Output(page_path(campaigns_url), "page", "the campaigns index", "campaigns.html"))
        add(Output(campaigns_url + "rss.xml", "feed-campaigns", "the campaigns feed"))
    for campaign in site.campaigns:
        for pagination, items in paginate(campaign.url, campaign.articles, config.page_size,
                                          config.urls.page):
            add(Output(page_path(pagination.urls[pagination.number - 1]), "page",
                       campaign.source, "campaign.html",
                       {"campaign": campaign, "items": items, "pagination": pagination}))
        add(Output(campaign.url + "lich.ics", "ics", campaign.source,
                   context={"campaign": campaign}))
    for page in site.pages:
        add(Output(page_path(page.url), "page", page.source, "page.html", {"page": page}))
    if site.albums:
        for pagination, albums in paginate(config.urls.albums + "/", site.albums,
                                           ALBUM_PAGE_SIZE, config.urls.page):
            add(Output(page_path(pagination.urls[pagination.number - 1]), "page",
                       "the albums index", "albums.html",
                       {"albums": albums, "pagination": pagination}))
    for album in site.albums:
        add(Output(page_path(album.url), "page", album.source, "album.html", {"album": album}))

    add(Output(page_path(config.urls.sitemap + "/"), "page", "the sitemap page",
               "sitemap.html", {"albums": site.albums}))
    add(Output(page_path(config.urls.search + "/"), "page", "the search page", "search.html",
               {"shards": search_shards(site)}))
    add(Output("404.html", "page", "the not-found page", "404.html", {}))
    root_listing = Listing(None, site.articles)
    add(Output("rss.xml", "feed-rss", "the site feed", context={"listing": root_listing}))
    add(Output("atom.xml", "feed-atom", "the site feed", context={"listing": root_listing}))
    add(Output("sitemap.xml", "sitemap", "the sitemap"))
    add(Output("robots.txt", "robots", "robots.txt"))
    if config.ratings_endpoint:
        add(Output(PUBLISHED_FILE, "ratings-list", "the articles the ratings service accepts"))
    for asset in site.assets:
        picture = site.picture(asset.url)
        # A processed image is published from the image cache: upright, without metadata.
        add(Output(asset.url, "copy", asset.source.as_posix(),
                   source=picture.file if picture else asset.source))
        for rendition in picture.renditions if picture else ():
            add(Output(rendition.url, "copy", asset.source.as_posix(), source=rendition.file))
    for path, source in static_files:
        add(Output(path, "copy", "the theme", source=source))
    return outputs, _check_collisions(outputs)


def _home_context(site: Site) -> dict[str, Any]:
    featured = [a for a in site.articles if a.featured][:HOME_FEATURED]
    shown = {id(a) for a in featured}  # by identity: comparing articles compares every field
    return {
        "featured": featured,
        "latest": list(islice((a for a in site.articles if id(a) not in shown), HOME_LATEST)),
        "category_blocks": [
            (c.term, c.articles[:HOME_PER_CATEGORY]) for c in site.categories if c.articles
        ],
        # The strip is a shared block; listing its albums here re-renders home when they change.
        "home_albums": site.home_albums[:HOME_ALBUMS],
    }


def _listing_outputs(site: Site, listing: Listing, base_url: str,
                     producer: str) -> Iterator[Output]:
    config = site.config
    for pagination, items in paginate(base_url, listing.articles, config.page_size,
                                      config.urls.page):
        yield Output(page_path(pagination.urls[pagination.number - 1]), "page", producer,
                     "listing.html", {"term": listing.term, "items": items,
                                      "pagination": pagination})


def _related_index(site: Site) -> list[list[Article]]:
    """Tin liên quan: articles sharing the most tags, then the same category; among equals,
    the closest in time.

    Candidates are the article's neighbours in time within each of its tag and category
    listings (a window on each side), never the whole site, so the cost stays linear at
    tens of thousands of articles and old news relates to news of its own period.
    """
    position = {id(a): i for i, a in enumerate(site.articles)}
    windows: list[tuple[tuple[Listing, ...], int]] = [(site.tags, 2), (site.categories, 1)]
    # Each article's windows: (a listing's members by position, the article's rank, weight).
    found: list[list[tuple[list[int], int, int]]] = [[] for _ in site.articles]
    for listings, weight in windows:
        for listing in listings:
            members = [position[id(a)] for a in listing.articles]
            for rank, index in enumerate(members):
                found[index].append((members, rank, weight))
    related = []
    for me, article_windows in enumerate(found):
        scores: Counter[int] = Counter()
        for members, rank, weight in article_windows:
            window = members[max(0, rank - RELATED_WINDOW): rank + RELATED_WINDOW + 1]
            for _ in range(weight):
                scores.update(window)  # counted in C: the windows overlap a lot
        scores.pop(me, None)
        if len(scores) > RELATED_COUNT:
            # Only candidates scoring at least the fifth best score can make the list.
            least = sorted(scores.values(), reverse=True)[RELATED_COUNT - 1]
            candidates = [i for i, score in scores.items() if score >= least]
        else:
            candidates = list(scores)
        candidates.sort(key=lambda i: (-scores[i], abs(i - me), i))
        related.append([site.articles[i] for i in candidates[:RELATED_COUNT]])
    return related


def _check_collisions(outputs: list[Output]) -> list[Diagnostic]:
    owners: dict[str, Output] = {}
    found = []
    for output in outputs:
        first = owners.setdefault(output.path, output)
        if first is not output:
            source = output.producer if output.producer.endswith(".md") else first.producer
            found.append(error(
                source if source.endswith(".md") else "site.toml", 1,
                f"two outputs would write {output.path}: {first.producer} and {output.producer}",
                "one producer per file", "both"))
    return found
