"""A store whose ledger a follower kept (before ADR 0011) is brought up to date once."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from incidents.evidence import Evidence, LedgerDamagedError
from incidents.evidence.hashing import GENESIS, link, notification_content
from incidents.evidence.log_reading import iter_notifications
from incidents.evidence.signing import CheckpointSigner
from tests.conftest import ledger_settings, signing_key_path
from tests.evidence.conftest import Tamper, write_history
from tests.evidence.test_sealing import expected_rows, ledger_rows

if TYPE_CHECKING:
    from incidents.application import IncidentLog
    from tests.conftest import OpenLog

UNSEALED = 4  # Events stored after the follower's last batch.


def follower_kept_ledger(log: IncidentLog, database_url: str) -> int:
    """Give a store the ledger the follower kept: chain only, a little behind."""
    tamper = Tamper(log, database_url)
    blob = "BLOB" if tamper.path is not None else "BYTEA"
    tamper.sql("DROP TABLE {chain}")
    tamper.sql("DROP TABLE {checkpoints}")
    tamper.sql(
        f"CREATE TABLE {{chain}} (position BIGINT PRIMARY KEY, size BIGINT NOT NULL,"
        f" content {blob} NOT NULL, chain {blob} NOT NULL)"
    )
    tamper.sql(
        f"CREATE TABLE {{checkpoints}} (size BIGINT PRIMARY KEY, position BIGINT "
        f"NOT NULL, root {blob} NOT NULL, time TEXT NOT NULL, signature {blob} "
        "NOT NULL, key_id TEXT NOT NULL)"
    )
    events = list(iter_notifications(log.recorder, 1, 2**62))
    chain = GENESIS
    for size, event in enumerate(events[:-UNSEALED], start=1):
        added = link(chain, event.id, notification_content(event))
        chain = added.chain
        tamper.sql(
            "INSERT INTO {chain} (position, size, content, chain) VALUES (?, ?, ?, ?)",
            (event.id, size, added.content, chain),
        )
        if size == 11:
            signed = CheckpointSigner(signing_key_path()).sign(
                size=size, position=event.id, root=chain
            )
            tamper.sql(
                "INSERT INTO {checkpoints} (size, position, root, time, signature, "
                "key_id) VALUES (?, ?, ?, ?, ?, ?)",
                (size, event.id, chain, signed.time, signed.signature, signed.key_id),
            )
    return len(events)


def test_a_follower_kept_ledger_is_brought_up_to_date_then_extended(
    durable_database_url: str, make_log: OpenLog
):
    written = make_log(durable_database_url)
    head = write_history(written, incidents=4)
    assert follower_kept_ledger(written, durable_database_url) == head
    written.close()

    log = make_log(durable_database_url)  # This version opens it.
    evidence = Evidence(log)

    assert ledger_rows(evidence) == expected_rows(log)
    sizes = [checkpoint.size for checkpoint in evidence.checkpoints()]
    assert sizes == [11, head]  # The follower's, kept; one after sealing the rest.
    later = write_history(log, incidents=2)
    result = evidence.verify()
    assert result.ok, result.problems
    assert (result.checked, result.checkpoints) == (later, len(sizes))


def test_a_follower_kept_ledger_is_not_changed_by_a_store_opened_to_verify(
    durable_database_url: str, make_log: OpenLog
):
    written = make_log(durable_database_url)
    write_history(written, incidents=1)
    follower_kept_ledger(written, durable_database_url)
    before = Tamper(written, durable_database_url).sql("SELECT * FROM {chain}")

    with pytest.raises(LedgerDamagedError, match="older version"):
        make_log(
            durable_database_url,
            load_offices=False,
            ledger=ledger_settings(migrate=False),
        )

    assert Tamper(written, durable_database_url).sql("SELECT * FROM {chain}") == before


def test_a_current_ledger_never_seals_events_when_the_store_opens(
    durable_database_url: str, make_log: OpenLog
):
    written = make_log(durable_database_url)
    head = write_history(written, incidents=1)
    Tamper(written, durable_database_url).append(copy_of=3)
    written.close()

    log = make_log(durable_database_url)

    assert Evidence(log).ledger.head().position == head


def test_rows_sealed_before_macs_get_one_when_a_writing_command_opens_the_store(
    durable_database_url: str, make_log: OpenLog
):
    written = make_log(durable_database_url)
    head = write_history(written, incidents=2)
    tamper = Tamper(written, durable_database_url)
    tamper.sql("ALTER TABLE {chain} DROP COLUMN mac")  # As before ADR 0013.
    written.close()
    with pytest.raises(LedgerDamagedError, match="older version"):
        make_log(
            durable_database_url,
            load_offices=False,
            ledger=ledger_settings(migrate=False),
        )

    log = make_log(durable_database_url)  # A writing command opens it.

    assert tamper.sql("SELECT COUNT(*) FROM {chain} WHERE mac IS NULL") == [(0,)]
    result = Evidence(log).verify()
    assert result.ok, result.problems
    assert result.checked == head


def test_a_mac_removed_later_is_never_given_back_when_the_store_opens(
    durable_database_url: str, make_log: OpenLog
):
    written = make_log(durable_database_url)
    write_history(written, incidents=1)
    tamper = Tamper(written, durable_database_url)
    tamper.sql("UPDATE {chain} SET mac = NULL WHERE position = 3")
    written.close()

    log = make_log(durable_database_url)

    problem = Evidence(log).verify().first_problem
    assert problem is not None
    assert (problem.kind, problem.position) == ("ledger_forged", 3)
