"""The safety officer's pages: dashboard, incidents, an incident and its actions."""

from __future__ import annotations

import html
import re
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from flask_login import login_user

from incidents.application import PlannedShift
from projections.handlers import PARIS
from projections.queries import paris_today
from tests.pages.conftest import OFFICE, OTHER_OFFICE, PASSWORD, Site
from web.pages.auth import Person
from web.pages.home import chosen_office, covered_offices
from web.pages.officer.dashboard import WEEKS_SHOWN, default_range
from web.usecases import charts
from web.usecases.formatting import day_text
from web.usecases.labels import label

PHONE = "06 12 34 56 78"
CHANGED_MEANWHILE = "L'incident a changé entre-temps"


def text_of(response: Any) -> str:
    """Return a page's text, its entities decoded, for plain ``in`` checks."""
    return html.unescape(response.get_data(as_text=True))


def card(body: str, name: str) -> str:
    found = re.search(rf'id="{name}">\s*<span class="figure">([^<]*)</span>', body)
    assert found is not None, f"no card {name}"
    return found.group(1).strip()


def next_whole_second() -> datetime:
    """Wait for the next whole second and return it (forms give no fractions)."""
    moment = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
    while datetime.now(UTC) <= moment:
        time.sleep(0.05)
    return moment


def history(site: Site, incident_id: UUID) -> list[dict[str, Any]]:
    return site.log.get_incident_history(incident_id)


def arrange_office(site: Site) -> UUID:
    """Report incidents over a few weeks, with de-escalations and a late follow-up."""
    for days_ago, category, outcome in [
        (2, "waiting_time", "calmed"),
        (8, "threat", "not_calmed"),
        (20, "verbal_incivility", "calmed"),
    ]:
        incident_id = site.report_in_log(
            occurred_at=datetime.now(UTC) - timedelta(days=days_ago), category=category
        )
        site.log.record_de_escalation(
            incident_id,
            actor="mediator",
            techniques=["active_listening"],
            outcome=outcome,
        )
    late = site.report_in_log(category="theft", severity=3)
    site.log.schedule_follow_up(
        late,
        actor="officer",
        kind="complaint",
        due_on=date.today() - timedelta(days=4),
    )
    site.report_in_log(OTHER_OFFICE, actor="test", category="threat")
    site.wait_for_read_models()
    return late


# The dashboard.


def test_the_dashboard_shows_the_figures_of_the_office_summary(site: Site):
    arrange_office(site)
    from_, to = default_range(paris_today())

    response = site.get("/tableau-de-bord", "officer")

    body = response.get_data(as_text=True)
    with site.app.app_context():
        summary = site.app.extensions["read_models"].office_summary(
            OFFICE, from_=from_, to=to
        )
    assert response.status_code == 200
    assert card(body, "card-total") == str(summary["incidents"]["total"]) == "4"
    assert card(body, "card-open") == str(summary["incidents"]["open"])
    assert card(body, "card-calming") == str(summary["de_escalations"]["total"])
    assert card(body, "card-follow-ups") == str(summary["follow_ups"]["open"]) == "1"
    assert f"dont {summary['follow_ups']['overdue']} en retard" in body
    calmed = round(summary["de_escalations"]["calmed_rate"] * 100)
    assert f"dont {calmed}\N{NO-BREAK SPACE}% apaisées" in html.unescape(body)


def test_a_date_range_changes_the_figures_as_the_summary_does(site: Site):
    arrange_office(site)
    from_, to = date.today() - timedelta(days=10), date.today()

    body = site.get(
        f"/tableau-de-bord?office={OFFICE}&from={from_}&to={to}", "officer"
    ).get_data(as_text=True)

    with site.app.app_context():
        summary = site.app.extensions["read_models"].office_summary(
            OFFICE, from_=from_, to=to
        )
    assert card(body, "card-total") == str(summary["incidents"]["total"]) == "3"


