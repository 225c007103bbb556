"""Reports check their office against the catalogue kept in memory, safely.

Offices are only ever added, so an office found in memory exists; one not
found there is looked for in the store before the report is refused.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from incidents.errors import InvalidInputError

if TYPE_CHECKING:
    from tests.conftest import OpenLog


def _report(log, office: str):
    return log.report_incident(
        actor="mediator",
        office=office,
        occurred_at=datetime.now(UTC) - timedelta(minutes=5),
        category="waiting_time",
        severity=1,
        target="mediator",
        summary="Attente au guichet.",
    )


def test_a_report_on_an_office_another_process_just_added_is_accepted(
    durable_database_url: str, make_log: OpenLog
):
    reader = make_log(durable_database_url)
    writer = make_log(durable_database_url, load_offices=False)
    _report(reader, "colombes-aragon")  # The catalogue is now kept in memory.

    writer.ensure_offices([{"code": "sevres-centre", "name": "Sèvres", "city": "X"}])

    assert _report(reader, "sevres-centre").created


def test_an_unknown_office_is_still_refused_naming_the_known_ones(
    durable_database_url: str, make_log: OpenLog
):
    log = make_log(durable_database_url)
    _report(log, "colombes-aragon")

    with pytest.raises(InvalidInputError) as refused:
        _report(log, "nowhere")

    assert "colombes-aragon" in str(refused.value.errors)
