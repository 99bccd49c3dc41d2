"""Fingerprints: a hash of everything an output shows, so a rebuild renders only what changed.

An output's fingerprint combines
- the *engine* (the publisher's own code and the versions of the libraries that shape output),
- the *theme* (every template file) and ``site.toml``,
- the *site digest*: what the shared regions and site-wide pages show (categories and tags with
  their counts, pages, campaigns with their status, the latest articles of the sidebar),
- the output's own path, template and context. An article in a listing, a "Tin liên quan" list
  or a campaign's news counts by what a card shows (title, link, date, summary…); only the
  page of the article itself depends on its body.

Correctness comes first: the test suite compares incremental builds after random edit
sequences with clean builds, byte for byte. When in doubt, a field goes into the digest.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any

from portal.dates import Timestamp
from portal.engine import hash_parts
from portal.model import Article, Campaign, Site
from portal.packed import PackedHtml
from portal.plan import Output, Pagination

CARD_FIELDS = ("url", "title", "date", "updated", "category", "summary", "featured", "image",
               "image_alt", "campaign")
_hash = hash_parts


def files_digest(folders: Iterable[Path], extra: Iterable[Path] = ()) -> str:
    parts = []
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                parts += [path.relative_to(folder).as_posix().encode(), path.read_bytes()]
    for path in extra:
        parts += [path.name.encode(), path.read_bytes() if path.is_file() else b""]
    return _hash(*parts)


_LAYOUTS: dict[tuple[type, tuple[str, ...]], tuple[bytes, tuple[tuple[str, bytes], ...]]] = {}
"""Per type and field list: the encoded type name and field names (``Fingerprints._fields``,
called for every article twice)."""


@cache
def _field_names(kind: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(kind))


def _repr(value: Any) -> bytes:
    return repr(value).encode()


class Fingerprints:
    def __init__(self, site: Site, global_digest: str):
        self.site = site
        self._full: dict[int, bytes] = {}
        self._card: dict[int, bytes] = {}
        self._campaign: dict[int, bytes] = {}
        self._other: dict[int, bytes] = {}
        self._encoders: dict[type, Callable[[Any], bytes]] = {
            str: self._text, PackedHtml: lambda v: b"h" + v.digest,
            int: _repr, bool: _repr, type(None): _repr, Pagination: self._pagination,
            Article: self._card_digest, Campaign: self._campaign_digest,
            Timestamp: self._timestamp, list: self._sequence, tuple: self._sequence,
            dict: self._mapping,
        }
        self.site_digest = self._site_digest(global_digest)

    def of(self, output: Output) -> str:
        context = b"".join(
            key.encode() + b"=" + (self._full_article(value) if key == "article"
                                   else self._value(value))
            for key, value in sorted(output.context.items())
        )
        return _hash(self.site_digest.encode(), output.path.encode(), output.kind.encode(),
                     (output.template or "").encode(), context)

    def of_sitemap(self, urls: list[str]) -> str:
        """``sitemap.xml`` shows every page's URL and each article's last change."""
        site = self.site
        return _hash(self.site_digest.encode(), site.config.base_url.encode(),
                     "\n".join(urls).encode(),
                     "\n".join(f"{a.url} {a.last_modified.iso}" for a in site.articles).encode())

    def _site_digest(self, global_digest: str) -> str:
        site = self.site
        parts = [global_digest.encode(), repr(site.config.base_url).encode()]
        for group in (site.categories, site.tags):
            for listing in group:
                parts.append(self._value(listing.term) + str(len(listing.articles)).encode())
        parts += [self._value(page) for page in site.pages]
        parts += [self._campaign_digest(c) for c in site.campaigns]
        parts += [self._card_digest(a) for a in site.articles[:5]]
        # Pages size and list images by these (covers, galleries, the album strip); the bytes
        # of the files themselves are compared when they are copied.
        parts += [f"{p.url} {p.width}x{p.height} ".encode()
                  + b" ".join(f"{r.url}:{r.width}x{r.height}".encode() for r in p.renditions)
                  for p in site.pictures]
        return _hash(*parts)

    def _value(self, value: Any) -> bytes:
        encode = self._encoders.get(type(value))
        return encode(value) if encode is not None else self._value_of_other(value)

    def _value_of_other(self, value: Any) -> bytes:
        """Values of types without an encoder yet: subclasses and dataclasses (a dataclass
        type gets one on first sight)."""
        if isinstance(value, Article):
            return self._card_digest(value)
        if isinstance(value, Campaign):
            return self._campaign_digest(value)
        if isinstance(value, Timestamp):
            return self._timestamp(value)
        if isinstance(value, str):
            return self._text(value)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            names = tuple(f.name for f in dataclasses.fields(value))
            self._encoders[type(value)] = lambda v: self._shared(v, names)
            return self._shared(value, names)
        if isinstance(value, (list, tuple)):
            return self._sequence(value)
        if isinstance(value, dict):
            return self._mapping(value)
        return repr(value).encode()

    @staticmethod
    def _text(value: str) -> bytes:
        data = value.encode()
        # Long texts (bodies) go in as their own hash: cheaper than carrying them along.
        return (b"h" + hashlib.blake2b(data, digest_size=16).digest() if len(data) > 512
                else b"s%d:" % len(data) + data)

    @staticmethod
    def _timestamp(value: Timestamp) -> bytes:
        return f"T{value.iso}".encode()

    @staticmethod
    def _pagination(value: Pagination) -> bytes:
        # Its URLs follow from the first one, the count and site.toml (in the digest).
        return f"P{value.number}/{value.total}:{value.urls[0]}".encode()

    def _sequence(self, value: list[Any] | tuple[Any, ...]) -> bytes:
        return b"[" + b",".join([self._value(v) for v in value]) + b"]"

    def _mapping(self, value: dict[str, Any]) -> bytes:
        return b"{" + b",".join([k.encode() + b":" + self._value(v)
                                 for k, v in sorted(value.items())]) + b"}"

    def _shared(self, value: Any, names: tuple[str, ...]) -> bytes:
        """Terms and the like are shared by many pages: encoded once per object."""
        key = id(value)
        found = self._other.get(key)
        if found is None:
            found = self._other[key] = self._fields(value, names)
        return found

    def _fields(self, value: Any, names: tuple[str, ...]) -> bytes:
        kind = type(value)
        layout = _LAYOUTS.get((kind, names))
        if layout is None:
            layout = _LAYOUTS[kind, names] = (kind.__name__.encode() + b"(", tuple(
                (name, name.encode() + b"=") for name in names))
        start, fields = layout
        value_of = self._value
        return start + b",".join([key + value_of(getattr(value, name))
                                  for name, key in fields]) + b")"

    def _card_digest(self, article: Article) -> bytes:
        key = id(article)
        if key not in self._card:
            self._card[key] = _hash(self._fields(article, CARD_FIELDS),
                                    self._rating(article)).encode()
        return self._card[key]

    def _full_article(self, article: Article) -> bytes:
        key = id(article)
        if key not in self._full:
            self._full[key] = _hash(self._fields(article, _field_names(type(article))),
                                    self._rating(article)).encode()
        return self._full[key]

    def _rating(self, article: Article) -> bytes:
        """The baked score an article's page and cards show (``[ratings] bake``)."""
        score = self.site.ratings.get(article.slug)
        return b"" if score is None else b"R%d/%d" % (score.votes, score.total)

    def _campaign_digest(self, campaign: Campaign) -> bytes:
        """Everything but its article list: the pages that list them carry their own items."""
        key = id(campaign)
        if key not in self._campaign:
            names = tuple(name for name in _field_names(type(campaign)) if name != "articles")
            self._campaign[key] = _hash(self._fields(campaign, names)).encode()
        return self._campaign[key]
