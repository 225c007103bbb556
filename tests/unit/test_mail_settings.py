"""People carry an address, a language and notification preferences, as events."""

from __future__ import annotations

import pytest

from incidents.access import DEFAULT_PREFERENCES, User
from incidents.application import IncidentLog
from incidents.errors import InvalidInputError, NothingToChangeError


def test_a_person_registered_with_an_address_keeps_it_and_its_language(
    log: IncidentLog,
):
    person = log.register_user(
        actor="admin",
        name="paul",
        role="officer",
        email="paul@example.fr",
        language="en",
    )

    assert person["email"] == "paul@example.fr"
    assert person["language"] == "en"
    assert person["notification_preferences"] == DEFAULT_PREFERENCES
    types = [type(event) for event in log.events.get(person["id"])]
    assert types == [User.Registered, User.MailSettingsChanged]


def test_a_person_registered_without_an_address_has_none_and_writes_in_french(
    log: IncidentLog,
):
    person = log.register_user(actor="admin", name="amina", role="mediator")

    assert person["email"] is None
    assert person["language"] == "fr"
    assert [type(e) for e in log.events.get(person["id"])] == [User.Registered]


@pytest.mark.parametrize(
    "email",
    [
        "paul",
        "paul@",
        "@example.fr",
        "paul@example",
        "pa ul@example.fr",
        "paul@example.fr\r\nBcc: x@y.fr",
        "a@b@example.fr",
        "x" * 250 + "@example.fr",
        42,
    ],
)
def test_an_address_that_is_not_one_is_refused_and_nothing_is_stored(
    log: IncidentLog, email: object
):
    with pytest.raises(InvalidInputError) as refused:
        log.register_user(actor="admin", name="paul", role="officer", email=email)

    assert set(refused.value.errors) == {"email"}
    assert log.list_users() == []


def test_a_language_other_than_french_or_english_is_refused(log: IncidentLog):
    log.register_user(actor="admin", name="paul", role="officer")

    with pytest.raises(InvalidInputError) as refused:
        log.change_mail_settings("paul", actor="admin", language="de")

    assert set(refused.value.errors) == {"language"}
    assert log.get_user("paul")["language"] == "fr"


def test_changing_the_address_keeps_the_language_and_removing_it_works(
    log: IncidentLog,
):
    log.register_user(
        actor="admin", name="paul", role="officer", email="p@example.fr", language="en"
    )

    changed = log.change_mail_settings("paul", actor="admin", email="q@example.fr")
    assert (changed["email"], changed["language"]) == ("q@example.fr", "en")
    removed = log.change_mail_settings("paul", actor="admin", email=None)
    assert (removed["email"], removed["language"]) == (None, "en")
    with pytest.raises(NothingToChangeError):
        log.change_mail_settings("paul", actor="admin", email=None)


def test_preferences_change_by_kind_and_refuse_unknown_or_bad_values(
    log: IncidentLog,
):
    log.register_user(actor="admin", name="paul", role="officer")

    changed = log.change_notification_preferences(
        "paul", actor="paul", changes={"escalation": False, "digest": "weekly"}
    )
    assert changed["notification_preferences"] == {
        "severe_incident": True,
        "escalation": False,
        "follow_up_overdue": True,
        "digest": "weekly",
    }
    for bad in ({"digest": "hourly"}, {"escalation": "no"}, {"sms": True}):
        with pytest.raises(InvalidInputError):
            log.change_notification_preferences("paul", actor="paul", changes=bad)
    assert (
        log.get_user("paul")["notification_preferences"]
        == changed["notification_preferences"]
    )
