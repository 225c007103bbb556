"""Follow the log and notify: plan each notification once, then deliver it.

One step (ADR 0015):

1. *Follow.* Read the events after the notifier's position, work out what
   they call for (:mod:`.rules`) and plan a notification for each recipient
   (:mod:`.recipients`): an event whose id is derived from (rule, subject,
   recipient), which the event store stores once, ever. Only then write the
   batch's rows and its position, in one transaction. A crash in between
   replays the batch, and planning again changes nothing.
2. *Remind.* Plan reminders for follow-ups that fell overdue (Paris days).
3. *Deliver.* For each mail not yet sent: claim the attempt (a save at the
   notification's next version: one sender wins), send it, record it sent or
   failed with a time to retry (exponential back-off). A claim left without an
   outcome (the sender died) is taken over once its lease has run out; the mail
   is then sent again with the same Message-ID.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from incidents.following import LogFollower
from projections.database import Database
from projections.days import paris_today
from projections.facts import iso, read_facts
from projections.notifications import rules
from projections.notifications.digests import (
    digest_for,
    digest_recipients,
    due_periods,
)
from projections.notifications.mailer import (
    Mailer,
    UndeliverableError,
    describe_failure,
)
from projections.notifications.messages import (
    MailSettings,
    alert_message,
    message_id,
)
from projections.notifications.recipients import recipients
from projections.notifications.store import NotifierStore

if TYPE_CHECKING:
    from incidents.application import IncidentLog

logger = logging.getLogger(__name__)
# An office's summary over days: ReadModels.office_summary(office, from_=, to=).
Summarise = Callable[..., dict[str, Any]]
BATCH_SIZE = 500
SEND_BATCH = 50


@dataclass(frozen=True)
class NotifierSettings:
    """Say what calls for a notification, and how mail is sent and retried."""

    min_severity: int = rules.DEFAULT_MIN_SEVERITY
    mail: MailSettings | None = None
    digest_hour: int = 7
    # A claim without an outcome older than this was left by a dead sender.
    lease: timedelta = timedelta(seconds=120)
    retry_first: timedelta = timedelta(seconds=30)
    retry_most: timedelta = timedelta(hours=1)
    extra: dict[str, Any] = field(default_factory=dict)

    def retry_after(self, attempt: int) -> timedelta:
        """Return the wait after a failed attempt: doubling, up to a ceiling."""
        wait: timedelta = self.retry_first * (2 ** max(attempt - 1, 0))
        return min(wait, self.retry_most)


@dataclass
class Delivery:
    """Count what one delivery round did."""

    sent: int = 0
    failed: int = 0


class Notifier(LogFollower):
    """Plan notifications from the log, and deliver those due by mail."""

    thread_name = "notifier"
    # Nobody waits for a notification to the second: a quarter of a second
    # lets the reports of a busy moment be planned in one step, not one each.
    gather_seconds = 0.25

    def __init__(
        self,
        log: IncidentLog,
        database: Database | None = None,
        *,
        settings: NotifierSettings | None = None,
        mailer: Mailer | None = None,
        clock: Callable[[], datetime] | None = None,
        batch_size: int = BATCH_SIZE,
        summarise: Summarise | None = None,
    ) -> None:
        super().__init__(log)
        self.database = database or Database(log)
        self.store = NotifierStore(self.database)
        self.settings = settings or NotifierSettings()
        self.mailer = mailer if self.settings.mail is not None else None
        self.clock = clock or (lambda: datetime.now(UTC))
        self.batch_size = batch_size
        self.claimant = f"{socket.gethostname()}:{os.getpid()}"
        self.last_delivery = Delivery()
        # Without the read models' summaries, no digest is planned.
        self.summarise = summarise
        self._digests_planned: set[str] = set()
        self._lock = threading.Lock()
        self.store.ensure_tables(
            head=self.log.recorder.max_notification_id() or 0,
            today=paris_today(self.clock()).isoformat(),
        )

    @property
    def mail_enabled(self) -> bool:
        """Tell whether mail is sent (a server and a sender are configured)."""
        return self.mailer is not None

    def position(self) -> int:
        """Return the log position the notifier has reached."""
        with self.database.transaction(write=False) as cursor:
            return self.store.tracking(cursor).position

    # Following the log (start, stop, run_forever: see LogFollower).

    def step(self) -> int:
        """Follow the log, remind of overdue follow-ups, deliver what is due."""
        with self._lock:
            followed = self.follow()
            reminded = self.remind_overdue() + self.plan_digests()
            delivery = self.deliver()
            self.last_delivery = delivery
            return followed + reminded + delivery.sent

    def wait(self, position: int, timeout: float = 5.0) -> bool:
        """Wait until the notifier's tables reach a log position; tell if they did.

        Without a thread following the log in this process, follow it here.
        """
        deadline = time.monotonic() + timeout
        while self.position() < position:
            if time.monotonic() >= deadline:
                return False
            if self.following:
                time.sleep(0.02)
            else:
                with self._lock:
                    self.follow()
        return True

    def run_once(self) -> Delivery:
        """Do everything due now, then return what the last delivery did."""
        total = Delivery()
        while True:
            with self._lock:
                followed = self.follow()
                reminded = self.remind_overdue() + self.plan_digests()
                delivery = self.deliver()
            total.sent += delivery.sent
            total.failed += delivery.failed
            if followed == 0 and reminded == 0 and delivery.sent == 0:
                return total

    def follow(self) -> int:
        """Apply one batch of the log; plan what it calls for. Return its size."""
        with self.database.transaction(write=False) as cursor:
            tracking = self.store.tracking(cursor)
        notifications = self.database.notifications(
            self.log, tracking.position + 1, self.batch_size
        )
        if not notifications:
            return 0
        facts = read_facts(self.log.mapper, notifications)
        with self.database.transaction(write=False) as cursor:
            known = self.store.incidents(cursor, rules.incident_ids(facts))
        effects = rules.evaluate(
            facts,
            known,
            since=tracking.since,
            min_severity=self.settings.min_severity,
        )
        if effects.hits:
            people = self.log.list_users()
            for hit in effects.hits:
                self._plan(hit, people)
        with self.database.transaction(write=True) as cursor:
            if self.store.tracking(cursor, lock=True).position != tracking.position:
                return 0  # Another notifier applied this batch first.
            self.store.put_incidents(cursor, effects.incidents)
            for operation, value in effects.follow_ups:
                if operation == "put":
                    self.store.put_follow_up(cursor, value)
                else:
                    self.store.end_follow_up(cursor, *value)
            for operation, key, values in effects.messages:
                if operation == "put":
                    self.store.put_message(cursor, values)
                else:
                    self.store.update_message(cursor, key, **values)
            self.store.move_to(cursor, notifications[-1].id)
        return len(notifications)

    def remind_overdue(self) -> int:
        """Plan reminders of the follow-ups that fell overdue; return how many."""
        today = paris_today(self.clock()).isoformat()
        with self.database.transaction(write=False) as cursor:
            tracking = self.store.tracking(cursor)
            overdue = self.store.overdue_follow_ups(
                cursor, today=today, installed_on=tracking.installed_on
            )
        if not overdue:
            return 0
        people = self.log.list_users()
        for row in overdue:
            hit = rules.Hit(
                "follow_up_overdue",
                row["follow_up_id"],
                row["office"],
                row["incident_id"],
                follow_up_id=row["follow_up_id"],
                assignee=row["assignee"],
            )
            self._plan(hit, people)
            # Planned before this mark: a crash here plans them again, to no effect.
            with self.database.transaction(write=True) as cursor:
                self.store.mark_reminded(cursor, row["follow_up_id"])
        return len(overdue)

    def plan_digests(self) -> int:
        """Plan the daily and weekly digests due now; return how many are new.

        Each (period, person) is a key of its own: planning it again, after a
        restart or in another process, changes nothing.
        """
        if self.summarise is None:
            return 0
        due = [
            period
            for period in due_periods(self.clock(), self.settings.digest_hour)
            if period.subject not in self._digests_planned
        ]
        if not due:
            return 0
        planned = 0
        people = self.log.list_users()
        for period in due:
            for recipient in digest_recipients(
                people, period, mail_enabled=self.mail_enabled
            ):
                planned += self.log.plan_notification(
                    rule="digest",
                    subject=period.subject,
                    kind="digest",
                    recipient=recipient.name,
                    channel=recipient.channel,
                    office="",
                )
            self._digests_planned.add(period.subject)
        return planned

    def _plan(self, hit: rules.Hit, people: list[dict[str, Any]]) -> None:
        for recipient in recipients(
            people,
            kind=hit.kind,
            office=hit.office,
            assignee=hit.assignee,
            mail_enabled=self.mail_enabled,
        ):
            self.log.plan_notification(
                rule=hit.kind,
                subject=hit.subject,
                kind=hit.kind,
                recipient=recipient.name,
                channel=recipient.channel,
                office=hit.office,
                incident_id=UUID(hit.incident_id),
                follow_up_id=None
                if hit.follow_up_id is None
                else UUID(hit.follow_up_id),
            )

    def deliver(self) -> Delivery:
        """Send the mail notifications due now; count those sent and failed."""
        delivery = Delivery()
        if self.mailer is None or self.settings.mail is None:
            return delivery
        start = self.clock()
        with self.database.transaction(write=False) as cursor:
            candidates = self.store.messages_to_send(
                cursor,
                SEND_BATCH,
                now=iso(start),
                claimed_before=iso(start - self.settings.lease),
            )
        offices: dict[str, str] | None = None
        for candidate in candidates:
            if self._stopping.is_set():
                break
            now = self.clock()
            claimed = self.log.claim_delivery(
                UUID(candidate),
                now=now,
                lease=self.settings.lease,
                claimant=self.claimant,
                message_id=message_id(candidate, self.settings.mail.mail_from),
            )
            if claimed is None:
                continue
            if offices is None:
                offices = {
                    office["code"]: office["name"] for office in self.log.list_offices()
                }
            try:
                self._send(candidate, claimed, offices, now)
            except Exception as error:  # Whatever the cause: retry it later.
                reason = describe_failure(error)
                retry_at = now + self.settings.retry_after(claimed.attempts)
                logger.warning(
                    "Mail notification %s not sent (attempt %s): %s",
                    candidate,
                    claimed.attempts,
                    reason,
                )
                self.log.record_delivery(claimed, error=reason, retry_at=retry_at)
                delivery.failed += 1
                # The server is likely down for the others too: try them later.
                break
            self.log.record_delivery(claimed)
            delivery.sent += 1
        return delivery

    def _send(
        self, key: str, claimed: Any, offices: dict[str, str], now: datetime
    ) -> None:
        if self.mailer is None or self.settings.mail is None:
            raise RuntimeError("no mail server")
        person = self.log.get_user(claimed.recipient)
        if not person["is_active"]:
            raise UndeliverableError("RecipientDeactivated")
        if not person["email"]:
            raise UndeliverableError("NoAddress")
        if claimed.kind == "digest":
            if self.summarise is None:
                raise RuntimeError("no summaries to write a digest from")
            self.mailer.send(
                digest_for(
                    key=key,
                    notification_key=claimed.key,
                    person=person,
                    offices=offices,
                    summarise=self.summarise,
                    settings=self.settings.mail,
                    now=now,
                )
            )
            return
        with self.database.transaction(write=False) as cursor:
            incidents = self.store.incidents(cursor, {str(claimed.incident_id)})
            follow_up = (
                None
                if claimed.follow_up_id is None
                else self.store.follow_up(cursor, str(claimed.follow_up_id))
            )
        incident = incidents[str(claimed.incident_id)]
        message = alert_message(
            notification={
                "id": key,
                "kind": claimed.kind,
                "incident_id": claimed.incident_id,
            },
            incident=incident,
            follow_up=follow_up,
            office_name=offices.get(incident["office"], incident["office"]),
            to=person["email"],
            language=person["language"],
            settings=self.settings.mail,
            now=now,
        )
        self.mailer.send(message)
