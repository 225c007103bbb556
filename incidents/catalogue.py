"""Model the catalogue of offices where mediators work."""

from __future__ import annotations

from uuid import NAMESPACE_URL, uuid5

from eventsourcing.domain import Aggregate, event

from incidents import values
from incidents.errors import InvalidInputError, NothingToChangeError

OFFICE_CATALOGUE_ID = uuid5(NAMESPACE_URL, "/offices")


class OfficeCatalogue(Aggregate):
    """Hold the offices where mediators work."""

    TOPIC = "incidents:OfficeCatalogue"

    class Event(Aggregate.Event):
        TOPIC = "incidents:OfficeCatalogue.Event"

    class Created(Aggregate.Created):
        TOPIC = "incidents:OfficeCatalogue.Created"

    class OfficeAdded(Event):
        TOPIC = "incidents:OfficeCatalogue.OfficeAdded"
        code: str
        name: str
        city: str
        actor: str

    @classmethod
    def create(cls) -> OfficeCatalogue:
        """Create the (single) catalogue."""
        return cls._create(cls.Created, id=OFFICE_CATALOGUE_ID)

    @event(Created)
    def __init__(self) -> None:
        self.offices: dict[str, dict[str, str]] = {}

    def add_office(
        self, *, actor: str, code: object, name: object, city: object
    ) -> None:
        """Add an office; its code is its permanent identifier."""
        if (
            not isinstance(code, str)
            or not code
            or not set(code) <= set("abcdefghijklmnopqrstuvwxyz0123456789-")
        ):
            raise InvalidInputError.field(
                "code", "Give lower-case letters, digits and dashes."
            )
        if code in self.offices:
            raise NothingToChangeError(f"Office {code!r} is already in the catalogue.")
        self._add_office(
            code=code,
            name=values.text("name", name, max_length=values.SHORT_TEXT_MAX),
            city=values.text("city", city, max_length=values.SHORT_TEXT_MAX),
            actor=actor,
        )

    @event(OfficeAdded)
    def _add_office(self, *, code: str, name: str, city: str, actor: str) -> None:
        self.offices[code] = {"code": code, "name": name, "city": city}
