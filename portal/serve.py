"""``serve``: a live preview for editors.

The site is built into a preview folder (never the deploy folder) and served on localhost by
livereload's Tornado handlers, which push a reload to every open page after each rebuild.
A watcher thread groups a burst of saves (an editor's "save all", a ``git checkout``) into one
incremental rebuild. When a rebuild fails, the last good pages stay in place and every page
shows an overlay listing the build's ``path:line: message`` lines; the next good rebuild
reloads the pages without it.

Only the CLI prints: this module reports through the ``log`` callable it is given.
"""

from __future__ import annotations

import json
import queue
import re
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from livereload.handlers import LiveReloadHandler, LiveReloadJSHandler, StaticFileHandler
from livereload.server import LiveScriptInjector
from tornado import web
from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.httpserver import HTTPServer
from tornado.ioloop import IOLoop
from tornado.netutil import bind_sockets
from tornado.websocket import WebSocketClosedError
from watchfiles import watch

from portal.config import PREVIEW_FOLDER, load_config
from portal.errors import BuildError, OutputError, UsageError
from portal.pipeline import BuildOptions, BuildResult, build
from portal.quick import PreviewState, QuickResult, rebuild_edits
from portal.ratings.server import RunningService, start_in_thread
from portal.ratings.settings import settings_for_site

CLIENT_SCRIPT = Path(__file__).with_name("serve_client.js")
STATUS_PATH = "/__portal__/status.json"
WATCHED = ("content", "templates", "static")
Log = Callable[[str], None]


@dataclass(frozen=True)
class ServeOptions:
    site_dir: Path
    host: str = "127.0.0.1"
    port: int = 8000
    output_dir: Path | None = None
    """The preview folder; default ``<cache_dir>/preview``. Never the deploy folder."""
    now: str | None = None
    include_drafts: bool = False
    search: bool = False
    """Off by default: indexing is the slowest stage and previews rarely need it."""


@dataclass(frozen=True)
class BuildStatus:
    """What the open pages learn from ``/__portal__/status.json``."""

    builds: int
    ok: bool
    errors: tuple[str, ...]
    changed: tuple[str, ...]
    """Site-relative files whose change started the last rebuild."""
    seconds: float

    def to_json(self) -> str:
        return json.dumps({"builds": self.builds, "ok": self.ok, "errors": list(self.errors),
                           "changed": list(self.changed), "seconds": round(self.seconds, 3)},
                          ensure_ascii=False)


def preview_folder(options: ServeOptions) -> Path:
    """The folder ``serve`` builds into; refuse the deploy folder, which previews (with
    drafts, a local base URL) must never overwrite."""
    config = load_config(options.site_dir.resolve())
    folder = (options.output_dir or config.cache_dir / PREVIEW_FOLDER).resolve()
    if folder == config.output_dir.resolve():
        raise UsageError(f"--output {options.output_dir}: expected a preview folder, got the "
                         "deploy folder (output_dir of site.toml); serve never writes there")
    return folder


class Previewer:
    """Builds the preview and keeps the status the pages read; one build at a time."""

    def __init__(self, options: ServeOptions, output_dir: Path, log: Log,
                 base_url: str | None = None):
        self.options = options
        self.base_url = base_url
        self.output_dir = output_dir
        self.log = log
        self.status = BuildStatus(builds=0, ok=True, errors=(), changed=(), seconds=0.0)
        self.lock = threading.Lock()
        self.state: PreviewState | None = None

    def rebuild(self, changed: Iterable[str] = ()) -> BuildStatus:
        started = time.perf_counter()
        changed = tuple(sorted(changed))
        options = BuildOptions(site_dir=self.options.site_dir, now=self.options.now,
                               output_dir=self.output_dir,
                               include_drafts=self.options.include_drafts,
                               search=self.options.search, base_url=self.base_url,
                               shortcut=False)
        with self.lock:
            quick = self._quick(set(changed))
            if quick is not None:
                self.state = quick.state
                self.status = BuildStatus(builds=self.status.builds + 1, ok=True, errors=(),
                                          changed=changed,
                                          seconds=time.perf_counter() - started)
                self.log(f"Rebuilt {quick.pages} article pages and {quick.rendered - quick.pages}"
                         f" feeds in {self.status.seconds:.2f} s (body edit)")
                return self.status
            try:
                result: BuildResult | None = build(options)
                errors: tuple[str, ...] = ()
            except BuildError as exc:
                result = None
                errors = tuple(str(d) for d in exc.diagnostics if d.is_error)
            except (OutputError, UsageError) as exc:
                result = None
                errors = (str(exc),)
            except Exception as exc:  # a defect must not end the preview; say so instead
                result = None
                errors = (f"internal error: {type(exc).__name__}: {exc} (this is a defect of "
                          "the publisher: please report it with the file you changed)",)
                self.log(traceback.format_exc().rstrip())
            self.state = None if result is None or result.site is None else PreviewState(
                result.site, result.outputs, self.output_dir, self.options.include_drafts,
                result.structure, result.linked)
            self.status = BuildStatus(builds=self.status.builds + 1, ok=result is not None,
                                      errors=errors, changed=changed,
                                      seconds=time.perf_counter() - started)
        if result is not None:
            for diagnostic in result.warnings:
                self.log(str(diagnostic))
            self.log(f"Rebuilt {result.pages_rendered} of {result.pages} pages in "
                     f"{self.status.seconds:.2f} s" + (f" ({len(changed)} files changed)"
                                                       if changed else ""))
        else:
            for line in errors:
                self.log(line)
            self.log("Build failed: the last good pages are still served, with the errors "
                     "shown on them.")
        return self.status

    def _quick(self, changed: set[str]) -> QuickResult | None:
        """The quick path for edits of articles' texts and of what their cards show (see
        ``quick.py``); ``None`` means a full build."""
        if self.state is None or self.options.search:
            return None
        try:
            return rebuild_edits(self.state, changed)
        except (BuildError, OSError):
            return None  # the full build reports it properly


