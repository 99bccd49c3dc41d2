"""RSS 2.0, Atom, sitemap.xml and robots.txt, written with ElementTree so escaping is exact.

Feed timestamps come from the articles (the newest one), never from the clock: two builds of
the same sources give byte-identical feeds.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from email.utils import format_datetime
from html import escape

from portal.model import Listing, Site

ATOM_NS = "http://www.w3.org/2005/Atom"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def _serialise(root: ET.Element) -> bytes:
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _feed_title(site: Site, listing: Listing) -> str:
    return f"{listing.term.name} – {site.config.title}" if listing.term else site.config.title


def render_rss(site: Site, listing: Listing, path: str) -> bytes:
    config = site.config
    articles = listing.articles[: config.feed_size]
    rss = ET.Element("rss", {"version": "2.0", "xmlns:atom": ATOM_NS})
    channel = _sub(rss, "channel")
    _sub(channel, "title", _feed_title(site, listing))
    _sub(channel, "link", config.base_url + (listing.term.url if listing.term else ""))
    _sub(channel, "description", (listing.term.description if listing.term else None)
         or config.description or config.title)
    _sub(channel, "language", config.language)
    _sub(channel, "atom:link", href=config.base_url + path, rel="self",
         type="application/rss+xml")
    if articles:
        _sub(channel, "lastBuildDate", format_datetime(articles[0].last_modified.moment))
    for article in articles:
        item = _sub(channel, "item")
        link = config.base_url + article.url
        _sub(item, "title", article.title)
        _sub(item, "link", link)
        _sub(item, "guid", link, isPermaLink="true")
        _sub(item, "pubDate", format_datetime(article.date.moment))
        _sub(item, "description", article.summary)
        if article.author:
            _sub(item, "dc:creator", article.author)
        if article.category:
            _sub(item, "category", article.category.name)
    if any(a.author for a in articles):
        rss.set("xmlns:dc", "http://purl.org/dc/elements/1.1/")
    return _serialise(rss)


def render_atom(site: Site, listing: Listing, path: str) -> bytes:
    config = site.config
    articles = listing.articles[: config.feed_size]
    feed = ET.Element("feed", {"xmlns": ATOM_NS, "xml:lang": config.language})
    _sub(feed, "title", _feed_title(site, listing))
    _sub(feed, "id", config.base_url + path)
    _sub(feed, "link", href=config.base_url + path, rel="self")
    _sub(feed, "link", href=config.base_url + (listing.term.url if listing.term else ""),
         rel="alternate", type="text/html")
    updated = max((a.last_modified.moment for a in articles), default=None)
    _sub(feed, "updated", (updated.isoformat() if updated else "1970-01-01T00:00:00+00:00"))
    author = _sub(feed, "author")
    _sub(author, "name", config.body.name)
    for article in articles:
        entry = _sub(feed, "entry")
        link = config.base_url + article.url
        _sub(entry, "title", article.title)
        _sub(entry, "id", link)
        _sub(entry, "link", href=link, rel="alternate", type="text/html")
        _sub(entry, "published", article.date.moment.isoformat())
        _sub(entry, "updated", article.last_modified.moment.isoformat())
        if article.author:
            _sub(_sub(entry, "author"), "name", article.author)
        if article.category:
            _sub(entry, "category", term=article.category.slug, label=article.category.name)
        _sub(entry, "summary", article.summary)
        content = f"<p><strong>{article.lead_html}</strong></p>" if article.lead_html else ""
        content_el = _sub(entry, "content", content + str(article.body_html), type="html")
        content_el.set("xml:base", config.base_url)
    return _serialise(feed)


def render_campaigns_rss(site: Site, path: str) -> bytes:
    """Every campaign, newest start first: offices subscribe to hear of new drives."""
    config = site.config
    campaigns = sorted(site.campaigns, key=lambda c: (c.start.moment, c.slug), reverse=True)
    rss = ET.Element("rss", {"version": "2.0", "xmlns:atom": ATOM_NS})
    channel = _sub(rss, "channel")
    _sub(channel, "title", f"Chuyên đề – {config.title}")
    _sub(channel, "link", config.base_url + config.urls.campaigns + "/")
    _sub(channel, "description", f"Chuyên đề, cuộc thi, phong trào thi đua – {config.title}")
    _sub(channel, "language", config.language)
    _sub(channel, "atom:link", href=config.base_url + path, rel="self",
         type="application/rss+xml")
    for campaign in campaigns[: config.feed_size]:
        item = _sub(channel, "item")
        link = config.base_url + campaign.url
        _sub(item, "title", campaign.title)
        _sub(item, "link", link)
        _sub(item, "guid", link, isPermaLink="true")
        _sub(item, "pubDate", format_datetime(campaign.start.moment))
        _sub(item, "description", f"{campaign.start.display} – {campaign.end.display}. "
             f"{campaign.summary}".strip())
    return _serialise(rss)


def render_sitemap(site: Site, urls: list[str]) -> bytes:
    """``sitemap.xml`` of every HTML page; items carry their last change."""
    config = site.config
    modified = {a.url: a.last_modified.iso for a in site.articles}
    # Written as text, not built as a tree: it lists every page of the site, and is made again
    # whenever one is added, removed or renamed. The bytes are what ElementTree writes (a
    # test compares them).
    parts = ["<?xml version='1.0' encoding='utf-8'?>\n",
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n']
    for url in urls:
        parts.append(f"  <url>\n    <loc>{escape(config.base_url + url, quote=False)}</loc>\n")
        if url in modified:
            parts.append(f"    <lastmod>{escape(modified[url], quote=False)}</lastmod>\n")
        parts.append("  </url>\n")
    parts.append("</urlset>\n")
    return "".join(parts).encode() if urls else _serialise(ET.Element(
        "urlset", {"xmlns": "http://www.sitemaps.org/schemas/sitemap/0.9"}))


def render_robots(site: Site) -> bytes:
    return (f"User-agent: *\nAllow: /\n\nSitemap: {site.config.base_url}sitemap.xml\n"
            .encode())
