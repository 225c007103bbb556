"""Keep a secret key in a file created once, whole, readable by its owner only."""

from __future__ import annotations

import contextlib
import os
import secrets
import threading
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Generic, TypeVar

from incidents.evidence.errors import SigningKeyError

K = TypeVar("K")


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


class KeyFile(ABC, Generic[K]):
    """Hold one secret key: read from its file, or made there on first use.

    Without a path, the key lives in this process's memory only (tests, the
    in-memory store). Subclasses say how a key is made, written and read.
    """

    name = "key"

    def __init__(self, key_path: Path | str | None) -> None:
        self.key_path = None if key_path is None else Path(key_path)
        self._key: K | None = None
        self._lock = threading.Lock()

    @abstractmethod
    def generate(self) -> K:
        """Return a new random key."""

    @abstractmethod
    def encode(self, key: K) -> bytes:
        """Return the bytes a key's file holds."""

    @abstractmethod
    def decode(self, path: Path, data: bytes) -> K:
        """Return the key a file holds; raise :class:`SigningKeyError` if none."""

    def exists(self) -> bool:
        """Tell whether the key is there (without creating its file)."""
        return self._key is not None or self.key_path is None or self.key_path.exists()

    def key(self) -> K:
        """Return the key, creating its file (mode 600) on first use."""
        with self._lock:
            if self._key is None:
                self._key = (
                    self.generate()
                    if self.key_path is None
                    else self._load_or_create(self.key_path)
                )
            return self._key

    def _load_or_create(self, path: Path) -> K:
        try:
            return self._load(path)
        except FileNotFoundError:
            pass
        key = self.generate()
        try:
            created = create_once(path, self.encode(key))
        except OSError as error:
            raise SigningKeyError(
                f"Cannot create the {self.name} {path}: {error.strerror or error}."
            ) from None
        return key if created else self._load(path)

    def _load(self, path: Path) -> K:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise
        except OSError as error:
            raise SigningKeyError(
                f"Cannot read the {self.name} {path}: {error.strerror or error}."
            ) from None
        return self.decode(path, data)