class SiteWatcher:
    """Calls ``on_change`` with the site-relative paths of each burst of changes.

    Two watchfiles watchers feed one queue: one over ``content/``, ``templates/`` and
    ``static/`` (recursive), one over the site folder itself (not recursive: ``site.toml``,
    and those folders appearing; the output and cache folders are never watched). The consumer
    waits until ``quiet`` seconds pass without a new change, so a burst of saves, even one
    spread over both watchers, becomes one rebuild; changes made during a rebuild make the
    next one.
    """

    def __init__(self, site_dir: Path, on_change: Callable[[set[str]], None],
                 quiet: float = 0.1):
        self.site_dir = site_dir
        self.on_change = on_change
        self.quiet = quiet
        self.changes: queue.Queue[str] = queue.Queue()
        self.stopping = threading.Event()
        self.folders_stop = threading.Event()
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        self._spawn(self._watch_root)
        self._spawn(self._watch_folders, self.folders_stop)
        self._spawn(self._consume)

    def stop(self) -> None:
        self.stopping.set()
        self.folders_stop.set()
        self.changes.put("")
        for thread in self.threads:
            thread.join(timeout=5)

    def _spawn(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, name="portal-watch", daemon=True)
        self.threads.append(thread)
        thread.start()

    def _watch_root(self) -> None:
        for batch in watch(self.site_dir, recursive=False, step=20, stop_event=self.stopping,
                           rust_timeout=500, yield_on_timeout=True, raise_interrupt=False):
            names = {Path(path).name for _, path in batch}
            if names & set(WATCHED):  # a watched folder appeared or went: watch anew
                self.folders_stop.set()
                self.folders_stop = threading.Event()
                self._spawn(self._watch_folders, self.folders_stop)
            for name in sorted(names & {"site.toml", *WATCHED}):
                self.changes.put(name)

    def _watch_folders(self, stop: threading.Event) -> None:
        folders = [self.site_dir / name for name in WATCHED if (self.site_dir / name).is_dir()]
        if not folders:
            return
        for batch in watch(*folders, step=20, stop_event=stop, rust_timeout=500,
                           yield_on_timeout=True, raise_interrupt=False):
            for _, path in batch:
                self.changes.put(_relative(self.site_dir, path))

    def _consume(self) -> None:
        while not self.stopping.is_set():
            first = self.changes.get()
            burst = {first} if first else set()
            while True:
                try:
                    burst.add(self.changes.get(timeout=self.quiet))
                except queue.Empty:
                    break
            burst.discard("")
            if burst and not self.stopping.is_set():
                self.on_change(burst)


class _Status(web.RequestHandler):
    def initialize(self, previewer: Previewer) -> None:
        self.previewer = previewer

    def get(self) -> None:
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.write(self.previewer.status.to_json())


