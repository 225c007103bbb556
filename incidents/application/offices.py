"""Keep the catalogue of offices: add the missing ones, list them, check a code."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from importlib import resources

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from incidents.application.store import MAX_ATTEMPTS, IncidentStore
from incidents.catalogue import OFFICE_CATALOGUE_ID, OfficeCatalogue
from incidents.errors import (
    ConcurrentWriteError,
    InvalidInputError,
    OfficeNotFoundError,
)

SYSTEM_ACTOR = "system"


class Offices(IncidentStore):
    """Add offices to the catalogue and read it, kept in memory between changes."""

    def ensure_offices(
        self, offices: Sequence[Mapping[str, str]], *, actor: str = SYSTEM_ACTOR
    ) -> int:
        """Add the offices missing from the catalogue; return how many were added."""

        def add_missing(catalogue: OfficeCatalogue) -> None:
            for office in offices:
                if office["code"] not in catalogue.offices:
                    catalogue.add_office(
                        actor=actor,
                        code=office["code"],
                        name=office["name"],
                        city=office["city"],
                    )

        for attempt in range(1, MAX_ATTEMPTS + 1):
            catalogue = self._office_catalogue(to_change=True)
            if catalogue is None:
                catalogue = OfficeCatalogue.create()
            add_missing(catalogue)
            pending = catalogue.collect_events()
            if not pending:
                return 0
            try:
                self.save(*pending)
            except IntegrityError:
                self._back_off(attempt)
                continue
            return sum(
                isinstance(event, OfficeCatalogue.OfficeAdded) for event in pending
            )
        raise ConcurrentWriteError(OFFICE_CATALOGUE_ID, MAX_ATTEMPTS)

    def list_offices(self) -> list[dict[str, str]]:
        """Return every office, ordered by code."""
        catalogue = self._office_catalogue()
        if catalogue is None:
            return []
        return [dict(catalogue.offices[code]) for code in sorted(catalogue.offices)]

    def get_office(self, code: str) -> dict[str, str]:
        """Return one office."""
        for office in self.list_offices():
            if office["code"] == code:
                return office
        raise OfficeNotFoundError(code)

    def _office_catalogue(
        self, *, to_change: bool = False, trusted_for: float = 0.0
    ) -> OfficeCatalogue | None:
        try:
            catalogue: OfficeCatalogue = (
                self.repository.get(OFFICE_CATALOGUE_ID)
                if to_change
                else self._current(OFFICE_CATALOGUE_ID, trusted_for=trusted_for)
            )
        except AggregateNotFoundError:
            return None
        return catalogue

    def _check_office(self, field: str, code: object) -> str:
        # Offices are only ever added: one found in the copy kept in memory
        # exists; one not found there is looked for again in the store.
        for trusted_for in (math.inf, 0.0):
            catalogue = self._office_catalogue(trusted_for=trusted_for)
            known = {} if catalogue is None else catalogue.offices
            if isinstance(code, str) and code in known:
                return code
        raise InvalidInputError.unknown_code(field, code, sorted(known))


def load_default_offices() -> list[dict[str, str]]:
    """Return the offices that ship with the product (Hauts-de-Seine)."""
    text = resources.files("incidents").joinpath("data/offices-hauts-de-seine.json")
    catalogue = json.loads(text.read_text(encoding="utf-8"))
    return [
        {"code": office["code"], "name": office["name"], "city": office["city"]}
        for office in catalogue["offices"]
    ]
