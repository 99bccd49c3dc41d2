"""The orchestrator: the only module that knows every stage, and the order they run in.

load_config → discover_sources → read_source → build_site → plan_outputs → render_outputs →
build_search_index → write_output. Each stage collects its diagnostics; the build stops between
stages when any is an error, so nothing is written unless everything rendered.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from portal import cache as build_cache
from portal.ahead import ForkedMap, worker_count
from portal.assets import AssetPlan, collect_static, plan_assets
from portal.cache import (
    BuildCache,
    is_busy,
    markdown_key,
    pack_parse,
    stat_key,
    unpack_parse,
)
from portal.collector import collector_paused
from portal.config import CONFIG_FILE, SiteConfig, load_config, toml_line_finder
from portal.dates import DateFormatError, now_from_epoch, parse_now
from portal.discover import SourceFile, discover_sources
from portal.engine import engine_version
from portal.errors import BuildError, Diagnostic, OutputError, UsageError
from portal.folder_lock import lock_folder, release_folder
from portal.images.cache import image_cache_dir, prune_image_cache
from portal.parse import ParsedSource, read_source
from portal.snapshot import (
    RACY_SECONDS,
    Inputs,
    OutputListing,
    Report,
    Snapshot,
    list_inputs,
    list_output,
    meta_digest,
    relist_output,
    structure_digest,
)
from portal.theme import THEME_DIR, theme_dirs
from portal.write import (
    Staging,
    output_error,
    remove_files,
    stage_file,
    staging_for,
    write_output,
)

if TYPE_CHECKING:
    # The later stages' modules are imported by the functions that use them: a first build
    # imports them while its sources are parsed in forked processes (``_prepare_stages``).
    from portal.bodies import SafeBody
    from portal.fingerprint import Fingerprints
    from portal.images.process import ImageWork
    from portal.images.settings import ImageReport
    from portal.model import ScheduledChange, Site
    from portal.model_store import SavedModel
    from portal.plan import Output
    from portal.search import SearchIndex
    from portal.weight import PageWeight

Progress = Callable[[str, int, int], None]
OVERLAP_PAGES = 50_000
"""Up to this many pages, a first build takes its fingerprints while the worker processes
render (0.15–0.3 s less at 10,000 articles). Beyond, before they start: the build's process
reading every article while the workers share its memory makes its own copy of each memory
page it touches (reference counts are written), and at 100,000 articles the process tree's
peak grew by 300 MB (2,217 against 1,921 MiB without search, the main process and the first
two render workers)."""


@dataclass(frozen=True)
class BuildOptions:
    site_dir: Path
    now: str | None = None
    output_dir: Path | None = None
    include_drafts: bool = False
    clean: bool = False
    """Ignore the build cache: parse, render and compare everything again."""
    search: bool = True
    """Build the search index (off for quick previews and like-for-like benchmarks)."""
    base_url: str | None = None
    """Publish for this address instead of ``base_url`` of site.toml (preview deployments)."""
    precompress: bool = False
    """Write ``.gz`` and ``.br`` siblings of text files for hosts that serve them."""
    shortcut: bool = True
    """Stop at once when nothing the build reads changed since the last build into the same
    folder (``snapshot.py``). ``check`` and ``serve`` turn it off: they need the model."""


@dataclass(frozen=True)
class BuildResult:
    output_dir: Path
    pages: int
    pages_rendered: int
    """Pages whose fingerprint changed (the others were not rendered at all)."""
    written: int
    unchanged: int
    removed: int
    warnings: tuple[Diagnostic, ...]
    seconds: float
    now: datetime
    stages: dict[str, float]
    """Seconds spent in each stage, for benchmarks and profiling."""
    schedule: tuple[ScheduledChange, ...] = ()
    """Future moments at which a rebuild changes the site, soonest first."""
    site: Site | None = None
    """The model the pages were rendered from (``check`` inspects it); none when the snapshot
    showed there was nothing to do."""
    outputs: tuple[Output, ...] = ()
    """Every planned output (the preview keeps them for its quick path)."""
    page_weights: tuple[PageWeight, ...] = ()
    """What the home page and the heaviest article cost a first-time reader."""
    images: ImageReport | None = None
    """Images encoded now and taken from the image cache."""
    base_url: str = ""
    """The address the site was built for."""
    structure: dict[str, str] = field(default_factory=dict)
    """Each source's :func:`~portal.snapshot.structure_digest` (the preview's quick path for
    edits of what cards show compares them)."""
    linked: frozenset[str] = frozenset()
    """Every URL the bodies link to, or more (``SavedModel.linked``)."""


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
    return collect_static(theme_dirs(site_dir, "static"))


def build(options: BuildOptions, environ: Mapping[str, str] | None = None,
          progress: Progress | None = None,
          waiting: Callable[[str], None] | None = None) -> BuildResult:
    """Build the site; raise :class:`BuildError` (nothing written) when the sources are wrong.
    ``waiting`` is told when the build must wait for another build of the same output folder
    (``folder_lock.py``)."""
    with collector_paused():  # the model is kept to the end: see collector.py
        return _build(options, environ, progress, waiting)


def _build(options: BuildOptions, environ: Mapping[str, str] | None,
           progress: Progress | None, waiting: Callable[[str], None] | None) -> BuildResult:
    started = time.perf_counter()
    clock = _StageClock()
    site_dir = options.site_dir.resolve()
    if not site_dir.is_dir():
        raise UsageError(f"{options.site_dir}: no such site folder")
    config = load_config(site_dir, options.output_dir)
    if options.base_url is not None:
        config = replace(config, base_url=base_url_option(options.base_url))
    now = resolve_now(config, options.now, os.environ if environ is None else environ)
    engine = engine_version()
    # Held from before the cache is opened (``--clean`` empties it) to the end of the build.
    lock = lock_folder(config.output_dir, config.cache_dir, waiting)
    try:
        cache = BuildCache(config.cache_dir, engine, fresh=options.clean)
    except BaseException as exc:
        release_folder(lock)
        if isinstance(exc, sqlite3.OperationalError):
            raise _busy_cache(exc, config) from None
        raise
    staging: Staging | None = None
    aside: OutputListing | None = None
    image_work: ImageWork | None = None
    reading: _Reading | None = None
    try:
        inputs, tampered, listing = None, set[str](), None
        vouched: Callable[[str], bool] = _nothing
        if options.shortcut and not options.clean:
            # Listed in another process while the inputs and the snapshot are read (and the
            # saved model loaded, for an edit): the comparison with the snapshot waits for it.
            aside = OutputListing(config.output_dir) if config.output_dir.is_dir() else None
            inputs = _list_inputs(site_dir, config, options, engine)
            snapshot = cache.snapshot(str(config.output_dir))
            if snapshot is not None and aside is not None:
                baked = config.ratings is not None and config.ratings.bake
                changed = None if baked else snapshot.changed_files(inputs, now)
                if changed and not options.precompress:
                    quick = _rebuild_edits(_Quick(options, config, now, engine, cache,
                                                   snapshot, inputs, clock, started, aside),
                                           changed)
                    if quick is not None:
                        return quick
                listing = aside.result()
                if changed == set() and listing == snapshot.output:
                    clock.lap("snapshot")
                    return _replayed(snapshot.report, config, now, clock, started)
                tampered = snapshot.tampered(listing)
                vouched = _vouched(snapshot.output, tampered)
            elif aside is not None:
                listing = aside.result()
        if listing is None and not config.output_dir.exists():
            listing = {}  # a first build: nothing to remove, and the listing is what it writes
        clock.lap("config")
        diagnostics: list[Diagnostic] = []
        sources = discover_sources(site_dir)
        reading = _Reading(sources, cache)
        _prepare_stages(sources, reading.work)
        from portal.fingerprint import Fingerprints
        from portal.images.plan import plan_images
        from portal.images.process import start_images
        from portal.images.settings import DEFAULT_SETTINGS
        from portal.model_store import SavedModel, model_path, prune_models, write_model
        from portal.parallel import start_thread
        from portal.plan import plan_outputs
        from portal.precompress import sibling_paths, write_precompressed
        from portal.ratings.store import load_scores
        from portal.render import render_outputs
        from portal.site import build_site
        from portal.weight import over_budget

        parsed = reading.result(cache, diagnostics)
        _stop_on_errors(diagnostics)
        clock.lap("parse")

        bodies = _CachedBodies(cache)
        site, found = build_site(config, parsed, now, options.include_drafts, bodies)
        front_matter = {} if inputs is None else {p.source.rel: meta_digest(p.meta)
                                                   for p in parsed}
        structure = {p.source.rel: structure_digest(p.meta) for p in parsed}
        linked = frozenset(bodies.linked)
        del parsed  # the Markdown texts are no longer needed: free them before rendering
        if config.ratings is not None and config.ratings.bake:
            site = replace(site, ratings=load_scores(config.ratings.database))
        diagnostics.extend(found)
        _stop_on_errors(diagnostics)
        clock.lap("site")

        images, found = plan_images(site.assets, image_cache_dir(config.cache_dir), site_dir,
                                    DEFAULT_SETTINGS)
        diagnostics.extend(found)
        _stop_on_errors(diagnostics)
        site = replace(site, pictures=images.pictures)
        image_work = start_images(images.jobs, site_dir)  # made while the pages render

        assets = plan_assets(static_files(site_dir))
        outputs, found = plan_outputs(site, sorted(assets.sources.items()))
        diagnostics.extend(found)
        _stop_on_errors(diagnostics)
        clock.lap("plan")

        previous = {path: print_ for path, print_ in cache.outputs(str(config.output_dir))
                    .items() if path not in tampered}
        fingerprints = Fingerprints(site, _global_digest(engine, site_dir) + assets.digest())
        html_urls = [o.url for o in outputs if o.kind == "page" and o.path != "404.html"]
        prints: dict[str, str] = {}

        def take_fingerprints() -> None:
            prints.update((o.path, fingerprints.of(o)) for o in outputs if o.kind == "page")
            prints.update((o.path, fingerprints.of_sitemap(html_urls)) for o in outputs
                          if o.kind == "sitemap")

        # Nothing to compare with (a first build, --clean, a new engine): every page is
        # rendered, and the fingerprints, kept for the next build, are taken while the workers
        # render, unless the site is large (``OVERLAP_PAGES``).
        later = not previous and len(html_urls) <= OVERLAP_PAGES
        if not later:
            take_fingerprints()
        present = _output_files(listing, config.output_dir)
        todo = [o for o in outputs if o.kind != "copy" and not _unchanged(
            o, prints, previous, present)]
        clock.lap("fingerprint")

        staging = staging_for(config.output_dir)
        report = render_outputs(site, todo, html_urls, config.output_dir, staging,
                                (lambda d, t: progress("render", d, t)) if progress else None,
                                asset_names=assets.names,
                                meanwhile=take_fingerprints if later else None)
        clock.lap("render")

        staged = set(report.staged)
        keys, index = _index_search(
            options.search, site, outputs, prints,
            cache.search_keys(str(config.output_dir)),
            _page_reader(staging, staged, config.output_dir), config)
        index_staged = _stage_index(index, config.output_dir, staging, vouched, tampered)
        clock.lap("search")
        image_report = image_work.result()
        clock.lap("images")

        copies = {o.path: o.source for o in outputs if o.kind == "copy" and o.source
                  and o.path not in assets.rewritten}
        assets_staged = _stage_assets(assets, config.output_dir, staging)
        rendered = {o.path for o in todo}
        keep = [path for path in prints if path not in rendered] + list(report.same) + \
            [path for path in index.files if path not in index_staged] + list(assets.rewritten)
        published = [o.path for o in outputs] + list(index.files)
        siblings = [path for path in sibling_paths(published) if options.precompress
                    and (config.output_dir / path).is_file()]
        cache.begin_writing(str(config.output_dir))
        written = write_output(config.output_dir, staging,
                               [*report.staged, *index_staged, *assets_staged], copies,
                               keep + siblings, present=listing)
        compressed: list[str] = []
        if options.precompress:
            compressed = write_precompressed(config.output_dir, published)
            renewed = len(set(compressed) & set(siblings))
            written = replace(written, written=written.written + len(compressed),
                              unchanged=written.unchanged - renewed)
        clock.lap("write")

        # Stored while the output is listed and the model saved (SQLite runs without the
        # interpreter's lock); the snapshot, which needs both, follows.
        pending = cache.commit(live_sources={s.rel for s in sources}, live_bodies=bodies.used,
                               outputs=prints, output_dir=str(config.output_dir),
                               search_keys=keys)

        def list_and_weigh() -> tuple[dict[str, tuple[int, int]] | None, list[PageWeight]]:
            after = None if inputs is None else list_output(config.output_dir) \
                if listing is None else relist_output(listing, config.output_dir,
                                                      [*written.changed, *compressed],
                                                      written.gone)
            return after, measure_weights(site, config.output_dir, after,
                                          kept=_kept_sizes(engine))

        # The output listed and weighed in a thread (system calls, brotli and gzip run without
        # the interpreter's lock) while the inputs are listed again and the model saved.
        listed = start_thread(list_and_weigh)
        if inputs is not None:
            # Listed again now that everything is read: a file saved meanwhile may have been
            # read in either version, so the snapshot must not vouch for it.
            moved = inputs.moved_since(_list_inputs(site_dir, config, options, engine))
            token = write_model(model_path(config.cache_dir, str(config.output_dir)),
                                SavedModel(site, tuple(outputs), prints, keys, linked))
        after, weights = listed()
        over = over_budget(weights, config.budget_page_kb, CONFIG_FILE, _budget_line(site_dir))
        diagnostics.extend(over)
        warnings = tuple(d for d in diagnostics if not d.is_error)
        snapshot = None
        if inputs is not None and after is not None:
            snapshot = Snapshot(
                options=inputs.options, files=inputs.entries(inputs.racy_after_ns, moved),
                racy_after_ns=inputs.racy_after_ns, output=after, built_at=now,
                valid_until=site.schedule[0].moment if site.schedule else None,
                report=Report(pages=sum(1 for o in outputs if o.kind == "page"),
                              files=written.written + written.unchanged,
                              warnings=tuple(w for w in warnings if w not in over),
                              budget=tuple(over), schedule=site.schedule,
                              page_weights=tuple(weights), images=image_report),
                model=token, front_matter=front_matter, structure=structure)
        vanished = pending.finish(snapshot)
        prune_models(config.cache_dir, vanished)
        prune_image_cache(image_cache_dir(config.cache_dir), images.keys)
        clock.lap("weight")
    except BaseException as exc:
        if staging is not None:  # a failed build leaves nothing behind
            shutil.rmtree(staging.folder, ignore_errors=True)
        if isinstance(exc, OSError):
            raise output_error(exc, config.output_dir) from exc
        if isinstance(exc, sqlite3.OperationalError):
            raise _busy_cache(exc, config) from None
        raise
    finally:
        if reading is not None:
            reading.close()
        if image_work is not None:
            image_work.close()
        if aside is not None:
            aside.close()
        cache.close()
        release_folder(lock)
    return BuildResult(
        output_dir=config.output_dir,
        pages=sum(1 for o in outputs if o.kind == "page"),
        pages_rendered=sum(1 for o in todo if o.kind == "page"),
        written=written.written,
        unchanged=written.unchanged,
        removed=written.removed,
        warnings=warnings,
        seconds=time.perf_counter() - started,
        now=now,
        stages=clock.laps,
        schedule=site.schedule,
        site=site,
        outputs=tuple(outputs),
        page_weights=tuple(weights),
        images=image_report,
        base_url=config.base_url,
        structure=structure,
        linked=linked,
    )


def _list_inputs(site_dir: Path, config: SiteConfig, options: BuildOptions,
                 engine: str) -> Inputs:
    """Every file the build reads and every setting that shapes its output besides them."""
    settings = repr((engine, str(config.output_dir), options.include_drafts, options.search,
                     config.base_url, options.precompress))
    return list_inputs(
        [("site.toml", site_dir / CONFIG_FILE)],
        [("content", site_dir / "content"),
         *((f"site-{name}", site_dir / name) for name in ("templates", "static")),
         *((f"theme-{name}", THEME_DIR / name) for name in ("templates", "static"))],
        settings)


@dataclass(frozen=True)
class _Quick:
    """What the quick path for body edits needs of the build that tries it."""

    options: BuildOptions
    config: SiteConfig
    now: datetime
    engine: str
    cache: BuildCache
    snapshot: Snapshot
    inputs: Inputs
    clock: _StageClock
    started: float
    listing: OutputListing
    """The output folder, listed aside: nothing is written unless it is as the snapshot
    recorded it."""


def _rebuild_edits(run: _Quick, changed: set[str]) -> BuildResult | None:
    """When only published articles changed since the last build, and only in their texts or
    in what their cards show (a title, a summary: see ``quick.py``), take the last build's
    saved model, swap them in, render what they change, re-index their search shards and
    write nothing else. ``None``: build the usual way."""
    from portal.fingerprint import Fingerprints
    from portal.model_store import SavedModel, load_model, model_path, write_model
    from portal.plan import SEARCH_FOLDER
    from portal.quick import plan_body_edits, plan_card_edits, read_changed
    from portal.render import render_outputs
    from portal.weight import over_budget

    config, output_dir = run.config, run.config.output_dir
    if any(warning.path in changed for warning in run.snapshot.report.warnings):
        return None  # the last build warned about an edited file: the edit may settle it
    parsed = read_changed(config.site_dir.resolve(), changed)
    if parsed is None:
        return None
    same_front_matter = all(meta_digest(item.meta) == run.snapshot.front_matter.get(rel)
                            for rel, item in parsed.items())
    if not same_front_matter and any(
            structure_digest(item.meta) != run.snapshot.structure.get(rel)
            for rel, item in parsed.items()):
        return None  # a date, a category…: no need to load the model
    model = load_model(model_path(config.cache_dir, str(output_dir)), run.snapshot.model)
    if model is None:
        return None
    include_drafts = run.options.include_drafts
    known = _CachedBodies(run.cache)
    body = plan_body_edits(model.site, model.outputs, parsed, include_drafts, known) \
        if same_front_matter else None
    cards = None if body is not None else plan_card_edits(
        model.site, model.outputs, parsed, include_drafts, model.linked, known)
    edits = body or cards
    if edits is None:
        return None
    site, outputs = edits.site, edits.outputs
    moved = cards.moved if cards is not None else {}
    site_dir = config.site_dir.resolve()
    run.clock.lap("model")
    assets = plan_assets(static_files(site_dir))
    global_digest = _global_digest(run.engine, site_dir) + assets.digest()
    fingerprints = Fingerprints(site, global_digest)
    html_urls: list[str] = []
    if body is not None:
        todo = body.todo
        renewed = {o.path: fingerprints.of(o) for o in todo if o.kind == "page"}
    else:
        html_urls = [o.url for o in outputs if o.kind == "page" and o.path != "404.html"]
        renewed, todo = _card_todo(model, outputs, fingerprints, global_digest, html_urls,
                                   run.snapshot.output)
    if run.listing.result() != run.snapshot.output:
        return None  # a file of the output folder was changed by hand: the usual way
    linked = model.linked | edits.linked
    prints = {**{path: print_ for path, print_ in model.prints.items() if path not in moved},
              **renewed}
    # Before the first file moves: a kill from here on must not leave a trusted fingerprint
    # or snapshot that no longer describes the folder.
    run.cache.forget(str(output_dir), [*renewed, *moved])
    staging = staging_for(output_dir)
    try:
        report = render_outputs(site, todo, html_urls, output_dir, staging,
                                asset_names=assets.names)
        run.clock.lap("render")
        staged = set(report.staged)
        keys, index = _index_search(
            run.options.search, site, list(outputs), prints, model.search_keys,
            _page_reader(staging, staged, output_dir), config)
        index_staged = _stage_index(index, output_dir, staging,
                                    run.snapshot.output.__contains__, set())
        run.clock.lap("search")
        written = write_output(output_dir, staging, [*report.staged, *index_staged], {}, [],
                               prune=False)
        # The replaced shard's old files (its folders stay: same names), and the pages of
        # articles that moved, with their folders.
        stale = [path for path in run.snapshot.output
                 if path.startswith(SEARCH_FOLDER + "/") and path not in index.files]
        remove_files(output_dir, stale, folders=False)
        remove_files(output_dir, list(moved))
    except BaseException as exc:
        shutil.rmtree(staging.folder, ignore_errors=True)
        if isinstance(exc, OSError):
            raise output_error(exc, output_dir) from exc
        raise
    run.clock.lap("write")
    removed = [*stale, *moved]
    listing = relist_output(run.snapshot.output, output_dir, [*report.staged, *index_staged],
                            removed)
    weights = measure_weights(site, output_dir, listing, run.snapshot.report.page_weights,
                              written.changed, _kept_sizes(run.engine))
    budget = tuple(over_budget(weights, config.budget_page_kb, CONFIG_FILE,
                               _budget_line(site_dir)))
    old = run.snapshot.report
    token = write_model(model_path(config.cache_dir, str(output_dir)),
                        SavedModel(site, outputs, prints, keys, linked))
    snapshot = dataclasses.replace(
        run.snapshot, files=run.inputs.entries(run.inputs.racy_after_ns,
                                               run.inputs.stat_again(changed)),
        racy_after_ns=run.inputs.racy_after_ns, output=listing,
        built_at=run.now, model=token,
        report=dataclasses.replace(old, files=len(listing), budget=budget,
                                   page_weights=tuple(weights)),
        front_matter={**run.snapshot.front_matter,
                      **{rel: meta_digest(item.meta) for rel, item in parsed.items()}},
        structure={**run.snapshot.structure,
                   **{rel: structure_digest(item.meta) for rel, item in parsed.items()}})
    run.cache.commit_quick(str(output_dir), renewed,
                           {path: keys[path] for path in renewed if path in keys}, snapshot)
    run.clock.lap("weight")
    return BuildResult(
        output_dir=output_dir, pages=old.pages,
        pages_rendered=sum(1 for o in todo if o.kind == "page"),
        written=written.written, unchanged=len(listing) - written.written, removed=len(removed),
        warnings=old.warnings + budget, seconds=time.perf_counter() - run.started, now=run.now,
        stages=run.clock.laps, schedule=old.schedule, site=site, outputs=outputs,
        page_weights=tuple(weights), images=old.replayed_images(), base_url=config.base_url,
        structure=snapshot.structure, linked=linked)


def _card_todo(model: SavedModel, outputs: tuple[Output, ...], fingerprints: Fingerprints,
               global_digest: str, html_urls: list[str], present: Mapping[str, object]
               ) -> tuple[dict[str, str], list[Output]]:
    """The new fingerprints and the outputs to render after card edits, as a full build
    decides them: fingerprints for the pages whose context holds an edited article (a new
    output object), or for every page when what all pages show changed (the sidebar); the
    pages whose fingerprint changed or whose file is missing; the feeds showing an edited
    article and the outputs made from the whole site (``quick.changed_by_cards``)."""
    from portal.fingerprint import Fingerprints
    from portal.quick import changed_by_cards

    everywhere = fingerprints.site_digest != Fingerprints(model.site, global_digest).site_digest
    renewed = {new.path: fingerprints.of(new) for old, new in zip(model.outputs, outputs,
                                                                  strict=True)
               if new.kind == "page" and (everywhere or new is not old)}
    renewed.update((o.path, fingerprints.of_sitemap(html_urls)) for o in outputs
                   if o.kind == "sitemap")
    todo = [new for old, new in zip(model.outputs, outputs, strict=True)
            if (new.kind not in ("copy", "page", "sitemap") and changed_by_cards(old, new))
            or (new.path in renewed and (model.prints.get(new.path) != renewed[new.path]
                                         or new.path not in present))]
    return renewed, todo


def _replayed(report: Report, config: SiteConfig, now: datetime, clock: _StageClock,
              started: float) -> BuildResult:
    """The result of a build the snapshot showed had nothing to do: what the last one said."""
    return BuildResult(
        output_dir=config.output_dir, pages=report.pages, pages_rendered=0, written=0,
        unchanged=report.files, removed=0, warnings=report.warnings + report.budget,
        seconds=time.perf_counter() - started, now=now, stages=clock.laps,
        schedule=report.schedule, page_weights=report.page_weights,
        images=report.replayed_images(), base_url=config.base_url)


def _busy_cache(exc: sqlite3.OperationalError, config: SiteConfig) -> Exception:
    """Another build of the site held the cache for the whole wait: said plainly; any
    other database error goes on as it is."""
    if not is_busy(exc):
        return exc
    return OutputError(f"{config.cache_dir / 'build.sqlite'}: the build cache is in use: "
                       f"expected it free within {build_cache.WAIT_SECONDS:g} s, got another build "
                       "of this site still holding it (let it finish, or give this build "
                       "another cache_dir)")


def base_url_option(value: str) -> str:
    """``--base-url``: the same rule as ``base_url`` of site.toml, as a command-line error."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or \
            parts.fragment:
        raise UsageError(f"--base-url: expected an absolute http(s) URL like "
                         f"https://example.gov.vn/xa-cho-gao/, got {value!r}")
    return value if value.endswith("/") else value + "/"


