"""The golden sample site: the repository's own sample built at a fixed moment.

Regenerate after an intended change to templates, content or the engine, then read the diff:

    python tests/golden_site.py
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GOLDEN = REPO / "tests" / "golden" / "sample"
GOLDEN_NOW = "2024-01-01 08:00"
SKIPPED = ("static/", "pagefind/")
"""Theme assets (fonts, CSS) are copied verbatim and the search index is Pagefind's binary
format (tested in the browser); the golden files cover what the engine makes."""
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
"""Encoded images depend on the Pillow and libwebp builds installed; ``tests/test_images.py``
checks their sizes, formats and metadata, the golden pages their markup."""


def build_sample(output: Path) -> None:
    sys.path.insert(0, str(REPO))
    from portal.pipeline import BuildOptions, build

    build(BuildOptions(site_dir=REPO, now=GOLDEN_NOW, output_dir=output), environ={})


ASSET_HASH = re.compile(rb"(/static/[^\"'\s]+?)\.[0-9a-f]{8}\.(css|js|woff2)")
"""Theme assets carry a hash of their bytes in their names (``portal/assets.py``); pages show
them as ``.HASH.`` here, so a theme edit does not change the golden files
(``tests/test_publishing.py`` checks the real names)."""


def read_tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): ASSET_HASH.sub(rb"\1.HASH.\2", p.read_bytes())
            for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.relative_to(folder).as_posix().startswith(SKIPPED)
            and p.suffix.lower() not in IMAGE_SUFFIXES}


def regenerate() -> None:
    with tempfile.TemporaryDirectory() as temp:
        build_sample(Path(temp) / "out")
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for rel, data in read_tree(Path(temp) / "out").items():
            target = GOLDEN / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    print(f"golden sample regenerated in {GOLDEN.relative_to(REPO)}")


if __name__ == "__main__":
    regenerate()
