"""Choose the follow-ups an incident calls for: the mediator's, then the officer's.

The chances follow the situations the demo tells (demo/situations.py): a
visitor who left a contact is referred on, a serious incident is debriefed with
the association, one escalated to the police gets a complaint followed up.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from incidents.vocabulary import (
    Category,
    EscalationTarget,
    FollowUpKind,
    Target,
    Trigger,
)

if TYPE_CHECKING:
    from demo.plans import Plan

# Categories whose visitor an officer may ask the staff to watch for.
WATCHED = frozenset(
    {Category.THREAT, Category.VERBAL_INCIVILITY, Category.DISCRIMINATORY_REMARKS}
)


def chosen_by_mediator(plan: Plan, rng: random.Random) -> list[FollowUpKind]:
    """Choose the follow-ups the mediator schedules on the spot."""
    kinds = []
    if plan.contact is not None:
        parcel = plan.trigger is Trigger.PARCEL
        kinds.append(FollowUpKind.OTHER if parcel else FollowUpKind.PARTNER_REFERRAL)
    debrief = {0: 0.0, 1: 0.06, 2: 0.55}.get(plan.severity, 1.0)
    if rng.random() < debrief:
        kinds.append(FollowUpKind.ASSOCIATION_DEBRIEF)
    return kinds


def chosen_by_officer(
    plan: Plan, rng: random.Random, escalated_to: list[EscalationTarget]
) -> list[FollowUpKind]:
    """Choose the follow-ups the officer schedules when reviewing."""
    severity, category = plan.severity, plan.template.category
    kinds = []
    to_manager = EscalationTarget.OFFICE_MANAGER in escalated_to
    if severity >= 3 or (severity == 2 and to_manager and rng.random() < 0.7):
        kinds.append(FollowUpKind.MANAGER_REPORT)
    if plan.target is Target.STAFF and (
        severity >= 3 or (severity == 2 and rng.random() < 0.35)
    ):
        kinds.append(FollowUpKind.STAFF_SUPPORT)
    if EscalationTarget.POLICE in escalated_to and (
        severity >= 4 or rng.random() < 0.6
    ):
        kinds.append(FollowUpKind.COMPLAINT)
    if severity >= 2 and category in WATCHED and rng.random() < 0.15:
        kinds.append(FollowUpKind.VISITOR_WATCH)
    improve = 0.2 if plan.trigger is Trigger.MACHINE_FAILURE else 0.02
    if rng.random() < improve:
        kinds.append(FollowUpKind.PROCESS_IMPROVEMENT)
    return kinds
