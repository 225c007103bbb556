"""The words of the messages, in French and English: codes turned into labels.

The pages translate with Flask-Babel; the notifier runs without Flask (and
in a process of its own), so its few labels are kept here, in both languages.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

CATEGORY = MappingProxyType(
    {
        "fr": {
            "waiting_time": "Attente / file d'attente",
            "service_refused": "Refus ou impossibilité de service",
            "misunderstanding": "Incompréhension (langue, numérique, automate)",
            "verbal_incivility": "Incivilité verbale",
            "discriminatory_remarks": "Propos discriminatoires",
            "threat": "Menace, intimidation",
            "physical_aggression": "Agression physique",
            "property_damage": "Dégradation",
            "dispute_between_visitors": "Conflit entre usagers",
            "risk_behaviour": "Conduite à risque, détresse",
            "theft": "Vol ou tentative",
            "other": "Autre",
        },
        "en": {
            "waiting_time": "Waiting / queue",
            "service_refused": "Service refused or impossible",
            "misunderstanding": "Misunderstanding (language, digital, machine)",
            "verbal_incivility": "Verbal incivility",
            "discriminatory_remarks": "Discriminatory remarks",
            "threat": "Threat, intimidation",
            "physical_aggression": "Physical assault",
            "property_damage": "Property damage",
            "dispute_between_visitors": "Dispute between visitors",
            "risk_behaviour": "Risk behaviour, distress",
            "theft": "Theft or attempted theft",
            "other": "Other",
        },
    }
)
SEVERITY = MappingProxyType(
    {
        "fr": ["Tension désamorcée", "Faible", "Modérée", "Grave", "Critique"],
        "en": ["Tension defused", "Low", "Moderate", "Serious", "Critical"],
    }
)
SUBJECT = MappingProxyType(
    {
        "fr": {
            "severe_incident": "Incident grave (gravité {severity}) à {office}",
            "escalation": "Appel à la police ou aux secours à {office}",
            "follow_up_overdue": "Suivi en retard à {office}",
            "digest": "Résumé du {start} au {end} : {offices}",
        },
        "en": {
            "severe_incident": "Severe incident (severity {severity}) at {office}",
            "escalation": "Police or emergency services called at {office}",
            "follow_up_overdue": "Overdue follow-up at {office}",
            "digest": "Digest from {start} to {end}: {offices}",
        },
    }
)
HEADLINE = MappingProxyType(
    {
        "fr": {
            "severe_incident": (
                "Un incident grave a été signalé dans un de vos bureaux."
            ),
            "escalation": "La police ou les secours ont été appelés pour un incident.",
            "follow_up_overdue": "Un suivi prévu n'a pas été fait à la date dite.",
        },
        "en": {
            "severe_incident": (
                "A severe incident was reported in one of your offices."
            ),
            "escalation": (
                "The police or emergency services were called to an incident."
            ),
            "follow_up_overdue": "A follow-up was not done by the day it was due.",
        },
    }
)
DUE_ON = MappingProxyType({"fr": "Suivi prévu le", "en": "Follow-up due on"})
DATE_FORMAT = MappingProxyType({"fr": "%d/%m/%Y", "en": "%Y-%m-%d"})
TIME_FORMAT = MappingProxyType({"fr": "%d/%m/%Y à %H:%M", "en": "%Y-%m-%d at %H:%M"})


def category(language: str, code: Any) -> str:
    """Return a category's label, or its code if unknown."""
    return CATEGORY[language].get(str(code), str(code))


def severity(language: str, level: Any) -> str:
    """Return a severity's label with its number: ``3 · Grave``."""
    labels = SEVERITY[language]
    index = int(level)
    return f"{index} · {labels[index]}" if 0 <= index < len(labels) else str(level)


FIGURE = MappingProxyType(
    {
        "fr": {
            "incidents.total": "Incidents",
            "incidents.open": "dont ouverts",
            "incidents.by_severity": "Gravité {key}",
            "de_escalations.total": "Désescalades",
            "de_escalations.calmed_rate": "dont apaisées",
            "escalations.by_target": "Escalades : {key}",
            "follow_ups.scheduled": "Suivis prévus",
            "follow_ups.completed": "Suivis faits",
            "follow_ups.cancelled": "Suivis annulés",
            "follow_ups.open": "Suivis en cours",
            "follow_ups.overdue": "Suivis en retard",
        },
        "en": {
            "incidents.total": "Incidents",
            "incidents.open": "of which open",
            "incidents.by_severity": "Severity {key}",
            "de_escalations.total": "De-escalations",
            "de_escalations.calmed_rate": "of which calmed",
            "escalations.by_target": "Escalations: {key}",
            "follow_ups.scheduled": "Follow-ups scheduled",
            "follow_ups.completed": "Follow-ups done",
            "follow_ups.cancelled": "Follow-ups cancelled",
            "follow_ups.open": "Follow-ups open",
            "follow_ups.overdue": "Follow-ups overdue",
        },
    }
)
REPORT_LINK = MappingProxyType(
    {
        "fr": "Rapport du mois à imprimer (PDF)",
        "en": "The month's printable report (PDF)",
    }
)
DIGEST_HEADLINE = MappingProxyType(
    {
        "fr": "Résumé de vos bureaux du {start} au {end} (jours de Paris).",
        "en": "Digest of your offices from {start} to {end} (Paris days).",
    }
)


def figure(language: str, key: str) -> str:
    """Return the label of a digest's figure, by its key in the office summary."""
    labels = FIGURE[language]
    if key in labels:
        return labels[key]
    group, _, last = key.rpartition(".")
    return labels.get(group, key).format(key=last)