def measure_weights(site: Site, output_dir: Path,
                    listing: Mapping[str, tuple[int, int]] | None = None,
                    known: Sequence[PageWeight] = (), rewritten: Iterable[str] = (),
                    kept: Path | None = None) -> list[PageWeight]:
    """The home page and the heaviest article (largest HTML file), as a first visit costs.
    The sizes come from ``listing`` (the output folder as the build left it) when given, else
    from one ``stat`` per article. A page measured before (``known``) and not ``rewritten``
    since is not measured again (the quick paths change no stylesheet, script or font).
    ``kept``: the folder keeping stylesheets' and scripts' compressed sizes (``weight.py``)."""
    from portal.plan import page_path
    from portal.weight import measure_page

    pages = ["index.html"]
    root = str(output_dir)
    sizes = []
    for article in site.articles:
        path = page_path(article.url)
        if listing is not None:
            if path in listing:
                sizes.append((listing[path][1], path))
            continue
        try:
            sizes.append((os.stat(os.path.join(root, path)).st_size, path))
        except FileNotFoundError:
            continue
    if sizes:
        pages.append(max(sizes)[1])
    before = {weight.page: weight for weight in known}
    again = set(rewritten)
    return [before[page] if page in before and page not in again
            else measure_page(output_dir, site.config.base_url, page, kept) for page in pages
            if (output_dir / page).is_file()]


