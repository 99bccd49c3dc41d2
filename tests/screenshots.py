"""Screenshots of the sample site for review by eye: home and the seed article, at 375 px and
1280 px, in the normal and the high-contrast theme.

    python tests/screenshots.py [OUTPUT_FOLDER]      (default: screenshots/)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from browser import CHROMIUM_ARGS, chromium_path, serve
from golden_site import REPO, build_sample
from test_browser import SEED

SHOTS = {"home": "", "article": SEED}
WIDTHS = (375, 1280)


def take_screenshots(target: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    if executable is None:
        raise SystemExit("Chromium is not installed: apt-get install -y chromium")
    target.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as temp, serve(Path(temp) / "site") as url, \
            sync_playwright() as playwright:
        build_sample(Path(temp) / "site")
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        for theme in ("normal", "high"):
            for width in WIDTHS:
                context = browser.new_context(viewport={"width": width, "height": 900})
                page = context.new_page()
                if theme == "high":
                    page.add_init_script("localStorage.setItem('portal-contrast', 'high')")
                for name, path in SHOTS.items():
                    page.goto(url + path)
                    page.evaluate("document.fonts.ready")
                    shot = target / f"{name}-{width}-{theme}.png"
                    page.screenshot(path=str(shot), full_page=True)
                    written.append(shot)
                context.close()
        browser.close()
    return written


if __name__ == "__main__":
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "screenshots"
    for shot in take_screenshots(folder):
        print(shot)
