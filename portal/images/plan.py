"""Planning image work: probe each published image, name its responsive copies, find what the
cache already holds.

Probing reads the file once (for its content hash) and only the image header (for its size and
EXIF orientation); no pixels are decoded here. The plan is plain data, so the pages can be
rendered with every width and height known before any image is encoded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from portal.errors import Diagnostic, error
from portal.images.settings import ImageSettings, is_image
from portal.model import Asset, Picture, Rendition

ROTATED = {5, 6, 7, 8}
"""EXIF orientations that swap width and height."""
FULL_FORMATS = {".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png", ".webp": "webp"}
EXTENSIONS = {"webp": ".webp", "jpeg": ".jpg", "png": ".png"}
EXPECTED = "a readable JPEG, PNG or WebP image"
MAX_PIXELS = 120_000_000
"""Twice the largest camera sensors in use; anything bigger is refused, not decoded."""


@dataclass(frozen=True)
class ImageJob:
    """One source image and every file made from it (all in one worker, one decode)."""

    source: Path
    where: tuple[str, int]
    """The content file that references the image, and the line."""
    key: str
    folder: Path
    """The cache folder of this key: the files appear there together, or not at all."""
    full_format: str
    fallback: str
    widths: tuple[int, ...]
    settings: ImageSettings
    pixels: int = 0
    """The source's width × height: what decoding it costs in memory and time."""

    def file(self, name: str) -> Path:
        return self.folder / name


@dataclass(frozen=True)
class ImagePlan:
    jobs: tuple[ImageJob, ...]
    pictures: tuple[Picture, ...]

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(job.key for job in self.jobs)


def plan_images(assets: Iterable[Asset], cache_root: Path, site_dir: Path,
                settings: ImageSettings) -> tuple[ImagePlan, list[Diagnostic]]:
    """A job and a :class:`Picture` per published image; unreadable images are errors that name
    the file and the reference."""
    jobs: dict[str, ImageJob] = {}
    pictures = []
    found: list[Diagnostic] = []
    for asset in assets:
        if not is_image(asset.url):
            continue
        where = (asset.referenced_by or _display(asset.source, site_dir), asset.line or 1)
        try:
            width, height, alpha, digest = _probe(asset.source)
        except (OSError, UnidentifiedImageError, Image.DecompressionBombError, ValueError,
                SyntaxError) as exc:
            found.append(unreadable(where, asset.source, site_dir, exc))
            continue
        full_format = FULL_FORMATS[asset.source.suffix.lower()]
        fallback = "png" if alpha else "jpeg"
        key = hashlib.sha256(f"{digest} {full_format} {fallback} {settings.key}".encode()) \
            .hexdigest()[:32]
        folder = cache_root / key[:2] / key
        widths = tuple(w for w in settings.widths if w < width)
        job = jobs.setdefault(key, ImageJob(asset.source, where, key, folder, full_format,
                                            fallback, widths, settings, width * height))
        pictures.append(_picture(asset.url, width, height, job))
    return ImagePlan(tuple(jobs.values()), tuple(pictures)), found


def unreadable(where: tuple[str, int], source: Path, site_dir: Path,
               exc: BaseException) -> Diagnostic:
    return error(where[0], where[1], f"unreadable image {_display(source, site_dir)}", EXPECTED,
                 _reason(exc))


def rendition_name(width: int, image_format: str) -> str:
    return f"{width}w{EXTENSIONS[image_format]}"


def full_name(job: ImageJob) -> str:
    return "full" + EXTENSIONS[job.full_format]


def _picture(url: str, width: int, height: int, job: ImageJob) -> Picture:
    stem, _, _ = url.rpartition(".")
    renditions = []
    for image_format in ("webp", job.fallback):
        for w in job.widths:
            name = rendition_name(w, image_format)
            renditions.append(Rendition(f"{stem}-{name}", w, max(1, round(height * w / width)),
                                        image_format, job.file(name)))
    return Picture(url, width, height, job.file(full_name(job)), tuple(renditions))


def _probe(path: Path) -> tuple[int, int, bool, str]:
    """Displayed size (after EXIF orientation), transparency, and the content hash."""
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    del data
    with Image.open(path) as image:
        if image.format not in ("JPEG", "PNG", "WEBP", "MPO"):
            raise ValueError(f"a {image.format} file")
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise ValueError(f"a {width}×{height} image, over {MAX_PIXELS // 1_000_000} "
                             "megapixels")
        if image.getexif().get(0x0112) in ROTATED:
            width, height = height, width
        alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or \
            "transparency" in image.info
    return width, height, alpha, digest


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.split(" '", 1)[0] if isinstance(exc, UnidentifiedImageError) else text


def _display(path: Path, site_dir: Path) -> str:
    try:
        return path.resolve().relative_to(site_dir.resolve()).as_posix()
    except ValueError:
        return str(path)
