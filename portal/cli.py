"""The command line: the only place that prints and chooses exit codes.

Exit status 0 on success, 1 when the site's sources (or its output folder) are wrong, 2 when
the command line itself is wrong. Every content error of a build is listed, one
``path:line: message`` per line, like a compiler.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn, TextIO
from urllib.parse import urlsplit

from portal.config import load_config
from portal.errors import BuildError, OutputError, UsageError
from portal.pipeline import BuildOptions, build, resolve_now
from portal.scaffold import KINDS, create_content


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own usage errors: exit status 2
        raise UsageError(message)


def _add_site_option(command: argparse.ArgumentParser) -> None:
    command.add_argument("--site", type=Path, default=Path("."), metavar="DIR",
                         help="the site folder holding site.toml (default: current folder)")


def make_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python build.py",
        description="Build the static news portal of a Vietnamese public body.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    build_cmd = commands.add_parser("build", help="build the site into its output folder "
                                    "(the default command)")
    _add_site_option(build_cmd)
    build_cmd.add_argument("--output", type=Path, metavar="DIR",
                           help="output folder (default: output_dir of site.toml, '_site')")
    build_cmd.add_argument("--now", metavar="WHEN",
                           help="the build's moment, e.g. '2023-12-31 08:00' (default: "
                                "SOURCE_DATE_EPOCH if set, else the current time)")
    build_cmd.add_argument("--drafts", action="store_true",
                           help="also publish articles and pages marked 'draft: true'")
    build_cmd.add_argument("--no-search", dest="search", action="store_false",
                           help="skip the search index (quick previews; the search page "
                                "then finds nothing)")
    build_cmd.add_argument("--clean", action="store_true",
                           help="ignore the build cache and rebuild every page")
    build_cmd.add_argument("--base-url", metavar="URL",
                           help="publish for this address instead of base_url of site.toml "
                                "(preview deployments), e.g. https://example.gov.vn/xa-cho-gao/")
    build_cmd.add_argument("--precompress", action="store_true",
                           help="also write .gz and .br siblings of text files for hosts "
                                "that serve precompressed files")
    build_cmd.add_argument("--check-links", action="store_true",
                           help="after building, check that every link and asset reference "
                                "of the output resolves inside it (exit status 1 if not)")
    build_cmd.add_argument("--schedule-file", type=Path, metavar="FILE",
                           help="write the moments a rebuild changes the site (scheduled "
                                "articles, campaign starts and ends) to FILE as JSON")
    build_cmd.add_argument("-q", "--quiet", action="store_true",
                           help="print errors and warnings only")
    serve_cmd = commands.add_parser("serve", help="preview the site on localhost, rebuilding "
                                    "and reloading the browser after every save")
    _add_site_option(serve_cmd)
    serve_cmd.add_argument("--host", default="127.0.0.1",
                           help="address to listen on (default: 127.0.0.1, this machine only)")
    serve_cmd.add_argument("--port", type=int, default=8000,
                           help="port to listen on (default: 8000; 0 picks a free one)")
    serve_cmd.add_argument("--output", type=Path, metavar="DIR",
                           help="preview folder (default: 'preview' in cache_dir); never the "
                                "deploy folder")
    serve_cmd.add_argument("--now", metavar="WHEN",
                           help="preview the site as it will be at this moment")
    serve_cmd.add_argument("--drafts", action="store_true",
                           help="also show articles and pages marked 'draft: true'")
    serve_cmd.add_argument("--search", action="store_true",
                           help="also build the search index (slower rebuilds)")
    check_cmd = commands.add_parser("check", help="find content errors, broken links and "
                                    "anchors, images without text alternatives and more, "
                                    "without building for deploy")
    _add_site_option(check_cmd)
    check_cmd.add_argument("--now", metavar="WHEN",
                           help="check the site as it will be at this moment")
    check_cmd.add_argument("--drafts", action="store_true",
                           help="also check articles and pages marked 'draft: true'")
    check_cmd.add_argument("--external", action="store_true",
                           help="also request every external link (needs the network)")
    check_cmd.add_argument("--strict", action="store_true",
                           help="fail (exit status 1) on warnings too")
    ratings_cmd = commands.add_parser("ratings", help="run the ratings service that counts "
                                      "readers' votes (see README 'Ratings')")
    _add_site_option(ratings_cmd)
    ratings_cmd.add_argument("--host", default="127.0.0.1",
                             help="address to listen on (default: 127.0.0.1, behind a reverse "
                                  "proxy)")
    ratings_cmd.add_argument("--port", type=int, default=8001,
                             help="port to listen on (default: 8001; 0 picks a free one)")
    ratings_cmd.add_argument("--database", type=Path, metavar="FILE",
                             help="SQLite database of votes (default: [ratings] database, "
                                  "'ratings.sqlite3' in the site folder)")
    ratings_cmd.add_argument("--origin", metavar="URL",
                             help="the only origin allowed to vote (default: [ratings] origin, "
                                  "else that of base_url)")
    ratings_cmd.add_argument("--output", type=Path, metavar="DIR",
                             help="the built site whose ratings-articles.json lists the "
                                  "articles that may be rated (default: output_dir)")
    ratings_cmd.add_argument("--serve-site", action="store_true",
                             help="also serve that built site, with live scores, on the same "
                                  "origin (a preview without a reverse proxy)")
    new_cmd = commands.add_parser("new", help="create a content file with its front matter")
    new_cmd.add_argument("kind", choices=KINDS, help="what to create")
    new_cmd.add_argument("title", help="its title, in Vietnamese (the file name is its slug)")
    _add_site_option(new_cmd)
    return parser


def run() -> NoReturn:
    """The process entry point (``python build.py``, ``python -m portal``, ``portal``):
    :func:`main`, then exit without scanning the heap once more. Python runs the cyclic
    garbage collector over every object when it shuts down; after a build at 10,000 articles
    that is the whole model, 0.2 s for nothing (freezing moves it out of that collection;
    reference counting still frees it, and exit handlers run as usual)."""
    code = main()
    gc.freeze()
    raise SystemExit(code)


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None,
         stderr: TextIO | None = None) -> int:
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or (args_list[0].startswith("-") and args_list[0] not in ("-h", "--help")):
        args_list.insert(0, "build")
    try:
        args = make_parser().parse_args(args_list)
        if args.command == "new":
            return _run_new(args, out, err)
        if args.command == "check":
            return _run_check(args, out, err)
        if args.command == "serve":
            return _run_serve(args, out, err)
        if args.command == "ratings":
            return _run_ratings(args, out, err)
        return _run_build(args, out, err)
    except UsageError as exc:
        print(f"error: {exc}", file=err)
        print("usage: python build.py [build] [--site DIR] [--output DIR] [--now WHEN] "
              "[--drafts] [--clean] [--no-search] [-q]  (see --help)", file=err)
        return 2


def _run_build(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    options = BuildOptions(site_dir=args.site, now=args.now, output_dir=args.output,
                           include_drafts=args.drafts, clean=args.clean,
                           search=args.search, base_url=args.base_url,
                           precompress=args.precompress)
    bar = _ProgressBar(err) if err.isatty() and not args.quiet else None
    try:
        result = build(options, progress=bar,
                       waiting=None if args.quiet else lambda note: print(note, file=err))
    except BuildError as exc:
        if bar:
            bar.clear()
        for diagnostic in exc.diagnostics:
            print(diagnostic, file=err)
        errors = len(exc.errors)
        warnings = len(exc.diagnostics) - errors
        print(f"Build failed: {_count(errors, 'error')}, {_count(warnings, 'warning')}; "
              "the output folder was not changed.", file=err)
        return 1
    except OutputError as exc:
        if bar:
            bar.clear()
        print(f"error: {exc}", file=err)
        return 1
    if bar:
        bar.clear()
    for diagnostic in result.warnings:
        print(diagnostic, file=err)
    if args.schedule_file:
        from portal.schedule import write_schedule  # imported when needed, as the stages are

        write_schedule(args.schedule_file, result.schedule, result.now)
    if not args.quiet:
        print(f"Built {_count(result.pages, 'page')} in {result.seconds:.2f} s: "
              f"{result.written} files written, {result.unchanged} unchanged, "
              f"{result.removed} removed, {_count(len(result.warnings), 'warning')} "
              f"→ {_shown(result.output_dir)}", file=out)
        if result.page_weights:
            print("Page weight, first visit (gzip, without content images): " + "; ".join(
                w.summary(label) for w, label in zip(result.page_weights, ("home", "article"),
                                                     strict=False)) + ".", file=out)
        if result.schedule:
            change = result.schedule[0]
            print(f"Next scheduled change: {change.moment:%d/%m/%Y %H:%M}, {change.reason} "
                  f"({change.source}): rebuild at or after that moment.", file=out)
    if args.check_links:
        from portal.linkcheck import check_links

        broken = check_links(result.output_dir, result.base_url)
        for diagnostic in broken:
            print(diagnostic, file=err)
        print(f"Link check: {_count(len(broken), 'broken link')} in "
              f"{_shown(result.output_dir)}.", file=err if broken else out)
        return 1 if broken else 0
    return 0


def _run_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from portal.check import CheckOptions, check_site  # not loaded by every build

    options = CheckOptions(site_dir=args.site, now=args.now, include_drafts=args.drafts,
                           external=args.external)
    try:
        findings = check_site(options)
    except BuildError as exc:  # site.toml itself is wrong
        findings = exc.diagnostics
    except OutputError as exc:
        print(f"error: {exc}", file=err)
        return 1
    for finding in findings:
        print(finding, file=out)
    errors = sum(1 for f in findings if f.is_error)
    warnings = len(findings) - errors
    failed = errors or (args.strict and warnings)
    verdict = "not ready to publish" if failed else "ready to publish"
    print(f"Check: {_count(errors, 'error')}, {_count(warnings, 'warning')}: {verdict}"
          + (" (--strict: warnings count)" if args.strict and warnings and not errors else "")
          + ".", file=out)
    return 1 if failed else 0


def _run_serve(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    # The web server and watcher stack is loaded only when serving: builds start faster.
    from portal.serve import RunningPreview, ServeOptions, start_preview

    options = ServeOptions(site_dir=args.site, host=args.host, port=args.port,
                           output_dir=args.output, now=args.now, include_drafts=args.drafts,
                           search=args.search)

    def log(line: str) -> None:
        print(line, file=err, flush=True)

    def ready(preview: RunningPreview) -> None:
        print(f"Serving the preview of {_shown(preview.previewer.output_dir)} at {preview.url} "
              "(Ctrl+C stops). Pages reload after every save.", file=out, flush=True)

    try:
        start_preview(options, log, ready)
    except BuildError as exc:  # site.toml itself is wrong: nothing to serve
        for diagnostic in exc.diagnostics:
            print(diagnostic, file=err)
        return 1
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=err)
        return 1
    return 0


def _run_ratings(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from portal.ratings.published import PublishedError
    from portal.ratings.server import make_server
    from portal.ratings.settings import PREFIX, settings_for_site

    if args.origin is not None:
        _check_origin_option(args.origin)
    try:
        config = load_config(args.site.resolve())
    except BuildError as exc:
        for diagnostic in exc.diagnostics:
            print(diagnostic, file=err)
        return 1
    settings = settings_for_site(config, host=args.host, port=args.port,
                                 database=args.database, origin=args.origin,
                                 output_dir=args.output, serve_site=args.serve_site)
    try:
        server = make_server(settings)
    except PublishedError as exc:
        print(f"error: {_shown(exc.path)}: {exc.problem}", file=err)
        return 1
    print(f"Ratings service at http://{args.host}:{args.port}{PREFIX} for "
          f"{settings.origin}; votes in {_shown(settings.database)} (Ctrl+C stops).",
          file=out, flush=True)
    server.run()
    return 0 if server.started else 1


def _check_origin_option(value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or \
            parts.path not in ("", "/") or parts.query or parts.fragment:
        raise UsageError(f"--origin: expected an origin like https://example.gov.vn (scheme "
                         f"and host, no path), got {value!r}")


def _run_new(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    site_dir = args.site.resolve()
    try:
        config = load_config(site_dir)
    except BuildError as exc:
        for diagnostic in exc.diagnostics:
            print(diagnostic, file=err)
        return 1
    now = resolve_now(config, None, os.environ)
    created = create_content(config, args.kind, args.title, now)
    print(f"Created {created.path.relative_to(site_dir).as_posix()}: fill in the front matter "
          "(lines starting with # are optional keys), then build.", file=out)
    return 0


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _shown(path: Path) -> str:
    try:
        shown = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if shown.startswith("..") else shown


class _ProgressBar:
    """A one-line bar on an interactive terminal, shown only when a stage lasts long enough
    to wonder about."""

    DELAY = 0.5
    WIDTH = 30

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.started = time.monotonic()
        self.shown = False

    def __call__(self, stage: str, done: int, total: int) -> None:
        if time.monotonic() - self.started < self.DELAY or (done % 50 and done != total):
            return
        filled = self.WIDTH * done // max(total, 1)
        self.stream.write(f"\r{stage} [{'#' * filled}{' ' * (self.WIDTH - filled)}] "
                          f"{done}/{total}")
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()


if __name__ == "__main__":
    raise SystemExit(main())
