"""Severe incidents, escalations and overdue follow-ups reach the right people, once.

Against a real SMTP server on loopback (aiosmtpd, started by the tests): a
missing server library fails these tests, it never skips them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from incidents.domain.notification import Notification
from projections.notifications import notifier as notifier_module
from tests.notifications.conftest import (
    BASE_URL,
    CONTACT,
    OFFICE,
    OFFICERS_OF_OFFICE,
    SUMMARY,
    report,
)


def test_a_severe_report_mails_each_officer_of_the_office_once_and_no_one_else(
    people_log, mailbox, make_notifier
):
    notifier = make_notifier(people_log, mailbox)
    severe = report(people_log, severity=3)
    report(people_log, severity=2)

    first = notifier.run_once()
    again = notifier.run_once()

    assert (first.sent, first.failed, again.sent) == (3, 0, 0)
    assert mailbox.recipients() == OFFICERS_OF_OFFICE
    for message in mailbox.messages():
        assert (
            f"{BASE_URL}/incidents/{severe}"
            in message.get_body(("plain",)).get_content()
        )
        assert message["Message-ID"].startswith("<notification-")
    subjects = {message["To"]: message["Subject"] for message in mailbox.messages()}
    assert subjects["officer-b@example.fr"].startswith("Severe incident (severity 3)")
    assert subjects["officer-a@example.fr"].startswith("Incident grave (gravité 3)")
    sent = [
        event
        for event in people_log.iter_history()
        if event["type"] == "NotificationSent"
    ]
    assert len(sent) == 3


def test_a_reassessment_to_severe_and_an_escalation_to_the_police_each_mail_once(
    people_log, mailbox, make_notifier
):
    notifier = make_notifier(people_log, mailbox)
    incident = report(people_log, severity=1)
    people_log.reassess_severity(
        incident, actor="officer-a", severity=4, reason="Coup."
    )
    people_log.reassess_severity(incident, actor="officer-a", severity=3, reason="Vu.")
    people_log.escalate_incident(incident, actor="mediator", to="security")
    people_log.escalate_incident(incident, actor="mediator", to="police")
    people_log.escalate_incident(incident, actor="mediator", to="emergency_services")

    notifier.run_once()

    kinds = sorted(message["Subject"].split(" ")[0] for message in mailbox.messages())
    assert len(mailbox.received) == 2 * len(OFFICERS_OF_OFFICE)
    assert kinds.count("Incident") + kinds.count("Severe") == 3
    assert mailbox.recipients() == sorted(OFFICERS_OF_OFFICE * 2)


def test_an_overdue_follow_up_gives_one_reminder_to_officers_and_assignee(
    people_log, mailbox, make_notifier, clock
):
    notifier = make_notifier(people_log, mailbox)
    incident = report(people_log, severity=1)
    people_log.schedule_follow_up(
        incident,
        actor="mediator",
        kind="staff_support",
        due_on=datetime.now(UTC).date() + timedelta(days=1),
        assignee="mediator",
        note="Rappeler Mme Martin.",
    )
    notifier.run_once()
    assert mailbox.received == []

    clock.offset = timedelta(days=3)
    notifier.run_once()
    notifier.run_once()

    assert mailbox.recipients() == sorted([*OFFICERS_OF_OFFICE, "mediator@example.fr"])
    assert all(
        "Suivi en retard" in m["Subject"] or "Overdue" in m["Subject"]
        for m in mailbox.messages()
    )


def test_a_mail_server_down_then_back_gets_every_mail_once(
    people_log, mailbox, make_notifier, clock
):
    notifier = make_notifier(people_log, mailbox)
    mailbox.stop()
    report(people_log, severity=3)
    report(people_log, severity=4)

    down = notifier.run_once()
    assert (down.sent, down.failed) == (0, 2 * len(OFFICERS_OF_OFFICE))
    pending = notifier.run_once()  # Before the retry time: nothing is tried.
    assert (pending.sent, pending.failed) == (0, 0)
    failed = [
        event
        for event in people_log.iter_history()
        if event["type"] == "DeliveryFailed"
    ]
    assert failed[0]["data"]["error"] == "ConnectionRefusedError"

    mailbox.start()
    clock.offset = timedelta(minutes=5)
    back = notifier.run_once()

    assert (back.sent, back.failed) == (6, 0)
    assert mailbox.recipients() == sorted(OFFICERS_OF_OFFICE * 2)
    assert notifier.run_once().sent == 0


def test_no_message_holds_the_contact_the_summary_or_any_note(
    people_log, mailbox, make_notifier, clock
):
    notifier = make_notifier(people_log, mailbox)
    incident = report(people_log, severity=4)
    people_log.escalate_incident(
        incident, actor="mediator", to="police", note="Appel de M. Lefebvre fils."
    )
    people_log.add_note(incident, actor="officer-a", text="Mme Martin rappellera.")
    people_log.schedule_follow_up(
        incident,
        actor="mediator",
        kind="complaint",
        due_on=datetime.now(UTC).date() + timedelta(days=1),
        assignee="mediator",
        note="Plainte de Jeanne Martin.",
    )
    notifier.run_once()
    clock.offset = timedelta(days=3)
    notifier.run_once()

    assert len(mailbox.received) == 3 * len(OFFICERS_OF_OFFICE) + 1
    secrets = [
        *CONTACT.values(),
        "Martin",
        "Lefebvre",
        SUMMARY,
        "guichet colis",
        "rappellera",
        "Plainte de",
    ]
    for item in mailbox.received:
        raw = item.raw.decode("utf-8", errors="replace")
        decoded = "\n".join(
            part.get_content()
            for part in item.message.walk()
            if not part.is_multipart()
        )
        for secret in secrets:
            assert secret not in raw
            assert secret not in decoded


def test_a_notification_is_planned_once_per_key_whoever_plans_it(people_log):
    incident = report(people_log, severity=1)
    planned = [
        people_log.plan_notification(
            rule="severe_incident",
            subject=str(incident),
            kind="severe_incident",
            recipient="officer-a",
            channel="mail",
            office=OFFICE,
            incident_id=incident,
        )
        for _ in range(3)
    ]

    assert planned == [True, False, False]
    assert (
        sum(
            1
            for event in people_log.iter_history()
            if event["type"] == "NotificationPlanned"
        )
        == 1
    )
    assert Notification.NotificationPlanned.TOPIC.endswith("NotificationPlanned")


def test_a_recipient_without_an_address_any_more_is_a_failure_named_and_kept(
    people_log, mailbox, make_notifier
):
    notifier = make_notifier(people_log, mailbox)
    report(people_log, severity=3)
    notifier.follow()
    notifier.follow()  # The plans, into the notifier's tables.
    people_log.change_mail_settings("officer-a", actor="admin", email=None)
    people_log.deactivate_user("officer-b", actor="admin", reason="Départ.")

    done = notifier.run_once()

    assert (done.sent, done.failed) == (1, 2)
    assert mailbox.recipients() == ["officer-all@example.fr"]
    errors = sorted(
        event["data"]["error"]
        for event in people_log.iter_history()
        if event["type"] == "DeliveryFailed"
    )
    assert errors == ["NoAddress", "RecipientDeactivated"]


def test_new_mail_goes_at_once_while_older_failures_wait_for_their_retry(
    people_log, mailbox, make_notifier, clock, monkeypatch
):
    # Fewer candidates per round than failures waiting: they must not hide it.
    monkeypatch.setattr(notifier_module, "SEND_BATCH", 2)
    notifier = make_notifier(people_log, mailbox)
    mailbox.stop()
    first = report(people_log, severity=3)
    assert notifier.run_once().failed == len(OFFICERS_OF_OFFICE)
    mailbox.start()

    second = report(people_log, severity=3)
    now = notifier.run_once()

    assert (now.sent, now.failed) == (len(OFFICERS_OF_OFFICE), 0)
    links = [m.get_body(("plain",)).get_content() for m in mailbox.messages()]
    assert all(str(second) in text and str(first) not in text for text in links)
    clock.offset = timedelta(minutes=5)
    assert notifier.run_once().sent == len(OFFICERS_OF_OFFICE)
