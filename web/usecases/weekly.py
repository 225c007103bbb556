"""Count offices' incidents per week (from Monday) and category."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from markupsafe import Markup

from incidents.vocabulary import Category
from projections.queries import ReadModels
from web.usecases import charts
from web.usecases.formatting import day_text
from web.usecases.labels import label


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
    office: str | Sequence[str],
    from_: date,
    to: date,
    as_of: datetime | None,
) -> list[Week]:
    """Count offices' incidents per week (from Monday) and category.

    One query counts them per day (honouring ``as_of`` as the summary does),
    then the days are added up into weeks here: every week of the range is
    listed, with every category, even when nothing happened.
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


def weekly_chart(weeks: list[Week], *, chart_id: str = "chart-weekly") -> Markup:
    """Draw the incidents of each week as a column, split by category."""
    return charts.stacked_bar_chart(
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
        chart_id=chart_id,
        description=_(
            "%(total)s incidents sur %(weeks)s semaines.",
            total=sum(week.total for week in weeks),
            weeks=len(weeks),
        ),
        empty_text=_("Aucun incident sur la période."),
    )
