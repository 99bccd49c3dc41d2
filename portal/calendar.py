"""Calendar files (.ics) for campaigns, so citizens and offices can put the dates in their
calendars. Written with the ``icalendar`` library; the stamp is the campaign's own start, not
the clock, so builds stay reproducible."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from portal.model import Campaign, Site


def prepare_calendars() -> None:
    """Import the calendar library now (a first build of a site with campaigns does it while
    its sources are parsed; the render workers forked later inherit it)."""
    import icalendar  # noqa: F401


def render_campaign_ics(site: Site, campaign: Campaign) -> bytes:
    # Imported here: most builds make no calendar (an edit, a site without campaigns), and
    # the library costs about 25 ms.
    import icalendar

    config = site.config
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//portal publisher//" + config.title + "//VI")
    calendar.add("version", "2.0")
    event = icalendar.Event()
    host = config.base_url.split("://", 1)[1].split("/", 1)[0]
    event.add("uid", f"{campaign.slug}@{host}")
    event.add("dtstamp", campaign.start.moment.astimezone(ZoneInfo("UTC")))
    event.add("summary", campaign.title)
    if campaign.start.has_time:
        event.add("dtstart", campaign.start.moment)
    else:
        event.add("dtstart", campaign.start.moment.date())
    if campaign.end.has_time:
        event.add("dtend", campaign.end.moment)
    else:
        event.add("dtend", campaign.end.moment.date() + timedelta(days=1))
    event.add("url", config.base_url + campaign.url)
    if campaign.summary:
        event.add("description", campaign.summary)
    calendar.add_component(event)
    return calendar.to_ical()
