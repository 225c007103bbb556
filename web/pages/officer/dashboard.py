"""The dashboard: an office's figures and charts over a range of weeks."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import abort, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import SelectField

from incidents.permissions import Action
from incidents.vocabulary import Outcome, Severity
from projections.queries import paris_today
from web.pages.auth import allowed, signed_in_person
from web.pages.home import chosen_office, covered_offices
from web.pages.officer.blueprint import attachment, bp, render_filtered
from web.pages.officer.filters import AsOfFields, day_field, office_choices, valid_range
from web.usecases import charts, downloads
from web.usecases.labels import label
from web.usecases.read_your_writes import fresh_read_models
from web.usecases.reports import last_month, report_scope
from web.usecases.rota import presence_impact
from web.usecases.weekly import Week, weekly_chart, weekly_counts

WEEKS_SHOWN = 12  # The dashboard's default range: this week and the 11 before.
MAX_RANGE_DAYS = 366  # At most a year, so at most 54 weeks (Monday to Sunday).


class DashboardFilter(AsOfFields):
    office = SelectField(_l("Bureau"), validate_choice=True)
    from_ = day_field(_l("Du"), name="from")
    to = day_field(_l("Au"))


def dashboard_charts(summary: dict[str, Any], weeks: list[Week]) -> dict[str, Markup]:
    """Draw the dashboard's three charts from a summary and its weeks."""
    incidents = summary["incidents"]
    outcomes = summary["de_escalations"]["by_outcome"]
    weekly = weekly_chart(weeks)
    severity = charts.bar_chart(
        _("Répartition par gravité"),
        [
            (label("severity", level.value), incidents["by_severity"][str(level.value)])
            for level in Severity
        ],
        chart_id="chart-severity",
        colour=charts.PALETTE[1],
    )
    outcome = charts.bar_chart(
        _("Issue des désescalades"),
        [(label("outcome", code), outcomes[code.value]) for code in Outcome],
        chart_id="chart-outcomes",
        colour=charts.PALETTE[2],
    )
    return {"weekly": weekly, "severity": severity, "outcomes": outcome}


def impact_chart(impact: dict[str, Any]) -> Markup:
    """Draw incidents per ten open hours with and without a mediator on shift.

    A group under the minimum of hours has no rate, so no bar: its counts are
    in the table beside the chart.
    """
    groups = [
        (_("Avec médiateur"), impact["with_mediator"]),
        (_("Sans médiateur"), impact["without_mediator"]),
    ]
    return charts.bar_chart(
        _("Incidents pour 10 heures d'ouverture"),
        [
            (name, round(group["per_hour"] * 10, 2))
            for name, group in groups
            if group["per_hour"] is not None
        ],
        chart_id="chart-presence",
        colour=charts.PALETTE[3],
        description=_(
            "Pas de taux sous %(hours)s heures d'ouverture.",
            hours=charts.plain_number(impact["min_hours"]),
        ),
    )


def default_range(today: date) -> tuple[date, date]:
    """Return this week and the eleven before it, up to today."""
    monday = today - timedelta(days=today.weekday())
    return monday - timedelta(weeks=WEEKS_SHOWN - 1), today


