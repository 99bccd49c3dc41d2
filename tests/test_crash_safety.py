"""Crash safety: a build killed (SIGKILL) at random moments while it writes leaves every output
file complete, old or new, and the next build repairs everything.

The harness is ``crash_harness.py``; ``benchmarks/soak_crash.py`` runs it for hundreds of kills.
"""

from __future__ import annotations

import pytest
from crash_harness import run_first_build_rounds, run_rounds

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
