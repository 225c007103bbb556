"""An admin adds a person and issues a token; an auditor verifies the history."""

from __future__ import annotations

import re
import urllib.request

from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, LiveSite

PASSWORD = "un mot de passe neuf"


def test_an_admin_adds_a_person_and_issues_a_token(live_site: LiveSite):
    page = live_site.open("admin", viewport=DESKTOP)
    assert page.url.endswith("/personnes")

    page.get_by_label(re.compile(r"^Identifiant")).fill("camille.durand")
    page.get_by_label("Nom affiché").fill("Camille Durand")
    page.get_by_label("Médiateur", exact=True).check()
    page.get_by_label("Colombes Aragon (Colombes)").check()
    page.get_by_label("Mot de passe initial").fill(PASSWORD)
    page.get_by_label("Le même mot de passe, une seconde fois").fill(PASSWORD)
    page.get_by_role("button", name="Ajouter la personne").click()

    page.wait_for_url("**/personnes/camille.durand")
    expect(page.get_by_text("Le compte camille.durand est créé.")).to_be_visible()
    page.get_by_label("Libellé du jeton").fill("tableur")
    page.get_by_role("button", name="Délivrer un jeton").click()
    secret = page.get_by_label("Jeton secret").input_value()
    expect(page.get_by_text("il ne sera plus jamais affiché")).to_be_visible()
    request = urllib.request.Request(  # noqa: S310  (the live site, on loopback)
        f"{live_site.url}/api/v1/offices",
        headers={"Authorization": f"Bearer {secret}"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        assert answer.status == 200

    page.get_by_role("link", name="Personnes", exact=True).click()
    row = page.get_by_role("row").filter(has_text="camille.durand")
    expect(row).to_contain_text("Médiateur")
    expect(row).to_contain_text("Colombes Aragon")
    expect(row.get_by_role("cell").last).to_have_text("1")
    live_site.screenshot(page, "admin-people")


def test_an_auditor_reads_the_trail_and_runs_the_verification(live_site: LiveSite):
    page = live_site.open("auditor", viewport=DESKTOP)
    assert page.url.endswith("/audit")
    page.get_by_label("À partir de la position").fill("3")
    page.get_by_role("button", name="Afficher").click()
    page.wait_for_url("**/audit?depuis=3")
    expect(page.locator("#journal tbody th").first).to_have_text("3")

    page.get_by_role("link", name="Vérification").click()
    button = page.get_by_role("button", name="Vérifier l'historique maintenant")
    button.focus()
    page.keyboard.press("Enter")

    result = page.locator("#resultat")
    expect(result).to_contain_text("Historique intact")
    checked = int(result.get_by_test_id("checked").inner_text())
    assert checked == live_site.log.recorder.max_notification_id()
    live_site.screenshot(page, "auditor-verification")
