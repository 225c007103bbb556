"""A web process's pool holds a connection for each of its request threads.

``incidents serve --threads N`` answers N requests at once: each may hold one
of the store's pooled connections, and the followers theirs. With more threads
than connections, requests would wait for each other's (and on PostgreSQL give
up after about a second, 503).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from flask import Flask

from incidents.application import IncidentLog
from tests.api.live import build_app

THREADS = 20


@pytest.fixture
def app(durable_database_url: str, opened_logs: list[IncidentLog]) -> Iterator[Flask]:
    app = build_app(durable_database_url, opened_logs, THREADS=THREADS)
    try:
        yield app
    finally:
        app.extensions["read_models"].projector.stop()


def test_every_request_thread_holds_a_connection_at_the_same_time(app: Flask):
    datastore = app.extensions["incident_log"].recorder.datastore
    together = threading.Barrier(THREADS, timeout=10)
    failures: list[BaseException] = []

    def request() -> None:
        try:
            with datastore.transaction(commit=False) as cursor:
                cursor.execute("SELECT 1")
                together.wait()  # Every thread holds its connection here.
        except BaseException as error:  # Reported below.
            failures.append(error)
            together.abort()

    threads = [threading.Thread(target=request) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not failures, failures[:3]
