"""The ledger key: one file outside the database, and the MAC of each row."""

from __future__ import annotations

import stat
from dataclasses import fields, replace

import pytest

from incidents.evidence import LedgerDamagedError, LedgerKey, SigningKeyError
from incidents.evidence.ledger import ChainRow
from incidents.evidence.row_macs import KEY_SIZE, row_message
from tests.evidence.conftest import Tamper, write_history

ROW = ChainRow(7, 5, b"c" * 32, b"h" * 32, b"l" * 32, b"p" * 32, b"r" * 32)


def test_the_key_is_created_once_mode_600_and_read_back(tmp_path):
    path = tmp_path / "keys" / "evidence-ledger-key"
    first = LedgerKey(path)
    assert not path.exists()

    mac = first.mac(ROW)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(bytes.fromhex(path.read_text())) == KEY_SIZE
    assert LedgerKey(path).mac(ROW) == mac
    assert [entry.name for entry in path.parent.iterdir()] == [path.name]


def test_a_key_made_in_memory_is_another_key_each_time():
    assert LedgerKey(None).mac(ROW) != LedgerKey(None).mac(ROW)


def test_a_file_that_is_not_a_ledger_key_is_refused(tmp_path):
    short = tmp_path / "short"
    short.write_text("00" * (KEY_SIZE - 1))
    garbage = tmp_path / "garbage"
    garbage.write_bytes(b"\xff not hex")
    blocker = tmp_path / "file"
    blocker.write_text("")

    with pytest.raises(SigningKeyError, match="does not hold a ledger key"):
        LedgerKey(short).secret()
    with pytest.raises(SigningKeyError, match="does not hold a ledger key"):
        LedgerKey(garbage).secret()
    with pytest.raises(SigningKeyError, match=r"ledger key .*: Not a directory"):
        LedgerKey(blocker / "key").secret()


@pytest.mark.parametrize("name", [field.name for field in fields(ChainRow)][:-1])
def test_the_mac_covers_every_field_of_the_row(tmp_path, name):
    key = LedgerKey(tmp_path / "key")
    value = getattr(ROW, name)
    changed = replace(
        ROW, **{name: value + 1 if isinstance(value, int) else value[:-1] + b"!"}
    )
    signed = replace(ROW, mac=key.mac(ROW))

    assert key.is_valid(signed)
    assert not key.is_valid(replace(changed, mac=signed.mac))
    assert not key.is_valid(replace(ROW, mac=None))


def test_the_encoding_prefixes_each_field_with_its_length():
    # Moving a byte from one hash to the next gives another message.
    moved = replace(ROW, content=ROW.content + ROW.chain[:1], chain=ROW.chain[1:])

    assert row_message(moved) != row_message(ROW)
    assert row_message(ROW).startswith(
        len(b"incidents-ledger-row/1").to_bytes(8, "big")
    )


def test_signing_is_refused_over_a_row_whose_mac_is_wrong(
    durable_database_url, make_log, make_evidence
):
    log = make_log(durable_database_url)
    head = write_history(log, incidents=1)
    evidence = make_evidence(log)
    evidence.checkpoint()
    write_history(log, incidents=1)
    Tamper(log, durable_database_url).sql(
        "UPDATE {chain} SET mac = ? WHERE position = ?", (bytes(32), head + 1)
    )

    with pytest.raises(LedgerDamagedError, match=f"position {head + 1} .*MAC"):
        evidence.checkpoint()
