"""A real SMTP server on loopback, started by the tests, that keeps what it gets.

aiosmtpd runs it in a thread of the test process. It can be stopped and started
again on the same port (a mail server down for a while), and told to hold a
message at a chosen step (a notifier killed in the middle of a batch).
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Received:
    """One message as the server accepted it."""

    recipients: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Hold:
    """Hold the n-th message at RCPT (before it is accepted) or after DATA."""

    number: int
    at: str  # "rcpt": never accepted; "data": kept, but not yet answered
    reached: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


class Mailbox:
    """Accept mail on 127.0.0.1, and keep every message in order."""

    def __init__(self, **options: Any) -> None:
        # Passed to aiosmtpd's Controller: TLS contexts, an authenticator...
        self.options = options
        self.scheme = "smtps" if "ssl_context" in options else "smtp"
        self.port = free_port()
        self.received: list[Received] = []
        self.hold: Hold | None = None
        self._lock = threading.Lock()
        self._transactions = 0
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._controller = Controller(
            self, hostname="127.0.0.1", port=self.port, **self.options
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    # aiosmtpd's handler hooks.

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's name
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if not envelope.rcpt_tos:
            with self._lock:
                self._transactions += 1
                number = self._transactions
            envelope.number = number
            hold = self.hold
            if hold is not None and hold.at == "rcpt" and hold.number == number:
                hold.reached.set()
                hold.release.wait(30)
                return "451 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's name
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        with self._lock:
            self.received.append(
                Received(list(envelope.rcpt_tos), bytes(envelope.original_content))
            )
        hold = self.hold
        if hold is not None and hold.at == "data" and hold.number == envelope.number:
            hold.reached.set()
            hold.release.wait(30)
        return "250 Message accepted"

    # What the tests look at.

    def recipients(self) -> list[str]:
        with self._lock:
            return sorted(to for item in self.received for to in item.recipients)

    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return [item.message for item in self.received]
