"""Pages of the safety officer: dashboard, timelines, incidents, follow-ups.

Officers review the offices they cover and act on incidents; auditors read
everything, now or as it was known at a past time ("as of"), and act on
nothing; admins and mediators open incidents within their scope. Filters are
plain GET forms that htmx turns into partial updates. Every write carries the
version the page showed, goes through the incident log, then waits for the
read models before redirecting (Post/Redirect/Get).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import (
    LazyString,
    format_date,
    format_datetime,
    format_decimal,
    format_percent,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import HiddenInput

from incidents import values
from incidents.application import IncidentLog, WriteResult
from incidents.errors import (
    ConcurrentWriteError,
    FollowUpsStillScheduledError,
    IncidentAlreadyOpenError,
    IncidentClosedError,
    InvalidInputError,
    NothingToChangeError,
    RuleViolationError,
    StaleVersionError,
)
from incidents.permissions import Action
from incidents.vocabulary import Category, Outcome, Severity, Status
from projections.handlers import PARIS
from projections.queries import ReadModels, paris_today
from web import get_incident_log, get_read_models
from web.pages import charts
from web.pages.auth import allowed, signed_in_person
from web.pages.hints import flash_contact_hints
from web.pages.home import chosen_office, covered_offices
from web.pages.htmx import partial_wanted
from web.pages.labels import choices, label
from web.pages.limits import in_calendar, outside_calendar, within_calendar
from web.usecases.bounds import MAX_PAGE
from web.usecases.presenting import show
from web.usecases.read_your_writes import (
    current_with_position,
    position_of_version,
    wait_for_read_models,
)
from web.usecases.scope import readable_offices, visible_incident

bp = Blueprint("officer", __name__)

WEEKS_SHOWN = 12  # The dashboard's default range: this week and the 11 before.
MAX_RANGE_DAYS = 366  # At most a year, so at most 54 weeks (Monday to Sunday).
LIST_PAGE_SIZE = 25
TIMELINE_PAGE_SIZE = 50
END_OF_DAY = time(23, 59, 59, 999999)

CHANGED_MEANWHILE = _l(
    "L'incident a changé entre-temps : relisez-le ci-dessous, puis renvoyez le "
    "formulaire si votre action vaut toujours."
)
NOTHING_CHANGED = _l("Rien n'a changé.")
INCOMPLETE_FORM = _l("Le formulaire est incomplet : rechargez la page.")


# Formatting, shared by the templates of this blueprint.


def instant(value: datetime | str | None) -> datetime | None:
    """Return an instant given as stored text or as a datetime."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def when(value: datetime | str | None, style: str = "medium") -> str:
    """Write an instant in Paris time, in the reader's language."""
    moment = instant(value)
    return "" if moment is None else str(format_datetime(moment, style))


def day_text(value: date | str | None, style: str = "short") -> str:
    """Write a calendar day in the reader's language."""
    if value is None:
        return ""
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return str(format_date(day, style))


def percent_text(rate: float) -> str:
    """Write a rate between 0 and 1 as a percentage."""
    return str(format_percent(rate))


def hours_text(hours: float | None) -> str:
    """Write a duration given in hours: in hours up to two days, else in days."""
    if hours is None:
        return "—"
    if hours < 48:
        return str(_("%(hours)s h", hours=format_decimal(hours, "#,##0.#")))
    return str(_("%(days)s j", days=format_decimal(hours / 24, "#,##0.#")))


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "when": when,
        "day_text": day_text,
        "hours_text": hours_text,
        "percent_text": percent_text,
        "office_names": _office_names(),
        "Action": Action,
    }


def _office_names() -> dict[str, str]:
    return {
        office["code"]: office["name"] for office in get_incident_log().list_offices()
    }


def _render(page: str, region: str, status: int, **context: Any) -> ResponseReturnValue:
    """Render the whole page, or only its region when htmx asks for it.

    htmx swaps only 2xx answers, so a refused filter is answered 200 to htmx
    (its messages shown in the region) and 422 to a plain form.
    """
    if partial_wanted():
        return render_template(region, **context), 200, {"Vary": "HX-Request"}
    return render_template(page, **context), status, {"Vary": "HX-Request"}


def _page_links(endpoint: str) -> Callable[[int], str]:
    arguments: dict[str, Any] = request.args.to_dict()

    def url_for_page(number: int) -> str:
        return url_for(endpoint, **{**arguments, "page": number})

    return url_for_page


