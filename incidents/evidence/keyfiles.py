"""Create a secret key file once, whole, readable by its owner only."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path


def create_once(path: Path, data: bytes) -> bool:
    """Write ``data`` to a new file (mode 600) at ``path``; say if this call did.

    The bytes are written whole under a temporary name, then linked into place:
    a process racing to create the same file reads a complete file or none, and
    exactly one wins (the others get ``False`` and read the winner's). Raises
    ``OSError`` when the folder or the file cannot be written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        try:
            os.link(temporary, path)
        except FileExistsError:
            return False
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
