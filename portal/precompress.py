"""``--precompress``: ``.gz`` and ``.br`` siblings of text files, for hosts that serve them
as they are (nginx ``gzip_static``/``brotli_static``, many CDNs and Pages services).

Compressing once at build time, at the strongest levels, costs the server nothing per request.
Siblings are reproducible (gzip with no file name and a zero timestamp; brotli is
deterministic), rewritten only when their file is newer, and removed with their file: they are
part of what the build produces, so the output folder's stale-file rule covers them.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterable
from pathlib import Path

import brotli

from portal.parallel import forked_pool, worker_count
from portal.write import write_atomically

COMPRESSIBLE = (".html", ".css", ".js", ".mjs", ".xml", ".svg", ".json", ".txt", ".ics",
                ".webmanifest")
"""Text files worth compressing. Fonts (WOFF2), images and Pagefind's index files are already
compressed and are left alone."""
BROTLI_QUALITY = 10
"""Quality 11 makes files about 2 % smaller and takes 2.5 times as long: after a template change
every page is compressed again, so 10 keeps large sites' rebuilds reasonable."""
ENCODINGS: dict[str, Callable[[bytes], bytes]] = {
    ".gz": lambda data: gzip.compress(data, compresslevel=9, mtime=0),
    ".br": lambda data: brotli.compress(data, quality=BROTLI_QUALITY),
}
PARALLEL_MINIMUM = 100
"""Files to compress from which the work is spread over the machine's cores."""


def is_compressible(path: str) -> bool:
    return path.endswith(COMPRESSIBLE)


def sibling_paths(paths: Iterable[str]) -> list[str]:
    """The siblings ``--precompress`` adds for these output paths."""
    return [path + suffix for path in paths if is_compressible(path) for suffix in ENCODINGS]


def write_precompressed(output_dir: Path, paths: Iterable[str]) -> list[str]:
    """Write the missing or outdated siblings of ``paths``; return those written."""
    todo = [(path, suffix) for path in sorted(p for p in paths if is_compressible(p))
            for suffix in _outdated(output_dir, path)]
    jobs = [(output_dir, path, [s for p, s in todo if p == path])
            for path in dict.fromkeys(p for p, _ in todo)]
    workers = worker_count(len(jobs), PARALLEL_MINIMUM)
    if workers > 1:
        with forked_pool(workers) as pool:
            written = [w for part in pool.imap_unordered(_compress, jobs, chunksize=16)
                       for w in part]
    else:
        written = [w for job in jobs for w in _compress(job)]
    return sorted(written)


def _outdated(output_dir: Path, path: str) -> list[str]:
    """The suffixes whose sibling is missing or older than the file."""
    changed = (output_dir / path).stat().st_mtime_ns
    outdated = []
    for suffix in ENCODINGS:
        try:
            if (output_dir / (path + suffix)).stat().st_mtime_ns >= changed:
                continue
        except FileNotFoundError:
            pass
        outdated.append(suffix)
    return outdated


def _compress(job: tuple[Path, str, list[str]]) -> list[str]:
    output_dir, path, suffixes = job
    data = (output_dir / path).read_bytes()
    for suffix in suffixes:
        write_atomically(output_dir / (path + suffix), ENCODINGS[suffix](data))
    return [path + suffix for suffix in suffixes]
