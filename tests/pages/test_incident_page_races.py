"""The incident page between two reads of the read models, and on HEAD."""

from __future__ import annotations

from typing import Any

import pytest

from projections.queries import ReadModels
from tests.pages.conftest import Site

PHONE = "06 12 34 56 78"


def test_a_timeline_read_before_the_batch_of_a_version_is_read_again(
    site: Site, monkeypatch: pytest.MonkeyPatch
):
    incident_id = site.report_in_log(severity=1)
    site.log.reassess_severity(
        incident_id, actor="officer", severity=3, reason="Menaces répétées."
    )
    site.wait_for_read_models()
    real_timeline = ReadModels.incident_timeline
    calls: list[int] = []

    def timeline_lagging_once(self: ReadModels, *args: Any, **kwargs: Any) -> Any:
        items = real_timeline(self, *args, **kwargs)
        calls.append(len(items))
        # The first read misses the newest version, as if its batch came after.
        return items[:-1] if len(calls) == 1 else items

    monkeypatch.setattr(ReadModels, "incident_timeline", timeline_lagging_once)

    response = site.get(
        f"/incidents/{incident_id}", "auditor", query_string={"as_of": "2999-01-01"}
    )

    assert response.status_code == 200
    assert len(calls) >= 2


def test_a_head_request_records_no_disclosure(site: Site):
    incident_id = site.report_in_log(contact={"phone": PHONE})
    before = len(site.log.list_disclosures())

    head = site.client("officer").head(f"/incidents/{incident_id}")
    get = site.get(f"/incidents/{incident_id}", "officer")

    assert head.status_code == 200
    assert get.status_code == 200
    assert len(site.log.list_disclosures()) == before + 1
