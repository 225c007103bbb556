"""Register people with roles and office scopes, sign them in, and check offices."""

from __future__ import annotations

import pytest

from incidents.access import User, user_id
from incidents.application import load_default_offices
from incidents.catalogue import OfficeCatalogue
from incidents.errors import (
    InvalidInputError,
    NothingToChangeError,
    OfficeNotFoundError,
    UserAlreadyExistsError,
    UserDeactivatedError,
    UserNotFoundError,
)

PASSWORD = "correct horse battery"


def test_registers_a_user_with_a_role_and_offices(log):
    user = log.register_user(
        actor="admin",
        name="alice",
        role="mediator",
        offices=["nanterre-centre", "colombes-aragon", "colombes-aragon"],
        display_name="Alice M.",
    )

    assert user == {
        "id": user_id("alice"),
        "name": "alice",
        "display_name": "Alice M.",
        "role": "mediator",
        "offices": ["colombes-aragon", "nanterre-centre"],
        "is_active": True,
        "email": None,
        "language": "fr",
        "notification_preferences": {
            "severe_incident": True,
            "escalation": True,
            "follow_up_overdue": True,
            "digest": "off",
        },
        "tokens": [],
        "version": 1,
    }
    assert log.get_user("alice") == user
    assert [u["name"] for u in log.list_users()] == ["alice"]


def test_the_user_registered_event_carries_the_acting_admin():
    user = User.register(actor="admin", name="bob", role="officer", offices=None)

    (event,) = user.collect_events()
    assert isinstance(event, User.Registered)
    assert (event.actor, event.role, event.offices) == ("admin", "officer", None)


def test_lists_users_in_the_order_they_were_registered(log):
    for name in ["zoe", "alice", "marc"]:
        log.register_user(actor="admin", name=name, role="mediator")

    assert [user["name"] for user in log.list_users()] == ["zoe", "alice", "marc"]


def test_refuses_a_second_user_with_the_same_name(log):
    log.register_user(actor="admin", name="alice", role="mediator")

    with pytest.raises(UserAlreadyExistsError) as raised:
        log.register_user(actor="admin", name="alice", role="admin")

    assert "User 'alice' already exists" in raised.value.message
    assert log.get_user("alice")["role"] == "mediator"
    assert len(log.list_users()) == 1


@pytest.mark.parametrize("name", ["A", "Alice", "al ice", "é" * 3, "x" * 65, None])
def test_refuses_a_malformed_user_name(log, name):
    with pytest.raises(InvalidInputError) as raised:
        log.register_user(actor="admin", name=name, role="mediator")

    assert list(raised.value.errors) == ["name"]


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_auditors_and_admins_see_every_office(log, role):
    registered = log.register_user(
        actor="admin", name="carla", role=role, offices=["colombes-aragon"]
    )

    assert registered["offices"] is None
    user = log.repository.get(user_id("carla"))
    assert all(user.covers(office["code"]) for office in log.list_offices())


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_a_user_made_auditor_or_admin_sees_every_office(log, role):
    log.register_user(
        actor="admin", name="dan", role="mediator", offices=["colombes-aragon"]
    )

    log.change_role("dan", actor="admin", role=role)

    user = log.repository.get(user_id("dan"))
    assert user.covers("nanterre-centre")


def test_a_mediator_sees_only_the_offices_they_cover(log):
    log.register_user(
        actor="admin", name="alice", role="mediator", offices=["colombes-aragon"]
    )

    user = log.repository.get(user_id("alice"))
    assert user.covers("colombes-aragon")
    assert not user.covers("nanterre-centre")


def test_a_user_registered_without_offices_covers_every_office(log):
    log.register_user(actor="admin", name="alice", role="officer")

    user = log.repository.get(user_id("alice"))
    assert user.offices is None
    assert user.covers("villeneuve-la-garenne")


