"""A few hostile clients cannot lock others out of the real server.

Idle keep-alive connections, connections that send nothing, bodies far larger
than any request, clients that send their headers a byte at a time: each held
against ``incidents serve`` while a well-behaved client is answered in time.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.conftest import (
    HOST,
    Service,
    service_environment,
    start_service,
)

ANSWER_WITHIN_SECONDS = 2.0
# Timed against that limit: run alone, not beside another test process.
pytestmark = pytest.mark.serial


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    environment = service_environment(f"sqlite:///{tmp_path / 'log.sqlite3'}", tmp_path)
    running = start_service(environment, tmp_path / "serve.log")
    try:
        yield running
    finally:
        running.stop()


def timed_healthz(service: Service) -> float:
    started = time.monotonic()
    reply = service.get("/healthz")
    assert reply.status == 200
    return time.monotonic() - started


@contextlib.contextmanager
def held_open() -> Iterator[list[socket.socket]]:
    sockets: list[socket.socket] = []
    try:
        yield sockets
    finally:
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.close()


def open_idle_keep_alive(service: Service, sockets: list[socket.socket]) -> None:
    sock = socket.create_connection((HOST, service.port), timeout=10)
    sock.sendall(
        b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n"
    )
    answer = b""
    while b"\r\n\r\n" not in answer or not answer.endswith(b"}\n"):
        chunk = sock.recv(4096)
        assert chunk, "closed before answering"
        answer += chunk
    assert answer.startswith(b"HTTP/1.1 200")
    sockets.append(sock)


def test_idle_and_silent_connections_do_not_lock_out_a_new_client(service: Service):
    with held_open() as sockets:
        for _ in range(200):
            open_idle_keep_alive(service, sockets)
        for _ in range(100):
            sockets.append(socket.create_connection((HOST, service.port), timeout=10))

        took = timed_healthz(service)

    print(
        f"measured: /healthz beside 200 idle and 100 silent connections in {took:.3f} s"
    )
    assert took < ANSWER_WITHIN_SECONDS


def open_files(pid: int) -> set[str]:
    """Return the files (not sockets or pipes) a process holds open."""
    found = set()
    for entry in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(entry)
            if target.startswith("/"):
                found.add(target)
    return found


def test_a_huge_body_is_refused_before_it_is_read_or_written_anywhere(
    service: Service,
):
    announced = 300 * 1024 * 1024
    sock = socket.create_connection((HOST, service.port), timeout=10)
    before = open_files(service.process.pid)
    spooled: set[str] = set()
    sent = 0
    try:
        sock.sendall(
            b"POST /api/v1/incidents HTTP/1.1\r\nHost: localhost\r\n"
            b"Authorization: Bearer bogus\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {announced}\r\n\r\n".encode()
        )
        chunk = b"x" * 65536
        answer = b""
        sock.settimeout(0.05)
        # Keep sending, as an attacker would, until the server answers.
        while sent < announced and not answer:
            with contextlib.suppress(TimeoutError, BlockingIOError):
                answer += sock.recv(4096)
            try:
                sock.sendall(chunk)
                sent += len(chunk)
            except (BrokenPipeError, ConnectionResetError, TimeoutError):
                break
            spooled |= open_files(service.process.pid) - before
        sock.settimeout(10)
        with contextlib.suppress(OSError):
            while b"\r\n\r\n" not in answer:
                more = sock.recv(4096)
                if not more:
                    break
                answer += more
    finally:
        sock.close()

    print(f"measured: a {announced:,}-byte body refused after {sent:,} bytes were sent")
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < 16 * 1024 * 1024
    assert spooled == set()  # No temporary file ever held the body.


def test_clients_sending_headers_a_byte_at_a_time_do_not_slow_others(
    service: Service,
):
    slow: list[socket.socket] = []
    try:
        for _ in range(50):
            sock = socket.create_connection((HOST, service.port), timeout=10)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHo")
            slow.append(sock)
        took = []
        for byte in b"st: x\r\n":
            for sock in slow:
                sock.sendall(bytes([byte]))
            took.append(timed_healthz(service))
    finally:
        for sock in slow:
            sock.close()

    print(f"measured: /healthz beside 50 slow clients, slowest {max(took):.3f} s")
    assert max(took) < ANSWER_WITHIN_SECONDS
