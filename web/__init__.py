"""Serve the incident log over HTTP: the application factory."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, has_request_context

from incidents.application import IncidentLog
from incidents.bootstrap import open_incident_log
from incidents.errors import StorageUnavailableError
from incidents.evidence import Evidence
from projections.notifications.notifier import Notifier
from projections.projector import Projector
from projections.queries import ReadModels
from web import docs, fault_log, health, logs, metrics
from web.config import (
    SERVE_THREADS,
    connections_for,
    default_instance_path,
    ledger_settings,
    notifier_parts,
    settings_from_environment,
)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure an instance of the Flask application."""
    app = Flask(
        __name__,
        instance_path=str(default_instance_path()),
        instance_relative_config=True,
    )
    if test_config is None or "DATABASE_URL" not in test_config:
        app.config.from_mapping(settings_from_environment(default_instance_path()))
    if test_config is not None:
        app.config.update(test_config)

    log = app.config.get("INCIDENT_LOG") or open_incident_log(
        app.config["DATABASE_URL"],
        ledger=ledger_settings(app.config, Path(app.instance_path)),
        read_only_if_refused=app.config.get("READ_ONLY_IF_REFUSED", False),
        connections=connections_for(app.config.get("THREADS", SERVE_THREADS)),
    )
    app.extensions["incident_log"] = log
    if app.config.get("READ_ONLY_IF_REFUSED") and log.read_only_reason is None:
        # Serving whatever state the store is in: whether it takes writes is
        # known from the start, and /readyz says so before any write is refused.
        with contextlib.suppress(StorageUnavailableError):
            log.check_writable()
    # Made now, so that the first sign-in with an unknown name costs what any
    # other sign-in costs.
    log.dummy_password_hash()
    projector = Projector(log)
    app.extensions["read_models"] = ReadModels(projector)
    # A request that reads the read models after a write of its own waits for
    # that write too (web/usecases/read_your_writes.py).
    if _written_in_request not in log.save_listeners:
        log.save_listeners.append(_written_in_request)
    if app.config.get("FOLLOW_LOG", True) and log.read_only_reason is None:
        # The embedded default: read models follow the log in this process.
        projector.start()
    notifier_settings, mailer = notifier_parts(app.config)
    notifier = Notifier(
        log,
        projector.database,
        settings=notifier_settings,
        mailer=mailer,
        summarise=app.extensions["read_models"].office_summary,
    )
    app.extensions["notifier"] = notifier
    # settings_from_environment always says (on by default); a test config that
    # does not ask for it gets no thread writing to its log behind its back.
    if app.config.get("NOTIFY", False):
        notifier.start()
    # Every event is sealed into the ledger by the write that stores it.
    app.extensions["evidence"] = Evidence(log)

    logs.init_app(app)
    metrics.init_app(app)
    fault_log.init_app(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(docs.bp)
    # Imported here: the API's views reach the log through this module.
    from web.api import init_api

    init_api(app)
    from web.pages import init_pages

    init_pages(app)
    return app


def _written_in_request(position: int) -> None:
    """Make the request that saved wait again before it reads the read models."""
    if has_request_context():
        g.pop("read_models_fresh", None)


def get_evidence() -> Evidence:
    """Return the tamper evidence of the current application."""
    evidence: Evidence = current_app.extensions["evidence"]
    return evidence


def get_notifier() -> Notifier:
    """Return the notifier of the current application (its tables, its lag)."""
    notifier: Notifier = current_app.extensions["notifier"]
    return notifier


def get_read_models() -> ReadModels:
    """Return the read models of the current application."""
    read_models: ReadModels = current_app.extensions["read_models"]
    return read_models


def get_incident_log() -> IncidentLog:
    """Return the incident log of the current application."""
    log: IncidentLog = current_app.extensions["incident_log"]
    return log
