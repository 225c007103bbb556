"""INCIDENTS_DATABASE_URL: libpq's parameters reach connections; nothing else does."""

from __future__ import annotations

import pytest
from eventsourcing.persistence import PersistenceError

from incidents.errors import InvalidInputError
from incidents.persistence import connection_parameters, environment_for
from tests.conftest import OpenLog

BASE = "postgresql://u:secret@db.example:5432/incidents"


def test_libpq_parameters_are_kept_with_bounded_waits():
    env = environment_for(
        BASE + "?sslmode=verify-full&sslrootcert=/etc/ssl/db.pem&schema=log_92"
    )

    assert connection_parameters(env) == {
        "sslmode": "verify-full",
        "sslrootcert": "/etc/ssl/db.pem",
        "connect_timeout": "2",
        "tcp_user_timeout": "10000",
        "keepalives": "1",
        "keepalives_idle": "2",
        "keepalives_interval": "1",
        "keepalives_count": "2",
    }
    assert env["POSTGRES_SCHEMA"] == "log_92"


def test_the_urls_own_waits_win():
    env = environment_for(BASE + "?connect_timeout=7&tcp_user_timeout=0")

    parameters = connection_parameters(env)
    assert parameters["connect_timeout"] == "7"
    assert parameters["tcp_user_timeout"] == "0"


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("?sslmod=require", "'sslmod' is not a parameter it takes"),
        ("?host=elsewhere", "'host' is not a parameter it takes"),
        ("?sslmode=require&sslmode=disable", "give 'sslmode' once"),
        ('?schema=a"b', "name the schema"),
        ("?schema=Upper", "name the schema"),
        ("?schema=1st", "name the schema"),
    ],
)
def test_anything_else_in_the_url_is_refused_by_name(query: str, named: str):
    with pytest.raises(InvalidInputError, match="INCIDENTS_DATABASE_URL") as refused:
        environment_for(BASE + query)

    assert named in str(refused.value)
    assert "secret" not in str(refused.value)


@pytest.mark.postgres
def test_the_parameters_reach_every_connection(postgres_url: str, make_log: OpenLog):
    log = make_log(postgres_url + "?application_name=incidents-test&sslmode=disable")

    with log.recorder.datastore.get_connection() as connection:
        named = connection.execute("SHOW application_name").fetchone()
        given = connection.info.get_parameters()

    assert named is not None
    assert next(iter(named.values())) == "incidents-test"
    # The bounded waits, which libpq keeps on the client's side.
    assert given["connect_timeout"] == "2"
    assert given["tcp_user_timeout"] == "10000"
    assert given["keepalives_idle"] == "2"


@pytest.mark.postgres
def test_sslmode_require_is_enforced_against_a_server_without_tls(
    postgres_url: str, make_log: OpenLog
):
    # The test server speaks no TLS: "prefer" falls back to plain text, a
    # required TLS must fail instead.
    preferring = make_log(postgres_url + "?sslmode=prefer")
    assert len(preferring.list_offices()) == 10

    with pytest.raises((PersistenceError, OSError)):
        make_log(postgres_url + "?sslmode=require")
