"""The articles readers may rate: the list the build writes, read again when it changes.

The build writes ``ratings-articles.json`` into the output folder (it is deployed with the
site, so the service reads the list of exactly the site that readers see):
``{"version": 1, "base_url": "...", "articles": {"<id>": "<site path>", ...}}``. The id is the
article's slug; the path is where the service sends a reader back after a form post.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

from portal.model import Site

VERSION = 1


@dataclass(frozen=True)
class PublishedArticles:
    base_url: str
    paths: dict[str, str]
    """Article id → site path (``tin-tuc/slug/``)."""


def render_published(site: Site) -> bytes:
    """The list of rateable articles, for the output folder (sorted: reproducible bytes)."""
    data = {"version": VERSION, "base_url": site.config.base_url,
            "articles": {a.slug: a.url for a in sorted(site.articles, key=lambda a: a.slug)}}
    return (json.dumps(data, ensure_ascii=False, indent=0, sort_keys=True) + "\n").encode()


class PublishedError(Exception):
    """The published list is missing or unreadable (the service cannot start without it)."""

    def __init__(self, path: Path, problem: str):
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


def read_published(path: Path) -> PublishedArticles:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        articles = data["articles"]
        if data.get("version") != VERSION or not isinstance(articles, dict):
            raise ValueError
        return PublishedArticles(str(data["base_url"]),
                                 {str(k): str(v) for k, v in articles.items()})
    except FileNotFoundError:
        raise PublishedError(path, "missing list of published articles: expected the file "
                                   "the build writes into the output folder, got no such file "
                                   "(build the site with [ratings] endpoint first)") from None
    except (OSError, ValueError, KeyError, TypeError, json.JSONDecodeError):
        raise PublishedError(path, "unreadable list of published articles: expected the "
                                   f"JSON the build writes (version {VERSION}), got something "
                                   "else") from None


class PublishedWatcher:
    """The current list: read again whenever the file's modification time changes, so a
    rebuild makes new articles rateable without restarting the service."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        try:  # the stamp first: a change while reading is then read again
            self._stamp = self._stat()
        except OSError:
            self._stamp = (0, 0)
        self._current = read_published(path)

    def _stat(self) -> tuple[int, int]:
        stat = self.path.stat()
        return (stat.st_mtime_ns, stat.st_size)

    @property
    def current(self) -> PublishedArticles:
        try:
            stamp = self._stat()
        except OSError:  # mid-deploy: keep the last good list
            return self._current
        if stamp != self._stamp:
            with self._lock:
                try:
                    self._current = read_published(self.path)
                    self._stamp = stamp
                except PublishedError:
                    pass
        return self._current
