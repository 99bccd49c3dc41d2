"""The last build's model, kept on disk for the quick paths of article edits.

When every change since the last build is the text of published articles, or what their cards
show (see ``quick.py``), the rest of the model is still right: the build loads it (about
0.15 s at 10,000 articles instead of parsing, validating, modelling, planning and
fingerprinting everything again), swaps the edited articles in and renders only what they
change.

The file is written atomically before the snapshot that names its token is committed, so a
snapshot never points to a model of another build: a build killed in between leaves the old
snapshot and a model with another token, which is simply not used.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from portal.collector import collector_paused
from portal.model import Site
from portal.plan import Output


@dataclass(frozen=True)
class SavedModel:
    site: Site
    outputs: tuple[Output, ...]
    prints: dict[str, str]
    """The fingerprint of every page."""
    search_keys: dict[str, tuple[str, str]]
    """Fingerprint and search key of every searchable page (``search.search_keys``)."""
    linked: frozenset[str] = frozenset()
    """Every URL a body links to (as published, fragment and all), or more: an article whose
    URL is among them cannot move without the bodies linking to it changing."""


def model_path(cache_dir: Path, output_dir: str) -> Path:
    digest = hashlib.sha256(output_dir.encode()).hexdigest()[:16]
    return cache_dir / f"model-{digest}.pickle"


def prune_models(cache_dir: Path, output_dirs: list[str]) -> None:
    """Delete the saved models of output folders the cache no longer describes. (Only those:
    another build sharing the cache may have saved a model it has not recorded yet.)"""
    for folder in output_dirs:
        model_path(cache_dir, folder).unlink(missing_ok=True)


def write_model(path: Path, model: SavedModel) -> str:
    """Save ``model``; return the token its snapshot records. Streamed to the file: no
    second copy of the model in memory."""
    token = uuid.uuid4().hex
    for leftover in path.parent.glob(f".{path.name}.*"):  # of a build killed while saving
        leftover.unlink(missing_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            pickle.dump(token, stream, pickle.HIGHEST_PROTOCOL)
            pickle.dump(model, stream, pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return token


def load_model(path: Path, token: str) -> SavedModel | None:
    """The saved model if it is the one ``token`` names, else ``None``."""
    if not token:
        return None
    try:
        with path.open("rb") as stream, collector_paused():
            if pickle.load(stream) != token:
                return None
            model = pickle.load(stream)
    except Exception:  # missing, truncated, another layout: build the usual way
        return None
    return model if isinstance(model, SavedModel) else None