def test_changes_the_offices_a_user_covers(log):
    log.register_user(
        actor="admin", name="alice", role="mediator", offices=["colombes-aragon"]
    )

    changed = log.change_offices("alice", actor="admin", offices=["nanterre-centre"])

    assert changed["offices"] == ["nanterre-centre"]
    assert changed["version"] == 2
    with pytest.raises(NothingToChangeError, match="already covers these offices"):
        log.change_offices("alice", actor="admin", offices=["nanterre-centre"])


def test_refuses_to_give_the_same_role_again(log):
    log.register_user(actor="admin", name="alice", role="mediator")

    with pytest.raises(NothingToChangeError, match="alice is already mediator"):
        log.change_role("alice", actor="admin", role="mediator")


def test_deactivates_a_user_keeping_their_history(log):
    log.register_user(actor="admin", name="alice", role="mediator")

    user = log.deactivate_user("alice", actor="admin", reason="Fin de mission.")

    assert user["is_active"] is False
    assert user["version"] == 2
    assert log.get_user("alice")["is_active"] is False
    assert [u["name"] for u in log.list_users()] == ["alice"]


def test_the_deactivated_event_carries_the_reason_and_the_actor():
    user = User.register(actor="admin", name="bob", role="officer", offices=None)
    user.deactivate(actor="admin", reason="Départ.")

    assert [type(e) for e in user.collect_events()] == [
        User.Registered,
        User.Deactivated,
    ]
    assert user.is_active is False


def test_refuses_to_deactivate_a_user_twice(log):
    log.register_user(actor="admin", name="alice", role="mediator")
    log.deactivate_user("alice", actor="admin", reason="Fin de mission.")

    with pytest.raises(NothingToChangeError, match="alice is already deactivated"):
        log.deactivate_user("alice", actor="admin", reason="Encore.")


def test_refuses_to_deactivate_without_a_reason(log):
    log.register_user(actor="admin", name="alice", role="mediator")

    with pytest.raises(InvalidInputError, match="reason: This text is required"):
        log.deactivate_user("alice", actor="admin", reason=" ")

    assert log.get_user("alice")["is_active"] is True


def test_reactivates_a_deactivated_user():
    user = User.register(actor="admin", name="bob", role="officer", offices=None)
    user.deactivate(actor="admin", reason="Départ.")
    user.reactivate(actor="admin")

    assert user.is_active is True
    with pytest.raises(NothingToChangeError, match="bob is already active"):
        user.reactivate(actor="admin")


def test_refuses_an_unknown_user(log):
    with pytest.raises(UserNotFoundError, match="User 'nobody' not found"):
        log.get_user("nobody")
    with pytest.raises(UserNotFoundError):
        log.deactivate_user("nobody", actor="admin", reason="?")


# Signing in.


def test_authenticates_a_user_with_the_right_password(log):
    log.register_user(actor="admin", name="alice", role="mediator", password=PASSWORD)

    user = log.authenticate("alice", PASSWORD)

    assert (user["name"], user["role"]) == ("alice", "mediator")


def test_refuses_a_wrong_password_like_an_unknown_name(log):
    log.register_user(actor="admin", name="alice", role="mediator", password=PASSWORD)

    with pytest.raises(UserNotFoundError, match="User 'alice' not found"):
        log.authenticate("alice", PASSWORD + "!")
    with pytest.raises(UserNotFoundError, match="User 'bob' not found"):
        log.authenticate("bob", PASSWORD)
    with pytest.raises(UserNotFoundError):
        log.authenticate("Not A Name", PASSWORD)


def test_refuses_a_user_who_has_no_password_yet(log):
    log.register_user(actor="admin", name="alice", role="mediator")

    with pytest.raises(UserNotFoundError):
        log.authenticate("alice", PASSWORD)


def test_refuses_a_deactivated_user_even_with_the_right_password(log):
    log.register_user(actor="admin", name="alice", role="mediator", password=PASSWORD)
    log.deactivate_user("alice", actor="admin", reason="Fin de mission.")

    with pytest.raises(UserDeactivatedError, match="User 'alice' is deactivated"):
        log.authenticate("alice", PASSWORD)


