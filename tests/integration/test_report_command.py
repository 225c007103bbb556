"""``incidents report`` writes a PDF, CSV or XLSX of offices over a period.

Run as an operator would, in a real process, on a real SQLite file filled by
``incidents demo``. The PDF's annex, the CSV and the XLSX hold the same figures;
a group of offices adds up its offices; every file made is on record.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from incidents.bootstrap import open_incident_log
from projections.queries import paris_today
from tests.api.test_report import annex, number

INCIDENTS = str(Path(sys.executable).with_name("incidents"))
OFFICE = "nanterre-centre"
OTHER_OFFICE = "nanterre-les-muguets"


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report") / "instance"
    loaded = run(folder, "demo", "--weeks", "6")
    assert loaded.returncode == 0, loaded.stderr
    return folder


def run(instance: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "INCIDENTS_INSTANCE_PATH": str(instance),
        "INCIDENTS_DATABASE_URL": f"sqlite:///{instance / 'log.sqlite3'}",
    }
    return subprocess.run(
        [INCIDENTS, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        check=False,
    )


def csv_figures(path: Path) -> dict[str, float | str]:
    text = path.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows[0] == ["key", "label", "value"]
    return {row[0]: number(row[2] or "—") for row in rows[1:]}


def downloads(instance: Path) -> list[dict[str, object]]:
    log = open_incident_log(f"sqlite:///{instance / 'log.sqlite3'}")
    try:
        return log.list_downloads()
    finally:
        log.close()


def period() -> list[str]:
    today = paris_today()
    return ["--from", str(today - timedelta(days=27)), "--to", str(today)]


def test_the_pdf_csv_and_xlsx_hold_the_same_figures(instance: Path, tmp_path: Path):
    written = {
        kind: run(
            instance,
            "report",
            "--office",
            OFFICE,
            *period(),
            "--output",
            str(tmp_path / f"report.{kind}"),
        )
        for kind in ("pdf", "csv", "xlsx")
    }

    for kind, done in written.items():
        assert done.returncode == 0, done.stderr
        assert f"Wrote {tmp_path / f'report.{kind}'}" in done.stdout
    figures = csv_figures(tmp_path / "report.csv")
    assert figures["incidents.total"] > 0  # the demo's weeks are in the period
    reader = PdfReader(tmp_path / "report.pdf")
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert annex(text) == figures
    sheet = load_workbook(tmp_path / "report.xlsx").active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert {
        row[0]: number(str(row[2])) if row[2] is not None else "—" for row in rows[1:]
    } == figures
    recorded = downloads(instance)[-3:]
    assert [(item["what"], item["channel"]) for item in recorded] == [
        ("report.pdf", "cli"),
        ("report.csv", "cli"),
        ("report.xlsx", "cli"),
    ]
    assert str(recorded[0]["actor"]).startswith("cli")


def test_a_group_of_offices_adds_up_its_offices(instance: Path, tmp_path: Path):
    for name, offices in (
        ("one", [OFFICE]),
        ("other", [OTHER_OFFICE]),
        ("both", [OFFICE, OTHER_OFFICE]),
    ):
        options = [part for code in offices for part in ("--office", code)]
        done = run(
            instance,
            "report",
            *options,
            *period(),
            "--output",
            str(tmp_path / f"{name}.csv"),
        )
        assert done.returncode == 0, done.stderr
    one, other, both = (
        csv_figures(tmp_path / f"{name}.csv") for name in ("one", "other", "both")
    )

    for key in ("incidents.total", "incidents.by_category.waiting_time"):
        assert both[key] == float(one[key]) + float(other[key])
    assert both["incidents.total"] > one["incidents.total"]


def test_as_of_before_anything_was_recorded_the_report_is_empty(
    instance: Path, tmp_path: Path
):
    before = (datetime.now(UTC) - timedelta(days=400)).isoformat()
    done = run(
        instance,
        "report",
        "--office",
        OFFICE,
        *period(),
        "--as-of",
        before,
        "--lang",
        "en",
        "--output",
        str(tmp_path / "then.pdf"),
    )

    assert done.returncode == 0, done.stderr
    text = "\n".join(
        page.extract_text() for page in PdfReader(tmp_path / "then.pdf").pages
    )
    assert "As the log knew it on" in text
    assert annex(text)["incidents.total"] == 0


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (["--office", "nowhere", "--output", "{out}/x.pdf"], "no office nowhere"),
        (["--office", OFFICE, "--output", "{out}/x.doc"], ".pdf, .csv or .xlsx"),
        (["--office", OFFICE, "--output", "{out}/missing/x.pdf"], "does not exist"),
        (
            ["--office", OFFICE, "--from", "2026-11-01", "--output", "{out}/x.pdf"],
            "Give both from and to",
        ),
        (
            [
                "--office",
                OFFICE,
                *("--from", "2025-01-01", "--to", "2026-06-30"),
                "--output",
                "{out}/x.pdf",
            ],
            "a year at most",
        ),
        (
            [
                "--office",
                OFFICE,
                "--as-of",
                "2026-11-01T10:00",
                "--output",
                "{out}/x.pdf",
            ],
            "time zone",
        ),
    ],
)
def test_a_bad_request_writes_no_file_and_records_nothing(
    instance: Path, tmp_path: Path, arguments: list[str], said: str
):
    before = len(downloads(instance))

    refused = run(
        instance, "report", *(part.format(out=tmp_path) for part in arguments)
    )

    assert refused.returncode in (1, 2), refused.stdout
    assert said in refused.stderr
    assert "Traceback" not in refused.stderr
    assert list(tmp_path.iterdir()) == []
    assert len(downloads(instance)) == before
