"""Fill an incident log with a few weeks of realistic, reproducible demo data.

Everything random comes from :class:`random.Random` seeded with ``seed``: the same
seed and the same ``today`` give the same incidents, ids included, on any machine.
Each office-day has its own generator, and each incident another one for its story,
so that cutting the load at "now" (incidents later today, follow-ups not done yet)
never shifts what happens elsewhere. Only the passwords use :mod:`secrets`.

Every write goes through the public commands of :class:`IncidentLog`, so the demo
obeys the same rules as the mediators do. Each incident is written as a story of
steps (report, de-escalation, escalation, follow-ups, closure...) at virtual times;
all steps are played in time order and those after "now" are left out, which is
what leaves recent incidents open and some follow-ups overdue.

:func:`generate_history` tells the same stories much faster, for benchmarks and
sizing: the commands run on incidents held in memory, each event is recorded at
the virtual time of its step, and events are saved a thousand at a time.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
import secrets
import time as timer
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import TYPE_CHECKING, TypeVar
from zoneinfo import ZoneInfo

from incidents.application import load_default_offices
from incidents.domain import Incident
from incidents.errors import InvalidInputError
from incidents.vocabulary import (
    Category,
    EscalationTarget,
    FollowUpKind,
    Outcome,
    Resolution,
    Role,
    Target,
    Technique,
    Trigger,
)

if TYPE_CHECKING:
    from eventsourcing.domain import DomainEventProtocol

    from incidents.application import IncidentLog

T = TypeVar("T")

PARIS = ZoneInfo("Europe/Paris")
ADMIN_ACTOR = "system"

# One user per role with a password, printed by ``incidents demo``.
MEDIATOR = "mediatrice"
OFFICER = "responsable"
AUDITOR = "auditrice"
ADMIN = "admin"
# The other four mediators of the weekly rotation, without passwords: they only
# give the incidents realistic authors.
OTHER_MEDIATORS = (
    "mediateur.karim",
    "mediatrice.ines",
    "mediateur.julien",
    "mediatrice.fatou",
)
# A second officer, without password, covers the offices of the Boucle Nord, so
# that every office has an officer to review and close its incidents.
NORTH_OFFICER = "responsable.boucle-nord"
NANTERRE = "nanterre-"

# Offices open Monday to Saturday, 9:00-12:00 and 14:00-18:00; Saturday mornings
# only. Tension peaks at opening and reopening (people wait outside).
WEEKDAY_HOURS = {9: 1.5, 10: 1.0, 11: 0.9, 14: 1.3, 15: 0.8, 16: 0.9, 17: 1.1}
SATURDAY_HOURS = {9: 1.4, 10: 1.1, 11: 1.0}
RUSH_HOURS = frozenset({9, 14})
# Incidents per office and open day before the factors below (about 2.5 on average).
BASE_RATE = 2.2
MONDAY_FACTOR = 1.15
SATURDAY_FACTOR = 0.55
# Social benefits (RSA, family and housing allowances, pensions) are paid in the
# first days of the month: queues, withdrawals refused for lack of funds.
PAYDAY_LAST = 10


def payday_factor(day: date) -> float:
    """Return how much busier a day of the month is because benefits are paid."""
    if day.day <= 4:
        return 1.4
    if day.day <= 8:
        return 1.9
    if day.day <= PAYDAY_LAST:
        return 1.5
    return 1.0


@dataclass(frozen=True)
class DemoResult:
    """Say what the demo loaded: who may sign in, and how much was recorded."""

    credentials: list[tuple[str, str, str]]
    incidents: int
    events: int


def load_demo(
    log: IncidentLog,
    *,
    today: date,
    seed: int = 92,
    weeks: int = 6,
    passwords: Mapping[str, str] | None = None,
) -> DemoResult:
    """Load offices, demo users and ``weeks`` weeks of incidents up to ``today``.

    Expects a log without the demo users: registering them again raises
    :class:`~incidents.errors.UserAlreadyExistsError` before any incident is written.
    """
    if weeks < 1:
        raise InvalidInputError.field("weeks", "Give at least one week.")
    head_before = _head(log)
    # The rotation covers the ten offices of the scheme, not offices added later.
    scheme = load_default_offices()
    log.ensure_offices(scheme)
    offices = sorted(office["code"] for office in scheme)
    credentials = _register_users(log, offices, passwords or {})
    now = log.clock()
    end_of_today = datetime.combine(today, time(23, 59, 59), PARIS)
    cutoff = min(now, end_of_today)
    plans = _plan_incidents(seed, offices, today, weeks)
    steps: list[_Step] = []
    for number, plan in enumerate(plans):
        story = _Story(log, plan, _officer_for(plan.office))
        steps.extend(
            _Step(at, (number, index), run)
            for index, (at, run) in enumerate(story.tell())
        )
    steps.sort(key=lambda step: (step.at, step.order))
    incidents = 0
    for step in steps:
        if step.at > cutoff:
            break
        step.run()
        if step.order[1] == 0:  # A story starts with its report.
            incidents += 1
    return DemoResult(
        credentials=credentials, incidents=incidents, events=_head(log) - head_before
    )


def _head(log: IncidentLog) -> int:
    return log.recorder.max_notification_id() or 0


def register_people(
    log: IncidentLog, passwords: Mapping[str, str] | None = None
) -> list[tuple[str, str, str]]:
    """Register the demo's people; return (name, role, password) of sign-ins."""
    scheme = load_default_offices()
    log.ensure_offices(scheme)
    offices = sorted(office["code"] for office in scheme)
    return _register_users(log, offices, passwords or {})


