"""Writing the output folder the publisher owns: only what changed, atomically, stale files out.

This stage runs only after every page has rendered without error, so a failed build never
touches the previous output. Each file is written to a temporary name beside its target and
renamed over it (a reader or a crash sees the whole old file or the whole new one, never half).
Files the build no longer produces (an unpublished or renamed article) are removed last.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from portal.errors import OutputError


@dataclass(frozen=True)
class WriteReport:
    written: int
    unchanged: int
    removed: int


def write_output(output_dir: Path, rendered: dict[str, bytes],
                 copies: dict[str, Path]) -> WriteReport:
    """Make ``output_dir`` hold exactly ``rendered`` plus ``copies`` (path → source file)."""
    written = unchanged = 0
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        for rel, data in sorted(rendered.items()):
            if _write_if_changed(output_dir, rel, data):
                written += 1
            else:
                unchanged += 1
        for rel, source in sorted(copies.items()):
            if _write_if_changed(output_dir, rel, source.read_bytes()):
                written += 1
            else:
                unchanged += 1
        removed = _remove_stale(output_dir, set(rendered) | set(copies))
    except OSError as exc:
        raise OutputError(f"{exc.filename or output_dir}: cannot write the output: "
                          f"{exc.strerror or exc}") from exc
    return WriteReport(written, unchanged, removed)


def _write_if_changed(output_dir: Path, rel: str, data: bytes) -> bool:
    target = output_dir / rel
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)
    elif (target.is_file() and not target.is_symlink() and target.stat().st_size == len(data)
          and target.read_bytes() == data):
        return False
    _prepare_parent(output_dir, target.parent)
    handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return True


def _prepare_parent(output_dir: Path, folder: Path) -> None:
    """Create the folder, replacing any file that stands where a folder must go."""
    inside = [folder, *folder.parents][: len(folder.relative_to(output_dir).parts)]
    for parent in reversed(inside):
        if parent.is_symlink() or parent.is_file():
            parent.unlink()
    folder.mkdir(parents=True, exist_ok=True)


def _remove_stale(output_dir: Path, keep: set[str]) -> int:
    removed = 0
    for dirpath, dirnames, filenames in os.walk(output_dir, topdown=False):
        here = Path(dirpath)
        for name in filenames:
            path = here / name
            if path.relative_to(output_dir).as_posix() not in keep:
                path.unlink()
                removed += 1
        for name in dirnames:
            folder = here / name
            if folder.is_symlink():
                folder.unlink()
            elif not any(folder.iterdir()):
                folder.rmdir()
    return removed
