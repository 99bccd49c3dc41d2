"""``serve``: the live preview. A real server in a subprocess, driven over HTTP and in Chromium.

Every wait here is for an event (a status change, a text on the page), with a deadline; none
is a fixed sleep.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from portal.errors import UsageError
from portal.serve import ServeOptions, preview_folder

REPO = Path(__file__).resolve().parent.parent
DEADLINE = 60.0


@contextmanager
def running_serve(site_root: Path, *extra: str) -> Iterator[str]:
    """``python build.py serve --port 0`` on the site; yields its URL once it listens."""
    process = subprocess.Popen(
        [sys.executable, str(REPO / "build.py"), "serve", "--site", str(site_root),
         "--port", "0", "--now", "2024-01-01 08:00", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        line = process.stdout.readline()
        assert line.startswith("Serving the preview of "), line + process.stderr.read()
        yield line.split(" at ", 1)[1].split(" ", 1)[0]
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        process.stdout.close()
        process.stderr.close()


def status(url: str) -> dict:
    with urllib.request.urlopen(url + "__portal__/status.json", timeout=10) as response:
        return json.load(response)


def wait_for(condition: Callable[[], object], what: str) -> object:
    """Poll ``condition`` until it is truthy; fail naming ``what`` after the deadline."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def test_serve_never_builds_into_the_deploy_folder(site):
    with pytest.raises(UsageError) as caught:
        preview_folder(ServeOptions(site_dir=site.root, output_dir=site.root / "_site"))
    assert str(caught.value) == (
        f"--output {site.root / '_site'}: expected a preview folder, got the deploy folder "
        "(output_dir of site.toml); serve never writes there")


def test_the_preview_is_built_in_the_cache_and_injects_the_live_client(site):
    site.article("tin.md", "title: Tin thử\ndate: 2023-12-01")
    with running_serve(site.root) as url:
        assert status(url)["ok"] is True
        with urllib.request.urlopen(url + "tin-tuc/tin-thu/", timeout=10) as response:
            html = response.read().decode()
        assert '<script src="/__portal__/client.js" defer></script></head>' in html
        assert "Tin thử" in html
        assert f'<link rel="canonical" href="{url}tin-tuc/tin-thu/">' in html
    assert (site.root / ".portal-cache/preview/tin-tuc/tin-thu/index.html").is_file()
    assert not site.output.exists(), "serve must not touch the deploy folder"


def test_a_burst_of_twenty_writes_triggers_one_rebuild(site):
    site.article("dau.md", "title: Tin đầu\ndate: 2023-12-01")
    with running_serve(site.root) as url:
        assert status(url)["builds"] == 1
        names = [f"content/articles/tin-{n:02}.md" for n in range(20)]
        for n, name in enumerate(names):
            site.write(name, f"---\ntitle: Tin số {n}\ndate: 2023-12-02\n---\n\nNội dung.\n")
        after_burst = wait_for(lambda: (s := status(url))["builds"] >= 2 and s, "a rebuild")
        assert after_burst["builds"] == 2
        assert after_burst["changed"] == names
        assert after_burst["ok"] is True
        # The next save is a rebuild of its own: the burst was wholly consumed by one.
        site.write("content/articles/dau.md",
                   "---\ntitle: Tin đầu đã sửa\ndate: 2023-12-01\n---\n\nNội dung.\n")
        later = wait_for(lambda: (s := status(url))["builds"] >= 3 and s, "a second rebuild")
        assert (later["builds"], later["changed"]) == (3, ["content/articles/dau.md"])


def test_a_site_toml_change_rebuilds(site):
    with running_serve(site.root) as url:
        config = (site.root / "site.toml").read_text(encoding="utf-8")
        site.write("site.toml", config.replace("xã Thử Nghiệm\"", "xã Thử Nghiệm Mới\"", 1))
        rebuilt = wait_for(lambda: (s := status(url))["builds"] >= 2 and s, "a rebuild")
        assert rebuilt["changed"] == ["site.toml"]
        with urllib.request.urlopen(url, timeout=10) as response:
            assert "xã Thử Nghiệm Mới" in response.read().decode()


