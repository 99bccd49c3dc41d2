"""Bodies: Markdown to safe HTML for every published item, reusing earlier builds' work.

A body's safe HTML depends on its text and on where its links lead (other items' URLs, the
files it publishes). The cache keeps, for each text, the safe HTML and every link resolution
made while sanitising it; a rebuild re-resolves just those links and reuses the HTML when they
all lead where they did. Only changed texts are converted by Python-Markdown and sanitised
again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from portal.markdown_render import convert_all, sanitise

Resolution = tuple[str, str, "str | None"]
"""(attribute, URL as written, URL published or None when dropped)."""


@dataclass(frozen=True)
class SafeBody:
    html: str
    resolutions: tuple[Resolution, ...]


class BodyStore(Protocol):
    def known(self, texts: list[str]) -> list[SafeBody | None]: ...
    def convert(self, texts: list[str]) -> list[str]: ...
    def remember(self, text: str, body: SafeBody) -> None: ...


class NoStore:
    """No cache: convert everything (tests and one-off builds)."""

    def known(self, texts: list[str]) -> list[SafeBody | None]:
        return [None] * len(texts)

    def convert(self, texts: list[str]) -> list[str]:
        return convert_all(texts)

    def remember(self, text: str, body: SafeBody) -> None:
        pass


Resolver = Callable[[str, str], "str | None"]


def make_bodies(texts: list[str], resolvers: list[Resolver], store: BodyStore,
                diagnostics: list) -> list[str]:
    """Safe HTML for each text, resolving its links with the resolver at the same index."""
    results: list[str | None] = []
    misses = []
    for index, (known, resolve) in enumerate(zip(store.known(texts), resolvers, strict=True)):
        mark = len(diagnostics)
        if known is not None and all(resolve(attribute, value) == result
                                     for attribute, value, result in known.resolutions):
            results.append(known.html)
            continue
        del diagnostics[mark:]  # the check's findings come again from the real pass
        results.append(None)
        misses.append(index)
    raw = store.convert([texts[index] for index in misses])
    for index, raw_html in zip(misses, raw, strict=True):
        made: list[Resolution] = []
        resolve = resolvers[index]

        def recording(attribute: str, value: str, resolve=resolve, made=made) -> str | None:
            result = resolve(attribute, value)
            made.append((attribute, value, result))
            return result

        html = sanitise(raw_html, recording)
        store.remember(texts[index], SafeBody(html, tuple(made)))
        results[index] = html
    return [html for html in results if html is not None]
