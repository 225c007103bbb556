"""incidents.permissions: which role may do what, and which offices it sees."""

from __future__ import annotations

import pytest

from incidents.errors import PermissionDeniedError
from incidents.permissions import (
    Action,
    check_allowed,
    covers,
    may_see_contact,
    visible_offices,
)

MEDIATOR = {"name": "amina", "role": "mediator", "offices": ["a"]}
OFFICER = {"name": "paul", "role": "officer", "offices": ["a"]}
AUDITOR = {"name": "lea", "role": "auditor", "offices": ["a"]}
ADMIN = {"name": "root", "role": "admin", "offices": None}

ALLOWED = {
    Action.READ: {"mediator", "officer", "auditor", "admin"},
    Action.RECORD: {"mediator", "officer"},
    Action.CLOSE: {"officer"},
    Action.ERASE: {"admin"},
    Action.AUDIT: {"auditor"},
    Action.ADMINISTER: {"admin"},
    Action.PLAN: {"officer", "admin"},
    Action.SET_HOURS: {"admin"},
    Action.READ_OTHERS_SHIFTS: {"officer", "auditor", "admin"},
}


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("user", [MEDIATOR, OFFICER, AUDITOR, ADMIN])
def test_each_role_may_do_what_the_table_says(user, action):
    if user["role"] in ALLOWED[action]:
        check_allowed(user, action)
    else:
        with pytest.raises(PermissionDeniedError, match=user["role"]):
            check_allowed(user, action)


def test_an_unknown_role_may_do_nothing():
    for action in Action:
        with pytest.raises(PermissionDeniedError):
            check_allowed({"role": "visitor", "offices": None}, action)


def test_auditors_and_admins_see_every_office_whatever_their_scope():
    assert visible_offices(AUDITOR) is None
    assert covers(AUDITOR, "b")
    assert covers(ADMIN, "b")
    assert visible_offices(MEDIATOR) == {"a"}
    assert not covers(MEDIATOR, "b")
    assert covers({"role": "officer", "offices": None}, "b")


def test_the_contact_is_for_the_reporter_and_the_offices_officers():
    incident = {"office": "a", "reported_by": "amina"}

    assert may_see_contact(MEDIATOR, incident)
    assert not may_see_contact({**MEDIATOR, "name": "other"}, incident)
    assert may_see_contact(OFFICER, incident)
    assert not may_see_contact(OFFICER, {**incident, "office": "b"})
    assert not may_see_contact(AUDITOR, incident)
    assert not may_see_contact(ADMIN, incident)
