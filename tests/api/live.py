"""Serve the app with waitress on a free port, and talk to it over real HTTP.

The client knows only what a client written from the OpenAPI document and
DESIGN.md knows: the paths (each call names its path template, which must be
one the document lists), JSON bodies, bearer tokens, ``If-Match`` and ``ETag``.
Each :class:`Client` keeps its own keep-alive connection, as a phone would.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import waitress
from flask import Flask

from incidents.application import IncidentLog
from tests.conftest import ledger_key_path, signing_key_path
from web import create_app

PREFIX = "/api/v1"
TIMEOUT_SECONDS = 30
LOOP_SECONDS = 0.05


@dataclass
class Reply:
    """What the server answered: status, headers (lower-case names), JSON body."""

    status: int
    headers: dict[str, str]
    body: Any

    def __repr__(self) -> str:  # Shown by failing asserts.
        return f"Reply({self.status}, {self.body!r})"


@dataclass
class Server:
    """The app served on a port, its log, and the tokens of its people."""

    app: Flask
    log: IncidentLog
    host: str
    port: int
    tokens: dict[str, str] = field(default_factory=dict)
    document: dict[str, Any] = field(default_factory=dict)

    def client(self, who: str) -> Client:
        """Return a client signed in as one of the people, on its own connection."""
        return Client(self, self.tokens[who])


class Client:
    """Call the API as one person, over one HTTP connection."""

    def __init__(self, server: Server, token: str) -> None:
        self.server = server
        self.token = token
        self.connection = http.client.HTTPConnection(
            server.host, server.port, timeout=TIMEOUT_SECONDS
        )

    def close(self) -> None:
        self.connection.close()

    def call(
        self,
        method: str,
        template: str,
        body: Any = None,
        *,
        query: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        **path: Any,
    ) -> Reply:
        """Send a request to ``template`` (a path of the document) and read it."""
        operations = self.server.document["paths"].get(PREFIX + template, {})
        assert method.lower() in operations, f"{method} {template} is not documented"
        url = PREFIX + template.format(
            **{name: quote(str(value), safe="") for name, value in path.items()}
        )
        if query:
            url += "?" + urlencode(query)
        sent = {"Authorization": f"Bearer {self.token}", **(headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        try:
            self.connection.request(method, url, body=data, headers=sent)
            response = self.connection.getresponse()
        except (http.client.RemoteDisconnected, ConnectionError):
            if method != "GET":
                raise  # A write is never sent twice behind the caller's back.
            self.connection.close()
            self.connection.request(method, url, body=data, headers=sent)
            response = self.connection.getresponse()
        raw = response.read()
        reply_headers = {name.lower(): value for name, value in response.getheaders()}
        content_type = response.getheader("Content-Type", "")
        assert content_type.startswith("application/json"), (response.status, raw)
        return Reply(response.status, reply_headers, json.loads(raw))

    def get(self, template: str, **kwargs: Any) -> Reply:
        return self.call("GET", template, **kwargs)

    def post(self, template: str, body: Any = None, **kwargs: Any) -> Reply:
        return self.call("POST", template, body, **kwargs)

    def ok(self, method: str, template: str, body: Any = None, **kwargs: Any) -> Any:
        """Send a request that must succeed (2xx); return the JSON body."""
        reply = self.call(method, template, body, **kwargs)
        assert 200 <= reply.status < 300, (method, template, reply)
        return reply.body


def build_app(
    database_url: str, opened_logs: list[IncidentLog], **settings: Any
) -> Flask:
    """Create the app on a store, with any settings; its log is closed after."""
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test",
            "TESTING": True,
            # Checkpoints are signed at once: keep the key out of the checkout.
            "SIGNING_KEY_PATH": str(signing_key_path()),
            "LEDGER_KEY_PATH": str(ledger_key_path()),
            **settings,
        }
    )
    opened_logs.append(app.extensions["incident_log"])
    return app


def register(
    app: Flask, people: dict[str, tuple[str, list[str] | None]]
) -> dict[str, str]:
    """Register people (name: role, offices) through the log; return their tokens."""
    log: IncidentLog = app.extensions["incident_log"]
    tokens = {}
    for name, (role, offices) in people.items():
        log.register_user(actor="test", name=name, role=role, offices=offices)
        tokens[name] = log.issue_token(name, actor="test").token
    return tokens


@contextmanager
def serving(app: Flask, *, threads: int = 8) -> Iterator[Server]:
    """Serve the app with waitress on 127.0.0.1 and a free port, then stop it."""
    server = waitress.create_server(
        app, host="127.0.0.1", port=0, threads=threads, ident="incidents-test"
    )
    stop = threading.Event()
    failures: list[BaseException] = []
    listening: list[bool] = []

    def run() -> None:
        # waitress's own run() loops until its sockets close; this loop also
        # stops when asked, and closes every socket in this same thread.
        try:
            while not stop.is_set():
                server.asyncore.loop(
                    timeout=LOOP_SECONDS,
                    map=server._map,
                    use_poll=server.adj.asyncore_use_poll,
                    count=1,
                )
        except BaseException as error:  # Shown by the test, not lost in a thread.
            failures.append(error)
        finally:
            listening.append(server._fileno in server._map)
            server.asyncore.close_all(server._map, ignore_all=True)

    thread = threading.Thread(target=run, name="waitress", daemon=True)
    thread.start()
    live = Server(
        app=app,
        log=app.extensions["incident_log"],
        host="127.0.0.1",
        port=int(server.effective_port),
    )
    try:
        reader = Client(live, token="")
        live.document = _document(reader)
        reader.close()
        yield live
    finally:
        stop.set()
        thread.join(timeout=10)
        server.task_dispatcher.shutdown()
        app.extensions["read_models"].projector.stop()
    assert not thread.is_alive(), "waitress did not stop"
    assert not failures, failures
    assert listening == [True], "waitress stopped listening during the test"


def _document(client: Client) -> dict[str, Any]:
    client.connection.request("GET", "/api/openapi.json")
    response = client.connection.getresponse()
    assert response.status == 200
    document: dict[str, Any] = json.loads(response.read())
    return document
