"""Rendering the plan: Jinja2 pages, XML feeds, and the shared blocks every page carries.

The masthead, menu, sidebar and footer are the same on thousands of pages, so they are rendered
once per build (and per language, and per active menu entry) and pasted into each page as
ready-made markup, instead of being re-rendered page after page.
"""

from __future__ import annotations

import contextlib
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from markupsafe import Markup, escape

from portal.assets import collect_static, plan_assets
from portal.cache import TEMPLATE_CACHE
from portal.calendar import render_campaign_ics
from portal.collector import collector_running
from portal.compiled import CompiledTemplates, engine_templates_dir
from portal.engine import engine_version
from portal.errors import BuildError, Diagnostic, error
from portal.feeds import (
    render_atom,
    render_campaigns_rss,
    render_robots,
    render_rss,
    render_sitemap,
)
from portal.images.markup import make_responsive, picture_index
from portal.labels import labels_for
from portal.model import Article, Site
from portal.parallel import forked_pool, worker_count
from portal.plan import Output
from portal.ratings.published import render_published
from portal.structured_data import news_article
from portal.template_context import TemplateContext
from portal.theme import THEME_DIR, theme_dirs
from portal.vietnamese import format_size
from portal.write import Staging, stage_file

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class MenuEntry:
    label: str
    href: str
    weight: int
    lang: str | None = None


