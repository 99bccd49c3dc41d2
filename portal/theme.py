"""Where the theme's files come from: the site's own ``templates/`` and ``static/`` folders
first (a site may override any file), then the default theme shipped with the publisher."""

from __future__ import annotations

from pathlib import Path

THEME_DIR = Path(__file__).resolve().parent.parent
"""The default theme: ``templates/`` and ``static/`` of the publisher's own repository."""


def theme_dirs(site_dir: Path, name: str) -> list[Path]:
    """The site's own folder first (it may override any file), then the default theme."""
    dirs = [site_dir / name, THEME_DIR / name]
    unique = []
    for folder in dirs:
        if folder.is_dir() and folder.resolve() not in [u.resolve() for u in unique]:
            unique.append(folder)
    return unique