# People.

_WORDS = (
    "ancre arbre avion balai bateau biscuit bougie bouton cabane cactus canard "
    "carton castor cerise chaise chalet chemin citron colis comete coquille corde "
    "crayon dauphin domino ecureuil etoile facteur falaise farine fenetre feuille "
    "flocon fourmi fraise frigo fusee galet gateau girafe glacier gomme grenier "
    "guichet hibou horloge igloo jardin jasmin jongleur kiwi lampe lapin lavande "
    "lettre lezard licorne loupe lutin macaron manteau marmotte melon meteo miroir "
    "moulin mouton muguet nuage olive orange ours palmier panda papier pelican "
    "perle phare piano pigeon pinceau pirate plume poivre pomme pont potiron "
    "prairie puzzle radis raisin renard riviere robot roseau sable sapin sardine "
    "savon sifflet sirop soleil sommet tambour tapis theiere timbre tortue toucan "
    "tramway trefle tulipe valise velo violon volcan wagon yaourt zebre"
)
PASSWORD_WORDS = tuple(_WORDS.split())


def generate_password() -> str:
    """Return a password easy to type on a phone: three words and four digits."""
    words = [secrets.choice(PASSWORD_WORDS) for _ in range(3)]
    return "-".join([*words, f"{secrets.randbelow(10_000):04d}"])


def _register_users(
    log: IncidentLog, offices: list[str], passwords: Mapping[str, str]
) -> list[tuple[str, str, str]]:
    nanterre = [code for code in offices if code.startswith(NANTERRE)]
    north = [code for code in offices if not code.startswith(NANTERRE)]
    credentials: list[tuple[str, str, str]] = []

    def register(
        name: str,
        role: Role,
        scope: list[str] | None,
        display_name: str,
        *,
        with_password: bool,
    ) -> None:
        password = None
        if with_password:
            password = passwords.get(name) or generate_password()
            credentials.append((name, role.value, password))
        actor = ADMIN_ACTOR if name == ADMIN else ADMIN
        log.register_user(
            actor=actor,
            name=name,
            role=role,
            offices=scope,
            display_name=display_name,
            password=password,
        )

    # The admin first: if the demo was already loaded, this fails before any
    # other write.
    register(ADMIN, Role.ADMIN, None, "Administration", with_password=True)
    # Mediators are scoped to the ten offices of the scheme by name rather than
    # "every office": the five of them rotate weekly over these ten offices, so
    # each one works in all of them within five weeks, but not in an office that
    # joins the catalogue later.
    register(MEDIATOR, Role.MEDIATOR, offices, "Médiatrice", with_password=True)
    register(
        OFFICER,
        Role.OFFICER,
        nanterre,
        "Responsable sûreté Nanterre",
        with_password=True,
    )
    register(AUDITOR, Role.AUDITOR, None, "Auditrice", with_password=True)
    for name in OTHER_MEDIATORS:
        display = name.partition(".")[2].capitalize()
        register(name, Role.MEDIATOR, offices, display, with_password=False)
    register(
        NORTH_OFFICER,
        Role.OFFICER,
        north,
        "Responsable sûreté Boucle Nord",
        with_password=False,
    )
    order = [MEDIATOR, OFFICER, AUDITOR, ADMIN]
    return sorted(credentials, key=lambda row: order.index(row[0]))


def _officer_for(office: str) -> str:
    return OFFICER if office.startswith(NANTERRE) else NORTH_OFFICER


def _mediator_on_duty(offices: Sequence[str], office: str, day: date) -> str:
    # Each mediator spends the week in two neighbouring offices; the pairs shift
    # by one mediator every ISO week.
    rotation = (MEDIATOR, *OTHER_MEDIATORS)
    pair = offices.index(office) // 2
    week = (day.toordinal() - 1) // 7  # Day 1 of the calendar was a Monday.
    return rotation[(pair + week) % len(rotation)]


# Calendar.


def _easter(year: int) -> date:
    # The anonymous Gregorian algorithm (Meeus/Jones/Butcher).
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return date(year, month, day + 1)


def is_public_holiday(day: date) -> bool:
    """Tell whether a day is a French public holiday (post offices are closed)."""
    fixed = {(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)}
    if (day.month, day.day) in fixed:
        return True
    easter = _easter(day.year)
    return day - easter in {timedelta(days=1), timedelta(days=39), timedelta(days=50)}


