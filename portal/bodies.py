"""Bodies: Markdown to safe HTML for every published item, reusing earlier builds' work.

A body's safe HTML depends on its text and on where its links lead (other items' URLs, the
files it publishes). The cache keeps, for each text, the safe HTML and every link resolution
made while sanitising it; a rebuild re-resolves just those links and reuses the HTML when they
all lead where they did. Only changed texts are converted by Python-Markdown and sanitised
again.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from portal.markdown_render import convert_markdown, sanitise, split_lead
from portal.packed import PackedHtml
from portal.parallel import map_in_processes

Resolution = tuple[str, str, "str | None"]
"""(attribute, URL as written, URL published or None when dropped)."""


@dataclass(frozen=True)
class SafeBody:
    """A body's safe HTML, split where articles need it: the first paragraph is the bold lead.

    ``rest`` stays compressed (see ``packed.py``): it is most of a large build's memory.
    """

    lead_html: str
    """Inner HTML of the first paragraph, or "" when the body does not start with one."""
    lead_block: str
    """The markup the lead was cut from (``<p>…</p>`` and what follows it up to ``rest``)."""
    rest: PackedHtml
    resolutions: tuple[Resolution, ...]

    @property
    def html(self) -> str:
        """The whole body (pages and campaigns show it as it is)."""
        return self.lead_block + str(self.rest)


def linked_urls(body: SafeBody) -> list[str]:
    """The URLs ``body`` links to, as published."""
    return [result for _, _, result in body.resolutions if result is not None]


def make_safe_body(html: str, resolutions: tuple[Resolution, ...]) -> SafeBody:
    lead, rest = split_lead(html)
    return SafeBody(lead, html[: len(html) - len(rest)], PackedHtml(rest), resolutions)


class BodyStore(Protocol):
    def known(self, digests: Sequence[str]) -> list[SafeBody | None]: ...
    def remember(self, digest: str, body: SafeBody) -> None: ...


class NoStore:
    """No cache: convert everything (tests and one-off builds)."""

    def known(self, digests: Sequence[str]) -> list[SafeBody | None]:
        return [None] * len(digests)

    def remember(self, digest: str, body: SafeBody) -> None:
        pass


class Linking(Protocol):
    """What making a body needs of its item's links (``links.Linker``): resolving them, and
    keeping what resolving did (diagnostics, files published) apart while a worker process
    makes the body, to be applied in the build's own process afterwards."""

    def resolve(self, attribute: str, value: str) -> str | None: ...
    def isolated(self) -> AbstractContextManager[Any]: ...
    def apply(self, effects: Any) -> None: ...


_JOB: tuple[Sequence[str], Sequence[Linking]] | None = None
"""The texts and linkers of the bodies being made: set before the worker processes are forked,
so they inherit them and only an index crosses to them."""


def make_bodies(texts: Sequence[str], digests: Sequence[str], linkers: Sequence[Linking],
                store: BodyStore, diagnostics: list) -> list[SafeBody]:
    """Safe HTML for each text, resolving its links with the linker at the same index.

    Bodies the store knows are checked (their links must still lead where they did); the
    others are converted, sanitised and compressed over all cores, the texts unpacked in the
    workers. ``texts`` may unpack each text on access.
    """
    global _JOB
    results: list[SafeBody | None] = []
    misses = []
    for known, linker in zip(store.known(digests), linkers, strict=True):
        mark = len(diagnostics)
        if known is not None and all(linker.resolve(attribute, value) == result
                                     for attribute, value, result in known.resolutions):
            results.append(known)
            continue
        del diagnostics[mark:]  # the check's findings come again from the real pass
        results.append(None)
        misses.append(len(results) - 1)
    _JOB = (texts, linkers)
    try:
        for index, (body, effects) in zip(misses, map_in_processes(_make_body, misses,
                                                                   len(misses)), strict=True):
            linkers[index].apply(effects)
            store.remember(digests[index], body)
            results[index] = body
    finally:
        _JOB = None
    return [body for body in results if body is not None]


def _make_body(index: int) -> tuple[SafeBody, Any]:
    """Markdown → sanitised, link-resolved, compressed body, and what resolving its links
    did (in a worker: applied to the build's own lists afterwards, in the texts' order)."""
    assert _JOB is not None
    texts, linkers = _JOB
    linker = linkers[index]
    made: list[Resolution] = []

    def recording(attribute: str, value: str) -> str | None:
        result = linker.resolve(attribute, value)
        made.append((attribute, value, result))
        return result

    with linker.isolated() as effects:
        body = make_safe_body(sanitise(convert_markdown(texts[index]), recording), tuple(made))
    return body, effects
