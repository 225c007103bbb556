"""Signing in, CSRF, roles, rate limits and headers of the pages."""

from __future__ import annotations

import re
from datetime import date

import pytest

from tests.pages.conftest import OFFICE, PASSWORD, Site, csrf_token_in, sign_in
from web.pages.throttle import LIMIT as ATTEMPTS_ALLOWED


def test_an_anonymous_visitor_is_sent_to_the_sign_in_page(site: Site):
    response = site.get("/tableau-de-bord", who=None)

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion?next=")


def test_signing_in_lands_on_the_page_asked_for(site: Site):
    client = site.app.test_client()
    page = client.get("/connexion?next=/profil")
    response = client.post(
        "/connexion?next=/profil",
        data={
            "name": "officer",
            "password": PASSWORD,
            "csrf_token": csrf_token_in(page.get_data(as_text=True)),
        },
    )

    assert response.status_code == 303
    assert response.headers["Location"] == "/profil"


@pytest.mark.parametrize(
    "target", ["https://example.org/", "//example.org/", "/\\example.org", "profil"]
)
def test_signing_in_never_sends_anyone_to_another_site(site: Site, target: str):
    client = site.app.test_client()
    page = client.get("/connexion")
    response = client.post(
        "/connexion",
        query_string={"next": target},
        data={
            "name": "officer",
            "password": PASSWORD,
            "csrf_token": csrf_token_in(page.get_data(as_text=True)),
        },
    )

    assert response.status_code == 303
    assert response.headers["Location"] == "/"


# Browsers drop tabs and newlines inside an address: "/\t/host" is "//host".
ELSEWHERE = [
    "https://example.org/",
    "//example.org/",
    "/\\example.org",
    "/\t/example.org",
    "/\n/example.org",
    "/\r\n/example.org",
]


@pytest.mark.parametrize("target", ELSEWHERE)
def test_choosing_an_office_never_sends_anyone_to_another_site(site: Site, target: str):
    response = site.post("/bureau", {"office": OFFICE, "next": target})

    assert response.status_code == 303
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", ELSEWHERE)
def test_a_follow_up_done_never_sends_anyone_to_another_site(site: Site, target: str):
    incident_id = site.report_in_log()
    result = site.log.schedule_follow_up(
        incident_id, actor="mediator", kind="other", due_on=date.today()
    )
    follow_up_id = result.incident["follow_ups"][0]["id"]
    site.wait_for_read_models()

    response = site.post(
        f"/incidents/{incident_id}/suivis/{follow_up_id}/fait",
        {"next": target},
        form_page="/mes-suivis",
    )

    assert response.status_code == 303
    assert response.headers["Location"] == "/mes-suivis"
    [follow_up] = site.log.get_incident(incident_id)["follow_ups"]
    assert follow_up["status"] == "completed"


def test_a_wrong_password_and_an_unknown_name_get_the_same_answer(site: Site):
    client = site.app.test_client()
    answers = []
    for name in ("officer", "nobody-here"):
        page = client.get("/connexion")
        response = client.post(
            "/connexion",
            data={
                "name": name,
                "password": "not the password",
                "csrf_token": csrf_token_in(page.get_data(as_text=True)),
            },
        )
        answers.append((response.status_code, "Identifiant ou mot de passe incorrect."))
        assert "Identifiant ou mot de passe incorrect." in response.get_data(
            as_text=True
        )
    assert answers[0] == answers[1]
    assert client.get("/profil").status_code == 302  # Still signed out.


def test_a_form_posted_without_its_csrf_token_is_refused_with_400(site: Site):
    client = site.client("officer")

    response = client.post("/profil", data={"lang": "en"})

    assert response.status_code == 400
    assert "formulaire" in response.get_data(as_text=True)
    assert client.get("/profil").get_data(as_text=True).count('lang="fr"') >= 1


def test_a_form_posted_with_another_sessions_token_is_refused(site: Site):
    other = site.client("mediator")
    foreign_token = csrf_token_in(other.get("/profil").get_data(as_text=True))

    response = site.client("officer").post(
        "/profil", data={"lang": "en", "csrf_token": foreign_token}
    )

    assert response.status_code == 400


