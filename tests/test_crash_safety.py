"""Crash safety: a build killed (SIGKILL) at random moments while it writes leaves every output
file complete, old or new, and the next build repairs everything.

The harness is ``crash_harness.py``; ``benchmarks/soak_crash.py`` runs it for hundreds of kills.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import time

import pytest
from crash_harness import (
    build_complete,
    command,
    environment,
    run_first_build_rounds,
    run_rounds,
    snapshot,
)
from photos import make_photo

import portal.pipeline

KILLS = 16
ARTICLES = 100
SEED = 20240101


def test_killed_builds_leave_complete_files_and_the_next_build_repairs_them(tmp_path):
    rounds = run_rounds(tmp_path, kills=KILLS, articles=ARTICLES, seed=SEED)
    assert len(rounds) == KILLS
    killed = [r for r in rounds if not r.finished]
    assert len(killed) >= KILLS // 2, rounds
    # Aimed kills land while files are being replaced: the output then holds pages of both
    # versions, each of them whole (checked inside run_rounds), and is repaired afterwards.
    assert any(r.mixed for r in rounds), rounds


def test_killed_quick_builds_of_body_edits_leave_complete_files_and_are_repaired(tmp_path):
    """Versions A and C differ in article texts only: builds take the quick path (saved
    model, snapshot), and kills land in it; the next build must not trust either."""
    rounds = run_rounds(tmp_path, kills=KILLS, articles=ARTICLES, seed=SEED,
                        versions=("C", "A"))
    # A quick build is short: some finish before their kill (about 4 in 10 in the soak).
    assert len([r for r in rounds if not r.finished]) >= KILLS // 4, rounds
    assert any(r.mixed for r in rounds), rounds  # killed while it moved pages in


def test_killed_quick_builds_of_card_edits_leave_complete_files_and_are_repaired(tmp_path):
    """Versions A and D differ in article titles only: builds take the quick path for card
    edits (every page moves, every listing changes), and kills land in it."""
    rounds = run_rounds(tmp_path, kills=KILLS, articles=ARTICLES, seed=SEED,
                        versions=("D", "A"))
    assert len([r for r in rounds if not r.finished]) >= KILLS // 4, rounds
    assert any(r.mixed for r in rounds), rounds


def test_a_build_stopped_after_moving_files_in_does_not_fool_the_next_one(site, monkeypatch):
    """The deterministic core of the case above: the new pages are in place but the build
    cache still describes the old ones; going back to the old sources must not keep them."""
    site.article("bai.md", "title: Bài\ndate: 2023-03-09", "Phiên bản cũ.\n")
    site.build()
    old = site.files()
    site.article("bai.md", "title: Bài\ndate: 2023-03-09", "Phiên bản mới.\n")
    real_write = portal.pipeline.write_output

    def write_then_die(*args, **kwargs):
        real_write(*args, **kwargs)
        raise KeyboardInterrupt  # stands for SIGKILL: nothing after the move runs

    monkeypatch.setattr(portal.pipeline, "write_output", write_then_die)
    with pytest.raises(KeyboardInterrupt):
        site.build()
    assert "Phiên bản mới." in site.read("tin-tuc/bai/index.html")
    monkeypatch.setattr(portal.pipeline, "write_output", real_write)
    site.article("bai.md", "title: Bài\ndate: 2023-03-09", "Phiên bản cũ.\n")
    site.build()
    assert site.files() == old


def test_killed_first_builds_leave_no_partial_files(tmp_path):
    rounds = run_first_build_rounds(tmp_path, kills=4, articles=40, seed=SEED)
    assert any(not r.finished for r in rounds), rounds


def test_killed_image_work_leaves_the_image_cache_usable(tmp_path):
    """SIGKILL the whole build (workers included) while photos are being encoded, several
    times; the cache then holds only finished entries or leftovers the next build prunes, and
    the repaired output equals a build from an empty cache."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "site.toml").write_text('title = "Xã Thử"\nbase_url = "https://xa.example.gov.vn/"\n'
                                    '\n[body]\nname = "UBND xã Thử"\n', encoding="utf-8")
    album = site / "content" / "albums" / "le-hoi"
    for n in range(8):
        make_photo(album / f"anh-{n}.jpg", (1800, 1200), n)
    (album / "index.md").write_text("---\ntitle: Lễ hội\ndate: 2023-05-01\n---\n\nẢnh.\n",
                                    encoding="utf-8")
    images = site / ".portal-cache" / "images"
    rng = random.Random(7)
    killed = 0
    for _ in range(4):
        process = subprocess.Popen([*command(site), "--no-search", "-q"], env=environment(),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None and not (
                images.is_dir() and any(images.rglob(".*"))):
            time.sleep(0.01)  # until a worker has begun writing a cache entry
        time.sleep(rng.uniform(0, 0.3))
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            killed += 1
        process.wait()
        for entry in (p for p in images.glob("*/*") if not p.name.startswith(".")):
            assert (entry / "done").is_file(), f"unfinished cache entry {entry}"
    assert killed, "no kill landed during image work"

    build_complete(site)
    assert not [p for p in images.glob("*/*") if p.name.startswith(".")], "leftovers kept"
    fresh = tmp_path / "fresh"
    shutil.copytree(site, fresh, ignore=shutil.ignore_patterns(".portal-cache", "_site"))
    build_complete(fresh)
    assert snapshot(site / "_site") == snapshot(fresh / "_site")
