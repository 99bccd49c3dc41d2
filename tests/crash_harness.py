"""Killing builds while they write, and checking what a kill leaves behind.

Shared by ``tests/test_crash_safety.py`` (a bounded number of kills in the test suite) and
``benchmarks/soak_crash.py`` (hundreds). A site is built in two versions, A and B, whose every
page differs (site title, article bodies); each round switches the sources to one version,
starts the build in a subprocess, and sends SIGKILL at a random moment once it has started
writing. Afterwards every file of the output folder must be, byte for byte, that file of the
complete A build or of the complete B build; a later complete build must equal a clean build
of its version exactly, whatever kills came before.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NOW = "2024-01-01 08:00"
TEMPORARY = ".tmp"
"""Suffix of the half-written copies ``write.py`` renames into place (never a published name)."""
WRITE_WINDOW = 0.02
"""Seconds after the build starts moving files in within which aimed kills land: moving a
small site's files in takes a few milliseconds."""


@dataclass(frozen=True)
class Round:
    version: str
    delay: float
    finished: bool
    """The build ended before the kill arrived (a complete build, also checked)."""
    leftovers: int
    mixed: bool
    """The kill left pages of both versions: it landed while files were being replaced."""


BODY_ONLY = {"C": "A"}
"""Version C is version A with other article texts after the first paragraph: a change of
bodies only, which a build makes by its quick path (``pipeline._rebuild_edits``)."""
CARDS_ONLY = {"D": "A"}
"""Version D is version A with other article titles, and so other URLs: a change of what
cards show, which a build makes by its quick path for card edits (pages move)."""


def write_version(site_dir: Path, version: str, articles: int) -> None:
    """Sources of version A or B (everything a page shows differs between them), C or D."""
    base = BODY_ONLY.get(version, CARDS_ONLY.get(version, version))
    title = "Bản tin số" if version in CARDS_ONLY else "Bài số"
    (site_dir / "content" / "articles").mkdir(parents=True, exist_ok=True)
    config = (f'title = "Cổng thông tin phiên bản {base}"\n'
              'base_url = "https://xa.example.gov.vn/"\n\n[body]\nname = "Ủy ban nhân dân xã"\n')
    path = site_dir / "site.toml"
    if not path.is_file() or path.read_text(encoding="utf-8") != config:
        path.write_text(config, encoding="utf-8")  # untouched when the same, as an editor would
    lead = f"Nội dung phiên bản {base} của bài. " * 40
    paragraph = f"Nội dung phiên bản {CARDS_ONLY.get(version, version)} của bài. " * 40
    for number in range(articles):
        day = 1 + number % 28
        (site_dir / "content" / "articles" / f"bai-{number:04d}.md").write_text(
            f"---\ntitle: {title} {number}\ndate: 2023-03-{day:02d} 08:{number % 60:02d}\n"
            f"tags: [chủ đề {number % 7}]\n---\n\n{lead}\n\n{paragraph}\n",
            encoding="utf-8")


def command(site_dir: Path) -> list[str]:
    return [sys.executable, str(REPO / "build.py"), "build", "--site", str(site_dir), "--now",
            NOW]


def environment() -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("SOURCE_DATE_EPOCH", None)
    return env


def build_complete(site_dir: Path) -> subprocess.CompletedProcess:
    done = subprocess.run(command(site_dir), capture_output=True, text=True, env=environment(),
                          timeout=600, check=False)
    if done.returncode != 0 or "Traceback" in done.stderr:
        raise AssertionError(f"build failed ({done.returncode}):\n{done.stderr}")
    return done


def snapshot(output_dir: Path) -> dict[str, bytes]:
    return {p.relative_to(output_dir).as_posix(): p.read_bytes()
            for p in sorted(output_dir.rglob("*")) if p.is_file() and not p.is_symlink()}


def clean_builds(work: Path, articles: int,
                 versions: tuple[str, ...] = ("A", "B")) -> dict[str, dict[str, bytes]]:
    """Each version built once from nothing, in its own folder: the reference outputs."""
    outputs = {}
    for version in versions:
        site = work / f"clean-{version}"
        write_version(site, version, articles)
        build_complete(site)
        outputs[version] = snapshot(site / "_site")
    return outputs


def check_output(output_dir: Path, clean: dict[str, dict[str, bytes]]) -> tuple[int, bool]:
    """Every file is complete A or complete B; return how many temporary leftovers lie
    beside them (the next build removes those) and whether both versions are present."""
    leftovers = 0
    seen: set[str] = set()
    for rel, data in snapshot(output_dir).items():
        if rel.endswith(TEMPORARY) and Path(rel).name.startswith("."):
            leftovers += 1
            continue
        versions = [v for v, files in clean.items() if files.get(rel) == data]
        if not versions:
            known = [v for v, files in clean.items() if rel in files]
            raise AssertionError(f"{rel}: no complete version ({' nor '.join(clean)}) "
                                 f"(published by {known or 'neither'}, {len(data)} bytes)")
        if len(versions) == 1:
            seen.update(versions)
    return leftovers, len(seen) == 2


def check_repaired(output_dir: Path, expected: dict[str, bytes]) -> None:
    found = snapshot(output_dir)
    missing = sorted(set(expected) - set(found))
    extra = sorted(set(found) - set(expected))
    differ = sorted(rel for rel in set(found) & set(expected) if found[rel] != expected[rel])
    if missing or extra or differ:
        raise AssertionError(f"not repaired: missing {missing[:5]}, extra {extra[:5]}, "
                             f"different {differ[:5]}")


