"""Peak memory of a cold build: the main process and the whole process tree.

    python benchmarks/memory.py N [N ...] [--search]

For each N it writes the benchmark corpus (``corpus.py``) into a temporary folder, runs
``python build.py`` on it (without search unless ``--search``) and samples, every 0.5 s, the
resident set size of the main process and the proportional set size (PSS: shared pages split
between the processes sharing them) of the main process plus its forked workers. RSS summed
over forked workers counts shared pages once per process; PSS does not. Prints figures only.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def _kib(pid: int, file: str, field: str) -> int:
    try:
        with open(f"/proc/{pid}/{file}", encoding="ascii") as stream:
            for line in stream:
                if line.startswith(field):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    """Every process forked by any thread of ``pid`` (a pool's worker-handler thread forks the
    replacement workers), and theirs."""
    found = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return []
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as stream:
                found += [int(c) for c in stream.read().split()]
        except FileNotFoundError:
            continue
    return [grand for child in found for grand in (child, *_children(child))]


def measure(count: int, search: bool) -> None:
    with tempfile.TemporaryDirectory() as temp:
        site = Path(temp) / "site"
        subprocess.run([sys.executable, str(HERE / "corpus.py"), str(count), str(site)],
                       check=True, stdout=subprocess.DEVNULL)
        command = [sys.executable, str(REPO / "build.py"), "build", "--site", str(site),
                   "--now", "2026-01-01", "-q"] + ([] if search else ["--no-search"])
        started = time.perf_counter()
        process = subprocess.Popen(command)
        peak_rss = peak_pss = 0
        while process.poll() is None:
            peak_rss = max(peak_rss, _kib(process.pid, "status", "VmRSS:"))
            tree = [process.pid, *_children(process.pid)]
            peak_pss = max(peak_pss, sum(_kib(p, "smaps_rollup", "Pss:") for p in tree))
            time.sleep(0.5)
        seconds = time.perf_counter() - started
        print(f"{count:>8,} articles{' (with search)' if search else ''}: cold build "
              f"{seconds:7.1f} s (exit {process.returncode}); peak RSS main process "
              f"{peak_rss // 1024:,} MiB; peak PSS main + workers {peak_pss // 1024:,} MiB",
              flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", type=int, nargs="+")
    parser.add_argument("--search", action="store_true")
    args = parser.parse_args()
    print(f"memory on {os.cpu_count()} CPUs (python {sys.version.split()[0]})")
    for count in args.sizes:
        measure(count, args.search)


if __name__ == "__main__":
    main()
