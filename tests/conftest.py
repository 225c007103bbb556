"""Give tests a store to write to: in memory, a SQLite file, or PostgreSQL.

PostgreSQL comes from ``POSTGRES_HOST``/``PORT``/``USER``/``PASSWORD`` when set,
else from a throwaway server started for the session (``tests/pgserver.py``) when
``initdb`` is installed. Otherwise the tests that need it are skipped, or fail
when ``INCIDENTS_REQUIRE_POSTGRES=1`` (as ``.ci/run`` sets): CI never skips them.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest
from argon2 import PasswordHasher
from psycopg import sql

from incidents.application import IncidentLog, load_default_offices
from incidents.evidence import LedgerSettings
from incidents.persistence import environment_for
from tests import pgserver

STORES = ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
DURABLE_STORES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]

OpenLog = Callable[..., IncidentLog]


def cheap_password_hasher() -> PasswordHasher:
    """Return an argon2 hasher that costs microseconds, not 125 ms, per check."""
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@functools.cache
def evidence_key_folder() -> Path:
    """Return the folder of the evidence keys that every test log and service shares.

    A store sealed under one key and checked under another would not verify:
    logs opened by a test and services it starts use the same keys.
    """
    return Path(tempfile.mkdtemp(prefix="incidents-test-keys-"))


def signing_key_path() -> Path:
    """Return the signing key of the test session's logs and services."""
    return evidence_key_folder() / "signing-key.pem"


def ledger_key_path() -> Path:
    """Return the key of the ledger rows' MACs of the test session's logs."""
    return evidence_key_folder() / "ledger-key"


def ledger_settings(**options: Any) -> LedgerSettings:
    """Return the ledger settings of the test session's logs."""
    return LedgerSettings(
        signing_key_path=signing_key_path(),
        ledger_key_path=ledger_key_path(),
        **options,
    )


def open_log(
    database_url: str,
    *,
    load_offices: bool = True,
    ledger: LedgerSettings | None = None,
) -> IncidentLog:
    """Open an incident log on a store, with the default offices loaded."""
    log = IncidentLog(
        environment_for(database_url),
        password_hasher=cheap_password_hasher(),
        ledger=ledger or ledger_settings(),
    )
    if load_offices:
        log.ensure_offices(load_default_offices())
    return log


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[pgserver.Server]:
    """Return where PostgreSQL listens, starting a throwaway server if need be."""
    if os.environ.get("POSTGRES_HOST"):
        yield pgserver.Server(
            host=os.environ["POSTGRES_HOST"],
            port=int(os.environ.get("POSTGRES_PORT") or 5432),
            user=os.environ.get("POSTGRES_USER") or "postgres",
            password=os.environ.get("POSTGRES_PASSWORD", ""),
            directory="",
        )
        return
    if pgserver.find_bindir() is not None:
        with pgserver.running() as server:
            yield server
        return
    reason = (
        "PostgreSQL is unavailable: POSTGRES_HOST is not set and initdb is not "
        "installed (apt-get install -y postgresql)."
    )
    if os.environ.get("INCIDENTS_REQUIRE_POSTGRES") == "1":
        pytest.fail(
            f"{reason} INCIDENTS_REQUIRE_POSTGRES=1 forbids skipping.", pytrace=False
        )
    pytest.skip(reason)


@pytest.fixture
def opened_logs() -> Iterator[list[IncidentLog]]:
    """Collect the logs a test opens, and close them after the test."""
    logs: list[IncidentLog] = []
    yield logs
    _close_all(logs)


@contextmanager
def scratch_database(server: pgserver.Server) -> Iterator[str]:
    """Create an empty database and return its URL; drop it afterwards."""
    name = f"test_{uuid.uuid4().hex[:16]}"
    with _maintenance_connection(server) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    user = quote(server.user, safe="")
    password = quote(server.password, safe="")
    try:
        yield f"postgresql://{user}:{password}@{server.host}:{server.port}/{name}"
    finally:
        with _maintenance_connection(server) as connection:
            connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name))
            )


