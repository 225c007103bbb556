"""The admin's pages: people, roles, office scopes, passwords, tokens, erasure."""

from __future__ import annotations

import html
import re
from typing import Any
from uuid import UUID

import pytest

from tests.pages.conftest import OFFICE, OTHER_OFFICE, PASSWORD, Site, sign_in

CONTACT = {"name": "Jeanne Martin", "phone": "06 12 34 56 78"}
NEW_PASSWORD = "un tout autre mot de passe"
SECRET = re.compile(r'<input id="secret" type="text" readonly value="([^"]+)"')


def text_of(answer: Any) -> str:
    """Return a page's text, with its HTML entities read as characters."""
    return html.unescape(answer.get_data(as_text=True))


def new_person(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "camille.durand",
        "display_name": "Camille Durand",
        "role": "mediator",
        "offices": [OFFICE],
        "password": NEW_PASSWORD,
        "password_again": NEW_PASSWORD,
        **overrides,
    }


def names(site: Site) -> list[str]:
    return [user["name"] for user in site.log.list_users()]


def issue(site: Site, name: str, label: str = "tableur") -> str:
    """Issue a token on the person's page; return its secret as shown."""
    page = site.post(
        f"/personnes/{name}/jetons",
        {"token_label": label},
        "admin",
        form_page=f"/personnes/{name}",
    )
    assert page.status_code == 200
    found = SECRET.search(text_of(page))
    assert found is not None
    return found.group(1)


def api_offices(site: Site, token: str) -> int:
    answer = site.app.test_client().get(
        "/api/v1/offices", headers={"Authorization": f"Bearer {token}"}
    )
    return answer.status_code


# People.


def test_the_people_page_lists_everyone_with_role_offices_and_tokens(site: Site):
    site.log.issue_token("officer", actor="admin", label="outil")

    page = text_of(site.get("/personnes", "admin"))

    rows = {
        name: row
        for row in re.findall(r"<tr>(.*?)</tr>", page, flags=re.DOTALL)
        for name in re.findall(r'href="/personnes/([^"]+)"', row)
    }
    assert set(rows) == set(names(site))
    assert "Responsable sûreté" in rows["officer"]
    assert "Colombes Aragon" in rows["officer"]
    assert "<td>1</td>" in rows["officer"]
    assert "Tous les bureaux" in rows["auditor"]
    assert "<td>0</td>" in rows["mediator"]


def test_a_person_added_on_the_page_signs_in_with_that_password(site: Site):
    answer = site.post("/personnes", new_person(), "admin")

    assert answer.status_code == 303
    assert answer.headers["Location"].endswith("/personnes/camille.durand")
    user = site.log.get_user("camille.durand")
    assert (user["role"], user["offices"], user["display_name"]) == (
        "mediator",
        [OFFICE],
        "Camille Durand",
    )
    shown = text_of(site.get("/personnes/camille.durand", "admin"))
    assert "Le compte camille.durand est créé." in shown
    newcomer = site.app.test_client()
    sign_in(newcomer, "camille.durand", NEW_PASSWORD)
    assert newcomer.get("/profil").status_code == 200


def test_no_office_checked_means_every_office(site: Site):
    answer = site.post("/personnes", new_person(offices=[]), "admin")

    assert answer.status_code == 303
    assert site.log.get_user("camille.durand")["offices"] is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "Camille Durand"}, "lettres minuscules sans accent"),
        ({"name": ""}, "Donnez un identifiant."),
        ({"password": "court", "password_again": "court"}, "De 10 à 256 caractères."),
        ({"password_again": "autre chose encore"}, "Les deux mots de passe diffèrent."),
        ({"role": "chef"}, "Choisissez un rôle de la liste."),
        ({"role": ""}, "Choisissez un rôle."),
        ({"offices": ["paris-louvre"]}, "Cochez des bureaux de la liste."),
        ({"display_name": "x" * 201}, "200 caractères au plus."),
    ],
)
def test_bad_input_adds_nobody_and_says_why_in_french(
    site: Site, changes: dict[str, Any], message: str
):
    before = names(site)

    answer = site.post("/personnes", new_person(**changes), "admin")

    assert answer.status_code == 422
    assert message in text_of(answer)
    assert names(site) == before


