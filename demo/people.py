"""Register the demo's people: one sign-in per role, and the mediators' rotation."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING

from incidents.application import load_default_offices
from incidents.vocabulary import Role

if TYPE_CHECKING:
    from incidents.application import IncidentLog


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


def register_people(
    log: IncidentLog, passwords: Mapping[str, str] | None = None
) -> list[tuple[str, str, str]]:
    """Register the demo's people; return (name, role, password) of sign-ins."""
    scheme = load_default_offices()
    log.ensure_offices(scheme)
    offices = sorted(office["code"] for office in scheme)
    return register_users(log, offices, passwords or {})


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


def register_users(
    log: IncidentLog, offices: list[str], passwords: Mapping[str, str]
) -> list[tuple[str, str, str]]:
    """Register every demo person; return (name, role, password) of sign-ins."""
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


def officer_for(office: str) -> str:
    """Return the officer who reviews and closes the incidents of an office."""
    return OFFICER if office.startswith(NANTERRE) else NORTH_OFFICER


def mediator_on_duty(offices: Sequence[str], office: str, day: date) -> str:
    """Return the mediator who works in an office on a day."""
    # Each mediator spends the week in two neighbouring offices; the pairs shift
    # by one mediator every ISO week.
    rotation = (MEDIATOR, *OTHER_MEDIATORS)
    pair = offices.index(office) // 2
    week = (day.toordinal() - 1) // 7  # Day 1 of the calendar was a Monday.
    return rotation[(pair + week) % len(rotation)]
