"""Send the notifications the log calls for, as a process of its own."""

from __future__ import annotations

import logging
import signal
import threading

import click

from web.cli.common import SettingRefused, open_log, reports_errors
from web.cli.serving import wake_on_saves_elsewhere
from web.config import notification_settings_from_environment, notifier_parts

logger = logging.getLogger("web.notify")


@click.command()
@click.option(
    "--once", is_flag=True, help="Send what is due now, then exit (e.g. from cron)."
)
@click.option(
    "--poll-interval",
    default=0.5,
    show_default=True,
    type=click.FloatRange(0.01, 60),
    help="Seconds between looks at the log when it is idle.",
)
@reports_errors
def notify(once: bool, poll_interval: float) -> None:
    """Notify people of severe incidents, escalations and overdue follow-ups.

    Runs until stopped (SIGTERM, Ctrl-C), or with --once sends what is due and
    exits 1 if a mail could not be sent (it is retried on the next run). Run it
    beside web processes started with INCIDENTS_NOTIFY=0. Mail goes through
    INCIDENTS_SMTP_URL; without it, notifications are shown under the bell.

    \b
    Examples:
      INCIDENTS_SMTP_URL=smtp+starttls://user:secret@mail.example.fr:587 \\
      INCIDENTS_MAIL_FROM=incidents@example.fr incidents notify
      incidents notify --once
    """
    from incidents.errors import InvalidInputError
    from projections.notifications.notifier import Notifier
    from projections.projector import Projector
    from projections.queries import ReadModels

    try:
        settings, mailer = notifier_parts(notification_settings_from_environment())
    except InvalidInputError as error:
        raise SettingRefused(error.message) from None
    log = open_log()
    # Digests read the office summaries kept by the web process or
    # `incidents project`; this process only reads them.
    read_models = ReadModels(Projector(log))
    notifier = Notifier(
        log, settings=settings, mailer=mailer, summarise=read_models.office_summary
    )
    if once:
        delivery = notifier.run_once()
        click.echo(f"Sent {delivery.sent} mail(s); {delivery.failed} failed.")
        log.close()
        if delivery.failed:
            raise click.exceptions.Exit(1)
        return
    stopping = threading.Event()

    def stop(signum: int, frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    logger.info("Notifying from position %s.", notifier.position())
    notifier.start(poll_interval=poll_interval)
    wake_on_saves_elsewhere(log, stopping)
    notifier.stop()
    logger.info("Stopped at position %s.", notifier.position())