# Filters: plain GET forms.


class FilterForm(FlaskForm):  # type: ignore[misc]  # flask-wtf is untyped
    """A form read from the query string, that changes nothing (no CSRF token)."""

    class Meta:
        csrf = False


def _office_choices(offices: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(office["code"], office["name"]) for office in offices]


def _valid_range(
    form: Any,
    *,
    first: date | None = None,
    last: date | None = None,
    longest_days: int | None = None,
) -> bool:
    """Validate a filter form, then its range of days, given or by default."""
    if not form.validate():
        return False
    from_, to = form.from_.data or first, form.to.data or last
    problem = None
    if from_ is not None and to is not None:
        if to < from_:
            problem = _("Choisissez une fin de période après son début.")
        elif longest_days is not None and (to - from_).days >= longest_days:
            problem = _("Choisissez une période d'un an au plus.")
    if problem:
        form.to.errors = [*form.to.errors, problem]
        return False
    _fill(form.from_, from_)
    _fill(form.to, to)
    return True


class AsOfFields(FilterForm):
    """Ask for an instant in the past: a day and a time in Paris (or ``as_of``)."""

    as_of = StringField(validators=[Optional()])  # ISO 8601, as links carry it.
    as_of_date = DateField(
        _l("Tel que connu le"),
        validators=[Optional(), within_calendar],
        invalid_value_message=_l("Donnez une date valide."),
    )
    as_of_time = TimeField(
        _l("à (heure de Paris)"),
        validators=[Optional()],
        format=["%H:%M:%S", "%H:%M"],
        invalid_value_message=_l("Donnez une heure valide."),
        render_kw={"step": "1"},
    )

    def validate_as_of(self, field: StringField) -> None:
        try:
            moment = _parse_instant(field.data)
        except ValueError:
            raise ValidationError(_("Date et heure illisibles.")) from None
        if not in_calendar(moment):
            raise ValidationError(outside_calendar())

    def validate_as_of_time(self, field: TimeField) -> None:
        if field.data is not None and self.as_of_date.data is None:
            raise ValidationError(_("Donnez aussi la date."))

    def instant(self) -> datetime | None:
        """Return the instant asked for, or ``None`` for now."""
        if self.as_of.data:
            return _parse_instant(self.as_of.data)
        if self.as_of_date.data is not None:
            moment = self.as_of_time.data or END_OF_DAY
            return datetime.combine(self.as_of_date.data, moment, tzinfo=PARIS)
        return None

    def show_instant(self, moment: datetime | None) -> None:
        """Fill the day and time fields with an instant given by a link."""
        if moment is None or not self.as_of.data:
            return
        local = moment.astimezone(PARIS)
        _fill(self.as_of_date, local.date())
        _fill(self.as_of_time, local.time().replace(microsecond=0))


def _parse_instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text.strip())
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=PARIS)


def _fill(field: Any, value: Any) -> None:
    field.data = value
    field.raw_data = []


class DashboardFilter(AsOfFields):
    office = SelectField(_l("Bureau"), validate_choice=True)
    from_ = DateField(
        _l("Du"),
        name="from",
        validators=[Optional(), within_calendar],
        invalid_value_message=_l("Donnez une date valide."),
    )
    to = DateField(
        _l("Au"),
        validators=[Optional(), within_calendar],
        invalid_value_message=_l("Donnez une date valide."),
    )


class IncidentFilter(FilterForm):
    office = SelectField(_l("Bureau"))
    status = SelectField(_l("État"))
    category = SelectField(_l("Catégorie"))
    severity = SelectField(_l("Gravité"))
    from_ = DateField(
        _l("Survenus du"),
        name="from",
        validators=[Optional(), within_calendar],
        invalid_value_message=_l("Donnez une date valide."),
    )
    to = DateField(
        _l("au"),
        validators=[Optional(), within_calendar],
        invalid_value_message=_l("Donnez une date valide."),
    )
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=MAX_PAGE)])


class TimelineFilter(AsOfFields):
    office = SelectField(_l("Bureau"))
    from_ = DateField(
        _l("Enregistrés du"),
        name="from",
        validators=[Optional(), within_calendar],
        invalid_value_message=_l("Donnez une date valide."),
    )
    to = DateField(
        _l("au"),
        validators=[Optional(), within_calendar],
        invalid_value_message=_l("Donnez une date valide."),
    )
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=MAX_PAGE)])


