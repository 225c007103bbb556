"""What a verification found: each piece of damage, and the result as a whole."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Problem:
    """Describe one piece of damage: its kind, first bad position and explanation."""

    kind: str
    position: int | None
    reason: str


@dataclass(frozen=True)
class VerificationResult:
    """Say what a verification checked and the damage it found, first first."""

    checked: int
    position: int
    head: bytes
    checkpoints: int
    problems: tuple[Problem, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """Tell whether nothing was found wrong."""
        return not self.problems

    @property
    def first_problem(self) -> Problem | None:
        """Return the problem at the earliest position, if any."""
        return self.problems[0] if self.problems else None

    def as_dict(self) -> dict[str, Any]:
        """Return the result as the API shows it (``{ok, checked, head, ...}``).

        When not ok, ``reason`` is the kind of damage and ``detail`` explains it.
        """
        result: dict[str, Any] = {
            "ok": self.ok,
            "checked": self.checked,
            "head": self.head.hex(),
            "position": self.position,
            "checkpoints": self.checkpoints,
        }
        first = self.first_problem
        if first is not None:
            result["first_bad_position"] = first.position
            result["reason"] = first.kind
            result["detail"] = first.reason
        return result
