"""Signing in and out in a real browser, on a phone-sized screen."""

from __future__ import annotations

from tests.browser.conftest import LiveSite


def test_a_person_signs_in_and_lands_where_their_work_starts(live_site: LiveSite):
    page = live_site.open("officer")

    assert page.url.endswith("/tableau-de-bord")
    assert page.locator("html").get_attribute("lang") == "fr"
    live_site.screenshot(page, "sign-in-landing")


def test_a_wrong_password_is_refused_in_french(live_site: LiveSite):
    page = live_site.open()
    page.goto("/connexion")
    page.get_by_label("Identifiant").fill("mediator")
    page.get_by_label("Mot de passe").fill("pas le bon")
    page.get_by_role("button", name="Se connecter").click()

    assert page.get_by_text("Identifiant ou mot de passe incorrect.").is_visible()
    assert "/connexion" in page.url
