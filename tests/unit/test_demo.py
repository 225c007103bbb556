from __future__ import annotations

import statistics
from collections import Counter
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from argon2 import PasswordHasher

from demo import DemoResult, load_demo
from demo.calendar import open_days
from demo.people import OTHER_MEDIATORS
from incidents.access import user_id
from incidents.application import IncidentLog
from incidents.errors import InvalidInputError, UserAlreadyExistsError

PARIS = ZoneInfo("Europe/Paris")
# A Saturday afternoon: the offices closed at noon, so today's incidents are in.
NOW = datetime(2026, 3, 14, 16, 30, tzinfo=PARIS)
TODAY = NOW.date()
PASSWORDS = {
    "mediatrice": "mot-de-passe-mediatrice",
    "responsable": "mot-de-passe-responsable",
    "auditrice": "mot-de-passe-auditrice",
    "admin": "mot-de-passe-admin",
}


def new_log() -> IncidentLog:
    return IncidentLog(
        {"PERSISTENCE_MODULE": "eventsourcing.popo"},
        password_hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1),
        clock=lambda: NOW,
    )


def history_without_times(log: IncidentLog) -> list[tuple[object, ...]]:
    keys = ("aggregate_id", "version", "type", "actor", "data")
    return [tuple(event[key] for key in keys) for event in log.iter_history()]


def incidents_of(log: IncidentLog) -> list[dict]:
    return [
        log.get_incident(event["aggregate_id"])
        for event in log.iter_history()
        if event["type"] == "Reported"
    ]


@pytest.fixture(scope="module")
def six_weeks() -> tuple[IncidentLog, DemoResult]:
    log = new_log()
    return log, load_demo(log, today=TODAY)


@pytest.fixture(scope="module")
def six_weeks_incidents(six_weeks) -> list[dict]:
    log, _ = six_weeks
    return incidents_of(log)


def test_the_same_seed_and_day_give_the_same_history():
    first, second = new_log(), new_log()
    load_demo(first, today=TODAY, weeks=1, passwords=PASSWORDS)
    load_demo(second, today=TODAY, weeks=1, passwords=PASSWORDS)

    assert history_without_times(first) == history_without_times(second)


def test_another_seed_gives_other_incidents():
    first, second = new_log(), new_log()
    load_demo(first, today=TODAY, weeks=1, seed=92, passwords=PASSWORDS)
    load_demo(second, today=TODAY, weeks=1, seed=93, passwords=PASSWORDS)

    assert history_without_times(first) != history_without_times(second)
    first_summaries = [incident["summary"] for incident in incidents_of(first)]
    second_summaries = [incident["summary"] for incident in incidents_of(second)]
    assert first_summaries != second_summaries


def test_a_later_clock_on_the_same_day_only_adds_to_the_history():
    morning = datetime(2026, 3, 14, 10, 0, tzinfo=PARIS)
    early = IncidentLog(
        {"PERSISTENCE_MODULE": "eventsourcing.popo"},
        password_hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1),
        clock=lambda: morning,
    )
    late = new_log()
    load_demo(early, today=TODAY, weeks=1, passwords=PASSWORDS)
    load_demo(late, today=TODAY, weeks=1, passwords=PASSWORDS)

    early_events = set(map(repr, history_without_times(early)))
    late_events = set(map(repr, history_without_times(late)))
    assert early_events < late_events


def test_the_result_counts_what_was_recorded(six_weeks, six_weeks_incidents):
    log, result = six_weeks

    assert result.incidents == len(six_weeks_incidents)
    assert result.events == sum(1 for _ in log.iter_history())


def test_about_two_to_four_incidents_per_office_and_open_day(six_weeks_incidents):
    office_days = 10 * len(open_days(TODAY, 6))

    assert 2 <= len(six_weeks_incidents) / office_days <= 4


def test_benefit_payment_days_are_busier(six_weeks_incidents):
    per_office_day = Counter(
        (incident["office"], incident["occurred_at"].astimezone(PARIS).date())
        for incident in six_weeks_incidents
    )
    offices = {incident["office"] for incident in six_weeks_incidents}
    weekdays = [day for day in open_days(TODAY, 6) if day.weekday() < 5]

    def mean_on(days: list[date]) -> float:
        return statistics.mean(
            per_office_day[(office, day)] for office in offices for day in days
        )

    benefit_days = mean_on([day for day in weekdays if day.day <= 10])
    other_days = mean_on([day for day in weekdays if day.day > 10])
    assert benefit_days > 1.3 * other_days


def test_every_user_signs_in_with_the_printed_password(six_weeks):
    log, result = six_weeks

    assert [(name, role) for name, role, _ in result.credentials] == [
        ("mediatrice", "mediator"),
        ("responsable", "officer"),
        ("auditrice", "auditor"),
        ("admin", "admin"),
    ]
    for name, role, password in result.credentials:
        assert len(password) >= 16
        assert log.authenticate(name, password)["role"] == role


def test_given_passwords_are_used():
    log = new_log()

    result = load_demo(log, today=TODAY, weeks=1, passwords=PASSWORDS)

    assert {name: password for name, _, password in result.credentials} == PASSWORDS


def test_the_other_mediators_have_no_password(six_weeks):
    log, _ = six_weeks

    for name in OTHER_MEDIATORS:
        assert log.get_user(name)["role"] == "mediator"
        assert log.credentials.get_password_hash(user_id(name)) is None


