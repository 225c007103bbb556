"""Say when a digest is due, over which days, and write its figures.

A daily digest covers yesterday and is due from ``INCIDENTS_DIGEST_HOUR`` (Paris
time) today; a weekly digest covers last Monday to Sunday and is due from that
hour on Monday; a monthly digest covers last month and is due from that hour on
the first day of the month, with a link to each office's printable report. Its
figures are the office summary's for the same days, read when the message is
written, so that they are the ones the summary page shows.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlencode

from incidents.access import ROLES_WITH_EVERY_OFFICE
from projections.days import PARIS
from projections.notifications.messages import MailSettings, digest_message
from projections.notifications.recipients import Recipient

PERIODS = ("daily", "weekly", "monthly")


@dataclass(frozen=True)
class DigestPeriod:
    """Name a digest's period and its days, first and last included."""

    period: str
    first: date
    last: date

    @property
    def subject(self) -> str:
        """Return the subject of its key: the period and its first day."""
        return f"{self.period}:{self.first.isoformat()}"

    @classmethod
    def from_subject(cls, subject: str) -> DigestPeriod:
        """Read a period back from the subject of a key."""
        period, _, first_text = subject.partition(":")
        first = date.fromisoformat(first_text)
        if period == "monthly":
            days = calendar.monthrange(first.year, first.month)[1] - 1
        else:
            days = 6 if period == "weekly" else 0
        return cls(period, first, first + timedelta(days=days))


def due_periods(now: datetime, hour: int) -> list[DigestPeriod]:
    """Return the digests due: yesterday's, last week's on Monday, last month's on the
    first day of the month."""
    here = now.astimezone(PARIS)
    if here.hour < hour:
        return []
    today = here.date()
    due = [DigestPeriod("daily", today - timedelta(days=1), today - timedelta(days=1))]
    if today.weekday() == 0:
        due.append(
            DigestPeriod("weekly", today - timedelta(days=7), today - timedelta(days=1))
        )
    if today.day == 1:
        last = today - timedelta(days=1)
        due.append(DigestPeriod("monthly", last.replace(day=1), last))
    return due


def digest_figures(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """Return the figures a digest shows of one office's summary: (key, value)."""
    incidents = summary["incidents"]
    de_escalations = summary["de_escalations"]
    follow_ups = summary["follow_ups"]
    figures: list[tuple[str, str]] = [
        ("incidents.total", str(incidents["total"])),
        ("incidents.open", str(incidents["open"])),
    ]
    for level, count in sorted(incidents["by_severity"].items()):
        figures.append((f"incidents.by_severity.{level}", str(count)))
    figures.append(("de_escalations.total", str(de_escalations["total"])))
    figures.append(
        ("de_escalations.calmed_rate", f"{100 * de_escalations['calmed_rate']:.0f} %")
    )
    for target, count in sorted(summary["escalations"]["by_target"].items()):
        figures.append((f"escalations.by_target.{target}", str(count)))
    for key in ("scheduled", "completed", "cancelled", "open", "overdue"):
        figures.append((f"follow_ups.{key}", str(follow_ups[key])))
    return figures


def digest_recipients(
    people: Iterable[dict[str, Any]], period: DigestPeriod, *, mail_enabled: bool
) -> list[Recipient]:
    """Return the active people who chose this period's digest."""
    return [
        Recipient(
            person["name"], "mail" if mail_enabled and person["email"] else "bell"
        )
        for person in people
        if person["is_active"]
        and person["notification_preferences"].get("digest") == period.period
    ]


def report_path(office: str, period: DigestPeriod) -> str:
    """Return the path of an office's printable report of the period (PDF)."""
    query = urlencode(
        {
            "office": office,
            "from": period.first.isoformat(),
            "to": period.last.isoformat(),
        }
    )
    return f"/tableau-de-bord/rapport.pdf?{query}"


def digest_for(
    *,
    key: str,
    notification_key: str,
    person: dict[str, Any],
    offices: dict[str, str],
    summarise: Callable[..., dict[str, Any]],
    settings: MailSettings,
    now: datetime,
) -> EmailMessage:
    """Write a person's digest: the summary of each office they cover, in order."""
    # The key is "digest:{period}:{first day}:{recipient}".
    subject = notification_key.split(":", 1)[1].rsplit(":", 1)[0]
    period = DigestPeriod.from_subject(subject)
    covered = (
        list(offices)
        if person["role"] in ROLES_WITH_EVERY_OFFICE or person["offices"] is None
        else [code for code in offices if code in person["offices"]]
    )
    return digest_message(
        notification_id=key,
        first=period.first,
        last=period.last,
        offices=[
            (
                offices[code],
                digest_figures(summarise(code, from_=period.first, to=period.last)),
            )
            for code in covered
        ],
        reports=[report_path(code, period) for code in covered]
        if period.period == "monthly"
        else None,
        to=person["email"],
        language=person["language"],
        settings=settings,
        now=now,
    )