def test_a_name_already_taken_is_refused(site: Site):
    answer = site.post("/personnes", new_person(name="officer"), "admin")

    assert answer.status_code == 409
    assert "Cet identifiant est déjà pris." in text_of(answer)
    assert site.log.get_user("officer")["role"] == "officer"


def test_an_unknown_person_is_not_found(site: Site):
    assert site.get("/personnes/personne", "admin").status_code == 404
    assert site.get("/personnes/PAS VALIDE", "admin").status_code == 404


# Role, scope, password.


def test_a_new_role_applies_at_the_persons_next_request(site: Site):
    assert site.get("/audit", "mediator").status_code == 403

    answer = site.post(
        "/personnes/mediator/role",
        {"role": "auditor"},
        "admin",
        form_page="/personnes/mediator",
    )

    assert answer.status_code == 303
    assert site.get("/audit", "mediator").status_code == 200
    shown = text_of(site.get("/personnes/mediator", "admin"))
    assert "Rôle changé : Auditeur." in shown


def test_the_same_role_again_is_refused(site: Site):
    answer = site.post(
        "/personnes/officer/role",
        {"role": "officer"},
        "admin",
        form_page="/personnes/officer",
    )

    assert answer.status_code == 409
    assert "La personne a déjà ce rôle." in text_of(answer)


def test_an_admin_keeps_their_own_role(site: Site):
    answer = site.post(
        "/personnes/admin/role", {"role": "mediator"}, "admin", form_page="/personnes"
    )

    assert answer.status_code == 409
    assert site.log.get_user("admin")["role"] == "admin"


def test_a_new_office_scope_applies_at_the_persons_next_request(site: Site):
    other = site.log.get_office(OTHER_OFFICE)["name"]
    assert other not in text_of(site.get("/bureau", "officer"))

    answer = site.post(
        "/personnes/officer/bureaux",
        {"offices": [OFFICE, OTHER_OFFICE]},
        "admin",
        form_page="/personnes/officer",
    )

    assert answer.status_code == 303
    assert site.log.get_user("officer")["offices"] == sorted([OFFICE, OTHER_OFFICE])
    assert other in text_of(site.get("/bureau", "officer"))


def test_an_unknown_office_changes_no_scope(site: Site):
    answer = site.post(
        "/personnes/officer/bureaux",
        {"offices": ["paris-louvre"]},
        "admin",
        form_page="/personnes/officer",
    )

    assert answer.status_code == 422
    assert "Cochez des bureaux de la liste." in text_of(answer)
    assert site.log.get_user("officer")["offices"] == [OFFICE]


def test_a_new_password_replaces_the_old_one(site: Site):
    answer = site.post(
        "/personnes/officer/mot-de-passe",
        {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD},
        "admin",
        form_page="/personnes/officer",
    )

    assert answer.status_code == 303
    sign_in(site.app.test_client(), "officer", NEW_PASSWORD)
    refused = site.post("/connexion", {"name": "officer", "password": PASSWORD}, None)
    assert "Identifiant ou mot de passe incorrect." in text_of(refused)


def test_a_password_typed_differently_twice_is_refused(site: Site):
    answer = site.post(
        "/personnes/officer/mot-de-passe",
        {"new_password": NEW_PASSWORD, "new_password_again": "autre chose ici"},
        "admin",
        form_page="/personnes/officer",
    )

    assert answer.status_code == 422
    assert "Les deux mots de passe diffèrent." in text_of(answer)
    sign_in(site.app.test_client(), "officer", PASSWORD)


# Deactivation.


def test_deactivation_signs_the_person_out(site: Site):
    assert site.get("/profil", "mediator").status_code == 200

    answer = site.post(
        "/personnes/mediator/desactivation",
        {"deactivation_reason": "A quitté l'association."},
        "admin",
        form_page="/personnes/mediator",
    )

    assert answer.status_code == 303
    assert site.log.get_user("mediator")["is_active"] is False
    after = site.get("/profil", "mediator")
    assert after.status_code == 302
    assert "/connexion" in after.headers["Location"]
    listed = text_of(site.get("/personnes", "admin"))
    assert "Non, désactivée" in listed


def test_deactivation_needs_a_reason(site: Site):
    answer = site.post(
        "/personnes/mediator/desactivation",
        {"deactivation_reason": "   "},
        "admin",
        form_page="/personnes/mediator",
    )

    assert answer.status_code == 422
    assert "Donnez le motif." in text_of(answer)
    assert site.log.get_user("mediator")["is_active"] is True


