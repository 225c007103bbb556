"""`incidents notify` killed with SIGKILL in the middle of a batch, then run again.

Killed before the server accepted a message: no mail is missing and none is
sent twice. Killed after the server accepted one but before the notifier could
record it (the window no SMTP client can close, ADR 0015): that one message is
sent again, with the same Message-ID, so that it is recognisably the same.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import ledger_key_path, signing_key_path
from tests.notifications.conftest import MAIL_FROM, OFFICERS_OF_OFFICE, report
from tests.notifications.mailbox import Hold, Mailbox

INCIDENTS = str(Path(sys.executable).with_name("incidents"))


@pytest.fixture
def environment(tmp_path, store_url, mailbox) -> dict[str, str]:
    return {
        **os.environ,
        "INCIDENTS_INSTANCE_PATH": str(tmp_path / "instance"),
        "INCIDENTS_DATABASE_URL": store_url,
        "INCIDENTS_SIGNING_KEY_PATH": str(signing_key_path()),
        "INCIDENTS_LEDGER_KEY_PATH": str(ledger_key_path()),
        "INCIDENTS_SMTP_URL": mailbox.url,
        "INCIDENTS_MAIL_FROM": MAIL_FROM,
        # A claim left by the killed notifier is taken over after a second.
        "INCIDENTS_NOTIFY_LEASE_SECONDS": "1",
    }


def notify_once(environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [INCIDENTS, "notify", "--once"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def kill_mid_batch(environment: dict[str, str], hold: Hold) -> None:
    """Run the notifier until the server holds the chosen message, then kill it."""
    notifier = subprocess.Popen(
        [INCIDENTS, "notify", "--poll-interval", "0.05"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert hold.reached.wait(60), "the notifier never reached the held message"
        notifier.send_signal(signal.SIGKILL)
        assert notifier.wait(30) == -signal.SIGKILL
    finally:
        hold.release.set()
        if notifier.poll() is None:
            notifier.kill()
            notifier.wait(30)


def deliver_the_rest(environment: dict[str, str], mailbox: Mailbox, expected: int):
    """Run `notify --once` until every mail is in (the lease must run out first)."""
    deadline = time.monotonic() + 60
    while len(mailbox.received) < expected and time.monotonic() < deadline:
        done = notify_once(environment)
        assert done.returncode == 0, done.stderr
        time.sleep(0.2)
    # Once more: nothing is left to send.
    last = notify_once(environment)
    assert "Sent 0 mail(s); 0 failed." in last.stdout, last.stdout + last.stderr


@pytest.fixture
def arranged(people_log, environment):
    # The notifier's first run marks where it starts: later reports call for mail.
    first = notify_once(environment)
    assert first.returncode == 0, first.stderr
    report(people_log, severity=3)
    report(people_log, severity=4)
    return people_log


def test_killed_before_a_message_is_accepted_no_mail_is_lost_or_doubled(
    arranged, environment, mailbox
):
    mailbox.hold = Hold(number=3, at="rcpt")
    kill_mid_batch(environment, mailbox.hold)
    assert len(mailbox.received) == 2
    mailbox.hold = None

    deliver_the_rest(environment, mailbox, 2 * len(OFFICERS_OF_OFFICE))

    assert mailbox.recipients() == sorted(OFFICERS_OF_OFFICE * 2)
    ids = Counter(message["Message-ID"] for message in mailbox.messages())
    assert len(ids) == 6
    assert set(ids.values()) == {1}
    sent = [e for e in arranged.iter_history() if e["type"] == "NotificationSent"]
    assert len(sent) == 6


def test_killed_after_a_message_is_accepted_it_comes_again_with_its_message_id(
    arranged, environment, mailbox
):
    mailbox.hold = Hold(number=3, at="data")
    kill_mid_batch(environment, mailbox.hold)
    assert len(mailbox.received) == 3
    mailbox.hold = None

    deliver_the_rest(environment, mailbox, 2 * len(OFFICERS_OF_OFFICE) + 1)

    ids = Counter(message["Message-ID"] for message in mailbox.messages())
    assert len(ids) == 6, "every notification reached its recipient"
    assert sorted(ids.values()) == [1, 1, 1, 1, 1, 2], "one known duplicate"
    doubled = next(key for key, count in ids.items() if count == 2)
    third = mailbox.messages()[2]
    assert third["Message-ID"] == doubled


def test_sigterm_stops_the_notifier_cleanly_after_its_work(
    arranged, environment, mailbox
):
    notifier = subprocess.Popen(
        [INCIDENTS, "notify", "--poll-interval", "0.05"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while len(mailbox.received) < 6 and time.monotonic() < deadline:
            time.sleep(0.1)
        notifier.send_signal(signal.SIGTERM)
        _, errors = notifier.communicate(timeout=60)
    finally:
        if notifier.poll() is None:
            notifier.kill()
            notifier.communicate(timeout=30)

    assert notifier.returncode == 0, errors
    assert "Stopped at position" in errors
    assert mailbox.recipients() == sorted(OFFICERS_OF_OFFICE * 2)
