"""Which facts of the log call for a notification, read from a real log's events."""

from __future__ import annotations

from datetime import date

from projections.facts import read_facts
from projections.notifications.recipients import recipients
from projections.notifications.rules import evaluate
from tests.unit.conftest import OFFICE, OTHER_OFFICE, report_values


def facts_of(log, start=1):
    return read_facts(log.mapper, log.recorder.select_notifications(start, 1000))


def hits(log, *, since=0, min_severity=3):
    effects = evaluate(facts_of(log), {}, since=since, min_severity=min_severity)
    return [(hit.kind, hit.office) for hit in effects.hits]


def test_a_severe_report_a_reassessment_and_a_police_call_each_hit(log):
    low = log.report_incident(**report_values(severity=1)).incident["id"]
    log.report_incident(**report_values(severity=3, office=OTHER_OFFICE))
    log.reassess_severity(low, actor="o", severity=4, reason="Coup.")
    log.escalate_incident(low, actor="m", to="security")
    log.escalate_incident(low, actor="m", to="emergency_services")

    assert hits(log) == [
        ("severe_incident", OTHER_OFFICE),
        ("severe_incident", OFFICE),
        ("escalation", OFFICE),
    ]
    assert hits(log, min_severity=4) == [
        ("severe_incident", OFFICE),
        ("escalation", OFFICE),
    ]


def test_facts_before_the_notifier_first_ran_give_state_and_no_hit(log):
    incident = log.report_incident(**report_values(severity=4)).incident["id"]
    since = log.recorder.max_notification_id()
    log.amend_incident(
        incident, actor="o", changes={"category": "threat"}, reason="Erreur."
    )
    log.escalate_incident(incident, actor="m", to="police")

    assert hits(log, since=since) == [("escalation", OFFICE)]
    effects = evaluate(facts_of(log), {}, since=since)
    row = effects.incidents[str(incident)]
    assert (row["category"], row["severity"], row["office"]) == ("threat", 4, OFFICE)


def test_follow_ups_are_kept_with_their_due_day_assignee_and_end(log):
    incident = log.report_incident(**report_values()).incident["id"]
    result = log.schedule_follow_up(
        incident,
        actor="m",
        kind="complaint",
        due_on=date(2026, 3, 9),
        assignee="mediator-1",
    )
    follow_up = result.incident["follow_ups"][0]["id"]
    log.complete_follow_up(incident, follow_up, actor="m")

    effects = evaluate(facts_of(log), {}, since=0)

    assert effects.follow_ups == [
        (
            "put",
            {
                "follow_up_id": str(follow_up),
                "incident_id": str(incident),
                "due_on": "2026-03-09",
                "assignee": "mediator-1",
            },
        ),
        ("end", (str(follow_up), "completed")),
    ]


def test_recipients_are_the_active_officers_of_the_office_who_kept_the_kind():
    def person(name, role, offices, *, active=True, email=None, severe=True):
        return {
            "name": name,
            "role": role,
            "offices": offices,
            "is_active": active,
            "email": email,
            "notification_preferences": {"severe_incident": severe},
        }

    people = [
        person("a", "officer", [OFFICE], email="a@example.fr"),
        person("b", "officer", None),
        person("c", "officer", [OTHER_OFFICE]),
        person("d", "officer", [OFFICE], active=False),
        person("e", "officer", [OFFICE], severe=False),
        person("f", "mediator", [OFFICE]),
        person("g", "admin", None),
    ]

    chosen = recipients(
        people, kind="severe_incident", office=OFFICE, mail_enabled=True
    )

    assert [(r.name, r.channel) for r in chosen] == [("a", "mail"), ("b", "bell")]
    without_mail = recipients(
        people, kind="severe_incident", office=OFFICE, mail_enabled=False
    )
    assert [r.channel for r in without_mail] == ["bell", "bell"]
