"""Helpers for the ratings tests: a published list, settings, and a built site with a widget."""

from __future__ import annotations

import json
from pathlib import Path

from portal.ratings.settings import PUBLISHED_FILE, RatingsSettings

ORIGIN = "https://xa.example.gov.vn"
ARTICLES = {"bai-a": "tin-tuc/bai-a/", "bai-b": "tin-tuc/bai-b/", "bai-c": "tin-tuc/bai-c/"}


def write_published(folder: Path, articles: dict[str, str] | None = None,
                    base_url: str = ORIGIN + "/") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / PUBLISHED_FILE
    path.write_text(json.dumps({"version": 1, "base_url": base_url,
                                "articles": articles or ARTICLES}), encoding="utf-8")
    return path


def make_settings(tmp_path: Path, **overrides) -> RatingsSettings:
    values = {"database": tmp_path / "votes.sqlite3",
              "published": write_published(tmp_path / "out"), "origin": ORIGIN}
    values.update(overrides)
    return RatingsSettings(**values)
