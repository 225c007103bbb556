"""Expose the service's figures to Prometheus at ``/metrics``.

Requests by route, method and status with their latency, writes refused (503),
sign-ins refused by the throttle (429), and, read when scraped: how far the read
models are behind the log and how old the newest signed checkpoint is.

``/metrics`` says nothing about people, but it says how the service is used: it
answers only a bearer token equal to ``INCIDENTS_METRICS_TOKEN``; without that
setting it is not served at all (404).
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from projections.notifications.queries import NotificationQueries

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Latency buckets in seconds: a report takes a few milliseconds, a slow page 1 s.
SIGN_IN_ENDPOINT = "pages_auth.sign_in"
BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

bp = Blueprint("metrics", __name__)
logger = logging.getLogger(__name__)


class Metrics:
    """Hold one application's counters in a registry of its own."""

    def __init__(self, app: Flask) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "incidents_http_requests",
            "HTTP requests answered, by route, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "incidents_http_request_duration_seconds",
            "Time to answer an HTTP request, by route and method.",
            ["route", "method"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.refused_writes = Counter(
            "incidents_refused_writes",
            "Writes answered 503: the store refused them and nothing was stored.",
            registry=self.registry,
        )
        self.throttled_sign_ins = Counter(
            "incidents_sign_in_throttled",
            "Sign-ins answered 429 by the throttle of refused passwords.",
            registry=self.registry,
        )
        self.registry.register(_StoreCollector(app))


class _StoreCollector(Collector):
    """Read, at each scrape, the read models' lag and the newest checkpoint's age."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator[GaugeMetricFamily]:
        lag = GaugeMetricFamily(
            "incidents_read_models_lag_events",
            "Events stored but not yet in the read models.",
        )
        age = GaugeMetricFamily(
            "incidents_checkpoint_age_seconds",
            "Seconds since the newest signed checkpoint of the history.",
        )
        notifier_lag = GaugeMetricFamily(
            "incidents_notifier_lag_events",
            "Events stored but not yet read by the notifier.",
        )
        unsent = GaugeMetricFamily(
            "incidents_notifications_unsent",
            "Mail notifications not yet sent, by state (pending or failed).",
            labels=["state"],
        )
        extensions = self.app.extensions
        try:
            head = extensions["incident_log"].recorder.max_notification_id() or 0
            position = extensions["read_models"].projector.position()
            lag.add_metric([], max(head - position, 0))
            checkpoints = extensions["evidence"].checkpoints()
            status = NotificationQueries(extensions["notifier"].database).status()
            notifier_lag.add_metric([], max(head - status.position, 0))
            unsent.add_metric(["pending"], status.pending)
            unsent.add_metric(["failed"], status.failed)
        except Exception:  # A scrape must answer even when the store does not.
            logger.warning("Metrics could not read the store", exc_info=True)
            return
        yield lag
        yield notifier_lag
        yield unsent
        if checkpoints:
            signed = datetime.fromisoformat(checkpoints[-1].time)
            age.add_metric([], (datetime.now(UTC) - signed).total_seconds())
            yield age


def init_app(app: Flask) -> None:
    """Count every request, and serve ``/metrics`` when a token is configured."""
    app.extensions["metrics"] = Metrics(app)
    app.before_request(_start_timer)
    app.after_request(_count)
    app.register_blueprint(bp)


def _start_timer() -> None:
    g.metrics_started = time.perf_counter()


def _count(response: Response) -> Response:
    metrics: Metrics = current_app.extensions["metrics"]
    route = request.url_rule.rule if request.url_rule else "unmatched"
    status = response.status_code
    metrics.requests.labels(route, request.method, str(status)).inc()
    started = g.get("metrics_started")
    if started is not None:
        metrics.latency.labels(route, request.method).observe(
            time.perf_counter() - started
        )
    if status == 503 and request.method in WRITE_METHODS:
        metrics.refused_writes.inc()
    if status == 429 and request.endpoint == SIGN_IN_ENDPOINT:
        metrics.throttled_sign_ins.inc()
    return response


@bp.get("/metrics")
def metrics() -> Response:
    """Answer the figures in Prometheus's text format, to the holder of the token."""
    expected = current_app.config.get("METRICS_TOKEN")
    if not expected:
        abort(404)
    offered = request.headers.get("Authorization", "")
    if not hmac.compare_digest(offered.encode(), f"Bearer {expected}".encode()):
        abort(401)
    registry = current_app.extensions["metrics"].registry
    return Response(generate_latest(registry), content_type=CONTENT_TYPE)
