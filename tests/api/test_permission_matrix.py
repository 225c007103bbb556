"""Every route, for every role, inside and outside the caller's offices.

The expected statuses are written out from DESIGN.md's HTTP contract, not
computed from ``incidents.permissions``: 403 when the role may never do it, 404
(or 422 for an office named in a body or filter) when the target is outside the
offices the caller covers, exactly as for something unknown. The mediator and
the officer cover OFFICE only; auditors and admins see every office.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from incidents.application import IncidentLog, PlannedShift
from incidents.domain.notification import notification_id
from tests.api.conftest import (
    OFFICE,
    OTHER_OFFICE,
    PREFIX,
    ROLES,
    Api,
    assert_error,
    build_api,
    report_body,
)
from tests.conftest import scratch_database

Arranged = dict[str, str]


def office_only(api: Api, office: str) -> Arranged:
    return {"office": office}


def an_incident(api: Api, office: str) -> Arranged:
    return {"office": office, "incident": str(api.report_in_log(office))}


def a_follow_up(api: Api, office: str) -> Arranged:
    arranged = an_incident(api, office)
    result = api.log.schedule_follow_up(
        UUID(arranged["incident"]),
        actor="mediator",
        kind="complaint",
        due_on=datetime.now(UTC).date() + timedelta(days=2),
    )
    arranged["follow_up"] = str(result.incident["follow_ups"][0]["id"])
    api.wait_for_read_models()
    return arranged


def a_closed_incident(api: Api, office: str) -> Arranged:
    arranged = an_incident(api, office)
    api.log.close_incident(
        UUID(arranged["incident"]), actor="officer", resolution="need_met"
    )
    api.wait_for_read_models()
    return arranged


def a_person(api: Api, office: str) -> Arranged:
    name = f"person-{uuid4().hex[:8]}"
    api.log.register_user(actor="test", name=name, role="mediator", offices=[office])
    return {"office": office, "user": name}


def a_token(api: Api, office: str) -> Arranged:
    arranged = a_person(api, office)
    issued = api.log.issue_token(arranged["user"], actor="test")
    arranged["token"] = str(issued.token_id)
    return arranged


def a_rota_mediator(api: Api, office: str) -> Arranged:
    name = f"rota-{uuid4().hex[:8]}"
    api.log.register_user(actor="test", name=name, role="mediator", offices=[office])
    return {"office": office, "mediator": name}


def a_shift(api: Api, office: str) -> Arranged:
    arranged = a_rota_mediator(api, office)
    written = api.log.plan_shift(
        actor="test",
        plan=PlannedShift(
            mediator=arranged["mediator"],
            office=office,
            day="2026-12-07",
            start="09:00",
            end="12:30",
        ),
    )
    arranged["shift"] = str(written.shift["id"])
    return arranged


def shift_body(arranged: Arranged) -> dict[str, Any]:
    return {
        "mediator": arranged["mediator"],
        "office": arranged["office"],
        "day": "2026-12-07",
        "start": "09:00",
        "end": "12:30",
    }


def rota_csv(arranged: Arranged) -> str:
    return (
        "mediator;office;day;start;end\n"
        f"{arranged['mediator']};{arranged['office']};2026-12-08;09:00;12:30\n"
    )


HOURS_SET = itertools.count()


def new_hours(arranged: Arranged) -> dict[str, Any]:
    # Different hours every time: the same hours again would change nothing (409).
    # Counted, not drawn: two random minutes were the same one time in fifty.
    minute = 10 + next(HOURS_SET) % 50
    week = [["09:00", "18:00"]]
    return {
        **{day: week for day in ("monday", "tuesday", "wednesday", "thursday")},
        "friday": week,
        "saturday": [["09:00", f"12:{minute}"]],
        "sunday": [],
    }


def a_notification(api: Api, office: str) -> Arranged:
    subject = uuid4()
    api.log.plan_notification(
        rule="severe_incident",
        subject=str(subject),
        kind="severe_incident",
        recipient="officer",
        channel="bell",
        office=office,
        incident_id=subject,
    )
    key = f"severe_incident:{subject}:officer"
    return {"office": office, "notification": str(notification_id(key))}


def an_hour_ahead(arranged: Arranged) -> dict[str, Any]:
    return {"as_of": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    path: str
    arrange: Callable[[Api, str], Arranged] = office_only
    body: Callable[[Arranged], dict[str, Any]] | None = None
    query: Callable[[Arranged], dict[str, Any]] | None = None
    csv: Callable[[Arranged], str] | None = None


ROUTES = [
    Route("list offices", "GET", "/offices"),
    Route(
        "report",
        "POST",
        "/incidents",
        body=lambda a: report_body(office=a["office"]),
    ),
    Route(
        "list incidents", "GET", "/incidents", query=lambda a: {"office": a["office"]}
    ),
    Route("get incident", "GET", "/incidents/{incident}", an_incident),
    Route(
        "get incident as of",
        "GET",
        "/incidents/{incident}",
        an_incident,
        query=an_hour_ahead,
    ),
    Route("incident timeline", "GET", "/incidents/{incident}/timeline", an_incident),
    Route(
        "de-escalation",
        "POST",
        "/incidents/{incident}/de-escalations",
        an_incident,
        body=lambda a: {"techniques": ["explanation"], "outcome": "calmed"},
    ),
    Route(
        "escalation",
        "POST",
        "/incidents/{incident}/escalations",
        an_incident,
        body=lambda a: {"to": "security"},
    ),
    Route(
        "note",
        "POST",
        "/incidents/{incident}/notes",
        an_incident,
        body=lambda a: {"text": "Vu."},
    ),
    Route(
        "amendment",
        "POST",
        "/incidents/{incident}/amendments",
        an_incident,
        body=lambda a: {"changes": {"category": "threat"}, "reason": "Erreur."},
    ),
    Route(
        "follow-up",
        "POST",
        "/incidents/{incident}/follow-ups",
        an_incident,
        body=lambda a: {"kind": "complaint", "due_on": "2099-01-01"},
    ),
    Route(
        "completion",
        "POST",
        "/incidents/{incident}/follow-ups/{follow_up}/completion",
        a_follow_up,
        body=lambda a: {"note": "Fait."},
    ),
    Route(
        "cancellation",
        "POST",
        "/incidents/{incident}/follow-ups/{follow_up}/cancellation",
        a_follow_up,
        body=lambda a: {"reason": "Inutile."},
    ),
    Route(
        "severity",
        "POST",
        "/incidents/{incident}/severity",
        an_incident,
        body=lambda a: {"severity": 3, "reason": "Menace."},
    ),
    Route(
        "closure",
        "POST",
        "/incidents/{incident}/closure",
        an_incident,
        body=lambda a: {"resolution": "resolved_on_site"},
    ),
    Route(
        "reopening",
        "POST",
        "/incidents/{incident}/reopening",
        a_closed_incident,
        body=lambda a: {"reason": "Plainte."},
    ),
    Route(
        "erasure",
        "POST",
        "/incidents/{incident}/erasure",
        an_incident,
        body=lambda a: {"reason": "Demande RGPD."},
    ),
    Route("office summary", "GET", "/offices/{office}/summary"),
    Route("opening hours", "GET", "/offices/{office}/opening-hours"),
    Route("presence impact", "GET", "/offices/{office}/presence-impact"),
    Route(
        "set opening hours", "PUT", "/offices/{office}/opening-hours", body=new_hours
    ),
    Route("list shifts", "GET", "/shifts", query=lambda a: {"office": a["office"]}),
    Route(
        "export shifts", "GET", "/shifts.csv", query=lambda a: {"office": a["office"]}
    ),
    Route("plan shift", "POST", "/shifts", a_rota_mediator, body=shift_body),
    Route("import shifts", "POST", "/shifts/import", a_rota_mediator, csv=rota_csv),
    Route(
        "change shift",
        "POST",
        "/shifts/{shift}/change",
        a_shift,
        body=lambda a: {"end": "12:00", "reason": "Plus tôt."},
    ),
    Route(
        "cancel shift",
        "POST",
        "/shifts/{shift}/cancellation",
        a_shift,
        body=lambda a: {"reason": "Malade."},
    ),
    Route("office timeline", "GET", "/offices/{office}/timeline"),
    Route(
        "follow-up board", "GET", "/follow-ups", query=lambda a: {"office": a["office"]}
    ),
    Route(
        "incidents csv",
        "GET",
        "/incidents.csv",
        query=lambda a: {"office": a["office"]},
    ),
    Route(
        "incidents xlsx",
        "GET",
        "/incidents.xlsx",
        query=lambda a: {"office": a["office"]},
    ),
    Route("summary csv", "GET", "/offices/{office}/summary.csv"),
    Route("summary xlsx", "GET", "/offices/{office}/summary.xlsx"),
    Route("report pdf", "GET", "/offices/{office}/report.pdf"),
    Route("audit events", "GET", "/audit/events"),
    Route("audit downloads", "GET", "/audit/downloads"),
    Route("audit disclosures", "GET", "/audit/disclosures"),
    Route("audit checkpoints", "GET", "/audit/checkpoints"),
    Route("audit verify", "GET", "/audit/verify"),
    Route("audit export", "GET", "/audit/export"),
    Route(
        "register user",
        "POST",
        "/admin/users",
        body=lambda a: {
            "name": f"new-{uuid4().hex[:8]}",
            "role": "mediator",
            "offices": [a["office"]],
        },
    ),
    Route("list users", "GET", "/admin/users"),
    Route(
        "issue token",
        "POST",
        "/admin/users/{user}/tokens",
        a_person,
        body=lambda a: {"label": "téléphone"},
    ),
    Route(
        "revoke token",
        "POST",
        "/admin/users/{user}/tokens/{token}/revocation",
        a_token,
        body=lambda a: {"reason": "Perdu."},
    ),
    Route(
        "change user",
        "PATCH",
        "/admin/users/{user}",
        a_person,
        body=lambda a: {"email": f"{a['user']}@example.fr"},
    ),
    Route("get preferences", "GET", "/me/notification-preferences"),
    Route("unsent notifications", "GET", "/admin/notifications"),
    Route("bell", "GET", "/notifications"),
    Route(
        "read notification",
        "POST",
        "/notifications/{notification}/read",
        a_notification,
    ),
    Route(
        "put preferences",
        "PUT",
        "/me/notification-preferences",
        body=lambda a: {"digest": "weekly"},
    ),
    Route(
        "deactivate user",
        "POST",
        "/admin/users/{user}/deactivation",
        a_person,
        body=lambda a: {"reason": "Départ."},
    ),
]

READ = ((200, 404), (200, 404), (200, 200), (200, 200))
RECORD = ((200, 404), (200, 404), (403, 403), (403, 403))
FILTER = ((200, 422), (200, 422), (200, 200), (200, 200))
ADMIN_ONLY = ((403, 403), (403, 403), (403, 403), (200, 200))
PLAN = ((403, 403), (201, 422), (403, 403), (201, 201))
CHANGE_SHIFT = ((403, 403), (200, 404), (403, 403), (200, 200))

# For each route: (inside, outside) for mediator, officer, auditor, admin.
EXPECTED: dict[str, tuple[tuple[int, int], ...]] = {
    "list offices": ((200, 200),) * 4,
    "report": ((201, 422), (201, 422), (403, 403), (403, 403)),
    "list incidents": FILTER,
    "get incident": READ,
    "get incident as of": READ,
    "incident timeline": READ,
    "de-escalation": RECORD,
    "escalation": RECORD,
    "note": RECORD,
    "amendment": RECORD,
    "follow-up": RECORD,
    "completion": RECORD,
    "cancellation": RECORD,
    "severity": RECORD,
    "closure": ((403, 403), (200, 404), (403, 403), (403, 403)),
    "reopening": ((403, 403), (200, 404), (403, 403), (403, 403)),
    "erasure": ADMIN_ONLY,
    "office summary": READ,
    "office timeline": READ,
    "opening hours": READ,
    "presence impact": READ,
    "set opening hours": ADMIN_ONLY,
    "list shifts": FILTER,
    "export shifts": FILTER,
    "plan shift": PLAN,
    "import shifts": PLAN,
    "change shift": CHANGE_SHIFT,
    "cancel shift": CHANGE_SHIFT,
    "follow-up board": FILTER,
    "incidents csv": FILTER,
    "incidents xlsx": FILTER,
    "summary csv": READ,
    "summary xlsx": READ,
    "report pdf": READ,
    "audit events": ((403, 403), (403, 403), (200, 200), (403, 403)),
    "audit downloads": ((403, 403), (403, 403), (200, 200), (403, 403)),
    "audit disclosures": ((403, 403), (403, 403), (200, 200), (403, 403)),
    "audit checkpoints": ((403, 403), (403, 403), (200, 200), (403, 403)),
    "audit verify": ((403, 403), (403, 403), (200, 200), (403, 403)),
    "audit export": ((403, 403), (403, 403), (200, 200), (403, 403)),
    "register user": ((403, 403), (403, 403), (403, 403), (201, 201)),
    "list users": ADMIN_ONLY,
    "issue token": ((403, 403), (403, 403), (403, 403), (201, 201)),
    "revoke token": ADMIN_ONLY,
    "deactivate user": ADMIN_ONLY,
    "change user": ADMIN_ONLY,
    "get preferences": ((200, 200),) * 4,
    "unsent notifications": ADMIN_ONLY,
    "bell": ((200, 200),) * 4,
    # Only the recipient (here the officer) may mark it read: 404 for others.
    "read notification": ((404, 404), (200, 200), (404, 404), (404, 404)),
    "put preferences": ((200, 200),) * 4,
}

CELLS = [
    pytest.param(route, role, where, id=f"{route.name}-{role}-{where}")
    for route in ROUTES
    for role in ROLES
    for where in ("inside", "outside")
]


@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def matrix_api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Api]:
    """Share one app per store: each cell arranges its own incidents and people."""
    logs: list[IncidentLog] = []
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('matrix') / 'log.sqlite3'}"
        yield from build_api(url, logs)
    else:
        server = request.getfixturevalue("postgres_server")
        with scratch_database(server) as url:
            yield from build_api(url, logs)
            for log in logs:
                log.close()
            logs.clear()
    for log in logs:
        log.close()


def send(api: Api, route: Route, who: str | None, arranged: Arranged) -> Any:
    path = route.path.format(**arranged)
    kwargs: dict[str, Any] = {}
    if route.query is not None:
        kwargs["query_string"] = route.query(arranged)
    if route.method == "GET":
        return api.get(path, who, **kwargs)
    if route.csv is not None:
        return api.post(
            path,
            None,
            who,
            data=route.csv(arranged).encode("utf-8"),
            headers={"Content-Type": "text/csv"},
        )
    body = route.body(arranged) if route.body else {}
    if route.method in {"PUT", "PATCH"}:
        return api.client.open(
            PREFIX + path,
            method=route.method,
            json=body,
            headers=api.headers(who, None),
            **kwargs,
        )
    return api.post(path, body, who, **kwargs)


@pytest.mark.parametrize(("route", "role", "where"), CELLS)
def test_every_route_answers_every_role_as_the_contract_says(
    matrix_api: Api, route: Route, role: str, where: str
):
    office = OFFICE if where == "inside" else OTHER_OFFICE
    inside, outside = EXPECTED[route.name][ROLES.index(role)]
    expected = inside if where == "inside" else outside
    arranged = route.arrange(matrix_api, office)
    head = matrix_api.head()

    response = send(matrix_api, route, role, arranged)

    if expected >= 400:
        assert_error(response, expected)
        assert matrix_api.head() == head, "a refused request wrote to the log"
    else:
        assert response.status_code == expected, response.get_json()
        # A read may only record that it showed a contact (the disclosure log)
        # or that a file was downloaded (the download log).
        written = {
            event["type"]
            for event in matrix_api.log.iter_history(start=head + 1)
            if event["type"] not in {"ContactDisclosed", "ReportDownloaded"}
        }
        if route.method == "GET":
            assert not written, "only writes write"
        elif route.method == "POST":
            # A PUT or PATCH of what is already set may write nothing.
            assert written, "a write wrote nothing"


@pytest.mark.parametrize("route", ROUTES, ids=[route.name for route in ROUTES])
def test_every_route_refuses_an_anonymous_caller(matrix_api: Api, route: Route):
    arranged = route.arrange(matrix_api, OFFICE)
    head = matrix_api.head()

    response = send(matrix_api, route, None, arranged)

    assert_error(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert matrix_api.head() == head


def test_the_matrix_covers_every_route_of_the_api(matrix_api: Api):
    def shape(path: str) -> str:
        return re.sub(r"<[^>]+>|\{[^}]+\}", "{}", path)

    served = {
        (method, shape(rule.rule))
        for rule in matrix_api.app.url_map.iter_rules()
        if rule.rule.startswith(PREFIX)
        for method in rule.methods or ()
        if method not in {"HEAD", "OPTIONS"}
    }
    tested = {(route.method, shape(PREFIX + route.path)) for route in ROUTES}

    assert served == tested
    assert set(EXPECTED) == {route.name for route in ROUTES}
