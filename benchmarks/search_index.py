"""Search-index figures: build time, total size, and bytes one query downloads.

    python benchmarks/search_index.py [N ...]        (default: 1000 10000)

For each N it writes the deterministic corpus (benchmarks/corpus.py), builds it, and loads the
search page in Debian's Chromium for a few queries, adding up every byte fetched under
/pagefind/ (Pagefind's index files are compressed already; the server sends them as they are).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parent / "tests"), str(HERE)]

from browser import CHROMIUM_ARGS, chromium_path, serve  # noqa: E402
from corpus import write_corpus  # noqa: E402

from portal.pipeline import BuildOptions, build  # noqa: E402

QUERIES = ("cai cach hanh chinh", "dong thi dua", "chuyển đổi số", "thanh long")


def measure(count: int, workdir: Path) -> dict[str, object]:
    from playwright.sync_api import sync_playwright

    corpus = write_corpus(count, workdir / f"site-{count}")
    result = build(BuildOptions(site_dir=corpus.folder, now="2026-01-01"), environ={})
    index = corpus.folder / "_site" / "pagefind"
    files = [p for p in index.rglob("*") if p.is_file()]
    fetched: dict[str, int] = {}
    with serve(corpus.folder / "_site") as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        for query in QUERIES:
            context = browser.new_context()
            page = context.new_page()
            sizes: list[int] = []
            page.on("response", lambda r, sizes=sizes: sizes.append(len(r.body()))
                    if "/pagefind/" in r.url else None)
            page.goto(f"{url}tim-kiem/?q={quote(query)}")
            page.wait_for_selector(".search-result", timeout=30000)
            page.wait_for_load_state("networkidle")
            fetched[query] = sum(sizes)
            context.close()
        browser.close()
    return {
        "articles": count,
        "build_s": result.seconds,
        "index_s": result.stages["search"],
        "index_files": len(files),
        "index_bytes": sum(p.stat().st_size for p in files),
        "query_bytes": fetched,
    }


def main() -> None:
    counts = [int(a) for a in sys.argv[1:]] or [1000, 10000]
    with tempfile.TemporaryDirectory() as temp:
        for count in counts:
            row = measure(count, Path(temp))
            per_query = ", ".join(f"“{q}” {b / 1024:.0f} KiB" for q, b in
                                  row["query_bytes"].items())
            print(f"{row['articles']:>6} articles: build {row['build_s']:.1f} s "
                  f"(index {row['index_s']:.1f} s); index {row['index_files']} files, "
                  f"{row['index_bytes'] / 1024 / 1024:.1f} MiB; one query fetches: {per_query}")


if __name__ == "__main__":
    main()
