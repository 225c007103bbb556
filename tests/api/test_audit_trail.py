"""The audit trail's hashes and the signed checkpoints, as the JSON API lists them."""

from __future__ import annotations

import re

from tests.api.conftest import Api

HEX_64 = re.compile(r"[0-9a-f]{64}")
ITEM_FIELDS = {
    "position",
    "aggregate_id",
    "version",
    "type",
    "topic",
    "recorded_at",
    "actor",
    "hash",
}


def test_each_event_carries_its_leaf_hash_from_the_ledger(any_store_api: Api):
    api = any_store_api
    incident = api.report()
    api.post(f"/incidents/{incident['id']}/notes", {"text": "Rappelé."}, "officer")
    api.wait_for_read_models()
    ledger = api.app.extensions["evidence"].ledger

    items = api.get("/audit/events?limit=1000", "auditor").get_json()["items"]

    assert items
    for item in items:
        assert set(item) == ITEM_FIELDS
        assert HEX_64.fullmatch(item["hash"])
        row = ledger.row_at(item["position"])
        assert row is not None
        assert item["hash"] == row.leaf.hex()


def test_a_page_after_a_position_joins_the_hashes_of_its_own_events(api: Api):
    for _ in range(4):
        api.report()
    api.wait_for_read_models()
    ledger = api.app.extensions["evidence"].ledger
    whole = api.get("/audit/events?limit=1000", "auditor").get_json()["items"]
    after = whole[1]["position"]

    page = api.get(f"/audit/events?after={after}&limit=2", "auditor").get_json()

    assert page["items"] == whole[2:4]
    assert [item["hash"] for item in page["items"]] == [
        row.leaf.hex()
        for row in ledger.rows(whole[2]["position"], whole[3]["position"])
    ]


def test_checkpoints_are_listed_newest_first_as_the_ledger_signed_them(
    any_store_api: Api,
):
    api = any_store_api
    evidence = api.app.extensions["evidence"]
    before = len(evidence.checkpoints())
    for _ in range(3):
        api.report()
        evidence.checkpoint()

    listed = api.get("/audit/checkpoints", "auditor").get_json()

    signed = evidence.checkpoints()
    assert len(signed) == before + 3
    assert listed["total"] == len(signed)
    assert (listed["page"], listed["page_size"]) == (1, 50)
    assert listed["items"] == [checkpoint.to_json() for checkpoint in signed[::-1]]
    sizes = [item["size"] for item in listed["items"]]
    assert sizes == sorted(sizes, reverse=True)
    for item in listed["items"]:
        assert HEX_64.fullmatch(item["root"])
        assert re.fullmatch(r"[0-9a-f]+", item["signature"])


def test_checkpoints_come_a_page_at_a_time(api: Api):
    evidence = api.app.extensions["evidence"]
    for _ in range(3):
        api.report()
        evidence.checkpoint()
    newest_first = [checkpoint.to_json() for checkpoint in evidence.checkpoints()][::-1]
    pages = -(-len(newest_first) // 2)

    answers = [
        api.get(f"/audit/checkpoints?page={page}&page_size=2", "auditor").get_json()
        for page in range(1, pages + 2)
    ]

    assert [answer["items"] for answer in answers[:-1]] == [
        newest_first[start : start + 2] for start in range(0, len(newest_first), 2)
    ]
    assert answers[-1]["items"] == []
    assert {answer["total"] for answer in answers} == {len(newest_first)}


def test_the_document_describes_hashes_and_checkpoints(api: Api):
    document = api.client.get("/api/openapi.json").get_json()
    schemas = document["components"]["schemas"]

    assert "/api/v1/audit/checkpoints" in document["paths"]
    assert set(schemas["AuditEvent"]["properties"]) == ITEM_FIELDS
    assert {"size", "root", "signed_at", "key_id", "signature"} <= set(
        schemas["Checkpoint"]["properties"]
    )
