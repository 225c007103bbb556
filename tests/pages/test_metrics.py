"""``/metrics``: Prometheus's text format, for the holder of the token only."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.pages.conftest import Site, csrf_token_in

TOKEN = "a-long-random-metrics-token"


def scrape(site: Site) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = site.app.test_client().get(
        "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type == "text/plain; version=0.0.4; charset=utf-8"
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def requests_to(samples, route: str, method: str, status: str) -> float:
    labels = (("method", method), ("route", route), ("status", status))
    return samples.get(("incidents_http_requests_total", labels), 0.0)


def test_without_a_token_configured_metrics_are_not_served(site: Site):
    response = site.app.test_client().get("/metrics")

    assert response.status_code == 404


def test_metrics_refuse_a_missing_or_wrong_token(site: Site):
    site.app.config["METRICS_TOKEN"] = TOKEN
    client = site.app.test_client()

    missing = client.get("/metrics")
    wrong = client.get("/metrics", headers={"Authorization": "Bearer guess"})

    assert (missing.status_code, wrong.status_code) == (401, 401)
    assert "incidents_http" not in wrong.get_data(as_text=True)


def test_request_counters_and_latency_move_with_requests(site: Site):
    site.app.config["METRICS_TOKEN"] = TOKEN
    before = scrape(site)

    for _ in range(3):
        assert site.app.test_client().get("/healthz").status_code == 200
    site.app.test_client().get("/no-such-page")
    after = scrape(site)

    assert requests_to(after, "/healthz", "GET", "200") == (
        requests_to(before, "/healthz", "GET", "200") + 3
    )
    assert requests_to(after, "unmatched", "GET", "404") >= 1
    latency = (
        "incidents_http_request_duration_seconds_count",
        (("method", "GET"), ("route", "/healthz")),
    )
    assert after[latency] == before.get(latency, 0.0) + 3
    assert ("incidents_read_models_lag_events", ()) in after
    assert ("incidents_notifier_lag_events", ()) in after
    assert after[("incidents_notifications_unsent", (("state", "failed"),))] == 0


def test_throttled_sign_ins_are_counted(site: Site):
    site.app.config["METRICS_TOKEN"] = TOKEN
    client = site.app.test_client()
    statuses = []
    for _attempt in range(7):
        page = client.get("/connexion")
        statuses.append(
            client.post(
                "/connexion",
                data={
                    "name": "officer",
                    "password": "guessing",
                    "csrf_token": csrf_token_in(page.get_data(as_text=True)),
                },
            ).status_code
        )

    samples = scrape(site)

    assert statuses.count(429) == 2
    assert samples[("incidents_sign_in_throttled_total", ())] == 2
