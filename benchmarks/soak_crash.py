"""Soak test of crash safety: hundreds of builds killed (SIGKILL) while they write.

The test suite runs the same harness (``tests/crash_harness.py``) for 16 kills; this runs as
many as asked and prints what each kill left::

    python benchmarks/soak_crash.py                      # 300 kills, 200 articles (~10 min)
    python benchmarks/soak_crash.py --kills 1000 --articles 500 --seed 7
    python benchmarks/soak_crash.py --body-only          # kills in the quick path
    python benchmarks/soak_crash.py --cards-only         # kills in the quick path for card edits

After every kill each output file must be, byte for byte, that file of a complete build of the
old or of the new sources; every fourth round a complete build must equal a clean build of its
sources exactly, with no staging folder left and an intact build cache. The first failure stops
the run with exit status 1.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from crash_harness import Round, remove, run_rounds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=300, help="builds to kill (default 300)")
    parser.add_argument("--articles", type=int, default=200,
                        help="articles of the site (default 200)")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the kill delays")
    parser.add_argument("--body-only", action="store_true",
                        help="alternate versions that differ in article texts only, so the "
                             "builds take the quick path for body edits")
    parser.add_argument("--cards-only", action="store_true",
                        help="alternate versions that differ in article titles only, so the "
                             "builds take the quick path for card edits (every page moves)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="soak-crash-"))
    started = time.perf_counter()

    def report(number: int, done: Round) -> None:
        state = "finished" if done.finished else "killed"
        print(f"{number + 1:5d}/{args.kills} → {done.version}: {state} after {done.delay:.3f} s, "
              f"{'mixed old/new' if done.mixed else 'one version'}, "
              f"{done.leftovers} temporary files", flush=True)

    try:
        rounds = run_rounds(work, args.kills, args.articles, args.seed, report,
                            ("C", "A") if args.body_only
                            else ("D", "A") if args.cards_only else ("B", "A"))
    except AssertionError as exc:
        print(f"FAILED: {exc}\nwork folder kept: {work}", file=sys.stderr)
        return 1
    killed = sum(not r.finished for r in rounds)
    mixed = sum(r.mixed for r in rounds)
    print(f"{len(rounds)} rounds in {time.perf_counter() - started:.0f} s: {killed} killed "
          f"before finishing, {mixed} while files were being replaced; every file whole, "
          f"every repair exact")
    if not args.keep:
        remove(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
