"""Whatever a client sends, the API answers JSON and never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidents.application import IncidentLog
from tests.api.conftest import Api, build_api, report_body

FIELDS = [
    "id",
    "office",
    "occurred_at",
    "category",
    "severity",
    "target",
    "trigger",
    "summary",
    "parties",
    "contact",
    "changes",
    "reason",
    "text",
    "techniques",
    "outcome",
    "due_on",
    "kind",
    "name",
    "role",
    "offices",
]
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
    | st.sampled_from(
        ["2026-03-02T09:00:00", "2026-03-02T09:00:00+01:00", "2026-03-02", "9999-12-31"]
    )
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(FIELDS) | st.text(max_size=5), inner, max_size=3
        )
    ),
    max_leaves=10,
)
bodies = st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6) | json_values


@pytest.fixture(scope="module")
def fuzzed_api() -> Iterator[Api]:
    logs: list[IncidentLog] = []
    yield from build_api("memory://", logs)
    for log in logs:
        log.close()


@pytest.fixture(scope="module")
def incident(fuzzed_api: Api) -> dict[str, Any]:
    return fuzzed_api.report(**report_body())


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    body=bodies,
    route=st.sampled_from(
        [
            "/incidents",
            "/incidents/{id}/notes",
            "/incidents/{id}/amendments",
            "/incidents/{id}/de-escalations",
            "/incidents/{id}/follow-ups",
            "/incidents/{id}/severity",
            "/admin/users",
        ]
    ),
)
def test_any_body_gets_a_json_answer_below_500(
    fuzzed_api: Api, incident: dict[str, Any], body: Any, route: str
):
    who = "admin" if route.startswith("/admin") else "officer"

    response = fuzzed_api.post(route.format(id=incident["id"]), body, who)

    assert response.status_code < 500, response.get_data(as_text=True)
    assert response.mimetype == "application/json"


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    query=st.dictionaries(
        st.sampled_from(
            ["office", "status", "severity", "from", "to", "page", "as_of"]
        ),
        st.text(max_size=12) | st.integers().map(str),
        max_size=4,
    ),
    route=st.sampled_from(
        ["/incidents", "/incidents/{id}", "/offices/{office}/summary", "/follow-ups"]
    ),
)
def test_any_query_gets_a_json_answer_below_500(
    fuzzed_api: Api, incident: dict[str, Any], query: dict[str, str], route: str
):
    path = route.format(id=incident["id"], office=incident["office"])

    response = fuzzed_api.get(path, "officer", query_string=query)

    assert response.status_code < 500, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
