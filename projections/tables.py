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

# The columns of each table, in order; the first ones named in KEYS are its key.
COLUMNS: dict[str, tuple[str, ...]] = {
    "incidents": (
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
        "incident_id",
        "version",
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
    "timeline": (
        "position",
        "incident_id",
        "office",
        "version",
        "type",
        "recorded_at",
        "occurred_at",
        "actor",
        "data",
    ),
    "audit": (
        "position",
        "aggregate_id",
        "version",
        "type",
        "topic",
        "actor",
        "recorded_at",
    ),
    "tracking": ("name", "position"),
}

KEYS: dict[str, tuple[str, ...]] = {
    "incidents": ("incident_id",),
    "incident_states": ("incident_id", "version"),
    "follow_up_states": ("follow_up_id", "version"),
    "timeline": ("position",),
    "audit": ("position",),
    "tracking": ("name",),
}

_INTEGER_COLUMNS = {
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
_BIG_INTEGER_COLUMNS = {"position"}
_NULLABLE_COLUMNS = {
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

_INDEXES: dict[str, tuple[tuple[str, ...], ...]] = {
    "incidents": (("office", "occurred_at"), ("occurred_at",)),
    "incident_states": (("office", "occurred_on"), ("valid_to",), ("valid_from",)),
    "follow_up_states": (("incident_id",), ("valid_to", "due_on")),
    "timeline": (("incident_id", "position"), ("office", "position")),
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

    def create(self, cursor: Cursor) -> None:
        """Create the tables and indexes of this generation if they are missing."""
        for table, columns in COLUMNS.items():
            definitions = [_definition(table, column) for column in columns]
            key = ", ".join(KEYS[table])
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self.name(table)} "
                f"({', '.join(definitions)}, PRIMARY KEY ({key}))"
            )
            for index_columns in _INDEXES.get(table, ()):
                index = f"{self.bare(table)}_{'_'.join(index_columns)}"
                cursor.execute(
                    f"CREATE INDEX IF NOT EXISTS {index} ON {self.name(table)} "
                    f"({', '.join(index_columns)})"
                )
        cursor.execute(
            f"INSERT INTO {self.name('tracking')} (name, position) VALUES (?, 0) "
            "ON CONFLICT (name) DO NOTHING",
            (TRACKING_NAME,),
        )

    def drop(self, cursor: Cursor) -> None:
        """Drop every table of this generation."""
        # Tracking first: every batch locks it first, so a batch in progress
        # ends before any of its tables is locked here (no deadlock).
        for table in sorted(COLUMNS, key=lambda table: table != "tracking"):
            cursor.execute(f"DROP TABLE IF EXISTS {self.name(table)}")


def _definition(table: str, column: str) -> str:
    if column in _BIG_INTEGER_COLUMNS:
        kind = "BIGINT"
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