def test_the_charts_are_svg_drawn_without_style_and_named(site: Site):
    arrange_office(site)

    body = site.get("/tableau-de-bord", "officer").get_data(as_text=True)

    svgs = re.findall(r"<svg\b[^>]*>.*?</svg>", body, flags=re.S)
    named = [svg for svg in svgs if 'role="img"' in svg and "aria-label=" in svg]
    assert len(named) >= 3
    assert all("<title>" in svg for svg in named)
    assert 'aria-label="Incidents par semaine et par catégorie"' in body
    assert "style=" not in body
    assert "<style" not in body
    # The figures are also given as a table, not by colour alone.
    assert "Les chiffres par semaine" in body


def test_charts_escape_their_labels_and_scale_their_bars():
    drawn = charts.bar_chart(
        "Titre <b>", [("<script>", 2), ("moitié", 1)], chart_id="c", width=264
    )

    assert "<script>" not in drawn
    assert "&lt;script&gt;" in drawn
    assert 'width="200.0"' in drawn  # The largest bar takes the whole room.
    assert 'width="100.0"' in drawn
    assert 'role="img"' in drawn
    assert "style" not in drawn


def test_a_stacked_chart_names_only_the_series_it_draws():
    drawn = charts.stacked_bar_chart(
        "Par semaine",
        ["01/01", "08/01"],
        [
            charts.Series("Vol", [1, 2], "#000000"),
            charts.Series("Absent", [0, 0], "#111111"),
        ],
        chart_id="s",
    )

    assert "Vol" in drawn
    assert "Absent" not in drawn
    assert drawn.count("<rect") == 3  # Two bars and one legend swatch.


def test_a_long_series_name_puts_the_legend_in_one_column():
    def legend_x(labels: list[str]) -> set[str]:
        drawn = charts.stacked_bar_chart(
            "Par semaine",
            ["01/01"],
            [charts.Series(text, [1], "#000000") for text in labels],
            chart_id="s",
        )
        return set(re.findall(r'<rect x="([\d.]+)" y="[\d.]+" width="12"', drawn))

    short = legend_x(["Vol", "Menace", "Autre"])
    long = legend_x(["Vol", "Incompréhension (langue, numérique, automate)", "Autre"])

    assert len(short) == 2
    assert len(long) == 1


def test_the_dashboard_compares_the_offices_a_person_covers(site: Site):
    site.log.register_user(
        actor="test",
        name="officer-both",
        role="officer",
        offices=[OFFICE, OTHER_OFFICE],
        password=PASSWORD,
    )
    arrange_office(site)

    body = text_of(site.get(f"/tableau-de-bord?office={OFFICE}", "officer-both"))

    assert "Comparaison de vos bureaux" in body
    comparison = body[body.index("Comparaison de vos bureaux") :]
    assert "Colombes Aragon" in comparison
    assert "Nanterre Centre" in comparison
    assert "1 incidents (bureau le plus touché : 4)" in comparison


def test_covered_offices_are_read_once_per_request_and_person(
    site: Site, monkeypatch: pytest.MonkeyPatch
):
    reads = []
    list_offices = site.log.list_offices

    def counted() -> list[dict[str, str]]:
        reads.append(1)
        return list_offices()

    monkeypatch.setattr(site.log, "list_offices", counted)
    with site.app.test_request_context("/tableau-de-bord"):
        login_user(Person(site.log.get_user("officer")))
        first = [office["code"] for office in covered_offices()]
        assert chosen_office() == OFFICE
        assert [office["code"] for office in covered_offices()] == first == [OFFICE]
        assert len(reads) == 1
        # Another person signs in within the same request: their offices.
        login_user(Person(site.log.get_user("officer-2")))
        assert [office["code"] for office in covered_offices()] == [OTHER_OFFICE]
        assert chosen_office() == OTHER_OFFICE
        assert len(reads) == 2


def test_an_office_outside_the_scope_or_a_long_range_is_refused(site: Site):
    outside = site.get(f"/tableau-de-bord?office={OTHER_OFFICE}", "officer")
    too_long = site.get("/tableau-de-bord?from=2024-01-01&to=2025-06-30", "officer")
    backwards = site.get("/tableau-de-bord?from=2025-06-30&to=2025-06-01", "officer")

    assert outside.status_code == 422
    assert too_long.status_code == 422
    assert "Choisissez une période d'un an au plus." in text_of(too_long)
    assert backwards.status_code == 422


