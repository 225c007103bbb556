"""Write a notification's message from its templates: plain text and HTML.

A message holds the kind, the office, the category, the severity, the times
and links, and nothing else: never a visitor's contact, a summary, a note or
any other text typed by someone, which may hold names. Its Message-ID is
derived from the notification's id, so that the same notification sent twice
(ADR 0015) is recognisably one message.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from functools import cache
from importlib import resources
from string import Template
from typing import Any
from uuid import UUID

from projections.days import PARIS
from projections.notifications import wording


@dataclass(frozen=True)
class MailSettings:
    """Say who mail comes from and where links point."""

    mail_from: str
    base_url: str


def message_id(notification_id: UUID | str, mail_from: str) -> str:
    """Return the Message-ID every attempt of a notification carries."""
    domain = mail_from.rpartition("@")[2].strip(" >") or "incidents.invalid"
    return f"<notification-{notification_id}@{domain}>"


@cache
def template(name: str) -> Template:
    """Return a template of the package's ``templates`` folder."""
    folder = resources.files("projections.notifications") / "templates"
    return Template((folder / name).read_text(encoding="utf-8"))


def alert_message(
    *,
    notification: dict[str, Any],
    incident: dict[str, Any],
    follow_up: dict[str, Any] | None,
    office_name: str,
    to: str,
    language: str,
    settings: MailSettings,
    now: datetime,
) -> EmailMessage:
    """Write the message of a severe incident, an escalation or an overdue follow-up."""
    kind = notification["kind"]
    base = settings.base_url.rstrip("/")
    values = {
        "headline": wording.HEADLINE[language][kind],
        "office": office_name,
        "category": wording.category(language, incident["category"]),
        "severity": wording.severity(language, incident["severity"]),
        "occurred": datetime.fromisoformat(incident["occurred_at"])
        .astimezone(PARIS)
        .strftime(wording.TIME_FORMAT[language]),
        "link": f"{base}/incidents/{notification['incident_id']}",
        "profile_link": f"{base}/profil",
        "subject": wording.SUBJECT[language][kind].format(
            severity=incident["severity"], office=office_name
        ),
    }
    due_line = due_row = ""
    if follow_up is not None:
        day = date.fromisoformat(follow_up["due_on"])
        due_on = day.strftime(wording.DATE_FORMAT[language])
        due_line = f"{wording.DUE_ON[language]} {due_on}"
        due_row = (
            f'<tr><th align="left">{html.escape(wording.DUE_ON[language])}</th>'
            f"<td>{html.escape(due_on)}</td></tr>"
        )
    text = template(f"alert.{language}.txt").substitute(values, due_line=due_line)
    escaped = {key: html.escape(value) for key, value in values.items()}
    body = template(f"alert.{language}.html").substitute(escaped, due_row=due_row)
    return _message(
        subject=values["subject"],
        text=text,
        body=body,
        to=to,
        notification_id=notification["id"],
        settings=settings,
        language=language,
        now=now,
    )


def digest_message(
    *,
    notification_id: str,
    first: date,
    last: date,
    offices: list[tuple[str, list[tuple[str, str]]]],
    reports: list[str] | None = None,
    to: str,
    language: str,
    settings: MailSettings,
    now: datetime,
) -> EmailMessage:
    """Write a digest: per office, its summary's figures over the days.

    ``reports``: the path of each office's printable report (a monthly
    digest), linked under its figures.
    """
    base = settings.base_url.rstrip("/")
    form = wording.DATE_FORMAT[language]
    start, end = first.strftime(form), last.strftime(form)
    colon = " : " if language == "fr" else ": "
    text_sections, html_sections = [], []
    for index, (name, figures) in enumerate(offices):
        lines, rows = [name], []
        for key, value in figures:
            label = wording.figure(language, key)
            lines.append(f"  {label}{colon}{value}")
            rows.append(
                f'<tr data-key="{html.escape(key)}"><th align="left">'
                f"{html.escape(label)}</th><td>{html.escape(value)}</td></tr>"
            )
        report_link = ""
        if reports is not None:
            url = base + reports[index]
            wording_of_report = wording.REPORT_LINK[language]
            lines.append(f"  {wording_of_report}{colon}{url}")
            report_link = (
                f'<p><a href="{html.escape(url)}">'
                f"{html.escape(wording_of_report)}</a></p>"
            )
        text_sections.append("\n".join(lines) + "\n")
        html_sections.append(
            f"<h2>{html.escape(name)}</h2>\n<table>\n{chr(10).join(rows)}\n</table>"
            + report_link
        )
    values = {
        "headline": wording.DIGEST_HEADLINE[language].format(start=start, end=end),
        "subject": wording.SUBJECT[language]["digest"].format(
            start=start, end=end, offices=", ".join(name for name, _ in offices)
        ),
        "link": f"{base}/",
        "profile_link": f"{base}/profil",
    }
    text = template(f"digest.{language}.txt").substitute(
        values, sections="\n".join(text_sections)
    )
    escaped = {key: html.escape(value) for key, value in values.items()}
    body = template(f"digest.{language}.html").substitute(
        escaped, sections="\n".join(html_sections)
    )
    return _message(
        subject=values["subject"],
        text=text,
        body=body,
        to=to,
        notification_id=notification_id,
        settings=settings,
        language=language,
        now=now,
    )


def _message(
    *,
    subject: str,
    text: str,
    body: str,
    to: str,
    notification_id: str,
    settings: MailSettings,
    language: str,
    now: datetime,
) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.mail_from
    message["To"] = to
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id(notification_id, settings.mail_from)
    message["Content-Language"] = language
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(body, subtype="html")
    return message
