"""The image cache under ``cache_dir``: one folder per content hash and settings.

It lives outside the output so a CI job can keep it between runs; folders no planned image
claims (a removed or changed photo, old settings) are pruned after each successful build.
"""

from __future__ import annotations

import shutil
from pathlib import Path

IMAGE_CACHE = "images"
"""The folder inside ``cache_dir``."""


def image_cache_dir(cache_dir: Path) -> Path:
    return cache_dir / IMAGE_CACHE


def prune_image_cache(root: Path, keys: frozenset[str]) -> int:
    """Remove every cached folder (and leftover temporary folder) not in ``keys``."""
    removed = 0
    if not root.is_dir():
        return 0
    for shard in root.iterdir():
        if not shard.is_dir():
            continue
        for folder in shard.iterdir():
            if folder.name not in keys:
                shutil.rmtree(folder, ignore_errors=True) if folder.is_dir() else \
                    folder.unlink(missing_ok=True)
                removed += 1
        if not any(shard.iterdir()):
            shard.rmdir()
    return removed
