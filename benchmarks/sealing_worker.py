"""One side of :mod:`benchmarks.sealing`: time writes in the checkout it runs from.

Run by ``sealing.py`` with a checkout's own Python and that checkout first on
``sys.path``, so that ``incidents`` and ``benchmarks.writes`` are that
version's (this file only uses what every version since the ledger has). It
opens a bare store and an incident log, then answers one JSON line for each
line it reads on standard input: ``PHASE SECONDS`` times one phase
(``bare_save``, ``report``, ``append``) for that long.

Modes: ``transaction`` (the checkout seals in the write's transaction, as
every version from commit 7502a92 does), ``follower`` (a version before it:
the ledger keeper's thread runs beside the writes, as the service ran it, and
each timed phase also waits for it to seal what was written) and ``unsealed``
(a version before it, with no keeper: what its ``incidents bench`` measured).
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from pathlib import Path
from typing import Any
from uuid import UUID

MODES = ("transaction", "follower", "unsealed")
WARM_UP = 20


class Side:
    """Hold the stores of one version and time its writes."""

    def __init__(self, bare_url: str, log_url: str, mode: str, folder: Path) -> None:
        writes = importlib.import_module("benchmarks.writes")
        bootstrap = importlib.import_module("incidents.bootstrap")
        persistence = importlib.import_module("incidents.persistence")
        self.writes = writes
        self.mode = mode
        self.bare = writes.BareLog(persistence.environment_for(bare_url))
        self.log = bootstrap.open_incident_log(
            log_url, password_hasher=writes.cheap_password_hasher()
        )
        self.evidence: Any = None
        if mode == "follower":
            service = importlib.import_module("incidents.evidence")
            self.evidence = service.Evidence(
                self.log, signing_key_path=folder / "signing-key.pem"
            )
            self.evidence.start()
        self.body = writes.report_body()
        self.reported: list[UUID] = []
        self.turn = 0
        for phase in ("bare_save", "report", "append"):
            for _ in range(WARM_UP):
                self.once(phase)
        self.sealed()

    def once(self, phase: str) -> None:
        """Do one write of a phase."""
        if phase == "bare_save":
            self.bare.save(self.writes.Note("Attente au guichet."))
        elif phase == "report":
            result = self.log.report_incident(actor="bench", **self.body)
            self.reported.append(result.incident["id"])
        elif phase == "append":
            incident = self.reported[self.turn % len(self.reported)]
            self.log.add_note(incident, actor="bench", text="Vu.")
            self.turn += 1
        else:
            raise ValueError(f"Unknown phase {phase!r}.")

    def sealed(self) -> float:
        """Wait until the keeper sealed every stored event; return the wait."""
        if self.evidence is None:
            return 0.0
        started = time.perf_counter()
        last = self.log.recorder.max_notification_id() or 0
        while self.evidence.ledger.head().position < last:
            time.sleep(0.002)
        return time.perf_counter() - started

    def time(self, phase: str, seconds: float) -> dict[str, float]:
        """Write for some seconds; return rates, and the follower's catching up."""
        count, started = 0, time.perf_counter()
        deadline = started + seconds
        while True:
            self.once(phase)
            count += 1
            now = time.perf_counter()
            if now >= deadline:
                break
        written = now - started
        waited = self.sealed() if phase != "bare_save" else 0.0
        return {
            "per_s": count / written,
            "sealed_per_s": count / (written + waited),
            "catch_up_s": waited,
        }

    def close(self) -> None:
        if self.evidence is not None:
            self.evidence.stop()
        self.log.close()
        self.bare.close()


def main(argv: list[str]) -> None:
    """Serve timing requests on stdin: ``sealing_worker.py BARE LOG MODE FOLDER``."""
    bare_url, log_url, mode, folder = argv
    if mode not in MODES:
        raise SystemExit(f"Unknown mode {mode!r}: one of {', '.join(MODES)}.")
    side = Side(bare_url, log_url, mode, Path(folder))
    print(json.dumps({"ready": True}), flush=True)
    try:
        for line in sys.stdin:
            phase, seconds = line.split()
            print(json.dumps(side.time(phase, float(seconds))), flush=True)
    finally:
        side.close()


if __name__ == "__main__":
    main(sys.argv[1:])
