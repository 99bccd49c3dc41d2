"""The orchestrator: the only module that knows every stage, and the order they run in.

load_config → discover_sources → read_source → build_site → plan_outputs → render_outputs →
build_search_index → write_output. Each stage collects its diagnostics; the build stops between
stages when any is an error, so nothing is written unless everything rendered.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from portal.config import SiteConfig, load_config
from portal.dates import DateFormatError, now_from_epoch, parse_now
from portal.discover import discover_sources
from portal.errors import BuildError, Diagnostic, UsageError
from portal.parse import read_source
from portal.plan import plan_outputs
from portal.render import render_outputs, theme_dirs
from portal.search import build_search_index
from portal.site import build_site
from portal.write import write_output

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class BuildOptions:
    site_dir: Path
    now: str | None = None
    output_dir: Path | None = None
    include_drafts: bool = False


@dataclass(frozen=True)
class BuildResult:
    output_dir: Path
    pages: int
    written: int
    unchanged: int
    removed: int
    warnings: tuple[Diagnostic, ...]
    seconds: float
    now: datetime
    stages: dict[str, float]
    """Seconds spent in each stage, for benchmarks and profiling."""


def resolve_now(config: SiteConfig, option: str | None, environ: Mapping[str, str]) -> datetime:
    """The build's "now": ``--now``, else ``SOURCE_DATE_EPOCH``, else the clock."""
    if option:
        try:
            return parse_now(option, config.timezone)
        except DateFormatError as exc:
            raise UsageError(f"--now: {exc}") from None
    epoch = environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        if not epoch.strip().isdigit():
            raise UsageError(f"SOURCE_DATE_EPOCH: expected whole seconds since 1970, got "
                             f"{epoch!r}")
        return now_from_epoch(epoch.strip(), config.timezone)
    return datetime.now(config.timezone)


def static_files(site_dir: Path) -> list[tuple[str, Path]]:
    """Theme assets to publish under ``static/``; the site's own files override the theme's."""
    found: dict[str, Path] = {}
    for folder in reversed(theme_dirs(site_dir, "static")):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                found["static/" + path.relative_to(folder).as_posix()] = path
    return sorted(found.items())


def build(options: BuildOptions, environ: Mapping[str, str] | None = None,
          progress: Progress | None = None) -> BuildResult:
    """Build the site; raise :class:`BuildError` (nothing written) when the sources are wrong."""
    started = time.perf_counter()
    clock = _StageClock()
    site_dir = options.site_dir.resolve()
    if not site_dir.is_dir():
        raise UsageError(f"{options.site_dir}: no such site folder")
    config = load_config(site_dir, options.output_dir)
    now = resolve_now(config, options.now, os.environ if environ is None else environ)

    clock.lap("config")
    diagnostics: list[Diagnostic] = []
    parsed = []
    for source in discover_sources(site_dir):
        item, found = read_source(source)
        diagnostics.extend(found)
        if item is not None:
            parsed.append(item)
    _stop_on_errors(diagnostics)
    clock.lap("parse")

    site, found = build_site(config, parsed, now, options.include_drafts)
    diagnostics.extend(found)
    _stop_on_errors(diagnostics)
    clock.lap("site")

    outputs, found = plan_outputs(site, static_files(site_dir))
    diagnostics.extend(found)
    _stop_on_errors(diagnostics)
    clock.lap("plan")

    rendered = render_outputs(site, outputs, (lambda d, t: progress("render", d, t))
                              if progress else None)
    clock.lap("render")
    rendered.update(build_search_index(outputs, rendered, config.language, config.cache_dir))
    clock.lap("search")
    copies = {o.path: o.source for o in outputs if o.kind == "copy" and o.source}
    report = write_output(config.output_dir, rendered, copies)
    clock.lap("write")
    return BuildResult(
        output_dir=config.output_dir,
        pages=sum(1 for o in outputs if o.kind == "page"),
        written=report.written,
        unchanged=report.unchanged,
        removed=report.removed,
        warnings=tuple(d for d in diagnostics if not d.is_error),
        seconds=time.perf_counter() - started,
        now=now,
        stages=clock.laps,
    )


class _StageClock:
    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self.last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.laps[stage] = now - self.last
        self.last = now


def _stop_on_errors(diagnostics: list[Diagnostic]) -> None:
    if any(d.is_error for d in diagnostics):
        raise BuildError(diagnostics)
