"""A visitor's contact is stored only as ciphertext, and erasure makes it unreadable.

The raw bytes of the store (the SQLite file and its write-ahead log, or every
PostgreSQL table) are searched for the contact's name and phone number.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import psycopg
import pytest

from incidents.application import IncidentLog
from incidents.errors import NothingToEraseError
from projections.projector import Projector
from projections.queries import ReadModels
from tests.conftest import OpenLog

NAME = "Zéphyrine Quatrebarbes"
PHONE = "06 39 98 12 34"
EMAIL = "zephyrine@example.org"


def report_with_contact(log: IncidentLog) -> UUID:
    result = log.report_incident(
        actor="mediatrice",
        office="nanterre-centre",
        occurred_at=datetime.now(UTC) - timedelta(hours=1),
        category="service_refused",
        severity=1,
        target="staff",
        summary="Colis introuvable, usager à rappeler.",
        contact={"name": NAME, "phone": PHONE, "email": EMAIL},
    )
    incident_id: UUID = result.incident["id"]
    return incident_id


def raw_bytes(database_url: str) -> bytes:
    """Return every byte the store holds: the SQLite files, or all PG rows."""
    if database_url.startswith("sqlite:///"):
        path = Path(database_url.removeprefix("sqlite:///"))
        return b"".join(
            candidate.read_bytes()
            for candidate in path.parent.iterdir()
            if candidate.name.startswith(path.name)
        )
    with psycopg.connect(database_url, autocommit=True) as connection:
        tables = connection.execute(
            "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) "
            "FROM pg_tables "
            "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        ).fetchall()
        values = [
            value
            for (table,) in tables
            for row in connection.execute(f"SELECT * FROM {table}").fetchall()  # noqa: S608
            for value in row
        ]
    return b"\n".join(
        bytes(value)
        if isinstance(value, (bytes, memoryview))
        else str(value).encode("utf-8")
        for value in values
    )


def secrets_in(data: bytes) -> list[str]:
    return [
        secret
        for secret in (NAME, PHONE, EMAIL)
        if secret.encode("utf-8") in data or secret.encode("unicode_escape") in data
    ]


def test_the_contact_is_stored_only_encrypted(
    durable_database_url: str, make_log: OpenLog
):
    log = make_log(durable_database_url)
    incident_id = report_with_contact(log)
    Projector(log).catch_up()

    assert log.get_incident(incident_id)["contact"] == {
        "name": NAME,
        "phone": PHONE,
        "email": EMAIL,
    }
    raw = raw_bytes(durable_database_url)
    assert b"Colis introuvable" in raw  # the search does see the events
    assert secrets_in(raw) == []


def test_erasure_destroys_the_key_and_every_reading_of_the_contact(
    durable_database_url: str, make_log: OpenLog
):
    log = make_log(durable_database_url)
    incident_id = report_with_contact(log)
    projector = Projector(log)
    projector.catch_up()
    read_models = ReadModels(projector)
    summary_before = read_models.office_summary("nanterre-centre")
    key = log.contact_keys.get(incident_id)
    assert key is not None

    log.erase_personal_data(incident_id, actor="admin", reason="Demande de l'usager.")
    projector.catch_up()

    assert log.contact_keys.get(incident_id) is None
    assert key not in raw_bytes(durable_database_url)
    reopened = make_log(durable_database_url)
    for version in range(1, reopened.get_incident(incident_id)["version"] + 1):
        assert reopened.get_incident(incident_id, version=version)["contact"] is None
    history = reopened.get_incident_history(incident_id)
    assert history[0]["type"] == "Reported"
    assert history[0]["data"]["contact"] == {"erased": True}
    assert history[-1]["type"] == "PersonalDataErased"
    assert read_models.office_summary("nanterre-centre") == summary_before
    timeline = read_models.incident_timeline(incident_id)
    assert timeline[0]["data"]["contact"] == {"recorded": True}
    assert secrets_in(raw_bytes(durable_database_url)) == []


def test_an_interrupted_erasure_is_completed_by_asking_again(
    make_log: OpenLog, sqlite_url: str
):
    log = make_log(sqlite_url)
    incident_id = report_with_contact(log)
    # The erasure was recorded, but the process died before the key was destroyed.
    log._change(
        incident_id,
        lambda incident: incident.erase_personal_data(actor="admin", reason="Demande."),
        None,
    )
    assert log.contact_keys.get(incident_id) is not None

    log.erase_personal_data(incident_id, actor="admin", reason="Demande.")

    assert log.contact_keys.get(incident_id) is None
    with pytest.raises(NothingToEraseError, match="already erased"):
        log.erase_personal_data(incident_id, actor="admin", reason="Encore.")
