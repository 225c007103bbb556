"""Give every code of the vocabulary its label, on the pages and in spreadsheets.

French is the source; English comes from the pages' catalog.

Codes are stable API values (:mod:`incidents.vocabulary`); labels are UI text,
translated like any other string. A test checks that every code has one.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from incidents import vocabulary as v

Labels = Mapping[str, LazyString]

CATEGORY: Labels = MappingProxyType(
    {
        v.Category.WAITING_TIME: _l("Attente / file d'attente"),
        v.Category.SERVICE_REFUSED: _l("Refus ou impossibilité de service"),
        v.Category.MISUNDERSTANDING: _l(
            "Incompréhension (langue, numérique, automate)"
        ),
        v.Category.VERBAL_INCIVILITY: _l("Incivilité verbale"),
        v.Category.DISCRIMINATORY_REMARKS: _l("Propos discriminatoires"),
        v.Category.THREAT: _l("Menace, intimidation"),
        v.Category.PHYSICAL_AGGRESSION: _l("Agression physique"),
        v.Category.PROPERTY_DAMAGE: _l("Dégradation"),
        v.Category.DISPUTE_BETWEEN_VISITORS: _l("Conflit entre usagers"),
        v.Category.RISK_BEHAVIOUR: _l("Conduite à risque, détresse"),
        v.Category.THEFT: _l("Vol ou tentative"),
        v.Category.OTHER: _l("Autre"),
    }
)
SEVERITY: Labels = MappingProxyType(
    {
        str(v.Severity.DEFUSED.value): _l("0 · Tension désamorcée"),
        str(v.Severity.LOW.value): _l("1 · Faible"),
        str(v.Severity.MODERATE.value): _l("2 · Modérée"),
        str(v.Severity.SERIOUS.value): _l("3 · Grave"),
        str(v.Severity.CRITICAL.value): _l("4 · Critique"),
    }
)
TARGET: Labels = MappingProxyType(
    {
        v.Target.MEDIATOR: _l("Médiateur"),
        v.Target.STAFF: _l("Personnel"),
        v.Target.VISITOR: _l("Usager"),
        v.Target.PROPERTY: _l("Biens, locaux"),
    }
)
TRIGGER: Labels = MappingProxyType(
    {
        v.Trigger.QUEUE: _l("File d'attente"),
        v.Trigger.INSUFFICIENT_FUNDS: _l("Solde insuffisant"),
        v.Trigger.MISSING_DOCUMENT: _l("Pièce manquante"),
        v.Trigger.REGISTERED_MAIL: _l("Lettre recommandée"),
        v.Trigger.PARCEL: _l("Colis"),
        v.Trigger.MACHINE_FAILURE: _l("Automate en panne"),
        v.Trigger.ONLINE_PROCEDURE: _l("Démarche en ligne"),
        v.Trigger.BENEFITS_PAYMENT_DAY: _l("Jour de versement des prestations"),
        v.Trigger.LANGUAGE: _l("Langue"),
        v.Trigger.OTHER: _l("Autre"),
    }
)
PARTY_ROLE: Labels = MappingProxyType(
    {
        v.PartyRole.VISITOR: _l("Usager"),
        v.PartyRole.STAFF: _l("Personnel"),
        v.PartyRole.MEDIATOR: _l("Médiateur"),
        v.PartyRole.BYSTANDER: _l("Témoin"),
        v.PartyRole.OTHER: _l("Autre"),
    }
)
TECHNIQUE: Labels = MappingProxyType(
    {
        v.Technique.ACTIVE_LISTENING: _l("Écoute active"),
        v.Technique.EXPLANATION: _l("Explication"),
        v.Technique.MOVED_ASIDE: _l("Mise à l'écart"),
        v.Technique.TOOK_OVER_TASK: _l("Prise en charge de la démarche"),
        v.Technique.DEFERRED: _l("Report à plus tard"),
        v.Technique.HANDED_TO_STAFF: _l("Relais au personnel"),
        v.Technique.SEPARATED_PARTIES: _l("Séparation des personnes"),
        v.Technique.PEER_OR_INTERPRETER: _l("Pair ou interprète"),
        v.Technique.CALLED_SECURITY: _l("Appel à la sécurité"),
    }
)
OUTCOME: Labels = MappingProxyType(
    {
        v.Outcome.CALMED: _l("Apaisé"),
        v.Outcome.PARTIALLY_CALMED: _l("Partiellement apaisé"),
        v.Outcome.NOT_CALMED: _l("Non apaisé"),
        v.Outcome.LEFT: _l("Parti"),
    }
)
ESCALATION_TARGET: Labels = MappingProxyType(
    {
        v.EscalationTarget.OFFICE_MANAGER: _l("Responsable du bureau"),
        v.EscalationTarget.SECURITY: _l("Sécurité"),
        v.EscalationTarget.POLICE: _l("Police"),
        v.EscalationTarget.EMERGENCY_SERVICES: _l("Secours"),
    }
)
FOLLOW_UP_KIND: Labels = MappingProxyType(
    {
        v.FollowUpKind.ASSOCIATION_DEBRIEF: _l("Débriefing association"),
        v.FollowUpKind.STAFF_SUPPORT: _l("Soutien au personnel"),
        v.FollowUpKind.MANAGER_REPORT: _l("Compte rendu au responsable"),
        v.FollowUpKind.COMPLAINT: _l("Plainte"),
        v.FollowUpKind.PARTNER_REFERRAL: _l("Orientation vers un partenaire"),
        v.FollowUpKind.VISITOR_WATCH: _l("Vigilance sur l'usager"),
        v.FollowUpKind.PROCESS_IMPROVEMENT: _l("Amélioration du fonctionnement"),
        v.FollowUpKind.OTHER: _l("Autre"),
    }
)
FOLLOW_UP_STATUS: Labels = MappingProxyType(
    {
        v.FollowUpStatus.SCHEDULED: _l("Prévu"),
        v.FollowUpStatus.COMPLETED: _l("Fait"),
        v.FollowUpStatus.CANCELLED: _l("Annulé"),
    }
)
RESOLUTION: Labels = MappingProxyType(
    {
        v.Resolution.RESOLVED_ON_SITE: _l("Réglé sur place"),
        v.Resolution.NEED_MET: _l("Besoin satisfait"),
        v.Resolution.REFERRED_TO_PARTNER: _l("Orienté vers un partenaire"),
        v.Resolution.LEFT_CALM: _l("Parti calme"),
        v.Resolution.LEFT_AGITATED: _l("Parti agité"),
        v.Resolution.ESCALATED_MANAGEMENT: _l("Remonté à la direction"),
        v.Resolution.POLICE_INTERVENTION: _l("Intervention de la police"),
        v.Resolution.COMPLAINT_FILED: _l("Plainte déposée"),
        v.Resolution.DUPLICATE: _l("Doublon"),
        v.Resolution.INVALID: _l("Sans objet"),
    }
)
STATUS: Labels = MappingProxyType(
    {v.Status.OPEN: _l("Ouvert"), v.Status.CLOSED: _l("Clos")}
)
ROLE: Labels = MappingProxyType(
    {
        v.Role.MEDIATOR: _l("Médiateur"),
        v.Role.OFFICER: _l("Responsable sûreté"),
        v.Role.AUDITOR: _l("Auditeur"),
        v.Role.ADMIN: _l("Administrateur"),
    }
)
EVENT_TYPE: Labels = MappingProxyType(
    {
        "Reported": _l("Signalé"),
        "DeEscalationRecorded": _l("Désescalade"),
        "Escalated": _l("Escalade"),
        "SeverityReassessed": _l("Gravité réévaluée"),
        "FollowUpScheduled": _l("Suivi prévu"),
        "FollowUpCompleted": _l("Suivi fait"),
        "FollowUpCancelled": _l("Suivi annulé"),
        "NoteAdded": _l("Note"),
        "Amended": _l("Rectifié"),
        "Closed": _l("Clos"),
        "Reopened": _l("Rouvert"),
        "PersonalDataErased": _l("Données personnelles effacées"),
        # Events of people, of the office catalogue and of the disclosure log,
        # shown in the audit trail.
        "Registered": _l("Personne enregistrée"),
        "RoleChanged": _l("Rôle changé"),
        "OfficesChanged": _l("Bureaux changés"),
        "Deactivated": _l("Personne désactivée"),
        "Reactivated": _l("Personne réactivée"),
        "TokenIssued": _l("Jeton délivré"),
        "TokenRevoked": _l("Jeton révoqué"),
        "UserLogged": _l("Personne inscrite à la liste"),
        "ContactDisclosed": _l("Coordonnées consultées"),
        "ReportDownloaded": _l("Rapport ou tableur téléchargé"),
        "OfficeAdded": _l("Bureau ajouté"),
        "Created": _l("Création"),
        "MailSettingsChanged": _l("Adresse ou langue changée"),
        "NotificationPreferencesChanged": _l("Choix de notifications changés"),
        "NotificationPlanned": _l("Notification prévue"),
        "DeliveryAttempted": _l("Envoi tenté"),
        "NotificationSent": _l("Notification envoyée"),
        "DeliveryFailed": _l("Envoi échoué"),
        "NotificationRead": _l("Notification lue"),
    }
)
NOTIFICATION_KIND: Labels = MappingProxyType(
    {
        "severe_incident": _l("Incident grave"),
        "escalation": _l("Police ou secours appelés"),
        "follow_up_overdue": _l("Suivi en retard"),
        "digest": _l("Résumé"),
    }
)
SEND_STATE: Labels = MappingProxyType(
    {
        "pending": _l("En attente"),
        "sending": _l("En cours d'envoi"),
        "failed": _l("Échoué, sera réessayé"),
    }
)
CHANNEL: Labels = MappingProxyType(
    {
        "api": _l("API (jeton)"),
        "page": _l("Pages"),
        "cli": _l("Ligne de commande"),
    }
)

VOCABULARY: Mapping[str, Labels] = MappingProxyType(
    {
        "category": CATEGORY,
        "severity": SEVERITY,
        "target": TARGET,
        "trigger": TRIGGER,
        "party_role": PARTY_ROLE,
        "technique": TECHNIQUE,
        "outcome": OUTCOME,
        "escalation_target": ESCALATION_TARGET,
        "follow_up_kind": FOLLOW_UP_KIND,
        "follow_up_status": FOLLOW_UP_STATUS,
        "resolution": RESOLUTION,
        "status": STATUS,
        "role": ROLE,
        "event_type": EVENT_TYPE,
        "channel": CHANNEL,
        "notification_kind": NOTIFICATION_KIND,
        "send_state": SEND_STATE,
    }
)


def label(kind: str, code: object) -> str:
    """Return the label of a code, or the code itself when it has none."""
    if code is None:
        return ""
    found = VOCABULARY[kind].get(str(code))
    return str(found) if found is not None else str(code)


def choices(kind: str) -> list[tuple[str, str]]:
    """Return (code, label) pairs for a form's choices, in vocabulary order."""
    return [(code, str(text)) for code, text in VOCABULARY[kind].items()]
