"""edXML value formats: dates, timestamps, document ids, status codes.

edXML carries dates as ``yyyy/MM/dd`` and timestamps as ``yyyy/MM/dd HH:mm:ss``
in Vietnamese local time (UTC+7) with no zone marker. Every part of the gateway
that turns Python values into edXML text (or back) goes through here, so the
format is written once.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

__all__ = [
    "VN_TZ",
    "DATE_RE",
    "TIMESTAMP_RE",
    "STATUS_CODES",
    "format_date",
    "format_timestamp",
    "parse_date",
    "parse_timestamp",
    "now_vn",
    "today_vn",
    "document_id",
]

VN_TZ = timezone(timedelta(hours=7), "UTC+07:00")
"""Vietnam's fixed offset; edXML timestamps are in this zone without saying so."""

DATE_RE = re.compile(r"\A([0-9]{4})/([0-9]{2})/([0-9]{2})\Z")
TIMESTAMP_RE = re.compile(
    r"\A([0-9]{4})/([0-9]{2})/([0-9]{2}) ([0-9]{2}):([0-9]{2}):([0-9]{2})\Z"
)

STATUS_CODES: dict[str, str] = {
    "01": "arrived",
    "02": "refused",
    "03": "accepted",
    "04": "assigned",
    "05": "processing",
    "06": "finished",
    "13": "take-back request",
    "15": "change accepted",
    "16": "change refused",
}
"""The status codes the standard's users are known to send (07-12 and 14 appear nowhere)."""


def format_date(d: date) -> str:
    """``yyyy/MM/dd``; a datetime is first moved to UTC+7 so the calendar day is Vietnam's."""
    if isinstance(d, datetime):
        d = _to_vn(d).date()
    return f"{d.year:04d}/{d.month:02d}/{d.day:02d}"


def format_timestamp(dt: datetime) -> str:
    """``yyyy/MM/dd HH:mm:ss`` in UTC+7; a naive datetime is taken as already UTC+7."""
    local = _to_vn(dt)
    return (
        f"{local.year:04d}/{local.month:02d}/{local.day:02d}"
        f" {local.hour:02d}:{local.minute:02d}:{local.second:02d}"
    )


def parse_date(s: str) -> date:
    """Parse ``yyyy/MM/dd``; ``ValueError`` says what was expected."""
    match = DATE_RE.match(s) if isinstance(s, str) else None
    if match is None:
        raise ValueError(f"date {s!r} is not in the edXML form yyyy/MM/dd (e.g. 2015/09/30)")
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError as exc:
        raise ValueError(f"date {s!r} does not exist: {exc}") from None


def parse_timestamp(s: str) -> datetime:
    """Parse ``yyyy/MM/dd HH:mm:ss`` as UTC+7; returns an aware datetime."""
    match = TIMESTAMP_RE.match(s) if isinstance(s, str) else None
    if match is None:
        raise ValueError(
            f"timestamp {s!r} is not in the edXML form yyyy/MM/dd HH:mm:ss"
            " (e.g. 2015/09/20 11:08:36, Vietnam time)"
        )
    try:
        return datetime(*(int(g) for g in match.groups()), tzinfo=VN_TZ)
    except ValueError as exc:
        raise ValueError(f"timestamp {s!r} does not exist: {exc}") from None


def now_vn() -> datetime:
    """The current time in UTC+7, to the second (edXML has no fractions)."""
    return datetime.now(VN_TZ).replace(microsecond=0)


def today_vn() -> date:
    """Today's date in Vietnam, which is what a promulgation date means."""
    return now_vn().date()


def document_id(
    organ_id: str, promulgation_date: date | str, code_number: str, code_notation: str
) -> str:
    """``<OrganId>,<yyyy/MM/dd>,<CodeNumber>/<CodeNotation>``, the standard's document id.

    A string date must already be ``yyyy/MM/dd`` and a real day: ids made here
    are new, so they must not repeat the impossible dates old systems wrote.
    """
    if isinstance(promulgation_date, str):
        promulgation_date = parse_date(promulgation_date)
    return f"{organ_id},{format_date(promulgation_date)},{code_number}/{code_notation}"


def _to_vn(dt: datetime) -> datetime:
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        return dt
    return dt.astimezone(VN_TZ)
