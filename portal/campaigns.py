"""Campaigns (chuyên đề, cuộc thi, phong trào thi đua): their lifecycle and their parts.

Status is a function of the build's "now" and the campaign's dates in the site's time zone. An
end date without a time lasts the whole day: a campaign ending 05/12/2023 is still active at
23:30 that evening in Viet Nam.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from portal.content_schema import CTA_SCHEMA, DOCUMENT_SCHEMA
from portal.dates import Timestamp
from portal.errors import Diagnostic, error
from portal.model import CallToAction, Campaign, CampaignDocument
from portal.schema import Context, Location, validate


def campaign_status(start: Timestamp, end: Timestamp, now: datetime) -> tuple[str, int, int]:
    """(status, whole days until the start, whole days until the last day), from ``now``."""
    today = now.astimezone(start.moment.tzinfo).date()
    days_to_start = (start.moment.date() - today).days
    days_to_end = (end.moment.date() - today).days
    if now < start.moment:
        status = "upcoming"
    elif now < end.end_exclusive:
        status = "active"
    else:
        status = "ended"
    return status, days_to_start, days_to_end


def check_dates(rel: str, values: dict[str, Any], line_of) -> list[Diagnostic]:
    start, end = values["start"], values["end"]
    if start and end and end.end_exclusive <= start.moment:
        return [error(rel, line_of("end"), "campaign ends before it starts",
                      f"an end on or after the start ({start.display})", end.display)]
    return []


def sort_campaigns(campaigns: list[Campaign]) -> list[Campaign]:
    """Active first (ending soonest first), then upcoming (starting soonest first), then ended
    (most recently ended first)."""
    def key(c: Campaign) -> tuple[int, float]:
        if c.status == "active":
            return (0, c.end_exclusive.timestamp())
        if c.status == "upcoming":
            return (1, c.start.moment.timestamp())
        return (2, -c.end_exclusive.timestamp())

    return sorted(campaigns, key=lambda c: (*key(c), c.slug))


def make_campaign(entry, body_html: str, summary: str, linker, now: datetime,
                  diagnostics: list[Diagnostic]) -> Campaign:
    """Build the campaign record; documents and files are published through ``linker``."""
    values = entry.values
    status, days_to_start, days_to_end = campaign_status(values["start"], values["end"], now)
    image = None
    if values["image"]:
        image = linker.publish_file(values["image"], entry.parsed.line_of("image"), "image")
    return Campaign(
        source=entry.rel,
        slug=entry.slug,
        url=entry.url,
        title=values["title"],
        kind=values["kind"],
        organizer=values["organizer"],
        start=values["start"],
        end=values["end"],
        participants=values["participants"],
        criteria=values["criteria"],
        banner=values["banner"],
        cta=_call_to_action(entry, linker, diagnostics),
        documents=_documents(entry, linker, diagnostics),
        image=image,
        image_alt=values["image_alt"],
        summary=summary,
        body_html=body_html,
        status=status,
        days_to_start=days_to_start,
        days_to_end=days_to_end,
    )


def _call_to_action(entry, linker, diagnostics: list[Diagnostic]) -> CallToAction | None:
    raw = entry.values["cta"]
    if raw is None:
        return None
    where = Location(entry.rel, entry.parsed.line_of).nested("cta.")
    result = validate(raw, CTA_SCHEMA, where, Context(linker.config.timezone))
    diagnostics.extend(result.diagnostics)
    if result.diagnostics:
        return None
    url = result.values["url"]
    parts = urlsplit(url)
    if parts.scheme in ("http", "https"):
        return CallToAction(result.values["label"], url, external=True)
    if url.startswith("/") and not parts.scheme:
        return CallToAction(result.values["label"], linker.config.base_path + url.lstrip("/"),
                            external=False)
    diagnostics.append(error(entry.rel, entry.parsed.line_of("cta.url"),
                             "wrong value for 'cta.url'",
                             "an http(s) URL or a site path like /lien-he/", repr(url)))
    return None


def _documents(entry, linker, diagnostics: list[Diagnostic]) -> tuple[CampaignDocument, ...]:
    found = []
    for index, item in enumerate(entry.values["documents"]):
        where = Location(entry.rel, entry.parsed.line_of).nested(f"documents[{index}].")
        result = validate(item, DOCUMENT_SCHEMA, where, Context(linker.config.timezone))
        diagnostics.extend(result.diagnostics)
        if result.diagnostics:
            continue
        values = result.values
        attachment = linker.attachment(values["file"], values["title"],
                                       entry.parsed.line_of(f"documents[{index}].file"),
                                       "document") if values["file"] else None
        found.append(CampaignDocument(values["title"], values["number"], values["issued"],
                                      attachment))
    return tuple(found)
