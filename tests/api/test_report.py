"""The report of an office over a period as a PDF, read back with pypdf.

Its figures are compared with the office summary the JSON API answers for the
same range and time: the annex lists every figure with its key, and the key
figures compare the period with the one before and a year earlier.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pypdf import PdfReader

from projections.queries import paris_today
from tests.api.conftest import (
    OFFICE,
    OTHER_OFFICE,
    PHONE,
    SUMMARY_SECTIONS,
    Api,
    assert_error,
    summary_leaves,
)

KEY = re.compile(rf"^((?:{'|'.join(SUMMARY_SECTIONS)})\.[a-z_0-9.]+) ")
PAGE_FOOT = re.compile(r" \d+ / \d+$")


def pdf_text(body: bytes) -> str:
    assert body.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(body))
    return "\n".join(page.extract_text() for page in reader.pages)


def annex(text: str) -> dict[str, str]:
    """Return the annex's figures: each key and the value written after it."""
    figures: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text[text.index("incidents.total") :].splitlines():
        if PAGE_FOOT.search(line) or line in ("Clé Chiffre Valeur", "Key Figure Value"):
            continue  # the foot of a page, and the table's head on the next
        found = KEY.match(line)
        if found:
            current = figures[found.group(1)] = [line]
        elif current is not None:
            current.append(line)
    return {key: number(" ".join(lines).split()[-1]) for key, lines in figures.items()}


def number(text: str) -> float | str:
    """Return a figure as a number (JSON writes 0.0 where the summary has 0)."""
    try:
        return float(text)
    except ValueError:
        return text


def summary_figures(summary: dict[str, Any]) -> dict[str, float | str]:
    return {
        key: "—" if value is None else number(str(value))
        for key, value in summary_leaves(summary).items()
    }


def days_ago(days: int, hours: int = 0) -> str:
    return (datetime.now(UTC) - timedelta(days=days, hours=hours)).isoformat()


def a_month_of_work(api: Api) -> None:
    first = api.report_in_log(
        category="theft", severity=3, trigger="parcel", summary="Vol de colis."
    )
    api.log.record_de_escalation(
        first,
        actor="mediator",
        techniques=["active_listening", "explanation"],
        outcome="calmed",
    )
    second = api.report_in_log(
        category="threat", severity=4, trigger="queue", summary="Menace au guichet."
    )
    api.log.record_de_escalation(
        second, actor="mediator", techniques=["moved_aside"], outcome="not_calmed"
    )
    api.log.escalate_incident(second, actor="mediator", to="security")
    api.log.close_incident(second, actor="officer", resolution="resolved_on_site")
    api.report_in_log(category="waiting_time", severity=1, occurred_at=days_ago(3))
    api.report_in_log(
        OTHER_OFFICE, category="theft", severity=4, summary="Ailleurs, un vol."
    )
    api.wait_for_read_models()


def period() -> tuple[str, str]:
    today = paris_today()
    return (today - timedelta(days=29)).isoformat(), today.isoformat()


def test_the_pdfs_figures_are_the_summarys(any_store_api: Api):
    api = any_store_api
    a_month_of_work(api)
    start, end = period()
    query = f"from={start}&to={end}"
    summary = api.get(f"/offices/{OFFICE}/summary?{query}", "officer").get_json()

    response = api.get(f"/offices/{OFFICE}/report.pdf?{query}", "officer")

    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    assert annex(text) == summary_figures(summary)
    assert summary["incidents"]["total"] == 3  # the other office's is not counted


def test_the_key_figures_compare_with_the_month_before_and_a_year_earlier(api: Api):
    a_month_of_work(api)
    # The month before this one (a whole month, compared with the one before).
    today = paris_today()
    first = today.replace(day=1) - timedelta(days=1)
    start = first.replace(day=1)
    before = (start - timedelta(days=1)).replace(day=1)
    for days in range((first - before).days):
        when = datetime.combine(before + timedelta(days=days), datetime.min.time())
        if days % 10 == 0:
            api.report_in_log(occurred_at=when.replace(hour=12, tzinfo=UTC).isoformat())
    in_range = f"from={start}&to={first}"
    earlier = f"from={before}&to={start - timedelta(days=1)}"
    now = api.get(f"/offices/{OFFICE}/summary?{in_range}", "officer").get_json()
    then = api.get(f"/offices/{OFFICE}/summary?{earlier}", "officer").get_json()

    text = pdf_text(api.get(f"/offices/{OFFICE}/report.pdf?{in_range}", "officer").data)

    line = next(line for line in text.splitlines() if line.startswith("Incidents "))
    assert line.split()[1:] == [
        str(now["incidents"]["total"]),
        str(then["incidents"]["total"]),
        "0",
    ]
    assert then["incidents"]["total"] > 0


