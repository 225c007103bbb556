"""Read the incident list's filters once, for the list and for its spreadsheets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from incidents import values
from incidents.vocabulary import Category, Status
from web.usecases.bounds import check_day_range
from web.usecases.scope import readable_offices


def incident_filters(user: dict[str, Any], args: Mapping[str, Any]) -> dict[str, Any]:
    """Return the read models' filters for a query of the list, scope included.

    Refuse an office out of the caller's scope, an unknown code, or a range of
    days that ends before it begins.
    """
    office = args.get("office")
    status, category = args.get("status"), args.get("category")
    severity = args.get("severity")
    check_day_range(args)
    return {
        "offices": readable_offices(user, office),
        "office": office,
        "status": None if status is None else values.code("status", status, Status),
        "category": (
            None if category is None else values.code("category", category, Category)
        ),
        "severity": None if severity is None else values.severity(severity),
        "from_": args.get("from_"),
        "to": args.get("to"),
    }
