"""No log line ever holds a narrative or a contact, whatever happens.

The same scenario runs twice: once read from the records themselves, once as the
JSON lines the service writes (web/logs.py), which must also carry a request id
on every line written while serving a request, one access line per request, and
each error once, with its cause.
"""

from __future__ import annotations

import io
import json
import logging
import re
from typing import Any

import pytest
import structlog
from eventsourcing.persistence import OperationalError

from tests.api.conftest import OFFICE, Api, report_body
from web.logs import configure_logging

SUMMARY = "Usager très agité, refus de faire la queue au guichet quatre."
NOTE = "Revenu le lendemain avec sa fille, calme."
NAME = "Madame Ottilie Brassac"
PHONE = "06 39 98 77 66"
EMAIL = "ottilie.brassac@example.org"
SECRETS = (SUMMARY, NOTE, NAME, PHONE, EMAIL)
OFFERED_ID = "phone-42.retry_1"
UNSAFE_ID = "x" * 65  # Too long to be kept: a fresh id replaces it.


def play(api: Api, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Run a scenario full of personal data and faults; return ids and statuses."""
    contact = {"name": NAME, "phone": PHONE, "email": EMAIL}
    incident = api.report(summary=SUMMARY, contact=contact)
    path = f"/incidents/{incident['id']}"
    answered = [
        api.post(f"{path}/notes", {"text": NOTE}, headers={"X-Request-ID": OFFERED_ID}),
        api.post(f"{path}/notes", {"text": NOTE}, headers={"If-Match": '"1"'}),  # 412
        api.post(f"{path}/notes", {"text": NOTE + "\x00"}),  # 422
        api.post("/incidents", report_body(summary=SUMMARY, office="nowhere")),  # 422
        api.get(path, "officer", headers={"X-Request-ID": UNSAFE_ID}),
        api.get(f"/offices/{OFFICE}/timeline", "officer", query_string={"from": NAME}),
        api.post(f"{path}/erasure", {"reason": f"Demande de {NAME}."}, "admin"),
    ]
    # The store refuses a write: 503, logged once with its cause.
    monkeypatch.setattr(
        api.log.recorder,
        "insert_events",
        lambda *args, **kwargs: (_ for _ in ()).throw(OperationalError("disk full")),
    )
    refused = api.post(f"{path}/notes", {"text": NOTE})
    assert refused.status_code == 503
    answered.append(refused)
    # A fault is logged, with its cause.
    monkeypatch.setattr(
        api.log.recorder,
        "max_notification_id",
        lambda: (_ for _ in ()).throw(OSError("disk gone")),
    )
    answered.append(api.client.get("/readyz"))
    return [(r.headers["X-Request-ID"], r.status_code) for r in answered]


def test_a_full_scenario_logs_no_narrative_and_no_contact(
    api: Api, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
):
    caplog.set_level(logging.DEBUG)
    play(api, monkeypatch)

    logged = "\n".join(
        record.getMessage() + (record.exc_text or "") for record in caplog.records
    )
    assert caplog.records, "the scenario logged nothing: the test would prove nothing"
    assert "disk gone" in logged
    assert "disk full" in logged
    assert [secret for secret in SECRETS if secret in logged] == []


@pytest.fixture
def json_lines() -> Any:
    """Collect what the service writes as JSON lines, then undo the setup."""
    root = logging.getLogger()
    level = root.level
    stream = io.StringIO()
    handler = configure_logging("DEBUG", stream=stream)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)
    structlog.reset_defaults()


def test_json_lines_carry_request_ids_and_no_narrative_or_contact(
    api: Api, json_lines: io.StringIO, monkeypatch: pytest.MonkeyPatch
):
    answered = play(api, monkeypatch)
    ids = [rid for rid, _ in answered]

    text = json_lines.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines, "nothing was written: the test would prove nothing"
    assert [secret for secret in SECRETS if secret in text] == []
    assert [secret for secret in SECRETS if json.dumps(secret) in text] == []
    for line in lines:
        assert {"timestamp", "level", "logger", "event"} <= set(line), line
    access = [line for line in lines if line["logger"] == "web.access"]
    # One access line per request, each with its own id, echoed to the client.
    assert [line["request_id"] for line in access][-len(ids) :] == ids
    assert len({line["request_id"] for line in access}) == len(access)
    assert ids[0] == OFFERED_ID
    assert re.fullmatch(r"[0-9a-f]{32}", ids[4])  # The unsafe one was replaced.
    assert UNSAFE_ID not in text
    for line in access:
        assert line["event"] == "request"
        assert {"method", "route", "path", "status", "duration_ms"} <= set(line)
        assert "?" not in line["path"]
        assert isinstance(line["duration_ms"], float)
    assert [line["status"] for line in access][-len(ids) :] == [
        status for _, status in answered
    ]
    # Every line written while serving a request names it.
    in_requests = [line for line in lines if line.get("request_id")]
    assert {line["request_id"] for line in in_requests} <= {
        line["request_id"] for line in access
    }
    # The refused write is logged once, with its cause, in its request.
    errors = [line for line in lines if line["level"] == "error"]
    refused = [line for line in errors if line.get("request_id") == ids[-2]]
    assert len(refused) == 1, errors
    chain = {part["exc_type"] for part in refused[0]["exception"]}
    assert chain == {"OperationalError", "StorageUnavailableError"}
    assert all(
        "locals" not in frame
        for part in refused[0]["exception"]
        for frame in part["frames"]
    )
    assert "disk gone" in text
