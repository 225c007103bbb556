"""Rebuild the read models from the first event, or check them against a rebuild."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from projections.database import Cursor, Row
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
    tables = projector.new_generation()
    try:
        events = projector.catch_up(
            tables, stop=projector.log.recorder.max_notification_id(), progress=progress
        )
    except BaseException:
        projector.drop(tables)
        raise
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
    scratch = projector.new_generation()
    try:
        for _ in range(CHECK_ROUNDS):
            live_position = projector.position()
            projector.catch_up(scratch, stop=live_position, progress=progress)
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


def _position(cursor: Cursor, tables: Tables) -> int:
    return Projector._position(cursor, tables)


def _compare(
    cursor: Cursor, table: str, live: Tables, rebuilt: Tables
) -> Iterator[Difference]:
    columns = COLUMNS[table]
    key_size = len(KEYS[table])
    # Both sides are held in memory: about the size of the table, twice.
    live_rows = list(_rows(cursor, live.name(table), columns, KEYS[table]))
    rebuilt_rows = list(_rows(cursor, rebuilt.name(table), columns, KEYS[table]))
    live_index = {row[:key_size]: row for row in live_rows}
    rebuilt_index = {row[:key_size]: row for row in rebuilt_rows}
    for key in sorted(live_index.keys() | rebuilt_index.keys(), key=_sortable):
        left, right = live_index.get(key), rebuilt_index.get(key)
        if left != right:
            yield Difference(
                table,
                key,
                None if left is None else dict(zip(columns, left, strict=True)),
                None if right is None else dict(zip(columns, right, strict=True)),
            )


def _rows(
    cursor: Cursor, table: str, columns: tuple[str, ...], key: tuple[str, ...]
) -> Iterator[Row]:
    cursor.execute(
        f"SELECT {', '.join(columns)} FROM {table} ORDER BY {', '.join(key)}"
    )
    while True:
        rows = cursor.fetchmany(FETCH_SIZE)
        if not rows:
            return
        yield from rows


def _sortable(key: tuple[object, ...]) -> tuple[str, ...]:
    return tuple(str(part) for part in key)