def writing_started(site_dir: Path, since_ns: int) -> bool:
    """A build started after ``since_ns`` has begun moving files into the output folder (its
    cache marks that moment; a killed build's mark stays, older)."""
    return any(marker.stat().st_mtime_ns >= since_ns
               for marker in (site_dir / ".portal-cache").glob("writing-*"))


def _modified_since(path: Path, since_ns: int) -> bool:
    try:
        return path.stat().st_mtime_ns >= since_ns
    except FileNotFoundError:
        return False


def check_leftovers(site_dir: Path) -> None:
    """After a complete build: no staging folder, no write marker, an intact cache."""
    staging = site_dir / "._site.staging"
    if staging.exists():
        raise AssertionError(f"{staging} left behind")
    cache = site_dir / ".portal-cache"
    if any(cache.glob("writing-*")):
        raise AssertionError("the build cache still marks a build as writing")
    with sqlite3.connect(cache / "build.sqlite") as db:
        result = db.execute("PRAGMA integrity_check").fetchone()[0]
    if result != "ok":
        raise AssertionError(f"build cache damaged: {result}")


def kill_during_write(site_dir: Path, rng: random.Random, window: float,
                      started: Callable[[], bool]) -> tuple[float, bool]:
    """Start a build; once ``started`` says so, wait a random part of ``window`` seconds and
    SIGKILL it. Say the delay and whether the build finished first."""
    process = subprocess.Popen(command(site_dir), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, env=environment())
    try:
        while not started() and process.poll() is None:
            time.sleep(0.001)
        delay = rng.uniform(0, window)
        time.sleep(delay)
        finished = process.poll() is not None
        if not finished:
            process.send_signal(signal.SIGKILL)
        _, stderr = process.communicate(timeout=600)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    if finished and (process.returncode != 0 or b"Traceback" in stderr):
        raise AssertionError(f"build failed ({process.returncode}):\n{stderr.decode()}")
    return delay, finished


def run_rounds(work: Path, kills: int, articles: int, seed: int,
               report: Callable[[int, Round], None] | None = None,
               versions: tuple[str, str] = ("B", "A")) -> list[Round]:
    """``kills`` rounds of kill-and-check on one site, alternating between ``versions``;
    every fourth round and the last are followed by a complete build of a random version
    that must equal its clean build. With a body-only version (C) the builds take the quick
    path: every kill lands anywhere after rendering began, within the time one takes."""
    rng = random.Random(seed)
    clean = clean_builds(work, articles, tuple(sorted(versions)))
    site = work / "site"
    quick = any(version in BODY_ONLY or version in CARDS_ONLY for version in versions)
    write_version(site, versions[1], articles)
    started = time.perf_counter()
    build_complete(site)
    whole = time.perf_counter() - started
    if quick:  # a quick build each way, timed; the site is back at versions[1]
        whole = 0.0
        for version in versions:
            write_version(site, version, articles)
            started = time.perf_counter()
            build_complete(site)
            whole = max(whole, time.perf_counter() - started)
    staging = site / "._site.staging"
    rounds = []
    for number in range(kills):
        version = versions[number % 2]
        write_version(site, version, articles)
        # Odd rounds kill anywhere after rendering began; even rounds aim at the moves into
        # the output folder (a small part of the build).
        if quick and number % 2:  # the quick path is short: anywhere in it, from the start
            delay, finished = kill_during_write(site, rng, whole, lambda: True)
        elif quick:  # or once it moved its first file in (the feed, first in order)
            since = time.time_ns()
            delay, finished = kill_during_write(
                site, rng, WRITE_WINDOW, lambda since=since: _modified_since(
                    site / "_site" / "atom.xml", since))
        elif number % 2:
            delay, finished = kill_during_write(site, rng, whole, staging.exists)
        else:
            since = time.time_ns()
            delay, finished = kill_during_write(site, rng, WRITE_WINDOW,
                                                lambda since=since: writing_started(site, since))
        done = Round(version, delay, finished, *check_output(site / "_site", clean))
        rounds.append(done)
        if report:
            report(number, done)
        if number % 4 == 3 or number == kills - 1:
            # Either version may come next: a rebuild back to the old sources after a kill
            # must repair the files the killed build had already replaced.
            repair = rng.choice(sorted(versions))
            write_version(site, repair, articles)
            build_complete(site)
            check_repaired(site / "_site", clean[repair])
            check_leftovers(site)
    return rounds


def remove(work: Path) -> None:
    shutil.rmtree(work, ignore_errors=True)


def run_first_build_rounds(work: Path, kills: int, articles: int, seed: int) -> list[Round]:
    """Kill first builds (no output folder yet, no cache): afterwards there is no output
    folder, or every file in it is that of the complete build; the next build completes it."""
    rng = random.Random(seed)
    started = time.perf_counter()
    clean = clean_builds(work, articles, ("A",))
    whole = time.perf_counter() - started
    site = work / "first"
    write_version(site, "A", articles)
    rounds = []
    for _ in range(kills):
        shutil.rmtree(site / "_site", ignore_errors=True)
        shutil.rmtree(site / ".portal-cache", ignore_errors=True)
        delay, finished = kill_during_write(site, rng, whole, lambda: True)
        leftovers = check_output(site / "_site", {"A": clean["A"]})[0] \
            if (site / "_site").exists() else 0
        rounds.append(Round("A", delay, finished, leftovers, False))
        build_complete(site)
        check_repaired(site / "_site", clean["A"])
        check_leftovers(site)
    return rounds
