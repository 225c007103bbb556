"""List what the demo tells: kinds of incidents, how likely each is, and their words.

Each line of :data:`TEMPLATES` is one situation; the tables below it say, by
category, whom an incident targets, how severe it is, what the mediator tries and
how it ends, and give the words of follow-ups, escalations and notes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from incidents.vocabulary import (
    Category,
    EscalationTarget,
    FollowUpKind,
    Outcome,
    Target,
    Technique,
    Trigger,
)


@dataclass(frozen=True, eq=False)
class Template:
    """Describe one kind of situation and how often it happens."""

    category: Category
    summary: str
    triggers: tuple[Trigger | None, ...]
    weight: float
    payday_weight: float
    rush: bool = False
    targets: Mapping[Target, float] | None = None


_STAFF = {Target.STAFF: 1.0}
_MEDIATOR = {Target.MEDIATOR: 1.0}
_VISITOR = {Target.VISITOR: 1.0}
_PROPERTY = {Target.PROPERTY: 1.0}

# A data table, one situation a line: (category, summary, triggers, weight on
# an ordinary day, weight on a benefit-payment day, more likely at opening?).
C, G = Category, Trigger
# fmt: off
TEMPLATES = (
    Template(C.WAITING_TIME, "Usager mécontent de l'attente au guichet colis, ton qui monte.", (G.PARCEL, G.QUEUE), 8, 8, rush=True),  # noqa: E501
    Template(C.WAITING_TIME, "File d'attente jusqu'à la porte à l'ouverture, plusieurs usagers s'impatientent.", (G.QUEUE,), 6, 10, rush=True),  # noqa: E501
    Template(C.WAITING_TIME, "Usager qui refuse de prendre un ticket et conteste l'ordre de passage.", (G.QUEUE,), 5, 6, rush=True),  # noqa: E501
    Template(C.WAITING_TIME, "Attente prolongée pour retirer une lettre recommandée, usager excédé.", (G.REGISTERED_MAIL,), 5, 4),  # noqa: E501
    Template(C.WAITING_TIME, "Un seul guichet ouvert à la reprise de l'après-midi, remarques vives sur l'attente.", (G.QUEUE,), 4, 5, rush=True),  # noqa: E501
    Template(C.WAITING_TIME, "Forte affluence le jour du versement des prestations, impatience dans la file.", (G.BENEFITS_PAYMENT_DAY,), 0, 12, rush=True),  # noqa: E501
    Template(C.MISUNDERSTANDING, "Difficulté avec l'automate d'affranchissement, incompréhension de la langue.", (G.LANGUAGE,), 5, 4),  # noqa: E501
    Template(C.MISUNDERSTANDING, "Usager qui ne comprend pas pourquoi son colis est en instance, barrière de la langue.", (G.LANGUAGE, G.PARCEL), 4, 3),  # noqa: E501
    Template(C.MISUNDERSTANDING, "Démarche en ligne impossible sans adresse électronique, usager désemparé.", (G.ONLINE_PROCEDURE,), 4, 3),  # noqa: E501
    Template(C.MISUNDERSTANDING, "Automate de retrait hors service, usager persuadé qu'on lui refuse son argent.", (G.MACHINE_FAILURE,), 3, 5),  # noqa: E501
    Template(C.MISUNDERSTANDING, "Incompréhension sur un avis de passage : retrait impossible sans pièce d'identité.", (G.MISSING_DOCUMENT, G.REGISTERED_MAIL), 3, 3, targets=_STAFF),  # noqa: E501
    Template(C.MISUNDERSTANDING, "Usager perdu dans l'espace numérique, mot de passe de son compte en ligne oublié.", (G.ONLINE_PROCEDURE,), 3, 2, targets=_MEDIATOR),  # noqa: E501
    Template(C.MISUNDERSTANDING, "Courrier administratif incompris, échange tendu faute d'interprète.", (G.LANGUAGE,), 3, 3),  # noqa: E501
    Template(C.MISUNDERSTANDING, "Code de validation par SMS non reçu pour une opération en ligne, usager agacé.", (G.ONLINE_PROCEDURE,), 2, 2),  # noqa: E501
    Template(C.SERVICE_REFUSED, "Retrait refusé faute de pièce d'identité valide, usager contrarié.", (G.MISSING_DOCUMENT,), 5, 6),  # noqa: E501
    Template(C.SERVICE_REFUSED, "Solde insuffisant pour le retrait demandé, usager qui conteste au guichet.", (G.INSUFFICIENT_FUNDS,), 3, 9, targets=_STAFF),  # noqa: E501
    Template(C.SERVICE_REFUSED, "Prestation pas encore créditée sur le compte, usager qui insiste pour retirer.", (G.INSUFFICIENT_FUNDS, G.BENEFITS_PAYMENT_DAY), 1, 9),  # noqa: E501
    Template(C.SERVICE_REFUSED, "Procuration non valable pour retirer un recommandé, refus mal accepté.", (G.REGISTERED_MAIL, G.MISSING_DOCUMENT), 3, 3),  # noqa: E501
    Template(C.SERVICE_REFUSED, "Colis retourné à l'expéditeur à la fin du délai de garde, usager mécontent.", (G.PARCEL,), 3, 3),  # noqa: E501
    Template(C.SERVICE_REFUSED, "Plafond de retrait atteint, usager qui réclame une exception.", (G.INSUFFICIENT_FUNDS,), 1, 4, targets=_STAFF),  # noqa: E501
    Template(C.VERBAL_INCIVILITY, "Insultes envers l'agent du guichet après un refus d'opération.", (G.INSUFFICIENT_FUNDS, G.MISSING_DOCUMENT), 5, 8, targets=_STAFF),  # noqa: E501
    Template(C.VERBAL_INCIVILITY, "Propos agressifs envers l'équipe de médiation à l'accueil.", (G.QUEUE, G.OTHER), 4, 5, targets=_MEDIATOR),  # noqa: E501
    Template(C.VERBAL_INCIVILITY, "Usager qui hausse le ton et frappe sur le comptoir en attendant son tour.", (G.QUEUE,), 4, 5, rush=True),  # noqa: E501
    Template(C.VERBAL_INCIVILITY, "Remarques grossières à voix haute dans la file, gêne des autres usagers.", (G.QUEUE,), 2, 3, targets={Target.STAFF: 0.6, Target.VISITOR: 0.4}),  # noqa: E501
    Template(C.VERBAL_INCIVILITY, "Usager qui filme l'agent avec son téléphone en l'invectivant.", (G.OTHER, None), 1, 1, targets=_STAFF),  # noqa: E501
    Template(C.DISCRIMINATORY_REMARKS, "Propos racistes envers un agent après une attente jugée trop longue.", (G.QUEUE,), 1, 1.5, targets=_STAFF),  # noqa: E501
    Template(C.DISCRIMINATORY_REMARKS, "Remarques déplacées sur l'accent d'une agente au guichet.", (G.LANGUAGE,), 0.8, 0.8, targets=_STAFF),  # noqa: E501
    Template(C.THREAT, "Menaces verbales envers l'agent : « je vous attends à la sortie ».", (G.INSUFFICIENT_FUNDS, G.MISSING_DOCUMENT), 1, 1.5, targets=_STAFF),  # noqa: E501
    Template(C.THREAT, "Usager qui menace de revenir « régler ses comptes » après un refus de retrait.", (G.INSUFFICIENT_FUNDS, G.BENEFITS_PAYMENT_DAY), 0.8, 1.5),  # noqa: E501
    Template(C.THREAT, "Attitude intimidante envers l'équipe de médiation près des automates.", (G.MACHINE_FAILURE, None), 0.5, 0.5, targets=_MEDIATOR),  # noqa: E501
    Template(C.PHYSICAL_AGGRESSION, "Usager qui bouscule un agent en voulant passer derrière le guichet.", (G.QUEUE, G.OTHER), 0.2, 0.3, targets=_STAFF),  # noqa: E501
    Template(C.PHYSICAL_AGGRESSION, "Objet lancé vers le guichet, agent touché au bras sans blessure grave.", (G.INSUFFICIENT_FUNDS,), 0.15, 0.25, targets=_STAFF),  # noqa: E501
    Template(C.PROPERTY_DAMAGE, "Écran de l'automate frappé du poing, vitre fissurée.", (G.MACHINE_FAILURE,), 0.6, 0.6, targets=_PROPERTY),  # noqa: E501
    Template(C.PROPERTY_DAMAGE, "Présentoir renversé volontairement après un refus de service.", (G.MISSING_DOCUMENT, G.INSUFFICIENT_FUNDS), 0.4, 0.5, targets=_PROPERTY),  # noqa: E501
    Template(C.DISPUTE_BETWEEN_VISITORS, "Altercation verbale entre deux usagers pour une place dans la file.", (G.QUEUE,), 3, 4, rush=True, targets=_VISITOR),  # noqa: E501
    Template(C.DISPUTE_BETWEEN_VISITORS, "Dispute entre usagers devant l'automate de retrait en panne.", (G.MACHINE_FAILURE,), 1.2, 1.5, targets=_VISITOR),  # noqa: E501
    Template(C.RISK_BEHAVIOUR, "Usager en forte détresse après le rejet d'une démarche, propos inquiétants.", (G.ONLINE_PROCEDURE, G.OTHER), 1.2, 1.2),  # noqa: E501
    Template(C.RISK_BEHAVIOUR, "Personne âgée désorientée dans le bureau, malaise passager.", (G.OTHER, None), 0.8, 0.8, targets=_VISITOR),  # noqa: E501
    Template(C.THEFT, "Tentative de vol d'un téléphone posé sur la tablette de l'espace numérique.", (None,), 0.4, 0.4, targets=_VISITOR),  # noqa: E501
    Template(C.THEFT, "Vol de fournitures d'emballage au libre-service.", (None,), 0.3, 0.3, targets=_PROPERTY),  # noqa: E501
    Template(C.OTHER, "Usager en état d'ébriété dans le bureau, comportement perturbant.", (G.OTHER, None), 1.2, 1.2),  # noqa: E501
    Template(C.OTHER, "Chien non tenu en laisse dans la file, inquiétude des usagers.", (G.QUEUE, None), 0.6, 0.6, targets=_VISITOR),  # noqa: E501
)
# fmt: on
del C, G

CRITICAL_SUMMARY = (
    "Agent frappé avec un objet contondant au guichet, blessure ayant nécessité "
    "les secours, bureau fermé une heure."
)

DEFAULT_TARGETS: Mapping[Category, Mapping[Target, float]] = {
    Category.WAITING_TIME: {Target.STAFF: 55, Target.MEDIATOR: 40, Target.VISITOR: 5},
    Category.MISUNDERSTANDING: {
        Target.MEDIATOR: 55,
        Target.STAFF: 40,
        Target.PROPERTY: 5,
    },
    Category.SERVICE_REFUSED: {Target.STAFF: 80, Target.MEDIATOR: 20},
    Category.VERBAL_INCIVILITY: {
        Target.STAFF: 55,
        Target.MEDIATOR: 40,
        Target.VISITOR: 5,
    },
    Category.DISCRIMINATORY_REMARKS: {
        Target.STAFF: 55,
        Target.MEDIATOR: 35,
        Target.VISITOR: 10,
    },
    Category.PHYSICAL_AGGRESSION: {
        Target.STAFF: 60,
        Target.MEDIATOR: 25,
        Target.VISITOR: 15,
    },
    Category.PROPERTY_DAMAGE: _PROPERTY,
    Category.DISPUTE_BETWEEN_VISITORS: _VISITOR,
    Category.THEFT: {Target.VISITOR: 50, Target.PROPERTY: 50},
    Category.THREAT: {Target.STAFF: 60, Target.MEDIATOR: 35, Target.VISITOR: 5},
    Category.RISK_BEHAVIOUR: {Target.VISITOR: 85, Target.MEDIATOR: 15},
    Category.OTHER: {Target.STAFF: 40, Target.MEDIATOR: 40, Target.VISITOR: 20},
}

SEVERITIES: Mapping[Category, Mapping[int, float]] = {
    Category.WAITING_TIME: {0: 55, 1: 40, 2: 5},
    Category.MISUNDERSTANDING: {0: 70, 1: 28, 2: 2},
    Category.SERVICE_REFUSED: {0: 40, 1: 50, 2: 10},
    Category.VERBAL_INCIVILITY: {0: 10, 1: 65, 2: 25},
    Category.DISCRIMINATORY_REMARKS: {1: 25, 2: 75},
    Category.THREAT: {2: 90, 3: 10},
    Category.PHYSICAL_AGGRESSION: {3: 100},
    Category.PROPERTY_DAMAGE: {1: 55, 2: 40, 3: 5},
    Category.DISPUTE_BETWEEN_VISITORS: {0: 30, 1: 50, 2: 18, 3: 2},
    Category.RISK_BEHAVIOUR: {0: 30, 1: 50, 2: 20},
    Category.THEFT: {1: 60, 2: 40},
    Category.OTHER: {0: 50, 1: 45, 2: 5},
}

TECHNIQUES: Mapping[Category, Mapping[Technique, float]] = {
    Category.WAITING_TIME: {
        Technique.EXPLANATION: 5,
        Technique.ACTIVE_LISTENING: 4,
        Technique.TOOK_OVER_TASK: 3,
        Technique.DEFERRED: 1,
        Technique.HANDED_TO_STAFF: 1,
    },
    Category.MISUNDERSTANDING: {
        Technique.EXPLANATION: 5,
        Technique.TOOK_OVER_TASK: 5,
        Technique.PEER_OR_INTERPRETER: 2,
        Technique.ACTIVE_LISTENING: 2,
    },
    Category.SERVICE_REFUSED: {
        Technique.EXPLANATION: 5,
        Technique.ACTIVE_LISTENING: 4,
        Technique.HANDED_TO_STAFF: 2,
        Technique.DEFERRED: 2,
    },
    Category.VERBAL_INCIVILITY: {
        Technique.ACTIVE_LISTENING: 5,
        Technique.MOVED_ASIDE: 3,
        Technique.EXPLANATION: 3,
        Technique.HANDED_TO_STAFF: 1,
    },
    Category.DISCRIMINATORY_REMARKS: {
        Technique.ACTIVE_LISTENING: 3,
        Technique.MOVED_ASIDE: 3,
        Technique.HANDED_TO_STAFF: 2,
        Technique.SEPARATED_PARTIES: 1,
    },
    Category.THREAT: {
        Technique.MOVED_ASIDE: 4,
        Technique.ACTIVE_LISTENING: 3,
        Technique.CALLED_SECURITY: 2,
        Technique.HANDED_TO_STAFF: 2,
    },
    Category.PHYSICAL_AGGRESSION: {
        Technique.SEPARATED_PARTIES: 4,
        Technique.CALLED_SECURITY: 4,
        Technique.MOVED_ASIDE: 2,
    },
    Category.PROPERTY_DAMAGE: {
        Technique.MOVED_ASIDE: 3,
        Technique.ACTIVE_LISTENING: 2,
        Technique.CALLED_SECURITY: 2,
    },
    Category.DISPUTE_BETWEEN_VISITORS: {
        Technique.SEPARATED_PARTIES: 5,
        Technique.ACTIVE_LISTENING: 3,
        Technique.MOVED_ASIDE: 2,
    },
    Category.RISK_BEHAVIOUR: {
        Technique.ACTIVE_LISTENING: 5,
        Technique.MOVED_ASIDE: 3,
        Technique.PEER_OR_INTERPRETER: 1,
        Technique.DEFERRED: 1,
    },
    Category.THEFT: {
        Technique.HANDED_TO_STAFF: 3,
        Technique.CALLED_SECURITY: 2,
        Technique.ACTIVE_LISTENING: 1,
    },
    Category.OTHER: {
        Technique.ACTIVE_LISTENING: 3,
        Technique.MOVED_ASIDE: 2,
        Technique.EXPLANATION: 2,
        Technique.HANDED_TO_STAFF: 1,
    },
}

OUTCOMES: Mapping[int, Mapping[Outcome, float]] = {
    0: {Outcome.CALMED: 85, Outcome.PARTIALLY_CALMED: 12, Outcome.LEFT: 3},
    1: {
        Outcome.CALMED: 60,
        Outcome.PARTIALLY_CALMED: 28,
        Outcome.LEFT: 8,
        Outcome.NOT_CALMED: 4,
    },
    2: {
        Outcome.CALMED: 30,
        Outcome.PARTIALLY_CALMED: 35,
        Outcome.NOT_CALMED: 20,
        Outcome.LEFT: 15,
    },
    3: {Outcome.NOT_CALMED: 50, Outcome.LEFT: 30, Outcome.PARTIALLY_CALMED: 20},
    4: {Outcome.NOT_CALMED: 70, Outcome.LEFT: 30},
}

# Fictional people to call back: ARCEP reserves 06 39 98 xx xx for fiction.
CONTACT_NAMES = (
    "M. Durand",
    "Mme Martin",
    "M. Bernard",
    "Mme Petit",
    "M. Robert",
    "Mme Richard",
    "M. Moreau",
    "Mme Simon",
    "M. Laurent",
    "Mme Lefebvre",
    "M. Michel",
    "Mme Garcia",
)


@dataclass(frozen=True)
class FollowUpSpec:
    """Say when a kind of follow-up is due, who plans it, and its words."""

    due_days: tuple[int, int]
    by_officer: bool
    assignees: tuple[str, ...]
    notes: tuple[str, ...]
    done_notes: tuple[str, ...]
    cancel_reasons: tuple[str, ...]


FOLLOW_UPS: Mapping[FollowUpKind, FollowUpSpec] = {
    FollowUpKind.ASSOCIATION_DEBRIEF: FollowUpSpec(
        (2, 7),
        False,
        ("coordination de la médiation",),
        ("Débriefing avec la coordinatrice de l'association.",),
        ("Débriefing fait, pistes notées pour l'accueil.", "Débriefing fait."),
        ("Débriefing regroupé avec la réunion d'équipe.",),
    ),
    FollowUpKind.MANAGER_REPORT: FollowUpSpec(
        (1, 3),
        True,
        ("direction du bureau",),
        ("Rapport écrit à transmettre à la direction du bureau.",),
        ("Rapport transmis.", "Rapport transmis et lu en réunion."),
        ("Déjà traité lors de l'échange avec la direction.",),
    ),
    FollowUpKind.STAFF_SUPPORT: FollowUpSpec(
        (1, 5),
        True,
        ("direction du bureau", "référent sûreté"),
        ("Proposer un entretien de soutien à l'agent concerné.",),
        ("Entretien fait, l'agent va bien.", "Soutien proposé, pas de suite."),
        ("L'agent ne souhaite pas d'entretien.",),
    ),
    FollowUpKind.COMPLAINT: FollowUpSpec(
        (1, 2),
        True,
        ("direction du bureau",),
        ("Accompagner l'agent pour le dépôt de plainte.",),
        ("Plainte déposée au commissariat.",),
        ("L'agent a choisi une main courante.",),
    ),
    FollowUpKind.PARTNER_REFERRAL: FollowUpSpec(
        (3, 10),
        False,
        ("CCAS", "conseiller numérique", "point d'accès au droit"),
        ("Rappeler l'usager pour un rendez-vous avec un partenaire.",),
        ("Usager rappelé, rendez-vous pris.", "Usager rappelé et orienté."),
        ("Usager injoignable après trois appels.",),
    ),
    FollowUpKind.PROCESS_IMPROVEMENT: FollowUpSpec(
        (7, 21),
        True,
        ("direction du bureau", "support technique"),
        ("Signaler l'automate et revoir l'affichage de la file.",),
        ("Automate réparé, affichage revu.", "Demande prise en compte."),
        ("Sans objet : automate remplacé entre-temps.",),
    ),
    FollowUpKind.VISITOR_WATCH: FollowUpSpec(
        (14, 28),
        True,
        ("équipe de médiation",),
        ("Vigilance si l'usager revient : accueil à deux.",),
        ("Usager revenu, passage sans incident.", "Pas de nouvel incident."),
        ("Levée après échange avec la direction.",),
    ),
    FollowUpKind.OTHER: FollowUpSpec(
        (2, 7),
        False,
        ("guichet colis",),
        ("Rappeler l'usager dès que le colis est localisé.",),
        ("Colis retrouvé, usager prévenu.",),
        ("Colis livré entre-temps.",),
    ),
}

ESCALATION_NOTES: Mapping[EscalationTarget, tuple[str, ...]] = {
    EscalationTarget.OFFICE_MANAGER: (
        "Direction du bureau informée, venue au guichet.",
        "Direction du bureau informée.",
    ),
    EscalationTarget.SECURITY: ("Agent de sécurité sollicité, arrivé en renfort.",),
    EscalationTarget.POLICE: ("Police appelée (17), intervention sur place.",),
    EscalationTarget.EMERGENCY_SERVICES: ("Pompiers (18) appelés.",),
}

NOTES = (
    "Usager revenu le lendemain, échange apaisé avec l'agent.",
    "Situation évoquée lors de la réunion d'équipe hebdomadaire.",
    "Agent rencontré en fin de journée, rien à signaler.",
    "Point fait avec la direction sur l'ouverture des guichets à l'heure d'affluence.",
)
PAYDAY_NOTE = "Affluence liée au versement des prestations : renfort demandé."
MACHINE_NOTE = "Automate signalé au support technique."
DUPLICATE_NOTE = "Doublon d'un signalement saisi par l'agent du guichet."
INVALID_NOTE = "Saisie d'essai lors de la prise en main de l'application."