def _kept_sizes(engine: str) -> Path | None:
    from portal.compiled import engine_templates_dir
    from portal.weight import sizes_dir

    return sizes_dir(engine_templates_dir(engine))


def _stage_assets(assets: AssetPlan, output_dir: Path, staging: Staging) -> list[str]:
    """Stylesheets with rewritten references go through staging like rendered pages."""
    return [path for path, data in sorted(assets.rewritten.items())
            if stage_file(output_dir, staging, path, data)]


def _budget_line(site_dir: Path) -> int:
    try:
        text = (site_dir / CONFIG_FILE).read_text(encoding="utf-8-sig")
    except OSError:
        return 0
    return toml_line_finder(text)("budget.page_kb")


class _Reading:
    """The sources' parses: from the cache while a file is unchanged, the others parsed by
    forked processes (``ahead.py``) when there are many (a first build, a new engine)."""

    def __init__(self, sources: list[SourceFile], cache: BuildCache):
        self.sources = sources
        self.parsed: list[ParsedSource | None] = []
        self.misses: list[tuple[int, str, bool]] = []  # (index, stat key, settled: cacheable)
        racy = time.time_ns() - int(RACY_SECONDS * 1e9)  # such a file's parse is not cached
        for source in sources:
            info = source.path.stat()
            stat = stat_key(info)
            item = cache.parsed(source, stat)
            if item is not None:
                self.parsed.append(item)
                continue
            self.misses.append((len(self.parsed), stat, info.st_mtime_ns < racy))
            self.parsed.append(None)
        reading = [sources[index] for index, _, _ in self.misses]
        self.work = ForkedMap(lambda index: _read_packed(reading[index]), len(reading),
                              worker_count(len(reading)))

    def result(self, cache: BuildCache, diagnostics: list[Diagnostic]) -> list[ParsedSource]:
        parsed, sources, misses = self.parsed, self.sources, self.misses

        def unpack(position: int, read: tuple[bytes | None, list[Diagnostic], str | None]
                   ) -> list[Diagnostic]:
            """Each parse unpacked (and cached) as it arrives: the packed ones are not all
            held at once (at 100,000 articles that was 90 MB more at the build's peak)."""
            packed, found, after = read
            index, stat, settled = misses[position]
            if packed is not None:
                source = sources[index]
                parsed[index] = unpack_parse(source, packed)
                # Cached only if the file was not changed while it was read: a parse stored
                # under a stat the file no longer has could come back if that stat ever did.
                if not found and settled and after == stat:
                    cache.store_parsed(source.rel, stat, packed)
            return found

        for found in self.work.result(unpack):
            diagnostics.extend(found)
        return [item for item in parsed if item is not None]

    def close(self) -> None:
        self.work.close()


