"""Resolving an item's links and file references, and publishing the files they point at.

Every ``href`` and ``src`` of a rendered body, and every file named in front matter (cover
image, attachments, campaign documents), goes through one :class:`Linker`, so the rules are
the same everywhere: files must exist inside ``content/``; a bundle's files are published
beside its page, other files under ``media/``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote, urlsplit

from portal.config import SiteConfig
from portal.errors import Diagnostic, error, warning
from portal.markdown_render import URL_SCHEMES
from portal.model import Asset, Attachment

if TYPE_CHECKING:
    from portal.site import Entry


@dataclass(frozen=True)
class LinkEffects:
    """What resolving links did besides answering: files to publish, findings to report."""

    assets: dict[str, Asset]
    diagnostics: list[Diagnostic]


class Linker:
    """Resolves one item's links and file references, publishing the files it points at."""

    def __init__(self, config: SiteConfig, entry: Entry, by_path: Mapping[Path, Entry],
                 assets: dict[str, Asset], diagnostics: list[Diagnostic], content_dir: Path,
                 canonical: bool = False):
        """``canonical``: the sources' folders are canonical paths (``discover``'s
        ``kind_folders_are_real``), so a link may be followed without resolving it."""
        self.config = config
        self.entry = entry
        self.by_path = by_path
        self.assets = assets
        self.diagnostics = diagnostics
        self.content_dir = content_dir
        self.canonical = canonical

    @contextmanager
    def isolated(self) -> Iterator[LinkEffects]:
        """Keep the diagnostics and published files of what runs inside apart from the
        build's lists (a body made in a worker process: ``bodies.py``)."""
        shared = self.assets, self.diagnostics
        effects = LinkEffects({}, [])
        self.assets, self.diagnostics = effects.assets, effects.diagnostics
        try:
            yield effects
        finally:
            self.assets, self.diagnostics = shared

    def apply(self, effects: LinkEffects) -> None:
        """Add what an isolated run found to the build's lists, as if it had run here."""
        self.diagnostics.extend(effects.diagnostics)
        for url, asset in effects.assets.items():
            self.assets.setdefault(url, asset)

    def resolve(self, attribute: str, value: str) -> str | None:
        value = value.strip()
        if not value or value.startswith(("#", "?")):
            return value
        parts = urlsplit(value)
        if parts.scheme or parts.netloc:
            return value if parts.scheme.lower() in URL_SCHEMES else None
        if value.startswith("/"):
            return self.config.base_path + value.lstrip("/")
        fragment = f"#{parts.fragment}" if parts.fragment else ""
        path = unquote(parts.path)
        if path.endswith(".md"):
            return self._link_to_item(path, parts.path, value, fragment)
        if "." not in path.rsplit("/", 1)[-1]:
            return value
        url = self.publish_file(path, self.entry.parsed.line_of_text(parts.path), "linked file")
        return self.config.base_path + quote(url) + fragment if url else None

    def _link_to_item(self, path: str, written: str, value: str, fragment: str) -> str | None:
        """A link to another item; the line (``written`` looked up in the body, which is
        unpacked for it) is found only when there is something to report."""
        folder = self.entry.parsed.source.folder
        lexical = _lexical_target(folder, path) if self.canonical else None
        other = self.by_path.get(lexical) if lexical is not None else None
        if other is None or lexical is None or lexical.is_symlink():
            other = self.by_path.get((folder / path).resolve())
        if other is None:
            line = self.entry.parsed.line_of_text(written)
            self.diagnostics.append(error(self.entry.rel, line, "link to a missing file",
                                          "a Markdown file of this site", repr(value)))
            return None
        if not other.published:
            self.diagnostics.append(warning(
                self.entry.rel, self.entry.parsed.line_of_text(written),
                f"links to {other.rel}, which is not published yet ({other.reason})"))
        return self.config.base_path + other.url + fragment

    def publish_file(self, path: str, line: int, what: str) -> str | None:
        """Publish a file referenced by the item and return its site path, or report why not."""
        folder = self.entry.parsed.source.folder
        target = (folder / path).resolve()
        rel = self.entry.rel
        if not target.is_relative_to(self.content_dir):
            self.diagnostics.append(error(rel, line, f"{what} outside the content folder",
                                          "a path inside content/", repr(path)))
            return None
        if not target.is_file():
            self.diagnostics.append(error(rel, line, f"missing {what}",
                                          f"a file at {_display(target, self.config)}",
                                          "no such file"))
            return None
        bundle = self.entry.parsed.source.bundle_dir
        if bundle is not None and target.is_relative_to(bundle.resolve()):
            url = self.entry.url + target.relative_to(bundle.resolve()).as_posix()
        else:
            url = "media/" + target.relative_to(self.content_dir).as_posix()
        self.assets.setdefault(url, Asset(target, url, rel, line))
        return url

    def attachment(self, file: str, title: str | None, line: int,
                   what: str) -> Attachment | None:
        """Publish a file named in front matter and describe it for a download link."""
        url = self.publish_file(file, line, what)
        if url is None:
            return None
        name = Path(file).name
        return Attachment(title=title or name, url=url,
                          kind=Path(name).suffix.lstrip(".").upper() or "FILE",
                          size=self.assets[url].source.stat().st_size)


def _lexical_target(folder: Path, path: str) -> Path | None:
    """Where a relative link leads, found without asking the file system, when that is sure
    to be where ``resolve()`` would find it: ``folder`` is canonical (see ``Linker``), so only
    a ``..`` after a name could climb out of a symlinked folder elsewhere than the text says.
    ``None``: resolve it.
    (Resolving costs a system call per folder of the path, for every link of every body.)"""
    parts = path.split("/")
    start = 0
    while start < len(parts) and parts[start] in ("..", ".", ""):
        start += 1
    if ".." in parts[start:]:
        return None
    return Path(os.path.normpath(os.path.join(folder, path)))


def _display(path: Path, config: SiteConfig) -> str:
    try:
        return path.relative_to(config.site_dir.resolve()).as_posix()
    except ValueError:
        return str(path)
