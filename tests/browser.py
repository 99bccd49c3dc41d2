"""Helpers for browser tests: a built sample site served on loopback, and Debian's Chromium.

Never downloads a browser: Playwright drives ``/usr/bin/chromium`` (or ``PORTAL_CHROMIUM``).
"""

from __future__ import annotations

import functools
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def chromium_path() -> str | None:
    candidate = os.environ.get("PORTAL_CHROMIUM") or shutil.which("chromium") or \
        "/usr/bin/chromium"
    return candidate if Path(candidate).is_file() else None


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
"""The policy README.md documents for hosts; every browser test page is served with it."""


class PolicyHandler(SimpleHTTPRequestHandler):
    """Static files with the documented Content Security Policy, quietly."""

    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve(folder: Path, handler_class: type[PolicyHandler] = PolicyHandler,
          prefix: str = "/") -> Iterator[str]:
    """Serve ``folder`` on a free loopback port, with the documented Content Security Policy;
    yields the base URL (``prefix`` after the port, with trailing slash)."""
    handler = functools.partial(handler_class, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{prefix}"
    finally:
        server.shutdown()
        server.server_close()


def axe_violations(page) -> list[str]:
    """Every axe finding (WCAG 2.0–2.2 A/AA) on the page as it is now, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    return [f"{v['id']}: {v['help']} ({', '.join(n['target'][0] for n in v['nodes'][:3])})"
            for v in results.response["violations"]]
