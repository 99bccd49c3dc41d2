"""The static search index, built with Pagefind from the rendered pages.

Only item pages are indexed (articles, campaigns, plain pages: their templates mark the
searchable part with ``data-pagefind-body``); listings would only repeat them. Pagefind folds
tone and vowel marks ("cai cach" finds "cải cách"); ``đ`` is a letter of its own, so the search
page's script also tries each typed "d" as "đ" (see ``static/js/search.js``).

Pages are streamed in plan order to the binary that the ``pagefind[bin]`` package ships, in its
``--service`` mode. Two ready-made routes were measured and rejected: the package's Python
wrapper polls for each answer every 0.1 s (ten pages a second), and the command-line indexer
reads a folder in parallel, so its filter files differ from run to run and builds would no
longer be byte-identical. The index files then go to the write stage like any other output:
replaced atomically, stale ones removed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import tempfile
import threading
from importlib.metadata import version
from pathlib import Path
from typing import IO, Any

from pagefind.service import get_executable

from portal.errors import OutputError
from portal.plan import Output

PAGEFIND_VERSION = version("pagefind")
INDEXED_TEMPLATES = ("article.html", "campaign.html", "page.html")
SEARCH_FOLDER = "pagefind"
UNUSED = ("pagefind-ui.", "pagefind-modular-ui.", "pagefind-component-ui.")
"""Pagefind's ready-made interfaces: the theme has its own accessible search page."""


def searchable(output: Output) -> bool:
    if output.kind != "page" or output.template not in INDEXED_TEMPLATES:
        return False
    pagination = output.context.get("pagination")
    return pagination is None or pagination.number == 1


def build_search_index(outputs: list[Output], rendered: dict[str, bytes], language: str,
                       cache_dir: Path) -> dict[str, bytes]:
    """Index the searchable pages; return the index files by output path.

    Pagefind writes its filter and metadata files in a varying order (the same index, other
    bytes), so the index of the last build is kept in the cache, keyed by everything it is
    made of, and reused while the searchable pages do not change: rebuilds stay byte-identical
    and hosts do not re-upload an unchanged index.
    """
    pages = [("/" + o.url, rendered[o.path]) for o in outputs if searchable(o)]
    key = _digest(pages, language)
    cached = cache_dir / "search" / key
    if not cached.is_dir():
        cache_dir.joinpath("search").mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=cache_dir / "search"))
        try:
            _PagefindService(language).index(pages, staging)
            for old in (cache_dir / "search").iterdir():
                if old != staging and not old.name.startswith(".staging-"):
                    shutil.rmtree(old, ignore_errors=True)
            staging.rename(cached)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return {
        f"{SEARCH_FOLDER}/{path.relative_to(cached).as_posix()}": path.read_bytes()
        for path in sorted(cached.rglob("*"))
        if path.is_file() and not path.name.startswith(UNUSED)
    }


def _digest(pages: list[tuple[str, bytes]], language: str) -> str:
    digest = hashlib.sha256(f"pagefind {PAGEFIND_VERSION} {language}\n".encode())
    for url, html in pages:
        digest.update(url.encode() + b"\0" + hashlib.sha256(html).digest())
    return digest.hexdigest()[:32]


class _PagefindService:
    """A minimal client of ``pagefind --service``: base64 JSON messages, each ended by ','."""

    def __init__(self, language: str):
        self.language = language
        executable = get_executable()
        if executable is None:
            raise OutputError("search index: the Pagefind binary is missing: "
                              "python -m pip install 'pagefind[bin]'")
        self.executable = executable

    def index(self, pages: list[tuple[str, bytes]], output: Path) -> None:
        process = subprocess.Popen([str(self.executable), "--service"], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert process.stdin is not None and process.stdout is not None
        try:
            self._send(process.stdin, 0, {"type": "NewIndex",
                                          "config": {"force_language": self.language}})
            messages = _Messages(process.stdout)
            index_id = self._receive(messages, "NewIndex")["index_id"]
            requests = [{"type": "AddFile", "index_id": index_id, "url": url,
                         "file_contents": html.decode("utf-8"), "file_path": None}
                        for url, html in pages]
            requests.append({"type": "WriteFiles", "index_id": index_id,
                             "output_path": str(output)})
            writer = threading.Thread(target=self._send_all, args=(process.stdin, requests))
            writer.start()
            for request in requests:
                self._receive(messages, "IndexedFile" if request["type"] == "AddFile"
                              else "WriteFiles")
            writer.join()
        finally:
            process.kill()
            process.wait()

    def _send_all(self, stream: IO[bytes], requests: list[dict[str, Any]]) -> None:
        for number, payload in enumerate(requests, start=1):
            self._send(stream, number, payload)

    @staticmethod
    def _send(stream: IO[bytes], message_id: int, payload: dict[str, Any]) -> None:
        message = json.dumps({"message_id": message_id, "payload": payload}).encode("utf-8")
        stream.write(base64.b64encode(message) + b",")
        stream.flush()

    @staticmethod
    def _receive(messages: _Messages, expected: str) -> dict[str, Any]:
        payload = json.loads(base64.b64decode(messages.next()))["payload"]
        if payload.get("type") != expected:
            raise OutputError(f"search index: Pagefind answered {payload.get('type')}: "
                              f"{payload.get('message', '')}")
        return payload


class _Messages:
    """Splits the service's output into messages: base64 never contains ',', which ends each."""

    def __init__(self, stream: IO[bytes]):
        self.stream = stream
        self.buffer = b""

    def next(self) -> bytes:
        while b"," not in self.buffer:
            chunk = self.stream.read1(1 << 16)  # type: ignore[attr-defined]
            if not chunk:
                raise OutputError("search index: Pagefind stopped unexpectedly")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b",", 1)
        return message