def open_days(today: date, weeks: int) -> list[date]:
    """Return the days the offices were open in the ``weeks`` weeks up to ``today``."""
    first = today - timedelta(days=7 * weeks - 1)
    days = (first + timedelta(days=offset) for offset in range(7 * weeks))
    return [day for day in days if day.weekday() != 6 and not is_public_holiday(day)]


# What happens: templates of situations.


@dataclass(frozen=True, eq=False)
class _Template:
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
    _Template(C.WAITING_TIME, "Usager mécontent de l'attente au guichet colis, ton qui monte.", (G.PARCEL, G.QUEUE), 8, 8, rush=True),  # noqa: E501
    _Template(C.WAITING_TIME, "File d'attente jusqu'à la porte à l'ouverture, plusieurs usagers s'impatientent.", (G.QUEUE,), 6, 10, rush=True),  # noqa: E501
    _Template(C.WAITING_TIME, "Usager qui refuse de prendre un ticket et conteste l'ordre de passage.", (G.QUEUE,), 5, 6, rush=True),  # noqa: E501
    _Template(C.WAITING_TIME, "Attente prolongée pour retirer une lettre recommandée, usager excédé.", (G.REGISTERED_MAIL,), 5, 4),  # noqa: E501
    _Template(C.WAITING_TIME, "Un seul guichet ouvert à la reprise de l'après-midi, remarques vives sur l'attente.", (G.QUEUE,), 4, 5, rush=True),  # noqa: E501
    _Template(C.WAITING_TIME, "Forte affluence le jour du versement des prestations, impatience dans la file.", (G.BENEFITS_PAYMENT_DAY,), 0, 12, rush=True),  # noqa: E501
    _Template(C.MISUNDERSTANDING, "Difficulté avec l'automate d'affranchissement, incompréhension de la langue.", (G.LANGUAGE,), 5, 4),  # noqa: E501
    _Template(C.MISUNDERSTANDING, "Usager qui ne comprend pas pourquoi son colis est en instance, barrière de la langue.", (G.LANGUAGE, G.PARCEL), 4, 3),  # noqa: E501
    _Template(C.MISUNDERSTANDING, "Démarche en ligne impossible sans adresse électronique, usager désemparé.", (G.ONLINE_PROCEDURE,), 4, 3),  # noqa: E501
    _Template(C.MISUNDERSTANDING, "Automate de retrait hors service, usager persuadé qu'on lui refuse son argent.", (G.MACHINE_FAILURE,), 3, 5),  # noqa: E501
    _Template(C.MISUNDERSTANDING, "Incompréhension sur un avis de passage : retrait impossible sans pièce d'identité.", (G.MISSING_DOCUMENT, G.REGISTERED_MAIL), 3, 3, targets=_STAFF),  # noqa: E501
    _Template(C.MISUNDERSTANDING, "Usager perdu dans l'espace numérique, mot de passe de son compte en ligne oublié.", (G.ONLINE_PROCEDURE,), 3, 2, targets=_MEDIATOR),  # noqa: E501
    _Template(C.MISUNDERSTANDING, "Courrier administratif incompris, échange tendu faute d'interprète.", (G.LANGUAGE,), 3, 3),  # noqa: E501
    _Template(C.MISUNDERSTANDING, "Code de validation par SMS non reçu pour une opération en ligne, usager agacé.", (G.ONLINE_PROCEDURE,), 2, 2),  # noqa: E501
    _Template(C.SERVICE_REFUSED, "Retrait refusé faute de pièce d'identité valide, usager contrarié.", (G.MISSING_DOCUMENT,), 5, 6),  # noqa: E501
    _Template(C.SERVICE_REFUSED, "Solde insuffisant pour le retrait demandé, usager qui conteste au guichet.", (G.INSUFFICIENT_FUNDS,), 3, 9, targets=_STAFF),  # noqa: E501
    _Template(C.SERVICE_REFUSED, "Prestation pas encore créditée sur le compte, usager qui insiste pour retirer.", (G.INSUFFICIENT_FUNDS, G.BENEFITS_PAYMENT_DAY), 1, 9),  # noqa: E501
    _Template(C.SERVICE_REFUSED, "Procuration non valable pour retirer un recommandé, refus mal accepté.", (G.REGISTERED_MAIL, G.MISSING_DOCUMENT), 3, 3),  # noqa: E501
    _Template(C.SERVICE_REFUSED, "Colis retourné à l'expéditeur à la fin du délai de garde, usager mécontent.", (G.PARCEL,), 3, 3),  # noqa: E501
    _Template(C.SERVICE_REFUSED, "Plafond de retrait atteint, usager qui réclame une exception.", (G.INSUFFICIENT_FUNDS,), 1, 4, targets=_STAFF),  # noqa: E501
    _Template(C.VERBAL_INCIVILITY, "Insultes envers l'agent du guichet après un refus d'opération.", (G.INSUFFICIENT_FUNDS, G.MISSING_DOCUMENT), 5, 8, targets=_STAFF),  # noqa: E501
    _Template(C.VERBAL_INCIVILITY, "Propos agressifs envers l'équipe de médiation à l'accueil.", (G.QUEUE, G.OTHER), 4, 5, targets=_MEDIATOR),  # noqa: E501
    _Template(C.VERBAL_INCIVILITY, "Usager qui hausse le ton et frappe sur le comptoir en attendant son tour.", (G.QUEUE,), 4, 5, rush=True),  # noqa: E501
    _Template(C.VERBAL_INCIVILITY, "Remarques grossières à voix haute dans la file, gêne des autres usagers.", (G.QUEUE,), 2, 3, targets={Target.STAFF: 0.6, Target.VISITOR: 0.4}),  # noqa: E501
    _Template(C.VERBAL_INCIVILITY, "Usager qui filme l'agent avec son téléphone en l'invectivant.", (G.OTHER, None), 1, 1, targets=_STAFF),  # noqa: E501
    _Template(C.DISCRIMINATORY_REMARKS, "Propos racistes envers un agent après une attente jugée trop longue.", (G.QUEUE,), 1, 1.5, targets=_STAFF),  # noqa: E501
    _Template(C.DISCRIMINATORY_REMARKS, "Remarques déplacées sur l'accent d'une agente au guichet.", (G.LANGUAGE,), 0.8, 0.8, targets=_STAFF),  # noqa: E501
    _Template(C.THREAT, "Menaces verbales envers l'agent : « je vous attends à la sortie ».", (G.INSUFFICIENT_FUNDS, G.MISSING_DOCUMENT), 1, 1.5, targets=_STAFF),  # noqa: E501
    _Template(C.THREAT, "Usager qui menace de revenir « régler ses comptes » après un refus de retrait.", (G.INSUFFICIENT_FUNDS, G.BENEFITS_PAYMENT_DAY), 0.8, 1.5),  # noqa: E501
    _Template(C.THREAT, "Attitude intimidante envers l'équipe de médiation près des automates.", (G.MACHINE_FAILURE, None), 0.5, 0.5, targets=_MEDIATOR),  # noqa: E501
    _Template(C.PHYSICAL_AGGRESSION, "Usager qui bouscule un agent en voulant passer derrière le guichet.", (G.QUEUE, G.OTHER), 0.2, 0.3, targets=_STAFF),  # noqa: E501
    _Template(C.PHYSICAL_AGGRESSION, "Objet lancé vers le guichet, agent touché au bras sans blessure grave.", (G.INSUFFICIENT_FUNDS,), 0.15, 0.25, targets=_STAFF),  # noqa: E501
    _Template(C.PROPERTY_DAMAGE, "Écran de l'automate frappé du poing, vitre fissurée.", (G.MACHINE_FAILURE,), 0.6, 0.6, targets=_PROPERTY),  # noqa: E501
    _Template(C.PROPERTY_DAMAGE, "Présentoir renversé volontairement après un refus de service.", (G.MISSING_DOCUMENT, G.INSUFFICIENT_FUNDS), 0.4, 0.5, targets=_PROPERTY),  # noqa: E501
    _Template(C.DISPUTE_BETWEEN_VISITORS, "Altercation verbale entre deux usagers pour une place dans la file.", (G.QUEUE,), 3, 4, rush=True, targets=_VISITOR),  # noqa: E501
    _Template(C.DISPUTE_BETWEEN_VISITORS, "Dispute entre usagers devant l'automate de retrait en panne.", (G.MACHINE_FAILURE,), 1.2, 1.5, targets=_VISITOR),  # noqa: E501
    _Template(C.RISK_BEHAVIOUR, "Usager en forte détresse après le rejet d'une démarche, propos inquiétants.", (G.ONLINE_PROCEDURE, G.OTHER), 1.2, 1.2),  # noqa: E501
    _Template(C.RISK_BEHAVIOUR, "Personne âgée désorientée dans le bureau, malaise passager.", (G.OTHER, None), 0.8, 0.8, targets=_VISITOR),  # noqa: E501
    _Template(C.THEFT, "Tentative de vol d'un téléphone posé sur la tablette de l'espace numérique.", (None,), 0.4, 0.4, targets=_VISITOR),  # noqa: E501
    _Template(C.THEFT, "Vol de fournitures d'emballage au libre-service.", (None,), 0.3, 0.3, targets=_PROPERTY),  # noqa: E501
    _Template(C.OTHER, "Usager en état d'ébriété dans le bureau, comportement perturbant.", (G.OTHER, None), 1.2, 1.2),  # noqa: E501
    _Template(C.OTHER, "Chien non tenu en laisse dans la file, inquiétude des usagers.", (G.QUEUE, None), 0.6, 0.6, targets=_VISITOR),  # noqa: E501
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
class _Plan:
    incident_id: uuid.UUID
    story_seed: int
    office: str
    occurred_at: datetime
    reporter: str
    template: _Template
    severity: int
    target: Target
    trigger: Trigger | None
    parties: list[dict[str, object]] = field(default_factory=list)
    contact: dict[str, str] | None = None
    payday: bool = False


