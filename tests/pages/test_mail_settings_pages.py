"""An admin sets a person's address on their page; each person picks notifications."""

from __future__ import annotations

import html

from tests.pages.conftest import Site


def test_an_admin_gives_a_person_an_address_and_a_language(site: Site):
    page = "/personnes/officer"
    answer = site.post(
        f"{page}/messagerie",
        {"email": "officer@example.fr", "language": "en"},
        "admin",
        form_page=page,
    )

    assert answer.status_code == 303, answer.get_data(as_text=True)
    person = site.log.get_user("officer")
    assert (person["email"], person["language"]) == ("officer@example.fr", "en")
    assert "officer@example.fr" in site.get(page, "admin").get_data(as_text=True)


def test_a_bad_address_is_shown_again_with_why_and_nothing_changes(site: Site):
    page = "/personnes/officer"
    answer = site.post(
        f"{page}/messagerie",
        {"email": "pas une adresse", "language": "fr"},
        "admin",
        form_page=page,
    )

    assert answer.status_code == 422
    assert 'aria-invalid="true"' in answer.get_data(as_text=True)
    assert site.log.get_user("officer")["email"] is None


def test_a_person_chooses_their_notifications_on_their_profile(site: Site):
    answer = site.post(
        "/profil/notifications",
        {"severe_incident": "on", "digest": "weekly"},
        "officer",
        form_page="/profil",
    )

    assert answer.status_code == 303, answer.get_data(as_text=True)
    assert site.log.get_user("officer")["notification_preferences"] == {
        "severe_incident": True,
        "escalation": False,
        "follow_up_overdue": False,
        "digest": "weekly",
    }
    profile = html.unescape(site.get("/profil", "officer").get_data(as_text=True))
    assert 'value="weekly" checked' in profile


def test_an_unknown_digest_frequency_is_refused_and_nothing_changes(site: Site):
    answer = site.post(
        "/profil/notifications",
        {"digest": "hourly"},
        "officer",
        form_page="/profil",
    )

    assert answer.status_code == 422
    assert site.log.get_user("officer")["notification_preferences"]["severe_incident"]
