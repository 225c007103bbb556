"""The rota kept in memory: by id and by office and day, updated by what changed."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

from incidents.application.presence import _Rota

TUESDAY, WEDNESDAY = date(2026, 12, 1), date(2026, 12, 2)


def shift(office: str, day: date, mediator: str = "m-one", **fields: object) -> dict:
    return {
        "id": uuid4(),
        "office": office,
        "day": day,
        "mediator": mediator,
        "start": "09:00",
        "end": "12:30",
        "status": "planned",
        **fields,
    }


def test_shifts_are_found_by_office_and_day():
    first, second = shift("92100", TUESDAY), shift("92100", TUESDAY, "m-two")
    other = shift("92000", WEDNESDAY)
    rota = _Rota.of(3, [first, second, other])
    assert rota.by_place[("92100", TUESDAY)] == (first, second)
    assert rota.by_place[("92000", WEDNESDAY)] == (other,)
    assert set(rota.by_id) == {first["id"], second["id"], other["id"]}


def test_a_moved_shift_leaves_its_old_place_and_a_cancelled_one_every_place():
    moving, cancelled = shift("92100", TUESDAY), shift("92000", WEDNESDAY)
    rota = _Rota.of(3, [moving, cancelled])
    moved = {**moving, "office": "92000", "day": WEDNESDAY}
    later = rota.updated(9, {moving["id"]: moved, cancelled["id"]: None})
    assert later.position == 9
    assert ("92100", TUESDAY) not in later.by_place
    assert later.by_place[("92000", WEDNESDAY)] == (moved,)
    assert later.by_id == {moving["id"]: moved}
    # The rota it came from is unchanged: requests may still be reading it.
    assert rota.by_place[("92100", TUESDAY)] == (moving,)
    assert rota.by_id == {moving["id"]: moving, cancelled["id"]: cancelled}


def test_nothing_changed_costs_no_copy_of_the_rota():
    rota = _Rota.of(3, [shift("92100", TUESDAY)])
    later = rota.updated(40, {})
    assert later.position == 40
    assert later.by_id is rota.by_id
    assert later.by_place is rota.by_place
