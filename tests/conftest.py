"""Shared fixtures: small sites written into ``tmp_path`` and built in-process."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

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
