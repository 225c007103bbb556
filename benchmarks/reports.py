"""Measure making the monthly report, against the office summary it is built on.

Usage: python -m benchmarks.reports [--events N ...] [--database-url URL]
       [--repeat 5]

For each size, the script writes a history of about N events (the read-model
benchmark's: ten offices, 250 events a day, ending now) into a fresh SQLite
file (or the PostgreSQL database given, which must be empty), rebuilds the read
models, then times in one process, interleaved ``--repeat`` times:

- summary: ``office_summary`` of one office over last month, the query the
  dashboard makes (the floor);
- figures: every figure of that office's report (three summaries, weeks, hours,
  techniques, presence, severe incidents read from the log);
- pdf: the same figures laid out as a PDF (template, charts, WeasyPrint);
- pdf-year: one office over the last twelve months;
- pdf-all: the ten offices together over last month.

Medians are printed as JSON, with the process's peak resident memory. Compare
the sizes side by side: a report reads the offices' incidents of its period
(through the (office, occurred_on) index), never the whole history.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

CASES = ["summary", "figures", "pdf", "pdf-year", "pdf-all"]


def measure(database_url: str, repeat: int) -> dict[str, Any]:
    """Time each case ``repeat`` times, interleaved; return medians in ms."""
    from incidents.application.offices import load_default_offices
    from incidents.bootstrap import open_incident_log
    from projections.queries import paris_today
    from web import create_app, get_read_models
    from web.usecases import report_pdf, reports

    log = open_incident_log(database_url)
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "INCIDENT_LOG": log,
            "FOLLOW_LOG": False,
            "SECRET_KEY": "bench",
        }
    )
    offices = [office["code"] for office in load_default_offices()]
    first, last = reports.last_month(paris_today())
    year_from = last - timedelta(days=364)

    def scope(codes: list[str], start: Any = first) -> reports.ReportScope:
        return reports.report_scope(
            codes, from_=start, to=last, as_of=None, language="fr"
        )

    def run(case: str, office: str) -> None:
        if case == "summary":
            get_read_models().office_summary(office, from_=first, to=last)
        elif case == "figures":
            reports.report_figures(scope([office]))
        elif case == "pdf":
            chosen = scope([office])
            report_pdf.pdf_bytes(reports.report_figures(chosen), chosen)
        elif case == "pdf-year":
            chosen = scope([office], year_from)
            report_pdf.pdf_bytes(reports.report_figures(chosen), chosen)
        else:
            chosen = scope(offices)
            report_pdf.pdf_bytes(reports.report_figures(chosen), chosen)

    timings: dict[str, list[float]] = {case: [] for case in CASES}
    with app.app_context():
        run("pdf", offices[0])  # warm: templates, fonts, catalog
        for round_ in range(repeat):
            office = offices[round_ % len(offices)]
            for case in CASES:
                started = time.perf_counter()
                run(case, office)
                timings[case].append((time.perf_counter() - started) * 1000)
        incidents = get_read_models().office_summary(offices, from_=first, to=last)[
            "incidents"
        ]["total"]
    log.close()
    return {
        "median_ms": {
            case: round(statistics.median(times), 1) for case, times in timings.items()
        },
        "incidents_last_month_all_offices": incidents,
        "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def prepare(database_url: str, events: int) -> dict[str, float]:
    """Write the history and rebuild the read models; return how long each took."""
    from benchmarks.readmodels import populate
    from incidents.bootstrap import open_incident_log
    from projections.projector import Projector
    from projections.replay import rebuild

    started = time.perf_counter()
    size = populate(database_url, events)
    written = time.perf_counter()
    log = open_incident_log(database_url, load_offices=False)
    rebuild(Projector(log))
    log.close()
    return {
        "events": size,
        "write_s": round(written - started, 1),
        "rebuild_s": round(time.perf_counter() - written, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--database-url", help="an empty PostgreSQL database")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--measure-only", metavar="URL", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.measure_only:
        print(json.dumps(measure(arguments.measure_only, arguments.repeat)))
        return
    for events in arguments.events:
        with tempfile.TemporaryDirectory() as folder:
            url = arguments.database_url or f"sqlite:///{Path(folder) / 'log.sqlite3'}"
            figures: dict[str, Any] = prepare(url, events)
            # Measured in a process of its own: its peak memory is the report's.
            measured = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "benchmarks.reports",
                    "--measure-only",
                    url,
                    "--repeat",
                    str(arguments.repeat),
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            figures.update(json.loads(measured.stdout.splitlines()[-1]))
            print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
