"""Presence on incidents and its impact equal a recount from the events, now and then.

Hypothesis draws a history that mixes the rota and incidents: shifts planned,
moved (day, office, times) and cancelled, incidents reported and their time
amended, in any order. The expected answer is worked out here from the log's
events alone (``iter_history``), in minutes of the Paris day, without the
product's rota code; the product's answer is the one the API gives: the
incident as the read models say it was known at T, and the rota as known at T.
The presence impact of each office (hours and incidents with and without a
mediator, and outside opening hours) is recounted the same way, minute by
minute, and is the same after the read models are rebuilt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from incidents.application import IncidentLog, PlannedShift, load_default_offices
from incidents.errors import IncidentsError
from projections import replay
from projections.projector import Projector
from projections.queries import ReadModels

PARIS = ZoneInfo("Europe/Paris")
OFFICES = [office["code"] for office in load_default_offices()[:2]]
MEDIATORS = ["amina", "bruno", "chloe"]
DAYS = [date(2026, 11, 24), date(2026, 11, 25)]  # a Tuesday and a Wednesday
PLANNER = "officer-1"

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Half-hours from 08:00 to 19:00, as "HH:MM".
half_hours = st.integers(16, 38).map(lambda n: f"{n // 2:02d}:{30 * (n % 2):02d}")
# Moments of those days, often on a shift's very edge (a half-hour), else on
# a 10-minute grid, or a second before a half-hour.
moments = st.tuples(
    st.sampled_from(DAYS),
    st.one_of(
        st.integers(15, 39).map(lambda n: 1800 * n),
        st.integers(7 * 6, 20 * 6).map(lambda n: 600 * n),
        st.integers(15, 39).map(lambda n: 1800 * n - 1),
    ),
).map(
    lambda pair: (
        datetime(pair[0].year, pair[0].month, pair[0].day, tzinfo=PARIS).astimezone(UTC)
        + timedelta(seconds=pair[1])
    )
)


@dataclass
class History:
    log: IncidentLog
    shifts: list[UUID] = field(default_factory=list)
    incidents: list[UUID] = field(default_factory=list)
    instants: list[datetime] = field(default_factory=list)


def build(data: st.DataObject, log: IncidentLog) -> History:
    history = History(log)
    steps = data.draw(st.integers(3, 30), label="steps")
    for _ in range(steps):
        kind = data.draw(
            st.sampled_from(["plan", "plan", "change", "cancel", "report", "amend"])
        )
        try:
            _step(data, history, kind)
        except IncidentsError as error:  # overlaps, nothing to change...
            event(f"refused: {type(error).__name__}")
        history.instants.append(datetime.now(UTC))
    return history


def _step(data: st.DataObject, history: History, kind: str) -> None:
    log = history.log
    if kind == "plan":
        start, end = sorted(data.draw(st.lists(half_hours, min_size=2, max_size=2)))
        written = log.plan_shift(
            actor=PLANNER,
            plan=PlannedShift(
                mediator=data.draw(st.sampled_from(MEDIATORS)),
                office=data.draw(st.sampled_from(OFFICES)),
                day=data.draw(st.sampled_from(DAYS)),
                start=start,
                end=end,
            ),
        )
        history.shifts.append(written.shift["id"])
    elif kind == "change" and history.shifts:
        changes: dict[str, object] = {}
        if data.draw(st.booleans()):
            changes["day"] = data.draw(st.sampled_from(DAYS)).isoformat()
        if data.draw(st.booleans()):
            changes["office"] = data.draw(st.sampled_from(OFFICES))
        if data.draw(st.booleans()):
            start, end = sorted(data.draw(st.lists(half_hours, min_size=2, max_size=2)))
            changes.update(start=start, end=end)
        log.change_shift(
            data.draw(st.sampled_from(history.shifts)),
            actor=PLANNER,
            changes=changes,
            reason="Correction.",
        )
    elif kind == "cancel" and history.shifts:
        log.cancel_shift(
            data.draw(st.sampled_from(history.shifts)), actor=PLANNER, reason="Absent."
        )
    elif kind == "report" or not history.incidents:
        written = log.report_incident(
            actor="mediator-1",
            office=data.draw(st.sampled_from(OFFICES)),
            occurred_at=data.draw(moments),
            category="verbal_incivility",
            severity=1,
            target="staff",
            summary="Tension au guichet.",
        )
        history.incidents.append(written.incident["id"])
    else:
        log.amend_incident(
            data.draw(st.sampled_from(history.incidents)),
            actor=PLANNER,
            changes={"occurred_at": data.draw(moments)},
            reason="Heure corrigée.",
        )


def expected(
    events: list[dict[str, Any]], incident_id: UUID, as_of: datetime | None
) -> str | None:
    """Recount from the events known at ``as_of``: who covers the incident."""
    known = [e for e in events if as_of is None or e["recorded_at"] <= as_of]
    shifts: dict[UUID, dict[str, Any]] = {}
    office = occurred_at = None
    for item in known:
        data, kind = item["data"], item["type"]
        if kind == "ShiftPlanned":
            shifts[item["aggregate_id"]] = {
                "mediator": data["mediator"],
                "office": data["office"],
                "day": data["day"].isoformat(),
                "start": data["start"],
                "end": data["end"],
                "cancelled": False,
            }
        elif kind == "ShiftChanged":
            shifts[item["aggregate_id"]].update(data["changes"])
        elif kind == "ShiftCancelled":
            shifts[item["aggregate_id"]]["cancelled"] = True
        elif item["aggregate_id"] == incident_id and kind == "Reported":
            office, occurred_at = data["office"], data["occurred_at"]
        elif item["aggregate_id"] == incident_id and kind == "Amended":
            office = data["changes"].get("office", office)
            occurred_at = data["changes"].get("occurred_at", occurred_at)
    assert occurred_at is not None
    local = occurred_at.astimezone(PARIS)
    second = local.hour * 3600 + local.minute * 60 + local.second

    def seconds(clock: str) -> int:
        hours, minutes = clock.split(":")
        return int(hours) * 3600 + int(minutes) * 60

    covering = sorted(
        (seconds(shift["start"]), shift["mediator"])
        for shift in shifts.values()
        if not shift["cancelled"]
        and shift["office"] == office
        and shift["day"] == local.date().isoformat()
        and seconds(shift["start"]) <= second < seconds(shift["end"])
    )
    return covering[0][1] if covering else None


def answered(
    log: IncidentLog, read_models: ReadModels, incident_id: UUID, as_of: datetime | None
) -> str | None:
    """Answer as GET /incidents/{id}[?as_of=] does."""
    if as_of is None:
        incident = log.get_incident(incident_id)
    else:
        version = read_models.incident_version_as_of(incident_id, as_of)
        if version is None:
            return "not yet reported"
        incident = log.get_incident(incident_id, version=version)
    return log.mediator_on_shift(
        incident["office"], incident["occurred_at"], as_of=as_of
    )


@SETTINGS
@given(data=st.data())
def test_the_mediator_on_shift_matches_a_recount_now_and_as_of(data: st.DataObject):
    log = IncidentLog({"PERSISTENCE_MODULE": "eventsourcing.popo"})
    log.ensure_offices(load_default_offices())
    for name in MEDIATORS:
        log.register_user(actor="admin", name=name, role="mediator")
    history = build(data, log)
    projector = Projector(log)
    projector.catch_up()
    read_models = ReadModels(projector)
    events = list(log.iter_history())

    for incident_id in history.incidents:
        reported_at = next(
            e["recorded_at"] for e in events if e["aggregate_id"] == incident_id
        )
        for as_of in [None, *history.instants]:
            if as_of is not None and as_of < reported_at:
                continue
            want = expected(events, incident_id, as_of)
            event(f"on shift: {want is not None}")
            assert answered(log, read_models, incident_id, as_of) == want, as_of

    def impacts() -> dict[Any, Any]:
        return {
            (office, as_of): product_impact(log, read_models, office, as_of)
            for office in OFFICES
            for as_of in [None, *history.instants]
        }

    before = impacts()
    for (office, as_of), answer in before.items():
        assert answer == recounted_impact(events, office, as_of), (office, as_of)
    replay.rebuild(projector)
    assert impacts() == before
    log.close()


OPEN_MINUTES = set(range(9 * 60, 18 * 60))  # Tuesdays and Wednesdays (defaults)


def product_impact(
    log: IncidentLog, read_models: ReadModels, office: str, as_of: datetime | None
) -> dict[str, Any]:
    answer = read_models.presence_impact(
        office,
        from_=DAYS[0],
        to=DAYS[-1],
        shifts=log.planned_rota(as_of=as_of),
        opening_hours=log.opening_hours_by_day(office, as_of=as_of),
        as_of=as_of,
    )
    return {
        "with": (
            answer["with_mediator"]["hours"],
            answer["with_mediator"]["incidents"],
        ),
        "without": (
            answer["without_mediator"]["hours"],
            answer["without_mediator"]["incidents"],
        ),
        "outside": answer["outside_opening_hours"]["incidents"],
    }


def recounted_impact(
    events: list[dict[str, Any]], office: str, as_of: datetime | None
) -> dict[str, Any]:
    known = [e for e in events if as_of is None or e["recorded_at"] <= as_of]
    covered = 0
    for day in DAYS:
        minutes: set[int] = set()
        for shift in rota_at(known).values():
            if shift["office"] == office and shift["day"] == day.isoformat():
                first, last = (minute_of(shift["start"]), minute_of(shift["end"]))
                minutes |= set(range(first, last))
        covered += len(minutes & OPEN_MINUTES)
    total = len(OPEN_MINUTES) * len(DAYS)
    counts = {"with": 0, "without": 0, "outside": 0}
    reported = {e["aggregate_id"] for e in known if e["type"] == "Reported"}
    for incident_id in reported:
        where, when = incident_at(known, incident_id)
        local = when.astimezone(PARIS)
        if where != office or local.date() not in DAYS:
            continue
        if local.hour * 60 + local.minute not in OPEN_MINUTES:
            counts["outside"] += 1
        elif expected(events, incident_id, as_of) is not None:
            counts["with"] += 1
        else:
            counts["without"] += 1
    return {
        "with": (round(covered / 60, 2), counts["with"]),
        "without": (round((total - covered) / 60, 2), counts["without"]),
        "outside": counts["outside"],
    }


def minute_of(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def rota_at(known: list[dict[str, Any]]) -> dict[UUID, dict[str, Any]]:
    shifts: dict[UUID, dict[str, Any]] = {}
    for item in known:
        data, kind = item["data"], item["type"]
        if kind == "ShiftPlanned":
            shifts[item["aggregate_id"]] = {
                "office": data["office"],
                "day": data["day"].isoformat(),
                "start": data["start"],
                "end": data["end"],
            }
        elif kind == "ShiftChanged":
            shifts[item["aggregate_id"]].update(data["changes"])
        elif kind == "ShiftCancelled":
            del shifts[item["aggregate_id"]]
    return shifts


def incident_at(known: list[dict[str, Any]], incident_id: UUID) -> tuple[str, datetime]:
    office = occurred_at = None
    for item in known:
        if item["aggregate_id"] != incident_id:
            continue
        if item["type"] == "Reported":
            office, occurred_at = item["data"]["office"], item["data"]["occurred_at"]
        elif item["type"] == "Amended":
            changes = item["data"]["changes"]
            office = changes.get("office", office)
            occurred_at = changes.get("occurred_at", occurred_at)
    assert office is not None
    assert occurred_at is not None
    return office, occurred_at
