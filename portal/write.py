"""Writing the output folder the publisher owns: only what changed, atomically, stale files out.

Rendering puts every changed file into a staging folder beside the output folder (same file
system), and only after everything rendered without error does this stage move them in, each
with one rename: a reader or a crash sees the whole old file or the whole new one, never half,
and a failed build never touches the previous output. Files the build no longer produces (an
unpublished or renamed article) are removed last.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from portal.errors import OutputError


@dataclass(frozen=True)
class WriteReport:
    written: int
    unchanged: int
    removed: int
    changed: tuple[str, ...] = ()
    """The files moved in or copied (``written`` of them)."""
    gone: tuple[str, ...] = ()
    """The files removed (``removed`` of them)."""


def output_error(exc: OSError, output_dir: Path) -> OutputError:
    """The one message for a file system refusal while producing the output."""
    return OutputError(f"{exc.filename or output_dir}: cannot write the output: expected a "
                       f"folder the build can create and write, got {exc.strerror or exc}")


@dataclass(frozen=True)
class Staging:
    """The folder where new files wait, beside the output folder (moving one in is a rename).

    For a first build it mirrors the output's paths, and the whole folder then becomes the
    output folder with one rename. Otherwise each file waits under a flat name of its own:
    re-rendering ten thousand pages need not create, and then delete, ten thousand folders
    (each page is ``<slug>/index.html``)."""

    folder: Path
    flat: bool
    private: bool = False
    """The umask takes read access from others (the staging folder was made without it): new
    files and folders must then be opened to the web server by hand."""

    def path(self, rel: str) -> str:
        """Where the file that goes to ``rel`` waits."""
        if self.flat:
            return os.path.join(self.folder, hashlib.blake2b(rel.encode(),
                                                             digest_size=16).hexdigest())
        return os.path.join(self.folder, rel)


def staging_for(output_dir: Path) -> Staging:
    """A fresh staging folder next to the output folder."""
    folder = output_dir.parent / f".{output_dir.name}.staging"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    private = stat.S_IMODE(folder.stat().st_mode) & 0o755 != 0o755
    return Staging(folder, flat=output_dir.exists(), private=private)


def stage_file(output_dir: Path, staging: Staging, path: str, data: bytes) -> bool:
    """Put new bytes in the staging folder, unless the output already holds exactly them;
    say whether they were staged. (Called for every page: plain strings and one system call
    per step, no path objects.)"""
    # A first build (staging not flat) has no output folder to compare with.
    if staging.flat and _holds(os.path.join(output_dir, path), data):
        return False
    target = staging.path(path)
    if not staging.flat:
        _make_folder(os.path.dirname(target))
    _write_new(target, data, staging.private)
    return True


def _make_folder(folder: str) -> None:
    """``os.makedirs(folder, exist_ok=True)`` in one system call when the parent exists, as
    it does for all but the first page of a section."""
    try:
        os.mkdir(folder)
    except FileExistsError:
        pass
    except FileNotFoundError:
        os.makedirs(folder, exist_ok=True)


def _write_new(target: str, data: bytes, private: bool) -> None:
    """A new file readable by the web server whatever the umask (published files are 0644:
    created so under the usual umasks, set so under one that takes read access away)."""
    handle = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
    try:
        with memoryview(data) as view:
            done = 0
            while done < len(view):
                done += os.write(handle, view[done:])
        if private:
            os.fchmod(handle, 0o644)
    finally:
        os.close(handle)


def write_output(output_dir: Path, staging: Staging, staged: Iterable[str],
                 copies: dict[str, Path], keep: Iterable[str], prune: bool = True,
                 present: Iterable[str] | None = None) -> WriteReport:
    """Move ``staged`` files in, write ``copies`` (path → source file) when their bytes
    changed, and remove every file that is neither of these nor in ``keep`` (unless
    ``prune`` is off: the preview's quick path changes a few files and removes none).

    ``present``, the folder's files as listed when the build started, spares walking the
    whole folder again to find the files to remove."""
    staged = sorted(staged)
    keep = set(keep)
    written = unchanged = 0
    changed: list[str] = []
    try:
        if not output_dir.exists() and not staging.flat:
            # A first build: the whole folder appears at once, with one rename.
            output_dir.parent.mkdir(parents=True, exist_ok=True)
            staging.folder.rename(output_dir)
            written, staged_in_place = len(staged), True
        else:
            output_dir.mkdir(parents=True, exist_ok=True)
            staged_in_place = False
        folders: set[str] = set()  # checked: real folders, no symlinks
        for rel in [] if staged_in_place else staged:
            waiting = staging.path(rel)
            if not _move_in(str(output_dir), waiting, rel, folders):
                target = output_dir / rel
                _clear_way(output_dir, target)
                os.replace(waiting, target)
            written += 1
        for rel, source in sorted(copies.items()):
            if _write_if_changed(output_dir, rel, source.read_bytes()):
                written += 1
                changed.append(rel)
            else:
                unchanged += 1
        wanted = keep | set(staged) | set(copies)
        removed = [] if not prune else _remove_stale(output_dir, wanted) if present is None \
            else _remove_listed(output_dir, present, wanted)
        if staging.private:
            _open_folders(output_dir)
    except OSError as exc:
        raise output_error(exc, output_dir) from exc
    finally:
        shutil.rmtree(staging.folder, ignore_errors=True)
    return WriteReport(written, unchanged + len(keep - set(staged) - set(copies)), len(removed),
                       tuple(staged) + tuple(changed), tuple(removed))


def remove_files(output_dir: Path, paths: list[str], folders: bool = True) -> None:
    """Remove these files of the output (a quick path's leftovers), and with ``folders`` the
    folders they leave empty, up to the output folder (a page's ``slug/`` folder)."""
    for path in paths:
        target = output_dir / path
        target.unlink(missing_ok=True)
        folder = target.parent
        while folders and folder != output_dir:
            try:
                folder.rmdir()
            except OSError:  # not empty (or gone): the folders above it stay too
                break
            folder = folder.parent


def _open_folders(output_dir: Path) -> None:
    """Folders the web server can enter (0755) when the umask made them private: files are
    made 0644 whatever the umask, and a page in a folder it cannot enter is no better."""
    for folder, names, _ in os.walk(output_dir):
        for path in [folder, *(os.path.join(folder, name) for name in names)]:
            if not os.path.islink(path) and stat.S_IMODE(os.lstat(path).st_mode) & 0o755 != 0o755:
                os.chmod(path, stat.S_IMODE(os.lstat(path).st_mode) | 0o755)


def _move_in(root: str, waiting: str, rel: str, folders: set[str]) -> bool:
    """Move a staged file over its old version when every folder on its way is a real folder
    (never a symlink that would lead outside) and nothing but a file stands in its place; say
    whether it was. One ``lstat`` per folder not seen before and one rename: a template change
    moves in thousands of pages."""
    parts = rel.split("/")
    for depth in range(1, len(parts)):
        folder = "/".join(parts[:depth])
        if folder in folders:
            continue
        try:
            if not stat.S_ISDIR(os.lstat(os.path.join(root, folder)).st_mode):
                return False
        except FileNotFoundError:
            return False
        folders.add(folder)
    try:
        os.replace(waiting, os.path.join(root, rel))
    except (IsADirectoryError, NotADirectoryError, FileNotFoundError):
        return False
    return True


def _clear_way(output_dir: Path, target: Path) -> None:
    """Make room for a file: a folder where it goes is removed, and so is any file standing
    where one of its parent folders must be."""
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)
    inside = [target.parent, *target.parent.parents][: len(target.parent.relative_to(
        output_dir).parts)]
    for parent in reversed(inside):
        if parent.is_symlink() or parent.is_file():
            parent.unlink()
    target.parent.mkdir(parents=True, exist_ok=True)


def _holds(path: str, data: bytes) -> bool:
    """Whether ``path`` is a regular file (not a symlink: the output folder holds only what
    the build writes) with exactly ``data`` in it."""
    try:
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_size != len(data):
            return False
        with open(path, "rb") as stream:
            return stream.read() == data
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return False


def _write_if_changed(output_dir: Path, rel: str, data: bytes) -> bool:
    target = output_dir / rel
    if _holds(str(target), data):
        return False
    _clear_way(output_dir, target)
    write_atomically(target, data)
    return True


def write_atomically(target: Path, data: bytes) -> None:
    """A temporary file beside ``target``, renamed over it: readers (and a host serving the
    folder) see the old file or the new one, never part of one."""
    handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _remove_listed(output_dir: Path, present: Iterable[str], keep: set[str]) -> list[str]:
    """Remove the listed files not in ``keep``, and the folders that leaves empty."""
    root = str(output_dir)
    removed = []
    for rel in sorted(set(present) - keep):
        path = os.path.join(root, rel)
        if not os.path.lexists(path) or (os.path.isdir(path) and not os.path.islink(path)):
            continue  # gone, or a folder now: this build made it for files it wrote
        os.unlink(path)
        removed.append(rel)
        parent = os.path.dirname(rel)
        while parent:
            try:
                os.rmdir(os.path.join(root, parent))
            except OSError:  # not empty (or already gone)
                break
            parent = os.path.dirname(parent)
    return removed


def _remove_stale(output_dir: Path, keep: set[str]) -> list[str]:
    """Remove every file not in ``keep``, then emptied folders and symlinked ones. Walks with
    plain strings: at tens of thousands of files, path objects cost more than the walk."""
    removed = []
    root = str(output_dir)
    for dirpath, dirnames, filenames in os.walk(root, topdown=False):
        rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
        prefix = "" if rel_dir == "." else rel_dir + "/"
        for name in filenames:
            if prefix + name not in keep:
                os.unlink(os.path.join(dirpath, name))
                removed.append(prefix + name)
        for name in dirnames:
            folder = os.path.join(dirpath, name)
            if os.path.islink(folder):
                os.unlink(folder)
                continue
            with os.scandir(folder) as entries:
                empty = next(entries, None) is None
            if empty:
                os.rmdir(folder)
    return removed