def make_environment(site: Site, asset_names: Mapping[str, str] | None = None
                     ) -> jinja2.Environment:
    """``asset_names`` maps theme files to their content-hashed names (``portal/assets.py``):
    ``url('static/css/portal.css')`` then links the published ``portal.<hash>.css``."""
    config = site.config
    names = asset_names or {}
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in theme_dirs(config.site_dir,
                                                                   "templates")]),
        autoescape=jinja2.select_autoescape(["html", "xml"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # Templates do not change while pages render: no look at their files per page.
        auto_reload=False,
        # Compiled templates are kept under a digest of their source: compiling the theme
        # costs about 0.2 s, loading it a few milliseconds (compiled.py).
        bytecode_cache=CompiledTemplates(config.cache_dir / TEMPLATE_CACHE,
                                         THEME_DIR / "templates",
                                         engine_templates_dir(engine_version())),
    )

    env.context_class = TemplateContext
    links: dict[str, str] = {}  # the same paths are linked from thousands of pages

    def url(path: str) -> str:
        """Link to a site path under the base path: url('tin-tuc/') → /tin-tuc/."""
        link = links.get(path)
        if link is None:
            link = links[path] = config.base_path + quote(names.get(path, path))
        return link

    def abs_url(path: str) -> str:
        return config.base_url + quote(names.get(path, path))

    def news_article_ld(article: Article, lang: str) -> Markup:
        return news_article(article, config, lang, abs_url)

    env.globals.update(site=site, config=config, url=url, abs_url=abs_url,
                       news_article_ld=news_article_ld,
                       responsive=make_responsive(picture_index(site.pictures,
                                                                config.base_path), url))
    env.filters["filesize"] = format_size
    return env


class SharedBlocks:
    """The regions every page repeats, rendered once per variant and reused as markup."""

    def __init__(self, env: jinja2.Environment, site: Site):
        self.env = env
        self.site = site
        self.menu_entries = self._menu_entries()
        self._macros = env.get_template("partials/items.html").module
        self._items: dict[tuple[Any, ...], Markup] = {}

    def _menu_entries(self) -> tuple[MenuEntry, ...]:
        config = self.site.config
        entries = [MenuEntry("", config.base_path, 0)]
        entries += [MenuEntry(m.label, _href(config.base_path, m.url), m.weight)
                    for m in config.menu]
        entries += [MenuEntry(p.title, config.base_path + p.url, p.menu, p.lang)
                    for p in self.site.pages if p.menu is not None]
        return tuple(sorted(entries, key=lambda e: e.weight))

    def active_entry(self, page_url: str) -> tuple[int, bool] | None:
        """The menu entry of the section a page belongs to (longest matching prefix), and
        whether the page is that entry itself (``aria-current="page"``) or inside it."""
        href = self.site.config.base_path + page_url
        best, length = None, -1
        for index, entry in enumerate(self.menu_entries):
            if (href == entry.href or (href.startswith(entry.href) and
                    entry.href != self.site.config.base_path)) and len(entry.href) > length:
                best, length = index, len(entry.href)
        return None if best is None else (best, self.menu_entries[best].href == href)

    def item_functions(self, lang: str) -> dict[str, Callable[..., Markup]]:
        return {
            "card": lambda article, heading="h3": self.item(lang, "card", article, heading),
            "news_item": lambda article: self.item(lang, "news_item", article),
        }

    def item(self, lang: str, macro: str, article: Any, *args: Any) -> Markup:
        """An article's card or list entry, rendered once per build and reused by every page
        that lists it (a listing page, a category, several tags, a campaign…)."""
        key = (lang, macro, id(article), args)
        found = self._items.get(key)
        if found is None:
            found = self._items[key] = getattr(self._macros, macro)(
                self.translator(lang), article, *args)
        return found

    @cache  # noqa: B019 - one instance per build; the cache is the point
    def translator(self, lang: str) -> Callable[..., Markup]:
        """``t()`` of the templates in ``lang``, with the site's own wording."""
        return _translator(labels_for(lang, self.site.config.labels))

    @cache  # noqa: B019 - one instance per build; the cache is the point
    def block(self, name: str, lang: str, active: tuple[int, bool] | None = None) -> Markup:
        template = self.env.get_template(f"partials/{name}.html")
        html = template.render(t=self.translator(lang), lang=lang, menu_entries=self.menu_entries,
                               active=active, **self.item_functions(lang))
        return Markup(html)


def _href(base_path: str, link: str) -> str:
    return base_path + link.lstrip("/") if link.startswith("/") else link


def _translator(labels: dict[str, str]) -> Callable[..., Markup]:
    """``t("key", n=3)``: the label, escaped, with values filled in (markup values such as a
    ``<time>`` element stay markup; anything else is escaped)."""
    escaped = {key: escape(text) for key, text in labels.items()}

    def t(key: str, **values: Any) -> Markup:
        text = escaped[key]
        return text.format(**values) if values else text

    return t


@dataclass(frozen=True)
class RenderReport:
    staged: tuple[str, ...]
    """Outputs rendered with new bytes, waiting in the staging folder."""
    same: tuple[str, ...]
    """Outputs rendered to exactly the bytes already in the output folder."""


@dataclass(frozen=True)
class _Job:
    site: Site
    outputs: list[Output]
    html_urls: list[str]
    output_dir: Path
    staging: Staging
    env: jinja2.Environment
    shared: SharedBlocks


_JOB: _Job | None = None
"""The job of the current render, inherited by forked worker processes."""
PARALLEL_MINIMUM = 400
"""Below this many outputs, starting worker processes costs more than it saves."""
RENDER_CHUNK = 250
"""Consecutive outputs a worker renders per task."""
WORKER_CHUNKS = 20
"""Tasks (5,000 outputs) before a worker is replaced by a fresh fork. A forked worker shares
the parent's model until it touches it: every object it reads gets its reference count
written, so the memory page holding it becomes the worker's own copy. Over a whole archive
each worker would end up holding a second copy of the model; a worker that renders a bounded
run of consecutive pages and then makes way holds only the part it touched. At 100,000
articles with search, all processes together peaked at 2,229 MiB with workers replaced every
10,000 outputs and 1,909 MiB every 5,000 (``benchmarks/memory.py``, every process counted)."""


def render_outputs(site: Site, outputs: list[Output], html_urls: list[str], output_dir: Path,
                   staging: Staging, progress: Progress | None = None,
                   asset_names: Mapping[str, str] | None = None,
                   meanwhile: Callable[[], object] | None = None) -> RenderReport:
    """Render ``outputs`` (no copies) into ``staging``; unchanged bytes are not staged.

    ``html_urls`` lists every page of the site (for sitemap.xml), not only those rendered now.
    Large renders are spread over the machine's cores by forked processes that inherit the
    site model (nothing is pickled but the results' paths), and every page goes straight to
    disk, so memory does not grow with the number of pages.

    ``meanwhile`` is called once, while the workers render when there are workers: the
    build's own process is otherwise idle until their results come back.
    """
    global _JOB
    if asset_names is None:  # callers outside the full build get the same names
        asset_names = plan_assets(collect_static(theme_dirs(site.config.site_dir,
                                                            "static"))).names
    env = make_environment(site, asset_names)
    workers = worker_count(len(outputs), PARALLEL_MINIMUM)
    if workers > 1:
        for name in env.list_templates(filter_func=lambda name: name.endswith(".html")):
            # Compiled once here, inherited by every worker; a broken one is reported by the
            # first page that uses it (an unused one is no error).
            with contextlib.suppress(jinja2.TemplateError):
                env.get_template(name)
    _JOB = _Job(site, outputs, html_urls, output_dir, staging, env, SharedBlocks(env, site))
    try:
        indexes = list(range(len(outputs)))
        if workers > 1:
            chunks = [indexes[i:i + RENDER_CHUNK] for i in range(0, len(indexes), RENDER_CHUNK)]
            results: list[tuple[str, bool]] = []
            with forked_pool(workers, maxtasksperchild=WORKER_CHUNKS) as pool:
                parts = pool.imap_unordered(_render_chunk, chunks)
                if meanwhile is not None:
                    meanwhile()
                for done, part in enumerate(parts, 1):
                    results.extend(part)
                    if progress:
                        progress(min(len(outputs), done * len(outputs) // len(chunks)),
                                 len(outputs))
        else:
            with collector_running():  # as a worker would (collector.py)
                results = _render_chunk(indexes, progress)
            if meanwhile is not None:
                meanwhile()
    finally:
        _JOB = None
    results.sort()
    return RenderReport(staged=tuple(p for p, staged in results if staged),
                        same=tuple(p for p, staged in results if not staged))


def _render_chunk(indexes: list[int], progress: Progress | None = None) -> list[tuple[str, bool]]:
    job = _JOB
    assert job is not None
    env, shared = job.env, job.shared
    results = []
    for done, index in enumerate(indexes, start=1):
        output = job.outputs[index]
        data = _render_one(env, shared, job.site, output, job.html_urls)
        results.append((output.path, _stage(job, output.path, data)))
        if progress:
            progress(done, len(indexes))
    return results


def _stage(job: _Job, path: str, data: bytes) -> bool:
    return stage_file(job.output_dir, job.staging, path, data)


def _render_one(env: jinja2.Environment, shared: SharedBlocks, site: Site, output: Output,
                html_urls: list[str]) -> bytes:
    if output.kind == "feed-rss":
        return render_rss(site, output.context["listing"], output.path)
    if output.kind == "feed-atom":
        return render_atom(site, output.context["listing"], output.path)
    if output.kind == "feed-campaigns":
        return render_campaigns_rss(site, output.path)
    if output.kind == "ics":
        return render_campaign_ics(site, output.context["campaign"])
    if output.kind == "sitemap":
        return render_sitemap(site, html_urls)
    if output.kind == "robots":
        return render_robots(site)
    if output.kind == "ratings-list":
        return render_published(site)
    page = output.context.get("page")
    try:
        return _render_page(env, shared, site, output, page)
    except jinja2.TemplateError as exc:
        raise BuildError([_template_error(site, output, exc)]) from None
    except Exception as exc:
        # Raised by a template's own expression or by Jinja2 for it (a macro called with too
        # many arguments by an old override, a division by zero…): the template's line, not
        # a traceback. Errors raised in the publisher's own code go on as they are.
        if not _raised_by_template(exc):
            raise
        raise BuildError([_template_error(site, output, exc)]) from None


def _template_frames(exc: BaseException) -> list[traceback.FrameSummary]:
    return [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith(".html")]


def _raised_by_template(exc: BaseException) -> bool:
    """Whether ``exc`` went through a template and was not raised in the publisher's own
    code: raised by the template's expression, by Jinja2, or by what the template called on
    its values (Markup formatting, a label's placeholders from site.toml)."""
    innermost = exc.__traceback__
    if innermost is None:
        return False
    while innermost.tb_next is not None:
        innermost = innermost.tb_next
    module = innermost.tb_frame.f_globals.get("__name__", "")
    return bool(_template_frames(exc)) and not (module == "portal" or
                                                module.startswith("portal."))


def _template_error(site: Site, output: Output, exc: Exception) -> Diagnostic:
    """Point at the template line (a site may override templates) and the page being made."""
    path, line = output.template or "templates", 0
    expected = "a template that renders"
    found = str(exc) if isinstance(exc, jinja2.TemplateError) else \
        f"{type(exc).__name__}: {exc}"
    if isinstance(exc, jinja2.TemplateSyntaxError):
        path, line = exc.filename or path, exc.lineno
        expected, found = "valid Jinja2 syntax", f"a syntax error ({exc.message})"
    elif frames := _template_frames(exc):
        path, line = frames[-1].filename, frames[-1].lineno or 0
    with contextlib.suppress(ValueError):
        path = Path(path).resolve().relative_to(site.config.site_dir).as_posix()
    return error(path, line, f"template error while making {output.path}", expected, found)


def _render_page(env: jinja2.Environment, shared: SharedBlocks, site: Site, output: Output,
                 page: Any) -> bytes:
    lang = page.lang if page is not None else site.config.language
    template = env.get_template(output.template or "")
    active = shared.active_entry(output.url)
    html = template.render(
        **output.context,
        t=shared.translator(lang),
        lang=lang,
        page_url=output.url,
        head=shared.block("head", lang),
        header=shared.block("header", lang),
        menu=shared.block("menu", lang, active),
        banner=shared.block("banner", lang),
        sidebar=shared.block("sidebar", lang),
        footer=shared.block("footer", lang),
        album_strip=shared.block("album_strip", lang),
        **shared.item_functions(lang),
    )
    return html.encode("utf-8")
