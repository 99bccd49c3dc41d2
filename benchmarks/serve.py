"""Live preview latency: from saving an article to the reload signal reaching the browser.

    python benchmarks/serve.py [N ...] [--edits 7]

For each N (default 1,000 and 10,000) it writes the benchmark corpus (``corpus.py``) into a
temporary folder, starts ``python build.py serve`` on it, connects to the live-reload socket as
a browser does, and then, for each edit, appends a sentence to one article's body (a different
article each time) and measures until the ``reload`` message arrives. It also measures one edit
that changes a title (the page moves and the listings showing it change: the quick path for
card edits). Prints medians; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tornado.websocket import websocket_connect

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


async def reload_after(url: str, edit) -> float:
    """Seconds from ``edit()`` to the next reload message on the live-reload socket."""
    socket = await websocket_connect(url.replace("http://", "ws://") + "livereload")
    await socket.write_message(json.dumps({"command": "hello", "protocols": [
        "http://livereload.com/protocols/official-7"]}))
    await socket.read_message()
    await socket.write_message(json.dumps({"command": "info", "url": url, "plugins": {}}))
    await asyncio.sleep(0.2)  # the server registers the page on "info"
    started = time.perf_counter()
    edit()
    while True:
        message = json.loads(await socket.read_message())
        if message.get("command") == "reload":
            socket.close()
            return time.perf_counter() - started


def measure(count: int, edits: int) -> None:
    with tempfile.TemporaryDirectory() as temp:
        site = Path(temp) / "site"
        subprocess.run([sys.executable, str(HERE / "corpus.py"), str(count), str(site)],
                       check=True, stdout=subprocess.DEVNULL)
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, str(REPO / "build.py"), "serve", "--site", str(site), "--port",
             "0", "--now", "2026-01-01"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            line = process.stdout.readline()
            url = line.split(" at ", 1)[1].split(" ", 1)[0]
            first = time.perf_counter() - started
            articles = sorted((site / "content" / "articles").glob("*.md"))
            times = []
            for n in range(edits):
                path = articles[(n * 7919) % len(articles)]

                def edit(path=path, n=n):
                    with path.open("a", encoding="utf-8") as stream:
                        stream.write(f"\nCâu bổ sung số {n} cho bài viết.\n")

                times.append(asyncio.run(reload_after(url, edit)))
            path = articles[len(articles) // 2]
            text = path.read_text(encoding="utf-8")
            title = asyncio.run(reload_after(url, lambda: path.write_text(
                text.replace("title: ", "title: Đã sửa - ", 1), encoding="utf-8")))
        finally:
            process.terminate()
            process.wait(timeout=30)
        print(f"{count:>7,} articles: first build {first:6.2f} s; body edit → reload "
              f"median {statistics.median(times) * 1000:6.0f} ms (min "
              f"{min(times) * 1000:.0f}, max {max(times) * 1000:.0f}, {edits} edits); "
              f"title edit → reload {title:5.2f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--edits", type=int, default=7)
    args = parser.parse_args()
    print(f"serve latency on {os.cpu_count()} CPUs (python {sys.version.split()[0]})")
    for count in args.sizes:
        measure(count, args.edits)


if __name__ == "__main__":
    main()
