"""The output folder belongs to the publisher: untouched by failed builds, stale files removed,
rebuilds byte-identical."""

import fcntl
import io
import os
import subprocess
import sys
import threading
import time
from contextlib import contextmanager

import pytest
from conftest import NOW, REPO

import portal.folder_lock
from portal.cli import main
from portal.errors import BuildError, OutputError
from portal.folder_lock import lock_path
from portal.pipeline import BuildOptions, build
from portal.theme import THEME_DIR


def snapshot(folder):
    return {p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_failed_build_leaves_previous_output_exactly_as_it_was(site):
    site.article("a.md", "title: Bài A\ndate: 2023-03-02\n")
    site.article("b.md", "title: Bài B\ndate: 2023-03-03\n")
    site.build()
    before = snapshot(site.output)
    site.article("a.md", "title: Bài A đã sửa\ndate: 2023-03-02\n")
    site.article("b.md", "title: Bài B\ndate: 32/03/2023\n")
    with pytest.raises(BuildError):
        site.build()
    assert snapshot(site.output) == before


def test_failed_render_leaves_previous_output(site):
    site.article("a.md", "title: Bài A\ndate: 2023-03-02\n")
    site.build()
    before = snapshot(site.output)
    site.article("a.md", "title: Bài A mới\ndate: 2023-03-02\n", "[x](thieu.md)\n")
    with pytest.raises(BuildError):
        site.build()
    assert snapshot(site.output) == before


def test_files_no_longer_produced_are_removed(site):
    old = site.article("a.md", "title: Tên cũ\ndate: 2023-03-02\ntags: [thẻ cũ]\n")
    site.build()
    assert (site.output / "tin-tuc/ten-cu/index.html").is_file()
    assert (site.output / "the/the-cu/index.html").is_file()
    (site.output / "leftover.txt").write_text("x")
    old.unlink()
    site.article("b.md", "title: Tên mới\ndate: 2023-03-02\n")
    result = site.build()
    assert not (site.output / "tin-tuc/ten-cu").exists()
    assert not (site.output / "the").exists()
    assert not (site.output / "leftover.txt").exists()
    assert (site.output / "tin-tuc/ten-moi/index.html").is_file()
    # The old page, the tag page, leftover.txt, and the search-index files that changed.
    assert result.removed >= 3
    assert not [p for p in site.output.rglob("*") if "ten-cu" in p.as_posix()]


def test_unpublishing_removes_the_page(site):
    site.article("a.md", "title: Bài A\ndate: 2023-03-02\n")
    site.build()
    site.article("a.md", "title: Bài A\ndate: 2023-03-02\ndraft: true\n")
    site.build()
    assert not (site.output / "tin-tuc/bai-a").exists()


def test_same_inputs_and_now_give_byte_identical_output(site, make_site):
    site.article("a.md", "title: Bài A\ndate: 2023-03-02\ntags: [b, a, ă]\ncategory: X\n")
    site.article("b.md", "title: Bài B\ndate: 2023-03-02\ntags: [a]\n")
    site.build()
    first = site.files()
    other = make_site("copy")
    for path in (site.root / "content").rglob("*.md"):
        other.write(path.relative_to(site.root).as_posix(), path.read_text(encoding="utf-8"))
    other.build()
    # Pagefind writes its filter and metadata files in a varying order: a clean build in
    # another folder (with its own cache) matches everywhere else, and has the same index files.
    assert {k: v for k, v in other.files().items() if not k.startswith("pagefind/")} == \
        {k: v for k, v in first.items() if not k.startswith("pagefind/")}
    fragments = {k for k in first if k.startswith("pagefind/2023/fragment/")}
    assert len(fragments) == 2
    assert {k for k in other.files() if k.startswith("pagefind/2023/fragment/")} == fragments
    second = site.build()
    assert second.written == 0
    assert site.files() == first


def test_unchanged_files_are_not_rewritten(site):
    site.article("a.md", "title: Bài A\ndate: 2023-03-02\n")
    site.build()
    before = snapshot(site.output)
    site.article("b.md", "title: Bài B\ndate: 2023-01-01\n")
    site.build()
    after = snapshot(site.output)
    same_bytes = [rel for rel in before if rel in after and after[rel][0] == before[rel][0]]
    assert "static/img/emblem.svg" in same_bytes
    assert all(after[rel][1] == before[rel][1] for rel in same_bytes)
    # Article A now lists B under "Tin khác", so it was rewritten.
    assert after["tin-tuc/bai-a/index.html"][1] != before["tin-tuc/bai-a/index.html"][1]


def test_no_temporary_files_are_left_and_files_replace_folders(site):
    site.article("a.md", "title: Bài A\ndate: 2023-03-02\n")
    (site.output / "robots.txt").mkdir(parents=True)
    (site.output / "robots.txt" / "junk").write_text("x")
    site.build()
    assert (site.output / "robots.txt").is_file()
    leftovers = [p for p in site.output.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []


def test_output_is_readable_by_the_web_server(site):
    site.article("a.md", "title: Bài A\ndate: 2023-03-02\n")
    site.build()
    mode = os.stat(site.output / "index.html").st_mode & 0o777
    assert mode == 0o644


def test_published_files_are_readable_under_a_strict_umask(site):
    """An operator's umask 077 must not leave pages or folders the web server cannot read."""
    site.article("a.md", "title: Bài A\ndate: 2023-03-02\n")
    result = subprocess.run(
        [sys.executable, str(REPO / "build.py"), "build", "--site", str(site.root), "--now",
         "2024-01-01", "-q"], umask=0o077, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    def modes() -> dict[str, int]:
        return {p.relative_to(site.output).as_posix(): p.stat().st_mode & 0o777
                for p in [site.output, *site.output.rglob("*")]}

    first = modes()
    assert {"index.html", "tin-tuc/bai-a/index.html", "robots.txt"} <= set(first)
    assert {path for path, mode in first.items() if mode == 0o755} == {
        path for path in first if (site.output / path).is_dir()}
    assert {mode for path, mode in first.items() if (site.output / path).is_file()} == {0o644}
    site.article("b.md", "title: Bài B\ndate: 2023-03-03\n")  # a rebuild adds a folder
    result = subprocess.run(
        [sys.executable, str(REPO / "build.py"), "build", "--site", str(site.root), "--now",
         "2024-01-01", "-q"], umask=0o077, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert modes()["tin-tuc/bai-b"] == 0o755
    assert modes()["tin-tuc/bai-b/index.html"] == 0o644


def test_failed_build_leaves_no_staging_folder(site):
    site.article("a.md", "title: Bài A\ndate: 2023-03-02\n")
    site.build()
    site.write("templates/article.html", "{% extends 'base.html' %}{% block main %}"
                                         "{{ article.khong_co.x }}{% endblock %}")
    with pytest.raises(BuildError):
        site.build()
    assert sorted(p.name for p in site.root.iterdir()) == [
        ".portal-cache", "_site", "content", "site.toml", "templates"]


def test_template_error_in_parallel_render_is_reported_not_crashed(site, monkeypatch):
    import portal.render

    monkeypatch.setattr(portal.render, "PARALLEL_MINIMUM", 2)
    for index in range(6):
        site.article(f"a{index}.md", f"title: Bài {index}\ndate: 2023-03-0{index + 1}\n")
    site.write("templates/article.html", "{% extends 'base.html' %}{% block main %}\n"
                                         "{{ article.khong_co.x }}{% endblock %}")
    with pytest.raises(BuildError) as info:
        site.build()
    messages = {str(d) for d in info.value.diagnostics}
    assert len(messages) == 1
    assert messages.pop().startswith(
        "templates/article.html:2: template error while making tin-tuc/bai-")


def test_parallel_render_equals_sequential_render(site, make_site, monkeypatch):
    import portal.ahead
    import portal.parallel
    import portal.render

    for index in range(8):
        site.article(f"a{index}.md", f"title: Bài {index}\ndate: 2023-03-0{index + 1}\n"
                     f"tags: [thẻ {index % 3}]\n", f"Nội dung {index}.\n")
    site.build()
    sequential = site.files()
    monkeypatch.setattr(portal.render, "PARALLEL_MINIMUM", 2)
    monkeypatch.setattr(portal.parallel, "PARALLEL_MINIMUM", 2)
    monkeypatch.setattr(portal.ahead, "MINIMUM", 2)
    other = make_site("parallel")
    for path in (site.root / "content").rglob("*.md"):
        other.write(path.relative_to(site.root).as_posix(), path.read_text(encoding="utf-8"))
    other.build()
    assert {k: v for k, v in other.files().items() if not k.startswith("pagefind/")} == \
        {k: v for k, v in sequential.items() if not k.startswith("pagefind/")}


def test_an_override_with_an_older_macro_signature_is_a_template_error(site):
    """A site's copy of ``partials/macros.html`` from an older theme, whose ``news_list`` took
    no item function: the theme's sidebar calls it with three arguments."""
    site.article("a.md", "title: Bài một\ndate: 2023-03-01\n")
    site.write("templates/partials/macros.html",
               "{% macro news_list(t, articles) -%}\n<ul></ul>\n{%- endmacro %}\n")
    with pytest.raises(BuildError) as info:
        site.build()
    messages = sorted({str(d) for d in info.value.diagnostics})
    sidebar = (THEME_DIR / "templates/partials/sidebar.html").as_posix()
    assert messages == [
        f"{sidebar}:13: template error while making index.html: expected a template that "
        "renders, got TypeError: macro 'news_list' takes not more than 2 argument(s)"]


def article_template_errors(site, expression: str) -> list[str]:
    """The errors of a build whose article template shows ``expression`` on its line 2."""
    site.article("a.md", "title: Bài một\ndate: 2023-03-01\n")
    site.write("templates/article.html", "{% extends 'base.html' %}{% block main %}\n"
                                         f"{{{{ {expression} }}}}{{% endblock %}}")
    with pytest.raises(BuildError) as info:
        site.build()
    return [str(d) for d in info.value.diagnostics]


def test_a_template_expression_that_fails_names_its_line(site):
    assert article_template_errors(site, "1 // (article.title|length - 7)") == [
        "templates/article.html:2: template error while making tin-tuc/bai-mot/index.html: "
        "expected a template that renders, got ZeroDivisionError: integer division or modulo "
        "by zero"]


def test_an_error_in_the_publishers_own_code_is_not_blamed_on_a_template(site, monkeypatch):
    """A function the templates call (here the article's structured data) that fails is a
    fault of the publisher: its traceback goes on, not a template error."""
    import portal.render
    from portal.vietnamese import slugify

    # The fault raised inside the publisher's code (slugify given no text).
    monkeypatch.setattr(portal.render, "news_article", lambda *args: slugify(None))
    site.article("a.md", "title: Bài một\ndate: 2023-03-01\n")
    with pytest.raises(AttributeError, match="'NoneType' object has no attribute 'translate'"):
        site.build()


def test_an_error_raised_for_a_template_by_what_it_calls_names_its_line(site):
    """Raised inside Markup's formatting on the template's behalf: still the template's."""
    assert article_template_errors(site, "('%s và %s'|safe) % 'một'") == [
        "templates/article.html:2: template error while making tin-tuc/bai-mot/index.html: "
        "expected a template that renders, got TypeError: not enough arguments for format "
        "string"]


# ---- One build at a time per output folder ----

@contextmanager
def folder_held(site):
    """The output folder's lock held as another build would hold it."""
    path = lock_path(site.output, site.root / ".portal-cache")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = os.open(path, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)


def test_a_build_waits_for_another_build_writing_the_same_folder(site):
    site.article("a.md", "title: Bài A\ndate: 2023-03-02\n")
    out, err = io.StringIO(), io.StringIO()
    with folder_held(site):
        builder = threading.Thread(target=lambda: main(
            ["build", "--site", str(site.root), "--now", NOW], stdout=out, stderr=err))
        builder.start()
        for _ in range(100):
            if err.getvalue():
                break
            time.sleep(0.05)
        assert err.getvalue() == f"waiting for another build writing {site.output} to finish …\n"
        assert builder.is_alive() and not site.output.exists()  # nothing read or written yet
    builder.join(60)
    assert out.getvalue().startswith("Built ") and site.read("index.html")


def test_a_build_stops_when_another_build_keeps_the_folder(site, monkeypatch):
    site.article("a.md", "title: Bài A\ndate: 2023-03-02\n")
    site.build()
    before = snapshot(site.output)
    site.article("a.md", "title: Bài A đã sửa\ndate: 2023-03-02\n")
    monkeypatch.setattr(portal.folder_lock, "LOCK_WAIT", 1.0)
    notes = []
    with folder_held(site), pytest.raises(OutputError) as caught:
        build(BuildOptions(site_dir=site.root, now=NOW), environ={}, waiting=notes.append)
    assert str(caught.value) == (
        f"{site.output}: the output folder is in use: expected it free within 1 s, got another "
        "build still writing it (let it finish, or build into another --output)")
    assert notes == [f"waiting for another build writing {site.output} to finish …"]
    assert snapshot(site.output) == before
    assert "Bài A đã sửa" in site.build().site.articles[0].title  # the lock went with the wait


def test_two_builds_of_one_folder_at_once_both_succeed_and_leave_a_clean_build(site):
    """Without the lock the second build empties the first one's staging folder while it
    renders (``FileNotFoundError``, or pages missing from the output)."""
    for number in range(120):
        site.article(f"bai-{number}.md", f"title: Bài số {number}\ndate: 2023-03-02\n",
                     "Đoạn văn.\n\n" * 20)
    command = [sys.executable, str(REPO / "build.py"), "build", "--site", str(site.root),
               "--now", NOW, "--no-search", "--clean"]
    for _ in range(3):
        builds = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True) for _ in range(2)]
        results = [b.communicate(timeout=120) for b in builds]
        assert [b.returncode for b in builds] == [0, 0], results
    clean = site.root / "clean"
    build(BuildOptions(site_dir=site.root, now=NOW, output_dir=clean, search=False, clean=True),
          environ={})
    assert {k: v for k, (v, _) in snapshot(site.output).items()} == \
        {k: v for k, (v, _) in snapshot(clean).items()}


def test_without_flock_a_build_goes_on_without_the_lock(site, monkeypatch):
    """A system without ``flock`` (Windows) builds as before, without keeping builds apart."""
    monkeypatch.setattr(portal.folder_lock, "fcntl", None)
    site.article("a.md", "title: Bài A\ndate: 2023-03-02\n")
    site.build()
    assert site.read("index.html")
    assert not (site.root / ".portal-cache" / portal.folder_lock.LOCKS_FOLDER).exists()