def test_an_admin_does_not_deactivate_themselves(site: Site):
    answer = site.post(
        "/personnes/admin/desactivation",
        {"deactivation_reason": "Essai."},
        "admin",
        form_page="/personnes/admin",
    )

    assert answer.status_code == 409
    assert site.log.get_user("admin")["is_active"] is True


# Tokens.


def test_a_token_is_shown_once_and_opens_the_api(site: Site):
    secret = issue(site, "officer")

    assert api_offices(site, secret) == 200
    [token] = site.log.get_user("officer")["tokens"]
    assert token["label"] == "tableur"
    again = text_of(site.get("/personnes/officer", "admin"))
    assert secret not in again
    assert str(token["id"]) in again
    assert secret not in text_of(site.get("/personnes", "admin"))


def test_a_revoked_token_is_refused_by_the_api(site: Site):
    secret = issue(site, "officer")
    [token] = site.log.get_user("officer")["tokens"]

    answer = site.post(
        f"/personnes/officer/jetons/{token['id']}/revocation",
        {"revocation_reason": "Poste perdu."},
        "admin",
        form_page="/personnes/officer",
    )

    assert answer.status_code == 303
    assert api_offices(site, secret) == 401
    assert site.log.get_user("officer")["tokens"] == []


def test_a_revocation_needs_a_reason_and_revokes_nothing_without(site: Site):
    secret = issue(site, "officer")
    [token] = site.log.get_user("officer")["tokens"]

    answer = site.post(
        f"/personnes/officer/jetons/{token['id']}/revocation",
        {"revocation_reason": ""},
        "admin",
        form_page="/personnes/officer",
    )

    assert answer.status_code == 422
    text = text_of(answer)
    assert f'id="revocation-{token["id"]}-errors"' in text
    assert "Donnez le motif." in text
    assert api_offices(site, secret) == 200


def test_an_unknown_token_is_not_found(site: Site):
    answer = site.post(
        "/personnes/officer/jetons/00000000-0000-4000-8000-000000000000/revocation",
        {"revocation_reason": "Poste perdu."},
        "admin",
        form_page="/personnes/officer",
    )

    assert answer.status_code == 404


# Erasure.


def erase(site: Site, incident_id: UUID, reason: str = "Demande de l'usager.") -> Any:
    """Ask for the erasure, then confirm it with the version shown."""
    asked = site.post(
        "/effacement", {"incident": str(incident_id), "reason": reason}, "admin"
    )
    assert asked.status_code == 200
    text = text_of(asked)
    assert "Effacer définitivement" in text
    version = re.search(r'name="version" value="(\d+)"', text)
    assert version is not None
    return site.post(
        "/effacement",
        {
            "incident": str(incident_id),
            "reason": reason,
            "version": version.group(1),
            "confirmed": "yes",
        },
        "admin",
    )


def test_erasure_asks_for_confirmation_before_erasing(site: Site):
    incident_id = site.report_in_log(contact=CONTACT)

    asked = site.post(
        "/effacement", {"incident": str(incident_id), "reason": "Demande."}, "admin"
    )

    assert asked.status_code == 200
    text = text_of(asked)
    assert "Confirmer l'effacement" in text
    assert "enregistrées (non affichées ici)" in text
    assert "Jeanne" not in text
    assert site.log.get_incident(incident_id)["contact_erased"] is False


def test_an_erased_contact_is_gone_everywhere_and_summaries_stay(site: Site):
    incident_id = site.report_in_log(contact=CONTACT)
    read_models = site.app.extensions["read_models"]
    summary = read_models.office_summary(OFFICE)
    token = site.log.issue_token("officer", actor="admin").token
    api = site.app.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    before = api.get(f"/api/v1/incidents/{incident_id}", headers=bearer).get_json()
    assert before["contact"]["name"] == "Jeanne Martin"
    page_before = site.get(f"/incidents/{incident_id}", "officer")
    assert "Jeanne Martin" in text_of(page_before)

    answer = erase(site, incident_id)

    assert answer.status_code == 303
    incident = site.log.get_incident(incident_id)
    assert (incident["contact"], incident["contact_erased"]) == (None, True)
    after = api.get(f"/api/v1/incidents/{incident_id}", headers=bearer).get_json()
    assert (after["contact"], after["contact_erased"]) == (None, True)
    page_after = site.get(f"/incidents/{incident_id}", "officer")
    assert page_after.status_code == 200
    assert "Jeanne" not in text_of(page_after)
    assert read_models.office_summary(OFFICE) == summary
    timeline = read_models.incident_timeline(incident_id)
    assert timeline[-1]["type"] == "PersonalDataErased"
    assert timeline[-1]["actor"] == "admin"
    assert "Jeanne" not in repr(timeline)
    again = site.post(
        "/effacement", {"incident": str(incident_id), "reason": "Encore."}, "admin"
    )
    assert again.status_code == 409
    assert "déjà effacées" in text_of(again)


