"""The next-rebuild report: the moments at which the site changes by itself."""

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from test_campaigns import write_campaign

from portal.cli import main

CAMPAIGN = """
title: Chuyên đề thi đua năm 2024
start: 10/01/2024
end: 20/01/2024
"""


def scheduled_site(site):
    site.article("da-dang.md", "title: Tin đã đăng\ndate: 2023-12-20")
    site.article("hen-gio.md", "title: Tin hẹn giờ\ndate: 2024-01-05 07:30")
    site.article("nhap.md", "title: Bản nháp\ndate: 2024-01-03\ndraft: true")
    return site


def test_scheduled_articles_and_campaign_bounds_are_listed_soonest_first(site):
    scheduled_site(site)
    write_campaign(site, "chuyen-de-2024.md", CAMPAIGN)
    result = site.build(now="2024-01-01 08:00", search=False)
    assert [(c.moment.isoformat(), c.source, c.reason) for c in result.schedule] == [
        ("2024-01-02T00:00:00+07:00", "content/campaigns/chuyen-de-2024.md",
         "campaign countdowns change day"),
        ("2024-01-05T07:30:00+07:00", "content/articles/hen-gio.md",
         "article “Tin hẹn giờ” is published"),
        ("2024-01-10T00:00:00+07:00", "content/campaigns/chuyen-de-2024.md",
         "campaign “Chuyên đề thi đua năm 2024” starts"),
        ("2024-01-21T00:00:00+07:00", "content/campaigns/chuyen-de-2024.md",
         "campaign “Chuyên đề thi đua năm 2024” ends"),
    ]


def test_a_shown_countdown_makes_the_next_midnight_a_change(site):
    write_campaign(site, "chuyen-de-2024.md", CAMPAIGN)
    result = site.build(now="2024-01-12 15:00", search=False)
    assert [(c.moment.isoformat(), c.reason) for c in result.schedule] == [
        ("2024-01-13T00:00:00+07:00", "campaign countdowns change day"),
        ("2024-01-21T00:00:00+07:00", "campaign “Chuyên đề thi đua năm 2024” ends"),
    ]


def test_nothing_scheduled_reports_nothing(site, capsys):
    site.article("da-dang.md", "title: Tin đã đăng\ndate: 2023-12-20")
    assert main(["build", "--site", str(site.root), "--now", "2024-01-01", "--no-search"]) == 0
    assert "Next scheduled change" not in capsys.readouterr().out


def test_the_site_is_unchanged_until_the_reported_moment_and_changes_at_it(make_site):
    """The report is exact: a build one second early writes the same site; at the moment, not."""
    first = scheduled_site(make_site("a"))
    result = first.build(now="2024-01-01 08:00", search=False)
    moment = result.schedule[0].moment
    before = first.files()
    first.build(now=(moment - timedelta(seconds=1)).isoformat(), search=False)
    assert first.files() == before
    first.build(now=moment.isoformat(), search=False)
    after = first.files()
    assert after != before
    assert "tin-tuc/tin-hen-gio/index.html" in after


def test_cli_prints_the_next_change_and_writes_the_schedule_file(site, capsys):
    scheduled_site(site)
    target = site.root / "out" / "schedule.json"
    assert main(["build", "--site", str(site.root), "--now", "2024-01-01 08:00",
                 "--no-search", "--schedule-file", str(target)]) == 0
    out = capsys.readouterr().out
    assert (
        "Next scheduled change: 05/01/2024 07:30, article “Tin hẹn giờ” is published "
        "(content/articles/hen-gio.md): rebuild at or after that moment.") in out.splitlines()
    assert json.loads(target.read_text(encoding="utf-8")) == {
        "built_at": "2024-01-01T08:00:00+07:00",
        "next_rebuild": "2024-01-05T07:30:00+07:00",
        "changes": [{"at": "2024-01-05T07:30:00+07:00", "source": "content/articles/hen-gio.md",
                     "reason": "article “Tin hẹn giờ” is published"}],
    }


def run_when_due(site, schedule):
    script = Path(__file__).resolve().parent.parent / "deploy" / "rebuild-when-due.py"
    return subprocess.run([sys.executable, str(script), "--schedule", str(schedule),
                           "--site", str(site.root), "--no-search", "-q"],
                          capture_output=True, text=True, timeout=120)


def test_the_cron_script_builds_only_when_due(site):
    scheduled_site(site)
    schedule = site.root / ".portal-cache" / "schedule.json"
    first = run_when_due(site, schedule)  # no schedule yet: build now
    assert (first.returncode, first.stderr) == (0, "")
    assert (site.output / "index.html").is_file()
    written = json.loads(schedule.read_text(encoding="utf-8"))
    assert written["next_rebuild"] is not None or written["changes"] == []

    schedule.write_text(json.dumps({"next_rebuild": "2999-01-01T00:00:00+07:00"}),
                        encoding="utf-8")
    (site.output / "index.html").unlink()
    idle = run_when_due(site, schedule)
    assert (idle.returncode, idle.stdout) == (
        0, "Up to date: next build due at 2999-01-01 00:00:00+07:00.\n")
    assert not (site.output / "index.html").exists()

    schedule.write_text(json.dumps({"next_rebuild": "2020-01-01T00:00:00+07:00"}),
                        encoding="utf-8")
    due = run_when_due(site, schedule)
    assert due.returncode == 0
    assert (site.output / "index.html").is_file()
