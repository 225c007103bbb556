"""The incident list and an office's figures as CSV and XLSX, each download recorded.

The files are read back as a spreadsheet program would (``csv`` with ``;``,
openpyxl), and compared with what the JSON API answers for the same question.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.api.conftest import (
    OFFICE,
    OTHER_OFFICE,
    PHONE,
    Api,
    assert_error,
    summary_leaves,
)
from web.api.schemas import IncidentListItemSchema
from web.usecases.spreadsheets import LIST_COLUMNS

# Summaries are stripped of leading blanks: tabs and carriage returns are
# checked in tests/unit/test_spreadsheets.py.
HOSTILE = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)"]


def read_csv(body: bytes) -> list[list[str]]:
    assert body.startswith("\ufeff".encode())
    text = body.decode("utf-8-sig")
    assert "\r\n" in text
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def read_xlsx(body: bytes) -> list[list[Any]]:
    sheet = load_workbook(io.BytesIO(body)).active
    assert sheet is not None
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.value  # never a formula
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def as_text(value: Any) -> str:
    return "" if value is None else str(value)


def as_number(value: Any) -> float | None:
    """Return a figure as a number, whether it was written as text or not."""
    return None if value in (None, "") else float(value)


def test_the_columns_are_the_fields_of_a_list_item():
    assert set(LIST_COLUMNS) == set(IncidentListItemSchema().fields)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_incident_list_holds_every_row_the_list_gives(api: Api, kind: str):
    for severity in (1, 2, 3):
        api.report_in_log(category="theft", severity=severity)
    api.report_in_log(category="threat", severity=3)
    api.report_in_log(OTHER_OFFICE, category="theft")
    query = "category=theft&page_size=2"
    listed: list[dict[str, Any]] = []
    for page in (1, 2):
        answer = api.get(f"/incidents?{query}&page={page}", "officer").get_json()
        listed += answer["items"]

    response = api.get(f"/incidents.{kind}?category=theft", "officer")

    assert response.status_code == 200, response.get_data(as_text=True)
    assert f'filename="incidents.{kind}"' in response.headers["Content-Disposition"]
    rows = read_csv(response.data) if kind == "csv" else read_xlsx(response.data)
    assert rows[0] == list(LIST_COLUMNS)
    expected = [[as_text(item[column]) for column in LIST_COLUMNS] for item in listed]
    assert [[as_text(cell) for cell in row] for row in rows[1:]] == expected
    assert len(expected) == 3  # The officer's office only, every page.


def test_a_visitors_contact_is_never_in_the_list(api: Api):
    api.report()

    for kind in ("csv", "xlsx"):
        body = api.get(f"/incidents.{kind}", "officer").data
        text = body.decode("utf-8-sig") if kind == "csv" else str(read_xlsx(body))
        assert PHONE not in text
        assert "06 12" not in text


def test_cells_that_would_be_formulas_are_neutralised(api: Api):
    for text in HOSTILE:
        api.report_in_log(summary=f"{text} au guichet")

    sheet = read_csv(api.get("/incidents.csv", "officer").data)
    workbook = read_xlsx(api.get("/incidents.xlsx", "officer").data)

    summary = LIST_COLUMNS.index("summary")
    assert sorted(row[summary] for row in sheet[1:]) == sorted(
        f"'{text} au guichet" for text in HOSTILE
    )
    # In the workbook the text stays as typed, stored as a string.
    assert sorted(row[summary] for row in workbook[1:]) == sorted(
        f"{text} au guichet" for text in HOSTILE
    )


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_summary_has_one_row_per_figure_of_the_json(api: Api, kind: str):
    incident = api.report_in_log(category="theft", severity=3)
    api.log.record_de_escalation(
        incident, actor="mediator", techniques=["active_listening"], outcome="calmed"
    )
    api.wait_for_read_models()
    summary = api.get(f"/offices/{OFFICE}/summary", "officer").get_json()

    response = api.get(f"/offices/{OFFICE}/summary.{kind}?lang=en", "officer")

    assert response.status_code == 200, response.get_data(as_text=True)
    rows = read_csv(response.data) if kind == "csv" else read_xlsx(response.data)
    assert rows[0] == ["key", "label", "value"]
    figures = {row[0]: row[2] for row in rows[1:]}
    labels = {row[0]: row[1] for row in rows[1:]}
    assert figures["incidents.total"] in ("1", 1)
    assert as_text(figures["incidents.by_category.theft"]) == as_text(
        summary["incidents"]["by_category"]["theft"]
    )
    assert as_text(figures["de_escalations.by_outcome.calmed"]) == "1"
    assert (
        labels["incidents.by_category.theft"]
        == "Incidents by category: Theft or attempted theft"
    )
    assert labels["follow_ups.overdue"] == "Follow-ups: overdue"

    expected = summary_leaves(summary)
    assert {key: as_number(value) for key, value in figures.items()} == {
        key: as_number(value) for key, value in expected.items()
    }


def test_the_summarys_labels_are_french_by_default(api: Api):
    api.report_in_log(category="theft")

    rows = read_csv(api.get(f"/offices/{OFFICE}/summary.csv", "officer").data)

    labels = {row[0]: row[1] for row in rows[1:]}
    assert labels["incidents.by_category.theft"] == (
        "Incidents par catégorie : Vol ou tentative"
    )


def test_every_download_is_recorded_for_auditors(api: Api):
    api.get("/incidents.csv?category=theft&severity=3", "officer")
    api.get(f"/offices/{OFFICE}/summary.xlsx?from=2026-11-01&lang=en", "officer")

    answer = api.get("/audit/downloads", "auditor")

    assert answer.status_code == 200, answer.get_json()
    items = answer.get_json()["items"]
    assert [(item["actor"], item["what"], item["channel"]) for item in items] == [
        ("officer", "incidents.csv", "api"),
        ("officer", "summary.xlsx", "api"),
    ]
    assert items[0]["parameters"] == {"category": "theft", "severity": "3"}
    assert items[1]["parameters"] == {
        "office": OFFICE,
        "from": "2026-11-01",
        "lang": "en",
    }
    assert_error(api.get("/audit/downloads", "officer"), 403)


def test_downloads_stay_within_the_callers_offices(api: Api):
    api.report_in_log(OTHER_OFFICE)

    assert_error(api.get(f"/incidents.csv?office={OTHER_OFFICE}", "officer"), 422)
    assert_error(api.get(f"/offices/{OTHER_OFFICE}/summary.csv", "officer"), 404)
    assert_error(api.get("/incidents.xlsx?to=2026-01-01&from=2026-02-01"), 422)
    assert_error(api.get(f"/offices/{OFFICE}/summary.csv?lang=de", "officer"), 422)
    assert_error(api.get("/incidents.csv", None), 401)
    # Refused downloads are not recorded.
    assert api.get("/audit/downloads", "auditor").get_json()["items"] == []
