"""Quick paths: an article's text edited, or what its cards show, nothing else.

These are by far the commonest changes while an editor writes, and the ones a full
incremental build handles worst at scale: the build still reads, validates and fingerprints
every item of a 10,000-article archive to learn that a few pages changed. Both the live
preview (which keeps the last build's model and plan in memory) and ``build`` (which saves
them with its snapshot: ``model_store.py``) swap the edited articles into that model instead.

- **Body edits** (:func:`plan_body_edits`): the new version differs from the old one only in
  its body (same front matter, same summary), so every card, listing, feed and sidebar that
  shows it stays byte-identical; only the article's page and the feeds carrying its body are
  rendered.
- **Card edits** (:func:`plan_card_edits`): the title, summary, lead, author or date of update
  changed, and with a title the URL (no ``slug``), but nothing that decides where the article
  is listed; every output whose context holds the article is re-rendered as its fingerprint
  says, and a moved page's old file and folder are removed.

Anything else (and any doubt: a finding, a new file, a link to an unpublished item, a body
linking to a URL that would move, an order that would change) answers ``None`` and the caller
runs the full build, which stays the reference: tests compare both.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from portal.bodies import BodyStore, SafeBody, linked_urls
from portal.cache import forget_outputs
from portal.discover import source_at
from portal.fingerprint import Fingerprints
from portal.model import Article, Campaign, Listing, Site
from portal.parse import ParsedSource, read_source
from portal.plan import Output, page_path
from portal.render import render_outputs
from portal.site import listed_before, remake_article
from portal.snapshot import structure_digest
from portal.write import remove_files, staging_for, write_output


@dataclass(frozen=True)
class PreviewState:
    """What the last build of the preview produced, kept between rebuilds."""

    site: Site
    outputs: tuple[Output, ...]
    output_dir: Path
    include_drafts: bool
    structure: dict[str, str] = dataclasses.field(default_factory=dict)
    """Each source's ``snapshot.structure_digest``: an edit of what cards show keeps it."""
    linked: frozenset[str] = frozenset()
    """Every URL the bodies link to, or more (``SavedModel.linked``)."""


@dataclass(frozen=True)
class QuickResult:
    state: PreviewState
    rendered: int
    """Files rendered: the changed articles' pages and the feeds that carry their bodies."""
    pages: int
    """Of which HTML pages."""


@dataclass(frozen=True)
class BodyEdits:
    """The model and plan with the edited articles swapped in, and what to render."""

    site: Site
    outputs: tuple[Output, ...]
    todo: list[Output]
    """The edited articles' pages and the feeds that carry their bodies."""
    linked: frozenset[str] = frozenset()
    """The URLs the edited bodies link to."""


@dataclass(frozen=True)
class CardEdits:
    """The model and plan with articles swapped in whose cards changed too (see
    :func:`plan_card_edits`)."""

    site: Site
    outputs: tuple[Output, ...]
    """Outputs whose context shows an edited article are new objects; the others are the
    last build's."""
    moved: dict[str, str]
    """Old page path → new page path of the articles whose URL changed."""
    linked: frozenset[str]
    """The URLs the edited bodies link to."""


SITE_WIDE_OUTPUTS = frozenset({"sitemap", "ratings-list"})
"""Outputs made from every article of the site rather than from their context: a new title
(a new URL) changes them though their context holds no edited article."""


def changed_by_cards(old: Output, new: Output) -> bool:
    """Whether card edits change an output: its context holds an edited article (``new`` is
    another object, see :func:`plan_card_edits`), or it is made from the whole site. Feeds
    show the articles of their listing only; a campaign's calendar and the campaigns feed
    show campaigns."""
    return new is not old or new.kind in SITE_WIDE_OUTPUTS


EDITABLE_FIELDS = frozenset({"title", "slug", "url", "summary", "author", "image_alt",
                             "updated", "lead_html", "body_html"})
"""What an edit handled by :func:`plan_card_edits` may change of an ``Article``: what cards
and the article's page show, and its URL (a title makes the slug when there is no ``slug``).
Everything else decides where the article is listed."""


class _Recording:
    """A body store that keeps the bodies the edited articles get: made now, or found in
    ``known`` (the build cache) for a text converted before (a title edit leaves the text as
    it was, an undone edit brings an earlier one back)."""

    def __init__(self, known: BodyStore | None = None) -> None:
        self.bodies: list[SafeBody] = []
        self._known = known

    def known(self, digests: Sequence[str]) -> list[SafeBody | None]:
        found = [None] * len(digests) if self._known is None else self._known.known(digests)
        self.bodies.extend(body for body in found if body is not None)
        return found

    def remember(self, digest: str, body: SafeBody) -> None:
        self.bodies.append(body)

    def linked(self) -> frozenset[str]:
        return frozenset(url for body in self.bodies for url in linked_urls(body))


