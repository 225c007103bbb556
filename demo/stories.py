"""Tell what happens to one incident, as steps at virtual times."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import datetime, time, timedelta
from functools import partial
from typing import TYPE_CHECKING

from demo.calendar import PARIS
from demo.chance import pick, pick_some
from demo.follow_up_choices import chosen_by_mediator, chosen_by_officer
from demo.situations import (
    DUPLICATE_NOTE,
    ESCALATION_NOTES,
    FOLLOW_UPS,
    INVALID_NOTE,
    MACHINE_NOTE,
    NOTES,
    OUTCOMES,
    PAYDAY_NOTE,
    TECHNIQUES,
)
from incidents.vocabulary import (
    Category,
    EscalationTarget,
    FollowUpKind,
    Outcome,
    Resolution,
    Technique,
    Trigger,
)

if TYPE_CHECKING:
    from demo.memory_log import MemoryLog
    from demo.plans import Plan
    from incidents.application import IncidentLog


class Story:
    """Write down, with virtual times, what happened to one incident."""

    def __init__(self, log: IncidentLog | MemoryLog, plan: Plan, officer: str) -> None:
        self.log = log
        self.plan = plan
        self.officer = officer
        self.rng = random.Random(plan.story_seed)  # noqa: S311
        self.steps: list[tuple[datetime, Callable[[], object]]] = []
        self.escalated_to: list[EscalationTarget] = []
        self.follow_ups: list[FollowUpKind] = []
        self.outcome: Outcome | None = None

    def tell(self) -> list[tuple[datetime, Callable[[], object]]]:
        """Return the steps of the story in time order."""
        plan, rng = self.plan, self.rng
        reported_at = plan.occurred_at + timedelta(minutes=rng.randint(3, 45))
        self.add(reported_at, self.report)
        draw = rng.random()
        if draw < 0.01:
            return self.close_as(reported_at, Resolution.DUPLICATE, DUPLICATE_NOTE)
        if draw < 0.014:
            return self.close_as(reported_at, Resolution.INVALID, INVALID_NOTE)
        self.de_escalate(reported_at + timedelta(minutes=1))
        self.escalate(reported_at + timedelta(minutes=2))
        done = [
            self.schedule(kind, reported_at)
            for kind in chosen_by_mediator(self.plan, self.rng)
        ]
        if rng.random() < 0.012:
            self.amend(reported_at + timedelta(minutes=rng.randint(10, 120)))
        review_at = reported_at + timedelta(hours=rng.uniform(3, 48))
        if rng.random() < 0.015:
            self.reassess(review_at)
        done += [
            self.schedule(kind, review_at)
            for kind in chosen_by_officer(self.plan, self.rng, self.escalated_to)
        ]
        self.note(reported_at)
        if None in done or rng.random() < 0.03:
            # A forgotten follow-up blocks the closure; some incidents also just
            # wait in the officer's backlog.
            return self.sorted_steps()
        quick = not self.follow_ups and plan.severity <= 1
        delay = timedelta(hours=rng.uniform(1, 72) if quick else rng.uniform(4, 120))
        closed_at = max([review_at, *(at for at in done if at is not None)]) + delay
        self.add(closed_at, partial(self.close, self.resolution()))
        return self.sorted_steps()

    def sorted_steps(self) -> list[tuple[datetime, Callable[[], object]]]:
        """Return the steps by time, keeping the written order among equal times."""
        return sorted(self.steps, key=lambda step: step[0])

    def add(self, at: datetime, run: Callable[[], object]) -> None:
        """Add a step at a virtual time."""
        self.steps.append((at, run))

    def report(self) -> None:
        """Report the incident as the mediator on duty."""
        plan = self.plan
        self.log.report_incident(
            actor=plan.reporter,
            office=plan.office,
            occurred_at=plan.occurred_at,
            category=plan.template.category,
            severity=plan.severity,
            target=plan.target,
            trigger=plan.trigger,
            summary=plan.template.summary,
            parties=plan.parties,
            contact=plan.contact,
            incident_id=plan.incident_id,
        )

    def close_as(
        self, reported_at: datetime, resolution: Resolution, note: str
    ) -> list[tuple[datetime, Callable[[], object]]]:
        """Close a report that should not have been made."""
        at = reported_at + timedelta(hours=self.rng.uniform(1, 48))
        self.add(at, partial(self.close, resolution, note))
        return self.sorted_steps()

    def de_escalate(self, at: datetime) -> None:
        """Log one or two de-escalation attempts, or none."""
        plan, rng = self.plan, self.rng
        category = plan.template.category
        chance = 0.92 if plan.severity == 0 else 0.85
        if category is Category.THEFT:
            chance = 0.4
        if rng.random() >= chance:
            return
        techniques = TECHNIQUES[category]
        if plan.trigger is Trigger.LANGUAGE:
            techniques = {**techniques, Technique.PEER_OR_INTERPRETER: 4}
        chosen = pick_some(rng, techniques, pick(rng, {1: 55, 2: 35, 3: 10}))
        self.outcome = pick(rng, OUTCOMES[plan.severity])
        self.add_de_escalation(at, chosen, self.outcome)
        if self.outcome in {Outcome.NOT_CALMED, Outcome.PARTIALLY_CALMED} and (
            rng.random() < 0.35
        ):
            second = [Technique.HANDED_TO_STAFF]
            if plan.severity >= 2:
                second = [Technique.CALLED_SECURITY, Technique.MOVED_ASIDE]
            self.outcome = pick(
                rng, {Outcome.CALMED: 4, Outcome.PARTIALLY_CALMED: 3, Outcome.LEFT: 3}
            )
            self.add_de_escalation(at + timedelta(minutes=1), second, self.outcome)

    def add_de_escalation(
        self, at: datetime, techniques: list[Technique], outcome: Outcome
    ) -> None:
        """Add a de-escalation attempt, sometimes with a short note."""
        note = None
        if outcome is Outcome.CALMED and self.rng.random() < 0.2:
            note = "Usager reparti après avoir obtenu une réponse."
        elif outcome is Outcome.LEFT and self.rng.random() < 0.3:
            note = "Usager parti avant la fin de l'échange."
        self.add(
            at,
            partial(
                self.log.record_de_escalation,
                self.plan.incident_id,
                actor=self.plan.reporter,
                techniques=techniques,
                outcome=outcome,
                note=note,
            ),
        )

    def escalate(self, at: datetime) -> None:
        """Escalate as the situation requires, on site."""
        plan, rng = self.plan, self.rng
        severity = plan.severity
        chances: dict[EscalationTarget, float] = {}
        if severity >= 4:
            chances = {
                EscalationTarget.SECURITY: 0.5,
                EscalationTarget.EMERGENCY_SERVICES: 1,
                EscalationTarget.POLICE: 1,
                EscalationTarget.OFFICE_MANAGER: 1,
            }
        elif severity == 3:
            chances = {
                EscalationTarget.SECURITY: 0.3,
                EscalationTarget.POLICE: 0.75,
                EscalationTarget.OFFICE_MANAGER: 0.9,
            }
        elif severity == 2:
            chances = {
                EscalationTarget.OFFICE_MANAGER: 0.45,
                EscalationTarget.SECURITY: 0.12,
            }
        elif severity == 1:
            chances = {
                EscalationTarget.OFFICE_MANAGER: 0.07,
                EscalationTarget.SECURITY: 0.01,
            }
        else:
            chances = {EscalationTarget.OFFICE_MANAGER: 0.01}
        if plan.template.category is Category.RISK_BEHAVIOUR:
            chances[EscalationTarget.EMERGENCY_SERVICES] = 0.1
        for target, chance in chances.items():
            if rng.random() < chance:
                self.escalated_to.append(target)
                self.add(
                    at,
                    partial(
                        self.log.escalate_incident,
                        plan.incident_id,
                        actor=plan.reporter,
                        to=target,
                        note=rng.choice(ESCALATION_NOTES[target]),
                    ),
                )

    def schedule(self, kind: FollowUpKind, at: datetime) -> datetime | None:
        """Schedule a follow-up and settle it; return when, or None if forgotten."""
        plan, rng = self.plan, self.rng
        spec = FOLLOW_UPS[kind]
        self.follow_ups.append(kind)
        actor = self.officer if spec.by_officer else plan.reporter
        due_on = plan.occurred_at.date() + timedelta(days=rng.randint(*spec.due_days))
        if due_on.weekday() == 6:
            due_on += timedelta(days=1)
        follow_up_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        scheduled_at = at + timedelta(minutes=3)
        self.add(
            scheduled_at,
            partial(
                self.log.schedule_follow_up,
                plan.incident_id,
                actor=actor,
                kind=kind,
                due_on=due_on,
                assignee=rng.choice(spec.assignees),
                note=rng.choice(spec.notes),
                follow_up_id=follow_up_id,
            ),
        )
        draw = rng.random()
        if draw < 0.05:
            return None
        due_at = datetime.combine(due_on, time(17), PARIS)
        if draw < 0.25:
            settled_at = due_at + timedelta(days=rng.uniform(1, 8))
        else:
            settled_at = due_at - timedelta(hours=rng.uniform(0, 48))
        settled_at = max(settled_at, scheduled_at + timedelta(hours=1))
        if draw < 0.13:
            self.add(
                settled_at,
                partial(
                    self.log.cancel_follow_up,
                    plan.incident_id,
                    follow_up_id,
                    actor=actor,
                    reason=rng.choice(spec.cancel_reasons),
                ),
            )
        else:
            self.add(
                settled_at,
                partial(
                    self.log.complete_follow_up,
                    plan.incident_id,
                    follow_up_id,
                    actor=actor,
                    note=rng.choice(spec.done_notes),
                ),
            )
        return settled_at

    def amend(self, at: datetime) -> None:
        """Correct the report: the time, or what kind of incident it was."""
        plan, rng = self.plan, self.rng
        changes: dict[str, object]
        if plan.template.category is Category.WAITING_TIME and plan.severity >= 1:
            changes = {"category": Category.VERBAL_INCIVILITY}
            reason = "Recatégorisé après relecture : des insultes ont été proférées."
        elif rng.random() < 0.5:
            earlier = plan.occurred_at - timedelta(minutes=rng.randint(15, 40))
            opening = datetime.combine(
                plan.occurred_at.date(),
                time(9 if plan.occurred_at.hour < 14 else 14),
                PARIS,
            )
            changes = {"occurred_at": max(earlier, opening)}
            reason = "Heure corrigée : le signalement a été saisi après coup."
        else:
            changes = {
                "parties": [
                    *plan.parties,
                    {"role": "bystander", "count": rng.randint(1, 4)},
                ]
            }
            reason = "Témoins de la scène ajoutés."
        if changes.get("occurred_at") == plan.occurred_at:
            summary = f"{plan.template.summary} Faits confirmés par un témoin."
            changes = {"summary": summary}
            reason = "Précision apportée par l'agent du guichet."
        self.add(
            at,
            partial(
                self.log.amend_incident,
                plan.incident_id,
                actor=plan.reporter,
                changes=changes,
                reason=reason,
            ),
        )

    def reassess(self, at: datetime) -> None:
        """Have the officer reassess the severity after hearing everyone."""
        plan = self.plan
        if plan.severity >= 3:
            return
        if plan.severity == 2:
            severity, reason = (
                1,
                "Pas de menace caractérisée après échange avec l'agent.",
            )
        elif plan.severity == 1:
            severity, reason = 2, "Menaces rapportées par l'agent après l'échange."
        else:
            severity, reason = 1, "L'agent a été affecté par l'échange."
        self.add(
            at,
            partial(
                self.log.reassess_severity,
                plan.incident_id,
                actor=self.officer,
                severity=severity,
                reason=reason,
            ),
        )

    def note(self, reported_at: datetime) -> None:
        """Sometimes add a note, days later, while open or after closing."""
        plan, rng = self.plan, self.rng
        if rng.random() >= 0.08:
            return
        text = rng.choice(NOTES)
        if plan.trigger is Trigger.MACHINE_FAILURE:
            text = MACHINE_NOTE
        elif plan.trigger is Trigger.BENEFITS_PAYMENT_DAY:
            text = PAYDAY_NOTE
        actor = rng.choice([plan.reporter, self.officer])
        at = reported_at + timedelta(hours=rng.uniform(1, 96))
        self.add(
            at, partial(self.log.add_note, plan.incident_id, actor=actor, text=text)
        )

    def resolution(self) -> Resolution:
        """Choose how the incident ended, from what happened."""
        plan, rng = self.plan, self.rng
        if FollowUpKind.COMPLAINT in self.follow_ups:
            return Resolution.COMPLAINT_FILED
        if EscalationTarget.POLICE in self.escalated_to:
            return Resolution.POLICE_INTERVENTION
        if FollowUpKind.PARTNER_REFERRAL in self.follow_ups:
            return Resolution.REFERRED_TO_PARTNER
        if plan.severity >= 2 and EscalationTarget.OFFICE_MANAGER in self.escalated_to:
            return Resolution.ESCALATED_MANAGEMENT
        if self.outcome is Outcome.LEFT:
            return (
                Resolution.LEFT_CALM if plan.severity <= 1 else Resolution.LEFT_AGITATED
            )
        if self.outcome is Outcome.NOT_CALMED:
            return Resolution.LEFT_AGITATED
        if (
            plan.template.category
            in {
                Category.MISUNDERSTANDING,
                Category.SERVICE_REFUSED,
            }
            and rng.random() < 0.6
        ):
            return Resolution.NEED_MET
        return pick(rng, {Resolution.RESOLVED_ON_SITE: 3, Resolution.LEFT_CALM: 1})

    def close(self, resolution: Resolution, note: str | None = None) -> None:
        """Close the incident as the officer covering its office."""
        self.log.close_incident(
            self.plan.incident_id, actor=self.officer, resolution=resolution, note=note
        )