def _pick(rng: random.Random, weights: Mapping[T, float]) -> T:
    population = list(weights)
    return rng.choices(population, [weights[item] for item in population])[0]


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method: fine for the small means of one office-day.
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _plan_incidents(
    seed: int, offices: list[str], today: date, weeks: int
) -> list[_Plan]:
    # Offices differ in how busy they are; drawn from the seed rather than
    # written down, so as not to label real offices.
    office_factor = {
        code: random.Random(f"{seed}:{code}").uniform(0.8, 1.2)  # noqa: S311
        for code in offices
    }
    plans: list[_Plan] = []
    for day in open_days(today, weeks):
        for code in offices:
            rng = random.Random(f"{seed}:{code}:{day.isoformat()}")  # noqa: S311
            plans.extend(_plan_day(rng, offices, code, day, office_factor[code]))
    plans.sort(key=lambda plan: (plan.occurred_at, plan.office))
    return _make_one_critical(plans, today)


def _plan_day(
    rng: random.Random, offices: list[str], office: str, day: date, factor: float
) -> list[_Plan]:
    saturday = day.weekday() == 5
    mean = BASE_RATE * factor * payday_factor(day)
    mean *= SATURDAY_FACTOR if saturday else MONDAY_FACTOR if day.weekday() == 0 else 1
    hours = SATURDAY_HOURS if saturday else WEEKDAY_HOURS
    payday = day.day <= PAYDAY_LAST
    reporter = _mediator_on_duty(offices, office, day)
    plans = []
    for _ in range(_poisson(rng, mean)):
        hour = _pick(rng, hours)
        occurred_at = datetime.combine(day, time(hour, rng.randrange(60)), PARIS)
        template = _pick(rng, {t: _template_weight(t, payday, hour) for t in TEMPLATES})
        plans.append(_plan_one(rng, template, office, occurred_at, reporter, payday))
    return plans


