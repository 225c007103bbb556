"""The OpenAPI document is valid 3.1 and describes every route of the API."""

from __future__ import annotations

from openapi_spec_validator import validate

from tests.api.conftest import PREFIX, Api


def test_the_document_is_served_and_valid(api: Api):
    response = api.client.get("/api/openapi.json")

    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_every_operation_has_a_summary_and_the_bearer_scheme(api: Api):
    document = api.client.get("/api/openapi.json").get_json()

    assert document["security"] == [{"bearerAuth": []}]
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == (
        "bearer"
    )
    operations = [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method != "parameters"
    ]
    assert len(operations) == 50
    for path, method, operation in operations:
        assert path.startswith(PREFIX)
        assert operation["summary"].endswith("."), (path, method)
        assert "\n" not in operation["summary"]
        assert {"401", "403"} <= set(map(str, operation["responses"])), (path, method)


def test_writes_document_if_match_and_their_errors(api: Api):
    document = api.client.get("/api/openapi.json").get_json()

    closure = document["paths"][PREFIX + "/incidents/{incident_id}/closure"]["post"]

    assert [p["name"] for p in closure["parameters"]] == ["If-Match"]
    assert {"404", "409", "412", "413", "415", "422"} <= set(closure["responses"])
    error = document["components"]["schemas"]["Error"]["properties"]
    assert set(error) == {"code", "status", "message", "errors"}


def test_auditors_verify_the_history_and_download_the_evidence(api: Api):
    paths = api.client.get("/api/openapi.json").get_json()["paths"]
    api.report()  # sealed into the ledger by the write that stores it

    verified = api.get("/audit/verify", "auditor")
    exported = api.get("/audit/export", "auditor")

    assert {PREFIX + "/audit/verify", PREFIX + "/audit/export"} <= set(paths)
    assert verified.status_code == 200
    report = verified.get_json()
    assert report["ok"] is True
    assert report["checked"] == api.head()
    assert exported.status_code == 200
    assert exported.mimetype == "application/zip"
    assert exported.data[:2] == b"PK"
