"""Admins set people's address and language; each person picks notifications."""

from __future__ import annotations

from tests.api.conftest import PREFIX, Api, assert_error


def put(api: Api, path: str, body: object, who: str):
    return api.client.put(PREFIX + path, json=body, headers=api.headers(who, None))


def patch(api: Api, path: str, body: object, who: str):
    return api.client.patch(PREFIX + path, json=body, headers=api.headers(who, None))


def test_an_admin_registers_a_person_with_an_address_and_changes_it(api: Api):
    registered = api.post(
        "/admin/users",
        {"name": "paul", "role": "officer", "email": "paul@example.fr"},
        "admin",
    )
    assert registered.status_code == 201, registered.get_json()
    assert registered.get_json()["email"] == "paul@example.fr"
    assert registered.get_json()["language"] == "fr"

    changed = patch(api, "/admin/users/paul", {"language": "en"}, "admin")
    assert changed.status_code == 200, changed.get_json()
    assert (changed.get_json()["email"], changed.get_json()["language"]) == (
        "paul@example.fr",
        "en",
    )
    removed = patch(api, "/admin/users/paul", {"email": None}, "admin")
    assert removed.get_json()["email"] is None
    again = patch(api, "/admin/users/paul", {"email": None}, "admin")
    assert again.status_code == 200
    assert again.get_json()["version"] == removed.get_json()["version"]


def test_a_bad_address_or_language_is_422_and_changes_nothing(api: Api):
    refused = api.post(
        "/admin/users", {"name": "paul", "role": "officer", "email": "paul"}, "admin"
    )
    assert "email" in assert_error(refused, 422)["errors"]
    assert "paul" not in [u["name"] for u in api.log.list_users()]

    body = assert_error(
        patch(api, "/admin/users/officer", {"language": "de"}, "admin"), 422
    )
    assert "language" in body["errors"]
    assert_error(patch(api, "/admin/users/officer", {"phone": "1"}, "admin"), 422)
    assert api.log.get_user("officer")["language"] == "fr"


def test_only_an_admin_changes_a_person_and_an_unknown_one_is_404(api: Api):
    assert_error(patch(api, "/admin/users/officer", {"language": "en"}, "officer"), 403)
    assert_error(patch(api, "/admin/users/nobody", {"language": "en"}, "admin"), 404)
    assert_error(patch(api, "/admin/users/officer", {"language": "en"}, None), 401)


def test_each_person_reads_and_chooses_their_own_notifications(api: Api):
    assert api.get("/me/notification-preferences", "officer").get_json() == {
        "severe_incident": True,
        "escalation": True,
        "follow_up_overdue": True,
        "digest": "off",
    }

    chosen = put(
        api,
        "/me/notification-preferences",
        {"escalation": False, "digest": "weekly"},
        "officer",
    )
    assert chosen.status_code == 200, chosen.get_json()
    assert chosen.get_json()["digest"] == "weekly"
    assert api.get("/me/notification-preferences", "officer").get_json() == {
        "severe_incident": True,
        "escalation": False,
        "follow_up_overdue": True,
        "digest": "weekly",
    }
    assert api.get("/me/notification-preferences", "mediator").get_json()["escalation"]


def test_bad_preferences_are_422_and_change_nothing(api: Api):
    for body in ({"digest": "hourly"}, {"escalation": "no"}, {"sms": True}):
        assert_error(put(api, "/me/notification-preferences", body, "officer"), 422)
    assert_error(put(api, "/me/notification-preferences", {"digest": "off"}, None), 401)
    assert api.log.get_user("officer")["notification_preferences"]["escalation"]