def test_a_new_password_replaces_the_old_one(log):
    log.register_user(actor="admin", name="alice", role="mediator", password=PASSWORD)

    log.set_password("alice", "another long secret")

    assert log.authenticate("alice", "another long secret")["name"] == "alice"
    with pytest.raises(UserNotFoundError):
        log.authenticate("alice", PASSWORD)


@pytest.mark.parametrize("password", ["short", "x" * 257])
def test_refuses_a_password_too_short_or_too_long(log, password):
    with pytest.raises(InvalidInputError, match="password: Give 10 to 256 characters"):
        log.register_user(
            actor="admin", name="alice", role="mediator", password=password
        )

    with pytest.raises(UserNotFoundError):
        log.get_user("alice")


def test_keeps_password_hashes_out_of_the_event_store(log):
    log.register_user(actor="admin", name="alice", role="mediator", password=PASSWORD)

    stored = log.recorder.select_notifications(1, 1000)
    assert stored
    assert not any(b"argon2" in n.state for n in stored)
    assert not any(PASSWORD.encode() in n.state for n in stored)
    assert log.credentials.get_password_hash(user_id("alice")).startswith("$argon2")


# Offices.


def test_ensures_the_default_offices_once(log):
    assert log.ensure_offices(load_default_offices()) == 0
    assert [office["code"] for office in log.list_offices()] == sorted(
        office["code"] for office in load_default_offices()
    )
    assert len(log.list_offices()) == 10


def test_adds_only_the_missing_offices(log):
    added = log.ensure_offices(
        [
            {"code": "colombes-aragon", "name": "Colombes Aragon", "city": "Colombes"},
            {"code": "clichy-centre", "name": "Clichy Centre", "city": "Clichy"},
        ]
    )

    assert added == 1
    assert log.get_office("clichy-centre") == {
        "code": "clichy-centre",
        "name": "Clichy Centre",
        "city": "Clichy",
    }


def test_refuses_an_unknown_office(log):
    with pytest.raises(OfficeNotFoundError, match="Office 'paris-louvre' not found"):
        log.get_office("paris-louvre")


@pytest.mark.parametrize("code", ["", "Colombes", "colombes aragon", "a/b", None])
def test_refuses_an_office_code_that_is_not_lower_case_letters_digits_and_dashes(
    code,
):
    catalogue = OfficeCatalogue.create()
    catalogue.collect_events()

    with pytest.raises(InvalidInputError, match="code: Give lower-case letters"):
        catalogue.add_office(actor="admin", code=code, name="Nom", city="Ville")

    assert catalogue.collect_events() == []


def test_refuses_an_office_already_in_the_catalogue():
    catalogue = OfficeCatalogue.create()
    catalogue.add_office(actor="admin", code="colombes", name="Colombes", city="C")

    with pytest.raises(NothingToChangeError, match="'colombes' is already in"):
        catalogue.add_office(actor="admin", code="colombes", name="Autre", city="C")

    assert [type(e) for e in catalogue.collect_events()] == [
        OfficeCatalogue.Created,
        OfficeCatalogue.OfficeAdded,
    ]


def test_refuses_a_user_scoped_to_an_unknown_office(log):
    with pytest.raises(InvalidInputError) as raised:
        log.register_user(
            actor="admin", name="alice", role="mediator", offices=["paris-louvre"]
        )

    assert list(raised.value.errors) == ["offices"]
    assert "'paris-louvre' is not one of" in raised.value.message
    assert "colombes-aragon" in raised.value.message
    with pytest.raises(UserNotFoundError):
        log.get_user("alice")


def test_refuses_to_move_a_user_to_an_unknown_office(log):
    log.register_user(
        actor="admin", name="alice", role="mediator", offices=["colombes-aragon"]
    )

    with pytest.raises(InvalidInputError, match="offices: 'paris-louvre' is not one"):
        log.change_offices("alice", actor="admin", offices=["paris-louvre"])

    assert log.get_user("alice")["offices"] == ["colombes-aragon"]
