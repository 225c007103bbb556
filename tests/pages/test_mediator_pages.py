"""The mediator's pages: report, log what followed, and keep up with follow-ups."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest

from tests.pages.conftest import OFFICE, OTHER_OFFICE, PASSWORD, Site, csrf_token_in
from web.pages.home import OFFICE_COOKIE

PARIS = ZoneInfo("Europe/Paris")
HIDDEN = re.compile(
    r'<input id="(report_id|opened_at)" name="\1" type="hidden" value="([^"]*)"'
)
MINIMAL_REPORT = {
    "category": "verbal_incivility",
    "severity": "2",
    "target": "staff",
    "summary": "Usager énervé par l'attente au guichet colis.",
}
CONTACT = {
    "contact_name": "Jeanne Martin",
    "contact_phone": "06 12 34 56 78",
    "contact_email": "jeanne.martin@example.fr",
}


def open_report_form(site: Site, who: str = "mediator") -> dict[str, str]:
    """Open the report form as a browser would; return its hidden fields."""
    page = site.get("/signaler", who).get_data(as_text=True)
    fields = dict(HIDDEN.findall(page))
    fields["csrf_token"] = csrf_token_in(page)
    return fields


def send_report(
    site: Site, form: dict[str, str], who: str = "mediator", **fields: Any
) -> Any:
    return site.client(who).post("/signaler", data={**form, **MINIMAL_REPORT, **fields})


def incident_id_of(response: Any) -> UUID:
    found = re.fullmatch(
        r"/incidents/([0-9a-f-]{36})/suite", response.headers["Location"]
    )
    assert found is not None, response.headers.get("Location")
    return UUID(found.group(1))


def head(site: Site) -> int:
    return site.log.recorder.max_notification_id() or 0


def text_of(response: Any) -> str:
    return str(response.get_data(as_text=True))


def version_of(site: Site, incident_id: UUID) -> int:
    return int(site.log.get_incident(incident_id)["version"])


def paris_today() -> date:
    return datetime.now(UTC).astimezone(PARIS).date()


# Reporting.


def test_a_report_is_stored_with_its_fields_and_the_reporter(site: Site):
    form = open_report_form(site)
    earlier = (datetime.now(PARIS) - timedelta(minutes=40)).replace(
        second=0, microsecond=0
    )

    response = send_report(
        site,
        form,
        occurred_at=earlier.strftime("%Y-%m-%dT%H:%M"),
        trigger="parcel",
        **{
            "parties-0-role": "visitor",
            "parties-0-count": "2",
            "parties-0-description": "un couple pressé",
            "parties-1-role": "",
        },
    )

    assert response.status_code == 303
    incident_id = incident_id_of(response)
    assert incident_id == UUID(form["report_id"])
    incident = site.log.get_incident(incident_id)
    assert incident["office"] == OFFICE
    assert incident["reported_by"] == "mediator"
    assert incident["category"] == "verbal_incivility"
    assert incident["severity"] == 2
    assert incident["target"] == "staff"
    assert incident["summary"] == MINIMAL_REPORT["summary"]
    assert incident["trigger"] == "parcel"
    assert incident["occurred_at"] == earlier.astimezone(UTC)
    assert incident["parties"] == [
        {"role": "visitor", "count": 2, "description": "un couple pressé"}
    ]
    assert incident["contact"] is None
    after = site.get(response.headers["Location"])
    assert "Incident enregistré" in text_of(after)


def test_a_blank_time_means_when_the_form_was_opened(site: Site):
    form = open_report_form(site)

    response = send_report(site, form)

    incident = site.log.get_incident(incident_id_of(response))
    assert incident["occurred_at"] == datetime.fromisoformat(form["opened_at"])


def test_the_contact_is_stored_with_the_report(site: Site):
    response = send_report(site, open_report_form(site), **CONTACT)

    incident = site.log.get_incident(incident_id_of(response))
    assert incident["contact"] == {
        "name": "Jeanne Martin",
        "phone": "06 12 34 56 78",
        "email": "jeanne.martin@example.fr",
    }


def test_the_office_is_asked_once_then_remembered(site: Site):
    site.log.register_user(
        actor="test",
        name="roaming",
        role="mediator",
        offices=[OFFICE, OTHER_OFFICE],
        password=PASSWORD,
    )

    first = site.get("/signaler", "roaming")
    assert first.status_code == 303
    assert first.headers["Location"] == "/bureau?next=/signaler"

    chosen = site.post(
        "/bureau",
        {"office": OTHER_OFFICE, "next": "/signaler"},
        "roaming",
        form_page="/bureau?next=/signaler",
    )
    assert chosen.status_code == 303
    assert chosen.headers["Location"] == "/signaler"
    assert f"{OFFICE_COOKIE}={OTHER_OFFICE}" in chosen.headers["Set-Cookie"]

    again = site.get("/signaler", "roaming")
    assert again.status_code == 200
    assert "Bureau : Nanterre" in text_of(again)
    response = send_report(site, open_report_form(site, "roaming"), "roaming")
    assert site.log.get_incident(incident_id_of(response))["office"] == OTHER_OFFICE


def test_an_empty_report_is_refused_in_french_and_nothing_is_stored(site: Site):
    form = open_report_form(site)
    before = head(site)

    response = site.client("mediator").post("/signaler", data=form)

    assert response.status_code == 422
    page = text_of(response)
    for message in (
        "Choisissez une catégorie.",
        "Choisissez une gravité.",
        "Choisissez qui était visé.",
        "Décrivez en quelques mots ce qui s",
    ):
        assert message in page
    assert 'aria-invalid="true"' in page
    assert head(site) == before


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"occurred_at": "2999-01-01T10:00"},
            "L&#39;heure ne peut pas être dans le futur.",
        ),
        ({"occurred_at": "hier"}, "Une date et une heure"),
        ({"contact_phone": "appeler"}, "Des chiffres, espaces, points ou tirets"),
        ({"contact_email": "jeanne"}, "Une adresse comme nom@exemple.fr."),
        ({"parties-0-count": "3"}, "Choisissez qui est cette personne."),
        ({"parties-0-role": "visitor", "parties-0-count": "0"}, "Un nombre de 1 à"),
        ({"severity": "9"}, "severity"),
    ],
)
def test_a_wrong_value_is_refused_and_its_part_unfolded(
    site: Site, fields: dict[str, str], message: str
):
    form = open_report_form(site)
    before = head(site)

    response = send_report(site, form, **fields)

    assert response.status_code == 422
    page = text_of(response)
    assert message in page
    if "severity" not in fields:
        assert "<details open>" in page
    assert head(site) == before


def test_the_same_form_sent_twice_stores_one_incident(site: Site):
    form = open_report_form(site)

    first = send_report(site, form)
    second = send_report(site, form)

    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    site.wait_for_read_models()
    listed = site.app.extensions["read_models"].list_incidents(offices=[OFFICE])
    assert listed["total"] == 1


def test_a_form_sent_again_after_a_change_keeps_the_first_report(site: Site):
    form = open_report_form(site)
    first = send_report(site, form)

    second = send_report(site, form, summary="Autre chose, finalement.")

    assert second.headers["Location"] == first.headers["Location"]
    incident = site.log.get_incident(incident_id_of(first))
    assert incident["summary"] == MINIMAL_REPORT["summary"]
    assert "déjà enregistré" in text_of(site.get(second.headers["Location"]))


@pytest.mark.parametrize(
    ("summary", "details"),
    [
        ("Rappeler la dame au 06 12 34 56 78.", "un numéro de téléphone"),
        ("Écrire à jeanne.martin@example.fr demain.", "une adresse e-mail"),
    ],
)
def test_contact_details_in_the_summary_are_stored_with_a_hint(
    site: Site, summary: str, details: str
):
    response = send_report(site, open_report_form(site), summary=summary)

    incident = site.log.get_incident(incident_id_of(response))
    assert incident["summary"] == summary  # Stored all the same.
    page = text_of(site.get(response.headers["Location"]))
    assert f"Le résumé semble contenir {details}" in page
    assert "Coordonnées du visiteur" in page


def test_a_clean_summary_gets_no_hint(site: Site):
    response = send_report(site, open_report_form(site))

    page = text_of(site.get(response.headers["Location"]))
    assert "semble contenir" not in page


def test_the_summary_is_checked_as_it_is_typed(site: Site):
    flagged = site.post(
        "/signaler/verification",
        {"summary": "son numéro : 06 12 34 56 78"},
        form_page="/signaler",
    )
    clean = site.post(
        "/signaler/verification",
        {"summary": "Usager calme à la fin."},
        form_page="/signaler",
    )

    assert flagged.status_code == clean.status_code == 200
    assert "semble contenir un numéro de téléphone" in text_of(flagged)
    assert text_of(clean).strip() == ""


# After reporting.


def test_the_after_report_page_offers_the_three_actions(site: Site):
    incident_id = site.report_in_log()

    page = text_of(site.get(f"/incidents/{incident_id}/suite"))

    assert f'href="/incidents/{incident_id}/desescalade"' in page
    assert f'href="/incidents/{incident_id}/escalade"' in page
    assert f'href="/incidents/{incident_id}/suivis"' in page
    assert 'href="/signaler"' in page


def test_a_de_escalation_is_stored(site: Site):
    incident_id = site.report_in_log()
    path = f"/incidents/{incident_id}/desescalade"

    response = site.post(
        path,
        {
            "techniques": ["active_listening", "explanation"],
            "outcome": "calmed",
            "note": "Calmé après explication.",
            "version": version_of(site, incident_id),
        },
    )

    assert response.status_code == 303
    assert response.headers["Location"] == f"/incidents/{incident_id}/suite"
    incident = site.log.get_incident(incident_id)
    assert incident["de_escalations"] == [
        {
            "techniques": ["active_listening", "explanation"],
            "outcome": "calmed",
            "note": "Calmé après explication.",
            "actor": "mediator",
        }
    ]
    page = text_of(site.get(response.headers["Location"]))
    assert "Désescalade enregistrée" in page
    assert "Écoute active, Explication" in page


def test_a_de_escalation_without_a_technique_is_refused(site: Site):
    incident_id = site.report_in_log()
    before = head(site)

    response = site.post(
        f"/incidents/{incident_id}/desescalade",
        {"outcome": "calmed", "version": version_of(site, incident_id)},
    )

    assert response.status_code == 422
    assert "Cochez au moins une technique." in text_of(response)
    assert head(site) == before


def test_an_escalation_is_stored(site: Site):
    incident_id = site.report_in_log()

    response = site.post(
        f"/incidents/{incident_id}/escalade",
        {"to": "security", "version": version_of(site, incident_id)},
    )

    assert response.status_code == 303
    assert site.log.get_incident(incident_id)["escalations"] == [
        {"to": "security", "note": None, "actor": "mediator"}
    ]


def test_a_page_shown_before_a_change_gets_the_changed_meanwhile_message(site: Site):
    incident_id = site.report_in_log()
    shown = version_of(site, incident_id)
    site.log.escalate_incident(incident_id, actor="officer", to="office_manager")
    before = head(site)

    response = site.post(
        f"/incidents/{incident_id}/escalade", {"to": "security", "version": shown}
    )

    assert response.status_code == 409
    page = text_of(response)
    assert "L&#39;incident a changé entre-temps" in page
    assert f'value="{shown + 1}"' in page  # Sending again is a conscious choice.
    assert head(site) == before


def test_a_closed_incident_takes_no_more_actions(site: Site):
    incident_id = site.report_in_log()
    site.log.close_incident(incident_id, actor="officer", resolution="resolved_on_site")
    before = head(site)

    shown = site.get(f"/incidents/{incident_id}/escalade")
    response = site.post(
        f"/incidents/{incident_id}/escalade",
        {"to": "security", "version": version_of(site, incident_id)},
        form_page=f"/incidents/{incident_id}/suite",
    )

    assert shown.status_code == 200
    assert "Cet incident est clos" in text_of(shown)
    assert '<form method="post" action="/incidents' not in text_of(shown)
    assert response.status_code == 409
    assert head(site) == before


def test_htmx_gets_the_action_form_alone_to_show_it_inline(site: Site):
    incident_id = site.report_in_log()

    response = site.get(
        f"/incidents/{incident_id}/desescalade", headers={"HX-Request": "true"}
    )

    page = text_of(response)
    assert response.status_code == 200
    assert "<html" not in page
    assert '<h2 id="action-title" tabindex="-1" autofocus>' in page
    assert f'action="/incidents/{incident_id}/desescalade"' in page


# Follow-ups.


def test_a_follow_up_is_scheduled_for_the_person_in_a_week_by_default(site: Site):
    incident_id = site.report_in_log()
    path = f"/incidents/{incident_id}/suivis"
    due = paris_today() + timedelta(days=7)

    page = text_of(site.get(path))
    response = site.post(
        path,
        {
            "kind": "association_debrief",
            "due_on": due.isoformat(),
            "assignee": "mediator",
            "version": version_of(site, incident_id),
        },
    )

    assert f'value="{due.isoformat()}"' in page
    assert '<option selected value="mediator">' in page
    assert response.status_code == 303
    [follow_up] = site.log.get_incident(incident_id)["follow_ups"]
    assert follow_up["kind"] == "association_debrief"
    assert follow_up["due_on"] == due
    assert follow_up["assignee"] == "mediator"
    assert follow_up["status"] == "scheduled"
    listed = text_of(site.get("/mes-suivis"))
    assert "Débriefing association" in listed


def test_a_follow_up_can_be_given_to_a_colleague_of_the_office(site: Site):
    incident_id = site.report_in_log()
    path = f"/incidents/{incident_id}/suivis"

    page = text_of(site.get(path))
    site.post(
        path,
        {
            "kind": "staff_support",
            "due_on": (paris_today() + timedelta(days=2)).isoformat(),
            "assignee": "officer",
            "version": version_of(site, incident_id),
        },
    )

    assert 'value="mediator-2"' in page
    assert 'value="officer-2"' not in page  # Another office.
    assert 'value="auditor"' not in page
    [follow_up] = site.log.get_incident(incident_id)["follow_ups"]
    assert follow_up["assignee"] == "officer"
    assert "Soutien au personnel" not in text_of(site.get("/mes-suivis"))


def test_a_follow_up_due_in_the_past_is_refused(site: Site):
    incident_id = site.report_in_log()

    response = site.post(
        f"/incidents/{incident_id}/suivis",
        {
            "kind": "complaint",
            "due_on": (paris_today() - timedelta(days=1)).isoformat(),
            "assignee": "mediator",
            "version": version_of(site, incident_id),
        },
    )

    assert response.status_code == 422
    assert "La date ne peut pas être passée." in text_of(response)
    assert site.log.get_incident(incident_id)["follow_ups"] == []


def schedule(site: Site, incident_id: UUID, due_on: date, **fields: Any) -> UUID:
    values: dict[str, Any] = {
        "kind": "manager_report",
        "due_on": due_on,
        "assignee": "mediator",
        **fields,
    }
    result = site.log.schedule_follow_up(incident_id, actor="mediator", **values)
    site.wait_for_read_models()
    follow_up_id: UUID = result.incident["follow_ups"][-1]["id"]
    return follow_up_id


def test_my_follow_ups_lists_mine_overdue_first(site: Site):
    incident_id = site.report_in_log()
    today = paris_today()
    schedule(site, incident_id, today + timedelta(days=3), kind="complaint")
    schedule(site, incident_id, today - timedelta(days=2), kind="staff_support")
    schedule(site, incident_id, today + timedelta(days=1), assignee="mediator-2")
    other = site.report_in_log(OTHER_OFFICE, actor="officer-2")
    schedule(site, other, today, kind="visitor_watch")

    page = text_of(site.get("/mes-suivis"))

    assert page.index("Soutien au personnel") < page.index("Plainte")
    assert "En retard" in page
    assert page.count('<article class="follow-up') == 2
    assert "Vigilance sur l&#39;usager" not in page
    assert "2 suivis ouverts vous sont confiés, dont 1 en retard" in page


def test_a_follow_up_is_marked_done_in_one_tap(site: Site):
    incident_id = site.report_in_log()
    follow_up_id = schedule(site, incident_id, paris_today())

    response = site.post(
        f"/incidents/{incident_id}/suivis/{follow_up_id}/fait", form_page="/mes-suivis"
    )

    assert response.status_code == 303
    assert response.headers["Location"] == "/mes-suivis"
    [follow_up] = site.log.get_incident(incident_id)["follow_ups"]
    assert follow_up["status"] == "completed"
    history = site.log.get_incident_history(incident_id)
    assert history[-1]["type"] == "FollowUpCompleted"
    assert history[-1]["actor"] == "mediator"
    page = text_of(site.get("/mes-suivis"))
    assert "Suivi fait" in page
    assert "Aucun suivi ouvert ne vous est confié." in page


@pytest.mark.parametrize(
    ("next_page", "expected"),
    [
        ("/incidents/{id}", "/incidents/{id}"),
        ("https://example.org/", "/mes-suivis"),
        ("//example.org/", "/mes-suivis"),
    ],
)
def test_a_follow_up_done_from_the_incident_page_returns_there(
    site: Site, next_page: str, expected: str
):
    incident_id = site.report_in_log()
    follow_up_id = schedule(site, incident_id, paris_today())

    response = site.post(
        f"/incidents/{incident_id}/suivis/{follow_up_id}/fait",
        {"next": next_page.format(id=incident_id)},
        who="officer",
        form_page=f"/incidents/{incident_id}",
    )

    assert response.status_code == 303
    assert response.headers["Location"] == expected.format(id=incident_id)


def test_a_follow_up_done_twice_gets_a_message_not_an_error(site: Site):
    incident_id = site.report_in_log()
    follow_up_id = schedule(site, incident_id, paris_today())
    path = f"/incidents/{incident_id}/suivis/{follow_up_id}/fait"
    site.post(path, form_page="/mes-suivis")

    again = site.post(path, form_page="/mes-suivis")

    assert again.status_code == 303
    assert "déjà été fait ou annulé" in text_of(site.get("/mes-suivis"))


def test_a_follow_up_is_cancelled_with_a_reason(site: Site):
    incident_id = site.report_in_log()
    follow_up_id = schedule(site, incident_id, paris_today())
    path = f"/incidents/{incident_id}/suivis/{follow_up_id}/annulation"

    refused = site.post(path, {"reason": " ", "version": version_of(site, incident_id)})
    response = site.post(
        path,
        {"reason": "Fait par le responsable", "version": version_of(site, incident_id)},
    )

    assert refused.status_code == 422
    assert "Dites pourquoi ce suivi est annulé." in text_of(refused)
    assert response.status_code == 303
    [follow_up] = site.log.get_incident(incident_id)["follow_ups"]
    assert follow_up["status"] == "cancelled"
    assert follow_up["outcome_note"] == "Fait par le responsable"
    assert "Suivi annulé" in text_of(site.get("/mes-suivis"))


# Scope, roles and forms.


def incident_pages(incident_id: UUID, follow_up_id: UUID) -> list[str]:
    return [
        f"/incidents/{incident_id}/suite",
        f"/incidents/{incident_id}/desescalade",
        f"/incidents/{incident_id}/escalade",
        f"/incidents/{incident_id}/suivis",
        f"/incidents/{incident_id}/suivis/{follow_up_id}/annulation",
    ]


def test_an_incident_of_another_office_does_not_exist_for_the_mediator(site: Site):
    incident_id = site.report_in_log(OTHER_OFFICE, actor="officer-2")
    follow_up_id = schedule(site, incident_id, paris_today())
    before = head(site)

    answers = [
        site.get(path).status_code for path in incident_pages(incident_id, follow_up_id)
    ]
    done = site.post(
        f"/incidents/{incident_id}/suivis/{follow_up_id}/fait", form_page="/mes-suivis"
    )
    posted = site.post(
        f"/incidents/{incident_id}/escalade",
        {"to": "police", "version": 1},
        form_page="/mes-suivis",
    )

    assert answers == [404] * len(answers)
    assert done.status_code == posted.status_code == 404
    assert head(site) == before


def test_an_unknown_follow_up_does_not_exist(site: Site):
    incident_id = site.report_in_log()

    response = site.get(f"/incidents/{incident_id}/suivis/{uuid4()}/annulation")

    assert response.status_code == 404


@pytest.mark.parametrize("who", ["auditor", "admin"])
def test_people_who_never_record_are_refused_the_pages(site: Site, who: str):
    incident_id = site.report_in_log()
    follow_up_id = schedule(site, incident_id, paris_today())

    paths = ["/signaler", "/mes-suivis", *incident_pages(incident_id, follow_up_id)]
    answers = [site.get(path, who).status_code for path in paths]
    done = site.post(
        f"/incidents/{incident_id}/suivis/{follow_up_id}/fait",
        who=who,
        form_page="/profil",
    )

    assert answers == [403] * len(paths)
    assert done.status_code == 403


def test_an_anonymous_visitor_is_sent_to_sign_in(site: Site):
    response = site.get("/signaler", who=None)

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion?next=")


def test_a_form_posted_without_its_token_is_refused(site: Site):
    incident_id = site.report_in_log()
    form = open_report_form(site)
    del form["csrf_token"]
    before = head(site)

    reported = send_report(site, form)
    escalated = site.client("mediator").post(
        f"/incidents/{incident_id}/escalade",
        data={"to": "police", "version": version_of(site, incident_id)},
    )

    assert reported.status_code == escalated.status_code == 400
    assert head(site) == before


def test_the_contact_is_never_shown_on_these_pages(site: Site):
    response = send_report(site, open_report_form(site), **CONTACT)
    incident_id = incident_id_of(response)
    follow_up_id = schedule(site, incident_id, paris_today(), assignee="mediator-2")

    for who in ("mediator-2", "mediator"):
        pages = [
            text_of(site.get(path, who))
            for path in [*incident_pages(incident_id, follow_up_id), "/mes-suivis"]
        ]
        for page in pages:
            for value in ("Jeanne", "06 12 34 56 78", "jeanne.martin@example.fr"):
                assert value not in page
        assert "enregistrées (chiffrées)" in pages[0]
    assert site.log.list_disclosures(incident_id=incident_id) == []
