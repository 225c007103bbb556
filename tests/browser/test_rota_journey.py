"""The rota in Chromium: an officer plans a week on the grid; a mediator on
shift finds the report page on their phone set to the shift's office."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from playwright.sync_api import expect

from incidents.application import PlannedShift
from tests.browser.conftest import DESKTOP, LiveSite
from tests.pages.conftest import OFFICE, OTHER_OFFICE
from web.usecases.rota import PARIS, monday_of

MONDAY = monday_of(date.today()) + timedelta(days=7)


def test_an_officer_plans_a_week_on_the_grid(live_site: LiveSite):
    live_site.log.plan_shift(
        actor="admin",
        plan=PlannedShift(
            mediator="mediator-2",
            office=OFFICE,
            day=MONDAY - timedelta(days=6),
            start="13:30",
            end="18:00",
        ),
    )
    page = live_site.open("officer", viewport=DESKTOP)

    page.goto(f"/planning?semaine={MONDAY}")
    expect(page.locator("#gap-count")).to_contain_text("6 trous")
    form = page.locator("#plan-form")
    form.get_by_label("Médiateur").select_option("mediator")
    form.locator("#day").select_option(MONDAY.isoformat())
    form.locator("#start").fill("09:00")
    form.locator("#end").fill("12:30")
    page.get_by_role("button", name="Planifier", exact=True).click()

    expect(page.get_by_text("Service planifié.")).to_be_visible()
    monday_cell = page.locator(f'td[data-office="{OFFICE}"][data-day="{MONDAY}"]')
    expect(monday_cell).to_contain_text("mediator 09:00")
    expect(page.locator("#gap-count")).to_contain_text("5 trous")

    page.get_by_role("button", name="Copier la semaine précédente").click()
    expect(page.get_by_text("1 service copié")).to_be_visible()
    tuesday = MONDAY + timedelta(days=1)
    expect(
        page.locator(f'td[data-office="{OFFICE}"][data-day="{tuesday}"]')
    ).to_contain_text("mediator-2 13:30")
    expect(page.locator("#gap-count")).to_contain_text("4 trous")
    live_site.screenshot(page, "officer-week-plan")


def test_a_mediator_on_shift_reports_in_the_shift_office_on_a_phone(
    live_site: LiveSite, monkeypatch: pytest.MonkeyPatch
):
    at = datetime.combine(MONDAY, time(10, 0), tzinfo=PARIS).astimezone(UTC)
    for clock in ("web.pages.mediator.report.now", "web.pages.home.now"):
        monkeypatch.setattr(clock, lambda: at)
    live_site.log.change_offices(
        "mediator", actor="test", offices=[OFFICE, OTHER_OFFICE]
    )
    live_site.log.plan_shift(
        actor="admin",
        plan=PlannedShift(
            mediator="mediator",
            office=OTHER_OFFICE,
            day=MONDAY,
            start="09:00",
            end="12:30",
        ),
    )
    page = live_site.open("mediator")

    page.goto("/signaler")

    assert page.url.endswith("/signaler")  # no office to choose first
    expect(page.get_by_text("Bureau : Nanterre Centre")).to_be_visible()
    expect(page.locator("#shift-line")).to_contain_text(
        "D'après votre service de 09:00 à 12:30."
    )
    live_site.screenshot(page, "mediator-report-on-shift")
    # Still changeable: another office chosen now holds for this shift.
    page.get_by_role("link", name="changer de bureau").click()
    page.get_by_label("Colombes Aragon").check()
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url("**/signaler")
    expect(page.get_by_text("Bureau : Colombes Aragon")).to_be_visible()
    expect(page.locator("#shift-line")).to_contain_text("est dans un autre bureau")


def test_the_dashboard_draws_the_presence_chart_beside_its_table(
    live_site: LiveSite,
):
    first = date(2026, 11, 2)  # four weeks, Monday to Saturday
    for offset in range(26):
        day = first + timedelta(days=offset)
        if day.weekday() < 3:  # Mondays to Wednesdays, all day
            live_site.log.plan_shift(
                actor="admin",
                plan=PlannedShift(
                    mediator="mediator",
                    office=OFFICE,
                    day=day,
                    start="09:00",
                    end="18:00",
                ),
            )
        for hour in (10, 15):
            moment = datetime.combine(day, time(hour), tzinfo=PARIS)
            if day.weekday() < 5:
                live_site.log.report_incident(
                    actor="mediator",
                    office=OFFICE,
                    occurred_at=moment.astimezone(UTC),
                    category="waiting_time",
                    severity=1,
                    target="staff",
                    summary="Attente longue au guichet.",
                )
    live_site.wait_for_read_models()
    page = live_site.open("officer", viewport=DESKTOP)

    page.goto(f"/tableau-de-bord?office={OFFICE}&from=2026-11-02&to=2026-11-28")

    chart = page.get_by_role("img", name="Incidents pour 10 heures d'ouverture")
    expect(chart).to_be_visible()
    expect(chart.locator("text", has_text="Avec médiateur")).to_have_count(1)
    expect(chart.locator("text", has_text="Sans médiateur")).to_have_count(1)
    table = page.locator("#presence-table")
    # 12 days of 9 h with; 8 weekdays of 9 h and 4 Saturdays of 3.5 h without.
    expect(table.locator("tr", has_text="Avec médiateur")).to_contain_text("108.0")
    expect(table.locator("tr", has_text="Sans médiateur")).to_contain_text("86.0")
    page.locator("#presence-heading").scroll_into_view_if_needed()
    live_site.screenshot(page, "officer-presence-impact")
