"""Started on a store that refuses writes: reads served, writes refused, then back.

The service is stopped, the store made unwritable, and ``incidents serve`` started
again, as an operator restarting it during the fault would: on a full disk (a
small tmpfs filled to the last byte) and on a database file made immutable
(``chattr +i``, which stops root too). It must start, serve reads, refuse writes
with 503 and ``Retry-After``, say why on ``/readyz``, and take writes again by
itself once the cause is removed. The commands meanwhile either work (those
that only read) or fail in one line with exit 3, never with a traceback.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.faults.conftest import (
    Reply,
    Service,
    call,
    full,
    immutable,
    run_command,
    service_environment,
    start_service,
)

OFFICE = "colombes-aragon"
PREFIX = "/api/v1"
# The service tries the store every 5 s (web/read_only.py), and opens it in about 1 s.
WRITABLE_AGAIN_WITHIN = 20.0


def report_body() -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "office": OFFICE,
        "occurred_at": (datetime.now(UTC) - timedelta(minutes=20)).isoformat(),
        "category": "waiting_time",
        "severity": 1,
        "target": "staff",
        "summary": "File d'attente longue au guichet.",
    }


def send(
    service: Service, method: str, path: str, token: str, body: Any = None
) -> Reply:
    connection = service.connect()
    try:
        return call(connection, method, PREFIX + path, body, token=token)
    finally:
        connection.close()


def a_store_with_one_report(
    environment: dict[str, str], output: Path
) -> tuple[str, str]:
    """Serve once, report once, stop gracefully; return the token and report id."""
    code, said = run_command(
        environment,
        *("users", "add", "mina", "--role", "mediator", "--office", OFFICE),
        "--no-password",
    )
    assert code == 0, said
    code, said = run_command(environment, "tokens", "issue", "mina")
    assert code == 0, said
    token = said.strip().splitlines()[-1]
    service = start_service(environment, output)
    try:
        service.wait_until_ready()
        first = report_body()
        reply = send(service, "POST", "/incidents", token, first)
        assert reply.status == 201, reply
        service.wait_until_ready()
    finally:
        assert service.stop() == 0
    return token, first["id"]


def check_degraded_then_recovered(
    environment: dict[str, str],
    output: Path,
    fault: contextlib.AbstractContextManager[object],
    *,
    state: str,
    cause: str,
) -> None:
    token, first_id = a_store_with_one_report(environment, output)
    refused = report_body()
    with fault:
        for reading in (("users", "list"), ("tokens", "list"), ("verify",)):
            code, said = run_command(environment, *reading)
            assert code == 0, (reading, said)
        writing_commands = (
            ("users", "add", "noa", "--role", "auditor", "--no-password"),
            ("checkpoint",),
            ("replay",),
        )
        for writing in writing_commands:
            code, said = run_command(environment, *writing)
            assert code == 3, (writing, said)
            assert "Traceback" not in said, said
            assert len(said.strip().splitlines()) == 1, said

        service = start_service(environment, output)
        ready = service.get("/readyz")
        assert ready.status == 503, ready
        assert ready.body["database"] == state
        assert ready.body["cause"] == cause
        listed = send(service, "GET", f"/incidents?office={OFFICE}", token)
        assert listed.status == 200, listed
        assert [item["id"] for item in listed.body["items"]] == [first_id]
        shown = send(service, "GET", f"/incidents/{first_id}", token)
        assert shown.status == 200, shown
        answer = send(service, "POST", "/incidents", token, refused)
        assert answer.status == 503, answer
        assert int(answer.headers["retry-after"]) > 0
        assert "nothing was stored" in answer.body["message"]

    try:
        # The cause removed: the same service takes writes again, by itself.
        started = time.monotonic()
        while service.get("/readyz").status != 200:
            assert time.monotonic() - started < WRITABLE_AGAIN_WITHIN, service.tail()
            time.sleep(0.2)
        recovered_after = time.monotonic() - started
        answer = send(service, "POST", "/incidents", token, refused)
        assert answer.status == 201, answer  # It was not stored before.
        service.wait_until_ready()
        listed = send(service, "GET", f"/incidents?office={OFFICE}", token)
        assert sorted(item["id"] for item in listed.body["items"]) == sorted(
            [first_id, refused["id"]]
        )
    finally:
        assert service.stop() == 0
    code, said = run_command(environment, "verify")
    assert code == 0, said
    logged = output.read_text()
    assert "Traceback" not in logged
    print(
        f"measured: started on a store refusing writes ({cause}): reads 200, "
        f"writes 503; writable again {recovered_after:.1f} s after the cause "
        "was removed, no restart"
    )


def test_serve_starts_on_a_full_disk_and_recovers(small_disk: Path, tmp_path: Path):
    environment = service_environment(
        f"sqlite:///{small_disk / 'incidents.sqlite3'}", tmp_path
    )

    check_degraded_then_recovered(
        environment,
        tmp_path / "serve.log",
        full(small_disk),
        # Not even the write-ahead log's index can be made: opened to read only.
        state="read-only",
        cause="the disk is full",
    )


def test_serve_starts_on_a_read_only_file_and_recovers(tmp_path: Path):
    database = tmp_path / "store" / "incidents.sqlite3"
    environment = service_environment(f"sqlite:///{database}", tmp_path)

    @contextlib.contextmanager
    def read_only() -> Iterator[None]:
        with immutable(database):
            yield

    check_degraded_then_recovered(
        environment,
        tmp_path / "serve.log",
        read_only(),
        # The tables are there: opened as usual, its first write refused.
        state="refusing writes",
        cause="the database file or its folder is read-only",
    )
