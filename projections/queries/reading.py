"""Read the live generation of the read models in one snapshot, a page at a time."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from projections.database import Cursor, Database
from projections.facts import iso
from projections.projector import Projector
from projections.tables import Tables

MAX_PAGE_SIZE = 200


class Reader:
    """Read the live generation of the read models; each question builds on it."""

    def __init__(self, projector: Projector) -> None:
        self.projector = projector
        self.database: Database = projector.database

    @contextmanager
    def _reading(self) -> Iterator[tuple[Cursor, Tables]]:
        with self.database.snapshot() as cursor:
            yield cursor, self.projector.live_tables(cursor)

    def _page(
        self,
        table: str,
        columns: str,
        where: str,
        params: list[Any],
        *,
        order: str,
        page: int,
        page_size: int,
        days: tuple[str, list[Any]] | None = None,
    ) -> dict[str, Any]:
        """Return one page of rows and the total, read from one snapshot.

        With ``days`` (conditions on the day counts), the total is summed over
        the days instead of counted over the rows.
        """
        page, page_size = max(page, 1), min(max(page_size, 1), MAX_PAGE_SIZE)
        with self._reading() as (cursor, tables):
            name = tables.name(table)
            if days is None:
                cursor.execute(f"SELECT COUNT(*) FROM {name} WHERE {where}", params)
            else:
                cursor.execute(
                    "SELECT COALESCE(SUM(events), 0) FROM "
                    f"{tables.name('day_counts')} WHERE {days[0]}",
                    days[1],
                )
            total = int(one(cursor)[0])
            cursor.execute(
                f"SELECT {columns} FROM {name} WHERE {where} "
                f"ORDER BY {order} LIMIT ? OFFSET ?",
                (*params, page_size, (page - 1) * page_size),
            )
            rows = cursor.fetchall()
        return {"items": rows, "total": total, "page": page, "page_size": page_size}


def one(cursor: Cursor) -> tuple[Any, ...]:
    """Return the one row an aggregate query gives."""
    row = cursor.fetchone()
    if row is None:  # pragma: no cover - aggregates always return a row
        raise LookupError("no row")
    return row


def scope(
    offices: Collection[str] | None, column: str = "office"
) -> tuple[list[str], list[Any]]:
    """Return the condition keeping rows of the offices a reader may see."""
    if offices is None:
        return [], []
    if not offices:
        return ["1 = 0"], []
    return [f"{column} IN ({', '.join('?' * len(offices))})"], list(offices)


def valid(as_of: datetime | None, alias: str) -> tuple[str, list[Any]]:
    """Return the condition keeping the temporal rows valid now, or at a time."""
    if as_of is None:
        return f"{alias}.valid_to IS NULL", []
    moment = iso(as_of)
    return (
        f"{alias}.valid_from <= ? "
        f"AND ({alias}.valid_to IS NULL OR {alias}.valid_to > ?)",
        [moment, moment],
    )
