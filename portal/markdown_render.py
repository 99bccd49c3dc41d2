"""Markdown to safe HTML: Python-Markdown for the syntax, nh3 (ammonia) for the allowlist.

Editors may write raw HTML, so the whole rendered body, Markdown output and raw HTML alike, goes
through one allowlist sanitiser: no scripts, styles, event handlers, frames, forms, or
``javascript:``/``data:`` URLs survive. The same pass rewrites every ``href`` and ``src`` through
a resolver, so a link to ``other-article.md`` becomes that article's URL whether it was written
as Markdown or as HTML.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Callable

import markdown
import nh3

from portal.markdown_blocks import use_plain_paragraph_pass
from portal.markdown_inline import use_plain_text_pass
from portal.markdown_skips import use_skips
from portal.markdown_toc import use_toc_on_request
from portal.vietnamese import markdown_slugify

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd",
    "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h2", "h3", "h4",
    "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp",
    "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th",
    "thead", "time", "tr", "u", "ul",
}
ALLOWED_ATTRIBUTES = {
    "*": {"id", "class", "title", "lang", "dir"},
    "a": {"href", "hreflang"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "style"},
    "th": {"colspan", "rowspan", "scope", "style"},
    "ol": {"start", "reversed", "type"},
    "time": {"datetime"},
    "col": {"span"},
    "colgroup": {"span"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
SETTINGS = f"markdown {markdown.__version__}; tables footnotes attr_list toc sane_lists " \
    "fenced_code def_list abbr; h1→h2"
"""Everything that shapes :meth:`MarkdownRenderer.convert` output, for cache keys."""
_TEXT_ALIGN = re.compile(r"text-align:\s*(left|right|center);?")
_ALIGN_STYLE = re.compile(r' style="text-align: (left|right|center);"')
_H1 = re.compile(r"<(/?)h1\b", re.IGNORECASE)
_LEAD = re.compile(r"^\s*<p>(.*?)</p>\s*", re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")

Resolver = Callable[[str, str], str | None]
"""Called with (attribute, url); returns the URL to publish, or None to drop the attribute."""


class MarkdownRenderer:
    """One configured Python-Markdown instance, reset between documents (cheap to reuse)."""

    def __init__(self, fast: bool = True) -> None:
        """``fast`` off: Python-Markdown's passes exactly as they come (the tests compare
        both; see ``markdown_blocks.py``, ``markdown_inline.py``, ``markdown_toc.py`` and
        ``markdown_skips.py``)."""
        # Imported here, by the first renderer: a build that converts no Markdown (every body
        # cached) does not need them. Objects, not names: a name is looked up among every
        # installed package's entry points (5 ms of each process's first renderer).
        from markdown.extensions.abbr import AbbrExtension
        from markdown.extensions.attr_list import AttrListExtension
        from markdown.extensions.def_list import DefListExtension
        from markdown.extensions.fenced_code import FencedCodeExtension
        from markdown.extensions.footnotes import FootnoteExtension
        from markdown.extensions.sane_lists import SaneListExtension
        from markdown.extensions.tables import TableExtension
        from markdown.extensions.toc import TocExtension

        self._md = markdown.Markdown(
            extensions=[TableExtension(),
                        FootnoteExtension(BACKLINK_TITLE="Quay lại chỗ chú thích %d"),
                        AttrListExtension(), TocExtension(slugify=markdown_slugify),
                        SaneListExtension(), FencedCodeExtension(), DefListExtension(),
                        AbbrExtension()],
            output_format="html",
        )
        self._toc = self._skips = None
        if fast:
            use_plain_paragraph_pass(self._md)
            use_plain_text_pass(self._md)
            self._toc = use_toc_on_request(self._md)
            self._skips = use_skips(self._md)

    def convert(self, text: str) -> str:
        """Markdown to raw HTML (not yet safe: :func:`sanitise` must run on it)."""
        self._md.reset()
        if self._toc is not None:
            self._toc.prepare(text)
        if self._skips is not None:
            self._skips.prepare(text)
        # The page title is the only h1: a "# heading" in a body becomes an h2.
        return _H1.sub(r"<\1h2", self._md.convert(text))

    def render(self, text: str, resolve: Resolver) -> str:
        """Render Markdown and sanitise the result, resolving every link and image source."""
        return sanitise(self.convert(text), resolve)


_RENDERERS = threading.local()


def convert_markdown(text: str) -> str:
    """Markdown to raw HTML with this thread's renderer (made once: configuring
    Python-Markdown costs more than converting a short text)."""
    return _renderer().convert(text)


def prepare_renderer() -> None:
    """Make this thread's renderer now: worker processes forked from this thread inherit it
    (each would otherwise import the extensions and configure Python-Markdown again)."""
    _renderer()


def _renderer() -> MarkdownRenderer:
    renderer = getattr(_RENDERERS, "renderer", None)
    if renderer is None:
        renderer = _RENDERERS.renderer = MarkdownRenderer()
    return renderer


class _Sanitiser:
    """One nh3 cleaner built once (building it per body cost more than cleaning a short one);
    the resolver of the body being cleaned is set around each call, per thread."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._cleaner = nh3.Cleaner(
            tags=ALLOWED_TAGS,
            attributes=ALLOWED_ATTRIBUTES,
            url_schemes=URL_SCHEMES,
            link_rel=None,
            strip_comments=True,
            attribute_filter=self._filter,
        )

    def _filter(self, tag: str, attribute: str, value: str) -> str | None:
        if attribute == "style":
            # Only the table alignment that Markdown tables emit survives.
            match = _TEXT_ALIGN.fullmatch(value.strip())
            return f"text-align: {match.group(1)};" if match else None
        resolve = self._local.resolve
        if resolve is not None and attribute in ("href", "src"):
            return resolve(attribute, value)
        return value

    def clean(self, raw_html: str, resolve: Resolver | None) -> str:
        self._local.resolve = resolve
        try:
            return self._cleaner.clean(raw_html)
        finally:
            self._local.resolve = None


_SANITISER = _Sanitiser()


def sanitise(raw_html: str, resolve: Resolver | None = None) -> str:
    """Keep only allowlisted tags and attributes; route URLs through ``resolve``."""
    clean = _SANITISER.clean(raw_html, resolve)
    # Inline styles would force 'unsafe-inline' into the Content Security Policy: table
    # alignment becomes a class of the theme instead.
    return _ALIGN_STYLE.sub(r' class="align-\1"', clean)


def split_lead(body_html: str) -> tuple[str, str]:
    """The first paragraph is the article's bold lead; return (lead inner HTML, rest)."""
    match = _LEAD.match(body_html)
    if not match:
        return "", body_html
    return match.group(1), body_html[match.end():]


def plain_text(fragment: str) -> str:
    """Visible text of an HTML fragment, whitespace collapsed (for summaries and feeds)."""
    return " ".join(html.unescape(_TAGS.sub(" ", fragment)).split())


def first_paragraph_text(body_html: str) -> str:
    match = re.search(r"<p>(.*?)</p>", body_html, re.DOTALL)
    return plain_text(match.group(1)) if match else ""
