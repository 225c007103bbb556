"""Erase a visitor's contact details once, and only when some were recorded."""

from __future__ import annotations

import pytest

from incidents.domain import Incident
from incidents.errors import InvalidInputError, NothingToEraseError


def test_erases_the_contact_saying_why(incident):
    assert incident.contact == {"name": None, "phone": "06 12 34 56 78", "email": None}

    incident.erase_personal_data(actor="admin", reason="Demande de l'usager.")

    (event,) = incident.collect_events()
    assert isinstance(event, Incident.PersonalDataErased)
    assert (event.reason, event.actor) == ("Demande de l'usager.", "admin")
    assert incident.contact is None
    assert incident.contact_erased is True
    assert incident.to_dict()["contact"] is None


def test_erasure_keeps_everything_but_the_contact(incident):
    before = incident.to_dict()

    incident.erase_personal_data(actor="admin", reason="RGPD.")

    after = incident.to_dict()
    kept = set(before) - {"contact", "contact_erased", "version", "modified_at"}
    assert {name: after[name] for name in kept} == {name: before[name] for name in kept}


def test_refuses_to_erase_personal_data_twice(incident):
    incident.erase_personal_data(actor="admin", reason="RGPD.")
    incident.collect_events()

    with pytest.raises(NothingToEraseError) as raised:
        incident.erase_personal_data(actor="admin", reason="Encore.")

    assert "has no personal data to erase: it was already erased" in str(raised.value)
    assert incident.collect_events() == []


def test_refuses_to_erase_personal_data_when_none_was_recorded(report):
    incident = report(contact=None)

    with pytest.raises(NothingToEraseError) as raised:
        incident.erase_personal_data(actor="admin", reason="RGPD.")

    assert f"Incident {incident.id} has no personal data to erase" in str(raised.value)
    assert "no contact was recorded" in str(raised.value)
    assert incident.contact_erased is False
    assert incident.collect_events() == []


def test_refuses_an_erasure_without_a_reason(incident):
    with pytest.raises(InvalidInputError, match="reason: This text is required"):
        incident.erase_personal_data(actor="admin", reason="")

    assert incident.contact is not None
    assert incident.collect_events() == []


def test_the_erasure_is_kept_when_the_incident_is_rebuilt(log, reported):
    incident_id = reported()

    log.erase_personal_data(incident_id, actor="admin", reason="RGPD.")

    rebuilt = log.get_incident(incident_id)
    assert (rebuilt["contact"], rebuilt["contact_erased"]) == (None, True)
    with pytest.raises(NothingToEraseError, match="already erased"):
        log.erase_personal_data(incident_id, actor="admin", reason="Encore.")
