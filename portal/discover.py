"""Finding the site's sources: which files are articles and pages, and which are bundles.

A folder holding ``index.md`` is a bundle: one item whose images and attachments sit beside it.
Any other ``.md`` file is an item of its own. Hidden files (editor swap files, ``.DS_Store``)
are ignored, and nothing outside ``content/`` is ever read, symlinks included.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

KINDS = {"articles": "article", "pages": "page", "campaigns": "campaign", "albums": "album"}


@dataclass(frozen=True)
class SourceFile:
    kind: str
    path: Path
    rel: str
    bundle_dir: Path | None

    @property
    def folder(self) -> Path:
        """Where relative links and resources of this item are looked up."""
        return self.path.parent

    @property
    def stem(self) -> str:
        return self.bundle_dir.name if self.bundle_dir else self.path.stem


def discover_sources(site_dir: Path) -> list[SourceFile]:
    """All Markdown sources under ``content/<kind>/``, in a stable order.

    ``site_dir`` must be resolved (absolute, no symlinks): messages name paths relative to it.
    Walked with ``os.scandir`` and plain strings: an archive has tens of thousands of files,
    and every build lists them.
    """
    content = site_dir / "content"
    prefix = len(str(site_dir)) + 1
    found: list[SourceFile] = []
    for folder, kind in KINDS.items():
        root = content / folder
        if not root.is_dir() or (root.is_symlink()
                                 and not root.resolve().is_relative_to(content.resolve())):
            continue  # a kind folder linked from outside content/ is not read
        stack = [str(root)]
        while stack:
            here = stack.pop()
            try:
                with os.scandir(here) as scan:
                    entries = sorted(scan, key=lambda e: e.name)
            except OSError:  # gone or unreadable since its parent was listed: as os.walk does
                continue
            # As os.walk sorts them: a symlink to a folder is a folder (never entered).
            if here != str(root) and any(e.name == "index.md" and not e.is_dir()
                                         for e in entries):
                path = Path(here, "index.md")
                found.append(SourceFile(kind, path, str(path)[prefix:], Path(here)))
                continue
            for entry in entries:
                if entry.name.startswith((".", "_")):
                    continue
                if entry.is_dir():
                    if not entry.is_symlink():
                        stack.append(entry.path)
                elif entry.name.endswith(".md") and (
                        not entry.is_symlink()
                        or Path(entry.path).resolve().is_relative_to(content)):
                    found.append(SourceFile(kind, Path(entry.path), entry.path[prefix:], None))
    return sorted(found, key=lambda s: s.rel)


def kind_folders_are_real(site_dir: Path) -> bool:
    """Whether ``content/`` and its kind folders are real folders, not symlinks: then every
    source's folder is a canonical path (``discover_sources`` never enters symlinked folders
    below them), which lets links be followed without asking the file system."""
    content = site_dir / "content"
    return not any(os.path.islink(folder) for folder in
                   [content, *(content / name for name in KINDS)])


def source_at(site_dir: Path, rel: str) -> SourceFile | None:
    """The source a site-relative path names, by the rules of :func:`discover_sources`, or
    ``None`` when it is not one (used to re-read a single changed file)."""
    parts = rel.split("/")
    if len(parts) < 3 or parts[0] != "content" or parts[1] not in KINDS or \
            not rel.endswith(".md") or any(p.startswith((".", "_")) for p in parts[2:]):
        return None
    path = site_dir / rel
    if path.is_symlink() or not path.is_file():
        return None
    bundle = path.parent if path.name == "index.md" and len(parts) > 3 else None
    return _source(KINDS[parts[1]], path, site_dir, bundle)


def _source(kind: str, path: Path, site_dir: Path, bundle: Path | None) -> SourceFile:
    rel = path.relative_to(site_dir).as_posix()
    return SourceFile(kind, path, rel, bundle)
