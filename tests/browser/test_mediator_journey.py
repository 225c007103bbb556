"""A mediator's journey on a phone: report in a few taps, then log what followed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from uuid import UUID

from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import PHONE, LiveSite
from tests.pages.conftest import OFFICE, OTHER_OFFICE

MOST_TAPS_TO_REPORT = 6
SUMMARY = "Usager énervé par l'attente au guichet colis."


@dataclass
class Taps:
    """Do what a person does on the page, counting each tap or field filled."""

    page: Page
    count: int = 0

    def tap(self, target: Locator) -> None:
        target.click()
        self.count += 1

    def type(self, field: Locator, text: str) -> None:
        field.press_sequentially(text)
        self.count += 1


def no_sideways_scroll(page: Page) -> bool:
    width = page.evaluate("document.documentElement.scrollWidth")
    return bool(width <= PHONE["width"])


def choose(page: Page, group: str, option: str) -> Locator:
    """Return the tile of an option in a group of tiles."""
    exactly = re.compile(rf"^\s*{re.escape(option)}\s*$")
    return page.get_by_role("group", name=group).locator("label.tile", has_text=exactly)


def report_minimal_incident(page: Page, *, javascript: bool = True) -> Taps:
    """Report with the four things the form asks, and count the taps."""
    taps = Taps(page)
    taps.tap(choose(page, "Catégorie", "Incivilité verbale"))
    taps.tap(choose(page, "Gravité", "2 · Modérée"))
    taps.tap(choose(page, "Qui était visé ?", "Personnel"))
    summary = page.get_by_label("Ce qui s'est passé")
    if javascript:
        # The summary is checked as it is typed: wait for that answer to land.
        with page.expect_response("**/signaler/verification"):
            taps.type(summary, SUMMARY)
    else:
        taps.type(summary, SUMMARY)
    taps.tap(page.get_by_role("button", name="Enregistrer le signalement"))
    page.wait_for_url("**/suite")
    return taps


def test_a_mediator_reports_on_a_phone_then_logs_what_followed(live_site: LiveSite):
    live_site.log.change_offices(
        "mediator", actor="test", offices=[OFFICE, OTHER_OFFICE]
    )
    page = live_site.open("mediator")

    # The office is asked once, then remembered on this device.
    page.goto("/signaler")
    assert "/bureau" in page.url
    page.get_by_label("Colombes Aragon").check()
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url("**/signaler")
    expect(page.get_by_text("Bureau : Colombes Aragon")).to_be_visible()
    assert no_sideways_scroll(page)
    live_site.screenshot(page, "mediator-report")

    taps = report_minimal_incident(page)

    assert taps.count <= MOST_TAPS_TO_REPORT
    expect(page.get_by_text("Incident enregistré")).to_be_visible()
    assert no_sideways_scroll(page)
    live_site.screenshot(page, "mediator-after-report")
    after_report = page.url
    page.wait_for_load_state("load")

    # One tap opens the de-escalation form, inside the page.
    page.get_by_role("button", name="Noter une désescalade").click()
    panel = page.locator("#panel")
    expect(panel.get_by_role("heading", name="Noter une désescalade")).to_be_focused()
    choose(page, "Ce qui a été tenté", "Écoute active").click()
    choose(page, "Résultat", "Apaisé").click()
    page.get_by_role("button", name="Enregistrer la désescalade").click()
    expect(page.get_by_text("Désescalade enregistrée")).to_be_visible()
    assert page.url == after_report
    # The form posted the whole page: a tap before htmx wakes on the new page
    # opens the follow-up form as a page of its own (right without
    # JavaScript), so wait for it to be loaded before the next tap.
    page.wait_for_load_state("load")

    # One tap opens the follow-up form; the due date and the assignee are preset.
    page.get_by_role("button", name="Prévoir un suivi").click()
    expect(panel.get_by_role("heading", name="Prévoir un suivi")).to_be_visible()
    choose(page, "Type de suivi", "Débriefing association").click()
    page.get_by_role("button", name="Enregistrer le suivi").click()
    expect(page.get_by_text("Suivi prévu", exact=True)).to_be_visible()

    page.get_by_role("link", name="Mes suivis").click()
    page.wait_for_url("**/mes-suivis")
    expect(page.get_by_role("heading", name="Débriefing association")).to_be_visible()
    assert no_sideways_scroll(page)
    live_site.screenshot(page, "mediator-follow-ups")

    page.goto("/signaler")
    assert page.url.endswith("/signaler")  # The office is not asked again.
    incident = live_site.log.get_incident(UUID(after_report.split("/")[-2]))
    assert incident["reported_by"] == "mediator"
    assert len(incident["de_escalations"]) == 1
    assert [item["assignee"] for item in incident["follow_ups"]] == ["mediator"]


def test_the_summary_is_checked_for_contact_details_as_it_is_typed(
    live_site: LiveSite,
):
    page = live_site.open("mediator")
    page.goto("/signaler")

    with page.expect_response("**/signaler/verification"):
        page.get_by_label("Ce qui s'est passé").press_sequentially(
            "Rappeler au 06 12 34 56 78"
        )

    expect(page.locator("#summary-live-hint")).to_contain_text(
        "semble contenir un numéro de téléphone"
    )


def test_reporting_works_without_javascript(live_site: LiveSite):
    page = live_site.open("mediator", java_script_enabled=False)
    page.goto("/signaler")

    taps = report_minimal_incident(page, javascript=False)

    assert taps.count <= MOST_TAPS_TO_REPORT
    expect(page.get_by_text("Incident enregistré")).to_be_visible()
    page.get_by_role("button", name="Noter une désescalade").click()
    page.wait_for_url("**/desescalade")
    choose(page, "Ce qui a été tenté", "Explication").click()
    choose(page, "Résultat", "Partiellement apaisé").click()
    page.get_by_role("button", name="Enregistrer la désescalade").click()
    page.wait_for_url("**/suite")
    expect(page.get_by_text("Désescalade enregistrée")).to_be_visible()
    assert no_sideways_scroll(page)
