"""Image work on an album of big photos: time and peak memory, cold (empty image cache) and
warm (a rebuild with nothing changed).

    python benchmarks/images.py [--photos 50] [--megapixels 24]

Writes a site with one album of generated JPEGs (distinct photos, EXIF orientation on some)
into a temporary folder, then builds it twice in a child process each time. Peak memory is the
largest resident set of the build process and of any single image worker (``ru_maxrss`` of the
process and of its children). Prints figures only.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests"))
from photos import make_photo  # noqa: E402

BUILD = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[2])
from pathlib import Path
from portal.pipeline import BuildOptions, build
started = time.perf_counter()
result = build(BuildOptions(site_dir=Path(sys.argv[1]), now="2024-01-01 08:00", search=False),
               environ={})
print(json.dumps({
    "seconds": time.perf_counter() - started,
    "image_seconds": result.stages.get("images", 0.0),
    "encoded": result.images.encoded, "reused": result.images.reused,
    "files": result.images.files,
    # VmHWM, not ru_maxrss: the latter survives exec and would count the parent's peak.
    "main_mb": next(int(line.split()[1]) for line in open("/proc/self/status")
                    if line.startswith("VmHWM")) / 1024,
    "worker_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
}))
"""


def write_site(root: Path, photos: int, megapixels: float) -> None:
    (root / "site.toml").write_text(
        'title = "Ảnh lớn"\nbase_url = "https://x.example.gov.vn/"\n[body]\nname = "UBND xã"\n',
        encoding="utf-8")
    folder = root / "content/albums/anh-lon"
    folder.mkdir(parents=True)
    width = int(math.sqrt(megapixels * 1_000_000 * 3 / 2))
    height = width * 2 // 3
    base = make_photo(folder / "anh-000.jpg", (width, height), 0, quality=90)
    with Image.open(base) as image:
        image.load()
        for number in range(1, photos):
            draw = ImageDraw.Draw(image)
            draw.rectangle([number * 40, 40, number * 40 + 30, 70], fill=(number * 5, 0, 0))
            orientation = 6 if number % 5 == 0 else None
            exif = Image.Exif()
            if orientation:
                exif[0x0112] = orientation
            image.save(folder / f"anh-{number:03d}.jpg", quality=90, exif=exif.tobytes())
    lines = "".join(f"  - {{file: anh-{n:03d}.jpg, caption: Ảnh {n}}}\n" for n in range(photos))
    (folder / "index.md").write_text(
        f"---\ntitle: Ảnh lớn\ndate: 2023-06-01\nphotos:\n{lines}---\n\nAlbum.\n",
        encoding="utf-8")


def run_build(root: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", BUILD, str(root), str(REPO)], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--photos", type=int, default=50)
    parser.add_argument("--megapixels", type=float, default=24)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp)
        started = time.perf_counter()
        write_site(root, args.photos, args.megapixels)
        size = sum(p.stat().st_size for p in root.rglob("*.jpg")) / 1e6
        print(f"{args.photos} photos of {args.megapixels:g} MP ({size:.0f} MB of JPEG) "
              f"written in {time.perf_counter() - started:.0f} s")
        for label in ("cold", "warm"):
            r = run_build(root)
            print(f"{label}: build {r['seconds']:.1f} s (images {r['image_seconds']:.1f} s), "
                  f"{r['encoded']} encoded, {r['reused']} from cache, {r['files']} files; "
                  f"peak RSS: build process {r['main_mb']:.0f} MB, largest image worker "
                  f"{r['worker_mb']:.0f} MB")


if __name__ == "__main__":
    main()
