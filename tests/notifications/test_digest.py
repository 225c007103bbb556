"""Daily and weekly digests: due at their hour, with the figures of the summary."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, time, timedelta

from projections.days import PARIS
from projections.notifications.digests import DigestPeriod, due_periods
from projections.projector import Projector
from projections.queries import ReadModels
from tests.notifications.conftest import OFFICE, OTHER_OFFICE, report

ROW = re.compile(r'<tr data-key="([^"]+)"><th align="left">[^<]*</th><td>([^<]*)</td>')


def at_paris(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=PARIS).astimezone(UTC)


def test_a_daily_digest_is_due_from_its_hour_and_a_weekly_one_on_monday():
    monday = date(2026, 12, 7)

    assert due_periods(at_paris(monday, 6), 7) == []
    periods = due_periods(at_paris(monday, 7), 7)
    assert [(p.period, p.first, p.last) for p in periods] == [
        ("daily", date(2026, 12, 6), date(2026, 12, 6)),
        ("weekly", date(2026, 11, 30), date(2026, 12, 6)),
    ]
    tuesday = due_periods(at_paris(monday + timedelta(days=1), 23), 7)
    assert [p.period for p in tuesday] == ["daily"]


def value_at(summary: dict, key: str) -> str:
    node = summary
    for part in key.split("."):
        node = node[part]
    if key == "de_escalations.calmed_rate":
        return f"{100 * node:.0f} %"
    return str(node)


def test_the_digest_shows_the_office_summary_of_its_days_once(
    people_log, mailbox, make_notifier, clock
):
    log = people_log
    log.change_notification_preferences(
        "officer-a", actor="officer-a", changes={"digest": "daily"}
    )
    log.change_notification_preferences(
        "officer-b", actor="officer-b", changes={"digest": "daily"}
    )
    projector = Projector(log)
    read_models = ReadModels(projector)
    notifier = make_notifier(log, mailbox, digest_hour=7)
    notifier.summarise = read_models.office_summary
    for severity in (0, 1, 3):
        incident = report(log, severity=severity)
    log.record_de_escalation(
        incident, actor="mediator", techniques=["explanation"], outcome="calmed"
    )
    log.record_de_escalation(
        incident, actor="mediator", techniques=["moved_aside"], outcome="left"
    )
    log.escalate_incident(incident, actor="mediator", to="security")
    log.schedule_follow_up(
        incident,
        actor="mediator",
        kind="staff_support",
        due_on=datetime.now(UTC).date() + timedelta(days=1),
    )
    report(log, severity=2, office=OTHER_OFFICE)
    projector.catch_up()
    notifier.run_once()  # The severe report's alerts; no digest before its day.
    alerts = len(mailbox.received)
    # report() dates incidents an hour ago: their day in Paris.
    occurred = (datetime.now(UTC) - timedelta(hours=1)).astimezone(PARIS).date()
    clock.offset = at_paris(occurred + timedelta(days=1), 8) - datetime.now(UTC)

    notifier.run_once()
    notifier.run_once()

    digests = mailbox.messages()[alerts:]
    assert sorted(m["To"] for m in digests) == [
        "officer-a@example.fr",
        "officer-b@example.fr",
    ]
    for message in digests:
        body = message.get_body(("html",)).get_content()
        offices = re.findall(r"<h2>([^<]+)</h2>", body)
        sections = body.split("<h2>")[1:]
        for name, section in zip(offices, sections, strict=True):
            code = OFFICE if "Aragon" in html.unescape(name) else OTHER_OFFICE
            summary = read_models.office_summary(code, from_=occurred, to=occurred)
            rows = ROW.findall(section)
            assert len(rows) >= 15
            for key, shown in rows:
                assert html.unescape(shown) == value_at(summary, key), (code, key)
        assert len(offices) == (1 if message["To"].startswith("officer-a") else 2)
    colombes = read_models.office_summary(OFFICE, from_=occurred, to=occurred)
    assert colombes["incidents"]["total"] == 3
    assert colombes["de_escalations"]["total"] == 2


def test_a_monthly_digest_is_due_on_the_first_day_and_covers_last_month():
    first_of_month = date(2027, 2, 1)  # a Monday: every digest is due

    periods = due_periods(at_paris(first_of_month, 7), 7)

    assert [(p.period, p.first, p.last) for p in periods] == [
        ("daily", date(2027, 1, 31), date(2027, 1, 31)),
        ("weekly", date(2027, 1, 25), date(2027, 1, 31)),
        ("monthly", date(2027, 1, 1), date(2027, 1, 31)),
    ]
    assert due_periods(at_paris(first_of_month, 6), 7) == []
    assert [p.period for p in due_periods(at_paris(date(2027, 2, 2), 9), 7)] == [
        "daily"
    ]
    # Read back from its key: February has 28 days in 2027, 29 in 2028.
    for subject, last in (
        ("monthly:2027-02-01", date(2027, 2, 28)),
        ("monthly:2028-02-01", date(2028, 2, 29)),
    ):
        assert DigestPeriod.from_subject(subject).last == last


def test_a_monthly_digest_links_each_office_to_its_report(
    people_log, mailbox, make_notifier, clock
):
    log = people_log
    log.change_notification_preferences(
        "officer-b", actor="officer-b", changes={"digest": "monthly"}
    )
    projector = Projector(log)
    read_models = ReadModels(projector)
    notifier = make_notifier(log, mailbox, digest_hour=7)
    notifier.summarise = read_models.office_summary
    report(log, severity=1)
    projector.catch_up()
    occurred = (datetime.now(UTC) - timedelta(hours=1)).astimezone(PARIS).date()
    next_month = (occurred.replace(day=28) + timedelta(days=4)).replace(day=1)
    clock.offset = at_paris(next_month, 8) - datetime.now(UTC)

    notifier.run_once()
    notifier.run_once()

    sent = [m for m in mailbox.messages() if m["To"] == "officer-b@example.fr"]
    assert len(sent) == 1
    body = sent[0].get_body(("html",)).get_content()
    text = sent[0].get_body(("plain",)).get_content()
    first, last = occurred.replace(day=1), next_month - timedelta(days=1)
    for code in (OFFICE, OTHER_OFFICE):
        link = (
            f"/tableau-de-bord/rapport.pdf?office={code}"
            f"&from={first.isoformat()}&to={last.isoformat()}"
        )
        assert html.escape(link) in body
        assert link in text
    assert "The month's printable report (PDF)" in text  # officer-b reads English
