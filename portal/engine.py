"""The engine's version: what every cache of the publisher (build cache, compiled theme,
kept sizes) is keyed by, so that a new release of the publisher or of a library shaping the
output never reuses another's results.

Kept apart from the fingerprints (``fingerprint.py``, which need Jinja2 and the model): a build
reads it before anything else, while the stages' modules are not imported yet.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib.metadata import version
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
LIBRARIES = ("jinja2", "markdown", "nh3", "pagefind", "icalendar", "pyicu-wheels", "pillow",
             "pyyaml", "python-frontmatter", "zstandard")
"""Libraries whose upgrade may change the output (or the parses and bodies the cache keeps)."""


def hash_parts(*parts: bytes) -> str:
    """SHA-256 of the parts, each followed by a NUL (so ``ab|c`` and ``a|bc`` differ)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
        digest.update(b"\0")
    return digest.hexdigest()


@cache
def engine_version() -> str:
    """Changes whenever the publisher's code or an output-shaping library changes (read once
    per process: the code does not change under a running build)."""
    sources = sorted(PACKAGE.rglob("*.py"))
    return hash_parts(*(p.read_bytes() for p in sources),
                      *(f"{lib} {version(lib)}".encode() for lib in LIBRARIES))[:16]