_LATER_STAGES = ("portal.site", "portal.images.plan", "portal.images.process", "portal.plan",
                 "portal.fingerprint", "portal.render", "portal.search", "portal.weight",
                 "portal.model_store", "portal.precompress", "portal.ratings.store")
"""What a full build imports after the parse (``pipeline`` itself imports only what the
shortcuts and the parse need: the snapshot, the cache, the sources)."""


def _prepare_stages(sources: list[SourceFile], parsing: ForkedMap) -> None:
    """Import the later stages' modules, and, while forked processes still parse the sources
    (a first build), also make what every first build needs and its worker processes would
    each make again: the Markdown renderer, the Vietnamese collator, Pillow's common formats
    and, for a site with campaigns, the calendar library. Done here, on a core the parse
    leaves to the build's process, this costs nothing; once the parse is done, what is left is
    made where it is needed, as before."""
    for module in _LATER_STAGES:
        importlib.import_module(module)
    from PIL import Image

    from portal.calendar import prepare_calendars
    from portal.markdown_render import prepare_renderer
    from portal.vietnamese import collation_key

    campaigns = any(source.kind == "campaign" for source in sources)
    for prepare in (prepare_renderer, lambda: collation_key(""), Image.preinit,
                    prepare_calendars if campaigns else None):
        if prepare is not None and parsing.busy():
            prepare()


