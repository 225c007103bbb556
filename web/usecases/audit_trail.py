"""Read the audit trail with each event's leaf hash, and the signed checkpoints.

The hashes are not kept in a read model: they are the ledger's own rows
(:class:`incidents.evidence.ledger.Ledger`), read once for a page of events and
joined to it by position, so that a page never shows a hash the ledger lacks.
"""

from __future__ import annotations

from typing import Any

from incidents.evidence.ledger import ChainRow
from web import get_evidence
from web.usecases.read_your_writes import fresh_read_models


def sealed_rows(items: list[dict[str, Any]]) -> dict[int, ChainRow]:
    """Return the ledger rows of a page of events (in log order), by position."""
    if not items:
        return {}
    rows = get_evidence().ledger.rows(
        items[0]["position"], items[-1]["position"], limit=len(items)
    )
    return {row.position: row for row in rows}


def audit_events(*, after: int, limit: int) -> dict[str, Any]:
    """Return the log after a position, each event with its leaf hash (hex)."""
    page = fresh_read_models().audit_events(after=after, limit=limit)
    rows = sealed_rows(page["items"])
    items = []
    for item in page["items"]:
        row = rows.get(item["position"])
        items.append({**item, "hash": None if row is None else row.leaf.hex()})
    return {**page, "items": items}


def checkpoint_page(*, page: int, page_size: int) -> dict[str, Any]:
    """Return a page of the signed checkpoints, newest first, hashes in hex."""
    checkpoints = get_evidence().checkpoints()
    newest_first = checkpoints[::-1]
    start = (page - 1) * page_size
    return {
        "items": [
            checkpoint.to_json()
            for checkpoint in newest_first[start : start + page_size]
        ],
        "total": len(checkpoints),
        "page": page,
        "page_size": page_size,
    }
