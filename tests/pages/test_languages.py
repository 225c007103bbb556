"""French by default; English by ?lang=, by the profile, or by the browser."""

from __future__ import annotations

from tests.pages.conftest import Site


def _lang_of(body: str) -> str:
    start = body.index('<html lang="') + len('<html lang="')
    return body[start : body.index('"', start)]


def test_pages_are_french_by_default(site: Site):
    body = site.get("/connexion", who=None).get_data(as_text=True)

    assert _lang_of(body) == "fr"
    assert "Se connecter" in body


def test_the_browser_can_ask_for_english(site: Site):
    body = site.get(
        "/connexion", who=None, headers={"Accept-Language": "en-GB,en;q=0.9"}
    ).get_data(as_text=True)

    assert _lang_of(body) == "en"
    assert "Sign in" in body
    assert "Se connecter" not in body


def test_lang_in_the_address_is_remembered_for_the_next_pages(site: Site):
    client = site.client("officer")

    first = client.get("/profil?lang=en").get_data(as_text=True)
    later = client.get("/profil").get_data(as_text=True)

    assert _lang_of(first) == "en"
    assert _lang_of(later) == "en"
    assert "Profile" in later


def test_the_choice_on_the_profile_page_wins_over_the_browser(site: Site):
    client = site.client("officer")
    site.post("/profil", {"lang": "en"}, who="officer")

    body = client.get("/profil", headers={"Accept-Language": "fr-FR"}).get_data(
        as_text=True
    )

    assert _lang_of(body) == "en"


def test_an_unknown_language_falls_back_to_french(site: Site):
    body = site.get("/connexion?lang=xx", who=None).get_data(as_text=True)

    assert _lang_of(body) == "fr"