@pytest.mark.browser
def test_edit_break_and_fix_in_the_browser(site, page):
    source = site.article("tin.md", "title: Tin thử nghiệm\ndate: 2023-12-01",
                          "Nội dung ban đầu.\n")
    with running_serve(site.root) as url:
        page.goto(url + "tin-tuc/tin-thu-nghiem/")
        page.wait_for_function("() => window.LiveReload !== undefined")
        page.get_by_text("Nội dung ban đầu.").wait_for()

        source.write_text("---\ntitle: Tin thử nghiệm\ndate: 2023-12-01\n---\n\n"
                          "Nội dung đã sửa.\n", encoding="utf-8")
        page.get_by_text("Nội dung đã sửa.").wait_for(timeout=DEADLINE * 1000)

        source.write_text("---\ntitle: Tin thử nghiệm\ndate: 31/02/2023\n---\n\n"
                          "Nội dung hỏng.\n", encoding="utf-8")
        overlay = page.locator("#portal-build-errors")
        overlay.wait_for(timeout=DEADLINE * 1000)
        assert overlay.get_attribute("role") == "alert"
        assert ("content/articles/tin.md:3: wrong value for 'date': expected a date like "
                "2023-03-09, 2023-03-09 08:30 or 09/03/2023, got '31/02/2023' (no such day or "
                "time)") in overlay.inner_text()
        assert page.get_by_text("Nội dung đã sửa.").is_visible()  # the last good page

        source.write_text("---\ntitle: Tin thử nghiệm\ndate: 2023-12-01\n---\n\n"
                          "Nội dung đã sửa lại.\n", encoding="utf-8")
        page.get_by_text("Nội dung đã sửa lại.").wait_for(timeout=DEADLINE * 1000)
        assert overlay.count() == 0


def test_the_ratings_service_runs_beside_the_preview_on_its_origin(site):
    config = (site.root / "site.toml").read_text(encoding="utf-8")
    site.write("site.toml", config + '\n[ratings]\nendpoint = "/api/ratings/"\n')
    site.article("tin.md", "title: Tin thử\ndate: 2023-12-01")
    with running_serve(site.root) as url:
        origin = url.rstrip("/")
        vote = urllib.request.Request(
            url + "api/ratings/votes", method="POST",
            data=json.dumps({"article": "tin-thu", "stars": 4}).encode(),
            headers={"Content-Type": "application/json", "Origin": origin})
        with urllib.request.urlopen(vote, timeout=10) as response:
            assert json.load(response) == {"article": "tin-thu", "stars": 4, "average": 4.0,
                                           "votes": 1}
            assert "portal_voter=" in response.headers["Set-Cookie"]
        with urllib.request.urlopen(url + "api/ratings/scores/tin-thu", timeout=10) as answer:
            assert json.load(answer) == {"article": "tin-thu", "average": 4.0, "votes": 1}
    assert (site.root / ".portal-cache/preview-ratings.sqlite3").is_file()
    assert not (site.root / "ratings.sqlite3").exists(), "trial votes stay out of the real store"


def test_the_terminal_lists_a_failed_build_and_its_errors(site):
    site.article("tin.md", "title: Tin thử\ndate: 31/02/2023")
    process = subprocess.Popen(
        [sys.executable, str(REPO / "build.py"), "serve", "--site", str(site.root), "--port",
         "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        url = process.stdout.readline().split(" at ", 1)[1].split(" ", 1)[0]
        assert status(url)["ok"] is False
    finally:
        process.terminate()
        _, errors = process.communicate(timeout=10)
    assert errors.splitlines()[:2] == [
        "content/articles/tin.md:3: wrong value for 'date': expected a date like 2023-03-09, "
        "2023-03-09 08:30 or 09/03/2023, got '31/02/2023' (no such day or time)",
        "Build failed: the last good pages are still served, with the errors shown on them."]


def test_a_port_in_use_is_a_clear_error(site, capsys):
    import socket

    from portal.cli import main

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--site", str(site.root), "--port", str(port)]) == 1
    assert capsys.readouterr().err == (
        f"error: cannot listen on 127.0.0.1:{port}: Address already in use\n")


def test_a_defect_during_a_rebuild_is_reported_and_the_preview_goes_on(site, monkeypatch):
    from portal import serve

    lines: list[str] = []
    previewer = serve.Previewer(ServeOptions(site_dir=site.root), site.root / "preview",
                                lines.append)

    def broken(options):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(serve, "build", broken)
    status_after = previewer.rebuild({"content/articles/a.md"})
    assert (status_after.ok, status_after.errors) == (False, (
        "internal error: ZeroDivisionError: division by zero (this is a defect of the "
        "publisher: please report it with the file you changed)",))
    assert lines[-1] == ("Build failed: the last good pages are still served, with the "
                         "errors shown on them.")
    monkeypatch.undo()
    assert previewer.rebuild({"content/articles/a.md"}).ok is True
