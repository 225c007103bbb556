"""Read the service's settings from the environment and the instance folder."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from incidents.errors import InvalidInputError
from incidents.evidence.row_macs import LEDGER_KEY_FILE
from incidents.evidence.sealing import LedgerSettings
from incidents.evidence.signing import SIGNING_KEY_FILE
from projections.notifications.mailer import Mailer, parse_smtp_url
from projections.notifications.messages import MailSettings
from projections.notifications.notifier import NotifierSettings

DATABASE_FILE = "incidents.sqlite3"
SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name, not a secret
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})
# Requests one web process answers at once (waitress threads).
SERVE_THREADS = 8
# Pooled connections a web process holds beyond one per request thread: the
# read models' and the notifier's threads (two each at most), and spares.
FOLLOWERS_CONNECTIONS = 7
# Where links in messages point when INCIDENTS_BASE_URL is not set: `make run`.
DEFAULT_BASE_URL = "http://127.0.0.1:8000"


def default_instance_path() -> Path:
    """Return the instance folder: INCIDENTS_INSTANCE_PATH, or ``instance/``."""
    configured = os.environ.get("INCIDENTS_INSTANCE_PATH")
    if configured:
        return Path(configured).resolve()
    return Path(__file__).resolve().parent.parent / "instance"


def settings_from_environment(instance_path: Path) -> dict[str, Any]:
    """Return the settings named by ``INCIDENTS_*`` variables, with defaults."""
    database_url = os.environ.get("INCIDENTS_DATABASE_URL") or (
        f"sqlite:///{(instance_path / DATABASE_FILE).resolve()}"
    )
    secret_key = os.environ.get("INCIDENTS_SECRET_KEY") or _instance_secret_key(
        instance_path
    )
    # The key that signs checkpoints of the history stays outside the database.
    signing_key_path = os.environ.get("INCIDENTS_SIGNING_KEY_PATH") or str(
        (instance_path / SIGNING_KEY_FILE).resolve()
    )
    # So is the key of the ledger rows' MACs.
    ledger_key_path = os.environ.get("INCIDENTS_LEDGER_KEY_PATH") or str(
        (instance_path / LEDGER_KEY_FILE).resolve()
    )
    return {
        "DATABASE_URL": database_url,
        "SECRET_KEY": secret_key,
        "SIGNING_KEY_PATH": signing_key_path,
        "LEDGER_KEY_PATH": ledger_key_path,
        # Behind HTTPS, session cookies must never travel over plain HTTP.
        "SESSION_COOKIE_SECURE": flag("INCIDENTS_SECURE_COOKIES", default=False),
        # 0 when `incidents project` keeps the read models in a process of its
        # own, as with several web processes.
        "FOLLOW_LOG": flag("INCIDENTS_FOLLOW_LOG", default=True),
        # /metrics answers only this bearer token, and is not served without it.
        "METRICS_TOKEN": os.environ.get("INCIDENTS_METRICS_TOKEN") or None,
        # 0 when `incidents notify` sends the notifications in a process of its own.
        "NOTIFY": flag("INCIDENTS_NOTIFY", default=True),
        **notification_settings_from_environment(),
    }


def notification_settings_from_environment() -> dict[str, Any]:
    """Return the notifier's settings named by ``INCIDENTS_*`` variables."""
    return {
        "SMTP_URL": os.environ.get("INCIDENTS_SMTP_URL") or None,
        "MAIL_FROM": os.environ.get("INCIDENTS_MAIL_FROM") or None,
        "BASE_URL": os.environ.get("INCIDENTS_BASE_URL") or DEFAULT_BASE_URL,
        "DIGEST_HOUR": whole_number("INCIDENTS_DIGEST_HOUR", default=7, low=0, high=23),
        "NOTIFY_MIN_SEVERITY": whole_number(
            "INCIDENTS_NOTIFY_MIN_SEVERITY", default=3, low=0, high=4
        ),
        "NOTIFY_LEASE_SECONDS": whole_number(
            "INCIDENTS_NOTIFY_LEASE_SECONDS", default=120, low=1, high=86_400
        ),
        "NOTIFY_RETRY_SECONDS": whole_number(
            "INCIDENTS_NOTIFY_RETRY_SECONDS", default=30, low=1, high=3600
        ),
    }