def test_the_officer_covers_the_nanterre_offices(six_weeks):
    log, _ = six_weeks

    offices = log.get_user("responsable")["offices"]
    assert offices
    assert all(code.startswith("nanterre-") for code in offices)


def test_incidents_happen_in_opening_hours_and_never_in_the_future(six_weeks):
    log, _ = six_weeks
    reported = [event for event in log.iter_history() if event["type"] == "Reported"]
    amended = [
        event["data"]["changes"]["occurred_at"]
        for event in log.iter_history()
        if event["type"] == "Amended" and "occurred_at" in event["data"]["changes"]
    ]

    for occurred_at in [event["occurred_at"] for event in reported] + amended:
        local = occurred_at.astimezone(PARIS)
        assert occurred_at <= NOW
        assert local.weekday() != 6
        assert 9 <= local.hour < 12 or (local.weekday() < 5 and 14 <= local.hour < 18)


def test_no_closed_incident_has_a_scheduled_follow_up(six_weeks_incidents):
    closed = [i for i in six_weeks_incidents if i["status"] == "closed"]

    assert closed
    for incident in closed:
        assert incident["resolution"] is not None
        assert all(f["status"] != "scheduled" for f in incident["follow_ups"])


def test_old_incidents_are_mostly_closed_and_recent_ones_partly_open(
    six_weeks_incidents,
):
    def closed_share(incidents: list[dict]) -> float:
        closed = sum(incident["status"] == "closed" for incident in incidents)
        return closed / len(incidents)

    def age(incident: dict) -> int:
        return (TODAY - incident["occurred_at"].astimezone(PARIS).date()).days

    old = [i for i in six_weeks_incidents if age(i) >= 21]
    recent = [i for i in six_weeks_incidents if age(i) <= 2]
    assert closed_share(old) > 0.9
    assert 0 < closed_share(recent) < 0.8
    overdue = [
        follow_up
        for incident in six_weeks_incidents
        for follow_up in incident["follow_ups"]
        if follow_up["status"] == "scheduled" and follow_up["due_on"] < TODAY
    ]
    assert overdue


def test_summaries_and_notes_name_no_contact(six_weeks_incidents):
    names = {
        incident["contact"]["name"]
        for incident in six_weeks_incidents
        if incident["contact"] and incident["contact"]["name"]
    }

    assert names
    for incident in six_weeks_incidents:
        texts = [incident["summary"], *(note["text"] for note in incident["notes"])]
        assert not any(name in text for name in names for text in texts)


def test_the_mix_is_mostly_everyday_tension(six_weeks_incidents):
    categories = Counter(incident["category"] for incident in six_weeks_incidents)
    severities = Counter(incident["severity"] for incident in six_weeks_incidents)
    targets = Counter(incident["target"] for incident in six_weeks_incidents)
    total = len(six_weeks_incidents)

    everyday = {
        "waiting_time",
        "misunderstanding",
        "service_refused",
        "verbal_incivility",
    }
    assert sum(categories[code] for code in everyday) > 0.75 * total
    assert categories["physical_aggression"] < 0.02 * total
    assert severities[0] + severities[1] > 0.75 * total
    assert severities[4] <= 2
    assert targets["staff"] + targets["mediator"] > 0.75 * total


def test_most_incidents_get_a_de_escalation(six_weeks_incidents):
    with_attempt = [i for i in six_weeks_incidents if i["de_escalations"]]

    assert len(with_attempt) > 0.75 * len(six_weeks_incidents)


def test_loading_twice_fails_before_writing_incidents():
    log = new_log()
    first = load_demo(log, today=TODAY, weeks=1, passwords=PASSWORDS)

    with pytest.raises(UserAlreadyExistsError):
        load_demo(log, today=TODAY, weeks=1, passwords=PASSWORDS)

    assert sum(1 for _ in log.iter_history()) == first.events


def test_a_demo_needs_at_least_one_week():
    with pytest.raises(InvalidInputError):
        load_demo(new_log(), today=TODAY, weeks=0)


def test_the_demo_plans_five_mediators_over_ten_offices_with_gaps(six_weeks):
    log, _ = six_weeks
    shifts = log.list_shifts()
    days = set(open_days(TODAY, 6))

    assert {shift["mediator"] for shift in shifts} == {"mediatrice", *OTHER_MEDIATORS}
    assert len({shift["office"] for shift in shifts}) == 10
    assert all(shift["status"] == "planned" for shift in shifts)
    covered = {(shift["office"], shift["day"]) for shift in shifts}
    gaps = [
        (office, day)
        for office in {shift["office"] for shift in shifts}
        for day in days
        if (office, day) not in covered
    ]
    # Most office-days have a mediator for half a day; some have nobody.
    assert 0 < len(gaps) < len(days) * 10 / 4
    # No mediator is in two places at once: the log's rule held for every week.
    per_mediator_day = Counter((s["mediator"], s["day"]) for s in shifts)
    assert max(per_mediator_day.values()) == 2
    incidents = incidents_of(log)
    with_mediator = [
        incident
        for incident in incidents
        if log.mediator_on_shift(incident["office"], incident["occurred_at"])
    ]
    assert 0 < len(with_mediator) < len(incidents)
