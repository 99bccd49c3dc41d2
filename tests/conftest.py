"""Shared fixtures: small sites written into ``tmp_path`` and built in-process."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from browser import CHROMIUM_ARGS, chromium_path, serve
from golden_site import build_sample

from portal.pipeline import BuildOptions, BuildResult, build

REPO = Path(__file__).resolve().parent.parent
NOW = "2024-01-01 08:00"

MINIMAL_CONFIG = """\
title = "Cổng thông tin điện tử xã Thử Nghiệm"
base_url = "https://xa.example.gov.vn/"

[body]
name = "Ủy ban nhân dân xã Thử Nghiệm"
"""


class SiteFolder:
    """A throwaway site: write files, build, read the output."""

    def __init__(self, root: Path):
        self.root = root
        self.output = root / "_site"

    def write(self, rel: str, text: str) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    def article(self, name: str, front: str, body: str = "Đoạn mở đầu.\n") -> Path:
        return self.write(f"content/articles/{name}",
                          "---\n" + textwrap.dedent(front).strip("\n") + "\n---\n\n"
                          + textwrap.dedent(body).lstrip("\n"))

    def build(self, now: str = NOW, **options) -> BuildResult:
        return build(BuildOptions(site_dir=self.root, now=now, **options), environ={})

    def read(self, rel: str) -> str:
        return (self.output / rel).read_text(encoding="utf-8")

    def files(self) -> dict[str, bytes]:
        return {p.relative_to(self.output).as_posix(): p.read_bytes()
                for p in sorted(self.output.rglob("*")) if p.is_file()}


@pytest.fixture(scope="session", autouse=True)
def user_cache(tmp_path_factory) -> Iterator[Path]:
    """The user's cache (the compiled theme, ``portal/compiled.py``) of this test run, not the
    home folder's; shared by the run's builds, as by a user's."""
    folder = tmp_path_factory.mktemp("user-cache")
    before = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(folder)
    yield folder
    if before is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = before


@pytest.fixture
def site(tmp_path: Path) -> SiteFolder:
    folder = SiteFolder(tmp_path / "site")
    folder.write("site.toml", MINIMAL_CONFIG)
    return folder


@pytest.fixture
def make_site(tmp_path: Path) -> Callable[[str], SiteFolder]:
    def make(name: str) -> SiteFolder:
        folder = SiteFolder(tmp_path / name)
        folder.write("site.toml", MINIMAL_CONFIG)
        return folder

    return make


# ---- Browser fixtures: the sample site built once, served on loopback, Debian's Chromium ----

@pytest.fixture(scope="session")
def base_url(tmp_path_factory):
    out = tmp_path_factory.mktemp("browser") / "site"
    build_sample(out)
    with serve(out) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    executable = chromium_path()
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed: apt-get install -y chromium")
        pytest.skip("Chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()
