"""Input out of range on the pages: a clear 4xx page, never a 500, nothing written.

Days, instants, page numbers and positions far outside what anyone means
(year 1, year 9999, thirty digits) once reached the read models or the log
and overflowed there.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.pages.conftest import Site

HUGE = "9" * 30


def head(site: Site) -> int:
    return site.log.recorder.max_notification_id() or 0


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("officer", "/tableau-de-bord?from=9999-12-20&to=9999-12-31"),
        ("officer", "/tableau-de-bord?as_of=0001-01-01T00:00:00"),
        ("officer", "/tableau-de-bord?as_of=9999-12-31T23:59:59-12:00"),
        ("officer", "/tableau-de-bord?as_of_date=0001-01-01&as_of_time=00:00"),
        ("officer", "/incidents?from=0001-01-01&to=9999-12-31"),
        ("officer", f"/incidents?page={HUGE}"),
        ("officer", f"/chronologie?page={HUGE}"),
        ("officer", "/chronologie?as_of=0001-01-01T00:00:00"),
        ("officer", "/chronologie?from=0001-01-01&to=9999-12-31"),
        ("auditor", f"/audit?depuis={HUGE}"),
        ("auditor", f"/audit/consultations?apres={HUGE}"),
        ("auditor", "/audit/consultations?apres=9223372036854775808"),
    ],
)
def test_a_filter_out_of_range_is_refused_with_422(site: Site, who: str, path: str):
    response = site.get(path, who)

    assert response.status_code == 422
    assert response.mimetype == "text/html"


@pytest.mark.parametrize(
    "query",
    [
        "as_of=0001-01-01T00:00:00",
        "as_of_date=0001-01-01&as_of_time=00:00",
        "as_of_date=9999-12-31",
    ],
)
def test_an_incident_as_of_a_time_out_of_range_is_refused(site: Site, query: str):
    incident_id = site.report_in_log()

    response = site.get(f"/incidents/{incident_id}?{query}", "officer")

    assert response.status_code == 422
    assert "Donnez une date entre 1900 et 2999." in response.get_data(as_text=True)


def test_a_report_out_of_the_calendar_is_refused_and_not_stored(site: Site):
    before = head(site)

    response = site.post(
        "/signaler",
        {
            "category": "threat",
            "severity": "1",
            "target": "staff",
            "summary": "Menace au guichet.",
            "occurred_at": "0001-01-01T00:00",
        },
    )

    assert response.status_code == 422
    assert "Donnez une date entre 1900 et 2999." in response.get_data(as_text=True)
    assert head(site) == before


def test_an_amendment_out_of_the_calendar_is_refused_and_not_stored(site: Site):
    incident_id = site.report_in_log()
    incident = site.log.get_incident(incident_id)
    before = head(site)
    path = f"/incidents/{incident_id}/rectification"

    response = site.post(
        path,
        {
            "rectification-expected_version": incident["version"],
            "rectification-category": incident["category"],
            "rectification-target": incident["target"],
            "rectification-trigger": "",
            "rectification-occurred_at": "0001-01-01T00:00",
            "rectification-summary": incident["summary"],
            "rectification-reason": "Mauvaise date",
        },
        who="officer",
    )

    assert response.status_code == 422
    assert head(site) == before


def test_a_follow_up_due_after_the_calendar_is_refused_and_not_stored(site: Site):
    incident_id = site.report_in_log()
    before = head(site)
    path = f"/incidents/{incident_id}/suivis"
    data: dict[str, Any] = {
        "kind": "manager_report",
        "due_on": "9999-12-31",
        "version": site.log.get_incident(incident_id)["version"],
    }

    response = site.post(path, data)

    assert response.status_code == 422
    assert "Donnez une date entre 1900 et 2999." in response.get_data(as_text=True)
    assert head(site) == before


@pytest.mark.parametrize("version", ["²", "1" + "0" * 5000, "", "-1", "x"])
def test_a_version_that_is_no_whole_number_is_refused_with_400(
    site: Site, version: str
):
    incident_id = site.report_in_log()
    before = head(site)

    response = site.post(
        f"/incidents/{incident_id}/desescalade",
        {"techniques": "explanation", "outcome": "calmed", "version": version},
    )

    assert response.status_code == 400
    assert head(site) == before
