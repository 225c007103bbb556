"""The auditor's pages: the audit trail, verification, export and disclosures."""

from __future__ import annotations

import html
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from incidents.evidence.bundle_verifier import verify_bundle
from tests.evidence.conftest import Tamper
from tests.pages.conftest import Site

PARIS = ZoneInfo("Europe/Paris")
CONTACT = {"name": "Jeanne Martin", "phone": "06 12 34 56 78"}
AUDIT_PAGES = [
    "/audit",
    "/audit/verification",
    "/audit/export",
    "/audit/consultations",
]


def text_of(answer: Any) -> str:
    """Return a page's text, with its HTML entities read as characters."""
    return html.unescape(answer.get_data(as_text=True))


def rows_of(page: str) -> list[str]:
    """Return the body rows of the page's first table, as HTML."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr>(.*?)</tr>", body, flags=re.DOTALL)


def position_of(row: str) -> int:
    found = re.search(r'<th scope="row">(\d+)</th>', row)
    assert found is not None, row
    return int(found.group(1))


def sealed(site: Site) -> None:
    """Wait for the read models (every write sealed its events as it stored them)."""
    site.wait_for_read_models()


# The trail.


def test_the_trail_shows_each_event_of_the_log_with_its_position(site: Site):
    incident_id = site.report_in_log()
    site.log.add_note(incident_id, actor="officer", text="Rappel au responsable.")
    sealed(site)
    events = site.app.extensions["read_models"].audit_events(limit=1000)["items"]

    page = site.get("/audit", "auditor")

    assert page.status_code == 200
    text = text_of(page)
    rows = rows_of(text)
    assert [position_of(row) for row in rows] == [event["position"] for event in events]
    reported, noted = rows[-2], rows[-1]
    assert "Signalé" in reported
    assert ">mediator<" in reported
    assert "Note" in noted
    assert ">officer<" in noted
    assert str(incident_id)[:8] in noted
    # The recorded time, in Paris.
    recorded = datetime.fromisoformat(events[-1]["recorded_at"]).astimezone(PARIS)
    assert recorded.strftime("%d/%m/%Y %H:%M:%S") in noted
    # The chain value at that position: shortened, and whole.
    chain = site.app.extensions["evidence"].ledger.row_at(events[-1]["position"])
    assert f"<code>{chain.chain.hex()[:12]}…</code>" in noted
    assert chain.chain.hex() in noted
    # Events of people are on the trail too, with their own labels.
    assert "Personne enregistrée" in text


def test_the_trail_shows_each_events_hash_short_with_the_whole_at_hand(site: Site):
    site.report_in_log()
    sealed(site)
    ledger = site.app.extensions["evidence"].ledger

    text = text_of(site.get("/audit", "auditor"))

    rows = rows_of(text)
    assert rows
    for row in rows:
        leaf = ledger.row_at(position_of(row)).leaf.hex()
        # Twelve digits shown, the whole hash in the title and selectable.
        assert f'<code title="{leaf}">{leaf[:12]}…</code>' in row
        assert f'<code class="full-hash">{leaf}</code>' in row
    assert "Empreinte" in text
    assert "Valeur de chaîne" in text


def test_the_trail_starts_at_a_chosen_position_and_pages_on(site: Site):
    while (site.log.recorder.max_notification_id() or 0) <= 60:
        site.report_in_log()
    head = site.log.recorder.max_notification_id()

    page = text_of(site.get(f"/audit?depuis={head - 1}", "auditor"))

    assert [position_of(row) for row in rows_of(page)] == [head - 1, head]
    assert f'href="/audit?depuis={head - 51}" rel="prev"' in page
    assert 'rel="next"' not in page
    first = text_of(site.get("/audit", "auditor"))
    assert [position_of(row) for row in rows_of(first)] == list(range(1, 51))
    assert 'href="/audit?depuis=51" rel="next"' in first
    assert 'rel="prev"' not in first
    assert f'href="/audit?depuis={head - 49}">' in first  # The newest events.


def test_the_trail_refuses_a_position_that_is_no_number(site: Site):
    page = site.get("/audit?depuis=-3", "auditor")

    assert page.status_code == 422
    assert "Donnez une position à partir de 1." in text_of(page)


def test_the_trail_filter_answers_htmx_with_the_region_only(site: Site):
    site.report_in_log()

    page = site.get("/audit?depuis=1", "auditor", headers={"HX-Request": "true"})

    text = text_of(page)
    assert page.status_code == 200
    assert text.lstrip().startswith('<section id="journal"')
    assert "<html" not in text


@pytest.mark.parametrize("path", ["/audit?depuis=1", "/audit/consultations"])
def test_a_history_restore_gets_the_whole_audit_page(site: Site, path: str):
    # htmx asks again for a page it did not keep (back button) as a region
    # request, marked as a restore: it swaps the answer for the whole body.
    site.report_in_log()

    restored = site.get(
        path,
        "auditor",
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )

    assert restored.status_code == 200
    assert "<html" in text_of(restored)


@pytest.mark.parametrize("path", ["/audit", "/audit/consultations"])
def test_htmx_keeps_no_copy_of_the_audit_pages_in_the_browser(site: Site, path: str):
    page = site.get(path, "auditor", headers={"HX-Request": "true"})

    assert 'hx-history="false"' in text_of(page)


# Verification.


def test_verification_reports_an_intact_history(site: Site):
    site.report_in_log(contact=CONTACT)
    sealed(site)
    head = site.log.recorder.max_notification_id()

    page = site.post("/audit/verification", who="auditor")

    text = text_of(page)
    assert page.status_code == 200
    assert "Historique intact" in text
    assert f'<dd data-testid="checked">{head}</dd>' in text
    assert site.app.extensions["evidence"].ledger.head().chain.hex() in text


def test_verification_names_the_first_bad_position_after_tampering(
    site: Site, sqlite_url: str
):
    site.report_in_log()
    bad = site.log.recorder.max_notification_id()
    site.report_in_log()
    sealed(site)
    Tamper(site.log, sqlite_url).change_byte(bad)

    page = site.post("/audit/verification", who="auditor")

    text = text_of(page)
    assert page.status_code == 200
    assert "Historique altéré" in text
    assert f'<dd data-testid="first-bad-position">{bad}</dd>' in text
    assert "un événement a été modifié après son scellement" in text
    assert "<code>changed</code>" in text


def test_verification_answers_htmx_with_the_result_only(site: Site):
    sealed(site)

    page = site.post(
        "/audit/verification", who="auditor", headers={"HX-Request": "true"}
    )

    text = text_of(page)
    assert text.lstrip().startswith('<section id="resultat"')
    assert "Historique intact" in text


def test_the_verification_page_only_explains_until_asked(site: Site):
    page = text_of(site.get("/audit/verification", "auditor"))

    assert "Ce que la vérification prouve" in page
    assert "Vérifier l'historique maintenant" in page
    assert "Historique intact" not in page


# Export.


def test_the_export_downloads_a_bundle_the_offline_verifier_accepts(
    site: Site, tmp_path
):
    site.report_in_log(contact=CONTACT)
    site.wait_for_read_models()
    evidence = site.app.extensions["evidence"]
    page = text_of(site.get("/audit/export", "auditor"))
    assert evidence.signer.key_id in page
    assert "incidents verify-bundle" in page

    answer = site.post("/audit/export", who="auditor")

    assert answer.status_code == 200
    assert answer.mimetype == "application/zip"
    assert "attachment" in answer.headers["Content-Disposition"]
    bundle = tmp_path / "evidence.zip"
    bundle.write_bytes(answer.get_data())
    answer.close()  # As a WSGI server does: the temporary file goes with it.
    report = verify_bundle(bundle, key_id=evidence.signer.key_id)
    assert report.ok, report.problems
    assert report.events == site.log.recorder.max_notification_id()
    # Contacts are in the bundle only as ciphertext: nobody was shown one.
    assert b"Jeanne Martin" not in bundle.read_bytes()
    assert site.log.list_disclosures() == []


# Disclosures.


def test_disclosures_list_who_was_shown_a_contact(site: Site):
    incident_id = site.report_in_log(contact=CONTACT)
    other_id = site.report_in_log()
    token = site.log.issue_token("officer", actor="admin").token
    shown = site.app.test_client().get(
        f"/api/v1/incidents/{incident_id}",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert shown.get_json()["contact"]["name"] == "Jeanne Martin"

    page = text_of(site.get("/audit/consultations", "auditor"))

    [row] = rows_of(page)
    assert ">officer<" in row
    assert "API (jeton)" in row
    assert str(incident_id) in row
    assert "Jeanne" not in page
    filtered = site.get(f"/audit/consultations?incident={other_id}", "auditor")
    assert "Aucune consultation enregistrée." in text_of(filtered)


def test_disclosures_refuse_an_incident_id_that_is_no_uuid(site: Site):
    page = site.get("/audit/consultations?incident=12", "auditor")

    assert page.status_code == 422
    assert "Donnez l'identifiant complet d'un incident (UUID)." in text_of(page)


# Who may open them.


@pytest.mark.parametrize("who", ["mediator", "officer", "admin"])
@pytest.mark.parametrize("path", AUDIT_PAGES)
def test_only_auditors_open_the_audit_pages(site: Site, who: str, path: str):
    assert site.get(path, who).status_code == 403


@pytest.mark.parametrize("path", AUDIT_PAGES)
def test_the_audit_pages_send_strangers_to_sign_in(site: Site, path: str):
    answer = site.get(path, None)

    assert answer.status_code == 302
    assert "/connexion" in answer.headers["Location"]


@pytest.mark.parametrize("path", ["/audit/verification", "/audit/export"])
def test_a_post_without_its_csrf_token_is_refused(site: Site, path: str):
    assert site.client("auditor").post(path, data={}).status_code == 400


def test_the_auditor_navigation_names_every_audit_page(site: Site):
    page = text_of(site.get("/audit/export", "auditor"))

    for path in AUDIT_PAGES:
        assert f'href="{path}"' in page
    assert 'href="/audit/export" aria-current="page"' in page
