"""Name a table in the store's PostgreSQL schema, quoted by the driver.

The schema comes from ``INCIDENTS_DATABASE_URL``; ``psycopg.sql`` quotes it (and
the table) as PostgreSQL reads identifiers, whatever they hold.
"""

from __future__ import annotations

from psycopg import sql


def qualified(schema: str, table: str) -> str:
    """Return ``"schema"."table"``, each part quoted by psycopg."""
    return sql.Identifier(schema, table).as_string(None)
