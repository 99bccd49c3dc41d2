"""Page weight: the compressed bytes a first-time reader downloads for a page, content images
left out, so slow mobile links stay in mind and a budget can warn before readers notice.

A page counts its HTML, every stylesheet it links (the print one too: browsers fetch it, late),
every same-host script, and the web fonts the browser actually fetches. Fonts are split into
subsets by ``unicode-range``; a browser downloads a subset only when the page shows a character
in its range, and where ranges overlap it takes the face defined *last* in the stylesheet
(CSS Fonts §4.5). So this counts, for every character of the page's text (and of the
stylesheets' ``content:`` strings), the face the browser picks, in every weight the stylesheets
declare (every page shows regular and bold text), plus any font the page preloads.

Text files count gzip-compressed (level 9, what any host can serve); brotli figures are given
beside them. Fonts are WOFF2, already compressed, and count as they are.

Compressing the theme's stylesheets and scripts at brotli's quality 10 takes about 40 ms, and
they are the same bytes in every build of every site on the machine: their compressed sizes are
kept by content in the user's cache, beside the compiled theme (``compiled.py``).
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import hashlib
import itertools
import os
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import brotli

from portal.errors import Diagnostic, warning
from portal.linkcheck import OUTSIDE, output_file, resolve_reference
from portal.precompress import BROTLI_QUALITY

KB = 1024
_FONT_FACE = re.compile(r"@font-face\s*{([^}]*)}", re.S)
_DESCRIPTOR = re.compile(r"([a-z-]+)\s*:\s*([^;]+);?")
_URL = re.compile(r"""url\(\s*(['"]?)([^'")\s]+)\1\s*\)""")
_CONTENT = re.compile(r"""content\s*:\s*(["'])(.*?)\1""")
_SKIPPED_TEXT = ("script", "style", "template")


@dataclass(frozen=True)
class PageWeight:
    """Bytes one page costs a first-time reader, by kind (gzip; fonts as they are)."""

    page: str
    """The page's output path, e.g. ``index.html`` or ``tin-tuc/<slug>/index.html``."""
    html: int
    css: int
    js: int
    fonts: int
    brotli: int
    """The same total with brotli instead of gzip for the text files."""
    files: tuple[str, ...]
    """Every file counted (output paths), the page first."""

    @property
    def total(self) -> int:
        return self.html + self.css + self.js + self.fonts

    @property
    def url(self) -> str:
        return self.page.removesuffix("index.html")

    def summary(self, label: str) -> str:
        return (f"{label} /{self.url}: {kb(self.total)} KB (HTML {kb(self.html)}, "
                f"CSS {kb(self.css)}, JS {kb(self.js)}, fonts {kb(self.fonts)}; "
                f"brotli {kb(self.brotli)} KB)")


@dataclass(frozen=True)
class _FontFace:
    family: str
    weight: str
    style: str
    file: str
    ranges: tuple[tuple[int, int], ...]

    def covers(self, char: int) -> bool:
        return any(low <= char <= high for low, high in self.ranges)


def kb(size: int) -> str:
    return f"{size / KB:.1f}"


def gzip_size(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def brotli_size(data: bytes) -> int:
    return len(brotli.compress(data, quality=BROTLI_QUALITY))


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stylesheets: list[str] = []
        self.scripts: list[str] = []
        self.preloaded_fonts: list[str] = []
        self.text: set[str] = set()
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        rel = values.get("rel", "").split()
        if tag == "link" and "stylesheet" in rel and values.get("href"):
            self.stylesheets.append(values["href"])
        elif tag == "link" and "preload" in rel and values.get("as") == "font":
            self.preloaded_fonts.append(values.get("href", ""))
        elif tag == "script" and values.get("src"):
            self.scripts.append(values["src"])
        for name in ("placeholder", "value"):
            self.text.update(values.get(name, ""))
        if tag in _SKIPPED_TEXT:
            self._skipping += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TEXT and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.text.update(data)


def measure_page(output_dir: Path, base_url: str, page: str,
                 kept: Path | None = None) -> PageWeight:
    """What the page at output path ``page`` costs a first-time reader. ``kept`` is the
    folder keeping stylesheets' and scripts' compressed sizes across builds (:func:`sizes_dir`),
    or None to compress them again."""
    html = (output_dir / page).read_bytes()
    parser = _PageParser()
    parser.feed(html.decode("utf-8"))
    parser.close()
    files = [page]
    sizes = {"html": gzip_size(html), "css": 0, "js": 0, "fonts": 0}
    brotli_total = brotli_size(html)
    text = set(parser.text)
    faces: list[_FontFace] = []
    fonts: list[str] = []
    for kind, references in (("css", parser.stylesheets), ("js", parser.scripts)):
        for rel in _local_files(output_dir, base_url, page, references):
            stat = (output_dir / rel).stat()
            gzipped, brotlied = _compressed_sizes(output_dir / rel, stat.st_size,
                                                  stat.st_mtime_ns, kept)
            sizes[kind] += gzipped
            brotli_total += brotlied
            files.append(rel)
            if kind == "css":
                css = (output_dir / rel).read_text(encoding="utf-8")
                faces += _font_faces(css, base_url, rel)
                for match in _CONTENT.finditer(css):
                    text.update(match.group(2))
    fonts += _local_files(output_dir, base_url, page, parser.preloaded_fonts)
    fonts += _fonts_used(faces, text)
    for rel in dict.fromkeys(fonts):
        if (output_dir / rel).is_file():
            size = (output_dir / rel).stat().st_size
            sizes["fonts"] += size
            brotli_total += size
            files.append(rel)
    return PageWeight(page=page, html=sizes["html"], css=sizes["css"], js=sizes["js"],
                      fonts=sizes["fonts"], brotli=brotli_total, files=tuple(files))


def over_budget(weights: Iterable[PageWeight], budget_kb: int | None, where: str,
                line: int) -> list[Diagnostic]:
    """A warning for every measured page heavier than ``[budget] page_kb``."""
    if budget_kb is None:
        return []
    return [warning(where, line, f"page over the weight budget: expected at most {budget_kb} KB "
                                 f"(gzip, first visit, without content images) for "
                                 f"/{w.url}, got {kb(w.total)} KB")
            for w in weights if w.total > budget_kb * KB]


SIZES_FOLDER = "compressed-sizes"
SIZES_KEPT = 2000
"""Entries the sizes folder holds at most; past this it starts again empty (a site editing its
own stylesheet adds one entry per version)."""
_METHOD = f"gzip 9 zlib {zlib.ZLIB_VERSION} brotli {BROTLI_QUALITY} {brotli.__version__}".encode()


def sizes_dir(engine_folder: Path | None) -> Path | None:
    """Where compressed sizes are kept: a folder in the engine's folder of the user's cache
    (``compiled.engine_templates_dir``), or None when there is none or it cannot be made."""
    if engine_folder is None:
        return None
    folder = engine_folder / SIZES_FOLDER
    try:
        folder.mkdir(exist_ok=True)
    except OSError:
        return None
    return folder


@functools.lru_cache(maxsize=256)
def _compressed_sizes(path: Path, size: int, mtime_ns: int,
                      kept: Path | None = None) -> tuple[int, int]:
    """Shared stylesheets and scripts are compressed once, not once per page measured (the
    size and time stamp make a rewritten file a new entry), and once per machine when
    ``kept`` names the folder of sizes kept by content."""
    data = path.read_bytes()
    if kept is None:
        return gzip_size(data), brotli_size(data)
    entry = kept / hashlib.blake2b(_METHOD + b"\0" + data, digest_size=20).hexdigest()
    try:
        gzipped, brotlied = entry.read_text(encoding="ascii").split()
        return int(gzipped), int(brotlied)
    except (OSError, ValueError):  # not kept yet, or unreadable: compressed again
        pass
    sizes = gzip_size(data), brotli_size(data)
    _keep_sizes(kept, entry, sizes)
    return sizes


def _keep_sizes(kept: Path, entry: Path, sizes: tuple[int, int]) -> None:
    """Written whole under a temporary name and renamed: two builds at once each write a
    complete entry, and a reader never sees half of one. A cache that cannot be written is
    no error: the sizes are computed again next time."""
    temporary = kept / f".{entry.name}.{os.getpid()}"
    try:
        with os.scandir(kept) as entries:
            full = sum(1 for _ in itertools.islice(entries, SIZES_KEPT + 1)) > SIZES_KEPT
        if full:
            with os.scandir(kept) as entries:
                for old in entries:
                    os.unlink(old.path)
        temporary.write_text(f"{sizes[0]} {sizes[1]}", encoding="ascii")
        os.replace(temporary, entry)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink()


def _local_files(output_dir: Path, base_url: str, page: str,
                 references: Iterable[str]) -> list[str]:
    """Output paths of the references that are files of this site (others hosts are not
    counted: the theme makes no request to another host)."""
    found = []
    for value in references:
        target = resolve_reference(base_url, page, value)
        if target is not None and target != OUTSIDE:
            path = output_file(output_dir, target)
            if path is not None:
                found.append(path.relative_to(output_dir).as_posix())
    return found


def _font_faces(css: str, base_url: str, stylesheet: str) -> list[_FontFace]:
    faces = []
    for block in _FONT_FACE.finditer(css):
        descriptors = {m.group(1): m.group(2).strip() for m in _DESCRIPTOR.finditer(block.group(1))}
        url = _URL.search(descriptors.get("src", ""))
        if not url:
            continue
        target = resolve_reference(base_url, stylesheet, url.group(2))
        if target is None or target == OUTSIDE:
            continue
        faces.append(_FontFace(
            family=descriptors.get("font-family", "").strip("\"' "),
            weight=descriptors.get("font-weight", "400"),
            style=descriptors.get("font-style", "normal"),
            file=target,
            ranges=_ranges(descriptors.get("unicode-range", "U+0-10FFFF")),
        ))
    return faces


def _ranges(text: str) -> tuple[tuple[int, int], ...]:
    ranges = []
    for part in text.split(","):
        value = part.strip().upper().removeprefix("U+")
        if "-" in value:
            low, high = value.split("-", 1)
        elif "?" in value:
            low, high = value.replace("?", "0"), value.replace("?", "F")
        else:
            low = high = value
        ranges.append((int(low, 16), int(high, 16)))
    return tuple(ranges)


def _fonts_used(faces: list[_FontFace], text: set[str]) -> list[str]:
    """The files the browser fetches: per character, per family and weight, the last defined
    face whose range covers it."""
    groups: dict[tuple[str, str, str], list[_FontFace]] = {}
    for face in faces:
        groups.setdefault((face.family, face.weight, face.style), []).append(face)
    used: list[str] = []
    chars = sorted(ord(c) for c in text if not c.isspace())
    for group in groups.values():
        for char in chars:
            for face in reversed(group):
                if face.covers(char):
                    if face.file not in used:
                        used.append(face.file)
                    break
    return used
