"""The notifier's settings: the mail server's URL, the sender, and bad values named."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from incidents.errors import InvalidInputError
from projections.notifications.mailer import parse_smtp_url
from web.config import notification_settings_from_environment, notifier_parts

INCIDENTS = str(Path(sys.executable).with_name("incidents"))


@pytest.mark.parametrize(
    ("url", "scheme", "host", "port", "user", "password"),
    [
        ("smtp://mail.example.fr", "smtp", "mail.example.fr", 25, None, None),
        (
            "smtp+starttls://u%40x:p%3Aw@mail:2525",
            "smtp+starttls",
            "mail",
            2525,
            "u@x",
            "p:w",
        ),
        ("smtps://mail.example.fr", "smtps", "mail.example.fr", 465, None, None),
        (
            "smtp+starttls://mail.example.fr",
            "smtp+starttls",
            "mail.example.fr",
            587,
            None,
            None,
        ),
    ],
)
def test_smtp_urls_are_read_with_their_default_ports_and_credentials(
    url, scheme, host, port, user, password
):
    server = parse_smtp_url(url)

    assert (server.scheme, server.host, server.port) == (scheme, host, port)
    assert (server.user, server.password) == (user, password)
    assert password is None or password not in repr(server)


@pytest.mark.parametrize(
    "url", ["http://mail", "smtp://", "smtp://mail:99999", "smtp://mail/x", "mail:25"]
)
def test_a_bad_smtp_url_is_refused_naming_the_variable(url):
    with pytest.raises(InvalidInputError) as refused:
        parse_smtp_url(url)

    assert list(refused.value.errors) == ["INCIDENTS_SMTP_URL"]


def test_a_mail_server_without_a_sender_is_refused(monkeypatch):
    monkeypatch.setenv("INCIDENTS_SMTP_URL", "smtp://127.0.0.1:2525")
    monkeypatch.delenv("INCIDENTS_MAIL_FROM", raising=False)

    with pytest.raises(InvalidInputError) as refused:
        notifier_parts(notification_settings_from_environment())

    assert list(refused.value.errors) == ["INCIDENTS_MAIL_FROM"]


def test_no_mail_server_means_the_bell_only(monkeypatch):
    monkeypatch.delenv("INCIDENTS_SMTP_URL", raising=False)
    monkeypatch.setenv("INCIDENTS_DIGEST_HOUR", "18")

    settings, mailer = notifier_parts(notification_settings_from_environment())

    assert mailer is None
    assert settings.mail is None
    assert settings.digest_hour == 18
    assert settings.min_severity == 3


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("INCIDENTS_DIGEST_HOUR", "24"),
        ("INCIDENTS_NOTIFY_MIN_SEVERITY", "5"),
        ("INCIDENTS_SMTP_URL", "ftp://mail"),
    ],
)
def test_notify_refuses_a_bad_setting_in_one_line_with_exit_code_2(
    tmp_path, name, value
):
    refused = subprocess.run(
        [INCIDENTS, "notify", "--once"],
        env={
            **os.environ,
            "INCIDENTS_INSTANCE_PATH": str(tmp_path),
            "INCIDENTS_MAIL_FROM": "incidents@example.fr",
            name: value,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert refused.returncode == 2, refused.stderr
    assert name in refused.stderr
    assert "Traceback" not in refused.stderr
