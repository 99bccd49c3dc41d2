"""Compiled templates: the default theme's kept per user and engine, a site's own per site."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import jinja2
import pytest

import portal.compiled
from portal.compiled import CompiledTemplates, engine_templates_dir, user_cache_dir
from portal.engine import engine_version

ENGINE = f"templates-{engine_version()}-{sys.implementation.cache_tag}"
"""This engine's folder in the user's cache (per Python too: its entries hold bytecode)."""


@pytest.fixture
def user_cache(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    return tmp_path / "user-cache" / "portal-publisher"


@pytest.fixture
def compiles(monkeypatch) -> list[str]:
    """The names of the templates Jinja2 compiles from source."""
    names: list[str] = []
    real = jinja2.Environment.compile

    def compile(self, source, name=None, filename=None, raw=False, defer_init=False):
        names.append(name)
        return real(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(jinja2.Environment, "compile", compile)
    return names


def compiled_in(folder: Path) -> list[Path]:
    """The compiled templates in ``folder`` (the engine's folder also keeps compressed sizes:
    ``weight.py``)."""
    return [p for p in folder.iterdir() if p.name.startswith("__jinja2_")]


def test_the_theme_is_compiled_once_for_every_site_and_a_sites_own_template_for_it(
        make_site, user_cache, compiles):
    first = make_site("mot")
    first.article("a.md", "title: Bài A\ndate: 2023-03-02\n")
    first.build()
    assert "article.html" in compiles and "base.html" in compiles
    engine = user_cache / ENGINE
    assert len(compiled_in(engine)) == len(set(compiles))
    assert not any((first.root / ".portal-cache" / "templates").iterdir())

    compiles.clear()
    second = make_site("hai")
    second.write("templates/partials/footer.html", "<footer>Chân trang xã Hai</footer>\n")
    second.article("b.md", "title: Bài B\ndate: 2023-03-02\n")
    second.build()
    assert compiles == ["partials/footer.html"]
    assert len(list((second.root / ".portal-cache" / "templates").iterdir())) == 1
    assert "Chân trang xã Hai" in second.read("tin-tuc/bai-b/index.html")

    compiles.clear()  # the site's template edited: compiled again, from its new text
    second.write("templates/partials/footer.html", "<footer>Chân trang đã sửa</footer>\n")
    second.build(clean=True)
    assert compiles == ["partials/footer.html"]
    assert "Chân trang đã sửa" in second.read("tin-tuc/bai-b/index.html")


def test_a_theme_file_changed_since_it_was_compiled_is_compiled_again(tmp_path: Path):
    """Entries are checked against the source they came from: a theme edited in place (a
    working copy of the publisher) is never served from its old compiled form."""
    theme, own = tmp_path / "theme", tmp_path / "site-templates"
    theme.mkdir()
    own.mkdir()
    (theme / "page.html").write_text("<p>Bản một</p>", encoding="utf-8")
    (own / "other.html").write_text("<p>Của trang</p>", encoding="utf-8")

    def render(name: str) -> str:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader([str(own), str(theme)]),
            bytecode_cache=CompiledTemplates(tmp_path / "site-cache", theme,
                                             tmp_path / "engine"),
            auto_reload=False)
        return env.get_template(name).render()

    (tmp_path / "engine").mkdir()
    assert render("page.html") == "<p>Bản một</p>"
    assert render("other.html") == "<p>Của trang</p>"
    assert len(list((tmp_path / "engine").iterdir())) == 1
    assert len(list((tmp_path / "site-cache").iterdir())) == 1
    (theme / "page.html").write_text("<p>Bản hai</p>", encoding="utf-8")
    assert render("page.html") == "<p>Bản hai</p>"


def test_without_a_writable_user_cache_the_theme_is_compiled_into_the_site_cache(
        site, tmp_path: Path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    site.article("a.md", "title: Bài A\ndate: 2023-03-02\n")
    site.build()
    assert "Bài A" in site.read("tin-tuc/bai-a/index.html")
    assert any((site.root / ".portal-cache" / "templates").iterdir())


def test_another_versions_compiled_theme_is_removed_once_unused_for_a_week(site,
                                                                           user_cache: Path):
    """Two versions in use on one machine keep their folders; a version left behind does
    not keep its folder for ever."""
    stale, recent = user_cache / "templates-0123456789abcdef", user_cache / "templates-fedcba"
    for folder in (stale, recent):
        folder.mkdir(parents=True)
        (folder / "__jinja2_cu.cache").write_bytes(b"x")
    eight_days_ago = time.time() - 8 * 86_400
    os.utime(stale, (eight_days_ago, eight_days_ago))
    site.article("a.md", "title: Bài A\ndate: 2023-03-02\n")
    site.build()
    assert sorted(p.name for p in user_cache.iterdir()) == sorted([ENGINE, "templates-fedcba"])
    ours = user_cache / ENGINE
    os.utime(ours, (eight_days_ago, eight_days_ago))
    site.build(clean=True)  # a build marks its version's folder as used
    assert ours.stat().st_mtime > eight_days_ago + 86_400


def test_the_user_cache_follows_xdg_rules(tmp_path: Path, monkeypatch):
    assert user_cache_dir({"XDG_CACHE_HOME": "/var/cache/bien-tap"}) == \
        Path("/var/cache/bien-tap/portal-publisher")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert user_cache_dir({"XDG_CACHE_HOME": "tuong-doi"}) == \
        tmp_path / ".cache" / "portal-publisher"  # a relative value is ignored, as XDG says
    assert user_cache_dir({}) == tmp_path / ".cache" / "portal-publisher"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert engine_templates_dir("abc") == \
        tmp_path / "x" / "portal-publisher" / f"templates-abc-{sys.implementation.cache_tag}"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", "tuong-doi")
    assert user_cache_dir({}) is None  # not a folder under wherever the build runs


def test_a_user_cache_that_refuses_entries_leaves_them_in_the_site_cache(
        site, user_cache: Path, compiles, monkeypatch):
    """An existing folder that cannot be written (read-only, another account's): the theme
    is compiled into the site's cache, and read from there by the next build."""
    real = portal.compiled._Folder.dump_bytecode

    def refuse_engine(self, bucket):
        if str(user_cache) in self.directory:
            raise PermissionError(13, "Permission denied")
        return real(self, bucket)

    monkeypatch.setattr(portal.compiled._Folder, "dump_bytecode", refuse_engine)
    site.article("a.md", "title: Bài A\ndate: 2023-03-02\n")
    site.build()
    assert "base.html" in compiles
    assert compiled_in(user_cache / ENGINE) == []
    assert len(list((site.root / ".portal-cache" / "templates").iterdir())) == len(set(compiles))
    compiles.clear()
    site.article("a.md", "title: Bài A\ndate: 2023-03-02\n", "Đoạn khác.\n")
    site.build()
    assert compiles == []
    assert "Đoạn khác." in site.read("tin-tuc/bai-a/index.html")