def _read_packed(source: SourceFile) -> tuple[bytes | None, list[Diagnostic], str | None]:
    """``read_source``, the parse packed as the cache keeps it (what a worker sends back),
    and the file's stat key once read."""
    item, found = read_source(source)
    return (None if item is None else pack_parse(item)), found, _stat_of(source.path)


def _stat_of(path: Path) -> str | None:
    try:
        return stat_key(path.stat())
    except OSError:
        return None


class _CachedBodies:
    """Bodies from the build cache (the rest are made over all cores: ``bodies.py``), and
    every URL they link to (``SavedModel.linked``; a body the build then makes again adds
    its URLs too: more is safe)."""

    def __init__(self, cache: BuildCache):
        from portal.bodies import linked_urls
        from portal.markdown_render import SETTINGS

        self.cache = cache
        self.used: set[str] = set()
        self.linked: set[str] = set()
        self._settings = SETTINGS
        self._linked_urls = linked_urls

    def known(self, digests: Sequence[str]) -> list[SafeBody | None]:
        keys = [markdown_key(self._settings, digest) for digest in digests]
        self.used.update(keys)
        found = self.cache.bodies(sorted(set(keys)))
        for body in found.values():
            self.linked.update(self._linked_urls(body))
        return [found.get(key) for key in keys]

    def remember(self, digest: str, body: SafeBody) -> None:
        self.linked.update(self._linked_urls(body))
        self.cache.store_body(markdown_key(self._settings, digest), body)


