"""Dates as editors write them, in the site's time zone, and the build's "now".

Editors write ``2023-03-09``, ``2023-03-09 08:30`` or the Vietnamese day-first ``09/03/2023``.
A date without a time means the start of that day in the site's zone, so an article dated today
is published by any build run today. "Now" is resolved once, by the orchestrator, and passed to
every stage: that is what makes two builds of the same sources byte-identical.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

EXPECTED_DATE = "a date like 2023-03-09, 2023-03-09 08:30 or 09/03/2023"
WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_DAY_FIRST = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")


class DateFormatError(ValueError):
    """A date that does not parse; ``found`` says what the editor wrote and why it is wrong."""

    def __init__(self, found: str):
        self.found = found
        super().__init__(f"expected {EXPECTED_DATE}, got {found}")


@dataclass(frozen=True, order=True)
class Timestamp:
    """A moment plus whether the editor gave a time (so pages show only what was written)."""

    moment: datetime
    has_time: bool = False

    @property
    def iso(self) -> str:
        """The ``datetime`` attribute of ``<time>``: a date, or a full moment with offset."""
        if self.has_time:
            return self.moment.isoformat(timespec="minutes")
        return self.moment.date().isoformat()

    @property
    def end_exclusive(self) -> datetime:
        """The first moment after this date used as an end: a date without a time lasts the
        whole of that day in the site's zone."""
        return self.moment if self.has_time else self.moment + timedelta(days=1)

    @property
    def display(self) -> str:
        text = self.moment.strftime("%d/%m/%Y")
        return f"{text} {self.moment:%H:%M}" if self.has_time else text

    @property
    def display_long(self) -> str:
        """The full form used where one date stands alone: "Thứ Năm, 09/03/2023"."""
        return f"{WEEKDAYS[self.moment.weekday()]}, {self.display}"


def parse_date(value: object, zone: ZoneInfo) -> Timestamp:
    """Parse a front-matter or command-line date; raise :class:`DateFormatError` otherwise."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=zone)
        return Timestamp(moment.astimezone(zone), has_time=True)
    if isinstance(value, date):
        return Timestamp(datetime(value.year, value.month, value.day, tzinfo=zone))
    if not isinstance(value, str):
        raise DateFormatError(describe_value(value))
    text = value.strip()
    if match := _ISO.fullmatch(text):
        year, month, day, hour, minute, second = match.groups()
    elif match := _DAY_FIRST.fullmatch(text):
        day, month, year, hour, minute, second = match.groups()
    else:
        raise DateFormatError(repr(text))
    try:
        moment = datetime(
            int(year), int(month), int(day),
            int(hour or 0), int(minute or 0), int(second or 0), tzinfo=zone,
        )
    except ValueError:
        if _DAY_FIRST.fullmatch(text) and int(month) > 12 >= int(day):
            raise DateFormatError(f"{text!r} (there is no month {int(month)}: write the day "
                                  f"first, {int(month):02}/{int(day):02}/{year})") from None
        raise DateFormatError(f"{text!r} (no such day or time)") from None
    return Timestamp(moment, has_time=hour is not None)


def parse_now(value: str, zone: ZoneInfo) -> datetime:
    """The ``--now`` option: any front-matter date form, or ISO 8601 with an offset."""
    try:
        return parse_date(value, zone).moment
    except DateFormatError:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise DateFormatError(repr(value)) from None
        return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).astimezone(zone)


def now_from_epoch(epoch: str, zone: ZoneInfo) -> datetime:
    """``SOURCE_DATE_EPOCH`` (seconds since 1970, UTC), the reproducible-builds convention."""
    return datetime.fromtimestamp(int(epoch), tz=zone)


def describe_value(value: object) -> str:
    """How an error message shows a wrong value: its kind, and the value when it is short."""
    kinds = {bool: "a true/false value", int: "a number", float: "a number", str: "a text",
             list: "a list", dict: "a table", type(None): "nothing"}
    kind = next((name for cls, name in kinds.items() if type(value) is cls), type(value).__name__)
    if value is None or isinstance(value, (list, dict)):
        return kind
    shown = repr(value) if isinstance(value, str) else str(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{kind} ({shown})"