def notifier_parts(
    settings: Mapping[str, Any],
) -> tuple[NotifierSettings, Mailer | None]:
    """Return the notifier's settings and its mailer (``None``: no e-mail)."""
    smtp_url = settings.get("SMTP_URL")
    mailer = None
    mail = None
    if smtp_url:
        mailer = Mailer(parse_smtp_url(smtp_url))
        mail_from = settings.get("MAIL_FROM")
        if not mail_from or "@" not in mail_from:
            raise InvalidInputError.field(
                "INCIDENTS_MAIL_FROM",
                "Name the sender of the notifications, such as "
                "incidents@example.fr (INCIDENTS_SMTP_URL is set).",
            )
        mail = MailSettings(
            mail_from=mail_from,
            base_url=settings.get("BASE_URL") or DEFAULT_BASE_URL,
        )
    return (
        NotifierSettings(
            min_severity=int(settings.get("NOTIFY_MIN_SEVERITY", 3)),
            mail=mail,
            digest_hour=int(settings.get("DIGEST_HOUR", 7)),
            lease=timedelta(seconds=int(settings.get("NOTIFY_LEASE_SECONDS", 120))),
            retry_first=timedelta(
                seconds=int(settings.get("NOTIFY_RETRY_SECONDS", 30))
            ),
        ),
        mailer,
    )


def ledger_settings(
    settings: Mapping[str, Any], instance_path: Path, *, migrate: bool = True
) -> LedgerSettings:
    """Return where the evidence keys are, from the settings or the instance folder."""
    return LedgerSettings(
        signing_key_path=Path(
            settings.get("SIGNING_KEY_PATH") or instance_path / SIGNING_KEY_FILE
        ),
        ledger_key_path=Path(
            settings.get("LEDGER_KEY_PATH") or instance_path / LEDGER_KEY_FILE
        ),
        migrate=migrate,
    )


def flag(name: str, *, default: bool) -> bool:
    """Read a yes-or-no variable in any usual spelling; refuse anything else."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise InvalidInputError.field(
        name, f"Write 1 or 0 (or true/false, yes/no, on/off), not {value!r}."
    )


def choice(name: str, *, default: str, choices: tuple[str, ...]) -> str:
    """Read a variable that must be one of ``choices`` (any case)."""
    value = os.environ.get(name, "").strip().upper() or default
    if value not in choices:
        raise InvalidInputError.field(
            name, f"Write one of {', '.join(choices)}, not {value.lower()!r}."
        )
    return value


def whole_number(name: str, *, default: int, low: int, high: int) -> int:
    """Read a variable that must be a whole number from ``low`` to ``high``."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or not low <= int(value) <= high:
        raise InvalidInputError.field(
            name, f"Write a whole number from {low} to {high}, not {value!r}."
        )
    return int(value)


def _instance_secret_key(instance_path: Path) -> str:
    # Without INCIDENTS_SECRET_KEY, keep a random key in the instance folder, so
    # that sessions survive a restart and no key is ever written in the code.
    path = instance_path / SECRET_KEY_FILE
    try:
        if path.exists():
            return path.read_text(encoding="ascii").strip()
        instance_path.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as file:
            file.write(key)
    except OSError as error:
        raise InvalidInputError.field(
            "INCIDENTS_INSTANCE_PATH",
            f"Cannot keep the secret key in {instance_path}: "
            f"{error.strerror or error}. Name a folder this user may write, "
            "or set INCIDENTS_SECRET_KEY.",
        ) from None
    return key


def connections_for(threads: int) -> int:
    """Return the pooled connections a web process answering ``threads`` at once needs.

    One per request thread and the followers': a request never waits for a
    connection another thread could not give back (8 threads: the pool's 15).
    """
    return threads + FOLLOWERS_CONNECTIONS
