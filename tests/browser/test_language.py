"""Switching the pages to English in a real browser, and back."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import LiveSite


def test_a_person_switches_to_english_and_it_stays_english(live_site: LiveSite):
    page = live_site.open("officer")
    assert page.locator("html").get_attribute("lang") == "fr"

    page.get_by_role("link", name="English").click()

    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("button", name="Sign out").is_visible()
    page.goto("/profil")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="Profile").is_visible()
    live_site.screenshot(page, "profile-in-english")

    page.get_by_role("link", name="Français").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")


def test_an_english_browser_gets_english_pages(live_site: LiveSite):
    page = live_site.open(locale="en-GB")
    page.goto("/connexion")

    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("button", name="Sign in").is_visible()