def read_changed(site_dir: Path, changed: set[str]) -> dict[str, ParsedSource] | None:
    """The changed files, parsed; ``None`` when one is not a source or has any finding."""
    parsed = {}
    for rel in sorted(changed):
        source = source_at(site_dir, rel)
        item, found = read_source(source) if source else (None, ["not a source"])
        if item is None or found:
            return None
        parsed[rel] = item
    return parsed


def plan_body_edits(site: Site, outputs: tuple[Output, ...], changed: dict[str, ParsedSource],
                    include_drafts: bool, known: BodyStore | None = None) -> BodyEdits | None:
    """Swap the edited articles (``read_changed``) into the last build's model and plan, or
    ``None`` when any is not a published article whose front matter and summary stayed the
    same. ``known`` serves bodies converted before (the build cache)."""
    made = _Recording(known)
    remade = _remake(site, changed, include_drafts, made)
    if remade is None or any(dataclasses.replace(new, body_html=old.body_html,
                                                 lead_html=old.lead_html) != old
                             for old, new in remade):
        return None
    swaps = {id(old): new for old, new in remade}
    # The new articles everywhere (a later edit finds them by identity), but only the
    # outputs showing an article in full are rendered: its page and the feeds.
    new_outputs = tuple(_swap_everywhere(output, swaps) for output in outputs)
    todo = [new for old, new in zip(outputs, new_outputs, strict=True) if new is not old
            and (new.kind != "page" or id(old.context.get("article")) in swaps)]
    return BodyEdits(_swap_site(site, swaps), new_outputs, todo, made.linked())


def plan_card_edits(site: Site, outputs: tuple[Output, ...], changed: dict[str, ParsedSource],
                    include_drafts: bool, linked: frozenset[str],
                    known: BodyStore | None = None) -> CardEdits | None:
    """Swap edited articles into the last build's model and plan when each changed only what
    its cards and page show (:data:`EDITABLE_FIELDS`: a title, a summary…), or ``None``.

    The caller has checked that nothing else of their front matter changed (the snapshot's
    ``structure`` digests): categories, tags, campaign, date, featured… are as they were, so
    every listing holds the same articles. What could still differ from a full build is
    checked here: the order (articles of the same moment are sorted by title), and for an
    article whose URL changed, another output at the new URL or a body linking to the old
    one (from the last build, or remade now: its links were resolved against the last
    build's URLs). Which pages changed is then for the fingerprints to say, as in a full
    build. ``known`` serves bodies converted before (the build cache)."""
    made = _Recording(known)
    remade = _remake(site, changed, include_drafts, made)
    if remade is None:
        return None
    taken = {output.path for output in outputs}
    base = site.config.base_path
    targets = {url.split("#", 1)[0] for url in linked}
    swaps: dict[int, Article] = {}
    moved: dict[str, str] = {}
    vacated: set[str] = set()
    for old, new in remade:
        if any(getattr(new, name) != getattr(old, name) for name in _FIXED):
            return None
        if new.url != old.url:
            path = page_path(new.url)
            if path in taken or path in moved.values() or base + old.url in targets:
                return None
            moved[page_path(old.url)] = path
            vacated.add(base + old.url)
        swaps[id(old)] = new
    if any(url.split("#", 1)[0] in vacated for url in made.linked()):
        return None  # a body remade now links to a URL that moves: resolved to the old one
    articles = _swap(site.articles, swaps)
    if not all(listed_before(articles[i], articles[i + 1]) for i in range(len(articles) - 1)
               if id(site.articles[i]) in swaps or id(site.articles[i + 1]) in swaps):
        return None  # the title moved it among articles of the same moment
    new_outputs = tuple(_swap_everywhere(output, swaps) for output in outputs)
    return CardEdits(_swap_site(site, swaps), new_outputs, moved, made.linked())


def _remake(site: Site, changed: dict[str, ParsedSource], include_drafts: bool,
            made: _Recording) -> list[tuple[Article, Article]] | None:
    """(last build's article, the article made from its new version) for each changed file,
    or ``None`` when one is not a published article of the last build or has a finding."""
    by_source = {article.source: article for article in site.articles}
    if not changed or not changed.keys() <= by_source.keys():
        return None
    remade = []
    for rel, parsed in sorted(changed.items()):
        new = remake_article(site, parsed, include_drafts, made)
        if new is None:
            return None
        remade.append((by_source[rel], new))
    return remade


_FIXED = tuple(field.name for field in dataclasses.fields(Article)
               if field.name not in EDITABLE_FIELDS)


