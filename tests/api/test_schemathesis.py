"""schemathesis over every route of the app's own OpenAPI document, signed in.

The document is read from the Flask app itself (``/api/openapi.json``) and each
operation is called, in process, as a role that may use it: the auditor on
``/audit/*``, the admin on ``/admin/*`` and the erasure, the officer elsewhere.
The app runs on a SQLite file holding a few incidents, follow-ups and shifts, and the
ids in paths are drawn from what exists (and from what does not, and from
another office), so that the routes answer more than 404.

Every answer must be no 5xx, and match the status codes, content types and
schemas the document gives for it. Cases come positive (fitting the document)
and negative (breaking it). ``positive_data_acceptance`` is not among the
checks: the document cannot say everything the API refuses with 422 (which
office codes exist, that an incident is not in the future, years 1900-2999,
control characters, the shape of a user name), so schema-valid requests are
rightly refused now and then.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from incidents.application import IncidentLog, PlannedShift
from incidents.domain.notification import notification_id
from tests.api.conftest import OFFICE, OTHER_OFFICE, Api, build_api

Case = schemathesis.Case[Any]

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]
# People only the admin routes touch: revoking their tokens or deactivating
# them leaves the people the run signs in as untouched.
SPARE_PEOPLE = ("spare-1", "spare-2", "spare-3")
MAX_EXAMPLES = 50
# Each example of these lays out a whole PDF (about a second): fewer of them.
FEWER_EXAMPLES = {"GET /api/v1/offices/{code}/report.pdf": 10}
# The bearer token is given, not generated: negative cases break the body and
# the query, for a person who may call the route.
CONFIG = schemathesis.Config.from_dict(
    {"generation": {"with-security-parameters": False}}
)
REPORT = "POST /api/v1/incidents"
PAST = "2025-01-06T10:30:00+01:00"
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


@dataclass
class Seeded:
    """What exists in the store before the run, to put in paths."""

    api: Api
    # (incident id, [follow-up ids]) in OFFICE, then one in OTHER_OFFICE.
    incidents: list[tuple[str, list[str]]] = field(default_factory=list)
    other_office_incident: str = ""
    spare_tokens: dict[str, str] = field(default_factory=dict)
    # Shifts in OFFICE (one cancelled), then one in OTHER_OFFICE.
    shifts: list[str] = field(default_factory=list)
    # The officer's notifications, then one of another person's.
    notifications: list[str] = field(default_factory=list)


def seed(api: Api) -> Seeded:
    """Report incidents (open, closed, with follow-ups) and register spare people."""
    seeded = Seeded(api=api)
    due = (date.today() + timedelta(days=3)).isoformat()
    late = (date.today() - timedelta(days=2)).isoformat()
    variants: list[dict[str, Any]] = [
        {},
        {"category": "threat", "severity": 2, "target": "staff"},
        {"category": "waiting_time", "severity": 0, "contact": None},
        {"category": "theft", "severity": 3, "target": "property"},
    ]
    for index, overrides in enumerate(variants):
        incident = api.report("mediator", **overrides)
        path = f"/incidents/{incident['id']}"
        follow_ups: list[str] = []
        for kind, due_on in (("manager_report", due), ("staff_support", late)):
            response = api.post(
                f"{path}/follow-ups", {"kind": kind, "due_on": due_on}, "officer"
            )
            assert response.status_code == 200, response.get_json()
            follow_ups = [f["id"] for f in response.get_json()["follow_ups"]]
        api.post(
            f"{path}/de-escalations",
            {"techniques": ["active_listening"], "outcome": "calmed"},
            "officer",
        )
        if index == 3:  # One closed incident: its writes answer 409.
            for follow_up in follow_ups:
                api.post(f"{path}/follow-ups/{follow_up}/completion", {}, "officer")
            closed = api.post(
                f"{path}/closure", {"resolution": "resolved_on_site"}, "officer"
            )
            assert closed.status_code == 200, closed.get_json()
        seeded.incidents.append((str(incident["id"]), follow_ups))
    seeded.other_office_incident = str(api.report_in_log(OTHER_OFFICE))
    for name in SPARE_PEOPLE:
        api.log.register_user(actor="test", name=name, role="mediator")
        seeded.spare_tokens[name] = str(
            api.log.issue_token(name, actor="test").token_id
        )
    for day, start, end in (
        ("2026-12-07", "09:00", "12:30"),
        ("2026-12-08", "14:00", "18:00"),
    ):
        seeded.shifts.append(
            str(
                api.log.plan_shift(
                    actor="test",
                    plan=PlannedShift(
                        mediator="mediator",
                        office=OFFICE,
                        day=day,
                        start=start,
                        end=end,
                    ),
                ).shift["id"]
            )
        )
    api.log.cancel_shift(UUID(seeded.shifts[-1]), actor="test", reason="Malade.")
    seeded.shifts.append(
        str(
            api.log.plan_shift(
                actor="test",
                plan=PlannedShift(
                    mediator=SPARE_PEOPLE[0],
                    office=OTHER_OFFICE,
                    day="2026-12-07",
                    start="09:00",
                    end="12:30",
                ),
            ).shift["id"]
        )
    )
    for recipient in ("officer", "officer", SPARE_PEOPLE[0]):
        subject = uuid4()
        api.log.plan_notification(
            rule="severe_incident",
            subject=str(subject),
            kind="severe_incident",
            recipient=recipient,
            channel="bell",
            office=OFFICE,
            incident_id=subject,
        )
        key = f"severe_incident:{subject}:{recipient}"
        seeded.notifications.append(str(notification_id(key)))
    api.wait_for_read_models()
    return seeded


def path_values(seeded: Seeded, names: set[str]) -> list[dict[str, Any]]:
    """Return the path parameters to try, for an operation with these names."""
    if names == {"incident_id"}:
        ids = [incident for incident, _ in seeded.incidents]
        return [
            {"incident_id": value}
            for value in [*ids, seeded.other_office_incident, UNKNOWN_ID]
        ]
    if names == {"incident_id", "follow_up_id"}:
        pairs = [
            {"incident_id": incident, "follow_up_id": follow_up}
            for incident, follow_ups in seeded.incidents
            for follow_up in follow_ups
        ]
        first_incident, first_follow_ups = seeded.incidents[0]
        return [
            *pairs,
            {"incident_id": first_incident, "follow_up_id": UNKNOWN_ID},
            {"incident_id": UNKNOWN_ID, "follow_up_id": first_follow_ups[0]},
        ]
    if names == {"shift_id"}:
        return [{"shift_id": value} for value in [*seeded.shifts, UNKNOWN_ID]]
    if names == {"code"}:
        return [{"code": code} for code in (OFFICE, OTHER_OFFICE, "inconnu")]
    if names == {"name"}:
        return [{"name": name} for name in (*SPARE_PEOPLE, "officer", "personne")]
    if names == {"name", "token_id"}:
        return [
            *(
                {"name": name, "token_id": token}
                for name, token in seeded.spare_tokens.items()
            ),
            {"name": SPARE_PEOPLE[0], "token_id": UNKNOWN_ID},
            {"name": "personne", "token_id": UNKNOWN_ID},
        ]
    if names == {"notification_id"}:
        return [
            {"notification_id": value} for value in [*seeded.notifications, UNKNOWN_ID]
        ]
    raise AssertionError(f"No values for the path parameters {sorted(names)}")


def who_may_call(path: str) -> str:
    """Return the person whose role may use the route (the officer by default)."""
    if "/audit/" in path:
        return "auditor"
    if (
        "/admin/" in path
        or path.endswith("/erasure")
        or path.endswith("/opening-hours")
    ):
        return "admin"
    return "officer"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest) -> str:
    """Return an empty SQLite file, then an empty PostgreSQL database."""
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
def seeded(store_url: str) -> Iterator[Seeded]:
    """Serve the app on a SQLite file holding a few incidents and people."""
    logs: list[IncidentLog] = []
    for api in build_api(store_url, logs):
        yield seed(api)
    for log in logs:
        log.close()


@dataclass
class Tally:
    """What the run sent and got back, per operation."""

    statuses: dict[str, Counter[int]] = field(default_factory=dict)
    failures: dict[str, BaseException] = field(default_factory=dict)


def cases(operation: Any, mode: GenerationMode, seeded: Seeded) -> Any:
    """Return the cases to send: mostly with ids that exist, some made up."""
    names = {parameter.name for parameter in operation.path_parameters}
    generated = operation.as_strategy(mode)
    if names:
        generated = st.one_of(
            *(
                operation.as_strategy(mode, path_parameters=values)
                for values in path_values(seeded, names)
            ),
            generated,
        )
    if mode is GenerationMode.POSITIVE and operation.label == REPORT:
        # The document cannot say which offices exist or that a report is in
        # the past: make half the reports plausible, so that some are stored.
        generated = st.one_of(generated, generated.map(plausible_report))
    return generated


def plausible_report(case: Case) -> Case:
    """Put the report in the caller's office, in the past, with a random id."""
    assert isinstance(case.body, dict)
    body = dict(case.body)
    body["office"] = OFFICE
    body["occurred_at"] = PAST
    if "id" in body:
        body["id"] = str(UUID(int=UUID(str(body["id"])).int, version=4))
    case.body = body
    return case


