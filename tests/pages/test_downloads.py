"""The officer takes the list and the dashboard's figures away, as CSV or XLSX.

The links keep the page's filters; each file holds what the page shows (the
whole list, not one page), and each download is recorded with its channel.
"""

from __future__ import annotations

import csv
import html
import io
import re

from openpyxl import load_workbook
from pypdf import PdfReader

from projections.notifications.digests import DigestPeriod, report_path
from projections.queries import paris_today
from tests.pages.conftest import OFFICE, OTHER_OFFICE, Site
from web.pages.officer.dashboard import default_range
from web.usecases.reports import last_month

LINK = re.compile(r'href="([^"]+\.(?:csv|xlsx)[^"]*)"')


def links(body: str) -> dict[str, str]:
    found = [html.unescape(href) for href in LINK.findall(body)]
    return {href.split("?")[0].rsplit(".", 1)[1]: href for href in found}


def rows_of(body: bytes) -> list[list[str]]:
    text = body.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def test_the_list_offers_the_whole_filtered_list_as_files(site: Site):
    kept = [site.report_in_log(category="theft") for _ in range(3)]
    site.report_in_log(category="threat")
    site.report_in_log(OTHER_OFFICE, actor="test", category="theft")

    page = site.get("/incidents?category=theft&page=1", "officer")
    offered = links(page.get_data(as_text=True))

    assert set(offered) == {"csv", "xlsx"}
    assert "category=theft" in offered["csv"]
    assert "page=" not in offered["csv"]
    sheet = site.get(offered["csv"], "officer")
    assert sheet.status_code == 200
    assert (
        sheet.headers["Content-Disposition"] == 'attachment; filename="incidents.csv"'
    )
    rows = rows_of(sheet.data)
    assert sorted(row[0] for row in rows[1:]) == sorted(map(str, kept))
    workbook = site.get(offered["xlsx"], "officer")
    book = load_workbook(io.BytesIO(workbook.data)).active
    assert book is not None
    assert book.max_row == 4  # the header and the three thefts


def test_the_dashboard_offers_its_figures_in_the_pages_language(site: Site):
    site.report_in_log(category="theft")
    from_, _ = default_range(paris_today())

    page = site.get("/tableau-de-bord", "officer")
    offered = links(page.get_data(as_text=True))
    sheet = site.get(offered["csv"], "officer")

    assert f"from={from_.isoformat()}" in offered["csv"]
    assert sheet.headers["Content-Disposition"] == (
        f'attachment; filename="summary-{OFFICE}.csv"'
    )
    figures = {row[0]: row for row in rows_of(sheet.data)[1:]}
    assert figures["incidents.total"][2] == "1"
    assert figures["incidents.by_category.theft"][1] == (
        "Incidents par catégorie : Vol ou tentative"
    )


def test_downloads_are_recorded_and_stay_in_scope(site: Site):
    site.report_in_log(category="theft")

    site.get("/incidents.csv?category=theft", "officer")
    outside = site.get(f"/tableau-de-bord.csv?office={OTHER_OFFICE}", "officer")
    backwards = site.get("/incidents.xlsx?from=2026-02-01&to=2026-01-01", "officer")
    anonymous = site.get("/incidents.csv", None)

    assert outside.status_code == 422
    assert backwards.status_code == 422
    assert anonymous.status_code in (302, 401)
    with site.app.app_context():
        downloads = site.log.list_downloads()
    assert [(d["actor"], d["what"], d["channel"]) for d in downloads] == [
        ("officer", "incidents.csv", "page")
    ]
    assert downloads[0]["parameters"] == {"category": "theft"}


def test_the_dashboard_offers_its_report_and_last_months(site: Site):
    site.report_in_log(category="theft", severity=4, summary="Vol au guichet.")
    from_, to = default_range(paris_today())

    page = site.get("/tableau-de-bord", "officer").get_data(as_text=True)
    reports = {
        identifier: html.unescape(href)
        for href, identifier in re.findall(
            r'href="([^"]+rapport\.pdf[^"]*)"[^>]*id="(report-[a-z-]+)"', page
        )
    }

    assert set(reports) == {"report-pdf", "report-last-month"}
    assert f"from={from_.isoformat()}" in reports["report-pdf"]
    assert f"to={to.isoformat()}" in reports["report-pdf"]
    first, last = last_month(paris_today())
    assert (
        f"from={first.isoformat()}&to={last.isoformat()}"
        in reports["report-last-month"]
    )
    document = site.get(reports["report-pdf"], "officer")
    assert document.status_code == 200
    assert document.headers["Content-Type"] == "application/pdf"
    text = "\n".join(
        page.extract_text() for page in PdfReader(io.BytesIO(document.data)).pages
    )
    assert "Vol au guichet." in text
    assert "Rapport de médiation" in text  # the page's language: French
    with site.app.app_context():
        downloads = site.log.list_downloads()
    assert [(d["what"], d["channel"]) for d in downloads] == [("report.pdf", "page")]


def test_no_report_of_an_office_outside_the_officers(site: Site):
    outside = site.get(f"/tableau-de-bord/rapport.pdf?office={OTHER_OFFICE}", "officer")

    assert outside.status_code == 422
    with site.app.app_context():
        assert site.log.list_downloads() == []


def test_the_monthly_digests_link_opens_the_report(site: Site):
    site.report_in_log(category="theft")
    first, last = last_month(paris_today())

    document = site.get(
        report_path(OFFICE, DigestPeriod("monthly", first, last)), "officer"
    )

    assert document.status_code == 200
    assert document.headers["Content-Disposition"] == (
        f'attachment; filename="report-{OFFICE}-{first}-{last}.pdf"'
    )
