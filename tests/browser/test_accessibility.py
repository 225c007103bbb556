"""The main pages pass axe-core's WCAG 2 A and AA rules, on a phone and a desktop.

axe-core (from npm, kept under ``tests/browser/vendor/``; the product never
serves it) runs in the page through the browser's DevTools protocol, so the
page's Content-Security-Policy stays as strict as users get it. It checks,
among others, that every field has a label, contrast is sufficient, headings,
landmarks and ARIA attributes are sound, and nothing needs a mouse to reach.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import DESKTOP, PHONE, LiveSite
from tests.browser.test_offline_capture import controlled, forgive, report_offline

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
RULES = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}
}


def violations(page: Page) -> list[dict[str, Any]]:
    """Run axe-core on the page as it is; return its violations, briefly."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    found: list[dict[str, Any]] = page.evaluate(
        "async (rules) => (await axe.run(document, rules)).violations", RULES
    )
    return [
        {
            "rule": item["id"],
            "impact": item["impact"],
            "where": [node["target"] for node in item["nodes"]][:5],
        }
        for item in found
    ]


def test_the_check_finds_an_unlabelled_field(live_site: LiveSite):
    page = live_site.open()
    page.goto("/connexion")
    page.evaluate("() => document.querySelector('label[for=name]').remove()")

    assert "label" in {item["rule"] for item in violations(page)}


def _incident(live_site: LiveSite) -> str:
    result = live_site.log.report_incident(
        actor="mediator",
        office="colombes-aragon",
        occurred_at="2026-11-20T10:15:00+01:00",
        category="verbal_incivility",
        severity=2,
        target="staff",
        summary="Usager énervé par l'attente au guichet colis.",
        contact={"phone": "06 12 34 56 78"},
    )
    incident_id = str(result.incident["id"])
    live_site.log.schedule_follow_up(
        result.incident["id"],
        actor="officer",
        kind="staff_support",
        due_on="2026-12-01",
        assignee="mediator",
    )
    live_site.wait_for_read_models()
    return incident_id


@pytest.mark.parametrize(
    ("who", "viewport", "paths"),
    [
        (None, PHONE, ["/connexion"]),
        (
            "mediator",
            PHONE,
            [
                "/signaler",
                "/incidents/{id}/suite",
                "/mes-suivis",
                "/ma-semaine",
                "/bureau",
            ],
        ),
        (
            "officer",
            DESKTOP,
            [
                "/tableau-de-bord",
                "/incidents",
                "/incidents/{id}",
                "/chronologie",
                "/suivis",
                "/planning",
            ],
        ),
        ("officer", PHONE, ["/tableau-de-bord", "/incidents/{id}", "/planning"]),
        (
            "auditor",
            DESKTOP,
            ["/audit", "/audit/verification", "/audit/export", "/audit/consultations"],
        ),
        (
            "admin",
            DESKTOP,
            ["/personnes", "/personnes/mediator", "/effacement", "/profil"],
        ),
    ],
    ids=["sign-in", "mediator", "officer", "officer-phone", "auditor", "admin"],
)
def test_the_pages_pass_the_wcag_rules(
    live_site: LiveSite, who: str | None, viewport: dict[str, int], paths: list[str]
):
    incident_id = _incident(live_site)
    page = live_site.open(who, viewport=viewport)
    if who == "mediator":
        page.goto("/bureau")
        page.get_by_label("Colombes Aragon").check()
        page.get_by_role("button", name="Enregistrer").click()
        page.wait_for_load_state()
        # Checked as the phone has them: with the service worker installed.
        controlled(page)

    found = {}
    for path in paths:
        page.goto(path.format(id=incident_id))
        found[path] = violations(page)

    assert found == {path: [] for path in paths}


def test_the_pages_kept_offline_pass_the_wcag_rules(live_site: LiveSite):
    page = live_site.open("mediator")
    controlled(page)
    page.context.set_offline(True)
    report_offline(page)

    found = {"kept report, outbox listed": violations(page)}
    page.get_by_role("button", name="Se déconnecter").click()
    page.locator("#sign-out-warning").wait_for()
    found["sign-out warning"] = violations(page)
    for path in ["/signaler", "/mes-suivis"]:
        page.goto(path)  # The service worker's copy.
        page.locator("#outbox-items li").wait_for()
        found[path] = violations(page)

    assert found == {place: [] for place in found}
    forgive(live_site.watches[0], lambda m: "ERR_INTERNET_DISCONNECTED" in m)