def test_signing_in_also_needs_the_csrf_token(site: Site):
    response = site.app.test_client().post(
        "/connexion", data={"name": "officer", "password": PASSWORD}
    )

    assert response.status_code == 400


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("mediator", "/audit"),
        ("officer", "/audit"),
        ("mediator", "/personnes"),
        ("auditor", "/personnes"),
        ("auditor", "/signaler"),
        ("admin", "/signaler"),
    ],
)
def test_a_page_opened_by_the_wrong_role_is_403(site: Site, who: str, path: str):
    response = site.get(path, who)

    assert response.status_code == 403
    assert response.mimetype == "text/html"
    assert "Votre rôle ne permet pas" in response.get_data(as_text=True)


def test_the_sixth_wrong_password_in_a_minute_is_429(site: Site):
    client = site.app.test_client()
    statuses = []
    for _attempt in range(ATTEMPTS_ALLOWED + 1):
        page = client.get("/connexion")
        response = client.post(
            "/connexion",
            data={
                "name": "officer",
                "password": "guessing",
                "csrf_token": csrf_token_in(page.get_data(as_text=True)),
            },
        )
        statuses.append(response.status_code)

    assert statuses == [200] * ATTEMPTS_ALLOWED + [429]
    assert "Trop de tentatives" in response.get_data(as_text=True)
    assert int(response.headers["Retry-After"]) > 0


def test_right_passwords_do_not_count_towards_the_limit(site: Site):
    for _attempt in range(ATTEMPTS_ALLOWED + 2):
        client = site.app.test_client()
        sign_in(client, "officer")


def test_a_deactivated_person_is_signed_out_at_their_next_request(site: Site):
    client = site.client("officer")
    assert client.get("/profil").status_code == 200

    site.log.deactivate_user("officer", actor="admin", reason="a quitté le service")

    assert client.get("/profil").status_code == 302


def test_signing_out_is_a_post_and_ends_the_session(site: Site):
    client = site.client("officer")
    page = client.get("/profil").get_data(as_text=True)

    assert client.get("/deconnexion").status_code == 405
    response = client.post("/deconnexion", data={"csrf_token": csrf_token_in(page)})

    assert response.status_code == 303
    assert client.get("/profil").status_code == 302


def test_pages_carry_a_strict_content_security_policy(site: Site):
    response = site.get("/connexion", who=None)
    policy = response.headers["Content-Security-Policy"]
    directives = dict(
        (part.split()[0], part.split()[1:]) for part in policy.split("; ")
    )

    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    for directive in ("script-src", "style-src"):
        assert "'unsafe-inline'" not in directives[directive]
        assert "'unsafe-eval'" not in directives[directive]
        assert all(
            source == "'self'" or source.startswith("'nonce-")
            for source in directives[directive]
        )
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"


def test_each_page_gets_a_nonce_of_its_own(site: Site):
    nonces = {
        re.search(
            r"'nonce-([^']+)'",
            site.get("/connexion", who=None).headers["Content-Security-Policy"],
        ).group(1)
        for _ in range(3)
    }

    assert len(nonces) == 3


def test_no_page_loads_anything_from_another_origin(site: Site):
    body = site.get("/profil", who="officer").get_data(as_text=True)

    assert not re.search(r'(src|href)="(https?:)?//', body)
    assert "style=" not in body
    assert not re.search(r"<script(?![^>]*\bsrc=)", body)


def test_the_session_cookie_is_http_only_and_same_site(site: Site):
    client = site.app.test_client()
    sign_in(client, "officer")
    cookie = client.get_cookie("incidents_session")

    assert cookie is not None
    assert cookie.http_only
    assert cookie.same_site == "Lax"


def test_the_api_keeps_its_bearer_tokens_and_needs_no_csrf_token(site: Site):
    token = site.log.issue_token("officer", actor="test").token

    response = site.app.test_client().get(
        "/api/v1/offices", headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 200


def test_api_errors_stay_json(site: Site):
    response = site.app.test_client().get("/api/v1/offices")

    assert response.status_code == 401
    assert response.mimetype == "application/json"


def test_an_unknown_page_is_a_french_404_page(site: Site):
    response = site.get("/nulle-part", who="officer")

    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "Cette page n'existe pas" in response.get_data(as_text=True)
