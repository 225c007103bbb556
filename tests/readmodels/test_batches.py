"""Batches read stored JSON, trust only rows they may, and keep day counts exact.

The rebuild reads events from their stored JSON instead of the mapper, applies a
batch in memory, carries rows from one batch to the next, loads a generation
before indexing it, and sums day counts for long lists' totals. Each test below
pins one of those down against the slower, obvious way.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest
from eventsourcing.domain import DomainEvent
from eventsourcing.persistence import Notification

from incidents.application import IncidentLog, load_default_offices
from incidents.domain import Incident
from projections import replay
from projections.facts import (
    fact_of_event,
    instant_text,
    iso,
    kind_of,
    read_fact,
    read_facts,
)
from projections.handlers import paris_day
from projections.projector import Projector
from projections.queries import ReadModels
from projections.tables import COLUMNS, Tables

if TYPE_CHECKING:
    from tests.conftest import OpenLog

PARIS = ZoneInfo("Europe/Paris")
OFFICE, OTHER_OFFICE = (office["code"] for office in load_default_offices()[:2])
MEDIATOR, OFFICER, ADMIN = "mediator-1", "officer-1", "admin-1"


def report(log: IncidentLog, *, office: str = OFFICE, **extra: Any) -> UUID:
    incident_id: UUID = log.report_incident(
        actor=MEDIATOR,
        office=office,
        occurred_at=datetime.now(UTC) - timedelta(hours=3),
        category="threat",
        severity=2,
        target="staff",
        trigger="queue",
        summary="Usager énervé par l'attente.",
        parties=[{"role": "visitor", "count": 1}],
        **extra,
    ).incident["id"]
    return incident_id


def varied_history(log: IncidentLog) -> list[UUID]:
    """Write every kind of incident event, contacts and amendments included."""
    log.register_user(actor=ADMIN, name="mediatrice.b", role="mediator")
    with_contact = report(log, contact={"phone": "06 12 34 56 78", "name": "Zoé"})
    plain = report(log, office=OTHER_OFFICE)
    log.record_de_escalation(
        with_contact, actor=MEDIATOR, techniques=["explanation"], outcome="left"
    )
    log.escalate_incident(with_contact, actor=OFFICER, to="security")
    log.reassess_severity(with_contact, actor=OFFICER, severity=4, reason="Coup.")
    log.amend_incident(
        with_contact,
        actor=OFFICER,
        changes={
            "category": "theft",
            "occurred_at": datetime.now(PARIS) - timedelta(days=2),
            "summary": "Vol au guichet.",
        },
        reason="Correction.",
    )
    kept = log.schedule_follow_up(
        plain, actor=MEDIATOR, kind="complaint", due_on=datetime.now(PARIS).date()
    ).incident["follow_ups"][-1]["id"]
    dropped = log.schedule_follow_up(
        plain, actor=MEDIATOR, kind="staff_support", due_on=datetime.now(PARIS).date()
    ).incident["follow_ups"][-1]["id"]
    log.complete_follow_up(plain, kept, actor=MEDIATOR, note="Fait.")
    log.cancel_follow_up(plain, dropped, actor=MEDIATOR, reason="Doublon.")
    log.add_note(plain, actor=MEDIATOR, text="Revenu plus tard.")
    log.close_incident(with_contact, actor=OFFICER, resolution="police_intervention")
    log.reopen_incident(with_contact, actor=OFFICER, reason="Revenu.")
    log.close_incident(with_contact, actor=OFFICER, resolution="need_met")
    log.erase_personal_data(with_contact, actor=ADMIN, reason="Demande.")
    return [with_contact, plain]


# Facts read from the stored JSON.


def test_stored_json_reads_as_the_mapper_decodes_it(
    database_url: str, make_log: OpenLog
) -> None:
    log = make_log(database_url)
    varied_history(log)
    notifications = log.recorder.select_notifications(1, 1000)
    assert len(notifications) > 20
    facts = read_facts(log.mapper, notifications)
    decoded = [
        fact_of_event(notification.id, log.mapper.to_domain_event(notification))
        for notification in notifications
    ]
    assert facts == decoded
    reported = next(fact for fact in facts if fact.kind.name == "Reported")
    # Instants are fixed-width UTC text, the contact only a mark that there was one.
    assert reported.recorded_at.endswith("+00:00")
    assert len(reported.recorded_at) == 32
    assert reported.state["contact"] == {"recorded": True}
    assert "06 12" not in json.dumps([fact.state for fact in facts])
    follow_up = next(fact for fact in facts if fact.kind.name == "FollowUpScheduled")
    assert follow_up.state["follow_up_id"] == str(UUID(follow_up.state["follow_up_id"]))


def test_the_log_is_read_as_the_event_store_selects_it(
    database_url: str, make_log: OpenLog
) -> None:
    log = make_log(database_url)
    varied_history(log)
    database = Projector(log).database
    stored = log.recorder.select_notifications(1, 1000)
    head = stored[-1].id
    for start, limit, stop in [
        (1, 1000, None),
        (3, 5, None),
        (2, 1000, 6),
        (head, 9, None),
    ]:
        expected = log.recorder.select_notifications(start, limit, stop=stop)
        read = database.notifications(log, start, limit, stop=stop)
        assert [n.id for n in read] == [n.id for n in expected]
        assert [n.originator_id for n in read] == [
            str(n.originator_id) for n in expected
        ]
        assert [(n.originator_version, n.topic, n.state) for n in read] == [
            (n.originator_version, n.topic, n.state) for n in expected
        ]
    assert database.notifications(log, head + 1, 10) == []


def test_an_upcast_class_is_read_through_the_mapper(
    sqlite_url: str, make_log: OpenLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = make_log(sqlite_url)
    incident_id = report(log)
    log.add_note(incident_id, actor=MEDIATOR, text="Première version.")

    def upcast(state: dict[str, Any]) -> None:
        state["text"] = state["text"].upper()

    monkeypatch.setattr(Incident.NoteAdded, "class_version", 2, raising=False)
    monkeypatch.setattr(
        Incident.NoteAdded, "upcast_v1_v2", staticmethod(upcast), raising=False
    )
    kind_of.cache_clear()
    try:
        notification = log.recorder.select_notifications(1, 100)[-1]
        fact = read_fact(log.mapper, notification)
        assert fact.kind.upcast
        assert fact.kind.name == "NoteAdded"
        assert fact.state["text"] == "PREMIÈRE VERSION."
        assert fact.recorded_at.endswith("+00:00")
    finally:
        kind_of.cache_clear()


@dataclasses.dataclass(frozen=True)
class Evolved(DomainEvent):
    """An event class given a field with a default after events were stored."""

    TOPIC = "tests.readmodels.test_batches:Evolved"
    actor: str
    channel: str = "counter"


def test_a_field_added_later_reads_as_its_default() -> None:
    stored = {
        "timestamp": {"_type_": "datetime_iso", "_data_": "2026-03-29T01:00:00+00:00"},
        "actor": "mediator-1",
    }
    notification = Notification(
        id=7,
        originator_id=uuid4(),
        originator_version=1,
        topic="tests.readmodels.test_batches:Evolved",
        state=json.dumps(stored).encode(),
    )
    log = IncidentLog({"PERSISTENCE_MODULE": "eventsourcing.popo"})
    try:
        fact = read_fact(log.mapper, notification)
    finally:
        log.close()
    assert fact.get("channel") == "counter"
    assert "channel" not in fact.state  # the timeline shows only what was stored
    assert fact.recorded_at == "2026-03-29T01:00:00.000000+00:00"
    assert fact.kind.name == "Evolved"


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 3, 29, 1, 0, tzinfo=UTC),  # whole seconds: no fraction
        datetime(2026, 3, 29, 1, 0, 0, 120, tzinfo=UTC),
        datetime(2026, 10, 25, 14, 30, tzinfo=ZoneInfo("Europe/Paris")),
        datetime(2026, 7, 14, 9, 5, 7, 999999, tzinfo=ZoneInfo("Europe/Paris")),
        datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=-5))),
    ],
)
def test_every_stored_form_of_an_instant_reads_as_fixed_width_utc(
    moment: datetime,
) -> None:
    text = instant_text(moment.isoformat())
    assert text == iso(moment)
    assert len(text) == 32
    assert text.endswith("+00:00")
    assert datetime.fromisoformat(text) == moment


def test_the_paris_day_of_an_instant_read_from_its_text_is_the_converted_one() -> None:
    # Every quarter hour around both changes of offset, and a spread of years.
    starts = [
        datetime(2026, 3, 28, 12, tzinfo=UTC),
        datetime(2026, 10, 24, 12, tzinfo=UTC),
    ]
    moments = [
        start + timedelta(minutes=15 * step) for start in starts for step in range(192)
    ]
    moments += [
        datetime(year, month, 1, hour, 59, 59, 999999, tzinfo=UTC)
        for year in (1979, 1980, 1996, 2021, 2040)
        for month in (1, 6, 12)
        for hour in (0, 21, 22, 23)
    ]
    for moment in moments:
        expected = moment.astimezone(PARIS).date().isoformat()
        assert paris_day(iso(moment)) == expected, moment
        assert paris_day(moment.isoformat()) == expected, moment


# Rows carried from one batch to the next.


def test_projectors_taking_turns_never_trust_rows_the_other_wrote(
    durable_database_url: str, make_log: OpenLog
) -> None:
    log = make_log(durable_database_url)
    first, second = Projector(log, batch_size=2), Projector(log, batch_size=2)
    incident_id = report(log)
    first.catch_up()  # first now holds this incident's rows as it left them
    log.record_de_escalation(
        incident_id, actor=MEDIATOR, techniques=["explanation"], outcome="calmed"
    )
    log.escalate_incident(incident_id, actor=OFFICER, to="police")
    second.catch_up()  # changes them behind first's back
    log.record_de_escalation(
        incident_id, actor=MEDIATOR, techniques=["explanation"], outcome="left"
    )
    log.close_incident(incident_id, actor=OFFICER, resolution="need_met")
    first.catch_up()

    assert replay.check(first).differences == []
    summary = ReadModels(first).office_summary(OFFICE)
    assert summary["de_escalations"]["total"] == 2
    assert summary["escalations"]["by_target"]["police"] == 1
    assert summary["incidents"]["open"] == 0
    item = ReadModels(first).get_incident_summary(incident_id)
    assert item is not None
    assert item["version"] == 5
    assert item["status"] == "closed"


def test_one_batch_or_many_give_the_same_rows(
    durable_database_url: str, make_log: OpenLog
) -> None:
    log = make_log(durable_database_url)
    ids = varied_history(log)
    one = Projector(log, batch_size=100_000)
    assert one.process_batch().applied == log.recorder.max_notification_id()
    assert replay.check(Projector(log, batch_size=1)).differences == []
    timeline = ReadModels(one).incident_timeline(ids[0])
    assert [item["type"] for item in timeline][-4:] == [
        "Closed",
        "Reopened",
        "Closed",
        "PersonalDataErased",
    ]


# Generations: indexes after loading, and tables of an older shape.


def indexes(projector: Projector, generation: int) -> set[str]:
    prefix = f"rm{generation}_"
    with projector.database.transaction(write=False) as cursor:
        if projector.database.dialect == "postgres":
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE indexname LIKE ?",
                (prefix + "%",),
            )
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE ?",
                (prefix + "%",),
            )
        names = {str(row[0])[len(prefix) :] for row in cursor.fetchall()}
    return {name for name in names if not name.endswith("_pkey")}  # primary keys


def test_a_rebuild_indexes_its_generation_before_readers_see_it(
    durable_database_url: str, make_log: OpenLog
) -> None:
    log = make_log(durable_database_url)
    varied_history(log)
    projector = Projector(log)
    with projector.database.transaction(write=False) as cursor:
        first = projector.live_tables(cursor).generation
    expected = indexes(projector, first)
    assert "events_office_recorded_at" in expected
    assert "incident_states_office_occurred_on_current" in expected
    rebuilt = replay.rebuild(projector)
    assert indexes(projector, rebuilt.generation) == expected
    bare = projector.new_generation(indexes=False)
    assert indexes(projector, bare.generation) == set()
    projector.drop(bare)


def test_dropping_a_generation_leaves_secure_delete_as_it_was(
    sqlite_url: str, make_log: OpenLog
) -> None:
    projector = Projector(make_log(sqlite_url))
    old = projector.new_generation()
    with projector.database.transaction(write=True) as cursor:
        for setting, reads in (("ON", 1), ("FAST", 2), ("OFF", 0)):
            cursor.execute(f"PRAGMA secure_delete = {setting}")
            Tables(projector.database, old.generation).drop(cursor)
            cursor.execute("PRAGMA secure_delete")
            assert cursor.fetchone() == (reads,)
        cursor.execute("PRAGMA secure_delete = 1")
    assert indexes(projector, old.generation) == set()


def test_tables_of_an_older_shape_are_replaced_and_filled_again(
    durable_database_url: str, make_log: OpenLog
) -> None:
    log = make_log(durable_database_url)
    ids = varied_history(log)
    projector = Projector(log)
    projector.catch_up()
    before = ReadModels(projector).incident_timeline(ids[0])
    with projector.database.transaction(write=True) as cursor:
        old = projector.live_tables(cursor)
        cursor.execute(f"ALTER TABLE {old.name('incidents')} ADD COLUMN retired TEXT")

    again = Projector(make_log(durable_database_url))

    with again.database.transaction(write=False) as cursor:
        assert again.live_tables(cursor).generation > old.generation
        assert again.database.columns(cursor, old.bare("incidents")) == []
    assert again.position() == 0
    again.catch_up()
    assert ReadModels(again).incident_timeline(ids[0]) == before
    assert replay.check(again).differences == []


# Day counts.


@pytest.fixture
def stamped(monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    """Stamp the incident events written next with the instants in the list."""
    instants: list[datetime] = []
    for cls in (Incident.Reported, Incident.Event):
        monkeypatch.setattr(cls, "create_timestamp", staticmethod(instants.pop))
    return instants


def test_office_totals_summed_over_days_equal_the_rows_listed(
    database_url: str, make_log: OpenLog, stamped: list[datetime]
) -> None:
    log = make_log(database_url)
    # Around the change to summer time (2026-03-29 at 01:00 UTC) and to winter
    # time (2026-10-25 at 01:00 UTC), where a Paris day is 23 or 25 hours long.
    moments = [
        datetime(2026, 3, 28, 22, 59, 59, tzinfo=UTC),
        datetime(2026, 3, 28, 23, 0, tzinfo=UTC),
        datetime(2026, 3, 29, 0, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
        datetime(2026, 3, 29, 21, 59, 59, tzinfo=UTC),
        datetime(2026, 3, 29, 22, 0, tzinfo=UTC),
        datetime(2026, 10, 24, 21, 59, tzinfo=UTC),
        datetime(2026, 10, 24, 22, 0, tzinfo=UTC),
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
        datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
        datetime(2026, 10, 25, 23, 0, tzinfo=UTC),
    ]
    for moment in moments:
        stamped.append(moment)
        report_at(log, moment)
    projector = Projector(log, batch_size=4)
    projector.catch_up()
    read_models = ReadModels(projector)
    days = sorted({moment.astimezone(PARIS).date() for moment in moments})
    assert len(days) >= 6
    for first in days:
        for last in days:
            if last < first:
                continue
            expected = sum(
                1 for m in moments if first <= m.astimezone(PARIS).date() <= last
            )
            answer = read_models.office_timeline(
                OFFICE, from_=first, to=last, page_size=200
            )
            assert answer["total"] == len(answer["items"]) == expected, (first, last)
    everything = read_models.office_timeline(OFFICE, page_size=200)
    assert everything["total"] == len(moments)
    as_of = read_models.office_timeline(OFFICE, as_of=moments[4], page_size=200)
    assert as_of["total"] == len(as_of["items"]) == 5
    assert read_models.office_timeline(OTHER_OFFICE)["total"] == 0
    head = log.recorder.max_notification_id()
    assert read_models.audit_events(limit=1)["total"] == head
    assert replay.check(projector).differences == []
    assert "day_counts" in COLUMNS


def report_at(log: IncidentLog, moment: datetime) -> None:
    log.save(
        Incident.report(
            actor=MEDIATOR,
            office=OFFICE,
            occurred_at=moment - timedelta(minutes=5),
            category="threat",
            severity=1,
            target="staff",
            summary="Ton qui monte.",
            now=moment,
        )
    )
