"""The dashboard: an office's figures and charts over a range of weeks."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import abort, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import SelectField

from incidents.permissions import Action
from incidents.vocabulary import Category, Outcome, Severity
from projections.queries import ReadModels, paris_today
from web import get_read_models
from web.pages import charts
from web.pages.auth import allowed, signed_in_person
from web.pages.home import chosen_office, covered_offices
from web.pages.officer.blueprint import attachment, bp, render_filtered
from web.pages.officer.filters import AsOfFields, day_field, office_choices, valid_range
from web.pages.officer.formatting import day_text
from web.usecases import downloads
from web.usecases.labels import label
from web.usecases.rota import presence_impact

WEEKS_SHOWN = 12  # The dashboard's default range: this week and the 11 before.
MAX_RANGE_DAYS = 366  # At most a year, so at most 54 weeks (Monday to Sunday).


class DashboardFilter(AsOfFields):
    office = SelectField(_l("Bureau"), validate_choice=True)
    from_ = day_field(_l("Du"), name="from")
    to = day_field(_l("Au"))


@dataclass(frozen=True)
class Week:
    """How many incidents of each category occurred in one week."""

    start: date
    by_category: Mapping[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_category.values())


def weekly_counts(
    read_models: ReadModels,
    office: str,
    from_: date,
    to: date,
    as_of: datetime | None,
) -> list[Week]:
    """Count an office's incidents per week (from Monday) and category.

    One query counts them per day (honouring ``as_of`` as the rest of the page
    does), then the days are added up into weeks here: every week of the range
    is listed, with every category, even when nothing happened.
    """
    first = from_ - timedelta(days=from_.weekday())
    weeks: dict[date, Counter[str]] = {
        first + timedelta(weeks=number): Counter()
        for number in range((to - first).days // 7 + 1)
    }
    days = read_models.office_daily_counts(office, from_=from_, to=to, as_of=as_of)
    for text, by_category in days.items():
        day = date.fromisoformat(text)
        weeks[day - timedelta(days=day.weekday())].update(by_category)
    return [
        Week(start, {code.value: counts[code.value] for code in Category})
        for start, counts in weeks.items()
    ]


def dashboard_charts(summary: dict[str, Any], weeks: list[Week]) -> dict[str, Markup]:
    """Draw the dashboard's three charts from a summary and its weeks."""
    incidents = summary["incidents"]
    outcomes = summary["de_escalations"]["by_outcome"]
    weekly = charts.stacked_bar_chart(
        _("Incidents par semaine et par catégorie"),
        [day_text(week.start, "dd/MM") for week in weeks],
        [
            charts.Series(
                label("category", code),
                [week.by_category.get(code.value, 0) for week in weeks],
                charts.PALETTE[index % len(charts.PALETTE)],
            )
            for index, code in enumerate(Category)
        ],
        chart_id="chart-weekly",
        description=_(
            "%(total)s incidents sur %(weeks)s semaines.",
            total=incidents["total"],
            weeks=len(weeks),
        ),
        empty_text=_("Aucun incident sur la période."),
    )
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
    read_models = get_read_models()
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
    )
    return render_filtered(
        "pages/officer/dashboard.html", "pages/officer/_dashboard.html", 200, **context
    )


@bp.get("/tableau-de-bord.<any(csv, xlsx):kind>")
@allowed(Action.READ)
def dashboard_file(kind: str) -> ResponseReturnValue:
    """Download the dashboard's figures, one row per figure, as CSV or XLSX."""
    offices = covered_offices()
    if not offices:
        abort(404)
    form = dashboard_form(offices)
    if not valid_dashboard_range(form):
        abort(422)
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