def has_nothing_to_break(operation: Any) -> bool:
    """Tell whether an operation takes no parameter and no body at all."""
    return not any(
        len(list(part))
        for part in (
            operation.path_parameters,
            operation.query,
            operation.headers,
            operation.body,
        )
    )


def exercise(
    operation: Any, mode: GenerationMode, seeded: Seeded, statuses: Counter[int]
) -> None:
    """Send the operation's cases as a person who may use it; check each answer."""
    token = seeded.api.tokens[who_may_call(operation.path)]

    # Each example is a request through the app, which also waits for the read
    # models (too_slow); ids drawn from the store are filtered (filter_too_much).
    @settings(
        max_examples=FEWER_EXAMPLES.get(operation.label, MAX_EXAMPLES),
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(case=cases(operation, mode, seeded))
    def call(case: Case) -> None:
        response = case.call_and_validate(
            headers={"Authorization": f"Bearer {token}"}, checks=CHECKS
        )
        statuses[response.status_code] += 1

    call()


@pytest.mark.parametrize("mode", list(GenerationMode), ids=str)
def test_every_route_answers_as_documented(seeded: Seeded, mode: GenerationMode):
    schema = schemathesis.openapi.from_wsgi(
        "/api/openapi.json", seeded.api.app, config=CONFIG
    )
    tally = Tally()
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result  # The document describes it well.
        operations.append(result.ok())

    # The admin's operations deactivate people and revoke tokens, the officer's
    # among them: they run last, so that every other operation is tried with a
    # token that still opens it.
    operations.sort(key=lambda operation: "/admin/" in operation.path)
    for operation in operations:
        if mode is GenerationMode.NEGATIVE and has_nothing_to_break(operation):
            continue  # No negative case exists (GET /offices, GET /admin/users).
        statuses = tally.statuses.setdefault(operation.label, Counter())
        try:
            exercise(operation, mode, seeded, statuses)
        except Exception as error:  # Every operation runs; all failures are shown.
            tally.failures[operation.label] = error

    for label, statuses in tally.statuses.items():
        print(f"{mode} {label}: {dict(sorted(statuses.items()))}")
    # Each operation but the admin's was called with a token that opened it.
    assert not [
        label
        for label, statuses in tally.statuses.items()
        if "/admin/" not in label and set(statuses) == {401}
    ], "operations that only ever answered 401"
    assert len(operations) >= 25
    assert not tally.failures, "\n\n".join(
        f"{label}:\n{error}" for label, error in tally.failures.items()
    )
