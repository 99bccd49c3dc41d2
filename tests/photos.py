"""Generated photos for tests, the sample albums and the image benchmark.

Smooth colour fields with some grain compress like real photos (tens of KB, not a few
hundred bytes), and ``exif`` adds an orientation and a GPS position so tests can show both are
handled. ``python tests/photos.py`` remakes the sample albums' photos.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

ORIENTATION = 0x0112
GPS_IFD = 0x8825


def make_photo(path: Path, size: tuple[int, int], seed: int, orientation: int | None = None,
               gps: bool = False, quality: int = 85, image_format: str = "JPEG") -> Path:
    """A landscape-like picture: sky, hills, a sun; with EXIF when asked."""
    rng = random.Random(seed)
    width, height = size
    small = (max(8, width // 8), max(8, height // 8))
    image = Image.new("RGB", small)
    draw = ImageDraw.Draw(image)
    sky = (rng.randrange(60, 140), rng.randrange(120, 200), rng.randrange(180, 255))
    for y in range(small[1]):
        shade = y / small[1]
        draw.line([(0, y), (small[0], y)], fill=tuple(int(c * (1 - shade * .4)) for c in sky))
    for hill in range(3):
        top = int(small[1] * (.45 + .12 * hill))
        green = (rng.randrange(30, 90), rng.randrange(100, 180), rng.randrange(30, 80))
        points = [(0, small[1]), *((x, top + rng.randrange(-small[1] // 10, small[1] // 10 + 1))
                                   for x in range(0, small[0] + 8, max(1, small[0] // 6))),
                  (small[0], small[1])]
        draw.polygon(points, fill=green)
    r = small[1] // 8
    cx, cy = rng.randrange(r, small[0] - r), rng.randrange(r, small[1] // 3 + r)
    draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(250, 220, 90))
    image = image.resize(size, Image.Resampling.BICUBIC).filter(ImageFilter.GaussianBlur(1))
    noise = Image.effect_noise(size, 18).convert("RGB")
    image = Image.blend(image, noise, .08)
    exif = Image.Exif()
    if orientation:
        exif[ORIENTATION] = orientation
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (10.0, 45.0, 30.0), 3: "E", 4: (106.0, 40.0, 12.0)}
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format=image_format, quality=quality, exif=exif.tobytes())
    return path


SAMPLES = {
    "le-ra-quan-tan-binh-2024": [((960, 640), 1, None, True), ((960, 640), 2, None, False),
                                 ((640, 960), 3, None, False), ((960, 640), 4, 6, True)],
    "ngay-hoi-dai-doan-ket": [((960, 640), 5, None, False), ((960, 640), 6, None, False),
                              ((800, 800), 7, None, False)],
}


def make_samples(content: Path) -> None:
    for album, photos in SAMPLES.items():
        for number, (size, seed, orientation, gps) in enumerate(photos, start=1):
            make_photo(content / "albums" / album / f"anh-{number:02d}.jpg", size, seed,
                       orientation, gps, quality=80)


if __name__ == "__main__":
    make_samples(Path(sys.argv[1]) if len(sys.argv) > 1 else
                 Path(__file__).resolve().parent.parent / "content")
