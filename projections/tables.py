"""Name and create the tables of one generation of the read models.

Every read model is rebuilt into a new *generation* of tables (``rm<N>_...``) and
swapped in by moving a single pointer, so readers never see a half-built model.
Times are stored as fixed-width ISO 8601 text in UTC and dates as ``YYYY-MM-DD``,
so that they sort and compare the same way on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from projections.database import Cursor, Database

# The columns of each table, in order; the first ones are its key (KEYS).
#
# Incidents and their temporal rows are keyed by ``report_position``, the log
# position of the incident's report, rather than by the incident's (random) id:
# the rows that events change are then those of recent incidents, which sit
# together at the end of the key's order, so applying a batch touches a few pages
# of each table instead of one page per row, however long the history. The
# incidents' ids have an index of their own, which a rebuild builds after loading.
COLUMNS: dict[str, tuple[str, ...]] = {
    "incidents": (
        "report_position",
        "incident_id",
        "office",
        "status",
        "occurred_at",
        "occurred_on",
        "recorded_at",
        "modified_at",
        "category",
        "severity",
        "target",
        "trigger_code",
        "summary",
        "reported_by",
        "version",
        "position",
        "resolution",
        "scheduled_follow_ups",
        "has_contact",
    ),
    "incident_states": (
        "report_position",
        "version",
        "incident_id",
        "valid_from",
        "valid_to",
        "office",
        "occurred_at",
        "occurred_on",
        "category",
        "severity",
        "target",
        "trigger_code",
        "status",
        "closed_at",
        "de_escalations",
        "calmed",
        "partially_calmed",
        "not_calmed",
        "outcome_left",
        "to_office_manager",
        "to_security",
        "to_police",
        "to_emergency_services",
    ),
    "follow_up_states": (
        "report_position",
        "follow_up_id",
        "version",
        "incident_id",
        "valid_from",
        "valid_to",
        "kind",
        "due_on",
        "assignee",
        "status",
    ),
    # One row per event of the log, in log order: the audit trail. An incident's
    # events also hold what its timelines show (office, occurred_at, data);
    # the other events leave them empty.
    "events": (
        "position",
        "aggregate_id",
        "version",
        "type",
        "topic",
        "actor",
        "recorded_at",
        "office",
        "occurred_at",
        "data",
    ),
    # How many events each day (in Paris) recorded, and all days (day ""): for
    # the whole log (scope "") and for each office. Totals of long lists are
    # sums over the days asked, never counts over every row of the history.
    "day_counts": ("scope", "day", "events"),
    "tracking": ("name", "position"),
}

KEYS: dict[str, tuple[str, ...]] = {
    "incidents": ("report_position",),
    "incident_states": ("report_position", "version"),
    "follow_up_states": ("report_position", "follow_up_id", "version"),
    "events": ("position",),
    "day_counts": ("scope", "day"),
    "tracking": ("name",),
}

_INTEGER_COLUMNS = {
    "events",
    "severity",
    "version",
    "scheduled_follow_ups",
    "has_contact",
    "de_escalations",
    "calmed",
    "partially_calmed",
    "not_calmed",
    "outcome_left",
    "to_office_manager",
    "to_security",
    "to_police",
    "to_emergency_services",
}
_BIG_INTEGER_COLUMNS = {"position", "report_position"}
_NULLABLE_COLUMNS = {
    "data",
    "valid_to",
    "trigger_code",
    "closed_at",
    "resolution",
    "assignee",
    "incident_id",
    "office",
    "actor",
    "occurred_at",
    "version",
    "topic",
}


@dataclass(frozen=True)
class Index:
    """Name the columns of a secondary index, and the rows it covers if not all."""

    columns: tuple[str, ...]
    where: str = ""
    suffix: str = ""
    unique: bool = False


# Every index serves a query of projections/queries/ with a range that does
# not grow with the length of the history (see docs/architecture.md).
_INDEXES: dict[str, tuple[Index, ...]] = {
    "incidents": (
        # An incident by its id: the one random key, built after a bulk load.
        Index(("incident_id",), unique=True),
        Index(("office", "occurred_at")),
        Index(("occurred_at",)),
    ),
    "incident_states": (
        # Summaries as of a past time: every version of the office's incidents.
        Index(("office", "occurred_on")),
        # Summaries now: only the current version of each.
        Index(("office", "occurred_on"), "valid_to IS NULL", "current"),
    ),
    "follow_up_states": (
        # The board: only the follow-ups still scheduled.
        Index(("due_on",), "valid_to IS NULL AND status = 'scheduled'", "open"),
    ),
    "events": (
        Index(("aggregate_id", "position")),
        Index(("office", "position")),
        Index(("office", "recorded_at")),
    ),
}

POINTER_TABLE = "readmodel_generation"
TRACKING_NAME = "readmodels"


@dataclass(frozen=True)
class Tables:
    """Give the names of the tables of one generation."""

    database: Database
    generation: int

    def name(self, table: str) -> str:
        return self.database.table(self.bare(table))

    def bare(self, table: str) -> str:
        return f"rm{self.generation}_{table}"

    def create(self, cursor: Cursor, *, indexes: bool = True) -> None:
        """Create the tables of this generation if they are missing.

        Without ``indexes``, only the primary keys are created, which is all that
        applying events needs: a rebuild loads the tables first and then creates
        the secondary indexes (:meth:`create_indexes`) from the sorted rows, in
        a fraction of the time that keeping them up to date row by row takes.
        """
        dialect = self.database.dialect
        for table, columns in COLUMNS.items():
            definitions = [_definition(table, column, dialect) for column in columns]
            key = ", ".join(KEYS[table])
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self.name(table)} "
                f"({', '.join(definitions)}, PRIMARY KEY ({key}))"
            )
        if indexes:
            self.create_indexes(cursor)
        cursor.execute(
            f"INSERT INTO {self.name('tracking')} (name, position) VALUES (?, 0) "
            "ON CONFLICT (name) DO NOTHING",
            (TRACKING_NAME,),
        )

    def create_indexes(self, cursor: Cursor) -> None:
        """Create the secondary indexes of this generation if they are missing."""
        for table, indexes in _INDEXES.items():
            for index in indexes:
                name = "_".join(
                    [self.bare(table), *index.columns, *filter(None, [index.suffix])]
                )
                where = f" WHERE {index.where}" if index.where else ""
                unique = "UNIQUE " if index.unique else ""
                cursor.execute(
                    f"CREATE {unique}INDEX IF NOT EXISTS {name} ON {self.name(table)} "
                    f"({', '.join(index.columns)}){where}"
                )

    def drop(self, cursor: Cursor) -> None:
        """Drop every table of this generation.

        On SQLite the freed pages are not overwritten with zeros one by one
        (``secure_delete``, on by default in some builds, took a tenth of a
        rebuild): read models never hold a visitor's contact, and their text is
        the events' text. The connection's setting is restored at once; the
        erasure of a contact's key sets its own.
        """
        sqlite = self.database.dialect == "sqlite"
        if sqlite:
            cursor.execute("PRAGMA secure_delete")
            row = cursor.fetchone()
            previous = _SECURE_DELETE.get(row[0] if row is not None else 1, "ON")
            cursor.execute("PRAGMA secure_delete = OFF")
        try:
            # Tracking first: every batch locks it first, so a batch in progress
            # ends before any of its tables is locked here (no deadlock).
            for table in sorted(COLUMNS, key=lambda table: table != "tracking"):
                cursor.execute(f"DROP TABLE IF EXISTS {self.name(table)}")
        finally:
            if sqlite:
                cursor.execute(f"PRAGMA secure_delete = {previous}")


# What ``PRAGMA secure_delete`` reads as, to be set again (2 would read as "on").
_SECURE_DELETE = {0: "OFF", 1: "ON", 2: "FAST"}


def _definition(table: str, column: str, dialect: str) -> str:
    if column in _BIG_INTEGER_COLUMNS:
        # SQLite's INTEGER holds 64 bits, and an INTEGER primary key is the row id
        # itself: the table is stored in its order, without an index beside it.
        kind = "INTEGER" if dialect == "sqlite" else "BIGINT"
    elif column in _INTEGER_COLUMNS:
        kind = "INTEGER"
    else:
        kind = "TEXT"
    nullable = column in _NULLABLE_COLUMNS and column not in KEYS[table]
    return f"{column} {kind}{'' if nullable else ' NOT NULL'}"


def create_pointer(cursor: Cursor, database: Database) -> None:
    """Create the pointer to the live generation, starting at generation 1."""
    table = database.table(POINTER_TABLE)
    cursor.execute(
        f"CREATE TABLE IF NOT EXISTS {table} "
        "(name TEXT PRIMARY KEY, generation INTEGER NOT NULL)"
    )
    cursor.execute(
        f"INSERT INTO {table} (name, generation) VALUES ('live', 1) "
        "ON CONFLICT (name) DO NOTHING"
    )
    cursor.execute(
        f"INSERT INTO {table} (name, generation) VALUES ('newest', 1) "
        "ON CONFLICT (name) DO NOTHING"
    )