def _swap_everywhere(output: Output, swaps: dict[int, Article]) -> Output:
    """The output with the edited articles wherever its context holds them (an edited
    article's own page moves to its new URL); the same object when it holds none."""
    context = output.context or {}
    swapped = {key: _swap_deep(value, swaps) for key, value in context.items()}
    if all(swapped[key] is value for key, value in context.items()):
        return output
    own = context.get("article")
    path = output.path
    if output.template == "article.html" and isinstance(own, Article) and id(own) in swaps:
        path = page_path(swaps[id(own)].url)
    return dataclasses.replace(output, path=path, context=swapped)


def _swap_deep(value: object, swaps: dict[int, Article]) -> object:
    if isinstance(value, (list, tuple)):
        if set(map(type, value)) <= {Article} and swaps.keys().isdisjoint(map(id, value)):
            return value  # the usual list of articles, none edited: two passes in C
        items = [_swap_deep(item, swaps) for item in value]
        if all(a is b for a, b in zip(items, value, strict=True)):
            return value
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, dict):
        swapped = {key: _swap_deep(item, swaps) for key, item in value.items()}
        return value if all(swapped[k] is v for k, v in value.items()) else swapped
    return _swap_value(value, swaps)


def rebuild_edits(state: PreviewState, changed: set[str]) -> QuickResult | None:
    """Render only what edits of articles' texts (:func:`plan_body_edits`) or of what their
    cards show (:func:`plan_card_edits`) change, or ``None`` for a full build."""
    parsed = read_changed(state.site.config.site_dir.resolve(), changed)
    if parsed is None:
        return None
    edits = plan_body_edits(state.site, state.outputs, parsed, state.include_drafts)
    moved: dict[str, str] = {}
    html_urls: list[str] = []
    if edits is not None:
        site, outputs, todo, linked = edits.site, edits.outputs, edits.todo, edits.linked
    else:
        if any(structure_digest(item.meta) != state.structure.get(rel)
               for rel, item in parsed.items()):
            return None
        cards = plan_card_edits(state.site, state.outputs, parsed, state.include_drafts,
                                state.linked)
        if cards is None or Fingerprints(cards.site, "").site_digest != \
                Fingerprints(state.site, "").site_digest:
            return None  # what every page shows changed (the sidebar): the full build
        site, outputs, moved, linked = cards.site, cards.outputs, cards.moved, cards.linked
        # The pages and feeds showing an edited article, and what the whole site makes.
        todo = [new for old, new in zip(state.outputs, outputs, strict=True)
                if new.kind != "copy" and changed_by_cards(old, new)]
        html_urls = [o.url for o in outputs if o.kind == "page" and o.path != "404.html"]
    config = state.site.config
    # Before writing: a kill in between must not leave a trusted stale fingerprint.
    forget_outputs(config.cache_dir, str(config.output_dir),
                   [o.path for o in todo] + list(moved))
    staging = staging_for(state.output_dir)
    report = render_outputs(site, todo, html_urls, state.output_dir, staging)
    write_output(state.output_dir, staging, report.staged, {}, [], prune=False)
    remove_files(state.output_dir, list(moved))
    structure = {**state.structure,
                 **{rel: structure_digest(item.meta) for rel, item in parsed.items()}}
    return QuickResult(dataclasses.replace(state, site=site, outputs=outputs,
                                           structure=structure, linked=state.linked | linked),
                       len(todo), sum(1 for output in todo if output.kind == "page"))


def _swap(items: tuple[Article, ...], swaps: dict[int, Article]) -> tuple[Article, ...]:
    return tuple(swaps.get(id(item), item) for item in items)


def _swap_site(site: Site, swaps: dict[int, Article]) -> Site:
    def listings(group: tuple[Listing, ...]) -> tuple[Listing, ...]:
        return tuple(Listing(listing.term, _swap(listing.articles, swaps)) for listing in group)

    def campaign(item: Campaign) -> Campaign:
        return dataclasses.replace(item, articles=_swap(item.articles, swaps))

    return dataclasses.replace(site, articles=_swap(site.articles, swaps),
                               categories=listings(site.categories), tags=listings(site.tags),
                               campaigns=tuple(campaign(c) for c in site.campaigns))


def _swap_value(value: object, swaps: dict[int, Article]) -> object:
    if isinstance(value, Article):
        return swaps.get(id(value), value)
    if isinstance(value, Listing):
        articles = _swap(value.articles, swaps)
        return value if articles == value.articles and all(
            a is b for a, b in zip(articles, value.articles, strict=True)) \
            else Listing(value.term, articles)
    if isinstance(value, Campaign):
        articles = _swap(value.articles, swaps)
        return value if all(a is b for a, b in zip(articles, value.articles, strict=True)) \
            else dataclasses.replace(value, articles=articles)
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, Article) for v in value):
        items = _swap(tuple(value), swaps)
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    return value
