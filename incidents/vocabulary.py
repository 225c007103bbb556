"""Name the codes of the product's vocabulary: stable API values, never UI text."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Category(StrEnum):
    """Classify what kind of tension or incident it was."""

    WAITING_TIME = "waiting_time"
    SERVICE_REFUSED = "service_refused"
    MISUNDERSTANDING = "misunderstanding"
    VERBAL_INCIVILITY = "verbal_incivility"
    DISCRIMINATORY_REMARKS = "discriminatory_remarks"
    THREAT = "threat"
    PHYSICAL_AGGRESSION = "physical_aggression"
    PROPERTY_DAMAGE = "property_damage"
    DISPUTE_BETWEEN_VISITORS = "dispute_between_visitors"
    RISK_BEHAVIOUR = "risk_behaviour"
    THEFT = "theft"
    OTHER = "other"


class Severity(IntEnum):
    """Grade how serious it was, from a defused tension to a critical incident."""

    DEFUSED = 0
    LOW = 1
    MODERATE = 2
    SERIOUS = 3
    CRITICAL = 4


class Target(StrEnum):
    """Say whom or what the behaviour was aimed at."""

    MEDIATOR = "mediator"
    STAFF = "staff"
    VISITOR = "visitor"
    PROPERTY = "property"


class Trigger(StrEnum):
    """Say what set the tension off, when it is known."""

    QUEUE = "queue"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    MISSING_DOCUMENT = "missing_document"
    REGISTERED_MAIL = "registered_mail"
    PARCEL = "parcel"
    MACHINE_FAILURE = "machine_failure"
    ONLINE_PROCEDURE = "online_procedure"
    BENEFITS_PAYMENT_DAY = "benefits_payment_day"
    LANGUAGE = "language"
    OTHER = "other"


class PartyRole(StrEnum):
    """Describe a party to an incident by role, never by name."""

    VISITOR = "visitor"
    STAFF = "staff"
    MEDIATOR = "mediator"
    BYSTANDER = "bystander"
    OTHER = "other"


class Technique(StrEnum):
    """Name a de-escalation technique a mediator used."""

    ACTIVE_LISTENING = "active_listening"
    EXPLANATION = "explanation"
    MOVED_ASIDE = "moved_aside"
    TOOK_OVER_TASK = "took_over_task"
    DEFERRED = "deferred"
    HANDED_TO_STAFF = "handed_to_staff"
    SEPARATED_PARTIES = "separated_parties"
    PEER_OR_INTERPRETER = "peer_or_interpreter"
    CALLED_SECURITY = "called_security"


class Outcome(StrEnum):
    """Say how a de-escalation attempt ended."""

    CALMED = "calmed"
    PARTIALLY_CALMED = "partially_calmed"
    NOT_CALMED = "not_calmed"
    LEFT = "left"


class EscalationTarget(StrEnum):
    """Name whom an incident was escalated to."""

    OFFICE_MANAGER = "office_manager"
    SECURITY = "security"
    POLICE = "police"
    EMERGENCY_SERVICES = "emergency_services"


class FollowUpKind(StrEnum):
    """Classify a follow-up action."""

    ASSOCIATION_DEBRIEF = "association_debrief"
    STAFF_SUPPORT = "staff_support"
    MANAGER_REPORT = "manager_report"
    COMPLAINT = "complaint"
    PARTNER_REFERRAL = "partner_referral"
    VISITOR_WATCH = "visitor_watch"
    PROCESS_IMPROVEMENT = "process_improvement"
    OTHER = "other"


class FollowUpStatus(StrEnum):
    """Track where a follow-up stands."""

    SCHEDULED = "scheduled"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class Resolution(StrEnum):
    """Say how an incident ended when it is closed."""

    RESOLVED_ON_SITE = "resolved_on_site"
    NEED_MET = "need_met"
    REFERRED_TO_PARTNER = "referred_to_partner"
    LEFT_CALM = "left_calm"
    LEFT_AGITATED = "left_agitated"
    ESCALATED_MANAGEMENT = "escalated_management"
    POLICE_INTERVENTION = "police_intervention"
    COMPLAINT_FILED = "complaint_filed"
    DUPLICATE = "duplicate"
    INVALID = "invalid"


class Status(StrEnum):
    """Say whether an incident is still being handled."""

    OPEN = "open"
    CLOSED = "closed"


class ShiftStatus(StrEnum):
    """Say whether a shift of the rota still stands."""

    PLANNED = "planned"
    CANCELLED = "cancelled"


class Weekday(StrEnum):
    """Name the days of the week, Monday first, as opening hours are keyed."""

    MONDAY = "monday"
    TUESDAY = "tuesday"
    WEDNESDAY = "wednesday"
    THURSDAY = "thursday"
    FRIDAY = "friday"
    SATURDAY = "saturday"
    SUNDAY = "sunday"


class Role(StrEnum):
    """Name what a person may do in the product."""

    MEDIATOR = "mediator"
    OFFICER = "officer"
    AUDITOR = "auditor"
    ADMIN = "admin"
