"""Rebuild the read models from the first event, or check them against a rebuild."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from projections.database import Cursor
from projections.projector import Batch, Projector
from projections.tables import COLUMNS, KEYS, Tables

# How many times a check builds on before giving up on a log that keeps growing.
CHECK_ROUNDS = 20
FETCH_SIZE = 1000


@dataclass(frozen=True)
class Rebuild:
    """Say what a rebuild did."""

    events: int
    seconds: float
    generation: int

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class Difference:
    """Name one row that differs between the live read models and a rebuild."""

    table: str
    key: tuple[object, ...]
    live: dict[str, object] | None
    rebuilt: dict[str, object] | None

    def describe(self) -> str:
        key = ", ".join(
            f"{name}={value}"
            for name, value in zip(KEYS[self.table], self.key, strict=True)
        )
        row = self.live or self.rebuilt or {}
        if row.get("incident_id") and "incident_id" not in KEYS[self.table]:
            key += f", incident_id={row['incident_id']}"
        if self.live is None:
            return f"{self.table} [{key}]: missing from the live read models"
        if self.rebuilt is None:
            return (
                f"{self.table} [{key}]: in the live read models but not in the events"
            )
        changed = ", ".join(
            f"{column}: live {self.live[column]!r} != rebuilt {self.rebuilt[column]!r}"
            for column in self.live
            if self.live[column] != self.rebuilt[column]
        )
        return f"{self.table} [{key}]: {changed}"


@dataclass
class Check:
    """Collect the differences found by a check, at the position compared."""

    position: int = 0
    differences: list[Difference] = field(default_factory=list)


def rebuild(
    projector: Projector, *, progress: Callable[[Batch], None] | None = None
) -> Rebuild:
    """Rebuild every read model into fresh tables, then swap them in."""
    started = time.perf_counter()
    tables = projector.new_generation(indexes=False)
    try:
        with _bulk():
            events = projector.catch_up(
                tables,
                stop=projector.log.recorder.max_notification_id(),
                progress=progress,
                bulk=True,
            )
        projector.index(tables)
    except BaseException:
        projector.drop(tables)
        raise
    # Events saved while it was built are in the live read models only: most
    # are applied here, the last ones in the swap itself (never backwards).
    events += projector.catch_up(tables, stop=projector.position())
    previous = projector.make_live(tables)
    # Events saved during the swap are applied by whoever follows the log; apply
    # them here too, so that the command leaves the read models at the head.
    events += projector.catch_up(tables)
    projector.drop(previous)
    return Rebuild(events, time.perf_counter() - started, tables.generation)


def check(
    projector: Projector, *, progress: Callable[[Batch], None] | None = None
) -> Check:
    """Rebuild into scratch tables and compare them row by row with the live ones."""
    # Compared by primary key only: the secondary indexes would be wasted work.
    scratch = projector.new_generation(indexes=False)
    try:
        for _ in range(CHECK_ROUNDS):
            live_position = projector.position()
            with _bulk():
                projector.catch_up(
                    scratch,
                    stop=live_position,
                    progress=progress,
                    bulk=True,
                )
            with projector.database.snapshot() as cursor:
                live = projector.live_tables(cursor)
                if _position(cursor, live) != _position(cursor, scratch):
                    continue  # The live models moved on: build on and look again.
                result = Check(position=_position(cursor, live))
                for table in COLUMNS:
                    if table != "tracking":
                        result.differences.extend(
                            _compare(cursor, table, live, scratch)
                        )
                return result
        raise RuntimeError(
            f"The log kept growing: no stable position after {CHECK_ROUNDS} rounds."
        )
    finally:
        projector.drop(scratch)


@contextmanager
def _bulk() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while batches are built.

    A rebuild's batch makes tens of thousands of rows that live until they are
    written and hold no reference cycles, so reference counting frees them; the
    collector would only scan them again and again as they age, for about a
    tenth of a rebuild's time. It runs again as soon as the build ends.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _position(cursor: Cursor, tables: Tables) -> int:
    return Projector._position(cursor, tables)


def _compare(
    cursor: Cursor, table: str, live: Tables, rebuilt: Tables
) -> Iterator[Difference]:
    """Yield the rows that differ, compared by the database a page at a time.

    Only the differences reach Python, so a check holds no more than they do,
    however large the tables.
    """
    columns, keys = COLUMNS[table], KEYS[table]
    distinct = "IS DISTINCT FROM" if live.database.dialect == "postgres" else "IS NOT"
    both = ", ".join([*(f"a.{c}" for c in columns), *(f"b.{c}" for c in columns)])
    joined = " AND ".join(f"a.{key} = b.{key}" for key in keys)
    differ = " OR ".join(f"a.{c} {distinct} b.{c}" for c in columns if c not in keys)
    first = keys[0]
    # A full outer join, written as two left joins for SQLite before 3.39; each
    # starts with the key of the side it comes from, to order by.
    cursor.execute(
        f"SELECT {', '.join(f'a.{key}' for key in keys)}, {both} "
        f"FROM {live.name(table)} a LEFT JOIN {rebuilt.name(table)} b ON {joined} "
        f"WHERE b.{first} IS NULL{f' OR {differ}' if differ else ''} "
        f"UNION ALL SELECT {', '.join(f'b.{key}' for key in keys)}, {both} "
        f"FROM {rebuilt.name(table)} b LEFT JOIN {live.name(table)} a ON {joined} "
        f"WHERE a.{first} IS NULL "
        f"ORDER BY {', '.join(str(index + 1) for index in range(len(keys)))}"
    )
    width, size = len(keys), len(columns)
    while True:
        rows = cursor.fetchmany(FETCH_SIZE)
        if not rows:
            return
        for row in rows:
            left, right = row[width : width + size], row[width + size :]
            yield Difference(
                table,
                tuple(row[:width]),
                None if left[0] is None else dict(zip(columns, left, strict=True)),
                None if right[0] is None else dict(zip(columns, right, strict=True)),
            )