@pytest.fixture
def postgres_url(
    postgres_server: pgserver.Server, opened_logs: list[IncidentLog]
) -> Iterator[str]:
    """Create an empty database for one test and return its URL; drop it after."""
    with scratch_database(postgres_server) as url:
        yield url
        # Whatever the order of the fixtures, no pool is left on a dropped database.
        _close_all(opened_logs)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """Return the URL of a SQLite file (not yet created) in a fresh folder."""
    path = tmp_path / "store" / "incidents.sqlite3"
    path.parent.mkdir(parents=True)
    return f"sqlite:///{path.absolute()}"


@pytest.fixture(params=STORES)
def database_url(request: pytest.FixtureRequest) -> str:
    """Return the URL of an empty store of each kind in turn."""
    if request.param == "memory":
        return "memory://"
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture(params=DURABLE_STORES)
def durable_database_url(request: pytest.FixtureRequest) -> str:
    """Return the URL of an empty store that outlives the log using it."""
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
def make_log(opened_logs: list[IncidentLog]) -> OpenLog:
    """Open logs with :func:`open_log`, closed after the test."""

    def make(
        database_url: str,
        *,
        load_offices: bool = True,
        ledger: LedgerSettings | None = None,
    ) -> IncidentLog:
        log = open_log(database_url, load_offices=load_offices, ledger=ledger)
        opened_logs.append(log)
        return log

    return make


@pytest.fixture
def incident_log(database_url: str, make_log: OpenLog) -> IncidentLog:
    """Return a log, offices loaded, on each kind of store in turn."""
    return make_log(database_url)


def _close_all(logs: list[IncidentLog]) -> None:
    while logs:
        logs.pop().close()


def _maintenance_connection(server: pgserver.Server) -> psycopg.Connection:
    return psycopg.connect(
        host=server.host,
        port=server.port,
        user=server.user,
        password=server.password,
        dbname="postgres",
        autocommit=True,
        connect_timeout=10,
    )


# Tests whose printed lines are what they measured (faults, races, a projector
# killed): the summary repeats those lines, so that they show even without -s.
MEASURING = (
    "tests/faults/",
    "tests/readmodels/test_crash.py",
    "tests/api/test_racing_clients.py",
    "tests/integration/test_concurrency.py",
)
_measured: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    """Run the session from INCIDENTS_TEST_CLOCK (an ISO instant), ticking.

    ``make test-any-hour`` sets it to the hours when the day in Paris is not the
    day in UTC. The clock moves before the tests are collected, so that instants
    taken when a module is imported are on it too. Only this process's wall
    clock moves (time-machine): monotonic clocks, sleeps and other processes
    keep the real time.
    """
    moment = os.environ.get("INCIDENTS_TEST_CLOCK")
    if not moment:
        return
    import time_machine

    travel = time_machine.travel(datetime.fromisoformat(moment), tick=True)
    travel.start()
    config.add_cleanup(travel.stop)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Keep the lines printed by the tests that measure something."""
    if report.when == "call" and report.nodeid.startswith(MEASURING):
        module = report.nodeid.split("::")[0].rsplit("/", 1)[-1]
        parameters = (
            report.nodeid[report.nodeid.find("[") :] if "[" in report.nodeid else ""
        )
        for line in report.capstdout.splitlines():
            if line.strip():
                _measured.append(f"{module}{parameters}: {line.strip()}")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Repeat what was measured; say how many PostgreSQL tests ran."""
    if _measured:
        terminalreporter.section("measured")
        for line in _measured:
            terminalreporter.write_line(line)
    reports = [
        report
        for outcome in ("passed", "failed", "error", "skipped")
        for report in terminalreporter.stats.get(outcome, [])
        if getattr(report, "when", "call") in ("call", "setup")
        and "postgres" in getattr(report, "keywords", {})
    ]
    counts = {
        outcome: sum(1 for report in reports if report.outcome == outcome)
        for outcome in ("passed", "failed", "skipped")
    }
    executed = counts["passed"] + counts["failed"]
    terminalreporter.write_line(
        f"PostgreSQL tests: {executed} executed ({counts['passed']} passed, "
        f"{counts['failed']} failed), {counts['skipped']} skipped"
    )


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Remove the session's evidence keys."""
    if evidence_key_folder.cache_info().currsize:
        shutil.rmtree(evidence_key_folder(), ignore_errors=True)
