"""An auditor's journey on a desktop: an incident and an office as known before."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from projections.handlers import PARIS
from tests.browser.conftest import DESKTOP, LiveSite
from tests.pages.conftest import OFFICE


def next_whole_second() -> datetime:
    """Wait for the next whole second and return it: the form gives no fractions."""
    moment = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
    while datetime.now(UTC) <= moment:
        time.sleep(0.05)
    return moment


def test_an_auditor_reads_an_incident_and_an_office_as_known_on_a_past_date(
    live_site: LiveSite,
):
    log = live_site.log
    reported = log.report_incident(
        actor="mediator",
        office=OFFICE,
        occurred_at=datetime.now(UTC) - timedelta(hours=2),
        category="theft",
        severity=1,
        target="staff",
        summary="Sac arraché au guichet.",
    )
    incident_id = reported.incident["id"]
    known_then = next_whole_second()
    log.amend_incident(
        incident_id,
        actor="officer",
        changes={"category": "threat"},
        reason="Il s'agissait de menaces, rien n'a été pris.",
    )
    live_site.wait_for_read_models()
    local = known_then.astimezone(PARIS)
    page = live_site.open("auditor", viewport=DESKTOP)

    page.goto(f"/incidents/{incident_id}")
    expect(page.locator("#fact-category")).to_have_text("Menace, intimidation")
    expect(page.get_by_role("button", name="Clore l'incident")).to_have_count(0)
    page.get_by_text("Voir l'incident tel que connu à une date passée").click()
    page.get_by_label("Tel que connu le").fill(local.date().isoformat())
    page.get_by_label("à (heure de Paris)").fill(local.strftime("%H:%M:%S"))
    page.get_by_role("button", name="Afficher").click()

    page.wait_for_url(re.compile(r"as_of_date="))
    expect(page.locator("#fact-category")).to_have_text("Vol ou tentative")
    expect(page.locator(".as-of-note")).to_contain_text("Tel que connu le")
    expect(page.locator("#incident-timeline")).not_to_contain_text("Rectifié")
    live_site.screenshot(page, "auditor-as-of")

    page.goto(f"/tableau-de-bord?office={OFFICE}")
    weekly = page.locator(".chart-wide table")
    expect(weekly).to_contain_text("Menace, intimidation : 1")
    page.get_by_label("Tel que connu le").fill(local.date().isoformat())
    page.get_by_label("à (heure de Paris)").fill(local.strftime("%H:%M:%S"))
    page.get_by_role("button", name="Afficher").click()

    expect(page).to_have_url(re.compile(r"as_of_date="))
    expect(weekly).to_contain_text("Vol ou tentative : 1")
    expect(weekly).not_to_contain_text("Menace, intimidation")
    expect(page.locator("#tableau")).to_contain_text("Tel que connu le")