def _global_digest(engine: str, site_dir: Path) -> str:
    """What every page depends on: the engine, the theme's templates and site.toml."""
    from portal.fingerprint import files_digest

    return engine + files_digest(theme_dirs(site_dir, "templates"), [site_dir / "site.toml"])


def _index_search(search: bool, site: Site, outputs: list[Output], prints: dict[str, str],
                  known: dict[str, tuple[str, str]], load: Callable[[str], bytes],
                  config: SiteConfig) -> tuple[dict[str, tuple[str, str]], SearchIndex]:
    """The searchable pages' keys (``search.search_keys``) and the index files by output path;
    neither without search."""
    from portal.plan import search_shards, shard_names
    from portal.search import NO_INDEX, build_search_index, search_keys, searchable

    if not search:
        return {}, NO_INDEX
    pages = [o for o in outputs if searchable(o)]
    keys = search_keys([(o.path, prints[o.path]) for o in pages], known, load)
    shard_of = shard_names(search_shards(site))
    index = build_search_index([(o.path, keys[o.path][1], shard_of(o)) for o in pages], load,
                               config.language, config.cache_dir)
    return keys, index


def _page_reader(staging: Staging, staged: set[str], output_dir: Path
                 ) -> Callable[[str], bytes]:
    """A page's bytes as this build leaves it: staged if rendered now, else in the output."""
    return lambda path: Path(staging.path(path) if path in staged
                             else output_dir / path).read_bytes()


