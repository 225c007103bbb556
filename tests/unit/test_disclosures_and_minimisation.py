"""Who was shown a contact is recorded; contact details in free text are spotted."""

from __future__ import annotations

import pytest

from incidents.application import IncidentLog
from incidents.personal_data import contact_details_in


def test_disclosures_are_listed_in_order_and_by_incident(log: IncidentLog, reported):
    first, second = reported(), reported()

    log.record_disclosure(first, viewer="responsable", channel="api")
    log.record_disclosure(second, viewer="mediatrice", channel="page")
    log.record_disclosure(first, viewer="responsable", channel="export")

    every = log.list_disclosures()
    assert [(d["incident_id"], d["viewer"], d["channel"]) for d in every] == [
        (first, "responsable", "api"),
        (second, "mediatrice", "page"),
        (first, "responsable", "export"),
    ]
    assert [d["number"] for d in every] == [1, 2, 3]
    assert [d["channel"] for d in log.list_disclosures(incident_id=first)] == [
        "api",
        "export",
    ]
    assert [d["number"] for d in log.list_disclosures(after=1, limit=1)] == [2]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Usager à rappeler au 06 12 34 56 78 demain.", ["phone"]),
        ("Rappeler le +33 6 12 34 56 78.", ["phone"]),
        ("Numéro: 01.45.67.89.10", ["phone"]),
        ("Écrire à jean.dupont@example.fr pour le suivi.", ["email"]),
        ("Tel 0612345678, mail a@b.fr", ["phone", "email"]),
        ("Attente de 45 minutes au guichet 3, ticket 1234.", []),
        ("Colis 6A12345678901 introuvable.", []),
        ("", []),
        (None, []),
    ],
)
def test_contact_details_in_free_text_are_spotted(text, found):
    assert contact_details_in(text) == found
