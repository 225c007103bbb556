"""Authenticate each ledger row: an HMAC-SHA256 under a key outside the database.

An insider who can write SQL but cannot read the key file cannot make a ledger
row that verification accepts (ADR 0013). The MAC covers a fixed encoding of
the row: a context string, then each field as its 8-byte big-endian length and
its bytes (positions and sizes as 8-byte big-endian numbers), in the order
position, size, content, chain, leaf, peak, root. The key is 32 random bytes,
kept as hex text in a file (mode 600) created on first use.
"""

from __future__ import annotations

import hmac
import secrets
from typing import TYPE_CHECKING

from incidents.evidence.errors import SigningKeyError
from incidents.evidence.keyfiles import KeyFile

if TYPE_CHECKING:
    from pathlib import Path

    from incidents.evidence.ledger import ChainRow

LEDGER_KEY_FILE = "evidence-ledger-key"
KEY_SIZE = 32
MAC_CONTEXT = b"incidents-ledger-row/1"


def row_message(row: ChainRow) -> bytes:
    """Return the exact bytes a row's MAC covers."""
    fields = (
        MAC_CONTEXT,
        row.position.to_bytes(8, "big"),
        row.size.to_bytes(8, "big"),
        row.content,
        row.chain,
        row.leaf,
        row.peak,
        row.root,
    )
    return b"".join(len(field).to_bytes(8, "big") + field for field in fields)


class LedgerKey(KeyFile[bytes]):
    """Compute and check the MACs of ledger rows with the key in one file."""

    name = "ledger key"

    def generate(self) -> bytes:
        return secrets.token_bytes(KEY_SIZE)

    def encode(self, key: bytes) -> bytes:
        return key.hex().encode("ascii") + b"\n"

    def decode(self, path: Path, data: bytes) -> bytes:
        try:
            key = bytes.fromhex(data.decode("ascii").strip())
        except ValueError:  # Not ASCII, or not hex.
            key = b""
        if len(key) != KEY_SIZE:
            raise SigningKeyError(
                f"{path} does not hold a ledger key ({KEY_SIZE} bytes in hex)."
            )
        return key

    def secret(self) -> bytes:
        """Return the key, creating its file (mode 600) on first use."""
        return self.key()

    def mac(self, row: ChainRow) -> bytes:
        """Return the MAC a row must carry."""
        return hmac.digest(self.secret(), row_message(row), "sha256")

    def is_valid(self, row: ChainRow) -> bool:
        """Tell whether a row carries its own MAC under this key."""
        return row.mac is not None and hmac.compare_digest(row.mac, self.mac(row))
