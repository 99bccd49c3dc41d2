"""Compiled templates: the default theme's kept once per user and engine, a site's own in its
build cache.

Compiling the default theme with Jinja2 costs about 0.2 s, more than building a small site.
Its templates are part of the installed publisher, not of any site, so their compiled form is
kept like Python keeps its bytecode: once per installed version, shared by every site built
on the machine, under ``$XDG_CACHE_HOME/portal-publisher/`` (``~/.cache/portal-publisher/`` by
default). Templates a site adds or overrides are compiled into that site's own cache folder.

Every entry is checked against the source it was compiled from (Jinja2 keys it by the
template's name and file, and keeps a checksum of its source), and each engine version has its
own folder, so an entry is never used for anything but the exact template it was made from.
Where the user's cache cannot be written, the theme is compiled into the site's cache instead.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import jinja2
from jinja2.bccache import Bucket

APP_FOLDER = "portal-publisher"
ENGINE_FOLDER_PREFIX = "templates-"
UNUSED_DAYS = 7
"""Another version's folder unused this long is removed (two versions in use on one machine
keep theirs)."""


def user_cache_dir(environ: Mapping[str, str] = os.environ) -> Path | None:
    """The user's cache folder (XDG Base Directory rules), or None when there is no home."""
    configured = environ.get("XDG_CACHE_HOME", "")
    if configured and os.path.isabs(configured):
        return Path(configured) / APP_FOLDER
    try:
        home = Path.home()
    except RuntimeError:  # no home folder to speak of
        return None
    return home / ".cache" / APP_FOLDER if home.is_absolute() else None


def engine_templates_dir(engine: str) -> Path | None:
    """This engine's folder of compiled theme templates, marked as used (its time stamp) or
    created, when other versions' folders unused for :data:`UNUSED_DAYS` are removed; None
    when it cannot be created."""
    root = user_cache_dir()
    if root is None:
        return None
    # Per Python too: Jinja2's entries hold Python bytecode, which another version rejects.
    folder = root / f"{ENGINE_FOLDER_PREFIX}{engine}-{sys.implementation.cache_tag}"
    if folder.is_dir():
        with contextlib.suppress(OSError):
            os.utime(folder)
        return folder
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    unused_since = time.time() - UNUSED_DAYS * 86_400
    for other in root.glob(f"{ENGINE_FOLDER_PREFIX}*"):
        with contextlib.suppress(OSError):
            if other != folder and other.stat().st_mtime < unused_since:
                shutil.rmtree(other, ignore_errors=True)
    return folder


class _Folder(jinja2.FileSystemBytecodeCache):
    """Jinja2's bytecode cache in one folder, reading a damaged entry as a missing one (Jinja2
    would raise from the middle of loading a template)."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # any unreadable entry is compiled again
            bucket.reset()

    def store(self, bucket: Bucket) -> bool:
        """Write the entry; False when the folder cannot take it."""
        try:
            self.dump_bytecode(bucket)
        except OSError:
            return False
        return True


class CompiledTemplates(jinja2.BytecodeCache):
    """Routes each template to the folder its compiled form belongs in: the engine's for the
    default theme's files, the site's for the rest, and the site's too for the theme's when
    the engine's folder cannot be written (read-only, another account's)."""

    def __init__(self, site_folder: Path, theme_folder: Path, engine_folder: Path | None):
        site_folder.mkdir(parents=True, exist_ok=True)
        self._site = _Folder(str(site_folder))
        self._engine = None if engine_folder is None else _Folder(str(engine_folder))
        self._theme_prefix = str(theme_folder.resolve()) + os.sep

    def get_bucket(self, environment: jinja2.Environment, name: str, filename: str | None,
                   source: str) -> Bucket:
        if self._engine is not None and filename is not None and \
                os.path.realpath(filename).startswith(self._theme_prefix):
            bucket = self._engine.get_bucket(environment, name, filename, source)
            if bucket.code is None:  # compiled into the site's cache when the engine's failed?
                fallback = self._site.get_bucket(environment, name, filename, source)
                if fallback.code is not None:
                    return fallback
            bucket.folders = (self._engine, self._site)  # type: ignore[attr-defined]
            return bucket
        bucket = self._site.get_bucket(environment, name, filename, source)
        bucket.folders = (self._site,)  # type: ignore[attr-defined]
        return bucket

    def set_bucket(self, bucket: Bucket) -> None:
        """Written where the template belongs, or in the next folder when that one fails."""
        for folder in getattr(bucket, "folders", (self._site,)):
            if folder.store(bucket):
                return