class BoardFilter(FilterForm):
    office = SelectField(_l("Bureau"))
    overdue = BooleanField(_l("En retard seulement"))


def _with_all(first: str, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [("", first), *pairs]


# The dashboard.


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
    first_day, last_day = default_range(paris_today())
    form = DashboardFilter(
        formdata=request.args,
        data={
            "office": chosen_office() or offices[0]["code"],
            "from_": first_day,
            "to": last_day,
        },
    )
    form.office.choices = _office_choices(offices)
    context: dict[str, Any] = {"form": form, "offices": offices}
    if not _valid_range(
        form, first=first_day, last=last_day, longest_days=MAX_RANGE_DAYS
    ):
        return _render(
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
    context.update(
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
    )
    return _render(
        "pages/officer/dashboard.html", "pages/officer/_dashboard.html", 200, **context
    )


# The list of incidents.


@bp.get("/incidents")
@allowed(Action.READ)
def incidents() -> ResponseReturnValue:
    """List the incidents of the person's offices, newest first, with filters."""
    offices = covered_offices()
    form = IncidentFilter(
        formdata=request.args,
        data={"office": "", "status": "", "category": "", "severity": ""},
    )
    form.office.choices = _with_all(_("Tous mes bureaux"), _office_choices(offices))
    form.status.choices = _with_all(_("Tous"), choices("status"))
    form.category.choices = _with_all(_("Toutes"), choices("category"))
    form.severity.choices = _with_all(_("Toutes"), choices("severity"))
    context: dict[str, Any] = {"form": form}
    if not _valid_range(form):
        return _render(
            "pages/officer/incidents.html",
            "pages/officer/_incidents.html",
            422,
            **context,
        )
    office = form.office.data or None
    found = get_read_models().list_incidents(
        offices=readable_offices(signed_in_person(), office),
        office=office,
        status=form.status.data or None,
        category=form.category.data or None,
        severity=int(form.severity.data) if form.severity.data else None,
        from_=form.from_.data,
        to=form.to.data,
        page=form.page.data or 1,
        page_size=LIST_PAGE_SIZE,
    )
    context.update(found=found, url_for_page=_page_links(".incidents"))
    return _render(
        "pages/officer/incidents.html", "pages/officer/_incidents.html", 200, **context
    )


# One incident, now or as known at a time.


@bp.get("/incidents/<uuid:incident_id>")
@allowed(Action.READ)
def incident(incident_id: UUID) -> ResponseReturnValue:
    """Show an incident, its timeline and the actions the person may take."""
    user = signed_in_person()
    visible_incident(user, incident_id)
    shown, position = current_with_position(incident_id)
    latest = shown["version"]
    read_models = get_read_models()
    timeline = read_models.incident_timeline(incident_id)
    form = AsOfFields(formdata=request.args)
    status = 200
    as_of = None
    if form.validate():
        as_of = form.instant()
        form.show_instant(as_of)
    else:
        status = 422
    if as_of is not None:
        version = read_models.incident_version_as_of(incident_id, as_of)
        if version is None:
            return (
                render_template(
                    "pages/officer/not_yet.html",
                    incident_id=incident_id,
                    as_of=as_of,
                    form=form,
                ),
                404,
            )
        shown = get_incident_log().get_incident(incident_id, version=version)
        position = position_of_version(incident_id, version)
        timeline = [
            item
            for item in get_read_models().incident_timeline(incident_id)
            if item["version"] <= version
        ]
    # A HEAD request shows nothing, so it records no disclosure.
    contact = show(
        user, shown, position, channel="page", shown=request.method != "HEAD"
    )["contact"]
    context = {
        "incident": shown,
        "contact": contact,
        "latest": latest,
        "as_of": as_of,
        "form": form,
        "timeline": timeline,
        "today": paris_today(as_of),
        "forms": {} if as_of is not None else action_forms(shown),
    }
    return render_template("pages/officer/incident.html", **context), status


# Actions on an incident: each its own small form and page.


class ActionForm(FlaskForm):  # type: ignore[misc]  # flask-wtf is untyped
    """A form that changes an incident, made against the version it showed.

    The CSRF token is checked for every page post (``init_pages``), so the
    form does not check it a second time.
    """

    class Meta:
        csrf = False

    expected_version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


def _reason(text: LazyString) -> TextAreaField:
    return TextAreaField(
        text,
        validators=[
            InputRequired(_l("Dites pourquoi.")),
            Length(max=values.REASON_MAX, message=_l("Texte trop long.")),
        ],
    )


class ReassessForm(ActionForm):
    severity = RadioField(
        _l("Nouvelle gravité"),
        coerce=int,
        validators=[InputRequired(_l("Choisissez une gravité."))],
    )
    reason = _reason(_l("Pourquoi ce changement"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="gravite", **kwargs)
        self.severity.choices = [
            (int(code), text) for code, text in choices("severity")
        ]


class AmendForm(ActionForm):
    category = SelectField(_l("Catégorie"))
    target = SelectField(_l("Visé"))
    trigger = SelectField(_l("Déclencheur"))
    occurred_at = DateTimeLocalField(
        _l("Survenu le (heure de Paris)"),
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        tz=PARIS,
        validators=[InputRequired(_l("Donnez la date et l'heure.")), within_calendar],
        invalid_value_message=_l("Donnez une date et une heure valides."),
    )
    summary = TextAreaField(
        _l("Résumé"),
        validators=[
            InputRequired(_l("Le résumé ne peut pas être vide.")),
            Length(max=values.SUMMARY_MAX, message=_l("Texte trop long.")),
        ],
    )
    reason = _reason(_l("Pourquoi cette rectification"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="rectification", **kwargs)
        self.category.choices = choices("category")
        self.target.choices = choices("target")
        self.trigger.choices = _with_all(_("Aucun"), choices("trigger"))

    def validate_occurred_at(self, field: DateTimeLocalField) -> None:
        if field.data is not None and field.data > datetime.now(PARIS):
            raise ValidationError(_("Cette heure est dans le futur."))

    def changes(self, incident: Mapping[str, Any]) -> dict[str, Any]:
        """Return the fields the person changed, as the log takes them."""
        given: dict[str, Any] = {
            "category": self.category.data,
            "target": self.target.data,
            "trigger": self.trigger.data or None,
            "summary": self.summary.data.strip(),
        }
        changed = {
            name: value for name, value in given.items() if value != incident[name]
        }
        shown = _minute(incident["occurred_at"])
        if (
            self.occurred_at.data is not None
            and _minute(self.occurred_at.data) != shown
        ):
            changed["occurred_at"] = self.occurred_at.data
        return changed


def _minute(moment: datetime) -> datetime:
    return moment.astimezone(PARIS).replace(second=0, microsecond=0)


class NoteForm(ActionForm):
    text = TextAreaField(
        _l("Note"),
        validators=[
            InputRequired(_l("Écrivez la note.")),
            Length(max=values.NOTE_MAX, message=_l("Texte trop long.")),
        ],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="note", **kwargs)


class CloseForm(ActionForm):
    resolution = RadioField(
        _l("Résolution"), validators=[InputRequired(_l("Choisissez une résolution."))]
    )
    note = TextAreaField(
        _l("Note de clôture (facultative)"),
        validators=[
            Optional(),
            Length(max=values.NOTE_MAX, message=_l("Texte trop long.")),
        ],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="cloture", **kwargs)
        self.resolution.choices = choices("resolution")


class ReopenForm(ActionForm):
    reason = _reason(_l("Pourquoi rouvrir"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="reouverture", **kwargs)


Command = Callable[[IncidentLog, UUID, Any, dict[str, Any], str], WriteResult]


@dataclass(frozen=True)
class Step:
    """One action on an incident: its form, its command and its messages."""

    endpoint: str
    form: type[ActionForm]
    title: LazyString
    done: LazyString
    command: Command
    action: Action = Action.RECORD
    nothing_to_change: LazyString | None = None
    when_open: bool | None = True  # None: open or closed.

    def initial(self, incident: Mapping[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = {"expected_version": incident["version"]}
        if self.form is AmendForm:
            data.update(
                {name: incident[name] for name in ("category", "target", "summary")},
                trigger=incident["trigger"] or "",
                occurred_at=_minute(incident["occurred_at"]),
            )
        if self.form is ReassessForm:
            data["severity"] = incident["severity"]
        return data

    def available(self, incident: Mapping[str, Any]) -> bool:
        if not current_user.may(self.action):
            return False
        is_open = incident["status"] == Status.OPEN.value
        return self.when_open is None or self.when_open == is_open


def _reassess(
    log: IncidentLog, incident_id: UUID, form: Any, _incident: Any, actor: str
) -> WriteResult:
    return log.reassess_severity(
        incident_id,
        actor=actor,
        severity=form.severity.data,
        reason=form.reason.data.strip(),
        expected_version=form.expected_version.data,
    )


def _amend(
    log: IncidentLog,
    incident_id: UUID,
    form: Any,
    incident: dict[str, Any],
    actor: str,
) -> WriteResult:
    changes = form.changes(incident)
    if not changes:
        raise NothingToChangeError("Nothing changed on the form.")
    return log.amend_incident(
        incident_id,
        actor=actor,
        changes=changes,
        reason=form.reason.data.strip(),
        expected_version=form.expected_version.data,
    )


def _add_note(
    log: IncidentLog, incident_id: UUID, form: Any, _incident: Any, actor: str
) -> WriteResult:
    return log.add_note(
        incident_id,
        actor=actor,
        text=form.text.data.strip(),
        expected_version=form.expected_version.data,
    )


def _close(
    log: IncidentLog, incident_id: UUID, form: Any, _incident: Any, actor: str
) -> WriteResult:
    return log.close_incident(
        incident_id,
        actor=actor,
        resolution=form.resolution.data,
        note=(form.note.data or "").strip() or None,
        expected_version=form.expected_version.data,
    )


def _reopen(
    log: IncidentLog, incident_id: UUID, form: Any, _incident: Any, actor: str
) -> WriteResult:
    return log.reopen_incident(
        incident_id,
        actor=actor,
        reason=form.reason.data.strip(),
        expected_version=form.expected_version.data,
    )


REASSESS = Step(
    "officer.reassess",
    ReassessForm,
    _l("Réévaluer la gravité"),
    _l("Gravité réévaluée."),
    _reassess,
    nothing_to_change=_l("L'incident a déjà cette gravité : choisissez-en une autre."),
)
AMEND = Step(
    "officer.amend",
    AmendForm,
    _l("Rectifier le signalement"),
    _l("Rectification enregistrée ; l'original reste dans l'historique."),
    _amend,
    nothing_to_change=_l("Rien n'a changé : modifiez au moins un champ."),
)
ADD_NOTE = Step(
    "officer.add_note",
    NoteForm,
    _l("Ajouter une note"),
    _l("Note ajoutée."),
    _add_note,
    when_open=None,
)
CLOSE = Step(
    "officer.close",
    CloseForm,
    _l("Clore l'incident"),
    _l("Incident clos."),
    _close,
    action=Action.CLOSE,
)
REOPEN = Step(
    "officer.reopen",
    ReopenForm,
    _l("Rouvrir l'incident"),
    _l("Incident rouvert."),
    _reopen,
    action=Action.CLOSE,
    when_open=False,
)
STEPS = (REASSESS, AMEND, ADD_NOTE, CLOSE, REOPEN)


def action_forms(incident: dict[str, Any]) -> dict[str, tuple[Step, ActionForm]]:
    """Return the forms the person may use on the incident now, by endpoint."""
    return {
        step.endpoint: (step, step.form(formdata=None, data=step.initial(incident)))
        for step in STEPS
        if step.available(incident)
    }


def act(incident_id: UUID, step: Step) -> ResponseReturnValue:
    """Show an action's form (GET), or run it (POST) and go back to the incident."""
    user = signed_in_person()
    incident = visible_incident(user, incident_id)
    form = step.form(data=step.initial(incident))
    status, problem = 200, None
    if request.method == "POST":
        if not form.validate():
            status = 422
            if form.expected_version.errors:
                problem = str(INCOMPLETE_FORM)
        else:
            try:
                result = step.command(
                    get_incident_log(), incident_id, form, incident, current_user.name
                )
            except StaleVersionError:
                status, problem = 409, str(CHANGED_MEANWHILE)
                incident = get_incident_log().get_incident(incident_id)
                _fill(form.expected_version, incident["version"])
            except NothingToChangeError:
                status, problem = 422, str(step.nothing_to_change or NOTHING_CHANGED)
            except RuleViolationError as error:
                status, problem = 409, _refusal(error)
            except InvalidInputError:
                status, problem = (
                    422,
                    _("Une valeur n'est pas acceptée : vérifiez le formulaire."),
                )
            except ConcurrentWriteError:
                status, problem = 409, _("L'incident change en ce moment : réessayez.")
            else:
                wait_for_read_models(result.position)
                flash(str(step.done), "success")
                _warn_about_contact_details(form)
                return redirect(url_for(".incident", incident_id=incident_id), 303)
    return (
        render_template(
            "pages/officer/action.html",
            step=step,
            form=form,
            incident=incident,
            problem=problem,
        ),
        status,
    )


def _refusal(error: RuleViolationError) -> str:
    if isinstance(error, FollowUpsStillScheduledError):
        message = _(
            "Cet incident a encore %(count)s suivi(s) prévu(s) : faites-les ou "
            "annulez-les avant de le clore.",
            count=error.count,
        )
    elif isinstance(error, IncidentClosedError):
        message = _(
            "Cet incident est clos : on peut seulement y ajouter une note "
            "ou le rouvrir."
        )
    elif isinstance(error, IncidentAlreadyOpenError):
        message = _("Cet incident est déjà ouvert.")
    else:
        message = _("Cette action n'est pas possible dans l'état actuel de l'incident.")
    return str(message)


def _warn_about_contact_details(form: ActionForm) -> None:
    flash_contact_hints(
        {
            name: field.data
            for name, field in form._fields.items()
            if isinstance(field, TextAreaField) and field.data
        }
    )


@bp.route("/incidents/<uuid:incident_id>/gravite", methods=["GET", "POST"])
@allowed(Action.RECORD)
def reassess(incident_id: UUID) -> ResponseReturnValue:
    """Reassess the severity of an incident, saying why."""
    return act(incident_id, REASSESS)


@bp.route("/incidents/<uuid:incident_id>/rectification", methods=["GET", "POST"])
@allowed(Action.RECORD)
def amend(incident_id: UUID) -> ResponseReturnValue:
    """Correct what was reported, saying why; the original stays in history."""
    return act(incident_id, AMEND)


@bp.route("/incidents/<uuid:incident_id>/note", methods=["GET", "POST"])
@allowed(Action.RECORD)
def add_note(incident_id: UUID) -> ResponseReturnValue:
    """Add a note to an incident, open or closed."""
    return act(incident_id, ADD_NOTE)


@bp.route("/incidents/<uuid:incident_id>/cloture", methods=["GET", "POST"])
@allowed(Action.CLOSE)
def close(incident_id: UUID) -> ResponseReturnValue:
    """Close an incident with a resolution, once no follow-up is scheduled."""
    return act(incident_id, CLOSE)


@bp.route("/incidents/<uuid:incident_id>/reouverture", methods=["GET", "POST"])
@allowed(Action.CLOSE)
def reopen(incident_id: UUID) -> ResponseReturnValue:
    """Reopen a closed incident, saying why."""
    return act(incident_id, REOPEN)


# The office timeline and the follow-up board.


@bp.get("/chronologie")
@allowed(Action.READ)
def office_timeline() -> ResponseReturnValue:
    """List an office's events in log order, now or as known at a time."""
    offices = covered_offices()
    if not offices:
        return render_template("pages/officer/no_office.html")
    form = TimelineFilter(
        formdata=request.args, data={"office": chosen_office() or offices[0]["code"]}
    )
    form.office.choices = _office_choices(offices)
    context: dict[str, Any] = {"form": form}
    if not _valid_range(form):
        return _render(
            "pages/officer/timeline.html",
            "pages/officer/_timeline.html",
            422,
            **context,
        )
    as_of = form.instant()
    form.show_instant(as_of)
    found = get_read_models().office_timeline(
        form.office.data,
        from_=form.from_.data,
        to=form.to.data,
        as_of=as_of,
        page=form.page.data or 1,
        page_size=TIMELINE_PAGE_SIZE,
    )
    context.update(
        found=found, as_of=as_of, url_for_page=_page_links(".office_timeline")
    )
    return _render(
        "pages/officer/timeline.html", "pages/officer/_timeline.html", 200, **context
    )


@bp.get("/suivis")
@allowed(Action.READ)
def follow_up_board() -> ResponseReturnValue:
    """List the open follow-ups of the person's offices, overdue first."""
    offices = covered_offices()
    form = BoardFilter(formdata=request.args, data={"office": ""})
    form.office.choices = _with_all(_("Tous mes bureaux"), _office_choices(offices))
    if not form.validate():
        return _render(
            "pages/officer/board.html", "pages/officer/_board.html", 422, form=form
        )
    office = form.office.data or None
    today = paris_today()
    board = get_read_models().follow_up_board(
        offices=readable_offices(signed_in_person(), office),
        office=office,
        overdue_only=form.overdue.data,
        today=today,
    )
    return _render(
        "pages/officer/board.html",
        "pages/officer/_board.html",
        200,
        form=form,
        board=board,
        today=today,
    )
