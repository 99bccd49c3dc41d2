#!/usr/bin/env python3
"""Build the site when its schedule says content changes by itself; otherwise do nothing.

Run it from cron or a scheduled CI job: ``deploy/rebuild-when-due.py [--schedule FILE]
[build options...]``. The build writes the schedule it reads next time (``--schedule-file``),
so each run knows when the next scheduled article or campaign boundary is due.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

BUILD = Path(__file__).resolve().parent.parent / "build.py"


def next_rebuild(schedule: Path) -> datetime | None:
    """The moment of the next due build; ``None`` when it is unknown (build now)."""
    try:
        moment = json.loads(schedule.read_text(encoding="utf-8"))["next_rebuild"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return datetime.max.replace(tzinfo=UTC) if moment is None else \
        datetime.fromisoformat(moment)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schedule", type=Path, default=Path(".portal-cache/schedule.json"),
                        help="schedule file written by the last build")
    args, build_options = parser.parse_known_args()
    due = next_rebuild(args.schedule)
    if due is not None and due > datetime.now(UTC):
        when = "nothing is scheduled" if due.year == 9999 else f"next build due at {due}"
        print(f"Up to date: {when}.")
        return 0
    command = [sys.executable, str(BUILD), "build", "--schedule-file", str(args.schedule),
               *build_options]
    return subprocess.call(command)


if __name__ == "__main__":
    raise SystemExit(main())
