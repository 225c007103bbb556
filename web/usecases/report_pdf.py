"""Write a report's figures as a printable PDF: our HTML template, then WeasyPrint.

The page is made by the same Jinja templates and SVG charts as the dashboard
(:mod:`web.usecases.charts`), in the report's language, then laid out by
WeasyPrint with the fonts installed on the machine (Debian's DejaVu): nothing is
fetched, neither a font nor an image, since every URL is refused.

WeasyPrint is loaded when the first PDF is made, not when the service starts:
a machine without pango (Debian's ``libpango-1.0-0``) serves everything but the
PDF, which it refuses saying what to install.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup

from incidents.errors import IncidentsError
from incidents.vocabulary import EscalationTarget, Outcome, Severity, Technique, Trigger
from web.usecases import charts, spreadsheets
from web.usecases.formatting import day_text, hours_text, percent_text, when
from web.usecases.labels import label
from web.usecases.reports import ReportScope
from web.usecases.weekly import weekly_chart

PDF_TYPE = "application/pdf"
PANGO_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core"


class PdfUnavailableError(IncidentsError):
    """Say that this machine cannot lay out a PDF, and what it lacks."""


def check_pdf_available() -> None:
    """Refuse at once, before anything is recorded, when no PDF can be made."""
    _weasyprint()


def pdf_bytes(figures: dict[str, Any], scope: ReportScope) -> bytes:
    """Return the report as a PDF file."""
    page = report_html(figures, scope)
    weasyprint = _weasyprint()
    fetcher: Any = weasyprint.urls.URLFetcher

    class NothingFetched(fetcher):  # type: ignore[misc]
        """Refuse every URL: a report embeds all it shows."""

        def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> Any:
            raise ValueError(f"A report fetches nothing: {url[:80]}")

    document = weasyprint.HTML(string=page, base_url=None, url_fetcher=NothingFetched())
    written: bytes = document.write_pdf()
    return written


def _weasyprint() -> Any:
    try:
        import weasyprint
        import weasyprint.urls
    except OSError as error:  # pango's shared libraries are missing
        raise PdfUnavailableError(
            "This server cannot make PDF files: install Debian's "
            f"{PANGO_PACKAGES} ({error})."
        ) from None
    return weasyprint


def report_html(figures: dict[str, Any], scope: ReportScope) -> str:
    """Return the report's HTML page, in the report's language."""
    with force_locale(scope.language):
        return render_template(
            "reports/report.html",
            report=figures,
            language=scope.language,
            charts=report_charts(figures),
            key_figures=key_figures(figures),
            every_figure=spreadsheets.summary_rows(figures["summary"], scope.language),
            label=label,
            day_text=day_text,
            when=when,
            hours_text=hours_text,
            percent_text=percent_text,
            plain_number=charts.plain_number,
        )


def key_figures(figures: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """Return the figures compared over three periods: a label and three values."""
    rows: list[tuple[str, Callable[[dict[str, Any]], object]]] = [
        (_("Incidents"), lambda s: s["incidents"]["total"]),
        (_("dont graves (gravité 3 ou 4)"), _severe),
        (_("encore ouverts"), lambda s: s["incidents"]["open"]),
        (_("Désescalades tentées"), lambda s: s["de_escalations"]["total"]),
        (
            _("Part apaisée"),
            lambda s: percent_text(s["de_escalations"]["calmed_rate"]),
        ),
        (
            _("Escalades"),
            lambda s: sum(s["escalations"]["by_target"].values()),
        ),
        (_("Suivis faits"), lambda s: s["follow_ups"]["completed"]),
        (_("Suivis ouverts"), lambda s: s["follow_ups"]["open"]),
        (_("dont en retard"), lambda s: s["follow_ups"]["overdue"]),
        (
            _("Délai médian de clôture"),
            lambda s: hours_text(s["time_to_close_hours"]["median"]),
        ),
    ]
    periods = (figures["summary"], figures["previous"], figures["last_year"])
    return [(name, [str(value(period)) for period in periods]) for name, value in rows]


def report_charts(figures: dict[str, Any]) -> dict[str, Markup]:
    """Draw the report's charts (SVG), each with its figures written on it."""
    incidents = figures["summary"]["incidents"]
    de_escalations = figures["summary"]["de_escalations"]
    hours = figures["by_hour"]
    return {
        "weekly": weekly_chart(figures["weeks"], chart_id="report-weekly"),
        "category": _breakdown(
            _("Par catégorie"), "category", incidents["by_category"], 0
        ),
        "severity": _breakdown(
            _("Par gravité"),
            "severity",
            {
                str(level.value): incidents["by_severity"][str(level.value)]
                for level in Severity
            },
            1,
        ),
        "trigger": _breakdown(
            _("Par déclencheur"),
            "trigger",
            {code.value: incidents["by_trigger"][code.value] for code in Trigger},
            3,
        ),
        "hour": charts.stacked_bar_chart(
            _("Incidents par heure de la journée"),
            [f"{hour}h" for hour in range(24)],
            [
                charts.Series(
                    _("Incidents"),
                    [hours[str(hour)] for hour in range(24)],
                    charts.PALETTE[0],
                )
            ],
            chart_id="report-hours",
            empty_text=_("Aucun incident sur la période."),
        ),
        "techniques": _breakdown(
            _("Techniques employées"),
            "technique",
            {code.value: figures["techniques"][code.value] for code in Technique},
            4,
        ),
        "outcomes": _breakdown(
            _("Issue des désescalades"),
            "outcome",
            {code.value: de_escalations["by_outcome"][code.value] for code in Outcome},
            2,
        ),
        "escalations": _breakdown(
            _("Escalades par destinataire"),
            "escalation_target",
            {
                code.value: figures["summary"]["escalations"]["by_target"][code.value]
                for code in EscalationTarget
            },
            5,
        ),
    }


def _severe(summary: dict[str, Any]) -> int:
    by_severity = summary["incidents"]["by_severity"]
    return sum(
        by_severity[str(level.value)] for level in Severity if level >= Severity.SERIOUS
    )


def _breakdown(title: str, kind: str, counts: Mapping[str, int], colour: int) -> Markup:
    return charts.bar_chart(
        title,
        [(label(kind, code), count) for code, count in counts.items()],
        chart_id=f"report-{kind}",
        colour=charts.PALETTE[colour],
    )
