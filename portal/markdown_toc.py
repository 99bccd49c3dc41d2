"""Markdown: a table of contents built only for a body that asks for one.

Python-Markdown's ``toc`` extension gives each heading its ``id`` (links to a section of an
article need them) and, for every document, also builds a table of contents: a tree of the
headings serialised to HTML (``md.toc``, which the portal never shows) and a walk over the
whole document looking for a ``[TOC]`` paragraph to replace with it. Editors rarely write the
marker; building the table cost 7% of converting a typical body.

For a text without the marker (the marker can only come from those five characters written
as they are, once Python-Markdown has deleted the STX and ETX characters it reserves for
itself), the marker search is off and the table is an empty element; headings get their ids
exactly as before. A text with the marker goes through the extension as it comes.
"""

from __future__ import annotations

import xml.etree.ElementTree as etree
from typing import Any

import markdown
from markdown.util import ETX, STX


class TocOnRequest:
    """Switches the extension's table on or off for each text (:meth:`prepare`)."""

    def __init__(self, toc: Any):
        self._toc = toc
        self._marker: str = toc.marker
        build = toc.build_toc_div

        def build_toc_div(toc_list: list) -> etree.Element:
            return build(toc_list) if toc.marker else etree.Element("div")

        toc.build_toc_div = build_toc_div

    def prepare(self, text: str) -> None:
        if STX in text or ETX in text:  # deleted before parsing: "[TO\x03C]" is a marker
            text = text.replace(STX, "").replace(ETX, "")
        self._toc.marker = self._marker if self._marker in text else ""


def use_toc_on_request(md: markdown.Markdown) -> TocOnRequest | None:
    """Build tables of contents on request only; None when this release of Python-Markdown
    builds them in another way (its extension then runs as it comes)."""
    if "toc" not in md.treeprocessors:  # a Registry: no get()
        return None
    toc = md.treeprocessors["toc"]
    if not isinstance(getattr(toc, "marker", None), str) or not toc.marker \
            or not callable(getattr(toc, "build_toc_div", None)) \
            or not callable(getattr(toc, "replace_marker", None)):
        return None
    return TocOnRequest(toc)
