"""Send mail through an SMTP server named by a URL, with the standard library.

``smtp://[user:password@]host[:port]`` speaks plain SMTP (port 25),
``smtp+starttls://...`` upgrades the connection with STARTTLS before anything
else (port 587), ``smtps://...`` speaks TLS from the first byte (port 465).
Certificates are checked against the system's authorities. A user and password
in the URL sign in (after TLS, never in clear unless the URL is ``smtp://``).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from incidents.errors import InvalidInputError

SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class SmtpServer:
    """Say where the mail server is, how to reach it safely, and who signs in."""

    scheme: str
    host: str
    port: int
    user: str | None = None
    password: str | None = None

    def __repr__(self) -> str:  # Never show the password, in logs or tracebacks.
        return f"SmtpServer({self.scheme}://{self.host}:{self.port})"


def parse_smtp_url(url: str) -> SmtpServer:
    """Read INCIDENTS_SMTP_URL; refuse another scheme, or a URL without a host."""
    name = "INCIDENTS_SMTP_URL"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InvalidInputError.field(name, "This is not a URL.") from None
    if parts.scheme not in SCHEMES:
        raise InvalidInputError.field(
            name, f"Begin with one of {', '.join(f'{s}://' for s in SCHEMES)}."
        )
    if not parts.hostname:
        raise InvalidInputError.field(name, "Name the mail server's host.")
    if parts.path not in {"", "/"} or parts.query or parts.fragment:
        raise InvalidInputError.field(name, "Give only scheme, user, host and port.")
    return SmtpServer(
        scheme=parts.scheme,
        host=parts.hostname,
        port=port or SCHEMES[parts.scheme],
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


class UndeliverableError(Exception):
    """Say why a notification cannot be sent to its recipient now."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Mailer:
    """Hand messages to the SMTP server, one connection per message."""

    def __init__(
        self,
        server: SmtpServer,
        *,
        timeout: float = TIMEOUT_SECONDS,
        context: ssl.SSLContext | None = None,
    ) -> None:
        self.server = server
        self.timeout = timeout
        # The system's authorities by default; tests trust a CA of their own.
        self.context = context

    def send(self, message: EmailMessage) -> None:
        """Send one message; raise ``smtplib.SMTPException`` or ``OSError`` if not."""
        with self._connect() as connection:
            connection.send_message(message)

    def _connect(self) -> smtplib.SMTP:
        server = self.server
        context = self.context or ssl.create_default_context()
        connection: smtplib.SMTP
        if server.scheme == "smtps":
            connection = smtplib.SMTP_SSL(
                server.host, server.port, timeout=self.timeout, context=context
            )
        else:
            connection = smtplib.SMTP(server.host, server.port, timeout=self.timeout)
        try:
            if server.scheme == "smtp+starttls":
                connection.starttls(context=context)
                connection.ehlo()
            if server.user is not None:
                connection.login(server.user, server.password or "")
        except BaseException:
            connection.close()
            raise
        return connection


def describe_failure(error: BaseException) -> str:
    """Name a failure without the server's words (they may echo an address)."""
    if isinstance(error, UndeliverableError):
        return error.reason
    code = getattr(error, "smtp_code", None)
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = sorted({str(answer[0]) for answer in error.recipients.values()})
        return f"SMTPRecipientsRefused {' '.join(codes)}".strip()
    if code is not None:
        return f"{type(error).__name__} {code}"
    return type(error).__name__
