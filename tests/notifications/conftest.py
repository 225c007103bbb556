"""Logs with people to notify, a real SMTP server on loopback, and notifiers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from incidents.application import IncidentLog
from projections.notifications.mailer import Mailer, parse_smtp_url
from projections.notifications.messages import MailSettings
from projections.notifications.notifier import Notifier, NotifierSettings
from tests.conftest import DURABLE_STORES, open_log
from tests.notifications.mailbox import Mailbox

OFFICE = "colombes-aragon"
OTHER_OFFICE = "nanterre-centre"
MAIL_FROM = "incidents@example.fr"
BASE_URL = "https://incidents.example.fr"
CONTACT = {"name": "Jeanne Martin", "phone": "06 12 34 56 78", "email": "jm@exemple.fr"}
SUMMARY = "Usager Bertrand Lefebvre énervé par l'attente au guichet colis."

# name: (role, offices, email, language)
PEOPLE: dict[str, tuple[str, list[str] | None, str | None, str]] = {
    "officer-a": ("officer", [OFFICE], "officer-a@example.fr", "fr"),
    "officer-b": ("officer", [OFFICE, OTHER_OFFICE], "officer-b@example.fr", "en"),
    "officer-all": ("officer", None, "officer-all@example.fr", "fr"),
    "officer-other": ("officer", [OTHER_OFFICE], "officer-other@example.fr", "fr"),
    "mediator": ("mediator", [OFFICE], "mediator@example.fr", "fr"),
    "admin": ("admin", None, "admin@example.fr", "fr"),
    "auditor": ("auditor", None, "auditor@example.fr", "fr"),
}
OFFICERS_OF_OFFICE = [
    "officer-a@example.fr",
    "officer-all@example.fr",
    "officer-b@example.fr",
]


def register_people(log: IncidentLog) -> None:
    for name, (role, offices, address, language) in PEOPLE.items():
        log.register_user(
            actor="test",
            name=name,
            role=role,
            offices=offices,
            email=address,
            language=language,
        )


def report(
    log: IncidentLog, *, severity: int, office: str = OFFICE, **extra: Any
) -> UUID:
    result = log.report_incident(
        actor="mediator",
        office=office,
        occurred_at=datetime.now(UTC) - timedelta(hours=1),
        category="physical_aggression",
        severity=severity,
        target="mediator",
        summary=SUMMARY,
        contact=CONTACT,
        **extra,
    )
    incident_id: UUID = result.incident["id"]
    return incident_id


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    box.start()
    try:
        yield box
    finally:
        box.stop()


@pytest.fixture(params=DURABLE_STORES)
def store_url(request: pytest.FixtureRequest) -> str:
    """Return an empty SQLite file, then an empty PostgreSQL database."""
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
def people_log(store_url: str, opened_logs: list[IncidentLog]) -> IncidentLog:
    log = open_log(store_url)
    opened_logs.append(log)
    register_people(log)
    return log


class Clock:
    """A clock the test moves forward."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_notifier(clock: Clock) -> Callable[..., Notifier]:
    def build(log: IncidentLog, mailbox: Mailbox | None, **settings: Any) -> Notifier:
        options: dict[str, Any] = {
            "retry_first": timedelta(seconds=10),
            "lease": timedelta(seconds=60),
            **settings,
        }
        if mailbox is not None:
            options["mail"] = MailSettings(mail_from=MAIL_FROM, base_url=BASE_URL)
        return Notifier(
            log,
            settings=NotifierSettings(**options),
            mailer=None if mailbox is None else Mailer(parse_smtp_url(mailbox.url)),
            clock=clock,
        )

    return build
