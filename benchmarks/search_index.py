"""Search-index figures: build time, total size, and bytes one query downloads.

    python benchmarks/search_index.py [N ...]        (default: 1000 10000)
    python benchmarks/search_index.py 10000 --shard-articles 1000 --first-pages 1000

For each N it writes the deterministic corpus (benchmarks/corpus.py), builds it (with
``[search] shard_articles`` and ``first_pages`` set when ``--shard-articles`` and
``--first-pages`` are given), and loads the search page in Debian's Chromium for a few queries,
adding up every byte fetched under /pagefind/ (Pagefind's index files are compressed already;
the server sends them as they are) and counting the shards a query searched first.
"""

from __future__ import annotations

import argparse
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


def measure(count: int, workdir: Path, settings: dict[str, int]) -> dict[str, object]:
    from playwright.sync_api import sync_playwright

    corpus = write_corpus(count, workdir / f"site-{count}")
    if settings:
        config = corpus.folder / "site.toml"
        lines = "".join(f"{key} = {value}\n" for key, value in settings.items())
        config.write_text(config.read_text(encoding="utf-8") + f"\n[search]\n{lines}",
                          encoding="utf-8")
    result = build(BuildOptions(site_dir=corpus.folder, now="2026-01-01"), environ={})
    index = corpus.folder / "_site" / "pagefind"
    files = [p for p in index.rglob("*") if p.is_file()]
    fetched: dict[str, int] = {}
    shards: dict[str, int] = {}
    with serve(corpus.folder / "_site") as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        for query in QUERIES:
            context = browser.new_context()
            page = context.new_page()
            sizes: list[int] = []
            entries: list[str] = []
            page.on("response", lambda r, sizes=sizes: sizes.append(len(r.body()))
                    if "/pagefind/" in r.url else None)
            page.on("request", lambda r, entries=entries: entries.append(r.url)
                    if "/pagefind-entry.json" in r.url else None)
            page.goto(f"{url}tim-kiem/?q={quote(query)}")
            page.wait_for_selector(".search-result", timeout=30000)
            page.wait_for_load_state("networkidle")
            fetched[query] = sum(sizes)
            shards[query] = len({entry.split("?")[0] for entry in entries})
            context.close()
        browser.close()
    return {
        "articles": count,
        "build_s": result.seconds,
        "index_s": result.stages["search"],
        "index_files": len(files),
        "index_bytes": sum(p.stat().st_size for p in files),
        "query_bytes": fetched,
        "query_shards": shards,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("counts", type=int, nargs="*", default=[1000, 10000], metavar="N")
    parser.add_argument("--shard-articles", type=int, metavar="N",
                        help="[search] shard_articles of the corpus (default: the site default)")
    parser.add_argument("--first-pages", type=int, metavar="N",
                        help="[search] first_pages of the corpus (default: the site default)")
    args = parser.parse_args()
    settings = {key: value for key, value in (("shard_articles", args.shard_articles),
                                              ("first_pages", args.first_pages)) if value}
    with tempfile.TemporaryDirectory() as temp:
        for count in args.counts:
            row = measure(count, Path(temp), settings)
            per_query = ", ".join(
                f"“{q}” {b / 1024:.0f} KiB ({row['query_shards'][q]} shards)"
                for q, b in row["query_bytes"].items())
            print(f"{row['articles']:>6} articles: build {row['build_s']:.1f} s "
                  f"(index {row['index_s']:.1f} s); index {row['index_files']} files, "
                  f"{row['index_bytes'] / 1024 / 1024:.1f} MiB; one query fetches: {per_query}")


if __name__ == "__main__":
    main()