class _Client(web.RequestHandler):
    def get(self) -> None:
        self.set_header("Content-Type", "text/javascript; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.write(CLIENT_SCRIPT.read_bytes())


class _Pages(StaticFileHandler):
    """The preview folder, with its own 404 page, and a placeholder page carrying the error
    overlay while no build has succeeded yet."""

    def write_error(self, status_code: int, **kwargs) -> None:
        page = Path(self.root) / "404.html"
        if status_code == 404 and page.is_file():
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.finish(page.read_bytes())
            return
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(b'<!doctype html><html lang="vi"><head><meta charset="utf-8">'
                    b"<title>Xem tr\xc6\xb0\xe1\xbb\x9bc</title></head><body><main>"
                    b"<h1>Ch\xc6\xb0a c\xc3\xb3 trang</h1></main></body></html>")

    def set_extra_headers(self, path: str) -> None:
        self.set_header("Cache-Control", "no-store")


class _Injector(LiveScriptInjector):
    script = b'<script src="/__portal__/client.js" defer></script>'


class _RatingsProxy(web.RequestHandler):
    """Forwards the ratings API of the previewed pages to the service started beside the
    preview, so votes stay same-origin as behind the documented nginx proxy."""

    SUPPORTED_METHODS = ("GET", "POST", "OPTIONS")
    SKIPPED = frozenset({"content-length", "transfer-encoding", "connection", "host"})

    def initialize(self, target: str) -> None:
        self.target = target

    async def _forward(self, rest: str) -> None:
        query = f"?{self.request.query}" if self.request.query else ""
        headers = {k: v for k, v in self.request.headers.get_all()
                   if k.lower() not in self.SKIPPED}
        headers["X-Forwarded-For"] = self.request.remote_ip or "127.0.0.1"
        response = await AsyncHTTPClient().fetch(HTTPRequest(
            self.target + rest + query, method=self.request.method, headers=headers,
            body=self.request.body if self.request.method == "POST" else None,
            follow_redirects=False, allow_nonstandard_methods=True), raise_error=False)
        if response.code == 599:  # no answer at all
            self.set_status(502)
            self.finish({"error": "the ratings service beside the preview did not answer"})
            return
        self.set_status(response.code, response.reason)
        for name, value in response.headers.get_all():
            if name.lower() not in self.SKIPPED:
                self.add_header(name, value)
        self.finish(response.body or b"")

    get = post = options = _forward


def make_application(previewer: Previewer,
                     ratings: tuple[str, str] | None = None) -> web.Application:
    """``ratings`` is (path prefix the pages post to, URL of the service) when one runs."""
    proxy = [(re.escape(ratings[0]) + "(.*)", _RatingsProxy, {"target": ratings[1]})] \
        if ratings else []
    return web.Application(
        handlers=[
            *proxy,
            (r"/livereload", LiveReloadHandler),
            (r"/livereload\.js", LiveReloadJSHandler),
            (STATUS_PATH.replace(".", r"\."), _Status, {"previewer": previewer}),
            (r"/__portal__/client\.js", _Client),
            (r"/(.*)", _Pages, {"path": str(previewer.output_dir),
                                "default_filename": "index.html"}),
        ],
        transforms=[_Injector],
    )


def reload_pages() -> None:
    """Tell every open page to reload (runs on the server's IOLoop), in the LiveReload
    protocol that livereload's browser client speaks."""
    message = {"command": "reload", "path": "*", "liveCSS": False, "liveImg": False}
    for waiter in list(LiveReloadHandler.waiters):
        try:
            waiter.write_message(message)
        except WebSocketClosedError:
            LiveReloadHandler.waiters.discard(waiter)


@dataclass(frozen=True)
class RunningPreview:
    url: str
    previewer: Previewer
    stop: Callable[[], None]


def start_preview(options: ServeOptions, log: Log,
                  ready: Callable[[RunningPreview], None] | None = None) -> None:
    """Build, serve and watch until interrupted (Ctrl+C) or until ``stop`` is called."""
    site_dir = options.site_dir.resolve()
    options = replace(options, site_dir=site_dir)
    output_dir = preview_folder(options)
    sockets = bind_sockets(options.port, address=options.host)
    port = sockets[0].getsockname()[1]
    url = f"http://{options.host}:{port}/"
    # Pages of the preview point at the preview (canonical URLs, feeds, a sub-path base_url
    # served from the root), never at the public site.
    previewer = Previewer(options, output_dir, log, base_url=url)
    previewer.rebuild()
    output_dir.mkdir(parents=True, exist_ok=True)
    service = start_ratings(site_dir, output_dir, url)
    loop = IOLoop.current()
    server = HTTPServer(make_application(
        previewer, (urlsplit(urljoin(url, service[0])).path, service[1].url) if service
        else None))
    server.add_sockets(sockets)

    def changed(paths: set[str]) -> None:
        previewer.rebuild(paths)
        loop.add_callback(reload_pages)

    watcher = SiteWatcher(site_dir, changed)
    watcher.start()

    def stop() -> None:
        loop.add_callback(loop.stop)

    running = RunningPreview(url=url, previewer=previewer,
                             stop=stop)
    if ready:
        ready(running)
    try:
        loop.start()
    except KeyboardInterrupt:
        pass
    finally:
        watcher.stop()
        server.stop()
        if service:
            service[1].stop()


def start_ratings(site_dir: Path, output_dir: Path,
                  url: str) -> tuple[str, RunningService] | None:
    """The ratings service beside the preview, when the site has one at a path of its own
    (``[ratings] endpoint = "/api/ratings/"``): a free port, the preview's origin, and a
    database of its own in the cache, so trial votes never mix with readers' votes."""
    config = load_config(site_dir)
    endpoint = config.ratings_endpoint
    if config.ratings is None or not endpoint or urlsplit(endpoint).netloc:
        return None
    settings = settings_for_site(config, port=0, output_dir=output_dir, origin=url,
                                 database=config.cache_dir / "preview-ratings.sqlite3")
    return endpoint, start_in_thread(settings)


def _relative(site_dir: Path, path: str) -> str:
    try:
        return Path(path).relative_to(site_dir).as_posix()
    except ValueError:
        return path
