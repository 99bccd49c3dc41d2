"""Bodies: Markdown to safe HTML for every published item, reusing earlier builds' work.

A body's safe HTML depends on its text and on where its links lead (other items' URLs, the
files it publishes). The cache keeps, for each text, the safe HTML and every link resolution
made while sanitising it; a rebuild re-resolves just those links and reuses the HTML when they
all lead where they did. Only changed texts are converted by Python-Markdown and sanitised
again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from portal.markdown_render import convert_all, sanitise, split_lead
from portal.packed import PackedHtml

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


def make_safe_body(html: str, resolutions: tuple[Resolution, ...]) -> SafeBody:
    lead, rest = split_lead(html)
    return SafeBody(lead, html[: len(html) - len(rest)], PackedHtml(rest), resolutions)


class BodyStore(Protocol):
    def known(self, digests: Sequence[str]) -> list[SafeBody | None]: ...
    def convert(self, texts: Iterable[str], count: int) -> Iterator[str]: ...
    def remember(self, digest: str, body: SafeBody) -> None: ...


class NoStore:
    """No cache: convert everything (tests and one-off builds)."""

    def known(self, digests: Sequence[str]) -> list[SafeBody | None]:
        return [None] * len(digests)

    def convert(self, texts: Iterable[str], count: int) -> Iterator[str]:
        return iter(convert_all(list(texts)))

    def remember(self, digest: str, body: SafeBody) -> None:
        pass


Resolver = Callable[[str, str], "str | None"]


def make_bodies(texts: Sequence[str], digests: Sequence[str], resolvers: list[Resolver],
                store: BodyStore, diagnostics: list) -> list[SafeBody]:
    """Safe HTML for each text, resolving its links with the resolver at the same index.

    ``texts`` may unpack each text on access: they are streamed through conversion, so a
    large build never holds every text and every converted body at once.
    """
    results: list[SafeBody | None] = []
    misses = []
    for index, (known, resolve) in enumerate(zip(store.known(digests), resolvers, strict=True)):
        mark = len(diagnostics)
        if known is not None and all(resolve(attribute, value) == result
                                     for attribute, value, result in known.resolutions):
            results.append(known)
            continue
        del diagnostics[mark:]  # the check's findings come again from the real pass
        results.append(None)
        misses.append(index)
    raw = store.convert((texts[index] for index in misses), len(misses))
    for index, raw_html in zip(misses, raw, strict=True):
        made: list[Resolution] = []
        resolve = resolvers[index]

        def recording(attribute: str, value: str, resolve=resolve, made=made) -> str | None:
            result = resolve(attribute, value)
            made.append((attribute, value, result))
            return result

        body = make_safe_body(sanitise(raw_html, recording), tuple(made))
        store.remember(digests[index], body)
        results[index] = body
    return [body for body in results if body is not None]
