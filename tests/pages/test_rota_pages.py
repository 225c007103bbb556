"""The rota's pages: the week's grid, a mediator's week, the report's office."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, time, timedelta

from incidents.application import PlannedShift
from tests.pages.conftest import OFFICE, OTHER_OFFICE, Site
from web.usecases.rota import PARIS, monday_of

MONDAY = monday_of(date.today()) + timedelta(days=7)
LAST_MONDAY = MONDAY - timedelta(days=7)


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def plan(
    site: Site,
    *,
    mediator="mediator",
    office=OFFICE,
    day=MONDAY,
    start="09:00",
    end="12:30",
):
    return site.log.plan_shift(
        actor="admin",
        plan=PlannedShift(
            mediator=mediator, office=office, day=day, start=start, end=end
        ),
    ).shift


def test_the_grid_shows_offices_by_days_with_shifts_and_gaps(site: Site):
    plan(site)

    body = text_of(site.get(f"/planning?semaine={MONDAY}", "officer"))

    assert 'id="week-grid"' in body
    assert "mediator 09:00\u201312:30" in body
    # colombes-aragon is open Monday to Saturday; only Monday is covered.
    assert "5 trous" in body
    assert f'data-office="{OFFICE}" data-day="{MONDAY}">' in body
    assert OTHER_OFFICE not in body.split('id="week-grid"')[1].split("</table>")[0]


def test_an_officer_plans_on_the_grid_and_an_overlap_is_refused(site: Site):
    page = f"/planning?semaine={MONDAY}"
    form = {
        "mediator": "mediator",
        "office": OFFICE,
        "day": MONDAY.isoformat(),
        "start": "09:00",
        "end": "12:30",
    }

    planned = site.post(page, form, "officer")
    clash = site.post(page, {**form, "start": "12:00", "end": "14:00"}, "officer")
    backwards = site.post(page, {**form, "start": "14:00", "end": "13:00"}, "officer")

    assert planned.status_code == 303
    assert clash.status_code == 409
    assert "mediator a déjà un service" in text_of(clash)
    assert backwards.status_code == 422
    assert "vérifiez la fin" in text_of(backwards)
    assert len(site.log.list_shifts()) == 1


def test_copying_last_week_plans_every_shift_or_none(site: Site):
    plan(site, day=LAST_MONDAY)
    plan(site, mediator="mediator-2", day=LAST_MONDAY + timedelta(days=1))
    page = f"/planning?semaine={MONDAY}"

    copied = site.post(
        f"/planning/copie?semaine={MONDAY}", {}, "officer", form_page=page
    )
    again = site.post(
        f"/planning/copie?semaine={MONDAY}", {}, "officer", form_page=page
    )

    assert copied.status_code == 303
    days = sorted(s["day"] for s in site.log.list_shifts(first_day=MONDAY))
    assert days == [MONDAY, MONDAY + timedelta(days=1)]
    assert again.status_code == 409
    assert "Rien n'a été copié" in text_of(again)
    assert len(site.log.list_shifts()) == 4


def test_the_grid_is_for_planners_only(site: Site):
    assert site.get("/planning", "mediator").status_code == 403
    assert site.get("/planning", "auditor").status_code == 403
    assert site.get("/planning", "admin").status_code == 200


def test_a_mediator_sees_their_own_week(site: Site):
    plan(site)
    plan(site, mediator="mediator-2", start="13:00", end="18:00")

    body = text_of(site.get(f"/ma-semaine?semaine={MONDAY}", "mediator"))
    bad = site.get("/ma-semaine?semaine=demain", "mediator")

    assert "09:00 \u2013 12:30" in body
    assert "13:00" not in body
    assert bad.status_code == 422


def test_the_report_page_takes_the_office_of_the_current_shift(site: Site, monkeypatch):
    at = datetime.combine(MONDAY, time(10, 0), tzinfo=PARIS)
    for clock in ("web.pages.mediator.report.now", "web.pages.home.now"):
        monkeypatch.setattr(clock, lambda: at.astimezone(UTC))
    site.log.register_user(
        actor="test",
        name="roaming",
        role="mediator",
        offices=[OFFICE, OTHER_OFFICE],
        password="mot de passe de test",
    )
    alone = text_of(site.get("/signaler", "mediator"))
    assert "Vous n'êtes sur aucun service en ce moment" in alone
    plan(site, mediator="roaming", office=OTHER_OFFICE)

    on_shift = text_of(site.get("/signaler", "roaming"))
    chosen = site.post(
        "/bureau",
        {"office": OFFICE, "next": "/signaler"},
        "roaming",
        form_page="/bureau",
    )
    changed = text_of(site.get("/signaler", "roaming"))

    def office_line(body: str) -> str:
        return body.split('class="office-line"')[1].split("</p>")[0]

    assert "Nanterre" in office_line(on_shift)
    assert "D'après votre service de 09:00 à 12:30." in on_shift
    assert chosen.status_code == 303
    assert "Colombes" in office_line(changed)
    assert "est dans un autre bureau" in changed


PAST_MONDAY = date(2026, 11, 23)


def arrange_presence(site: Site) -> None:
    for offset in range(4):  # Monday to Thursday, all day: 36 hours with.
        plan(site, day=PAST_MONDAY + timedelta(days=offset), start="09:00", end="18:00")
    for day, hour in ((0, 10), (2, 15), (4, 11)):  # the Friday without
        moment = datetime.combine(
            PAST_MONDAY + timedelta(days=day), time(hour), tzinfo=PARIS
        )
        site.report_in_log(occurred_at=moment.astimezone(UTC))


def test_the_dashboard_compares_hours_with_and_without_a_mediator(site: Site):
    arrange_presence(site)
    query = {"office": OFFICE, "from": "2026-11-23", "to": "2026-11-28"}

    body = text_of(site.get("/tableau-de-bord", "officer", query_string=query))

    assert "Colombes Aragon, du" in body
    table = body.split('id="presence-table"')[1].split("</table>")[0]
    cells = [re.sub(r"<[^>]+>", "", row).split() for row in table.split("<tr>")[2:]]
    # Opening hours: 4 x 9 h with; Friday 9 h and Saturday 3.5 h without.
    assert cells[0][:4] == ["Avec", "médiateur", "36.0", "2"]
    assert cells[1][:6] == ["Sans", "médiateur", "12.5", "1", "trop", "peu"]
    assert 'aria-label="Incidents pour 10 heures d\'ouverture"' in body
    assert "un taux n'est donné qu'à partir de 20 heures" in body