@bp.get("/tableau-de-bord")
@allowed(Action.READ)
def dashboard() -> ResponseReturnValue:
    """Show an office's figures over a range of days, now or as known at a time."""
    offices = covered_offices()
    if not offices:
        return render_template("pages/officer/no_office.html")
    form = dashboard_form(offices)
    context: dict[str, Any] = {"form": form, "offices": offices}
    if not valid_dashboard_range(form):
        return render_filtered(
            "pages/officer/dashboard.html",
            "pages/officer/_dashboard.html",
            422,
            **context,
        )
    from_, to = form.from_.data, form.to.data
    as_of = form.instant()
    form.show_instant(as_of)
    office = form.office.data
    read_models = fresh_read_models()
    summary = read_models.office_summary(office, from_=from_, to=to, as_of=as_of)
    weeks = weekly_counts(read_models, office, from_, to, as_of)
    comparison = (
        [
            (
                candidate,
                read_models.office_summary(
                    candidate["code"], from_=from_, to=to, as_of=as_of
                ),
            )
            for candidate in offices
        ]
        if len(offices) > 1
        else []
    )
    largest = max(
        (figures["incidents"]["total"] for _, figures in comparison), default=0
    )
    impact = presence_impact(office, from_=from_, to=to, as_of=as_of)
    chosen: dict[str, Any] = {
        "office": office,
        "from": from_.isoformat(),
        "to": to.isoformat(),
    }
    if as_of is not None:
        chosen["as_of"] = as_of.isoformat()
    context.update(
        impact=impact,
        impact_chart=impact_chart(impact),
        office=office,
        from_=from_,
        to=to,
        as_of=as_of,
        summary=summary,
        weeks=weeks,
        charts=dashboard_charts(summary, weeks),
        comparison=comparison,
        largest=largest,
        meter=charts.meter,
        downloads={
            kind: url_for(".dashboard_file", kind=kind, **chosen)
            for kind in downloads.KINDS
        },
        report_url=url_for(".dashboard_report", **chosen),
        last_month_url=last_month_report_url(office),
    )
    return render_filtered(
        "pages/officer/dashboard.html", "pages/officer/_dashboard.html", 200, **context
    )


@bp.get("/tableau-de-bord.<any(csv, xlsx):kind>")
@allowed(Action.READ)
def dashboard_file(kind: str) -> ResponseReturnValue:
    """Download the dashboard's figures, one row per figure, as CSV or XLSX."""
    form = checked_dashboard_form()
    made = downloads.office_figures(
        signed_in_person(),
        form.office.data,
        kind,
        from_=form.from_.data,
        to=form.to.data,
        as_of=form.instant(),
        language=str(get_locale() or "fr"),
        channel="page",
    )
    return attachment(made)


@bp.get("/tableau-de-bord/rapport.pdf")
@allowed(Action.READ)
def dashboard_report() -> ResponseReturnValue:
    """Download the report of the dashboard's office and period as a PDF."""
    form = checked_dashboard_form()
    scope = report_scope(
        [form.office.data],
        from_=form.from_.data,
        to=form.to.data,
        as_of=form.instant(),
        language=str(get_locale() or "fr"),
    )
    return attachment(
        downloads.report(signed_in_person(), scope, "pdf", channel="page")
    )


def last_month_report_url(office: str) -> str:
    """Return the link to the office's report of last month (in Paris)."""
    first, last = last_month(paris_today())
    period: dict[str, Any] = {"from": first.isoformat(), "to": last.isoformat()}
    return url_for(".dashboard_report", office=office, **period)


def checked_dashboard_form() -> DashboardFilter:
    """Read the filters of a file the dashboard offers, or refuse it (404, 422)."""
    offices = covered_offices()
    if not offices:
        abort(404)
    form = dashboard_form(offices)
    if not valid_dashboard_range(form):
        abort(422)
    return form


def dashboard_form(offices: list[dict[str, Any]]) -> DashboardFilter:
    """Read the dashboard's filters: one of the person's offices, a range, a time."""
    first_day, last_day = default_range(paris_today())
    form = DashboardFilter(
        formdata=request.args,
        data={
            "office": chosen_office() or offices[0]["code"],
            "from_": first_day,
            "to": last_day,
        },
    )
    form.office.choices = office_choices(offices)
    return form


def valid_dashboard_range(form: DashboardFilter) -> bool:
    """Validate the dashboard's filters, its range a year at most."""
    first_day, last_day = default_range(paris_today())
    return valid_range(
        form, first=first_day, last=last_day, longest_days=MAX_RANGE_DAYS
    )