def _stage_index(index: SearchIndex, output_dir: Path, staging: Staging,
                 vouched: Callable[[str], bool], tampered: set[str]) -> list[str]:
    """Stage the search index files (output path → file in the cache) that are not already in
    place; return their paths.

    Most are in place: an edit changes a handful of one shard's files. A content-named file
    (its name a hash of its bytes) that the last build left, unchanged since (``vouched``),
    needs no system call: ten thousand files at 10,000 articles. One changed by hand
    (``tampered``) is staged again, whatever its size, and one this build made is compared
    byte by byte (a name is 28 bits of a hash: two files may share it)."""
    from portal.search import is_content_named

    root = str(output_dir)

    def in_place(path: str, source: str) -> bool:
        if path in index.fresh or not is_content_named(path):
            return False
        return vouched(path) or (path not in tampered
                                 and _same_named_file(os.path.join(root, path), source))

    return [path for path, source in index.files.items() if not in_place(path, source)
            and stage_file(output_dir, staging, path, Path(source).read_bytes())]


def _same_named_file(target: str, source: str) -> bool:
    """A content-named search file already in place: no need to read either copy."""
    try:
        return os.stat(target).st_size == os.stat(source).st_size
    except FileNotFoundError:
        return False


def _unchanged(output: Output, prints: dict[str, str], previous: dict[str, str],
               present: Callable[[str], bool]) -> bool:
    """A page (or the sitemap) whose fingerprint matches the last build and whose file is
    still there. Feeds carry whole bodies and are cheap: they are always rendered."""
    return (output.path in prints and previous.get(output.path) == prints[output.path]
            and present(output.path))


def _vouched(left: Mapping[str, object], tampered: set[str]) -> Callable[[str], bool]:
    """Whether a file is as the last build left it (it is listed in its snapshot and was not
    changed since)."""
    return lambda path: path in left and path not in tampered


def _nothing(path: str) -> bool:
    return False


def _output_files(listing: dict[str, tuple[int, int]] | None,
                  output_dir: Path) -> Callable[[str], bool]:
    """Whether a file of the output folder is there: from the listing taken when the build
    started, when there is one (no system call per page), else from the folder."""
    if listing is not None:
        return listing.__contains__
    root = str(output_dir)
    return lambda path: os.path.isfile(os.path.join(root, path))


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
