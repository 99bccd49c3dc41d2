"""Making the files of one image job with Pillow: orientation applied, colour converted to
sRGB, every metadata block left behind, responsive copies never wider than the source.

Each job runs in a worker process of its own (a fresh process per image), so a 40-megapixel
photo's pixels are freed when its job ends, and at most ``workers`` photos are in memory.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

# The plugins of the formats written are imported here, before workers are forked: saving to
# a format not registered yet makes Pillow import every plugin it has, 20 ms in each worker.
from PIL import (  # noqa: F401
    Image,
    ImageCms,
    ImageOps,
    JpegImagePlugin,
    PngImagePlugin,
    WebPImagePlugin,
)

from portal.errors import BuildError
from portal.images.plan import ImageJob, full_name, rendition_name, unreadable
from portal.images.settings import ImageReport
from portal.parallel import forked_pool

DONE = "done"
"""Written last into a job's cache folder: a folder without it is incomplete."""
MAX_WORKERS = 2
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def is_cached(job: ImageJob) -> bool:
    return (job.folder / DONE).is_file()


def make_images(jobs: Iterable[ImageJob], site_dir: Path,
                workers: int = MAX_WORKERS) -> ImageReport:
    """Run the jobs the cache does not hold yet in a bounded pool; raise :class:`BuildError`
    naming every image that could not be read."""
    jobs = list(jobs)
    todo = [job for job in jobs if not is_cached(job)]
    count = min(workers, len(todo), os.cpu_count() or 1)
    if count > 1 and "fork" in multiprocessing.get_all_start_methods():
        # A process per batch: the memory of a big photo goes back when its batch ends.
        with forked_pool(count, maxtasksperchild=1) as pool:
            results = [result for batch in pool.imap_unordered(_run_batch,
                                                               batches(todo, count))
                       for result in batch]
    else:
        results = [_run(job) for job in todo]
    problems = dict(results)
    failures = [unreadable(job.where, job.source, site_dir, problem) for job in todo
                if (problem := problems[job.key]) is not None]
    if failures:
        raise BuildError(sorted(failures, key=lambda d: (d.path, d.line)))
    files = sum(1 + 2 * len(job.widths) for job in jobs)
    return ImageReport(encoded=len(todo), reused=len(jobs) - len(todo), files=files)


BATCH_PIXELS = 24_000_000
"""Source pixels one worker process decodes before it makes way for a fresh one."""


def batches(jobs: list[ImageJob], workers: int) -> list[list[ImageJob]]:
    """The jobs in batches, each closed once it holds :data:`BATCH_PIXELS` source pixels (or
    its share of all of them, so every worker gets one). A fresh process per photo cost a fork
    of the whole build each, 10–25 ms: more than making a web-sized photo's files."""
    budget = min(BATCH_PIXELS, max(1, -(-sum(job.pixels for job in jobs) // workers)))
    found: list[list[ImageJob]] = []
    batch: list[ImageJob] = []
    pixels = 0
    for job in jobs:
        batch.append(job)
        pixels += job.pixels
        if pixels >= budget:
            found.append(batch)
            batch, pixels = [], 0
    if batch:
        found.append(batch)
    return found


def _run_batch(jobs: list[ImageJob]) -> list[tuple[str, BaseException | None]]:
    return [_run(job) for job in jobs]


def _run(job: ImageJob) -> tuple[str, BaseException | None]:
    try:
        make_job(job)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        return job.key, _Problem(str(exc) or type(exc).__name__)
    return job.key, None


class _Problem(Exception):
    """A picklable stand-in for whatever Pillow raised in the worker."""


def make_job(job: ImageJob) -> None:
    """Write every file of ``job`` into a temporary folder, then move it into place at once."""
    job.folder.parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(prefix=f".{job.key}.", dir=job.folder.parent))
    try:
        image = _open_clean(job.source, job.fallback == "png")
        _save(image, temp / full_name(job), job.full_format, job.settings.full_quality)
        del image
        if job.widths:
            image = _open_clean(job.source, job.fallback == "png", draft_width=max(job.widths))
            for width in sorted(job.widths, reverse=True):
                height = max(1, round(image.height * width / image.width))
                image = image.resize((width, height), Image.Resampling.LANCZOS,
                                     reducing_gap=3.0)
                _save(image, temp / rendition_name(width, "webp"), "webp",
                      job.settings.webp_quality)
                _save(image, temp / rendition_name(width, job.fallback), job.fallback,
                      job.settings.jpeg_quality)
            del image
        (temp / DONE).write_text(job.key)
        if job.folder.exists():
            shutil.rmtree(job.folder)
        temp.rename(job.folder)
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def _open_clean(path: Path, alpha: bool, draft_width: int | None = None) -> Image.Image:
    """Decode ``path`` upright, in sRGB, with no metadata left in ``info``.

    With ``draft_width``, a JPEG is decoded at the smallest scale (1/2, 1/4, 1/8) that is still
    at least that wide, which is what keeps big photos cheap to shrink.
    """
    with Image.open(path) as source:
        if draft_width and source.format == "JPEG":
            orientation = source.getexif().get(0x0112)
            width, height = source.size
            if orientation in (5, 6, 7, 8):
                width, height = height, width
            scale = draft_width / width
            box = (max(1, int(source.size[0] * scale)), max(1, int(source.size[1] * scale)))
            source.draft(source.mode if source.mode in ("RGB", "L") else "RGB", box)
        source.load()
        image = ImageOps.exif_transpose(source)
        profile = source.info.get("icc_profile")
    mode = "RGBA" if alpha else "RGB"
    if profile:
        try:
            if image.mode not in ("RGB", "RGBA", "CMYK", "L"):
                image = image.convert(mode)
            image = ImageCms.profileToProfile(
                image, ImageCms.ImageCmsProfile(io.BytesIO(profile)), _SRGB,
                outputMode="RGBA" if image.mode == "RGBA" else "RGB")
        except (ImageCms.PyCMSError, OSError):
            pass  # an unusable profile: the pixels are taken as sRGB, as browsers would
    if image.mode != mode:
        image = image.convert(mode)
    image.info = {}
    return image


def _save(image: Image.Image, target: Path, image_format: str, quality: int) -> None:
    """Save with no EXIF, XMP, ICC or text chunks: only pixels leave this function."""
    options: dict[str, object] = {}
    if image_format == "jpeg":
        if image.mode != "RGB":
            image = image.convert("RGB")
        options = {"quality": quality, "optimize": True, "progressive": True}
    elif image_format == "webp":
        options = {"quality": quality, "method": 4}
    elif image_format == "png":
        options = {"optimize": True}
    image.save(target, format=image_format.upper(), **options)
