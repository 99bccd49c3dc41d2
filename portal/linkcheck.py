"""The link check of the built output: every reference a page or stylesheet makes must lead to
a file the output folder holds, under the site's base path.

This reads the published files, not the sources, so it catches what only shows after rendering:
a template that forgets the base path, a renamed asset, a body link to a file never published.
Links to other hosts are not requested here (``check --external`` does that).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from portal.errors import Diagnostic, error

LINK_ATTRIBUTES = ("href", "src", "poster", "action")
"""Attributes whose value is one URL the reader's browser will request or follow."""
_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")\s]+)\1\s*\)""")
NOT_FOUND_PAGE = "404.html"
OUTSIDE = "\0outside"
"""What :func:`resolve_reference` returns for a path on the site's host outside its base path."""


@dataclass(frozen=True)
class Reference:
    line: int
    value: str


class _ReferenceParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[Reference] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        values = dict(attrs)
        for name in LINK_ATTRIBUTES:
            value = values.get(name)
            if value is not None and not (tag == "a" and name == "href" and value == "") \
                    and not (name == "action" and (values.get("method") or "").lower() == "post"):
                # A form that posts goes to a service (the ratings API), not to a file.
                self.found.append(Reference(line, value))
        srcset = values.get("srcset")
        if srcset:
            for candidate in srcset.split(","):
                if candidate.strip():
                    self.found.append(Reference(line, candidate.split()[0]))
        if tag == "meta" and values.get("property") in ("og:url", "og:image") and \
                values.get("content"):
            self.found.append(Reference(line, values["content"] or ""))


def html_references(text: str) -> list[Reference]:
    parser = _ReferenceParser()
    parser.feed(text)
    parser.close()
    return parser.found


def css_references(text: str) -> list[Reference]:
    return [Reference(text.count("\n", 0, m.start()) + 1, m.group(2))
            for m in _CSS_URL.finditer(text)]


def resolve_reference(base_url: str, page: str, value: str) -> str | None:
    """The output path a reference on output file ``page`` leads to; ``None`` when it leaves
    the site (another host, ``mailto:``, a fragment of the same page); ``""`` when it is on the
    site's host but outside its base path (:data:`OUTSIDE`); ``""`` is the home page."""
    value = value.strip()
    if not value or value.startswith("#"):
        return None
    base = urlsplit(base_url)
    target = urlsplit(urljoin(base_url + page, value))
    if target.scheme not in ("http", "https") or (target.scheme, target.netloc) != (
            base.scheme, base.netloc):
        return None
    path = unquote(target.path)
    base_path = base.path or "/"
    if not (path + "/").startswith(base_path):
        return OUTSIDE
    rel = posixpath.normpath(path[len(base_path):]) if path[len(base_path):] else ""
    rel = "" if rel == "." else rel
    return rel + ("/" if path.endswith("/") and rel else "")


def output_file(output_dir: Path, rel: str) -> Path | None:
    """The file a server sends for ``rel``: the file itself, or a folder's ``index.html``."""
    candidate = output_dir / rel
    if rel and not rel.endswith("/") and candidate.is_file():
        return candidate
    index = candidate / "index.html"
    return index if index.is_file() else None


def check_links(output_dir: Path, base_url: str) -> list[Diagnostic]:
    """Every reference of every HTML and CSS file of ``output_dir`` that does not resolve to a
    file of the output, as ``path:line: broken link 'href': expected …, got …`` errors."""
    base_path = urlsplit(base_url).path or "/"
    found: list[Diagnostic] = []
    for rel, references in _references(output_dir):
        for ref in references:
            target = resolve_reference(base_url, rel, ref.value)
            if target is None:
                if rel == NOT_FOUND_PAGE and _is_relative(ref.value):
                    found.append(_relative_on_not_found(rel, ref))
                continue
            if target == OUTSIDE:
                found.append(error(rel, ref.line, f"broken link '{ref.value}'",
                                   f"a path under the base path {base_path}",
                                   repr(urlsplit(urljoin(base_url + rel, ref.value)).path)))
            elif output_file(output_dir, target) is None:
                found.append(error(rel, ref.line, f"broken link '{ref.value}'",
                                   "a file in the output", "nothing"))
            elif rel == NOT_FOUND_PAGE and _is_relative(ref.value):
                found.append(_relative_on_not_found(rel, ref))
    return found


def _relative_on_not_found(rel: str, ref: Reference) -> Diagnostic:
    return error(rel, ref.line, f"relative link '{ref.value}' on the not-found page",
                 "an absolute path (the page is served for missing paths at any depth)",
                 "a path relative to the page")


def _is_relative(value: str) -> bool:
    value = value.strip()
    return bool(value) and not value.startswith(("/", "#")) and not urlsplit(value).scheme


def _references(output_dir: Path) -> Iterator[tuple[str, list[Reference]]]:
    for path in sorted(output_dir.rglob("*")):
        if path.suffix not in (".html", ".css") or not path.is_file():
            continue
        rel = path.relative_to(output_dir).as_posix()
        text = path.read_text(encoding="utf-8", errors="replace")
        yield rel, html_references(text) if path.suffix == ".html" else css_references(text)
