"""The read models answer lists, timelines, the board and the audit trail.

Each test runs on the in-memory store, a SQLite file and PostgreSQL, except the
ones that need two connections to one store (SQLite and PostgreSQL only).
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from incidents.application import IncidentLog, PlannedShift, load_default_offices
from projections import replay
from projections.projector import Projector
from projections.queries import ReadModels
from projections.tables import Tables

if TYPE_CHECKING:
    from tests.conftest import OpenLog

PARIS = ZoneInfo("Europe/Paris")
OFFICE, OTHER_OFFICE = (office["code"] for office in load_default_offices()[:2])
MEDIATOR, OFFICER, ADMIN = "mediator-1", "officer-1", "admin-1"
PHONE, NAME = "06 12 34 56 78", "Mme Zoé Exemple"


def now() -> datetime:
    return datetime.now(UTC)


def paris_day(moment: datetime) -> date:
    return moment.astimezone(PARIS).date()


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text)


def report(
    log: IncidentLog,
    *,
    office: str = OFFICE,
    occurred_at: datetime | None = None,
    category: str = "threat",
    severity: int = 2,
    contact: dict[str, str] | None = None,
    actor: str = MEDIATOR,
) -> UUID:
    result = log.report_incident(
        actor=actor,
        office=office,
        occurred_at=occurred_at or now() - timedelta(hours=1),
        category=category,
        severity=severity,
        target="staff",
        trigger="queue",
        summary="Usager énervé par l'attente.",
        parties=[{"role": "visitor", "count": 1}],
        contact=contact,
    )
    incident_id: UUID = result.incident["id"]
    return incident_id


def populate(log: IncidentLog) -> list[UUID]:
    """Write a varied history over two offices; return the incident ids."""
    ids = []
    for number in range(8):
        incident_id = report(
            log,
            office=(OFFICE, OTHER_OFFICE)[number % 2],
            occurred_at=now() - timedelta(days=number, hours=2),
            category=("threat", "theft", "waiting_time")[number % 3],
            severity=number % 5,
            contact={"phone": PHONE} if number % 3 == 0 else None,
        )
        ids.append(incident_id)
        log.record_de_escalation(
            incident_id,
            actor=MEDIATOR,
            techniques=["active_listening"],
            outcome=("calmed", "left", "not_calmed")[number % 3],
        )
        if number % 2:
            log.escalate_incident(incident_id, actor=OFFICER, to="security")
        if number % 3 == 1:
            log.amend_incident(
                incident_id,
                actor=OFFICER,
                changes={"category": "other", "occurred_at": now() - timedelta(days=9)},
                reason="Correction.",
            )
        result = log.schedule_follow_up(
            incident_id,
            actor=MEDIATOR,
            kind="association_debrief",
            due_on=paris_day(now()) + timedelta(days=number - 4),
        )
        follow_up_id = result.incident["follow_ups"][-1]["id"]
        if number % 4 == 0:
            log.complete_follow_up(incident_id, follow_up_id, actor=MEDIATOR)
            log.close_incident(incident_id, actor=OFFICER, resolution="need_met")
        if number == 4:
            log.reopen_incident(incident_id, actor=OFFICER, reason="Revenu.")
        if number == 0:
            log.erase_personal_data(incident_id, actor=ADMIN, reason="Demande.")
    return ids


def everything(read_models: ReadModels, ids: list[UUID]) -> dict[str, Any]:
    """Return every answer the read models give about a history."""
    today = paris_day(now())
    ranges = [(None, None), (today - timedelta(days=3), today)]
    return {
        "list": read_models.list_incidents(page_size=200),
        "summaries": [
            read_models.office_summary(office, from_=from_, to=to, today=today)
            for office in (OFFICE, OTHER_OFFICE)
            for from_, to in ranges
        ],
        "timelines": [read_models.incident_timeline(i) for i in ids],
        "office_timelines": [
            read_models.office_timeline(office, page_size=200)
            for office in (OFFICE, OTHER_OFFICE)
        ],
        "board": read_models.follow_up_board(today=today),
        "audit": read_models.audit_events(limit=1000),
    }


def table_exists(projector: Projector, bare_name: str) -> bool:
    with projector.database.transaction(write=False) as cursor:
        if projector.database.dialect == "postgres":
            cursor.execute("SELECT to_regclass(?)", (bare_name,))
            row = cursor.fetchone()
            return row is not None and row[0] is not None
        cursor.execute("SELECT name FROM sqlite_master WHERE name = ?", (bare_name,))
        return cursor.fetchone() is not None


def audit_positions(projector: Projector) -> list[int]:
    with projector.database.transaction(write=False) as cursor:
        table = projector.live_tables(cursor).name("events")
        cursor.execute(f"SELECT position FROM {table} ORDER BY position")  # noqa: S608
        return [int(row[0]) for row in cursor.fetchall()]


# The incident index.


@dataclass(frozen=True)
class Reported:
    id: str
    office: str
    occurred_at: datetime
    category: str
    severity: int
    closed: bool


def test_list_incidents_filters_and_pages_in_a_stable_order(
    database_url: str, make_log: OpenLog
) -> None:
    log = make_log(database_url)
    projector = Projector(log)
    base = now() - timedelta(hours=1)
    reported: list[Reported] = []
    for number in range(13):
        # Two incidents share each instant, so the order must break ties.
        occurred_at = base - timedelta(days=number // 2, minutes=number // 2)
        office = (OFFICE, OTHER_OFFICE)[number % 2]
        category = ("threat", "theft", "other")[number % 3]
        incident_id = report(
            log,
            office=office,
            occurred_at=occurred_at,
            category=category,
            severity=number % 5,
        )
        closed = number % 4 == 0
        if closed:
            log.close_incident(incident_id, actor=OFFICER, resolution="need_met")
        reported.append(
            Reported(
                str(incident_id), office, occurred_at, category, number % 5, closed
            )
        )
    projector.catch_up()
    read_models = ReadModels(projector)
    newest_first = sorted(
        reported, key=lambda item: (item.occurred_at, item.id), reverse=True
    )

    def ids(**filters: Any) -> list[str]:
        answer = read_models.list_incidents(page_size=200, **filters)
        assert answer["total"] == len(answer["items"])
        return [item["id"] for item in answer["items"]]

    def expected(keep: Any) -> list[str]:
        return [item.id for item in newest_first if keep(item)]

    assert ids() == expected(lambda item: True)
    assert ids(office=OFFICE) == expected(lambda item: item.office == OFFICE)
    assert ids(offices=[OTHER_OFFICE]) == expected(
        lambda item: item.office == OTHER_OFFICE
    )
    assert ids(offices=[]) == []
    assert ids(status="closed") == expected(lambda item: item.closed)
    assert ids(status="open", office=OTHER_OFFICE) == expected(
        lambda item: not item.closed and item.office == OTHER_OFFICE
    )
    assert ids(category="theft") == expected(lambda item: item.category == "theft")
    assert ids(severity=3) == expected(lambda item: item.severity == 3)
    first, last = (
        paris_day(base - timedelta(days=4)),
        paris_day(base - timedelta(days=2)),
    )
    in_range = expected(lambda item: first <= paris_day(item.occurred_at) <= last)
    assert ids(from_=first, to=last) == in_range
    assert len(in_range) >= 4
    assert ids(from_=paris_day(base)) == expected(
        lambda item: paris_day(item.occurred_at) >= paris_day(base)
    )
    assert ids(to=first) == expected(lambda item: paris_day(item.occurred_at) <= first)

    # Pages: the same order, nothing repeated or skipped, the same total.
    pages = [read_models.list_incidents(page=page, page_size=5) for page in (1, 2, 3)]
    assert [page["total"] for page in pages] == [13, 13, 13]
    assert [len(page["items"]) for page in pages] == [5, 5, 3]
    assert [item["id"] for page in pages for item in page["items"]] == ids()
    beyond = read_models.list_incidents(page=4, page_size=5)
    assert beyond["items"] == []
    assert beyond["total"] == 13
    item = read_models.list_incidents(page_size=1)["items"][0]
    assert item["id"] == newest_first[0].id
    assert parse(item["occurred_at"]) == newest_first[0].occurred_at
    assert item["status"] == ("closed" if newest_first[0].closed else "open")


# Timelines.


def test_timelines_show_every_event_with_actor_and_both_clocks(
    database_url: str, make_log: OpenLog
) -> None:
    log = make_log(database_url)
    projector = Projector(log, batch_size=4)
    occurred_at = now() - timedelta(hours=5)
    with_contact = report(
        log, occurred_at=occurred_at, contact={"name": NAME, "phone": PHONE}
    )
    without_contact = report(log)
    elsewhere = report(log, office=OTHER_OFFICE)
    log.record_de_escalation(
        with_contact, actor=MEDIATOR, techniques=["explanation"], outcome="calmed"
    )
    log.escalate_incident(with_contact, actor=OFFICER, to="office_manager")
    log.amend_incident(
        with_contact,
        actor=OFFICER,
        changes={"category": "theft", "occurred_at": occurred_at - timedelta(hours=1)},
        reason="Heure corrigée.",
    )
    follow_up = log.schedule_follow_up(
        with_contact, actor=MEDIATOR, kind="complaint", due_on=paris_day(now())
    ).incident["follow_ups"][0]["id"]
    log.complete_follow_up(with_contact, follow_up, actor=MEDIATOR)
    log.add_note(without_contact, actor=MEDIATOR, text="Revenu plus tard.")
    log.close_incident(with_contact, actor=OFFICER, resolution="left_calm")
    log.erase_personal_data(with_contact, actor=ADMIN, reason="Demande.")
    projector.catch_up()
    read_models = ReadModels(projector)

    timeline = read_models.incident_timeline(with_contact)
    history = log.get_incident_history(with_contact)
    assert [item["type"] for item in timeline] == [
        "Reported",
        "DeEscalationRecorded",
        "Escalated",
        "Amended",
        "FollowUpScheduled",
        "FollowUpCompleted",
        "Closed",
        "PersonalDataErased",
    ]
    assert [item["type"] for item in timeline] == [e["type"] for e in history]
    assert [item["version"] for item in timeline] == list(range(1, 9))
    positions = [item["position"] for item in timeline]
    assert positions == sorted(set(positions))
    assert [item["actor"] for item in timeline] == [
        MEDIATOR,
        MEDIATOR,
        OFFICER,
        OFFICER,
        MEDIATOR,
        MEDIATOR,
        OFFICER,
        ADMIN,
    ]
    assert [parse(item["recorded_at"]) for item in timeline] == [
        event["recorded_at"] for event in history
    ]
    # Both clocks: when it happened (as reported), and when it was stored.
    assert parse(timeline[0]["occurred_at"]) == occurred_at
    assert parse(timeline[0]["recorded_at"]) > occurred_at
    for item in timeline[1:]:
        assert item["occurred_at"] == item["recorded_at"]
    assert timeline[0]["data"]["contact"] == {"recorded": True}
    assert timeline[3]["data"]["changes"]["category"] == "theft"
    assert parse(timeline[3]["data"]["changes"]["occurred_at"]) == (
        occurred_at - timedelta(hours=1)
    )
    assert read_models.incident_timeline(without_contact)[0]["data"]["contact"] == {
        "recorded": False
    }
    # The visitor's contact never reaches a read model, erased or not.
    everything_shown = json.dumps(
        [timeline, read_models.incident_timeline(without_contact)]
    )
    assert PHONE not in everything_shown
    assert NAME not in everything_shown
    for item in timeline:
        assert set(item["data"].get("contact", {"recorded": 1})) == {"recorded"}

    office = read_models.office_timeline(OFFICE)
    items = office["items"]
    assert office["total"] == len(items) == 8 + 2
    assert {item["incident_id"] for item in items} == {
        str(with_contact),
        str(without_contact),
    }
    assert [item["position"] for item in items] == sorted(
        item["position"] for item in items
    )
    assert len({item["position"] for item in items}) == len(items)
    pages = [
        read_models.office_timeline(OFFICE, page=p, page_size=3) for p in (1, 2, 3, 4)
    ]
    assert [item for page in pages for item in page["items"]] == items
    other = read_models.office_timeline(OTHER_OFFICE)["items"]
    assert [item["incident_id"] for item in other] == [str(elsewhere)]
    today = paris_day(now())
    assert read_models.office_timeline(OFFICE, from_=today, to=today)["total"] == 10
    assert (
        read_models.office_timeline(OFFICE, to=today - timedelta(days=1))["total"] == 0
    )


# The follow-up board.


def test_follow_up_board_shows_open_follow_ups_overdue_first(
    database_url: str, make_log: OpenLog
) -> None:
    log = make_log(database_url)
    projector = Projector(log)
    today = paris_day(now())
    here, there = report(log), report(log, office=OTHER_OFFICE)

    def schedule(incident_id: UUID, days: int) -> str:
        result = log.schedule_follow_up(
            incident_id,
            actor=MEDIATOR,
            kind="staff_support",
            due_on=today + timedelta(days=days),
            assignee="Mediatrice A",
        )
        return str(result.incident["follow_ups"][-1]["id"])

    expected = {
        schedule(here, 2): 2,
        schedule(there, -1): -1,
        schedule(here, -3): -3,
        schedule(there, 0): 0,
        schedule(here, 5): 5,
    }
    completed, cancelled = schedule(here, -2), schedule(there, -4)
    log.complete_follow_up(here, UUID(completed), actor=MEDIATOR)
    log.cancel_follow_up(there, UUID(cancelled), actor=MEDIATOR, reason="Doublon.")
    projector.catch_up()
    read_models = ReadModels(projector)

    board = read_models.follow_up_board(today=today)
    items = board["items"]
    assert board["total"] == 5
    assert [item["id"] for item in items] == sorted(expected, key=expected.__getitem__)
    assert [item["overdue"] for item in items] == [True, True, False, False, False]
    assert [item["due_on"] for item in items] == sorted(
        item["due_on"] for item in items
    )
    assert {item["status"] for item in items} == {"scheduled"}
    assert items[0]["office"] == OFFICE
    assert items[0]["assignee"] == "Mediatrice A"
    overdue = read_models.follow_up_board(today=today, overdue_only=True)["items"]
    assert [item["id"] for item in overdue] == [items[0]["id"], items[1]["id"]]
    mine = read_models.follow_up_board(today=today, office=OFFICE)["items"]
    assert [expected[item["id"]] for item in mine] == [-3, 2, 5]
    scoped = read_models.follow_up_board(today=today, offices=[OTHER_OFFICE])["items"]
    assert [expected[item["id"]] for item in scoped] == [-1, 0]
    # Overdue is relative to the day asked for.
    later = read_models.follow_up_board(today=today + timedelta(days=3))["items"]
    assert [item["overdue"] for item in later] == [True, True, True, True, False]


# The audit trail.


def test_audit_trail_lists_every_event_at_positions_1_to_n(
    database_url: str, make_log: OpenLog
) -> None:
    log = make_log(database_url)
    projector = Projector(log, batch_size=7)
    log.register_user(actor=ADMIN, name="mediatrice.a", role="mediator")
    populate(log)
    head = log.recorder.max_notification_id() or 0
    projector.catch_up()
    read_models = ReadModels(projector)
    seen: list[dict[str, Any]] = []
    after = 0
    while True:
        page = read_models.audit_events(after=after, limit=9)
        assert page["total"] == head
        if not page["items"]:
            break
        seen += page["items"]
        after = page["items"][-1]["position"]
    assert [item["position"] for item in seen] == list(range(1, head + 1))
    history = list(log.iter_history())
    assert [item["type"] for item in seen] == [event["type"] for event in history]
    assert [item["actor"] for item in seen] == [event["actor"] for event in history]
    assert [item["aggregate_id"] for item in seen] == [
        str(event["aggregate_id"]) for event in history
    ]
    assert [parse(item["recorded_at"]) for item in seen] == [
        event["recorded_at"] for event in history
    ]
    assert all(item["topic"] for item in seen)


def test_rota_events_reach_the_audit_trail_and_replay_stays_clean(
    database_url: str, make_log: OpenLog
) -> None:
    log = make_log(database_url)
    projector = Projector(log, batch_size=5)
    log.register_user(actor=ADMIN, name="mediatrice.b", role="mediator")
    ids = populate(log)
    shift = log.plan_shift(
        actor=OFFICER,
        plan=PlannedShift(
            mediator="mediatrice.b",
            office=OFFICE,
            day="2026-03-02",
            start="09:00",
            end="12:30",
        ),
    ).shift
    log.change_shift(
        shift["id"], actor=OFFICER, changes={"day": "2026-03-03"}, reason="Échange."
    )
    log.cancel_shift(shift["id"], actor=OFFICER, reason="Malade.")
    hours = log.get_opening_hours(OFFICE)
    log.change_opening_hours(
        OFFICE,
        actor=ADMIN,
        hours={**hours, "saturday": []},
        effective_from="2026-03-09",
    )
    projector.catch_up()
    read_models = ReadModels(projector)
    head = log.recorder.max_notification_id() or 0

    types = [
        item["type"] for item in read_models.audit_events(after=0, limit=head)["items"]
    ]

    assert {"ShiftPlanned", "ShiftChanged", "ShiftCancelled", "ShiftBooked"} <= set(
        types
    )
    assert "OpeningHoursChanged" in types
    assert len(types) == head
    assert replay.check(projector).differences == []
    before = everything(read_models, ids)
    replay.rebuild(projector)
    assert everything(read_models, ids) == before
    assert replay.check(projector).differences == []


# As of a time.


def test_incident_as_known_at_a_time(database_url: str, make_log: OpenLog) -> None:
    log = make_log(database_url)
    projector = Projector(log)
    before = now()
    incident_id = report(log, category="threat", severity=2)
    log.record_de_escalation(
        incident_id, actor=MEDIATOR, techniques=["deferred"], outcome="left"
    )
    first = now()
    log.amend_incident(
        incident_id, actor=OFFICER, changes={"category": "theft"}, reason="Vol."
    )
    log.reassess_severity(incident_id, actor=OFFICER, severity=3, reason="Coup.")
    second = now()
    log.close_incident(incident_id, actor=OFFICER, resolution="police_intervention")
    projector.catch_up()
    read_models = ReadModels(projector)

    assert read_models.incident_version_as_of(incident_id, before) is None
    assert read_models.incident_version_as_of(incident_id, first) == 2
    assert read_models.incident_version_as_of(incident_id, second) == 4
    assert read_models.incident_version_as_of(incident_id, now()) == 5
    then = log.get_incident(incident_id, version=2)
    assert (then["category"], then["severity"], then["status"]) == ("threat", 2, "open")
    assert len(then["de_escalations"]) == 1
    later = log.get_incident(incident_id, version=4)
    assert (later["category"], later["severity"], later["status"]) == (
        "theft",
        3,
        "open",
    )
    assert log.get_incident(incident_id)["status"] == "closed"
    # The summary as known then agrees.
    summary = read_models.office_summary(OFFICE, as_of=first)
    assert summary["incidents"]["by_category"]["threat"] == 1
    assert summary["incidents"]["open"] == 1
    assert summary["de_escalations"]["by_outcome"]["left"] == 1
    assert read_models.office_summary(OFFICE, as_of=before)["incidents"]["total"] == 0
    summary = read_models.office_summary(OFFICE)
    assert summary["incidents"]["by_category"]["theft"] == 1
    assert summary["incidents"]["by_severity"]["3"] == 1
    assert summary["incidents"]["open"] == 0


def weeks_of(days: dict[str, dict[str, int]], first: date) -> dict[date, Counter[str]]:
    """Add up daily counts into the weeks (from Monday) of a range."""
    weeks: dict[date, Counter[str]] = {}
    for text, by_category in days.items():
        day = date.fromisoformat(text)
        start = day - timedelta(days=day.weekday())
        assert start >= first, text
        weeks.setdefault(start, Counter()).update(by_category)
    return weeks


def test_daily_counts_add_up_to_the_weekly_summaries_now_and_as_of_a_time(
    database_url: str, make_log: OpenLog
) -> None:
    log = make_log(database_url)
    projector = Projector(log, batch_size=7)
    today = paris_day(now())
    # From a Wednesday five weeks back: the first week is cut short.
    from_ = today - timedelta(days=today.weekday() + 35) + timedelta(days=2)
    categories = ("threat", "theft", "waiting_time", "verbal_incivility")
    ids = [
        report(
            log,
            occurred_at=now() - timedelta(days=days_ago, hours=days_ago % 5),
            category=categories[days_ago % len(categories)],
        )
        for days_ago in (0, 1, 3, 6, 9, 10, 15, 17, 22, 23, 30, 33, 38, 45)
    ]
    report(log, office=OTHER_OFFICE, category="theft")  # not this office's
    log.amend_incident(
        ids[2], actor=OFFICER, changes={"category": "other"}, reason="Relu."
    )
    log.close_incident(ids[3], actor=OFFICER, resolution="need_met")
    middle = now()
    # After the middle: new incidents, categories and days corrected.
    for days_ago in (2, 16, 31):
        report(log, occurred_at=now() - timedelta(days=days_ago), category="threat")
    log.amend_incident(
        ids[4], actor=OFFICER, changes={"category": "threat"}, reason="Menace."
    )
    log.amend_incident(
        ids[6],
        actor=OFFICER,
        changes={"category": "other", "occurred_at": now() - timedelta(days=27)},
        reason="Date et nature corrigées.",
    )
    log.amend_incident(  # moved out of the range
        ids[9],
        actor=OFFICER,
        changes={"occurred_at": now() - timedelta(days=60)},
        reason="Date corrigée.",
    )
    log.reassess_severity(ids[0], actor=OFFICER, severity=4, reason="Coup.")
    log.reopen_incident(ids[3], actor=OFFICER, reason="Revenu.")
    projector.catch_up()
    read_models = ReadModels(projector)

    first = from_ - timedelta(days=from_.weekday())
    seen = {}
    for as_of in (None, middle):
        days = read_models.office_daily_counts(
            OFFICE, from_=from_, to=today, as_of=as_of
        )
        assert all(from_.isoformat() <= day <= today.isoformat() for day in days)
        assert all(count > 0 for counts in days.values() for count in counts.values())
        weeks = weeks_of(days, first)
        start = first
        while start <= today:
            summary = read_models.office_summary(
                OFFICE,
                from_=max(start, from_),
                to=min(start + timedelta(days=6), today),
                as_of=as_of,
            )
            counts = weeks.get(start, Counter())
            assert summary["incidents"]["by_category"] == {
                code: counts[code] for code in summary["incidents"]["by_category"]
            }, (as_of, start)
            assert summary["incidents"]["total"] == counts.total(), (as_of, start)
            start += timedelta(weeks=1)
        whole = read_models.office_summary(OFFICE, from_=from_, to=today, as_of=as_of)
        assert whole["incidents"]["total"] == sum(
            count for counts in days.values() for count in counts.values()
        )
        seen[as_of] = days
    # The history changed after the middle: as of then is not as of now.
    assert seen[None] != seen[middle]
    assert sum(seen[middle][day].get("threat", 0) for day in seen[middle]) < sum(
        seen[None][day].get("threat", 0) for day in seen[None]
    )
    assert (
        read_models.office_daily_counts(
            OFFICE, from_=from_, to=today, as_of=datetime(2000, 1, 1, tzinfo=UTC)
        )
        == {}
    )


# Following the log.


@pytest.mark.serial  # Timed: the save wakes the projector well before its poll.
def test_wait_returns_once_the_background_projector_shows_a_write(
    database_url: str, make_log: OpenLog
) -> None:
    log = make_log(database_url)
    projector = Projector(log)
    read_models = ReadModels(projector)
    projector.start(poll_interval=5)  # woken by saves, not by polling
    try:
        result = log.report_incident(
            actor=MEDIATOR,
            office=OFFICE,
            occurred_at=now() - timedelta(minutes=5),
            category="threat",
            severity=1,
            target="mediator",
            summary="Ton qui monte.",
        )
        started = time.monotonic()
        assert projector.wait(result.position, timeout=10)
        waited = time.monotonic() - started
        incident_id = result.incident["id"]
        shown = read_models.get_incident_summary(incident_id)
        assert shown is not None
        assert shown["position"] == result.position
        assert shown["version"] == 1
        again = log.record_de_escalation(
            incident_id, actor=MEDIATOR, techniques=["explanation"], outcome="calmed"
        )
        assert projector.wait(again.position, timeout=10)
        assert read_models.office_summary(OFFICE)["de_escalations"]["total"] == 1
        assert read_models.incident_timeline(incident_id)[-1]["position"] == (
            again.position
        )
        assert waited < 4  # the save woke the projector: no 5 s poll
        assert not projector.wait(again.position + 1, timeout=0.2)
    finally:
        projector.stop()


def test_two_projectors_at_once_give_the_same_result_as_one(
    durable_database_url: str, make_log: OpenLog
) -> None:
    writer_log = make_log(durable_database_url)
    first = Projector(writer_log, batch_size=7)
    second = Projector(make_log(durable_database_url), batch_size=5)
    ids = populate(writer_log)
    failures: list[BaseException] = []
    writing = threading.Event()
    writing.set()

    def write_more() -> None:
        try:
            for number in range(12):
                incident_id = report(writer_log, office=OTHER_OFFICE)
                writer_log.add_note(incident_id, actor=MEDIATOR, text=f"Note {number}")
        except BaseException as error:  # pragma: no cover - reported below
            failures.append(error)
        finally:
            writing.clear()

    def follow(projector: Projector) -> None:
        try:
            while writing.is_set() or projector.position() < (
                writer_log.recorder.max_notification_id() or 0
            ):
                projector.catch_up()
        except BaseException as error:  # pragma: no cover - reported below
            failures.append(error)

    threads = [
        threading.Thread(target=write_more),
        threading.Thread(target=follow, args=(first,)),
        threading.Thread(target=follow, args=(second,)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert failures == []
    head = writer_log.recorder.max_notification_id() or 0
    assert first.position() == second.position() == head
    assert audit_positions(first) == list(range(1, head + 1))
    result = replay.check(first)
    assert result.differences == []
    assert result.position == head
    # Both projectors show the same, which is what one alone shows after a rebuild.
    assert everything(ReadModels(first), ids) == everything(ReadModels(second), ids)


# Rebuild and check.


def test_rebuild_swaps_in_a_new_generation_with_equal_results(
    database_url: str, make_log: OpenLog
) -> None:
    log = make_log(database_url)
    projector = Projector(log, batch_size=6)
    ids = populate(log)
    projector.catch_up()
    read_models = ReadModels(projector)
    before = everything(read_models, ids)
    with projector.database.transaction(write=False) as cursor:
        old = projector.live_tables(cursor)
    assert table_exists(projector, old.bare("incidents"))

    rebuilt = replay.rebuild(projector)

    head = log.recorder.max_notification_id() or 0
    assert rebuilt.events == head
    assert rebuilt.generation > old.generation
    with projector.database.transaction(write=False) as cursor:
        assert projector.live_tables(cursor).generation == rebuilt.generation
    assert not table_exists(projector, old.bare("incidents"))
    assert table_exists(projector, f"rm{rebuilt.generation}_incidents")
    assert projector.position() == head
    assert everything(read_models, ids) == before
    assert replay.check(projector).differences == []
    # The new generation keeps following the log.
    log.add_note(ids[0], actor=MEDIATOR, text="Après la reconstruction.")
    projector.catch_up()
    assert read_models.incident_timeline(ids[0])[-1]["type"] == "NoteAdded"
    again = replay.rebuild(projector)
    assert again.generation > rebuilt.generation
    assert replay.check(projector).differences == []


def test_check_names_the_table_and_key_of_an_altered_row(
    database_url: str, make_log: OpenLog
) -> None:
    log = make_log(database_url)
    projector = Projector(log)
    ids = populate(log)
    projector.catch_up()
    assert replay.check(projector).differences == []
    altered = ids[2]  # category waiting_time
    with projector.database.transaction(write=True) as cursor:
        table = projector.live_tables(cursor).name("incidents")
        changed = cursor.execute(
            f"UPDATE {table} SET category = ? WHERE incident_id = ?",  # noqa: S608
            ("physical_aggression", str(altered)),
        )
    assert changed == 1

    result = replay.check(projector)

    assert result.position == log.recorder.max_notification_id()
    assert len(result.differences) == 1
    difference = result.differences[0]
    assert difference.table == "incidents"
    position = next(
        notification.id
        for notification in log.recorder.select_notifications(1, 1000)
        if notification.originator_id == altered
    )
    assert difference.key == (position,)
    assert difference.live is not None
    assert difference.rebuilt is not None
    assert difference.live["category"] == "physical_aggression"
    assert difference.rebuilt["category"] == "waiting_time"
    described = difference.describe()
    assert described.startswith(
        f"incidents [report_position={position}, incident_id={altered}]"
    )
    assert "category" in described
    assert "physical_aggression" in described

    # A row removed from the audit trail is named too, as missing.
    with projector.database.transaction(write=True) as cursor:
        audit = projector.live_tables(cursor).name("events")
        cursor.execute(f"DELETE FROM {audit} WHERE position = ?", (3,))  # noqa: S608
    differences = replay.check(projector).differences
    assert {(d.table, d.key) for d in differences} == {
        ("events", (3,)),
        ("incidents", (position,)),
    }
    missing = next(d for d in differences if d.table == "events")
    assert missing.live is None
    assert "missing from the live read models" in missing.describe()

    # And a row no event accounts for is named too.
    with projector.database.transaction(write=True) as cursor:
        audit = projector.live_tables(cursor).name("events")
        cursor.execute(
            f"INSERT INTO {audit} (position, aggregate_id, version, type, topic, "  # noqa: S608
            "actor, recorded_at) VALUES (999999, 'x', 1, 'Reported', 'x', 'x', 'x')"
        )
    differences = replay.check(projector).differences
    assert [(d.table, d.key) for d in differences] == [
        ("incidents", (position,)),
        ("events", (3,)),
        ("events", (999999,)),
    ]
    extra = differences[2]
    assert extra.rebuilt is None
    assert extra.live is not None
    assert extra.live["aggregate_id"] == "x"
    assert "in the live read models but not in the events" in extra.describe()

    replay.rebuild(projector)
    assert replay.check(projector).differences == []
    assert ReadModels(projector).get_incident_summary(altered)["category"] == (  # type: ignore[index]
        "waiting_time"
    )


# Starting, rebuilding and dropping while another projector applies a batch.


def hold_a_batch(
    projector: Projector, tables: Tables, started: threading.Event, seconds: float
) -> None:
    """Take the locks a batch takes, in its order, hold them, then roll back."""
    with projector.database.transaction(write=False) as cursor:
        cursor.execute(
            f"UPDATE {tables.name('tracking')} SET position = position"  # noqa: S608
        )
        cursor.execute(
            f"INSERT INTO {tables.name('events')} (position, aggregate_id, "  # noqa: S608
            "version, type, topic, actor, recorded_at) "
            "VALUES (999999, 'x', 1, 'Reported', 'x', 'x', 'x')"
        )
        started.set()
        time.sleep(seconds)
        for table, key in (("incidents", "incident_id"), ("events", "aggregate_id")):
            cursor.execute(
                f"UPDATE {tables.name(table)} SET version = version "  # noqa: S608
                f"WHERE {key} = ?",
                ("none",),
            )


def run_together(*tasks: Any) -> list[str]:
    """Run functions in threads at once; return the errors they raised."""
    errors: list[str] = []

    def run(task: Any) -> None:
        try:
            task()
        except Exception as error:  # reported by the caller
            errors.append(repr(error))

    threads = [threading.Thread(target=run, args=(task,)) for task in tasks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


def test_projectors_started_together_on_an_empty_store(
    durable_database_url: str, make_log: OpenLog
) -> None:
    logs = [make_log(durable_database_url) for _ in range(4)]
    barrier = threading.Barrier(len(logs))
    projectors: list[Projector] = []

    def start(log: IncidentLog) -> None:
        barrier.wait()
        projectors.append(Projector(log))

    assert run_together(*[lambda log=log: start(log) for log in logs]) == []
    assert len(projectors) == 4
    projectors[0].catch_up()
    assert {projector.position() for projector in projectors} == {
        logs[0].recorder.max_notification_id()
    }


def test_a_projector_starts_while_another_applies_a_batch(
    durable_database_url: str, make_log: OpenLog
) -> None:
    log = make_log(durable_database_url)
    projector = Projector(log)
    with projector.database.transaction(write=False) as cursor:
        live = projector.live_tables(cursor)
    started = threading.Event()

    def start_another() -> None:
        assert started.wait(10)
        Projector(make_log(durable_database_url))

    errors = run_together(
        lambda: hold_a_batch(projector, live, started, 0.5), start_another
    )
    assert errors == []


def test_a_generation_is_dropped_after_the_batch_applied_to_it(
    durable_database_url: str, make_log: OpenLog
) -> None:
    log = make_log(durable_database_url)
    projector = Projector(log)
    projector.catch_up()
    with projector.database.transaction(write=False) as cursor:
        old = projector.live_tables(cursor)
    projector.make_live(projector.new_generation(), even_behind=True)
    started = threading.Event()

    def drop() -> None:
        assert started.wait(10)
        projector.drop(old)

    assert run_together(lambda: hold_a_batch(projector, old, started, 0.5), drop) == []
    assert not table_exists(projector, old.bare("tracking"))
    assert not table_exists(projector, old.bare("incidents"))


def test_rebuild_while_a_background_projector_follows_the_log(
    durable_database_url: str, make_log: OpenLog
) -> None:
    log = make_log(durable_database_url)
    projector = Projector(log, batch_size=5)
    ids = populate(log)
    projector.start(poll_interval=0.01)
    writing = threading.Event()
    writing.set()
    rebuilds: list[int] = []
    seen: list[int] = []

    def write() -> None:
        try:
            number = 0
            while number < 40 or len(rebuilds) < 3:
                log.add_note(ids[number % len(ids)], actor=MEDIATOR, text="Note.")
                number += 1
        finally:
            writing.clear()

    def rebuild_again_and_again() -> None:
        # As `incidents replay` would, from another process (its own pool).
        other = Projector(make_log(durable_database_url), batch_size=20)
        while writing.is_set():
            rebuilds.append(replay.rebuild(other).generation)

    def look() -> None:
        # A wait trusts a position once seen reached (ADR 0019): a rebuild
        # swapped in behind the live read models would hide answered writes.
        watcher = Projector(make_log(durable_database_url))
        while writing.is_set():
            seen.append(watcher.position())

    try:
        errors = run_together(write, rebuild_again_and_again, look)
        head = log.recorder.max_notification_id() or 0
        assert projector.wait(head, timeout=20)
    finally:
        projector.stop()
    assert errors == []
    assert len(rebuilds) >= 3
    assert len(set(seen)) > 1
    assert seen == sorted(seen)  # the live position never went back
    assert replay.check(projector).differences == []
    assert audit_positions(projector) == list(range(1, head + 1))


def test_a_generation_behind_the_live_one_is_brought_up_in_the_swap(
    database_url: str, make_log: OpenLog
) -> None:
    log = make_log(database_url)
    projector = Projector(log, batch_size=3)
    populate(log)
    projector.catch_up()
    head = log.recorder.max_notification_id() or 0
    behind = projector.new_generation()
    projector.catch_up(behind, stop=2)

    projector.make_live(behind)

    assert projector.position() == head
    assert replay.check(projector).differences == []


def test_rows_keep_every_column_even_with_the_same_name(
    database_url: str, make_log: OpenLog
) -> None:
    projector = Projector(make_log(database_url))
    with projector.database.transaction(write=False) as cursor:
        audit = projector.live_tables(cursor).name("events")
        cursor.execute(
            f"SELECT COUNT(*), COUNT(position), MIN(position), MAX(position) "  # noqa: S608
            f"FROM {audit}"
        )
        assert cursor.fetchone() == (0, 0, None, None)


def test_readers_never_fail_while_rebuilds_swap_generations(
    durable_database_url: str, make_log: OpenLog
) -> None:
    log = make_log(durable_database_url)
    projector = Projector(log)
    ids = populate(log)
    projector.catch_up()
    read_models = ReadModels(projector)
    expected = everything(read_models, ids)
    rebuilding = threading.Event()
    rebuilding.set()
    reads = 0

    def read_again_and_again() -> None:
        nonlocal reads
        while rebuilding.is_set():
            assert everything(read_models, ids) == expected
            reads += 1

    def rebuild_a_few_times() -> None:
        try:
            other = Projector(make_log(durable_database_url))
            for _ in range(5):
                replay.rebuild(other)
        finally:
            rebuilding.clear()

    errors = run_together(read_again_and_again, rebuild_a_few_times)

    print(f"{reads} consistent reads during 5 rebuilds")
    assert errors == []
    assert reads > 0
