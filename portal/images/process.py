"""Making the files of one image job with Pillow: orientation applied, colour converted to
sRGB, every metadata block left behind, responsive copies never wider than the source.

Jobs run in forked worker processes, at most ``workers`` at once, each ending with its work:
a fresh one per batch of big photos (see :func:`batches`), so a 40-megapixel photo's pixels
are freed when its batch ends; web-sized photos in one process per core, in the background
while the build plans and renders (:func:`start_images`).
"""

from __future__ import annotations

import gc
import io
import multiprocessing
import multiprocessing.connection
import os
import shutil
import tempfile
from collections.abc import Iterable
from multiprocessing.connection import Connection
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

DONE = "done"
"""Written last into a job's cache folder: a folder without it is incomplete."""
MAX_WORKERS = 2
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def is_cached(job: ImageJob) -> bool:
    return (job.folder / DONE).is_file()


def start_images(jobs: Iterable[ImageJob], site_dir: Path,
                 workers: int = MAX_WORKERS) -> ImageWork:
    """Start the jobs the cache does not hold yet; :meth:`ImageWork.result` waits for them.

    Web-sized photos (:data:`BACKGROUND_PIXELS` in all) are made while the build plans,
    fingerprints and renders: its main process works alone for part of that time, and the
    photos use the core it leaves idle. Bigger ones are made first, alone, a fresh process
    per batch (the memory of a big photo goes back when its batch ends): their workers'
    memory must not add to the rendering workers'."""
    jobs = list(jobs)
    todo = [job for job in jobs if not is_cached(job)]
    count = min(workers, len(todo), os.cpu_count() or 1)
    work = ImageWork(jobs, todo, site_dir)
    if count <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        work._problems = _problems(_run(job) for job in todo)
    elif sum(job.pixels for job in todo) > BACKGROUND_PIXELS:
        work._problems = _run_batches(batches(todo, count), count)
    else:
        groups: list[list[ImageJob]] = [[] for _ in range(count)]
        for index, batch in enumerate(batches(todo, count)):
            groups[index % count] += batch
        work._start([group for group in groups if group])
    return work


class ImageWork:
    """Images being made by worker processes while the build goes on.

    One process per group of photos, each ending as soon as its group is made: a pool would
    keep (or start again) idle workers until the build collects the results, each holding a
    copy of every page of the build's memory written since it was forked (at 100,000
    articles, 200 MB more at the peak)."""

    def __init__(self, jobs: list[ImageJob], todo: list[ImageJob], site_dir: Path):
        self.jobs, self.todo, self.site_dir = jobs, todo, site_dir
        self._workers: list[_Worker] = []
        self._problems: dict[str, BaseException] | None = None

    def _start(self, groups: list[list[ImageJob]]) -> None:
        try:
            for group in groups:
                self._workers.append(_Worker(group))
        except BaseException:  # no process to spare: stop those started
            self.close()
            raise

    def wait(self) -> dict[str, BaseException]:
        """The problem of each job that could not be made, by key."""
        if self._problems is None:
            problems: dict[str, BaseException] = {}
            for worker in self._workers:
                problems.update(worker.collect())
            self._workers = []
            self._problems = problems
        return self._problems

    def result(self) -> ImageReport:
        """Wait for the images; raise :class:`BuildError` naming every image that could not
        be made."""
        problems = self.wait()
        failures = [unreadable(job.where, job.source, self.site_dir, problems[job.key])
                    for job in self.todo if job.key in problems]
        if failures:
            raise BuildError(sorted(failures, key=lambda d: (d.path, d.line)))
        files = sum(1 + 2 * len(job.widths) for job in self.jobs)
        return ImageReport(encoded=len(self.todo), reused=len(self.jobs) - len(self.todo),
                           files=files)

    def close(self) -> None:
        """Stop the workers (a failed build does not wait for its photos: a half-made one is
        left in a temporary folder that the next successful build removes)."""
        for worker in self._workers:
            worker.stop()
        self._workers = []


STOPPED = "the process making it stopped (out of memory, killed, or the image crashed Pillow)"


class _Worker:
    """A forked process making a group of photos; it sends back the problems only (a long
    message would keep it waiting for the build to read it)."""

    def __init__(self, jobs: list[ImageJob]):
        self.jobs = jobs
        context = multiprocessing.get_context("fork")
        self.receiver, sender = context.Pipe(duplex=False)
        gc.freeze()  # out of the child's collector's sight, as in ``parallel.forked_pool``
        try:
            self.process = context.Process(target=_run_group, args=(jobs, sender), daemon=True)
            self.process.start()
        except BaseException:
            self.receiver.close()
            raise
        finally:
            gc.unfreeze()
            sender.close()

    def collect(self) -> dict[str, BaseException]:
        """Wait for the group's problems. A process that ended without a word (killed, out of
        memory, crashed by a file) leaves each photo it did not finish with a problem that
        says so: the build names them rather than dying on the same photo itself."""
        try:
            return self.receiver.recv()
        except (EOFError, OSError):
            return {job.key: _Problem(STOPPED) for job in self.jobs if not is_cached(job)}
        finally:
            self.receiver.close()
            self.process.join()

    def stop(self) -> None:
        self.receiver.close()
        if self.process.is_alive():
            self.process.terminate()
        self.process.join()


def _run_batches(found: list[list[ImageJob]], count: int) -> dict[str, BaseException]:
    """Each batch in a fresh process, at most ``count`` at once; the problems by key."""
    pending, running = list(found), list[_Worker]()
    problems: dict[str, BaseException] = {}
    try:
        while pending or running:
            while pending and len(running) < count:
                running.append(_Worker(pending.pop(0)))
            ready = multiprocessing.connection.wait([w.receiver for w in running])
            for worker in [w for w in running if w.receiver in ready]:
                problems.update(worker.collect())
                running.remove(worker)
    finally:
        for worker in running:
            worker.stop()
    return problems


def _run_group(jobs: list[ImageJob], results: Connection) -> None:
    gc.enable()  # a worker's garbage is its own (see ``parallel.forked_pool``)
    try:
        results.send(_problems(_run(job) for job in jobs))
    finally:
        results.close()


def _problems(results: Iterable[tuple[str, BaseException | None]]) -> dict[str, BaseException]:
    return {key: problem for key, problem in results if problem is not None}


BATCH_PIXELS = 24_000_000
"""Source pixels one worker process decodes before it makes way for a fresh one."""
BACKGROUND_PIXELS = 24_000_000
"""Source pixels, all photos together, made in the background while pages render (about
150 MB of worker memory at most: two phone photos, or eighty web-sized ones)."""


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
