"""No log line ever holds a narrative or a contact, whatever happens."""

from __future__ import annotations

import logging

import pytest

from tests.api.conftest import OFFICE, Api, report_body

SUMMARY = "Usager très agité, refus de faire la queue au guichet quatre."
NOTE = "Revenu le lendemain avec sa fille, calme."
NAME = "Madame Ottilie Brassac"
PHONE = "06 39 98 77 66"
EMAIL = "ottilie.brassac@example.org"
SECRETS = (SUMMARY, NOTE, NAME, PHONE, EMAIL)


def test_a_full_scenario_logs_no_narrative_and_no_contact(
    api: Api, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
):
    caplog.set_level(logging.DEBUG)
    contact = {"name": NAME, "phone": PHONE, "email": EMAIL}
    incident = api.report(summary=SUMMARY, contact=contact)
    path = f"/incidents/{incident['id']}"
    api.post(f"{path}/notes", {"text": NOTE})
    api.post(f"{path}/notes", {"text": NOTE}, headers={"If-Match": '"1"'})  # 412
    api.post(f"{path}/notes", {"text": NOTE + "\x00"})  # 422
    api.post("/incidents", report_body(summary=SUMMARY, office="nowhere"))  # 422
    api.get(path, "officer")
    api.get(f"/offices/{OFFICE}/timeline", "officer")
    api.post(f"{path}/erasure", {"reason": f"Demande de {NAME}."}, "admin")
    # A fault is logged, with its cause.
    monkeypatch.setattr(
        api.log.recorder,
        "max_notification_id",
        lambda: (_ for _ in ()).throw(OSError("disk gone")),
    )
    api.client.get("/readyz")

    logged = "\n".join(
        record.getMessage() + (record.exc_text or "") for record in caplog.records
    )
    assert caplog.records, "the scenario logged nothing: the test would prove nothing"
    assert "disk gone" in logged
    assert [secret for secret in SECRETS if secret in logged] == []
