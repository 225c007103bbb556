"""Admins register people and manage their tokens through the API."""

from __future__ import annotations

from tests.api.conftest import OFFICE, Api, assert_error


def test_an_admin_registers_a_person_who_then_signs_in_with_a_token(api: Api):
    registered = api.post(
        "/admin/users",
        {
            "name": "amina",
            "role": "mediator",
            "offices": [OFFICE],
            "display_name": "  Amina B.  ",
            "password": "une longue phrase secrète",
        },
        "admin",
    )
    assert registered.status_code == 201, registered.get_json()
    person = registered.get_json()
    assert person["display_name"] == "Amina B."
    assert person["offices"] == [OFFICE]
    assert "password" not in person
    assert api.log.authenticate("amina", "une longue phrase secrète")["name"] == "amina"

    issued = api.post("/admin/users/amina/tokens", {"label": "tablette"}, "admin")
    assert issued.status_code == 201, issued.get_json()
    token = issued.get_json()
    assert token["label"] == "tablette"
    assert token["user"]["tokens"] == [{"id": token["id"], "label": "tablette"}]

    offices = api.get(
        "/offices", None, headers={"Authorization": f"Bearer {token['token']}"}
    )
    assert [office["code"] for office in offices.get_json()["items"]] == [OFFICE]
    listed = api.get("/admin/users", "admin").get_json()
    assert "amina" in [user["name"] for user in listed["items"]]
    assert token["token"] not in str(listed)


def test_a_token_may_be_issued_without_a_body(api: Api):
    response = api.post("/admin/users/officer/tokens", None, "admin")

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["label"] == ""


def test_a_name_already_taken_is_409(api: Api):
    body = {"name": "officer", "role": "officer"}

    assert_error(api.post("/admin/users", body, "admin"), 409)


def test_an_invalid_person_is_422_by_field(api: Api):
    answer = assert_error(
        api.post(
            "/admin/users",
            {"name": "Not Valid", "role": "king", "offices": ["nowhere"]},
            "admin",
        ),
        422,
    )

    assert set(answer["errors"]) <= {"name", "role", "offices"}
    assert answer["errors"]


def test_a_short_password_is_422(api: Api):
    answer = assert_error(
        api.post(
            "/admin/users",
            {"name": "zoe", "role": "auditor", "password": "court"},
            "admin",
        ),
        422,
    )

    assert list(answer["errors"]) == ["password"]


def test_an_unknown_person_is_404(api: Api):
    assert_error(api.post("/admin/users/nobody/tokens", {}, "admin"), 404)
    assert_error(
        api.post("/admin/users/nobody/deactivation", {"reason": "x"}, "admin"), 404
    )


def test_a_deactivated_person_gets_no_new_token(api: Api):
    api.log.deactivate_user("mediator-2", actor="test", reason="Départ.")

    assert_error(api.post("/admin/users/mediator-2/tokens", {}, "admin"), 409)
