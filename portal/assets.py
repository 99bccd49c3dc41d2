"""Content-hashed names for the theme's CSS, JS and fonts, so hosts can cache them for a year.

``static/css/portal.css`` is published as ``static/css/portal.3f2a9c1b.css``: the eight hex
digits are the start of the SHA-256 of the bytes published. An unchanged file keeps its name
from build to build; any change gives a new name, and the pages (whose HTML stays short-lived in
caches) point to it, so a reader never mixes an old stylesheet with a new page.

A stylesheet's ``url(...)`` references to other theme files (fonts, images) are rewritten to
their published names *before* the stylesheet is hashed, so a new font also renames every
stylesheet that loads it. Images, ``OFL.txt`` and other files keep their names: images are
referred to by site paths in ``site.toml`` and content (the emblem, the favicon) and are small.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

HASHED_SUFFIXES = (".css", ".js", ".woff2", ".woff", ".ttf", ".otf")
"""Files that get a content hash in their name; every other static file keeps its name."""
HASH_LENGTH = 8
_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")\s]+)\1\s*\)""")


@dataclass(frozen=True)
class AssetPlan:
    """The published name of every static file, and the bytes of rewritten stylesheets."""

    names: dict[str, str] = field(default_factory=dict)
    """Output path as written in templates (``static/css/portal.css``) → published path."""
    sources: dict[str, Path] = field(default_factory=dict)
    """Published path → its source file (for rewritten stylesheets: the file before rewriting)."""
    rewritten: dict[str, bytes] = field(default_factory=dict)
    """Published path → bytes, for stylesheets whose references were rewritten."""

    def digest(self) -> str:
        """Changes whenever a published name changes: pages depend on these names."""
        return hashlib.sha256("\n".join(f"{k}={v}" for k, v in sorted(self.names.items()))
                              .encode()).hexdigest()


def collect_static(folders: Iterable[Path]) -> list[tuple[str, Path]]:
    """Files to publish under ``static/`` from theme folders, the first folder winning."""
    found: dict[str, Path] = {}
    for folder in reversed(list(folders)):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                found["static/" + path.relative_to(folder).as_posix()] = path
    return sorted(found.items())


def hashed_name(path: str, data: bytes) -> str:
    """``static/css/portal.css`` + bytes → ``static/css/portal.<hash>.css``."""
    folder, name = posixpath.split(path)
    stem, dot, suffix = name.rpartition(".")
    digest = hashlib.sha256(data).hexdigest()[:HASH_LENGTH]
    return posixpath.join(folder, f"{stem}.{digest}.{suffix}" if dot else f"{name}.{digest}")


def plan_assets(static_files: Iterable[tuple[str, Path]]) -> AssetPlan:
    """Name every static file: stylesheets last, after the files they refer to are named."""
    files = dict(static_files)
    names: dict[str, str] = {}
    sources: dict[str, Path] = {}
    rewritten: dict[str, bytes] = {}
    stylesheets = [p for p in files if p.endswith(".css")]
    for path, source in sorted(files.items()):
        if path in stylesheets:
            continue
        published = hashed_name(path, source.read_bytes()) if path.endswith(
            HASHED_SUFFIXES) else path
        names[path] = published
        sources[published] = source
    for path in sorted(stylesheets):
        original = files[path].read_bytes()
        data = rewrite_css(original, path, names)
        published = hashed_name(path, data)
        names[path] = published
        sources[published] = files[path]
        if data != original:
            rewritten[published] = data
    return AssetPlan(names=names, sources=sources, rewritten=rewritten)


def rewrite_css(data: bytes, path: str, names: dict[str, str]) -> bytes:
    """Point ``url(...)`` references of the stylesheet at ``path`` to published names, keeping
    them relative (so the stylesheet works under any base path)."""
    folder = posixpath.dirname(path)
    text = data.decode("utf-8")

    def replace(match: re.Match[str]) -> str:
        reference = match.group(2)
        if reference.startswith(("data:", "#", "/")) or "://" in reference:
            return match.group(0)
        target, _, rest = reference.partition("?")
        target, hash_sign, fragment = target.partition("#")
        resolved = posixpath.normpath(posixpath.join(folder, target))
        published = names.get(resolved)
        if published is None or published == resolved:
            return match.group(0)
        relative = posixpath.relpath(published, folder)
        new = relative + (hash_sign + fragment) + (("?" + rest) if rest else "")
        quote = match.group(1)
        return f"url({quote}{new}{quote})"

    return _CSS_URL.sub(replace, text).encode("utf-8")