def _template_weight(template: _Template, payday: bool, hour: int) -> float:
    weight = template.payday_weight if payday else template.weight
    return weight * (1.6 if template.rush and hour in RUSH_HOURS else 1.0)


def _plan_one(
    rng: random.Random,
    template: _Template,
    office: str,
    occurred_at: datetime,
    reporter: str,
    payday: bool,
) -> _Plan:
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
    return _Plan(
        incident_id=incident_id,
        story_seed=rng.getrandbits(64),
        office=office,
        occurred_at=occurred_at,
        reporter=reporter,
        template=template,
        severity=_pick(rng, SEVERITIES[category]),
        target=_pick(rng, targets),
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


def _make_one_critical(plans: list[_Plan], today: date) -> list[_Plan]:
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


# How each incident unfolds.


@dataclass(frozen=True)
class _Step:
    at: datetime
    order: tuple[int, int]
    run: Callable[[], object]


@dataclass(frozen=True)
class _FollowUpSpec:
    due_days: tuple[int, int]
    by_officer: bool
    assignees: tuple[str, ...]
    notes: tuple[str, ...]
    done_notes: tuple[str, ...]
    cancel_reasons: tuple[str, ...]


FOLLOW_UPS: Mapping[FollowUpKind, _FollowUpSpec] = {
    FollowUpKind.ASSOCIATION_DEBRIEF: _FollowUpSpec(
        (2, 7),
        False,
        ("coordination de la médiation",),
        ("Débriefing avec la coordinatrice de l'association.",),
        ("Débriefing fait, pistes notées pour l'accueil.", "Débriefing fait."),
        ("Débriefing regroupé avec la réunion d'équipe.",),
    ),
    FollowUpKind.MANAGER_REPORT: _FollowUpSpec(
        (1, 3),
        True,
        ("direction du bureau",),
        ("Rapport écrit à transmettre à la direction du bureau.",),
        ("Rapport transmis.", "Rapport transmis et lu en réunion."),
        ("Déjà traité lors de l'échange avec la direction.",),
    ),
    FollowUpKind.STAFF_SUPPORT: _FollowUpSpec(
        (1, 5),
        True,
        ("direction du bureau", "référent sûreté"),
        ("Proposer un entretien de soutien à l'agent concerné.",),
        ("Entretien fait, l'agent va bien.", "Soutien proposé, pas de suite."),
        ("L'agent ne souhaite pas d'entretien.",),
    ),
    FollowUpKind.COMPLAINT: _FollowUpSpec(
        (1, 2),
        True,
        ("direction du bureau",),
        ("Accompagner l'agent pour le dépôt de plainte.",),
        ("Plainte déposée au commissariat.",),
        ("L'agent a choisi une main courante.",),
    ),
    FollowUpKind.PARTNER_REFERRAL: _FollowUpSpec(
        (3, 10),
        False,
        ("CCAS", "conseiller numérique", "point d'accès au droit"),
        ("Rappeler l'usager pour un rendez-vous avec un partenaire.",),
        ("Usager rappelé, rendez-vous pris.", "Usager rappelé et orienté."),
        ("Usager injoignable après trois appels.",),
    ),
    FollowUpKind.PROCESS_IMPROVEMENT: _FollowUpSpec(
        (7, 21),
        True,
        ("direction du bureau", "support technique"),
        ("Signaler l'automate et revoir l'affichage de la file.",),
        ("Automate réparé, affichage revu.", "Demande prise en compte."),
        ("Sans objet : automate remplacé entre-temps.",),
    ),
    FollowUpKind.VISITOR_WATCH: _FollowUpSpec(
        (14, 28),
        True,
        ("équipe de médiation",),
        ("Vigilance si l'usager revient : accueil à deux.",),
        ("Usager revenu, passage sans incident.", "Pas de nouvel incident."),
        ("Levée après échange avec la direction.",),
    ),
    FollowUpKind.OTHER: _FollowUpSpec(
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


class _Story:
    """Write down, with virtual times, what happened to one incident."""

    def __init__(
        self, log: IncidentLog | _MemoryLog, plan: _Plan, officer: str
    ) -> None:
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
        done = [self.schedule(kind, reported_at) for kind in self.mediator_follow_ups()]
        if rng.random() < 0.012:
            self.amend(reported_at + timedelta(minutes=rng.randint(10, 120)))
        review_at = reported_at + timedelta(hours=rng.uniform(3, 48))
        if rng.random() < 0.015:
            self.reassess(review_at)
        done += [self.schedule(kind, review_at) for kind in self.officer_follow_ups()]
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
        chosen = _pick_some(rng, techniques, _pick(rng, {1: 55, 2: 35, 3: 10}))
        self.outcome = _pick(rng, OUTCOMES[plan.severity])
        self.add_de_escalation(at, chosen, self.outcome)
        if self.outcome in {Outcome.NOT_CALMED, Outcome.PARTIALLY_CALMED} and (
            rng.random() < 0.35
        ):
            second = [Technique.HANDED_TO_STAFF]
            if plan.severity >= 2:
                second = [Technique.CALLED_SECURITY, Technique.MOVED_ASIDE]
            self.outcome = _pick(
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

    def mediator_follow_ups(self) -> list[FollowUpKind]:
        """Choose the follow-ups the mediator schedules on the spot."""
        plan, rng = self.plan, self.rng
        kinds = []
        if plan.contact is not None:
            parcel = plan.trigger is Trigger.PARCEL
            kinds.append(
                FollowUpKind.OTHER if parcel else FollowUpKind.PARTNER_REFERRAL
            )
        debrief = {0: 0.0, 1: 0.06, 2: 0.55}.get(plan.severity, 1.0)
        if rng.random() < debrief:
            kinds.append(FollowUpKind.ASSOCIATION_DEBRIEF)
        return kinds

    def officer_follow_ups(self) -> list[FollowUpKind]:
        """Choose the follow-ups the officer schedules when reviewing."""
        plan, rng = self.plan, self.rng
        severity, category = plan.severity, plan.template.category
        kinds = []
        to_manager = EscalationTarget.OFFICE_MANAGER in self.escalated_to
        if severity >= 3 or (severity == 2 and to_manager and rng.random() < 0.7):
            kinds.append(FollowUpKind.MANAGER_REPORT)
        if plan.target is Target.STAFF and (
            severity >= 3 or (severity == 2 and rng.random() < 0.35)
        ):
            kinds.append(FollowUpKind.STAFF_SUPPORT)
        if EscalationTarget.POLICE in self.escalated_to and (
            severity >= 4 or rng.random() < 0.6
        ):
            kinds.append(FollowUpKind.COMPLAINT)
        watch = {
            Category.THREAT,
            Category.VERBAL_INCIVILITY,
            Category.DISCRIMINATORY_REMARKS,
        }
        if severity >= 2 and category in watch and rng.random() < 0.15:
            kinds.append(FollowUpKind.VISITOR_WATCH)
        improve = 0.2 if plan.trigger is Trigger.MACHINE_FAILURE else 0.02
        if rng.random() < improve:
            kinds.append(FollowUpKind.PROCESS_IMPROVEMENT)
        return kinds

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
        return _pick(rng, {Resolution.RESOLVED_ON_SITE: 3, Resolution.LEFT_CALM: 1})

    def close(self, resolution: Resolution, note: str | None = None) -> None:
        """Close the incident as the officer covering its office."""
        self.log.close_incident(
            self.plan.incident_id, actor=self.officer, resolution=resolution, note=note
        )


def _pick_some(rng: random.Random, weights: Mapping[T, float], count: int) -> list[T]:
    remaining = dict(weights)
    chosen: list[T] = []
    while remaining and len(chosen) < count:
        item = _pick(rng, remaining)
        chosen.append(item)
        del remaining[item]
    return chosen


# Large histories, fast.

# Events saved in one transaction by generate_history.
HISTORY_BATCH = 1000
# A step never shares its recorded time with the previous step of its incident.
TICK = timedelta(milliseconds=1)


@dataclass(frozen=True)
class HistoryResult:
    """Say what generate_history wrote, and over which days."""

    incidents: int
    events: int
    first_day: date
    last_day: date
    seconds: float


class _MemoryLog:
    """Carry out the stories' commands on incidents held in memory.

    Each command runs the domain's own checks; its events are given the virtual
    time of the step as their recorded time, and wait in ``pending`` to be saved.
    """

    def __init__(self) -> None:
        self.at = datetime.min.replace(tzinfo=PARIS)
        self.incidents: dict[uuid.UUID, Incident] = {}
        self.recorded: dict[uuid.UUID, datetime] = {}
        self.pending: list[DomainEventProtocol[uuid.UUID]] = []

    def forget(self, incident_id: uuid.UUID) -> None:
        """Drop an incident whose story is over."""
        self.incidents.pop(incident_id, None)
        self.recorded.pop(incident_id, None)

    def _keep(self, incident: Incident) -> None:
        at = self.at
        for event in incident.collect_events():
            at = max(at, self.recorded.get(incident.id, at - TICK) + TICK)
            # Recorded at the step's virtual time, not at the time of writing,
            # in UTC as the library stamps events: events are frozen, and this
            # one was never stored nor shared.
            object.__setattr__(event, "timestamp", at.astimezone(UTC))
            self.recorded[incident.id] = at
            self.pending.append(event)

    def _change(
        self, incident_id: uuid.UUID, command: Callable[[Incident], None]
    ) -> None:
        incident = self.incidents[incident_id]
        command(incident)
        self._keep(incident)

    def report_incident(
        self,
        *,
        actor: str,
        office: str,
        occurred_at: datetime,
        category: object,
        severity: object,
        target: object,
        summary: object,
        trigger: object = None,
        parties: object = None,
        contact: object = None,
        incident_id: uuid.UUID | None = None,
    ) -> None:
        """Report an incident (see IncidentLog.report_incident)."""
        incident = Incident.report(
            actor=actor,
            office=office,
            occurred_at=occurred_at,
            category=category,
            severity=severity,
            target=target,
            summary=summary,
            now=self.at,
            trigger=trigger,
            parties=parties,
            contact=contact,
            incident_id=incident_id,
        )
        self.incidents[incident.id] = incident
        self._keep(incident)

    def record_de_escalation(
        self,
        incident_id: uuid.UUID,
        *,
        actor: str,
        techniques: object,
        outcome: object,
        note: object = None,
    ) -> None:
        """Log a de-escalation attempt."""
        self._change(
            incident_id,
            lambda incident: incident.record_de_escalation(
                actor=actor, techniques=techniques, outcome=outcome, note=note
            ),
        )

    def escalate_incident(
        self, incident_id: uuid.UUID, *, actor: str, to: object, note: object = None
    ) -> None:
        """Escalate an incident."""
        self._change(
            incident_id,
            lambda incident: incident.escalate(actor=actor, to=to, note=note),
        )

    def reassess_severity(
        self, incident_id: uuid.UUID, *, actor: str, severity: object, reason: object
    ) -> None:
        """Change an incident's severity."""
        self._change(
            incident_id,
            lambda incident: incident.reassess_severity(
                actor=actor, severity=severity, reason=reason
            ),
        )

    def schedule_follow_up(
        self,
        incident_id: uuid.UUID,
        *,
        actor: str,
        kind: object,
        due_on: object,
        assignee: object = None,
        note: object = None,
        follow_up_id: uuid.UUID,
    ) -> None:
        """Schedule a follow-up."""
        self._change(
            incident_id,
            lambda incident: incident.schedule_follow_up(
                actor=actor,
                follow_up_id=follow_up_id,
                kind=kind,
                due_on=due_on,
                assignee=assignee,
                note=note,
            ),
        )

    def complete_follow_up(
        self,
        incident_id: uuid.UUID,
        follow_up_id: uuid.UUID,
        *,
        actor: str,
        note: object = None,
    ) -> None:
        """Mark a follow-up as done."""
        self._change(
            incident_id,
            lambda incident: incident.complete_follow_up(
                actor=actor, follow_up_id=follow_up_id, note=note
            ),
        )

    def cancel_follow_up(
        self,
        incident_id: uuid.UUID,
        follow_up_id: uuid.UUID,
        *,
        actor: str,
        reason: object,
    ) -> None:
        """Cancel a follow-up."""
        self._change(
            incident_id,
            lambda incident: incident.cancel_follow_up(
                actor=actor, follow_up_id=follow_up_id, reason=reason
            ),
        )

    def add_note(self, incident_id: uuid.UUID, *, actor: str, text: object) -> None:
        """Add a note."""
        self._change(
            incident_id, lambda incident: incident.add_note(actor=actor, text=text)
        )

    def amend_incident(
        self, incident_id: uuid.UUID, *, actor: str, changes: object, reason: object
    ) -> None:
        """Correct what was reported."""
        self._change(
            incident_id,
            lambda incident: incident.amend(
                actor=actor, changes=changes, reason=reason, now=self.at
            ),
        )

    def close_incident(
        self,
        incident_id: uuid.UUID,
        *,
        actor: str,
        resolution: object,
        note: object = None,
    ) -> None:
        """Close an incident."""
        self._change(
            incident_id,
            lambda incident: incident.close(
                actor=actor, resolution=resolution, note=note
            ),
        )


_Timed = tuple[datetime, int, uuid.UUID, Callable[[], object]]


def generate_history(
    log: IncidentLog,
    *,
    events: int,
    today: date,
    seed: int = 92,
    batch: int = HISTORY_BATCH,
    progress: Callable[[int], None] | None = None,
) -> HistoryResult:
    """Append about ``events`` events of realistic incidents, ending today.

    The stories are those of :func:`load_demo` (same offices, rates, rules),
    over as many days back from ``today`` as it takes to reach ``events``; the
    same seed and the same ``today`` give the same incidents, ids included.
    Steps later than the log's clock are left out. ``progress`` is called with
    the number of events saved so far, after each batch.
    """
    if events < 1:
        raise InvalidInputError.field("events", "Give at least one event.")
    started = timer.perf_counter()
    scheme = load_default_offices()
    log.ensure_offices(scheme)
    offices = sorted(office["code"] for office in scheme)
    cutoff = min(log.clock(), datetime.combine(today, time(23, 59, 59), PARIS))
    factors = _office_factors(seed, offices)
    first_day = _first_day(seed, offices, factors, today, cutoff, events)
    memory = _MemoryLog()
    queue: list[_Timed] = []
    order = itertools.count()
    steps_left: dict[uuid.UUID, int] = {}
    saved = incidents = 0

    def play_until(moment: datetime) -> None:
        nonlocal saved
        while queue and queue[0][0] < moment:
            at, _, incident_id, run = heapq.heappop(queue)
            memory.at = at
            run()
            steps_left[incident_id] -= 1
            if not steps_left[incident_id]:
                del steps_left[incident_id]
                memory.forget(incident_id)
            if len(memory.pending) >= batch:
                saved += _save(log, memory, progress, saved)

    day = first_day
    while day <= today:
        play_until(datetime.combine(day, time(), PARIS))
        for _, plan, steps in _stories(seed, offices, factors, day, cutoff, memory):
            incidents += 1
            steps_left[plan.incident_id] = len(steps)
            for at, run in steps:
                heapq.heappush(queue, (at, next(order), plan.incident_id, run))
        day += timedelta(days=1)
    play_until(cutoff + TICK)
    saved += _save(log, memory, progress, saved)
    return HistoryResult(
        incidents=incidents,
        events=saved,
        first_day=first_day,
        last_day=today,
        seconds=timer.perf_counter() - started,
    )


def _office_factors(seed: int, offices: list[str]) -> dict[str, float]:
    return {
        code: random.Random(f"{seed}:history:{code}").uniform(0.8, 1.2)  # noqa: S311
        for code in offices
    }


def _stories(
    seed: int,
    offices: list[str],
    factors: Mapping[str, float],
    day: date,
    cutoff: datetime,
    memory: _MemoryLog,
) -> Iterator[tuple[str, _Plan, list[tuple[datetime, Callable[[], object]]]]]:
    """Yield each incident of one day, with its steps up to the cutoff."""
    if day.weekday() == 6 or is_public_holiday(day):
        return
    for code in offices:
        rng = random.Random(f"{seed}:history:{code}:{day.isoformat()}")  # noqa: S311
        for plan in _plan_day(rng, offices, code, day, factors[code]):
            story = _Story(memory, plan, _officer_for(plan.office))
            steps = [(at, run) for at, run in story.tell() if at <= cutoff]
            if steps:
                yield code, plan, steps


def _first_day(
    seed: int,
    offices: list[str],
    factors: Mapping[str, float],
    today: date,
    cutoff: datetime,
    events: int,
) -> date:
    """Go back from today until the days' stories hold ``events`` steps."""
    counted, day, memory = 0, today, _MemoryLog()
    while True:
        counted += sum(
            len(steps)
            for _, _, steps in _stories(seed, offices, factors, day, cutoff, memory)
        )
        if counted >= events:
            return day
        day -= timedelta(days=1)


def _save(
    log: IncidentLog,
    memory: _MemoryLog,
    progress: Callable[[int], None] | None,
    saved_before: int,
) -> int:
    pending, memory.pending = memory.pending, []
    if pending:
        log.save(*pending)
        if progress is not None:
            progress(saved_before + len(pending))
    return len(pending)