def test_htmx_gets_only_the_dashboard_region(site: Site):
    arrange_office(site)

    whole = site.get("/tableau-de-bord", "officer").get_data(as_text=True)
    region = site.get(
        "/tableau-de-bord", "officer", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    restored = site.get(
        "/tableau-de-bord",
        "officer",
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    ).get_data(as_text=True)

    assert "<html" in whole
    assert "<html" not in region
    assert 'id="card-total"' in region
    assert "<html" in restored


def test_the_dashboard_as_of_a_time_shows_what_was_known_then(site: Site):
    incident_id = site.report_in_log(category="theft")
    before = datetime.now(UTC)
    site.log.amend_incident(
        incident_id, actor="officer", changes={"category": "threat"}, reason="Relu."
    )
    site.wait_for_read_models()

    now = text_of(site.get("/tableau-de-bord", "officer"))
    then = text_of(
        site.get(
            "/tableau-de-bord", "officer", query_string={"as_of": before.isoformat()}
        )
    )

    assert "Menace, intimidation : 1" in now
    assert "Vol ou tentative : 1" in then
    assert "Menace, intimidation : 1" not in then
    assert "Tel que connu le" in then


def weekly_rows(body: str) -> list[tuple[str, int, dict[str, int]]]:
    """Read the dashboard's table of weeks: start, total, count per category."""
    table = body.split("Les chiffres par semaine", 1)[1]
    table = table.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = []
    for start, total, cell in re.findall(
        r'<tr>\s*<th scope="row">([^<]*)</th>\s*<td>(\d+)</td>\s*<td>([^<]*)</td>',
        table,
    ):
        pairs = [part.rsplit(":", 1) for part in cell.split(" ; ") if part != "—"]
        rows.append((start, int(total), {name.strip(): int(n) for name, n in pairs}))
    return rows


def test_the_dashboard_weeks_match_the_office_summary_week_by_week(site: Site):
    arrange_office(site)
    moved = site.report_in_log(
        occurred_at=datetime.now(UTC) - timedelta(days=30), category="theft"
    )
    renamed = site.report_in_log(
        occurred_at=datetime.now(UTC) - timedelta(days=15), category="threat"
    )
    before = datetime.now(UTC)
    site.log.amend_incident(
        moved,
        actor="officer",
        changes={"occurred_at": datetime.now(UTC) - timedelta(days=9)},
        reason="Mauvaise date.",
    )
    site.log.amend_incident(
        renamed, actor="officer", changes={"category": "other"}, reason="Relu."
    )
    site.report_in_log(
        occurred_at=datetime.now(UTC) - timedelta(days=40), category="waiting_time"
    )
    site.wait_for_read_models()
    from_, to = default_range(paris_today())
    read_models = site.app.extensions["read_models"]

    shown = {}
    for as_of in (None, before):
        query = {} if as_of is None else {"as_of": as_of.isoformat()}
        body = html.unescape(
            site.get("/tableau-de-bord", "officer", query_string=query).get_data(
                as_text=True
            )
        )
        expected = []
        with site.app.test_request_context():
            start = from_
            while start <= to:
                summary = read_models.office_summary(
                    OFFICE, from_=start, to=start + timedelta(days=6), as_of=as_of
                )
                by_category = summary["incidents"]["by_category"]
                expected.append(
                    (
                        day_text(start),
                        summary["incidents"]["total"],
                        {label("category", c): n for c, n in by_category.items() if n},
                    )
                )
                start += timedelta(weeks=1)
        shown[as_of] = weekly_rows(body)
        assert shown[as_of] == expected
        assert len(expected) == WEEKS_SHOWN
    assert shown[None] != shown[before]


# Lists: incidents, office timeline, follow-up board.


def test_the_list_shows_the_incidents_of_the_person_offices(site: Site):
    mine = site.report_in_log(summary="Dispute au distributeur de billets.")
    other = site.report_in_log(OTHER_OFFICE, actor="test", summary="Ailleurs.")

    body = text_of(site.get("/incidents", "officer"))
    threats = text_of(site.get("/incidents?category=threat", "officer"))

    assert "Dispute au distributeur de billets." in body
    assert f"/incidents/{mine}" in body
    assert f"/incidents/{other}" not in body
    assert "Ailleurs." not in body
    assert "1 incident(s) trouvé(s)." in body
    assert f"/incidents/{mine}" not in threats


def test_the_list_is_paged(site: Site):
    for _ in range(26):
        site.log.report_incident(
            actor="mediator",
            office=OFFICE,
            occurred_at=datetime.now(UTC) - timedelta(hours=2),
            category="waiting_time",
            severity=0,
            target="staff",
            summary="Attente.",
        )
    site.wait_for_read_models()

    first = text_of(site.get("/incidents", "officer"))
    second = text_of(site.get("/incidents?page=2", "officer"))

    assert "Page 1 sur 2" in first
    assert first.count('href="/incidents/') == 25
    assert second.count('href="/incidents/') == 1


def test_the_office_timeline_lists_the_events_in_order(site: Site):
    incident_id = site.report_in_log()
    site.log.add_note(incident_id, actor="officer", text="Vu avec la directrice.")
    site.wait_for_read_models()

    body = text_of(site.get("/chronologie", "officer"))

    assert body.index("Signalé") < body.index("Vu avec la directrice.")
    assert f"/incidents/{incident_id}" in body


def test_the_follow_up_board_puts_the_overdue_first_and_says_so(site: Site):
    incident_id = site.report_in_log()
    site.log.schedule_follow_up(
        incident_id,
        actor="officer",
        kind="staff_support",
        due_on=date.today() + timedelta(days=5),
    )
    site.log.schedule_follow_up(
        incident_id,
        actor="officer",
        kind="complaint",
        due_on=date.today() - timedelta(days=2),
    )
    site.wait_for_read_models()

    body = text_of(site.get("/suivis", "officer"))

    assert body.index("Plainte") < body.index("Soutien au personnel")
    late = '<strong class="overdue">En retard</strong>'
    assert body.count(late) == 1
    assert body.index(late) < body.index("Soutien au personnel")
    assert f"/incidents/{incident_id}" in body


# One incident.


def test_the_incident_page_shows_the_incident_and_its_timeline(site: Site):
    incident_id = site.report_in_log(summary="Usager très énervé au guichet.")
    site.log.escalate_incident(incident_id, actor="mediator", to="office_manager")
    site.wait_for_read_models()

    body = text_of(site.get(f"/incidents/{incident_id}", "officer"))

    assert "Usager très énervé au guichet." in body
    assert "Responsable du bureau" in body
    assert "Signalé" in body
    assert "Escalade" in body
    assert 'id="incident-timeline"' in body


def test_another_office_incident_is_answered_as_if_it_did_not_exist(site: Site):
    incident_id = site.report_in_log()

    page = site.get(f"/incidents/{incident_id}", "officer-2")
    action = site.get(f"/incidents/{incident_id}/note", "officer-2")

    assert page.status_code == 404
    assert action.status_code == 404


def test_the_incident_as_of_a_time_shows_the_earlier_version(site: Site):
    incident_id = site.report_in_log(severity=1)
    between = next_whole_second()
    site.log.reassess_severity(
        incident_id, actor="officer", severity=3, reason="Menaces répétées."
    )
    site.wait_for_read_models()
    local = between.astimezone(PARIS)

    now = text_of(site.get(f"/incidents/{incident_id}", "auditor"))
    by_link = text_of(
        site.get(
            f"/incidents/{incident_id}",
            "auditor",
            query_string={"as_of": between.isoformat()},
        )
    )
    by_form = text_of(
        site.get(
            f"/incidents/{incident_id}",
            "auditor",
            query_string={
                "as_of_date": local.date().isoformat(),
                "as_of_time": local.strftime("%H:%M:%S"),
            },
        )
    )

    assert 'id="fact-severity">3 · Grave' in now
    for then in (by_link, by_form):
        assert 'id="fact-severity">1 · Faible' in then
        assert "version 1 sur 2" in then
        assert "Tel que connu le" in then
        assert "Menaces répétées." not in then


def test_an_incident_as_of_before_its_report_is_not_found(site: Site):
    incident_id = site.report_in_log()

    response = site.get(
        f"/incidents/{incident_id}", "auditor", query_string={"as_of": "2020-01-01"}
    )
    unreadable = site.get(
        f"/incidents/{incident_id}", "auditor", query_string={"as_of": "hier"}
    )

    assert response.status_code == 404
    assert "pas encore enregistré" in text_of(response)
    assert unreadable.status_code == 422
    assert "Date et heure illisibles." in text_of(unreadable)


def test_the_contact_is_shown_to_the_officer_and_the_showing_recorded(site: Site):
    incident_id = site.report_in_log(contact={"name": "M. Durand", "phone": PHONE})

    officer = text_of(site.get(f"/incidents/{incident_id}", "officer"))
    auditor = text_of(site.get(f"/incidents/{incident_id}", "auditor"))
    reporter = text_of(site.get(f"/incidents/{incident_id}", "mediator"))
    colleague = text_of(site.get(f"/incidents/{incident_id}", "mediator-2"))

    assert "M. Durand" in officer
    assert "M. Durand" in reporter
    assert "M. Durand" not in auditor
    assert "M. Durand" not in colleague
    assert "Coordonnées enregistrées" in auditor
    shown = site.log.list_disclosures(incident_id=incident_id)
    assert [(item["viewer"], item["channel"]) for item in shown] == [
        ("officer", "page"),
        ("mediator", "page"),
    ]


# Actions.


def test_reassessing_stores_the_new_severity_with_actor_and_reason(site: Site):
    incident_id = site.report_in_log(severity=1)
    path = f"/incidents/{incident_id}/gravite"

    response = site.post(
        path,
        {
            "gravite-severity": "3",
            "gravite-reason": "Menaces répétées.",
            "gravite-expected_version": "1",
        },
        who="officer",
    )

    assert response.status_code == 303
    assert response.headers["Location"] == f"/incidents/{incident_id}"
    last = history(site, incident_id)[-1]
    assert (last["type"], last["actor"]) == ("SeverityReassessed", "officer")
    assert last["data"]["reason"] == "Menaces répétées."
    assert last["data"]["severity"] == 3
    assert "Gravité réévaluée." in text_of(
        site.get(response.headers["Location"], "officer")
    )


def test_amending_stores_only_the_changed_fields_with_the_reason(site: Site):
    incident_id = site.report_in_log(category="theft", summary="Vol de sac.")
    incident = site.log.get_incident(incident_id)
    local = incident["occurred_at"].astimezone(PARIS)

    response = site.post(
        f"/incidents/{incident_id}/rectification",
        {
            "rectification-category": "threat",
            "rectification-target": incident["target"],
            "rectification-trigger": "",
            "rectification-occurred_at": local.strftime("%Y-%m-%dT%H:%M"),
            "rectification-summary": "Vol de sac.",
            "rectification-reason": "Il s'agissait de menaces.",
            "rectification-expected_version": "1",
        },
        who="officer",
    )

    assert response.status_code == 303
    last = history(site, incident_id)[-1]
    assert (last["type"], last["actor"]) == ("Amended", "officer")
    assert last["data"]["changes"] == {"category": "threat"}
    assert last["data"]["reason"] == "Il s'agissait de menaces."
    assert history(site, incident_id)[0]["data"]["category"] == "theft"


def test_an_amendment_that_changes_nothing_is_refused(site: Site):
    incident_id = site.report_in_log(category="theft", summary="Vol de sac.")
    incident = site.log.get_incident(incident_id)

    response = site.post(
        f"/incidents/{incident_id}/rectification",
        {
            "rectification-category": "theft",
            "rectification-target": incident["target"],
            "rectification-trigger": "",
            "rectification-occurred_at": incident["occurred_at"]
            .astimezone(PARIS)
            .strftime("%Y-%m-%dT%H:%M"),
            "rectification-summary": "Vol de sac.",
            "rectification-reason": "Rien.",
            "rectification-expected_version": "1",
        },
        who="officer",
    )

    assert response.status_code == 422
    assert "modifiez au moins un champ" in text_of(response)
    assert len(history(site, incident_id)) == 1


def test_a_note_is_stored_and_a_phone_number_in_it_is_pointed_out(site: Site):
    incident_id = site.report_in_log()

    response = site.post(
        f"/incidents/{incident_id}/note",
        {"note-text": f"Rappeler au {PHONE}.", "note-expected_version": "1"},
        who="officer",
    )

    assert response.status_code == 303
    last = history(site, incident_id)[-1]
    assert (last["type"], last["actor"]) == ("NoteAdded", "officer")
    assert last["data"]["text"] == f"Rappeler au {PHONE}."
    page = text_of(site.get(response.headers["Location"], "officer"))
    assert "La note semble contenir un numéro de téléphone" in page


def test_closing_and_reopening_store_the_resolution_and_the_reason(site: Site):
    incident_id = site.report_in_log()

    closed = site.post(
        f"/incidents/{incident_id}/cloture",
        {"cloture-resolution": "resolved_on_site", "cloture-expected_version": "1"},
        who="officer",
    )
    reopened = site.post(
        f"/incidents/{incident_id}/reouverture",
        {
            "reouverture-reason": "L'usager est revenu.",
            "reouverture-expected_version": "2",
        },
        who="officer",
    )

    assert closed.status_code == 303
    assert reopened.status_code == 303
    events = history(site, incident_id)
    assert [event["type"] for event in events[-2:]] == ["Closed", "Reopened"]
    assert events[-2]["data"]["resolution"] == "resolved_on_site"
    assert events[-1]["data"]["reason"] == "L'usager est revenu."
    assert {event["actor"] for event in events[-2:]} == {"officer"}


def test_closing_with_a_follow_up_still_scheduled_says_why_and_stores_nothing(
    site: Site,
):
    incident_id = site.report_in_log()
    site.log.schedule_follow_up(
        incident_id,
        actor="officer",
        kind="complaint",
        due_on=date.today() + timedelta(days=3),
    )
    site.wait_for_read_models()

    response = site.post(
        f"/incidents/{incident_id}/cloture",
        {"cloture-resolution": "resolved_on_site", "cloture-expected_version": "2"},
        who="officer",
    )

    assert response.status_code == 409
    assert "encore 1 suivi(s) prévu(s)" in text_of(response)
    assert len(history(site, incident_id)) == 2


def test_a_stale_version_is_told_and_nothing_is_overwritten(site: Site):
    incident_id = site.report_in_log(severity=1)
    form_page = f"/incidents/{incident_id}/gravite"
    site.get(form_page, "officer")
    site.log.add_note(incident_id, actor="mediator", text="Entre-temps.")
    site.wait_for_read_models()

    response = site.post(
        form_page,
        {
            "gravite-severity": "2",
            "gravite-reason": "Plus grave.",
            "gravite-expected_version": "1",
        },
        who="officer",
    )

    assert response.status_code == 409
    assert CHANGED_MEANWHILE in text_of(response)
    assert 'value="2"' in response.get_data(as_text=True)  # The version now.
    assert site.log.get_incident(incident_id)["severity"] == 1


def test_invalid_input_is_shown_field_by_field_and_nothing_stored(site: Site):
    incident_id = site.report_in_log()

    response = site.post(
        f"/incidents/{incident_id}/gravite",
        {"gravite-reason": "", "gravite-expected_version": "1"},
        who="officer",
    )

    assert response.status_code == 422
    assert "Choisissez une gravité." in text_of(response)
    assert "Dites pourquoi." in text_of(response)
    assert len(history(site, incident_id)) == 1


@pytest.mark.parametrize("action", ["cloture", "reouverture"])
def test_a_mediator_may_not_close_or_reopen(site: Site, action: str):
    incident_id = site.report_in_log()

    page = site.get(f"/incidents/{incident_id}/{action}", "mediator")
    posted = site.post(
        f"/incidents/{incident_id}/{action}",
        {f"{action}-expected_version": "1"},
        who="mediator",
        form_page=f"/incidents/{incident_id}",
    )

    assert page.status_code == 403
    assert posted.status_code == 403
    assert len(history(site, incident_id)) == 1


def test_the_auditor_sees_no_action_and_may_post_none(site: Site):
    incident_id = site.report_in_log()

    body = text_of(site.get(f"/incidents/{incident_id}", "auditor"))
    posted = site.post(
        f"/incidents/{incident_id}/note",
        {"note-text": "Non.", "note-expected_version": "1"},
        who="auditor",
        form_page=f"/incidents/{incident_id}",
    )

    assert 'method="post" action="/incidents/' not in body
    assert "Clore l'incident" not in body
    assert posted.status_code == 403
    assert len(history(site, incident_id)) == 1


def test_the_officer_sees_the_actions_of_an_open_incident(site: Site):
    incident_id = site.report_in_log()
    result = site.log.schedule_follow_up(
        incident_id,
        actor="officer",
        kind="complaint",
        due_on=date.today() + timedelta(days=3),
    )
    follow_up_id = result.incident["follow_ups"][0]["id"]
    site.wait_for_read_models()

    body = text_of(site.get(f"/incidents/{incident_id}", "officer"))
    auditor = text_of(site.get(f"/incidents/{incident_id}", "auditor"))

    for path in ("gravite", "rectification", "note", "cloture"):
        assert f'action="/incidents/{incident_id}/{path}"' in body
    assert f'action="/incidents/{incident_id}/reouverture"' not in body
    # Follow-ups are done or cancelled through the mediator's pages.
    done = f"/incidents/{incident_id}/suivis/{follow_up_id}/fait"
    assert done in body
    assert done not in auditor


def test_a_form_posted_without_its_csrf_token_is_refused(site: Site):
    incident_id = site.report_in_log()
    client = site.client("officer")

    response = client.post(
        f"/incidents/{incident_id}/note",
        data={"note-text": "Sans jeton.", "note-expected_version": "1"},
    )

    assert response.status_code == 400
    assert len(history(site, incident_id)) == 1


def test_the_office_timeline_as_of_a_day_shows_what_was_recorded_by_then(
    site: Site,
):
    site.report_in_log()
    today = paris_today()

    yesterday = text_of(
        site.get(
            "/chronologie",
            "officer",
            query_string={"as_of_date": (today - timedelta(days=1)).isoformat()},
        )
    )
    tonight = text_of(
        site.get(
            "/chronologie", "officer", query_string={"as_of_date": today.isoformat()}
        )
    )

    assert "0 événements, dans l" in yesterday
    assert "1 événement, dans l" in tonight


def test_the_incident_page_names_the_mediator_on_shift_now_and_as_of(site: Site):
    occurred = datetime(2026, 12, 1, 10, 15, tzinfo=PARIS)
    incident_id = site.report_in_log(occurred_at=occurred.astimezone(UTC))
    site.wait_for_read_models()
    before = next_whole_second()
    site.log.plan_shift(
        actor="admin",
        plan=PlannedShift(
            mediator="mediator",
            office=OFFICE,
            day=occurred.date(),
            start="09:00",
            end="12:30",
        ),
    )

    now = text_of(site.get(f"/incidents/{incident_id}", "officer"))
    then = text_of(
        site.get(
            f"/incidents/{incident_id}",
            "officer",
            query_string={"as_of": before.isoformat()},
        )
    )

    assert 'id="fact-mediator-on-shift">mediator<' in now
    assert "Aucun médiateur en poste à ce moment" in then
