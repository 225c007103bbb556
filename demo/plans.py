"""Plan which incidents happen, where and when, before their stories are told."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time

from demo.calendar import (
    BASE_RATE,
    MONDAY_FACTOR,
    PARIS,
    PAYDAY_LAST,
    RUSH_HOURS,
    SATURDAY_FACTOR,
    SATURDAY_HOURS,
    WEEKDAY_HOURS,
    open_days,
    payday_factor,
)
from demo.chance import pick, poisson
from demo.people import mediator_on_duty
from demo.situations import (
    CONTACT_NAMES,
    CRITICAL_SUMMARY,
    DEFAULT_TARGETS,
    SEVERITIES,
    TEMPLATES,
    Template,
)
from incidents.vocabulary import Category, Target, Trigger


@dataclass(frozen=True)
class Plan:
    """Say what one incident will be: where, when, who reports it, what it is."""

    incident_id: uuid.UUID
    story_seed: int
    office: str
    occurred_at: datetime
    reporter: str
    template: Template
    severity: int
    target: Target
    trigger: Trigger | None
    parties: list[dict[str, object]] = field(default_factory=list)
    contact: dict[str, str] | None = None
    payday: bool = False


def plan_incidents(
    seed: int, offices: list[str], today: date, weeks: int
) -> list[Plan]:
    """Plan the incidents of ``weeks`` weeks up to ``today``, in time order."""
    # Offices differ in how busy they are; drawn from the seed rather than
    # written down, so as not to label real offices.
    office_factor = {
        code: random.Random(f"{seed}:{code}").uniform(0.8, 1.2)  # noqa: S311
        for code in offices
    }
    plans: list[Plan] = []
    for day in open_days(today, weeks):
        for code in offices:
            rng = random.Random(f"{seed}:{code}:{day.isoformat()}")  # noqa: S311
            plans.extend(plan_day(rng, offices, code, day, office_factor[code]))
    plans.sort(key=lambda plan: (plan.occurred_at, plan.office))
    return _make_one_critical(plans, today)


def plan_day(
    rng: random.Random, offices: list[str], office: str, day: date, factor: float
) -> list[Plan]:
    """Plan one office's incidents of one day, drawn from ``rng``."""
    saturday = day.weekday() == 5
    mean = BASE_RATE * factor * payday_factor(day)
    mean *= SATURDAY_FACTOR if saturday else MONDAY_FACTOR if day.weekday() == 0 else 1
    hours = SATURDAY_HOURS if saturday else WEEKDAY_HOURS
    payday = day.day <= PAYDAY_LAST
    reporter = mediator_on_duty(offices, office, day)
    plans = []
    for _ in range(poisson(rng, mean)):
        hour = pick(rng, hours)
        occurred_at = datetime.combine(day, time(hour, rng.randrange(60)), PARIS)
        template = pick(rng, {t: _template_weight(t, payday, hour) for t in TEMPLATES})
        plans.append(_plan_one(rng, template, office, occurred_at, reporter, payday))
    return plans


def _template_weight(template: Template, payday: bool, hour: int) -> float:
    weight = template.payday_weight if payday else template.weight
    return weight * (1.6 if template.rush and hour in RUSH_HOURS else 1.0)


def _plan_one(
    rng: random.Random,
    template: Template,
    office: str,
    occurred_at: datetime,
    reporter: str,
    payday: bool,
) -> Plan:
    triggers = [
        trigger
        for trigger in template.triggers
        if payday or trigger is not Trigger.BENEFITS_PAYMENT_DAY
    ] or [None]
    trigger = rng.choice(triggers)
    if payday and trigger is Trigger.QUEUE and rng.random() < 0.4:
        trigger = Trigger.BENEFITS_PAYMENT_DAY
    category = template.category
    targets = template.targets or DEFAULT_TARGETS[category]
    incident_id = uuid.UUID(int=rng.getrandbits(128), version=4)
    return Plan(
        incident_id=incident_id,
        story_seed=rng.getrandbits(64),
        office=office,
        occurred_at=occurred_at,
        reporter=reporter,
        template=template,
        severity=pick(rng, SEVERITIES[category]),
        target=pick(rng, targets),
        trigger=trigger,
        parties=_parties(rng, category),
        contact=_contact(rng, category, trigger),
        payday=payday,
    )


def _parties(rng: random.Random, category: Category) -> list[dict[str, object]]:
    if category is Category.DISPUTE_BETWEEN_VISITORS:
        return [{"role": "visitor", "count": 2}]
    if rng.random() < 0.6:
        return []
    parties: list[dict[str, object]] = [{"role": "visitor", "count": 1}]
    if category is Category.WAITING_TIME and rng.random() < 0.4:
        parties.append(
            {
                "role": "bystander",
                "count": rng.randint(3, 12),
                "description": "usagers dans la file",
            }
        )
    elif category in {Category.VERBAL_INCIVILITY, Category.THREAT} or (
        category is Category.PHYSICAL_AGGRESSION
    ):
        parties.append({"role": "staff", "count": 1, "description": "agent du guichet"})
    return parties


def _contact(
    rng: random.Random, category: Category, trigger: Trigger | None
) -> dict[str, str] | None:
    # Contact details only when someone must reach the visitor again: a partner
    # to call back (distress, online procedure) or a parcel to trace.
    chance = 0.0
    if category is Category.RISK_BEHAVIOUR:
        chance = 0.35
    elif trigger is Trigger.ONLINE_PROCEDURE:
        chance = 0.08
    elif trigger is Trigger.PARCEL:
        chance = 0.05
    if rng.random() >= chance:
        return None
    phone = f"06 39 98 {rng.randrange(100):02d} {rng.randrange(100):02d}"
    return {"name": rng.choice(CONTACT_NAMES), "phone": phone}


def _make_one_critical(plans: list[Plan], today: date) -> list[Plan]:
    # At most one critical incident in the whole demo: the first physical
    # aggression old enough to have been dealt with.
    for index, plan in enumerate(plans):
        old_enough = (today - plan.occurred_at.date()).days >= 14
        if old_enough and plan.template.category is Category.PHYSICAL_AGGRESSION:
            plans[index] = replace(
                plan,
                severity=4,
                target=Target.STAFF,
                template=replace(plan.template, summary=CRITICAL_SUMMARY),
            )
            break
    return plans
