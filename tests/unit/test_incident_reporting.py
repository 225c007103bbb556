"""Report incidents: checked values, the two clocks, offices, and idempotent reports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from uuid import uuid4

import pytest

from incidents.domain import Incident
from incidents.errors import InvalidInputError, ReportConflictError
from incidents.values import CLOCK_SKEW
from incidents.vocabulary import Status


def test_a_reported_incident_is_open_and_holds_what_was_reported(report, now):
    incident = Incident.report(
        actor="mediator-1",
        office="colombes-aragon",
        occurred_at=datetime(2026, 3, 2, 10, 5, tzinfo=timezone(timedelta(hours=1))),
        category="threat",
        severity=2,
        target="staff",
        trigger="benefits_payment_day",
        summary="  Menaces envers l'agent au guichet.  ",
        parties=[{"role": "visitor", "count": 2, "description": "deux hommes"}],
        contact={"name": "M. X", "email": "x@example.fr"},
        client_ref="phone-42",
        now=now,
    )

    assert [type(e) for e in incident.collect_events()] == [Incident.Reported]
    assert incident.status == Status.OPEN == "open"
    assert not incident.is_closed
    assert incident.version == 1
    assert incident.occurred_at == datetime(2026, 3, 2, 9, 5, tzinfo=UTC)
    assert incident.occurred_at.tzinfo == UTC
    assert incident.summary == "Menaces envers l'agent au guichet."
    assert incident.parties == [
        {"role": "visitor", "count": 2, "description": "deux hommes"}
    ]
    assert incident.contact == {"name": "M. X", "phone": None, "email": "x@example.fr"}
    assert (incident.category, incident.severity, incident.target) == (
        "threat",
        2,
        "staff",
    )
    assert incident.trigger == "benefits_payment_day"
    assert incident.reported_by == "mediator-1"
    assert incident.resolution is None
    assert incident.scheduled_follow_ups() == []


def test_the_reported_event_carries_the_acting_user_and_normalised_values(now):
    incident = Incident.report(
        actor="mediator-1",
        office="colombes-aragon",
        occurred_at="2026-03-02T10:05:00+01:00",
        category="threat",
        severity=2,
        target="staff",
        summary="Menaces.",
        now=now,
    )

    (reported,) = incident.collect_events()
    assert isinstance(reported, Incident.Reported)
    assert reported.actor == "mediator-1"
    assert reported.occurred_at == datetime(2026, 3, 2, 9, 5, tzinfo=UTC)
    assert reported.trigger is None
    assert reported.parties == []
    assert reported.contact is None
    assert reported.client_ref is None


def test_accepts_an_occurred_at_up_to_the_clock_skew_ahead(report, now):
    incident = report(occurred_at=now + CLOCK_SKEW)

    assert incident.occurred_at == now + CLOCK_SKEW


def test_refuses_an_occurred_at_beyond_the_clock_skew_in_the_future(report, now):
    too_late = now + CLOCK_SKEW + timedelta(microseconds=1)

    with pytest.raises(InvalidInputError, match="is in the future") as raised:
        report(occurred_at=too_late)

    assert list(raised.value.errors) == ["occurred_at"]


@pytest.mark.parametrize(
    "naive",
    [datetime(2026, 3, 2, 9, 0), "2026-03-02T09:00:00"],
    ids=["datetime", "iso-string"],
)
def test_refuses_an_occurred_at_without_a_time_zone(report, naive):
    with pytest.raises(InvalidInputError, match="Give a time zone") as raised:
        report(occurred_at=naive)

    assert list(raised.value.errors) == ["occurred_at"]


def test_refuses_an_occurred_at_that_is_not_a_date_and_time(report):
    with pytest.raises(InvalidInputError, match="ISO 8601") as raised:
        report(occurred_at="yesterday at noon")

    assert list(raised.value.errors) == ["occurred_at"]


@pytest.mark.parametrize("severity", [0, 1, 2, 3, 4])
def test_accepts_every_severity_from_0_to_4(report, severity):
    assert report(severity=severity).severity == severity


@pytest.mark.parametrize("severity", [-1, 5, 100])
def test_refuses_a_severity_out_of_range(report, severity):
    with pytest.raises(InvalidInputError, match="out of range") as raised:
        report(severity=severity)

    assert raised.value.errors == {
        "severity": [f"{severity} is out of range: give an integer from 0 to 4."]
    }


@pytest.mark.parametrize("severity", ["2", 2.0, True, None])
def test_refuses_a_severity_that_is_not_an_integer(report, severity):
    with pytest.raises(InvalidInputError, match="severity: Give an integer"):
        report(severity=severity)


@pytest.mark.parametrize("summary", [None, "", "   \n "])
def test_refuses_a_report_without_a_summary(report, summary):
    with pytest.raises(InvalidInputError, match="summary: This text is required"):
        report(summary=summary)


def test_refuses_a_summary_with_control_characters(report):
    with pytest.raises(InvalidInputError, match="summary: Control characters"):
        report(summary="Usager\x07 énervé")


def test_refuses_a_summary_that_is_too_long(report):
    with pytest.raises(InvalidInputError, match="summary: Too long: 4001 characters"):
        report(summary="x" * 4001)


def test_lists_every_invalid_field_of_a_report_at_once(report, now):
    with pytest.raises(InvalidInputError) as raised:
        report(
            occurred_at=now + timedelta(days=1),
            category="riot",
            severity=9,
            summary="",
        )

    assert set(raised.value.errors) == {
        "occurred_at",
        "category",
        "severity",
        "summary",
    }


@pytest.mark.parametrize(
    ("party", "field", "message"),
    [
        ({"role": "visitor", "count": 0}, "parties.0.count", "from 1 to 500"),
        ({"role": "visitor", "count": 501}, "parties.0.count", "from 1 to 500"),
        ({"role": "visitor", "name": "Jean"}, "parties.0", "Unknown field(s): name"),
    ],
)
def test_refuses_a_party_with_a_bad_count_or_a_name(report, party, field, message):
    with pytest.raises(InvalidInputError) as raised:
        report(parties=[party])

    assert list(raised.value.errors) == [field]
    assert message in raised.value.message


@pytest.mark.parametrize(
    ("contact", "field"),
    [
        ({"phone": "call me"}, "contact.phone"),
        ({"email": "not-an-address"}, "contact.email"),
        ({"address": "1 rue de la Paix"}, "contact"),
    ],
)
def test_refuses_a_malformed_contact(report, contact, field):
    with pytest.raises(InvalidInputError) as raised:
        report(contact=contact)

    assert list(raised.value.errors) == [field]


def test_keeps_no_contact_when_every_detail_is_blank(report):
    assert report(contact={"name": " ", "phone": None}).contact is None


def test_reports_through_the_log_and_stores_the_reported_event(log, payload):
    result = log.report_incident(**payload())

    assert result.created is True
    assert result.incident["status"] == "open"
    assert result.incident["version"] == 1
    history = log.get_incident_history(result.incident["id"])
    assert [item["type"] for item in history] == ["Reported"]
    assert result.position == log.recorder.max_notification_id()


def test_refuses_a_report_for_an_unknown_office_listing_the_offices(log, payload):
    with pytest.raises(InvalidInputError) as raised:
        log.report_incident(**payload(office="paris-louvre"))

    assert list(raised.value.errors) == ["office"]
    assert "'paris-louvre' is not one of" in raised.value.message
    assert "colombes-aragon" in raised.value.message
    assert "nanterre-centre" in raised.value.message
    assert log.recorder.max_notification_id() == 11  # The catalogue alone.


# Idempotent reporting on a client-generated id.


def test_reporting_the_same_content_again_with_its_id_returns_the_same_incident(
    log, payload
):
    incident_id = uuid4()
    first = log.report_incident(**payload(), incident_id=incident_id)

    again = log.report_incident(**payload(), incident_id=incident_id)

    assert first.created is True
    assert again.created is False
    assert again.incident == first.incident
    assert again.incident["id"] == incident_id
    history = log.get_incident_history(incident_id)
    assert [item["type"] for item in history] == ["Reported"]


def test_the_same_report_spelt_differently_is_still_the_same_report(log, payload):
    incident_id = uuid4()
    log.report_incident(
        **payload(
            occurred_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC), summary="Même récit."
        ),
        incident_id=incident_id,
    )

    again = log.report_incident(
        **payload(occurred_at="2026-03-02T10:00:00+01:00", summary="  Même récit.  "),
        incident_id=incident_id,
    )

    assert again.created is False
    assert again.incident["occurred_at"] == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_a_repeated_report_returns_the_incident_as_it_is_now(log, payload):
    incident_id = uuid4()
    log.report_incident(**payload(), incident_id=incident_id)
    log.escalate_incident(incident_id, actor="mediator-1", to="office_manager")

    again = log.report_incident(**payload(), incident_id=incident_id)

    assert again.created is False
    assert again.incident["version"] == 2
    assert [e["to"] for e in again.incident["escalations"]] == ["office_manager"]


def test_refuses_different_content_reported_with_an_id_already_used(log, payload):
    incident_id = uuid4()
    log.report_incident(**payload(), incident_id=incident_id)
    head = log.recorder.max_notification_id()

    with pytest.raises(ReportConflictError) as raised:
        log.report_incident(**payload(severity=3), incident_id=incident_id)

    assert str(incident_id) in raised.value.message
    assert "different content" in raised.value.message
    assert log.recorder.max_notification_id() == head
    assert log.get_incident(incident_id)["severity"] == 1


def test_refuses_a_report_whose_id_belongs_to_something_else(log, payload):
    user = log.register_user(actor="admin", name="alice", role="mediator")

    with pytest.raises(ReportConflictError, match="different content"):
        log.report_incident(**payload(), incident_id=user["id"])


def test_reports_without_an_id_make_a_new_incident_each_time(log, payload):
    first = log.report_incident(**payload())
    second = log.report_incident(**payload())

    assert first.incident["id"] != second.incident["id"]
    assert second.created is True