def test_as_of_a_past_time_the_report_is_the_summary_then(api: Api):
    incident = api.report_in_log(category="theft", severity=1)
    moment = datetime.now(UTC).isoformat()
    api.log.reassess_severity(
        incident, actor="officer", severity=4, reason="Blessure constatée."
    )
    api.log.record_de_escalation(
        incident, actor="mediator", techniques=["active_listening"], outcome="calmed"
    )
    api.report_in_log(category="threat", severity=3)
    start, end = period()
    query = f"from={start}&to={end}&as_of={moment.replace('+00:00', 'Z')}"
    then = api.get(f"/offices/{OFFICE}/summary?{query}", "officer").get_json()

    text = pdf_text(api.get(f"/offices/{OFFICE}/report.pdf?{query}", "officer").data)

    assert annex(text) == summary_figures(then)
    assert then["incidents"]["total"] == 1
    assert "Aucun incident grave sur la période." in text
    assert "Écoute active\n0" in text  # the de-escalation came later
    now = pdf_text(
        api.get(f"/offices/{OFFICE}/report.pdf?from={start}&to={end}", "officer").data
    )
    assert "Écoute active\n1" in now


def test_the_report_counts_techniques_and_hours_and_lists_severe_incidents(api: Api):
    a_month_of_work(api)
    start, end = period()

    text = pdf_text(
        api.get(f"/offices/{OFFICE}/report.pdf?from={start}&to={end}", "officer").data
    )

    assert "Écoute active\n1" in text
    assert "Mise à l'écart\n1" in text
    # Both severe incidents, with their summary; the office's only.
    assert "Vol de colis." in text
    assert "Menace au guichet." in text
    assert "Ailleurs" not in text


def test_the_report_never_holds_a_contact_and_speaks_english(api: Api):
    api.report(severity=4, contact={"phone": PHONE, "email": "x@example.org"})
    start, end = period()

    response = api.get(
        f"/offices/{OFFICE}/report.pdf?from={start}&to={end}&lang=en", "officer"
    )

    text = pdf_text(response.data)
    assert PHONE not in text
    assert "example.org" not in text
    assert "Key figures" in text
    assert "Severe incidents" in text


def test_without_a_range_the_report_is_last_months(api: Api):
    response = api.get(f"/offices/{OFFICE}/report.pdf", "officer")

    assert response.status_code == 200
    today = paris_today()
    last = today.replace(day=1) - timedelta(days=1)
    assert (
        f"-{last.replace(day=1)}-{last}.pdf" in response.headers["Content-Disposition"]
    )
    downloads = api.get("/audit/downloads", "auditor").get_json()["items"]
    assert downloads[-1]["what"] == "report.pdf"
    assert downloads[-1]["parameters"] == {
        "office": OFFICE,
        "from": str(last.replace(day=1)),
        "to": str(last),
        "lang": "fr",
    }


@pytest.mark.parametrize(
    ("query", "who", "status"),
    [
        ("", None, 401),
        ("?from=2026-11-01", "officer", 422),
        ("?from=2026-11-02&to=2026-11-01", "officer", 422),
        ("?from=2025-01-01&to=2026-11-01", "officer", 422),
        ("?lang=de", "officer", 422),
    ],
)
def test_a_bad_request_is_refused_and_not_recorded(
    api: Api, query: str, who: str | None, status: int
):
    assert_error(api.get(f"/offices/{OFFICE}/report.pdf{query}", who), status)
    assert api.get("/audit/downloads", "auditor").get_json()["items"] == []


def test_an_officer_gets_no_report_of_another_office(api: Api):
    assert_error(api.get(f"/offices/{OTHER_OFFICE}/report.pdf", "officer"), 404)
    assert api.get(f"/offices/{OTHER_OFFICE}/report.pdf", "auditor").status_code == 200


def test_without_pango_the_pdf_is_refused_before_anything_is_recorded(
    api: Api, monkeypatch: pytest.MonkeyPatch
):
    import builtins

    real_import = builtins.__import__

    def no_pango(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("weasyprint"):
            raise OSError("cannot load library 'libpango-1.0-0'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pango)

    refused = assert_error(api.get(f"/offices/{OFFICE}/report.pdf", "officer"), 503)

    assert "libpango-1.0-0" in refused["message"]
    monkeypatch.undo()
    assert api.get("/audit/downloads", "auditor").get_json()["items"] == []
    # Everything else is served.
    assert api.get(f"/offices/{OFFICE}/summary.csv", "officer").status_code == 200
