"""A safety officer's journey on a desktop: the dashboard, an incident, its closing."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID

from playwright.sync_api import Page, expect

from tests.browser.conftest import DESKTOP, LiveSite
from tests.pages.conftest import OFFICE, OTHER_OFFICE

TO_CLOSE = "Usager refusant de quitter le guichet après la fermeture."


def report(live_site: LiveSite, days_ago: int, **overrides: object) -> UUID:
    values: dict[str, object] = {
        "office": OFFICE,
        "occurred_at": datetime.now(UTC) - timedelta(days=days_ago, hours=1),
        "category": "verbal_incivility",
        "severity": 1,
        "target": "mediator",
        "summary": "Usager énervé par l'attente au guichet colis.",
        **overrides,
    }
    result = live_site.log.report_incident(actor="mediator", **values)
    incident_id: UUID = result.incident["id"]
    return incident_id


def arrange_offices(live_site: LiveSite) -> UUID:
    """Fill two offices with a few weeks of incidents; return one to close."""
    log = live_site.log
    log.change_offices("officer", actor="test", offices=[OFFICE, OTHER_OFFICE])
    for days_ago, category, severity in [
        (3, "waiting_time", 0),
        (9, "verbal_incivility", 1),
        (16, "threat", 2),
        (30, "verbal_incivility", 1),
        (45, "property_damage", 3),
    ]:
        incident_id = report(live_site, days_ago, category=category, severity=severity)
        log.record_de_escalation(
            incident_id,
            actor="mediator",
            techniques=["active_listening"],
            outcome="calmed" if severity < 2 else "partially_calmed",
        )
    report(live_site, 5, office=OTHER_OFFICE, category="theft", severity=2)
    late = report(live_site, 20, category="service_refused")
    log.schedule_follow_up(
        late,
        actor="officer",
        kind="manager_report",
        due_on=date.today() - timedelta(days=3),
    )
    to_close = report(live_site, 1, summary=TO_CLOSE, category="threat", severity=2)
    live_site.wait_for_read_models()
    return to_close


def figure(page: Page, card: str) -> str:
    return page.locator(f"#{card} .figure").inner_text()


def test_an_officer_reviews_the_dashboard_and_closes_an_incident(
    live_site: LiveSite,
):
    to_close = arrange_offices(live_site)
    page = live_site.open("officer", viewport=DESKTOP)

    page.goto(f"/tableau-de-bord?office={OFFICE}")
    expect(page.get_by_role("heading", name="Tableau de bord")).to_be_visible()
    assert figure(page, "card-total") == "7"
    assert figure(page, "card-follow-ups") == "1"
    charts = page.locator(".chart svg[role=img]")
    expect(charts).to_have_count(4)
    expect(page.get_by_role("img", name="Répartition par gravité")).to_be_visible()
    comparison = page.get_by_role("table").filter(has_text="Nanterre")
    expect(comparison).to_be_visible()
    live_site.screenshot(page, "officer-dashboard")
    # The screenshot leaves empty style attributes on the fields, which htmx
    # would copy when it swaps them (refused by the CSP): start afresh.
    page.reload()

    # A shorter range: htmx swaps the region and the address follows.
    page.evaluate("window.stillTheSamePage = true")
    page.get_by_label("Du", exact=True).fill(
        (date.today() - timedelta(days=10)).isoformat()
    )
    page.get_by_role("button", name="Afficher").click()
    expect(page).to_have_url(re.compile(r"from="))
    expect(page.locator("#card-total .figure")).to_have_text("3")
    assert page.evaluate("window.stillTheSamePage") is True

    # The report of the range shown: a PDF, downloaded by the browser.
    with page.expect_download() as download:
        page.get_by_role("button", name="cette période").click()
    document = download.value
    start = (date.today() - timedelta(days=10)).isoformat()
    assert document.suggested_filename.startswith(f"report-{OFFICE}-{start}-")
    assert Path(document.path()).read_bytes().startswith(b"%PDF-")

    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Incidents"
    ).click()
    page.get_by_role("row").filter(has_text=TO_CLOSE[:40]).get_by_role("link").click()
    page.wait_for_url(f"**/incidents/{to_close}")
    expect(page.locator("#fact-summary")).to_have_text(TO_CLOSE)
    expect(page.locator("#incident-timeline")).to_contain_text("Signalé")
    live_site.screenshot(page, "officer-incident")

    page.locator("#action-close summary").click()
    page.locator("label.tile", has_text="Réglé sur place").click()
    page.get_by_role("button", name="Clore l'incident").click()

    page.wait_for_url(f"**/incidents/{to_close}")
    expect(page.get_by_text("Incident clos.")).to_be_visible()
    expect(page.locator("#incident-status")).to_have_text("Clos")
    expect(page.locator("#incident-timeline")).to_contain_text("Réglé sur place")
    assert live_site.log.get_incident(to_close)["status"] == "closed"


def test_the_range_and_the_closing_work_without_javascript(live_site: LiveSite):
    to_close = arrange_offices(live_site)
    page = live_site.open("officer", viewport=DESKTOP, java_script_enabled=False)

    page.goto(f"/tableau-de-bord?office={OFFICE}")
    page.get_by_label("Du", exact=True).fill(
        (date.today() - timedelta(days=10)).isoformat()
    )
    page.get_by_role("button", name="Afficher").click()
    expect(page).to_have_url(re.compile(r"from="))
    expect(page.locator("#card-total .figure")).to_have_text("3")

    page.goto(f"/incidents/{to_close}")
    page.locator("#action-close summary").focus()
    page.keyboard.press("Enter")  # A keyboard opens the form as well.
    page.locator("label.tile", has_text="Réglé sur place").click()
    page.get_by_role("button", name="Clore l'incident").click()

    page.wait_for_url(f"**/incidents/{to_close}")
    expect(page.locator("#incident-status")).to_have_text("Clos")
