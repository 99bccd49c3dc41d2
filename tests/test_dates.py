from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from portal.dates import DateFormatError, now_from_epoch, parse_date, parse_now

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.mark.parametrize(("text", "iso", "display"), [
    ("2023-03-09", "2023-03-09", "Thứ Năm, 09/03/2023"),
    ("2023-03-09 08:30", "2023-03-09T08:30+07:00", "Thứ Năm, 09/03/2023 08:30"),
    ("09/03/2023", "2023-03-09", "Thứ Năm, 09/03/2023"),
    ("9/3/2023 17:05", "2023-03-09T17:05+07:00", "Thứ Năm, 09/03/2023 17:05"),
])
def test_accepted_forms(text, iso, display):
    stamp = parse_date(text, ZONE)
    assert stamp.iso == iso
    assert stamp.display_long == display
    assert stamp.moment.tzinfo is ZONE


def test_day_first_is_not_month_first():
    assert parse_date("01/02/2023", ZONE).moment.month == 2


@pytest.mark.parametrize(("text", "message"), [
    ("31/02/2023", "expected a date like 2023-03-09, 2023-03-09 08:30 or 09/03/2023, "
                   "got '31/02/2023' (no such day or time)"),
    ("2023-13-01", "expected a date like 2023-03-09, 2023-03-09 08:30 or 09/03/2023, "
                   "got '2023-13-01' (no such day or time)"),
    ("2023-03-09 25:00", "expected a date like 2023-03-09, 2023-03-09 08:30 or 09/03/2023, "
                         "got '2023-03-09 25:00' (no such day or time)"),
    ("March 9", "expected a date like 2023-03-09, 2023-03-09 08:30 or 09/03/2023, "
                "got 'March 9'"),
])
def test_rejected_forms(text, message):
    with pytest.raises(DateFormatError) as info:
        parse_date(text, ZONE)
    assert str(info.value) == message


def test_now_accepts_iso_with_offset_and_epoch():
    assert parse_now("2023-12-05T16:30:00+00:00", ZONE) == datetime(2023, 12, 5, 23, 30,
                                                                   tzinfo=ZONE)
    # 1,700,000,000 s is 2023-11-14 22:13:20 UTC, 05:13:20 the next morning in Viet Nam.
    assert now_from_epoch("1700000000", ZONE) == datetime(2023, 11, 15, 5, 13, 20, tzinfo=ZONE)