def test_an_incidents_own_erasure_page_names_it(site: Site):
    incident_id = site.report_in_log(contact=CONTACT)

    page = site.get(f"/incidents/{incident_id}/effacement", "admin")

    assert page.status_code == 200
    text = text_of(page)
    assert f'value="{incident_id}"' in text
    assert "Colombes Aragon" in text
    assert site.get(f"/incidents/{UUID(int=1)}/effacement", "admin").status_code == 404


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"incident": "12", "reason": "Demande."}, "Donnez l'identifiant complet"),
        ({"incident": str(UUID(int=7)), "reason": "Demande."}, "Aucun incident ne"),
        ({"incident": "", "reason": "Demande."}, "Donnez l'identifiant de l'incident."),
        ({"reason": ""}, "Donnez le motif."),
    ],
)
def test_bad_erasure_requests_erase_nothing(
    site: Site, fields: dict[str, str], message: str
):
    incident_id = site.report_in_log(contact=CONTACT)

    answer = site.post(
        "/effacement",
        {"incident": str(incident_id), "confirmed": "yes", "version": "1", **fields},
        "admin",
    )

    assert answer.status_code == 422
    assert message in text_of(answer)
    assert site.log.get_incident(incident_id)["contact_erased"] is False


def test_an_incident_without_contact_has_nothing_to_erase(site: Site):
    incident_id = site.report_in_log()

    answer = site.post(
        "/effacement", {"incident": str(incident_id), "reason": "Demande."}, "admin"
    )

    assert answer.status_code == 409
    assert "Aucune coordonnée d'usager" in text_of(answer)


def test_an_incident_changed_meanwhile_is_not_erased_unseen(site: Site):
    incident_id = site.report_in_log(contact=CONTACT)
    site.log.add_note(incident_id, actor="officer", text="Rappel prévu.")

    answer = site.post(
        "/effacement",
        {
            "incident": str(incident_id),
            "reason": "Demande.",
            "version": "1",
            "confirmed": "yes",
        },
        "admin",
    )

    assert answer.status_code == 412
    text = text_of(answer)
    assert "L'incident a changé entre-temps" in text
    assert 'name="version" value="2"' in text
    assert site.log.get_incident(incident_id)["contact_erased"] is False


# Who may open them.


@pytest.mark.parametrize("who", ["mediator", "officer", "auditor"])
@pytest.mark.parametrize("path", ["/personnes", "/personnes/officer", "/effacement"])
def test_only_admins_open_the_admin_pages(site: Site, who: str, path: str):
    assert site.get(path, who).status_code == 403


@pytest.mark.parametrize("who", ["mediator", "officer", "auditor"])
def test_only_admins_change_people(site: Site, who: str):
    answer = site.post(
        "/personnes/officer/role", {"role": "admin"}, who, form_page="/profil"
    )

    assert answer.status_code == 403
    assert site.log.get_user("officer")["role"] == "officer"


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/personnes", new_person()),
        ("/personnes/officer/role", {"role": "auditor"}),
        ("/personnes/officer/desactivation", {"deactivation_reason": "Départ."}),
        ("/personnes/officer/jetons", {"token_label": "outil"}),
        ("/effacement", {"incident": str(UUID(int=1)), "reason": "Demande."}),
    ],
)
def test_a_post_without_its_csrf_token_changes_nothing(
    site: Site, path: str, data: dict[str, Any]
):
    before = site.log.get_user("officer")

    answer = site.client("admin").post(path, data=data)

    assert answer.status_code == 400
    assert site.log.get_user("officer") == before
    assert "camille.durand" not in names(site)
