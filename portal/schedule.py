"""When the site will change by itself: the moments a rebuild must happen.

A static site cannot publish a scheduled article or end a campaign on its own; some build must
run at or after that moment. Every build therefore lists the future moments at which its own
output would differ (an article's publication time, a campaign's start or end, the next midnight
while a campaign countdown is shown), so an operator's cron job or CI schedule can rebuild
exactly then instead of every few minutes.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from datetime import datetime, time, timedelta
from pathlib import Path

from portal.model import Campaign, ScheduledChange


def plan_schedule(scheduled_articles: Iterable[tuple[datetime, str, str]],
                  campaigns: Iterable[Campaign], now: datetime) -> tuple[ScheduledChange, ...]:
    """Every future change, soonest first.

    ``scheduled_articles`` are (publication moment, source, title) of articles left out because
    they are dated after ``now`` (drafts are not scheduled: they wait for an editor).
    """
    changes = [ScheduledChange(moment, source, f"article “{title}” is published")
               for moment, source, title in scheduled_articles if moment > now]
    campaigns = list(campaigns)
    counting = False
    for campaign in campaigns:
        if campaign.start.moment > now:
            changes.append(ScheduledChange(campaign.start.moment, campaign.source,
                                           f"campaign “{campaign.title}” starts"))
        if campaign.end_exclusive > now:
            changes.append(ScheduledChange(campaign.end_exclusive, campaign.source,
                                           f"campaign “{campaign.title}” ends"))
            counting = True
    if counting:
        # Pages show "còn N ngày": the text changes at every midnight in the site's zone.
        first = min((c for c in campaigns if c.end_exclusive > now),
                    key=lambda c: (c.end_exclusive, c.source))
        midnight = datetime.combine(now.date() + timedelta(days=1), time(), tzinfo=now.tzinfo)
        changes.append(ScheduledChange(midnight, first.source,
                                       "campaign countdowns change day"))
    return tuple(sorted(changes))


def render_schedule_json(changes: tuple[ScheduledChange, ...], now: datetime) -> str:
    """The machine-readable schedule a cron job or CI workflow reads (``--schedule-file``)."""
    document = {
        "built_at": now.isoformat(timespec="seconds"),
        "next_rebuild": changes[0].moment.isoformat(timespec="seconds") if changes else None,
        "changes": [{"at": c.moment.isoformat(timespec="seconds"), "source": c.source,
                     "reason": c.reason} for c in changes],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def write_schedule(path: Path, changes: tuple[ScheduledChange, ...], now: datetime) -> None:
    """Replace ``path`` atomically, so a scheduler never reads half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(render_schedule_json(changes, now))
    os.replace(temporary, path)
