"""What every derivative is made with; part of each cache key, so changing it remakes them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
"""Files published through the image pipeline (anything else is copied as it is)."""


def is_image(path: str | Path) -> bool:
    return PurePosixPath(str(path)).suffix.lower() in IMAGE_SUFFIXES


@dataclass(frozen=True)
class ImageReport:
    """What the image stage did: ``encoded`` images were made now, ``reused`` came from the
    cache untouched (the count a rebuild with unchanged images keeps at zero)."""

    encoded: int
    reused: int
    files: int


@dataclass(frozen=True)
class ImageSettings:
    widths: tuple[int, ...] = (320, 640, 1280, 1920)
    """Widths of the responsive copies; a photo narrower than one gets no copy that wide."""
    jpeg_quality: int = 82
    webp_quality: int = 80
    full_quality: int = 90
    """The full-size file (same name as the source) is re-encoded too: that strips metadata."""
    version: int = 1
    """Bumped whenever the processing code changes what it writes."""

    @property
    def key(self) -> str:
        return (f"v{self.version} w{','.join(map(str, self.widths))} j{self.jpeg_quality} "
                f"p{self.webp_quality} f{self.full_quality}")


DEFAULT_SETTINGS = ImageSettings()
